//! Stored values: one schema-version byte, then JSON.

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::domain::event::SCHEMA_VERSION;

pub fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    let mut out = vec![SCHEMA_VERSION as u8];
    // Serialising our own plain structs to a Vec cannot fail.
    serde_json::to_writer(&mut out, value).unwrap_or_default();
    out
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
    match bytes.split_first() {
        Some((&v, rest)) if v as u32 == SCHEMA_VERSION => {
            serde_json::from_slice(rest).map_err(|e| DecodeError::Parse(e.to_string()))
        }
        Some((&found, _)) => Err(DecodeError::Version { found }),
        None => Err(DecodeError::Empty),
    }
}
