//! Saving: events checked and staged over the database, one journal
//! record written and fsynced, then one atomic database batch; and the
//! county's feed taken the same way.

use chrono::{DateTime, FixedOffset};

use super::counters::Counters;
use super::projection::Staged;
use super::{
    Mode, Ops, PROJECTION_VERSION, Store, StoreError, catalog_cache, clone_cause, journal, keys,
    new_access_key, record,
};
use crate::domain::{Change, Event, EventBody, EventId, TrackingCode};

impl Store {
    /// Projects events over the database without writing anything. With
    /// `lenient`, an event that cannot be applied is skipped and logged
    /// (replay must not stop on one bad event); otherwise it fails the whole
    /// batch. Returns the writes and the codes of the appeals touched.
    pub(super) fn stage(&self, events: &[Event], lenient: bool) -> Result<(Ops, Vec<String>), StoreError> {
        let mut staged = Staged::new(&self.tree);
        for event in events {
            if let Err(e) = staged.apply(event) {
                if !lenient {
                    return Err(e.into());
                }
                log::error!("event {:?} could not be applied during replay: {e}", event.id);
            }
        }
        let touched = staged.touched_appeals();
        Ok((staged.ops(), touched))
    }

    /// The sled batch for staged projections, with the numbering heads
    /// and the journal position they came from (one atomic write).
    fn batch(ops: &Ops, meta: &[(Vec<u8>, Vec<u8>)], journal_start: u64, journal_end: u64) -> sled::Batch {
        let mut batch = sled::Batch::default();
        for (k, v) in ops {
            match v {
                Some(v) => batch.insert(k.as_slice(), v.as_slice()),
                None => batch.remove(k.as_slice()),
            }
        }
        for (k, v) in meta {
            batch.insert(k.as_slice(), v.as_slice());
        }
        batch.insert(keys::APPLIED, &journal_end.to_be_bytes());
        batch.insert(keys::APPLIED_FROM, &journal_start.to_be_bytes());
        batch.insert(keys::PROJECTIONS, &PROJECTION_VERSION.to_be_bytes());
        batch
    }

    /// Writes staged projections in one atomic batch.
    pub(super) fn write_ops(
        &mut self,
        ops: Ops,
        meta: Vec<(Vec<u8>, Vec<u8>)>,
        events: &[Event],
        journal_start: u64,
        journal_end: u64,
    ) -> Result<(), StoreError> {
        let batch = Store::batch(&ops, &meta, journal_start, journal_end);
        self.tree
            .apply_batch(batch)
            .map_err(|e| StoreError::sled(&self.paths.db(), e))?;
        self.after_write(&ops, events, journal_end);
        Ok(())
    }

    /// What follows a database write: cached counters and the catalog cache.
    fn after_write(&mut self, ops: &Ops, events: &[Event], journal_end: u64) {
        for event in events {
            self.note(event);
        }
        // Keep the catalog cache current: the new catalog lines as stored.
        let lines: Vec<&[u8]> = ops
            .iter()
            .filter(|(k, _)| k.starts_with(keys::CATALOG.as_bytes()))
            .filter_map(|(_, v)| v.as_deref())
            .collect();
        let mut state = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        let path = catalog_cache::cache_path(&self.paths.dir);
        if let Err(e) = catalog_cache::append(&mut state, &path, &lines, journal_end) {
            log::warn!("could not append to the catalog cache {}: {e}", path.display());
            state.ready = false;
        }
    }

    /// This terminal's own code in an event, as (day prefix, sequence).
    fn own_code(&self, event: &Event) -> Option<(String, u32)> {
        let code = match &event.body {
            EventBody::VisitRegistered { visit } => &visit.code,
            EventBody::AppealRegistered { appeal } => &appeal.code,
            _ => return None,
        };
        (Some(code.station()) == self.station_code.as_deref() && code.terminal() == self.terminal).then(
            || {
                (
                    TrackingCode::day_prefix(code.date(), code.station(), code.terminal()),
                    code.seq(),
                )
            },
        )
    }

    /// Keeps the cached station code and issued-code counters current.
    fn note(&mut self, event: &Event) {
        if let EventBody::StationConfigured { station } = &event.body {
            self.station_code = Some(station.code.clone());
            return;
        }
        if let Some((prefix, seq)) = self.own_code(event) {
            let mut issued = self.issued.borrow_mut();
            if let Some(last) = issued.get_mut(&prefix) {
                *last = (*last).max(seq);
            }
        }
    }

    /// Records changes as events: checks them against the current state
    /// (an illegal change is refused and nothing is written), appends them
    /// to the journal and fsyncs it, then updates the database. When this
    /// returns Ok the change is durable. Returns the events and the codes
    /// of the appeals that changed.
    pub fn commit(
        &mut self,
        actor: &str,
        changes: Vec<Change>,
    ) -> Result<(Vec<Event>, Vec<String>), StoreError> {
        let now = self.zone()?.now();
        self.commit_at(actor, now, changes)
    }

    pub fn commit_at(
        &mut self,
        actor: &str,
        at: DateTime<FixedOffset>,
        changes: Vec<Change>,
    ) -> Result<(Vec<Event>, Vec<String>), StoreError> {
        self.commit_dated(actor, changes.into_iter().map(|c| (at, c)).collect())
    }

    /// Like `commit_at`, with a time per change (for imported history:
    /// each row's events carry that row's date). One journal record, so
    /// the changes are saved all or nothing; a record over the journal's
    /// limit is refused (`StoreError::TooLarge`): callers split big batches.
    ///
    /// The order is what makes a save safe: the floors under the counters
    /// are raised, the record is written and fsynced, and only then does the
    /// database take it. Any write error stops further saves until restart.
    /// If the database write fails after the record is durable, the change
    /// is saved (the database catches up at the next start) and this
    /// returns Ok; the next save reports the stop.
    pub fn commit_dated(
        &mut self,
        actor: &str,
        mut changes: Vec<(DateTime<FixedOffset>, Change)>,
    ) -> Result<(Vec<Event>, Vec<String>), StoreError> {
        if self.mode == Mode::Read {
            return Err(StoreError::ReadOnly);
        }
        // A new appeal always gets its access key with it (an import's rows
        // come without one; an appeal from another station keeps its own).
        for (_, change) in changes.iter_mut() {
            if let EventBody::AppealRegistered { appeal } | EventBody::AppealImported { appeal } = change
                && appeal.access_key.is_empty()
            {
                appeal.access_key = new_access_key()?;
            }
        }
        if let Some(cause) = &self.stopped {
            return Err(StoreError::Stopped {
                cause: Box::new(clone_cause(cause)),
            });
        }
        if let Some(EventBody::StationConfigured { station }) = changes.first().map(|(_, c)| c)
            && self.station_code.is_none()
        {
            self.station_code = Some(station.code.clone());
        }
        let origin = self.origin();
        let events: Vec<Event> = changes
            .into_iter()
            .enumerate()
            .map(|(i, (at, body))| Event {
                id: EventId {
                    origin: origin.clone(),
                    seq: self.last_seq + 1 + i as u64,
                },
                at,
                actor: actor.to_string(),
                body,
            })
            .collect();
        let (Some(first), Some(last)) = (events.first(), events.last()) else {
            return Ok((events, Vec::new()));
        };
        let (first, last) = (first.id.seq, last.id.seq);
        // Refuse before anything is written: the domain's rules for new
        // changes (dated by each change's own time), then the projection.
        for event in &events {
            event
                .body
                .check_new(event.at.date_naive())
                .map_err(|e| StoreError::Rejected(e.into()))?;
        }
        let (ops, touched) = self.stage(&events, false)?;
        let raws = record::raw_events(&events).map_err(|e| self.db_err(e.to_string()))?;
        self.write_record(events, raws, ops, touched, (first, last))
    }

    /// Writes one record of events already checked and staged: counters'
    /// floors, journal, fsync, then the database. `range` is the record
    /// header's event range (this terminal's sequences).
    fn write_record(
        &mut self,
        events: Vec<Event>,
        raws: Vec<Box<serde_json::value::RawValue>>,
        ops: Ops,
        touched: Vec<String>,
        (first, last): (u64, u64),
    ) -> Result<(Vec<Event>, Vec<String>), StoreError> {
        self.heads.origin = self.origin();
        let payload = record::encode(&raws, &self.heads.chain).map_err(|e| self.db_err(e.to_string()))?;
        let mut heads = self.heads.clone();
        let meta = heads.advance(&events, &raws);
        if payload.len() > journal::MAX_PAYLOAD {
            return Err(StoreError::TooLarge {
                bytes: payload.len(),
                limit: journal::MAX_PAYLOAD,
            });
        }
        let codes: Vec<(String, u32)> = events.iter().filter_map(|e| self.own_code(e)).collect();
        if let Some(counters) = self.counters.as_mut()
            && let Err(e) = counters.cover(last, &codes)
        {
            return Err(self.stop(StoreError::NotSaved {
                path: Counters::path(&self.paths.dir),
                source: e,
            }));
        }
        let jpath = self.journal.path().to_path_buf();
        let start = self.journal.len();
        let end = match self.journal.write(&payload, first, last) {
            Ok(end) => end,
            Err(e) => {
                return Err(self.stop(StoreError::NotSaved {
                    path: jpath,
                    source: e,
                }));
            }
        };
        if let Err(e) = self.journal.sync() {
            log::error!("journal fsync failed: {e}");
            // The record may or may not reach the disk: take it back so
            // that it certainly does not, or say that it is unknown.
            let error = match self.journal.retract(start) {
                Ok(()) => StoreError::NotSaved {
                    path: jpath,
                    source: e,
                },
                Err(_) => StoreError::MaybeSaved {
                    path: jpath,
                    source: e,
                },
            };
            return Err(self.stop(error));
        }
        self.last_seq = self.last_seq.max(last);
        self.heads = heads;
        let batch = Store::batch(&ops, &meta, start, end);
        if let Err(e) = self.tree.apply_batch(batch) {
            // Saved: the journal has it, and the database catches up from
            // the journal at the next start.
            let error = StoreError::sled(&self.paths.db(), e);
            log::error!("saved to the journal, but the database write failed: {error}");
            self.stopped = Some(error);
            for event in &events {
                self.note(event);
            }
            return Ok((events, touched));
        }
        self.after_write(&ops, &events, end);
        Ok((events, touched))
    }

    /// Takes the county's events for this station (origin `origin`), as
    /// the county sent them, in one record: the events and, with them, the
    /// new cursor (the last sequence of that origin held). Events already
    /// held are passed over, so a feed fetched twice is taken once. Each
    /// applies by the county rules (`domain::county_steps`); an event this
    /// version does not know, or about an appeal the station does not
    /// hold, is kept in the journal and changes nothing.
    pub fn apply_feed(
        &mut self,
        origin: &str,
        raws: Vec<Box<serde_json::value::RawValue>>,
    ) -> Result<(Vec<Event>, Vec<String>), StoreError> {
        if self.mode == Mode::Read {
            return Err(StoreError::ReadOnly);
        }
        if let Some(cause) = &self.stopped {
            return Err(StoreError::Stopped {
                cause: Box::new(clone_cause(cause)),
            });
        }
        let mut held = self.heads.other(origin);
        let mut events = Vec::new();
        let mut kept = Vec::new();
        for raw in raws {
            let event: Event = serde_json::from_str(raw.get()).map_err(|e| StoreError::BadFeed {
                reason: format!("event does not parse: {e}"),
            })?;
            if event.id.origin != origin {
                return Err(StoreError::BadFeed {
                    reason: format!("event {}#{} is not from {origin}", event.id.origin, event.id.seq),
                });
            }
            if event.id.seq <= held {
                continue;
            }
            held = event.id.seq;
            events.push(event);
            kept.push(raw);
        }
        if events.is_empty() {
            return Ok((events, Vec::new()));
        }
        let (ops, touched) = self.stage(&events, true)?;
        let own = self.last_seq;
        self.write_record(events, kept, ops, touched, (own, own))
    }

    /// The last sequence held of another origin (the county's feed
    /// cursor for `county/<station>`).
    pub fn origin_seq(&self, origin: &str) -> u64 {
        self.heads.other(origin)
    }
}
