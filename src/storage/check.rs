//! `jiedai check`: replays the whole journal into memory and compares the
//! result, key by key, with the database. `--rebuild` sets the database
//! aside and builds a new one from the journal.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use super::journal::{Journal, Tail};
use super::projection::Staged;
use super::{Batch, Paths, Progress, Store, StoreError, keys, take_lock};

#[derive(Debug, Default)]
pub struct CheckReport {
    pub records: usize,
    pub events: usize,
    pub appeals: usize,
    pub keys: usize,
    /// What disagrees, one line each (empty when all is well).
    pub problems: Vec<String>,
    /// What start-up recovery did before the check.
    pub recovery: Vec<String>,
}

impl CheckReport {
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// A key-value state held in memory.
type State = BTreeMap<Vec<u8>, Vec<u8>>;

/// The state the journal implies, built in memory.
fn replay(journal: &Journal, progress: Progress) -> Result<(State, CheckReport), StoreError> {
    let total = journal.len();
    let jerr = |message: String| StoreError::Journal {
        path: journal.path().to_path_buf(),
        message,
    };
    let mut state: State = BTreeMap::new();
    let mut report = CheckReport::default();
    let tail = journal
        .scan(0, |record| {
            let batch: Batch = serde_json::from_slice(&record.payload)
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
            report.records += 1;
            report.events += batch.events.len();
            let mut staged = Staged::new(&state);
            for event in &batch.events {
                if let Err(e) = staged.apply(event) {
                    report
                        .problems
                        .push(format!("journal event {}#{}: {e}", event.id.origin, event.id.seq));
                }
            }
            let ops = staged.ops();
            for (k, v) in ops {
                match v {
                    Some(v) => state.insert(k, v),
                    None => state.remove(&k),
                };
            }
            if let Some(last) = batch.events.last() {
                state.insert(keys::SEQ.to_vec(), last.id.seq.to_be_bytes().to_vec());
            }
            state.insert(keys::APPLIED.to_vec(), record.end.to_be_bytes().to_vec());
            let start = record.end - 8 - record.payload.len() as u64;
            state.insert(keys::APPLIED_FROM.to_vec(), start.to_be_bytes().to_vec());
            if report.records.is_multiple_of(256) {
                progress(record.end, total);
            }
            state.insert(
                keys::PROJECTIONS.to_vec(),
                super::PROJECTION_VERSION.to_be_bytes().to_vec(),
            );
            Ok(())
        })
        .map_err(|e| jerr(e.to_string()))?;
    if let Tail::Torn { at, bytes } = tail {
        report.problems.push(format!(
            "journal: {bytes} bytes at offset {at} are not a whole record"
        ));
    }
    Ok((state, report))
}

fn describe(key: &[u8]) -> String {
    String::from_utf8_lossy(key).into_owned()
}

/// Compares the database with a replay of the journal.
pub fn check(dir: &Path) -> Result<CheckReport, StoreError> {
    check_with(dir, &|_, _| {})
}

/// `check`, reporting progress (journal bytes done, bytes in all).
pub fn check_with(dir: &Path, progress: Progress) -> Result<CheckReport, StoreError> {
    let store = Store::open_reporting(dir, progress)?;
    let (expected, mut report) = replay(store.journal(), progress)?;
    progress(store.journal().len(), store.journal().len());
    report.recovery = store.recovery.clone();
    let mut actual: BTreeMap<Vec<u8>, Vec<u8>> = BTreeMap::new();
    for kv in store.tree().iter() {
        let (k, v) = kv.map_err(|e| StoreError::Database {
            path: store.paths.db(),
            message: e.to_string(),
        })?;
        actual.insert(k.to_vec(), v.to_vec());
    }
    report.keys = actual.len();
    report.appeals = actual
        .keys()
        .filter(|k| k.starts_with(keys::APPEAL.as_bytes()))
        .count();
    const LIMIT: usize = 50;
    let mut differences = 0usize;
    for (k, v) in &expected {
        let problem = match actual.get(k) {
            None => Some(format!("missing from the database: {}", describe(k))),
            Some(a) if a != v => Some(format!("differs from the journal: {}", describe(k))),
            _ => None,
        };
        if let Some(p) = problem {
            differences += 1;
            if differences <= LIMIT {
                report.problems.push(p);
            }
        }
    }
    for k in actual.keys().filter(|k| !expected.contains_key(*k)) {
        differences += 1;
        if differences <= LIMIT {
            report
                .problems
                .push(format!("in the database but not in the journal: {}", describe(k)));
        }
    }
    let applied = super::read_u64(store.tree(), keys::APPLIED)?;
    report.problems.extend(super::catalog_cache::verify(
        dir,
        store.tree(),
        applied,
        &store.paths.db(),
    )?);
    if differences > LIMIT {
        report
            .problems
            .push(format!("… and {} more differences", differences - LIMIT));
    }
    Ok(report)
}

/// Sets the database aside (renamed, never deleted) and rebuilds it from
/// the journal, then checks the result.
pub fn rebuild(dir: &Path) -> Result<CheckReport, StoreError> {
    rebuild_with(dir, &|_, _| {})
}

/// `rebuild`, reporting progress.
pub fn rebuild_with(dir: &Path, progress: Progress) -> Result<CheckReport, StoreError> {
    let paths = Paths::new(dir);
    {
        let _lock = take_lock(&paths)?;
        let db = paths.db();
        if db.exists() {
            let stamp = chrono::Local::now().format("%Y%m%d-%H%M%S");
            // Two rebuilds within one second must not collide.
            let mut aside = dir.join(format!("db.before-rebuild-{stamp}"));
            let mut n = 1;
            while aside.exists() {
                n += 1;
                aside = dir.join(format!("db.before-rebuild-{stamp}-{n}"));
            }
            fs::rename(&db, &aside).map_err(|e| StoreError::Io {
                path: db.clone(),
                source: e,
            })?;
            log::warn!("database moved aside to {}", aside.display());
        }
        // The catalog cache is derived from the database: build it anew.
        let _ = fs::remove_file(super::catalog_cache::cache_path(dir));
    }
    // Opening replays the whole journal into the new, empty database.
    drop(Store::open_reporting(dir, progress)?);
    check_with(dir, progress)
}
