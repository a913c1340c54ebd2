//! The console as a browser sees it, without one: accounts made with
//! `jiedai county user add`, and a client of its own (ureq, redirects not
//! followed) that keeps the cookies the server sets.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::Write;
use std::process::Stdio;

use jiedai::domain::public::escape;

use super::county::County;

/// The password the helpers give every account.
pub const PASSWORD: &str = "qinghe-2026";

/// Adds an account with `county user add … --password-stdin`.
pub fn add_user(county: &County, name: &str, role: &str, unit: Option<&str>) {
    add_user_with(county, name, role, unit, PASSWORD);
}

pub fn add_user_with(county: &County, name: &str, role: &str, unit: Option<&str>, password: &str) {
    let out = user_command(county, &["add", name, "--role", role], unit, password);
    assert!(
        out.status.success(),
        "county user add {name}:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `county user ARGS [--unit UNIT] --password-stdin` with `password`
/// on its standard input.
pub fn user_command(
    county: &County,
    args: &[&str],
    unit: Option<&str>,
    password: &str,
) -> std::process::Output {
    let mut c = county.command();
    c.arg("user").args(args);
    if let Some(unit) = unit {
        c.args(["--unit", unit]);
    }
    c.arg("--password-stdin");
    let mut child = c
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "{password}").unwrap();
    drop(stdin);
    child.wait_with_output().unwrap()
}

/// An answer: status, headers (names lower case; repeated ones joined
/// with '\n') and body.
pub struct Answer {
    pub status: u16,
    pub headers: BTreeMap<String, String>,
    pub body: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> &str {
        self.headers.get(name).map(String::as_str).unwrap_or("")
    }
}

/// A client with a cookie jar.
pub struct Browser {
    pub base: String,
    agent: ureq::Agent,
    pub cookies: BTreeMap<String, String>,
    /// Every `Set-Cookie` line received, last first.
    pub set_cookies: Vec<String>,
}

impl Browser {
    pub fn new(county: &County) -> Browser {
        Browser::with_agent(county, ureq::Agent::config_builder())
    }

    /// Trusts any certificate (the test's own self-signed one).
    pub fn insecure(county: &County) -> Browser {
        let tls = ureq::tls::TlsConfig::builder().disable_verification(true).build();
        Browser::with_agent(county, ureq::Agent::config_builder().tls_config(tls))
    }

    fn with_agent(
        county: &County,
        config: ureq::config::ConfigBuilder<ureq::typestate::AgentScope>,
    ) -> Browser {
        let agent = config
            .http_status_as_error(false)
            .max_redirects(0)
            .build()
            .new_agent();
        Browser {
            base: county.url.clone(),
            agent,
            cookies: BTreeMap::new(),
            set_cookies: Vec::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn answer(&mut self, mut r: ureq::http::Response<ureq::Body>) -> Answer {
        let mut headers = BTreeMap::<String, String>::new();
        for (name, value) in r.headers() {
            let value = value.to_str().unwrap_or("").to_string();
            headers
                .entry(name.as_str().to_string())
                .and_modify(|v| {
                    v.push('\n');
                    v.push_str(&value)
                })
                .or_insert(value);
        }
        for line in r.headers().get_all("set-cookie") {
            let line = line.to_str().unwrap().to_string();
            let pair = line.split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() || line.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_string(), value.to_string());
            }
            self.set_cookies.insert(0, line);
        }
        Answer {
            status: r.status().as_u16(),
            headers,
            body: r.body_mut().read_to_string().unwrap_or_default(),
        }
    }

    /// GET `path` (under the server's address).
    pub fn get(&mut self, path: &str) -> Answer {
        let url = format!("{}{path}", self.base);
        let r = self
            .agent
            .get(&url)
            .header("cookie", &self.cookie_header())
            .call()
            .unwrap_or_else(|e| panic!("GET {url}: {e}"));
        self.answer(r)
    }

    /// POST a url-encoded form.
    pub fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Answer {
        let url = format!("{}{path}", self.base);
        let body = form
            .iter()
            .map(|(k, v)| format!("{}={}", escape(k), escape(v)))
            .collect::<Vec<_>>()
            .join("&");
        let r = self
            .agent
            .post(&url)
            .header("cookie", &self.cookie_header())
            .header("content-type", "application/x-www-form-urlencoded")
            .send(body.as_str())
            .unwrap_or_else(|e| panic!("POST {url}: {e}"));
        self.answer(r)
    }

    /// Logs in as `name` with `PASSWORD`; the answer (303 when it worked).
    pub fn login(&mut self, name: &str) -> Answer {
        self.login_with(name, PASSWORD)
    }

    pub fn login_with(&mut self, name: &str, password: &str) -> Answer {
        self.post("/office/login", &[("name", name), ("password", password)])
    }

    /// The session's form token, read from the logout form of a page.
    pub fn csrf(&mut self) -> String {
        let page = self.get("/office/nothing-here");
        let field = "name=\"csrf\" value=\"";
        let at = page
            .body
            .find(field)
            .unwrap_or_else(|| panic!("no form token on the page:\n{}", page.body));
        let rest = &page.body[at + field.len()..];
        rest[..rest.find('"').unwrap()].to_string()
    }
}
