//! `jiedai` with no subcommand: the kiosk on a data directory, with its
//! background jobs (the receipt printer, the sync with the county and the
//! control socket `jiedai sync` asks it through) wired to it.

use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;

use super::{exit, open_store, report_store_error};
use crate::i18n::Lang;
use crate::jobs::Jobs;
use crate::jobs::sync::{SyncJob, Trigger};
use crate::print::worker::PrintWorker;
use crate::storage::{StoreError, Writer};
use crate::sync::control;
use crate::sync::worker::{Settings, SyncWorker};
use crate::tui::KioskError;
use crate::tui::app::COUNTY_NEWS_DAYS;
use crate::tui::msg::Msg;
use crate::tui::runtime::{StartJobs, Wiring};

/// Opens the station and runs the kiosk until the user quits.
pub fn run(dir: &Path, lang: Lang, keymap_choice: Option<&str>) -> ExitCode {
    if !std::io::stdout().is_terminal() {
        eprintln!(
            "jiedai: {}",
            lang.pick(
                "接待终端需要在终端窗口中运行（标准输出不是终端）。其他功能请用子命令，见 jiedai --help。",
                "the kiosk needs a terminal (standard output is not one). See jiedai --help for the other commands.",
            )
        );
        return ExitCode::from(exit::FAILED);
    }
    let store = match open_store(dir, lang) {
        Ok(s) => s,
        Err(e) => return report_store_error(&e, lang),
    };
    let running = match Writer::start(store, None) {
        Ok(r) => r,
        Err(e) => return report_store_error(&StoreError::io(dir, e), lang),
    };
    match crate::tui::run_kiosk(running, lang, keymap_choice, Box::new(|w| start_jobs(w, true))) {
        Ok(()) => ExitCode::SUCCESS,
        Err(KioskError::Store(e)) => report_store_error(&e, lang),
        Err(KioskError::Terminal(e)) => {
            eprintln!("jiedai: {e}");
            ExitCode::from(exit::FAILED)
        }
    }
}

/// What starts the kiosk's printer and sync beside
/// `tui::runtime::start_with`, as `run` does but without the control
/// socket (tests, benchmarks).
pub fn jobs() -> StartJobs<'static> {
    Box::new(|w| start_jobs(w, false))
}

/// The kiosk's printer and sync; their news goes into the kiosk's
/// channel. With `listen`, the sync also takes `jiedai sync`'s requests
/// through the control socket: without it the command says the data
/// directory is busy.
fn start_jobs(w: Wiring, listen: bool) -> std::io::Result<Jobs> {
    let dir = w.reader.dir().to_path_buf();
    let lang = w.app.lang;
    let printer = PrintWorker::spawn(w.reader.clone(), w.writer.clone(), dir.clone(), lang)?;
    let clock = w.app.clock;
    let mut settings = Settings::new(lang, w.app.sync.window, Box::new(move || clock.now()));
    settings.news_days = COUNTY_NEWS_DAYS;
    settings.after_save = w.app.station.sync.after_save();
    let tx = w.tx;
    let worker = SyncWorker::spawn(w.reader, w.writer, dir.clone(), settings, move |n| {
        let _ = tx.send(Msg::Sync(n));
    })?;
    let listener = if listen {
        match control::Listener::start(&dir, worker.handle()) {
            Ok(l) => Some(l),
            Err(e) => {
                log::warn!("no control socket in {}: {e}", dir.display());
                None
            }
        }
    } else {
        None
    };
    Ok(Jobs {
        printer: Some(Box::new(printer)),
        sync: Some(Box::new(KioskSync {
            _listener: listener,
            worker,
        })),
    })
}

/// The sync worker with the control socket that passes `jiedai sync`'s
/// requests to it; the socket closes first.
struct KioskSync {
    _listener: Option<control::Listener>,
    worker: SyncWorker,
}

impl SyncJob for KioskSync {
    fn trigger(&self, trigger: Trigger) {
        self.worker.trigger(trigger);
    }

    fn saved(&self) {
        self.worker.saved();
    }

    fn refresh(&self) {
        self.worker.refresh();
    }
}
