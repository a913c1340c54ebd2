//! End-to-end tests: the real `jiedai` binary in a pseudo-terminal, its
//! screen read back through a terminal emulator.

#[path = "support/pty.rs"]
mod pty;

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::Duration;

use pty::{Key, Pty, SIZE_80X24, Size};

const T: Duration = Duration::from_secs(10);

/// A data directory with the sample station, and a private HOME.
struct Station {
    _tmp: tempfile::TempDir,
    data: PathBuf,
    home: PathBuf,
}

impl Station {
    fn new() -> Station {
        let tmp = tempfile::tempdir().expect("tempdir");
        let data = tmp.path().join("data");
        let home = tmp.path().join("home");
        std::fs::create_dir_all(&home).unwrap();
        let st = Station {
            data,
            home,
            _tmp: tmp,
        };
        let out = st.run(&["init", "--station", "sample-data/station.toml"]);
        assert!(out.status.success(), "init failed: {}", text(&out));
        st
    }

    fn data(&self) -> &str {
        self.data.to_str().expect("utf-8 temp path")
    }

    /// Runs a plain (non-terminal) command on the data directory.
    fn run(&self, args: &[&str]) -> Output {
        Command::new(pty::bin())
            .arg("--data")
            .arg(&self.data)
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .envs(pty::child_env(&self.home))
            .output()
            .expect("run jiedai")
    }

    /// Opens the kiosk with extra arguments.
    fn kiosk(&self, extra: &[&str], size: Size) -> Pty {
        let mut args = vec!["--data", self.data()];
        args.extend_from_slice(extra);
        Pty::spawn(&args, size, &self.home)
    }

    /// Opens the kiosk and signs in as the first person (no PIN).
    fn signed_in(&self, extra: &[&str], size: Size) -> Pty {
        let p = self.kiosk(extra, size);
        sign_in(&p);
        p
    }
}

fn text(out: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn ok<T>(r: Result<T, String>) -> T {
    r.unwrap_or_else(|e| panic!("{e}"))
}

fn sign_in(p: &Pty) {
    ok(p.wait_for("沈佳怡", T));
    p.key(Key::Enter);
    ok(p.wait_for("今日值班代表", T));
}

/// Waits until the screen has stopped changing for a moment.
fn settle(p: &Pty) -> String {
    let mut last = p.screen();
    let mut same = 0;
    for _ in 0..200 {
        std::thread::sleep(Duration::from_millis(25));
        let now = p.screen();
        if now == last {
            same += 1;
            if same >= 4 {
                return now;
            }
        } else {
            same = 0;
            last = now;
        }
    }
    last
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
// Tests
// ---------------------------------------------------------------------------

#[test]
fn register_two_appeals_then_reopen_and_find() {
    let st = Station::new();
    let mut p = st.signed_in(&[], SIZE_80X24);

    p.send("2");
    ok(p.wait_for("■ 来访人", T));
    // Visitor: name, phone, (no ID), address, people, deputies.
    p.send("王小明");
    p.key(Key::Tab);
    p.send("138 0000 1234");
    p.key(Key::Tab);
    p.key(Key::Tab);
    p.send("柳岸路12号3单元");
    p.key(Key::Tab);
    p.key(Key::Tab);
    p.key(Key::Tab);
    // Appeal 1: category by pinyin initials, title, two-line content.
    ok(p.wait_for("打字筛选", T));
    p.send("jttc");
    ok(p.wait_for("交通停车", T));
    p.key(Key::Enter);
    p.send("小区停车难");
    p.key(Key::Tab);
    p.send("老旧小区夜间停车位不足");
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
    ok(p.wait_for("查询码（请告知来访人）", T));
    let saved = settle(&p);
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
    let mut p = st.signed_in(&[], SIZE_80X24);
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
    let detail = ok(p.wait_for("诉求详情", T));
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
fn quit_with_unsaved_input_asks_first() {
    let st = Station::new();
    let mut p = st.signed_in(&[], SIZE_80X24);
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
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        p.try_exit().is_none(),
        "the kiosk quit although the answer was no"
    );
    p.send("q");
    ok(p.wait_for("登记表有未保存的内容，确定退出？", T));
    p.send("y");
    assert_clean_exit(&mut p);
}

#[test]
fn second_process_is_refused_while_kiosk_runs() {
    let st = Station::new();
    let mut p = st.signed_in(&[], SIZE_80X24);
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
fn english_interface() {
    let st = Station::new();
    let mut p = st.kiosk(&["--lang", "en"], SIZE_80X24);
    ok(p.wait_for("Staff sign-in", T));
    p.key(Key::Enter);
    let screen = ok(p.wait_for("Deputies on duty today", T));
    for word in ["Today", "Register", "Appeals", "Deputies", "help", "quit"] {
        assert!(screen.contains(word), "{word:?} missing:\n{screen}");
    }
    p.send("2");
    let form = ok(p.wait_for("Visitor", T));
    assert!(form.contains("Name") && form.contains("Phone"), "{form}");
    p.key(Key::Alt('1'));
    ok(p.wait_for("Deputies on duty today", T));
    p.send("q");
    assert_clean_exit(&mut p);
}
