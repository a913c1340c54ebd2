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
use std::ops::Bound;
use std::path::Path;

use super::catalog_cache;
use super::journal::Journal;
use super::keys::{CODE_FAMILIES, code_of_key};
use super::projection::Staged;
use super::{Finding, PROJECTION_VERSION, StoreError, keys, open_sled, record};
use crate::domain::catalog::CatalogRow;
use crate::domain::{Event, EventBody};

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
        _ => crate::domain::history::appeal_code(event),
    }
}

fn read_batch(payload: &[u8]) -> Result<record::Decoded, serde_json::Error> {
    record::decode(payload)
}

/// Splits the codes the journal creates into parts of about `PART_CODES`,
/// on day boundaries (the first six digits of a code), plus the global part.
pub fn plan(journal: &Journal, per_part: usize) -> Result<Vec<Part>, StoreError> {
    let mut per_day: BTreeMap<String, usize> = BTreeMap::new();
    journal
        .scan(0, |record| {
            if let Ok(batch) = read_batch(record.payload) {
                for event in &batch.events {
                    if matches!(
                        event.body,
                        EventBody::AppealStepped { .. }
                            | EventBody::AccessKeyIssued { .. }
                            | EventBody::CountyStepped { .. }
                    ) {
                        continue;
                    }
                    if let Some(code) = code_of_event(event) {
                        *per_day.entry(code.chars().take(6).collect()).or_insert(0) += 1;
                    }
                }
            }
            Ok(())
        })
        .map_err(|e| StoreError::io(journal.path(), e))?;
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
    Ok(parts)
}

/// What a part's replay found.
pub struct Replayed {
    /// The part's keys as a replay of the journal makes them.
    pub state: BTreeMap<Vec<u8>, Vec<u8>>,
    /// Events that could not be applied, and records that do not parse
    /// (the latter only in the global part, so each is said once).
    pub problems: Vec<Finding>,
    pub records: usize,
    pub events: usize,
}

/// Replays the whole journal, keeping the keys of `part`; `origin` is
/// this terminal's (whose numbering and chain the global part carries).
pub fn replay(
    journal: &Journal,
    part: &Part,
    origin: &str,
    progress: &mut dyn FnMut(u64),
) -> Result<Replayed, StoreError> {
    let mut heads = record::Heads::new(origin.to_string());
    let mut out = Replayed {
        state: BTreeMap::new(),
        problems: Vec::new(),
        records: 0,
        events: 0,
    };
    journal
        .scan(0, |record| {
            let batch = match read_batch(record.payload) {
                Ok(b) => b,
                Err(e) => {
                    if *part == Part::Global {
                        out.problems.push(Finding::BadRecord {
                            number: record.number,
                            offset: record.start,
                            detail: e.to_string(),
                        });
                    }
                    return Ok(());
                }
            };
            out.records += 1;
            out.events += batch.events.len();
            let ops = {
                let mut staged = Staged::new(&out.state);
                for event in &batch.events {
                    let code = code_of_event(event);
                    let take = match part {
                        // Steps and keys touch only their appeal's keys.
                        Part::Global => !matches!(
                            event.body,
                            EventBody::AppealStepped { .. }
                                | EventBody::AccessKeyIssued { .. }
                                | EventBody::CountyStepped { .. }
                        ),
                        codes => code.is_some_and(|c| codes.holds(c)),
                    };
                    if !take {
                        continue;
                    }
                    if let Err(e) = staged.apply(event) {
                        // Each event is judged in the part of its code. A
                        // county event about an appeal this station does
                        // not hold is kept and changes nothing, by rule.
                        if (*part != Part::Global || code.is_none()) && !event.id.is_county() {
                            out.problems.push(Finding::BadEvent {
                                origin: event.id.origin.clone(),
                                seq: event.id.seq,
                                error: e,
                            });
                        }
                    }
                }
                staged.ops()
            };
            for (k, v) in ops {
                if part.owns(&k) {
                    match v {
                        Some(v) => out.state.insert(k, v),
                        None => out.state.remove(&k),
                    };
                }
            }
            if *part == Part::Global {
                // What `Store::batch` writes beside the projections.
                for (k, v) in heads.advance(&batch.events, &batch.raws) {
                    out.state.insert(k, v);
                }
                out.state
                    .insert(keys::APPLIED.to_vec(), record.end.to_be_bytes().to_vec());
                out.state
                    .insert(keys::APPLIED_FROM.to_vec(), record.start.to_be_bytes().to_vec());
                out.state.insert(
                    keys::PROJECTIONS.to_vec(),
                    PROJECTION_VERSION.to_be_bytes().to_vec(),
                );
            }
            progress(record.end);
            Ok(())
        })
        .map_err(|e| StoreError::io(journal.path(), e))?;
    Ok(out)
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
        (codes, Keys::Records) => [keys::APPEAL, keys::CATALOG, keys::VISIT]
            .into_iter()
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
                if av.as_ref() != wv.as_slice() {
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
