//! The `vocabulary!` macro: closed word lists with a file code and labels in
//! both languages.

/// Declares a closed vocabulary: a code used in files, a Chinese and an
/// English label, and lookup by any of the three.
macro_rules! vocabulary {
    ($(#[$meta:meta])* $name:ident { $($variant:ident = $code:literal, $zh:literal, $en:literal;)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant,)* }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code,)* }
            }

            pub fn zh(self) -> &'static str {
                match self { $($name::$variant => $zh,)* }
            }

            pub fn en(self) -> &'static str {
                match self { $($name::$variant => $en,)* }
            }

            pub fn label(self, lang: $crate::i18n::Lang) -> &'static str {
                lang.pick(self.zh(), self.en())
            }

            /// Finds a value by its code, Chinese label or English label
            /// (case-insensitive, surrounding spaces ignored).
            pub fn parse(text: &str) -> Option<$name> {
                let t = text.trim();
                Self::ALL.iter().copied().find(|v| {
                    v.code().eq_ignore_ascii_case(t) || v.zh() == t || v.en().eq_ignore_ascii_case(t)
                })
            }

            /// The known values, for error messages.
            pub fn known(lang: $crate::i18n::Lang) -> String {
                Self::ALL.iter().map(|v| v.label(lang)).collect::<Vec<_>>().join(lang.pick("、", ", "))
            }
        }
    };
}
