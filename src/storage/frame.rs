//! Record framing, shared by the journal and the catalog cache: how one
//! record is laid out in a file, and how a file of records is read back,
//! damage and an unfinished write at its end included. Payloads are bytes;
//! what they mean, and what the two numbers in a header stand for, is the
//! caller's business.
//!
//! ```text
//! magic   4  FF 'J' 'R' FE   (0xFF and 0xFE never occur in UTF-8 text)
//! len     4  payload length, u32 LE, at most MAX_PAYLOAD
//! crc     4  CRC-32 of the payload
//! first   8  a number of the caller's, u64 LE
//! last    8  another one
//! hcrc    4  CRC-32 of the 28 bytes before it
//! payload len bytes
//! ```
//!
//! As in the LevelDB/RocksDB log format, every record can be recognised on
//! its own, so a scan that meets a damaged record looks for the next valid
//! header and carries on: damage in the middle is reported with its offset,
//! the numbers its header held (when the header is whole) and the records
//! that follow. The header has its own checksum (as SQLite's WAL frames
//! do), so the numbers of a record whose payload is damaged are still known.
//!
//! What counts as a torn write: bytes after the last valid record that
//! cannot be a record ever written whole: fewer bytes than a header, only
//! zero bytes (what XFS or NTFS leave after a power cut), or a valid header
//! whose payload runs past the end of the file (a record cut short).
//! Anything else is damage: a record of full length whose checksum fails
//! was written whole, and may have been acknowledged, whatever its bytes
//! look like (a zero byte in it included).

use std::fs::File;
use std::io;
use std::ops::ControlFlow;
use std::os::unix::fs::FileExt;

/// The first bytes of every record.
pub const MAGIC: [u8; 4] = [0xFF, b'J', b'R', 0xFE];
/// Bytes of a record header.
pub const FRAME: u64 = 32;
/// No record's payload is larger than this: writers refuse a larger one and
/// the reader takes a larger length as damage.
pub const MAX_PAYLOAD: usize = 16 * 1024 * 1024;
/// How much a scan reads at once.
const WINDOW: usize = 1 << 20;

/// A parsed header (checked or not).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub len: u32,
    pub crc: u32,
    pub first: u64,
    pub last: u64,
    /// The magic and the header checksum are right and the length is
    /// within the limit (the payload is not checked).
    pub valid: bool,
}

fn u32_at(b: &[u8], i: usize) -> u32 {
    u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]])
}

fn u64_at(b: &[u8], i: usize) -> u64 {
    let mut x = [0u8; 8];
    x.copy_from_slice(&b[i..i + 8]);
    u64::from_le_bytes(x)
}

/// Reads the header in the first `FRAME` bytes of `b` (which must hold
/// them).
pub fn parse_header(b: &[u8]) -> Header {
    let len = u32_at(b, 4);
    Header {
        len,
        crc: u32_at(b, 8),
        first: u64_at(b, 12),
        last: u64_at(b, 20),
        valid: b[..4] == MAGIC && crc32fast::hash(&b[..28]) == u32_at(b, 28) && len as usize <= MAX_PAYLOAD,
    }
}

/// The header of a record holding `payload`. The caller keeps the payload
/// within `MAX_PAYLOAD`.
pub fn header(payload: &[u8], first: u64, last: u64) -> [u8; FRAME as usize] {
    let mut h = [0u8; FRAME as usize];
    h[..4].copy_from_slice(&MAGIC);
    h[4..8].copy_from_slice(&(payload.len() as u32).to_le_bytes());
    h[8..12].copy_from_slice(&crc32fast::hash(payload).to_le_bytes());
    h[12..20].copy_from_slice(&first.to_le_bytes());
    h[20..28].copy_from_slice(&last.to_le_bytes());
    let hcrc = crc32fast::hash(&h[..28]);
    h[28..].copy_from_slice(&hcrc.to_le_bytes());
    h
}

/// Appends one record (header and payload) to `out`.
pub fn encode_into(out: &mut Vec<u8>, payload: &[u8], first: u64, last: u64) {
    out.extend_from_slice(&header(payload, first, last));
    out.extend_from_slice(payload);
}

/// The bytes of one record.
pub fn encode(payload: &[u8], first: u64, last: u64) -> Vec<u8> {
    let mut buf = Vec::with_capacity(payload.len() + FRAME as usize);
    encode_into(&mut buf, payload, first, last);
    buf
}

/// One valid record read back; the payload is borrowed from the reader.
#[derive(Debug)]
pub struct Record<'a> {
    /// Where its header starts and where it ends.
    pub start: u64,
    pub end: u64,
    /// Its place in the scan, counting valid records from 1.
    pub number: u64,
    pub first: u64,
    pub last: u64,
    pub payload: &'a [u8],
}

/// Bytes between two valid records (or after the last one) that are not a
/// valid record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Damage {
    pub at: u64,
    pub bytes: u64,
    /// The two numbers of a header at `at`, when it is whole and valid.
    pub fields: Option<(u64, u64)>,
}

/// What a scan met, in file order.
#[derive(Debug)]
pub enum Item<'a> {
    Record(Record<'a>),
    Damaged(Damage),
}

/// How a scan ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tail {
    /// The file ends after a valid record or after damage.
    Clean,
    /// An unfinished write after the last valid record.
    Torn { at: u64, bytes: u64 },
    /// The visitor asked to stop before the end of the file.
    Stopped { at: u64 },
}

/// Reads the whole, valid record at `at`, if there is one: its header and
/// payload.
pub fn read_at(file: &File, at: u64) -> io::Result<Option<(Header, Vec<u8>)>> {
    let file_len = file.metadata()?.len();
    let mut head = [0u8; FRAME as usize];
    if at.saturating_add(FRAME) > file_len {
        return Ok(None);
    }
    file.read_exact_at(&mut head, at)?;
    let h = parse_header(&head);
    if !h.valid || at + FRAME + h.len as u64 > file_len {
        return Ok(None);
    }
    let mut payload = vec![0u8; h.len as usize];
    file.read_exact_at(&mut payload, at + FRAME)?;
    Ok((crc32fast::hash(&payload) == h.crc).then_some((h, payload)))
}

/// Streams the records of `file` from `from` to its end to `visit`, in
/// file order, with every damaged stretch between them, and tells how the
/// file ends. A damaged stretch at the very end that cannot have been
/// written whole is the torn tail, not damage. `visit` may stop the scan.
pub fn scan(
    file: &File,
    from: u64,
    mut visit: impl FnMut(Item<'_>) -> io::Result<ControlFlow<()>>,
) -> io::Result<Tail> {
    let file_len = file.metadata()?.len();
    Scanner {
        file,
        file_len,
        pos: from.min(file_len),
        number: 0,
        window_at: 0,
        window: Vec::new(),
    }
    .run(&mut visit)
}

/// Reads at absolute offsets through a window of the file, so records are
/// read in large pieces and a long damaged stretch costs no memory.
struct Scanner<'a> {
    file: &'a File,
    file_len: u64,
    pos: u64,
    number: u64,
    window_at: u64,
    window: Vec<u8>,
}

impl Scanner<'_> {
    /// Up to `n` bytes at `at` (fewer at the end of the file), from the
    /// window, which is moved to `at` when it does not hold them.
    fn bytes(&mut self, at: u64, n: usize) -> io::Result<&[u8]> {
        let n = n.min(self.file_len.saturating_sub(at) as usize);
        let held = at >= self.window_at && at + n as u64 <= self.window_at + self.window.len() as u64;
        if !held {
            let size = n.max(WINDOW).min(self.file_len.saturating_sub(at) as usize);
            self.window.clear();
            self.window.resize(size, 0);
            self.file.read_exact_at(&mut self.window, at)?;
            self.window_at = at;
        }
        let off = (at - self.window_at) as usize;
        Ok(&self.window[off..off + n])
    }

    /// Up to `n` bytes at `at`, read apart from the window.
    fn read(&self, at: u64, n: usize) -> io::Result<Vec<u8>> {
        let n = n.min(self.file_len.saturating_sub(at) as usize);
        let mut buf = vec![0u8; n];
        self.file.read_exact_at(&mut buf, at)?;
        Ok(buf)
    }

    /// The header at `at`, if the file holds a whole one there.
    fn header(&mut self, at: u64) -> io::Result<Option<Header>> {
        let b = self.bytes(at, FRAME as usize)?;
        Ok((b.len() == FRAME as usize).then(|| parse_header(b)))
    }

    /// The header of a whole, valid record at `at`.
    fn record_at(&mut self, at: u64) -> io::Result<Option<Header>> {
        let Some(h) = self.header(at)?.filter(|h| h.valid) else {
            return Ok(None);
        };
        if at + FRAME + h.len as u64 > self.file_len {
            return Ok(None);
        }
        let payload = self.bytes(at + FRAME, h.len as usize)?;
        Ok((crc32fast::hash(payload) == h.crc).then_some(h))
    }

    fn run(mut self, visit: &mut impl FnMut(Item<'_>) -> io::Result<ControlFlow<()>>) -> io::Result<Tail> {
        loop {
            if self.pos == self.file_len {
                return Ok(Tail::Clean);
            }
            if let Some(h) = self.record_at(self.pos)? {
                let start = self.pos;
                let end = start + FRAME + h.len as u64;
                self.number += 1;
                self.pos = end;
                let record = Record {
                    start,
                    end,
                    number: self.number,
                    first: h.first,
                    last: h.last,
                    payload: self.bytes(start + FRAME, h.len as usize)?,
                };
                if visit(Item::Record(record))?.is_break() {
                    return Ok(Tail::Stopped { at: end });
                }
                continue;
            }
            // Not a valid record here: what its header says, if anything.
            let here = self.header(self.pos)?.filter(|h| h.valid);
            let fields = here.map(|h| (h.first, h.last));
            match self.resync(self.pos + 1)? {
                Some(next) => {
                    let damage = Damage {
                        at: self.pos,
                        bytes: next - self.pos,
                        fields,
                    };
                    self.pos = next;
                    if visit(Item::Damaged(damage))?.is_break() {
                        return Ok(Tail::Stopped { at: next });
                    }
                }
                None => {
                    let at = self.pos;
                    let bytes = self.file_len - at;
                    if self.is_torn(here)? {
                        return Ok(Tail::Torn { at, bytes });
                    }
                    let _ = visit(Item::Damaged(Damage { at, bytes, fields }))?;
                    return Ok(Tail::Clean);
                }
            }
        }
    }

    /// The offset of the next valid record at or after `from`. Candidates
    /// start with the record magic's 0xFF byte, which never occurs inside
    /// UTF-8 text.
    fn resync(&mut self, from: u64) -> io::Result<Option<u64>> {
        const CHUNK: usize = 1 << 16;
        let mut at = from;
        while at < self.file_len {
            let chunk = self.read(at, CHUNK)?;
            let mut off = 0;
            while let Some(i) = memchr::memchr(MAGIC[0], &chunk[off..]) {
                let cand = at + (off + i) as u64;
                if self.record_at(cand)?.is_some() {
                    return Ok(Some(cand));
                }
                off += i + 1;
            }
            at += chunk.len() as u64;
        }
        Ok(None)
    }

    /// Whether the bytes from `pos` to the end are an unfinished write.
    fn is_torn(&mut self, here: Option<Header>) -> io::Result<bool> {
        let rest = self.file_len - self.pos;
        if rest < FRAME {
            return Ok(true);
        }
        if let Some(h) = here {
            // Cut short, or whole (and then damaged, not unfinished).
            return Ok(FRAME + h.len as u64 > rest);
        }
        // No readable header: torn only if every byte is zero.
        let mut at = self.pos;
        while at < self.file_len {
            let chunk = self.read(at, WINDOW)?;
            if chunk.iter().any(|&b| b != 0) {
                return Ok(false);
            }
            at += chunk.len() as u64;
        }
        Ok(true)
    }
}

/// What the tests of framed files share.
#[cfg(test)]
pub(crate) mod testing {
    use super::{Damage, Tail};

    /// Flips the bits `mask` of the byte at `at` of the file at `path`.
    pub fn flip(path: &std::path::Path, at: u64, mask: u8) {
        let mut bytes = std::fs::read(path).unwrap();
        bytes[at as usize] ^= mask;
        std::fs::write(path, bytes).unwrap();
    }

    /// Appends `bytes` to the file at `path`.
    pub fn append(path: &std::path::Path, bytes: &[u8]) {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
        f.write_all(bytes).unwrap();
    }

    /// No damage, and `bytes` of an unfinished write at `at`.
    pub fn only_torn(damage: &[Damage], tail: Tail, at: u64, bytes: u64) {
        assert!(damage.is_empty());
        assert_eq!(tail, Tail::Torn { at, bytes });
    }

    /// The damage of the second record, whole, given where each record ends.
    pub fn second_damaged(ends: &[u64], fields: Option<(u64, u64)>) -> Vec<Damage> {
        vec![Damage {
            at: ends[0],
            bytes: ends[1] - ends[0],
            fields,
        }]
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{append, flip, only_torn, second_damaged};
    use super::*;

    /// A file of records `payloads[i]` with numbers (i + 1, i + 1), after
    /// a 10-byte file header; returns the end of each record.
    fn file_with(path: &std::path::Path, payloads: &[&[u8]]) -> Vec<u64> {
        let mut bytes = b"TEST-FILE\n".to_vec();
        let mut ends = Vec::new();
        for (i, p) in payloads.iter().enumerate() {
            encode_into(&mut bytes, p, i as u64 + 1, i as u64 + 1);
            ends.push(bytes.len() as u64);
        }
        std::fs::write(path, bytes).unwrap();
        ends
    }

    /// A record's payload and its two numbers.
    type Owned = (Vec<u8>, u64, u64);

    fn survey(path: &std::path::Path) -> (Vec<Owned>, Vec<Damage>, Tail) {
        let file = File::open(path).unwrap();
        let mut recs = Vec::new();
        let mut damage = Vec::new();
        let tail = scan(&file, 10, |item| {
            match item {
                Item::Record(r) => recs.push((r.payload.to_vec(), r.first, r.last)),
                Item::Damaged(d) => damage.push(d),
            }
            Ok(ControlFlow::Continue(()))
        })
        .unwrap();
        (recs, damage, tail)
    }

    #[test]
    fn records_read_back_as_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let big = vec![b'x'; WINDOW + 100];
        let payloads: Vec<&[u8]> = vec![b"one", b"", &big, b"four"];
        let ends = file_with(&path, &payloads);
        let (recs, damage, tail) = survey(&path);
        let want: Vec<Owned> = payloads
            .iter()
            .enumerate()
            .map(|(i, p)| (p.to_vec(), i as u64 + 1, i as u64 + 1))
            .collect();
        assert_eq!(recs, want);
        assert!(damage.is_empty());
        assert_eq!(tail, Tail::Clean);
        let file = File::open(&path).unwrap();
        let (h, p) = read_at(&file, ends[1]).unwrap().unwrap();
        assert_eq!((h.first, h.last, p), (3, 3, big.clone()));
        assert!(read_at(&file, ends[1] + 1).unwrap().is_none());
        // A visitor that stops.
        let mut seen = 0;
        let tail = scan(&file, 10, |_| {
            seen += 1;
            Ok(ControlFlow::Break(()))
        })
        .unwrap();
        assert_eq!((seen, tail), (1, Tail::Stopped { at: ends[0] }));
    }

    #[test]
    fn a_flipped_bit_in_the_middle_is_damage_and_later_records_are_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let ends = file_with(&path, &[b"{\"a\":1}", b"{\"b\":2}", b"{\"c\":3}", b"{\"d\":4}"]);
        // A payload byte of the second record: its header is still whole.
        flip(&path, ends[0] + FRAME + 2, 0x04);
        let (recs, damage, tail) = survey(&path);
        let got: Vec<Vec<u8>> = recs.into_iter().map(|r| r.0).collect();
        assert_eq!(
            got,
            vec![
                b"{\"a\":1}".to_vec(),
                b"{\"c\":3}".to_vec(),
                b"{\"d\":4}".to_vec()
            ]
        );
        assert_eq!(damage, second_damaged(&ends, Some((2, 2))));
        assert_eq!(tail, Tail::Clean);

        // A flipped bit in a header: its numbers are unknown, the rest is read.
        let ends = file_with(&path, &[b"{\"a\":1}", b"{\"b\":2}", b"{\"c\":3}"]);
        flip(&path, ends[0] + 13, 0x01);
        let (recs, damage, tail) = survey(&path);
        assert_eq!(recs.len(), 2);
        assert_eq!(tail, Tail::Clean);
        assert_eq!(damage, second_damaged(&ends, None));
    }

    #[test]
    fn a_cut_tail_is_torn_not_damage() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let ends = file_with(&path, &[b"one", b"two"]);
        append(&path, &encode(b"three", 3, 3)[..20]);
        let (recs, damage, tail) = survey(&path);
        assert_eq!(recs.len(), 2);
        only_torn(&damage, tail, ends[1], 20);

        // The file as it was up to the end of the second record, then `extra`.
        let two = std::fs::read(&path).unwrap()[..ends[1] as usize].to_vec();
        let after_two = |extra: &[u8]| {
            std::fs::write(&path, [two.as_slice(), extra].concat()).unwrap();
            survey(&path)
        };

        // A whole header whose payload runs past the end.
        let torn = after_two(&encode(b"three", 3, 3)[..FRAME as usize + 2]).2;
        assert_eq!(
            torn,
            Tail::Torn {
                at: ends[1],
                bytes: FRAME + 2
            }
        );

        // Zero bytes after the last record.
        assert_eq!(
            after_two(&[0u8; 100]).2,
            Tail::Torn {
                at: ends[1],
                bytes: 100
            }
        );

        // A record of full length with a zero byte in its payload was
        // written whole: damage, not an unfinished write.
        let mut zeroed = encode(b"{\"three\":3}", 3, 3);
        let n = zeroed.len();
        zeroed[n - 3] = 0;
        let (recs, damage, tail) = after_two(&zeroed);
        assert_eq!((recs.len(), tail), (2, Tail::Clean));
        assert_eq!(
            damage,
            vec![Damage {
                at: ends[1],
                bytes: FRAME + 11,
                fields: Some((3, 3))
            }]
        );

        // Other bytes after the last record are damage.
        let (recs, damage, tail) = after_two(&[7u8; 100]);
        assert_eq!((recs.len(), tail), (2, Tail::Clean));
        assert_eq!(
            damage,
            vec![Damage {
                at: ends[1],
                bytes: 100,
                fields: None
            }]
        );
    }
}
