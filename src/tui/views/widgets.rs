//! Small drawing helpers shared by the views.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::widgets::Clear;
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::tui::app::Tone;

pub const ACCENT: Color = Color::Cyan;

pub fn width(s: &str) -> usize {
    s.width()
}

pub fn tone_style(tone: Tone) -> Style {
    match tone {
        Tone::Info => Style::new(),
        Tone::Good => Style::new().fg(Color::Green).add_modifier(Modifier::BOLD),
        Tone::Warn => Style::new().fg(Color::Yellow),
        Tone::Error => Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
    }
}

pub fn focused_style() -> Style {
    Style::new().fg(Color::Black).bg(ACCENT)
}

pub fn label_style() -> Style {
    Style::new().add_modifier(Modifier::DIM)
}

/// Cuts `s` to at most `max` cells, never splitting a wide character,
/// marking the cut with "…".
pub fn fit(s: &str, max: usize) -> String {
    if s.width() <= max {
        return s.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in s.chars() {
        let w = c.width().unwrap_or(0);
        if used + w + 1 > max {
            break;
        }
        out.push(c);
        used += w;
    }
    out.push('…');
    out
}

/// The last `max` cells of `s` (for a text box scrolled to its cursor).
pub fn tail(s: &str, max: usize) -> String {
    let mut used = 0;
    let mut chars: Vec<char> = Vec::new();
    for c in s.chars().rev() {
        let w = c.width().unwrap_or(0);
        if used + w > max {
            break;
        }
        chars.push(c);
        used += w;
    }
    chars.iter().rev().collect()
}

/// Clears `rect` for a window drawn over the screen. A wide character just
/// left of the window would hide the window's left border (the terminal
/// draws it over two cells and ratatui skips the cell after it), so such a
/// character is blanked too.
pub fn clear_window(frame: &mut Frame, rect: Rect) {
    frame.render_widget(Clear, rect);
    let Some(x) = rect.x.checked_sub(1) else { return };
    let buf = frame.buffer_mut();
    for y in rect.top()..rect.bottom() {
        if let Some(cell) = buf.cell_mut((x, y))
            && cell.symbol().width() > 1
        {
            cell.set_symbol(" ");
        }
    }
}

/// A rectangle of at most `w` x `h` centred in `area`.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

/// Single-line text with the first line only, newlines shown as spaces.
pub fn one_line(s: &str) -> String {
    s.replace('\n', " ")
}
