//! A file as rows of named fields: CSV with a header row (Chinese or
//! English column names) or JSON Lines (one object per line, with the same
//! names as keys). Every row keeps the physical line it starts on, so that
//! errors can say where they are (LF, CRLF or CR line breaks alike).
//! JSON values must fit their column: text columns take strings only.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::rc::Rc;

use serde_json::Value;

use super::encoding::{self, Encoding, LineCounter};
use super::problem::{FieldProblem, JsonKind, RowProblem};
use super::{ReadError, Swallowed, has_json_extension};
use crate::domain::privacy::mask::{mask_name, mask_numbers, shown};
use crate::i18n::Lang;

/// What a column holds: decides which JSON values it takes, and which
/// cells CSV export neutralises against formula injection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A code, date, number or word of a vocabulary: a JSON string.
    Word,
    /// Free text people typed (names, content, replies): a JSON string.
    Text,
    /// Words joined with 、: a JSON string or an array of strings (or
    /// numbers).
    List,
    /// A whole number: a JSON string or number.
    Number,
    /// JSON (the history): any JSON value, kept as JSON text.
    Json,
}

/// One column a file may have.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    /// The English name, used in exports, JSON keys and messages.
    pub key: &'static str,
    /// The Chinese name.
    pub zh: &'static str,
    /// A label for English messages.
    pub en: &'static str,
    /// The column must be present in the header.
    pub required: bool,
    pub kind: Kind,
}

impl Column {
    pub const fn new(key: &'static str, zh: &'static str, en: &'static str, required: bool) -> Column {
        Column {
            key,
            zh,
            en,
            required,
            kind: Kind::Word,
        }
    }

    pub const fn text(self) -> Column {
        Column {
            kind: Kind::Text,
            ..self
        }
    }

    pub const fn list(self) -> Column {
        Column {
            kind: Kind::List,
            ..self
        }
    }

    pub const fn number(self) -> Column {
        Column {
            kind: Kind::Number,
            ..self
        }
    }

    pub const fn json(self) -> Column {
        Column {
            kind: Kind::Json,
            ..self
        }
    }

    /// Free text that a spreadsheet could take for a formula.
    pub fn is_free_text(&self) -> bool {
        matches!(self.kind, Kind::Text | Kind::List)
    }

    fn matches(&self, name: &str) -> bool {
        let name = name.trim();
        name == self.zh || name.eq_ignore_ascii_case(self.key)
    }
}

/// Finds the column a header names.
pub fn column_for<'a>(columns: &'a [Column], name: &str) -> Option<&'a Column> {
    columns.iter().find(|c| c.matches(name))
}

/// The column names for "known columns" messages.
pub fn known_columns(columns: &[Column], lang: Lang) -> String {
    columns
        .iter()
        .map(|c| match lang {
            Lang::Zh => format!("{}/{}", c.zh, c.key),
            Lang::En => format!("{}/{}", c.key, c.zh),
        })
        .collect::<Vec<_>>()
        .join(lang.pick("、", ", "))
}

/// How a file read for import is laid out (an export file's format is `cli::Format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableFormat {
    Csv,
    Jsonl,
}

/// One row's fields by column key; absent columns read as "".
#[derive(Debug, Clone, Default)]
pub struct Row {
    values: HashMap<&'static str, String>,
}

impl Row {
    pub fn get(&self, key: &str) -> &str {
        self.values.get(key).map(String::as_str).unwrap_or("")
    }

    pub fn set(&mut self, key: &'static str, value: impl Into<String>) {
        self.values.insert(key, value.into());
    }

    fn is_blank(&self) -> bool {
        self.values.values().all(|v| v.trim().is_empty())
    }
}

/// Rows with the line each starts on, or why the row could not be read.
pub type Rows = Vec<(u64, Result<Row, RowProblem>)>;

/// A read file: each row with the line it starts on, or why it could not
/// be read.
#[derive(Debug)]
pub struct Table {
    pub format: TableFormat,
    pub encoding: Encoding,
    pub rows: Rows,
}

/// Reads a file into rows (`open`, every row, `Reader::finish`).
pub fn read(path: &Path, columns: &'static [Column], lang: Lang) -> Result<Table, ReadError> {
    let mut reader = open(path, columns, lang)?;
    let rows = reader.by_ref().collect();
    let (format, encoding) = (reader.format, reader.encoding);
    reader.finish()?;
    Ok(Table {
        format,
        encoding,
        rows,
    })
}

/// How much of a file is buffered at a time.
const BUFFER: usize = 1 << 16;

/// Opens a file to read its rows one at a time, in memory that does not
/// grow with the file (a row is held while it is read). Fails (exit
/// status 2) when the file cannot be read, its encoding is not UTF-8 or
/// GB18030 (or is damaged UTF-8: the whole file is looked at first), or
/// the CSV header names unknown, repeated or too few columns or is data.
/// A quoted CSV field that swallowed what look like further rows, and a
/// file that cannot be read to its end, are said by `Reader::finish`.
/// Problems of single rows are kept with those rows.
pub fn open(path: &Path, columns: &'static [Column], lang: Lang) -> Result<Reader, ReadError> {
    let io = |source| ReadError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut head = [0u8; 8];
    let got = std::fs::File::open(path)
        .and_then(|mut f| {
            let mut n = 0;
            while n < head.len() {
                match f.read(&mut head[n..])? {
                    0 => break,
                    k => n += k,
                }
            }
            Ok(n)
        })
        .map_err(io)?;
    if super::is_spreadsheet(&head[..got]) {
        return Err(ReadError::Spreadsheet {
            path: path.to_path_buf(),
        });
    }
    let sniffed = encoding::sniff(|| std::fs::File::open(path))
        .map_err(io)?
        .map_err(|problem| ReadError::Encoding {
            path: path.to_path_buf(),
            problem,
        })?;
    Reader::start(path, columns, lang, sniffed)
}

/// The rows of a file as they are read: each with the line it starts on,
/// or why it could not be read.
pub struct Reader {
    pub format: TableFormat,
    pub encoding: Encoding,
    path: std::path::PathBuf,
    columns: &'static [Column],
    lang: Lang,
    sniffed: encoding::Sniffed,
    /// Bytes of the file read so far, and its size.
    read: Rc<Cell<u64>>,
    size: u64,
    source: Source,
}

enum Source {
    Csv(Box<CsvRows>),
    Jsonl(Box<JsonlRows>),
}

/// A file's bytes, counted as they are read.
struct Counted {
    file: std::fs::File,
    read: Rc<Cell<u64>>,
}

impl Read for Counted {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.file.read(buf)?;
        self.read.set(self.read.get() + n as u64);
        Ok(n)
    }
}

impl Reader {
    fn start(
        path: &Path,
        columns: &'static [Column],
        lang: Lang,
        sniffed: encoding::Sniffed,
    ) -> Result<Reader, ReadError> {
        let io = |source| ReadError::Io {
            path: path.to_path_buf(),
            source,
        };
        let file = std::fs::File::open(path).map_err(io)?;
        let size = file.metadata().map(|m| m.len()).unwrap_or(0);
        let read = Rc::new(Cell::new(0));
        let counted = Counted {
            file,
            read: read.clone(),
        };
        let decoded = encoding::Decoded::new(counted, sniffed).map_err(io)?;
        let mut text = BufReader::with_capacity(BUFFER, decoded);
        let start = text.fill_buf().map_err(io)?;
        let format =
            if has_json_extension(path) || String::from_utf8_lossy(start).trim_start().starts_with('{') {
                TableFormat::Jsonl
            } else {
                TableFormat::Csv
            };
        let source = match format {
            TableFormat::Jsonl => Source::Jsonl(Box::new(JsonlRows {
                text,
                line: 0,
                columns,
                fatal: None,
            })),
            TableFormat::Csv => Source::Csv(Box::new(CsvRows::new(path, text, columns, lang)?)),
        };
        Ok(Reader {
            format,
            encoding: sniffed.encoding,
            path: path.to_path_buf(),
            columns,
            lang,
            sniffed,
            read,
            size,
            source,
        })
    }

    /// The same file from its start again, its encoding already known.
    pub fn again(&self) -> Result<Reader, ReadError> {
        Reader::start(&self.path, self.columns, self.lang, self.sniffed)
    }

    /// Bytes of the file read so far, and its size.
    pub fn progress(&self) -> (u64, u64) {
        (self.read.get(), self.size)
    }

    /// After the last row: the file as a whole is refused when a quoted
    /// CSV field swallowed what look like further rows, or when it could
    /// not be read to its end.
    pub fn finish(self) -> Result<(), ReadError> {
        let (fatal, swallowed) = match self.source {
            Source::Csv(rows) => (rows.fatal, rows.swallowed),
            Source::Jsonl(rows) => (rows.fatal, Vec::new()),
        };
        if let Some(source) = fatal {
            return Err(ReadError::Io {
                path: self.path,
                source,
            });
        }
        if !swallowed.is_empty() {
            return Err(ReadError::SwallowedRows {
                path: self.path,
                spans: swallowed,
            });
        }
        Ok(())
    }
}

impl Iterator for Reader {
    type Item = (u64, Result<Row, RowProblem>);

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.source {
            Source::Csv(rows) => rows.next(),
            Source::Jsonl(rows) => rows.next(),
        }
    }
}

/// The decoded text of a file.
type Text = BufReader<encoding::Decoded<Counted>>;

/// The text a CSV reader reads, with the bytes from the start of the
/// record being read on kept, so that a record's physical line can be
/// counted (LF, CRLF or a lone CR) without holding the file.
struct Window {
    text: Text,
    kept: Rc<RefCell<Kept>>,
}

#[derive(Default)]
struct Kept {
    bytes: Vec<u8>,
    /// Where in `bytes` the text at `base` is.
    start: usize,
    /// The offset in the text of `bytes[start]`.
    base: u64,
    /// Lines counted in the text before `base`.
    lines: LineCounter,
    /// The last byte read that is not ASCII whitespace.
    solid: Option<u8>,
}

impl Read for Window {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.text.read(buf)?;
        let mut kept = self.kept.borrow_mut();
        kept.bytes.extend_from_slice(&buf[..n]);
        if let Some(b) = buf[..n].iter().rev().find(|b| !b.is_ascii_whitespace()) {
            kept.solid = Some(*b);
        }
        Ok(n)
    }
}

impl Kept {
    /// The physical line a record starting at `offset` of the text is on:
    /// line breaks at its start are skipped (the CSV reader takes the CR
    /// of a CRLF as the end of a record and starts the next one at its
    /// LF). Forgets the text before `offset`.
    fn record_line(&mut self, offset: u64) -> u64 {
        let Some(skip) = offset.checked_sub(self.base) else {
            return self.lines.line(None);
        };
        let from = (self.start + skip as usize).min(self.bytes.len());
        self.lines.feed(&self.bytes[self.start..from]);
        self.start = from;
        self.base = offset;
        let breaks = self.bytes[from..]
            .iter()
            .take_while(|b| matches!(b, b'\r' | b'\n'))
            .count();
        let mut lines = self.lines;
        lines.feed(&self.bytes[from..from + breaks]);
        let line = lines.line(self.bytes.get(from + breaks).copied());
        if self.start > BUFFER && self.start * 2 > self.bytes.len() {
            self.bytes.drain(..self.start);
            self.start = 0;
        }
        line
    }
}

/// CSV rows as they are read.
struct CsvRows {
    reader: csv::Reader<Window>,
    kept: Rc<RefCell<Kept>>,
    mapped: Vec<Option<&'static Column>>,
    delimiter: char,
    /// The record read ahead, to know which one is the last.
    ahead: Option<(u64, Result<csv::StringRecord, csv::Error>)>,
    swallowed: Vec<Swallowed>,
    fatal: Option<std::io::Error>,
}

impl CsvRows {
    fn new(
        path: &Path,
        mut text: Text,
        columns: &'static [Column],
        lang: Lang,
    ) -> Result<CsvRows, ReadError> {
        // Tab-separated when the header has tabs and no commas (Excel's
        // "Unicode text" and "Text (Tab delimited)").
        let start = text.fill_buf().map_err(|source| ReadError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let first = start.split(|b| *b == b'\n').next().unwrap_or_default();
        let delimiter = if first.contains(&b'\t') && !first.contains(&b',') {
            '\t'
        } else {
            ','
        };
        let kept = Rc::new(RefCell::new(Kept::default()));
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(delimiter as u8)
            .flexible(true)
            .has_headers(true)
            .from_reader(Window {
                text,
                kept: kept.clone(),
            });
        let headers = reader.headers().cloned().unwrap_or_default();
        let mapped = map_headers(path, &headers, columns, lang)?;
        let mut rows = CsvRows {
            reader,
            kept,
            mapped,
            delimiter,
            ahead: None,
            swallowed: Vec::new(),
            fatal: None,
        };
        rows.ahead = rows.read_record();
        Ok(rows)
    }

    fn read_record(&mut self) -> Option<(u64, Result<csv::StringRecord, csv::Error>)> {
        if self.fatal.is_some() {
            return None;
        }
        let mut record = csv::StringRecord::new();
        let result = self.reader.read_record(&mut record);
        let at = match &result {
            Ok(_) => record.position(),
            Err(e) => e.position(),
        };
        let line = at
            .map(|p| self.kept.borrow_mut().record_line(p.byte()))
            .unwrap_or(0);
        match result {
            Ok(false) => None,
            Ok(true) => Some((line, Ok(record))),
            Err(e) if e.is_io_error() => {
                if let csv::ErrorKind::Io(source) = e.into_kind() {
                    self.fatal = Some(source);
                }
                None
            }
            Err(e) => Some((line, Err(e))),
        }
    }

    fn next(&mut self) -> Option<(u64, Result<Row, RowProblem>)> {
        loop {
            let (line, record) = self.ahead.take()?;
            self.ahead = self.read_record();
            let record = match record {
                Ok(r) => r,
                Err(e) => return Some((line, Err(RowProblem::Csv(e)))),
            };
            let last = self.ahead.is_none();
            if let Some(row) = self.row(line, &record, last) {
                return Some((line, row));
            }
        }
    }

    /// One record as a row; `None` for a blank one. Quoted fields that
    /// swallowed what look like rows are noted for `Reader::finish`.
    fn row(&mut self, line: u64, record: &csv::StringRecord, last: bool) -> Option<Result<Row, RowProblem>> {
        let mapped = &self.mapped;
        // Where each field starts: fields only hold line breaks when quoted.
        let mut field_line = line;
        let fields = record.len();
        for (k, value) in record.iter().enumerate() {
            let lines = field_lines(value);
            let last_line = field_line + lines.len() as u64 - 1;
            // A quote never closed runs to the end of the file: it is the
            // last field of the last record, and the file does not end
            // with a quote.
            let open_to_end =
                lines.len() > 1 && last && k + 1 == fields && self.kept.borrow().solid != Some(b'"');
            // Its span ends on the file's last line, not after its final line break.
            let span_end = if open_to_end {
                field_line + field_lines(value.trim_end_matches(['\r', '\n'])).len() as u64 - 1
            } else {
                last_line
            };
            let swallows = lines.len() > 1
                && lines[1..]
                    .iter()
                    .any(|l| looks_like_row(l, mapped.len(), self.delimiter));
            if swallows || open_to_end {
                let (zh, en) = match mapped.get(k).copied().flatten() {
                    Some(c) => (c.zh.to_string(), c.en.to_string()),
                    None => (format!("第 {} 列", k + 1), format!("column {}", k + 1)),
                };
                self.swallowed.push(Swallowed {
                    first: field_line,
                    last: span_end,
                    zh,
                    en,
                    closed: !open_to_end,
                });
            }
            field_line = last_line;
        }
        if record.iter().all(|v| v.trim().is_empty()) {
            return None;
        }
        let size = record.as_byte_record().as_slice().len();
        if size > crate::limits::IMPORT_ROW {
            return Some(Err(RowProblem::TooLong { size }));
        }
        let extra = record.iter().skip(mapped.len()).any(|v| !v.trim().is_empty());
        let stray = record
            .iter()
            .zip(mapped)
            .any(|(v, m)| m.is_none() && !v.trim().is_empty());
        if record.len() < mapped.len() || extra || stray {
            return Some(Err(RowProblem::FieldCount {
                got: record.len(),
                header: mapped.len(),
            }));
        }
        let mut row = Row::default();
        for (value, column) in record.iter().zip(mapped) {
            if let Some(c) = column {
                let value = if c.is_free_text() {
                    unneutralise(value)
                } else {
                    value
                };
                row.set(c.key, value);
            }
        }
        Some(Ok(row))
    }
}

/// JSON Lines rows as they are read.
struct JsonlRows {
    text: Text,
    /// The physical line last read.
    line: u64,
    columns: &'static [Column],
    fatal: Option<std::io::Error>,
}

impl JsonlRows {
    /// The next line (without its line break), at most `limits::IMPORT_ROW`
    /// bytes of it kept, and its length; `None` at the end.
    fn read_line(&mut self, kept: &mut Vec<u8>) -> std::io::Result<Option<usize>> {
        kept.clear();
        let cap = crate::limits::IMPORT_ROW + 1;
        let (mut len, mut any, mut cr) = (0, false, false);
        loop {
            let buf = self.text.fill_buf()?;
            if buf.is_empty() {
                break;
            }
            any = true;
            let (part, used, done) = match memchr::memchr(b'\n', buf) {
                Some(i) => (&buf[..i], i + 1, true),
                None => (buf, buf.len(), false),
            };
            let room = cap.saturating_sub(kept.len()).min(part.len());
            kept.extend_from_slice(&part[..room]);
            len += part.len();
            if let Some(b) = part.last() {
                cr = *b == b'\r';
            }
            self.text.consume(used);
            if done {
                break;
            }
        }
        if !any {
            return Ok(None);
        }
        if cr {
            len -= 1;
            kept.truncate(len);
        }
        Ok(Some(len))
    }

    fn next(&mut self) -> Option<(u64, Result<Row, RowProblem>)> {
        let mut bytes = Vec::new();
        loop {
            let len = match self.read_line(&mut bytes) {
                Ok(Some(len)) => len,
                Ok(None) => return None,
                Err(e) => {
                    self.fatal = Some(e);
                    return None;
                }
            };
            self.line += 1;
            let n = self.line;
            let line = String::from_utf8_lossy(&bytes);
            if len > crate::limits::IMPORT_ROW {
                return Some((n, Err(RowProblem::TooLong { size: len })));
            }
            if line.trim().is_empty() {
                continue;
            }
            let row = serde_json::from_str::<Value>(&line)
                // serde's own words are English: say where, in the user's language.
                .map_err(|e| RowProblem::NotJson { at: e.column() })
                .and_then(|v| json_row(v, self.columns));
            match row {
                Ok(r) if r.is_blank() => {}
                other => return Some((n, other)),
            }
        }
    }
}

/// Characters a spreadsheet reads as the start of a formula (OWASP's list
/// for CSV injection).
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A free-text cell as CSV export writes it: with a single quote in front
/// when it starts like a formula, so that Excel and WPS show it as text.
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    if cell.starts_with(FORMULA_STARTS) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

/// The reverse of `neutralise`: drops exactly the one quote it added.
pub fn unneutralise(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_STARTS) => rest,
        _ => cell,
    }
}

/// Whether a header row is data rather than column names: it holds a
/// phone or ID number or a date.
fn header_is_data(cells: &[&str]) -> bool {
    cells.iter().any(|c| mask_numbers(c) != *c || starts_with_date(c))
}

/// "YYYY-MM-DD…" or "YYYY/M/D…".
fn starts_with_date(text: &str) -> bool {
    let t = text.trim_start().as_bytes();
    let digits = |s: &[u8]| s.iter().take_while(|b| b.is_ascii_digit()).count();
    if t.len() < 8 || digits(t) != 4 || !matches!(t[4], b'-' | b'/') {
        return false;
    }
    let m = digits(&t[5..]);
    if !(1..=2).contains(&m) || !matches!(t.get(5 + m), Some(b'-' | b'/')) {
        return false;
    }
    (1..=2).contains(&digits(&t[6 + m..]))
}

/// "YYMMDD-SSSSSSSSS-TNNNN-C" at the start.
fn starts_with_code(text: &str) -> bool {
    let t = text.trim_start();
    let code: String = t.chars().take(24).collect();
    code.len() == 24
        && code.char_indices().all(|(i, c)| {
            if matches!(i, 6 | 16 | 22) {
                c == '-'
            } else {
                c.is_ascii_digit()
            }
        })
}

/// Whether a line swallowed into a quoted field looks like a row of its
/// own: a date or tracking code and then a delimiter at its start, or as
/// many delimiters as a row of this header has.
fn looks_like_row(line: &str, header_len: usize, delimiter: char) -> bool {
    let first = line.split(delimiter).next().unwrap_or("");
    let starts = (starts_with_date(first) || starts_with_code(first)) && line.contains(delimiter);
    starts || (header_len >= 3 && line.matches(delimiter).count() == header_len - 1)
}

/// The lines of a field, split on LF, CRLF or a lone CR.
fn field_lines(field: &str) -> Vec<&str> {
    field
        .split('\n')
        .flat_map(|l| l.strip_suffix('\r').unwrap_or(l).split('\r'))
        .collect()
}

/// Which column each header cell names (`None` for an empty cell).
fn map_headers(
    path: &Path,
    headers: &csv::StringRecord,
    columns: &'static [Column],
    lang: Lang,
) -> Result<Vec<Option<&'static Column>>, ReadError> {
    let mut mapped: Vec<Option<&'static Column>> = Vec::new();
    let mut unknown = Vec::new();
    for name in headers.iter() {
        if name.trim().is_empty() {
            // Excel leaves empty trailing header cells; their values must be empty too.
            mapped.push(None);
            continue;
        }
        match column_for(columns, name) {
            Some(c) => {
                if mapped.iter().flatten().any(|m| m.key == c.key) {
                    return Err(ReadError::DuplicateHeader {
                        path: path.to_path_buf(),
                        name: c.zh.to_string(),
                    });
                }
                mapped.push(Some(c));
            }
            None => {
                unknown.push(name.trim());
                mapped.push(None);
            }
        }
    }
    if header_is_data(&unknown) {
        // No header row: the "names" are someone's data. Show them masked.
        let cells = unknown
            .iter()
            .take(8)
            .map(|c| {
                let masked = mask_numbers(c);
                if masked != *c || starts_with_date(c) {
                    shown(c)
                } else {
                    mask_name(c)
                }
            })
            .collect();
        return Err(ReadError::NotAHeader {
            path: path.to_path_buf(),
            cells,
        });
    }
    if !unknown.is_empty() {
        return Err(ReadError::UnknownHeaders {
            path: path.to_path_buf(),
            names: unknown.iter().map(|n| shown(n)).collect(),
            known: known_columns(columns, lang),
        });
    }
    let missing: Vec<String> = columns
        .iter()
        .filter(|c| c.required && !mapped.iter().flatten().any(|m| m.key == c.key))
        .map(|c| lang.pick(c.zh, c.key).to_string())
        .collect();
    if !missing.is_empty() {
        return Err(ReadError::MissingHeaders {
            path: path.to_path_buf(),
            names: missing,
        });
    }
    Ok(mapped)
}

fn json_row(value: Value, columns: &'static [Column]) -> Result<Row, RowProblem> {
    let Value::Object(map) = value else {
        return Err(RowProblem::NotAnObject);
    };
    let mut row = Row::default();
    let mut unknown = Vec::new();
    for (name, v) in map {
        match column_for(columns, &name) {
            Some(c) => row.set(c.key, json_text(c, v)?),
            None => unknown.push(format!("“{}”", shown(&name))),
        }
    }
    if !unknown.is_empty() {
        return Err(RowProblem::UnknownFields {
            names: unknown,
            columns,
        });
    }
    Ok(row)
}

/// A JSON value as the text a CSV cell would hold. Text columns take
/// strings only (or null for empty); a number column takes numbers, a
/// list column arrays of strings or numbers (joined with 、), and the
/// history any JSON (kept as JSON text). Anything else is refused naming
/// the column, never turned into text silently.
fn json_text(c: &'static Column, v: Value) -> Result<String, RowProblem> {
    let refuse = |v: &Value| {
        Err(RowProblem::field(
            c,
            FieldProblem::NotText {
                what: JsonKind::of(v),
                list: c.kind == Kind::List,
            },
        ))
    };
    match (c.kind, v) {
        (_, Value::Null) => Ok(String::new()),
        (_, Value::String(s)) => Ok(s),
        (Kind::Json, other) => Ok(other.to_string()),
        (Kind::Number, Value::Number(n)) => Ok(n.to_string()),
        (Kind::List, Value::Array(items)) => {
            let mut parts = Vec::new();
            for i in items {
                match i {
                    Value::String(s) => parts.push(s),
                    Value::Number(n) => parts.push(n.to_string()),
                    other => return refuse(&other),
                }
            }
            Ok(parts.join("、"))
        }
        (_, other) => refuse(&other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static COLUMNS: &[Column] = &[
        Column::new("id", "编号", "ID", true),
        Column::new("name", "姓名", "Name", false).list(),
    ];

    fn write(text: &[u8], ext: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(format!("f.{ext}"));
        std::fs::write(&path, text).expect("write");
        (dir, path)
    }

    #[test]
    fn csv_rows_keep_their_physical_line() {
        let (_d, p) = write("编号,name\nA,\"two\nlines\"\nB,x\n,\n".as_bytes(), "csv");
        let t = read(&p, COLUMNS, Lang::Zh).expect("readable");
        assert_eq!(t.format, TableFormat::Csv);
        let lines: Vec<u64> = t.rows.iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, vec![2, 4]);
        let row = t.rows[1].1.as_ref().expect("row");
        assert_eq!((row.get("id"), row.get("name")), ("B", "x"));
    }

    #[test]
    fn unknown_and_missing_headers_fail() {
        let (_d, p) = write(b"id,nom\n", "csv");
        assert!(matches!(
            read(&p, COLUMNS, Lang::En),
            Err(ReadError::UnknownHeaders { .. })
        ));
        let (_d, p) = write(b"name\nx\n", "csv");
        assert!(matches!(
            read(&p, COLUMNS, Lang::En),
            Err(ReadError::MissingHeaders { .. })
        ));
    }

    #[test]
    fn wrong_field_count_is_a_row_error() {
        let (_d, p) = write(b"id,name\na,b,c\nd\n", "csv");
        let t = read(&p, COLUMNS, Lang::En).expect("readable");
        assert!(t.rows.iter().all(|(_, r)| r.is_err()));
    }

    #[test]
    fn jsonl_by_content() {
        let (_d, p) = write(
            "{\"编号\":\"A\",\"name\":[\"x\",\"y\"]}\n\nnot json\n".as_bytes(),
            "txt",
        );
        let t = read(&p, COLUMNS, Lang::Zh).expect("readable");
        assert_eq!(t.format, TableFormat::Jsonl);
        assert_eq!(t.rows.len(), 2);
        assert_eq!(t.rows[0].1.as_ref().expect("ok").get("name"), "x、y");
        assert_eq!(t.rows[1].0, 3);
        assert!(t.rows[1].1.is_err());
    }

    #[test]
    fn a_quote_left_open_to_the_end_that_swallows_rows_is_refused() {
        let (_d, p) = write("编号,name\nA,\"x\nB,y\nC,z\n".as_bytes(), "csv");
        match read(&p, COLUMNS, Lang::En) {
            Err(ReadError::SwallowedRows { spans, .. }) => {
                assert_eq!((spans[0].first, spans[0].last, spans[0].closed), (2, 4, false));
                assert_eq!(spans[0].en, "Name");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn crlf_rows_keep_their_physical_line() {
        let (_d, p) = write("编号,name\r\nA,\"two\r\nlines\"\r\n\r\nB,x\r\n".as_bytes(), "csv");
        let t = read(&p, COLUMNS, Lang::Zh).expect("readable");
        let lines: Vec<u64> = t.rows.iter().map(|(l, _)| *l).collect();
        assert_eq!(lines, vec![2, 5]);
    }

    #[test]
    fn only_the_quote_export_adds_is_taken_off() {
        for cell in ["=1+1", "+x", "-x", "@x", "\tx", "\rx"] {
            assert_eq!(unneutralise(&neutralise(cell)), cell);
            assert!(neutralise(cell).starts_with('\''));
        }
        assert_eq!(neutralise("路灯"), "路灯");
        assert_eq!(unneutralise("'路灯"), "'路灯");
        assert_eq!(unneutralise("''=x"), "''=x");
    }

    #[test]
    fn json_values_must_fit_their_column() {
        let (_d, p) = write(
            "{\"编号\":1}\n{\"编号\":\"A\",\"name\":[{\"a\":1}]}\n{\"编号\":\"A\",\"name\":[\"x\",2]}\n"
                .as_bytes(),
            "jsonl",
        );
        let t = read(&p, COLUMNS, Lang::En).expect("readable");
        let e = t.rows[0].1.as_ref().unwrap_err().message(Lang::En);
        assert!(e.starts_with("ID: must be text (a string), not a number"), "{e}");
        assert!(t.rows[1].1.is_err());
        assert_eq!(t.rows[2].1.as_ref().expect("ok").get("name"), "x、2");
    }
}
