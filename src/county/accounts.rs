//! The county's staff accounts: users (argon2id password hashes), their
//! browser sessions (a random token in a cookie, only its SHA-256 kept)
//! and the login throttle (in memory, per account and per address).

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, FixedOffset};
use sqlx::Row;

use super::CountyError;
use super::db::Db;
use crate::i18n::Lang;

/// What a member of the county's staff may do (the domain's
/// `CountyRole`): the office (县人大办) every step on every appeal, a unit
/// (承办单位) the appeals referred to it, a viewer (只读) read only.
pub use crate::domain::county_steps::CountyRole as Role;

/// A member of the county's staff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub name: String,
    pub role: Role,
    /// A unit's staff: the unit's id and name in the catalogue.
    pub unit: Option<(i64, String)>,
}

impl User {
    /// The name county events carry for this person: a unit's staff as
    /// `{unit}·{name}`.
    pub fn actor(&self) -> String {
        match &self.unit {
            Some((_, unit)) => format!("{unit}·{}", self.name),
            None => self.name.clone(),
        }
    }
}

/// A user as listed, with whether the account is disabled.
#[derive(Debug, Clone)]
pub struct Listed {
    pub user: User,
    pub disabled: bool,
    pub created_at: String,
}

/// The fewest characters of a password.
pub const MIN_PASSWORD: usize = 8;
/// The most characters of a user name.
pub const MAX_NAME: usize = 40;
/// How long a session lasts from login.
pub const SESSION_HOURS: i64 = 8;

/// Why an account could not be added or changed.
#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("name is empty, too long or holds control characters")]
    BadName,
    #[error("name {0} is taken")]
    NameTaken(String),
    #[error("no user {0}")]
    NoSuchUser(String),
    #[error("unknown role {0}")]
    UnknownRole(String),
    #[error("unit {0} is not in the catalogue")]
    UnknownUnit(String),
    /// A unit's account names no unit.
    #[error("a unit's account needs its unit")]
    UnitRequired,
    /// An office or viewer account names a unit.
    #[error("only a unit's account names a unit")]
    UnitNotForRole,
    #[error("password too short")]
    PasswordTooShort,
    #[error("{0}")]
    County(#[from] CountyError),
}

impl From<sqlx::Error> for AccountError {
    fn from(e: sqlx::Error) -> AccountError {
        AccountError::County(CountyError::Db(e))
    }
}

impl AccountError {
    pub fn message(&self, lang: Lang) -> String {
        match self {
            AccountError::BadName => lang.pick(
                format!("用户名须为 1 到 {MAX_NAME} 个字，不含空白以外的控制字符"),
                format!("a user name is 1 to {MAX_NAME} characters, without control characters"),
            ),
            AccountError::NameTaken(name) => lang.pick(
                format!("用户名 {name} 已被使用"),
                format!("the user name {name} is taken"),
            ),
            AccountError::NoSuchUser(name) => {
                lang.pick(format!("没有用户 {name}"), format!("there is no user {name}"))
            }
            AccountError::UnknownRole(role) => lang.pick(
                format!("没有角色 {role}；可用：office（县人大办）、unit（承办单位）、viewer（只读）"),
                format!("no role {role}; one of: office, unit, viewer"),
            ),
            AccountError::UnknownUnit(unit) => lang.pick(
                format!("单位目录里没有“{unit}”（请先用 `county unit add` 加入，或检查名称）"),
                format!("\"{unit}\" is not in the unit catalogue (add it with `county unit add`, or check the name)"),
            ),
            AccountError::UnitRequired => lang.pick(
                "承办单位的账号须指定单位（--unit）".to_string(),
                "a unit's account needs its unit (--unit)".to_string(),
            ),
            AccountError::UnitNotForRole => lang.pick(
                "只有承办单位的账号才指定单位".to_string(),
                "only a unit's account names a unit".to_string(),
            ),
            AccountError::PasswordTooShort => lang.pick(
                format!("密码至少 {MIN_PASSWORD} 个字符"),
                format!("a password has at least {MIN_PASSWORD} characters"),
            ),
            AccountError::County(e) => e.message(lang),
        }
    }
}

/// A user name as kept: trimmed, checked.
pub fn checked_name(name: &str) -> Result<String, AccountError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME || name.chars().any(char::is_control) {
        return Err(AccountError::BadName);
    }
    Ok(name.to_string())
}

fn checked_password(password: &str) -> Result<(), AccountError> {
    if password.chars().count() < MIN_PASSWORD {
        return Err(AccountError::PasswordTooShort);
    }
    Ok(())
}

/// An argon2id hash (the crate's default cost) of `password`, salted at
/// random.
fn hash_password(password: &str) -> Result<String, AccountError> {
    use argon2::PasswordHasher;
    let mut salt = [0u8; 16];
    fill_random(&mut salt)?;
    let failed = |e: argon2::password_hash::Error| system_failure("argon2", e);
    let salt = argon2::password_hash::SaltString::encode_b64(&salt).map_err(failed)?;
    Ok(argon2::Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(failed)?
        .to_string())
}

/// A failure of the system's random source or of hashing, as the county
/// reports one.
fn system_failure(what: &str, e: impl std::fmt::Display) -> CountyError {
    CountyError::io(std::path::Path::new(what), std::io::Error::other(e.to_string()))
}

pub(crate) fn fill_random(bytes: &mut [u8]) -> Result<(), CountyError> {
    getrandom::fill(bytes).map_err(|e| system_failure("getrandom", e))
}

/// Whether `password` is the one `hash` was made from.
fn password_matches(hash: &str, password: &str) -> bool {
    use argon2::PasswordVerifier;
    match argon2::password_hash::PasswordHash::new(hash) {
        Ok(parsed) => argon2::Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// A hash no password matches in practice, checked against when the
/// account is unknown or disabled so that every login costs the same.
fn stand_in_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| {
        use argon2::PasswordHasher;
        let salt = argon2::password_hash::SaltString::encode_b64(b"jiedai stand-in!").expect("16 bytes");
        argon2::Argon2::default()
            .hash_password(b"\0no account\0", &salt)
            .map(|h| h.to_string())
            .unwrap_or_default()
    })
}

/// Adds a user. A unit's account names a unit of the catalogue.
pub async fn add_user(
    db: &Db,
    name: &str,
    role: Role,
    unit: Option<&str>,
    password: &str,
) -> Result<User, AccountError> {
    let name = checked_name(name)?;
    let unit = match (role, unit.map(str::trim).filter(|u| !u.is_empty())) {
        (Role::Unit, None) => return Err(AccountError::UnitRequired),
        (Role::Unit, Some(u)) => Some(match super::units::resolve(db, u).await {
            Ok(unit) => (unit.id, unit.name),
            Err(super::units::UnitProblem::County(e)) => return Err(e.into()),
            Err(_) => return Err(AccountError::UnknownUnit(u.to_string())),
        }),
        (_, Some(_)) => return Err(AccountError::UnitNotForRole),
        (_, None) => None,
    };
    checked_password(password)?;
    let hash = hash_password(password)?;
    let taken = sqlx::query("SELECT id FROM users WHERE name = $1")
        .bind(name.as_str())
        .fetch_optional(&db.pool)
        .await?;
    if taken.is_some() {
        return Err(AccountError::NameTaken(name));
    }
    let inserted = sqlx::query(
        "INSERT INTO users (name, role, unit_id, password_hash, disabled, created_at)
         VALUES ($1, $2, $3, $4, 0, $5) RETURNING id",
    )
    .bind(name.as_str())
    .bind(role.code())
    .bind(unit.as_ref().map(|(id, _)| *id))
    .bind(hash)
    .bind(super::now().to_rfc3339())
    .fetch_one(&db.pool)
    .await;
    let id: i64 = match inserted {
        Ok(row) => row.try_get(0)?,
        // Taken meanwhile.
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            return Err(AccountError::NameTaken(name));
        }
        Err(e) => return Err(e.into()),
    };
    Ok(User { id, name, role, unit })
}

/// Sets a user's password; the user's sessions end.
pub async fn set_password(db: &Db, name: &str, password: &str) -> Result<User, AccountError> {
    let user = user_named(db, name)
        .await?
        .ok_or_else(|| AccountError::NoSuchUser(name.trim().to_string()))?
        .user;
    checked_password(password)?;
    let hash = hash_password(password)?;
    sqlx::query("UPDATE users SET password_hash = $1 WHERE id = $2")
        .bind(hash)
        .bind(user.id)
        .execute(&db.pool)
        .await?;
    end_sessions(db, user.id).await?;
    Ok(user)
}

/// Disables a user and ends the user's sessions.
pub async fn disable(db: &Db, name: &str) -> Result<User, AccountError> {
    let user = user_named(db, name)
        .await?
        .ok_or_else(|| AccountError::NoSuchUser(name.trim().to_string()))?
        .user;
    sqlx::query("UPDATE users SET disabled = 1 WHERE id = $1")
        .bind(user.id)
        .execute(&db.pool)
        .await?;
    end_sessions(db, user.id).await?;
    Ok(user)
}

const USER_COLUMNS: &str = "SELECT u.id, u.name, u.role, u.unit_id, n.name, u.disabled, u.created_at
     FROM users u LEFT JOIN units n ON n.id = u.unit_id";

fn listed_row(r: &sqlx::any::AnyRow) -> Result<Listed, CountyError> {
    let role: String = r.try_get(2)?;
    let unit_id: Option<i64> = r.try_get(3)?;
    let unit_name: Option<String> = r.try_get(4)?;
    let disabled: i64 = r.try_get(5)?;
    Ok(Listed {
        user: User {
            id: r.try_get(0)?,
            name: r.try_get(1)?,
            // A role this version does not know reads as a viewer.
            role: Role::parse(&role).unwrap_or(Role::Viewer),
            unit: unit_id.zip(unit_name),
        },
        disabled: disabled != 0,
        created_at: r.try_get(6)?,
    })
}

/// Every user, by name.
pub async fn list(db: &Db) -> Result<Vec<Listed>, CountyError> {
    let rows = sqlx::query(&format!("{USER_COLUMNS} ORDER BY u.name"))
        .fetch_all(&db.pool)
        .await?;
    rows.iter().map(listed_row).collect()
}

pub async fn user_named(db: &Db, name: &str) -> Result<Option<Listed>, CountyError> {
    let row = sqlx::query(&format!("{USER_COLUMNS} WHERE u.name = $1"))
        .bind(name.trim())
        .fetch_optional(&db.pool)
        .await?;
    row.as_ref().map(listed_row).transpose()
}

pub async fn user_by_id(db: &Db, id: i64) -> Result<Option<Listed>, CountyError> {
    let row = sqlx::query(&format!("{USER_COLUMNS} WHERE u.id = $1"))
        .bind(id)
        .fetch_optional(&db.pool)
        .await?;
    row.as_ref().map(listed_row).transpose()
}

/// The enabled user `name` if `password` is theirs. The same work
/// (one argon2 verification) whether the account exists or not.
pub async fn verify(db: &Db, name: &str, password: &str) -> Result<Option<User>, CountyError> {
    let row = sqlx::query("SELECT id, password_hash, disabled FROM users WHERE name = $1")
        .bind(name.trim())
        .fetch_optional(&db.pool)
        .await?;
    let (id, hash) = match &row {
        Some(r) if r.try_get::<i64, _>(2)? == 0 => {
            (Some(r.try_get::<i64, _>(0)?), r.try_get::<String, _>(1)?)
        }
        _ => (None, stand_in_hash().to_string()),
    };
    let password = password.to_string();
    let matches = tokio::task::spawn_blocking(move || password_matches(&hash, &password))
        .await
        .unwrap_or(false);
    match id {
        Some(id) if matches => Ok(user_by_id(db, id).await?.map(|l| l.user)),
        _ => Ok(None),
    }
}

/// A signed-in browser's secrets: the cookie's token and the token its
/// forms carry.
#[derive(Debug, Clone)]
pub struct Session {
    pub token: String,
    pub csrf: String,
    pub expires_at: DateTime<FixedOffset>,
}

/// The name of the session cookie.
pub const COOKIE: &str = "jiedai_session";

fn random_token() -> Result<String, CountyError> {
    let mut bytes = [0u8; 32];
    fill_random(&mut bytes)?;
    Ok(URL_SAFE_NO_PAD.encode(bytes))
}

/// What the database keeps of a token: its SHA-256, hex.
pub fn token_hash(token: &str) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(token.as_bytes()))
}

/// A time as sessions keep it: RFC 3339 in UTC, to the second.
fn utc_text(at: DateTime<FixedOffset>) -> String {
    at.to_utc().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Opens a session for `user` from `address`, for `SESSION_HOURS`.
pub async fn open_session(db: &Db, user: &User, address: &str) -> Result<Session, CountyError> {
    let token = random_token()?;
    let csrf = random_token()?;
    let now = super::now();
    let expires_at = now + chrono::Duration::hours(SESSION_HOURS);
    // Sessions that ended unseen are dropped (times in UTC, so that
    // they compare as text).
    sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
        .bind(utc_text(now))
        .execute(&db.pool)
        .await?;
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, csrf, created_at, expires_at, address)
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(token_hash(&token))
    .bind(user.id)
    .bind(csrf.as_str())
    .bind(utc_text(now))
    .bind(utc_text(expires_at))
    .bind(address)
    .execute(&db.pool)
    .await?;
    Ok(Session {
        token,
        csrf,
        expires_at,
    })
}

/// The user and form token of a live session; an expired one is removed.
pub async fn session(db: &Db, token: &str) -> Result<Option<(User, String)>, CountyError> {
    let hash = token_hash(token);
    let row = sqlx::query(
        "SELECT u.id, u.name, u.role, u.unit_id, n.name, u.disabled, s.csrf, s.expires_at
         FROM sessions s JOIN users u ON u.id = s.user_id LEFT JOIN units n ON n.id = u.unit_id
         WHERE s.token_hash = $1",
    )
    .bind(hash.as_str())
    .fetch_optional(&db.pool)
    .await?;
    let Some(r) = row else {
        return Ok(None);
    };
    let expires_at: String = r.try_get(7)?;
    let live = DateTime::parse_from_rfc3339(&expires_at).is_ok_and(|at| at > super::now());
    let disabled: i64 = r.try_get(5)?;
    if !live || disabled != 0 {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(hash.as_str())
            .execute(&db.pool)
            .await?;
        return Ok(None);
    }
    let role: String = r.try_get(2)?;
    let unit_id: Option<i64> = r.try_get(3)?;
    let unit_name: Option<String> = r.try_get(4)?;
    let user = User {
        id: r.try_get(0)?,
        name: r.try_get(1)?,
        role: Role::parse(&role).unwrap_or(Role::Viewer),
        unit: unit_id.zip(unit_name),
    };
    Ok(Some((user, r.try_get(6)?)))
}

/// Ends one session (logout).
pub async fn close_session(db: &Db, token: &str) -> Result<(), CountyError> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash(token))
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Ends every session of a user.
pub async fn end_sessions(db: &Db, user_id: i64) -> Result<(), CountyError> {
    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user_id)
        .execute(&db.pool)
        .await?;
    Ok(())
}

/// Failed logins within `THROTTLE_WINDOW` after which an account is
/// refused until the oldest of them leaves the window.
pub const ACCOUNT_FAILURES: usize = 5;
/// The same, for one client address (any accounts).
pub const ADDRESS_FAILURES: usize = 20;
pub const THROTTLE_WINDOW: Duration = Duration::from_secs(15 * 60);
/// The most accounts and addresses the throttle remembers.
const THROTTLE_KEYS: usize = 100_000;

/// The login throttle: recent failures per account and per address.
#[derive(Default)]
pub struct Throttle {
    failures: Mutex<Failures>,
}

#[derive(Default)]
struct Failures {
    accounts: HashMap<String, VecDeque<Instant>>,
    addresses: HashMap<IpAddr, VecDeque<Instant>>,
}

fn recent(times: &mut VecDeque<Instant>, now: Instant) {
    while times
        .front()
        .is_some_and(|t| now.duration_since(*t) >= THROTTLE_WINDOW)
    {
        times.pop_front();
    }
}

/// How long until `times` holds fewer than `most`.
fn wait(times: &mut VecDeque<Instant>, most: usize, now: Instant) -> Option<Duration> {
    recent(times, now);
    (times.len() >= most).then(|| {
        let oldest = times[times.len() - most];
        THROTTLE_WINDOW.saturating_sub(now.duration_since(oldest))
    })
}

fn account_key(name: &str) -> String {
    name.trim()
        .chars()
        .take(MAX_NAME + 1)
        .collect::<String>()
        .to_lowercase()
}

impl Throttle {
    pub fn new() -> Throttle {
        Throttle::default()
    }

    /// None when a login for `name` from `address` may be tried; else how
    /// long to wait.
    pub fn check(&self, name: &str, address: IpAddr) -> Option<Duration> {
        self.check_at(name, address, Instant::now())
    }

    fn check_at(&self, name: &str, address: IpAddr, now: Instant) -> Option<Duration> {
        let mut f = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        let account = f
            .accounts
            .get_mut(&account_key(name))
            .and_then(|t| wait(t, ACCOUNT_FAILURES, now));
        let client = f
            .addresses
            .get_mut(&address)
            .and_then(|t| wait(t, ADDRESS_FAILURES, now));
        account.max(client)
    }

    /// Counts a failed login.
    pub fn failed(&self, name: &str, address: IpAddr) {
        self.failed_at(name, address, Instant::now());
    }

    fn failed_at(&self, name: &str, address: IpAddr, now: Instant) {
        let mut f = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if f.accounts.len() + f.addresses.len() > THROTTLE_KEYS {
            f.accounts.retain(|_, t| {
                recent(t, now);
                !t.is_empty()
            });
            f.addresses.retain(|_, t| {
                recent(t, now);
                !t.is_empty()
            });
        }
        let times = f.accounts.entry(account_key(name)).or_default();
        recent(times, now);
        times.push_back(now);
        let times = f.addresses.entry(address).or_default();
        recent(times, now);
        times.push_back(now);
    }

    /// A successful login clears the account's failures.
    pub fn succeeded(&self, name: &str) {
        let mut f = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        f.accounts.remove(&account_key(name));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::county::db::testing::runtime;

    #[test]
    fn the_throttle_counts_per_account_and_per_address() {
        let t = Throttle::new();
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let start = Instant::now();
        for _ in 0..ACCOUNT_FAILURES {
            assert_eq!(t.check_at("王科员", a, start), None);
            t.failed_at("王科员", a, start);
        }
        let wait = t.check_at("王科员", b, start).expect("the account waits");
        assert!(wait <= THROTTLE_WINDOW && wait > THROTTLE_WINDOW - Duration::from_secs(1));
        assert_eq!(t.check_at("李工", a, start), None, "another account may try");
        let later = start + THROTTLE_WINDOW;
        assert_eq!(t.check_at("王科员", a, later), None, "the window passed");
        for n in 0..ADDRESS_FAILURES {
            t.failed_at(&format!("user{n}"), b, later);
        }
        assert!(t.check_at("someone", b, later).is_some(), "the address waits");
        assert_eq!(t.check_at("someone", a, later), None);
        t.succeeded("王科员");
        assert_eq!(t.check_at("王科员", a, start), None);
    }

    #[test]
    fn users_sessions_and_passwords() {
        let dir = tempfile::tempdir().unwrap();
        runtime().block_on(async {
            let db = Db::open(dir.path(), None).await.unwrap();
            crate::county::units::add(&db, "青禾县住房和城乡建设局")
                .await
                .unwrap();
            let office = add_user(&db, "王科员", Role::Office, None, "secret-pass")
                .await
                .unwrap();
            assert!(matches!(
                add_user(&db, "王科员", Role::Viewer, None, "secret-pass").await,
                Err(AccountError::NameTaken(_))
            ));
            assert!(matches!(
                add_user(&db, "李工", Role::Unit, None, "secret-pass").await,
                Err(AccountError::UnitRequired)
            ));
            assert!(matches!(
                add_user(&db, "李工", Role::Unit, Some("住建局"), "secret-pass").await,
                Err(AccountError::UnknownUnit(_))
            ));
            assert!(matches!(
                add_user(&db, "李工", Role::Unit, Some("青禾县住房和城乡建设局"), "short").await,
                Err(AccountError::PasswordTooShort)
            ));
            let unit = add_user(
                &db,
                "李工",
                Role::Unit,
                Some("青禾县住房和城乡建设局"),
                "secret-pass",
            )
            .await
            .unwrap();
            assert_eq!(unit.actor(), "青禾县住房和城乡建设局·李工");
            assert_eq!(
                verify(&db, "王科员", "secret-pass").await.unwrap(),
                Some(office.clone())
            );
            assert_eq!(verify(&db, "王科员", "wrong-pass").await.unwrap(), None);
            assert_eq!(verify(&db, "nobody", "secret-pass").await.unwrap(), None);

            let s = open_session(&db, &unit, "127.0.0.1").await.unwrap();
            let stored: String = sqlx::query("SELECT token_hash FROM sessions")
                .fetch_one(&db.pool)
                .await
                .unwrap()
                .get(0);
            assert_eq!(stored, token_hash(&s.token), "only the token's hash is kept");
            assert_ne!(stored, s.token);
            assert_eq!(
                session(&db, &s.token).await.unwrap(),
                Some((unit.clone(), s.csrf.clone()))
            );
            assert_eq!(session(&db, "forged").await.unwrap(), None);
            set_password(&db, "李工", "another-pass").await.unwrap();
            assert_eq!(
                session(&db, &s.token).await.unwrap(),
                None,
                "a new password ends sessions"
            );
            assert!(verify(&db, "李工", "another-pass").await.unwrap().is_some());

            let s = open_session(&db, &office, "127.0.0.1").await.unwrap();
            close_session(&db, &s.token).await.unwrap();
            assert_eq!(session(&db, &s.token).await.unwrap(), None);

            let s = open_session(&db, &office, "127.0.0.1").await.unwrap();
            sqlx::query("UPDATE sessions SET expires_at = $1")
                .bind((crate::county::now() - chrono::Duration::seconds(1)).to_rfc3339())
                .execute(&db.pool)
                .await
                .unwrap();
            assert_eq!(session(&db, &s.token).await.unwrap(), None, "expired");
            let unseen = open_session(&db, &office, "127.0.0.1").await.unwrap();
            sqlx::query("UPDATE sessions SET expires_at = '2026-01-01T00:00:00Z'")
                .execute(&db.pool)
                .await
                .unwrap();
            let fresh = open_session(&db, &office, "127.0.0.1").await.unwrap();
            let kept: Vec<String> = sqlx::query("SELECT token_hash FROM sessions")
                .fetch_all(&db.pool)
                .await
                .unwrap()
                .iter()
                .map(|r| r.get(0))
                .collect();
            assert_eq!(kept, [token_hash(&fresh.token)], "{}", unseen.token);
            close_session(&db, &fresh.token).await.unwrap();

            let s = open_session(&db, &office, "127.0.0.1").await.unwrap();
            disable(&db, "王科员").await.unwrap();
            assert_eq!(
                session(&db, &s.token).await.unwrap(),
                None,
                "disabling ends sessions"
            );
            assert_eq!(verify(&db, "王科员", "secret-pass").await.unwrap(), None);
            let names: Vec<_> = list(&db)
                .await
                .unwrap()
                .into_iter()
                .map(|l| (l.user.name, l.disabled))
                .collect();
            assert_eq!(names, [("李工".to_string(), false), ("王科员".to_string(), true)]);
        });
    }
}
