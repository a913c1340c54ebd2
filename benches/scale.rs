//! `cargo bench --bench scale [-- --scale 1m] [--sizes 10k,100k] [--fresh]
//! [--no-import]`: the station's figures at 10,000 and 100,000 appeals
//! (and 1,000,000 with `--scale 1m`), each beside a floor measured in the
//! same run, with the ratio. Not a timed test: it prints figures and
//! asserts nothing on time.
//!
//! The process-level figures run the binary named by `JIEDAI_BENCH_BIN`
//! (default target/release/jiedai), so the same harness measures an older
//! build ("before") and the new one ("after"): each binary gets its own
//! copy of the station's journal, and builds its own `db/` from it on its
//! first open. The stations are made once by the benchmark's generator
//! (benches/kiosk/data.rs) under target/bench-data/scale/ and reused;
//! `--fresh` makes them again.
//!
//! Per size: `db/` on disk against the journal and the JSONL export; the
//! first frame (80x24, in a pseudo-terminal, benches/kiosk_pty.py) and the
//! kiosk's idle memory against an empty station; `check` against one pass
//! over the journal (CRC and JSON parse of every event, this benchmark's
//! own child); `find 停车` and `find <pinyin initials>` against `rg 停车`
//! over the export (the initials of a visitor the export names); the durable save (through the library, on the
//! generator's station) against one fsync. Then `import appeals` of a
//! generated CSV of 100,000 rows (and 1,000,000 with `--scale 1m`): rows
//! per second and peak memory.
//!
//! Figures go to stdout and to target/bench-scale-<label>.txt (the label
//! is `JIEDAI_BENCH_LABEL`, default the binary's file name); progress to
//! stderr.

#[allow(dead_code)]
#[path = "kiosk/data.rs"]
mod data;
#[path = "../tests/it/common/lcg.rs"]
mod lcg;
#[path = "scale/proc.rs"]
mod proc;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use chrono::{Days, NaiveDateTime};
use jiedai::domain::desk::{NewAppeal, Registration};
use jiedai::domain::search::initials;
use jiedai::domain::{Category, Route, Urgency, Visitor};
use jiedai::i18n::Lang;
use jiedai::storage::{Request, Store, Writer};

use proc::{
    Report, Res, bench_bin, bench_label, disk_size, has_flag, mb, median, progress, run, run_ok, stats,
};

const ROLE_ENV: &str = "JIEDAI_BENCH_ROLE";
const DIR_ENV: &str = "JIEDAI_BENCH_DIR";
const FRAME_RUNS: usize = 5;
const FIND_RUNS: usize = 5;
const SAVES: usize = 100;

fn main() {
    let result = match std::env::var(ROLE_ENV).as_deref() {
        Ok("journal-pass") => child_journal_pass(),
        Ok("save") => child_save(),
        _ => parent(),
    };
    if let Err(e) = result {
        eprintln!("scale bench: {e}");
        std::process::exit(1);
    }
}

fn parse_size(s: &str) -> Option<usize> {
    let s = s.trim().to_ascii_lowercase();
    if let Some(k) = s.strip_suffix('k') {
        return k.parse::<usize>().ok().map(|n| n * 1_000);
    }
    if let Some(m) = s.strip_suffix('m') {
        return m.parse::<usize>().ok().map(|n| n * 1_000_000);
    }
    s.parse().ok()
}

fn size_name(n: usize) -> String {
    if n.is_multiple_of(1_000_000) {
        format!("{}m", n / 1_000_000)
    } else if n.is_multiple_of(1_000) {
        format!("{}k", n / 1_000)
    } else {
        n.to_string()
    }
}

/// The station sizes: `--sizes a,b`, else 10k and 100k (+1m with `--scale 1m`).
fn sizes() -> Vec<usize> {
    if let Some(list) = proc::flag_value("--sizes") {
        return list.split(',').filter_map(parse_size).collect();
    }
    let mut v = vec![10_000, 100_000];
    if proc::flag_value("--scale").as_deref() == Some("1m") {
        v.push(1_000_000);
    }
    v
}

fn import_sizes() -> Vec<usize> {
    if has_flag("--no-import") {
        return Vec::new();
    }
    if let Some(list) = proc::flag_value("--import-sizes") {
        return list.split(',').filter_map(parse_size).collect();
    }
    let mut v = vec![100_000];
    if proc::flag_value("--scale").as_deref() == Some("1m") {
        v.push(1_000_000);
    }
    v
}

/// Seconds from an environment variable, else `default`.
fn timeout(var: &str, default: u64) -> Duration {
    Duration::from_secs(
        std::env::var(var)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default),
    )
}

fn sample(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("sample-data")
        .join(name)
}

fn jiedai(dir: &Path) -> Command {
    let mut c = Command::new(bench_bin());
    c.arg("--data").arg(dir);
    c
}

// ---------------------------------------------------------------------------
// Children of this benchmark
// ---------------------------------------------------------------------------

/// The floor of `check`: one pass over the journal, each record's CRC
/// checked and each of its events parsed from JSON.
fn child_journal_pass() -> Res<()> {
    let dir = PathBuf::from(std::env::var(DIR_ENV)?);
    let t = Instant::now();
    let journal = jiedai::storage::journal::Journal::open_read(&dir.join("journal"))?;
    let mut events = 0u64;
    let mut records = 0u64;
    journal.scan(0, |record| {
        let decoded = jiedai::storage::record::decode(record.payload)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
        events += decoded.events.len() as u64;
        records += 1;
        Ok(())
    })?;
    println!("pass_ms {}", t.elapsed().as_secs_f64() * 1000.0);
    println!("events {events}");
    println!("records {records}");
    Ok(())
}

/// Durable saves (a visit and its appeal, one commit, as the kiosk's
/// Ctrl-S) through the library's writer on the generator's station (each
/// run adds these appeals to it; their words are not the finds' words),
/// interleaved with the floor: a 1 KiB append and fdatasync on the same
/// disk.
fn child_save() -> Res<()> {
    let dir = PathBuf::from(std::env::var(DIR_ENV)?);
    let store = Store::open(&dir)?;
    let (writer, thread) = Writer::spawn(store)?;
    let station = data::station();
    let actor = station.staff[0].name.clone();
    let deputy = data::deputies()[0].clone();
    let floor_path = dir.join("bench-fsync-floor.tmp");
    let _ = fs::remove_file(&floor_path);
    let mut floor_file = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&floor_path)?;
    let block = vec![b'x'; 1024];
    let (mut saves, mut floors) = (Vec::new(), Vec::new());
    for i in 0..SAVES {
        let registration = Registration {
            visitor: Visitor {
                name: "测试来访人".into(),
                phone: format!("1390000{:04}", i),
                id_number: String::new(),
                address: "柳岸花园3幢201室".into(),
            },
            group_size: 1,
            deputies: vec![jiedai::domain::DeputyRef {
                id: deputy.id.clone(),
                name: deputy.name.clone(),
            }],
            appeals: vec![NewAppeal {
                category: Category::Traffic,
                title: "柳岸路路灯损坏多日无人修".into(),
                content: "柳岸路路灯损坏多日无人修，晚上行人看不清路面，老人和孩子出行不安全。".into(),
                location: "柳岸花园".into(),
                urgency: Urgency::Normal,
                route: Route::Referred,
            }],
        };
        let at = chrono::Utc::now().with_timezone(&data::tz());
        let t = Instant::now();
        writer
            .save(Request::Register {
                actor: actor.clone(),
                at,
                registration,
            })
            .map_err(|e| e.message(Lang::En))?;
        saves.push(t.elapsed().as_secs_f64() * 1000.0);
        let t = Instant::now();
        floor_file.write_all(&block)?;
        floor_file.sync_data()?;
        floors.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    drop(floor_file);
    fs::remove_file(&floor_path)?;
    drop(writer);
    thread.finish();
    let (s, s99) = stats(&saves);
    let (f, f99) = stats(&floors);
    println!("save.med {s}\nsave.p99 {s99}\nfsync.med {f}\nfsync.p99 {f99}");
    Ok(())
}

/// Runs this benchmark as a child in `role` on `dir`: its `key value`
/// lines, and the run (time, peak memory).
fn self_child(role: &str, dir: &Path) -> Res<(Vec<(String, f64)>, proc::Run)> {
    let mut c = Command::new(std::env::current_exe()?);
    c.env(ROLE_ENV, role).env(DIR_ENV, dir);
    let r = run_ok(&mut c, None, Duration::from_secs(4 * 3600))?;
    let values = String::from_utf8_lossy(&r.stdout)
        .lines()
        .filter_map(|l| {
            let (k, v) = l.split_once(' ')?;
            Some((k.to_string(), v.trim().parse().ok()?))
        })
        .collect();
    Ok((values, r))
}

fn value(values: &[(String, f64)], key: &str) -> f64 {
    values
        .iter()
        .find(|(k, _)| k == key)
        .map_or(f64::NAN, |(_, v)| *v)
}

// ---------------------------------------------------------------------------
// The kiosk in a pseudo-terminal
// ---------------------------------------------------------------------------

struct Kiosk {
    frame_ms: f64,
    frame_p99: f64,
    rss_mb: f64,
    hwm_mb: f64,
}

fn kiosk_pty(dir: &Path, idle_secs: f64) -> Res<Kiosk> {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/kiosk_pty.py");
    let once = |idle: f64| -> Res<serde_json::Value> {
        let out = Command::new("python3")
            .arg(&script)
            .arg(bench_bin())
            .arg(dir)
            .args(["80", "24", &idle.to_string()])
            .output()?;
        if !out.status.success() {
            return Err(format!("kiosk_pty.py: {}", String::from_utf8_lossy(&out.stderr)).into());
        }
        Ok(serde_json::from_slice(&out.stdout)?)
    };
    let mut frames = Vec::new();
    for _ in 0..FRAME_RUNS {
        let v = once(0.2)?;
        frames.push(v["frame_ms"].as_f64().unwrap_or(f64::NAN));
    }
    let idle = once(idle_secs)?;
    let (frame_ms, frame_p99) = stats(&frames);
    Ok(Kiosk {
        frame_ms,
        frame_p99,
        rss_mb: idle["rss_mb"].as_f64().unwrap_or(f64::NAN),
        hwm_mb: idle["hwm_mb"].as_f64().unwrap_or(f64::NAN),
    })
}

// ---------------------------------------------------------------------------
// The parent
// ---------------------------------------------------------------------------

fn parent() -> Res<()> {
    let bin = proc::checked_bin()?;
    let label = bench_label();
    let root = proc::target_dir().join("bench-data").join("scale");
    fs::create_dir_all(&root)?;
    let mut rep = Report::new();
    rep.line(format!(
        "# jiedai station at scale — binary {} ({label})",
        bin.display()
    ));
    rep.line(proc::started_line());

    // The empty station: the floor of the first frame and of idle memory.
    let empty = root.join(format!("empty-{label}"));
    new_station(&empty)?;
    progress("kiosk on an empty station");
    let empty_kiosk = kiosk_pty(&empty, 3.0)?;

    for n in sizes() {
        station(&mut rep, &root, &label, n, &empty_kiosk)?;
    }
    for n in import_sizes() {
        import(&mut rep, &root, &label, n)?;
    }
    rep.line(format!("load average at the end: {}", proc::loadavg()));
    rep.write(&proc::target_dir().join(format!("bench-scale-{label}.txt")))?;
    Ok(())
}

/// A new station of sample-data/station.toml in `dir` (emptied first).
fn new_station(dir: &Path) -> Res<()> {
    let _ = fs::remove_dir_all(dir);
    run_ok(
        jiedai(dir)
            .arg("init")
            .arg("--station")
            .arg(sample("station.toml")),
        None,
        Duration::from_secs(120),
    )?;
    Ok(())
}

/// The generator's station of `n` appeals, built once.
fn master(root: &Path, n: usize) -> Res<(PathBuf, String)> {
    let dir = root.join(format!("station-{}", size_name(n))).join("master");
    let marker = dir.join("bench-built.txt");
    if !has_flag("--fresh")
        && let Ok(text) = fs::read_to_string(&marker)
    {
        return Ok((dir, format!("reused ({})", text.trim())));
    }
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(dir.parent().ok_or("no parent")?)?;
    progress(&format!(
        "building a station of {n} appeals in {} (once)",
        dir.display()
    ));
    let t = Instant::now();
    // Big commits: a large station is built in far fewer records.
    let per_commit = if n >= 1_000_000 { 5_000 } else { 500 };
    let built = data::build_with(&dir, n, per_commit, per_commit * 4)?;
    let text = format!(
        "built in {:.0} s: {} appeals, {} visits, {} steps, {} commits",
        t.elapsed().as_secs_f64(),
        built.appeals,
        built.visits,
        built.steps,
        built.commits
    );
    fs::write(&marker, &text)?;
    progress(&text);
    Ok((dir, text))
}

/// A copy of the station's journal and terminal files, without `db/`: the
/// binary builds its own database from the journal when it opens it.
fn copy_station(from: &Path, to: &Path) -> Res<()> {
    let _ = fs::remove_dir_all(to);
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.file_type()?.is_dir()
            || name.ends_with(".lock")
            || name.starts_with("bench-")
            || name.contains("catalog")
        {
            continue;
        }
        fs::copy(entry.path(), to.join(&name))?;
    }
    Ok(())
}

fn station(rep: &mut Report, root: &Path, label: &str, n: usize, empty: &Kiosk) -> Res<()> {
    let (master, how) = master(root, n)?;
    let work = root.join(format!("station-{}", size_name(n))).join(label);
    copy_station(&master, &work)?;
    let journal = disk_size(&work.join("journal"));
    rep.line(String::new());
    rep.line(format!("## {n} appeals — station {how}"));
    rep.line("| figure | this build | floor | ratio |".to_string());
    rep.line("|---|---|---|---|".to_string());
    let long = timeout("JIEDAI_BENCH_TIMEOUT", if n >= 1_000_000 { 7200 } else { 1800 });

    // The first open for writing builds db/ from the journal.
    progress(&format!("{n}: first open (db/ built from the journal)"));
    // `print retry` opens the store for writing (a read-only open, as
    // `find` or `export` do, replays into a scratch database instead).
    let open = run_ok(
        jiedai(&work)
            .args(["print", "retry", "--printer"])
            .arg(work.join("bench-printer.out")),
        None,
        long,
    )?;
    let db = disk_size(&work.join("db"));
    rep.row(
        "db/ built from the journal (first open)",
        &format!(
            "{:.0} MB ({:.1} s, {:.0} MB peak)",
            mb(db),
            open.secs,
            open.peak_mb
        ),
        &format!("journal {:.0} MB", mb(journal)),
        db as f64 / journal as f64,
        Some(2.0),
    );

    progress(&format!("{n}: export"));
    let export = work.join("bench-export.jsonl");
    let ex = run_ok(
        jiedai(&work)
            .args(["export", "appeals", "--format", "jsonl", "--out"])
            .arg(&export),
        None,
        long,
    )?;
    let export_size = disk_size(&export);
    rep.row(
        "db/ against the JSONL export",
        &format!("{:.0} MB", mb(db)),
        &format!(
            "export {:.0} MB ({:.1} s, {:.0} MB peak)",
            mb(export_size),
            ex.secs,
            ex.peak_mb
        ),
        db as f64 / export_size as f64,
        None,
    );

    progress(&format!("{n}: kiosk in a pseudo-terminal"));
    let idle = if n >= 1_000_000 { 30.0 } else { 8.0 };
    let k = kiosk_pty(&work, idle)?;
    rep.row(
        &format!("first frame 80x24, median of {FRAME_RUNS}"),
        &format!("{:.0} ms (p99 {:.0})", k.frame_ms, k.frame_p99),
        &format!("empty station {:.0} ms", empty.frame_ms),
        k.frame_ms / empty.frame_ms,
        Some(2.0),
    );
    rep.row(
        &format!("kiosk idle memory after {idle:.0} s (VmRSS; VmHWM)"),
        &format!("{:.0} MB; {:.0} MB", k.rss_mb, k.hwm_mb),
        &format!("empty station {:.0} MB; {:.0} MB", empty.rss_mb, empty.hwm_mb),
        k.rss_mb / empty.rss_mb,
        None,
    );

    progress(&format!("{n}: find"));
    let name = visitor_in_export(&export)?;
    let py = initials(&name);
    let hits_file = work.join("bench-find.txt");
    let find = |query: &str| -> Res<(f64, f64, usize)> {
        let mut times = Vec::new();
        let mut peak = 0f64;
        for _ in 0..FIND_RUNS {
            let r = run_ok(jiedai(&work).args(["find", query]), Some(&hits_file), long)?;
            times.push(r.secs);
            peak = peak.max(r.peak_mb);
        }
        let hits = fs::read_to_string(&hits_file)?.lines().count();
        Ok((median(&times), peak, hits))
    };
    let (cn, cn_peak, cn_hits) = find("停车")?;
    let (pyt, py_peak, py_hits) = find(&py)?;
    let mut rg = Vec::new();
    let mut rg_hits = 0;
    for _ in 0..FIND_RUNS {
        // A floor that fails (rg missing: `apt-get install ripgrep`) or
        // finds nothing is no floor: the run stops with rg's words.
        let r = run_ok(
            Command::new("rg").arg("停车").arg(&export),
            Some(&hits_file),
            long,
        )
        .map_err(|e| format!("the floor needs rg (Debian: apt-get install ripgrep): {e}"))?;
        rg.push(r.secs);
        rg_hits = fs::read_to_string(&hits_file)?.lines().count();
    }
    let rg = median(&rg);
    rep.row(
        &format!("find 停车, whole process, median of {FIND_RUNS}"),
        &format!("{:.3} s ({cn_hits} lines, {cn_peak:.0} MB peak)", cn),
        &format!("rg 停车 over the export {rg:.3} s ({rg_hits} lines)"),
        cn / rg,
        Some(2.0),
    );
    rep.row(
        &format!("find {py} (initials of {name}), whole process"),
        &format!("{:.3} s ({py_hits} lines, {py_peak:.0} MB peak)", pyt),
        &format!("rg 停车 over the export {rg:.3} s"),
        pyt / rg,
        Some(2.0),
    );
    let _ = fs::remove_file(&hits_file);

    progress(&format!("{n}: check (floor: one pass over the journal)"));
    let (pass, pass_run) = self_child("journal-pass", &work)?;
    let pass_s = value(&pass, "pass_ms") / 1000.0;
    let check_timeout = timeout(
        "JIEDAI_BENCH_CHECK_TIMEOUT",
        if n >= 1_000_000 { 3600 } else { 1200 },
    );
    let check = run(jiedai(&work).arg("check"), None, check_timeout)?;
    let verdict = if check.timed_out {
        format!("stopped after {:.0} s", check.secs)
    } else if check.ok {
        "passed".into()
    } else {
        "FAILED".into()
    };
    rep.row(
        "check: time",
        &format!("{:.1} s ({verdict})", check.secs),
        &format!(
            "one pass over the journal (CRC + JSON parse of {:.0} events) {pass_s:.1} s",
            value(&pass, "events")
        ),
        check.secs / pass_s,
        Some(3.0),
    );
    rep.row(
        "check: peak memory",
        &format!("{:.0} MB", check.peak_mb),
        &format!("the pass {:.0} MB", pass_run.peak_mb),
        check.peak_mb / pass_run.peak_mb,
        None,
    );

    progress(&format!("{n}: durable saves through the library"));
    let (save, _) = self_child("save", &master)?;
    let (s, f) = (value(&save, "save.med"), value(&save, "fsync.med"));
    rep.row(
        &format!("durable save (library), median of {SAVES}"),
        &format!("{s:.2} ms (p99 {:.2})", value(&save, "save.p99")),
        &format!(
            "one fsync (1 KiB append + fdatasync) {f:.2} ms (p99 {:.2})",
            value(&save, "fsync.p99")
        ),
        s / f,
        Some(1.5),
    );
    // The binary's copy (its db/ may be large) goes; the station stays.
    fs::remove_dir_all(&work)?;
    Ok(())
}

/// A visitor's name of three characters from the export (its `name`
/// field), past its first thousand lines, for the pinyin query.
fn visitor_in_export(export: &Path) -> Res<String> {
    use std::io::BufRead;
    std::io::BufReader::new(fs::File::open(export)?)
        .lines()
        .map_while(Result::ok)
        .skip(1000)
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(&l).ok())
        .filter_map(|v| v["name"].as_str().map(str::to_string))
        .find(|n| n.chars().count() == 3)
        .ok_or_else(|| "no visitor with a three-character name in the export".into())
}

// ---------------------------------------------------------------------------
// Import
// ---------------------------------------------------------------------------

/// A CSV of `n` appeal rows: the rows of sample-data/appeals.csv over and
/// over, each moved back by up to 400 days (its deadline stays later).
fn import_csv(root: &Path, n: usize) -> Res<PathBuf> {
    let path = root.join(format!("import-{}.csv", size_name(n)));
    let done = path.with_extension("csv.ok");
    if done.exists() && path.exists() && !has_flag("--fresh") {
        return Ok(path);
    }
    progress(&format!("writing {} ({n} rows, once)", path.display()));
    let text = fs::read_to_string(sample("appeals.csv"))?;
    let mut lines = text.lines();
    let header = lines.next().ok_or("empty sample")?;
    // Rows start with their date; a line that does not continues a quoted field.
    let mut rows: Vec<String> = Vec::new();
    for line in lines {
        let starts =
            line.len() > 10 && line.as_bytes()[4] == b'-' && line[..4].bytes().all(|b| b.is_ascii_digit());
        match rows.last_mut() {
            Some(row) if !starts => {
                row.push('\n');
                row.push_str(line);
            }
            _ => rows.push(line.to_string()),
        }
    }
    let mut out = std::io::BufWriter::new(fs::File::create(&path)?);
    writeln!(out, "{header}")?;
    for i in 0..n {
        let row = &rows[i % rows.len()];
        let (date, rest) = row.split_at(16);
        let when = NaiveDateTime::parse_from_str(date, "%Y-%m-%d %H:%M")?;
        let shifted = when - Days::new((i / rows.len() % 400) as u64);
        writeln!(out, "{}{rest}", shifted.format("%Y-%m-%d %H:%M"))?;
    }
    out.flush()?;
    fs::write(&done, "")?;
    Ok(path)
}

fn import(rep: &mut Report, root: &Path, label: &str, n: usize) -> Res<()> {
    let csv = import_csv(root, n)?;
    let dir = root.join(format!("import-{}-{label}", size_name(n)));
    new_station(&dir)?;
    run_ok(
        jiedai(&dir)
            .args(["import", "deputies"])
            .arg(sample("deputies.csv")),
        None,
        Duration::from_secs(120),
    )?;
    progress(&format!("import appeals: {n} rows"));
    let limit = timeout(
        "JIEDAI_BENCH_IMPORT_TIMEOUT",
        if n >= 1_000_000 { 1800 } else { 900 },
    );
    let r = run(jiedai(&dir).args(["import", "appeals"]).arg(&csv), None, limit)?;
    let verdict = if r.timed_out {
        format!("stopped after {:.0} s", r.secs)
    } else if r.ok {
        "done".into()
    } else {
        format!("FAILED: {}", r.stderr.lines().last().unwrap_or(""))
    };
    let rate = if r.ok { n as f64 / r.secs } else { f64::NAN };
    rep.line(String::new());
    rep.line(format!(
        "## import appeals, {n}-row CSV ({:.0} MB)",
        mb(disk_size(&csv))
    ));
    rep.line("| figure | this build | target | ratio |".to_string());
    rep.line("|---|---|---|---|".to_string());
    rep.row(
        "rows per second",
        &format!("{rate:.0} rows/s ({:.0} s, {verdict})", r.secs),
        "10,000 rows/s",
        10_000.0 / rate,
        Some(1.0),
    );
    rep.row(
        "peak memory (VmHWM)",
        &format!("{:.0} MB", r.peak_mb),
        "150 MB",
        r.peak_mb / 150.0,
        Some(1.0),
    );
    let _ = fs::remove_dir_all(&dir);
    Ok(())
}
