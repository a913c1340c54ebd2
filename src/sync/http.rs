//! Signed requests to the county server: a `Client` holds the terminal's
//! keys and an HTTP agent, signs each request, checks the server's
//! signature on each answer, and tells why a request got no answer
//! (`NoAnswer`) or why the server's certificate was refused.

use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use ed25519_dalek::{SigningKey, VerifyingKey};

use super::credentials::CredentialsProblem;
use super::error::{BadAnswer, SyncError, unreadable};
use super::protocol::{self, Credentials};
use super::tls::{PinnedTls, Untrusted, tls_config, tls_error, trusted_roots, untrusted};
use crate::i18n::Lang;

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
    /// Why ureq got no answer. A name that does not resolve is said as
    /// such (`Names` makes every failed lookup `HostNotFound`); an error
    /// that wraps another is looked through.
    fn of(e: &ureq::Error) -> NoAnswer {
        match e {
            ureq::Error::HostNotFound => NoAnswer::UnknownHost,
            ureq::Error::Timeout(_) => NoAnswer::TimedOut,
            ureq::Error::Io(io) => match io.get_ref().and_then(|inner| inner.downcast_ref::<ureq::Error>()) {
                Some(inner) => NoAnswer::of(inner),
                None => NoAnswer::of_io(io),
            },
            _ => NoAnswer::Other,
        }
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
    Transport(Box<ureq::Error>),
    Read(std::io::Error),
}

/// How long a connection may take to open, and a whole exchange.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// An HTTP agent for the county server: TCP, then TLS with the
/// credentials' certificates when they carry some (`pinned`), else with
/// the public roots; no proxy; every status comes back as an answer (the
/// server signs its errors too).
fn agent(pinned: Option<Arc<rustls::ClientConfig>>) -> ureq::Agent {
    use ureq::unversioned::resolver::DefaultResolver;
    use ureq::unversioned::transport::{Connector, RustlsConnector, TcpConnector};
    let config = ureq::Agent::config_builder()
        .timeout_connect(Some(CONNECT_TIMEOUT))
        .timeout_global(Some(REQUEST_TIMEOUT))
        .http_status_as_error(false)
        .max_redirects(5)
        .proxy(None)
        .build();
    let connector =
        ().chain(TcpConnector::default())
            .chain(PinnedTls::new(pinned))
            .chain(RustlsConnector::default());
    ureq::Agent::with_parts(config, connector, Names(DefaultResolver::default()))
}

/// The system's resolver, with a lookup that fails said as a name not
/// known (the system gives no kind to tell it by).
#[derive(Debug)]
struct Names(ureq::unversioned::resolver::DefaultResolver);

impl ureq::unversioned::resolver::Resolver for Names {
    fn resolve(
        &self,
        uri: &ureq::http::Uri,
        config: &ureq::config::Config,
        timeout: ureq::unversioned::transport::NextTimeout,
    ) -> Result<ureq::unversioned::resolver::ResolvedSocketAddrs, ureq::Error> {
        self.0.resolve(uri, config, timeout).map_err(|e| match e {
            ureq::Error::Io(io) => {
                log::warn!("sync: looking up {uri}: {io}");
                ureq::Error::HostNotFound
            }
            other => other,
        })
    }
}

/// The answer to one request, checked.
pub(super) struct Answer {
    pub(super) body: Vec<u8>,
}

impl Client {
    pub fn new(creds: Credentials) -> Result<Client, SyncError> {
        let bad = |entry: &'static str| SyncError::Credentials {
            path: PathBuf::from("sync.toml"),
            problem: CredentialsProblem::Entry(entry),
        };
        let key = creds.signing_key().ok_or_else(|| bad("key"))?;
        let server_key = creds.server_key().ok_or_else(|| bad("server_key"))?;
        let pinned = match &creds.ca {
            Some(ca) => Some(trusted_roots(ca).and_then(tls_config).map_err(|e| {
                log::warn!("sync.toml: ca: {e}");
                bad("ca")
            })?),
            None => None,
        };
        let agent = agent(pinned);
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

    /// An answer cut off while it was read (ureq's own errors come
    /// wrapped in the reader's).
    fn network(&self, e: std::io::Error) -> SyncError {
        log::warn!("sync with {}: {e}", self.base);
        SyncError::Network {
            server: self.base.clone(),
            cause: NoAnswer::of(&ureq::Error::Io(e)),
        }
    }

    /// A request that got no answer: the certificate refused, or the
    /// network. The system's own words go to the log.
    fn transport(&self, t: ureq::Error) -> SyncError {
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
    pub(super) fn call(
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
        let mut request = ureq::http::Request::builder()
            .method(method)
            .uri(format!("{}{path_and_query}", self.base))
            .header(protocol::H_STATION, &self.creds.station)
            .header(protocol::H_TIME, time.to_string())
            .header(protocol::H_SIGNATURE, &signature)
            .header("accept-encoding", "gzip");
        if !body.is_empty() {
            request = request
                .header("content-type", "application/json")
                .header("content-encoding", "gzip");
        }
        let body = body.to_vec();
        let agent = self.agent.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        let exchange = move || -> Result<Received, Failed> {
            let failed = |e: ureq::Error| Failed::Transport(Box::new(e));
            let request = request.body(body).map_err(|e| failed(e.into()))?;
            let response = agent.run(request).map_err(failed)?;
            let header = |name: &str| response.headers().get(name).and_then(|v| v.to_str().ok());
            let status = response.status().as_u16();
            let reply_sig = header(protocol::H_SIGNATURE).map(str::to_string);
            let gzipped = header("content-encoding") == Some("gzip");
            let mut raw = Vec::new();
            response
                .into_body()
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
}
