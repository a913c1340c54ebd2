//! The stations (`/office/stations`): every enrolled station and each of
//! its terminals, with the last sync (the latest event received), the
//! events held and the uploads refused; stations silent for more than N
//! days (`?silent=N`, 7 unless told) are marked.

use std::collections::BTreeMap;

use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, FixedOffset, NaiveDate};
use maud::{Markup, html};
use serde::Deserialize;
use sqlx::Row;

use super::auth::Staff;
use super::layout::{self, PageLang};
use super::words::work::{Work, words};
use crate::county::db::Db;
use crate::county::server::Shared;
use crate::county::{CountyError, zone};

pub const DEFAULT_SILENT_DAYS: u32 = 7;
pub const MAX_SILENT_DAYS: u32 = 3650;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct StationsParams {
    pub silent: String,
}

impl StationsParams {
    pub fn silent_days(&self) -> u32 {
        self.silent
            .trim()
            .parse::<u32>()
            .map(|d| d.min(MAX_SILENT_DAYS))
            .unwrap_or(DEFAULT_SILENT_DAYS)
    }
}

/// What the county holds of one terminal (or, summed, a station).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Held {
    pub last_sync: Option<DateTime<FixedOffset>>,
    pub events: u64,
    pub refusals: u64,
}

impl Held {
    fn add(&mut self, other: &Held) {
        self.last_sync = self.last_sync.max(other.last_sync);
        self.events += other.events;
        self.refusals += other.refusals;
    }
}

/// An enrolled station and its terminals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StationLine {
    pub code: String,
    pub name: String,
    pub enrolled_at: Option<DateTime<FixedOffset>>,
    /// The station as a whole: its terminals summed (refusals of no
    /// terminal's included).
    pub held: Held,
    pub terminals: Vec<(i64, Held)>,
}

impl StationLine {
    /// Silent: no event received in the `days` before `today` (or never).
    pub fn silent(&self, days: u32, today: NaiveDate) -> bool {
        match self.held.last_sync {
            None => true,
            Some(at) => (today - zone().date(&at)).num_days() > i64::from(days),
        }
    }
}

fn time(text: Option<String>) -> Option<DateTime<FixedOffset>> {
    text.and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
}

/// Every enrolled station by code, with what the county holds of each of
/// its terminals.
pub async fn stations(db: &Db) -> Result<Vec<StationLine>, CountyError> {
    let rows = sqlx::query("SELECT code, name, enrolled_at FROM stations ORDER BY code")
        .fetch_all(&db.pool)
        .await?;
    let mut lines = Vec::with_capacity(rows.len());
    for r in &rows {
        lines.push(StationLine {
            code: r.try_get(0)?,
            name: r.try_get(1)?,
            enrolled_at: time(r.try_get(2)?),
            held: Held::default(),
            terminals: Vec::new(),
        });
    }
    let mut terminals: BTreeMap<(String, i64), Held> = BTreeMap::new();
    for r in sqlx::query("SELECT station, terminal FROM terminals")
        .fetch_all(&db.pool)
        .await?
    {
        terminals.entry((r.try_get(0)?, r.try_get(1)?)).or_default();
    }
    for r in sqlx::query(
        "SELECT station, terminal, COUNT(*), MAX(received_at) FROM events GROUP BY station, terminal",
    )
    .fetch_all(&db.pool)
    .await?
    {
        let held = terminals.entry((r.try_get(0)?, r.try_get(1)?)).or_default();
        held.events = r.try_get::<i64, _>(2)? as u64;
        held.last_sync = time(r.try_get(3)?);
    }
    for r in sqlx::query("SELECT station, terminal, COUNT(*) FROM refusals GROUP BY station, terminal")
        .fetch_all(&db.pool)
        .await?
    {
        let held = terminals.entry((r.try_get(0)?, r.try_get(1)?)).or_default();
        held.refusals = r.try_get::<i64, _>(2)? as u64;
    }
    for ((station, terminal), held) in terminals {
        if let Some(line) = lines.iter_mut().find(|l| l.code == station) {
            line.held.add(&held);
            // Refusals before a terminal was known come as terminal 0.
            if terminal > 0 || held.events > 0 {
                line.terminals.push((terminal, held));
            }
        }
    }
    Ok(lines)
}

/// The enrolled stations by code, for the queue's filter.
pub async fn choices(db: &Db) -> Result<Vec<super::queue::StationChoice>, CountyError> {
    Ok(db
        .station_names()
        .await?
        .into_iter()
        .map(|(code, name)| super::queue::StationChoice { code, name })
        .collect())
}

fn shown(at: Option<DateTime<FixedOffset>>, w: &Work) -> String {
    at.map(|t| zone().show(&t)).unwrap_or_else(|| w.never.to_string())
}

/// The page's content.
pub fn render(w: &Work, lines: &[StationLine], days: u32, today: NaiveDate) -> Markup {
    let silent = lines.iter().filter(|l| l.silent(days, today)).count();
    html! {
        form.filters method="get" action="/office/stations" {
            label { (w.silent_days) " "
                input type="number" name="silent" min="0" max=(MAX_SILENT_DAYS) value=(days) size="4";
            }
            " " button type="submit" { (w.show) }
        }
        p.count { (w.silent_count(silent, days)) }
        table.stations {
            thead { tr {
                th { (w.col_station_code) } th { (w.col_station) } th { (w.col_terminal) }
                th { (w.col_enrolled) } th { (w.col_last_sync) } th { (w.col_events) }
                th { (w.col_refusals) } th {}
            } }
            tbody {
                @for line in lines {
                    @let quiet = line.silent(days, today);
                    tr.station class=[quiet.then_some("silent")] {
                        td { (line.code) }
                        td { (line.name) }
                        td {}
                        td { (line.enrolled_at.map(|t| zone().show(&t)).unwrap_or_default()) }
                        td { (shown(line.held.last_sync, w)) }
                        td { (line.held.events) }
                        td { (line.held.refusals) }
                        td { @if quiet { strong.silent { (w.silent_mark) } } }
                    }
                    @for (terminal, held) in &line.terminals {
                        tr.terminal {
                            td {} td {}
                            td { (terminal) }
                            td {}
                            td { (shown(held.last_sync, w)) }
                            td { (held.events) }
                            td { (held.refusals) }
                            td {}
                        }
                    }
                }
            }
        }
    }
}

/// `GET /office/stations`.
pub async fn page(
    staff: Staff,
    PageLang(lang): PageLang,
    State(shared): State<Shared>,
    query: Result<Query<StationsParams>, QueryRejection>,
) -> Response {
    let w = words(lang);
    let days = query.map(|Query(p)| p).unwrap_or_default().silent_days();
    let lines = match stations(&shared.db).await {
        Ok(lines) => lines,
        Err(e) => return super::server_error("the stations", &e),
    };
    layout::answer(
        StatusCode::OK,
        layout::page(
            lang,
            Some(&staff),
            w.stations,
            render(w, &lines, days, zone().today()),
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::county::db::testing::{enrolled, runtime};
    use crate::i18n::Lang;

    #[test]
    fn stations_show_their_terminals_last_sync_and_refusals() {
        let dir = tempfile::tempdir().unwrap();
        runtime().block_on(async {
            let db = enrolled(dir.path(), "330999012").await;
            db.enroll("330999013", "河东站", "key2", false).await.unwrap();
            for (terminal, seq, at) in [
                (1, 1, "2026-11-01T09:00:00+08:00"),
                (1, 2, "2026-11-20T09:00:00+08:00"),
                (2, 1, "2026-11-10T09:00:00+08:00"),
            ] {
                sqlx::query(
                    "INSERT INTO events (station, terminal, seq, hash, kind, appeal, body, received_at)
                     VALUES ('330999012', $1, $2, 'h', 'k', NULL, '{}', $3)",
                )
                .bind(terminal as i64)
                .bind(seq as i64)
                .bind(at)
                .execute(&db.pool)
                .await
                .unwrap();
            }
            sqlx::query(
                "INSERT INTO refusals (station, terminal, seq, kind, detail, body, at)
                 VALUES ('330999012', 2, 5, 'gap', 'd', NULL, '2026-11-10T09:00:00+08:00')",
            )
            .execute(&db.pool)
            .await
            .unwrap();
            let lines = stations(&db).await.unwrap();
            assert_eq!(lines.len(), 2);
            let first = &lines[0];
            assert_eq!(first.code, "330999012");
            assert_eq!(first.held.events, 3);
            assert_eq!(first.held.refusals, 1);
            assert_eq!(
                first.held.last_sync,
                DateTime::parse_from_rfc3339("2026-11-20T09:00:00+08:00").ok()
            );
            assert_eq!(first.terminals.len(), 2);
            assert_eq!(first.terminals[1].1.refusals, 1);
            let today = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
            assert!(!first.silent(7, today));
            assert!(first.silent(4, today));
            // Never synced: silent.
            assert!(lines[1].silent(7, today));
            let page = render(words(Lang::Zh), &lines, 7, today).into_string();
            assert!(page.contains("超过 7 天未同步的联络站：1 个"), "{page}");
            assert!(page.contains("从未同步"));
        });
    }

    #[test]
    fn silent_days_default_and_cap() {
        let p = |s: &str| StationsParams { silent: s.into() }.silent_days();
        assert_eq!(p(""), DEFAULT_SILENT_DAYS);
        assert_eq!(p("3"), 3);
        assert_eq!(p("999999"), MAX_SILENT_DAYS);
    }
}
