//! The store behind one writer thread. Any part of the program (the kiosk
//! now, the printer and sync workers next) sends a `Request` with a reply
//! callback; the thread saves requests one at a time, in the order they
//! were sent, and gives each outcome to its callback. Nobody else waits on
//! a disk: the kiosk turns the outcome into a message and carries on
//! drawing while the fsync runs.
//!
//! Reads do not go through the writer: a `Reader` on the same database sees
//! each commit as a whole once it is applied.

use std::sync::mpsc;
use std::thread::JoinHandle;

use chrono::{DateTime, FixedOffset};

use super::print_jobs::PrintJob;
use super::sync_state::SyncRecord;
use super::{Reader, Recovery, Store, StoreError, clone_cause};
use crate::domain::desk::{self, Registration};
use crate::domain::{Change, Event};

/// What a writer is asked to save.
#[derive(Debug)]
pub enum Request {
    /// Record these changes at `at`.
    Commit {
        actor: String,
        at: DateTime<FixedOffset>,
        changes: Vec<Change>,
    },
    /// Issue the registration's tracking codes on `at`'s day and record it
    /// (`desk::register`): codes are issued where they are saved, so two
    /// registrations never take the same code.
    Register {
        actor: String,
        at: DateTime<FixedOffset>,
        registration: Registration,
    },
    /// Give an appeal saved before access keys existed its key (recorded
    /// as an event); nothing is recorded when it has one.
    IssueAccessKey { actor: String, code: String },
    /// Take the county's events for this station (`Store::apply_feed`).
    ApplyFeed {
        origin: String,
        events: Vec<Box<serde_json::value::RawValue>>,
    },
    /// Record a print job as it now stands, a new one included
    /// (`DIR/print-jobs.json`, beside the journal).
    PrintJob(PrintJob),
    /// Record the sync's position or outcome in its file, in order with
    /// the saves (`SyncState::record`).
    RecordSync(SyncRecord),
}

/// A request that was saved.
#[derive(Debug)]
pub struct Saved {
    /// The events recorded, in order.
    pub events: Vec<Event>,
    /// Codes of the appeals that changed.
    pub touched: Vec<String>,
    /// Set when the change is saved but saving has stopped since (the
    /// database write failed after the journal had it).
    pub stopped: Option<StoreError>,
}

/// Why a request was not saved; `Display` is the English message.
#[derive(Debug, thiserror::Error)]
#[error("{}", self.message(crate::i18n::Lang::En))]
pub enum WriteError {
    Store(#[source] StoreError),
    /// The desk's rules refused the input.
    Desk(desk::DeskError),
    /// The writer thread is gone (it stopped after a panic).
    Gone,
}

impl WriteError {
    pub fn message(&self, lang: crate::i18n::Lang) -> String {
        match self {
            WriteError::Store(e) => e.message(lang),
            WriteError::Desk(e) => e.message(lang),
            WriteError::Gone => lang
                .pick(
                    "保存程序已停止，请重启本终端（已保存的记录不受影响）",
                    "the saving thread has stopped; restart this terminal (what was saved is kept)",
                )
                .to_string(),
        }
    }
}

pub type Outcome = Result<Saved, WriteError>;

type Reply = Box<dyn FnOnce(Outcome) + Send>;

/// Runs before each save: a test can hold the writer back to stand for a
/// slow disk.
pub type BeforeSave = Box<dyn FnMut() + Send>;

/// A handle for sending requests; cheap to clone, one per worker.
#[derive(Clone)]
pub struct Writer {
    tx: mpsc::Sender<(Request, Reply)>,
}

/// The writer thread. `finish` waits for every request sent before it and
/// closes the store cleanly (the counters' floors are settled then).
pub struct WriterThread {
    handle: JoinHandle<()>,
}

/// A store moved to its writer thread: what reads it, what saves to it,
/// the thread, and what its opening recovered. The kiosk runs on this,
/// never on the `Store` itself.
pub struct Running {
    pub reader: Reader,
    pub writer: Writer,
    pub thread: WriterThread,
    pub recovery: Vec<Recovery>,
}

impl Writer {
    /// Moves the store to its own thread.
    pub fn spawn(store: Store) -> std::io::Result<(Writer, WriterThread)> {
        Writer::spawn_with(store, None)
    }

    /// Moves the store to its own thread (with a hook that runs before
    /// each save) and keeps what reads it.
    pub fn start(mut store: Store, before: Option<BeforeSave>) -> std::io::Result<Running> {
        let reader = store.reader();
        let recovery = std::mem::take(&mut store.recovery);
        let (writer, thread) = Writer::spawn_with(store, before)?;
        Ok(Running {
            reader,
            writer,
            thread,
            recovery,
        })
    }

    /// Like `spawn`, with a hook that runs before each save.
    pub fn spawn_with(
        mut store: Store,
        mut before: Option<BeforeSave>,
    ) -> std::io::Result<(Writer, WriterThread)> {
        let (tx, rx) = mpsc::channel::<(Request, Reply)>();
        let handle = std::thread::Builder::new().name("writer".into()).spawn(move || {
            for (request, reply) in rx {
                if let Some(hook) = before.as_mut() {
                    hook();
                }
                reply(save(&mut store, request));
            }
        })?;
        Ok((Writer { tx }, WriterThread { handle }))
    }

    /// Sends a request; `reply` gets its outcome on the writer's thread.
    pub fn send(&self, request: Request, reply: impl FnOnce(Outcome) + Send + 'static) {
        if let Err(mpsc::SendError((_, reply))) = self.tx.send((request, Box::new(reply))) {
            reply(Err(WriteError::Gone));
        }
    }

    /// Sends a request and waits for its outcome (commands that have
    /// nothing else to do meanwhile).
    pub fn save(&self, request: Request) -> Outcome {
        let (tx, rx) = mpsc::sync_channel(1);
        self.send(request, move |outcome| {
            let _ = tx.send(outcome);
        });
        rx.recv().unwrap_or(Err(WriteError::Gone))
    }
}

impl WriterThread {
    /// Waits until every request sent so far is saved and the store is
    /// closed. Every `Writer` handle must be dropped first.
    pub fn finish(self) {
        if self.handle.join().is_err() {
            log::error!("the writer thread panicked");
        }
    }
}

/// What a write to a file beside the journal (print jobs, the sync's
/// position) answers: no events, and whether saves have stopped.
fn side_file_written(store: &Store) -> Saved {
    Saved {
        events: Vec::new(),
        touched: Vec::new(),
        stopped: store.stopped().map(clone_cause),
    }
}

fn save(store: &mut Store, request: Request) -> Outcome {
    let (actor, at, changes) = match request {
        Request::IssueAccessKey { actor, code } => {
            store.access_key(&actor, &code).map_err(WriteError::Store)?;
            return Ok(Saved {
                events: Vec::new(),
                touched: vec![code],
                stopped: store.stopped().map(clone_cause),
            });
        }
        Request::ApplyFeed { origin, events } => {
            let (events, touched) = store.apply_feed(&origin, events).map_err(WriteError::Store)?;
            return Ok(Saved {
                events,
                touched,
                stopped: store.stopped().map(clone_cause),
            });
        }
        Request::PrintJob(job) => {
            store
                .print_jobs()
                .and_then(|jobs| jobs.put(&job))
                .map_err(WriteError::Store)?;
            return Ok(side_file_written(store));
        }
        Request::RecordSync(record) => {
            let state = store.reader().sync_state().map_err(WriteError::Store)?;
            state.record(&record).map_err(WriteError::Store)?;
            return Ok(side_file_written(store));
        }
        Request::Commit { actor, at, changes } => (actor, at, changes),
        Request::Register {
            actor,
            at,
            registration,
        } => {
            let codes = store
                .next_codes(at.date_naive(), registration.codes_needed())
                .map_err(WriteError::Store)?;
            let keys = (0..registration.appeals.len())
                .map(|_| super::new_access_key())
                .collect::<Result<Vec<_>, _>>()
                .map_err(WriteError::Store)?;
            let changes = desk::register(registration, &codes, &keys, at).map_err(WriteError::Desk)?;
            (actor, at, changes)
        }
    };
    let (events, touched) = store.commit_at(&actor, at, changes).map_err(WriteError::Store)?;
    Ok(Saved {
        events,
        touched,
        stopped: store.stopped().map(clone_cause),
    })
}
