//! Deputies (代表): the roster, today's duty and this quarter's receptions.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::Paragraph;

use super::widgets::{cell, fit, focused_style, header_row, rest_width};
use crate::domain::privacy::mask::mask_phone;
use crate::tui::app::App;

pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let t = app.t;
    let [head, body] = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(area);
    let widths = [5usize, 8, 5, 12, 6, 8, 6, 6, 6, 6];
    let rest = rest_width(area.width, &widths);
    let header = header_row(
        &[
            t.col_id,
            t.f_name,
            t.col_level,
            t.f_phone,
            t.col_duty_days,
            t.col_quarter,
            t.col_today,
            t.col_points_quarter,
            t.col_points_year,
            t.col_points_term,
        ],
        &widths,
        t.col_specialties,
        rest,
    );
    frame.render_widget(Paragraph::new(header), head);
    let day = app.today_date();
    // Points come from the catalog: none are shown until it has loaded.
    let shown = |n: u32| {
        if app.catalog.is_some() {
            n.to_string()
        } else {
            "…".to_string()
        }
    };
    let rows = body.height as usize;
    let start = app.deputy_selected.saturating_sub(rows.saturating_sub(1));
    let lines: Vec<Line> = app
        .deputies
        .iter()
        .enumerate()
        .skip(start)
        .take(rows)
        .map(|(i, d)| {
            let count = app
                .quarter_counts
                .iter()
                .find(|(id, _)| *id == d.id)
                .map(|(_, n)| *n)
                .unwrap_or(0);
            let points = app.totals(&d.id);
            let duty_days = d
                .duty_days
                .iter()
                .map(|n| n.to_string())
                .collect::<Vec<_>>()
                .join(",");
            let checked = app
                .today
                .duty
                .iter()
                .find(|(x, _, _)| x.id == d.id)
                .and_then(|(_, _, r)| r.clone());
            let today = match checked {
                Some(r) if r.check_out.is_none() => t.checked_in,
                Some(_) => t.checked_out,
                None if d.on_duty(chrono::Datelike::day(&day)) => t.on_duty_today,
                None => "",
            };
            let text = cell(&d.id, widths[0])
                + &cell(&d.name, widths[1])
                + &cell(d.level.label(app.lang), widths[2])
                + &cell(&mask_phone(&d.phone), widths[3])
                + &cell(&duty_days, widths[4])
                + &cell(&count.to_string(), widths[5])
                + &cell(today, widths[6])
                + &cell(&shown(points.quarter), widths[7])
                + &cell(&shown(points.year), widths[8])
                + &cell(&shown(points.term), widths[9])
                + &fit(&d.specialties.join("、"), rest);
            let style = if i == app.deputy_selected {
                focused_style()
            } else {
                Style::new()
            };
            Line::styled(text, style)
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), body);
}
