//! `check`'s replay and comparison, part by part, so that its memory is
//! bounded by a part and not by the station.
//!
//! sled keeps a record of every page a scan has touched for as long as the
//! database is open, whatever its cache size, so one pass over a large
//! database (or a scratch replay of one) costs memory in proportion to the
//! station. Instead the station's tracking codes are split into ranges of
//! a few thousand; for each range the journal is replayed into memory,
//! keeping only the keys of that range, and compared with the same keys of
//! the database, which is opened afresh for each part. Keys that belong to
//! no code (station, deputies, duty, counters, metadata) form one more
//! part. This works because applying an event reads only keys of its own
//! code and keys that belong to no code (see `projection::Staged::apply`).

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::ops::Bound;
use std::path::{Path, PathBuf};

use super::journal::Journal;
use super::keys::{CODE_FAMILIES, code_of_key};
use super::projection::{Kv, KvError, Staged, appeal_entries};
use super::{Finding, PROJECTION_VERSION, StoreError, keys, open_sled, record};
use super::{catalog_cache, codec};
use crate::domain::catalog::CatalogRow;
use crate::domain::{Appeal, Event, EventBody};

/// Codes (appeals and visits) per part.
pub const PART_CODES: usize = 6_000;

/// Index keys read per opening of the database.
pub const INDEX_KEYS_PER_OPEN: usize = 60_000;

/// One part of the check: the keys of no code, or of codes in a range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    Global,
    /// Codes from `lo` (inclusive) to `hi` (exclusive; none = to the end).
    Codes {
        lo: String,
        hi: Option<String>,
    },
}

impl Part {
    fn holds(&self, code: &str) -> bool {
        match self {
            Part::Global => false,
            Part::Codes { lo, hi } => code >= lo.as_str() && hi.as_deref().is_none_or(|h| code < h),
        }
    }

    /// Whether `key` belongs to this part.
    fn owns(&self, key: &[u8]) -> bool {
        match (self, code_of_key(key)) {
            (Part::Global, code) => code.is_none(),
            (part, Some(code)) => part.holds(code),
            (_, None) => false,
        }
    }
}

/// The code an event is about, if any.
fn code_of_event(event: &Event) -> Option<&str> {
    match &event.body {
        EventBody::VisitRegistered { visit } => Some(visit.code.as_str()),
        EventBody::Relayed {
            code: None,
            event: Some(inner),
            ..
        } => code_of_event(inner),
        _ => crate::domain::history::appeal_code(event),
    }
}

fn read_batch(payload: &[u8]) -> Result<record::Decoded, serde_json::Error> {
    record::decode(payload)
}

/// Whether an event touches only its appeal's keys (so the global part
/// leaves it out).
fn only_its_appeal(event: &Event) -> bool {
    matches!(
        event.body,
        EventBody::AppealStepped { .. }
            | EventBody::AccessKeyIssued { .. }
            | EventBody::CountyStepped { .. }
            | EventBody::Relayed { code: Some(_), .. }
    )
}

/// Whether an event brings a new appeal (counted to size the parts).
fn brings_appeal(event: &Event) -> bool {
    match &event.body {
        EventBody::AppealRegistered { .. } | EventBody::AppealImported { .. } => true,
        EventBody::Relayed {
            event: Some(inner), ..
        } => brings_appeal(inner),
        _ => false,
    }
}

/// Parts at most: past this many, parts grow instead (each part's events
/// wait in a file of their own while the journal is read).
pub const MAX_PARTS: usize = 256;

/// Splits codes into parts of about `per_part` (counted per day, the first
/// six digits of a code), on day boundaries, plus the global part.
fn plan(per_day: BTreeMap<String, usize>, per_part: usize) -> Vec<Part> {
    let all: usize = per_day.values().sum();
    let per_part = per_part.max(all / MAX_PARTS + 1);
    let mut bounds = Vec::new();
    let mut filled = 0usize;
    for (day, n) in per_day {
        if filled >= per_part {
            bounds.push(day);
            filled = 0;
        }
        filled += n;
    }
    let mut parts = vec![Part::Global];
    let mut lo = String::new();
    for b in bounds {
        parts.push(Part::Codes {
            lo: std::mem::replace(&mut lo, b.clone()),
            hi: Some(b),
        });
    }
    parts.push(Part::Codes { lo, hi: None });
    parts
}

/// What a part's replay found.
pub struct Replayed {
    /// The part's keys as a replay of the journal makes them.
    pub state: BTreeMap<Vec<u8>, Vec<u8>>,
    /// The part's appeals, decoded while the replay runs and encoded into
    /// `state` once at its end (`settle`).
    appeals: BTreeMap<String, Appeal>,
    /// Events that could not be applied, and records that do not parse
    /// (the latter only in the global part, so each is said once).
    pub problems: Vec<Finding>,
    pub records: usize,
    pub events: usize,
}

impl Replayed {
    fn new() -> Replayed {
        Replayed {
            state: BTreeMap::new(),
            appeals: BTreeMap::new(),
            problems: Vec::new(),
            records: 0,
            events: 0,
        }
    }

    /// Applies one record's events of `part` (all of them in their order)
    /// and keeps the keys the part owns.
    fn apply(&mut self, part: &Part, events: &[&Event]) {
        let mut problems = Vec::new();
        let (ops, appeals) = {
            let mut staged = Staged::new(&*self);
            for event in events {
                if let Err(e) = staged.apply(event) {
                    // Each event is judged in the part of its code. A
                    // county event about an appeal this station does
                    // not hold is kept and changes nothing, by rule.
                    if (*part != Part::Global || code_of_event(event).is_none()) && !event.id.is_county() {
                        problems.push(Finding::BadEvent {
                            origin: event.id.origin.clone(),
                            seq: event.id.seq,
                            error: e,
                        });
                    }
                }
            }
            staged.into_parts()
        };
        self.problems.extend(problems);
        for (k, v) in ops {
            if part.owns(&k) {
                match v {
                    Some(v) => self.state.insert(k, v),
                    None => self.state.remove(&k),
                };
            }
        }
        for (code, appeal) in appeals {
            if part.holds(&code) {
                self.appeals.insert(code, appeal);
            }
        }
    }

    /// Writes the appeals into the state under the keys a commit writes
    /// them, their values plain (`compare` compares them inflated).
    fn settle(&mut self) {
        for appeal in std::mem::take(&mut self.appeals).values() {
            self.state
                .extend(appeal_entries(appeal, codec::encode_plain::<Appeal>));
        }
    }
}

impl Kv for Replayed {
    fn get(&self, key: &[u8]) -> Result<Option<Vec<u8>>, KvError> {
        Ok(self.state.get(key).cloned())
    }

    fn held_appeal(&self, code: &str) -> Option<Option<&Appeal>> {
        Some(self.appeals.get(code))
    }
}

/// The one pass over the journal: the global part replayed, and the
/// events of every code part set aside, each part's in a file of its own
/// (the events' bytes as the journal keeps them), in journal order.
pub struct Pass {
    /// Every part, the global one first, in code order.
    pub parts: Vec<Part>,
    /// The global part's replay, with the journal's counts and every
    /// record that does not parse.
    pub global: Replayed,
    spill: tempfile::TempDir,
    /// Bytes set aside per code part (`parts[i + 1]`).
    sizes: Vec<u64>,
}

/// A file of events set aside: records, each `n` (u32 BE), the journal
/// offset its record ends at (u64 BE), then `n` events, each its length
/// (u32 BE) and bytes; in the file of every part, each event is preceded
/// by its code (length u16 BE, then bytes).
struct SpillWriter(std::io::BufWriter<File>);

impl SpillWriter {
    fn create(path: &Path) -> io::Result<SpillWriter> {
        Ok(SpillWriter(std::io::BufWriter::with_capacity(
            1 << 15,
            File::create(path)?,
        )))
    }

    fn record(&mut self, n: usize, end: u64) -> io::Result<()> {
        self.0.write_all(&(n as u32).to_be_bytes())?;
        self.0.write_all(&end.to_be_bytes())
    }

    fn code(&mut self, code: &str) -> io::Result<()> {
        self.0.write_all(&(code.len() as u16).to_be_bytes())?;
        self.0.write_all(code.as_bytes())
    }

    fn event(&mut self, raw: &[u8]) -> io::Result<()> {
        self.0.write_all(&(raw.len() as u32).to_be_bytes())?;
        self.0.write_all(raw)
    }

    fn finish(self) -> io::Result<()> {
        self.0.into_inner().map_err(|e| e.into_error()).map(drop)
    }
}

/// Reads back what `SpillWriter` wrote.
struct SpillReader {
    file: std::io::BufReader<File>,
    read: u64,
}

impl SpillReader {
    fn open(path: &Path) -> io::Result<SpillReader> {
        Ok(SpillReader {
            file: std::io::BufReader::with_capacity(1 << 16, File::open(path)?),
            read: 0,
        })
    }

    fn exact(&mut self, buf: &mut [u8]) -> io::Result<()> {
        self.file.read_exact(buf)?;
        self.read += buf.len() as u64;
        Ok(())
    }

    /// The next record's event count and end offset; none at the end.
    fn record(&mut self) -> io::Result<Option<(usize, u64)>> {
        let mut head = [0u8; 12];
        match self.file.read_exact(&mut head) {
            Ok(()) => self.read += 12,
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(None),
            Err(e) => return Err(e),
        }
        let n = u32::from_be_bytes(head[..4].try_into().unwrap_or_default());
        let end = u64::from_be_bytes(head[4..].try_into().unwrap_or_default());
        Ok(Some((n as usize, end)))
    }

    fn code(&mut self, buf: &mut Vec<u8>) -> io::Result<()> {
        let mut len = [0u8; 2];
        self.exact(&mut len)?;
        buf.resize(u16::from_be_bytes(len) as usize, 0);
        self.exact(buf)
    }

    fn event(&mut self, buf: &mut Vec<u8>) -> io::Result<()> {
        let mut len = [0u8; 4];
        self.exact(&mut len)?;
        buf.resize(u32::from_be_bytes(len) as usize, 0);
        self.exact(buf)
    }
}

/// Reads and parses the journal once (see `Pass`), with parts of about
/// `per_part` codes; `origin` is this terminal's (whose numbering and
/// chain the global part carries). `progress` gets the journal offset
/// reached, then, while the events are sorted into their parts, the
/// journal's length and the share of them done (as much again at most).
pub fn read_journal(
    journal: &Journal,
    origin: &str,
    per_part: usize,
    progress: &mut dyn FnMut(u64),
) -> Result<Pass, StoreError> {
    let tmp = std::env::temp_dir();
    let spill = tempfile::Builder::new()
        .prefix("jiedai-check-")
        .tempdir()
        .map_err(|e| StoreError::io(&tmp, e))?;
    let at_spill = |e: io::Error| StoreError::io(spill.path(), e);
    let all_path = spill.path().join("all");
    let mut all = SpillWriter::create(&all_path).map_err(at_spill)?;
    let mut heads = record::Heads::new(origin.to_string());
    let mut global = Replayed::new();
    let mut per_day: BTreeMap<String, usize> = BTreeMap::new();
    journal
        .scan(0, |record| {
            let batch = match read_batch(record.payload) {
                Ok(b) => b,
                Err(e) => {
                    global.problems.push(Finding::BadRecord {
                        number: record.number,
                        offset: record.start,
                        detail: e.to_string(),
                    });
                    return Ok(());
                }
            };
            global.records += 1;
            global.events += batch.events.len();
            let taken: Vec<&Event> = batch.events.iter().filter(|e| !only_its_appeal(e)).collect();
            global.apply(&Part::Global, &taken);
            // What `Store::batch` writes beside the projections.
            for (k, v) in heads.advance(&batch.events, &batch.raws) {
                global.state.insert(k, v);
            }
            global
                .state
                .insert(keys::APPLIED.to_vec(), record.end.to_be_bytes().to_vec());
            global
                .state
                .insert(keys::APPLIED_FROM.to_vec(), record.start.to_be_bytes().to_vec());
            global.state.insert(
                keys::PROJECTIONS.to_vec(),
                PROJECTION_VERSION.to_be_bytes().to_vec(),
            );
            let coded: Vec<(&str, &str)> = batch
                .events
                .iter()
                .zip(&batch.raws)
                .filter_map(|(event, raw)| {
                    let code = code_of_event(event)?;
                    if !only_its_appeal(event) || brings_appeal(event) {
                        *per_day.entry(code.chars().take(6).collect()).or_insert(0) += 1;
                    }
                    Some((code, raw.get()))
                })
                .collect();
            if !coded.is_empty() {
                all.record(coded.len(), record.end)?;
                for (code, raw) in coded {
                    all.code(code)?;
                    all.event(raw.as_bytes())?;
                }
            }
            progress(record.end);
            Ok(())
        })
        .map_err(|e| StoreError::io(journal.path(), e))?;
    all.finish().map_err(at_spill)?;
    let parts = plan(per_day, per_part);
    let len = journal.len();
    let sizes =
        split(&all_path, spill.path(), &parts, len, &mut |at| progress(len + at)).map_err(at_spill)?;
    let _ = fs::remove_file(&all_path);
    Ok(Pass {
        parts,
        global,
        spill,
        sizes,
    })
}

/// The file of code part `i` (`parts[i + 1]`).
fn part_file(dir: &Path, i: usize) -> PathBuf {
    dir.join(format!("part-{i}"))
}

/// Sorts the events set aside into one file per code part, keeping each
/// record's events together; returns the bytes of each part's file.
fn split(
    all: &Path,
    dir: &Path,
    parts: &[Part],
    len: u64,
    progress: &mut dyn FnMut(u64),
) -> io::Result<Vec<u64>> {
    let bounds: Vec<&str> = parts[1..]
        .iter()
        .skip(1)
        .filter_map(|p| match p {
            Part::Codes { lo, .. } => Some(lo.as_str()),
            Part::Global => None,
        })
        .collect();
    let mut out = (0..parts.len() - 1)
        .map(|i| SpillWriter::create(&part_file(dir, i)))
        .collect::<io::Result<Vec<_>>>()?;
    let mut sizes = vec![0u64; out.len()];
    let total = fs::metadata(all)?.len().max(1);
    let mut input = SpillReader::open(all)?;
    let mut code = Vec::new();
    let mut events: Vec<(usize, Vec<u8>)> = Vec::new();
    while let Some((n, end)) = input.record()? {
        events.clear();
        for _ in 0..n {
            input.code(&mut code)?;
            let c = std::str::from_utf8(&code).unwrap_or_default();
            let i = bounds.partition_point(|b| *b <= c);
            let mut raw = Vec::new();
            input.event(&mut raw)?;
            events.push((i, raw));
        }
        let mut touched: Vec<usize> = events.iter().map(|(p, _)| *p).collect();
        touched.sort_unstable();
        touched.dedup();
        for i in touched {
            let mine = events.iter().filter(|(p, _)| *p == i);
            out[i].record(mine.clone().count(), end)?;
            sizes[i] += 12;
            for (_, raw) in mine {
                out[i].event(raw)?;
                sizes[i] += 4 + raw.len() as u64;
            }
        }
        progress(len.saturating_mul(input.read) / total);
    }
    for w in out {
        w.finish()?;
    }
    Ok(sizes)
}

impl Pass {
    /// Bytes set aside for all code parts.
    pub fn spilled(&self) -> u64 {
        self.sizes.iter().sum()
    }

    /// Bytes set aside for `parts[index]`.
    pub fn size(&self, index: usize) -> u64 {
        index
            .checked_sub(1)
            .and_then(|i| self.sizes.get(i))
            .copied()
            .unwrap_or(0)
    }

    /// Replays code part `parts[index]` from the events set aside for it;
    /// `progress` gets the bytes of them read.
    pub fn replay(&self, index: usize, progress: &mut dyn FnMut(u64)) -> Result<Replayed, StoreError> {
        let part = &self.parts[index];
        let mut out = Replayed::new();
        if index == 0 {
            return Ok(out);
        }
        let path = part_file(self.spill.path(), index - 1);
        let err = |e: io::Error| StoreError::io(&path, e);
        let mut input = SpillReader::open(&path).map_err(err)?;
        let mut raw = Vec::new();
        let mut events = Vec::new();
        while let Some((n, _)) = input.record().map_err(err)? {
            events.clear();
            for _ in 0..n {
                input.event(&mut raw).map_err(err)?;
                let event: Event = serde_json::from_slice(&raw).map_err(|e| err(e.into()))?;
                events.push(event);
            }
            out.apply(part, &events.iter().collect::<Vec<_>>());
            progress(input.read);
        }
        out.settle();
        Ok(out)
    }
}

/// A key range of the database, and whether its keys must be filtered
/// by part (index keys, which do not sort by code).
type Range = (Bound<Vec<u8>>, Bound<Vec<u8>>, bool);

/// Which keys of a part a comparison covers. Index keys do not sort by
/// code, so a part's index keys are scattered over the whole index family;
/// scanning it once per part would cost memory in proportion to the
/// station again. They are compared as a whole instead, by a digest (see
/// `Digest`), and by part only to name what differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Keys {
    /// Everything but the index family.
    Records,
    /// Only the index family.
    Index,
}

impl Keys {
    fn covers(self, key: &[u8]) -> bool {
        key.starts_with(keys::INDEX.as_bytes()) == (self == Keys::Index)
    }
}

/// The key ranges of the database that hold `part`'s `which` keys, in key
/// order.
fn ranges(part: &Part, which: Keys) -> Vec<Range> {
    match (part, which) {
        (Part::Global, Keys::Index) => Vec::new(),
        (Part::Global, Keys::Records) => {
            // Everything between the code families.
            let mut out = Vec::new();
            let mut from = Bound::Unbounded;
            for family in CODE_FAMILIES {
                out.push((from, Bound::Excluded(family.as_bytes().to_vec()), false));
                from = Bound::Included(family_end(family));
            }
            out.push((from, Bound::Unbounded, false));
            out
        }
        (codes, Keys::Index) => vec![family_range(codes, keys::INDEX)],
        (codes, Keys::Records) => CODE_FAMILIES
            .iter()
            .filter(|family| **family != keys::INDEX)
            .map(|family| family_range(codes, family))
            .collect(),
    }
}

/// The first key after every key of `family` (the byte after its '/').
fn family_end(family: &str) -> Vec<u8> {
    let mut end = family.as_bytes().to_vec();
    if let Some(last) = end.last_mut() {
        *last += 1;
    }
    end
}

/// The range of `family` that holds a code part's keys. Index keys sort by
/// what they index, not by code: the whole family, to be filtered.
fn family_range(part: &Part, family: &str) -> Range {
    match part {
        Part::Codes { lo, hi } if family != keys::INDEX => (
            Bound::Included(format!("{family}{lo}").into_bytes()),
            Bound::Excluded(
                hi.as_ref()
                    .map_or_else(|| family_end(family), |h| format!("{family}{h}").into_bytes()),
            ),
            false,
        ),
        _ => (
            Bound::Included(family.as_bytes().to_vec()),
            Bound::Excluded(family_end(family)),
            true,
        ),
    }
}

/// An order-free digest of a set of keys and values: two sets with the
/// same digest are, but for a 2^-64 chance, the same set.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Digest {
    pub count: u64,
    sum: u64,
    xor: u64,
}

impl Digest {
    pub fn add(&mut self, key: &[u8], value: &[u8]) {
        use std::hash::{Hash, Hasher};
        let mut h = std::hash::DefaultHasher::new();
        (key, value).hash(&mut h);
        let a = h.finish();
        let mut h = std::hash::DefaultHasher::new();
        (value, key, 0x6a69_6564_6169u64).hash(&mut h);
        self.count += 1;
        self.sum = self.sum.wrapping_add(a);
        self.xor ^= h.finish();
    }

    /// The digest of a part's index keys as the replay made them.
    pub fn add_index_of(&mut self, state: &BTreeMap<Vec<u8>, Vec<u8>>) {
        for (k, v) in state.range(keys::INDEX.as_bytes().to_vec()..) {
            if !k.starts_with(keys::INDEX.as_bytes()) {
                break;
            }
            self.add(k, v);
        }
    }

    /// The digest of the database's whole index family, read `per_open`
    /// keys at a time with the database opened afresh for each stretch.
    pub fn of_index(db: &Path, per_open: usize) -> Result<Digest, StoreError> {
        let mut d = Digest::default();
        let end = family_end(keys::INDEX);
        let mut from = Bound::Included(keys::INDEX.as_bytes().to_vec());
        loop {
            let tree = open_sled(db)?;
            let mut last = None;
            let mut read = 0;
            for kv in tree
                .range::<Vec<u8>, _>((from.clone(), Bound::Excluded(end.clone())))
                .take(per_open)
            {
                let (k, v) = kv.map_err(|e| StoreError::sled(db, e))?;
                d.add(&k, &v);
                last = Some(k.to_vec());
                read += 1;
            }
            match last {
                Some(k) if read == per_open => from = Bound::Excluded(k),
                _ => return Ok(d),
            }
        }
    }
}

/// Differences found so far, of which the first `LIMIT` are written out.
#[derive(Default)]
pub struct Differences {
    pub lines: Vec<Finding>,
    pub count: usize,
    pub keys: usize,
    pub appeals: usize,
}

impl Differences {
    const LIMIT: usize = 50;

    fn note(&mut self, finding: fn(String) -> Finding, key: &[u8]) {
        self.count += 1;
        if self.count <= Self::LIMIT {
            self.lines
                .push(finding(String::from_utf8_lossy(key).into_owned()));
        }
    }

    /// The closing line when some differences were not written out.
    pub fn more(&self) -> Option<Finding> {
        (self.count > Self::LIMIT).then(|| Finding::More {
            count: self.count - Self::LIMIT,
        })
    }
}

/// Compares `part`'s keys in the database at `db` with a replay's.
pub fn compare(
    tree: &sled::Db,
    db: &Path,
    part: &Part,
    which: Keys,
    wanted: &BTreeMap<Vec<u8>, Vec<u8>>,
    diff: &mut Differences,
) -> Result<(), StoreError> {
    let mut actual = ranges(part, which).into_iter().flat_map(|(from, to, filter)| {
        tree.range::<Vec<u8>, _>((from, to))
            .filter(move |kv| !filter || kv.as_ref().map_or(true, |(k, _)| part.owns(k)))
    });
    let mut wanted = wanted.iter().filter(|(k, _)| which.covers(k));
    let mut next_actual = || actual.next().transpose().map_err(|e| StoreError::sled(db, e));
    let mut a = next_actual()?;
    let mut w = wanted.next();
    loop {
        use std::cmp::Ordering;
        // Merge the two sorted streams; a side that has ended sorts last.
        let order = match (&a, w) {
            (None, None) => break,
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (Some((ak, _)), Some((wk, _))) => ak.as_ref().cmp(wk.as_slice()),
        };
        match (order, &a, w) {
            (Ordering::Equal, Some((ak, av)), Some((_, wv))) => {
                diff.keys += 1;
                if ak.starts_with(keys::APPEAL.as_bytes()) {
                    diff.appeals += 1;
                }
                // An appeal's replayed value is plain, the stored one
                // deflated: they are the same when they inflate the same.
                let same = if ak.starts_with(keys::APPEAL.as_bytes()) {
                    codec::same(av, wv)
                } else {
                    av.as_ref() == wv.as_slice()
                };
                if !same {
                    diff.note(|key| Finding::Differs { key }, ak);
                }
                a = next_actual()?;
                w = wanted.next();
            }
            (Ordering::Less, Some((ak, _)), _) => {
                diff.keys += 1;
                diff.note(|key| Finding::OnlyInDatabase { key }, ak);
                a = next_actual()?;
            }
            (_, _, Some((wk, _))) => {
                diff.note(|key| Finding::MissingFromDatabase { key }, wk);
                w = wanted.next();
            }
            (_, _, None) => unreachable!("ordered above"),
        }
    }
    Ok(())
}

/// The digest of every row of the catalog cache, and the journal offset
/// the cache says it is complete up to (none: missing or damaged). One
/// read of the cache, whatever the number of parts.
pub fn cache_digest(dir: &Path) -> Result<(Digest, Option<u64>), StoreError> {
    let path = catalog_cache::cache_path(dir);
    let mut d = Digest::default();
    let whole =
        catalog_cache::for_each_line(&path, |row| d.add(row.code.as_bytes(), row.to_line().as_bytes()))
            .map_err(|e| StoreError::io(&path, e))?;
    Ok((d, whole))
}

/// Adds the database's catalog rows of `part` to `d`, as `cache_digest`
/// counts the cache's.
pub fn add_catalog_of(d: &mut Digest, tree: &sled::Db, db: &Path, part: &Part) -> Result<(), StoreError> {
    let Part::Codes { .. } = part else {
        return Ok(());
    };
    let (from, to, _) = family_range(part, keys::CATALOG);
    for kv in tree.range::<Vec<u8>, _>((from, to)) {
        let (_, v) = kv.map_err(|e| StoreError::sled(db, e))?;
        if let Some(row) = std::str::from_utf8(&v).ok().and_then(CatalogRow::from_line) {
            d.add(row.code.as_bytes(), row.to_line().as_bytes());
        }
    }
    Ok(())
}

/// Compares the catalog cache's rows of `part` with the database's, when
/// the cache claims to be complete up to `applied`. One line at most.
pub fn verify_cache(
    dir: &Path,
    tree: &sled::Db,
    db: &Path,
    part: &Part,
    applied: u64,
) -> Result<Option<Finding>, StoreError> {
    let Part::Codes { .. } = part else {
        return Ok(None);
    };
    let path = catalog_cache::cache_path(dir);
    let mut cached: BTreeMap<String, CatalogRow> = BTreeMap::new();
    let whole = catalog_cache::for_each_line(&path, |row| {
        if part.holds(row.code.as_str()) {
            cached.insert(row.code.to_string(), row);
        }
    })
    .map_err(|e| StoreError::io(&path, e))?;
    if whole != Some(applied) {
        // Missing, damaged or behind: the kiosk catches it up at start.
        return Ok(None);
    }
    let mut stored: BTreeMap<String, CatalogRow> = BTreeMap::new();
    let (from, to, _) = family_range(part, keys::CATALOG);
    for kv in tree.range::<Vec<u8>, _>((from, to)) {
        let (_, v) = kv.map_err(|e| StoreError::sled(db, e))?;
        if let Some(row) = std::str::from_utf8(&v).ok().and_then(CatalogRow::from_line) {
            stored.insert(row.code.to_string(), row);
        }
    }
    let Some(first) = stored
        .iter()
        .find(|(code, row)| cached.get(*code) != Some(row))
        .or_else(|| cached.iter().find(|(code, _)| !stored.contains_key(*code)))
        .map(|(code, _)| code.clone())
    else {
        return Ok(None);
    };
    Ok(Some(Finding::CacheRow { path, code: first }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_belongs_to_exactly_one_part() {
        let parts = [
            Part::Global,
            Part::Codes {
                lo: String::new(),
                hi: Some("261110".into()),
            },
            Part::Codes {
                lo: "261110".into(),
                hi: None,
            },
        ];
        let code = "261110-330999012-10001-7";
        let early = "261020-330999012-10001-3";
        for key in [
            keys::appeal(code),
            keys::catalog(code),
            keys::visit(early),
            format!("i/s/referred/{code}").into_bytes(),
            format!("i/d/2026-12-01/{early}").into_bytes(),
            keys::STATION.to_vec(),
            keys::deputy("D001"),
            keys::issued("261110-330999012-1"),
            b"zz/unknown".to_vec(),
        ] {
            let owners = parts.iter().filter(|p| p.owns(&key)).count();
            assert_eq!(owners, 1, "{}", String::from_utf8_lossy(&key));
        }
    }

    #[test]
    fn global_ranges_skip_exactly_the_code_families() {
        let tmp = tempfile::tempdir().unwrap();
        let tree = sled::open(tmp.path()).unwrap();
        for k in ["a/1", "b/x", "i/s/x/1", "m/seq", "s/1", "t/", "v/1", "z"] {
            tree.insert(k, b"v").unwrap();
        }
        let got: Vec<String> = ranges(&Part::Global, Keys::Records)
            .into_iter()
            .flat_map(|(f, t, _)| tree.range::<Vec<u8>, _>((f, t)))
            .map(|kv| String::from_utf8(kv.unwrap().0.to_vec()).unwrap())
            .collect();
        assert_eq!(got, ["b/x", "m/seq", "t/", "z"]);
    }
}
