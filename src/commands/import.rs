//! `jiedai import deputies|appeals FILE`.

use std::path::Path;
use std::process::ExitCode;

use crate::i18n::Lang;

pub fn deputies(_dir: &Path, _file: &Path, _lang: Lang) -> ExitCode {
    eprintln!("jiedai: import is not available yet");
    ExitCode::from(super::exit::FAILED)
}

pub fn appeals(_dir: &Path, _file: &Path, _lang: Lang) -> ExitCode {
    eprintln!("jiedai: import is not available yet");
    ExitCode::from(super::exit::FAILED)
}
