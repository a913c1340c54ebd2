#![cfg(feature = "county")]
//! Stations and the county server over loopback, through the real binary:
//! end to end on both databases, through a proxy that cuts and delays,
//! across a SIGKILL of the server, and 200 stations at once.

use crate::common;
use crate::support::cli;
use crate::support::county;
use crate::support::postgres;
use crate::support::proxy;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use cli::{expect, path, sample, text};
use county::County;
use jiedai::domain::{EventBody, Station};
use jiedai::storage::{Mode, Reader, Store, Writer};
use jiedai::sync::client;
use jiedai::sync::http::Client;
use jiedai::sync::protocol::Credentials;
use postgres::Postgres;

fn pg() -> &'static Postgres {
    static PG: OnceLock<Postgres> = OnceLock::new();
    PG.get_or_init(Postgres::start)
}

/// A second station's file: the sample station under another code.
fn station_file(root: &Path, code: &str) -> PathBuf {
    let text = std::fs::read_to_string(sample("station.toml"))
        .unwrap()
        .replace("330999012", code)
        .replace("柳岸社区", "桃源社区");
    let file = root.join(format!("station-{code}.toml"));
    std::fs::write(&file, text).unwrap();
    file
}

/// A station set up through the binary, with deputies and the sample
/// appeals `from..to` (the later ones are still open).
fn station(root: &Path, code: &str, from: usize, to: usize) -> PathBuf {
    let dir = root.join(code);
    let file = station_file(root, code);
    expect(&dir, &["init", "--station", path(&file)], 0);
    expect(&dir, &["import", "deputies", path(&sample("deputies.csv"))], 0);
    import_rows(root, &dir, from, to);
    dir
}

/// Imports the sample appeals `from..to` into a station.
fn import_rows(root: &Path, dir: &Path, from: usize, to: usize) {
    let mut reader = csv::Reader::from_path(sample("appeals.csv")).unwrap();
    let csv_path = root.join(format!("appeals-{from}-{to}.csv"));
    let mut writer = csv::Writer::from_path(&csv_path).unwrap();
    writer.write_record(reader.headers().unwrap()).unwrap();
    for record in reader.records().skip(from).take(to - from) {
        writer.write_record(&record.unwrap()).unwrap();
    }
    writer.flush().unwrap();
    expect(dir, &["import", "appeals", path(&csv_path)], 0);
}

/// Per county terminal key (the terminal number, 10·(g−1)+t for a later
/// origin generation g): how many events are held and the highest
/// sequence; no sequence is held twice.
fn held_by_key(county: &County, station: &str) -> Vec<(i64, u64, u64)> {
    let (runtime, mut conn) = county.database("ro");
    runtime.block_on(async {
        use sqlx::Row;
        let rows = sqlx::query(
            "SELECT terminal, COUNT(*) AS n, COUNT(DISTINCT seq) AS d, MAX(seq) AS m FROM events WHERE station = $1 GROUP BY terminal ORDER BY terminal",
        )
        .bind(station)
        .fetch_all(&mut conn)
        .await
        .unwrap();
        rows.iter()
            .map(|row| {
                let (t, n, d, m): (i64, i64, i64, i64) = (row.get("terminal"), row.get("n"), row.get("d"), row.get("m"));
                assert_eq!(n, d, "station {station} terminal key {t}: an event is held twice");
                (t, n as u64, m as u64)
            })
            .collect()
    })
}

/// How many events of a station's terminal 1 the county holds, and the
/// highest sequence among them, read from its database.
fn held(county: &County, station: &str) -> (u64, u64) {
    held_by_key(county, station)
        .into_iter()
        .find(|(key, _, _)| *key == 1)
        .map_or((0, 0), |(_, n, m)| (n, m))
}

fn own_seq(dir: &Path) -> u64 {
    let store = Store::open_with(dir, Mode::Read, &|_, _| {}).unwrap();
    store.reader().own_seq().unwrap()
}

/// The station's appeals as its export shows them.
fn exported(dir: &Path) -> Vec<serde_json::Value> {
    let out = expect(dir, &["export", "appeals", "--format", "jsonl"], 0);
    text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn county_appeals(county: &County, station: &str) -> Vec<serde_json::Value> {
    let out = county.run(&["appeals", "--station", station, "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn field<'a>(v: &'a serde_json::Value, names: &[&str]) -> &'a str {
    names
        .iter()
        .find_map(|n| v.get(*n).and_then(|x| x.as_str()))
        .unwrap_or("")
}

fn end_to_end(db: Option<String>) {
    let root = tempfile::tempdir().unwrap();
    let county = County::start(db.as_deref());
    let one = station(root.path(), "330999012", 260, 300);
    let two = station(root.path(), "330999013", 296, 320);
    for (dir, code) in [(&one, "330999012"), (&two, "330999013")] {
        let creds = root.path().join(format!("{code}.toml"));
        county.enroll(code, "联络站", &creds);
        expect(dir, &["enroll", path(&creds)], 0);
        let out = expect(dir, &["sync"], 0);
        assert!(text(&out.stdout).contains("同步完成"), "{}", text(&out.stdout));
    }
    // The county holds every appeal of both stations, once.
    assert_eq!(county_appeals(&county, "330999012").len(), 40);
    assert_eq!(county_appeals(&county, "330999013").len(), 24);
    for (dir, code) in [(&one, "330999012"), (&two, "330999013")] {
        let (rows, max) = held(&county, code);
        assert_eq!((rows, max), (own_seq(dir), own_seq(dir)), "station {code}");
    }
    // The county refers one appeal of the first station and replies to
    // one of the second, by the status machine.
    let pick = |station: &str, statuses: &[&str]| -> String {
        county_appeals(&county, station)
            .iter()
            .find(|a| statuses.contains(&field(a, &["status"])))
            .map(|a| field(a, &["code"]).to_string())
            .unwrap_or_else(|| panic!("no appeal of {station} in {statuses:?}"))
    };
    let to_refer = pick("330999012", &["accepted"]);
    county.add_units(&["青禾县交通运输局"]);
    let refer = county.run(&[
        "refer",
        &to_refer,
        "--unit",
        "青禾县交通运输局",
        "--due",
        "2099-01-31",
    ]);
    assert!(refer.status.success(), "{}", text(&refer.stderr));
    let to_reply = pick("330999013", &["referred", "in_progress"]);
    let reply = county.run(&["reply", &to_reply, "--text", "县交通运输局已完成整改。"]);
    assert!(reply.status.success(), "{}", text(&reply.stderr));
    // A step the status machine refuses is refused with the reason.
    let closed = pick("330999013", &["closed"]);
    let refused = county.run(&["reply", &closed, "--text", "再答复一次"]);
    assert!(!refused.status.success());
    assert!(
        text(&refused.stderr).contains("不能用于"),
        "{}",
        text(&refused.stderr)
    );
    // Sync again: each station shows what the county did.
    for dir in [&one, &two] {
        expect(dir, &["sync"], 0);
    }
    let referred = exported(&one)
        .into_iter()
        .find(|a| a.to_string().contains(&to_refer))
        .unwrap();
    assert!(referred.to_string().contains("青禾县交通运输局"), "{referred}");
    let replied = exported(&two)
        .into_iter()
        .find(|a| a.to_string().contains(&to_reply))
        .unwrap();
    assert!(
        replied.to_string().contains("县交通运输局已完成整改。"),
        "{replied}"
    );
    let closed_now = exported(&two)
        .into_iter()
        .find(|a| a.to_string().contains(&closed))
        .unwrap();
    assert!(!closed_now.to_string().contains("再答复一次"));
    // A third sync has nothing to send or take; the county still holds
    // every event exactly once.
    let out = expect(&one, &["sync"], 0);
    assert!(text(&out.stdout).contains("上报 0 条"), "{}", text(&out.stdout));
    for (dir, code) in [(&one, "330999012"), (&two, "330999013")] {
        let (rows, max) = held(&county, code);
        assert_eq!((rows, max), (own_seq(dir), own_seq(dir)), "station {code}");
    }
    assert!(jiedai::storage::check(&one).unwrap().ok());
}

#[test]
fn two_stations_and_the_county_on_sqlite() {
    end_to_end(None);
}

#[test]
fn two_stations_and_the_county_on_postgresql() {
    end_to_end(Some(pg().url("e2e")));
}

/// A station made in this process: its own code, `events` of its own.
fn quick_station(root: &Path, code: &str, appeals: usize) -> PathBuf {
    let dir = root.join(code);
    let mut store = Store::create(&dir, code, 1).unwrap();
    let station = Station {
        code: code.into(),
        ..common::station()
    };
    store
        .commit_at(
            "s1",
            common::at(0),
            vec![
                EventBody::StationConfigured { station },
                EventBody::DeputyUpserted {
                    deputy: common::deputy(0),
                },
            ],
        )
        .unwrap();
    for chunk in (0..appeals).collect::<Vec<_>>().chunks(50) {
        let codes = store.next_codes(common::day(), chunk.len()).unwrap();
        let changes = codes
            .iter()
            .zip(chunk)
            .map(|(c, i)| EventBody::AppealRegistered {
                appeal: common::appeal(c, None, *i, &[]),
            })
            .collect();
        store.commit_at("s1", common::at(1), changes).unwrap();
    }
    dir
}

/// Enrolls the station `code` with the county; the credentials file the
/// county wrote for it, in `root`.
fn enroll(county: &County, root: &Path, code: &str) -> PathBuf {
    let creds = root.join(format!("{code}.toml"));
    county.enroll(code, "联络站", &creds);
    creds
}

/// Loads credentials into a station, pointed at `url`.
fn install(dir: &Path, creds: &Path, url: &str) -> Credentials {
    let mut c: Credentials = toml::from_str(&std::fs::read_to_string(creds).unwrap()).unwrap();
    c.server = url.to_string();
    std::fs::write(
        jiedai::sync::credentials::credentials_path(dir),
        toml::to_string(&c).unwrap(),
    )
    .unwrap();
    c
}

/// Syncs until it finishes; every failure on the way must be one that
/// goes away by itself. Returns the attempts it took.
fn sync_until_done(dir: &Path, creds: Credentials, limit: u32) -> u32 {
    let store = Store::open(dir).unwrap();
    let reader = store.reader();
    let (writer, thread) = Writer::spawn(store).unwrap();
    let attempts = retry_sync(&reader, &writer, creds, limit, Duration::from_millis(5));
    drop(writer);
    thread.finish();
    attempts
}

/// `sync_once` until it finishes, `pause` between attempts; panics on a
/// failure that would not go away by itself or after `limit` attempts.
fn retry_sync(reader: &Reader, writer: &Writer, creds: Credentials, limit: u32, pause: Duration) -> u32 {
    let client = Client::new(creds).unwrap();
    let stop = AtomicBool::new(false);
    let mut attempts = 0;
    loop {
        attempts += 1;
        match client::sync_once(reader, writer, &client, &|_| {}, &stop) {
            Ok(_) => return attempts,
            Err(e) if e.transient() && attempts < limit => std::thread::sleep(pause),
            Err(e) => panic!(
                "{}: attempt {attempts}: {}",
                reader.dir().display(),
                e.message(jiedai::i18n::Lang::En)
            ),
        }
    }
}

#[test]
fn exactly_once_through_a_network_that_cuts_delays_and_drops_answers() {
    through_a_bad_network(None, 50, 100);
}

#[test]
fn exactly_once_through_a_bad_network_on_postgresql() {
    through_a_bad_network(Some(pg().url("faults")), 20, 500);
}

fn through_a_bad_network(db: Option<String>, runs: u64, first_station: u64) {
    let root = tempfile::tempdir().unwrap();
    let county = County::start(db.as_deref());
    let upstream: std::net::SocketAddr = county.addr().parse().unwrap();
    let mut total_attempts = 0;
    let mut faults = 0;
    let mut runs_with_faults = 0;
    for run in 0..runs {
        let code = format!("330998{:03}", first_station + run);
        // 1 to 3 batches of events, randomly.
        let appeals = 20 + ((run * 7919) % 700) as usize;
        let dir = quick_station(root.path(), &code, appeals);
        let creds = enroll(&county, root.path(), &code);
        let proxy = proxy::Proxy::start(upstream, first_station * 10 + run, 85);
        let c = install(&dir, &creds, &proxy.url());
        total_attempts += sync_until_done(&dir, c, 400);
        let counts = &proxy.counts;
        let cut = counts.cut_up.load(std::sync::atomic::Ordering::Relaxed)
            + counts.cut_down.load(std::sync::atomic::Ordering::Relaxed);
        faults += cut;
        runs_with_faults += u64::from(cut > 0);
        let (rows, max) = held(&county, &code);
        let own = own_seq(&dir);
        assert_eq!(
            (rows, max),
            (own, own),
            "run {run} (seed {}): station {code}",
            1000 + run
        );
        assert_eq!(county_appeals(&county, &code).len(), appeals, "run {run}");
    }
    println!(
        "{runs} runs, {total_attempts} attempts, {faults} connections cut, {runs_with_faults} runs cut at least once"
    );
    assert!(
        runs_with_faults * 5 >= runs * 3,
        "the proxy cut too little to prove anything: {runs_with_faults} of {runs} runs"
    );
}

#[test]
fn nothing_acknowledged_is_lost_when_the_server_is_killed_during_ingest() {
    killed_during_ingest(None);
}

#[test]
fn nothing_acknowledged_is_lost_when_the_server_on_postgresql_is_killed() {
    killed_during_ingest(Some(pg().url("killed")));
}

fn killed_during_ingest(db: Option<String>) {
    let root = tempfile::tempdir().unwrap();
    let mut county = County::start(db.as_deref());
    let code = "330998001";
    let dir = quick_station(root.path(), code, 2_400);
    let creds = enroll(&county, root.path(), code);
    let c = install(&dir, &creds, &county.url);
    let store = Store::open(&dir).unwrap();
    let reader = store.reader();
    let (writer, thread) = Writer::spawn(store).unwrap();
    let done = std::sync::Arc::new(AtomicBool::new(false));
    let syncing = {
        let (reader, writer, done) = (reader.clone(), writer.clone(), done.clone());
        std::thread::spawn(move || {
            retry_sync(&reader, &writer, c, 2_000, Duration::from_millis(20));
            done.store(true, std::sync::atomic::Ordering::Relaxed);
        })
    };
    // Kill the server once it has acknowledged something and more is on
    // its way.
    let state = reader.sync_state().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    let acked_before = loop {
        let p = state.position().unwrap();
        if p.acked > 0 {
            break p.acked;
        }
        assert!(std::time::Instant::now() < deadline, "no acknowledgement");
        std::thread::sleep(std::time::Duration::from_millis(2));
    };
    county.kill();
    let (kept, _) = held(&county, code);
    assert!(
        kept >= acked_before,
        "acknowledged {acked_before}, held {kept} after the kill"
    );
    std::thread::sleep(std::time::Duration::from_millis(300));
    county.restart();
    syncing.join().unwrap();
    assert!(done.load(std::sync::atomic::Ordering::Relaxed));
    let own = reader.own_seq().unwrap();
    drop((writer, reader, state));
    thread.finish();
    assert!(acked_before < own, "the kill came after everything was sent");
    assert_eq!(held(&county, code), (own, own));
}

#[test]
fn two_hundred_stations_sync_at_once() {
    at_once(None);
}

#[test]
fn two_hundred_stations_sync_at_once_on_postgresql() {
    at_once(Some(pg().url("load")));
}

fn at_once(db: Option<String>) {
    let root = tempfile::tempdir().unwrap();
    let county = County::start(db.as_deref());
    let stations: Vec<(String, PathBuf, Credentials)> = (0..200)
        .map(|i| {
            let code = format!("330997{i:03}");
            let dir = quick_station(root.path(), &code, 5 + i % 20);
            let creds = enroll(&county, root.path(), &code);
            let c = install(&dir, &creds, &county.url);
            (code, dir, c)
        })
        .collect();
    let start = std::time::Instant::now();
    let handles: Vec<_> = stations
        .iter()
        .cloned()
        .map(|(_, dir, c)| std::thread::spawn(move || sync_until_done(&dir, c, 50)))
        .collect();
    let attempts: u32 = handles.into_iter().map(|h| h.join().unwrap()).sum();
    println!(
        "200 stations synced at once in {:.1} s, {attempts} attempts",
        start.elapsed().as_secs_f64()
    );
    for (code, dir, _) in &stations {
        let own = own_seq(dir);
        assert_eq!(held(&county, code), (own, own), "station {code}");
    }
}

/// The station the journal tests lose and restore.
const CODE: &str = "330999012";

/// A county on `db` and the station `CODE` with the sample appeals
/// `260..to`, enrolled and synced once.
fn enrolled_station(db: Option<&str>, to: usize) -> (tempfile::TempDir, County, PathBuf) {
    enrolled_station_with(db, to, |_| {})
}

/// As `enrolled_station`, with `prepare` done to the station before it is
/// enrolled.
fn enrolled_station_with(
    db: Option<&str>,
    to: usize,
    prepare: impl FnOnce(&Path),
) -> (tempfile::TempDir, County, PathBuf) {
    let root = tempfile::tempdir().unwrap();
    let county = County::start(db);
    let one = station(root.path(), CODE, 260, to);
    prepare(&one);
    enroll_and_sync(&county, root.path(), &one, CODE);
    (root, county, one)
}

/// Loses the station's journal and writes it again from the database
/// (`check --journal-from-database`); what the check said.
fn journal_from_database(one: &Path) -> String {
    std::fs::remove_file(one.join("journal")).unwrap();
    let out = expect(one, &["check", "--journal-from-database"], 0);
    text(&out.stdout)
}

/// A copy of the station's journal as it is now.
fn back_up_journal(root: &Path, one: &Path) -> PathBuf {
    let backup = root.join("journal.backup");
    std::fs::copy(one.join("journal"), &backup).unwrap();
    backup
}

/// Puts the journal's backup back and runs `check --rebuild`; what the
/// check said.
fn rebuild_from(backup: &Path, one: &Path) -> String {
    std::fs::copy(backup, one.join("journal")).unwrap();
    let out = expect(one, &["check", "--rebuild"], 0);
    text(&out.stdout)
}

/// A sync that says it completed.
fn sync_completes(one: &Path) {
    let out = expect(one, &["sync"], 0);
    assert!(text(&out.stdout).contains("同步完成"), "{}", text(&out.stdout));
}

/// The county holds every event of the station's first origin, once.
fn assert_all_held(county: &County, one: &Path) {
    assert_eq!(held_by_key(county, CODE), vec![(1, own_seq(one), own_seq(one))]);
}

/// The county holds the station's first origin up to `synced` and its
/// new origin up to where the station is now, each event once.
fn assert_held_as_a_new_origin_after(county: &County, one: &Path, synced: u64) {
    let newer = own_seq(one);
    assert_eq!(
        held_by_key(county, CODE),
        vec![(1, synced, synced), (11, newer, newer)]
    );
}

/// Enrolls a station made by `station` with the county and syncs it.
fn enroll_and_sync(county: &County, root: &Path, dir: &Path, code: &str) {
    let creds = enroll(county, root, code);
    expect(dir, &["enroll", path(&creds)], 0);
    expect(dir, &["sync"], 0);
}

/// The county replies to one appeal in handling; the station takes the
/// reply at its next sync. The appeal's code.
fn county_replies(county: &County, dir: &Path, code: &str) -> String {
    let to_reply = county_appeals(county, code)
        .iter()
        .find(|a| field(a, &["status"]) == "in_progress")
        .map(|a| field(a, &["code"]).to_string())
        .expect("an appeal in handling");
    let reply = county.run(&["reply", &to_reply, "--text", "县交通运输局已完成整改。"]);
    assert!(reply.status.success(), "{}", text(&reply.stderr));
    expect(dir, &["sync"], 0);
    to_reply
}

/// Finding 3: after a sync the journal is lost; `check
/// --journal-from-database` takes the synced events back from the county
/// byte for byte, so the chain is the county's, and later syncs go on.
#[test]
fn a_lost_journal_comes_back_from_the_county_and_syncs_go_on() {
    lost_journal(None);
}

#[test]
fn a_lost_journal_comes_back_from_the_county_on_postgresql() {
    lost_journal(Some(pg().url("lost_journal")));
}

fn lost_journal(db: Option<String>) {
    let (root, county, one) = enrolled_station(db.as_deref(), 280);
    let replied = county_replies(&county, &one, CODE);
    let before = exported(&one);
    let seq = own_seq(&one);
    let said = journal_from_database(&one);
    assert!(said.contains("从县里取回本终端上报过的"), "{said}");
    assert!(!said.contains("新的来源"), "{said}");
    assert!(said.contains("检查通过"), "{said}");
    // The same appeals with the same histories (the county's step too),
    // the same numbering.
    assert_eq!(exported(&one), before);
    assert!(
        exported(&one)
            .iter()
            .any(|a| a.to_string().contains(&replied) && a.to_string().contains("县交通运输局已完成整改。"))
    );
    assert_eq!(own_seq(&one), seq);
    import_rows(root.path(), &one, 280, 290);
    sync_completes(&one);
    assert_all_held(&county, &one);
    assert_eq!(county_appeals(&county, CODE).len(), 30);
    assert!(jiedai::storage::check(&one).unwrap().ok());
}

/// Finding 3: events saved after the last sync are lost with the journal;
/// they cannot come back with their bytes, so the terminal says so and
/// continues as a new origin, numbered from 1; the database's appeals are
/// written as that origin's events and reach the county.
#[test]
fn unsynced_events_lost_with_the_journal_continue_as_a_new_origin() {
    new_origin(None);
}

#[test]
fn unsynced_events_lost_continue_as_a_new_origin_on_postgresql() {
    new_origin(Some(pg().url("new_origin")));
}

fn new_origin(db: Option<String>) {
    let (root, county, one) = enrolled_station(db.as_deref(), 280);
    let synced = own_seq(&one);
    import_rows(root.path(), &one, 280, 285);
    let before = exported(&one);
    let said = journal_from_database(&one);
    assert!(said.contains("新的来源 330999012-1.2"), "{said}");
    assert!(said.contains(&format!("第 {}–", synced + 1)), "{said}");
    assert_eq!(exported(&one).len(), before.len());
    import_rows(root.path(), &one, 285, 290);
    sync_completes(&one);
    assert_held_as_a_new_origin_after(&county, &one, synced);
    assert_eq!(county_appeals(&county, CODE).len(), 30);
    assert!(jiedai::storage::check(&one).unwrap().ok());
    // In English too.
    let out = expect(&one, &["--lang", "en", "check"], 0);
    assert!(
        text(&out.stdout).contains("check passed"),
        "{}",
        text(&out.stdout)
    );
}

/// Finding 3: an older backup of the journal is put back and the database
/// rebuilt; the county's copy of what came after the backup is written
/// back, and later syncs go on.
#[test]
fn a_restored_backup_gets_the_rest_from_the_county() {
    let (root, county, one) = enrolled_station(None, 270);
    let backup = back_up_journal(root.path(), &one);
    import_rows(root.path(), &one, 270, 280);
    county_replies(&county, &one, CODE);
    let before = exported(&one);
    let seq = own_seq(&one);
    let said = rebuild_from(&backup, &one);
    assert!(said.contains("从县里取回本终端上报过的"), "{said}");
    assert!(!said.contains("新的来源"), "{said}");
    assert_eq!(exported(&one), before);
    assert_eq!(own_seq(&one), seq);
    import_rows(root.path(), &one, 280, 285);
    expect(&one, &["sync"], 0);
    assert_all_held(&county, &one);
    assert_eq!(county_appeals(&county, CODE).len(), 25);
    assert!(jiedai::storage::check(&one).unwrap().ok());
}

/// Finding 4: a database sled cannot read (its file cut short, as a write
/// cut off by a full disk leaves it) is rebuilt from the journal by the
/// next command, which says so; the sync position and a pending print job
/// survive the rebuild.
#[test]
fn an_unreadable_database_is_rebuilt_by_itself_keeping_sync_position_and_print_jobs() {
    let (root, county, one) = enrolled_station(None, 270);
    // A receipt to a printer that refuses: the job is kept for a retry.
    let appeal = exported(&one)[0]["code"].as_str().unwrap().to_string();
    let refused = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = refused.local_addr().unwrap().port();
    drop(refused);
    let out = cli::jiedai(
        &one,
        &[
            "print",
            "receipt",
            &appeal,
            "--printer",
            &format!("tcp://127.0.0.1:{port}"),
        ],
    );
    assert!(!out.status.success(), "{}", text(&out.stdout));
    let before = exported(&one);
    // sled cannot read its database any more (garbage in its file, as a
    // write cut off part-way can leave).
    let db = one.join("db").join("db");
    let mut bytes = std::fs::read(&db).unwrap();
    for at in (0..bytes.len().saturating_sub(64)).step_by(64 * 1024) {
        bytes[at + 13..at + 40].fill(0xab);
    }
    std::fs::write(&db, bytes).unwrap();
    let out = expect(&one, &["find", "路"], 0);
    let said = text(&out.stderr);
    assert!(
        said.contains("数据库无法读取") && said.contains("已按日志自动重建"),
        "{said}"
    );
    // sled's own English words stay in the log, off the Chinese screen.
    assert!(!said.contains("corrupted"), "{said}");
    assert_eq!(exported(&one), before);
    // Nothing to send again: the position was kept.
    let out = expect(&one, &["sync"], 0);
    assert!(text(&out.stdout).contains("上报 0 条"), "{}", text(&out.stdout));
    // The job is still there and prints.
    let slip = root.path().join("slip.bin");
    let out = expect(&one, &["print", "retry", "--printer", path(&slip)], 0);
    assert!(text(&out.stdout).contains("已打印"), "{}", text(&out.stdout));
    assert!(std::fs::metadata(&slip).unwrap().len() > 0);
    let out = expect(&one, &["print", "retry", "--printer", path(&slip)], 0);
    assert!(
        text(&out.stdout).contains("没有待打印的任务"),
        "{}",
        text(&out.stdout)
    );
    assert_all_held(&county, &one);
    assert!(jiedai::storage::check(&one).unwrap().ok());
}

/// Finding 3: an older backup is put back after appeals were saved and
/// not synced; the database still holds them, so `check --rebuild` writes
/// the county's copy and then those appeals (as a new origin: their own
/// numbers cannot come back), and nothing is lost.
#[test]
fn a_restored_backup_keeps_what_only_the_database_held() {
    let (root, county, one) = enrolled_station(None, 270);
    let backup = back_up_journal(root.path(), &one);
    import_rows(root.path(), &one, 270, 275);
    expect(&one, &["sync"], 0);
    let synced = own_seq(&one);
    import_rows(root.path(), &one, 275, 280);
    let before = exported(&one);
    let said = rebuild_from(&backup, &one);
    assert!(said.contains("从县里取回本终端上报过的"), "{said}");
    assert!(said.contains("新的来源 330999012-1.2"), "{said}");
    assert_eq!(exported(&one).len(), before.len());
    expect(&one, &["sync"], 0);
    assert_held_as_a_new_origin_after(&county, &one, synced);
    assert_eq!(county_appeals(&county, CODE).len(), 20);
    assert!(jiedai::storage::check(&one).unwrap().ok());
}

/// What an earlier version wrote at set-up: the staff's PIN hashes in the
/// station event itself (no `staff-pins.json`). The PIN of the second
/// person is 8642.
fn older_station_event(dir: &Path) {
    older_station_event_salted(dir, 7);
}

fn older_station_event_salted(dir: &Path, salt: u8) {
    use jiedai::domain::station::hash_pin;
    let _ = std::fs::remove_file(dir.join("staff-pins.json"));
    let mut store = Store::open(dir).unwrap();
    let mut station = store.station().unwrap().unwrap();
    station.staff[1].pin_hash = Some(hash_pin("8642", &[salt; 16]).unwrap());
    store
        .commit("init", vec![EventBody::StationConfigured { station }])
        .unwrap();
}

/// Whether the second person's PIN is still 8642 for signing in.
fn signs_in_with_8642(dir: &Path) -> bool {
    let store = Store::open_with(dir, Mode::Read, &|_, _| {}).unwrap();
    let station = store.reader().station_with_pins().unwrap().unwrap();
    station.staff[1].pin_matches("8642")
}

/// Seam 1: a station set up by an earlier version (its station event
/// holds a PIN hash, which the county keeps stripped, with the hash the
/// station attested) loses its journal after a sync; the county's copy
/// gives back the same chain, with no new origin and no claim that
/// events were never reported.
#[test]
fn an_older_stations_lost_journal_comes_back_from_the_county_without_a_new_origin() {
    let (root, county, one) = enrolled_station_with(None, 270, |one| {
        older_station_event(one);
    });
    let before = exported(&one);
    let seq = own_seq(&one);
    let said = journal_from_database(&one);
    assert!(said.contains("从县里取回本终端上报过的"), "{said}");
    assert!(!said.contains("新的来源"), "{said}");
    assert!(!said.contains("没有上报"), "{said}");
    assert!(said.contains("检查通过"), "{said}");
    assert_eq!(exported(&one), before);
    assert_eq!(own_seq(&one), seq);
    assert!(signs_in_with_8642(&one));
    import_rows(root.path(), &one, 270, 275);
    sync_completes(&one);
    assert_all_held(&county, &one);
    assert!(jiedai::storage::check(&one).unwrap().ok());
}

/// Seam 4: a journal written from an older station's database keeps the
/// PIN hashes out of it: they go to `staff-pins.json`, and signing in
/// goes on.
#[test]
fn a_journal_written_from_an_older_stations_database_holds_no_pin_hash() {
    let root = tempfile::tempdir().unwrap();
    let one = station(root.path(), CODE, 260, 265);
    older_station_event(&one);
    std::fs::remove_file(one.join("journal")).unwrap();
    let out = expect(&one, &["check", "--journal-from-database"], 0);
    assert!(text(&out.stdout).contains("检查通过"), "{}", text(&out.stdout));
    let journal = std::fs::read(one.join("journal")).unwrap();
    assert!(
        !String::from_utf8_lossy(&journal).contains("$argon2"),
        "a PIN hash in the journal"
    );
    let pins = std::fs::read_to_string(one.join("staff-pins.json")).unwrap();
    assert!(pins.contains("$argon2"), "{pins}");
    assert!(signs_in_with_8642(&one));
}

/// Seam 2: `check --rebuild` after an older journal was put back, with
/// the county out of reach: nothing changes (no new origin, the terminal
/// file and the journal as they were), and the refusal says why. With
/// the county back, the rebuild goes on.
#[test]
fn a_rebuild_that_cannot_reach_the_county_changes_nothing() {
    let (root, mut county, one) = enrolled_station(None, 270);
    let backup = back_up_journal(root.path(), &one);
    import_rows(root.path(), &one, 270, 275);
    let before = exported(&one);
    std::fs::copy(&backup, one.join("journal")).unwrap();
    let terminal = std::fs::read(one.join("terminal.toml")).unwrap();
    let journal = std::fs::read(one.join("journal")).unwrap();
    county.stop();
    let out = cli::jiedai(&one, &["check", "--rebuild"]);
    let said = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(!out.status.success(), "{said}");
    assert!(!said.contains("新的来源"), "{said}");
    assert!(said.contains("未能从县里取回"), "{said}");
    assert!(said.contains("什么也没改"), "{said}");
    assert_eq!(std::fs::read(one.join("terminal.toml")).unwrap(), terminal);
    assert_eq!(std::fs::read(one.join("journal")).unwrap(), journal);
    assert!(!one.join("db.before-rebuild").exists());
    county.restart();
    expect(&one, &["check", "--rebuild"], 0);
    assert_eq!(exported(&one).len(), before.len());
}

/// Seam 3: a side file that cannot be read (the sync position) is
/// reported as it is; the database sled reads well is not set aside and
/// rebuilt, not even by a read-only command.
#[test]
fn a_broken_sync_position_is_reported_and_the_database_is_left_alone() {
    let (_root, _county, one) = enrolled_station(None, 265);
    let position = one.join("sync-position.json");
    assert!(position.exists());
    std::fs::write(&position, b"{\"acked\":").unwrap();
    let out = cli::jiedai(&one, &["find", "路"]);
    let said = text(&out.stderr);
    assert!(!out.status.success(), "{said}");
    assert!(said.contains("sync-position.json"), "{said}");
    assert!(!said.contains("已按日志自动重建"), "{said}");
    assert!(!one.join("db.before-rebuild").exists());
    // A rebuild asked for stops at it too, and keeps the database.
    let out = cli::jiedai(&one, &["check", "--rebuild"]);
    assert!(!out.status.success(), "{}", text(&out.stdout));
    assert!(!one.join("db.before-rebuild").exists());
}

/// Seam 1, where the station's bytes cannot be put together again: an
/// older station set up twice with other PIN hashes keeps only the later
/// ones, so the county's stripped copy of the first set-up cannot be
/// matched; the terminal continues as a new origin and says why, not that
/// the events never reached the county.
#[test]
fn an_unmatched_station_event_is_named_as_the_reason_for_a_new_origin() {
    let (_root, _county, one) = enrolled_station_with(None, 265, |one| {
        older_station_event_salted(one, 3);
        older_station_event_salted(one, 5);
    });
    let before = exported(&one);
    let said = journal_from_database(&one);
    assert!(said.contains("新的来源 330999012-1.2"), "{said}");
    assert!(said.contains("县里不保存员工 PIN"), "{said}");
    assert!(!said.contains("没有上报到县里"), "{said}");
    assert!(said.contains("检查通过"), "{said}");
    assert_eq!(exported(&one).len(), before.len());
    assert!(signs_in_with_8642(&one));
}

/// Seam 6: the journal is lost and the county cannot be reached: the
/// terminal continues as a new origin and says the county could not be
/// reached, not that its events never reached the county.
#[test]
fn a_lost_journal_without_the_county_says_the_county_could_not_be_reached() {
    let (root, mut county, one) = enrolled_station(None, 265);
    county.stop();
    let back = root.path().join("back");
    std::fs::create_dir_all(&back).unwrap();
    let copied = std::process::Command::new("cp")
        .arg("-a")
        .arg(&one)
        .arg(back.join("one"))
        .status()
        .unwrap();
    assert!(copied.success());
    let said = journal_from_database(&one);
    assert!(said.contains("新的来源 330999012-1.2"), "{said}");
    assert!(said.contains("未能连上县里"), "{said}");
    assert!(!said.contains("没有上报到县里"), "{said}");
    // In English too.
    let other = back.join("one");
    std::fs::remove_file(other.join("journal")).unwrap();
    let out = expect(&other, &["--lang", "en", "check", "--journal-from-database"], 0);
    let said = text(&out.stdout);
    assert!(said.contains("the county could not be reached"), "{said}");
    assert!(!said.contains("never reached the county"), "{said}");
}

/// Seam 5: numbers under the counters' floor are never issued again, even
/// when the database can be read and is behind the floor (records dropped
/// from a damaged journal took their events with them).
#[test]
fn a_journal_from_the_database_numbers_its_events_above_the_counters_floor() {
    let root = tempfile::tempdir().unwrap();
    let one = station(root.path(), CODE, 260, 265);
    let seq = own_seq(&one);
    let floor = seq + 100_000;
    let file = one.join("counters");
    let mut counters: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    counters["seq"] = floor.into();
    std::fs::write(&file, serde_json::to_vec(&counters).unwrap()).unwrap();
    std::fs::remove_file(one.join("journal")).unwrap();
    let out = expect(&one, &["check", "--journal-from-database"], 0);
    assert!(text(&out.stdout).contains("检查通过"), "{}", text(&out.stdout));
    // The journal's own events were numbered above the floor.
    let heads = jiedai::storage::restore::journal_heads(&one).unwrap();
    assert!(heads.own > floor, "{} ≤ {floor}", heads.own);
}

/// Seam 1 through `check --rebuild`: a backup from before an older
/// station's set-up with a PIN hash is put back; the county's stripped copy
/// of that set-up is written back as the station wrote it, and the chain
/// and the numbering go on.
#[test]
fn an_older_stations_backup_is_completed_from_the_county_without_a_new_origin() {
    let root = tempfile::tempdir().unwrap();
    let county = County::start(None);
    let one = station(root.path(), CODE, 260, 265);
    let backup = back_up_journal(root.path(), &one);
    older_station_event(&one);
    enroll_and_sync(&county, root.path(), &one, CODE);
    let before = exported(&one);
    let seq = own_seq(&one);
    let said = rebuild_from(&backup, &one);
    assert!(said.contains("从县里取回本终端上报过的"), "{said}");
    assert!(!said.contains("新的来源"), "{said}");
    assert_eq!(exported(&one), before);
    assert_eq!(own_seq(&one), seq);
    assert!(signs_in_with_8642(&one));
    import_rows(root.path(), &one, 265, 270);
    expect(&one, &["sync"], 0);
    assert_all_held(&county, &one);
    assert!(jiedai::storage::check(&one).unwrap().ok());
}
