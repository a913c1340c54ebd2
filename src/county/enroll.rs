//! Enrolling a station: what `county enroll` is asked is checked first,
//! then its credentials file is written and only then the station's key
//! recorded (a station enrolled without its file could not sync); a
//! station enrolled before is refused unless its credentials are to be
//! replaced.

use std::path::Path;

use super::CountyError;
use super::db::Db;
use crate::i18n::Lang;
use crate::sync::protocol::{self, Credentials};

/// What `county enroll` was asked.
pub struct Enrollment<'a> {
    pub station: &'a str,
    pub name: &'a str,
    /// Where the credentials file goes.
    pub file: &'a Path,
    pub url: &'a str,
    /// A PEM file the station is to trust for an https:// URL.
    pub ca: Option<&'a Path>,
    pub replace: bool,
}

/// Why a station was not enrolled.
#[derive(Debug, thiserror::Error)]
pub enum EnrollRefusal {
    #[error("--station {0}: not a station code")]
    StationCode(String),
    #[error("--name is empty")]
    NoName,
    #[error("--url {0}: not an http:// or https:// URL")]
    Url(String),
    /// `--ca` with an http:// URL.
    #[error("--ca with --url {0}")]
    CaWithoutHttps(String),
    /// Enrolled before, and `replace` not asked.
    #[error("station {0} is enrolled already")]
    Twice(String),
    #[error(transparent)]
    County(#[from] CountyError),
}

impl EnrollRefusal {
    /// Whether it is what was asked that is wrong (rather than the state
    /// of the county).
    pub fn is_bad_argument(&self) -> bool {
        matches!(
            self,
            EnrollRefusal::StationCode(_)
                | EnrollRefusal::NoName
                | EnrollRefusal::Url(_)
                | EnrollRefusal::CaWithoutHttps(_)
        )
    }

    pub fn message(&self, lang: Lang) -> String {
        match self {
            EnrollRefusal::StationCode(station) => lang.pick(
                format!("--station {station}：站点代码应为 9 位数字（6 位县区代码 + 3 位站点编号）"),
                format!("--station {station}: a station code is 9 digits (6-digit county code + 3-digit station number)"),
            ),
            EnrollRefusal::NoName => lang.pick(
                "--name：站点名称不能为空".to_string(),
                "--name: the station's name must not be empty".to_string(),
            ),
            EnrollRefusal::Url(url) => lang.pick(
                format!("--url {url}：应为 http:// 或 https:// 开头的地址"),
                format!("--url {url}: not an http:// or https:// URL"),
            ),
            EnrollRefusal::CaWithoutHttps(url) => lang.pick(
                format!("--ca 只用于 https:// 地址，而 --url 是 {url}"),
                format!("--ca is for an https:// URL, and --url is {url}"),
            ),
            EnrollRefusal::Twice(station) => lang.pick(
                format!("站点 {station} 已经登记过。如需换发凭据（旧凭据随即作废），请加 --replace 再运行"),
                format!(
                    "station {station} is enrolled already. To issue new credentials (the old ones stop working), run again with --replace"
                ),
            ),
            EnrollRefusal::County(e) => e.message(lang),
        }
    }
}

/// Checks what was asked before anything is read or written.
pub fn check(asked: &Enrollment<'_>) -> Result<(), EnrollRefusal> {
    let station = asked.station.trim();
    if !super::is_station_code(station) {
        return Err(EnrollRefusal::StationCode(station.to_string()));
    }
    if asked.name.trim().is_empty() {
        return Err(EnrollRefusal::NoName);
    }
    let url = asked.url;
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(EnrollRefusal::Url(url.to_string()));
    }
    if asked.ca.is_some() && !url.starts_with("https://") {
        return Err(EnrollRefusal::CaWithoutHttps(url.to_string()));
    }
    Ok(())
}

/// Enrols the station `asked` names (checked by `check`), with `ca` the
/// PEM text of its `--ca` file (checked by the caller): the credentials
/// file first, then the station's key in the database; the file is
/// removed again when the database refuses. The credentials written.
pub async fn enroll(
    dir: &Path,
    db: &Db,
    asked: &Enrollment<'_>,
    ca: Option<String>,
) -> Result<Credentials, EnrollRefusal> {
    let station = asked.station.trim();
    let name = asked.name.trim();
    let file = asked.file;
    let server_key = super::server_key(dir)?;
    let key = protocol::new_signing_key().map_err(|e| CountyError::io(dir, e))?;
    let creds = Credentials {
        station: station.to_string(),
        name: name.to_string(),
        server: asked.url.trim_end_matches('/').to_string(),
        server_key: protocol::encode_public(&server_key.verifying_key()),
        key: protocol::encode_secret(&key),
        ca,
    };
    let text = toml::to_string(&creds).map_err(CountyError::Credentials)?;
    if !asked.replace && matches!(db.station(station).await, Ok(Some(_))) {
        return Err(EnrollRefusal::Twice(station.to_string()));
    }
    // The file first: a station enrolled without its file could not sync.
    crate::sync::secret::write_secret(file, text.as_bytes(), true).map_err(|e| CountyError::io(file, e))?;
    let public_key = protocol::encode_public(&key.verifying_key());
    match db.enroll(station, name, &public_key, asked.replace).await {
        Ok(true) => {}
        Ok(false) => {
            let _ = std::fs::remove_file(file);
            return Err(EnrollRefusal::Twice(station.to_string()));
        }
        Err(e) => {
            let _ = std::fs::remove_file(file);
            return Err(e.into());
        }
    }
    log::info!(
        "enrolled station {station}{}",
        if asked.replace { " again" } else { "" }
    );
    Ok(creds)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asked<'a>(station: &'a str, name: &'a str, url: &'a str, ca: Option<&'a Path>) -> Enrollment<'a> {
        Enrollment {
            station,
            name,
            file: Path::new("station.toml"),
            url,
            ca,
            replace: false,
        }
    }

    #[test]
    fn what_is_asked_is_checked_before_anything_is_written() {
        let ca = Some(Path::new("ca.pem"));
        let refused = |a: Enrollment<'_>| check(&a).err().map(|r| r.to_string());
        assert_eq!(
            refused(asked(" 330999012 ", "站", "http://county:8440", None)),
            None
        );
        assert_eq!(refused(asked("330999012", "站", "https://county", ca)), None);
        assert!(matches!(
            check(&asked("33099901", "站", "http://county", None)),
            Err(EnrollRefusal::StationCode(s)) if s == "33099901"
        ));
        assert!(matches!(
            check(&asked("330999012", " ", "http://county", None)),
            Err(EnrollRefusal::NoName)
        ));
        assert!(matches!(
            check(&asked("330999012", "站", "county:8440", None)),
            Err(EnrollRefusal::Url(_))
        ));
        assert!(matches!(
            check(&asked("330999012", "站", "http://county", ca)),
            Err(EnrollRefusal::CaWithoutHttps(_))
        ));
        for bad in [
            EnrollRefusal::StationCode("1".into()),
            EnrollRefusal::NoName,
            EnrollRefusal::Url("x".into()),
            EnrollRefusal::CaWithoutHttps("x".into()),
        ] {
            assert!(bad.is_bad_argument(), "{bad}");
        }
        assert!(!EnrollRefusal::Twice("330999012".into()).is_bad_argument());
    }

    #[test]
    fn a_station_is_enrolled_once_unless_replaced() {
        let dir = tempfile::tempdir().unwrap();
        crate::county::db::testing::runtime().block_on(async {
            let db = Db::open(dir.path(), None).await.unwrap();
            let file = dir.path().join("330999012.toml");
            let mut asked = asked("330999012", "柳岸站", "http://county:8440/", None);
            asked.file = &file;
            let creds = enroll(dir.path(), &db, &asked, None).await.unwrap();
            assert_eq!(creds.server, "http://county:8440");
            let written: Credentials = toml::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
            assert_eq!(written.key, creds.key);
            let held = db.station("330999012").await.unwrap().unwrap();
            let key = protocol::decode_secret(&creds.key).unwrap();
            assert_eq!(held.public_key, protocol::encode_public(&key.verifying_key()));
            // Again: refused, and the file handed out stays valid.
            let again = enroll(dir.path(), &db, &asked, None).await;
            assert!(
                matches!(&again, Err(EnrollRefusal::Twice(s)) if s == "330999012"),
                "{again:?}"
            );
            assert_eq!(
                db.station("330999012").await.unwrap().unwrap().public_key,
                held.public_key
            );
            // Replaced: a new key, the old one no longer held.
            std::fs::remove_file(&file).unwrap();
            asked.replace = true;
            let replaced = enroll(dir.path(), &db, &asked, None).await.unwrap();
            assert_ne!(replaced.key, creds.key);
            assert_ne!(
                db.station("330999012").await.unwrap().unwrap().public_key,
                held.public_key
            );
        });
    }
}
