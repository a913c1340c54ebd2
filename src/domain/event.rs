//! Events: the append-only log is the source of truth and every change is
//! one event with who, when and a note. Event ids are (origin, seq), where
//! the origin names the terminal ("330999012-1") and seq grows by one per
//! event on that terminal, so that a county server can take each terminal's
//! log exactly once by remembering the last seq it holds.
//!
//! Events made by the county office about a station's appeals have the
//! origin `county/<station code>` and their own sequence, counted per
//! station: the station's cursor into the county's feed is simply the
//! last sequence of that origin it holds (see `storage`).

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};

use super::appeal::Appeal;
use super::code::TrackingCode;
use super::deputy::Deputy;
use super::lifecycle::{self, Step, TransitionError};
use super::station::Station;
use super::validate::{self, ValidationError};
use super::visit::Visit;

/// Schema version written into every journal record and stored value.
pub const SCHEMA_VERSION: u32 = 1;

/// The origin of the county office's events about one station's appeals.
pub fn county_origin(station: &str) -> String {
    format!("{COUNTY_ORIGIN_PREFIX}{station}")
}

pub const COUNTY_ORIGIN_PREFIX: &str = "county/";

/// The origin of a terminal's own events: `<station>-<terminal>`, and
/// `<station>-<terminal>.<generation>` from the second generation on (a
/// terminal whose numbering could not go on after a recovery continues as
/// a new origin, numbered from 1, as a renumbered terminal does).
pub fn terminal_origin(station: &str, terminal: u8, generation: u32) -> String {
    if generation <= 1 {
        format!("{station}-{terminal}")
    } else {
        format!("{station}-{terminal}.{generation}")
    }
}

impl EventId {
    /// Whether the event was made by the county office.
    pub fn is_county(&self) -> bool {
        self.origin.starts_with(COUNTY_ORIGIN_PREFIX)
    }
}

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
    /// An access key for an appeal saved before appeals had one, issued
    /// the first time its receipt was shown or printed.
    AccessKeyIssued {
        code: TrackingCode,
        key: String,
    },
    DutyCheckedIn {
        deputy: String,
        day: NaiveDate,
    },
    DutyCheckedOut {
        deputy: String,
        day: NaiveDate,
    },
    /// An item of a deputy's duty list (履职清单) the staff entered by hand.
    DutyItemRecorded {
        entry: super::points::HandEntry,
    },
    /// A step the county office took on one of this station's appeals
    /// (origin `county/<station>`), against the appeal as the county saw
    /// it in round `round`. It applies by `county_steps::apply`'s rules, which
    /// never refuse it: a step the station has overtaken is kept in the
    /// timeline with the reason it changed nothing.
    CountyStepped {
        code: TrackingCode,
        step: Step,
        #[serde(default)]
        note: String,
        #[serde(default)]
        round: u32,
    },
    /// Another terminal's event, relayed by the county in the station's
    /// feed (origin `county/<station>`) where it fell in the county's order
    /// (`order`); or, without `event`, the mark that this terminal's own
    /// event `origin`#`seq` fell there. `code` is the appeal it is about,
    /// if any. A terminal of an older version keeps it as `Unknown`.
    Relayed {
        origin: String,
        seq: u64,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        code: Option<TrackingCode>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        event: Option<Box<Event>>,
    },
    /// An event of a type this version does not know (written by a newer
    /// county or terminal). The journal keeps its bytes as they came;
    /// projections skip it.
    #[serde(other)]
    Unknown,
}

/// What a caller asks the store to record; the store stamps id and time.
pub type Change = EventBody;

/// Why a new change breaks a domain rule.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    #[error(transparent)]
    Step(TransitionError),
    #[error(transparent)]
    Field(ValidationError),
}

impl EventBody {
    /// The domain rules a change obeys when it is made on the day `on`
    /// (its own date): group size 1-999 on visits and appeals, and the
    /// rules of new steps (`lifecycle::check_new_step`). The store checks
    /// every commit with them; replaying recorded events does not, so an
    /// old journal still loads whatever rules came later.
    pub fn check_new(&self, on: NaiveDate) -> Result<(), RuleError> {
        match self {
            EventBody::VisitRegistered { visit } => validate::check_group_size(visit.group_size)
                .map(drop)
                .map_err(RuleError::Field),
            EventBody::AppealRegistered { appeal } | EventBody::AppealImported { appeal } => {
                validate::check_group_size(appeal.group_size)
                    .map(drop)
                    .map_err(RuleError::Field)
            }
            EventBody::AppealStepped { step, note, .. } => {
                lifecycle::check_new_step(step, note, on).map_err(RuleError::Step)
            }
            _ => Ok(()),
        }
    }
}

/// The chain hash before a terminal's first event (hex SHA-256 width).
pub const CHAIN_GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The next link of a terminal's event chain: `SHA-256(prev ‖ event)`,
/// over the event's bytes exactly as the journal keeps them, in hex. A
/// county holding `h(n)` can tell a retry of event `n` (same hash) from a
/// rewritten one (another hash) and a gap (a `prev` it does not hold).
pub fn chain_next(prev: &str, event: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    let mut bytes = [0u8; 32];
    for (i, b) in bytes.iter_mut().enumerate() {
        *b = prev
            .get(2 * i..2 * i + 2)
            .and_then(|s| u8::from_str_radix(s, 16).ok())
            .unwrap_or(0);
    }
    h.update(bytes);
    h.update(event);
    hex::encode(h.finalize())
}
