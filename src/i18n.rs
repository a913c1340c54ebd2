//! Interface language. Everything a user reads comes in Chinese and English;
//! the domain names its enums in both, the TUI and the CLI pick by `Lang`.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, clap::ValueEnum)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    /// Pick between the Chinese and the English form of one text.
    pub fn pick<T>(self, zh: T, en: T) -> T {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }
}

/// What the system said about an I/O error, in the user's language where
/// the kind of error is a common one (the system's own text is English).
pub fn os_words(e: &std::io::Error, lang: Lang) -> String {
    use std::io::ErrorKind as K;
    let zh = match e.kind() {
        K::NotFound => "文件或目录不存在",
        K::PermissionDenied => "没有权限",
        K::AlreadyExists => "已存在",
        K::ReadOnlyFilesystem => "文件系统只读",
        K::IsADirectory => "是一个目录",
        K::NotADirectory => "不是目录",
        K::StorageFull | K::QuotaExceeded => "磁盘空间不足",
        K::FileTooLarge => "文件过大",
        K::InvalidData => "内容无效",
        K::UnexpectedEof => "文件意外结束",
        _ => return e.to_string(),
    };
    match (lang, e.raw_os_error()) {
        (Lang::En, _) => e.to_string(),
        (Lang::Zh, Some(code)) => format!("{zh}，系统错误码 {code}"),
        (Lang::Zh, None) => zh.to_string(),
    }
}
