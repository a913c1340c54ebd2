//! A disk that fills up mid-import and mid-save, on a small tmpfs the test
//! mounts itself (the test runs as root, as CI does): every acknowledged
//! appeal is there after space is freed, what the command reported matches
//! what was saved, and following its advice duplicates nothing.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use jiedai::domain::EventBody;
use jiedai::storage::{Store, StoreError};

use common::*;

/// A tmpfs of `size` mounted under a temporary directory, unmounted on drop.
struct SmallDisk {
    _turn: std::sync::MutexGuard<'static, ()>,
    _tmp: tempfile::TempDir,
    mount: PathBuf,
}

/// One small disk at a time: each test measures free space on its own.
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

impl SmallDisk {
    fn new(size: &str) -> SmallDisk {
        let turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
        let tmp = tempfile::tempdir().unwrap();
        let mount = tmp.path().join("disk");
        fs::create_dir(&mount).unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(&mount)
            .output()
            .expect("mount");
        assert!(
            out.status.success(),
            "this test mounts a small tmpfs and needs root: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        SmallDisk {
            _turn: turn,
            _tmp: tmp,
            mount,
        }
    }

    /// Fills the disk, leaving about `left` bytes free; returns the filler.
    fn fill(&self, left: u64) -> PathBuf {
        let filler = self.mount.join("filler");
        let free = free_bytes(&self.mount);
        fs::write(&filler, vec![0x55u8; free.saturating_sub(left) as usize]).unwrap();
        filler
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.mount).status();
    }
}

fn free_bytes(path: &Path) -> u64 {
    let out = Command::new("df")
        .args(["-B1", "--output=avail"])
        .arg(path)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .nth(1)
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

fn jiedai(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_jiedai"))
        .arg("--data")
        .arg(dir)
        .args(args)
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Content of every appeal, counted (a duplicate shows as a count of 2).
fn contents(dir: &Path) -> BTreeMap<String, usize> {
    let out = jiedai(dir, &["export", "appeals", "--format", "jsonl"]);
    assert!(out.status.success(), "{}", text(&out));
    let mut counts = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        *counts
            .entry(v["content"].as_str().unwrap().to_string())
            .or_insert(0) += 1;
    }
    counts
}

#[test]
fn an_import_that_fills_the_disk_says_what_was_saved_and_a_retry_duplicates_nothing() {
    let disk = SmallDisk::new("64m");
    let dir = disk.mount.join("station");
    let station = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-data/station.toml");
    let out = jiedai(&dir, &["init", "--station", station.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    // 3,000 rows of some 600 bytes each: far more than the disk holds.
    let rows = 3000;
    let mut csv = String::from("日期,诉求内容\n");
    for i in 0..rows {
        csv.push_str(&format!(
            "2026-11-10,第{i:04}号：小区门口的路灯坏了很久，晚上出行不便{}\n",
            "，请尽快修理".repeat(25)
        ));
    }
    let file = disk._tmp.path().join("appeals.csv");
    fs::write(&file, csv).unwrap();
    let filler = disk.fill(1024 * 1024);

    let out = jiedai(
        &dir,
        &["--lang", "en", "import", "appeals", file.to_str().unwrap()],
    );
    let said = text(&out);
    assert_ne!(out.status.code(), Some(0), "{said}");
    assert!(said.contains("disk full"), "{said}");
    assert!(
        said.contains(disk.mount.to_str().unwrap()),
        "the full disk is named: {said}"
    );
    assert!(!said.contains("--rebuild"), "{said}");
    let saved: usize = said
        .split("import stopped: ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count of saved rows: {said}"));
    assert!(saved > 0 && saved < rows, "{said}");
    let next_line = saved + 2;
    assert!(said.contains(&format!("--from-line {next_line}")), "{said}");

    fs::remove_file(filler).unwrap();
    let counts = contents(&dir);
    assert_eq!(counts.len(), saved, "what was reported saved is what is there");
    let out = jiedai(&dir, &["check"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    // The advice: import from the first line not saved.
    let out = jiedai(
        &dir,
        &[
            "import",
            "appeals",
            file.to_str().unwrap(),
            "--from-line",
            &next_line.to_string(),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let counts = contents(&dir);
    assert_eq!(counts.len(), rows);
    assert!(counts.values().all(|&n| n == 1), "an appeal was imported twice");
}

#[test]
fn a_save_on_a_full_disk_is_either_saved_or_not_and_saving_then_stops() {
    let disk = SmallDisk::new("2m");
    let dir = disk.mount.join("station");
    let mut store = new_store(&dir, 1);
    let filler = disk.fill(64 * 1024);
    let mut saved = Vec::new();
    let mut refused = None;
    for i in 0..2000 {
        let code = match store.next_codes(day(), 1) {
            Ok(mut c) => c.remove(0),
            Err(e) => {
                refused = Some(e);
                break;
            }
        };
        let mut a = appeal(&code, None, i, &[]);
        a.content = "路灯".repeat(400);
        match store.commit_at(
            "s1",
            at(i as u32),
            vec![EventBody::AppealRegistered { appeal: a }],
        ) {
            Ok(_) => saved.push(code),
            Err(e) => {
                refused = Some(e);
                break;
            }
        }
    }
    let refused = refused.expect("the disk never filled");
    assert!(
        refused.disk_full() || matches!(refused, StoreError::Stopped { .. }),
        "{refused:?}"
    );
    // Once a write failed, nothing more is saved, even with space again.
    fs::remove_file(&filler).unwrap();
    let code = store.next_codes(day(), 1).unwrap().remove(0);
    let again = store.commit_at(
        "s1",
        at(3000),
        vec![EventBody::AppealRegistered {
            appeal: appeal(&code, None, 3000, &[]),
        }],
    );
    assert!(matches!(again, Err(StoreError::Stopped { .. })), "{again:?}");
    drop(store);
    // After a restart every saved appeal is there, and nothing else.
    let store = Store::open(&dir).unwrap();
    let rows = store.catalog_rows().unwrap();
    assert_eq!(rows.len(), saved.len());
    for code in &saved {
        assert!(store.appeal(code.as_str()).unwrap().is_some(), "{code} lost");
    }
    drop(store);
    assert_eq!(jiedai(&dir, &["check"]).status.code(), Some(0));
}
