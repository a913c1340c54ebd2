//! The catalog: one compact row per appeal, held in memory for the list and
//! for search. Rows are stored in the database as a projection (one line of
//! text per appeal) so that loading 100,000 of them is a plain scan with no
//! JSON parsing.

use std::borrow::Cow;

use chrono::{Datelike, NaiveDate};

use super::appeal::{Appeal, Category, ReplyClass, Route, Satisfaction, Status, Urgency};
use super::code::cmp_code_text;
use super::points;
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
    /// The handling unit, while one is named.
    pub unit: String,
    pub handling: Handling,
}

/// What the station's figures need of an appeal's handling (`report`,
/// `points`), kept in its row so that a report never reads the appeals.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Handling {
    pub route: Route,
    /// The last rating.
    pub satisfaction: Option<Satisfaction>,
    pub reply_class: Option<ReplyClass>,
    /// Times handled again (重新办理).
    pub round: u32,
    /// The first reply that applied.
    pub answered_on: Option<NaiveDate>,
    /// The last rating, when it was 满意 or 基本满意.
    pub satisfied_on: Option<NaiveDate>,
    /// The last closing, while closed.
    pub closed_on: Option<NaiveDate>,
}

impl Default for Handling {
    fn default() -> Self {
        Handling {
            route: Route::ALL[0],
            satisfaction: None,
            reply_class: None,
            round: 0,
            answered_on: None,
            satisfied_on: None,
            closed_on: None,
        }
    }
}

impl Handling {
    pub fn of(a: &Appeal) -> Handling {
        Handling {
            route: a.route,
            satisfaction: a.satisfaction,
            reply_class: a.reply_class,
            round: a.round,
            answered_on: points::answered_on(a),
            satisfied_on: points::satisfied_on(a),
            closed_on: points::closed_on(a),
        }
    }
}

const SEP: char = '\u{1e}';
const LIST_SEP: char = '\u{1d}';
const LINE_VERSION: &str = "3";

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
            unit: a.unit.clone().unwrap_or_default(),
            handling: Handling::of(a),
        }
    }

    pub fn is_overdue(&self, today: NaiveDate) -> bool {
        self.status.awaits_unit() && self.deadline.is_some_and(|d| d < today)
    }

    /// The stored form: versioned, separator-delimited.
    pub fn to_line(&self) -> String {
        let deadline = self.deadline.map(|d| d.to_string()).unwrap_or_default();
        let deputies = self.deputies.join(&LIST_SEP.to_string());
        let h = &self.handling;
        let day = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
        let handling = [
            h.route.code().to_string(),
            h.satisfaction.map(|s| s.code()).unwrap_or_default().to_string(),
            h.reply_class.map(|c| c.code()).unwrap_or_default().to_string(),
            h.round.to_string(),
            day(h.answered_on),
            day(h.satisfied_on),
            day(h.closed_on),
        ]
        .join(&LIST_SEP.to_string());
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
            &self.unit,
            &handling,
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
        let unit = f.next()?.to_string();
        let mut h = f.next()?.split(LIST_SEP);
        let day = |d: &str| -> Option<Option<NaiveDate>> {
            match d {
                "" => Some(None),
                d => Some(Some(d.parse().ok()?)),
            }
        };
        let handling = Handling {
            route: Route::parse(h.next()?)?,
            satisfaction: match h.next()? {
                "" => None,
                s => Some(Satisfaction::parse(s)?),
            },
            reply_class: match h.next()? {
                "" => None,
                c => Some(ReplyClass::parse(c)?),
            },
            round: h.next()?.parse().ok()?,
            answered_on: day(h.next()?)?,
            satisfied_on: day(h.next()?)?,
            closed_on: day(h.next()?)?,
        };
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
            unit,
            handling,
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
    head: Head,
    text: Span,
}

/// What an entry holds besides its text.
#[derive(Debug, Clone)]
struct Head {
    /// The code's text, padded with zero bytes (24 or 25 characters).
    code: [u8; CODE_BYTES],
    date: NaiveDate,
    deadline: Option<NaiveDate>,
    status: Status,
    category: Category,
    urgency: Urgency,
    search: u16,
    title: Field,
    visitor: Field,
    phone: Field,
    deputies: Field,
    unit: Field,
    handling: Handling,
}

/// Room for the longest code text (`YYMMDD-SSSSSSSSS-TNNNNN-C`).
const CODE_BYTES: usize = 25;

/// Bytes of a head in the packed form (see `Catalog::pack`).
const HEAD_BYTES: usize = CODE_BYTES + 4 + 4 + 3 + 2 + 4 * 5 + HANDLING_BYTES;

/// Bytes of the handling in the packed form (see `Head::write`).
const HANDLING_BYTES: usize = 3 + 2 + 3 * 4;

/// A day as days from the common era, i32::MIN for none.
fn day_bytes(d: Option<NaiveDate>) -> [u8; 4] {
    d.map_or(i32::MIN, |d| d.num_days_from_ce()).to_le_bytes()
}

fn day_from(n: i32) -> Option<Option<NaiveDate>> {
    match n {
        i32::MIN => Some(None),
        d => Some(Some(NaiveDate::from_num_days_from_ce_opt(d)?)),
    }
}

/// A value of an optional vocabulary: 0 for none, else its place plus one.
fn place_opt<T: PartialEq>(all: &[T], v: Option<T>) -> u8 {
    v.map_or(0, |v| place(all, v) + 1)
}

fn from_place_opt<T: Copy>(all: &[T], n: u8) -> Option<Option<T>> {
    match n {
        0 => Some(None),
        n => all.get(n as usize - 1).copied().map(Some),
    }
}

/// A value's place in its vocabulary's list.
fn place<T: PartialEq>(all: &[T], v: T) -> u8 {
    all.iter().position(|x| *x == v).unwrap_or(0) as u8
}

impl Head {
    fn code(&self) -> &str {
        let len = self.code.iter().position(|&b| b == 0).unwrap_or(CODE_BYTES);
        std::str::from_utf8(&self.code[..len]).unwrap_or("")
    }

    /// The packed form: the code's bytes, the dates as days from the
    /// common era (i32::MIN for no deadline), the three vocabularies as
    /// their places in `ALL`, then the search text's length and the four
    /// fields (offset, length), little-endian.
    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.code);
        out.extend_from_slice(&self.date.num_days_from_ce().to_le_bytes());
        let deadline = self.deadline.map_or(i32::MIN, |d| d.num_days_from_ce());
        out.extend_from_slice(&deadline.to_le_bytes());
        out.push(place(Status::ALL, self.status));
        out.push(place(Category::ALL, self.category));
        out.push(place(Urgency::ALL, self.urgency));
        out.extend_from_slice(&self.search.to_le_bytes());
        for f in [self.title, self.visitor, self.phone, self.deputies, self.unit] {
            out.extend_from_slice(&f.at.to_le_bytes());
            out.extend_from_slice(&f.len.to_le_bytes());
        }
        let h = &self.handling;
        out.push(place(Route::ALL, h.route));
        out.push(place_opt(Satisfaction::ALL, h.satisfaction));
        out.push(place_opt(ReplyClass::ALL, h.reply_class));
        out.extend_from_slice(&(h.round.min(u32::from(u16::MAX)) as u16).to_le_bytes());
        for d in [h.answered_on, h.satisfied_on, h.closed_on] {
            out.extend_from_slice(&day_bytes(d));
        }
    }

    /// A packed head and the text after it; None when anything in it is
    /// out of range.
    fn read(bytes: &[u8]) -> Option<(Head, &[u8])> {
        let (head, text) = bytes.split_at_checked(HEAD_BYTES)?;
        let mut code = [0u8; CODE_BYTES];
        code.copy_from_slice(&head[..CODE_BYTES]);
        let len = code.iter().position(|&b| b == 0).unwrap_or(CODE_BYTES);
        if len == 0 || !code[..len].is_ascii() || code[len..].iter().any(|&b| b != 0) {
            return None;
        }
        let i32_at = |i: usize| i32::from_le_bytes([head[i], head[i + 1], head[i + 2], head[i + 3]]);
        let u16_at = |i: usize| u16::from_le_bytes([head[i], head[i + 1]]);
        let at = CODE_BYTES;
        let date = NaiveDate::from_num_days_from_ce_opt(i32_at(at))?;
        let deadline = match i32_at(at + 4) {
            i32::MIN => None,
            d => Some(NaiveDate::from_num_days_from_ce_opt(d)?),
        };
        let status = *Status::ALL.get(head[at + 8] as usize)?;
        let category = *Category::ALL.get(head[at + 9] as usize)?;
        let urgency = *Urgency::ALL.get(head[at + 10] as usize)?;
        let search = u16_at(at + 11);
        let field = |i: usize| Field {
            at: u16_at(at + 13 + 4 * i),
            len: u16_at(at + 15 + 4 * i),
        };
        let (title, visitor, phone, deputies, unit) = (field(0), field(1), field(2), field(3), field(4));
        let fits = |f: Field| f.at as usize + f.len as usize <= text.len();
        if search as usize > text.len() || ![title, visitor, phone, deputies, unit].into_iter().all(fits) {
            return None;
        }
        let h = at + 13 + 4 * 5;
        let handling = Handling {
            route: *Route::ALL.get(head[h] as usize)?,
            satisfaction: from_place_opt(Satisfaction::ALL, head[h + 1])?,
            reply_class: from_place_opt(ReplyClass::ALL, head[h + 2])?,
            round: u32::from(u16_at(h + 3)),
            answered_on: day_from(i32_at(h + 5))?,
            satisfied_on: day_from(i32_at(h + 9))?,
            closed_on: day_from(i32_at(h + 13))?,
        };
        Some((
            Head {
                code,
                date,
                deadline,
                status,
                category,
                urgency,
                search,
                title,
                visitor,
                phone,
                deputies,
                unit,
                handling,
            },
            text,
        ))
    }

    /// A view of the row this head and its text make.
    fn view<'a>(&'a self, text: &'a [u8]) -> RowRef<'a> {
        let field = |f: Field| {
            gb_decode(
                text.get(f.at as usize..f.at as usize + f.len as usize)
                    .unwrap_or(&[]),
            )
        };
        RowRef {
            code: self.code(),
            date: self.date,
            status: self.status,
            category: self.category,
            urgency: self.urgency,
            deadline: self.deadline,
            visitor: field(self.visitor),
            phone: field(self.phone),
            title: field(self.title),
            deputies: field(self.deputies),
            unit: field(self.unit),
            handling: self.handling,
        }
    }

    /// The row as an owned value.
    fn owned(&self, text: &[u8]) -> CatalogRow {
        let r = self.view(text);
        CatalogRow {
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
            text: gb_decode(&text[..(self.search as usize).min(text.len())]).into_owned(),
            unit: r.unit.to_string(),
            handling: r.handling,
        }
    }

    /// The head and text of a row (the text encoded, display fields placed).
    fn build(row: &CatalogRow) -> Option<(Head, Vec<u8>)> {
        if row.code.is_empty() || row.code.len() > CODE_BYTES {
            return None;
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
        let unit = place(&row.unit, &mut bytes);
        bytes.push(LIST_SEP as u8);
        let mut ids = gb_encode(&row.deputies.join(&LIST_SEP.to_string()));
        ids.truncate(1024);
        let deputies = Field {
            at: bytes.len() as u16,
            len: ids.len().min(1024) as u16,
        };
        bytes.extend_from_slice(&ids);
        let head = Head {
            code,
            date: row.date,
            deadline: row.deadline,
            status: row.status,
            category: row.category,
            urgency: row.urgency,
            search,
            title,
            visitor,
            phone,
            deputies,
            unit,
            handling: row.handling,
        };
        Some((head, bytes))
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
    pub unit: Cow<'a, str>,
    pub handling: Handling,
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

/// What the station's figures read of a row: its fixed fields, its code
/// and its deputies' ids, none of its text decoded.
#[derive(Debug, Clone, Copy)]
pub struct Brief<'a> {
    pub code: &'a str,
    pub date: NaiveDate,
    pub status: Status,
    pub category: Category,
    pub deadline: Option<NaiveDate>,
    pub handling: Handling,
    /// The ids, separated (GB18030 of ASCII ids: ASCII).
    deputies: &'a [u8],
}

impl<'a> Brief<'a> {
    /// Deputy ids.
    pub fn deputies(&self) -> impl Iterator<Item = &'a str> + use<'a> {
        self.deputies
            .split(|b| *b == LIST_SEP as u8)
            .filter(|d| !d.is_empty())
            .filter_map(|d| std::str::from_utf8(d).ok())
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

    /// Gives back what loading reserved beyond the rows it holds, keeping
    /// room for a few thousand more (a busy day's registrations) so that
    /// the next one does not double the list.
    pub fn trim(&mut self) {
        let room = (self.rows.len() / 32).max(1024);
        self.rows.shrink_to(self.rows.len() + room);
    }

    pub fn row(&self, index: usize) -> Option<RowRef<'_>> {
        let e = self.rows.get(index)?;
        Some(e.head.view(self.arena.get(e.text)))
    }

    /// Every row as the figures read it, in code order.
    pub fn briefs(&self) -> impl Iterator<Item = Brief<'_>> {
        self.rows.iter().map(|e| {
            let text = self.arena.get(e.text);
            let f = e.head.deputies;
            Brief {
                code: e.head.code(),
                date: e.head.date,
                status: e.head.status,
                category: e.head.category,
                deadline: e.head.deadline,
                handling: e.head.handling,
                deputies: text
                    .get(f.at as usize..f.at as usize + f.len as usize)
                    .unwrap_or(&[]),
            }
        })
    }

    /// An entry's deputy ids (GB18030 bytes; ids are ASCII).
    fn deputy_ids<'a>(&'a self, e: &Entry) -> impl Iterator<Item = &'a [u8]> {
        let text = self.arena.get(e.text);
        let f = e.head.deputies;
        text.get(f.at as usize..f.at as usize + f.len as usize)
            .unwrap_or(&[])
            .split(|b| *b == LIST_SEP as u8)
            .filter(|d| !d.is_empty())
    }

    /// What search matches for an entry.
    fn search_text(&self, e: &Entry) -> &[u8] {
        let text = self.arena.get(e.text);
        &text[..(e.head.search as usize).min(text.len())]
    }

    /// The row as an owned value (to write it out again).
    pub fn owned_row(&self, index: usize) -> Option<CatalogRow> {
        let e = self.rows.get(index)?;
        Some(e.head.owned(self.arena.get(e.text)))
    }

    /// Adds a row or replaces the row with the same code. Rows arriving in
    /// code order (loading, new registrations) are appended.
    pub fn upsert(&mut self, row: CatalogRow) {
        if let Some((head, bytes)) = Head::build(&row) {
            let text = self.arena.push(&bytes);
            self.place(Entry { head, text });
        }
    }

    /// A row in the form the catalog holds it (and the search reads it):
    /// a fixed head, then its text in GB18030 with the display fields
    /// placed. `insert_packed` takes it back with no transcoding and no
    /// allocation per field. None for a row the catalog would not keep.
    pub fn pack(row: &CatalogRow) -> Option<Vec<u8>> {
        let (head, bytes) = Head::build(row)?;
        let mut out = Vec::with_capacity(HEAD_BYTES + bytes.len());
        head.write(&mut out);
        out.extend_from_slice(&bytes);
        Some(out)
    }

    /// The packed form of the row at `index` (see `pack`).
    pub fn packed(&self, index: usize, out: &mut Vec<u8>) -> bool {
        let Some(e) = self.rows.get(index) else {
            return false;
        };
        e.head.write(out);
        out.extend_from_slice(self.arena.get(e.text));
        true
    }

    /// Adds or replaces a row given in its packed form; false (and nothing
    /// changed) when the bytes are not one.
    pub fn insert_packed(&mut self, bytes: &[u8]) -> bool {
        let Some((head, text)) = Head::read(bytes) else {
            return false;
        };
        let text = self.arena.push(text);
        self.place(Entry { head, text });
        true
    }

    /// A packed row as an owned value.
    pub fn unpack(bytes: &[u8]) -> Option<CatalogRow> {
        Head::read(bytes).map(|(head, text)| head.owned(text))
    }

    /// What the packed form depends on besides its layout: the order of
    /// the vocabularies it numbers. A file of packed rows records it and is
    /// not read under another.
    pub fn packed_layout() -> String {
        let codes = |all: &mut dyn Iterator<Item = &'static str>| all.collect::<Vec<_>>().join(",");
        format!(
            "{HEAD_BYTES};{};{};{};{};{};{}",
            codes(&mut Status::ALL.iter().map(|v| v.code())),
            codes(&mut Category::ALL.iter().map(|v| v.code())),
            codes(&mut Urgency::ALL.iter().map(|v| v.code())),
            codes(&mut Route::ALL.iter().map(|v| v.code())),
            codes(&mut Satisfaction::ALL.iter().map(|v| v.code())),
            codes(&mut ReplyClass::ALL.iter().map(|v| v.code())),
        )
    }

    /// Puts an entry in its place by code.
    fn place(&mut self, entry: Entry) {
        let code = entry.head.code();
        let after_last = self
            .rows
            .last()
            .is_none_or(|last| cmp_code_text(last.head.code(), code).is_lt());
        if after_last {
            self.rows.push(entry);
            return;
        }
        match self.rows.binary_search_by(|r| cmp_code_text(r.head.code(), code)) {
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
        for r in self
            .rows
            .iter()
            .filter(|r| r.head.date >= from && r.head.date <= to)
        {
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
            .filter(|(_, e)| {
                let r = &e.head;
                filter.status.is_none_or(|s| r.status == s)
                    && filter.category.is_none_or(|c| r.category == c)
                    && filter.from.is_none_or(|d| r.date >= d)
                    && filter.to.is_none_or(|d| r.date <= d)
                    && (!filter.overdue || (r.status.awaits_unit() && r.deadline.is_some_and(|d| d < today)))
                    && deputy
                        .as_ref()
                        .is_none_or(|d| self.deputy_ids(e).any(|x| x == d.as_slice()))
                    && (query.is_empty() || query.matches_bytes(self.search_text(e), r.code()))
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
            unit: "区住建局".into(),
            handling: Handling {
                route: Route::ALL[1],
                satisfaction: Satisfaction::ALL.last().copied(),
                reply_class: ReplyClass::ALL.first().copied(),
                round: 2,
                answered_on: NaiveDate::from_ymd_opt(2026, 11, 21),
                satisfied_on: None,
                closed_on: NaiveDate::from_ymd_opt(2026, 11, 30),
            },
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
    fn packed_rows_come_back_as_they_went_in() {
        let rows = [
            row(
                "261120-330999012-10001-5",
                "电梯",
                "电梯\u{1f}王小明\u{1f}13800001234",
            ),
            CatalogRow {
                deadline: None,
                deputies: Vec::new(),
                visitor: String::new(),
                unit: String::new(),
                handling: Handling::default(),
                ..row("261120-330999012-10002-8", "Parking", "parking\u{1f}停车难")
            },
        ];
        let mut c = Catalog::default();
        for r in rows.iter().rev() {
            let packed = Catalog::pack(r).unwrap();
            assert_eq!(Catalog::unpack(&packed).as_ref(), Some(r));
            assert!(c.insert_packed(&packed));
        }
        assert_eq!(c.owned_row(0).as_ref(), Some(&rows[0]));
        assert_eq!(c.owned_row(1).as_ref(), Some(&rows[1]));
        let mut again = Vec::new();
        assert!(c.packed(1, &mut again));
        assert_eq!(again, Catalog::pack(&rows[1]).unwrap());
        let hits = c.select(
            &Filter {
                query: "停车".into(),
                ..Filter::default()
            },
            NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(),
        );
        assert_eq!(hits, vec![1]);
        // Cut, or a field past its text, or an unknown status: refused.
        let packed = Catalog::pack(&rows[0]).unwrap();
        assert!(Catalog::unpack(&packed[..HEAD_BYTES - 1]).is_none());
        assert!(Catalog::unpack(&packed[..HEAD_BYTES + 3]).is_none());
        let mut bad = packed.clone();
        bad[CODE_BYTES + 8] = 200;
        assert!(!c.insert_packed(&bad));
        assert_eq!(c.len(), 2);
        assert!(Catalog::pack(&row("", "a", "a")).is_none());
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
