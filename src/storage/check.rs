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
use super::journal::{self, Item, Journal, Tail};
use super::{
    DamageReport, Finding, Mode, Paths, Progress, Recovery, Store, StoreError, keys, open_sled, read_u64,
    survey_damage, take_lock,
};
use crate::domain::{Appeal, Duty, Event, EventBody, EventId, Visit};

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
pub fn check_with(dir: &Path, progress: Progress) -> Result<CheckReport, StoreError> {
    check_in_parts(dir, check_parts::PART_CODES, progress)
}

/// `check` with parts of about `per_part` codes (tests use small parts to
/// cover many part boundaries with little data).
pub fn check_in_parts(dir: &Path, per_part: usize, progress: Progress) -> Result<CheckReport, StoreError> {
    let store = match Store::open_with(dir, Mode::Read, progress) {
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
    let mut report = CheckReport {
        recovery: store.recovery.clone(),
        damage: survey_damage(store.journal(), 0)?,
        ..CheckReport::default()
    };
    let tail = store
        .journal()
        .survey(0, |_| Ok(()))
        .map_err(|e| StoreError::io(store.journal().path(), e))?;
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
    let db = store.paths.db();
    let jpath = store.journal().path().to_path_buf();
    let origin = store.origin();
    drop(store);
    let journal = Journal::open_read(&jpath).map_err(|e| StoreError::io(&jpath, e))?;
    let parts = check_parts::plan(&journal, per_part)?;
    let len = journal.len();
    let total = len.saturating_mul(parts.len() as u64 + 1);
    progress(len, total);
    let mut diff = check_parts::Differences::default();
    let mut cache_problem = None;
    let mut index = check_parts::Digest::default();
    for (i, part) in parts.iter().enumerate() {
        let done = len * (i as u64 + 1);
        let replayed = check_parts::replay(&journal, part, &origin, &mut |at| progress(done + at, total))?;
        if *part == check_parts::Part::Global {
            report.records = replayed.records;
            report.events = replayed.events;
        }
        report.problems.extend(replayed.problems);
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
        if cache_problem.is_none() {
            cache_problem = check_parts::verify_cache(dir, &tree, &db, part, applied)?;
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
        for part in parts.iter().filter(|p| **p != check_parts::Part::Global) {
            let replayed = check_parts::replay(&journal, part, &origin, &mut |_| {})?;
            let tree = super::open_sled(&db)?;
            check_parts::compare(
                &tree,
                &db,
                part,
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

/// Sets the database aside (at most one earlier copy is kept, as
/// `db.before-rebuild`) and rebuilds it from the journal, then checks the
/// result. Refuses when the journal is damaged, unless `drop_damaged`
/// asks for the damaged records to be taken out first.
pub fn rebuild(dir: &Path) -> Result<CheckReport, StoreError> {
    rebuild_with(dir, false, &|_, _| {})
}

/// Where the database is set aside by a rebuild.
pub fn set_aside_path(dir: &Path) -> PathBuf {
    dir.join("db.before-rebuild")
}

/// `rebuild`, reporting progress.
pub fn rebuild_with(dir: &Path, drop_damaged: bool, progress: Progress) -> Result<CheckReport, StoreError> {
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
        let damage = survey_damage(&journal, 0)?;
        if !damage.is_empty() {
            if !drop_damaged {
                return Err(StoreError::JournalDamaged { path: jpath, damage });
            }
            recovery.extend(drop_damage(&paths, &journal, &damage)?);
        }
        set_database_aside(&paths, &mut recovery)?;
    }
    // Opening replays the whole journal into the new, empty database.
    drop(Store::open_with(dir, Mode::Write, progress)?);
    let mut report = check_with(dir, progress)?;
    recovery.append(&mut report.recovery);
    report.recovery = recovery;
    Ok(report)
}

/// Moves the database aside, replacing an earlier copy (only the latest is
/// kept), and discards the catalog cache derived from it.
fn set_database_aside(paths: &Paths, recovery: &mut Vec<Recovery>) -> Result<(), StoreError> {
    let db = paths.db();
    if db.exists() {
        let aside = set_aside_path(&paths.dir);
        if aside.exists() {
            fs::remove_dir_all(&aside).map_err(|e| StoreError::io(&aside, e))?;
        }
        // Copies left by earlier versions (one per rebuild).
        if let Ok(entries) = fs::read_dir(&paths.dir) {
            for entry in entries.flatten() {
                if entry
                    .file_name()
                    .to_string_lossy()
                    .starts_with("db.before-rebuild-")
                {
                    let _ = fs::remove_dir_all(entry.path());
                }
            }
        }
        fs::rename(&db, &aside).map_err(|e| StoreError::io(&db, e))?;
        recovery.push(Recovery::DatabaseSetAside { aside });
    }
    let _ = fs::remove_file(super::catalog_cache::cache_path(&paths.dir));
    Ok(())
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
    if let Tail::Torn { at, .. } = tail {
        let kept = journal::copy_out(&jpath, at, u64::MAX, "torn").map_err(|e| StoreError::io(&jpath, e))?;
        lines.push(Recovery::TornKept { kept });
    }
    for d in damage {
        if let Some((_, b)) = d.seqs {
            top = top.max(b);
        }
    }
    let mut counters =
        Counters::load(&paths.dir).map_err(|e| StoreError::io(&Counters::path(&paths.dir), e))?;
    counters
        .raise(top)
        .map_err(|e| StoreError::io(&Counters::path(&paths.dir), e))?;
    let old = journal::rewrite(&jpath, "before-drop", super::payload_seqs, |_| true)
        .map_err(|e| StoreError::io(&jpath, e))?;
    lines.push(Recovery::JournalRewritten {
        dropped: damage.len(),
        old,
    });
    Ok(lines)
}

/// Writes a new journal from what the database holds, for a station whose
/// journal was lost: the station, deputies, visits, appeals (each with its
/// whole history) and duty records become events of this terminal, after
/// every number it has used. The old journal, if any, is kept; the
/// database is then rebuilt from the new journal and checked.
pub fn journal_from_database(dir: &Path, progress: Progress) -> Result<CheckReport, StoreError> {
    let paths = Paths::new(dir);
    let identity = super::read_terminal(&paths)?;
    let mut recovery = Vec::new();
    {
        let _lock = take_lock(&paths)?;
        let db = paths.db();
        if !db.exists() {
            return Err(StoreError::NoDatabase(db));
        }
        let tree = open_sled(&db)?;
        let station: Option<crate::domain::Station> = tree
            .get(keys::STATION)
            .map_err(|e| StoreError::Database {
                path: db.clone(),
                message: e.to_string(),
            })?
            .and_then(|v| super::codec::decode(&v).ok());
        let Some(station) = station else {
            return Err(StoreError::NoStation(dir.to_path_buf()));
        };
        let origin = format!("{}-{}", station.code, identity.terminal);
        let floors = Counters::load(dir).map_err(|e| StoreError::io(&Counters::path(dir), e))?;
        let mut seq = read_u64(&tree, keys::SEQ)?.max(floors.floors.seq);
        let start_seq = seq;
        let now = station.zone().now();
        let jnew = dir.join("journal.from-database");
        let _ = fs::remove_file(&jnew);
        let mut out = Journal::create(&jnew).map_err(|e| StoreError::io(&jnew, e))?;
        let mut pending: Vec<Event> = Vec::new();
        // The chain goes on from the database's head: the events written
        // here follow those it held.
        let mut heads =
            super::record::Heads::load(&tree, origin.clone()).map_err(|e| StoreError::sled(&db, e))?;
        let mut write = |events: &mut Vec<Event>, out: &mut Journal| -> Result<(), StoreError> {
            if events.is_empty() {
                return Ok(());
            }
            let raws = super::record::raw_events(events)
                .map_err(|e| StoreError::io(&jnew, std::io::Error::other(e)))?;
            let payload = super::record::encode(&raws, &heads.chain)
                .map_err(|e| StoreError::io(&jnew, std::io::Error::other(e)))?;
            heads.advance(events, &raws);
            let (first, last) = (events[0].id.seq, events[events.len() - 1].id.seq);
            out.write(&payload, first, last)
                .map_err(|e| StoreError::io(&jnew, e))?;
            events.clear();
            Ok(())
        };
        let mut push = |body: EventBody, at, pending: &mut Vec<Event>| {
            seq += 1;
            pending.push(Event {
                id: EventId {
                    origin: origin.clone(),
                    seq,
                },
                at,
                actor: "recover".into(),
                body,
            });
        };
        push(EventBody::StationConfigured { station }, now, &mut pending);
        let decode_err = |e: String| StoreError::Database {
            path: db.clone(),
            message: e,
        };
        for (prefix, kind) in [
            (keys::DEPUTY, 0),
            (keys::VISIT, 1),
            (keys::APPEAL, 2),
            (keys::DUTY, 3),
        ] {
            for kv in tree.scan_prefix(prefix.as_bytes()) {
                let (_, v) = kv.map_err(|e| decode_err(e.to_string()))?;
                match kind {
                    0 => push(
                        EventBody::DeputyUpserted {
                            deputy: super::codec::decode(&v).map_err(decode_err)?,
                        },
                        now,
                        &mut pending,
                    ),
                    1 => {
                        let visit: Visit = super::codec::decode(&v).map_err(decode_err)?;
                        let at = visit.at;
                        push(EventBody::VisitRegistered { visit }, at, &mut pending);
                    }
                    2 => {
                        let appeal: Appeal = super::codec::decode(&v).map_err(decode_err)?;
                        push(EventBody::AppealImported { appeal }, now, &mut pending);
                    }
                    _ => {
                        let duty: Duty = super::codec::decode(&v).map_err(decode_err)?;
                        if let (Some(day), Some(check_in)) = (duty.day, duty.check_in) {
                            let deputy = duty.deputy.clone();
                            push(EventBody::DutyCheckedIn { deputy, day }, check_in, &mut pending);
                            if let Some(check_out) = duty.check_out {
                                let deputy = duty.deputy.clone();
                                push(EventBody::DutyCheckedOut { deputy, day }, check_out, &mut pending);
                            }
                        }
                    }
                }
                if pending.len() >= 200 {
                    write(&mut pending, &mut out)?;
                }
            }
        }
        write(&mut pending, &mut out)?;
        out.sync().map_err(|e| StoreError::io(&jnew, e))?;
        drop(tree);
        let jpath = paths.journal();
        if jpath.exists() {
            let mut kept = jpath.with_extension("lost");
            let mut n = 1;
            while kept.exists() {
                n += 1;
                kept = jpath.with_extension(format!("lost-{n}"));
            }
            fs::rename(&jpath, &kept).map_err(|e| StoreError::io(&jpath, e))?;
            recovery.push(Recovery::OldJournalKept { kept });
        }
        fs::rename(&jnew, &jpath).map_err(|e| StoreError::io(&jpath, e))?;
        journal::sync_dir(&jpath).map_err(|e| StoreError::io(&jpath, e))?;
        recovery.push(Recovery::JournalFromDatabase {
            events: seq - start_seq,
        });
        set_database_aside(&paths, &mut recovery)?;
    }
    drop(Store::open_with(dir, Mode::Write, progress)?);
    let mut report = check_with(dir, progress)?;
    recovery.append(&mut report.recovery);
    report.recovery = recovery;
    Ok(report)
}
