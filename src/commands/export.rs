//! `jiedai export appeals --format jsonl|csv|xlsx [--out FILE]`.

use std::path::Path;
use std::process::ExitCode;

use crate::cli::Format;
use crate::i18n::Lang;

pub fn appeals(_dir: &Path, _format: Format, _out: Option<&Path>, _lang: Lang) -> ExitCode {
    eprintln!("jiedai: export is not available yet");
    ExitCode::from(super::exit::FAILED)
}
