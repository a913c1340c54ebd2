//! End-to-end tests: the real `jiedai` binary in a pseudo-terminal, its
//! screen read back through a terminal emulator.

use crate::support::desk::Desk;
use crate::support::pty;

use std::process::Output;
use std::time::Duration;

use pty::{Key, Pty, SIZE_80X24, Size, ok};
use unicode_width::UnicodeWidthStr;

const T: Duration = Duration::from_secs(10);

/// A data directory with the sample station, and a private HOME.
fn station() -> Desk {
    let st = Desk::empty();
    let out = st.run(&["init", "--station", "sample-data/station.toml"]);
    assert!(out.status.success(), "init failed: {}", text(&out));
    st
}

fn text(out: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Waits until the screen shows every one of `needles`.
fn wait_all(p: &Pty, needles: &[&str]) -> String {
    ok(p.wait_until(T, &format!("{needles:?}"), |s| {
        needles.iter().all(|n| s.contains(n))
    }))
}

/// Tracking codes on the screen, in order of appearance, each once:
/// tokens shaped dddddd-ddddddddd-ddddd-d.
fn codes_on(screen: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for token in screen.split(|c: char| !(c.is_ascii_digit() || c == '-')) {
        let parts: Vec<&str> = token.split('-').collect();
        let shape = parts.len() == 4
            && parts
                .iter()
                .zip([6, 9, 5, 1])
                .all(|(p, n)| p.len() == n && p.bytes().all(|b| b.is_ascii_digit()));
        if shape && !out.iter().any(|c| c == token) {
            out.push(token.to_string());
        }
    }
    out
}

/// The appeals' tracking codes in the saved popup: every code on screen
/// but the visit's own (on the "来访编号" line).
fn appeal_codes_on(screen: &str) -> Vec<String> {
    let visit: Vec<String> = screen
        .lines()
        .filter(|l| l.contains("来访编号"))
        .flat_map(codes_on)
        .collect();
    assert_eq!(visit.len(), 1, "one visit code expected:\n{screen}");
    codes_on(screen)
        .into_iter()
        .filter(|c| !visit.contains(c))
        .collect()
}

/// Asserts the process exited 0 and gave the terminal back: the last
/// alternate-screen enter is followed by a leave, after which only the
/// cursor is shown again.
fn assert_clean_exit(p: &mut Pty) {
    let status = p
        .wait_exit(T)
        .unwrap_or_else(|| panic!("kiosk did not exit; screen:\n{}", p.screen()));
    assert!(
        status.success(),
        "exit status {status:?}; screen:\n{}",
        p.screen()
    );
    let raw = p.raw();
    let find_last = |needle: &[u8]| raw.windows(needle.len()).rposition(|w| w == needle);
    let enter = find_last(b"\x1b[?1049h").expect("the kiosk never entered the alternate screen");
    let leave = find_last(b"\x1b[?1049l").expect("the kiosk never left the alternate screen");
    assert!(
        leave > enter,
        "the alternate screen was not left after it was entered"
    );
    let tail = String::from_utf8_lossy(&raw[leave + 8..]).replace("\x1b[?25h", "");
    assert!(
        tail.trim().is_empty(),
        "output after leaving the alternate screen: {tail:?}"
    );
    assert!(!p.with_screen(|s| s.alternate_screen()));
    assert!(!p.with_screen(|s| s.hide_cursor()), "cursor left hidden");
}

// ---------------------------------------------------------------------------
// Screen geometry
// ---------------------------------------------------------------------------

fn cell_str(s: &vt100::Screen, row: u16, col: u16) -> String {
    s.cell(row, col).map(|c| c.contents()).unwrap_or_default()
}

fn is(s: &vt100::Screen, row: u16, col: u16, ch: &str) -> bool {
    cell_str(s, row, col) == ch
}

/// A box traced on screen: top-left and bottom-right corners.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Boxed {
    top: u16,
    left: u16,
    bottom: u16,
    right: u16,
}

/// Traces the box whose top-left corner is at (row, col): down the left
/// edge to '└', along the bottom to '┘', up the right edge to '┐'.
fn trace_box(s: &vt100::Screen, top: u16, left: u16) -> Result<Boxed, String> {
    let (rows, cols) = s.size();
    let mut r = top + 1;
    while r < rows && is(s, r, left, "│") {
        r += 1;
    }
    if r >= rows || !is(s, r, left, "└") {
        return Err(format!(
            "box at ({top},{left}): left edge broken at row {r}: {:?}",
            cell_str(s, r.min(rows - 1), left)
        ));
    }
    let bottom = r;
    let mut c = left + 1;
    while c < cols && is(s, bottom, c, "─") {
        c += 1;
    }
    if c >= cols || !is(s, bottom, c, "┘") {
        return Err(format!(
            "box at ({top},{left}): bottom edge broken at column {c}: {:?}",
            cell_str(s, bottom, c.min(cols - 1))
        ));
    }
    let right = c;
    for r in top + 1..bottom {
        if !is(s, r, right, "│") {
            return Err(format!(
                "box at ({top},{left}): right border missing at ({r},{right}): {:?}",
                cell_str(s, r, right)
            ));
        }
    }
    if !is(s, top, right, "┐") {
        return Err(format!(
            "box at ({top},{left}): top-right corner expected at ({top},{right}), found {:?}",
            cell_str(s, top, right)
        ));
    }
    Ok(Boxed {
        top,
        left,
        bottom,
        right,
    })
}

/// Every box on screen, traced from each '┌'.
fn boxes(s: &vt100::Screen) -> Vec<Result<Boxed, String>> {
    let (rows, cols) = s.size();
    let mut out = Vec::new();
    for r in 0..rows {
        for c in 0..cols {
            if is(s, r, c, "┌") {
                out.push(trace_box(s, r, c));
            }
        }
    }
    out
}

/// Row widths within the terminal, wide characters paired with their
/// continuation cells, and every box intact: the first fault found.
fn layout(s: &vt100::Screen, what: &str, all_boxes_whole: bool) -> Result<Vec<Boxed>, String> {
    let (rows, cols) = s.size();
    for (i, line) in s.rows(0, cols).enumerate() {
        if line.width() > cols as usize {
            return Err(format!(
                "{what}: row {i} is {} cells wide: {line:?}",
                line.width()
            ));
        }
    }
    for r in 0..rows {
        for c in 0..cols {
            let cell = s.cell(r, c).unwrap();
            if cell.is_wide() && !(c + 1 < cols && s.cell(r, c + 1).unwrap().is_wide_continuation()) {
                return Err(format!(
                    "{what}: wide character {:?} at ({r},{c}) is cut",
                    cell.contents()
                ));
            }
        }
    }
    let traced = boxes(s);
    if all_boxes_whole {
        if let Some(Err(e)) = traced.iter().find(|b| b.is_err()) {
            return Err(format!("{what}: {e}"));
        }
        // Every vertical border belongs to one of the traced boxes.
        let good: Vec<Boxed> = traced.iter().filter_map(|b| b.as_ref().ok().copied()).collect();
        for r in 0..rows {
            for c in 0..cols {
                let ch = cell_str(s, r, c);
                if ch == "│" || ch == "└" || ch == "┘" || ch == "┐" {
                    let owned = good
                        .iter()
                        .any(|b| (c == b.left || c == b.right) && r >= b.top && r <= b.bottom);
                    if !owned {
                        return Err(format!("{what}: stray border {ch:?} at ({r},{c})"));
                    }
                }
            }
        }
    }
    Ok(traced.into_iter().filter_map(Result::ok).collect())
}

/// Waits until the screen's layout is whole (a frame may arrive in
/// pieces) and returns its boxes; fails with the last fault found.
fn assert_layout(p: &Pty, what: &str, all_boxes_whole: bool) -> Vec<Boxed> {
    let start = std::time::Instant::now();
    loop {
        let (found, screen) = p.with_screen(|s| (layout(s, what, all_boxes_whole), s.contents()));
        match found {
            Ok(boxes) => return boxes,
            Err(e) if start.elapsed() >= T => panic!("{e}\n{screen}"),
            Err(_) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

#[test]
fn register_two_appeals_then_reopen_and_find() {
    let st = station();
    let mut p = st.open_signed_in(&[], SIZE_80X24);

    p.send("2");
    ok(p.wait_for("■ 来访人", T));
    // Visitor: name, phone, (no deputy, no ID), address, people.
    p.send("王小明");
    p.key(Key::Tab);
    p.send("138 0000 1234");
    p.key(Key::Tab);
    p.key(Key::Tab);
    p.key(Key::Tab);
    p.send("柳岸路12号3单元");
    p.key(Key::Tab);
    p.key(Key::Tab);
    // Appeal 1: category by pinyin initials, title, two-line content.
    ok(p.wait_for("打字筛选", T));
    p.type_traffic_appeal("小区停车难", "老旧小区夜间停车位不足", T);
    p.key(Key::Enter);
    p.send("希望增设临时泊位");
    ok(p.wait_for("希望增设临时泊位", T));
    // Appeal 2: category by Chinese characters, content only.
    p.key(Key::Ctrl('n'));
    ok(p.wait_for("诉求 2/2", T));
    p.send("养老");
    ok(p.wait_for("养老服务", T));
    p.key(Key::Enter);
    p.key(Key::Tab);
    p.send("社区食堂希望延长晚餐供应时间");
    ok(p.wait_for("社区食堂希望延长晚餐供应时间", T));
    p.key(Key::Ctrl('s'));
    let saved = ok(p.wait_until(T, "two codes, also in block digits", |s| {
        s.contains("查询码（请告知来访人）") && appeal_codes_on(s).len() == 2 && s.contains("█")
    }));
    let codes = appeal_codes_on(&saved);
    assert_eq!(codes.len(), 2, "two tracking codes expected on:\n{saved}");
    assert!(
        saved.contains("█"),
        "the codes are also shown in block digits:\n{saved}"
    );
    let (first, second) = (codes[0].clone(), codes[1].clone());
    p.key(Key::Enter);
    ok(p.wait_gone("查询码（请告知来访人）", T));
    // In the form printable keys type text; leave it first, then quit.
    p.key(Key::Alt('1'));
    ok(p.wait_for("今日值班代表", T));
    p.send("q");
    assert_clean_exit(&mut p);
    drop(p);

    // Reopen on the same directory.
    let mut p = st.open_signed_in(&[], SIZE_80X24);
    p.send("3");
    ok(p.wait_for("查询码", T));
    ok(p.wait_for(&second, T));
    p.send("/");
    p.send("夜间停车");
    p.key(Key::Enter);
    let list = ok(p.wait_until(T, "search by content", |s| {
        s.contains("1 条 / 2") && s.contains(&first)
    }));
    assert!(!list.contains(&second), "{second} should not match:\n{list}");

    p.send("/");
    p.key(Key::Esc);
    ok(p.wait_for("2 条 / 2", T));
    p.send("/");
    p.send("wxm");
    p.key(Key::Enter);
    let list = ok(p.wait_until(T, "search by initials", |s| {
        s.contains("2 条 / 2") && s.contains("wxm")
    }));
    assert!(list.contains(&first) && list.contains(&second), "{list}");
    assert!(list.contains("王小明"), "{list}");
    assert!(
        !list.contains("13800001234"),
        "the list shows no full phone:\n{list}"
    );

    p.key(Key::Enter);
    let detail = wait_all(&p, &["诉求详情", "13800001234", "可执行操作"]);
    assert!(
        detail.contains("13800001234"),
        "the detail shows the full phone:\n{detail}"
    );
    // The newest row comes first: whichever it is, its own content shows.
    if detail.contains(&second) {
        assert!(detail.contains("社区食堂希望延长晚餐供应时间"), "{detail}");
    } else {
        assert!(detail.contains(&first) && detail.contains("夜间停车"), "{detail}");
    }
    p.key(Key::Esc);
    ok(p.wait_gone("诉求详情", T));
    p.send("q");
    assert_clean_exit(&mut p);
    drop(p);

    let out = st.run(&["find", "夜间停车", "--json"]);
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains(&first), "{}", text(&out));
    assert!(!stdout.contains(&second), "{}", text(&out));
    assert!(
        stdout.contains("138****1234"),
        "find masks the phone: {}",
        text(&out)
    );
}

#[test]
fn wide_characters_lay_out_at_80x24() {
    let st = station();
    let p = st.open_signed_in(&[], SIZE_80X24);

    // Today: two columns of bordered panels, each split in two.
    let today = assert_layout(&p, "today", true);
    let expected = [
        (6, 0, 14, 39),   // 今日值班代表
        (15, 0, 22, 39),  // 今日登记的诉求
        (6, 40, 14, 79),  // 已逾期
        (15, 40, 22, 79), // 即将到期
    ];
    for (top, left, bottom, right) in expected {
        let b = Boxed {
            top,
            left,
            bottom,
            right,
        };
        assert!(
            today.contains(&b),
            "today: expected panel {b:?}, found {today:?}\n{}",
            p.screen()
        );
    }

    // Register, with the category picker open over the form.
    p.send("2");
    ok(p.wait_for("■ 来访人", T));
    assert_layout(&p, "register", true);
    p.send("王小明");
    for _ in 0..6 {
        p.key(Key::Tab);
    }
    ok(p.wait_for("打字筛选", T));
    let with_picker = assert_layout(&p, "register picker", true);
    assert_eq!(with_picker.len(), 1, "{}", p.screen());
    assert_eq!(with_picker[0].right, 79, "{}", p.screen());
    // Register one appeal with a title far wider than its column.
    p.send("jttc");
    p.key(Key::Enter);
    p.send("老旧小区夜间停车位严重不足居民出行困难希望尽快增设临时泊位并规范管理");
    p.key(Key::Tab);
    p.send("内容");
    p.key(Key::Ctrl('s'));
    ok(p.wait_for("查询码（请告知来访人）", T));
    assert_layout(&p, "saved popup", true);
    let codes = appeal_codes_on(&p.screen());
    assert_eq!(codes.len(), 1, "{}", p.screen());
    let code = codes[0].clone();
    p.key(Key::Enter);
    ok(p.wait_gone("查询码（请告知来访人）", T));

    // Appeals list and detail.
    p.key(Key::Alt('3'));
    ok(p.wait_for(&code, T));
    assert_layout(&p, "appeals", true);
    p.key(Key::Enter);
    ok(p.wait_for("诉求详情", T));
    let detail = assert_layout(&p, "detail", true);
    assert_eq!(detail.len(), 1, "{}", p.screen());
    assert_eq!((detail[0].left, detail[0].right), (0, 79), "{}", p.screen());
    p.key(Key::Esc);
    ok(p.wait_gone("诉求详情", T));

    // Deputies.
    p.key(Key::Alt('4'));
    ok(p.wait_for("值班日", T));
    assert_layout(&p, "deputies", true);

    // Help over Today: its own box is whole and centred.
    p.key(Key::Alt('1'));
    ok(p.wait_for("今日值班代表", T));
    p.send("?");
    ok(p.wait_for("帮助：全部按键", T));
    let help = assert_layout(&p, "help", false);
    let expected = Boxed {
        top: 1,
        left: 2,
        bottom: 22,
        right: 77,
    };
    assert!(
        help.contains(&expected),
        "help: expected {expected:?}, found {help:?}\n{}",
        p.screen()
    );
    p.key(Key::Esc);
    ok(p.wait_gone("帮助：全部按键", T));
    p.key(Key::F1);
    ok(p.wait_for("帮助：全部按键", T));
}

#[test]
fn quit_with_unsaved_input_asks_first() {
    let st = station();
    let mut p = st.open_signed_in(&[], SIZE_80X24);
    p.key(Key::Alt('2'));
    ok(p.wait_for("■ 来访人", T));
    p.send("李");
    ok(p.wait_for("李", T));
    p.key(Key::Alt('1'));
    ok(p.wait_for("今日值班代表", T));
    p.send("q");
    ok(p.wait_for("登记表有未保存的内容，确定退出？", T));
    p.send("n");
    ok(p.wait_gone("登记表有未保存的内容，确定退出？", T));
    // Still running: it takes the next keys, and the form kept its input.
    p.key(Key::Alt('2'));
    let form = ok(p.wait_for("■ 来访人", T));
    assert!(form.contains("李"), "{form}");
    assert!(
        p.try_exit().is_none(),
        "the kiosk quit although the answer was no"
    );
    p.key(Key::Alt('1'));
    ok(p.wait_for("今日值班代表", T));
    p.send("q");
    ok(p.wait_for("登记表有未保存的内容，确定退出？", T));
    p.send("y");
    assert_clean_exit(&mut p);
}

#[test]
fn second_process_is_refused_while_kiosk_runs() {
    let st = station();
    let mut p = st.open_signed_in(&[], SIZE_80X24);
    let out = st.run(&["check"]);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("正被另一个 jiedai 进程使用"), "{}", text(&out));
    assert!(!stderr.contains("panicked"), "{}", text(&out));
    // The kiosk is unharmed and still answers keys.
    assert!(p.try_exit().is_none(), "the kiosk died:\n{}", p.screen());
    p.key(Key::Alt('3'));
    ok(p.wait_for("查询码", T));
    p.send("q");
    assert_clean_exit(&mut p);
    // Once it has quit, the directory is free again.
    let out = st.run(&["check"]);
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn broken_keymap_falls_back_with_warning() {
    let st = station();
    let keymap = st.home.join("k.toml");
    std::fs::write(&keymap, "[global]\nquit = [\"C-\"]\n").unwrap();
    let path = keymap.display().to_string();
    let named = format!("键位文件 {path} 第 2 行");
    // 80x24 unless the temporary directory's path is unusually long.
    let shown = " 键位文件有误，已改用默认键位：".width() + named.width();
    let size = Size {
        cols: SIZE_80X24.cols.max(shown as u16 + 1),
        rows: SIZE_80X24.rows,
    };
    let mut p = st.open_signed_in(&["--keymap", &path], size);
    let screen = wait_all(&p, &["键位文件有误，已改用默认键位：", &named]);
    let status = screen.lines().last().unwrap_or_default().to_string();
    assert!(
        status.contains(&named),
        "the warning names the file and line: {status:?}\n{screen}"
    );
    p.send("3");
    ok(p.wait_for("查询码", T));
    p.send("q");
    assert_clean_exit(&mut p);
}

/// An 800 KB keymap is refused at once with the limit named, and the
/// kiosk starts on the default layout (it used to parse for minutes with
/// a blank screen).
#[test]
fn an_oversized_keymap_is_refused_with_its_limit() {
    let st = station();
    let keymap = st.home.join("huge.toml");
    let mut text = String::from("[global]\n");
    let mut i = 0;
    while text.len() < 800 * 1024 {
        text.push_str(&format!("action_{i} = [\"C-\", \"M-x{i}\"]\n"));
        i += 1;
    }
    std::fs::write(&keymap, &text).unwrap();
    let path = keymap.display().to_string();
    let size = Size {
        cols: 200,
        rows: SIZE_80X24.rows,
    };
    let started = std::time::Instant::now();
    let mut p = st.open_signed_in(&["--keymap", &path], size);
    let screen = wait_all(&p, &["键位文件最大 32 KB", &path, "键位文件过大"]);
    println!(
        "an 800 KB keymap: signed in with the warning after {:?}",
        started.elapsed()
    );
    assert!(started.elapsed() < T, "{:?}", started.elapsed());
    assert!(
        screen.contains(&path) && screen.contains("键位文件过大"),
        "{screen}"
    );
    p.send("3");
    ok(p.wait_for("查询码", T));
    p.send("q");
    assert_clean_exit(&mut p);
}

#[test]
fn english_interface() {
    let st = station();
    let mut p = st.open(&["--lang", "en"], SIZE_80X24);
    ok(p.wait_for("Staff sign-in", T));
    p.key(Key::Enter);
    let screen = wait_all(
        &p,
        &[
            "Deputies on duty today",
            "Today",
            "Register",
            "Appeals",
            "Deputies",
            "help",
            "quit",
        ],
    );
    for word in ["Today", "Register", "Appeals", "Deputies", "help", "quit"] {
        assert!(screen.contains(word), "{word:?} missing:\n{screen}");
    }
    p.send("2");
    let form = wait_all(&p, &["Visitor", "Name", "Phone"]);
    assert!(form.contains("Name") && form.contains("Phone"), "{form}");
    p.key(Key::Alt('1'));
    ok(p.wait_for("Deputies on duty today", T));
    p.send("q");
    assert_clean_exit(&mut p);
}

/// Finding 4: the kiosk started on a database sled cannot read rebuilds it
/// from the journal by itself and says so on screen; the appeals are there.
#[test]
fn an_unreadable_database_is_rebuilt_when_the_kiosk_starts() {
    let st = station();
    for args in [
        ["import", "deputies", "sample-data/deputies.csv"],
        ["import", "appeals", "sample-data/appeals.csv"],
    ] {
        let out = st.run(&args);
        assert!(out.status.success(), "{}", text(&out));
    }
    // Garbage in sled's file, as a write cut off part-way can leave.
    let db = st.data.join("db").join("db");
    let mut bytes = std::fs::read(&db).unwrap();
    for at in (0..bytes.len().saturating_sub(64)).step_by(64 * 1024) {
        bytes[at + 13..at + 40].fill(0xab);
    }
    std::fs::write(&db, bytes).unwrap();
    let mut p = st.open_signed_in(&[], SIZE_80X24);
    let screen = wait_all(&p, &["已按日志自动重建", "数据库无法读取"]);
    assert!(screen.contains("数据库无法读取"), "{screen}");
    p.send("3");
    ok(p.wait_for("查询码", T));
    p.send("q");
    assert_clean_exit(&mut p);
    let out = st.run(&["find", "停车"]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("共 "),
        "{}",
        text(&out)
    );
}
