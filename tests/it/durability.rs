//! Nothing acknowledged is ever lost: the journal damaged in the middle, at
//! the end, cut short or removed; read-only commands that must not repair;
//! counters that must not go backwards; a terminal that must know who it
//! is. Stations are built through the library (each appeal its own journal
//! record, as the kiosk saves them) and then used through the real binary.

use crate::common;
use crate::support::cli;
use crate::support::pty;

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

use jiedai::domain::TrackingCode;
use jiedai::storage::journal::{Item, Journal};
use jiedai::storage::{Store, StoreError};

use cli::{jiedai, printed};
use common::*;

/// A station with `n` appeals, one journal record each. Returns their
/// codes in order and each record's byte range `[start, end)`.
fn station_with(dir: &Path, n: usize) -> (Vec<TrackingCode>, Vec<(u64, u64)>) {
    let mut store = new_store(dir, 2);
    let codes = register_one_by_one(&mut store, 0, n);
    drop(store);
    (codes, records(dir))
}

/// Appeals `from..from + n`, committed one by one as the kiosk saves
/// them, and flushed. Returns their codes in order.
fn register_one_by_one(store: &mut Store, from: usize, n: usize) -> Vec<TrackingCode> {
    let mut codes = Vec::new();
    for i in from..from + n {
        let code = store.next_codes(day(), 1).unwrap().remove(0);
        commit_appeal(store, at(i as u32 + 1), appeal(&code, None, i, &[deputy(0)])).unwrap();
        codes.push(code);
    }
    store.flush().unwrap();
    codes
}

/// The byte range of every valid record of the journal.
fn records(dir: &Path) -> Vec<(u64, u64)> {
    let j = Journal::open_read(&journal_path(dir)).unwrap();
    let mut out = Vec::new();
    j.survey(0, |item| {
        if let Item::Record(r) = item {
            out.push((r.start, r.end));
        }
        Ok(())
    })
    .unwrap();
    out
}

/// The codes `export` lists (through the binary).
fn exported(dir: &Path) -> Option<BTreeSet<String>> {
    let out = jiedai(dir, &["export", "appeals", "--format", "jsonl"]);
    out.status.success().then(|| {
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|l| {
                serde_json::from_str::<serde_json::Value>(l).unwrap()["code"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect()
    })
}

fn flip(dir: &Path, at: u64, mask: u8) {
    let mut bytes = fs::read(journal_path(dir)).unwrap();
    bytes[at as usize] ^= mask;
    fs::write(journal_path(dir), bytes).unwrap();
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            fs::copy(e.path(), target).unwrap();
        }
    }
}

/// Files beside the journal whose names start with `prefix`.
fn beside(dir: &Path, prefix: &str) -> Vec<PathBuf> {
    fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with(prefix))
        .collect()
}

/// Finding 1 and 2: one damaged byte in a middle record. `check` names the
/// damage and how many valid records follow, `check --rebuild` refuses, and
/// neither they nor `find` or `export` (even with the database deleted)
/// change the journal or report success; only `--drop-damaged-records`
/// drops, exactly that record, and says so.
#[test]
fn a_damaged_record_in_the_middle_stops_everything_until_the_operator_decides() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (codes, recs) = station_with(dir, 12);
    // Records: the station setup, then one per appeal. Damage appeal 5's.
    let (start, end) = recs[6];
    flip(dir, start + 40, 0x04);
    let before = fs::read(journal_path(dir)).unwrap();

    let out = jiedai(dir, &["--lang", "en", "check"]);
    assert_eq!(out.status.code(), Some(1), "{}", printed(&out));
    let said = printed(&out);
    assert!(
        said.contains(&format!("{} bytes at offset {start}", end - start)),
        "{said}"
    );
    assert!(said.contains("6 valid records follow"), "{said}");
    assert!(said.contains("--drop-damaged-records"), "{said}");
    assert!(!said.contains("passed"), "{said}");

    let out = jiedai(dir, &["check", "--rebuild"]);
    assert_ne!(out.status.code(), Some(0), "{}", printed(&out));
    assert!(printed(&out).contains("损坏"), "{}", printed(&out));

    fs::remove_dir_all(dir.join("db")).unwrap();
    for args in [
        &["find", "停车"][..],
        &["export", "appeals", "--format", "jsonl"],
        &["check"],
    ] {
        let out = jiedai(dir, args);
        assert_ne!(
            out.status.code(),
            Some(0),
            "{args:?} succeeded on a damaged journal"
        );
        assert_eq!(
            fs::read(journal_path(dir)).unwrap(),
            before,
            "{args:?} changed the journal"
        );
    }
    assert!(
        beside(dir, "journal.").is_empty(),
        "nothing set aside without asking"
    );

    let out = jiedai(dir, &["--lang", "en", "check", "--drop-damaged-records"]);
    assert_eq!(out.status.code(), Some(0), "{}", printed(&out));
    let said = printed(&out);
    assert!(said.contains("1 damaged records dropped"), "{said}");
    assert!(said.contains("events #9-#9"), "{said}");
    let left = exported(dir).expect("export works after the drop");
    let mut want: BTreeSet<String> = codes.iter().map(|c| c.to_string()).collect();
    want.remove(codes[5].as_str());
    assert_eq!(left, want);
    // The dropped bytes and the old journal are kept.
    assert_eq!(
        fs::read(&beside(dir, "journal.damaged-")[0]).unwrap().len() as u64,
        end - start
    );
    assert_eq!(fs::read(dir.join("journal.before-drop")).unwrap(), before);
}

/// Finding 3: a journal removed or cut short beside a database that holds
/// more: every command refuses, `init` cannot start over, the database is
/// kept, and the journal can be rebuilt from it.
#[test]
fn a_lost_journal_is_never_taken_for_an_empty_one() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (codes, _) = station_with(dir, 5);
    let station = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data/station.toml");
    fs::remove_file(journal_path(dir)).unwrap();
    for args in [
        &["find", "诉求"][..],
        &["export", "appeals", "--format", "jsonl"],
        &["check"],
        &["init", "--station", station.to_str().unwrap()],
        &["import", "appeals", station.to_str().unwrap()],
    ] {
        let out = jiedai(dir, args);
        assert_ne!(out.status.code(), Some(0), "{args:?}: {}", printed(&out));
        assert!(!journal_path(dir).exists(), "{args:?} made a new journal");
    }
    let out = jiedai(dir, &["--lang", "en", "export", "appeals", "--format", "jsonl"]);
    assert!(
        printed(&out).contains("--journal-from-database"),
        "{}",
        printed(&out)
    );
    assert!(dir.join("db").exists());
    let out = jiedai(dir, &["check", "--journal-from-database"]);
    assert_eq!(out.status.code(), Some(0), "{}", printed(&out));
    let back = exported(dir).unwrap();
    assert_eq!(back, codes.iter().map(|c| c.to_string()).collect());
}

/// Finding 4: the last records damaged and dropped. The next save never
/// reissues a tracking code or an event id given out before.
#[test]
fn dropping_records_never_makes_codes_or_event_ids_go_backwards() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (codes, recs) = station_with(dir, 4);
    let (start, _) = recs[3];
    flip(dir, start + 45, 0x10);
    let out = jiedai(dir, &["check", "--drop-damaged-records"]);
    assert_eq!(out.status.code(), Some(0), "{}", printed(&out));
    let mut store = Store::open(dir).unwrap();
    let code = store.next_codes(day(), 1).unwrap().remove(0);
    assert!(code.seq() > codes[3].seq(), "{code} reissued after {}", codes[3]);
    let (events, _) = commit_appeal(&mut store, at(100), appeal(&code, None, 99, &[])).unwrap();
    // Setup was event 1..=3, the appeals 4..=7.
    assert!(events[0].id.seq > 7, "event id {} reused", events[0].id.seq);
}

/// Finding 7: zero bytes after the last record (what a power cut can leave
/// on XFS or NTFS) are an unfinished write: the kiosk's store sets them
/// aside and starts, and `check` passes.
#[test]
fn a_zero_filled_tail_is_set_aside() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (codes, _) = station_with(dir, 3);
    let mut bytes = fs::read(journal_path(dir)).unwrap();
    bytes.extend_from_slice(&[0u8; 8]);
    fs::write(journal_path(dir), &bytes).unwrap();
    let out = jiedai(dir, &["check"]);
    assert_eq!(out.status.code(), Some(0), "{}", printed(&out));
    assert_eq!(
        fs::read(journal_path(dir)).unwrap(),
        bytes,
        "check changed the journal"
    );
    let store = Store::open(dir).unwrap();
    assert!(
        store
            .recovery
            .iter()
            .any(|l| l.to_string().contains("unfinished write"))
    );
    assert_eq!(store.catalog_rows().unwrap().len(), codes.len());
    drop(store);
    assert_eq!(beside(dir, "journal.torn-").len(), 1);
    assert_eq!(jiedai(dir, &["check"]).status.code(), Some(0));
}

/// Finding 10: a terminal that cannot tell who it is refuses to start;
/// the station's first event carries the station's own origin.
#[test]
fn a_terminal_without_its_identity_refuses_to_start() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    station_with(dir, 1);
    let j = Journal::open_read(&journal_path(dir)).unwrap();
    let mut first = None;
    j.scan(0, |r| {
        first.get_or_insert(r.payload.to_vec());
        Ok(())
    })
    .unwrap();
    let first = String::from_utf8(first.unwrap()).unwrap();
    assert!(
        first.contains(&format!("\"origin\":\"{STATION_CODE}-1\"")),
        "{first}"
    );

    let terminal = dir.join("terminal.toml");
    for bad in ["terminal = \"one\"", "terminal = 0", ""] {
        fs::write(&terminal, bad).unwrap();
        let out = jiedai(dir, &["--lang", "en", "find", "x"]);
        assert_ne!(out.status.code(), Some(0), "{bad:?}");
        assert!(printed(&out).contains("terminal.toml"), "{}", printed(&out));
        assert!(matches!(Store::open(dir), Err(StoreError::Identity { .. })));
    }
    fs::remove_file(&terminal).unwrap();
    assert!(matches!(Store::open(dir), Err(StoreError::Identity { .. })));
    let station = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data/station.toml");
    let out = jiedai(
        dir,
        &["init", "--station", station.to_str().unwrap(), "--terminal", "0"],
    );
    assert_ne!(out.status.code(), Some(0));
}

/// A `--data` that names no station (a typo) is refused, not read as an
/// empty station.
#[test]
fn a_directory_without_a_station_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("no-such-station");
    for args in [
        &["find", "x"][..],
        &["export", "appeals", "--format", "csv"],
        &["check"],
    ] {
        let out = jiedai(&missing, args);
        assert_ne!(out.status.code(), Some(0), "{args:?}");
        assert!(!missing.exists(), "{args:?} created the directory");
    }
    let out = jiedai(&missing, &["--lang", "en", "find", "x"]);
    assert!(printed(&out).contains("holds no station"), "{}", printed(&out));
    assert!(
        !printed(&out)
            .chars()
            .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
        "{}",
        printed(&out)
    );
}

/// The damage test: random single-byte flips, truncations and inserted
/// garbage anywhere in the journal. No command reports success while an
/// acknowledged appeal is missing; no read-only command changes the
/// journal; the recovery flag drops exactly the damaged records and says
/// how many; no code or event id is ever issued twice.
#[test]
fn random_damage_never_loses_an_acknowledged_record_silently() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("base");
    let (codes, recs) = station_with(&base, 16);
    let all: BTreeSet<String> = codes.iter().map(|c| c.to_string()).collect();
    let journal_len = fs::metadata(journal_path(&base)).unwrap().len();
    let mut rng = Lcg::new(20261122);
    let mut outcomes = [0usize; 3];
    for trial in 0..24 {
        let dir = tmp.path().join(format!("t{trial}"));
        copy_dir(&base, &dir);
        let kind = trial % 3;
        let at = 10 + rng.below((journal_len - 10) as u32) as u64;
        let mut bytes = fs::read(journal_path(&dir)).unwrap();
        match kind {
            0 => bytes[at as usize] ^= 1 << rng.below(8),
            1 => bytes.truncate(at as usize),
            _ => {
                let garbage: Vec<u8> = (0..1 + rng.below(40)).map(|_| rng.below(256) as u8).collect();
                bytes.splice(at as usize..at as usize, garbage);
            }
        }
        fs::write(journal_path(&dir), &bytes).unwrap();
        // The appeals whose record the damage touched (record 0 is setup).
        let hit: BTreeSet<String> = recs[1..]
            .iter()
            .zip(&codes)
            .filter(|((s, e), _)| match kind {
                0 => at >= *s && at < *e,
                1 => at < *e,
                // Garbage before a record's first byte leaves it whole.
                _ => at > *s && at < *e,
            })
            .map(|(_, c)| c.to_string())
            .collect();
        let setup_hit = at < recs[0].1;

        for args in [
            &["check"][..],
            &["find", "诉求"],
            &["export", "appeals", "--format", "jsonl"],
        ] {
            let out = jiedai(&dir, args);
            assert_eq!(
                fs::read(journal_path(&dir)).unwrap(),
                bytes,
                "trial {trial}: {args:?} changed the journal"
            );
            if out.status.success() && args[0] == "check" {
                assert!(
                    hit.is_empty() && !setup_hit,
                    "trial {trial}: check passed with {hit:?} damaged"
                );
            }
            if out.status.success() && args[0] == "export" {
                assert_eq!(exported(&dir).unwrap(), all, "trial {trial}: export lost appeals");
            }
        }
        // Recovery the operator asks for: drop the damaged records, or
        // rebuild a cut journal from the database.
        let flag = if kind == 1 {
            "--journal-from-database"
        } else {
            "--drop-damaged-records"
        };
        let out = jiedai(&dir, &["--lang", "en", "check", flag]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "trial {trial} ({flag}): {}",
            printed(&out)
        );
        let left = exported(&dir).unwrap();
        if kind == 1 {
            assert_eq!(left, all, "trial {trial}: the database held everything");
        } else if !setup_hit {
            let want: BTreeSet<String> = all.difference(&hit).cloned().collect();
            assert_eq!(
                left, want,
                "trial {trial}: dropped other than the damaged records"
            );
            let said = printed(&out);
            let n = usize::from(!hit.is_empty() || kind == 2);
            // A whole record with a bad checksum, the last one included,
            // is damage: dropped and counted, never an unfinished write.
            assert!(
                said.contains(&format!("{n} damaged records dropped")),
                "trial {trial}: {said}"
            );
        }
        outcomes[kind as usize] += 1;
        // Whatever happened, nothing issued before is issued again.
        let mut store = Store::open(&dir).unwrap();
        let code = store.next_codes(day(), 1).unwrap().remove(0);
        assert!(!all.contains(code.as_str()), "trial {trial}: {code} reissued");
        let (events, _) = commit_appeal(&mut store, at_minute(500), appeal(&code, None, 500, &[])).unwrap();
        assert!(
            events[0].id.seq > 3 + 16,
            "trial {trial}: event id {} reused",
            events[0].id.seq
        );
    }
    assert_eq!(outcomes, [8, 8, 8]);
}

fn at_minute(m: u32) -> chrono::DateTime<chrono::FixedOffset> {
    at(m)
}

/// Storage messages exist in English too: a busy directory, a damaged
/// journal, a database ahead of its journal.
#[test]
fn storage_messages_are_english_under_lang_en() {
    let cjk = |s: &str| s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (_, recs) = station_with(dir, 4);
    let held = Store::open(dir).unwrap();
    let out = jiedai(dir, &["--lang", "en", "find", "x"]);
    assert_eq!(out.status.code(), Some(4), "{}", printed(&out));
    assert!(printed(&out).contains("in use"), "{}", printed(&out));
    assert!(!cjk(&printed(&out)), "{}", printed(&out));
    drop(held);
    flip(dir, recs[2].0 + 40, 0x10);
    let out = jiedai(dir, &["--lang", "en", "check"]);
    assert_ne!(out.status.code(), Some(0));
    assert!(printed(&out).contains("damaged"), "{}", printed(&out));
    assert!(!cjk(&printed(&out)), "{}", printed(&out));
    fs::remove_file(dir.join("journal")).unwrap();
    let out = jiedai(dir, &["--lang", "en", "export", "appeals", "--format", "csv"]);
    assert_ne!(out.status.code(), Some(0));
    assert!(
        printed(&out).contains("--journal-from-database"),
        "{}",
        printed(&out)
    );
    assert!(!cjk(&printed(&out)), "{}", printed(&out));
}

/// Appeals saved after a station was built (one record each), as the
/// kiosk saves them. Returns their codes.
fn add_appeals(dir: &Path, n: usize, from: usize) -> Vec<TrackingCode> {
    let mut store = Store::open(dir).unwrap();
    register_one_by_one(&mut store, from, n)
}

fn codes_set(codes: &[TrackingCode]) -> BTreeSet<String> {
    codes.iter().map(|c| c.to_string()).collect()
}

/// Finding 1 (issue 14): an older copy of the journal put back (as for a
/// restored backup) beside a database that holds more. `check --rebuild`
/// must not rebuild from the shorter journal: it refuses, says how many
/// appeals the journal lacks and which command gets the station going,
/// and changes nothing; that command then keeps every appeal.
#[test]
fn a_rebuild_never_drops_what_the_database_holds_beyond_its_journal() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (mut codes, _) = station_with(dir, 60);
    let older = fs::read(journal_path(dir)).unwrap();
    codes.extend(add_appeals(dir, 40, 60));
    fs::write(journal_path(dir), &older).unwrap();

    let out = jiedai(dir, &["check", "--rebuild"]);
    let said = printed(&out);
    assert_ne!(out.status.code(), Some(0), "{said}");
    assert!(!said.contains("检查通过"), "{said}");
    assert!(said.contains("40 条诉求"), "{said}");
    assert!(said.contains("--journal-from-database"), "{said}");
    assert!(
        !dir.join("db.before-rebuild").exists(),
        "the database was set aside"
    );
    assert_eq!(fs::read(journal_path(dir)).unwrap(), older, "the journal changed");
    let out = jiedai(dir, &["--lang", "en", "check", "--rebuild"]);
    let said = printed(&out);
    assert!(said.contains("40 appeals"), "{said}");
    assert!(
        !said.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
        "{said}"
    );
    assert!(!dir.join("db.before-rebuild").exists());

    // The one command it names keeps every appeal.
    let out = jiedai(dir, &["check", "--journal-from-database"]);
    assert_eq!(out.status.code(), Some(0), "{}", printed(&out));
    assert_eq!(exported(dir).unwrap(), codes_set(&codes));

    // As it was seen: imports through the binary, a copy of the journal
    // from between them put back.
    let st = cli::station(true);
    let dir = st.path();
    let csv = cli::sample("appeals.csv");
    cli::expect(dir, &["import", "appeals", cli::path(&csv)], 0);
    let older = fs::read(journal_path(dir)).unwrap();
    // The same ledger a year earlier (a file imported again is skipped).
    let earlier = fs::read_to_string(&csv).unwrap().replace("\n2026-", "\n2025-");
    let csv = cli::write(dir, "earlier.csv", earlier.as_bytes());
    cli::expect(dir, &["import", "appeals", cli::path(&csv)], 0);
    let all = exported(dir).unwrap();
    fs::write(journal_path(dir), &older).unwrap();
    let out = jiedai(dir, &["check", "--rebuild"]);
    assert_eq!(out.status.code(), Some(1), "{}", printed(&out));
    assert!(
        printed(&out).contains(&format!("{} 条诉求", all.len() / 2)),
        "{}",
        printed(&out)
    );
    cli::expect(dir, &["check", "--journal-from-database"], 0);
    assert_eq!(exported(dir).unwrap(), all);
}

/// Finding 1: a copy set aside by an earlier rebuild that holds more than
/// the journal is never overwritten by the next rebuild.
#[test]
fn a_rebuild_keeps_an_earlier_copy_that_holds_more_than_the_journal() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("s");
    let (codes, _) = station_with(&dir, 5);
    let j5 = fs::read(journal_path(&dir)).unwrap();
    let d5 = tmp.path().join("d5");
    copy_dir(&dir.join("db"), &d5);
    let more = add_appeals(&dir, 3, 5);
    let j8 = fs::read(journal_path(&dir)).unwrap();
    // As an earlier rebuild from an older journal left it: the database
    // of eight appeals set aside, five in the journal and the database.
    copy_dir(&dir.join("db"), &dir.join("db.before-rebuild"));
    fs::remove_dir_all(dir.join("db")).unwrap();
    copy_dir(&d5, &dir.join("db"));
    fs::write(journal_path(&dir), &j5).unwrap();

    let out = jiedai(&dir, &["check", "--rebuild"]);
    assert_eq!(out.status.code(), Some(0), "{}", printed(&out));
    assert_eq!(exported(&dir).unwrap(), codes_set(&codes));
    // The copy of eight is still whole: with the longer journal it gives
    // every appeal back.
    let back = tmp.path().join("back");
    copy_dir(&dir, &back);
    fs::remove_dir_all(back.join("db")).unwrap();
    fs::rename(back.join("db.before-rebuild"), back.join("db")).unwrap();
    fs::write(journal_path(&back), &j8).unwrap();
    let mut all = codes_set(&codes);
    all.extend(codes_set(&more));
    assert_eq!(exported(&back).unwrap(), all);
    // And the database this rebuild replaced is kept beside it.
    assert_eq!(beside(&dir, "db.before-rebuild").len(), 2);
}

/// Seam 3: an earlier copy set aside that cannot be read for another
/// reason than sled's (here a value in it that does not decode) says
/// nothing of what it holds: the next rebuild keeps it and numbers its
/// own copy.
#[test]
fn a_rebuild_keeps_an_earlier_copy_it_cannot_read_for_another_reason() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("s");
    let (codes, _) = station_with(&dir, 3);
    let aside = dir.join("db.before-rebuild");
    copy_dir(&dir.join("db"), &aside);
    {
        let db = sled::open(&aside).unwrap();
        db.open_tree("sync")
            .unwrap()
            .insert("position", "not json")
            .unwrap();
        db.flush().unwrap();
    }
    let out = jiedai(&dir, &["check", "--rebuild"]);
    assert_eq!(out.status.code(), Some(0), "{}", printed(&out));
    assert_eq!(exported(&dir).unwrap(), codes_set(&codes));
    assert!(aside.exists());
    assert_eq!(beside(&dir, "db.before-rebuild").len(), 2);
}

/// How the last record is damaged.
#[derive(Debug, Clone, Copy, PartialEq)]
enum LastRecord {
    Flip,
    Zero,
    Cut,
}

/// Finding 2 (issue 14): the last record damaged (a flipped bit, a zeroed
/// byte, cut short), with and without the database and the counters. A
/// whole record whose checksum fails is damage, never an unfinished write:
/// no command reports success while its appeal is missing, its bytes are
/// never thrown away, and no code or event id is issued twice.
#[test]
fn a_damaged_last_record_is_never_taken_for_an_unfinished_write() {
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("base");
    let (codes, recs) = station_with(&base, 6);
    let all = codes_set(&codes);
    let last = codes.last().unwrap().to_string();
    let (start, end) = *recs.last().unwrap();
    for kind in [LastRecord::Flip, LastRecord::Zero, LastRecord::Cut] {
        for (setup, remove) in [
            ("as is", &[][..]),
            ("no db", &["db"][..]),
            ("no db, no counters", &["db", "counters"][..]),
        ] {
            let what = format!("{kind:?}, {setup}");
            let dir = tmp.path().join(format!("{kind:?}-{}", remove.len()));
            copy_dir(&base, &dir);
            let mut bytes = fs::read(journal_path(&dir)).unwrap();
            match kind {
                LastRecord::Flip => bytes[start as usize + 40] ^= 0x04,
                LastRecord::Zero => {
                    assert_ne!(bytes[end as usize - 5], 0);
                    bytes[end as usize - 5] = 0;
                }
                LastRecord::Cut => bytes.truncate(end as usize - 10),
            }
            fs::write(journal_path(&dir), &bytes).unwrap();
            for r in remove {
                let p = dir.join(r);
                if p.is_dir() {
                    fs::remove_dir_all(p).unwrap();
                } else {
                    fs::remove_file(p).unwrap();
                }
            }

            // Read-only commands: never a success without the appeal.
            let out = jiedai(&dir, &["check"]);
            let said = printed(&out);
            assert!(!said.contains("backtrace"), "{what}: {said}");
            if kind != LastRecord::Cut {
                assert_eq!(out.status.code(), Some(1), "{what}: {said}");
                assert!(said.contains("损坏"), "{what}: {said}");
                assert!(said.contains("--drop-damaged-records"), "{what}: {said}");
            }
            let found = jiedai(&dir, &["find", &last]);
            if found.status.success() && kind != LastRecord::Cut {
                panic!("{what}: find succeeded: {}", printed(&found));
            }
            if let Some(left) = exported(&dir)
                && kind != LastRecord::Cut
            {
                panic!("{what}: export succeeded with {} appeals", left.len());
            }
            assert_eq!(fs::read(journal_path(&dir)).unwrap(), bytes, "{what}: changed");

            // The kiosk's start.
            match (kind, remove.is_empty()) {
                (LastRecord::Cut, false) => {
                    // Nothing else knows the record: an unfinished write,
                    // set aside with its bytes kept.
                    drop(Store::open(&dir).unwrap());
                    let aside = beside(&dir, "journal.torn-");
                    assert_eq!(aside.len(), 1, "{what}");
                    assert_eq!(fs::read(&aside[0]).unwrap(), bytes[start as usize..], "{what}");
                }
                (LastRecord::Cut, true) => {
                    // The database holds it: refused, then the journal is
                    // written again from the database.
                    assert!(
                        matches!(Store::open(&dir), Err(StoreError::DatabaseAhead { .. })),
                        "{what}"
                    );
                    let out = jiedai(&dir, &["check", "--journal-from-database"]);
                    assert_eq!(out.status.code(), Some(0), "{what}: {}", printed(&out));
                    assert_eq!(exported(&dir).unwrap(), all, "{what}");
                }
                _ => {
                    match Store::open(&dir) {
                        Err(StoreError::JournalDamaged { damage, .. }) => {
                            assert_eq!(damage.len(), 1, "{what}");
                            assert_eq!(damage[0].at, start, "{what}");
                        }
                        Err(e) => panic!("{what}: {e}"),
                        Ok(_) => panic!("{what}: the kiosk started"),
                    }
                    assert!(beside(&dir, "journal.torn-").is_empty(), "{what}");
                    let out = jiedai(&dir, &["--lang", "en", "check", "--drop-damaged-records"]);
                    assert_eq!(out.status.code(), Some(0), "{what}: {}", printed(&out));
                    assert!(
                        printed(&out).contains("1 damaged records dropped"),
                        "{what}: {}",
                        printed(&out)
                    );
                    let mut want = all.clone();
                    want.remove(&last);
                    assert_eq!(exported(&dir).unwrap(), want, "{what}");
                }
            }
            assert_eq!(jiedai(&dir, &["check"]).status.code(), Some(0), "{what}");

            // Whatever happened, nothing given out is given out again.
            let mut store = Store::open(&dir).unwrap();
            let code = store.next_codes(day(), 1).unwrap().remove(0);
            assert!(!all.contains(code.as_str()), "{what}: {code} reissued");
            let (events, _) = commit_appeal(&mut store, at(700), appeal(&code, None, 700, &[])).unwrap();
            // Setup was events 1..=3, the appeals 4..=9.
            assert!(
                events[0].id.seq > 9,
                "{what}: event id {} reused",
                events[0].id.seq
            );
        }
    }
}

/// Finding 5 (issue 14): a record appended twice. The kiosk does not open
/// on it silently; `check` says in a few lines what happened and the one
/// command that mends it, and that command loses nothing.
#[test]
fn a_record_appended_twice_is_named_and_mended_by_one_command() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (codes, recs) = station_with(dir, 12);
    let (start, end) = recs[4];
    let mut bytes = fs::read(journal_path(dir)).unwrap();
    let copy = bytes[start as usize..end as usize].to_vec();
    bytes.extend_from_slice(&copy);
    fs::write(journal_path(dir), &bytes).unwrap();
    let at = bytes.len() as u64 - copy.len() as u64;

    match Store::open(dir) {
        Err(StoreError::JournalDamaged { damage, .. }) => assert_eq!(damage[0].at, at),
        Err(e) => panic!("{e}"),
        Ok(_) => panic!("the kiosk opened on a repeated record"),
    }
    for lang in ["zh", "en"] {
        let out = jiedai(dir, &["--lang", lang, "check"]);
        let said = printed(&out);
        assert_eq!(out.status.code(), Some(1), "{said}");
        assert!(said.lines().count() <= 8, "{said}");
        assert!(said.contains(&format!("{start}")), "{said}");
        assert!(said.contains("--drop-damaged-records"), "{said}");
        assert!(!said.contains("--rebuild"), "{said}");
        if lang == "zh" {
            assert!(said.contains("重复"), "{said}");
        } else {
            assert!(said.contains("repeated record"), "{said}");
        }
    }
    assert_eq!(fs::read(journal_path(dir)).unwrap(), bytes);
    let out = jiedai(dir, &["check", "--drop-damaged-records"]);
    assert_eq!(out.status.code(), Some(0), "{}", printed(&out));
    assert_eq!(exported(dir).unwrap(), codes_set(&codes));
    let out = jiedai(dir, &["check"]);
    assert_eq!(out.status.code(), Some(0), "{}", printed(&out));
    assert_eq!(fs::read(journal_path(dir)).unwrap().len() as u64, at);
}

/// Finding 5 (issue 14): damage in the middle of the journal, in records
/// the county has not taken yet. The sync says so in the user's words
/// with the command that mends it (not a fragment of the scanner's
/// English), and the kiosk's next start shows it before anything else.
#[test]
fn damage_not_yet_synced_is_said_at_the_sync_and_at_start() {
    use jiedai::i18n::Lang;
    use jiedai::storage::sync_state::Position;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (_, recs) = station_with(dir, 8);
    let store = Store::open(dir).unwrap();
    let reader = store.reader();
    let origin = store.origin();
    // The county holds everything up to the third appeal's record.
    let sent = reader
        .outgoing(&origin, &Position::default(), 6, 1 << 20)
        .unwrap();
    let position = sent.position_at(6, &Position::default());
    assert!(position.offset > 0);
    reader.sync_state().unwrap().set_position(&position).unwrap();
    store.flush().unwrap();
    // A record after it, not yet sent, is damaged while the kiosk is open.
    flip(dir, recs[6].0 + 40, 0x04);
    let err = reader.outgoing(&origin, &position, 500, 1 << 20).unwrap_err();
    assert!(matches!(err, StoreError::JournalDamaged { .. }), "{err}");
    let zh = err.message(Lang::Zh);
    assert!(zh.contains("--drop-damaged-records"), "{zh}");
    assert!(!zh.contains("valid records follow"), "{zh}");
    drop(reader);
    drop(store);
    match Store::open(dir) {
        Err(StoreError::JournalDamaged { damage, .. }) => assert_eq!(damage[0].at, recs[6].0),
        Err(e) => panic!("{e}"),
        Ok(_) => panic!("the kiosk started on damage not yet sent"),
    }
}

/// Something done to a data directory.
type Damage = Box<dyn Fn(&Path)>;

/// Finding 5 (issue 14): every damage a station can meet, as the kiosk's
/// start (`find`) and `check` say it in both languages: what happened and
/// exactly one command, which then gets the station going again.
#[test]
fn every_damage_has_one_message_and_one_command() {
    const COMMANDS: [&str; 3] = ["--rebuild", "--drop-damaged-records", "--journal-from-database"];
    let cjk = |s: &str| s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
    let tmp = tempfile::tempdir().unwrap();
    let base = tmp.path().join("base");
    let (codes, recs) = station_with(&base, 5);
    // Another journal of the same station, longer and laid out otherwise.
    let other = tmp.path().join("other");
    for args in [
        &["init", "--station", cli::path(&cli::sample("station.toml"))][..],
        &["import", "deputies", cli::path(&cli::sample("deputies.csv"))],
        &["import", "appeals", cli::path(&cli::sample("appeals.csv"))],
    ] {
        cli::expect(&other, args, 0);
    }
    let (start, end) = *recs.last().unwrap();
    let cases: [(&str, &str, Damage); 4] = [
        (
            "the last record with a zeroed byte",
            "--drop-damaged-records",
            Box::new(move |dir: &Path| {
                let mut b = fs::read(journal_path(dir)).unwrap();
                b[end as usize - 7] = 0;
                fs::write(journal_path(dir), b).unwrap();
            }),
        ),
        (
            "a record appended twice",
            "--drop-damaged-records",
            Box::new(move |dir: &Path| {
                let mut b = fs::read(journal_path(dir)).unwrap();
                let copy = b[start as usize..end as usize].to_vec();
                b.extend_from_slice(&copy);
                fs::write(journal_path(dir), b).unwrap();
            }),
        ),
        (
            "the journal cut short",
            "--journal-from-database",
            Box::new(move |dir: &Path| {
                let b = fs::read(journal_path(dir)).unwrap();
                fs::write(journal_path(dir), &b[..start as usize]).unwrap();
            }),
        ),
        (
            "the journal replaced by a longer one",
            "--journal-from-database",
            Box::new(move |dir: &Path| {
                fs::copy(journal_path(&other), journal_path(dir)).unwrap();
            }),
        ),
    ];
    for (n, (what, command, damage)) in cases.iter().enumerate() {
        let dir = tmp.path().join(format!("case{n}"));
        copy_dir(&base, &dir);
        damage(&dir);
        for args in [&["find", "诉求"][..], &["check"]] {
            for lang in ["zh", "en"] {
                let mut full = vec!["--lang", lang];
                full.extend_from_slice(args);
                let out = jiedai(&dir, &full);
                let said = printed(&out);
                assert_ne!(out.status.code(), Some(0), "{what} {full:?}: {said}");
                assert!(said.contains(command), "{what} {full:?}: {said}");
                for c in COMMANDS.iter().filter(|c| *c != command) {
                    assert!(!said.contains(c), "{what} {full:?} names {c} too: {said}");
                }
                assert!(!said.contains("backtrace"), "{what}: {said}");
                // Never two equal numbers said as if they differed.
                if let Some((_, rest)) = said.split_once("日志只有 ") {
                    let num = |s: &str| s.chars().take_while(char::is_ascii_digit).collect::<String>();
                    let (len, rest) = rest.split_once(" 字节，数据库却记录到第 ").unwrap();
                    assert_ne!(num(len), num(rest), "{what}: {said}");
                }
                assert_eq!(lang == "en", !cjk(&said), "{what} {full:?}: {said}");
            }
        }
        let out = jiedai(&dir, &["check", command]);
        assert_eq!(out.status.code(), Some(0), "{what}: {}", printed(&out));
        let out = jiedai(&dir, &["check"]);
        assert_eq!(out.status.code(), Some(0), "{what}: {}", printed(&out));
        let left = exported(&dir).unwrap();
        assert!(!left.is_empty(), "{what}");
        if n != 0 && n != 3 {
            assert_eq!(left, codes_set(&codes), "{what}");
        }
    }
}

/// Finding 2 (issue 14), as it was seen: an appeal saved in the kiosk
/// until 已保存 shows, the kiosk killed (SIGKILL), one byte inside the last
/// journal record zeroed, the kiosk started again. It refuses and says
/// what to do instead of setting the appeal aside as an unfinished write;
/// the appeal's code is never issued again.
#[test]
fn the_kiosk_killed_after_a_save_never_loses_it_to_a_zeroed_byte() {
    use pty::{Key, Pty, Size};
    use std::time::Duration;
    const T: Duration = Duration::from_secs(15);
    let ok = |r: Result<String, String>| r.unwrap_or_else(|e| panic!("{e}"));
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let home = tmp.path().join("home");
    fs::create_dir_all(&home).unwrap();
    cli::expect(
        &dir,
        &["init", "--station", cli::path(&cli::sample("station.toml"))],
        0,
    );
    let data = cli::path(&dir).to_string();
    let size = Size { cols: 100, rows: 40 };

    let mut p = Pty::spawn(&["--data", &data], size, &home);
    p.sign_in(T);
    p.send("2");
    ok(p.wait_for("■ 来访人", T));
    p.send("王小明");
    for _ in 0..6 {
        p.key(Key::Tab);
    }
    ok(p.wait_for("打字筛选", T));
    p.type_traffic_appeal("小区停车难", "老旧小区夜间停车位不足", T);
    ok(p.wait_for("老旧小区夜间停车位不足", T));
    p.key(Key::Ctrl('s'));
    let saved = ok(p.wait_for("查询码（请告知来访人）", T));
    let code = saved
        .split(|c: char| !(c.is_ascii_digit() || c == '-'))
        .find(|t| t.len() >= 24 && t.parse::<TrackingCode>().is_ok())
        .unwrap_or_else(|| panic!("no code on:\n{saved}"))
        .to_string();
    let pid = p.pid().unwrap();
    let killed = std::process::Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    p.wait_exit(T);
    drop(p);
    // Saved before the kill: it is there.
    let found = cli::expect(&dir, &["find", &code, "--json"], 0);
    assert!(cli::text(&found.stdout).contains(&code));

    let (start, end) = *records(&dir).last().unwrap();
    let mut bytes = fs::read(journal_path(&dir)).unwrap();
    assert!(end as usize == bytes.len() && end - start > 40);
    bytes[end as usize - 5] = 0;
    fs::write(journal_path(&dir), &bytes).unwrap();

    let mut p = Pty::spawn(&["--data", &data], size, &home);
    let said = ok(p.wait_until(T, "the damage named", |s| {
        let s = s.replace('\n', "");
        s.contains("损坏") && s.contains("--drop-damaged-records")
    }));
    assert!(!said.contains("今日值班代表"), "{said}");
    let status = p.wait_exit(T).expect("the kiosk exits");
    assert!(!status.success(), "{said}");
    drop(p);
    assert!(
        beside(&dir, "journal.torn-").is_empty(),
        "set aside as an unfinished write"
    );
    assert_eq!(fs::read(journal_path(&dir)).unwrap(), bytes);
    assert_ne!(jiedai(&dir, &["find", &code]).status.code(), Some(0));
    assert_eq!(jiedai(&dir, &["check"]).status.code(), Some(1));

    // The one command: the damaged record is dropped (its bytes kept) and
    // its code is never given out again.
    cli::expect(&dir, &["check", "--drop-damaged-records"], 0);
    assert_eq!(beside(&dir, "journal.damaged-").len(), 1);
    let store = Store::open(&dir).unwrap();
    let today = chrono::Local::now().date_naive();
    let next = store.next_codes(today, 3).unwrap();
    let taken: TrackingCode = code.parse().unwrap();
    assert!(
        next.iter()
            .all(|c| c.seq() > taken.seq() || c.date() != taken.date()),
        "{next:?} after {code}"
    );
}
