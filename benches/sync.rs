//! `cargo bench --bench sync`: a station's backlog of 100,000 events sent
//! to the county server over loopback, beside the floor of the same bytes
//! sent in one plain request to the same server, in the same run. Not a
//! timed test: it prints figures and asserts nothing on time.
//!
//! The station is built once under `target/bench-data/sync-100k` and
//! reused. Each run starts a county server (SQLite) on a fresh directory,
//! enrolls the station, sets its sync position back to nothing and times a
//! full sync; the floor posts the whole backlog, gzipped as the sync does,
//! in one signed request to `/v1/probe` (served with `county serve
//! --allow-probe`), which reads and discards it.

#[path = "../tests/it/support/county.rs"]
mod county;
#[path = "scale/signed.rs"]
mod signed;

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use chrono::{FixedOffset, NaiveDate, TimeZone};
use jiedai::domain::desk::{NewAppeal, Registration};
use jiedai::domain::{Category, EventBody, Route, Station, Urgency, Visitor};
use jiedai::storage::sync_state::Position;
use jiedai::storage::{Store, Writer};
use jiedai::sync::client;
use jiedai::sync::http::Client;
use jiedai::sync::protocol::{self, Credentials};

const EVENTS: u64 = 100_000;
const RUNS: usize = 3;
const CODE: &str = "330996001";

type Res<T> = Result<T, Box<dyn std::error::Error>>;

fn main() {
    if let Err(e) = run() {
        eprintln!("sync bench: {e}");
        std::process::exit(1);
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn run() -> Res<()> {
    let target = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target");
    let dir = target.join("bench-data").join("sync-100k");
    let events = prepare(&dir)?;
    let store = Store::open(&dir)?;
    let reader = store.reader();
    let (writer, thread) = Writer::spawn(store)?;
    let origin = format!("{CODE}-1");
    let all = reader.outgoing(&origin, &Position::default(), usize::MAX, usize::MAX)?;
    let mut json = Vec::with_capacity(all.bytes + 64);
    json.extend_from_slice(b"[");
    for (i, e) in all.events.iter().enumerate() {
        if i > 0 {
            json.push(b',');
        }
        json.extend_from_slice(e.raw.get().as_bytes());
    }
    json.extend_from_slice(b"]");
    let body = protocol::gzip(&json);
    println!(
        "backlog: {events} events, {:.1} MB of JSON, {:.1} MB gzipped",
        json.len() as f64 / 1e6,
        body.len() as f64 / 1e6
    );
    let mut sync_secs = Vec::new();
    let mut floor_secs = Vec::new();
    for run in 0..RUNS {
        let county = county::County::start_with(None, &["--allow-probe"], None);
        let creds_path = dir.with_extension(format!("creds-{run}.toml"));
        county.enroll(CODE, "基准站", &creds_path);
        let creds: Credentials = toml::from_str(&std::fs::read_to_string(&creds_path)?)?;
        std::fs::write(
            jiedai::sync::credentials::credentials_path(&dir),
            toml::to_string(&creds)?,
        )?;
        // Floor: the same bytes in one request.
        let t = Instant::now();
        probe(&creds, &body)?;
        floor_secs.push(t.elapsed().as_secs_f64());
        reader.sync_state()?.set_position(&Position::default())?;
        let client = Client::new(creds)?;
        let stop = AtomicBool::new(false);
        let t = Instant::now();
        let report = client::sync_once(&reader, &writer, &client, &|_| {}, &stop)?;
        let secs = t.elapsed().as_secs_f64();
        sync_secs.push(secs);
        assert_eq!(report.sent, events, "the whole backlog was sent");
        println!(
            "run {}: sync {:.2} s ({:.0} events/s), one plain request {:.2} s",
            run + 1,
            secs,
            events as f64 / secs,
            floor_secs[run]
        );
    }
    drop(writer);
    thread.finish();
    let (sync, floor) = (median(sync_secs), median(floor_secs));
    let line = format!(
        "sync of {events} events over loopback (SQLite county), median of {RUNS}: {sync:.2} s = {:.0} events/s; the same bytes in one plain request: {floor:.2} s; ratio {:.1}x",
        events as f64 / sync,
        sync / floor
    );
    println!("{line}");
    std::fs::write(target.join("bench-sync.txt"), line + "\n")?;
    Ok(())
}

/// One signed request carrying `body` to the server's probe.
fn probe(creds: &Credentials, body: &[u8]) -> Res<()> {
    signed::post(&signed::agent(), creds, protocol::PATH_PROBE, body)?;
    Ok(())
}

/// The station with its backlog: built once, reused.
fn prepare(dir: &Path) -> Res<u64> {
    if let Ok(store) = Store::open(dir)
        && store.reader().own_seq()? >= EVENTS
    {
        return Ok(store.reader().own_seq()?);
    }
    let _ = std::fs::remove_dir_all(dir);
    println!("building a station with {EVENTS} events (once)…");
    let mut store = Store::create(dir, CODE, 1)?;
    let tz = FixedOffset::east_opt(8 * 3600).unwrap();
    let station = jiedai::commands::init::read_station(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sample-data/station.toml"),
    )?;
    let station = Station {
        code: CODE.into(),
        ..station
    };
    store.commit_at(
        "bench",
        tz.with_ymd_and_hms(2026, 1, 10, 8, 0, 0).unwrap(),
        vec![EventBody::StationConfigured { station }],
    )?;
    let mut day = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    let mut i = 0u64;
    while store.reader().own_seq()? < EVENTS {
        // 50 registrations a day (each a visit and its appeal), one commit.
        let at = tz
            .from_local_datetime(&day.and_hms_opt(9, 0, 0).unwrap())
            .unwrap();
        let codes = store.next_codes(day, 100)?;
        let mut changes = Vec::new();
        for pair in codes.chunks(2) {
            i += 1;
            let registration = Registration {
                visitor: Visitor {
                    name: format!("群众{i}"),
                    phone: format!("139{:08}", i),
                    id_number: String::new(),
                    address: format!("柳岸路{}号", i % 200),
                },
                group_size: 1,
                deputies: Vec::new(),
                appeals: vec![NewAppeal {
                    category: Category::ALL[(i as usize) % Category::ALL.len()],
                    title: format!("第{i}号诉求：小区门口停车难"),
                    content: format!("诉求内容 {i}：晚上车辆乱停，消防通道被占，希望有关部门加强管理。"),
                    location: "柳岸社区".into(),
                    urgency: Urgency::ALL[(i as usize) % Urgency::ALL.len()],
                    route: Route::Referred,
                }],
            };
            let keys = vec![jiedai::storage::new_access_key()?];
            changes.extend(
                jiedai::domain::desk::register(registration, pair, &keys, at)
                    .map_err(|e| e.message(jiedai::i18n::Lang::En))?,
            );
        }
        store.commit_at("bench", at, changes)?;
        day = day.succ_opt().unwrap();
    }
    drop(store);
    let store = Store::open(dir)?;
    Ok(store.reader().own_seq()?)
}
