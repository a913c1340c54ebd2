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
        }
    }

    /// A one-line description for timelines ("交办：县住建局，期限 2026-12-01").
    pub fn describe(&self, lang: Lang) -> String {
        let label = self.kind().label(lang);
        match self {
            Step::Refer { unit, deadline } => {
                format!(
                    "{label}{}{unit}{}{deadline}",
                    lang.pick("：", ": "),
                    lang.pick("，期限 ", ", deadline ")
                )
            }
            Step::AnswerOnSpot { reply } | Step::Reply { reply } => {
                format!("{label}{}{reply}", lang.pick("：", ": "))
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
/// of the store's commit — is checked here first.
pub fn check_new_step(step: &Step, note: &str, on: NaiveDate) -> Result<(), TransitionError> {
    match step {
        Step::Refer { deadline, .. } if *deadline < on => Err(TransitionError::DeadlineBeforeReferral {
            deadline: *deadline,
            on,
        }),
        Step::Reopen if note.trim().is_empty() => Err(TransitionError::ReopenWithoutNote),
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
        Step::Reply { reply } => {
            if reply.trim().is_empty() {
                return Err(TransitionError::EmptyReply);
            }
            appeal.reply = Some(reply.clone());
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
}
