//! The period a report, a points list or a ledger covers: a month, a
//! quarter, a year, or any run of days, with the period before and after
//! it and its name in both languages.

use chrono::{Datelike, Days, Months, NaiveDate};

use super::points::{quarter_of, year_of};
use crate::i18n::Lang;

/// What kind of period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Span {
    Month,
    Quarter,
    Year,
    /// Any run of days, chosen by hand.
    Dates,
}

/// The days from `from` to `to`, both included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub span: Span,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// Why a period cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PeriodError {
    #[error("\"{0}\" is not a period: write 2026-11, 2026Q4, 2026, or 2026-11-01..2026-11-20")]
    Unreadable(String),
    #[error("the period starts {from}, after its end {to}")]
    Backwards { from: NaiveDate, to: NaiveDate },
}

impl PeriodError {
    pub fn message(&self, lang: Lang) -> String {
        match (lang, self) {
            (Lang::Zh, PeriodError::Unreadable(t)) => format!(
                "“{t}”不是一个时段：可写 2026-11（月）、2026Q4（季度）、2026（年）或 2026-11-01..2026-11-20"
            ),
            (Lang::Zh, PeriodError::Backwards { from, to }) => {
                format!("时段的开始 {from} 晚于结束 {to}")
            }
            (Lang::En, e) => e.to_string(),
        }
    }
}

impl Period {
    pub fn month_of(day: NaiveDate) -> Period {
        let from = day.with_day(1).unwrap_or(day);
        let to = (from + Months::new(1)).pred_opt().unwrap_or(day);
        Period {
            span: Span::Month,
            from,
            to,
        }
    }

    pub fn quarter_of(day: NaiveDate) -> Period {
        let (from, to) = quarter_of(day);
        Period {
            span: Span::Quarter,
            from,
            to,
        }
    }

    pub fn year_of(day: NaiveDate) -> Period {
        let (from, to) = year_of(day);
        Period {
            span: Span::Year,
            from,
            to,
        }
    }

    /// The days `from` to `to`; refused when they run backwards.
    pub fn dates(from: NaiveDate, to: NaiveDate) -> Result<Period, PeriodError> {
        if from > to {
            return Err(PeriodError::Backwards { from, to });
        }
        Ok(Period {
            span: Span::Dates,
            from,
            to,
        })
    }

    /// The period of the same kind holding `day`; a run of days keeps its
    /// length and starts on `day`.
    fn same_kind_at(&self, day: NaiveDate) -> Period {
        match self.span {
            Span::Month => Period::month_of(day),
            Span::Quarter => Period::quarter_of(day),
            Span::Year => Period::year_of(day),
            Span::Dates => Period {
                span: Span::Dates,
                from: day,
                to: day + Days::new(self.days() - 1),
            },
        }
    }

    /// How many days it covers.
    pub fn days(&self) -> u64 {
        (self.to - self.from).num_days().max(0) as u64 + 1
    }

    /// The period of the same kind just after.
    pub fn next(&self) -> Period {
        match self.to.succ_opt() {
            Some(day) => self.same_kind_at(day),
            None => *self,
        }
    }

    /// The period of the same kind just before.
    pub fn prev(&self) -> Period {
        match self.span {
            Span::Dates => match self.from.checked_sub_days(Days::new(self.days())) {
                Some(day) => self.same_kind_at(day),
                None => *self,
            },
            _ => match self.from.pred_opt() {
                Some(day) => self.same_kind_at(day),
                None => *self,
            },
        }
    }

    /// Month, then quarter, then year, then month again, each holding the
    /// period's last day that is not after `today`.
    pub fn wider(&self, today: NaiveDate) -> Period {
        let day = self.to.min(today).max(self.from);
        match self.span {
            Span::Month => Period::quarter_of(day),
            Span::Quarter => Period::year_of(day),
            Span::Year | Span::Dates => Period::month_of(day),
        }
    }

    /// Reads `2026-11`, `2026Q4` (or `2026-Q4`), `2026`, or
    /// `2026-11-01..2026-11-20`. Years run from 2000 to 2099 (tracking
    /// codes carry two digits of the year).
    pub fn parse(text: &str) -> Result<Period, PeriodError> {
        let t = text.trim();
        let unreadable = || PeriodError::Unreadable(t.to_string());
        let digits =
            |s: &str, most: usize| !s.is_empty() && s.len() <= most && s.bytes().all(|b| b.is_ascii_digit());
        let year = |s: &str| -> Result<i32, PeriodError> {
            if s.len() != 4 || !digits(s, 4) {
                return Err(unreadable());
            }
            s.parse()
                .ok()
                .filter(|y| (2000..=2099).contains(y))
                .ok_or_else(unreadable)
        };
        let day = |s: &str| NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok();
        if let Some((from, to)) = t.split_once("..") {
            let (from, to) = (day(from).ok_or_else(unreadable)?, day(to).ok_or_else(unreadable)?);
            return Period::dates(from, to);
        }
        if let Some((y, q)) = t.split_once(['Q', 'q']) {
            let year = year(y.strip_suffix('-').unwrap_or(y))?;
            let q: u32 = match q {
                "1" | "2" | "3" | "4" => q.parse().map_err(|_| unreadable())?,
                _ => return Err(unreadable()),
            };
            let first = NaiveDate::from_ymd_opt(year, q * 3 - 2, 1).ok_or_else(unreadable)?;
            return Ok(Period::quarter_of(first));
        }
        if let Some((y, m)) = t.split_once('-') {
            let year = year(y)?;
            if !digits(m, 2) {
                return Err(unreadable());
            }
            let month: u32 = m.parse().map_err(|_| unreadable())?;
            let first = NaiveDate::from_ymd_opt(year, month, 1).ok_or_else(unreadable)?;
            return Ok(Period::month_of(first));
        }
        Ok(Period::year_of(
            NaiveDate::from_ymd_opt(year(t)?, 1, 1).ok_or_else(unreadable)?,
        ))
    }

    /// A quarter written as `2026Q4`; None for anything else.
    pub fn quarter(text: &str) -> Option<Period> {
        Period::parse(text).ok().filter(|p| p.span == Span::Quarter)
    }

    /// Its name: 2026年11月, 2026年第4季度, 2026年, or the two days.
    pub fn label(&self, lang: Lang) -> String {
        let y = self.from.year();
        match (self.span, lang) {
            (Span::Month, Lang::Zh) => format!("{y}年{}月", self.from.month()),
            (Span::Month, Lang::En) => self.from.format("%B %Y").to_string(),
            (Span::Quarter, Lang::Zh) => format!("{y}年第{}季度", self.from.month0() / 3 + 1),
            (Span::Quarter, Lang::En) => format!("Q{} {y}", self.from.month0() / 3 + 1),
            (Span::Year, Lang::Zh) => format!("{y}年"),
            (Span::Year, Lang::En) => format!("{y}"),
            (Span::Dates, _) => format!("{} {} {}", self.from, lang.pick("至", "to"), self.to),
        }
    }

    /// A short name for file names: 2026-11, 2026Q4, 2026, 20261101-20261120.
    pub fn slug(&self) -> String {
        match self.span {
            Span::Month => self.from.format("%Y-%m").to_string(),
            Span::Quarter => format!("{}Q{}", self.from.year(), self.from.month0() / 3 + 1),
            Span::Year => self.from.year().to_string(),
            Span::Dates => format!("{}-{}", self.from.format("%Y%m%d"), self.to.format("%Y%m%d")),
        }
    }

    pub fn contains(&self, day: NaiveDate) -> bool {
        day >= self.from && day <= self.to
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn periods_step_widen_read_and_name_themselves() {
        let nov = Period::month_of(d(2026, 11, 20));
        assert_eq!((nov.from, nov.to), (d(2026, 11, 1), d(2026, 11, 30)));
        assert_eq!(nov.next().from, d(2026, 12, 1));
        assert_eq!(nov.next().next(), Period::month_of(d(2027, 1, 5)));
        assert_eq!(nov.prev().to, d(2026, 10, 31));
        let q = nov.wider(d(2026, 12, 7));
        assert_eq!((q.from, q.to), (d(2026, 10, 1), d(2026, 12, 31)));
        assert_eq!(q.prev(), Period::quarter_of(d(2026, 7, 1)));
        assert_eq!(q.wider(d(2026, 12, 7)), Period::year_of(d(2026, 1, 1)));
        // From a year back to the month holding today (December 7th).
        assert_eq!(Period::year_of(d(2026, 1, 1)).wider(d(2026, 12, 7)), nov.next());
        // A run of days keeps its length both ways.
        let run = Period::dates(d(2026, 11, 1), d(2026, 11, 10)).unwrap();
        assert_eq!(
            run.next(),
            Period::dates(d(2026, 11, 11), d(2026, 11, 20)).unwrap()
        );
        assert_eq!(
            run.prev(),
            Period::dates(d(2026, 10, 22), d(2026, 10, 31)).unwrap()
        );
        assert_eq!(
            Period::dates(d(2026, 11, 2), d(2026, 11, 1)),
            Err(PeriodError::Backwards {
                from: d(2026, 11, 2),
                to: d(2026, 11, 1)
            })
        );
        for (text, period) in [
            ("2026-11", nov),
            ("2026Q4", q),
            ("2026-q4", q),
            (" 2026 ", Period::year_of(d(2026, 6, 1))),
            ("2026-11-01..2026-11-10", run),
        ] {
            assert_eq!(Period::parse(text), Ok(period), "{text}");
        }
        for bad in [
            "2026Q5",
            "2026-13",
            "2026-011",
            "26",
            "1999",
            "11月",
            "2026-11-10..2026-11-01",
            "",
        ] {
            assert!(Period::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(nov.label(Lang::Zh), "2026年11月");
        assert_eq!(q.label(Lang::Zh), "2026年第4季度");
        assert_eq!(q.label(Lang::En), "Q4 2026");
        assert_eq!(run.label(Lang::Zh), "2026-11-01 至 2026-11-10");
        assert_eq!(
            (nov.slug(), q.slug(), run.slug()),
            ("2026-11".into(), "2026Q4".into(), "20261101-20261110".into())
        );
        assert_eq!(Period::parse("2026Q4").unwrap().days(), 92);
        assert_eq!(Period::quarter("2026q4"), Some(q));
        assert_eq!(Period::quarter("2026-11"), None);
    }
}
