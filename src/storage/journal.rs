//! The journal: an append-only file of records, each `[len u32 LE][crc32 u32
//! LE][payload]`, fsynced per commit. It is the durability point of every
//! save and the source the database is rebuilt from.

use std::fs::{File, OpenOptions};
use std::io::{self, BufReader, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 10] = b"JIEDAI-J1\n";
pub const HEADER_LEN: u64 = MAGIC.len() as u64;
/// No single record is larger than this; a length above it means garbage.
const MAX_RECORD: u32 = 64 * 1024 * 1024;

pub struct Journal {
    path: PathBuf,
    file: File,
    len: u64,
}

/// One record read back, with the offset just past it.
pub struct Record {
    pub end: u64,
    pub payload: Vec<u8>,
}

/// What a scan found after the last good record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tail {
    Clean,
    /// Bytes that do not form a whole, valid record (a write cut short).
    Torn {
        at: u64,
        bytes: u64,
    },
}

impl Journal {
    /// Opens or creates the journal; a new file gets the header and is made
    /// durable together with its directory entry.
    pub fn open(path: &Path) -> io::Result<Journal> {
        let existed = path.exists();
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(path)?;
        let mut len = file.metadata()?.len();
        if !existed || len == 0 {
            file.write_all(MAGIC)?;
            file.sync_all()?;
            if let Some(dir) = path.parent() {
                File::open(dir)?.sync_all()?;
            }
            len = HEADER_LEN;
        } else {
            let mut head = [0u8; MAGIC.len()];
            file.seek(SeekFrom::Start(0))?;
            file.read_exact(&mut head)
                .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "journal header is truncated"))?;
            if &head != MAGIC {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "not a jiedai journal (bad header)",
                ));
            }
        }
        Ok(Journal {
            path: path.to_path_buf(),
            file,
            len,
        })
    }

    /// Opens an existing journal for reading only (another thread's view).
    pub fn open_read(path: &Path) -> io::Result<Journal> {
        let file = File::open(path)?;
        let len = file.metadata()?.len();
        Ok(Journal {
            path: path.to_path_buf(),
            file,
            len,
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

    /// Appends one record and fsyncs it. When this returns Ok the record
    /// survives a crash or power cut. Returns the offset just past it.
    pub fn append(&mut self, payload: &[u8]) -> io::Result<u64> {
        let end = self.write(payload)?;
        self.file.sync_data()?;
        Ok(end)
    }

    /// Writes one record without waiting for the disk (see `sync`).
    /// Returns the offset just past it.
    pub fn write(&mut self, payload: &[u8]) -> io::Result<u64> {
        let mut buf = Vec::with_capacity(payload.len() + 8);
        buf.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        buf.extend_from_slice(&crc32fast::hash(payload).to_le_bytes());
        buf.extend_from_slice(payload);
        if let Err(e) = self.file.write_all(&buf) {
            // Cut off whatever part of the record reached the file so that
            // the next append does not follow a torn record.
            let _ = self.file.set_len(self.len);
            return Err(e);
        }
        self.len += buf.len() as u64;
        Ok(self.len)
    }

    /// Waits until everything written is on the disk.
    pub fn sync(&self) -> io::Result<()> {
        self.file.sync_data()
    }

    /// Whether a whole, valid record starts at `start` and ends at `end`.
    pub fn has_record(&self, start: u64, end: u64) -> bool {
        let mut found = false;
        let _ = self.scan(start, |r| {
            found = r.end == end;
            Err(io::Error::other("one record is enough"))
        });
        found
    }

    /// Reads every whole, valid record from `from` on. Stops at the first
    /// record that is cut short or fails its checksum and reports it.
    /// (Tests only: the program streams with `scan`.)
    #[cfg(test)]
    pub fn read_from(&self, from: u64) -> io::Result<(Vec<Record>, Tail)> {
        let mut records = Vec::new();
        let tail = self.scan(from, |r| {
            records.push(r);
            Ok(())
        })?;
        Ok((records, tail))
    }

    /// Streams records from `from` to `visit`, in order.
    pub fn scan(&self, from: u64, mut visit: impl FnMut(Record) -> io::Result<()>) -> io::Result<Tail> {
        let mut file = File::open(&self.path)?;
        let file_len = file.metadata()?.len();
        let start = from.max(HEADER_LEN);
        if start > file_len {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("journal is shorter ({file_len} bytes) than the database says ({start})"),
            ));
        }
        file.seek(SeekFrom::Start(start))?;
        let mut reader = BufReader::with_capacity(1 << 20, file);
        let mut pos = start;
        loop {
            if pos == file_len {
                return Ok(Tail::Clean);
            }
            let torn = Tail::Torn {
                at: pos,
                bytes: file_len - pos,
            };
            if file_len - pos < 8 {
                return Ok(torn);
            }
            let mut head = [0u8; 8];
            reader.read_exact(&mut head)?;
            let len = u32::from_le_bytes([head[0], head[1], head[2], head[3]]);
            let crc = u32::from_le_bytes([head[4], head[5], head[6], head[7]]);
            if len > MAX_RECORD || (len as u64) > file_len - pos - 8 {
                return Ok(torn);
            }
            let mut payload = vec![0u8; len as usize];
            reader.read_exact(&mut payload)?;
            if crc32fast::hash(&payload) != crc {
                return Ok(torn);
            }
            pos += 8 + len as u64;
            visit(Record { end: pos, payload })?;
        }
    }

    /// Moves a torn tail aside into `<journal>.torn-<offset>` (nothing is
    /// thrown away) and cuts the journal back to its last whole record.
    pub fn set_aside_tail(&mut self, at: u64) -> io::Result<PathBuf> {
        // A second torn tail at the same offset (a crash during the first
        // save after recovery) must not overwrite the first one.
        let mut aside = self.path.with_extension(format!("torn-{at}"));
        let mut n = 1;
        while aside.exists() {
            n += 1;
            aside = self.path.with_extension(format!("torn-{at}-{n}"));
        }
        let mut src = File::open(&self.path)?;
        src.seek(SeekFrom::Start(at))?;
        let mut bytes = Vec::new();
        src.read_to_end(&mut bytes)?;
        let mut out = File::create(&aside)?;
        out.write_all(&bytes)?;
        out.sync_all()?;
        self.file.set_len(at)?;
        self.file.sync_all()?;
        self.len = at;
        Ok(aside)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn append_read_and_torn_tail() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal");
        let mut j = Journal::open(&path).unwrap();
        j.append(b"one").unwrap();
        let end = j.append(b"two").unwrap();
        drop(j);
        // A write cut short after the second record.
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(&[9, 0, 0, 0, 1, 2]).unwrap();
        drop(f);
        let mut j = Journal::open(&path).unwrap();
        let (recs, tail) = j.read_from(0).unwrap();
        assert_eq!(
            recs.iter().map(|r| r.payload.as_slice()).collect::<Vec<_>>(),
            vec![&b"one"[..], b"two"]
        );
        assert_eq!(tail, Tail::Torn { at: end, bytes: 6 });
        let aside = j.set_aside_tail(end).unwrap();
        assert_eq!(std::fs::read(aside).unwrap().len(), 6);
        assert_eq!(j.read_from(0).unwrap().1, Tail::Clean);
        j.append(b"three").unwrap();
        assert_eq!(j.read_from(end).unwrap().0[0].payload, b"three");
    }

    #[test]
    fn checksum_mismatch_stops_the_scan() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("journal");
        let mut j = Journal::open(&path).unwrap();
        let first = j.append(b"good").unwrap();
        j.append(b"flipped").unwrap();
        let mut bytes = std::fs::read(&path).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 0xff;
        std::fs::write(&path, bytes).unwrap();
        let (recs, tail) = Journal::open(&path).unwrap().read_from(0).unwrap();
        assert_eq!(recs.len(), 1);
        assert!(matches!(tail, Tail::Torn { at, .. } if at == first));
    }
}
