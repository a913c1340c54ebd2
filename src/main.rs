use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // Station data is personal data: what this process creates is private.
    jiedai::storage::private::restrict_new_files();
    let cli = jiedai::cli::Cli::parse();
    // The demo logs into its own temporary directory, the county's server
    // through `tracing` (`commands::init_county_logging`).
    if !matches!(cli.command, Some(jiedai::cli::Command::Demo { .. }))
        && !jiedai::commands::county_serving(&cli)
    {
        jiedai::commands::init_logging(&jiedai::commands::data_dir(&cli), read_only(&cli));
    }
    jiedai::commands::run(cli)
}

/// Commands that only read: they log warnings and errors, not the routine
/// notes, so that on a clean directory they change no byte of it.
fn read_only(cli: &jiedai::cli::Cli) -> bool {
    use jiedai::cli::Command;
    matches!(
        cli.command,
        Some(Command::Find { .. })
            | Some(Command::Export { .. })
            | Some(Command::Check {
                rebuild: false,
                drop_damaged_records: false,
                journal_from_database: false,
            })
    )
}
