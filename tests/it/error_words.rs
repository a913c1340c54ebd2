#![cfg(feature = "county")]
//! What the binary says when something is wrong comes in the language the
//! user asked for: with `--lang en` no Chinese (but data, such as quoted
//! names), in Chinese (the default) no English sentences (but paths,
//! commands in backquotes and data). Each case runs the real binary in
//! both languages.

use crate::support::cli;
use crate::support::county;

use std::fs;
use std::path::Path;

use jiedai::storage::Store;
use jiedai::storage::journal::{Item, Journal};

use cli::*;

fn is_cjk(c: char) -> bool {
    ('\u{4e00}'..='\u{9fff}').contains(&c)
        || ('\u{3000}'..='\u{303f}').contains(&c)
        || ('\u{ff00}'..='\u{ffef}').contains(&c)
}

/// `text` without what lies between `open` and `close` (quoted data,
/// commands in backquotes).
fn without(text: &str, open: char, close: char) -> String {
    let mut out = String::new();
    let mut inside = false;
    for c in text.chars() {
        if !inside && c == open {
            inside = true;
        } else if inside && c == close {
            inside = false;
        } else if !inside {
            out.push(c);
        }
    }
    out
}

/// Chinese text outside quoted data, if any.
fn chinese_in(text: &str) -> Option<String> {
    let text = without(text, '“', '”');
    text.lines().find(|l| l.chars().any(is_cjk)).map(str::to_string)
}

/// A run of three or more English words (outside paths and commands in
/// backquotes), if any.
fn english_in(text: &str) -> Option<String> {
    let text = without(text, '`', '`');
    for line in text.lines() {
        // Chinese breaks a run; brackets and commas do not.
        let spaced: String = line
            .chars()
            .map(|c| match c {
                c if is_cjk(c) => " | ".to_string(),
                '(' | ')' | ',' | ';' | ':' | '.' => " ".to_string(),
                c => c.to_string(),
            })
            .collect();
        let mut run: Vec<&str> = Vec::new();
        for token in spaced.split_whitespace() {
            let word = !token.contains('/')
                && token
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '\'' || c == '-');
            if !word {
                run.clear();
                continue;
            }
            run.push(token);
            let words = run
                .iter()
                .filter(|t| t.chars().any(|c| c.is_ascii_alphabetic()))
                .count();
            if run.len() >= 3 && words >= 2 {
                return Some(line.to_string());
            }
        }
    }
    None
}

/// Runs `args` in English and in Chinese; the English output must hold
/// `en` and no Chinese, the Chinese output `zh` and no English sentence.
/// Returns the exit statuses.
fn both(dir: &Path, args: &[&str], en: &str, zh: &str) -> (Option<i32>, Option<i32>) {
    let english = jiedai(dir, &[&["--lang", "en"][..], args].concat());
    let said = printed(&english);
    assert!(said.contains(en), "--lang en {args:?}:\n{said}");
    assert_eq!(chinese_in(&said), None, "--lang en {args:?}:\n{said}");
    let chinese = jiedai(dir, args);
    let said = printed(&chinese);
    assert!(said.contains(zh), "{args:?}:\n{said}");
    assert_eq!(english_in(&said), None, "{args:?}:\n{said}");
    (english.status.code(), chinese.status.code())
}

/// A station with the sample deputies and appeals.
fn station_with_appeals() -> tempfile::TempDir {
    let dir = station(true);
    expect(
        dir.path(),
        &["import", "appeals", path(&sample("appeals.csv"))],
        0,
    );
    dir
}

#[test]
fn the_detectors_see_what_they_look_for() {
    assert!(
        english_in("jiedai: 本机终端身份文件 /tmp/x/terminal.toml 无法使用（terminal 0 is not 1-9）")
            .is_some()
    );
    assert!(english_in("恢复：journal ends in 8 bytes").is_some());
    assert!(english_in("jiedai: x.csv：无法读取（No such file or directory (os error 2)）").is_some());
    assert_eq!(
        english_in("运行 `jiedai check --rebuild` 从日志重建；见 README「日志」，GB18030 或 UTF-8"),
        None
    );
    assert!(chinese_in("the journal 日志").is_some());
    assert_eq!(chinese_in("deputy “张三” has checked in"), None);
}

#[test]
fn a_directory_without_a_station() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("no-station");
    for args in [
        &["find", "x"][..],
        &["export", "appeals", "--format", "csv"],
        &["check"],
    ] {
        let (en, zh) = both(&missing, args, "holds no station", "中没有站点");
        assert_ne!(en, Some(0));
        assert_ne!(zh, Some(0));
    }
}

/// `sync` and the county's commands on a mistyped `--data` name the
/// directory, fail, and create nothing; only `county serve` sets a county
/// up, in a directory that exists.
#[test]
fn a_mistyped_directory_for_sync_and_the_county() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("no-such-dir");
    let shown = path(&missing);
    let (en, zh) = both(&missing, &["sync"], "holds no station", "中没有站点");
    assert_ne!(en, Some(0));
    assert_ne!(zh, Some(0));
    let staff: [&[&str]; 5] = [
        &["county", "appeals"],
        &["county", "accept", "261206-330999012-10001-3"],
        &["county", "export", "--format", "jsonl"],
        &[
            "county",
            "enroll",
            "--station",
            "330999012",
            "--name",
            "柳岸",
            "--out",
            "c.toml",
            "--url",
            "http://127.0.0.1:9",
        ],
        &["county", "serve", "--listen", "127.0.0.1:0"],
    ];
    for args in staff {
        let (en, zh) = both(&missing, args, "does not exist", "不存在");
        assert_eq!((en, zh), (Some(1), Some(1)), "{args:?}");
        let said = printed(&jiedai(&missing, args));
        assert!(said.contains(shown), "{args:?} names the directory: {said}");
        assert!(!missing.exists(), "{args:?} created {shown}");
    }
    // A directory that exists but holds no county: only serve sets one up.
    let empty = tmp.path().join("empty");
    fs::create_dir(&empty).unwrap();
    for args in &staff[..4] {
        let (en, zh) = both(&empty, args, "holds no county server", "中没有县里的服务器");
        assert_eq!((en, zh), (Some(1), Some(1)), "{args:?}");
        for made in ["county.db", "server.key"] {
            assert!(!empty.join(made).exists(), "{args:?} made {made}");
        }
    }
}

/// Another zone given to a county that keeps one is refused in the
/// chosen language, naming both zones and the way to change it.
#[test]
fn another_zone_for_the_county() {
    let county = county::County::start_with(None, &["--time-zone", "Asia/Urumqi"], None);
    let (en, zh) = both(
        county.path(),
        &["county", "appeals", "--time-zone", "Asia/Shanghai"],
        "serve --time-zone Asia/Shanghai",
        "时区",
    );
    assert_eq!((en, zh), (Some(2), Some(2)));
}

/// A code whose last digit is not its check digit is a typo, and the
/// message gives the check digit the other digits imply.
#[test]
fn a_code_with_a_wrong_check_digit_is_a_typo() {
    let dir = station_with_appeals();
    let listed = expect(dir.path(), &["find", "", "--json"], 0);
    let first: serde_json::Value =
        serde_json::from_str(text(&listed.stdout).lines().next().unwrap()).unwrap();
    let code = first["code"].as_str().unwrap();
    let (body, right) = code.split_at(code.len() - 1);
    let wrong = format!("{body}{}", if right == "0" { 1 } else { 0 });
    let (en, zh) = both(
        dir.path(),
        &["find", &wrong],
        &format!("would be {right}, not {}", &wrong[wrong.len() - 1..]),
        &format!("应为 {right}，而不是 {}", &wrong[wrong.len() - 1..]),
    );
    assert_eq!((en, zh), (Some(2), Some(2)));
    // Without dashes, too; and the right code is found.
    let said = printed(&jiedai(dir.path(), &["find", &wrong.replace('-', "")]));
    assert!(said.contains(&format!("应为 {right}")), "{said}");
    assert!(text(&expect(dir.path(), &["find", code], 0).stdout).contains(code));
}

/// A sync that fails says why in plain words of the chosen language: no
/// system error text, no byte arrays, no English inside Chinese (the
/// county's reason comes in both; only one is shown).
#[test]
fn a_failed_sync_in_plain_words() {
    use jiedai::sync::protocol::{Credentials, encode_secret, new_signing_key};
    let county = county::County::start(None);
    let dir = station(true);
    let creds_file = dir.path().join("county.toml");
    county.enroll("330999012", "柳岸社区人大代表联络站", &creds_file);
    let mut creds: Credentials = toml::from_str(&fs::read_to_string(&creds_file).unwrap()).unwrap();
    let enroll = |creds: &Credentials| {
        fs::write(&creds_file, toml::to_string(creds).unwrap()).unwrap();
        expect(dir.path(), &["enroll", path(&creds_file)], 0);
    };
    // Nothing listens at the address.
    let good = creds.clone();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    creds.server = format!("http://127.0.0.1:{port}");
    enroll(&creds);
    let (en, zh) = both(
        dir.path(),
        &["sync", "--attempts", "1"],
        "nothing answers at that address",
        "服务器没有在运行",
    );
    assert_eq!((en, zh), (Some(1), Some(1)));
    // A key the county does not know: its reason, in one language.
    let mut wrong = good.clone();
    wrong.key = encode_secret(&new_signing_key().unwrap());
    enroll(&wrong);
    let (en, zh) = both(
        dir.path(),
        &["sync", "--attempts", "1"],
        "the signature does not verify",
        "签名不对",
    );
    assert_eq!((en, zh), (Some(1), Some(1)));
    // A credentials file that is not one.
    fs::write(&creds_file, "server = \"http://x\"\nkey = [1, 2, 3]\n").unwrap();
    let (en, zh) = both(
        dir.path(),
        &["enroll", path(&creds_file)],
        "not the file the county sent",
        "不是县里发来的凭据文件",
    );
    assert_eq!((en, zh), (Some(1), Some(1)));
}

#[test]
fn a_damaged_journal_reported_by_check() {
    let tmp = station_with_appeals();
    let dir = tmp.path();
    let journal = dir.join("journal");
    let mut records = Vec::new();
    Journal::open_read(&journal)
        .unwrap()
        .survey(0, |item| {
            if let Item::Record(r) = item {
                records.push((r.start, r.end));
            }
            Ok(())
        })
        .unwrap();
    assert!(records.len() >= 3, "{records:?}");
    let mut bytes = fs::read(&journal).unwrap();
    bytes[records[1].0 as usize + 40] ^= 0x04;
    fs::write(&journal, &bytes).unwrap();
    let (en, zh) = both(dir, &["check"], "damaged", "处损坏");
    assert_eq!((en, zh), (Some(1), Some(1)));
}

#[test]
fn an_unfinished_write_at_the_end_noted_by_check() {
    let tmp = station(false);
    let dir = tmp.path();
    let journal = dir.join("journal");
    let mut bytes = fs::read(&journal).unwrap();
    bytes.extend_from_slice(&[0u8; 8]);
    fs::write(&journal, &bytes).unwrap();
    let (en, zh) = both(dir, &["check"], "unfinished write", "未写完");
    assert_eq!((en, zh), (Some(0), Some(0)));
}

#[test]
fn a_directory_in_use() {
    let tmp = station(false);
    let dir = tmp.path();
    let held = Store::open(dir).unwrap();
    for args in [
        &["find", "x"][..],
        &["check"],
        &["import", "deputies", path(&sample("deputies.csv"))],
    ] {
        let (en, zh) = both(dir, args, "in use", "正被另一个 jiedai 进程使用");
        assert_eq!((en, zh), (Some(4), Some(4)), "{args:?}");
    }
    drop(held);
}

#[test]
fn a_bad_import_file() {
    let tmp = station(false);
    let dir = tmp.path();
    let missing = dir.join("no-such-file.csv");
    let (en, zh) = both(
        dir,
        &["import", "deputies", path(&missing)],
        "cannot read it",
        "无法读取",
    );
    assert_eq!((en, zh), (Some(2), Some(2)));
    let columns = write(dir, "columns.csv", b"code,title\nbad-code,x\n");
    let (en, zh) = both(
        dir,
        &["import", "appeals", path(&columns)],
        "missing required column",
        "缺少必需的列",
    );
    assert_eq!((en, zh), (Some(2), Some(2)));
    // A broken JSON line: where, in the chosen language (serde's words
    // are English).
    let json = write(
        dir,
        "broken.jsonl",
        "{\"date\": \"2026-03-10\", \"content\": \"路灯不亮\"}\n{\"date\": \n".as_bytes(),
    );
    let (en, zh) = both(
        dir,
        &["import", "appeals", path(&json)],
        "not valid JSON",
        "不是有效的 JSON",
    );
    assert_eq!((en, zh), (Some(3), Some(3)));
    let station_file = dir.join("no-such-station.toml");
    let (en, zh) = both(
        dir,
        &["init", "--station", path(&station_file)],
        "cannot be read",
        "无法读取",
    );
    assert_eq!((en, zh), (Some(2), Some(2)));
}

#[test]
fn a_terminal_that_does_not_know_who_it_is() {
    let tmp = station(false);
    let dir = tmp.path();
    let terminal = dir.join("terminal.toml");
    fs::write(&terminal, "terminal = 0\n").unwrap();
    let (en, zh) = both(
        dir,
        &["find", "x"],
        "terminal 0 is not 1-9",
        "终端号 0 不在 1-9 之内",
    );
    assert_eq!((en, zh), (Some(1), Some(1)));
    fs::remove_file(&terminal).unwrap();
    let (en, zh) = both(dir, &["check"], "the file is missing", "文件不存在");
    assert_eq!((en, zh), (Some(1), Some(1)));
}

#[test]
fn a_database_ahead_of_its_journal() {
    let tmp = station_with_appeals();
    let dir = tmp.path();
    fs::remove_file(dir.join("journal")).unwrap();
    for args in [
        &["export", "appeals", "--format", "csv"][..],
        &["find", "x"],
        &["check"],
    ] {
        let (en, zh) = both(dir, args, "--journal-from-database", "日志文件不存在");
        assert_eq!((en, zh), (Some(1), Some(1)), "{args:?}");
    }
    // The repair's notes, in the user's language too.
    let copy = tempfile::tempdir().unwrap();
    for entry in fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        copy_tree(&entry.path(), &copy.path().join(entry.file_name()));
    }
    let args = ["check", "--journal-from-database"];
    let english = jiedai(dir, &[&["--lang", "en"][..], &args].concat());
    assert_eq!(english.status.code(), Some(0), "{}", printed(&english));
    assert!(
        printed(&english).contains("a new journal was written"),
        "{}",
        printed(&english)
    );
    assert_eq!(chinese_in(&printed(&english)), None, "{}", printed(&english));
    let chinese = jiedai(copy.path(), &args);
    assert_eq!(chinese.status.code(), Some(0), "{}", printed(&chinese));
    assert!(
        printed(&chinese).contains("已由数据库写出新日志"),
        "{}",
        printed(&chinese)
    );
    assert_eq!(english_in(&printed(&chinese)), None, "{}", printed(&chinese));
}

fn copy_tree(from: &Path, to: &Path) {
    if from.is_dir() {
        fs::create_dir_all(to).unwrap();
        for entry in fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            copy_tree(&entry.path(), &to.join(entry.file_name()));
        }
    } else {
        fs::copy(from, to).unwrap();
    }
}

#[test]
fn a_printer_without_its_full_path() {
    let dir = station_with_appeals();
    let code = {
        let store = Store::open(dir.path()).unwrap();
        let mut first = None;
        store
            .for_each_appeal(|a| {
                first.get_or_insert(a.code.to_string());
                Ok(())
            })
            .unwrap();
        first.unwrap()
    };
    let (en, zh) = both(
        dir.path(),
        &["print", "receipt", &code, "--printer", "lp0"],
        "file:///dev/usb/lp0",
        "file:///dev/usb/lp0",
    );
    assert_ne!(en, Some(0));
    assert_ne!(zh, Some(0));
}

#[test]
fn a_public_url_the_county_cannot_answer() {
    let tmp = tempfile::tempdir().unwrap();
    let toml = fs::read_to_string(sample("station.toml"))
        .unwrap()
        .replace("https://rd.example.cn/330999012", "https://rd.example.cn/qr");
    let file = write(tmp.path(), "station.toml", toml.as_bytes());
    let data = tmp.path().join("data");
    let (en, zh) = both(
        &data,
        &["init", "--station", path(&file)],
        "https://rd.example.cn/330999012",
        "https://rd.example.cn/330999012",
    );
    assert_ne!(en, Some(0));
    assert_ne!(zh, Some(0));
}

/// The first line `county serve` prints, in `lang` (None: the default).
fn serve_says(lang: Option<&str>) -> String {
    use std::io::{BufRead, BufReader};
    let tmp = tempfile::tempdir().unwrap();
    let mut c = bin();
    c.arg("--data").arg(tmp.path());
    if let Some(lang) = lang {
        c.args(["--lang", lang]);
    }
    let mut child = c
        .args(["county", "serve", "--listen", "127.0.0.1:0"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    line
}

#[test]
fn the_county_server_says_where_it_listens_in_the_users_language() {
    let en = serve_says(Some("en"));
    assert!(en.contains("http://127.0.0.1:"), "{en}");
    assert_eq!(chinese_in(&en), None, "{en}");
    let zh = serve_says(None);
    assert!(zh.contains("http://127.0.0.1:"), "{zh}");
    assert!(zh.chars().any(is_cjk), "said in Chinese: {zh}");
    assert_eq!(english_in(&zh), None, "{zh}");
}

/// A printer that refuses the connection: said in the user's language; the
/// system's own words (English) go to the log only.
#[test]
fn a_printer_that_refuses_the_connection() {
    let dir = station_with_appeals();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let target = format!("tcp://127.0.0.1:{port}");
    let (en, zh) = both(
        dir.path(),
        &["print", "test", "--printer", &target],
        "the printer refused the connection",
        "打印机拒绝连接",
    );
    assert_ne!(en, Some(0));
    assert_ne!(zh, Some(0));
    let log = fs::read_to_string(dir.path().join("jiedai.log")).unwrap_or_default();
    assert!(log.contains("os error"), "the detail is in the log:\n{log}");
}

/// A county database that cannot be opened: said in the user's language;
/// the database's own words go to the log.
#[test]
fn a_county_database_that_cannot_be_opened() {
    let tmp = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/no-such-dir/county.db", path(tmp.path()));
    let (en, zh) = both(
        tmp.path(),
        &["county", "--db", &db, "serve", "--listen", "127.0.0.1:0"],
        "the county database failed",
        "县里的数据库出错",
    );
    assert_ne!(en, Some(0));
    assert_ne!(zh, Some(0));
    let log = fs::read_to_string(tmp.path().join("jiedai.log")).unwrap_or_default();
    assert!(
        log.contains("unable to open database file"),
        "the detail is in the log:\n{log}"
    );
}

/// `demo` where no temporary directory can be made: said in the user's
/// language.
#[test]
fn a_demo_without_a_temporary_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("no-such-dir");
    let run = |lang: &[&str]| {
        let out = bin()
            .env("TMPDIR", &missing)
            .args(lang)
            .arg("demo")
            .stdin(std::process::Stdio::null())
            .output()
            .unwrap();
        assert_ne!(out.status.code(), Some(0));
        printed(&out)
    };
    let en = run(&["--lang", "en"]);
    assert!(en.contains("temporary directory"), "{en}");
    assert_eq!(chinese_in(&en), None, "{en}");
    let zh = run(&[]);
    assert!(zh.contains("临时目录"), "{zh}");
    assert_eq!(english_in(&zh), None, "{zh}");
}
