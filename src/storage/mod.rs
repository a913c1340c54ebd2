//! Storage: the only module that knows sled. The journal is the source of
//! truth and the durability point; sled holds projections and indexes,
//! flushed in the background and brought up to date from the journal's
//! tail at every start.

pub mod catalog_cache;
pub mod check;
mod codec;
pub mod journal;
pub mod keys;
pub mod projection;

use std::cell::RefCell;
use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset, Local, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::domain::catalog::{Catalog, CatalogRow};
use crate::domain::event::SCHEMA_VERSION;
use crate::domain::{Appeal, Change, Deputy, Duty, Event, EventBody, EventId, Station, TrackingCode, Visit};
use codec::decode;
use journal::{Journal, Tail};
use projection::{ApplyError, Staged};

/// The sled page cache. sled's default (1 GiB) is far more than a kiosk
/// on old hardware should take; the catalog in memory serves the lists.
const CACHE_BYTES: u64 = 16 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "数据目录 {0} 正被另一个 jiedai 进程使用（可能是正在运行的接待终端）。请先在那里退出，再运行此命令。"
    )]
    Busy(PathBuf),
    #[error("无法使用数据目录 {path}：{source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("数据库 {path} 无法打开：{message}。可运行 `jiedai check --rebuild` 从日志重建。")]
    Database { path: PathBuf, message: String },
    #[error("日志 {path} 有问题：{message}")]
    Journal { path: PathBuf, message: String },
    #[error("{0}")]
    Rejected(#[from] ApplyError),
    #[error(
        "尚未设置站点。请先运行 `jiedai init --station 站点文件.toml`（示例见 sample-data/station.toml）。"
    )]
    NoStation,
}

impl StoreError {
    fn io(path: &Path, source: std::io::Error) -> StoreError {
        StoreError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// This terminal's identity inside its station (several terminals per
/// station each get their own number, so their codes never collide).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TerminalConfig {
    pub terminal: u8,
}

/// A journal record: the events of one commit, applied all or nothing.
#[derive(Debug, Serialize, Deserialize)]
pub struct Batch {
    pub v: u32,
    pub events: Vec<Event>,
}

/// A journal record being written (borrows its events).
#[derive(Serialize)]
struct BatchRef<'a> {
    v: u32,
    events: &'a [Event],
}

/// A thread that writes sled batches, so that the database takes a change
/// while the committing thread waits for the journal's fsync.
struct Applier {
    requests: std::sync::mpsc::Sender<sled::Batch>,
    results: std::sync::mpsc::Receiver<sled::Result<()>>,
}

impl Applier {
    fn start(tree: &sled::Db) -> std::io::Result<Applier> {
        let tree = tree.clone();
        let (requests, incoming) = std::sync::mpsc::channel::<sled::Batch>();
        let (outgoing, results) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("db-apply".into())
            .spawn(move || {
                while let Ok(batch) = incoming.recv() {
                    if outgoing.send(tree.apply_batch(batch)).is_err() {
                        break;
                    }
                }
            })?;
        Ok(Applier { requests, results })
    }

    fn send(&self, batch: sled::Batch) {
        let _ = self.requests.send(batch);
    }

    fn wait(&self) -> sled::Result<()> {
        self.results.recv().unwrap_or_else(|_| {
            Err(sled::Error::ReportableBug(
                "the database write thread stopped".into(),
            ))
        })
    }
}

/// Layout of a data directory.
pub struct Paths {
    pub dir: PathBuf,
}

impl Paths {
    pub fn new(dir: &Path) -> Paths {
        Paths {
            dir: dir.to_path_buf(),
        }
    }
    pub fn lock(&self) -> PathBuf {
        self.dir.join("jiedai.lock")
    }
    pub fn journal(&self) -> PathBuf {
        self.dir.join("journal")
    }
    pub fn db(&self) -> PathBuf {
        self.dir.join("db")
    }
    pub fn terminal(&self) -> PathBuf {
        self.dir.join("terminal.toml")
    }
    pub fn log(&self) -> PathBuf {
        self.dir.join("jiedai.log")
    }
}

pub struct Store {
    paths: Paths,
    _lock: File,
    tree: sled::Db,
    journal: Journal,
    terminal: u8,
    last_seq: u64,
    /// The station's code once one is configured (part of every code and
    /// event id, so it is not read from the database on every save).
    station_code: Option<String>,
    /// Last sequence issued per day prefix, filled on first use of a day.
    issued: RefCell<HashMap<String, u16>>,
    /// The catalog cache file's shared state (see `catalog_cache`).
    cache: catalog_cache::SharedCache,
    /// Writes database batches on its own thread, so that the disk and the
    /// database update work at the same time.
    applier: Applier,
    /// Set when a save could not be made durable: nothing more is saved
    /// until the kiosk restarts and the database is checked against the
    /// journal.
    poisoned: Option<String>,
    /// What a start-up replay found and did, for the log and `check`.
    pub recovery: Vec<String>,
}

/// Layout of the projections (keys, catalog lines, search text). A database
/// written with another layout is rebuilt from the journal when opened.
pub const PROJECTION_VERSION: u64 = 3;

/// Progress of a long replay: (bytes done, bytes in all).
pub type Progress<'a> = &'a dyn Fn(u64, u64);

/// Staged writes: a value to put, or None to remove.
type Ops = std::collections::BTreeMap<Vec<u8>, Option<Vec<u8>>>;

pub fn take_lock(paths: &Paths) -> Result<File, StoreError> {
    fs::create_dir_all(&paths.dir).map_err(|e| StoreError::io(&paths.dir, e))?;
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(paths.lock())
        .map_err(|e| StoreError::io(&paths.lock(), e))?;
    match lock.try_lock() {
        Ok(()) => Ok(lock),
        Err(std::fs::TryLockError::WouldBlock) => Err(StoreError::Busy(paths.dir.clone())),
        Err(std::fs::TryLockError::Error(e)) => Err(StoreError::io(&paths.lock(), e)),
    }
}

fn open_sled(path: &Path) -> Result<sled::Db, StoreError> {
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
                return result.map_err(|e| StoreError::Database {
                    path: path.to_path_buf(),
                    message: e.to_string(),
                });
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
    /// Opens a data directory: takes the lock (or says who holds it), opens
    /// the journal and the database, and replays whatever the journal has
    /// that the database does not.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        Store::open_reporting(dir, &|_, _| {})
    }

    /// Like `open`, reporting progress (journal bytes replayed, bytes to
    /// replay) when it has to bring the database up to date.
    pub fn open_reporting(dir: &Path, progress: Progress) -> Result<Store, StoreError> {
        let paths = Paths::new(dir);
        let lock = take_lock(&paths)?;
        let terminal = match fs::read_to_string(paths.terminal()) {
            Ok(text) => {
                toml::from_str::<TerminalConfig>(&text)
                    .map_err(|e| StoreError::Journal {
                        path: paths.terminal(),
                        message: e.to_string(),
                    })?
                    .terminal
            }
            Err(_) => 1,
        };
        let journal = Journal::open(&paths.journal()).map_err(|e| StoreError::Journal {
            path: paths.journal(),
            message: e.to_string(),
        })?;
        let tree = open_sled(&paths.db())?;
        let applier = Applier::start(&tree).map_err(|e| StoreError::Io {
            path: paths.db(),
            source: e,
        })?;
        let mut store = Store {
            paths,
            _lock: lock,
            tree,
            journal,
            terminal,
            last_seq: 0,
            station_code: None,
            issued: RefCell::new(HashMap::new()),
            cache: Default::default(),
            applier,
            poisoned: None,
            recovery: Vec::new(),
        };
        store.check_projection_version()?;
        store.check_applied_record()?;
        store.station_code = store.station()?.map(|s| s.code);
        store.catch_up(progress)?;
        store.last_seq = read_u64(&store.tree, keys::SEQ)?;
        Ok(store)
    }

    /// Projections written by a program with another projection layout
    /// are dropped and rebuilt from the journal (the journal is the truth).
    fn check_projection_version(&mut self) -> Result<(), StoreError> {
        let applied = read_u64(&self.tree, keys::APPLIED)?;
        let version = read_u64(&self.tree, keys::PROJECTIONS)?;
        if applied == 0 || version == PROJECTION_VERSION {
            return Ok(());
        }
        self.tree.clear().map_err(|e| self.db_err(e))?;
        let _ = fs::remove_file(catalog_cache::cache_path(&self.paths.dir));
        let line = format!(
            "the database was laid out by projection version {version}, this program uses {PROJECTION_VERSION}: rebuilding it from the journal"
        );
        log::warn!("{line}");
        self.recovery.push(line);
        Ok(())
    }

    /// The database's last applied record must be a whole record of the
    /// journal. If it is not, the database took a save whose journal write
    /// never reached the disk (a power cut between the two): it is rebuilt
    /// from the journal, which holds every save reported as saved.
    fn check_applied_record(&mut self) -> Result<(), StoreError> {
        let applied = read_u64(&self.tree, keys::APPLIED)?;
        if applied == 0 {
            return Ok(());
        }
        let from = read_u64(&self.tree, keys::APPLIED_FROM)?;
        if self.journal.has_record(from, applied) {
            return Ok(());
        }
        self.tree.clear().map_err(|e| self.db_err(e))?;
        let _ = fs::remove_file(catalog_cache::cache_path(&self.paths.dir));
        let line = format!(
            "the database had applied journal bytes up to {applied}, which the journal does not hold as a whole record: rebuilding it from the journal"
        );
        log::warn!("{line}");
        self.recovery.push(line);
        Ok(())
    }

    /// Replays journal records past the database's applied offset.
    fn catch_up(&mut self, progress: Progress) -> Result<(), StoreError> {
        let applied = read_u64(&self.tree, keys::APPLIED)?;
        let jpath = self.journal.path().to_path_buf();
        let jerr = |message: String| StoreError::Journal {
            path: jpath.clone(),
            message,
        };
        let total = self.journal.len();
        let reader = Journal::open_read(&jpath).map_err(|e| jerr(e.to_string()))?;
        let mut replayed = 0usize;
        let mut failure = None;
        let tail = reader.scan(applied, |record| {
            let result = serde_json::from_slice::<Batch>(&record.payload)
                .map_err(|e| jerr(e.to_string()))
                .and_then(|batch| {
                    let (ops, _) = self.stage(&batch.events, true)?;
                    let start = record.end - 8 - record.payload.len() as u64;
                    self.write_ops(ops, &batch.events, start, record.end)
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
        if let Some(e) = failure {
            return Err(e);
        }
        let tail = tail.map_err(|e| jerr(e.to_string()))?;
        if replayed > 0 {
            progress(total.saturating_sub(applied), total.saturating_sub(applied));
        }
        if replayed > 0 {
            self.recovery
                .push(format!("replayed {replayed} journal records into the database"));
        }
        if let Tail::Torn { at, bytes } = tail {
            let aside = self.journal.set_aside_tail(at).map_err(|e| jerr(e.to_string()))?;
            self.recovery.push(format!(
                "journal ended in {bytes} bytes of an unfinished write at offset {at}; moved them to {}",
                aside.display()
            ));
        }
        for line in &self.recovery {
            log::warn!("{line}");
        }
        Ok(())
    }

    /// Stages events over the database and writes them in one atomic sled
    /// batch together with the journal offset they came from. With
    /// `lenient`, an event that cannot be applied is skipped and logged
    /// (replay must not stop on one bad event); otherwise it fails the batch.
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

    /// Writes staged projections in one atomic sled batch together with the
    /// journal offset they came from.
    /// The sled batch for staged projections, with the journal position
    /// they came from (one atomic write).
    fn batch(ops: &Ops, events: &[Event], journal_start: u64, journal_end: u64) -> sled::Batch {
        let mut batch = sled::Batch::default();
        for (k, v) in ops {
            match v {
                Some(v) => batch.insert(k.as_slice(), v.as_slice()),
                None => batch.remove(k.as_slice()),
            }
        }
        if let Some(last) = events.last() {
            batch.insert(keys::SEQ, &last.id.seq.to_be_bytes());
        }
        batch.insert(keys::APPLIED, &journal_end.to_be_bytes());
        batch.insert(keys::APPLIED_FROM, &journal_start.to_be_bytes());
        batch.insert(keys::PROJECTIONS, &PROJECTION_VERSION.to_be_bytes());
        batch
    }

    /// Writes staged projections (replay at start: no journal write here).
    fn write_ops(
        &mut self,
        ops: Ops,
        events: &[Event],
        journal_start: u64,
        journal_end: u64,
    ) -> Result<(), StoreError> {
        let batch = Store::batch(&ops, events, journal_start, journal_end);
        self.tree.apply_batch(batch).map_err(|e| self.db_err(e))?;
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

    /// Keeps the cached station code and issued-code counters current.
    fn note(&mut self, event: &Event) {
        let code = match &event.body {
            EventBody::StationConfigured { station } => {
                self.station_code = Some(station.code.clone());
                return;
            }
            EventBody::VisitRegistered { visit } => &visit.code,
            EventBody::AppealRegistered { appeal } | EventBody::AppealImported { appeal } => &appeal.code,
            _ => return,
        };
        if Some(code.station()) == self.station_code.as_deref() && code.terminal() == self.terminal {
            let prefix = TrackingCode::day_prefix(code.date(), code.station(), code.terminal());
            let mut issued = self.issued.borrow_mut();
            if let Some(last) = issued.get_mut(&prefix) {
                *last = (*last).max(code.seq());
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
        let station = self.station_code.as_deref().unwrap_or("000000000");
        format!("{station}-{}", self.terminal)
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
        self.commit_at(actor, Local::now().fixed_offset(), changes)
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
    /// each row's events carry that row's date). One journal record.
    pub fn commit_dated(
        &mut self,
        actor: &str,
        changes: Vec<(DateTime<FixedOffset>, Change)>,
    ) -> Result<(Vec<Event>, Vec<String>), StoreError> {
        if let Some(message) = &self.poisoned {
            return Err(StoreError::Journal {
                path: self.journal.path().to_path_buf(),
                message: message.clone(),
            });
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
        // Refuse before anything is written.
        let (ops, touched) = self.stage(&events, false)?;
        let payload = serde_json::to_vec(&BatchRef {
            v: SCHEMA_VERSION,
            events: &events,
        })
        .map_err(|e| StoreError::Journal {
            path: self.journal.path().to_path_buf(),
            message: e.to_string(),
        })?;
        let journal_path = self.journal.path().to_path_buf();
        let journal_err = |message: String| StoreError::Journal {
            path: journal_path.clone(),
            message,
        };
        let start = self.journal.len();
        let end = self
            .journal
            .write(&payload)
            .map_err(|e| journal_err(e.to_string()))?;
        if let Some(last) = events.last() {
            self.last_seq = last.id.seq;
        }
        // The database takes the change on its own thread while this one
        // waits for the disk; the save returns only when both are done.
        self.applier.send(Store::batch(&ops, &events, start, end));
        let synced = self.journal.sync();
        let applied = self.applier.wait();
        if let Err(e) = synced {
            let message =
                format!("保存未能写入磁盘（{e}）。请退出并重新启动接待终端；已保存的内容不会丢失。");
            log::error!("journal fsync failed: {e}");
            self.poisoned = Some(message.clone());
            return Err(journal_err(message));
        }
        if let Err(e) = applied {
            // Durable in the journal; the database catches up at next start.
            let e = self.db_err(e);
            self.poisoned = Some(e.to_string());
            return Err(e);
        }
        self.after_write(&ops, &events, end);
        Ok((events, touched))
    }

    /// The next tracking code this terminal issues on `date`. Codes are
    /// taken from one sequence shared by visits and appeals.
    pub fn next_codes(&self, date: NaiveDate, count: usize) -> Result<Vec<TrackingCode>, StoreError> {
        let station = self.station_code.clone().ok_or(StoreError::NoStation)?;
        let prefix = TrackingCode::day_prefix(date, &station, self.terminal);
        let mut issued = self.issued.borrow_mut();
        let last = *issued.entry(prefix.clone()).or_insert_with(|| {
            let mut last = 0u16;
            for space in [keys::APPEAL, keys::VISIT] {
                let p = format!("{space}{prefix}");
                if let Some(Ok((k, _))) = self.tree.scan_prefix(p.as_bytes()).next_back() {
                    let code = std::str::from_utf8(&k[space.len()..])
                        .ok()
                        .and_then(|c| c.parse::<TrackingCode>().ok());
                    last = last.max(code.map(|c| c.seq()).unwrap_or(0));
                }
            }
            last
        });
        (1..=count as u16)
            .map(|i| {
                TrackingCode::new(date, &station, self.terminal, last + i).map_err(|_| StoreError::Journal {
                    path: self.journal.path().to_path_buf(),
                    message: "今日查询码已用完（每台终端每日 9999 个）".into(),
                })
            })
            .collect()
    }

    fn db_err(&self, e: impl ToString) -> StoreError {
        StoreError::Database {
            path: self.paths.db(),
            message: e.to_string(),
        }
    }

    fn get_decoded<T: serde::de::DeserializeOwned>(&self, key: &[u8]) -> Result<Option<T>, StoreError> {
        match self.tree.get(key).map_err(|e| self.db_err(e))? {
            Some(v) => decode(&v).map(Some).map_err(|e| self.db_err(e)),
            None => Ok(None),
        }
    }

    fn scan_decoded<T: serde::de::DeserializeOwned>(&self, prefix: &[u8]) -> Result<Vec<T>, StoreError> {
        self.tree
            .scan_prefix(prefix)
            .map(|kv| {
                let (_, v) = kv.map_err(|e| self.db_err(e))?;
                decode(&v).map_err(|e| self.db_err(e))
            })
            .collect()
    }

    pub fn station(&self) -> Result<Option<Station>, StoreError> {
        self.get_decoded(keys::STATION)
    }

    pub fn deputies(&self) -> Result<Vec<Deputy>, StoreError> {
        self.scan_decoded(keys::DEPUTY.as_bytes())
    }

    pub fn appeal(&self, code: &str) -> Result<Option<Appeal>, StoreError> {
        self.get_decoded(&keys::appeal(code))
    }

    pub fn visit(&self, code: &str) -> Result<Option<Visit>, StoreError> {
        self.get_decoded(&keys::visit(code))
    }

    /// Every appeal, oldest first, streamed to `each`.
    pub fn for_each_appeal(
        &self,
        mut each: impl FnMut(Appeal) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        for kv in self.tree.scan_prefix(keys::APPEAL.as_bytes()) {
            let (_, v) = kv.map_err(|e| self.db_err(e))?;
            each(decode(&v).map_err(|e| self.db_err(e))?)?;
        }
        Ok(())
    }

    pub fn duty(&self, day: NaiveDate) -> Result<Vec<Duty>, StoreError> {
        self.scan_decoded(&keys::duty_day(day))
    }

    /// Catalog rows of every appeal, in code order.
    /// Every catalog row, straight from the database (a full scan: for
    /// tests and tools; the kiosk loads through the catalog cache).
    pub fn catalog_rows(&self) -> Result<Vec<CatalogRow>, StoreError> {
        let mut rows = Vec::new();
        for_each_catalog_row(&self.tree, &self.paths.db(), |r| rows.push(r))?;
        Ok(rows)
    }

    pub fn has_appeals(&self) -> bool {
        self.tree.scan_prefix(keys::APPEAL.as_bytes()).next().is_some()
    }

    pub fn catalog_row(&self, code: &str) -> Result<Option<CatalogRow>, StoreError> {
        Ok(self
            .tree
            .get(keys::catalog(code))
            .map_err(|e| self.db_err(e))?
            .and_then(|v| std::str::from_utf8(&v).ok().and_then(CatalogRow::from_line)))
    }

    /// Appeals and visits registered on one day (any terminal of any station).
    pub fn counts_on(&self, day: NaiveDate) -> (usize, usize) {
        let yymmdd = day.format("%y%m%d").to_string();
        let count = |space: &str| {
            self.tree
                .scan_prefix(format!("{space}{yymmdd}").as_bytes())
                .count()
        };
        (count(keys::VISIT), count(keys::APPEAL))
    }

    /// Open referred appeals with a deadline on or before `until`, soonest first.
    pub fn deadlines_until(&self, until: NaiveDate) -> Result<Vec<(NaiveDate, String)>, StoreError> {
        let end = format!("{}{}/\u{7f}", keys::BY_DEADLINE, until);
        let mut out = Vec::new();
        for kv in self.tree.range(keys::BY_DEADLINE.as_bytes()..end.as_bytes()) {
            let (k, _) = kv.map_err(|e| self.db_err(e))?;
            if let (Some(d), Some(c)) = (keys::deadline_of_index(&k), keys::code_of_index(&k)) {
                out.push((d, c.to_string()));
            }
        }
        Ok(out)
    }

    /// Codes of appeals in one status, from the status index.
    pub fn codes_with_status(&self, status: crate::domain::Status) -> Result<Vec<String>, StoreError> {
        let prefix = format!("{}{}/", keys::BY_STATUS, status.code());
        self.tree
            .scan_prefix(prefix.as_bytes())
            .map(|kv| {
                let (k, _) = kv.map_err(|e| self.db_err(e))?;
                Ok(keys::code_of_index(&k).unwrap_or_default().to_string())
            })
            .collect()
    }

    /// Makes everything in the database durable now (normally sled does it
    /// in the background; the journal already holds every change).
    pub fn flush(&self) -> Result<(), StoreError> {
        self.tree.flush().map(|_| ()).map_err(|e| self.db_err(e))
    }

    /// A read-only handle for another thread (the kiosk loads its catalog
    /// in the background while the first frame is drawn).
    pub fn reader(&self) -> Reader {
        Reader {
            tree: self.tree.clone(),
            db_path: self.paths.db(),
            dir: self.paths.dir.clone(),
            cache: self.cache.clone(),
        }
    }

    pub(crate) fn tree(&self) -> &sled::Db {
        &self.tree
    }

    pub(crate) fn journal(&self) -> &Journal {
        &self.journal
    }
}

/// Writes this machine's terminal number into a data directory.
pub fn write_terminal(dir: &Path, terminal: u8) -> Result<(), StoreError> {
    let paths = Paths::new(dir);
    fs::create_dir_all(dir).map_err(|e| StoreError::io(dir, e))?;
    let text = toml::to_string(&TerminalConfig { terminal }).unwrap_or_default();
    fs::write(paths.terminal(), text).map_err(|e| StoreError::io(&paths.terminal(), e))
}

pub use check::{CheckReport, check, check_with, rebuild, rebuild_with};

/// Read-only access from another thread.
pub struct Reader {
    tree: sled::Db,
    db_path: PathBuf,
    dir: PathBuf,
    cache: catalog_cache::SharedCache,
}

impl Reader {
    /// The whole catalog, through the catalog cache (see `catalog_cache`).
    pub fn load_catalog(&self) -> Result<Catalog, StoreError> {
        let paths = Paths::new(&self.dir);
        catalog_cache::Loader {
            tree: &self.tree,
            db: &self.db_path,
            journal: &paths.journal(),
            cache: &catalog_cache::cache_path(&self.dir),
            state: &self.cache,
        }
        .load()
    }
}

/// Every catalog row in the database, in code order, to `each`.
fn for_each_catalog_row(
    tree: &sled::Db,
    db_path: &Path,
    mut each: impl FnMut(CatalogRow),
) -> Result<(), StoreError> {
    let err = |m: String| StoreError::Database {
        path: db_path.to_path_buf(),
        message: m,
    };
    for kv in tree.scan_prefix(keys::CATALOG.as_bytes()) {
        let (k, v) = kv.map_err(|e| err(e.to_string()))?;
        let line = std::str::from_utf8(&v).map_err(|e| err(e.to_string()))?;
        let row = CatalogRow::from_line(line).ok_or_else(|| {
            err(format!(
                "catalog row {} does not parse",
                String::from_utf8_lossy(&k)
            ))
        })?;
        each(row);
    }
    Ok(())
}
