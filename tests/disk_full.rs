#![cfg(feature = "county")]
//! A disk that fills up mid-import and mid-save, on a small tmpfs the test
//! mounts itself (or, where it may not mount, under a file-size limit, as
//! `ulimit -f` sets): every acknowledged
//! appeal is there after space is freed, what the command reported matches
//! what was saved, and following its advice duplicates nothing.

#[path = "it/support/cli.rs"]
mod cli;
#[path = "it/common/mod.rs"]
mod common;
#[path = "it/support/county.rs"]
mod county;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use jiedai::domain::EventBody;
use jiedai::storage::{Store, StoreError};

use cli::{jiedai, printed};
use common::*;

/// A disk that can be filled: a tmpfs of the given size that the test
/// mounts (it needs root, as CI has), or, where mounting is not allowed, a
/// file-size limit (`ulimit -f`) on the processes that write, which fails
/// writes the same way a full disk does.
struct SmallDisk {
    _turn: std::sync::MutexGuard<'static, ()>,
    _tmp: tempfile::TempDir,
    /// Where the station goes (the tmpfs, or a plain directory).
    mount: PathBuf,
    tmpfs: bool,
    filler: std::cell::RefCell<Option<PathBuf>>,
    /// The file-size limit in force, without a tmpfs.
    limit: std::cell::Cell<Option<u64>>,
}

/// One small disk at a time: each test measures free space on its own (and
/// a file-size limit applies to the whole test process).
static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

impl SmallDisk {
    fn new(size: &str) -> SmallDisk {
        let turn = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
        let tmp = tempfile::tempdir().unwrap();
        let mount = tmp.path().join("disk");
        fs::create_dir(&mount).unwrap();
        let mounted = std::env::var_os("JIEDAI_TEST_NO_MOUNT").is_none()
            && Command::new("mount")
                .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
                .arg(&mount)
                .output()
                .is_ok_and(|o| o.status.success());
        if !mounted {
            eprintln!("disk_full: cannot mount a tmpfs here; using a file-size limit instead");
        }
        SmallDisk {
            _turn: turn,
            _tmp: tmp,
            mount,
            tmpfs: mounted,
            filler: Default::default(),
            limit: Default::default(),
        }
    }

    /// Leaves about `left` bytes of room: fills the tmpfs, or limits every
    /// file to what the largest one holds now plus `left`.
    fn fill(&self, left: u64) {
        if self.tmpfs {
            let filler = self.mount.join("filler");
            let free = free_bytes(&self.mount);
            fs::write(&filler, vec![0x55u8; free.saturating_sub(left) as usize]).unwrap();
            *self.filler.borrow_mut() = Some(filler);
        } else {
            self.limit.set(Some(largest_file(&self.mount) + left));
        }
    }

    /// Frees the room again.
    fn free(&self) {
        if let Some(filler) = self.filler.borrow_mut().take() {
            fs::remove_file(filler).unwrap();
        }
        self.limit.set(None);
        limit_file_size(None);
    }

    /// Applies the limit to this test process (for a store used in it).
    fn limit_here(&self) {
        limit_file_size(self.limit.get());
    }

    /// The sample station set up on this disk; its data directory.
    fn station(&self) -> PathBuf {
        let dir = self.mount.join("station");
        let station = cli::sample("station.toml");
        let out = jiedai(&dir, &["init", "--station", station.to_str().unwrap()]);
        assert!(out.status.success(), "{}", printed(&out));
        dir
    }

    /// A CSV file of `rows` appeals of some 600 bytes each, off this disk.
    fn long_appeals(&self, rows: usize) -> PathBuf {
        let mut csv = String::from("日期,诉求内容\n");
        for i in 0..rows {
            csv.push_str(&format!(
                "2026-11-10,第{i:04}号：小区门口的路灯坏了很久，晚上出行不便{}\n",
                "，请尽快修理".repeat(25)
            ));
        }
        let file = self._tmp.path().join("appeals.csv");
        fs::write(&file, csv).unwrap();
        file
    }

    /// Runs the binary under the disk's conditions.
    fn run(&self, dir: &Path, args: &[&str]) -> Output {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_jiedai"));
        cmd.arg("--data").arg(dir).args(args);
        if let Some(limit) = self.limit.get() {
            use std::os::unix::process::CommandExt;
            // SAFETY: only async-signal-safe calls between fork and exec.
            unsafe {
                cmd.pre_exec(move || {
                    limit_file_size(Some(limit));
                    Ok(())
                });
            }
        }
        cmd.output().unwrap()
    }
}

/// Sets (or lifts) the soft file-size limit of this process and ignores
/// SIGXFSZ, so that a write past it fails with EFBIG instead of killing.
fn limit_file_size(limit: Option<u64>) {
    // SAFETY: getrlimit/setrlimit/signal with valid arguments.
    unsafe {
        let mut r = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        libc::getrlimit(libc::RLIMIT_FSIZE, &mut r);
        r.rlim_cur = limit.map_or(r.rlim_max, |l| l.min(r.rlim_max));
        libc::setrlimit(libc::RLIMIT_FSIZE, &r);
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
}

fn largest_file(dir: &Path) -> u64 {
    let mut largest = 0;
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let meta = fs::metadata(&path).unwrap();
        largest = largest.max(if meta.is_dir() {
            largest_file(&path)
        } else {
            meta.len()
        });
    }
    largest
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        limit_file_size(None);
        if self.tmpfs {
            let _ = Command::new("umount").arg("-l").arg(&self.mount).status();
        }
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

/// Content of every appeal, counted (a duplicate shows as a count of 2).
fn contents(dir: &Path) -> BTreeMap<String, usize> {
    let out = jiedai(dir, &["export", "appeals", "--format", "jsonl"]);
    assert!(out.status.success(), "{}", printed(&out));
    let mut counts = BTreeMap::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        *counts
            .entry(v["content"].as_str().unwrap().to_string())
            .or_insert(0) += 1;
    }
    counts
}

/// Imports `file` from its line `line` on, as the advice after a full
/// disk says; every appeal is then there once. Their contents, counted.
fn import_from_line(dir: &Path, file: &Path, line: usize) -> BTreeMap<String, usize> {
    let out = jiedai(
        dir,
        &[
            "import",
            "appeals",
            file.to_str().unwrap(),
            "--from-line",
            &line.to_string(),
        ],
    );
    assert!(out.status.success(), "{}", printed(&out));
    let counts = contents(dir);
    assert!(counts.values().all(|&n| n == 1), "an appeal was imported twice");
    counts
}

#[test]
fn an_import_that_fills_the_disk_says_what_was_saved_and_a_retry_duplicates_nothing() {
    let disk = SmallDisk::new("64m");
    let dir = disk.station();
    // 3,000 rows of some 600 bytes each: far more than the disk holds.
    let rows = 3000;
    let file = disk.long_appeals(rows);
    disk.fill(1024 * 1024);

    let out = disk.run(
        &dir,
        &["--lang", "en", "import", "appeals", file.to_str().unwrap()],
    );
    let said = printed(&out);
    assert_ne!(out.status.code(), Some(0), "{said}");
    let named = if disk.tmpfs {
        "disk full"
    } else {
        "file size limit reached"
    };
    assert!(said.contains(named), "{said}");
    assert!(
        said.contains(dir.to_str().unwrap()) && (!disk.tmpfs || said.contains(disk.mount.to_str().unwrap())),
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

    disk.free();
    let counts = contents(&dir);
    assert_eq!(counts.len(), saved, "what was reported saved is what is there");
    let out = jiedai(&dir, &["check"]);
    assert_eq!(out.status.code(), Some(0), "{}", printed(&out));

    // The advice: import from the first line not saved.
    let counts = import_from_line(&dir, &file, next_line);
    assert_eq!(counts.len(), rows);
}

#[test]
fn a_save_on_a_full_disk_is_either_saved_or_not_and_saving_then_stops() {
    let disk = SmallDisk::new("2m");
    let dir = disk.mount.join("station");
    let mut store = new_store(&dir, 1);
    disk.fill(64 * 1024);
    disk.limit_here();
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
    disk.free();
    match store.next_codes(day(), 1) {
        // sled keeps the write error its background flush met, and says
        // so on every later call: nothing is saved either way.
        Err(e) => assert!(e.disk_full(), "{e:?}"),
        Ok(mut codes) => {
            let code = codes.remove(0);
            let again = store.commit_at(
                "s1",
                at(3000),
                vec![EventBody::AppealRegistered {
                    appeal: appeal(&code, None, 3000, &[]),
                }],
            );
            assert!(matches!(again, Err(StoreError::Stopped { .. })), "{again:?}");
        }
    }
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

/// Every file under `dir` (db/ too) with its bytes.
fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(files(&path));
        } else {
            out.insert(path.clone(), fs::read(&path).unwrap());
        }
    }
    out
}

/// `what`, run on a full disk with output `out`, left every file of
/// `before` as it was (but those `may_change` lets through) and added or
/// removed none.
fn assert_same_files(
    before: &BTreeMap<PathBuf, Vec<u8>>,
    after: &BTreeMap<PathBuf, Vec<u8>>,
    may_change: impl Fn(&Path) -> bool,
    what: &str,
    out: &Output,
) {
    for (path, bytes) in before {
        if may_change(path) {
            continue;
        }
        assert!(
            after.get(path) == Some(bytes),
            "{what} changed {} on a full disk: {}",
            path.display(),
            printed(out)
        );
    }
    assert_eq!(
        after.keys().collect::<Vec<_>>(),
        before.keys().collect::<Vec<_>>(),
        "{what} left files behind or took some away: {}",
        printed(out)
    );
}

/// Finding 4: `find`, `export` and `check` started on a full disk leave the
/// directory exactly as it was (the database, the catalog cache, every
/// file), so the import's advice (free space, then `--from-line`) works.
#[test]
fn read_only_commands_on_a_full_disk_change_no_byte_and_the_advice_works() {
    let disk = SmallDisk::new("16m");
    let dir = disk.station();
    let rows = 3000;
    let file = disk.long_appeals(rows);
    // A first import and a search, with room: the cache and the database
    // are current (a clean directory).
    let first = disk._tmp.path().join("first.csv");
    fs::write(&first, "日期,诉求内容\n2026-11-09,第一条：楼道灯不亮\n").unwrap();
    assert!(
        jiedai(&dir, &["import", "appeals", first.to_str().unwrap()])
            .status
            .success()
    );
    assert!(jiedai(&dir, &["find", "楼道"]).status.success());
    disk.fill(512 * 1024);
    let out = disk.run(&dir, &["import", "appeals", file.to_str().unwrap()]);
    let said = printed(&out);
    assert_ne!(out.status.code(), Some(0), "{said}");
    let next_line: usize = said
        .split("--from-line ")
        .nth(1)
        .and_then(|s| s.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no advice: {said}"));
    // Whatever room is left is taken too.
    if disk.tmpfs {
        let rest = disk.mount.join("filler-rest");
        let _ = fs::write(&rest, vec![0u8; free_bytes(&disk.mount) as usize]);
    }
    let before = files(&dir);
    for args in [
        &["find", "路灯"][..],
        &["find", "楼道", "--json"],
        &["export", "appeals", "--format", "jsonl"],
        &["export", "appeals", "--format", "csv"],
        &["check"],
    ] {
        let out = disk.run(&dir, args);
        let what = format!("jiedai {args:?}");
        assert_same_files(&before, &files(&dir), |_| false, &what, &out);
    }
    disk.free();
    if disk.tmpfs {
        let _ = fs::remove_file(disk.mount.join("filler-rest"));
    }
    let counts = import_from_line(&dir, &file, next_line);
    assert_eq!(counts.len(), rows + 1);
    let out = jiedai(&dir, &["check"]);
    assert_eq!(out.status.code(), Some(0), "{}", printed(&out));
}

/// Finding 4: `jiedai sync` on a full disk, with events to send and
/// nothing to take, changes no byte of the directory (it reads the
/// database through a copy and writes only whole files by renaming); once
/// there is room the next sync finishes and the county holds every event.
#[test]
fn a_sync_on_a_full_disk_changes_nothing_and_the_next_one_finishes() {
    let disk = SmallDisk::new("16m");
    let county = county::County::start(None);
    let dir = disk.station();
    let rows = |from: usize, to: usize| {
        let mut csv = String::from("日期,诉求内容\n");
        for i in from..to {
            csv.push_str(&format!("2026-11-10,第{i:04}号：小区门口的路灯坏了\n"));
        }
        let file = disk._tmp.path().join(format!("rows-{from}.csv"));
        fs::write(&file, csv).unwrap();
        let out = jiedai(&dir, &["import", "appeals", file.to_str().unwrap()]);
        assert!(out.status.success(), "{}", printed(&out));
    };
    rows(0, 20);
    let creds = disk._tmp.path().join("creds.toml");
    county.enroll("330999012", "柳岸社区", &creds);
    assert!(
        jiedai(&dir, &["enroll", creds.to_str().unwrap()])
            .status
            .success()
    );
    let out = jiedai(&dir, &["sync"]);
    assert!(out.status.success(), "{}", printed(&out));
    rows(20, 25);
    disk.fill(256 * 1024);
    if disk.tmpfs {
        let _ = fs::write(
            disk.mount.join("filler-rest"),
            vec![0u8; free_bytes(&disk.mount) as usize],
        );
    }
    let before = files(&dir);
    let out = disk.run(&dir, &["sync"]);
    // Under a file-size limit (no tmpfs) small files can still be
    // written whole: the sync's own record of its attempt may change.
    let may_change = |path: &Path| !disk.tmpfs && path.ends_with("sync-position.json");
    assert_same_files(&before, &files(&dir), may_change, "sync", &out);
    disk.free();
    let _ = fs::remove_file(disk.mount.join("filler-rest"));
    let out = jiedai(&dir, &["sync"]);
    assert!(out.status.success(), "{}", printed(&out));
    let out = county.run(&["appeals", "--station", "330999012", "--json"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 25);
    assert_eq!(jiedai(&dir, &["check"]).status.code(), Some(0));
}
