//! Storage: the only module that knows sled. The journal is the source of
//! truth and the durability point; sled holds projections and indexes,
//! written after the journal record they come from is on the disk (so the
//! database is always a subset of the journal), flushed in the background
//! and brought up to date from the journal's tail at every start.

pub mod catalog_cache;
pub mod check;
mod check_parts;
mod codec;
pub mod counters;
mod dir;
pub mod error;
pub mod frame;
pub mod journal;
pub mod keys;
pub mod notes;
pub mod print_jobs;
pub mod private;
pub mod projection;
mod queries;
pub mod record;
pub mod restore;
pub mod sync_state;
pub mod writer;

use std::cell::RefCell;
use std::collections::HashMap;
use std::fs::{self, File};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::domain::{Change, Event, EventBody, EventId, Staff, TrackingCode};
use counters::Counters;
pub use dir::{
    Paths, TerminalConfig, read_staff_pins, read_terminal, take_lock, write_staff_pins, write_terminal,
};
pub use error::{DamageKind, DamageReport, IdentityProblem, StoreError};
use journal::{Item, Journal, Tail, Version};
pub use notes::{Finding, LostWhy, Recovery};
use projection::Staged;

/// The sled page cache. sled's default (1 GiB) is far more than a kiosk
/// on old hardware should take; the catalog in memory serves the lists.
const CACHE_BYTES: u64 = 16 * 1024 * 1024;

/// A journal record: the events of one commit, applied all or nothing
/// (its layout and chain are in `record`).
#[derive(Debug, Serialize, Deserialize)]
pub struct Batch {
    pub v: u32,
    pub events: Vec<Event>,
}

/// The event range of a journal payload (for records written before
/// headers carried it).
fn payload_seqs(payload: &[u8]) -> (u64, u64) {
    serde_json::from_slice::<Batch>(payload)
        .ok()
        .and_then(|b| Some((b.events.first()?.id.seq, b.events.last()?.id.seq)))
        .unwrap_or((0, 0))
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
pub const PROJECTION_VERSION: u64 = 4;

/// Progress of a long replay: (bytes done, bytes in all).
pub type Progress<'a> = &'a dyn Fn(u64, u64);

/// Staged writes: a value to put, or None to remove.
type Ops = std::collections::BTreeMap<Vec<u8>, Option<Vec<u8>>>;

/// A fresh access key for an appeal, from the system's random source.
pub fn new_access_key() -> Result<String, StoreError> {
    let mut bytes = [0u8; crate::domain::public::KEY_BYTES];
    getrandom::fill(&mut bytes)
        .map_err(|e| StoreError::io(Path::new("/dev/urandom"), std::io::Error::other(e.to_string())))?;
    Ok(crate::domain::public::access_key(&bytes))
}

pub(crate) fn open_sled(path: &Path) -> Result<sled::Db, StoreError> {
    let config = sled::Config::new()
        .path(path)
        .cache_capacity(CACHE_BYTES)
        .flush_every_ms(Some(500));
    // We hold the directory lock, so a held sled lock can only be this
    // process's previous handle, whose background writers may still be
    // finishing after it was dropped: wait for them briefly.
    let mut tries = 0;
    loop {
        match config.open() {
            Err(sled::Error::Io(e)) if e.to_string().contains("could not acquire lock") && tries < 40 => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            result => {
                return result.map_err(|e| StoreError::sled(path, e));
            }
        }
    }
}

fn read_u64(tree: &sled::Db, key: &[u8]) -> Result<u64, StoreError> {
    let v = tree.get(key).map_err(|e| StoreError::Database {
        path: PathBuf::new(),
        message: e.to_string(),
    })?;
    Ok(v.and_then(|v| v.as_ref().try_into().ok())
        .map(u64::from_be_bytes)
        .unwrap_or(0))
}

impl Store {
    /// Sets up a new data directory for a terminal of a station: writes
    /// its identity and an empty journal, then opens it for writing. An
    /// existing directory is opened as it is (its identity rewritten).
    pub fn create(dir: &Path, station: &str, terminal: u8) -> Result<Store, StoreError> {
        let paths = Paths::new(dir);
        private::create_dir(dir).map_err(|e| StoreError::io(dir, e))?;
        let lock = take_lock(&paths)?;
        write_terminal(dir, station, terminal)?;
        if !paths.journal().exists() && !paths.db().exists() {
            Journal::create(&paths.journal()).map_err(|e| StoreError::io(&paths.journal(), e))?;
        }
        drop(lock);
        Store::open(dir)
    }

    /// Opens a data directory for writing: takes the lock (or says who
    /// holds it), opens the journal and the database, and replays whatever
    /// the journal has that the database does not.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        Store::open_with(dir, Mode::Write, &|_, _| {})
    }

    /// Like `open`, reporting progress (journal bytes replayed, bytes to
    /// replay) when it has to bring the database up to date.
    pub fn open_reporting(dir: &Path, progress: Progress) -> Result<Store, StoreError> {
        Store::open_with(dir, Mode::Write, progress)
    }

    /// Opens the store. A database sled cannot read (its files damaged, as
    /// a write cut short by a full disk leaves them) is set aside as
    /// `db.before-rebuild` and rebuilt from the journal at once, in any
    /// mode (only that: an I/O error, or a side file such as the sync
    /// position that cannot be read, is reported as it is); the store's `recovery` says so (`Recovery::DatabaseRebuilt`),
    /// for the screen. The sync position and print jobs live beside the
    /// journal, not in the database, and are kept.
    pub fn open_with(dir: &Path, mode: Mode, progress: Progress) -> Result<Store, StoreError> {
        match Store::open_once(dir, mode, progress) {
            // Only the journal can rebuild it: without one, nothing is moved.
            Err(e) if e.sled_unreadable(&Paths::new(dir).db()) && Paths::new(dir).journal().exists() => {
                let paths = Paths::new(dir);
                let StoreError::Database { message, .. } = e else {
                    unreachable!("sled_unreadable is a Database error")
                };
                log::error!(
                    "the database {} cannot be read ({message}): rebuilding it from the journal",
                    paths.db().display()
                );
                let mut notes = vec![Recovery::DatabaseRebuilt { message }];
                {
                    let _lock = take_lock(&paths)?;
                    check::set_database_aside(&paths, &mut notes)?;
                }
                if mode == Mode::Read {
                    // The new database is built in place (the journal is
                    // not changed), then read through a copy as always.
                    drop(Store::open_once_at(dir, mode, progress, false)?);
                }
                let mut store = Store::open_once(dir, mode, progress)?;
                notes.append(&mut store.recovery);
                store.recovery = notes;
                Ok(store)
            }
            other => other,
        }
    }

    fn open_once(dir: &Path, mode: Mode, progress: Progress) -> Result<Store, StoreError> {
        Store::open_once_at(dir, mode, progress, mode == Mode::Read)
    }

    /// `copy`: open sled on a private copy of the database (read mode).
    fn open_once_at(dir: &Path, mode: Mode, progress: Progress, copy: bool) -> Result<Store, StoreError> {
        let paths = Paths::new(dir);
        if !paths.terminal().exists() && !paths.journal().exists() {
            return Err(StoreError::NoStation(dir.to_path_buf()));
        }
        let lock = take_lock(&paths)?;
        private::tighten_logged(dir);
        let identity = read_terminal(&paths)?;
        let mut recovery = Vec::new();
        let snapshot = if copy { Some(snapshot_db(&paths)?) } else { None };
        let sled_path = match &snapshot {
            Some(copy) => copy.path().join("db"),
            None => paths.db(),
        };
        let journal = Store::open_journal(&paths, &sled_path, mode, &mut recovery)?;
        let tree = open_sled(&sled_path).map_err(|e| at_db(e, &paths.db()))?;
        let counters = match mode {
            Mode::Write => Some(Counters::load(dir).map_err(|e| StoreError::io(&Counters::path(dir), e))?),
            Mode::Read => None,
        };
        let mut store = Store {
            paths,
            _lock: lock,
            tree,
            journal,
            mode,
            terminal: identity.terminal,
            generation: identity.generation,
            last_seq: 0,
            heads: record::Heads::new(String::new()),
            station_code: identity.station.clone(),
            issued: RefCell::new(HashMap::new()),
            counters,
            cache: Default::default(),
            stopped: None,
            recovery,
            snapshot,
        };
        if mode == Mode::Read {
            // Nothing is appended to the catalog cache from here.
            store.cache.lock().unwrap_or_else(|p| p.into_inner()).given_up = true;
        }
        store.check_projection_version()?;
        store.check_applied_record()?;
        // The numbering is adopted as this terminal's only once its origin
        // is known (an old terminal file may not name the station).
        let known = store.station_code.is_some();
        store.heads = if known {
            record::Heads::adopt(&store.tree, store.origin())
        } else {
            record::Heads::load(&store.tree, store.origin())
        }
        .map_err(|e| StoreError::sled(&store.paths.db(), e))?;
        store.chain_from_journal()?;
        store.catch_up(progress)?;
        store.check_unsent()?;
        let station = store.station()?;
        if station
            .as_ref()
            .is_some_and(|s| s.staff.iter().any(Staff::pin_in_clear))
        {
            log::warn!(
                "staff PINs set up by an older version are kept in the clear; run `jiedai init --station FILE --reconfigure` to keep only their hashes"
            );
        }
        let stored = station.map(|s| s.code);
        match (&identity.station, stored) {
            (Some(mine), Some(theirs)) if *mine != theirs => {
                return Err(StoreError::Identity {
                    path: store.paths.terminal(),
                    problem: IdentityProblem::OtherStation {
                        named: mine.clone(),
                        journal: theirs,
                    },
                });
            }
            (None, stored) => store.station_code = stored,
            _ => {}
        }
        let origin = store.origin();
        if !known && store.station_code.is_some() {
            store.heads = record::Heads::adopt(&store.tree, origin.clone())
                .map_err(|e| StoreError::sled(&store.paths.db(), e))?;
        }
        if let Some(c) = store.counters.as_mut()
            && store.station_code.is_some()
        {
            c.adopt(&origin);
        }
        let floor = store.counters.as_ref().map(|c| c.floors.seq).unwrap_or(0);
        store.heads.origin = store.origin();
        store.last_seq = store.heads.seq.max(floor);
        for line in &store.recovery {
            log::warn!("{line}");
        }
        Ok(store)
    }

    /// Opens the journal. A missing journal beside a database that holds
    /// changes means the journal was lost (see `check_applied_record`); a
    /// version 1 journal is converted when opened for writing.
    fn open_journal(
        paths: &Paths,
        sled_path: &Path,
        mode: Mode,
        recovery: &mut Vec<Recovery>,
    ) -> Result<Journal, StoreError> {
        let path = paths.journal();
        if !path.exists() {
            if paths.db().exists() {
                let tree = open_sled(sled_path)?;
                let applied = read_u64(&tree, keys::APPLIED)?;
                if applied > 0 {
                    return Err(StoreError::DatabaseAhead {
                        journal: path,
                        applied,
                        journal_len: None,
                    });
                }
            }
            if mode == Mode::Read {
                return Err(StoreError::NoStation(paths.dir.clone()));
            }
            return Journal::create(&path).map_err(|e| StoreError::io(&path, e));
        }
        let journal = match mode {
            Mode::Write => Journal::open(&path),
            Mode::Read => Journal::open_read(&path),
        }
        .map_err(|e| StoreError::Journal {
            path: path.clone(),
            message: e.to_string(),
        })?;
        if mode == Mode::Read || journal.version() == Version::V2 {
            return Ok(journal);
        }
        drop(journal);
        let kept =
            journal::rewrite(&path, "v1", payload_seqs, |_| true).map_err(|e| StoreError::io(&path, e))?;
        // Offsets change with the format: the database is rebuilt.
        let _ = fs::remove_dir_all(paths.db());
        let _ = fs::remove_file(catalog_cache::cache_path(&paths.dir));
        recovery.push(Recovery::JournalConverted { kept });
        Journal::open(&path).map_err(|e| StoreError::io(&path, e))
    }

    /// Projections written by a program with another projection layout
    /// are dropped and rebuilt from the journal (the journal is the truth).
    fn check_projection_version(&mut self) -> Result<(), StoreError> {
        let applied = read_u64(&self.tree, keys::APPLIED)?;
        let version = read_u64(&self.tree, keys::PROJECTIONS)?;
        if applied == 0 || version == PROJECTION_VERSION {
            return Ok(());
        }
        self.tree
            .clear()
            .map_err(|e| StoreError::sled(&self.paths.db(), e))?;
        if self.mode == Mode::Write {
            let _ = fs::remove_file(catalog_cache::cache_path(&self.paths.dir));
        }
        self.recovery.push(Recovery::ProjectionsRebuilt {
            found: version,
            wanted: PROJECTION_VERSION,
        });
        Ok(())
    }

    /// The database's last applied record must be a whole record of the
    /// journal. The database is written only after its record is on the
    /// disk, so if it is not there the journal was removed, cut short,
    /// replaced or damaged: nothing is opened, and both are kept.
    fn check_applied_record(&mut self) -> Result<(), StoreError> {
        let applied = read_u64(&self.tree, keys::APPLIED)?;
        if applied == 0 {
            return Ok(());
        }
        let from = read_u64(&self.tree, keys::APPLIED_FROM)?;
        if self.journal.has_record(from, applied) {
            return Ok(());
        }
        let len = std::fs::metadata(self.journal.path())
            .map(|m| m.len())
            .unwrap_or(0);
        if len >= applied {
            // The bytes are there but are not that record: damage.
            let damage = survey_damage(&self.journal, 0)?;
            if !damage.is_empty() {
                return Err(StoreError::JournalDamaged {
                    path: self.journal.path().to_path_buf(),
                    damage,
                });
            }
        }
        Err(StoreError::DatabaseAhead {
            journal: self.journal.path().to_path_buf(),
            applied,
            journal_len: Some(len),
        })
    }

    /// A database written before the event chain holds the terminal's
    /// numbering but not its chain head. The head is computed once from the
    /// journal records the database holds, and stored.
    fn chain_from_journal(&mut self) -> Result<(), StoreError> {
        let db = self.paths.db();
        if self.heads.seq == 0
            || self
                .tree
                .contains_key(keys::CHAIN)
                .map_err(|e| StoreError::sled(&db, e))?
        {
            return Ok(());
        }
        let applied = read_u64(&self.tree, keys::APPLIED)?;
        let origin = self.origin();
        let jpath = self.journal.path().to_path_buf();
        let reader = Journal::open_read(&jpath).map_err(|e| StoreError::io(&jpath, e))?;
        let mut chain = crate::domain::event::CHAIN_GENESIS.to_string();
        reader
            .scan_while(0, |rec| {
                if rec.end > applied {
                    return Ok(ControlFlow::Break(()));
                }
                let raws = record::decode_raw(&rec.payload).map_err(std::io::Error::other)?;
                for raw in raws {
                    let id = record::event_id(&raw).map_err(std::io::Error::other)?;
                    if id.origin == origin {
                        chain = crate::domain::event::chain_next(&chain, raw.get().as_bytes());
                    }
                }
                Ok(ControlFlow::Continue(()))
            })
            .map_err(|e| StoreError::io(&jpath, e))?;
        self.tree
            .insert(keys::CHAIN, chain.as_bytes())
            .map_err(|e| StoreError::sled(&db, e))?;
        log::info!(
            "computed this terminal's event chain from the journal (database written before the chain)"
        );
        self.heads.chain = chain;
        Ok(())
    }

    /// Replays journal records past the database's applied offset. Damage
    /// stops it (nothing after the damage is applied, nothing is cut); a
    /// torn tail is set aside when writing and left alone when reading.
    fn catch_up(&mut self, progress: Progress) -> Result<(), StoreError> {
        let applied = read_u64(&self.tree, keys::APPLIED)?;
        let jpath = self.journal.path().to_path_buf();
        let total = self.journal.len();
        let reader = Journal::open_read(&jpath).map_err(|e| StoreError::io(&jpath, e))?;
        let mut replayed = 0usize;
        let mut failure = None;
        let mut damaged = false;
        // A record whose events the database holds already.
        let mut repeated: Option<DamageReport> = None;
        let tail = reader.survey(applied, |item| {
            let record = match item {
                Item::Record(r) => r,
                Item::Damaged(_) => {
                    damaged = true;
                    return Err(std::io::Error::other("damaged"));
                }
            };
            let result = record::decode(&record.payload)
                .map_err(|e| StoreError::Journal {
                    path: jpath.clone(),
                    message: format!("record at offset {}: {e}", record.start),
                })
                .and_then(|batch| {
                    self.heads.origin = self.origin();
                    if let Some(seqs) = self.heads.repeats(&batch.events) {
                        repeated = Some(DamageReport {
                            at: record.start,
                            bytes: record.end - record.start,
                            seqs: Some(seqs),
                            valid_after: 0,
                            kind: DamageKind::Repeat { of: None },
                        });
                        // Stops the replay; what is reported is `repeated`.
                        return Err(StoreError::ReadOnly);
                    }
                    let (ops, _) = self.stage(&batch.events, true)?;
                    let mut heads = self.heads.clone();
                    let meta = heads.advance(&batch.events, &batch.raws);
                    self.write_ops(ops, meta, &batch.events, record.start, record.end)?;
                    self.heads = heads;
                    Ok(())
                });
            if let Err(e) = result {
                failure = Some(e);
                return Err(std::io::Error::other("replay stopped"));
            }
            replayed += 1;
            if replayed.is_multiple_of(256) {
                progress(record.end.saturating_sub(applied), total.saturating_sub(applied));
            }
            Ok(())
        });
        if damaged {
            return Err(StoreError::JournalDamaged {
                path: jpath,
                damage: survey_damage(&reader, applied)?,
            });
        }
        if let Some(repeat) = repeated {
            // Named as a whole-journal survey names it (with its earlier
            // copy) when it is a copy of another record's bytes.
            let all = survey_damage(&reader, 0)?;
            return Err(StoreError::JournalDamaged {
                path: jpath,
                damage: if all.is_empty() { vec![repeat] } else { all },
            });
        }
        if let Some(e) = failure {
            return Err(e);
        }
        let tail = tail.map_err(|e| StoreError::io(&jpath, e))?;
        if replayed > 0 {
            progress(total.saturating_sub(applied), total.saturating_sub(applied));
            self.recovery.push(Recovery::Replayed { records: replayed });
        }
        if let Tail::Torn { at, bytes } = tail {
            match self.mode {
                Mode::Write => {
                    // Whatever numbers the unfinished write held are never
                    // given out again (nothing else may know them).
                    if let Some(counters) = self.counters.as_mut() {
                        let (seqs, torn) =
                            journal::bytes_at(&jpath, at, bytes).map_err(|e| StoreError::io(&jpath, e))?;
                        counters
                            .raise_from_bytes(seqs, &torn)
                            .map_err(|e| StoreError::io(&Counters::path(&self.paths.dir), e))?;
                    }
                    let aside = self
                        .journal
                        .set_aside_tail(at)
                        .map_err(|e| StoreError::io(&jpath, e))?;
                    self.recovery.push(Recovery::TornSetAside { at, bytes, aside });
                }
                Mode::Read => self.recovery.push(Recovery::TornFound { at, bytes }),
            }
        }
        Ok(())
    }

    /// Records the county has not taken yet are read again by the next
    /// sync: damage among them is said now, at start, rather than by a
    /// failing sync. Only what follows the county's acknowledgement is
    /// read (nothing for a terminal that never synced).
    fn check_unsent(&self) -> Result<(), StoreError> {
        if !self.tree.tree_names().iter().any(|n| *n == "sync")
            && !sync_state::position_path(&self.paths.dir).exists()
        {
            return Ok(());
        }
        let position =
            sync_state::SyncState::open(&self.tree, self.paths.db(), &self.paths.dir, self.origin())?
                .position()?;
        if position.acked == 0 || position.offset == 0 {
            return Ok(());
        }
        // A journal rewritten by a recovery since the last sync has its
        // records elsewhere: then it is read from its start.
        let from = if self.journal.has_record_at(position.offset) {
            position.offset
        } else {
            0
        };
        let damage = survey_damage(&self.journal, from)?;
        if damage.is_empty() {
            return Ok(());
        }
        Err(StoreError::JournalDamaged {
            path: self.journal.path().to_path_buf(),
            damage,
        })
    }

    /// Projects events over the database without writing anything. With
    /// `lenient`, an event that cannot be applied is skipped and logged
    /// (replay must not stop on one bad event); otherwise it fails the whole
    /// batch. Returns the writes and the codes of the appeals touched.
    fn stage(&self, events: &[Event], lenient: bool) -> Result<(Ops, Vec<String>), StoreError> {
        let mut staged = Staged::new(&self.tree);
        for event in events {
            if let Err(e) = staged.apply(event) {
                if !lenient {
                    return Err(e.into());
                }
                log::error!("event {:?} could not be applied during replay: {e}", event.id);
            }
        }
        let touched = staged.touched_appeals();
        Ok((staged.ops(), touched))
    }

    /// The sled batch for staged projections, with the numbering heads
    /// and the journal position they came from (one atomic write).
    fn batch(ops: &Ops, meta: &[(Vec<u8>, Vec<u8>)], journal_start: u64, journal_end: u64) -> sled::Batch {
        let mut batch = sled::Batch::default();
        for (k, v) in ops {
            match v {
                Some(v) => batch.insert(k.as_slice(), v.as_slice()),
                None => batch.remove(k.as_slice()),
            }
        }
        for (k, v) in meta {
            batch.insert(k.as_slice(), v.as_slice());
        }
        batch.insert(keys::APPLIED, &journal_end.to_be_bytes());
        batch.insert(keys::APPLIED_FROM, &journal_start.to_be_bytes());
        batch.insert(keys::PROJECTIONS, &PROJECTION_VERSION.to_be_bytes());
        batch
    }

    /// Writes staged projections in one atomic batch.
    fn write_ops(
        &mut self,
        ops: Ops,
        meta: Vec<(Vec<u8>, Vec<u8>)>,
        events: &[Event],
        journal_start: u64,
        journal_end: u64,
    ) -> Result<(), StoreError> {
        let batch = Store::batch(&ops, &meta, journal_start, journal_end);
        self.tree
            .apply_batch(batch)
            .map_err(|e| StoreError::sled(&self.paths.db(), e))?;
        self.after_write(&ops, events, journal_end);
        Ok(())
    }

    /// What follows a database write: cached counters and the catalog cache.
    fn after_write(&mut self, ops: &Ops, events: &[Event], journal_end: u64) {
        for event in events {
            self.note(event);
        }
        // Keep the catalog cache current: the new catalog lines as stored.
        let lines: Vec<&[u8]> = ops
            .iter()
            .filter(|(k, _)| k.starts_with(keys::CATALOG.as_bytes()))
            .filter_map(|(_, v)| v.as_deref())
            .collect();
        let mut state = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        let path = catalog_cache::cache_path(&self.paths.dir);
        if let Err(e) = catalog_cache::append(&mut state, &path, &lines, journal_end) {
            log::warn!("could not append to the catalog cache {}: {e}", path.display());
            state.ready = false;
        }
    }

    /// This terminal's own code in an event, as (day prefix, sequence).
    fn own_code(&self, event: &Event) -> Option<(String, u32)> {
        let code = match &event.body {
            EventBody::VisitRegistered { visit } => &visit.code,
            EventBody::AppealRegistered { appeal } => &appeal.code,
            _ => return None,
        };
        (Some(code.station()) == self.station_code.as_deref() && code.terminal() == self.terminal).then(
            || {
                (
                    TrackingCode::day_prefix(code.date(), code.station(), code.terminal()),
                    code.seq(),
                )
            },
        )
    }

    /// Keeps the cached station code and issued-code counters current.
    fn note(&mut self, event: &Event) {
        if let EventBody::StationConfigured { station } = &event.body {
            self.station_code = Some(station.code.clone());
            return;
        }
        if let Some((prefix, seq)) = self.own_code(event) {
            let mut issued = self.issued.borrow_mut();
            if let Some(last) = issued.get_mut(&prefix) {
                *last = (*last).max(seq);
            }
        }
    }

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

    /// Records changes as events: checks them against the current state
    /// (an illegal change is refused and nothing is written), appends them
    /// to the journal and fsyncs it, then updates the database. When this
    /// returns Ok the change is durable. Returns the events and the codes
    /// of the appeals that changed.
    pub fn commit(
        &mut self,
        actor: &str,
        changes: Vec<Change>,
    ) -> Result<(Vec<Event>, Vec<String>), StoreError> {
        let now = self.zone()?.now();
        self.commit_at(actor, now, changes)
    }

    pub fn commit_at(
        &mut self,
        actor: &str,
        at: DateTime<FixedOffset>,
        changes: Vec<Change>,
    ) -> Result<(Vec<Event>, Vec<String>), StoreError> {
        self.commit_dated(actor, changes.into_iter().map(|c| (at, c)).collect())
    }

    /// Like `commit_at`, with a time per change (for imported history:
    /// each row's events carry that row's date). One journal record, so
    /// the changes are saved all or nothing; a record over the journal's
    /// limit is refused (`StoreError::TooLarge`): callers split big batches.
    ///
    /// The order is what makes a save safe: the floors under the counters
    /// are raised, the record is written and fsynced, and only then does the
    /// database take it. Any write error stops further saves until restart.
    /// If the database write fails after the record is durable, the change
    /// is saved (the database catches up at the next start) and this
    /// returns Ok; the next save reports the stop.
    pub fn commit_dated(
        &mut self,
        actor: &str,
        mut changes: Vec<(DateTime<FixedOffset>, Change)>,
    ) -> Result<(Vec<Event>, Vec<String>), StoreError> {
        if self.mode == Mode::Read {
            return Err(StoreError::ReadOnly);
        }
        // A new appeal always gets its access key with it (an import's rows
        // come without one; an appeal from another station keeps its own).
        for (_, change) in changes.iter_mut() {
            if let EventBody::AppealRegistered { appeal } | EventBody::AppealImported { appeal } = change
                && appeal.access_key.is_empty()
            {
                appeal.access_key = new_access_key()?;
            }
        }
        if let Some(cause) = &self.stopped {
            return Err(StoreError::Stopped {
                cause: Box::new(clone_cause(cause)),
            });
        }
        if let Some(EventBody::StationConfigured { station }) = changes.first().map(|(_, c)| c)
            && self.station_code.is_none()
        {
            self.station_code = Some(station.code.clone());
        }
        let origin = self.origin();
        let events: Vec<Event> = changes
            .into_iter()
            .enumerate()
            .map(|(i, (at, body))| Event {
                id: EventId {
                    origin: origin.clone(),
                    seq: self.last_seq + 1 + i as u64,
                },
                at,
                actor: actor.to_string(),
                body,
            })
            .collect();
        let (Some(first), Some(last)) = (events.first(), events.last()) else {
            return Ok((events, Vec::new()));
        };
        let (first, last) = (first.id.seq, last.id.seq);
        // Refuse before anything is written: the domain's rules for new
        // changes (dated by each change's own time), then the projection.
        for event in &events {
            event
                .body
                .check_new(event.at.date_naive())
                .map_err(|e| StoreError::Rejected(e.into()))?;
        }
        let (ops, touched) = self.stage(&events, false)?;
        let raws = record::raw_events(&events).map_err(|e| self.db_err(e.to_string()))?;
        self.write_record(events, raws, ops, touched, (first, last))
    }

    /// Writes one record of events already checked and staged: counters'
    /// floors, journal, fsync, then the database. `range` is the record
    /// header's event range (this terminal's sequences).
    fn write_record(
        &mut self,
        events: Vec<Event>,
        raws: Vec<Box<serde_json::value::RawValue>>,
        ops: Ops,
        touched: Vec<String>,
        (first, last): (u64, u64),
    ) -> Result<(Vec<Event>, Vec<String>), StoreError> {
        self.heads.origin = self.origin();
        let payload = record::encode(&raws, &self.heads.chain).map_err(|e| self.db_err(e.to_string()))?;
        let mut heads = self.heads.clone();
        let meta = heads.advance(&events, &raws);
        if payload.len() > journal::MAX_PAYLOAD {
            return Err(StoreError::TooLarge {
                bytes: payload.len(),
                limit: journal::MAX_PAYLOAD,
            });
        }
        let codes: Vec<(String, u32)> = events.iter().filter_map(|e| self.own_code(e)).collect();
        if let Some(counters) = self.counters.as_mut()
            && let Err(e) = counters.cover(last, &codes)
        {
            return Err(self.stop(StoreError::NotSaved {
                path: Counters::path(&self.paths.dir),
                source: e,
            }));
        }
        let jpath = self.journal.path().to_path_buf();
        let start = self.journal.len();
        let end = match self.journal.write(&payload, first, last) {
            Ok(end) => end,
            Err(e) => {
                return Err(self.stop(StoreError::NotSaved {
                    path: jpath,
                    source: e,
                }));
            }
        };
        if let Err(e) = self.journal.sync() {
            log::error!("journal fsync failed: {e}");
            // The record may or may not reach the disk: take it back so
            // that it certainly does not, or say that it is unknown.
            let error = match self.journal.retract(start) {
                Ok(()) => StoreError::NotSaved {
                    path: jpath,
                    source: e,
                },
                Err(_) => StoreError::MaybeSaved {
                    path: jpath,
                    source: e,
                },
            };
            return Err(self.stop(error));
        }
        self.last_seq = self.last_seq.max(last);
        self.heads = heads;
        let batch = Store::batch(&ops, &meta, start, end);
        if let Err(e) = self.tree.apply_batch(batch) {
            // Saved: the journal has it, and the database catches up from
            // the journal at the next start.
            let error = StoreError::sled(&self.paths.db(), e);
            log::error!("saved to the journal, but the database write failed: {error}");
            self.stopped = Some(error);
            for event in &events {
                self.note(event);
            }
            return Ok((events, touched));
        }
        self.after_write(&ops, &events, end);
        Ok((events, touched))
    }

    /// Takes the county's events for this station (origin `origin`), as
    /// the county sent them, in one record: the events and, with them, the
    /// new cursor (the last sequence of that origin held). Events already
    /// held are passed over, so a feed fetched twice is taken once. Each
    /// applies by the county rules (`domain::county`); an event this
    /// version does not know, or about an appeal the station does not
    /// hold, is kept in the journal and changes nothing.
    pub fn apply_feed(
        &mut self,
        origin: &str,
        raws: Vec<Box<serde_json::value::RawValue>>,
    ) -> Result<(Vec<Event>, Vec<String>), StoreError> {
        if self.mode == Mode::Read {
            return Err(StoreError::ReadOnly);
        }
        if let Some(cause) = &self.stopped {
            return Err(StoreError::Stopped {
                cause: Box::new(clone_cause(cause)),
            });
        }
        let mut held = self.heads.other(origin);
        let mut events = Vec::new();
        let mut kept = Vec::new();
        for raw in raws {
            let event: Event = serde_json::from_str(raw.get()).map_err(|e| StoreError::BadFeed {
                reason: format!("event does not parse: {e}"),
            })?;
            if event.id.origin != origin {
                return Err(StoreError::BadFeed {
                    reason: format!("event {}#{} is not from {origin}", event.id.origin, event.id.seq),
                });
            }
            if event.id.seq <= held {
                continue;
            }
            held = event.id.seq;
            events.push(event);
            kept.push(raw);
        }
        if events.is_empty() {
            return Ok((events, Vec::new()));
        }
        let (ops, touched) = self.stage(&events, true)?;
        let own = self.last_seq;
        self.write_record(events, kept, ops, touched, (own, own))
    }

    /// The last sequence held of another origin (the county's feed
    /// cursor for `county/<station>`).
    pub fn origin_seq(&self, origin: &str) -> u64 {
        self.heads.other(origin)
    }

    /// The appeal's access key, issued now (and recorded as an event) if
    /// it was saved before appeals had one.
    pub fn access_key(&mut self, actor: &str, code: &str) -> Result<Option<String>, StoreError> {
        let Some(appeal) = self.appeal(code)? else {
            return Ok(None);
        };
        if !appeal.access_key.is_empty() {
            return Ok(Some(appeal.access_key));
        }
        let key = new_access_key()?;
        self.commit(
            actor,
            vec![EventBody::AccessKeyIssued {
                code: appeal.code,
                key: key.clone(),
            }],
        )?;
        Ok(Some(key))
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

    /// The next tracking codes this terminal issues on `date` (nothing is
    /// taken until a commit records them). Codes are taken from one
    /// sequence shared by visits and appeals, above every code this
    /// terminal registered that day and above the floor kept for it; codes
    /// that exist already (imported) are passed over.
    pub fn next_codes(&self, date: NaiveDate, count: usize) -> Result<Vec<TrackingCode>, StoreError> {
        let station = self
            .station_code
            .clone()
            .ok_or_else(|| StoreError::NoStation(self.paths.dir.clone()))?;
        let prefix = TrackingCode::day_prefix(date, &station, self.terminal);
        let mut issued = self.issued.borrow_mut();
        let last = match issued.get(&prefix) {
            Some(last) => *last,
            None => {
                let stored = self
                    .tree
                    .get(keys::issued(&prefix))
                    .map_err(|e| self.db_err(e))?
                    .map(|v| keys::read_u32(&v))
                    .unwrap_or(0);
                let floor = self.counters.as_ref().map(|c| c.code_floor(&prefix)).unwrap_or(0);
                *issued.entry(prefix.clone()).or_insert(stored.max(floor))
            }
        };
        let mut out = Vec::with_capacity(count);
        let mut seq = last;
        while out.len() < count {
            seq += 1;
            let code = TrackingCode::new(date, &station, self.terminal, seq).map_err(|_| {
                StoreError::CodesExhausted {
                    date,
                    terminal: self.terminal,
                }
            })?;
            let taken = [keys::appeal(code.as_str()), keys::visit(code.as_str())]
                .iter()
                .map(|k| self.tree.contains_key(k))
                .collect::<Result<Vec<bool>, _>>()
                .map_err(|e| self.db_err(e))?;
            if !taken.contains(&true) {
                out.push(code);
            }
        }
        Ok(out)
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

/// A private copy of `DIR/db` in the system's temporary directory, for a
/// store opened to read: sled rewrites its files whenever it opens a
/// database, and a command that only reads must not change a byte of the
/// data directory (on a full disk such a rewrite left the database
/// unreadable). Without `DIR/db` the copy is empty and the journal is
/// replayed into it.
fn snapshot_db(paths: &Paths) -> Result<tempfile::TempDir, StoreError> {
    let tmp = std::env::temp_dir();
    let copy = tempfile::Builder::new()
        .prefix("jiedai-read-")
        .tempdir()
        .map_err(|e| StoreError::io(&tmp, e))?;
    let from = paths.db();
    if from.exists() {
        copy_tree(&from, &copy.path().join("db")).map_err(|e| StoreError::io(copy.path(), e))?;
    }
    Ok(copy)
}

/// An error about the read mode's copy, said of `DIR/db` (what the user
/// knows; the copy's damage is the database's).
fn at_db(e: StoreError, db: &Path) -> StoreError {
    match e {
        StoreError::Database { message, .. } => StoreError::Database {
            path: db.to_path_buf(),
            message,
        },
        other => other,
    }
}

fn copy_tree(from: &Path, to: &Path) -> std::io::Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_tree(&entry.path(), &target)?;
        } else {
            fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// A copy of an error kept to explain why saving stopped.
/// What went wrong in the database: sled's own errors keep their I/O
/// cause (a full disk stays a full disk); a stored value that does not
/// decode is a damaged database.
pub(crate) trait DbFailure {
    fn at(self, db: &Path) -> StoreError;
}

impl DbFailure for sled::Error {
    fn at(self, db: &Path) -> StoreError {
        StoreError::sled(db, self)
    }
}

impl DbFailure for String {
    fn at(self, db: &Path) -> StoreError {
        StoreError::Database {
            path: db.to_path_buf(),
            message: self,
        }
    }
}

pub(crate) fn clone_cause(e: &StoreError) -> StoreError {
    let io = |s: &std::io::Error| std::io::Error::new(s.kind(), s.to_string());
    match e {
        StoreError::NotSaved { path, source } => StoreError::NotSaved {
            path: path.clone(),
            source: io(source),
        },
        StoreError::MaybeSaved { path, source } => StoreError::MaybeSaved {
            path: path.clone(),
            source: io(source),
        },
        StoreError::Io { path, source } => StoreError::Io {
            path: path.clone(),
            source: io(source),
        },
        StoreError::Database { path, message } => StoreError::Database {
            path: path.clone(),
            message: message.clone(),
        },
        StoreError::Stopped { cause } => clone_cause(cause),
        other => StoreError::Journal {
            path: PathBuf::new(),
            message: other.to_string(),
        },
    }
}

/// Every damaged stretch of the journal from `from` on, with how many valid
/// records follow each and the event numbers it held (from its header, or
/// between its neighbours' when the header is unreadable). A record that
/// repeats an earlier one byte for byte (appended twice) is reported too:
/// replaying it would apply its events twice.
pub fn survey_damage(journal: &Journal, from: u64) -> Result<Vec<DamageReport>, StoreError> {
    let mut damage: Vec<DamageReport> = Vec::new();
    let mut last_seq: Option<u64> = None;
    // Damage whose event range waits for the next record's first event.
    let mut open: Option<usize> = None;
    // Where the first record of each (payload CRC, length) starts.
    let mut seen: HashMap<u64, u64> = HashMap::new();
    let file = File::open(journal.path()).map_err(|e| StoreError::io(journal.path(), e))?;
    journal
        .survey(from, |item| {
            match item {
                Item::Record(r) => {
                    let (first, last) = if journal.version() == Version::V2 {
                        (r.first, r.last)
                    } else {
                        payload_seqs(&r.payload)
                    };
                    let key = (u64::from(crc32fast::hash(&r.payload)) << 32) | r.payload.len() as u64;
                    match seen.get(&key) {
                        Some(&earlier) if same_payload(&file, journal.version(), earlier, &r.payload)? => {
                            damage.push(DamageReport {
                                at: r.start,
                                bytes: r.end - r.start,
                                seqs: Some((first, last)),
                                valid_after: 0,
                                kind: DamageKind::Repeat { of: Some(earlier) },
                            });
                            return Ok(());
                        }
                        Some(_) => {}
                        None => {
                            seen.insert(key, r.start);
                        }
                    }
                    if let Some(i) = open.take()
                        && let Some(prev) = last_seq
                        && first > prev + 1
                    {
                        damage[i].seqs = Some((prev + 1, first - 1));
                    }
                    for d in &mut damage {
                        d.valid_after += 1;
                    }
                    last_seq = Some(last);
                }
                Item::Damaged(d) => {
                    if d.seqs.is_none() {
                        open = Some(damage.len());
                    }
                    damage.push(DamageReport {
                        at: d.at,
                        bytes: d.bytes,
                        seqs: d.seqs,
                        valid_after: 0,
                        kind: DamageKind::Unreadable,
                    });
                }
            }
            Ok(())
        })
        .map_err(|e| StoreError::io(journal.path(), e))?;
    Ok(damage)
}

/// Whether the record at `at` holds exactly `payload`.
fn same_payload(file: &File, version: Version, at: u64, payload: &[u8]) -> std::io::Result<bool> {
    match version {
        Version::V2 => Ok(frame::read_at(file, at)?.is_some_and(|(_, p)| p == payload)),
        Version::V1 => {
            use std::os::unix::fs::FileExt;
            let mut buf = vec![0u8; payload.len()];
            file.read_exact_at(&mut buf, at + 8)?;
            Ok(buf == payload)
        }
    }
}

pub use check::{CheckReport, check, check_in_parts, check_with, rebuild, rebuild_with};

pub use queries::Reader;
pub use writer::{Outcome, Request, Saved, WriteError, Writer, WriterThread};

#[cfg(test)]
mod chain_upgrade_tests {
    use super::*;
    use crate::domain::{Deputy, Level};

    #[test]
    fn a_database_from_before_the_chain_gets_its_head_from_the_journal() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("s");
        let mut store = Store::create(&dir, "330999012", 1).unwrap();
        for i in 0..5 {
            let deputy = Deputy {
                id: format!("d{i}"),
                name: format!("代表{i}"),
                level: Level::ALL[0],
                phone: String::new(),
                specialties: Vec::new(),
                duty_days: Vec::new(),
            };
            store
                .commit("s1", vec![EventBody::DeputyUpserted { deputy }])
                .unwrap();
        }
        let head = store.heads.chain.clone();
        assert_ne!(head, crate::domain::event::CHAIN_GENESIS);
        // As an older version left it: numbering, no chain head.
        store.tree.remove(keys::CHAIN).unwrap();
        store.tree.flush().unwrap();
        drop(store);
        let store = Store::open(&dir).unwrap();
        assert_eq!(store.heads.chain, head);
        assert!(store.tree.contains_key(keys::CHAIN).unwrap());
    }
}
