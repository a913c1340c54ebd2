//! Text encoding of imported files: UTF-8 (with or without a BOM) or
//! GB18030/GBK, as Excel saves CSV on a Chinese system.

/// Which encoding a file turned out to be in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    Gb18030,
    /// UTF-16 with its byte-order mark (Excel's "Unicode text").
    Utf16,
}

/// Why a file's bytes are neither UTF-8 nor GB18030.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Undecodable {
    /// Mostly valid UTF-8 (or marked so by a BOM) with a broken sequence
    /// on this line: reading it as GB18030 would turn it into mojibake.
    BrokenUtf8 { line: u64 },
    /// Neither encoding fits; the first byte GB18030 cannot read is on
    /// this line.
    Neither { line: u64 },
    /// Marked UTF-16 by its byte-order mark, with a broken unit on this
    /// line.
    BrokenUtf16 { line: u64 },
}

/// Where each physical line of a text starts: line breaks are LF, CRLF
/// (as Excel writes on Windows) or a lone CR.
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(bytes: &[u8]) -> LineIndex {
        let mut starts = vec![0];
        for (i, b) in bytes.iter().enumerate() {
            let ends = match b {
                b'\n' => true,
                b'\r' => bytes.get(i + 1) != Some(&b'\n'),
                _ => false,
            };
            if ends {
                starts.push(i + 1);
            }
        }
        LineIndex { starts }
    }

    /// The physical line (from 1) that holds a byte offset.
    pub fn line(&self, offset: usize) -> u64 {
        self.starts.partition_point(|s| *s <= offset) as u64
    }

    /// The physical line a record starting at `offset` of `bytes` is on.
    /// The CSV reader takes the CR of a CRLF as the end of a record and
    /// starts the next one at its LF (so Windows files were reported one
    /// line early): line breaks before the record are skipped.
    pub fn record_line(&self, bytes: &[u8], offset: usize) -> u64 {
        let skip = bytes
            .get(offset..)
            .unwrap_or_default()
            .iter()
            .take_while(|b| matches!(b, b'\r' | b'\n'))
            .count();
        self.line(offset + skip)
    }
}

/// The physical line (from 1) of a byte offset.
pub fn line_of(bytes: &[u8], offset: usize) -> u64 {
    LineIndex::new(bytes).line(offset)
}

/// Valid UTF-8 sequences of three or four bytes (every Chinese character
/// in UTF-8) and invalid sequences in `bytes`, and the offset of the first
/// invalid one.
fn utf8_census(bytes: &[u8]) -> (usize, usize, Option<usize>) {
    let (mut valid, mut invalid, mut first) = (0, 0, None);
    let mut rest = bytes;
    let mut at = 0;
    loop {
        let (good, err) = match std::str::from_utf8(rest) {
            Ok(s) => (s, None),
            Err(e) => (
                std::str::from_utf8(&rest[..e.valid_up_to()]).unwrap_or_default(),
                Some(e),
            ),
        };
        valid += good.chars().filter(|c| c.len_utf8() >= 3).count();
        let Some(e) = err else { break };
        invalid += 1;
        first.get_or_insert(at + e.valid_up_to());
        let skip = e.valid_up_to() + e.error_len().unwrap_or(rest.len() - e.valid_up_to()).max(1);
        at += skip;
        rest = &rest[skip.min(rest.len())..];
    }
    (valid, invalid, first)
}

/// Decodes a file's bytes, deciding the encoding from evidence:
///
/// - a UTF-8 BOM, or bytes that are valid UTF-8, mean UTF-8 (with a BOM,
///   a broken sequence is refused with its line);
/// - bytes that are mostly valid UTF-8 multi-byte sequences with a few
///   broken ones (at least three valid three- or four-byte sequences, as
///   every Chinese character is in UTF-8, for each broken one) are a
///   damaged UTF-8 file, refused with the line of the first broken
///   sequence. GB18030 text forms such sequences only by chance (about one
///   character in fifty), and two-byte ones, which it forms more often
///   (路 is C2 B7), are not counted;
/// - otherwise GB18030 (a superset of GBK and GB2312) when it decodes
///   without errors; if not, refused with the line of the first error.
pub fn decode(bytes: &[u8]) -> Result<(String, Encoding), Undecodable> {
    // UTF-16 by its byte-order mark: FF FE little-endian (Excel's "Unicode
    // text"), FE FF big-endian.
    let utf16 = match bytes {
        [0xFF, 0xFE, ..] => Some(encoding_rs::UTF_16LE),
        [0xFE, 0xFF, ..] => Some(encoding_rs::UTF_16BE),
        _ => None,
    };
    if let Some(utf16) = utf16 {
        let body = &bytes[2..];
        return match utf16.decode_without_bom_handling_and_without_replacement(body) {
            Some(text) if body.len().is_multiple_of(2) => Ok((text.into_owned(), Encoding::Utf16)),
            _ => {
                let (lossy, _) = utf16.decode_without_bom_handling(body);
                let upto = lossy.find('\u{FFFD}').unwrap_or(lossy.len());
                Err(Undecodable::BrokenUtf16 {
                    line: line_of(lossy.as_bytes(), upto),
                })
            }
        };
    }
    let bom = bytes.starts_with(b"\xEF\xBB\xBF");
    let body = if bom { &bytes[3..] } else { bytes };
    match std::str::from_utf8(body) {
        Ok(text) => return Ok((text.to_string(), Encoding::Utf8)),
        Err(e) if bom => {
            return Err(Undecodable::BrokenUtf8 {
                line: line_of(body, e.valid_up_to()),
            });
        }
        Err(_) => {}
    }
    let (valid, invalid, first) = utf8_census(bytes);
    if valid >= 3 * invalid {
        return Err(Undecodable::BrokenUtf8 {
            line: line_of(bytes, first.unwrap_or(0)),
        });
    }
    let mut decoder = encoding_rs::GB18030.new_decoder_without_bom_handling();
    let mut text = String::with_capacity(bytes.len() * 3 / 2 + 16);
    let mut read = 0;
    loop {
        let (result, n) = decoder.decode_to_string_without_replacement(&bytes[read..], &mut text, true);
        read += n;
        match result {
            encoding_rs::DecoderResult::InputEmpty => return Ok((text, Encoding::Gb18030)),
            encoding_rs::DecoderResult::OutputFull => text.reserve(bytes.len() - read + 16),
            encoding_rs::DecoderResult::Malformed(bad, _) => {
                let at = read.saturating_sub(bad as usize);
                return Err(Undecodable::Neither {
                    line: line_of(bytes, at),
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_by_its_byte_order_mark() {
        let text = "姓名\t电话\r\n张三\t13800001234\r\n";
        let le: Vec<u8> = [0xFF, 0xFE]
            .into_iter()
            .chain(text.encode_utf16().flat_map(u16::to_le_bytes))
            .collect();
        let be: Vec<u8> = [0xFE, 0xFF]
            .into_iter()
            .chain(text.encode_utf16().flat_map(u16::to_be_bytes))
            .collect();
        assert_eq!(decode(&le), Ok((text.into(), Encoding::Utf16)));
        assert_eq!(decode(&be), Ok((text.into(), Encoding::Utf16)));
        // A lone surrogate on the second line.
        let mut broken = le.clone();
        broken.extend_from_slice(&[0x00, 0xD8, b'a', 0]);
        assert_eq!(decode(&broken), Err(Undecodable::BrokenUtf16 { line: 3 }));
    }

    #[test]
    fn utf8_with_and_without_bom() {
        assert_eq!(decode("姓名,a".as_bytes()), Ok(("姓名,a".into(), Encoding::Utf8)));
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice("姓名".as_bytes());
        assert_eq!(decode(&bom), Ok(("姓名".into(), Encoding::Utf8)));
    }

    #[test]
    fn gb18030_is_detected() {
        let (bytes, _, _) = encoding_rs::GB18030.encode("编号,姓名\r\nD001,陈立华\r\n");
        assert_eq!(
            decode(&bytes),
            Ok(("编号,姓名\r\nD001,陈立华\r\n".into(), Encoding::Gb18030))
        );
    }

    #[test]
    fn garbage_fails() {
        // 0x80 alone is not a GB18030 lead byte, and not UTF-8.
        assert_eq!(decode(b"abc\n\x80\xFF"), Err(Undecodable::Neither { line: 2 }));
    }

    #[test]
    fn almost_utf8_is_not_gb18030() {
        let mut bytes = "中文,中文\r\n中文".as_bytes().to_vec();
        bytes.extend_from_slice(b"\xE4\xB8");
        assert_eq!(decode(&bytes), Err(Undecodable::BrokenUtf8 { line: 2 }));
        let mut bom = b"\xEF\xBB\xBFa\nb\n".to_vec();
        bom.push(0xD6);
        assert_eq!(decode(&bom), Err(Undecodable::BrokenUtf8 { line: 3 }));
    }

    #[test]
    fn gb18030_that_happens_to_hold_utf8_sequences_is_still_gb18030() {
        // 路 is C2 B7 in GBK, a valid two-byte UTF-8 sequence.
        let (bytes, _, _) = encoding_rs::GB18030.encode("路路路路中");
        assert!(std::str::from_utf8(&bytes).is_err());
        assert_eq!(decode(&bytes), Ok(("路路路路中".into(), Encoding::Gb18030)));
    }

    #[test]
    fn lines_count_lf_crlf_and_cr() {
        assert_eq!(line_of(b"a\r\nb\rc\nd", 9), 4);
        assert_eq!(line_of(b"a\r\nb", 1), 1);
        assert_eq!(line_of(b"a\r\nb", 3), 2);
        let text = b"h\r\nx\r\ny";
        assert_eq!(LineIndex::new(text).record_line(text, 4), 3);
    }
}
