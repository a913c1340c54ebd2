//! `jiedai demo`: the kiosk on a fresh temporary station seeded from
//! sample-data/.

use std::process::ExitCode;

use crate::i18n::Lang;

pub fn run(_lang: Lang, _keymap: Option<&str>) -> ExitCode {
    eprintln!("jiedai: demo is not available yet");
    ExitCode::from(super::exit::FAILED)
}
