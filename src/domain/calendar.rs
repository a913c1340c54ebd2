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
//!
//! The program ships a table (`SHIPPED`, `src/domain/holidays.toml`) of
//! the years whose notice it was built with; a station's or the county's
//! own table replaces the years it lists (`Holidays::shipped_with`).

use std::collections::BTreeSet;

use chrono::{Datelike, NaiveDate, Weekday};
use serde::Deserialize;

use crate::i18n::Lang;

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
    year: toml::Spanned<i32>,
    #[serde(default)]
    off: Vec<toml::Spanned<String>>,
    #[serde(default)]
    work: Vec<toml::Spanned<String>>,
}

/// The table shipped with the program (`src/domain/holidays.toml`): the
/// years whose State Council notice was read in full, each with the
/// notice's title and date.
pub const SHIPPED: &str = include_str!("holidays.toml");

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

impl TableProblem {
    pub fn message(&self, lang: Lang) -> String {
        match self {
            TableProblem::Toml(words) => lang.pick(
                format!("节假日表读不通：{words}"),
                format!("the holiday table does not read: {words}"),
            ),
            TableProblem::Day(text) => lang.pick(
                format!("“{text}”不是日期（YYYY-MM-DD）或日期范围（YYYY-MM-DD..YYYY-MM-DD，不超过 32 天）"),
                format!(
                    "\"{text}\" is not a day (YYYY-MM-DD) or a range of days (YYYY-MM-DD..YYYY-MM-DD, at most 32 days)"
                ),
            ),
            TableProblem::OtherYear { day, year } => lang.pick(
                format!("{day} 写在了 {year} 年之下"),
                format!("{day} is listed under the year {year}"),
            ),
            TableProblem::Both(day) => lang.pick(
                format!("{day} 既写作放假又写作上班"),
                format!("{day} is both a day off and a working day"),
            ),
            TableProblem::Twice(year) => lang.pick(
                format!("{year} 年写了两次"),
                format!("the year {year} is listed twice"),
            ),
        }
    }
}

/// A table that cannot be used: what is wrong, and on which line of its
/// text (1-based) when that is known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.message(Lang::En))]
pub struct TableError {
    pub line: Option<usize>,
    pub problem: TableProblem,
}

impl TableError {
    /// "第 N 行：…" / "line N: …", or the problem alone.
    pub fn message(&self, lang: Lang) -> String {
        match self.line {
            Some(l) => lang.pick(
                format!("第 {l} 行：{}", self.problem.message(lang)),
                format!("line {l}: {}", self.problem.message(lang)),
            ),
            None => self.problem.message(lang),
        }
    }
}

/// A day of a year the table does not cover.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the holiday table does not cover {0}")]
pub struct NotCovered(pub i32);

impl NotCovered {
    pub fn message(&self, lang: Lang) -> String {
        let year = self.0;
        lang.pick(
            format!(
                "节假日表没有 {year} 年的放假安排，无法按工作日计算。请在站点文件（holidays = \"文件\"）或县里（county serve --holidays 文件）补上 {year} 年的节假日表。"
            ),
            format!(
                "the holiday table does not cover {year}, so working days cannot be counted. Add {year}'s arrangement with a holiday table of your own (holidays = \"FILE\" in the station file, or county serve --holidays FILE)."
            ),
        )
    }
}

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

/// The 1-based line of byte `at` in `text`.
fn line_of(text: &str, at: usize) -> usize {
    text[..at.min(text.len())].matches('\n').count() + 1
}

impl Holidays {
    /// Reads a table (see the module's text).
    pub fn parse(text: &str) -> Result<Holidays, TableError> {
        let file: File = toml::from_str(text).map_err(|e| TableError {
            line: e.span().map(|s| line_of(text, s.start)),
            problem: TableProblem::Toml(e.message().to_string()),
        })?;
        let mut table = Holidays::default();
        for y in file.year {
            let year = *y.year.get_ref();
            if !table.years.insert(year) {
                return Err(TableError {
                    line: Some(line_of(text, y.year.span().start)),
                    problem: TableProblem::Twice(year),
                });
            }
            for (list, into_off) in [(&y.off, true), (&y.work, false)] {
                for entry in list {
                    let at = |problem| TableError {
                        line: Some(line_of(text, entry.span().start)),
                        problem,
                    };
                    for day in days(entry.get_ref()).map_err(at)? {
                        if day.year() != year {
                            return Err(at(TableProblem::OtherYear { day, year }));
                        }
                        let (this, other) = if into_off {
                            (&mut table.off, &table.work)
                        } else {
                            (&mut table.work, &table.off)
                        };
                        if other.contains(&day) {
                            return Err(at(TableProblem::Both(day)));
                        }
                        this.insert(day);
                    }
                }
            }
        }
        Ok(table)
    }

    /// The table shipped with the program (`SHIPPED`).
    pub fn shipped() -> Holidays {
        static TABLE: std::sync::OnceLock<Holidays> = std::sync::OnceLock::new();
        TABLE
            .get_or_init(|| Holidays::parse(SHIPPED).expect("the shipped holiday table reads (tested)"))
            .clone()
    }

    /// The shipped table with a station's or the county's own table over
    /// it: each year `own` covers replaces that year; the others stay.
    pub fn shipped_with(own: Option<&str>) -> Result<Holidays, TableError> {
        let shipped = Holidays::shipped();
        match own {
            None => Ok(shipped),
            Some(text) => Ok(shipped.overlaid(&Holidays::parse(text)?)),
        }
    }

    /// This table with `own`'s years in place of its own.
    pub fn overlaid(&self, own: &Holidays) -> Holidays {
        let keep = |d: &NaiveDate| !own.years.contains(&d.year());
        Holidays {
            years: self.years.union(&own.years).copied().collect(),
            off: self
                .off
                .iter()
                .copied()
                .filter(keep)
                .chain(own.off.iter().copied())
                .collect(),
            work: self
                .work
                .iter()
                .copied()
                .filter(keep)
                .chain(own.work.iter().copied())
                .collect(),
        }
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

/// How late an appeal is, as the county and the kiosk show it: in
/// working days by the table, or in calendar days, and said to be so,
/// when the table does not reach the days between (never a guess passed
/// off as working days). Whether an appeal is overdue at all stays
/// `deadline < today`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lateness {
    WorkingDays(u32),
    CalendarDays(i64),
}

impl Lateness {
    /// The number shown (working or calendar days, as `self` says).
    pub fn days(self) -> i64 {
        match self {
            Lateness::WorkingDays(n) => i64::from(n),
            Lateness::CalendarDays(n) => n,
        }
    }

    /// "逾期 N 个工作日" / "N working days overdue" ("逾期 N 天" / "N
    /// days overdue" in calendar days).
    pub fn text(self, lang: Lang) -> String {
        match self {
            Lateness::WorkingDays(n) => {
                lang.pick(format!("逾期 {n} 个工作日"), format!("{n} working days overdue"))
            }
            Lateness::CalendarDays(n) => lang.pick(format!("逾期 {n} 天"), format!("{n} days overdue")),
        }
    }

    /// "N 个工作日" / "N working days" ("N 天" / "N days").
    pub fn count(self, lang: Lang) -> String {
        match self {
            Lateness::WorkingDays(n) => lang.pick(format!("{n} 个工作日"), format!("{n} working days")),
            Lateness::CalendarDays(n) => lang.pick(format!("{n} 天"), format!("{n} days")),
        }
    }
}

impl Holidays {
    /// How late an appeal due on `deadline` is on `today`
    /// (`working_days_late`, or calendar days when the table does not
    /// cover a day between).
    pub fn lateness(&self, deadline: NaiveDate, today: NaiveDate) -> Lateness {
        match self.working_days_late(deadline, today) {
            Ok(n) => Lateness::WorkingDays(n),
            Err(NotCovered(_)) => Lateness::CalendarDays((today - deadline).num_days().max(0)),
        }
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
            assert_eq!(
                Holidays::parse(text).map_err(|e| e.problem),
                Err(problem),
                "{text}"
            );
        }
        assert!(matches!(
            Holidays::parse("[[years]]\nyear = 2030"),
            Err(TableError {
                problem: TableProblem::Toml(_),
                ..
            })
        ));
    }

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    /// The shipped table says what the State Council's notice for 2026
    /// (2025-11-04) says.
    #[test]
    fn the_shipped_table_holds_the_2026_notice() {
        let t = Holidays::shipped();
        assert_eq!(t.years().collect::<Vec<_>>(), [2025, 2026]);
        // 春节: 2月15日（周日）至23日（周一）放假，共9天; 2月14日（周六）、2月28日（周六）上班.
        let spring: Vec<_> = day(2026, 2, 15).iter_days().take(9).collect();
        for d in &spring {
            assert_eq!(t.is_working(*d), Ok(false), "{d}");
        }
        assert_eq!(spring.last(), Some(&day(2026, 2, 23)));
        assert_eq!(day(2026, 2, 23).weekday(), Weekday::Mon);
        for worked in [day(2026, 2, 14), day(2026, 2, 28)] {
            assert_eq!(worked.weekday(), Weekday::Sat);
            assert_eq!(t.is_working(worked), Ok(true), "{worked}");
        }
        assert_eq!(t.is_working(day(2026, 2, 24)), Ok(true));
        // 元旦 1月1日至3日, 1月4日（周日）上班; 劳动节 5月9日（周六）上班;
        // 国庆节 9月20日（周日）、10月10日（周六）上班.
        assert_eq!(t.is_working(day(2026, 1, 2)), Ok(false));
        for worked in [
            day(2026, 1, 4),
            day(2026, 5, 9),
            day(2026, 9, 20),
            day(2026, 10, 10),
        ] {
            assert!(matches!(worked.weekday(), Weekday::Sat | Weekday::Sun));
            assert_eq!(t.is_working(worked), Ok(true), "{worked}");
        }
        for off in [
            day(2026, 4, 6),
            day(2026, 5, 5),
            day(2026, 6, 19),
            day(2026, 9, 25),
            day(2026, 10, 7),
        ] {
            assert_eq!(t.is_working(off), Ok(false), "{off}");
        }
        // An ordinary Saturday is still a day off.
        assert_eq!(t.is_working(day(2026, 3, 7)), Ok(false));
        // 2025's notice (2024-11-12): 春节 1月28日至2月4日, 1月26日（周日）、
        // 2月8日（周六）上班.
        assert_eq!(t.is_working(day(2025, 2, 4)), Ok(false));
        assert_eq!(t.is_working(day(2025, 1, 26)), Ok(true));
        assert_eq!(t.is_working(day(2025, 2, 8)), Ok(true));
        assert_eq!(t.is_working(day(2025, 10, 8)), Ok(false));
    }

    #[test]
    fn working_days_across_the_2026_holidays() {
        let t = Holidays::shipped();
        // Set on Thu 02-12, 3 working days: Fri 02-13, Sat 02-14 (worked),
        // then nine days off, Tue 02-24.
        assert_eq!(t.add_working_days(day(2026, 2, 12), 3), Ok(day(2026, 2, 24)));
        // Set on Fri 02-13, 6 working days: 02-14, 02-24, 25, 26, 27 and
        // Sat 02-28 (worked).
        assert_eq!(t.add_working_days(day(2026, 2, 13), 6), Ok(day(2026, 2, 28)));
        // Set on Wed 09-30, 3 working days: Thu 10-08, Fri 10-09, Sat 10-10.
        assert_eq!(t.add_working_days(day(2026, 9, 30), 3), Ok(day(2026, 10, 10)));
        // From 2025 into 2026: the first working day after Wed 2025-12-31
        // is Sun 2026-01-04 (worked).
        assert_eq!(t.add_working_days(day(2025, 12, 31), 1), Ok(day(2026, 1, 4)));
        // Due Fri 02-13, on Tue 02-24 two working days are past it (Sat
        // 02-14 and Tue 02-24), though eleven calendar days are.
        assert_eq!(t.working_days_late(day(2026, 2, 13), day(2026, 2, 24)), Ok(2));
        // 2027 is not shipped (its notice was not published when this was
        // written): named, never guessed.
        assert_eq!(t.add_working_days(day(2026, 12, 30), 5), Err(NotCovered(2027)));
        assert_eq!(t.is_working(day(2027, 1, 4)), Err(NotCovered(2027)));
        assert_eq!(t.is_working(day(2024, 12, 31)), Err(NotCovered(2024)));
        assert!(NotCovered(2027).message(Lang::Zh).contains("2027 年"));
        // Shown late: in working days, or in calendar days said as such
        // when the table does not reach.
        let late = t.lateness(day(2026, 2, 13), day(2026, 2, 24));
        assert_eq!(late, Lateness::WorkingDays(2));
        assert_eq!(late.text(Lang::Zh), "逾期 2 个工作日");
        assert_eq!(late.text(Lang::En), "2 working days overdue");
        let late = t.lateness(day(2026, 12, 30), day(2027, 1, 5));
        assert_eq!(late, Lateness::CalendarDays(6));
        assert_eq!(late.text(Lang::Zh), "逾期 6 天");
        assert!(NotCovered(2027).message(Lang::En).contains("2027"));
    }

    #[test]
    fn an_own_table_replaces_the_years_it_covers_and_keeps_the_others() {
        // A made-up 2027 (not an official arrangement), and a 2026 that
        // lists nothing: 2026 becomes plain weeks, 2025 stays as shipped.
        let own = "[[year]]\nyear = 2027\noff = [\"2027-01-01\"]\nwork = [\"2027-01-02\"]\n\n[[year]]\nyear = 2026\n";
        let t = Holidays::shipped_with(Some(own)).unwrap();
        assert_eq!(t.years().collect::<Vec<_>>(), [2025, 2026, 2027]);
        assert_eq!(t.is_working(day(2027, 1, 1)), Ok(false));
        assert_eq!(t.is_working(day(2027, 1, 2)), Ok(true));
        assert_eq!(t.is_working(day(2026, 2, 16)), Ok(true));
        assert_eq!(t.is_working(day(2026, 2, 14)), Ok(false));
        assert_eq!(t.is_working(day(2025, 1, 28)), Ok(false));
        assert_eq!(t.add_working_days(day(2026, 12, 30), 2), Ok(day(2027, 1, 2)));
        assert_eq!(Holidays::shipped_with(None), Ok(Holidays::shipped()));
    }

    #[test]
    fn a_broken_table_names_its_line() {
        let text = "[[year]]\nyear = 2027\noff = [\n  \"2027-01-01\",\n  \"2027-02-30\",\n]\n";
        let e = Holidays::shipped_with(Some(text)).unwrap_err();
        assert_eq!(e.line, Some(5));
        assert_eq!(e.problem, TableProblem::Day("2027-02-30".into()));
        assert!(
            e.message(Lang::Zh).starts_with("第 5 行："),
            "{}",
            e.message(Lang::Zh)
        );
        assert!(
            e.message(Lang::En).starts_with("line 5: "),
            "{}",
            e.message(Lang::En)
        );
        let e = Holidays::parse("[[year]]\nyear = 2027\n[[year]]\nyear = 2027\n").unwrap_err();
        assert_eq!((e.line, e.problem), (Some(4), TableProblem::Twice(2027)));
        let e = Holidays::parse("[[year]]\nyear = 2027\nof = []\n").unwrap_err();
        assert_eq!(e.line, Some(3));
        assert!(matches!(e.problem, TableProblem::Toml(_)));
    }
}
