//! The station's side of a sync: send this terminal's events the county
//! does not hold yet, then take the county's events for this station.
//!
//! It reads through a `Reader` and saves through a `Writer`, so it runs on
//! its own thread beside the kiosk (or alone, for `jiedai sync`). The
//! acknowledgement is recorded only after the server's signed answer is
//! read, so any failure (a dropped connection, a lost answer, a killed
//! server or kiosk) leaves a position at or behind what the county holds,
//! and the next attempt resends at most what it already has.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

pub use super::backoff::backoff;
pub use super::credentials::load_credentials;
pub use super::error::SyncError;
use super::error::{BadAnswer, unreadable};
pub use super::http::Client;
use super::protocol::{self, Feed, HeldEvents, Upload, UploadReply};
pub use super::tls::trusted_roots;
use crate::domain::event::county_origin;
use crate::i18n::Lang;
use crate::storage::restore::CountyCopy;
use crate::storage::sync_state::{Position, Status, SyncRecord};
use crate::storage::{Outcome, Reader, Request, WriteError, Writer};

/// What a sync reports while it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// `sent` of `total` events are with the county.
    Uploading { sent: u64, total: u64 },
    /// Events taken from the county so far.
    Downloading { received: u64 },
}

/// What a finished sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Events the county acknowledged in this sync.
    pub sent: u64,
    /// Of those, the ones it did not hold before.
    pub stored: u64,
    /// The county's events taken.
    pub received: u64,
    /// Appeals the county's events changed.
    pub touched: Vec<String>,
}

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
        let answer = self.call(
            "GET",
            &format!("{}?terminal={key}&after={after}", protocol::PATH_EVENTS),
            &[],
            stop,
        )?;
        serde_json::from_slice(&answer.body).map_err(|e| unreadable(&e))
    }

    fn feed(&self, after: u64, stop: &AtomicBool) -> Result<Feed, SyncError> {
        let answer = self.call(
            "GET",
            &format!("{}?after={after}", protocol::PATH_FEED),
            &[],
            stop,
        )?;
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

/// One full sync: upload everything not acknowledged, then take the
/// county's events. `stop` ends it between requests.
pub fn sync_once(
    reader: &Reader,
    writer: &dyn SyncWriter,
    client: &Client,
    progress: &dyn Fn(Progress),
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
        progress(Progress::Uploading {
            sent: position.acked.min(total),
            total,
        });
        let out = reader
            .outgoing(
                &origin,
                &position,
                protocol::MAX_BATCH_EVENTS,
                protocol::MAX_BATCH_BYTES,
            )
            .map_err(SyncError::Store)?;
        let Some(first) = out.events.first().map(|e| e.seq) else {
            break;
        };
        let last = out.events.last().map(|e| e.seq).unwrap_or(first);
        // Staff secrets stay here: such an event goes without them, with
        // the chain hash after it attested (protocol, "Redacted events").
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
        let upload = Upload {
            terminal: reader.terminal(),
            generation: reader.generation(),
            prev: out.prev.clone(),
            events,
            attested,
        };
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
        let feed = client.feed(cursor, stop)?;
        if feed.events.is_empty() {
            break;
        }
        taken = feed.last;
        let saved = writer
            .save_feed(feed_origin.clone(), feed.events)
            .map_err(SyncError::Write)?;
        report.received += saved.events.len() as u64;
        report.touched.extend(saved.touched);
        progress(Progress::Downloading {
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
        let page = client.feed(after, &stop)?;
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
    progress: &dyn Fn(Progress),
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
    progress: &dyn Fn(Progress),
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

/// The last sync's outcome and what waits to be sent.
#[derive(Debug, Clone, Default)]
pub struct Overview {
    pub enrolled: bool,
    pub server: String,
    pub unsent: u64,
    pub status: Status,
    pub position: Position,
}

pub fn overview(reader: &Reader) -> Result<Overview, SyncError> {
    let creds = load_credentials(reader.dir())?;
    let state = reader.sync_state().map_err(SyncError::Store)?;
    let position = state.position().map_err(SyncError::Store)?;
    let own = reader.own_seq().map_err(SyncError::Store)?;
    Ok(Overview {
        enrolled: creds.is_some(),
        server: creds.map(|c| c.server).unwrap_or_default(),
        unsent: own.saturating_sub(position.acked),
        status: state.status().map_err(SyncError::Store)?,
        position,
    })
}
