//! Working days (工作日): a deadline set as N working days skips weekends
//! and public holidays and counts the make-up working days (调休) the
//! State Council's yearly notice names; overdue counts follow the same
//! calendar.
//!
//! The holidays come from a table the station or the county keeps up to
//! date each year (`Holidays::parse`):
//!
//! ```toml
//! [[year]]
//! year = 2030
//! off = ["2030-01-01", "2030-02-02..2030-02-08"]   # days off, or ranges
//! work = ["2030-01-26"]                            # weekend days worked
//! ```
//!
//! A day in a year the table does not cover is never guessed: the
//! arithmetic says which year is missing (`NotCovered`).

use std::collections::BTreeSet;

use chrono::{Datelike, NaiveDate, Weekday};
use serde::Deserialize;

/// The holiday table: which years it covers, their days off and their
/// make-up working days.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Holidays {
    years: BTreeSet<i32>,
    off: BTreeSet<NaiveDate>,
    work: BTreeSet<NaiveDate>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    year: Vec<Year>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Year {
    year: i32,
    #[serde(default)]
    off: Vec<String>,
    #[serde(default)]
    work: Vec<String>,
}

/// Why a holiday table cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TableProblem {
    #[error("the table does not read: {0}")]
    Toml(String),
    #[error("\"{0}\" is not a day (YYYY-MM-DD) or a range of days (YYYY-MM-DD..YYYY-MM-DD)")]
    Day(String),
    #[error("{day} is listed under the year {year}")]
    OtherYear { day: NaiveDate, year: i32 },
    #[error("{0} is both a day off and a working day")]
    Both(NaiveDate),
    #[error("the year {0} is listed twice")]
    Twice(i32),
}

/// A day of a year the table does not cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the holiday table does not cover {0}")]
pub struct NotCovered(pub i32);

fn days(text: &str) -> Result<Vec<NaiveDate>, TableProblem> {
    let bad = || TableProblem::Day(text.to_string());
    let parse = |s: &str| NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| bad());
    match text.split_once("..") {
        None => Ok(vec![parse(text)?]),
        Some((a, b)) => {
            let (from, to) = (parse(a)?, parse(b)?);
            if to < from || (to - from).num_days() > 31 {
                return Err(bad());
            }
            Ok(from.iter_days().take_while(|d| *d <= to).collect())
        }
    }
}

impl Holidays {
    /// Reads a table (see the module's text).
    pub fn parse(text: &str) -> Result<Holidays, TableProblem> {
        let file: File = toml::from_str(text).map_err(|e| TableProblem::Toml(e.message().to_string()))?;
        let mut table = Holidays::default();
        for y in file.year {
            if !table.years.insert(y.year) {
                return Err(TableProblem::Twice(y.year));
            }
            for (list, into_off) in [(&y.off, true), (&y.work, false)] {
                for text in list {
                    for day in days(text)? {
                        if day.year() != y.year {
                            return Err(TableProblem::OtherYear { day, year: y.year });
                        }
                        let (this, other) = if into_off {
                            (&mut table.off, &table.work)
                        } else {
                            (&mut table.work, &table.off)
                        };
                        if other.contains(&day) {
                            return Err(TableProblem::Both(day));
                        }
                        this.insert(day);
                    }
                }
            }
        }
        Ok(table)
    }

    /// The years the table covers.
    pub fn years(&self) -> impl Iterator<Item = i32> + '_ {
        self.years.iter().copied()
    }

    /// Whether `day` is a working day.
    pub fn is_working(&self, day: NaiveDate) -> Result<bool, NotCovered> {
        if !self.years.contains(&day.year()) {
            return Err(NotCovered(day.year()));
        }
        if self.work.contains(&day) {
            return Ok(true);
        }
        if self.off.contains(&day) {
            return Ok(false);
        }
        Ok(!matches!(day.weekday(), Weekday::Sat | Weekday::Sun))
    }

    /// The `n`th working day after `start` (the deadline of "N working
    /// days" set on `start`); `start` itself when `n` is 0.
    pub fn add_working_days(&self, start: NaiveDate, n: u32) -> Result<NaiveDate, NotCovered> {
        let mut day = start;
        let mut left = n;
        while left > 0 {
            day = day.succ_opt().ok_or(NotCovered(day.year() + 1))?;
            if self.is_working(day)? {
                left -= 1;
            }
        }
        Ok(day)
    }

    /// The working days past `deadline` on `today` (0 when not past).
    pub fn working_days_late(&self, deadline: NaiveDate, today: NaiveDate) -> Result<u32, NotCovered> {
        let mut late = 0;
        let mut day = deadline;
        while day < today {
            day = day.succ_opt().ok_or(NotCovered(day.year() + 1))?;
            if self.is_working(day)? {
                late += 1;
            }
        }
        Ok(late)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A made-up year (2030), not an official arrangement: a three-day
    /// New Year from Tue 01-01, a week off from Sat 02-02 to Fri 02-08
    /// with Sat 01-26 and Sat 02-09 worked instead.
    const TABLE: &str = r#"
        [[year]]
        year = 2030
        off = ["2030-01-01..2030-01-03", "2030-02-02..2030-02-08"]
        work = ["2030-01-26", "2030-02-09"]
    "#;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2030, m, day).unwrap()
    }

    #[test]
    fn weekends_and_holidays_are_skipped_and_make_up_days_counted() {
        let t = Holidays::parse(TABLE).unwrap();
        // Mon 2029-12-31 is outside the table.
        assert_eq!(
            t.is_working(NaiveDate::from_ymd_opt(2029, 12, 31).unwrap()),
            Err(NotCovered(2029))
        );
        assert_eq!(t.is_working(d(1, 2)), Ok(false)); // a holiday, a Wednesday
        assert_eq!(t.is_working(d(1, 5)), Ok(false)); // a Saturday
        assert_eq!(t.is_working(d(1, 26)), Ok(true)); // a Saturday worked
        // Set on 2030-01-01 (a holiday), 3 working days are Fri 01-04,
        // Mon 01-07 and Tue 01-08.
        assert_eq!(t.add_working_days(d(1, 1), 3), Ok(d(1, 8)));
        // Set on Thu 01-24, 3 working days: Fri 01-25, Sat 01-26 (worked),
        // Mon 01-28.
        assert_eq!(t.add_working_days(d(1, 24), 3), Ok(d(1, 28)));
        // Set on Fri 02-01, 2 working days: the week off, then Sat 02-09
        // (worked) and Mon 02-11.
        assert_eq!(t.add_working_days(d(2, 1), 2), Ok(d(2, 11)));
        assert_eq!(t.add_working_days(d(2, 1), 0), Ok(d(2, 1)));
        // Past the table's end: which year is missing.
        assert_eq!(t.add_working_days(d(12, 30), 5), Err(NotCovered(2031)));
        // Late: due Fri 02-01, on Tue 02-12 the working days past it are
        // Sat 02-09, Mon 02-11 and Tue 02-12.
        assert_eq!(t.working_days_late(d(2, 1), d(2, 12)), Ok(3));
        assert_eq!(t.working_days_late(d(2, 12), d(2, 1)), Ok(0));
    }

    #[test]
    fn a_table_that_does_not_hold_together_is_refused() {
        let cases = [
            (
                "[[year]]\nyear = 2030\noff = [\"2030-13-01\"]",
                TableProblem::Day("2030-13-01".into()),
            ),
            (
                "[[year]]\nyear = 2030\noff = [\"2031-01-01\"]",
                TableProblem::OtherYear {
                    day: NaiveDate::from_ymd_opt(2031, 1, 1).unwrap(),
                    year: 2030,
                },
            ),
            (
                "[[year]]\nyear = 2030\noff = [\"2030-01-05\"]\nwork = [\"2030-01-05\"]",
                TableProblem::Both(d(1, 5)),
            ),
            (
                "[[year]]\nyear = 2030\n[[year]]\nyear = 2030",
                TableProblem::Twice(2030),
            ),
            (
                "[[year]]\nyear = 2030\noff = [\"2030-03-01..2030-01-01\"]",
                TableProblem::Day("2030-03-01..2030-01-01".into()),
            ),
        ];
        for (text, problem) in cases {
            assert_eq!(Holidays::parse(text), Err(problem), "{text}");
        }
        assert!(matches!(
            Holidays::parse("[[years]]\nyear = 2030"),
            Err(TableProblem::Toml(_))
        ));
    }
}
