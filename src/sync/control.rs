//! `jiedai sync` while the kiosk is open. The kiosk holds the data
//! directory, so the command cannot open the store; instead it asks the
//! kiosk through a Unix socket in the data directory (`kiosk.sock`, mode
//! 0600, removed when the kiosk closes). The kiosk's sync worker runs the
//! sync and the answer goes back on the same connection.
//!
//! The exchange is one JSON line each way: the command sends an `Ask`,
//! the kiosk answers with an `Answer` when the sync is over.

use std::io::{BufRead, BufReader, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::error::SyncError;
use super::worker::{Job, SyncHandle};
use crate::i18n::Lang;
use crate::jobs::sync::{Report, Trigger};

/// Where the kiosk listens.
pub fn socket_path(dir: &Path) -> PathBuf {
    dir.join("kiosk.sock")
}

/// What the command asks.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Ask {
    /// Only "sync" for now.
    pub op: String,
    /// The language to answer in.
    pub lang: Lang,
    /// Tries at most (the command's `--attempts`).
    pub attempts: u32,
}

/// The kiosk's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Answer {
    Done { sent: u64, stored: u64, received: u64 },
    Failed { message: String },
}

impl Answer {
    fn of(result: &Result<Report, SyncError>, lang: Lang) -> Answer {
        match result {
            Ok(r) => Answer::Done {
                sent: r.sent,
                stored: r.stored,
                received: r.received,
            },
            Err(e) => Answer::Failed {
                message: e.message(lang),
            },
        }
    }
}

/// The kiosk's listening socket, closed and removed when dropped.
pub struct Listener {
    path: PathBuf,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Listener {
    /// Listens on `dir/kiosk.sock`, handing each request to the worker.
    /// The kiosk holds the directory's lock, so a socket file already
    /// there was left by a kiosk that did not close; it is replaced.
    pub fn start(dir: &Path, worker: SyncHandle) -> std::io::Result<Listener> {
        use std::os::unix::fs::PermissionsExt;
        let path = socket_path(dir);
        match std::fs::remove_file(&path) {
            Ok(()) => log::info!("removed a stale {}", path.display()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        let listener = UnixListener::bind(&path)?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))?;
        listener.set_nonblocking(true)?;
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let stop = stop.clone();
            std::thread::Builder::new()
                .name("control".into())
                .spawn(move || serve(&listener, &worker, &stop))?
        };
        Ok(Listener {
            path,
            stop,
            thread: Some(thread),
        })
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        let _ = std::fs::remove_file(&self.path);
    }
}

fn serve(listener: &UnixListener, worker: &SyncHandle, stop: &AtomicBool) {
    while !stop.load(Ordering::Relaxed) {
        match listener.accept() {
            Ok((stream, _)) => {
                if let Err(e) = take(stream, worker) {
                    log::warn!("control socket: {e}");
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(100));
            }
            Err(e) => {
                log::warn!("control socket: {e}");
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    }
}

/// Reads one request and passes it on; the answer is written from the
/// worker's thread when the sync is over.
fn take(stream: UnixStream, worker: &SyncHandle) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    stream.set_write_timeout(Some(Duration::from_secs(5)))?;
    let mut line = String::new();
    {
        use std::io::Read;
        BufReader::new((&stream).take(64 * 1024)).read_line(&mut line)?;
    }
    let ask: Ask = serde_json::from_str(&line).map_err(std::io::Error::other)?;
    if ask.op != "sync" {
        return Err(std::io::Error::other(format!("unknown request {:?}", ask.op)));
    }
    log::info!("sync asked for through the control socket");
    let lang = ask.lang;
    let mut stream = stream;
    worker.request(Job {
        trigger: Trigger::Command,
        attempts: ask.attempts.max(1),
        reply: Some(Box::new(move |result| {
            let _ = write_line(&mut stream, &Answer::of(result, lang));
        })),
    });
    Ok(())
}

fn write_line<T: Serialize>(stream: &mut UnixStream, value: &T) -> std::io::Result<()> {
    let mut bytes = serde_json::to_vec(value).map_err(std::io::Error::other)?;
    bytes.push(b'\n');
    stream.write_all(&bytes)?;
    stream.flush()
}

/// Why the kiosk gave no answer.
#[derive(Debug, thiserror::Error)]
pub enum AskError {
    /// Nothing listens: no kiosk, or one of an earlier version.
    #[error("no kiosk answers on this data directory")]
    NoKiosk,
    /// The kiosk took the request but closed before answering.
    #[error("the kiosk closed before answering: {0}")]
    Lost(#[source] std::io::Error),
}

/// Asks the kiosk running on `dir` for a sync and waits for its answer.
pub fn ask(dir: &Path, ask: &Ask) -> Result<Answer, AskError> {
    let mut stream = UnixStream::connect(socket_path(dir)).map_err(|_| AskError::NoKiosk)?;
    write_line(&mut stream, ask).map_err(|_| AskError::NoKiosk)?;
    let mut line = String::new();
    BufReader::new(&stream)
        .read_line(&mut line)
        .map_err(AskError::Lost)?;
    if line.trim().is_empty() {
        return Err(AskError::Lost(std::io::Error::from(
            std::io::ErrorKind::UnexpectedEof,
        )));
    }
    serde_json::from_str(&line).map_err(|e| AskError::Lost(std::io::Error::other(e)))
}
