//! County staff's steps on an appeal: checked by the status machine
//! against the county's copy (`domain::county_steps::decide`), then recorded in
//! one transaction as the next event of the station's feed and applied to
//! the county's projection, exactly as the station will apply it.

use sqlx::{AnyConnection, Row};

use super::CountyError;
use super::db::{self, Db};
use crate::domain::county_steps::{self, CountyRefusal};
use crate::domain::event::{Event, EventId, county_origin};
use crate::domain::{Appeal, Step, TrackingCode, history};

/// What a staff step came to.
#[derive(Debug)]
pub enum StepOutcome {
    /// Recorded: the appeal as it is now, and the feed event's sequence.
    Done {
        appeal: Box<Appeal>,
        seq: u64,
    },
    Refused(CountyRefusal),
    /// The county holds no appeal under this code.
    NotHeld(String),
}

/// Takes `step` on the appeal `code` for `actor` (the person: `王科员`, or
/// a unit's staff as `{unit}·{person}`), with its `note` (a referral's
/// requirements, a chase's words, a return's reason, a progress report).
pub async fn step(
    db: &Db,
    code: &str,
    step: Step,
    note: &str,
    actor: &str,
) -> Result<StepOutcome, CountyError> {
    let canonical = match code.parse::<TrackingCode>() {
        Ok(c) => c.as_str().to_string(),
        Err(_) => code.trim().to_string(),
    };
    let Some(first) = db.appeal(&canonical).await? else {
        return Ok(StepOutcome::NotHeld(canonical));
    };
    let station = first.station;
    let mut tx = db.pool.begin().await?;
    let conn: &mut AnyConnection = &mut tx;
    db::lock_station(conn, &station).await?;
    // Read again under the lock: an upload may have moved it on.
    let Some(held) = db::appeal(conn, &canonical).await? else {
        return Ok(StepOutcome::NotHeld(canonical));
    };
    let at = super::now();
    let body = match county_steps::decide(&held.appeal, step, note.trim().to_string(), at.date_naive()) {
        Ok(b) => b,
        Err(refusal) => {
            drop(tx);
            return Ok(StepOutcome::Refused(refusal));
        }
    };
    let last: i64 = sqlx::query("SELECT COALESCE(MAX(seq), 0) FROM feed WHERE station = $1")
        .bind(station.as_str())
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?;
    let seq = last as u64 + 1;
    let event = Event {
        id: EventId {
            origin: county_origin(&station),
            seq,
        },
        at,
        actor: actor.to_string(),
        body,
    };
    let json = db::encode(&event)?;
    sqlx::query("INSERT INTO feed (station, seq, appeal, body, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(station.as_str())
        .bind(seq as i64)
        .bind(canonical.as_str())
        .bind(json)
        .bind(at.to_rfc3339())
        .execute(&mut *conn)
        .await?;
    let next = history::apply(Some(&held.appeal), &event)
        .map_err(CountyError::History)?
        .unwrap_or(held.appeal);
    db::save_appeal(conn, &station, &next).await?;
    tx.commit().await?;
    log::info!("county step on {canonical} by {actor}: feed {station} #{seq}");
    Ok(StepOutcome::Done {
        appeal: Box::new(next),
        seq,
    })
}
