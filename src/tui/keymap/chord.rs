//! Key chords: one key press with its modifiers, parsed from and shown as
//! the key names of keymap files.

use std::fmt;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// A key name that names no key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown key name \"{0}\"")]
pub struct UnknownKey(pub String);

/// One key press with its modifiers, normalised so that what a terminal sends
/// and what a keymap file names compare equal:
/// SHIFT is folded into the character for `Char` keys (`G`, not `Shift-g`),
/// Shift-Tab is always `BackTab` without SHIFT, and space is `Char(' ')`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyChord {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

/// Named keys accepted by [`KeyChord::parse`] (case-insensitive), besides
/// `F1`..`F24`.
const NAMED_KEYS: &[(&str, KeyCode)] = &[
    ("enter", KeyCode::Enter),
    ("ret", KeyCode::Enter),
    ("return", KeyCode::Enter),
    ("esc", KeyCode::Esc),
    ("escape", KeyCode::Esc),
    ("tab", KeyCode::Tab),
    ("backtab", KeyCode::BackTab),
    ("backspace", KeyCode::Backspace),
    ("bs", KeyCode::Backspace),
    ("delete", KeyCode::Delete),
    ("del", KeyCode::Delete),
    ("insert", KeyCode::Insert),
    ("ins", KeyCode::Insert),
    ("up", KeyCode::Up),
    ("down", KeyCode::Down),
    ("left", KeyCode::Left),
    ("right", KeyCode::Right),
    ("home", KeyCode::Home),
    ("end", KeyCode::End),
    ("pageup", KeyCode::PageUp),
    ("pgup", KeyCode::PageUp),
    ("pagedown", KeyCode::PageDown),
    ("pgdn", KeyCode::PageDown),
    ("space", KeyCode::Char(' ')),
];

impl KeyChord {
    /// A chord from a code and modifiers, normalised.
    pub fn new(code: KeyCode, mods: KeyModifiers) -> KeyChord {
        let mut code = code;
        let mut mods = mods;
        match code {
            KeyCode::Char(c) if mods.contains(KeyModifiers::SHIFT) => {
                code = KeyCode::Char(shifted(c));
                mods.remove(KeyModifiers::SHIFT);
            }
            KeyCode::BackTab => mods.remove(KeyModifiers::SHIFT),
            KeyCode::Tab if mods.contains(KeyModifiers::SHIFT) => {
                code = KeyCode::BackTab;
                mods.remove(KeyModifiers::SHIFT);
            }
            _ => {}
        }
        KeyChord { code, mods }
    }

    /// Parse a key name as written in keymap files.
    ///
    /// * any single character: `"q"`, `"G"` (Shift-g), `"/"`, `"开"`;
    /// * modifier prefixes `C-` (Ctrl), `M-` (Alt), `S-` (Shift), combinable:
    ///   `"C-s"`, `"C-M-x"`, `"S-tab"`; in this short form the letter's case
    ///   is literal (`"C-S"` is Ctrl-Shift-s);
    /// * named keys, case-insensitive: enter (ret), esc, tab, backspace,
    ///   delete (del), insert, up, down, left, right, home, end, pageup,
    ///   pagedown, space, F1..F24;
    /// * the help screen's spelling is accepted too: `"Ctrl-S"`,
    ///   `"Ctrl-Shift-S"`, `"Alt-1"`, `"Shift-Tab"` (with the long prefixes
    ///   letters are written upper-case and Shift is spelled out).
    pub fn parse(text: &str) -> Result<KeyChord, UnknownKey> {
        let unknown = || Err(UnknownKey(text.to_string()));
        let mut rest = text;
        let mut mods = KeyModifiers::NONE;
        let mut long_form = false;
        // A single remaining character is always the key itself ("C--", "-").
        while rest.chars().nth(1).is_some() {
            if let Some(r) = rest.strip_prefix("C-") {
                mods |= KeyModifiers::CONTROL;
                rest = r;
            } else if let Some(r) = rest.strip_prefix("M-") {
                mods |= KeyModifiers::ALT;
                rest = r;
            } else if let Some(r) = rest.strip_prefix("S-") {
                mods |= KeyModifiers::SHIFT;
                rest = r;
            } else if let Some(r) = strip_prefix_ci(rest, "ctrl-") {
                mods |= KeyModifiers::CONTROL;
                long_form = true;
                rest = r;
            } else if let Some(r) = strip_prefix_ci(rest, "alt-") {
                mods |= KeyModifiers::ALT;
                long_form = true;
                rest = r;
            } else if let Some(r) = strip_prefix_ci(rest, "shift-") {
                mods |= KeyModifiers::SHIFT;
                long_form = true;
                rest = r;
            } else {
                break;
            }
        }

        let mut chars = rest.chars();
        let code = match (chars.next(), chars.next()) {
            (None, _) => return unknown(),
            (Some(c), None) => {
                if mods.contains(KeyModifiers::SHIFT) && shifted(c) == c && !c.is_uppercase() {
                    // "S-1", "S-/": Shift of a caseless character is whatever
                    // the keyboard layout makes it; write that character.
                    return unknown();
                }
                if long_form && !mods.contains(KeyModifiers::SHIFT) {
                    // "Ctrl-S" as shown on the help screen means Ctrl-s.
                    KeyCode::Char(unshifted(c))
                } else {
                    KeyCode::Char(c)
                }
            }
            _ => {
                let lower = rest.to_ascii_lowercase();
                if let Some((_, code)) = NAMED_KEYS.iter().find(|(n, _)| *n == lower) {
                    *code
                } else if let Some(n) = lower
                    .strip_prefix('f')
                    .and_then(|d| d.parse::<u8>().ok())
                    .filter(|n| (1..=24).contains(n))
                {
                    KeyCode::F(n)
                } else {
                    return unknown();
                }
            }
        };
        Ok(KeyChord::new(code, mods))
    }

    /// The chord of a terminal key event (its kind — press, repeat,
    /// release — is not looked at; filter releases before calling).
    pub fn from_event(event: &KeyEvent) -> KeyChord {
        KeyChord::new(event.code, event.modifiers)
    }

    /// Whether the chord types a character where text is typed (a plain
    /// or shifted character key).
    pub fn types_text(&self) -> bool {
        matches!(self.code, KeyCode::Char(_))
            && !self
                .mods
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SUPER)
    }

    /// How the help screen shows the chord: "Ctrl-S", "Shift-Tab", "Enter",
    /// "Esc", "F1", "G", "/", "Space", "Alt-1", "Ctrl-Shift-S".
    pub fn display(&self) -> String {
        let mut out = String::new();
        let m = self.mods;
        for (flag, word) in [
            (KeyModifiers::CONTROL, "Ctrl-"),
            (KeyModifiers::ALT, "Alt-"),
            (KeyModifiers::SUPER, "Super-"),
            (KeyModifiers::HYPER, "Hyper-"),
            (KeyModifiers::META, "Meta-"),
            (KeyModifiers::SHIFT, "Shift-"),
        ] {
            if m.contains(flag) {
                out.push_str(word);
            }
        }
        let with_mods = !m.is_empty();
        match self.code {
            KeyCode::Char(' ') => out.push_str("Space"),
            KeyCode::Char(c) if with_mods && shifted(c) != c => {
                // Ctrl-s shows as "Ctrl-S", like on the key cap.
                out.extend(c.to_uppercase());
            }
            KeyCode::Char(c) if with_mods && unshifted(c) != c => {
                out.push_str("Shift-");
                out.push(c);
            }
            KeyCode::Char(c) => out.push(c),
            KeyCode::BackTab => out.push_str("Shift-Tab"),
            KeyCode::F(n) => out.push_str(&format!("F{n}")),
            KeyCode::Enter => out.push_str("Enter"),
            KeyCode::Esc => out.push_str("Esc"),
            KeyCode::Tab => out.push_str("Tab"),
            KeyCode::Backspace => out.push_str("Backspace"),
            KeyCode::Delete => out.push_str("Delete"),
            KeyCode::Insert => out.push_str("Insert"),
            KeyCode::Up => out.push_str("Up"),
            KeyCode::Down => out.push_str("Down"),
            KeyCode::Left => out.push_str("Left"),
            KeyCode::Right => out.push_str("Right"),
            KeyCode::Home => out.push_str("Home"),
            KeyCode::End => out.push_str("End"),
            KeyCode::PageUp => out.push_str("PageUp"),
            KeyCode::PageDown => out.push_str("PageDown"),
            other => out.push_str(&format!("{other:?}")),
        }
        out
    }

    /// A plain printable character: in a text field it types itself.
    pub(super) fn is_printable(&self) -> bool {
        matches!(self.code, KeyCode::Char(c) if !c.is_control())
            && !self
                .mods
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SUPER)
    }
}

impl fmt::Display for KeyChord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display())
    }
}

/// The upper-case form of a letter that has exactly one; `c` otherwise.
fn shifted(c: char) -> char {
    let mut up = c.to_uppercase();
    match (up.next(), up.next()) {
        (Some(u), None) => u,
        _ => c,
    }
}

/// The lower-case form of a letter that has exactly one; `c` otherwise.
fn unshifted(c: char) -> char {
    let mut low = c.to_lowercase();
    match (low.next(), low.next()) {
        (Some(l), None) => l,
        _ => c,
    }
}

fn strip_prefix_ci<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    let head = text.get(..prefix.len())?;
    if head.eq_ignore_ascii_case(prefix) {
        text.get(prefix.len()..)
    } else {
        None
    }
}
