//! Working days through the real binary. At the station: `init` takes
//! `reply_working_days` and the station's own holiday table (`holidays =
//! FILE` in `[station]`), and refuses a broken table naming its file and
//! line, changing nothing. At the county, on SQLite: `refer --working-days N` across the 2026 Spring
//! Festival of the shipped table, `extend --working-days N` past the
//! current deadline, a year the table does not cover refused with the
//! year named and nothing changed, the county's own table (`serve
//! --holidays FILE`) covering it, and a broken table refused with its
//! file and line.

#[cfg(feature = "county")]
use std::process::Output;

use chrono::NaiveDate;
use jiedai::storage::Store;

#[cfg(feature = "county")]
use crate::county::{Station, staff};
use crate::support::cli;
#[cfg(feature = "county")]
use crate::support::county::County;

/// The sample station file with `[station]` lines changed, and beside it
/// `holidays.toml` holding `table`.
fn station_file(dir: &std::path::Path, table: &str) -> std::path::PathBuf {
    let text = std::fs::read_to_string(cli::sample("station.toml"))
        .unwrap()
        .replace(
            "reply_days = 15",
            "reply_working_days = 6\nholidays = \"holidays.toml\"",
        );
    cli::write(dir, "holidays.toml", table.as_bytes());
    cli::write(dir, "station.toml", text.as_bytes())
}

#[test]
fn a_station_counts_its_reply_days_by_its_own_table_and_a_broken_table_changes_nothing() {
    let files = tempfile::tempdir().unwrap();
    let data = tempfile::tempdir().unwrap();

    // A broken table: refused with its file and line, no station set up.
    let file = station_file(
        files.path(),
        "[[year]]\nyear = 2027\noff = [\n  \"2027-01-01\",\n  \"2027-02-30\",\n]\n",
    );
    let out = cli::expect(data.path(), &["init", "--station", cli::path(&file)], 2);
    let said = cli::printed(&out);
    let table = files.path().join("holidays.toml");
    assert!(
        said.contains(&format!("{} 第 5 行", table.display())) && said.contains("2027-02-30"),
        "{said}"
    );
    // Only the log (every command writes one).
    let left: Vec<_> = std::fs::read_dir(data.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(left, ["jiedai.log"], "{said}");

    // A table for 2027 (made up for the test, not the official
    // arrangement: only 2027-01-01 off) over the shipped 2025 and 2026.
    station_file(files.path(), "[[year]]\nyear = 2027\noff = [\"2027-01-01\"]\n");
    cli::expect(data.path(), &["init", "--station", cli::path(&file)], 0);
    let station = Store::open(data.path()).unwrap().station().unwrap().unwrap();
    assert_eq!((station.reply_days, station.reply_working_days), (None, Some(6)));
    let table = station.holidays();
    assert_eq!(table.years().collect::<Vec<_>>(), [2025, 2026, 2027]);
    let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
    // Registered Thu 2026-12-24, 6 working days: 12-25, 28, 29, 30, 31,
    // then Mon 2027-01-04 (01-01 off).
    assert_eq!(station.reply_due(day(2026, 12, 24), &table), Ok(day(2027, 1, 4)));
    // Registered Thu 2026-02-12: 02-13, Sat 02-14 (worked), 02-24 … 02-27.
    assert_eq!(station.reply_due(day(2026, 2, 12), &table), Ok(day(2026, 2, 27)));

    // Reconfiguring with a broken table keeps the station as it was.
    station_file(files.path(), "[[year]]\nyear = 2027\nof = []\n");
    let out = cli::expect(
        data.path(),
        &[
            "--lang",
            "en",
            "init",
            "--station",
            cli::path(&file),
            "--reconfigure",
        ],
        2,
    );
    assert!(
        cli::printed(&out).contains("holidays.toml line 3"),
        "{}",
        cli::printed(&out)
    );
    let kept = Store::open(data.path()).unwrap().station().unwrap().unwrap();
    assert_eq!(kept, station);
}

#[cfg(feature = "county")]
const HOUSING: &str = "青禾县住房和城乡建设局";

#[cfg(feature = "county")]
/// A staff command on `county` with the clock at `now` (an RFC 3339 instant).
fn staff_at(county: &County, now: &str, args: &[&str]) -> Output {
    county
        .command()
        .env("JIEDAI_NOW", now)
        .args(args)
        .output()
        .expect("the binary runs")
}

#[cfg(feature = "county")]
fn said(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[cfg(feature = "county")]
fn deadline(county: &County, code: &str) -> Option<String> {
    let text = staff(county, &["show", code, "--json"], 0);
    let held: serde_json::Value = serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("{e}: {text}"));
    held["deadline"].as_str().map(str::to_string)
}

#[cfg(feature = "county")]
#[test]
fn a_deadline_in_working_days_skips_the_holidays_and_an_uncovered_year_is_named() {
    let mut county = County::start(None);
    let st = Station::new(&county, 2);
    st.sync();
    let (first, second) = (st.codes[0].as_str(), st.codes[1].as_str());
    staff(&county, &["unit", "import"], 0);
    for code in [first, second] {
        staff(&county, &["accept", code], 0);
    }

    // Referred on Thu 2026-02-12 (10:00 in Shanghai) with 3 working days:
    // Fri 02-13, Sat 02-14 (a make-up working day), then nine days off for
    // the Spring Festival (02-15 to 02-23), Tue 02-24.
    let thursday = "2026-02-12T02:00:00Z";
    let out = staff_at(
        &county,
        thursday,
        &["refer", first, "--unit", HOUSING, "--working-days", "3"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    assert_eq!(deadline(&county, first).as_deref(), Some("2026-02-24"));

    // Two more working days past it: Wed 02-25, Thu 02-26.
    let out = staff_at(&county, thursday, &["extend", first, "--working-days", "2"]);
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    assert_eq!(deadline(&county, first).as_deref(), Some("2026-02-26"));

    // A date and a number of working days together are refused.
    let out = staff_at(
        &county,
        thursday,
        &[
            "refer",
            second,
            "--unit",
            HOUSING,
            "--due",
            "2026-03-01",
            "--working-days",
            "3",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", said(&out));

    // On Mon 2026-12-21, 10 working days reach into 2027, which the
    // shipped table does not cover: refused, naming 2027, nothing stored.
    let december = "2026-12-21T02:00:00Z";
    let refer_ten = ["refer", second, "--unit", HOUSING, "--working-days", "10"];
    let out = staff_at(&county, december, &refer_ten);
    assert_eq!(out.status.code(), Some(2), "{}", said(&out));
    assert!(said(&out).contains("没有 2027 年的放假安排"), "{}", said(&out));
    assert!(said(&out).contains("未做任何改动"), "{}", said(&out));
    let mut args = vec!["--lang", "en", "--data"];
    let data = county.path().to_str().unwrap().to_string();
    args.push(&data);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_jiedai"))
        .env("TZ", "UTC")
        .env("JIEDAI_NOW", december)
        .args(&args)
        .arg("county")
        .args(refer_ten)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", said(&out));
    assert!(
        said(&out).contains("the holiday table does not cover 2027"),
        "{}",
        said(&out)
    );
    assert_eq!(deadline(&county, second), None);
    let held = staff(&county, &["show", second, "--json"], 0);
    assert!(held.contains("\"status\":\"accepted\""), "{held}");

    // A broken table: `serve` names the file and the line and records
    // nothing (the running server keeps the county as it was).
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("holidays-2027.toml");
    std::fs::write(
        &broken,
        "[[year]]\nyear = 2027\noff = [\n  \"2027-01-01\",\n  \"2027-02-30\",\n]\n",
    )
    .unwrap();
    let out = county
        .command()
        .args(["serve", "--listen", "127.0.0.1:0", "--holidays"])
        .arg(&broken)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", said(&out));
    let words = said(&out);
    assert!(
        words.contains(&format!("{} 第 5 行", broken.display())) && words.contains("2027-02-30"),
        "{words}"
    );
    let out = staff_at(&county, december, &refer_ten);
    assert_eq!(out.status.code(), Some(2), "{}", said(&out));

    // The county's own table for 2027 (made up for the test, not the
    // official arrangement: 2027-01-01 off, Sat 2027-01-02 worked).
    // From Mon 12-21: 22, 23, 24, 25, 28, 29, 30, 31 (8), then Sat
    // 2027-01-02 (9) and Mon 01-04 (10).
    let own = dir.path().join("holidays.toml");
    std::fs::write(
        &own,
        "[[year]]\nyear = 2027\noff = [\"2027-01-01\"]\nwork = [\"2027-01-02\"]\n",
    )
    .unwrap();
    county.restart_with(&["--holidays", own.to_str().unwrap()]);
    let out = staff_at(&county, december, &refer_ten);
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    assert_eq!(deadline(&county, second).as_deref(), Some("2027-01-04"));
    // Kept: a later start without --holidays counts by it still.
    county.restart_with(&[]);
    let out = staff_at(&county, december, &["extend", second, "--working-days", "1"]);
    assert_eq!(out.status.code(), Some(0), "{}", said(&out));
    assert_eq!(deadline(&county, second).as_deref(), Some("2027-01-05"));
}
