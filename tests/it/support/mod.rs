//! What the tests share: the real binary on sample data (`cli`), the county
//! server as a process (`county`), its console as a client with cookies
//! (`console`), a station at the desk with its kiosk (`desk`), a PostgreSQL of the tests' own
//! (`postgres`), a fake receipt printer (`printer`), a faulty network
//! (`proxy`), the kiosk in a pseudo-terminal (`pty`) and the work queue's
//! appeals (`queue_fixture`).

pub mod cli;
#[cfg(feature = "county")]
pub mod console;
pub mod county;
pub mod desk;
pub mod postgres;
pub mod printer;
pub mod proxy;
pub mod pty;
#[cfg(feature = "county")]
pub mod queue_fixture;

/// The domain as `queue_fixture` names it (the unit tests that include it
/// name the crate's own).
#[cfg(feature = "county")]
use jiedai::domain;
