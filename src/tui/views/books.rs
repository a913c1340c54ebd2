//! Reports (报表): the period's figures as bar charts, a sparkline of
//! visits per reception day, and every figure as a table beside them.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Bar, BarChart, Block, Borders, Paragraph, Sparkline};

use super::widgets::{ACCENT, cell, fit, label_style, width};
use crate::domain::points::Deed;
use crate::domain::report::{Rate, Report};
use crate::tui::app::{App, ReportPart};

/// What a deed was, in words.
pub fn deed_words(app: &App, deed: &Deed) -> String {
    let t = app.t;
    match deed {
        Deed::ReceptionDay => t.deed_reception_day.to_string(),
        Deed::Received { code } => format!("{} {code}", t.deed_received),
        Deed::AnsweredOnTime { code } => format!("{} {code}", t.deed_on_time),
        Deed::Satisfied { code } => format!("{} {code}", t.deed_satisfied),
        Deed::Item { code, times, note } => {
            let item = app.station.points.items.iter().find(|i| i.code == *code);
            let what = match item {
                Some(i) => format!("{} × {times} {}", i.name, app.t.times),
                None => format!("{code} × {times}{}", t.deed_item_gone),
            };
            if note.is_empty() {
                what
            } else {
                format!("{what} · {note}")
            }
        }
    }
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let t = app.t;
    let [head, tabs, body] =
        Layout::vertical([Constraint::Length(1), Constraint::Length(1), Constraint::Min(1)]).areas(area);
    let period = &app.reports.period;
    let title = t
        .report_title
        .replace("{period}", &period.label(app.lang))
        .replace("{from}", &period.from.to_string())
        .replace("{to}", &period.to.to_string());
    let room = (head.width as usize).saturating_sub(width(&title) + 2);
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled(title, Style::new().add_modifier(Modifier::BOLD)),
            Span::raw("  "),
            Span::styled(fit(t.report_hint, room), Style::new().add_modifier(Modifier::DIM)),
        ])),
        head,
    );
    let names = [
        t.part_overview,
        t.part_categories,
        t.part_handling,
        t.part_deputies,
    ];
    let spans: Vec<Span> = ReportPart::ALL
        .iter()
        .zip(names)
        .map(|(part, name)| {
            if *part == app.reports.part {
                Span::styled(
                    format!(" {name} "),
                    Style::new().fg(ratatui::style::Color::Black).bg(ACCENT),
                )
            } else {
                Span::raw(format!(" {name} "))
            }
        })
        .collect();
    frame.render_widget(Paragraph::new(Line::from(spans)), tabs);
    let report = match &app.reports.report {
        None => return frame.render_widget(Paragraph::new(t.reports_loading), body),
        Some(Err(e)) => {
            return frame.render_widget(Paragraph::new(format!("{}{e}", t.reports_failed)), body);
        }
        Some(Ok(r)) => r,
    };
    match app.reports.part {
        ReportPart::Overview => overview(frame, body, app, report),
        ReportPart::Categories => categories(frame, body, app, report),
        ReportPart::Handling => handling(frame, body, app, report),
        ReportPart::Deputies => deputies(frame, body, app, report),
    }
}

/// A rate as "66.7%（2/3）", or a dash when there is nothing to count.
fn rate(app: &App, r: Rate) -> String {
    match r.percent() {
        Some(p) => format!("{p:.1}%（{}/{}）", r.of, r.all),
        None => app.t.fig_none.to_string(),
    }
}

/// A share of `all` in per cent, one decimal.
fn share(n: u32, all: u32) -> String {
    Rate { of: n, all }
        .percent()
        .map(|p| format!("{p:.1}%"))
        .unwrap_or_default()
}

/// A table: a header row, then rows of cells of the given widths.
fn table(header: &[&str], widths: &[usize], rows: Vec<Vec<String>>) -> Vec<Line<'static>> {
    let head: String = header.iter().zip(widths).map(|(h, w)| cell(h, *w)).collect();
    let mut lines = vec![Line::styled(head, label_style())];
    for r in rows {
        let text: String = r.iter().zip(widths).map(|(c, w)| cell(c, *w)).collect();
        lines.push(Line::raw(text));
    }
    lines
}

fn boxed(title: &str) -> Block<'_> {
    Block::default()
        .borders(Borders::TOP)
        .title(Span::styled(title.to_string(), label_style()))
}

fn overview(frame: &mut Frame, area: Rect, app: &App, r: &Report) {
    let t = app.t;
    let rows = vec![
        vec![t.fig_visits.to_string(), r.visits.to_string()],
        vec![t.fig_appeals.to_string(), r.appeals.to_string()],
        vec![t.fig_closed.to_string(), rate(app, r.closed)],
        vec![t.fig_on_time.to_string(), rate(app, r.on_time)],
        vec![t.fig_satisfied.to_string(), rate(app, r.satisfied)],
        vec![t.fig_reopened.to_string(), rate(app, r.reopened)],
        vec![t.fig_overdue.to_string(), r.overdue_now.to_string()],
    ];
    // As wide as the longest label (English ones are longer).
    let label_w = rows
        .iter()
        .map(|r| width(&r[0]))
        .max()
        .unwrap_or(10)
        .max(width(t.col_figure));
    let left_w = (label_w + 1 + 20 + 1) as u16;
    let [left, right] = Layout::horizontal([Constraint::Length(left_w), Constraint::Min(20)]).areas(area);
    let mut lines = table(&[t.col_figure, t.col_value], &[label_w, 20], rows);
    if let Some(year) = r.uncovered_year {
        lines.push(Line::raw(""));
        lines.push(Line::styled(
            t.report_uncovered.replace("{year}", &year.to_string()),
            Style::new().add_modifier(Modifier::DIM),
        ));
    }
    frame.render_widget(
        Paragraph::new(lines).wrap(ratatui::widgets::Wrap { trim: true }),
        left,
    );
    let days = &r.visits_per_reception_day;
    let block = boxed(t.visits_per_day);
    let inner = block.inner(right);
    frame.render_widget(block, right);
    if days.is_empty() {
        return frame.render_widget(Paragraph::new(t.no_reception_days), inner);
    }
    let [spark, list] = Layout::vertical([Constraint::Length(4), Constraint::Min(1)]).areas(inner);
    let data: Vec<u64> = days.iter().map(|(_, n)| u64::from(*n)).collect();
    frame.render_widget(
        Sparkline::default().data(&data).style(Style::new().fg(ACCENT)),
        spark,
    );
    // The same figures as a table, as many columns as fit.
    let entry = 12usize;
    let per_line = (list.width as usize / entry).max(1);
    let lines: Vec<Line> = days
        .chunks(per_line)
        .map(|c| {
            Line::raw(
                c.iter()
                    .map(|(d, n)| cell(&format!("{} {n}", d.format("%m-%d")), entry))
                    .collect::<String>(),
            )
        })
        .collect();
    let mut all = vec![Line::styled(
        format!("{} {}", t.col_day, t.fig_visits),
        label_style(),
    )];
    all.extend(lines);
    frame.render_widget(Paragraph::new(all), list);
}

/// Horizontal bars of `(label, value)`, one row each.
fn bars<'a>(items: &[(String, u32)]) -> BarChart<'a> {
    let bars: Vec<Bar> = items
        .iter()
        .map(|(label, n)| Bar::with_label(label.clone(), u64::from(*n)).text_value(n.to_string()))
        .collect();
    BarChart::horizontal(bars)
        .bar_width(1)
        .bar_gap(0)
        .bar_style(Style::new().fg(ACCENT))
        .value_style(Style::new().add_modifier(Modifier::BOLD))
}

fn categories(frame: &mut Frame, area: Rect, app: &App, r: &Report) {
    let t = app.t;
    let items: Vec<(String, u32)> = r
        .by_category
        .iter()
        .map(|(c, n)| (c.label(app.lang).to_string(), *n))
        .collect();
    let [left, right] = Layout::horizontal([Constraint::Percentage(55), Constraint::Min(26)]).areas(area);
    frame.render_widget(bars(&items), left);
    let rows = items
        .iter()
        .map(|(c, n)| vec![c.clone(), n.to_string(), share(*n, r.appeals)])
        .collect();
    frame.render_widget(
        Paragraph::new(table(
            &[t.col_category, t.col_count, t.col_share],
            &[12, 6, 8],
            rows,
        )),
        right,
    );
}

fn handling(frame: &mut Frame, area: Rect, app: &App, r: &Report) {
    let t = app.t;
    let [status, route, class] = Layout::horizontal([
        Constraint::Percentage(40),
        Constraint::Percentage(30),
        Constraint::Percentage(30),
    ])
    .areas(area);
    let status_items: Vec<(String, u32)> = r
        .by_status
        .iter()
        .map(|(s, n)| (s.label(app.lang).to_string(), *n))
        .collect();
    let [status_table, status_bars] = Layout::vertical([
        Constraint::Length(status_items.len() as u16 + 2),
        Constraint::Min(0),
    ])
    .areas(status);
    let rows = status_items
        .iter()
        .map(|(s, n)| vec![s.clone(), n.to_string()])
        .collect();
    frame.render_widget(
        Paragraph::new(table(&[t.col_status, t.col_count], &[12, 6], rows)),
        status_table,
    );
    frame.render_widget(bars(&status_items), status_bars);
    let rows = r
        .by_route
        .iter()
        .map(|(x, n)| vec![x.label(app.lang).to_string(), n.to_string()])
        .collect();
    frame.render_widget(
        Paragraph::new(table(&[t.col_route, t.col_count], &[14, 6], rows)),
        route,
    );
    let rows = r
        .by_reply_class
        .iter()
        .map(|(c, n)| {
            let name = c.map_or(t.reply_class_none.to_string(), |c| c.label(app.lang).to_string());
            vec![name, n.to_string()]
        })
        .collect();
    frame.render_widget(
        Paragraph::new(table(&[t.col_reply_class, t.col_count], &[16, 6], rows)),
        class,
    );
}

fn deputies(frame: &mut Frame, area: Rect, app: &App, r: &Report) {
    let t = app.t;
    let rows: Vec<Vec<String>> = app
        .deputies
        .iter()
        .map(|d| {
            let received = r.by_deputy.get(&d.id).copied().unwrap_or(0);
            let p = r.participation.get(&d.id).copied().unwrap_or_default();
            let came = Rate {
                of: p.attended.min(p.scheduled),
                all: p.scheduled,
            }
            .percent()
            .map_or(t.fig_none.to_string(), |x| format!("{x:.1}%"));
            vec![
                d.name.clone(),
                received.to_string(),
                p.scheduled.to_string(),
                p.attended.to_string(),
                came,
            ]
        })
        .collect();
    let [left, right] = Layout::horizontal([Constraint::Length(46), Constraint::Min(20)]).areas(area);
    let mut lines = table(
        &[
            t.f_name,
            t.col_appeals_received,
            t.col_scheduled,
            t.col_attended,
            t.col_participation,
        ],
        &[10, 10, 6, 6, 10],
        rows,
    );
    let head = lines.remove(0);
    let scroll = app.reports.scroll.min(lines.len().saturating_sub(1));
    let [h, l] = Layout::vertical([Constraint::Length(1), Constraint::Min(1)]).areas(left);
    frame.render_widget(Paragraph::new(head), h);
    frame.render_widget(Paragraph::new(lines).scroll((scroll as u16, 0)), l);
    let items: Vec<(String, u32)> = app
        .deputies
        .iter()
        .skip(scroll)
        .map(|d| (d.name.clone(), r.by_deputy.get(&d.id).copied().unwrap_or(0)))
        .collect();
    frame.render_widget(bars(&items).block(boxed(t.col_appeals_received)), right);
}
