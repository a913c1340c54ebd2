#![cfg(feature = "county")]
//! Citizens by QR, through the real binary: a county server on loopback,
//! its station and deputy pages' forms posted as a phone's browser posts
//! them (plain HTTP), the appeal and the booking down to the station's
//! terminal at its sync and on the kiosk's Today screen in a pty, the
//! progress link before and after the desk accepts; and a flood from one
//! address, limited while the county keeps serving its stations.

use crate::support::cli;
use crate::support::county::{County, get};
use crate::support::pty::{self, Pty, SIZE_100X30, ok};

use std::path::PathBuf;
use std::time::Duration;

const T: Duration = Duration::from_secs(10);
const STATION: &str = "330999012";

/// A terminal of the sample station, enrolled and synced once (so that
/// the county holds the station's configuration and deputies).
fn station(root: &std::path::Path, county: &County) -> PathBuf {
    let data = root.join("terminal");
    cli::expect(
        &data,
        &["init", "--station", cli::path(&cli::sample("station.toml"))],
        0,
    );
    cli::expect(
        &data,
        &["import", "deputies", cli::path(&cli::sample("deputies.csv"))],
        0,
    );
    let creds = root.join("credentials.toml");
    county.enroll(STATION, "柳岸社区人大代表联络站", &creds);
    cli::expect(&data, &["enroll", cli::path(&creds)], 0);
    cli::expect(&data, &["sync"], 0);
    data
}

/// The text between `start` and the next `end` after it.
fn between<'a>(page: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = page.find(start)? + start.len();
    let len = page[from..].find(end)?;
    Some(&page[from..from + len])
}

/// The answer to a page's question and its token.
fn solve(page: &str) -> (String, String) {
    let question = between(page, "验证：", " 等于几").unwrap_or_else(|| panic!("no question:\n{page}"));
    let (a, b) = question.split_once(" 加 ").unwrap();
    let sum = a.trim().parse::<u32>().unwrap() + b.trim().parse::<u32>().unwrap();
    let token = between(page, "name=\"token\" value=\"", "\"").unwrap();
    (sum.to_string(), token.to_string())
}

/// Posts a form, as a browser does; the status, the page and the client
/// address's `Retry-After`, if any.
fn post(url: &str, fields: &[(&str, &str)]) -> (u16, String) {
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent();
    let mut r = agent
        .post(url)
        .send_form(fields.iter().copied())
        .unwrap_or_else(|e| panic!("POST {url}: {e}"));
    (r.status().as_u16(), r.body_mut().read_to_string().unwrap())
}

/// The code shown on a received page, and the path of its progress link.
fn received(page: &str) -> (String, String) {
    let code = between(page, "<span class=\"code\">", "</span>").unwrap_or_else(|| panic!("{page}"));
    let link = between(page, "id=\"progress\" href=\"", "\"").unwrap();
    let path = &link[link.find(&format!("/{STATION}/t/")).unwrap()..];
    (code.to_string(), path.replace("&amp;", "&"))
}

#[test]
fn a_citizens_appeal_and_booking_reach_the_desk_and_the_link_works_throughout() {
    let root = tempfile::tempdir().unwrap();
    let county = County::start(None);
    let data = station(root.path(), &county);
    let base = county.url.clone();

    // The station's page: its form, and what is kept and who sees it.
    let (status, page) = get(&format!("{base}/{STATION}/"));
    assert_eq!(status, 200, "{page}");
    assert!(
        page.contains("<form method=\"post\"") && page.contains("谁能看到"),
        "{page}"
    );
    let (answer, token) = solve(&page);
    let content = "柳岸路北段路灯不亮<script>alert(1)</script>";
    let fields = [
        ("category", "urban"),
        ("content", content),
        ("location", "柳岸路北段"),
        ("name", "林晓"),
        ("phone", "139 0000 2222"),
        ("answer", answer.as_str()),
        ("token", token.as_str()),
    ];
    let (status, page) = post(&format!("{base}/{STATION}/ask"), &fields);
    assert_eq!(status, 200, "{page}");
    assert!(!page.contains("<script>alert"), "{page}");
    let (code, link) = received(&page);
    assert_eq!(
        code.split('-').nth(2).unwrap().chars().next(),
        Some('0'),
        "{code}"
    );
    assert!(page.contains("<svg"), "a QR code of the link");

    // The link works at once, before the station has seen it.
    let (status, progress) = get(&format!("{base}{link}"));
    assert_eq!(status, 200, "{progress}");
    assert!(progress.contains("aria-current=\"step\">登记受理"), "{progress}");
    assert!(
        !progress.contains("林晓") && !progress.contains("路灯不亮"),
        "{progress}"
    );

    // Sent again (a new question): folded into the first.
    let (_, page) = get(&format!("{base}/{STATION}/"));
    let (answer, token) = solve(&page);
    let again: Vec<(&str, &str)> = fields
        .iter()
        .map(|&(k, v)| match k {
            "answer" => (k, answer.as_str()),
            "token" => (k, token.as_str()),
            _ => (k, v),
        })
        .collect();
    let (status, page) = post(&format!("{base}/{STATION}/ask"), &again);
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("已经提交过了"), "{page}");
    assert_eq!(received(&page).0, code);

    // A wrong answer: the form again, what was typed kept (escaped).
    let (_, page) = get(&format!("{base}/{STATION}/"));
    let (_, token) = solve(&page);
    let wrong: Vec<(&str, &str)> = fields
        .iter()
        .map(|&(k, v)| match k {
            "answer" => (k, "100"),
            "token" => (k, token.as_str()),
            "content" => (k, "另一件事<b>加粗</b>"),
            _ => (k, v),
        })
        .collect();
    let (status, page) = post(&format!("{base}/{STATION}/ask"), &wrong);
    assert_eq!(status, 400, "{page}");
    assert!(page.contains("验证答案不对"), "{page}");
    assert!(page.contains("另一件事&lt;b&gt;加粗&lt;/b&gt;"), "{page}");

    // A body past the form's limit is refused before it is read.
    let long = "长".repeat(8_000);
    let (status, page) = post(
        &format!("{base}/{STATION}/ask"),
        &[("category", "other"), ("content", long.as_str())],
    );
    assert_eq!(status, 413);
    assert!(page.contains("太长"), "{page}");

    // A deputy's page: the duty record and a booking on a reception day.
    let (status, page) = get(&format!("{base}/{STATION}/d/D001"));
    assert_eq!(status, 200, "{page}");
    let deputy = between(&page, "<h1>", "代表</h1>").unwrap().to_string();
    assert!(
        page.contains("履职档案") && page.contains("进站接待选民日"),
        "{page}"
    );
    let day = between(&page, "<option value=\"\">不预约</option><option value=\"", "\"")
        .unwrap_or_else(|| panic!("no day to book:\n{page}"))
        .to_string();
    let (answer, token) = solve(&page);
    let booking = [
        ("category", "elderly"),
        ("content", "想当面反映社区食堂晚餐时间太早"),
        ("phone", "13900003333"),
        ("deputy", "D001"),
        ("meet_on", day.as_str()),
        ("answer", answer.as_str()),
        ("token", token.as_str()),
    ];
    let (status, page) = post(&format!("{base}/{STATION}/ask"), &booking);
    assert_eq!(status, 200, "{page}");
    assert!(page.contains(&day), "{page}");
    let (booked, _) = received(&page);

    // Down to the station at its sync: found, and on Today.
    cli::expect(&data, &["sync"], 0);
    let found = cli::expect(&data, &["find", "路灯不亮", "--json"], 0);
    assert!(
        cli::text(&found.stdout).contains(&code),
        "{}",
        cli::printed(&found)
    );
    let home = root.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let p = Pty::spawn(&["--data", cli::path(&data)], SIZE_100X30, &home);
    p.sign_in(T);
    let d_md = format!("{}-{}", &day[5..7], &day[8..10]);
    let today = ok(p.wait_for("网上来件·待受理", T));
    // The panel's width may cut the line after the deputy's first character.
    let first: String = deputy.chars().take(1).collect();
    assert!(today.contains(&format!("预约 {d_md} 见{first}")), "{today}");
    assert!(today.contains(&code) && today.contains(&booked), "{today}");
    // The desk accepts the citizen's appeal, with its deputy named.
    p.open_appeal_timeline(&code, T);
    let detail = ok(p.wait_for("诉求详情", T));
    assert!(detail.contains("来源：网上来件"), "{detail}");
    p.send("a");
    ok(p.wait_for("备注", T));
    p.key(pty::Key::Ctrl('s'));
    ok(p.wait_for("· 已受理", T));
    p.send("q");
    let mut p = p;
    assert!(p.wait_exit(T).is_some_and(|s| s.success()), "{}", p.screen());
    cli::expect(&data, &["sync"], 0);

    // The link after the station accepted.
    let (status, progress) = get(&format!("{base}{link}"));
    assert_eq!(status, 200, "{progress}");
    assert!(progress.contains("已受理"), "{progress}");
    // The terminal's journal replays to what its database holds.
    cli::expect(&data, &["check"], 0);
}

/// Many submissions from one address: after a few the client is told to
/// wait (429, `Retry-After`), nothing more is recorded, and a station syncs
/// meanwhile as before.
#[test]
fn a_flood_from_one_address_is_limited_while_stations_sync() {
    let root = tempfile::tempdir().unwrap();
    let county = County::start(None);
    let data = station(root.path(), &county);
    let base = county.url.clone();
    // The flood runs beside a station's sync.
    let flood = {
        let base = base.clone();
        std::thread::spawn(move || {
            let (mut limited, mut taken) = (0, 0);
            for i in 0..40 {
                let (_, page) = get(&format!("{base}/{STATION}/"));
                let Some((answer, token)) = page.contains("等于几").then(|| solve(&page)) else {
                    limited += 1;
                    continue;
                };
                let content = format!("第 {i} 条重复灌水内容");
                let (status, _) = post(
                    &format!("{base}/{STATION}/ask"),
                    &[
                        ("category", "other"),
                        ("content", content.as_str()),
                        ("answer", answer.as_str()),
                        ("token", token.as_str()),
                    ],
                );
                match status {
                    200 => taken += 1,
                    429 => limited += 1,
                    other => panic!("status {other}"),
                }
            }
            (limited, taken)
        })
    };
    for _ in 0..3 {
        let out = cli::expect(&data, &["sync"], 0);
        assert!(
            cli::text(&out.stdout).contains("同步完成"),
            "{}",
            cli::printed(&out)
        );
    }
    let (limited, taken) = flood.join().unwrap();
    assert!((1..=5).contains(&taken), "{taken} taken");
    assert!(limited >= 30, "{limited} limited");
    // And after it.
    let out = cli::expect(&data, &["sync"], 0);
    assert!(
        cli::text(&out.stdout).contains("同步完成"),
        "{}",
        cli::printed(&out)
    );
    let listed = county.run(&["appeals", "--station", STATION, "--json"]);
    let lines = cli::text(&listed.stdout).lines().count();
    assert_eq!(lines, taken, "only what was taken is recorded");
}
