//! A journal record's payload, and the numbering it carries forward.
//!
//! A payload is `{"v":1,"prev":"<hex>","events":[…]}`. Each event is
//! serialised once, and those bytes are what the journal keeps, what the
//! terminal's event chain hashes (`domain::event::chain_next`) and what a
//! sync upload sends, so the county can check the chain over the very
//! bytes the station wrote. `prev` is the chain hash of this terminal's
//! events before the record: each record carries the hash of the history
//! before it. Records written before the chain have no `prev`; their
//! events are hashed the same way when the chain is computed.
//!
//! Sequences are kept per origin: this terminal's own events are numbered
//! by the store (`m/seq`, with its chain head in `m/chain`); events that
//! came from elsewhere (the county's, `county/<station>`) keep their ids,
//! and the last sequence held of each such origin is `m/origin/<origin>`,
//! which is also the station's cursor into that origin's feed.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::keys;
use crate::domain::event::{CHAIN_GENESIS, SCHEMA_VERSION, chain_next};
use crate::domain::{Event, EventBody};

#[derive(Serialize)]
struct Out<'a> {
    v: u32,
    prev: &'a str,
    events: &'a [Box<RawValue>],
}

#[derive(Deserialize)]
struct In {
    #[serde(default)]
    prev: String,
    events: Vec<Box<RawValue>>,
}

/// One record read back: its events, and each event's bytes.
pub struct Decoded {
    pub prev: String,
    pub events: Vec<Event>,
    pub raws: Vec<Box<RawValue>>,
}

/// Each event serialised once, as the journal will keep it.
pub fn raw_events(events: &[Event]) -> Result<Vec<Box<RawValue>>, serde_json::Error> {
    events.iter().map(serde_json::value::to_raw_value).collect()
}

/// The payload of a record of these events, after chain hash `prev`.
pub fn encode(raws: &[Box<RawValue>], prev: &str) -> Result<Vec<u8>, serde_json::Error> {
    serde_json::to_vec(&Out {
        v: SCHEMA_VERSION,
        prev,
        events: raws,
    })
}

pub fn decode(payload: &[u8]) -> Result<Decoded, serde_json::Error> {
    let input: In = serde_json::from_slice(payload)?;
    let events = input
        .events
        .iter()
        .map(|raw| serde_json::from_str::<Event>(raw.get()))
        .collect::<Result<Vec<Event>, _>>()?;
    Ok(Decoded {
        prev: input.prev,
        events,
        raws: input.events,
    })
}

/// An event's id, read from its bytes alone.
pub fn event_id(raw: &RawValue) -> Result<crate::domain::EventId, serde_json::Error> {
    #[derive(Deserialize)]
    struct IdOnly {
        id: crate::domain::EventId,
    }
    serde_json::from_str::<IdOnly>(raw.get()).map(|i| i.id)
}

/// A record's events as bytes only (for sending them on).
pub fn decode_raw(payload: &[u8]) -> Result<Vec<Box<RawValue>>, serde_json::Error> {
    Ok(serde_json::from_slice::<In>(payload)?.events)
}

/// The numbering state carried from record to record: this terminal's
/// last sequence and chain head, and the last sequence of other origins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heads {
    pub origin: String,
    pub seq: u64,
    pub chain: String,
    pub others: BTreeMap<String, u64>,
}

impl Heads {
    pub fn new(origin: String) -> Heads {
        Heads {
            origin,
            seq: 0,
            chain: CHAIN_GENESIS.to_string(),
            others: BTreeMap::new(),
        }
    }

    /// Reads the heads a database holds (a fresh one: nothing yet).
    pub fn load(tree: &sled::Tree, origin: String) -> Result<Heads, sled::Error> {
        let mut heads = Heads::new(origin);
        if let Some(v) = tree.get(keys::SEQ)? {
            heads.seq = v.as_ref().try_into().map(u64::from_be_bytes).unwrap_or(0);
        }
        if let Some(v) = tree.get(keys::CHAIN)? {
            heads.chain = String::from_utf8_lossy(&v).into_owned();
        }
        for kv in tree.scan_prefix(keys::ORIGIN.as_bytes()) {
            let (k, v) = kv?;
            let origin = String::from_utf8_lossy(&k[keys::ORIGIN.len()..]).into_owned();
            heads
                .others
                .insert(origin, v.as_ref().try_into().map(u64::from_be_bytes).unwrap_or(0));
        }
        Ok(heads)
    }

    /// Makes the database's numbering this terminal's (`origin`) and reads
    /// the heads. When the database's own numbering belongs to another
    /// origin (the terminal was renumbered), that origin's last sequence is
    /// kept as another origin's and this terminal's numbering starts
    /// afresh: event ids are pairs (origin, seq), so none repeats. A
    /// database from before `m/seq_origin` is taken to be this origin's.
    pub fn adopt(tree: &sled::Tree, origin: String) -> Result<Heads, sled::Error> {
        let seq = tree
            .get(keys::SEQ)?
            .and_then(|v| v.as_ref().try_into().ok().map(u64::from_be_bytes))
            .unwrap_or(0);
        match tree.get(keys::SEQ_ORIGIN)? {
            Some(held) if held.as_ref() != origin.as_bytes() => {
                let old = String::from_utf8_lossy(&held).into_owned();
                let before = tree
                    .get(keys::origin(&old))?
                    .and_then(|v| v.as_ref().try_into().ok().map(u64::from_be_bytes))
                    .unwrap_or(0);
                let mut batch = sled::Batch::default();
                batch.remove(keys::SEQ);
                batch.remove(keys::CHAIN);
                batch.remove(keys::SEQ_ORIGIN);
                batch.insert(keys::origin(&old), &seq.max(before).to_be_bytes());
                tree.apply_batch(batch)?;
            }
            None if seq > 0 => {
                tree.insert(keys::SEQ_ORIGIN, origin.as_bytes())?;
            }
            _ => {}
        }
        Heads::load(tree, origin)
    }

    /// Carries the heads over a record's events; returns the database
    /// writes that record them (in the record's own atomic batch).
    pub fn advance(&mut self, events: &[Event], raws: &[Box<RawValue>]) -> Vec<(Vec<u8>, Vec<u8>)> {
        let mut own = false;
        let mut touched: Vec<String> = Vec::new();
        for (event, raw) in events.iter().zip(raws) {
            if event.id.origin == self.origin {
                self.chain = chain_next(&self.chain, raw.get().as_bytes());
                self.seq = self.seq.max(event.id.seq);
                own = true;
            } else {
                let held = self.others.entry(event.id.origin.clone()).or_insert(0);
                *held = (*held).max(event.id.seq);
                touched.push(event.id.origin.clone());
                // Another terminal's event relayed by the county: the last
                // of that terminal's events held.
                if let EventBody::Relayed {
                    origin,
                    seq,
                    event: Some(_),
                    ..
                } = &event.body
                    && *origin != self.origin
                {
                    let held = self.others.entry(origin.clone()).or_insert(0);
                    *held = (*held).max(*seq);
                    touched.push(origin.clone());
                }
            }
        }
        let mut out = Vec::new();
        if own {
            out.push((keys::SEQ.to_vec(), self.seq.to_be_bytes().to_vec()));
            out.push((keys::CHAIN.to_vec(), self.chain.as_bytes().to_vec()));
            out.push((keys::SEQ_ORIGIN.to_vec(), self.origin.as_bytes().to_vec()));
        }
        touched.sort();
        touched.dedup();
        for origin in touched {
            let seq = self.others[&origin];
            out.push((keys::origin(&origin), seq.to_be_bytes().to_vec()));
        }
        out
    }

    /// The sequences of the events that are held already (a record
    /// written twice), as (lowest, highest), if any is. Each origin's
    /// sequences only grow, so an event at or below its origin's head has
    /// been applied before.
    pub fn repeats(&self, events: &[Event]) -> Option<(u64, u64)> {
        let held: Vec<u64> = events
            .iter()
            .filter(|e| {
                let head = if e.id.origin == self.origin {
                    self.seq
                } else {
                    self.other(&e.id.origin)
                };
                e.id.seq <= head
            })
            .map(|e| e.id.seq)
            .collect();
        Some((*held.iter().min()?, *held.iter().max()?))
    }

    /// The last sequence held of another origin (0: none).
    pub fn other(&self, origin: &str) -> u64 {
        self.others.get(origin).copied().unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{EventBody, EventId};

    fn event(origin: &str, seq: u64) -> Event {
        Event {
            id: EventId {
                origin: origin.into(),
                seq,
            },
            at: chrono::DateTime::parse_from_rfc3339("2026-11-10T09:00:00+08:00").unwrap(),
            actor: "t".into(),
            body: EventBody::DutyCheckedIn {
                deputy: "d1".into(),
                day: chrono::NaiveDate::from_ymd_opt(2026, 11, 10).unwrap(),
            },
        }
    }

    #[test]
    fn a_payload_round_trips_with_the_bytes_it_was_hashed_with() {
        let events = vec![event("330999012-1", 1), event("330999012-1", 2)];
        let raws = raw_events(&events).unwrap();
        let payload = encode(&raws, CHAIN_GENESIS).unwrap();
        let back = decode(&payload).unwrap();
        assert_eq!(back.events, events);
        assert_eq!(back.prev, CHAIN_GENESIS);
        for (a, b) in raws.iter().zip(&back.raws) {
            assert_eq!(a.get(), b.get());
        }
    }

    #[test]
    fn county_events_do_not_move_the_terminals_numbering() {
        let mut heads = Heads::new("330999012-1".into());
        let own = vec![event("330999012-1", 1), event("330999012-1", 2)];
        heads.advance(&own, &raw_events(&own).unwrap());
        let chain = heads.chain.clone();
        let county = vec![event("county/330999012", 7)];
        let writes = heads.advance(&county, &raw_events(&county).unwrap());
        assert_eq!(heads.seq, 2);
        assert_eq!(heads.chain, chain);
        assert_eq!(heads.other("county/330999012"), 7);
        assert_eq!(writes.len(), 1);
    }

    #[test]
    fn an_unknown_event_type_is_read_not_refused() {
        let payload = br#"{"v":1,"events":[{"id":{"origin":"county/330999012","seq":1},"at":"2026-11-10T09:00:00+08:00","actor":"x","body":{"type":"brand_new_thing","field":1}}]}"#;
        let back = decode(payload).unwrap();
        assert_eq!(back.events[0].body, EventBody::Unknown);
        assert!(back.raws[0].get().contains("brand_new_thing"));
    }
}
