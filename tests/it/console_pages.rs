#![cfg(feature = "county")]
//! The console's work pages through the real binary, over HTTP with a
//! session cookie: the queue (filters, sort, pages, count, downloads), the
//! search, an appeal's page and its steps per role and status, the units'
//! view, the unit catalogue and the stations. Accounts are made with
//! `county user add --password-stdin`, units with `county unit add`, and
//! the appeals reach the county by a station's real sync.

use std::path::Path;

use crate::support::cli;
use crate::support::console::{Answer, Browser, add_user};
use crate::support::county::County;
use jiedai::domain::{Appeal, Category, EventBody, Visitor};
use jiedai::storage::Store;
use tempfile::TempDir;

const STATION: &str = "330999012";
const STATION_NAME: &str = "柳岸社区人大代表联络站";
const VISITOR_NAME: &str = "林晓梅";
const VISITOR_PHONE: &str = "13800001234";
const TRAFFIC: &str = "青禾县交通运输局";
const HOUSING: &str = "青禾县住房和城乡建设局";

/// What each appeal of the station is about: category and title.
const APPEALS: &[(Category, &str)] = &[
    (Category::Traffic, "小区门口停车难"),
    (Category::Housing, "老旧小区加装电梯"),
    (Category::Traffic, "公交站台没有遮雨棚"),
];

/// A county with two units, an account of each role (a unit account for
/// each unit) and a station whose appeals it holds.
struct Setup {
    county: County,
    _station: TempDir,
    /// The station's appeals' codes, in `APPEALS`' order.
    codes: Vec<String>,
}

/// Runs a scenario on SQLite and on PostgreSQL (one database per test).
macro_rules! on_both {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[test]
            fn sqlite() {
                super::$name(None);
            }
            #[test]
            fn postgres() {
                super::$name(Some(crate::support::postgres::shared().url(stringify!($name))));
            }
        }
    )*};
}

on_both!(
    the_queue_filters_sorts_pages_counts_searches_and_downloads,
    an_appeal_takes_the_steps_each_role_may_take,
    the_catalogue_and_the_stations,
);

fn setup(db: Option<String>) -> Setup {
    let county = County::start(db.as_deref());
    for unit in [TRAFFIC, HOUSING] {
        let out = county.run(&["unit", "add", unit]);
        assert!(out.status.success(), "{}", cli::printed(&out));
    }
    for (name, role, unit) in [
        ("王科员", "office", None),
        ("周观", "viewer", None),
        ("张工", "unit", Some(TRAFFIC)),
        ("赵工", "unit", Some(HOUSING)),
    ] {
        add_user(&county, name, role, unit);
    }
    let station = cli::station(false);
    let codes = register(station.path());
    let creds = station.path().join("county-credentials.toml");
    county.enroll(STATION, STATION_NAME, &creds);
    cli::expect(station.path(), &["enroll", cli::path(&creds)], 0);
    cli::expect(station.path(), &["sync", "--attempts", "1"], 0);
    Setup {
        county,
        _station: station,
        codes,
    }
}

/// Registers `APPEALS` at the station (the visitor's name and phone in
/// each content); their codes.
fn register(dir: &Path) -> Vec<String> {
    let mut store = Store::open(dir).unwrap();
    let now = chrono::Local::now().fixed_offset();
    let codes = store.next_codes(now.date_naive(), APPEALS.len()).unwrap();
    let changes = codes
        .iter()
        .zip(APPEALS)
        .map(|(code, (category, title))| EventBody::AppealRegistered {
            appeal: Appeal {
                visitor: Visitor {
                    name: VISITOR_NAME.into(),
                    phone: VISITOR_PHONE.into(),
                    id_number: String::new(),
                    address: String::new(),
                },
                category: *category,
                title: (*title).into(),
                content: format!("{VISITOR_NAME}反映：{title}。联系电话 {VISITOR_PHONE}"),
                access_key: jiedai::storage::new_access_key().unwrap(),
                ..Appeal::registered(code.clone(), now)
            },
        })
        .collect();
    store.commit("S01", changes).unwrap();
    codes.iter().map(|c| c.to_string()).collect()
}

/// A browser signed in as one account, posting forms with its token.
struct Signed {
    browser: Browser,
    csrf: String,
}

impl Signed {
    fn login(county: &County, name: &str) -> Signed {
        let mut browser = Browser::new(county);
        assert_eq!(browser.login(name).status, 303, "{name} logs in");
        let csrf = browser.csrf();
        Signed { browser, csrf }
    }

    fn get(&mut self, path: &str) -> Answer {
        self.browser.get(path)
    }

    /// Posts a form with the session's token.
    fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Answer {
        let mut fields = vec![("csrf", self.csrf.as_str())];
        fields.extend_from_slice(form);
        self.browser.post(path, &fields)
    }
}

/// Where each of `codes` first appears in `body`, in the order they do.
fn order_of<'a>(body: &str, codes: &'a [String]) -> Vec<&'a str> {
    let mut found: Vec<(usize, &str)> = codes
        .iter()
        .filter_map(|c| body.find(&format!(">{c}<")).map(|at| (at, c.as_str())))
        .collect();
    found.sort();
    found.into_iter().map(|(_, c)| c).collect()
}

/// The id of the catalogue's unit `name` as the refer form offers it.
fn unit_option(body: &str, name: &str) -> String {
    let at = body
        .find(&format!(">{name} ("))
        .unwrap_or_else(|| panic!("{name} offered: {body}"));
    let head = &body[..at];
    let v = head.rfind("value=\"").unwrap() + 7;
    head[v..v + head[v..].find('"').unwrap()].to_string()
}

fn no_personal_data(page: &Answer) {
    assert!(
        !page.body.contains(VISITOR_NAME) && !page.body.contains(VISITOR_PHONE),
        "{}",
        page.body
    );
}

fn audit_actions(county: &County) -> Vec<(String, String, String)> {
    use sqlx::Row;
    let (rt, mut conn) = county.database("ro");
    rt.block_on(async {
        sqlx::query("SELECT user_name, action, target FROM audit ORDER BY id")
            .fetch_all(&mut conn)
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect()
    })
}

fn the_queue_filters_sorts_pages_counts_searches_and_downloads(db: Option<String>) {
    let s = setup(db);
    let mut office = Signed::login(&s.county, "王科员");
    let all = office.get("/office/queue");
    assert_eq!(all.status, 200);
    assert!(all.body.contains("共 3 条，第 1/1 页"), "{}", all.body);
    assert!(all.body.contains(STATION_NAME));
    no_personal_data(&all);

    // Sorted by code either way.
    let mut sorted = s.codes.clone();
    sorted.sort();
    let up = office.get("/office/queue?sort=code");
    assert_eq!(order_of(&up.body, &s.codes), sorted);
    assert!(
        up.body.contains("sort=code&amp;desc=1"),
        "the header link reverses"
    );
    let down = office.get("/office/queue?sort=code&desc=1");
    sorted.reverse();
    assert_eq!(order_of(&down.body, &s.codes), sorted);

    // Page by page, the filters kept in the links.
    let first = office.get("/office/queue?category=traffic&sort=code&size=1");
    assert!(first.body.contains("共 2 条，第 1/2 页"), "{}", first.body);
    assert!(
        first
            .body
            .contains("category=traffic&amp;sort=code&amp;size=1&amp;page=2")
    );
    let second = office.get("/office/queue?category=traffic&sort=code&size=1&page=2");
    assert!(second.body.contains("共 2 条，第 2/2 页"));
    assert_eq!(order_of(&second.body, &s.codes), [s.codes[2].as_str()]);

    // Filters: none referred yet; every one registered.
    let referred = office.get("/office/queue?status=referred");
    assert!(referred.body.contains("共 0 条") && referred.body.contains("没有符合条件的诉求"));
    let registered = office.get("/office/queue?status=registered&station=330999012");
    assert!(registered.body.contains("共 3 条"));

    // Search: text, a code, a code with a typo.
    let text = office.get("/office/queue?q=%E7%94%B5%E6%A2%AF");
    assert!(text.body.contains("共 1 条"), "{}", text.body);
    assert_eq!(order_of(&text.body, &s.codes), [s.codes[1].as_str()]);
    let code = office.get(&format!("/office/queue?q={}", s.codes[0]));
    assert_eq!(code.status, 303);
    assert_eq!(
        Some(code.header("location")),
        Some(format!("/office/a/{}", s.codes[0]).as_str())
    );
    let mut typo = s.codes[0].clone();
    let last = typo.pop().unwrap();
    typo.push(if last == '0' { '1' } else { '0' });
    let typo = office.get(&format!("/office/queue?q={typo}"));
    assert_eq!(typo.status, 200);
    assert!(typo.body.contains("查询码有一位输错了"), "{}", typo.body);

    // Downloads of the filtered list, in words.
    let csv = office.get("/office/queue.csv?category=traffic");
    assert_eq!(csv.status, 200);
    assert!(
        csv.header("content-type").starts_with("text/csv"),
        "{}",
        csv.header("content-type")
    );
    assert!(csv.body.contains("查询码") && csv.body.contains(STATION_NAME));
    assert!(csv.body.contains("已登记") && csv.body.contains("交通停车"));
    assert_eq!(csv.body.lines().count(), 3, "{}", csv.body);
    assert!(!csv.body.contains(VISITOR_PHONE));
    let xlsx = office.get("/office/queue.xlsx");
    assert_eq!(xlsx.status, 200);
    assert!(xlsx.header("content-type").contains("spreadsheet"));

    // English on request.
    let en = office.get("/office/queue?lang=en");
    assert!(en.body.contains("3 appeals, page 1 of 1"), "{}", en.body);

    // A viewer reads the queue; a unit does not.
    let mut viewer = Signed::login(&s.county, "周观");
    assert_eq!(viewer.get("/office/queue").status, 200);
    let mut unit = Signed::login(&s.county, "张工");
    assert_eq!(unit.get("/office/queue").status, 403);
    assert_eq!(unit.get("/office/queue.csv").status, 403);
}

fn an_appeal_takes_the_steps_each_role_may_take(db: Option<String>) {
    let s = setup(db);
    let code = s.codes[0].as_str();
    let other = s.codes[1].as_str();
    let path = format!("/office/a/{code}");
    let step = format!("{path}/step");
    let mut office = Signed::login(&s.county, "王科员");

    // Registered: the office may accept; the visitor is masked.
    let fresh = office.get(&path);
    assert_eq!(fresh.status, 200);
    no_personal_data(&fresh);
    assert!(fresh.body.contains("value=\"accept\""));
    assert!(!fresh.body.contains("value=\"refer\""));
    assert!(fresh.body.contains("查看来访人信息"));

    // A step the status machine refuses: its words, and nothing changes.
    let refused = office.post(&step, &[("step", "close")]);
    assert_eq!(refused.status, 409);
    assert!(
        refused.body.contains("“办结销号”不能用于已登记状态的诉求"),
        "{}",
        refused.body
    );
    assert!(office.get(&path).body.contains("已登记"));

    // The office looks at the visitor: shown once, recorded.
    let look = office.post(&format!("{path}/reveal"), &[]);
    assert_eq!(look.status, 200);
    assert!(look.body.contains(VISITOR_NAME) && look.body.contains(VISITOR_PHONE));
    no_personal_data(&office.get(&path));
    assert!(
        audit_actions(&s.county)
            .iter()
            .any(|(who, action, target)| who == "王科员" && action == "reveal" && target == code)
    );
    // Without the session's token, nothing is shown.
    let forged = office
        .browser
        .post(&format!("{path}/reveal"), &[("csrf", "forged")]);
    assert_eq!(forged.status, 403);
    no_personal_data(&forged);

    // Accept, then refer to a unit of the catalogue found by its initials.
    assert_eq!(office.post(&step, &[("step", "accept")]).status, 303);
    let accepted = office.get(&format!("{path}?unit_filter=qhxjt"));
    assert!(accepted.body.contains("value=\"refer\""));
    assert!(accepted.body.contains(TRAFFIC) && !accepted.body.contains(&format!(">{HOUSING} (")));
    let traffic = unit_option(&accepted.body, TRAFFIC);
    // Live filtering where JavaScript runs: a script of the binary's own.
    assert!(accepted.body.contains("data-initials=\"qhxjtysj\""));
    let script = office.get("/office/unit-filter.js");
    assert_eq!(script.status, 200);
    assert!(script.header("content-type").starts_with("text/javascript"));
    let free = office.post(
        &step,
        &[
            ("step", "refer"),
            ("unit", "县交通局"),
            ("deadline", "2099-12-31"),
        ],
    );
    assert_eq!(free.status, 422);
    assert!(free.body.contains("请从单位目录中选择承办单位"));
    let referred = office.post(
        &step,
        &[
            ("step", "refer"),
            ("unit", &traffic),
            ("deadline", "2099-12-31"),
            ("note", "请一周内答复"),
        ],
    );
    assert_eq!(referred.status, 303, "{}", referred.body);
    let page = office.get(&path);
    assert!(page.body.contains("已交办") && page.body.contains("请一周内答复"));
    assert!(page.body.contains("[县]") && page.body.contains("王科员"));
    assert!(page.body.contains("value=\"chase\"") && page.body.contains("value=\"rerefer\""));

    // The viewer sees the appeal and no form.
    let mut viewer = Signed::login(&s.county, "周观");
    let seen = viewer.get(&path);
    assert_eq!(seen.status, 200);
    assert!(!seen.body.contains("/step\"") && !seen.body.contains("/reveal\""));
    no_personal_data(&seen);
    assert_eq!(viewer.post(&step, &[("step", "chase")]).status, 403);

    // The other unit: the same 404 as a code the county does not hold.
    let mut housing = Signed::login(&s.county, "赵工");
    let hidden = housing.get(&path);
    assert_eq!(hidden.status, 404);
    let missing = housing.get("/office/a/000000-330999012-00001-0");
    assert_eq!(missing.status, 404);
    assert_eq!(hidden.body, missing.body);
    assert_eq!(
        housing.post(&step, &[("step", "progress"), ("note", "x")]).status,
        404
    );

    // The unit: its view, then progress, more time, a reply.
    let mut unit = Signed::login(&s.county, "张工");
    let mine = unit.get("/office/unit");
    assert_eq!(mine.status, 200);
    assert_eq!(order_of(&mine.body, &s.codes), [code]);
    assert!(mine.body.contains("新交办"));
    assert_eq!(unit.get(&format!("/office/a/{other}")).status, 404);
    let own = unit.get(&path);
    assert!(own.body.contains("value=\"progress\"") && own.body.contains("value=\"return\""));
    assert!(!own.body.contains("value=\"chase\"") && !own.body.contains("/reveal\""));
    no_personal_data(&own);
    let empty = unit.post(&step, &[("step", "progress"), ("note", " ")]);
    assert_eq!(empty.status, 409);
    assert!(empty.body.contains("办理进展须填写进展内容"), "{}", empty.body);
    assert_eq!(
        unit.post(&step, &[("step", "progress"), ("note", "已到现场查看")])
            .status,
        303
    );
    let asked = unit.post(
        &format!("{path}/extension"),
        &[("deadline", "2100-01-31"), ("note", "需协调交警部门")],
    );
    assert_eq!(asked.status, 303, "{}", asked.body);
    assert!(unit.get(asked.header("location")).body.contains("延期申请已提交"));
    let pending = office.get(&path);
    assert!(pending.body.contains("需协调交警部门") && pending.body.contains("待批"));
    let id = {
        let at = pending.body.find("/extension/").unwrap() + "/extension/".len();
        pending.body[at..at + pending.body[at..].find('"').unwrap()].to_string()
    };
    let granted = office.post(&format!("{path}/extension/{id}"), &[("grant", "1")]);
    assert_eq!(granted.status, 303, "{}", granted.body);
    assert!(office.get(&path).body.contains("2100-01-31"));
    let replied = unit.post(
        &step,
        &[
            ("step", "reply"),
            ("reply", "已增设停车位"),
            ("document", "青交〔2026〕12号"),
        ],
    );
    assert_eq!(replied.status, 303, "{}", replied.body);
    let done = office.get(&path);
    assert!(done.body.contains("已答复") && done.body.contains("青交〔2026〕12号"));
    assert!(done.body.contains(&format!("{TRAFFIC}·张工")));
    assert!(done.body.contains("value=\"close\""));

    // Re-referred to another unit, then returned by it as not its business.
    let third = s.codes[2].as_str();
    let third_path = format!("/office/a/{third}");
    let third_step = format!("{third_path}/step");
    assert_eq!(office.post(&third_step, &[("step", "accept")]).status, 303);
    let housing_id = unit_option(&office.get(&third_path).body, HOUSING);
    let refer = [
        ("step", "refer"),
        ("unit", housing_id.as_str()),
        ("deadline", "2099-12-31"),
    ];
    assert_eq!(office.post(&third_step, &refer).status, 303);
    assert_eq!(housing.get(&third_path).status, 200);
    let rerefer = [
        ("step", "rerefer"),
        ("unit", traffic.as_str()),
        ("deadline", "2099-11-30"),
        ("note", "属交通部门职责"),
    ];
    assert_eq!(office.post(&third_step, &rerefer).status, 303);
    assert_eq!(
        housing.get(&third_path).status,
        404,
        "no longer the housing bureau's"
    );
    let theirs = unit.get(&third_path);
    assert!(theirs.body.contains("改派") && theirs.body.contains("属交通部门职责"));
    let back = [("step", "return"), ("note", "不属于本单位职责")];
    assert_eq!(unit.post(&third_step, &back).status, 303);
    assert_eq!(unit.get(&third_path).status, 404, "returned: no unit's now");
    let returned = office.get(&third_path);
    assert!(returned.body.contains("已受理") && returned.body.contains("不属于本单位职责"));
    assert!(returned.body.contains(&format!("{TRAFFIC}·张工")));
    assert!(
        returned.body.contains("value=\"refer\""),
        "back in the office's hands"
    );

    // Every step audited with its person.
    let audit = audit_actions(&s.county);
    for (who, action) in [
        ("王科员", "accept"),
        ("王科员", "refer"),
        ("张工", "progress"),
        ("张工", "reply"),
    ] {
        assert!(
            audit
                .iter()
                .any(|(w, a, t)| w.ends_with(who) && a.ends_with(action) && t == code),
            "{who} {action}: {audit:?}"
        );
    }
}

fn the_catalogue_and_the_stations(db: Option<String>) {
    let s = setup(db);
    let mut office = Signed::login(&s.county, "王科员");
    let units = office.get("/office/units");
    assert_eq!(units.status, 200);
    assert!(
        units.body.contains(TRAFFIC) && units.body.contains("qhxjtysj"),
        "{}",
        units.body
    );
    let added = office.post("/office/units", &[("name", "青禾县水利局")]);
    assert_eq!(added.status, 200, "{}", added.body);
    assert!(office.get("/office/units").body.contains("青禾县水利局"));
    let import = office.post("/office/units/import", &[]);
    assert_eq!(import.status, 200, "{}", import.body);

    let mut viewer = Signed::login(&s.county, "周观");
    let read = viewer.get("/office/units");
    assert_eq!(read.status, 200);
    assert!(!read.body.contains("/office/units/import"));
    assert_eq!(
        viewer.post("/office/units", &[("name", "青禾县林业局")]).status,
        403
    );

    let stations = office.get("/office/stations");
    assert_eq!(stations.status, 200);
    assert!(stations.body.contains(STATION) && stations.body.contains(STATION_NAME));
    assert!(
        stations.body.contains("超过 7 天未同步的联络站：0 个"),
        "{}",
        stations.body
    );
    assert_eq!(viewer.get("/office/stations?silent=3").status, 200);
    let mut unit = Signed::login(&s.county, "张工");
    assert_eq!(unit.get("/office/stations").status, 403);
    assert_eq!(unit.get("/office/units").status, 403);
}
