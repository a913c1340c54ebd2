//! Reading and writing files: CSV and JSON Lines import of deputies and
//! appeals, and export of appeals as JSON Lines, CSV or xlsx.
//!
//! - `encoding`: UTF-8 or GB18030 detection;
//! - `table`: a file as rows of named fields, whatever its format;
//! - `deputies` and `appeals`: one row to what the store records;
//! - `problem`: why a row is not imported;
//! - `export`: appeals to files.

pub mod appeals;
pub mod deputies;
pub mod encoding;
pub mod export;
pub mod problem;
pub mod table;

use std::path::{Path, PathBuf};

use crate::domain::validate::ValidationError;

/// Whether bytes are an Excel/WPS workbook: a zip (xlsx, et) or an OLE
/// compound file (xls).
pub fn is_spreadsheet(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1")
}
use crate::i18n::Lang;

/// Why a file cannot be imported at all (exit status 2).
#[derive(Debug, thiserror::Error)]
#[error("{}", self.message(Lang::En))]
pub enum ReadError {
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    Encoding {
        path: PathBuf,
        problem: encoding::Undecodable,
    },
    /// An Excel or WPS workbook (xlsx, xls, et), not text.
    Spreadsheet {
        path: PathBuf,
    },
    /// The first row holds data, not column names (shown masked).
    NotAHeader {
        path: PathBuf,
        cells: Vec<String>,
    },
    /// Quoted fields that swallowed line breaks and what look like further
    /// rows: (first line, last line, column label zh, en).
    SwallowedRows {
        path: PathBuf,
        spans: Vec<Swallowed>,
    },
    UnknownHeaders {
        path: PathBuf,
        names: Vec<String>,
        known: String,
    },
    MissingHeaders {
        path: PathBuf,
        names: Vec<String>,
    },
    DuplicateHeader {
        path: PathBuf,
        name: String,
    },
}

impl ReadError {
    pub fn message(&self, lang: Lang) -> String {
        match self {
            ReadError::Io { path, source } => lang.pick(
                format!("{}：无法读取（{}）", path.display(), crate::i18n::os_words(source, lang)),
                format!("{}: cannot read it ({source})", path.display()),
            ),
            ReadError::Encoding {
                path,
                problem: encoding::Undecodable::BrokenUtf8 { line },
            } => lang.pick(
                format!(
                    "{}：第 {line} 行有损坏的 UTF-8 字节。文件其余部分是 UTF-8，按 GB18030 读会变成乱码，因此不导入；请修复这一行，或重新以 UTF-8 保存",
                    path.display()
                ),
                format!(
                    "{}: line {line} has a broken UTF-8 sequence. The rest of the file is UTF-8 and reading it as GB18030 would garble it, so nothing is imported; fix that line or save the file as UTF-8 again",
                    path.display()
                ),
            ),
            ReadError::Encoding {
                path,
                problem: encoding::Undecodable::Neither { line },
            } => lang.pick(
                format!(
                    "{}：无法识别文件编码：第 {line} 行既不是 UTF-8，也不是 GB18030/GBK",
                    path.display()
                ),
                format!(
                    "{}: unreadable encoding: line {line} is neither UTF-8 nor GB18030/GBK",
                    path.display()
                ),
            ),
            ReadError::Encoding {
                path,
                problem: encoding::Undecodable::BrokenUtf16 { line },
            } => lang.pick(
                format!(
                    "{}：文件标明是 UTF-16（Excel 的“Unicode 文本”），但第 {line} 行有损坏的字符；请在 Excel 或 WPS 中重新另存为“CSV UTF-8（逗号分隔）”",
                    path.display()
                ),
                format!(
                    "{}: the file is marked UTF-16 (Excel's “Unicode text”) but line {line} has a broken character; save it again in Excel or WPS as “CSV UTF-8 (Comma delimited)”",
                    path.display()
                ),
            ),
            ReadError::Spreadsheet { path } => lang.pick(
                format!(
                    "{}：这是 Excel/WPS 表格文件（xlsx/xls），暂不支持直接导入。请在 Excel 或 WPS 中打开它，选“文件 → 另存为”，文件类型选“CSV UTF-8（逗号分隔）”（WPS 或较早的 Excel 选“CSV（逗号分隔）”，存为 GB18030），再导入另存的 .csv 文件",
                    path.display()
                ),
                format!(
                    "{}: this is an Excel/WPS spreadsheet (xlsx/xls), which cannot be imported yet. Open it in Excel or WPS, choose File → Save As and the type “CSV UTF-8 (Comma delimited)” (in WPS or an older Excel “CSV (Comma delimited)”, saved as GB18030), then import the saved .csv file",
                    path.display()
                ),
            ),
            ReadError::NotAHeader { path, cells } => lang.pick(
                format!(
                    "{}：第 1 行应为表头（列名），但看起来是数据（{}）；请在第一行加上列名",
                    path.display(),
                    quote_all(cells, "、")
                ),
                format!(
                    "{}: line 1 should name the columns but looks like data ({}); add a header row",
                    path.display(),
                    quote_all(cells, ", ")
                ),
            ),
            ReadError::SwallowedRows { path, spans } => {
                let lines: Vec<String> = spans
                    .iter()
                    .map(|s| {
                        if !s.closed {
                            return lang.pick(
                                format!(
                                    "第 {}–{} 行：“{}”列的引号从第 {} 行开始，直到文件末尾都没有结束（少了一个引号？）",
                                    s.first, s.last, s.zh, s.first
                                ),
                                format!(
                                    "lines {}–{}: the quote that opens the “{}” field on line {} never closes (a missing quote?)",
                                    s.first, s.last, s.en, s.first
                                ),
                            );
                        }
                        lang.pick(
                            format!(
                                "第 {}–{} 行：“{}”列的引号从第 {} 行开始，到第 {} 行才结束，吞掉了看起来是其他行的内容（多了或少了一个引号？）",
                                s.first, s.last, s.zh, s.first, s.last
                            ),
                            format!(
                                "lines {}–{}: the quote that opens the “{}” field on line {} only closes on line {}, swallowing what look like other rows (a stray or missing quote?)",
                                s.first, s.last, s.en, s.first, s.last
                            ),
                        )
                    })
                    .collect();
                lang.pick(
                    format!(
                        "{}：整个文件未导入，请修复引号后重试：\n  {}",
                        path.display(),
                        lines.join("\n  ")
                    ),
                    format!(
                        "{}: nothing was imported; fix the quotes and try again:\n  {}",
                        path.display(),
                        lines.join("\n  ")
                    ),
                )
            }
            ReadError::UnknownHeaders { path, names, known } => lang.pick(
                format!(
                    "{}：未知的列名 {}（可用：{known}）",
                    path.display(),
                    quote_all(names, "、")
                ),
                format!(
                    "{}: unknown column(s) {} (known: {known})",
                    path.display(),
                    quote_all(names, ", ")
                ),
            ),
            ReadError::MissingHeaders { path, names } => lang.pick(
                format!("{}：缺少必需的列 {}", path.display(), quote_all(names, "、")),
                format!(
                    "{}: missing required column(s) {}",
                    path.display(),
                    quote_all(names, ", ")
                ),
            ),
            ReadError::DuplicateHeader { path, name } => lang.pick(
                format!("{}：列“{name}”出现了不止一次", path.display()),
                format!("{}: column “{name}” appears more than once", path.display()),
            ),
        }
    }
}

/// A quoted CSV field that ran over line breaks into what look like rows.
#[derive(Debug, Clone)]
pub struct Swallowed {
    pub first: u64,
    pub last: u64,
    pub zh: String,
    pub en: String,
    /// False when the quote never closes (it runs to the end of the file).
    pub closed: bool,
}

fn quote_all(names: &[String], sep: &str) -> String {
    names
        .iter()
        .map(|n| format!("“{n}”"))
        .collect::<Vec<_>>()
        .join(sep)
}

/// A validation error in the interface language.
pub fn validation_message(e: &ValidationError, lang: Lang) -> String {
    match lang {
        Lang::Zh => e.message_zh(),
        Lang::En => e.message_en(),
    }
}

/// Whether a path names a JSON Lines file by its extension.
pub fn has_json_extension(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("jsonl") || e.eq_ignore_ascii_case("json"))
}
