//! Visits (来访登记): who came, when, and which deputies received them.

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};

use super::appeal::{DeputyRef, Visitor};
use super::code::TrackingCode;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Visit {
    pub code: TrackingCode,
    pub at: DateTime<FixedOffset>,
    pub visitor: Visitor,
    /// Number of people for a group visit (1 for one person).
    pub group_size: u16,
    pub deputies: Vec<DeputyRef>,
    pub appeals: Vec<TrackingCode>,
}

/// A deputy's presence at the station on one day (代表进站).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Duty {
    pub deputy: String,
    pub day: Option<NaiveDate>,
    pub check_in: Option<DateTime<FixedOffset>>,
    pub check_out: Option<DateTime<FixedOffset>>,
}
