//! The station's side of a sync: send this terminal's events the county
//! does not hold yet, then take the county's events for this station.
//!
//! It reads through a `Reader` and writes (the county's events, its own
//! position and outcome) through a `Writer`, so it runs on its own thread
//! beside the kiosk (or alone, for `jiedai sync`). The
//! acknowledgement is recorded only after the server's signed answer is
//! read, so any failure (a dropped connection, a lost answer, a killed
//! server or kiosk) leaves a position at or behind what the county holds,
//! and the next attempt resends at most what it already has.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use super::backoff::backoff;
use super::credentials::load_credentials;
use super::error::{BadAnswer, SyncError, unreadable};
use super::http::Client;
use super::protocol::{self, Feed, HeldEvents, Upload, UploadReply};
use crate::domain::event::county_origin;
use crate::i18n::Lang;
use crate::jobs::sync::{Overview, Report, SyncProgress};
use crate::storage::restore::CountyCopy;
use crate::storage::sync_state::{Outgoing, Position, SyncRecord};
use crate::storage::{Outcome, Reader, Request, WriteError, Writer};

/// The requests of a sync, their answers read.
impl Client {
    /// Sends one batch; the server's answer.
    fn upload(&self, upload: &Upload, stop: &AtomicBool) -> Result<UploadReply, SyncError> {
        let json = serde_json::to_vec(upload).map_err(|e| unreadable(&e))?;
        let answer = self.call("POST", protocol::PATH_UPLOAD, &protocol::gzip(&json), stop)?;
        serde_json::from_slice(&answer.body).map_err(|e| unreadable(&e))
    }

    /// A page of this station's events of one terminal as the county holds
    /// them (`key`: `protocol::terminal_key`).
    fn held(&self, key: i64, after: u64, stop: &AtomicBool) -> Result<HeldEvents, SyncError> {
        let path = format!("{}?terminal={key}&after={after}", protocol::PATH_EVENTS);
        self.get(&path, stop)
    }

    /// A page of the station's feed for terminal `key` (`protocol::terminal_key`).
    fn feed(&self, after: u64, key: i64, stop: &AtomicBool) -> Result<Feed, SyncError> {
        self.get(
            &format!("{}?after={after}&terminal={key}", protocol::PATH_FEED),
            stop,
        )
    }

    /// A GET of `path`, its JSON answer read.
    fn get<T: serde::de::DeserializeOwned>(&self, path: &str, stop: &AtomicBool) -> Result<T, SyncError> {
        let answer = self.call("GET", path, &[], stop)?;
        serde_json::from_slice(&answer.body).map_err(|e| unreadable(&e))
    }
}

/// What writes for a sync at the station: the county's events, and the
/// sync's position and outcome (`SyncRecord`). The store's `Writer`, or
/// something that opens one only when there is something to save (the
/// `jiedai sync` command, which otherwise only reads).
pub trait SyncWriter {
    fn save_feed(&self, origin: String, events: Vec<Box<serde_json::value::RawValue>>) -> Outcome;

    /// Records `record` (durable when this returns).
    fn record(&self, record: SyncRecord) -> Result<(), WriteError>;
}

impl SyncWriter for Writer {
    fn save_feed(&self, origin: String, events: Vec<Box<serde_json::value::RawValue>>) -> Outcome {
        self.save(Request::ApplyFeed { origin, events })
    }

    fn record(&self, record: SyncRecord) -> Result<(), WriteError> {
        self.save(Request::RecordSync(record)).map(|_| ())
    }
}

/// Records the position the county acknowledged.
fn record_position(writer: &dyn SyncWriter, position: &Position) -> Result<(), SyncError> {
    writer
        .record(SyncRecord::Position(position.clone()))
        .map_err(|e| match e {
            WriteError::Store(e) => SyncError::Store(e),
            e => SyncError::Write(e),
        })
}

/// The next events to send after `position`: at most the protocol's
/// number and bytes of them (at least one when there is one).
fn outgoing_page(reader: &Reader, origin: &str, position: &Position) -> Result<Outgoing, SyncError> {
    reader
        .outgoing(
            origin,
            position,
            protocol::MAX_BATCH_EVENTS,
            protocol::MAX_BATCH_BYTES,
        )
        .map_err(SyncError::Store)
}

/// The upload of a page. Staff secrets stay here: such an event goes
/// without them, with the chain hash after it attested (protocol,
/// "Redacted events").
fn upload_of(terminal: u8, generation: u32, out: &Outgoing) -> Upload {
    let mut attested = Vec::new();
    let events = out
        .events
        .iter()
        .map(|e| match protocol::for_county(&e.raw) {
            Some(redacted) => {
                attested.push(protocol::Attested {
                    seq: e.seq,
                    hash: e.hash.clone(),
                });
                redacted
            }
            None => e.raw.clone(),
        })
        .collect();
    Upload {
        terminal,
        generation,
        prev: out.prev.clone(),
        events,
        attested,
    }
}

/// One full sync: upload everything not acknowledged, then take the
/// county's events. `stop` ends it between requests.
pub fn sync_once(
    reader: &Reader,
    writer: &dyn SyncWriter,
    client: &Client,
    progress: &dyn Fn(SyncProgress),
    stop: &AtomicBool,
) -> Result<Report, SyncError> {
    let station = reader
        .station()
        .map_err(SyncError::Store)?
        .map(|s| s.code)
        .unwrap_or_default();
    if station != client.station() {
        return Err(SyncError::OtherStation {
            enrolled: client.station().to_string(),
            station,
        });
    }
    let origin = crate::domain::event::terminal_origin(&station, reader.terminal(), reader.generation());
    let state = reader.sync_state().map_err(SyncError::Store)?;
    let mut position = state.position().map_err(SyncError::Store)?;
    let mut report = Report::default();
    let start = position.acked;
    let mut rewound = false;
    loop {
        if stop.load(Ordering::Relaxed) {
            return Err(SyncError::Stopped);
        }
        let total = reader.own_seq().map_err(SyncError::Store)?;
        progress(SyncProgress::Uploading {
            sent: position.acked.min(total),
            total,
        });
        // Nothing of this terminal's own left to send: no need to scan the
        // journal past the last acknowledged event (the feed the terminal
        // took since lies there).
        if position.acked >= total {
            break;
        }
        let out = outgoing_page(reader, &origin, &position)?;
        let Some(first) = out.events.first().map(|e| e.seq) else {
            break;
        };
        let last = out.events.last().map(|e| e.seq).unwrap_or(first);
        let upload = upload_of(reader.terminal(), reader.generation(), &out);
        let reply = client.upload(&upload, stop)?;
        if let Some(refusal) = reply.refused {
            // What the server holds before the refusal still counts.
            if reply.acked >= position.acked && reply.acked <= last {
                position = out.position_at(reply.acked, &position);
                record_position(writer, &position)?;
            }
            return Err(SyncError::Refused(refusal));
        }
        if reply.acked > last {
            log::warn!("the server acknowledged event {} of {last}", reply.acked);
            return Err(SyncError::BadReply(BadAnswer::Inconsistent));
        }
        let before = position.acked;
        position = out.position_at(reply.acked, &position);
        record_position(writer, &position)?;
        report.stored += reply.stored;
        if position.acked >= first {
            continue;
        }
        if reply.acked < before && !rewound {
            // The server holds less than it acknowledged before (restored
            // from a backup?): send from where it is, once.
            rewound = true;
            continue;
        }
        log::warn!(
            "the server holds event {} and took none of {first}-{last}",
            reply.acked
        );
        return Err(SyncError::BadReply(BadAnswer::Inconsistent));
    }
    report.sent = position.acked.saturating_sub(start);
    let feed_origin = county_origin(&station);
    let own_key = protocol::terminal_key(reader.terminal(), reader.generation());
    // The cursor as saved so far (the reader may be a copy that does not
    // see what this sync saves).
    let mut taken = 0;
    loop {
        if stop.load(Ordering::Relaxed) {
            return Err(SyncError::Stopped);
        }
        let cursor = reader
            .origin_seq(&feed_origin)
            .map_err(SyncError::Store)?
            .max(taken);
        let feed = client.feed(cursor, own_key, stop)?;
        if feed.events.is_empty() {
            break;
        }
        taken = feed.last;
        let saved = writer
            .save_feed(feed_origin.clone(), feed.events)
            .map_err(SyncError::Write)?;
        report.received += saved.events.len() as u64;
        report.touched.extend(saved.touched);
        progress(SyncProgress::Downloading {
            received: report.received,
        });
        if !feed.more || saved.events.is_empty() {
            break;
        }
    }
    report.touched.sort();
    report.touched.dedup();
    Ok(report)
}

/// The county's copy of this terminal's events after `own_after` (of its
/// origin generation `generation`) and of the station's feed after
/// `feed_after`, every page of both.
pub fn county_copy(
    client: &Client,
    terminal: u8,
    generation: u32,
    own_after: u64,
    feed_after: u64,
) -> Result<CountyCopy, SyncError> {
    let mut copy = CountyCopy {
        own_after,
        feed_after,
        ..CountyCopy::default()
    };
    // A recovery is a command of its own: nothing stops it half-way.
    let stop = AtomicBool::new(false);
    let key = protocol::terminal_key(terminal, generation);
    let mut after = own_after;
    loop {
        let page = client.held(key, after, &stop)?;
        if page.events.len() != page.hashes.len() || (page.more && page.last <= after) {
            log::warn!("sync: a page of held events that does not add up");
            return Err(SyncError::BadReply(BadAnswer::Inconsistent));
        }
        copy.own.extend(page.events);
        copy.hashes.extend(page.hashes);
        if !page.more {
            break;
        }
        after = page.last;
    }
    let mut after = feed_after;
    loop {
        let page = client.feed(after, key, &stop)?;
        let more = page.more && page.last > after;
        copy.feed.extend(page.events);
        if !more {
            break;
        }
        after = page.last;
    }
    Ok(copy)
}

/// `sync_once`, with its outcome recorded for the Sync screen.
pub fn sync_and_record(
    reader: &Reader,
    writer: &dyn SyncWriter,
    client: &Client,
    lang: Lang,
    progress: &dyn Fn(SyncProgress),
    stop: &AtomicBool,
) -> Result<Report, SyncError> {
    let zone = reader.zone().unwrap_or_default();
    let now = zone.now();
    let result = sync_once(reader, writer, client, progress, stop);
    if let Ok(state) = reader.sync_state() {
        let mut status = state.status().unwrap_or_default();
        status.last_attempt = Some(now);
        match &result {
            Ok(report) => {
                status.succeeded(zone.now(), report.sent, report.received);
            }
            Err(SyncError::Stopped) => {}
            Err(e) => status.last_error = Some(e.message(lang)),
        }
        if let Err(e) = writer.record(SyncRecord::Status(status)) {
            log::warn!("could not record the sync's outcome: {}", e.message(Lang::En));
        }
    }
    result
}

/// Tries `sync_and_record` until it finishes, a failure that will not go
/// away by itself, `attempts` tries, or `stop`.
#[allow(clippy::too_many_arguments)]
pub fn sync_with_retries(
    reader: &Reader,
    writer: &dyn SyncWriter,
    client: &Client,
    lang: Lang,
    progress: &dyn Fn(SyncProgress),
    stop: &AtomicBool,
    attempts: u32,
    base: Duration,
    on_retry: &dyn Fn(u32, &SyncError, Duration),
) -> Result<Report, SyncError> {
    let mut attempt = 1;
    loop {
        match sync_and_record(reader, writer, client, lang, progress, stop) {
            Err(e) if e.transient() && attempt < attempts && !stop.load(Ordering::Relaxed) => {
                let wait = backoff(attempt, base, Duration::from_secs(600));
                on_retry(attempt, &e, wait);
                let until = std::time::Instant::now() + wait;
                while std::time::Instant::now() < until {
                    if stop.load(Ordering::Relaxed) {
                        return Err(SyncError::Stopped);
                    }
                    std::thread::sleep(Duration::from_millis(50).min(wait));
                }
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// The last sync's outcome and what waits to be sent (read on the
/// sync's thread, never the kiosk's: it reads the credentials).
pub fn overview(reader: &Reader) -> Result<Overview, SyncError> {
    let creds = load_credentials(reader.dir())?;
    let state = reader.sync_state().map_err(SyncError::Store)?;
    let position = state.position().map_err(SyncError::Store)?;
    let own = reader.own_seq().map_err(SyncError::Store)?;
    let others = reader.terminals_held().map_err(SyncError::Store)?;
    Ok(Overview {
        others,
        enrolled: creds.is_some(),
        server: creds.map(|c| c.server).unwrap_or_default(),
        unsent: own.saturating_sub(position.acked),
        status: state.status().map_err(SyncError::Store)?,
        position,
    })
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use serde_json::value::RawValue;

    use super::*;
    use crate::domain::event::terminal_origin;
    use crate::domain::{Deputy, EventBody, Level};
    use crate::storage::Store;
    use crate::storage::sync_state::{Outbound, SyncStatus, position_path};

    fn deputy(i: usize, name: String) -> EventBody {
        EventBody::DeputyUpserted {
            deputy: Deputy {
                id: format!("d{i}"),
                name,
                level: Level::ALL[0],
                phone: String::new(),
                specialties: Vec::new(),
                duty_days: Vec::new(),
            },
        }
    }

    fn origin(reader: &Reader) -> String {
        terminal_origin("330999012", reader.terminal(), reader.generation())
    }

    #[test]
    fn a_page_holds_at_most_the_protocols_number_of_events() {
        let tmp = tempfile::tempdir().unwrap();
        let mut store = Store::create(&tmp.path().join("s"), "330999012", 1).unwrap();
        let n = protocol::MAX_BATCH_EVENTS + 1;
        store
            .commit("s1", (0..n).map(|i| deputy(i, format!("代表{i}"))).collect())
            .unwrap();
        let reader = store.reader();
        let origin = origin(&reader);
        let first = outgoing_page(&reader, &origin, &Position::default()).unwrap();
        assert_eq!(first.events.len(), protocol::MAX_BATCH_EVENTS);
        assert_eq!(first.events[0].seq, 1);
        assert_eq!(first.prev, crate::domain::event::CHAIN_GENESIS);
        let acked = first.position_at(protocol::MAX_BATCH_EVENTS as u64, &Position::default());
        let rest = outgoing_page(&reader, &origin, &acked).unwrap();
        assert_eq!(rest.events.iter().map(|e| e.seq).collect::<Vec<_>>(), [n as u64]);
        assert_eq!(rest.prev, first.events.last().unwrap().hash);
        let done = rest.position_at(n as u64, &acked);
        assert!(outgoing_page(&reader, &origin, &done).unwrap().events.is_empty());
    }

    #[test]
    fn a_page_holds_at_most_the_protocols_bytes_and_always_one_event() {
        let tmp = tempfile::tempdir().unwrap();
        let mut store = Store::create(&tmp.path().join("s"), "330999012", 1).unwrap();
        // Each event about 0.4 MiB: two fit in a page, not three.
        let big = "代".repeat(protocol::MAX_BATCH_BYTES / 3 / 3 + 1000);
        store
            .commit("s1", (0..3).map(|i| deputy(i, big.clone())).collect())
            .unwrap();
        let reader = store.reader();
        let origin = origin(&reader);
        let page = outgoing_page(&reader, &origin, &Position::default()).unwrap();
        assert_eq!(page.events.len(), 2);
        assert!(page.bytes <= protocol::MAX_BATCH_BYTES);
        let upload = upload_of(reader.terminal(), reader.generation(), &page);
        let json = serde_json::to_vec(&upload).unwrap();
        assert!(json.len() <= protocol::MAX_BATCH_BYTES + 4096, "{}", json.len());
        // One event larger than a page still goes, alone.
        let huge = "代".repeat(protocol::MAX_BATCH_BYTES / 3 + 10);
        store.commit("s1", vec![deputy(9, huge)]).unwrap();
        let after = page.position_at(3, &Position::default());
        let alone = outgoing_page(&reader, &origin, &after).unwrap();
        assert_eq!(alone.events.len(), 1);
        assert!(alone.bytes > protocol::MAX_BATCH_BYTES);
    }

    #[test]
    fn an_upload_leaves_staff_secrets_here_and_attests_their_chain() {
        let raw = |text: String| RawValue::from_string(text).unwrap();
        let secret = raw(r#"{"id":{"origin":"330999012-1","seq":4},"at":"2026-01-10T09:00:00+08:00","actor":"init","body":{"type":"station_configured","station":{"code":"330999012","name":"柳岸","kind":"station","county":"青禾县","reception_days":[10],"staff":[{"id":"S1","name":"甲","pin":"2468"}]}}}"#.into());
        let plain = raw(r#"{"id":{"origin":"330999012-1","seq":5},"at":"2026-01-10T09:00:00+08:00","actor":"S1","body":{"type":"duty_checked_in","deputy":"D1","day":"2026-01-10"}}"#.into());
        let out = Outgoing {
            prev: "a".repeat(64),
            events: vec![
                Outbound {
                    seq: 4,
                    raw: secret.clone(),
                    hash: "b".repeat(64),
                    record: 100,
                },
                Outbound {
                    seq: 5,
                    raw: plain.clone(),
                    hash: "c".repeat(64),
                    record: 200,
                },
            ],
            bytes: secret.get().len() + plain.get().len(),
        };
        let upload = upload_of(2, 1, &out);
        assert_eq!((upload.terminal, upload.generation), (2, 1));
        assert_eq!(upload.prev, "a".repeat(64));
        assert_eq!(upload.events.len(), 2);
        assert!(
            !upload.events[0].get().contains("2468"),
            "{}",
            upload.events[0].get()
        );
        assert!(upload.events[0].get().contains(r#""name":"甲""#));
        assert_eq!(upload.events[1].get(), plain.get());
        assert_eq!(upload.attested.len(), 1);
        assert_eq!(upload.attested[0].seq, 4);
        assert_eq!(upload.attested[0].hash, "b".repeat(64));
    }

    #[test]
    fn the_sync_position_is_written_by_the_writer_thread() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("s");
        let store = Store::create(&dir, "330999012", 1).unwrap();
        let reader = store.reader();
        let path = position_path(&dir);
        // Before each save: which thread saves, and whether the file is there yet.
        let seen = Arc::new(Mutex::new(Vec::new()));
        let hook = {
            let (seen, path) = (seen.clone(), path.clone());
            Box::new(move || {
                let thread = std::thread::current().name().map(str::to_string);
                seen.lock().unwrap().push((thread, path.exists()));
            })
        };
        let (writer, thread) = Writer::spawn_with(store, Some(hook)).unwrap();
        let position = Position {
            acked: 7,
            hash: "ab".repeat(32),
            offset: 64,
        };
        record_position(&writer, &position).unwrap();
        assert_eq!(*seen.lock().unwrap(), [(Some("writer".to_string()), false)]);
        assert_eq!(reader.sync_state().unwrap().position().unwrap(), position);
        let status = SyncStatus {
            last_error: Some("no answer in time".into()),
            ..SyncStatus::default()
        };
        writer.record(SyncRecord::Status(status.clone())).unwrap();
        assert_eq!(seen.lock().unwrap().len(), 2);
        let state = reader.sync_state().unwrap();
        assert_eq!(
            (state.position().unwrap(), state.status().unwrap()),
            (position.clone(), status)
        );
        drop((state, reader, writer));
        thread.finish();
        let store = Store::open(&dir).unwrap();
        assert_eq!(store.reader().sync_state().unwrap().position().unwrap(), position);
    }
}
