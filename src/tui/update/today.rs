//! The Today screen: a deputy's check-in and check-out.

use crate::domain::desk;
use crate::storage::Request;
use crate::tui::app::{App, Saving, Tone};

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
