//! The tracking codes this terminal issues next.

use std::collections::HashSet;

use chrono::NaiveDate;

use super::{Store, StoreError, keys};
use crate::domain::TrackingCode;

impl Store {
    /// The next tracking codes this terminal issues on `date` (nothing is
    /// taken until a commit records them). Codes are taken from one
    /// sequence shared by visits and appeals, above every code this
    /// terminal registered that day and above the floor kept for it; codes
    /// that exist already (imported) are passed over.
    pub fn next_codes(&self, date: NaiveDate, count: usize) -> Result<Vec<TrackingCode>, StoreError> {
        let station = self
            .station_code
            .clone()
            .ok_or_else(|| StoreError::NoStation(self.paths.dir.clone()))?;
        let prefix = TrackingCode::day_prefix(date, &station, self.terminal);
        let mut issued = self.issued.borrow_mut();
        let last = match issued.get(&prefix) {
            Some(last) => *last,
            None => {
                let stored = self
                    .tree
                    .get(keys::issued(&prefix))
                    .map_err(|e| self.db_err(e))?
                    .map(|v| keys::read_u32(&v))
                    .unwrap_or(0);
                let floor = self.counters.as_ref().map(|c| c.code_floor(&prefix)).unwrap_or(0);
                *issued.entry(prefix.clone()).or_insert(stored.max(floor))
            }
        };
        let mut out = Vec::with_capacity(count);
        let mut seq = last;
        while out.len() < count {
            seq += 1;
            let code = TrackingCode::new(date, &station, self.terminal, seq).map_err(|_| {
                StoreError::CodesExhausted {
                    date,
                    terminal: self.terminal,
                }
            })?;
            let taken = [keys::appeal(code.as_str()), keys::visit(code.as_str())]
                .iter()
                .map(|k| self.tree.contains_key(k))
                .collect::<Result<Vec<bool>, _>>()
                .map_err(|e| self.db_err(e))?;
            if !taken.contains(&true) {
                out.push(code);
            }
        }
        Ok(out)
    }

    /// The next `count` codes on `date`, passing over `reserved` (codes
    /// that rows of an import file carry and will record themselves).
    pub fn next_codes_avoiding(
        &self,
        date: NaiveDate,
        count: usize,
        reserved: &HashSet<TrackingCode>,
    ) -> Result<Vec<TrackingCode>, StoreError> {
        let station = self
            .station_code
            .clone()
            .ok_or_else(|| StoreError::NoStation(self.paths.dir.clone()))?;
        let prefix = TrackingCode::day_prefix(date, &station, self.terminal);
        let taken = reserved
            .iter()
            .filter(|c| c.as_str().starts_with(&prefix))
            .count();
        Ok(self
            .next_codes(date, count + taken)?
            .into_iter()
            .filter(|c| !reserved.contains(c))
            .take(count)
            .collect())
    }
}
