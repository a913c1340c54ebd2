//! `jiedai check`: reads the whole journal, reports every damaged record,
//! replays the journal into a scratch database and compares it, key by
//! key and in order, with the real one (streaming both, so memory stays
//! flat whatever the size of the station). `--rebuild` sets the database
//! aside and builds a new one from the journal; `--drop-damaged-records`
//! first takes damaged records out of the journal (their bytes kept);
//! `--journal-from-database` writes a new journal from the database when
//! the journal was lost.

use std::fs;
use std::path::{Path, PathBuf};

use chrono::Local;

use super::counters::Counters;
use super::journal::{self, Item, Journal, Tail};
use super::projection::Staged;
use super::{
    Batch, BatchRef, DamageReport, Mode, Paths, Progress, Store, StoreError, keys, open_sled, read_u64,
    survey_damage, take_lock,
};
use crate::domain::event::SCHEMA_VERSION;
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
    /// What disagrees between journal and database, one line each.
    pub problems: Vec<String>,
    /// What start-up recovery or a repair did before the check.
    pub recovery: Vec<String>,
}

impl CheckReport {
    pub fn ok(&self) -> bool {
        self.problems.is_empty() && self.damage.is_empty()
    }
}

fn describe(key: &[u8]) -> String {
    String::from_utf8_lossy(key).into_owned()
}

/// A difference line in the user's language.
fn words(zh: &str, en: &str, key: &[u8]) -> String {
    format!("{}{}", crate::i18n::current().pick(zh, en), describe(key))
}

/// Replays the journal into a scratch database at `scratch`, counting
/// records and events and noting events that cannot be applied.
fn replay_into(
    journal: &Journal,
    scratch: &sled::Db,
    report: &mut CheckReport,
    progress: Progress,
) -> Result<(), StoreError> {
    let total = journal.len();
    let jerr = |e: std::io::Error| StoreError::io(journal.path(), e);
    let mut failure = None;
    let scanned = journal.scan(0, |record| {
        let batch: Batch = match serde_json::from_slice(&record.payload) {
            Ok(b) => b,
            Err(e) => {
                report.problems.push(format!(
                    "journal record {} (offset {}): {e}",
                    record.number, record.start
                ));
                return Ok(());
            }
        };
        report.records += 1;
        report.events += batch.events.len();
        let mut staged = Staged::new(scratch);
        for event in &batch.events {
            if let Err(e) = staged.apply(event) {
                report.problems.push(crate::i18n::current().pick(
                    format!("日志事件 {}#{}：{e}", event.id.origin, event.id.seq),
                    format!("journal event {}#{}: {e}", event.id.origin, event.id.seq),
                ));
            }
        }
        let ops = staged.ops();
        if let Err(e) = scratch.apply_batch(Store::batch(&ops, &batch.events, record.start, record.end)) {
            failure = Some(e);
            return Err(std::io::Error::other("scratch database"));
        }
        if report.records.is_multiple_of(256) {
            progress(record.end, total);
        }
        Ok(())
    });
    if let Some(e) = failure {
        return Err(StoreError::sled(
            &journal.path().with_file_name("check-replay"),
            e,
        ));
    }
    scanned.map(|_| ()).map_err(jerr)
}

/// Compares the database with a replay of the journal. Never changes the
/// journal.
pub fn check(dir: &Path) -> Result<CheckReport, StoreError> {
    check_with(dir, &|_, _| {})
}

/// `check`, reporting progress (journal bytes done, bytes in all).
pub fn check_with(dir: &Path, progress: Progress) -> Result<CheckReport, StoreError> {
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
    let scratch_path = dir.join("check-replay");
    let _ = fs::remove_dir_all(&scratch_path);
    let scratch = open_sled(&scratch_path)?;
    let compared = replay_into(store.journal(), &scratch, &mut report, progress)
        .and_then(|()| compare(&store, &scratch, &mut report));
    drop(scratch);
    let _ = fs::remove_dir_all(&scratch_path);
    compared?;
    progress(store.journal().len(), store.journal().len());
    let applied = read_u64(store.tree(), keys::APPLIED)?;
    report.problems.extend(super::catalog_cache::verify(
        dir,
        store.tree(),
        applied,
        &store.paths.db(),
    )?);
    Ok(report)
}

/// Walks both databases in key order and notes every difference.
fn compare(store: &Store, expected: &sled::Db, report: &mut CheckReport) -> Result<(), StoreError> {
    const LIMIT: usize = 50;
    let db_err = StoreError::sled;
    let db = store.paths.db();
    let mut actual = store.tree().iter();
    let mut wanted = expected.iter();
    let mut a = actual.next().transpose().map_err(|e| db_err(&db, e))?;
    let mut w = wanted.next().transpose().map_err(|e| db_err(&db, e))?;
    let mut differences = 0usize;
    let mut note = |report: &mut CheckReport, line: String| {
        differences += 1;
        if differences <= LIMIT {
            report.problems.push(line);
        }
    };
    loop {
        match (&a, &w) {
            (None, None) => break,
            (Some((ak, av)), Some((wk, wv))) if ak == wk => {
                report.keys += 1;
                if ak.starts_with(keys::APPEAL.as_bytes()) {
                    report.appeals += 1;
                }
                if av != wv {
                    note(report, words("与日志不一致：", "differs from the journal: ", ak));
                }
                a = actual.next().transpose().map_err(|e| db_err(&db, e))?;
                w = wanted.next().transpose().map_err(|e| db_err(&db, e))?;
            }
            (Some((ak, _)), Some((wk, _))) if ak < wk => {
                report.keys += 1;
                note(
                    report,
                    words(
                        "数据库中有而日志中没有：",
                        "in the database but not in the journal: ",
                        ak,
                    ),
                );
                a = actual.next().transpose().map_err(|e| db_err(&db, e))?;
            }
            (Some((ak, _)), None) => {
                report.keys += 1;
                note(
                    report,
                    words(
                        "数据库中有而日志中没有：",
                        "in the database but not in the journal: ",
                        ak,
                    ),
                );
                a = actual.next().transpose().map_err(|e| db_err(&db, e))?;
            }
            (_, Some((wk, _))) => {
                note(report, words("数据库中缺少：", "missing from the database: ", wk));
                w = wanted.next().transpose().map_err(|e| db_err(&db, e))?;
            }
        }
    }
    if differences > LIMIT {
        report.problems.push(crate::i18n::current().pick(
            format!("……另有 {} 处不一致", differences - LIMIT),
            format!("… and {} more differences", differences - LIMIT),
        ));
    }
    Ok(())
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
fn set_database_aside(paths: &Paths, recovery: &mut Vec<String>) -> Result<(), StoreError> {
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
        recovery.push(crate::i18n::current().pick(
            format!("原数据库已移到 {}", aside.display()),
            format!("the old database was moved to {}", aside.display()),
        ));
    }
    let _ = fs::remove_file(super::catalog_cache::cache_path(&paths.dir));
    Ok(())
}

/// Takes the damaged stretches out of the journal: each is copied into a
/// file beside it, the journal is rewritten from its valid records (the
/// old file kept), and the counters' floors are raised past every event
/// number the dropped records held.
fn drop_damage(paths: &Paths, journal: &Journal, damage: &[DamageReport]) -> Result<Vec<String>, StoreError> {
    let jpath = paths.journal();
    let mut lines = Vec::new();
    for d in damage {
        let kept =
            journal::copy_out(&jpath, d.at, d.bytes, "damaged").map_err(|e| StoreError::io(&jpath, e))?;
        let lang = crate::i18n::current();
        let events = match d.seqs {
            Some((a, b)) => lang.pick(format!("（事件 #{a}-#{b}）"), format!(", events #{a}-#{b}")),
            None => String::new(),
        };
        lines.push(lang.pick(
            format!(
                "已舍弃偏移 {} 起 {} 字节的损坏记录{events}；原字节保存在 {}",
                d.at,
                d.bytes,
                kept.display()
            ),
            format!(
                "dropped {} damaged bytes at offset {}{events}; the bytes are kept in {}",
                d.bytes,
                d.at,
                kept.display()
            ),
        ));
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
        lines.push(crate::i18n::current().pick(
            format!("日志末尾未写完的内容已另存到 {}", kept.display()),
            format!("an unfinished write at the end was kept in {}", kept.display()),
        ));
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
    lines.push(crate::i18n::current().pick(
        format!(
            "共从日志中舍弃 {} 处损坏的记录；原日志保存为 {}",
            damage.len(),
            old.display()
        ),
        format!(
            "{} damaged records dropped from the journal; the journal as it was is kept as {}",
            damage.len(),
            old.display()
        ),
    ));
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
            return Err(StoreError::Database {
                path: db,
                message: "there is no database to rebuild the journal from".into(),
            });
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
        let now = Local::now().fixed_offset();
        let jnew = dir.join("journal.from-database");
        let _ = fs::remove_file(&jnew);
        let mut out = Journal::create(&jnew).map_err(|e| StoreError::io(&jnew, e))?;
        let mut pending: Vec<Event> = Vec::new();
        let write = |events: &mut Vec<Event>, out: &mut Journal| -> Result<(), StoreError> {
            if events.is_empty() {
                return Ok(());
            }
            let payload = serde_json::to_vec(&BatchRef {
                v: SCHEMA_VERSION,
                events,
            })
            .map_err(|e| StoreError::io(&jnew, std::io::Error::other(e)))?;
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
            recovery.push(crate::i18n::current().pick(
                format!("原日志保存为 {}", kept.display()),
                format!("the old journal was kept as {}", kept.display()),
            ));
        }
        fs::rename(&jnew, &jpath).map_err(|e| StoreError::io(&jpath, e))?;
        journal::sync_dir(&jpath).map_err(|e| StoreError::io(&jpath, e))?;
        recovery.push(format!(
            "a new journal was written from the database: {} events",
            seq - start_seq
        ));
        set_database_aside(&paths, &mut recovery)?;
    }
    drop(Store::open_with(dir, Mode::Write, progress)?);
    let mut report = check_with(dir, progress)?;
    recovery.append(&mut report.recovery);
    report.recovery = recovery;
    Ok(report)
}
