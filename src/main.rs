use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = jiedai::cli::Cli::parse();
    jiedai::commands::init_logging(&jiedai::commands::data_dir(&cli));
    jiedai::commands::run(cli)
}
