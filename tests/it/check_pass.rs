//! `check` reads the journal twice (a survey of its damage, then one
//! parse of its records), whatever the number of parts it
//! compares, and still finds every kind of damage wherever it lies: a
//! station of a few hundred appeals checked in parts of a few dozen codes
//! reports what the same station checked in one part reports.

use crate::common;
use crate::support::cli::{expect, text};

use std::path::Path;

use chrono::Days;

use jiedai::domain::{Event, EventBody, EventId, Step, TrackingCode};
use jiedai::storage::{self, CheckReport, Finding, keys};

use common::*;

/// Small parts: one a day, a dozen of them in the station `build` makes.
const PER_PART: usize = 15;

/// Twelve days of twenty appeals (each with a deputy; every third with a
/// step taken), on days a month apart from each other's neighbours.
/// Returns the codes, this terminal's origin and a code given out that no
/// appeal has.
fn build(dir: &Path) -> (Vec<TrackingCode>, String, TrackingCode) {
    let mut store = new_store(dir, 2);
    let mut codes = Vec::new();
    let mut rng = Lcg::new(18);
    for d in 0..12u64 {
        let date = day() - Days::new(40 - 3 * d);
        let mut changes = Vec::new();
        for (i, code) in store.next_codes(date, 20).unwrap().into_iter().enumerate() {
            changes.push(EventBody::AppealRegistered {
                appeal: appeal(&code, None, i, &[deputy(i % 2)]),
            });
            codes.push(code);
        }
        store.commit_at("s1", at(d as u32), changes).unwrap();
    }
    for (i, code) in codes.iter().enumerate().step_by(3) {
        let status = store.appeal(code.as_str()).unwrap().unwrap().status;
        commit_step(
            &mut store,
            100 + i as u32,
            code,
            legal_step(&mut rng, status),
            "备注",
        )
        .unwrap();
    }
    let unused = store.next_codes(day() - Days::new(20), 1).unwrap().remove(0);
    let origin = store.origin();
    (codes, origin, unused)
}

fn check(dir: &Path, per_part: usize) -> CheckReport {
    storage::check_in_parts(dir, per_part, &|_, _| {}).unwrap()
}

/// Findings as words, sorted (the order of parts differs by part size).
fn words(report: &CheckReport) -> Vec<String> {
    let mut out: Vec<String> = report.problems.iter().map(|p| p.to_string()).collect();
    out.sort();
    out
}

#[test]
fn a_station_in_many_parts_is_read_once_and_checks_as_in_one() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (codes, _, _) = build(dir);
    let whole = check(dir, usize::MAX);
    let parted = check(dir, PER_PART);
    assert!(whole.ok() && parted.ok(), "{:#?}", parted.problems);
    assert!(parted.parts >= 12, "{} parts", parted.parts);
    assert_eq!(whole.parts, 2, "the global part and one of codes");
    // The survey of its damage and the one parse of its records,
    // whatever the number of parts.
    assert_eq!((parted.journal_passes, whole.journal_passes), (2, 2));
    assert_eq!(
        (parted.keys, parted.appeals, parted.events, parted.records),
        (whole.keys, whole.appeals, whole.events, whole.records)
    );
    assert_eq!(parted.appeals, codes.len());
    // Progress ends at its total and never goes back.
    let seen = std::cell::RefCell::new(Vec::new());
    storage::check_in_parts(dir, PER_PART, &|done, total| {
        seen.borrow_mut().push((done, total))
    })
    .unwrap();
    let seen = seen.into_inner();
    assert!(seen.windows(2).all(|w| w[0].0 <= w[1].0), "{seen:?}");
    let (done, total) = *seen.last().unwrap();
    assert_eq!(done, total);
}

#[test]
fn every_kind_of_damage_is_found_in_any_part() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (codes, origin, unknown) = build(dir);
    let last_seq = check(dir, PER_PART).events as u64;

    // Events the journal holds but cannot apply, in different parts and
    // in the global one: a second registration of a code, a step of an
    // appeal that does not exist, a check-out of a deputy never checked in.
    let event = |seq: u64, body| Event {
        id: EventId {
            origin: origin.clone(),
            seq,
        },
        at: at(700),
        actor: "s1".into(),
        body,
    };
    let bad = vec![
        event(
            last_seq + 1,
            EventBody::AppealRegistered {
                appeal: appeal(&codes[200], None, 1, &[deputy(0)]),
            },
        ),
        event(
            last_seq + 2,
            EventBody::AppealStepped {
                code: unknown.clone(),
                step: Step::Accept,
                note: String::new(),
            },
        ),
        event(
            last_seq + 3,
            EventBody::DutyCheckedOut {
                deputy: deputy(1).id,
                day: day(),
            },
        ),
    ];
    append_record(dir, bad, last_seq + 1, last_seq + 3);
    // Opening applies what it can of them, as a replay at start does.
    drop(jiedai::storage::Store::open(dir).unwrap());
    let bad_events = check(dir, PER_PART);
    let seqs: Vec<u64> = bad_events
        .problems
        .iter()
        .map(|p| match p {
            Finding::BadEvent { seq, .. } => *seq,
            other => panic!("only bad events: {other:?}"),
        })
        .collect();
    // The global part's first, then each part's in code order.
    assert_eq!(seqs, [last_seq + 3, last_seq + 2, last_seq + 1]);
    assert_eq!(words(&bad_events), words(&check(dir, usize::MAX)));

    // The database changed behind the journal's back, in several parts:
    // an appeal's value, a lost index entry, a catalog row and a visit key
    // no event made, a deputy changed and a key of no known kind.
    let changed = keys::appeal(codes[30].as_str());
    let lost = format!("i/p/{}/{}", deputy(0).id, codes[150]).into_bytes();
    let extra = keys::catalog("260101-330999012-10001-0");
    let visit = keys::visit(codes[220].as_str());
    let deputy_key = keys::deputy(&deputy(1).id);
    let stray = b"zz/stray".to_vec();
    {
        let db = crate::common::open_db_directly(dir);
        let mut value = db.get(&changed).unwrap().unwrap().to_vec();
        let at = value.len() / 2;
        value[at] ^= 1;
        db.insert(&changed, value).unwrap();
        assert!(db.remove(&lost).unwrap().is_some(), "the index key exists");
        db.insert(&extra, b"x".to_vec()).unwrap();
        db.insert(&visit, b"x".to_vec()).unwrap();
        let mut d = db.get(&deputy_key).unwrap().unwrap().to_vec();
        d.push(b' ');
        db.insert(&deputy_key, d).unwrap();
        db.insert(&stray, b"x".to_vec()).unwrap();
        db.flush().unwrap();
    }
    let parted = check(dir, PER_PART);
    let whole = check(dir, usize::MAX);
    assert_eq!(words(&parted), words(&whole));
    let expected = [
        (&changed, "differs"),
        (&lost, "missing"),
        (&extra, "only"),
        (&visit, "only"),
        (&deputy_key, "differs"),
        (&stray, "only"),
    ];
    for (key, kind) in expected {
        let key = String::from_utf8_lossy(key).into_owned();
        assert!(
            parted.problems.iter().any(|p| {
                p.to_string().ends_with(&key)
                    && matches!(
                        (kind, p),
                        ("differs", Finding::Differs { .. })
                            | ("missing", Finding::MissingFromDatabase { .. })
                            | ("only", Finding::OnlyInDatabase { .. })
                    )
            }),
            "{key} not reported as {kind}: {:#?}",
            parted.problems
        );
    }
    assert_eq!(
        parted.problems.len(),
        3 + expected.len(),
        "{:#?}",
        parted.problems
    );
    // Key differences follow the bad events, the global part's first.
    assert!(
        matches!(parted.problems[3], Finding::Differs { ref key } if key.as_bytes() == deputy_key.as_slice())
    );
}

/// Past fifty differences the rest are counted on one line, the same in
/// parts as in one.
#[test]
fn many_differences_are_counted_past_the_first_fifty() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (codes, _, _) = build(dir);
    {
        let db = crate::common::open_db_directly(dir);
        for code in codes.iter().step_by(3) {
            db.remove(keys::catalog(code.as_str())).unwrap();
        }
        db.flush().unwrap();
    }
    let parted = check(dir, PER_PART);
    let whole = check(dir, usize::MAX);
    assert_eq!(parted.problems, whole.problems);
    assert!(
        parted.problems[..50]
            .iter()
            .all(|p| matches!(p, Finding::MissingFromDatabase { .. })),
        "{:#?}",
        parted.problems
    );
    assert!(matches!(parted.problems[50], Finding::More { count } if count == codes.len() / 3 - 50));
}

/// A record whose content does not parse, past which the database was
/// brought: said once, by its number and offset.
#[test]
fn a_record_that_does_not_parse_is_said_once() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    build(dir);
    let before = check(dir, PER_PART);
    let journal = journal_path(dir);
    let offset = std::fs::metadata(&journal).unwrap().len();
    {
        let mut j = jiedai::storage::journal::Journal::open(&journal).unwrap();
        let seq = before.events as u64 + 1;
        j.write(br#"{"v":1,"events":[{"not":"an event"}]}"#, seq, seq)
            .unwrap();
        j.sync().unwrap();
    }
    let end = std::fs::metadata(&journal).unwrap().len();
    {
        let db = crate::common::open_db_directly(dir);
        db.insert(keys::APPLIED, &end.to_be_bytes()).unwrap();
        db.insert(keys::APPLIED_FROM, &offset.to_be_bytes()).unwrap();
        db.flush().unwrap();
    }
    let parted = check(dir, PER_PART);
    let bad: Vec<_> = parted
        .problems
        .iter()
        .filter(|p| matches!(p, Finding::BadRecord { .. }))
        .collect();
    assert_eq!(bad.len(), 1, "{:#?}", parted.problems);
    assert!(matches!(bad[0], Finding::BadRecord { offset: o, .. } if *o == offset));
    assert_eq!(parted.records, before.records);
    assert_eq!(parted.problems, check(dir, usize::MAX).problems);
}

/// Through the binary: the same words and exit status as ever.
#[test]
fn the_binary_says_what_differs_and_fails() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let (codes, _, _) = build(dir);
    let out = expect(dir, &["--lang", "en", "check"], 0);
    assert!(
        text(&out.stdout).contains("check passed"),
        "{}",
        text(&out.stdout)
    );
    let changed = keys::appeal(codes[100].as_str());
    {
        let db = crate::common::open_db_directly(dir);
        let mut value = db.get(&changed).unwrap().unwrap().to_vec();
        let at = value.len() / 2;
        value[at] ^= 1;
        db.insert(&changed, value).unwrap();
        db.flush().unwrap();
    }
    let out = expect(dir, &["--lang", "en", "check"], 1);
    let said = text(&out.stdout);
    assert!(said.contains(&format!("a/{}", codes[100])), "{said}");
    assert!(said.contains("check FAILED"), "{said}");
}
