//! Setting up a station and its terminals through the real binary: `init`
//! on a directory that already holds a station, terminal numbers, and the
//! demo's temporary station.

use std::fs;
use std::path::Path;

use crate::support::cli;

use cli::*;

fn terminal_file(dir: &Path) -> String {
    fs::read_to_string(dir.join("terminal.toml")).expect("terminal.toml")
}

fn init(dir: &Path, extra: &[&str]) -> std::process::Output {
    let station = sample("station.toml");
    let mut args = vec!["init", "--station", path(&station)];
    args.extend_from_slice(extra);
    jiedai(dir, &args)
}

#[test]
fn init_on_a_station_refuses_unless_asked_to_reconfigure() {
    let tmp = station(true);
    let dir = tmp.path();
    let before = (terminal_file(dir), fs::read(dir.join("journal")).unwrap());
    for (lang, words) in [("zh", "--reconfigure"), ("en", "--reconfigure")] {
        let out = init(dir, &["--lang", lang, "--terminal", "2"]);
        assert_eq!(out.status.code(), Some(1), "{}", printed(&out));
        assert!(text(&out.stderr).contains(words), "{}", printed(&out));
        assert!(text(&out.stdout).is_empty(), "{}", printed(&out));
    }
    let zh = init(dir, &[]);
    assert_eq!(zh.status.code(), Some(1));
    assert!(text(&zh.stderr).contains("已设置"), "{}", printed(&zh));
    let en = init(dir, &["--lang", "en"]);
    assert!(text(&en.stderr).contains("already"), "{}", printed(&en));
    assert!(
        !text(&en.stderr)
            .chars()
            .any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
        "{}",
        printed(&en)
    );
    let after = (terminal_file(dir), fs::read(dir.join("journal")).unwrap());
    assert_eq!(before, after, "a refused init changed the directory");
}

#[test]
fn reconfiguring_keeps_the_terminal_number_unless_given() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let out = init(dir, &["--terminal", "2"]);
    assert_eq!(out.status.code(), Some(0), "{}", printed(&out));
    assert!(terminal_file(dir).contains("terminal = 2"));
    let out = init(dir, &["--reconfigure"]);
    assert_eq!(out.status.code(), Some(0), "{}", printed(&out));
    assert!(
        terminal_file(dir).contains("terminal = 2"),
        "{}",
        terminal_file(dir)
    );
    // No appeals yet: the number may still change.
    let out = init(dir, &["--reconfigure", "--terminal", "3"]);
    assert_eq!(out.status.code(), Some(0), "{}", printed(&out));
    assert!(terminal_file(dir).contains("terminal = 3"));
}

#[test]
fn a_first_init_says_how_to_number_a_second_terminal() {
    let tmp = tempfile::tempdir().unwrap();
    let out = init(tmp.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", printed(&out));
    assert!(text(&out.stdout).contains("--terminal 2"), "{}", printed(&out));
}

#[test]
fn the_terminal_of_a_station_with_appeals_changes_only_when_asked_with_a_warning() {
    let tmp = station(true);
    let dir = tmp.path();
    let f = write(
        dir,
        "one.csv",
        "日期,诉求内容\n2026-01-10 09:00,路灯不亮\n".as_bytes(),
    );
    expect(dir, &["import", "appeals", path(&f)], 0);
    let before = (terminal_file(dir), fs::read(dir.join("journal")).unwrap());
    let out = init(dir, &["--reconfigure", "--terminal", "2"]);
    assert_eq!(out.status.code(), Some(1), "{}", printed(&out));
    assert!(
        text(&out.stderr).contains("--change-terminal"),
        "{}",
        printed(&out)
    );
    assert!(text(&out.stderr).contains("终端号 1"), "{}", printed(&out));
    assert_eq!(
        before,
        (terminal_file(dir), fs::read(dir.join("journal")).unwrap())
    );

    // Reconfiguring without a new number is fine.
    let out = init(dir, &["--reconfigure"]);
    assert_eq!(out.status.code(), Some(0), "{}", printed(&out));
    assert!(terminal_file(dir).contains("terminal = 1"));

    let out = init(
        dir,
        &[
            "--lang",
            "en",
            "--reconfigure",
            "--terminal",
            "2",
            "--change-terminal",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", printed(&out));
    assert!(terminal_file(dir).contains("terminal = 2"));
    assert!(
        text(&out.stderr).contains("terminal 1"),
        "the warning names the old number: {}",
        printed(&out)
    );
    let f = write(
        dir,
        "two.csv",
        "日期,诉求内容\n2026-01-10 10:00,井盖松动\n".as_bytes(),
    );
    expect(dir, &["import", "appeals", path(&f)], 0);
    let found = text(&expect(dir, &["find", ""], 0).stdout);
    assert!(
        found.contains("260110-330999012-10001-") && found.contains("260110-330999012-20001-"),
        "{found}"
    );
}

#[test]
fn a_lost_identity_file_is_written_again_only_with_the_number_given() {
    let tmp = station(true);
    let dir = tmp.path();
    fs::remove_file(dir.join("terminal.toml")).unwrap();
    let out = init(dir, &[]);
    assert_ne!(out.status.code(), Some(0), "{}", printed(&out));
    assert!(!dir.join("terminal.toml").exists());
    let out = init(dir, &["--terminal", "1"]);
    assert_eq!(out.status.code(), Some(0), "{}", printed(&out));
    assert!(terminal_file(dir).contains("terminal = 1"));
    expect(dir, &["find", ""], 0);
}

/// The demo's directory, from what it printed before the kiosk started.
fn demo_dir(p: &pty::Pty) -> std::path::PathBuf {
    let raw = String::from_utf8_lossy(&p.raw()).into_owned();
    let start = raw.find('（').expect("the demo names its directory") + '（'.len_utf8();
    let end = start + raw[start..].find('）').expect("the path ends");
    std::path::PathBuf::from(&raw[start..end])
}

use crate::support::pty;

#[test]
fn a_demo_ended_by_a_signal_leaves_no_data_behind() {
    const T: std::time::Duration = std::time::Duration::from_secs(30);
    let home = tempfile::tempdir().unwrap();
    for signal in [libc::SIGHUP, libc::SIGTERM] {
        let mut p = pty::Pty::spawn(&["demo"], pty::SIZE_80X24, home.path());
        p.wait_for("许文博", T).unwrap();
        let dir = demo_dir(&p);
        assert!(
            dir.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("jiedai-demo-"),
            "{}",
            dir.display()
        );
        assert!(dir.join("journal").exists(), "{}", dir.display());
        let pid = p.pid().expect("pid") as libc::pid_t;
        assert_eq!(unsafe { libc::kill(pid, signal) }, 0);
        let status = p.wait_exit(T).expect("the demo exits");
        assert!(!status.success());
        assert!(!dir.exists(), "signal {signal} left {} behind", dir.display());
        if signal == libc::SIGTERM {
            // The terminal was given back: the alternate screen was left.
            assert!(
                String::from_utf8_lossy(&p.raw()).contains("\x1b[?1049l"),
                "the terminal was not restored"
            );
        }
    }
}

/// A station file's texts and the file itself have limits, named when
/// they are passed; nothing is set up then. A station name of 100,000
/// characters is not a station's name.
#[test]
fn a_station_file_over_its_limits_is_refused_with_the_limit() {
    let tmp = tempfile::tempdir().unwrap();
    let sample_text = fs::read_to_string(sample("station.toml")).unwrap();
    let cases = [
        (
            "name.toml",
            sample_text.replace("柳岸社区人大代表联络站", &"A".repeat(100_000)),
            "station.name：100000 个字符，超过上限 60 个字符",
        ),
        (
            "staff.toml",
            sample_text.replace("name = \"沈佳怡\"", &format!("name = \"{}\"", "沈".repeat(41))),
            "staff.name：41 个字符，超过上限 40 个字符",
        ),
        (
            "big.toml",
            format!("{sample_text}\n# {}\n", "x".repeat(300 * 1024)),
            "站点文件最大 256 KB",
        ),
        (
            "points.toml",
            format!("{sample_text}\n[points]\nsatisfied = 500\n"),
            "points：“satisfied”的分值超过上限 100",
        ),
    ];
    for (name, text, said) in cases {
        let file = write(tmp.path(), name, text.as_bytes());
        let dir = tmp.path().join(format!("data-{name}"));
        let out = jiedai(&dir, &["init", "--station", path(&file)]);
        assert_ne!(out.status.code(), Some(0), "{name}");
        let printed = printed(&out);
        assert!(printed.contains(said), "{name}: {printed}");
        assert!(printed.contains(path(&file)), "{name}: {printed}");
        assert!(!dir.join("terminal.toml").exists(), "{name} set a station up");
    }
}
