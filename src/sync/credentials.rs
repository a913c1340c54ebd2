//! A terminal's sync credentials (`DIR/sync.toml`, the file the county
//! sends at enrolment): where they are kept, reading them within their
//! limit, and checking each entry before anything is sent with them.

use std::path::{Path, PathBuf};

use super::error::SyncError;
use super::protocol::Credentials;
use super::tls::trusted_roots;
use crate::i18n::Lang;

/// Where a terminal keeps its credentials.
pub fn credentials_path(dir: &Path) -> PathBuf {
    dir.join("sync.toml")
}

/// The terminal's credentials, if it was enrolled.
pub fn load_credentials(dir: &Path) -> Result<Option<Credentials>, SyncError> {
    let path = credentials_path(dir);
    if !path.exists() {
        return Ok(None);
    }
    let text = read_credentials(&path)?;
    parse_credentials(&path, &text).map(Some)
}

/// A credentials file's text, within `limits::CREDENTIALS_FILE`.
pub fn read_credentials(path: &Path) -> Result<String, SyncError> {
    crate::limits::read_text_capped(path, crate::limits::CREDENTIALS_FILE).map_err(|e| {
        SyncError::Credentials {
            path: path.to_path_buf(),
            problem: match e {
                crate::limits::ReadCapped::Io(e) => CredentialsProblem::Read(e),
                crate::limits::ReadCapped::TooBig { size, limit } => {
                    CredentialsProblem::TooBig { size, limit }
                }
            },
        }
    })
}

/// What is wrong with a credentials file.
#[derive(Debug)]
pub enum CredentialsProblem {
    Read(std::io::Error),
    TooBig {
        size: u64,
        limit: u64,
    },
    /// Not a TOML file of credentials (the line, when known).
    Syntax(Option<usize>),
    /// An entry that cannot be used: `key`, `server_key`, `server`, `ca`.
    Entry(&'static str),
}

impl CredentialsProblem {
    pub fn words(&self, lang: Lang) -> String {
        match self {
            CredentialsProblem::Read(e) => crate::i18n::os_words(e, lang),
            CredentialsProblem::TooBig { size, limit } => {
                let (size, limit) = (crate::limits::kb(*size), crate::limits::kb(*limit));
                lang.pick(
                    format!("文件过大（{size}）：凭据文件最大 {limit}"),
                    format!("too large ({size}): a credentials file may be at most {limit}"),
                )
            }
            CredentialsProblem::Syntax(Some(line)) => lang.pick(
                format!("第 {line} 行格式不对，不是县里发来的凭据文件？"),
                format!("line {line} cannot be read: not the file the county sent?"),
            ),
            CredentialsProblem::Syntax(None) => lang
                .pick(
                    "格式不对，不是县里发来的凭据文件？",
                    "it cannot be read: not the file the county sent?",
                )
                .to_string(),
            CredentialsProblem::Entry(name) => lang.pick(
                format!("“{name}”一项无效，请向县人大办索取新的凭据文件"),
                format!("the entry “{name}” is not valid; ask the county office for a new credentials file"),
            ),
        }
    }
}

/// Reads and checks a credentials file's text.
pub fn parse_credentials(path: &Path, text: &str) -> Result<Credentials, SyncError> {
    let bad = |problem: CredentialsProblem| SyncError::Credentials {
        path: path.to_path_buf(),
        problem,
    };
    let creds: Credentials = toml::from_str(text).map_err(|e| {
        log::warn!("{}: {e}", path.display());
        let line = e.span().map(|s| text[..s.start].matches('\n').count() + 1);
        bad(CredentialsProblem::Syntax(line))
    })?;
    if creds.signing_key().is_none() {
        return Err(bad(CredentialsProblem::Entry("key")));
    }
    if creds.server_key().is_none() {
        return Err(bad(CredentialsProblem::Entry("server_key")));
    }
    if !(creds.server.starts_with("http://") || creds.server.starts_with("https://")) {
        return Err(bad(CredentialsProblem::Entry("server")));
    }
    if let Some(ca) = &creds.ca {
        trusted_roots(ca).map_err(|e| {
            log::warn!("{}: ca: {e}", path.display());
            bad(CredentialsProblem::Entry("ca"))
        })?;
    }
    Ok(creds)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> Credentials {
        let station = crate::sync::protocol::new_signing_key().unwrap();
        let server = crate::sync::protocol::new_signing_key().unwrap();
        Credentials {
            station: "330999012".into(),
            name: "城关镇联络站".into(),
            server: "https://county.example:8443".into(),
            server_key: crate::sync::protocol::encode_public(&server.verifying_key()),
            key: crate::sync::protocol::encode_secret(&station),
            ca: None,
        }
    }

    fn problem(result: Result<Credentials, SyncError>) -> CredentialsProblem {
        match result {
            Err(SyncError::Credentials { problem, .. }) => problem,
            other => panic!("{other:?}"),
        }
    }

    fn parse(creds: &Credentials) -> Result<Credentials, SyncError> {
        parse_credentials(Path::new("sync.toml"), &toml::to_string(creds).unwrap())
    }

    #[test]
    fn a_terminal_without_the_file_is_not_enrolled() {
        let dir = tempfile::tempdir().unwrap();
        assert!(load_credentials(dir.path()).unwrap().is_none());
        assert_eq!(credentials_path(dir.path()), dir.path().join("sync.toml"));
    }

    #[test]
    fn the_countys_file_is_loaded_as_it_was_sent() {
        let dir = tempfile::tempdir().unwrap();
        let creds = good();
        std::fs::write(credentials_path(dir.path()), toml::to_string(&creds).unwrap()).unwrap();
        let loaded = load_credentials(dir.path()).unwrap().unwrap();
        assert_eq!(loaded.station, creds.station);
        assert_eq!(loaded.server, creds.server);
        assert_eq!(loaded.key, creds.key);
    }

    #[test]
    fn a_file_that_is_not_credentials_names_its_line() {
        let text = "station = \"330999012\"\nserver = https://county\n";
        let e = parse_credentials(Path::new("c.toml"), text).unwrap_err();
        match &e {
            SyncError::Credentials { path, problem } => {
                assert_eq!(path, Path::new("c.toml"));
                assert!(
                    matches!(problem, CredentialsProblem::Syntax(Some(2))),
                    "{problem:?}"
                );
            }
            other => panic!("{other:?}"),
        }
        assert!(!e.transient());
        assert!(e.message(Lang::En).contains("line 2"), "{}", e.message(Lang::En));
        assert!(e.message(Lang::Zh).contains("第 2 行"), "{}", e.message(Lang::Zh));
    }

    #[test]
    fn each_entry_that_cannot_be_used_is_named() {
        let mut no_key = good();
        no_key.key = "not a key".into();
        let mut no_server_key = good();
        no_server_key.server_key = String::new();
        let mut ftp = good();
        ftp.server = "ftp://county.example".into();
        let mut bad_ca = good();
        bad_ca.ca = Some("-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n".into());
        let mut no_ca = good();
        no_ca.ca = Some("just text".into());
        for (creds, entry) in [
            (no_key, "key"),
            (no_server_key, "server_key"),
            (ftp, "server"),
            (bad_ca, "ca"),
            (no_ca, "ca"),
        ] {
            match problem(parse(&creds)) {
                CredentialsProblem::Entry(e) => assert_eq!(e, entry),
                other => panic!("{entry}: {other:?}"),
            }
        }
        assert!(parse(&good()).is_ok());
        let mut http = good();
        http.server = "http://10.0.0.2:8080".into();
        assert!(parse(&http).is_ok());
    }

    #[test]
    fn a_file_too_large_is_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = credentials_path(dir.path());
        let size = crate::limits::CREDENTIALS_FILE + 1;
        std::fs::write(&path, vec![b'#'; size as usize]).unwrap();
        let e = load_credentials(dir.path()).unwrap_err();
        match e {
            SyncError::Credentials {
                problem: CredentialsProblem::TooBig { size: s, limit },
                ..
            } => {
                assert_eq!(s, size);
                assert_eq!(limit, crate::limits::CREDENTIALS_FILE);
            }
            other => panic!("{other:?}"),
        }
    }
}
