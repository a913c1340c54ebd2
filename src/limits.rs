//! How large the files people hand the program may be, and reading them
//! without going past that: a file over its limit is refused with the
//! limit named, before it is parsed.

use std::io::Read;
use std::path::Path;

use crate::i18n::Lang;

/// A keymap file (the shipped ones are under 3 KiB).
pub const KEYMAP_FILE: u64 = 32 * 1024;
/// A station file (`station.toml`: the station, its staff and units).
pub const STATION_FILE: u64 = 256 * 1024;
/// The sync credentials file the county sends (keys, a URL, a CA).
pub const CREDENTIALS_FILE: u64 = 64 * 1024;
/// A holiday table (a year is about 1 KB).
pub const HOLIDAYS_FILE: u64 = 64 * 1024;

/// One row of an import file (a CSV record or a JSONL line), in bytes:
/// an exported appeal with a long history fits many times over.
pub const IMPORT_ROW: usize = 1024 * 1024;
/// Steps in one imported appeal's history.
pub const HISTORY_STEPS: usize = 1000;

/// Why a file could not be read within its limit.
#[derive(Debug)]
pub enum ReadCapped {
    Io(std::io::Error),
    /// The file holds more than `limit` bytes (at least `size`).
    TooBig {
        size: u64,
        limit: u64,
    },
}

/// Reads at most `limit` bytes of `path`; a longer file is refused
/// without reading the rest.
pub fn read_capped(path: &Path, limit: u64) -> Result<Vec<u8>, ReadCapped> {
    let file = std::fs::File::open(path).map_err(ReadCapped::Io)?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    if size > limit {
        return Err(ReadCapped::TooBig { size, limit });
    }
    let mut bytes = Vec::new();
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(ReadCapped::Io)?;
    if bytes.len() as u64 > limit {
        return Err(ReadCapped::TooBig {
            size: bytes.len() as u64,
            limit,
        });
    }
    Ok(bytes)
}

/// `read_capped` as UTF-8 text.
pub fn read_text_capped(path: &Path, limit: u64) -> Result<String, ReadCapped> {
    let bytes = read_capped(path, limit)?;
    String::from_utf8(bytes)
        .map_err(|e| ReadCapped::Io(std::io::Error::new(std::io::ErrorKind::InvalidData, e)))
}

/// "300 KB" / "64 KB": a size in kilobytes, rounded up.
pub fn kb(bytes: u64) -> String {
    format!("{} KB", bytes.div_ceil(1024))
}

impl ReadCapped {
    /// What went wrong, in the user's language, without the path (the
    /// caller names the file). `what` names the kind of file in Chinese
    /// and English.
    pub fn words(&self, what: (&str, &str), lang: Lang) -> String {
        match self {
            ReadCapped::Io(e) => lang.pick(
                format!("无法读取（{}）", crate::i18n::os_words(e, lang)),
                format!("cannot be read ({})", crate::i18n::os_words(e, lang)),
            ),
            ReadCapped::TooBig { size, limit } => lang.pick(
                format!("文件过大（{}）：{}最大 {}", kb(*size), what.0, kb(*limit)),
                format!(
                    "too large ({}): a {} may be at most {}",
                    kb(*size),
                    what.1,
                    kb(*limit)
                ),
            ),
        }
    }
}
