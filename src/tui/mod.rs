//! The kiosk (ratatui + crossterm): the model (`app`), the messages that
//! reach it (`msg`), `update` (message in, model and effects out), the loop
//! that runs it (`runtime`), drawing (`views`), form state, key maps and
//! words.

pub mod app;
pub mod form;
pub mod input;
pub mod keymap;
pub mod msg;
pub mod runtime;
mod terminal;
pub mod text;
pub mod update;
pub mod views;

pub use terminal::restore as restore_terminal;

use crate::i18n::Lang;
use crate::storage::Running;
use crate::storage::StoreError;
use app::Clock;

/// Where a user's own key overrides live.
pub fn user_keymap_file() -> Option<std::path::PathBuf> {
    directories::ProjectDirs::from("cn", "jiedai", "jiedai").map(|p| p.config_dir().join("keymap.toml"))
}

/// Why the kiosk stopped other than by the user quitting.
#[derive(Debug, thiserror::Error)]
pub enum KioskError {
    /// The station could not be read.
    #[error(transparent)]
    Store(StoreError),
    /// The terminal could not be driven.
    #[error("the terminal could not be driven: {0}")]
    Terminal(#[source] std::io::Error),
}

/// Runs the kiosk on a store its caller moved to its writer thread, with
/// the background jobs `jobs` starts, until the user quits.
pub fn run_kiosk(
    running: Running,
    lang: Lang,
    keymap_choice: Option<&str>,
    jobs: runtime::StartJobs,
) -> Result<(), KioskError> {
    let (keymap, warnings) = keymap::load(keymap_choice, user_keymap_file().as_deref());
    for w in &warnings {
        log::warn!("keymap: {w}");
    }
    let warning = warnings.first().map(|w| match lang {
        Lang::Zh => w.message_zh(),
        Lang::En => w.to_string(),
    });
    runtime::run_kiosk(
        running,
        lang,
        keymap,
        Clock::System(Default::default()),
        warning,
        jobs,
    )
}
