//! The few ESC/POS commands a receipt needs, written out byte by byte:
//! initialise, Chinese mode, alignment, emphasis, size, GB18030 text, the
//! native QR code (GS ( k), a raster image (GS v 0), feed, cut, and the
//! real-time status query (DLE EOT).

use qrcode::{Color, EcLevel, QrCode};

pub const ESC: u8 = 0x1b;
pub const GS: u8 = 0x1d;
pub const FS: u8 = 0x1c;
pub const DLE: u8 = 0x10;
pub const EOT: u8 = 0x04;

/// DLE EOT n: which status byte to ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusKind {
    /// n = 1: printer status (bit 3: off line).
    Printer = 1,
    /// n = 4: roll paper sensor (bits 5 and 6: paper end).
    Paper = 4,
}

pub fn status_query(kind: StatusKind) -> [u8; 3] {
    [DLE, EOT, kind as u8]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left = 0,
    Center = 1,
}

/// A document being written for the printer.
#[derive(Debug, Default, Clone)]
pub struct Doc {
    bytes: Vec<u8>,
}

impl Doc {
    /// ESC @ then FS & (Chinese characters on: text is GB18030).
    pub fn new() -> Doc {
        Doc {
            bytes: vec![ESC, b'@', FS, b'&'],
        }
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    pub fn align(&mut self, align: Align) -> &mut Self {
        self.bytes.extend([ESC, b'a', align as u8]);
        self
    }

    pub fn bold(&mut self, on: bool) -> &mut Self {
        self.bytes.extend([ESC, b'E', u8::from(on)]);
        self
    }

    /// GS ! n: double width and height, or normal.
    pub fn double(&mut self, on: bool) -> &mut Self {
        self.bytes.extend([GS, b'!', if on { 0x11 } else { 0 }]);
        self
    }

    /// One line of text in GB18030 (the printer's Chinese font), then a
    /// line feed. A line with a character outside GBK (a rare character in
    /// a name, say), which a receipt printer's font does not have, is
    /// drawn as an image instead, so that nothing is dropped or misprinted.
    pub fn line(&mut self, text: &str) -> &mut Self {
        if !in_gbk(text) {
            let (width, rows) = text_dots(text);
            return self.raster(width, &rows);
        }
        let (bytes, _, _) = encoding_rs::GB18030.encode(text);
        self.bytes.extend_from_slice(&bytes);
        self.bytes.push(b'\n');
        self
    }

    /// ESC d n: feed n lines.
    pub fn feed(&mut self, lines: u8) -> &mut Self {
        self.bytes.extend([ESC, b'd', lines]);
        self
    }

    /// GS V 66 n: feed to the cutter and cut (partially).
    pub fn cut(&mut self) -> &mut Self {
        self.bytes.extend([GS, b'V', 66, 3]);
        self
    }

    /// The printer's own QR code (GS ( k, model 2): the data goes as it is.
    pub fn qr_native(&mut self, data: &str, module_dots: u8) -> &mut Self {
        let gs_k = |bytes: &mut Vec<u8>, body: &[u8]| {
            let len = body.len() as u16;
            bytes.extend([GS, b'(', b'k', (len & 0xff) as u8, (len >> 8) as u8]);
            bytes.extend_from_slice(body);
        };
        gs_k(&mut self.bytes, &[0x31, 0x41, 0x32, 0x00]);
        gs_k(&mut self.bytes, &[0x31, 0x43, module_dots.clamp(1, 16)]);
        gs_k(&mut self.bytes, &[0x31, 0x45, 0x31]);
        let mut store = vec![0x31, 0x50, 0x30];
        store.extend_from_slice(data.as_bytes());
        gs_k(&mut self.bytes, &store);
        gs_k(&mut self.bytes, &[0x31, 0x51, 0x30]);
        self.bytes.push(b'\n');
        self
    }

    /// A 1-bit image (GS v 0, normal density): `rows` of `width` dots,
    /// true for black.
    pub fn raster(&mut self, width: usize, rows: &[Vec<bool>]) -> &mut Self {
        let bytes_per_row = width.div_ceil(8);
        let (x, y) = (bytes_per_row as u16, rows.len() as u16);
        self.bytes.extend([
            GS,
            b'v',
            b'0',
            0,
            (x & 0xff) as u8,
            (x >> 8) as u8,
            (y & 0xff) as u8,
            (y >> 8) as u8,
        ]);
        for row in rows {
            let mut packed = vec![0u8; bytes_per_row];
            for (i, _) in row.iter().enumerate().filter(|(_, dot)| **dot) {
                packed[i / 8] |= 0x80 >> (i % 8);
            }
            self.bytes.extend_from_slice(&packed);
        }
        self.bytes.push(b'\n');
        self
    }
}

/// Whether every character of `text` is in GBK, the character set of a
/// Chinese receipt printer's font.
pub fn in_gbk(text: &str) -> bool {
    let (_, _, unmappable) = encoding_rs::GBK.encode(text);
    !unmappable
}

/// Glyph rows of the bitmap font (GNU Unifont: 8x16 half width, 16x16
/// full width).
const GLYPH_ROWS: usize = 16;

/// A line of text as dots, drawn with GNU Unifont; a character the font
/// lacks is drawn as an empty box of its width.
pub fn text_dots(text: &str) -> (usize, Vec<Vec<bool>>) {
    let glyphs: Vec<(Option<&unifont::Glyph>, usize)> = text
        .chars()
        .map(|c| {
            let glyph = unifont::get_glyph(c);
            let width = glyph.map_or_else(
                || 8 * unicode_width::UnicodeWidthChar::width(c).unwrap_or(1).max(1),
                |g| g.get_width(),
            );
            (glyph, width)
        })
        .collect();
    let width: usize = glyphs.iter().map(|(_, w)| w).sum::<usize>().max(1);
    let mut rows = vec![vec![false; width]; GLYPH_ROWS];
    let mut left = 0;
    for (glyph, w) in glyphs {
        for (y, row) in rows.iter_mut().enumerate() {
            for x in 0..w {
                row[left + x] = match glyph {
                    Some(g) => g.get_pixel(x, y),
                    None => y == 1 || y == GLYPH_ROWS - 2 || x == 1 || x == w - 2,
                };
            }
        }
        left += w;
    }
    (width, rows)
}

/// A QR code as dots: each module `scale` dots square, with a quiet zone
/// of four modules.
pub fn qr_dots(data: &str, scale: usize) -> Option<(usize, Vec<Vec<bool>>)> {
    let code = QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M).ok()?;
    let n = code.width();
    let colors = code.to_colors();
    let side = (n + 8) * scale;
    let rows = (0..side)
        .map(|y| {
            (0..side)
                .map(|x| {
                    let (mx, my) = ((x / scale) as isize - 4, (y / scale) as isize - 4);
                    mx >= 0
                        && my >= 0
                        && (mx as usize) < n
                        && (my as usize) < n
                        && colors[my as usize * n + mx as usize] == Color::Dark
                })
                .collect()
        })
        .collect();
    Some((side, rows))
}

/// Modules on a side of the QR code for `data` (without the quiet zone).
pub fn qr_modules(data: &str) -> Option<usize> {
    QrCode::with_error_correction_level(data.as_bytes(), EcLevel::M)
        .ok()
        .map(|c| c.width())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Where `command` starts in `bytes`.
    fn find(bytes: &[u8], command: &[u8]) -> Option<usize> {
        bytes.windows(command.len()).position(|w| w == command)
    }

    #[test]
    fn text_is_gb18030() {
        let mut doc = Doc::new();
        doc.line("联络站 A");
        let bytes = doc.into_bytes();
        assert_eq!(&bytes[..4], &[ESC, b'@', FS, b'&']);
        let (text, _, errors) = encoding_rs::GB18030.decode(&bytes[4..]);
        assert!(!errors);
        assert_eq!(text, "联络站 A\n");
        assert_eq!(bytes.len(), 4 + 6 + 1 + 1 + 1);
    }

    /// 王㐀 (㐀, U+3400, is outside GBK): the line goes as an image whose
    /// dots are the font's glyphs, not as text a GBK printer would garble.
    #[test]
    fn a_line_with_a_character_outside_gbk_is_drawn() {
        assert!(in_gbk("王小明") && !in_gbk("王㐀") && !in_gbk("𠮷"));
        let mut doc = Doc::new();
        doc.line("王㐀");
        let bytes = doc.into_bytes();
        let raster = [GS, b'v', b'0', 0, 4, 0, 16, 0];
        let at = find(&bytes, &raster).expect("a 32-dot by 16-row image");
        let dots = &bytes[at + raster.len()..at + raster.len() + 4 * 16];
        let glyph = unifont::get_glyph('㐀').expect("Unifont has 㐀");
        for y in 0..16 {
            for x in 0..16 {
                let on = dots[y * 4 + 2 + x / 8] & (0x80 >> (x % 8)) != 0;
                assert_eq!(on, glyph.get_pixel(x, y), "dot {x},{y}");
            }
        }
        let (text, _, _) = encoding_rs::GB18030.decode(&bytes);
        assert!(!text.contains('㐀'), "not also sent as text");
    }

    #[test]
    fn native_qr_stores_the_data_with_its_length() {
        let mut doc = Doc::new();
        doc.qr_native("https://rd.example.cn/s/1", 6);
        let bytes = doc.into_bytes();
        let store = [GS, b'(', b'k', 28, 0, 0x31, 0x50, 0x30];
        let at = find(&bytes, &store).expect("store command");
        assert_eq!(&bytes[at + 8..at + 8 + 25], b"https://rd.example.cn/s/1");
    }
}
