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

pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    match bytes.split_first() {
        Some((&v, rest)) if v as u32 == SCHEMA_VERSION => {
            serde_json::from_slice(rest).map_err(|e| format!("stored value does not parse: {e}"))
        }
        Some((&v, _)) => Err(format!(
            "stored value has schema version {v}, this program reads {SCHEMA_VERSION}"
        )),
        None => Err("stored value is empty".into()),
    }
}
