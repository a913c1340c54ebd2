//! A file as rows of named fields: CSV with a header row (Chinese or
//! English column names) or JSON Lines (one object per line, with the same
//! names as keys). Every row keeps the physical line it starts on, so that
//! errors can say where they are.

use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;

use super::encoding::{self, Encoding};
use super::{ReadError, has_json_extension};
use crate::i18n::Lang;

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
}

impl Column {
    pub const fn new(key: &'static str, zh: &'static str, en: &'static str, required: bool) -> Column {
        Column {
            key,
            zh,
            en,
            required,
        }
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

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
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
pub type Rows = Vec<(u64, Result<Row, String>)>;

/// A read file: each row with the line it starts on, or why it could not
/// be read.
#[derive(Debug)]
pub struct Table {
    pub format: Format,
    pub encoding: Encoding,
    pub rows: Rows,
}

/// Reads a file into rows. Fails (exit status 2) when the file cannot be
/// read, its encoding is not UTF-8 or GB18030, or the CSV header names
/// unknown, repeated or too few columns. Problems of single rows are kept
/// with those rows.
pub fn read(path: &Path, columns: &'static [Column], lang: Lang) -> Result<Table, ReadError> {
    let bytes = std::fs::read(path).map_err(|source| ReadError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    let (text, encoding) = encoding::decode(&bytes).ok_or_else(|| ReadError::Encoding {
        path: path.to_path_buf(),
    })?;
    let format = if has_json_extension(path) || text.trim_start().starts_with('{') {
        Format::Jsonl
    } else {
        Format::Csv
    };
    let rows = match format {
        Format::Jsonl => read_jsonl(&text, columns, lang),
        Format::Csv => read_csv(path, &text, columns, lang)?,
    };
    Ok(Table {
        format,
        encoding,
        rows,
    })
}

fn read_csv(path: &Path, text: &str, columns: &'static [Column], lang: Lang) -> Result<Rows, ReadError> {
    let mut reader = csv::ReaderBuilder::new()
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
                        name: name.trim().to_string(),
                    });
                }
                mapped.push(Some(c));
            }
            None => {
                unknown.push(name.trim().to_string());
                mapped.push(None);
            }
        }
    }
    if !unknown.is_empty() {
        return Err(ReadError::UnknownHeaders {
            path: path.to_path_buf(),
            names: unknown,
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
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                rows.push((line, Err(e.to_string())));
                continue;
            }
        };
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        if record.iter().all(|v| v.trim().is_empty()) {
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
                Err(lang.pick(
                    format!("有 {} 列，表头有 {} 列", record.len(), mapped.len()),
                    format!("has {} fields but the header has {}", record.len(), mapped.len()),
                )),
            ));
            continue;
        }
        let mut row = Row::default();
        for (value, column) in record.iter().zip(&mapped) {
            if let Some(c) = column {
                row.set(c.key, value);
            }
        }
        rows.push((line, Ok(row)));
    }
    Ok(rows)
}

fn read_jsonl(text: &str, columns: &'static [Column], lang: Lang) -> Rows {
    let mut rows = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i as u64 + 1;
        if line.trim().is_empty() {
            continue;
        }
        let row = serde_json::from_str::<Value>(line)
            .map_err(|e| lang.pick(format!("不是有效的 JSON（{e}）"), format!("not valid JSON ({e})")))
            .and_then(|v| json_row(v, columns, lang));
        match row {
            Ok(r) if r.is_blank() => {}
            other => rows.push((n, other)),
        }
    }
    rows
}

fn json_row(value: Value, columns: &'static [Column], lang: Lang) -> Result<Row, String> {
    let Value::Object(map) = value else {
        return Err(lang
            .pick("每行应为一个 JSON 对象", "each line must be a JSON object")
            .to_string());
    };
    let mut row = Row::default();
    let mut unknown = Vec::new();
    for (name, v) in map {
        match column_for(columns, &name) {
            Some(c) => row.set(c.key, json_text(c.key, v)),
            None => unknown.push(format!("“{name}”")),
        }
    }
    if !unknown.is_empty() {
        return Err(lang.pick(
            format!(
                "未知的字段 {}（可用：{}）",
                unknown.join("、"),
                known_columns(columns, lang)
            ),
            format!(
                "unknown field(s) {} (known: {})",
                unknown.join(", "),
                known_columns(columns, lang)
            ),
        ));
    }
    Ok(row)
}

/// A JSON value as the text a CSV cell would hold: strings as they are,
/// lists of words joined with 、, and the history as JSON.
fn json_text(key: &str, v: Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s,
        Value::Array(items) if key != "history" => items
            .into_iter()
            .map(|i| match i {
                Value::String(s) => s,
                other => other.to_string(),
            })
            .collect::<Vec<_>>()
            .join("、"),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static COLUMNS: &[Column] = &[
        Column::new("id", "编号", "ID", true),
        Column::new("name", "姓名", "Name", false),
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
        assert_eq!(t.format, Format::Csv);
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
        assert_eq!(t.format, Format::Jsonl);
        assert_eq!(t.rows.len(), 2);
        assert_eq!(t.rows[0].1.as_ref().expect("ok").get("name"), "x、y");
        assert_eq!(t.rows[1].0, 3);
        assert!(t.rows[1].1.is_err());
    }
}
