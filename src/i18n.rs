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

static CURRENT: std::sync::OnceLock<Lang> = std::sync::OnceLock::new();

/// Sets the process's interface language once, at start (what errors use
/// when they are shown without a language at hand).
pub fn set_current(lang: Lang) {
    let _ = CURRENT.set(lang);
}

/// The process's interface language (Chinese until set).
pub fn current() -> Lang {
    CURRENT.get().copied().unwrap_or_default()
}
