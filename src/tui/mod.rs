//! The kiosk (ratatui + crossterm): the model (`app`), key handling
//! (`update`), drawing (`views`), form state, key maps and words.

pub mod app;
pub mod form;
pub mod input;
pub mod keymap;
mod terminal;
pub mod text;
pub mod update;
pub mod views;

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use crossterm::event::{self, Event};

use crate::commands::{exit, report_store_error};
use crate::i18n::Lang;
use app::{App, Clock, Tone};

/// Where a user's own key overrides live.
pub fn user_keymap_file() -> Option<std::path::PathBuf> {
    directories::ProjectDirs::from("cn", "jiedai", "jiedai").map(|p| p.config_dir().join("keymap.toml"))
}

/// Opens the kiosk on a data directory and runs it until the user quits.
pub fn run_kiosk(dir: &Path, lang: Lang, keymap_choice: Option<&str>) -> ExitCode {
    use std::io::IsTerminal;
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
    let store = match crate::commands::open_store(dir, lang) {
        Ok(s) => s,
        Err(e) => return report_store_error(&e),
    };
    let (keymap, warnings) = keymap::load(keymap_choice, user_keymap_file().as_deref());
    let mut app = match App::new(store, lang, keymap, Clock::System) {
        Ok(a) => a,
        Err(e) => return report_store_error(&e),
    };
    if let Some(w) = warnings.first() {
        let text = match lang {
            Lang::Zh => w.message_zh(),
            Lang::En => w.to_string(),
        };
        log::warn!("keymap: {w}");
        app.say(Tone::Warn, format!("{}：{text}", app.t.keymap_warning));
    }
    match run_loop(&mut app) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("jiedai: {e}");
            ExitCode::from(exit::FAILED)
        }
    }
}

fn run_loop(app: &mut App) -> std::io::Result<()> {
    let mut term = terminal::Terminal::enter()?;
    let mut dirty = true;
    while !app.quit {
        if dirty {
            term.draw(|f| views::draw(f, app))?;
            dirty = false;
        }
        // Drain every pending event, then draw once.
        if event::poll(Duration::from_millis(250))? {
            loop {
                match event::read()? {
                    Event::Key(k) => update::on_key(app, k),
                    Event::Paste(text) => update::on_paste(app, &text),
                    Event::Resize(..) => {}
                    _ => {}
                }
                if app.quit || !event::poll(Duration::ZERO)? {
                    break;
                }
            }
            dirty = true;
        }
        if app.poll_catalog() {
            dirty = true;
        }
    }
    Ok(())
}
