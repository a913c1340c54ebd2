//! Storage: the only module that knows sled. The journal is the source of
//! truth and the durability point; sled holds projections and indexes,
//! written after the journal record they come from is on the disk (so the
//! database is always a subset of the journal), flushed in the background
//! and brought up to date from the journal's tail at every start.
//!
//! `Store` is defined here; its work is in one file per job: `open`
//! (lock, journal, database, checks), `replay` (the tail caught up),
//! `upgrade` (an older database's chain head), `commit` (saves and the
//! county's feed), `codes` (tracking codes), `access` (access keys) and
//! `survey` (damage in the journal).

mod access;
pub mod catalog_cache;
pub mod check;
mod check_parts;
mod codec;
mod codes;
mod commit;
mod compact;
pub mod counters;
mod dir;
pub mod error;
pub mod frame;
pub mod journal;
pub mod keys;
pub mod notes;
mod open;
pub mod print_jobs;
pub mod private;
pub mod projection;
mod queries;
pub mod record;
mod replay;
pub mod restore;
mod survey;
pub mod sync_state;
mod upgrade;
pub mod writer;

use std::cell::RefCell;
use std::collections::HashMap;
use std::fs::File;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::domain::Event;
use counters::Counters;
pub use dir::{
    Paths, TerminalConfig, read_staff_pins, read_terminal, take_lock, write_staff_pins, write_terminal,
};
pub use error::{DamageKind, DamageReport, IdentityProblem, StoreError};
pub(crate) use error::{DbFailure, clone_cause};
use journal::Journal;
pub use notes::{Finding, LostWhy, Recovery};

/// A journal record: the events of one commit, applied all or nothing
/// (its layout and chain are in `record`).
#[derive(Debug, Serialize, Deserialize)]
pub struct Batch {
    pub v: u32,
    pub events: Vec<Event>,
}

/// How a store is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The kiosk, import, init: may save, sets a torn tail aside, converts
    /// an old journal.
    Write,
    /// find, export, check, sync until it has something to save: changes
    /// nothing in the data directory. sled opens a private copy of the
    /// database (see `snapshot_db`); the journal's tail it lacks is replayed
    /// into the copy. Only a database sled cannot read is rebuilt in place.
    Read,
}

/// A terminal's data directory, opened: the journal, the database and the
/// numbering, held under the directory lock (see the module docs).
pub struct Store {
    paths: Paths,
    _lock: File,
    tree: sled::Db,
    journal: Journal,
    mode: Mode,
    terminal: u8,
    /// The origin generation (see `domain::event::terminal_origin`).
    generation: u32,
    last_seq: u64,
    /// Per-origin numbering and this terminal's chain head, as of the
    /// last record the database holds (see `record`).
    heads: record::Heads,
    /// The station's code (part of every code and event id).
    station_code: Option<String>,
    /// Last sequence issued per day prefix, filled on first use of a day.
    issued: RefCell<HashMap<String, u32>>,
    /// Floors that keep counters from going backwards (see `counters`).
    counters: Option<Counters>,
    /// The catalog cache file's shared state (see `catalog_cache`).
    cache: catalog_cache::SharedCache,
    /// Set when a write failed: nothing more is saved until the program
    /// restarts (the journal holds every change reported saved).
    stopped: Option<StoreError>,
    /// What a start-up replay found and did, for the log and `check`.
    pub recovery: Vec<Recovery>,
    /// Read mode: the private copy of `db/` that sled opened (sled writes
    /// to whatever it opens, even to read), removed when dropped.
    snapshot: Option<tempfile::TempDir>,
}

/// Layout of the projections (keys, catalog lines, search text). A database
/// written with another layout is rebuilt from the journal when opened.
pub const PROJECTION_VERSION: u64 = 6;

/// Told how far a long replay is: (bytes done, bytes in all).
pub type OnProgress<'a> = &'a dyn Fn(u64, u64);

/// Staged writes: a value to put, or None to remove.
type Ops = projection::Writes;

/// Whether the database of the station in `dir` has grown enough past its
/// live data that the next opening for writing compacts it.
pub fn compaction_wanted(dir: &Path) -> bool {
    compact::wanted(&Paths::new(dir))
}

impl Store {
    pub fn dir(&self) -> &Path {
        &self.paths.dir
    }

    pub fn terminal(&self) -> u8 {
        self.terminal
    }

    /// Where this terminal's events come from: "<station code>-<terminal>".
    pub fn origin(&self) -> String {
        crate::domain::event::terminal_origin(
            self.station_code.as_deref().unwrap_or_default(),
            self.terminal,
            self.generation,
        )
    }

    /// Stops further saves after a write error and gives the error back.
    fn stop(&mut self, error: StoreError) -> StoreError {
        log::error!("saving stopped: {error}");
        self.stopped = Some(clone_cause(&error));
        error
    }

    /// Why saving stopped, if it did.
    pub fn stopped(&self) -> Option<&StoreError> {
        self.stopped.as_ref()
    }

    fn db_err(&self, e: impl DbFailure) -> StoreError {
        e.at(&self.paths.db())
    }

    /// Makes everything in the database durable now (normally sled does it
    /// in the background; the journal already holds every change).
    pub fn flush(&self) -> Result<(), StoreError> {
        self.tree
            .flush()
            .map(|_| ())
            .map_err(|e| StoreError::sled(&self.paths.db(), e))
    }

    /// Another handle on the directory lock: the directory stays locked
    /// while it is open, even after this store is dropped.
    pub(crate) fn lock_handle(&self) -> Result<File, StoreError> {
        self._lock
            .try_clone()
            .map_err(|e| StoreError::io(&self.paths.lock(), e))
    }

    pub(crate) fn tree(&self) -> &sled::Db {
        &self.tree
    }

    /// Where sled opened the database: `DIR/db`, or in read mode its
    /// private copy.
    pub(crate) fn sled_path(&self) -> PathBuf {
        match &self.snapshot {
            Some(copy) => copy.path().join("db"),
            None => self.paths.db(),
        }
    }

    /// The read mode's copy of the database, to keep it beyond the store.
    pub fn take_snapshot(&mut self) -> Option<tempfile::TempDir> {
        self.snapshot.take()
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    pub(crate) fn journal(&self) -> &Journal {
        &self.journal
    }
}

impl Drop for Store {
    /// A clean close sets the counters' floors to exactly what was used,
    /// so that numbering goes on without gaps after a normal restart.
    fn drop(&mut self) {
        let seq = self.last_seq;
        let issued: Vec<(String, u32)> = self
            .issued
            .borrow()
            .iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect();
        if let Some(counters) = self.counters.as_mut()
            && let Err(e) = counters.settle(seq, issued)
        {
            log::warn!("could not write the counters' floors: {e}");
        }
    }
}

pub use access::new_access_key;
pub(crate) use open::open_sled;
use open::read_u64;
use survey::payload_seqs;
pub use survey::survey_damage;

pub use check::{CheckReport, check, check_in_parts, check_with, rebuild, rebuild_with};

pub use queries::Reader;
pub use writer::{Outcome, Request, Running, Saved, WriteError, Writer, WriterThread};
