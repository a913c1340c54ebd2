//! Reading and writing files: CSV and JSON Lines import of deputies and
//! appeals, and export of appeals as JSON Lines, CSV or xlsx.
//!
//! - `encoding`: UTF-8 or GB18030 detection;
//! - `table`: a file as rows of named fields, whatever its format;
//! - `deputies` and `appeals`: one row to what the store records;
//! - `export`: appeals to files.

pub mod appeals;
pub mod deputies;
pub mod encoding;
pub mod export;
pub mod table;

use std::path::{Path, PathBuf};

use crate::domain::validate::ValidationError;
use crate::i18n::Lang;

/// Why a file cannot be imported at all (exit status 2).
#[derive(Debug)]
pub enum ReadError {
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    Encoding {
        path: PathBuf,
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
                format!("{}：无法读取（{source}）", path.display()),
                format!("{}: cannot read it ({source})", path.display()),
            ),
            ReadError::Encoding { path } => lang.pick(
                format!(
                    "{}：无法识别文件编码（既不是 UTF-8，也不是 GB18030/GBK）",
                    path.display()
                ),
                format!(
                    "{}: unreadable encoding (neither UTF-8 nor GB18030/GBK)",
                    path.display()
                ),
            ),
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

/// "字段：说明" / "Field: detail".
pub fn field_message(lang: Lang, label_zh: &str, label_en: &str, zh: String, en: String) -> String {
    lang.pick(format!("{label_zh}：{zh}"), format!("{label_en}: {en}"))
}

/// Whether a path names a JSON Lines file by its extension.
pub fn has_json_extension(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("jsonl") || e.eq_ignore_ascii_case("json"))
}
