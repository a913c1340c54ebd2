//! The data directory: where each file lives, the lock that keeps a second
//! process out, and this terminal's identity (`terminal.toml`).

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{IdentityProblem, StoreError, journal, private};

/// This terminal's identity: its station and its number inside the station
/// (several terminals per station each get their own number, so their codes
/// and event ids never collide). Written by `init` before anything else.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TerminalConfig {
    /// The station code (absent in files written by earlier versions; the
    /// journal's station then stands).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub station: Option<String>,
    pub terminal: u8,
    /// The origin generation of this terminal's events (0 or 1: the
    /// first). A recovery that cannot continue the terminal's numbering
    /// starts the next (see `domain::event::terminal_origin`).
    #[serde(default, skip_serializing_if = "is_first")]
    pub generation: u32,
}

fn is_first(generation: &u32) -> bool {
    *generation <= 1
}

/// Layout of a data directory.
pub struct Paths {
    pub dir: PathBuf,
}

impl Paths {
    pub fn new(dir: &Path) -> Paths {
        Paths {
            dir: dir.to_path_buf(),
        }
    }
    pub fn lock(&self) -> PathBuf {
        self.dir.join("jiedai.lock")
    }
    pub fn journal(&self) -> PathBuf {
        self.dir.join("journal")
    }
    pub fn db(&self) -> PathBuf {
        self.dir.join("db")
    }
    pub fn terminal(&self) -> PathBuf {
        self.dir.join("terminal.toml")
    }
    /// This terminal's staff PIN hashes, by staff id (`write_staff_pins`).
    pub fn staff_pins(&self) -> PathBuf {
        self.dir.join("staff-pins.json")
    }
    pub fn log(&self) -> PathBuf {
        self.dir.join("jiedai.log")
    }
}

pub fn take_lock(paths: &Paths) -> Result<File, StoreError> {
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(paths.lock())
        .map_err(|e| StoreError::io(&paths.lock(), e))?;
    // A lock this process just released can live on for a moment in a
    // child being spawned (it shares the descriptor until its exec): wait
    // briefly before calling the directory busy.
    let mut tries = 0;
    loop {
        match lock.try_lock() {
            Ok(()) => return Ok(lock),
            Err(std::fs::TryLockError::WouldBlock) if tries < 10 => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(20));
            }
            Err(std::fs::TryLockError::WouldBlock) => return Err(StoreError::Busy(paths.dir.clone())),
            Err(std::fs::TryLockError::Error(e)) => return Err(StoreError::io(&paths.lock(), e)),
        }
    }
}

/// Reads this terminal's identity file. Missing, unreadable, unparsable or
/// out of range is an error: a terminal never guesses who it is.
pub fn read_terminal(paths: &Paths) -> Result<TerminalConfig, StoreError> {
    let path = paths.terminal();
    let text = fs::read_to_string(&path).map_err(|e| StoreError::Identity {
        path: path.clone(),
        problem: IdentityProblem::Unreadable(e),
    })?;
    let config: TerminalConfig = toml::from_str(&text).map_err(|e| StoreError::Identity {
        path: path.clone(),
        problem: IdentityProblem::Invalid(Box::new(e)),
    })?;
    if !(1..=9).contains(&config.terminal) {
        return Err(StoreError::Identity {
            path,
            problem: IdentityProblem::TerminalOutOfRange(config.terminal),
        });
    }
    Ok(config)
}

/// The staff's PIN hashes kept on this terminal, by staff id: none when
/// the file is missing (a station without PINs, or set up by a version
/// that kept them in the journal's station event).
pub fn read_staff_pins(dir: &Path) -> Result<BTreeMap<String, String>, StoreError> {
    let path = Paths::new(dir).staff_pins();
    match fs::read(&path) {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| StoreError::Database {
            path,
            message: e.to_string(),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(BTreeMap::new()),
        Err(e) => Err(StoreError::io(&path, e)),
    }
}

/// Keeps the staff's PIN hashes on this terminal only, outside the journal
/// (whose events go to the county): durably, replacing what was there.
pub fn write_staff_pins(dir: &Path, pins: &BTreeMap<String, String>) -> Result<(), StoreError> {
    let path = Paths::new(dir).staff_pins();
    private::create_dir(dir).map_err(|e| StoreError::io(dir, e))?;
    let text = serde_json::to_string_pretty(pins).map_err(|e| StoreError::Database {
        path: path.clone(),
        message: e.to_string(),
    })?;
    replace_file(&path, &text)
}

/// Starts the terminal's next origin generation (durably, like
/// `write_terminal`; the rest of the file stays as it was). Returns it.
pub fn next_generation(dir: &Path) -> Result<u32, StoreError> {
    let paths = Paths::new(dir);
    let path = paths.terminal();
    let text = fs::read_to_string(&path).map_err(|e| StoreError::io(&path, e))?;
    let mut table: toml::Table = toml::from_str(&text).map_err(|e| StoreError::Identity {
        path: path.clone(),
        problem: IdentityProblem::Invalid(Box::new(e)),
    })?;
    let now = table
        .get("generation")
        .and_then(toml::Value::as_integer)
        .unwrap_or(1)
        .max(1);
    let next = now + 1;
    table.insert("generation".into(), toml::Value::Integer(next));
    replace_file(&path, &toml::to_string(&table).unwrap_or_default())?;
    Ok(next as u32)
}

/// Replaces the file at `path` with `text`, durably (`journal::replace_file`).
fn replace_file(path: &Path, text: &str) -> Result<(), StoreError> {
    journal::replace_file(path, text.as_bytes()).map_err(|e| StoreError::io(path, e))
}

/// Writes this machine's identity into a data directory (durably: it is
/// written to a new file, synced, and renamed into place).
pub fn write_terminal(dir: &Path, station: &str, terminal: u8) -> Result<(), StoreError> {
    let paths = Paths::new(dir);
    private::create_dir(dir).map_err(|e| StoreError::io(dir, e))?;
    let path = paths.terminal();
    // Other tables (such as [printer]) stay as they were.
    let mut table: toml::Table = fs::read_to_string(&path)
        .ok()
        .and_then(|t| toml::from_str(&t).ok())
        .unwrap_or_default();
    table.insert("station".into(), toml::Value::String(station.to_string()));
    table.insert("terminal".into(), toml::Value::Integer(i64::from(terminal)));
    let text = toml::to_string(&table).unwrap_or_default();
    replace_file(&path, &text)
}
