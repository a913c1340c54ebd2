//! What sits over a screen: the help text, a yes/no question and the
//! dialogs (filters and steps).

use crossterm::event::KeyEvent;

use super::appeals::submit_dialog;
use super::edit::{FormMove, edit_widget, form_move};
use super::lookup;
use crate::tui::app::{App, Dialog, OnYes, Overlay, Purpose, Screen, Tone};
use crate::tui::form::Widget;
use crate::tui::keymap::{Action, KeyChord, Mode};
use crate::tui::views;

/// Rows a page key moves.
pub const PAGE: usize = 10;

/// The help text and the message log: they move, and close on Esc, quit
/// or their own key.
pub fn scrolled_key(app: &mut App, chord: &KeyChord) {
    let action = lookup(app, chord, &[Mode::Nav]);
    let last = views::overlay_last(app);
    let (scroll, own) = match &mut app.overlay {
        Overlay::Help { scroll } => (scroll, Action::Help),
        Overlay::Messages { scroll } => (scroll, Action::Messages),
        _ => return,
    };
    if scrolls(scroll, last, action, own) {
        app.overlay = Overlay::None;
    }
}

/// A scrolled overlay's keys: the list keys move `scroll` within
/// `0..=last`; Esc, quit and the overlay's own key (`own`) close it (true).
fn scrolls(scroll: &mut usize, last: usize, action: Option<Action>, own: Action) -> bool {
    let at = (*scroll).min(last);
    match action {
        Some(Action::Down) => *scroll = at.saturating_add(1).min(last),
        Some(Action::Up) => *scroll = at.saturating_sub(1),
        Some(Action::PageDown) => *scroll = at.saturating_add(PAGE).min(last),
        Some(Action::PageUp) => *scroll = at.saturating_sub(PAGE),
        Some(Action::Top) => *scroll = 0,
        Some(a) if a == Action::Back || a == Action::Quit || a == own => return true,
        _ => {}
    }
    false
}

/// A deputy's points record: it moves, and closes on Esc, quit or open.
pub fn points_key(app: &mut App, chord: &KeyChord) {
    let action = lookup(app, chord, &[Mode::Nav]);
    let last = views::overlay_last(app);
    let Overlay::Points { scroll, .. } = &mut app.overlay else {
        return;
    };
    if scrolls(scroll, last, action, Action::Open) {
        app.overlay = Overlay::None;
    }
}

pub fn confirm_key(app: &mut App, chord: &KeyChord) {
    let Overlay::Confirm { on_yes, .. } = app.overlay else {
        return;
    };
    match app.keymap.lookup(Mode::Confirm, chord) {
        Some(Action::Yes) => {
            app.overlay = Overlay::None;
            match on_yes {
                OnYes::CancelForm => {
                    app.register.reset();
                    app.screen = Screen::Today;
                    app.say(Tone::Info, app.t.form_cancelled);
                }
                OnYes::Quit => app.quit = true,
            }
        }
        Some(Action::No) => app.overlay = Overlay::None,
        _ => {}
    }
}

pub fn dialog_key(app: &mut App, key: KeyEvent, chord: &KeyChord) {
    let Overlay::Dialog(dialog) = &app.overlay else {
        return;
    };
    if dialog.saving.is_some() {
        // The dialog waits for its save; the outcome closes it or shows
        // why it failed.
        return;
    }
    if dialog.confirm_discard {
        let answer = app.keymap.lookup(Mode::Confirm, chord);
        if let Overlay::Dialog(d) = &mut app.overlay {
            match answer {
                Some(Action::Yes) => app.overlay = Overlay::None,
                Some(Action::No) => d.confirm_discard = false,
                _ => {}
            }
        }
        return;
    }
    let widget = dialog.fields[dialog.focus].1.clone();
    let count = dialog.fields.len();
    let mv = form_move(app, &widget, &key, chord);
    let Overlay::Dialog(dialog) = &mut app.overlay else {
        return;
    };
    let next = |d: &mut Dialog| d.focus = (d.focus + 1) % count;
    let prev = |d: &mut Dialog| d.focus = (d.focus + count - 1) % count;
    match mv {
        FormMove::Edit => edit_widget(&mut dialog.fields[dialog.focus].1, &key),
        FormMove::Next => {
            if dialog.focus + 1 == count {
                submit_dialog(app)
            } else {
                next(dialog)
            }
        }
        FormMove::Prev => prev(dialog),
        FormMove::Global(_) | FormMove::Ignore => {}
        FormMove::Act(action) => match action {
            Action::NextField => next(dialog),
            Action::PrevField => prev(dialog),
            Action::Save => submit_dialog(app),
            // What was typed into a step dialog is not thrown away unasked.
            Action::Cancel if matches!(dialog.purpose, Purpose::Step(..)) && dialog.has_input() => {
                dialog.confirm_discard = true;
            }
            Action::Cancel => app.overlay = Overlay::None,
            Action::ClearField => dialog.fields[dialog.focus].1.clear(),
            Action::Undo => dialog.fields[dialog.focus].1.undo(),
            Action::PickUp | Action::PickDown | Action::Pick => {
                if let Widget::Pick(p) = &mut dialog.fields[dialog.focus].1 {
                    match action {
                        Action::PickUp => p.move_by(-1),
                        Action::PickDown => p.move_by(1),
                        _ => {
                            p.pick();
                            if dialog.focus + 1 == count {
                                submit_dialog(app);
                            } else {
                                next(dialog);
                            }
                        }
                    }
                }
            }
            _ => {}
        },
    }
}
