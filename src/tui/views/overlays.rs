//! Windows drawn over a screen: help, prompts, dialogs, the saved codes and
//! the receipt.

use qrcode::QrCode;
use qrcode::render::unicode::Dense1x2;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::bigtext;
use super::widgets::{
    ACCENT, centered, clear_window, fit, focused_style, label_style, tail, tone_style, width, wrap_lines,
};
use crate::domain::Appeal;
use crate::domain::points::PointLine;
use crate::tui::app::{App, Dialog, Overlay, Tone};
use crate::tui::form::Widget;

pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    match &app.overlay {
        Overlay::None => {}
        Overlay::Help { scroll } => help(frame, area, app, *scroll),
        Overlay::Messages { scroll } => messages(frame, area, app, *scroll),
        Overlay::Confirm { question, .. } => confirm(frame, area, app, question),
        Overlay::Dialog(d) => dialog(frame, area, app, d),
        Overlay::Saved { visit, codes } => saved(frame, area, app, visit, codes),
        Overlay::Receipt { appeal } => receipt(frame, area, app, appeal),
        Overlay::Points {
            deputy,
            lines,
            scroll,
        } => points(frame, area, app, deputy, lines, *scroll),
    }
}

fn window(frame: &mut Frame, rect: Rect, title: &str) -> Rect {
    clear_window(frame, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(Style::new().fg(ACCENT))
        .title(Span::styled(
            format!(" {title} "),
            Style::new().add_modifier(Modifier::BOLD),
        ));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    inner
}

/// The help and the message log: a window nearly as tall as the screen.
fn list_window(area: Rect) -> Rect {
    centered(area, 76, area.height.saturating_sub(2))
}

/// How far the help or the message log on show scrolls at the screen's
/// `area`; the key handler keeps the scroll within it.
pub fn overlay_last(app: &App, area: Rect) -> usize {
    let inner = Block::default().borders(Borders::ALL).inner(list_window(area));
    let lines = match &app.overlay {
        Overlay::Help { .. } => help_lines(app).len(),
        Overlay::Messages { .. } => messages_lines(app, inner.width).len(),
        Overlay::Points { lines, .. } => points_rows(lines),
        _ => return 0,
    };
    scrolled_last(lines, inner.height)
}

/// A deputy's points: the totals, then every deed that earned points,
/// newest first.
fn points(frame: &mut Frame, area: Rect, app: &App, deputy: &str, deeds: &[PointLine], scroll: usize) {
    let name = app.deputy_name(deputy);
    let title = format!(
        "{} · {}",
        app.t.points_title.replace("{name}", &name),
        app.t.points_hint
    );
    let inner = window(frame, list_window(area), &title);
    // A busy deputy's record runs to thousands of deeds: only the rows on
    // show are put in words.
    scrolled_by(frame, inner, points_rows(deeds), scroll, app, |from, n| {
        (from..(from + n).min(points_rows(deeds)))
            .map(|i| points_row(app, deputy, deeds, i))
            .collect()
    });
}

/// Rows of a deputy's points: the totals, then a deed a row (newest
/// first), or a row saying there is none.
fn points_rows(deeds: &[PointLine]) -> usize {
    1 + deeds.len().max(1)
}

fn points_row(app: &App, deputy: &str, deeds: &[PointLine], i: usize) -> Line<'static> {
    let t = app.t;
    if i == 0 {
        let totals = app.totals(deputy);
        return Line::styled(
            t.points_totals
                .replace("{q}", &totals.quarter.to_string())
                .replace("{y}", &totals.year.to_string())
                .replace("{t}", &totals.term.to_string()),
            Style::new().add_modifier(Modifier::BOLD),
        );
    }
    match deeds.len().checked_sub(i) {
        Some(at) => {
            let l = &deeds[at];
            let what = super::books::deed_words(app, &l.deed);
            Line::raw(format!("{}  {:>3}  {what}", l.day, format!("+{}", l.points)))
        }
        None => Line::raw(t.points_none),
    }
}

fn help(frame: &mut Frame, area: Rect, app: &App, scroll: usize) {
    let inner = window(
        frame,
        list_window(area),
        &format!("{} · {}", app.t.help_title, app.t.help_close),
    );
    scrolled(frame, inner, help_lines(app), scroll, app);
}

/// Every action by mode, with its keys.
fn help_lines(app: &App) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    let mut last_mode = None;
    for (mode, action, keys) in app.keymap.bindings() {
        if last_mode != Some(mode) {
            lines.push(Line::styled(
                app.lang.pick(mode.label_zh(), mode.label_en()),
                Style::new().fg(ACCENT).add_modifier(Modifier::BOLD),
            ));
            last_mode = Some(mode);
        }
        let keys = keys.iter().map(|k| k.display()).collect::<Vec<_>>().join(" / ");
        let keys = fit(&keys, 18);
        let pad = " ".repeat(18usize.saturating_sub(width(&keys)));
        let desc = app.lang.pick(action.desc_zh(), action.desc_en());
        lines.push(Line::from(vec![
            Span::raw(format!("  {keys}{pad} ")),
            Span::styled(desc, Style::new()),
        ]));
    }
    lines
}

/// The rows a list of `lines` shows in a window `height` rows tall: all
/// of them, or all but the last row, kept for the mark that more follows.
fn view_height(lines: usize, height: u16) -> u16 {
    if lines <= height as usize {
        height
    } else {
        height.saturating_sub(1)
    }
}

/// The last row a scrolled list of `lines` can start at.
fn scrolled_last(lines: usize, height: u16) -> usize {
    lines.saturating_sub(view_height(lines, height) as usize)
}

/// `lines` in `inner` from row `scroll` (kept within the list). A list
/// longer than the window keeps its last row for a mark that says it goes
/// on below (or above).
fn scrolled(frame: &mut Frame, inner: Rect, mut lines: Vec<Line<'_>>, scroll: usize, app: &App) {
    let total = lines.len();
    scrolled_by(frame, inner, total, scroll, app, |from, n| {
        lines.drain(from..(from + n).min(total)).collect()
    });
}

/// `scrolled` for a list of `total` rows made only as far as they show:
/// `take(from, n)` gives rows `from..from + n`.
fn scrolled_by<'a>(
    frame: &mut Frame,
    inner: Rect,
    total: usize,
    scroll: usize,
    app: &App,
    take: impl FnOnce(usize, usize) -> Vec<Line<'a>>,
) {
    let fits = total <= inner.height as usize;
    let view_h = view_height(total, inner.height);
    let last = scrolled_last(total, inner.height);
    let scroll = scroll.min(last);
    frame.render_widget(
        Paragraph::new(take(scroll, view_h as usize)),
        Rect {
            height: view_h,
            ..inner
        },
    );
    let mark = if fits {
        None
    } else if scroll < last {
        Some(app.t.more_below)
    } else {
        Some(app.t.more_above)
    };
    if let Some(mark) = mark {
        frame.render_widget(
            Paragraph::new(Line::styled(mark, label_style())).alignment(ratatui::layout::Alignment::Right),
            Rect {
                y: inner.y + view_h,
                height: 1,
                ..inner
            },
        );
    }
}

/// The last messages, newest first, whole (wrapped), each with its time.
fn messages(frame: &mut Frame, area: Rect, app: &App, scroll: usize) {
    let inner = window(
        frame,
        list_window(area),
        &format!("{} · {}", app.t.messages_title, app.t.messages_close),
    );
    scrolled(frame, inner, messages_lines(app, inner.width), scroll, app);
}

/// The message log's lines, wrapped at `width` cells.
fn messages_lines(app: &App, width: u16) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    for (at, tone, text) in app.said.iter().rev() {
        let when = app.zone.local(at).format("%H:%M:%S").to_string();
        lines.push(Line::from(vec![
            Span::styled(format!("{when} "), label_style()),
            Span::styled(text.clone(), tone_style(*tone)),
        ]));
    }
    if lines.is_empty() {
        lines.push(Line::styled(app.t.messages_none, label_style()));
    }
    wrap_lines(lines, width as usize)
}

fn confirm(frame: &mut Frame, area: Rect, app: &App, question: &str) {
    let rect = centered(area, (width(question) as u16 + 6).max(30), 5);
    let inner = window(frame, rect, app.t.app_title);
    let lines = vec![
        Line::from(question.to_string()),
        Line::from(""),
        Line::styled(app.t.yes_no, label_style()),
    ];
    frame.render_widget(Paragraph::new(lines), inner);
}

fn dialog(frame: &mut Frame, area: Rect, app: &App, d: &Dialog) {
    let multiline_rows = 4u16;
    // A picker's list is open only while it has focus: once chosen, the
    // choice is shown on its one line.
    let rows: u16 = d
        .fields
        .iter()
        .enumerate()
        .map(|(i, (_, w))| match w {
            Widget::Text(t) if t.multiline => multiline_rows,
            Widget::Pick(p) if i == d.focus => (p.visible.len() as u16).clamp(1, 6) + 1,
            _ => 1,
        })
        .sum();
    let rect = centered(area, 70, rows + 5);
    let inner = window(frame, rect, &d.title);
    let label_w = 10u16;
    let value_w = inner.width.saturating_sub(label_w);
    let mut y = inner.y;
    for (i, (label, w)) in d.fields.iter().enumerate() {
        let focus = i == d.focus;
        let lstyle = if focus {
            Style::new().fg(ACCENT).add_modifier(Modifier::BOLD)
        } else {
            label_style()
        };
        frame.render_widget(
            Paragraph::new(Line::styled(fit(label, label_w as usize - 1), lstyle)),
            Rect {
                x: inner.x,
                y,
                width: label_w,
                height: 1,
            },
        );
        let vx = inner.x + label_w;
        let under = if focus {
            Style::new().add_modifier(Modifier::UNDERLINED)
        } else {
            Style::new()
        };
        match w {
            Widget::Text(t) => {
                let h = if t.multiline { multiline_rows } else { 1 };
                let (lines, (row, col)) = t.layout(value_w.saturating_sub(1) as usize);
                let first = (row + 1).saturating_sub(h as usize);
                let shown: Vec<Line> = lines
                    .into_iter()
                    .skip(first)
                    .take(h as usize)
                    .map(|l| Line::styled(l, under))
                    .collect();
                frame.render_widget(
                    Paragraph::new(shown),
                    Rect {
                        x: vx,
                        y,
                        width: value_w,
                        height: h,
                    },
                );
                if focus {
                    frame.set_cursor_position((vx + col as u16, y + (row - first) as u16));
                }
                y += h;
            }
            Widget::Pick(p) => {
                let head = format!("{} {}", p.chosen_labels().join("、"), p.query.text());
                let head = tail(head.trim_start(), value_w.saturating_sub(1) as usize);
                frame.render_widget(
                    Paragraph::new(Line::styled(head.clone(), under)),
                    Rect {
                        x: vx,
                        y,
                        width: value_w,
                        height: 1,
                    },
                );
                if focus {
                    frame.set_cursor_position((vx + width(&head) as u16, y));
                }
                y += 1;
                if !focus {
                    continue;
                }
                let room = (p.visible.len()).clamp(1, 6);
                let start = p.highlight.saturating_sub(room - 1);
                for (pos, &c) in p.visible.iter().enumerate().skip(start).take(room) {
                    let mark = if p.chosen.contains(&c) { "✓ " } else { "  " };
                    let style = if focus && pos == p.highlight {
                        focused_style()
                    } else {
                        Style::new()
                    };
                    frame.render_widget(
                        Paragraph::new(Line::styled(
                            fit(&format!("{mark}{}", p.choices[c].label), value_w as usize),
                            style,
                        )),
                        Rect {
                            x: vx,
                            y,
                            width: value_w,
                            height: 1,
                        },
                    );
                    y += 1;
                }
                if p.visible.is_empty() {
                    frame.render_widget(
                        Paragraph::new(Line::styled(app.t.no_match, label_style())),
                        Rect {
                            x: vx,
                            y,
                            width: value_w,
                            height: 1,
                        },
                    );
                    y += 1;
                }
            }
        }
    }
    let bottom = inner.y + inner.height.saturating_sub(2);
    let status = match (&d.error, d.saving.is_some()) {
        _ if d.confirm_discard => Some((
            format!("{} {}", app.t.confirm_discard_dialog, app.t.yes_no),
            Tone::Warn,
        )),
        (_, true) => Some((app.t.saving.to_string(), Tone::Info)),
        (Some(e), false) => Some((e.clone(), Tone::Error)),
        (None, false) => None,
    };
    if let Some((text, tone)) = status {
        frame.render_widget(
            Paragraph::new(Line::styled(text, tone_style(tone))),
            Rect {
                x: inner.x,
                y: bottom,
                width: inner.width,
                height: 1,
            },
        );
    }
    frame.render_widget(
        Paragraph::new(Line::styled(app.t.dialog_submit_hint, label_style())),
        Rect {
            x: inner.x,
            y: bottom + 1,
            width: inner.width,
            height: 1,
        },
    );
}

fn saved(frame: &mut Frame, area: Rect, app: &App, visit: &str, codes: &[(String, String)]) {
    let big = codes.len().min(2);
    let h = 4 + big as u16 * 7 + (codes.len() - big) as u16 + 2;
    let labelled = |code: &str, title: &str| Line::from(format!("{code} · {title}"));
    let rect = centered(area, 74, h);
    let inner = window(frame, rect, app.t.saved);
    let mut lines = vec![Line::styled(
        format!("✔ {} · {}", app.t.saved, app.t.saved_codes),
        tone_style(Tone::Good),
    )];
    for (code, title) in codes.iter().take(big) {
        lines.push(Line::from(""));
        let (a, b) = bigtext::code_lines(code);
        for part in [a, b] {
            for row in bigtext::render(&part) {
                lines.push(Line::styled(row, Style::new().add_modifier(Modifier::BOLD)));
            }
        }
        lines.push(labelled(code, title));
    }
    for (code, title) in codes.iter().skip(big) {
        lines.push(labelled(code, title));
    }
    lines.push(Line::styled(
        format!(
            "{}{}{visit} · {}",
            app.t.visit_code,
            app.t.colon,
            app.receipt_hint()
        ),
        label_style(),
    ));
    frame.render_widget(Paragraph::new(lines), inner);
}

fn receipt(frame: &mut Frame, area: Rect, app: &App, a: &Appeal) {
    // The progress page with the appeal's key where the station has a
    // public address, else the tracking code alone.
    let link = crate::domain::public::appeal_url(&app.station, &a.code, &a.access_key).ok();
    let scan = if link.is_some() {
        app.t.receipt_scan_link
    } else {
        app.t.receipt_scan
    };
    let payload = link.unwrap_or_else(|| a.code.to_string());
    // Error correction L keeps the code small enough to be drawn whole,
    // quiet zone included, at 80x24 (a screen is not a scuffed slip).
    let qr = QrCode::with_error_correction_level(payload.as_bytes(), qrcode::EcLevel::L)
        .map(|q| {
            q.render::<Dense1x2>()
                .quiet_zone(true)
                .dark_color(Dense1x2::Light)
                .light_color(Dense1x2::Dark)
                .build()
        })
        .unwrap_or_default();
    let qr_lines: Vec<&str> = qr.lines().collect();
    let qr_w = qr_lines.first().map(|l| width(l)).unwrap_or(0) as u16;
    let rect = centered(area, 76, qr_lines.len() as u16 + 4);
    let inner = window(frame, rect, app.t.receipt_title);
    let t = app.t;
    let left = Rect {
        width: inner.width.saturating_sub(qr_w + 2),
        ..inner
    };
    // The code is read out from here: never split across lines. When the
    // label and the code do not fit on one line, the code has its own.
    let code_line = format!("{}{}{}", t.col_code, t.colon, a.code);
    let code_lines = if width(&code_line) <= left.width as usize {
        vec![Line::from(code_line)]
    } else {
        vec![
            Line::from(format!("{}{}", t.col_code, t.colon)),
            Line::from(a.code.to_string()),
        ]
    };
    let mut text = vec![
        Line::styled(
            app.station.name.clone(),
            Style::new().add_modifier(Modifier::BOLD),
        ),
        Line::from(""),
    ];
    text.extend(code_lines);
    text.extend([
        Line::from(format!(
            "{}{}{}",
            t.col_date,
            t.colon,
            app.zone.show(&a.registered_at)
        )),
        Line::from(format!(
            "{}{}{}",
            t.f_category,
            t.colon,
            a.category.label(app.lang)
        )),
        Line::from(format!("{}{}{}", t.f_title, t.colon, a.title)),
        Line::from(format!("{}{}{}", t.col_status, t.colon, a.status.label(app.lang))),
        Line::from(""),
        Line::styled(scan, label_style()),
        Line::styled(app.receipt_hint(), label_style()),
    ]);
    // The printer's news shows here: the status line may be under the
    // receipt on a small terminal.
    if let Some((tone, said)) = &app.message {
        text.push(Line::from(""));
        text.push(Line::styled(said.clone(), tone_style(*tone)));
    }
    frame.render_widget(Paragraph::new(wrap_lines(text, left.width as usize)), left);
    let right = Rect {
        x: inner.x + inner.width.saturating_sub(qr_w + 1),
        width: qr_w + 1,
        ..inner
    };
    let qr_text: Vec<Line> = qr_lines.iter().map(|l| Line::from(l.to_string())).collect();
    // Light modules drawn as white blocks on black, whatever the terminal's
    // own colours, so that the code scans the right way round.
    let qr_style = Style::new()
        .fg(ratatui::style::Color::White)
        .bg(ratatui::style::Color::Black);
    frame.render_widget(Paragraph::new(qr_text).style(qr_style), right);
}
