//! The database is a projection of the journal: a replay of the log gives
//! the same state, a rebuild gives the same store, a torn tail or a database
//! that is behind the journal is recovered on open, a second user of the
//! directory is turned away, and tracking codes stay unique.

use crate::common;

use std::collections::BTreeMap;
use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use chrono::Days;

use jiedai::domain::lifecycle;
use jiedai::domain::{Appeal, Event, EventBody, EventId, Status, TrackingCode};
use jiedai::storage::{self, Store, StoreError, keys};

use common::*;

const DEPUTIES: usize = 5;

/// What the test expects the store to hold after `build`.
struct Model {
    /// Appeal code → (the appeal as the model sees it, history length).
    appeals: BTreeMap<String, (Appeal, usize)>,
    records: usize,
    events: usize,
    visits: usize,
    duty: usize,
}

fn commit(store: &mut Store, model: &mut Model, minute: u32, changes: Vec<EventBody>) {
    model.records += 1;
    model.events += changes.len();
    store.commit_at("s1", at(minute), changes).expect("commit");
}

/// A station with deputies, `n` appeals (each with its visit) and random
/// legal step sequences, in commits of one to three changes.
fn build(dir: &Path, n: usize, seed: u64) -> Model {
    let mut rng = Lcg::new(seed);
    let mut store = new_store(dir, DEPUTIES);
    let mut model = Model {
        appeals: BTreeMap::new(),
        records: 1,
        events: 1 + DEPUTIES,
        visits: 0,
        duty: 0,
    };
    let deputies: Vec<_> = (0..DEPUTIES).map(deputy).collect();
    // Duty: two deputies check in, one checks out again.
    commit(
        &mut store,
        &mut model,
        1,
        vec![
            EventBody::DutyCheckedIn {
                deputy: "d0".into(),
                day: day(),
            },
            EventBody::DutyCheckedIn {
                deputy: "d1".into(),
                day: day(),
            },
        ],
    );
    commit(
        &mut store,
        &mut model,
        2,
        vec![EventBody::DutyCheckedOut {
            deputy: "d1".into(),
            day: day(),
        }],
    );
    model.duty = 2;
    let mut codes: Vec<TrackingCode> = Vec::new();
    for i in 0..n {
        let minute = 3 + i as u32;
        let who = &deputies[i % DEPUTIES..(i % DEPUTIES + 1 + i % 2).min(DEPUTIES)];
        if rng.chance(80) {
            // A visit with one appeal, in one commit.
            let c = store.next_codes(day(), 2).unwrap();
            let (v, a) = (&c[0], &c[1]);
            commit(
                &mut store,
                &mut model,
                minute,
                vec![
                    EventBody::VisitRegistered {
                        visit: visit(v, std::slice::from_ref(a), i, who),
                    },
                    EventBody::AppealRegistered {
                        appeal: appeal(a, Some(v), i, who),
                    },
                ],
            );
            model.visits += 1;
            codes.push(a.clone());
        } else {
            let a = store.next_codes(day(), 1).unwrap().remove(0);
            commit(
                &mut store,
                &mut model,
                minute,
                vec![EventBody::AppealRegistered {
                    appeal: appeal(&a, None, i, who),
                }],
            );
            codes.push(a);
        }
        let last = codes.last().unwrap();
        model
            .appeals
            .insert(last.to_string(), (appeal(last, None, i, who), 1));
        // Now and then some steps on earlier appeals, one to three per
        // commit (the same appeal may take two steps in one commit).
        while rng.chance(70) {
            let mut changes = Vec::new();
            for _ in 0..=rng.below(3) {
                let code = rng.pick(&codes).clone();
                let (a, history) = model.appeals.get_mut(code.as_str()).unwrap();
                let step = legal_step(&mut rng, a.status);
                lifecycle::apply(a, &step).unwrap();
                *history += 1;
                changes.push(EventBody::AppealStepped {
                    code,
                    step,
                    note: format!("第{i}轮"),
                });
            }
            commit(&mut store, &mut model, minute, changes);
        }
    }
    model
}

fn open_snapshot(dir: &Path) -> Snapshot {
    snapshot(&Store::open(dir).unwrap())
}

#[test]
fn projections_equal_a_replay_of_the_log() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let model = build(dir, 300, 1);
    let report = storage::check(dir).unwrap();
    assert!(report.ok(), "{:#?}", report.problems);
    assert!(report.recovery.is_empty(), "{:?}", report.recovery);
    assert_eq!(report.records, model.records);
    assert_eq!(report.events, model.events);
    assert_eq!(report.appeals, 300);

    let store = Store::open(dir).unwrap();
    let snap = snapshot(&store);
    assert_eq!(snap.appeals.len(), 300);
    let mut index_keys = 0;
    for a in &snap.appeals {
        let (m, history) = &model.appeals[a.code.as_str()];
        assert_eq!(a.history.len(), *history, "{}", a.code);
        let mut stored = a.clone();
        stored.history.clear();
        stored.visit = None;
        // The store gives every new appeal an access key of its own.
        assert!(
            jiedai::domain::public::is_access_key(&stored.access_key),
            "{}",
            a.code
        );
        stored.access_key.clear();
        assert_eq!(&stored, m, "{}", a.code);
        index_keys += keys::index_keys(a).len();
    }
    // Every status was reached by some appeal.
    for (status, codes) in &snap.by_status {
        let expected: Vec<&String> = model
            .appeals
            .iter()
            .filter(|(_, (a, _))| a.status == *status)
            .map(|(c, _)| c)
            .collect();
        assert_eq!(codes.iter().collect::<Vec<_>>(), expected, "{status:?}");
        assert!(!codes.is_empty(), "no appeal ended {status:?}");
    }
    assert_eq!(snap.catalog.len(), 300);
    assert_eq!(snap.counts, (model.visits, 300));
    assert_eq!(snap.duty.len(), model.duty);
    assert_eq!(snap.deputies.len(), DEPUTIES);
    // m/station, m/applied, m/applied_from, m/seq, m/chain, m/seq_origin,
    // m/projections, then
    // deputies, duty, visits, and per appeal its value, its catalog row and
    // its index entries.
    // One m/issued key per terminal and day that registered codes.
    let days: std::collections::BTreeSet<&str> =
        snap.appeals.iter().map(|a| &a.code.as_str()[..18]).collect();
    let expected_keys = 7 + days.len() + DEPUTIES + model.duty + model.visits + 2 * 300 + index_keys;
    assert_eq!(report.keys, expected_keys);
}

/// Every file below `dir`.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files_under(&path));
        } else {
            out.push(path);
        }
    }
    out
}

fn set_aside_dirs(dir: &Path) -> usize {
    fs::read_dir(dir)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("db.before-rebuild")
        })
        .count()
}

#[test]
fn rebuild_from_the_journal_equals_the_original() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    build(dir, 120, 2);
    let original = open_snapshot(dir);
    assert_eq!(original.appeals.len(), 120);

    // A plain rebuild: the old database is set aside, the new one is equal.
    let report = storage::rebuild(dir).unwrap();
    assert!(report.ok(), "{:#?}", report.problems);
    assert_eq!(report.appeals, 120);
    assert_eq!(set_aside_dirs(dir), 1);
    assert_eq!(open_snapshot(dir), original);

    // The database deleted outright: opening replays the whole journal.
    fs::remove_dir_all(dir.join("db")).unwrap();
    let store = Store::open(dir).unwrap();
    assert!(
        store.recovery.iter().any(|l| l.to_string().contains("replayed")),
        "{:?}",
        store.recovery
    );
    assert_eq!(snapshot(&store), original);
    drop(store);
    assert!(storage::check(dir).unwrap().ok());

    // Deleted again, and rebuilt explicitly.
    fs::remove_dir_all(dir.join("db")).unwrap();
    assert!(storage::rebuild(dir).unwrap().ok());
    assert_eq!(open_snapshot(dir), original);

    // Every database file cut to a few bytes: rebuild restores everything
    // (it never reads the broken database, it only sets it aside).
    Store::open(dir).unwrap().flush().unwrap();
    for f in files_under(&dir.join("db")) {
        let len = fs::metadata(&f).unwrap().len();
        OpenOptions::new()
            .write(true)
            .open(&f)
            .unwrap()
            .set_len(len.min(7))
            .unwrap();
    }
    let report = storage::rebuild(dir).unwrap();
    assert!(report.ok(), "{:#?}", report.problems);
    assert_eq!(open_snapshot(dir), original);
    assert_eq!(set_aside_dirs(dir), 1, "the latest broken database is kept aside");

    // Garbage in place of the database files: rebuild again.
    for f in files_under(&dir.join("db")) {
        fs::write(&f, vec![0xA5u8; 4096]).unwrap();
    }
    let report = storage::rebuild(dir).unwrap();
    assert!(report.ok(), "{:#?}", report.problems);
    assert_eq!(open_snapshot(dir), original);
    assert_eq!(set_aside_dirs(dir), 1);
}

#[test]
fn rebuilding_again_keeps_only_the_latest_old_database() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    build(dir, 5, 6);
    let original = open_snapshot(dir);
    // Each rebuild replaces the copy the one before kept, and says where.
    for _ in 1..=3 {
        let report = storage::rebuild(dir).unwrap();
        assert!(report.ok(), "{:#?}", report.problems);
        assert_eq!(set_aside_dirs(dir), 1);
        assert!(
            report
                .recovery
                .iter()
                .any(|l| l.to_string().contains("db.before-rebuild")),
            "{:?}",
            report.recovery
        );
    }
    assert_eq!(open_snapshot(dir), original);
}

#[test]
fn a_torn_journal_tail_is_set_aside_and_nothing_is_lost() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    build(dir, 40, 3);
    let original = open_snapshot(dir);
    let journal = journal_path(dir);
    let good_len = fs::metadata(&journal).unwrap().len();

    // Half a record header, then a record whose length runs past the end,
    // then a whole-looking record with a bad checksum.
    let tails: [&[u8]; 3] = [
        &[0x17, 0x00, 0x00],
        &[0x40, 0x00, 0x00, 0x00, 1, 2, 3, 4, b'{', b'"'],
        &[4, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef, b'{', b'}', b'x', b'y'],
    ];
    for (n, garbage) in tails.into_iter().enumerate() {
        OpenOptions::new()
            .append(true)
            .open(&journal)
            .unwrap()
            .write_all(garbage)
            .unwrap();
        let store = Store::open(dir).unwrap();
        assert!(
            store
                .recovery
                .iter()
                .any(|l| l.to_string().contains("unfinished write")),
            "{:?}",
            store.recovery
        );
        // Each torn tail at this same offset is kept in its own file.
        let aside = match n {
            0 => dir.join(format!("journal.torn-{good_len}")),
            _ => dir.join(format!("journal.torn-{good_len}-{}", n + 1)),
        };
        assert_eq!(fs::read(&aside).unwrap(), garbage, "the torn bytes are kept");
        assert_eq!(fs::metadata(&journal).unwrap().len(), good_len);
        assert_eq!(snapshot(&store), original);
        drop(store);
        let report = storage::check(dir).unwrap();
        assert!(report.ok(), "{:#?}", report.problems);
        assert!(report.recovery.is_empty(), "the tail is set aside once");
    }
    for (n, garbage) in tails.into_iter().enumerate() {
        let name = match n {
            0 => format!("journal.torn-{good_len}"),
            _ => format!("journal.torn-{good_len}-{}", n + 1),
        };
        assert_eq!(fs::read(dir.join(name)).unwrap(), garbage);
    }
    // The store works on after the cut.
    let mut store = Store::open(dir).unwrap();
    let code = store.next_codes(day(), 1).unwrap().remove(0);
    commit_appeal(&mut store, at(700), appeal(&code, None, 999, &[])).unwrap();
    drop(store);
    let report = storage::check(dir).unwrap();
    assert!(report.ok(), "{:#?}", report.problems);
    let after = open_snapshot(dir);
    assert_eq!(after.appeals.len(), original.appeals.len() + 1);
    assert_eq!(after.appeals[..original.appeals.len()], original.appeals[..]);
}

#[test]
fn a_database_behind_the_journal_catches_up_on_open() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    build(dir, 30, 4);
    let store = Store::open(dir).unwrap();
    let origin = store.origin();
    let before = snapshot(&store);
    let first = before.appeals[0].code.clone();
    let new_code = store.next_codes(day(), 1).unwrap().remove(0);
    drop(store);
    let report = storage::check(dir).unwrap();
    let last_seq = report.events as u64;

    // Write records straight into the journal, as a save that reached the
    // journal but not the database would leave them.
    let events = vec![
        Event {
            id: EventId {
                origin: origin.clone(),
                seq: last_seq + 1,
            },
            at: at(800),
            actor: "s1".into(),
            body: EventBody::AppealRegistered {
                appeal: appeal(&new_code, None, 4242, &[deputy(0)]),
            },
        },
        Event {
            id: EventId {
                origin: origin.clone(),
                seq: last_seq + 2,
            },
            at: at(801),
            actor: "s1".into(),
            body: EventBody::AppealStepped {
                code: new_code.clone(),
                step: jiedai::domain::Step::Accept,
                note: String::new(),
            },
        },
    ];
    append_record(dir, events, last_seq + 1, last_seq + 2);

    let mut store = Store::open(dir).unwrap();
    assert!(
        store
            .recovery
            .iter()
            .any(|l| l.to_string().contains("replayed 1 journal records")),
        "{:?}",
        store.recovery
    );
    let caught_up = store.appeal(new_code.as_str()).unwrap().expect("replayed appeal");
    assert_eq!(caught_up.status, Status::Accepted);
    assert_eq!(caught_up.history.len(), 2);
    assert_eq!(caught_up.history[1].event.seq, last_seq + 2);
    let after = snapshot(&store);
    assert_eq!(after.appeals.len(), before.appeals.len() + 1);
    assert!(
        after
            .by_status
            .iter()
            .any(|(s, c)| *s == Status::Accepted && c.contains(&new_code.to_string()))
    );
    // The next code and the next event id continue after the replayed ones.
    assert_eq!(store.next_codes(day(), 1).unwrap()[0].seq(), new_code.seq() + 1);
    let status = store.appeal(first.as_str()).unwrap().unwrap().status;
    let step = legal_step(&mut Lcg::new(9), status);
    let (events, _) = commit_step(&mut store, 802, &first, step, "测试备注").unwrap();
    assert_eq!(events[0].id.seq, last_seq + 3);
    drop(store);
    let report = storage::check(dir).unwrap();
    assert!(report.ok(), "{:#?}", report.problems);
    assert_eq!(report.events as u64, last_seq + 3);
}

/// The journal's bytes and the names in a data directory (but the log,
/// which the CLI opens before anything else). The database files are left
/// out: the store held open by the test flushes them in the background.
fn outside_view(dir: &Path) -> (Vec<u8>, Vec<String>) {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "jiedai.log")
        .collect();
    names.sort();
    (fs::read(journal_path(dir)).unwrap(), names)
}

#[test]
fn a_second_user_of_the_directory_is_turned_away() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    build(dir, 10, 5);
    let store = Store::open(dir).unwrap();
    store.flush().unwrap();
    let before = snapshot(&store);

    match Store::open(dir) {
        Err(StoreError::Busy(p)) => assert_eq!(p, dir),
        Err(e) => panic!("expected Busy, got {e}"),
        Ok(_) => panic!("a second open of a held directory succeeded"),
    }
    assert!(matches!(storage::check(dir), Err(StoreError::Busy(_))));
    assert!(matches!(storage::rebuild(dir), Err(StoreError::Busy(_))));

    let outside = outside_view(dir);
    for rebuild in [false, true] {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_jiedai"));
        cmd.args(["check", "--data"]).arg(dir);
        if rebuild {
            cmd.arg("--rebuild");
        }
        let out = cmd.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(4), "rebuild {rebuild}: {stderr}");
        assert!(stderr.contains("正被另一个 jiedai 进程使用"), "{stderr}");
        assert!(
            outside_view(dir) == outside,
            "a refused check changed the directory"
        );
    }
    assert_eq!(set_aside_dirs(dir), 0);
    assert_eq!(snapshot(&store), before);
    drop(store);
    // Once the store is closed, the same command passes.
    let out = Command::new(env!("CARGO_BIN_EXE_jiedai"))
        .args(["check", "--data"])
        .arg(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn tracking_codes_are_consecutive_and_unique_across_reopen() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let mut store = new_store(dir, 1);
    let mut seen = std::collections::BTreeSet::new();
    let mut expect_seq = 1u32;
    let days = [day(), day() + Days::new(1)];
    for round in 0..6 {
        for (d, date) in days.iter().enumerate() {
            // Asking twice without saving gives the same codes: nothing is
            // reserved until it is saved.
            let peek = store.next_codes(*date, 3).unwrap();
            let codes = store.next_codes(*date, 3).unwrap();
            assert_eq!(peek, codes);
            let seq0 = codes[0].seq();
            if d == 0 {
                assert_eq!(seq0, expect_seq, "round {round}");
            }
            for (i, c) in codes.iter().enumerate() {
                assert_eq!(c.seq(), seq0 + i as u32);
                assert_eq!(c.date(), *date);
                assert_eq!(c.station(), STATION_CODE);
                assert_eq!(c.terminal(), 1);
            }
            // One visit with two appeals.
            store
                .commit_at(
                    "s1",
                    at(round),
                    vec![
                        EventBody::VisitRegistered {
                            visit: visit(&codes[0], &codes[1..], round as usize, &[]),
                        },
                        EventBody::AppealRegistered {
                            appeal: appeal(&codes[1], Some(&codes[0]), round as usize, &[]),
                        },
                        EventBody::AppealRegistered {
                            appeal: appeal(&codes[2], Some(&codes[0]), round as usize, &[]),
                        },
                    ],
                )
                .unwrap();
            for c in codes {
                assert!(seen.insert(c.to_string()), "code {c} issued twice");
            }
        }
        expect_seq += 3;
        if round % 2 == 1 {
            drop(store);
            store = Store::open(dir).unwrap();
        }
        // A duplicate code is refused and writes nothing.
        let old = store.catalog_rows().unwrap()[0]
            .code
            .parse::<TrackingCode>()
            .unwrap();
        let len = fs::metadata(journal_path(dir)).unwrap().len();
        let err = commit_appeal(&mut store, at(round), appeal(&old, None, 0, &[])).unwrap_err();
        assert!(err.message(jiedai::i18n::Lang::Zh).contains("已存在"), "{err}");
        assert_eq!(fs::metadata(journal_path(dir)).unwrap().len(), len);
    }
    // A visit whose code is the last one issued still counts.
    let last = store.next_codes(day(), 1).unwrap().remove(0);
    store
        .commit_at(
            "s1",
            at(99),
            vec![EventBody::VisitRegistered {
                visit: visit(&last, &[], 0, &[]),
            }],
        )
        .unwrap();
    drop(store);
    let store = Store::open(dir).unwrap();
    assert_eq!(store.next_codes(day(), 1).unwrap()[0].seq(), last.seq() + 1);
    let rows = store.catalog_rows().unwrap();
    assert_eq!(rows.len(), 6 * 2 * 2);
    let unique: std::collections::BTreeSet<_> = rows.iter().map(|r| &r.code).collect();
    assert_eq!(unique.len(), rows.len());
    drop(store);
    assert!(storage::check(dir).unwrap().ok());
}

/// Registers a visit with two appeals; returns the three codes.
fn a_visit_with_two_appeals(store: &mut Store) -> Vec<TrackingCode> {
    let codes = store.next_codes(day(), 3).unwrap();
    store
        .commit_at(
            "s1",
            at(1),
            vec![
                EventBody::VisitRegistered {
                    visit: visit(&codes[0], &codes[1..], 0, &[]),
                },
                EventBody::AppealRegistered {
                    appeal: appeal(&codes[1], Some(&codes[0]), 0, &[]),
                },
                EventBody::AppealRegistered {
                    appeal: appeal(&codes[2], Some(&codes[0]), 1, &[]),
                },
            ],
        )
        .unwrap();
    codes
}

/// Opens a database laid out by projection version `found`: it is rebuilt
/// from the journal and holds `before` again.
fn rebuilt_on_open(dir: &Path, found: u64, before: &Snapshot) -> Store {
    let store = Store::open(dir).unwrap();
    let said = format!("projection version {found}");
    assert!(
        store.recovery.iter().any(|l| l.to_string().contains(&said)),
        "{:?}",
        store.recovery
    );
    assert_eq!(&snapshot(&store), before);
    store
}

/// A database laid out by another projection version (here: an older one
/// whose catalog rows differ) is rebuilt from the journal when opened.
#[test]
fn an_older_projection_layout_is_rebuilt_on_open() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let mut store = new_store(dir, 1);
    let codes = a_visit_with_two_appeals(&mut store);
    let before = snapshot(&store);
    drop(store);
    {
        // What an older program left: version 1 and a catalog row in its format.
        let db = common::open_db_directly(dir);
        db.insert(b"m/projections", &1u64.to_be_bytes()).unwrap();
        db.insert(format!("s/{}", codes[1]).as_bytes(), b"1\x1eold row".as_slice())
            .unwrap();
        db.flush().unwrap();
    }
    let store = rebuilt_on_open(dir, 1, &before);
    drop(store);
    assert!(storage::check(dir).unwrap().ok());
}

/// A database written before values were deflated (layout 4: every value
/// plain JSON after its version byte) is rebuilt when opened, and reads
/// the same; a plain value still decodes where one is met.
#[test]
fn a_database_with_plain_values_from_layout_4_is_rebuilt_and_reads_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let mut store = new_store(dir, 1);
    let codes = a_visit_with_two_appeals(&mut store);
    let before = snapshot(&store);
    let appeals: Vec<Appeal> = codes[1..]
        .iter()
        .map(|c| store.appeal(c.as_str()).unwrap().unwrap())
        .collect();
    drop(store);
    {
        let db = common::open_db_directly(dir);
        for a in &appeals {
            let mut plain = vec![1u8];
            plain.extend(serde_json::to_vec(a).unwrap());
            db.insert(keys::appeal(a.code.as_str()), plain).unwrap();
        }
        db.insert(b"m/projections", &4u64.to_be_bytes()).unwrap();
        db.flush().unwrap();
    }
    let store = rebuilt_on_open(dir, 4, &before);
    for a in &appeals {
        assert_eq!(store.appeal(a.code.as_str()).unwrap().as_ref(), Some(a));
    }
    drop(store);
    assert!(storage::check(dir).unwrap().ok());
}

/// The database is written only after its journal record is on the disk,
/// so a database ahead of its journal means the journal was cut short or
/// lost: nothing is opened, nothing is cleared, and the journal can be
/// rebuilt from the database on request.
#[test]
fn a_database_ahead_of_the_journal_is_refused_and_both_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let mut store = new_store(dir, 1);
    let codes = store.next_codes(day(), 2).unwrap();
    for (i, code) in codes.iter().enumerate() {
        commit_appeal(&mut store, at(1 + i as u32), appeal(code, None, i, &[])).unwrap();
    }
    let durable = snapshot(&store);
    let cut = fs::metadata(journal_path(dir)).unwrap().len() - 40;
    store.flush().unwrap();
    drop(store);
    fs::OpenOptions::new()
        .write(true)
        .open(journal_path(dir))
        .unwrap()
        .set_len(cut)
        .unwrap();
    let journal_before = fs::read(journal_path(dir)).unwrap();
    for _ in 0..2 {
        match Store::open(dir) {
            Err(StoreError::DatabaseAhead { .. }) => {}
            Err(e) => panic!("{e}"),
            Ok(_) => panic!("a database ahead of its journal was opened"),
        }
    }
    assert_eq!(fs::read(journal_path(dir)).unwrap(), journal_before);
    // The same when the journal is gone altogether.
    fs::rename(journal_path(dir), dir.join("cut-journal")).unwrap();
    assert!(matches!(
        Store::open(dir),
        Err(StoreError::DatabaseAhead {
            journal_len: None,
            ..
        })
    ));
    let report = storage::check::journal_from_database(dir, &|_, _| {}).unwrap();
    assert!(report.ok(), "{:#?}", report.problems);
    let store = Store::open(dir).unwrap();
    let after = snapshot(&store);
    assert_eq!(after.appeals, durable.appeals);
    // Numbering goes on after everything used before.
    assert!(store.next_codes(day(), 1).unwrap()[0].seq() > codes[1].seq());
}

/// Writer and reader share one record limit: a change over it is refused
/// before anything is written, and whatever the writer did write is read
/// back after a restart.
#[test]
fn a_record_over_the_limit_is_refused_and_nothing_written_is_unreadable() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = new_store(dir.path(), 1);
    let journal = dir.path().join("journal");
    let before = fs::metadata(&journal).unwrap().len();
    let codes = store.next_codes(day(), 2).unwrap();
    let mut big = appeal(&codes[0], None, 0, &[]);
    big.content = "漏".repeat(storage::journal::MAX_PAYLOAD / 3 + 1);
    let refused = store.commit_at("s1", at(1), vec![EventBody::AppealRegistered { appeal: big }]);
    assert!(matches!(refused, Err(StoreError::TooLarge { .. })), "{refused:?}");
    assert_eq!(
        fs::metadata(&journal).unwrap().len(),
        before,
        "nothing was written"
    );
    // Just under the limit is written, and read back after a restart.
    let mut fits = appeal(&codes[1], None, 1, &[]);
    fits.content = "漏".repeat(storage::journal::MAX_PAYLOAD / 3 - 4096);
    store
        .commit_at(
            "s1",
            at(2),
            vec![EventBody::AppealRegistered { appeal: fits.clone() }],
        )
        .unwrap();
    drop(store);
    let store = Store::open(dir.path()).unwrap();
    let back = store
        .appeal(codes[1].as_str())
        .unwrap()
        .expect("the big record was read back");
    assert_eq!(back.content, fits.content);
    drop(store);
    assert!(storage::check(dir.path()).unwrap().ok());
}

/// `check` compares part by part (a range of codes at a time, and the keys
/// of no code); with small parts, every kind of difference is still found
/// wherever it lies, and a whole station checks the same in any part size.
#[test]
fn check_finds_every_difference_across_its_parts() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let mut store = new_store(dir, 2);
    let mut codes = Vec::new();
    for d in 0..12u64 {
        let date = day() - Days::new(30 - d);
        let mut changes = Vec::new();
        for (i, code) in store.next_codes(date, 20).unwrap().into_iter().enumerate() {
            changes.push(EventBody::AppealRegistered {
                appeal: appeal(&code, None, i, &[deputy(0)]),
            });
            codes.push(code);
        }
        store.commit_at("s1", at(d as u32), changes).unwrap();
    }
    drop(store);
    let whole = storage::check_in_parts(dir, usize::MAX, &|_, _| {}).unwrap();
    let parted = storage::check_in_parts(dir, 50, &|_, _| {}).unwrap();
    assert!(whole.ok() && parted.ok(), "{:#?}", parted.problems);
    assert_eq!(
        (parted.keys, parted.appeals, parted.events),
        (whole.keys, whole.appeals, whole.events)
    );
    assert_eq!(parted.appeals, codes.len());

    // A changed appeal, a lost index entry, a catalog row and a key of no
    // known kind that the journal never made, each in a different part.
    let changed = keys::appeal(codes[30].as_str());
    let lost = format!("i/p/{}/{}", deputy(0).id, codes[150]).into_bytes();
    let extra = keys::catalog("260101-330999012-10001-0");
    let stray = b"zz/stray".to_vec();
    {
        let db = common::open_db_directly(dir);
        let mut value = db.get(&changed).unwrap().unwrap().to_vec();
        let at = value.len() / 2;
        value[at] ^= 1;
        db.insert(&changed, value).unwrap();
        assert!(db.remove(&lost).unwrap().is_some(), "the index key exists");
        db.insert(&extra, b"x".to_vec()).unwrap();
        db.insert(&stray, b"x".to_vec()).unwrap();
        db.flush().unwrap();
    }
    let report = storage::check_in_parts(dir, 50, &|_, _| {}).unwrap();
    assert!(!report.ok());
    for key in [&changed, &lost, &extra, &stray] {
        let key = String::from_utf8_lossy(key).into_owned();
        assert!(
            report.problems.iter().any(|p| p.to_string().ends_with(&key)),
            "{key} not reported: {:#?}",
            report.problems
        );
    }
    assert_eq!(report.problems.len(), 4, "{:#?}", report.problems);
}
