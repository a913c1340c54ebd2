//! The station's books at the kiosk: the Reports screen's period and
//! pages, a deputy's points and the record behind them, and the duty items
//! staff enter by hand.

use crate::domain::desk;
use crate::domain::period::Period;
use crate::domain::points::{HandEntry, MAX_TIMES};
use crate::domain::validate;
use crate::jobs::print::Slip;
use crate::storage::Request;
use crate::tui::app::{App, Dialog, Overlay, Purpose, ReportPart, Saving, Ticket, Tone};
use crate::tui::form::{Widget, parse_date};
use crate::tui::input::{Choice, Picker, TextInput};
use crate::tui::keymap::Action;

/// An action of the Reports screen; false when it is not one.
pub fn reports_action(app: &mut App, action: Action) -> bool {
    let today = app.today_date();
    let r = &mut app.reports;
    match action {
        Action::PeriodPrev => r.period = r.period.prev(),
        Action::PeriodNext => r.period = r.period.next(),
        Action::PeriodSpan => r.period = r.period.wider(today),
        Action::PeriodDates => {
            let fields = vec![
                (
                    app.t.f_from,
                    Widget::Text(TextInput::new(10).with_text(&r.period.from.to_string())),
                ),
                (
                    app.t.f_to,
                    Widget::Text(TextInput::new(10).with_text(&r.period.to.to_string())),
                ),
            ];
            let title = app.t.report_dates_title.to_string();
            app.overlay = Overlay::Dialog(Dialog::new(Purpose::ReportDates, title, fields));
            return true;
        }
        Action::NextPart | Action::PrevPart => {
            let all = ReportPart::ALL;
            let at = all.iter().position(|p| *p == r.part).unwrap_or(0);
            let step = if action == Action::NextPart {
                1
            } else {
                all.len() - 1
            };
            r.part = all[(at + step) % all.len()];
            r.scroll = 0;
            return true;
        }
        Action::Up | Action::Top => {
            r.scroll = if action == Action::Top {
                0
            } else {
                r.scroll.saturating_sub(1)
            };
            return true;
        }
        Action::Down => {
            r.scroll = r
                .scroll
                .saturating_add(1)
                .min(app.deputies.len().saturating_sub(1));
            return true;
        }
        _ => return false,
    }
    r.scroll = 0;
    app.refresh_report();
    true
}

/// The dates dialog of the Reports screen, filled in: the report of those
/// days, or why not.
pub fn submit_dates(app: &mut App, d: &Dialog) -> Result<(), String> {
    let t = app.t;
    let day = |i: usize| parse_date(&d.fields[i].1.text()).ok_or(t.date_format_error);
    let (from, to) = (day(0)?, day(1)?);
    let period = Period::dates(from, to).map_err(|e| e.message(app.lang))?;
    app.reports.period = period;
    app.reports.scroll = 0;
    app.overlay = Overlay::None;
    app.refresh_report();
    Ok(())
}

/// An action of the Deputies screen; false when it is not one.
pub fn deputies_action(app: &mut App, action: Action) -> bool {
    let Some(deputy) = app.deputies.get(app.deputy_selected).cloned() else {
        if matches!(action, Action::Open | Action::DutyItem | Action::PrintPoints) {
            app.say(Tone::Warn, app.t.pick_deputy_first);
            return true;
        }
        return false;
    };
    match action {
        Action::Open => {
            let lines = app.deeds_of(&deputy.id);
            app.overlay = Overlay::Points {
                deputy: deputy.id,
                lines,
                scroll: 0,
            };
        }
        Action::DutyItem => {
            let t = app.t;
            let items = app
                .station
                .points
                .items
                .iter()
                .map(|i| Choice::new(&format!("{}（{} 分）", i.name, i.points), &i.code))
                .collect();
            let fields = vec![
                (t.f_item, Widget::Pick(Picker::new(items, false))),
                (
                    t.f_day,
                    Widget::Text(TextInput::new(10).with_text(&app.today_date().to_string())),
                ),
                (t.f_times, Widget::Text(TextInput::new(2).with_text("1"))),
                (t.f_what, Widget::Text(TextInput::new(validate::MAX_NOTE))),
            ];
            let title = t.duty_item_title.replace("{name}", &deputy.name);
            app.overlay = Overlay::Dialog(Dialog::new(Purpose::DutyItem(deputy.id), title, fields));
        }
        Action::PrintPoints => {
            let quarter = Period::quarter_of(app.today_date()).slug();
            app.print_slip(Slip::Points { quarter });
        }
        _ => return false,
    }
    true
}

/// The duty item dialog, filled in: checked by the desk's rules and sent
/// to the writer.
pub fn submit_duty_item(app: &mut App, d: &Dialog, deputy: &str) -> Result<Ticket, String> {
    let t = app.t;
    let item = d.fields[0].1.picked().first().cloned().ok_or(t.item_required)?;
    let day = parse_date(&d.fields[1].1.text()).ok_or(t.date_format_error)?;
    let times: u32 = d.fields[2]
        .1
        .text()
        .trim()
        .parse()
        .ok()
        .filter(|n| (1..=MAX_TIMES).contains(n))
        .ok_or(t.times_error)?;
    let entry = HandEntry {
        deputy: deputy.to_string(),
        day,
        item: item.clone(),
        times,
        note: d.fields[3].1.text(),
    };
    let change = desk::duty_item(&app.station.points, &app.deputies, entry, app.today_date())
        .map_err(|e| e.message(app.lang))?;
    let name = app.deputy_name(deputy);
    let item = app
        .station
        .points
        .items
        .iter()
        .find(|i| i.code == item)
        .map(|i| i.name.clone())
        .unwrap_or(item);
    let request = Request::Commit {
        actor: app.actor(),
        at: app.clock.now(),
        changes: vec![change],
    };
    Ok(app.save(Saving::DutyItem { name, item }, request))
}
