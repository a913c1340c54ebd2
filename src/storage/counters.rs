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
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::journal::replace_file;
use crate::domain::TrackingCode;

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
        self.raise_all(seq, &[])
    }

    /// Raises the event floor to `seq` and each day's code floor to the
    /// given (day prefix, sequence), never lowering any.
    pub fn raise_all(&mut self, seq: u64, codes: &[(String, u32)]) -> io::Result<()> {
        self.floors.seq = self.floors.seq.max(seq);
        for (prefix, n) in codes {
            let floor = self.floors.codes.entry(prefix.clone()).or_insert(0);
            *floor = (*floor).max(*n);
        }
        self.save()
    }

    /// Raises the floors to every number that bytes being set aside (a
    /// damaged record, an unfinished write) may have given out: the event
    /// range of a header (`seqs`), and every tracking code written in them,
    /// as far as it can still be read.
    pub fn raise_from_bytes(&mut self, seqs: Option<(u64, u64)>, bytes: &[u8]) -> io::Result<()> {
        let codes: Vec<(String, u32)> = codes_in(bytes)
            .iter()
            .map(|c| {
                (
                    TrackingCode::day_prefix(c.date(), c.station(), c.terminal()),
                    c.seq(),
                )
            })
            .collect();
        self.raise_all(seqs.map(|(_, b)| b).unwrap_or(0), &codes)
    }

    fn save(&mut self) -> io::Result<()> {
        if self.floors == self.written {
            return Ok(());
        }
        replace_file(
            &self.path,
            &serde_json::to_vec(&self.floors).map_err(io::Error::other)?,
        )?;
        self.written = self.floors.clone();
        Ok(())
    }
}

/// Every tracking code written in `bytes` whose check digit holds:
/// `YYMMDD-SSSSSSSSS-TNNNN-C` or, from 10,000 on, `…-TNNNNN-C`.
pub fn codes_in(bytes: &[u8]) -> Vec<TrackingCode> {
    const SHORT: usize = 24;
    let digit = |b: &u8| b.is_ascii_digit();
    let mut out = Vec::new();
    let mut i = 0;
    while i + SHORT <= bytes.len() {
        let w = &bytes[i..];
        let shape = w[..6].iter().all(digit)
            && w[6] == b'-'
            && w[7..16].iter().all(digit)
            && w[16] == b'-'
            && w[17..22].iter().all(digit);
        if !shape {
            i += 1;
            continue;
        }
        // Four or five digits of sequence, then `-` and the check digit.
        let len = if w[22] == b'-' && digit(&w[23]) {
            Some(SHORT)
        } else if w.len() > SHORT && digit(&w[22]) && w[23] == b'-' && digit(&w[24]) {
            Some(SHORT + 1)
        } else {
            None
        };
        let code = len
            .and_then(|n| std::str::from_utf8(&w[..n]).ok())
            .and_then(|t| t.parse::<TrackingCode>().ok().filter(|c| c.as_str() == t));
        match code {
            Some(c) => {
                i += c.as_str().len();
                out.push(c);
            }
            None => i += 1,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn codes_are_found_in_damaged_bytes() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        let short = TrackingCode::new(day, "330999012", 2, 17).unwrap();
        let long = TrackingCode::new(day, "330999012", 2, 12345).unwrap();
        let mut bad = short.as_str().to_string();
        bad.replace_range(20..21, "9");
        let text = format!(
            "{{\"code\":\"{short}\",\"x\":\"{long}\",\"y\":\"{bad}\"}}\u{0}{}",
            &short.as_str()[..20]
        );
        assert_eq!(codes_in(text.as_bytes()), vec![short, long]);
        let dir = tempfile::tempdir().unwrap();
        let mut counters = Counters::load(dir.path()).unwrap();
        let prefix = TrackingCode::day_prefix(day, "330999012", 2);
        counters.floors.codes.insert(prefix.clone(), 20000);
        counters.raise_from_bytes(Some((5, 9)), text.as_bytes()).unwrap();
        assert_eq!((counters.floors.seq, counters.code_floor(&prefix)), (9, 20000));
    }
}
