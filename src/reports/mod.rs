//! The station's figures and duty points, gathered for the kiosk and the
//! commands: appeals from the catalog's rows (which carry what a report
//! needs of their handling, so no appeal is read), visits, check-ins and
//! hand-entered duty items from the store's day-keyed records of the
//! period. The arithmetic is the domain's (`domain::report`,
//! `domain::points`).

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::domain::catalog::Catalog;
use crate::domain::period::Period;
use crate::domain::points::{self, AppealFacts, PointLine, Totals};
use crate::domain::report::{self, Facts, Report, Schedule};
use crate::domain::station::ReplyDue;
use crate::domain::{Deputy, Station};
use crate::storage::{Reader, StoreError};

/// The station's figures for `period` on `today`.
pub fn report(
    reader: &Reader,
    catalog: &Catalog,
    station: &Station,
    deputies: &[Deputy],
    period: &Period,
    today: NaiveDate,
) -> Result<Report, StoreError> {
    let due = ReplyDue::new(station);
    let facts = catalog
        .briefs()
        .filter(|r| Facts::wanted(r, period.from, period.to))
        .map(|r| Facts::of_brief(&r, &due));
    let visits = reader.visit_days(period.from, period.to)?;
    let attended = reader.check_ins(Some(period.from), period.to)?;
    let schedule: Vec<Schedule> = deputies
        .iter()
        .map(|d| (d.id.as_str(), d.duty_days.as_slice()))
        .collect();
    let mut report = report::report(
        station,
        &schedule,
        facts,
        &visits,
        &attended,
        (period.from, period.to),
        today,
    );
    report.uncovered_year = due.uncovered();
    Ok(report)
}

/// Every deputy's points for the days `from` to `to` with the year's and
/// the term's up to `to`, by deputy id: from every appeal a deputy
/// received, every check-in and every duty item, weighed by the station's
/// rules as the deeds go by (none is kept: a list of every deputy).
pub fn standings(
    reader: &Reader,
    catalog: &Catalog,
    station: &Station,
    (from, to): (NaiveDate, NaiveDate),
) -> Result<BTreeMap<String, Totals>, StoreError> {
    let due = ReplyDue::new(station);
    let appeals = catalog
        .briefs()
        .filter(|r| r.deputies().next().is_some())
        .map(|r| AppealFacts::of_brief(&r, &due));
    let days = reader.check_ins(None, to)?;
    let items = reader.duty_items()?;
    Ok(points::standings(
        &station.points,
        &days,
        appeals,
        &items,
        (from, to),
    ))
}

/// `standings` for a process that holds no catalog (the printer's thread,
/// a command): the catalog's rows read from the database.
pub fn standings_read(
    reader: &Reader,
    station: &Station,
    span: (NaiveDate, NaiveDate),
) -> Result<BTreeMap<String, Totals>, StoreError> {
    let catalog = Catalog::from_rows(reader.catalog_rows()?);
    standings(reader, &catalog, station, span)
}

/// One deputy's deeds with their points up to `today`, by day: the
/// record behind their points.
pub fn deeds_of(
    reader: &Reader,
    catalog: &Catalog,
    station: &Station,
    deputy: &str,
    today: NaiveDate,
) -> Result<Vec<PointLine>, StoreError> {
    let due = ReplyDue::new(station);
    let appeals: Vec<AppealFacts> = catalog
        .briefs()
        .filter(|r| r.deputies().any(|d| d == deputy))
        .map(|r| AppealFacts::of_brief(&r, &due))
        .collect();
    let mut days = reader.check_ins(None, today)?;
    days.retain(|(d, _)| d == deputy);
    let mut items = reader.duty_items()?;
    items.retain(|e| e.deputy == deputy);
    let mut deeds = points::deeds(&station.points, &days, &appeals, &items);
    let mut lines = deeds.remove(deputy).unwrap_or_default();
    lines.retain(|l| l.day <= today);
    Ok(lines)
}
