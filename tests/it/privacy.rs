//! Privacy at rest, through the real binary: the data directory and every
//! file in it are private to the account that runs the kiosk, an existing
//! installation is tightened when it is opened, and staff PINs are kept
//! only as salted slow hashes (never the PIN), yet still let staff sign in.

use crate::support::cli;
use crate::support::desk::Desk;
use crate::support::pty;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use cli::printed;
use pty::{Key, Pty, SIZE_80X24};

const T: Duration = Duration::from_secs(15);

/// The sample station with its deputies and appeals, set up in the
/// environment the kiosk gets.
fn station() -> Desk {
    let st = Desk::empty();
    let out = st.run(&["init", "--station", "sample-data/station.toml"]);
    assert!(out.status.success(), "{}", printed(&out));
    let out = st.run(&["import", "deputies", "sample-data/deputies.csv"]);
    assert!(out.status.success(), "{}", printed(&out));
    let out = st.run(&["import", "appeals", "sample-data/appeals.csv"]);
    assert!(out.status.success(), "{}", printed(&out));
    st
}

/// At the sign-in screen on `data`, 许文博 (the second person) gives the
/// `wrong` PIN, which is refused, and then the `right` one, which lets
/// him in.
fn wrong_then_right_pin(data: &Path, home: &Path, wrong: &str, right: &str) {
    let p = Pty::spawn(&["--data", cli::path(data)], SIZE_80X24, home);
    p.wait_for("许文博", T).unwrap();
    p.key(Key::Down);
    p.key(Key::Enter);
    p.wait_for("PIN", T).unwrap();
    p.send(wrong);
    p.key(Key::Enter);
    p.wait_for("PIN 不正确", T).unwrap();
    p.send(right);
    p.key(Key::Enter);
    p.wait_for("今日值班代表", T).unwrap();
}

/// Every path under `dir` (itself included) with its permission bits.
fn modes(dir: &Path) -> Vec<(PathBuf, u32)> {
    let mut out = vec![(
        dir.to_path_buf(),
        fs::metadata(dir).unwrap().permissions().mode() & 0o777,
    )];
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let meta = fs::symlink_metadata(&path).unwrap();
        if meta.is_dir() {
            out.extend(modes(&path));
        } else {
            out.push((path, meta.permissions().mode() & 0o777));
        }
    }
    out
}

fn assert_private(dir: &Path) {
    let mut files = 0;
    for (path, mode) in modes(dir) {
        let want = if path.is_dir() { 0o700 } else { 0o600 };
        assert_eq!(mode, want, "{} is {mode:o}", path.display());
        files += 1;
    }
    assert!(files > 5, "the data directory holds its files");
}

fn open_up(dir: &Path) {
    for (path, _) in modes(dir) {
        let mode = if path.is_dir() { 0o755 } else { 0o644 };
        fs::set_permissions(&path, fs::Permissions::from_mode(mode)).unwrap();
    }
}

#[test]
fn a_new_station_is_private_to_its_account() {
    let st = station();
    // The catalog cache and the log are written by the kiosk's readers too.
    let out = st.run(&["find", "路灯"]);
    assert!(out.status.success(), "{}", printed(&out));
    assert_private(&st.data);
}

#[test]
fn an_existing_installation_is_tightened_when_opened() {
    let st = station();
    open_up(&st.data);
    let out = st.run(&["find", "路灯"]);
    assert!(out.status.success(), "{}", printed(&out));
    assert_private(&st.data);
    let log = fs::read_to_string(st.data.join("jiedai.log")).unwrap();
    assert!(
        log.contains("0700") && log.contains("0600"),
        "the tightening is logged: {log}"
    );
}

/// Every byte the station keeps, from every file in the data directory.
fn all_bytes(dir: &Path) -> Vec<u8> {
    let mut bytes = Vec::new();
    for (path, _) in modes(dir) {
        if path.is_file() {
            bytes.extend(fs::read(&path).unwrap());
        }
    }
    bytes
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn a_staff_pin_is_kept_only_as_a_salted_hash_and_still_signs_in() {
    let st = station();
    // sample-data/station.toml gives 许文博 the PIN 2468.
    let kept = all_bytes(&st.data);
    // As a value (quoted): bare digits turn up by chance in timestamps'
    // fractions of a second and in the database's binary pages.
    assert!(!contains(&kept, br#""2468""#), "the PIN is stored in the clear");
    assert!(!contains(&kept, br#""pin":"#), "a pin field is stored");
    assert!(contains(&kept, b"$argon2id$"), "a slow hash is stored");

    // The hash stays on the terminal, outside the journal whose events go
    // to the county.
    let pins = st.data.join("staff-pins.json");
    assert!(
        !contains(&fs::read(st.data.join("journal")).unwrap(), b"$argon2"),
        "the journal holds a PIN hash"
    );
    // A second set-up of the same station salts afresh.
    let hashes = |bytes: &[u8]| {
        String::from_utf8_lossy(bytes)
            .match_indices("$argon2id$")
            .map(|(i, _)| String::from_utf8_lossy(&bytes[i..i + 90]).into_owned())
            .collect::<Vec<_>>()
    };
    let first = hashes(&fs::read(&pins).unwrap());
    assert_eq!(first.len(), 1, "one PIN in sample-data/station.toml");
    let out = st.run(&["init", "--station", "sample-data/station.toml", "--reconfigure"]);
    assert!(out.status.success(), "{}", printed(&out));
    let again = hashes(&fs::read(&pins).unwrap());
    assert_eq!(again.len(), 1);
    assert_ne!(again[0], first[0], "the salt is not reused");
    assert!(!contains(&fs::read(st.data.join("journal")).unwrap(), b"$argon2"));

    // Signing in: a wrong PIN is refused, the right one lets 许文博 in.
    wrong_then_right_pin(&st.data, &st.home, "1357", "2468");
}

/// A four-digit PIN cannot resist offline guessing, so a PIN may be a
/// passphrase: 4 to 64 characters, spaces inside allowed. Outside those
/// limits `init` says so and sets nothing up.
#[test]
fn a_pin_may_be_a_passphrase_of_up_to_64_characters() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let home = tmp.path().join("home");
    fs::create_dir_all(&home).unwrap();
    let sample = fs::read_to_string("sample-data/station.toml").unwrap();
    let with_pin = |pin: &str| {
        let file = tmp.path().join("station.toml");
        fs::write(
            &file,
            sample.replace("pin = \"2468\"", &format!("pin = \"{pin}\"")),
        )
        .unwrap();
        file
    };
    let init = |file: &Path| {
        Command::new(pty::bin())
            .arg("--data")
            .arg(&data)
            .args(["init", "--station"])
            .arg(file)
            .envs(pty::child_env(&home))
            .output()
            .unwrap()
    };
    for refused in ["246", &"7".repeat(65)] {
        let out = init(&with_pin(refused));
        assert!(!out.status.success(), "{refused}: {}", printed(&out));
        assert!(
            printed(&out).contains("PIN 应为 4 到 64 个字符"),
            "{refused}: {}",
            printed(&out)
        );
        assert!(!data.join("journal").exists(), "nothing set up");
    }
    let passphrase = "liu-an 2468 qinghe river 1357";
    let out = init(&with_pin(passphrase));
    assert!(out.status.success(), "{}", printed(&out));
    let kept = all_bytes(&data);
    assert!(
        !contains(&kept, passphrase.as_bytes()),
        "the PIN is stored in the clear"
    );

    wrong_then_right_pin(&data, &home, &passphrase[..passphrase.len() - 1], passphrase);
}

/// A journal written before PIN hashes were kept outside it (its station
/// event holds them, and no staff-pins.json exists) still signs staff in
/// with their PINs.
#[test]
fn an_older_journal_with_pin_hashes_in_its_station_event_still_signs_in() {
    use jiedai::domain::EventBody;
    use jiedai::domain::station::hash_pin;
    let st = Desk::empty();
    let (data, home) = (&st.data, &st.home);
    let out = st.run(&["init", "--station", "sample-data/station.toml"]);
    assert!(out.status.success(), "{}", printed(&out));
    // What an earlier version wrote: the hash in the station event itself.
    fs::remove_file(data.join("staff-pins.json")).unwrap();
    {
        let mut store = jiedai::storage::Store::open(data).unwrap();
        let mut station = store.station().unwrap().unwrap();
        assert!(!station.staff.iter().any(|s| s.has_pin()), "no PIN left");
        station.staff[1].pin_hash = Some(hash_pin("8642", &[7; 16]).unwrap());
        store
            .commit("init", vec![EventBody::StationConfigured { station }])
            .unwrap();
    }
    wrong_then_right_pin(data, home, "2468", "8642");
}
