//! The sign-in screen: pick a name, type a PIN when one is set.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph};

use super::widgets::{centered, focused_style, tone_style, width};
use crate::tui::app::{App, Tone};

pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let t = app.t;
    let staff = &app.station.staff;
    let h = (staff.len() as u16 + 8).min(area.height);
    let rect = centered(area, 50, h);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(format!(" {} · {} ", t.signin_title, app.station.name));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let mut lines = vec![
        Line::from(if app.signin.asking_pin {
            t.pin_prompt
        } else {
            t.signin_prompt
        })
        .style(Style::new().add_modifier(Modifier::DIM)),
        Line::from(""),
    ];
    if staff.is_empty() {
        lines.push(Line::from(t.no_staff).style(tone_style(Tone::Error)));
    }
    for (i, s) in staff.iter().enumerate() {
        let marker = if i == app.signin.highlight { "▶ " } else { "  " };
        let pin = if s.has_pin() { " (PIN)" } else { "" };
        let text = format!("{marker}{}{pin}", s.name);
        let style = if i == app.signin.highlight {
            focused_style()
        } else {
            Style::new()
        };
        lines.push(Line::styled(text, style));
    }
    if app.signin.asking_pin {
        lines.push(Line::from(""));
        let (shown, _) = app.signin.pin.layout(0);
        lines.push(Line::from(format!("PIN: {}", shown.join(""))));
        let y = inner.y + lines.len() as u16 - 1;
        let x = inner.x + 5 + width(&shown.join("")) as u16;
        if y < inner.y + inner.height {
            frame.set_cursor_position((x.min(inner.x + inner.width.saturating_sub(1)), y));
        }
    }
    if let Some(e) = app.signin.error {
        lines.push(Line::from(e).style(tone_style(Tone::Error)));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}
