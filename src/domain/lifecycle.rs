//! The closed loop as a status machine: 登记受理 → 分类交办 → 跟踪督办 →
//! 答复反馈 → 办结销号, with a rating that reopens an appeal when the
//! citizen is not satisfied. Every change goes through `apply`.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::appeal::{Appeal, Route, Satisfaction, Status};
use crate::i18n::Lang;

/// One step an appeal can take. `Register` only begins a history; the rest
/// are the transitions staff trigger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum Step {
    Register,
    Accept,
    Refer {
        unit: String,
        deadline: NaiveDate,
    },
    Start,
    AnswerOnSpot {
        reply: String,
    },
    Reply {
        reply: String,
        /// The unit's document number (文号) for a formal written reply.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        document: Option<String>,
        /// How the reply answers it (A–D), when the county says.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        class: Option<super::appeal::ReplyClass>,
    },
    Rate {
        satisfaction: Satisfaction,
    },
    Reopen,
    Chase,
    /// 办结销号 by the county office: a replied appeal closed without the
    /// citizen's rating (the citizen could not be reached, or the county
    /// closed it after its own follow-up).
    Close,
    /// 改派: the appeal goes to another unit, with a new deadline.
    Rerefer {
        unit: String,
        deadline: NaiveDate,
    },
    /// 退回: the unit sends the appeal back to the office (the reason in
    /// the event's note); unit and deadline are cleared.
    Return,
    /// 办理进展: the unit reports how the handling goes (the text in the
    /// event's note).
    Progress,
    /// 延期: the deadline moves to a later day.
    Extend {
        deadline: NaiveDate,
    },
}

/// The kind of a step without its data, for menus and error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StepKind {
    Register,
    Accept,
    Refer,
    Start,
    AnswerOnSpot,
    Reply,
    Rate,
    Reopen,
    Chase,
    Close,
    Rerefer,
    Return,
    Progress,
    Extend,
}

impl StepKind {
    pub const ACTIONS: &'static [StepKind] = &[
        StepKind::Accept,
        StepKind::Refer,
        StepKind::Start,
        StepKind::AnswerOnSpot,
        StepKind::Reply,
        StepKind::Rate,
        StepKind::Reopen,
        StepKind::Chase,
    ];

    pub fn label(self, lang: Lang) -> &'static str {
        let (zh, en) = match self {
            StepKind::Register => ("登记", "Registered"),
            StepKind::Accept => ("受理", "Accept"),
            StepKind::Refer => ("交办", "Refer"),
            StepKind::Start => ("开始办理", "Start handling"),
            StepKind::AnswerOnSpot => ("当场答复", "Answer on the spot"),
            StepKind::Reply => ("答复", "Reply"),
            StepKind::Rate => ("满意度评价", "Rate"),
            StepKind::Reopen => ("重新办理", "Reopen"),
            StepKind::Chase => ("督办", "Chase"),
            StepKind::Close => ("办结销号", "Close"),
            StepKind::Rerefer => ("改派", "Re-refer"),
            StepKind::Return => ("退回", "Return"),
            StepKind::Progress => ("办理进展", "Progress"),
            StepKind::Extend => ("延期", "Extend"),
        };
        lang.pick(zh, en)
    }

    /// Whether this step may be taken from `from` (the table of legal moves).
    pub fn allowed_from(self, from: Status) -> bool {
        use Status::*;
        match self {
            StepKind::Register => false,
            StepKind::Accept => from == Registered,
            StepKind::Refer => from == Accepted,
            StepKind::Start => from == Referred,
            StepKind::AnswerOnSpot => matches!(from, Registered | Accepted),
            StepKind::Reply => matches!(from, Referred | InProgress),
            StepKind::Rate => from == Replied,
            StepKind::Reopen => from == Closed,
            StepKind::Chase => matches!(from, Referred | InProgress),
            StepKind::Close => from == Replied,
            StepKind::Rerefer | StepKind::Return | StepKind::Progress | StepKind::Extend => {
                matches!(from, Referred | InProgress)
            }
        }
    }
}

impl Step {
    pub fn kind(&self) -> StepKind {
        match self {
            Step::Register => StepKind::Register,
            Step::Accept => StepKind::Accept,
            Step::Refer { .. } => StepKind::Refer,
            Step::Start => StepKind::Start,
            Step::AnswerOnSpot { .. } => StepKind::AnswerOnSpot,
            Step::Reply { .. } => StepKind::Reply,
            Step::Rate { .. } => StepKind::Rate,
            Step::Reopen => StepKind::Reopen,
            Step::Chase => StepKind::Chase,
            Step::Close => StepKind::Close,
            Step::Rerefer { .. } => StepKind::Rerefer,
            Step::Return => StepKind::Return,
            Step::Progress => StepKind::Progress,
            Step::Extend { .. } => StepKind::Extend,
        }
    }

    /// A one-line description for timelines ("交办：县住建局，期限 2026-12-01").
    pub fn describe(&self, lang: Lang) -> String {
        let label = self.kind().label(lang);
        match self {
            Step::Refer { unit, deadline } | Step::Rerefer { unit, deadline } => {
                format!(
                    "{label}{}{unit}{}{deadline}",
                    lang.pick("：", ": "),
                    lang.pick("，期限 ", ", deadline ")
                )
            }
            Step::Extend { deadline } => {
                format!("{label}{}{deadline}", lang.pick("：期限改为 ", ": deadline now "))
            }
            Step::AnswerOnSpot { reply } => {
                format!("{label}{}{reply}", lang.pick("：", ": "))
            }
            Step::Reply {
                reply,
                document,
                class,
            } => {
                let mut head = label.to_string();
                if let Some(class) = class {
                    head.push_str(&format!(" {}", class.label(lang)));
                }
                match document {
                    Some(document) => format!(
                        "{head}{}{document}{}{reply}",
                        lang.pick("（文号 ", " (document "),
                        lang.pick("）：", "): ")
                    ),
                    None => format!("{head}{}{reply}", lang.pick("：", ": ")),
                }
            }
            Step::Rate { satisfaction } => {
                format!("{label}{}{}", lang.pick("：", ": "), satisfaction.label(lang))
            }
            _ => label.to_string(),
        }
    }
}

/// Why a step is refused. `Display` gives the English words, for the log;
/// a user reads `message`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("“{}” is not allowed for an appeal that is {}", .step.label(Lang::En), .from.en())]
    Illegal { from: Status, step: StepKind },
    #[error("the reply must not be empty")]
    EmptyReply,
    #[error("the handling unit must not be empty")]
    EmptyUnit,
    #[error("the deadline {deadline} is before the day of referral {on}; it must be that day or later")]
    DeadlineBeforeReferral { deadline: NaiveDate, on: NaiveDate },
    #[error("reopening needs a note saying why")]
    ReopenWithoutNote,
    #[error("returning an appeal needs the reason in the note")]
    ReturnWithoutReason,
    #[error("a progress report needs its text in the note")]
    ProgressWithoutText,
    #[error("the new deadline {deadline} is not later than the current one {held}")]
    ExtendNotLater { deadline: NaiveDate, held: NaiveDate },
}

impl TransitionError {
    /// The error in the user's language.
    pub fn message(&self, lang: Lang) -> String {
        match (lang, self) {
            (Lang::En, _) => self.to_string(),
            (Lang::Zh, TransitionError::Illegal { from, step }) => {
                format!("“{}”不能用于{}状态的诉求", step.label(lang), from.zh())
            }
            (Lang::Zh, TransitionError::EmptyReply) => "答复内容不能为空".into(),
            (Lang::Zh, TransitionError::EmptyUnit) => "承办单位不能为空".into(),
            (Lang::Zh, TransitionError::DeadlineBeforeReferral { deadline, on }) => {
                format!("办理期限 {deadline} 早于交办日期 {on}，应为当天或以后")
            }
            (Lang::Zh, TransitionError::ReopenWithoutNote) => "重新办理须填写备注，说明原因".into(),
            (Lang::Zh, TransitionError::ReturnWithoutReason) => "退回须填写退回理由".into(),
            (Lang::Zh, TransitionError::ProgressWithoutText) => "办理进展须填写进展内容".into(),
            (Lang::Zh, TransitionError::ExtendNotLater { deadline, held }) => {
                format!("延期后的期限 {deadline} 应晚于原期限 {held}")
            }
        }
    }
}

/// Where an appeal goes back to when it must be handled again: to its unit
/// if it had one, otherwise to acceptance.
fn back_to_handling(appeal: &Appeal) -> Status {
    if appeal.unit.is_some() {
        Status::InProgress
    } else {
        Status::Accepted
    }
}

/// The rules a step obeys when it is taken, on the day `on` it is taken
/// (the step's own date, not the day anyone looks at it): a referral's
/// deadline is not before that day, and reopening says why in its note.
///
/// They are not part of `apply`: a recorded step is replayed as it was
/// taken (an old journal or an export from before a rule existed still
/// loads), while every new step — the kiosk's dialogs, import, any caller
/// of the store's commit — is checked here first. The notes a step needs
/// (`check_note`) are part of it too.
pub fn check_new_step(step: &Step, note: &str, on: NaiveDate) -> Result<(), TransitionError> {
    match step {
        Step::Refer { deadline, .. } | Step::Rerefer { deadline, .. } if *deadline < on => {
            Err(TransitionError::DeadlineBeforeReferral {
                deadline: *deadline,
                on,
            })
        }
        Step::Reopen if note.trim().is_empty() => Err(TransitionError::ReopenWithoutNote),
        _ => check_note(step, note),
    }
}

/// The note a step cannot go without, whenever it is taken: a return
/// says why, a progress report says what. The county's steps obey it
/// where they apply as well as where they are made (`county_steps::apply`).
pub fn check_note(step: &Step, note: &str) -> Result<(), TransitionError> {
    match step {
        Step::Return if note.trim().is_empty() => Err(TransitionError::ReturnWithoutReason),
        Step::Progress if note.trim().is_empty() => Err(TransitionError::ProgressWithoutText),
        _ => Ok(()),
    }
}

/// Applies one step to an appeal, or says why it is illegal and leaves the
/// appeal unchanged. Returns the new status.
pub fn apply(appeal: &mut Appeal, step: &Step) -> Result<Status, TransitionError> {
    let from = appeal.status;
    if !step.kind().allowed_from(from) {
        return Err(TransitionError::Illegal {
            from,
            step: step.kind(),
        });
    }
    let to = match step {
        Step::Register => {
            return Err(TransitionError::Illegal {
                from,
                step: StepKind::Register,
            });
        }
        Step::Accept => Status::Accepted,
        Step::Refer { unit, deadline } => {
            if unit.trim().is_empty() {
                return Err(TransitionError::EmptyUnit);
            }
            appeal.unit = Some(unit.clone());
            appeal.deadline = Some(*deadline);
            if appeal.route == Route::OnSpot {
                appeal.route = Route::Referred;
            }
            Status::Referred
        }
        Step::Start => Status::InProgress,
        Step::AnswerOnSpot { reply } => {
            if reply.trim().is_empty() {
                return Err(TransitionError::EmptyReply);
            }
            appeal.route = Route::OnSpot;
            appeal.reply = Some(reply.clone());
            Status::Replied
        }
        Step::Reply { reply, class, .. } => {
            if reply.trim().is_empty() {
                return Err(TransitionError::EmptyReply);
            }
            appeal.reply = Some(reply.clone());
            appeal.reply_class = *class;
            Status::Replied
        }
        Step::Rate { satisfaction } => {
            appeal.satisfaction = Some(*satisfaction);
            if *satisfaction == Satisfaction::Unsatisfied {
                appeal.round += 1;
                back_to_handling(appeal)
            } else {
                Status::Closed
            }
        }
        Step::Reopen => {
            appeal.round += 1;
            appeal.satisfaction = None;
            back_to_handling(appeal)
        }
        Step::Chase => {
            appeal.chases += 1;
            from
        }
        Step::Close => Status::Closed,
        Step::Rerefer { unit, deadline } => {
            if unit.trim().is_empty() {
                return Err(TransitionError::EmptyUnit);
            }
            appeal.unit = Some(unit.clone());
            appeal.deadline = Some(*deadline);
            Status::Referred
        }
        Step::Return => {
            appeal.unit = None;
            appeal.deadline = None;
            Status::Accepted
        }
        Step::Progress => Status::InProgress,
        Step::Extend { deadline } => {
            if let Some(held) = appeal.deadline.filter(|held| deadline <= held) {
                return Err(TransitionError::ExtendNotLater {
                    deadline: *deadline,
                    held,
                });
            }
            appeal.deadline = Some(*deadline);
            from
        }
    };
    appeal.status = to;
    Ok(to)
}

/// The steps offered for an appeal in its current status.
pub fn available(status: Status) -> Vec<StepKind> {
    StepKind::ACTIONS
        .iter()
        .copied()
        .filter(|k| k.allowed_from(status))
        .collect()
}

/// Replays an appeal's history through the status machine from its
/// registration and returns the state it implies (for appeals brought in
/// whole from an export). Fails when a step is illegal, a step's recorded
/// status differs from the rule's, or the history does not end where the
/// appeal says it is.
pub fn replay_history(appeal: &Appeal) -> Result<Appeal, HistoryError> {
    let first = appeal.history.first().ok_or(HistoryError::Empty)?;
    if first.step != Step::Register {
        return Err(HistoryError::NotRegisteredFirst);
    }
    let mut replay = appeal.as_registered();
    for (i, h) in appeal.history.iter().enumerate().skip(1) {
        let n = i + 1;
        let to = apply(&mut replay, &h.step).map_err(|error| HistoryError::Step { n, error })?;
        if to != h.to {
            return Err(HistoryError::Status {
                n,
                recorded: h.to,
                rule: to,
            });
        }
    }
    if replay.status != appeal.status {
        return Err(HistoryError::EndsElsewhere {
            stated: appeal.status,
            replayed: replay.status,
        });
    }
    Ok(replay)
}

/// Why an appeal's recorded history does not replay (`replay_history`).
/// Import reports these words as they are, whatever the language.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HistoryError {
    #[error("历史记录为空")]
    Empty,
    #[error("历史记录必须以“登记”开始")]
    NotRegisteredFirst,
    #[error("历史第 {n} 步：{error}")]
    Step { n: usize, error: TransitionError },
    #[error("历史第 {n} 步：记录的状态为{}，按规则应为{}", .recorded.zh(), .rule.zh())]
    Status {
        n: usize,
        recorded: Status,
        rule: Status,
    },
    #[error("状态为{}，但历史记录推出的状态为{}", .stated.zh(), .replayed.zh())]
    EndsElsewhere { stated: Status, replayed: Status },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, day).unwrap()
    }

    fn refer(deadline: NaiveDate) -> Step {
        Step::Refer {
            unit: "县住建局".into(),
            deadline,
        }
    }

    #[test]
    fn a_deadline_is_not_before_the_day_of_referral() {
        assert_eq!(check_new_step(&refer(d(30)), "", d(30)), Ok(()));
        assert_eq!(check_new_step(&refer(d(30)), "", d(12)), Ok(()));
        let e = check_new_step(&refer(d(11)), "", d(12)).unwrap_err();
        assert_eq!(
            e,
            TransitionError::DeadlineBeforeReferral {
                deadline: d(11),
                on: d(12)
            }
        );
        assert_eq!(
            e.message(Lang::Zh),
            "办理期限 2026-11-11 早于交办日期 2026-11-12，应为当天或以后"
        );
        assert!(
            e.message(Lang::En).contains("2026-11-11"),
            "{}",
            e.message(Lang::En)
        );
    }

    #[test]
    fn reopening_needs_a_note() {
        for blank in ["", "  ", "\n\t"] {
            assert_eq!(
                check_new_step(&Step::Reopen, blank, d(1)),
                Err(TransitionError::ReopenWithoutNote)
            );
        }
        assert_eq!(
            check_new_step(&Step::Reopen, "群众反映问题仍未解决", d(1)),
            Ok(())
        );
        // Other steps need no note.
        assert_eq!(check_new_step(&Step::Accept, "", d(1)), Ok(()));
        assert_eq!(check_new_step(&Step::Chase, "", d(1)), Ok(()));
    }

    #[test]
    fn replay_still_takes_what_the_rules_now_refuse() {
        // A step recorded before the rules (deadline in the past, no
        // note) still applies: the rules are for new steps only.
        let code = crate::domain::TrackingCode::new(d(10), "330999012", 1, 7).unwrap();
        let at = chrono::DateTime::parse_from_rfc3339("2026-11-10T09:00:00+08:00").unwrap();
        let mut a = Appeal::registered(code, at);
        apply(&mut a, &Step::Accept).unwrap();
        apply(&mut a, &refer(d(1))).unwrap();
        assert_eq!(a.deadline, Some(d(1)));
    }

    fn referred() -> Appeal {
        let code = crate::domain::TrackingCode::new(d(10), "330999012", 1, 7).unwrap();
        let at = chrono::DateTime::parse_from_rfc3339("2026-11-10T09:00:00+08:00").unwrap();
        let mut a = Appeal::registered(code, at);
        apply(&mut a, &Step::Accept).unwrap();
        apply(&mut a, &refer(d(20))).unwrap();
        a
    }

    #[test]
    fn the_county_steps_move_a_referred_appeal() {
        let rerefer = Step::Rerefer {
            unit: "青禾县交通运输局".into(),
            deadline: d(25),
        };
        for started in [false, true] {
            let mut a = referred();
            if started {
                apply(&mut a, &Step::Start).unwrap();
            }
            let mut b = a.clone();
            assert_eq!(apply(&mut b, &rerefer), Ok(Status::Referred));
            assert_eq!(b.unit.as_deref(), Some("青禾县交通运输局"));
            assert_eq!(b.deadline, Some(d(25)));

            let mut b = a.clone();
            assert_eq!(apply(&mut b, &Step::Return), Ok(Status::Accepted));
            assert_eq!((b.unit, b.deadline), (None, None));

            let mut b = a.clone();
            assert_eq!(apply(&mut b, &Step::Progress), Ok(Status::InProgress));

            let mut b = a.clone();
            let held = a.status;
            assert_eq!(apply(&mut b, &Step::Extend { deadline: d(28) }), Ok(held));
            assert_eq!(b.deadline, Some(d(28)));
            assert_eq!(b.unit, a.unit);
        }
        // Only while a unit handles it.
        for status in [
            Status::Registered,
            Status::Accepted,
            Status::Replied,
            Status::Closed,
        ] {
            for kind in [
                StepKind::Rerefer,
                StepKind::Return,
                StepKind::Progress,
                StepKind::Extend,
            ] {
                assert!(!kind.allowed_from(status), "{kind:?} from {status:?}");
            }
        }
    }

    #[test]
    fn an_extension_goes_later_and_a_rereferral_names_a_unit() {
        let a = referred();
        for day in [d(20), d(19)] {
            let mut b = a.clone();
            let e = apply(&mut b, &Step::Extend { deadline: day }).unwrap_err();
            assert_eq!(
                e,
                TransitionError::ExtendNotLater {
                    deadline: day,
                    held: d(20)
                }
            );
            assert_eq!(b, a);
        }
        assert_eq!(
            TransitionError::ExtendNotLater {
                deadline: d(19),
                held: d(20)
            }
            .message(Lang::Zh),
            "延期后的期限 2026-11-19 应晚于原期限 2026-11-20"
        );
        let mut b = a.clone();
        let blank = Step::Rerefer {
            unit: " ".into(),
            deadline: d(25),
        };
        assert_eq!(apply(&mut b, &blank), Err(TransitionError::EmptyUnit));
        assert_eq!(b, a);
        let early = Step::Rerefer {
            unit: "青禾县交通运输局".into(),
            deadline: d(11),
        };
        assert_eq!(
            check_new_step(&early, "", d(12)),
            Err(TransitionError::DeadlineBeforeReferral {
                deadline: d(11),
                on: d(12)
            })
        );
    }

    #[test]
    fn a_return_says_why_and_progress_says_what() {
        for blank in ["", " \n"] {
            assert_eq!(
                check_new_step(&Step::Return, blank, d(12)),
                Err(TransitionError::ReturnWithoutReason)
            );
            assert_eq!(
                check_new_step(&Step::Progress, blank, d(12)),
                Err(TransitionError::ProgressWithoutText)
            );
        }
        assert_eq!(check_new_step(&Step::Return, "不属本单位职责", d(12)), Ok(()));
        assert_eq!(check_new_step(&Step::Progress, "已现场勘查", d(12)), Ok(()));
        assert_eq!(
            TransitionError::ReturnWithoutReason.message(Lang::Zh),
            "退回须填写退回理由"
        );
        assert_eq!(
            TransitionError::ProgressWithoutText.message(Lang::Zh),
            "办理进展须填写进展内容"
        );
    }

    #[test]
    fn the_new_steps_read_in_words() {
        let rerefer = Step::Rerefer {
            unit: "青禾县交通运输局".into(),
            deadline: d(25),
        };
        assert_eq!(
            rerefer.describe(Lang::Zh),
            "改派：青禾县交通运输局，期限 2026-11-25"
        );
        assert_eq!(
            Step::Extend { deadline: d(28) }.describe(Lang::Zh),
            "延期：期限改为 2026-11-28"
        );
        assert_eq!(Step::Return.describe(Lang::Zh), "退回");
        assert_eq!(Step::Progress.describe(Lang::En), "Progress");
        let reply = Step::Reply {
            reply: "已修复".into(),
            document: Some("青住建函〔2026〕12号".into()),
            class: None,
        };
        assert_eq!(
            reply.describe(Lang::Zh),
            "答复（文号 青住建函〔2026〕12号）：已修复"
        );
        // With its class (答复类别), in words and kept on the appeal.
        let classed = Step::Reply {
            reply: "已列入明年道路改造计划".into(),
            document: None,
            class: Some(crate::domain::ReplyClass::Planned),
        };
        assert_eq!(
            classed.describe(Lang::Zh),
            "答复 C 列入计划：已列入明年道路改造计划"
        );
        assert_eq!(
            serde_json::to_string(&classed).unwrap(),
            r#"{"step":"reply","reply":"已列入明年道路改造计划","class":"planned"}"#
        );
        let mut a = crate::domain::Appeal::registered(
            crate::domain::TrackingCode::new(d(10), "330999012", 1, 1).unwrap(),
            chrono::DateTime::parse_from_rfc3339("2026-11-10T09:00:00+08:00").unwrap(),
        );
        for s in [
            Step::Accept,
            Step::Refer {
                unit: "青禾县交通运输局".into(),
                deadline: d(28),
            },
            classed.clone(),
        ] {
            apply(&mut a, &s).unwrap();
        }
        assert_eq!(a.reply_class, Some(crate::domain::ReplyClass::Planned));
        // A reply without a document number or class is written as before.
        let plain = Step::Reply {
            reply: "已修复".into(),
            document: None,
            class: None,
        };
        assert_eq!(
            serde_json::to_string(&plain).unwrap(),
            r#"{"step":"reply","reply":"已修复"}"#
        );
        let back: Step = serde_json::from_str(r#"{"step":"reply","reply":"已修复"}"#).unwrap();
        assert_eq!(back, plain);
        let extend: Step = serde_json::from_str(r#"{"step":"extend","deadline":"2026-11-28"}"#).unwrap();
        assert_eq!(extend, Step::Extend { deadline: d(28) });
    }
}
