//! Taking one terminal's upload: each event exactly once, in order, in one
//! transaction with the county's projection of the appeals.
//!
//! For each event of the batch, with `h` the chain hash after it:
//! - a sequence the county holds: the same hash is a retry (nothing to
//!   do), another hash is a rewritten history (`Refusal::Conflict`,
//!   logged and recorded; what the county holds stays);
//! - the next sequence: stored and applied to the projection;
//! - anything further: `Refusal::Gap`.
//!
//! Everything before a refusal is kept, nothing at or after it.
//!
//! A station's configuration is kept without its staff's secrets: sent so
//! by the station with its chain hash attested, or stripped here from an
//! older terminal's event after hashing the bytes as they came (see
//! `protocol`, "Redacted events").

use std::collections::{BTreeMap, BTreeSet};

use serde_json::value::RawValue;
use sqlx::{AnyConnection, Row};

use super::CountyError;
use super::db::{self, Db};
use crate::domain::Appeal;
use crate::domain::event::{Event, EventBody, chain_next, terminal_origin};
use crate::domain::history;
use crate::domain::privacy::without_staff_secrets;
use crate::sync::protocol::{
    self, GENESIS, Refusal, Upload, UploadReply, for_county, is_chain_hash, redacted,
};

/// Rows of a multi-row statement: events or appeals written in one round
/// trip each (a batch holds at most `MAX_BATCH_EVENTS`).
const ROWS_A_STATEMENT: usize = 500;

/// An event to store, as its row of `events`.
struct NewEvent {
    seq: u64,
    hash: String,
    kind: String,
    appeal: Option<String>,
    body: String,
}

/// Takes `upload` from `station` (already authenticated).
///
/// The batch is checked in memory first (what the county holds of its
/// sequences read in one query), then its new events are written in one
/// statement and the appeals they touch read in one and written in one.
pub async fn ingest(db: &Db, station: &str, upload: &Upload) -> Result<UploadReply, CountyError> {
    let mut tx = db.pool.begin().await?;
    let conn: &mut AnyConnection = &mut tx;
    if !db::lock_station(conn, station).await? {
        return Err(CountyError::NotEnrolled(station.to_string()));
    }
    let terminal = protocol::terminal_key(upload.terminal, upload.generation);
    sqlx::query(
        "INSERT INTO terminals (station, terminal, acked, head) VALUES ($1, $2, 0, $3)
         ON CONFLICT (station, terminal) DO NOTHING",
    )
    .bind(station)
    .bind(terminal)
    .bind(GENESIS)
    .execute(&mut *conn)
    .await?;
    let row = sqlx::query("SELECT acked, head FROM terminals WHERE station = $1 AND terminal = $2")
        .bind(station)
        .bind(terminal)
        .fetch_one(&mut *conn)
        .await?;
    let mut held = row.try_get::<i64, _>(0)? as u64;
    let mut head: String = row.try_get(1)?;
    let mut known = HeldHashes::read(conn, station, terminal, upload, held).await?;
    let origin = terminal_origin(station, upload.terminal, upload.generation);
    let mut refused = None;
    let mut fresh: Vec<NewEvent> = Vec::new();
    let mut applied: Vec<Event> = Vec::new();
    let mut chain: Option<String> = None;
    let mut expected_seq: Option<u64> = None;
    let received_at = super::now().to_rfc3339();

    for raw in &upload.events {
        let bytes = raw.get().as_bytes();
        let event = match serde_json::from_str::<Event>(raw.get()) {
            Ok(e) => e,
            Err(e) => {
                let seq = expected_seq.unwrap_or(held + 1);
                refused = Some(Refusal::BadEvent {
                    seq,
                    reason: format!("{e}"),
                });
                break;
            }
        };
        let seq = event.id.seq;
        if event.id.origin != origin {
            refused = Some(Refusal::BadEvent {
                seq,
                reason: format!("origin {} is not {origin}", event.id.origin),
            });
            break;
        }
        if seq == 0 || expected_seq.is_some_and(|e| e != seq) {
            refused = Some(Refusal::BadEvent {
                seq,
                reason: format!("sequence {seq} out of order in the batch"),
            });
            break;
        }
        expected_seq = Some(seq + 1);
        // The chain hash before this event.
        let prev = match chain.take() {
            Some(p) => p,
            None => {
                // The first event of the batch: `prev` must be what the
                // county holds before it.
                let before = if seq == 1 {
                    Some(GENESIS.to_string())
                } else if seq - 1 <= held {
                    known.get(conn, seq - 1).await?
                } else {
                    None
                };
                match before {
                    Some(b) if b == upload.prev => b,
                    Some(_) => {
                        refused = Some(Refusal::BrokenChain { seq });
                        break;
                    }
                    None => {
                        refused = Some(Refusal::Gap {
                            seq,
                            expected: held + 1,
                        });
                        break;
                    }
                }
            }
        };
        // The chain hash after this event, and the bytes the county keeps:
        // a station's configuration never with its staff's secrets
        // (protocol, "Redacted events").
        let (hash, body) = match upload.attested.iter().find(|a| a.seq == seq) {
            Some(a) => {
                let redacted = matches!(event.body, EventBody::StationConfigured { .. })
                    && without_staff_secrets(&event).is_none();
                if !redacted || !is_chain_hash(&a.hash) {
                    refused = Some(Refusal::BadEvent {
                        seq,
                        reason: "只有去掉员工密码后上报的站点设置才能附带链哈希 / an attested chain hash is for a station's configuration sent without staff secrets"
                            .into(),
                    });
                    break;
                }
                (a.hash.to_ascii_lowercase(), raw.get().to_string())
            }
            None => (
                chain_next(&prev, bytes),
                redacted(&event).map_or_else(|| raw.get().to_string(), |r| r.get().to_string()),
            ),
        };
        if seq <= held {
            // A retry: the same hash changes nothing, another is a
            // rewritten history.
            let held_hash = known.get(conn, seq).await?.unwrap_or_default();
            if held_hash != hash {
                refused = Some(Refusal::Conflict {
                    seq,
                    held: held_hash,
                    sent: hash,
                });
                break;
            }
            chain = Some(hash);
            continue;
        }
        if seq > held + 1 {
            refused = Some(Refusal::Gap {
                seq,
                expected: held + 1,
            });
            break;
        }
        if prev != head {
            refused = Some(Refusal::BrokenChain { seq });
            break;
        }
        fresh.push(NewEvent {
            seq,
            hash: hash.clone(),
            kind: kind(raw),
            appeal: history::appeal_code(&event).map(str::to_string),
            body,
        });
        applied.push(event);
        held = seq;
        head = hash.clone();
        chain = Some(hash);
    }
    let stored = store_events(conn, station, terminal, &fresh, &received_at).await?;
    // Every event but the terminal's configuration goes on to the
    // station's other terminals (`domain::order`).
    let relayed: Vec<(u64, Option<&str>)> = fresh
        .iter()
        .filter(|e| e.kind != "station_configured")
        .map(|e| (e.seq, e.appeal.as_deref()))
        .collect();
    db::relay(conn, station, terminal, &relayed, &received_at).await?;
    let mut projection = Projection::default();
    projection.apply_all(conn, station, &applied).await?;
    projection.save(conn, station).await?;
    sqlx::query("UPDATE terminals SET acked = $1, head = $2 WHERE station = $3 AND terminal = $4")
        .bind(held as i64)
        .bind(head.as_str())
        .bind(station)
        .bind(terminal)
        .execute(&mut *conn)
        .await?;
    if let Some(r) = &refused {
        let (kind, seq) = refusal_kind(r);
        let body = upload
            .events
            .iter()
            .find(|e| seq_of(e) == Some(seq))
            .map(|e| for_county(e).map_or_else(|| e.get().to_string(), |r| r.get().to_string()));
        log::warn!("station {station} terminal {terminal}: refused: {r:?}");
        sqlx::query(
            "INSERT INTO refusals (station, terminal, seq, kind, detail, body, at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(station)
        .bind(terminal)
        .bind(seq as i64)
        .bind(kind)
        .bind(db::encode(r)?)
        .bind(body)
        .bind(received_at.as_str())
        .execute(&mut *conn)
        .await?;
    }
    tx.commit().await?;
    Ok(UploadReply {
        acked: held,
        stored,
        refused,
    })
}

/// Writes the batch's new events, `ROWS_A_STATEMENT` rows a statement.
/// Each follows what the terminal's row says is held, under the station's
/// lock: one already there means the two disagree, and the whole batch is
/// given up (its transaction rolled back) rather than half taken.
async fn store_events(
    conn: &mut AnyConnection,
    station: &str,
    terminal: i64,
    fresh: &[NewEvent],
    received_at: &str,
) -> Result<u64, CountyError> {
    let mut stored = 0u64;
    for rows in fresh.chunks(ROWS_A_STATEMENT) {
        let mut marks = db::Marks::new(conn);
        let values: Vec<String> = rows.iter().map(|_| format!("({})", marks.take(8))).collect();
        let sql = format!(
            "INSERT INTO events (station, terminal, seq, hash, kind, appeal, body, received_at)
             VALUES {} ON CONFLICT (station, terminal, seq) DO NOTHING",
            values.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for e in rows {
            query = query
                .bind(station)
                .bind(terminal)
                .bind(e.seq as i64)
                .bind(e.hash.as_str())
                .bind(e.kind.as_str())
                .bind(e.appeal.as_deref())
                .bind(e.body.as_str())
                .bind(received_at);
        }
        let done = query.execute(&mut *conn).await?;
        if done.rows_affected() != rows.len() as u64 {
            return Err(CountyError::Db(sqlx::Error::Protocol(format!(
                "station {station} terminal {terminal}: events after sequence {} are held already, \
                 though the terminal's row says they are not",
                rows[0].seq.saturating_sub(1)
            ))));
        }
        stored += done.rows_affected();
    }
    Ok(stored)
}

/// The chain hashes the county holds for the sequences a batch names at
/// or before what it holds (a retry, or the one before the batch), read
/// in one query; any other asked for is read alone.
struct HeldHashes {
    station: String,
    terminal: i64,
    hashes: BTreeMap<u64, String>,
}

impl HeldHashes {
    async fn read(
        conn: &mut AnyConnection,
        station: &str,
        terminal: i64,
        upload: &Upload,
        held: u64,
    ) -> Result<HeldHashes, CountyError> {
        let mut known = HeldHashes {
            station: station.to_string(),
            terminal,
            hashes: BTreeMap::new(),
        };
        let first = upload.events.first().and_then(|e| seq_of(e));
        let last = upload.events.last().and_then(|e| seq_of(e));
        if let (Some(first), Some(last)) = (first, last) {
            let from = first.saturating_sub(1).max(1);
            let to = last.min(held);
            if from <= to && to - from <= protocol::MAX_BATCH_EVENTS as u64 {
                let rows = sqlx::query(
                    "SELECT seq, hash FROM events WHERE station = $1 AND terminal = $2 AND seq >= $3 AND seq <= $4",
                )
                .bind(station)
                .bind(terminal)
                .bind(from as i64)
                .bind(to as i64)
                .fetch_all(&mut *conn)
                .await?;
                for r in &rows {
                    known.hashes.insert(r.try_get::<i64, _>(0)? as u64, r.try_get(1)?);
                }
            }
        }
        Ok(known)
    }

    /// The chain hash held after `seq`, if the county holds it.
    async fn get(&mut self, conn: &mut AnyConnection, seq: u64) -> Result<Option<String>, CountyError> {
        if let Some(hash) = self.hashes.get(&seq) {
            return Ok(Some(hash.clone()));
        }
        held_hash(conn, &self.station, self.terminal, seq).await
    }
}

async fn held_hash(
    conn: &mut AnyConnection,
    station: &str,
    terminal: i64,
    seq: u64,
) -> Result<Option<String>, CountyError> {
    let row = sqlx::query("SELECT hash FROM events WHERE station = $1 AND terminal = $2 AND seq = $3")
        .bind(station)
        .bind(terminal)
        .bind(seq as i64)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(match row {
        Some(r) => Some(r.try_get(0)?),
        None => None,
    })
}

fn refusal_kind(r: &Refusal) -> (&'static str, u64) {
    match r {
        Refusal::Conflict { seq, .. } => ("conflict", *seq),
        Refusal::Gap { seq, .. } => ("gap", *seq),
        Refusal::BrokenChain { seq } => ("broken_chain", *seq),
        Refusal::BadEvent { seq, .. } => ("bad_event", *seq),
    }
}

fn seq_of(raw: &RawValue) -> Option<u64> {
    #[derive(serde::Deserialize)]
    struct Id {
        seq: u64,
    }
    #[derive(serde::Deserialize)]
    struct IdOnly {
        id: Id,
    }
    serde_json::from_str::<IdOnly>(raw.get()).ok().map(|i| i.id.seq)
}

/// The event's `type` as it came (unknown types too).
fn kind(raw: &RawValue) -> String {
    #[derive(serde::Deserialize)]
    struct TypeOnly {
        #[serde(default)]
        body: Option<BodyType>,
    }
    #[derive(serde::Deserialize)]
    struct BodyType {
        #[serde(rename = "type", default)]
        kind: String,
    }
    serde_json::from_str::<TypeOnly>(raw.get())
        .ok()
        .and_then(|t| t.body)
        .map(|b| b.kind)
        .unwrap_or_default()
}

/// The appeals a batch touched, applied in memory and written once.
#[derive(Default)]
pub struct Projection {
    appeals: BTreeMap<String, Option<Appeal>>,
    changed: BTreeSet<String>,
    /// How many history entries each appeal had when read.
    stored: BTreeMap<String, usize>,
}

impl Projection {
    /// Applies `events` in order, the appeals they touch read first in
    /// one query.
    pub async fn apply_all(
        &mut self,
        conn: &mut AnyConnection,
        station: &str,
        events: &[Event],
    ) -> Result<(), CountyError> {
        let wanted: BTreeSet<&str> = events
            .iter()
            .filter_map(history::appeal_code)
            .filter(|code| !self.appeals.contains_key(*code))
            .collect();
        let wanted: Vec<&str> = wanted.into_iter().collect();
        for held in db::appeals_by_code(conn, &wanted).await? {
            self.held(held.appeal);
        }
        for code in wanted {
            self.appeals.entry(code.to_string()).or_insert(None);
        }
        for event in events {
            self.apply(conn, station, event).await?;
        }
        Ok(())
    }

    pub async fn apply(
        &mut self,
        conn: &mut AnyConnection,
        station: &str,
        event: &Event,
    ) -> Result<(), CountyError> {
        match &event.body {
            EventBody::StationConfigured { station: info } => {
                if info.code == station {
                    db::save_station_info(conn, station, info).await?;
                } else {
                    log::warn!(
                        "station {station}: event {:?} configures station {}",
                        event.id,
                        info.code
                    );
                }
                return Ok(());
            }
            EventBody::DeputyUpserted { deputy } => {
                db::save_deputy(conn, station, deputy).await?;
                return Ok(());
            }
            EventBody::Unknown => return Ok(()),
            _ => {}
        }
        let Some(code) = history::appeal_code(event).map(str::to_string) else {
            return Ok(());
        };
        if code_station(&code).as_deref() != Some(station) {
            log::warn!(
                "station {station}: event {:?} is about appeal {code} of another station",
                event.id
            );
            return Ok(());
        }
        if !self.appeals.contains_key(&code) {
            match db::appeal(conn, &code).await? {
                Some(h) => self.held(h.appeal),
                None => {
                    self.appeals.insert(code.clone(), None);
                }
            }
        }
        let Some(slot) = self.appeals.get_mut(&code) else {
            return Ok(());
        };
        match history::apply(slot.as_ref(), event) {
            Ok(Some(next)) => {
                *slot = Some(next);
                self.changed.insert(code);
            }
            Ok(None) => {}
            Err(e) => {
                // Kept among the events, not applied (as a station's
                // replay would skip it).
                log::warn!(
                    "station {station}: event {:?} kept, not applied to {code}: {e:?}",
                    event.id
                );
            }
        }
        Ok(())
    }

    /// An appeal as the county held it before the batch.
    fn held(&mut self, appeal: Appeal) {
        let code = appeal.code.to_string();
        self.stored.insert(code.clone(), appeal.history.len());
        self.appeals.insert(code, Some(appeal));
    }

    /// Writes every appeal changed, `ROWS_A_STATEMENT` a statement (the
    /// history entries it held are not written again).
    pub async fn save(&mut self, conn: &mut AnyConnection, station: &str) -> Result<(), CountyError> {
        let changed: Vec<(&Appeal, usize)> = self
            .changed
            .iter()
            .filter_map(|code| {
                let appeal = self.appeals.get(code)?.as_ref()?;
                Some((appeal, self.stored.get(code).copied().unwrap_or(0)))
            })
            .collect();
        for appeals in changed.chunks(ROWS_A_STATEMENT) {
            db::save_appeals(conn, station, appeals).await?;
        }
        self.changed.clear();
        Ok(())
    }
}

/// The station part of a tracking code's text, if it parses.
fn code_station(code: &str) -> Option<String> {
    code.parse::<crate::domain::TrackingCode>()
        .ok()
        .map(|c| c.station().to_string())
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, NaiveDate};

    use super::*;
    use crate::county::db::testing::{enrolled, runtime};
    use crate::domain::TrackingCode;
    use crate::domain::event::EventId;

    const STATION: &str = "330999012";

    fn code() -> TrackingCode {
        TrackingCode::new(NaiveDate::from_ymd_opt(2026, 11, 10).unwrap(), STATION, 1, 1).unwrap()
    }

    /// Terminal 1's event `seq`: the appeal's registration first, then
    /// duty check-ins of `deputy`.
    fn event(seq: u64, deputy: &str) -> Box<RawValue> {
        let at = DateTime::parse_from_rfc3339("2026-11-10T09:00:00+08:00").unwrap();
        let body = if seq == 1 {
            EventBody::AppealRegistered {
                appeal: Appeal::registered(code(), at),
            }
        } else {
            EventBody::DutyCheckedIn {
                deputy: deputy.to_string(),
                day: NaiveDate::from_ymd_opt(2026, 11, seq as u32).unwrap(),
            }
        };
        let event = Event {
            id: EventId {
                origin: terminal_origin(STATION, 1, 0),
                seq,
            },
            at,
            actor: "员工".into(),
            body,
        };
        RawValue::from_string(serde_json::to_string(&event).unwrap()).unwrap()
    }

    /// The chain hash after each of `events`, from the start.
    fn chain(events: &[Box<RawValue>]) -> Vec<String> {
        let mut prev = GENESIS.to_string();
        events
            .iter()
            .map(|e| {
                prev = chain_next(&prev, e.get().as_bytes());
                prev.clone()
            })
            .collect()
    }

    fn upload(prev: &str, events: &[Box<RawValue>]) -> Upload {
        Upload {
            terminal: 1,
            generation: 0,
            prev: prev.to_string(),
            events: events.to_vec(),
            attested: Vec::new(),
        }
    }

    fn reply(acked: u64, stored: u64, refused: Option<Refusal>) -> UploadReply {
        UploadReply {
            acked,
            stored,
            refused,
        }
    }

    #[test]
    fn a_batch_is_taken_once_and_a_retry_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        runtime().block_on(async {
            let db = enrolled(dir.path(), STATION).await;
            let events: Vec<_> = (1..=4).map(|n| event(n, "D001")).collect();
            let hashes = chain(&events);
            let first = upload(GENESIS, &events[..3]);
            assert_eq!(ingest(&db, STATION, &first).await.unwrap(), reply(3, 3, None));
            assert_eq!(db.event_count().await.unwrap(), 3);
            let held = db.appeal(code().as_str()).await.unwrap().unwrap();
            assert_eq!((held.station.as_str(), held.appeal.code), (STATION, code()));
            // The same batch again (its answer was lost): nothing new.
            assert_eq!(ingest(&db, STATION, &first).await.unwrap(), reply(3, 0, None));
            assert_eq!(db.event_count().await.unwrap(), 3);
            // A batch overlapping what is held stores only what is new.
            let overlapping = upload(&hashes[0], &events[1..]);
            assert_eq!(
                ingest(&db, STATION, &overlapping).await.unwrap(),
                reply(4, 1, None)
            );
            let kept = db.held_events(STATION, 1, 0, 10).await.unwrap();
            let kept: Vec<_> = kept.into_iter().map(|(seq, hash, _)| (seq, hash)).collect();
            let expected: Vec<_> = (1..=4).zip(hashes).collect();
            assert_eq!(kept, expected);
        });
    }

    #[test]
    fn a_gap_is_refused_and_nothing_after_it_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        runtime().block_on(async {
            let db = enrolled(dir.path(), STATION).await;
            let events: Vec<_> = (1..=5).map(|n| event(n, "D001")).collect();
            let hashes = chain(&events);
            ingest(&db, STATION, &upload(GENESIS, &events[..2]))
                .await
                .unwrap();
            let skipping = upload(&hashes[2], &events[3..]);
            let gap = Refusal::Gap { seq: 4, expected: 3 };
            assert_eq!(
                ingest(&db, STATION, &skipping).await.unwrap(),
                reply(2, 0, Some(gap))
            );
            assert_eq!(db.event_count().await.unwrap(), 2);
            // A batch from the start whose `prev` is not the chain's start.
            let broken = upload(&hashes[0], &events[..1]);
            let refusal = Refusal::BrokenChain { seq: 1 };
            assert_eq!(
                ingest(&db, STATION, &broken).await.unwrap(),
                reply(2, 0, Some(refusal))
            );
            assert_eq!(db.event_count().await.unwrap(), 2);
        });
    }

    #[test]
    fn a_rewritten_history_is_refused_and_what_is_held_stays() {
        let dir = tempfile::tempdir().unwrap();
        runtime().block_on(async {
            let db = enrolled(dir.path(), STATION).await;
            let events: Vec<_> = (1..=2).map(|n| event(n, "D001")).collect();
            let held = chain(&events);
            ingest(&db, STATION, &upload(GENESIS, &events)).await.unwrap();
            let rewritten = vec![events[0].clone(), event(2, "D002")];
            let sent = chain(&rewritten);
            let conflict = Refusal::Conflict {
                seq: 2,
                held: held[1].clone(),
                sent: sent[1].clone(),
            };
            let answer = ingest(&db, STATION, &upload(GENESIS, &rewritten)).await.unwrap();
            assert_eq!(answer, reply(2, 0, Some(conflict)));
            let kept = db.held_events(STATION, 1, 0, 10).await.unwrap();
            assert_eq!(kept[1].2, events[1].get(), "the held event stays as it came");
            let refusals: i64 = sqlx::query("SELECT COUNT(*) FROM refusals WHERE kind = 'conflict'")
                .fetch_one(&db.pool)
                .await
                .unwrap()
                .try_get(0)
                .unwrap();
            assert_eq!(refusals, 1);
        });
    }

    #[test]
    fn another_terminals_event_and_an_unenrolled_station_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        runtime().block_on(async {
            let db = enrolled(dir.path(), STATION).await;
            let mut batch = upload(GENESIS, &[event(1, "D001")]);
            batch.terminal = 2;
            let answer = ingest(&db, STATION, &batch).await.unwrap();
            assert!(
                matches!(answer.refused, Some(Refusal::BadEvent { seq: 1, .. })),
                "{answer:?}"
            );
            assert_eq!((answer.acked, answer.stored), (0, 0));
            let stranger = ingest(&db, "330999013", &upload(GENESIS, &[event(1, "D001")])).await;
            assert!(
                matches!(&stranger, Err(CountyError::NotEnrolled(s)) if s == "330999013"),
                "{stranger:?}"
            );
            assert_eq!(db.event_count().await.unwrap(), 0);
        });
    }
}
