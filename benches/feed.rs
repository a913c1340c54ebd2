//! `cargo bench --bench feed`: the station's feed over loopback, for a
//! station of 5 terminals and 100,000 appeals (20,000 registered on each
//! terminal), from empty to caught up, in events per second, beside the
//! floor of the upload's rate measured in the same run (the same events,
//! the other way). Not a timed test: it prints figures and asserts nothing
//! on time.
//!
//! The five terminals of station 330996002 are built once under
//! `target/bench-data/feed-5x20k/terminal-N` and reused; each holds the
//! station's configuration, one deputy and its 20,000 appeals under its own
//! codes, and has never synced. Each run copies them to a fresh directory
//! beside them, starts a county server (SQLite) on a fresh directory,
//! enrolls the station once and gives every terminal the same credentials.
//! Then, with the library's `sync_once`:
//!
//! 1. round 1: each terminal syncs once, in turn (1..=5). A sync uploads
//!    first and then takes the feed; the two are timed apart (the end of
//!    the upload is the sync's last progress report of the upload, which
//!    comes once the county acknowledged everything). The upload's rate is
//!    the floor. The feed part of round 1 already carries the marks of the
//!    terminal's own events and the events of the terminals that synced
//!    before it: terminal 5 is caught up here.
//! 2. round 2 (catch-up): each syncs again; the county holds everything and
//!    each terminal takes the rest of the feed.
//!
//! Figures are medians over the runs (3, or 1 when the first run takes more
//! than 5 minutes); opening the stores and copying them is not timed.
//! Beside each phase's wall time, the CPU time the county server and this
//! process (the sync, its requests, the store's writer) spent in it, from
//! /proc, says which side bounds it. A sync's final look for anything left
//! to send (a journal scan from the last acknowledged own event) falls in
//! its feed time. Figures go to stdout and to `target/bench-feed.txt`.

#[path = "../tests/it/support/county.rs"]
mod county;

use std::cell::Cell;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use chrono::{FixedOffset, NaiveDate, TimeZone};
use jiedai::domain::{
    Appeal, Category, Deputy, DeputyRef, EventBody, Level, Route, Station, Urgency, Visitor,
};
use jiedai::jobs::sync::SyncProgress;
use jiedai::storage::{Store, Writer};
use jiedai::sync::client;
use jiedai::sync::http::Client;
use jiedai::sync::protocol::Credentials;

const CODE: &str = "330996002";
const TERMINALS: u8 = 5;
/// Appeals registered on each terminal.
const APPEALS: u64 = 20_000;
/// Each terminal's own events: the station's configuration, the deputy,
/// the appeals.
const OWN_EVENTS: u64 = APPEALS + 2;
/// Of those, the ones the county puts in the station's feed: all but the
/// terminal's configuration (`county::ingest`).
const FED_EVENTS: u64 = OWN_EVENTS - 1;
/// Appeals per commit (one registration day).
const BATCH: usize = 500;
const RUNS: usize = 3;
/// A first run longer than this is the only run.
const LONG_RUN_SECS: f64 = 300.0;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

fn main() {
    if let Err(e) = run() {
        eprintln!("feed bench: {e}");
        std::process::exit(1);
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

/// What one terminal's sync did, and how long each part took.
#[derive(Clone, Copy, Default)]
struct Timed {
    sent: u64,
    received: u64,
    /// From the sync's start to the county's last acknowledgement.
    upload_secs: f64,
    /// From there to the end: taking the feed.
    feed_secs: f64,
    /// CPU seconds of the county server and of this process (the sync,
    /// its requests and the store's writer) while uploading, and while
    /// taking the feed.
    upload_cpu: Cpu,
    feed_cpu: Cpu,
}

/// CPU seconds (user and system) of the county server and of this process.
#[derive(Clone, Copy, Default)]
struct Cpu {
    server: f64,
    here: f64,
}

impl std::ops::Add for Cpu {
    type Output = Cpu;
    fn add(self, o: Cpu) -> Cpu {
        Cpu {
            server: self.server + o.server,
            here: self.here + o.here,
        }
    }
}

impl std::ops::Sub for Cpu {
    type Output = Cpu;
    fn sub(self, o: Cpu) -> Cpu {
        Cpu {
            server: self.server - o.server,
            here: self.here - o.here,
        }
    }
}

impl Cpu {
    /// The CPU time used so far by the server `server` and by this process.
    fn now(server: u32) -> Cpu {
        Cpu {
            server: cpu_secs(&server.to_string()),
            here: cpu_secs("self"),
        }
    }
}

/// The CPU seconds process `pid` ("self": this one) has used so far, from
/// /proc (0 where it cannot be read).
fn cpu_secs(pid: &str) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    // SAFETY: sysconf only reads a system setting.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    // utime and stime are fields 14 and 15, the 12th and 13th after the
    // command's closing parenthesis.
    stat.rsplit_once(')')
        .map(|(_, rest)| {
            rest.split_whitespace()
                .skip(11)
                .take(2)
                .filter_map(|f| f.parse::<f64>().ok())
                .sum::<f64>()
                / ticks
        })
        .unwrap_or(0.0)
}

impl Timed {
    fn secs(&self) -> f64 {
        self.upload_secs + self.feed_secs
    }
}

/// One run: each terminal's syncs of round 1 and round 2 (index 0 is
/// terminal 1), and terminal 5's journal and db sizes after catching up.
struct Run {
    rounds: [Vec<Timed>; 2],
    journal_bytes: u64,
    db_bytes: u64,
}

impl Run {
    /// Events uploaded and the seconds spent uploading, over all syncs.
    fn upload(&self) -> (u64, f64) {
        self.all()
            .fold((0, 0.0), |(n, s), t| (n + t.sent, s + t.upload_secs))
    }

    /// Events taken from the feed and the seconds spent taking them.
    fn feed(&self) -> (u64, f64) {
        self.all()
            .fold((0, 0.0), |(n, s), t| (n + t.received, s + t.feed_secs))
    }

    /// Terminal `i`'s feed over both rounds (index 0 is terminal 1).
    fn terminal_feed(&self, i: usize) -> (u64, f64) {
        let (a, b) = (self.rounds[0][i], self.rounds[1][i]);
        (a.received + b.received, a.feed_secs + b.feed_secs)
    }

    /// CPU seconds while uploading and while taking the feed, over all syncs.
    fn cpu(&self) -> (Cpu, Cpu) {
        self.all().fold((Cpu::default(), Cpu::default()), |(u, f), t| {
            (u + t.upload_cpu, f + t.feed_cpu)
        })
    }

    fn all(&self) -> impl Iterator<Item = &Timed> {
        self.rounds.iter().flatten()
    }
}

/// The report, printed as it is written and kept for the file.
#[derive(Default)]
struct Report(String);

impl Report {
    fn line(&mut self, line: impl AsRef<str>) {
        println!("{}", line.as_ref());
        let _ = writeln!(self.0, "{}", line.as_ref());
    }
}

fn rate(events: u64, secs: f64) -> f64 {
    if secs > 0.0 { events as f64 / secs } else { 0.0 }
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}

fn run() -> Res<()> {
    let started = Instant::now();
    let target = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target");
    let data = target.join("bench-data");
    let prepared = data.join("feed-5x20k");
    prepare(&prepared)?;
    let mut out = Report::default();
    out.line(format!(
        "feed bench: station {CODE}, {TERMINALS} terminals × {OWN_EVENTS} events ({APPEALS} appeals, the station's configuration, one deputy), SQLite county over loopback; the county relays all but each terminal's configuration: a feed of {} events, {FED_EVENTS} of each terminal",
        FED_EVENTS * TERMINALS as u64
    ));
    let mut runs = Vec::new();
    while runs.len() < RUNS {
        let t = Instant::now();
        let run = run_once(&prepared, &data)?;
        let secs = t.elapsed().as_secs_f64();
        let ((up, up_s), (fed, fed_s)) = (run.upload(), run.feed());
        out.line(format!(
            "run {}: upload {up} events in {up_s:.2} s ({:.0}/s), feed {fed} events in {fed_s:.2} s ({:.0}/s); the run took {secs:.0} s",
            runs.len() + 1,
            rate(up, up_s),
            rate(fed, fed_s),
        ));
        runs.push(run);
        if runs.len() == 1 && secs > LONG_RUN_SECS {
            out.line(format!(
                "the first run took more than {LONG_RUN_SECS:.0} s: it is the only run"
            ));
            break;
        }
    }
    summarize(&mut out, &runs);
    let (journal, db) = sizes(&prepared.join(format!("terminal-{TERMINALS}")))?;
    let last = &runs[runs.len() - 1];
    out.line(format!(
        "terminal {TERMINALS} after catching up (last run): journal {:.1} MB, db {:.1} MB (as built, before any sync: journal {:.1} MB, db {:.1} MB)",
        mb(last.journal_bytes),
        mb(last.db_bytes),
        mb(journal),
        mb(db),
    ));
    out.line(format!(
        "the bench took {:.0} s ({} run{})",
        started.elapsed().as_secs_f64(),
        runs.len(),
        if runs.len() == 1 { "" } else { "s" }
    ));
    std::fs::write(target.join("bench-feed.txt"), &out.0)
        .map_err(|e| format!("writing {}: {e}", target.join("bench-feed.txt").display()))?;
    Ok(())
}

/// The tables of medians over `runs`.
fn summarize(out: &mut Report, runs: &[Run]) {
    let n = runs.len();
    // The median of `f` over the runs, of terminal `i` in `round`.
    let med = |round: usize, i: usize, f: fn(&Timed) -> f64| {
        median(runs.iter().map(|r| f(&r.rounds[round][i])).collect())
    };
    out.line(format!("medians of {n} run(s):"));
    out.line(
        "round 1, each terminal syncs once in turn; its upload, then the feed in the same sync (marks of its own events and the events of the terminals before it):",
    );
    out.line(format!(
        "  {:>8} {:>7} {:>9} {:>10} {:>9} {:>7} {:>10}",
        "terminal", "sent", "upload s", "upload/s", "received", "feed s", "feed/s"
    ));
    for i in 0..TERMINALS as usize {
        out.line(format!(
            "  {:>8} {:>7.0} {:>9.2} {:>10.0} {:>9.0} {:>7.2} {:>10.0}",
            i + 1,
            med(0, i, |t| t.sent as f64),
            med(0, i, |t| t.upload_secs),
            med(0, i, |t| rate(t.sent, t.upload_secs)),
            med(0, i, |t| t.received as f64),
            med(0, i, |t| t.feed_secs),
            med(0, i, |t| rate(t.received, t.feed_secs)),
        ));
    }
    out.line("round 2 (catch-up), each terminal syncs again; the county holds everything:");
    out.line(format!(
        "  {:>8} {:>7} {:>9} {:>7} {:>10} {:>7}",
        "terminal", "sent", "received", "feed s", "feed/s", "sync s"
    ));
    for i in 0..TERMINALS as usize {
        out.line(format!(
            "  {:>8} {:>7.0} {:>9.0} {:>7.2} {:>10.0} {:>7.2}",
            i + 1,
            med(1, i, |t| t.sent as f64),
            med(1, i, |t| t.received as f64),
            med(1, i, |t| t.feed_secs),
            med(1, i, |t| rate(t.received, t.feed_secs)),
            med(1, i, Timed::secs),
        ));
    }
    out.line("each terminal from empty to caught up (both rounds):");
    out.line(format!(
        "  {:>8} {:>9} {:>7} {:>10} {:>14}",
        "terminal", "received", "feed s", "feed/s", "both syncs s"
    ));
    for i in 0..TERMINALS as usize {
        let of = |f: fn(&Run, usize) -> f64| median(runs.iter().map(|r| f(r, i)).collect());
        out.line(format!(
            "  {:>8} {:>9.0} {:>7.2} {:>10.0} {:>14.2}",
            i + 1,
            of(|r, i| r.terminal_feed(i).0 as f64),
            of(|r, i| r.terminal_feed(i).1),
            of(|r, i| {
                let (n, s) = r.terminal_feed(i);
                rate(n, s)
            }),
            of(|r, i| r.rounds[0][i].secs() + r.rounds[1][i].secs()),
        ));
    }
    let of = |f: &dyn Fn(&Run) -> f64| median(runs.iter().map(f).collect());
    let up_n = of(&|r| r.upload().0 as f64);
    let up_s = of(&|r| r.upload().1);
    let up_rate = of(&|r| rate(r.upload().0, r.upload().1));
    let feed_n = of(&|r| r.feed().0 as f64);
    let feed_s = of(&|r| r.feed().1);
    let feed_rate = of(&|r| rate(r.feed().0, r.feed().1));
    let ratio = of(&|r| rate(r.feed().0, r.feed().1) / rate(r.upload().0, r.upload().1));
    out.line(format!(
        "overall: the feed {feed_n:.0} events in {feed_s:.2} s = {feed_rate:.0} events/s; the upload (floor) {up_n:.0} events in {up_s:.2} s = {up_rate:.0} events/s; feed rate ÷ upload rate = {ratio:.2}"
    ));
    // Where the time goes: each side's CPU per event, beside the wall time.
    let per = |n: f64, secs: f64| if n > 0.0 { secs / n * 1e6 } else { 0.0 };
    let up_cpu = (of(&|r| r.cpu().0.server), of(&|r| r.cpu().0.here));
    let feed_cpu = (of(&|r| r.cpu().1.server), of(&|r| r.cpu().1.here));
    out.line(format!(
        "CPU, county server / this process (sync, requests, store writer): upload {:.2} s / {:.2} s ({:.0} / {:.0} µs an event, wall {:.0} µs); feed {:.2} s / {:.2} s ({:.0} / {:.0} µs an event, wall {:.0} µs)",
        up_cpu.0,
        up_cpu.1,
        per(up_n, up_cpu.0),
        per(up_n, up_cpu.1),
        per(up_n, up_s),
        feed_cpu.0,
        feed_cpu.1,
        per(feed_n, feed_cpu.0),
        per(feed_n, feed_cpu.1),
        per(feed_n, feed_s),
    ));
    // Terminal 5 syncs last in round 1 and takes the whole feed there.
    let last = TERMINALS as usize - 1;
    out.line(format!(
        "terminal {TERMINALS} from empty to caught up: {:.2} s (its upload {:.2} s, then {:.0} events from the feed in {:.2} s; round 2's sync, which finds nothing more, {:.2} s)",
        med(0, last, Timed::secs),
        med(0, last, |t| t.upload_secs),
        med(0, last, |t| t.received as f64),
        med(0, last, |t| t.feed_secs),
        med(1, last, Timed::secs),
    ));
}

/// One run on fresh copies of the prepared terminals and a fresh county.
fn run_once(prepared: &Path, data: &Path) -> Res<Run> {
    let work = tempfile::Builder::new()
        .prefix("feed-run-")
        .tempdir_in(data)
        .map_err(|e| format!("a run directory in {}: {e}", data.display()))?;
    let county = county::County::start(None);
    let creds_path = work.path().join("creds.toml");
    county.enroll(CODE, "基准联络站", &creds_path);
    let mut creds: Credentials = toml::from_str(
        &std::fs::read_to_string(&creds_path)
            .map_err(|e| format!("reading {}: {e}", creds_path.display()))?,
    )?;
    creds.server = county.url.clone();
    let mut dirs = Vec::new();
    for n in 1..=TERMINALS {
        let name = format!("terminal-{n}");
        let dir = work.path().join(&name);
        copy_dir(&prepared.join(&name), &dir)
            .map_err(|e| format!("copying {}: {e}", prepared.join(&name).display()))?;
        let path = jiedai::sync::credentials::credentials_path(&dir);
        std::fs::write(&path, toml::to_string(&creds)?)
            .map_err(|e| format!("writing {}: {e}", path.display()))?;
        dirs.push(dir);
    }
    let mut rounds = [Vec::new(), Vec::new()];
    for round in &mut rounds {
        for dir in &dirs {
            round.push(timed_sync(dir, &creds, county.pid())?);
        }
    }
    for (i, t) in rounds[0].iter().enumerate() {
        if t.sent != OWN_EVENTS {
            return Err(format!("terminal {} sent {} of its {OWN_EVENTS} events", i + 1, t.sent).into());
        }
    }
    // Every terminal ends holding the whole feed: the marks of its own
    // events and the others' events.
    for (i, (first, second)) in rounds[0].iter().zip(&rounds[1]).enumerate() {
        let taken = first.received + second.received;
        if taken != FED_EVENTS * TERMINALS as u64 {
            return Err(format!(
                "terminal {} took {taken} events from the feed, not {}",
                i + 1,
                FED_EVENTS * TERMINALS as u64
            )
            .into());
        }
    }
    let (journal_bytes, db_bytes) = sizes(&dirs[dirs.len() - 1])?;
    Ok(Run {
        rounds,
        journal_bytes,
        db_bytes,
    })
}

/// One `sync_once` of the terminal in `dir`, its upload timed apart from
/// its feed; `server` is the county server's process.
fn timed_sync(dir: &Path, creds: &Credentials, server: u32) -> Res<Timed> {
    let store = Store::open(dir).map_err(|e| format!("opening {}: {e}", dir.display()))?;
    let reader = store.reader();
    let (writer, thread) = Writer::spawn(store)?;
    let client = Client::new(creds.clone())?;
    let stop = AtomicBool::new(false);
    // The upload reports its progress before each page and once more when
    // nothing is left to send: the last report ends the upload.
    let uploaded = Cell::new(None);
    let progress = |p: SyncProgress| {
        if let SyncProgress::Uploading { .. } = p {
            uploaded.set(Some((Instant::now(), Cpu::now(server))));
        }
    };
    let start = (Instant::now(), Cpu::now(server));
    let report = client::sync_once(&reader, &writer, &client, &progress, &stop)?;
    let end = (Instant::now(), Cpu::now(server));
    drop(writer);
    thread.finish();
    let uploaded = uploaded.get().unwrap_or(start);
    Ok(Timed {
        sent: report.sent,
        received: report.received,
        upload_secs: (uploaded.0 - start.0).as_secs_f64(),
        feed_secs: (end.0 - uploaded.0).as_secs_f64(),
        upload_cpu: uploaded.1 - start.1,
        feed_cpu: end.1 - uploaded.1,
    })
}

/// The sizes of a store's journal and of its db directory.
fn sizes(dir: &Path) -> Res<(u64, u64)> {
    let journal = dir.join("journal");
    let journal = std::fs::metadata(&journal)
        .map_err(|e| format!("{}: {e}", journal.display()))?
        .len();
    let db = dir.join("db");
    let db = dir_size(&db).map_err(|e| format!("{}: {e}", db.display()))?;
    Ok((journal, db))
}

fn dir_size(dir: &Path) -> std::io::Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let meta = entry.metadata()?;
        total += if meta.is_dir() {
            dir_size(&entry.path())?
        } else {
            meta.len()
        };
    }
    Ok(total)
}

/// Copies a closed store's directory (all but its lock file).
fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        if entry.file_type()?.is_dir() {
            copy_dir(&src, &dst)?;
        } else if entry.file_name() != "jiedai.lock" {
            std::fs::copy(&src, &dst)?;
        }
    }
    Ok(())
}

/// The station's terminals: built once, reused when complete.
fn prepare(root: &Path) -> Res<()> {
    for n in 1..=TERMINALS {
        let dir = root.join(format!("terminal-{n}"));
        if let Ok(store) = Store::open(&dir)
            && store.reader().own_seq()? >= OWN_EVENTS
        {
            continue;
        }
        let t = Instant::now();
        println!("building terminal {n} of station {CODE} with {APPEALS} appeals (once)…");
        build(&dir, n)?;
        println!("  built in {:.0} s", t.elapsed().as_secs_f64());
    }
    Ok(())
}

/// Terminal `n`: the station configured, a deputy, then `APPEALS` appeals
/// under this terminal's own codes, `BATCH` a day, one commit a day.
fn build(dir: &Path, n: u8) -> Res<()> {
    let _ = std::fs::remove_dir_all(dir);
    if let Some(parent) = dir.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("creating {}: {e}", parent.display()))?;
    }
    let mut store = Store::create(dir, CODE, n)?;
    let tz = FixedOffset::east_opt(8 * 3600).unwrap();
    let station = jiedai::commands::init::read_station(
        &PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("sample-data/station.toml"),
    )?;
    let station = Station {
        code: CODE.into(),
        ..station
    };
    let deputy = Deputy {
        id: "D001".into(),
        name: "基准代表".into(),
        level: Level::ALL[0],
        phone: "13900000001".into(),
        specialties: Vec::new(),
        duty_days: vec![10, 20],
    };
    let on_duty = vec![DeputyRef {
        id: deputy.id.clone(),
        name: deputy.name.clone(),
    }];
    store.commit_at(
        "bench",
        tz.with_ymd_and_hms(2025, 12, 31, 8, 0, 0).unwrap(),
        vec![
            EventBody::StationConfigured { station },
            EventBody::DeputyUpserted { deputy },
        ],
    )?;
    let mut day = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    let mut i = 0u64;
    while i < APPEALS {
        let at = tz
            .from_local_datetime(&day.and_hms_opt(9, 0, 0).unwrap())
            .unwrap();
        let count = BATCH.min((APPEALS - i) as usize);
        let mut changes = Vec::with_capacity(count);
        for code in store.next_codes(day, count)? {
            i += 1;
            // Numbered across the station, so no two terminals' appeals read alike.
            let k = (n as u64 - 1) * APPEALS + i;
            changes.push(EventBody::AppealRegistered {
                appeal: Appeal {
                    visitor: Visitor {
                        name: format!("群众{k}"),
                        phone: format!("139{:08}", k),
                        id_number: String::new(),
                        address: format!("柳岸路{}号", k % 200),
                    },
                    deputies: on_duty.clone(),
                    category: Category::ALL[(k as usize) % Category::ALL.len()],
                    title: format!("第{k}号诉求：小区门口停车难"),
                    content: format!("诉求内容 {k}：晚上车辆乱停，消防通道被占，希望有关部门加强管理。"),
                    location: "柳岸社区".into(),
                    urgency: Urgency::ALL[(k as usize) % Urgency::ALL.len()],
                    route: Route::Referred,
                    access_key: jiedai::storage::new_access_key()?,
                    ..Appeal::registered(code, at)
                },
            });
        }
        store.commit_at("bench", at, changes)?;
        day = day.succ_opt().unwrap();
    }
    drop(store);
    let seq = Store::open(dir)?.reader().own_seq()?;
    if seq != OWN_EVENTS {
        return Err(format!("terminal {n} holds {seq} events, not {OWN_EVENTS}").into());
    }
    Ok(())
}
