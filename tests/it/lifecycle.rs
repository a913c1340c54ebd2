//! The status machine, pair by pair: every status against every step, with
//! the legal moves and their results written out here by hand (not taken
//! from `StepKind::allowed_from`), and the same refusal through the Store.

use crate::common;

use chrono::NaiveDate;

use jiedai::domain::lifecycle::{self, apply};
use jiedai::domain::{
    Appeal, EventBody, Satisfaction, Status, Step, StepKind, TrackingCode, TransitionError,
};
use jiedai::i18n::Lang;
use jiedai::storage::{self, Store, StoreError};

use common::*;

fn deadline() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
}

/// Every step there is, with data: each satisfaction is its own case.
fn all_steps() -> Vec<Step> {
    vec![
        Step::Register,
        Step::Accept,
        Step::Refer {
            unit: "区住建局".into(),
            deadline: deadline(),
        },
        Step::Start,
        Step::AnswerOnSpot {
            reply: "当场答复：已解释政策。".into(),
        },
        Step::Reply {
            reply: "已安排整改。".into(),
            document: None,
            class: None,
        },
        Step::Rate {
            satisfaction: Satisfaction::Satisfied,
        },
        Step::Rate {
            satisfaction: Satisfaction::Basic,
        },
        Step::Rate {
            satisfaction: Satisfaction::Unsatisfied,
        },
        Step::Reopen,
        Step::Chase,
        Step::Close,
    ]
}

/// An appeal standing in `status`, with or without a handling unit.
fn appeal_in(status: Status, with_unit: bool) -> Appeal {
    let code = TrackingCode::new(day(), STATION_CODE, 1, 7).unwrap();
    let mut a = appeal(&code, None, 7, &[deputy(0)]);
    a.status = status;
    if with_unit {
        a.unit = Some("区交通局".into());
        a.deadline = Some(NaiveDate::from_ymd_opt(2026, 11, 30).unwrap());
    }
    if matches!(status, Status::Replied | Status::Closed) {
        a.reply = Some("已答复。".into());
    }
    if status == Status::Closed {
        a.satisfaction = Some(Satisfaction::Basic);
    }
    a.round = 2;
    a.chases = 1;
    a
}

/// The table of legal moves, written out: the status after `step` from
/// `from`, or None when the move is illegal.
fn expected(from: Status, step: &Step, with_unit: bool) -> Option<Status> {
    use Satisfaction::*;
    use Status::*;
    let back = if with_unit { InProgress } else { Accepted };
    match (from, step) {
        (Registered, Step::Accept) => Some(Accepted),
        (Registered, Step::AnswerOnSpot { .. }) => Some(Replied),
        (Accepted, Step::Refer { .. }) => Some(Referred),
        (Accepted, Step::AnswerOnSpot { .. }) => Some(Replied),
        (Referred, Step::Start) => Some(InProgress),
        (Referred, Step::Reply { .. }) => Some(Replied),
        (Referred, Step::Chase) => Some(Referred),
        (InProgress, Step::Reply { .. }) => Some(Replied),
        (InProgress, Step::Chase) => Some(InProgress),
        (
            Replied,
            Step::Rate {
                satisfaction: Satisfied,
            },
        ) => Some(Closed),
        (Replied, Step::Rate { satisfaction: Basic }) => Some(Closed),
        (
            Replied,
            Step::Rate {
                satisfaction: Unsatisfied,
            },
        ) => Some(back),
        (Closed, Step::Reopen) => Some(back),
        (Replied, Step::Close) => Some(Closed),
        _ => None,
    }
}

#[test]
fn every_status_and_step_follows_the_table() {
    // Every status and every step kind is covered.
    assert_eq!(Status::ALL.len(), 6);
    let kinds: Vec<StepKind> = all_steps().iter().map(Step::kind).collect();
    for k in StepKind::ACTIONS
        .iter()
        .chain([&StepKind::Register, &StepKind::Close])
    {
        assert!(kinds.contains(k), "{k:?} is not exercised");
    }
    let mut legal = 0;
    let mut illegal = 0;
    for &from in Status::ALL {
        for with_unit in [false, true] {
            for step in all_steps() {
                let before = appeal_in(from, with_unit);
                let mut a = before.clone();
                let result = apply(&mut a, &step);
                match expected(from, &step, with_unit) {
                    Some(to) => {
                        legal += 1;
                        assert_eq!(result, Ok(to), "{from:?} + {step:?} (unit {with_unit})");
                        assert_eq!(a.status, to);
                        check_effects(&before, &a, &step);
                    }
                    None => {
                        illegal += 1;
                        assert_eq!(
                            result,
                            Err(TransitionError::Illegal {
                                from,
                                step: step.kind()
                            }),
                            "{from:?} + {step:?} must be illegal"
                        );
                        assert_eq!(a, before, "an illegal step changed the appeal");
                    }
                }
                // The kiosk's menu agrees with the table (办结销号 is the
                // county's step: the station closes by the citizen's rating).
                let offered = lifecycle::available(from).contains(&step.kind());
                assert_eq!(
                    offered,
                    expected(from, &step, with_unit).is_some() && step != Step::Close,
                    "{from:?}: menu and table disagree on {:?}",
                    step.kind()
                );
            }
        }
    }
    // 14 legal (status, step) pairs, each with and without a unit.
    assert_eq!(legal, 28);
    assert_eq!(illegal, 6 * 12 * 2 - 28);
}

/// What a legal step does besides the status.
fn check_effects(before: &Appeal, after: &Appeal, step: &Step) {
    let round = |n: u32| assert_eq!(after.round, before.round + n, "round after {step:?}");
    let chases = |n: u32| assert_eq!(after.chases, before.chases + n, "chases after {step:?}");
    match step {
        Step::Refer { unit, deadline } => {
            assert_eq!(after.unit.as_deref(), Some(unit.as_str()));
            assert_eq!(after.deadline, Some(*deadline));
            round(0);
        }
        Step::AnswerOnSpot { reply } | Step::Reply { reply, .. } => {
            assert_eq!(after.reply.as_deref(), Some(reply.as_str()));
            round(0);
        }
        Step::Rate { satisfaction } => {
            assert_eq!(after.satisfaction, Some(*satisfaction));
            round(if *satisfaction == Satisfaction::Unsatisfied {
                1
            } else {
                0
            });
        }
        Step::Reopen => {
            round(1);
            assert_eq!(after.satisfaction, None);
        }
        Step::Chase => chases(1),
        Step::Close => {
            round(0);
            assert_eq!(after.satisfaction, before.satisfaction);
        }
        Step::Accept | Step::Start => {
            round(0);
            chases(0);
        }
        Step::Rerefer { unit, deadline } => {
            assert_eq!(after.unit.as_deref(), Some(unit.as_str()));
            assert_eq!(after.deadline, Some(*deadline));
            round(0);
        }
        Step::Return => {
            assert_eq!((after.unit.as_ref(), after.deadline), (None, None));
            round(0);
        }
        Step::Extend { deadline } => {
            assert_eq!(after.deadline, Some(*deadline));
            round(0);
        }
        Step::Progress => {
            round(0);
            chases(0);
        }
        Step::Register => unreachable!("Register is never legal"),
    }
    // No step writes history by itself (the projection does).
    assert_eq!(after.history, before.history);
}

#[test]
fn empty_reply_and_empty_unit_are_refused() {
    for blank in ["", "   ", "\t\n"] {
        for from in [Status::Registered, Status::Accepted] {
            let before = appeal_in(from, false);
            let mut a = before.clone();
            let step = Step::AnswerOnSpot { reply: blank.into() };
            assert_eq!(apply(&mut a, &step), Err(TransitionError::EmptyReply));
            assert_eq!(a, before);
        }
        for from in [Status::Referred, Status::InProgress] {
            let before = appeal_in(from, true);
            let mut a = before.clone();
            let step = Step::Reply {
                reply: blank.into(),
                document: None,
                class: None,
            };
            assert_eq!(apply(&mut a, &step), Err(TransitionError::EmptyReply));
            assert_eq!(a, before);
        }
        let before = appeal_in(Status::Accepted, false);
        let mut a = before.clone();
        let step = Step::Refer {
            unit: blank.into(),
            deadline: deadline(),
        };
        assert_eq!(apply(&mut a, &step), Err(TransitionError::EmptyUnit));
        assert_eq!(a, before);
    }
}

/// Walks a stored appeal into `target` through legal steps.
fn path_to(target: Status) -> Vec<Step> {
    let refer = Step::Refer {
        unit: "区住建局".into(),
        deadline: deadline(),
    };
    let reply = Step::Reply {
        reply: "已答复。".into(),
        document: None,
        class: None,
    };
    let rate = Step::Rate {
        satisfaction: Satisfaction::Satisfied,
    };
    let all = [Step::Accept, refer, Step::Start, reply, rate];
    let n = match target {
        Status::Registered => 0,
        Status::Accepted => 1,
        Status::Referred => 2,
        Status::InProgress => 3,
        Status::Replied => 4,
        Status::Closed => 5,
    };
    all[..n].to_vec()
}

fn journal_len(dir: &std::path::Path) -> u64 {
    std::fs::metadata(journal_path(dir)).unwrap().len()
}

#[test]
fn illegal_steps_through_the_store_write_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let mut store = new_store(dir, 1);
    let codes = store.next_codes(day(), Status::ALL.len()).unwrap();
    let mut changes = Vec::new();
    for (i, code) in codes.iter().enumerate() {
        changes.push(EventBody::AppealRegistered {
            appeal: appeal(code, None, i, &[deputy(0)]),
        });
    }
    store.commit_at("s1", at(1), changes).unwrap();
    for (code, status) in codes.iter().zip(Status::ALL) {
        for step in path_to(*status) {
            commit_step(&mut store, 2, code, step, "").unwrap();
        }
        assert_eq!(store.appeal(code.as_str()).unwrap().unwrap().status, *status);
    }
    drop(store);
    let before = storage::check(dir).unwrap();
    assert!(before.ok(), "{:?}", before.problems);
    let len = journal_len(dir);

    let mut store = Store::open(dir).unwrap();
    let stored_before = snapshot(&store);
    let mut refused = 0;
    for (code, &status) in codes.iter().zip(Status::ALL) {
        for step in all_steps() {
            if expected(status, &step, true).is_some() || expected(status, &step, false).is_some() {
                continue;
            }
            let err = commit_step(&mut store, 3, code, step.clone(), "不应记录")
                .expect_err("an illegal step must be refused");
            assert!(
                matches!(&err, StoreError::Rejected(_)),
                "{status:?} + {step:?}: unexpected error {err}"
            );
            assert!(err.message(Lang::Zh).contains("不能用于"), "{err}");
            refused += 1;
            assert_eq!(journal_len(dir), len, "a refused step reached the journal");
        }
        // A batch that is legal up to its last change is refused whole.
        let mut batch: Vec<_> = Vec::new();
        if let Some(first) = all_steps()
            .into_iter()
            .find(|s| expected(status, s, true).is_some())
        {
            batch.push(EventBody::AppealStepped {
                code: code.clone(),
                step: first,
                note: String::new(),
            });
        }
        batch.push(EventBody::AppealStepped {
            code: code.clone(),
            step: Step::Register,
            note: String::new(),
        });
        assert!(store.commit_at("s1", at(3), batch).is_err());
        assert_eq!(journal_len(dir), len);
    }
    assert_eq!(refused, 6 * 12 - 14);
    // Empty replies and units are refused through the store too.
    let accepted = &codes[1];
    for step in [
        Step::Refer {
            unit: " ".into(),
            deadline: deadline(),
        },
        Step::AnswerOnSpot { reply: "".into() },
    ] {
        assert!(commit_step(&mut store, 3, accepted, step, "").is_err());
    }
    assert_eq!(snapshot(&store), stored_before);
    drop(store);
    assert_eq!(journal_len(dir), len);
    let after = storage::check(dir).unwrap();
    assert!(after.ok(), "{:?}", after.problems);
    assert_eq!(
        (after.records, after.events, after.keys, after.appeals),
        (before.records, before.events, before.keys, before.appeals)
    );

    // The real binary agrees.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_jiedai"))
        .args(["check", "--data"])
        .arg(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    assert_eq!(journal_len(dir), len);
}
