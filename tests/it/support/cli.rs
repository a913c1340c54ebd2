//! Running the real `jiedai` binary on temporary data directories set up
//! from sample-data/, for the tests that drive it from the command line.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use tempfile::TempDir;

/// A file of sample-data/.
pub fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("sample-data")
        .join(name)
}

/// The binary under test, on a machine whose clock zone is UTC: the
/// station's zone is configuration, never the machine's.
pub fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_jiedai"));
    c.env("TZ", "UTC");
    c
}

/// The binary with its clock fixed at `now` (RFC 3339, `JIEDAI_NOW`).
pub fn at(now: &str, dir: &Path, args: &[&str]) -> Output {
    bin()
        .env("JIEDAI_NOW", now)
        .arg("--data")
        .arg(dir)
        .args(args)
        .output()
        .expect("the binary runs")
}

/// Runs the binary on a data directory.
pub fn jiedai(dir: &Path, args: &[&str]) -> Output {
    bin()
        .arg("--data")
        .arg(dir)
        .args(args)
        .output()
        .expect("the binary runs")
}

pub fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Runs and asserts the exit status, showing the output when it differs.
pub fn expect(dir: &Path, args: &[&str], status: i32) -> Output {
    let out = jiedai(dir, args);
    assert_eq!(
        out.status.code(),
        Some(status),
        "jiedai {args:?}\nstdout:\n{}\nstderr:\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    out
}

pub fn path(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// A data directory with the sample station and (optionally) its deputies.
pub fn station(with_deputies: bool) -> TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    expect(
        dir.path(),
        &["init", "--station", path(&sample("station.toml"))],
        0,
    );
    if with_deputies {
        expect(
            dir.path(),
            &["import", "deputies", path(&sample("deputies.csv"))],
            0,
        );
    }
    dir
}

pub fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).expect("write");
    p
}

pub fn appeal_count(dir: &Path) -> usize {
    let out = expect(dir, &["find", "", "--json"], 0);
    text(&out.stdout).lines().count()
}

pub fn export(dir: &Path, format: &str) -> String {
    text(&expect(dir, &["export", "appeals", "--format", format], 0).stdout)
}

/// What a run printed, standard output then standard error.
pub fn printed(out: &Output) -> String {
    format!("{}{}", text(&out.stdout), text(&out.stderr))
}
