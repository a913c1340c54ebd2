//! Appeals (诉求): the filtered list and one appeal's detail.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::widgets::{
    ACCENT, cell, fit, focused_style, header_row, label_style, one_line, rest_width, tone_style, width,
    wrap_lines,
};
use crate::domain::lifecycle::available;
use crate::domain::{Appeal, Category, Status};
use crate::tui::app::{App, Tone};
use crate::tui::keymap::Action;

pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    match &app.appeals.detail {
        Some(a) => draw_detail(frame, area, app, a),
        None => draw_list(frame, area, app),
    }
}

fn filter_line(app: &App) -> Line<'static> {
    let t = app.t;
    let f = &app.appeals.filter;
    let all = t.all.to_string();
    let status = f
        .status
        .map(|s| s.label(app.lang).to_string())
        .unwrap_or_else(|| all.clone());
    let category = f
        .category
        .map(|c| c.label(app.lang).to_string())
        .unwrap_or_else(|| all.clone());
    let deputy = f
        .deputy
        .as_ref()
        .map(|d| app.deputy_name(d))
        .unwrap_or_else(|| all.clone());
    let dates = match (f.from, f.to) {
        (None, None) => all.clone(),
        (a, b) => format!(
            "{}~{}",
            a.map(|d| d.format("%m-%d").to_string()).unwrap_or_default(),
            b.map(|d| d.format("%m-%d").to_string()).unwrap_or_default()
        ),
    };
    let mut spans = vec![Span::styled(
        format!(
            "{}:{status} {}:{category} {}:{deputy} {}:{dates}{} ",
            t.col_status,
            t.col_category,
            t.f_deputies,
            t.col_date,
            if f.overdue {
                format!(" {}", t.overdue)
            } else {
                String::new()
            }
        ),
        label_style(),
    )];
    spans.push(Span::styled(format!("/{} ", t.search), Style::new().fg(ACCENT)));
    let query_style = if app.appeals.searching {
        Style::new().add_modifier(Modifier::UNDERLINED)
    } else {
        Style::new()
    };
    spans.push(Span::styled(app.appeals.search.text(), query_style));
    Line::from(spans)
}

fn draw_list(frame: &mut Frame, area: Rect, app: &App) {
    let t = app.t;
    let [bar, head, body, foot] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(area);
    frame.render_widget(Paragraph::new(filter_line(app)), bar);
    if app.appeals.searching {
        let typed = width(&filter_line(app).to_string());
        frame.set_cursor_position((bar.x + (typed as u16).min(bar.width.saturating_sub(1)), bar.y));
    }
    let Some(catalog) = &app.catalog else {
        frame.render_widget(Paragraph::new(t.loading), body);
        return;
    };
    let label_w = |labels: &mut dyn Iterator<Item = &'static str>| labels.map(width).max().unwrap_or(4);
    let status_w = label_w(&mut Status::ALL.iter().map(|s| s.label(app.lang)));
    let category_w = label_w(&mut Category::ALL.iter().map(|c| c.label(app.lang))).min(10);
    // Codes are 24 characters, 25 from a day's 10,000th on: the column
    // widens only when such a code is on screen.
    let rows = body.height as usize;
    let first = app.appeals.selected.saturating_sub(rows.saturating_sub(1));
    let code_w = app.appeals.hits[first.min(app.appeals.hits.len())..]
        .iter()
        .take(rows)
        .filter_map(|&i| catalog.row(i))
        .map(|r| r.code.len())
        .fold(24usize, usize::max);
    let widths = [code_w, 5, status_w, category_w, 8];
    let title_w = rest_width(area.width, &widths);
    let header = header_row(
        &[
            t.col_code,
            t.col_date,
            t.col_status,
            t.col_category,
            t.col_visitor,
        ],
        &widths,
        t.col_title,
        title_w,
    );
    frame.render_widget(Paragraph::new(header), head);
    let rows = body.height as usize;
    let hits = &app.appeals.hits;
    if hits.is_empty() {
        frame.render_widget(Paragraph::new(Line::styled(t.empty_list, label_style())), body);
    }
    let start = app.appeals.selected.saturating_sub(rows.saturating_sub(1));
    let today = app.today_date();
    let mut lines = Vec::with_capacity(rows);
    for (pos, &i) in hits.iter().enumerate().skip(start).take(rows) {
        let Some(r) = catalog.row(i) else { continue };
        let visitor = if r.visitor.is_empty() {
            t.anonymous
        } else {
            &r.visitor
        };
        let text = cell(r.code, widths[0])
            + &cell(&r.date.format("%m-%d").to_string(), widths[1])
            + &cell(r.status.label(app.lang), widths[2])
            + &cell(r.category.label(app.lang), widths[3])
            + &cell(visitor, widths[4])
            + &fit(&r.title, title_w);
        let style = if pos == app.appeals.selected {
            focused_style()
        } else if r.is_overdue(today) {
            tone_style(Tone::Error)
        } else {
            Style::new()
        };
        lines.push(Line::styled(text, style));
    }
    frame.render_widget(Paragraph::new(lines), body);
    let count = format!("{} {} / {}", hits.len(), t.count, catalog.len());
    frame.render_widget(Paragraph::new(Line::styled(count, label_style())), foot);
}

fn field(colon: &str, label: &str, value: String) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{label}{colon}"), label_style()),
        Span::raw(value),
    ])
}

/// The detail's text and its actions line below it.
fn detail_areas(area: Rect) -> [Rect; 2] {
    Layout::vertical([Constraint::Min(3), Constraint::Length(2)]).areas(area)
}

/// How far the detail of `a` scrolls in `area` (the screen's body): it
/// stops at the last page, not in blank space.
pub fn detail_last(app: &App, a: &Appeal, area: Rect) -> usize {
    let [main, _] = detail_areas(area);
    let page = main.height.saturating_sub(2) as usize;
    detail_lines(app, a, main.width.saturating_sub(2))
        .len()
        .saturating_sub(page)
}

/// The detail's lines, wrapped at `width` cells.
fn detail_lines(app: &App, a: &Appeal, width: u16) -> Vec<Line<'static>> {
    let t = app.t;
    let lang = app.lang;
    let dash = "—".to_string();
    let or_dash = |s: &str| if s.is_empty() { dash.clone() } else { s.to_string() };
    let visitor = if a.visitor.name.is_empty() {
        t.anonymous.to_string()
    } else {
        a.visitor.name.clone()
    };
    let mut lines = vec![
        field(
            t.colon,
            t.col_visitor,
            format!("{visitor}  {} {}", t.f_group, a.group_size.max(1)),
        ),
        // Shown whole only here, in the detail of one appeal.
        field(t.colon, t.f_phone, or_dash(&a.visitor.phone)),
        field(t.colon, t.f_id, or_dash(&a.visitor.id_number)),
        field(t.colon, t.f_address, or_dash(&a.visitor.address)),
        field(t.colon, t.f_deputies, or_dash(&a.deputy_names().join("、"))),
        field(
            t.colon,
            t.f_category,
            format!(
                "{} · {} {} · {} {}",
                a.category.label(lang),
                t.f_urgency,
                a.urgency.label(lang),
                t.f_route,
                a.route.label(lang)
            ),
        ),
        field(t.colon, t.f_title, a.title.clone()),
        field(t.colon, t.f_location, or_dash(&a.location)),
        field(t.colon, t.col_date, app.zone.show(&a.registered_at)),
    ];
    if a.channel != crate::domain::Channel::Desk {
        lines.push(field(t.colon, t.f_channel, a.channel.label(lang).to_string()));
    }
    if let Some(day) = a.meeting {
        lines.push(field(
            t.colon,
            t.f_meeting,
            format!("{day} {}", a.deputy_names().join("、")),
        ));
    }
    if let Some(unit) = &a.unit {
        let deadline = a.deadline.map(|d| d.to_string()).unwrap_or_default();
        let late = if a.is_overdue(app.today_date()) {
            format!(" · {}", t.overdue)
        } else {
            String::new()
        };
        lines.push(field(
            t.colon,
            t.f_unit,
            format!("{unit} · {} {deadline}{late}", t.f_deadline),
        ));
    }
    lines.push(field(t.colon, t.f_content, String::new()));
    for l in a.content.lines() {
        lines.push(Line::from(format!("  {l}")));
    }
    if let Some(reply) = &a.reply {
        lines.push(field(t.colon, t.f_reply, one_line(reply)));
        if let Some(class) = a.reply_class {
            lines.push(field(t.colon, t.f_reply_class, class.label(lang).to_string()));
        }
    }
    if let Some(s) = a.satisfaction {
        lines.push(field(t.colon, t.f_rating, s.label(lang).to_string()));
    }
    if a.round > 0 || a.chases > 0 {
        lines.push(field(
            t.colon,
            t.round,
            format!("{} · {} {}", a.round, t.chases, a.chases),
        ));
    }
    lines.push(Line::styled(
        format!("── {} ──", t.timeline),
        Style::new().fg(ACCENT),
    ));
    for h in &a.history {
        let note = if h.note.is_empty() {
            String::new()
        } else {
            format!(" （{}）", one_line(&h.note))
        };
        let mut spans = vec![Span::styled(format!("{} ", app.zone.show(&h.at)), label_style())];
        // A county step says so, with the county's actor.
        if h.event.is_county() {
            spans.push(Span::styled(
                format!("[{}] ", t.county_mark),
                tone_style(Tone::Good).add_modifier(Modifier::BOLD),
            ));
        }
        let outcome = match &h.not_applied {
            Some(_) => String::new(),
            None => format!(" → {}", h.to.label(lang)),
        };
        spans.push(Span::raw(format!(
            "{} · {}{outcome}{note}",
            h.actor,
            one_line(&h.step.describe(lang)),
        )));
        lines.push(Line::from(spans));
        if let Some(why) = &h.not_applied {
            lines.push(Line::styled(
                format!("    {}", why.message(lang)),
                tone_style(Tone::Warn),
            ));
        }
    }
    wrap_lines(lines, width as usize)
}

fn draw_detail(frame: &mut Frame, area: Rect, app: &App, a: &Appeal) {
    let t = app.t;
    let lang = app.lang;
    let [main, foot] = detail_areas(area);
    let block = Block::default().borders(Borders::ALL).title(format!(
        " {} {} · {} ",
        t.detail_title,
        a.code,
        a.status.label(lang)
    ));
    let lines = detail_lines(app, a, main.width.saturating_sub(2));
    // An arrow says when more is below; update keeps the scroll within
    // `detail_last`, and the view only reads it.
    let page = main.height.saturating_sub(2) as usize;
    let max = lines.len().saturating_sub(page);
    let scroll = app.appeals.detail_scroll.min(max);
    frame.render_widget(
        Paragraph::new(lines).block(block).scroll((scroll as u16, 0)),
        main,
    );
    let mark = |text: &str, y: u16| {
        let w = width(text) as u16;
        (
            Paragraph::new(Line::styled(text.to_string(), label_style())),
            Rect {
                x: (main.x + main.width).saturating_sub(w + 2),
                y,
                width: w.min(main.width),
                height: 1,
            },
        )
    };
    if scroll < max {
        let (p, r) = mark(t.more_below, main.y + main.height.saturating_sub(1));
        frame.render_widget(p, r);
    }
    if scroll > 0 {
        let (p, r) = mark(t.more_above, main.y);
        frame.render_widget(p, r);
    }
    // Only the steps that are legal now, with their keys.
    let actions: Vec<String> = available(a.status)
        .into_iter()
        .filter_map(|k| step_action(k).map(|act| format!("{} {}", app.keymap.keys_label(act), k.label(lang))))
        .chain(std::iter::once(format!(
            "{} {}",
            app.keymap.keys_label(Action::PrintReceipt),
            t.receipt_title
        )))
        .chain(std::iter::once(format!(
            "{} ←",
            app.keymap.keys_label(Action::Back)
        )))
        .collect();
    let text = format!("{}{}{}", t.actions, t.colon, actions.join(" · "));
    let text = wrap_lines(vec![Line::from(text)], foot.width as usize);
    frame.render_widget(Paragraph::new(text).style(label_style()), foot);
}

fn step_action(kind: crate::domain::StepKind) -> Option<Action> {
    use crate::domain::StepKind as K;
    Some(match kind {
        K::Accept => Action::Accept,
        K::Refer => Action::Refer,
        K::Start => Action::Start,
        K::AnswerOnSpot => Action::AnswerOnSpot,
        K::Reply => Action::Reply,
        K::Rate => Action::Rate,
        K::Reopen => Action::Reopen,
        K::Chase => Action::Chase,
        K::Register | K::Close | K::Rerefer | K::Return | K::Progress | K::Extend => return None,
    })
}
