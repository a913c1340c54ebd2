//! The kiosk's loop. Everything that reaches it is a `Msg` on one channel:
//! keys and pastes from the input thread, the catalog from its loader, the
//! outcome of each save from the store's writer, what its background jobs
//! (`crate::jobs`: the printer, the sync, built by whoever starts the
//! kiosk) report. The loop hands each message to `update`, carries out the
//! effects it returns, and draws once the channel is drained. Nothing here
//! waits on a disk or a network: saves go to the writer thread, the jobs
//! run on their own, and both come back as messages.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::time::Duration;

use crossterm::event::{self, Event};

use super::app::{App, Clock};
use super::keymap::Keymap;
use super::msg::{Effect, Msg};
use super::update::update;
use crate::i18n::Lang;
use crate::jobs::print::{NoPrinter, PrintAsk, PrintReply};
use crate::jobs::sync::Trigger;
use crate::jobs::{Failure, Jobs};
use crate::storage::Running;
use crate::storage::{Reader, StoreError, Writer, WriterThread};

/// The model, its message channel, the handle on the store's writer and
/// the background jobs.
pub struct Runtime {
    pub app: App,
    tx: Sender<Msg>,
    rx: Receiver<Msg>,
    writer: Writer,
    /// Dropped with the runtime: closing waits for the sync to stop.
    jobs: Jobs,
}

/// What the kiosk's background jobs start with: the model as it opens
/// (its language, clock, station), the store's reader and writer, and the
/// channel their news goes into.
pub struct Wiring<'a> {
    pub app: &'a App,
    pub reader: Reader,
    pub writer: Writer,
    pub tx: Sender<Msg>,
}

/// Starts the jobs of a kiosk.
pub type StartJobs<'a> = Box<dyn FnOnce(Wiring) -> std::io::Result<Jobs> + 'a>;

/// A kiosk started over a store: its runtime and the writer thread that
/// now owns the store (see `Runtime::close`).
pub struct Started {
    pub runtime: Runtime,
    pub writer: WriterThread,
}

/// Starts a kiosk model over a store on its writer thread, without
/// background jobs (no printer, no sync: screens drawn for tests and
/// benchmarks). The catalog starts loading.
pub fn start(running: Running, lang: Lang, keymap: Keymap, clock: Clock) -> Result<Started, StoreError> {
    start_with(running, lang, keymap, clock, Box::new(|_| Ok(Jobs::default())))
}

/// `start`, with the jobs `jobs` starts beside the kiosk.
pub fn start_with(
    running: Running,
    lang: Lang,
    keymap: Keymap,
    clock: Clock,
    jobs: StartJobs,
) -> Result<Started, StoreError> {
    let Running {
        reader,
        writer,
        thread,
        ..
    } = running;
    let dir = reader.dir().to_path_buf();
    let app = App::new(reader, lang, keymap, clock)?;
    let runtime = Runtime::new(app, writer, jobs).map_err(|e| StoreError::io(&dir, e))?;
    Ok(Started {
        runtime,
        writer: thread,
    })
}

impl Runtime {
    /// Wraps a model, starts loading its catalog in the background and
    /// starts its jobs.
    pub fn new(app: App, writer: Writer, jobs: StartJobs) -> std::io::Result<Runtime> {
        let (tx, rx) = mpsc::channel();
        let reader = app.reader.clone();
        let loaded = tx.clone();
        std::thread::Builder::new()
            .name("catalog".into())
            .spawn(move || {
                let _ = loaded.send(Msg::CatalogLoaded(reader.load_catalog()));
            })?;
        let jobs = jobs(Wiring {
            app: &app,
            reader: app.reader.clone(),
            writer: writer.clone(),
            tx: tx.clone(),
        })?;
        let mut runtime = Runtime {
            app,
            tx,
            rx,
            writer,
            jobs,
        };
        runtime.app.refresh_sync();
        for effect in runtime.app.take_effects() {
            runtime.run(effect);
        }
        Ok(runtime)
    }

    /// A sender for another source of messages (the input thread, a
    /// worker).
    pub fn sender(&self) -> Sender<Msg> {
        self.tx.clone()
    }

    /// A handle on the store's writer, for a worker that saves beside the
    /// kiosk.
    pub fn writer(&self) -> Writer {
        self.writer.clone()
    }

    /// Handles one message and carries out its effects.
    pub fn dispatch(&mut self, msg: Msg) {
        if let (Msg::Saved { outcome: Ok(_), .. }, Some(sync)) = (&msg, &self.jobs.sync) {
            // Sent to the county soon, quietly (when enrolled).
            sync.saved();
        }
        for effect in update(&mut self.app, msg) {
            self.run(effect);
        }
    }

    fn run(&mut self, effect: Effect) {
        match effect {
            Effect::Save { ticket, request } => {
                let tx = self.tx.clone();
                self.writer.send(request, move |outcome| {
                    let _ = tx.send(Msg::Saved { ticket, outcome });
                });
            }
            Effect::Print { actor, what } => {
                let tx = self.tx.clone();
                let asked = what.clone();
                let reply: PrintReply = Box::new(move |outcome| {
                    let _ = tx.send(Msg::Printed { what: asked, outcome });
                });
                match &self.jobs.printer {
                    Some(printer) => printer.print(PrintAsk { actor, what }, reply),
                    None => reply(Err(Failure::new(NoPrinter))),
                }
            }
            Effect::Sync => {
                if let Some(sync) = &self.jobs.sync {
                    sync.trigger(Trigger::Staff);
                }
            }
            Effect::SyncOverview => match &self.jobs.sync {
                Some(sync) => sync.refresh(),
                // Nothing will answer.
                None => self.app.sync.overview_asked = false,
            },
        }
    }

    /// Waits up to `wait` for a message, then handles it and every other
    /// message already queued. Returns whether anything was handled (so
    /// the screen needs drawing).
    pub fn pump(&mut self, wait: Duration) -> bool {
        let first = match self.rx.recv_timeout(wait) {
            Ok(msg) => msg,
            Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => return false,
        };
        self.dispatch(first);
        while !self.app.quit {
            match self.rx.try_recv() {
                Ok(msg) => self.dispatch(msg),
                Err(_) => break,
            }
        }
        true
    }

    /// Handles messages until the catalog has loaded and every save,
    /// receipt and overview asked for has come back (tests, benchmarks).
    pub fn settle(&mut self) {
        while self.app.catalog_loading
            || !self.app.saving.is_empty()
            || !self.app.printing.is_empty()
            || self.app.sync.overview_asked
        {
            self.pump(Duration::from_millis(50));
        }
    }

    /// Ends the kiosk: stops its jobs (the sync between requests), waits
    /// for the saves still queued and closes the store cleanly.
    pub fn close(self, writer: WriterThread) {
        drop(self);
        writer.finish();
    }
}

/// Runs the kiosk on a store on its writer thread, with the jobs `jobs`
/// starts, until the user quits.
pub fn run_kiosk(
    running: Running,
    lang: Lang,
    keymap: Keymap,
    clock: Clock,
    warning: Option<String>,
    jobs: StartJobs,
) -> Result<(), super::KioskError> {
    // A database rebuilt by itself at start is said first.
    let rebuilt = running
        .recovery
        .iter()
        .find(|r| matches!(r, crate::storage::Recovery::DatabaseRebuilt { .. }))
        .map(|r| r.message(lang));
    let Started { mut runtime, writer } =
        start_with(running, lang, keymap, clock, jobs).map_err(super::KioskError::Store)?;
    let app = &mut runtime.app;
    let keymap_note = warning.map(|w| format!("{}{}{w}", app.t.keymap_warning, lang.pick("：", ": ")));
    let notes: Vec<String> = rebuilt.into_iter().chain(keymap_note).collect();
    if !notes.is_empty() {
        app.say(super::app::Tone::Warn, notes.join(lang.pick("；", "; ")));
    }
    let result = drive(&mut runtime);
    // The screen is given back already: say what the close waits for.
    if runtime.app.sync.running.is_some() {
        use std::io::Write;
        let _ = writeln!(std::io::stderr(), "jiedai: {}", runtime.app.t.sync_stopping);
    }
    runtime.close(writer);
    result.map_err(super::KioskError::Terminal)
}

fn drive(runtime: &mut Runtime) -> std::io::Result<()> {
    let mut term = super::terminal::Terminal::enter()?;
    let stop = Arc::new(AtomicBool::new(false));
    let (width, height) = crossterm::terminal::size()?;
    runtime.dispatch(Msg::Resize { width, height });
    let input = spawn_input(runtime.sender(), stop.clone())?;
    let signals = spawn_signals(runtime.sender())?;
    let mut result = Ok(());
    term.draw(|f| super::views::draw(f, &runtime.app))?;
    while !runtime.app.quit {
        if runtime.pump(Duration::from_millis(250)) {
            if let Some(e) = runtime.app.terminal_lost.take() {
                result = Err(e);
                break;
            }
            term.draw(|f| super::views::draw(f, &runtime.app))?;
        }
    }
    stop.store(true, Ordering::Relaxed);
    signals.close();
    let _ = input.join();
    result
}

/// Turns SIGTERM and SIGHUP into `Msg::Stop`, so that the kiosk ends
/// through its own loop: the save in flight lands, the store closes, the
/// terminal is given back.
fn spawn_signals(tx: Sender<Msg>) -> std::io::Result<signal_hook::iterator::Handle> {
    use signal_hook::consts::{SIGHUP, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGHUP, SIGTERM])?;
    let handle = signals.handle();
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            if signals.forever().next().is_some() {
                let _ = tx.send(Msg::Stop);
            }
        })?;
    Ok(handle)
}

/// Reads the terminal's events on their own thread and sends them on as
/// messages, until `stop` is set.
fn spawn_input(tx: Sender<Msg>, stop: Arc<AtomicBool>) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new().name("input".into()).spawn(move || {
        while !stop.load(Ordering::Relaxed) {
            let msg = match event::poll(Duration::from_millis(100)) {
                Ok(false) => continue,
                Ok(true) => match event::read() {
                    Ok(Event::Key(k)) => Msg::Key(k),
                    Ok(Event::Paste(text)) => Msg::Paste(text),
                    Ok(Event::Resize(width, height)) => Msg::Resize { width, height },
                    Ok(_) => continue,
                    Err(e) => Msg::TerminalLost(e),
                },
                Err(e) => Msg::TerminalLost(e),
            };
            let lost = matches!(msg, Msg::TerminalLost(_));
            if tx.send(msg).is_err() || lost {
                return;
            }
        }
    })
}
