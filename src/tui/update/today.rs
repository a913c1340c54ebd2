//! The Today screen: a deputy's check-in and check-out.

use crate::domain::desk;
use crate::storage::Request;
use crate::tui::app::{App, SHOWN, Saving, Screen, TodayPanel, Tone};

pub fn check_in_out(app: &mut App, check_in: bool) {
    let Some((deputy, _, record)) = app.today.duty.get(app.today.selected) else {
        return app.say(Tone::Warn, app.t.pick_deputy_first);
    };
    let now = app.clock.now();
    let name = deputy.name.clone();
    let change = match desk::duty(record.as_ref(), &deputy.id, now.date_naive(), check_in) {
        Ok(c) => c,
        Err(desk::DeskError::Duty { checked_in, .. }) => {
            let e = desk::DeskError::Duty {
                deputy: name,
                checked_in,
            };
            return app.say(Tone::Warn, e.message(app.lang));
        }
        Err(e) => return app.say(Tone::Error, e.message(app.lang)),
    };
    let request = Request::Commit {
        actor: app.actor(),
        at: now,
        changes: vec![change],
    };
    app.save(Saving::Duty { name, check_in }, request);
}

/// The panels that can take focus now, in Tab order (the county's only
/// when it has news).
fn panels(app: &App) -> Vec<TodayPanel> {
    let mut out = vec![TodayPanel::Duty, TodayPanel::Registered];
    if !app.county_news.is_empty() {
        out.push(TodayPanel::County);
    }
    out.extend([TodayPanel::Overdue, TodayPanel::DueSoon]);
    out
}

/// Moves the focus to the next (or previous) panel.
pub fn next_panel(app: &mut App, forward: bool) {
    let panels = panels(app);
    let at = panels.iter().position(|p| *p == app.today.panel).unwrap_or(0);
    let n = panels.len();
    let to = if forward { (at + 1) % n } else { (at + n - 1) % n };
    app.today.panel = panels[to];
}

/// The focused panel's highlighted row and its number of rows.
pub fn focused(app: &App) -> (usize, usize) {
    let d = &app.today;
    match d.panel {
        TodayPanel::Duty => (d.selected, d.duty.len()),
        TodayPanel::Registered => (d.registered_selected, d.registered.len()),
        TodayPanel::County => (d.county_selected, app.county_news.len()),
        TodayPanel::Overdue => (d.overdue_selected, d.overdue.len().min(SHOWN)),
        TodayPanel::DueSoon => (d.soon_selected, d.due_soon.len().min(SHOWN)),
    }
}

pub fn set_focused(app: &mut App, at: usize) {
    let d = &mut app.today;
    match d.panel {
        TodayPanel::Duty => d.selected = at,
        TodayPanel::Registered => d.registered_selected = at,
        TodayPanel::County => d.county_selected = at,
        TodayPanel::Overdue => d.overdue_selected = at,
        TodayPanel::DueSoon => d.soon_selected = at,
    }
}

/// Enter on Today: a deputy is checked in; an appeal opens, and Esc
/// comes back to Today.
pub fn open(app: &mut App) {
    let (at, len) = focused(app);
    let at = at.min(len.saturating_sub(1));
    let d = &app.today;
    let code = match d.panel {
        TodayPanel::Duty => return check_in_out(app, true),
        TodayPanel::Registered => d.registered.get(at).map(|r| r.0.clone()),
        TodayPanel::County => app.county_news.get(at).map(|n| n.code.clone()),
        TodayPanel::Overdue => d.overdue.get(at).map(|r| r.1.clone()),
        TodayPanel::DueSoon => d.due_soon.get(at).map(|r| r.1.clone()),
    };
    if let Some(code) = code {
        app.open_appeal(&code);
        if app.screen == Screen::Appeals && app.appeals.detail.is_some() {
            app.appeals.detail_from_today = true;
        }
    }
}
