//! Why a sync did not finish (`SyncError`), and what was wrong with an
//! answer that came (`BadAnswer`), in the user's words.

use std::path::PathBuf;

use super::credentials::CredentialsProblem;
use super::http::NoAnswer;
use super::protocol::{Problem, Refusal};
use super::tls::Untrusted;
use crate::i18n::Lang;
use crate::storage::{StoreError, WriteError};

/// What is wrong with an answer that came.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadAnswer {
    /// Not signed: not the county server (a proxy or another program).
    Unsigned,
    /// Signed by another key than the county server's.
    NotTheServers,
    /// Cannot be read (damaged or not the protocol's JSON).
    Unreadable,
    /// Contradicts what this terminal sent.
    Inconsistent,
}

impl BadAnswer {
    pub fn words(self, lang: Lang) -> &'static str {
        match self {
            BadAnswer::Unsigned => lang.pick(
                "答复没有县里服务器的签名",
                "it carries no signature of the county server",
            ),
            BadAnswer::NotTheServers => lang.pick(
                "答复的签名不是县里服务器的",
                "its signature is not the county server's",
            ),
            BadAnswer::Unreadable => lang.pick("答复内容无法读取", "it cannot be read"),
            BadAnswer::Inconsistent => lang.pick(
                "答复与本机发出的记录对不上",
                "it does not agree with what was sent",
            ),
        }
    }
}

/// A damaged or unexpected answer (the details go to the log).
pub(super) fn unreadable(e: &dyn std::fmt::Display) -> SyncError {
    log::warn!("sync: an answer that cannot be read: {e}");
    SyncError::BadReply(BadAnswer::Unreadable)
}

/// The server's reason in the user's language: the county sends it as
/// "中文 / English".
fn problem_words(p: &Problem, lang: Lang) -> String {
    match p.message.split_once(" / ") {
        Some((zh, en)) => lang.pick(zh, en).trim().to_string(),
        None => p.message.clone(),
    }
}

/// Why a sync did not finish; `Display` is the English message, for the
/// log (a user reads `message`).
#[derive(Debug, thiserror::Error)]
#[error("{}", self.message(Lang::En))]
pub enum SyncError {
    /// The terminal has no credentials (`jiedai enroll`).
    NotEnrolled,
    Credentials {
        path: PathBuf,
        problem: CredentialsProblem,
    },
    /// The credentials are for another station.
    OtherStation {
        enrolled: String,
        station: String,
    },
    /// No answer: refused, reset, timed out, or cut off mid-way.
    Network {
        server: String,
        cause: NoAnswer,
    },
    /// The server's TLS certificate does not verify against the roots
    /// this terminal trusts (the credentials' `ca`, or the public ones).
    Certificate {
        server: String,
        why: Untrusted,
    },
    /// The server answered with an error.
    Server {
        status: u16,
        problem: Option<Problem>,
    },
    /// An answer that is not the server's, or not valid.
    BadReply(BadAnswer),
    /// The county refused the events: they contradict what it holds.
    Refused(Refusal),
    Store(#[source] StoreError),
    Write(#[source] WriteError),
    /// Asked to stop (the kiosk is closing).
    Stopped,
}

impl SyncError {
    /// Whether trying again later may succeed without anyone's help.
    pub fn transient(&self) -> bool {
        match self {
            SyncError::Network { .. } | SyncError::BadReply(_) => true,
            SyncError::Server { status, .. } => *status >= 500 || *status == 429 || *status == 408,
            _ => false,
        }
    }

    pub fn message(&self, lang: Lang) -> String {
        match self {
            SyncError::NotEnrolled => lang
                .pick(
                    "本终端还没有县里的同步凭据：请用 jiedai enroll 文件 导入县人大办发来的凭据",
                    "this terminal has no sync credentials: load the county's file with `jiedai enroll FILE`",
                )
                .to_string(),
            SyncError::Credentials { path, problem } => {
                let detail = problem.words(lang);
                lang.pick(
                    format!("同步凭据 {} 无法使用：{detail}", path.display()),
                    format!("the sync credentials {} cannot be used: {detail}", path.display()),
                )
            }
            SyncError::OtherStation { enrolled, station } => lang.pick(
                format!("同步凭据属于站点 {enrolled}，本终端属于站点 {station}"),
                format!(
                    "the sync credentials are for station {enrolled}, this terminal is station {station}'s"
                ),
            ),
            SyncError::Network { server, cause } => {
                let words = cause.words(lang);
                lang.pick(
                    format!("连不上县里的服务器 {server}（{words}）。记录都在本机，稍后会自动重试。"),
                    format!(
                        "cannot reach the county server {server} ({words}). Everything is kept here; it will try again."
                    ),
                )
            }
            SyncError::Server { status, problem } => {
                let words = problem
                    .as_ref()
                    .map(|p| problem_words(p, lang))
                    .unwrap_or_default();
                match (status, lang) {
                    (401, Lang::Zh) => format!("县里的服务器拒绝了本站：{words}（凭据或本机时间不对？）"),
                    (401, Lang::En) => {
                        format!(
                            "the county server refused this station: {words} (credentials or clock wrong?)"
                        )
                    }
                    (_, Lang::Zh) => format!("县里的服务器出错（{status}）：{words}"),
                    (_, Lang::En) => format!("the county server failed ({status}): {words}"),
                }
            }
            SyncError::Certificate { server, why } => {
                let detail = why.words(lang);
                lang.pick(
                format!(
                    "证书无法验证：县里的服务器 {server} 出示的证书不受本终端信任（{detail}）。请向县人大办核对地址，或索取带服务器证书（ca）的新凭据；重试无济于事。"
                ),
                format!(
                    "the server's certificate cannot be verified: {server} presented a certificate this terminal does not trust ({detail}). Check the address with the county office or ask for credentials that carry its certificate (ca); retrying will not help."
                ),
                )
            }
            SyncError::BadReply(bad) => {
                let detail = bad.words(lang);
                lang.pick(
                    format!("收到的答复无效（{detail}），稍后重试"),
                    format!("the answer was not valid ({detail}); it will try again"),
                )
            }
            SyncError::Refused(r) => r.message(lang),
            SyncError::Store(e) => e.message(lang),
            SyncError::Write(e) => e.message(lang),
            SyncError::Stopped => lang.pick("同步已停止", "sync stopped").to_string(),
        }
    }
}
