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
        let dir = tempfile::tempdir().expect("tempdir");
        let db = db.map(str::to_string);
        let (child, url) = spawn(dir.path(), db.as_deref(), None, "127.0.0.1:0");
        County {
            dir,
            url,
            db,
            tls: None,
            child: Some(child),
        }
    }

    /// Starts a server speaking HTTPS with this certificate and key.
    pub fn start_tls(db: Option<&str>, cert: &Path, key: &Path) -> County {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = db.map(str::to_string);
        let tls = Some((cert.to_path_buf(), key.to_path_buf()));
        let (child, url) = spawn(dir.path(), db.as_deref(), tls.as_ref(), "127.0.0.1:0");
        assert!(url.starts_with("https://"), "served {url} with TLS");
        County {
            dir,
            url,
            db,
            tls,
            child: Some(child),
        }
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
            match try_spawn(self.dir.path(), self.db.as_deref(), self.tls.as_ref(), &addr) {
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

    /// Enrolls a station and writes its credentials to `out`.
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
}

impl Drop for County {
    fn drop(&mut self) {
        self.kill();
    }
}

fn spawn(dir: &Path, db: Option<&str>, tls: Option<&(PathBuf, PathBuf)>, listen: &str) -> (Child, String) {
    try_spawn(dir, db, tls, listen).unwrap_or_else(|why| panic!("the county server did not start: {why}"))
}

/// Starts `serve` and waits for its `listening on http(s)://…` line.
fn try_spawn(
    dir: &Path,
    db: Option<&str>,
    tls: Option<&(PathBuf, PathBuf)>,
    listen: &str,
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
        Ok(Some(line)) => match line.strip_prefix("listening on ") {
            Some(url) => Ok((child, url.trim().to_string())),
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
