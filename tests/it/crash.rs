//! The crash test: a child process saving appeals is killed with SIGKILL
//! at random moments, many times over the same data directory; every appeal
//! it reported saved is there afterwards, nothing is duplicated, and
//! `jiedai check` passes.
//!
//! As in sled's own crash test, this test binary runs itself as the child:
//! `child_saver` does nothing unless JIEDAI_CRASH_CHILD names a data
//! directory, in which case it saves until it is killed and prints
//! `@@saved <code>` only after the store's writer thread reported it saved.

use crate::common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use chrono::Days;

use chrono::TimeZone;
use jiedai::domain::desk::Registration;
use jiedai::domain::{EventBody, TrackingCode};
use jiedai::i18n::Lang;
use jiedai::storage::{self, Request, Store, Writer};

use common::*;

const CHILD_DIR: &str = "JIEDAI_CRASH_CHILD";
const CHILD_SEED: &str = "JIEDAI_CRASH_SEED";
const CHILD_DAY: &str = "JIEDAI_CRASH_DAY";
const MARK: &str = "@@";
const KILLS: u64 = 200;

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    // Own line: libtest may have printed "test child_saver ... " before.
    writeln!(out, "\n{MARK}{line}").unwrap();
    out.flush().unwrap();
}

/// The child: saves visits and appeals (and now and then a step on an
/// earlier appeal) until it is killed.
#[test]
fn child_saver() {
    let Ok(dir) = std::env::var(CHILD_DIR) else {
        return;
    };
    let seed: u64 = std::env::var(CHILD_SEED).unwrap().parse().unwrap();
    let date = day() + Days::new(std::env::var(CHILD_DAY).unwrap().parse().unwrap());
    let mut rng = Lcg::new(seed);
    let store = Store::open(Path::new(&dir)).unwrap();
    let reader = store.reader();
    let mut codes: Vec<TrackingCode> = reader
        .catalog_rows()
        .unwrap()
        .iter()
        .map(|r| r.code.parse().unwrap())
        .collect();
    // Saves go through the writer thread, as the kiosk's do.
    let (writer, _thread) = Writer::spawn(store).unwrap();
    let at = tz()
        .from_local_datetime(&date.and_hms_opt(10, 0, 0).unwrap())
        .unwrap();
    say("ready");
    for i in 0.. {
        let who = deputy((seed as usize + i) % 3);
        let registration = Registration {
            visitor: visitor(i),
            group_size: 1,
            deputies: vec![deputy_ref(&who)],
            appeals: vec![new_appeal(i)],
        };
        let saved = writer
            .save(Request::Register {
                actor: "s1".into(),
                at,
                registration,
            })
            .unwrap_or_else(|e| panic!("{}", e.message(Lang::En)));
        let code = saved
            .events
            .iter()
            .find_map(|e| match &e.body {
                EventBody::AppealRegistered { appeal } => Some(appeal.code.clone()),
                _ => None,
            })
            .unwrap();
        say(&format!("saved {code}"));
        codes.push(code);
        if rng.chance(50) {
            let code = rng.pick(&codes).clone();
            let status = reader.appeal(code.as_str()).unwrap().unwrap().status;
            let step = legal_step(&mut rng, status);
            writer
                .save(Request::Commit {
                    actor: "s1".into(),
                    at: chrono::Local::now().fixed_offset(),
                    changes: vec![EventBody::AppealStepped {
                        code: code.clone(),
                        step,
                        // Reopening needs a note; the others take one too.
                        note: "测试备注".into(),
                    }],
                })
                .unwrap_or_else(|e| panic!("{}", e.message(Lang::En)));
            let history = reader.appeal(code.as_str()).unwrap().unwrap().history.len();
            say(&format!("stepped {code} {history}"));
        }
    }
}

/// One run of the child: spawned, killed after `delay` (counted from its
/// start, or from the moment its store is open), its reports collected.
fn run_child(dir: &Path, seed: u64, date_offset: u64, delay: Duration, after_ready: bool) -> Vec<String> {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["crash::child_saver", "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_DIR, dir)
        .env(CHILD_SEED, seed.to_string())
        .env(CHILD_DAY, date_offset.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(i) = line.find(MARK) {
                let _ = tx.send(line[i + MARK.len()..].to_string());
            }
        }
    });
    let start = Instant::now();
    let mut lines = Vec::new();
    if after_ready {
        loop {
            match rx.recv_timeout(Duration::from_secs(10)) {
                Ok(l) if l == "ready" => break,
                Ok(l) => lines.push(l),
                Err(e) => panic!("child never opened its store: {e}"),
            }
        }
    }
    let deadline = if after_ready { Instant::now() } else { start } + delay;
    std::thread::sleep(deadline.saturating_duration_since(Instant::now()));
    // On Unix this is SIGKILL.
    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert!(!status.success(), "the child ended by itself: {status}");
    reader.join().unwrap();
    lines.extend(rx.try_iter());
    lines
}

/// How many kills left a database sled could not read back.
static REBUILT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Opens the store after a kill. sled 0.34 can, rarely, find its own pages
/// corrupted after a SIGKILL; the database is derived, the journal holds
/// every saved change, and the recovery the README gives for it is
/// `jiedai check --rebuild`: the test does the same, counts it, and then
/// checks everything against what the child reported saved.
fn open_readable(dir: &Path) -> Store {
    let readable = |store: &Store| -> Result<(), storage::StoreError> {
        store.catalog_rows()?;
        store.for_each_appeal(|_| Ok(()))
    };
    match Store::open(dir).and_then(|s| readable(&s).map(|_| s)) {
        Ok(store) => store,
        Err(e @ storage::StoreError::Database { .. }) => {
            eprintln!("after a kill the database could not be read ({e}); rebuilding it from the journal");
            REBUILT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            storage::rebuild(dir).unwrap();
            Store::open(dir).unwrap()
        }
        Err(e) => panic!("{e}"),
    }
}

/// Opens the store after a kill and checks that every saved appeal is
/// there, none twice, and every reported step is in its history. Returns
/// whether opening had to replay journal records the database lacked.
fn verify(dir: &Path, saved: &BTreeSet<String>, stepped: &BTreeMap<String, usize>) -> bool {
    let store = open_readable(dir);
    let replayed = store.recovery.iter().any(|l| l.to_string().contains("replayed"));
    let rows = store.catalog_rows().unwrap();
    let codes: Vec<&str> = rows.iter().map(|r| r.code.as_str()).collect();
    let unique: BTreeSet<&str> = codes.iter().copied().collect();
    assert_eq!(unique.len(), codes.len(), "a code appears twice in the catalog");
    let mut events = BTreeSet::new();
    let mut appeals = 0;
    store
        .for_each_appeal(|a| {
            appeals += 1;
            for h in &a.history {
                assert!(
                    events.insert(h.event.clone()),
                    "event {:?} applied twice",
                    h.event
                );
            }
            let visit = store
                .visit(a.visit.as_ref().unwrap().as_str())?
                .expect("its visit");
            assert_eq!(visit.appeals, vec![a.code.clone()]);
            Ok(())
        })
        .unwrap();
    assert_eq!(appeals, codes.len(), "catalog and appeals disagree");
    for code in saved {
        assert!(
            store.appeal(code).unwrap().is_some(),
            "saved appeal {code} is gone"
        );
        assert!(
            unique.contains(code.as_str()),
            "saved appeal {code} is not in the catalog"
        );
    }
    for (code, history) in stepped {
        let a = store.appeal(code).unwrap().unwrap();
        assert!(
            a.history.len() >= *history,
            "{code}: a reported step is gone ({} < {history})",
            a.history.len()
        );
    }
    // Each status index entry names a stored appeal in that status.
    for status in jiedai::domain::Status::ALL {
        for code in store.codes_with_status(*status).unwrap() {
            assert_eq!(store.appeal(&code).unwrap().unwrap().status, *status);
        }
    }
    replayed
}

#[test]
fn killed_savers_lose_nothing_they_reported() {
    let started = Instant::now();
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    drop(new_store(dir, 3));

    let mut saved = BTreeSet::new();
    let mut stepped = BTreeMap::new();
    let mut killed_before_ready = 0;
    // Kills after which the database was behind the journal.
    let mut caught_up = 0;
    for iteration in 0..KILLS {
        let mut rng = Lcg::new(1000 + iteration);
        let delay = Duration::from_millis(rng.below(101) as u64);
        // Every third child is killed counting from its start, so that
        // some die while opening the store and replaying; the rest die
        // while saving.
        let after_ready = iteration % 3 != 0;
        let lines = run_child(dir, 7 * iteration + 1, iteration / 50, delay, after_ready);
        if !lines.iter().any(|l| l == "ready") && !after_ready {
            killed_before_ready += 1;
        }
        for line in &lines {
            let mut words = line.split_whitespace();
            match (words.next(), words.next(), words.next()) {
                (Some("saved"), Some(code), None) => {
                    assert!(saved.insert(code.to_string()), "code {code} reported saved twice");
                }
                (Some("stepped"), Some(code), Some(n)) => {
                    let n: usize = n.parse().unwrap();
                    let e = stepped.entry(code.to_string()).or_insert(0);
                    *e = n.max(*e);
                }
                (Some("ready"), None, None) => {}
                _ => panic!("unexpected line from the child: {line:?}"),
            }
        }
        if verify(dir, &saved, &stepped) {
            caught_up += 1;
        }
        if iteration % 40 == 39 {
            let report = storage::check(dir).unwrap();
            assert!(report.ok(), "after kill {iteration}: {:#?}", report.problems);
        }
    }
    assert!(saved.len() >= 100, "only {} appeals were saved", saved.len());
    assert!(!stepped.is_empty());

    let report = storage::check(dir).unwrap();
    assert!(report.ok(), "{:#?}", report.problems);
    assert!(report.appeals >= saved.len());
    let out = Command::new(env!("CARGO_BIN_EXE_jiedai"))
        .args(["check", "--data"])
        .arg(dir)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "jiedai check failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!(
        "{KILLS} kills ({killed_before_ready} before the store was open, {caught_up} left the \
         database behind the journal, {} left it unreadable to sled and rebuilt from the \
         journal), {} appeals reported saved, {} in the store, {} torn \
         tails set aside, {:.1?}",
        REBUILT.load(std::sync::atomic::Ordering::Relaxed),
        saved.len(),
        report.appeals,
        std::fs::read_dir(dir)
            .unwrap()
            .filter(|e| e
                .as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with("journal.torn-"))
            .count(),
        started.elapsed()
    );
}
