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
