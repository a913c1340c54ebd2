use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // Station data is personal data: what this process creates is private.
    jiedai::storage::private::restrict_new_files();
    let cli = jiedai::cli::Cli::parse();
    // The demo logs into its own temporary directory.
    if !matches!(cli.command, Some(jiedai::cli::Command::Demo)) {
        jiedai::commands::init_logging(&jiedai::commands::data_dir(&cli));
    }
    jiedai::commands::run(cli)
}
