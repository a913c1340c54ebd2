//! What the desk does, as plain functions: a registration, a step on an
//! appeal and a deputy's check-in or check-out each take the current state
//! and the input and give back the changes to record, or why not. The
//! kiosk, import and the county server share them; none of them reads a
//! clock or a disk (the time comes in as an argument).

use chrono::{DateTime, FixedOffset, NaiveDate};

use super::appeal::{Appeal, Category, DeputyRef, Route, Urgency, Visitor};
use super::code::TrackingCode;
use super::deputy::Deputy;
use super::event::Change;
use super::lifecycle::{self, Step, TransitionError};
use super::points::{self, HandEntry, PointsRules};
use super::validate::{self, Field, MAX_NOTE, ValidationError, text_field};
use super::visit::{Duty, Visit};
use crate::i18n::Lang;

/// A visit and its appeals as the desk takes them, already validated
/// field by field (`validate`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registration {
    pub visitor: Visitor,
    pub group_size: u16,
    pub deputies: Vec<DeputyRef>,
    pub appeals: Vec<NewAppeal>,
}

/// One appeal of a registration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAppeal {
    pub category: Category,
    pub title: String,
    pub content: String,
    pub location: String,
    pub urgency: Urgency,
    pub route: Route,
}

impl Registration {
    /// Tracking codes a registration takes: one for the visit, one per
    /// appeal.
    pub fn codes_needed(&self) -> usize {
        1 + self.appeals.len()
    }
}

/// Why the desk refuses an input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.message(Lang::En))]
pub enum DeskError {
    /// A registration was given the wrong number of codes.
    Codes { needed: usize, given: usize },
    /// A registration was given the wrong number of access keys.
    Keys { needed: usize, given: usize },
    /// A field breaks its rule.
    Field(ValidationError),
    /// The step is not allowed now.
    Step(TransitionError),
    /// Check-in twice, or check-out without check-in.
    Duty { deputy: String, checked_in: bool },
    /// A duty-list item that cannot be recorded.
    Item(ItemProblem),
}

/// Why an item of a deputy's duty list cannot be recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemProblem {
    UnknownDeputy(String),
    /// Not in the station's `[points]` items; the known ones' names.
    UnknownItem {
        item: String,
        known: String,
    },
    Times(u32),
    Future(NaiveDate),
}

impl DeskError {
    pub fn message(&self, lang: Lang) -> String {
        match self {
            DeskError::Codes { needed, given } => lang.pick(
                format!("登记需要 {needed} 个编号，只给了 {given} 个"),
                format!("a registration needs {needed} codes, {given} were given"),
            ),
            DeskError::Keys { needed, given } => lang.pick(
                format!("登记需要 {needed} 个查询密钥，只给了 {given} 个"),
                format!("a registration needs {needed} access keys, {given} were given"),
            ),
            DeskError::Field(e) => lang.pick(e.message_zh(), e.message_en()),
            DeskError::Step(e) => e.message(lang),
            DeskError::Duty {
                deputy,
                checked_in: true,
            } => lang.pick(
                format!("{deputy} 已签到，尚未签退，不能再签到"),
                format!("{deputy} is already checked in and not out: cannot check in again"),
            ),
            DeskError::Duty { deputy, .. } => lang.pick(
                format!("{deputy} 当前不在站（未签到或已签退），不能签退"),
                format!("{deputy} is not checked in (not yet, or already out): cannot check out"),
            ),
            DeskError::Item(p) => match p {
                ItemProblem::UnknownDeputy(d) => lang.pick(
                    format!("没有编号为 {d} 的代表"),
                    format!("there is no deputy {d}"),
                ),
                ItemProblem::UnknownItem { item, known } => lang.pick(
                    format!("履职事项“{item}”不在站点文件的积分规则中（可选：{known}）"),
                    format!(
                        "the duty item \"{item}\" is not in the station file's points rules (known: {known})"
                    ),
                ),
                ItemProblem::Times(n) => lang.pick(
                    format!("次数 {n} 不对：应为 1 到 {} 次", points::MAX_TIMES),
                    format!("{n} times is wrong: 1 to {} times", points::MAX_TIMES),
                ),
                ItemProblem::Future(day) => lang.pick(
                    format!("日期 {day} 还没到，只能登记已经做过的事项"),
                    format!("{day} is still to come: only what was done can be entered"),
                ),
            },
        }
    }
}

/// The changes a registration records: the visit, then each appeal under
/// the next code. `codes` come from the terminal's counter
/// (`codes_needed` of them), `keys` are the appeals' access keys (one per
/// appeal, made by the caller from random bytes with `public::access_key`);
/// `at` is the registration's time.
pub fn register(
    registration: Registration,
    codes: &[TrackingCode],
    keys: &[String],
    at: DateTime<FixedOffset>,
) -> Result<Vec<Change>, DeskError> {
    let needed = registration.codes_needed();
    if codes.len() != needed {
        return Err(DeskError::Codes {
            needed,
            given: codes.len(),
        });
    }
    if keys.len() != registration.appeals.len() {
        return Err(DeskError::Keys {
            needed: registration.appeals.len(),
            given: keys.len(),
        });
    }
    validate::check_group_size(registration.group_size).map_err(DeskError::Field)?;
    let Registration {
        visitor,
        group_size,
        deputies,
        appeals,
    } = registration;
    let visit_code = codes[0].clone();
    let appeal_codes = codes[1..].to_vec();
    let mut changes = vec![Change::VisitRegistered {
        visit: Visit {
            code: visit_code.clone(),
            at,
            visitor: visitor.clone(),
            group_size,
            deputies: deputies.clone(),
            appeals: appeal_codes.clone(),
        },
    }];
    for ((a, code), key) in appeals.into_iter().zip(appeal_codes).zip(keys) {
        changes.push(Change::AppealRegistered {
            appeal: Appeal {
                visit: Some(visit_code.clone()),
                visitor: visitor.clone(),
                group_size,
                deputies: deputies.clone(),
                category: a.category,
                title: a.title,
                content: a.content,
                location: a.location,
                urgency: a.urgency,
                route: a.route,
                access_key: key.clone(),
                ..Appeal::registered(code, at)
            },
        });
    }
    Ok(changes)
}

/// The change a step on `appeal` records at `at`, if the appeal's status
/// allows it and the step obeys the rules of a new step on that day.
pub fn step(
    appeal: &Appeal,
    step: Step,
    note: String,
    at: DateTime<FixedOffset>,
) -> Result<Change, DeskError> {
    let kind = step.kind();
    if !kind.allowed_from(appeal.status) {
        return Err(DeskError::Step(TransitionError::Illegal {
            from: appeal.status,
            step: kind,
        }));
    }
    lifecycle::check_new_step(&step, &note, at.date_naive()).map_err(DeskError::Step)?;
    Ok(Change::AppealStepped {
        code: appeal.code.clone(),
        step,
        note,
    })
}

/// The change a deputy's check-in (or check-out) records on `day`, given
/// the deputy's duty record for that day if there is one.
pub fn duty(
    record: Option<&Duty>,
    deputy: &str,
    day: NaiveDate,
    check_in: bool,
) -> Result<Change, DeskError> {
    let present = record.is_some_and(|d| d.check_in.is_some() && d.check_out.is_none());
    match (check_in, present) {
        (true, false) => Ok(Change::DutyCheckedIn {
            deputy: deputy.to_string(),
            day,
        }),
        (false, true) => Ok(Change::DutyCheckedOut {
            deputy: deputy.to_string(),
            day,
        }),
        (checked_in, _) => Err(DeskError::Duty {
            deputy: deputy.to_string(),
            checked_in,
        }),
    }
}

/// The change an item of a deputy's duty list entered by hand records, if
/// the deputy is the station's, the item one of its rules, the times 1 to
/// `MAX_TIMES`, the day not after `today` and the note a plain line.
pub fn duty_item(
    rules: &PointsRules,
    deputies: &[Deputy],
    mut entry: HandEntry,
    today: NaiveDate,
) -> Result<Change, DeskError> {
    if !deputies.iter().any(|d| d.id == entry.deputy) {
        return Err(DeskError::Item(ItemProblem::UnknownDeputy(entry.deputy)));
    }
    if !rules.items.iter().any(|i| i.code == entry.item) {
        let known = rules
            .items
            .iter()
            .map(|i| i.name.as_str())
            .collect::<Vec<_>>()
            .join("、");
        return Err(DeskError::Item(ItemProblem::UnknownItem {
            item: entry.item,
            known,
        }));
    }
    if entry.times == 0 || entry.times > points::MAX_TIMES {
        return Err(DeskError::Item(ItemProblem::Times(entry.times)));
    }
    if entry.day > today {
        return Err(DeskError::Item(ItemProblem::Future(entry.day)));
    }
    entry.note = text_field(Field::Note, &entry.note, false, MAX_NOTE, false).map_err(DeskError::Field)?;
    Ok(Change::DutyItemRecorded { entry })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{EventBody, Status};
    use chrono::TimeZone;

    fn at(h: u32) -> DateTime<FixedOffset> {
        FixedOffset::east_opt(8 * 3600)
            .unwrap()
            .with_ymd_and_hms(2026, 11, 20, h, 0, 0)
            .unwrap()
    }

    fn codes(n: u32) -> Vec<TrackingCode> {
        let day = at(9).date_naive();
        (1..=n)
            .map(|i| TrackingCode::new(day, "330999012", 1, i).unwrap())
            .collect()
    }

    fn registration(appeals: usize) -> Registration {
        Registration {
            visitor: Visitor {
                name: "王小明".into(),
                ..Visitor::default()
            },
            group_size: 1,
            deputies: Vec::new(),
            appeals: (0..appeals)
                .map(|i| NewAppeal {
                    category: Category::Traffic,
                    title: format!("事项{i}"),
                    content: "内容".into(),
                    location: String::new(),
                    urgency: Urgency::Normal,
                    route: Route::Referred,
                })
                .collect(),
        }
    }

    #[test]
    fn a_registration_is_a_visit_and_its_appeals_under_the_given_codes() {
        let keys = vec!["ABCDEFGHJKMNP".to_string(), "0123456789ABC".to_string()];
        let changes = register(registration(2), &codes(3), &keys, at(9)).unwrap();
        assert_eq!(changes.len(), 3);
        let EventBody::VisitRegistered { visit } = &changes[0] else {
            panic!("first change is not the visit: {changes:?}")
        };
        assert_eq!(visit.appeals, codes(3)[1..].to_vec());
        for (c, code) in changes[1..].iter().zip(&codes(3)[1..]) {
            let EventBody::AppealRegistered { appeal } = c else {
                panic!("not an appeal: {c:?}")
            };
            assert_eq!(&appeal.code, code);
            assert_eq!(appeal.visit.as_ref(), Some(&codes(3)[0]));
            assert_eq!(appeal.registered_at, at(9));
        }
        let keys_of: Vec<&str> = changes[1..]
            .iter()
            .filter_map(|c| match c {
                EventBody::AppealRegistered { appeal } => Some(appeal.access_key.as_str()),
                _ => None,
            })
            .collect();
        assert_eq!(keys_of, ["ABCDEFGHJKMNP", "0123456789ABC"]);
        assert_eq!(
            register(registration(2), &codes(3), &keys[..1], at(9)),
            Err(DeskError::Keys { needed: 2, given: 1 })
        );
        assert_eq!(
            register(registration(2), &codes(2), &keys, at(9)),
            Err(DeskError::Codes { needed: 3, given: 2 })
        );
        let mut big = registration(1);
        big.group_size = 0;
        assert!(matches!(
            register(big, &codes(2), &keys[..1], at(9)),
            Err(DeskError::Field(_))
        ));
    }

    #[test]
    fn a_step_follows_the_status_machine() {
        let appeal = Appeal::registered(codes(1).remove(0), at(9));
        assert_eq!(appeal.status, Status::Registered);
        assert!(step(&appeal, Step::Accept, String::new(), at(10)).is_ok());
        assert!(matches!(
            step(&appeal, Step::Chase, String::new(), at(10)),
            Err(DeskError::Step(TransitionError::Illegal { .. }))
        ));
    }

    #[test]
    fn check_in_and_out_alternate() {
        let day = at(9).date_naive();
        assert!(duty(None, "D001", day, true).is_ok());
        assert!(duty(None, "D001", day, false).is_err());
        let present = Duty {
            deputy: "D001".into(),
            day: Some(day),
            check_in: Some(at(9)),
            check_out: None,
        };
        assert!(duty(Some(&present), "D001", day, true).is_err());
        assert!(duty(Some(&present), "D001", day, false).is_ok());
        let left = Duty {
            check_out: Some(at(11)),
            ..present
        };
        assert!(duty(Some(&left), "D001", day, true).is_ok());
    }

    #[test]
    fn a_duty_item_is_checked_before_it_is_recorded() {
        let rules = PointsRules::default();
        let deputies = vec![Deputy {
            id: "D001".into(),
            name: "陈一".into(),
            level: crate::domain::deputy::Level::ALL[0],
            phone: String::new(),
            specialties: Vec::new(),
            duty_days: vec![10],
        }];
        let today = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
        let entry = |deputy: &str, item: &str, times: u32, day: NaiveDate, note: &str| HandEntry {
            deputy: deputy.into(),
            day,
            item: item.into(),
            times,
            note: note.into(),
        };
        let ok = duty_item(
            &rules,
            &deputies,
            entry("D001", "study", 2, today, " 专题 培训 "),
            today,
        )
        .unwrap();
        assert_eq!(
            ok,
            Change::DutyItemRecorded {
                entry: entry("D001", "study", 2, today, "专题 培训")
            }
        );
        let err = |e: HandEntry| duty_item(&rules, &deputies, e, today).unwrap_err();
        assert_eq!(
            err(entry("D009", "study", 1, today, "")),
            DeskError::Item(ItemProblem::UnknownDeputy("D009".into()))
        );
        let unknown = err(entry("D001", "dinner", 1, today, ""));
        assert!(
            unknown
                .message(Lang::Zh)
                .contains("学习培训、参加会议、调研视察等活动")
        );
        assert_eq!(
            err(entry("D001", "study", 0, today, "")),
            DeskError::Item(ItemProblem::Times(0))
        );
        assert_eq!(
            err(entry("D001", "study", 21, today, "")),
            DeskError::Item(ItemProblem::Times(21))
        );
        let tomorrow = today.succ_opt().unwrap();
        assert_eq!(
            err(entry("D001", "study", 1, tomorrow, "")),
            DeskError::Item(ItemProblem::Future(tomorrow))
        );
        assert!(matches!(
            err(entry("D001", "study", 1, today, &"长".repeat(1001))),
            DeskError::Field(_)
        ));
    }
}
