//! The catalog cache: the catalog rows in a flat file beside the database,
//! so that the kiosk can load 100,000 of them without a full scan through
//! sled (which keeps most of what a scan touches in memory, whatever its
//! cache size). It is a derived file: `JIEDAI-C3\n`, then records framed as
//! the journal's are (`storage::frame`): first the layout `#<layout>` its
//! rows are packed in (`Catalog::packed_layout`), then rows in the form
//! the catalog holds and searches them (`Catalog::pack`: text already in
//! GB18030, loaded with no transcoding; the latest row of a code wins) and
//! markers `@<offset>` saying the rows before them reflect the journal up
//! to that offset (a marker's header carries the offset too; a row's
//! carries zeros). A missing, damaged or stale file, or one in an older
//! format or layout, is caught up from the journal and the database, or
//! rebuilt from the database; nothing is lost with it.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::ops::ControlFlow;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, mpsc};

use super::frame::{self, Item, Tail};
use super::journal::Journal;
use super::{Batch, StoreError, keys};
use crate::domain::catalog::{Catalog, CatalogRow};

const MAGIC: &[u8; 10] = b"JIEDAI-C3\n";
const MARKER: u8 = b'@';
const LAYOUT: u8 = b'#';

/// Shared between the store (which appends after each commit) and the
/// thread that loads the catalog. The lock is only ever held briefly: a
/// commit made while the catalog loads queues its lines, and the loader
/// writes them after the file it rewrote, so a save never waits for a load.
#[derive(Debug, Default)]
pub struct CacheState {
    /// The file is complete up to the store's last commit.
    pub ready: bool,
    /// The file could not be rewritten: nothing more is written to it (the
    /// next start catches it up or rebuilds it).
    pub(super) given_up: bool,
    /// A load is running: commits queue their rows in `pending` for it.
    /// Otherwise a commit's rows are dropped until a load has made the
    /// file ready (that load catches the file up from the journal): a
    /// process that never loads the catalog (an import) keeps none.
    loading: bool,
    /// Packed rows of commits made while loading, with the journal offset
    /// each covers.
    pending: Vec<(Vec<Vec<u8>>, u64)>,
    /// Open for appending once ready (dropped whenever the file is rewritten).
    writer: Option<File>,
}

pub type SharedCache = Arc<Mutex<CacheState>>;

/// One record of the cache: a packed row, or the layout record.
fn line(payload: &[u8], out: &mut impl Write) -> io::Result<()> {
    out.write_all(&frame::header(payload, 0, 0))?;
    out.write_all(payload)
}

fn marker(covered: u64, out: &mut impl Write) -> io::Result<()> {
    let payload = format!("@{covered}");
    out.write_all(&frame::header(payload.as_bytes(), covered, covered))?;
    out.write_all(payload.as_bytes())
}

/// What reading the file gave.
struct Contents {
    catalog: Catalog,
    covered: Option<u64>,
    clean: bool,
}

fn read_file(path: &Path) -> io::Result<Option<Contents>> {
    let mut catalog = Catalog::default();
    let Some((covered, clean)) = scan_file(path, |row| {
        catalog.insert_packed(row);
    })?
    else {
        return Ok(None);
    };
    Ok(Some(Contents {
        catalog,
        covered,
        clean,
    }))
}

/// Reads the file record by record, giving each packed row to `each` (a
/// later row of a code replaces an earlier one). Returns the last marker
/// and whether the file was whole, or None when there is no cache file or
/// it is in another format or layout.
fn scan_file(path: &Path, mut each: impl FnMut(&[u8])) -> io::Result<Option<(Option<u64>, bool)>> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut head = [0u8; MAGIC.len()];
    if file.read_exact_at(&mut head, 0).is_err() || &head != MAGIC {
        // Missing, cut or in an older format: rebuilt.
        return Ok(None);
    }
    let layout = layout_record();
    let mut laid_out = false;
    let mut covered = None;
    let mut damaged = false;
    // Records after damage are not used: a marker after it would claim
    // the lost rows.
    let tail = frame::scan(&file, MAGIC.len() as u64, |item| {
        let Item::Record(r) = item else {
            damaged = true;
            return Ok(ControlFlow::Break(()));
        };
        if !laid_out {
            // Rows packed under another layout are not read at all.
            laid_out = r.payload == layout.as_slice();
            return Ok(if laid_out {
                ControlFlow::Continue(())
            } else {
                ControlFlow::Break(())
            });
        }
        match r.payload.first() {
            Some(&MARKER) => {
                covered = std::str::from_utf8(&r.payload[1..])
                    .ok()
                    .and_then(|s| s.parse().ok());
            }
            Some(&LAYOUT) => {}
            _ => each(r.payload),
        }
        Ok(ControlFlow::Continue(()))
    })?;
    if !laid_out {
        return Ok(None);
    }
    Ok(Some((covered, !damaged && tail == Tail::Clean)))
}

/// The first record of a cache file: the layout its rows are packed in.
fn layout_record() -> Vec<u8> {
    format!("#{}", Catalog::packed_layout()).into_bytes()
}

/// A catalog row as a cache file holds it (a frame around its packed
/// form), for tools and tests that write a cache file by hand; None for a
/// row the catalog would not keep.
pub fn row_record(row: &CatalogRow) -> Option<Vec<u8>> {
    Catalog::pack(row).map(|p| frame::encode(&p, 0, 0))
}

/// The start of a cache file: its magic and layout record.
pub fn file_start() -> Vec<u8> {
    let mut out = MAGIC.to_vec();
    frame::encode_into(&mut out, &layout_record(), 0, 0);
    out
}

/// Streams the cache file's rows to `each` (later rows of a code replace
/// earlier ones) and returns the journal offset it covers, or None when
/// the file is missing, damaged or has no marker.
pub fn for_each_line(path: &Path, mut each: impl FnMut(CatalogRow)) -> io::Result<Option<u64>> {
    let unpacked = |packed: &[u8]| {
        if let Some(row) = Catalog::unpack(packed) {
            each(row);
        }
    };
    Ok(match scan_file(path, unpacked)? {
        Some((covered, true)) => covered,
        _ => None,
    })
}

/// Writes the whole catalog as a fresh file (temporary file, then rename).
fn rewrite(path: &Path, catalog: &Catalog, covered: u64) -> io::Result<()> {
    let tmp = path.with_extension("tmp");
    {
        let mut out = BufWriter::with_capacity(1 << 20, File::create(&tmp)?);
        out.write_all(&file_start())?;
        let mut packed = Vec::new();
        for i in 0..catalog.len() {
            packed.clear();
            if catalog.packed(i, &mut packed) {
                line(&packed, &mut out)?;
            }
        }
        marker(covered, &mut out)?;
        out.flush()?;
    }
    fs::rename(&tmp, path)
}

/// Appends catalog lines (as the database stores them, `CatalogRow::to_line`)
/// and a marker after a commit, in one write, when the file has been loaded
/// (before that its loader catches up from the journal). Not fsynced: the
/// file is derived, and a lost tail is caught up at the next start.
pub fn append(state: &mut CacheState, path: &Path, lines: &[&[u8]], covered: u64) -> io::Result<()> {
    if state.given_up {
        return Ok(());
    }
    let packed: Vec<Vec<u8>> = lines
        .iter()
        .filter_map(|l| std::str::from_utf8(l).ok().and_then(CatalogRow::from_line))
        .filter_map(|row| Catalog::pack(&row))
        .collect();
    append_packed(state, path, packed, covered)
}

/// Appends packed rows and a marker (see `append`).
fn append_packed(state: &mut CacheState, path: &Path, rows: Vec<Vec<u8>>, covered: u64) -> io::Result<()> {
    if !state.ready {
        if state.loading {
            state.pending.push((rows, covered));
        }
        return Ok(());
    }
    let mut buf = Vec::with_capacity(
        rows.iter()
            .map(|l| l.len() + frame::FRAME as usize)
            .sum::<usize>()
            + 64,
    );
    for l in &rows {
        line(l, &mut buf)?;
    }
    marker(covered, &mut buf)?;
    if state.writer.is_none() {
        state.writer = Some(OpenOptions::new().append(true).open(path)?);
    }
    match state.writer.as_mut() {
        Some(w) => w.write_all(&buf),
        None => Ok(()),
    }
}

fn db_err(db: &Path, e: impl ToString) -> StoreError {
    StoreError::Database {
        path: db.to_path_buf(),
        message: e.to_string(),
    }
}

/// Every catalog row from the database (a full scan: used only to build
/// the cache anew).
pub fn scan_database(tree: &sled::Db, db: &Path) -> Result<Catalog, StoreError> {
    let mut catalog = Catalog::default();
    super::queries::for_each_catalog_row(tree, db, |row| catalog.upsert(row))?;
    Ok(catalog)
}

/// Codes of the appeals that journal records in (from, to] touched.
fn touched_between(journal: &Path, from: u64, to: u64) -> io::Result<Vec<String>> {
    let journal = Journal::open_read(journal)?;
    let mut codes = Vec::new();
    journal.scan(from, |rec| {
        if rec.end > to {
            return Ok(());
        }
        let batch: Batch =
            serde_json::from_slice(rec.payload).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        // Every event about an appeal: the station's, the county's steps
        // and the other terminals' events the county relayed.
        for e in batch.events {
            if let Some(code) = crate::domain::history::appeal_code(&e) {
                codes.push(code.to_string());
            }
        }
        Ok(())
    })?;
    codes.sort();
    codes.dedup();
    Ok(codes)
}

/// Paths and handles the loader needs.
pub struct Loader<'a> {
    pub tree: &'a sled::Db,
    pub db: &'a Path,
    pub journal: &'a Path,
    pub cache: &'a Path,
    pub state: &'a SharedCache,
    /// Reads only: the file is not rewritten.
    pub read_only: bool,
}

impl Loader<'_> {
    /// Loads the catalog, bringing the cache file up to date on the way:
    /// read it, catch up from the journal and the database if it is
    /// behind, rebuild it from the database if it is missing or damaged.
    /// Afterwards the store appends to it after each commit.
    pub fn load(&self) -> Result<Catalog, StoreError> {
        let loaded = self.load_now();
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.loading = false;
        state.pending.clear();
        loaded
    }

    fn load_now(&self) -> Result<Catalog, StoreError> {
        {
            // Commits from now on queue their lines until the load is done.
            let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
            state.ready = false;
            state.loading = true;
            state.writer = None;
            state.pending.clear();
        }
        let applied = super::read_u64(self.tree, keys::APPLIED)?;
        wait_if_held(self.cache);
        let found = read_file(self.cache).map_err(|e| StoreError::Io {
            path: self.cache.to_path_buf(),
            source: e,
        })?;
        let (mut catalog, saved) = match found {
            Some(Contents {
                catalog,
                covered: Some(covered),
                clean,
            }) if covered <= applied => {
                let mut catalog = catalog;
                let mut saved = true;
                if covered < applied || !clean {
                    let codes =
                        touched_between(self.journal, covered, applied).map_err(|e| StoreError::Journal {
                            path: self.journal.to_path_buf(),
                            message: e.to_string(),
                        })?;
                    for code in &codes {
                        if let Some(v) = self
                            .tree
                            .get(keys::catalog(code))
                            .map_err(|e| db_err(self.db, e))?
                            && let Some(row) = std::str::from_utf8(&v).ok().and_then(CatalogRow::from_line)
                        {
                            catalog.upsert(row);
                        }
                    }
                    log::info!(
                        "catalog cache caught up: {} appeals changed since it was written",
                        codes.len()
                    );
                    saved = self.save(&catalog, applied);
                }
                (catalog, saved)
            }
            _ => {
                log::info!("catalog cache missing, damaged or ahead of the database: rebuilding it");
                let catalog = scan_database(self.tree, self.db)?;
                let saved = self.save(&catalog, applied);
                (catalog, saved)
            }
        };
        catalog.trim();
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let pending = std::mem::take(&mut state.pending);
        if !saved {
            // The file on disk is older than `applied`: appending to it
            // would claim lines it lacks. Leave it for the next start.
            state.given_up = true;
            return Ok(catalog);
        }
        state.ready = true;
        state.writer = None;
        for (rows, covered) in pending.into_iter().filter(|(_, covered)| *covered > applied) {
            if let Err(e) = append_packed(&mut state, self.cache, rows, covered) {
                log::warn!(
                    "could not append to the catalog cache {}: {e}",
                    self.cache.display()
                );
                state.ready = false;
                state.given_up = true;
                break;
            }
        }
        Ok(catalog)
    }

    /// Rewrites the file; false when that failed (only the next start's
    /// speed depends on it).
    fn save(&self, catalog: &Catalog, covered: u64) -> bool {
        if self.read_only {
            return false;
        }
        match rewrite(self.cache, catalog, covered) {
            Ok(()) => true,
            Err(e) => {
                log::warn!("could not write the catalog cache {}: {e}", self.cache.display());
                false
            }
        }
    }
}

/// A hold on the next catalog load of one data directory: the load stops
/// once commits queue behind it, before it reads the file or the database,
/// until the hold is dropped. Tests use it to save while a load is
/// certainly under way; loads of other directories pass.
#[doc(hidden)]
pub struct LoadHold {
    cache: PathBuf,
    reached: mpsc::Receiver<()>,
    _release: mpsc::Sender<()>,
}

struct Held {
    cache: PathBuf,
    reached: mpsc::Sender<()>,
    release: mpsc::Receiver<()>,
}

static HELD: Mutex<Vec<Held>> = Mutex::new(Vec::new());

/// Holds the next catalog load of `dir` (see `LoadHold`).
#[doc(hidden)]
pub fn hold_next_load(dir: &Path) -> LoadHold {
    let (reached_tx, reached) = mpsc::channel();
    let (release, release_rx) = mpsc::channel();
    let cache = cache_path(dir);
    HELD.lock().unwrap_or_else(|p| p.into_inner()).push(Held {
        cache: cache.clone(),
        reached: reached_tx,
        release: release_rx,
    });
    LoadHold {
        cache,
        reached,
        _release: release,
    }
}

impl LoadHold {
    /// Waits until the load has stopped at the hold; false on timeout.
    pub fn reached(&self, timeout: std::time::Duration) -> bool {
        self.reached.recv_timeout(timeout).is_ok()
    }
}

impl Drop for LoadHold {
    fn drop(&mut self) {
        // A hold no load reached goes; one that stopped a load lets it go
        // on as its channel closes.
        HELD.lock()
            .unwrap_or_else(|p| p.into_inner())
            .retain(|h| h.cache != self.cache);
    }
}

fn wait_if_held(cache: &Path) {
    let held = {
        let mut all = HELD.lock().unwrap_or_else(|p| p.into_inner());
        all.iter()
            .position(|h| h.cache == cache)
            .map(|i| all.swap_remove(i))
    };
    if let Some(held) = held {
        let _ = held.reached.send(());
        let _ = held.release.recv();
    }
}

/// The catalog from the cache file alone, when the file is whole and
/// reflects every record of the journal (a clean directory): `find` then
/// opens no database at all. None when it does not (the caller reads the
/// database). The directory is locked while the file is read.
pub fn current_catalog(dir: &Path) -> Result<Option<Catalog>, StoreError> {
    let paths = super::Paths::new(dir);
    if !paths.terminal().exists() && !paths.journal().exists() {
        return Err(StoreError::NoStation(dir.to_path_buf()));
    }
    let _lock = super::take_lock(&paths)?;
    super::read_terminal(&paths)?;
    let Ok(journal) = std::fs::metadata(paths.journal()) else {
        return Ok(None);
    };
    // The cache is appended after each record: a journal changed after it
    // (put back, cut, or damaged by hand or by a tool) is read the long way,
    // where the store's checks at opening say what happened to it.
    let written_after = |cache: std::fs::Metadata| match (cache.modified(), journal.modified()) {
        (Ok(c), Ok(j)) => c >= j,
        _ => false,
    };
    if !std::fs::metadata(cache_path(dir)).is_ok_and(written_after) {
        return Ok(None);
    }
    Ok(match read_file(&cache_path(dir)) {
        Ok(Some(c)) if c.clean && c.covered == Some(journal.len()) => Some(c.catalog),
        _ => None,
    })
}

pub fn cache_path(dir: &Path) -> PathBuf {
    dir.join("catalog.cache")
}
