//! The journal: an append-only file of records, fsynced per commit. It is
//! the durability point of every save and the source the database is
//! rebuilt from.
//!
//! ## Format (version 2)
//!
//! The file starts with `JIEDAI-J2\n`, followed by records framed as
//! `storage::frame` lays them out (a 32-byte header, then the payload); a
//! journal record's payload is one commit's events as JSON, and the two
//! numbers of its header are the sequence numbers of its first and last
//! event. A damaged record in the middle is reported with its offset, the
//! sequence numbers it held and the valid records that follow, instead of
//! ending the journal there.
//!
//! A torn write (see `frame`) is the only thing recovery may set aside on
//! its own. Anything else, a whole record with a bad checksum included, is
//! damage: the program stops and says so, and only an operator's explicit
//! request drops it.
//!
//! Version 1 journals (`JIEDAI-J1\n`, records `[len][crc32][payload]`) are
//! read as they are and converted to version 2 by the first program that
//! writes to the directory; the old file is kept beside it.

use std::fs::{File, OpenOptions};
use std::io::{self, BufReader, Read, Seek, SeekFrom, Write};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use super::frame;
pub use super::frame::{Damage, FRAME, Item, MAX_PAYLOAD, Record, Tail};

const MAGIC_V1: &[u8; 10] = b"JIEDAI-J1\n";
const MAGIC_V2: &[u8; 10] = b"JIEDAI-J2\n";
pub const HEADER_LEN: u64 = MAGIC_V2.len() as u64;

/// The version of a journal file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    V1,
    V2,
}

pub struct Journal {
    path: PathBuf,
    file: File,
    len: u64,
    version: Version,
    /// Reads of the journal from its start (see `whole_reads`).
    whole_reads: AtomicUsize,
}

fn u32_at(b: &[u8], i: usize) -> u32 {
    u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]])
}

/// The framed bytes of one record. Callers keep `payload` within
/// `MAX_PAYLOAD` (see `storage::Store::commit_dated`).
pub fn frame(payload: &[u8], first: u64, last: u64) -> Vec<u8> {
    frame::encode(payload, first, last)
}

fn invalid(message: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, message.into())
}

fn read_version(file: &mut File) -> io::Result<Version> {
    let mut head = [0u8; 10];
    file.seek(SeekFrom::Start(0))?;
    file.read_exact(&mut head)
        .map_err(|_| invalid("journal header is truncated"))?;
    match &head {
        h if h == MAGIC_V2 => Ok(Version::V2),
        h if h == MAGIC_V1 => Ok(Version::V1),
        _ => Err(invalid("not a jiedai journal (bad header)")),
    }
}

/// Makes a new file's directory entry durable.
pub fn sync_dir(path: &Path) -> io::Result<()> {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => File::open(dir)?.sync_all(),
        _ => Ok(()),
    }
}

/// Replaces the file at `path` with `bytes` durably and atomically: a new
/// file beside it (mode 0600: these files may hold secrets), fsynced,
/// renamed over the old one, and the directory entry synced. A failure
/// leaves the old file as it was.
pub fn replace_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".new");
    let tmp = path.with_file_name(name);
    let write = || -> io::Result<()> {
        let mut f = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)?;
        sync_dir(path)
    };
    write().inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

impl Journal {
    /// How many times this journal was read from its start (scans and
    /// surveys from offset 0): what `check` reports as its passes.
    pub fn whole_reads(&self) -> usize {
        self.whole_reads.load(Ordering::Relaxed)
    }

    /// Creates a new, empty journal; fails if one exists.
    pub fn create(path: &Path) -> io::Result<Journal> {
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create_new(true)
            .open(path)?;
        file.write_all(MAGIC_V2)?;
        file.sync_all()?;
        sync_dir(path)?;
        Ok(Journal {
            path: path.to_path_buf(),
            file,
            len: HEADER_LEN,
            version: Version::V2,
            whole_reads: AtomicUsize::new(0),
        })
    }

    /// Opens an existing journal for appending. A version 1 journal must be
    /// converted first (`convert_v1`).
    pub fn open(path: &Path) -> io::Result<Journal> {
        Journal::opened(path, OpenOptions::new().read(true).append(true).open(path)?)
    }

    /// Opens an existing journal for reading only; nothing is ever written
    /// through it.
    pub fn open_read(path: &Path) -> io::Result<Journal> {
        Journal::opened(path, File::open(path)?)
    }

    /// The journal at `path`, open as `file`: its version read, its length taken.
    fn opened(path: &Path, mut file: File) -> io::Result<Journal> {
        let version = read_version(&mut file)?;
        let len = file.metadata()?.len();
        Ok(Journal {
            path: path.to_path_buf(),
            file,
            len,
            version,
            whole_reads: AtomicUsize::new(0),
        })
    }

    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len <= HEADER_LEN
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn version(&self) -> Version {
        self.version
    }

    /// Writes one record without waiting for the disk (see `sync`); events
    /// `first..=last` are in it. Returns the offset just past it. On an
    /// error the caller must stop writing: the file may end in part of the
    /// record (the next start sets it aside as a torn write).
    pub fn write(&mut self, payload: &[u8], first: u64, last: u64) -> io::Result<u64> {
        if self.version != Version::V2 {
            return Err(invalid("the journal must be converted before it is written"));
        }
        if payload.len() > MAX_PAYLOAD {
            return Err(invalid(format!(
                "a record of {} bytes is over the limit of {MAX_PAYLOAD}",
                payload.len()
            )));
        }
        let buf = frame(payload, first, last);
        if let Err(e) = self.file.write_all(&buf) {
            // Cut off whatever part of the record reached the file; if even
            // that fails, the torn part is set aside at the next start.
            if self.file.set_len(self.len).is_ok() {
                let _ = self.file.sync_data();
            }
            return Err(e);
        }
        self.len += buf.len() as u64;
        Ok(self.len)
    }

    /// Waits until everything written is on the disk.
    pub fn sync(&self) -> io::Result<()> {
        self.file.sync_data()
    }

    /// Takes back a record written but not made durable (its fsync failed):
    /// the file is cut back to `to` and that is made durable. When this
    /// returns Ok the record is certainly not in the journal.
    pub fn retract(&mut self, to: u64) -> io::Result<()> {
        self.file.set_len(to)?;
        self.file.sync_all()?;
        self.len = to;
        Ok(())
    }

    /// Whether a whole, valid record starts at `start` and ends at `end`.
    pub fn has_record(&self, start: u64, end: u64) -> bool {
        let Ok(mut file) = File::open(&self.path) else {
            return false;
        };
        if end > self.file_len().unwrap_or(0) || end < start {
            return false;
        }
        match self.version {
            Version::V2 => matches!(
                frame::read_at(&file, start),
                Ok(Some((h, _))) if FRAME + h.len as u64 == end - start
            ),
            Version::V1 => {
                let mut buf = vec![0u8; (end - start) as usize];
                if file.seek(SeekFrom::Start(start)).is_err() || file.read_exact(&mut buf).is_err() {
                    return false;
                }
                buf.len() >= 8
                    && u32_at(&buf, 0) as u64 + 8 == end - start
                    && crc32fast::hash(&buf[8..]) == u32_at(&buf, 4)
            }
        }
    }

    /// Whether a whole, valid record starts at `start` (of a format-2
    /// journal; a format-1 journal answers false).
    pub fn has_record_at(&self, start: u64) -> bool {
        self.version == Version::V2
            && File::open(&self.path).is_ok_and(|file| matches!(frame::read_at(&file, start), Ok(Some(_))))
    }

    fn file_len(&self) -> io::Result<u64> {
        Ok(std::fs::metadata(&self.path)?.len())
    }

    /// Streams the valid records from `from` on to `visit`, in order, and
    /// tells how the journal ends. Damage followed by valid records stops
    /// the scan with an error of kind `InvalidData` naming it: callers that
    /// must see damage use `survey`.
    pub fn scan(&self, from: u64, mut visit: impl FnMut(Record) -> io::Result<()>) -> io::Result<Tail> {
        self.scan_while(from, |r| visit(r).map(|()| ControlFlow::Continue(())))
    }

    /// Like `scan`, until `visit` says `Break` (then the tail is `Clean`:
    /// the rest was not read).
    pub fn scan_while(
        &self,
        from: u64,
        mut visit: impl FnMut(Record) -> io::Result<ControlFlow<()>>,
    ) -> io::Result<Tail> {
        self.survey_while(from, |item| match item {
            Item::Record(r) => visit(r),
            Item::Damaged(d) => Err(invalid(format!(
                "journal damaged: {} bytes at offset {} are not a valid record, and valid records follow",
                d.bytes, d.at
            ))),
        })
    }

    /// Streams every record and every damaged stretch from `from` on, in
    /// file order, and tells how the journal ends. A damaged stretch at the
    /// very end that cannot be an acknowledged record is the torn tail, not
    /// damage.
    pub fn survey(&self, from: u64, mut visit: impl FnMut(Item) -> io::Result<()>) -> io::Result<Tail> {
        self.survey_while(from, |item| visit(item).map(|()| ControlFlow::Continue(())))
    }

    fn survey_while(
        &self,
        from: u64,
        mut visit: impl FnMut(Item) -> io::Result<ControlFlow<()>>,
    ) -> io::Result<Tail> {
        if from <= HEADER_LEN {
            self.whole_reads.fetch_add(1, Ordering::Relaxed);
        }
        let mut file = File::open(&self.path)?;
        let file_len = file.metadata()?.len();
        let start = from.max(HEADER_LEN);
        if start > file_len {
            return Err(invalid(format!(
                "journal is shorter ({file_len} bytes) than the database says ({start})"
            )));
        }
        match self.version {
            Version::V2 => {
                let tail = frame::scan(&file, start, &mut visit)?;
                Ok(match tail {
                    Tail::Stopped { .. } => Tail::Clean,
                    tail => tail,
                })
            }
            Version::V1 => {
                file.seek(SeekFrom::Start(start))?;
                let reader = BufReader::with_capacity(1 << 20, file);
                scan_v1(reader, start, file_len, &mut visit)
            }
        }
    }

    /// Moves a torn tail aside into `<journal>.torn-<offset>` (nothing is
    /// thrown away) and cuts the journal back to its last whole record.
    pub fn set_aside_tail(&mut self, at: u64) -> io::Result<PathBuf> {
        let aside = copy_out(&self.path, at, u64::MAX, "torn")?;
        self.file.set_len(at)?;
        self.file.sync_all()?;
        self.len = at;
        Ok(aside)
    }
}

/// Rewrites a journal as version 2 from the records `keep` lets through,
/// in order: the new file is written beside it and made durable, the old
/// one is renamed to `<journal>.<what>` (kept, never deleted), and the new
/// one takes its place. `seqs` gives a version 1 record's event range.
pub fn rewrite(
    path: &Path,
    what: &str,
    seqs: impl Fn(&[u8]) -> (u64, u64),
    mut keep: impl FnMut(&Record) -> bool,
) -> io::Result<PathBuf> {
    let old = Journal::open_read(path)?;
    let fresh = path.with_extension("new");
    let _ = std::fs::remove_file(&fresh);
    let mut out = Journal::create(&fresh)?;
    let mut buf = io::BufWriter::with_capacity(1 << 20, &out.file);
    let mut len = HEADER_LEN;
    old.survey(0, |item| {
        if let Item::Record(r) = item
            && keep(&r)
        {
            let (first, last) = if old.version == Version::V1 {
                seqs(r.payload)
            } else {
                (r.first, r.last)
            };
            let framed = frame(r.payload, first, last);
            len += framed.len() as u64;
            buf.write_all(&framed)?;
        }
        Ok(())
    })?;
    buf.flush()?;
    drop(buf);
    out.file.sync_all()?;
    out.len = len;
    let mut kept = path.with_extension(what);
    let mut n = 1;
    while kept.exists() {
        n += 1;
        kept = path.with_extension(format!("{what}-{n}"));
    }
    std::fs::rename(path, &kept)?;
    std::fs::rename(&fresh, path)?;
    sync_dir(path)?;
    Ok(kept)
}

/// The first and last event sequence of a record.
pub type EventRange = (u64, u64);

/// Up to `bytes` bytes of a file from `at` on, with the event range of a
/// valid record header at `at`, if there is one (for the floors under the
/// counters: what bytes set aside may have given out).
pub fn bytes_at(path: &Path, at: u64, bytes: u64) -> io::Result<(Option<EventRange>, Vec<u8>)> {
    let mut src = File::open(path)?;
    src.seek(SeekFrom::Start(at))?;
    let mut buf = Vec::new();
    src.take(bytes.min(MAX_PAYLOAD as u64 + 2 * FRAME))
        .read_to_end(&mut buf)?;
    let seqs = (buf.len() >= FRAME as usize)
        .then(|| frame::parse_header(&buf))
        .filter(|h| h.valid)
        .map(|h| (h.first, h.last));
    Ok((seqs, buf))
}

/// Copies bytes `[at, at + bytes)` of a file into `<file>.<what>-<at>`
/// (never overwriting an earlier copy) and makes the copy durable.
pub fn copy_out(path: &Path, at: u64, bytes: u64, what: &str) -> io::Result<PathBuf> {
    let mut aside = path.with_extension(format!("{what}-{at}"));
    let mut n = 1;
    while aside.exists() {
        n += 1;
        aside = path.with_extension(format!("{what}-{at}-{n}"));
    }
    let mut src = File::open(path)?;
    src.seek(SeekFrom::Start(at))?;
    let mut out = File::create(&aside)?;
    io::copy(&mut src.take(bytes), &mut out)?;
    out.sync_all()?;
    sync_dir(&aside)?;
    Ok(aside)
}

/// The version 1 scan: `[len][crc32][payload]` records; the first bad one
/// ends the journal (version 1 records cannot be found again after it).
fn scan_v1<R: Read>(
    mut reader: R,
    start: u64,
    file_len: u64,
    visit: &mut impl FnMut(Item) -> io::Result<ControlFlow<()>>,
) -> io::Result<Tail> {
    let mut pos = start;
    let mut number = 0;
    loop {
        if pos == file_len {
            return Ok(Tail::Clean);
        }
        let rest = file_len - pos;
        let torn = Tail::Torn { at: pos, bytes: rest };
        if rest < 8 {
            return Ok(torn);
        }
        let mut head = [0u8; 8];
        reader.read_exact(&mut head)?;
        let len = u32_at(&head, 0) as u64;
        if len == 0 || len > MAX_PAYLOAD as u64 * 8 || len > rest - 8 {
            return Ok(torn);
        }
        let mut payload = vec![0u8; len as usize];
        reader.read_exact(&mut payload)?;
        if crc32fast::hash(&payload) != u32_at(&head, 4) {
            return Ok(torn);
        }
        number += 1;
        let end = pos + 8 + len;
        if visit(Item::Record(Record {
            start: pos,
            end,
            number,
            first: 0,
            last: 0,
            payload: &payload,
        }))?
        .is_break()
        {
            return Ok(Tail::Clean);
        }
        pos = end;
    }
}

#[cfg(test)]
mod tests {
    use super::super::frame::testing::{append, flip, only_torn, second_damaged};
    use super::*;

    fn records(j: &Journal) -> (Vec<Vec<u8>>, Vec<Damage>, Tail) {
        let mut recs = Vec::new();
        let mut damage = Vec::new();
        let tail = j
            .survey(0, |item| {
                match item {
                    Item::Record(r) => recs.push(r.payload.to_vec()),
                    Item::Damaged(d) => damage.push(d),
                }
                Ok(())
            })
            .unwrap();
        (recs, damage, tail)
    }

    fn journal_with(path: &Path, payloads: &[&[u8]]) -> Vec<u64> {
        let mut j = Journal::create(path).unwrap();
        payloads
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let end = j.write(p, i as u64 + 1, i as u64 + 1).unwrap();
                j.sync().unwrap();
                end
            })
            .collect()
    }

    #[test]
    fn a_cut_record_at_the_end_is_a_torn_tail() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal");
        let ends = journal_with(&path, &[b"one", b"two"]);
        append(&path, &frame(b"three", 3, 3)[..20]);
        let mut j = Journal::open(&path).unwrap();
        let (recs, damage, tail) = records(&j);
        assert_eq!(recs, vec![b"one".to_vec(), b"two".to_vec()]);
        only_torn(&damage, tail, ends[1], 20);
        let aside = j.set_aside_tail(ends[1]).unwrap();
        assert_eq!(std::fs::read(aside).unwrap().len(), 20);
        assert_eq!(records(&j).2, Tail::Clean);
    }

    #[test]
    fn zero_bytes_at_the_end_are_a_torn_tail() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal");
        let ends = journal_with(&path, &[b"one"]);
        append(&path, &[0u8; 8]);
        let (recs, damage, tail) = records(&Journal::open(&path).unwrap());
        assert_eq!(recs.len(), 1);
        only_torn(&damage, tail, ends[0], 8);
    }

    #[test]
    fn a_damaged_record_in_the_middle_is_reported_and_the_rest_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal");
        let ends = journal_with(&path, &[b"{\"a\":1}", b"{\"b\":2}", b"{\"c\":3}"]);
        flip(&path, ends[0] + 34, 0x01);
        let (recs, damage, tail) = records(&Journal::open(&path).unwrap());
        assert_eq!(recs, vec![b"{\"a\":1}".to_vec(), b"{\"c\":3}".to_vec()]);
        assert_eq!(damage, second_damaged(&ends, Some((2, 2))));
        assert_eq!(tail, Tail::Clean);
        // `scan` refuses to go past it.
        assert!(Journal::open(&path).unwrap().scan(0, |_| Ok(())).is_err());
    }

    #[test]
    fn a_flipped_bit_in_the_last_record_is_damage_not_a_torn_write() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal");
        let ends = journal_with(&path, &[b"{\"a\":1}", b"{\"b\":2}"]);
        flip(&path, std::fs::metadata(&path).unwrap().len() - 2, 0x40);
        let (recs, damage, tail) = records(&Journal::open(&path).unwrap());
        assert_eq!(recs.len(), 1);
        assert_eq!(tail, Tail::Clean);
        assert_eq!(damage[0].at, ends[0]);
        assert_eq!(damage[0].fields, Some((2, 2)));
    }

    #[test]
    fn the_writer_refuses_what_the_reader_would_refuse() {
        let dir = tempfile::tempdir().unwrap();
        let mut j = Journal::create(&dir.path().join("journal")).unwrap();
        let big = vec![b'x'; MAX_PAYLOAD + 1];
        assert!(j.write(&big, 1, 1).is_err());
        assert!(j.is_empty());
        let max = vec![b'x'; MAX_PAYLOAD];
        j.write(&max, 1, 1).unwrap();
        let (recs, damage, tail) = records(&j);
        assert_eq!((recs.len(), damage.len(), tail), (1, 0, Tail::Clean));
    }
}
