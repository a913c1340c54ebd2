//! Drawing. Views read the model and draw; they change nothing.

mod appeals;
mod bigtext;
mod books;
mod deputies;
mod overlays;
mod register;
mod signin;
mod sync;
mod today;
mod widgets;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::app::{App, MIN_SIZE, Overlay, Screen};
use super::keymap::Action;
use widgets::{ACCENT, tone_style};

pub fn draw(frame: &mut Frame, app: &App) {
    let area = frame.area();
    if area.width < MIN_SIZE.0 || area.height < MIN_SIZE.1 {
        let said = app
            .t
            .too_small
            .replace("{w}", &MIN_SIZE.0.to_string())
            .replace("{h}", &MIN_SIZE.1.to_string())
            .replace("{cw}", &area.width.to_string())
            .replace("{ch}", &area.height.to_string());
        frame.render_widget(
            Paragraph::new(said).wrap(ratatui::widgets::Wrap { trim: true }),
            area,
        );
        return;
    }
    if app.staff.is_none() {
        signin::draw(frame, area, app);
        overlays::draw(frame, area, app);
        return;
    }
    let [top, body, bottom] = screen_rows(area);
    draw_tabs(frame, top, app);
    match app.screen {
        Screen::Today => today::draw(frame, body, app),
        Screen::Register => register::draw(frame, body, app),
        Screen::Appeals => appeals::draw(frame, body, app),
        Screen::Deputies => deputies::draw(frame, body, app),
        Screen::Sync => sync::draw(frame, body, app),
        Screen::Reports => books::draw(frame, body, app),
    }
    draw_status(frame, bottom, app);
    overlays::draw(frame, area, app);
}

/// The tabs, the screen's body and the status line.
fn screen_rows(area: Rect) -> [Rect; 3] {
    Layout::vertical([Constraint::Length(1), Constraint::Min(1), Constraint::Length(1)]).areas(area)
}

/// The whole screen at the terminal's last known size.
fn screen_area(app: &App) -> Option<Rect> {
    app.size.map(|(w, h)| Rect::new(0, 0, w, h))
}

/// How far the open appeal's detail scrolls at the terminal's size (no
/// limit while the size is unknown). The key handler keeps the scroll
/// within it, so drawing only reads the model.
pub fn detail_last(app: &App) -> usize {
    match (screen_area(app), &app.appeals.detail) {
        (Some(area), Some(a)) => appeals::detail_last(app, a, screen_rows(area)[1]),
        _ => usize::MAX,
    }
}

/// How far the help or the message log scrolls at the terminal's size
/// (no limit while the size is unknown).
pub fn overlay_last(app: &App) -> usize {
    screen_area(app).map_or(usize::MAX, |area| overlays::overlay_last(app, area))
}

fn draw_tabs(frame: &mut Frame, area: Rect, app: &App) {
    let t = app.t;
    let names = [
        t.tab_today,
        t.tab_register,
        t.tab_appeals,
        t.tab_deputies,
        t.tab_sync,
        t.tab_reports,
    ];
    let mut spans = vec![Span::styled(
        format!(" {} ", t.app_title),
        Style::new().add_modifier(Modifier::BOLD),
    )];
    for (i, (screen, name)) in Screen::ALL.iter().zip(names).enumerate() {
        let style = if *screen == app.screen {
            Style::new()
                .fg(ratatui::style::Color::Black)
                .bg(ACCENT)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::new()
        };
        spans.push(Span::styled(format!(" {} {name} ", i + 1), style));
    }
    let tabs_w: usize = spans.iter().map(|s| widgets::width(&s.content)).sum();
    let staff = app.staff.as_ref().map(|s| s.name.as_str()).unwrap_or("");
    let room = (area.width as usize).saturating_sub(tabs_w + 1);
    // Which terminal this is: two terminals of a station issue codes
    // apart only when each has its own number.
    let terminal = format!("{}{}", app.t.terminal_no, app.reader.terminal());
    let date = app.today_date().format("%Y-%m-%d");
    let full = format!("{} · {terminal} · {staff} · {date} ", app.station.name);
    let short = format!("{terminal} · {staff} · {date} ");
    let staff_date = format!("{staff} · {date} ");
    let shorter = format!("{terminal} · {staff} ");
    let right = [full, short, staff_date]
        .into_iter()
        .find(|t| widgets::width(t) <= room)
        .unwrap_or_else(|| widgets::fit(&shorter, room));
    let [left_area, right_area] =
        Layout::horizontal([Constraint::Length(tabs_w as u16), Constraint::Min(0)]).areas(area);
    frame.render_widget(Paragraph::new(Line::from(spans)), left_area);
    frame.render_widget(
        Paragraph::new(right)
            .style(Style::new().add_modifier(Modifier::DIM))
            .alignment(ratatui::layout::Alignment::Right),
        right_area,
    );
}

fn draw_status(frame: &mut Frame, area: Rect, app: &App) {
    // Where text is typed, `q` and `?` are text: the hint names a key
    // that works there (Ctrl-C, F1), or none.
    // A dialog or a yes/no question takes neither: no hint then.
    let typing = app.takes_text();
    let asking = matches!(app.overlay, Overlay::Dialog(_) | Overlay::Confirm { .. });
    let key = |action: Action| {
        if asking {
            return None;
        }
        app.keymap
            .keys_for(action)
            .iter()
            .find(|k| !(typing && k.types_text()))
            .map(|k| k.display())
    };
    let hint = [(Action::Help, app.t.help_hint), (Action::Quit, app.t.quit_hint)]
        .iter()
        .filter_map(|(action, what)| Some(format!("{} {what}", key(*action)?)))
        .collect::<Vec<_>>()
        .join(" · ");
    let [left, right] = Layout::horizontal([
        Constraint::Min(10),
        Constraint::Length(widgets::width(&hint) as u16 + 1),
    ])
    .areas(area);
    let message = app
        .message
        .as_ref()
        .map(|(tone, text)| (*tone, format!(" {text}")));
    // A message too long to sit beside the hint takes the whole line, so a
    // warning's file and line number are not cut off at 80 columns.
    let long = message
        .as_ref()
        .is_some_and(|(_, text)| widgets::width(text) > left.width as usize);
    if let Some((tone, text)) = message {
        let at = if long { area } else { left };
        frame.render_widget(Paragraph::new(text).style(tone_style(tone)), at);
    }
    if !long {
        frame.render_widget(
            Paragraph::new(hint).style(Style::new().add_modifier(Modifier::DIM)),
            right,
        );
    }
}
