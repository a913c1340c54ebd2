//! Projection: how one event changes the stored state. The same code
//! serves live commits, the replay of the journal's tail at start, `check`
//! (replay into memory and compare) and `check --rebuild`.

use std::collections::BTreeMap;

use crate::domain::event::RuleError;
use crate::domain::history::{self, AppealEventError};
use crate::domain::lifecycle::TransitionError;
use crate::domain::order::{self, Arrival};
use crate::domain::validate::ValidationError;
use crate::domain::{Appeal, Duty, Event, EventBody, TrackingCode};

use super::codec::{DecodeError, decode, encode};
use super::keys;
use crate::i18n::Lang;

/// Read access to a key-value state.
pub trait Kv {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, KvError>;

    /// An appeal this state holds decoded, if it keeps appeals so (`None`:
    /// read and decode its key). `check`'s replay keeps them decoded and
    /// encodes each once, at the end, instead of once per event.
    fn held_appeal(&self, _code: &str) -> Option<Option<&Appeal>> {
        None
    }
}

/// Why a key-value state could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(transparent)]
pub struct KvError(#[from] sled::Error);

impl Kv for sled::Db {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, KvError> {
        Ok(sled::Tree::get(self, key)?.map(|v| v.to_vec()))
    }
}

impl Kv for BTreeMap<Vec<u8>, Vec<u8>> {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, KvError> {
        Ok(BTreeMap::get(self, key).cloned())
    }
}

/// Why an event cannot be applied; its `Display` is the English message
/// (for the log: what a user reads comes from `message`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.message(Lang::En))]
pub enum ApplyError {
    Duplicate(String),
    UnknownAppeal(String),
    Transition(#[from] TransitionError),
    /// A new change breaks a field rule (e.g. the group size).
    Invalid(#[source] ValidationError),
    AlreadyCheckedIn(String),
    NotCheckedIn(String),
    /// The state could not be read.
    Storage(#[from] KvError),
    /// A stored value does not decode.
    Decode(#[from] DecodeError),
}

impl From<RuleError> for ApplyError {
    fn from(e: RuleError) -> Self {
        match e {
            RuleError::Step(e) => ApplyError::Transition(e),
            RuleError::Field(e) => ApplyError::Invalid(e),
        }
    }
}

impl ApplyError {
    pub fn message(&self, lang: Lang) -> String {
        match self {
            ApplyError::Duplicate(c) => lang.pick(
                format!("查询码 {c} 已存在"),
                format!("tracking code {c} already exists"),
            ),
            ApplyError::UnknownAppeal(c) => lang.pick(
                format!("找不到查询码为 {c} 的诉求"),
                format!("no appeal has the tracking code {c}"),
            ),
            ApplyError::Transition(e) => e.message(lang),
            ApplyError::Invalid(e) => lang.pick(e.message_zh(), e.message_en()),
            ApplyError::AlreadyCheckedIn(d) => lang.pick(
                format!("代表 {d} 今天已签到"),
                format!("deputy {d} has already checked in today"),
            ),
            ApplyError::NotCheckedIn(d) => lang.pick(
                format!("代表 {d} 今天尚未签到或已签退"),
                format!("deputy {d} has not checked in today, or has checked out"),
            ),
            ApplyError::Storage(e) => unreadable(e, lang),
            ApplyError::Decode(e) => unreadable(e, lang),
        }
    }
}

/// A state that could not be read, in words.
fn unreadable(e: &dyn std::error::Error, lang: Lang) -> String {
    lang.pick(
        format!("数据库读取失败：{e}"),
        format!("the database could not be read: {e}"),
    )
}

/// Writes by key: a value, or none to remove the key.
pub type Writes = BTreeMap<Vec<u8>, Option<Vec<u8>>>;

/// Changes staged over a base state: reads see earlier writes of the same
/// batch, nothing reaches the base until the caller takes `ops()`.
pub struct Staged<'a, K: Kv> {
    base: &'a K,
    ops: Writes,
    /// Appeals this batch wrote, as they stand after it: encoded, with
    /// their catalog rows, only when the batch is taken (an appeal that
    /// several events of a batch change is encoded once).
    appeals: BTreeMap<String, Appeal>,
}

impl<'a, K: Kv> Staged<'a, K> {
    pub fn new(base: &'a K) -> Self {
        Staged {
            base,
            ops: BTreeMap::new(),
            appeals: BTreeMap::new(),
        }
    }

    pub fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, ApplyError> {
        match self.ops.get(key) {
            Some(v) => Ok(v.clone()),
            None => self.base.get(key).map_err(ApplyError::from),
        }
    }

    pub fn put(&mut self, key: Vec<u8>, value: Vec<u8>) {
        self.ops.insert(key, Some(value));
    }

    pub fn del(&mut self, key: Vec<u8>) {
        self.ops.insert(key, None);
    }

    /// Every write of the batch, the appeals encoded with their catalog
    /// rows.
    pub fn ops(self) -> Writes {
        let (mut ops, appeals) = self.into_parts();
        for appeal in appeals.values() {
            put_appeal(&mut ops, appeal);
        }
        ops
    }

    /// The batch's writes but its appeals', and its appeals decoded (see
    /// `put_appeal` for what each stands for).
    pub fn into_parts(self) -> (Writes, BTreeMap<String, Appeal>) {
        (self.ops, self.appeals)
    }

    /// Codes of appeals this batch wrote.
    pub fn touched_appeals(&self) -> Vec<String> {
        self.appeals.keys().cloned().collect()
    }

    fn appeal(&self, code: &str) -> Result<Option<Appeal>, ApplyError> {
        if let Some(a) = self.appeals.get(code) {
            return Ok(Some(a.clone()));
        }
        if let Some(held) = self.base.held_appeal(code) {
            return Ok(held.cloned());
        }
        match self.base.get(&keys::appeal(code)).map_err(ApplyError::from)? {
            Some(bytes) => decode(&bytes).map(Some).map_err(ApplyError::from),
            None => Ok(None),
        }
    }

    /// Writes an appeal's indexes, removing the index entries of its
    /// previous state (`old_index`), and keeps the appeal to be written with its catalog
    /// row when the batch is taken.
    fn write_appeal(&mut self, old_index: Option<Vec<Vec<u8>>>, new: Appeal) {
        for k in old_index.into_iter().flatten() {
            self.del(k);
        }
        for k in keys::index_keys(&new) {
            self.put(k, Vec::new());
        }
        self.appeals.insert(new.code.as_str().to_string(), new);
    }

    /// Keeps the highest code sequence issued (registered here, not
    /// imported) per terminal and day, so that imported codes never hold up
    /// a terminal's own numbering.
    fn note_issued(&mut self, code: &TrackingCode) -> Result<(), ApplyError> {
        let key = keys::issued(&TrackingCode::day_prefix(
            code.date(),
            code.station(),
            code.terminal(),
        ));
        let before = self.get(&key)?.map(|v| keys::read_u32(&v)).unwrap_or(0);
        if code.seq() > before {
            self.put(key, code.seq().to_be_bytes().to_vec());
        }
        Ok(())
    }

    /// Applies one event, or explains why it cannot be applied. On error
    /// the staged state is unchanged by this event.
    pub fn apply(&mut self, event: &Event) -> Result<(), ApplyError> {
        match &event.body {
            EventBody::StationConfigured { station } => self.put(keys::STATION.to_vec(), encode(station)),
            EventBody::DeputyUpserted { deputy } => self.put(keys::deputy(&deputy.id), encode(deputy)),
            EventBody::VisitRegistered { visit } => {
                let key = keys::visit(visit.code.as_str());
                if self.get(&key)?.is_some() {
                    return Err(ApplyError::Duplicate(visit.code.to_string()));
                }
                self.put(key, encode(visit));
                self.note_issued(&visit.code)?;
            }
            // An appeal a citizen sent online, registered by the county for
            // the station: every terminal's, like a relayed one.
            EventBody::AppealRegistered { .. } if event.id.is_county() => {
                self.take_appeal_event(event, Arrival::Feed { relayed: true })?
            }
            EventBody::AppealRegistered { .. }
            | EventBody::AppealImported { .. }
            | EventBody::AppealStepped { .. }
            | EventBody::AccessKeyIssued { .. } => self.take_appeal_event(event, Arrival::Own)?,
            EventBody::CountyStepped { .. } => {
                self.take_appeal_event(event, Arrival::Feed { relayed: false })?
            }
            EventBody::Relayed {
                origin,
                seq,
                code,
                event: None,
            } => self.placed_own(origin, *seq, code.as_ref())?,
            EventBody::Relayed {
                event: Some(inner), ..
            } => self.relayed(inner)?,
            EventBody::DutyCheckedIn { deputy, day } => {
                let key = keys::duty(*day, deputy);
                let mut duty: Duty = match self.get(&key)? {
                    Some(b) => decode(&b)?,
                    None => Duty {
                        deputy: deputy.clone(),
                        day: Some(*day),
                        ..Duty::default()
                    },
                };
                if duty.check_in.is_some() && duty.check_out.is_none() {
                    return Err(ApplyError::AlreadyCheckedIn(deputy.clone()));
                }
                duty.check_in = Some(event.at);
                duty.check_out = None;
                self.put(key, encode(&duty));
            }
            EventBody::DutyCheckedOut { deputy, day } => {
                let key = keys::duty(*day, deputy);
                let mut duty: Duty = match self.get(&key)? {
                    Some(b) => decode(&b)?,
                    None => return Err(ApplyError::NotCheckedIn(deputy.clone())),
                };
                if duty.check_in.is_none() || duty.check_out.is_some() {
                    return Err(ApplyError::NotCheckedIn(deputy.clone()));
                }
                duty.check_out = Some(event.at);
                self.put(key, encode(&duty));
            }
            EventBody::DutyItemRecorded { entry } => {
                self.put(
                    keys::duty_item(entry.day, &entry.deputy, &event.id),
                    encode(entry),
                );
            }
            // Kept in the journal as it came; nothing to project.
            EventBody::Unknown => {}
        }
        Ok(())
    }
}

impl<'a, K: Kv> Staged<'a, K> {
    /// The county's mark that this terminal's own event `origin`#`seq`
    /// about the appeal `code` fell here in its order.
    fn placed_own(&mut self, origin: &str, seq: u64, code: Option<&TrackingCode>) -> Result<(), ApplyError> {
        let Some(code) = code else {
            return Ok(());
        };
        if let Some(a) = self.appeal(code.as_str())? {
            let old_index = keys::index_keys(&a);
            let id = crate::domain::EventId {
                origin: origin.to_string(),
                seq,
            };
            self.write_appeal(Some(old_index), order::placed_own(a, &id));
        }
        Ok(())
    }

    /// Another terminal's event, relayed by the county where it fell in
    /// its order.
    fn relayed(&mut self, inner: &Event) -> Result<(), ApplyError> {
        match &inner.body {
            EventBody::AppealRegistered { .. }
            | EventBody::AppealImported { .. }
            | EventBody::AppealStepped { .. }
            | EventBody::AccessKeyIssued { .. } => {
                self.take_appeal_event(inner, Arrival::Feed { relayed: true })
            }
            EventBody::VisitRegistered { visit } => {
                // Held already: the same visit, come back.
                let key = keys::visit(visit.code.as_str());
                if self.get(&key)?.is_none() {
                    self.put(key, encode(visit));
                }
                Ok(())
            }
            EventBody::DeputyUpserted { .. }
            | EventBody::DutyCheckedIn { .. }
            | EventBody::DutyCheckedOut { .. }
            | EventBody::DutyItemRecorded { .. } => self.apply(inner),
            // Each terminal keeps its own configuration; the county relays
            // no other kind.
            _ => Ok(()),
        }
    }

    /// An event about an appeal, taken as it arrived (`domain::order`).
    fn take_appeal_event(&mut self, event: &Event, arrival: Arrival) -> Result<(), ApplyError> {
        let Some(code) = history::appeal_code(event) else {
            return Ok(());
        };
        let old = self.appeal(code)?;
        let old_index = old.as_ref().map(keys::index_keys);
        let new = order::take(old, event, arrival).map_err(|e| match e {
            AppealEventError::Duplicate(c) => ApplyError::Duplicate(c),
            AppealEventError::UnknownAppeal(c) => ApplyError::UnknownAppeal(c),
            AppealEventError::Transition(t) => ApplyError::Transition(t),
        })?;
        if let Some(new) = new {
            if arrival == Arrival::Own
                && let EventBody::AppealRegistered { appeal } = &event.body
            {
                self.note_issued(&appeal.code)?;
            }
            self.write_appeal(old_index, new);
        }
        Ok(())
    }
}

/// An appeal's writes: its value and its catalog row.
pub fn put_appeal(ops: &mut Writes, appeal: &Appeal) {
    for (k, v) in appeal_entries(appeal, encode) {
        ops.insert(k, Some(v));
    }
}

/// The keys an appeal is stored under, its value encoded by `encode`
/// (`check` encodes it plain, see `codec::same`).
pub fn appeal_entries(appeal: &Appeal, encode: fn(&Appeal) -> Vec<u8>) -> [(Vec<u8>, Vec<u8>); 2] {
    [
        keys::catalog_entry(appeal),
        (keys::appeal(appeal.code.as_str()), encode(appeal)),
    ]
}

#[cfg(test)]
mod tests {
    use std::error::Error;

    use super::*;

    fn code() -> TrackingCode {
        let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
        TrackingCode::new(day, "330999012", 1, 15).unwrap()
    }

    fn registered(code: &TrackingCode, seq: u64) -> Event {
        let at = chrono::DateTime::parse_from_rfc3339("2026-11-20T09:30:00+08:00").unwrap();
        Event {
            id: crate::domain::EventId {
                origin: "330999012-1".into(),
                seq,
            },
            at,
            actor: "沈佳怡".into(),
            body: EventBody::AppealRegistered {
                appeal: Appeal {
                    title: "柳岸路路灯损坏多日无人修".into(),
                    ..Appeal::registered(code.clone(), at)
                },
            },
        }
    }

    fn stepped(code: &TrackingCode, seq: u64, step: crate::domain::Step) -> Event {
        let mut e = registered(code, seq);
        e.body = EventBody::AppealStepped {
            code: code.clone(),
            step,
            note: String::new(),
        };
        e
    }

    #[test]
    fn an_appeal_several_events_of_a_batch_change_is_written_once_as_it_ends() {
        let code = code();
        let base = BTreeMap::new();
        let mut staged = Staged::new(&base);
        staged.apply(&registered(&code, 1)).unwrap();
        staged
            .apply(&stepped(&code, 2, crate::domain::Step::Accept))
            .unwrap();
        // A step the status machine refuses changes nothing.
        assert!(
            staged
                .apply(&stepped(&code, 3, crate::domain::Step::Register))
                .is_err()
        );
        assert_eq!(staged.touched_appeals(), vec![code.as_str().to_string()]);
        let ops = staged.ops();
        let stored: Appeal = decode(ops[&keys::appeal(code.as_str())].as_ref().unwrap()).unwrap();
        assert_eq!(stored.history.len(), 2);
        assert_eq!(stored.status, crate::domain::Status::Accepted);
        let (ck, cv) = keys::catalog_entry(&stored);
        assert_eq!(ops[&ck].as_deref(), Some(cv.as_slice()));
        // The index holds the appeal's last status only.
        let by_status = |s: crate::domain::Status| {
            ops.iter()
                .filter(|(k, v)| {
                    v.is_some() && k.starts_with(format!("{}{}/", keys::BY_STATUS, s.code()).as_bytes())
                })
                .count()
        };
        assert_eq!(by_status(crate::domain::Status::Accepted), 1);
        assert_eq!(by_status(crate::domain::Status::Registered), 0);
    }

    /// A state that holds appeals decoded, as `check`'s replay does.
    struct Held(BTreeMap<String, Appeal>);

    impl Kv for Held {
        fn get(&self, _key: &[u8]) -> Result<Option<Vec<u8>>, KvError> {
            Ok(None)
        }

        fn held_appeal(&self, code: &str) -> Option<Option<&Appeal>> {
            Some(self.0.get(code))
        }
    }

    #[test]
    fn a_state_that_holds_appeals_decoded_is_read_without_its_keys() {
        let code = code();
        let empty = BTreeMap::new();
        let mut first = Staged::new(&empty);
        first.apply(&registered(&code, 1)).unwrap();
        let (_, appeals) = first.into_parts();
        let held = Held(appeals);
        let mut next = Staged::new(&held);
        assert!(matches!(
            next.apply(&registered(&code, 2)),
            Err(ApplyError::Duplicate(_))
        ));
        next.apply(&stepped(&code, 3, crate::domain::Step::Accept))
            .unwrap();
        let (_, appeals) = next.into_parts();
        assert_eq!(appeals[code.as_str()].history.len(), 2);
    }

    #[test]
    fn a_value_that_does_not_decode_is_kept_as_data_with_the_same_words() {
        let e = Staged::new(&BTreeMap::from([(keys::appeal("X"), Vec::new())]))
            .appeal("X")
            .unwrap_err();
        assert_eq!(e, ApplyError::Decode(DecodeError::Empty));
        assert_eq!(
            e.to_string(),
            "the database could not be read: stored value is empty"
        );
        assert_eq!(e.message(Lang::Zh), "数据库读取失败：stored value is empty");
        assert!(e.source().is_some_and(|s| s.is::<DecodeError>()));
    }
}
