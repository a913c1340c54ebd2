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

use chrono::{DateTime, FixedOffset, Local};
use ed25519_dalek::{SigningKey, VerifyingKey};
use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

use super::protocol::{self, Credentials, Feed, HeldEvents, Problem, Refusal, Upload, UploadReply};
use crate::domain::event::county_origin;
use crate::i18n::Lang;
use crate::storage::restore::CountyCopy;
use crate::storage::sync_state::{Position, Status};
use crate::storage::{Outcome, Reader, Request, StoreError, WriteError, Writer};

/// Where a terminal keeps its credentials.
pub fn credentials_path(dir: &Path) -> PathBuf {
    dir.join("sync.toml")
}

/// The terminal's credentials, if it was enrolled.
pub fn load_credentials(dir: &Path) -> Result<Option<Credentials>, SyncError> {
    let path = credentials_path(dir);
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => {
            return Err(SyncError::Credentials {
                path,
                detail: e.to_string(),
            });
        }
    };
    parse_credentials(&path, &text).map(Some)
}

/// Reads and checks a credentials file's text.
pub fn parse_credentials(path: &Path, text: &str) -> Result<Credentials, SyncError> {
    let bad = |detail: String| SyncError::Credentials {
        path: path.to_path_buf(),
        detail,
    };
    let creds: Credentials = toml::from_str(text).map_err(|e| bad(e.to_string()))?;
    if creds.signing_key().is_none() {
        return Err(bad("key: not a base64 Ed25519 key".into()));
    }
    if creds.server_key().is_none() {
        return Err(bad("server_key: not a base64 Ed25519 public key".into()));
    }
    if !(creds.server.starts_with("http://") || creds.server.starts_with("https://")) {
        return Err(bad(format!(
            "server: {} is not an http:// or https:// URL",
            creds.server
        )));
    }
    if let Some(ca) = &creds.ca {
        trusted_roots(ca).map_err(|e| bad(format!("ca: {e}")))?;
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
        detail: String,
    },
    /// The credentials are for another station.
    OtherStation {
        enrolled: String,
        station: String,
    },
    /// No answer: refused, reset, timed out, or cut off mid-way.
    Network {
        server: String,
        detail: String,
    },
    /// The server's TLS certificate does not verify against the roots
    /// this terminal trusts (the credentials' `ca`, or the public ones).
    Certificate {
        server: String,
        detail: String,
    },
    /// The server answered with an error.
    Server {
        status: u16,
        problem: Option<Problem>,
    },
    /// An answer that is not the server's, or not valid.
    BadReply(String),
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
            SyncError::Credentials { path, detail } => lang.pick(
                format!("同步凭据 {} 无法使用：{detail}", path.display()),
                format!("the sync credentials {} cannot be used: {detail}", path.display()),
            ),
            SyncError::OtherStation { enrolled, station } => lang.pick(
                format!("同步凭据属于站点 {enrolled}，本终端属于站点 {station}"),
                format!("the sync credentials are for station {enrolled}, this terminal is station {station}'s"),
            ),
            SyncError::Network { server, detail } => lang.pick(
                format!("连不上县里的服务器 {server}（{detail}）。记录都在本机，稍后会自动重试。"),
                format!(
                    "cannot reach the county server {server} ({detail}). Everything is kept here; it will try again."
                ),
            ),
            SyncError::Server { status, problem } => {
                let words = problem.as_ref().map(|p| p.message.clone()).unwrap_or_default();
                match (status, lang) {
                    (401, Lang::Zh) => format!("县里的服务器拒绝了本站：{words}（凭据或本机时间不对？）"),
                    (401, Lang::En) => {
                        format!("the county server refused this station: {words} (credentials or clock wrong?)")
                    }
                    (_, Lang::Zh) => format!("县里的服务器出错（{status}）：{words}"),
                    (_, Lang::En) => format!("the county server failed ({status}): {words}"),
                }
            }
            SyncError::Certificate { server, detail } => lang.pick(
                format!(
                    "证书无法验证：县里的服务器 {server} 出示的证书不受本终端信任（{detail}）。请向县人大办核对地址，或索取带服务器证书（ca）的新凭据；重试无济于事。"
                ),
                format!(
                    "the server's certificate cannot be verified: {server} presented a certificate this terminal does not trust ({detail}). Check the address with the county office or ask for credentials that carry its certificate (ca); retrying will not help."
                ),
            ),
            SyncError::BadReply(detail) => lang.pick(
                format!("收到的答复无效（{detail}），稍后重试"),
                format!("the answer was not valid ({detail}); it will try again"),
            ),
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

/// The answer to one request, checked.
struct Answer {
    status: u16,
    body: Vec<u8>,
}

impl Client {
    pub fn new(creds: Credentials) -> Result<Client, SyncError> {
        let bad = |detail: &str| SyncError::Credentials {
            path: PathBuf::from("sync.toml"),
            detail: detail.to_string(),
        };
        let key = creds.signing_key().ok_or_else(|| bad("key"))?;
        let server_key = creds.server_key().ok_or_else(|| bad("server_key"))?;
        let mut agent = ureq::AgentBuilder::new()
            .timeout_connect(Duration::from_secs(10))
            .timeout(Duration::from_secs(60));
        if let Some(ca) = &creds.ca {
            let config = trusted_roots(ca)
                .and_then(tls_config)
                .map_err(|e| bad(&format!("ca: {e}")))?;
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

    fn network(&self, detail: impl ToString) -> SyncError {
        SyncError::Network {
            server: self.base.clone(),
            detail: detail.to_string(),
        }
    }

    /// A request that got no answer: the certificate refused, or the
    /// network.
    fn transport(&self, t: ureq::Transport) -> SyncError {
        match tls_error(&t) {
            Some(e) if untrusted(e) => SyncError::Certificate {
                server: self.base.clone(),
                detail: e.to_string(),
            },
            _ => self.network(t),
        }
    }

    /// Sends one signed request and checks the server's signature on the
    /// answer (whatever its status).
    fn call(&self, method: &str, path_and_query: &str, body: &[u8]) -> Result<Answer, SyncError> {
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
        let result = if body.is_empty() {
            request.call()
        } else {
            request
                .set("content-type", "application/json")
                .set("content-encoding", "gzip")
                .send_bytes(body)
        };
        let response = match result {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(ureq::Error::Transport(t)) => return Err(self.transport(t)),
        };
        let status = response.status();
        let reply_sig = response.header(protocol::H_SIGNATURE).map(str::to_string);
        let gzipped = response.header("content-encoding") == Some("gzip");
        let mut raw = Vec::new();
        response
            .into_reader()
            .take(protocol::MAX_BODY_BYTES as u64 + 1)
            .read_to_end(&mut raw)
            .map_err(|e| self.network(e))?;
        let Some(reply_sig) = reply_sig else {
            return Err(SyncError::BadReply(format!(
                "HTTP {status} without the server's signature"
            )));
        };
        if !protocol::verify(
            &self.server_key,
            &protocol::reply_text(&signature, status, &raw),
            &reply_sig,
        ) {
            return Err(SyncError::BadReply(format!(
                "HTTP {status} with a signature that is not the county server's"
            )));
        }
        let body = if gzipped {
            protocol::gunzip(&raw, protocol::MAX_BODY_BYTES)
                .map_err(|e| SyncError::BadReply(e.to_string()))?
        } else {
            raw
        };
        if status != 200 {
            return Err(SyncError::Server {
                status,
                problem: serde_json::from_slice(&body).ok(),
            });
        }
        Ok(Answer { status, body })
    }

    /// Sends one batch; the server's answer.
    fn upload(&self, upload: &Upload) -> Result<UploadReply, SyncError> {
        let json = serde_json::to_vec(upload).map_err(|e| SyncError::BadReply(e.to_string()))?;
        let answer = self.call("POST", protocol::PATH_UPLOAD, &protocol::gzip(&json))?;
        serde_json::from_slice(&answer.body)
            .map_err(|e| SyncError::BadReply(format!("HTTP {}: {e}", answer.status)))
    }

    /// A page of this station's events of one terminal as the county holds
    /// them (`key`: `protocol::terminal_key`).
    fn held(&self, key: i64, after: u64) -> Result<HeldEvents, SyncError> {
        let answer = self.call(
            "GET",
            &format!("{}?terminal={key}&after={after}", protocol::PATH_EVENTS),
            &[],
        )?;
        serde_json::from_slice(&answer.body)
            .map_err(|e| SyncError::BadReply(format!("HTTP {}: {e}", answer.status)))
    }

    fn feed(&self, after: u64) -> Result<Feed, SyncError> {
        let answer = self.call("GET", &format!("{}?after={after}", protocol::PATH_FEED), &[])?;
        serde_json::from_slice(&answer.body)
            .map_err(|e| SyncError::BadReply(format!("HTTP {}: {e}", answer.status)))
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
        let reply = client.upload(&upload)?;
        if let Some(refusal) = reply.refused {
            // What the server holds before the refusal still counts.
            if reply.acked >= position.acked && reply.acked <= last {
                position = out.position_at(reply.acked, &position);
                state.set_position(&position).map_err(SyncError::Store)?;
            }
            return Err(SyncError::Refused(refusal));
        }
        if reply.acked > last {
            return Err(SyncError::BadReply(format!(
                "the server acknowledged event {} of {last}",
                reply.acked
            )));
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
        return Err(SyncError::BadReply(format!(
            "the server holds event {} and took none of {first}-{last}",
            reply.acked
        )));
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
        let feed = client.feed(cursor)?;
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
    let key = protocol::terminal_key(terminal, generation);
    let mut after = own_after;
    loop {
        let page = client.held(key, after)?;
        if page.events.len() != page.hashes.len() || (page.more && page.last <= after) {
            return Err(SyncError::BadReply(
                "events held: a page that does not add up".into(),
            ));
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
        let page = client.feed(after)?;
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
    let now = Local::now().fixed_offset();
    let result = sync_once(reader, writer, client, progress, stop);
    if let Ok(state) = reader.sync_state() {
        let mut status = state.status().unwrap_or_default();
        status.last_attempt = Some(now);
        match &result {
            Ok(report) => {
                status.last_success = Some(Local::now().fixed_offset());
                status.last_error = None;
                status.sent = report.sent;
                status.received = report.received;
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
    pub status: Status,
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

/// The time as the Sync screen shows it.
pub fn local(at: &DateTime<FixedOffset>) -> String {
    at.with_timezone(&Local).format("%Y-%m-%d %H:%M").to_string()
}

/// English, for the log; a user reads `message`.
impl std::fmt::Display for SyncError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message(Lang::En))
    }
}

impl std::error::Error for SyncError {}
