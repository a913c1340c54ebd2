//! The county server as a real process: `jiedai --data DIR county [--db
//! URL] serve --listen 127.0.0.1:0` on a temporary county directory, and
//! the staff commands on the same directory and database; `start_tls`
//! serves HTTPS with a given certificate and key.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// How long a start may take on a busy machine.
const START: Duration = Duration::from_secs(60);

pub struct County {
    /// The county directory (server key, log, SQLite database).
    pub dir: TempDir,
    /// `http://127.0.0.1:PORT` (`https://` with TLS)
    pub url: String,
    /// `--db` (None: SQLite in `dir`).
    pub db: Option<String>,
    /// `--tls-cert` and `--tls-key`.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// More arguments to `serve` (`--allow-probe`).
    args: Vec<String>,
    /// The server's soft limit on open files, when the test sets one.
    nofile: Option<u64>,
    child: Option<Child>,
}

/// The binary, on a machine whose clock zone is UTC.
fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_jiedai"));
    c.env("TZ", "UTC");
    c
}

impl County {
    /// Starts a server on a new county directory and a free port.
    pub fn start(db: Option<&str>) -> County {
        County::start_with(db, &[], None)
    }

    /// Starts a server with more arguments to `serve` (`--allow-probe`)
    /// and, with `nofile`, that soft limit on its open files (as a
    /// service manager might set).
    pub fn start_with(db: Option<&str>, args: &[&str], nofile: Option<u64>) -> County {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut county = County {
            dir,
            url: String::new(),
            db: db.map(str::to_string),
            tls: None,
            args: args.iter().map(|a| a.to_string()).collect(),
            nofile,
            child: None,
        };
        let (child, url) = county
            .try_spawn("127.0.0.1:0")
            .unwrap_or_else(|why| panic!("the county server did not start: {why}"));
        county.child = Some(child);
        county.url = url;
        county
    }

    /// Starts a server speaking HTTPS with this certificate and key.
    pub fn start_tls(db: Option<&str>, cert: &Path, key: &Path) -> County {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut county = County {
            dir,
            url: String::new(),
            db: db.map(str::to_string),
            tls: Some((cert.to_path_buf(), key.to_path_buf())),
            args: Vec::new(),
            nofile: None,
            child: None,
        };
        let (child, url) = county
            .try_spawn("127.0.0.1:0")
            .unwrap_or_else(|why| panic!("the county server did not start: {why}"));
        assert!(url.starts_with("https://"), "served {url} with TLS");
        county.child = Some(child);
        county.url = url;
        county
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// `host:port` of the server.
    pub fn addr(&self) -> &str {
        self.url
            .trim_start_matches("http://")
            .trim_start_matches("https://")
    }

    /// Kills the server at once (SIGKILL), as a power cut would.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Stops the server with SIGTERM and waits for it; its exit status.
    pub fn stop(&mut self) -> Option<std::process::ExitStatus> {
        let mut child = self.child.take()?;
        unsafe {
            libc::kill(child.id() as i32, libc::SIGTERM);
        }
        child.wait().ok()
    }

    /// Starts the server again on the same directory, database and port.
    pub fn restart(&mut self) {
        self.kill();
        let addr = self.addr().to_string();
        let deadline = Instant::now() + START;
        loop {
            match self.try_spawn(&addr) {
                Ok((child, url)) => {
                    assert_eq!(url, self.url, "restarted on another address");
                    self.child = Some(child);
                    return;
                }
                Err(why) if Instant::now() < deadline => {
                    eprintln!("county restart: {why}; trying again");
                    std::thread::sleep(Duration::from_millis(200));
                }
                Err(why) => panic!("the county server did not restart on {addr}: {why}"),
            }
        }
    }

    /// Starts the server again with these arguments to `serve` in place
    /// of the ones it was started with.
    pub fn restart_with(&mut self, args: &[&str]) {
        self.args = args.iter().map(|a| a.to_string()).collect();
        self.restart();
    }

    /// The command `jiedai --data DIR county [--db URL]`, ready for args.
    pub fn command(&self) -> Command {
        let mut c = bin();
        c.arg("--data").arg(self.dir.path()).arg("county");
        if let Some(db) = &self.db {
            c.arg("--db").arg(db);
        }
        c
    }

    /// Runs a staff command (`appeals`, `refer`, …) on this county.
    pub fn run(&self, args: &[&str]) -> Output {
        self.command().args(args).output().expect("the binary runs")
    }

    /// A connection to the county's database (SQLite in its directory,
    /// opened `ro` or `rw` as `sqlite_mode` says, or its PostgreSQL
    /// database), and the runtime to use it on.
    #[cfg(feature = "county")]
    pub fn database(&self, sqlite_mode: &str) -> (tokio::runtime::Runtime, sqlx::AnyConnection) {
        sqlx::any::install_default_drivers();
        let url = self.db.clone().unwrap_or_else(|| {
            format!(
                "sqlite://{}?mode={sqlite_mode}",
                self.path().join("county.db").display()
            )
        });
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let conn = runtime
            .block_on(<sqlx::AnyConnection as sqlx::Connection>::connect(&url))
            .unwrap();
        (runtime, conn)
    }

    /// Enrolls a station and writes its credentials to `out`.
    /// Adds handling units to the county's catalogue (`county unit add`).
    pub fn add_units(&self, names: &[&str]) {
        for name in names {
            let out = self.run(&["unit", "add", name]);
            assert!(
                out.status.success(),
                "unit add {name}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }

    pub fn enroll(&self, station: &str, name: &str, out: &Path) {
        self.enroll_with(station, name, out, &[]);
    }

    /// `enroll` with more arguments (`--ca FILE`, …).
    pub fn enroll_with(&self, station: &str, name: &str, out: &Path, more: &[&str]) {
        let mut args = vec![
            "enroll",
            "--station",
            station,
            "--name",
            name,
            "--out",
            out.to_str().expect("utf-8 path"),
            "--url",
            &self.url,
        ];
        args.extend_from_slice(more);
        let o = self.run(&args);
        assert!(
            o.status.success(),
            "county enroll {station}:\n{}\n{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
    }

    /// The server's log file.
    pub fn log(&self) -> PathBuf {
        self.dir.path().join("jiedai.log")
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("the server runs").id()
    }

    /// Starts `serve` on `listen`.
    fn try_spawn(&self, listen: &str) -> Result<(Child, String), String> {
        try_spawn(
            self.dir.path(),
            self.db.as_deref(),
            self.tls.as_ref(),
            listen,
            &self.args,
            self.nofile,
        )
    }
}

impl Drop for County {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Starts `serve` and waits for its line ending in `http(s)://…`.
fn try_spawn(
    dir: &Path,
    db: Option<&str>,
    tls: Option<&(PathBuf, PathBuf)>,
    listen: &str,
    args: &[String],
    nofile: Option<u64>,
) -> Result<(Child, String), String> {
    let mut c = bin();
    c.arg("--data").arg(dir).arg("county");
    if let Some(db) = db {
        c.arg("--db").arg(db);
    }
    c.args(["serve", "--listen", listen]);
    if let Some((cert, key)) = tls {
        c.arg("--tls-cert").arg(cert).arg("--tls-key").arg(key);
    }
    c.args(args);
    if let Some(soft) = nofile {
        use std::os::unix::process::CommandExt;
        // SAFETY: setrlimit is async-signal-safe; nothing else runs here.
        unsafe {
            c.pre_exec(move || {
                let mut limit = libc::rlimit {
                    rlim_cur: 0,
                    rlim_max: 0,
                };
                if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                limit.rlim_cur = soft.min(limit.rlim_max);
                if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    }
    let mut child = c
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("spawn: {e}"))?;
    watch(child.id());
    let stdout = child.stdout.take().expect("piped stdout");
    let stderr = child.stderr.take().expect("piped stderr");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines();
        let first = lines.next().and_then(Result::ok);
        let _ = tx.send(first);
        // Keep reading so the server never writes into a closed pipe.
        for _ in lines {}
    });
    let (etx, erx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut text = String::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            eprintln!("county server: {line}");
            text.push_str(&line);
            text.push('\n');
        }
        let _ = etx.send(text);
    });
    match rx.recv_timeout(START) {
        // "… http(s)://ADDR", in the user's language.
        Ok(Some(line)) => match line.find("http") {
            Some(at) => Ok((child, line[at..].trim().to_string())),
            None => {
                let _ = child.kill();
                let _ = child.wait();
                Err(format!("unexpected first line {line:?}"))
            }
        },
        _ => {
            let _ = child.kill();
            let _ = child.wait();
            let err = erx.recv_timeout(Duration::from_secs(5)).unwrap_or_default();
            Err(format!("no listening line; standard error:\n{err}"))
        }
    }
}

/// Kills the server if this process ends without doing so (a test killed
/// with SIGKILL would otherwise leave it listening).
fn watch(child: u32) {
    let script = format!(
        "while kill -0 {parent} 2>/dev/null && kill -0 {child} 2>/dev/null; do sleep 1; done; \
         kill -0 {parent} 2>/dev/null || kill -9 {child} 2>/dev/null",
        parent = std::process::id()
    );
    let _ = Command::new("sh")
        .args(["-c", &script])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
}

/// A page's status and text (a plain GET, as a browser asks).
pub fn get(url: &str) -> (u16, String) {
    let agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .new_agent();
    let mut r = agent.get(url).call().unwrap_or_else(|e| panic!("GET {url}: {e}"));
    (r.status().as_u16(), r.body_mut().read_to_string().unwrap())
}
