//! Every word the console shows, in Chinese and English.

pub mod dashboard;

use crate::i18n::Lang;

/// One text in both languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct W {
    pub zh: &'static str,
    pub en: &'static str,
}

/// A text in both languages.
pub const fn w(zh: &'static str, en: &'static str) -> W {
    W { zh, en }
}

impl W {
    pub fn get(self, lang: Lang) -> &'static str {
        lang.pick(self.zh, self.en)
    }
}
