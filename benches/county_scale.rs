//! `cargo bench --bench county_scale --features county [-- --scale 1m]
//! [--stations N] [--pg] [--no-sqlite] [--keep]`: the county at scale. Stations
//! (200 by default, 2,000 with `--scale 1m`) each send one nightly batch of
//! 500 events (500 new appeals: 100,000 or 1,000,000 in all) to one county
//! server over loopback, signed as the stations' sync signs them, from 4
//! client threads; then `county appeals` and `county export` in each
//! format run over the full county. Each figure is printed beside a floor
//! measured in the same run:
//!
//! - ingest (events/s, and the wall time of every station's batch) beside
//!   benches/ingest_floor.py, python3 putting the same events into SQLite
//!   (inserts alone; and the same work: JSON parse, SHA-256 chain, upsert
//!   of the appeals);
//! - `county appeals` (all, and one station's) and `county export` (time
//!   and peak memory) beside the `sqlite3` CLI (psql on PostgreSQL)
//!   reading the same table;
//! - the county database's size beside the CSV export's.
//!
//! The server and the commands are the binary named by `JIEDAI_BENCH_BIN`
//! (default target/release/jiedai), so the same harness measures an older
//! build and the new one. SQLite by default; `--pg` adds PostgreSQL (a
//! temporary server, started as benches/console.rs starts it). Figures go
//! to stdout and target/bench-county-<label>.txt; progress to stderr. The
//! county's directory is removed after the run (`--keep` keeps it).

#[path = "../tests/it/support/postgres.rs"]
mod postgres;
#[path = "scale/proc.rs"]
mod proc;
#[path = "scale/signed.rs"]
mod signed;

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::{Days, FixedOffset, NaiveDate, TimeZone};
use jiedai::domain::{Appeal, Category, Event, EventBody, EventId, TrackingCode, Urgency, Visitor};
use jiedai::sync::protocol::{self, Credentials, GENESIS, Upload};
use serde_json::value::RawValue;

use proc::{Report, Res, bench_bin, bench_label, disk_size, has_flag, mb, progress, run_ok};

const EVENTS_PER_STATION: usize = 500;
const CLIENTS: usize = 4;

fn main() {
    if let Err(e) = main_run() {
        eprintln!("county bench: {e}");
        std::process::exit(1);
    }
}

fn station_count() -> usize {
    if let Some(n) = proc::flag_value("--stations").and_then(|v| v.parse().ok()) {
        return n;
    }
    if proc::flag_value("--scale").as_deref() == Some("1m") {
        2_000
    } else {
        200
    }
}

/// The `i`th station's code: 999 stations to a county code.
fn station_code(i: usize) -> String {
    format!("{:06}{:03}", 330_901 + i / 999, i % 999 + 1)
}

const TITLES: [&str; 8] = [
    "小区门口停车难",
    "路灯损坏多日无人修",
    "老旧小区加装电梯进度慢",
    "夜间施工噪音扰民",
    "雨后路面积水严重",
    "公交班次太少",
    "垃圾分类设施不足",
    "社区卫生站缺医生",
];

/// A fixed access key per appeal, in the form the station issues.
fn access_key(station: usize, i: usize) -> String {
    let mut bytes = [0u8; jiedai::domain::public::KEY_BYTES];
    let seed = ((station as u64) << 32 | i as u64).to_le_bytes();
    for (j, b) in bytes.iter_mut().enumerate() {
        *b = seed[j % 8] ^ (j as u8).wrapping_mul(151);
    }
    jiedai::domain::public::access_key(&bytes)
}

/// Every station's batch as a file of `STATION<TAB>EVENT` lines, made once.
fn events_file(root: &Path, stations: usize) -> Res<PathBuf> {
    let path = root.join(format!("events-{stations}.tsv"));
    let done = path.with_extension("tsv.ok");
    if path.exists() && done.exists() && !has_flag("--fresh") {
        return Ok(path);
    }
    progress(&format!(
        "writing {} ({} events, once)",
        path.display(),
        stations * EVENTS_PER_STATION
    ));
    let tz = FixedOffset::east_opt(8 * 3600).ok_or("tz")?;
    let first = NaiveDate::from_ymd_opt(2026, 1, 5).ok_or("date")?;
    let mut out = std::io::BufWriter::new(fs::File::create(&path)?);
    for s in 0..stations {
        let code = station_code(s);
        for i in 0..EVENTS_PER_STATION {
            // Ten appeals a reception day, two days a month.
            let day = first + Days::new((i / 10 * 15) as u64 % 700);
            let at = tz
                .from_local_datetime(&day.and_hms_opt(9, (i % 10 * 5) as u32, 0).ok_or("time")?)
                .single()
                .ok_or("time")?;
            let n = i % 10 + 1;
            let title = TITLES[(s + i) % TITLES.len()];
            let appeal = Appeal {
                visitor: Visitor {
                    name: format!("来访人{}", i % 97),
                    phone: format!("139{:08}", (s * 1000 + i) % 100_000_000),
                    id_number: String::new(),
                    address: format!("柳岸路{}号", i % 200),
                },
                category: Category::ALL[(s + i) % Category::ALL.len()],
                title: title.into(),
                content: format!(
                    "{title}。该问题已持续{}个月，居民多次向物业反映未果，希望有关部门尽快实地查看并给出解决方案。",
                    i % 11 + 2
                ),
                location: "柳岸社区".into(),
                urgency: Urgency::ALL[i % Urgency::ALL.len()],
                access_key: access_key(s, i),
                ..Appeal::registered(TrackingCode::new(day, &code, 1, n as u32)?, at)
            };
            let event = Event {
                id: EventId {
                    origin: format!("{code}-1"),
                    seq: i as u64 + 1,
                },
                at,
                actor: "沈佳怡".into(),
                body: EventBody::AppealRegistered { appeal },
            };
            writeln!(out, "{code}\t{}", serde_json::to_string(&event)?)?;
        }
    }
    out.flush()?;
    fs::write(&done, "")?;
    Ok(path)
}

/// Each station's batch: (station, its events' bytes).
fn batches(path: &Path) -> Res<Vec<(String, Vec<Box<RawValue>>)>> {
    let mut out: Vec<(String, Vec<Box<RawValue>>)> = Vec::new();
    for line in BufReader::new(fs::File::open(path)?).lines() {
        let line = line?;
        let (code, raw) = line.split_once('\t').ok_or("bad line")?;
        let raw = RawValue::from_string(raw.to_string())?;
        match out.last_mut() {
            Some((c, events)) if c == code => events.push(raw),
            _ => out.push((code.to_string(), vec![raw])),
        }
    }
    Ok(out)
}

/// The database under measure.
struct Kind {
    name: &'static str,
    /// `--db` (None: SQLite in the county directory).
    db: Option<String>,
    /// psql and its connection arguments, for PostgreSQL's floor.
    psql: Option<(PathBuf, Vec<String>)>,
}

fn county(dir: &Path, kind: &Kind) -> Command {
    let mut c = Command::new(bench_bin());
    c.env("TZ", "UTC").arg("--data").arg(dir).arg("county");
    if let Some(db) = &kind.db {
        c.arg("--db").arg(db);
    }
    c
}

/// `county serve` on a free port: the child and its URL.
fn serve(dir: &Path, kind: &Kind) -> Res<(Child, String)> {
    let mut child = county(dir, kind)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines();
        let _ = tx.send(lines.next().and_then(Result::ok));
        for _ in lines {}
    });
    let line = rx
        .recv_timeout(Duration::from_secs(120))?
        .ok_or("the county server said nothing")?;
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .ok_or_else(|| format!("no URL in {line:?}"))?
        .to_string();
    Ok((child, url))
}

fn stop(mut child: Child) {
    // SAFETY: our own child.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let _ = child.wait();
}

/// Enrolls every station (`county enroll`, two at a time).
fn enroll(dir: &Path, kind: &Kind, url: &str, codes: &[String]) -> Res<Vec<Credentials>> {
    let creds_dir = dir.join("bench-creds");
    fs::create_dir_all(&creds_dir)?;
    let next = AtomicUsize::new(0);
    let failed = std::sync::Mutex::new(None::<String>);
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(code) = codes.get(i) else { break };
                    let out = county(dir, kind)
                        .args([
                            "enroll",
                            "--station",
                            code,
                            "--name",
                            &format!("联络站{i}"),
                            "--url",
                            url,
                        ])
                        .arg("--out")
                        .arg(creds_dir.join(format!("{code}.toml")))
                        .output();
                    match out {
                        Ok(o) if o.status.success() => {}
                        Ok(o) => {
                            *failed.lock().unwrap() = Some(String::from_utf8_lossy(&o.stderr).into_owned());
                            break;
                        }
                        Err(e) => {
                            *failed.lock().unwrap() = Some(e.to_string());
                            break;
                        }
                    }
                    if i % 200 == 199 {
                        progress(&format!("enrolled {} stations", i + 1));
                    }
                }
            });
        }
    });
    if let Some(why) = failed.into_inner()? {
        return Err(format!("county enroll: {why}").into());
    }
    codes
        .iter()
        .map(|code| {
            let text = fs::read_to_string(creds_dir.join(format!("{code}.toml")))?;
            Ok(toml::from_str(&text)?)
        })
        .collect()
}

/// One signed upload; its wall time in ms.
fn upload(agent: &ureq::Agent, creds: &Credentials, body: &[u8]) -> Res<f64> {
    let t = Instant::now();
    signed::post(agent, creds, protocol::PATH_UPLOAD, body)?;
    Ok(t.elapsed().as_secs_f64() * 1000.0)
}

fn main_run() -> Res<()> {
    let bin = proc::checked_bin()?;
    let label = bench_label();
    let stations = station_count();
    let root = proc::target_dir().join("bench-data").join("county");
    fs::create_dir_all(&root)?;
    let events = events_file(&root, stations)?;
    let total = stations * EVENTS_PER_STATION;
    let mut rep = Report::new();
    rep.line(format!(
        "# jiedai county at scale — binary {} ({label}): {stations} stations x {EVENTS_PER_STATION} events = {total} appeals",
        bin.display()
    ));
    rep.line(proc::started_line());

    // The python floor, on the same events.
    progress("python floor: inserts alone, then the same work");
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/ingest_floor.py");
    let scratch = root.join(format!("floor-{label}.db"));
    let floor = |mode: &str| -> Res<f64> {
        let out = Command::new("python3")
            .arg(&script)
            .arg(&events)
            .arg(&scratch)
            .arg(mode)
            .output()?;
        if !out.status.success() {
            return Err(format!("ingest_floor.py: {}", String::from_utf8_lossy(&out.stderr)).into());
        }
        let v: serde_json::Value = serde_json::from_slice(&out.stdout)?;
        Ok(v["per_sec"].as_f64().unwrap_or(f64::NAN))
    };
    let floor_inserts = floor("inserts")?;
    let floor_work = floor("work")?;
    for suffix in ["", "-wal", "-shm"] {
        let _ = fs::remove_file(format!("{}{suffix}", scratch.display()));
    }

    let mut kinds = Vec::new();
    if !has_flag("--no-sqlite") {
        kinds.push(Kind {
            name: "SQLite",
            db: None,
            psql: None,
        });
    }
    let pg = if has_flag("--pg") {
        let pg = postgres::Postgres::start();
        let url = pg.url(&format!("bench_{}", std::process::id()));
        let db = url
            .split('/')
            .nth(3)
            .and_then(|s| s.split('?').next())
            .unwrap_or("bench")
            .to_string();
        kinds.push(Kind {
            name: "PostgreSQL",
            db: Some(url),
            psql: Some((
                psql_bin()?,
                vec![
                    "-h".into(),
                    pg.socket_dir().display().to_string(),
                    "-U".into(),
                    "postgres".into(),
                    "-d".into(),
                    db,
                ],
            )),
        });
        Some(pg)
    } else {
        None
    };
    let all = batches(&events)?;
    for kind in &kinds {
        one_county(&mut rep, &root, &label, kind, &all, floor_inserts, floor_work)?;
    }
    if let Some(pg) = pg {
        pg.stop();
    }
    rep.line(format!("load average at the end: {}", proc::loadavg()));
    rep.write(&proc::target_dir().join(format!("bench-county-{label}.txt")))?;
    Ok(())
}

/// psql beside initdb (PATH or /usr/lib/postgresql/*/bin).
fn psql_bin() -> Res<PathBuf> {
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            if dir.join("psql").is_file() && dir.join("initdb").is_file() {
                return Ok(dir.join("psql"));
            }
        }
    }
    let mut v: Vec<PathBuf> = fs::read_dir("/usr/lib/postgresql")?
        .flatten()
        .map(|e| e.path().join("bin/psql"))
        .filter(|p| p.is_file())
        .collect();
    v.sort();
    v.pop().ok_or_else(|| "psql not found".into())
}

fn one_county(
    rep: &mut Report,
    root: &Path,
    label: &str,
    kind: &Kind,
    all: &[(String, Vec<Box<RawValue>>)],
    floor_inserts: f64,
    floor_work: f64,
) -> Res<()> {
    let dir = root.join(format!(
        "county-{}-{label}-{}",
        all.len(),
        kind.name.to_lowercase()
    ));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir)?;
    let total: usize = all.iter().map(|(_, e)| e.len()).sum();
    progress(&format!("{}: starting the county server", kind.name));
    let (child, url) = serve(&dir, kind)?;
    let codes: Vec<String> = all.iter().map(|(c, _)| c.clone()).collect();
    progress(&format!("{}: enrolling {} stations", kind.name, codes.len()));
    let creds = match enroll(&dir, kind, &url, &codes) {
        Ok(c) => c,
        Err(e) => {
            stop(child);
            return Err(e);
        }
    };
    // Bodies made before the clock starts, as each station's sync makes its own.
    let bodies: Vec<Vec<u8>> = all
        .iter()
        .map(|(_, events)| {
            let upload = Upload {
                terminal: 1,
                generation: 0,
                prev: GENESIS.to_string(),
                events: events.clone(),
                attested: Vec::new(),
            };
            serde_json::to_vec(&upload).map(|json| protocol::gzip(&json))
        })
        .collect::<Result<_, _>>()?;
    progress(&format!(
        "{}: {} stations send their batches",
        kind.name,
        all.len()
    ));
    let next = AtomicUsize::new(0);
    let lat = std::sync::Mutex::new(Vec::new());
    let err = std::sync::Mutex::new(None::<String>);
    let t = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..CLIENTS {
            s.spawn(|| {
                let agent = signed::agent();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(body) = bodies.get(i) else { break };
                    match upload(&agent, &creds[i], body) {
                        Ok(ms) => lat.lock().unwrap().push(ms),
                        Err(e) => {
                            *err.lock().unwrap() = Some(format!("station {}: {e}", creds[i].station));
                            break;
                        }
                    }
                }
            });
        }
    });
    let wall = t.elapsed().as_secs_f64();
    stop(child);
    if let Some(e) = err.into_inner()? {
        return Err(e.into());
    }
    let rate = total as f64 / wall;
    let (lat_med, lat_p99) = proc::stats(&lat.into_inner()?);
    rep.line(String::new());
    rep.line(format!(
        "## {} — {} stations, {total} events",
        kind.name,
        all.len()
    ));
    rep.line("| figure | this build | floor | ratio |".to_string());
    rep.line("|---|---|---|---|".to_string());
    rep.row(
        "ingest, events/s (floor / figure)",
        &format!("{rate:.0} events/s"),
        &format!("python3 + sqlite3, the same work: {floor_work:.0}/s"),
        floor_work / rate,
        Some(1.0),
    );
    rep.row(
        "ingest against inserts alone",
        &format!("{rate:.0} events/s"),
        &format!("python3 + sqlite3, inserts alone: {floor_inserts:.0}/s"),
        floor_inserts / rate,
        None,
    );
    rep.row(
        &format!("{} stations' nightly batches, {CLIENTS} at a time", all.len()),
        &format!("{wall:.1} s wall (a batch: median {lat_med:.0} ms, p99 {lat_p99:.0} ms)"),
        "target 60 s",
        wall / 60.0,
        Some(1.0),
    );

    // Lists and exports over the whole county.
    let long = Duration::from_secs(3600);
    let scratch = dir.join("bench-out");
    let floor_query = |sql: &str, csv: bool| -> Res<proc::Run> {
        let mut c = match &kind.psql {
            None => {
                let mut c = Command::new("sqlite3");
                if csv {
                    c.arg("-csv");
                }
                c.arg(dir.join("county.db")).arg(sql);
                c
            }
            Some((psql, args)) => {
                let mut c = Command::new(psql);
                c.args(args);
                if csv {
                    c.arg("-c").arg(format!("COPY ({sql}) TO STDOUT CSV"));
                } else {
                    c.args(["-A", "-c", sql]);
                }
                c
            }
        };
        run_ok(&mut c, Some(&scratch), long)
    };
    let shown = |r: &proc::Run| format!("{:.2} s, {:.0} MB", r.secs, r.peak_mb);
    progress(&format!("{}: county appeals", kind.name));
    let list = run_ok(county(&dir, kind).arg("appeals"), Some(&scratch), long)?;
    let list_lines = fs::read_to_string(&scratch).map_or(0, |t| t.lines().count());
    let floor = floor_query("SELECT * FROM appeals", false)?;
    rep.row(
        "county appeals (all), time",
        &format!("{} peak ({list_lines} lines)", shown(&list)),
        &format!("the same SELECT in {}: {}", floor_tool(kind), shown(&floor)),
        list.secs / floor.secs,
        None,
    );
    rep.row(
        "county appeals (all), peak memory",
        &format!("{:.0} MB", list.peak_mb),
        "target 50 MB",
        list.peak_mb / 50.0,
        Some(1.0),
    );
    let one = &all[all.len() / 2].0;
    let list = run_ok(
        county(&dir, kind).args(["appeals", "--station", one]),
        Some(&scratch),
        long,
    )?;
    let floor = floor_query(&format!("SELECT * FROM appeals WHERE station = '{one}'"), false)?;
    rep.row(
        "county appeals --station (one station)",
        &shown(&list),
        &format!("the same SELECT: {}", shown(&floor)),
        list.secs / floor.secs,
        None,
    );
    let csv_floor = floor_query("SELECT * FROM appeals", true)?;
    let mut csv_size = 0;
    for format in ["csv", "jsonl", "xlsx"] {
        progress(&format!("{}: county export --format {format}", kind.name));
        let out = dir.join(format!("bench-export.{format}"));
        let r = run_ok(
            county(&dir, kind)
                .args(["export", "--format", format, "--out"])
                .arg(&out),
            None,
            long,
        )?;
        let size = disk_size(&out);
        if format == "csv" {
            csv_size = size;
        }
        rep.row(
            &format!("county export --format {format}"),
            &format!("{} peak, {:.0} MB", shown(&r), mb(size)),
            &format!("{} CSV of the table: {}", floor_tool(kind), shown(&csv_floor)),
            r.secs / csv_floor.secs,
            None,
        );
        rep.row(
            &format!("county export --format {format}, peak memory"),
            &format!("{:.0} MB", r.peak_mb),
            "target 50 MB",
            r.peak_mb / 50.0,
            Some(1.0),
        );
        let _ = fs::remove_file(&out);
    }
    let db_size = match &kind.psql {
        None => ["county.db", "county.db-wal", "county.db-shm"]
            .iter()
            .map(|f| disk_size(&dir.join(f)))
            .sum(),
        Some((psql, args)) => {
            let out = Command::new(psql)
                .args(args)
                .args(["-A", "-t", "-c", "SELECT pg_database_size(current_database())"])
                .output()?;
            String::from_utf8_lossy(&out.stdout).trim().parse().unwrap_or(0)
        }
    };
    rep.row(
        "county database on disk",
        &format!("{:.0} MB", mb(db_size)),
        &format!("the CSV export {:.0} MB", mb(csv_size)),
        db_size as f64 / csv_size as f64,
        Some(2.0),
    );
    let _ = fs::remove_file(&scratch);
    if !has_flag("--keep") {
        fs::remove_dir_all(&dir)?;
    }
    Ok(())
}

fn floor_tool(kind: &Kind) -> &'static str {
    if kind.psql.is_some() { "psql" } else { "sqlite3" }
}
