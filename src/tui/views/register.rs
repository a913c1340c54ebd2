//! Register (登记): one form for a visit and its appeals.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::widgets::{ACCENT, clear_window, fit, focused_style, label_style, tail, tone_style, width};
use crate::tui::app::{App, Tone};
use crate::tui::form::{APPEAL_FIELDS, Focus, VISIT_FIELDS, Widget, appeal_labels, visit_labels};
use crate::tui::input::Picker;
use crate::tui::keymap::Action;

const LABEL_W: u16 = 11;
const CONTENT_ROWS: u16 = 5;
/// From this width, and when the whole form fits, a visit's appeals are
/// drawn two side by side.
const SIDE_BY_SIDE_W: u16 = 110;

/// Where a field was drawn, for the cursor and the picker popup.
struct Drawn {
    row: u16,
    cursor: (u16, u16),
}

/// One row group of the form: a section header or a field.
enum Item<'a> {
    Header(String),
    Field {
        label: &'static str,
        widget: &'a Widget,
        focus: bool,
        rows: u16,
        error: bool,
        /// Cells for the value.
        value_w: u16,
    },
}

impl Item<'_> {
    fn rows(&self) -> u16 {
        match self {
            Item::Header(_) => 1,
            Item::Field { rows, .. } => *rows,
        }
    }
}

/// The two appeals drawn side by side (left, right), the current one
/// among them, when the window is wide enough and tall enough for the
/// whole form.
fn side_by_side(area: Rect, count: usize, current: usize) -> Option<(usize, usize)> {
    let rows = 2 + VISIT_FIELDS as u16 + APPEAL_FIELDS as u16 - 1 + CONTENT_ROWS;
    if count < 2 || area.width < SIDE_BY_SIDE_W || rows > area.height.saturating_sub(1) {
        return None;
    }
    Some(if current + 1 < count {
        (current, current + 1)
    } else {
        (current - 1, current)
    })
}

fn appeal_header(t: &crate::tui::text::Texts, index: usize, count: usize) -> String {
    format!("■ {} {}/{}    ", t.appeal_section, index + 1, count)
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let t = app.t;
    let form = &app.register;
    let value_w = area.width.saturating_sub(LABEL_W + 1);
    let count = form.appeals.len();
    let side = side_by_side(area, count, form.current);
    let left_w = if side.is_some() {
        area.width / 2
    } else {
        area.width
    };
    let shown = side.map_or(form.current, |(l, _)| l);
    let mut items = vec![Item::Header(format!("■ {}", t.visitor_section))];
    for (i, (label, widget)) in visit_labels(t).into_iter().zip(&form.visit).enumerate() {
        items.push(Item::Field {
            label,
            widget,
            focus: form.focus == Focus::Visit(i),
            rows: 1,
            error: form.has_error(Focus::Visit(i), 0),
            value_w,
        });
    }
    items.push(Item::Header(appeal_header(t, shown, count)));
    let appeal_items = |index: usize| {
        let fields = &form.appeals[index];
        appeal_labels(t)
            .into_iter()
            .enumerate()
            .map(move |(i, label)| Item::Field {
                label,
                widget: &fields[i],
                focus: form.current == index && form.focus == Focus::Appeal(i),
                rows: if i == 2 { CONTENT_ROWS } else { 1 },
                error: form.has_error(Focus::Appeal(i), index),
                value_w: left_w.saturating_sub(LABEL_W + 1),
            })
    };
    items.extend(appeal_items(shown));
    let visit_rows = 1 + VISIT_FIELDS as u16;
    // The form scrolls so that the focused field is always drawn whole
    // (with its section header when there is room): nothing is typed
    // into a field that is not on screen.
    let room = area.height.saturating_sub(1);
    let total: u16 = items.iter().map(Item::rows).sum();
    let mut top = 0u16;
    let mut at = 0u16;
    let mut header_at = 0u16;
    for item in &items {
        match item {
            Item::Header(_) => header_at = at,
            Item::Field {
                focus: true, rows, ..
            } => {
                let end = at + rows;
                if end > room {
                    top = end - room;
                }
                if end.saturating_sub(header_at) <= room {
                    top = top.min(header_at);
                }
            }
            Item::Field { .. } => {}
        }
        at += item.rows();
    }
    let mut focused: Option<(Drawn, &Widget)> = None;
    let mut y_in = 0u16;
    for item in &items {
        let rows = item.rows();
        let (start, end) = (y_in, y_in + rows);
        y_in = end;
        if start < top || end > top + room {
            continue;
        }
        let y = area.y + start - top;
        match item {
            Item::Header(text) => header(frame, area, y, text),
            Item::Field {
                label,
                widget,
                focus,
                rows,
                error,
                value_w,
            } => {
                let drawn = draw_field(frame, area, y, label, widget, (*focus, *error), *value_w, *rows);
                if *focus {
                    focused = Some((drawn, widget));
                }
            }
        }
    }
    // The second appeal of a pair, beside the first (the form does not
    // scroll then: it fits).
    if let Some((_, right)) = side {
        let column = Rect {
            x: area.x + left_w,
            width: area.width - left_w,
            ..area
        };
        let mut y = area.y + visit_rows;
        header(frame, column, y, &appeal_header(t, right, count));
        y += 1;
        for item in appeal_items(right) {
            if let Item::Field {
                label,
                widget,
                focus,
                rows,
                error,
                ..
            } = item
            {
                let value_w = column.width.saturating_sub(LABEL_W + 1);
                let drawn = draw_field(frame, column, y, label, widget, (focus, error), value_w, rows);
                if focus {
                    focused = Some((drawn, widget));
                }
                y += rows;
            }
        }
    }
    let more = |above: bool| {
        let text = if above { t.more_above } else { t.more_below };
        let w = width(text) as u16;
        let y = if above {
            area.y
        } else {
            area.y + room.saturating_sub(1)
        };
        (
            Rect {
                x: (area.x + area.width).saturating_sub(w + 1),
                y,
                width: w.min(area.width),
                height: 1,
            },
            text,
        )
    };
    if top > 0 {
        let (rect, text) = more(true);
        frame.render_widget(Paragraph::new(Line::styled(text, label_style())), rect);
    }
    if total > top + room {
        let (rect, text) = more(false);
        frame.render_widget(Paragraph::new(Line::styled(text, label_style())), rect);
    }
    let hint_y = area.y + area.height.saturating_sub(1);
    frame.render_widget(
        Paragraph::new(Line::styled(form_hint(app), label_style())),
        Rect {
            x: area.x,
            y: hint_y,
            width: area.width,
            height: 1,
        },
    );
    if let Some((drawn, widget)) = focused {
        if app.overlay_is_none() {
            frame.set_cursor_position(drawn.cursor);
        }
        if let Widget::Pick(p) = widget
            && !form.picker_closed
        {
            draw_picker(frame, area, drawn.row, p, app);
        }
    }
}

fn header(frame: &mut Frame, area: Rect, y: u16, text: &str) {
    let line = Line::from(Span::styled(
        text.to_string(),
        Style::new().fg(ACCENT).add_modifier(Modifier::BOLD),
    ));
    frame.render_widget(
        Paragraph::new(line),
        Rect {
            x: area.x,
            y,
            width: area.width,
            height: 1,
        },
    );
}

/// "Tab 下一栏 · PageDown 跳到诉求 · Ctrl-S 保存 · …", from the key map.
fn form_hint(app: &App) -> String {
    let t = app.t;
    [
        (Action::NextField, t.hint_next),
        (Action::NextSection, t.hint_section),
        (Action::Save, t.hint_save),
        (Action::AddAppeal, t.hint_add),
        (Action::Cancel, t.hint_cancel),
    ]
    .iter()
    .filter_map(|(a, what)| {
        let key = app.keymap.keys_for(*a).first()?.display();
        Some(format!("{key} {what}"))
    })
    .collect::<Vec<_>>()
    .join(" · ")
}

#[allow(clippy::too_many_arguments)]
fn draw_field(
    frame: &mut Frame,
    area: Rect,
    y: u16,
    label: &str,
    widget: &Widget,
    (focus, error): (bool, bool),
    value_w: u16,
    rows: u16,
) -> Drawn {
    // A field that failed the last check is marked until it is edited.
    let label_text = if error {
        fit(&format!("!{label}"), LABEL_W as usize - 1)
    } else {
        fit(label, LABEL_W as usize - 1)
    };
    let label_style = match (error, focus) {
        (true, _) => tone_style(Tone::Error).add_modifier(Modifier::BOLD),
        (false, true) => Style::new().fg(ACCENT).add_modifier(Modifier::BOLD),
        (false, false) => label_style(),
    };
    frame.render_widget(
        Paragraph::new(Line::styled(label_text, label_style)),
        Rect {
            x: area.x + 1,
            y,
            width: LABEL_W - 1,
            height: 1,
        },
    );
    let value_area = Rect {
        x: area.x + LABEL_W,
        y,
        width: value_w,
        height: rows,
    };
    let style = if focus {
        Style::new().add_modifier(Modifier::UNDERLINED)
    } else {
        Style::new()
    };
    let w = value_w.saturating_sub(1) as usize;
    let (lines, cursor): (Vec<String>, (usize, usize)) = match widget {
        Widget::Text(t) if t.multiline => {
            let (lines, (row, col)) = t.layout(w);
            let first = (row + 1).saturating_sub(rows as usize);
            (
                lines.into_iter().skip(first).take(rows as usize).collect(),
                (row - first, col),
            )
        }
        Widget::Text(t) => {
            let (lines, (_, col)) = t.layout(0);
            let text = lines.concat();
            if col >= w {
                let shown = tail(&text, w);
                let c = width(&shown);
                (vec![shown], (0, c))
            } else {
                (vec![text], (0, col))
            }
        }
        Widget::Pick(p) => {
            let chosen = p.chosen_labels().join("、");
            let query = p.query.text();
            let text = if query.is_empty() {
                chosen
            } else if chosen.is_empty() {
                query
            } else {
                format!("{chosen} {query}")
            };
            let shown = if width(&text) >= w { tail(&text, w) } else { text };
            let c = width(&shown);
            (vec![shown], (0, c))
        }
    };
    let mut text_lines: Vec<Line> = lines.into_iter().map(|l| Line::styled(l, style)).collect();
    if text_lines.is_empty() || (focus && text_lines.iter().all(|l| l.width() == 0)) {
        text_lines = vec![Line::styled(" ".repeat(w.min(20)), style)];
    }
    frame.render_widget(Paragraph::new(text_lines), value_area);
    Drawn {
        row: y,
        cursor: (value_area.x + cursor.1 as u16, y + cursor.0 as u16),
    }
}

fn draw_picker(frame: &mut Frame, area: Rect, row: u16, picker: &Picker, app: &App) {
    let w = 30.min(area.width / 2);
    let h = (picker.visible.len() as u16 + 3).clamp(4, 12);
    let x = area.x + area.width - w;
    let y = if row + 1 + h <= area.y + area.height {
        row + 1
    } else {
        (area.y + area.height).saturating_sub(h)
    };
    let rect = Rect {
        x,
        y,
        width: w,
        height: h.min(area.height),
    };
    clear_window(frame, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(Style::new().fg(ACCENT));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let mut lines = vec![Line::styled(
        fit(app.t.picker_hint, inner.width as usize),
        label_style(),
    )];
    if picker.visible.is_empty() {
        lines.push(Line::styled(app.t.no_match, label_style()));
    }
    let room = inner.height.saturating_sub(1) as usize;
    let start = picker.highlight.saturating_sub(room.saturating_sub(1));
    for (pos, &i) in picker.visible.iter().enumerate().skip(start).take(room) {
        let mark = if picker.chosen.contains(&i) { "✓ " } else { "  " };
        let text = fit(
            &format!("{mark}{}", picker.choices[i].label),
            inner.width as usize,
        );
        let style = if pos == picker.highlight {
            focused_style()
        } else {
            Style::new()
        };
        lines.push(Line::styled(text, style));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}
