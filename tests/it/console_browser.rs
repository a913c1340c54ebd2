#![cfg(feature = "county")]
//! The county's pages in a real browser (headless Chromium through
//! WebDriver), end to end with the real binary: stations that sync, the
//! console's roles, and screenshots of its pages at 1280x800.

use crate::support::browser::Browser;
use crate::support::cli::{self, expect, path, sample};
use crate::support::county::County;

use std::path::{Path, PathBuf};

/// A station set up from sample-data with its deputies and the sample
/// appeals `from..to`, under `code` (the sample station renamed for any
/// other code), enrolled with the county and synced once.
fn station(county: &County, root: &Path, code: &str, name: &str, from: usize, to: usize) -> PathBuf {
    let dir = root.join(code);
    let file = root.join(format!("station-{code}.toml"));
    let text = std::fs::read_to_string(sample("station.toml"))
        .unwrap()
        .replace("330999012", code)
        .replace("柳岸社区人大代表联络站", name);
    std::fs::write(&file, text).unwrap();
    expect(&dir, &["init", "--station", path(&file)], 0);
    expect(&dir, &["import", "deputies", path(&sample("deputies.csv"))], 0);
    if to > from {
        let mut reader = csv::Reader::from_path(sample("appeals.csv")).unwrap();
        let rows = root.join(format!("appeals-{code}.csv"));
        let mut writer = csv::Writer::from_path(&rows).unwrap();
        writer.write_record(reader.headers().unwrap()).unwrap();
        for record in reader.records().skip(from).take(to - from) {
            writer.write_record(&record.unwrap()).unwrap();
        }
        writer.flush().unwrap();
        expect(&dir, &["import", "appeals", path(&rows)], 0);
    }
    let creds = root.join(format!("{code}.credentials.toml"));
    county.enroll(code, name, &creds);
    expect(&dir, &["enroll", path(&creds)], 0);
    sync(&dir);
    dir
}

/// `jiedai sync` at a station, which must finish.
fn sync(dir: &Path) {
    let out = expect(dir, &["sync", "--attempts", "1"], 0);
    assert!(
        cli::text(&out.stdout).contains("同步完成"),
        "{}",
        cli::printed(&out)
    );
}

/// The harness itself: the public station page, as a citizen's browser
/// shows it.
#[test]
fn the_public_station_page_in_a_browser() {
    let root = tempfile::tempdir().unwrap();
    let county = County::start(None);
    station(&county, root.path(), "330999012", "柳岸社区人大代表联络站", 0, 0);
    let b = Browser::start();
    b.open(&format!("{}/s/330999012", county.url));
    assert_eq!(b.status(), 200);
    let text = b.wait_text("柳岸社区人大代表联络站");
    assert!(text.contains("柳岸路88号"), "{text}");
    assert!(text.contains("陈立华"), "{text}");
    assert!(!text.contains("13900001201"), "{text}");
    let shot = b.screenshot("public-station");
    assert_eq!(png_size(&shot), (1280, 800), "{}", shot.display());
    b.open(&format!("{}/s/330999099", county.url));
    assert_eq!(b.status(), 404);
}

/// The width and height of a PNG file (its IHDR chunk).
fn png_size(file: &Path) -> (u32, u32) {
    let bytes = std::fs::read(file).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{} is a PNG", file.display());
    let word = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    (word(16), word(20))
}
