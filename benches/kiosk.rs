//! `cargo bench --bench kiosk [-- --fresh]`: the kiosk over a station with
//! 100,000 appeals. Not a timed test: it prints figures beside the targets
//! and beside floors measured in the same run, and asserts nothing on time.
//! Among them the Reports screen (a report on screen in ≤ 200 ms): a
//! period's report worked out and drawn (this month, quarter and year, and
//! every appeal's days), against one pass over the catalog's rows as
//! briefs; and the deputies' points.
//!
//! The parent process builds (or reuses) the data directory
//! `target/bench-data/kiosk`, then re-runs this binary as kiosk-like children
//! (`JIEDAI_BENCH_ROLE`) so that start-up is measured from a fresh process
//! each time and peak memory (VmHWM) is that of a kiosk, not of the setup.
//! Figures are printed and written to `target/bench-report.txt`.

#[path = "kiosk/data.rs"]
mod data;
#[path = "../tests/it/common/lcg.rs"]
mod lcg;
#[path = "scale/proc.rs"]
mod proc;

use std::collections::HashMap;
use std::fs::{self, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use unicode_width::UnicodeWidthStr;

use jiedai::domain::catalog::{Catalog, Filter};
use jiedai::domain::desk::{NewAppeal, Registration};
use jiedai::domain::period::Period;
use jiedai::domain::report::{self, Facts, Schedule};
use jiedai::domain::search::initials;
use jiedai::domain::station::ReplyDue;
use jiedai::domain::{Category, Route, Status, Urgency, Visitor};
use jiedai::i18n::Lang;
use jiedai::reports;
use jiedai::storage::{Request, Store, Writer, WriterThread};
use jiedai::tui::app::{App, Clock, Overlay, Screen};
use jiedai::tui::msg::Msg;
use jiedai::tui::runtime::{self, Runtime, Started};
use jiedai::tui::{keymap, update, views};

use proc::{loadavg, stats, target_dir};

const APPEALS: usize = 100_000;
/// Each run adds this many appeals (the saves); past this many extra the
/// data directory is rebuilt, so codes of the last day never run out.
const MAX_EXTRA: usize = 2_000;
const ROLE_ENV: &str = "JIEDAI_BENCH_ROLE";
const DIR_ENV: &str = "JIEDAI_BENCH_DIR";
const SIZE_ENV: &str = "JIEDAI_BENCH_SIZE";
const FIRST_FRAME_RUNS_80: usize = 11;
const FIRST_FRAME_RUNS_120: usize = 5;
const FRAMES: usize = 200;
const SEARCH_RUNS: usize = 50;
const SAVES: usize = 200;
/// Runs of each report on screen, of its parts, of the floor under it and
/// of the deputies' points.
const REPORT_RUNS: usize = 21;
/// The periods a report is measured over, in the order printed.
const PERIODS: [&str; 4] = ["month", "quarter", "year", "all"];

type Res<T> = Result<T, Box<dyn std::error::Error>>;
type AppStep = fn(&mut App);

fn main() {
    let result = match std::env::var(ROLE_ENV).as_deref() {
        Ok("first-frame") => child_first_frame(),
        Ok("kiosk") => child_kiosk(),
        Ok("memory") => child_memory(),
        Ok("check") => child_check(),
        Ok("reports") => child_reports(),
        _ => parent(),
    };
    if let Err(e) = result {
        eprintln!("kiosk bench: {e}");
        std::process::exit(1);
    }
}

// ---------------------------------------------------------------------------
// Figures
// ---------------------------------------------------------------------------

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// A field of /proc/self/status in MB (VmHWM, VmRSS).
fn proc_status_mb(field: &str) -> f64 {
    let text = fs::read_to_string("/proc/self/status").unwrap_or_default();
    text.lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map(|kb| kb / 1024.0)
        .unwrap_or(f64::NAN)
}

/// What a child reports: `key value` lines on stdout.
fn emit(key: &str, value: f64) {
    println!("{key} {value}");
}

fn emit_stats(key: &str, samples: &[f64]) {
    let (median, p99) = stats(samples);
    emit(&format!("{key}.med"), median);
    emit(&format!("{key}.p99"), p99);
}

/// Median, least and most of a few runs.
fn emit_spread(key: &str, samples: &[f64]) {
    emit(&format!("{key}.med"), stats(samples).0);
    emit(
        &format!("{key}.min"),
        samples.iter().copied().fold(f64::NAN, f64::min),
    );
    emit(
        &format!("{key}.max"),
        samples.iter().copied().fold(f64::NAN, f64::max),
    );
}

/// Times `f` `n` times; ms per run.
fn timed<T>(n: usize, mut f: impl FnMut() -> Res<T>) -> Res<Vec<f64>> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        std::hint::black_box(f()?);
        out.push(ms(t.elapsed()));
    }
    Ok(out)
}

// ---------------------------------------------------------------------------
// Children
// ---------------------------------------------------------------------------

fn data_dir() -> Res<PathBuf> {
    Ok(PathBuf::from(std::env::var(DIR_ENV)?))
}

/// The kiosk's start: open the store, load the key map, build the model,
/// sign in and draw the Today screen once. Returns the app and the
/// milestones in ms from `t0`.
type Kiosk = (Runtime, WriterThread, Terminal<TestBackend>, [f64; 4]);

fn start_kiosk(dir: &Path, w: u16, h: u16, t0: Instant) -> Res<Kiosk> {
    let store = Store::open(dir)?;
    let opened = ms(t0.elapsed());
    let (keymap, _) = keymap::load(None, None);
    let keyed = ms(t0.elapsed());
    let Started {
        runtime: mut rt,
        writer,
    } = runtime::start(
        Writer::start(store, None)?,
        Lang::Zh,
        keymap,
        Clock::Fixed(data::now()),
    )?;
    rt.app.staff = Some(rt.app.station.staff[0].clone());
    let built = ms(t0.elapsed());
    let mut term = Terminal::new(TestBackend::new(w, h))?;
    term.draw(|f| views::draw(f, &rt.app))?;
    let drawn = ms(t0.elapsed());
    Ok((rt, writer, term, [opened, keyed, built, drawn]))
}

fn child_first_frame() -> Res<()> {
    let t0 = Instant::now();
    let dir = data_dir()?;
    let size = std::env::var(SIZE_ENV).unwrap_or_else(|_| "80x24".into());
    let (w, h) = size.split_once('x').ok_or("bad size")?;
    let (mut rt, writer, _term, [opened, keyed, built, drawn]) =
        start_kiosk(&dir, w.parse()?, h.parse()?, t0)?;
    // The parent times its own spawn to this line.
    println!("first_frame");
    std::io::stdout().flush()?;
    emit("open", opened);
    emit("keymap", keyed);
    emit("app", built);
    emit("frame", drawn);
    emit("hwm_frame", proc_status_mb("VmHWM"));
    rt.settle();
    emit("catalog", ms(t0.elapsed()));
    emit("rows", rt.app.catalog.as_ref().map_or(0, Catalog::len) as f64);
    emit("hwm_catalog", proc_status_mb("VmHWM"));
    rt.close(writer);
    Ok(())
}

/// Where the memory goes: sled alone, a catalog scan whose rows are dropped,
/// then rows kept (all on the main thread).
fn child_memory() -> Res<()> {
    let dir = data_dir()?;
    let store = Store::open(&dir)?;
    emit("open_hwm", proc_status_mb("VmHWM"));
    let n = store.catalog_rows()?.len();
    emit("scan_hwm", proc_status_mb("VmHWM"));
    emit("scan_rss", proc_status_mb("VmRSS"));
    emit("trim_rss", trimmed_rss_mb());
    let catalog = Catalog::from_rows(store.catalog_rows()?);
    emit("kept_hwm", proc_status_mb("VmHWM"));
    emit("kept_rss", proc_status_mb("VmRSS"));
    std::hint::black_box((n, catalog.len()));
    Ok(())
}

/// `jiedai check` over the whole station: replay into a scratch database
/// and a key-by-key comparison, streamed. Its peak memory is the figure.
fn child_check() -> Res<()> {
    let dir = data_dir()?;
    let t = Instant::now();
    let report = jiedai::storage::check::check(&dir)?;
    emit("check_ms", ms(t.elapsed()));
    emit("check_hwm", proc_status_mb("VmHWM"));
    emit("check_events", report.events as f64);
    emit("check_ok", if report.ok() { 1.0 } else { 0.0 });
    Ok(())
}

/// RSS after handing freed heap back to the system: what is left is live.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn trimmed_rss_mb() -> f64 {
    unsafe extern "C" {
        fn malloc_trim(pad: usize) -> i32;
    }
    // SAFETY: glibc's malloc_trim only releases free heap pages.
    unsafe { malloc_trim(0) };
    proc_status_mb("VmRSS")
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn trimmed_rss_mb() -> f64 {
    f64::NAN
}

fn screen_text(term: &Terminal<TestBackend>) -> String {
    term.backend()
        .buffer()
        .content
        .iter()
        .map(|c| c.symbol())
        .collect()
}

/// Draws `n` frames, calling `before(app, i)` ahead of each; ms per frame.
fn frames(
    term: &mut Terminal<TestBackend>,
    app: &mut App,
    n: usize,
    mut before: impl FnMut(&mut App, usize),
) -> Res<Vec<f64>> {
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        before(app, i);
        let t = Instant::now();
        term.draw(|f| views::draw(f, app))?;
        out.push(ms(t.elapsed()));
    }
    Ok(out)
}

fn blank_frames(term: &mut Terminal<TestBackend>, n: usize) -> Res<Vec<f64>> {
    let mut out = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        term.draw(|_| {})?;
        out.push(ms(t.elapsed()));
    }
    Ok(out)
}

fn child_kiosk() -> Res<()> {
    let t0 = Instant::now();
    let dir = data_dir()?;
    let (mut rt, writer_thread, mut t80, _) = start_kiosk(&dir, 80, 24, t0)?;
    rt.settle();
    let writer = rt.writer();
    let app = &mut rt.app;
    let mut t120 = Terminal::new(TestBackend::new(120, 40))?;
    emit("hwm_loaded", proc_status_mb("VmHWM"));
    emit("rss_loaded", proc_status_mb("VmRSS"));
    let cat_total = app.catalog.as_ref().ok_or("no catalog")?.heap_bytes();
    emit("catalog_mb", cat_total as f64 / 1048576.0);

    // Floors: a frame that draws nothing, at each size.
    emit_stats("blank80", &blank_frames(&mut t80, FRAMES)?);
    emit_stats("blank120", &blank_frames(&mut t120, FRAMES)?);
    emit_stats("today80", &frames(&mut t80, app, FRAMES, |_, _| {})?);

    // The appeals list, every appeal, moving down one row per frame.
    app.screen = Screen::Appeals;
    app.appeals.filter = Filter::default();
    app.refilter();
    let scroll = |app: &mut App, i: usize| app.appeals.selected = i;
    emit_stats("list80", &frames(&mut t80, app, FRAMES, scroll)?);
    if !screen_text(&t80).contains(&format!("-{}-", data::STATION_CODE)) {
        return Err("the appeals list frame shows no tracking code".into());
    }
    emit_stats("list120", &frames(&mut t120, app, FRAMES, scroll)?);

    // The list after a search.
    app.appeals.search.set("停车");
    app.appeals.filter.query = "停车".into();
    app.appeals.selected = 0;
    app.refilter();
    emit_stats("listq80", &frames(&mut t80, app, FRAMES, scroll)?);
    emit_stats("listq120", &frames(&mut t120, app, FRAMES, scroll)?);
    // One keystroke in the search box: refilter and draw.
    let mut keystroke = Vec::new();
    for i in 0..SEARCH_RUNS {
        let q = if i % 2 == 0 { "停车" } else { "停" };
        let t = Instant::now();
        app.appeals.search.set(q);
        app.appeals.filter.query = q.into();
        app.appeals.selected = 0;
        app.refilter();
        t80.draw(|f| views::draw(f, app))?;
        keystroke.push(ms(t.elapsed()));
    }
    emit_stats("keystroke", &keystroke);

    // Search latency over the catalog.
    let today = app.today_date();
    let catalog = app.catalog.as_ref().ok_or("no catalog")?;
    let person = (0..catalog.len())
        .map(|i| (i * 7919) % catalog.len())
        .filter_map(|i| catalog.row(i))
        .map(|r| r.visitor.to_string())
        .find(|v| v.chars().count() == 3)
        .ok_or("no visitor with a three-character name")?;
    let py = initials(&person);
    let queries: Vec<(&str, Filter)> = vec![
        ("floor", Filter::default()),
        (
            "cn",
            Filter {
                query: "停车".into(),
                ..Filter::default()
            },
        ),
        (
            "py",
            Filter {
                query: py.clone(),
                ..Filter::default()
            },
        ),
        (
            "rare",
            Filter {
                query: "无人机".into(),
                ..Filter::default()
            },
        ),
        (
            "combo",
            Filter {
                status: Some(Status::InProgress),
                query: "漏水".into(),
                ..Filter::default()
            },
        ),
    ];
    println!("py_query {py} {person}");
    for (key, filter) in &queries {
        let hits = catalog.select(filter, today).len();
        let mut samples = Vec::with_capacity(SEARCH_RUNS);
        for _ in 0..SEARCH_RUNS {
            let t = Instant::now();
            let r = catalog.select(filter, today);
            samples.push(ms(t.elapsed()));
            std::hint::black_box(r);
        }
        emit_stats(&format!("search_{key}"), &samples);
        emit(&format!("search_{key}.hits"), hits as f64);
    }

    // What a screen update after a save is made of, on the full list.
    app.appeals.search.clear();
    app.appeals.filter = Filter::default();
    let parts: [(&str, AppStep); 3] = [
        ("part_refilter", App::refilter),
        ("part_quarter", App::recount_quarter),
        ("part_today", App::refresh_today),
    ];
    for (key, part) in parts {
        let mut samples = Vec::new();
        for _ in 0..10 {
            let t = Instant::now();
            part(app);
            samples.push(ms(t.elapsed()));
        }
        emit_stats(key, &samples);
    }

    // Durable saves (the kiosk's Ctrl-S: codes, one visit and one appeal in
    // one commit) interleaved with the fsync floor on the same disk.
    app.screen = Screen::Appeals;
    app.appeals.search.clear();
    app.appeals.filter = Filter::default();
    app.refilter();
    let journal = dir.join("journal");
    let journal_before = fs::metadata(&journal)?.len();
    let floor_path = dir.join("bench-fsync-floor.tmp");
    let _ = fs::remove_file(&floor_path);
    let mut floor_file = OpenOptions::new().create(true).append(true).open(&floor_path)?;
    let block = vec![b'x'; 1024];
    let (mut saves, mut updates, mut floors) = (Vec::new(), Vec::new(), Vec::new());
    let actor = app.actor();
    let deputy = app.deputies[0].clone();
    for i in 0..SAVES {
        let t = Instant::now();
        let now = app.clock.now();
        let visitor = Visitor {
            name: "测试来访人".into(),
            phone: format!("1390000{:04}", i),
            id_number: String::new(),
            address: "柳岸花园3幢201室".into(),
        };
        let deputies = vec![jiedai::domain::DeputyRef {
            id: deputy.id.clone(),
            name: deputy.name.clone(),
        }];
        let registration = Registration {
            visitor,
            group_size: 1,
            deputies,
            appeals: vec![NewAppeal {
                category: Category::Traffic,
                title: "柳岸花园门口停车难，车辆乱停乱放".into(),
                content: "柳岸花园门口停车难，车辆乱停乱放。晚上八点以后情况尤其严重，消防通道经常被乱停车辆占用。希望有关部门尽快实地查看并给出解决方案。".into(),
                location: "柳岸花园".into(),
                urgency: Urgency::Normal,
                route: Route::Referred,
            }],
        };
        // What Ctrl-S sets off: the writer issues the codes, checks,
        // writes, fsyncs and applies; its outcome comes back.
        let saved = writer
            .save(Request::Register {
                actor: actor.clone(),
                at: now,
                registration,
            })
            .map_err(|e| e.message(Lang::En))?;
        let touched = saved.touched;
        saves.push(ms(t.elapsed()));
        let t = Instant::now();
        app.appeals_changed(&touched);
        updates.push(ms(t.elapsed()));

        let t = Instant::now();
        floor_file.write_all(&block)?;
        floor_file.sync_data()?;
        floors.push(ms(t.elapsed()));
    }
    drop(floor_file);
    fs::remove_file(&floor_path)?;
    emit_stats("save", &saves);
    emit_stats("update", &updates);
    emit_stats("fsync", &floors);
    emit(
        "record_bytes",
        (fs::metadata(&journal)?.len() - journal_before) as f64 / SAVES as f64,
    );
    emit("hwm_end", proc_status_mb("VmHWM"));
    emit("rss_end", proc_status_mb("VmRSS"));
    drop(writer);
    rt.close(writer_thread);
    Ok(())
}

/// The Reports and Deputies screens, in a kiosk of their own (what they
/// keep in memory does not raise the other kiosk's peak): the start, the
/// catalog loaded, then `report_figures`, with the peak memory before and
/// after.
fn child_reports() -> Res<()> {
    let dir = data_dir()?;
    let (mut rt, writer, mut term, _) = start_kiosk(&dir, 80, 24, Instant::now())?;
    rt.settle();
    emit("hwm_loaded", proc_status_mb("VmHWM"));
    report_figures(&mut term, &mut rt.app)?;
    rt.close(writer);
    Ok(())
}

/// A key pressed on the kiosk, through the key map and `update`.
fn press_key(app: &mut App, code: KeyCode) {
    let key = KeyEvent::new(code, KeyModifiers::NONE);
    std::hint::black_box(update::update(app, Msg::Key(key)));
}

fn press(app: &mut App, c: char) {
    press_key(app, KeyCode::Char(c));
}

/// Back on the Today screen (`1`), its frame drawn, as a kiosk stands
/// before a screen key is pressed.
fn to_today(term: &mut Terminal<TestBackend>, app: &mut App) -> Res<()> {
    press(app, '1');
    if app.screen != Screen::Today {
        return Err("key 1 did not go to the Today screen".into());
    }
    term.draw(|f| views::draw(f, app))?;
    Ok(())
}

/// The periods of `PERIODS` on the benchmark's day: this month, this
/// quarter, this year, and the days from the first appeal to the last.
fn report_periods(app: &App) -> Res<Vec<Period>> {
    let today = app.today_date();
    let catalog = app.catalog.as_ref().ok_or("no catalog")?;
    let first = catalog.briefs().map(|r| r.date).min().ok_or("no appeals")?;
    let last = catalog.briefs().map(|r| r.date).max().ok_or("no appeals")?;
    Ok(vec![
        Period::month_of(today),
        Period::quarter_of(today),
        Period::year_of(today),
        Period::dates(first, last)?,
    ])
}

/// The least any report costs: one pass over the catalog's rows as
/// briefs (no text decoded, as a report reads them) reading each one's
/// date, counting those of the period.
fn briefs_in(catalog: &Catalog, from: NaiveDate, to: NaiveDate) -> usize {
    catalog
        .briefs()
        .filter(|r| r.date >= from && r.date <= to)
        .count()
}

/// The same pass over whole rows (their text decoded), for comparison.
fn rows_in(catalog: &Catalog, from: NaiveDate, to: NaiveDate) -> usize {
    (0..catalog.len())
        .filter_map(|i| catalog.row(i))
        .filter(|r| r.date >= from && r.date <= to)
        .count()
}

/// The Reports screen (`6` from Today): the report of each period worked
/// out and its first frame drawn at 80x24; what it is made of (the
/// catalog's rows, the visits' and check-ins' day ranges, the arithmetic,
/// the draw); the floor under it; and the deputies' points: every
/// deputy's this quarter (`standings`) on their own and as the Deputies
/// screen (`4`) on screen, and one deputy's record (`deeds_of`, Enter on
/// the Deputies screen).
fn report_figures(term: &mut Terminal<TestBackend>, app: &mut App) -> Res<()> {
    let periods = report_periods(app)?;
    let today = app.today_date();

    // The floor, over every appeal's days (every row counted).
    let all = periods[PERIODS.len() - 1];
    {
        let catalog = app.catalog.as_ref().ok_or("no catalog")?;
        let rows = briefs_in(catalog, all.from, all.to);
        emit("report_floor.rows", rows as f64);
        let floor = timed(REPORT_RUNS, || Ok(briefs_in(catalog, all.from, all.to)))?;
        emit_spread("report_floor", &floor);
        let whole = timed(REPORT_RUNS, || Ok(rows_in(catalog, all.from, all.to)))?;
        emit_spread("report_rows", &whole);
    }

    for (key, period) in PERIODS.iter().zip(&periods) {
        let (mut total, mut switch, mut draw) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..REPORT_RUNS {
            to_today(term, app)?;
            app.reports.period = *period;
            app.reports.report = None;
            let t = Instant::now();
            press(app, '6');
            let switched = t.elapsed();
            term.draw(|f| views::draw(f, app))?;
            let drawn = t.elapsed();
            total.push(ms(drawn));
            switch.push(ms(switched));
            draw.push(ms(drawn - switched));
        }
        if app.screen != Screen::Reports {
            return Err("key 6 did not go to the Reports screen".into());
        }
        let made = match &app.reports.report {
            Some(Ok(r)) => r,
            Some(Err(e)) => return Err(format!("the {key} report failed: {e}").into()),
            None => return Err(format!("no {key} report").into()),
        };
        if !screen_text(term).contains(&period.from.to_string()) {
            return Err(format!("the {key} report's frame does not name its period").into());
        }
        let k = format!("report_{key}");
        println!(
            "{k}.label {}（{} ~ {}）",
            period.label(app.lang),
            period.from,
            period.to
        );
        emit_spread(&k, &total);
        emit(&format!("{k}.switch.med"), stats(&switch).0);
        emit(&format!("{k}.draw.med"), stats(&draw).0);
        emit(&format!("{k}.appeals"), made.appeals as f64);
        emit(&format!("{k}.visits"), made.visits as f64);
        emit(
            &format!("{k}.attended"),
            made.participation.values().map(|p| p.attended).sum::<u32>() as f64,
        );
        emit(&format!("{k}.closed"), made.closed.of as f64);
        emit(&format!("{k}.rated"), made.satisfied.all as f64);

        // The peak so far: the kiosk's own, the parts below not yet run.
        emit(&format!("{k}.hwm"), proc_status_mb("VmHWM"));
    }

    // The parts of each report, as `reports::report` does them.
    for (key, period) in PERIODS.iter().zip(&periods) {
        let k = format!("report_{key}");
        let catalog = app.catalog.as_ref().ok_or("no catalog")?;
        let due = ReplyDue::new(&app.station);
        let (from, to) = (period.from, period.to);
        let facts_of = || -> Vec<Facts> {
            catalog
                .briefs()
                .filter(|r| Facts::wanted(r, from, to))
                .map(|r| Facts::of_brief(&r, &due))
                .collect()
        };
        emit(
            &format!("{k}.facts.med"),
            stats(&timed(REPORT_RUNS, || Ok(facts_of()))?).0,
        );
        let visits = timed(REPORT_RUNS, || Ok(app.reader.visit_days(from, to)?))?;
        emit(&format!("{k}.visit_days.med"), stats(&visits).0);
        let check_ins = timed(REPORT_RUNS, || Ok(app.reader.check_ins(Some(from), to)?))?;
        emit(&format!("{k}.check_ins.med"), stats(&check_ins).0);
        let (facts, visits) = (facts_of(), app.reader.visit_days(from, to)?);
        let attended = app.reader.check_ins(Some(from), to)?;
        let schedule: Vec<Schedule> = app
            .deputies
            .iter()
            .map(|d| (d.id.as_str(), d.duty_days.as_slice()))
            .collect();
        let sums = timed(REPORT_RUNS, || {
            Ok(report::report(
                &app.station,
                &schedule,
                &facts,
                &visits,
                &attended,
                (from, to),
                today,
            ))
        })?;
        emit(&format!("{k}.figures.med"), stats(&sums).0);
    }

    // The deputies' points: every deputy's this quarter, as the Deputies
    // screen asks them, then the screen; then one deputy's record.
    let quarter = (Period::quarter_of(today).from, today);
    {
        let catalog = app.catalog.as_ref().ok_or("no catalog")?;
        let standings = timed(REPORT_RUNS, || {
            Ok(reports::standings(&app.reader, catalog, &app.station, quarter)?)
        })?;
        emit_spread("standings", &standings);
        let deputy = &app.deputies[0].id;
        let deeds = timed(REPORT_RUNS, || {
            Ok(reports::deeds_of(
                &app.reader,
                catalog,
                &app.station,
                deputy,
                today,
            )?)
        })?;
        emit_spread("deeds_of", &deeds);
        let lines = reports::deeds_of(&app.reader, catalog, &app.station, deputy, today)?;
        emit("deeds_of.lines", lines.len() as f64);
    }
    let (mut screen, mut opened) = (Vec::new(), Vec::new());
    for _ in 0..REPORT_RUNS {
        to_today(term, app)?;
        let t = Instant::now();
        press(app, '4');
        term.draw(|f| views::draw(f, app))?;
        screen.push(ms(t.elapsed()));
        if app.screen != Screen::Deputies {
            return Err("key 4 did not go to the Deputies screen".into());
        }
        app.deputy_selected = 0;
        let t = Instant::now();
        press_key(app, KeyCode::Enter);
        term.draw(|f| views::draw(f, app))?;
        opened.push(ms(t.elapsed()));
        if !matches!(app.overlay, Overlay::Points { .. }) {
            return Err("Enter on the Deputies screen did not open the points".into());
        }
        app.overlay = Overlay::None;
    }
    emit_spread("deputies_screen", &screen);
    emit_spread("points_opened", &opened);
    to_today(term, app)?;
    emit("hwm_points", proc_status_mb("VmHWM"));
    emit("rss_points", proc_status_mb("VmRSS"));
    Ok(())
}

// ---------------------------------------------------------------------------
// Parent
// ---------------------------------------------------------------------------

struct ChildRun {
    values: HashMap<String, f64>,
    lines: Vec<String>,
    /// From spawn to the child's "first_frame" line.
    spawn_to_frame: Option<f64>,
}

fn run_child(role: &str, dir: &Path, size: &str) -> Res<ChildRun> {
    let exe = std::env::current_exe()?;
    let t = Instant::now();
    let mut child = Command::new(exe)
        .env(ROLE_ENV, role)
        .env(DIR_ENV, dir)
        .env(SIZE_ENV, size)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()?;
    let stdout = child.stdout.take().ok_or("no child stdout")?;
    let mut run = ChildRun {
        values: HashMap::new(),
        lines: Vec::new(),
        spawn_to_frame: None,
    };
    for line in BufReader::new(stdout).lines() {
        let line = line?;
        if line == "first_frame" {
            run.spawn_to_frame = Some(ms(t.elapsed()));
            continue;
        }
        if let Some((k, v)) = line.split_once(' ')
            && let Ok(v) = v.parse::<f64>()
        {
            run.values.insert(k.to_string(), v);
            continue;
        }
        run.lines.push(line);
    }
    let status = child.wait()?;
    if !status.success() {
        return Err(format!("{role} child failed: {status}").into());
    }
    Ok(run)
}

struct Table {
    lines: Vec<String>,
    misses: Vec<String>,
}

impl Table {
    fn line(&mut self, text: String) {
        println!("{text}");
        self.lines.push(text);
    }

    /// One figure: label, value columns, and a target with its verdict.
    fn row(&mut self, label: &str, value: &str, target: Option<(&str, bool)>) {
        let pad = 38usize.saturating_sub(UnicodeWidthStr::width(label));
        let mut text = format!("{label}{} {value}", " ".repeat(pad));
        if let Some((t, ok)) = target {
            let pad = 58usize.saturating_sub(UnicodeWidthStr::width(text.as_str()));
            text = format!(
                "{text}{}  target {t}  {}",
                " ".repeat(pad),
                if ok { "ok" } else { "MISSED" }
            );
            if !ok {
                self.misses.push(label.trim().to_string());
            }
        }
        self.line(text);
    }
}

/// `-- --check-scale`: `jiedai check`'s peak memory and time on stations
/// of 50,000 and 200,000 appeals (built once under `target/`), beside the
/// memory of opening the store alone. Streaming shows as a peak that does
/// not grow with the station.
fn check_scale() -> Res<()> {
    let target = target_dir();
    let mut lines = vec!["jiedai check at two station sizes (release build)".to_string()];
    for n in [50_000usize, 200_000] {
        let dir = target.join(format!("bench-check-{n}"));
        let rows = Store::open(&dir)
            .and_then(|s| s.catalog_rows())
            .map_or(0, |r| r.len());
        if rows != n || !data::is_current(&dir) {
            if dir.exists() {
                fs::remove_dir_all(&dir)?;
            }
            eprintln!("kiosk bench: building {n} appeals in {} (once)…", dir.display());
            data::build(&dir, n)?;
        }
        let journal_mb = fs::metadata(dir.join("journal"))?.len() as f64 / 1048576.0;
        let memory = run_child("memory", &dir, "80x24")?;
        let floor = memory.values.get("open_hwm").copied().unwrap_or(f64::NAN);
        let mut peaks = Vec::new();
        let mut times = Vec::new();
        // Memory is what this measures, and it does not vary from run to
        // run the way time does: three runs on the small station, one on
        // the large (about five minutes each on a 2-core machine).
        let runs = if n < 100_000 { 3 } else { 1 };
        for _ in 0..runs {
            let run = run_child("check", &dir, "80x24")?;
            if run.values.get("check_ok") != Some(&1.0) {
                return Err(format!("check failed on {}", dir.display()).into());
            }
            peaks.push(run.values.get("check_hwm").copied().unwrap_or(f64::NAN));
            times.push(run.values.get("check_ms").copied().unwrap_or(f64::NAN) / 1000.0);
        }
        let (peak, time) = (stats(&peaks).0, stats(&times).0);
        lines.push(format!(
            "{n:>7} appeals (journal {journal_mb:.0} MB): check peak {peak:.0} MB (median of {runs}), {time:.1} s; Store::open alone {floor:.0} MB; ratio {:.2}x; target < 100 MB: {}",
            peak / floor,
            if peak < 100.0 { "met" } else { "MISSED" }
        ));
    }
    for line in &lines {
        println!("{line}");
    }
    fs::write(target.join("bench-check-report.txt"), lines.join("\n") + "\n")?;
    Ok(())
}

fn parent() -> Res<()> {
    if std::env::args().any(|a| a == "--check-scale") {
        return check_scale();
    }
    let fresh = std::env::args().any(|a| a == "--fresh")
        || std::env::var("JIEDAI_BENCH_FRESH").is_ok_and(|v| v == "1");
    let target = target_dir();
    // Its own directory: the other benchmarks keep theirs beside it.
    let dir = target.join("bench-data").join("kiosk");
    let shown = dir
        .strip_prefix(std::env::current_dir()?)
        .unwrap_or(&dir)
        .display()
        .to_string();

    // Setup: reuse the data directory when it already holds the station
    // as this version of the builder makes it.
    let mut rows = 0;
    if !fresh && dir.exists() {
        if !data::is_current(&dir) {
            eprintln!(
                "kiosk bench: {shown} was built by another version of the builder (not {}); rebuilding",
                data::DATA_VERSION
            );
        } else {
            match Store::open(&dir).and_then(|s| s.catalog_rows()) {
                Ok(r) => rows = r.len(),
                Err(e) => eprintln!("kiosk bench: {shown} cannot be reused ({e}); rebuilding"),
            }
        }
    }
    let reuse = (APPEALS..=APPEALS + MAX_EXTRA).contains(&rows);
    let setup_line = if reuse {
        format!("setup: reused {shown} ({rows} appeals); pass --fresh or JIEDAI_BENCH_FRESH=1 to rebuild")
    } else {
        if dir.exists() {
            fs::remove_dir_all(&dir)?;
        }
        eprintln!("kiosk bench: building {APPEALS} appeals in {shown} (once; later runs reuse it)…");
        let t = Instant::now();
        let built = data::build(&dir, APPEALS)?;
        format!(
            "setup: built {shown} in {:.1} s ({} appeals, {} visits, {} check-ins, {} lifecycle steps, {} commits)",
            t.elapsed().as_secs_f64(),
            built.appeals,
            built.visits,
            built.check_ins,
            built.steps,
            built.commits
        )
    };
    let (mix, appeals, held) = {
        let store = Store::open(&dir)?;
        let rows = store.catalog_rows()?;
        let today = data::now().date_naive();
        let (first, last) = (data::reception_days()[0], today);
        let reader = store.reader();
        let held = format!(
            "holds: {} appeals, {} visits, {} check-ins ({} to {})",
            rows.len(),
            reader.visit_days(first, last)?.len(),
            reader.check_ins(None, last)?.len(),
            first,
            last
        );
        let mix: Vec<String> = Status::ALL
            .iter()
            .map(|s| format!("{} {}", s.zh(), rows.iter().filter(|r| r.status == *s).count()))
            .chain([format!(
                "逾期 {}",
                rows.iter().filter(|r| r.is_overdue(today)).count()
            )])
            .collect();
        (mix.join(" · "), rows.len(), held)
    };
    let journal_mb = fs::metadata(dir.join("journal"))?.len() as f64 / 1048576.0;
    let db_mb = proc::disk_size(&dir.join("db")) as f64 / 1048576.0;

    eprintln!("kiosk bench: measuring in child processes…");
    let load_before = loadavg();
    let mut first80 = Vec::new();
    for _ in 0..FIRST_FRAME_RUNS_80 {
        first80.push(run_child("first-frame", &dir, "80x24")?);
    }
    let mut first120 = Vec::new();
    for _ in 0..FIRST_FRAME_RUNS_120 {
        first120.push(run_child("first-frame", &dir, "120x40")?);
    }
    let kiosk = run_child("kiosk", &dir, "80x24")?;
    let books = run_child("reports", &dir, "80x24")?;
    let memory = run_child("memory", &dir, "80x24")?;
    let check = run_child("check", &dir, "80x24")?;
    let chk = |key: &str| check.values.get(key).copied().unwrap_or(f64::NAN);
    let mem = |key: &str| memory.values.get(key).copied().unwrap_or(f64::NAN);
    let k = |key: &str| kiosk.values.get(key).copied().unwrap_or(f64::NAN);
    let b = |key: &str| books.values.get(key).copied().unwrap_or(f64::NAN);
    let med = |runs: &[ChildRun], key: &str| {
        let v: Vec<f64> = runs.iter().filter_map(|r| r.values.get(key).copied()).collect();
        if v.is_empty() { f64::NAN } else { stats(&v).0 }
    };
    let max = |runs: &[ChildRun], key: &str| {
        runs.iter()
            .filter_map(|r| r.values.get(key).copied())
            .fold(f64::NAN, f64::max)
    };
    let spawn_med = |runs: &[ChildRun]| {
        let v: Vec<f64> = runs.iter().filter_map(|r| r.spawn_to_frame).collect();
        if v.is_empty() { f64::NAN } else { stats(&v).0 }
    };

    let mut t = Table {
        lines: Vec::new(),
        misses: Vec::new(),
    };
    t.line(format!(
        "jiedai benchmark — {appeals} appeals (data: {shown}, journal {journal_mb:.0} MB, db {db_mb:.0} MB)"
    ));
    t.line(setup_line);
    t.line(held);
    t.line(format!("statuses: {mix}"));
    t.line(format!(
        "clock fixed at {} (a reception day); TestBackend, signed in as {}; release build",
        data::now().format("%Y-%m-%d %H:%M"),
        data::station().staff[0].name
    ));
    t.line(format!(
        "load average before/after measuring: {load_before} / {} on {} CPUs (other work on the machine adds noise)",
        loadavg(),
        std::thread::available_parallelism().map_or(0, |n| n.get())
    ));
    t.line(String::new());

    let ff = |runs: &[ChildRun]| med(runs, "frame");
    let f80 = ff(&first80);
    t.row(
        &format!("first frame (80x24, Today)  n={}", first80.len()),
        &format!("median {f80:6.1} ms"),
        Some(("< 150 ms", f80 < 150.0)),
    );
    t.row(
        "  of which Store::open",
        &format!("median {:6.1} ms", med(&first80, "open")),
        None,
    );
    t.row(
        "  of which keymap::load",
        &format!(
            "median {:6.1} ms",
            med(&first80, "keymap") - med(&first80, "open")
        ),
        None,
    );
    t.row(
        "  of which App::new",
        &format!("median {:6.1} ms", med(&first80, "app") - med(&first80, "keymap")),
        None,
    );
    t.row(
        "  of which the draw",
        &format!("median {:6.1} ms", f80 - med(&first80, "app")),
        None,
    );
    t.row(
        "  from process spawn (exec included)",
        &format!("median {:6.1} ms", spawn_med(&first80)),
        None,
    );
    let f120 = ff(&first120);
    t.row(
        &format!("first frame (120x40, Today)  n={}", first120.len()),
        &format!("median {f120:6.1} ms"),
        Some(("< 150 ms", f120 < 150.0)),
    );
    let mut all_first = first80;
    all_first.extend(first120);
    t.row(
        "catalog loaded (background)",
        &format!(
            "median {:6.1} ms   ({:.0} rows, from before Store::open)",
            med(&all_first, "catalog"),
            med(&all_first, "rows")
        ),
        None,
    );
    t.line(String::new());

    let frame_row = |t: &mut Table, label: &str, key: &str, floor: &str, target: bool| {
        let (m, p) = (k(&format!("{key}.med")), k(&format!("{key}.p99")));
        let ratio = m / k(&format!("{floor}.med"));
        t.row(
            label,
            &format!("median {m:6.2} ms  p99 {p:6.2} ms  {ratio:5.1}x floor"),
            target.then_some(("< 8 ms", m < 8.0)),
        );
    };
    frame_row(&mut t, "floor: empty frame 80x24", "blank80", "blank80", false);
    frame_row(&mut t, "floor: empty frame 120x40", "blank120", "blank120", false);
    frame_row(&mut t, "Today frame 80x24", "today80", "blank80", true);
    frame_row(&mut t, "appeals list frame 80x24", "list80", "blank80", true);
    frame_row(&mut t, "appeals list frame 120x40", "list120", "blank120", true);
    frame_row(
        &mut t,
        "list frame after search 80x24",
        "listq80",
        "blank80",
        true,
    );
    frame_row(
        &mut t,
        "list frame after search 120x40",
        "listq120",
        "blank120",
        true,
    );
    t.line(String::new());

    let py = kiosk
        .lines
        .iter()
        .find_map(|l| l.strip_prefix("py_query "))
        .unwrap_or("? ?")
        .to_string();
    let (py_query, py_name) = py.split_once(' ').unwrap_or((&py, ""));
    let search_labels = [
        ("floor", "floor: select, no filter".to_string()),
        ("cn", "search \"停车\"".to_string()),
        ("py", format!("search \"{py_query}\" (initials of {py_name})")),
        ("rare", "search \"无人机\" (rare)".to_string()),
        ("combo", "search 办理中 + \"漏水\"".to_string()),
    ];
    let floor = k("search_floor.med");
    for (key, label) in &search_labels {
        let (m, p) = (k(&format!("search_{key}.med")), k(&format!("search_{key}.p99")));
        let hits = k(&format!("search_{key}.hits"));
        t.row(
            label,
            &format!(
                "median {m:6.2} ms  p99 {p:6.2} ms  {:5.1}x floor  hits {hits:.0}",
                m / floor
            ),
            (*key != "floor").then_some(("< 50 ms", m < 50.0)),
        );
    }
    let (m, p) = (k("keystroke.med"), k("keystroke.p99"));
    t.row(
        "search keystroke (refilter + frame)",
        &format!("median {m:6.2} ms  p99 {p:6.2} ms"),
        Some(("< 50 ms", m < 50.0)),
    );
    t.line(String::new());

    // Reports: each period's report on screen, against the floor.
    t.line(format!(
        "Reports screen (a kiosk child of its own, 80x24, n={REPORT_RUNS} each): key 6 from Today, i.e. refresh_report + one frame; floor: one pass over the catalog's briefs (as a report reads its rows) reading each one's date"
    ));
    let floor = b("report_floor.med");
    let spread = |key: &str| {
        let m = b(&format!("{key}.med"));
        format!(
            "median {m:6.2} ms  min {:6.2}  max {:6.2}  {:5.1}x floor",
            b(&format!("{key}.min")),
            b(&format!("{key}.max")),
            m / floor
        )
    };
    t.row(
        "floor: one pass over the briefs",
        &format!(
            "median {floor:6.2} ms  min {:6.2}  max {:6.2}  ({:.0} rows)",
            b("report_floor.min"),
            b("report_floor.max"),
            b("report_floor.rows")
        ),
        None,
    );
    t.row("  the same over whole rows (text)", &spread("report_rows"), None);
    for key in PERIODS {
        let p = format!("report_{key}");
        let f = |part: &str| b(&format!("{p}.{part}"));
        let m = f("med");
        t.row(
            &format!("report on screen, {key}"),
            &spread(&p),
            Some(("<= 200 ms", m <= 200.0)),
        );
        let label = format!("{p}.label ");
        let label = books
            .lines
            .iter()
            .find_map(|l| l.strip_prefix(label.as_str()))
            .unwrap_or(key);
        t.line(format!(
            "  {label}: {:.0} appeals, {:.0} visits, {:.0} check-ins, {:.0} closed, {:.0} rated",
            f("appeals"),
            f("visits"),
            f("attended"),
            f("closed"),
            f("rated")
        ));
        t.row(
            "  refresh_report / the draw",
            &format!("median {:6.2} / {:.2} ms", f("switch.med"), f("draw.med")),
            None,
        );
        t.row(
            "  apart: rows/visits/check-ins/sums",
            &format!(
                "median {:6.2} / {:.2} / {:.2} / {:.2} ms",
                f("facts.med"),
                f("visit_days.med"),
                f("check_ins.med"),
                f("figures.med")
            ),
            None,
        );
    }
    t.row(
        "every deputy's points (standings)",
        &format!("{}  (this quarter, year, term)", spread("standings")),
        None,
    );
    t.row("Deputies screen on screen (4)", &spread("deputies_screen"), None);
    t.row(
        "one deputy's record (deeds_of)",
        &format!("{}  ({:.0} deeds)", spread("deeds_of"), b("deeds_of.lines")),
        None,
    );
    t.row("  opened: Enter on Deputies", &spread("points_opened"), None);
    t.row(
        "peak memory, Reports screen",
        &format!(
            "{:6.0} MB   (catalog loaded {:.0} MB; after each report on screen: {}; at the end, the parts and points included, {:.0} MB, RSS {:.0} MB)",
            b(&format!("report_{}.hwm", PERIODS[PERIODS.len() - 1])),
            b("hwm_loaded"),
            PERIODS
                .iter()
                .map(|p| format!("{p} {:.0}", b(&format!("report_{p}.hwm"))))
                .collect::<Vec<_>>()
                .join(", "),
            b("hwm_points"),
            b("rss_points")
        ),
        None,
    );
    t.line(String::new());

    let (save, fsync) = (k("save.med"), k("fsync.med"));
    t.row(
        "durable save (visit + appeal)",
        &format!(
            "median {save:6.2} ms  p99 {:6.2} ms  ({:.0} B journal record)",
            k("save.p99"),
            k("record_bytes")
        ),
        None,
    );
    t.row(
        "fsync floor (1 KiB append+fdatasync)",
        &format!("median {fsync:6.2} ms  p99 {:6.2} ms", k("fsync.p99")),
        None,
    );
    t.row(
        "save / fsync",
        &format!("{:.2}x", save / fsync),
        Some(("<= 2x", save / fsync <= 2.0)),
    );
    t.row(
        "screen update after save",
        &format!(
            "median {:6.2} ms  p99 {:6.2} ms  (appeals_changed)",
            k("update.med"),
            k("update.p99")
        ),
        None,
    );
    for (key, label) in [
        ("part_refilter", "  refilter (all rows)"),
        ("part_quarter", "  recount_quarter"),
        ("part_today", "  refresh_today"),
    ] {
        t.row(
            label,
            &format!(
                "median {:6.2} ms  p99 {:6.2} ms",
                k(&format!("{key}.med")),
                k(&format!("{key}.p99"))
            ),
            None,
        );
    }
    t.line(String::new());

    let hwm = k("hwm_end");
    t.row(
        "peak memory (VmHWM, kiosk child)",
        &format!("{hwm:6.0} MB   (RSS at end {:.0} MB)", k("rss_end")),
        Some(("< 100 MB", hwm < 100.0)),
    );
    t.row(
        "  after first frame (no catalog yet)",
        &format!(
            "{:6.0} MB   (max of start-up children)",
            max(&all_first, "hwm_frame")
        ),
        None,
    );
    t.row(
        "  after catalog load",
        &format!(
            "{:6.0} MB   (the catalog holds {:.0} MB)",
            k("hwm_loaded"),
            k("catalog_mb")
        ),
        None,
    );
    t.row(
        "  probe: Store::open alone",
        &format!("{:6.0} MB", mem("open_hwm")),
        None,
    );
    t.row(
        "  probe: + catalog scan, rows dropped",
        &format!(
            "{:6.0} MB   (RSS after the drop {:.0} MB, after malloc_trim {:.0} MB)",
            mem("scan_hwm"),
            mem("scan_rss"),
            mem("trim_rss")
        ),
        None,
    );
    t.row(
        "  probe: + catalog kept (main thread)",
        &format!("{:6.0} MB   (RSS {:.0} MB)", mem("kept_hwm"), mem("kept_rss")),
        None,
    );
    let check_hwm = chk("check_hwm");
    t.row(
        "jiedai check (replay + compare, streamed)",
        &format!(
            "{check_hwm:6.0} MB peak  {:.1} s  {:.0} events  {}  ({:.1}x the Store::open floor)",
            chk("check_ms") / 1000.0,
            chk("check_events"),
            if chk("check_ok") == 1.0 {
                "passed"
            } else {
                "FAILED"
            },
            check_hwm / mem("open_hwm")
        ),
        Some(("< 100 MB", check_hwm < 100.0)),
    );
    t.line(String::new());
    if t.misses.is_empty() {
        t.line("every figure meets its target".into());
    } else {
        t.line(format!("missed: {}", t.misses.join("; ")));
    }
    let report = target.join("bench-report.txt");
    fs::write(&report, t.lines.join("\n") + "\n")?;
    eprintln!("kiosk bench: written to {}", report.display());
    Ok(())
}
