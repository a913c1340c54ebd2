//! Duty points (履职积分): what a deputy did, as the station's events record
//! it, weighed by the rule table in the station file (`[points]`).
//!
//! Points are never stored: every total is worked out again from the
//! deeds, so a changed rule recomputes every quarter, year and term. The
//! deeds:
//!
//! - a reception day the deputy checked in at the station (代表进站);
//! - an appeal the deputy received (named among its deputies), on the day
//!   it was registered;
//! - an appeal the deputy received that was answered on time: its first
//!   reply (the county's, or an answer on the spot) on or before its
//!   deadline, or, without one, within the station's reply days of its
//!   registration; on the day of that reply;
//! - an appeal the deputy received that the citizen rated 满意 or 基本满意,
//!   on the day of the rating;
//! - items of the duty list (履职清单: study, meetings, activities) the
//!   staff enter by hand, each weighed by its item's points.

use std::borrow::Borrow;
use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::appeal::{Appeal, Satisfaction, Status};
use super::catalog::Brief;
use super::lifecycle::Step;
use super::station::ReplyDue;

/// The `[points]` table of the station file. Absent, the defaults below.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PointsRules {
    /// Per reception day attended.
    #[serde(default = "two")]
    pub reception_day: u32,
    /// Per appeal received.
    #[serde(default = "one")]
    pub appeal_received: u32,
    /// Per appeal received and answered on time.
    #[serde(default = "two")]
    pub answered_on_time: u32,
    /// Per appeal received and rated 满意 or 基本满意.
    #[serde(default = "one")]
    pub satisfied: u32,
    /// The first day of the deputies' term (届): the term's total counts
    /// from it. None: from the first deed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub term_start: Option<NaiveDate>,
    /// The duty list's items entered by hand, each with its points.
    #[serde(default = "default_items")]
    pub items: Vec<HandItem>,
}

fn one() -> u32 {
    1
}

fn two() -> u32 {
    2
}

/// An item of the duty list (履职清单) and its points a time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HandItem {
    /// What the kiosk and the files call it: `study`, `meeting`, …
    pub code: String,
    pub name: String,
    pub points: u32,
}

fn default_items() -> Vec<HandItem> {
    [
        ("study", "学习培训", 1),
        ("meeting", "参加会议", 1),
        ("activity", "调研视察等活动", 2),
    ]
    .into_iter()
    .map(|(code, name, points)| HandItem {
        code: code.into(),
        name: name.into(),
        points,
    })
    .collect()
}

impl Default for PointsRules {
    fn default() -> Self {
        PointsRules {
            reception_day: 2,
            appeal_received: 1,
            answered_on_time: 2,
            satisfied: 1,
            term_start: None,
            items: default_items(),
        }
    }
}

/// The most points a rule may give for one deed.
pub const MAX_POINTS: u32 = 100;

/// Why a rule table cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RulesProblem {
    #[error("{0} gives more than the most points a deed may ({MAX_POINTS})")]
    TooMany(String),
    #[error("the item {0} is listed twice")]
    Repeated(String),
    #[error("an item has no code or no name")]
    Unnamed,
}

impl PointsRules {
    /// Checks the table: points within `MAX_POINTS`, items named once.
    pub fn check(&self) -> Result<(), RulesProblem> {
        for (what, n) in [
            ("reception_day", self.reception_day),
            ("appeal_received", self.appeal_received),
            ("answered_on_time", self.answered_on_time),
            ("satisfied", self.satisfied),
        ] {
            if n > MAX_POINTS {
                return Err(RulesProblem::TooMany(what.into()));
            }
        }
        let mut seen = std::collections::BTreeSet::new();
        for item in &self.items {
            if item.code.trim().is_empty() || item.name.trim().is_empty() {
                return Err(RulesProblem::Unnamed);
            }
            if item.points > MAX_POINTS {
                return Err(RulesProblem::TooMany(item.code.clone()));
            }
            if !seen.insert(item.code.as_str()) {
                return Err(RulesProblem::Repeated(item.code.clone()));
            }
        }
        Ok(())
    }
}

/// What an appeal means for points, read from its history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppealFacts {
    pub code: String,
    /// Ids of the deputies who received it.
    pub deputies: Vec<String>,
    pub registered_on: NaiveDate,
    /// The day it was first answered (a reply that applied), if it was.
    pub answered_on: Option<NaiveDate>,
    /// The day it was due: its deadline, or its registration plus the
    /// station's reply days.
    pub due_on: NaiveDate,
    /// The day the citizen rated it 满意 or 基本满意 (the last rating).
    pub satisfied_on: Option<NaiveDate>,
}

impl AppealFacts {
    /// The facts of `a`, due by `due` when it has no deadline.
    pub fn of(a: &Appeal, due: &ReplyDue) -> AppealFacts {
        let registered_on = a.registered_at.date_naive();
        AppealFacts {
            code: a.code.to_string(),
            deputies: a.deputies.iter().map(|d| d.id.clone()).collect(),
            registered_on,
            answered_on: answered_on(a),
            due_on: due.on(registered_on, a.deadline),
            satisfied_on: satisfied_on(a),
        }
    }
}

impl AppealFacts {
    /// The facts of a catalog row.
    pub fn of_brief(r: &Brief, due: &ReplyDue) -> AppealFacts {
        AppealFacts {
            code: r.code.to_string(),
            deputies: r.deputies().map(str::to_string).collect(),
            registered_on: r.date,
            answered_on: r.handling.answered_on,
            due_on: due.on(r.date, r.deadline),
            satisfied_on: r.handling.satisfied_on,
        }
    }
}

/// The day `a` was first answered (a reply that applied), if it was.
pub fn answered_on(a: &Appeal) -> Option<NaiveDate> {
    a.history
        .iter()
        .find(|h| h.not_applied.is_none() && h.to == Status::Replied)
        .map(|h| h.at.date_naive())
}

/// The day the citizen rated `a` 满意 or 基本满意, when that is its last
/// rating.
pub fn satisfied_on(a: &Appeal) -> Option<NaiveDate> {
    a.history
        .iter()
        .rev()
        .find(|h| h.not_applied.is_none() && matches!(h.step, Step::Rate { .. }))
        .and_then(|h| match h.step {
            Step::Rate {
                satisfaction: Satisfaction::Satisfied | Satisfaction::Basic,
            } => Some(h.at.date_naive()),
            _ => None,
        })
}

/// The day `a` was last closed, while it is closed.
pub fn closed_on(a: &Appeal) -> Option<NaiveDate> {
    if a.status != Status::Closed {
        return None;
    }
    a.history
        .iter()
        .rev()
        .find(|h| h.not_applied.is_none() && h.to == Status::Closed)
        .map(|h| h.at.date_naive())
}

/// An item of the duty list a deputy did, as staff entered it (the event
/// `DutyItemRecorded`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandEntry {
    pub deputy: String,
    pub day: NaiveDate,
    /// The item's code (`HandItem::code`).
    pub item: String,
    pub times: u32,
    /// What it was (the meeting's name, the course…).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

/// The most times one entry may count.
pub const MAX_TIMES: u32 = 20;

/// One deed and the points it gives.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct PointLine {
    pub day: NaiveDate,
    pub deed: Deed,
    pub points: u32,
}

/// What was done.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Deed {
    ReceptionDay,
    Received {
        code: String,
    },
    AnsweredOnTime {
        code: String,
    },
    Satisfied {
        code: String,
    },
    /// An item of the duty list, `times` times, with what staff wrote of
    /// it; an item the rules no longer list gives nothing.
    Item {
        code: String,
        times: u32,
        note: String,
    },
}

/// Every deputy's deeds with their points, by deputy id, each list by day.
pub fn deeds(
    rules: &PointsRules,
    days: &[(String, NaiveDate)],
    appeals: &[AppealFacts],
    items: &[HandEntry],
) -> BTreeMap<String, Vec<PointLine>> {
    let mut out: BTreeMap<String, Vec<PointLine>> = BTreeMap::new();
    each_deed(rules, days, appeals, items, |deputy, line| {
        out.entry(deputy.to_string()).or_default().push(line);
    });
    for lines in out.values_mut() {
        lines.sort();
    }
    out
}

/// Each deputy's points for the days `from` to `to`, with the year's and
/// the term's up to `to` (as `standing` gives them), worked out as the
/// deeds go by, none of them kept: what a list of every deputy needs.
pub fn standings<A: Borrow<AppealFacts>>(
    rules: &PointsRules,
    days: &[(String, NaiveDate)],
    appeals: impl IntoIterator<Item = A>,
    items: &[HandEntry],
    (from, to): (NaiveDate, NaiveDate),
) -> BTreeMap<String, Totals> {
    let term_from = rules.term_start.unwrap_or(NaiveDate::MIN);
    let year_from = year_of(to).0;
    let mut out: BTreeMap<String, Totals> = BTreeMap::new();
    each_deed(rules, days, appeals, items, |deputy, line| {
        if line.day > to || line.day < term_from.min(year_from).min(from) {
            return;
        }
        let t = match out.get_mut(deputy) {
            Some(t) => t,
            None => out.entry(deputy.to_string()).or_default(),
        };
        if line.day >= from {
            t.quarter += line.points;
        }
        if line.day >= year_from {
            t.year += line.points;
        }
        if line.day >= term_from {
            t.term += line.points;
        }
    });
    out
}

/// Every deed of the rules, each given to `sink` with its deputy's id, in
/// no particular order; a reception day counts once however often it is
/// listed.
pub fn each_deed<A: Borrow<AppealFacts>>(
    rules: &PointsRules,
    days: &[(String, NaiveDate)],
    appeals: impl IntoIterator<Item = A>,
    items: &[HandEntry],
    mut sink: impl FnMut(&str, PointLine),
) {
    let mut add = |deputy: &str, day: NaiveDate, deed: Deed, points: u32| {
        sink(deputy, PointLine { day, deed, points });
    };
    let mut attended: Vec<&(String, NaiveDate)> = days.iter().collect();
    attended.sort();
    attended.dedup();
    for (deputy, day) in attended {
        add(deputy, *day, Deed::ReceptionDay, rules.reception_day);
    }
    for a in appeals {
        let a = a.borrow();
        for deputy in &a.deputies {
            let code = a.code.clone();
            add(
                deputy,
                a.registered_on,
                Deed::Received { code: code.clone() },
                rules.appeal_received,
            );
            if let Some(on) = a.answered_on.filter(|on| *on <= a.due_on) {
                add(
                    deputy,
                    on,
                    Deed::AnsweredOnTime { code: code.clone() },
                    rules.answered_on_time,
                );
            }
            if let Some(on) = a.satisfied_on {
                add(deputy, on, Deed::Satisfied { code }, rules.satisfied);
            }
        }
    }
    for e in items {
        let each = rules
            .items
            .iter()
            .find(|i| i.code == e.item)
            .map_or(0, |i| i.points);
        add(
            &e.deputy,
            e.day,
            Deed::Item {
                code: e.item.clone(),
                times: e.times,
                note: e.note.clone(),
            },
            each * e.times,
        );
    }
}

/// The points of `lines` on the days from `from` to `to`, both included.
pub fn total(lines: &[PointLine], from: NaiveDate, to: NaiveDate) -> u32 {
    lines
        .iter()
        .filter(|l| l.day >= from && l.day <= to)
        .map(|l| l.points)
        .sum()
}

/// The first and last day of the quarter holding `day`.
pub fn quarter_of(day: NaiveDate) -> (NaiveDate, NaiveDate) {
    let q = (day.month0() / 3) as i32;
    let from = NaiveDate::from_ymd_opt(day.year(), (q * 3 + 1) as u32, 1).unwrap_or(day);
    let next = if q == 3 {
        NaiveDate::from_ymd_opt(day.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(day.year(), (q * 3 + 4) as u32, 1)
    };
    (from, next.and_then(|n| n.pred_opt()).unwrap_or(day))
}

/// The first and last day of the year holding `day`.
pub fn year_of(day: NaiveDate) -> (NaiveDate, NaiveDate) {
    (
        NaiveDate::from_ymd_opt(day.year(), 1, 1).unwrap_or(day),
        NaiveDate::from_ymd_opt(day.year(), 12, 31).unwrap_or(day),
    )
}

/// A deputy's points for the days `from` to `to`, with the year's and the
/// term's up to `to` (a list for a period past, as it stood at its end).
pub fn standing(rules: &PointsRules, lines: &[PointLine], from: NaiveDate, to: NaiveDate) -> Totals {
    let term_from = rules.term_start.unwrap_or(NaiveDate::MIN);
    Totals {
        quarter: total(lines, from, to),
        year: total(lines, year_of(to).0, to),
        term: total(lines, term_from, to),
    }
}

/// A deputy's points of a period (a quarter on the kiosk and the notice
/// board), of the year and of the term up to its end (年度积分制 +
/// 任期累计积分制): `standing` and `standings`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub quarter: u32,
    pub year: u32,
    pub term: u32,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testing::{appeal_through, d, refer};

    /// An appeal received by `deputies` on `on`, taken through `steps`.
    fn appeal(n: u32, on: NaiveDate, deputies: &[&str], steps: &[(Step, NaiveDate)]) -> Appeal {
        appeal_through(n, on, crate::domain::Category::Other, deputies, steps)
    }

    fn reply() -> Step {
        crate::domain::testing::reply(None)
    }

    fn rate(s: Satisfaction) -> Step {
        Step::Rate { satisfaction: s }
    }

    /// A fixed set of deeds, the points worked out by hand.
    ///
    /// D001: reception days 01-10, 01-20 and 04-10 (and 01-10 checked in
    /// twice, counted once): 3 × 2 = 6. Appeals:
    /// - #1 (01-10, D001 and D002), referred due 01-31, replied 01-25 (on
    ///   time), rated 满意 01-28: received 1 + on time 2 + satisfied 1 = 4
    ///   each;
    /// - #2 (01-20, D001), referred due 02-10, replied 02-15 (late), rated
    ///   不满意 02-16: received 1 = 1;
    /// - #3 (04-10, D001), answered on the spot 04-10 (no deadline; 15
    ///   reply days), rated 基本满意 04-11: 1 + 2 + 1 = 4.
    ///
    /// Items: D001 study twice on 02-03 (2 × 1 = 2), an item no longer
    /// listed on 02-04 (0); D002 an activity on 05-06 (2).
    ///
    /// D001: Q1 = days 4 + #1 4 + #2 1 + study 2 = 11; Q2 = day 2 + #3 4 =
    /// 6; year = 17. D002: Q1 = #1 4; Q2 = activity 2; year = 6.
    #[test]
    fn every_rule_on_a_fixed_set_of_deeds() {
        let rules = PointsRules::default();
        let days = vec![
            ("D001".to_string(), d(1, 10)),
            ("D001".to_string(), d(1, 10)),
            ("D001".to_string(), d(1, 20)),
            ("D001".to_string(), d(4, 10)),
        ];
        let appeals = [
            appeal(
                1,
                d(1, 10),
                &["D001", "D002"],
                &[
                    (Step::Accept, d(1, 11)),
                    (refer(d(1, 31)), d(1, 12)),
                    (reply(), d(1, 25)),
                    (rate(Satisfaction::Satisfied), d(1, 28)),
                ],
            ),
            appeal(
                2,
                d(1, 20),
                &["D001"],
                &[
                    (Step::Accept, d(1, 21)),
                    (refer(d(2, 10)), d(1, 22)),
                    (reply(), d(2, 15)),
                    (rate(Satisfaction::Unsatisfied), d(2, 16)),
                ],
            ),
            appeal(
                3,
                d(4, 10),
                &["D001"],
                &[
                    (
                        Step::AnswerOnSpot {
                            reply: "当场解释".into(),
                        },
                        d(4, 10),
                    ),
                    (rate(Satisfaction::Basic), d(4, 11)),
                ],
            ),
        ];
        let facts: Vec<AppealFacts> = appeals
            .iter()
            .map(|a| AppealFacts::of(a, &ReplyDue::new(&crate::domain::testing::sample_station())))
            .collect();
        assert_eq!(facts[0].answered_on, Some(d(1, 25)));
        assert_eq!(facts[1].satisfied_on, None);
        assert_eq!(facts[2].due_on, d(4, 25));
        let items = vec![
            HandEntry {
                deputy: "D001".into(),
                day: d(2, 3),
                item: "study".into(),
                note: String::new(),
                times: 2,
            },
            HandEntry {
                deputy: "D001".into(),
                day: d(2, 4),
                item: "retired".into(),
                note: String::new(),
                times: 1,
            },
            HandEntry {
                deputy: "D002".into(),
                day: d(5, 6),
                item: "activity".into(),
                note: String::new(),
                times: 1,
            },
        ];
        let all = deeds(&rules, &days, &facts, &items);
        // The same points worked out as the deeds go by, for a quarter and
        // as it stood on a day in it, agree with the kept deeds.
        for (from, to) in [(d(1, 1), d(3, 31)), (d(4, 1), d(5, 20))] {
            let streamed = standings(&rules, &days, &facts, &items, (from, to));
            for (id, lines) in &all {
                assert_eq!(
                    streamed.get(id).copied().unwrap_or_default(),
                    standing(&rules, lines, from, to),
                    "{id}"
                );
            }
        }
        let one = &all["D001"];
        let two = &all["D002"];
        assert_eq!(total(one, d(1, 1), d(3, 31)), 11);
        assert_eq!(total(one, d(4, 1), d(6, 30)), 6);
        assert_eq!(total(two, d(1, 1), d(3, 31)), 4);
        assert_eq!(total(two, d(4, 1), d(6, 30)), 2);
        assert_eq!(
            standing(&rules, one, quarter_of(d(5, 20)).0, d(5, 20)),
            Totals {
                quarter: 6,
                year: 17,
                term: 17
            }
        );
        // The record behind every point: D001's reception days, once each.
        let reception: Vec<NaiveDate> = one
            .iter()
            .filter(|l| l.deed == Deed::ReceptionDay)
            .map(|l| l.day)
            .collect();
        assert_eq!(reception, [d(1, 10), d(1, 20), d(4, 10)]);

        // A changed rule recomputes: 5 a reception day, a term from 04-01.
        let changed = PointsRules {
            reception_day: 5,
            term_start: Some(d(4, 1)),
            ..rules.clone()
        };
        let again = deeds(&changed, &days, &facts, &items);
        assert_eq!(total(&again["D001"], d(1, 1), d(3, 31)), 11 + 2 * 3);
        assert_eq!(
            standing(&changed, &again["D001"], quarter_of(d(5, 20)).0, d(5, 20)).term,
            6 + 3
        );
    }

    #[test]
    fn quarters_and_years_have_their_calendar_edges() {
        assert_eq!(quarter_of(d(2, 14)), (d(1, 1), d(3, 31)));
        assert_eq!(quarter_of(d(12, 31)), (d(10, 1), d(12, 31)));
        assert_eq!(quarter_of(d(7, 1)), (d(7, 1), d(9, 30)));
        assert_eq!(year_of(d(6, 6)), (d(1, 1), d(12, 31)));
    }

    #[test]
    fn a_rule_table_is_checked() {
        assert_eq!(PointsRules::default().check(), Ok(()));
        let too_many = PointsRules {
            satisfied: MAX_POINTS + 1,
            ..PointsRules::default()
        };
        assert_eq!(too_many.check(), Err(RulesProblem::TooMany("satisfied".into())));
        let mut twice = PointsRules::default();
        twice.items.push(twice.items[0].clone());
        assert_eq!(twice.check(), Err(RulesProblem::Repeated("study".into())));
        let parsed: PointsRules =
            toml::from_str("reception_day = 3\n[[items]]\ncode = \"study\"\nname = \"学习\"\npoints = 2\n")
                .unwrap();
        assert_eq!(
            (parsed.reception_day, parsed.appeal_received, parsed.items.len()),
            (3, 1, 1)
        );
        assert!(toml::from_str::<PointsRules>("reception_days = 3").is_err());
    }

    /// A station counting 15 working days: 2026-11-02 (a Monday) is due
    /// 2026-11-23 (three weeks of five working days, no holiday between);
    /// 2026-12-20 runs into 2027, which the shipped table lacks: 15
    /// calendar days stand in (2027-01-04) and the year is named.
    #[test]
    fn an_appeal_is_due_by_the_stations_working_days() {
        let mut station = crate::domain::testing::sample_station();
        station.reply_working_days = Some(15);
        let due = ReplyDue::new(&station);
        assert_eq!(due.on(d(11, 2), None), d(11, 23));
        assert_eq!(due.uncovered(), None);
        assert_eq!(due.on(d(11, 2), Some(d(11, 5))), d(11, 5), "a deadline stands");
        assert_eq!(
            due.on(d(12, 20), None),
            NaiveDate::from_ymd_opt(2027, 1, 4).unwrap()
        );
        assert_eq!(due.uncovered(), Some(2027));
    }
}
