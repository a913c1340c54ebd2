//! The sync's bookkeeping at a terminal, and the events it sends.
//!
//! How far the county has acknowledged this terminal's events
//! (`Position`) is kept in `DIR/sync-position.json` beside the journal, a
//! small file replaced atomically, with the origin it counts (a terminal
//! that continues as a new origin starts from nothing): a rebuild of the
//! database leaves it where it was, and a terminal never resends what the
//! county already acknowledged. What the last attempt did (`SyncStatus`) is
//! kept in the same file. Both were kept in the database's tree `sync`
//! before the file existed, and are read from there until it is written.
//!
//! `Reader::outgoing` reads the next events to send straight from the
//! journal, as the journal holds their bytes, with each one's chain hash.

use std::ops::ControlFlow;
use std::path::PathBuf;

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use super::journal::Journal;
use super::{Paths, StoreError, keys, record};
use crate::domain::event::{CHAIN_GENESIS, chain_next};

const TREE: &str = "sync";
const POSITION: &[u8] = b"position";
const STATUS: &[u8] = b"status";

/// How far the county holds this terminal's events.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    /// The highest sequence the county acknowledged holding (all before it too).
    pub acked: u64,
    /// The chain hash at `acked` (empty: not known, computed from the start).
    pub hash: String,
    /// Where in the journal the record holding event `acked` starts.
    pub offset: u64,
}

/// What the last sync did, for the Sync screen and `jiedai sync`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncStatus {
    pub last_attempt: Option<DateTime<FixedOffset>>,
    pub last_success: Option<DateTime<FixedOffset>>,
    /// Why the last attempt failed, in the words the user read; cleared
    /// by a success.
    pub last_error: Option<String>,
    /// Events sent and received by the last successful sync.
    #[serde(default)]
    pub sent: u64,
    #[serde(default)]
    pub received: u64,
    /// The last successful sync that sent or received anything, and its
    /// counts: a later sync that moved nothing does not hide it.
    #[serde(default)]
    pub last_change: Option<DateTime<FixedOffset>>,
    #[serde(default)]
    pub change_sent: u64,
    #[serde(default)]
    pub change_received: u64,
}

impl SyncStatus {
    /// Records a successful sync at `at`.
    pub fn succeeded(&mut self, at: DateTime<FixedOffset>, sent: u64, received: u64) {
        self.last_success = Some(at);
        self.last_error = None;
        self.sent = sent;
        self.received = received;
        if sent > 0 || received > 0 {
            self.last_change = Some(at);
            self.change_sent = sent;
            self.change_received = received;
        }
    }
}

/// What a sync records in its file, through the store's `Writer`
/// (`Request::RecordSync`): how far the county holds this terminal's
/// events, or what the last attempt did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncRecord {
    Position(Position),
    Status(SyncStatus),
}

/// The `sync` tree of a terminal's database, and its position file.
#[derive(Clone)]
pub struct SyncState {
    tree: sled::Tree,
    db: PathBuf,
    /// `DIR/sync-position.json`.
    file: PathBuf,
    /// This terminal's origin (what the position counts).
    origin: String,
}

/// The position file's content (the last attempt's outcome with it).
#[derive(Default, Serialize, Deserialize)]
struct Stored {
    origin: String,
    position: Position,
    #[serde(default)]
    status: Option<SyncStatus>,
}

/// Where the position is kept.
pub fn position_path(dir: &std::path::Path) -> PathBuf {
    dir.join("sync-position.json")
}

/// One event to send.
#[derive(Debug)]
pub struct Outbound {
    pub seq: u64,
    /// The event exactly as the journal holds it.
    pub raw: Box<RawValue>,
    /// Chain hash after this event.
    pub hash: String,
    /// Where its record starts in the journal.
    pub record: u64,
}

/// The next events to send, in order.
#[derive(Debug, Default)]
pub struct Outgoing {
    /// Chain hash before the first event.
    pub prev: String,
    pub events: Vec<Outbound>,
    /// Bytes of the events' JSON.
    pub bytes: usize,
}

impl Outgoing {
    /// The position after the county acknowledged `acked`, when `acked`
    /// is one of these events (or the one before them).
    pub fn position_at(&self, acked: u64, before: &Position) -> Position {
        match self.events.iter().find(|e| e.seq == acked) {
            Some(e) => Position {
                acked,
                hash: e.hash.clone(),
                offset: e.record,
            },
            None if acked == before.acked => before.clone(),
            // Somewhere else: the chain hash there is found again from the
            // journal's start.
            None => Position {
                acked,
                hash: String::new(),
                offset: 0,
            },
        }
    }
}

impl SyncState {
    pub(super) fn open(
        tree: &sled::Db,
        db: PathBuf,
        dir: &std::path::Path,
        origin: String,
    ) -> Result<SyncState, StoreError> {
        let tree = tree.open_tree(TREE).map_err(|e| StoreError::sled(&db, e))?;
        Ok(SyncState {
            tree,
            db,
            file: position_path(dir),
            origin,
        })
    }

    fn get<T: serde::de::DeserializeOwned + Default>(&self, key: &[u8]) -> Result<T, StoreError> {
        match self.tree.get(key).map_err(|e| StoreError::sled(&self.db, e))? {
            Some(v) => serde_json::from_slice(&v).map_err(|e| StoreError::Database {
                path: self.db.clone(),
                message: format!("sync state: {e}"),
            }),
            None => Ok(T::default()),
        }
    }

    /// The file's content; None when there is none yet.
    fn stored(&self) -> Result<Option<Stored>, StoreError> {
        match std::fs::read(&self.file) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| StoreError::Database {
                    path: self.file.clone(),
                    message: format!("sync position: {e}"),
                }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(StoreError::io(&self.file, e)),
        }
    }

    /// How far the county holds this origin's events.
    pub fn position(&self) -> Result<Position, StoreError> {
        match self.stored()? {
            Some(stored) if stored.origin == self.origin => Ok(stored.position),
            Some(_) => Ok(Position::default()),
            // Kept in the database by earlier versions.
            None => self.get(POSITION),
        }
    }

    /// Records an acknowledgement (durable when this returns).
    pub fn set_position(&self, position: &Position) -> Result<(), StoreError> {
        let mut stored = self.current()?;
        stored.position = position.clone();
        self.write(&stored)
    }

    pub fn status(&self) -> Result<SyncStatus, StoreError> {
        match self.stored()? {
            Some(stored) => Ok(stored.status.unwrap_or_default()),
            None => self.get(STATUS),
        }
    }

    pub fn set_status(&self, status: &SyncStatus) -> Result<(), StoreError> {
        let mut stored = self.current()?;
        stored.status = Some(status.clone());
        self.write(&stored)
    }

    /// Records `record` (durable when this returns).
    pub fn record(&self, record: &SyncRecord) -> Result<(), StoreError> {
        match record {
            SyncRecord::Position(position) => self.set_position(position),
            SyncRecord::Status(status) => self.set_status(status),
        }
    }

    /// What the file should hold now: as it is, or as the database held it.
    fn current(&self) -> Result<Stored, StoreError> {
        Ok(match self.stored()? {
            Some(s) if s.origin == self.origin => s,
            Some(s) => Stored {
                origin: self.origin.clone(),
                position: Position::default(),
                status: s.status,
            },
            None => Stored {
                origin: self.origin.clone(),
                position: self.get(POSITION)?,
                status: Some(self.get(STATUS)?),
            },
        })
    }

    /// Replaces the file (a new file, fsynced, renamed over the old one):
    /// a failed write leaves the old one as it was.
    fn write(&self, stored: &Stored) -> Result<(), StoreError> {
        let bytes =
            serde_json::to_vec(stored).map_err(|e| StoreError::io(&self.file, std::io::Error::other(e)))?;
        super::journal::replace_file(&self.file, &bytes).map_err(|e| StoreError::io(&self.file, e))
    }
}

impl super::Reader {
    /// The terminal's sync bookkeeping.
    pub fn sync_state(&self) -> Result<SyncState, StoreError> {
        SyncState::open(&self.tree, self.db_path.clone(), &self.dir, self.own_origin()?)
    }

    /// This terminal's origin (`terminal_origin`).
    fn own_origin(&self) -> Result<String, StoreError> {
        let station = self.station()?.map(|s| s.code).unwrap_or_default();
        Ok(crate::domain::event::terminal_origin(
            &station,
            self.terminal(),
            self.generation(),
        ))
    }

    /// This terminal's last event sequence, as the database holds it.
    pub fn own_seq(&self) -> Result<u64, StoreError> {
        self.read_u64(keys::SEQ)
    }

    /// The other terminals of the station whose events this terminal
    /// holds (relayed by the county), as (origin, last sequence held), by
    /// origin.
    pub fn terminals_held(&self) -> Result<Vec<(String, u64)>, StoreError> {
        let own = self.own_origin()?;
        let mut out = Vec::new();
        for kv in self.tree.scan_prefix(keys::ORIGIN.as_bytes()) {
            let (k, v) = kv.map_err(|e| StoreError::sled(&self.db_path, e))?;
            let origin = String::from_utf8_lossy(&k[keys::ORIGIN.len()..]).into_owned();
            if origin == own || origin.starts_with(crate::domain::event::COUNTY_ORIGIN_PREFIX) {
                continue;
            }
            let seq = v.as_ref().try_into().map(u64::from_be_bytes).unwrap_or(0);
            out.push((origin, seq));
        }
        Ok(out)
    }

    /// The last sequence held of another origin (the county's cursor).
    pub fn origin_seq(&self, origin: &str) -> Result<u64, StoreError> {
        self.read_u64(&keys::origin(origin))
    }

    fn read_u64(&self, key: &[u8]) -> Result<u64, StoreError> {
        Ok(self
            .tree
            .get(key)
            .map_err(|e| StoreError::sled(&self.db_path, e))?
            .and_then(|v| v.as_ref().try_into().ok())
            .map(u64::from_be_bytes)
            .unwrap_or(0))
    }

    /// The events of this terminal (`origin`) after `from.acked`, in
    /// order, at most `max_events` of them and `max_bytes` of JSON (always
    /// at least one when there is one), read from the journal with their
    /// chain hashes.
    pub fn outgoing(
        &self,
        origin: &str,
        from: &Position,
        max_events: usize,
        max_bytes: usize,
    ) -> Result<Outgoing, StoreError> {
        let known = from.acked == 0 || !from.hash.is_empty();
        let start = if known { from.offset } else { 0 };
        let out = match self.outgoing_from(origin, from, start, known, max_events, max_bytes) {
            Ok(out) => out,
            // The position's record is no record of this journal (it was
            // rewritten by a recovery): read it from the start.
            Err(_) if start > 0 => return self.outgoing_from(origin, from, 0, false, max_events, max_bytes),
            Err(e) => return Err(e),
        };
        // The position's record is not where the events continue (the
        // journal was rewritten): read it from the start.
        if start > 0 && out.events.first().is_some_and(|e| e.seq != from.acked + 1) {
            return self.outgoing_from(origin, from, 0, false, max_events, max_bytes);
        }
        Ok(out)
    }

    fn outgoing_from(
        &self,
        origin: &str,
        from: &Position,
        start: u64,
        known: bool,
        max_events: usize,
        max_bytes: usize,
    ) -> Result<Outgoing, StoreError> {
        let path = Paths::new(&self.dir).journal();
        let journal = Journal::open_read(&path).map_err(|e| StoreError::io(&path, e))?;
        let mut chain = if known && from.acked > 0 {
            from.hash.clone()
        } else {
            CHAIN_GENESIS.to_string()
        };
        let mut out = Outgoing::default();
        journal
            .scan_while(start.max(super::journal::HEADER_LEN), |rec| {
                let decoded = record::decode_raw(rec.payload).map_err(|e| {
                    std::io::Error::new(
                        std::io::ErrorKind::InvalidData,
                        format!("record at offset {}: {e}", rec.start),
                    )
                })?;
                for raw in decoded {
                    let id = record::event_id(&raw)
                        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
                    if id.origin != origin {
                        continue;
                    }
                    if id.seq <= from.acked {
                        if !known {
                            chain = chain_next(&chain, raw.get().as_bytes());
                        }
                        continue;
                    }
                    if !out.events.is_empty()
                        && (out.events.len() >= max_events || out.bytes + raw.get().len() > max_bytes)
                    {
                        return Ok(ControlFlow::Break(()));
                    }
                    if out.events.is_empty() {
                        out.prev = chain.clone();
                    }
                    chain = chain_next(&chain, raw.get().as_bytes());
                    out.bytes += raw.get().len();
                    out.events.push(Outbound {
                        seq: id.seq,
                        raw,
                        hash: chain.clone(),
                        record: rec.start,
                    });
                }
                Ok(ControlFlow::Continue(()))
            })
            .map_err(|e| match super::survey_damage(&journal, 0) {
                // Damage not yet sent: said as at start-up, with what to do.
                Ok(damage) if !damage.is_empty() => StoreError::JournalDamaged {
                    path: path.clone(),
                    damage,
                },
                _ => StoreError::Journal {
                    path: path.clone(),
                    message: e.to_string(),
                },
            })?;
        Ok(out)
    }
}
