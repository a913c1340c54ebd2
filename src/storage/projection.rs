//! Projection: how one event changes the stored state. The same code
//! serves live commits, the replay of the journal's tail at start, `check`
//! (replay into memory and compare) and `check --rebuild`.

use std::collections::BTreeMap;

use crate::domain::event::RuleError;
use crate::domain::history::{self, AppealEventError};
use crate::domain::lifecycle::TransitionError;
use crate::domain::validate::ValidationError;
use crate::domain::{Appeal, Duty, Event, EventBody, TrackingCode};

use super::codec::{DecodeError, decode, encode};
use super::keys;
use crate::i18n::Lang;

/// Read access to a key-value state.
pub trait Kv {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, KvError>;
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

/// Changes staged over a base state: reads see earlier writes of the same
/// batch, nothing reaches the base until the caller takes `ops()`.
pub struct Staged<'a, K: Kv> {
    base: &'a K,
    ops: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
}

impl<'a, K: Kv> Staged<'a, K> {
    pub fn new(base: &'a K) -> Self {
        Staged {
            base,
            ops: BTreeMap::new(),
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

    pub fn ops(self) -> BTreeMap<Vec<u8>, Option<Vec<u8>>> {
        self.ops
    }

    /// Codes of appeals this batch wrote.
    pub fn touched_appeals(&self) -> Vec<String> {
        self.ops
            .keys()
            .filter_map(|k| k.strip_prefix(keys::APPEAL.as_bytes()))
            .filter_map(|k| std::str::from_utf8(k).ok().map(str::to_string))
            .collect()
    }

    fn appeal(&self, code: &str) -> Result<Option<Appeal>, ApplyError> {
        match self.get(&keys::appeal(code))? {
            Some(bytes) => decode(&bytes).map(Some).map_err(ApplyError::from),
            None => Ok(None),
        }
    }

    /// Writes an appeal with its catalog row and indexes, removing the
    /// index entries of its previous state.
    fn write_appeal(&mut self, old: Option<&Appeal>, new: &Appeal) {
        if let Some(old) = old {
            for k in keys::index_keys(old) {
                self.del(k);
            }
        }
        for k in keys::index_keys(new) {
            self.put(k, Vec::new());
        }
        let (ck, cv) = keys::catalog_entry(new);
        self.put(ck, cv);
        self.put(keys::appeal(new.code.as_str()), encode(new));
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
            EventBody::AppealRegistered { .. }
            | EventBody::AppealImported { .. }
            | EventBody::AppealStepped { .. }
            | EventBody::CountyStepped { .. }
            | EventBody::AccessKeyIssued { .. } => {
                let Some(code) = history::appeal_code(event) else {
                    return Ok(());
                };
                let old = self.appeal(code)?;
                let new = history::apply(old.as_ref(), event).map_err(|e| match e {
                    AppealEventError::Duplicate(c) => ApplyError::Duplicate(c),
                    AppealEventError::UnknownAppeal(c) => ApplyError::UnknownAppeal(c),
                    AppealEventError::Transition(t) => ApplyError::Transition(t),
                })?;
                if let Some(new) = new {
                    self.write_appeal(old.as_ref(), &new);
                    if let EventBody::AppealRegistered { appeal } = &event.body {
                        self.note_issued(&appeal.code)?;
                    }
                }
            }
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
            // Kept in the journal as it came; nothing to project.
            EventBody::Unknown => {}
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::error::Error;

    use super::*;

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
