//! County staff's steps on an appeal: checked by the status machine
//! against the county's copy (`domain::county_steps::decide`), then recorded in
//! one transaction as the next event of the station's feed and applied to
//! the county's projection, exactly as the station will apply it.
//!
//! A handling unit asks for more time here too (`ask_extension`); the
//! office grants or refuses it (`decide_extension`), and granting records
//! the 延期 step in the same transaction, so the deadline moves only then.

use chrono::{DateTime, FixedOffset, NaiveDate};
use sqlx::{AnyConnection, Row};

use super::CountyError;
use super::db::{self, Db};
use crate::domain::county_steps::{self, CountyRefusal};
use crate::domain::{Appeal, Step, TrackingCode, history};
use crate::i18n::Lang;

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

/// A tracking code as the county keys it (as given when it does not read
/// as one: it is then held under no code).
fn canonical(code: &str) -> String {
    match code.parse::<TrackingCode>() {
        Ok(c) => c.as_str().to_string(),
        Err(_) => code.trim().to_string(),
    }
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
    let canonical = canonical(code);
    let Some(first) = db.appeal(&canonical).await? else {
        return Ok(StepOutcome::NotHeld(canonical));
    };
    let station = first.station;
    let mut tx = db.pool.begin().await?;
    db::lock_station(&mut tx, &station).await?;
    let outcome = record(&mut tx, &station, &canonical, step, note, actor).await?;
    if let StepOutcome::Done { .. } = outcome {
        tx.commit().await?;
    }
    Ok(outcome)
}

/// The step recorded in the caller's transaction, which holds the
/// station's lock: the appeal read again under the lock (an upload may
/// have moved it on), the event added to the feed, the projection saved.
async fn record(
    conn: &mut AnyConnection,
    station: &str,
    canonical: &str,
    step: Step,
    note: &str,
    actor: &str,
) -> Result<StepOutcome, CountyError> {
    let Some(held) = db::appeal(conn, canonical).await? else {
        return Ok(StepOutcome::NotHeld(canonical.to_string()));
    };
    let at = super::now();
    let body = match county_steps::decide(&held.appeal, step, note.trim().to_string(), at.date_naive()) {
        Ok(b) => b,
        Err(refusal) => return Ok(StepOutcome::Refused(refusal)),
    };
    let event = db::append_feed(conn, station, canonical, at, actor, body).await?;
    let seq = event.id.seq;
    let entries = held.appeal.history.len();
    let next = history::apply(Some(&held.appeal), &event)
        .map_err(CountyError::History)?
        .unwrap_or(held.appeal);
    db::save_appeals(conn, station, &[(&next, entries)]).await?;
    log::info!("county step on {canonical} by {actor}: feed {station} #{seq}");
    Ok(StepOutcome::Done {
        appeal: Box::new(next),
        seq,
    })
}

/// A handling unit's request for a later deadline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extension {
    pub id: i64,
    /// The appeal's tracking code.
    pub appeal: String,
    /// The unit's name.
    pub unit: String,
    pub asked_by: String,
    pub asked_at: DateTime<FixedOffset>,
    /// The deadline asked for.
    pub deadline: NaiveDate,
    pub reason: String,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<FixedOffset>>,
    /// None while the office has not decided.
    pub granted: Option<bool>,
}

/// Why a request for more time cannot be made or decided.
#[derive(Debug, thiserror::Error)]
pub enum ExtensionRefusal {
    #[error("the county holds no appeal {0}")]
    NotHeld(String),
    /// The appeal is not (or no longer) referred to this unit.
    #[error("the appeal is not referred to {unit}")]
    NotReferredTo { unit: String },
    #[error("a request for more time needs a reason")]
    EmptyReason,
    /// A request of this appeal waits for the office already.
    #[error("request {0} for this appeal waits for a decision already")]
    Pending(i64),
    /// The status machine refuses the 延期 (the appeal has moved on, or
    /// the day asked is not later than its deadline).
    #[error("{}", .0.message(Lang::En))]
    Step(CountyRefusal),
    #[error("there is no request {0}")]
    NoSuchRequest(i64),
    #[error("request {0} is decided already")]
    Decided(i64),
    #[error(transparent)]
    County(#[from] CountyError),
}

impl From<sqlx::Error> for ExtensionRefusal {
    fn from(e: sqlx::Error) -> ExtensionRefusal {
        ExtensionRefusal::County(CountyError::Db(e))
    }
}

impl ExtensionRefusal {
    pub fn message(&self, lang: Lang) -> String {
        match self {
            ExtensionRefusal::NotHeld(code) => lang.pick(
                format!("县里没有查询码为 {code} 的诉求"),
                format!("the county holds no appeal {code}"),
            ),
            ExtensionRefusal::NotReferredTo { unit } => lang.pick(
                format!("这件诉求现在没有交办给{unit}"),
                format!("the appeal is not referred to {unit} now"),
            ),
            ExtensionRefusal::EmptyReason => lang
                .pick("申请延期须写明理由", "a request for more time needs a reason")
                .into(),
            ExtensionRefusal::Pending(id) => lang.pick(
                format!("这件诉求已有延期申请（第 {id} 号）等待审批"),
                format!("request {id} for more time on this appeal waits for a decision already"),
            ),
            ExtensionRefusal::Step(refusal) => refusal.message(lang),
            ExtensionRefusal::NoSuchRequest(id) => lang.pick(
                format!("没有第 {id} 号延期申请"),
                format!("there is no request {id} for more time"),
            ),
            ExtensionRefusal::Decided(id) => lang.pick(
                format!("第 {id} 号延期申请已经审批过"),
                format!("request {id} for more time is decided already"),
            ),
            ExtensionRefusal::County(e) => e.message(lang),
        }
    }
}

const EXTENSION_COLUMNS: &str =
    "id, appeal, unit, asked_by, asked_at, deadline, reason, decided_by, decided_at, granted";

fn extension(row: &sqlx::any::AnyRow) -> Result<Extension, CountyError> {
    let time = |text: String| {
        DateTime::parse_from_rfc3339(&text).map_err(|e| CountyError::Stored {
            what: format!("extensions time {text}"),
            source: serde::de::Error::custom(e),
        })
    };
    let deadline: String = row.try_get(5)?;
    let decided_at: Option<String> = row.try_get(8)?;
    let granted: Option<i64> = row.try_get(9)?;
    Ok(Extension {
        id: row.try_get(0)?,
        appeal: row.try_get(1)?,
        unit: row.try_get(2)?,
        asked_by: row.try_get(3)?,
        asked_at: time(row.try_get(4)?)?,
        deadline: NaiveDate::parse_from_str(&deadline, "%Y-%m-%d").map_err(|e| CountyError::Stored {
            what: format!("extensions deadline {deadline}"),
            source: serde::de::Error::custom(e),
        })?,
        reason: row.try_get(6)?,
        decided_by: row.try_get(7)?,
        decided_at: decided_at.map(time).transpose()?,
        granted: granted.map(|g| g != 0),
    })
}

/// The unit `unit`'s staff member `asked_by` asks for the deadline of the
/// appeal `code` to move to `deadline`, for `reason`. Only for an appeal
/// referred to the unit, one request pending at a time, and only a
/// deadline the office could grant now.
pub async fn ask_extension(
    db: &Db,
    code: &str,
    unit: &str,
    asked_by: &str,
    deadline: NaiveDate,
    reason: &str,
) -> Result<Extension, ExtensionRefusal> {
    let canonical = canonical(code);
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(ExtensionRefusal::EmptyReason);
    }
    let Some(first) = db.appeal(&canonical).await? else {
        return Err(ExtensionRefusal::NotHeld(canonical));
    };
    let mut tx = db.pool.begin().await?;
    db::lock_station(&mut tx, &first.station).await?;
    let Some(held) = db::appeal(&mut tx, &canonical).await? else {
        return Err(ExtensionRefusal::NotHeld(canonical));
    };
    if held.appeal.unit.as_deref() != Some(unit) || !held.appeal.status.awaits_unit() {
        return Err(ExtensionRefusal::NotReferredTo {
            unit: unit.to_string(),
        });
    }
    let at = super::now();
    county_steps::decide(
        &held.appeal,
        Step::Extend { deadline },
        reason.to_string(),
        at.date_naive(),
    )
    .map_err(ExtensionRefusal::Step)?;
    let pending = sqlx::query("SELECT id FROM extensions WHERE appeal = $1 AND granted IS NULL")
        .bind(canonical.as_str())
        .fetch_optional(&mut *tx)
        .await?;
    if let Some(row) = pending {
        return Err(ExtensionRefusal::Pending(row.try_get(0)?));
    }
    let row = sqlx::query(
        "INSERT INTO extensions (appeal, unit, asked_by, asked_at, deadline, reason)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(canonical.as_str())
    .bind(unit)
    .bind(asked_by)
    .bind(at.to_rfc3339())
    .bind(deadline.to_string())
    .bind(reason)
    .fetch_one(&mut *tx)
    .await?;
    let id: i64 = row.try_get(0)?;
    tx.commit().await?;
    log::info!("request {id} for more time on {canonical} by {asked_by}");
    Ok(Extension {
        id,
        appeal: canonical,
        unit: unit.to_string(),
        asked_by: asked_by.to_string(),
        asked_at: at,
        deadline,
        reason: reason.to_string(),
        decided_by: None,
        decided_at: None,
        granted: None,
    })
}

async fn extensions(db: &Db, code: &str, pending_only: bool) -> Result<Vec<Extension>, CountyError> {
    let pending = if pending_only { " AND granted IS NULL" } else { "" };
    let sql = format!("SELECT {EXTENSION_COLUMNS} FROM extensions WHERE appeal = $1{pending} ORDER BY id");
    let rows = sqlx::query(&sql)
        .bind(canonical(code))
        .fetch_all(&db.pool)
        .await?;
    rows.iter().map(extension).collect()
}

/// Every request for more time on the appeal, oldest first.
pub async fn extensions_for(db: &Db, code: &str) -> Result<Vec<Extension>, CountyError> {
    extensions(db, code, false).await
}

/// The appeal's requests waiting for the office (at most one).
pub async fn pending_extensions(db: &Db, code: &str) -> Result<Vec<Extension>, CountyError> {
    extensions(db, code, true).await
}

/// Every request waiting for the office, oldest first.
pub async fn all_pending_extensions(db: &Db) -> Result<Vec<Extension>, CountyError> {
    let sql = format!("SELECT {EXTENSION_COLUMNS} FROM extensions WHERE granted IS NULL ORDER BY id");
    let rows = sqlx::query(&sql).fetch_all(&db.pool).await?;
    rows.iter().map(extension).collect()
}

/// A decided request, and when granted the appeal with its new deadline
/// and the feed event's sequence.
#[derive(Debug)]
pub struct Decided {
    pub extension: Extension,
    pub granted: Option<(Box<Appeal>, u64)>,
}

/// The office person `decided_by` grants or refuses request `id`.
/// Granting records 延期 by them (the request's reason as its note) in the
/// same transaction as the decision; a grant the status machine refuses
/// now (the appeal has moved on) leaves the request pending.
pub async fn decide_extension(
    db: &Db,
    id: i64,
    grant: bool,
    decided_by: &str,
) -> Result<Decided, ExtensionRefusal> {
    let find = format!("SELECT {EXTENSION_COLUMNS} FROM extensions WHERE id = $1");
    let Some(row) = sqlx::query(&find).bind(id).fetch_optional(&db.pool).await? else {
        return Err(ExtensionRefusal::NoSuchRequest(id));
    };
    let asked = extension(&row)?;
    let Some(first) = db.appeal(&asked.appeal).await? else {
        return Err(ExtensionRefusal::NotHeld(asked.appeal));
    };
    let station = first.station;
    let mut tx = db.pool.begin().await?;
    db::lock_station(&mut tx, &station).await?;
    // Read again under the lock: another office person may have decided.
    let row = sqlx::query(&find).bind(id).fetch_one(&mut *tx).await?;
    let mut ext = extension(&row)?;
    if ext.granted.is_some() {
        return Err(ExtensionRefusal::Decided(id));
    }
    let mut granted = None;
    if grant {
        let Some(held) = db::appeal(&mut tx, &ext.appeal).await? else {
            return Err(ExtensionRefusal::NotHeld(ext.appeal));
        };
        if held.appeal.unit.as_deref() != Some(ext.unit.as_str()) {
            return Err(ExtensionRefusal::NotReferredTo { unit: ext.unit });
        }
        let extend = Step::Extend {
            deadline: ext.deadline,
        };
        match record(&mut tx, &station, &ext.appeal, extend, &ext.reason, decided_by).await? {
            StepOutcome::Done { appeal, seq } => granted = Some((appeal, seq)),
            StepOutcome::Refused(refusal) => return Err(ExtensionRefusal::Step(refusal)),
            StepOutcome::NotHeld(code) => return Err(ExtensionRefusal::NotHeld(code)),
        }
    }
    let at = super::now();
    sqlx::query("UPDATE extensions SET decided_by = $1, decided_at = $2, granted = $3 WHERE id = $4")
        .bind(decided_by)
        .bind(at.to_rfc3339())
        .bind(i64::from(grant))
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    log::info!(
        "request {id} for more time on {} {} by {decided_by}",
        ext.appeal,
        if grant { "granted" } else { "refused" }
    );
    ext.decided_by = Some(decided_by.to_string());
    ext.decided_at = Some(at);
    ext.granted = Some(grant);
    Ok(Decided {
        extension: ext,
        granted,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::county::db::testing::{enrolled, runtime};
    use crate::domain::Status;

    const UNIT: &str = "青禾县住房和城乡建设局";

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2099, 12, d).unwrap()
    }

    /// An appeal of the station, accepted and referred to `UNIT` by the
    /// county (deadline 2099-12-10); its code.
    async fn referred(db: &Db) -> String {
        let at = DateTime::parse_from_rfc3339("2026-11-10T09:00:00+08:00").unwrap();
        let code =
            TrackingCode::new(NaiveDate::from_ymd_opt(2026, 11, 10).unwrap(), "330999012", 1, 1).unwrap();
        let mut tx = db.pool.begin().await.unwrap();
        db::save_appeal(&mut tx, "330999012", &Appeal::registered(code.clone(), at))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let code = code.to_string();
        done(step(db, &code, Step::Accept, "", "王科员").await);
        let refer = Step::Refer {
            unit: UNIT.into(),
            deadline: day(10),
        };
        done(step(db, &code, refer, "请十日内核实", "王科员").await);
        code
    }

    fn done(outcome: Result<StepOutcome, CountyError>) -> Appeal {
        match outcome.unwrap() {
            StepOutcome::Done { appeal, .. } => *appeal,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_step_keeps_its_note_and_its_actor() {
        runtime().block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let db = enrolled(dir.path(), "330999012").await;
            let code = referred(&db).await;
            let actor = format!("{UNIT}·李工");
            let refused = step(&db, &code, Step::Return, " ", &actor).await.unwrap();
            assert!(matches!(refused, StepOutcome::Refused(_)), "{refused:?}");
            let a = done(step(&db, &code, Step::Return, "不属本单位职责", &actor).await);
            assert_eq!((a.status, a.unit.as_deref()), (Status::Accepted, None));
            let last = a.history.last().unwrap();
            assert_eq!(
                (last.actor.as_str(), last.note.as_str()),
                (actor.as_str(), "不属本单位职责")
            );
            let refer = a
                .history
                .iter()
                .find(|h| h.step.kind() == crate::domain::StepKind::Refer);
            assert_eq!(refer.unwrap().note, "请十日内核实");
        });
    }

    #[test]
    fn a_granted_extension_moves_the_deadline_a_refused_one_does_not() {
        runtime().block_on(async {
            let dir = tempfile::tempdir().unwrap();
            let db = enrolled(dir.path(), "330999012").await;
            let code = referred(&db).await;
            let li = format!("{UNIT}·李工");
            // Only the unit it is referred to, only later, only with a reason.
            let other = ask_extension(&db, &code, "青禾县交通运输局", "某", day(20), "需要时间").await;
            assert!(
                matches!(other, Err(ExtensionRefusal::NotReferredTo { .. })),
                "{other:?}"
            );
            let early = ask_extension(&db, &code, UNIT, &li, day(10), "需要时间").await;
            assert!(matches!(early, Err(ExtensionRefusal::Step(_))), "{early:?}");
            let blank = ask_extension(&db, &code, UNIT, &li, day(20), " ").await;
            assert!(matches!(blank, Err(ExtensionRefusal::EmptyReason)), "{blank:?}");

            let asked = ask_extension(&db, &code, UNIT, &li, day(20), "需协调管线单位")
                .await
                .unwrap();
            assert_eq!(asked.granted, None);
            // One pending at a time.
            let again = ask_extension(&db, &code, UNIT, &li, day(25), "再延").await;
            assert!(matches!(again, Err(ExtensionRefusal::Pending(id)) if id == asked.id));
            assert_eq!(pending_extensions(&db, &code).await.unwrap(), vec![asked.clone()]);
            assert_eq!(all_pending_extensions(&db).await.unwrap().len(), 1);

            let refused = decide_extension(&db, asked.id, false, "王科员").await.unwrap();
            assert_eq!(refused.extension.granted, Some(false));
            assert!(refused.granted.is_none());
            let held = db.appeal(&code).await.unwrap().unwrap().appeal;
            assert_eq!(held.deadline, Some(day(10)));
            assert!(matches!(
                decide_extension(&db, asked.id, true, "王科员").await,
                Err(ExtensionRefusal::Decided(_))
            ));

            let second = ask_extension(&db, &code, UNIT, &li, day(25), "汛期施工受限")
                .await
                .unwrap();
            let granted = decide_extension(&db, second.id, true, "王科员").await.unwrap();
            let (appeal, _) = granted.granted.unwrap();
            assert_eq!(appeal.deadline, Some(day(25)));
            let last = appeal.history.last().unwrap();
            assert_eq!(last.step, Step::Extend { deadline: day(25) });
            assert_eq!(
                (last.actor.as_str(), last.note.as_str()),
                ("王科员", "汛期施工受限")
            );
            assert_eq!(
                db.appeal(&code).await.unwrap().unwrap().appeal.deadline,
                Some(day(25))
            );
            let all = extensions_for(&db, &code).await.unwrap();
            assert_eq!(
                all.iter().map(|e| e.granted).collect::<Vec<_>>(),
                vec![Some(false), Some(true)]
            );
            assert!(pending_extensions(&db, &code).await.unwrap().is_empty());
            assert!(matches!(
                decide_extension(&db, 99, true, "王科员").await,
                Err(ExtensionRefusal::NoSuchRequest(99))
            ));
        });
    }
}
