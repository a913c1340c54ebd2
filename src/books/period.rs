//! The period a set of ledgers covers: two days, or a quarter, a month
//! or a year named the way staff write them (`2026Q4`, `2026-11`, `2026`).

use chrono::NaiveDate;

use super::words;
pub use crate::domain::period::Period;
use crate::domain::period::Span;
use crate::i18n::Lang;

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
    for (flag, text, span) in [
        ("--quarter", asked.quarter, Span::Quarter),
        ("--month", asked.month, Span::Month),
        ("--year", asked.year, Span::Year),
    ] {
        if let Some(text) = text {
            return Period::parse(text)
                .ok()
                .filter(|p| p.span == span)
                .ok_or_else(|| bad(flag, text));
        }
    }
    match (asked.from, asked.to) {
        (None, None) => Err(PeriodError::Missing),
        (Some(_), None) => Err(PeriodError::Half("--from")),
        (None, Some(_)) => Err(PeriodError::Half("--to")),
        (Some(f), Some(t)) => {
            let from = day(f).ok_or_else(|| bad("--from", f))?;
            let to = day(t).ok_or_else(|| bad("--to", t))?;
            Period::dates(from, to).map_err(|_| PeriodError::Reversed { from, to })
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn read(asked: Asked) -> Result<Period, PeriodError> {
        super::read(&asked)
    }

    #[test]
    fn every_form_reads_to_its_days() {
        let p = |from, to| Ok::<_, PeriodError>((from, to));
        let read = |asked| read(asked).map(|p| (p.from, p.to));
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
