//! The station's books (台账): the paper ledgers this software replaces,
//! for a period, as one workbook of four sheets: the visitor registration
//! ledger (接待选民登记簿), the appeals handling ledger (意见建议办理台账),
//! the deputies' attendance (代表进站履职登记) and each deputy's duty
//! archive (履职档案). `period` reads the period, `rows` makes each
//! ledger's rows from domain values, `words` holds every word they print,
//! `workbook` writes the xlsx; `gather` reads what they need through a
//! `Reader`.

pub mod period;
pub mod rows;
pub mod words;
pub mod workbook;

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;

pub use period::{Asked, Period, PeriodError, read as read_period};
use rows::Row;

use crate::domain::points::{self, AppealFacts, HandEntry};
use crate::domain::station::ReplyDue;
use crate::domain::{Appeal, Deputy, Duty, Station, Visit};
use crate::i18n::Lang;
use crate::storage::{Reader, StoreError};
use crate::transfer::export::in_zone;

/// What the ledgers of a period are made from.
#[derive(Debug, Clone)]
pub struct Books {
    pub period: Period,
    pub station: Station,
    pub deputies: Vec<Deputy>,
    /// The visits registered in the period, in code order.
    pub visits: Vec<Visit>,
    /// The appeals registered in the period and those of its visits, by
    /// code, their times in the station's zone.
    pub appeals: BTreeMap<String, Appeal>,
    /// The duty records of the period's days.
    pub duties: Vec<Duty>,
    /// What every appeal means for duty points (an appeal of an earlier
    /// period may be answered or rated in this one).
    pub facts: Vec<AppealFacts>,
    /// The duty list's items entered by hand (every one held: the
    /// archive keeps those of the period).
    pub hand: Vec<HandEntry>,
    /// Every check-in up to the period's end (deputy, day): the year's and
    /// the term's points count them.
    pub attended: Vec<(String, NaiveDate)>,
}

/// A sheet ready to write: which ledger and its rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sheet {
    pub ledger: words::Ledger,
    pub rows: Vec<Row>,
}

/// Reads the ledgers' material for `period`: the station, its deputies,
/// the period's visits and duty records, and every appeal once (kept
/// whole only when it belongs to the period).
pub fn gather(reader: &Reader, period: Period) -> Result<Books, StoreError> {
    let station = reader
        .station()?
        .ok_or_else(|| StoreError::NoStation(reader.dir().to_path_buf()))?;
    let zone = station.zone();
    let visits = reader.visits_between(period.from, period.to)?;
    let of_visits: BTreeSet<String> = visits
        .iter()
        .flat_map(|v| v.appeals.iter().map(|c| c.to_string()))
        .collect();
    let mut appeals = BTreeMap::new();
    let mut facts = Vec::new();
    let due = ReplyDue::new(&station);
    reader.for_each_appeal(|a| {
        let a = in_zone(&a, zone);
        facts.push(AppealFacts::of(&a, &due));
        let code = a.code.to_string();
        if period.contains(a.registered_at.date_naive()) || of_visits.contains(&code) {
            appeals.insert(code, a);
        }
        Ok(())
    })?;
    Ok(Books {
        period,
        deputies: reader.deputies()?,
        visits,
        appeals,
        duties: reader.duty_between(period.from, period.to)?,
        attended: reader.check_ins(None, period.to)?,
        facts,
        hand: reader.duty_items()?,
        station,
    })
}

impl Books {
    /// The four ledgers' rows, in the workbook's order.
    pub fn sheets(&self, lang: Lang) -> Vec<Sheet> {
        let zone = self.station.zone();
        let visits = self
            .visits
            .iter()
            .map(|v| rows::visit_row(v, &self.appeals, zone, lang))
            .collect();
        let appeals = self
            .appeals
            .values()
            .filter(|a| self.period.contains(a.registered_at.date_naive()))
            .map(|a| rows::appeal_row(a, zone, lang))
            .collect();
        let attendance = rows::attendance_rows(&self.duties, &self.deputies, &self.visits, zone, lang);
        let rules = &self.station.points;
        let lines = points::deeds(rules, &self.attended, &self.facts, &self.hand);
        let archive = rows::archive_rows(&lines, &self.deputies, rules, self.period, lang);
        let standings = rows::points_rows(&lines, &self.deputies, rules, self.period);
        vec![
            Sheet {
                ledger: words::VISITS,
                rows: visits,
            },
            Sheet {
                ledger: words::APPEALS,
                rows: appeals,
            },
            Sheet {
                ledger: words::ATTENDANCE,
                rows: attendance,
            },
            Sheet {
                ledger: words::ARCHIVE,
                rows: archive,
            },
            Sheet {
                ledger: words::POINTS,
                rows: standings,
            },
        ]
    }
}
