//! The sync routes' handlers: a terminal's upload, the link probe, the
//! county's feed for a station and a terminal's own events given back.
//! Each is reached through `edge::sync_guard` and answers through
//! `answer::reply`.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, RawQuery, Request, State};
use axum::response::Response;
use http_body_util::BodyExt;
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

use super::Shared;
use super::answer::{Refuse, bad_request, header_text, internal, reply, too_large};
use super::auth::{Enrolled, SignedStation, verify};
use crate::county::db::Db;
use crate::county::db::FeedRow;
use crate::county::{CountyError, ingest};
use crate::sync::protocol::{self, Feed, HeldEvents, Upload};

pub(super) async fn upload(State(server): State<Shared>, request: SignedStation) -> Response {
    let taken = take_upload(&server, &request).await;
    reply(&server, &request.signature, taken)
}

async fn take_upload(server: &Shared, request: &SignedStation) -> Result<Vec<u8>, Refuse> {
    let station = &request.station;
    let json = if header_text(&request.headers, "content-encoding") == Some("gzip") {
        protocol::gunzip(&request.body, protocol::MAX_BODY_BYTES).map_err(|e| bad_request(e.to_string()))?
    } else {
        request.body.to_vec()
    };
    let upload: Upload = serde_json::from_slice(&json).map_err(|e| bad_request(e.to_string()))?;
    if !(1..=9).contains(&upload.terminal) {
        return Err(bad_request(format!("terminal {}", upload.terminal)));
    }
    if upload.events.len() > protocol::MAX_BATCH_EVENTS {
        return Err(bad_request(format!(
            "{} events in one batch (at most {})",
            upload.events.len(),
            protocol::MAX_BATCH_EVENTS
        )));
    }
    let reply = ingest::ingest(&server.db, station, &upload).await.map_err(|e| {
        log::error!(
            "station {station} terminal {}: upload failed: {e}",
            upload.terminal
        );
        internal()
    })?;
    log::info!(
        "station {station} terminal {}: acked {}, stored {}",
        upload.terminal,
        reply.acked,
        reply.stored
    );
    serde_json::to_vec(&reply).map_err(|_| internal())
}

/// `POST /v1/probe` (with `--allow-probe`): a signed body hashed and
/// inflated as it comes and never held; the answer is its size (for
/// measuring a station's link).
pub(super) async fn probe(State(server): State<Shared>, who: Enrolled, request: Request) -> Response {
    let taken = async {
        let (parts, mut body) = request.into_parts();
        let gzipped = header_text(&parts.headers, "content-encoding") == Some("gzip");
        let mut hash = Sha256::new();
        let mut bytes = 0usize;
        let mut inflater = flate2::write::GzDecoder::new(Counted(0));
        let mut inflating = Ok(());
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| bad_request(format!("body: {e}")))?;
            let Ok(data) = frame.into_data() else {
                continue;
            };
            bytes += data.len();
            if bytes > protocol::MAX_PROBE_BYTES {
                return Err(too_large());
            }
            hash.update(&data);
            if gzipped && inflating.is_ok() {
                inflating = std::io::Write::write_all(&mut inflater, &data);
            }
        }
        verify(&parts, &who.station, &who.enrolled, &hex::encode(hash.finalize()))?;
        let inflated = if gzipped {
            inflating
                .and_then(|()| inflater.finish())
                .map_err(|e| bad_request(e.to_string()))?
                .0
        } else {
            bytes
        };
        serde_json::to_vec(&serde_json::json!({ "bytes": bytes, "inflated": inflated }))
            .map_err(|_| internal())
    }
    .await;
    reply(&server, &who.signature, taken)
}

/// Counts what is written to it, up to `MAX_PROBE_BYTES`, and keeps none.
struct Counted(usize);

impl std::io::Write for Counted {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        if self.0 > protocol::MAX_PROBE_BYTES {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("body inflates past {} bytes", protocol::MAX_PROBE_BYTES),
            ));
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// `GET /v1/feed?after=N&terminal=K`'s query.
#[derive(serde::Deserialize)]
pub(super) struct After {
    #[serde(default)]
    after: u64,
    #[serde(default)]
    terminal: Option<u64>,
}

/// `GET /v1/feed?after=N`: the county's events for the station after N.
pub(super) async fn feed(
    State(server): State<Shared>,
    query: Result<Query<After>, QueryRejection>,
    RawQuery(raw): RawQuery,
    request: SignedStation,
) -> Response {
    let read = async |station: &str, After { after, terminal }| {
        let asking = match terminal {
            None => None,
            Some(k) if protocol::from_terminal_key(k as i64).is_some() => Some(k as i64),
            Some(k) => return Err(bad_request(format!("terminal {k}"))),
        };
        feed_page(&server.db, station, after, asking).await.map_err(|e| {
            log::error!("station {station}: reading the feed failed: {e}");
            internal()
        })
    };
    paged(&server, query, raw, &request, "after", read).await
}

/// A signed GET's answer: the page `read` makes of its query, or the
/// refusal of a query that does not read (naming its `params`).
async fn paged<Q, P: serde::Serialize>(
    server: &Shared,
    query: Result<Query<Q>, QueryRejection>,
    raw: Option<String>,
    request: &SignedStation,
    params: &str,
    read: impl AsyncFnOnce(&str, Q) -> Result<P, Refuse>,
) -> Response {
    let taken = async {
        let Ok(Query(query)) = query else {
            return Err(bad_request(format!("{params} in {}", raw.unwrap_or_default())));
        };
        let page = read(&request.station, query).await?;
        serde_json::to_vec(&page).map_err(|_| internal())
    }
    .await;
    reply(server, &request.signature, taken)
}

/// The station's feed after `after`, for the terminal `asking` (county
/// key; its own events come as marks): at most `MAX_BATCH_EVENTS` events
/// and, past the first, no more than about `MAX_BATCH_BYTES`.
pub async fn feed_page(db: &Db, station: &str, after: u64, asking: Option<i64>) -> Result<Feed, CountyError> {
    let rows = db.feed(station, after, protocol::MAX_BATCH_EVENTS + 1).await?;
    let mut more = rows.len() > protocol::MAX_BATCH_EVENTS;
    let mut events = Vec::new();
    let mut last = after;
    let mut bytes = 0;
    for row in rows.into_iter().take(protocol::MAX_BATCH_EVENTS) {
        let seq = row.seq();
        let event = match row {
            FeedRow::County { body, .. } => {
                RawValue::from_string(body).map_err(|source| CountyError::Stored {
                    what: format!("feed {seq}"),
                    source,
                })?
            }
            FeedRow::Relayed {
                terminal,
                appeal,
                at,
                event,
                ..
            } => {
                let raw = RawValue::from_string(event).map_err(|source| CountyError::Stored {
                    what: format!("feed {seq} (terminal {terminal})"),
                    source,
                })?;
                let whole = asking != Some(terminal);
                protocol::relayed(station, seq, &at, appeal.as_deref(), &raw, whole).ok_or_else(|| {
                    CountyError::Stored {
                        what: format!("feed {seq} (terminal {terminal})"),
                        source: serde::de::Error::custom("the event names no id"),
                    }
                })?
            }
        };
        if !events.is_empty() && bytes + event.get().len() > protocol::MAX_BATCH_BYTES {
            more = true;
            break;
        }
        bytes += event.get().len();
        events.push(event);
        last = seq;
    }
    Ok(Feed { events, last, more })
}

/// `GET /v1/events?terminal=K&after=N`'s query.
#[derive(serde::Deserialize)]
pub(super) struct TerminalAfter {
    #[serde(default)]
    terminal: u64,
    #[serde(default)]
    after: u64,
}

/// `GET /v1/events?terminal=K&after=N`: the station's own events of one
/// terminal, as held, for a terminal rebuilding its journal.
pub(super) async fn events(
    State(server): State<Shared>,
    query: Result<Query<TerminalAfter>, QueryRejection>,
    RawQuery(raw): RawQuery,
    request: SignedStation,
) -> Response {
    let read = async |station: &str, TerminalAfter { terminal, after }| {
        if protocol::from_terminal_key(terminal as i64).is_none() {
            return Err(bad_request(format!("terminal {terminal}")));
        }
        held_page(&server.db, station, terminal as i64, after)
            .await
            .map_err(|e| {
                log::error!("station {station}: reading terminal {terminal}'s events failed: {e}");
                internal()
            })
    };
    paged(&server, query, raw, &request, "terminal or after", read).await
}

/// A terminal's held events after `after`: at most `MAX_BATCH_EVENTS`.
pub async fn held_page(db: &Db, station: &str, terminal: i64, after: u64) -> Result<HeldEvents, CountyError> {
    let rows = db
        .held_events(station, terminal, after, protocol::MAX_BATCH_EVENTS + 1)
        .await?;
    let more = rows.len() > protocol::MAX_BATCH_EVENTS;
    let mut page = HeldEvents {
        events: Vec::new(),
        hashes: Vec::new(),
        last: after,
        more,
    };
    for (seq, hash, body) in rows.into_iter().take(protocol::MAX_BATCH_EVENTS) {
        page.events
            .push(RawValue::from_string(body).map_err(|source| CountyError::Stored {
                what: format!("event {seq}"),
                source,
            })?);
        page.hashes.push(hash);
        page.last = seq;
    }
    Ok(page)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::county::db::testing::{enrolled, runtime};

    #[test]
    fn the_feed_comes_in_pages() {
        let dir = tempfile::tempdir().unwrap();
        runtime().block_on(async {
            let db = enrolled(dir.path(), "330999012").await;
            let total = protocol::MAX_BATCH_EVENTS as u64 + 1;
            let mut tx = db.pool.begin().await.unwrap();
            for seq in 1..=total {
                sqlx::query(
                    "INSERT INTO feed (station, seq, appeal, body, created_at) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind("330999012")
                .bind(seq as i64)
                .bind(None::<String>)
                .bind(format!("{{\"n\":{seq}}}"))
                .bind("2026-11-30T10:00:00+08:00")
                .execute(&mut *tx)
                .await
                .unwrap();
            }
            tx.commit().await.unwrap();
            let first = feed_page(&db, "330999012", 0, None).await.unwrap();
            assert_eq!((first.events.len(), first.last, first.more), (500, 500, true));
            assert_eq!(first.events[0].get(), "{\"n\":1}");
            let second = feed_page(&db, "330999012", first.last, None).await.unwrap();
            assert_eq!((second.events.len(), second.last, second.more), (1, total, false));
            let none = feed_page(&db, "330999012", total, None).await.unwrap();
            assert_eq!((none.events.len(), none.last, none.more), (0, total, false));
            assert!(
                feed_page(&db, "330999013", 0, None)
                    .await
                    .unwrap()
                    .events
                    .is_empty()
            );
        });
    }

    #[test]
    fn a_terminals_events_come_back_in_pages_as_held() {
        let dir = tempfile::tempdir().unwrap();
        runtime().block_on(async {
            let db = enrolled(dir.path(), "330999012").await;
            let total = protocol::MAX_BATCH_EVENTS as u64 + 1;
            let mut tx = db.pool.begin().await.unwrap();
            for (terminal, seqs) in [(1i64, total), (11, 2)] {
                for seq in 1..=seqs {
                    sqlx::query(
                        "INSERT INTO events (station, terminal, seq, hash, kind, appeal, body, received_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    )
                    .bind("330999012")
                    .bind(terminal)
                    .bind(seq as i64)
                    .bind(format!("h{terminal}-{seq}"))
                    .bind("x")
                    .bind(None::<String>)
                    .bind(format!("{{\"t\":{terminal},\"n\":{seq}}}"))
                    .bind("2026-11-30T10:00:00+08:00")
                    .execute(&mut *tx)
                    .await
                    .unwrap();
                }
            }
            tx.commit().await.unwrap();
            let first = held_page(&db, "330999012", 1, 0).await.unwrap();
            assert_eq!((first.events.len(), first.last, first.more), (500, 500, true));
            assert_eq!(first.events[0].get(), "{\"t\":1,\"n\":1}");
            assert_eq!(first.hashes[499], "h1-500");
            let second = held_page(&db, "330999012", 1, first.last).await.unwrap();
            assert_eq!((second.events.len(), second.last, second.more), (1, total, false));
            // A later origin of the terminal is kept apart.
            let later = held_page(&db, "330999012", protocol::terminal_key(1, 2), 0)
                .await
                .unwrap();
            assert_eq!((later.events.len(), later.last), (2, 2));
            assert!(held_page(&db, "330999013", 1, 0).await.unwrap().events.is_empty());
        });
    }
}
