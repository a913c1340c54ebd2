//! Sync between a station's terminal and the county server: the protocol
//! both sides speak, and the station's client.

pub mod client;
pub mod protocol;
