//! A real PostgreSQL server in a temporary directory, reached through a
//! Unix socket only, for the tests that run the county on PostgreSQL.
//! `initdb` and `pg_ctl` come from PATH or /usr/lib/postgresql/*/bin; when
//! the tests run as root they run as the user `postgres`. Missing
//! binaries fail the test with a clear message: nothing is skipped.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

pub struct Postgres {
    root: PathBuf,
    bin: PathBuf,
    data: PathBuf,
    sock: PathBuf,
    as_postgres: bool,
    stopped: AtomicBool,
}

/// The directory holding `initdb`, `pg_ctl` and `createdb`.
fn find_bin() -> PathBuf {
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            if dir.join("initdb").is_file() && dir.join("pg_ctl").is_file() {
                // A link on PATH (/usr/local/bin/initdb) points into the
                // directory that also holds createdb.
                let real = std::fs::canonicalize(dir.join("initdb")).unwrap_or(dir.join("initdb"));
                let real_dir = real.parent().map(Path::to_path_buf).unwrap_or(dir.clone());
                if real_dir.join("createdb").is_file() {
                    return real_dir;
                }
                if dir.join("createdb").is_file() {
                    return dir;
                }
            }
        }
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|d| d.flatten().map(|e| e.path().join("bin")).collect())
        .unwrap_or_default();
    versions.sort();
    versions
        .into_iter()
        .rev()
        .find(|b| b.join("initdb").is_file() && b.join("pg_ctl").is_file())
        .unwrap_or_else(|| {
            panic!(
                "PostgreSQL's initdb and pg_ctl were not found on PATH nor in /usr/lib/postgresql/*/bin: \
                 install PostgreSQL (e.g. apt-get install postgresql) to run the county's PostgreSQL tests"
            )
        })
}

impl Postgres {
    /// Starts a new server; panics with the reason when it cannot.
    pub fn start() -> Postgres {
        let bin = find_bin();
        let as_postgres = unsafe { libc::geteuid() } == 0;
        let root = tempfile::Builder::new()
            .prefix("jiedai-pg")
            .tempdir_in("/tmp")
            .expect("a temporary directory")
            .keep();
        let data = root.join("data");
        let sock = root.join("sock");
        std::fs::create_dir_all(&sock).expect("socket directory");
        if as_postgres {
            let status = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&root)
                .status()
                .expect("chown runs");
            assert!(status.success(), "chown -R postgres {}", root.display());
        }
        let pg = Postgres {
            root,
            bin,
            data,
            sock,
            as_postgres,
            stopped: AtomicBool::new(false),
        };
        pg.run(
            "initdb",
            &[
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
                "-D",
                pg.data.to_str().expect("utf-8 path"),
            ],
        );
        let options = format!(
            "-k {} -c listen_addresses='' -c fsync=on -c max_connections=200",
            pg.sock.display()
        );
        let log = pg.root.join("postgres.log");
        pg.run(
            "pg_ctl",
            &[
                "-w",
                "-D",
                pg.data.to_str().expect("utf-8 path"),
                "-l",
                log.to_str().expect("utf-8 path"),
                "-o",
                &options,
                "start",
            ],
        );
        pg.watch();
        pg
    }

    /// A shell that waits for this process to end, however it ends (a
    /// failed test, SIGKILL), then stops the server and removes its files.
    // The watchdog outlives this process on purpose: nobody waits for it.
    #[allow(clippy::zombie_processes)]
    fn watch(&self) {
        let stop = format!(
            "{}{} -D '{}' -m immediate stop",
            if self.as_postgres {
                "runuser -u postgres -- "
            } else {
                ""
            },
            self.bin.join("pg_ctl").display(),
            self.data.display()
        );
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 1; done; {stop} >/dev/null 2>&1; rm -rf '{root}'",
            pid = std::process::id(),
            root = self.root.display()
        );
        Command::new("sh")
            .args(["-c", &script])
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("the watchdog shell starts");
    }

    fn command(&self, tool: &str) -> Command {
        let exe = self.bin.join(tool);
        if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(exe);
            c
        } else {
            Command::new(exe)
        }
    }

    fn run(&self, tool: &str, args: &[&str]) {
        let out = self
            .command(tool)
            .args(args)
            .current_dir(&self.root)
            .output()
            .unwrap_or_else(|e| panic!("{tool} does not run: {e}"));
        assert!(
            out.status.success(),
            "{tool} {args:?} failed:\n{}\n{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(self.root.join("postgres.log")).unwrap_or_default()
        );
    }

    /// Creates the database `db` and returns its sqlx URL (Unix socket).
    pub fn url(&self, db: &str) -> String {
        self.run(
            "createdb",
            &[
                "-h",
                self.sock.to_str().expect("utf-8 path"),
                "-U",
                "postgres",
                db,
            ],
        );
        format!("postgres://postgres@localhost/{db}?host={}", self.sock.display())
    }

    pub fn socket_dir(&self) -> &Path {
        &self.sock
    }

    /// Stops the server at once and removes its files.
    pub fn stop(&self) {
        if self.stopped.swap(true, Ordering::SeqCst) {
            return;
        }
        let _ = self
            .command("pg_ctl")
            .args(["-D", self.data.to_str().unwrap_or(""), "-m", "immediate", "stop"])
            .current_dir(&self.root)
            .output();
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        self.stop();
    }
}

static SHARED: OnceLock<Postgres> = OnceLock::new();

extern "C" fn stop_shared() {
    if let Some(pg) = SHARED.get() {
        pg.stop();
    }
}

/// One server for the whole test binary, stopped when the process exits.
pub fn shared() -> &'static Postgres {
    SHARED.get_or_init(|| {
        let pg = Postgres::start();
        unsafe {
            libc::atexit(stop_shared);
        }
        pg
    })
}
