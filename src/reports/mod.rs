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
use crate::domain::points::{self, AppealFacts, PointLine, ReplyDue};
use crate::domain::report::{self, Facts, Report, Schedule};
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
    let facts: Vec<Facts> = (0..catalog.len())
        .filter_map(|i| catalog.row(i))
        .filter(|r| Facts::wanted(r, period.from, period.to))
        .map(|r| Facts::of_row(&r, &due))
        .collect();
    let visits = reader.visit_days(period.from, period.to)?;
    let attended = reader.check_ins(Some(period.from), period.to)?;
    let schedule: Vec<Schedule> = deputies
        .iter()
        .map(|d| (d.id.as_str(), d.duty_days.as_slice()))
        .collect();
    let mut report = report::report(
        station,
        &schedule,
        &facts,
        &visits,
        &attended,
        (period.from, period.to),
        today,
    );
    report.uncovered_year = due.uncovered();
    Ok(report)
}

/// `deeds` for a process that holds no catalog (the printer's thread, a
/// command): the catalog's rows read from the database.
pub fn deeds_read(
    reader: &Reader,
    station: &Station,
    today: NaiveDate,
) -> Result<BTreeMap<String, Vec<PointLine>>, StoreError> {
    let catalog = Catalog::from_rows(reader.catalog_rows()?);
    deeds(reader, &catalog, station, today)
}

/// Every deputy's deeds with their points, by deputy id, each list by
/// day: from every appeal a deputy received, every check-in and every
/// duty item entered up to `today`, weighed by the station's rules.
pub fn deeds(
    reader: &Reader,
    catalog: &Catalog,
    station: &Station,
    today: NaiveDate,
) -> Result<BTreeMap<String, Vec<PointLine>>, StoreError> {
    let due = ReplyDue::new(station);
    let appeals: Vec<AppealFacts> = (0..catalog.len())
        .filter_map(|i| catalog.row(i))
        .filter(|r| r.deputies().next().is_some())
        .map(|r| AppealFacts::of_row(&r, &due))
        .collect();
    let days = reader.check_ins(None, today)?;
    let items = reader.duty_items()?;
    Ok(points::deeds(&station.points, &days, &appeals, &items))
}
