//! Text encoding of imported files: UTF-8 (with or without a BOM) or
//! GB18030/GBK, as Excel saves CSV on a Chinese system. A file is
//! looked at and decoded a block at a time (`sniff`, `Decoded`).

use std::io::{self, Read};

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

/// Counts physical lines as bytes go by: a line starts after an LF, after
/// a CRLF, or after a lone CR (`LineIndex`, a block at a time).
#[derive(Debug, Clone, Copy, Default)]
pub struct LineCounter {
    /// Line starts after the first line among the bytes fed.
    starts: u64,
    /// The last byte fed was a CR (a line start unless an LF follows).
    cr: bool,
}

impl LineCounter {
    pub fn feed(&mut self, bytes: &[u8]) {
        for &b in bytes {
            if self.cr && b != b'\n' {
                self.starts += 1;
            }
            self.cr = b == b'\r';
            if b == b'\n' {
                self.starts += 1;
            }
        }
    }

    /// The physical line (from 1) of the byte after those fed, which is
    /// `next` (`None` at the end of the text).
    pub fn line(&self, next: Option<u8>) -> u64 {
        1 + self.starts + u64::from(self.cr && next != Some(b'\n'))
    }
}

/// How much of a file is read at a time.
const BLOCK: usize = 1 << 16;

/// What `sniff` found: the encoding and the length of the byte-order mark
/// to skip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sniffed {
    pub encoding: Encoding,
    pub bom: usize,
    /// The decoder's encoding; `None` for UTF-8, which needs none.
    via: Option<&'static encoding_rs::Encoding>,
}

/// Reads into `buf` until it is full or the input ends; the bytes read.
fn fill(r: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// The physical line of byte `offset` of what `open` reads.
fn line_at<R: Read>(open: &impl Fn() -> io::Result<R>, offset: u64) -> io::Result<u64> {
    let mut r = open()?;
    let mut buf = vec![0; BLOCK];
    let mut lines = LineCounter::default();
    let mut at = 0u64;
    loop {
        let n = fill(&mut r, &mut buf)?;
        let here = usize::try_from(offset - at).unwrap_or(usize::MAX).min(n);
        lines.feed(&buf[..here]);
        if here < n || n == 0 {
            return Ok(lines.line(buf[..n].get(here).copied()));
        }
        at += n as u64;
    }
}

/// Valid UTF-8 sequences of three or four bytes (every Chinese character
/// in UTF-8) and invalid sequences in what `open` reads, and the offset of
/// the first invalid one, a block at a time.
fn utf8_census<R: Read>(open: &impl Fn() -> io::Result<R>) -> io::Result<(usize, usize, Option<u64>)> {
    let (mut valid, mut invalid, mut first) = (0, 0, None);
    let mut r = open()?;
    let mut block = vec![0; BLOCK];
    // Bytes of a sequence cut by the end of the previous block.
    let mut data: Vec<u8> = Vec::with_capacity(BLOCK + 4);
    // The offset of `data[0]`.
    let mut at = 0u64;
    let leads = |b: &[u8]| b.iter().filter(|&&b| b >= 0xE0).count();
    loop {
        let n = fill(&mut r, &mut block)?;
        let end = n == 0;
        data.extend_from_slice(&block[..n]);
        let mut off = 0;
        loop {
            let rest = &data[off..];
            match std::str::from_utf8(rest) {
                Ok(_) => {
                    valid += leads(rest);
                    off = data.len();
                    break;
                }
                Err(e) => {
                    let good = e.valid_up_to();
                    valid += leads(&rest[..good]);
                    match e.error_len() {
                        None if !end => {
                            off += good;
                            break;
                        }
                        len => {
                            invalid += 1;
                            first.get_or_insert(at + (off + good) as u64);
                            off += good + len.unwrap_or(rest.len() - good).max(1);
                        }
                    }
                }
            }
        }
        at += off as u64;
        data.drain(..off);
        if end {
            return Ok((valid, invalid, first));
        }
    }
}

/// Decides the encoding of what `open` reads (it is opened again for each
/// look), as `decode` says, reading a block at a time: memory does not
/// grow with the file. The outer error is one of reading.
pub fn sniff<R: Read>(open: impl Fn() -> io::Result<R>) -> io::Result<Result<Sniffed, Undecodable>> {
    let mut head = [0u8; 3];
    let got = fill(&mut open()?, &mut head)?;
    let head = &head[..got];
    let utf16 = match head {
        [0xFF, 0xFE, ..] => Some(encoding_rs::UTF_16LE),
        [0xFE, 0xFF, ..] => Some(encoding_rs::UTF_16BE),
        _ => None,
    };
    if let Some(utf16) = utf16 {
        let sniffed = Sniffed {
            encoding: Encoding::Utf16,
            bom: 2,
            via: Some(utf16),
        };
        return Ok(check_decodes(&open, sniffed)?.map_err(|line| Undecodable::BrokenUtf16 { line }));
    }
    let bom = head.starts_with(b"\xEF\xBB\xBF");
    let (valid, invalid, first) = utf8_census(&open)?;
    if invalid == 0 {
        return Ok(Ok(Sniffed {
            encoding: Encoding::Utf8,
            bom: if bom { 3 } else { 0 },
            via: None,
        }));
    }
    if bom || valid >= 3 * invalid {
        let line = line_at(&open, first.unwrap_or(0))?;
        return Ok(Err(Undecodable::BrokenUtf8 { line }));
    }
    let sniffed = Sniffed {
        encoding: Encoding::Gb18030,
        bom: 0,
        via: Some(encoding_rs::GB18030),
    };
    match check_decodes(&open, sniffed)? {
        Ok(s) => Ok(Ok(s)),
        Err(at) => Ok(Err(Undecodable::Neither {
            line: line_at(&open, at)?,
        })),
    }
}

/// Decodes what `open` reads (after the byte-order mark) as `sniffed`
/// says, keeping nothing. On a malformed sequence: for UTF-16, the line of
/// the decoded text it falls on; otherwise the offset of the sequence.
fn check_decodes<R: Read>(
    open: &impl Fn() -> io::Result<R>,
    sniffed: Sniffed,
) -> io::Result<Result<Sniffed, u64>> {
    let mut r = open()?;
    fill(&mut r, &mut vec![0; sniffed.bom])?;
    let mut decoder = sniffed
        .via
        .unwrap_or(encoding_rs::UTF_8)
        .new_decoder_without_bom_handling();
    let mut block = vec![0; BLOCK];
    let mut out = vec![0; BLOCK * 3 + 16];
    let mut lines = LineCounter::default();
    let mut at = sniffed.bom as u64;
    loop {
        let n = fill(&mut r, &mut block)?;
        let last = n == 0;
        let mut read = 0;
        loop {
            let (result, r_n, w_n) =
                decoder.decode_to_utf8_without_replacement(&block[read..n], &mut out, last);
            read += r_n;
            lines.feed(&out[..w_n]);
            match result {
                encoding_rs::DecoderResult::InputEmpty => break,
                encoding_rs::DecoderResult::OutputFull => {}
                encoding_rs::DecoderResult::Malformed(bad, _) => {
                    return Ok(Err(if sniffed.encoding == Encoding::Utf16 {
                        lines.line(None)
                    } else {
                        (at + read as u64).saturating_sub(u64::from(bad))
                    }));
                }
            }
        }
        at += n as u64;
        if last {
            return Ok(Ok(sniffed));
        }
    }
}

/// A file's text as UTF-8 bytes, decoded as it is read: the byte-order
/// mark skipped, GB18030 and UTF-16 converted a block at a time.
pub struct Decoded<R> {
    inner: R,
    decoder: Option<encoding_rs::Decoder>,
    input: Vec<u8>,
    in_pos: usize,
    in_len: usize,
    out: Vec<u8>,
    out_pos: usize,
    out_len: usize,
    ended: bool,
    finished: bool,
}

impl<R: Read> Decoded<R> {
    pub fn new(mut inner: R, sniffed: Sniffed) -> io::Result<Decoded<R>> {
        fill(&mut inner, &mut vec![0; sniffed.bom])?;
        let coded = sniffed.via.is_some();
        Ok(Decoded {
            inner,
            decoder: sniffed.via.map(|e| e.new_decoder_without_bom_handling()),
            input: if coded { vec![0; BLOCK] } else { Vec::new() },
            in_pos: 0,
            in_len: 0,
            out: if coded {
                vec![0; BLOCK * 3 + 16]
            } else {
                Vec::new()
            },
            out_pos: 0,
            out_len: 0,
            ended: false,
            finished: false,
        })
    }
}

impl<R: Read> Read for Decoded<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let Some(decoder) = self.decoder.as_mut() else {
            return self.inner.read(buf);
        };
        loop {
            if self.out_pos < self.out_len {
                let n = buf.len().min(self.out_len - self.out_pos);
                buf[..n].copy_from_slice(&self.out[self.out_pos..self.out_pos + n]);
                self.out_pos += n;
                return Ok(n);
            }
            if self.finished {
                return Ok(0);
            }
            if self.in_pos == self.in_len && !self.ended {
                self.in_len = fill(&mut self.inner, &mut self.input)?;
                self.in_pos = 0;
                self.ended = self.in_len == 0;
            }
            let (result, read, written, _) =
                decoder.decode_to_utf8(&self.input[self.in_pos..self.in_len], &mut self.out, self.ended);
            self.in_pos += read;
            self.out_pos = 0;
            self.out_len = written;
            self.finished = self.ended && result == encoding_rs::CoderResult::InputEmpty;
        }
    }
}

/// Decodes a whole text in memory (what `sniff` and `Decoded` do to a
/// file):
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
    let sniffed = sniff(|| Ok(bytes)).unwrap_or_else(|e| unreachable!("reading memory: {e}"))?;
    let mut text = String::new();
    Decoded::new(bytes, sniffed)
        .and_then(|mut d| d.read_to_string(&mut text))
        .unwrap_or_else(|e| unreachable!("decoding checked text: {e}"));
    Ok((text, sniffed.encoding))
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
