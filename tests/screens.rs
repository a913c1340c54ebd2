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
use jiedai::tui::app::{App, Clock, Overlay, Screen, Tone};
use jiedai::tui::keymap::Keymap;
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
    let station = read_station(std::path::Path::new("sample-data/station.toml"), Lang::Zh).unwrap();
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

fn app(dir: &std::path::Path) -> App {
    app_in(dir, Lang::Zh)
}

fn app_in(dir: &std::path::Path, lang: Lang) -> App {
    let store = station(dir);
    let mut app = App::new(
        store,
        lang,
        Keymap::default_layout(),
        Clock::Fixed(at(20, 10, 30)),
    )
    .unwrap();
    app.wait_for_catalog();
    app
}

/// Signs in as the first person on the list, by key.
fn signed_in(dir: &std::path::Path) -> App {
    let mut app = app(dir);
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.staff.as_ref(), Some(&app.station.staff[0]));
    app
}

fn press(app: &mut App, code: KeyCode) {
    jiedai::tui::update::on_key(app, KeyEvent::new(code, KeyModifiers::NONE));
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
    jiedai::tui::update::on_paste(&mut app, "q3?");
    assert!(!app.quit);
    assert_eq!(app.screen, Screen::Today);
    assert!(matches!(app.overlay, Overlay::None));

    app.screen = Screen::Register;
    jiedai::tui::update::on_paste(&mut app, "王小明q\r\n3");
    assert!(!app.quit);
    assert_eq!(app.screen, Screen::Register);
    // The name field is single-line: the line break is dropped.
    assert_eq!(app.register.focused().text(), "王小明q3");
}

#[test]
fn a_database_error_on_today_is_said_not_hidden() {
    let dir = tempfile::tempdir().unwrap();
    drop(station(dir.path()));
    // A duty record that does not decode.
    {
        let db = sled::open(dir.path().join("db")).unwrap();
        let day = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
        db.insert(
            jiedai::storage::keys::duty(day, "D001"),
            b"\x01{not json".to_vec(),
        )
        .unwrap();
        db.flush().unwrap();
    }
    let store = Store::open(dir.path()).unwrap();
    let mut app = App::new(
        store,
        Lang::Zh,
        Keymap::default_layout(),
        Clock::Fixed(at(20, 10, 30)),
    )
    .unwrap();
    app.wait_for_catalog();
    app.staff = Some(app.station.staff[0].clone());
    app.refresh_today();
    let screen = render(&app);
    assert!(screen.contains("今日信息读取失败"), "{screen}");
}

/// The step dialogs obey the domain's rules on the step's own day (the
/// kiosk's clock): a deadline before today and a reopen without a note are
/// refused in the dialog, and nothing is recorded.
#[test]
fn step_dialogs_obey_the_domain_rules() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use jiedai::domain::{Satisfaction, Status};
    use jiedai::tui::form::Widget;
    use jiedai::tui::input::TextInput;
    use jiedai::tui::keymap::Action;
    use jiedai::tui::update::{act, on_key};

    let dir = tempfile::tempdir().unwrap();
    let mut app = signed_in(dir.path());
    app.screen = Screen::Appeals;
    let code = app.store.codes_with_status(Status::Registered).unwrap()[0].clone();
    let accept = EventBody::AppealStepped {
        code: code.parse().unwrap(),
        step: Step::Accept,
        note: String::new(),
    };
    app.store
        .commit_at("沈佳怡", at(20, 10, 0), vec![accept])
        .unwrap();
    let save = KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL);
    let dialog_error = |app: &App| match &app.overlay {
        Overlay::Dialog(d) => d.error.clone(),
        _ => None,
    };
    let set_text = |app: &mut App, i: usize, text: &str| {
        if let Overlay::Dialog(d) = &mut app.overlay {
            d.fields[i].1 = Widget::Text(TextInput::new(1000).with_text(text));
        }
    };

    app.open_appeal(&code);
    act(&mut app, Action::Refer);
    if let Overlay::Dialog(d) = &mut app.overlay
        && let Widget::Pick(p) = &mut d.fields[0].1
    {
        p.pick();
    }
    set_text(&mut app, 1, "2026-11-19");
    on_key(&mut app, save);
    let error = dialog_error(&app).expect("refused in the dialog");
    assert!(
        error.contains("2026-11-19") && error.contains("2026-11-20"),
        "{error}"
    );
    assert_eq!(app.store.appeal(&code).unwrap().unwrap().status, Status::Accepted);
    set_text(&mut app, 1, "2026-11-20");
    on_key(&mut app, save);
    assert_eq!(dialog_error(&app), None);
    assert_eq!(app.store.appeal(&code).unwrap().unwrap().status, Status::Referred);

    // To closed, then reopen without and with a note.
    for step in [
        Step::Reply {
            reply: "已答复。".into(),
        },
        Step::Rate {
            satisfaction: Satisfaction::Satisfied,
        },
    ] {
        let change = EventBody::AppealStepped {
            code: code.parse().unwrap(),
            step,
            note: String::new(),
        };
        app.store
            .commit_at("沈佳怡", at(20, 10, 5), vec![change])
            .unwrap();
    }
    app.overlay = Overlay::None;
    app.open_appeal(&code);
    act(&mut app, Action::Reopen);
    on_key(&mut app, save);
    let error = dialog_error(&app).expect("a reopen without a note is refused");
    assert!(error.contains("备注"), "{error}");
    assert_eq!(app.store.appeal(&code).unwrap().unwrap().status, Status::Closed);
    set_text(&mut app, 0, "群众反映问题仍未解决");
    on_key(&mut app, save);
    assert_eq!(dialog_error(&app), None);
    assert_eq!(app.store.appeal(&code).unwrap().unwrap().round, 1);
}

/// Sign-in, the PIN prompt and the search box take their keys from the
/// keymap like every other screen: remapped keys work there, and the keys
/// they replaced no longer do.
#[test]
fn sign_in_and_search_keys_come_from_the_keymap() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use jiedai::tui::update::on_key;

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
    let mut app = App::new(store, Lang::Zh, keymap, Clock::Fixed(at(20, 10, 30))).unwrap();
    app.wait_for_catalog();

    // The old keys do nothing on the sign-in list.
    on_key(&mut app, key(KeyCode::Down));
    on_key(&mut app, key(KeyCode::Enter));
    assert!(app.staff.is_none() && app.signin.highlight == 0);
    // The new ones move and sign in.
    on_key(&mut app, ctrl('j'));
    assert_eq!(app.signin.highlight, 1);
    on_key(&mut app, ctrl('b'));
    assert!(app.quit, "back on the sign-in list quits");
    app.quit = false;
    on_key(&mut app, KeyEvent::new(KeyCode::Up, KeyModifiers::NONE));
    on_key(&mut app, ctrl('o'));
    assert_eq!(app.staff.as_ref().map(|s| s.id.as_str()), Some("S01"));

    // The search box: C-o ends the search keeping the query, C-b clears it.
    app.screen = Screen::Appeals;
    on_key(&mut app, key(KeyCode::Char('/')));
    assert!(app.appeals.searching);
    for c in "路灯".chars() {
        on_key(&mut app, key(KeyCode::Char(c)));
    }
    on_key(&mut app, key(KeyCode::Enter));
    assert!(app.appeals.searching, "enter is no longer bound");
    on_key(&mut app, ctrl('o'));
    assert!(!app.appeals.searching);
    assert_eq!(app.appeals.filter.query, "路灯");
    on_key(&mut app, key(KeyCode::Char('/')));
    on_key(&mut app, ctrl('b'));
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
        let mut app = App::new(store, Lang::Zh, keymap, Clock::Fixed(at(20, 10, 30))).unwrap();
        app.wait_for_catalog();
        app.staff = Some(app.station.staff[0].clone());
        app.overlay = Overlay::Help { scroll: 0 };
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
    use jiedai::tui::update::on_key;

    let key = |c: char| KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE);
    let ctrl = |c: char| KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL);
    let typed = |app: &mut App, text: &str| text.chars().for_each(|c| on_key(app, key(c)));
    let dir = tempfile::tempdir().unwrap();
    let mut app = signed_in(dir.path());
    app.refresh_today();
    let day = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();

    // Today: the first deputy on the list checks in, then out, at the clock's time.
    let first = app.today.duty[0].0.id.clone();
    on_key(&mut app, key('i'));
    let duty = app.store.duty(day).unwrap();
    assert_eq!(duty.len(), 1);
    assert_eq!(
        (duty[0].deputy.as_str(), duty[0].check_in),
        (first.as_str(), Some(at(20, 10, 30)))
    );
    on_key(&mut app, key('o'));
    assert_eq!(app.store.duty(day).unwrap()[0].check_out, Some(at(20, 10, 30)));
    // Out again: refused, said, nothing recorded.
    on_key(&mut app, key('o'));
    assert!(matches!(app.message, Some((Tone::Error, _))), "{:?}", app.message);
    assert_eq!(app.store.duty(day).unwrap()[0].check_out, Some(at(20, 10, 30)));

    // The appeals list: two appeals, one referred and overdue.
    on_key(&mut app, key('3'));
    assert_eq!(app.screen, Screen::Appeals);
    assert_eq!(app.appeals.hits.len(), 2);
    on_key(&mut app, key('s'));
    assert_eq!(
        app.appeals.filter.status,
        Some(jiedai::domain::Status::Registered)
    );
    assert_eq!(app.appeals.hits.len(), 1);
    on_key(&mut app, key('x'));
    assert_eq!(app.appeals.hits.len(), 2);
    on_key(&mut app, key('o'));
    assert_eq!(app.appeals.hits.len(), 1, "overdue only");
    on_key(&mut app, key('x'));

    // Category: a picker typed into, picked, saved.
    on_key(&mut app, key('c'));
    assert!(matches!(app.overlay, Overlay::Dialog(_)));
    typed(&mut app, "养老");
    on_key(&mut app, KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
    on_key(&mut app, ctrl('s'));
    assert!(matches!(app.overlay, Overlay::None));
    assert_eq!(app.appeals.filter.category, Some(Category::Elderly));
    assert_eq!(app.appeals.hits.len(), 1);
    on_key(&mut app, key('x'));

    // Dates: a bad date is refused in the dialog, a good one filters.
    on_key(&mut app, key('r'));
    typed(&mut app, "2026-13-01");
    on_key(&mut app, ctrl('s'));
    assert!(matches!(&app.overlay, Overlay::Dialog(d) if d.error.is_some()));
    on_key(&mut app, KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE));
    on_key(&mut app, key('r'));
    typed(&mut app, "2026-11-11");
    on_key(&mut app, ctrl('s'));
    assert!(matches!(app.overlay, Overlay::None));
    assert_eq!(app.appeals.hits.len(), 0, "both appeals are from the 10th");
    on_key(&mut app, key('x'));
    assert_eq!(app.appeals.hits.len(), 2);
}
