//! Opening a data directory: the lock, the journal (a version 1 journal
//! converted), the database (or, to read, a private copy of it), the
//! projections' layout and the checks that the database is a subset of the
//! journal, before the tail is replayed (`replay`).

use std::cell::RefCell;
use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};

use super::counters::Counters;
use super::journal::{self, Journal, Version};
use super::{
    IdentityProblem, Mode, OnProgress, PROJECTION_VERSION, Paths, Recovery, Store, StoreError, catalog_cache,
    check, compact, keys, payload_seqs, private, read_terminal, record, survey_damage, take_lock,
    write_terminal,
};
use crate::domain::Staff;

/// The sled page cache. sled's default (1 GiB) is far more than a kiosk
/// on old hardware should take; the catalog in memory serves the lists.
const CACHE_BYTES: u64 = 16 * 1024 * 1024;

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

pub(super) fn read_u64(tree: &sled::Db, key: &[u8]) -> Result<u64, StoreError> {
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
    pub fn open_reporting(dir: &Path, progress: OnProgress) -> Result<Store, StoreError> {
        Store::open_with(dir, Mode::Write, progress)
    }

    /// Opens the store. A database sled cannot read (its files damaged, as
    /// a write cut short by a full disk leaves them) is set aside as
    /// `db.before-rebuild` and rebuilt from the journal at once, in any
    /// mode (only that: an I/O error, or a side file such as the sync
    /// position that cannot be read, is reported as it is); the store's `recovery` says so (`Recovery::DatabaseRebuilt`),
    /// for the screen. The sync position and print jobs live beside the
    /// journal, not in the database, and are kept.
    pub fn open_with(dir: &Path, mode: Mode, progress: OnProgress) -> Result<Store, StoreError> {
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

    fn open_once(dir: &Path, mode: Mode, progress: OnProgress) -> Result<Store, StoreError> {
        let mut store = Store::open_once_at(dir, mode, progress, mode == Mode::Read)?;
        if mode != Mode::Write {
            return Ok(store);
        }
        // A database caught up with its journal that holds several times
        // its live data (sled keeps what a change superseded: after many
        // saves, a rebuild, a large replay) is compacted under the lock and
        // opened again. A missing catalog cache (a new station, a rebuilt
        // database) is built in this first opening too, before it is
        // closed: sled keeps every page a build reads for as long as it is
        // open, which a kiosk would otherwise carry all day. What the first
        // opening recovered is kept.
        let compact = compact::wanted(&store.paths);
        let build_cache = !catalog_cache::cache_path(dir).exists();
        if !compact && !build_cache {
            return Ok(store);
        }
        let mut notes = std::mem::take(&mut store.recovery);
        if build_cache && let Err(e) = store.reader().load_catalog() {
            // The kiosk's own load tries again, and says why if it fails.
            log::warn!("the catalog cache could not be built: {e}");
        }
        drop(store);
        if compact {
            let paths = Paths::new(dir);
            let _lock = take_lock(&paths)?;
            let before = compact::dir_bytes(&paths.db());
            match compact::compact(&paths) {
                Ok(after) => log::info!("the database was compacted from {before} to {after} bytes"),
                Err(e) => {
                    // The database as it was stays in use.
                    log::warn!("the database could not be compacted: {e}");
                    compact::settle(&paths)?;
                }
            }
        }
        return_freed_memory();
        let mut again = Store::open_once_at(dir, mode, progress, false)?;
        notes.append(&mut again.recovery);
        again.recovery = notes;
        Ok(again)
    }

    /// `copy`: open sled on a private copy of the database (read mode).
    fn open_once_at(dir: &Path, mode: Mode, progress: OnProgress, copy: bool) -> Result<Store, StoreError> {
        let paths = Paths::new(dir);
        if !paths.terminal().exists() && !paths.journal().exists() {
            return Err(StoreError::NoStation(dir.to_path_buf()));
        }
        let lock = take_lock(&paths)?;
        private::tighten_logged(dir);
        let identity = read_terminal(&paths)?;
        let mut recovery = Vec::new();
        if mode == Mode::Write && !copy {
            compact::settle(&paths)?;
        }
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

/// Gives the memory a large piece of work freed (a rebuild, a compaction,
/// the catalog's first build) back to the system. The C library's
/// allocator otherwise keeps it for the process, and a kiosk stays up all
/// reception day on old hardware.
pub(super) fn return_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free pages of the allocator's own
    // heap; it takes no pointer and cannot fail in a way that matters.
    unsafe {
        libc::malloc_trim(0);
    }
}
