//! The station's log, ready to leave the station: the county's events
//! apply by the domain's rules with the same outcome live and replayed,
//! they never move the terminal's own numbering, a feed taken twice is
//! taken once, unknown event types are kept and skipped, and the events
//! to send carry the chain hash over the journal's own bytes.

use crate::common;

use common::*;
use jiedai::domain::county_steps::NotApplied;
use jiedai::domain::event::{CHAIN_GENESIS, chain_next, county_origin};
use jiedai::domain::{Event, EventBody, EventId, Satisfaction, Status, Step, TrackingCode};
use jiedai::storage::Store;
use jiedai::storage::sync_state::Position;
use serde_json::value::RawValue;

fn origin() -> String {
    format!("{STATION_CODE}-1")
}

fn county_event(seq: u64, code: &TrackingCode, step: Step, round: u32) -> Box<RawValue> {
    let event = Event {
        id: EventId {
            origin: county_origin(STATION_CODE),
            seq,
        },
        at: at(600),
        actor: "县人大代表工委".into(),
        body: EventBody::CountyStepped {
            code: code.clone(),
            step,
            note: String::new(),
            round,
        },
    };
    serde_json::value::to_raw_value(&event).unwrap()
}

fn reply() -> Step {
    Step::Reply {
        reply: "县住建局已安排维修。".into(),
        document: None,
        class: None,
    }
}

fn refer() -> Step {
    Step::Refer {
        unit: "区住建局".into(),
        deadline: day() + chrono::Days::new(3650),
    }
}

/// Three appeals: A referred, B answered on the spot and closed, C
/// replied, rated and reopened (round 1).
fn three_appeals(store: &mut Store) -> [TrackingCode; 3] {
    let codes = store.next_codes(day(), 3).unwrap();
    let changes = codes
        .iter()
        .enumerate()
        .map(|(i, c)| EventBody::AppealRegistered {
            appeal: appeal(c, None, i, &[]),
        })
        .collect();
    store.commit_at("s1", at(1), changes).unwrap();
    let step = |store: &mut Store, code: &TrackingCode, step: Step, note: &str| {
        commit_step(store, 2, code, step, note).unwrap();
    };
    let [a, b, c] = [codes[0].clone(), codes[1].clone(), codes[2].clone()];
    step(store, &a, Step::Accept, "");
    step(store, &a, refer(), "");
    step(
        store,
        &b,
        Step::AnswerOnSpot {
            reply: "当场解释".into(),
        },
        "",
    );
    step(
        store,
        &b,
        Step::Rate {
            satisfaction: Satisfaction::Satisfied,
        },
        "",
    );
    step(store, &c, Step::Accept, "");
    step(store, &c, refer(), "");
    step(store, &c, reply(), "");
    step(
        store,
        &c,
        Step::Rate {
            satisfaction: Satisfaction::Satisfied,
        },
        "",
    );
    step(store, &c, Step::Reopen, "群众反映问题复发");
    [a, b, c]
}

#[test]
fn county_steps_apply_by_the_rules_live_and_replayed_alike() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("station");
    let mut store = new_store(&dir, 2);
    let [a, b, c] = three_appeals(&mut store);
    let unknown_appeal = TrackingCode::new(day(), STATION_CODE, 1, 999).unwrap();
    let feed = vec![
        county_event(1, &a, reply(), 0),
        county_event(2, &b, reply(), 0),
        county_event(3, &c, reply(), 0),
        // A type this version does not know, from a newer county.
        RawValue::from_string(format!(
            r#"{{"id":{{"origin":"{}","seq":4}},"at":"2026-11-10T18:00:00+08:00","actor":"县人大","body":{{"type":"appeal_merged","into":"x"}}}}"#,
            county_origin(STATION_CODE)
        ))
        .unwrap(),
        county_event(5, &unknown_appeal, reply(), 0),
        county_event(6, &c, Step::Start, 1),
    ];
    let (events, touched) = store.apply_feed(&county_origin(STATION_CODE), feed).unwrap();
    assert_eq!(events.len(), 6);
    assert!(touched.contains(&a.to_string()) && touched.contains(&c.to_string()));

    let a_now = store.appeal(a.as_str()).unwrap().unwrap();
    assert_eq!(
        a_now.status,
        Status::Replied,
        "a reply to a referred appeal applies"
    );
    assert_eq!(a_now.reply.as_deref(), Some("县住建局已安排维修。"));
    let last = a_now.history.last().unwrap();
    assert!(last.event.is_county() && last.not_applied.is_none());

    let b_now = store.appeal(b.as_str()).unwrap().unwrap();
    assert_eq!(b_now.status, Status::Closed, "the station's close stands");
    assert_eq!(
        b_now.history.last().unwrap().not_applied,
        Some(NotApplied::Overtaken {
            status: Status::Closed
        })
    );

    let c_now = store.appeal(c.as_str()).unwrap().unwrap();
    let kept = &c_now.history[c_now.history.len() - 2];
    assert_eq!(
        kept.not_applied,
        Some(NotApplied::EarlierRound { round: 0, now: 1 }),
        "a reply from before the reopen is kept, not applied"
    );
    assert_eq!(
        c_now.status,
        Status::InProgress,
        "a step of the new round applies"
    );

    let live = snapshot(&store);
    drop(store);
    // Replayed from the journal into a new database: the same outcome.
    std::fs::remove_dir_all(dir.join("db")).unwrap();
    let store = Store::open(&dir).unwrap();
    assert_eq!(snapshot(&store), live);
    assert_eq!(store.origin_seq(&county_origin(STATION_CODE)), 6);
    drop(store);
    let report = jiedai::storage::check(&dir).unwrap();
    assert!(report.ok(), "{:?}", report.problems);
    // The unknown event is kept in the journal as it came.
    let journal = std::fs::read(journal_path(&dir)).unwrap();
    assert!(journal.windows(13).any(|w| w == b"appeal_merged"));
}

#[test]
fn the_county_feed_never_moves_the_terminals_numbering_and_is_taken_once() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("station");
    let mut store = new_store(&dir, 1);
    let [a, _, _] = three_appeals(&mut store);
    let own_before = store.reader().own_seq().unwrap();
    let feed = || {
        vec![
            county_event(1, &a, reply(), 0),
            county_event(2, &a, Step::Chase, 0),
        ]
    };
    // Sequences far above the terminal's own must not lift its numbering.
    let mut far = feed();
    far.push(county_event(5_000, &a, Step::Chase, 0));
    store.apply_feed(&county_origin(STATION_CODE), far).unwrap();
    let len = std::fs::metadata(journal_path(&dir)).unwrap().len();
    let (again, _) = store.apply_feed(&county_origin(STATION_CODE), feed()).unwrap();
    assert!(again.is_empty(), "a feed fetched twice is taken once");
    assert_eq!(std::fs::metadata(journal_path(&dir)).unwrap().len(), len);
    let (events, _) = store
        .commit_at(
            "s1",
            at(700),
            vec![EventBody::DutyCheckedIn {
                deputy: deputy(0).id,
                day: day(),
            }],
        )
        .unwrap();
    assert_eq!(events[0].id.seq, own_before + 1);
    assert_eq!(events[0].id.origin, origin());
    // An event of another origin in a county feed is refused whole.
    let mut wrong = vec![county_event(5_001, &a, Step::Chase, 0)];
    wrong.push(
        serde_json::value::to_raw_value(&Event {
            id: EventId {
                origin: "county/330999099".into(),
                seq: 1,
            },
            at: at(700),
            actor: "x".into(),
            body: EventBody::Unknown,
        })
        .unwrap(),
    );
    assert!(store.apply_feed(&county_origin(STATION_CODE), wrong).is_err());
    assert_eq!(store.origin_seq(&county_origin(STATION_CODE)), 5_000);
}

#[test]
fn the_events_to_send_carry_the_chain_over_the_journals_bytes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("station");
    let mut store = new_store(&dir, 3);
    let [a, _, _] = three_appeals(&mut store);
    store
        .apply_feed(
            &county_origin(STATION_CODE),
            vec![county_event(1, &a, reply(), 0)],
        )
        .unwrap();
    let reader = store.reader();
    let own = reader.own_seq().unwrap();
    let all = reader
        .outgoing(&origin(), &Position::default(), 10_000, 1 << 20)
        .unwrap();
    assert_eq!(all.prev, CHAIN_GENESIS);
    let seqs: Vec<u64> = all.events.iter().map(|e| e.seq).collect();
    assert_eq!(
        seqs,
        (1..=own).collect::<Vec<_>>(),
        "every own event, in order, no county event"
    );
    let mut chain = CHAIN_GENESIS.to_string();
    for e in &all.events {
        chain = chain_next(&chain, e.raw.get().as_bytes());
        assert_eq!(e.hash, chain);
        assert!(!e.raw.get().contains("county/"));
    }
    // In batches: each continues where the last was acknowledged.
    let mut position = Position::default();
    let mut seen = Vec::new();
    loop {
        let batch = reader.outgoing(&origin(), &position, 4, 1 << 20).unwrap();
        let Some(last) = batch.events.last() else { break };
        assert!(batch.events.len() <= 4);
        let expected_prev = if position.acked == 0 {
            CHAIN_GENESIS.to_string()
        } else {
            all.events[position.acked as usize - 1].hash.clone()
        };
        assert_eq!(batch.prev, expected_prev);
        seen.extend(batch.events.iter().map(|e| e.seq));
        position = batch.position_at(last.seq, &position);
    }
    assert_eq!(seen, seqs);
    // A byte limit still sends at least one event.
    let one = reader.outgoing(&origin(), &Position::default(), 500, 1).unwrap();
    assert_eq!(one.events.len(), 1);
    // A position whose hash is unknown finds it again from the start.
    let lost = Position {
        acked: 5,
        hash: String::new(),
        offset: 0,
    };
    let again = reader.outgoing(&origin(), &lost, 500, 1 << 20).unwrap();
    assert_eq!(again.prev, all.events[4].hash);
    // After a rebuild of the database the chain is the same.
    drop(reader);
    drop(store);
    jiedai::storage::rebuild(&dir).unwrap();
    let store = Store::open(&dir).unwrap();
    let rebuilt = store
        .reader()
        .outgoing(&origin(), &Position::default(), 10_000, 1 << 20)
        .unwrap();
    assert_eq!(
        rebuilt.events.last().map(|e| e.hash.clone()),
        all.events.last().map(|e| e.hash.clone())
    );
    // Each record carries the chain hash of the terminal's events before it.
    let journal = std::fs::read(journal_path(&dir)).unwrap();
    let text = String::from_utf8_lossy(&journal);
    let mut boundaries = 0;
    for pair in all.events.windows(2) {
        if pair[0].record != pair[1].record {
            boundaries += 1;
            assert!(
                text.contains(&format!("\"prev\":\"{}\"", pair[0].hash)),
                "the record of event {} does not carry the chain before it",
                pair[1].seq
            );
        }
    }
    assert!(boundaries >= 5);
}

#[test]
fn a_renumbered_terminal_is_a_new_origin_numbered_afresh() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("station");
    let mut store = new_store(&dir, 1);
    three_appeals(&mut store);
    let old = store.reader().own_seq().unwrap();
    assert!(old > 5);
    drop(store);
    // What `init --reconfigure --terminal 2 --change-terminal` writes.
    jiedai::storage::write_terminal(&dir, STATION_CODE, 2).unwrap();
    let mut store = Store::open(&dir).unwrap();
    let two = format!("{STATION_CODE}-2");
    assert_eq!(store.reader().own_seq().unwrap(), 0);
    assert_eq!(
        store.origin_seq(&origin()),
        old,
        "the old numbering is another origin's"
    );
    let (events, _) = store
        .commit_at(
            "s1",
            at(800),
            vec![EventBody::DutyCheckedIn {
                deputy: deputy(0).id,
                day: day(),
            }],
        )
        .unwrap();
    assert_eq!(events[0].id.origin, two);
    assert_eq!(
        events[0].id.seq, 1,
        "a new origin starts at 1, so the county sees no gap"
    );
    let out = store
        .reader()
        .outgoing(&two, &Position::default(), 500, 1 << 20)
        .unwrap();
    assert_eq!(out.prev, CHAIN_GENESIS);
    assert_eq!(out.events.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![1]);
    drop(store);
    let report = jiedai::storage::check(&dir).unwrap();
    assert!(report.ok(), "{:?}", report.problems);
    // After a restart the new numbering goes on.
    let mut store = Store::open(&dir).unwrap();
    let (events, _) = store
        .commit_at(
            "s1",
            at(801),
            vec![EventBody::DutyCheckedOut {
                deputy: deputy(0).id,
                day: day(),
            }],
        )
        .unwrap();
    assert_eq!(
        (events[0].id.origin.as_str(), events[0].id.seq),
        (two.as_str(), 2)
    );
}
