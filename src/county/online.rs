//! Appeals citizens send from the public pages (`domain::online`): each
//! becomes an appeal of the station, registered by the county under a code
//! of its own origin for the station and recorded as the next event of the
//! station's feed, which takes it down to the station's terminals. The
//! same matter sent again within a day is folded into the first.

use sqlx::{AnyConnection, Row};

use super::CountyError;
use super::db::{self, Db};
use crate::domain::code::ONLINE_TERMINAL;
use crate::domain::online::Submission;
use crate::domain::{EventBody, TrackingCode, history, public};

/// Who registers an appeal sent online, in its timeline.
pub const ONLINE_ACTOR: &str = "网上来件";

/// Hours within which the same matter sent again is folded.
const FOLD_HOURS: i64 = 24;

/// What became of a submission.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub code: TrackingCode,
    pub key: String,
    /// The same matter was sent before: this is the first one's code.
    pub folded: bool,
}

/// Records `sub` as an appeal of `station` (enrolled: `Ok(None)` when not).
pub async fn receive(db: &Db, station: &str, sub: &Submission) -> Result<Option<Received>, CountyError> {
    let mut tx = db.pool.begin().await?;
    let conn: &mut AnyConnection = &mut tx;
    if !db::lock_station(conn, station).await? {
        return Ok(None);
    }
    let now = super::now();
    let digest = sub.digest();
    let since = (now - chrono::Duration::hours(FOLD_HOURS)).to_rfc3339();
    let folded = sqlx::query(
        "SELECT o.code, a.access_key FROM online o JOIN appeals a ON a.code = o.code
         WHERE o.station = $1 AND o.digest = $2 AND o.created_at > $3 ORDER BY o.created_at LIMIT 1",
    )
    .bind(station)
    .bind(digest.as_str())
    .bind(since.as_str())
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(row) = folded {
        let code: String = row.try_get(0)?;
        let key: String = row.try_get(1)?;
        if let Ok(code) = code.parse::<TrackingCode>() {
            return Ok(Some(Received {
                code,
                key,
                folded: true,
            }));
        }
    }
    let day = super::zone().date(&now);
    let day_text = day.format("%Y-%m-%d").to_string();
    let last: i64 = sqlx::query("SELECT COALESCE(MAX(seq), 0) FROM online WHERE station = $1 AND day = $2")
        .bind(station)
        .bind(day_text.as_str())
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?;
    let number = last as u32 + 1;
    let code =
        TrackingCode::new(day, station, ONLINE_TERMINAL, number).map_err(|_| CountyError::OnlineCodes {
            station: station.to_string(),
            day,
        })?;
    let mut random = [0u8; public::KEY_BYTES];
    super::accounts::fill_random(&mut random)?;
    let key = public::access_key(&random);
    let appeal = sub.appeal(code.clone(), now, key.clone());
    let body = EventBody::AppealRegistered { appeal };
    let event = db::append_feed(conn, station, code.as_str(), now, ONLINE_ACTOR, body).await?;
    if let Some(registered) = history::apply(None, &event).map_err(CountyError::History)? {
        db::save_appeals(conn, station, &[(&registered, 0)]).await?;
    }
    sqlx::query(
        "INSERT INTO online (station, day, seq, code, digest, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(station)
    .bind(day_text.as_str())
    .bind(number as i64)
    .bind(code.as_str())
    .bind(digest.as_str())
    .bind(now.to_rfc3339())
    .execute(&mut *conn)
    .await?;
    tx.commit().await?;
    log::info!(
        "online appeal {code} for station {station}: feed #{}",
        event.id.seq
    );
    Ok(Some(Received {
        code,
        key,
        folded: false,
    }))
}
