//! Events: the append-only log is the source of truth and every change is
//! one event with who, when and a note. Event ids are (origin, seq), where
//! the origin names the terminal ("330999012-1") and seq grows by one per
//! event on that terminal, so that a county server can take each terminal's
//! log exactly once by remembering the last seq it holds.

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};

use super::appeal::Appeal;
use super::code::TrackingCode;
use super::deputy::Deputy;
use super::lifecycle::Step;
use super::station::Station;
use super::visit::Visit;

/// Schema version written into every journal record and stored value.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct EventId {
    pub origin: String,
    pub seq: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub id: EventId,
    pub at: DateTime<FixedOffset>,
    /// The signed-in staff member (or "import" / "system").
    pub actor: String,
    pub body: EventBody,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventBody {
    StationConfigured {
        station: Station,
    },
    DeputyUpserted {
        deputy: Deputy,
    },
    VisitRegistered {
        visit: Visit,
    },
    /// A new appeal, in status Registered with an empty history.
    AppealRegistered {
        appeal: Appeal,
    },
    AppealStepped {
        code: TrackingCode,
        step: Step,
        #[serde(default)]
        note: String,
    },
    /// An appeal brought in whole from an export: its history was replayed
    /// and checked before it was accepted.
    AppealImported {
        appeal: Appeal,
    },
    DutyCheckedIn {
        deputy: String,
        day: NaiveDate,
    },
    DutyCheckedOut {
        deputy: String,
        day: NaiveDate,
    },
}

/// What a caller asks the store to record; the store stamps id and time.
pub type Change = EventBody;
