//! Appeals to files: JSON Lines, CSV or xlsx, one appeal per line or row,
//! with the columns `appeals::COLUMNS` names (Chinese headers, or English
//! keys with `--lang en`; JSON keys are always English). People read the
//! words (类别 交通停车, 办理状态 已办结) and the local time
//! `YYYY-MM-DD HH:MM`; machines read the code columns beside them
//! (类别代码 `traffic`, 状态代码 `closed`, 时间戳 in RFC 3339). Deputies'
//! names are joined with 、 and the history is a JSON array. `import
//! appeals` reads every one of these back into the same appeals. In CSV, free-text cells that
//! start like a formula (= + - @ tab CR) get a single quote in front, as
//! OWASP advises against CSV injection; import takes exactly that quote
//! off again. An xlsx cell that cannot be written names its appeal.

use std::io::Write;

use serde_json::{Map, Value};

use super::appeals::COLUMNS;
use super::table::{Column, neutralise};
use crate::domain::{Appeal, Zone};
use crate::i18n::Lang;
use crate::storage::{Reader, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("{0}")]
    Csv(#[from] csv::Error),
    #[error("{0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
    /// One appeal's cell that xlsx cannot hold (e.g. over 32,767
    /// characters): names the appeal and the column.
    #[error("{code} {}: {source}", column.key)]
    Cell {
        code: String,
        column: &'static Column,
        source: rust_xlsxwriter::XlsxError,
    },
}

impl ExportError {
    /// The reader of standard output went away (`| head -1`).
    pub fn is_broken_pipe(&self) -> bool {
        let io = match self {
            ExportError::Io(e) => Some(e),
            ExportError::Csv(e) => match e.kind() {
                csv::ErrorKind::Io(e) => Some(e),
                _ => None,
            },
            _ => None,
        };
        io.is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    }

    /// The error in the user's language.
    pub fn message(&self, lang: Lang) -> String {
        match self {
            ExportError::Cell { code, column, source } => lang.pick(
                format!(
                    "诉求 {code} 的“{}/{}”无法写入 xlsx（{source}）",
                    column.zh, column.key
                ),
                format!(
                    "appeal {code}: its “{}/{}” cell cannot be written to xlsx ({source})",
                    column.key, column.zh
                ),
            ),
            other => other.to_string(),
        }
    }
}

/// Every appeal in the store, oldest code first.
pub fn all_appeals(reader: &Reader) -> Result<Vec<Appeal>, StoreError> {
    let mut all = Vec::new();
    reader.for_each_appeal(|a| {
        all.push(a);
        Ok(())
    })?;
    Ok(all)
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(ToString::to_string).unwrap_or_default()
}

/// A column's name in a header row: Chinese, or the English key with
/// `--lang en` (import reads either).
pub fn header(c: &Column, lang: Lang) -> &'static str {
    lang.pick(c.zh, c.key)
}

/// An appeal with every time in it read in `zone`: what export writes,
/// so that one file holds one zone's times whoever recorded them.
pub fn in_zone(a: &Appeal, zone: Zone) -> Appeal {
    let mut a = a.clone();
    a.registered_at = zone.local(&a.registered_at);
    for h in &mut a.history {
        h.at = zone.local(&h.at);
    }
    a
}

/// One appeal's cells, in `COLUMNS` order: words in the user's language
/// and the time `YYYY-MM-DD HH:MM` for people, and beside them the codes
/// and the exact time for machines (the history as JSON text). The times
/// are as the appeal holds them: export passes it through `in_zone` first.
pub fn cells(a: &Appeal, lang: Lang) -> Vec<String> {
    COLUMNS
        .iter()
        .map(|c| match c.key {
            "code" => a.code.to_string(),
            "date" => a.registered_at.format("%Y-%m-%d %H:%M").to_string(),
            "timestamp" => a.registered_at.to_rfc3339(),
            "name" => a.visitor.name.clone(),
            "phone" => a.visitor.phone.clone(),
            "id_number" => a.visitor.id_number.clone(),
            "address" => a.visitor.address.clone(),
            "group_size" => a.group_size.to_string(),
            "category" => a.category.label(lang).to_string(),
            "category_code" => a.category.code().to_string(),
            "title" => a.title.clone(),
            "content" => a.content.clone(),
            "location" => a.location.clone(),
            "deputy" => a.deputy_names().join("、"),
            "urgency" => a.urgency.label(lang).to_string(),
            "urgency_code" => a.urgency.code().to_string(),
            "route" => a.route.label(lang).to_string(),
            "route_code" => a.route.code().to_string(),
            "unit" => opt(&a.unit),
            "deadline" => opt(&a.deadline),
            "reply" => opt(&a.reply),
            "satisfaction" => a
                .satisfaction
                .map(|s| s.label(lang).to_string())
                .unwrap_or_default(),
            "satisfaction_code" => a.satisfaction.map(|s| s.code().to_string()).unwrap_or_default(),
            "status" => a.status.label(lang).to_string(),
            "status_code" => a.status.code().to_string(),
            "history" => serde_json::to_string(&a.history).unwrap_or_else(|_| "[]".into()),
            _ => String::new(),
        })
        .collect()
}

/// One appeal as a JSON object with the columns' English keys: the same
/// fields, the history as an array.
pub fn json(a: &Appeal, lang: Lang) -> Value {
    let mut map = Map::new();
    for (c, cell) in COLUMNS.iter().zip(cells(a, lang)) {
        let value = if c.key == "history" {
            serde_json::to_value(&a.history).unwrap_or(Value::Array(Vec::new()))
        } else {
            Value::String(cell)
        };
        map.insert(c.key.to_string(), value);
    }
    Value::Object(map)
}

/// Appeals written one at a time in an export's format, holding nothing
/// but the row at hand: JSON Lines; CSV with a header row of column names
/// in the user's language; or an xlsx workbook with one sheet, every cell
/// a string, the sheet in constant memory (each row goes to a temporary
/// file as it is written, and the workbook is put together at `finish`).
pub enum AppealWriter<'w> {
    Jsonl(&'w mut dyn Write, Lang),
    Csv(Box<csv::Writer<&'w mut dyn Write>>, Lang),
    Xlsx {
        out: &'w mut (dyn Write + Send),
        book: Box<rust_xlsxwriter::Workbook>,
        rows: u32,
        lang: Lang,
    },
}

impl<'w> AppealWriter<'w> {
    pub fn jsonl(out: &'w mut dyn Write, lang: Lang) -> AppealWriter<'w> {
        AppealWriter::Jsonl(out, lang)
    }

    /// `bom` starts the file with a UTF-8 byte-order mark so that Excel
    /// reads it as UTF-8.
    pub fn csv(out: &'w mut dyn Write, bom: bool, lang: Lang) -> Result<AppealWriter<'w>, ExportError> {
        if bom {
            out.write_all(b"\xEF\xBB\xBF")?;
        }
        let mut w = csv::Writer::from_writer(out);
        w.write_record(COLUMNS.iter().map(|c| header(c, lang)))?;
        Ok(AppealWriter::Csv(Box::new(w), lang))
    }

    pub fn xlsx(out: &'w mut (dyn Write + Send), lang: Lang) -> Result<AppealWriter<'w>, ExportError> {
        let mut book = rust_xlsxwriter::Workbook::new();
        let sheet = book.add_worksheet_with_constant_memory()?;
        sheet.set_name(lang.pick("诉求", "appeals"))?;
        let bold = rust_xlsxwriter::Format::new().set_bold();
        for (col, c) in COLUMNS.iter().enumerate() {
            sheet.write_string_with_format(0, col as u16, header(c, lang), &bold)?;
        }
        sheet.set_freeze_panes(1, 0)?;
        Ok(AppealWriter::Xlsx {
            out,
            book: Box::new(book),
            rows: 0,
            lang,
        })
    }

    /// Writes one appeal. Free-text CSV cells that start like a formula
    /// (= + - @ tab CR) get a single quote in front (OWASP's advice against
    /// CSV injection), which import takes off again.
    pub fn row(&mut self, a: &Appeal) -> Result<(), ExportError> {
        match self {
            AppealWriter::Jsonl(out, lang) => {
                serde_json::to_writer(&mut **out, &json(a, *lang)).map_err(std::io::Error::from)?;
                out.write_all(b"\n")?;
            }
            AppealWriter::Csv(w, lang) => {
                let cells = cells(a, *lang);
                w.write_record(COLUMNS.iter().zip(&cells).map(|(c, cell)| {
                    if c.is_free_text() {
                        neutralise(cell)
                    } else {
                        cell.into()
                    }
                    .into_owned()
                }))?;
            }
            AppealWriter::Xlsx { book, rows, lang, .. } => {
                *rows += 1;
                let sheet = book.worksheet_from_index(0)?;
                for (col, (column, cell)) in COLUMNS.iter().zip(cells(a, *lang)).enumerate() {
                    if !cell.is_empty() {
                        sheet
                            .write_string(*rows, col as u16, &cell)
                            .map_err(|source| ExportError::Cell {
                                code: a.code.to_string(),
                                column,
                                source,
                            })?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Writes what is left: the output flushed, or the workbook whole.
    pub fn finish(self) -> Result<(), ExportError> {
        match self {
            AppealWriter::Jsonl(out, _) => out.flush()?,
            AppealWriter::Csv(mut w, _) => w.flush()?,
            AppealWriter::Xlsx { out, mut book, .. } => book.save_to_writer(out)?,
        }
        Ok(())
    }
}
