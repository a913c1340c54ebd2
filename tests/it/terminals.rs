#![cfg(feature = "county")]
//! Two terminals of one station through a county server on loopback, the
//! real binary throughout: each registers offline, both sync, each finds,
//! shows, prints and steps the other's appeal in the kiosk (and counts a
//! duty item the other entered); then both
//! answer one appeal offline, and the terminals and the county end alike,
//! with the step that came second kept as not applied (`domain::order`).

use crate::support::cli;
use crate::support::county::County;
use crate::support::pty::{self, Pty, SIZE_100X30, ok};

use std::path::{Path, PathBuf};
use std::time::Duration;

const T: Duration = Duration::from_secs(10);
const STATION: &str = "330999012";

/// A terminal of the sample station: its data directory, set up with
/// `init --terminal n`, the deputies and the county's credentials.
struct Terminal {
    data: PathBuf,
    home: PathBuf,
}

impl Terminal {
    fn new(root: &Path, n: u8, creds: &Path) -> Terminal {
        let data = root.join(format!("terminal-{n}"));
        let home = root.join(format!("home-{n}"));
        std::fs::create_dir_all(&home).unwrap();
        let station = cli::sample("station.toml");
        let number = n.to_string();
        let mut init = vec!["init", "--station", cli::path(&station)];
        if n != 1 {
            init.extend(["--terminal", number.as_str()]);
        }
        cli::expect(&data, &init, 0);
        cli::expect(
            &data,
            &["import", "deputies", cli::path(&cli::sample("deputies.csv"))],
            0,
        );
        cli::expect(&data, &["enroll", cli::path(creds)], 0);
        Terminal { data, home }
    }

    fn sync(&self) {
        let out = cli::expect(&self.data, &["sync"], 0);
        assert!(
            cli::text(&out.stdout).contains("同步完成"),
            "{}",
            cli::printed(&out)
        );
    }

    /// The code `find` gives for `query` (exactly one appeal).
    fn find(&self, query: &str) -> String {
        self.found(query)["code"].as_str().unwrap().to_string()
    }

    /// What `find --json` gives for `query` (exactly one appeal).
    fn found(&self, query: &str) -> serde_json::Value {
        let out = cli::expect(&self.data, &["find", query, "--json"], 0);
        let lines: Vec<String> = cli::text(&out.stdout).lines().map(str::to_string).collect();
        assert_eq!(lines.len(), 1, "{lines:?} {}", self.data.display());
        serde_json::from_str(&lines[0]).unwrap()
    }

    /// The appeal `code` as this terminal's export gives it.
    fn appeal(&self, code: &str) -> serde_json::Value {
        let out = cli::expect(&self.data, &["export", "appeals", "--format", "jsonl"], 0);
        cli::text(&out.stdout)
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .find(|a| a["code"] == code)
            .unwrap_or_else(|| panic!("{code} is not held"))
    }

    /// The kiosk, signed in.
    fn kiosk(&self) -> Pty {
        let p = Pty::spawn(&["--data", cli::path(&self.data)], SIZE_100X30, &self.home);
        p.sign_in(T);
        p
    }
}

/// Answers the appeal open in the kiosk on the spot with `reply`.
fn answer_on_spot(p: &Pty, reply: &str) {
    p.send("h");
    ok(p.wait_for("答复", T));
    p.send(reply);
    ok(p.wait_for(reply, T));
    p.key(pty::Key::Ctrl('s'));
    ok(p.wait_for("· 已答复", T));
}

fn quit(mut p: Pty) {
    p.send("q");
    assert!(p.wait_exit(T).is_some_and(|s| s.success()), "{}", p.screen());
}

/// Registers one appeal in the open kiosk; its code.
fn register(p: &Pty, title: &str) -> String {
    let screen = p.register_traffic_appeal(("蒋文", "13800001234"), title, "井盖缺失夜里容易踩空", T);
    screen
        .split(|c: char| !(c.is_ascii_digit() || c == '-'))
        .find(|w| w.len() >= 24 && w.chars().filter(|c| *c == '-').count() == 3)
        .map(str::to_string)
        .unwrap_or_else(|| panic!("no code shown:\n{screen}"))
}

/// The history's steps of an exported appeal, as (step, not applied).
fn steps(a: &serde_json::Value) -> Vec<(String, bool)> {
    a["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            let step = h["step"]
                .as_str()
                .map(str::to_string)
                .or_else(|| h["step"]["step"].as_str().map(str::to_string))
                .or_else(|| h["step"].as_object().and_then(|o| o.keys().next().cloned()))
                .unwrap_or_default();
            (step, h.get("not_applied").is_some_and(|n| !n.is_null()))
        })
        .collect()
}

#[test]
fn two_terminals_share_their_appeals_and_end_a_conflict_alike() {
    let root = tempfile::tempdir().unwrap();
    let county = County::start(None);
    let creds = root.path().join("credentials.toml");
    county.enroll(STATION, "柳岸社区人大代表联络站", &creds);
    let one = Terminal::new(root.path(), 1, &creds);
    let two = Terminal::new(root.path(), 2, &creds);

    // Offline, each registers: terminal 1 by import, terminal 2 at the desk.
    let csv = cli::write(
        root.path(),
        "one.csv",
        "日期,姓名,电话,标题,诉求内容\n2026-12-06 10:00,林晓,13900002222,柳岸路路灯不亮,柳岸路北段路灯不亮已有一周\n"
            .as_bytes(),
    );
    let imported = cli::expect(&one.data, &["import", "appeals", cli::path(&csv)], 0);
    assert!(
        cli::text(&imported.stdout).contains("已导入 1 行"),
        "{}",
        cli::printed(&imported)
    );
    let lamp = one.find("路灯不亮");
    let p = two.kiosk();
    let cover = register(&p, "桃源路井盖缺失");
    // And an item of 陈立华's (D001) duty list, entered at terminal 2.
    p.send("4");
    ok(p.wait_for("季度分", T));
    p.send("a");
    ok(p.wait_for("录入履职事项 · 陈立华", T));
    p.key(pty::Key::Enter);
    p.key(pty::Key::Tab);
    p.key(pty::Key::Tab);
    p.send("两台终端的培训");
    p.key(pty::Key::Ctrl('s'));
    ok(p.wait_for("已录入履职事项：陈立华 · 学习培训", T));
    quit(p);
    assert_eq!(cover.split('-').nth(2).unwrap().chars().next(), Some('2'));
    // Nothing of the other's before a sync.
    let none = cli::expect(&two.data, &["find", "路灯不亮", "--json"], 0);
    assert!(cli::text(&none.stdout).trim().is_empty());

    one.sync();
    two.sync();
    one.sync();

    // Each finds the other's appeal, with what was registered.
    assert_eq!(two.find("路灯不亮"), lamp);
    assert_eq!(one.find("井盖缺失"), cover);
    assert_eq!(
        two.appeal(&lamp)["visitor_phone"],
        one.appeal(&lamp)["visitor_phone"]
    );
    // Terminal 2 prints terminal 1's receipt again.
    let receipt = root.path().join("receipt.bin");
    cli::expect(
        &two.data,
        &["print", "receipt", &lamp, "--printer", cli::path(&receipt)],
        0,
    );
    let bytes = std::fs::read(&receipt).unwrap();
    assert!(
        bytes.windows(lamp.len()).any(|w| w == lamp.as_bytes()),
        "the receipt holds the code"
    );

    // Terminal 1 shows terminal 2's appeal and accepts it at the desk.
    let p = one.kiosk();
    p.open_appeal_timeline(&cover, T);
    ok(p.wait_for("桃源路井盖缺失", T));
    p.send("a");
    ok(p.wait_for("备注", T));
    p.key(pty::Key::Ctrl('s'));
    ok(p.wait_for("已受理", T));
    // The county's public page of 陈立华 counts it, with no word of it.
    let (status, page) = crate::support::county::get(&format!("{}/{STATION}/d/D001", county.url));
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("<dt>学习、会议、调研等履职事项（次）</dt><dd>1</dd>"),
        "{page}"
    );
    assert!(!page.contains("两台终端的培训"), "{page}");
    // Terminal 2's duty item counts for 陈立华 here too.
    p.send("4");
    ok(p.wait_for("季度分", T));
    p.key(pty::Key::Enter);
    let screen = ok(p.wait_for("陈立华 代表履职积分", T));
    assert!(screen.contains("学习培训 × 1 次 · 两台终端的培训"), "{screen}");
    p.key(pty::Key::Esc);
    ok(p.wait_gone("代表履职积分", T));
    quit(p);
    // Screen 5 says what is held from the other terminal.
    let p = two.kiosk();
    p.send("5");
    let screen = ok(p.wait_for("1 号终端至第", T));
    assert!(screen.contains("其他终端的记录"), "{screen}");
    quit(p);

    // Offline, both answer terminal 1's appeal on the spot.
    let p = one.kiosk();
    p.open_appeal_timeline(&lamp, T);
    answer_on_spot(&p, "已联系路灯所连夜维修");
    quit(p);
    let p = two.kiosk();
    p.open_appeal_timeline(&lamp, T);
    answer_on_spot(&p, "已转社区网格员处理");
    quit(p);
    // Each sees its own answer until the county's order reaches it; its
    // journal replays to the same, the answer pending.
    assert_eq!(two.appeal(&lamp)["reply"], "已转社区网格员处理");
    cli::expect(&two.data, &["check"], 0);

    // Terminal 1 reaches the county first; then everyone syncs again.
    one.sync();
    two.sync();
    one.sync();
    two.sync();

    let at_one = one.appeal(&lamp);
    let at_two = two.appeal(&lamp);
    assert_eq!(at_one, at_two, "both terminals hold the same appeal");
    assert_eq!(at_one["reply"], "已联系路灯所连夜维修");
    let history = steps(&at_one);
    assert_eq!(history.len(), 3, "{history:?}");
    assert_eq!(
        history.iter().map(|(_, refused)| *refused).collect::<Vec<_>>(),
        [false, false, true],
        "the second answer is kept, not applied: {history:?}"
    );
    // The step of terminal 1 on terminal 2's appeal reached terminal 2,
    // and its search shows it (`find` reads the catalog cache).
    assert_eq!(two.appeal(&cover)["status"], one.appeal(&cover)["status"]);
    assert_eq!(two.found("井盖缺失")["status"], "accepted");
    assert!(
        steps(&two.appeal(&cover)).len() == 2,
        "{:?}",
        steps(&two.appeal(&cover))
    );

    // The county holds the same.
    let out = county.run(&["show", &lamp, "--json"]);
    assert!(out.status.success(), "{}", cli::printed(&out));
    let shown: serde_json::Value = serde_json::from_str(&cli::text(&out.stdout)).unwrap();
    let timeline = shown["timeline"].as_array().unwrap();
    assert_eq!(timeline.len(), 3, "{shown}");
    assert!(
        timeline[2]["not_applied"].as_str().unwrap().contains("未生效"),
        "{shown}"
    );
    assert!(cli::text(&out.stdout).contains("已联系路灯所连夜维修"), "{shown}");

    // Terminal 2's desk shows the refused answer and why.
    let p = two.kiosk();
    p.open_appeal_timeline(&lamp, T);
    let screen = ok(p.wait_for("未生效", T));
    assert!(screen.contains("另一台终端或县里的办理先到"), "{screen}");
    quit(p);

    // A terminal set up later gets the station's history with its first
    // sync, in the same state.
    let three = Terminal::new(root.path(), 3, &creds);
    three.sync();
    assert_eq!(three.appeal(&lamp), at_one);
    assert_eq!(three.appeal(&cover), one.appeal(&cover));
    assert_eq!(three.find("井盖缺失"), cover);
    // Each journal replays to what its database holds, pending steps and
    // all (`check` replays range by range).
    for t in [&one, &two, &three] {
        cli::expect(&t.data, &["check"], 0);
    }
}
