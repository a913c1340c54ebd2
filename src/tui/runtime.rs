//! The kiosk's loop. Everything that reaches it is a `Msg` on one channel:
//! keys and pastes from the input thread, the catalog from its loader, the
//! outcome of each save from the store's writer, the printer's and the
//! sync's progress from their workers. The loop hands each message to
//! `update`, carries out the effects it returns, and draws once the
//! channel is drained. Nothing here waits on a disk: saves go to the
//! writer thread and come back as messages.

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
use crate::print::worker::PrintWorker;
use crate::storage::writer::BeforeSave;
use crate::storage::{Store, StoreError, Writer, WriterThread};
use crate::sync::control;
use crate::sync::worker::{Job, Settings, SyncHandle, SyncWorker, Trigger};

/// Tries of a sync staff asked for (the first and two more after a
/// network failure, with growing waits).
const STAFF_ATTEMPTS: u32 = 3;

/// The model, its message channel and the handle on the store's writer.
pub struct Runtime {
    pub app: App,
    tx: Sender<Msg>,
    rx: Receiver<Msg>,
    writer: Writer,
    printer: PrintWorker,
    /// Dropped last: closing waits for it to stop.
    syncer: SyncWorker,
}

/// A kiosk started over a store: its runtime and the writer thread that
/// now owns the store (see `Runtime::close`).
pub struct Started {
    pub runtime: Runtime,
    pub writer: WriterThread,
}

/// Starts a kiosk model over an open store: the store moves to its writer
/// thread, the catalog starts loading. `before_save` runs on the writer
/// thread before each save (tests use it to stand for a slow disk).
pub fn start(
    store: Store,
    lang: Lang,
    keymap: Keymap,
    clock: Clock,
    before_save: Option<BeforeSave>,
) -> Result<Started, StoreError> {
    let reader = store.reader();
    let dir = reader.dir().to_path_buf();
    let app = App::new(reader, lang, keymap, clock)?;
    let (writer, thread) = Writer::spawn_with(store, before_save).map_err(|e| StoreError::io(&dir, e))?;
    let runtime = Runtime::new(app, writer).map_err(|e| StoreError::io(&dir, e))?;
    Ok(Started {
        runtime,
        writer: thread,
    })
}

impl Runtime {
    /// Wraps a model and starts loading its catalog in the background.
    pub fn new(app: App, writer: Writer) -> std::io::Result<Runtime> {
        let (tx, rx) = mpsc::channel();
        let reader = app.reader.clone();
        let loaded = tx.clone();
        std::thread::Builder::new()
            .name("catalog".into())
            .spawn(move || {
                let _ = loaded.send(Msg::CatalogLoaded(reader.load_catalog()));
            })?;
        let dir = app.reader.dir().to_path_buf();
        let printer = PrintWorker::spawn(app.reader.clone(), writer.clone(), dir.clone(), app.lang)?;
        let clock = app.clock;
        let mut settings = Settings::new(app.lang, app.sync.window, Box::new(move || clock.now()));
        settings.news_days = super::app::COUNTY_NEWS_DAYS;
        settings.after_save = app.station.sync.after_save();
        let news = tx.clone();
        let syncer = SyncWorker::spawn(app.reader.clone(), writer.clone(), dir, settings, move |n| {
            let _ = news.send(Msg::Sync(n));
        })?;
        let mut app = app;
        app.refresh_sync();
        Ok(Runtime {
            app,
            tx,
            rx,
            writer,
            printer,
            syncer,
        })
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

    /// A handle for asking the sync worker for a sync (the control socket).
    pub fn sync_handle(&self) -> SyncHandle {
        self.syncer.handle()
    }

    /// Handles one message and carries out its effects.
    pub fn dispatch(&mut self, msg: Msg) {
        for effect in update(&mut self.app, msg) {
            self.run(effect);
        }
    }

    fn run(&mut self, effect: Effect) {
        match effect {
            Effect::Save { ticket, request } => {
                let tx = self.tx.clone();
                let sync = self.syncer.handle();
                self.writer.send(request, move |outcome| {
                    if outcome.is_ok() {
                        // Sent to the county soon, quietly (when enrolled).
                        sync.saved();
                    }
                    let _ = tx.send(Msg::Saved { ticket, outcome });
                });
            }
            Effect::Print { actor, code } => {
                let tx = self.tx.clone();
                let asked = code.clone();
                self.printer.receipt(&actor, &code, move |outcome| {
                    let _ = tx.send(Msg::Printed { code: asked, outcome });
                });
            }
            Effect::Sync => self.syncer.request(Job {
                trigger: Trigger::Staff,
                attempts: STAFF_ATTEMPTS,
                reply: None,
            }),
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

    /// Handles messages until the catalog has loaded and every save sent
    /// has come back (tests, benchmarks).
    pub fn settle(&mut self) {
        while self.app.catalog_loading || !self.app.saving.is_empty() || !self.app.printing.is_empty() {
            self.pump(Duration::from_millis(50));
        }
    }

    /// Ends the kiosk: stops the sync worker (between requests), waits for
    /// the saves still queued and closes the store cleanly.
    pub fn close(self, writer: WriterThread) {
        drop(self);
        writer.finish();
    }
}

/// Runs the kiosk on a store its caller opened, until the user quits.
pub fn run_kiosk(
    store: Store,
    lang: Lang,
    keymap: Keymap,
    clock: Clock,
    warning: Option<String>,
) -> Result<(), super::KioskError> {
    // A database rebuilt by itself at start is said first.
    let rebuilt = store
        .recovery
        .iter()
        .find(|r| matches!(r, crate::storage::Recovery::DatabaseRebuilt { .. }))
        .map(|r| r.message(lang));
    let Started { mut runtime, writer } =
        start(store, lang, keymap, clock, None).map_err(super::KioskError::Store)?;
    let app = &mut runtime.app;
    let keymap_note = warning.map(|w| format!("{}{}{w}", app.t.keymap_warning, lang.pick("：", ": ")));
    let notes: Vec<String> = rebuilt.into_iter().chain(keymap_note).collect();
    if !notes.is_empty() {
        app.say(super::app::Tone::Warn, notes.join(lang.pick("；", "; ")));
    }
    // `jiedai sync` asks the kiosk through this socket while it holds the
    // data directory; without it the command says the directory is busy.
    let dir = runtime.app.reader.dir().to_path_buf();
    let listener = match control::Listener::start(&dir, runtime.sync_handle()) {
        Ok(l) => Some(l),
        Err(e) => {
            log::warn!("no control socket in {}: {e}", dir.display());
            None
        }
    };
    let result = drive(&mut runtime);
    drop(listener);
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
