//! The catalog: one compact row per appeal, held in memory for the list and
//! for search. Rows are stored in the database as a projection (one line of
//! text per appeal) so that loading 100,000 of them is a plain scan with no
//! JSON parsing.

use chrono::NaiveDate;

use super::appeal::{Appeal, Category, Status, Urgency};
use super::search::{Query, appeal_text};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogRow {
    pub code: String,
    pub date: NaiveDate,
    pub status: Status,
    pub category: Category,
    pub urgency: Urgency,
    pub deadline: Option<NaiveDate>,
    /// Deputy ids.
    pub deputies: Vec<String>,
    pub visitor: String,
    pub phone: String,
    pub title: String,
    /// Normalised search text (see `search::appeal_text`).
    pub text: String,
}

const SEP: char = '\u{1e}';
const LIST_SEP: char = '\u{1d}';
const LINE_VERSION: &str = "1";

impl CatalogRow {
    pub fn from_appeal(a: &Appeal) -> CatalogRow {
        CatalogRow {
            code: a.code.as_str().to_string(),
            date: a.registered_at.date_naive(),
            status: a.status,
            category: a.category,
            urgency: a.urgency,
            deadline: a.deadline,
            deputies: a.deputies.iter().map(|d| d.id.clone()).collect(),
            visitor: a.visitor.name.clone(),
            phone: a.visitor.phone.clone(),
            title: a.title.clone(),
            text: appeal_text(a),
        }
    }

    pub fn is_overdue(&self, today: NaiveDate) -> bool {
        self.status.awaits_unit() && self.deadline.is_some_and(|d| d < today)
    }

    /// The stored form: versioned, separator-delimited.
    pub fn to_line(&self) -> String {
        let deadline = self.deadline.map(|d| d.to_string()).unwrap_or_default();
        let deputies = self.deputies.join(&LIST_SEP.to_string());
        [
            LINE_VERSION,
            &self.code,
            &self.date.to_string(),
            self.status.code(),
            self.category.code(),
            self.urgency.code(),
            &deadline,
            &deputies,
            &self.visitor,
            &self.phone,
            &self.title,
            &self.text,
        ]
        .join(&SEP.to_string())
    }

    pub fn from_line(line: &str) -> Option<CatalogRow> {
        let mut f = line.split(SEP);
        if f.next()? != LINE_VERSION {
            return None;
        }
        let code = f.next()?.to_string();
        let date = f.next()?.parse().ok()?;
        let status = Status::parse(f.next()?)?;
        let category = Category::parse(f.next()?)?;
        let urgency = Urgency::parse(f.next()?)?;
        let deadline = match f.next()? {
            "" => None,
            d => Some(d.parse().ok()?),
        };
        let deputies = match f.next()? {
            "" => Vec::new(),
            d => d.split(LIST_SEP).map(str::to_string).collect(),
        };
        let visitor = f.next()?.to_string();
        let phone = f.next()?.to_string();
        let title = f.next()?.to_string();
        let text = f.next()?.to_string();
        Some(CatalogRow {
            code,
            date,
            status,
            category,
            urgency,
            deadline,
            deputies,
            visitor,
            phone,
            title,
            text,
        })
    }
}

/// What the appeals list shows: every field optional, all must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    pub status: Option<Status>,
    pub category: Option<Category>,
    pub deputy: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub overdue: bool,
    pub query: String,
}

impl Filter {
    pub fn is_empty(&self) -> bool {
        *self == Filter::default()
    }
}

/// Rows in code order (oldest first).
#[derive(Debug, Default, Clone)]
pub struct Catalog {
    rows: Vec<CatalogRow>,
}

impl Catalog {
    /// Builds from rows in any order.
    pub fn from_rows(mut rows: Vec<CatalogRow>) -> Catalog {
        rows.sort_by(|a, b| a.code.cmp(&b.code));
        Catalog { rows }
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn row(&self, index: usize) -> Option<&CatalogRow> {
        self.rows.get(index)
    }

    pub fn upsert(&mut self, row: CatalogRow) {
        match self.rows.binary_search_by(|r| r.code.as_str().cmp(&row.code)) {
            Ok(i) => self.rows[i] = row,
            Err(i) => self.rows.insert(i, row),
        }
    }

    /// Indexes of matching rows, newest first.
    pub fn select(&self, filter: &Filter, today: NaiveDate) -> Vec<usize> {
        let query = Query::new(&filter.query);
        self.rows
            .iter()
            .enumerate()
            .rev()
            .filter(|(_, r)| {
                filter.status.is_none_or(|s| r.status == s)
                    && filter.category.is_none_or(|c| r.category == c)
                    && filter.deputy.as_ref().is_none_or(|d| r.deputies.contains(d))
                    && filter.from.is_none_or(|d| r.date >= d)
                    && filter.to.is_none_or(|d| r.date <= d)
                    && (!filter.overdue || r.is_overdue(today))
                    && (query.is_empty() || query.matches(&r.text))
            })
            .map(|(i, _)| i)
            .collect()
    }
}
