//! Snapshot tests: each screen drawn at 80x24 in Chinese, over a small
//! fixed station on a fixed reception day.

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use unicode_width::UnicodeWidthStr;

use jiedai::commands::init::read_station;
use jiedai::domain::{
    Appeal, Category, Deputy, DeputyRef, EventBody, Level, Route, Step, Urgency, Visit, Visitor,
};
use jiedai::i18n::Lang;
use jiedai::storage::Store;
use jiedai::storage::writer::BeforeSave;
use jiedai::tui::app::{App, Clock, Overlay, Screen, Tone};
use jiedai::tui::keymap::Keymap;
use jiedai::tui::msg::Msg;
use jiedai::tui::runtime::{self, Runtime};
use jiedai::tui::views;

fn at(d: u32, h: u32, m: u32) -> DateTime<FixedOffset> {
    FixedOffset::east_opt(8 * 3600)
        .unwrap()
        .with_ymd_and_hms(2026, 11, d, h, m, 0)
        .unwrap()
}

fn deputy(id: &str, name: &str, level: Level, days: &[u32]) -> Deputy {
    Deputy {
        id: id.into(),
        name: name.into(),
        level,
        phone: "13900001201".into(),
        specialties: vec!["法律".into()],
        duty_days: days.to_vec(),
    }
}

/// A station with four deputies and three appeals, one of them overdue.
fn station(dir: &std::path::Path) -> Store {
    let station = read_station(std::path::Path::new("sample-data/station.toml")).unwrap();
    let mut store = Store::create(dir, &station.code, 1).unwrap();
    let mut changes = vec![EventBody::StationConfigured { station }];
    for d in [
        deputy("D001", "张山", Level::County, &[20]),
        deputy("D002", "李明辉", Level::City, &[10, 20]),
        deputy("D003", "赵爽", Level::Township, &[10]),
        deputy("D004", "欧阳红", Level::Provincial, &[20]),
    ] {
        changes.push(EventBody::DeputyUpserted { deputy: d });
    }
    store.commit_at("init", at(1, 9, 0), changes).unwrap();
    let date = NaiveDate::from_ymd_opt(2026, 11, 10).unwrap();
    let codes = store.next_codes(date, 3).unwrap();
    let visitor = Visitor {
        name: "王小明".into(),
        phone: "13800001234".into(),
        id_number: "11010519491231002X".into(),
        address: "柳岸社区3幢".into(),
    };
    let deputies = vec![DeputyRef {
        id: "D002".into(),
        name: "李明辉".into(),
    }];
    let appeal = |code: &jiedai::domain::TrackingCode, category, title: &str, content: &str| Appeal {
        visit: Some(codes[0].clone()),
        visitor: visitor.clone(),
        group_size: 1,
        deputies: deputies.clone(),
        category,
        title: title.into(),
        content: content.into(),
        location: "柳岸路".into(),
        urgency: Urgency::Normal,
        route: Route::Referred,
        ..Appeal::registered(code.clone(), at(10, 9, 30))
    };
    let changes = vec![
        EventBody::VisitRegistered {
            visit: Visit {
                code: codes[0].clone(),
                at: at(10, 9, 30),
                visitor: visitor.clone(),
                group_size: 1,
                deputies: deputies.clone(),
                appeals: codes[1..].to_vec(),
            },
        },
        EventBody::AppealRegistered {
            appeal: appeal(
                &codes[1],
                Category::Traffic,
                "小区停车难",
                "老旧小区停车位不足，晚上车辆占用消防通道。",
            ),
        },
        EventBody::AppealRegistered {
            appeal: appeal(
                &codes[2],
                Category::Elderly,
                "希望增设老年食堂",
                "社区老人多，希望增设老年食堂。",
            ),
        },
    ];
    store.commit_at("沈佳怡", at(10, 9, 30), changes).unwrap();
    let refer = |step| EventBody::AppealStepped {
        code: codes[1].clone(),
        step,
        note: String::new(),
    };
    store
        .commit_at(
            "沈佳怡",
            at(10, 10, 0),
            vec![
                refer(Step::Accept),
                refer(Step::Refer {
                    unit: "青禾县综合行政执法局".into(),
                    deadline: NaiveDate::from_ymd_opt(2026, 11, 18).unwrap(),
                }),
            ],
        )
        .unwrap();
    store
}

/// A kiosk over a store, driven by messages the way its loop drives it:
/// each key is one `Msg::Key`, and its saves go through the writer thread
/// and come back as messages before the next key.
struct Kiosk {
    rt: Runtime,
}

impl std::ops::Deref for Kiosk {
    type Target = App;
    fn deref(&self) -> &App {
        &self.rt.app
    }
}

impl std::ops::DerefMut for Kiosk {
    fn deref_mut(&mut self) -> &mut App {
        &mut self.rt.app
    }
}

impl Kiosk {
    fn over(store: Store, lang: Lang, keymap: Keymap) -> Kiosk {
        Kiosk::with_writer_hook(store, lang, keymap, None)
    }

    fn with_writer_hook(store: Store, lang: Lang, keymap: Keymap, hook: Option<BeforeSave>) -> Kiosk {
        let started = runtime::start(
            jiedai::storage::Writer::start(store, hook).unwrap(),
            lang,
            keymap,
            Clock::Fixed(at(20, 10, 30)),
        )
        .unwrap();
        let mut rt = started.runtime;
        rt.settle();
        Kiosk { rt }
    }

    /// One key press, and whatever it saved has landed.
    fn key(&mut self, key: KeyEvent) {
        self.rt.dispatch(Msg::Key(key));
        self.rt.settle();
    }

    fn paste(&mut self, text: &str) {
        self.rt.dispatch(Msg::Paste(text.into()));
    }

    fn typed(&mut self, text: &str) {
        text.chars()
            .for_each(|c| self.key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)));
    }
}

fn app(dir: &std::path::Path) -> Kiosk {
    app_in(dir, Lang::Zh)
}

fn app_in(dir: &std::path::Path, lang: Lang) -> Kiosk {
    Kiosk::over(station(dir), lang, Keymap::default_layout())
}

/// Signs in as the first person on the list, by key.
fn signed_in(dir: &std::path::Path) -> Kiosk {
    let mut app = app(dir);
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.staff.as_ref(), Some(&app.station.staff[0]));
    app
}

fn press(app: &mut Kiosk, code: KeyCode) {
    app.key(KeyEvent::new(code, KeyModifiers::NONE));
}

fn render(app: &App) -> String {
    let mut term = Terminal::new(TestBackend::new(80, 24)).unwrap();
    term.draw(|f| views::draw(f, app)).unwrap();
    // What a person sees: each row as text, wide characters once.
    let buf = term.backend().buffer();
    let mut out = String::new();
    for y in 0..buf.area.height {
        let mut skip = 0;
        for x in 0..buf.area.width {
            let symbol = buf[(x, y)].symbol();
            if skip > 0 {
                skip -= 1;
                continue;
            }
            out.push_str(symbol);
            skip = UnicodeWidthStr::width(symbol).saturating_sub(1);
        }
        out.push('\n');
    }
    out
}

#[test]
fn sign_in_screen() {
    let dir = tempfile::tempdir().unwrap();
    insta::assert_snapshot!(render(&app(dir.path())));
}

#[test]
fn today_screen() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = signed_in(dir.path());
    press(&mut app, KeyCode::Char('1'));
    insta::assert_snapshot!(render(&app));
}

#[test]
fn register_screen() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = signed_in(dir.path());
    press(&mut app, KeyCode::Char('2'));
    assert_eq!(app.screen, Screen::Register);
    insta::assert_snapshot!(render(&app));
}

#[test]
fn appeals_list_and_detail() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = signed_in(dir.path());
    press(&mut app, KeyCode::Char('3'));
    insta::assert_snapshot!("appeals_list", render(&app));
    press(&mut app, KeyCode::Enter);
    assert!(app.appeals.detail.is_some());
    insta::assert_snapshot!("appeal_detail", render(&app));
}

/// The detail and the help scroll within their text at the terminal's
/// size: the keys stop at the last page, so one Up after many Downs moves
/// back at once, and drawing leaves the model as it was.
#[test]
fn scrolling_stops_at_the_last_page() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = signed_in(dir.path());
    app.rt.dispatch(Msg::Resize {
        width: 60,
        height: 16,
    });
    press(&mut app, KeyCode::Char('3'));
    press(&mut app, KeyCode::Enter);
    let last = views::detail_last(&app);
    assert!(last > 0, "the detail is taller than 16 rows");
    for _ in 0..last + 5 {
        press(&mut app, KeyCode::Down);
    }
    assert_eq!(app.appeals.detail_scroll, last);
    press(&mut app, KeyCode::Up);
    assert_eq!(app.appeals.detail_scroll, last - 1);
    let drawn = render(&app);
    assert_eq!(app.appeals.detail_scroll, last - 1, "{drawn}");
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Char('?'));
    let last = views::overlay_last(&app);
    for _ in 0..last + 5 {
        press(&mut app, KeyCode::PageDown);
    }
    assert!(matches!(app.overlay, Overlay::Help { scroll } if scroll == last));
}

#[test]
fn deputies_screen() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = signed_in(dir.path());
    press(&mut app, KeyCode::Char('4'));
    assert_eq!(app.screen, Screen::Deputies);
    insta::assert_snapshot!(render(&app));
}

#[test]
fn help_overlay() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = signed_in(dir.path());
    press(&mut app, KeyCode::Char('?'));
    assert!(matches!(app.overlay, Overlay::Help { .. }));
    insta::assert_snapshot!(render(&app));
}

#[test]
fn english_today_and_appeals() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = app_in(dir.path(), Lang::En);
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('1'));
    insta::assert_snapshot!("english_today", render(&app));
    press(&mut app, KeyCode::Char('3'));
    insta::assert_snapshot!("english_appeals", render(&app));
}

/// A paste types text into the field that has focus and is never taken as
/// key presses: "q" or "3" in pasted text neither quits nor switches screens.
#[test]
fn paste_goes_to_the_focused_field_only() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = signed_in(dir.path());
    app.paste("q3?");
    assert!(!app.quit);
    assert_eq!(app.screen, Screen::Today);
    assert!(matches!(app.overlay, Overlay::None));

    press(&mut app, KeyCode::Char('2'));
    app.paste("王小明q\r\n3");
    assert!(!app.quit);
    assert_eq!(app.screen, Screen::Register);
    // The name field is single-line: two lines are refused, not merged.
    assert_eq!(app.register.focused().text(), "");
    assert!(matches!(&app.message, Some((Tone::Warn, m)) if m.contains("只能填一行")));
    // One line with its line break (as copied) is taken.
    app.paste("王小明q3\n");
    assert_eq!(app.register.focused().text(), "王小明q3");
}

#[test]
fn a_database_error_on_today_is_said_not_hidden() {
    let dir = tempfile::tempdir().unwrap();
    drop(station(dir.path()));
    // A duty record that does not decode.
    {
        let db = crate::common::open_db_directly(dir.path());
        let day = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
        db.insert(
            jiedai::storage::keys::duty(day, "D001"),
            b"\x01{not json".to_vec(),
        )
        .unwrap();
        db.flush().unwrap();
    }
    let store = Store::open(dir.path()).unwrap();
    let mut app = Kiosk::over(store, Lang::Zh, Keymap::default_layout());
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('1'));
    let screen = render(&app);
    assert!(screen.contains("今日信息读取失败"), "{screen}");
}

/// The step dialogs, driven by keys on the kiosk's fixed clock (the 20th):
/// the desk's rules refuse a deadline before today and a reopen without a
/// note in the dialog, with nothing recorded; what they accept is saved
/// through the writer and shown.
#[test]
fn step_dialogs_through_keys_obey_the_desk_rules() {
    use jiedai::domain::Status;

    let ctrl = |c| KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL);
    let dir = tempfile::tempdir().unwrap();
    let mut app = signed_in(dir.path());
    let code = app.reader.codes_with_status(Status::Registered).unwrap()[0].clone();
    let status = |app: &Kiosk| app.reader.appeal(&code).unwrap().unwrap().status;
    let dialog_error = |app: &Kiosk| match &app.overlay {
        Overlay::Dialog(d) => d.error.clone(),
        _ => None,
    };

    // Find the appeal in the list by moving down, open it, accept it.
    press(&mut app, KeyCode::Char('3'));
    while app.selected_row().map(|r| r.code.to_string()) != Some(code.clone()) {
        let before = app.appeals.selected;
        press(&mut app, KeyCode::Down);
        assert_ne!(app.appeals.selected, before, "{code} is not in the list");
    }
    press(&mut app, KeyCode::Enter);
    app.typed("a");
    assert!(matches!(app.overlay, Overlay::Dialog(_)));
    app.key(ctrl('s'));
    assert!(matches!(app.overlay, Overlay::None));
    assert_eq!(status(&app), Status::Accepted);

    // Refer: pick the first unit, type a deadline before today.
    app.typed("t");
    press(&mut app, KeyCode::Enter);
    for _ in 0..10 {
        press(&mut app, KeyCode::Backspace);
    }
    app.typed("2026-11-19");
    app.key(ctrl('s'));
    let error = dialog_error(&app).expect("refused in the dialog");
    assert!(
        error.contains("2026-11-19") && error.contains("2026-11-20"),
        "{error}"
    );
    assert_eq!(status(&app), Status::Accepted);
    press(&mut app, KeyCode::Backspace);
    press(&mut app, KeyCode::Backspace);
    app.typed("20");
    app.key(ctrl('s'));
    assert!(matches!(app.overlay, Overlay::None), "the saved dialog closes");
    assert_eq!(status(&app), Status::Referred);
    assert!(render(&app).contains("已记录：交办"), "{}", render(&app));

    // Reply, then a rating: closed.
    app.typed("y");
    app.typed("已答复。");
    app.key(ctrl('s'));
    assert_eq!(status(&app), Status::Replied);
    app.typed("m");
    press(&mut app, KeyCode::Enter);
    app.key(ctrl('s'));
    assert_eq!(status(&app), Status::Closed);

    // Reopen without a note: refused; with one: round 1.
    app.typed("z");
    app.key(ctrl('s'));
    let error = dialog_error(&app).expect("a reopen without a note is refused");
    assert!(error.contains("备注"), "{error}");
    assert_eq!(status(&app), Status::Closed);
    app.typed("群众反映问题仍未解决");
    app.key(ctrl('s'));
    assert_eq!(dialog_error(&app), None);
    assert!(matches!(app.overlay, Overlay::None));
    assert_eq!(app.reader.appeal(&code).unwrap().unwrap().round, 1);
    let history = &app.reader.appeal(&code).unwrap().unwrap().history;
    assert!(
        history.iter().rev().take(5).all(|h| h.at == at(20, 10, 30)),
        "the steps take the kiosk's clock: {history:?}"
    );
}

/// Sign-in, the PIN prompt and the search box take their keys from the
/// keymap like every other screen: remapped keys work there, and the keys
/// they replaced no longer do.
#[test]
fn sign_in_and_search_keys_come_from_the_keymap() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    let key = |code| KeyEvent::new(code, KeyModifiers::NONE);
    let ctrl = |c| KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL);
    let dir = tempfile::tempdir().unwrap();
    let store = station(dir.path());
    let mut keymap = Keymap::default_layout();
    keymap
        .merge(
            "[nav]\ndown = [\"C-j\"]\nopen = [\"C-o\"]\nback = [\"C-b\"]\n",
            "test override",
        )
        .unwrap();
    let mut app = Kiosk::over(store, Lang::Zh, keymap);

    // The old keys do nothing on the sign-in list.
    app.key(key(KeyCode::Down));
    app.key(key(KeyCode::Enter));
    assert!(app.staff.is_none() && app.signin.highlight == 0);
    // The new ones move and sign in.
    app.key(ctrl('j'));
    assert_eq!(app.signin.highlight, 1);
    app.key(ctrl('b'));
    assert!(app.quit, "back on the sign-in list quits");
    app.quit = false;
    app.key(KeyEvent::new(KeyCode::Up, KeyModifiers::NONE));
    app.key(ctrl('o'));
    assert_eq!(app.staff.as_ref().map(|s| s.id.as_str()), Some("S01"));

    // The search box: C-o ends the search keeping the query, C-b clears it.
    app.screen = Screen::Appeals;
    app.key(key(KeyCode::Char('/')));
    assert!(app.appeals.searching);
    for c in "路灯".chars() {
        app.key(key(KeyCode::Char(c)));
    }
    app.key(key(KeyCode::Enter));
    assert!(app.appeals.searching, "enter is no longer bound");
    app.key(ctrl('o'));
    assert!(!app.appeals.searching);
    assert_eq!(app.appeals.filter.query, "路灯");
    app.key(key(KeyCode::Char('/')));
    app.key(ctrl('b'));
    assert!(!app.appeals.searching);
    assert_eq!(app.appeals.filter.query, "");
}

/// Every action of both built-in layouts has keys, and the help screen
/// lists every one of them.
#[test]
fn every_action_has_keys_and_is_on_the_help_screen() {
    use jiedai::tui::keymap::Action;
    for layout in ["default", "vim"] {
        let dir = tempfile::tempdir().unwrap();
        let keymap = Keymap::parse(Keymap::builtin(layout).unwrap(), layout).unwrap();
        let store = station(dir.path());
        let mut app = Kiosk::over(store, Lang::Zh, keymap);
        press(&mut app, KeyCode::Enter);
        app.typed("?");
        assert!(matches!(app.overlay, Overlay::Help { scroll: 0 }));
        let mut term = Terminal::new(TestBackend::new(80, 120)).unwrap();
        term.draw(|f| views::draw(f, &app)).unwrap();
        let buf = term.backend().buffer();
        let screen: String = (0..buf.area.height)
            .map(|y| {
                (0..buf.area.width)
                    .map(|x| buf[(x, y)].symbol())
                    .collect::<String>()
                    .replace(' ', "")
            })
            .collect::<Vec<_>>()
            .join("\n");
        for action in Action::all() {
            assert!(
                !app.keymap.keys_for(*action).is_empty(),
                "{layout}: {} has no key",
                action.name()
            );
            let desc = action.desc_zh().replace(' ', "");
            assert!(
                screen.contains(&desc),
                "{layout}: {} missing from help:\n{screen}",
                action.name()
            );
        }
    }
}

/// Check-in and check-out, and every filter of the appeals list, driven
/// by keys on a fixed clock.
#[test]
fn duty_and_filters_through_keys() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    let key = |c: char| KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE);
    let ctrl = |c: char| KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL);
    let dir = tempfile::tempdir().unwrap();
    let mut app = signed_in(dir.path());
    app.refresh_today();
    let day = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();

    // Today: the first deputy on the list checks in, then out, at the clock's time.
    let first = app.today.duty[0].0.id.clone();
    app.key(key('i'));
    let duty = app.reader.duty(day).unwrap();
    assert_eq!(duty.len(), 1);
    assert_eq!(
        (duty[0].deputy.as_str(), duty[0].check_in),
        (first.as_str(), Some(at(20, 10, 30)))
    );
    app.key(key('o'));
    assert_eq!(app.reader.duty(day).unwrap()[0].check_out, Some(at(20, 10, 30)));
    // Out again: refused, said, nothing recorded.
    app.key(key('o'));
    assert!(
        matches!(&app.message, Some((Tone::Warn, m)) if m.contains("不能签退")),
        "{:?}",
        app.message
    );
    assert_eq!(app.reader.duty(day).unwrap()[0].check_out, Some(at(20, 10, 30)));

    // The appeals list: two appeals, one referred and overdue.
    app.key(key('3'));
    assert_eq!(app.screen, Screen::Appeals);
    assert_eq!(app.appeals.hits.len(), 2);
    app.key(key('s'));
    assert_eq!(
        app.appeals.filter.status,
        Some(jiedai::domain::Status::Registered)
    );
    assert_eq!(app.appeals.hits.len(), 1);
    app.key(key('x'));
    assert_eq!(app.appeals.hits.len(), 2);
    app.key(key('o'));
    assert_eq!(app.appeals.hits.len(), 1, "overdue only");
    app.key(key('x'));

    // Category: a picker typed into, picked, saved.
    app.key(key('c'));
    assert!(matches!(app.overlay, Overlay::Dialog(_)));
    app.typed("养老");
    app.key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
    app.key(ctrl('s'));
    assert!(matches!(app.overlay, Overlay::None));
    assert_eq!(app.appeals.filter.category, Some(Category::Elderly));
    assert_eq!(app.appeals.hits.len(), 1);
    app.key(key('x'));

    // Dates: a bad date is refused in the dialog, a good one filters.
    app.key(key('r'));
    app.typed("2026-13-01");
    app.key(ctrl('s'));
    assert!(matches!(&app.overlay, Overlay::Dialog(d) if d.error.is_some()));
    app.key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE));
    app.key(key('r'));
    app.typed("2026-11-11");
    app.key(ctrl('s'));
    assert!(matches!(app.overlay, Overlay::None));
    assert_eq!(app.appeals.hits.len(), 0, "both appeals are from the 10th");
    app.key(key('x'));
    assert_eq!(app.appeals.hits.len(), 2);
}

/// The store's writer held back, standing for a slow fsync: after Ctrl-S
/// the kiosk says 保存中… and keeps the form as it is; it still answers
/// keys and draws while the write is held; when the write lands it says
/// 已保存 with the codes. (Were the save done on the kiosk's thread, the
/// key after Ctrl-S could only be handled once the write was let go: a
/// watchdog lets it go after a minute, and the test then fails.)
#[test]
fn a_slow_save_never_freezes_the_screen() {
    use std::sync::mpsc;
    use std::time::Duration;

    let (release, gate) = mpsc::channel::<()>();
    let (entered_tx, entered) = mpsc::channel::<()>();
    let hook: BeforeSave = Box::new(move || {
        let _ = entered_tx.send(());
        let _ = gate.recv();
    });
    let dir = tempfile::tempdir().unwrap();
    let mut app = Kiosk::with_writer_hook(
        station(dir.path()),
        Lang::Zh,
        Keymap::default_layout(),
        Some(hook),
    );
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('2'));
    app.typed("王小明");
    for _ in 0..6 {
        press(&mut app, KeyCode::Tab);
    }
    app.typed("jttc");
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Tab);
    app.typed("夜间停车位不足");
    let visits_before = app
        .reader
        .counts_on(NaiveDate::from_ymd_opt(2026, 11, 20).unwrap());

    // Ctrl-S: sent to the writer, which is now inside the save and held.
    let watchdog = {
        let release = release.clone();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs(60));
            let _ = release.send(());
        })
    };
    app.rt
        .dispatch(Msg::Key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL)));
    entered
        .recv_timeout(Duration::from_secs(30))
        .expect("the writer took the save");
    let screen = render(&app);
    assert!(screen.contains("保存中"), "{screen}");
    assert!(
        screen.contains("王小明"),
        "the form stays as it is while it saves:\n{screen}"
    );

    // Keys are answered and frames drawn while the write is held.
    press_now(&mut app, KeyCode::Char('x'));
    assert!(
        matches!(&app.message, Some((Tone::Info, m)) if m.contains("正在保存")),
        "typing into the form being saved is held off: {:?}",
        app.message
    );
    app.rt
        .dispatch(Msg::Key(KeyEvent::new(KeyCode::Char('3'), KeyModifiers::ALT)));
    assert_eq!(app.screen, Screen::Appeals);
    let screen = render(&app);
    assert!(
        screen.contains("小区停车难"),
        "the appeals list is drawn:\n{screen}"
    );
    press_now(&mut app, KeyCode::Char('?'));
    assert!(matches!(app.overlay, Overlay::Help { .. }));
    press_now(&mut app, KeyCode::Esc);
    assert!(
        !app.saving.is_empty(),
        "the keys were answered only after the write was let go"
    );
    assert_eq!(
        app.reader
            .counts_on(NaiveDate::from_ymd_opt(2026, 11, 20).unwrap()),
        visits_before,
        "nothing is in the database while the write is held"
    );

    // The write lands: 已保存, with the new appeal's code.
    release.send(()).unwrap();
    app.rt.settle();
    let code = app
        .reader
        .codes_with_status(jiedai::domain::Status::Registered)
        .unwrap();
    let new = code
        .iter()
        .find(|c| c.starts_with("261120-"))
        .expect("the new appeal")
        .clone();
    let screen = render(&app);
    assert!(screen.contains("已保存") && screen.contains("查询码"), "{screen}");
    assert!(
        matches!(&app.message, Some((Tone::Good, m)) if m.contains(&new)),
        "{:?}",
        app.message
    );
    press(&mut app, KeyCode::Enter);
    press(&mut app, KeyCode::Char('2'));
    assert!(!render(&app).contains("王小明"), "the saved form is cleared");
    drop(watchdog);
}

/// One key press handed to the loop, without waiting for saves.
fn press_now(app: &mut Kiosk, code: KeyCode) {
    app.rt.dispatch(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

/// A deputy who checks in comes first in the register form's deputy
/// picker, whatever their place on the roster.
#[test]
fn checked_in_deputies_come_first_in_the_picker() {
    let dir = tempfile::tempdir().unwrap();
    let mut app = signed_in(dir.path());
    press(&mut app, KeyCode::Char('1'));
    // The last deputy on today's list checks in.
    let last = app.today.duty.len() - 1;
    for _ in 0..last {
        press(&mut app, KeyCode::Down);
    }
    let present = app.today.duty[last].0.clone();
    app.typed("i");
    assert!(matches!(&app.message, Some((Tone::Good, m)) if m.contains(&present.name)));
    press(&mut app, KeyCode::Char('2'));
    press(&mut app, KeyCode::Tab);
    press(&mut app, KeyCode::Tab);
    let jiedai::tui::form::Widget::Pick(picker) = app.register.focused().clone() else {
        panic!("the deputy field is a picker");
    };
    assert_eq!(picker.choices[picker.visible[0]].value, present.id);
    assert_ne!(
        app.deputies[0].id, present.id,
        "the test needs a deputy who is not first on the roster"
    );
}
