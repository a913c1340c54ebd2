//! The sync protocol between a station's terminals and the county server
//! (`jiedai-sync/1`). Both sides use this module: the station's sync
//! client (`sync::client`) and the county server (`county::server`).
//!
//! ## Identity
//!
//! The county enrolls a station (`jiedai county enroll`) and writes a
//! credentials file: the station's Ed25519 signing key, the server's URL
//! and the server's public key. The station loads it (`jiedai enroll`).
//!
//! ## Requests
//!
//! Every request carries three headers:
//!
//! - `x-jiedai-station`: the station code;
//! - `x-jiedai-time`: Unix seconds when it was made;
//! - `x-jiedai-signature`: base64 Ed25519 signature by the station's key
//!   over `signing_text(method, path?query, station, time, body)`, which
//!   binds the method, the path with its query, the station, the time and
//!   the SHA-256 of the (compressed) body.
//!
//! The server refuses (401, nothing stored) a request from a station it
//! does not know, with a signature that does not verify, or whose time is
//! more than `MAX_SKEW_SECS` from its own clock. A request replayed within
//! that window does no harm: uploads are idempotent and feeds read-only.
//! Bodies are gzip-compressed (`content-encoding: gzip`) both ways.
//!
//! Every answer is signed by the server's key over `reply_text(request
//! signature, status, body)`, so a station knows the answer came from its
//! county and was meant for this request.
//!
//! ## Upload: `POST /v1/upload`
//!
//! Body `Upload`: one terminal's events in sequence order, at most
//! `MAX_BATCH_EVENTS` events or `MAX_BATCH_BYTES` bytes of JSON, each
//! event exactly as its journal holds it, with `prev`, the chain hash of
//! the terminal's events before the first one. The chain is
//! `h(n) = SHA-256(h(n-1) ‖ bytes of event n)` from `h(0) = GENESIS`, so
//! the server can tell a retry (same hash under the same sequence: a
//! no-op), a gap (the first sequence is not one past what it holds) and a
//! rewritten history (another hash under a sequence it holds, or a `prev`
//! that is not its hash: refused, logged, reported, never overwritten).
//!
//! ### Redacted events: staff secrets stay at the station
//!
//! A `StationConfigured` event that holds staff credentials (PIN hashes,
//! or PINs in the clear from an old journal) is not sent as the journal
//! holds it: the station sends `for_county(event)`, the same event without
//! them (`domain::privacy::without_staff_secrets`, serialised as the
//! journal serialises events), and lists it in `attested` with the chain
//! hash after it, `h(n)` over the journal's own bytes. The request's
//! signature covers the attestation. For that event only, the county
//! takes the attested hash instead of computing one (it cannot: it never
//! sees the bytes hashed), refuses it (`BadEvent`) when the event is of
//! another type or still holds a secret, and keeps the redacted bytes. A
//! retry or a conflict is still told by the hash, so the chain keeps its
//! word across the redacted event; the events after it chain on from the
//! attested hash as from any other.
//!
//! An older terminal sends such an event whole. The county then computes
//! the hash over the bytes it received, as for any event, and stores
//! `for_county` of them. A database written before this rule has what it
//! held purged when it is opened (`county::db`). Either way the county's
//! copy of a `StationConfigured` event may differ from the journal's
//! bytes: compare it with `for_county(journal bytes)`, and check it with
//! the hash held beside it, never by hashing it.
//!
//! The server stores each event under (station, terminal, sequence), a
//! primary key in its database, commits durably, and answers `UploadReply`
//! with the highest sequence it holds contiguously from 1. The station
//! records that acknowledgement only after reading the answer, so a retry
//! after any failure resends at most what the server already holds.
//!
//! ## Feed: `GET /v1/feed?after=N&terminal=K`
//!
//! The station's feed (origin `county/<station>`, sequence counted per
//! station), after the terminal's cursor `N`, at most `MAX_BATCH_EVENTS`
//! and about `MAX_BATCH_BYTES` at a time: `Feed`. It holds the county's
//! steps on the station's appeals and, in the order the county took them,
//! every event of the station's terminals but their configuration, each
//! wrapped as `relayed` (`domain::order`): whole for the other terminals'
//! events, and only as a mark (origin, sequence, appeal) for the events of
//! terminal `K` itself (`terminal_key`; a request without `K` gets every
//! event whole). The terminal applies a page and the new cursor in one
//! journal record; the cursor is the last sequence of that origin it
//! holds.
//!
//! ## Events held: `GET /v1/events?terminal=K&after=N`
//!
//! A terminal's own events as the county holds them, after sequence `N`,
//! at most `MAX_BATCH_EVENTS` at a time (`HeldEvents`): each exactly as it
//! was uploaded, with the chain hash after it. `K` is `terminal_key` (the
//! terminal number for its first origin). A terminal that lost its journal
//! writes these records back byte for byte, so its chain goes on where the
//! county's copy ends.
//!
//! ## Probe: `POST /v1/probe`
//!
//! Signed like the others; the server reads the (gzip) body as it comes,
//! hashing and inflating it without keeping it, and answers its size. It
//! measures a station's link, and is the floor the sync benchmark compares
//! an upload with. The server answers it only when started with
//! `county serve --allow-probe`; otherwise 404, before reading the body.

use std::io::{Read, Write};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};

pub const NAME: &str = "jiedai-sync/1";
pub const MAX_BATCH_EVENTS: usize = 500;
pub const MAX_BATCH_BYTES: usize = 1 << 20;
/// A request older or newer than this (by the server's clock) is refused.
pub const MAX_SKEW_SECS: i64 = 300;
/// The most a compressed body may inflate to (a batch and its envelope).
pub const MAX_BODY_BYTES: usize = 4 * MAX_BATCH_BYTES;
/// The most a probe may carry, compressed or not.
pub const MAX_PROBE_BYTES: usize = 512 << 20;

pub const H_STATION: &str = "x-jiedai-station";
pub const H_TIME: &str = "x-jiedai-time";
pub const H_SIGNATURE: &str = "x-jiedai-signature";

pub const PATH_UPLOAD: &str = "/v1/upload";
pub const PATH_FEED: &str = "/v1/feed";
pub const PATH_PROBE: &str = "/v1/probe";
pub const PATH_EVENTS: &str = "/v1/events";

/// The chain hash before a terminal's first event (hex).
pub use crate::domain::event::{CHAIN_GENESIS as GENESIS, chain_next};

/// One batch of one terminal's events.
#[derive(Debug, Serialize, Deserialize)]
pub struct Upload {
    pub terminal: u8,
    /// The terminal's origin generation (0 or 1: the first; see
    /// `domain::event::terminal_origin`).
    #[serde(default, skip_serializing_if = "is_first")]
    pub generation: u32,
    /// Chain hash before the first event (hex).
    pub prev: String,
    pub events: Vec<Box<RawValue>>,
    /// The chain hash after each event sent redacted (see "Redacted
    /// events"), in the events' order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attested: Vec<Attested>,
}

/// The station's word for the chain hash after an event it sent redacted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attested {
    pub seq: u64,
    /// `h(seq)`, over the event's bytes as the journal holds them (hex).
    pub hash: String,
}

/// The event as it may leave the station: without staff secrets when it
/// holds any (see "Redacted events"); None when it may go as it is (it
/// holds none, or it is not an event this version reads).
pub fn for_county(raw: &RawValue) -> Option<Box<RawValue>> {
    // Only a station's configuration may hold secrets: the others are not
    // parsed at all.
    if !raw.get().contains("\"station_configured\"") {
        return None;
    }
    let event: crate::domain::Event = serde_json::from_str(raw.get()).ok()?;
    redacted(&event)
}

/// `event` as `for_county` gives it, when it holds staff secrets.
pub fn redacted(event: &crate::domain::Event) -> Option<Box<RawValue>> {
    let redacted = crate::domain::privacy::without_staff_secrets(event)?;
    serde_json::value::to_raw_value(&redacted).ok()
}

/// Whether `hash` has the form of a chain hash (64 hex digits).
pub fn is_chain_hash(hash: &str) -> bool {
    hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit())
}

fn is_first(generation: &u32) -> bool {
    *generation <= 1
}

/// Where the county keeps a terminal's events of one origin generation:
/// the terminal number for the first, `10 × (generation − 1) + terminal`
/// after it (terminal numbers are 1–9), so that a later origin of the same
/// terminal is numbered from 1 beside the first.
pub fn terminal_key(terminal: u8, generation: u32) -> i64 {
    i64::from(terminal) + 10 * i64::from(generation.max(1) - 1)
}

/// The terminal and generation a county key stands for.
pub fn from_terminal_key(key: i64) -> Option<(u8, u32)> {
    if key < 1 {
        return None;
    }
    let terminal = (key % 10) as u8;
    (terminal != 0).then(|| (terminal, (key / 10) as u32 + 1))
}

/// The answer to `GET /v1/events?terminal=K&after=N`: a terminal's own
/// events as the county holds them (their bytes exactly as uploaded),
/// after sequence N, with the chain hash after each.
#[derive(Debug, Serialize, Deserialize)]
pub struct HeldEvents {
    pub events: Vec<Box<RawValue>>,
    pub hashes: Vec<String>,
    /// The last sequence in this page (or `after` when none).
    pub last: u64,
    pub more: bool,
}

/// The server's answer to an upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadReply {
    /// Highest sequence of this terminal the server holds contiguously.
    pub acked: u64,
    /// Events of the batch it stored now (the rest it held already).
    pub stored: u64,
    /// Set when the batch contradicts what the server holds.
    #[serde(default)]
    pub refused: Option<Refusal>,
}

/// Why the server refused (part of) a batch. Nothing at or after `seq`
/// in the batch was stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Refusal {
    /// Another event is held under this sequence.
    Conflict { seq: u64, held: String, sent: String },
    /// The batch does not continue what the server holds.
    Gap { seq: u64, expected: u64 },
    /// `prev` or an event's place in the chain does not match.
    BrokenChain { seq: u64 },
    /// An event that does not parse, or is not this terminal's.
    BadEvent { seq: u64, reason: String },
}

impl Refusal {
    pub fn message(&self, lang: crate::i18n::Lang) -> String {
        use crate::i18n::Lang::*;
        match (lang, self) {
            (Zh, Refusal::Conflict { seq, .. }) => {
                format!("县里已有第 {seq} 号事件且内容不同：本机的记录与已上报的不一致，请联系县人大办")
            }
            (En, Refusal::Conflict { seq, .. }) => format!(
                "the county holds a different event number {seq}: this terminal's log differs from what it sent before; call the county office"
            ),
            (Zh, Refusal::Gap { seq, expected }) => {
                format!("事件不连续：县里等待第 {expected} 号，收到第 {seq} 号")
            }
            (En, Refusal::Gap { seq, expected }) => {
                format!("events are not contiguous: the county expects number {expected}, got {seq}")
            }
            (Zh, Refusal::BrokenChain { seq }) => {
                format!("第 {seq} 号事件与之前上报的记录接不上（记录被改写过？），请联系县人大办")
            }
            (En, Refusal::BrokenChain { seq }) => format!(
                "event number {seq} does not follow what was sent before (was the log rewritten?); call the county office"
            ),
            (Zh, Refusal::BadEvent { seq, reason }) => match reason_in(reason, Zh) {
                Some(r) => format!("第 {seq} 号事件无法识别：{r}；请联系县人大办"),
                None => format!("第 {seq} 号事件无法识别，请联系县人大办"),
            },
            (En, Refusal::BadEvent { seq, reason }) => format!(
                "event number {seq} is not valid: {}; call the county office",
                reason_in(reason, En).unwrap_or(reason)
            ),
        }
    }
}

/// A refusal's reason in `lang`: the county writes the reasons it words
/// itself as "中文 / English"; others (a parser's) are English only and
/// are left out of Chinese text (the county's log keeps them).
fn reason_in(reason: &str, lang: crate::i18n::Lang) -> Option<&str> {
    match reason.split_once(" / ") {
        Some((zh, en)) => Some(lang.pick(zh, en).trim()),
        None => (lang == crate::i18n::Lang::En).then_some(reason),
    }
}

/// The county's events for one station.
#[derive(Debug, Serialize, Deserialize)]
pub struct Feed {
    pub events: Vec<Box<RawValue>>,
    /// The station's cursor after these events (the last one's sequence,
    /// or the request's `after` when there are none).
    pub last: u64,
    /// Whether more events wait after these.
    pub more: bool,
}

/// A terminal's event relayed in the station's feed at `seq` (`Feed`):
/// the county's event that wraps it, whole or (`whole` false, the asking
/// terminal's own) as a mark. `at` is when the county took it, `appeal`
/// the appeal it is about. `None` when `event` does not name its id.
pub fn relayed(
    station: &str,
    seq: u64,
    at: &str,
    appeal: Option<&str>,
    event: &RawValue,
    whole: bool,
) -> Option<Box<RawValue>> {
    #[derive(Deserialize)]
    struct Id {
        origin: String,
        seq: u64,
    }
    #[derive(Deserialize)]
    struct IdOnly {
        id: Id,
    }
    #[derive(Serialize)]
    struct Wrapped<'a> {
        id: Id2<'a>,
        at: &'a str,
        actor: &'a str,
        body: Body<'a>,
    }
    #[derive(Serialize)]
    struct Id2<'a> {
        origin: &'a str,
        seq: u64,
    }
    #[derive(Serialize)]
    struct Body<'a> {
        #[serde(rename = "type")]
        kind: &'a str,
        origin: &'a str,
        seq: u64,
        #[serde(skip_serializing_if = "Option::is_none")]
        code: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        event: Option<&'a RawValue>,
    }
    let inner: IdOnly = serde_json::from_str(event.get()).ok()?;
    let origin = crate::domain::event::county_origin(station);
    let wrapped = Wrapped {
        id: Id2 { origin: &origin, seq },
        at,
        actor: RELAY_ACTOR,
        body: Body {
            kind: "relayed",
            origin: &inner.id.origin,
            seq: inner.id.seq,
            code: appeal,
            event: whole.then_some(event),
        },
    };
    serde_json::value::to_raw_value(&wrapped).ok()
}

/// Who relays a terminal's event in the feed.
pub const RELAY_ACTOR: &str = "county";

/// An error body (any non-200 answer).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Problem {
    /// A stable code: "unknown_station", "bad_signature", "stale", ...
    pub code: String,
    pub message: String,
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// What a request's signature covers.
pub fn signing_text(method: &str, path_and_query: &str, station: &str, time: i64, body: &[u8]) -> Vec<u8> {
    signing_text_hashed(method, path_and_query, station, time, &sha256_hex(body))
}

/// `signing_text` from the body's SHA-256 (hex), for a body hashed as it
/// streams in and never held.
pub fn signing_text_hashed(
    method: &str,
    path_and_query: &str,
    station: &str,
    time: i64,
    body_sha256: &str,
) -> Vec<u8> {
    format!("{NAME}\n{method}\n{path_and_query}\n{station}\n{time}\n{body_sha256}").into_bytes()
}

/// What an answer's signature covers.
pub fn reply_text(request_signature: &str, status: u16, body: &[u8]) -> Vec<u8> {
    format!(
        "{NAME} reply\n{request_signature}\n{status}\n{}",
        sha256_hex(body)
    )
    .into_bytes()
}

pub fn sign(key: &SigningKey, text: &[u8]) -> String {
    B64.encode(key.sign(text).to_bytes())
}

/// Whether `signature` (base64) is `key`'s over `text`.
pub fn verify(key: &VerifyingKey, text: &[u8], signature: &str) -> bool {
    let Ok(bytes) = B64.decode(signature.trim()) else {
        return false;
    };
    let Ok(sig) = Signature::from_slice(&bytes) else {
        return false;
    };
    key.verify(text, &sig).is_ok()
}

/// A new signing key from the system's random source.
pub fn new_signing_key() -> std::io::Result<SigningKey> {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| std::io::Error::other(e.to_string()))?;
    Ok(SigningKey::from_bytes(&seed))
}

pub fn encode_secret(key: &SigningKey) -> String {
    B64.encode(key.to_bytes())
}

pub fn encode_public(key: &VerifyingKey) -> String {
    B64.encode(key.to_bytes())
}

pub fn decode_secret(text: &str) -> Option<SigningKey> {
    let bytes: [u8; 32] = B64.decode(text.trim()).ok()?.try_into().ok()?;
    Some(SigningKey::from_bytes(&bytes))
}

pub fn decode_public(text: &str) -> Option<VerifyingKey> {
    let bytes: [u8; 32] = B64.decode(text.trim()).ok()?.try_into().ok()?;
    VerifyingKey::from_bytes(&bytes).ok()
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    // Writing to a Vec cannot fail.
    let _ = enc.write_all(bytes);
    enc.finish().unwrap_or_default()
}

/// Inflates a gzip body, refusing one that would grow past `limit`.
pub fn gunzip(bytes: &[u8], limit: usize) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .take(limit as u64 + 1)
        .read_to_end(&mut out)?;
    if out.len() > limit {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("body inflates past {limit} bytes"),
        ));
    }
    Ok(out)
}

/// The credentials file the county writes for a station (TOML).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credentials {
    pub station: String,
    #[serde(default)]
    pub name: String,
    /// The county server's base URL, e.g. `http://county.example:8443`.
    pub server: String,
    /// The server's public key (base64 Ed25519).
    pub server_key: String,
    /// The station's signing key (base64 Ed25519 seed). Secret.
    pub key: String,
    /// PEM certificate(s) the station trusts for an `https://` server
    /// instead of the public roots: the county's self-signed certificate
    /// or its own CA.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca: Option<String>,
}

impl Credentials {
    pub fn signing_key(&self) -> Option<SigningKey> {
        decode_secret(&self.key)
    }

    pub fn server_key(&self) -> Option<VerifyingKey> {
        decode_public(&self.server_key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_covers_every_part() {
        let key = new_signing_key().unwrap();
        let text = signing_text("POST", "/v1/upload", "330999012", 1_800_000_000, b"body");
        let sig = sign(&key, &text);
        assert!(verify(&key.verifying_key(), &text, &sig));
        for other in [
            signing_text("GET", "/v1/upload", "330999012", 1_800_000_000, b"body"),
            signing_text("POST", "/v1/feed", "330999012", 1_800_000_000, b"body"),
            signing_text("POST", "/v1/upload", "330999013", 1_800_000_000, b"body"),
            signing_text("POST", "/v1/upload", "330999012", 1_800_000_001, b"body"),
            signing_text("POST", "/v1/upload", "330999012", 1_800_000_000, b"bodY"),
        ] {
            assert!(!verify(&key.verifying_key(), &other, &sig));
        }
        let stranger = new_signing_key().unwrap();
        assert!(!verify(&stranger.verifying_key(), &text, &sig));
        assert!(!verify(&key.verifying_key(), &text, "not base64!"));
    }

    #[test]
    fn the_chain_depends_on_order_and_content() {
        let a = chain_next(GENESIS, b"{\"a\":1}");
        let b = chain_next(&a, b"{\"b\":2}");
        assert_ne!(b, chain_next(&chain_next(GENESIS, b"{\"b\":2}"), b"{\"a\":1}"));
        assert_ne!(b, chain_next(&a, b"{\"b\":3}"));
        assert_eq!(b, chain_next(&chain_next(GENESIS, b"{\"a\":1}"), b"{\"b\":2}"));
        assert_eq!(hex::decode(&a).map(|v| v.len()).ok(), Some(32));
    }

    #[test]
    fn only_a_station_event_with_staff_secrets_goes_redacted() {
        let station = |staff: &str| {
            RawValue::from_string(format!(
                r#"{{"id":{{"origin":"330999012-1","seq":1}},"at":"2026-01-10T09:00:00+08:00","actor":"init","body":{{"type":"station_configured","station":{{"code":"330999012","name":"柳岸","kind":"station","county":"青禾县","reception_days":[10],"staff":[{staff}]}}}}}}"#
            ))
            .unwrap()
        };
        for secret in [
            r#""pin_hash":"$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA""#,
            r#""pin":"2468""#,
        ] {
            let held = station(&format!(r#"{{"id":"S1","name":"甲",{secret}}}"#));
            let sent = for_county(&held).expect("redacted");
            assert!(
                !sent.get().contains("argon2") && !sent.get().contains("2468"),
                "{}",
                sent.get()
            );
            assert!(
                sent.get().contains(r#"{"id":"S1","name":"甲"}"#),
                "{}",
                sent.get()
            );
            // Sent again, it needs nothing more.
            assert!(for_county(&sent).is_none());
        }
        assert!(for_county(&station(r#"{"id":"S1","name":"甲"}"#)).is_none());
        let other = RawValue::from_string(
            r#"{"id":{"origin":"330999012-1","seq":2},"at":"2026-01-10T09:00:00+08:00","actor":"S1","body":{"type":"duty_checked_in","deputy":"D1","day":"2026-01-10"}}"#.into(),
        )
        .unwrap();
        assert!(for_county(&other).is_none());
        assert!(is_chain_hash(GENESIS) && !is_chain_hash("00") && !is_chain_hash(&"g".repeat(64)));
    }

    #[test]
    fn a_terminals_later_origins_have_keys_of_their_own() {
        assert_eq!(terminal_key(3, 0), 3);
        assert_eq!(terminal_key(3, 1), 3);
        assert_eq!(terminal_key(3, 2), 13);
        for terminal in 1..=9u8 {
            for generation in 1..=5u32 {
                let key = terminal_key(terminal, generation);
                assert_eq!(from_terminal_key(key), Some((terminal, generation)));
            }
        }
        assert_eq!(from_terminal_key(0), None);
        assert_eq!(from_terminal_key(10), None);
    }

    #[test]
    fn gzip_round_trips_and_refuses_a_bomb() {
        let body = vec![b'x'; 100_000];
        let z = gzip(&body);
        assert!(z.len() < 1_000);
        assert_eq!(gunzip(&z, 100_000).unwrap(), body);
        assert!(gunzip(&z, 99_999).is_err());
        assert!(gunzip(b"not gzip", 10).is_err());
    }
}
