//! What the domain's unit tests share: the sample station, days of 2026,
//! and appeals taken through their steps the way events take them
//! (`history::apply_by`), so that their histories are the real thing.

use chrono::{DateTime, FixedOffset, NaiveDate};

use super::appeal::{Appeal, Category, DeputyRef, ReplyClass};
use super::event::{Event, EventBody, EventId};
use super::history::{self, Rule};
use super::lifecycle::Step;
use super::{Station, TrackingCode};

/// The sample station (`sample-data/station.toml`).
pub fn sample_station() -> Station {
    let file: toml::Value = toml::from_str(include_str!("../../sample-data/station.toml")).unwrap();
    file["station"].clone().try_into().unwrap()
}

/// A day of 2026.
pub fn d(month: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, month, day).unwrap()
}

/// 10:00 on `day`, Beijing time.
pub fn at(day: NaiveDate) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(&format!("{day}T10:00:00+08:00")).unwrap()
}

/// Appeal `n` of terminal 1, registered on `on` in `category` and received
/// by `deputies`, taken through `steps`, each on its day, as the events of
/// the desk that took them.
pub fn appeal_through(
    n: u32,
    on: NaiveDate,
    category: Category,
    deputies: &[&str],
    steps: &[(Step, NaiveDate)],
) -> Appeal {
    let code = TrackingCode::new(on, "330999012", 1, n).unwrap();
    let mut a = Appeal {
        category,
        deputies: deputies
            .iter()
            .map(|id| DeputyRef {
                id: (*id).into(),
                name: (*id).into(),
            })
            .collect(),
        ..Appeal::registered(code.clone(), at(on))
    };
    for (i, (step, day)) in steps.iter().enumerate() {
        let event = Event {
            id: EventId {
                origin: "330999012-1".into(),
                seq: i as u64 + 2,
            },
            at: at(*day),
            actor: "沈佳怡".into(),
            body: EventBody::AppealStepped {
                code: code.clone(),
                step: step.clone(),
                note: String::new(),
            },
        };
        a = history::apply_by(Some(a), &event, Rule::Own).unwrap().unwrap();
    }
    a
}

/// A referral to the county's transport bureau, due on `due`.
pub fn refer(due: NaiveDate) -> Step {
    Step::Refer {
        unit: "青禾县交通运输局".into(),
        deadline: due,
    }
}

/// The county's reply, of `class`.
pub fn reply(class: Option<ReplyClass>) -> Step {
    Step::Reply {
        reply: "已处理".into(),
        document: None,
        class,
    }
}
