//! The sign-in list and its PIN prompt, driven by the `nav` and `global`
//! tables (printable keys type the PIN).

use crossterm::event::KeyEvent;

use super::edit::{edit_text, printable};
use super::lookup;
use crate::tui::app::{App, Overlay};
use crate::tui::keymap::{Action, KeyChord, Mode};

pub fn key(app: &mut App, key: KeyEvent, chord: &KeyChord) {
    let typing = app.signin.asking_pin && printable(&key).is_some();
    let action = if typing {
        None
    } else {
        lookup(app, chord, &[Mode::Nav])
    };
    if action == Some(Action::Help) {
        app.overlay = Overlay::Help { scroll: 0 };
        return;
    }
    if app.signin.asking_pin {
        match action {
            Some(Action::Quit) => app.quit = true,
            Some(Action::Back) => {
                app.signin.asking_pin = false;
                app.signin.pin.clear();
            }
            Some(Action::Open) => {
                let Some(person) = app.station.staff.get(app.signin.highlight).cloned() else {
                    return;
                };
                if person.pin_matches(&app.signin.pin.text()) {
                    log::info!("signed in: {}", person.name);
                    app.staff = Some(person);
                } else {
                    app.signin.error = Some(app.t.pin_wrong);
                }
                app.signin.pin.clear();
            }
            _ => {
                edit_text(&mut app.signin.pin, &key);
            }
        }
        return;
    }
    let last = app.station.staff.len().saturating_sub(1);
    match action {
        Some(Action::Up) => app.signin.highlight = app.signin.highlight.saturating_sub(1),
        Some(Action::Down) => app.signin.highlight = (app.signin.highlight + 1).min(last),
        Some(Action::Top) => app.signin.highlight = 0,
        Some(Action::Bottom) => app.signin.highlight = last,
        Some(Action::Open) => {
            let Some(person) = app.station.staff.get(app.signin.highlight).cloned() else {
                return;
            };
            if person.has_pin() {
                app.signin.asking_pin = true;
                app.signin.error = None;
            } else {
                log::info!("signed in: {}", person.name);
                app.staff = Some(person);
            }
        }
        Some(Action::Back | Action::Quit) => app.quit = true,
        _ => {}
    }
}
