//! Keys become actions, actions change the model. The only place that
//! changes `App` in response to the user.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::app::{App, Dialog, OnYes, Overlay, Purpose, Screen, Tone};
use super::form::{Widget, category_picker, deputy_picker, parse_date};
use super::input::{Choice, Picker, TextInput};
use super::keymap::{Action, KeyChord, Mode};
use crate::domain::lifecycle;
use crate::domain::validate::{self, Field};
use crate::domain::{Appeal, Change, EventBody, Satisfaction, Status, Step, StepKind, TrackingCode, Visit};

/// Rows a page key moves.
const PAGE: usize = 10;

pub fn on_key(app: &mut App, key: KeyEvent) {
    if key.kind == KeyEventKind::Release {
        return;
    }
    let chord = KeyChord::from_event(&key);
    if app.staff.is_none() {
        return signin_key(app, key, &chord);
    }
    match &app.overlay {
        Overlay::Help { .. } => return help_key(app, &chord),
        Overlay::Confirm { .. } => return confirm_key(app, &chord),
        Overlay::Dialog(_) => return dialog_key(app, key, &chord),
        Overlay::Saved { .. } | Overlay::Receipt { .. } => {
            app.overlay = Overlay::None;
            return;
        }
        Overlay::None => {}
    }
    match app.screen {
        Screen::Register => form_key(app, key, &chord),
        Screen::Appeals if app.appeals.searching => search_key(app, key, &chord),
        Screen::Appeals if app.appeals.detail.is_some() => modal(app, &chord, &[Mode::Detail, Mode::Nav]),
        Screen::Appeals => modal(app, &chord, &[Mode::Appeals, Mode::Nav]),
        Screen::Today => modal(app, &chord, &[Mode::Today, Mode::Nav]),
        Screen::Deputies => modal(app, &chord, &[Mode::Nav]),
    }
}

/// Pasted text goes into whatever takes text right now (a form field, a
/// dialog field, the search box, the PIN) and nowhere else: a paste never
/// acts as key presses, so a stray "q" in it cannot quit.
pub fn on_paste(app: &mut App, text: &str) {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    if app.staff.is_none() {
        if app.signin.asking_pin {
            text.chars().for_each(|c| {
                app.signin.pin.insert(c);
            });
        }
        return;
    }
    let widget = match &mut app.overlay {
        Overlay::Dialog(d) => Some(&mut d.fields[d.focus].1),
        Overlay::None if app.screen == Screen::Register => Some(app.register.focused()),
        _ => None,
    };
    if let Some(widget) = widget {
        for c in text.chars() {
            match widget {
                Widget::Text(t) => {
                    t.insert(c);
                }
                Widget::Pick(p) if !c.is_control() => p.type_char(c),
                Widget::Pick(_) => {}
            }
        }
    } else if app.screen == Screen::Appeals && app.appeals.searching {
        text.chars().for_each(|c| {
            app.appeals.search.insert(c);
        });
        app.appeals.filter.query = app.appeals.search.text();
        app.appeals.selected = 0;
        app.refilter();
    }
}

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

fn is_printable(key: &KeyEvent) -> Option<char> {
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
fn edit_text(t: &mut TextInput, key: &KeyEvent) -> bool {
    if let Some(c) = is_printable(key) {
        t.insert(c);
        return true;
    }
    match key.code {
        KeyCode::Backspace => t.backspace(),
        KeyCode::Delete => t.delete(),
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
    if let Some(c) = is_printable(key) {
        p.type_char(c);
        return true;
    }
    match key.code {
        KeyCode::Backspace => p.backspace(),
        _ => return false,
    }
    true
}

/// Which form-level move a key makes, resolved against the focused widget:
/// Enter and arrows belong to a text box when one has focus.
enum FormMove {
    Act(Action),
    Edit,
    Next,
    Prev,
    Global(Action),
    Ignore,
}

fn form_move(app: &App, widget: &Widget, key: &KeyEvent, chord: &KeyChord) -> FormMove {
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
    if is_printable(key).is_some() {
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
        | KeyCode::End => FormMove::Edit,
        KeyCode::Up | KeyCode::Down | KeyCode::Enter => FormMove::Edit,
        _ => FormMove::Ignore,
    }
}

fn edit_widget(w: &mut Widget, key: &KeyEvent) {
    match w {
        Widget::Text(t) => {
            edit_text(t, key);
        }
        Widget::Pick(p) => {
            edit_picker(p, key);
        }
    }
}

fn form_key(app: &mut App, key: KeyEvent, chord: &KeyChord) {
    let widget = app.register.focused().clone();
    match form_move(app, &widget, &key, chord) {
        FormMove::Edit => edit_widget(app.register.focused(), &key),
        FormMove::Next => app.register.next(),
        FormMove::Prev => app.register.prev(),
        FormMove::Global(a) => act(app, a),
        FormMove::Ignore => {}
        FormMove::Act(action) => match action {
            Action::NextField => app.register.next(),
            Action::PrevField => app.register.prev(),
            Action::Save => save_registration(app),
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
        },
    }
}

/// Validates the form, issues tracking codes and commits the visit and its
/// appeals as one journal record. Only after the commit (fsync) returns
/// does the screen say it is saved.
fn save_registration(app: &mut App) {
    let today = app.today_date();
    let deputies = app.deputies.clone();
    let input = match app.register.build(today, &deputies) {
        Ok(i) => i,
        Err(msg) => return app.say(Tone::Error, msg),
    };
    let codes = match app.codes_for(1 + input.appeals.len()) {
        Ok(c) => c,
        Err(e) => {
            let said = e.message(app.lang);
            return app.say(Tone::Error, said);
        }
    };
    let now = app.clock.now();
    let visit_code = codes[0].clone();
    let appeal_codes: Vec<TrackingCode> = codes[1..].to_vec();
    let mut changes: Vec<Change> = vec![EventBody::VisitRegistered {
        visit: Visit {
            code: visit_code.clone(),
            at: now,
            visitor: input.visitor.clone(),
            group_size: input.group_size,
            deputies: input.deputies.clone(),
            appeals: appeal_codes.clone(),
        },
    }];
    for (a, code) in input.appeals.into_iter().zip(&appeal_codes) {
        changes.push(EventBody::AppealRegistered {
            appeal: Appeal {
                visit: Some(visit_code.clone()),
                visitor: input.visitor.clone(),
                group_size: input.group_size,
                deputies: input.deputies.clone(),
                category: a.category,
                title: a.title,
                content: a.content,
                location: a.location,
                urgency: a.urgency,
                route: a.route,
                ..Appeal::registered(code.clone(), now)
            },
        });
    }
    let actor = app.actor();
    match app.store.commit_at(&actor, now, changes) {
        Ok((_, touched)) => {
            app.register.reset();
            app.appeals_changed(&touched);
            app.say(
                Tone::Good,
                format!(
                    "{} {}",
                    app.t.saved,
                    appeal_codes
                        .iter()
                        .map(|c| c.as_str())
                        .collect::<Vec<_>>()
                        .join("、")
                ),
            );
            app.overlay = Overlay::Saved {
                visit: visit_code.to_string(),
                codes: appeal_codes.iter().map(|c| c.to_string()).collect(),
            };
            warn_if_stopped(app);
        }
        Err(e) => app.say(Tone::Error, e.message(app.lang)),
    }
}

/// The search box: printable keys type; `open` ends the search keeping
/// the query, `back` clears it; global actions still work.
fn search_key(app: &mut App, key: KeyEvent, chord: &KeyChord) {
    if is_printable(&key).is_none() {
        match lookup(app, chord, &[Mode::Nav]) {
            Some(Action::Open) => {
                app.appeals.searching = false;
                return;
            }
            Some(Action::Back) => {
                app.appeals.searching = false;
                app.appeals.search.clear();
                app.appeals.filter.query.clear();
                app.refilter();
                return;
            }
            Some(a) if a.mode() == Mode::Global => return act(app, a),
            _ => {}
        }
    }
    if edit_text(&mut app.appeals.search, &key) {
        app.appeals.filter.query = app.appeals.search.text();
        app.appeals.selected = 0;
        app.refilter();
    }
}

/// The sign-in list and its PIN prompt, driven by the `nav` and `global`
/// tables (printable keys type the PIN).
fn signin_key(app: &mut App, key: KeyEvent, chord: &KeyChord) {
    let staff = app.station.staff.clone();
    let typing = app.signin.asking_pin && is_printable(&key).is_some();
    let action = if typing {
        None
    } else {
        lookup(app, chord, &[Mode::Nav])
    };
    if app.signin.asking_pin {
        match action {
            Some(Action::Quit) => app.quit = true,
            Some(Action::Back) => {
                app.signin.asking_pin = false;
                app.signin.pin.clear();
            }
            Some(Action::Open) => {
                let person = &staff[app.signin.highlight];
                if person.pin_matches(&app.signin.pin.text()) {
                    app.staff = Some(person.clone());
                    log::info!("signed in: {}", person.name);
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
    let last = staff.len().saturating_sub(1);
    match action {
        Some(Action::Up) => app.signin.highlight = app.signin.highlight.saturating_sub(1),
        Some(Action::Down) => app.signin.highlight = (app.signin.highlight + 1).min(last),
        Some(Action::Top) => app.signin.highlight = 0,
        Some(Action::Bottom) => app.signin.highlight = last,
        Some(Action::Open) => {
            let Some(person) = staff.get(app.signin.highlight) else {
                return;
            };
            if person.has_pin() {
                app.signin.asking_pin = true;
                app.signin.error = None;
            } else {
                app.staff = Some(person.clone());
                log::info!("signed in: {}", person.name);
            }
        }
        Some(Action::Back | Action::Quit) => app.quit = true,
        _ => {}
    }
}

fn help_key(app: &mut App, chord: &KeyChord) {
    let action = lookup(app, chord, &[Mode::Nav]);
    if let Overlay::Help { scroll } = &mut app.overlay {
        match action {
            Some(Action::Down) => *scroll += 1,
            Some(Action::Up) => *scroll = scroll.saturating_sub(1),
            Some(Action::PageDown) => *scroll += PAGE,
            Some(Action::PageUp) => *scroll = scroll.saturating_sub(PAGE),
            Some(Action::Top) => *scroll = 0,
            Some(Action::Back) | Some(Action::Help) | Some(Action::Quit) => app.overlay = Overlay::None,
            _ => {}
        }
    }
}

fn confirm_key(app: &mut App, chord: &KeyChord) {
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

fn dialog_key(app: &mut App, key: KeyEvent, chord: &KeyChord) {
    let Overlay::Dialog(dialog) = &app.overlay else {
        return;
    };
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
            Action::Cancel => app.overlay = Overlay::None,
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

fn field_text(d: &Dialog, i: usize) -> String {
    d.fields.get(i).map(|(_, w)| w.text()).unwrap_or_default()
}

fn submit_dialog(app: &mut App) {
    let Overlay::Dialog(d) = &app.overlay else { return };
    let d = d.clone();
    let result = match &d.purpose {
        Purpose::Step(kind, code) => submit_step(app, &d, *kind, code),
        Purpose::FilterCategory => {
            app.appeals.filter.category = d.fields[0]
                .1
                .picked()
                .first()
                .and_then(|c| crate::domain::Category::parse(c));
            Ok(())
        }
        Purpose::FilterDeputy => {
            app.appeals.filter.deputy = d.fields[0].1.picked().first().cloned();
            Ok(())
        }
        Purpose::FilterDates => {
            let parse = |s: String| {
                if s.trim().is_empty() {
                    Ok(None)
                } else {
                    parse_date(&s).map(Some).ok_or(())
                }
            };
            match (parse(field_text(&d, 0)), parse(field_text(&d, 1))) {
                (Ok(from), Ok(to)) => {
                    app.appeals.filter.from = from;
                    app.appeals.filter.to = to;
                    Ok(())
                }
                _ => Err(app.t.date_format_error.to_string()),
            }
        }
    };
    match result {
        Ok(()) => {
            app.overlay = Overlay::None;
            app.appeals.selected = 0;
            app.refilter();
        }
        Err(msg) => {
            if let Overlay::Dialog(d) = &mut app.overlay {
                d.error = Some(msg);
            }
        }
    }
}

fn lang_msg(app: &App, e: validate::ValidationError) -> String {
    app.lang.pick(e.message_zh(), e.message_en())
}

/// Builds the step from the dialog, commits it, reports the outcome.
fn submit_step(app: &mut App, d: &Dialog, kind: StepKind, code: &str) -> Result<(), String> {
    let note_index = d.fields.len() - 1;
    let note = validate::text_field(
        Field::Note,
        &field_text(d, note_index),
        true,
        validate::MAX_NOTE,
        false,
    )
    .map_err(|e| lang_msg(app, e))?;
    let reply = |app: &App| {
        validate::text_field(Field::Reply, &field_text(d, 0), true, validate::MAX_REPLY, true)
            .map_err(|e| lang_msg(app, e))
    };
    let step = match kind {
        StepKind::Accept => Step::Accept,
        StepKind::Start => Step::Start,
        StepKind::Chase => Step::Chase,
        StepKind::Reopen => Step::Reopen,
        StepKind::Refer => {
            let unit = d.fields[0].1.picked().first().cloned().unwrap_or_default();
            if unit.is_empty() {
                return Err(format!("{}：{}", app.t.f_unit, app.t.required));
            }
            let deadline = parse_date(&field_text(d, 1))
                .ok_or_else(|| format!("{}：{}", app.t.f_deadline, app.t.date_format_error))?;
            Step::Refer { unit, deadline }
        }
        StepKind::AnswerOnSpot => Step::AnswerOnSpot { reply: reply(app)? },
        StepKind::Reply => Step::Reply { reply: reply(app)? },
        StepKind::Rate => {
            let s = d.fields[0]
                .1
                .picked()
                .first()
                .and_then(|s| Satisfaction::parse(s));
            let satisfaction = s.ok_or_else(|| format!("{}：{}", app.t.f_rating, app.t.required))?;
            Step::Rate { satisfaction }
        }
        StepKind::Register => return Err(String::new()),
    };
    // The domain's rules for a new step, on the step's own day (the store
    // checks them again; asking first gives the message in the dialog).
    let now = app.clock.now();
    lifecycle::check_new_step(&step, &note, now.date_naive()).map_err(|e| e.message(app.lang))?;
    let code = code.parse::<TrackingCode>().map_err(|e| e.message(app.lang))?;
    let actor = app.actor();
    let (_, touched) = app
        .store
        .commit_at(&actor, now, vec![EventBody::AppealStepped { code, step, note }])
        .map_err(|e| e.message(app.lang))?;
    app.appeals_changed(&touched);
    app.say(
        Tone::Good,
        format!("{}：{}", app.t.step_done, kind.label(app.lang)),
    );
    warn_if_stopped(app);
    Ok(())
}

/// A change that reached the journal but not the database is saved (the
/// database catches up at the next start), yet no further save is taken
/// until the kiosk restarts: say both.
fn warn_if_stopped(app: &mut App) {
    if let Some(cause) = app.store.stopped() {
        let said = format!("{}{}", app.t.saved_but_stopped, cause.message(app.lang));
        app.say(Tone::Warn, said);
    }
}

fn step_dialog(app: &mut App, kind: StepKind) {
    let Some(appeal) = &app.appeals.detail else { return };
    if !kind.allowed_from(appeal.status) {
        let e = crate::domain::TransitionError::Illegal {
            from: appeal.status,
            step: kind,
        };
        return app.say(Tone::Error, e.message(app.lang));
    }
    let code = appeal.code.to_string();
    let t = app.t;
    let note = (t.f_note, Widget::Text(TextInput::multiline(validate::MAX_NOTE)));
    let mut fields: Vec<(&'static str, Widget)> = match kind {
        StepKind::Refer => {
            let units = app
                .station
                .units
                .iter()
                .map(|u| Choice::new(&u.name, &u.name))
                .collect();
            let deadline = app.today_date() + chrono::Days::new(15);
            vec![
                (t.f_unit, Widget::Pick(Picker::new(units, false))),
                (
                    t.f_deadline,
                    Widget::Text(TextInput::new(10).with_text(&deadline.to_string())),
                ),
            ]
        }
        StepKind::AnswerOnSpot | StepKind::Reply => {
            vec![(t.f_reply, Widget::Text(TextInput::multiline(validate::MAX_REPLY)))]
        }
        StepKind::Rate => {
            let choices = Satisfaction::ALL
                .iter()
                .map(|s| Choice::with_extra(s.label(app.lang), s.code(), s.en()))
                .collect();
            vec![(t.f_rating, Widget::Pick(Picker::new(choices, false)))]
        }
        _ => Vec::new(),
    };
    fields.push(note);
    app.overlay = Overlay::Dialog(Dialog {
        purpose: Purpose::Step(kind, code.clone()),
        title: format!("{} · {code}", kind.label(app.lang)),
        fields,
        focus: 0,
        error: None,
    });
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
    match screen {
        Screen::Today => app.refresh_today(),
        Screen::Deputies => app.recount_quarter(),
        _ => {}
    }
}

fn check_in_out(app: &mut App, check_in: bool) {
    let Some((deputy, _, _)) = app.today.duty.get(app.today.selected) else {
        return app.say(Tone::Warn, app.t.pick_deputy_first);
    };
    let day = app.today_date();
    let id = deputy.id.clone();
    let name = deputy.name.clone();
    let change = if check_in {
        EventBody::DutyCheckedIn { deputy: id, day }
    } else {
        EventBody::DutyCheckedOut { deputy: id, day }
    };
    let actor = app.actor();
    let now = app.clock.now();
    match app.store.commit_at(&actor, now, vec![change]) {
        Ok(_) => {
            let what = if check_in {
                app.t.checked_in
            } else {
                app.t.checked_out
            };
            app.say(Tone::Good, format!("{name} {what} {}", now.format("%H:%M")));
            app.refresh_today();
            warn_if_stopped(app);
        }
        Err(e) => app.say(Tone::Error, e.message(app.lang)),
    }
}

/// Executes one action in the current context.
pub fn act(app: &mut App, action: Action) {
    match action {
        Action::Quit => {
            if app.register.has_input() {
                app.overlay = Overlay::Confirm {
                    question: app.t.confirm_quit_unsaved,
                    on_yes: OnYes::Quit,
                };
            } else {
                app.quit = true;
            }
        }
        Action::Help => app.overlay = Overlay::Help { scroll: 0 },
        Action::ScreenToday => switch_screen(app, Screen::Today),
        Action::ScreenRegister => switch_screen(app, Screen::Register),
        Action::ScreenAppeals => switch_screen(app, Screen::Appeals),
        Action::ScreenDeputies => switch_screen(app, Screen::Deputies),
        Action::Up | Action::Down | Action::PageUp | Action::PageDown | Action::Top | Action::Bottom => {
            match app.screen {
                Screen::Today => move_selection(&mut app.today.selected, app.today.duty.len(), action),
                Screen::Appeals if app.appeals.detail.is_some() => {
                    move_selection(&mut app.appeals.detail_scroll, usize::MAX, action)
                }
                Screen::Appeals => move_selection(&mut app.appeals.selected, app.appeals.hits.len(), action),
                Screen::Deputies => move_selection(&mut app.deputy_selected, app.deputies.len(), action),
                Screen::Register => {}
            }
        }
        Action::Open => match app.screen {
            Screen::Appeals if app.appeals.detail.is_none() => {
                if let Some(code) = app.selected_row().map(|r| r.code.to_string()) {
                    app.open_appeal(&code);
                }
            }
            Screen::Today => {
                if let Some((_, code, _)) = app.today.overdue.first().or(app.today.due_soon.first()) {
                    let code = code.clone();
                    app.open_appeal(&code);
                }
            }
            _ => {}
        },
        Action::Back if app.screen == Screen::Appeals => {
            app.appeals.detail = None;
        }
        Action::CheckIn => check_in_out(app, true),
        Action::CheckOut => check_in_out(app, false),
        Action::Search => {
            app.appeals.searching = true;
            let q = app.appeals.filter.query.clone();
            app.appeals.search.set(&q);
        }
        Action::FilterStatus => {
            let f = &mut app.appeals.filter;
            f.status = match f.status {
                None => Some(Status::ALL[0]),
                Some(s) => Status::ALL.iter().skip_while(|x| **x != s).nth(1).copied(),
            };
            app.appeals.selected = 0;
            app.refilter();
        }
        Action::FilterCategory => {
            app.overlay = Overlay::Dialog(Dialog {
                purpose: Purpose::FilterCategory,
                title: app.t.category_filter_title.to_string(),
                fields: vec![(app.t.f_category, Widget::Pick(category_picker(app.lang)))],
                focus: 0,
                error: None,
            })
        }
        Action::FilterDeputy => {
            app.overlay = Overlay::Dialog(Dialog {
                purpose: Purpose::FilterDeputy,
                title: app.t.deputy_filter_title.to_string(),
                fields: vec![(
                    app.t.f_deputies,
                    Widget::Pick(deputy_picker(&app.deputies, false)),
                )],
                focus: 0,
                error: None,
            })
        }
        Action::FilterOverdue => {
            app.appeals.filter.overdue = !app.appeals.filter.overdue;
            app.appeals.selected = 0;
            app.refilter();
        }
        Action::FilterDates => {
            let f = &app.appeals.filter;
            let show = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
            app.overlay = Overlay::Dialog(Dialog {
                purpose: Purpose::FilterDates,
                title: app.t.date_filter_title.to_string(),
                fields: vec![
                    (
                        app.t.f_from,
                        Widget::Text(TextInput::new(10).with_text(&show(f.from))),
                    ),
                    (
                        app.t.f_to,
                        Widget::Text(TextInput::new(10).with_text(&show(f.to))),
                    ),
                ],
                focus: 0,
                error: None,
            })
        }
        Action::ClearFilters => {
            app.appeals.filter = Default::default();
            app.appeals.search.clear();
            app.refilter();
        }
        Action::Accept => step_dialog(app, StepKind::Accept),
        Action::Refer => step_dialog(app, StepKind::Refer),
        Action::Start => step_dialog(app, StepKind::Start),
        Action::AnswerOnSpot => step_dialog(app, StepKind::AnswerOnSpot),
        Action::Reply => step_dialog(app, StepKind::Reply),
        Action::Rate => step_dialog(app, StepKind::Rate),
        Action::Reopen => step_dialog(app, StepKind::Reopen),
        Action::Chase => step_dialog(app, StepKind::Chase),
        Action::PrintReceipt => {
            if let Some(a) = &app.appeals.detail {
                app.overlay = Overlay::Receipt { appeal: a.clone() };
            }
        }
        // Form and confirm actions are handled where those modes are active.
        _ => {}
    }
}
