#![cfg(feature = "county")]
//! The console's dashboard through the real binary: two stations sync
//! the sample appeals and the county takes steps; the figures each table
//! downloads (CSV parsed back, xlsx opened) are those worked out here from
//! the county's machine-readable export; the charts are well-formed SVG
//! carrying their labels; a viewer sees the county's figures, a unit only
//! its own; without a session nothing is shown.

use crate::support::cli;
use crate::support::console::{Browser, add_user};
use crate::support::county::County;
use crate::support::postgres;

use std::collections::BTreeMap;

use chrono::{Datelike, Months, NaiveDate};
use cli::{expect, path};
use jiedai::domain::{Category, Status};

const ONE: &str = "330999012";
const TWO: &str = "330999013";

/// The county's appeals as its staff commands give them: the listing's
/// fields (station, code, status…) joined with the export's (history,
/// satisfaction, registration time), by code.
fn held(county: &County) -> Vec<serde_json::Value> {
    let out = county.run(&["export", "--format", "jsonl"]);
    assert!(out.status.success(), "{}", cli::printed(&out));
    let exported: BTreeMap<String, serde_json::Value> = cli::text(&out.stdout)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            (v["code"].as_str().unwrap().to_string(), v)
        })
        .collect();
    [ONE, TWO]
        .iter()
        .flat_map(|s| crate::sync::county_appeals(county, s))
        .map(|mut listed| {
            let code = listed["code"].as_str().unwrap().to_string();
            let more = &exported[&code];
            for key in ["history", "satisfaction_code", "timestamp"] {
                listed[key] = more[key].clone();
            }
            listed
        })
        .collect()
}

fn text<'a>(v: &'a serde_json::Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or("")
}

/// Today in the county's zone (Asia/Shanghai, the default).
fn today() -> NaiveDate {
    (chrono::Utc::now() + chrono::Duration::hours(8)).date_naive()
}

/// The tables the dashboard downloads, worked out from `appeals`: each
/// chart's rows as the CSV holds them (headers first).
fn expected(
    appeals: &[&serde_json::Value],
    names: &BTreeMap<&str, &str>,
) -> BTreeMap<&'static str, Vec<Vec<String>>> {
    let row = |cells: &[&str]| cells.iter().map(|c| c.to_string()).collect::<Vec<_>>();
    let count = |key: &dyn Fn(&serde_json::Value) -> Option<String>| {
        let mut counts: BTreeMap<String, u64> = BTreeMap::new();
        for a in appeals {
            if let Some(k) = key(a) {
                *counts.entry(k).or_default() += 1;
            }
        }
        counts
    };
    // Most first, then by key.
    let ranked = |counts: BTreeMap<String, u64>| {
        let mut v: Vec<(String, u64)> = counts.into_iter().collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        v
    };
    let mut tables = BTreeMap::new();

    let by_status = count(&|a| Some(text(a, "status").to_string()));
    let mut status = vec![row(&["办理状态", "诉求数"])];
    for s in Status::ALL {
        status.push(row(&[
            s.zh(),
            &by_status.get(s.code()).copied().unwrap_or(0).to_string(),
        ]));
    }
    tables.insert("status", status);

    let mut category = vec![row(&["诉求类别", "诉求数"])];
    for (code, n) in ranked(count(&|a| Some(text(a, "category").to_string()))) {
        category.push(row(&[Category::parse(&code).unwrap().zh(), &n.to_string()]));
    }
    tables.insert("category", category);

    let mut station = vec![row(&["站点代码", "联络站", "诉求数"])];
    for (code, n) in ranked(count(&|a| Some(text(a, "station").to_string()))) {
        station.push(row(&[&code, names[code.as_str()], &n.to_string()]));
    }
    tables.insert("station", station);

    let mut unit = vec![row(&["承办单位", "诉求数"])];
    for (name, n) in ranked(count(&|a| a["unit"].as_str().map(str::to_string))) {
        unit.push(row(&[&name, &n.to_string()]));
    }
    tables.insert("unit", unit);

    let by_month = count(&|a| Some(text(a, "timestamp")[..7].to_string()));
    let this_month = today().with_day(1).unwrap();
    let mut month = vec![row(&["月份", "诉求数"])];
    for back in (0..12).rev() {
        let m = this_month
            .checked_sub_months(Months::new(back))
            .unwrap()
            .format("%Y-%m")
            .to_string();
        month.push(row(&[&m, &by_month.get(&m).copied().unwrap_or(0).to_string()]));
    }
    tables.insert("month", month);

    // The rates, as the dashboard counts them: replied on the day of the
    // last applied step to 已答复, by the deadline.
    let replied_on = |a: &serde_json::Value| -> Option<String> {
        a["history"]
            .as_array()
            .unwrap()
            .iter()
            .rev()
            .find(|h| h["to"] == "replied" && h.get("not_applied").is_none())
            .map(|h| text(h, "at")[..10].to_string())
    };
    let total = appeals.len() as u64;
    let closed = appeals.iter().filter(|a| text(a, "status") == "closed").count() as u64;
    let with_deadline: Vec<(String, String)> = appeals
        .iter()
        .filter_map(|a| Some((replied_on(a)?, a["deadline"].as_str()?.to_string())))
        .collect();
    let on_time = with_deadline.iter().filter(|(r, d)| r <= d).count() as u64;
    let rated = appeals
        .iter()
        .filter(|a| !text(a, "satisfaction_code").is_empty())
        .count() as u64;
    let satisfied = appeals
        .iter()
        .filter(|a| matches!(text(a, "satisfaction_code"), "satisfied" | "basic"))
        .count() as u64;
    let today = today().to_string();
    let overdue = appeals
        .iter()
        .filter(|a| {
            matches!(text(a, "status"), "referred" | "in_progress")
                && a["deadline"].as_str().is_some_and(|d| d < today.as_str())
        })
        .count() as u64;
    let shown = |num: u64, den: u64| {
        if den == 0 {
            "—".to_string()
        } else {
            format!("{:.1}%", num as f64 * 100.0 / den as f64)
        }
    };
    let rate = |name: &str, num: u64, den: u64| {
        vec![
            name.to_string(),
            shown(num, den),
            num.to_string(),
            den.to_string(),
        ]
    };
    tables.insert(
        "rates",
        vec![
            row(&["指标", "数值", "分子", "分母"]),
            row(&["诉求总数", &total.to_string(), "", ""]),
            rate("办结率", closed, total),
            rate("按期办结率", on_time, with_deadline.len() as u64),
            rate("满意率", satisfied, rated),
            row(&["当前逾期", &overdue.to_string(), "", ""]),
        ],
    );
    tables
}

/// An answer: status, content type, body.
struct Got {
    status: u16,
    kind: String,
    location: String,
    body: Vec<u8>,
}

impl Got {
    fn text(&self) -> String {
        String::from_utf8(self.body.clone()).unwrap()
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .max_redirects(0)
        .build()
        .new_agent()
}

fn get(county: &County, at: &str, cookie: Option<&str>) -> Got {
    let mut request = agent().get(format!("{}{at}", county.url));
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    let mut r = request.call().unwrap_or_else(|e| panic!("GET {at}: {e}"));
    let header = |name: &str| {
        r.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let (kind, location) = (header("content-type"), header("location"));
    Got {
        status: r.status().as_u16(),
        kind,
        location,
        body: r.body_mut().read_to_vec().unwrap(),
    }
}

/// Logs in; the session's cookie.
fn login(county: &County, name: &str) -> String {
    let mut browser = Browser::new(county);
    assert_eq!(browser.login(name).status, 303, "login {name}");
    format!("jiedai_session={}", browser.cookies["jiedai_session"])
}

/// A download's CSV, read back (the byte-order mark first).
fn csv_rows(got: &Got) -> Vec<Vec<String>> {
    assert_eq!(got.status, 200);
    assert!(got.kind.starts_with("text/csv"), "{}", got.kind);
    let body = got
        .body
        .strip_prefix(b"\xEF\xBB\xBF")
        .expect("a byte-order mark for Excel");
    let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(body);
    reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect()
}

/// Each table's CSV, the key figures' without their last column (how each
/// is counted, in words).
fn downloaded(county: &County, cookie: &str) -> BTreeMap<&'static str, Vec<Vec<String>>> {
    ["rates", "status", "category", "station", "unit", "month"]
        .into_iter()
        .map(|chart| {
            let got = get(
                county,
                &format!("/office/dashboard?chart={chart}&format=csv"),
                Some(cookie),
            );
            let mut rows = csv_rows(&got);
            if chart == "rates" {
                rows.iter_mut().for_each(|r| r.truncate(4));
            }
            (chart, rows)
        })
        .collect()
}

/// Whether `svg` is well-formed: every tag closed in order, attributes
/// quoted, no bare `<` or `&` in text.
fn well_formed(svg: &str) -> bool {
    let mut open: Vec<&str> = Vec::new();
    let mut rest = svg;
    while let Some(start) = rest.find('<') {
        let text = &rest[..start];
        if text.contains('>') || text.split('&').skip(1).any(|e| !e.contains(';')) {
            return false;
        }
        let Some(end) = rest[start..].find('>') else {
            return false;
        };
        let tag = &rest[start + 1..start + end];
        if !tag.matches('"').count().is_multiple_of(2) {
            return false;
        }
        if let Some(name) = tag.strip_prefix('/') {
            if open.pop() != Some(name.trim()) {
                return false;
            }
        } else if !tag.ends_with('/') && !tag.starts_with('?') && !tag.starts_with('!') {
            open.push(tag.split_whitespace().next().unwrap_or(""));
        }
        rest = &rest[start + end + 1..];
    }
    open.is_empty() && rest.trim().is_empty()
}

fn the_dashboard_counts_what_the_county_holds(db: Option<String>) {
    let root = tempfile::tempdir().unwrap();
    let county = County::start(db.as_deref());
    // The sample's later appeals are still open, some of them overdue.
    let one = crate::sync::station(root.path(), ONE, 290, 345);
    let two = crate::sync::station(root.path(), TWO, 250, 280);
    let names = BTreeMap::from([(ONE, "柳岸社区人大代表联络站"), (TWO, "桃源社区人大代表联络站")]);
    for (dir, code) in [(&one, ONE), (&two, TWO)] {
        let creds = root.path().join(format!("{code}.toml"));
        county.enroll(code, names[code], &creds);
        expect(dir, &["enroll", path(&creds)], 0);
        expect(dir, &["sync"], 0);
    }
    // The catalogue holds the stations' units and the one referred to.
    let ensure_unit = |name: &str| {
        let listed = county.run(&["unit", "list"]);
        if !cli::printed(&listed).contains(name) {
            county.add_units(&[name]);
        }
    };
    let imported = county.run(&["unit", "import"]);
    assert!(imported.status.success(), "{}", cli::printed(&imported));
    ensure_unit("青禾县交通运输局");
    // The county's own steps: one appeal accepted and referred.
    let all = held(&county);
    let registered = all
        .iter()
        .find(|a| text(a, "status") == "registered")
        .map(|a| text(a, "code").to_string())
        .expect("a registered appeal");
    for step in [
        vec!["accept", registered.as_str()],
        vec![
            "refer",
            &registered,
            "--unit",
            "青禾县交通运输局",
            "--due",
            "2099-12-31",
        ],
    ] {
        let out = county.run(&step);
        assert!(out.status.success(), "{step:?}: {}", cli::printed(&out));
    }
    let all = held(&county);
    let everything: Vec<&serde_json::Value> = all.iter().collect();
    let want = expected(&everything, &names);
    // The unit with most appeals, and its own.
    let unit = want["unit"][1][0].clone();
    let its: Vec<&serde_json::Value> = all.iter().filter(|a| a["unit"] == unit.as_str()).collect();
    let want_unit = expected(&its, &names);

    add_user(&county, "王科员", "office", None);
    add_user(&county, "赵主任", "viewer", None);
    // The unit's account names a unit of the catalogue.
    ensure_unit(&unit);
    add_user(&county, "李工", "unit", Some(&unit));

    // Without a session: to the login page, nothing shown.
    let refused = get(&county, "/office/dashboard", None);
    assert_eq!(refused.status, 303);
    assert!(
        refused.location.starts_with("/office/login"),
        "{}",
        refused.location
    );
    for at in [
        "/office/dashboard?chart=status&format=csv",
        "/office/dashboard/status.svg",
    ] {
        let refused = get(&county, at, None);
        assert_eq!(refused.status, 303, "{at}");
        assert!(!refused.text().contains("已办结"), "{at}");
    }

    let office = login(&county, "王科员");
    let page = get(&county, "/office/dashboard", Some(&office));
    assert_eq!(page.status, 200);
    let html = page.text();
    for shown in [
        "办结率",
        "按期办结率",
        "满意率",
        "当前逾期",
        names[ONE],
        names[TWO],
        "<svg",
        "format=xlsx",
    ] {
        assert!(html.contains(shown), "the page lacks {shown}");
    }
    assert_eq!(downloaded(&county, &office), want);

    // The same figures as xlsx, with Chinese headers.
    let got = get(
        &county,
        "/office/dashboard?chart=station&format=xlsx",
        Some(&office),
    );
    assert_eq!(got.status, 200);
    assert!(got.kind.contains("spreadsheetml"), "{}", got.kind);
    let book = root.path().join("station.xlsx");
    std::fs::write(&book, &got.body).unwrap();
    let sheets = crate::county::xlsx_text(&book);
    for cell in ["站点代码", "联络站", "诉求数", names[ONE], names[TWO], ONE, TWO] {
        assert!(sheets.contains(cell), "the workbook lacks {cell}");
    }
    // Codes stay text, counts are numbers.
    assert!(!sheets.contains(&format!("<v>{ONE}</v>")), "{sheets}");
    let counts = &want["station"][1..];
    for row in counts {
        assert!(sheets.contains(&format!("<v>{}</v>", row[2])), "{row:?}");
    }

    // Each chart by itself: SVG, well-formed, its labels and counts.
    for (chart, label) in [
        ("status", "已办结"),
        ("category", Category::parse(&want["category"][1][0]).unwrap().zh()),
        ("station", names[ONE]),
        ("unit", unit.as_str()),
        ("month", &want["month"][12][0]),
    ] {
        let got = get(&county, &format!("/office/dashboard/{chart}.svg"), Some(&office));
        assert_eq!(got.status, 200, "{chart}");
        assert_eq!(got.kind, "image/svg+xml", "{chart}");
        let svg = got.text();
        assert!(well_formed(&svg), "{chart}: {svg}");
        assert!(svg.contains(label), "{chart} lacks {label}: {svg}");
        for row in &want[chart][1..] {
            assert!(
                svg.contains(&format!("\n{}\n</text>", row.last().unwrap())),
                "{chart} {row:?}"
            );
        }
    }
    assert_eq!(
        get(&county, "/office/dashboard/nothing.svg", Some(&office)).status,
        404
    );

    // A viewer sees the county's figures; a unit its own alone.
    let viewer = login(&county, "赵主任");
    assert_eq!(get(&county, "/office/dashboard", Some(&viewer)).status, 200);
    assert_eq!(downloaded(&county, &viewer), want);
    let unit_staff = login(&county, "李工");
    let page = get(&county, "/office/dashboard", Some(&unit_staff)).text();
    assert!(page.contains(&unit), "{page}");
    let theirs = downloaded(&county, &unit_staff);
    assert_eq!(theirs, want_unit);
    assert_eq!(theirs["unit"].len(), 2, "{:?}", theirs["unit"]);
    assert_ne!(theirs["rates"], want["rates"]);

    // In English on asking: English headers, the same counts.
    let got = get(
        &county,
        "/office/dashboard?chart=status&format=csv&lang=en",
        Some(&office),
    );
    let rows = csv_rows(&got);
    assert_eq!(rows[0], ["Status", "Appeals"]);
    assert_eq!(rows[6][0], "Closed");
    assert_eq!(rows[6][1], want["status"][6][1]);
}

#[test]
fn the_dashboard_counts_what_the_county_holds_on_sqlite() {
    the_dashboard_counts_what_the_county_holds(None);
}

#[test]
fn the_dashboard_counts_what_the_county_holds_on_postgres() {
    the_dashboard_counts_what_the_county_holds(Some(
        postgres::shared().url("the_dashboard_counts_what_the_county_holds"),
    ));
}
