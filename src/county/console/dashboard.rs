//! `/office/dashboard`: the county's figures (`county::figures`) as a
//! page: the rates and overdue now, then each breakdown as a chart drawn
//! on the server (`charts`) with its table beside it, each downloadable as
//! CSV or xlsx (`?chart=…&format=csv|xlsx`, the page's language in the
//! headers). The office and viewers see the county's figures, a unit's
//! staff their unit's alone. `/office/dashboard/{chart}.svg` serves a
//! chart by itself.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use maud::{Markup, PreEscaped, html};

use super::auth::Staff;
use super::charts;
use super::layout::{self, PageLang};
use super::words::W;
use super::words::dashboard as words;
use crate::county::accounts::Role;
use crate::county::figures::{self, Dashboard, Rate};
use crate::county::readable::Table;
use crate::county::server::Shared;
use crate::domain::{Category, Status};
use crate::i18n::Lang;

/// What `/office/dashboard` is asked for: the page, or one table's
/// download (`?chart=status&format=csv`).
#[derive(Debug, Default, serde::Deserialize)]
pub struct Asked {
    #[serde(default)]
    chart: String,
    #[serde(default)]
    format: String,
}

/// Whose figures `staff` sees: a unit's staff their unit's, the office
/// and viewers the county's (None).
fn scope(staff: &Staff) -> Option<String> {
    match staff.role() {
        // A unit's account without a unit (none is made so) sees nothing.
        Role::Unit => Some(
            staff
                .user
                .unit
                .as_ref()
                .map(|(_, name)| name.clone())
                .unwrap_or_default(),
        ),
        Role::Office | Role::Viewer => None,
    }
}

/// The figures `staff` may see, as of today in the county's zone.
async fn figures_for(shared: &Shared, staff: &Staff) -> Result<(Dashboard, Option<String>), Response> {
    let unit = scope(staff);
    let today = crate::county::zone().today();
    match figures::dashboard(&shared.db, unit.as_deref(), today).await {
        Ok(d) => Ok((d, unit)),
        Err(e) => Err(super::server_error("dashboard", &e)),
    }
}

fn no_such_chart(lang: Lang, staff: &Staff) -> Response {
    let text = words::UNKNOWN_CHART.get(lang);
    layout::message(
        lang,
        Some(staff),
        StatusCode::NOT_FOUND,
        words::UNKNOWN_CHART,
        text,
    )
}

/// `GET /office/dashboard`: the page, or with `chart` and `format` one
/// table as CSV or xlsx.
pub async fn page(
    State(shared): State<Shared>,
    staff: Staff,
    PageLang(lang): PageLang,
    asked: Result<Query<Asked>, QueryRejection>,
) -> Response {
    let asked = asked.map(|Query(a)| a).unwrap_or_default();
    let (d, unit) = match figures_for(&shared, &staff).await {
        Ok(found) => found,
        Err(failed) => return failed,
    };
    if asked.chart.is_empty() && asked.format.is_empty() {
        let body = body(&d, unit.as_deref(), lang);
        return layout::answer(
            StatusCode::OK,
            layout::page(lang, Some(&staff), words::TITLE.get(lang), body),
        );
    }
    let Some(chart) = Chart::parse(&asked.chart) else {
        return no_such_chart(lang, &staff);
    };
    let t = table(&d, chart, lang);
    let (bytes, kind) = match asked.format.as_str() {
        "csv" => (t.csv(true), "text/csv; charset=utf-8"),
        "xlsx" => (
            t.xlsx(),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        _ => return no_such_chart(lang, &staff),
    };
    match bytes {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, kind.to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!(
                        "attachment; filename=\"figures-{}.{}\"",
                        chart.slug(),
                        asked.format
                    ),
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => super::server_error("dashboard download", &e),
    }
}

/// `GET /office/dashboard/{chart}.svg`: one chart by itself.
pub async fn chart(
    State(shared): State<Shared>,
    staff: Staff,
    PageLang(lang): PageLang,
    Path(file): Path<String>,
) -> Response {
    let asked = file
        .strip_suffix(".svg")
        .and_then(Chart::parse)
        .filter(|c| c.drawn());
    let Some(chart) = asked else {
        return no_such_chart(lang, &staff);
    };
    let (d, _) = match figures_for(&shared, &staff).await {
        Ok(found) => found,
        Err(failed) => return failed,
    };
    let svg = svg(&d, chart, lang).unwrap_or_default();
    ([(header::CONTENT_TYPE, "image/svg+xml")], svg).into_response()
}

/// A table of the dashboard: the key figures, or a breakdown with its
/// chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Chart {
    Rates,
    Status,
    Category,
    Station,
    Unit,
    Month,
}

impl Chart {
    pub const ALL: [Chart; 6] = [
        Chart::Rates,
        Chart::Status,
        Chart::Category,
        Chart::Station,
        Chart::Unit,
        Chart::Month,
    ];

    /// Its name in paths and queries.
    pub fn slug(self) -> &'static str {
        match self {
            Chart::Rates => "rates",
            Chart::Status => "status",
            Chart::Category => "category",
            Chart::Station => "station",
            Chart::Unit => "unit",
            Chart::Month => "month",
        }
    }

    pub fn parse(slug: &str) -> Option<Chart> {
        Chart::ALL.into_iter().find(|c| c.slug() == slug)
    }

    pub fn title(self, lang: Lang) -> &'static str {
        match self {
            Chart::Rates => words::RATES,
            Chart::Status => words::BY_STATUS,
            Chart::Category => words::BY_CATEGORY,
            Chart::Station => words::BY_STATION,
            Chart::Unit => words::BY_UNIT,
            Chart::Month => words::BY_MONTH,
        }
        .get(lang)
    }

    /// Whether it is drawn (the key figures are a table only).
    pub fn drawn(self) -> bool {
        self != Chart::Rates
    }
}

/// A breakdown's rows as people read them: (label, count).
fn labelled(d: &Dashboard, chart: Chart, lang: Lang) -> Vec<(String, u64)> {
    let word = |items: &[(String, u64)], name: &dyn Fn(&str) -> String| {
        items.iter().map(|(k, n)| (name(k), *n)).collect()
    };
    match chart {
        Chart::Rates => Vec::new(),
        Chart::Status => word(&d.by_status, &|k| {
            Status::parse(k).map_or_else(|| k.to_string(), |s| s.label(lang).to_string())
        }),
        Chart::Category => word(&d.by_category, &|k| {
            Category::parse(k).map_or_else(|| k.to_string(), |c| c.label(lang).to_string())
        }),
        Chart::Station => word(&d.by_station, &|k| {
            d.station_names.get(k).cloned().unwrap_or_else(|| k.to_string())
        }),
        Chart::Unit => d.by_unit.clone(),
        Chart::Month => d.by_month.clone(),
    }
}

/// The key figures' rows: name, value, numerator, denominator, how
/// counted.
fn rates(d: &Dashboard, lang: Lang) -> Vec<Vec<String>> {
    let rate = |name: W, r: Rate, note: W| {
        vec![
            name.get(lang).to_string(),
            r.shown(),
            r.num.to_string(),
            r.den.to_string(),
            note.get(lang).to_string(),
        ]
    };
    let count = |name: W, n: u64, note: &str| {
        vec![
            name.get(lang).to_string(),
            n.to_string(),
            String::new(),
            String::new(),
            note.to_string(),
        ]
    };
    vec![
        count(words::TOTAL, d.total, ""),
        rate(words::CLOSED_RATE, d.closed_rate, words::CLOSED_RATE_NOTE),
        rate(words::ON_TIME_RATE, d.on_time_rate, words::ON_TIME_RATE_NOTE),
        rate(
            words::SATISFIED_RATE,
            d.satisfied_rate,
            words::SATISFIED_RATE_NOTE,
        ),
        count(
            words::OVERDUE_NOW,
            d.overdue_now,
            words::OVERDUE_NOW_NOTE.get(lang),
        ),
    ]
}

/// One table of the dashboard as the page shows it and the downloads
/// hold it.
pub fn table(d: &Dashboard, chart: Chart, lang: Lang) -> Table {
    let headers = |ws: &[W]| ws.iter().map(|w| w.get(lang).to_string()).collect();
    let counted = |first: W| -> (Vec<String>, Vec<Vec<String>>) {
        let rows = labelled(d, chart, lang)
            .into_iter()
            .map(|(label, n)| vec![label, n.to_string()])
            .collect();
        (headers(&[first, words::COUNT]), rows)
    };
    let (headers, rows) = match chart {
        Chart::Rates => (
            headers(&[
                words::FIGURE,
                words::VALUE,
                words::NUMERATOR,
                words::DENOMINATOR,
                words::MEANING,
            ]),
            rates(d, lang),
        ),
        Chart::Status => counted(words::STATUS),
        Chart::Category => counted(words::CATEGORY),
        Chart::Unit => counted(words::UNIT),
        Chart::Month => counted(words::MONTH),
        Chart::Station => (
            headers(&[words::STATION_CODE, words::STATION, words::COUNT]),
            d.by_station
                .iter()
                .map(|(code, n)| {
                    let name = d.station_names.get(code).cloned().unwrap_or_default();
                    vec![code.clone(), name, n.to_string()]
                })
                .collect(),
        ),
    };
    // A breakdown counts in its last column, the key figures in their
    // numerators and denominators (their values are words: "85.7%").
    let counts = match chart {
        Chart::Rates => vec![2, 3],
        _ => vec![headers.len() - 1],
    };
    Table {
        name: chart.title(lang).to_string(),
        headers,
        rows,
        counts,
    }
}

/// A breakdown's chart as SVG (none for the key figures).
pub fn svg(d: &Dashboard, chart: Chart, lang: Lang) -> Option<String> {
    let items = labelled(d, chart, lang);
    match chart {
        Chart::Rates => None,
        Chart::Month => Some(charts::columns(chart.title(lang), &items)),
        _ => Some(charts::bars(chart.title(lang), &items, words::NO_DATA.get(lang))),
    }
}

/// The page's body: whose figures, the key figures, then each breakdown
/// with its chart, its table and its downloads.
pub fn body(d: &Dashboard, unit: Option<&str>, lang: Lang) -> Markup {
    let lang_query = lang.pick("", "&lang=en");
    html! {
        p.scope {
            @match unit {
                Some(unit) => { (words::SCOPE_UNIT.get(lang)) "：" (unit) }
                None => { (words::SCOPE_ALL.get(lang)) }
            }
        }
        @for chart in Chart::ALL {
            @let t = table(d, chart, lang);
            section.figures id=(chart.slug()) {
                h2 { (chart.title(lang)) }
                @if let Some(svg) = svg(d, chart, lang) {
                    figure.chart { (PreEscaped(svg)) }
                }
                table {
                    thead { tr { @for h in &t.headers { th scope="col" { (h) } } } }
                    tbody {
                        @for row in &t.rows {
                            tr { @for cell in row { td { (cell) } } }
                        }
                        @if t.rows.is_empty() {
                            tr { td colspan=(t.headers.len()) { (words::NO_DATA.get(lang)) } }
                        }
                    }
                }
                p.downloads {
                    (words::DOWNLOAD.get(lang)) "："
                    a href={ "/office/dashboard?chart=" (chart.slug()) "&format=csv" (lang_query) } { "CSV" }
                    " · "
                    a href={ "/office/dashboard?chart=" (chart.slug()) "&format=xlsx" (lang_query) } { "XLSX" }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figures() -> Dashboard {
        let pairs = |items: &[(&str, u64)]| items.iter().map(|(k, n)| (k.to_string(), *n)).collect();
        Dashboard {
            by_status: pairs(&[("registered", 1), ("closed", 2)]),
            by_category: pairs(&[("traffic", 3)]),
            by_station: pairs(&[("330999012", 2), ("330999013", 1)]),
            station_names: [("330999012".to_string(), "柳岸社区人大代表联络站".to_string())].into(),
            by_unit: pairs(&[("青禾县交通运输局", 2)]),
            by_month: pairs(&[("2026-11", 1), ("2026-12", 2)]),
            closed_rate: Rate { num: 2, den: 3 },
            on_time_rate: Rate { num: 1, den: 2 },
            satisfied_rate: Rate::default(),
            overdue_now: 1,
            total: 3,
        }
    }

    #[test]
    fn each_table_holds_the_figures_in_words() {
        let d = figures();
        let status = table(&d, Chart::Status, Lang::Zh);
        assert_eq!(status.headers, ["办理状态", "诉求数"]);
        assert_eq!(status.rows, [["已登记", "1"], ["已办结", "2"]]);
        let station = table(&d, Chart::Station, Lang::Zh);
        assert_eq!(station.headers, ["站点代码", "联络站", "诉求数"]);
        assert_eq!(
            station.rows,
            [
                ["330999012", "柳岸社区人大代表联络站", "2"],
                ["330999013", "", "1"]
            ]
        );
        let rates = table(&d, Chart::Rates, Lang::Zh);
        assert_eq!(rates.rows[1][..4], ["办结率", "66.7%", "2", "3"]);
        assert_eq!(rates.rows[3][..4], ["满意率", "—", "0", "0"]);
        assert_eq!(rates.rows[4][..2], ["当前逾期", "1"]);
        let en = table(&d, Chart::Category, Lang::En);
        assert_eq!(en.headers, ["Category", "Appeals"]);
        assert_eq!(en.rows, [["Traffic and parking", "3"]]);
        for chart in Chart::ALL {
            assert_eq!(Chart::parse(chart.slug()), Some(chart));
            assert_eq!(svg(&d, chart, Lang::Zh).is_some(), chart.drawn());
        }
        assert_eq!(Chart::parse("status.svg"), None);
    }

    #[test]
    fn the_page_shows_every_chart_with_its_table_and_downloads() {
        let d = figures();
        let page = body(&d, Some("青禾县交通运输局"), Lang::Zh).into_string();
        assert!(page.contains("本单位承办的诉求：青禾县交通运输局"), "{page}");
        for chart in Chart::ALL {
            assert!(page.contains(&format!("id=\"{}\"", chart.slug())), "{page}");
            for format in ["csv", "xlsx"] {
                let link = format!("/office/dashboard?chart={}&amp;format={format}", chart.slug());
                assert!(page.contains(&link), "{link} in {page}");
            }
        }
        assert_eq!(page.matches("<svg").count(), 5);
        assert!(page.contains("柳岸社区人大代表联络站") && page.contains("66.7%"));
        let en = body(&d, None, Lang::En).into_string();
        assert!(
            en.contains("every station") && en.contains("&amp;lang=en"),
            "{en}"
        );
    }
}
