//! The period a set of ledgers covers: two days, or a quarter, a month
//! or a year named the way staff write them (`2026Q4`, `2026-11`, `2026`).

use chrono::{Datelike, NaiveDate};

use super::words;
use crate::i18n::Lang;

/// The days from `from` to `to`, both included.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

/// The period as the command line gives it: exactly one of the forms.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Asked<'a> {
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
    pub quarter: Option<&'a str>,
    pub month: Option<&'a str>,
    pub year: Option<&'a str>,
}

/// Why a period cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PeriodError {
    /// No form given.
    Missing,
    /// More than one form given (their flags).
    Several(Vec<&'static str>),
    /// `--from` without `--to`, or the other way round (the one given).
    Half(&'static str),
    /// A flag's text that does not read as its form.
    Bad { flag: &'static str, text: String },
    /// `--from` after `--to`.
    Reversed { from: NaiveDate, to: NaiveDate },
}

impl PeriodError {
    pub fn message(&self, lang: Lang) -> String {
        words::period_error(self, lang)
    }
}

impl Period {
    /// Reads the one form of period `asked` gives.
    pub fn read(asked: &Asked) -> Result<Period, PeriodError> {
        let given: Vec<&'static str> = [
            ("--from/--to", asked.from.is_some() || asked.to.is_some()),
            ("--quarter", asked.quarter.is_some()),
            ("--month", asked.month.is_some()),
            ("--year", asked.year.is_some()),
        ]
        .into_iter()
        .filter(|(_, on)| *on)
        .map(|(flag, _)| flag)
        .collect();
        if given.len() > 1 {
            return Err(PeriodError::Several(given));
        }
        if let Some(text) = asked.quarter {
            return quarter(text).ok_or_else(|| bad("--quarter", text));
        }
        if let Some(text) = asked.month {
            return month(text).ok_or_else(|| bad("--month", text));
        }
        if let Some(text) = asked.year {
            return year(text).ok_or_else(|| bad("--year", text));
        }
        match (asked.from, asked.to) {
            (None, None) => Err(PeriodError::Missing),
            (Some(_), None) => Err(PeriodError::Half("--from")),
            (None, Some(_)) => Err(PeriodError::Half("--to")),
            (Some(f), Some(t)) => {
                let from = day(f).ok_or_else(|| bad("--from", f))?;
                let to = day(t).ok_or_else(|| bad("--to", t))?;
                if from > to {
                    return Err(PeriodError::Reversed { from, to });
                }
                Ok(Period { from, to })
            }
        }
    }

    pub fn contains(&self, day: NaiveDate) -> bool {
        self.from <= day && day <= self.to
    }

    /// Every day of the period, in order.
    pub fn days(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        self.from.iter_days().take_while(|d| *d <= self.to)
    }
}

fn bad(flag: &'static str, text: &str) -> PeriodError {
    PeriodError::Bad {
        flag,
        text: text.to_string(),
    }
}

/// `2026-11-05`.
fn day(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()
}

/// A four-digit year from 2000 to 2099 (tracking codes carry two digits).
fn year_number(text: &str) -> Option<i32> {
    let t = text.trim();
    if t.len() != 4 || !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    t.parse().ok().filter(|y| (2000..=2099).contains(y))
}

fn year(text: &str) -> Option<Period> {
    let y = year_number(text)?;
    Some(Period {
        from: NaiveDate::from_ymd_opt(y, 1, 1)?,
        to: NaiveDate::from_ymd_opt(y, 12, 31)?,
    })
}

/// `2026-11` (or `2026-1`).
fn month(text: &str) -> Option<Period> {
    let (y, m) = text.trim().split_once('-')?;
    let y = year_number(y)?;
    if m.is_empty() || m.len() > 2 || !m.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let from = NaiveDate::from_ymd_opt(y, m.parse().ok()?, 1)?;
    Some(Period {
        from,
        to: last_of_month(from)?,
    })
}

/// `2026Q4` (or `2026q4`, `2026-Q4`).
fn quarter(text: &str) -> Option<Period> {
    let t = text.trim();
    let (y, q) = t.split_once(['Q', 'q'])?;
    let y = year_number(y.strip_suffix('-').unwrap_or(y))?;
    let q: u32 = match q {
        "1" | "2" | "3" | "4" => q.parse().ok()?,
        _ => return None,
    };
    let from = NaiveDate::from_ymd_opt(y, (q - 1) * 3 + 1, 1)?;
    let last = NaiveDate::from_ymd_opt(y, q * 3, 1)?;
    Some(Period {
        from,
        to: last_of_month(last)?,
    })
}

fn last_of_month(first: NaiveDate) -> Option<NaiveDate> {
    let next = if first.month() == 12 {
        NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)
    };
    next?.pred_opt()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn read(asked: Asked) -> Result<Period, PeriodError> {
        Period::read(&asked)
    }

    #[test]
    fn every_form_reads_to_its_days() {
        let p = |from, to| Ok(Period { from, to });
        assert_eq!(
            read(Asked {
                from: Some("2026-11-05"),
                to: Some("2026-11-05"),
                ..Asked::default()
            }),
            p(d(2026, 11, 5), d(2026, 11, 5))
        );
        for (text, from, to) in [
            ("2026Q1", d(2026, 1, 1), d(2026, 3, 31)),
            ("2026q2", d(2026, 4, 1), d(2026, 6, 30)),
            ("2026-Q3", d(2026, 7, 1), d(2026, 9, 30)),
            ("2026Q4", d(2026, 10, 1), d(2026, 12, 31)),
        ] {
            assert_eq!(
                read(Asked {
                    quarter: Some(text),
                    ..Asked::default()
                }),
                p(from, to),
                "{text}"
            );
        }
        for (text, from, to) in [
            ("2026-11", d(2026, 11, 1), d(2026, 11, 30)),
            ("2026-12", d(2026, 12, 1), d(2026, 12, 31)),
            ("2028-2", d(2028, 2, 1), d(2028, 2, 29)),
            ("2027-02", d(2027, 2, 1), d(2027, 2, 28)),
        ] {
            assert_eq!(
                read(Asked {
                    month: Some(text),
                    ..Asked::default()
                }),
                p(from, to),
                "{text}"
            );
        }
        assert_eq!(
            read(Asked {
                year: Some("2026"),
                ..Asked::default()
            }),
            p(d(2026, 1, 1), d(2026, 12, 31))
        );
    }

    #[test]
    fn a_bad_period_is_named() {
        assert_eq!(read(Asked::default()), Err(PeriodError::Missing));
        assert_eq!(
            read(Asked {
                month: Some("2026-11"),
                year: Some("2026"),
                ..Asked::default()
            }),
            Err(PeriodError::Several(vec!["--month", "--year"]))
        );
        assert_eq!(
            read(Asked {
                from: Some("2026-11-01"),
                ..Asked::default()
            }),
            Err(PeriodError::Half("--from"))
        );
        for (quarter, month, year) in [
            (Some("2026Q5"), None, None),
            (Some("Q4"), None, None),
            (None, Some("2026-13"), None),
            (None, Some("2026-011"), None),
            (None, None, Some("26")),
            (None, None, Some("1999")),
        ] {
            assert!(
                matches!(
                    read(Asked {
                        quarter,
                        month,
                        year,
                        ..Asked::default()
                    }),
                    Err(PeriodError::Bad { .. })
                ),
                "{quarter:?} {month:?} {year:?}"
            );
        }
        assert_eq!(
            read(Asked {
                from: Some("2026-11-31"),
                to: Some("2026-12-01"),
                ..Asked::default()
            }),
            Err(PeriodError::Bad {
                flag: "--from",
                text: "2026-11-31".into()
            })
        );
        assert_eq!(
            read(Asked {
                from: Some("2026-12-02"),
                to: Some("2026-12-01"),
                ..Asked::default()
            }),
            Err(PeriodError::Reversed {
                from: d(2026, 12, 2),
                to: d(2026, 12, 1)
            })
        );
        let zh = PeriodError::Reversed {
            from: d(2026, 12, 2),
            to: d(2026, 12, 1),
        }
        .message(Lang::Zh);
        assert!(zh.contains("2026-12-02") && zh.contains("晚于"), "{zh}");
    }
}
