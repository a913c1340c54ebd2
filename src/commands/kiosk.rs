//! `jiedai` with no subcommand: the kiosk on a data directory.

use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;

use super::{exit, open_store, report_store_error};
use crate::i18n::Lang;
use crate::tui::KioskError;

/// Opens the station and runs the kiosk until the user quits.
pub fn run(dir: &Path, lang: Lang, keymap_choice: Option<&str>) -> ExitCode {
    if !std::io::stdout().is_terminal() {
        eprintln!(
            "jiedai: {}",
            lang.pick(
                "接待终端需要在终端窗口中运行（标准输出不是终端）。其他功能请用子命令，见 jiedai --help。",
                "the kiosk needs a terminal (standard output is not one). See jiedai --help for the other commands.",
            )
        );
        return ExitCode::from(exit::FAILED);
    }
    let store = match open_store(dir, lang) {
        Ok(s) => s,
        Err(e) => return report_store_error(&e, lang),
    };
    match crate::tui::run_kiosk(store, lang, keymap_choice) {
        Ok(()) => ExitCode::SUCCESS,
        Err(KioskError::Store(e)) => report_store_error(&e, lang),
        Err(KioskError::Terminal(e)) => {
            eprintln!("jiedai: {e}");
            ExitCode::from(exit::FAILED)
        }
    }
}
