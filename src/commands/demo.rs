//! `jiedai demo`: the kiosk on a fresh temporary station seeded from the
//! sample data built into the binary (so it works from any directory).
//! The directory is removed when the kiosk closes, and also when the
//! process is told to stop (SIGHUP from a closed terminal window, SIGTERM,
//! SIGINT): a thread waiting for those signals gives the terminal back,
//! removes the directory and exits.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::{exit, import, init, report_store_error};
use crate::i18n::Lang;

const STATION: &str = include_str!("../../sample-data/station.toml");
const DEPUTIES: &str = include_str!("../../sample-data/deputies.csv");
const APPEALS: &str = include_str!("../../sample-data/appeals.csv");

/// Writes the sample files into `dir/sample` and seeds a station from them.
pub fn seed(dir: &Path, lang: Lang) -> Result<(), ExitCode> {
    let sample = dir.join("sample");
    let write = |name: &str, text: &str| {
        std::fs::create_dir_all(&sample)
            .and_then(|_| std::fs::write(sample.join(name), text))
            .map_err(|e| {
                eprintln!("jiedai: {}: {e}", sample.join(name).display());
                ExitCode::from(exit::FAILED)
            })
    };
    write("station.toml", STATION)?;
    write("deputies.csv", DEPUTIES)?;
    write("appeals.csv", APPEALS)?;
    let station = init::read_station(&sample.join("station.toml")).map_err(|e| {
        eprintln!("jiedai: {}", e.message(lang));
        ExitCode::from(exit::FAILED)
    })?;
    init::setup(dir, station, 1).map_err(|e| report_store_error(&e, lang))?;
    for (name, run) in [
        (
            "deputies.csv",
            import::deputies as fn(&Path, &Path, u64, Lang) -> ExitCode,
        ),
        ("appeals.csv", import::appeals),
    ] {
        let code = run(dir, &sample.join(name), 0, lang);
        if code != ExitCode::SUCCESS {
            eprintln!("jiedai: demo data {name} did not import completely");
            return Err(code);
        }
    }
    Ok(())
}

/// Marks the data directory as the demo's (a missing printer is then
/// explained with `demo --printer`, not with a file in a directory that
/// is gone when the demo closes) and sets its printer, if given.
fn set_printer(dir: &Path, printer: Option<&str>) -> std::io::Result<()> {
    let path = dir.join("terminal.toml");
    let mut table: toml::Table = toml::from_str(&std::fs::read_to_string(&path)?)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e.message().to_string()))?;
    table.insert("demo".into(), toml::Value::Boolean(true));
    if let Some(target) = printer {
        let mut settings = toml::Table::new();
        settings.insert("target".into(), toml::Value::String(target.trim().to_string()));
        table.insert("printer".into(), toml::Value::Table(settings));
    }
    std::fs::write(&path, toml::to_string(&table).unwrap_or_default())
}

pub fn run(lang: Lang, keymap: Option<&str>, printer: Option<&str>) -> ExitCode {
    // A printer that cannot be used is said before anything is prepared.
    if let Some(Err(e)) = printer.map(crate::print::target::Target::parse) {
        eprintln!("jiedai: {}", e.message(lang));
        return ExitCode::from(exit::UNREADABLE);
    }
    let dir = match tempfile::Builder::new().prefix("jiedai-demo-").tempdir() {
        Ok(d) => d,
        Err(e) => {
            let words = crate::i18n::os_words(&e, lang);
            let tmp = std::env::temp_dir();
            eprintln!(
                "jiedai: {}",
                lang.pick(
                    format!("无法在 {} 中创建临时目录：{words}", tmp.display()),
                    format!(
                        "cannot create a temporary directory in {}: {words}",
                        tmp.display()
                    ),
                )
            );
            return ExitCode::from(exit::FAILED);
        }
    };
    super::init_logging(dir.path(), false);
    eprintln!(
        "{}",
        lang.pick(
            format!("正在准备演示站点（{}）…", dir.path().display()),
            format!("Preparing the demo station ({})…", dir.path().display()),
        )
    );
    if let Err(e) = remove_on_signals(dir.path().to_path_buf()) {
        log::warn!("demo: cannot watch for signals: {e}");
    }
    if let Err(code) = seed(dir.path(), lang) {
        return code;
    }
    if let Err(e) = set_printer(dir.path(), printer) {
        eprintln!("jiedai: {}: {e}", dir.path().join("terminal.toml").display());
        return ExitCode::from(exit::FAILED);
    }
    super::kiosk::run(dir.path(), lang, keymap)
}

/// On SIGHUP, SIGTERM or SIGINT: gives the terminal back (the kiosk may
/// hold it in raw mode), removes the demo directory and exits with
/// 128 + the signal's number, as a shell reports a process a signal ended.
fn remove_on_signals(dir: PathBuf) -> std::io::Result<()> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGHUP, SIGTERM, SIGINT])?;
    std::thread::Builder::new()
        .name("demo-signals".into())
        .spawn(move || {
            if let Some(signal) = signals.forever().next() {
                give_terminal_back();
                remove(&dir);
                std::process::exit(128 + signal);
            }
        })?;
    Ok(())
}

/// What the kiosk's terminal guard does on a normal exit.
fn give_terminal_back() {
    use std::io::IsTerminal;
    if std::io::stdout().is_terminal() {
        crate::tui::restore_terminal();
    }
}

/// Removes the directory; other threads may still be writing into it, so
/// a removal that meets a file made meanwhile is tried again.
fn remove(dir: &Path) {
    for _ in 0..20 {
        match std::fs::remove_dir_all(dir) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            _ => return,
        }
    }
}
