//! `jiedai check`: reads the whole journal, reports every damaged record,
//! replays the journal and compares the result, key by key and in order,
//! with the database, one range of tracking codes at a time (see
//! `check_parts`), so memory stays bounded whatever the size of the
//! station. `--rebuild` sets the database
//! aside and builds a new one from the journal; `--drop-damaged-records`
//! first takes damaged records out of the journal (their bytes kept);
//! `--journal-from-database` writes a new journal from the database when
//! the journal was lost.

use std::fs;
use std::path::{Path, PathBuf};

use super::check_parts;
use super::counters::Counters;
use super::counters::codes_in;
use super::journal::{self, Item, Journal, Tail};
use super::{
    DamageKind, DamageReport, Finding, Mode, OnProgress, Paths, Recovery, Store, StoreError, keys, open_sled,
    read_u64, survey_damage, take_lock,
};

#[derive(Debug, Default)]
pub struct CheckReport {
    pub records: usize,
    pub events: usize,
    pub appeals: usize,
    pub keys: usize,
    /// Damaged stretches of the journal (empty when it is whole).
    pub damage: Vec<DamageReport>,
    /// An unfinished write at the end of the journal (never acknowledged).
    pub torn: Option<(u64, u64)>,
    /// What disagrees between journal and database.
    pub problems: Vec<Finding>,
    /// What start-up recovery or a repair did before the check.
    pub recovery: Vec<Recovery>,
    /// Reads of the whole journal the check made (`Journal::whole_reads`:
    /// the survey of its damage, then the one parse of its records,
    /// whatever the station's size), and the parts it compared.
    pub journal_passes: usize,
    pub parts: usize,
}

impl CheckReport {
    pub fn ok(&self) -> bool {
        self.problems.is_empty() && self.damage.is_empty()
    }
}

/// Compares the database with a replay of the journal. Never changes the
/// journal.
pub fn check(dir: &Path) -> Result<CheckReport, StoreError> {
    check_with(dir, &|_, _| {})
}

/// `check`, reporting progress (journal bytes done, bytes in all).
pub fn check_with(dir: &Path, progress: OnProgress) -> Result<CheckReport, StoreError> {
    check_in_parts(dir, check_parts::PART_CODES, progress)
}

/// `check` with parts of about `per_part` codes (tests use small parts to
/// cover many part boundaries with little data).
pub fn check_in_parts(dir: &Path, per_part: usize, progress: OnProgress) -> Result<CheckReport, StoreError> {
    let mut store = match Store::open_with(dir, Mode::Read, progress) {
        Ok(s) => s,
        Err(StoreError::JournalDamaged { damage, .. }) => {
            // Opening stopped at damage past what the database holds;
            // report every damaged stretch of the whole journal.
            let _lock = take_lock(&Paths::new(dir))?;
            let journal = Journal::open_read(&Paths::new(dir).journal())
                .map_err(|e| StoreError::io(&Paths::new(dir).journal(), e))?;
            let all = survey_damage(&journal, 0)?;
            return Ok(CheckReport {
                damage: if all.is_empty() { damage } else { all },
                ..CheckReport::default()
            });
        }
        Err(e) => return Err(e),
    };
    let surveys = store.journal().whole_reads();
    let (damage, tail) = super::survey::survey_damage_and_tail(store.journal(), 0)?;
    let surveys = store.journal().whole_reads() - surveys;
    let mut report = CheckReport {
        recovery: store.recovery.clone(),
        damage,
        ..CheckReport::default()
    };
    if let Tail::Torn { at, bytes } = tail {
        report.torn = Some((at, bytes));
    }
    if !report.damage.is_empty() {
        return Ok(report);
    }
    // Part by part, each with the database opened afresh (see
    // `check_parts`); the directory stays locked throughout.
    let applied = read_u64(store.tree(), keys::APPLIED)?;
    let _lock = store.lock_handle()?;
    // The database as read mode opened it (a private copy, see
    // `snapshot_db`), kept until the check is done.
    let db = store.sled_path();
    let _snapshot = store.take_snapshot();
    let jpath = store.journal().path().to_path_buf();
    let origin = store.origin();
    drop(store);
    let journal = Journal::open_read(&jpath).map_err(|e| StoreError::io(&jpath, e))?;
    // One pass over the journal: the global part replayed, every code
    // part's events set aside; then each code part replayed from its own.
    let len = journal.len();
    let total = len.saturating_mul(3);
    let pass = check_parts::read_journal(&journal, &origin, per_part, &mut |at| progress(at, total))?;
    report.journal_passes = surveys + journal.whole_reads();
    report.parts = pass.parts.len();
    report.records = pass.global.records;
    report.events = pass.global.events;
    drop(journal);
    let spilled = pass.spilled().max(1);
    let mut done = 0u64;
    let mut diff = check_parts::Differences::default();
    let mut index = check_parts::Digest::default();
    let (cached, whole) = check_parts::cache_digest(dir)?;
    let mut stored_rows = check_parts::Digest::default();
    for (i, part) in pass.parts.iter().enumerate() {
        let replayed = if i == 0 {
            None
        } else {
            let at = |read: u64| progress(2 * len + len.saturating_mul(done + read) / spilled, total);
            let r = pass.replay(i, &mut |read| at(read))?;
            done += pass.size(i);
            Some(r)
        };
        let replayed = replayed.as_ref().unwrap_or(&pass.global);
        report.problems.extend(replayed.problems.iter().cloned());
        index.add_index_of(&replayed.state);
        let tree = super::open_sled(&db)?;
        check_parts::compare(
            &tree,
            &db,
            part,
            check_parts::Keys::Records,
            &replayed.state,
            &mut diff,
        )?;
        check_parts::add_catalog_of(&mut stored_rows, &tree, &db, part)?;
    }
    // The cache is compared as a whole by a digest, and part by part only
    // to name its first row that differs.
    let mut cache_problem = None;
    if whole == Some(applied) && cached != stored_rows {
        for part in &pass.parts {
            let tree = super::open_sled(&db)?;
            cache_problem = check_parts::verify_cache(dir, &tree, &db, part, applied)?;
            if cache_problem.is_some() {
                break;
            }
        }
    }
    let stored = check_parts::Digest::of_index(
        &db,
        check_parts::INDEX_KEYS_PER_OPEN.min(per_part.saturating_mul(10)),
    )?;
    // Index keys are counted here unless the search below counts them.
    let mut index_keys = stored.count as usize;
    if stored != index {
        index_keys = 0;
        // The indexes differ somewhere: find where, part by part (this
        // costs more memory, and only runs on a damaged database).
        for i in 1..pass.parts.len() {
            let replayed = pass.replay(i, &mut |_| {})?;
            let tree = super::open_sled(&db)?;
            check_parts::compare(
                &tree,
                &db,
                &pass.parts[i],
                check_parts::Keys::Index,
                &replayed.state,
                &mut diff,
            )?;
        }
    }
    progress(total, total);
    report.keys = diff.keys + index_keys;
    report.appeals = diff.appeals;
    let more = diff.more();
    report.problems.extend(diff.lines);
    report.problems.extend(more);
    report.problems.extend(cache_problem);
    Ok(report)
}

/// Sets the database aside (as `db.before-rebuild`; an earlier copy is
/// replaced only when the journal holds everything in it, otherwise the
/// new one is numbered) and rebuilds it from the journal, then checks the
/// result. Refuses when the journal is damaged, unless `drop_damaged`
/// asks for the damaged records to be taken out first, and refuses, with
/// nothing changed, when the database holds events the journal lacks (an
/// older journal put back): a rebuild would drop them.
pub fn rebuild(dir: &Path) -> Result<CheckReport, StoreError> {
    rebuild_with(dir, false, &|_, _| {})
}

/// Where the database is set aside by a rebuild.
pub fn set_aside_path(dir: &Path) -> PathBuf {
    dir.join("db.before-rebuild")
}

/// `rebuild`, reporting progress.
pub fn rebuild_with(dir: &Path, drop_damaged: bool, progress: OnProgress) -> Result<CheckReport, StoreError> {
    let paths = Paths::new(dir);
    if !paths.terminal().exists() && !paths.journal().exists() {
        return Err(StoreError::NoStation(dir.to_path_buf()));
    }
    let mut recovery = Vec::new();
    {
        let _lock = take_lock(&paths)?;
        let jpath = paths.journal();
        if !jpath.exists() {
            return Err(StoreError::DatabaseAhead {
                journal: jpath,
                applied: 0,
                journal_len: None,
            });
        }
        let journal = Journal::open_read(&jpath).map_err(|e| StoreError::io(&jpath, e))?;
        let summary = JournalHolds::read(&journal)?;
        let mut damage = survey_damage(&journal, 0)?;
        for repeat in &summary.repeats {
            if !damage.iter().any(|d| d.at == repeat.at) {
                damage.push(repeat.clone());
            }
        }
        damage.sort_by_key(|d| d.at);
        let db = paths.db();
        // What the database knows (None: there is none, or sled cannot
        // read it: then there is nothing to compare, and it is kept). Any
        // other failure to read it stops the rebuild: the check that it
        // holds nothing the journal lacks cannot be skipped.
        let held = if db.exists() {
            match DatabaseHolds::read(&db, &summary) {
                Ok(held) => Some(held),
                Err(e) if e.sled_unreadable(&db) => None,
                Err(e) => return Err(e),
            }
        } else {
            None
        };
        if let Some(held) = &held
            && damage.is_empty()
            && held.ahead()
        {
            return Err(StoreError::JournalBehind {
                journal: jpath,
                appeals: held.appeals_missing,
                db_seq: held.own_seq,
                journal_seq: held.own_seq_in_journal,
            });
        }
        if !damage.is_empty() {
            if !drop_damaged {
                return Err(StoreError::JournalDamaged { path: jpath, damage });
            }
            recovery.extend(drop_damage(&paths, &journal, &damage)?);
        }
        // The numbers the database knows were given out outlive it.
        if let Some(held) = &held {
            let mut counters = Counters::load(dir).map_err(|e| StoreError::io(&Counters::path(dir), e))?;
            counters
                .raise_all(held.own_seq.max(held.acked), &held.issued)
                .map_err(|e| StoreError::io(&Counters::path(dir), e))?;
        }
        set_database_aside_keeping(&paths, &summary, &mut recovery)?;
    }
    // Opening replays the whole journal into the new, empty database.
    drop(Store::open_with(dir, Mode::Write, progress)?);
    let mut report = check_with(dir, progress)?;
    recovery.append(&mut report.recovery);
    report.recovery = recovery;
    Ok(report)
}

/// What a journal holds, for comparing a database with it: the last
/// sequence of each origin, every tracking code written in it, and the
/// records that repeat events held before them (a record written twice).
#[derive(Debug, Default)]
struct JournalHolds {
    seqs: std::collections::HashMap<String, u64>,
    codes: std::collections::HashSet<String>,
    repeats: Vec<DamageReport>,
}

impl JournalHolds {
    fn read(journal: &Journal) -> Result<JournalHolds, StoreError> {
        let mut out = JournalHolds::default();
        let path = journal.path().to_path_buf();
        journal
            .survey(0, |item| {
                let Item::Record(r) = item else {
                    return Ok(());
                };
                let Ok(raws) = super::record::decode_raw(r.payload) else {
                    return Ok(());
                };
                let ids: Vec<crate::domain::EventId> = raws
                    .iter()
                    .filter_map(|raw| super::record::event_id(raw).ok())
                    .collect();
                let repeated: Vec<u64> = ids
                    .iter()
                    .filter(|id| out.seqs.get(&id.origin).is_some_and(|&held| id.seq <= held))
                    .map(|id| id.seq)
                    .collect();
                if let (Some(a), Some(b)) = (repeated.iter().min(), repeated.iter().max()) {
                    out.repeats.push(DamageReport {
                        at: r.start,
                        bytes: r.end - r.start,
                        seqs: Some((*a, *b)),
                        valid_after: 0,
                        kind: DamageKind::Repeat { of: None },
                    });
                    return Ok(());
                }
                for id in ids {
                    let held = out.seqs.entry(id.origin).or_insert(0);
                    *held = (*held).max(id.seq);
                }
                out.codes
                    .extend(codes_in(r.payload).into_iter().map(|c| c.as_str().to_string()));
                Ok(())
            })
            .map_err(|e| StoreError::io(&path, e))?;
        Ok(out)
    }
}

/// What a database holds beyond a journal, and the numbers it knows were
/// given out.
#[derive(Debug, Default)]
struct DatabaseHolds {
    /// This terminal's last event in the database, and in the journal.
    own_seq: u64,
    own_seq_in_journal: u64,
    /// Other origins (the county's) whose events the database holds
    /// beyond the journal's.
    others_ahead: usize,
    /// Appeals whose code the journal never names.
    appeals_missing: usize,
    /// The highest code of each day (`m/issued/`), and what the county
    /// acknowledged of this terminal.
    issued: Vec<(String, u32)>,
    acked: u64,
}

impl DatabaseHolds {
    fn read(db: &Path, journal: &JournalHolds) -> Result<DatabaseHolds, StoreError> {
        let tree = open_sled(db)?;
        let err = |e: sled::Error| StoreError::sled(db, e);
        let mut out = DatabaseHolds {
            own_seq: read_u64(&tree, keys::SEQ)?,
            ..DatabaseHolds::default()
        };
        let origin = match tree.get(keys::SEQ_ORIGIN).map_err(err)? {
            Some(o) => String::from_utf8_lossy(&o).into_owned(),
            // Before `m/seq_origin`: the origin of the journal's own events
            // (the one holding the most).
            None => journal
                .seqs
                .iter()
                .filter(|(o, _)| !o.starts_with("county/"))
                .max_by_key(|(_, s)| **s)
                .map(|(o, _)| o.clone())
                .unwrap_or_default(),
        };
        out.own_seq_in_journal = journal.seqs.get(&origin).copied().unwrap_or(0);
        for kv in tree.scan_prefix(keys::ORIGIN.as_bytes()) {
            let (k, v) = kv.map_err(err)?;
            let other = String::from_utf8_lossy(&k[keys::ORIGIN.len()..]).into_owned();
            let seq = v.as_ref().try_into().map(u64::from_be_bytes).unwrap_or(0);
            if seq > journal.seqs.get(&other).copied().unwrap_or(0) {
                out.others_ahead += 1;
            }
        }
        for kv in tree.scan_prefix(keys::APPEAL.as_bytes()) {
            let (k, _) = kv.map_err(err)?;
            let code = String::from_utf8_lossy(&k[keys::APPEAL.len()..]);
            if !journal.codes.contains(code.as_ref()) {
                out.appeals_missing += 1;
            }
        }
        for kv in tree.scan_prefix(keys::ISSUED.as_bytes()) {
            let (k, v) = kv.map_err(err)?;
            let prefix = String::from_utf8_lossy(&k[keys::ISSUED.len()..]).into_owned();
            out.issued.push((prefix, keys::read_u32(&v)));
        }
        // The sync's position, if it has one (opening its tree would make it).
        let dir = db.parent().unwrap_or(db);
        if tree.tree_names().iter().any(|n| *n == "sync") || super::sync_state::position_path(dir).exists() {
            out.acked = super::sync_state::SyncState::open(&tree, db.to_path_buf(), dir, origin)?
                .position()?
                .acked;
        }
        Ok(out)
    }

    /// Whether the database holds anything the journal lacks.
    fn ahead(&self) -> bool {
        self.own_seq > self.own_seq_in_journal || self.others_ahead > 0 || self.appeals_missing > 0
    }
}

/// Moves the database aside for a rebuild. An earlier copy is replaced only
/// when the journal holds everything in it (or sled cannot read it at
/// all); otherwise it is kept and this copy gets the next free number
/// (`db.before-rebuild-2`, …). The catalog
/// cache derived from the database is discarded.
fn set_database_aside_keeping(
    paths: &Paths,
    journal: &JournalHolds,
    recovery: &mut Vec<Recovery>,
) -> Result<(), StoreError> {
    let db = paths.db();
    if db.exists() {
        let mut aside = set_aside_path(&paths.dir);
        if aside.exists() {
            // Kept when it holds more than the journal; replaced when the
            // journal holds all of it, or when sled cannot read it at all
            // (nothing could be taken back from it).
            // Any other failure to read it (an I/O error, a side file)
            // says nothing of what it holds: it is kept.
            let replace = match DatabaseHolds::read(&aside, journal) {
                Ok(held) => !held.ahead(),
                Err(e) => e.sled_unreadable(&aside),
            };
            if replace {
                fs::remove_dir_all(&aside).map_err(|e| StoreError::io(&aside, e))?;
            } else {
                let mut n = 2;
                while aside.exists() {
                    aside = paths.dir.join(format!("db.before-rebuild-{n}"));
                    n += 1;
                }
            }
        }
        fs::rename(&db, &aside).map_err(|e| StoreError::io(&db, e))?;
        recovery.push(Recovery::DatabaseSetAside { aside });
    }
    let _ = fs::remove_file(super::catalog_cache::cache_path(&paths.dir));
    Ok(())
}

/// Whether `rebuild_with` (without dropping damaged records) would refuse
/// the journal as it now is: it is damaged, or a database sled can read
/// holds what it lacks. An error reading them is the rebuild's error too.
pub(super) fn rebuild_refuses(paths: &Paths) -> Result<bool, StoreError> {
    let jpath = paths.journal();
    let journal = Journal::open_read(&jpath).map_err(|e| StoreError::io(&jpath, e))?;
    let summary = JournalHolds::read(&journal)?;
    if !summary.repeats.is_empty() || !survey_damage(&journal, 0)?.is_empty() {
        return Ok(true);
    }
    let db = paths.db();
    if !db.exists() {
        return Ok(false);
    }
    match DatabaseHolds::read(&db, &summary) {
        Ok(held) => Ok(held.ahead()),
        Err(e) if e.sled_unreadable(&db) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Moves the database aside for a rebuild, as `set_database_aside_keeping`
/// does with what the journal at hand holds: a copy that holds more than
/// the journal is never overwritten.
pub(super) fn set_database_aside(paths: &Paths, recovery: &mut Vec<Recovery>) -> Result<(), StoreError> {
    let journal = Journal::open_read(&paths.journal()).map_err(|e| StoreError::io(&paths.journal(), e))?;
    let holds = JournalHolds::read(&journal)?;
    set_database_aside_keeping(paths, &holds, recovery)
}

/// Takes the damaged stretches out of the journal: each is copied into a
/// file beside it, the journal is rewritten from its valid records (the
/// old file kept), and the counters' floors are raised past every event
/// number the dropped records held.
fn drop_damage(
    paths: &Paths,
    journal: &Journal,
    damage: &[DamageReport],
) -> Result<Vec<Recovery>, StoreError> {
    let jpath = paths.journal();
    let mut lines = Vec::new();
    for d in damage {
        let kept =
            journal::copy_out(&jpath, d.at, d.bytes, "damaged").map_err(|e| StoreError::io(&jpath, e))?;
        lines.push(Recovery::DamageDropped {
            at: d.at,
            bytes: d.bytes,
            seqs: d.seqs,
            kept,
        });
    }
    let mut top = 0u64;
    let tail = journal
        .survey(0, |item| {
            if let Item::Record(r) = item {
                top = top.max(r.last);
            }
            Ok(())
        })
        .map_err(|e| StoreError::io(&jpath, e))?;
    let counters_path = Counters::path(&paths.dir);
    let mut counters = Counters::load(&paths.dir).map_err(|e| StoreError::io(&counters_path, e))?;
    if let Tail::Torn { at, bytes } = tail {
        let kept = journal::copy_out(&jpath, at, u64::MAX, "torn").map_err(|e| StoreError::io(&jpath, e))?;
        lines.push(Recovery::TornKept { kept });
        let (seqs, torn) = journal::bytes_at(&jpath, at, bytes).map_err(|e| StoreError::io(&jpath, e))?;
        counters
            .raise_from_bytes(seqs, &torn)
            .map_err(|e| StoreError::io(&counters_path, e))?;
    }
    // Every number a dropped record held stays used: its event range and
    // the tracking codes still legible in its bytes.
    for d in damage {
        let (_, bytes) = journal::bytes_at(&jpath, d.at, d.bytes).map_err(|e| StoreError::io(&jpath, e))?;
        counters
            .raise_from_bytes(d.seqs, &bytes)
            .map_err(|e| StoreError::io(&counters_path, e))?;
    }
    counters
        .raise(top)
        .map_err(|e| StoreError::io(&counters_path, e))?;
    // Repeated records are valid records: they are left out by offset.
    let repeats: Vec<u64> = damage
        .iter()
        .filter(|d| matches!(d.kind, DamageKind::Repeat { .. }))
        .map(|d| d.at)
        .collect();
    let old = journal::rewrite(&jpath, "before-drop", super::payload_seqs, |r| {
        !repeats.contains(&r.start)
    })
    .map_err(|e| StoreError::io(&jpath, e))?;
    lines.push(Recovery::JournalRewritten {
        dropped: damage.len(),
        old,
    });
    Ok(lines)
}

/// Writes a new journal from what the database holds, for a station whose
/// journal was lost and which never synced (see
/// `restore::journal_from_database`, which also takes the county's copy).
pub fn journal_from_database(dir: &Path, progress: OnProgress) -> Result<CheckReport, StoreError> {
    super::restore::journal_from_database(dir, None, false, progress)
}
