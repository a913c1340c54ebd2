//! Today (今日): the reception day, deputies on duty, counts, deadlines.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::widgets::{ACCENT, fit, focused_style, label_style, tone_style};
use crate::tui::app::{App, TodayPanel, Tone};

pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let t = app.t;
    let today = app.today_date();
    let station = &app.station;
    let [head, rest] = Layout::vertical([Constraint::Length(5), Constraint::Min(3)]).areas(area);
    let day_line = if station.is_reception_day(today) {
        Line::styled(t.reception_day, tone_style(Tone::Good))
    } else {
        let next = station
            .next_reception_day(today)
            .map(|d| d.to_string())
            .unwrap_or_default();
        Line::from(format!(
            "{} · {} {next}",
            t.not_reception_day, t.next_reception_day
        ))
    };
    let head_lines = vec![
        Line::styled(
            format!("{} · {}", station.name, station.kind.label(app.lang)),
            Style::new().add_modifier(Modifier::BOLD),
        ),
        day_line,
        Line::from(format!(
            "{}{}{} {}",
            t.schedule,
            t.colon,
            station.schedule_text(app.lang),
            station.reception_hours
        )),
        Line::from(format!(
            "{}{}{} · {}{}{}",
            t.visits_today, t.colon, app.today.visits, t.appeals_today, t.colon, app.today.appeals
        )),
    ];
    frame.render_widget(Paragraph::new(head_lines), head);

    let [left, right] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(rest);
    let [left, registered] =
        Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(left);
    draw_duty(frame, left, app);
    draw_registered(frame, registered, app);
    // What the county sent lately comes first, when there is any.
    let right = if app.county_news.is_empty() {
        right
    } else {
        let [county, rest] =
            Layout::vertical([Constraint::Percentage(40), Constraint::Percentage(60)]).areas(right);
        draw_county(frame, county, app);
        rest
    };
    let [over, soon] =
        Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(right);
    let d = &app.today;
    let over_sel = (d.panel == TodayPanel::Overdue).then_some(d.overdue_selected);
    let soon_sel = (d.panel == TodayPanel::DueSoon).then_some(d.soon_selected);
    draw_deadlines(frame, over, t.overdue, &d.overdue, over_sel, app, Tone::Error);
    draw_deadlines(frame, soon, t.due_soon, &d.due_soon, soon_sel, app, Tone::Warn);
}

/// A panel's frame: the one with focus has a bold, coloured border.
fn panel(title: String, focused: bool) -> Block<'static> {
    let block = Block::default().borders(Borders::ALL).title(title);
    if focused {
        block.border_style(Style::new().fg(ACCENT).add_modifier(Modifier::BOLD))
    } else {
        block
    }
}

/// A panel's row, highlighted when it is the focused panel's selection.
fn row(line: Line<'static>, highlighted: bool) -> Line<'static> {
    if highlighted {
        line.style(focused_style())
    } else {
        line
    }
}

/// A dated row: the date in the panel's tone, then `text` (the whole code
/// first, as a citizen reads it out; what follows gives way).
fn dated_row(date: String, tone: Tone, text: &str, width: u16) -> Line<'static> {
    Line::from(vec![
        Span::styled(date, tone_style(tone)),
        Span::raw(fit(text, (width as usize).saturating_sub(6))),
    ])
}

/// The first row to show so that `selected` is in view.
fn first_row(selected: Option<usize>, room: usize) -> usize {
    selected.map_or(0, |s| s.saturating_sub(room.saturating_sub(1)))
}

fn draw_duty(frame: &mut Frame, area: Rect, app: &App) {
    let t = app.t;
    let focused = app.today.panel == TodayPanel::Duty;
    let block = panel(format!(" {} ", t.on_duty), focused);
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let mut lines = Vec::new();
    if !app.today.anyone_scheduled {
        lines.push(Line::styled(t.all_deputies_hint, label_style()));
    }
    let room = (inner.height as usize).saturating_sub(lines.len());
    let start = first_row(Some(app.today.selected), room);
    for (i, (deputy, _scheduled, duty)) in app.today.duty.iter().enumerate().skip(start).take(room) {
        let state = match duty {
            Some(d) if d.check_out.is_some() => format!(
                "{} {}–{}",
                t.checked_out,
                d.check_in
                    .map(|x| app.zone.local(&x).format("%H:%M").to_string())
                    .unwrap_or_default(),
                d.check_out
                    .map(|x| app.zone.local(&x).format("%H:%M").to_string())
                    .unwrap_or_default()
            ),
            Some(d) => format!(
                "{} {}",
                t.checked_in,
                d.check_in
                    .map(|x| app.zone.local(&x).format("%H:%M").to_string())
                    .unwrap_or_default()
            ),
            None => t.not_checked_in.to_string(),
        };
        let text = format!("{} {} · {}", deputy.name, deputy.level.label(app.lang), state);
        lines.push(row(
            Line::raw(fit(&text, inner.width as usize)),
            focused && i == app.today.selected,
        ));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

fn draw_deadlines(
    frame: &mut Frame,
    area: Rect,
    title: &str,
    items: &[(chrono::NaiveDate, String, String)],
    selected: Option<usize>,
    app: &App,
    tone: Tone,
) {
    let block = panel(format!(" {title} · {} ", items.len()), selected.is_some());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let lines: Vec<Line> = if items.is_empty() {
        vec![Line::styled(app.t.none, label_style())]
    } else {
        let room = inner.height as usize;
        let start = first_row(selected, room);
        items
            .iter()
            .enumerate()
            .skip(start)
            .take(room)
            .map(|(i, (d, code, title))| {
                row(
                    dated_row(
                        d.format("%m-%d ").to_string(),
                        tone,
                        &format!("{code} {title}"),
                        inner.width,
                    ),
                    selected == Some(i),
                )
            })
            .collect()
    };
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The appeals the county stepped in the last few days ("县里答复 …").
fn draw_county(frame: &mut Frame, area: Rect, app: &App) {
    let t = app.t;
    let items = &app.county_news;
    let selected = (app.today.panel == TodayPanel::County).then_some(app.today.county_selected);
    let block = panel(
        format!(" {} · {} ", t.county_news, items.len()),
        selected.is_some(),
    );
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let room = inner.height as usize;
    let lines: Vec<Line> = items
        .iter()
        .enumerate()
        .skip(first_row(selected, room))
        .take(room)
        .map(|(i, n)| {
            let what = if let Some(day) = n.meeting {
                t.booked
                    .replace("{day}", &day.format("%m-%d").to_string())
                    .replace("{deputy}", &n.deputy)
            } else if n.online {
                t.online_new.to_string()
            } else {
                format!("{}{}", t.county_prefix, n.step.label(app.lang))
            };
            let mark = if n.not_applied { t.county_not_applied } else { "" };
            row(
                dated_row(
                    app.zone.local(&n.at).format("%m-%d ").to_string(),
                    Tone::Good,
                    &format!("{} {what}{mark} {}", n.code, n.title),
                    inner.width,
                ),
                selected == Some(i),
            )
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The appeals of today's visits, each with its whole code.
fn draw_registered(frame: &mut Frame, area: Rect, app: &App) {
    let d = &app.today;
    let selected = (d.panel == TodayPanel::Registered).then_some(d.registered_selected);
    let block = panel(
        format!(" {} · {} ", app.t.registered_today, app.today.appeals),
        selected.is_some(),
    );
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let room = inner.height as usize;
    let lines: Vec<Line> = if d.registered.is_empty() {
        vec![Line::styled(app.t.none, label_style())]
    } else {
        d.registered
            .iter()
            .enumerate()
            .skip(first_row(selected, room))
            .take(room)
            .map(|(i, (code, title))| {
                row(
                    Line::raw(fit(&format!("{code} {title}"), inner.width as usize)),
                    selected == Some(i),
                )
            })
            .collect()
    };
    frame.render_widget(Paragraph::new(lines), inner);
}
