//! What one event does to one appeal. The station's projection and the
//! county's both apply events through here, so an appeal's state is the
//! same function of its events wherever it is computed.

use super::appeal::{Appeal, HistoryEntry, Status};
use super::county_steps;
use super::event::{Event, EventBody};
use super::lifecycle::{self, Step, TransitionError};

/// Why an event cannot be applied to the appeals as they stand.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AppealEventError {
    /// A new appeal under a code already held.
    #[error("an appeal {0} is already held")]
    Duplicate(String),
    /// A step on an appeal not held.
    #[error("no appeal {0} is held")]
    UnknownAppeal(String),
    /// A station step the status machine refuses.
    #[error(transparent)]
    Transition(TransitionError),
}

/// The tracking code of the appeal an event is about, if it is about one
/// (a relayed event: the appeal its inner event is about).
pub fn appeal_code(event: &Event) -> Option<&str> {
    match &event.body {
        EventBody::Relayed { code, .. } => code.as_ref().map(|c| c.as_str()),
        EventBody::AppealRegistered { appeal } | EventBody::AppealImported { appeal } => {
            Some(appeal.code.as_str())
        }
        EventBody::AppealStepped { code, .. }
        | EventBody::AccessKeyIssued { code, .. }
        | EventBody::CountyStepped { code, .. } => Some(code.as_str()),
        _ => None,
    }
}

/// How a step the status machine refuses is taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// A terminal's own step as it was saved: one the status machine
    /// refuses is an error (the desk never saves it).
    Own,
    /// A step at its place in the county's order (`order`): one the status
    /// machine refuses is kept in the history with the reason.
    Placed,
}

/// The appeal after `event` as the county takes it (`order::Arrival::County`),
/// given the appeal before it (`None`: not held). Returns `Ok(None)` for an
/// event about no appeal. Steps never fail (see `county_steps` and
/// `order`): one that changes nothing is still recorded in the history,
/// with the reason.
pub fn apply(current: Option<&Appeal>, event: &Event) -> Result<Option<Appeal>, AppealEventError> {
    apply_by(current.cloned(), event, Rule::Placed)
}

/// One event on one appeal, refused steps taken by `rule`; `order::take`
/// says which rule an arrival gets.
pub fn apply_by(
    current: Option<Appeal>,
    event: &Event,
    rule: Rule,
) -> Result<Option<Appeal>, AppealEventError> {
    let held = current.is_some();
    let mut current = current;
    let mut existing = |code: &str| {
        current
            .take()
            .ok_or_else(|| AppealEventError::UnknownAppeal(code.to_string()))
    };
    match &event.body {
        EventBody::AppealRegistered { appeal } => {
            if held {
                return Err(AppealEventError::Duplicate(appeal.code.to_string()));
            }
            let mut a = appeal.clone();
            a.placing = None;
            a.status = Status::Registered;
            a.history = vec![HistoryEntry {
                event: event.id.clone(),
                at: event.at,
                actor: event.actor.clone(),
                step: Step::Register,
                from: None,
                to: Status::Registered,
                note: String::new(),
                not_applied: None,
            }];
            Ok(Some(a))
        }
        EventBody::AppealImported { appeal } => {
            if held {
                return Err(AppealEventError::Duplicate(appeal.code.to_string()));
            }
            let mut a = appeal.clone();
            a.placing = None;
            Ok(Some(a))
        }
        EventBody::AppealStepped { code, step, note } => {
            let mut a = existing(code.as_str())?;
            let from = a.status;
            let (to, not_applied) = match rule {
                Rule::Own => (
                    lifecycle::apply(&mut a, step).map_err(AppealEventError::Transition)?,
                    None,
                ),
                Rule::Placed => match county_steps::apply_station_step(&mut a, step) {
                    Ok(to) => (to, None),
                    Err(why) => (from, Some(why)),
                },
            };
            a.history.push(entry(event, step, from, to, note, not_applied));
            Ok(Some(a))
        }
        EventBody::CountyStepped {
            code,
            step,
            note,
            round,
        } => {
            let mut a = existing(code.as_str())?;
            let from = a.status;
            let (to, not_applied) = match county_steps::apply(&mut a, step, note, *round) {
                Ok(to) => (to, None),
                Err(why) => (from, Some(why)),
            };
            a.history.push(entry(event, step, from, to, note, not_applied));
            Ok(Some(a))
        }
        EventBody::AccessKeyIssued { code, key } => {
            // A key once held is kept (`order`).
            let mut a = existing(code.as_str())?;
            if a.access_key.is_empty() {
                a.access_key = key.clone();
            }
            Ok(Some(a))
        }
        _ => Ok(None),
    }
}

/// The history line a step event leaves.
fn entry(
    event: &Event,
    step: &Step,
    from: Status,
    to: Status,
    note: &str,
    not_applied: Option<county_steps::NotApplied>,
) -> HistoryEntry {
    HistoryEntry {
        event: event.id.clone(),
        at: event.at,
        actor: event.actor.clone(),
        step: step.clone(),
        from: Some(from),
        to,
        note: note.to_string(),
        not_applied,
    }
}
