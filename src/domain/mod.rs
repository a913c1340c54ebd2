//! The domain: stations, deputies, visits, appeals, the status machine,
//! tracking codes, validation and search. No terminal or storage code here;
//! printing, sync and the county server reuse it as it is.

#[macro_use]
mod vocab;

pub mod appeal;
pub mod calendar;
pub mod catalog;
pub mod clock;
pub mod code;
pub mod county_steps;
pub mod deputy;
pub mod desk;
pub mod event;
pub mod history;
pub mod lifecycle;
pub mod online;
pub mod order;
pub mod period;
pub mod points;
pub mod privacy;
pub mod public;
pub mod report;
pub mod search;
pub mod station;
#[cfg(test)]
pub(crate) mod testing;
pub mod validate;
pub mod visit;

pub use appeal::{
    Appeal, Category, Channel, DeputyRef, HistoryEntry, ReplyClass, Route, Satisfaction, Status, Urgency,
    Visitor,
};
pub use clock::Zone;
pub use code::TrackingCode;
pub use deputy::{Deputy, Level};
pub use event::{Change, Event, EventBody, EventId};
pub use lifecycle::{Step, StepKind, TransitionError};
pub use station::{HandlingUnit, Staff, Station, StationKind};
pub use visit::{Duty, Visit};
