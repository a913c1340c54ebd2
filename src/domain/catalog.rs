//! The catalog: one compact row per appeal, held in memory for the list and
//! for search. Rows are stored in the database as a projection (one line of
//! text per appeal) so that loading 100,000 of them is a plain scan with no
//! JSON parsing.

use std::borrow::Cow;

use chrono::NaiveDate;

use super::appeal::{Appeal, Category, Status, Urgency};
use super::code::cmp_code_text;
use super::search::{Query, appeal_text, gb_boundary, gb_decode, gb_encode, gb_find};

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
const LINE_VERSION: &str = "2";

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

/// Where a string lives in the catalog's text arena.
#[derive(Debug, Clone, Copy, Default)]
struct Span {
    chunk: u32,
    start: u32,
    len: u32,
}

/// Text storage in fixed-size chunks: appending never moves what is there
/// (no doubling copies while 100,000 rows load) and nothing per string
/// lives on the heap on its own. Text is kept in GB18030, two bytes for a
/// Chinese character where UTF-8 takes three.
#[derive(Debug, Default, Clone)]
struct Arena {
    chunks: Vec<Vec<u8>>,
}

const CHUNK: usize = 1 << 20;

impl Arena {
    fn push(&mut self, s: &[u8]) -> Span {
        let fits = self
            .chunks
            .last()
            .is_some_and(|c| c.capacity() - c.len() >= s.len());
        if !fits {
            self.chunks.push(Vec::with_capacity(CHUNK.max(s.len())));
        }
        let chunk = self.chunks.len() - 1;
        let c = &mut self.chunks[chunk];
        let start = c.len();
        c.extend_from_slice(s);
        Span {
            chunk: chunk as u32,
            start: start as u32,
            len: s.len() as u32,
        }
    }

    fn get(&self, span: Span) -> &[u8] {
        self.chunks
            .get(span.chunk as usize)
            .and_then(|c| c.get(span.start as usize..(span.start + span.len) as usize))
            .unwrap_or(&[])
    }

    fn bytes(&self) -> usize {
        self.chunks.iter().map(Vec::capacity).sum()
    }
}

/// A piece of an entry's text: offset and length in bytes.
#[derive(Debug, Clone, Copy, Default)]
struct Field {
    at: u16,
    len: u16,
}

/// One appeal in the catalog: fixed-size, its strings in one run of the
/// arena. The run is the search text (`search` bytes long), then whatever
/// display field did not appear in it verbatim, then the deputy ids.
#[derive(Debug, Clone)]
struct Entry {
    /// The code's text, padded with zero bytes (24 or 25 characters).
    code: [u8; CODE_BYTES],
    date: NaiveDate,
    deadline: Option<NaiveDate>,
    status: Status,
    category: Category,
    urgency: Urgency,
    text: Span,
    search: u16,
    title: Field,
    visitor: Field,
    phone: Field,
    deputies: Field,
}

/// Room for the longest code text (`YYMMDD-SSSSSSSSS-TNNNNN-C`).
const CODE_BYTES: usize = 25;

impl Entry {
    fn code(&self) -> &str {
        let len = self.code.iter().position(|&b| b == 0).unwrap_or(CODE_BYTES);
        std::str::from_utf8(&self.code[..len]).unwrap_or("")
    }
}

/// A view of one catalog row.
#[derive(Debug, Clone)]
pub struct RowRef<'a> {
    pub code: &'a str,
    pub date: NaiveDate,
    pub status: Status,
    pub category: Category,
    pub urgency: Urgency,
    pub deadline: Option<NaiveDate>,
    pub visitor: Cow<'a, str>,
    pub phone: Cow<'a, str>,
    pub title: Cow<'a, str>,
    deputies: Cow<'a, str>,
}

impl RowRef<'_> {
    pub fn is_overdue(&self, today: NaiveDate) -> bool {
        self.status.awaits_unit() && self.deadline.is_some_and(|d| d < today)
    }

    /// Deputy ids.
    pub fn deputies(&self) -> impl Iterator<Item = &str> {
        self.deputies.split(LIST_SEP).filter(|d| !d.is_empty())
    }

    pub fn has_deputy(&self, id: &str) -> bool {
        self.deputies().any(|d| d == id)
    }
}

/// Every appeal as a compact row in code order (oldest first), for the list
/// and for search. Updated rows leave their old text behind in the arena
/// until the catalog is next loaded; that is a few bytes per change.
#[derive(Debug, Default, Clone)]
pub struct Catalog {
    rows: Vec<Entry>,
    arena: Arena,
}

impl Catalog {
    /// Builds from rows in any order.
    pub fn from_rows(mut rows: Vec<CatalogRow>) -> Catalog {
        rows.sort_by(|a, b| cmp_code_text(&a.code, &b.code));
        let mut c = Catalog::default();
        for row in rows {
            c.upsert(row);
        }
        c
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Bytes held (rows and text), for the benchmark and the log.
    pub fn heap_bytes(&self) -> usize {
        self.rows.capacity() * std::mem::size_of::<Entry>() + self.arena.bytes()
    }

    pub fn row(&self, index: usize) -> Option<RowRef<'_>> {
        let e = self.rows.get(index)?;
        let text = self.arena.get(e.text);
        let field = |f: Field| {
            gb_decode(
                text.get(f.at as usize..f.at as usize + f.len as usize)
                    .unwrap_or(&[]),
            )
        };
        Some(RowRef {
            code: e.code(),
            date: e.date,
            status: e.status,
            category: e.category,
            urgency: e.urgency,
            deadline: e.deadline,
            visitor: field(e.visitor),
            phone: field(e.phone),
            title: field(e.title),
            deputies: field(e.deputies),
        })
    }

    /// An entry's deputy ids (GB18030 bytes; ids are ASCII).
    fn deputy_ids<'a>(&'a self, e: &Entry) -> impl Iterator<Item = &'a [u8]> {
        let text = self.arena.get(e.text);
        let f = e.deputies;
        text.get(f.at as usize..f.at as usize + f.len as usize)
            .unwrap_or(&[])
            .split(|b| *b == LIST_SEP as u8)
            .filter(|d| !d.is_empty())
    }

    /// What search matches for an entry.
    fn search_text(&self, e: &Entry) -> &[u8] {
        let text = self.arena.get(e.text);
        &text[..(e.search as usize).min(text.len())]
    }

    /// The row as an owned value (to write it out again).
    pub fn owned_row(&self, index: usize) -> Option<CatalogRow> {
        let e = self.rows.get(index)?;
        let r = self.row(index)?;
        Some(CatalogRow {
            code: r.code.to_string(),
            date: r.date,
            status: r.status,
            category: r.category,
            urgency: r.urgency,
            deadline: r.deadline,
            deputies: r.deputies().map(str::to_string).collect(),
            visitor: r.visitor.to_string(),
            phone: r.phone.to_string(),
            title: r.title.to_string(),
            text: gb_decode(self.search_text(e)).into_owned(),
        })
    }

    /// Adds a row or replaces the row with the same code. Rows arriving in
    /// code order (loading, new registrations) are appended.
    pub fn upsert(&mut self, row: CatalogRow) {
        if row.code.is_empty() || row.code.len() > CODE_BYTES {
            return;
        }
        let mut code = [0u8; CODE_BYTES];
        code[..row.code.len()].copy_from_slice(row.code.as_bytes());
        let mut bytes = gb_encode(&row.text);
        // Texts are capped far below this (content and reply 4,000
        // characters each); the cut only keeps offsets in 16 bits.
        let cap = u16::MAX as usize - 4096;
        if bytes.len() > cap {
            let mut end = cap;
            while !gb_boundary(&bytes, end) {
                end -= 1;
            }
            bytes.truncate(end);
        }
        let search = bytes.len() as u16;
        // A display field is stored once: as a piece of the search text
        // when it appears there verbatim, otherwise after it.
        let place = |field: &str, bytes: &mut Vec<u8>| {
            let enc = gb_encode(field);
            if enc.is_empty() {
                return Field::default();
            }
            let at = gb_find(&bytes[..search as usize], &enc).unwrap_or_else(|| {
                bytes.push(LIST_SEP as u8);
                bytes.extend_from_slice(&enc);
                bytes.len() - enc.len()
            });
            Field {
                at: at as u16,
                len: enc.len().min(1024) as u16,
            }
        };
        let title = place(&row.title, &mut bytes);
        let visitor = place(&row.visitor, &mut bytes);
        let phone = place(&row.phone, &mut bytes);
        bytes.push(LIST_SEP as u8);
        let mut ids = gb_encode(&row.deputies.join(&LIST_SEP.to_string()));
        ids.truncate(1024);
        let deputies = Field {
            at: bytes.len() as u16,
            len: ids.len().min(1024) as u16,
        };
        bytes.extend_from_slice(&ids);
        let text = self.arena.push(&bytes);
        let entry = Entry {
            code,
            date: row.date,
            deadline: row.deadline,
            status: row.status,
            category: row.category,
            urgency: row.urgency,
            text,
            search,
            title,
            visitor,
            phone,
            deputies,
        };
        let after_last = self
            .rows
            .last()
            .is_none_or(|last| cmp_code_text(last.code(), &row.code).is_lt());
        if after_last {
            self.rows.push(entry);
            return;
        }
        match self.rows.binary_search_by(|r| cmp_code_text(r.code(), &row.code)) {
            Ok(i) => self.rows[i] = entry,
            Err(i) => self.rows.insert(i, entry),
        }
    }

    /// Appeals received per deputy id between two dates (inclusive).
    pub fn count_by_deputy(
        &self,
        from: NaiveDate,
        to: NaiveDate,
    ) -> std::collections::HashMap<String, usize> {
        let mut counts = std::collections::HashMap::new();
        for r in self.rows.iter().filter(|r| r.date >= from && r.date <= to) {
            for id in self.deputy_ids(r) {
                *counts.entry(gb_decode(id).into_owned()).or_insert(0) += 1;
            }
        }
        counts
    }

    /// Indexes of matching rows, newest first.
    pub fn select(&self, filter: &Filter, today: NaiveDate) -> Vec<usize> {
        let query = Query::gb18030(&filter.query);
        let deputy = filter.deputy.as_ref().map(|d| gb_encode(d));
        self.rows
            .iter()
            .enumerate()
            .rev()
            .filter(|(_, r)| {
                filter.status.is_none_or(|s| r.status == s)
                    && filter.category.is_none_or(|c| r.category == c)
                    && filter.from.is_none_or(|d| r.date >= d)
                    && filter.to.is_none_or(|d| r.date <= d)
                    && (!filter.overdue || (r.status.awaits_unit() && r.deadline.is_some_and(|d| d < today)))
                    && deputy
                        .as_ref()
                        .is_none_or(|d| self.deputy_ids(r).any(|x| x == d.as_slice()))
                    && (query.is_empty() || query.matches_bytes(self.search_text(r), r.code()))
            })
            .map(|(i, _)| i)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(code: &str, title: &str, text: &str) -> CatalogRow {
        CatalogRow {
            code: code.into(),
            date: NaiveDate::from_ymd_opt(2026, 11, 20).unwrap(),
            status: Status::Referred,
            category: Category::Traffic,
            urgency: Urgency::Normal,
            deadline: NaiveDate::from_ymd_opt(2026, 11, 1),
            deputies: vec!["D001".into(), "D002".into()],
            visitor: "王小明".into(),
            phone: "13800001234".into(),
            title: title.into(),
            text: text.into(),
        }
    }

    #[test]
    fn five_digit_codes_are_kept_in_sequence_order_and_found() {
        use crate::domain::TrackingCode;
        let d = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
        let code = |seq| TrackingCode::new(d, "330999012", 1, seq).unwrap().to_string();
        let (short, long, longer, last) = (code(9_999), code(10_000), code(10_001), code(2));
        let mut c = Catalog::from_rows(vec![
            row(&longer, "c", "c"),
            row(&short, "a", "a"),
            row(&long, "b", "b"),
        ]);
        // Arriving out of order, after the long ones: put in its place.
        c.upsert(row(&last, "0", "0"));
        let order: Vec<String> = (0..c.len()).map(|i| c.row(i).unwrap().code.to_string()).collect();
        assert_eq!(order, [last, short, long.clone(), longer]);
        assert_eq!(c.row(2).unwrap().code.len(), 25);
        // Found by its 22 digits, with or without dashes, and by the sequence.
        let digits: String = long.chars().filter(char::is_ascii_digit).collect();
        for q in [digits.as_str(), long.as_str(), "110000"] {
            let filter = Filter {
                query: q.into(),
                ..Filter::default()
            };
            assert_eq!(c.select(&filter, d), vec![2], "{q}");
        }
        // Replacing a long code's row keeps one row.
        c.upsert(row(&long, "b2", "b2"));
        assert_eq!(c.len(), 4);
        assert_eq!(c.row(2).unwrap().title, "b2");
    }

    #[test]
    fn oversized_text_is_cut_on_a_character() {
        let mut c = Catalog::default();
        let huge: String = "停车".repeat(40_000);
        c.upsert(row("261120-330999012-10001-5", "很长的标题", &huge));
        let r = c.row(0).unwrap();
        assert_eq!(r.title, "很长的标题");
        assert!(r.has_deputy("D001"));
        let kept = c.owned_row(0).unwrap().text;
        assert!(kept.len() < huge.len() && kept.chars().all(|ch| ch == '停' || ch == '车'));
    }

    #[test]
    fn rows_keep_their_fields_and_order() {
        let mut c = Catalog::from_rows(vec![
            row(
                "261120-330999012-10002-8",
                "Parking",
                "parking\u{1f}王小明\u{1f}13800001234\u{1f}停车难",
            ),
            row(
                "261120-330999012-10001-5",
                "电梯",
                "电梯\u{1f}王小明\u{1f}13800001234",
            ),
        ]);
        let first = c.row(0).unwrap();
        assert_eq!(first.code, "261120-330999012-10001-5");
        assert_eq!(
            (first.title.as_ref(), first.visitor.as_ref(), first.phone.as_ref()),
            ("电梯", "王小明", "13800001234")
        );
        assert!(first.has_deputy("D002") && !first.has_deputy("D00"));
        // A title that is not in the normalised text verbatim is kept as typed.
        assert_eq!(c.row(1).unwrap().title, "Parking");
        let today = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        let hits = |c: &Catalog, q: &str| {
            c.select(
                &Filter {
                    query: q.into(),
                    ..Filter::default()
                },
                today,
            )
        };
        assert_eq!(hits(&c, "停车"), vec![1]);
        assert_eq!(hits(&c, "王小明"), vec![1, 0]);
        assert_eq!(hits(&c, "10001"), vec![0]);
        assert_eq!(hits(&c, "2611203309990121000"), vec![1, 0]);
        let overdue = c.select(
            &Filter {
                overdue: true,
                deputy: Some("D001".into()),
                ..Filter::default()
            },
            today,
        );
        assert_eq!(overdue, vec![1, 0]);
        let day = NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
        assert_eq!(c.count_by_deputy(day, day).get("D002"), Some(&2));
        assert!(c.count_by_deputy(today, today).is_empty());
        // Deputy ids and display fields kept beside the text are not searched.
        assert!(hits(&c, "d002").is_empty());
        assert_eq!(
            c.owned_row(1).unwrap().text,
            "parking\u{1f}王小明\u{1f}13800001234\u{1f}停车难"
        );
        c.upsert(row("261120-330999012-10001-5", "电梯加装", "电梯加装"));
        assert_eq!(c.len(), 2);
        assert_eq!(c.row(0).unwrap().title, "电梯加装");
        assert!(hits(&c, "王小明") == vec![1]);
    }
}
