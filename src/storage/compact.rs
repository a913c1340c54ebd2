//! Compaction: sled keeps the pages a change superseded until it cleans
//! their segments, so a database that took many changes (a bulk import, a
//! long replay) holds several times its live data. When `db/` has grown
//! well past what it held after its last compaction (and past the
//! journal), every tree is copied into a fresh database, which is then
//! swapped in with two renames.
//!
//! Crash safety: the copy is written and flushed as `db.compact` while
//! `db/` is untouched; then `db/` becomes `db.old`, `db.compact` becomes
//! `db/`, and `db.old` is removed. `settle` (at every opening for writing)
//! finishes or undoes a swap a crash cut short: with `db.old` but no `db/`
//! the old database is put back; a lone `db.compact` is an unfinished
//! copy and is removed. Either way the database is one whole sled
//! database, and the journal, the truth, is not touched.

use std::fs;
use std::path::{Path, PathBuf};

use super::{Paths, StoreError, open_sled};

/// `db/` is compacted when it is this many times larger than both the
/// journal and its own size after the last compaction.
const GROWTH: u64 = 2;

/// Databases smaller than this are never compacted.
const FLOOR_BYTES: u64 = 32 * 1024 * 1024;

/// `db/compacted`: the size of `db/` in bytes (as text) right after its
/// last compaction. A file beside sled's own, not a key: a key would be
/// one more thing for `check` to find that the journal does not make.
const COMPACTED: &str = "compacted";

/// The size `db/` had right after its last compaction (0: never compacted).
fn compacted_size(db: &Path) -> u64 {
    fs::read_to_string(db.join(COMPACTED))
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(0)
}

fn copy_path(paths: &Paths) -> PathBuf {
    paths.dir.join("db.compact")
}

fn old_path(paths: &Paths) -> PathBuf {
    paths.dir.join("db.old")
}

/// The bytes the files under `path` take.
pub fn dir_bytes(path: &Path) -> u64 {
    let Ok(entries) = fs::read_dir(path) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.file_type() {
            Ok(t) if t.is_dir() => dir_bytes(&e.path()),
            _ => e.metadata().map(|m| m.len()).unwrap_or(0),
        })
        .sum()
}

/// Finishes or undoes a swap a crash interrupted (see the module docs).
pub fn settle(paths: &Paths) -> Result<(), StoreError> {
    let (db, copy, old) = (paths.db(), copy_path(paths), old_path(paths));
    if old.exists() {
        if db.exists() {
            fs::remove_dir_all(&old).map_err(|e| StoreError::io(&old, e))?;
        } else {
            fs::rename(&old, &db).map_err(|e| StoreError::io(&old, e))?;
            log::warn!("a compaction of the database was interrupted: the database before it is kept");
        }
    }
    if copy.exists() {
        fs::remove_dir_all(&copy).map_err(|e| StoreError::io(&copy, e))?;
    }
    Ok(())
}

/// Whether the database at `paths.db()` has grown enough to be compacted
/// (see `GROWTH`).
pub fn wanted(paths: &Paths) -> bool {
    let size = dir_bytes(&paths.db());
    let journal = fs::metadata(paths.journal()).map(|m| m.len()).unwrap_or(0);
    let after_last = compacted_size(&paths.db());
    bloated(size, journal, after_last)
}

/// Whether a database of `size` bytes is worth compacting, beside a
/// journal of `journal` bytes, having been `after_last` bytes right after
/// its last compaction (0: never compacted).
fn bloated(size: u64, journal: u64, after_last: u64) -> bool {
    size >= FLOOR_BYTES && size > GROWTH * journal.max(after_last)
}

/// Copies every tree of the database at `paths.db()` (which nothing else
/// holds open; the caller holds the directory lock) into a fresh database
/// and swaps it in. Returns the new database's size.
pub fn compact(paths: &Paths) -> Result<u64, StoreError> {
    let (db, copy, old) = (paths.db(), copy_path(paths), old_path(paths));
    settle(paths)?;
    let names = open_sled(&db)?.tree_names();
    {
        let (read, written) = copy_trees(&db, &copy, &names, KEYS_PER_OPEN)?;
        if read != written {
            let _ = fs::remove_dir_all(&copy);
            return Err(StoreError::Database {
                path: copy,
                message: "the compacted copy does not hold what the database holds".into(),
            });
        }
        let size = dir_bytes(&copy);
        let at = copy.join(COMPACTED);
        fs::write(&at, size.to_string()).map_err(|e| StoreError::io(&at, e))?;
    }
    fs::rename(&db, &old).map_err(|e| StoreError::io(&db, e))?;
    fs::rename(&copy, &db).map_err(|e| StoreError::io(&copy, e))?;
    sync_dir(&paths.dir);
    fs::remove_dir_all(&old).map_err(|e| StoreError::io(&old, e))?;
    Ok(dir_bytes(&db))
}

/// Keys written per batch into the fresh database.
const BATCH: usize = 1_000;

/// Keys copied per opening of the two databases: sled keeps memory for
/// every page an opening has touched, so both are opened afresh for each
/// stretch and the copy's memory stays that of a stretch.
const KEYS_PER_OPEN: usize = 40_000;

/// Copies the trees `names` of the database at `from` into a fresh one at
/// `to`, in key order, `per` keys an opening, then counts what the copy holds
/// the same way. Returns the keys read and the keys the copy holds.
fn copy_trees(
    from: &Path,
    to: &Path,
    names: &[sled::IVec],
    per: usize,
) -> Result<(usize, usize), StoreError> {
    let (mut read, mut written) = (0, 0);
    for name in names {
        let mut after: Option<sled::IVec> = None;
        loop {
            let (src, dst) = (open_sled(from)?, open_sled(to)?);
            let (n, last) =
                copy_stretch(&src, &dst, name, after.as_ref(), per).map_err(|e| StoreError::sled(to, e))?;
            dst.flush().map_err(|e| StoreError::sled(to, e))?;
            read += n;
            match last {
                Some(key) if n == per => after = Some(key),
                _ => break,
            }
        }
        let mut after: Option<sled::IVec> = None;
        loop {
            let dst = open_sled(to)?;
            let tree = dst.open_tree(name).map_err(|e| StoreError::sled(to, e))?;
            let (n, last) =
                stretch(&tree, after.as_ref(), per, |_, _| Ok(())).map_err(|e| StoreError::sled(to, e))?;
            written += n;
            match last {
                Some(key) if n == per => after = Some(key),
                _ => break,
            }
        }
    }
    Ok((read, written))
}

/// Copies up to `per` keys of tree `name` after `after`.
fn copy_stretch(
    src: &sled::Db,
    dst: &sled::Db,
    name: &sled::IVec,
    after: Option<&sled::IVec>,
    per: usize,
) -> sled::Result<(usize, Option<sled::IVec>)> {
    let (from, to) = (src.open_tree(name)?, dst.open_tree(name)?);
    let mut batch = sled::Batch::default();
    let mut pending = 0;
    let result = stretch(&from, after, per, |k, v| {
        batch.insert(k, v);
        pending += 1;
        if pending == BATCH {
            to.apply_batch(std::mem::take(&mut batch))?;
            pending = 0;
        }
        Ok(())
    })?;
    to.apply_batch(batch)?;
    Ok(result)
}

/// Passes up to `per` keys of `tree` after `after` (from the
/// start without one) to `each`; returns how many and the last key.
fn stretch(
    tree: &sled::Tree,
    after: Option<&sled::IVec>,
    per: usize,
    mut each: impl FnMut(sled::IVec, sled::IVec) -> sled::Result<()>,
) -> sled::Result<(usize, Option<sled::IVec>)> {
    use std::ops::Bound::{Excluded, Unbounded};
    let iter = match after {
        Some(key) => tree.range::<&[u8], _>((Excluded(key.as_ref()), Unbounded)),
        None => tree.iter(),
    };
    let (mut n, mut last) = (0, None);
    for kv in iter.take(per) {
        let (k, v) = kv?;
        last = Some(k.clone());
        each(k, v)?;
        n += 1;
    }
    Ok((n, last))
}

fn sync_dir(dir: &Path) {
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::keys;

    const MB: u64 = 1024 * 1024;

    /// A database with garbage: every key rewritten many times, and a
    /// second tree.
    fn bloated_db(paths: &Paths) -> Vec<(Vec<u8>, Vec<u8>)> {
        let db = open_sled(&paths.db()).unwrap();
        let mut last = Vec::new();
        for round in 0u32..20 {
            last.clear();
            for i in 0u32..500 {
                let k = format!("a/{i:06}").into_bytes();
                let v = format!("{round}:{}", "x".repeat(400)).into_bytes();
                db.insert(&k, v.clone()).unwrap();
                last.push((k, v));
            }
        }
        db.insert(keys::APPLIED, &7u64.to_be_bytes()).unwrap();
        last.push((keys::APPLIED.to_vec(), 7u64.to_be_bytes().to_vec()));
        db.open_tree("sync").unwrap().insert(b"acked", b"5").unwrap();
        db.flush().unwrap();
        last.sort();
        last
    }

    fn contents(db: &sled::Db) -> Vec<(Vec<u8>, Vec<u8>)> {
        db.iter()
            .map(|kv| kv.map(|(k, v)| (k.to_vec(), v.to_vec())).unwrap())
            .collect()
    }

    #[test]
    fn a_copy_made_a_few_keys_an_opening_holds_every_key_of_every_tree() {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::new(dir.path());
        let written = bloated_db(&paths);
        let names = open_sled(&paths.db()).unwrap().tree_names();
        let copy = dir.path().join("copy");
        // 501 keys in the default tree, 1 in "sync": stretches of 7 end
        // mid-way, on a stretch's last key and on an empty tree's.
        for per in [7, 501, 1000] {
            let _ = fs::remove_dir_all(&copy);
            assert_eq!(
                copy_trees(&paths.db(), &copy, &names, per).unwrap(),
                (502, 502),
                "{per}"
            );
            let fresh = open_sled(&copy).unwrap();
            assert_eq!(contents(&fresh), written);
            assert_eq!(
                fresh.open_tree("sync").unwrap().get(b"acked").unwrap().unwrap(),
                b"5"
            );
        }
    }

    #[test]
    fn a_compacted_database_holds_the_same_keys_in_less_space() {
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::new(dir.path());
        let written = bloated_db(&paths);
        let before = dir_bytes(&paths.db());
        let db = open_sled(&paths.db()).unwrap();
        assert_eq!(contents(&db), written);
        drop(db);
        let after = compact(&paths).unwrap();
        assert!(after < before, "{after} bytes after, {before} before");
        let db = open_sled(&paths.db()).unwrap();
        assert_eq!(contents(&db), written);
        assert_eq!(
            db.open_tree("sync").unwrap().get(b"acked").unwrap().unwrap(),
            b"5"
        );
        assert!(compacted_size(&paths.db()) > 0);
        assert!(!copy_path(&paths).exists() && !old_path(&paths).exists());
    }

    #[test]
    fn an_interrupted_swap_keeps_one_whole_database() {
        // Cut after `db` was renamed to `db.old`: the old one is put back.
        let dir = tempfile::tempdir().unwrap();
        let paths = Paths::new(dir.path());
        let written = bloated_db(&paths);
        fs::create_dir_all(copy_path(&paths)).unwrap();
        fs::rename(paths.db(), old_path(&paths)).unwrap();
        settle(&paths).unwrap();
        assert!(!copy_path(&paths).exists() && !old_path(&paths).exists());
        assert_eq!(contents(&open_sled(&paths.db()).unwrap()), written);

        // Cut before the old one was removed: the new one stands.
        fs::create_dir_all(old_path(&paths)).unwrap();
        settle(&paths).unwrap();
        assert!(!old_path(&paths).exists());
        assert_eq!(contents(&open_sled(&paths.db()).unwrap()), written);
    }

    #[test]
    fn only_a_large_database_well_past_its_journal_and_last_compaction_is_compacted() {
        assert!(!bloated(20 * MB, 0, 0));
        assert!(bloated(400 * MB, 100 * MB, 0));
        assert!(!bloated(190 * MB, 100 * MB, 0));
        assert!(!bloated(290 * MB, 100 * MB, 150 * MB));
        assert!(bloated(310 * MB, 100 * MB, 150 * MB));
    }
}
