//! The sync's side of the kiosk: who asked for a sync, its progress and
//! outcome, the county steps it brought, the bookkeeping the Sync screen
//! shows, and the nightly plan.

use std::time::Duration;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime};

use super::Failure;
use crate::domain::{Appeal, Channel, Status, StepKind};
use crate::storage::sync_state::{Position, SyncStatus};

pub use crate::domain::station::SyncWindow as Window;

/// Who asked for a sync.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// Staff pressed the sync key.
    Staff,
    /// The station's nightly window.
    Schedule,
    /// `jiedai sync` while the kiosk holds the data directory.
    Command,
    /// Soon after saves, so that a new appeal's progress page answers
    /// within a minute; quiet, one try.
    AfterSave,
}

/// What a sync reports while it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncProgress {
    /// `sent` of `total` events are with the county.
    Uploading { sent: u64, total: u64 },
    /// Events taken from the county so far.
    Downloading { received: u64 },
}

/// What a finished sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Events the county acknowledged in this sync.
    pub sent: u64,
    /// Of those, the ones it did not hold before.
    pub stored: u64,
    /// The county's events taken.
    pub received: u64,
    /// Appeals the county's events changed.
    pub touched: Vec<String>,
}

/// The last sync's outcome and what waits to be sent.
#[derive(Debug, Clone, Default)]
pub struct Overview {
    pub enrolled: bool,
    pub server: String,
    pub unsent: u64,
    pub status: SyncStatus,
    pub position: Position,
    /// The station's other terminals whose events this terminal holds,
    /// relayed by the county: (origin, the last of its events held).
    pub others: Vec<(String, u64)>,
}

/// A county step that reached an appeal, for the Today screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CountyNote {
    pub code: String,
    pub title: String,
    pub step: StepKind,
    pub at: DateTime<FixedOffset>,
    /// The step changed nothing at the station (see `NotApplied`).
    pub not_applied: bool,
    /// A citizen sent it online (网上来件) and the desk has not accepted it yet.
    pub online: bool,
    /// The reception day the citizen booked to meet `deputy` on (预约).
    pub meeting: Option<NaiveDate>,
    pub deputy: String,
}

impl CountyNote {
    /// The note for `appeal` when its last step is the county's (an
    /// appeal sent online included), or it holds a booking not yet past
    /// its day's handling (not closed).
    pub fn of(appeal: &Appeal) -> Option<CountyNote> {
        let last = appeal.history.last()?;
        let meeting = appeal.meeting.filter(|_| appeal.status != Status::Closed);
        (last.event.is_county() || meeting.is_some()).then(|| CountyNote {
            code: appeal.code.to_string(),
            title: appeal.title.clone(),
            step: last.step.kind(),
            at: last.at,
            not_applied: last.not_applied.is_some(),
            online: appeal.channel == Channel::Online && appeal.status == Status::Registered,
            meeting,
            deputy: appeal
                .deputies
                .first()
                .map(|d| d.name.clone())
                .unwrap_or_default(),
        })
    }

    /// Whether the Today screen still shows it on `today`: news of the
    /// last `days`, and a booking until its day.
    pub fn current(&self, since: DateTime<FixedOffset>, today: NaiveDate) -> bool {
        self.at >= since || self.meeting.is_some_and(|d| d >= today)
    }
}

/// What the sync tells the kiosk.
#[derive(Debug, Clone)]
pub enum News {
    /// The sync's bookkeeping, read at start, after each attempt and when
    /// asked (`SyncJob::refresh`), or why it could not be read.
    Overview(Result<Overview, Failure>),
    /// The next nightly sync (None: the station sets no window).
    Planned(Option<NaiveDateTime>),
    Started(Trigger),
    Progress(SyncProgress),
    /// Attempt `attempt` failed for a reason that may pass; the next
    /// starts after `wait` (or at once when asked again).
    Retrying {
        attempt: u32,
        error: Failure,
        wait: Duration,
    },
    /// The sync finished, or failed for good.
    Finished(Result<Report, Failure>),
    /// Appeals whose last step is a recent county step.
    County(Vec<CountyNote>),
}

/// The kiosk's sync: asked, told of saves, asked for its bookkeeping;
/// what happens comes back as `News`. None of these waits on a disk or
/// the network.
pub trait SyncJob: Send {
    /// Sync now (a request while one waits to try again starts the next
    /// try at once).
    fn trigger(&self, trigger: Trigger);
    /// Something was saved: on an enrolled terminal that syncs after
    /// saves, a quiet sync follows soon.
    fn saved(&self);
    /// Read the bookkeeping again; it comes back as `News::Overview`.
    fn refresh(&self);
}
