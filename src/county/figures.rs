//! The county's figures for its dashboard and reports: appeals counted by
//! status, category, station, unit and month, and the rates reported
//! upward (办结率, 按期办结率, 满意率), with the appeals overdue now. Every
//! figure is counted by the database (`GROUP BY`, `SUM(CASE …)`) on the
//! appeal columns `db::save_appeal` keeps, in SQL both SQLite and
//! PostgreSQL read. A unit's staff see their unit's appeals only.

use std::collections::BTreeMap;

use chrono::{Datelike, Months, NaiveDate};
use sqlx::Row;

use super::CountyError;
use super::db::Db;
use crate::domain::{Category, Status};

/// A rate as a fraction: how many of how many.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Rate {
    pub num: u64,
    pub den: u64,
}

impl Rate {
    /// The rate in percent, none when nothing counts toward it.
    pub fn percent(self) -> Option<f64> {
        (self.den > 0).then(|| self.num as f64 * 100.0 / self.den as f64)
    }

    /// "85.7%", or "—" when nothing counts toward it.
    pub fn shown(self) -> String {
        match self.percent() {
            Some(p) => format!("{p:.1}%"),
            None => "—".to_string(),
        }
    }
}

/// The dashboard's figures. Each breakdown is (key, count): the status's
/// and category's code, the station's code, the unit's name, the month
/// (YYYY-MM).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Dashboard {
    /// Every status in the status machine's order, zeros included.
    pub by_status: Vec<(String, u64)>,
    /// The categories that have appeals, most first.
    pub by_category: Vec<(String, u64)>,
    /// The stations that have appeals, most first.
    pub by_station: Vec<(String, u64)>,
    /// The stations' names by code (a station not enrolled: none).
    pub station_names: BTreeMap<String, String>,
    /// The units appeals are referred to, most first.
    pub by_unit: Vec<(String, u64)>,
    /// The twelve months up to today's, by registration, zeros included.
    pub by_month: Vec<(String, u64)>,
    /// 办结率: closed of all.
    pub closed_rate: Rate,
    /// 按期办结率: replied on or before the deadline, of those replied with
    /// a deadline.
    pub on_time_rate: Rate,
    /// 满意率: satisfied or basically satisfied, of those rated.
    pub satisfied_rate: Rate,
    /// Referred or in progress with the deadline passed.
    pub overdue_now: u64,
    /// Every appeal counted.
    pub total: u64,
}

/// The figures of the appeals referred to `scope` (a unit's name), or of
/// all when none; months and overdue reckoned from `today`.
pub async fn dashboard(db: &Db, scope: Option<&str>, today: NaiveDate) -> Result<Dashboard, CountyError> {
    // The scope is the first parameter of every query when given.
    let (scoped, and_scoped) = match scope {
        Some(_) => (" WHERE unit = $1", " AND unit = $1"),
        None => ("", ""),
    };
    let next = if scope.is_some() { 2 } else { 1 };
    let grouped = |column: &str| format!("SELECT {column}, COUNT(*) FROM appeals{scoped} GROUP BY {column}");
    // Most first, then by key, the same on either database (whose
    // collations of Chinese differ).
    let groups = |sql: String, bound: Vec<String>| async move {
        let mut query = sqlx::query(&sql);
        if let Some(unit) = scope {
            query = query.bind(unit.to_string());
        }
        for value in bound {
            query = query.bind(value);
        }
        let rows = query.fetch_all(&db.pool).await?;
        let mut found = rows
            .iter()
            .map(|r| -> Result<(String, u64), CountyError> {
                let key: Option<String> = r.try_get(0)?;
                let n: i64 = r.try_get(1)?;
                Ok((key.unwrap_or_default(), n.max(0) as u64))
            })
            .collect::<Result<Vec<_>, _>>()?;
        found.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        Ok::<_, CountyError>(found)
    };

    let held_status = groups(grouped("status"), Vec::new()).await?;
    let by_status = Status::ALL
        .iter()
        .map(|s| {
            let n = held_status
                .iter()
                .find(|(k, _)| k == s.code())
                .map_or(0, |(_, n)| *n);
            (s.code().to_string(), n)
        })
        .collect();
    let by_category = groups(grouped("category"), Vec::new())
        .await?
        .into_iter()
        .filter(|(k, _)| Category::parse(k).is_some())
        .collect();
    let by_station = groups(grouped("station"), Vec::new()).await?;
    let unit_known = if scope.is_some() {
        ""
    } else {
        " WHERE unit IS NOT NULL"
    };
    let by_unit = groups(
        format!("SELECT unit, COUNT(*) FROM appeals{scoped}{unit_known} GROUP BY unit"),
        Vec::new(),
    )
    .await?;

    // The last twelve months, this one included.
    let this_month = today.with_day(1).unwrap_or(today);
    let first = this_month
        .checked_sub_months(Months::new(11))
        .unwrap_or(this_month);
    let month_of = "SUBSTR(registered_on, 1, 7)";
    let held_months = groups(
        format!(
            "SELECT {month_of}, COUNT(*) FROM appeals WHERE registered_on >= ${next}{and_scoped} GROUP BY {month_of}"
        ),
        vec![first.to_string()],
    )
    .await?;
    let by_month = (0..12)
        .filter_map(|i| first.checked_add_months(Months::new(i)))
        .map(|m| {
            let key = m.format("%Y-%m").to_string();
            let n = held_months.iter().find(|(k, _)| *k == key).map_or(0, |(_, n)| *n);
            (key, n)
        })
        .collect();

    let sum = |condition: &str| format!("COALESCE(SUM(CASE WHEN {condition} THEN 1 ELSE 0 END), 0)");
    let rates = format!(
        "SELECT COUNT(*), {closed}, {replied_with_deadline}, {on_time}, {rated}, {satisfied}, {overdue}
         FROM appeals{scoped}",
        closed = sum("status = 'closed'"),
        replied_with_deadline = sum("replied_on IS NOT NULL AND deadline IS NOT NULL"),
        on_time = sum("replied_on IS NOT NULL AND deadline IS NOT NULL AND replied_on <= deadline"),
        rated = sum("satisfaction IS NOT NULL"),
        satisfied = sum("satisfaction IN ('satisfied', 'basic')"),
        overdue = sum(&format!(
            "status IN ('referred', 'in_progress') AND deadline IS NOT NULL AND deadline < ${next}"
        )),
    );
    let mut query = sqlx::query(&rates);
    if let Some(unit) = scope {
        query = query.bind(unit.to_string());
    }
    let row = query.bind(today.to_string()).fetch_one(&db.pool).await?;
    let n = |i: usize| -> Result<u64, CountyError> { Ok(row.try_get::<i64, _>(i)?.max(0) as u64) };
    let total = n(0)?;

    let mut station_names = db.station_names().await?;
    station_names.retain(|code, _| by_station.iter().any(|(k, _)| k == code));

    Ok(Dashboard {
        by_status,
        by_category,
        by_station,
        station_names,
        by_unit,
        by_month,
        closed_rate: Rate {
            num: n(1)?,
            den: total,
        },
        on_time_rate: Rate {
            num: n(3)?,
            den: n(2)?,
        },
        satisfied_rate: Rate {
            num: n(5)?,
            den: n(4)?,
        },
        overdue_now: n(6)?,
        total,
    })
}

#[cfg(test)]
mod tests {
    use chrono::DateTime;

    use super::*;
    use crate::county::db::{save_appeal, testing};
    use crate::domain::{Appeal, EventId, HistoryEntry, Satisfaction, Step, TrackingCode};

    const A: &str = "330999012";
    const B: &str = "330999013";
    const HOUSING: &str = "青禾县住房和城乡建设局";
    const TRAFFIC: &str = "青禾县交通运输局";

    fn day(text: &str) -> NaiveDate {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
    }

    fn at(text: &str) -> chrono::DateTime<chrono::FixedOffset> {
        DateTime::parse_from_rfc3339(&format!("{text}T10:00:00+08:00")).unwrap()
    }

    /// An appeal of `station` registered on `on`, as the county would
    /// hold it after its steps: `replied` adds the history entry that made
    /// it replied on that day.
    #[allow(clippy::too_many_arguments)]
    fn appeal(
        station: &str,
        n: u32,
        on: &str,
        category: Category,
        status: Status,
        unit: Option<&str>,
        deadline: Option<&str>,
        replied: Option<&str>,
        satisfaction: Option<Satisfaction>,
    ) -> Appeal {
        let code = TrackingCode::new(day(on), station, 1, n).unwrap();
        let mut a = Appeal::registered(code, at(on));
        a.category = category;
        a.status = status;
        a.unit = unit.map(str::to_string);
        a.deadline = deadline.map(day);
        a.satisfaction = satisfaction;
        if let Some(replied) = replied {
            a.history.push(HistoryEntry {
                event: EventId {
                    origin: format!("county/{station}"),
                    seq: u64::from(n),
                },
                at: at(replied),
                actor: "青禾县住房和城乡建设局·李工".into(),
                step: Step::AnswerOnSpot {
                    reply: "已办".into()
                },
                from: Some(Status::InProgress),
                to: Status::Replied,
                note: String::new(),
                not_applied: None,
            });
        }
        a
    }

    fn held() -> Vec<(&'static str, Appeal)> {
        use Category::*;
        use Status::*;
        vec![
            (
                A,
                appeal(A, 1, "2026-12-01", Traffic, Registered, None, None, None, None),
            ),
            // Overdue now: referred, the deadline past.
            (
                A,
                appeal(
                    A,
                    2,
                    "2026-11-10",
                    Traffic,
                    Referred,
                    Some(HOUSING),
                    Some("2026-12-01"),
                    None,
                    None,
                ),
            ),
            (
                A,
                appeal(
                    A,
                    3,
                    "2026-11-10",
                    Housing,
                    InProgress,
                    Some(HOUSING),
                    Some("2026-12-31"),
                    None,
                    None,
                ),
            ),
            // Replied on time, not rated.
            (
                B,
                appeal(
                    B,
                    1,
                    "2026-10-05",
                    Housing,
                    Replied,
                    Some(TRAFFIC),
                    Some("2026-10-20"),
                    Some("2026-10-18"),
                    None,
                ),
            ),
            // Replied late, rated satisfied.
            (
                B,
                appeal(
                    B,
                    2,
                    "2026-06-01",
                    Other,
                    Closed,
                    Some(HOUSING),
                    Some("2026-06-10"),
                    Some("2026-06-15"),
                    Some(Satisfaction::Satisfied),
                ),
            ),
            // Registered before the twelve months; replied on time.
            (
                B,
                appeal(
                    B,
                    3,
                    "2025-11-30",
                    Traffic,
                    Closed,
                    Some(TRAFFIC),
                    Some("2025-12-10"),
                    Some("2025-12-09"),
                    Some(Satisfaction::Unsatisfied),
                ),
            ),
            // Answered on the spot: no unit, no deadline.
            (
                A,
                appeal(
                    A,
                    4,
                    "2026-01-01",
                    Elderly,
                    Closed,
                    None,
                    None,
                    Some("2026-01-01"),
                    Some(Satisfaction::Basic),
                ),
            ),
        ]
    }

    fn pairs(items: &[(&str, u64)]) -> Vec<(String, u64)> {
        items.iter().map(|(k, n)| (k.to_string(), *n)).collect()
    }

    #[test]
    fn the_figures_are_counted_as_by_hand() {
        let dir = tempfile::tempdir().unwrap();
        testing::runtime().block_on(async {
            let db = testing::enrolled(dir.path(), A).await;
            db.enroll(B, "青禾县柳岸社区联络站", "key", false).await.unwrap();
            let mut conn = db.pool.acquire().await.unwrap();
            for (station, appeal) in held() {
                save_appeal(&mut conn, station, &appeal).await.unwrap();
            }
            drop(conn);
            let today = day("2026-12-06");

            let all = dashboard(&db, None, today).await.unwrap();
            assert_eq!(all.total, 7);
            assert_eq!(
                all.by_status,
                pairs(&[
                    ("registered", 1),
                    ("accepted", 0),
                    ("referred", 1),
                    ("in_progress", 1),
                    ("replied", 1),
                    ("closed", 3)
                ])
            );
            assert_eq!(
                all.by_category,
                pairs(&[("traffic", 3), ("housing", 2), ("elderly", 1), ("other", 1)])
            );
            assert_eq!(all.by_station, pairs(&[(A, 4), (B, 3)]));
            assert_eq!(all.station_names[A], "站");
            assert_eq!(all.station_names[B], "青禾县柳岸社区联络站");
            assert_eq!(all.by_unit, pairs(&[(HOUSING, 3), (TRAFFIC, 2)]));
            let months: Vec<(String, u64)> = (1..=12)
                .map(|m| {
                    let n = match m {
                        1 | 6 | 10 | 12 => 1,
                        11 => 2,
                        _ => 0,
                    };
                    (format!("2026-{m:02}"), n)
                })
                .collect();
            assert_eq!(all.by_month, months);
            // 办结率 3 of 7; on time: B1 and B3 of B1, B2, B3; satisfied:
            // B2 (satisfied) and A4 (basic) of B2, B3, A4; overdue: A2.
            assert_eq!(all.closed_rate, Rate { num: 3, den: 7 });
            assert_eq!(all.on_time_rate, Rate { num: 2, den: 3 });
            assert_eq!(all.satisfied_rate, Rate { num: 2, den: 3 });
            assert_eq!(all.overdue_now, 1);
            assert_eq!(all.closed_rate.shown(), "42.9%");

            // The deadline day itself is not overdue yet.
            let on_deadline = dashboard(&db, None, day("2026-12-01")).await.unwrap();
            assert_eq!(on_deadline.overdue_now, 0);
            // Months roll: a year later only December 2026 is left.
            let later = dashboard(&db, None, day("2027-11-30")).await.unwrap();
            assert_eq!(later.by_month.first().unwrap(), &("2026-12".to_string(), 1));
            assert_eq!(later.by_month.last().unwrap(), &("2027-11".to_string(), 0));

            // A unit's figures: its own appeals only (A2, A3, B2).
            let unit = dashboard(&db, Some(HOUSING), today).await.unwrap();
            assert_eq!(unit.total, 3);
            assert_eq!(
                unit.by_status,
                pairs(&[
                    ("registered", 0),
                    ("accepted", 0),
                    ("referred", 1),
                    ("in_progress", 1),
                    ("replied", 0),
                    ("closed", 1)
                ])
            );
            assert_eq!(unit.by_station, pairs(&[(A, 2), (B, 1)]));
            assert_eq!(unit.by_unit, pairs(&[(HOUSING, 3)]));
            assert_eq!(
                unit.by_category,
                pairs(&[("housing", 1), ("other", 1), ("traffic", 1)])
            );
            assert_eq!(unit.closed_rate, Rate { num: 1, den: 3 });
            assert_eq!(unit.on_time_rate, Rate { num: 0, den: 1 });
            assert_eq!(unit.satisfied_rate, Rate { num: 1, den: 1 });
            assert_eq!(unit.overdue_now, 1);
            assert_eq!(unit.by_month.iter().map(|(_, n)| n).sum::<u64>(), 3);

            // A unit with nothing: zeros, and rates with nothing to count.
            let none = dashboard(&db, Some("青禾县教育局"), today).await.unwrap();
            assert_eq!(none.total, 0);
            assert_eq!(none.satisfied_rate.percent(), None);
            assert_eq!(none.satisfied_rate.shown(), "—");
            assert!(none.by_station.is_empty() && none.station_names.is_empty());
        });
    }
}
