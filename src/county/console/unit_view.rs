//! The units' view (`/office/unit`): the appeals referred to one unit,
//! newly referred and due soon first, overdue marked. A unit's staff see
//! their own unit's; the office may look at any unit's (`?unit=ID`).
//! From an appeal's page a unit records progress, asks for more time,
//! returns the appeal or replies (`console::appeal`).

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::NaiveDate;
use maud::{Markup, html};
use serde::Deserialize;

use super::auth::Staff;
use super::layout::{self, PageLang};
use super::words::work::{Work, words};
use crate::county::accounts::Role;
use crate::county::queue::{QueueFilter, QueueRow, Scope, Sort, SortKey};
use crate::county::server::Shared;
use crate::county::units::{self, Unit};
use crate::county::{CountyError, zone};
use crate::domain::Status;

/// Due within this many days: "due soon".
pub const DUE_SOON_DAYS: i64 = 3;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct UnitParams {
    /// The office's choice of unit, by id.
    pub unit: String,
}

fn open(row: &QueueRow) -> bool {
    row.status.awaits_unit()
}

fn due_soon(row: &QueueRow, today: NaiveDate) -> bool {
    open(row)
        && row
            .deadline
            .is_some_and(|d| (d - today).num_days() <= DUE_SOON_DAYS)
}

/// Newly referred or due soon (overdue included) first, then the rest
/// still with the unit, then the answered ones; by deadline within each
/// (none last), then by code.
pub fn order(rows: &mut [QueueRow], today: NaiveDate) {
    rows.sort_by(|a, b| {
        let rank = |r: &QueueRow| {
            if open(r) && (r.status == Status::Referred || due_soon(r, today)) {
                0
            } else if open(r) {
                1
            } else {
                2
            }
        };
        let deadline = |r: &QueueRow| (r.deadline.is_none(), r.deadline);
        (rank(a), deadline(a), &a.code).cmp(&(rank(b), deadline(b), &b.code))
    });
}

/// The page's content: the unit's appeals (ordered), and for the office
/// a choice of unit.
pub fn render(
    w: &Work,
    unit: Option<&str>,
    rows: &[QueueRow],
    choices: Option<(&[Unit], Option<i64>)>,
    today: NaiveDate,
) -> Markup {
    let lang = w.lang;
    html! {
        @if let Some((units, chosen)) = choices {
            form.filters method="get" action="/office/unit" {
                label { (w.unit) " "
                    select name="unit" {
                        option value="" { (w.choose_unit) }
                        @for u in units {
                            option value=(u.id) selected[chosen == Some(u.id)] { (u.name) }
                        }
                    }
                }
                " " button type="submit" { (w.choose) }
            }
        }
        @match unit {
            None => { @if choices.is_none() { p { (w.no_unit) } } }
            Some(unit) => {
                h2 { (w.unit_view_of(unit)) }
                p.muted { (w.unit_view_hint) }
                @if rows.is_empty() {
                    p.empty { (w.nothing_found) }
                } @else {
                    table.queue {
                        thead { tr {
                            th { (w.col_code) } th { (w.col_station) } th { (w.col_registered) }
                            th { (w.col_category) } th { (w.col_title) } th { (w.col_status) }
                            th { (w.col_deadline) } th {}
                        } }
                        tbody {
                            @for row in rows {
                                @let overdue = row.days_overdue.is_some_and(|d| d > 0);
                                tr class=[overdue.then_some("overdue")] {
                                    td { a href={ "/office/a/" (row.code) } { (row.code) } }
                                    td { (row.station_name) }
                                    td { (zone().show(&row.registered_at)) }
                                    td { (row.category.label(lang)) }
                                    td { (row.title) }
                                    td { (row.status.label(lang)) }
                                    td { (row.deadline.map(|d| d.to_string()).unwrap_or_default()) }
                                    td {
                                        @if let Some(late) = row.late() {
                                            strong.overdue { (late.text(lang)) }
                                        } @else if row.status == Status::Referred {
                                            strong.new { (w.new_mark) }
                                        } @else if due_soon(row, today) {
                                            strong.due-soon { (w.due_soon_mark) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `GET /office/unit`: a unit's staff their own unit's appeals; the office
/// any unit's (`?unit=ID`), chosen from the catalogue.
pub async fn page(
    staff: Staff,
    PageLang(lang): PageLang,
    State(shared): State<Shared>,
    query: Result<Query<UnitParams>, QueryRejection>,
) -> Response {
    let w = words(lang);
    let params = query.map(|Query(p)| p).unwrap_or_default();
    let today = zone().today();
    let loaded = async {
        let (unit, choices) = match staff.role() {
            Role::Unit => (staff.user.unit.as_ref().map(|(_, name)| name.clone()), None),
            _ => {
                let lines = units::list(&shared.db, true).await?;
                let chosen = params.unit.trim().parse::<i64>().ok();
                let unit = lines
                    .iter()
                    .find(|u| Some(u.id) == chosen)
                    .map(|u| u.name.clone());
                (unit, Some((lines, chosen)))
            }
        };
        let mut rows = match &unit {
            Some(name) => {
                let sort = Sort {
                    key: SortKey::Deadline,
                    desc: false,
                };
                let scope = Scope::Unit(name.clone());
                super::queue::all_rows(&shared.db, &scope, &QueueFilter::default(), sort, today).await?
            }
            None => Vec::new(),
        };
        order(&mut rows, today);
        Ok::<_, CountyError>((unit, choices, rows))
    }
    .await;
    let (unit, choices, rows) = match loaded {
        Ok(loaded) => loaded,
        Err(e) => return super::server_error("a unit's appeals", &e),
    };
    let choices = choices
        .as_ref()
        .map(|(lines, chosen)| (lines.as_slice(), *chosen));
    layout::answer(
        StatusCode::OK,
        layout::page(
            lang,
            Some(&staff),
            w.unit_view,
            render(w, unit.as_deref(), &rows, choices, today),
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Category;
    use chrono::DateTime;

    fn row(code: &str, status: Status, deadline: Option<(u32, u32)>) -> QueueRow {
        QueueRow {
            code: code.into(),
            station: "330999012".into(),
            station_name: "柳岸站".into(),
            registered_at: DateTime::parse_from_rfc3339("2026-11-01T09:00:00+08:00").unwrap(),
            category: Category::Traffic,
            title: "停车难".into(),
            status,
            unit: Some("青禾县交通运输局".into()),
            deadline: deadline.and_then(|(m, d)| NaiveDate::from_ymd_opt(2026, m, d)),
            days_overdue: None,
            round: 0,
            chases: 0,
            satisfaction: None,
        }
    }

    #[test]
    fn new_and_due_soon_come_first_then_the_rest_then_the_answered() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let mut rows = vec![
            row("a", Status::Replied, Some((12, 2))),
            row("b", Status::InProgress, Some((12, 30))),
            row("c", Status::InProgress, Some((12, 3))),
            row("d", Status::Referred, Some((12, 20))),
            row("e", Status::InProgress, Some((11, 28))),
            row("f", Status::InProgress, None),
        ];
        order(&mut rows, today);
        let codes: Vec<&str> = rows.iter().map(|r| r.code.as_str()).collect();
        assert_eq!(codes, ["e", "c", "d", "b", "f", "a"]);
    }
}
