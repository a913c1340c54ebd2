//! What a citizen sends from a station's or a deputy's public page (扫码提
//! 建议, 预约见面), and the appeal it becomes.
//!
//! A submission names a category, says what the matter is and where,
//! and may leave a name and phone for a reply; on a deputy's page it may
//! also book a meeting with that deputy on one of the station's next
//! reception days. The county checks it with the same field rules as the
//! desk (`validate`), gives it a tracking code of its own origin for the
//! station (`code::ONLINE_TERMINAL`) and an access key, and sends it down
//! to the station's terminals in the feed, where the desk accepts it and
//! handles it like any other.

use chrono::{DateTime, FixedOffset, NaiveDate};
use sha2::{Digest, Sha256};

use super::appeal::{Appeal, Category, Channel, DeputyRef, Visitor};
use super::code::TrackingCode;
use super::deputy::Deputy;
use super::station::Station;
use super::validate::{self, Field, ValidationError, text_field};
use crate::i18n::Lang;

/// The most characters a citizen's account of the matter may have (a
/// screenful on a phone; the desk's own limit is higher).
pub const MAX_ONLINE_CONTENT: usize = 1000;

/// How many of the station's next reception days a booking may name.
pub const BOOKABLE_DAYS: usize = 3;

/// A submission as the form sent it: every field as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Form {
    pub category: String,
    pub content: String,
    pub location: String,
    pub name: String,
    pub phone: String,
    /// The deputy whose page it came from, if any.
    pub deputy: Option<String>,
    /// The reception day asked for, `YYYY-MM-DD`, if a meeting is booked.
    pub meet_on: String,
}

/// A submission that passed every rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submission {
    pub category: Category,
    pub title: String,
    pub content: String,
    pub location: String,
    pub name: String,
    pub phone: String,
    pub deputy: Option<DeputyRef>,
    pub meeting: Option<NaiveDate>,
}

/// Why a submission is refused, worded for the citizen.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("{}", .0.message_en())]
    Field(ValidationError),
    #[error("no such category")]
    Category,
    #[error("the day is not one of the station's next reception days")]
    Day,
    #[error("a meeting needs a phone number to confirm it")]
    MeetingWithoutPhone,
    #[error("the text holds control characters")]
    Control,
}

impl Refused {
    pub fn message(&self, lang: Lang) -> String {
        match self {
            Refused::Field(e) => lang.pick(e.message_zh(), e.message_en()),
            Refused::Category => lang.pick("请选择类别", "Choose a category").into(),
            Refused::Day => lang
                .pick(
                    "请从列出的接待选民日中选择见面日期",
                    "Choose the meeting day from the reception days listed",
                )
                .into(),
            Refused::Control => lang
                .pick(
                    "填写的内容含有不可见的控制字符，请删除后再提交",
                    "What you typed holds invisible control characters; remove them and send again",
                )
                .into(),
            Refused::MeetingWithoutPhone => lang
                .pick(
                    "预约见面请留下电话，以便联络站确认",
                    "Leave a phone number so that the station can confirm the meeting",
                )
                .into(),
        }
    }
}

/// Checks a form against the field rules and the station's schedule on
/// the day `today`: the reception days a meeting may be booked on are
/// `bookable_days`.
pub fn check(
    form: &Form,
    station: &Station,
    deputies: &[Deputy],
    today: NaiveDate,
) -> Result<Submission, Refused> {
    let typed = [&form.content, &form.location, &form.name, &form.phone];
    if typed.iter().any(|t| {
        t.chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    }) {
        return Err(Refused::Control);
    }
    let category = Category::parse(&form.category).ok_or(Refused::Category)?;
    let content =
        text_field(Field::Content, &form.content, true, MAX_ONLINE_CONTENT, true).map_err(Refused::Field)?;
    let texts = validate::appeal_texts("", &content, &form.location).map_err(Refused::Field)?;
    let name = text_field(Field::VisitorName, &form.name, false, validate::MAX_NAME, false)
        .map_err(Refused::Field)?;
    let phone = if form.phone.trim().is_empty() {
        String::new()
    } else {
        validate::normalize_phone(&form.phone).map_err(Refused::Field)?
    };
    let deputy = form
        .deputy
        .as_deref()
        .and_then(|id| deputies.iter().find(|d| d.id == id))
        .map(|d| DeputyRef {
            id: d.id.clone(),
            name: d.name.clone(),
        });
    let meeting = match form.meet_on.trim() {
        "" => None,
        day => {
            let day = NaiveDate::parse_from_str(day, "%Y-%m-%d").map_err(|_| Refused::Day)?;
            if deputy.is_none() || !bookable_days(station, today).contains(&day) {
                return Err(Refused::Day);
            }
            if phone.is_empty() {
                return Err(Refused::MeetingWithoutPhone);
            }
            Some(day)
        }
    };
    Ok(Submission {
        category,
        title: texts.title,
        content: texts.content,
        location: texts.location,
        name,
        phone,
        deputy,
        meeting,
    })
}

/// The station's next reception days a meeting may be booked on: from
/// tomorrow, `BOOKABLE_DAYS` of them.
pub fn bookable_days(station: &Station, today: NaiveDate) -> Vec<NaiveDate> {
    today
        .succ_opt()
        .map(|tomorrow| station.next_reception_days(tomorrow, BOOKABLE_DAYS))
        .unwrap_or_default()
}

impl Submission {
    /// What makes two submissions the same (folded into one appeal): the
    /// same matter, place, phone, deputy and day, whitespace aside.
    pub fn digest(&self) -> String {
        let squeeze = |s: &str| s.split_whitespace().collect::<String>();
        let mut h = Sha256::new();
        for part in [
            self.category.code().to_string(),
            squeeze(&self.content),
            squeeze(&self.location),
            self.phone.clone(),
            self.deputy.as_ref().map(|d| d.id.clone()).unwrap_or_default(),
            self.meeting.map(|d| d.to_string()).unwrap_or_default(),
        ] {
            h.update(part.as_bytes());
            h.update([0]);
        }
        hex::encode(h.finalize())
    }

    /// The appeal it becomes, registered at `at` under `code` with `key`.
    pub fn appeal(&self, code: TrackingCode, at: DateTime<FixedOffset>, key: String) -> Appeal {
        Appeal {
            visitor: Visitor {
                name: self.name.clone(),
                phone: self.phone.clone(),
                ..Visitor::default()
            },
            deputies: self.deputy.iter().cloned().collect(),
            category: self.category,
            title: self.title.clone(),
            content: self.content.clone(),
            location: self.location.clone(),
            channel: Channel::Online,
            meeting: self.meeting,
            access_key: key,
            ..Appeal::registered(code, at)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::domain::testing::sample_station as station;

    fn deputies() -> Vec<Deputy> {
        vec![Deputy {
            id: "D001".into(),
            name: "张山".into(),
            level: super::super::deputy::Level::County,
            phone: String::new(),
            specialties: Vec::new(),
            duty_days: vec![10],
        }]
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 7).unwrap()
    }

    fn form() -> Form {
        Form {
            category: "traffic".into(),
            content: "柳岸路北段路灯不亮，夜里走路看不见".into(),
            location: "柳岸路北段".into(),
            ..Form::default()
        }
    }

    #[test]
    fn a_plain_submission_becomes_an_online_appeal() {
        let s = check(&form(), &station(), &deputies(), today()).unwrap();
        assert_eq!(s.category, Category::Traffic);
        assert_eq!(s.title, "柳岸路北段路灯不亮，夜里走路看不见");
        let code = TrackingCode::new(today(), "330999012", crate::domain::code::ONLINE_TERMINAL, 1).unwrap();
        assert_eq!(code.as_str().parse::<TrackingCode>().unwrap(), code);
        let at = DateTime::parse_from_rfc3339("2026-12-07T09:00:00+08:00").unwrap();
        let a = s.appeal(code, at, "KEY".into());
        assert_eq!((a.channel, a.meeting), (Channel::Online, None));
        assert!(a.deputies.is_empty());
    }

    #[test]
    fn bad_fields_are_refused_with_the_desks_words() {
        let cases = [
            (
                Form {
                    content: " ".into(),
                    ..form()
                },
                "诉求内容",
            ),
            (
                Form {
                    content: "x\u{7}y".into(),
                    ..form()
                },
                "控制字符",
            ),
            (
                Form {
                    name: "林\u{1b}[31m".into(),
                    ..form()
                },
                "控制字符",
            ),
            (
                Form {
                    content: "长".repeat(MAX_ONLINE_CONTENT + 1),
                    ..form()
                },
                "诉求内容",
            ),
            (
                Form {
                    phone: "12345".into(),
                    ..form()
                },
                "电话",
            ),
            (
                Form {
                    category: "nonsense".into(),
                    ..form()
                },
                "类别",
            ),
        ];
        for (f, word) in cases {
            let e = check(&f, &station(), &deputies(), today()).unwrap_err();
            assert!(
                e.message(Lang::Zh).contains(word),
                "{e:?}: {}",
                e.message(Lang::Zh)
            );
        }
    }

    #[test]
    fn a_meeting_is_booked_with_a_deputy_on_a_coming_reception_day_only() {
        let days = bookable_days(&station(), today());
        assert_eq!(days.len(), BOOKABLE_DAYS);
        assert!(
            days.iter()
                .all(|d| *d > today() && station().is_reception_day(*d))
        );
        let booking = Form {
            deputy: Some("D001".into()),
            meet_on: days[0].to_string(),
            phone: "13900002222".into(),
            ..form()
        };
        let s = check(&booking, &station(), &deputies(), today()).unwrap();
        assert_eq!(s.meeting, Some(days[0]));
        assert_eq!(s.deputy.as_ref().unwrap().name, "张山");
        // Another day, no deputy, no phone: refused.
        let not_a_day = Form {
            meet_on: "2026-12-08".into(),
            ..booking.clone()
        };
        assert_eq!(
            check(&not_a_day, &station(), &deputies(), today()),
            Err(Refused::Day)
        );
        let no_deputy = Form {
            deputy: None,
            ..booking.clone()
        };
        assert_eq!(
            check(&no_deputy, &station(), &deputies(), today()),
            Err(Refused::Day)
        );
        let no_phone = Form {
            phone: String::new(),
            ..booking.clone()
        };
        assert_eq!(
            check(&no_phone, &station(), &deputies(), today()),
            Err(Refused::MeetingWithoutPhone)
        );
    }

    #[test]
    fn the_same_matter_sent_twice_folds() {
        let a = check(&form(), &station(), &deputies(), today()).unwrap();
        let spaced = Form {
            content: "柳岸路北段路灯不亮， 夜里走路看不见 ".into(),
            ..form()
        };
        let b = check(&spaced, &station(), &deputies(), today()).unwrap();
        assert_eq!(a.digest(), b.digest());
        let other = Form {
            location: "桃源路".into(),
            ..form()
        };
        let c = check(&other, &station(), &deputies(), today()).unwrap();
        assert_ne!(a.digest(), c.digest());
    }
}
