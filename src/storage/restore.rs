//! Recovery that keeps the terminal's event chain.
//!
//! The county holds a copy of every event a terminal synced, byte for byte
//! (and every event of its own feed). When the journal is lost, or an older
//! backup is put back, the county's copy is written back into the journal
//! exactly as it was uploaded, so the chain (`record`) comes out the same
//! and the next sync simply goes on. What the county never received (events
//! saved after the last sync, then lost) cannot be written back with the
//! same bytes: the terminal then continues as a new origin
//! (`domain::event::terminal_origin`, the generation in `terminal.toml`),
//! numbered from 1 as a renumbered terminal is, so the county never sees a
//! gap or a second history under the old numbers. `journal_from_database`
//! writes what the database holds beyond the county's copy as events of
//! that new origin.
//!
//! The network is not this module's: the caller fetches the copy
//! (`sync::client::county_copy`) and hands it over.

use std::collections::BTreeMap;
use std::fs;
use std::ops::ControlFlow;
use std::path::Path;

use chrono::{DateTime, FixedOffset};
use serde_json::value::RawValue;

use super::counters::Counters;
use super::journal::{self, Journal};
use super::projection::Staged;
use super::{
    LostWhy, OnProgress, Paths, Recovery, Store, StoreError, keys, open_sled, read_u64, record, take_lock,
};
use crate::domain::event::{CHAIN_GENESIS, chain_next, county_origin, terminal_origin};
use crate::domain::privacy::station_without_secrets;
use crate::domain::station::Staff;
use crate::domain::{Appeal, Duty, Event, EventBody, EventId, Station, Visit};

/// Staff PIN hashes by staff id, as some source at the station holds them.
type Pins = BTreeMap<String, String>;

/// The county's copy of one terminal's events and of the station's feed.
#[derive(Debug, Default)]
pub struct CountyCopy {
    /// The terminal's own events after sequence `own_after`, as uploaded.
    pub own: Vec<Box<RawValue>>,
    /// The chain hash after each of `own`, as the county holds it.
    pub hashes: Vec<String>,
    pub own_after: u64,
    /// The county's events for the station after `feed_after`.
    pub feed: Vec<Box<RawValue>>,
    pub feed_after: u64,
}

/// Where a journal leaves this terminal's numbering and the station's feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JournalHeads {
    pub station: String,
    pub terminal: u8,
    pub generation: u32,
    /// The terminal's last sequence in the journal (0: none or no journal).
    pub own: u64,
    /// The chain hash after it.
    pub chain: String,
    /// The last county feed sequence in the journal.
    pub feed: u64,
}

/// Reads how far the journal (if there is one) holds this terminal's
/// events and the county's feed. The station comes from `terminal.toml`,
/// else from the journal, else from the database.
pub fn journal_heads(dir: &Path) -> Result<JournalHeads, StoreError> {
    let paths = Paths::new(dir);
    let identity = super::read_terminal(&paths)?;
    let jpath = paths.journal();
    let journal = if jpath.exists() {
        Some(Journal::open_read(&jpath).map_err(|e| StoreError::io(&jpath, e))?)
    } else {
        None
    };
    let mut station = identity.station.clone();
    if station.is_none()
        && let Some(j) = &journal
    {
        j.scan_while(0, |rec| {
            let batch = record::decode(rec.payload).map_err(std::io::Error::other)?;
            for e in batch.events {
                if let EventBody::StationConfigured { station: s } = e.body {
                    station = Some(s.code);
                    return Ok(ControlFlow::Break(()));
                }
            }
            Ok(ControlFlow::Continue(()))
        })
        .map_err(|e| StoreError::io(&jpath, e))?;
    }
    if station.is_none() && paths.db().exists() {
        let tree = open_sled(&paths.db())?;
        station = tree
            .get(keys::STATION)
            .map_err(|e| StoreError::sled(&paths.db(), e))?
            .and_then(|v| super::codec::decode::<crate::domain::Station>(&v).ok())
            .map(|s| s.code);
    }
    let station = station.ok_or_else(|| StoreError::NoStation(dir.to_path_buf()))?;
    let origin = terminal_origin(&station, identity.terminal, identity.generation);
    let feed_origin = county_origin(&station);
    let mut heads = JournalHeads {
        station,
        terminal: identity.terminal,
        generation: identity.generation.max(1),
        own: 0,
        chain: CHAIN_GENESIS.to_string(),
        feed: 0,
    };
    if let Some(j) = &journal {
        j.scan(0, |rec| {
            for raw in record::decode_raw(rec.payload).map_err(std::io::Error::other)? {
                let id = record::event_id(&raw).map_err(std::io::Error::other)?;
                if id.origin == origin {
                    heads.chain = chain_next(&heads.chain, raw.get().as_bytes());
                    heads.own = heads.own.max(id.seq);
                } else if id.origin == feed_origin {
                    heads.feed = heads.feed.max(id.seq);
                }
            }
            Ok(())
        })
        .map_err(|e| StoreError::Journal {
            path: jpath.clone(),
            message: e.to_string(),
        })?;
    }
    Ok(heads)
}

/// What writing the county's copy into a journal did.
#[derive(Debug, Default)]
struct Appended {
    /// The terminal's last sequence written (as before when none).
    own: u64,
    own_events: u64,
    feed_events: u64,
    /// The county's copy did not continue the chain (from this sequence
    /// on nothing of it was written).
    forked_at: Option<u64>,
    /// Why: the event there is a station set-up the county keeps without
    /// PIN hashes, whose original bytes could not be put together again.
    forked_at_station: bool,
}

/// The bytes a station wrote for an event the county keeps without staff
/// PIN hashes (see `sync::protocol`, "Redacted events"), put together
/// again from `pins`; None when `raw` is no such event or no PIN of
/// `pins` belongs in it. Whether they are the original bytes is for the
/// chain hash the station attested to tell.
fn with_pins(raw: &RawValue, pins: &Pins) -> Option<Box<RawValue>> {
    if pins.is_empty() || !raw.get().contains("\"station_configured\"") {
        return None;
    }
    let mut event: Event = serde_json::from_str(raw.get()).ok()?;
    let EventBody::StationConfigured { station } = &mut event.body else {
        return None;
    };
    if station.staff.iter().any(Staff::has_pin) {
        return None;
    }
    let mut any = false;
    for person in &mut station.staff {
        if let Some(hash) = pins.get(&person.id) {
            person.pin_hash = Some(hash.clone());
            any = true;
        }
    }
    if !any {
        return None;
    }
    serde_json::value::to_raw_value(&event).ok()
}

/// The staff PIN hashes a station event of `station` may have held: as
/// `station` holds them (a database written by an earlier version) and as
/// `staff-pins.json` does, each a candidate of its own.
fn pin_sources(dir: &Path, station: Option<&Station>) -> Vec<Pins> {
    let mut out: Vec<Pins> = Vec::new();
    if let Some(station) = station {
        out.push(
            station
                .staff
                .iter()
                .filter_map(|s| Some((s.id.clone(), s.pin_hash.clone()?)))
                .collect(),
        );
    }
    // Only candidates: a file that cannot be read offers none.
    out.push(super::read_staff_pins(dir).unwrap_or_default());
    out.retain(|p| !p.is_empty());
    out.dedup();
    out
}

/// The time of an event, read from its bytes.
fn event_at(raw: &RawValue) -> Option<DateTime<FixedOffset>> {
    #[derive(serde::Deserialize)]
    struct AtOnly {
        at: DateTime<FixedOffset>,
    }
    serde_json::from_str::<AtOnly>(raw.get()).ok().map(|a| a.at)
}

/// Writes the county's copy into `out` after this terminal's event `own`
/// with chain hash `chain`: its own events byte for byte, each checked
/// against the county's chain hash, and the feed's events, the two merged
/// by time (a county step comes after the station's events made before
/// it). Records hold at most 500 events of one kind. A station set-up
/// event the county keeps without PIN hashes does not hash to the chain
/// the station attested: it is written as the station wrote it when one
/// of `pins` puts its original bytes together again (the hash tells).
fn append_copy(
    out: &mut Journal,
    origin: &str,
    feed_origin: &str,
    chain: &mut String,
    own: u64,
    copy: &CountyCopy,
    pins: &[Pins],
) -> Result<Appended, StoreError> {
    let jpath = out.path().to_path_buf();
    let io = |e: std::io::Error| StoreError::io(&jpath, e);
    let mut done = Appended {
        own,
        ..Appended::default()
    };
    // The own events that continue this chain.
    let mut mine: Vec<Box<RawValue>> = Vec::new();
    let mut next = own + 1;
    let mut check = chain.clone();
    for (raw, hash) in copy.own.iter().zip(&copy.hashes) {
        let id = record::event_id(raw).map_err(|e| io(std::io::Error::other(e)))?;
        if id.seq <= own {
            continue;
        }
        if id.origin != origin || id.seq != next {
            done.forked_at = Some(id.seq);
            break;
        }
        let mut raw = raw.clone();
        let mut after = chain_next(&check, raw.get().as_bytes());
        if after != *hash {
            let original = pins
                .iter()
                .filter_map(|p| with_pins(&raw, p))
                .find(|o| chain_next(&check, o.get().as_bytes()) == *hash);
            match original {
                Some(original) => {
                    after = hash.clone();
                    raw = original;
                }
                None => {
                    done.forked_at = Some(id.seq);
                    done.forked_at_station = raw.get().contains("\"station_configured\"")
                        && serde_json::from_str::<Event>(raw.get()).is_ok_and(|e| {
                            matches!(e.body, EventBody::StationConfigured { .. })
                                && crate::domain::privacy::without_staff_secrets(&e).is_none()
                        });
                    break;
                }
            }
        }
        check = after;
        next += 1;
        mine.push(raw);
    }
    let theirs: Vec<&RawValue> = copy
        .feed
        .iter()
        .filter(|raw| {
            record::event_id(raw).is_ok_and(|id| id.origin == feed_origin && id.seq > copy.feed_after)
        })
        .map(|r| &**r)
        .collect();
    let (mut i, mut j) = (0, 0);
    while i < mine.len() || j < theirs.len() {
        let take_mine = match (mine.get(i), theirs.get(j)) {
            (Some(a), Some(b)) => event_at(a) <= event_at(b),
            (Some(_), None) => true,
            _ => false,
        };
        let mut raws: Vec<Box<RawValue>> = Vec::new();
        if take_mine {
            while i < mine.len()
                && raws.len() < 500
                && theirs.get(j).is_none_or(|b| event_at(&mine[i]) <= event_at(b))
            {
                raws.push(mine[i].clone());
                i += 1;
            }
            let first = done.own + 1;
            let payload = record::encode(&raws, chain).map_err(|e| io(std::io::Error::other(e)))?;
            for raw in &raws {
                *chain = chain_next(chain, raw.get().as_bytes());
            }
            done.own += raws.len() as u64;
            done.own_events += raws.len() as u64;
            out.write(&payload, first, done.own).map_err(io)?;
        } else {
            while j < theirs.len()
                && raws.len() < 500
                && mine.get(i).is_none_or(|a| event_at(theirs[j]) < event_at(a))
            {
                raws.push(theirs[j].to_owned());
                j += 1;
            }
            let payload = record::encode(&raws, chain).map_err(|e| io(std::io::Error::other(e)))?;
            done.feed_events += raws.len() as u64;
            out.write(&payload, done.own, done.own).map_err(io)?;
        }
    }
    Ok(done)
}

/// The highest sequence this terminal's origin may have used: the higher
/// of what a readable database (which may be ahead of the journal) holds
/// and the counters' floor (which may be a little ahead of what was used;
/// a number under it may have been given out and lost since, so none is
/// issued again). `open`: the database, when the caller has it open
/// already (sled opens a database once per process).
fn used_seq(dir: &Path, origin: &str, open: Option<&sled::Db>) -> Result<u64, StoreError> {
    let counters = Counters::load(dir).map_err(|e| StoreError::io(&Counters::path(dir), e))?;
    let floor = if counters.floors.origin.as_deref().is_none_or(|o| o == origin) {
        counters.floors.seq
    } else {
        0
    };
    let db = Paths::new(dir).db();
    let opened = match open {
        Some(_) => None,
        None if db.exists() => open_sled(&db).ok(),
        None => None,
    };
    let held = if let Some(tree) = open.or(opened.as_ref())
        && let Ok(seq) = read_u64(tree, keys::SEQ)
    {
        let owner = tree.get(keys::SEQ_ORIGIN).ok().flatten();
        if owner.is_none_or(|o| o.as_ref() == origin.as_bytes()) {
            seq
        } else {
            0
        }
    } else {
        0
    };
    Ok(held.max(floor))
}

/// Where the PIN hashes a station event may have held can be found: the
/// database's station (if sled reads it) and `staff-pins.json`, and the
/// station events of the journal at `journal` (if any).
fn pins_at(dir: &Path, journal: Option<&Journal>) -> Vec<Pins> {
    let db = Paths::new(dir).db();
    let station: Option<Station> = if db.exists()
        && let Ok(tree) = open_sled(&db)
    {
        tree.get(keys::STATION)
            .ok()
            .flatten()
            .and_then(|v| super::codec::decode(&v).ok())
    } else {
        None
    };
    let mut out = pin_sources(dir, station.as_ref());
    if let Some(journal) = journal {
        let tag = b"\"station_configured\"";
        let _ = journal.scan(0, |rec| {
            // Only records with a station event are decoded.
            if rec.payload.windows(tag.len()).any(|w| w == tag)
                && let Ok(batch) = record::decode(rec.payload)
            {
                for e in batch.events {
                    if let EventBody::StationConfigured { station } = e.body {
                        let pins: Pins = station
                            .staff
                            .iter()
                            .filter_map(|s| Some((s.id.clone(), s.pin_hash.clone()?)))
                            .collect();
                        if !pins.is_empty() && !out.contains(&pins) {
                            out.push(pins);
                        }
                    }
                }
            }
            Ok(())
        });
    }
    out
}

/// Whether a readable database holds more of this terminal's numbering
/// than the journal `heads` describe and the county's `copy` adds to it
/// (events saved after the last sync, which only the database still has).
pub fn database_holds_more(dir: &Path, heads: &JournalHeads, copy: &CountyCopy) -> bool {
    let db = Paths::new(dir).db();
    if !db.exists() {
        return false;
    }
    let origin = terminal_origin(&heads.station, heads.terminal, heads.generation);
    let readable = open_sled(&db).ok().and_then(|tree| {
        let owner = tree.get(keys::SEQ_ORIGIN).ok()?;
        let seq = read_u64(&tree, keys::SEQ).ok()?;
        Some(if owner.is_none_or(|o| o.as_ref() == origin.as_bytes()) {
            seq
        } else {
            0
        })
    });
    readable.is_some_and(|seq| seq > heads.own + copy.own.len() as u64)
}

/// Completes a journal put back from a backup with the county's copy of
/// what came after it (`copy`; None: the county could not be reached).
/// The caller holds no store; the directory is locked here. When the
/// terminal had used sequences past what the county holds (saved after
/// the last sync and lost), it continues as a new origin, but only when
/// the rebuild that follows (`check --rebuild`) will go on: when it will
/// refuse (the database holds what the journal lacks, or the journal is
/// damaged), the terminal's identity is left as it was.
pub fn complete_journal(dir: &Path, copy: Option<&CountyCopy>) -> Result<Vec<Recovery>, StoreError> {
    let heads = journal_heads(dir)?;
    let paths = Paths::new(dir);
    let mut recovery = Vec::new();
    let _lock = take_lock(&paths)?;
    let origin = terminal_origin(&heads.station, heads.terminal, heads.generation);
    let used = used_seq(dir, &origin, None)?;
    let jpath = paths.journal();
    let mut out = if jpath.exists() {
        Journal::open(&jpath)
    } else {
        Journal::create(&jpath)
    }
    .map_err(|e| StoreError::io(&jpath, e))?;
    let mut chain = heads.chain.clone();
    let none = CountyCopy::default();
    let pins = if copy.is_some_and(|c| !c.own.is_empty()) {
        pins_at(dir, Some(&out))
    } else {
        Vec::new()
    };
    let done = append_copy(
        &mut out,
        &origin,
        &county_origin(&heads.station),
        &mut chain,
        heads.own,
        copy.unwrap_or(&none),
        &pins,
    )?;
    out.sync().map_err(|e| StoreError::io(&jpath, e))?;
    drop(out);
    if done.own_events + done.feed_events > 0 {
        recovery.push(Recovery::CountyCopyWritten {
            own: done.own_events,
            feed: done.feed_events,
        });
    }
    if (used > done.own || done.forked_at.is_some()) && !super::check::rebuild_refuses(&paths)? {
        let lost_from = done.forked_at.unwrap_or(done.own + 1).min(done.own + 1);
        let generation = super::dir::next_generation(dir)?;
        recovery.push(Recovery::NewOrigin {
            origin: terminal_origin(&heads.station, heads.terminal, generation),
            lost_from,
            lost_to: used.max(lost_from),
            why: lost_why(copy.is_some(), &done),
        });
    }
    Ok(recovery)
}

/// Why the events from where the journal stops cannot be written back.
fn lost_why(reached: bool, done: &Appended) -> LostWhy {
    if !reached {
        LostWhy::CountyUnreachable
    } else if done.forked_at_station {
        LostWhy::StationEventUnmatched
    } else {
        LostWhy::NotReported
    }
}

/// Writes a new journal for a station whose journal was lost. With the
/// county's copy (`county`), the journal first gets this terminal's synced
/// events and the county's feed back byte for byte; what the database
/// holds beyond them (saved after the last sync) follows as events of a
/// new origin. Without it (a terminal never enrolled), everything the
/// database holds (the station, deputies, visits, appeals with their whole
/// history, duty records) becomes events after every number used; an
/// enrolled terminal that could not reach the county (`new_origin`)
/// writes them as a new origin's. The old journal, if any, is kept; the
/// database is then rebuilt from the new journal and checked.
pub fn journal_from_database(
    dir: &Path,
    county: Option<&CountyCopy>,
    new_origin: bool,
    progress: OnProgress,
) -> Result<super::CheckReport, StoreError> {
    let paths = Paths::new(dir);
    let identity = super::read_terminal(&paths)?;
    let mut recovery = Vec::new();
    {
        let _lock = take_lock(&paths)?;
        let db = paths.db();
        if !db.exists() {
            return Err(StoreError::NoDatabase(db));
        }
        let tree = open_sled(&db)?;
        let station: Option<Station> = tree
            .get(keys::STATION)
            .map_err(|e| StoreError::sled(&db, e))?
            .and_then(|v| super::codec::decode(&v).ok());
        let Some(station) = station else {
            return Err(StoreError::NoStation(dir.to_path_buf()));
        };
        let mut origin = terminal_origin(&station.code, identity.terminal, identity.generation);
        let used = used_seq(dir, &origin, Some(&tree))?;
        let now = station.zone().now();
        let jnew = dir.join("journal.from-database");
        let _ = fs::remove_file(&jnew);
        let mut out = Journal::create(&jnew).map_err(|e| StoreError::io(&jnew, e))?;
        let mut chain = CHAIN_GENESIS.to_string();
        // The county's copy, and the state it replays to.
        let mut replayed: Option<BTreeMap<Vec<u8>, Vec<u8>>> = None;
        let mut seq = used;
        let mut fresh = new_origin;
        let mut lost = None;
        if let Some(copy) = county {
            let pins = pin_sources(dir, Some(&station));
            let done = append_copy(
                &mut out,
                &origin,
                &county_origin(&station.code),
                &mut chain,
                0,
                copy,
                &pins,
            )?;
            if done.own_events + done.feed_events > 0 {
                recovery.push(Recovery::CountyCopyWritten {
                    own: done.own_events,
                    feed: done.feed_events,
                });
            }
            out.sync().map_err(|e| StoreError::io(&jnew, e))?;
            replayed = Some(replay(&jnew)?);
            seq = done.own;
            if used > done.own || done.forked_at.is_some() {
                fresh = true;
                let from = done.forked_at.unwrap_or(done.own + 1).min(done.own + 1);
                lost = Some((from, used.max(from), lost_why(true, &done)));
            }
        } else if !fresh {
            // The chain goes on from the database's head: the events
            // written here follow those it held.
            let heads = record::Heads::load(&tree, origin.clone()).map_err(|e| StoreError::sled(&db, e))?;
            chain = heads.chain;
        }
        if fresh {
            let generation = super::dir::next_generation(dir)?;
            origin = terminal_origin(&station.code, identity.terminal, generation);
            // Without the county's copy (`new_origin`: it could not be
            // reached) what it holds is not known.
            let (lost_from, lost_to, why) = lost.unwrap_or((1, used, LostWhy::CountyUnreachable));
            recovery.push(Recovery::NewOrigin {
                origin: origin.clone(),
                lost_from,
                lost_to,
                why,
            });
            seq = 0;
            chain = CHAIN_GENESIS.to_string();
        }
        let start_seq = seq;
        let mut pending: Vec<Event> = Vec::new();
        let mut write = |events: &mut Vec<Event>, out: &mut Journal| -> Result<(), StoreError> {
            if events.is_empty() {
                return Ok(());
            }
            let raws =
                record::raw_events(events).map_err(|e| StoreError::io(&jnew, std::io::Error::other(e)))?;
            let payload =
                record::encode(&raws, &chain).map_err(|e| StoreError::io(&jnew, std::io::Error::other(e)))?;
            for raw in &raws {
                chain = chain_next(&chain, raw.get().as_bytes());
            }
            let (first, last) = (events[0].id.seq, events[events.len() - 1].id.seq);
            out.write(&payload, first, last)
                .map_err(|e| StoreError::io(&jnew, e))?;
            events.clear();
            Ok(())
        };
        let mut push = |body: EventBody, at, pending: &mut Vec<Event>| {
            seq += 1;
            pending.push(Event {
                id: EventId {
                    origin: origin.clone(),
                    seq,
                },
                at,
                actor: "recover".into(),
                body,
            });
        };
        // The staff's PIN hashes stay at the station, outside the journal:
        // a database written by an earlier version holds them in its
        // station; what `staff-pins.json` lacks of them is kept there.
        let mut pins = super::read_staff_pins(dir)?;
        let before = pins.len();
        for person in &station.staff {
            if let Some(hash) = &person.pin_hash {
                pins.entry(person.id.clone()).or_insert_with(|| hash.clone());
            }
        }
        if pins.len() > before {
            super::write_staff_pins(dir, &pins)?;
        }
        // The station as the database holds it (without PIN hashes),
        // unless the county's copy replays to that.
        let station = station_without_secrets(&station);
        let same_station = replayed.as_ref().is_some_and(|r| {
            r.get(keys::STATION)
                .and_then(|v| super::codec::decode::<Station>(v).ok())
                .is_some_and(|s| station_without_secrets(&s) == station)
        });
        if !same_station {
            push(EventBody::StationConfigured { station }, now, &mut pending);
        }
        let decode_err = |e: String| StoreError::Database {
            path: db.clone(),
            message: e,
        };
        let mut kept = Vec::new();
        for (prefix, kind) in [
            (keys::DEPUTY, 0),
            (keys::VISIT, 1),
            (keys::APPEAL, 2),
            (keys::DUTY, 3),
        ] {
            for kv in tree.scan_prefix(prefix.as_bytes()) {
                let (k, v) = kv.map_err(|e| decode_err(e.to_string()))?;
                // What the county's copy holds already is not written again.
                let before = replayed.as_ref().and_then(|r| r.get(k.as_ref()));
                if before.is_some_and(|b| b.as_slice() == v.as_ref()) {
                    continue;
                }
                match kind {
                    0 => push(
                        EventBody::DeputyUpserted {
                            deputy: super::codec::decode(&v).map_err(|e| decode_err(e.to_string()))?,
                        },
                        now,
                        &mut pending,
                    ),
                    1 if before.is_none() => {
                        let visit: Visit = super::codec::decode(&v).map_err(|e| decode_err(e.to_string()))?;
                        let at = visit.at;
                        push(EventBody::VisitRegistered { visit }, at, &mut pending);
                    }
                    1 => {}
                    2 => {
                        let appeal: Appeal =
                            super::codec::decode(&v).map_err(|e| decode_err(e.to_string()))?;
                        match before {
                            None => push(EventBody::AppealImported { appeal }, now, &mut pending),
                            Some(b) => {
                                let had: Appeal =
                                    super::codec::decode(b).map_err(|e| decode_err(e.to_string()))?;
                                match later_steps(&had, &appeal) {
                                    Some(steps) => {
                                        for (at, body) in steps {
                                            push(body, at, &mut pending);
                                        }
                                    }
                                    None => kept.push(appeal.code.to_string()),
                                }
                            }
                        }
                    }
                    _ => {
                        let duty: Duty = super::codec::decode(&v).map_err(|e| decode_err(e.to_string()))?;
                        let had: Option<Duty> = before.and_then(|b| super::codec::decode(b).ok());
                        if let (Some(day), Some(check_in)) = (duty.day, duty.check_in) {
                            let deputy = duty.deputy.clone();
                            if had.as_ref().is_none_or(|h| h.check_in.is_none()) {
                                push(EventBody::DutyCheckedIn { deputy, day }, check_in, &mut pending);
                            }
                            if let Some(check_out) = duty.check_out
                                && had.as_ref().is_none_or(|h| h.check_out.is_none())
                            {
                                let deputy = duty.deputy.clone();
                                push(EventBody::DutyCheckedOut { deputy, day }, check_out, &mut pending);
                            }
                        }
                    }
                }
                if pending.len() >= 200 {
                    write(&mut pending, &mut out)?;
                }
            }
        }
        write(&mut pending, &mut out)?;
        out.sync().map_err(|e| StoreError::io(&jnew, e))?;
        drop(tree);
        if !kept.is_empty() {
            recovery.push(Recovery::CountyCopyStands { codes: kept });
        }
        let jpath = paths.journal();
        if jpath.exists() {
            let mut kept = jpath.with_extension("lost");
            let mut n = 1;
            while kept.exists() {
                n += 1;
                kept = jpath.with_extension(format!("lost-{n}"));
            }
            fs::rename(&jpath, &kept).map_err(|e| StoreError::io(&jpath, e))?;
            recovery.push(Recovery::OldJournalKept { kept });
        }
        fs::rename(&jnew, &jpath).map_err(|e| StoreError::io(&jpath, e))?;
        journal::sync_dir(&jpath).map_err(|e| StoreError::io(&jpath, e))?;
        recovery.push(Recovery::JournalFromDatabase {
            events: seq - start_seq,
        });
        super::check::set_database_aside(&paths, &mut recovery)?;
    }
    drop(Store::open_with(dir, super::Mode::Write, progress)?);
    let mut report = super::check_with(dir, progress)?;
    recovery.append(&mut report.recovery);
    report.recovery = recovery;
    Ok(report)
}

/// The state a journal replays to (the projections only), in memory.
fn replay(path: &Path) -> Result<BTreeMap<Vec<u8>, Vec<u8>>, StoreError> {
    let journal = Journal::open_read(path).map_err(|e| StoreError::io(path, e))?;
    let mut state = BTreeMap::new();
    journal
        .scan(0, |rec| {
            let batch = record::decode(rec.payload).map_err(std::io::Error::other)?;
            for event in &batch.events {
                let mut staged = Staged::new(&state);
                if staged.apply(event).is_err() {
                    continue;
                }
                for (k, v) in staged.ops() {
                    match v {
                        Some(v) => state.insert(k, v),
                        None => state.remove(&k),
                    };
                }
            }
            Ok(())
        })
        .map_err(|e| StoreError::io(path, e))?;
    Ok(state)
}

/// The station's steps that take an appeal from `had` (as the county's
/// copy leaves it) to `now` (as the database holds it), when `had`'s
/// history is where `now`'s began; None when they went apart.
fn later_steps(had: &Appeal, now: &Appeal) -> Option<Vec<(DateTime<FixedOffset>, EventBody)>> {
    if now.history.len() < had.history.len()
        || had
            .history
            .iter()
            .zip(&now.history)
            .any(|(a, b)| a.event != b.event)
    {
        return None;
    }
    let mut out = Vec::new();
    for entry in &now.history[had.history.len()..] {
        if entry.event.is_county() {
            // The county's steps come back with its feed, not from here.
            return None;
        }
        out.push((
            entry.at,
            EventBody::AppealStepped {
                code: now.code.clone(),
                step: entry.step.clone(),
                note: entry.note.clone(),
            },
        ));
    }
    if had.access_key.is_empty() && !now.access_key.is_empty() {
        out.push((
            now.history.last().map(|h| h.at).unwrap_or(now.registered_at),
            EventBody::AccessKeyIssued {
                code: now.code.clone(),
                key: now.access_key.clone(),
            },
        ));
    }
    if out.is_empty() && had != now {
        return None;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(origin: &str, seq: u64, minute: u32) -> Box<RawValue> {
        let event = Event {
            id: EventId {
                origin: origin.into(),
                seq,
            },
            at: DateTime::parse_from_rfc3339(&format!("2026-11-10T09:{minute:02}:00+08:00")).unwrap(),
            actor: "t".into(),
            body: EventBody::DutyCheckedIn {
                deputy: format!("d{seq}"),
                day: chrono::NaiveDate::from_ymd_opt(2026, 11, 10).unwrap(),
            },
        };
        serde_json::value::to_raw_value(&event).unwrap()
    }

    /// The county's copy: own events with their chain hashes from genesis.
    fn copy(own: Vec<Box<RawValue>>, feed: Vec<Box<RawValue>>) -> CountyCopy {
        let mut chain = CHAIN_GENESIS.to_string();
        let hashes = own
            .iter()
            .map(|raw| {
                chain = chain_next(&chain, raw.get().as_bytes());
                chain.clone()
            })
            .collect();
        CountyCopy {
            own,
            hashes,
            feed,
            ..CountyCopy::default()
        }
    }

    /// The journal's records as (origin of their events, sequences).
    fn records(path: &Path) -> Vec<(String, Vec<u64>)> {
        let journal = Journal::open_read(path).unwrap();
        let mut out = Vec::new();
        journal
            .scan(0, |rec| {
                let ids: Vec<EventId> = record::decode_raw(rec.payload)
                    .unwrap()
                    .iter()
                    .map(|r| record::event_id(r).unwrap())
                    .collect();
                out.push((ids[0].origin.clone(), ids.iter().map(|i| i.seq).collect()));
                Ok(())
            })
            .unwrap();
        out
    }

    #[test]
    fn the_copy_is_written_byte_for_byte_in_time_order_and_the_chain_is_the_countys() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("journal");
        let mut out = Journal::create(&path).unwrap();
        let own = "330999012-1";
        let feed = "county/330999012";
        let copy = copy(
            vec![event(own, 1, 0), event(own, 2, 1), event(own, 3, 5)],
            vec![event(feed, 1, 3)],
        );
        let mut chain = CHAIN_GENESIS.to_string();
        let done = append_copy(&mut out, own, feed, &mut chain, 0, &copy, &[]).unwrap();
        assert_eq!(
            (done.own, done.own_events, done.feed_events, done.forked_at),
            (3, 3, 1, None)
        );
        assert_eq!(chain, copy.hashes[2]);
        assert_eq!(
            records(&path),
            vec![
                (own.to_string(), vec![1, 2]),
                (feed.to_string(), vec![1]),
                (own.to_string(), vec![3])
            ]
        );
        // Each record carries the chain before it, and the bytes are the copy's.
        let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
        for raw in copy.own.iter().chain(&copy.feed) {
            assert!(text.contains(raw.get()));
        }
        assert!(text.contains(&format!("\"prev\":\"{}\"", copy.hashes[1])));
    }

    #[test]
    fn a_copy_that_does_not_continue_the_chain_stops_where_it_forks() {
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("journal");
        let mut out = Journal::create(&path).unwrap();
        let own = "330999012-1";
        let mut copy = copy(vec![event(own, 1, 0), event(own, 2, 1), event(own, 3, 2)], vec![]);
        copy.hashes[1] = CHAIN_GENESIS.to_string();
        let mut chain = CHAIN_GENESIS.to_string();
        let done = append_copy(&mut out, own, "county/330999012", &mut chain, 0, &copy, &[]).unwrap();
        assert_eq!((done.own, done.forked_at), (1, Some(2)));
        assert_eq!(records(&path), vec![(own.to_string(), vec![1])]);
        // After the journal's own events, only what follows them is taken.
        let mut out = Journal::create(&tmp.path().join("other")).unwrap();
        let mut chain = copy.hashes[0].clone();
        let done = append_copy(&mut out, own, "county/330999012", &mut chain, 1, &copy, &[]).unwrap();
        assert_eq!((done.own, done.forked_at), (1, Some(2)));
    }
}
