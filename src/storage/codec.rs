//! Stored values: one schema-version byte, then JSON; a value of more than
//! a few hundred bytes (an appeal with its history, a visit, the station)
//! is deflated, which its version byte says (its high bit set). sled keeps
//! up to twice what it holds, so what it holds is kept small.

use std::io::{Read, Write};

use flate2::Compression;
use flate2::read::DeflateDecoder;
use flate2::write::DeflateEncoder;
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
    let mut out = DeflateEncoder::new(Vec::with_capacity(json.len() / 2 + 16), Compression::default());
    // Writing to a Vec cannot fail.
    let _ = out.get_mut().write_all(&[SCHEMA_VERSION as u8 | DEFLATED]);
    let _ = out.write_all(&json);
    out.finish().unwrap_or_default()
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
        Some((&v, rest)) if v == SCHEMA_VERSION as u8 | DEFLATED => {
            let mut json = Vec::with_capacity(rest.len() * 3);
            DeflateDecoder::new(rest)
                .read_to_end(&mut json)
                .map_err(|e| DecodeError::Parse(e.to_string()))?;
            parse(&json)
        }
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
