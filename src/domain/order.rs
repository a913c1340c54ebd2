//! The order in which an appeal's events apply when several places step
//! it: the terminals of one station, each offline for a while, and the
//! county office.
//!
//! The rule, the same at the county and at every terminal, for events
//! applied as they arrive and replayed from a journal:
//!
//! 1. **The county's order is the order.** Every event about an appeal
//!    counts at the place the county took it: a terminal's events as its
//!    uploads arrived, the county's own steps as its staff took them. The
//!    county relays each terminal's events to the station's other
//!    terminals in the station's feed, in that order
//!    (`EventBody::Relayed`), and marks each terminal's own events in the
//!    same feed where they fell, without their bodies.
//! 2. **A refused step is kept.** A step the status machine refuses at its
//!    place (another terminal closed the appeal first, say) is kept in the
//!    timeline with the reason (`NotApplied`) and changes nothing. Nothing
//!    is dropped, and the county and every terminal refuse the same steps.
//! 3. **A terminal's own step counts at once, until it is placed.** The
//!    desk sees its step applied as soon as it is saved. While the county
//!    has not placed it, the terminal keeps the appeal also as the
//!    county's order leaves it (`Placing`) and the steps still pending.
//!    When the feed brings an event placed before them, the terminal
//!    applies it there and applies its pending steps again on top; one the
//!    new order refuses is shown as not applied. When the feed marks the
//!    terminal's own step, the step is placed, and it stays as it came out.
//! 4. **Until the county relays anything about an appeal**, no other
//!    terminal can have stepped it (they get an appeal only through the
//!    county, after its registration), so a terminal's own steps on it are
//!    placed at once. The same holds for every appeal of a journal written
//!    before the county relayed events: those keep the order they had.
//!
//! An access key once held is kept: a second one, issued by another
//! terminal for the same old appeal, changes nothing.
//!
//! Once every terminal has synced twice (its events up, everything placed
//! down), the county and every terminal hold every appeal in the same
//! state, the same history and the same refused steps.

use serde::{Deserialize, Serialize};

use super::appeal::{Appeal, Route, Satisfaction, Status};
use super::event::{Event, EventBody, EventId};
use super::history::{self, AppealEventError, Rule};
use chrono::NaiveDate;

/// How an event reaches the appeal it is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arrival {
    /// A terminal's own event, saved there (or replayed from its journal).
    Own,
    /// An event of the station's feed at a terminal, placed by the county:
    /// a county step, or (`relayed`) another terminal's event.
    Feed { relayed: bool },
    /// Any event the county takes: the county's order is the order.
    County,
}

/// A terminal's record of how the county's order leaves an appeal (rule 3).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Placing {
    /// The appeal's handling as the county's order leaves it, while steps
    /// of this terminal are pending.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settled: Option<Settled>,
    /// This terminal's events on the appeal not yet placed, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub pending: Vec<Event>,
}

/// The fields steps change, and how long the history was, at a point.
/// The appeal's other fields are those of its registration, which no step
/// changes, and its history then is the first `history` entries of now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settled {
    pub status: Status,
    pub route: Route,
    #[serde(default)]
    pub unit: Option<String>,
    #[serde(default)]
    pub deadline: Option<NaiveDate>,
    #[serde(default)]
    pub reply: Option<String>,
    #[serde(default)]
    pub satisfaction: Option<Satisfaction>,
    #[serde(default)]
    pub round: u32,
    #[serde(default)]
    pub chases: u32,
    #[serde(default)]
    pub access_key: String,
    pub history: usize,
}

impl Settled {
    fn of(a: &Appeal) -> Settled {
        Settled {
            status: a.status,
            route: a.route,
            unit: a.unit.clone(),
            deadline: a.deadline,
            reply: a.reply.clone(),
            satisfaction: a.satisfaction,
            round: a.round,
            chases: a.chases,
            access_key: a.access_key.clone(),
            history: a.history.len(),
        }
    }

    /// `now` as it stood at this point.
    fn restore(self, mut now: Appeal) -> Appeal {
        now.status = self.status;
        now.route = self.route;
        now.unit = self.unit;
        now.deadline = self.deadline;
        now.reply = self.reply;
        now.satisfaction = self.satisfaction;
        now.round = self.round;
        now.chases = self.chases;
        now.access_key = self.access_key;
        now.history.truncate(self.history);
        now.placing = None;
        now
    }
}

/// Whether an event steps an appeal already held (what rule 3 keeps
/// pending), rather than bringing a new one.
fn steps_held(event: &Event) -> bool {
    matches!(
        event.body,
        EventBody::AppealStepped { .. } | EventBody::AccessKeyIssued { .. }
    )
}

/// The appeal after `event`, by the rule above (`current`: the appeal
/// before it, `None` when not held). `Ok(None)` for an event about no
/// appeal. On `Err` the appeal is as it was.
pub fn take(
    current: Option<Appeal>,
    event: &Event,
    arrival: Arrival,
) -> Result<Option<Appeal>, AppealEventError> {
    match arrival {
        Arrival::County => history::apply_by(current, event, Rule::Placed),
        Arrival::Own => match current {
            Some(a) if a.placing.is_some() && steps_held(event) => {
                let before = Settled::of(&a);
                let mut next = history::apply_by(Some(a), event, Rule::Own)?
                    .expect("a step on a held appeal leaves it held");
                let placing = next.placing.get_or_insert_with(Placing::default);
                if placing.settled.is_none() {
                    placing.settled = Some(before);
                }
                placing.pending.push(event.clone());
                Ok(Some(next))
            }
            other => history::apply_by(other, event, Rule::Own),
        },
        Arrival::Feed { relayed } => place(current, event, relayed),
    }
}

/// Whether the appeal already holds this event (it came here before, as
/// this terminal's own or by an earlier copy).
fn holds(a: &Appeal, event: &Event) -> bool {
    match &event.body {
        EventBody::AccessKeyIssued { key, .. } => a.access_key == *key,
        _ => a.history.iter().any(|h| h.event == event.id),
    }
}

/// A placed event (rule 1): applied where the county's order puts it,
/// before this terminal's pending steps.
fn place(current: Option<Appeal>, event: &Event, relayed: bool) -> Result<Option<Appeal>, AppealEventError> {
    let Some(mut a) = current else {
        let mut next = history::apply_by(None, event, Rule::Placed)?;
        if relayed && let Some(n) = next.as_mut() {
            n.placing = Some(Placing::default());
        }
        return Ok(next);
    };
    let mut placing = a.placing.take();
    if relayed && placing.is_none() {
        placing = Some(Placing::default());
    }
    if holds(&a, event) {
        a.placing = placing;
        return Ok(Some(a));
    }
    match placing {
        Some(Placing {
            settled: Some(settled),
            pending,
        }) => {
            let base = settled.restore(a.clone());
            let Some(base) = history::apply_by(Some(base), event, Rule::Placed)? else {
                return Ok(None);
            };
            Ok(Some(again(base, pending)))
        }
        placing => {
            let mut next = history::apply_by(Some(a), event, Rule::Placed)?;
            if let Some(n) = next.as_mut() {
                n.placing = placing;
            }
            Ok(next)
        }
    }
}

/// This terminal's pending events applied again on `base` (the appeal as
/// the county's order leaves it); a step the order now refuses is kept,
/// not applied.
fn again(base: Appeal, pending: Vec<Event>) -> Appeal {
    let settled = Settled::of(&base);
    let mut a = base;
    for event in &pending {
        if let Ok(Some(next)) = history::apply_by(Some(a.clone()), event, Rule::Placed) {
            a = next;
        }
    }
    a.placing = Some(if pending.is_empty() {
        Placing::default()
    } else {
        Placing {
            settled: Some(settled),
            pending,
        }
    });
    a
}

/// The county's mark that this terminal's own event `id` on the appeal
/// fell here in its order: the event and those pending before it are
/// placed. An event not pending (placed at once by rule 4, or marked
/// before) changes nothing.
pub fn placed_own(mut a: Appeal, id: &EventId) -> Appeal {
    let placing = a.placing.take().unwrap_or_default();
    let Some(i) = placing.pending.iter().position(|e| e.id == *id) else {
        a.placing = Some(placing);
        return a;
    };
    let Placing { settled, pending } = placing;
    let Some(settled) = settled else {
        a.placing = Some(Placing::default());
        return a;
    };
    let mut base = settled.restore(a);
    let mut rest = pending;
    let now: Vec<Event> = rest.drain(..=i).collect();
    for event in &now {
        if let Ok(Some(next)) = history::apply_by(Some(base.clone()), event, Rule::Placed) {
            base = next;
        }
    }
    again(base, rest)
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, FixedOffset};

    use super::*;
    use crate::domain::county_steps::NotApplied;
    use crate::domain::lifecycle::Step;
    use crate::domain::{Satisfaction, TrackingCode};

    fn at(minute: u32) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(&format!("2026-12-10T09:{minute:02}:00+08:00")).unwrap()
    }

    fn code() -> TrackingCode {
        TrackingCode::new(NaiveDate::from_ymd_opt(2026, 12, 10).unwrap(), "330999012", 1, 3).unwrap()
    }

    fn event(origin: &str, seq: u64, minute: u32, body: EventBody) -> Event {
        Event {
            id: EventId {
                origin: origin.into(),
                seq,
            },
            at: at(minute),
            actor: "沈佳怡".into(),
            body,
        }
    }

    fn registered() -> Event {
        event(
            "330999012-1",
            1,
            0,
            EventBody::AppealRegistered {
                appeal: Appeal {
                    title: "柳岸路路灯不亮".into(),
                    ..Appeal::registered(code(), at(0))
                },
            },
        )
    }

    fn step(origin: &str, seq: u64, minute: u32, step: Step) -> Event {
        event(
            origin,
            seq,
            minute,
            EventBody::AppealStepped {
                code: code(),
                step,
                note: String::new(),
            },
        )
    }

    fn reply() -> Step {
        Step::AnswerOnSpot {
            reply: "已联系物业维修".into(),
        }
    }

    fn rate(s: Satisfaction) -> Step {
        Step::Rate { satisfaction: s }
    }

    /// A terminal: its own origin, what it takes, in its order.
    fn terminal(own: &str, taken: &[(&Event, bool)]) -> Appeal {
        let mut a: Option<Appeal> = None;
        for (e, placed_by_county) in taken {
            a = if e.id.origin == own && *placed_by_county {
                Some(placed_own(a.unwrap(), &e.id))
            } else if e.id.origin == own {
                take(a, e, Arrival::Own).unwrap()
            } else {
                take(a, e, Arrival::Feed { relayed: true }).unwrap()
            };
        }
        a.unwrap()
    }

    fn without_placing(mut a: Appeal) -> Appeal {
        a.placing = None;
        a
    }

    #[test]
    fn two_terminals_that_answer_one_appeal_offline_end_as_the_county_does() {
        let reg = registered();
        // Both hold the appeal and have been relayed about it; then, offline,
        // terminal 1 answers on the spot and rates it satisfied, and
        // terminal 2 accepts it. Terminal 2 syncs first.
        let one_reply = step("330999012-1", 2, 10, reply());
        let one_rate = step("330999012-1", 3, 11, rate(Satisfaction::Satisfied));
        let two_accept = step("330999012-2", 1, 12, Step::Accept);
        // The county: terminal 1's registration, then 2's accept, then 1's steps.
        let mut county = None;
        for e in [&reg, &two_accept, &one_reply, &one_rate] {
            county = take(county, e, Arrival::County).unwrap();
        }
        let county = county.unwrap();
        assert_eq!(county.status, Status::Closed);
        assert_eq!(county.history.len(), 4);
        assert!(county.history.iter().all(|h| h.not_applied.is_none()));

        // Terminal 1 took its registration's mark before going offline.
        let one = terminal(
            "330999012-1",
            &[
                (&reg, false),
                (&reg, true),
                (&one_reply, false),
                (&one_rate, false),
                (&two_accept, false),
                (&one_reply, true),
                (&one_rate, true),
            ],
        );
        // Terminal 2 took the registration by relay.
        let two = terminal(
            "330999012-2",
            &[
                (&reg, false),
                (&two_accept, false),
                (&two_accept, true),
                (&one_reply, false),
                (&one_rate, false),
            ],
        );
        assert_eq!(without_placing(one.clone()), county);
        assert_eq!(without_placing(two), county);
        assert_eq!(one.placing, Some(Placing::default()));
    }

    #[test]
    fn a_step_the_county_order_refuses_is_kept_not_applied_everywhere() {
        let reg = registered();
        // Offline, terminal 1 closes with a reply and satisfied rating, and
        // terminal 2 answers on the spot too. Terminal 1 syncs first.
        let one_reply = step("330999012-1", 2, 10, reply());
        let one_rate = step("330999012-1", 3, 11, rate(Satisfaction::Satisfied));
        let two_reply = step(
            "330999012-2",
            1,
            12,
            Step::AnswerOnSpot {
                reply: "已转社区处理".into(),
            },
        );
        let mut county = None;
        for e in [&reg, &one_reply, &one_rate, &two_reply] {
            county = take(county, e, Arrival::County).unwrap();
        }
        let county = county.unwrap();
        assert_eq!(county.status, Status::Closed);
        assert_eq!(county.reply.as_deref(), Some("已联系物业维修"));
        let last = county.history.last().unwrap();
        assert_eq!(last.event, two_reply.id);
        assert_eq!(
            last.not_applied,
            Some(NotApplied::Preceded {
                status: Status::Closed
            })
        );

        // Terminal 2 saw its own answer applied, until the county's order came.
        let mut two = terminal("330999012-2", &[(&reg, false), (&two_reply, false)]);
        assert_eq!(two.status, Status::Replied);
        assert_eq!(two.reply.as_deref(), Some("已转社区处理"));
        for (e, own) in [(&one_reply, false), (&one_rate, false), (&two_reply, true)] {
            two = if own {
                placed_own(two, &e.id)
            } else {
                take(Some(two), e, Arrival::Feed { relayed: true })
                    .unwrap()
                    .unwrap()
            };
        }
        let one = terminal(
            "330999012-1",
            &[
                (&reg, false),
                (&reg, true),
                (&one_reply, false),
                (&one_rate, false),
                (&one_reply, true),
                (&one_rate, true),
                (&two_reply, false),
            ],
        );
        assert_eq!(without_placing(two), county);
        assert_eq!(without_placing(one), county);
    }

    #[test]
    fn a_pending_step_refused_by_an_event_placed_before_it_is_shown_until_placed() {
        let reg = registered();
        let one_accept = step("330999012-1", 2, 10, Step::Accept);
        let two_reply = step("330999012-2", 1, 9, reply());
        let two_rate = step("330999012-2", 2, 9, rate(Satisfaction::Satisfied));
        // Terminal 1 accepted offline; terminal 2's answer and rating came
        // to the county first: terminal 1's accept, still pending, now
        // shows as refused, and stays so once placed.
        let mut one = terminal(
            "330999012-1",
            &[(&reg, false), (&reg, true), (&one_accept, false)],
        );
        assert_eq!(one.status, Status::Accepted);
        for e in [&two_reply, &two_rate] {
            one = take(Some(one), e, Arrival::Feed { relayed: true })
                .unwrap()
                .unwrap();
        }
        assert_eq!(one.status, Status::Closed);
        let last = one.history.last().unwrap();
        assert_eq!(last.event, one_accept.id);
        assert!(matches!(last.not_applied, Some(NotApplied::Preceded { .. })));
        let placed = placed_own(one.clone(), &one_accept.id);
        assert_eq!(without_placing(placed.clone()), without_placing(one));
        assert_eq!(placed.placing, Some(Placing::default()));
    }

    #[test]
    fn a_terminals_own_step_on_an_appeal_never_relayed_is_placed_at_once() {
        let reg = registered();
        let accept = step("330999012-1", 2, 10, Step::Accept);
        let a = terminal("330999012-1", &[(&reg, false), (&accept, false)]);
        assert_eq!(a.placing, None);
        assert_eq!(a.status, Status::Accepted);
        // Its mark, later, changes nothing.
        let marked = placed_own(a.clone(), &accept.id);
        assert_eq!(without_placing(marked), a);
        // An event the appeal holds, relayed again, changes nothing.
        let again = take(Some(a.clone()), &accept, Arrival::Feed { relayed: true })
            .unwrap()
            .unwrap();
        assert_eq!(without_placing(again), a);
    }

    #[test]
    fn the_first_access_key_held_is_kept() {
        let reg = registered();
        let key = |origin: &str, k: &str| {
            event(
                origin,
                2,
                5,
                EventBody::AccessKeyIssued {
                    code: code(),
                    key: k.into(),
                },
            )
        };
        let mut plain = reg.clone();
        if let EventBody::AppealRegistered { appeal } = &mut plain.body {
            appeal.access_key.clear();
        }
        let first = key("330999012-1", "AAAA");
        let second = key("330999012-2", "BBBB");
        let mut county = None;
        for e in [&plain, &first, &second] {
            county = take(county, e, Arrival::County).unwrap();
        }
        assert_eq!(county.unwrap().access_key, "AAAA");
    }
}
