#![cfg(feature = "county")]
//! The county's pages in a real browser (headless Chromium through
//! WebDriver), end to end with the real binary: stations that sync, the
//! console's roles, and screenshots of its pages at 1280x800.

use crate::support::browser::Browser;
use crate::support::cli::{self, expect, path, sample};
use crate::support::console::{self, PASSWORD};
use crate::support::county::County;
use crate::support::postgres;

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

const ONE: &str = "330999012";
const ONE_NAME: &str = "柳岸社区人大代表联络站";
const TWO: &str = "330999013";
const TWO_NAME: &str = "桃源社区人大代表联络站";
/// The unit the clerk refers to: in the catalogue, and no appeal of the
/// stations names it before.
const HOUSING: &str = "青禾县住房和城乡建设局";
/// A unit the stations' appeals already name (two of them).
const HEALTH: &str = "青禾县卫生健康局";

/// A county with two enrolled stations that have synced their appeals
/// (the sample's rows 300 to 310 and 310 to 320), a unit catalogue, and
/// an account per role: the office clerk 王科员, the housing bureau's
/// 李工, the health bureau's 赵医生 and the viewer 陈主任.
struct Console {
    _root: tempfile::TempDir,
    county: County,
    one: PathBuf,
}

impl Console {
    fn start(db: Option<String>) -> Console {
        let root = tempfile::tempdir().unwrap();
        let county = County::start(db.as_deref());
        let one = station(&county, root.path(), ONE, ONE_NAME, 300, 310);
        station(&county, root.path(), TWO, TWO_NAME, 310, 320);
        let c = Console {
            _root: root,
            county,
            one,
        };
        c.county.add_units(&[HOUSING]);
        c.county_ok(&["unit", "import"]);
        for (name, role, unit) in [
            ("王科员", "office", None),
            ("李工", "unit", Some(HOUSING)),
            ("赵医生", "unit", Some(HEALTH)),
            ("陈主任", "viewer", None),
        ] {
            console::add_user(&c.county, name, role, unit);
        }
        c
    }

    /// Runs a county command that must succeed; what it printed.
    fn county_ok(&self, args: &[&str]) -> String {
        let out = self.county.run(args);
        assert!(out.status.success(), "county {args:?}:\n{}", cli::printed(&out));
        cli::text(&out.stdout)
    }

    /// The code of the county's appeal with this title at `station`.
    fn code(&self, station: &str, title: &str) -> String {
        let listed = self.county_ok(&["appeals", "--station", station, "--json"]);
        listed
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .find(|a| a["title"] == title)
            .and_then(|a| a["code"].as_str().map(str::to_string))
            .unwrap_or_else(|| panic!("no appeal {title:?} at {station}:\n{listed}"))
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.county.url)
    }

    /// A browser signed in to the console as `name`.
    fn browser(&self, name: &str) -> Browser {
        let b = Browser::start();
        self.sign_in(&b, name);
        b
    }

    /// Signs in as `name` on the login page.
    fn sign_in(&self, b: &Browser, name: &str) {
        b.open(&self.url("/office/login"));
        let form = "form[action=\"/office/login\"]";
        b.fill_in(form, "name", name);
        b.fill_in(form, "password", PASSWORD);
        b.submit(form);
        assert_ne!(b.path(), "/office/login", "{name} signed in:\n{}", b.text());
        assert!(b.text().contains(name), "the page names {name}:\n{}", b.text());
    }

    /// Signs out with the button every page carries.
    fn sign_out(&self, b: &Browser) {
        b.submit("form[action=\"/office/logout\"]");
        b.open(&self.url("/office/queue"));
        assert_eq!(b.path(), "/office/login", "signed out:\n{}", b.text());
    }
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

/// On a phone 360 px wide, in large type: a citizen opens the station's
/// page, sends an appeal through its form, gets the code and the link, and
/// the progress page shows the loop at a glance; nothing is wider than
/// the screen, and each page is kept as a screenshot.
#[test]
fn a_citizen_on_a_phone_sends_an_appeal_and_follows_it() {
    let root = tempfile::tempdir().unwrap();
    let county = County::start(None);
    station(&county, root.path(), "330999012", "柳岸社区人大代表联络站", 0, 0);
    let b = Browser::start();
    b.resize_viewport(360, 740);
    let fits = |what: &str| {
        let overflow = b.eval("return document.documentElement.scrollWidth - window.innerWidth;");
        assert!(
            overflow.as_i64().unwrap_or(1) <= 0,
            "{what} is wider than the phone: {overflow}"
        );
        let size = b.eval("return parseFloat(getComputedStyle(document.body).fontSize);");
        assert!(size.as_f64().unwrap_or(0.0) >= 18.0, "{what}: type of {size} px");
    };
    b.open(&format!("{}/330999012/", county.url));
    assert_eq!(b.status(), 200);
    b.wait_text("反映问题、提出意见建议");
    fits("the station's page");
    b.scroll_to("#ask");
    let shot = b.screenshot("public-ask-360");
    assert_eq!(png_size(&shot).0, 360, "{}", shot.display());
    let question = b.texts("label[for=answer]").join("");
    let numbers: Vec<u32> = question
        .split(|c: char| !c.is_ascii_digit())
        .filter_map(|n| n.parse().ok())
        .collect();
    assert_eq!(numbers.len(), 2, "{question}");
    b.fill("category", "城市管理");
    b.fill("content", "柳岸路北段路灯不亮，晚上走路看不见");
    b.fill("phone", "13900002222");
    b.fill("answer", &(numbers[0] + numbers[1]).to_string());
    b.submit("form");
    let text = b.wait_text("已收到");
    fits("the received page");
    let code = b.texts(".code").join("");
    assert!(text.contains(&code) && code.starts_with("2"), "{text}");
    let link = b.attr(&b.find("#progress"), "href").unwrap();
    let path = &link[link.find("/330999012/t/").unwrap()..];
    b.screenshot("public-received-360");
    b.open(&format!("{}{path}", county.url));
    assert_eq!(b.status(), 200);
    b.wait_text("诉求办理进度");
    fits("the progress page");
    assert_eq!(b.texts("ol.loop li").len(), 5);
    assert_eq!(b.texts("ol.loop li[aria-current=step]"), ["登记受理"]);
    let text = b.text();
    assert!(
        text.contains("柳岸路88号") && text.contains("09:00-11:30"),
        "{text}"
    );
    assert!(
        !text.contains("13900002222") && !text.contains("路灯不亮"),
        "{text}"
    );
    let shot = b.screenshot("public-progress-360");
    assert_eq!(png_size(&shot).0, 360, "{}", shot.display());
}

/// The width and height of a PNG file (its IHDR chunk).
fn png_size(file: &Path) -> (u32, u32) {
    let bytes = std::fs::read(file).unwrap();
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{} is a PNG", file.display());
    let word = |at: usize| u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap());
    (word(16), word(20))
}

/// The appeal's history at the station, as its export holds it.
fn station_history(dir: &Path, code: &str) -> Vec<serde_json::Value> {
    let out = expect(dir, &["export", "appeals", "--format", "jsonl"], 0);
    let appeal = cli::text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .find(|a| a.to_string().contains(code))
        .unwrap_or_else(|| panic!("{code} is not at the station {}", dir.display()));
    let history = appeal
        .get("history")
        .or_else(|| appeal.get("历史"))
        .cloned()
        .unwrap_or_else(|| panic!("no history in {appeal}"));
    match history {
        serde_json::Value::Array(entries) => entries,
        serde_json::Value::String(text) => serde_json::from_str(&text).unwrap(),
        other => panic!("history {other}"),
    }
}

/// The appeal's timeline in the kiosk (the appeals screen, searched by
/// code, the appeal opened and scrolled to its end), once it shows `want`.
fn kiosk_timeline(dir: &Path, code: &str, want: &str) -> String {
    use crate::support::pty::{Key, Pty, Size, ok};
    const T: std::time::Duration = std::time::Duration::from_secs(15);
    let home = tempfile::tempdir().unwrap();
    let mut p = Pty::spawn(&["--data", path(dir)], Size { cols: 120, rows: 40 }, home.path());
    p.sign_in(T);
    p.open_appeal_timeline(code, T);
    let screen = ok(p.wait_for(want, T));
    p.key(Key::Esc);
    p.send("q");
    assert!(p.wait_exit(T).is_some_and(|s| s.success()), "{}", p.screen());
    screen
}

/// The appeal's public progress address (its receipt's QR code).
fn progress_url(county: &County, dir: &Path, code: &str) -> String {
    let store = jiedai::storage::Store::open_with(dir, jiedai::storage::Mode::Read, &|_, _| {}).unwrap();
    let appeal = store.appeal(code).unwrap().expect("the appeal at the station");
    format!("{}/t/{code}?k={}", county.url, appeal.access_key)
}

/// The appeal the loop works on: station one's, still 已登记.
const WEEKEND: &str = "建议联络站周末也开放";
/// A 已登记 appeal of station two.
const PROPERTY: &str = "枫林苑物业费收费纠纷";
/// Station one's appeals referred by the station to the health bureau.
const CLINIC: &str = "希望社区卫生站延长服务时间";
const MEDICINE: &str = "慢性病药品社区配不到";
/// Station one's appeal referred to the education bureau.
const TUTORING: &str = "学校周边违规校外培训";
const REPLY: &str = "经核实，联络站自下月起每月第一个周六上午开放接待。";
const DOCUMENT: &str = "青建函〔2026〕18号";

/// The codes in the rows of the page's table of appeals.
fn listed_codes(b: &Browser) -> Vec<String> {
    b.texts("table.queue tbody tr td:first-child")
}

/// The forms of the page that post something, but the logout's.
fn step_forms(b: &Browser) -> Vec<String> {
    b.all("main form[method=post], form.step")
        .iter()
        .filter_map(|f| b.attr(f, "id").or_else(|| b.attr(f, "action")))
        .filter(|f| !f.ends_with("/logout"))
        .collect()
}

#[test]
fn an_office_clerk_works_the_queue_and_an_appeal() {
    let c = Console::start(None);
    let b = c.browser("王科员");
    b.open(&c.url("/office/queue"));
    let text = b.wait_text("共 20 条");
    assert!(text.contains(ONE_NAME) && text.contains(TWO_NAME), "{text}");
    assert_eq!(listed_codes(&b).len(), 20, "{text}");
    // No visitor's name nor phone in the queue.
    assert!(!text.contains("袁艳宁") && !text.contains("159000042"), "{text}");
    b.screenshot("console-queue");
    // The search box goes straight to a code's appeal.
    let code = c.code(ONE, WEEKEND);
    b.fill_in("form.search", "q", &code);
    b.submit("form.search");
    assert_eq!(b.path(), format!("/office/a/{code}"));
    let text = b.wait_text(WEEKEND);
    assert!(text.contains(ONE_NAME), "{text}");
    assert!(!text.contains("袁艳宁"), "the visitor is masked:\n{text}");
    // A registered appeal: the office may accept it (or show the
    // visitor), nothing else yet.
    let mut forms = step_forms(&b);
    forms.sort();
    assert_eq!(forms, [format!("/office/a/{code}/reveal").as_str(), "accept"]);
    b.submit("form#accept");
    let text = b.wait_text("已受理");
    assert!(text.contains("[县]") && text.contains("王科员"), "{text}");
    let forms = step_forms(&b);
    assert!(forms.iter().any(|f| f == "refer"), "{forms:?}");
    assert!(!forms.iter().any(|f| f == "reply" || f == "return"), "{forms:?}");
    b.screenshot("console-appeal");
    b.scroll_to("form#refer");
    b.screenshot("console-appeal-steps");
}

#[test]
fn a_unit_sees_only_its_own_appeals() {
    let c = Console::start(None);
    let b = c.browser("赵医生");
    b.open(&c.url("/office/unit"));
    b.wait_text(HEALTH);
    let mut listed = listed_codes(&b);
    listed.sort();
    let mut own = vec![c.code(ONE, CLINIC), c.code(ONE, MEDICINE)];
    own.sort();
    assert_eq!(listed, own, "{}", b.text());
    // Its own appeal opens with the unit's steps.
    b.open(&c.url(&format!("/office/a/{}", own[0])));
    assert_eq!(b.status(), 200);
    let forms = step_forms(&b);
    assert!(forms.iter().any(|f| f == "reply"), "{forms:?}");
    assert!(!forms.iter().any(|f| f == "refer" || f == "accept"), "{forms:?}");
    // Another unit's appeal, and one referred to nobody, are not there.
    for other in [c.code(ONE, TUTORING), c.code(TWO, PROPERTY)] {
        b.open(&c.url(&format!("/office/a/{other}")));
        assert_eq!(b.status(), 404, "{other}: {}", b.text());
        assert!(!b.text().contains(TUTORING), "{}", b.text());
    }
    // The work queue is the office's.
    b.open(&c.url("/office/queue"));
    assert_ne!(b.status(), 200, "{}", b.text());
}

#[test]
fn a_viewer_reads_the_queue_and_the_figures_and_changes_nothing() {
    let c = Console::start(None);
    let b = c.browser("陈主任");
    b.open(&c.url("/office/queue"));
    b.wait_text("共 20 条");
    b.open(&c.url(&format!("/office/a/{}", c.code(ONE, WEEKEND))));
    b.wait_text(WEEKEND);
    assert_eq!(step_forms(&b), Vec::<String>::new(), "{}", b.source());
    b.open(&c.url("/office/dashboard"));
    assert_eq!(b.status(), 200);
    let text = b.wait_text("办结率");
    assert!(text.contains(ONE_NAME), "{text}");
    b.screenshot("console-dashboard");
    // English, kept by the browser for the next pages.
    b.follow("English");
    let text = b.wait_text("Log out");
    assert!(text.contains("Figures"), "{text}");
    b.open(&c.url("/office/queue"));
    b.wait_text("Log out");
    b.follow("中文");
    b.wait_text("退出");
}

/// Two stations sync; the office clerk accepts an appeal and refers it to
/// a unit picked from the catalogue; the unit sees only that appeal and
/// replies with a document number; the station syncs and its timeline,
/// and the public progress page, show it.
fn the_whole_loop(db: Option<String>) {
    let c = Console::start(db);
    let code = c.code(ONE, WEEKEND);
    let page = c.url(&format!("/office/a/{code}"));
    // One browser for the clerk, the unit and the visitor.
    let b = c.browser("王科员");
    b.open(&page);
    b.submit("form#accept");
    b.wait_text("已受理");
    // The units' list, narrowed by pinyin initials as they are typed…
    b.fill_in("form.unit-filter", "unit_filter", "qhxzf");
    let shown = b.wait_for("the units' list narrowed to one", || {
        let shown = b.eval(
            "return Array.from(document.querySelectorAll('form#refer select[name=unit] option'))\
             .filter(o => o.value && !o.hidden).map(o => o.textContent);",
        );
        (shown.as_array().map(Vec::len) == Some(1)).then_some(shown)
    });
    assert!(shown[0].as_str().unwrap_or_default().contains(HOUSING), "{shown}");
    // …and by the page again without its script.
    b.submit("form.unit-filter");
    let units = b.texts("form#refer select[name=unit] option");
    assert!(units.iter().any(|u| u.contains(HOUSING)), "{units:?}");
    assert!(!units.iter().any(|u| u.contains(HEALTH)), "{units:?}");
    let housing = units.iter().find(|u| u.contains(HOUSING)).unwrap().clone();
    b.fill_in("form#refer", "unit", &housing);
    b.fill_in("form#refer", "deadline", "2099-01-31");
    b.fill_in("form#refer", "note", "请与联络站商定周末接待安排。");
    b.submit("form#refer");
    let text = b.wait_text("已交办");
    assert!(text.contains(HOUSING), "{text}");
    c.sign_out(&b);
    c.sign_in(&b, "李工");
    b.open(&c.url("/office/unit"));
    b.wait_text(HOUSING);
    assert_eq!(listed_codes(&b), std::slice::from_ref(&code), "{}", b.text());
    b.follow(&code);
    b.wait_text(WEEKEND);
    b.fill_in("form#reply", "reply", REPLY);
    b.fill_in("form#reply", "document", DOCUMENT);
    b.submit("form#reply");
    let text = b.wait_text("已答复");
    assert!(text.contains(DOCUMENT), "{text}");
    // The console's timeline names the clerk and the unit's person.
    assert!(text.contains("王科员") && text.contains("李工"), "{text}");
    sync(&c.one);
    // The station holds each step with the person who took it.
    let steps: Vec<(String, String)> = station_history(&c.one, &code)
        .iter()
        .map(|e| {
            (
                e["actor"].as_str().unwrap_or_default().to_string(),
                e["step"]["step"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let unit_person = format!("{HOUSING}·李工");
    for want in [
        ("王科员", "accept"),
        ("王科员", "refer"),
        (unit_person.as_str(), "reply"),
    ] {
        assert!(
            steps.iter().any(|(a, s)| a == want.0 && s == want.1),
            "{want:?} in {steps:?}"
        );
    }
    let reply = station_history(&c.one, &code)
        .into_iter()
        .find(|e| e["step"]["step"] == "reply")
        .unwrap();
    assert_eq!(reply["step"]["reply"], REPLY, "{reply}");
    assert_eq!(reply["step"]["document"], DOCUMENT, "{reply}");
    // The kiosk's timeline names them.
    let screen = kiosk_timeline(&c.one, &code, &format!("[县] {unit_person}"));
    assert!(screen.contains("[县] 王科员 · 交办"), "{screen}");
    // The public progress page, as the visitor's phone opens it.
    c.sign_out(&b);
    b.open(&progress_url(&c.county, &c.one, &code));
    let text = b.wait_text(REPLY);
    assert!(text.contains(HOUSING) && text.contains("已答复"), "{text}");
    // Who took the county's steps: the clerk, the unit and its person.
    assert!(text.contains("交办 · 王科员"), "{text}");
    assert!(text.contains(&format!("答复 · {unit_person}")), "{text}");
    assert!(!text.contains("袁艳宁"), "{text}");
}

#[test]
fn the_whole_loop_on_sqlite() {
    the_whole_loop(None);
}

#[test]
fn the_whole_loop_on_postgresql() {
    the_whole_loop(Some(postgres::shared().url("console_browser")));
}
