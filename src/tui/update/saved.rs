//! The writer's outcomes: what the screen says once a save has landed or
//! failed.

use crate::domain::EventBody;
use crate::jobs::Failure;
use crate::jobs::print::{Printed, Slip};
use crate::storage::{Outcome, Saved};
use crate::tui::app::{App, Overlay, Saving, Ticket, Tone};

pub fn on_saved(app: &mut App, ticket: Ticket, outcome: Outcome) {
    let Some(i) = app.saving.iter().position(|(t, _)| *t == ticket) else {
        log::warn!("an outcome came back for no save: ticket {ticket}");
        return;
    };
    let (_, what) = app.saving.remove(i);
    let saved = match outcome {
        Ok(saved) => saved,
        Err(e) => {
            let said = e.message(app.lang);
            log::error!("not saved: {said}");
            if let Some(d) = open_dialog(app, ticket) {
                d.saving = None;
                d.error = Some(said);
            } else {
                app.say(Tone::Error, said);
            }
            return;
        }
    };
    app.appeals_changed(&saved.touched);
    match what {
        Saving::Registration => registration(app, &saved),
        Saving::Step(kind) => {
            if open_dialog(app, ticket).is_some() {
                app.overlay = Overlay::None;
            }
            app.say(
                Tone::Good,
                format!("{}：{}", app.t.step_done, kind.label(app.lang)),
            );
        }
        Saving::AccessKey => {
            // `appeals_changed` above gave the receipt on show its key.
            app.message = None;
        }
        Saving::DutyItem { name, item } => {
            // `appeals_changed` above has counted it in the points.
            if open_dialog(app, ticket).is_some() {
                app.overlay = Overlay::None;
            }
            app.say(Tone::Good, format!("{}{name} · {item}", app.t.duty_item_saved));
        }
        Saving::Duty { name, check_in } => {
            let what = if check_in {
                app.t.checked_in
            } else {
                app.t.checked_out
            };
            let at = saved
                .events
                .first()
                .map(|e| app.zone.local(&e.at).format("%H:%M").to_string());
            app.say(Tone::Good, format!("{name} {what} {}", at.unwrap_or_default()));
        }
    }
    if let Some(cause) = &saved.stopped {
        // Saved (the journal has it), but nothing more is saved until
        // the kiosk restarts: say both.
        let said = format!("{}{}", app.t.saved_but_stopped, cause.message(app.lang));
        app.say(Tone::Warn, said);
    }
}

/// The step dialog still waiting for this save, if it is open.
fn open_dialog(app: &mut App, ticket: Ticket) -> Option<&mut crate::tui::app::Dialog> {
    match &mut app.overlay {
        Overlay::Dialog(d) if d.saving == Some(ticket) => Some(d),
        _ => None,
    }
}

fn registration(app: &mut App, saved: &Saved) {
    let Some(visit) = saved.events.iter().find_map(|e| match &e.body {
        EventBody::VisitRegistered { visit } => Some(visit),
        _ => None,
    }) else {
        return;
    };
    app.register.reset();
    let titles = saved.events.iter().filter_map(|e| match &e.body {
        EventBody::AppealRegistered { appeal } => Some((appeal.code.to_string(), appeal.title.clone())),
        _ => None,
    });
    let codes: Vec<(String, String)> = titles.collect();
    let listed: Vec<&str> = codes.iter().map(|(c, _)| c.as_str()).collect();
    app.say(Tone::Good, format!("{} {}", app.t.saved, listed.join("、")));
    // The codes to tell the visitor, unless the staff have moved on to
    // something else meanwhile (the status line keeps them).
    if app.overlay_is_none() {
        app.overlay = Overlay::Saved {
            visit: visit.code.to_string(),
            codes,
        };
    }
}

/// The printer's outcome for one slip.
pub fn on_printed(app: &mut App, what: &Slip, outcome: Result<Printed, Failure>) {
    if let Some(i) = app.printing.iter().position(|w| w == what) {
        app.printing.remove(i);
    }
    let t = app.t;
    let (printed_words, name) = match what {
        Slip::Receipt { code } => (t.printed, code.clone()),
        Slip::Form { visit: Some(code) } => (t.printed_form, code.clone()),
        Slip::Form { visit: None } => (t.printed_form, t.blank_form.to_string()),
        Slip::Points { quarter } => (t.printed_points, quarter.clone()),
    };
    match outcome {
        Ok(printed) => {
            // An older appeal may have got its access key for this slip.
            if let Slip::Receipt { code } = what {
                app.appeals_changed(std::slice::from_ref(code));
            }
            let reprint = if printed.job.reprint { app.t.reprinted } else { "" };
            let mut said = format!("{printed_words}{reprint} {name}");
            if printed.paper_low {
                said = format!("{said} · {}", app.t.paper_low);
            }
            let tone = if printed.paper_low { Tone::Warn } else { Tone::Good };
            app.say(tone, said);
        }
        Err(e) => {
            let said = format!("{}{}", app.t.print_failed, e.message(app.lang));
            log::error!("{what:?} not printed: {}", e.message(crate::i18n::Lang::En));
            app.say(Tone::Error, said);
        }
    }
}
