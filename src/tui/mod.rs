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

use std::time::Duration;

use crossterm::event::{self, Event};

use crate::i18n::Lang;
use crate::storage::{Store, StoreError};
use app::{App, Clock, Tone};

/// Where a user's own key overrides live.
pub fn user_keymap_file() -> Option<std::path::PathBuf> {
    directories::ProjectDirs::from("cn", "jiedai", "jiedai").map(|p| p.config_dir().join("keymap.toml"))
}

/// Why the kiosk stopped other than by the user quitting.
#[derive(Debug)]
pub enum KioskError {
    /// The station could not be read.
    Store(StoreError),
    /// The terminal could not be driven.
    Terminal(std::io::Error),
}

/// Runs the kiosk on a store its caller opened, until the user quits.
pub fn run_kiosk(store: Store, lang: Lang, keymap_choice: Option<&str>) -> Result<(), KioskError> {
    let (keymap, warnings) = keymap::load(keymap_choice, user_keymap_file().as_deref());
    let mut app = App::new(store, lang, keymap, Clock::System).map_err(KioskError::Store)?;
    if let Some(w) = warnings.first() {
        let text = match lang {
            Lang::Zh => w.message_zh(),
            Lang::En => w.to_string(),
        };
        log::warn!("keymap: {w}");
        app.say(Tone::Warn, format!("{}：{text}", app.t.keymap_warning));
    }
    run_loop(&mut app).map_err(KioskError::Terminal)
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
