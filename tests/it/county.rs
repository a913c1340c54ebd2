#![cfg(feature = "county")]
//! The county server, run as the real binary on SQLite and on PostgreSQL:
//! who may upload, exactly-once storage, refusals, the county's steps and
//! the public progress page.

use crate::support::cli;
use crate::support::county;
use crate::support::postgres;

use std::path::{Path, PathBuf};

use county::{County, get};
use ed25519_dalek::{SigningKey, VerifyingKey};
use jiedai::domain::{Appeal, Category, EventBody, Visitor};
use jiedai::storage::Store;
use jiedai::storage::sync_state::Position;
use jiedai::sync::protocol::{self, Credentials, Problem, Refusal, Upload, UploadReply};
use serde_json::value::RawValue;
use tempfile::TempDir;

pub(crate) const STATION: &str = "330999012";
pub(crate) const STATION_NAME: &str = "柳岸社区人大代表联络站";
pub(crate) const VISITOR_NAME: &str = "林晓梅";
pub(crate) const VISITOR_PHONE: &str = "13800001234";
pub(crate) const VISITOR_ID: &str = "330999199001011234";
const TITLE: &str = "小区门口停车难";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
}

/// Runs a scenario on SQLite and on PostgreSQL (one database per test).
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[test]
            fn sqlite() {
                super::$name(super::Backend::Sqlite, stringify!($name));
            }
            #[test]
            fn postgres() {
                super::$name(super::Backend::Postgres, stringify!($name));
            }
        }
    )*};
}

on_both!(
    unknown_station,
    bad_signature,
    tampered_body,
    replayed_request,
    wrong_access_key,
    duplicate_upload,
    conflicting_event,
    gap,
    county_steps,
    concurrent_retries,
    restart_keeps_everything,
    unusual_events,
    staff_secrets_stay_at_the_station,
    the_county_keeps_its_zone,
);

fn start(backend: Backend, name: &str) -> County {
    start_with(backend, name, &[])
}

/// `start` with more arguments to `serve`.
fn start_with(backend: Backend, name: &str, args: &[&str]) -> County {
    let db = match backend {
        Backend::Sqlite => None,
        Backend::Postgres => Some(postgres::shared().url(name)),
    };
    County::start_with(db.as_deref(), args, None)
}

/// A station set up from sample-data with `n` new appeals, enrolled with
/// the county (its credentials loaded at the station).
pub(crate) struct Station {
    dir: TempDir,
    creds: Credentials,
    pub(crate) codes: Vec<String>,
    keys: Vec<String>,
}

impl Station {
    pub(crate) fn new(county: &County, n: usize) -> Station {
        Station::with_deputies(county, n, false)
    }

    fn with_deputies(county: &County, n: usize, deputies: bool) -> Station {
        let dir = cli::station(deputies);
        let (codes, keys) = register(dir.path(), n);
        let creds_path = dir.path().join("county-credentials.toml");
        county.enroll(STATION, STATION_NAME, &creds_path);
        cli::expect(dir.path(), &["enroll", cli::path(&creds_path)], 0);
        let creds: Credentials = toml::from_str(&std::fs::read_to_string(&creds_path).unwrap()).unwrap();
        Station {
            dir,
            creds,
            codes,
            keys,
        }
    }

    pub(crate) fn path(&self) -> &Path {
        self.dir.path()
    }

    fn key(&self) -> SigningKey {
        self.creds.signing_key().unwrap()
    }

    fn server_key(&self) -> VerifyingKey {
        self.creds.server_key().unwrap()
    }

    /// This terminal's events as its journal holds them, and the chain
    /// hash after each.
    fn events(&self) -> (Vec<Box<RawValue>>, Vec<String>) {
        let store = Store::open(self.path()).unwrap();
        let out = store
            .reader()
            .outgoing(&store.origin(), &Position::default(), 500, 1 << 20)
            .unwrap();
        assert_eq!(out.prev, protocol::GENESIS);
        let hashes = out.events.iter().map(|e| e.hash.clone()).collect();
        (out.events.into_iter().map(|e| e.raw).collect(), hashes)
    }

    pub(crate) fn sync(&self) -> std::process::Output {
        cli::expect(self.path(), &["sync", "--attempts", "1"], 0)
    }
}

/// Registers `n` appeals at the station; their codes and access keys.
fn register(dir: &Path, n: usize) -> (Vec<String>, Vec<String>) {
    let mut store = Store::open(dir).unwrap();
    let now = chrono::Local::now().fixed_offset();
    let codes = store.next_codes(now.date_naive(), n).unwrap();
    let changes = codes
        .iter()
        .map(|code| EventBody::AppealRegistered {
            appeal: Appeal {
                visitor: Visitor {
                    name: VISITOR_NAME.into(),
                    phone: VISITOR_PHONE.into(),
                    id_number: VISITOR_ID.into(),
                    address: "柳岸社区8幢2单元".into(),
                },
                category: Category::Traffic,
                title: TITLE.into(),
                content: format!("晚上车辆乱停，消防通道被占。联系电话 {VISITOR_PHONE}"),
                access_key: jiedai::storage::new_access_key().unwrap(),
                ..Appeal::registered(code.clone(), now)
            },
        })
        .collect();
    store.commit("S01", changes).unwrap();
    let keys = codes
        .iter()
        .map(|c| store.appeal(c.as_str()).unwrap().unwrap().access_key)
        .collect();
    (codes.iter().map(|c| c.to_string()).collect(), keys)
}

/// An answer to a hand-made request, its signature checked.
#[derive(Debug)]
struct Answer {
    status: u16,
    body: Vec<u8>,
}

impl Answer {
    fn problem(&self) -> Problem {
        serde_json::from_slice(&self.body).expect("a Problem body")
    }

    fn reply(&self) -> UploadReply {
        assert_eq!(self.status, 200, "{}", String::from_utf8_lossy(&self.body));
        serde_json::from_slice(&self.body).expect("an UploadReply body")
    }
}

/// A request signed as `station` with `key` over `signed` at `time`,
/// sending `sent`; the answer must carry the server's signature.
#[allow(clippy::too_many_arguments)]
fn call(
    url: &str,
    station: &str,
    key: &SigningKey,
    server: &VerifyingKey,
    method: &str,
    path: &str,
    signed: &[u8],
    sent: &[u8],
    time: i64,
) -> Answer {
    let signature = protocol::sign(key, &protocol::signing_text(method, path, station, time, signed));
    let mut request = ureq::http::Request::builder()
        .method(method)
        .uri(format!("{url}{path}"))
        .header(protocol::H_STATION, station)
        .header(protocol::H_TIME, time.to_string())
        .header(protocol::H_SIGNATURE, &signature);
    if !sent.is_empty() {
        request = request
            .header("content-type", "application/json")
            .header("content-encoding", "gzip");
    }
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent();
    let response = agent
        .run(request.body(sent.to_vec()).unwrap())
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let status = response.status().as_u16();
    let reply_sig = header(protocol::H_SIGNATURE);
    assert_eq!(header("content-encoding").as_deref(), Some("gzip"));
    let mut raw = Vec::new();
    std::io::Read::read_to_end(&mut response.into_body().into_reader(), &mut raw).unwrap();
    let reply_sig = reply_sig.expect("every answer is signed");
    assert!(
        protocol::verify(
            server,
            &protocol::reply_text(&signature, status, &raw),
            &reply_sig
        ),
        "the answer's signature is the server's, over this request"
    );
    Answer {
        status,
        body: protocol::gunzip(&raw, protocol::MAX_BODY_BYTES).unwrap(),
    }
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn upload_body(prev: &str, events: &[Box<RawValue>]) -> Vec<u8> {
    attested_body(prev, events, Vec::new())
}

fn attested_body(prev: &str, events: &[Box<RawValue>], attested: Vec<protocol::Attested>) -> Vec<u8> {
    let upload = Upload {
        terminal: 1,
        generation: 0,
        prev: prev.to_string(),
        events: events.to_vec(),
        attested,
    };
    protocol::gzip(&serde_json::to_vec(&upload).unwrap())
}

/// Uploads as the station, properly signed.
fn upload(county: &County, st: &Station, prev: &str, events: &[Box<RawValue>]) -> Answer {
    signed_upload(county, st, upload_body(prev, events))
}

/// Sends an upload body as the station, properly signed.
fn signed_upload(county: &County, st: &Station, body: Vec<u8>) -> Answer {
    signed_upload_at(county, st, &body, now())
}

/// Sends an upload body as the station, properly signed at `time`.
fn signed_upload_at(county: &County, st: &Station, body: &[u8], time: i64) -> Answer {
    post_upload(county, st, STATION, &st.key(), body, body, time)
}

/// Posts an upload that says it comes from `station`, signed with `key`
/// over `signed` at `time`, with `sent` as its body.
fn post_upload(
    county: &County,
    st: &Station,
    station: &str,
    key: &SigningKey,
    signed: &[u8],
    sent: &[u8],
    time: i64,
) -> Answer {
    call(
        &county.url,
        station,
        key,
        &st.server_key(),
        "POST",
        protocol::PATH_UPLOAD,
        signed,
        sent,
        time,
    )
}

/// Reads the station's feed after `after`, signed with `key`.
fn feed(county: &County, st: &Station, key: &SigningKey, after: u64) -> Answer {
    let path = format!("{}?after={after}", protocol::PATH_FEED);
    call(
        &county.url,
        STATION,
        key,
        &st.server_key(),
        "GET",
        &path,
        b"",
        b"",
        now(),
    )
}

/// The reply to an upload the county took whole: `acked` events
/// acknowledged, `stored` of them new.
fn taken(acked: u64, stored: u64) -> UploadReply {
    UploadReply {
        acked,
        stored,
        refused: None,
    }
}

/// The appeals the county lists (`county appeals --json`).
fn county_appeals(county: &County) -> Vec<serde_json::Value> {
    let out = county.run(&["appeals", "--json"]);
    assert!(out.status.success(), "{}", cli::printed(&out));
    cli::text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Refused with 401 and `code`, and nothing reached the county.
fn assert_refused(county: &County, answer: &Answer, code: &str) {
    assert_eq!(answer.status, 401, "{answer:?}");
    assert_eq!(answer.problem().code, code);
    assert!(county_appeals(county).is_empty(), "nothing stored");
}

/// A county on `backend` and a station with one appeal; the body of the
/// station's first upload.
fn first_upload(backend: Backend, name: &str) -> (County, Station, Vec<u8>) {
    let county = start(backend, name);
    let st = Station::new(&county, 1);
    let (events, _) = st.events();
    let body = upload_body(protocol::GENESIS, &events);
    (county, st, body)
}

fn unknown_station(backend: Backend, name: &str) {
    let (county, st, body) = first_upload(backend, name);
    let stranger = protocol::new_signing_key().unwrap();
    let answer = post_upload(&county, &st, "330999099", &stranger, &body, &body, now());
    assert_refused(&county, &answer, "unknown_station");
}

fn bad_signature(backend: Backend, name: &str) {
    let (county, st, body) = first_upload(backend, name);
    let stranger = protocol::new_signing_key().unwrap();
    let answer = post_upload(&county, &st, STATION, &stranger, &body, &body, now());
    assert_refused(&county, &answer, "bad_signature");
    // The feed too.
    let answer = feed(&county, &st, &stranger, 0);
    assert_eq!(
        (answer.status, answer.problem().code.as_str()),
        (401, "bad_signature")
    );
}

fn tampered_body(backend: Backend, name: &str) {
    let county = start(backend, name);
    let st = Station::new(&county, 1);
    let (events, _) = st.events();
    let signed = upload_body(protocol::GENESIS, &events[..1]);
    let sent = upload_body(protocol::GENESIS, &events);
    let answer = post_upload(&county, &st, STATION, &st.key(), &signed, &sent, now());
    assert_refused(&county, &answer, "bad_signature");
    // The same request with the bytes it signed is taken.
    let good = upload(&county, &st, protocol::GENESIS, &events);
    assert_eq!(good.reply().stored, events.len() as u64);
    assert_eq!(county_appeals(&county).len(), 1);
    // A signed body that is not an upload: refused, signed, nothing stored.
    let garbage = protocol::gzip(b"{\"terminal\":1}");
    let answer = signed_upload(&county, &st, garbage);
    assert_eq!(
        (answer.status, answer.problem().code.as_str()),
        (400, "bad_request")
    );
    assert_eq!(county_appeals(&county).len(), 1);
}

fn replayed_request(backend: Backend, name: &str) {
    let (county, st, body) = first_upload(backend, name);
    let old = now() - protocol::MAX_SKEW_SECS - 60;
    let answer = signed_upload_at(&county, &st, &body, old);
    assert_refused(&county, &answer, "stale");
    let future = now() + protocol::MAX_SKEW_SECS + 60;
    let answer = signed_upload_at(&county, &st, &body, future);
    assert_refused(&county, &answer, "stale");
}

fn wrong_access_key(backend: Backend, name: &str) {
    let county = start(backend, name);
    let st = Station::new(&county, 2);
    st.sync();
    let (code, key) = (&st.codes[0], &st.keys[0]);
    assert!(jiedai::domain::public::is_access_key(key), "{key}");
    let (status, page) = get(&format!("{}/t/{code}?k={key}", county.url));
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("交通停车") && page.contains("已登记"), "{page}");
    for private in [VISITOR_NAME, VISITOR_PHONE, VISITOR_ID, TITLE, "柳岸社区8幢"] {
        assert!(!page.contains(private), "the page shows {private}:\n{page}");
    }
    let unknown = get(&format!("{}/t/260101-330999012-19999-0?k={key}", county.url));
    assert_eq!(unknown.0, 404);
    let other_key = &st.keys[1];
    for wrong in [
        format!("{}/t/{code}?k={other_key}", county.url),
        format!("{}/t/{code}?k=", county.url),
        format!("{}/t/{code}", county.url),
        format!("{}/t/{code}?k={}", county.url, &key[..12]),
    ] {
        assert_eq!(get(&wrong), unknown, "{wrong} answers like an unknown code");
    }
    // Crockford base32 reads lower case as upper case.
    let lower = get(&format!("{}/t/{code}?k={}", county.url, key.to_lowercase()));
    assert_eq!(lower.0, 200, "{}", lower.1);
    // The station's and deputies' pages.
    let (status, page) = get(&format!("{}/s/{STATION}", county.url));
    assert_eq!(status, 200);
    assert!(
        page.contains(STATION_NAME) && page.contains("柳岸路88号"),
        "{page}"
    );
}

fn duplicate_upload(backend: Backend, name: &str) {
    let county = start(backend, name);
    let st = Station::new(&county, 2);
    let (events, hashes) = st.events();
    let n = events.len() as u64;
    let first = upload(&county, &st, protocol::GENESIS, &events).reply();
    assert_eq!(first, taken(n, n));
    let again = upload(&county, &st, protocol::GENESIS, &events).reply();
    assert_eq!(again, taken(n, 0));
    // A retry of the tail only, from the middle of the chain.
    let tail = upload(&county, &st, &hashes[0], &events[1..]).reply();
    assert_eq!(tail, taken(n, 0));
    assert_eq!(county_appeals(&county).len(), 2);
    // And the real client agrees: nothing more to store.
    let out = st.sync();
    assert!(out.status.success());
    assert_eq!(county_appeals(&county).len(), 2);
}

/// The event with `field` changed to `value` (other bytes, same sequence).
fn rewritten(raw: &RawValue, change: impl FnOnce(&mut serde_json::Value)) -> Box<RawValue> {
    let mut v: serde_json::Value = serde_json::from_str(raw.get()).unwrap();
    change(&mut v);
    RawValue::from_string(serde_json::to_string(&v).unwrap()).unwrap()
}

fn conflicting_event(backend: Backend, name: &str) {
    let county = start(backend, name);
    let st = Station::new(&county, 1);
    let (events, hashes) = st.events();
    let n = events.len();
    upload(&county, &st, protocol::GENESIS, &events).reply();
    // The appeal's registration, rewritten with another title.
    let at = events
        .iter()
        .position(|e| e.get().contains("\"appeal_registered\""))
        .expect("a registration");
    let forged = rewritten(&events[at], |v| {
        v["body"]["appeal"]["title"] = "改过的标题".into()
    });
    let prev = if at == 0 {
        protocol::GENESIS.to_string()
    } else {
        hashes[at - 1].clone()
    };
    let reply = upload(&county, &st, &prev, &[forged]).reply();
    assert_eq!(reply.acked, n as u64);
    assert_eq!(reply.stored, 0);
    match reply.refused {
        Some(Refusal::Conflict { seq, held, .. }) => {
            assert_eq!(seq, at as u64 + 1);
            assert_eq!(held, hashes[at]);
        }
        other => panic!("expected a conflict, got {other:?}"),
    }
    // The original is kept.
    let appeals = county_appeals(&county);
    assert_eq!(appeals.len(), 1);
    assert_eq!(appeals[0]["title"], TITLE);
    let again = upload(&county, &st, protocol::GENESIS, &events).reply();
    assert_eq!(again, taken(n as u64, 0));
    // A batch that forges the first event refuses it and everything after.
    let first = rewritten(&events[0], |v| v["actor"] = "someone else".into());
    let mut batch = vec![first];
    batch.extend(events[1..].iter().cloned());
    let reply = upload(&county, &st, protocol::GENESIS, &batch).reply();
    assert!(
        matches!(reply.refused, Some(Refusal::Conflict { seq: 1, .. })),
        "{reply:?}"
    );
}

fn gap(backend: Backend, name: &str) {
    let county = start(backend, name);
    let st = Station::new(&county, 2);
    let (events, hashes) = st.events();
    assert!(events.len() >= 3);
    let reply = upload(&county, &st, &hashes[1], &events[2..]).reply();
    assert_eq!(reply.acked, 0);
    assert_eq!(reply.stored, 0);
    assert_eq!(reply.refused, Some(Refusal::Gap { seq: 3, expected: 1 }));
    assert!(county_appeals(&county).is_empty());
    // The events before the gap, then the rest: all taken.
    let head = upload(&county, &st, protocol::GENESIS, &events[..2]).reply();
    assert_eq!((head.acked, head.stored, head.refused), (2, 2, None));
    let rest = upload(&county, &st, &hashes[1], &events[2..]).reply();
    assert_eq!(rest.acked, events.len() as u64);
    assert_eq!(county_appeals(&county).len(), 2);
}

pub(crate) fn staff(county: &County, args: &[&str], status: i32) -> String {
    let out = county.run(args);
    assert_eq!(
        out.status.code(),
        Some(status),
        "county {args:?}\n{}",
        cli::printed(&out)
    );
    cli::printed(&out)
}

fn county_steps(backend: Backend, name: &str) {
    let county = start(backend, name);
    let st = Station::new(&county, 2);
    st.sync();
    let code = st.codes[0].as_str();
    let listed = county_appeals(&county);
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0]["status"], "registered");
    assert_eq!(listed[0]["station"], STATION);

    // A reply to an appeal that is only registered: the status machine's reason.
    let refused = staff(&county, &["reply", code, "--text", "已处理"], 1);
    assert!(refused.contains("已登记"), "{refused}");
    let refused_en = staff(&county, &["--lang", "en", "reply", code, "--text", "done"], 1);
    assert!(refused_en.contains("Registered"), "{refused_en}");
    let first = feed(&county, &st, &st.key(), 0);
    assert_eq!(first.status, 200);
    let relayed: serde_json::Value = serde_json::from_slice(&first.body).unwrap();
    let kinds = |page: &serde_json::Value| -> Vec<String> {
        page["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| match e["body"]["type"].as_str().unwrap() {
                "relayed" => format!(
                    "relayed {}",
                    e["body"]["event"]["body"]["type"].as_str().unwrap_or("mark")
                ),
                other => other.to_string(),
            })
            .collect()
    };
    // Nothing of the county's recorded; the station's events relayed for
    // its other terminals (all but its configuration), whole when the
    // request names no terminal.
    let before = kinds(&relayed);
    assert!(!before.iter().any(|k| k == "county_stepped"), "{before:?}");
    assert_eq!(
        before
            .iter()
            .filter(|k| *k == "relayed appeal_registered")
            .count(),
        2,
        "{before:?}"
    );
    assert!(
        !before.iter().any(|k| k.contains("station_configured")),
        "{before:?}"
    );

    staff(&county, &["accept", code], 0);
    county.add_units(&["青禾县交通运输局"]);
    staff(
        &county,
        &["refer", code, "--unit", "青禾县交通运输局", "--due", "2099-12-31"],
        0,
    );
    staff(
        &county,
        &["reply", code, "--text", "已增设停车位并清理消防通道"],
        0,
    );
    let referred = county.run(&["appeals", "--json", "--status", "已答复"]);
    let lines = cli::text(&referred.stdout);
    assert_eq!(lines.lines().count(), 1, "{lines}");
    assert!(lines.contains(code));

    // The station takes the county's steps.
    st.sync();
    {
        let store = Store::open(st.path()).unwrap();
        let a = store.appeal(code).unwrap().unwrap();
        assert_eq!(a.status, jiedai::domain::Status::Replied);
        assert_eq!(a.reply.as_deref(), Some("已增设停车位并清理消防通道"));
    }
    // Syncing again takes nothing new and changes nothing.
    st.sync();
    // The feed from a cursor: what follows it, in order.
    let whole: serde_json::Value = serde_json::from_slice(&feed(&county, &st, &st.key(), 0).body).unwrap();
    let steps: Vec<u64> = whole["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["body"]["type"] == "county_stepped")
        .map(|e| e["id"]["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(steps.len(), 3, "accept, refer, reply");
    let a = feed(&county, &st, &st.key(), steps[0]);
    let feed: protocol::Feed = serde_json::from_slice(&a.body).unwrap();
    assert_eq!((feed.events.len(), feed.last, feed.more), (2, steps[2], false));
    assert!(
        feed.events[0]
            .get()
            .contains(&format!("\"origin\":\"county/330999012\",\"seq\":{}", steps[1]))
    );
    let (status, page) = get(&format!("{}/t/{code}?k={}", county.url, st.keys[0]));
    assert_eq!(status, 200);
    assert!(page.contains("已增设停车位") && page.contains("已答复"), "{page}");

    // Exports never show the visitor's phone or ID number.
    let csv = staff(&county, &["export", "--format", "csv"], 0);
    let jsonl = staff(&county, &["export", "--format", "jsonl"], 0);
    for text in [&csv, &jsonl] {
        assert!(text.contains(code));
        assert!(
            !text.contains(VISITOR_PHONE) && !text.contains(VISITOR_ID),
            "{text}"
        );
    }
    let xlsx: PathBuf = county.path().join("appeals.xlsx");
    staff(
        &county,
        &["export", "--format", "xlsx", "--out", cli::path(&xlsx)],
        0,
    );
    assert!(std::fs::metadata(&xlsx).unwrap().len() > 0);

    // Enrolling the station again is refused unless asked for.
    let again = county.path().join("again.toml");
    let refused = staff(
        &county,
        &[
            "enroll",
            "--station",
            STATION,
            "--name",
            STATION_NAME,
            "--out",
            cli::path(&again),
        ],
        1,
    );
    assert!(refused.contains("--replace"), "{refused}");
    assert!(!again.exists());
}

#[test]
fn credentials_are_private_and_codes_checked() {
    let county = County::start(None);
    let out = county.path().join("creds.toml");
    county.enroll(STATION, STATION_NAME, &out);
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&out).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let key = county.path().join("server.key");
    assert_eq!(
        std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let bad = county.run(&[
        "enroll",
        "--station",
        "33099",
        "--name",
        "x",
        "--out",
        "/tmp/never.toml",
    ]);
    assert_eq!(bad.status.code(), Some(2), "{}", cli::printed(&bad));
    assert!(cli::printed(&bad).contains("9 位数字"));
    // A code with a mistyped check digit is a typo, with the right digit.
    let code = jiedai::domain::TrackingCode::new(
        chrono::NaiveDate::from_ymd_opt(2026, 12, 6).unwrap(),
        STATION,
        1,
        1,
    )
    .unwrap()
    .to_string();
    let (body, right) = code.split_at(code.len() - 1);
    let typed = if right == "0" { "1" } else { "0" };
    let wrong = format!("{body}{typed}");
    let said = staff(&county, &["accept", &wrong], 2);
    assert!(said.contains(&format!("应为 {right}，而不是 {typed}")), "{said}");
    let said = staff(&county, &["--lang", "en", "accept", &wrong], 2);
    assert!(said.contains(&format!("would be {right}, not {typed}")), "{said}");
}

fn concurrent_retries(backend: Backend, name: &str) {
    let county = start(backend, name);
    let st = Station::new(&county, 3);
    let (events, _) = st.events();
    let n = events.len() as u64;
    // The same batch sent six times at once: stored exactly once.
    let replies: Vec<UploadReply> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..6)
            .map(|_| s.spawn(|| upload(&county, &st, protocol::GENESIS, &events).reply()))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for r in &replies {
        assert_eq!((r.acked, r.refused.as_ref()), (n, None), "{replies:?}");
    }
    assert_eq!(replies.iter().map(|r| r.stored).sum::<u64>(), n, "{replies:?}");
    assert_eq!(county_appeals(&county).len(), 3);
}

fn restart_keeps_everything(backend: Backend, name: &str) {
    let mut county = start(backend, name);
    let st = Station::new(&county, 2);
    st.sync();
    county.kill();
    county.restart();
    let code = st.codes[0].as_str();
    staff(&county, &["accept", code], 0);
    let (events, _) = st.events();
    let again = upload(&county, &st, protocol::GENESIS, &events).reply();
    assert_eq!(again.stored, 0);
    st.sync();
    let store = Store::open(st.path()).unwrap();
    assert_eq!(
        store.appeal(code).unwrap().unwrap().status,
        jiedai::domain::Status::Accepted
    );
    drop(store);
    // SIGTERM: a graceful stop.
    let status = county.stop().expect("the server was running");
    assert!(status.success(), "{status:?}");
}

#[test]
fn public_pages_show_deputies_and_stations_without_phones() {
    let county = County::start(None);
    let st = Station::with_deputies(&county, 1, true);
    st.sync();
    let (status, page) = get(&format!("{}/{STATION}/d/D001", county.url));
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("陈立华") && page.contains("全国人大代表"), "{page}");
    assert!(
        page.contains(STATION_NAME) && page.contains("09:00-11:30"),
        "{page}"
    );
    assert!(!page.contains("13900001201"), "{page}");
    assert!(page.contains("<meta charset=\"utf-8\">"));
    let (status, page) = get(&format!("{}/{STATION}/", county.url));
    assert_eq!(status, 200);
    // The same page under the old path, but for the form's new question.
    let question = |p: &str| {
        let from = p.find("<label for=\"answer\">").unwrap();
        let to = p[from..].find("<button").unwrap() + from;
        format!("{}{}", &p[..from], &p[to..])
    };
    let (old_status, old) = get(&format!("{}/s/{STATION}", county.url));
    assert_eq!((old_status, question(&old)), (status, question(&page)));
    assert!(
        page.contains("陈立华") && page.contains("每月10日、20日"),
        "{page}"
    );
    assert!(
        !page.contains("13900001201") && !page.contains("沈佳怡"),
        "{page}"
    );
    // Three reception days to come, each the 10th or 20th.
    let days: Vec<&str> = page
        .split("<li>")
        .skip(1)
        .filter(|l| l.starts_with("20"))
        .collect();
    assert_eq!(days.len(), 3, "{page}");
    for d in days {
        assert!(d[8..10] == *"10" || d[8..10] == *"20", "{d}");
    }
    assert_eq!(get(&format!("{}/{STATION}/d/D999", county.url)).0, 404);
    assert_eq!(get(&format!("{}/330999099/d/D001", county.url)).0, 404);
    assert_eq!(get(&format!("{}/330999099/", county.url)).0, 404);
    assert_eq!(get(&format!("{}/s/330999099", county.url)).0, 404);
}

/// An event like `template` with another sequence and body.
fn event_like(template: &RawValue, seq: u64, body: serde_json::Value) -> Box<RawValue> {
    rewritten(template, |v| {
        v["id"]["seq"] = seq.into();
        v["body"] = body;
    })
}

fn unusual_events(backend: Backend, name: &str) {
    let county = start(backend, name);
    let st = Station::new(&county, 1);
    let (events, hashes) = st.events();
    let n = events.len() as u64;
    upload(&county, &st, protocol::GENESIS, &events).reply();
    let code = st.codes[0].as_str();
    // A type from a newer version is kept; a station step the status
    // machine refuses is kept and changes nothing.
    let newer = event_like(
        &events[0],
        n + 1,
        serde_json::json!({"type": "future_thing", "what": 1}),
    );
    let illegal = event_like(
        &events[0],
        n + 2,
        serde_json::json!({"type": "appeal_stepped", "code": code, "step": {"step": "reply", "reply": "越级答复"}}),
    );
    let head = hashes.last().unwrap();
    let reply = upload(&county, &st, head, &[newer.clone(), illegal.clone()]).reply();
    assert_eq!(reply, taken(n + 2, 2));
    assert_eq!(county_appeals(&county)[0]["status"], "registered");
    // An event of another terminal in this terminal's batch is refused.
    let other = rewritten(
        &event_like(&events[0], n + 3, serde_json::json!({"type": "future_thing"})),
        |v| v["id"]["origin"] = "330999012-2".into(),
    );
    let after_newer = protocol::chain_next(head, newer.get().as_bytes());
    let after_illegal = protocol::chain_next(&after_newer, illegal.get().as_bytes());
    let reply = upload(&county, &st, &after_illegal, &[other]).reply();
    assert_eq!(reply.acked, n + 2);
    assert!(
        matches!(reply.refused, Some(Refusal::BadEvent { seq, .. }) if seq == n + 3),
        "{reply:?}"
    );
}

/// The text files of an xlsx workbook (a zip of XML parts), inflated.
pub(crate) fn xlsx_text(path: &Path) -> String {
    let zip = std::fs::read(path).unwrap();
    let u16_at = |i: usize| u16::from_le_bytes([zip[i], zip[i + 1]]) as usize;
    let u32_at = |i: usize| u32::from_le_bytes([zip[i], zip[i + 1], zip[i + 2], zip[i + 3]]) as usize;
    // The end of the central directory, then each of its entries.
    let end = (0..zip.len() - 21)
        .rev()
        .find(|&i| zip[i..i + 4] == *b"PK\x05\x06")
        .expect("a zip file");
    let (entries, mut at) = (u16_at(end + 10), u32_at(end + 16));
    let mut text = String::new();
    for _ in 0..entries {
        assert_eq!(zip[at..at + 4], *b"PK\x01\x02", "a central directory entry");
        let (method, size, local) = (u16_at(at + 10), u32_at(at + 20), u32_at(at + 42));
        at += 46 + u16_at(at + 28) + u16_at(at + 30) + u16_at(at + 32);
        let data = local + 30 + u16_at(local + 26) + u16_at(local + 28);
        let bytes = &zip[data..data + size];
        let mut part = Vec::new();
        match method {
            0 => part.extend_from_slice(bytes),
            8 => {
                std::io::Read::read_to_end(&mut flate2::read::DeflateDecoder::new(bytes), &mut part).unwrap();
            }
            other => panic!("zip method {other}"),
        }
        text.push_str(&String::from_utf8_lossy(&part));
    }
    text
}

/// Finding 10: a visitor named, with phones in every usual form, an ID
/// number and a home address in the title, content, location and history
/// notes, and a county reply naming the visitor with a phone: the public
/// page and every export format hold none of them.
#[test]
fn free_texts_leaving_the_county_are_masked() {
    const NAME: &str = "林晓梅";
    const HOME: &str = "明湖街道柳岸社区8幢2单元504室";
    const REPLY: &str = "林晓梅同志：已在小区东侧增设停车位。如有疑问请回电13912345678或0571-88005678。";
    let county = County::start(None);
    let st = Station::new(&county, 1);
    let code = {
        let mut store = Store::open(st.path()).unwrap();
        let now = chrono::Local::now().fixed_offset();
        let code = store.next_codes(now.date_naive(), 1).unwrap().remove(0);
        let appeal = Appeal {
            visitor: Visitor {
                name: NAME.into(),
                phone: "13800138000".into(),
                id_number: VISITOR_ID.into(),
                address: HOME.into(),
            },
            category: Category::Traffic,
            title: format!("{NAME}反映停车难，电话13800138000"),
            content: format!(
                "我是{NAME}，住在柳岸社区8幢2单元504室，身份证{VISITOR_ID}。小区门口停车难。\
                 电话 138 0013 8000，也可打 138-0013-8000、138.0013.8000、138/0013/8000、\
                 +86 138 0013 8000，座机 0571-88009876 或 (0571)88009876。"
            ),
            location: HOME.into(),
            access_key: jiedai::storage::new_access_key().unwrap(),
            ..Appeal::registered(code.clone(), now)
        };
        let deadline = now.date_naive() + chrono::Duration::days(30);
        store
            .commit("S01", vec![EventBody::AppealRegistered { appeal }])
            .unwrap();
        let mut step = |step, note: String| {
            let change = EventBody::AppealStepped {
                code: code.clone(),
                step,
                note,
            };
            store.commit("S01", vec![change]).unwrap();
        };
        step(
            jiedai::domain::Step::Accept,
            format!("已电话联系{NAME}（138-0013-8000），身份证 {VISITOR_ID}"),
        );
        step(
            jiedai::domain::Step::Refer {
                unit: "青禾县交通运输局".into(),
                deadline,
            },
            format!("{NAME}家住柳岸社区8幢2单元504室，座机 8800 9876"),
        );
        code.to_string()
    };
    let key = Store::open(st.path())
        .unwrap()
        .appeal(&code)
        .unwrap()
        .unwrap()
        .access_key;
    st.sync();
    staff(&county, &["reply", &code, "--text", REPLY], 0);

    let (status, page) = get(&format!("{}/t/{code}?k={key}", county.url));
    assert_eq!(status, 200, "{page}");
    let csv = staff(&county, &["export", "--format", "csv"], 0);
    let jsonl = staff(&county, &["export", "--format", "jsonl"], 0);
    let book = county.path().join("masked.xlsx");
    staff(
        &county,
        &["export", "--format", "xlsx", "--out", cli::path(&book)],
        0,
    );
    let xlsx = xlsx_text(&book);
    let private = [
        NAME,
        "13800138000",
        "138 0013 8000",
        "138-0013-8000",
        "138.0013.8000",
        "138/0013/8000",
        "0013 8000",
        "13912345678",
        "88005678",
        "88009876",
        "8800 9876",
        VISITOR_ID,
        "8幢2单元504室",
        "柳岸社区8幢",
    ];
    for (what, text) in [("page", &page), ("csv", &csv), ("jsonl", &jsonl), ("xlsx", &xlsx)] {
        for p in private {
            assert!(!text.contains(p), "the {what} shows {p}:\n{text}");
        }
    }
    // What is not private is still there: the reply's substance on the
    // page, the masked forms and the appeal's matter in the exports.
    assert!(
        page.contains("已在小区东侧增设停车位") && page.contains("139****5678"),
        "{page}"
    );
    for (what, text) in [("csv", &csv), ("jsonl", &jsonl), ("xlsx", &xlsx)] {
        for kept in [
            code.as_str(),
            "林*",
            "小区门口停车难",
            "138****8000",
            "青禾县交通运输局",
            "已在小区东侧增设停车位",
        ] {
            assert!(text.contains(kept), "the {what} lacks {kept}:\n{text}");
        }
    }
}

/// Every text the county's database holds: events, stations, appeals,
/// deputies, the feed and the refusals (and, on SQLite, every byte of its
/// files, free pages and write-ahead log included).
fn county_holds(county: &County) -> String {
    let (runtime, mut conn) = county.database("rw");
    let mut all = String::new();
    runtime.block_on(async {
        use sqlx::Row;
        for query in [
            "SELECT body FROM events",
            "SELECT COALESCE(info, '') FROM stations",
            "SELECT state FROM appeals",
            "SELECT body FROM deputies",
            "SELECT body FROM feed",
            "SELECT detail || COALESCE(body, '') FROM refusals",
        ] {
            for row in sqlx::query(query).fetch_all(&mut conn).await.unwrap() {
                all.push_str(&row.get::<String, _>(0));
                all.push('\n');
            }
        }
    });
    drop(conn);
    if county.db.is_none() {
        for file in ["county.db", "county.db-wal"] {
            if let Ok(bytes) = std::fs::read(county.path().join(file)) {
                all.push_str(&String::from_utf8_lossy(&bytes));
            }
        }
    }
    all
}

fn assert_no_staff_secrets(county: &County, when: &str) {
    let held = county_holds(county);
    for secret in ["$argon2", "pin_hash", "\"pin\""] {
        assert!(!held.contains(secret), "{when}: the county holds {secret}");
    }
}

/// Finding 11: the station's PIN hashes stay at the station. The county
/// holds the station without them whether the events came from this
/// version (sent without them, with the chain hash attested) or from an
/// older terminal (stripped on arrival), and a county database written
/// before has them purged when it is opened. The chain holds throughout.
fn staff_secrets_stay_at_the_station(backend: Backend, name: &str) {
    let county = start(backend, name);
    let st = Station::new(&county, 1);
    // This version's `init` keeps the hashes out of the journal; an
    // earlier one wrote them into the station event, as here.
    assert!(!st.events().0.iter().any(|e| e.get().contains("$argon2")));
    {
        let mut store = Store::open(st.path()).unwrap();
        let mut station = store.station().unwrap().unwrap();
        station.staff[1].pin_hash = Some(jiedai::domain::station::hash_pin("2468", &[7; 16]).unwrap());
        store
            .commit("init", vec![EventBody::StationConfigured { station }])
            .unwrap();
    }
    let (events, hashes) = st.events();
    let n = events.len() as u64;
    let pinned = events.len() - 1;
    assert!(
        events[pinned].get().contains("station_configured") && events[pinned].get().contains("$argon2"),
        "the journal holds a PIN hash: {}",
        events[pinned].get()
    );
    st.sync();
    assert_no_staff_secrets(&county, "after a sync");
    let (status, page) = get(&format!("{}/s/{STATION}", county.url));
    assert_eq!(status, 200);
    assert!(
        page.contains(STATION_NAME),
        "the county knows the station: {page}"
    );
    // The journal's own bytes, as an older terminal sends them, are the
    // same events to the county: the attested chain is the journal's.
    let again = upload(&county, &st, protocol::GENESIS, &events).reply();
    assert_eq!(again, taken(n, 0));
    // A forged station event is refused, and the refusal keeps no secret.
    let forged = rewritten(&events[pinned], |v| v["actor"] = "someone else".into());
    let refused = upload(&county, &st, &hashes[pinned - 1], &[forged]).reply();
    assert!(
        matches!(refused.refused, Some(Refusal::Conflict { seq, ref held, .. })
            if seq == n && *held == hashes[pinned]),
        "{refused:?}"
    );
    assert_no_staff_secrets(&county, "after a refusal");
    // An attested hash is taken only for a station event sent without its
    // secrets.
    let attest = |seq: usize| protocol::Attested {
        seq: seq as u64 + 1,
        hash: hashes[seq].clone(),
    };
    let appeal_at = events
        .iter()
        .position(|e| e.get().contains("appeal_registered"))
        .unwrap();
    for (batch, attested, seq) in [
        (&events[..], vec![attest(pinned)], n),
        (&events[..], vec![attest(appeal_at)], appeal_at as u64 + 1),
    ] {
        let body = attested_body(protocol::GENESIS, batch, attested);
        let reply = signed_upload(&county, &st, body).reply();
        assert!(
            matches!(reply.refused, Some(Refusal::BadEvent { seq: s, .. }) if s == seq),
            "{reply:?}"
        );
    }
    assert_no_staff_secrets(&county, "after bad attestations");
    // The chain goes on from the attested hash.
    register(st.path(), 1);
    st.sync();
    assert_eq!(county_appeals(&county).len(), 2);

    // A county database written before this version held the station's
    // event as it came, its staff in the station's row and a refusal.
    let (runtime, mut conn) = county.database("rw");
    let station: serde_json::Value = serde_json::from_str(events[pinned].get()).unwrap();
    let info = station["body"]["station"].to_string();
    runtime.block_on(async {
        for (sql, binds) in [
            (
                format!("UPDATE events SET body = $1 WHERE station = $2 AND terminal = 1 AND seq = {n}"),
                vec![events[pinned].get().to_string(), STATION.to_string()],
            ),
            (
                "UPDATE stations SET info = $1 WHERE code = $2".to_string(),
                vec![info.clone(), STATION.to_string()],
            ),
            (
                "INSERT INTO refusals (station, terminal, seq, kind, detail, body, at) \
                 VALUES ($1, 1, 1, 'conflict', '{}', $2, '2026-01-01T00:00:00+08:00')"
                    .to_string(),
                vec![STATION.to_string(), events[pinned].get().to_string()],
            ),
            ("DROP TABLE migrations".to_string(), vec![]),
        ] {
            let mut q = sqlx::query(&sql);
            for b in binds {
                q = q.bind(b);
            }
            q.execute(&mut conn).await.unwrap();
        }
    });
    drop(conn);
    drop(runtime);
    assert!(
        county_holds(&county).contains("$argon2"),
        "the old state is set up"
    );
    // Any county command opens the database, and opening it purges them.
    staff(&county, &["appeals"], 0);
    assert_no_staff_secrets(&county, "after the database was opened");
    let (status, page) = get(&format!("{}/s/{STATION}", county.url));
    assert!(status == 200 && page.contains(STATION_NAME), "{page}");
    // Nothing else changed: the chain still takes the journal's events.
    let again = upload(&county, &st, protocol::GENESIS, &events).reply();
    assert_eq!((again.acked, again.refused), (n + 1, None));
    register(st.path(), 1);
    st.sync();
    assert_eq!(county_appeals(&county).len(), 3);
    assert_no_staff_secrets(&county, "at the end");
}

/// The times `county export` gives: every `+hh:mm` offset in its JSON lines.
fn exported_offsets(county: &County) -> std::collections::BTreeSet<String> {
    let jsonl = staff(county, &["export", "--format", "jsonl"], 0);
    let mut offsets = std::collections::BTreeSet::new();
    for line in jsonl.lines() {
        let value: serde_json::Value = serde_json::from_str(line).unwrap();
        let mut stack = vec![value];
        while let Some(v) = stack.pop() {
            match v {
                serde_json::Value::String(s) => {
                    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(&s) {
                        offsets.insert(t.offset().to_string());
                    }
                }
                serde_json::Value::Array(a) => stack.extend(a),
                serde_json::Value::Object(o) => stack.extend(o.into_iter().map(|(_, v)| v)),
                _ => {}
            }
        }
    }
    offsets
}

/// The zone `county serve --time-zone` sets is the county's: kept in its
/// database, used by every later command without the flag and by a
/// server started again without it; another zone given to a staff
/// command is refused in both languages and changes nothing; `serve
/// --time-zone` changes it; a mistyped zone is refused, named.
fn the_county_keeps_its_zone(backend: Backend, name: &str) {
    let mut county = start_with(backend, name, &["--time-zone", "Asia/Urumqi"]);
    let st = Station::new(&county, 1);
    st.sync();
    let code = st.codes[0].as_str();
    staff(&county, &["accept", code], 0);
    let urumqi = std::collections::BTreeSet::from(["+06:00".to_string()]);
    assert_eq!(exported_offsets(&county), urumqi);

    // A server started again without the flag keeps the county's zone.
    county.restart_with(&[]);
    county.add_units(&["青禾县交通运输局"]);
    staff(
        &county,
        &["refer", code, "--unit", "青禾县交通运输局", "--due", "2099-12-31"],
        0,
    );
    assert_eq!(exported_offsets(&county), urumqi);

    // Another zone on a staff command: refused, in either language.
    let refused = staff(
        &county,
        &["export", "--format", "jsonl", "--time-zone", "Asia/Shanghai"],
        2,
    );
    assert!(
        refused.contains("Asia/Urumqi") && refused.contains("Asia/Shanghai") && refused.contains("时区"),
        "{refused}"
    );
    assert!(!refused.contains(code), "nothing exported: {refused}");
    let refused_en = staff(
        &county,
        &[
            "--lang",
            "en",
            "reply",
            code,
            "--text",
            "done",
            "--time-zone",
            "Asia/Shanghai",
        ],
        2,
    );
    assert!(
        refused_en.contains("Asia/Urumqi")
            && refused_en.contains("time zone")
            && refused_en.contains("serve --time-zone"),
        "{refused_en}"
    );
    assert!(
        !refused_en.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
        "{refused_en}"
    );
    let listed = county_appeals(&county);
    assert_eq!(
        listed[0]["status"], "referred",
        "the refused reply was not recorded"
    );
    // The county's own zone, named again, is no conflict.
    staff(&county, &["appeals", "--time-zone", "Asia/Urumqi"], 0);

    // A mistyped zone is refused, named, and changes nothing.
    let typo = staff(
        &county,
        &["export", "--format", "jsonl", "--time-zone", "Asia/Urumchi_"],
        2,
    );
    assert!(typo.contains("Asia/Urumchi_"), "{typo}");
    let mut serve = county.command();
    let typo = serve
        .args(["serve", "--listen", "127.0.0.1:0", "--time-zone", "Asia/Beijing"])
        .output()
        .expect("the binary runs");
    assert_eq!(typo.status.code(), Some(2), "{}", cli::printed(&typo));
    assert!(
        cli::printed(&typo).contains("Asia/Beijing"),
        "{}",
        cli::printed(&typo)
    );
    assert_eq!(exported_offsets(&county), urumqi);

    // `serve --time-zone` changes the county's zone.
    county.restart_with(&["--time-zone", "Asia/Shanghai"]);
    let shanghai = std::collections::BTreeSet::from(["+08:00".to_string()]);
    assert_eq!(exported_offsets(&county), shanghai);
    staff(&county, &["appeals", "--time-zone", "Asia/Shanghai"], 0);
}
