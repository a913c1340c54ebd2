//! When a terminal syncs by itself: once a night, at a random time inside
//! the station's window (`[sync] window = "23:00-05:00"` in the station
//! file), so that a county's stations do not all call at the same minute.
//! Pure functions of the window, the clock's reading and a random
//! fraction; the sync worker feeds them the kiosk's clock. Tested in
//! `tests/it/sync_kiosk.rs`.

use chrono::{Duration, NaiveDateTime};

/// The station's nightly window ("23:00-05:00", it may cross midnight;
/// `Window::parse` reads one).
pub use crate::jobs::sync::Window;

/// One night's window, as local wall-clock times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    pub start: NaiveDateTime,
    pub end: NaiveDateTime,
}

/// The time chosen for one night's sync, inside its slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    pub at: NaiveDateTime,
    pub slot: Slot,
}

/// What to do at a given time about a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    /// Its time has not come.
    Wait,
    /// Sync now.
    Now,
    /// The slot is over without a sync (the clock jumped, the machine
    /// slept): plan the next night.
    Missed,
}

fn length(window: &Window) -> Duration {
    let raw = window.end - window.start;
    if window.crosses_midnight() {
        raw + Duration::days(1)
    } else {
        raw
    }
}

/// The night's slot that holds `now`, or else the next one to begin.
pub fn slot(window: &Window, now: NaiveDateTime) -> Slot {
    let len = length(window);
    let today = now.date();
    (-1..=1)
        .filter_map(|d| today.checked_add_signed(Duration::days(d)))
        .map(|day| {
            let start = day.and_time(window.start);
            Slot {
                start,
                end: start + len,
            }
        })
        .find(|s| now < s.end)
        .unwrap_or_else(|| {
            let start = (today + Duration::days(1)).and_time(window.start);
            Slot {
                start,
                end: start + len,
            }
        })
}

/// A time in `slot` not before `now`: `fraction` (0 to 1) of the way
/// through what is left of it.
pub fn pick(slot: &Slot, now: NaiveDateTime, fraction: f64) -> NaiveDateTime {
    let from = slot.start.max(now);
    let left = (slot.end - from).num_seconds().max(0);
    let offset = (left as f64 * fraction.clamp(0.0, 1.0)) as i64;
    // Never the slot's very end: it would already count as missed.
    from + Duration::seconds(offset.min(left.saturating_sub(1)).max(0))
}

/// Tonight's plan (or the night under way), as seen at `now`.
pub fn plan(window: &Window, now: NaiveDateTime, fraction: f64) -> Plan {
    let slot = slot(window, now);
    Plan {
        at: pick(&slot, now, fraction),
        slot,
    }
}

/// The plan for the night after `done`.
pub fn next(window: &Window, done: &Plan, fraction: f64) -> Plan {
    plan(window, done.slot.end, fraction)
}

/// Whether it is time for `plan`'s sync at `now`.
pub fn due(plan: &Plan, now: NaiveDateTime) -> Due {
    if now < plan.at {
        Due::Wait
    } else if now < plan.slot.end {
        Due::Now
    } else {
        Due::Missed
    }
}

/// A random fraction in [0, 1), from the system's random source.
pub fn random_fraction() -> f64 {
    let mut bytes = [0u8; 8];
    let _ = getrandom::fill(&mut bytes);
    (u64::from_le_bytes(bytes) >> 11) as f64 / (1u64 << 53) as f64
}
