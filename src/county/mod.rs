//! The county office: the sync server stations upload to, the feed of the
//! county's steps back to them, the public pages a receipt's QR code
//! opens, and the staff's commands on the county's copy of the appeals.
//!
//! `db` holds everything in one SQL database (SQLite by default,
//! PostgreSQL when asked), `ingest` takes a terminal's upload exactly
//! once, `staff` records county steps into a station's feed (and a
//! unit's requests for more time), `units` keeps the catalogue of handling
//! units referrals name, `queue` lists the county's copy for its staff
//! (the work queue), `appeals` exports it, `enroll` enrols a station,
//! `server` answers stations and browsers, `pages` renders the public
//! pages; `accounts` keeps the staff's accounts and sessions, `audit` what
//! they did, `console` is the staff's web console; `figures` counts the
//! dashboard's figures, `readable` writes tables people read.

pub mod accounts;
pub mod appeals;
pub mod audit;
pub mod console;
pub mod db;
pub mod enroll;
pub mod figures;
pub mod ingest;
pub mod online;
pub mod pages;
pub mod queue;
pub mod readable;
pub mod server;
pub mod staff;
pub mod units;

use std::path::{Path, PathBuf};

use std::sync::OnceLock;

use chrono::{DateTime, FixedOffset};
use ed25519_dalek::SigningKey;

use crate::domain::Zone;
use crate::domain::calendar::Holidays;
use crate::i18n::Lang;
use crate::sync::protocol;

/// The county's time zone, as its database keeps it (`county serve
/// --time-zone` records it; Asia/Shanghai unless given), set once when a
/// county command starts.
static ZONE: OnceLock<Zone> = OnceLock::new();

pub fn set_zone(zone: Zone) {
    let _ = ZONE.set(zone);
}

pub fn zone() -> Zone {
    ZONE.get().copied().unwrap_or_default()
}

static HOLIDAYS: OnceLock<Holidays> = OnceLock::new();

/// Sets the county's holiday table for this process (the shipped one with
/// the county's own over it), once.
pub fn set_holidays(table: Holidays) {
    let _ = HOLIDAYS.set(table);
}

/// The holiday table the county counts working days by: deadlines given
/// in working days and the working days an appeal is late.
pub fn holidays() -> &'static Holidays {
    HOLIDAYS.get_or_init(Holidays::shipped)
}

/// Now in the county's zone: the county's events carry it.
pub fn now() -> DateTime<FixedOffset> {
    zone().now()
}

/// Where the county keeps its files.
pub struct CountyPaths {
    pub dir: PathBuf,
}

impl CountyPaths {
    pub fn new(dir: &Path) -> CountyPaths {
        CountyPaths {
            dir: dir.to_path_buf(),
        }
    }
    pub fn db(&self) -> PathBuf {
        self.dir.join("county.db")
    }
    pub fn server_key(&self) -> PathBuf {
        self.dir.join("server.key")
    }
}

/// Why a county command or the server cannot go on.
#[derive(Debug, thiserror::Error)]
pub enum CountyError {
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
    /// The county database's schema could not be brought up to date.
    #[error("migrating the database: {0}")]
    Migrate(#[source] sqlx::migrate::MigrateError),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// `server.key` does not hold a base64 Ed25519 key.
    #[error("{}: not a base64 Ed25519 key", .0.display())]
    ServerKey(PathBuf),
    /// A row of the county's database does not read as what it holds.
    #[error("stored JSON ({what}): {source}")]
    Stored {
        what: String,
        #[source]
        source: serde_json::Error,
    },
    /// A value could not be written as JSON for the database.
    #[error("JSON: {0}")]
    Encode(#[source] serde_json::Error),
    /// A write for a station the county has not enrolled.
    #[error("station {0} is not enrolled")]
    NotEnrolled(String),
    /// Every online code of the day is taken for the station.
    #[error("station {station}: no online tracking code is left for {day}")]
    OnlineCodes { station: String, day: chrono::NaiveDate },
    /// A county step the status machine allowed does not apply to the
    /// appeal as held.
    #[error("the step does not apply to the appeal as held: {0:?}")]
    History(crate::domain::history::AppealEventError),
    /// Credentials that cannot be written as TOML.
    #[error("credentials: {0}")]
    Credentials(#[source] toml::ser::Error),
    /// `--db` is neither SQLite nor PostgreSQL.
    #[error("--db {0}: not sqlite://FILE nor postgres://…")]
    DbUrl(String),
    /// `--tls-cert` or `--tls-key` cannot be used.
    #[error("{}: {problem:?}", path.display())]
    Tls { path: PathBuf, problem: TlsProblem },
}

/// What is wrong with a TLS certificate or key file.
#[derive(Debug)]
pub enum TlsProblem {
    /// The certificate file cannot be read.
    ReadCert(std::io::Error),
    /// The key file cannot be read.
    ReadKey(std::io::Error),
    /// No PEM certificate in the certificate file.
    NoCert,
    /// No PEM private key in the key file.
    NoKey,
    /// TLS refuses the pair (the key is not the certificate's, or of a
    /// kind it does not support); the path is the key's.
    Refused { cert: PathBuf, detail: String },
}

impl CountyError {
    pub fn io(path: &Path, source: std::io::Error) -> CountyError {
        CountyError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    pub fn message(&self, lang: Lang) -> String {
        match self {
            CountyError::Db(e) => lang.pick(
                // The database's own words (English) are for the log.
                "县里的数据库出错（详情已写入日志）".to_string(),
                format!("the county database failed: {e}"),
            ),
            CountyError::Migrate(e) => lang.pick(
                "县里的数据库无法升级到本版本的结构（详情已写入日志）".to_string(),
                format!("the county database could not be brought up to this version's schema: {e}"),
            ),
            CountyError::Io { path, source } => lang.pick(
                format!("{}：{}", path.display(), crate::i18n::os_words(source, lang)),
                format!("{}: {}", path.display(), crate::i18n::os_words(source, lang)),
            ),
            CountyError::ServerKey(path) => lang.pick(
                format!(
                    "{}：不是有效的服务器密钥（应为 base64 编码的 Ed25519 密钥）",
                    path.display()
                ),
                format!("{}: not a base64 Ed25519 key", path.display()),
            ),
            CountyError::Stored { .. } => lang.pick(
                "县里数据库中有记录无法读取（详情已写入日志）".to_string(),
                format!("the county database holds a record that does not read: {self}"),
            ),
            CountyError::Encode(e) => lang.pick(
                "县里的数据无法写入数据库（详情已写入日志）".to_string(),
                format!("the county's data could not be written as JSON: {e}"),
            ),
            CountyError::NotEnrolled(station) => lang.pick(
                format!("站点 {station} 没有在县里登记"),
                format!("station {station} is not enrolled"),
            ),
            CountyError::OnlineCodes { station, day } => lang.pick(
                format!("站点 {station} 在 {day} 的网上来件查询码已用完"),
                format!("station {station} has no online tracking code left for {day}"),
            ),
            CountyError::History(e) => lang.pick(
                "这一步无法用于县里保存的诉求（详情已写入日志）".to_string(),
                format!("the step does not apply to the appeal as the county holds it: {e:?}"),
            ),
            CountyError::Credentials(e) => lang.pick(
                format!("凭据无法写成 TOML：{e}"),
                format!("the credentials could not be written as TOML: {e}"),
            ),
            CountyError::DbUrl(url) => lang.pick(
                format!("--db {url}：数据库地址应为 sqlite://文件 或 postgres://…"),
                format!("--db {url}: use sqlite://FILE or postgres://…"),
            ),
            CountyError::Tls { path, problem } => {
                let path = path.display();
                match problem {
                    TlsProblem::ReadCert(e) => {
                        let e = crate::i18n::os_words(e, lang);
                        lang.pick(
                            format!("TLS 证书 {path} 无法读取：{e}"),
                            format!("the TLS certificate {path} cannot be read: {e}"),
                        )
                    }
                    TlsProblem::ReadKey(e) => {
                        let e = crate::i18n::os_words(e, lang);
                        lang.pick(
                            format!("TLS 私钥 {path} 无法读取：{e}"),
                            format!("the TLS key {path} cannot be read: {e}"),
                        )
                    }
                    TlsProblem::NoCert => lang.pick(
                        format!("TLS 证书 {path} 里没有 PEM 格式的证书（-----BEGIN CERTIFICATE-----）"),
                        format!("the TLS certificate {path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)"),
                    ),
                    TlsProblem::NoKey => lang.pick(
                        format!("TLS 私钥 {path} 里没有 PEM 格式的私钥（-----BEGIN … PRIVATE KEY-----）"),
                        format!("the TLS key {path} holds no PEM private key (-----BEGIN … PRIVATE KEY-----)"),
                    ),
                    TlsProblem::Refused { cert, detail } => lang.pick(
                        format!(
                            "TLS 私钥 {path} 与证书 {} 不配套或不受支持：{detail}",
                            cert.display()
                        ),
                        format!(
                            "the TLS key {path} does not go with the certificate {} or is not supported: {detail}",
                            cert.display()
                        ),
                    ),
                }
            }
        }
    }
}

/// Creates the county directory (owner only) if it is missing.
pub fn ensure_dir(dir: &Path) -> Result<(), CountyError> {
    use std::os::unix::fs::DirBuilderExt;
    if dir.is_dir() {
        return Ok(());
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .map_err(|e| CountyError::io(dir, e))
}

/// The server's signing key, created on first use in `server.key`.
pub fn server_key(dir: &Path) -> Result<SigningKey, CountyError> {
    ensure_dir(dir)?;
    let path = CountyPaths::new(dir).server_key();
    let read = |path: &Path| -> Result<SigningKey, CountyError> {
        let text = std::fs::read_to_string(path).map_err(|e| CountyError::io(path, e))?;
        protocol::decode_secret(&text).ok_or_else(|| CountyError::ServerKey(path.to_path_buf()))
    };
    if path.exists() {
        return read(&path);
    }
    let key = protocol::new_signing_key().map_err(|e| CountyError::io(&path, e))?;
    let text = format!("{}\n", protocol::encode_secret(&key));
    match crate::sync::secret::write_secret(&path, text.as_bytes(), false) {
        Ok(()) => Ok(key),
        // Another process created it first: use that one.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => read(&path),
        Err(e) => Err(CountyError::io(&path, e)),
    }
}

/// Whether `code` has the shape of a station code (9 digits).
pub fn is_station_code(code: &str) -> bool {
    code.len() == 9 && code.bytes().all(|b| b.is_ascii_digit())
}
