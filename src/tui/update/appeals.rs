//! The appeals screen: the search box, the filters, the detail view and
//! the step dialogs (whose saves go through the writer).

use crossterm::event::KeyEvent;

use super::edit::{edit_text, printable};
use super::{act, lookup};
use crate::domain::validate::{self, Field};
use crate::domain::{Satisfaction, Status, Step, StepKind, desk};
use crate::storage::Request;
use crate::tui::app::{App, Dialog, Overlay, Purpose, Saving, Tone};
use crate::tui::form::{Widget, category_picker, parse_date};
use crate::tui::input::{Choice, Picker, TextInput};
use crate::tui::keymap::{Action, KeyChord, Mode};

/// The search box: printable keys type; `open` ends the search keeping
/// the query, `back` clears it; global actions still work.
pub fn search_key(app: &mut App, key: KeyEvent, chord: &KeyChord) {
    if printable(&key).is_none() {
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
        query_changed(app);
    }
}

/// The search text changed: filter again from the top.
pub fn query_changed(app: &mut App) {
    app.appeals.filter.query = app.appeals.search.text();
    app.appeals.selected = 0;
    app.refilter();
}

/// The actions of the appeals list and the detail view.
pub fn action(app: &mut App, action: Action) {
    match action {
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
            let fields = vec![(app.t.f_category, Widget::Pick(category_picker(app.lang)))];
            open_dialog(
                app,
                Purpose::FilterCategory,
                app.t.category_filter_title.into(),
                fields,
            );
        }
        Action::FilterDeputy => {
            let fields = vec![(app.t.f_deputies, Widget::Pick(app.deputy_picker(false)))];
            open_dialog(
                app,
                Purpose::FilterDeputy,
                app.t.deputy_filter_title.into(),
                fields,
            );
        }
        Action::FilterOverdue => {
            app.appeals.filter.overdue = !app.appeals.filter.overdue;
            app.appeals.selected = 0;
            app.refilter();
        }
        Action::FilterDates => {
            let f = &app.appeals.filter;
            let show = |d: Option<chrono::NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
            let fields = vec![
                (
                    app.t.f_from,
                    Widget::Text(TextInput::new(10).with_text(&show(f.from))),
                ),
                (
                    app.t.f_to,
                    Widget::Text(TextInput::new(10).with_text(&show(f.to))),
                ),
            ];
            open_dialog(app, Purpose::FilterDates, app.t.date_filter_title.into(), fields);
        }
        Action::ClearFilters => {
            app.appeals.filter = Default::default();
            app.appeals.search.clear();
            app.refilter();
        }
        Action::PrintForm => {
            let Some(a) = &app.appeals.detail else {
                return;
            };
            match a.visit.as_ref().map(|v| v.to_string()) {
                Some(visit) => app.print_slip(crate::jobs::print::Slip::Form { visit: Some(visit) }),
                None => app.say(Tone::Warn, app.t.no_visit_form),
            }
        }
        Action::PrintReceipt => {
            let Some(a) = app.appeals.detail.clone() else {
                return;
            };
            // An appeal saved before access keys gets its key now, so that
            // the receipt's QR opens its progress page (the receipt shows
            // the new key once it is saved).
            if a.access_key.is_empty() && crate::domain::public::base(&app.station).is_ok() {
                let request = Request::IssueAccessKey {
                    actor: app.actor(),
                    code: a.code.to_string(),
                };
                app.save(Saving::AccessKey, request);
            }
            app.overlay = Overlay::Receipt { appeal: a };
        }
        _ => {
            if let Some(kind) = step_of(action) {
                step_dialog(app, kind);
            }
        }
    }
}

fn step_of(action: Action) -> Option<StepKind> {
    Some(match action {
        Action::Accept => StepKind::Accept,
        Action::Refer => StepKind::Refer,
        Action::Start => StepKind::Start,
        Action::AnswerOnSpot => StepKind::AnswerOnSpot,
        Action::Reply => StepKind::Reply,
        Action::Rate => StepKind::Rate,
        Action::Reopen => StepKind::Reopen,
        Action::Chase => StepKind::Chase,
        _ => return None,
    })
}

fn open_dialog(app: &mut App, purpose: Purpose, title: String, fields: Vec<(&'static str, Widget)>) {
    app.overlay = Overlay::Dialog(Dialog::new(purpose, title, fields));
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
            // The station's reply days from today (working days when it
            // counts them so), as a day to start from.
            let due = crate::domain::station::ReplyDue::new(&app.station);
            let deadline = due.on(app.today_date(), None);
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
    let title = format!("{} · {code}", kind.label(app.lang));
    open_dialog(app, Purpose::Step(kind, code), title, fields);
}

fn field_text(d: &Dialog, i: usize) -> String {
    d.fields.get(i).map(|(_, w)| w.text()).unwrap_or_default()
}

/// Why a dialog could not be carried out; its words are chosen where it
/// is said (`message`).
#[derive(Debug, thiserror::Error)]
enum DialogError {
    #[error(transparent)]
    Invalid(validate::ValidationError),
    #[error("{0:?} is required")]
    Required(DialogField),
    /// A date not written as YYYY-MM-DD, in the named field or the date
    /// range.
    #[error("bad date")]
    BadDate(Option<DialogField>),
    #[error("{}", .0.message(crate::i18n::Lang::En))]
    Desk(desk::DeskError),
    /// Nothing to do (no appeal open, or a step no dialog makes).
    #[error("nothing to do")]
    Nothing,
}

/// A dialog field that a message names.
#[derive(Debug, Clone, Copy)]
enum DialogField {
    Unit,
    Deadline,
    Rating,
}

impl DialogError {
    fn message(&self, app: &App) -> String {
        let t = app.t;
        let label = |f: &DialogField| match f {
            DialogField::Unit => t.f_unit,
            DialogField::Deadline => t.f_deadline,
            DialogField::Rating => t.f_rating,
        };
        match self {
            DialogError::Invalid(e) => app.lang.pick(e.message_zh(), e.message_en()),
            DialogError::Required(f) => format!("{}：{}", label(f), t.required),
            DialogError::BadDate(Some(f)) => format!("{}：{}", label(f), t.date_format_error),
            DialogError::BadDate(None) => t.date_format_error.to_string(),
            DialogError::Desk(e) => e.message(app.lang),
            DialogError::Nothing => String::new(),
        }
    }
}

/// What a filled-in dialog does: a filter changes at once; a step is
/// checked by the desk's rules and sent to the writer (the dialog stays,
/// saying it is saving, until the outcome comes back).
pub fn submit_dialog(app: &mut App) {
    let Overlay::Dialog(d) = &app.overlay else { return };
    if d.saving.is_some() {
        return;
    }
    let d = d.clone();
    let result = match &d.purpose {
        Purpose::Step(kind, _) => match submit_step(app, &d, *kind) {
            Ok(ticket) => {
                if let Overlay::Dialog(open) = &mut app.overlay {
                    open.saving = Some(ticket);
                    open.error = None;
                }
                return;
            }
            Err(e) => Err(e),
        },
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
        Purpose::DutyItem(deputy) => {
            let deputy = deputy.clone();
            match super::books::submit_duty_item(app, &d, &deputy) {
                Ok(ticket) => {
                    if let Overlay::Dialog(open) = &mut app.overlay {
                        open.saving = Some(ticket);
                        open.error = None;
                    }
                }
                Err(said) => {
                    if let Overlay::Dialog(open) = &mut app.overlay {
                        open.error = Some(said);
                    }
                }
            }
            return;
        }
        Purpose::ReportDates => {
            if let Err(said) = super::books::submit_dates(app, &d)
                && let Overlay::Dialog(open) = &mut app.overlay
            {
                open.error = Some(said);
            }
            return;
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
                _ => Err(DialogError::BadDate(None)),
            }
        }
    };
    match result {
        Ok(()) => {
            app.overlay = Overlay::None;
            app.appeals.selected = 0;
            app.refilter();
        }
        Err(e) => {
            let msg = e.message(app);
            if let Overlay::Dialog(d) = &mut app.overlay {
                d.error = Some(msg);
            }
        }
    }
}

/// Builds the step from the dialog, checks it with the desk's rules on the
/// appeal as shown, and sends it to the writer.
fn submit_step(app: &mut App, d: &Dialog, kind: StepKind) -> Result<crate::tui::app::Ticket, DialogError> {
    let note_index = d.fields.len() - 1;
    let note = validate::text_field(
        Field::Note,
        &field_text(d, note_index),
        true,
        validate::MAX_NOTE,
        false,
    )
    .map_err(DialogError::Invalid)?;
    let reply = || {
        validate::text_field(Field::Reply, &field_text(d, 0), true, validate::MAX_REPLY, true)
            .map_err(DialogError::Invalid)
    };
    let step = match kind {
        StepKind::Accept => Step::Accept,
        StepKind::Start => Step::Start,
        StepKind::Chase => Step::Chase,
        StepKind::Close => Step::Close,
        StepKind::Reopen => Step::Reopen,
        StepKind::Refer => {
            let unit = d.fields[0].1.picked().first().cloned().unwrap_or_default();
            if unit.is_empty() {
                return Err(DialogError::Required(DialogField::Unit));
            }
            let deadline =
                parse_date(&field_text(d, 1)).ok_or(DialogError::BadDate(Some(DialogField::Deadline)))?;
            Step::Refer { unit, deadline }
        }
        StepKind::AnswerOnSpot => Step::AnswerOnSpot { reply: reply()? },
        StepKind::Reply => Step::Reply {
            reply: reply()?,
            document: None,
            class: None,
        },
        StepKind::Rate => {
            let s = d.fields[0]
                .1
                .picked()
                .first()
                .and_then(|s| Satisfaction::parse(s));
            let satisfaction = s.ok_or(DialogError::Required(DialogField::Rating))?;
            Step::Rate { satisfaction }
        }
        // The county's own steps: the kiosk offers no dialog for them.
        StepKind::Register | StepKind::Rerefer | StepKind::Return | StepKind::Progress | StepKind::Extend => {
            return Err(DialogError::Nothing);
        }
    };
    let Some(appeal) = &app.appeals.detail else {
        return Err(DialogError::Nothing);
    };
    let now = app.clock.now();
    let change = desk::step(appeal, step, note, now).map_err(DialogError::Desk)?;
    let request = Request::Commit {
        actor: app.actor(),
        at: now,
        changes: vec![change],
    };
    Ok(app.save(Saving::Step(kind), request))
}
