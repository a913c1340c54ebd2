//! A real browser for the console's tests: `chromedriver` started as a
//! child in a process group of its own (the group, Chromium included, is
//! killed on drop), and headless Chromium driven through WebDriver with
//! fantoccini on a current-thread runtime of the test's own. Every wait
//! has a deadline; a browser that does not start fails the test with the
//! reason. On a failing test the page's screenshot and source are kept in
//! `target/screenshots/`.

#![allow(dead_code)]

use std::future::Future;
use std::io::Read;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::error::CmdError;
use fantoccini::{Client, ClientBuilder, Locator};
use tempfile::TempDir;

/// How long the browser may take for one page or one condition.
pub const T: Duration = Duration::from_secs(20);

/// How long chromedriver and Chromium may take to start on a busy machine.
const START: Duration = Duration::from_secs(60);

/// The viewport's size: pages and screenshots.
pub const WIDTH: u64 = 1280;
pub const HEIGHT: u64 = 800;

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// Where the screenshots go: `target/screenshots/` of this build.
pub fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"));
    target.join("screenshots")
}

/// `chromedriver` on a free loopback port; its process group is killed
/// on drop.
struct Driver {
    child: Child,
    url: String,
}

impl Driver {
    fn start() -> Driver {
        for path in [CHROMIUM, CHROMEDRIVER] {
            assert!(
                std::path::Path::new(path).is_file(),
                "{path} is missing: the browser tests need Chromium and its driver \
                 (Debian: apt-get install chromium chromium-driver; .ci/run installs them)"
            );
        }
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let mut c = Command::new(CHROMEDRIVER);
        c.arg(format!("--port={port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        {
            use std::os::unix::process::CommandExt;
            c.process_group(0);
        }
        let child = c
            .spawn()
            .unwrap_or_else(|e| panic!("{CHROMEDRIVER} does not start: {e}"));
        // Chromium too, if this process ends without dropping the driver.
        super::county::watch(child.id(), true);
        let mut driver = Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        driver.wait_ready();
        driver
    }

    /// Waits until the driver answers `/status` as ready.
    fn wait_ready(&mut self) {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(2)))
            .build()
            .new_agent();
        let deadline = Instant::now() + START;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                let mut err = String::new();
                if let Some(mut e) = self.child.stderr.take() {
                    let _ = e.read_to_string(&mut err);
                }
                panic!("{CHROMEDRIVER} exited at once ({status}):\n{err}");
            }
            if let Ok(mut r) = agent.get(&format!("{}/status", self.url)).call() {
                let body = r.body_mut().read_to_string().unwrap_or_default();
                if body.contains("\"ready\":true") || body.contains("\"ready\": true") {
                    return;
                }
            }
            assert!(
                Instant::now() < deadline,
                "{CHROMEDRIVER} did not answer on {} within {START:?}",
                self.url
            );
            std::thread::sleep(Duration::from_millis(25));
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The whole group: chromedriver and the Chromium it started.
        unsafe {
            libc::kill(-(self.child.id() as i32), libc::SIGKILL);
        }
        let _ = self.child.wait();
    }
}

/// Headless Chromium at 1280x800 on a fresh profile, driven from the
/// test's thread: every method waits for its answer.
pub struct Browser {
    rt: tokio::runtime::Runtime,
    client: Option<Client>,
    _profile: TempDir,
    _driver: Driver,
}

impl Browser {
    pub fn start() -> Browser {
        let driver = Driver::start();
        let profile = tempfile::tempdir().expect("a profile directory");
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let args = [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--window-size=1280,800",
        ]
        .iter()
        .map(|a| a.to_string())
        .chain([format!("--user-data-dir={}", profile.path().display())])
        .collect::<Vec<_>>();
        let caps = serde_json::json!({
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": CHROMIUM, "args": args },
        });
        let serde_json::Value::Object(caps) = caps else {
            unreachable!()
        };
        // The driver is spoken to over plain HTTP, but the client's TLS
        // stack needs a process-wide provider: the one the project uses.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let connect = async {
            ClientBuilder::rustls()
                .map_err(|e| e.to_string())?
                .capabilities(caps)
                .connect(&driver.url)
                .await
                .map_err(|e| e.to_string())
        };
        let client = match rt.block_on(async { tokio::time::timeout(START, connect).await }) {
            Ok(Ok(client)) => client,
            Ok(Err(why)) => panic!("Chromium ({CHROMIUM}) did not start through {CHROMEDRIVER}: {why}"),
            Err(_) => panic!("Chromium ({CHROMIUM}) did not start within {START:?}"),
        };
        let b = Browser {
            rt,
            client: Some(client),
            _profile: profile,
            _driver: driver,
        };
        b.fit_viewport();
        b
    }

    /// Grows the window by what its frame takes, so that pages (and
    /// screenshots) are 1280x800.
    fn fit_viewport(&self) {
        self.resize_viewport(WIDTH, HEIGHT);
    }

    /// Sizes the window so that its viewport is `width` x `height` CSS
    /// pixels (a phone's 360 wide, say).
    pub fn resize_viewport(&self, width: u64, height: u64) {
        let (w, h) = self.viewport();
        let (outer_w, outer_h) = self.run("the window's size", self.client().get_window_size());
        if (w, h) != (width, height) {
            let (w, h) = (outer_w + width - w, outer_h + height - h);
            self.run(
                "resize the window",
                self.client().set_window_size(w as u32, h as u32),
            );
        }
        assert_eq!(self.viewport(), (width, height), "the browser's viewport");
    }

    fn client(&self) -> &Client {
        self.client.as_ref().expect("the browser runs")
    }

    /// Runs a WebDriver exchange; its failure fails the test, saying what
    /// was being done.
    fn run<T>(&self, what: &str, f: impl Future<Output = Result<T, CmdError>>) -> T {
        match self.rt.block_on(async { tokio::time::timeout(T * 2, f).await }) {
            Ok(Ok(t)) => t,
            Ok(Err(e)) => panic!("{what}: {e}"),
            Err(_) => panic!("{what}: no answer from the browser within {:?}", T * 2),
        }
    }

    /// Opens `url` and waits for it to load.
    pub fn open(&self, url: &str) {
        self.run(&format!("open {url}"), self.client().goto(url));
    }

    /// The address shown now.
    pub fn url(&self) -> String {
        self.run("current url", self.client().current_url()).to_string()
    }

    /// The path of the address shown now (`/office/queue`).
    pub fn path(&self) -> String {
        self.run("current url", self.client().current_url())
            .path()
            .to_string()
    }

    /// The HTTP status the page shown now was answered with.
    pub fn status(&self) -> u16 {
        let v = self.run(
            "the page's status",
            self.client().execute(
                "return performance.getEntriesByType('navigation')[0].responseStatus;",
                vec![],
            ),
        );
        v.as_u64()
            .unwrap_or_else(|| panic!("no status for the page: {v}")) as u16
    }

    /// The page's visible text.
    pub fn text(&self) -> String {
        self.run("the page's text", async {
            self.client().find(Locator::Css("body")).await?.text().await
        })
    }

    /// The page's HTML as the browser holds it.
    pub fn source(&self) -> String {
        self.run("the page's source", self.client().source())
    }

    /// The page's title.
    pub fn title(&self) -> String {
        self.run("the page's title", self.client().title())
    }

    /// The elements matching a CSS selector, waiting for none.
    pub fn all(&self, css: &str) -> Vec<Element> {
        self.run(&format!("find {css}"), self.client().find_all(Locator::Css(css)))
    }

    /// An element's attribute, if it has it.
    pub fn attr(&self, element: &Element, name: &str) -> Option<String> {
        self.run(&format!("the attribute {name}"), element.attr(name))
    }

    /// How many elements match a CSS selector now.
    pub fn count(&self, css: &str) -> usize {
        self.all(css).len()
    }

    /// The text of each element matching a CSS selector.
    pub fn texts(&self, css: &str) -> Vec<String> {
        let all = self.all(css);
        self.run(&format!("the text of {css}"), async {
            let mut out = Vec::with_capacity(all.len());
            for e in &all {
                out.push(e.text().await?);
            }
            Ok(out)
        })
    }

    /// Waits for an element matching a CSS selector.
    pub fn find(&self, css: &str) -> Element {
        self.run(
            &format!("wait for {css} on {}", self.url()),
            self.client().wait().at_most(T).for_element(Locator::Css(css)),
        )
    }

    /// Waits until the page's text contains `text`; the text then.
    pub fn wait_text(&self, text: &str) -> String {
        let deadline = Instant::now() + T;
        loop {
            let now = self.text();
            if now.contains(text) {
                return now;
            }
            assert!(
                Instant::now() < deadline,
                "{text:?} did not appear within {T:?} on {}:\n{now}",
                self.url()
            );
            self.pause();
        }
    }

    /// Runs a script in the page; what it returns.
    pub fn eval(&self, script: &str) -> serde_json::Value {
        self.run(&format!("run {script:?}"), self.client().execute(script, vec![]))
    }

    /// Waits until `look` finds what it looks for; that.
    pub fn wait_for<T>(&self, what: &str, look: impl Fn() -> Option<T>) -> T {
        let deadline = Instant::now() + T;
        loop {
            if let Some(found) = look() {
                return found;
            }
            assert!(
                Instant::now() < deadline,
                "{what} did not happen within {T:?} on {}",
                self.url()
            );
            self.pause();
        }
    }

    /// A short wait between two looks at a changing page.
    fn pause(&self) {
        self.rt
            .block_on(async { tokio::time::sleep(Duration::from_millis(50)).await });
    }

    /// Types `value` into the field named `name` (in `scope`, a CSS
    /// selector such as `form.refer`, or the whole page), replacing what
    /// it held; a `<select>` is set to the option with that label or value.
    pub fn fill_in(&self, scope: &str, name: &str, value: &str) {
        let css = format!("{scope} [name=\"{name}\"]");
        let field = self.find(css.trim());
        self.run(&format!("fill {css} with {value:?}"), async {
            if field.tag_name().await?.eq_ignore_ascii_case("select") {
                let by_label = field.select_by_label(value).await;
                if by_label.is_err() {
                    field.select_by_value(value).await?;
                }
                Ok(())
            } else {
                let kind = field.attr("type").await?.unwrap_or_default();
                if kind == "date" {
                    // Typing into a date box follows the locale's order:
                    // set the value the form sends instead.
                    self.client()
                        .execute(
                            "arguments[0].value = arguments[1];",
                            vec![serde_json::to_value(&field)?, value.into()],
                        )
                        .await?;
                    Ok(())
                } else {
                    field.clear().await?;
                    field.send_keys(value).await
                }
            }
        });
    }

    /// `fill_in` on the whole page.
    pub fn fill(&self, name: &str, value: &str) {
        self.fill_in("", name, value);
    }

    /// Clicks the element matching `css` (a button, a link) and waits for
    /// the next page to load.
    pub fn click(&self, css: &str) {
        let target = self.find(css);
        self.click_element(&target, css);
    }

    /// Clicks the submit button of the form matching `form` (CSS) and
    /// waits for the answer's page.
    pub fn submit(&self, form: &str) {
        self.click(&format!(
            "{form} button[type=submit], {form} input[type=submit], {form} button:not([type])"
        ));
    }

    /// Clicks the link whose text is `text` and waits for its page.
    pub fn follow(&self, text: &str) {
        let link = self.run(
            &format!("wait for the link {text:?}"),
            self.client()
                .wait()
                .at_most(T)
                .for_element(Locator::LinkText(text)),
        );
        self.click_element(&link, text);
    }

    fn click_element(&self, target: &Element, what: &str) {
        // The page shown now carries a mark; the next page does not.
        self.run(
            "mark the page",
            self.client().execute("window.jiedaiOldPage = true;", vec![]),
        );
        self.run(&format!("click {what}"), target.click());
        let deadline = Instant::now() + T;
        loop {
            // While the next page replaces this one, the browser may
            // answer with an error: look again.
            let look = self.rt.block_on(self.client().execute(
                "return window.jiedaiOldPage === undefined && document.readyState === 'complete';",
                vec![],
            ));
            if matches!(look, Ok(serde_json::Value::Bool(true))) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "clicking {what} did not lead to another page within {T:?} (on {}: {look:?})",
                self.url()
            );
            self.pause();
        }
    }

    /// Waits until the document shown has loaded.
    pub fn wait_loaded(&self) {
        let deadline = Instant::now() + T;
        loop {
            let state = self.run(
                "the page's state",
                self.client().execute("return document.readyState;", vec![]),
            );
            if state == "complete" {
                return;
            }
            assert!(Instant::now() < deadline, "the page did not load within {T:?}");
            self.pause();
        }
    }

    /// The value of the cookie `name`, if the browser holds one.
    pub fn cookie(&self, name: &str) -> Option<String> {
        let all = self.run("the cookies", self.client().get_all_cookies());
        all.into_iter()
            .find(|c| c.name() == name)
            .map(|c| c.value().to_string())
    }

    /// Saves the page as `target/screenshots/NAME.png`; its path.
    pub fn screenshot(&self, name: &str) -> PathBuf {
        let png = self.run("a screenshot", self.client().screenshot());
        save(name, "png", &png)
    }

    /// Scrolls the page so that the element matching `css` is at the top.
    pub fn scroll_to(&self, css: &str) {
        let target = self.find(css);
        self.run(
            &format!("scroll to {css}"),
            self.client().execute(
                "arguments[0].scrollIntoView({block: 'start'});",
                vec![serde_json::to_value(&target).expect("an element as JSON")],
            ),
        );
    }

    /// The size of the viewport in CSS pixels.
    pub fn viewport(&self) -> (u64, u64) {
        let v = self.run(
            "the viewport's size",
            self.client()
                .execute("return [window.innerWidth, window.innerHeight];", vec![]),
        );
        (
            v[0].as_u64().unwrap_or_default(),
            v[1].as_u64().unwrap_or_default(),
        )
    }
}

fn save(name: &str, ext: &str, bytes: &[u8]) -> PathBuf {
    let dir = screenshot_dir();
    std::fs::create_dir_all(&dir).expect("the screenshots' directory");
    let path = dir.join(format!("{name}.{ext}"));
    std::fs::write(&path, bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    path
}

impl Drop for Browser {
    fn drop(&mut self) {
        let Some(client) = self.client.take() else {
            return;
        };
        if std::thread::panicking() {
            // What the browser showed when the test failed.
            let name = std::thread::current().name().unwrap_or("test").replace("::", "-");
            let shown = self.rt.block_on(async {
                let page = async { Ok::<_, CmdError>((client.screenshot().await?, client.source().await?)) };
                tokio::time::timeout(Duration::from_secs(10), page).await
            });
            if let Ok(Ok((png, html))) = shown {
                let at = save(&format!("failed-{name}"), "png", &png);
                save(&format!("failed-{name}"), "html", html.as_bytes());
                eprintln!("the browser's page when the test failed: {}", at.display());
            }
        }
        let _ = self
            .rt
            .block_on(async { tokio::time::timeout(Duration::from_secs(10), client.close()).await });
    }
}
