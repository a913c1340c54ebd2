//! The station's side of a sync: send this terminal's events the county
//! does not hold yet, then take the county's events for this station.
//!
//! It reads through a `Reader` and saves through a `Writer`, so it runs on
//! its own thread beside the kiosk (or alone, for `jiedai sync`). The
//! acknowledgement is recorded only after the server's signed answer is
//! read, so any failure (a dropped connection, a lost answer, a killed
//! server or kiosk) leaves a position at or behind what the county holds,
//! and the next attempt resends at most what it already has.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use ed25519_dalek::{SigningKey, VerifyingKey};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use super::protocol::{self, Credentials, Feed, HeldEvents, Problem, Refusal, Upload, UploadReply};
use crate::domain::event::county_origin;
use crate::i18n::Lang;
use crate::storage::restore::CountyCopy;
use crate::storage::sync_state::{Position, SyncStatus};
use crate::storage::{Outcome, Reader, Request, StoreError, WriteError, Writer};

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

/// The certificates of a PEM text. An error (English, for a detail) when
/// there is none or one is not a certificate a root can be made of.
pub fn trusted_roots(pem: &str) -> Result<Vec<CertificateDer<'static>>, String> {
    let mut certs = Vec::new();
    let mut roots = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
        let cert = cert.map_err(|e| format!("not PEM certificates ({e})"))?;
        roots
            .add(cert.clone())
            .map_err(|e| format!("a certificate that cannot be trusted ({e})"))?;
        certs.push(cert);
    }
    if certs.is_empty() {
        return Err("no PEM certificate (-----BEGIN CERTIFICATE-----)".into());
    }
    Ok(certs)
}

/// A TLS client that trusts exactly `certs` (ring, TLS 1.2 and 1.3).
fn tls_config(certs: Vec<CertificateDer<'static>>) -> Result<Arc<rustls::ClientConfig>, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    for cert in &certs {
        roots.add(cert.clone()).map_err(|e| e.to_string())?;
    }
    let webpki =
        rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
            .build()
            .map_err(|e| e.to_string())?;
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS12, &rustls::version::TLS13])
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(Pinned { webpki, certs }))
        .with_no_client_auth();
    Ok(Arc::new(config))
}

/// Trusts the credentials' certificates as roots (a county CA signed the
/// server's certificate), and each also as itself: a self-signed server
/// certificate made as a CA (as `openssl req -x509` makes them) that a
/// root check refuses as a server's is trusted when it is byte for byte
/// one of them and names the server. The server proves it holds the
/// certificate's key in the handshake either way.
#[derive(Debug)]
struct Pinned {
    webpki: Arc<rustls::client::WebPkiServerVerifier>,
    certs: Vec<CertificateDer<'static>>,
}

impl rustls::client::danger::ServerCertVerifier for Pinned {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &rustls::pki_types::ServerName<'_>,
        ocsp_response: &[u8],
        now: rustls::pki_types::UnixTime,
    ) -> Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        match self
            .webpki
            .verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
        {
            Ok(verified) => Ok(verified),
            Err(e) if self.certs.iter().any(|c| c.as_ref() == end_entity.as_ref()) => {
                let parsed =
                    rustls::server::ParsedCertificate::try_from(end_entity).map_err(|_| e.clone())?;
                rustls::client::verify_server_name(&parsed, server_name)?;
                Ok(rustls::client::danger::ServerCertVerified::assertion())
            }
            Err(e) => Err(e),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}

/// The TLS failure under a transport error, if there is one.
fn tls_error<'a>(error: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    let mut next = Some(error);
    while let Some(e) = next {
        if let Some(tls) = e.downcast_ref::<rustls::Error>() {
            return Some(tls);
        }
        // An io::Error's `source` skips the error it wraps.
        if let Some(tls) = e
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .and_then(|inner| tls_error(inner))
        {
            return Some(tls);
        }
        next = e.source();
    }
    None
}

/// Why a request got no answer, in words a user reads (the system's own
/// words go to the log).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoAnswer {
    /// Nothing listens at the address (the server is not running?).
    Refused,
    /// No answer in time.
    TimedOut,
    /// The connection was cut off.
    Cut,
    /// The server's name is not known (DNS).
    UnknownHost,
    /// No route to the server's network.
    Unreachable,
    /// Any other network failure.
    Other,
}

impl NoAnswer {
    fn of(t: &ureq::Transport) -> NoAnswer {
        use std::error::Error;
        if t.kind() == ureq::ErrorKind::Dns {
            return NoAnswer::UnknownHost;
        }
        let mut next: Option<&(dyn Error + 'static)> = t.source();
        while let Some(e) = next {
            if let Some(io) = e.downcast_ref::<std::io::Error>() {
                return NoAnswer::of_io(io);
            }
            next = e.source();
        }
        NoAnswer::Other
    }

    fn of_io(e: &std::io::Error) -> NoAnswer {
        use std::io::ErrorKind as K;
        match e.kind() {
            K::ConnectionRefused => NoAnswer::Refused,
            K::TimedOut | K::WouldBlock => NoAnswer::TimedOut,
            K::ConnectionReset | K::ConnectionAborted | K::BrokenPipe | K::UnexpectedEof => NoAnswer::Cut,
            K::HostUnreachable | K::NetworkUnreachable | K::NetworkDown | K::AddrNotAvailable => {
                NoAnswer::Unreachable
            }
            _ => NoAnswer::Other,
        }
    }

    pub fn words(self, lang: Lang) -> &'static str {
        match self {
            NoAnswer::Refused => lang.pick(
                "服务器没有在运行，或地址不对",
                "nothing answers at that address: is the server running?",
            ),
            NoAnswer::TimedOut => lang.pick("等待答复超时", "no answer in time"),
            NoAnswer::Cut => lang.pick("连接中途断开", "the connection was cut off"),
            NoAnswer::UnknownHost => lang.pick("找不到这个服务器名称", "the server's name is not known"),
            NoAnswer::Unreachable => lang.pick("网络不通", "the network cannot reach it"),
            NoAnswer::Other => lang.pick("网络出错", "a network failure"),
        }
    }
}

/// Why the server's certificate is not trusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Untrusted {
    /// Signed by nobody this terminal trusts (a self-signed certificate
    /// and no `ca` in the credentials, or another one).
    UnknownIssuer,
    /// Made out for another name or address.
    WrongName,
    Expired,
    NotYetValid,
    Revoked,
    /// No certificate at all.
    None,
    Other,
}

impl Untrusted {
    fn of(e: &rustls::Error) -> Untrusted {
        use rustls::CertificateError as C;
        match e {
            rustls::Error::NoCertificatesPresented => Untrusted::None,
            rustls::Error::InvalidCertificate(c) => match c {
                C::UnknownIssuer | C::BadSignature => Untrusted::UnknownIssuer,
                C::NotValidForName | C::NotValidForNameContext { .. } => Untrusted::WrongName,
                C::Expired | C::ExpiredContext { .. } => Untrusted::Expired,
                C::NotValidYet | C::NotValidYetContext { .. } => Untrusted::NotYetValid,
                C::Revoked => Untrusted::Revoked,
                _ => Untrusted::Other,
            },
            _ => Untrusted::Other,
        }
    }

    pub fn words(self, lang: Lang) -> &'static str {
        match self {
            Untrusted::UnknownIssuer => lang.pick("签发者不受信任", "its issuer is not trusted"),
            Untrusted::WrongName => lang.pick(
                "证书上的名称与服务器地址不符",
                "it is made out for another name or address",
            ),
            Untrusted::Expired => lang.pick("证书已过期", "it has expired"),
            Untrusted::NotYetValid => lang.pick(
                "证书尚未生效（或本机时间不对）",
                "it is not valid yet (or this machine's clock is wrong)",
            ),
            Untrusted::Revoked => lang.pick("证书已被吊销", "it has been revoked"),
            Untrusted::None => lang.pick("服务器没有出示证书", "the server showed no certificate"),
            Untrusted::Other => lang.pick(
                "不是受信任的机构为这个服务器签发的证书",
                "it is not a certificate a trusted issuer made out for this server",
            ),
        }
    }
}

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
fn unreadable(e: &dyn std::fmt::Display) -> SyncError {
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

/// Whether a TLS failure is the server's certificate not verifying.
fn untrusted(error: &rustls::Error) -> bool {
    matches!(
        error,
        rustls::Error::InvalidCertificate(_) | rustls::Error::NoCertificatesPresented
    )
}

/// What a sync reports while it runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// `sent` of `total` events are with the county.
    Uploading { sent: u64, total: u64 },
    /// Events taken from the county so far.
    Downloading { received: u64 },
}

/// What a finished sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Events the county acknowledged in this sync.
    pub sent: u64,
    /// Of those, the ones it did not hold before.
    pub stored: u64,
    /// The county's events taken.
    pub received: u64,
    /// Appeals the county's events changed.
    pub touched: Vec<String>,
}

/// Why a sync did not finish.
#[derive(Debug)]
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
    Store(StoreError),
    Write(WriteError),
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

/// A connection to the county server for one terminal.
pub struct Client {
    creds: Credentials,
    key: SigningKey,
    server_key: VerifyingKey,
    agent: ureq::Agent,
    base: String,
}

/// How often a request under way looks at the stop flag.
const STOP_POLL: Duration = Duration::from_millis(100);

/// What came back for a request, before it is checked.
struct Received {
    status: u16,
    reply_sig: Option<String>,
    gzipped: bool,
    raw: Vec<u8>,
}

/// A request that got no (whole) answer.
enum Failed {
    Transport(Box<ureq::Transport>),
    Read(std::io::Error),
}

/// The answer to one request, checked.
struct Answer {
    body: Vec<u8>,
}

impl Client {
    pub fn new(creds: Credentials) -> Result<Client, SyncError> {
        let bad = |entry: &'static str| SyncError::Credentials {
            path: PathBuf::from("sync.toml"),
            problem: CredentialsProblem::Entry(entry),
        };
        let key = creds.signing_key().ok_or_else(|| bad("key"))?;
        let server_key = creds.server_key().ok_or_else(|| bad("server_key"))?;
        let mut agent = ureq::AgentBuilder::new()
            .timeout_connect(Duration::from_secs(10))
            .timeout(Duration::from_secs(60));
        if let Some(ca) = &creds.ca {
            let config = trusted_roots(ca).and_then(tls_config).map_err(|e| {
                log::warn!("sync.toml: ca: {e}");
                bad("ca")
            })?;
            agent = agent.tls_config(config);
        }
        let agent = agent.build();
        let base = creds.server.trim_end_matches('/').to_string();
        Ok(Client {
            creds,
            key,
            server_key,
            agent,
            base,
        })
    }

    pub fn station(&self) -> &str {
        &self.creds.station
    }

    /// An answer cut off while it was read.
    fn network(&self, e: std::io::Error) -> SyncError {
        log::warn!("sync with {}: {e}", self.base);
        SyncError::Network {
            server: self.base.clone(),
            cause: NoAnswer::of_io(&e),
        }
    }

    /// A request that got no answer: the certificate refused, or the
    /// network. The system's own words go to the log.
    fn transport(&self, t: ureq::Transport) -> SyncError {
        log::warn!("sync with {}: {t}", self.base);
        match tls_error(&t) {
            Some(e) if untrusted(e) => SyncError::Certificate {
                server: self.base.clone(),
                why: Untrusted::of(e),
            },
            _ => SyncError::Network {
                server: self.base.clone(),
                cause: NoAnswer::of(&t),
            },
        }
    }

    /// Sends one signed request and checks the server's signature on the
    /// answer (whatever its status). The request runs on a thread of its
    /// own: when `stop` is set (the kiosk is closing) this returns within
    /// `STOP_POLL` and leaves the request to the time-outs, holding
    /// nothing of the station's.
    fn call(
        &self,
        method: &str,
        path_and_query: &str,
        body: &[u8],
        stop: &AtomicBool,
    ) -> Result<Answer, SyncError> {
        let time = chrono::Utc::now().timestamp();
        let signature = protocol::sign(
            &self.key,
            &protocol::signing_text(method, path_and_query, &self.creds.station, time, body),
        );
        let request = self
            .agent
            .request(method, &format!("{}{path_and_query}", self.base))
            .set(protocol::H_STATION, &self.creds.station)
            .set(protocol::H_TIME, &time.to_string())
            .set(protocol::H_SIGNATURE, &signature)
            .set("accept-encoding", "gzip");
        let body = body.to_vec();
        let (tx, rx) = std::sync::mpsc::channel();
        let exchange = move || -> Result<Received, Failed> {
            let result = if body.is_empty() {
                request.call()
            } else {
                request
                    .set("content-type", "application/json")
                    .set("content-encoding", "gzip")
                    .send_bytes(&body)
            };
            let response = match result {
                Ok(r) => r,
                Err(ureq::Error::Status(_, r)) => r,
                Err(ureq::Error::Transport(t)) => return Err(Failed::Transport(Box::new(t))),
            };
            let status = response.status();
            let reply_sig = response.header(protocol::H_SIGNATURE).map(str::to_string);
            let gzipped = response.header("content-encoding") == Some("gzip");
            let mut raw = Vec::new();
            response
                .into_reader()
                .take(protocol::MAX_BODY_BYTES as u64 + 1)
                .read_to_end(&mut raw)
                .map_err(Failed::Read)?;
            Ok(Received {
                status,
                reply_sig,
                gzipped,
                raw,
            })
        };
        std::thread::Builder::new()
            .name("sync-request".into())
            .spawn(move || {
                let _ = tx.send(exchange());
            })
            .map_err(|e| self.network(e))?;
        let received = loop {
            match rx.recv_timeout(STOP_POLL) {
                Ok(r) => break r,
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) if stop.load(Ordering::Relaxed) => {
                    return Err(SyncError::Stopped);
                }
                Err(std::sync::mpsc::RecvTimeoutError::Timeout) => continue,
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                    return Err(self.network(std::io::Error::other("the request thread ended")));
                }
            }
        };
        let Received {
            status,
            reply_sig,
            gzipped,
            raw,
        } = match received {
            Ok(r) => r,
            Err(Failed::Transport(t)) => return Err(self.transport(*t)),
            Err(Failed::Read(e)) => return Err(self.network(e)),
        };
        let Some(reply_sig) = reply_sig else {
            return Err(SyncError::BadReply(BadAnswer::Unsigned));
        };
        if !protocol::verify(
            &self.server_key,
            &protocol::reply_text(&signature, status, &raw),
            &reply_sig,
        ) {
            return Err(SyncError::BadReply(BadAnswer::NotTheServers));
        }
        let body = if gzipped {
            protocol::gunzip(&raw, protocol::MAX_BODY_BYTES).map_err(|e| unreadable(&e))?
        } else {
            raw
        };
        if status != 200 {
            return Err(SyncError::Server {
                status,
                problem: serde_json::from_slice(&body).ok(),
            });
        }
        Ok(Answer { body })
    }

    /// Sends one batch; the server's answer.
    fn upload(&self, upload: &Upload, stop: &AtomicBool) -> Result<UploadReply, SyncError> {
        let json = serde_json::to_vec(upload).map_err(|e| unreadable(&e))?;
        let answer = self.call("POST", protocol::PATH_UPLOAD, &protocol::gzip(&json), stop)?;
        serde_json::from_slice(&answer.body).map_err(|e| unreadable(&e))
    }

    /// A page of this station's events of one terminal as the county holds
    /// them (`key`: `protocol::terminal_key`).
    fn held(&self, key: i64, after: u64, stop: &AtomicBool) -> Result<HeldEvents, SyncError> {
        let answer = self.call(
            "GET",
            &format!("{}?terminal={key}&after={after}", protocol::PATH_EVENTS),
            &[],
            stop,
        )?;
        serde_json::from_slice(&answer.body).map_err(|e| unreadable(&e))
    }

    fn feed(&self, after: u64, stop: &AtomicBool) -> Result<Feed, SyncError> {
        let answer = self.call(
            "GET",
            &format!("{}?after={after}", protocol::PATH_FEED),
            &[],
            stop,
        )?;
        serde_json::from_slice(&answer.body).map_err(|e| unreadable(&e))
    }
}

/// What saves the county's events at the station: the store's `Writer`,
/// or something that opens one only when there is something to save (the
/// `jiedai sync` command, which otherwise only reads).
pub trait SaveFeed {
    fn save_feed(&self, origin: String, events: Vec<Box<serde_json::value::RawValue>>) -> Outcome;
}

impl SaveFeed for Writer {
    fn save_feed(&self, origin: String, events: Vec<Box<serde_json::value::RawValue>>) -> Outcome {
        self.save(Request::ApplyFeed { origin, events })
    }
}

/// One full sync: upload everything not acknowledged, then take the
/// county's events. `stop` ends it between requests.
pub fn sync_once(
    reader: &Reader,
    writer: &dyn SaveFeed,
    client: &Client,
    progress: &dyn Fn(Progress),
    stop: &AtomicBool,
) -> Result<Report, SyncError> {
    let station = reader
        .station()
        .map_err(SyncError::Store)?
        .map(|s| s.code)
        .unwrap_or_default();
    if station != client.station() {
        return Err(SyncError::OtherStation {
            enrolled: client.station().to_string(),
            station,
        });
    }
    let origin = crate::domain::event::terminal_origin(&station, reader.terminal(), reader.generation());
    let state = reader.sync_state().map_err(SyncError::Store)?;
    let mut position = state.position().map_err(SyncError::Store)?;
    let mut report = Report::default();
    let start = position.acked;
    let mut rewound = false;
    loop {
        if stop.load(Ordering::Relaxed) {
            return Err(SyncError::Stopped);
        }
        let total = reader.own_seq().map_err(SyncError::Store)?;
        progress(Progress::Uploading {
            sent: position.acked.min(total),
            total,
        });
        let out = reader
            .outgoing(
                &origin,
                &position,
                protocol::MAX_BATCH_EVENTS,
                protocol::MAX_BATCH_BYTES,
            )
            .map_err(SyncError::Store)?;
        let Some(first) = out.events.first().map(|e| e.seq) else {
            break;
        };
        let last = out.events.last().map(|e| e.seq).unwrap_or(first);
        // Staff secrets stay here: such an event goes without them, with
        // the chain hash after it attested (protocol, "Redacted events").
        let mut attested = Vec::new();
        let events = out
            .events
            .iter()
            .map(|e| match protocol::for_county(&e.raw) {
                Some(redacted) => {
                    attested.push(protocol::Attested {
                        seq: e.seq,
                        hash: e.hash.clone(),
                    });
                    redacted
                }
                None => e.raw.clone(),
            })
            .collect();
        let upload = Upload {
            terminal: reader.terminal(),
            generation: reader.generation(),
            prev: out.prev.clone(),
            events,
            attested,
        };
        let reply = client.upload(&upload, stop)?;
        if let Some(refusal) = reply.refused {
            // What the server holds before the refusal still counts.
            if reply.acked >= position.acked && reply.acked <= last {
                position = out.position_at(reply.acked, &position);
                state.set_position(&position).map_err(SyncError::Store)?;
            }
            return Err(SyncError::Refused(refusal));
        }
        if reply.acked > last {
            log::warn!("the server acknowledged event {} of {last}", reply.acked);
            return Err(SyncError::BadReply(BadAnswer::Inconsistent));
        }
        let before = position.acked;
        position = out.position_at(reply.acked, &position);
        state.set_position(&position).map_err(SyncError::Store)?;
        report.stored += reply.stored;
        if position.acked >= first {
            continue;
        }
        if reply.acked < before && !rewound {
            // The server holds less than it acknowledged before (restored
            // from a backup?): send from where it is, once.
            rewound = true;
            continue;
        }
        log::warn!(
            "the server holds event {} and took none of {first}-{last}",
            reply.acked
        );
        return Err(SyncError::BadReply(BadAnswer::Inconsistent));
    }
    report.sent = position.acked.saturating_sub(start);
    let feed_origin = county_origin(&station);
    // The cursor as saved so far (the reader may be a copy that does not
    // see what this sync saves).
    let mut taken = 0;
    loop {
        if stop.load(Ordering::Relaxed) {
            return Err(SyncError::Stopped);
        }
        let cursor = reader
            .origin_seq(&feed_origin)
            .map_err(SyncError::Store)?
            .max(taken);
        let feed = client.feed(cursor, stop)?;
        if feed.events.is_empty() {
            break;
        }
        taken = feed.last;
        let saved = writer
            .save_feed(feed_origin.clone(), feed.events)
            .map_err(SyncError::Write)?;
        report.received += saved.events.len() as u64;
        report.touched.extend(saved.touched);
        progress(Progress::Downloading {
            received: report.received,
        });
        if !feed.more || saved.events.is_empty() {
            break;
        }
    }
    report.touched.sort();
    report.touched.dedup();
    Ok(report)
}

/// The county's copy of this terminal's events after `own_after` (of its
/// origin generation `generation`) and of the station's feed after
/// `feed_after`, every page of both.
pub fn county_copy(
    client: &Client,
    terminal: u8,
    generation: u32,
    own_after: u64,
    feed_after: u64,
) -> Result<CountyCopy, SyncError> {
    let mut copy = CountyCopy {
        own_after,
        feed_after,
        ..CountyCopy::default()
    };
    // A recovery is a command of its own: nothing stops it half-way.
    let stop = AtomicBool::new(false);
    let key = protocol::terminal_key(terminal, generation);
    let mut after = own_after;
    loop {
        let page = client.held(key, after, &stop)?;
        if page.events.len() != page.hashes.len() || (page.more && page.last <= after) {
            log::warn!("sync: a page of held events that does not add up");
            return Err(SyncError::BadReply(BadAnswer::Inconsistent));
        }
        copy.own.extend(page.events);
        copy.hashes.extend(page.hashes);
        if !page.more {
            break;
        }
        after = page.last;
    }
    let mut after = feed_after;
    loop {
        let page = client.feed(after, &stop)?;
        let more = page.more && page.last > after;
        copy.feed.extend(page.events);
        if !more {
            break;
        }
        after = page.last;
    }
    Ok(copy)
}

/// `sync_once`, with its outcome recorded for the Sync screen.
pub fn sync_and_record(
    reader: &Reader,
    writer: &dyn SaveFeed,
    client: &Client,
    lang: Lang,
    progress: &dyn Fn(Progress),
    stop: &AtomicBool,
) -> Result<Report, SyncError> {
    let zone = reader.zone().unwrap_or_default();
    let now = zone.now();
    let result = sync_once(reader, writer, client, progress, stop);
    if let Ok(state) = reader.sync_state() {
        let mut status = state.status().unwrap_or_default();
        status.last_attempt = Some(now);
        match &result {
            Ok(report) => {
                status.succeeded(zone.now(), report.sent, report.received);
            }
            Err(SyncError::Stopped) => {}
            Err(e) => status.last_error = Some(e.message(lang)),
        }
        if let Err(e) = state.set_status(&status) {
            log::warn!("could not record the sync's outcome: {e}");
        }
    }
    result
}

/// How long to wait before attempt `attempt` (1, 2, …): exponential from
/// `base`, at most `max`, with full jitter.
pub fn backoff(attempt: u32, base: Duration, max: Duration) -> Duration {
    let exp = base.saturating_mul(1u32 << attempt.saturating_sub(1).min(20));
    let cap = exp.min(max);
    let mut bytes = [0u8; 8];
    let _ = getrandom::fill(&mut bytes);
    let fraction = (u64::from_le_bytes(bytes) >> 11) as f64 / (1u64 << 53) as f64;
    // Never less than half the step, so retries do spread out.
    cap.mul_f64(0.5 + fraction / 2.0)
}

/// Tries `sync_and_record` until it finishes, a failure that will not go
/// away by itself, `attempts` tries, or `stop`.
#[allow(clippy::too_many_arguments)]
pub fn sync_with_retries(
    reader: &Reader,
    writer: &dyn SaveFeed,
    client: &Client,
    lang: Lang,
    progress: &dyn Fn(Progress),
    stop: &AtomicBool,
    attempts: u32,
    base: Duration,
    on_retry: &dyn Fn(u32, &SyncError, Duration),
) -> Result<Report, SyncError> {
    let mut attempt = 1;
    loop {
        match sync_and_record(reader, writer, client, lang, progress, stop) {
            Err(e) if e.transient() && attempt < attempts && !stop.load(Ordering::Relaxed) => {
                let wait = backoff(attempt, base, Duration::from_secs(600));
                on_retry(attempt, &e, wait);
                let until = std::time::Instant::now() + wait;
                while std::time::Instant::now() < until {
                    if stop.load(Ordering::Relaxed) {
                        return Err(SyncError::Stopped);
                    }
                    std::thread::sleep(Duration::from_millis(50).min(wait));
                }
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// The last sync's outcome and what waits to be sent.
#[derive(Debug, Clone, Default)]
pub struct Overview {
    pub enrolled: bool,
    pub server: String,
    pub unsent: u64,
    pub status: SyncStatus,
    pub position: Position,
}

pub fn overview(reader: &Reader) -> Result<Overview, SyncError> {
    let creds = load_credentials(reader.dir())?;
    let state = reader.sync_state().map_err(SyncError::Store)?;
    let position = state.position().map_err(SyncError::Store)?;
    let own = reader.own_seq().map_err(SyncError::Store)?;
    Ok(Overview {
        enrolled: creds.is_some(),
        server: creds.map(|c| c.server).unwrap_or_default(),
        unsent: own.saturating_sub(position.acked),
        status: state.status().map_err(SyncError::Store)?,
        position,
    })
}

/// English, for the log; a user reads `message`.
impl std::fmt::Display for SyncError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message(Lang::En))
    }
}

impl std::error::Error for SyncError {}
