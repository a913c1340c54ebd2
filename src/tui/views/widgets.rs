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

/// `s` fitted and padded to exactly `w` cells, then one space: a column.
pub fn cell(s: &str, w: usize) -> String {
    let f = fit(s, w);
    let pad = w.saturating_sub(f.width());
    format!("{f}{} ", " ".repeat(pad))
}

/// The cells left in `total` for a last column after fixed-width columns
/// of `widths` (each followed by one space).
pub fn rest_width(total: u16, widths: &[usize]) -> usize {
    (total as usize).saturating_sub(widths.iter().sum::<usize>() + widths.len())
}

/// A bold header row: fixed-width columns, then the last one in `last_w`.
pub fn header_row(
    labels: &[&str],
    widths: &[usize],
    last: &str,
    last_w: usize,
) -> ratatui::text::Line<'static> {
    let text = labels
        .iter()
        .zip(widths)
        .map(|(h, w)| cell(h, *w))
        .collect::<String>()
        + &fit(last, last_w);
    ratatui::text::Line::styled(text, Style::new().add_modifier(Modifier::BOLD))
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

/// Clears `rect` for a window drawn over the screen. A wide character that
/// straddles either edge would be cut in two: one just left of the window
/// would hide its left border (the terminal draws it over two cells and
/// ratatui skips the cell after it), and one whose first half the window
/// covers would leave its second half outside. Both are blanked.
pub fn clear_window(frame: &mut Frame, rect: Rect) {
    let right = rect.right();
    let buf = frame.buffer_mut();
    let cut_at_right: Vec<u16> = (rect.top()..rect.bottom())
        .filter(|y| right > 0 && buf.cell((right - 1, *y)).is_some_and(|c| c.symbol().width() > 1))
        .collect();
    frame.render_widget(Clear, rect);
    let buf = frame.buffer_mut();
    for y in cut_at_right {
        if let Some(cell) = buf.cell_mut((right, y)) {
            cell.set_symbol(" ");
        }
    }
    let Some(x) = rect.x.checked_sub(1) else { return };
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

/// Breaks lines at `width` cells, at any character (Chinese has no spaces),
/// never letting a wide character overflow into a border. Span and line
/// styles are kept. (ratatui's own wrapping can let a line ending in a
/// wide character run one cell past its area.)
pub fn wrap_lines(
    lines: Vec<ratatui::text::Line<'static>>,
    width: usize,
) -> Vec<ratatui::text::Line<'static>> {
    use ratatui::text::{Line, Span};
    let width = width.max(2);
    let mut out = Vec::new();
    for line in lines {
        let line_style = line.style;
        let mut spans: Vec<Span<'static>> = Vec::new();
        let mut used = 0;
        for span in line.spans {
            let mut piece = String::new();
            for c in span.content.chars() {
                let w = c.width().unwrap_or(0);
                if used + w > width && used > 0 {
                    if !piece.is_empty() {
                        spans.push(Span::styled(std::mem::take(&mut piece), span.style));
                    }
                    out.push(Line::from(std::mem::take(&mut spans)).style(line_style));
                    used = 0;
                }
                piece.push(c);
                used += w;
            }
            if !piece.is_empty() {
                spans.push(Span::styled(piece, span.style));
            }
        }
        out.push(Line::from(spans).style(line_style));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::text::Line;

    #[test]
    fn wrapped_lines_never_exceed_the_width() {
        let text = "2026-11-20 11:26 import · 交办：青禾县司法局，期限 2026-12-12 → 已交办 （导入）";
        for width in [10, 33, 77, 78, 79] {
            let lines = wrap_lines(vec![Line::from(text)], width);
            assert!(
                lines.iter().all(|l| l.width() <= width),
                "width {width}: {lines:?}"
            );
            let joined: String = lines.iter().map(|l| l.to_string()).collect();
            assert_eq!(joined, text);
        }
    }
}
