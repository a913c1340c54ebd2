//! Key bindings: every key press is looked up in the active [`Mode`]'s table
//! and yields an [`Action`]; every action has a Chinese and an English
//! description for the help screen.
//!
//! Layouts are TOML files with one table per mode, mapping action names to
//! lists of key names:
//!
//! ```toml
//! [global]
//! quit = ["q", "C-c"]
//! [nav]
//! up = ["k", "up"]
//! ```
//!
//! Two layouts are built in (`default` and `vim`); [`load`] picks one (or a
//! file) and merges the user's override file over it.

mod action;
mod chord;
mod error;
mod file;

use std::collections::HashMap;
use std::path::Path;

pub use action::{Action, Mode};
pub use chord::{KeyChord, UnknownKey};
pub use error::KeymapError;
use file::{Entry, first_error, names_every_action, no_keys_error, read_file_contents};

/// The shipped layouts. Paths are relative to this file: keep both here.
const DEFAULT_TOML: &str = include_str!("../../../keymaps/default.toml");
const VIM_TOML: &str = include_str!("../../../keymaps/vim.toml");

// ---------------------------------------------------------------------------
// Keymap
// ---------------------------------------------------------------------------

/// Bindings for every mode: chord -> action per mode, and action -> chords
/// (in file order) for the help screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    /// Indexed by `Action as usize`.
    keys: Vec<Vec<KeyChord>>,
    /// Indexed by `Mode as usize`.
    tables: Vec<HashMap<KeyChord, Action>>,
}

impl Keymap {
    /// The built-in default layout.
    pub fn default_layout() -> Keymap {
        Keymap::parse(DEFAULT_TOML, "keymaps/default.toml")
            .expect("the embedded keymaps/default.toml is valid (checked by tests)")
    }

    /// The TOML text of a built-in layout: `"default"` or `"vim"`.
    pub fn builtin(name: &str) -> Option<&'static str> {
        match name {
            "default" => Some(DEFAULT_TOML),
            "vim" => Some(VIM_TOML),
            _ => None,
        }
    }

    /// Parse a full layout, which must bind every action. `source` names the
    /// file in errors. Returns the first problem (by line) if there are any.
    pub fn parse(text: &str, source: &str) -> Result<Keymap, KeymapError> {
        Keymap::parse_all(text, source).map_err(first_error)
    }

    /// Apply user overrides: each action the text names gets exactly the keys
    /// listed (an empty list unbinds it); other actions are unchanged. The
    /// whole result is checked; on error `self` is left as it was.
    pub fn merge(&mut self, text: &str, source: &str) -> Result<(), KeymapError> {
        self.merge_all(text, source).map_err(first_error)
    }

    /// The action bound to `chord` in `mode`'s own table (Global is not
    /// consulted; the caller tries Global after the active mode).
    pub fn lookup(&self, mode: Mode, chord: &KeyChord) -> Option<Action> {
        self.tables.get(mode.index())?.get(chord).copied()
    }

    /// The chords bound to `action`, in file order.
    pub fn keys_for(&self, action: Action) -> &[KeyChord] {
        self.keys.get(action.index()).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The chords bound to `action` for display, e.g. `"q / Ctrl-C"`.
    pub fn keys_label(&self, action: Action) -> String {
        self.keys_for(action)
            .iter()
            .map(KeyChord::display)
            .collect::<Vec<_>>()
            .join(" / ")
    }

    /// Every action with its chords, in [`Mode::all`] then [`Action::all`]
    /// order, for the help screen.
    pub fn bindings(&self) -> Vec<(Mode, Action, Vec<KeyChord>)> {
        Mode::all()
            .iter()
            .flat_map(|&mode| {
                Action::all()
                    .iter()
                    .filter(move |a| a.mode() == mode)
                    .map(move |&a| (mode, a, self.keys_for(a).to_vec()))
            })
            .collect()
    }

    fn empty() -> Keymap {
        Keymap {
            keys: vec![Vec::new(); Action::all().len()],
            tables: vec![HashMap::new(); Mode::all().len()],
        }
    }

    fn parse_all(text: &str, source: &str) -> Result<Keymap, Vec<KeymapError>> {
        let contents = read_file_contents(text, source)?;
        let mut errors = contents.errors;
        let mut keymap = Keymap::empty();
        let mut lines = vec![Vec::new(); Action::all().len()];
        keymap.apply(&contents.entries, &mut lines);
        for &action in Action::all() {
            match contents.entries.iter().find(|e| e.action == action) {
                Some(entry) if entry.chords.is_empty() => {
                    errors.push(no_keys_error(source, Some(entry.line), action));
                }
                Some(_) => {}
                // An entry with errors is reported as such, not as missing.
                None if contents.mentioned.contains(&action) => {}
                None => errors.push(no_keys_error(source, None, action)),
            }
        }
        errors.extend(keymap.rebuild_tables(&lines, source));
        if errors.is_empty() {
            Ok(keymap)
        } else {
            Err(errors)
        }
    }

    fn merge_all(&mut self, text: &str, source: &str) -> Result<(), Vec<KeymapError>> {
        let contents = read_file_contents(text, source)?;
        let mut errors = contents.errors;
        let mut merged = self.clone();
        let mut lines = vec![Vec::new(); Action::all().len()];
        merged.apply(&contents.entries, &mut lines);
        errors.extend(merged.rebuild_tables(&lines, source));
        if errors.is_empty() {
            *self = merged;
            Ok(())
        } else {
            Err(errors)
        }
    }

    /// Replace the key lists of the entries' actions; `lines` records the
    /// file line of each new chord (same shape as `keys`).
    fn apply(&mut self, entries: &[Entry], lines: &mut [Vec<Option<usize>>]) {
        for entry in entries {
            let i = entry.action.index();
            if let (Some(keys), Some(at)) = (self.keys.get_mut(i), lines.get_mut(i)) {
                *keys = entry.chords.iter().map(|(c, _)| *c).collect();
                *at = entry.chords.iter().map(|(_, l)| Some(*l)).collect();
            }
        }
    }

    /// Rebuild the per-mode lookup tables, reporting chords bound to two
    /// actions in one mode. `lines` says where the current file bound each
    /// chord (empty or `None` for bindings that came from an earlier file).
    fn rebuild_tables(&mut self, lines: &[Vec<Option<usize>>], source: &str) -> Vec<KeymapError> {
        let mut errors = Vec::new();
        let mut tables: Vec<HashMap<KeyChord, (Action, Option<usize>)>> =
            vec![HashMap::new(); Mode::all().len()];
        for &action in Action::all() {
            let Some(table) = tables.get_mut(action.mode().index()) else {
                continue;
            };
            for (n, chord) in self.keys_for(action).iter().enumerate() {
                let line = lines
                    .get(action.index())
                    .and_then(|l| l.get(n))
                    .copied()
                    .flatten();
                match table.get(chord) {
                    None => {
                        table.insert(*chord, (action, line));
                    }
                    Some(&(other, other_line)) => {
                        // Blame the binding this file made (the later one if
                        // it made both).
                        let (blamed, blamed_line, kept) = match (line, other_line) {
                            (None, Some(l)) => (other, Some(l), action),
                            (Some(a), Some(b)) if b > a => (other, Some(b), action),
                            _ => (action, line, other),
                        };
                        let mode = action.mode().name();
                        let key = chord.display();
                        errors.push(KeymapError::new(
                            source,
                            blamed_line,
                            Some(blamed.name()),
                            format!(
                                "\"{key}\" is bound to both {} and {} in [{mode}]",
                                kept.name(),
                                blamed.name()
                            ),
                            format!(
                                "“{key}”在 [{mode}] 中同时绑定了 {} 和 {}",
                                kept.name(),
                                blamed.name()
                            ),
                        ));
                    }
                }
            }
        }
        self.tables = tables
            .into_iter()
            .map(|t| t.into_iter().map(|(k, (a, _))| (k, a)).collect())
            .collect();
        errors
    }
}

// ---------------------------------------------------------------------------
// Loading
// ---------------------------------------------------------------------------

/// Load what the user asked for.
///
/// `choice` is `None` (the default layout), a built-in name (`"default"`,
/// `"vim"`) or a path to a TOML file: a full layout if it names every action,
/// otherwise overrides merged over the default layout. Then, if `user_file`
/// exists, it is merged over the result.
///
/// Never panics. Problems come back as warnings for the app to show: if
/// `choice` cannot be used the default layout is used instead; if `user_file`
/// has problems none of its overrides are applied (the layout from `choice`
/// stays as it was).
pub fn load(choice: Option<&str>, user_file: Option<&Path>) -> (Keymap, Vec<KeymapError>) {
    let mut warnings = Vec::new();
    let mut keymap = match choice {
        None => Keymap::default_layout(),
        Some(name) => match Keymap::builtin(name) {
            Some(text) => match Keymap::parse_all(text, &format!("keymaps/{name}.toml")) {
                Ok(keymap) => keymap,
                Err(errors) => {
                    warnings.extend(errors);
                    Keymap::default_layout()
                }
            },
            None => load_layout_file(Path::new(name), &mut warnings),
        },
    };
    if let Some(path) = user_file
        && path.exists()
        && let Some(text) = read_keymap_file(path, &mut warnings)
        && let Err(errors) = keymap.merge_all(&text, &path.display().to_string())
    {
        warnings.extend(errors);
    }
    (keymap, warnings)
}

fn load_layout_file(path: &Path, warnings: &mut Vec<KeymapError>) -> Keymap {
    let Some(text) = read_keymap_file(path, warnings) else {
        return Keymap::default_layout();
    };
    let source = path.display().to_string();
    if names_every_action(&text) {
        match Keymap::parse_all(&text, &source) {
            Ok(keymap) => keymap,
            Err(errors) => {
                warnings.extend(errors);
                Keymap::default_layout()
            }
        }
    } else {
        let mut keymap = Keymap::default_layout();
        if let Err(errors) = keymap.merge_all(&text, &source) {
            warnings.extend(errors);
        }
        keymap
    }
}

fn read_keymap_file(path: &Path, warnings: &mut Vec<KeymapError>) -> Option<String> {
    use crate::limits::{KEYMAP_FILE, ReadCapped, kb, read_text_capped};
    // A keymap is a few KB; a larger file is refused before it is parsed.
    match read_text_capped(path, KEYMAP_FILE) {
        Ok(text) => Some(text),
        Err(ReadCapped::TooBig { size, limit }) => {
            warnings.push(KeymapError::new(
                &path.display().to_string(),
                None,
                None,
                format!(
                    "the keymap file is too large ({}): a keymap file may be at most {}",
                    kb(size),
                    kb(limit)
                ),
                format!("键位文件过大（{}）：键位文件最大 {}", kb(size), kb(limit)),
            ));
            None
        }
        Err(ReadCapped::Io(e)) => {
            warnings.push(KeymapError::new(
                &path.display().to_string(),
                None,
                None,
                format!("cannot read the keymap file: {e}"),
                format!(
                    "无法读取键位文件：{}",
                    crate::i18n::os_words(&e, crate::i18n::Lang::Zh)
                ),
            ));
            None
        }
    }
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use crossterm::event::{KeyEventKind, KeyEventState};

    fn chord(s: &str) -> KeyChord {
        KeyChord::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn event(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent {
            code,
            modifiers: mods,
            kind: KeyEventKind::Press,
            state: KeyEventState::NONE,
        }
    }

    fn layout(name: &str) -> Keymap {
        let text = Keymap::builtin(name).unwrap_or_else(|| panic!("no builtin {name}"));
        Keymap::parse(text, name).unwrap_or_else(|e| panic!("{e}"))
    }

    fn parse_err(text: &str) -> KeymapError {
        match Keymap::parse(text, "bad.toml") {
            Ok(_) => panic!("expected an error for:\n{text}"),
            Err(e) => e,
        }
    }

    /// The default layout with its `check_out` entry replaced by `entry`
    /// fails to parse, naming that entry and its line.
    fn check_out_err(entry: &str) {
        let text = DEFAULT_TOML.replace("check_out = [\"o\"]", entry);
        let line = text
            .lines()
            .position(|l| l.starts_with("check_out"))
            .map(|i| i + 1);
        let err = parse_err(&text);
        assert_eq!((err.line, err.key.as_deref()), (line, Some("check_out")));
    }

    /// Merges `text` as the user's file, which must be right.
    fn merge_ok(keymap: &mut Keymap, text: &str) {
        keymap.merge(text, "user.toml").unwrap_or_else(|e| panic!("{e}"));
    }

    /// `merge_err`, which names `key` on `line`.
    fn merge_err_at(text: &str, line: usize, key: &str) -> KeymapError {
        let err = merge_err(text);
        assert_eq!((err.line, err.key.as_deref()), (Some(line), Some(key)), "{err}");
        err
    }

    fn merge_err(text: &str) -> KeymapError {
        let mut keymap = Keymap::default_layout();
        let before = keymap.clone();
        let err = match keymap.merge(text, "user.toml") {
            Ok(()) => panic!("expected an error for:\n{text}"),
            Err(e) => e,
        };
        assert_eq!(keymap, before, "a failed merge must change nothing");
        err
    }

    #[test]
    fn shipped_layouts_parse_and_bind_every_action() {
        for name in ["default", "vim"] {
            let keymap = layout(name);
            for &action in Action::all() {
                let keys = keymap.keys_for(action);
                assert!(!keys.is_empty(), "{name}: {} unbound", action.name());
                for key in keys {
                    assert_eq!(
                        keymap.lookup(action.mode(), key),
                        Some(action),
                        "{name}: {key} in {:?}",
                        action.mode()
                    );
                }
            }
        }
        assert_eq!(Keymap::default_layout(), layout("default"));
        assert!(Keymap::builtin("emacs").is_none());
    }

    #[test]
    fn shipped_layouts_bind_no_chord_twice_in_a_mode() {
        for name in ["default", "vim"] {
            let keymap = layout(name);
            for &mode in Mode::all() {
                let mut seen: HashMap<KeyChord, Action> = HashMap::new();
                for (m, action, keys) in keymap.bindings() {
                    if m != mode {
                        continue;
                    }
                    for key in keys {
                        if let Some(other) = seen.insert(key, action) {
                            panic!("{name}: {key} bound to {other:?} and {action:?}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn shipped_layouts_do_not_shadow_nav_on_list_screens() {
        // Today, Appeals, Detail and Sync are active together with Nav.
        for name in ["default", "vim"] {
            let keymap = layout(name);
            for &action in Action::all() {
                if matches!(
                    action.mode(),
                    Mode::Today | Mode::Appeals | Mode::Detail | Mode::Sync
                ) {
                    for key in keymap.keys_for(action) {
                        assert_eq!(keymap.lookup(Mode::Nav, key), None, "{name}: {key}");
                    }
                }
            }
        }
    }

    #[test]
    fn shipped_layouts_have_the_specified_keys() {
        let default = layout("default");
        let vim = layout("vim");
        let keys = |k: &Keymap, a: Action| k.keys_for(a).to_vec();
        let list = |names: &[&str]| names.iter().map(|n| chord(n)).collect::<Vec<_>>();
        assert_eq!(keys(&default, Action::Quit), list(&["q", "C-c"]));
        assert_eq!(keys(&default, Action::Down), list(&["down"]));
        assert_eq!(keys(&vim, Action::Down), list(&["j", "down"]));
        assert_eq!(keys(&vim, Action::Bottom), list(&["G", "end"]));
        assert_eq!(keys(&default, Action::FilterDeputy), list(&["d"]));
        assert_eq!(keys(&vim, Action::FilterDeputy), list(&["D"]));
        assert_eq!(keys(&vim, Action::AnswerOnSpot), list(&["H"]));
        assert_eq!(keys(&default, Action::RemoveAppeal), list(&["C-d"]));
        assert_eq!(keys(&vim, Action::RemoveAppeal), list(&["C-x"]));
        assert_eq!(keys(&vim, Action::PrevField), list(&["S-tab"]));
        assert_eq!(keys(&vim, Action::Yes), list(&["y", "enter"]));
        // Actions the vim layout leaves alone are the same in both.
        let changed = [
            Action::Up,
            Action::Down,
            Action::PageUp,
            Action::PageDown,
            Action::Top,
            Action::Bottom,
            Action::Open,
            Action::Back,
            Action::FilterDeputy,
            Action::AnswerOnSpot,
            Action::RemoveAppeal,
        ];
        for &a in Action::all() {
            if !changed.contains(&a) {
                assert_eq!(keys(&default, a), keys(&vim, a), "{}", a.name());
            }
        }
    }

    #[test]
    fn names_descriptions_and_modes() {
        assert_eq!(Action::all().len(), 62);
        for &action in Action::all() {
            assert!(!action.desc_zh().trim().is_empty(), "{action:?}");
            assert!(!action.desc_en().trim().is_empty(), "{action:?}");
            assert_eq!(Action::from_name(action.name()), Some(action));
            assert!(Mode::all().contains(&action.mode()));
        }
        let mut names: Vec<_> = Action::all().iter().map(|a| a.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), Action::all().len(), "action names are unique");
        for &mode in Mode::all() {
            assert_eq!(Mode::from_name(mode.name()), Some(mode));
            assert!(!mode.label_zh().is_empty() && !mode.label_en().is_empty());
            assert!(Action::all().iter().any(|a| a.mode() == mode));
        }
        assert_eq!(Action::from_name("nope"), None);
        assert_eq!(Action::CheckIn.name(), "check_in");
        assert_eq!(Action::PrintReceipt.mode(), Mode::Detail);
        // bindings() follows Mode::all() order and lists every action once.
        let keymap = Keymap::default_layout();
        let bindings = keymap.bindings();
        assert_eq!(bindings.len(), Action::all().len());
        assert!(bindings.windows(2).all(|w| w[0].0 <= w[1].0));
        assert_eq!(bindings[0].1, Action::Quit);
    }

    #[test]
    fn named_keys_round_trip_through_display() {
        let cases = [
            ("enter", "Enter"),
            ("ret", "Enter"),
            ("esc", "Esc"),
            ("tab", "Tab"),
            ("S-tab", "Shift-Tab"),
            ("backtab", "Shift-Tab"),
            ("backspace", "Backspace"),
            ("delete", "Delete"),
            ("del", "Delete"),
            ("insert", "Insert"),
            ("up", "Up"),
            ("down", "Down"),
            ("left", "Left"),
            ("right", "Right"),
            ("home", "Home"),
            ("end", "End"),
            ("pageup", "PageUp"),
            ("pagedown", "PageDown"),
            ("space", "Space"),
            (" ", "Space"),
            ("F1", "F1"),
            ("F12", "F12"),
            ("f5", "F5"),
            ("q", "q"),
            ("G", "G"),
            ("/", "/"),
            ("?", "?"),
            ("-", "-"),
            ("开", "开"),
            ("C-s", "Ctrl-S"),
            ("C-S", "Ctrl-Shift-S"),
            ("C-S-s", "Ctrl-Shift-S"),
            ("C-c", "Ctrl-C"),
            ("M-1", "Alt-1"),
            ("C-M-x", "Ctrl-Alt-X"),
            ("C--", "Ctrl--"),
            ("S-up", "Shift-Up"),
            ("C-enter", "Ctrl-Enter"),
            ("M-开", "Alt-开"),
        ];
        for (name, shown) in cases {
            let parsed = chord(name);
            assert_eq!(parsed.display(), shown, "display of {name}");
            assert_eq!(chord(shown), parsed, "parse of display {shown:?} of {name}");
        }
        assert_eq!(chord("enter").code, KeyCode::Enter);
        assert_eq!(chord("space").code, KeyCode::Char(' '));
        assert_eq!(
            chord("S-tab"),
            KeyChord::new(KeyCode::BackTab, KeyModifiers::NONE)
        );
        assert_eq!(chord("C-s").mods, KeyModifiers::CONTROL);
        assert_eq!(chord("G"), chord("S-g"));
        assert_ne!(chord("G"), chord("g"));
        assert_eq!(chord("Ctrl-S"), chord("C-s"));
        assert_eq!(chord("PageUp"), chord("pageup"));
    }

    #[test]
    fn bad_key_names_are_rejected() {
        for bad in [
            "", "C-", "M-", "C-M-", "foo", "F0", "F25", "Fx", "c-x", "S-1", "ctrl", "enterr",
        ] {
            let err = KeyChord::parse(bad).err().map(|e| e.to_string());
            assert_eq!(err, Some(format!("unknown key name \"{bad}\"")), "{bad:?}");
        }
    }

    #[test]
    fn events_match_parsed_chords() {
        let cases = [
            (event(KeyCode::Char('G'), KeyModifiers::SHIFT), "G"),
            (event(KeyCode::Char('g'), KeyModifiers::SHIFT), "G"),
            (event(KeyCode::BackTab, KeyModifiers::SHIFT), "S-tab"),
            (event(KeyCode::BackTab, KeyModifiers::NONE), "S-tab"),
            (event(KeyCode::Tab, KeyModifiers::SHIFT), "S-tab"),
            (event(KeyCode::Char('s'), KeyModifiers::CONTROL), "C-s"),
            (event(KeyCode::Char('开'), KeyModifiers::NONE), "开"),
            (event(KeyCode::Char(' '), KeyModifiers::NONE), "space"),
            (event(KeyCode::Char('?'), KeyModifiers::SHIFT), "?"),
            (event(KeyCode::Char('1'), KeyModifiers::ALT), "M-1"),
            (event(KeyCode::F(1), KeyModifiers::NONE), "F1"),
            (event(KeyCode::Up, KeyModifiers::SHIFT), "S-up"),
        ];
        for (ev, name) in cases {
            assert_eq!(KeyChord::from_event(&ev), chord(name), "{ev:?} vs {name}");
        }
        assert_ne!(
            KeyChord::from_event(&event(KeyCode::Char('g'), KeyModifiers::NONE)),
            chord("G")
        );
        assert_ne!(
            KeyChord::from_event(&event(KeyCode::Char('s'), KeyModifiers::NONE)),
            chord("C-s")
        );
        let vim = layout("vim");
        let g = KeyChord::from_event(&event(KeyCode::Char('G'), KeyModifiers::SHIFT));
        assert_eq!(vim.lookup(Mode::Nav, &g), Some(Action::Bottom));
        assert_eq!(vim.lookup(Mode::Global, &g), None);
        let back_tab = KeyChord::from_event(&event(KeyCode::BackTab, KeyModifiers::SHIFT));
        assert_eq!(vim.lookup(Mode::Form, &back_tab), Some(Action::PrevField));
        let ctrl_s = KeyChord::from_event(&event(KeyCode::Char('s'), KeyModifiers::CONTROL));
        assert_eq!(vim.lookup(Mode::Form, &ctrl_s), Some(Action::Save));
    }

    #[test]
    fn merge_replaces_only_the_named_action() {
        let mut keymap = Keymap::default_layout();
        let before = keymap.clone();
        merge_ok(&mut keymap, "# mine\n[today]\ncheck_in = [\"I\", \"F2\"]\n");
        assert_eq!(keymap.keys_for(Action::CheckIn), &[chord("I"), chord("F2")]);
        assert_eq!(keymap.lookup(Mode::Today, &chord("I")), Some(Action::CheckIn));
        assert_eq!(keymap.lookup(Mode::Today, &chord("i")), None, "old key gone");
        for &a in Action::all() {
            if a != Action::CheckIn {
                assert_eq!(keymap.keys_for(a), before.keys_for(a), "{}", a.name());
            }
        }
        for &mode in Mode::all() {
            for (m, a, keys) in before.bindings() {
                if m == mode && a != Action::CheckIn {
                    for k in keys {
                        assert_eq!(keymap.lookup(mode, &k), Some(a));
                    }
                }
            }
        }
    }

    #[test]
    fn merge_can_swap_keys_and_unbind() {
        let mut keymap = Keymap::default_layout();
        let text = "[today]\ncheck_in = [\"o\"]\ncheck_out = [\"i\"]\n[global]\nquit = []\n";
        merge_ok(&mut keymap, text);
        assert_eq!(keymap.lookup(Mode::Today, &chord("o")), Some(Action::CheckIn));
        assert_eq!(keymap.lookup(Mode::Today, &chord("i")), Some(Action::CheckOut));
        assert!(keymap.keys_for(Action::Quit).is_empty());
        assert_eq!(keymap.lookup(Mode::Global, &chord("q")), None);
        // A chord in a mode may repeat a Global chord.
        merge_ok(&mut keymap, "[appeals]\nsearch = [\"F1\"]\n");
        assert_eq!(keymap.lookup(Mode::Appeals, &chord("F1")), Some(Action::Search));
    }

    #[test]
    fn syntax_error_reports_its_line() {
        let text = "[global]\nquit = [\"q\"]\nhelp = [\"?\" \"F1\"]\n\n[nav]\n";
        let err = parse_err(text);
        assert_eq!(err.line, Some(3), "{err}");
        assert!(err.problem.starts_with("TOML syntax error"), "{err}");
        assert_eq!(err.file, "bad.toml");
        let err = merge_err("[today]\ncheck_in = [\"i\"]\ncheck_in = [\"o\"]\n");
        assert_eq!(err.line, Some(3), "duplicate TOML key: {err}");
    }

    #[test]
    fn unknown_action_reports_line_and_name() {
        let text = "# user keys\n[global]\nquit = [\"q\"]\n\nquitt = [\"x\"]\n";
        let err = merge_err_at(text, 5, "quitt");
        assert!(err.problem.contains("unknown action \"quitt\""), "{err}");
        assert!(err.problem.contains("help"), "lists the known actions: {err}");
    }

    #[test]
    fn bad_key_name_reports_line_and_action() {
        let text = "[global]\nquit = [\n  \"q\",\n  \"C-\",\n]\n";
        let err = merge_err_at(text, 4, "quit");
        assert_eq!(
            err.to_string(),
            "user.toml line 4, key \"quit\": unknown key name \"C-\""
        );
        assert_eq!(
            err.message_zh(),
            "键位文件 user.toml 第 4 行，“quit”：无法识别的按键名“C-”"
        );
    }

    #[test]
    fn duplicate_chord_reports_the_later_binding() {
        // Both in one file: blame the later line.
        let text = "[appeals]\nsearch = [\"/\"]\nfilter_status = [\"s\"]\nfilter_dates = [\"/\"]\n";
        let err = merge_err_at(text, 4, "filter_dates");
        assert!(
            err.problem.contains("search") && err.problem.contains("[appeals]"),
            "{err}"
        );
        // Against a binding kept from the layout below: blame this file's line.
        let err = merge_err_at("\n[today]\ncheck_in = [\"o\"]\n", 3, "check_in");
        assert!(err.problem.contains("check_out"), "{err}");
        // The earlier action in Action::all() order, when it is the one in the file.
        merge_err_at("[today]\ncheck_out = [\"i\"]\n", 2, "check_out");
        // Two Global actions may not share a chord either.
        merge_err_at("[global]\nhelp = [\"q\"]\n", 2, "help");
        // In a full layout too.
        check_out_err("check_out = [\"i\"]");
    }

    #[test]
    fn printable_key_in_form_is_rejected() {
        let text = "[form]\nsave = [\"C-s\"]\nnext_field = [\"tab\", \"n\"]\n";
        merge_err_at(text, 3, "next_field");
        for bad in ["space", "开", "S", "1"] {
            let err = merge_err(&format!("[form]\nsave = [\"{bad}\"]\n"));
            assert_eq!(err.key.as_deref(), Some("save"), "{bad}: {err}");
        }
        let mut keymap = Keymap::default_layout();
        merge_ok(&mut keymap, "[form]\nsave = [\"C-s\", \"M-s\", \"F2\"]\n");
        assert_eq!(keymap.lookup(Mode::Form, &chord("F2")), Some(Action::Save));
    }

    #[test]
    fn misplaced_and_mistyped_entries_are_reported() {
        // The text, the line and key the error names, and words of its problem.
        let cases = [
            (
                "[global]\nquit = [\"q\"]\n[nav]\ncheck_in = [\"i\"]\n",
                4,
                "check_in",
                "[today]",
            ),
            (
                "\n\n[screens]\nquit = [\"q\"]\n",
                3,
                "screens",
                "unknown mode table",
            ),
            ("quit = [\"q\"]\n", 1, "quit", "[global]"),
            ("[global]\n\nquit = \"q\"\n", 3, "quit", "list of key names"),
            ("[global]\nquit = [\"q\",\n 7]\n", 3, "quit", ""),
            ("global = 3\n", 1, "global", ""),
        ];
        for (text, line, key, problem) in cases {
            let err = merge_err_at(text, line, key);
            assert!(err.problem.contains(problem), "{err}");
        }
    }

    #[test]
    fn full_layout_must_bind_every_action() {
        let text = DEFAULT_TOML.replace("check_out = [\"o\"]\n", "");
        let err = parse_err(&text);
        assert_eq!((err.line, err.key.as_deref()), (None, Some("check_out")));
        assert!(err.problem.contains("no keys"), "{err}");
        assert_eq!(
            err.to_string(),
            "bad.toml, key \"check_out\": no keys bound to check_out under [today]; a full layout must bind every action"
        );

        check_out_err("check_out = []");

        // Errors come back in line order, and a broken entry is not also
        // reported as missing.
        let text = DEFAULT_TOML.replace("[\"C-s\"]", "[\"C-\"]");
        let err = parse_err(&text);
        assert_eq!(err.key.as_deref(), Some("save"));
        assert!(err.problem.contains("unknown key name"), "{err}");
    }

    #[test]
    fn load_falls_back_to_default_on_a_broken_path() {
        let path = "/nonexistent/jiedai/keys.toml";
        let (keymap, warnings) = load(Some(path), None);
        assert_eq!(keymap, Keymap::default_layout());
        assert_eq!(warnings.len(), 1);
        assert_eq!(warnings[0].file, path);
        assert!(warnings[0].to_string().contains(path));
        assert!(warnings[0].message_zh().contains(path));

        let (keymap, warnings) = load(None, None);
        assert_eq!(keymap, Keymap::default_layout());
        assert!(warnings.is_empty());
        let (keymap, warnings) = load(Some("vim"), Some(Path::new("/nonexistent/user.toml")));
        assert_eq!(keymap, layout("vim"));
        assert!(warnings.is_empty(), "a missing user file is not an error");
    }

    #[test]
    fn load_reads_layout_and_user_files() {
        let dir = std::env::temp_dir().join(format!("jiedai-keymap-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        let write = |name: &str, text: &str| {
            let path = dir.join(name);
            std::fs::write(&path, text).unwrap_or_else(|e| panic!("{e}"));
            path
        };

        // A full layout file: used as it is.
        let full = write("full.toml", &VIM_TOML.replace("[\"g\", \"home\"]", "[\"home\"]"));
        let (keymap, warnings) = load(full.to_str(), None);
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(keymap.keys_for(Action::Top), &[chord("home")]);
        assert_eq!(
            keymap.keys_for(Action::Down),
            layout("vim").keys_for(Action::Down)
        );

        // A partial file: merged over the default layout.
        let partial = write("partial.toml", "[nav]\ndown = [\"j\", \"down\"]\n");
        let (keymap, warnings) = load(partial.to_str(), None);
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(keymap.keys_for(Action::Down), &[chord("j"), chord("down")]);
        assert_eq!(keymap.keys_for(Action::Up), &[chord("up")]);

        // A user file over a builtin.
        let user = write("user.toml", "[detail]\nprint_receipt = [\"P\", \"F5\"]\n");
        let (keymap, warnings) = load(Some("vim"), Some(&user));
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(
            keymap.lookup(Mode::Detail, &chord("F5")),
            Some(Action::PrintReceipt)
        );
        assert_eq!(keymap.lookup(Mode::Nav, &chord("j")), Some(Action::Down));

        // A broken user file: warnings name it; the chosen layout stays.
        let broken = write(
            "broken.toml",
            "[nav]\ndown = [\"j\"]\nup = [\"j\"]\n[global]\nquit = [\"C-\"]\n",
        );
        let (keymap, warnings) = load(Some("vim"), Some(&broken));
        assert_eq!(keymap, layout("vim"));
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(warnings.iter().all(|w| w.file == broken.display().to_string()));

        // A broken layout file: the default layout, with the warning.
        let bad = write("bad.toml", "[nav\n");
        let (keymap, warnings) = load(bad.to_str(), None);
        assert_eq!(keymap, Keymap::default_layout());
        assert_eq!(warnings.len(), 1);
        assert_eq!(warnings[0].line, Some(1));

        let _ = std::fs::remove_dir_all(&dir);
    }
}
