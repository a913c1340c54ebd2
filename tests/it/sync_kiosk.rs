#![cfg(feature = "county")]
//! The kiosk's side of the sync: the Sync screen (5) of the real kiosk in
//! a pseudo-terminal, on a station enrolled to a county server address
//! where nothing listens, `jiedai sync` asking the open kiosk instead of
//! failing on its lock, a terminal not enrolled, and the nightly window.

use crate::support::cli;
use crate::support::county;
use crate::support::pty;

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use jiedai::sync::protocol::{Credentials, encode_public, encode_secret, new_signing_key};
use jiedai::sync::schedule::{self, Due, Slot};
use pty::{Pty, SIZE_100X30, ok};

const T: Duration = Duration::from_secs(10);

/// A station with its deputies, a private HOME, and (when `enrolled`)
/// credentials for a county server on a loopback port nothing listens on.
struct Station {
    data: tempfile::TempDir,
    home: tempfile::TempDir,
    server: String,
}

impl Station {
    fn new(enrolled: bool) -> Station {
        // A port that was free a moment ago: connecting to it is refused.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        Station::with_server(format!("http://127.0.0.1:{port}"), enrolled)
    }

    fn with_server(server: String, enrolled: bool) -> Station {
        let data = cli::station(true);
        let home = tempfile::tempdir().unwrap();
        if enrolled {
            let key = new_signing_key().unwrap();
            let county = new_signing_key().unwrap();
            let creds = Credentials {
                station: "330999012".into(),
                name: "柳岸社区人大代表联络站".into(),
                server: server.clone(),
                server_key: encode_public(&county.verifying_key()),
                key: encode_secret(&key),
                ca: None,
            };
            let file = home.path().join("credentials.toml");
            std::fs::write(&file, toml::to_string(&creds).unwrap()).unwrap();
            cli::expect(data.path(), &["enroll", cli::path(&file)], 0);
        }
        Station { data, home, server }
    }

    fn dir(&self) -> &Path {
        self.data.path()
    }

    /// The kiosk, signed in, on the Sync screen.
    fn kiosk_on_sync(&self) -> Pty {
        let p = Pty::spawn(&["--data", cli::path(self.dir())], SIZE_100X30, self.home.path());
        p.sign_in(T);
        p.send("5");
        ok(p.wait_for("与县里同步", T));
        p
    }
}

fn quit(mut p: Pty) {
    p.send("q");
    let start = Instant::now();
    assert!(p.wait_exit(T).is_some_and(|s| s.success()), "{}", p.screen());
    // The sync worker (waiting to try again) does not hold the close up.
    assert!(start.elapsed() < Duration::from_secs(5), "{:?}", start.elapsed());
}

/// "待上报的记录：N条" on the screen.
fn unsent(screen: &str) -> u64 {
    let line = screen
        .lines()
        .find(|l| l.contains("待上报的记录"))
        .unwrap_or_else(|| panic!("no unsent count:\n{screen}"));
    let digits: String = line
        .split('：')
        .nth(1)
        .unwrap_or("")
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits.parse().unwrap_or_else(|_| panic!("{line}"))
}

/// The network failure in plain words, as the client says it.
const NETWORK: &str = "连不上县里的服务器";

/// The Sync screen shows what waits to be sent; `s` starts a sync whose
/// failure is said in plain words, and a retry is planned; the kiosk
/// answers keys while it waits to try again, `s` tries again at once, and
/// quitting does not wait for the retry.
#[test]
fn the_sync_screen_syncs_on_a_key_and_says_why_it_failed() {
    let st = Station::new(true);
    let p = st.kiosk_on_sync();
    let screen = ok(p.wait_for("已接入县里的服务器", T));
    assert!(screen.contains(&st.server), "{screen}");
    assert!(unsent(&screen) > 0, "{screen}");
    assert!(screen.contains("从未成功"), "{screen}");
    assert!(screen.contains("每晚 23:00-05:00"), "{screen}");
    p.send("s");
    let screen = ok(p.wait_for(NETWORK, T));
    ok(p.wait_for("第 1 次未成功", T));
    assert!(screen.contains("上次出错"), "{screen}");
    // While the worker waits to try again, the kiosk answers at once.
    p.send("1");
    ok(p.wait_for("今日值班代表", Duration::from_secs(2)));
    p.send("5");
    ok(p.wait_for("第 1 次未成功", Duration::from_secs(2)));
    // Asking again does not wait for the backoff.
    p.send("s");
    ok(p.wait_for("第 2 次未成功", Duration::from_secs(5)));
    quit(p);
}

/// `jiedai sync` while the kiosk holds the data directory asks the kiosk,
/// which syncs and answers; the command reports the kiosk's failure (not
/// the lock) and exits non-zero. Once the kiosk is closed its socket is
/// gone and the command syncs by itself.
#[test]
fn jiedai_sync_asks_the_open_kiosk() {
    let st = Station::new(true);
    let p = st.kiosk_on_sync();
    let sock = st.dir().join("kiosk.sock");
    ok(p.wait_until(T, "the control socket", |_| sock.exists()));
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&sock).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let out = cli::jiedai(st.dir(), &["sync", "--attempts", "1"]);
    let err = cli::text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains(NETWORK), "{err}");
    assert!(err.contains(&st.server), "{err}");
    assert!(!err.contains("正被另一个"), "{err}");
    // The kiosk shows the same failure.
    ok(p.wait_for(NETWORK, T));
    quit(p);
    assert!(!sock.exists());
    let out = cli::jiedai(st.dir(), &["sync", "--attempts", "1"]);
    let err = cli::text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains(NETWORK), "{err}");
}

/// A terminal not enrolled: the screen says how to enroll, and the sync
/// key says the same instead of failing.
#[test]
fn not_enrolled_the_screen_says_how_to_enroll() {
    let st = Station::new(false);
    let p = st.kiosk_on_sync();
    let screen = ok(p.wait_for("还没有接入", T));
    assert!(screen.contains("jiedai enroll"), "{screen}");
    assert!(unsent(&screen) > 0, "{screen}");
    p.send("s");
    ok(p.wait_for("没有县里的同步凭据", T));
    p.send("1");
    ok(p.wait_for("今日值班代表", T));
    quit(p);
}

/// What a sync brings from the county shows in the kiosk: Today lists the
/// county's recent steps, and an appeal's timeline marks a county step
/// with its actor and, when it changed nothing, the reason.
#[test]
fn county_steps_show_on_today_and_in_the_timeline() {
    use jiedai::domain::{Event, EventBody, EventId, Status, Step};
    use jiedai::storage::Store;
    let data = cli::station(true);
    cli::expect(
        data.path(),
        &["import", "appeals", cli::path(&cli::sample("appeals.csv"))],
        0,
    );
    let home = tempfile::tempdir().unwrap();
    let (referred, registered) = {
        let mut store = Store::open(data.path()).unwrap();
        let reader = store.reader();
        let first = |s: Status| reader.codes_with_status(s).unwrap().into_iter().next().unwrap();
        let (referred, registered) = (first(Status::Referred), first(Status::Registered));
        let origin = "county/330999012";
        let now = chrono::Local::now().fixed_offset() - chrono::Duration::hours(1);
        let events: Vec<Box<serde_json::value::RawValue>> = [&referred, &registered]
            .iter()
            .enumerate()
            .map(|(i, code)| {
                let e = Event {
                    id: EventId {
                        origin: origin.into(),
                        seq: i as u64 + 1,
                    },
                    at: now,
                    actor: "县人大办 周敏".into(),
                    body: EventBody::CountyStepped {
                        code: code.parse().unwrap(),
                        step: Step::Reply {
                            reply: "已协调解决".into(),
                            document: None,
                            class: None,
                        },
                        note: String::new(),
                        round: 0,
                    },
                };
                serde_json::value::to_raw_value(&e).unwrap()
            })
            .collect();
        let (_, touched) = store.apply_feed(origin, events).unwrap();
        assert_eq!(touched.len(), 2);
        // As a sync records what it changed, for the kiosk's next start.
        jiedai::sync::worker::remember_touched(data.path(), &touched, now);
        (referred, registered)
    };
    let p = Pty::spawn(&["--data", cli::path(data.path())], SIZE_100X30, home.path());
    ok(p.wait_for("沈佳怡", T));
    p.key(pty::Key::Enter);
    let screen = ok(p.wait_for("县里的交办与答复、网上来件与预约 · 2", T));
    assert!(screen.contains("县里答复·未生效"), "{screen}");
    // Whole codes, as a citizen reads them out (a short tail matched 4).
    assert!(
        screen.contains(&referred) && screen.contains(&registered),
        "{screen}"
    );
    // The county's panel takes the focus (after the deputies and today's
    // registrations); Enter opens its first appeal, Esc comes back.
    p.key(pty::Key::Tab);
    p.key(pty::Key::Tab);
    p.key(pty::Key::Enter);
    let screen = ok(p.wait_for("诉求详情", T));
    let first = referred.clone().min(registered.clone());
    assert!(screen.contains(&first), "expected {first}:\n{screen}");
    p.key(pty::Key::Esc);
    ok(p.wait_for("县里的交办与答复、网上来件与预约 · 2", T));
    // The step that changed nothing, in the appeal's timeline.
    p.open_appeal_timeline(&registered, T);
    let screen = ok(p.wait_for("未生效：诉求在本站已是“已登记”", T));
    assert!(screen.contains("[县] 县人大办 周敏"), "{screen}");
    p.key(pty::Key::Esc);
    quit(p);
}

/// The worker syncs by itself once its clock reaches the time it planned
/// inside the station's window, and a failure there is retried later
/// (the reason in words); it stops at once when dropped while it waits.
#[test]
fn the_worker_syncs_at_the_planned_time_in_the_window() {
    use chrono::{FixedOffset, TimeZone};
    use jiedai::i18n::Lang;
    use jiedai::jobs::sync::{News, Trigger};
    use jiedai::storage::{Store, Writer};
    use jiedai::sync::worker::{Settings, SyncWorker};
    use std::sync::{Arc, Mutex, mpsc};
    let st = Station::new(true);
    let store = Store::open(st.dir()).unwrap();
    let reader = store.reader();
    let (writer, thread) = Writer::spawn(store).unwrap();
    let zone = FixedOffset::east_opt(8 * 3600).unwrap();
    // The clock stands at 18:00 until the worker has planned the night,
    // then jumps to the planned minute.
    let planned: Arc<Mutex<Option<NaiveDateTime>>> = Arc::default();
    let now = {
        let planned = planned.clone();
        move || {
            let at = planned.lock().unwrap().unwrap_or(at(20, 18, 0));
            zone.from_local_datetime(&at).unwrap()
        }
    };
    let window = schedule::Window::parse("23:00-05:00").unwrap();
    let settings = Settings::new(Lang::Zh, Some(window), Box::new(now));
    let (tx, rx) = mpsc::channel();
    let worker = {
        let planned = planned.clone();
        SyncWorker::spawn(reader, writer, st.dir().to_path_buf(), settings, move |n| {
            if let News::Planned(Some(at)) = &n {
                planned.lock().unwrap().get_or_insert(*at);
            }
            let _ = tx.send(n);
        })
        .unwrap()
    };
    let mut seen = Vec::new();
    let deadline = Instant::now() + T;
    let error = loop {
        let n = rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .unwrap_or_else(|_| panic!("no retry after {seen:?}"));
        if let News::Retrying {
            attempt: 1, error, ..
        } = &n
        {
            break error.message(Lang::Zh);
        }
        seen.push(n);
    };
    assert!(error.contains(NETWORK), "{error}");
    let when = planned.lock().unwrap().unwrap();
    assert!(when >= at(20, 23, 0) && when < at(21, 5, 0), "{when}");
    assert!(
        seen.iter().any(|n| matches!(n, News::Started(Trigger::Schedule))),
        "{seen:?}"
    );
    let start = Instant::now();
    drop(worker);
    assert!(start.elapsed() < Duration::from_secs(2), "{:?}", start.elapsed());
    thread.finish();
}

/// The kiosk's model on a station, signed in and on the Sync screen:
/// with the jobs `jobs` starts.
fn model_on_sync(data: &Path, jobs: jiedai::tui::runtime::StartJobs) -> jiedai::tui::runtime::Started {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use jiedai::i18n::Lang;
    use jiedai::storage::Store;
    use jiedai::tui::app::{Clock, Screen};
    use jiedai::tui::keymap::Keymap;
    use jiedai::tui::msg::Msg;
    let store = Store::open(data).unwrap();
    let clock = Clock::Fixed(chrono::Local::now().fixed_offset());
    let mut started = jiedai::tui::runtime::start_with(
        jiedai::storage::Writer::start(store, None).unwrap(),
        Lang::Zh,
        Keymap::default_layout(),
        clock,
        jobs,
    )
    .unwrap();
    let rt = &mut started.runtime;
    rt.settle();
    for c in [KeyCode::Enter, KeyCode::Char('5')] {
        rt.dispatch(Msg::Key(KeyEvent::new(c, KeyModifiers::NONE)));
    }
    assert_eq!(rt.app.screen, Screen::Sync);
    started
}

/// The screen drawn at 80x24, each row as text, wide characters once.
fn render(app: &jiedai::tui::app::App) -> String {
    use ratatui::Terminal;
    use ratatui::backend::TestBackend;
    let mut term = Terminal::new(TestBackend::new(80, 24)).unwrap();
    term.draw(|f| jiedai::tui::views::draw(f, app)).unwrap();
    let buf = term.backend().buffer();
    let mut out = String::new();
    for y in 0..24 {
        let mut skip = 0;
        for x in 0..80 {
            let symbol = buf[(x, y)].symbol();
            if skip > 0 {
                skip -= 1;
                continue;
            }
            out.push_str(symbol);
            skip = unicode_width::UnicodeWidthStr::width(symbol).saturating_sub(1);
        }
        out.push('\n');
    }
    out
}

/// The Sync screen drawn at 80x24 while a sync runs: a progress bar with
/// the events sent, then those received, then the outcome.
#[test]
fn the_sync_screen_shows_progress_while_a_sync_runs() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use jiedai::jobs::sync::{News, Report, SyncProgress, Trigger};
    use jiedai::tui::msg::Msg;

    let data = cli::station(true);
    let started = model_on_sync(data.path(), jiedai::commands::kiosk::jobs());
    let mut rt = started.runtime;
    let key = |c: KeyCode| Msg::Key(KeyEvent::new(c, KeyModifiers::NONE));
    let screen = render(&rt.app);
    assert!(
        screen.contains("还没有接入") && screen.contains("s 立即同步"),
        "{screen}"
    );
    rt.dispatch(Msg::Sync(News::Started(Trigger::Schedule)));
    rt.dispatch(Msg::Sync(News::Progress(SyncProgress::Uploading {
        sent: 5,
        total: 10,
    })));
    let screen = render(&rt.app);
    assert!(screen.contains("上报中 5/10"), "{screen}");
    assert!(screen.contains("夜间自动同步"), "{screen}");
    rt.dispatch(Msg::Sync(News::Progress(SyncProgress::Downloading {
        received: 3,
    })));
    assert!(render(&rt.app).contains("接收县里的记录 3 条"));
    // Staff pressing the key meanwhile are told to wait.
    rt.dispatch(key(KeyCode::Char('s')));
    assert!(render(&rt.app).contains("正在同步，请稍候"));
    rt.dispatch(Msg::Sync(News::Finished(Ok(Report {
        sent: 10,
        stored: 10,
        received: 3,
        touched: Vec::new(),
    }))));
    let screen = render(&rt.app);
    assert!(
        screen.contains("同步完成：上报 10 条，收到县里的记录 3 条"),
        "{screen}"
    );
    assert!(
        !screen.contains("接收县里的记录 3 条"),
        "the bar is gone:\n{screen}"
    );
    rt.close(started.writer);
}

/// The Sync screen never reads the sync's bookkeeping itself: it says
/// 读取中… until the sync's news brings it, then shows the server and what
/// waits to be sent.
#[test]
fn the_sync_screen_waits_for_the_overview_the_sync_sends() {
    use jiedai::jobs::Jobs;
    use jiedai::jobs::sync::{News, Overview};
    use jiedai::tui::msg::Msg;

    let data = cli::station(true);
    // No jobs: nothing answers but this test.
    let started = model_on_sync(data.path(), Box::new(|_| Ok(Jobs::default())));
    let mut rt = started.runtime;
    let screen = render(&rt.app);
    assert!(screen.contains("读取中…"), "{screen}");
    assert!(!screen.contains("待上报的记录"), "{screen}");
    rt.dispatch(Msg::Sync(News::Overview(Ok(Overview {
        enrolled: true,
        server: "https://rd.example.cn".into(),
        unsent: 7,
        ..Overview::default()
    }))));
    let screen = render(&rt.app);
    assert!(!screen.contains("读取中…"), "{screen}");
    assert!(screen.contains("https://rd.example.cn"), "{screen}");
    assert_eq!(unsent(&screen), 7, "{screen}");
    rt.close(started.writer);
}

fn at(d: u32, h: u32, m: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 11, d)
        .unwrap()
        .and_time(NaiveTime::from_hms_opt(h, m, 0).unwrap())
}

#[test]
fn schedule_windows_parse_and_may_cross_midnight() {
    let w = schedule::Window::parse("23:00-05:00").unwrap();
    assert!(w.crosses_midnight());
    assert_eq!(w.to_string(), "23:00-05:00");
    let day = schedule::Window::parse(" 01:30 – 04:00 ").unwrap();
    assert!(!day.crosses_midnight());
    assert_eq!(day.to_string(), "01:30-04:00");
    for bad in [
        "",
        "23:00",
        "23:00-23:00",
        "25:00-05:00",
        "23-05",
        "23:00-05:00-06:00",
        "晚上",
    ] {
        assert!(schedule::Window::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn schedule_slot_is_the_night_under_way_or_the_next() {
    let w = schedule::Window::parse("23:00-05:00").unwrap();
    let night = |d: u32| Slot {
        start: at(d, 23, 0),
        end: at(d + 1, 5, 0),
    };
    assert_eq!(schedule::slot(&w, at(20, 18, 0)), night(20));
    assert_eq!(schedule::slot(&w, at(21, 2, 0)), night(20));
    assert_eq!(schedule::slot(&w, at(21, 5, 0)), night(21));
    let early = schedule::Window::parse("01:00-04:00").unwrap();
    let slot = |d: u32| Slot {
        start: at(d, 1, 0),
        end: at(d, 4, 0),
    };
    assert_eq!(schedule::slot(&early, at(20, 12, 0)), slot(21));
    assert_eq!(schedule::slot(&early, at(20, 3, 0)), slot(20));
}

#[test]
fn schedule_start_is_random_inside_the_window_and_never_past() {
    let w = schedule::Window::parse("23:00-05:00").unwrap();
    let evening = at(20, 18, 0);
    assert_eq!(schedule::plan(&w, evening, 0.0).at, at(20, 23, 0));
    assert_eq!(schedule::plan(&w, evening, 0.5).at, at(21, 2, 0));
    let late = schedule::plan(&w, evening, 1.0).at;
    assert!(late < at(21, 5, 0) && late > at(21, 4, 59), "{late}");
    // A kiosk started at 03:00, inside the window: between now and 05:00.
    assert_eq!(schedule::plan(&w, at(21, 3, 0), 0.5).at, at(21, 4, 0));
    // Random fractions spread a county's stations over the window.
    let times: Vec<NaiveDateTime> = (0..50)
        .map(|_| schedule::plan(&w, evening, schedule::random_fraction()).at)
        .collect();
    assert!(times.iter().all(|t| *t >= at(20, 23, 0) && *t < at(21, 5, 0)));
    assert!(times.iter().any(|t| *t != times[0]), "{times:?}");
}

#[test]
fn schedule_says_when_it_is_time_once_a_night() {
    let w = schedule::Window::parse("23:00-05:00").unwrap();
    let p = schedule::plan(&w, at(20, 18, 0), 0.5);
    assert_eq!(schedule::due(&p, at(20, 23, 30)), Due::Wait);
    assert_eq!(schedule::due(&p, at(21, 2, 0)), Due::Now);
    assert_eq!(schedule::due(&p, at(21, 4, 59)), Due::Now);
    assert_eq!(schedule::due(&p, at(21, 5, 0)), Due::Missed);
    let next = schedule::next(&w, &p, 0.0);
    assert_eq!(next.at, at(21, 23, 0));
    assert_eq!(schedule::due(&next, at(21, 3, 0)), Due::Wait);
    assert_eq!(schedule::due(&next, at(21, 23, 0)), Due::Now);
}

/// The station file's window is checked when the station is set up.
#[test]
fn a_bad_window_in_the_station_file_is_refused_in_words() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(cli::sample("station.toml"))
        .unwrap()
        .replace("window = \"23:00-05:00\"", "window = \"23:00\"");
    let file = cli::write(dir.path(), "station.toml", text.as_bytes());
    let data = dir.path().join("data");
    let out = cli::jiedai(&data, &["init", "--station", cli::path(&file)]);
    let err = cli::text(&out.stderr);
    assert!(!out.status.success(), "{err}");
    assert!(
        err.contains("sync.window") && err.contains("23:00-05:00"),
        "{err}"
    );
}

/// The county's appeals of the sample station, by code.
fn county_codes(county: &county::County) -> Vec<String> {
    let out = county.run(&["appeals", "--json"]);
    assert!(out.status.success(), "{}", cli::printed(&out));
    cli::text(&out.stdout)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["code"].as_str().unwrap().to_string()
        })
        .collect()
}

/// Tracking codes of the sample station on a screen, but the visit's.
fn appeal_codes(screen: &str) -> Vec<String> {
    let mut codes: Vec<String> = screen
        .lines()
        .filter(|l| !l.contains("来访编号"))
        .flat_map(|l| l.split(|c: char| !(c.is_ascii_digit() || c == '-')))
        .filter(|w| w.contains("-330999012-") && (24..=25).contains(&w.len()))
        .map(str::to_string)
        .collect();
    codes.sort();
    codes.dedup();
    codes
}

/// Registers one appeal in the open kiosk (signed in) and returns the
/// codes shown once it is saved.
fn register(p: &Pty, title: &str) -> Vec<String> {
    let screen = p.register_traffic_appeal(("王小明", "13800001234"), title, "夜间停车位不足", T);
    let codes = appeal_codes(&screen);
    assert_eq!(codes.len(), 1, "{screen}");
    codes
}

/// On an enrolled terminal an appeal saved in the kiosk reaches the county
/// by itself soon after the save (here 2 s, set in the station file),
/// without the sync key; with the county gone, the sync after a save fails
/// without a word on the desk's screen.
#[test]
fn a_saved_appeal_reaches_the_county_soon_without_asking() {
    let county = county::County::start(None);
    let root = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(cli::sample("station.toml"))
        .unwrap()
        .replace("[sync]\n", "[sync]\nafter_save_secs = 2\n");
    assert!(text.contains("after_save_secs = 2"));
    let file = cli::write(root.path(), "station.toml", text.as_bytes());
    let dir = root.path().join("data");
    cli::expect(&dir, &["init", "--station", cli::path(&file)], 0);
    cli::expect(
        &dir,
        &["import", "deputies", cli::path(&cli::sample("deputies.csv"))],
        0,
    );
    let creds = root.path().join("credentials.toml");
    county.enroll("330999012", "柳岸社区人大代表联络站", &creds);
    cli::expect(&dir, &["enroll", cli::path(&creds)], 0);
    cli::expect(&dir, &["sync", "--attempts", "1"], 0);
    assert!(county_codes(&county).is_empty());

    let home = tempfile::tempdir().unwrap();
    let mut p = Pty::spawn(&["--data", cli::path(&dir)], SIZE_100X30, home.path());
    p.sign_in(T);
    let codes = register(&p, "小区停车难");
    let saved = Instant::now();
    let limit = Duration::from_secs(60);
    loop {
        if county_codes(&county) == codes {
            break;
        }
        assert!(
            saved.elapsed() < limit,
            "{codes:?} not on the county after {limit:?}:\n{}",
            p.screen()
        );
        std::thread::sleep(Duration::from_millis(300));
    }
    eprintln!("on the county {:?} after the save", saved.elapsed());

    // Offline: the sync after the next save fails in the log only.
    county_gone(county);
    let log = dir.join("jiedai.log");
    let failures = || {
        std::fs::read_to_string(&log)
            .unwrap_or_default()
            .matches("sync failed")
            .count()
    };
    let before = failures();
    register(&p, "路灯不亮");
    ok(p.wait_until(T, "a failed sync in the log", |_| failures() > before));
    std::thread::sleep(Duration::from_millis(500));
    let screen = p.screen();
    assert!(!screen.contains(NETWORK), "{screen}");
    // The desk goes on.
    p.send("3");
    ok(p.wait_for("状态", T));
    p.send("q");
    assert!(p.wait_exit(T).is_some_and(|s| s.success()), "{}", p.screen());
}

fn county_gone(mut county: county::County) {
    county.kill();
}

/// How many times in the timeline of the open appeal's detail read `when`,
/// once the timeline's end shows `n` of them (or, failing that, after the
/// wait).
fn timeline_at(p: &Pty, when: &str, n: usize) -> usize {
    p.key(pty::Key::End);
    let count = |s: &str| s.lines().filter(|l| l.contains(when)).count();
    p.wait_until(T, &format!("{n} times {when}"), |s| count(s) == n)
        .map_or_else(|_| count(&p.screen()), |s| count(&s))
}

/// On machines whose clock zone is UTC (every child here runs with
/// TZ=UTC), a step the station takes in the kiosk and a step the county
/// takes at the same moment, 2026-12-06 20:00 UTC, show the same time,
/// 2026-12-07 04:00 in Asia/Shanghai, in the kiosk's timeline; the
/// station's and the county's exports hold every time in that zone, with
/// one offset.
#[test]
fn a_station_step_and_a_county_step_at_one_moment_show_one_time() {
    let now = "2026-12-06T20:00:00Z";
    let when = "2026-12-07 04:00";
    let county = county::County::start(None);
    let data = cli::station(true);
    let home = tempfile::tempdir().unwrap();
    let csv = cli::write(
        home.path(),
        "one.csv",
        "日期,标题,诉求内容\n2026-12-06 10:00,路灯不亮,柳岸路北段路灯不亮已有一周\n".as_bytes(),
    );
    let out = cli::at(now, data.path(), &["import", "appeals", cli::path(&csv)]);
    assert!(out.status.success(), "{}", cli::text(&out.stderr));
    let creds = home.path().join("credentials.toml");
    county.enroll("330999012", "柳岸社区人大代表联络站", &creds);
    cli::expect(data.path(), &["enroll", cli::path(&creds)], 0);
    let found = cli::expect(data.path(), &["find", "路灯不亮", "--json"], 0);
    let found: serde_json::Value = serde_json::from_str(cli::text(&found.stdout).trim()).unwrap();
    let code = found["code"].as_str().unwrap().to_string();

    // The station accepts it at that moment, in the kiosk.
    // The kiosk at that moment, on the appeal's details.
    let open_appeal = || {
        let args = ["--data", cli::path(data.path())];
        let p = Pty::spawn_env(&args, SIZE_100X30, home.path(), &[("JIEDAI_NOW", now)]);
        p.sign_in(T);
        p.send("3");
        ok(p.wait_for("路灯不亮", T));
        p.key(pty::Key::Enter);
        ok(p.wait_for("诉求详情", T));
        p
    };
    let p = open_appeal();
    p.send("a");
    ok(p.wait_for("备注", T));
    p.key(pty::Key::Ctrl('s'));
    ok(p.wait_for("已受理", T));
    assert_eq!(timeline_at(&p, when, 1), 1, "{}", p.screen());
    quit(p);

    // The county refers it at the same moment; the station takes it.
    let out = cli::at(now, data.path(), &["sync"]);
    assert!(out.status.success(), "{}", cli::text(&out.stderr));
    county.add_units(&["青禾县住房和城乡建设局"]);
    let out = county
        .command()
        .env("JIEDAI_NOW", now)
        .args([
            "refer",
            &code,
            "--unit",
            "青禾县住房和城乡建设局",
            "--due",
            "2026-12-20",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", cli::text(&out.stderr));
    let out = cli::at(now, data.path(), &["sync"]);
    assert!(out.status.success(), "{}", cli::text(&out.stderr));

    // Both steps read 04:00 in the timeline.
    let p = open_appeal();
    ok(p.wait_for("已交办", T));
    assert_eq!(timeline_at(&p, when, 2), 2, "{}", p.screen());
    p.key(pty::Key::Esc);
    quit(p);

    // One zone, one offset in both exports; the two steps at one time.
    let station = cli::expect(data.path(), &["export", "appeals", "--format", "jsonl"], 0);
    let county_out = county.run(&["export", "--format", "jsonl"]);
    assert!(county_out.status.success(), "{}", cli::text(&county_out.stderr));
    for (side, out) in [("station", &station.stdout), ("county", &county_out.stdout)] {
        let v: serde_json::Value = serde_json::from_str(cli::text(out).trim()).unwrap();
        assert_eq!(v["timestamp"], "2026-12-06T10:00:00+08:00", "{side}: {v}");
        assert_eq!(v["date"], "2026-12-06 10:00", "{side}: {v}");
        let times: Vec<&str> = v["history"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h["at"].as_str().unwrap())
            .collect();
        assert!(times.iter().all(|t| t.ends_with("+08:00")), "{side}: {times:?}");
        assert_eq!(
            times
                .iter()
                .filter(|t| **t == "2026-12-07T04:00:00+08:00")
                .count(),
            2,
            "{side}: {times:?}"
        );
    }
}

/// Quitting while a sync waits on a server that takes the connection and
/// never answers: the kiosk is gone within 2 s (it used to wait for the
/// client's 60 s time-out on a blank screen), says what it waits for, and
/// nothing is lost.
#[test]
fn quitting_while_the_server_never_answers_takes_two_seconds_at_most() {
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let server = format!("http://{}", silent.local_addr().unwrap());
    // Says when a request's head has arrived, and never answers.
    let (arrived, on_arrival) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for c in silent.incoming() {
            let Ok(mut c) = c else { continue };
            let mut got = Vec::new();
            let mut buf = [0u8; 4096];
            while !got.windows(4).any(|w| w == b"\r\n\r\n") {
                match std::io::Read::read(&mut c, &mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => got.extend_from_slice(&buf[..n]),
                }
            }
            let _ = arrived.send(());
            held.push(c);
        }
    });
    let st = Station::with_server(server, true);
    let before = appeals_of(&st);
    let mut p = st.kiosk_on_sync();
    p.send("s");
    ok(p.wait_for("同步中", T));
    on_arrival
        .recv_timeout(T)
        .expect("the request reaches the server, which says nothing");
    p.send("q");
    let start = Instant::now();
    let status = p.wait_exit(Duration::from_secs(30));
    let took = start.elapsed();
    assert!(status.is_some_and(|s| s.success()), "{}", p.screen());
    println!("quitting while the server is silent took {took:?} (at most 2 s)");
    assert!(took <= Duration::from_secs(2), "quitting took {took:?}");
    let said = String::from_utf8_lossy(&p.raw()).into_owned();
    assert!(said.contains("正在停止与县里的同步"), "{said}");
    assert_eq!(appeals_of(&st), before, "nothing is lost");
}

/// How many appeals the station holds, as `find` lists them.
fn appeals_of(st: &Station) -> u64 {
    let out = cli::expect(st.dir(), &["find", "", "--json"], 0);
    cli::text(&out.stdout).lines().count() as u64
}

/// `s` twice on screen 5: the second sync sends nothing, and the screen
/// still shows the first, which did send, beside the last attempt.
#[test]
fn a_second_sync_that_moves_nothing_keeps_the_one_that_did() {
    let county = county::County::start(None);
    let data = cli::station(true);
    let home = tempfile::tempdir().unwrap();
    let creds = home.path().join("credentials.toml");
    county.enroll("330999012", "柳岸社区人大代表联络站", &creds);
    cli::expect(data.path(), &["enroll", cli::path(&creds)], 0);
    let p = Pty::spawn(&["--data", cli::path(data.path())], SIZE_100X30, home.path());
    p.sign_in(T);
    p.send("5");
    let screen = ok(p.wait_for("待上报的记录", T));
    let before = unsent(&screen);
    assert!(before > 0, "{screen}");
    p.send("s");
    let first = format!("上报 {before} 条");
    let screen = ok(p.wait_until(T, "the first sync's counts", |s| {
        s.contains(&first) && unsent(s) == 0
    }));
    assert!(!screen.contains("从未成功"), "{screen}");
    // Again: nothing to send, nothing to receive.
    p.send("s");
    let screen = ok(p.wait_for("上报 0 条", T));
    assert!(screen.contains("上次成功同步"), "{screen}");
    assert!(
        screen
            .lines()
            .any(|l| l.contains("上次有上报或收到的同步") && l.contains(&first)),
        "the sync that sent {before} is still shown after one that sent nothing:\n{screen}"
    );
    quit(p);
}
