//! Print jobs: what was asked of a printer and how it went (pending →
//! sending → done; failed with a reason when nothing reached the printer;
//! unsure when the bytes may have reached it and something went wrong).
//! They are not events of an appeal's history and are not in the journal:
//! they live in `DIR/print-jobs.json` beside it, a small file replaced
//! atomically (a new file, fsynced, renamed over the old one), so that a
//! rebuild of the database, even of one sled can no longer read, keeps
//! them. Jobs kept by earlier versions in the database's tree `print_jobs`
//! (keys `j/<id, u64 BE>`) are read from there until the file is first
//! written.

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

use super::codec::decode;
use super::{DbFailure, StoreError};

const TREE: &str = "print_jobs";
const PREFIX: &[u8] = b"j/";

/// What a job prints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum JobKind {
    /// An appeal's receipt.
    Receipt { code: String },
    /// The test page.
    Test,
    /// The visitor registration form (代表接待选民登记表): blank, or
    /// filled from the visit of this code.
    Form {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        visit: Option<String>,
    },
    /// The deputies' duty points of a quarter (`2026Q4`) for the notice
    /// board.
    Points { quarter: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum JobState {
    Pending,
    /// The bytes are on their way to the printer (a job left in this
    /// state was cut off while sending: the slip may have printed).
    Sending,
    /// Every byte went to the printer; its status afterwards is not known
    /// (written by earlier versions).
    Sent,
    Done,
    /// Nothing reached the printer; kept for a retry.
    Failed {
        reason: String,
    },
    /// The bytes may have reached the printer, and then something went
    /// wrong (a write cut off, no status after it, paper out at its end):
    /// never sent again by itself, only reprinted on purpose (补打).
    Unsure {
        reason: String,
    },
}

impl JobState {
    /// Still to print: pending, or failed before any byte reached the
    /// printer and kept for a retry.
    pub fn open(&self) -> bool {
        matches!(self, JobState::Pending | JobState::Failed { .. })
    }

    /// Whether the slip may have come out of the printer.
    pub fn may_have_printed(&self) -> bool {
        !matches!(self, JobState::Pending | JobState::Failed { .. })
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrintJob {
    pub id: u64,
    pub kind: JobKind,
    pub created: DateTime<FixedOffset>,
    pub actor: String,
    /// A second or later receipt for the same appeal (marked 补打).
    #[serde(default)]
    pub reprint: bool,
    pub state: JobState,
    #[serde(default)]
    pub attempts: u32,
    /// The printer it last went to.
    #[serde(default)]
    pub target: String,
    #[serde(default)]
    pub updated: Option<DateTime<FixedOffset>>,
}

/// The job records; cheap to clone, usable from any thread.
#[derive(Clone)]
pub struct PrintJobs {
    tree: sled::Tree,
    db_path: std::path::PathBuf,
    /// `DIR/print-jobs.json`.
    file: std::path::PathBuf,
}

/// One writer of job files at a time in this process.
static WRITING: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Where the jobs are kept.
pub fn jobs_path(dir: &std::path::Path) -> std::path::PathBuf {
    dir.join("print-jobs.json")
}

impl PrintJobs {
    pub(crate) fn open(
        db: &sled::Db,
        db_path: &std::path::Path,
        dir: &std::path::Path,
    ) -> Result<PrintJobs, StoreError> {
        let tree = db.open_tree(TREE).map_err(|e| e.at(db_path))?;
        Ok(PrintJobs {
            tree,
            db_path: db_path.to_path_buf(),
            file: jobs_path(dir),
        })
    }

    fn err(&self, e: impl DbFailure) -> StoreError {
        e.at(&self.db_path)
    }

    /// A new pending job, not yet recorded (`put` records it): the next
    /// number, and a receipt for an appeal that was printed (or sent to a
    /// printer) before is a reprint. One thread records jobs at a time
    /// (the store's writer beside the kiosk), so numbers are not taken
    /// twice.
    pub fn new_job(
        &self,
        kind: JobKind,
        actor: &str,
        at: DateTime<FixedOffset>,
    ) -> Result<PrintJob, StoreError> {
        let jobs = self.all()?;
        let reprint = match &kind {
            JobKind::Receipt { .. } => jobs.iter().any(|j| j.kind == kind && j.state.may_have_printed()),
            JobKind::Test | JobKind::Form { .. } | JobKind::Points { .. } => false,
        };
        Ok(PrintJob {
            id: jobs.iter().map(|j| j.id).max().unwrap_or(0) + 1,
            kind,
            created: at,
            actor: actor.to_string(),
            reprint,
            state: JobState::Pending,
            attempts: 0,
            target: String::new(),
            updated: None,
        })
    }

    /// Writes a job's record as it now stands (durably).
    pub fn put(&self, job: &PrintJob) -> Result<(), StoreError> {
        let _turn = WRITING.lock().unwrap_or_else(|p| p.into_inner());
        let mut jobs = self.all()?;
        match jobs.iter_mut().find(|j| j.id == job.id) {
            Some(held) => *held = job.clone(),
            None => {
                jobs.push(job.clone());
                jobs.sort_by_key(|j| j.id);
            }
        }
        self.write(&jobs)
    }

    /// Replaces the file with `jobs` (a new file, fsynced, renamed).
    fn write(&self, jobs: &[PrintJob]) -> Result<(), StoreError> {
        let bytes =
            serde_json::to_vec(jobs).map_err(|e| StoreError::io(&self.file, std::io::Error::other(e)))?;
        super::journal::replace_file(&self.file, &bytes).map_err(|e| StoreError::io(&self.file, e))
    }

    pub fn get(&self, id: u64) -> Result<Option<PrintJob>, StoreError> {
        Ok(self.all()?.into_iter().find(|j| j.id == id))
    }

    /// Every job, oldest first.
    pub fn all(&self) -> Result<Vec<PrintJob>, StoreError> {
        match std::fs::read(&self.file) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| StoreError::Database {
                path: self.file.clone(),
                message: format!("print jobs: {e}"),
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => self
                .tree
                .scan_prefix(PREFIX)
                .map(|kv| {
                    let (_, v) = kv.map_err(|e| self.err(e))?;
                    decode(&v).map_err(|e| self.err(e))
                })
                .collect(),
            Err(e) => Err(StoreError::io(&self.file, e)),
        }
    }

    /// Jobs still to print (pending or failed), oldest first.
    pub fn open_jobs(&self) -> Result<Vec<PrintJob>, StoreError> {
        Ok(self.all()?.into_iter().filter(|j| j.state.open()).collect())
    }

    /// Jobs that may have printed although something went wrong (unsure,
    /// or cut off while sending), with no later slip of the same kind
    /// printed since: staff are to look whether they came out.
    pub fn unsure_jobs(&self) -> Result<Vec<PrintJob>, StoreError> {
        let all = self.all()?;
        let settled = |j: &PrintJob| {
            all.iter()
                .any(|k| k.id > j.id && k.kind == j.kind && k.state == JobState::Done)
        };
        Ok(all
            .iter()
            .filter(|j| {
                matches!(
                    j.state,
                    JobState::Unsure { .. } | JobState::Sending | JobState::Sent
                )
            })
            .filter(|j| !settled(j))
            .cloned()
            .collect())
    }
}
