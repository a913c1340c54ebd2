//! The county's database, through sqlx's `Any` driver so that one code
//! path serves SQLite (the default, `<county dir>/county.db`) and
//! PostgreSQL (`--db postgres://…`). Every statement is portable SQL with
//! `$n` placeholders, bound in order.
//!
//! Exactly-once rests on the primary key of `events`: (station, terminal,
//! seq). Every write transaction starts by updating the station's row,
//! which takes SQLite's write lock or PostgreSQL's row lock, so uploads of
//! one station (and the staff's steps on its appeals) never interleave.

use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use futures_util::TryStreamExt;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyConnection, AnyPool, Row};

use super::appeals::AppealFilter;
use super::{CountyError, CountyPaths};
use crate::domain::deputy::Deputy;
use crate::domain::{Appeal, Station};

/// Which database is behind the pool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Sqlite,
    Postgres,
}

#[derive(Clone)]
pub struct Db {
    pub pool: AnyPool,
    pub kind: Kind,
}

/// The `settings` row that holds the county's time zone.
const TIME_ZONE: &str = "time_zone";
/// The `settings` row that holds the county's own holiday table (its text).
const HOLIDAYS: &str = "holidays";

/// The schema, one migration a file (`src/county/migrations/`), in the
/// database's own dialect; `_sqlx_migrations` records what is applied.
/// The first is the schema as it was before migrations, so that an older
/// county database upgrades in place.
static SQLITE: sqlx::migrate::Migrator = sqlx::migrate!("src/county/migrations/sqlite");
static POSTGRES: sqlx::migrate::Migrator = sqlx::migrate!("src/county/migrations/postgres");

/// An appeal as the county holds it.
#[derive(Debug, Clone)]
pub struct HeldAppeal {
    pub station: String,
    pub appeal: Appeal,
}

/// A station as enrolled.
#[derive(Debug, Clone)]
pub struct EnrolledStation {
    pub code: String,
    pub name: String,
    pub public_key: String,
    /// What the station's own configuration says (staff left out).
    pub info: Option<Station>,
}

impl Db {
    /// Opens (and creates) the database: `url` when given, else SQLite at
    /// `<dir>/county.db`.
    pub async fn open(dir: &Path, url: Option<&str>) -> Result<Db, CountyError> {
        sqlx::any::install_default_drivers();
        let url = match url {
            Some(u)
                if u.starts_with("postgres://")
                    || u.starts_with("postgresql://")
                    || u.starts_with("sqlite:") =>
            {
                u.to_string()
            }
            Some(other) => return Err(CountyError::DbUrl(other.to_string())),
            None => {
                super::ensure_dir(dir)?;
                format!("sqlite://{}?mode=rwc", CountyPaths::new(dir).db().display())
            }
        };
        let url = if url.starts_with("sqlite:") && !url.contains("mode=") {
            let sep = if url.contains('?') { '&' } else { '?' };
            format!("{url}{sep}mode=rwc")
        } else {
            url
        };
        let kind = if url.starts_with("sqlite:") {
            Kind::Sqlite
        } else {
            Kind::Postgres
        };
        let options = AnyConnectOptions::from_str(&url)?;
        let pool = AnyPoolOptions::new()
            .max_connections(if kind == Kind::Sqlite { 4 } else { 8 })
            .acquire_timeout(Duration::from_secs(30))
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if kind == Kind::Sqlite {
                        sqlx::query("PRAGMA busy_timeout = 15000")
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query("PRAGMA journal_mode = WAL")
                            .execute(&mut *conn)
                            .await?;
                        sqlx::query("PRAGMA synchronous = FULL")
                            .execute(&mut *conn)
                            .await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        let db = Db { pool, kind };
        db.create_schema().await?;
        db.migrate().await?;
        db.fill_appeal_columns().await?;
        if kind == Kind::Postgres {
            db.check_trigrams().await?;
        }
        Ok(db)
    }

    /// pg_trgm takes trigrams of letters only, as the database's LC_CTYPE
    /// classifies them: under the C locale Chinese text has none, and a
    /// search reads every appeal (still finding what it should). Said in
    /// the log, with the remedy.
    async fn check_trigrams(&self) -> Result<(), CountyError> {
        let trigrams: i64 =
            sqlx::query("SELECT CAST(COALESCE(array_length(show_trgm('联络站'), 1), 0) AS BIGINT)")
                .fetch_one(&self.pool)
                .await?
                .try_get(0)?;
        if trigrams == 0 {
            log::warn!(
                "the database's LC_CTYPE does not read Chinese characters as letters: searching the \
                 appeals reads all of them; a database made with LC_CTYPE 'C.UTF-8' (or zh_CN.UTF-8) \
                 has the search index serve it"
            );
        }
        Ok(())
    }

    /// The county's time zone as `county serve` recorded it (an IANA
    /// name), if it has.
    pub async fn time_zone(&self) -> Result<Option<String>, CountyError> {
        let row = sqlx::query("SELECT value FROM settings WHERE name = $1")
            .bind(TIME_ZONE)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get::<String, _>(0)).transpose()?)
    }

    /// Records the county's time zone, in place of the one it held.
    pub async fn set_time_zone(&self, name: &str) -> Result<(), CountyError> {
        self.set_setting(TIME_ZONE, name).await
    }

    /// The county's own holiday table as `county serve --holidays`
    /// recorded it (its text), if it has.
    pub async fn holidays(&self) -> Result<Option<String>, CountyError> {
        let row = sqlx::query("SELECT value FROM settings WHERE name = $1")
            .bind(HOLIDAYS)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.try_get::<String, _>(0)).transpose()?)
    }

    /// Records the county's own holiday table, in place of the one it held.
    pub async fn set_holidays(&self, text: &str) -> Result<(), CountyError> {
        self.set_setting(HOLIDAYS, text).await
    }

    async fn set_setting(&self, name: &str, value: &str) -> Result<(), CountyError> {
        sqlx::query(
            "INSERT INTO settings (name, value) VALUES ($1, $2)
             ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        )
        .bind(name)
        .bind(value)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// One-time changes of the data, each recorded in `migrations` once
    /// done: `PURGE_STAFF_SECRETS`.
    async fn migrate(&self) -> Result<(), CountyError> {
        // The record of these changes predates the schema's migrations:
        // a database from before it may lack the table.
        sqlx::query("CREATE TABLE IF NOT EXISTS migrations (name TEXT PRIMARY KEY, done_at TEXT NOT NULL)")
            .execute(&self.pool)
            .await?;
        let done = sqlx::query("SELECT name FROM migrations WHERE name = $1")
            .bind(PURGE_STAFF_SECRETS)
            .fetch_optional(&self.pool)
            .await?;
        if done.is_none() {
            self.purge_staff_secrets().await?;
        }
        Ok(())
    }

    /// Staff credentials an older version kept (a station's configuration
    /// event as it came, with its staff's PIN hashes): each such event's
    /// bytes become the station's redacted form (`protocol::for_county`;
    /// its chain hash, over the journal's bytes, stays as it was), and the
    /// refusals and station rows lose them too. On SQLite the freed bytes
    /// are overwritten and the write-ahead log emptied; on PostgreSQL the
    /// tables are rewritten (`VACUUM FULL`), so that no old row version
    /// keeps them. Backups made before keep what they held.
    async fn purge_staff_secrets(&self) -> Result<(), CountyError> {
        let mut conn = self.pool.acquire().await?;
        if self.kind == Kind::Sqlite {
            sqlx::query("PRAGMA secure_delete = ON")
                .execute(&mut *conn)
                .await?;
        }
        let mut tx = sqlx::Connection::begin(&mut *conn).await?;
        let mut purged = 0u64;
        let events =
            sqlx::query("SELECT station, terminal, seq, body FROM events WHERE kind = 'station_configured'")
                .fetch_all(&mut *tx)
                .await?;
        for row in &events {
            let body: String = row.try_get(3)?;
            if let Some(clean) = without_secrets(&body) {
                sqlx::query("UPDATE events SET body = $1 WHERE station = $2 AND terminal = $3 AND seq = $4")
                    .bind(clean)
                    .bind(row.try_get::<String, _>(0)?)
                    .bind(row.try_get::<i64, _>(1)?)
                    .bind(row.try_get::<i64, _>(2)?)
                    .execute(&mut *tx)
                    .await?;
                purged += 1;
            }
        }
        let refusals = sqlx::query("SELECT DISTINCT body FROM refusals WHERE body IS NOT NULL")
            .fetch_all(&mut *tx)
            .await?;
        for row in &refusals {
            let body: String = row.try_get(0)?;
            let clean = match without_secrets(&body) {
                Some(clean) => Some(clean),
                // Bytes that do not read as an event: dropped if they
                // look like they hold a secret.
                None if body.contains("$argon2") || body.contains("\"pin") => None,
                None => continue,
            };
            sqlx::query("UPDATE refusals SET body = $1 WHERE body = $2")
                .bind(clean)
                .bind(body)
                .execute(&mut *tx)
                .await?;
            purged += 1;
        }
        let stations = sqlx::query("SELECT code, info FROM stations WHERE info IS NOT NULL")
            .fetch_all(&mut *tx)
            .await?;
        for row in &stations {
            let code: String = row.try_get(0)?;
            let info: Station = decode(&row.try_get::<String, _>(1)?)?;
            if !info.staff.is_empty() {
                save_station_info(&mut tx, &code, &info).await?;
                purged += 1;
            }
        }
        sqlx::query("INSERT INTO migrations (name, done_at) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING")
            .bind(PURGE_STAFF_SECRETS)
            .bind(super::now().to_rfc3339())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        if purged > 0 {
            log::info!("purged the staff secrets an older version kept: {purged} rows");
            match self.kind {
                Kind::Sqlite => {
                    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                        .execute(&mut *conn)
                        .await?;
                }
                Kind::Postgres => {
                    sqlx::query("VACUUM FULL events, refusals, stations")
                        .execute(&mut *conn)
                        .await?;
                }
            }
        }
        if self.kind == Kind::Sqlite {
            sqlx::query("PRAGMA secure_delete = OFF")
                .execute(&mut *conn)
                .await?;
        }
        Ok(())
    }

    async fn create_schema(&self) -> Result<(), CountyError> {
        let migrator = match self.kind {
            Kind::Sqlite => &SQLITE,
            Kind::Postgres => &POSTGRES,
        };
        // Two processes starting together may race on the first
        // migration (PostgreSQL's advisory lock orders them, SQLite's
        // does not): the loser tries again.
        let mut tries = 0;
        loop {
            tries += 1;
            match migrator.run(&self.pool).await {
                Ok(()) => return Ok(()),
                Err(e) if tries == 5 => return Err(CountyError::Migrate(e)),
                Err(e) => {
                    log::warn!("migrating the county database (try {tries}): {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    }

    /// Fills the appeal columns (`save_appeal`) of rows saved before they
    /// existed, from each row's state, a thousand rows a transaction.
    async fn fill_appeal_columns(&self) -> Result<(), CountyError> {
        let mut filled = 0u64;
        loop {
            let mut tx = self.pool.begin().await?;
            let rows =
                sqlx::query("SELECT code FROM appeals WHERE registered_at IS NULL ORDER BY code LIMIT 1000")
                    .fetch_all(&mut *tx)
                    .await?;
            if rows.is_empty() {
                break;
            }
            let codes = rows
                .iter()
                .map(|r| r.try_get::<String, _>(0))
                .collect::<Result<Vec<_>, _>>()?;
            let codes: Vec<&str> = codes.iter().map(String::as_str).collect();
            for h in appeals_by_code(&mut tx, &codes).await? {
                let held = h.appeal.history.len();
                save_appeals(&mut tx, &h.station, &[(&h.appeal, held)]).await?;
            }
            tx.commit().await?;
            filled += rows.len() as u64;
        }
        if filled > 0 {
            log::info!("filled the listing columns of {filled} appeals saved before they existed");
        }
        Ok(())
    }

    /// Every enrolled station's name, by code.
    pub async fn station_names(&self) -> Result<std::collections::BTreeMap<String, String>, CountyError> {
        let rows = sqlx::query("SELECT code, name FROM stations")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect()
    }

    pub async fn station(&self, code: &str) -> Result<Option<EnrolledStation>, CountyError> {
        let mut conn = self.pool.acquire().await?;
        station(&mut conn, code).await
    }

    /// Records a station's public key. False when it was enrolled before
    /// and `replace` is not set (nothing changed).
    pub async fn enroll(
        &self,
        code: &str,
        name: &str,
        public_key: &str,
        replace: bool,
    ) -> Result<bool, CountyError> {
        let at = super::now().to_rfc3339();
        let done = if replace {
            sqlx::query(
                "INSERT INTO stations (code, name, public_key, enrolled_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (code) DO UPDATE SET name = excluded.name, public_key = excluded.public_key,
                 enrolled_at = excluded.enrolled_at",
            )
        } else {
            sqlx::query(
                "INSERT INTO stations (code, name, public_key, enrolled_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (code) DO NOTHING",
            )
        }
        .bind(code)
        .bind(name)
        .bind(public_key)
        .bind(at)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The appeals `filter` wants, by code: the filter is the query's
    /// `WHERE`, its values bound.
    pub async fn appeals(&self, filter: &AppealFilter) -> Result<Vec<HeldAppeal>, CountyError> {
        let mut held = Vec::new();
        self.each_appeal(filter, |h| {
            held.push(h);
            Ok::<_, CountyError>(true)
        })
        .await?;
        Ok(held)
    }

    /// `appeals`, each given to `each` as its row comes (the rows are
    /// read as a stream, never held together); `each` says whether to go
    /// on.
    pub async fn each_appeal<E: From<CountyError>>(
        &self,
        filter: &AppealFilter,
        mut each: impl FnMut(HeldAppeal) -> Result<bool, E>,
    ) -> Result<(), E> {
        let mut wanted: Vec<(&str, String)> = Vec::new();
        if let Some(station) = &filter.station {
            wanted.push(("station", station.trim().to_string()));
        }
        if let Some(status) = filter.status {
            wanted.push(("status", status.code().to_string()));
        }
        // Each appeal's history entries joined into one JSON array.
        let joined = match self.kind {
            Kind::Sqlite => "group_concat(h.entry, ',' ORDER BY h.n)",
            Kind::Postgres => "string_agg(h.entry, ',' ORDER BY h.n)",
        };
        let mut sql = format!(
            "SELECT a.station, a.state,
               (SELECT '[' || {joined} || ']' FROM appeal_history h WHERE h.code = a.code)
             FROM appeals a"
        );
        for (n, (column, _)) in wanted.iter().enumerate() {
            let joint = if n == 0 { " WHERE" } else { " AND" };
            sql.push_str(&format!("{joint} a.{column} = ${}", n + 1));
        }
        sql.push_str(" ORDER BY a.code");
        let mut query = sqlx::query(&sql);
        for (_, value) in &wanted {
            query = query.bind(value.as_str());
        }
        let mut rows = query.fetch(&self.pool);
        while let Some(r) = rows.try_next().await.map_err(CountyError::from)? {
            let mut held = held_appeal(&r)?;
            let history: Option<String> = r.try_get(2).map_err(CountyError::from)?;
            if let Some(history) = history {
                held.appeal.history = decode(&history)?;
            }
            if !each(held)? {
                break;
            }
        }
        Ok(())
    }

    pub async fn appeal(&self, code: &str) -> Result<Option<HeldAppeal>, CountyError> {
        let mut conn = self.pool.acquire().await?;
        appeal(&mut conn, code).await
    }

    /// An appeal's access key alone (None: no such appeal), for the
    /// progress page to check a key with the same work whether the code
    /// is known or not.
    /// One row either way (empty for no appeal or no key), so that an
    /// unknown code costs what a known one does.
    pub async fn access_key(&self, code: &str) -> Result<Option<String>, CountyError> {
        let row = sqlx::query("SELECT COALESCE((SELECT access_key FROM appeals WHERE code = $1), '')")
            .bind(code)
            .fetch_one(&self.pool)
            .await?;
        let key: String = row.try_get(0)?;
        Ok(Some(key).filter(|k| !k.is_empty()))
    }

    /// The station's feed after `after`, at most `limit` rows: the
    /// county's own events, and the terminals' events it relays, read from
    /// `events` (`FeedRow`).
    pub async fn feed(&self, station: &str, after: u64, limit: usize) -> Result<Vec<FeedRow>, CountyError> {
        let rows = sqlx::query(
            "SELECT f.seq, f.body, f.terminal, f.appeal, f.created_at, e.body
             FROM feed f LEFT JOIN events e
               ON e.station = f.station AND e.terminal = f.terminal AND e.seq = f.tseq
             WHERE f.station = $1 AND f.seq > $2 ORDER BY f.seq LIMIT $3",
        )
        .bind(station)
        .bind(after.min(i64::MAX as u64) as i64)
        .bind(limit as i64)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| -> Result<FeedRow, CountyError> {
                let seq = r.try_get::<i64, _>(0)? as u64;
                let terminal: Option<i64> = r.try_get(2)?;
                Ok(match terminal {
                    None => FeedRow::County {
                        seq,
                        body: r.try_get(1)?,
                    },
                    Some(terminal) => FeedRow::Relayed {
                        seq,
                        terminal,
                        appeal: r.try_get(3)?,
                        at: r.try_get(4)?,
                        event: r.try_get::<Option<String>, _>(5)?.unwrap_or_default(),
                    },
                })
            })
            .collect()
    }

    /// A deputy's duty record at a station (`pages::DutyRecord`): the days
    /// they checked in, and the appeals they received and how they stand.
    pub async fn duty_record(
        &self,
        station: &str,
        deputy: &str,
    ) -> Result<crate::county::pages::DutyRecord, CountyError> {
        let mut record = crate::county::pages::DutyRecord::default();
        let needle = super::queue::contains_pattern(&format!(
            "\"deputy\":{}",
            serde_json::to_string(deputy).map_err(CountyError::Encode)?
        ));
        let checked = sqlx::query(
            "SELECT body FROM events WHERE station = $1 AND kind IN ('duty_checked_in', 'duty_item_recorded') AND body LIKE $2 ESCAPE '\\'",
        )
        .bind(station)
        .bind(needle)
        .fetch_all(&self.pool)
        .await?;
        let mut days = std::collections::BTreeSet::new();
        for row in &checked {
            let body: String = row.try_get(0)?;
            match serde_json::from_str::<crate::domain::Event>(&body).map(|e| e.body) {
                Ok(crate::domain::EventBody::DutyCheckedIn { deputy: d, day }) if d == deputy => {
                    days.insert(day);
                }
                Ok(crate::domain::EventBody::DutyItemRecorded { entry }) if entry.deputy == deputy => {
                    record.items += u64::from(entry.times);
                }
                _ => {}
            }
        }
        record.days = days.len() as u64;
        let pattern = super::queue::contains_pattern(&format!(",{deputy},"));
        let rows = sqlx::query(
            "SELECT status, satisfaction FROM appeals WHERE station = $1 AND deputies LIKE $2 ESCAPE '\\'",
        )
        .bind(station)
        .bind(pattern)
        .fetch_all(&self.pool)
        .await?;
        for row in &rows {
            let status: String = row.try_get(0)?;
            let satisfaction: Option<String> = row.try_get(1)?;
            record.appeals += 1;
            if status == crate::domain::Status::Closed.code() {
                record.closed += 1;
                if matches!(satisfaction.as_deref(), Some("satisfied" | "basic")) {
                    record.satisfied += 1;
                }
            } else {
                record.open += 1;
            }
        }
        Ok(record)
    }

    /// A terminal's own events after `after` (county key `terminal`, see
    /// `protocol::terminal_key`), at most `limit`: (sequence, chain hash
    /// after it, bytes as uploaded).
    pub async fn held_events(
        &self,
        station: &str,
        terminal: i64,
        after: u64,
        limit: usize,
    ) -> Result<Vec<(u64, String, String)>, CountyError> {
        let rows = sqlx::query(
            "SELECT seq, hash, body FROM events WHERE station = $1 AND terminal = $2 AND seq > $3 ORDER BY seq LIMIT $4",
        )
        .bind(station)
        .bind(terminal)
        .bind(after.min(i64::MAX as u64) as i64)
        .bind(limit as i64)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| -> Result<(u64, String, String), CountyError> {
                let seq: i64 = r.try_get(0)?;
                Ok((seq as u64, r.try_get(1)?, r.try_get(2)?))
            })
            .collect()
    }

    /// A station's deputy by id.
    pub async fn deputy(&self, station: &str, id: &str) -> Result<Option<Deputy>, CountyError> {
        let row = sqlx::query("SELECT body FROM deputies WHERE station = $1 AND id = $2")
            .bind(station)
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        match row {
            None => Ok(None),
            Some(r) => {
                let body: String = r.try_get(0)?;
                Ok(Some(decode(&body)?))
            }
        }
    }

    pub async fn deputies(&self, station: &str) -> Result<Vec<Deputy>, CountyError> {
        let rows = sqlx::query("SELECT body FROM deputies WHERE station = $1 ORDER BY id")
            .bind(station)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| -> Result<Deputy, CountyError> {
                let body: String = r.try_get(0)?;
                decode(&body)
            })
            .collect()
    }

    /// How many events the county holds (all stations).
    pub async fn event_count(&self) -> Result<u64, CountyError> {
        let n: i64 = sqlx::query("SELECT COUNT(*) FROM events")
            .fetch_one(&self.pool)
            .await?
            .try_get(0)?;
        Ok(n as u64)
    }
}

/// The migration that purges staff secrets (`Db::purge_staff_secrets`).
const PURGE_STAFF_SECRETS: &str = "purge_staff_secrets";

/// An event's JSON without staff secrets, when it holds any.
fn without_secrets(body: &str) -> Option<String> {
    let raw = serde_json::value::RawValue::from_string(body.to_string()).ok()?;
    crate::sync::protocol::for_county(&raw).map(|r| r.get().to_string())
}

pub fn decode<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, CountyError> {
    serde_json::from_str(text).map_err(|source| CountyError::Stored {
        what: std::any::type_name::<T>().to_string(),
        source,
    })
}

pub fn encode<T: serde::Serialize>(value: &T) -> Result<String, CountyError> {
    serde_json::to_string(value).map_err(CountyError::Encode)
}

/// The placeholders of a long statement's values, bound in order: `?` on
/// SQLite (a numbered one costs it a search through the statement's
/// names for each value bound, which grows with the square of the
/// statement), `$1`, `$2`… on PostgreSQL.
pub struct Marks {
    numbered: bool,
    next: usize,
}

impl Marks {
    pub fn new(conn: &AnyConnection) -> Marks {
        Marks {
            numbered: conn.backend_name() != "SQLite",
            next: 0,
        }
    }

    /// `count` more placeholders, separated by commas.
    pub fn take(&mut self, count: usize) -> String {
        let marks: Vec<String> = (0..count)
            .map(|_| {
                self.next += 1;
                if self.numbered {
                    format!("${}", self.next)
                } else {
                    "?".to_string()
                }
            })
            .collect();
        marks.join(", ")
    }
}

/// Takes the station's lock for the rest of the transaction (see the
/// module's note). False when the station is not enrolled.
/// A row of a station's feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeedRow {
    /// The county's own event, as stored.
    County { seq: u64, body: String },
    /// A terminal's event (county key `terminal`), relayed at `seq`: the
    /// appeal it is about, when the county took it, its bytes as held.
    Relayed {
        seq: u64,
        terminal: i64,
        appeal: Option<String>,
        at: String,
        event: String,
    },
}

impl FeedRow {
    pub fn seq(&self) -> u64 {
        match self {
            FeedRow::County { seq, .. } | FeedRow::Relayed { seq, .. } => *seq,
        }
    }
}

/// The last sequence of the station's feed (0 for none). Under the
/// station's lock, the next event takes the one after it.
async fn feed_top(conn: &mut AnyConnection, station: &str) -> Result<u64, CountyError> {
    let top: i64 = sqlx::query("SELECT COALESCE(MAX(seq), 0) FROM feed WHERE station = $1")
        .bind(station)
        .fetch_one(&mut *conn)
        .await?
        .try_get(0)?;
    Ok(top as u64)
}

/// Records an event of the county's own (a step of its staff, an appeal a
/// citizen sent) as the next event of the station's feed, about `appeal`,
/// under the station's lock: the event, numbered. `body` and `at` are the
/// event's; `actor` who took it.
pub async fn append_feed(
    conn: &mut AnyConnection,
    station: &str,
    appeal: &str,
    at: chrono::DateTime<chrono::FixedOffset>,
    actor: &str,
    body: crate::domain::EventBody,
) -> Result<crate::domain::Event, CountyError> {
    let seq = feed_top(conn, station).await? + 1;
    let event = crate::domain::Event {
        id: crate::domain::EventId {
            origin: crate::domain::event::county_origin(station),
            seq,
        },
        at,
        actor: actor.to_string(),
        body,
    };
    sqlx::query("INSERT INTO feed (station, seq, appeal, body, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(station)
        .bind(seq as i64)
        .bind(appeal)
        .bind(encode(&event)?)
        .bind(at.to_rfc3339())
        .execute(&mut *conn)
        .await?;
    Ok(event)
}

/// Adds a terminal's new events (county key `terminal`; sequence and
/// appeal of each) to the station's feed, after what it holds, to be
/// relayed to the station's other terminals. Under the station's lock.
pub async fn relay(
    conn: &mut AnyConnection,
    station: &str,
    terminal: i64,
    events: &[(u64, Option<&str>)],
    at: &str,
) -> Result<(), CountyError> {
    if events.is_empty() {
        return Ok(());
    }
    let mut next = feed_top(conn, station).await? as i64;
    for rows in events.chunks(500) {
        let mut marks = Marks::new(conn);
        let values: Vec<String> = rows.iter().map(|_| format!("({})", marks.take(7))).collect();
        let sql = format!(
            "INSERT INTO feed (station, seq, appeal, body, created_at, terminal, tseq) VALUES {}",
            values.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for (tseq, appeal) in rows {
            next += 1;
            query = query
                .bind(station)
                .bind(next)
                .bind(*appeal)
                .bind("")
                .bind(at)
                .bind(terminal)
                .bind(*tseq as i64);
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

pub async fn lock_station(conn: &mut AnyConnection, station: &str) -> Result<bool, CountyError> {
    let done = sqlx::query("UPDATE stations SET writes = writes + 1 WHERE code = $1")
        .bind(station)
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn station(conn: &mut AnyConnection, code: &str) -> Result<Option<EnrolledStation>, CountyError> {
    let row = sqlx::query("SELECT code, name, public_key, info FROM stations WHERE code = $1")
        .bind(code)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(r) = row else {
        return Ok(None);
    };
    let info: Option<String> = r.try_get(3)?;
    Ok(Some(EnrolledStation {
        code: r.try_get(0)?,
        name: r.try_get(1)?,
        public_key: r.try_get(2)?,
        info: match info {
            Some(text) => Some(decode(&text)?),
            None => None,
        },
    }))
}

pub async fn appeal(conn: &mut AnyConnection, code: &str) -> Result<Option<HeldAppeal>, CountyError> {
    Ok(appeals_by_code(conn, &[code]).await?.pop())
}

/// A row of (station, state) as the appeal it holds, its history not yet
/// read (`appeal_history`).
fn held_appeal(r: &sqlx::any::AnyRow) -> Result<HeldAppeal, CountyError> {
    let state: String = r.try_get(1)?;
    Ok(HeldAppeal {
        station: r.try_get(0)?,
        appeal: decode(&state)?,
    })
}

/// The appeals of `codes` the county holds, with their history (in no
/// particular order): two queries a thousand codes.
pub async fn appeals_by_code(
    conn: &mut AnyConnection,
    codes: &[&str],
) -> Result<Vec<HeldAppeal>, CountyError> {
    let mut held = Vec::with_capacity(codes.len());
    for codes in codes.chunks(1000) {
        let marks = Marks::new(conn).take(codes.len());
        let sql = format!("SELECT station, state FROM appeals WHERE code IN ({marks})");
        let mut query = sqlx::query(&sql);
        for code in codes {
            query = query.bind(*code);
        }
        let mut found: BTreeMap<String, HeldAppeal> = BTreeMap::new();
        for r in query.fetch_all(&mut *conn).await? {
            let h = held_appeal(&r)?;
            found.insert(h.appeal.code.to_string(), h);
        }
        if found.is_empty() {
            continue;
        }
        let sql = format!("SELECT code, entry FROM appeal_history WHERE code IN ({marks}) ORDER BY code, n");
        let mut query = sqlx::query(&sql);
        for code in codes {
            query = query.bind(*code);
        }
        for r in query.fetch_all(&mut *conn).await? {
            let code: String = r.try_get(0)?;
            let entry: String = r.try_get(1)?;
            if let Some(h) = found.get_mut(&code) {
                h.appeal.history.push(decode(&entry)?);
            }
        }
        held.extend(found.into_values());
    }
    Ok(held)
}

/// Writes the appeal's state (new or changed), with the fields the
/// console lists, filters and searches by as columns of their own.
pub async fn save_appeal(
    conn: &mut AnyConnection,
    station: &str,
    appeal: &Appeal,
) -> Result<(), CountyError> {
    sqlx::query("DELETE FROM appeal_history WHERE code = $1 AND n >= $2")
        .bind(appeal.code.as_str())
        .bind(appeal.history.len() as i64)
        .execute(&mut *conn)
        .await?;
    save_appeals(conn, station, &[(appeal, 0)]).await
}

/// The columns of an appeal's row `save_appeals` writes, in order.
const APPEAL_COLUMNS: [&str; 20] = [
    "code",
    "station",
    "status",
    "category",
    "access_key",
    "state",
    "updated_at",
    "registered_at",
    "registered_on",
    "title",
    "unit",
    "deadline",
    "round",
    "chases",
    "satisfaction",
    "deputies",
    "reopened",
    "replied_on",
    "closed_on",
    "search",
];

/// `save_appeal` for several appeals of `station`, in one statement for
/// their rows and one for their history: each given with how many of its
/// history's entries the county holds already (those are not written
/// again; the appeal's row holds its state without them).
pub async fn save_appeals(
    conn: &mut AnyConnection,
    station: &str,
    appeals: &[(&Appeal, usize)],
) -> Result<(), CountyError> {
    if appeals.is_empty() {
        return Ok(());
    }
    let mut marks = Marks::new(conn);
    let rows: Vec<String> = appeals
        .iter()
        .map(|_| format!("({})", marks.take(APPEAL_COLUMNS.len())))
        .collect();
    let mut sql = format!(
        "INSERT INTO appeals ({}) VALUES {}",
        APPEAL_COLUMNS.join(", "),
        rows.join(", ")
    );
    sql.push_str(" ON CONFLICT (code) DO UPDATE SET ");
    let updates: Vec<String> = APPEAL_COLUMNS[1..]
        .iter()
        .map(|c| format!("{c} = excluded.{c}"))
        .collect();
    sql.push_str(&updates.join(", "));
    let zone = super::zone();
    let day = |at: &chrono::DateTime<chrono::FixedOffset>| zone.date(at).to_string();
    let updated_at = super::now().to_rfc3339();
    let mut query = sqlx::query(&sql);
    for (appeal, _) in appeals {
        let deputies = appeal
            .deputies
            .iter()
            .fold(String::from(","), |acc, d| format!("{acc}{},", d.id));
        let replied_on = appeal
            .history
            .iter()
            .rev()
            .find(|h| h.not_applied.is_none() && h.to == crate::domain::Status::Replied)
            .map(|h| day(&h.at));
        let closed_on = appeal
            .history
            .iter()
            .rev()
            .find(|h| h.not_applied.is_none() && h.to == crate::domain::Status::Closed)
            .filter(|_| appeal.status == crate::domain::Status::Closed)
            .map(|h| day(&h.at));
        let search = [
            appeal.code.as_str(),
            &appeal.title,
            &appeal.content,
            &appeal.location,
            appeal.unit.as_deref().unwrap_or(""),
            appeal.reply.as_deref().unwrap_or(""),
        ]
        .join("\n");
        query = query
            .bind(appeal.code.to_string())
            .bind(station)
            .bind(appeal.status.code())
            .bind(appeal.category.code())
            .bind(appeal.access_key.clone())
            .bind(state_without_history(appeal)?)
            .bind(updated_at.clone())
            .bind(appeal.registered_at.to_rfc3339())
            .bind(day(&appeal.registered_at))
            .bind(appeal.title.clone())
            .bind(appeal.unit.clone())
            .bind(appeal.deadline.map(|d| d.to_string()))
            .bind(appeal.round as i64)
            .bind(appeal.chases as i64)
            .bind(appeal.satisfaction.map(|s| s.code().to_string()))
            .bind(deputies)
            .bind(i64::from(appeal.round > 0))
            .bind(replied_on)
            .bind(closed_on)
            .bind(search);
    }
    query.execute(&mut *conn).await?;
    let mut entries: Vec<(&str, usize, String)> = Vec::new();
    for (appeal, held) in appeals {
        for (n, entry) in appeal.history.iter().enumerate().skip(*held) {
            entries.push((appeal.code.as_str(), n, encode(entry)?));
        }
    }
    for rows in entries.chunks(1000) {
        let mut marks = Marks::new(conn);
        let values: Vec<String> = rows.iter().map(|_| format!("({})", marks.take(3))).collect();
        let sql = format!(
            "INSERT INTO appeal_history (code, n, entry) VALUES {}
             ON CONFLICT (code, n) DO UPDATE SET entry = excluded.entry",
            values.join(", ")
        );
        let mut query = sqlx::query(&sql);
        for (code, n, entry) in rows {
            query = query.bind(*code).bind(*n as i64).bind(entry.as_str());
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// The appeal's JSON with an empty history (its entries are rows of
/// `appeal_history`).
fn state_without_history(appeal: &Appeal) -> Result<String, CountyError> {
    let mut slim = appeal.clone();
    slim.history.clear();
    encode(&slim)
}

pub async fn save_station_info(
    conn: &mut AnyConnection,
    code: &str,
    info: &Station,
) -> Result<(), CountyError> {
    // The public part only: staff (and their PIN hashes) stay at the station.
    let public = Station {
        staff: Vec::new(),
        ..info.clone()
    };
    sqlx::query("UPDATE stations SET info = $1 WHERE code = $2")
        .bind(encode(&public)?)
        .bind(code)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn save_deputy(
    conn: &mut AnyConnection,
    station: &str,
    deputy: &Deputy,
) -> Result<(), CountyError> {
    sqlx::query(
        "INSERT INTO deputies (station, id, body) VALUES ($1, $2, $3)
         ON CONFLICT (station, id) DO UPDATE SET body = excluded.body",
    )
    .bind(station)
    .bind(deputy.id.as_str())
    .bind(encode(deputy)?)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// What the county's unit tests share: a runtime, and a database with a
/// station enrolled.
#[cfg(test)]
pub(crate) mod testing {
    use super::Db;

    pub fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
    }

    /// A county database in `dir` (SQLite) with `station` enrolled.
    pub async fn enrolled(dir: &std::path::Path, station: &str) -> Db {
        let db = Db::open(dir, None).await.unwrap();
        db.enroll(station, "站", "key", false).await.unwrap();
        db
    }
}

#[cfg(test)]
mod tests {
    use chrono::{DateTime, NaiveDate};

    use super::testing::runtime;
    use super::*;
    use crate::domain::{Status, TrackingCode};

    fn appeal(station: &str, n: u32, status: Status) -> Appeal {
        let at = DateTime::parse_from_rfc3339("2026-11-10T09:00:00+08:00").unwrap();
        let code = TrackingCode::new(NaiveDate::from_ymd_opt(2026, 11, 10).unwrap(), station, 1, n).unwrap();
        let mut appeal = Appeal::registered(code, at);
        appeal.status = status;
        appeal
    }

    #[test]
    fn a_fresh_database_is_made_and_migrated_once() {
        let dir = tempfile::tempdir().unwrap();
        runtime().block_on(async {
            let db = Db::open(dir.path(), None).await.unwrap();
            assert_eq!(db.kind, Kind::Sqlite);
            assert!(CountyPaths::new(dir.path()).db().is_file());
            for table in [
                "stations",
                "terminals",
                "events",
                "appeals",
                "deputies",
                "feed",
                "settings",
                "refusals",
            ] {
                let rows: i64 = sqlx::query(&format!("SELECT COUNT(*) FROM {table}"))
                    .fetch_one(&db.pool)
                    .await
                    .unwrap()
                    .try_get(0)
                    .unwrap();
                assert_eq!(rows, 0, "{table}");
            }
            let done = |db: Db| async move {
                sqlx::query("SELECT name FROM migrations")
                    .fetch_all(&db.pool)
                    .await
                    .unwrap()
                    .iter()
                    .map(|r| r.try_get::<String, _>(0).unwrap())
                    .collect::<Vec<_>>()
            };
            assert_eq!(done(db.clone()).await, [PURGE_STAFF_SECRETS]);
            assert_eq!(db.time_zone().await.unwrap(), None);
            db.set_time_zone("Asia/Urumqi").await.unwrap();
            db.pool.close().await;
            // Opened again: the schema and the migration are not redone,
            // and what it holds stays.
            let db = Db::open(dir.path(), None).await.unwrap();
            assert_eq!(done(db.clone()).await, [PURGE_STAFF_SECRETS]);
            assert_eq!(db.time_zone().await.unwrap().as_deref(), Some("Asia/Urumqi"));
        });
    }

    #[test]
    fn the_listing_returns_exactly_the_appeals_asked_for() {
        let dir = tempfile::tempdir().unwrap();
        runtime().block_on(async {
            let db = Db::open(dir.path(), None).await.unwrap();
            let mut conn = db.pool.acquire().await.unwrap();
            let held = [
                ("330999013", appeal("330999013", 1, Status::Registered)),
                ("330999012", appeal("330999012", 2, Status::Accepted)),
                ("330999012", appeal("330999012", 1, Status::Registered)),
            ];
            for (station, appeal) in &held {
                save_appeal(&mut conn, station, appeal).await.unwrap();
            }
            drop(conn);
            let listed = |station: Option<&str>, status: Option<Status>| {
                let filter = AppealFilter {
                    station: station.map(str::to_string),
                    status,
                };
                let db = db.clone();
                async move {
                    db.appeals(&filter)
                        .await
                        .unwrap()
                        .into_iter()
                        .map(|h| (h.station, h.appeal.code.to_string(), h.appeal.status))
                        .collect::<Vec<_>>()
                }
            };
            let row = |i: usize| {
                let (station, appeal) = &held[i];
                (station.to_string(), appeal.code.to_string(), appeal.status)
            };
            // By code: the station's codes sort before the other's.
            assert_eq!(listed(None, None).await, [row(2), row(1), row(0)]);
            assert_eq!(listed(Some("330999012"), None).await, [row(2), row(1)]);
            assert_eq!(listed(Some(" 330999012 "), None).await, [row(2), row(1)]);
            assert_eq!(listed(None, Some(Status::Registered)).await, [row(2), row(0)]);
            assert_eq!(listed(Some("330999012"), Some(Status::Accepted)).await, [row(1)]);
            assert_eq!(listed(Some("330999014"), None).await, []);
            assert_eq!(listed(None, Some(Status::Closed)).await, []);
        });
    }

    #[test]
    fn the_feed_is_read_after_a_sequence_in_order_and_by_station() {
        let dir = tempfile::tempdir().unwrap();
        runtime().block_on(async {
            let db = Db::open(dir.path(), None).await.unwrap();
            for (station, seq) in [
                ("330999012", 2),
                ("330999012", 1),
                ("330999012", 3),
                ("330999013", 1),
            ] {
                sqlx::query(
                    "INSERT INTO feed (station, seq, appeal, body, created_at) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(station)
                .bind(seq as i64)
                .bind(None::<String>)
                .bind(format!("{{\"s\":\"{station}\",\"n\":{seq}}}"))
                .bind("2026-11-30T10:00:00+08:00")
                .execute(&db.pool)
                .await
                .unwrap();
            }
            let seqs = |rows: Vec<FeedRow>| rows.iter().map(FeedRow::seq).collect::<Vec<_>>();
            assert_eq!(seqs(db.feed("330999012", 0, 10).await.unwrap()), [1, 2, 3]);
            assert_eq!(seqs(db.feed("330999012", 1, 10).await.unwrap()), [2, 3]);
            assert_eq!(seqs(db.feed("330999012", 0, 2).await.unwrap()), [1, 2]);
            assert_eq!(
                seqs(db.feed("330999012", 3, 10).await.unwrap()),
                Vec::<u64>::new()
            );
            assert_eq!(
                seqs(db.feed("330999012", u64::MAX, 10).await.unwrap()),
                Vec::<u64>::new()
            );
            let other = db.feed("330999013", 0, 10).await.unwrap();
            assert_eq!(
                other,
                [FeedRow::County {
                    seq: 1,
                    body: "{\"s\":\"330999013\",\"n\":1}".to_string()
                }]
            );
        });
    }
}
