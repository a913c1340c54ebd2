//! The kiosk (ratatui + crossterm).

pub mod keymap;

use std::path::Path;
use std::process::ExitCode;

use crate::i18n::Lang;

pub fn run_kiosk(_dir: &Path, _lang: Lang, _keymap: Option<&str>) -> ExitCode {
    ExitCode::from(crate::commands::exit::FAILED)
}
