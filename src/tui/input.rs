//! Editable text and filterable pickers: the widgets' state, no drawing.
//! A text box keeps its text in a `ratatui_textarea::TextArea` (undo,
//! word moves, clearing) and adds the form's rules: a character cap,
//! control characters refused, newlines only where several lines belong.

use ratatui_textarea::{CursorMove, DataCursor, TextArea};
use unicode_width::UnicodeWidthChar;

use crate::domain::search::{initials, normalize};

/// A text box: single- or multi-line, with a character cap.
#[derive(Debug, Clone, Default)]
pub struct TextInput {
    area: TextArea<'static>,
    pub multiline: bool,
    pub max: usize,
    /// Shown as dots (PINs).
    pub secret: bool,
}

impl TextInput {
    pub fn new(max: usize) -> TextInput {
        TextInput {
            max,
            ..TextInput::default()
        }
    }

    pub fn multiline(max: usize) -> TextInput {
        TextInput {
            max,
            multiline: true,
            ..TextInput::default()
        }
    }

    pub fn with_text(mut self, text: &str) -> TextInput {
        self.set(text);
        self
    }

    /// Replaces the text (cut at the cap) and puts the cursor at its end.
    pub fn set(&mut self, text: &str) {
        let text: String = text.chars().take(self.max).collect();
        self.area = TextArea::new(text.split('\n').map(str::to_string).collect());
        self.area.move_cursor(CursorMove::Bottom);
        self.area.move_cursor(CursorMove::End);
    }

    pub fn text(&self) -> String {
        self.area.lines().join("\n")
    }

    pub fn is_empty(&self) -> bool {
        self.area
            .lines()
            .iter()
            .all(|l| l.chars().all(char::is_whitespace))
    }

    /// Characters held, a line break counting as one.
    fn len(&self) -> usize {
        let lines = self.area.lines();
        lines.iter().map(|l| l.chars().count()).sum::<usize>() + lines.len() - 1
    }

    /// Empties the box; `undo` brings the text back.
    pub fn clear(&mut self) {
        self.area.clear();
    }

    /// Takes back the last edit (a clear included).
    pub fn undo(&mut self) -> bool {
        self.area.undo()
    }

    /// Inserts typed text; control characters are dropped (paste included),
    /// newlines kept only in multi-line boxes. Returns false at the cap.
    pub fn insert(&mut self, c: char) -> bool {
        if c == '\n' && !self.multiline {
            return true;
        }
        if c.is_control() && c != '\n' {
            return true;
        }
        if self.len() >= self.max {
            return false;
        }
        if c == '\n' {
            self.area.insert_newline();
        } else {
            self.area.insert_char(c);
        }
        true
    }

    pub fn backspace(&mut self) {
        self.area.delete_char();
    }

    pub fn delete(&mut self) {
        self.area.delete_next_char();
    }

    pub fn left(&mut self) {
        self.area.move_cursor(CursorMove::Back);
    }

    pub fn right(&mut self) {
        self.area.move_cursor(CursorMove::Forward);
    }

    /// To the start of the word before the cursor (or of the one it is in).
    pub fn word_left(&mut self) {
        self.area.move_cursor(CursorMove::WordBack);
    }

    /// To the start of the next word.
    pub fn word_right(&mut self) {
        self.area.move_cursor(CursorMove::WordForward);
    }

    pub fn home(&mut self) {
        let DataCursor(row, _) = self.area.cursor();
        self.area.move_cursor(CursorMove::Jump(row as u16, 0));
    }

    pub fn end(&mut self) {
        self.area.move_cursor(CursorMove::End);
    }

    /// Moves up or down one line in a multi-line box, keeping the column.
    pub fn vertical(&mut self, down: bool) {
        self.area
            .move_cursor(if down { CursorMove::Down } else { CursorMove::Up });
    }

    /// The cursor as a position in the text's characters.
    fn cursor_index(&self) -> usize {
        let DataCursor(row, col) = self.area.cursor();
        let before: usize = self.area.lines()[..row]
            .iter()
            .map(|l| l.chars().count() + 1)
            .sum();
        before + col
    }

    /// The text as display lines, soft-wrapped at `width` cells (0: no
    /// wrapping), and the cursor's (line, column in cells). Wide characters
    /// take two cells and are never split.
    pub fn layout(&self, width: usize) -> (Vec<String>, (usize, usize)) {
        let text = self.text();
        let at = self.cursor_index();
        let mut lines = vec![String::new()];
        let mut cursor = None;
        let mut col = 0;
        for (i, c) in text.chars().enumerate() {
            let shown = if self.secret { '•' } else { c };
            let w = shown.width().unwrap_or(0);
            if c != '\n' && width > 0 && col + w > width {
                lines.push(String::new());
                col = 0;
            }
            if i == at {
                cursor = Some((lines.len() - 1, col));
            }
            if c == '\n' {
                lines.push(String::new());
                col = 0;
            } else if let Some(l) = lines.last_mut() {
                l.push(shown);
                col += w;
            }
        }
        let cursor = cursor.unwrap_or_else(|| {
            if width > 0 && col >= width {
                lines.push(String::new());
                col = 0;
            }
            (lines.len() - 1, col)
        });
        (lines, cursor)
    }
}

/// Pasted text as plain text: each terminal escape sequence is removed
/// whole, not just its ESC (CSI `ESC [ … final`, OSC `ESC ] … BEL or
/// ESC \\`, DCS, SOS, PM and APC strings up to their terminator, and the
/// other `ESC …` sequences); CRLF and a lone CR are one line break; a tab
/// is a space; other control characters are dropped.
pub fn clean_paste(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut it = text.chars().peekable();
    while let Some(c) = it.next() {
        match c {
            '\u{1b}' => skip_escape(&mut it),
            '\u{9b}' => skip_csi(&mut it),
            '\u{90}' | '\u{98}' | '\u{9d}' | '\u{9e}' | '\u{9f}' => skip_string(&mut it),
            '\r' => {
                it.next_if_eq(&'\n');
                out.push('\n');
            }
            '\n' => out.push('\n'),
            '\t' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

type Chars<'a> = std::iter::Peekable<std::str::Chars<'a>>;

/// After an ESC: the rest of its sequence.
fn skip_escape(it: &mut Chars) {
    match it.next() {
        Some('[') => skip_csi(it),
        Some(']' | 'P' | 'X' | '^' | '_') => skip_string(it),
        // Intermediate bytes, then one final byte (`ESC ( B`).
        Some(' '..='/') => {
            while it.next_if(|c| matches!(c, ' '..='/')).is_some() {}
            it.next_if(|c| matches!(c, '0'..='~'));
        }
        // A two-character sequence (`ESC c`, `ESC 7`) or a lone ESC.
        _ => {}
    }
}

/// A CSI sequence after its introducer: parameter and intermediate bytes,
/// then the final byte. Anything else ends it and is kept.
fn skip_csi(it: &mut Chars) {
    while it.next_if(|c| matches!(c, '0'..='?' | ' '..='/')).is_some() {}
    it.next_if(|c| matches!(c, '@'..='~'));
}

/// A string sequence (OSC, DCS, …) up to BEL, ST or `ESC \\`.
fn skip_string(it: &mut Chars) {
    while let Some(c) = it.next() {
        match c {
            '\u{7}' | '\u{9c}' => return,
            '\u{1b}' => {
                it.next_if_eq(&'\\');
                return;
            }
            _ => {}
        }
    }
}

/// One choice in a picker, with what it matches on.
#[derive(Debug, Clone)]
pub struct Choice {
    pub label: String,
    /// What a query matches: the normalised label, its pinyin initials and
    /// the extra text.
    keys: [String; 3],
    pub value: String,
    /// Listed before the others among equally good matches (a deputy who
    /// is checked in today).
    pub first: bool,
}

/// How well a query matches a choice: exactly one of its keys, the start
/// of one, or somewhere inside one (lower is better); None for no match.
fn rank(keys: &[String; 3], q: &str) -> Option<u8> {
    if q.is_empty() {
        return Some(0);
    }
    let keys = keys.iter().filter(|k| !k.is_empty());
    keys.filter_map(|k| {
        if k == q {
            Some(0)
        } else if k.starts_with(q) {
            Some(1)
        } else if k.contains(q) {
            Some(2)
        } else {
            None
        }
    })
    .min()
}

impl Choice {
    pub fn new(label: &str, value: &str) -> Choice {
        Choice::with_extra(label, value, "")
    }

    /// `extra` is more text to match (e.g. an English label).
    pub fn with_extra(label: &str, value: &str, extra: &str) -> Choice {
        Choice {
            label: label.to_string(),
            keys: [normalize(label), initials(label), normalize(extra)],
            value: value.to_string(),
            first: false,
        }
    }
}

/// A list of choices filtered by what is typed (characters or pinyin
/// initials); single or multiple selection.
#[derive(Debug, Clone, Default)]
pub struct Picker {
    pub choices: Vec<Choice>,
    pub query: TextInput,
    /// Indexes into `choices` that match the query.
    pub visible: Vec<usize>,
    /// Highlighted position in `visible`.
    pub highlight: usize,
    /// Chosen values, in choice order for multi, at most one for single.
    pub chosen: Vec<usize>,
    pub multi: bool,
    /// The choices a clear took away, for `undo`.
    cleared: Option<Vec<usize>>,
}

impl Picker {
    pub fn new(choices: Vec<Choice>, multi: bool) -> Picker {
        let mut p = Picker {
            choices,
            query: TextInput::new(20),
            multi,
            ..Picker::default()
        };
        p.refilter();
        p
    }

    /// Lists the choices the query matches, best first: an exact match of
    /// a label, its initials or its extra text, then a match at the start,
    /// then the rest; among equals, `first` choices, then the given order.
    pub fn refilter(&mut self) {
        let q = normalize(&self.query.text());
        let q = q.trim();
        let mut ranked: Vec<(u8, bool, usize)> = (0..self.choices.len())
            .filter_map(|i| {
                let c = &self.choices[i];
                rank(&c.keys, q).map(|r| (r, !c.first, i))
            })
            .collect();
        ranked.sort_unstable();
        self.visible = ranked.into_iter().map(|(_, _, i)| i).collect();
        self.highlight = self.highlight.min(self.visible.len().saturating_sub(1));
    }

    /// Marks the choices listed first among equal matches (`first(value)`).
    pub fn set_first(&mut self, first: impl Fn(&str) -> bool) {
        for c in &mut self.choices {
            c.first = first(&c.value);
        }
        self.refilter();
    }

    pub fn type_char(&mut self, c: char) {
        self.query.insert(c);
        self.highlight = 0;
        self.refilter();
    }

    /// Backspace: edits the query, or with an empty query drops the last choice.
    pub fn backspace(&mut self) {
        if self.query.text().is_empty() {
            self.chosen.pop();
        } else {
            self.query.backspace();
            self.refilter();
        }
    }

    /// Empties the query and the choices; `undo` brings them back.
    pub fn clear(&mut self) {
        self.cleared = Some(std::mem::take(&mut self.chosen));
        self.query.clear();
        self.refilter();
    }

    /// Takes back a clear, or else the query's last edit.
    pub fn undo(&mut self) {
        match self.cleared.take() {
            Some(chosen) => {
                self.chosen = chosen;
                self.query.undo();
            }
            None => {
                self.query.undo();
            }
        }
        self.refilter();
    }

    pub fn move_by(&mut self, delta: isize) {
        if self.visible.is_empty() {
            return;
        }
        let n = self.visible.len() as isize;
        self.highlight = (self.highlight as isize + delta).rem_euclid(n) as usize;
    }

    /// Chooses (or for multi toggles) the highlighted choice.
    pub fn pick(&mut self) -> bool {
        let Some(&i) = self.visible.get(self.highlight) else {
            return false;
        };
        if self.multi {
            if let Some(pos) = self.chosen.iter().position(|c| *c == i) {
                self.chosen.remove(pos);
            } else {
                self.chosen.push(i);
            }
        } else {
            self.chosen = vec![i];
        }
        self.query.clear();
        self.refilter();
        true
    }

    pub fn select_value(&mut self, value: &str) {
        if let Some(i) = self.choices.iter().position(|c| c.value == value) {
            if self.multi {
                if !self.chosen.contains(&i) {
                    self.chosen.push(i);
                }
            } else {
                self.chosen = vec![i];
            }
        }
    }

    pub fn chosen_values(&self) -> Vec<String> {
        self.chosen
            .iter()
            .map(|i| self.choices[*i].value.clone())
            .collect()
    }

    pub fn chosen_labels(&self) -> Vec<String> {
        self.chosen
            .iter()
            .map(|i| self.choices[*i].label.clone())
            .collect()
    }

    pub fn is_empty(&self) -> bool {
        self.chosen.is_empty() && self.query.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A picker of `(label, value)` choices.
    fn picker(choices: &[(&str, &str)], multi: bool) -> Picker {
        let choices = choices.iter().map(|(l, v)| Choice::new(l, v)).collect();
        Picker::new(choices, multi)
    }

    #[test]
    fn picker_filters_by_pinyin_initials_and_characters() {
        let mut p = picker(&[("张三", "D1"), ("李四", "D2"), ("赵爽", "D3")], true);
        p.type_char('z');
        p.type_char('s');
        let labels: Vec<_> = p.visible.iter().map(|i| p.choices[*i].label.as_str()).collect();
        assert_eq!(labels, vec!["张三", "赵爽"]);
        // Among equal matches, the ones marked first lead.
        p.set_first(|v| v == "D3");
        let labels: Vec<_> = p.visible.iter().map(|i| p.choices[*i].label.as_str()).collect();
        assert_eq!(labels, vec!["赵爽", "张三"]);
        p.query.clear();
        p.type_char('李');
        assert_eq!(p.visible, vec![1]);
        assert!(p.pick());
        assert_eq!(p.chosen_values(), vec!["D2"]);
        p.backspace();
        assert!(p.chosen.is_empty());
    }

    #[test]
    fn an_exact_match_ranks_before_a_prefix_before_the_rest() {
        let mut p = picker(
            &[
                ("满意", "satisfied"),
                ("基本满意", "basically"),
                ("不满意", "unsatisfied"),
            ],
            false,
        );
        for c in "bmy".chars() {
            p.type_char(c);
        }
        assert_eq!(p.choices[p.visible[0]].value, "unsatisfied");
        assert_eq!(p.visible.len(), 2, "基本满意 still matches, below");
        p.query.clear();
        p.type_char('m');
        p.type_char('y');
        assert_eq!(p.choices[p.visible[0]].value, "satisfied");
        p.query.clear();
        p.type_char('j');
        assert_eq!(p.visible, vec![1]);
        assert!(p.pick());
        assert_eq!(p.chosen_values(), vec!["basically"]);
    }

    #[test]
    fn a_paste_loses_whole_escape_sequences() {
        let pasted = "路面\x1b[31m红色\x1b[0m坑洼\x1b]0;pwned\x07有\x1b[2J清屏\r\n第二行\tTab后";
        assert_eq!(clean_paste(pasted), "路面红色坑洼有清屏\n第二行 Tab后");
        assert_eq!(clean_paste("a\x1b]8;;http://x\x1b\\b\x1b(Bc\x1b7d\re"), "abcd\ne");
        assert_eq!(clean_paste("\x1b[1;2"), "");
        assert_eq!(clean_paste("x\x1b[1;停"), "x停");
        assert_eq!(clean_paste("a\r\rb\x00\x1b"), "a\n\nb");
    }

    #[test]
    fn text_input_edits_wide_text_and_caps_length() {
        let mut t = TextInput::new(3);
        for c in "停车难题".chars() {
            t.insert(c);
        }
        assert_eq!(t.text(), "停车难");
        t.left();
        t.backspace();
        assert_eq!(t.text(), "停难");
        assert_eq!(t.layout(0).1, (0, 2));
        assert_eq!(
            TextInput::new(9).with_text("停车难题").layout(5).0,
            vec!["停车", "难题"]
        );
        let mut m = TextInput::multiline(100).with_text("ab\ncdef");
        m.vertical(false);
        assert_eq!(m.layout(0).1, (0, 2));
    }

    #[test]
    fn a_cleared_text_comes_back_with_undo() {
        let mut t = TextInput::multiline(100).with_text("路面坑洼\n第二行");
        t.clear();
        assert_eq!(t.text(), "");
        assert!(t.undo());
        assert_eq!(t.text(), "路面坑洼\n第二行");
        t.insert('字');
        assert!(t.undo());
        assert_eq!(t.text(), "路面坑洼\n第二行");
    }

    #[test]
    fn word_moves_and_line_keys() {
        let mut t = TextInput::new(40).with_text("north gate road");
        t.word_left();
        t.insert('X');
        assert_eq!(t.text(), "north gate Xroad");
        t.home();
        t.word_right();
        t.insert('Y');
        assert_eq!(t.text(), "north Ygate Xroad");
        t.end();
        t.insert('Z');
        assert_eq!(t.text(), "north Ygate XroadZ");
    }

    #[test]
    fn a_picker_clear_comes_back_with_undo() {
        let mut p = picker(&[("张三", "D1"), ("李四", "D2")], true);
        p.select_value("D2");
        p.clear();
        assert!(p.chosen.is_empty());
        p.undo();
        assert_eq!(p.chosen_values(), vec!["D2"]);
    }
}
