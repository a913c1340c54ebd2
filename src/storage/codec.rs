//! Stored values: one schema-version byte, then JSON; a value of more than
//! a few hundred bytes (an appeal with its history, a visit, the station)
//! is deflated, which its version byte says (its high bit set). sled keeps
//! up to twice what it holds, so what it holds is kept small.

use std::cell::RefCell;

use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::domain::event::SCHEMA_VERSION;

/// Set in the version byte of a deflated value.
const DEFLATED: u8 = 0x80;

/// Values of this many JSON bytes or more are deflated.
const DEFLATE_FROM: usize = 192;

pub fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    // Serialising our own plain structs to a Vec cannot fail.
    let json = serde_json::to_vec(value).unwrap_or_default();
    if json.len() < DEFLATE_FROM {
        let mut out = Vec::with_capacity(json.len() + 1);
        out.push(SCHEMA_VERSION as u8);
        out.extend_from_slice(&json);
        return out;
    }
    let mut out = Vec::with_capacity(json.len() / 2 + 64);
    out.push(SCHEMA_VERSION as u8 | DEFLATED);
    if deflate(&json, &mut out) {
        return out;
    }
    // Not expected (deflating into a growing Vec has no failure of its
    // own); the value is then kept plain, which reads the same.
    let mut out = Vec::with_capacity(json.len() + 1);
    out.push(SCHEMA_VERSION as u8);
    out.extend_from_slice(&json);
    out
}

/// A value as `encode` makes it, never deflated (what `check` builds to
/// compare: see `plain`).
pub fn encode_plain<T: Serialize>(value: &T) -> Vec<u8> {
    let mut out = vec![SCHEMA_VERSION as u8];
    // As in `encode`: our own plain structs serialise.
    let _ = serde_json::to_writer(&mut out, value);
    out
}

/// A stored value's JSON, inflated when it was deflated: two encodings of
/// the same state give the same bytes here, whichever was deflated.
pub fn plain(bytes: &[u8]) -> Result<std::borrow::Cow<'_, [u8]>, DecodeError> {
    match bytes.split_first() {
        Some((&v, rest)) if v as u32 == SCHEMA_VERSION => Ok(rest.into()),
        Some((&v, rest)) if v == SCHEMA_VERSION as u8 | DEFLATED => Ok(inflate(rest)?.into()),
        Some((&found, _)) => Err(DecodeError::Version {
            found: found & !DEFLATED,
        }),
        None => Err(DecodeError::Empty),
    }
}

/// Whether two stored values hold the same JSON (see `plain`).
pub fn same(a: &[u8], b: &[u8]) -> bool {
    a == b || matches!((plain(a), plain(b)), (Ok(a), Ok(b)) if a == b)
}

thread_local! {
    /// One compressor and one decompressor per thread, reset for each
    /// value: setting up deflate's state costs more than a small value's
    /// compression.
    static DEFLATE: RefCell<Compress> = RefCell::new(Compress::new(Compression::fast(), false));
    static INFLATE: RefCell<Decompress> = RefCell::new(Decompress::new(false));
}

/// Appends `input` deflated to `out`; false if the compressor failed.
fn deflate(input: &[u8], out: &mut Vec<u8>) -> bool {
    DEFLATE.with(|c| {
        let mut c = c.borrow_mut();
        c.reset();
        let start = c.total_in();
        loop {
            let done = (c.total_in() - start) as usize;
            match c.compress_vec(&input[done..], out, FlushCompress::Finish) {
                Ok(Status::StreamEnd) => return true,
                Ok(_) => out.reserve(out.capacity().max(64)),
                Err(_) => return false,
            }
        }
    })
}

/// `input` inflated.
fn inflate(input: &[u8]) -> Result<Vec<u8>, DecodeError> {
    INFLATE.with(|d| {
        let mut d = d.borrow_mut();
        d.reset(false);
        let (start_in, mut out) = (d.total_in(), Vec::with_capacity(input.len() * 3 + 64));
        loop {
            let (done, before_out) = ((d.total_in() - start_in) as usize, d.total_out());
            match d.decompress_vec(&input[done..], &mut out, FlushDecompress::Finish) {
                Ok(Status::StreamEnd) => return Ok(out),
                Err(e) => return Err(DecodeError::Parse(e.to_string())),
                Ok(_) if out.len() < out.capacity() && d.total_out() == before_out => {
                    return Err(DecodeError::Parse("deflated value ends early".into()));
                }
                Ok(_) => out.reserve(out.capacity().max(64)),
            }
        }
    })
}

/// Why a stored value cannot be read (a damaged or foreign database).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("stored value does not parse: {0}")]
    Parse(String),
    #[error("stored value has schema version {found}, this program reads {SCHEMA_VERSION}")]
    Version { found: u8 },
    #[error("stored value is empty")]
    Empty,
}

pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, DecodeError> {
    let parse = |json: &[u8]| serde_json::from_slice(json).map_err(|e| DecodeError::Parse(e.to_string()));
    match bytes.split_first() {
        Some((&v, rest)) if v as u32 == SCHEMA_VERSION => parse(rest),
        Some((&v, rest)) if v == SCHEMA_VERSION as u8 | DEFLATED => parse(&inflate(rest)?),
        Some((&found, _)) => Err(DecodeError::Version {
            found: found & !DEFLATED,
        }),
        None => Err(DecodeError::Empty),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Appeal, EventId, HistoryEntry, Status, Step, TrackingCode};

    fn appeal(history: usize) -> Appeal {
        let at = chrono::DateTime::parse_from_rfc3339("2026-11-20T09:30:00+08:00").unwrap();
        let code = TrackingCode::new(at.date_naive(), "330999012", 1, 15).unwrap();
        let entry = HistoryEntry {
            event: EventId {
                origin: "330999012-1".into(),
                seq: 7,
            },
            at,
            actor: "沈佳怡".into(),
            step: Step::Register,
            from: None,
            to: Status::Registered,
            note: String::new(),
            not_applied: None,
        };
        Appeal {
            title: "柳岸花园门口停车难，车辆乱停乱放".into(),
            content: "晚上八点以后情况尤其严重，消防通道经常被乱停车辆占用。".repeat(3),
            history: vec![entry; history],
            ..Appeal::registered(code, at)
        }
    }

    #[test]
    fn values_round_trip_small_ones_as_plain_json_large_ones_deflated() {
        for n in [0, 1, 6] {
            let a = appeal(n);
            let bytes = encode(&a);
            let json = serde_json::to_vec(&a).unwrap();
            assert_eq!(bytes[0], SCHEMA_VERSION as u8 | DEFLATED);
            assert!(
                bytes.len() < json.len(),
                "{} deflated, {} plain",
                bytes.len(),
                json.len()
            );
            assert_eq!(decode::<Appeal>(&bytes).unwrap(), a);
        }
        let small = encode(&"短".to_string());
        assert_eq!(small[0], SCHEMA_VERSION as u8);
        assert_eq!(decode::<String>(&small).unwrap(), "短");
    }

    #[test]
    fn a_value_written_plain_by_an_older_version_still_reads() {
        let a = appeal(2);
        let mut plain = vec![SCHEMA_VERSION as u8];
        plain.extend(serde_json::to_vec(&a).unwrap());
        assert_eq!(decode::<Appeal>(&plain).unwrap(), a);
    }

    #[test]
    fn a_value_far_larger_than_the_first_buffer_round_trips_and_the_coders_are_reused() {
        for history in [400, 1, 400] {
            let a = appeal(history);
            let bytes = encode(&a);
            assert_eq!(bytes[0], SCHEMA_VERSION as u8 | DEFLATED);
            assert_eq!(decode::<Appeal>(&bytes), Ok(a));
        }
        let garbage = [SCHEMA_VERSION as u8 | DEFLATED, 0xff, 0xff, 0xff, 0xff];
        assert!(matches!(decode::<Appeal>(&garbage), Err(DecodeError::Parse(_))));
    }

    #[test]
    fn a_plain_and_a_deflated_encoding_of_one_state_are_the_same_and_of_two_states_differ() {
        let a = appeal(3);
        let (deflated, plain_bytes) = (encode(&a), encode_plain(&a));
        assert_ne!(deflated, plain_bytes);
        assert_eq!(plain_bytes[0], SCHEMA_VERSION as u8);
        assert_eq!(decode::<Appeal>(&plain_bytes), Ok(a.clone()));
        assert!(same(&deflated, &plain_bytes));
        assert_eq!(plain(&deflated).unwrap(), plain(&plain_bytes).unwrap());
        let mut b = a.clone();
        b.title.push('。');
        assert!(!same(&encode(&b), &plain_bytes));
        assert!(!same(&encode_plain(&b), &deflated));
        // A stored value that does not inflate is never the same as any.
        let mut torn = deflated.clone();
        torn.truncate(torn.len() / 2);
        assert!(!same(&torn, &plain_bytes));
        assert!(!same(&[], &plain_bytes));
    }

    #[test]
    fn damaged_and_foreign_values_are_errors() {
        assert_eq!(decode::<Appeal>(&[]), Err(DecodeError::Empty));
        assert_eq!(
            decode::<Appeal>(&[9 | DEFLATED, 1, 2]),
            Err(DecodeError::Version { found: 9 })
        );
        let mut bytes = encode(&appeal(3));
        bytes.truncate(bytes.len() / 2);
        assert!(matches!(decode::<Appeal>(&bytes), Err(DecodeError::Parse(_))));
    }
}
