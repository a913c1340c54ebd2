//! Command-line commands: each wires the domain, storage and transfer
//! modules to arguments, output and an exit status.

pub mod check;
#[cfg(feature = "county")]
pub mod county;
#[cfg(feature = "county")]
pub mod county_users;
pub mod demo;
pub mod export;
pub mod find;
pub mod import;
pub mod init;
pub mod kiosk;
pub mod print;
pub mod qr;
pub mod sync;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::cli::{Cli, Command, ExportWhat, ImportWhat, PrintWhat, QrWhat};
use crate::i18n::Lang;
use crate::storage::StoreError;

/// Exit statuses shared by every command.
pub mod exit {
    pub const OK: u8 = 0;
    pub const FAILED: u8 = 1;
    pub const UNREADABLE: u8 = 2;
    pub const PARTIAL: u8 = 3;
    pub const BUSY: u8 = 4;
}

/// The data directory: `--data` or the platform's data directory.
pub fn data_dir(cli: &Cli) -> PathBuf {
    cli.data.clone().unwrap_or_else(|| {
        directories::ProjectDirs::from("cn", "jiedai", "jiedai")
            .map(|p| p.data_dir().to_path_buf())
            .unwrap_or_else(|| PathBuf::from("jiedai-data"))
    })
}

/// The county office's data directory: `--data`, or `county` beside the
/// platform's station data directory.
#[cfg(feature = "county")]
pub fn county_dir(cli: &Cli) -> PathBuf {
    cli.data.clone().unwrap_or_else(|| {
        directories::ProjectDirs::from("cn", "jiedai", "jiedai")
            .map(|p| p.data_dir().join("county"))
            .unwrap_or_else(|| PathBuf::from("jiedai-county"))
    })
}

/// Writes a line to standard output. False when nobody reads any more
/// (the pipe was closed, as by `| head -1`): callers stop quietly. Never
/// panics, unlike `println!`.
pub fn out(line: impl std::fmt::Display) -> bool {
    use std::io::Write;
    writeln!(std::io::stdout().lock(), "{line}").is_ok()
}

/// Writes a line to standard error; a closed standard error is ignored.
pub fn say(line: impl std::fmt::Display) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

/// Prints a store error in the user's language and picks the exit status
/// for it.
pub fn report_store_error(e: &StoreError, lang: Lang) -> ExitCode {
    say(format_args!("jiedai: {}", e.message(lang)));
    match e {
        StoreError::Busy(_) => ExitCode::from(exit::BUSY),
        _ => ExitCode::from(exit::FAILED),
    }
}

/// `JIEDAI_NOW` (an RFC 3339 time) fixes the clock the whole process
/// reads, for tests and demonstrations of another day or hour.
fn fix_clock(lang: Lang) -> Result<(), ExitCode> {
    let Some(text) = std::env::var_os("JIEDAI_NOW") else {
        return Ok(());
    };
    let text = text.to_string_lossy();
    match chrono::DateTime::parse_from_rfc3339(text.trim()) {
        Ok(at) => {
            crate::domain::clock::fix_now(at.to_utc());
            Ok(())
        }
        Err(_) => {
            say(format_args!(
                "jiedai: {}",
                lang.pick(
                    format!("JIEDAI_NOW=“{text}”：应为 RFC 3339 时间，例如 2026-12-06T20:00:00Z"),
                    format!("JIEDAI_NOW=\"{text}\": expected an RFC 3339 time such as 2026-12-06T20:00:00Z"),
                )
            ));
            Err(ExitCode::from(exit::UNREADABLE))
        }
    }
}

pub fn run(cli: Cli) -> ExitCode {
    let dir = data_dir(&cli);
    let lang = cli.lang;
    if let Err(code) = fix_clock(lang) {
        return code;
    }
    match &cli.command {
        None => kiosk::run(&dir, lang, cli.keymap.as_deref()),
        Some(Command::Demo { printer }) => demo::run(lang, cli.keymap.as_deref(), printer.as_deref()),
        Some(Command::Init {
            station,
            terminal,
            reconfigure,
            change_terminal,
        }) => init::run(
            &dir,
            station,
            init::Wanted {
                terminal: *terminal,
                reconfigure: *reconfigure,
                change_terminal: *change_terminal,
            },
            lang,
        ),
        Some(Command::Import {
            what: ImportWhat::Deputies { file, from_line },
        }) => import::deputies(&dir, file, from_line.unwrap_or(0), lang),
        Some(Command::Import {
            what: ImportWhat::Appeals { file, from_line },
        }) => import::appeals(&dir, file, from_line.unwrap_or(0), lang),
        Some(Command::Export {
            what: ExportWhat::Appeals { format, out },
        }) => export::appeals(&dir, *format, out.as_deref(), lang),
        Some(Command::Export {
            what: ExportWhat::Ledgers(args),
        }) => export::ledgers(&dir, args, lang),
        Some(Command::Find { query, status, json }) => {
            find::run(&dir, &query.join(" "), status.as_deref(), *json, lang)
        }
        Some(Command::Check {
            rebuild,
            drop_damaged_records,
            journal_from_database,
        }) => check::run(
            &dir,
            check::Repair::from_flags(*rebuild, *drop_damaged_records, *journal_from_database),
            lang,
        ),
        Some(Command::Print { what }) => match what {
            PrintWhat::Receipt { code, printer } => print::receipt(&dir, code, printer.as_deref(), lang),
            PrintWhat::Test { printer } => print::test(&dir, printer.as_deref(), lang),
            PrintWhat::Form { visit, printer } => {
                print::form(&dir, visit.as_deref(), printer.as_deref(), lang)
            }
            PrintWhat::Points { quarter, printer } => print::points(&dir, quarter, printer.as_deref(), lang),
            PrintWhat::Retry { printer } => print::retry(&dir, printer.as_deref(), lang),
        },
        Some(Command::Qr { what }) => match what {
            QrWhat::Deputy { id, out } => qr::deputy(&dir, id, out, lang),
            QrWhat::Station { out } => qr::station(&dir, out, lang),
        },
        Some(Command::Enroll { file }) => sync::enroll(&dir, file, lang),
        Some(Command::Sync { attempts }) => sync::run(&dir, *attempts, lang),
        #[cfg(feature = "county")]
        Some(Command::County { db, time_zone, what }) => {
            let zone = match time_zone
                .as_deref()
                .map(|z| crate::domain::Zone::parse(z, "--time-zone"))
                .transpose()
            {
                Ok(zone) => zone,
                Err(e) => {
                    say(format_args!("jiedai: {}", e.message(lang)));
                    return ExitCode::from(exit::UNREADABLE);
                }
            };
            county::run(&county_dir(&cli), db.as_deref(), zone, what, lang)
        }
    }
}

/// Sets up logging into `<data dir>/jiedai.log` (never to the screen).
/// A directory that does not exist is not created for it (a mistyped
/// `--data` must not leave an empty station behind).
/// A command that only reads (`quiet`) logs warnings and errors only.
pub fn init_logging(dir: &Path, quiet: bool) {
    if !dir.is_dir() {
        return;
    }
    let path = crate::storage::Paths::new(dir).log();
    if let Ok(file) = std::fs::OpenOptions::new().create(true).append(true).open(&path) {
        let level = if quiet {
            log::LevelFilter::Warn
        } else {
            log::LevelFilter::Info
        };
        let _ = simplelog::WriteLogger::init(level, simplelog::Config::default(), file);
    }
}

/// Whether the command runs the county's server (which sets up its own
/// logging).
pub fn county_serving(cli: &Cli) -> bool {
    #[cfg(feature = "county")]
    if let Some(Command::County {
        what: crate::cli::CountyWhat::Serve { .. },
        ..
    }) = &cli.command
    {
        return true;
    }
    let _ = cli;
    false
}

/// The county's logging: the server (`serving`) logs through `tracing`
/// into `<data dir>/jiedai.log` (its requests in spans with their ids;
/// `log` records bridged in; `JIEDAI_LOG` filters, `info` by default);
/// the staff commands log as every command does (`init_logging`).
#[cfg(feature = "county")]
pub fn init_county_logging(dir: &Path, serving: bool) {
    if !serving || !dir.is_dir() {
        return init_logging(dir, false);
    }
    use tracing_subscriber::util::SubscriberInitExt;
    let path = crate::storage::Paths::new(dir).log();
    let Ok(file) = std::fs::OpenOptions::new().create(true).append(true).open(&path) else {
        return;
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("JIEDAI_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_writer(std::sync::Mutex::new(file))
        .with_ansi(false)
        .with_env_filter(filter)
        .finish()
        .try_init();
}

/// Prints replay progress on standard error when it is a terminal.
pub fn progress_printer(lang: Lang) -> impl Fn(u64, u64) {
    use std::io::IsTerminal;
    let tty = std::io::stderr().is_terminal();
    move |done, total| {
        if tty && total > 0 {
            let what = lang.pick(
                "正在按日志更新数据库…",
                "Bringing the database up to date from the journal…",
            );
            use std::io::Write;
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\r{what} {:>3}%", done.min(total) * 100 / total);
            if done >= total {
                let _ = writeln!(err);
            }
        }
    }
}

/// Opens the store for reading only (find, export): the journal is never
/// changed; showing progress if the database must catch up.
pub fn open_store_read(dir: &Path, lang: Lang) -> Result<crate::storage::Store, StoreError> {
    crate::storage::Store::open_with(dir, crate::storage::Mode::Read, &progress_printer(lang))
        .inspect(|store| say_rebuilt(store, lang))
}

/// Says on standard error that the database was rebuilt by itself.
fn say_rebuilt(store: &crate::storage::Store, lang: Lang) {
    for note in &store.recovery {
        if matches!(note, crate::storage::Recovery::DatabaseRebuilt { .. }) {
            say(format_args!("jiedai: {}", note.message(lang)));
        }
    }
}

/// Opens the store, showing progress if the database must catch up.
pub fn open_store(dir: &Path, lang: Lang) -> Result<crate::storage::Store, StoreError> {
    crate::storage::Store::open_reporting(dir, &progress_printer(lang))
        .inspect(|store| say_rebuilt(store, lang))
}
