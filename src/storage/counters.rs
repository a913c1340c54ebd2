//! Floors under this terminal's counters: the event sequence and the daily
//! tracking-code sequences. Whatever recovery does to the journal (a torn
//! write set aside, damaged records dropped at the operator's request, a
//! database rebuilt), a tracking code given to a citizen and an event id
//! `(origin, seq)` are never issued twice: the next value is always above
//! both what the journal holds and the floor kept here.
//!
//! The file `DIR/counters` is written atomically (a new file, fsynced, then
//! renamed over the old one) and only when a commit goes past the floor,
//! which is then raised by a step ahead, so it costs one small write every
//! few hundred events. A clean close writes the exact values, so numbering
//! after a normal restart has no gaps; after a crash it may skip ahead.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::journal::sync_dir;

/// How far ahead of what is used the floors are raised.
const SEQ_STEP: u64 = 256;
const CODE_STEP: u32 = 32;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Floors {
    /// No event of this terminal has a sequence number above this.
    pub seq: u64,
    /// Per day prefix (`YYMMDD-SSSSSSSSS-T`): no code of this terminal on
    /// that day has a sequence above this.
    pub codes: BTreeMap<String, u32>,
    /// The origin `seq` belongs to (absent in files written before it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<String>,
}

pub struct Counters {
    path: PathBuf,
    pub floors: Floors,
    /// What the file holds now (it is rewritten only when this changes).
    written: Floors,
}

impl Counters {
    pub fn path(dir: &Path) -> PathBuf {
        dir.join("counters")
    }

    /// Reads the floors; a missing file gives zeros (the journal's values
    /// then stand alone). A file that does not parse is an error: the
    /// floors it held cannot be known.
    pub fn load(dir: &Path) -> io::Result<Counters> {
        let path = Counters::path(dir);
        let floors = match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e.to_string()))?,
            Err(e) if e.kind() == io::ErrorKind::NotFound => Floors::default(),
            Err(e) => return Err(e),
        };
        Ok(Counters {
            path,
            written: floors.clone(),
            floors,
        })
    }

    /// Makes the event floor this origin's: a renumbered terminal is a new
    /// origin, whose numbering starts afresh (written with the next save).
    pub fn adopt(&mut self, origin: &str) {
        if self.floors.origin.as_deref() != Some(origin) {
            if self.floors.origin.is_some() {
                self.floors.seq = 0;
            }
            self.floors.origin = Some(origin.to_string());
        }
    }

    /// The floor for a day prefix.
    pub fn code_floor(&self, prefix: &str) -> u32 {
        self.floors.codes.get(prefix).copied().unwrap_or(0)
    }

    /// Makes sure the floors cover event `seq` and the given codes (day
    /// prefix, sequence) before they are written anywhere; raises them a
    /// step ahead when they do not.
    pub fn cover(&mut self, seq: u64, codes: &[(String, u32)]) -> io::Result<()> {
        if seq > self.floors.seq {
            self.floors.seq = seq + SEQ_STEP;
        }
        for (prefix, n) in codes {
            let floor = self.floors.codes.entry(prefix.clone()).or_insert(0);
            if *n > *floor {
                *floor = n + CODE_STEP;
            }
        }
        self.save()
    }

    /// Sets the floors to exactly what was used (a clean close), never
    /// below what is already known to be used.
    pub fn settle(&mut self, seq: u64, codes: impl IntoIterator<Item = (String, u32)>) -> io::Result<()> {
        self.floors.seq = seq;
        for (prefix, n) in codes {
            self.floors.codes.insert(prefix, n);
        }
        self.save()
    }

    /// Raises the floors to at least these values (after records were
    /// dropped: their numbers stay used).
    pub fn raise(&mut self, seq: u64) -> io::Result<()> {
        self.floors.seq = self.floors.seq.max(seq);
        self.save()
    }

    fn save(&mut self) -> io::Result<()> {
        if self.floors == self.written {
            return Ok(());
        }
        let tmp = self.path.with_extension("new");
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(&serde_json::to_vec(&self.floors).map_err(io::Error::other)?)?;
        f.sync_all()?;
        drop(f);
        std::fs::rename(&tmp, &self.path)?;
        sync_dir(&self.path)?;
        self.written = self.floors.clone();
        Ok(())
    }
}
