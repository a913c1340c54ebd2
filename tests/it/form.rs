//! The register form at the desk (issue 15, "The form"): pickers, the
//! hints on the bottom line, clearing a field, pasted text. The real kiosk
//! in a pseudo-terminal at 80x24.

use crate::support::cli;
use crate::support::desk::Desk;
use crate::support::pty;

use std::time::Duration;

use pty::{Key, Pty, SIZE_80X24, Size, ok};

const T: Duration = Duration::from_secs(10);

/// The bottom line of the screen.
fn bottom(screen: &str) -> String {
    screen.lines().last().unwrap_or_default().to_string()
}

/// Leaves a form with input (Esc, y) and quits.
fn quit_form(mut p: Pty) {
    p.key(Key::Esc);
    ok(p.wait_for("确定放弃", T));
    p.send("y");
    // Off the form: its bottom line offers q again.
    ok(p.wait_until(T, "q 退出 offered", |s| {
        !s.contains("确定放弃") && bottom(s).contains("q 退出")
    }));
    p.send("q");
    assert!(p.wait_exit(T).is_some_and(|s| s.success()), "{}", p.screen());
}

fn open_form(p: &Pty) {
    p.send("2");
    ok(p.wait_for("■ 来访人", T));
}

/// Opens the form, names the visitor, picks the category 交通停车 by its
/// initials and lands on the appeal's title.
fn to_title(p: &Pty) {
    open_form(p);
    p.send("王小明");
    p.key(Key::PageDown);
    p.send("jttc");
    ok(p.wait_for("交通停车", T));
    p.key(Key::Enter);
}

/// Tab to the deputy picker, Esc: the picker's list closes and nothing
/// asks to discard the visit; a second Esc does.
#[test]
fn esc_in_a_picker_closes_the_picker_only() {
    let desk = Desk::new(false);
    let p = desk.kiosk(SIZE_80X24);
    open_form(&p);
    p.send("王小明");
    p.key(Key::Tab);
    p.key(Key::Tab);
    ok(p.wait_for("打字筛选", T));
    p.key(Key::Esc);
    let screen = ok(p.wait_gone("打字筛选", T));
    assert!(!screen.contains("确定放弃"), "{screen}");
    assert!(screen.contains("王小明"), "{screen}");
    // Typing opens it again.
    p.send("zs");
    ok(p.wait_for("打字筛选", T));
    ok(p.wait_for("张山", T));
    p.key(Key::Esc);
    ok(p.wait_gone("打字筛选", T));
    quit_form(p);
}

/// With a text field focused, `q` and the digits type text: the bottom
/// line offers only keys that work there (after a save too).
#[test]
fn the_hints_name_keys_that_work_in_the_focused_field() {
    let desk = Desk::new(false);
    let p = desk.kiosk(SIZE_80X24);
    let on_today = bottom(&ok(p.wait_until(T, "today's keys", |s| {
        s.contains("今日值班代表") && bottom(s).contains("q 退出")
    })));
    assert!(on_today.contains("q 退出"), "{on_today}");
    to_title(&p);
    p.send("小区停车难");
    p.key(Key::Tab);
    p.send("夜间停车位不足");
    ok(p.wait_for("夜间停车位不足", T));
    p.key(Key::Ctrl('s'));
    ok(p.wait_for("查询码（请告知来访人）", T));
    p.key(Key::Enter);
    let screen = ok(p.wait_until(T, "the name field's keys", |s| {
        !s.contains("查询码（请告知来访人）")
            && bottom(s).contains("Ctrl-C 退出")
            && bottom(s).contains("F1 帮助")
    }));
    let line = bottom(&screen);
    assert!(!line.contains("q 退出"), "q types into 姓名:\n{screen}");
    assert!(!line.contains("? 帮助"), "? types into 姓名:\n{screen}");
    assert!(line.contains("Ctrl-C 退出"), "{screen}");
    assert!(line.contains("F1 帮助"), "{screen}");
    p.send("3");
    ok(p.wait_for("姓名", T));
    p.key(Key::Esc);
    let asking = ok(p.wait_for("确定放弃", T));
    assert!(!bottom(&asking).contains("退出"), "y or n only:\n{asking}");
    p.send("y");
    ok(p.wait_gone("确定放弃", T));
    p.key(Key::Esc);
    let screen = ok(p.wait_for("q 退出", T));
    assert!(screen.contains("今日值班代表"), "{screen}");
    p.send("q");
    let mut p = p;
    assert!(p.wait_exit(T).is_some_and(|s| s.success()), "{}", p.screen());
}

/// Ctrl-U empties the focused field in one key, and the help lists it.
#[test]
fn ctrl_u_clears_the_field() {
    let desk = Desk::new(false);
    let p = desk.kiosk(SIZE_80X24);
    open_form(&p);
    p.send("王小明");
    p.key(Key::Tab);
    p.send("13800001234");
    ok(p.wait_for("13800001234", T));
    p.key(Key::Ctrl('u'));
    let screen = ok(p.wait_gone("13800001234", T));
    assert!(screen.contains("王小明"), "only the phone is cleared:\n{screen}");
    p.send("13900005678");
    ok(p.wait_for("13900005678", T));
    p.key(Key::F1);
    ok(p.wait_for("帮助：全部按键", T));
    for _ in 0..60 {
        p.key(Key::Down);
    }
    let help = ok(p.wait_for("清空本栏", T));
    assert!(help.contains("Ctrl-U"), "{help}");
    p.key(Key::Esc);
    ok(p.wait_gone("清空本栏", T));
    quit_form(p);
}

/// Ctrl-U empties the title and Ctrl-Z brings it back; Ctrl-Left moves
/// back a word; a long content soft-wraps in its multi-line field, wide
/// characters never split.
#[test]
fn ctrl_z_undoes_a_clear_and_words_and_wrapping() {
    let desk = Desk::new(false);
    let p = desk.kiosk(SIZE_80X24);
    to_title(&p);
    p.send("north gate road");
    ok(p.wait_for("north gate road", T));
    p.key(Key::Ctrl('u'));
    ok(p.wait_gone("north gate road", T));
    p.key(Key::Ctrl('z'));
    ok(p.wait_for("north gate road", T));
    // Ctrl-Left, as an xterm sends it: to the start of "road".
    p.send("\x1b[1;5D");
    p.send("X");
    ok(p.wait_for("north gate Xroad", T));
    p.key(Key::Tab);
    let long = format!("甲{}乙", "路".repeat(40));
    p.send(&long);
    let screen = ok(p.wait_for("路乙", T));
    let rows: Vec<&str> = screen.lines().filter(|l| l.contains('路')).collect();
    assert!(rows.len() >= 2, "the content wraps:\n{screen}");
    assert!(rows[0].contains("甲路"), "{screen}");
    assert!(!rows[0].contains('乙'), "{screen}");
    let shown: usize = rows.iter().map(|l| l.matches('路').count()).sum();
    assert_eq!(shown, 40, "no character is lost at a wrap:\n{screen}");
    quit_form(p);
}

/// A paste with colour codes, a window title, a clear-screen, CRLF and a
/// tab is saved as its text: each escape sequence removed whole, CRLF one
/// line break, the tab a space.
#[test]
fn pasted_escape_sequences_are_removed_whole() {
    let desk = Desk::new(false);
    let p = desk.kiosk(SIZE_80X24);
    to_title(&p);
    p.send("路面坑洼");
    p.key(Key::Tab);
    let pasted = "路面\x1b[31m红色\x1b[0m坑洼\x1b]0;pwned\x07有\x1b[2J清屏\r\n第二行\tTab后";
    p.send(&format!("\x1b[200~{pasted}\x1b[201~"));
    ok(p.wait_for("第二行", T));
    p.key(Key::Ctrl('s'));
    ok(p.wait_for("查询码（请告知来访人）", T));
    p.key(Key::Enter);
    ok(p.wait_gone("查询码（请告知来访人）", T));
    p.key(Key::Esc);
    ok(p.wait_for("今日值班代表", T));
    p.send("q");
    let mut p = p;
    assert!(p.wait_exit(T).is_some_and(|s| s.success()), "{}", p.screen());
    let saved = cli::export(&desk.data, "jsonl");
    assert!(
        saved.contains(r#""content":"路面红色坑洼有清屏\n第二行 Tab后""#),
        "{saved}"
    );
}

/// `?` on the sign-in screen shows the help; at 80x24 the help says that
/// it scrolls, and stops saying so at its end.
#[test]
fn help_on_the_sign_in_screen_and_its_scroll_mark() {
    let desk = Desk::new(false);
    let p = Pty::spawn(&["--data", desk.data.to_str().unwrap()], SIZE_80X24, &desk.home);
    ok(p.wait_for("沈佳怡", T));
    p.send("?");
    ok(p.wait_for("帮助：全部按键", T));
    ok(p.wait_for("↓ 下面还有", T));
    for _ in 0..80 {
        p.key(Key::Down);
    }
    let end = ok(p.wait_gone("↓ 下面还有", T));
    assert!(end.contains("确认提示"), "the last section is on show:\n{end}");
    // The scroll stopped at the end: one Up leaves it.
    p.key(Key::Up);
    ok(p.wait_for("↓ 下面还有", T));
    p.key(Key::Esc);
    ok(p.wait_gone("帮助：全部按键", T));
    p.key(Key::Enter);
    ok(p.wait_for("今日值班代表", T));
    p.send("q");
    let mut p = p;
    assert!(p.wait_exit(T).is_some_and(|s| s.success()), "{}", p.screen());
}

/// At 120x40 a visit's two appeals show side by side; at 80x24 one at a
/// time.
#[test]
fn two_appeals_side_by_side_at_120x40() {
    let desk = Desk::new(false);
    let p = desk.kiosk(Size { cols: 120, rows: 40 });
    to_title(&p);
    p.send("小区停车难");
    p.key(Key::Ctrl('n'));
    ok(p.wait_for("诉求 2/2", T));
    p.send("sthj");
    p.key(Key::Enter);
    p.send("垃圾清运慢");
    let screen = ok(p.wait_for("垃圾清运慢", T));
    let row = |w: &str| screen.lines().find(|l| l.contains(w)).map(str::to_string);
    let titles = row("垃圾清运慢").unwrap_or_default();
    assert!(titles.contains("小区停车难"), "both titles on one row:\n{screen}");
    let headers = row("诉求 2/2").unwrap_or_default();
    assert!(headers.contains("诉求 1/2"), "both headers on one row:\n{screen}");
    quit_form(p);
}
