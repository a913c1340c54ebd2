//! The registration form: typing, moving between fields, adding and
//! removing appeals, and saving (through the writer).

use crossterm::event::KeyEvent;

use super::act;
use super::edit::{FormMove, edit_widget, form_move};
use crate::storage::Request;
use crate::tui::app::{App, OnYes, Overlay, Saving, Screen, Tone};
use crate::tui::form::Widget;
use crate::tui::keymap::{Action, KeyChord};

pub fn key(app: &mut App, key: KeyEvent, chord: &KeyChord) {
    let widget = app.register.focused().clone();
    let mv = form_move(app, &widget, &key, chord);
    // While its registration is being saved the form waits: what is on it
    // is what is being saved. Everything else still answers.
    if app.saving_registration() && !matches!(mv, FormMove::Global(_) | FormMove::Ignore) {
        return app.say(Tone::Info, app.t.still_saving);
    }
    // Esc closes an open picker's list and nothing more; any other key
    // on the form opens it again (Enter only opens it: nothing is chosen
    // from a list that is not on show).
    let closed = app.register.picker_closed;
    match mv {
        FormMove::Act(Action::Cancel) if app.register.picker_open() => {
            app.register.picker_closed = true;
            return;
        }
        FormMove::Act(Action::Pick) if closed => {
            app.register.picker_closed = false;
            return;
        }
        FormMove::Global(_) | FormMove::Ignore | FormMove::Act(Action::Cancel) => {}
        _ => app.register.picker_closed = false,
    }
    match mv {
        FormMove::Edit => {
            edit_widget(app.register.focused(), &key);
            app.register.edited();
        }
        FormMove::Next => app.register.next(),
        FormMove::Prev => app.register.prev(),
        FormMove::Global(a) => act(app, a),
        FormMove::Ignore => {}
        FormMove::Act(action) => form_action(app, action),
    }
}

fn form_action(app: &mut App, action: Action) {
    match action {
        Action::NextField => app.register.next(),
        Action::PrevField => app.register.prev(),
        Action::NextSection => app.register.next_section(),
        Action::Save => save(app),
        Action::Cancel => {
            if app.register.has_input() {
                app.overlay = Overlay::Confirm {
                    question: app.t.confirm_cancel_form,
                    on_yes: OnYes::CancelForm,
                };
            } else {
                app.screen = Screen::Today;
            }
        }
        Action::ClearField => {
            app.register.focused().clear();
            app.register.edited();
        }
        Action::Undo => {
            app.register.focused().undo();
            app.register.edited();
        }
        Action::AddAppeal => app.register.add_appeal(),
        Action::RemoveAppeal => {
            if app.register.remove_appeal() {
                app.say(Tone::Info, app.t.appeal_removed);
            } else {
                app.say(Tone::Warn, app.t.cannot_remove_last);
            }
        }
        Action::PickUp | Action::PickDown | Action::Pick => {
            if let Widget::Pick(p) = app.register.focused() {
                match action {
                    Action::PickUp => p.move_by(-1),
                    Action::PickDown => p.move_by(1),
                    _ => {
                        let multi = p.multi;
                        p.pick();
                        if !multi {
                            app.register.next();
                        }
                    }
                }
            }
        }
        _ => {}
    }
}

/// Validates the form and sends the registration to the writer, which
/// issues its codes and saves it; the form is cleared only when the
/// outcome says it is saved (`saved::registration`).
fn save(app: &mut App) {
    let today = app.today_date();
    let registration = match app.register.build(today, &app.deputies) {
        Ok(r) => r,
        Err(problems) => return app.say(Tone::Error, problems.message(app.lang)),
    };
    let request = Request::Register {
        actor: app.actor(),
        at: app.clock.now(),
        registration,
    };
    app.save(Saving::Registration, request);
}
