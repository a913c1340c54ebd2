//! Typing into text boxes and pickers, and how a key resolves against the
//! focused widget of a form or dialog.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::tui::app::App;
use crate::tui::form::Widget;
use crate::tui::input::{Picker, TextInput};
use crate::tui::keymap::{Action, KeyChord, Mode};

/// The character a key types, if it types one.
pub fn printable(key: &KeyEvent) -> Option<char> {
    match key.code {
        KeyCode::Char(c)
            if !key
                .modifiers
                .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
        {
            Some(c)
        }
        _ => None,
    }
}

/// Plain editing keys for a text box. Returns true if the key was used.
pub fn edit_text(t: &mut TextInput, key: &KeyEvent) -> bool {
    if let Some(c) = printable(key) {
        t.insert(c);
        return true;
    }
    let word = key
        .modifiers
        .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
    match key.code {
        KeyCode::Backspace => t.backspace(),
        KeyCode::Delete => t.delete(),
        KeyCode::Left if word => t.word_left(),
        KeyCode::Right if word => t.word_right(),
        KeyCode::Left => t.left(),
        KeyCode::Right => t.right(),
        KeyCode::Home => t.home(),
        KeyCode::End => t.end(),
        KeyCode::Up if t.multiline => t.vertical(false),
        KeyCode::Down if t.multiline => t.vertical(true),
        KeyCode::Enter if t.multiline => {
            t.insert('\n');
        }
        _ => return false,
    }
    true
}

fn edit_picker(p: &mut Picker, key: &KeyEvent) -> bool {
    if let Some(c) = printable(key) {
        p.type_char(c);
        return true;
    }
    match key.code {
        KeyCode::Backspace => p.backspace(),
        _ => return false,
    }
    true
}

pub fn edit_widget(w: &mut Widget, key: &KeyEvent) {
    match w {
        Widget::Text(t) => {
            edit_text(t, key);
        }
        Widget::Pick(p) => {
            edit_picker(p, key);
        }
    }
}

/// Which form-level move a key makes, resolved against the focused widget:
/// Enter and arrows belong to a text box when one has focus.
pub enum FormMove {
    Act(Action),
    Edit,
    Next,
    Prev,
    Global(Action),
    Ignore,
}

pub fn form_move(app: &App, widget: &Widget, key: &KeyEvent, chord: &KeyChord) -> FormMove {
    if let Some(action) = app.keymap.lookup(Mode::Form, chord) {
        let picker_key = matches!(action, Action::Pick | Action::PickUp | Action::PickDown);
        return match (widget, picker_key) {
            (Widget::Text(t), true) if t.multiline => FormMove::Edit,
            (Widget::Text(_), true) => match action {
                Action::PickUp => FormMove::Prev,
                _ => FormMove::Next,
            },
            _ => FormMove::Act(action),
        };
    }
    if printable(key).is_some() {
        return FormMove::Edit;
    }
    if let Some(action) = app.keymap.lookup(Mode::Global, chord) {
        return FormMove::Global(action);
    }
    match key.code {
        KeyCode::Backspace
        | KeyCode::Delete
        | KeyCode::Left
        | KeyCode::Right
        | KeyCode::Home
        | KeyCode::End
        | KeyCode::Up
        | KeyCode::Down
        | KeyCode::Enter => FormMove::Edit,
        _ => FormMove::Ignore,
    }
}
