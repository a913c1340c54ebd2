//! `update`: a message and the model in, the new model and the effects to
//! run out. Every key goes through the key map; each screen and overlay
//! has its own handler module. The only place that changes `App`.

mod appeals;
mod books;
mod edit;
mod overlay;
mod register;
mod saved;
mod signin;
mod sync;
mod today;

use crossterm::event::{KeyEvent, KeyEventKind};

use super::app::{App, OnYes, Overlay, Screen};
use super::form::Widget;
use super::keymap::{Action, KeyChord, Mode};
use super::msg::{Effect, Msg};
use crate::jobs::print::Slip;
use overlay::PAGE;

/// Handles one message; returns what the runtime must do next.
pub fn update(app: &mut App, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Key(key) => on_key(app, key),
        Msg::Paste(text) => on_paste(app, &text),
        Msg::Resize { width, height } => app.size = Some((width, height)),
        Msg::Stop => app.quit = true,
        Msg::TerminalLost(e) => {
            app.terminal_lost = Some(e);
            app.quit = true;
        }
        Msg::CatalogLoaded(loaded) => app.catalog_loaded(loaded),
        Msg::Saved { ticket, outcome } => saved::on_saved(app, ticket, outcome),
        Msg::Printed { what, outcome } => saved::on_printed(app, &what, outcome),
        Msg::Sync(news) => sync::on_news(app, news),
    }
    app.take_effects()
}

fn on_key(app: &mut App, key: KeyEvent) {
    if key.kind == KeyEventKind::Release {
        return;
    }
    let chord = KeyChord::from_event(&key);
    if app.too_small() {
        // Nothing is typed or chosen unseen; quitting still works when
        // nothing would be lost.
        if lookup(app, &chord, &[]) == Some(Action::Quit) && !app.register.has_input() {
            app.quit = true;
        }
        return;
    }
    if let Overlay::Help { .. } = app.overlay {
        return overlay::scrolled_key(app, &chord);
    }
    if app.staff.is_none() {
        return signin::key(app, key, &chord);
    }
    match &app.overlay {
        Overlay::Help { .. } => {}
        Overlay::Messages { .. } => return overlay::scrolled_key(app, &chord),
        Overlay::Confirm { .. } => return overlay::confirm_key(app, &chord),
        Overlay::Dialog(_) => return overlay::dialog_key(app, key, &chord),
        Overlay::Points { .. } => return overlay::points_key(app, &chord),
        // Codes to tell the visitor stay until they are closed on purpose:
        // a key typed ahead does not close them (nor type into the form).
        Overlay::Saved { .. } | Overlay::Receipt { .. } => {
            match lookup(app, &chord, &[Mode::Detail, Mode::Nav]) {
                Some(Action::Open | Action::Back) => app.overlay = Overlay::None,
                // The receipt (or, after a save, each appeal's) to the printer.
                Some(Action::PrintReceipt) => {
                    let codes: Vec<String> = match &app.overlay {
                        Overlay::Saved { codes, .. } => codes.iter().map(|(c, _)| c.clone()).collect(),
                        Overlay::Receipt { appeal } => vec![appeal.code.to_string()],
                        _ => Vec::new(),
                    };
                    app.print(&codes);
                }
                _ => {}
            }
            return;
        }
        Overlay::None => {}
    }
    match app.screen {
        Screen::Register => register::key(app, key, &chord),
        Screen::Appeals if app.appeals.searching => appeals::search_key(app, key, &chord),
        Screen::Appeals if app.appeals.detail.is_some() => modal(app, &chord, &[Mode::Detail, Mode::Nav]),
        Screen::Appeals => modal(app, &chord, &[Mode::Appeals, Mode::Nav]),
        Screen::Today => modal(app, &chord, &[Mode::Today, Mode::Nav]),
        Screen::Deputies => modal(app, &chord, &[Mode::Deputies, Mode::Nav]),
        Screen::Sync => modal(app, &chord, &[Mode::Sync, Mode::Nav]),
        Screen::Reports => modal(app, &chord, &[Mode::Reports, Mode::Nav]),
    }
}

/// Pasted text goes into whatever takes text right now (a form field, a
/// dialog field, the search box, the PIN) and nowhere else: a paste never
/// acts as key presses, so a stray "q" in it cannot quit. Several lines
/// pasted into a one-line field are refused, not merged into one; what
/// does not fit a field is said, not cut silently.
fn on_paste(app: &mut App, text: &str) {
    if app.too_small() {
        return;
    }
    let text = crate::tui::input::clean_paste(text);
    if app.staff.is_none() {
        if app.signin.asking_pin {
            text.chars().for_each(|c| {
                app.signin.pin.insert(c);
            });
        }
        return;
    }
    let form_open = app.screen == Screen::Register && !app.saving_registration();
    let widget = match &mut app.overlay {
        Overlay::Dialog(d) if d.saving.is_none() && !d.confirm_discard => Some(&mut d.fields[d.focus].1),
        Overlay::None if form_open => Some(app.register.focused()),
        _ => None,
    };
    let outcome = match widget {
        Some(Widget::Text(t)) => paste_text(t, &text),
        Some(Widget::Pick(p)) => {
            text.chars()
                .filter(|c| !c.is_control())
                .for_each(|c| p.type_char(c));
            Pasted::Whole
        }
        None if app.screen == Screen::Appeals && app.appeals.searching => {
            let outcome = paste_text(&mut app.appeals.search, &text);
            appeals::query_changed(app);
            outcome
        }
        None => Pasted::Whole,
    };
    if form_open && app.overlay_is_none() {
        app.register.edited();
        app.register.picker_closed = false;
    }
    let t = app.t;
    match outcome {
        Pasted::Whole => {}
        Pasted::Lines(n) => app.say(
            super::app::Tone::Warn,
            t.paste_lines.replace("{n}", &n.to_string()),
        ),
        Pasted::Cut { max, left } => app.say(
            super::app::Tone::Warn,
            t.paste_cut
                .replace("{max}", &max.to_string())
                .replace("{left}", &left.to_string()),
        ),
    }
}

/// What became of a paste into a text box.
enum Pasted {
    Whole,
    /// Refused: several lines for a one-line box.
    Lines(usize),
    /// Only part fitted: `left` characters did not.
    Cut {
        max: usize,
        left: usize,
    },
}

fn paste_text(t: &mut crate::tui::input::TextInput, text: &str) -> Pasted {
    let text = text.trim_end_matches('\n');
    if !t.multiline && text.contains(['\n', '\t']) {
        return Pasted::Lines(text.split(['\n', '\t']).filter(|l| !l.trim().is_empty()).count());
    }
    let chars: Vec<char> = text.chars().collect();
    let taken = chars.iter().take_while(|c| t.insert(**c)).count();
    match chars.len() - taken {
        0 => Pasted::Whole,
        left => Pasted::Cut { max: t.max, left },
    }
}

/// The action a chord has in the first of `modes` that binds it, else in
/// the global table.
fn lookup(app: &App, chord: &KeyChord, modes: &[Mode]) -> Option<Action> {
    modes
        .iter()
        .chain([Mode::Global].iter())
        .find_map(|m| app.keymap.lookup(*m, chord))
}

fn modal(app: &mut App, chord: &KeyChord, modes: &[Mode]) {
    if let Some(action) = lookup(app, chord, modes) {
        act(app, action);
    }
}

fn move_selection(selected: &mut usize, len: usize, action: Action) {
    let last = len.saturating_sub(1);
    *selected = match action {
        Action::Up => selected.saturating_sub(1),
        Action::Down => (*selected + 1).min(last),
        Action::PageUp => selected.saturating_sub(PAGE),
        Action::PageDown => (*selected + PAGE).min(last),
        Action::Top => 0,
        Action::Bottom => last,
        _ => *selected,
    };
}

fn switch_screen(app: &mut App, screen: Screen) {
    app.screen = screen;
    app.appeals.detail_from_today = false;
    // A message belongs to the screen it was said on (a save still in
    // flight is said again).
    app.message = None;
    if !app.saving.is_empty() {
        app.say(super::app::Tone::Info, app.t.saving);
    }
    match screen {
        Screen::Today => app.refresh_today(),
        Screen::Deputies => {
            app.recount_quarter();
            app.refresh_points();
        }
        Screen::Sync => app.refresh_sync(),
        Screen::Reports => app.refresh_report(),
        _ => {}
    }
}

/// Carries out one action of the screen on show (or a global one).
fn act(app: &mut App, action: Action) {
    let taken = match app.screen {
        Screen::Reports => books::reports_action(app, action),
        Screen::Deputies => books::deputies_action(app, action),
        _ => false,
    };
    if taken {
        return;
    }
    match action {
        Action::Quit => {
            if app.register.has_input() && !app.saving_registration() {
                app.overlay = Overlay::Confirm {
                    question: app.t.confirm_quit_unsaved,
                    on_yes: OnYes::Quit,
                };
            } else {
                app.quit = true;
            }
        }
        Action::Help => app.overlay = Overlay::Help { scroll: 0 },
        Action::Messages => app.overlay = Overlay::Messages { scroll: 0 },
        Action::ScreenToday => switch_screen(app, Screen::Today),
        Action::ScreenRegister => switch_screen(app, Screen::Register),
        Action::ScreenAppeals => switch_screen(app, Screen::Appeals),
        Action::ScreenDeputies => switch_screen(app, Screen::Deputies),
        Action::ScreenSync => switch_screen(app, Screen::Sync),
        Action::ScreenReports => switch_screen(app, Screen::Reports),
        Action::SyncNow => app.sync_now(),
        Action::Up | Action::Down | Action::PageUp | Action::PageDown | Action::Top | Action::Bottom => {
            match app.screen {
                Screen::Today => {
                    let (selected, len) = today::focused(app);
                    let mut at = selected;
                    move_selection(&mut at, len, action);
                    today::set_focused(app, at);
                }
                Screen::Appeals if app.appeals.detail.is_some() => {
                    let last = crate::tui::views::detail_last(app);
                    app.appeals.detail_scroll = app.appeals.detail_scroll.min(last);
                    move_selection(&mut app.appeals.detail_scroll, last.saturating_add(1), action)
                }
                Screen::Appeals => move_selection(&mut app.appeals.selected, app.appeals.hits.len(), action),
                Screen::Deputies => move_selection(&mut app.deputy_selected, app.deputies.len(), action),
                Screen::Register | Screen::Sync | Screen::Reports => {}
            }
        }
        Action::Open => match app.screen {
            Screen::Appeals if app.appeals.detail.is_none() => {
                if let Some(code) = app.selected_row().map(|r| r.code.to_string()) {
                    app.open_appeal(&code);
                }
            }
            Screen::Today => today::open(app),
            _ => {}
        },
        Action::Back if app.screen == Screen::Appeals => {
            app.appeals.detail = None;
            if app.appeals.detail_from_today {
                switch_screen(app, Screen::Today);
            }
        }
        Action::NextPanel => today::next_panel(app, true),
        Action::PrevPanel => today::next_panel(app, false),
        Action::PrintBlankForm => app.print_slip(Slip::Form { visit: None }),
        Action::CheckIn => today::check_in_out(app, true),
        Action::CheckOut => today::check_in_out(app, false),
        // Form and confirm actions are handled where those modes are active.
        _ => appeals::action(app, action),
    }
}
