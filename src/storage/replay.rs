//! Catching the database up with the journal's tail at start, and the
//! check that the records the county has not taken yet are readable.

use super::counters::Counters;
use super::journal::{self, Item, Journal, Tail};
use super::{
    DamageKind, DamageReport, Mode, OnProgress, Recovery, Store, StoreError, keys, read_u64, record,
    survey_damage, sync_state,
};

impl Store {
    /// Replays journal records past the database's applied offset. Damage
    /// stops it (nothing after the damage is applied, nothing is cut); a
    /// torn tail is set aside when writing and left alone when reading.
    pub(super) fn catch_up(&mut self, progress: OnProgress) -> Result<(), StoreError> {
        let applied = read_u64(&self.tree, keys::APPLIED)?;
        let jpath = self.journal.path().to_path_buf();
        let total = self.journal.len();
        let reader = Journal::open_read(&jpath).map_err(|e| StoreError::io(&jpath, e))?;
        let mut replayed = 0usize;
        let mut failure = None;
        let mut damaged = false;
        // A record whose events the database holds already.
        let mut repeated: Option<DamageReport> = None;
        let tail = reader.survey(applied, |item| {
            let record = match item {
                Item::Record(r) => r,
                Item::Damaged(_) => {
                    damaged = true;
                    return Err(std::io::Error::other("damaged"));
                }
            };
            let result = record::decode(record.payload)
                .map_err(|e| StoreError::Journal {
                    path: jpath.clone(),
                    message: format!("record at offset {}: {e}", record.start),
                })
                .and_then(|batch| {
                    self.heads.origin = self.origin();
                    if let Some(seqs) = self.heads.repeats(&batch.events) {
                        repeated = Some(DamageReport {
                            at: record.start,
                            bytes: record.end - record.start,
                            seqs: Some(seqs),
                            valid_after: 0,
                            kind: DamageKind::Repeat { of: None },
                        });
                        // Stops the replay; what is reported is `repeated`.
                        return Err(StoreError::ReadOnly);
                    }
                    let (ops, _) = self.stage(&batch.events, true)?;
                    let mut heads = self.heads.clone();
                    let meta = heads.advance(&batch.events, &batch.raws);
                    self.write_ops(ops, meta, &batch.events, record.start, record.end)?;
                    self.heads = heads;
                    Ok(())
                });
            if let Err(e) = result {
                failure = Some(e);
                return Err(std::io::Error::other("replay stopped"));
            }
            replayed += 1;
            if replayed.is_multiple_of(256) {
                progress(record.end.saturating_sub(applied), total.saturating_sub(applied));
            }
            Ok(())
        });
        if damaged {
            return Err(StoreError::JournalDamaged {
                path: jpath,
                damage: survey_damage(&reader, applied)?,
            });
        }
        if let Some(repeat) = repeated {
            // Named as a whole-journal survey names it (with its earlier
            // copy) when it is a copy of another record's bytes.
            let all = survey_damage(&reader, 0)?;
            return Err(StoreError::JournalDamaged {
                path: jpath,
                damage: if all.is_empty() { vec![repeat] } else { all },
            });
        }
        if let Some(e) = failure {
            return Err(e);
        }
        let tail = tail.map_err(|e| StoreError::io(&jpath, e))?;
        if replayed > 0 {
            progress(total.saturating_sub(applied), total.saturating_sub(applied));
            self.recovery.push(Recovery::Replayed { records: replayed });
        }
        if let Tail::Torn { at, bytes } = tail {
            match self.mode {
                Mode::Write => {
                    // Whatever numbers the unfinished write held are never
                    // given out again (nothing else may know them).
                    if let Some(counters) = self.counters.as_mut() {
                        let (seqs, torn) =
                            journal::bytes_at(&jpath, at, bytes).map_err(|e| StoreError::io(&jpath, e))?;
                        counters
                            .raise_from_bytes(seqs, &torn)
                            .map_err(|e| StoreError::io(&Counters::path(&self.paths.dir), e))?;
                    }
                    let aside = self
                        .journal
                        .set_aside_tail(at)
                        .map_err(|e| StoreError::io(&jpath, e))?;
                    self.recovery.push(Recovery::TornSetAside { at, bytes, aside });
                }
                Mode::Read => self.recovery.push(Recovery::TornFound { at, bytes }),
            }
        }
        Ok(())
    }

    /// Records the county has not taken yet are read again by the next
    /// sync: damage among them is said now, at start, rather than by a
    /// failing sync. Only what follows the county's acknowledgement is
    /// read (nothing for a terminal that never synced).
    pub(super) fn check_unsent(&self) -> Result<(), StoreError> {
        if !self.tree.tree_names().iter().any(|n| *n == "sync")
            && !sync_state::position_path(&self.paths.dir).exists()
        {
            return Ok(());
        }
        let position =
            sync_state::SyncState::open(&self.tree, self.paths.db(), &self.paths.dir, self.origin())?
                .position()?;
        if position.acked == 0 || position.offset == 0 {
            return Ok(());
        }
        // A journal rewritten by a recovery since the last sync has its
        // records elsewhere: then it is read from its start.
        let from = if self.journal.has_record_at(position.offset) {
            position.offset
        } else {
            0
        };
        let damage = survey_damage(&self.journal, from)?;
        if damage.is_empty() {
            return Ok(());
        }
        Err(StoreError::JournalDamaged {
            path: self.journal.path().to_path_buf(),
            damage,
        })
    }
}
