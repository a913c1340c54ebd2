//! Domain rules and tracking-code capacity through the real binary: an
//! import obeys the same rules as the kiosk, and one date takes more than
//! 9,999 rows.

use crate::common;
use crate::support::cli;

use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use chrono::Days;
use jiedai::domain::{Event, EventBody, EventId, Status, Step};
use jiedai::i18n::Lang;
use jiedai::storage::{self, Store, StoreError};

use cli::*;
use common::{appeal, append_record, at, commit_appeal, day, new_store, visit};

fn codes_in_export(dir: &Path) -> Vec<String> {
    let out = expect(dir, &["export", "appeals", "--format", "jsonl"], 0);
    text(&out.stdout)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("a JSON line");
            v["code"].as_str().expect("a code").to_string()
        })
        .collect()
}

#[test]
fn import_refuses_a_group_of_1000_naming_the_line() {
    let dir = station(false);
    let file = dir.path().join("groups.csv");
    std::fs::write(
        &file,
        "日期,人数,诉求内容\n\
         2026-03-10,999,路灯坏了\n\
         2026-03-10,1000,井盖松动\n\
         2026-03-10,65535,垃圾清运不及时\n",
    )
    .expect("write");
    let out = expect(dir.path(), &["import", "appeals", path(&file)], 3);
    let err = text(&out.stderr);
    assert!(err.contains("第 3 行：人数"), "{err}");
    assert!(err.contains("999"), "the limit is named: {err}");
    assert!(err.contains("第 4 行：人数"), "{err}");
    assert!(!err.contains("第 2 行："), "999 is allowed: {err}");
    assert_eq!(codes_in_export(dir.path()).len(), 1);
}

#[test]
fn import_refuses_a_deadline_before_the_rows_own_date() {
    let dir = station(false);
    let file = dir.path().join("deadline.csv");
    std::fs::write(
        &file,
        "日期,诉求内容,承办单位,办理期限,办理状态\n\
         2026-03-10,路灯坏了,县住建局,2026-03-09,已交办\n\
         2026-03-10,井盖松动,县住建局,2026-03-10,已交办\n",
    )
    .expect("write");
    let out = expect(dir.path(), &["import", "appeals", path(&file)], 3);
    let err = text(&out.stderr);
    assert!(err.contains("第 2 行："), "{err}");
    assert!(err.contains("2026-03-09"), "the deadline is named: {err}");
    assert!(
        !err.contains("第 3 行："),
        "a deadline on the day is allowed: {err}"
    );
}

/// More than 9,999 rows for one date: every row gets its own code, the
/// ones past 9,999 in the 22-digit form.
#[test]
fn ten_thousand_rows_for_one_date_all_get_codes() {
    const ROWS: usize = 10_050;
    let dir = station(false);
    let mut csv = String::from("日期,姓名,诉求内容\n");
    for i in 0..ROWS {
        writeln!(csv, "2026-04-15,测试{i},虚构诉求第{i}条").expect("write");
    }
    let file = dir.path().join("many.csv");
    std::fs::write(&file, csv).expect("write");
    let started = Instant::now();
    expect(dir.path(), &["import", "appeals", path(&file)], 0);
    let took = started.elapsed();
    let codes = codes_in_export(dir.path());
    assert_eq!(codes.len(), ROWS);
    let distinct: HashSet<&String> = codes.iter().collect();
    assert_eq!(distinct.len(), ROWS, "every code is distinct");
    let long = codes.iter().filter(|c| c.len() == 25).count();
    assert_eq!(long, ROWS - 9_999, "sequences past 9999 use five digits");
    assert!(codes.iter().all(|c| c.starts_with("260415-")));
    // Each code is found again by its digits.
    let long_code = codes.iter().find(|c| c.len() == 25).expect("a long code");
    let digits: String = long_code.chars().filter(char::is_ascii_digit).collect();
    let out = expect(dir.path(), &["find", &digits, "--json"], 0);
    assert_eq!(text(&out.stdout).lines().count(), 1, "{long_code}");
    expect(dir.path(), &["check"], 0);
    eprintln!("imported {ROWS} rows in {took:?}");
}

/// The store refuses a new change that breaks a rule (whoever calls it),
/// dated by the change's own time; events recorded before the rules still
/// replay.
#[test]
fn the_store_checks_new_changes_and_replays_old_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let mut store = new_store(dir, 1);
    let codes = store.next_codes(day(), 2).unwrap();
    commit_appeal(&mut store, at(1), appeal(&codes[0], None, 1, &[])).unwrap();
    let step = |step, note: &str| {
        vec![EventBody::AppealStepped {
            code: codes[0].clone(),
            step,
            note: note.into(),
        }]
    };
    store.commit_at("s1", at(2), step(Step::Accept, "")).unwrap();
    let refer = |deadline| Step::Refer {
        unit: "区住建局".into(),
        deadline,
    };
    let yesterday = day() - Days::new(1);
    let refused = store
        .commit_at("s1", at(3), step(refer(yesterday), ""))
        .unwrap_err();
    assert!(matches!(refused, StoreError::Rejected(_)), "{refused:?}");
    assert!(refused.message(Lang::Zh).contains("早于交办日期"), "{refused}");
    // The same deadline is fine for a step taken the day before.
    let earlier = at(3) - Days::new(2);
    store
        .commit_at("s1", earlier, step(refer(yesterday), ""))
        .unwrap();
    let a = store.appeal(codes[0].as_str()).unwrap().unwrap();
    assert_eq!((a.status, a.deadline), (Status::Referred, Some(yesterday)));

    let mut big = visit(&codes[1], &[], 2, &[]);
    big.group_size = 1000;
    let refused = store
        .commit_at(
            "s1",
            at(4),
            vec![EventBody::VisitRegistered { visit: big.clone() }],
        )
        .unwrap_err();
    assert!(refused.message(Lang::Zh).contains("1-999"), "{refused}");
    let mut big_appeal = appeal(&codes[1], None, 2, &[]);
    big_appeal.group_size = 0;
    assert!(
        store
            .commit_at(
                "s1",
                at(4),
                vec![EventBody::AppealRegistered { appeal: big_appeal }]
            )
            .is_err()
    );
    assert!(store.visit(codes[1].as_str()).unwrap().is_none());

    // An old journal: a reopen without a note, a referral due before its
    // day, a group of 65535, all recorded before the rules existed.
    let closed = [
        Step::Start,
        Step::Reply {
            reply: "已答复。".into(),
            document: None,
            class: None,
        },
        Step::Rate {
            satisfaction: jiedai::domain::Satisfaction::Satisfied,
        },
    ];
    for s in closed {
        store.commit_at("s1", at(5), step(s, "")).unwrap();
    }
    let origin = store.origin();
    drop(store);
    let last_seq = storage::check(dir).unwrap().events as u64;
    let mut old_visit = visit(&codes[1], &[], 3, &[]);
    old_visit.group_size = u16::MAX;
    let event = |seq: u64, body| Event {
        id: EventId {
            origin: origin.clone(),
            seq,
        },
        at: at(600),
        actor: "s1".into(),
        body,
    };
    let events = vec![
        event(
            last_seq + 1,
            EventBody::AppealStepped {
                code: codes[0].clone(),
                step: Step::Reopen,
                note: String::new(),
            },
        ),
        event(last_seq + 2, EventBody::VisitRegistered { visit: old_visit }),
    ];
    append_record(dir, events, last_seq + 1, last_seq + 2);
    let store = Store::open(dir).unwrap();
    let a = store.appeal(codes[0].as_str()).unwrap().unwrap();
    assert_eq!((a.status, a.round), (Status::InProgress, 1));
    assert_eq!(
        store.visit(codes[1].as_str()).unwrap().unwrap().group_size,
        u16::MAX
    );
    drop(store);
    let report = storage::check(dir).unwrap();
    assert!(report.ok(), "{:?}", report.problems);
}

/// When a date's codes do run out (here the floor under the counter is set
/// near the end), the import saves every row that got a code and names
/// the first row that did not, the date and the terminal.
#[test]
fn exhausted_codes_name_the_line_the_date_and_the_terminal() {
    let dir = station(false);
    let counters = dir.path().join("counters");
    let mut floors: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&counters).expect("counters")).expect("json");
    floors["codes"]["260415-330999012-1"] = serde_json::json!(99_995);
    std::fs::write(&counters, floors.to_string()).expect("write");
    let mut csv = String::from("日期,诉求内容\n2026-04-16,另一天\n");
    for i in 0..8 {
        writeln!(csv, "2026-04-15,虚构诉求第{i}条").expect("write");
    }
    let file = dir.path().join("full.csv");
    std::fs::write(&file, csv).expect("write");
    let out = expect(dir.path(), &["import", "appeals", path(&file)], 1);
    let err = text(&out.stderr);
    // Lines 3-6 take 99996-99999; line 7 finds none left.
    assert!(err.contains("第 7 行："), "{err}");
    assert!(err.contains("2026-04-15"), "{err}");
    assert!(err.contains("终端 1"), "{err}");
    assert!(err.contains("99999"), "{err}");
    assert!(!err.contains("journal") && !err.contains("日志"), "{err}");
    assert!(err.contains("--from-line 7"), "{err}");
    let codes = codes_in_export(dir.path());
    assert_eq!(codes.len(), 5, "{codes:?}");
    assert!(
        codes.iter().any(|c| c.starts_with("260415-330999012-199999-")),
        "{codes:?}"
    );
}

/// An appeal brought in whole with this terminal's code 9999 for a day
/// (an export from elsewhere) holds up nothing: the terminal's own
/// numbering goes on, passing over that code, past 9999 into five digits.
#[test]
fn an_imported_code_9999_does_not_stop_registration() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let mut store = new_store(dir, 0);
    let imported = store.next_codes(day(), 1).unwrap()[0].clone();
    let imported = jiedai::domain::TrackingCode::new(day(), imported.station(), 1, 9_999).unwrap();
    let mut a = appeal(&imported, None, 1, &[]);
    a.history = vec![jiedai::domain::HistoryEntry {
        event: EventId {
            origin: "330999099-1".into(),
            seq: 1,
        },
        at: at(1),
        actor: "s9".into(),
        step: Step::Register,
        from: None,
        to: Status::Registered,
        note: String::new(),
        not_applied: None,
    }];
    store
        .commit_at("import", at(2), vec![EventBody::AppealImported { appeal: a }])
        .unwrap();
    let next = store.next_codes(day(), 1).unwrap();
    assert_eq!(next[0].seq(), 1);
    // Numbering that reaches it passes over it.
    let codes = store.next_codes(day(), 10_001).unwrap();
    assert!(!codes.contains(&imported));
    assert_eq!(codes[9_998].seq(), 10_000);
    assert_eq!(codes[10_000].seq(), 10_002);
    assert_eq!(codes[10_000].as_str().len(), 25);
}
