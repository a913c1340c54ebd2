//! Large digits for the tracking code after a save (three rows of block
//! characters), so it can be read from across the desk.

const DIGITS: [[&str; 3]; 10] = [
    ["█▀█", "█ █", "█▄█"],
    ["▀█ ", " █ ", "▄█▄"],
    ["▀▀█", "█▀▀", "█▄▄"],
    ["▀▀█", " ▀█", "▄▄█"],
    ["█ █", "▀▀█", "  █"],
    ["█▀▀", "▀▀█", "▄▄█"],
    ["█▀▀", "█▀█", "█▄█"],
    ["▀▀█", "  █", "  █"],
    ["█▀█", "█▀█", "█▄█"],
    ["█▀█", "▀▀█", "▄▄█"],
];
const DASH: [&str; 3] = ["  ", "▀▀", "  "];

/// Three text rows spelling `text` in large digits (other characters are
/// skipped, dashes kept).
pub fn render(text: &str) -> [String; 3] {
    let mut rows = [String::new(), String::new(), String::new()];
    for c in text.chars() {
        let glyph = match c {
            '0'..='9' => DIGITS[(c as u8 - b'0') as usize],
            '-' => DASH,
            _ => continue,
        };
        for (row, part) in rows.iter_mut().zip(glyph) {
            row.push_str(part);
            row.push(' ');
        }
    }
    rows
}

/// Splits a tracking code into the two lines shown large: date and
/// station, then terminal sequence and check digit.
pub fn code_lines(code: &str) -> (String, String) {
    match code.char_indices().filter(|(_, c)| *c == '-').nth(1) {
        Some((i, _)) => (code[..i].to_string(), code[i + 1..].to_string()),
        None => (code.to_string(), String::new()),
    }
}
