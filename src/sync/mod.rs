//! Sync between a station's terminal and the county server: the protocol
//! both sides speak, the station's client, and beside the kiosk the sync
//! worker, its nightly schedule and the control socket `jiedai sync` uses
//! while the kiosk is open.

pub mod backoff;
pub mod client;
pub mod control;
pub mod credentials;
pub mod error;
pub mod http;
pub mod protocol;
pub mod schedule;
pub mod secret;
pub mod tls;
pub mod worker;
