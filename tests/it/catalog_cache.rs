//! The catalog cache: whatever state its file is in (missing, behind the
//! journal, cut short, damaged), loading the catalog gives exactly the
//! database's catalog rows, and `check` notices a cache that lies.

use crate::common;

use std::fs;
use std::path::Path;

use common::{Lcg, appeal, at, commit_step, day, legal_step, new_store, visit};
use jiedai::domain::catalog::{Catalog, CatalogRow};
use jiedai::domain::search::gb_encode;
use jiedai::domain::{EventBody, Status};
use jiedai::storage::catalog_cache::{self, cache_path};
use jiedai::storage::{self, Store, frame};

/// How long a step of a held load may take on a busy machine.
const WAIT: std::time::Duration = std::time::Duration::from_secs(60);

/// Registers `n` appeals and moves some of them along.
fn add_appeals(store: &mut Store, n: usize, rng: &mut Lcg) {
    let codes = store.next_codes(day(), n + 1).unwrap();
    let mut changes = vec![EventBody::VisitRegistered {
        visit: visit(&codes[0], &codes[1..], 0, &[]),
    }];
    for (i, c) in codes[1..].iter().enumerate() {
        changes.push(EventBody::AppealRegistered {
            appeal: appeal(c, Some(&codes[0]), i, &[]),
        });
    }
    store.commit_at("s1", at(1), changes).unwrap();
    for c in codes[1..].iter().step_by(3) {
        let step = legal_step(rng, Status::Registered);
        commit_step(store, 2, c, step, "").unwrap();
    }
}

fn lines(c: &Catalog) -> Vec<String> {
    (0..c.len()).map(|i| c.owned_row(i).unwrap().to_line()).collect()
}

fn expected(store: &Store) -> Vec<String> {
    let mut rows: Vec<CatalogRow> = store.catalog_rows().unwrap();
    rows.sort_by(|a, b| a.code.cmp(&b.code));
    rows.iter().map(CatalogRow::to_line).collect()
}

fn load(dir: &Path) -> (Store, Vec<String>) {
    let store = Store::open(dir).unwrap();
    let got = lines(&store.reader().load_catalog().unwrap());
    (store, got)
}

#[test]
fn the_cache_always_loads_the_database_rows() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let mut rng = Lcg::new(7);
    let mut store = new_store(dir, 2);
    add_appeals(&mut store, 30, &mut rng);
    drop(store);

    // No file: an opening for writing builds it from the database, in an
    // opening of sled it then closes, before it hands the store over.
    fs::remove_file(cache_path(dir)).unwrap();
    let store = Store::open(dir).unwrap();
    assert!(cache_path(dir).exists());
    let want = expected(&store);
    drop(store);
    let (mut store, got) = load(dir);
    assert_eq!(got, want);

    // Appended to after each commit once loaded.
    add_appeals(&mut store, 10, &mut rng);
    let want = expected(&store);
    drop(store);
    let (store, got) = load(dir);
    assert_eq!(got, want);
    drop(store);

    // Behind the journal (as after a crash between a commit and the
    // append): caught up from the journal and the database.
    let old = fs::read(cache_path(dir)).unwrap();
    let (mut store, _) = load(dir);
    add_appeals(&mut store, 10, &mut rng);
    let want = expected(&store);
    drop(store);
    fs::write(cache_path(dir), &old).unwrap();
    let (store, got) = load(dir);
    assert_eq!(got, want);
    drop(store);

    // Cut short in the middle of a record, then damaged: still right.
    let bytes = fs::read(cache_path(dir)).unwrap();
    fs::write(cache_path(dir), &bytes[..bytes.len() / 2 + 3]).unwrap();
    let (store, got) = load(dir);
    assert_eq!(got, want);
    drop(store);
    let mut bytes = fs::read(cache_path(dir)).unwrap();
    bytes[5] ^= 0x55;
    fs::write(cache_path(dir), &bytes).unwrap();
    let (store, got) = load(dir);
    assert_eq!(got, want);
    drop(store);
    assert!(storage::check(dir).unwrap().ok());
}

#[test]
fn check_reports_a_cache_that_disagrees() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let mut store = new_store(dir, 1);
    add_appeals(&mut store, 5, &mut Lcg::new(3));
    let catalog = store.reader().load_catalog().unwrap();
    drop(store);
    assert!(storage::check(dir).unwrap().ok());

    // A well-formed file that claims to be current but holds a changed
    // title: only a comparison with the database can tell.
    let bytes = fs::read(cache_path(dir)).unwrap();
    let title = catalog.row(0).unwrap().title.to_string();
    let text = String::from_utf8_lossy(&bytes).into_owned();
    // Rows are kept as the search reads them: text in GB18030.
    assert!(contains(&bytes, &gb_encode(&title)));
    let mut tampered = catalog.owned_row(0).unwrap();
    let code = tampered.code.to_string();
    tampered.title = "篡改的标题".into();
    let mut rows: Vec<CatalogRow> = (0..catalog.len())
        .map(|i| catalog.owned_row(i).unwrap())
        .collect();
    rows[0] = tampered;
    let applied = {
        // The marker is the last record: reuse it as it is.
        let marker_at = text.rfind('@').unwrap();
        text[marker_at + 1..].trim_end_matches('\0').to_string()
    };
    let mut out = catalog_cache::file_start();
    for r in &rows {
        out.extend_from_slice(&catalog_cache::row_record(r).unwrap());
    }
    let covered: u64 = applied.parse().unwrap();
    frame::encode_into(&mut out, format!("@{applied}").as_bytes(), covered, covered);
    fs::write(cache_path(dir), out).unwrap();
    let report = storage::check(dir).unwrap();
    assert!(!report.ok());
    assert!(
        report
            .problems
            .iter()
            .any(|p| matches!(p, storage::Finding::CacheRow { path, code: row } if path.ends_with("catalog.cache") && *row == code)),
        "{:?}",
        report.problems
    );

    // --rebuild throws the cache away with the database.
    assert!(storage::rebuild(dir).unwrap().ok());
}

/// A station of five appeals whose cache file has been written: its
/// catalog and the rows its database holds.
fn five_appeals(dir: &Path, seed: u64) -> (Catalog, Vec<String>) {
    let mut store = new_store(dir, 1);
    add_appeals(&mut store, 5, &mut Lcg::new(seed));
    let catalog = store.reader().load_catalog().unwrap();
    (catalog, expected(&store))
}

/// Puts `file` in place of the cache: `check` does not take it for a
/// current cache that lies, and loading gives the database's rows (twice:
/// the file it rewrote in the current format loads too). The rewritten file.
fn replaced_cache_is_rebuilt(dir: &Path, file: &[u8], want: &[String]) -> Vec<u8> {
    fs::write(cache_path(dir), file).unwrap();
    assert!(storage::check(dir).unwrap().ok());
    let (store, got) = load(dir);
    assert_eq!(got, want);
    drop(store);
    let rebuilt = fs::read(cache_path(dir)).unwrap();
    assert!(rebuilt.starts_with(b"JIEDAI-C3\n"));
    assert!(rebuilt.starts_with(&catalog_cache::file_start()));
    let (_, got) = load(dir);
    assert_eq!(got, want);
    rebuilt
}

/// A cache file in the first format (`JIEDAI-C1`, records
/// `[len][crc32][payload]`) or the second (`JIEDAI-C2`, framed text lines)
/// is not read as the current one: it is rebuilt, even when it claims to be
/// current and holds a wrong row.
#[test]
fn an_old_format_cache_is_rebuilt_not_misread() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let (catalog, want) = five_appeals(dir, 5);
    let text = String::from_utf8_lossy(&fs::read(cache_path(dir)).unwrap()).into_owned();
    let applied = text[text.rfind('@').unwrap() + 1..].to_string();

    let mut rows: Vec<CatalogRow> = (0..catalog.len())
        .map(|i| catalog.owned_row(i).unwrap())
        .collect();
    rows[0].title = "旧格式里的标题".into();
    let mut old = b"JIEDAI-C1\n".to_vec();
    let mut record = |payload: &[u8]| {
        old.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        old.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
        old.extend_from_slice(payload);
    };
    for r in &rows {
        record(r.to_line().as_bytes());
    }
    record(format!("@{applied}").as_bytes());
    let rebuilt = replaced_cache_is_rebuilt(dir, &old, &want);
    assert!(!String::from_utf8_lossy(&rebuilt).contains("旧格式里的标题"));
    assert!(!contains(&rebuilt, &gb_encode("旧格式里的标题")));

    // The second format: text lines in frames, one claiming to be current.
    rows[0].title = "第二格式里的标题".into();
    let mut second = b"JIEDAI-C2\n".to_vec();
    for r in &rows {
        frame::encode_into(&mut second, r.to_line().as_bytes(), 0, 0);
    }
    let covered: u64 = applied.parse().unwrap();
    frame::encode_into(&mut second, format!("@{applied}").as_bytes(), covered, covered);
    let rebuilt = replaced_cache_is_rebuilt(dir, &second, &want);
    assert!(!contains(&rebuilt, &gb_encode("第二格式里的标题")));
}

/// A cache file whose rows were packed under another layout (another
/// order of the statuses, say) is rebuilt, not misread.
#[test]
fn a_cache_of_another_layout_is_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let dir = dir.path();
    let (_, want) = five_appeals(dir, 11);
    let mut bytes = fs::read(cache_path(dir)).unwrap();
    let start = catalog_cache::file_start();
    assert!(bytes.starts_with(&start));
    // The same file under a layout record that names another layout.
    let mut other = b"JIEDAI-C3\n".to_vec();
    frame::encode_into(&mut other, b"#another layout", 0, 0);
    other.extend_from_slice(&bytes.split_off(start.len()));
    replaced_cache_is_rebuilt(dir, &other, &want);
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// A save made while the catalog is still loading neither waits for the
/// load nor goes missing from the cache file: the next start loads it.
#[test]
fn saves_during_the_load_do_not_wait_for_it_and_are_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let mut rng = Lcg::new(7);
    let mut store = new_store(tmp.path(), 2);
    // (9,000: one day's codes on one terminal stop at 9,999.)
    for _ in 0..9 {
        add_appeals(&mut store, 1000, &mut rng);
    }
    drop(store);
    // No cache file: the loader rebuilds it from a full database scan. The
    // load is held once commits queue behind it, and a save is made while
    // it is held: a save that waited for the load would not end.
    let _ = fs::remove_file(cache_path(tmp.path()));
    let mut store = Store::open(tmp.path()).unwrap();
    let reader = store.reader();
    let hold = catalog_cache::hold_next_load(tmp.path());
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let loader = {
        let done = done.clone();
        std::thread::spawn(move || {
            let catalog = reader.load_catalog().unwrap();
            done.store(true, std::sync::atomic::Ordering::SeqCst);
            catalog.len()
        })
    };
    assert!(hold.reached(WAIT), "the catalog load never started");
    let (saved, on_saved) = std::sync::mpsc::channel();
    let saver = std::thread::spawn(move || {
        add_appeals(&mut store, 3, &mut rng);
        saved.send(()).unwrap();
        (store, rng)
    });
    let overlapped = on_saved.recv_timeout(WAIT).is_ok() && !done.load(std::sync::atomic::Ordering::SeqCst);
    drop(hold);
    loader.join().unwrap();
    let (mut store, mut rng) = saver.join().unwrap();
    assert!(overlapped, "the save waited for the catalog load");
    add_appeals(&mut store, 2, &mut rng);
    let want = expected(&store);
    drop(store);
    let (_, got) = load(tmp.path());
    assert_eq!(got, want, "the cache file lost a save made during the load");
}

/// A cache file that cannot be rewritten is never appended to: the next
/// start still loads exactly the database's rows.
#[test]
fn a_failed_rewrite_leaves_no_lying_cache() {
    let tmp = tempfile::tempdir().unwrap();
    let mut rng = Lcg::new(9);
    let mut store = new_store(tmp.path(), 2);
    add_appeals(&mut store, 50, &mut rng);
    drop(store);
    // An old cache, then a database that has moved on without it.
    let (store, _) = load(tmp.path());
    drop(store);
    let mut store = Store::open(tmp.path()).unwrap();
    add_appeals(&mut store, 30, &mut rng);
    drop(store);
    // The rewrite's temporary file cannot be created: a directory is there.
    let blocker = cache_path(tmp.path()).with_extension("tmp");
    fs::create_dir(&blocker).unwrap();
    let mut store = Store::open(tmp.path()).unwrap();
    let first = lines(&store.reader().load_catalog().unwrap());
    assert_eq!(first, expected(&store));
    add_appeals(&mut store, 20, &mut rng);
    let want = expected(&store);
    drop(store);
    fs::remove_dir(&blocker).unwrap();
    let (_, got) = load(tmp.path());
    assert_eq!(got, want, "the cache file lies after a failed rewrite");
}
