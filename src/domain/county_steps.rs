//! The county office's steps on a station's appeals, and the rules by
//! which they apply at the station.
//!
//! A station works offline and sends its events up at night; the county
//! refers, chases, replies and closes against the copy it holds, which may
//! be a day behind. When the county's step reaches the station the appeal
//! may have moved on. The rules, the same whether the step is applied as
//! it arrives or replayed from the journal (they read only the appeal as
//! the events before it left it):
//!
//! 1. Only the county's own steps count: accept, refer, re-refer (改派),
//!    start handling, progress (办理进展), chase, extend (延期), return
//!    (退回), reply, close (办结销号). Registration, the citizen's rating,
//!    reopening and on-the-spot answers are the station's.
//! 2. A step made in an earlier round is kept, not applied: the citizen
//!    reopened the appeal (or rated it 不满意) after the county acted, so
//!    the county's reply answered the old round. The station's reopen
//!    reaches the county with the next upload and the county acts again.
//! 3. A step the appeal's status no longer allows is kept, not applied:
//!    for example a reply to an appeal the station has meanwhile answered
//!    on the spot and closed.
//! 4. A step without what it needs is kept, not applied: an empty unit,
//!    reply, return reason or progress text, or an extension to a day not
//!    later than the deadline the appeal holds.
//! 5. Otherwise the step applies through the status machine, as a step
//!    taken at the station would.
//!
//! A kept step appears in the appeal's timeline with the reason it
//! changed nothing; nothing the county sends is ever refused or lost.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::appeal::{Appeal, Status};
use super::event::EventBody;
use super::lifecycle::{self, Step, StepKind, TransitionError};
use crate::i18n::Lang;

/// The steps the county office takes.
pub const COUNTY_STEPS: &[StepKind] = &[
    StepKind::Accept,
    StepKind::Refer,
    StepKind::Rerefer,
    StepKind::Start,
    StepKind::Progress,
    StepKind::Chase,
    StepKind::Extend,
    StepKind::Return,
    StepKind::Reply,
    StepKind::Close,
];

vocabulary! {
    /// Who a county console user is: the office (县人大办) takes the
    /// office's steps, a handling unit's staff (承办单位) those of the
    /// appeals referred to it, a viewer (只读) only looks.
    CountyRole {
        Office = "office", "县人大办", "County office";
        Unit = "unit", "承办单位", "Handling unit";
        Viewer = "viewer", "只读", "Read-only";
    }
}

/// Whether `role` may take steps of `kind`.
pub fn role_allows(role: CountyRole, kind: StepKind) -> bool {
    use StepKind::*;
    match role {
        CountyRole::Office => matches!(
            kind,
            Accept | Refer | Rerefer | Chase | Extend | Close | Reply | Progress | Start
        ),
        CountyRole::Unit => matches!(kind, Start | Progress | Reply | Return),
        CountyRole::Viewer => false,
    }
}

/// The steps `role` may take on the appeal now: the county's steps its
/// status allows and the role is given.
pub fn actions(appeal: &Appeal, role: CountyRole) -> Vec<StepKind> {
    COUNTY_STEPS
        .iter()
        .copied()
        .filter(|k| role_allows(role, *k) && k.allowed_from(appeal.status))
        .collect()
}

/// Why a county step changed nothing at the station.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "why", rename_all = "snake_case")]
pub enum NotApplied {
    /// Made in round `round`; the appeal is in round `now` (reopened since).
    EarlierRound { round: u32, now: u32 },
    /// The appeal is `status` now, which does not allow the step.
    Overtaken { status: Status },
    /// Not a step the county takes.
    NotCountyStep,
    /// The step itself is incomplete (an empty reply, unit, return reason
    /// or progress text).
    Incomplete,
    /// An extension to `deadline`, which is not later than the deadline
    /// `held` by the appeal at the station.
    NotLater { deadline: NaiveDate, held: NaiveDate },
    /// A station's step that another step, placed before it in the
    /// county's order (another terminal's, or the county's), overtook: the
    /// appeal was `status` by then (`order`).
    Preceded { status: Status },
}

impl NotApplied {
    pub fn message(&self, lang: Lang) -> String {
        match (lang, self) {
            (Lang::Zh, NotApplied::EarlierRound { round, now }) => {
                format!(
                    "未生效：县里针对第 {} 轮办理，诉求已重新办理（现为第 {} 轮）",
                    round + 1,
                    now + 1
                )
            }
            (Lang::En, NotApplied::EarlierRound { round, now }) => format!(
                "not applied: the county acted on round {}, the appeal was reopened since (now round {})",
                round + 1,
                now + 1
            ),
            (Lang::Zh, NotApplied::Overtaken { status }) => {
                format!("未生效：诉求在本站已是“{}”", status.zh())
            }
            (Lang::En, NotApplied::Overtaken { status }) => {
                format!(
                    "not applied: the appeal is already {} at the station",
                    status.en()
                )
            }
            (Lang::Zh, NotApplied::Preceded { status }) => {
                format!(
                    "未生效：另一台终端或县里的办理先到，诉求当时已是“{}”",
                    status.zh()
                )
            }
            (Lang::En, NotApplied::Preceded { status }) => format!(
                "not applied: a step from another terminal or the county came first; the appeal was already {}",
                status.en()
            ),
            (Lang::Zh, NotApplied::NotCountyStep) => "未生效：这一步只能由联络站办理".into(),
            (Lang::En, NotApplied::NotCountyStep) => "not applied: only the station takes this step".into(),
            (Lang::Zh, NotApplied::Incomplete) => "未生效：内容不完整".into(),
            (Lang::En, NotApplied::Incomplete) => "not applied: the step is incomplete".into(),
            (Lang::Zh, NotApplied::NotLater { deadline, held }) => {
                format!("未生效：延期后的期限 {deadline} 不晚于本站的期限 {held}")
            }
            (Lang::En, NotApplied::NotLater { deadline, held }) => {
                format!("not applied: the new deadline {deadline} is not later than the station's {held}")
            }
        }
    }
}

/// Applies a county step made in `round`, with its `note`, to the appeal,
/// by the rules above. On `Err` the appeal is unchanged. The rules read
/// only the appeal and the event, so a step refused as it arrives is
/// refused again when the journal is replayed.
pub fn apply(appeal: &mut Appeal, step: &Step, note: &str, round: u32) -> Result<Status, NotApplied> {
    if !COUNTY_STEPS.contains(&step.kind()) {
        return Err(NotApplied::NotCountyStep);
    }
    if round < appeal.round {
        return Err(NotApplied::EarlierRound {
            round,
            now: appeal.round,
        });
    }
    let mut next = appeal.clone();
    match lifecycle::apply(&mut next, step).and_then(|status| {
        lifecycle::check_note(step, note)?;
        Ok(status)
    }) {
        Ok(status) => {
            *appeal = next;
            Ok(status)
        }
        Err(TransitionError::Illegal { from, .. }) => Err(NotApplied::Overtaken { status: from }),
        Err(TransitionError::ExtendNotLater { deadline, held }) => {
            Err(NotApplied::NotLater { deadline, held })
        }
        Err(_) => Err(NotApplied::Incomplete),
    }
}

/// Applies a station's step at its place in the county's order (`order`):
/// the status machine decides, and a step it refuses is kept, with the
/// reason. What the step needed was checked where it was saved; this does
/// not judge it again. On `Err` the appeal is unchanged.
pub fn apply_station_step(appeal: &mut Appeal, step: &Step) -> Result<Status, NotApplied> {
    let mut next = appeal.clone();
    match lifecycle::apply(&mut next, step) {
        Ok(status) => {
            *appeal = next;
            Ok(status)
        }
        Err(TransitionError::Illegal { from, .. }) => Err(NotApplied::Preceded { status: from }),
        Err(TransitionError::ExtendNotLater { deadline, held }) => {
            Err(NotApplied::NotLater { deadline, held })
        }
        Err(_) => Err(NotApplied::Incomplete),
    }
}

/// A step county staff ask for, on the appeal as the county holds it, on
/// the day `on`: the event to record, or why the status machine refuses
/// it (the same rules as a step taken at the kiosk).
pub fn decide(appeal: &Appeal, step: Step, note: String, on: NaiveDate) -> Result<EventBody, CountyRefusal> {
    if !COUNTY_STEPS.contains(&step.kind()) {
        return Err(CountyRefusal::NotCountyStep(step.kind()));
    }
    lifecycle::check_new_step(&step, &note, on).map_err(CountyRefusal::Step)?;
    let mut probe = appeal.clone();
    lifecycle::apply(&mut probe, &step).map_err(CountyRefusal::Step)?;
    Ok(EventBody::CountyStepped {
        code: appeal.code.clone(),
        step,
        note,
        round: appeal.round,
    })
}

/// Why county staff's step is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CountyRefusal {
    Step(TransitionError),
    NotCountyStep(StepKind),
}

impl CountyRefusal {
    pub fn message(&self, lang: Lang) -> String {
        match self {
            CountyRefusal::Step(e) => e.message(lang),
            CountyRefusal::NotCountyStep(kind) => match lang {
                Lang::Zh => format!("“{}”只能由联络站办理", kind.label(lang)),
                Lang::En => format!("only the station can take the step “{}”", kind.label(lang)),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::TrackingCode;
    use chrono::{DateTime, FixedOffset};

    fn at() -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339("2026-11-10T09:00:00+08:00").unwrap()
    }

    fn appeal() -> Appeal {
        let code =
            TrackingCode::new(NaiveDate::from_ymd_opt(2026, 11, 10).unwrap(), "330999012", 1, 1).unwrap();
        Appeal::registered(code, at())
    }

    fn steps(a: &mut Appeal, steps: &[Step]) {
        for s in steps {
            lifecycle::apply(a, s).unwrap();
        }
    }

    fn reply() -> Step {
        Step::Reply {
            reply: "已修复".into(),
            document: None,
            class: None,
        }
    }

    fn refer() -> Step {
        Step::Refer {
            unit: "县住建局".into(),
            deadline: NaiveDate::from_ymd_opt(2026, 12, 10).unwrap(),
        }
    }

    #[test]
    fn a_reply_to_a_referred_appeal_applies() {
        let mut a = appeal();
        steps(&mut a, &[Step::Accept, refer()]);
        assert_eq!(apply(&mut a, &reply(), "", 0), Ok(Status::Replied));
        assert_eq!(a.reply.as_deref(), Some("已修复"));
    }

    #[test]
    fn a_reply_from_before_a_reopen_is_kept_not_applied() {
        let mut a = appeal();
        steps(
            &mut a,
            &[
                Step::Accept,
                refer(),
                reply(),
                Step::Rate {
                    satisfaction: crate::domain::Satisfaction::Satisfied,
                },
                Step::Reopen,
            ],
        );
        let before = a.clone();
        // The county replied in round 0; the station reopened (round 1).
        assert_eq!(
            apply(&mut a, &reply(), "", 0),
            Err(NotApplied::EarlierRound { round: 0, now: 1 })
        );
        assert_eq!(a, before);
        // A reply made in the new round applies.
        assert_eq!(apply(&mut a, &reply(), "", 1), Ok(Status::Replied));
    }

    #[test]
    fn a_reply_to_an_appeal_closed_at_the_station_is_kept_not_applied() {
        let mut a = appeal();
        steps(
            &mut a,
            &[
                Step::AnswerOnSpot {
                    reply: "当场解释".into(),
                },
                Step::Rate {
                    satisfaction: crate::domain::Satisfaction::Satisfied,
                },
            ],
        );
        let before = a.clone();
        assert_eq!(
            apply(&mut a, &reply(), "", 0),
            Err(NotApplied::Overtaken {
                status: Status::Closed
            })
        );
        assert_eq!(a, before);
    }

    #[test]
    fn station_steps_from_the_county_are_not_applied() {
        let mut a = appeal();
        assert_eq!(
            apply(&mut a, &Step::Reopen, "", 0),
            Err(NotApplied::NotCountyStep)
        );
        assert_eq!(a.status, Status::Registered);
    }

    #[test]
    fn county_staff_are_refused_what_the_status_machine_refuses() {
        let a = appeal();
        let on = NaiveDate::from_ymd_opt(2026, 11, 10).unwrap();
        let refused = decide(&a, reply(), String::new(), on).unwrap_err();
        assert!(
            refused.message(Lang::Zh).contains("已登记"),
            "{}",
            refused.message(Lang::Zh)
        );
        let mut b = a.clone();
        steps(&mut b, &[Step::Accept]);
        assert!(matches!(
            decide(&b, refer(), String::new(), on),
            Ok(EventBody::CountyStepped { round: 0, .. })
        ));
    }

    fn d(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, day).unwrap()
    }

    #[test]
    fn each_role_is_offered_what_it_may_take_now() {
        use StepKind::*;
        let mut a = appeal();
        assert_eq!(actions(&a, CountyRole::Office), vec![Accept]);
        assert_eq!(actions(&a, CountyRole::Unit), Vec::<StepKind>::new());
        steps(&mut a, &[Step::Accept, refer()]);
        assert_eq!(
            actions(&a, CountyRole::Office),
            vec![Rerefer, Start, Progress, Chase, Extend, Reply]
        );
        assert_eq!(
            actions(&a, CountyRole::Unit),
            vec![Start, Progress, Return, Reply]
        );
        assert_eq!(actions(&a, CountyRole::Viewer), Vec::<StepKind>::new());
        steps(&mut a, &[reply()]);
        assert_eq!(actions(&a, CountyRole::Office), vec![Close]);
        assert_eq!(actions(&a, CountyRole::Unit), Vec::<StepKind>::new());
        assert_eq!(CountyRole::parse("unit"), Some(CountyRole::Unit));
        assert_eq!(CountyRole::Office.zh(), "县人大办");
        assert_eq!(CountyRole::Viewer.label(Lang::Zh), "只读");
    }

    /// The event a county step is recorded as, applied as the station
    /// applies it.
    fn stepped(a: &Appeal, step: Step, note: &str, round: u32) -> crate::domain::Event {
        crate::domain::Event {
            id: crate::domain::EventId {
                origin: crate::domain::event::county_origin("330999012"),
                seq: 1,
            },
            at: at(),
            actor: "王科员".into(),
            body: EventBody::CountyStepped {
                code: a.code.clone(),
                step,
                note: note.into(),
                round,
            },
        }
    }

    #[test]
    fn a_step_refused_as_it_arrives_is_refused_replayed() {
        let mut a = appeal();
        steps(&mut a, &[Step::Accept, refer()]);
        let cases = [
            (Step::Return, "", NotApplied::Incomplete),
            (Step::Progress, " ", NotApplied::Incomplete),
            (
                Step::Extend { deadline: d(30) },
                "",
                NotApplied::NotLater {
                    deadline: d(30),
                    held: NaiveDate::from_ymd_opt(2026, 12, 10).unwrap(),
                },
            ),
        ];
        for (step, note, why) in cases {
            let mut live = a.clone();
            assert_eq!(apply(&mut live, &step, note, 0), Err(why.clone()));
            assert_eq!(live, a);
            // Replayed from the journal: the same event, the same outcome.
            let event = stepped(&a, step, note, 0);
            let replayed = crate::domain::history::apply(Some(&a), &event).unwrap().unwrap();
            let last = replayed.history.last().unwrap();
            assert_eq!(last.not_applied, Some(why));
            assert_eq!(replayed.status, a.status);
            assert_eq!(replayed.deadline, a.deadline);
        }
        // With what they need they apply, live and replayed alike.
        for (step, note, to) in [
            (Step::Return, "不属本单位职责", Status::Accepted),
            (Step::Progress, "已现场勘查", Status::InProgress),
            (
                Step::Rerefer {
                    unit: "青禾县交通运输局".into(),
                    deadline: d(28),
                },
                "",
                Status::Referred,
            ),
        ] {
            let mut live = a.clone();
            assert_eq!(apply(&mut live, &step, note, 0), Ok(to));
            let event = stepped(&a, step, note, 0);
            let replayed = crate::domain::history::apply(Some(&a), &event).unwrap().unwrap();
            assert_eq!(replayed.status, to);
            assert_eq!(
                (replayed.unit.clone(), replayed.deadline),
                (live.unit.clone(), live.deadline)
            );
        }
    }

    #[test]
    fn county_staff_must_give_a_return_its_reason() {
        let mut a = appeal();
        steps(&mut a, &[Step::Accept, refer()]);
        let refused = decide(&a, Step::Return, String::new(), d(12)).unwrap_err();
        assert_eq!(refused, CountyRefusal::Step(TransitionError::ReturnWithoutReason));
        assert!(decide(&a, Step::Return, "不属本单位职责".into(), d(12)).is_ok());
    }
}
