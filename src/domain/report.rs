//! The station's figures for a period (报表): appeals by category, route,
//! status, deputy and reply class, the loop's rates, what is overdue now,
//! visits per reception day and deputies' participation. Worked out from
//! facts the events give (`Facts`), never stored.
//!
//! The rates, each kept as numerator and denominator:
//! - 办结率: appeals registered in the period that are closed, of all
//!   registered in it;
//! - 按期办结率: of those answered, those answered by the day they were due
//!   (their deadline, or their registration plus the station's reply days);
//! - 满意率: of those rated (the last rating), 满意 and 基本满意;
//! - reopen rate (重新办理率): of all, those handled again at least once.

use std::borrow::Borrow;
use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};

use super::appeal::{Appeal, Category, ReplyClass, Route, Satisfaction, Status};
use super::catalog::Brief;
use super::points::AppealFacts;
use super::station::ReplyDue;
use super::station::Station;

/// What an appeal counts for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facts {
    pub base: AppealFacts,
    pub category: Category,
    pub route: Route,
    pub status: Status,
    /// The last rating.
    pub satisfaction: Option<Satisfaction>,
    pub reopened: bool,
    pub reply_class: Option<ReplyClass>,
    /// The deadline, while a unit has it in hand.
    pub awaits_unit_until: Option<NaiveDate>,
}

impl Facts {
    pub fn of(a: &Appeal, due: &ReplyDue) -> Facts {
        Facts {
            base: AppealFacts::of(a, due),
            category: a.category,
            route: a.route,
            status: a.status,
            satisfaction: a.satisfaction,
            reopened: a.round > 0,
            reply_class: a.reply_class,
            awaits_unit_until: a.deadline.filter(|_| a.status.awaits_unit()),
        }
    }
}

impl Facts {
    /// The facts of a catalog row (`catalog::Handling` carries what the
    /// appeal's history would give).
    pub fn of_brief(r: &Brief, due: &ReplyDue) -> Facts {
        let h = r.handling;
        Facts {
            base: AppealFacts::of_brief(r, due),
            category: r.category,
            route: h.route,
            status: r.status,
            satisfaction: h.satisfaction,
            reopened: h.round > 0,
            reply_class: h.reply_class,
            awaits_unit_until: r.deadline.filter(|_| r.status.awaits_unit()),
        }
    }

    /// Whether `report` needs this row for the days `from` to `to`: it was
    /// registered then, or a unit has it with a deadline (it may be
    /// overdue now).
    pub fn wanted(r: &Brief, from: NaiveDate, to: NaiveDate) -> bool {
        (r.date >= from && r.date <= to) || (r.status.awaits_unit() && r.deadline.is_some())
    }
}

/// A rate as its two counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rate {
    pub of: u32,
    pub all: u32,
}

impl Rate {
    /// In per cent, one decimal; None when there is nothing to count.
    pub fn percent(self) -> Option<f64> {
        (self.all > 0).then(|| (f64::from(self.of) * 1000.0 / f64::from(self.all)).round() / 10.0)
    }
}

/// A deputy's reception days: on duty (checked in) against scheduled.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Participation {
    pub attended: u32,
    pub scheduled: u32,
}

/// The figures of a period.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub visits: u32,
    pub appeals: u32,
    pub by_category: BTreeMap<Category, u32>,
    pub by_route: BTreeMap<Route, u32>,
    pub by_status: BTreeMap<Status, u32>,
    /// By deputy id.
    pub by_deputy: BTreeMap<String, u32>,
    /// Replies by class; `None`: replies the county gave no class.
    pub by_reply_class: BTreeMap<Option<ReplyClass>, u32>,
    pub closed: Rate,
    pub on_time: Rate,
    pub satisfied: Rate,
    pub reopened: Rate,
    /// Appeals a unit has past their deadline on `today`, whenever
    /// registered.
    pub overdue_now: u32,
    /// Visits on each reception day of the period, in order.
    pub visits_per_reception_day: Vec<(NaiveDate, u32)>,
    /// By deputy id.
    pub participation: BTreeMap<String, Participation>,
    /// A year the holiday table does not cover, met while working out when
    /// appeals were due (calendar days stood in for its working days).
    pub uncovered_year: Option<i32>,
}

/// A deputy's schedule: id and the days of the month they are on duty.
pub type Schedule<'a> = (&'a str, &'a [u32]);

/// The report for the days `from` to `to` (both included) on `today`.
/// `facts` are read once, in any order (a caller may make each as it goes:
/// none is kept); `visits` are the days visits were registered; `attended`
/// the (deputy, day) check-ins.
pub fn report<F: Borrow<Facts>>(
    station: &Station,
    deputies: &[Schedule],
    facts: impl IntoIterator<Item = F>,
    visits: &[NaiveDate],
    attended: &[(String, NaiveDate)],
    (from, to): (NaiveDate, NaiveDate),
    today: NaiveDate,
) -> Report {
    let within = |d: NaiveDate| d >= from && d <= to;
    let mut r = Report {
        from,
        to,
        ..Report::default()
    };
    for f in facts {
        let f = f.borrow();
        if f.awaits_unit_until.is_some_and(|d| d < today) {
            r.overdue_now += 1;
        }
        if !within(f.base.registered_on) {
            continue;
        }
        r.appeals += 1;
        *r.by_category.entry(f.category).or_default() += 1;
        *r.by_route.entry(f.route).or_default() += 1;
        *r.by_status.entry(f.status).or_default() += 1;
        for d in &f.base.deputies {
            *r.by_deputy.entry(d.clone()).or_default() += 1;
        }
        r.closed.all += 1;
        r.reopened.all += 1;
        if f.status == Status::Closed {
            r.closed.of += 1;
        }
        if f.reopened {
            r.reopened.of += 1;
        }
        if let Some(on) = f.base.answered_on {
            r.on_time.all += 1;
            if on <= f.base.due_on {
                r.on_time.of += 1;
            }
            if f.route != Route::OnSpot {
                *r.by_reply_class.entry(f.reply_class).or_default() += 1;
            }
        }
        if let Some(s) = f.satisfaction {
            r.satisfied.all += 1;
            if s != Satisfaction::Unsatisfied {
                r.satisfied.of += 1;
            }
        }
    }
    r.visits = visits.iter().filter(|d| within(**d)).count() as u32;
    let mut day = from;
    let mut reception_days = Vec::new();
    while day <= to {
        if station.is_reception_day(day) {
            reception_days.push(day);
        }
        let Some(next) = day.succ_opt() else { break };
        day = next;
    }
    r.visits_per_reception_day = reception_days
        .iter()
        .map(|d| (*d, visits.iter().filter(|v| *v == d).count() as u32))
        .collect();
    for (id, duty_days) in deputies {
        let scheduled: Vec<NaiveDate> = reception_days
            .iter()
            .copied()
            .filter(|d| duty_days.contains(&d.day()))
            .collect();
        let mut came: Vec<NaiveDate> = attended
            .iter()
            .filter(|(who, d)| who == id && within(*d))
            .map(|(_, d)| *d)
            .collect();
        came.sort();
        came.dedup();
        r.participation.insert(
            (*id).to_string(),
            Participation {
                attended: came.len() as u32,
                scheduled: scheduled.len() as u32,
            },
        );
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::lifecycle::Step;
    use crate::domain::testing::{appeal_through, d, refer, reply, sample_station as station};

    fn appeal(
        n: u32,
        on: NaiveDate,
        category: Category,
        deputy: &str,
        steps: &[(Step, NaiveDate)],
    ) -> Appeal {
        appeal_through(n, on, category, &[deputy], steps)
    }

    /// Five appeals, the figures worked out by hand.
    ///
    /// In January (the period): #1 traffic, D001, referred due 01-31,
    /// replied 01-25 (class A), rated 满意: closed, on time. #2 traffic,
    /// D001, referred due 01-15, replied 01-20 (late, no class), rated 不满意
    /// (reopened: back in the unit's hands, 办理中, its deadline kept). #3 elderly, D002, answered on the spot
    /// 01-10, rated 基本满意: closed, on time (due 01-25 by 15 reply days).
    /// #4 elderly, D002, referred due 01-18, not replied: overdue on 02-05.
    /// In February, outside the period: #5, referred due 02-01, overdue too.
    ///
    /// January: 4 appeals; traffic 2, elderly 2; closed 2 of 4 (50%); on
    /// time 2 of 3 answered (66.7%); satisfied 2 of 3 rated (66.7%);
    /// reopened 1 of 4 (25%); reply classes A 1, none 1 (the on-the-spot
    /// answer is not the county's); overdue now (02-05): #2, #4 and #5 = 3;
    /// by status: 已办结 2, 办理中 1, 已交办 1.
    #[test]
    fn every_figure_on_a_fixed_set_of_appeals() {
        let appeals = [
            appeal(
                1,
                d(1, 10),
                Category::Traffic,
                "D001",
                &[
                    (Step::Accept, d(1, 10)),
                    (refer(d(1, 31)), d(1, 11)),
                    (reply(Some(ReplyClass::Solved)), d(1, 25)),
                    (
                        Step::Rate {
                            satisfaction: Satisfaction::Satisfied,
                        },
                        d(1, 26),
                    ),
                ],
            ),
            appeal(
                2,
                d(1, 10),
                Category::Traffic,
                "D001",
                &[
                    (Step::Accept, d(1, 10)),
                    (refer(d(1, 15)), d(1, 11)),
                    (reply(None), d(1, 20)),
                    (
                        Step::Rate {
                            satisfaction: Satisfaction::Unsatisfied,
                        },
                        d(1, 21),
                    ),
                ],
            ),
            appeal(
                3,
                d(1, 20),
                Category::Elderly,
                "D002",
                &[
                    (
                        Step::AnswerOnSpot {
                            reply: "当场解释".into(),
                        },
                        d(1, 20),
                    ),
                    (
                        Step::Rate {
                            satisfaction: Satisfaction::Basic,
                        },
                        d(1, 20),
                    ),
                ],
            ),
            appeal(
                4,
                d(1, 20),
                Category::Elderly,
                "D002",
                &[(Step::Accept, d(1, 20)), (refer(d(1, 18)), d(1, 20))],
            ),
            appeal(
                5,
                d(2, 1),
                Category::Urban,
                "D001",
                &[(Step::Accept, d(2, 1)), (refer(d(2, 1)), d(2, 1))],
            ),
        ];
        let station = station();
        let due = ReplyDue::new(&station);
        let facts: Vec<Facts> = appeals.iter().map(|a| Facts::of(a, &due)).collect();
        let visits = [d(1, 10), d(1, 10), d(1, 20), d(1, 21), d(2, 10)];
        let attended = vec![
            ("D001".to_string(), d(1, 10)),
            ("D001".to_string(), d(1, 20)),
            ("D002".to_string(), d(1, 20)),
        ];
        let schedule: [Schedule; 2] = [("D001", &[10, 20]), ("D002", &[10])];
        let r = report(
            &station,
            &schedule,
            &facts,
            &visits,
            &attended,
            (d(1, 1), d(1, 31)),
            d(2, 5),
        );
        assert_eq!((r.appeals, r.visits), (4, 4));
        assert_eq!(r.by_category[&Category::Traffic], 2);
        assert_eq!(r.by_category[&Category::Elderly], 2);
        assert_eq!(r.by_deputy["D001"], 2);
        assert_eq!(r.closed, Rate { of: 2, all: 4 });
        assert_eq!(r.closed.percent(), Some(50.0));
        assert_eq!(r.on_time, Rate { of: 2, all: 3 });
        assert_eq!(r.on_time.percent(), Some(66.7));
        assert_eq!(r.satisfied, Rate { of: 2, all: 3 });
        assert_eq!(r.reopened, Rate { of: 1, all: 4 });
        assert_eq!(r.by_reply_class[&Some(ReplyClass::Solved)], 1);
        assert_eq!(r.by_reply_class[&None], 1);
        assert_eq!(r.overdue_now, 3);
        assert_eq!(r.by_status[&Status::Closed], 2);
        assert_eq!(r.by_status[&Status::InProgress], 1);
        assert_eq!(r.by_status[&Status::Referred], 1);
        // January's reception days are the 10th and 20th.
        assert_eq!(r.visits_per_reception_day, [(d(1, 10), 2), (d(1, 20), 1)]);
        assert_eq!(
            r.participation["D001"],
            Participation {
                attended: 2,
                scheduled: 2
            }
        );
        assert_eq!(
            r.participation["D002"],
            Participation {
                attended: 1,
                scheduled: 1
            }
        );
        assert_eq!(Rate::default().percent(), None);

        // The catalog's rows give the same facts, through their packed
        // form, and so the same report.
        let mut catalog = crate::domain::catalog::Catalog::default();
        for a in &appeals {
            let packed =
                crate::domain::catalog::Catalog::pack(&crate::domain::catalog::CatalogRow::from_appeal(a))
                    .expect("packed");
            assert!(catalog.insert_packed(&packed));
        }
        let from_rows: Vec<Facts> = catalog
            .briefs()
            .filter(|r| Facts::wanted(r, d(1, 1), d(1, 31)))
            .map(|r| Facts::of_brief(&r, &due))
            .collect();
        assert_eq!(from_rows, facts);
        let again = report(
            &station,
            &schedule,
            &from_rows,
            &visits,
            &attended,
            (d(1, 1), d(1, 31)),
            d(2, 5),
        );
        assert_eq!(again, r);
    }
}
