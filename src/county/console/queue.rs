//! The work queue (`/office/queue`): every station's appeals filtered,
//! sorted and paged by the database (`county::queue::page`), a search box
//! whose code opens the appeal and whose text searches the appeals'
//! texts, and the filtered list downloaded as CSV or XLSX in words.
//!
//! The page reads its filters from the query string (a GET form), so
//! that every link (a column's sort, the next page) keeps them.

use axum::extract::rejection::QueryRejection;
use axum::extract::{self, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use maud::{Markup, html};
use serde::Deserialize;

use super::auth::Staff;
use super::layout::{self, PageLang};
use super::words::work::{Work, words};
use crate::county::accounts::Role;
use crate::county::db::Db;
use crate::county::queue::{self, Query, QueueFilter, QueueRow, Scope, Sort, SortKey};
use crate::county::server::Shared;
use crate::county::{CountyError, zone};
use crate::domain::{Category, Satisfaction, Status};
use crate::i18n::Lang;

/// The page sizes offered; any other up to `MAX_SIZE` is taken from the
/// query string.
pub const SIZES: [u32; 3] = [20, 50, 100];
pub const DEFAULT_SIZE: u32 = 50;
pub const MAX_SIZE: u32 = 500;
/// The most days "due within" takes.
pub const MAX_DUE_DAYS: u32 = 3650;
/// The rows a download reads from the database at a time.
const DOWNLOAD_BATCH: u32 = queue::MAX_SIZE;
/// The most rows a download holds (a narrower filter gets the rest).
pub const MAX_DOWNLOAD: usize = 100_000;

/// The queue's query string as a browser sends it: every field a text,
/// empty when the form's box was left empty.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct QueueParams {
    pub station: String,
    pub status: String,
    pub category: String,
    pub unit: String,
    pub deputy: String,
    pub from: String,
    pub to: String,
    pub overdue: String,
    pub due: String,
    pub reopened: String,
    pub q: String,
    pub sort: String,
    pub desc: String,
    pub page: String,
    pub size: String,
}

/// The sortable columns: the sort key and its header.
pub fn columns(w: &Work) -> [(SortKey, &'static str); 11] {
    [
        (SortKey::Code, w.col_code),
        (SortKey::Station, w.col_station),
        (SortKey::Registered, w.col_registered),
        (SortKey::Category, w.col_category),
        (SortKey::Title, w.col_title),
        (SortKey::Status, w.col_status),
        (SortKey::Unit, w.col_unit),
        (SortKey::Deadline, w.col_deadline),
        (SortKey::DaysOverdue, w.col_days_overdue),
        (SortKey::Rounds, w.col_rounds),
        (SortKey::Satisfaction, w.col_satisfaction),
    ]
}

fn given(text: &str) -> Option<String> {
    let t = text.trim();
    (!t.is_empty()).then(|| t.to_string())
}

fn ticked(text: &str) -> bool {
    !matches!(text.trim(), "" | "0" | "false" | "off")
}

fn date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()
}

impl QueueParams {
    /// The filter these parameters ask for (a text to search aside:
    /// `search` says what the box holds).
    pub fn filter(&self) -> QueueFilter {
        QueueFilter {
            station: given(&self.station),
            status: Status::parse(&self.status),
            category: Category::parse(&self.category),
            unit: given(&self.unit),
            deputy: given(&self.deputy),
            registered_from: date(&self.from),
            registered_to: date(&self.to),
            overdue: ticked(&self.overdue),
            due_within: self.due.trim().parse::<u32>().ok().map(|d| d.min(MAX_DUE_DAYS)),
            reopened: ticked(&self.reopened),
            text: None,
        }
    }

    /// What the search box asks for, if anything.
    pub fn search(&self) -> Option<Query> {
        given(&self.q).map(|q| queue::parse_query(&q))
    }

    /// The sort asked for: by registration, newest first, unless told.
    pub fn sort(&self) -> Sort {
        match SortKey::parse(&self.sort) {
            Some(key) => Sort {
                key,
                desc: ticked(&self.desc),
            },
            None => Sort::default(),
        }
    }

    /// The name of the sort column as links carry it.
    fn sort_name(&self) -> &'static str {
        self.sort().key.code()
    }

    /// The page (from 1).
    pub fn page(&self) -> u32 {
        self.page
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|p| *p >= 1)
            .unwrap_or(1)
    }

    /// Rows a page: any from 1 to `MAX_SIZE`.
    pub fn size(&self) -> u32 {
        self.size
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|s| *s >= 1)
            .map(|s| s.min(MAX_SIZE))
            .unwrap_or(DEFAULT_SIZE)
    }

    /// The query string of these parameters (empty ones left out) with
    /// `sort`, `desc` and `page` as given.
    pub fn query_with(&self, sort: &str, desc: bool, page: u32) -> String {
        let mut pairs = self.filters();
        if !self.q.trim().is_empty() {
            pairs.push(("q", self.q.trim().to_string()));
        }
        pairs.push(("sort", sort.to_string()));
        if desc {
            pairs.push(("desc", "1".to_string()));
        }
        pairs.push(("size", self.size().to_string()));
        pairs.push(("page", page.to_string()));
        query_string(&pairs)
    }

    /// The filters given (not the search box's text, the sort or the page).
    fn filters(&self) -> Vec<(&'static str, String)> {
        [
            ("station", &self.station),
            ("status", &self.status),
            ("category", &self.category),
            ("unit", &self.unit),
            ("deputy", &self.deputy),
            ("from", &self.from),
            ("to", &self.to),
            ("overdue", &self.overdue),
            ("due", &self.due),
            ("reopened", &self.reopened),
        ]
        .into_iter()
        .filter(|(_, v)| !v.trim().is_empty())
        .map(|(k, v)| (k, v.trim().to_string()))
        .collect()
    }

    /// The query string that keeps everything but the page.
    fn same_with_page(&self, page: u32) -> String {
        self.query_with(self.sort_name(), self.sort().desc, page)
    }
}

/// `k=v&…`, each value percent-encoded as a form would.
pub fn query_string(pairs: &[(&str, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// A value percent-encoded for a query string.
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// How many pages `total` rows make at `size` a page (at least one).
pub fn pages(total: u64, size: u32) -> u32 {
    total
        .div_ceil(u64::from(size.max(1)))
        .clamp(1, u64::from(u32::MAX)) as u32
}

/// An enrolled station for the filter's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StationChoice {
    pub code: String,
    pub name: String,
}

/// What the queue page shows.
pub struct QueueView<'a> {
    pub params: &'a QueueParams,
    pub stations: &'a [StationChoice],
    /// The catalogue's units by name.
    pub units: &'a [String],
    pub rows: &'a [QueueRow],
    pub total: queue::Total,
    /// A code typed with a wrong check character: its words.
    pub typo: Option<String>,
}

/// The queue's content (the frame is the layout's).
pub fn render(w: &Work, view: &QueueView) -> Markup {
    let params = view.params;
    let sort = params.sort();
    let size = params.size();
    let pages = pages(view.total.known(), size);
    let page = params.page().min(pages);
    let downloads = params.same_with_page(1);
    html! {
        form.search method="get" action="/office/queue" {
            // A search within the filters as they are.
            @for (name, value) in params.filters() {
                input type="hidden" name=(name) value=(value);
            }
            label { (w.search) " "
                input type="search" name="q" value=(params.q) placeholder=(w.search_hint) size="40";
            }
            " " button type="submit" { (w.search_go) }
        }
        @if let Some(typo) = &view.typo {
            p.error role="alert" { strong { (w.code_typo) "：" } (typo) }
        }
        (filter_form(w, view))
        p.count {
            @match view.total {
                queue::Total::Exact(total) => (w.count(total, page, pages)),
                queue::Total::MoreThan(cap) => (w.count_more(cap, page)),
            }
        }
        @if view.rows.is_empty() {
            p.empty { (w.nothing_found) }
        } @else {
            p.muted { (w.sort_hint) }
            table.queue {
                thead { tr {
                    @for (key, label) in columns(w) {
                        @let current = sort.key == key;
                        @let desc = current && !sort.desc;
                        th {
                            a href={ "/office/queue?" (params.query_with(key.code(), desc, 1)) } {
                                (label)
                                @if current { (if sort.desc { " ▼" } else { " ▲" }) }
                            }
                        }
                    }
                } }
                tbody {
                    @for row in view.rows {
                        (queue_row(w, row))
                    }
                }
            }
        }
        nav.pager {
            @if page > 1 {
                a rel="prev" href={ "/office/queue?" (params.same_with_page(page - 1)) } { (w.previous) }
                " "
            }
            @if page < pages {
                a rel="next" href={ "/office/queue?" (params.same_with_page(page + 1)) } { (w.next) }
            }
        }
        p.downloads {
            a href={ "/office/queue.csv?" (downloads) } { (w.download_csv) }
            " · "
            a href={ "/office/queue.xlsx?" (downloads) } { (w.download_xlsx) }
        }
    }
}

fn queue_row(w: &Work, row: &QueueRow) -> Markup {
    let lang = w.lang;
    let overdue = row.days_overdue.is_some_and(|d| d > 0);
    html! {
        tr class=[overdue.then_some("overdue")] {
            td { a href={ "/office/a/" (row.code) } { (row.code) } }
            td title=(row.station) { (row.station_name) }
            td { (zone().show(&row.registered_at)) }
            td { (row.category.label(lang)) }
            td { (row.title) }
            td { (row.status.label(lang)) }
            td { (row.unit.as_deref().unwrap_or("")) }
            td { (row.deadline.map(|d| d.to_string()).unwrap_or_default()) }
            td {
                @if let Some(late) = row.late() {
                    strong.overdue { (late.text(lang)) }
                }
            }
            td { (row.round + 1) }
            td { (row.satisfaction.map(|s| s.label(lang)).unwrap_or("")) }
        }
    }
}

fn filter_form(w: &Work, view: &QueueView) -> Markup {
    let p = view.params;
    let lang = w.lang;
    let size = p.size();
    html! {
        form.filters method="get" action="/office/queue" {
            fieldset {
                legend { (w.filters) }
                input type="hidden" name="q" value=(p.q);
                input type="hidden" name="sort" value=(p.sort_name());
                @if p.sort().desc { input type="hidden" name="desc" value="1"; }
                label { (w.station) " "
                    select name="station" {
                        option value="" { (w.any) }
                        @for s in view.stations {
                            option value=(s.code) selected[p.station.trim() == s.code] { (s.name) " (" (s.code) ")" }
                        }
                    }
                }
                label { (w.status) " "
                    select name="status" {
                        option value="" { (w.any) }
                        @for s in Status::ALL {
                            option value=(s.code()) selected[Status::parse(&p.status) == Some(*s)] { (s.label(lang)) }
                        }
                    }
                }
                label { (w.category) " "
                    select name="category" {
                        option value="" { (w.any) }
                        @for c in Category::ALL {
                            option value=(c.code()) selected[Category::parse(&p.category) == Some(*c)] { (c.label(lang)) }
                        }
                    }
                }
                label { (w.unit) " "
                    select name="unit" {
                        option value="" { (w.any) }
                        @for u in view.units {
                            option value=(u) selected[p.unit.trim() == u] { (u) }
                        }
                    }
                }
                label { (w.deputy) " "
                    input type="text" name="deputy" value=(p.deputy) placeholder=(w.deputy_hint) size="8";
                }
                label { (w.registered_from) " " input type="date" name="from" value=(p.from); }
                label { (w.registered_to) " " input type="date" name="to" value=(p.to); }
                label { input type="checkbox" name="overdue" value="1" checked[ticked(&p.overdue)]; " " (w.overdue) }
                label { (w.due_within) " "
                    input type="number" name="due" min="0" max=(MAX_DUE_DAYS) value=(p.due) size="4";
                    " " (w.days)
                }
                label { input type="checkbox" name="reopened" value="1" checked[ticked(&p.reopened)]; " " (w.reopened) }
                label { (w.page_size) " "
                    select name="size" {
                        @for s in SIZES {
                            option value=(s) selected[size == s] { (s) }
                        }
                        @if !SIZES.contains(&size) {
                            option value=(size) selected { (size) }
                        }
                        @if size != MAX_SIZE {
                            option value=(MAX_SIZE) { (w.at_most(MAX_SIZE)) }
                        }
                    }
                }
                button type="submit" { (w.apply_filters) }
                " "
                a href="/office/queue" { (w.clear_filters) }
            }
        }
    }
}

/// The columns of a download, in order.
fn download_header(w: &Work) -> [&'static str; 13] {
    [
        w.col_code,
        w.col_station,
        w.col_station_code,
        w.col_registered,
        w.col_category,
        w.col_title,
        w.col_status,
        w.col_unit,
        w.col_deadline,
        w.col_days_overdue,
        w.col_rounds,
        w.col_chases,
        w.col_satisfaction,
    ]
}

/// A row of a download in words: dates in the county's zone, statuses,
/// categories and ratings in the reader's language.
fn download_cells(row: &QueueRow, lang: Lang) -> [String; 13] {
    [
        row.code.clone(),
        row.station_name.clone(),
        row.station.clone(),
        zone().show(&row.registered_at),
        row.category.label(lang).to_string(),
        row.title.clone(),
        row.status.label(lang).to_string(),
        row.unit.clone().unwrap_or_default(),
        row.deadline.map(|d| d.to_string()).unwrap_or_default(),
        row.late().map(|late| late.count(lang)).unwrap_or_default(),
        (row.round + 1).to_string(),
        row.chases.to_string(),
        row.satisfaction
            .map(|s: Satisfaction| s.label(lang))
            .unwrap_or("")
            .to_string(),
    ]
}

/// A cell that a spreadsheet would read as a formula gets a quote in
/// front (= + - @ tab CR).
fn inert(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell.to_string(),
    }
}

/// Every row the filter wants (at most `MAX_DOWNLOAD`), in the sort asked for.
pub async fn all_rows(
    db: &Db,
    scope: &Scope,
    filter: &QueueFilter,
    sort: Sort,
    today: NaiveDate,
) -> Result<Vec<QueueRow>, CountyError> {
    let mut rows = Vec::new();
    let mut page = 1;
    loop {
        let (batch, total) = queue::page(db, scope, filter, sort, page, DOWNLOAD_BATCH, today).await?;
        let last = batch.len() < DOWNLOAD_BATCH as usize;
        rows.extend(batch);
        if last || rows.len() as u64 >= total || rows.len() >= MAX_DOWNLOAD {
            rows.truncate(MAX_DOWNLOAD);
            return Ok(rows);
        }
        page += 1;
    }
}

/// The rows as CSV: a UTF-8 byte-order mark (for Excel), a header in
/// words, one row an appeal.
pub fn csv_bytes(rows: &[QueueRow], lang: Lang) -> Result<Vec<u8>, csv::Error> {
    let w = words(lang);
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut writer = csv::Writer::from_writer(&mut out);
        writer.write_record(download_header(w))?;
        for row in rows {
            writer.write_record(download_cells(row, lang).iter().map(|c| inert(c)))?;
        }
        writer.flush()?;
    }
    Ok(out)
}

/// The rows as an XLSX workbook: one sheet, a bold header, every cell text.
pub fn xlsx_bytes(rows: &[QueueRow], lang: Lang) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let w = words(lang);
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.set_name(lang.pick("诉求", "appeals"))?;
    let bold = rust_xlsxwriter::Format::new().set_bold();
    for (col, name) in download_header(w).iter().enumerate() {
        sheet.write_string_with_format(0, col as u16, *name, &bold)?;
    }
    for (n, row) in rows.iter().enumerate() {
        for (col, cell) in download_cells(row, lang).iter().enumerate() {
            if !cell.is_empty() {
                sheet.write_string(n as u32 + 1, col as u16, cell)?;
            }
        }
    }
    sheet.set_freeze_panes(1, 0)?;
    book.save_to_buffer()
}

/// Whose appeals `staff` may list: a unit's staff their unit's only.
pub fn scope_of(staff: &Staff) -> Scope {
    match (staff.role(), &staff.user.unit) {
        (Role::Unit, Some((_, unit))) => Scope::Unit(unit.clone()),
        // A unit's account without a unit: a name no appeal holds.
        (Role::Unit, None) => Scope::Unit(String::new()),
        (Role::Office | Role::Viewer, _) => Scope::All,
    }
}

/// The parameters of a query string that reads, else none.
pub fn params_of(query: Result<extract::Query<QueueParams>, QueryRejection>) -> QueueParams {
    query.map(|extract::Query(p)| p).unwrap_or_default()
}

/// `GET /office/queue`: the page, or the appeal a searched code names.
pub async fn page(
    staff: Staff,
    PageLang(lang): PageLang,
    State(shared): State<Shared>,
    query: Result<extract::Query<QueueParams>, QueryRejection>,
) -> Response {
    let params = params_of(query);
    let w = words(lang);
    let mut filter = params.filter();
    let mut typo = None;
    match params.search() {
        Some(Query::Code(code)) => return Redirect::to(&format!("/office/a/{code}")).into_response(),
        Some(Query::Typo { error, .. }) => typo = Some(error.message(lang)),
        Some(Query::Text(text)) => filter.text = Some(text),
        None => {}
    }
    let db = &shared.db;
    let today = zone().today();
    let found = async {
        let stations = super::stations::choices(db).await?;
        // Disabled units too: older appeals name them.
        let units = crate::county::units::list(db, true).await?;
        let (rows, total) = queue::search_page(
            db,
            &scope_of(&staff),
            &filter,
            params.sort(),
            params.page(),
            params.size(),
            today,
        )
        .await?;
        Ok::<_, CountyError>((stations, units, rows, total))
    }
    .await;
    let (stations, units, rows, total) = match found {
        Ok(found) => found,
        Err(e) => return super::server_error("the work queue", &e),
    };
    let units: Vec<String> = units.into_iter().map(|u| u.name).collect();
    let view = QueueView {
        params: &params,
        stations: &stations,
        units: &units,
        rows: &rows,
        total,
        typo,
    };
    layout::answer(
        StatusCode::OK,
        layout::page(lang, Some(&staff), w.queue, render(w, &view)),
    )
}

/// A download's file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Csv,
    Xlsx,
}

/// The filtered list (the search box's text too) in the page's order, as
/// a file to download.
async fn download(staff: Staff, lang: Lang, shared: Shared, params: QueueParams, format: Format) -> Response {
    let mut filter = params.filter();
    if let Some(Query::Text(text)) = params.search() {
        filter.text = Some(text);
    }
    let today = zone().today();
    let rows = match all_rows(&shared.db, &scope_of(&staff), &filter, params.sort(), today).await {
        Ok(rows) => rows,
        Err(e) => return super::server_error("the queue as a file", &e),
    };
    let (made, content_type, name) = match format {
        Format::Csv => (
            csv_bytes(&rows, lang).map_err(|e| e.to_string()),
            "text/csv; charset=utf-8",
            "appeals.csv",
        ),
        Format::Xlsx => (
            xlsx_bytes(&rows, lang).map_err(|e| e.to_string()),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            "appeals.xlsx",
        ),
    };
    let bytes = match made {
        Ok(bytes) => bytes,
        Err(e) => return super::server_error("the queue as a file", &e),
    };
    let mut response = bytes.into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    response
}

/// `GET /office/queue.csv`: the filtered list as CSV.
pub async fn csv_download(
    staff: Staff,
    PageLang(lang): PageLang,
    State(shared): State<Shared>,
    query: Result<extract::Query<QueueParams>, QueryRejection>,
) -> Response {
    download(staff, lang, shared, params_of(query), Format::Csv).await
}

/// `GET /office/queue.xlsx`: the filtered list as an XLSX workbook.
pub async fn xlsx_download(
    staff: Staff,
    PageLang(lang): PageLang,
    State(shared): State<Shared>,
    query: Result<extract::Query<QueueParams>, QueryRejection>,
) -> Response {
    download(staff, lang, shared, params_of(query), Format::Xlsx).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(query: &str) -> QueueParams {
        serde_urlencoded_like(query)
    }

    /// The parameters a query string gives (as axum's `Query` reads it).
    fn serde_urlencoded_like(query: &str) -> QueueParams {
        let uri: axum::http::Uri = format!("/office/queue?{query}").parse().unwrap();
        axum::extract::Query::<QueueParams>::try_from_uri(&uri).unwrap().0
    }

    #[test]
    fn an_empty_form_asks_for_everything_newest_first() {
        let p = params("station=&status=&category=&unit=&deputy=&from=&to=&due=&q=");
        let f = p.filter();
        assert_eq!(f.station, None);
        assert_eq!(f.status, None);
        assert_eq!(f.due_within, None);
        assert!(!f.overdue && !f.reopened);
        assert!(p.search().is_none());
        let sort = p.sort();
        assert!(sort.key == SortKey::Registered && sort.desc);
        assert_eq!((p.page(), p.size()), (1, DEFAULT_SIZE));
    }

    #[test]
    fn filled_fields_become_the_filter() {
        let p = params(
            "station=330999012&status=referred&category=traffic&unit=%E9%9D%92%E7%A6%BE%E5%8E%BF%E4%BA%A4%E9%80%9A%E8%BF%90%E8%BE%93%E5%B1%80\
             &deputy=D001&from=2026-11-01&to=2026-11-30&overdue=1&due=7&reopened=1&sort=deadline&desc=1&page=3&size=20",
        );
        let f = p.filter();
        assert_eq!(f.station.as_deref(), Some("330999012"));
        assert_eq!(f.status, Some(Status::Referred));
        assert_eq!(f.category, Some(Category::Traffic));
        assert_eq!(f.unit.as_deref(), Some("青禾县交通运输局"));
        assert_eq!(f.deputy.as_deref(), Some("D001"));
        assert_eq!(f.registered_from, NaiveDate::from_ymd_opt(2026, 11, 1));
        assert_eq!(f.registered_to, NaiveDate::from_ymd_opt(2026, 11, 30));
        assert!(f.overdue && f.reopened);
        assert_eq!(f.due_within, Some(7));
        let sort = p.sort();
        assert!(sort.key == SortKey::Deadline && sort.desc);
        assert_eq!((p.page(), p.size()), (3, 20));
    }

    #[test]
    fn sizes_and_pages_stay_in_range() {
        assert_eq!(params("size=5000").size(), MAX_SIZE);
        assert_eq!(params("size=0").size(), DEFAULT_SIZE);
        assert_eq!(params("size=x").size(), DEFAULT_SIZE);
        assert_eq!(params("size=7").size(), 7);
        assert_eq!(params("page=0").page(), 1);
        assert_eq!(params("due=99999").filter().due_within, Some(MAX_DUE_DAYS));
        assert_eq!(pages(0, 20), 1);
        assert_eq!(pages(41, 20), 3);
        assert_eq!(pages(40, 20), 2);
    }

    #[test]
    fn links_keep_the_filters_and_encode_them() {
        let p = params("unit=%E4%BD%8F%E5%BB%BA%E5%B1%80&overdue=1&q=a%26b&size=20");
        let q = p.query_with("title", false, 2);
        assert_eq!(
            q,
            "unit=%E4%BD%8F%E5%BB%BA%E5%B1%80&overdue=1&q=a%26b&sort=title&size=20&page=2"
        );
        // Read back, the same parameters.
        let back = params(&q);
        assert_eq!(back.unit, "住建局");
        assert_eq!(back.q, "a&b");
        assert_eq!(back.page(), 2);
    }

    #[test]
    fn formulas_are_made_inert() {
        assert_eq!(inert("=1+1"), "'=1+1");
        assert_eq!(inert("-3"), "'-3");
        assert_eq!(inert("停车"), "停车");
    }
}
