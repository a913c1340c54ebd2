//! The work queue: the county's appeals filtered, sorted, paged and
//! counted by the database, on the columns `db::save_appeal` keeps beside
//! each appeal's state; and what a search box's text asks for (a code, a
//! code with a typo, or text to find).
//!
//! Every query is built from fixed SQL fragments with the values bound,
//! portable between SQLite and PostgreSQL except where noted (a date's
//! arithmetic, the text search's index). Dates are `YYYY-MM-DD` text, so
//! filters compare them as strings.
//!
//! Text search is a case-insensitive substring of the `search` column
//! (code, title, content, location, unit, reply). Texts of three
//! characters or more are looked up in the search index first (SQLite's
//! FTS5 trigram table `appeals_fts`, PostgreSQL's `pg_trgm` GIN index);
//! the substring test is always made, so the index only narrows.

use crate::domain::calendar::Lateness;
use chrono::{DateTime, FixedOffset, NaiveDate};
use futures_util::TryStreamExt;
use sqlx::Row;

use super::CountyError;
use super::db::{Db, Kind};
use crate::domain::code::CodeError;
use crate::domain::privacy::mask::mask_numbers;
use crate::domain::validate::to_half_width;
use crate::domain::{Category, Satisfaction, Status, TrackingCode};

/// Whose appeals a listing may show: every appeal (the office, viewers)
/// or only those referred to one unit (a unit's staff). Every listing
/// takes one, so that no caller can leave it out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    /// The unit's name as the appeals hold it.
    Unit(String),
}

/// What the queue shows: each field given narrows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueFilter {
    /// A station's code.
    pub station: Option<String>,
    pub status: Option<Status>,
    pub category: Option<Category>,
    /// A unit's name, exactly.
    pub unit: Option<String>,
    /// A deputy's id.
    pub deputy: Option<String>,
    /// Registered on or after this day (the county's zone).
    pub registered_from: Option<NaiveDate>,
    /// Registered on or before this day (the county's zone).
    pub registered_to: Option<NaiveDate>,
    /// Awaiting its unit past the deadline.
    pub overdue: bool,
    /// Awaiting its unit and due from today to this many days on.
    pub due_within: Option<u32>,
    /// Sent back to its unit at least once.
    pub reopened: bool,
    /// A case-insensitive substring of code, title, content, location,
    /// unit or reply.
    pub text: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SortKey {
    Code,
    /// The station's name.
    Station,
    Registered,
    Category,
    Title,
    /// In the closed loop's order.
    Status,
    Unit,
    Deadline,
    DaysOverdue,
    Rounds,
    Satisfaction,
}

impl SortKey {
    pub const ALL: &'static [SortKey] = &[
        SortKey::Code,
        SortKey::Station,
        SortKey::Registered,
        SortKey::Category,
        SortKey::Title,
        SortKey::Status,
        SortKey::Unit,
        SortKey::Deadline,
        SortKey::DaysOverdue,
        SortKey::Rounds,
        SortKey::Satisfaction,
    ];

    /// The key's name in a URL or on the command line.
    pub fn code(self) -> &'static str {
        match self {
            SortKey::Code => "code",
            SortKey::Station => "station",
            SortKey::Registered => "registered",
            SortKey::Category => "category",
            SortKey::Title => "title",
            SortKey::Status => "status",
            SortKey::Unit => "unit",
            SortKey::Deadline => "deadline",
            SortKey::DaysOverdue => "days_overdue",
            SortKey::Rounds => "rounds",
            SortKey::Satisfaction => "satisfaction",
        }
    }

    pub fn parse(text: &str) -> Option<SortKey> {
        let t = text.trim();
        Self::ALL
            .iter()
            .copied()
            .find(|k| k.code().eq_ignore_ascii_case(t) || k.code().replace('_', "-").eq_ignore_ascii_case(t))
    }
}

/// A queue's order: by `key` (rows without a value last, either way),
/// ties by the code's text in the same direction (an index on the key and
/// the code serves both).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    pub key: SortKey,
    pub desc: bool,
}

impl Default for Sort {
    /// The newest first.
    fn default() -> Sort {
        Sort {
            key: SortKey::Registered,
            desc: true,
        }
    }
}

/// One line of the queue.
#[derive(Debug, Clone, PartialEq)]
pub struct QueueRow {
    pub code: String,
    /// The station's code.
    pub station: String,
    pub station_name: String,
    pub registered_at: DateTime<FixedOffset>,
    pub category: Category,
    /// Numbers masked (`mask_numbers`).
    pub title: String,
    pub status: Status,
    pub unit: Option<String>,
    pub deadline: Option<NaiveDate>,
    /// For an appeal awaiting its unit with a deadline: days since the
    /// deadline (negative: days left); None otherwise.
    pub days_overdue: Option<i64>,
    pub round: u32,
    pub chases: u32,
    pub satisfaction: Option<Satisfaction>,
}

impl QueueRow {
    /// How late the appeal is, when it is overdue: in working days by the
    /// county's holiday table (`calendar::Lateness`). The row's `today`
    /// is its deadline plus `days_overdue`.
    pub fn late(&self) -> Option<Lateness> {
        let days = self.days_overdue.filter(|d| *d > 0)?;
        let deadline = self.deadline?;
        let today = deadline + chrono::Days::new(days as u64);
        Some(super::holidays().lateness(deadline, today))
    }
}

/// The largest page the queue serves.
pub const MAX_SIZE: u32 = 1000;

/// A value bound to a query.
enum Value {
    Text(String),
    Int(i64),
}

/// SQL under construction with its bound values, `$1`, `$2`… in order.
struct Built {
    sql: String,
    values: Vec<Value>,
}

impl Built {
    fn new() -> Built {
        Built {
            sql: String::new(),
            values: Vec::new(),
        }
    }

    /// The placeholder of a new bound value.
    fn bind(&mut self, value: Value) -> String {
        self.values.push(value);
        format!("${}", self.values.len())
    }

    fn text(&mut self, value: impl Into<String>) -> String {
        self.bind(Value::Text(value.into()))
    }

    fn query(&self) -> sqlx::query::Query<'_, sqlx::Any, sqlx::any::AnyArguments<'_>> {
        let mut q = sqlx::query(&self.sql);
        for v in &self.values {
            q = match v {
                Value::Text(t) => q.bind(t.as_str()),
                Value::Int(n) => q.bind(*n),
            };
        }
        q
    }
}

/// Statuses that await a handling unit (`Status::awaits_unit`), as SQL.
fn awaiting_unit() -> String {
    let codes: Vec<String> = Status::ALL
        .iter()
        .filter(|s| s.awaits_unit())
        .map(|s| format!("'{}'", s.code()))
        .collect();
    format!("a.status IN ({})", codes.join(", "))
}

/// A vocabulary's column in its declared order: `CASE col WHEN 'code'
/// THEN 0 … END` (NULL for no value).
fn in_order(column: &str, codes: impl Iterator<Item = &'static str>) -> String {
    let mut sql = format!("CASE {column}");
    for (n, code) in codes.enumerate() {
        sql.push_str(&format!(" WHEN '{code}' THEN {n}"));
    }
    sql.push_str(" END");
    sql
}

/// `text` as a LIKE pattern matching it anywhere (escape `\`).
pub(crate) fn contains_pattern(text: &str) -> String {
    let mut p = String::from("%");
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

/// Texts this long or longer use the search index.
pub const INDEXED_CHARS: usize = 3;

/// The `WHERE` of a queue: the scope, then each filter given.
fn where_clause(b: &mut Built, kind: Kind, scope: &Scope, filter: &QueueFilter, today: NaiveDate) {
    let mut terms: Vec<String> = Vec::new();
    if let Scope::Unit(unit) = scope {
        let p = b.text(unit.as_str());
        terms.push(format!("a.unit = {p}"));
    }
    if let Some(station) = filter.station.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        let p = b.text(station);
        terms.push(format!("a.station = {p}"));
    }
    if let Some(status) = filter.status {
        let p = b.text(status.code());
        terms.push(format!("a.status = {p}"));
    }
    if let Some(category) = filter.category {
        let p = b.text(category.code());
        terms.push(format!("a.category = {p}"));
    }
    if let Some(unit) = filter.unit.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        let p = b.text(unit);
        terms.push(format!("a.unit = {p}"));
    }
    if let Some(deputy) = filter.deputy.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        let p = b.text(contains_pattern(&format!(",{deputy},")));
        terms.push(format!("a.deputies LIKE {p} ESCAPE '\\'"));
    }
    if let Some(from) = filter.registered_from {
        let p = b.text(from.to_string());
        terms.push(format!("a.registered_on >= {p}"));
    }
    if let Some(to) = filter.registered_to {
        let p = b.text(to.to_string());
        terms.push(format!("a.registered_on <= {p}"));
    }
    if filter.overdue {
        let p = b.text(today.to_string());
        terms.push(format!("{} AND a.deadline < {p}", awaiting_unit()));
    }
    if let Some(days) = filter.due_within {
        let last = today
            .checked_add_days(chrono::Days::new(u64::from(days)))
            .unwrap_or(NaiveDate::MAX);
        let from = b.text(today.to_string());
        let to = b.text(last.to_string());
        terms.push(format!(
            "{} AND a.deadline >= {from} AND a.deadline <= {to}",
            awaiting_unit()
        ));
    }
    if filter.reopened {
        terms.push("a.reopened = 1".to_string());
    }
    if let Some(text) = filter.text.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        // Text without letters that have a case (Chinese, digits) needs
        // no folding, which PostgreSQL's ILIKE pays for on every row.
        let cased = text.chars().any(|c| c.is_lowercase() || c.is_uppercase());
        let p = b.text(contains_pattern(text));
        match kind {
            Kind::Sqlite => {
                if text.chars().count() >= INDEXED_CHARS {
                    let m = b.text(format!("\"{}\"", text.replace('"', "\"\"")));
                    terms.push(format!(
                        "a.rowid IN (SELECT rowid FROM appeals_fts WHERE appeals_fts MATCH {m})"
                    ));
                }
                terms.push(format!("a.search LIKE {p} ESCAPE '\\'"));
            }
            // The trigram index serves ILIKE itself.
            Kind::Postgres => {
                let like = if cased { "ILIKE" } else { "LIKE" };
                // Too short for a trigram: the index would be read whole
                // (a plan made for any text may choose it), the table is
                // read instead.
                let column = if text.chars().count() >= INDEXED_CHARS {
                    "a.search"
                } else {
                    "(a.search || '')"
                };
                terms.push(format!("{column} {like} {p} ESCAPE '\\'"));
            }
        }
    }
    for (n, term) in terms.iter().enumerate() {
        b.sql.push_str(if n == 0 { " WHERE " } else { " AND " });
        b.sql.push('(');
        b.sql.push_str(term);
        b.sql.push(')');
    }
}

/// Days from an appeal's deadline to `today` (placeholder `today`), for
/// an appeal awaiting its unit; NULL otherwise.
fn days_overdue_sql(kind: Kind, today: &str) -> String {
    let days = match kind {
        Kind::Sqlite => format!("CAST(julianday({today}) - julianday(a.deadline) AS INTEGER)"),
        Kind::Postgres => format!("CAST(CAST({today} AS DATE) - CAST(a.deadline AS DATE) AS BIGINT)"),
    };
    format!(
        "CASE WHEN {} AND a.deadline IS NOT NULL THEN {days} END",
        awaiting_unit()
    )
}

/// The codes' order (`code::cmp_code_text`): by day, station and
/// terminal, then a four-digit sequence before a five-digit one.
fn code_order(dir: &str) -> String {
    format!("SUBSTR(a.code, 1, 18) {dir}, LENGTH(a.code) {dir}, a.code {dir}")
}

/// The `ORDER BY` of `sort` (`today` for days overdue), as expressions
/// of `a` (appeals) and `s` (stations) alone, so that the page's codes
/// can be chosen in a query of their own.
fn order_by(b: &mut Built, kind: Kind, sort: Sort, today: NaiveDate) -> String {
    let dir = if sort.desc { "DESC" } else { "ASC" };
    // Columns every row has; the others put their NULLs last.
    let expression = match sort.key {
        SortKey::Code => return format!(" ORDER BY {}", code_order(dir)),
        SortKey::Station => format!("COALESCE(s.name, a.station) {dir}"),
        SortKey::Registered => format!("a.registered_at {dir}"),
        SortKey::Title => format!("a.title {dir}"),
        SortKey::Rounds => format!("a.round {dir}"),
        SortKey::Category => format!(
            "{} {dir} NULLS LAST",
            in_order("a.category", Category::ALL.iter().map(|c| c.code()))
        ),
        SortKey::Status => format!(
            "{} {dir} NULLS LAST",
            in_order("a.status", Status::ALL.iter().map(|s| s.code()))
        ),
        SortKey::Satisfaction => format!(
            "{} {dir} NULLS LAST",
            in_order("a.satisfaction", Satisfaction::ALL.iter().map(|s| s.code()))
        ),
        SortKey::Unit => format!("a.unit {dir} NULLS LAST"),
        SortKey::Deadline => format!("a.deadline {dir} NULLS LAST"),
        SortKey::DaysOverdue => {
            let today = b.text(today.to_string());
            format!("{} {dir} NULLS LAST", days_overdue_sql(kind, &today))
        }
    };
    format!(" ORDER BY {expression}, a.code {dir}")
}

/// How many appeals a filter wants: all of them counted, or more than
/// this many (a search's count stops there, see `SEARCH_COUNT_CAP`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Total {
    Exact(u64),
    MoreThan(u64),
}

impl Total {
    /// The rows known to be there: the count, or one more than the cap.
    pub fn known(self) -> u64 {
        match self {
            Total::Exact(n) => n,
            Total::MoreThan(n) => n + 1,
        }
    }
}

/// A text search counts its matches up to this many (or up to the page
/// asked for, when deeper): counting every match of a common word reads
/// every matching row, which is most of the time a search takes.
pub const SEARCH_COUNT_CAP: u64 = 10_000;

/// One page (1-based, `size` rows; at most `MAX_SIZE`) of the appeals
/// `scope` and `filter` allow, in `sort`'s order, and how many there are
/// in all. `today` is the county's day, for overdue and due-within.
pub async fn page(
    db: &Db,
    scope: &Scope,
    filter: &QueueFilter,
    sort: Sort,
    page: u32,
    size: u32,
    today: NaiveDate,
) -> Result<(Vec<QueueRow>, u64), CountyError> {
    let (rows, total) = read_page(db, scope, filter, sort, page, size, today, None).await?;
    Ok((rows, total.known()))
}

/// `page` as a person reads it: with a text search, the count stops at
/// `SEARCH_COUNT_CAP` (or at the page asked for, when deeper).
pub async fn search_page(
    db: &Db,
    scope: &Scope,
    filter: &QueueFilter,
    sort: Sort,
    page: u32,
    size: u32,
    today: NaiveDate,
) -> Result<(Vec<QueueRow>, Total), CountyError> {
    let searching = filter.text.as_deref().is_some_and(|t| !t.trim().is_empty());
    let reach = u64::from(page.max(1)) * u64::from(size.clamp(1, MAX_SIZE));
    let cap = searching.then(|| SEARCH_COUNT_CAP.max(reach));
    read_page(db, scope, filter, sort, page, size, today, cap).await
}

#[allow(clippy::too_many_arguments)]
async fn read_page(
    db: &Db,
    scope: &Scope,
    filter: &QueueFilter,
    sort: Sort,
    page: u32,
    size: u32,
    today: NaiveDate,
    cap: Option<u64>,
) -> Result<(Vec<QueueRow>, Total), CountyError> {
    let size = size.clamp(1, MAX_SIZE);
    let offset = i64::from(page.max(1) - 1) * i64::from(size);

    let mut count = Built::new();
    count.sql.push_str(match cap {
        None => "SELECT COUNT(*) FROM appeals a",
        Some(_) => "SELECT COUNT(*) FROM (SELECT 1 FROM appeals a",
    });
    where_clause(&mut count, db.kind, scope, filter, today);
    if let Some(cap) = cap {
        let limit = count.bind(Value::Int(cap.saturating_add(1).min(i64::MAX as u64) as i64));
        count.sql.push_str(&format!(" LIMIT {limit}) counted"));
    }
    let counted: i64 = count.query().fetch_one(&db.pool).await?.try_get(0)?;
    let total = match cap {
        Some(cap) if counted as u64 > cap => Total::MoreThan(cap),
        _ => Total::Exact(counted as u64),
    };
    if counted <= offset {
        return Ok((Vec::new(), total));
    }

    // The page's codes are chosen first, from the filter's and the
    // order's columns alone (an index may hold them all), then its rows
    // are read whole.
    let mut rows = Built::new();
    rows_select(&mut rows, db.kind, today);
    rows.sql
        .push_str(" WHERE a.code IN (SELECT a.code FROM appeals a");
    if sort.key == SortKey::Station {
        rows.sql.push_str(" LEFT JOIN stations s ON s.code = a.station");
    }
    where_clause(&mut rows, db.kind, scope, filter, today);
    let inner = order_by(&mut rows, db.kind, sort, today);
    rows.sql.push_str(&inner);
    let limit = rows.bind(Value::Int(i64::from(size)));
    let skip = rows.bind(Value::Int(offset));
    rows.sql.push_str(&format!(" LIMIT {limit} OFFSET {skip})"));
    let outer = order_by(&mut rows, db.kind, sort, today);
    rows.sql.push_str(&outer);
    let found = rows.query().fetch_all(&db.pool).await?;
    let rows = found.iter().map(queue_row).collect::<Result<Vec<_>, _>>()?;
    Ok((rows, total))
}

/// The `SELECT … FROM` of a queue's rows (`queue_row` reads them).
fn rows_select(b: &mut Built, kind: Kind, today: NaiveDate) {
    let today_p = b.text(today.to_string());
    b.sql.push_str(&format!(
        "SELECT a.code, a.station, COALESCE(s.name, a.station), a.registered_at,
           a.category, a.title, a.status, a.unit, a.deadline, {}, a.round,
           a.chases, a.satisfaction
         FROM appeals a LEFT JOIN stations s ON s.code = a.station",
        days_overdue_sql(kind, &today_p)
    ));
}

/// Every appeal `scope` and `filter` allow, in `sort`'s order, each given
/// to `each` as its row is read (one query read as a stream: the rows are
/// never held together, whatever the county's size); `each` says whether
/// to go on. How many were given.
pub async fn each_row<E: From<CountyError>>(
    db: &Db,
    scope: &Scope,
    filter: &QueueFilter,
    sort: Sort,
    today: NaiveDate,
    mut each: impl FnMut(QueueRow) -> Result<bool, E>,
) -> Result<u64, E> {
    let mut rows = Built::new();
    rows_select(&mut rows, db.kind, today);
    where_clause(&mut rows, db.kind, scope, filter, today);
    let order = order_by(&mut rows, db.kind, sort, today);
    rows.sql.push_str(&order);
    let mut given = 0u64;
    let mut found = rows.query().fetch(&db.pool);
    while let Some(r) = found.try_next().await.map_err(CountyError::from)? {
        given += 1;
        if !each(queue_row(&r)?)? {
            break;
        }
    }
    Ok(given)
}

/// A row's column that does not read as what it holds.
fn unreadable(what: &str, text: &str) -> CountyError {
    CountyError::Db(sqlx::Error::Decode(
        format!("appeals.{what}: {text:?} does not read as one").into(),
    ))
}

fn queue_row(r: &sqlx::any::AnyRow) -> Result<QueueRow, CountyError> {
    let registered: String = r.try_get(3)?;
    let category: String = r.try_get(4)?;
    let title: String = r.try_get(5)?;
    let status: String = r.try_get(6)?;
    let deadline: Option<String> = r.try_get(8)?;
    let satisfaction: Option<String> = r.try_get(12)?;
    Ok(QueueRow {
        code: r.try_get(0)?,
        station: r.try_get(1)?,
        station_name: r.try_get(2)?,
        registered_at: DateTime::parse_from_rfc3339(&registered)
            .map_err(|_| unreadable("registered_at", &registered))?,
        category: Category::parse(&category).ok_or_else(|| unreadable("category", &category))?,
        title: mask_numbers(&title),
        status: Status::parse(&status).ok_or_else(|| unreadable("status", &status))?,
        unit: r.try_get(7)?,
        deadline: match deadline {
            Some(d) => Some(d.parse().map_err(|_| unreadable("deadline", &d))?),
            None => None,
        },
        days_overdue: r.try_get(9)?,
        round: r.try_get::<i64, _>(10)?.clamp(0, i64::from(u32::MAX)) as u32,
        chases: r.try_get::<i64, _>(11)?.clamp(0, i64::from(u32::MAX)) as u32,
        satisfaction: match satisfaction {
            Some(s) => Some(Satisfaction::parse(&s).ok_or_else(|| unreadable("satisfaction", &s))?),
            None => None,
        },
    })
}

/// What a search box's text asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    /// A tracking code, as typed in any of its spellings.
    Code(TrackingCode),
    /// The digits of a code that is not one (a wrong check digit, a date
    /// that is none…): a typo, said as such.
    Typo { given: String, error: CodeError },
    /// Text to find (trimmed).
    Text(String),
}

/// Reads a search box's text: a code, a code-shaped text that is not a
/// code (digits, dashes and spaces only, as many digits as a code has),
/// or else text to find.
pub fn parse_query(q: &str) -> Query {
    let given = q.trim();
    match given.parse::<TrackingCode>() {
        Ok(code) => Query::Code(code),
        Err(error) => {
            let half = to_half_width(given);
            let shaped = half.chars().all(|c| c.is_ascii_digit() || c == '-' || c == ' ');
            let digits = half.chars().filter(char::is_ascii_digit).count();
            if shaped
                && (digits == crate::domain::code::CODE_DIGITS
                    || digits == crate::domain::code::LONG_CODE_DIGITS)
            {
                Query::Typo {
                    given: given.to_string(),
                    error,
                }
            } else {
                Query::Text(given.to_string())
            }
        }
    }
}

/// The appeals the tests list, shared with the integration tests.
#[cfg(test)]
#[path = "../../tests/it/support/queue_fixture.rs"]
mod queue_fixture;
/// The domain as `queue_fixture` names it.
#[cfg(test)]
use crate::domain;

#[cfg(test)]
mod tests {
    use std::cmp::Ordering;

    use chrono::Duration;

    use super::*;
    use crate::county::db::save_appeal;
    use crate::county::db::testing::runtime;
    use crate::domain::Appeal;
    use crate::domain::code::cmp_code_text;

    use super::queue_fixture::{self, STATIONS, UNITS};

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
    }

    fn fixture(n: u32) -> Vec<(String, Appeal)> {
        queue_fixture::fixture(n, today())
    }

    async fn county(dir: &std::path::Path, held: &[(String, Appeal)]) -> Db {
        let db = Db::open(dir, None).await.unwrap();
        for (code, name) in STATIONS {
            db.enroll(code, name, "key", false).await.unwrap();
        }
        let mut conn = db.pool.acquire().await.unwrap();
        for (station, appeal) in held {
            save_appeal(&mut conn, station, appeal).await.unwrap();
        }
        db
    }

    fn station_name(code: &str) -> &'static str {
        STATIONS.iter().find(|(c, _)| *c == code).unwrap().1
    }

    fn days_overdue(a: &Appeal) -> Option<i64> {
        a.deadline
            .filter(|_| a.status.awaits_unit())
            .map(|d| (today() - d).num_days())
    }

    fn position<T: PartialEq>(all: &[T], v: T) -> usize {
        all.iter().position(|x| *x == v).unwrap()
    }

    /// The queue's order, worked out here: by the key, rows without a
    /// value last either way, ties by code in the same direction.
    fn expected_order(held: &mut [(String, Appeal)], sort: Sort) {
        fn key_cmp<T: Ord>(a: Option<T>, b: Option<T>, desc: bool) -> Ordering {
            match (a, b) {
                (Some(a), Some(b)) if desc => b.cmp(&a),
                (Some(a), Some(b)) => a.cmp(&b),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            }
        }
        held.sort_by(|(sa, a), (sb, b)| {
            let d = sort.desc;
            let by_key = match sort.key {
                SortKey::Code => Ordering::Equal,
                SortKey::Station => key_cmp(Some(station_name(sa)), Some(station_name(sb)), d),
                SortKey::Registered => key_cmp(
                    Some(a.registered_at.to_rfc3339()),
                    Some(b.registered_at.to_rfc3339()),
                    d,
                ),
                SortKey::Category => key_cmp(
                    Some(position(Category::ALL, a.category)),
                    Some(position(Category::ALL, b.category)),
                    d,
                ),
                SortKey::Title => key_cmp(Some(&a.title), Some(&b.title), d),
                SortKey::Status => key_cmp(
                    Some(position(Status::ALL, a.status)),
                    Some(position(Status::ALL, b.status)),
                    d,
                ),
                SortKey::Unit => key_cmp(a.unit.as_ref(), b.unit.as_ref(), d),
                SortKey::Deadline => key_cmp(a.deadline, b.deadline, d),
                SortKey::DaysOverdue => key_cmp(days_overdue(a), days_overdue(b), d),
                SortKey::Rounds => key_cmp(Some(a.round), Some(b.round), d),
                SortKey::Satisfaction => key_cmp(
                    a.satisfaction.map(|s| position(Satisfaction::ALL, s)),
                    b.satisfaction.map(|s| position(Satisfaction::ALL, s)),
                    d,
                ),
            };
            let by_code = match sort.key {
                SortKey::Code => cmp_code_text(a.code.as_str(), b.code.as_str()),
                _ => a.code.as_str().cmp(b.code.as_str()),
            };
            by_key.then(if d { by_code.reverse() } else { by_code })
        });
    }

    fn codes(rows: &[QueueRow]) -> Vec<String> {
        rows.iter().map(|r| r.code.clone()).collect()
    }

    async fn all(db: &Db, scope: &Scope, filter: &QueueFilter, sort: Sort) -> (Vec<QueueRow>, u64) {
        page(db, scope, filter, sort, 1, MAX_SIZE, today()).await.unwrap()
    }

    #[test]
    fn every_sort_key_orders_both_ways_with_empty_values_last() {
        let dir = tempfile::tempdir().unwrap();
        let held = fixture(60);
        runtime().block_on(async {
            let db = county(dir.path(), &held).await;
            for &key in SortKey::ALL {
                for desc in [false, true] {
                    let sort = Sort { key, desc };
                    let mut want = held.clone();
                    expected_order(&mut want, sort);
                    let want: Vec<String> = want.iter().map(|(_, a)| a.code.to_string()).collect();
                    let (rows, total) = all(&db, &Scope::All, &QueueFilter::default(), sort).await;
                    assert_eq!(total, 60);
                    assert_eq!(codes(&rows), want, "{sort:?}");
                }
            }
        });
    }

    #[test]
    fn rows_carry_the_station_name_masked_titles_and_days_overdue() {
        let dir = tempfile::tempdir().unwrap();
        let held = fixture(30);
        runtime().block_on(async {
            let db = county(dir.path(), &held).await;
            let sort = Sort {
                key: SortKey::Code,
                desc: false,
            };
            let (rows, _) = all(&db, &Scope::All, &QueueFilter::default(), sort).await;
            let mut by_code = held.clone();
            expected_order(&mut by_code, sort);
            for (row, (station, a)) in rows.iter().zip(&by_code) {
                assert_eq!(row.code, a.code.as_str());
                assert_eq!(row.station, *station);
                assert_eq!(row.station_name, station_name(station));
                assert_eq!(row.registered_at, a.registered_at);
                assert_eq!(row.category, a.category);
                assert_eq!(row.title, mask_numbers(&a.title));
                assert!(row.title.contains("138****"), "{}", row.title);
                assert_eq!(row.status, a.status);
                assert_eq!(row.unit, a.unit);
                assert_eq!(row.deadline, a.deadline);
                assert_eq!(row.days_overdue, days_overdue(a), "{}", a.code);
                assert_eq!((row.round, row.chases), (a.round, a.chases));
                assert_eq!(row.satisfaction, a.satisfaction);
            }
            assert!(rows.iter().any(|r| r.days_overdue.is_some_and(|d| d > 0)));
            assert!(rows.iter().any(|r| r.days_overdue.is_some_and(|d| d < 0)));
        });
    }

    #[test]
    fn every_filter_keeps_exactly_its_rows_and_the_count_says_how_many() {
        let dir = tempfile::tempdir().unwrap();
        let held = fixture(80);
        runtime().block_on(async {
            let db = county(dir.path(), &held).await;
            let day = |d: u32| NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
            type Check = Box<dyn Fn(&str, &Appeal) -> bool>;
            let cases: Vec<(QueueFilter, Check)> = vec![
                (
                    QueueFilter {
                        station: Some(" 330999013 ".into()),
                        ..QueueFilter::default()
                    },
                    Box::new(|s, _| s == "330999013"),
                ),
                (
                    QueueFilter {
                        status: Some(Status::InProgress),
                        ..QueueFilter::default()
                    },
                    Box::new(|_, a| a.status == Status::InProgress),
                ),
                (
                    QueueFilter {
                        category: Some(Category::Housing),
                        ..QueueFilter::default()
                    },
                    Box::new(|_, a| a.category == Category::Housing),
                ),
                (
                    QueueFilter {
                        unit: Some(UNITS[1].into()),
                        ..QueueFilter::default()
                    },
                    Box::new(|_, a| a.unit.as_deref() == Some(UNITS[1])),
                ),
                (
                    QueueFilter {
                        deputy: Some("D002".into()),
                        ..QueueFilter::default()
                    },
                    Box::new(|_, a| a.deputies.iter().any(|d| d.id == "D002")),
                ),
                (
                    QueueFilter {
                        registered_from: Some(day(10)),
                        registered_to: Some(day(20)),
                        ..QueueFilter::default()
                    },
                    Box::new(move |_, a| (day(10)..=day(20)).contains(&a.registered_at.date_naive())),
                ),
                (
                    QueueFilter {
                        overdue: true,
                        ..QueueFilter::default()
                    },
                    Box::new(|_, a| a.status.awaits_unit() && a.deadline.is_some_and(|d| d < today())),
                ),
                (
                    QueueFilter {
                        due_within: Some(3),
                        ..QueueFilter::default()
                    },
                    Box::new(|_, a| {
                        a.status.awaits_unit()
                            && a.deadline
                                .is_some_and(|d| d >= today() && d <= today() + Duration::days(3))
                    }),
                ),
                (
                    QueueFilter {
                        reopened: true,
                        ..QueueFilter::default()
                    },
                    Box::new(|_, a| a.round > 0),
                ),
                (
                    QueueFilter {
                        status: Some(Status::Referred),
                        unit: Some(UNITS[0].into()),
                        overdue: true,
                        ..QueueFilter::default()
                    },
                    Box::new(|_, a| {
                        a.status == Status::Referred
                            && a.unit.as_deref() == Some(UNITS[0])
                            && a.deadline.is_some_and(|d| d < today())
                    }),
                ),
            ];
            let sort = Sort {
                key: SortKey::Code,
                desc: false,
            };
            for (filter, check) in cases {
                let mut want: Vec<_> = held.iter().filter(|(s, a)| check(s, a)).cloned().collect();
                expected_order(&mut want, sort);
                let want: Vec<String> = want.iter().map(|(_, a)| a.code.to_string()).collect();
                assert!(!want.is_empty() && want.len() < held.len(), "{filter:?} chooses");
                let (rows, total) = all(&db, &Scope::All, &filter, sort).await;
                assert_eq!(codes(&rows), want, "{filter:?}");
                assert_eq!(total, want.len() as u64, "{filter:?}");
            }
        });
    }

    #[test]
    fn a_units_scope_shows_only_its_appeals_whatever_the_filter_asks() {
        let dir = tempfile::tempdir().unwrap();
        let held = fixture(40);
        runtime().block_on(async {
            let db = county(dir.path(), &held).await;
            let scope = Scope::Unit(UNITS[2].into());
            let mine = held
                .iter()
                .filter(|(_, a)| a.unit.as_deref() == Some(UNITS[2]))
                .count();
            assert!(mine > 0);
            let (rows, total) = all(&db, &scope, &QueueFilter::default(), Sort::default()).await;
            assert_eq!((rows.len(), total), (mine, mine as u64));
            assert!(rows.iter().all(|r| r.unit.as_deref() == Some(UNITS[2])));
            // Asking for another unit's appeals finds none.
            let other = QueueFilter {
                unit: Some(UNITS[0].into()),
                ..QueueFilter::default()
            };
            assert_eq!(all(&db, &scope, &other, Sort::default()).await.1, 0);
            let nobody = Scope::Unit("不存在的单位".into());
            assert_eq!(
                all(&db, &nobody, &QueueFilter::default(), Sort::default())
                    .await
                    .1,
                0
            );
        });
    }

    #[test]
    fn pages_of_any_size_put_together_are_the_whole_list() {
        let dir = tempfile::tempdir().unwrap();
        let held = fixture(23);
        runtime().block_on(async {
            let db = county(dir.path(), &held).await;
            let sort = Sort {
                key: SortKey::Deadline,
                desc: true,
            };
            let filter = QueueFilter::default();
            let (whole, _) = all(&db, &Scope::All, &filter, sort).await;
            for size in [1, 2, 5, 7, 22, 23, 50] {
                let mut joined = Vec::new();
                for n in 1.. {
                    let (rows, total) = page(&db, &Scope::All, &filter, sort, n, size, today())
                        .await
                        .unwrap();
                    assert_eq!(total, 23);
                    if rows.is_empty() {
                        break;
                    }
                    assert!(rows.len() <= size as usize);
                    joined.extend(rows);
                }
                assert_eq!(codes(&joined), codes(&whole), "size {size}");
            }
            // Page 0 is the first; a size of 0 is one row.
            let (first, _) = page(&db, &Scope::All, &filter, sort, 0, 0, today())
                .await
                .unwrap();
            assert_eq!(codes(&first), codes(&whole[..1]));
            let (past, total) = page(&db, &Scope::All, &filter, sort, u32::MAX, MAX_SIZE, today())
                .await
                .unwrap();
            assert_eq!((past.len(), total), (0, 23));
        });
    }

    #[test]
    fn a_search_counts_up_to_its_cap_and_pages_on_past_it() {
        let dir = tempfile::tempdir().unwrap();
        let held = fixture(20);
        runtime().block_on(async {
            let db = county(dir.path(), &held).await;
            let sort = Sort {
                key: SortKey::Code,
                desc: false,
            };
            let today = NaiveDate::from_ymd_opt(2026, 12, 6).unwrap();
            let filter = QueueFilter {
                text: Some("停车".into()),
                ..QueueFilter::default()
            };
            let (_, exact) = page(&db, &Scope::All, &filter, sort, 1, 50, today).await.unwrap();
            assert!(exact > 3, "the fixture has several matches: {exact}");
            let counted = |cap: u64, number: u32, size: u32| {
                let db = db.clone();
                let filter = filter.clone();
                async move {
                    read_page(&db, &Scope::All, &filter, sort, number, size, today, Some(cap))
                        .await
                        .unwrap()
                }
            };
            // Under the cap, the count is exact; over it, "more than".
            assert_eq!(counted(exact, 1, 2).await.1, Total::Exact(exact));
            let (rows, total) = counted(3, 1, 2).await;
            assert_eq!((rows.len(), total), (2, Total::MoreThan(3)));
            assert_eq!(Total::MoreThan(3).known(), 4);
            // The rows are those of the uncapped page.
            let (all, _) = page(&db, &Scope::All, &filter, sort, 2, 2, today).await.unwrap();
            assert_eq!(codes(&counted(3, 2, 2).await.0), codes(&all));
            // Without text, the console's page counts every row.
            let (_, total) = search_page(&db, &Scope::All, &QueueFilter::default(), sort, 1, 5, today)
                .await
                .unwrap();
            assert_eq!(total, Total::Exact(held.len() as u64));
        });
    }

    #[test]
    fn text_is_found_anywhere_in_the_searched_fields_short_or_long() {
        let dir = tempfile::tempdir().unwrap();
        let mut held = fixture(20);
        held[3].1.reply = Some("已协调供电所更换灯泡，100% 完成".into());
        held[4].1.location = "白沙镇_东村".into();
        runtime().block_on(async {
            let db = county(dir.path(), &held).await;
            let found = |text: &str| {
                let db = db.clone();
                let filter = QueueFilter {
                    text: Some(text.to_string()),
                    ..QueueFilter::default()
                };
                async move {
                    let sort = Sort {
                        key: SortKey::Code,
                        desc: false,
                    };
                    let (rows, total) = all(&db, &Scope::All, &filter, sort).await;
                    assert_eq!(total, rows.len() as u64);
                    let mut c = codes(&rows);
                    c.sort_by(|a, b| cmp_code_text(a, b));
                    c
                }
            };
            let want = |f: &dyn Fn(&Appeal) -> bool| queue_fixture::codes_where(&held, f);
            let in_text = |t: &'static str| move |a: &Appeal| a.title.contains(t) || a.content.contains(t);
            for t in ["停车", "噪音", "小区停车难", "老旧小区加装", "路灯不亮"] {
                let w = want(&in_text(t));
                assert!(!w.is_empty(), "{t}");
                assert_eq!(found(t).await, w, "{t}");
            }
            // ASCII without regard to case, long or short.
            assert_eq!(found("noise").await, want(&in_text("Noise")));
            assert_eq!(found("NO").await, want(&in_text("Noise")));
            // The reply, the location, the unit and the code are searched.
            let code = held[5].1.code.to_string();
            assert_eq!(found("灯泡").await, [held[3].1.code.to_string()]);
            assert_eq!(found("供电所更换").await, [held[3].1.code.to_string()]);
            assert_eq!(found("100%").await, [held[3].1.code.to_string()]);
            assert_eq!(found("镇_东").await, [held[4].1.code.to_string()]);
            assert_eq!(found(&code).await, [code]);
            let unit = held.iter().find_map(|(_, a)| a.unit.clone()).unwrap();
            assert_eq!(
                found(&unit).await,
                want(&|a: &Appeal| a.unit.as_deref() == Some(&unit))
            );
            // Wildcards and quotes are text.
            assert_eq!(found("%").await, [held[3].1.code.to_string()]);
            assert_eq!(found("_").await, [held[4].1.code.to_string()]);
            assert!(found("\"路灯\"").await.is_empty());
            assert!(found("没有这段话").await.is_empty());
            // The index follows a change of the text.
            let mut changed = held[3].1.clone();
            changed.reply = Some("改为另行答复".into());
            let mut conn = db.pool.acquire().await.unwrap();
            save_appeal(&mut conn, &held[3].0, &changed).await.unwrap();
            drop(conn);
            assert!(found("供电所更换").await.is_empty());
            assert_eq!(found("另行答复").await, [held[3].1.code.to_string()]);
        });
    }

    #[test]
    fn a_query_is_a_code_a_typo_or_text() {
        let code =
            TrackingCode::new(NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(), "330999012", 2, 15).unwrap();
        assert_eq!(parse_query(code.as_str()), Query::Code(code.clone()));
        assert_eq!(
            parse_query(&format!("  {}  ", code.digits())),
            Query::Code(code.clone())
        );
        let mut typo = code.as_str().to_string();
        let last = typo.pop().unwrap();
        typo.push(if last == '0' { '1' } else { '0' });
        match parse_query(&typo) {
            Query::Typo {
                given,
                error: CodeError::Check { typed, expected },
            } => {
                assert_eq!(given, typo);
                assert_eq!(expected, last);
                assert_ne!(typed, last);
            }
            other => panic!("{other:?}"),
        }
        // Code-shaped, with a day that is none.
        assert!(matches!(
            parse_query("261399-330999012-20015-0"),
            Query::Typo { .. }
        ));
        assert_eq!(parse_query(" 路灯 "), Query::Text("路灯".into()));
        assert_eq!(parse_query("2611"), Query::Text("2611".into()));
        assert_eq!(parse_query("330999012"), Query::Text("330999012".into()));
        assert_eq!(parse_query(""), Query::Text(String::new()));
    }

    #[test]
    fn sort_keys_read_back_from_their_codes() {
        for &key in SortKey::ALL {
            assert_eq!(SortKey::parse(key.code()), Some(key));
        }
        assert_eq!(SortKey::parse("Days-Overdue"), Some(SortKey::DaysOverdue));
        assert_eq!(SortKey::parse("nothing"), None);
    }
}
