//! A file as rows of named fields: CSV with a header row (Chinese or
//! English column names) or JSON Lines (one object per line, with the same
//! names as keys). Every row keeps the physical line it starts on, so that
//! errors can say where they are (LF, CRLF or CR line breaks alike).
//! JSON values must fit their column: text columns take strings only.

use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;

use super::encoding::{self, Encoding, LineIndex};
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

/// Reads a file into rows. Fails (exit status 2) when the file cannot be
/// read, its encoding is not UTF-8 or GB18030 (or is damaged UTF-8), the
/// CSV header names unknown, repeated or too few columns or is data, or a
/// quoted CSV field swallowed what look like further rows. Problems of
/// single rows are kept with those rows.
pub fn read(path: &Path, columns: &'static [Column], lang: Lang) -> Result<Table, ReadError> {
    let bytes = std::fs::read(path).map_err(|source| ReadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    if super::is_spreadsheet(&bytes) {
        return Err(ReadError::Spreadsheet {
            path: path.to_path_buf(),
        });
    }
    let (text, encoding) = encoding::decode(&bytes).map_err(|problem| ReadError::Encoding {
        path: path.to_path_buf(),
        problem,
    })?;
    let format = if has_json_extension(path) || text.trim_start().starts_with('{') {
        TableFormat::Jsonl
    } else {
        TableFormat::Csv
    };
    let rows = match format {
        TableFormat::Jsonl => read_jsonl(&text, columns),
        TableFormat::Csv => read_csv(path, &text, columns, lang)?,
    };
    Ok(Table {
        format,
        encoding,
        rows,
    })
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

fn read_csv(path: &Path, text: &str, columns: &'static [Column], lang: Lang) -> Result<Rows, ReadError> {
    let index = LineIndex::new(text.as_bytes());
    // Tab-separated when the header has tabs and no commas (Excel's
    // "Unicode text" and "Text (Tab delimited)").
    let header = text.lines().next().unwrap_or("");
    let delimiter = if header.contains('\t') && !header.contains(',') {
        '\t'
    } else {
        ','
    };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter as u8)
        .flexible(true)
        .has_headers(true)
        .from_reader(text.as_bytes());
    let headers = reader.headers().cloned().unwrap_or_default();
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
    let mut rows = Vec::new();
    let mut swallowed = Vec::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e
                    .position()
                    .map(|p| index.record_line(text.as_bytes(), p.byte() as usize))
                    .unwrap_or(0);
                rows.push((line, Err(RowProblem::Csv(e))));
                continue;
            }
        };
        let line = record
            .position()
            .map(|p| index.record_line(text.as_bytes(), p.byte() as usize))
            .unwrap_or(0);
        // Where each field starts: fields only hold line breaks when quoted.
        let mut field_line = line;
        for (k, value) in record.iter().enumerate() {
            let lines = field_lines(value);
            let last = field_line + lines.len() as u64 - 1;
            // A quote never closed runs to the end of the file.
            let open_to_end = lines.len() > 1 && {
                let tail = text.trim_end();
                tail.ends_with(value.trim_end()) && !tail.ends_with('"')
            };
            // Its span ends on the file's last line, not after its final line break.
            let span_end = if open_to_end {
                field_line + field_lines(value.trim_end_matches(['\r', '\n'])).len() as u64 - 1
            } else {
                last
            };
            let swallows = lines.len() > 1
                && lines[1..]
                    .iter()
                    .any(|l| looks_like_row(l, mapped.len(), delimiter));
            if swallows || open_to_end {
                let (zh, en) = match mapped.get(k).copied().flatten() {
                    Some(c) => (c.zh.to_string(), c.en.to_string()),
                    None => (format!("第 {} 列", k + 1), format!("column {}", k + 1)),
                };
                swallowed.push(Swallowed {
                    first: field_line,
                    last: span_end,
                    zh,
                    en,
                    closed: !open_to_end,
                });
            }
            field_line = last;
        }
        if record.iter().all(|v| v.trim().is_empty()) {
            continue;
        }
        let size = record.as_byte_record().as_slice().len();
        if size > crate::limits::IMPORT_ROW {
            rows.push((line, Err(RowProblem::TooLong { size })));
            continue;
        }
        let extra = record.iter().skip(mapped.len()).any(|v| !v.trim().is_empty());
        let stray = record
            .iter()
            .zip(&mapped)
            .any(|(v, m)| m.is_none() && !v.trim().is_empty());
        if record.len() < mapped.len() || extra || stray {
            rows.push((
                line,
                Err(RowProblem::FieldCount {
                    got: record.len(),
                    header: mapped.len(),
                }),
            ));
            continue;
        }
        let mut row = Row::default();
        for (value, column) in record.iter().zip(&mapped) {
            if let Some(c) = column {
                let value = if c.is_free_text() {
                    unneutralise(value)
                } else {
                    value
                };
                row.set(c.key, value);
            }
        }
        rows.push((line, Ok(row)));
    }
    if !swallowed.is_empty() {
        return Err(ReadError::SwallowedRows {
            path: path.to_path_buf(),
            spans: swallowed,
        });
    }
    Ok(rows)
}

fn read_jsonl(text: &str, columns: &'static [Column]) -> Rows {
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i as u64 + 1;
        if line.trim().is_empty() {
            continue;
        }
        if line.len() > crate::limits::IMPORT_ROW {
            rows.push((n, Err(RowProblem::TooLong { size: line.len() })));
            continue;
        }
        let row = serde_json::from_str::<Value>(line)
            // serde's own words are English: say where, in the user's language.
            .map_err(|e| RowProblem::NotJson { at: e.column() })
            .and_then(|v| json_row(v, columns));
        match row {
            Ok(r) if r.is_blank() => {}
            other => rows.push((n, other)),
        }
    }
    rows
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
