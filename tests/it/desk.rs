//! The desk on a busy reception day: the real kiosk in a pseudo-terminal,
//! driven the way staff drive it at speed (typing ahead, not reading every
//! message), at the sizes where each problem was seen.

use crate::support::cli;
use crate::support::desk::Desk;
use crate::support::printer;
use crate::support::pty;

use std::time::Duration;

use pty::{Key, Pty, SIZE_80X24, Size, ok};

const T: Duration = Duration::from_secs(10);

/// The first whole tracking code (dddddd-ddddddddd-ddddd-d) in `text`.
fn code_in(text: &str) -> Option<String> {
    text.split(|c: char| !(c.is_ascii_digit() || c == '-'))
        .find(|w| w.len() == 24 && w.matches('-').count() == 3)
        .map(str::to_string)
}

/// Waits until `f` finds what it looks for on the emulated screen.
fn until<T>(p: &Pty, what: &str, f: impl Fn(&Pty) -> Option<T>) -> T {
    let start = std::time::Instant::now();
    loop {
        if let Some(found) = f(p) {
            return found;
        }
        assert!(
            start.elapsed() < T,
            "timed out waiting for {what}:\n{}",
            p.screen()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Waits until one panel has the focus border and its title starts with
/// `title`.
fn wait_focus(p: &Pty, title: &str) {
    until(p, &format!("the focus on {title}"), |p| {
        let f = focused_panels(p);
        (f.len() == 1 && f[0].starts_with(title)).then_some(())
    })
}

/// Quits the kiosk (nothing unsaved on the form) and waits for it to end.
fn quit(mut p: Pty) {
    // Esc leaves an empty form (where q would be typed) and does no harm
    // elsewhere.
    p.key(Key::Esc);
    p.send("q");
    assert!(p.wait_exit(T).is_some_and(|s| s.success()), "{}", p.screen());
}

/// Opens the first appeal in the list filtered to one status (`s` cycles
/// the status filter from 已登记 onward); the detail screen, drawn down to
/// its actions line.
fn open_first_with_status(p: &Pty, presses: usize, label: &str) -> String {
    p.send("3");
    ok(p.wait_for("状态", T));
    for _ in 0..presses {
        p.send("s");
    }
    ok(p.wait_for(&format!("状态:{label}"), T));
    p.key(Key::Enter);
    ok(p.wait_until(T, "the appeal's detail", |s| {
        s.contains("诉求详情") && code_in(s).is_some() && s.contains("可执行操作")
    }))
}

/// `m`, `bmy` (the initials of 不满意), Enter: 不满意 is recorded, not
/// 基本满意 (whose initials jbmy also contain bmy). An exact match of the
/// initials ranks first.
#[test]
fn the_rating_picker_takes_the_exact_initials() {
    let desk = Desk::new(true);
    let p = desk.kiosk(SIZE_80X24);
    let screen = open_first_with_status(&p, 5, "已答复");
    let code = code_in(&screen).unwrap_or_else(|| panic!("no code on the detail screen:\n{screen}"));
    p.send("m");
    ok(p.wait_for("满意度", T));
    p.send("bmy");
    // The typed initials, and the choices they rank under them.
    ok(p.wait_until(T, "bmy ranking 不满意 first", |s| {
        let lines: Vec<&str> = s.lines().collect();
        lines
            .windows(2)
            .any(|w| w[0].contains("bmy") && w[1].contains("不满意") && !w[1].contains("基本满意"))
    }));
    p.key(Key::Enter);
    p.key(Key::Ctrl('s'));
    ok(p.wait_for("已记录", T));
    ok(p.wait_for("不满意", T));
    quit(p);
    // Not satisfied sends the appeal back for handling; any other rating
    // closes it.
    let found = desk.find_json(&code);
    assert!(
        found.contains(&code) && !found.contains("\"closed\""),
        "not satisfied was chosen, so the appeal is not closed:\n{found}"
    );
}

/// Fills the register form with a typical visit: visitor, phone, a deputy
/// by pinyin initials, one appeal with category, title and content.
/// Returns how many non-text keys it took.
fn register_typical(p: &Pty, name: &str) -> usize {
    register_with_phone(p, name, "13800001234")
}

fn register_with_phone(p: &Pty, name: &str, phone: &str) -> usize {
    let mut keys = 0;
    let mut key = |k: Key| {
        p.key(k);
        keys += 1;
    };
    p.send("2");
    ok(p.wait_for("■ 来访人", T));
    p.send(name);
    key(Key::Tab);
    p.send(phone);
    key(Key::Tab);
    p.send("zs");
    ok(p.wait_for("张山", T));
    key(Key::Enter);
    key(Key::PageDown);
    p.type_traffic_appeal("小区停车难", "老旧小区夜间停车位不足", T);
    ok(p.wait_for("老旧小区夜间停车位不足", T));
    p.key(Key::Ctrl('s'));
    keys + 3
}

/// After Ctrl-S the codes stay on screen until Enter or Esc: typing ahead
/// does not close them (and is not half-typed into the next form), a
/// repeated Ctrl-S does nothing, and each code is labelled with its
/// appeal's title.
#[test]
fn the_saved_codes_stay_until_enter_or_esc() {
    let desk = Desk::new(false);
    let p = desk.kiosk(SIZE_80X24);
    register_typical(&p, "王小明");
    let shown = ok(p.wait_until(T, "the codes with their titles", |s| {
        s.contains("查询码（请告知来访人）") && s.contains("小区停车难")
    }));
    assert!(
        shown.contains("小区停车难"),
        "the code is labelled with its title:\n{shown}"
    );
    // Typing ahead and Ctrl-S again: the panel stays, nothing is saved.
    // Keys are taken in order, so the panel is still there for the Enter
    // that closes it only if neither the typing nor Ctrl-S closed it.
    p.send("赵六");
    p.key(Key::Ctrl('s'));
    p.key(Key::Ctrl('s'));
    p.key(Key::Enter);
    // The next form, drawn down to its keys line: empty, and nothing asks
    // for a required field (nothing typed at the panel went into it).
    let form = ok(p.wait_until(T, "the next form", |s| {
        !s.contains("查询码（请告知来访人）") && s.contains("■ 来访人") && s.contains("F1 帮助")
    }));
    assert!(!form.contains("必填"), "{form}");
    assert!(!form.contains("六") && !form.contains("赵"), "{form}");
    quit(p);
    let found = cli::printed(&cli::expect(&desk.data, &["find", "--json", ""], 0));
    assert_eq!(found.lines().count(), 1, "one appeal saved:\n{found}");
}

/// At 80x18 the form does not fit: Tab into the content field scrolls the
/// form, and what is typed there is on screen.
#[test]
fn a_short_terminal_scrolls_the_form_to_the_focused_field() {
    let desk = Desk::new(false);
    let p = desk.kiosk(Size { cols: 80, rows: 18 });
    p.send("2");
    ok(p.wait_for("■ 来访人", T));
    p.key(Key::PageDown);
    ok(p.wait_for("打字筛选", T));
    p.send("jttc");
    p.key(Key::Enter);
    p.send("停车难");
    p.key(Key::Tab);
    p.send("夜间停车位不足");
    let screen = ok(p.wait_for("夜间停车位不足", T));
    assert!(screen.contains("↓"), "it shows there is more below:\n{screen}");
    // Tab on through the last fields: each one drawn as it gets focus.
    for label in ["地点", "紧急程度", "办理方式"] {
        p.key(Key::Tab);
        let screen = ok(p.wait_until(T, label, |s| s.contains(label) && s.contains("↑")));
        assert!(screen.contains(label), "{label} is not drawn:\n{screen}");
        assert!(screen.contains("↑"), "it shows there is more above:\n{screen}");
    }
    p.key(Key::Tab);
    ok(p.wait_for("姓名", T));
}

/// At 40x10 the kiosk cannot show a form: it says so, and keys typed
/// meanwhile go nowhere.
#[test]
fn a_terminal_too_small_says_so() {
    let desk = Desk::new(false);
    let p = Pty::spawn(
        &["--data", desk.data.to_str().unwrap()],
        Size { cols: 40, rows: 10 },
        &desk.home,
    );
    let screen = ok(p.wait_for("窗口太小", T));
    assert!(screen.contains("60×16"), "{screen}");
    p.key(Key::Enter);
    p.send("2王小明");
    quit(p);
    // Nothing was registered or signed in.
    let found = cli::printed(&cli::expect(&desk.data, &["find", "--json", ""], 0));
    assert!(found.trim().is_empty(), "{found}");
}

/// Desk speed: a typical visit (visitor, phone, a deputy by pinyin
/// initials, one appeal with category, title and content) registered and
/// its codes closed, counting the keys that are not text: Tab, Enter,
/// PageDown, Ctrl-S. It was 11 (12 with the `2` that opens the form)
/// before the form put the deputies after the phone and PageDown jumped
/// to the appeal; the target is 8 or fewer.
#[test]
fn desk_speed_a_typical_visit() {
    let desk = Desk::new(false);
    let p = desk.kiosk(SIZE_80X24);
    let mut keys = register_typical(&p, "王小明");
    ok(p.wait_for("查询码（请告知来访人）", T));
    p.key(Key::Enter);
    keys += 1;
    ok(p.wait_gone("查询码（请告知来访人）", T));
    println!("desk speed: a typical visit takes {keys} non-text keys (target 8 or fewer)");
    assert!(keys <= 8, "{keys} non-text keys");
    quit(p);
    let saved = cli::export(&desk.data, "jsonl");
    for expected in [
        "王小明",
        "13800001234",
        "张山",
        "小区停车难",
        "老旧小区夜间停车位不足",
    ] {
        assert!(saved.contains(expected), "{expected} not saved:\n{saved}");
    }
    assert!(
        saved.contains("traffic") || saved.contains("交通停车"),
        "the category is not saved:\n{saved}"
    );
}

/// Pastes text the way a terminal does (bracketed paste).
fn paste(p: &Pty, text: &str) {
    p.send(&format!("\x1b[200~{text}\x1b[201~"));
}

/// Esc in a step dialog with a note typed asks first: n goes back to the
/// note, y throws it away.
#[test]
fn esc_in_a_step_dialog_asks_before_throwing_text_away() {
    let desk = Desk::new(true);
    let p = desk.kiosk(SIZE_80X24);
    open_first_with_status(&p, 1, "已登记");
    p.send("a");
    ok(p.wait_for("备注", T));
    p.send("已电话联系来访人");
    ok(p.wait_for("已电话联系来访人", T));
    p.key(Key::Esc);
    ok(p.wait_for("放弃已输入的内容？", T));
    p.send("n");
    ok(p.wait_until(T, "the note back", |s| {
        !s.contains("放弃已输入的内容？") && s.contains("已电话联系来访人")
    }));
    p.key(Key::Esc);
    ok(p.wait_for("放弃已输入的内容？", T));
    p.send("y");
    ok(p.wait_gone("已电话联系来访人", T));
    // With nothing typed, Esc just closes.
    p.send("a");
    ok(p.wait_for("备注", T));
    p.key(Key::Esc);
    let screen = ok(p.wait_gone("备注", T));
    assert!(!screen.contains("放弃已输入的内容？"), "{screen}");
    quit(p);
}

/// A paste over the content field's 4,000 characters is said, not cut
/// silently; several lines pasted into the name field are refused, not
/// merged into the name.
#[test]
fn pastes_that_do_not_fit_are_said() {
    let desk = Desk::new(false);
    let p = desk.kiosk(SIZE_80X24);
    p.send("2");
    ok(p.wait_for("■ 来访人", T));
    paste(&p, "张三\n13800001234\t李四");
    let screen = ok(p.wait_for("只能填一行", T));
    assert!(
        !screen.contains("张三"),
        "nothing was merged into the name:\n{screen}"
    );
    p.key(Key::PageDown);
    p.send("jttc");
    p.key(Key::Enter);
    p.key(Key::Tab);
    paste(&p, &"停".repeat(4_100));
    let screen = ok(p.wait_for("最多 4000 字", T));
    assert!(screen.contains("100 字没有粘贴"), "{screen}");
    quit_form(p);
}

/// Leaves a form with input (Esc, y) and quits.
fn quit_form(mut p: Pty) {
    p.key(Key::Esc);
    ok(p.wait_for("确定放弃", T));
    p.send("y");
    p.send("q");
    assert!(p.wait_exit(T).is_some_and(|s| s.success()), "{}", p.screen());
}

/// One Ctrl-S names every field to fix, not only the first.
#[test]
fn one_save_names_every_problem() {
    let desk = Desk::new(false);
    let p = desk.kiosk(Size { cols: 120, rows: 30 });
    p.send("2");
    ok(p.wait_for("■ 来访人", T));
    p.send("王小明");
    p.key(Key::Tab);
    p.send("12345");
    p.key(Key::Ctrl('s'));
    let screen = ok(p.wait_for("处需要修改", T));
    for field in ["电话", "类别", "诉求内容"] {
        let said = screen.lines().last().unwrap_or_default().to_string()
            + screen.lines().rev().nth(1).unwrap_or_default();
        assert!(said.contains(field), "{field} is not named:\n{screen}");
    }
    assert!(screen.contains("!电话"), "the phone field is marked:\n{screen}");
    quit_form(p);
}

/// After a unit is chosen in the 交办 dialog its list closes.
#[test]
fn a_chosen_unit_closes_its_list() {
    let desk = Desk::new(true);
    let p = desk.kiosk(SIZE_80X24);
    open_first_with_status(&p, 2, "已受理");
    p.send("t");
    let open = ok(p.wait_until(T, "the unit list", |s| {
        s.contains("承办单位") && s.matches("青禾县").count() > 2
    }));
    let units = open.matches("青禾县").count();
    assert!(units > 2, "the unit list is open:\n{open}");
    p.key(Key::Enter);
    let chosen = ok(p.wait_until(T, "the list closed", |s| {
        s.matches("青禾县").count() < units && s.matches("青禾县").count() <= 2
    }));
    assert!(
        chosen.matches("青禾县").count() < units && chosen.matches("青禾县").count() <= 2,
        "the list is still drawn:\n{chosen}"
    );
    p.key(Key::Esc);
    p.send("y");
    quit(p);
}

/// End in a long timeline shows its last page, not blank space, and the
/// screen shows when more is below.
#[test]
fn end_in_the_timeline_stops_at_the_last_page() {
    let desk = Desk::new(true);
    let p = desk.kiosk(Size { cols: 80, rows: 18 });
    let top = open_first_with_status(&p, 6, "已办结");
    assert!(top.contains("↓"), "more below is shown:\n{top}");
    p.key(Key::End);
    let end = ok(p.wait_until(T, "the timeline's end", |s| s.contains("↑") && !s.contains("↓")));
    assert!(end.contains("↑") && !end.contains("↓"), "{end}");
    // The last line of the timeline is on screen, and the box is full.
    let inside: Vec<&str> = end.lines().filter(|l| l.starts_with('│')).collect();
    let blank = inside
        .iter()
        .filter(|l| l.trim_matches(['│', ' ']).is_empty())
        .count();
    assert!(blank == 0, "blank rows after End:\n{end}");
    assert!(end.contains("已办结"), "{end}");
    quit(p);
}

/// A status message belongs to the screen it was said on, and names the
/// deputy by name.
#[test]
fn messages_do_not_follow_to_other_screens() {
    let desk = Desk::new(false);
    let p = desk.kiosk(SIZE_80X24);
    p.send("i");
    let screen = ok(p.wait_for("已签到", T));
    assert!(
        !screen.contains("D00"),
        "the deputy is named, not numbered:\n{screen}"
    );
    p.send("i");
    let again = ok(p.wait_for("不能再签到", T));
    assert!(!again.contains("D00"), "{again}");
    p.send("3");
    ok(p.wait_gone("不能再签到", T));
    quit(p);
}

/// An elderly visitor's landline is taken at the desk, stored normalised.
#[test]
fn a_landline_is_taken_at_the_desk() {
    let desk = Desk::new(false);
    let p = desk.kiosk(SIZE_80X24);
    register_with_phone(&p, "李奶奶", "（0571）8800 1234");
    ok(p.wait_for("查询码（请告知来访人）", T));
    p.key(Key::Enter);
    quit(p);
    let saved = cli::export(&desk.data, "jsonl");
    assert!(saved.contains("0571-88001234"), "{saved}");
}

/// SIGTERM or SIGHUP (the terminal window closed) ends the kiosk through
/// its own loop: the terminal is given back and the station is unlocked and
/// whole, with what was saved before the signal.
#[test]
fn a_stop_signal_ends_the_kiosk_cleanly() {
    for signal in [libc::SIGTERM, libc::SIGHUP] {
        let desk = Desk::new(false);
        let mut p = desk.kiosk(SIZE_80X24);
        register_typical(&p, "王小明");
        ok(p.wait_for("查询码（请告知来访人）", T));
        p.key(Key::Enter);
        p.send("赵");
        let pid = p.pid().expect("the kiosk's pid") as i32;
        assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
        let status = p.wait_exit(T).expect("the kiosk ends");
        assert!(status.success(), "signal {signal}: {status:?}");
        assert!(
            String::from_utf8_lossy(&p.raw()).contains("\x1b[?1049l"),
            "signal {signal}: the terminal was given back"
        );
        let found = cli::printed(&cli::expect(&desk.data, &["find", "--json", ""], 0));
        assert_eq!(found.lines().count(), 1, "{found}");
        cli::expect(&desk.data, &["check"], 0);
    }
}

/// The first tracking code on the screen that is followed by `title`.
fn code_before(screen: &str, title: &str) -> String {
    screen
        .lines()
        .filter(|l| l.contains(title))
        .flat_map(|l| l.split_whitespace())
        .map(|w| w.trim_matches(|c: char| !c.is_ascii_alphanumeric() && c != '-'))
        .find(|w| w.len() == 24 && w.matches('-').count() == 3)
        .unwrap_or_else(|| panic!("no code before {title} on:\n{screen}"))
        .to_string()
}

/// Saved, then printed from the codes panel to a printer on a loopback
/// port; then printed again from the appeal's receipt, marked 补打. The
/// printer gets the progress link with the appeal's key in its QR command
/// and the code in GB18030 text; the kiosk keeps answering meanwhile.
#[test]
fn a_receipt_prints_from_the_kiosk() {
    let printer = printer::FakePrinter::start(printer::Behaviour::Ready);
    let desk = Desk::new(false);
    desk.use_printer(&printer.target(), None);

    let p = desk.kiosk(SIZE_80X24);
    register_typical(&p, "王小明");
    let saved = ok(p.wait_for("查询码（请告知来访人）", T));
    assert!(saved.contains("打印回执"), "printing is offered:\n{saved}");
    let code = code_before(&saved, "小区停车难");
    p.send("P");
    ok(p.wait_for("已打印回执", T));
    p.key(Key::Enter);
    // Again from the appeal's receipt: a reprint.
    p.key(Key::Esc);
    p.send("3");
    ok(p.wait_for(&code, T));
    p.key(Key::Enter);
    ok(p.wait_for("诉求详情", T));
    p.send("P");
    ok(p.wait_for("回执", T));
    p.send("P");
    ok(p.wait_for("已打印回执（补打）", T));
    p.key(Key::Esc);
    quit(p);

    let bytes = printer.bytes();
    let link = format!("https://rd.example.cn/330999012/t/{code}?k=");
    let found = bytes
        .windows(link.len())
        .filter(|w| *w == link.as_bytes())
        .count();
    assert_eq!(found, 2, "two slips carry the progress link in their QR");
    let (text, _, _) = encoding_rs::GB18030.decode(&bytes);
    assert!(text.contains(&code) && text.contains("补打"), "{text}");
}

/// A typical visit saved at 80x24 and its receipt asked for (P), on a
/// desk whose printer takes the connection and never answers, with a
/// time limit of `timeout_ms`.
fn receipt_to_a_silent_printer(timeout_ms: u64) -> (printer::FakePrinter, Desk, Pty) {
    let printer = printer::FakePrinter::start(printer::Behaviour::Silent);
    let desk = Desk::new(false);
    desk.use_printer(&printer.target(), Some(timeout_ms));
    let p = desk.kiosk(SIZE_80X24);
    register_typical(&p, "王小明");
    ok(p.wait_for("查询码（请告知来访人）", T));
    p.send("P");
    (printer, desk, p)
}

/// A printer that takes the connection and never answers: the kiosk says
/// 打印中…, keeps answering keys, and after the printer's time limit says
/// the receipt was not printed and the job is kept.
#[test]
fn a_silent_printer_never_freezes_the_kiosk() {
    let (_printer, desk, p) = receipt_to_a_silent_printer(2000);
    ok(p.wait_for("打印中", T));
    // Answered while the printer is silent.
    p.key(Key::Enter);
    ok(p.wait_gone("查询码（请告知来访人）", Duration::from_millis(1500)));
    p.key(Key::Esc);
    p.send("3");
    ok(p.wait_for("小区停车难", Duration::from_millis(1500)));
    ok(p.wait_for("回执未打印", T));
    quit(p);
    // The kept job prints on a printer that answers.
    let ready = printer::FakePrinter::start(printer::Behaviour::Ready);
    let retried = cli::printed(&cli::expect(
        &desk.data,
        &["print", "retry", "--printer", &ready.target()],
        0,
    ));
    assert!(retried.contains("已打印回执"), "{retried}");
    assert!(!ready.bytes().is_empty());
}

/// On a machine whose zone is UTC (every child here runs with TZ=UTC), a
/// visit registered at 2026-12-06 20:00 UTC is registered on the
/// station's date, 2026-12-07 in Asia/Shanghai: its code starts 261207,
/// the screen and the export say 04:00, and the export's times carry
/// +08:00.
#[test]
fn a_code_takes_the_stations_date_not_the_machines() {
    let desk = Desk::new(false);
    let now = "2026-12-06T20:00:00Z";
    let p = desk.kiosk_env(SIZE_80X24, &[("JIEDAI_NOW", now)]);
    // The header's date is the station's.
    ok(p.wait_for("2026-12-07", T));
    register_typical(&p, "王小明");
    let screen = ok(p.wait_for("查询码（请告知来访人）", T));
    assert!(screen.contains("261207-330999012-1"), "{screen}");
    p.key(Key::Enter);
    ok(p.wait_gone("查询码（请告知来访人）", T));
    quit(p);
    let out = cli::at(now, &desk.data, &["export", "appeals", "--format", "jsonl"]);
    assert!(out.status.success(), "{}", cli::text(&out.stderr));
    let line = cli::text(&out.stdout);
    let v: serde_json::Value = serde_json::from_str(line.trim()).unwrap();
    assert!(v["code"].as_str().unwrap().starts_with("261207-"), "{v}");
    assert_eq!(v["date"], "2026-12-07 04:00", "{v}");
    assert_eq!(v["timestamp"], "2026-12-07T04:00:00+08:00", "{v}");
    for h in v["history"].as_array().unwrap() {
        assert_eq!(h["at"], "2026-12-07T04:00:00+08:00", "{v}");
    }
    // The same station with another zone in its file: its date there.
    let file = cli::write(
        &desk.home,
        "station-urumqi.toml",
        std::fs::read_to_string(cli::sample("station.toml"))
            .unwrap()
            .replace("reply_days = 15", "reply_days = 15\ntime_zone = \"Asia/Urumqi\"")
            .as_bytes(),
    );
    cli::expect(
        &desk.data,
        &["init", "--station", cli::path(&file), "--reconfigure"],
        0,
    );
    let out = cli::at(now, &desk.data, &["export", "appeals", "--format", "jsonl"]);
    let v: serde_json::Value = serde_json::from_str(cli::text(&out.stdout).trim()).unwrap();
    assert_eq!(v["timestamp"], "2026-12-07T02:00:00+06:00", "{v}");
}

/// `P` in an appeal's detail shows its receipt with the tracking code on
/// one line, at 80x24 and at 120x40: a code split across two lines is read
/// out wrong.
#[test]
fn the_receipt_window_keeps_the_tracking_code_whole() {
    let desk = Desk::new(true);
    for size in [SIZE_80X24, Size { cols: 120, rows: 40 }] {
        let p = desk.kiosk(size);
        let detail = open_first_with_status(&p, 5, "已答复");
        let code = code_in(&detail).unwrap_or_else(|| panic!("a code on:\n{detail}"));
        p.send("P");
        let screen = ok(p.wait_until(T, "the receipt window with the code", |s| {
            s.contains("扫码查看办理进度") && s.contains(&code)
        }));
        assert!(screen.contains(&code), "{size:?}: {code} whole on:\n{screen}");
        for row in screen.lines().filter(|r| r.contains(&code[..12])) {
            assert!(row.contains(&code), "{size:?}: {code} split on:\n{screen}");
        }
        p.key(Key::Esc);
        quit(p);
    }
}

/// The demo prints when given a printer (`demo --printer TARGET`); without
/// one, it says how to give it one, not to edit a file in its hidden
/// temporary directory.
#[test]
fn the_demo_prints_to_the_printer_it_is_given() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path();
    let size = Size { cols: 120, rows: 40 };
    let signed_in = |p: &Pty| {
        ok(p.wait_for("沈佳怡", Duration::from_secs(60)));
        p.key(Key::Enter);
        ok(p.wait_for("今日值班代表", T));
    };

    let p = Pty::spawn(&["demo"], size, home);
    signed_in(&p);
    open_first_with_status(&p, 5, "已答复");
    p.send("P");
    ok(p.wait_for("扫码查看办理进度", T));
    p.send("P");
    let told = ok(p.wait_for("demo --printer", T));
    assert!(!told.contains("terminal.toml"), "{told}");
    p.key(Key::Esc);
    quit(p);

    let printer = printer::FakePrinter::start(printer::Behaviour::Ready);
    let p = Pty::spawn(&["demo", "--printer", &printer.target()], size, home);
    signed_in(&p);
    let detail = open_first_with_status(&p, 5, "已答复");
    let code = code_in(&detail).unwrap_or_else(|| panic!("a code on:\n{detail}"));
    p.send("P");
    ok(p.wait_for("扫码查看办理进度", T));
    p.send("P");
    ok(p.wait_for("已打印回执", T));
    p.key(Key::Esc);
    quit(p);
    let bytes = printer.bytes();
    let (text, _, _) = encoding_rs::GB18030.decode(&bytes);
    assert!(text.contains(&code), "{text}");

    // A printer that cannot be used is refused before the demo starts.
    let out = cli::bin()
        .env("HOME", home)
        .args(["demo", "--printer", "lp0"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", cli::printed(&out));
    assert!(cli::printed(&out).contains("lp0"), "{}", cli::printed(&out));
}

#[test]
fn find_takes_several_words_as_the_kiosk_does() {
    // `jiedai find zs 停车` (unquoted) means what the kiosk's search box does
    // with "zs 停车": every word must match.
    let desk = Desk::new(true);
    let one = desk.find_json("zs 停车");
    let words = cli::printed(&cli::expect(&desk.data, &["find", "--json", "zs", "停车"], 0));
    assert!(!one.trim().is_empty(), "the sample has zs + 停车 rows");
    assert_eq!(words, one, "several words find what one quoted query finds");
    let parking = desk.find_json("停车");
    assert!(
        one.lines().count() < parking.lines().count(),
        "a second word narrows the search:\n{one}"
    );
    // The options still go anywhere on the line.
    let after = cli::printed(&cli::expect(&desk.data, &["find", "zs", "停车", "--json"], 0));
    assert_eq!(after, one);
}

/// A message too long for the status line at 80x24 is cut there; F2 opens
/// the message log, where the last messages are whole, with their times.
#[test]
fn a_long_message_is_whole_in_the_message_log() {
    let (silent, _desk, p) = receipt_to_a_silent_printer(1000);
    ok(p.wait_for("回执未打印", T));
    p.key(Key::Enter);
    let screen = ok(p.wait_gone("查询码（请告知来访人）", T));
    let status = screen
        .lines()
        .find(|l| l.contains("回执未打印"))
        .unwrap_or_else(|| panic!("the message on the status line:\n{screen}"))
        .to_string();
    assert!(!status.contains("重试"), "the status line cuts it:\n{screen}");
    p.key(Key::F2);
    let screen = ok(p.wait_for("消息记录", T));
    // The wrapped lines of the log, joined.
    let joined: String = screen
        .lines()
        .map(|l| l.trim_matches(|c: char| c == '│' || c.is_whitespace()))
        .collect::<Vec<_>>()
        .concat()
        .replace(' ', "");
    let port = silent.target().rsplit(':').next().unwrap().to_string();
    assert!(
        joined.contains("回执未打印") && joined.contains(&port) && joined.contains("重试"),
        "the whole message in the log:\n{screen}"
    );
    // Closed with Esc; the desk goes on.
    p.key(Key::Esc);
    ok(p.wait_gone("消息记录", T));
    quit(p);
}

/// Issue 15, Today at 80x24: Enter on the highlighted deputy checks them
/// in (it opened the first overdue appeal, unrelated to the deputy); Tab
/// moves to the next panel, Enter opens its highlighted appeal, and Esc
/// comes back to Today, not to the appeals list.
#[test]
fn today_enter_opens_what_is_highlighted_and_esc_comes_back() {
    let desk = Desk::new(true);
    let p = desk.kiosk(SIZE_80X24);
    // Today drawn with its duty list, where the highlight starts.
    ok(p.wait_until(T, "today's duty list", |s| {
        s.contains("已逾期") && s.contains("未签到")
    }));
    p.key(Key::Enter);
    let screen = ok(p.wait_for("已签到", T));
    assert!(
        !screen.contains("诉求详情"),
        "Enter on a deputy opened an appeal:\n{screen}"
    );
    assert!(screen.contains("今日值班代表"), "{screen}");
    // Past today's registrations (none yet), the overdue panel: its first
    // row's code is whole.
    p.key(Key::Tab);
    p.key(Key::Tab);
    wait_focus(&p, "已逾期");
    let screen = p.screen();
    let row = screen
        .lines()
        .find(|l| l.contains("已逾期"))
        .and_then(|_| screen.lines().skip_while(|l| !l.contains("已逾期")).nth(1))
        .unwrap_or_else(|| panic!("no overdue panel:\n{screen}"));
    let code = code_in(row).unwrap_or_else(|| panic!("no whole code in the overdue panel:\n{screen}"));
    p.key(Key::Enter);
    let screen = ok(p.wait_for("诉求详情", T));
    assert!(
        screen.contains(&code),
        "Enter opened another appeal than {code}:\n{screen}"
    );
    p.key(Key::Esc);
    let screen = ok(p.wait_gone("诉求详情", T));
    assert!(
        screen.contains("今日值班代表"),
        "Esc did not come back to Today:\n{screen}"
    );
    quit(p);
}

/// The titles of the panels drawn with the focus border (bold, coloured).
fn focused_panels(p: &Pty) -> Vec<String> {
    p.with_screen(|s| {
        let (rows, cols) = s.size();
        let mut out = Vec::new();
        for r in 0..rows {
            for c in 0..cols {
                let Some(cell) = s.cell(r, c) else { continue };
                if cell.contents() == "┌" && cell.bold() && cell.fgcolor() != vt100::Color::Default {
                    let rest = s.contents_between(r, c, r, cols);
                    let title = rest.trim_start_matches('┌').trim_start();
                    let title = title.split(" ─").next().unwrap_or("").trim().to_string();
                    out.push(title);
                }
            }
        }
        out
    })
}

/// The whole tracking code on the highlighted row of the focused panel.
fn highlighted_code(p: &Pty) -> Option<String> {
    p.with_screen(|s| {
        let (rows, cols) = s.size();
        (0..rows).find_map(|r| {
            let lit = (0..cols).any(|c| {
                s.cell(r, c)
                    .is_some_and(|x| x.bgcolor() != vt100::Color::Default && x.contents().starts_with('2'))
            });
            if !lit {
                return None;
            }
            code_in(&s.contents_between(r, 0, r, cols))
        })
    })
}

/// Issue 15, Today at 120x40: Tab and Shift-Tab move a visible focus
/// border between the panels (and wrap); the arrows move within the
/// focused panel; Enter opens the highlighted appeal and Esc comes back
/// to the same panel and row.
#[test]
fn today_panels_take_focus_at_120x40() {
    let desk = Desk::new(true);
    let p = desk.kiosk(Size { cols: 120, rows: 40 });
    ok(p.wait_for("已逾期", T));
    wait_focus(&p, "今日值班代表");
    p.key(Key::Tab);
    wait_focus(&p, "今日登记的诉求");
    p.key(Key::Tab);
    wait_focus(&p, "已逾期");
    p.key(Key::Tab);
    wait_focus(&p, "即将到期");
    p.key(Key::Tab);
    wait_focus(&p, "今日值班代表");
    p.key(Key::BackTab);
    wait_focus(&p, "即将到期");
    p.key(Key::BackTab);
    wait_focus(&p, "已逾期");
    let first = until(&p, "a highlighted code", highlighted_code);
    p.key(Key::Down);
    let second = until(&p, "the highlight to move", |p| {
        highlighted_code(p).filter(|c| *c != first)
    });
    assert_ne!(
        first,
        second,
        "Down did not move in the overdue panel:\n{}",
        p.screen()
    );
    p.key(Key::Enter);
    let screen = ok(p.wait_for("诉求详情", T));
    assert!(
        screen.contains(&second),
        "Enter opened another appeal than {second}:\n{screen}"
    );
    p.key(Key::Esc);
    ok(p.wait_gone("诉求详情", T));
    wait_focus(&p, "已逾期");
    until(&p, "the highlight back", |p| {
        highlighted_code(p).filter(|c| *c == second)
    });
    assert_eq!(
        highlighted_code(&p).as_deref(),
        Some(second.as_str()),
        "{}",
        p.screen()
    );
    quit(p);
}

/// Issue 15: today's visits are a panel on Today at 80x24: a visit just
/// registered shows there with its appeal's whole code, and Enter on it
/// opens that appeal; Esc comes back to Today.
#[test]
fn todays_visits_are_a_panel_on_today() {
    let desk = Desk::new(false);
    let p = desk.kiosk(SIZE_80X24);
    register_typical(&p, "王小明");
    let screen = ok(p.wait_for("查询码（请告知来访人）", T));
    let code = code_in(&screen).unwrap_or_else(|| panic!("no code:\n{screen}"));
    p.key(Key::Enter);
    ok(p.wait_gone("查询码（请告知来访人）", T));
    p.key(Key::Alt('1'));
    let screen = ok(p.wait_for("今日登记的诉求", T));
    let screen = if screen.contains(&code) {
        screen
    } else {
        ok(p.wait_for(&code, T))
    };
    assert!(screen.contains(&code), "{screen}");
    p.key(Key::Tab);
    until(&p, "the visit's code highlighted", |p| {
        highlighted_code(p).filter(|c| *c == code)
    });
    assert_eq!(
        highlighted_code(&p).as_deref(),
        Some(code.as_str()),
        "{}",
        p.screen()
    );
    p.key(Key::Enter);
    let screen = ok(p.wait_for("诉求详情", T));
    assert!(screen.contains(&code), "{screen}");
    p.key(Key::Esc);
    ok(p.wait_gone("诉求详情", T));
    ok(p.wait_for("今日登记的诉求", T));
    quit(p);
}
