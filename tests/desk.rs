//! The desk on a busy reception day: the real kiosk in a pseudo-terminal,
//! driven the way staff drive it at speed (typing ahead, not reading every
//! message), at the sizes where each problem was seen.

#[path = "support/cli.rs"]
mod cli;
#[path = "support/pty.rs"]
mod pty;

use std::path::PathBuf;
use std::time::Duration;

use pty::{Key, Pty, SIZE_80X24, Size};

const T: Duration = Duration::from_secs(10);

/// A station with the sample deputies and appeals, and a private HOME.
struct Desk {
    _tmp: tempfile::TempDir,
    data: PathBuf,
    home: PathBuf,
}

impl Desk {
    fn new(with_appeals: bool) -> Desk {
        let tmp = tempfile::tempdir().unwrap();
        let data = tmp.path().join("data");
        let home = tmp.path().join("home");
        std::fs::create_dir_all(&home).unwrap();
        cli::expect(
            &data,
            &["init", "--station", cli::path(&cli::sample("station.toml"))],
            0,
        );
        cli::expect(
            &data,
            &["import", "deputies", cli::path(&cli::sample("deputies.csv"))],
            0,
        );
        if with_appeals {
            cli::expect(
                &data,
                &["import", "appeals", cli::path(&cli::sample("appeals.csv"))],
                0,
            );
        }
        Desk {
            _tmp: tmp,
            data,
            home,
        }
    }

    fn kiosk(&self, size: Size) -> Pty {
        let p = Pty::spawn(&["--data", self.data.to_str().unwrap()], size, &self.home);
        ok(p.wait_for("沈佳怡", T));
        p.key(Key::Enter);
        ok(p.wait_for("今日值班代表", T));
        p
    }

    fn find_json(&self, query: &str) -> String {
        cli::printed(&cli::expect(&self.data, &["find", "--json", query], 0))
    }
}

fn ok<T>(r: Result<T, String>) -> T {
    r.unwrap_or_else(|e| panic!("{e}"))
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

/// Quits the kiosk (nothing unsaved on the form) and waits for it to end.
fn quit(mut p: Pty) {
    p.send("q");
    assert!(p.wait_exit(T).is_some_and(|s| s.success()), "{}", p.screen());
}

/// Opens the first appeal in the list filtered to one status (`s` cycles
/// the status filter from 已登记 onward).
fn open_first_with_status(p: &Pty, presses: usize, label: &str) {
    p.send("3");
    ok(p.wait_for("状态", T));
    for _ in 0..presses {
        p.send("s");
    }
    ok(p.wait_for(label, T));
    settle(p);
    p.key(Key::Enter);
    ok(p.wait_for("办理过程", T));
}

/// `m`, `bmy` (the initials of 不满意), Enter: 不满意 is recorded, not
/// 基本满意 (whose initials jbmy also contain bmy). An exact match of the
/// initials ranks first.
#[test]
fn the_rating_picker_takes_the_exact_initials() {
    let desk = Desk::new(true);
    let p = desk.kiosk(SIZE_80X24);
    open_first_with_status(&p, 5, "已答复");
    let screen = settle(&p);
    let code = screen
        .split_whitespace()
        .find(|w| w.len() == 24 && w.matches('-').count() == 3)
        .unwrap_or_else(|| panic!("no code on the detail screen:\n{screen}"))
        .to_string();
    p.send("m");
    ok(p.wait_for("满意度", T));
    p.send("bmy");
    settle(&p);
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
