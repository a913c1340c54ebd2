#![cfg(feature = "county")]
//! The console's accounts, sessions and guards through the real binary:
//! accounts made with `county user`, a client with its own cookie jar.
//! Every route of `console::ROUTES` refuses without a session; a form
//! without its session's token changes nothing; the session cookie is
//! strict; logout and expiry end a session; logins are throttled per
//! account and per address; roles reach only their routes; what staff do
//! is in the audit log; requests are logged with their id. Accounts and
//! sessions on PostgreSQL as on SQLite.

use jiedai::county::console::{Guard, Method, ROUTES};

use crate::support::console::{Browser, PASSWORD, add_user, user_command};
use crate::support::county::County;
use crate::support::postgres;

const UNIT: &str = "青禾县住房和城乡建设局";

/// A route's path with its parameters filled in.
fn concrete(path: &str) -> String {
    path.split('/')
        .map(|s| if s.starts_with('{') { "1" } else { s })
        .collect::<Vec<_>>()
        .join("/")
}

/// The audit log's (user, action, target) rows, oldest first.
fn audit(county: &County) -> Vec<(String, String, String)> {
    use sqlx::Row;
    let (runtime, mut conn) = county.database("ro");
    runtime
        .block_on(sqlx::query("SELECT user_name, action, target FROM audit ORDER BY id").fetch_all(&mut conn))
        .unwrap()
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect()
}

fn row(user: &str, action: &str, target: &str) -> (String, String, String) {
    (user.to_string(), action.to_string(), target.to_string())
}

/// The accounts as `county user list` prints them.
fn listed(county: &County) -> String {
    let out = county.run(&["user", "list"]);
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn every_route_refuses_without_a_session() {
    let county = County::start(None);
    add_user(&county, "王科员", "office", None);
    let mut browser = Browser::new(&county);
    for route in ROUTES.iter().filter(|r| r.guard != Guard::Open) {
        let path = concrete(route.path);
        let answer = match route.method {
            Method::Get => browser.get(&path),
            Method::Post => browser.post(&path, &[("csrf", "x"), ("name", "x"), ("password", "password1")]),
        };
        match route.method {
            Method::Get => {
                assert_eq!(answer.status, 303, "GET {path}");
                assert!(
                    answer
                        .header("location")
                        .starts_with("/office/login?next=%2Foffice%2F"),
                    "GET {path}: {}",
                    answer.header("location")
                );
            }
            Method::Post => assert_eq!(answer.status, 403, "POST {path}"),
        }
        assert_eq!(answer.header("cache-control"), "no-store", "{path}");
    }
    // A forged cookie is no session.
    browser.cookies.insert("jiedai_session".into(), "forged".into());
    assert_eq!(browser.get("/office/users").status, 303);
    // Nothing changed.
    assert_eq!(listed(&county).lines().count(), 1);
    assert_eq!(
        audit(&county),
        [row("shell", "user_add", "user:王科员")],
        "nothing done, and no session, so none recorded"
    );
    // The open routes answer without a session.
    let mut browser = Browser::new(&county);
    let login = browser.get("/office/login");
    assert_eq!(login.status, 200);
    assert_eq!(login.header("cache-control"), "no-store");
    assert_eq!(login.header("x-frame-options"), "DENY");
    assert!(
        login
            .header("content-security-policy")
            .contains("default-src 'self'")
    );
    let css = browser.get("/office/console.css");
    assert_eq!(css.status, 200);
    assert!(css.header("content-type").starts_with("text/css"));
}

#[test]
fn logging_in_and_out() {
    logging_in_and_out_on(None);
}

#[test]
fn logging_in_and_out_on_postgres() {
    logging_in_and_out_on(Some(postgres::shared().url("console_login")));
}

fn logging_in_and_out_on(db: Option<String>) {
    let county = County::start(db.as_deref());
    add_user(&county, "王科员", "office", None);
    let mut browser = Browser::new(&county);
    // Back to the page asked for after the login.
    let asked = browser.get("/office/users");
    assert_eq!(asked.status, 303);
    let login = browser.get(asked.header("location"));
    assert!(login.body.contains("value=\"/office/users\""), "{}", login.body);
    let answer = browser.post(
        "/office/login",
        &[
            ("name", "王科员"),
            ("password", PASSWORD),
            ("next", "/office/users"),
        ],
    );
    assert_eq!(answer.status, 303);
    assert_eq!(answer.header("location"), "/office/users");
    let cookie = &browser.set_cookies[0];
    assert!(cookie.starts_with("jiedai_session="), "{cookie}");
    for part in ["HttpOnly", "SameSite=Strict", "Path=/office/", "Max-Age=28800"] {
        assert!(cookie.contains(part), "{part} in {cookie}");
    }
    assert!(!cookie.contains("Secure"), "plain HTTP: {cookie}");
    let page = browser.get("/office/users");
    assert_eq!(page.status, 200);
    assert_eq!(page.header("cache-control"), "no-store");
    assert!(page.body.contains("王科员 · 县人大办"), "{}", page.body);
    // Another site is not gone back to.
    let mut other = Browser::new(&county);
    let answer = other.post(
        "/office/login",
        &[
            ("name", "王科员"),
            ("password", PASSWORD),
            ("next", "//evil.example/"),
        ],
    );
    assert_eq!(answer.header("location"), "/office/queue", "the office's home");
    // Logout needs the form's token, then ends the session.
    let token = browser.cookies["jiedai_session"].clone();
    assert_eq!(browser.post("/office/logout", &[]).status, 403);
    assert_eq!(browser.get("/office/users").status, 200, "still signed in");
    let csrf = browser.csrf();
    let out = browser.post("/office/logout", &[("csrf", &csrf)]);
    assert_eq!(out.status, 303);
    assert_eq!(out.header("location"), "/office/login");
    assert!(
        !browser.cookies.contains_key("jiedai_session"),
        "the cookie is removed"
    );
    browser.cookies.insert("jiedai_session".into(), token);
    assert_eq!(
        browser.get("/office/users").status,
        303,
        "the old token is no session"
    );
    assert_eq!(
        audit(&county),
        [
            row("shell", "user_add", "user:王科员"),
            row("王科员", "login", "user:王科员"),
            row("王科员", "login", "user:王科员"),
            row("王科员", "logout", "user:王科员"),
        ]
    );
}

#[test]
fn an_expired_session_is_refused() {
    let county = County::start(None);
    add_user(&county, "王科员", "office", None);
    let mut browser = Browser::new(&county);
    assert_eq!(browser.login("王科员").status, 303);
    assert_eq!(browser.get("/office/users").status, 200);
    {
        let (runtime, mut conn) = county.database("rw");
        runtime
            .block_on(
                sqlx::query("UPDATE sessions SET expires_at = '2026-01-01T00:00:00+08:00'")
                    .execute(&mut conn),
            )
            .unwrap();
    }
    assert_eq!(browser.get("/office/users").status, 303);
    assert_eq!(browser.post("/office/logout", &[("csrf", "x")]).status, 403);
}

#[test]
fn a_form_without_its_token_changes_nothing() {
    let county = County::start(None);
    add_user(&county, "王科员", "office", None);
    let mut browser = Browser::new(&county);
    browser.login("王科员");
    let csrf = browser.csrf();
    fn form(token: Option<&str>) -> Vec<(&str, &str)> {
        let mut f = vec![
            ("name", "赵干事"),
            ("role", "viewer"),
            ("unit", ""),
            ("password", "another-pass"),
        ];
        if let Some(t) = token {
            f.push(("csrf", t));
        }
        f
    }
    let before = listed(&county);
    for token in [None, Some(""), Some("not-the-token")] {
        let answer = browser.post("/office/users", &form(token));
        assert_eq!(answer.status, 403, "token {token:?}");
        assert!(answer.body.contains("未作任何更改"), "{}", answer.body);
    }
    // Another session's token is not this session's.
    let mut other = Browser::new(&county);
    other.login("王科员");
    let theirs = other.csrf();
    assert_ne!(theirs, csrf);
    assert_eq!(browser.post("/office/users", &form(Some(&theirs))).status, 403);
    assert_eq!(listed(&county), before, "nothing changed");
    let answer = browser.post("/office/users", &form(Some(&csrf)));
    assert_eq!(answer.status, 303);
    assert_eq!(answer.header("location"), "/office/users?done=added");
    assert!(listed(&county).contains("赵干事\t只读"), "{}", listed(&county));
    assert!(audit(&county).contains(&row("王科员", "user_add", "user:赵干事")));
}

#[test]
fn the_office_manages_accounts_in_the_console() {
    the_office_manages_accounts_on(None);
}

#[test]
fn the_office_manages_accounts_on_postgres() {
    the_office_manages_accounts_on(Some(postgres::shared().url("console_accounts")));
}

fn the_office_manages_accounts_on(db: Option<String>) {
    let county = County::start(db.as_deref());
    county.add_units(&[UNIT]);
    add_user(&county, "王科员", "office", None);
    let mut office = Browser::new(&county);
    office.login("王科员");
    let csrf = office.csrf();
    let page = office.get("/office/users");
    assert!(
        page.body.contains(&format!("<option value=\"{UNIT}\">")),
        "units offered"
    );
    let add = |b: &mut Browser, name: &str, role: &str, unit: &str, password: &str| {
        b.post(
            "/office/users",
            &[
                ("csrf", &csrf),
                ("name", name),
                ("role", role),
                ("unit", unit),
                ("password", password),
            ],
        )
    };
    let answer = add(&mut office, "李工", "unit", UNIT, "unit-pass-1");
    assert_eq!(answer.status, 303);
    // Refusals say why, and add nothing.
    let answer = add(&mut office, "李工", "viewer", "", "unit-pass-1");
    assert_eq!(answer.status, 409);
    assert!(answer.body.contains("已被使用"), "{}", answer.body);
    assert_eq!(add(&mut office, "周工", "unit", "", "unit-pass-1").status, 400);
    assert_eq!(add(&mut office, "周工", "viewer", "", "short").status, 400);
    assert_eq!(add(&mut office, "周工", "admin", "", "unit-pass-1").status, 400);
    assert!(!listed(&county).contains("周工"));
    // The unit's person logs in; a new password ends that session.
    let mut unit = Browser::new(&county);
    assert_eq!(
        unit.login_with("李工", "unit-pass-1").header("location"),
        "/office/unit"
    );
    let id = {
        use sqlx::Row;
        let (runtime, mut conn) = county.database("ro");
        let id: i64 = runtime
            .block_on(sqlx::query("SELECT id FROM users WHERE name = '李工'").fetch_one(&mut conn))
            .unwrap()
            .get(0);
        id
    };
    let answer = office.post(
        &format!("/office/users/{id}/password"),
        &[("csrf", &csrf), ("password", "unit-pass-2")],
    );
    assert_eq!(answer.header("location"), "/office/users?done=password");
    assert_eq!(
        unit.get("/office/unit").status,
        303,
        "signed out by the new password"
    );
    assert_eq!(unit.login_with("李工", "unit-pass-2").status, 303);
    // Disabled: signed out, and no login.
    let answer = office.post(&format!("/office/users/{id}/disable"), &[("csrf", &csrf)]);
    assert_eq!(answer.header("location"), "/office/users?done=disabled");
    assert_eq!(unit.get("/office/unit").status, 303);
    assert_eq!(unit.login_with("李工", "unit-pass-2").status, 401);
    assert!(listed(&county).contains("李工\t承办单位\t青禾县住房和城乡建设局\t已停用"));
    let log = audit(&county);
    for action in ["user_add", "user_password", "user_disable"] {
        assert!(
            log.contains(&row("王科员", action, "user:李工")),
            "{action}: {log:?}"
        );
    }
    assert!(log.contains(&row("李工", "login_failed", "user:李工")));
}

#[test]
fn roles_reach_only_their_routes() {
    let county = County::start(None);
    county.add_units(&[UNIT]);
    add_user(&county, "王科员", "office", None);
    add_user(&county, "李工", "unit", Some(UNIT));
    add_user(&county, "赵干事", "viewer", None);
    for (name, role) in [("王科员", "office"), ("李工", "unit"), ("赵干事", "viewer")] {
        let mut browser = Browser::new(&county);
        let home = browser.login(name);
        assert_eq!(home.status, 303, "{name}");
        let csrf = browser.csrf();
        let role = jiedai::county::accounts::Role::parse(role).unwrap();
        for route in ROUTES.iter().filter(|r| r.guard != Guard::Open) {
            let path = concrete(route.path);
            let answer = match route.method {
                Method::Get => browser.get(&path),
                // A form that would do nothing if let through.
                Method::Post if route.path == "/office/logout" => continue,
                Method::Post => browser.post(&path, &[("csrf", &csrf), ("password", "x")]),
            };
            if route.guard.admits(role) {
                assert_ne!(answer.status, 403, "{name} {path}");
            } else {
                assert_eq!(answer.status, 403, "{name} {:?} {path}", route.method);
                assert!(answer.body.contains("没有权限"), "{}", answer.body);
            }
        }
        // The navigation shows what the role may open.
        let page = browser.get("/office/nothing-here");
        assert_eq!(page.status, 404);
        assert_eq!(
            page.body.contains("/office/users"),
            role == jiedai::county::accounts::Role::Office,
            "{name}"
        );
    }
}

#[test]
fn logins_are_throttled_per_account_and_per_address() {
    let county = County::start(None);
    add_user(&county, "王科员", "office", None);
    add_user(&county, "赵干事", "viewer", None);
    let mut browser = Browser::new(&county);
    // A wrong password and an unknown name are answered alike.
    let wrong = browser.login_with("王科员", "wrong-password");
    let unknown = browser.login_with("钱某", "wrong-password");
    assert_eq!((wrong.status, unknown.status), (401, 401));
    assert!(wrong.body.contains("用户名或密码不对"));
    assert_eq!(
        wrong.body.replace("王科员", "NAME"),
        unknown.body.replace("钱某", "NAME"),
        "the same page"
    );
    for _ in 1..5 {
        assert_eq!(browser.login_with("王科员", "wrong-password").status, 401);
    }
    // Five failures: the account waits, even with its password.
    let throttled = browser.login("王科员");
    assert_eq!(throttled.status, 429);
    assert!(throttled.body.contains("分钟后再试"), "{}", throttled.body);
    assert!(throttled.header("retry-after").parse::<u64>().unwrap() > 800);
    // Another account from the same address may log in.
    assert_eq!(browser.login("赵干事").status, 303);
    // Twenty failures from one address: every account waits there.
    for n in 0..14 {
        assert_eq!(
            browser.login_with(&format!("guess{n}"), "wrong-password").status,
            401
        );
    }
    assert_eq!(Browser::new(&county).login("赵干事").status, 429);
    let log = audit(&county);
    let failed = log.iter().filter(|r| r.1 == "login_failed").count();
    assert_eq!(failed, 20, "{log:?}");
    assert!(log.contains(&row("王科员", "login_throttled", "user:王科员")));
    assert!(log.contains(&row("赵干事", "login", "user:赵干事")));
}

#[test]
fn the_session_cookie_is_secure_under_tls() {
    let cert = crate::tls::Cert::new();
    let county = County::start_tls(None, &cert.cert(), &cert.key());
    add_user(&county, "王科员", "office", None);
    let mut browser = Browser::insecure(&county);
    assert_eq!(browser.login("王科员").status, 303);
    let cookie = &browser.set_cookies[0];
    assert!(cookie.ends_with("; Secure"), "{cookie}");
    assert_eq!(browser.get("/office/users").status, 200);
}

#[test]
fn user_commands_say_what_is_wrong() {
    let county = County::start(None);
    county.add_units(&[UNIT]);
    let refused = |args: &[&str], unit: Option<&str>, password: &str, says: &str| {
        let out = user_command(&county, args, unit, password);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{args:?}");
        assert!(err.contains(says), "{args:?}: {err}");
    };
    refused(
        &["add", "王科员", "--role", "admin"],
        None,
        PASSWORD,
        "没有角色 admin",
    );
    refused(&["add", "李工", "--role", "unit"], None, PASSWORD, "须指定单位");
    refused(
        &["add", "李工", "--role", "unit"],
        Some("住建局"),
        PASSWORD,
        "单位目录里没有“住建局”",
    );
    refused(
        &["add", "李工", "--role", "office"],
        Some(UNIT),
        PASSWORD,
        "只有承办单位",
    );
    refused(
        &["add", "王科员", "--role", "office"],
        None,
        "short",
        "至少 8 个字符",
    );
    add_user(&county, "王科员", "office", None);
    refused(&["add", "王科员", "--role", "viewer"], None, PASSWORD, "已被使用");
    refused(&["passwd", "钱某"], None, PASSWORD, "没有用户 钱某");
    add_user(&county, "李工", "unit", Some(UNIT));
    assert_eq!(
        listed(&county),
        format!("李工\t承办单位\t{UNIT}\t可用\n王科员\t县人大办\t-\t可用\n")
    );
    // A new password and disabling end the sessions.
    let mut browser = Browser::new(&county);
    browser.login("李工");
    let out = user_command(&county, &["passwd", "李工"], None, "new-password");
    assert!(out.status.success());
    assert_eq!(browser.get("/office/unit").status, 303);
    assert_eq!(browser.login_with("李工", "new-password").status, 303);
    let out = county.run(&["user", "disable", "李工"]);
    assert!(out.status.success());
    assert_eq!(browser.get("/office/unit").status, 303);
    assert_eq!(browser.login_with("李工", "new-password").status, 401);
    let log = audit(&county);
    for action in ["user_add", "user_password", "user_disable"] {
        assert!(
            log.contains(&row("shell", action, "user:李工")),
            "{action}: {log:?}"
        );
    }
}

#[test]
fn requests_are_logged_with_their_id_and_no_query() {
    let county = County::start(None);
    let mut browser = Browser::new(&county);
    let answer = browser.get("/office/login?next=%2Foffice%2Fqueue%3Fq%3Dsecret-words");
    let id = answer.header("x-request-id").to_string();
    assert!(!id.is_empty());
    let log = std::fs::read_to_string(county.log()).unwrap();
    let line = log
        .lines()
        .find(|l| l.contains(&format!("id={id} ")))
        .unwrap_or_else(|| panic!("no line for request {id}:\n{log}"));
    assert!(line.contains("method=GET path=/office/login}"), "{line}");
    assert!(line.contains("status=200"), "{line}");
    assert!(!log.contains("secret-words"), "the query is not logged");
    // Another request, another id.
    assert_ne!(browser.get("/office/login").header("x-request-id"), id);
}
