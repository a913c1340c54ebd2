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
#[derive(Debug)]
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
    /// A request signed at `time` (seconds since the epoch), and its
    /// signature (which the answer's signature covers).
    fn signed(
        &self,
        method: &str,
        path_and_query: &str,
        body: &[u8],
        time: i64,
    ) -> (ureq::http::request::Builder, String) {
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
        (request, signature)
    }

    pub(super) fn call(
        &self,
        method: &str,
        path_and_query: &str,
        body: &[u8],
        stop: &AtomicBool,
    ) -> Result<Answer, SyncError> {
        let time = chrono::Utc::now().timestamp();
        let (request, signature) = self.signed(method, path_and_query, body, time);
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
        match received {
            Ok(received) => self.check(&signature, received),
            Err(Failed::Transport(t)) => Err(self.transport(*t)),
            Err(Failed::Read(e)) => Err(self.network(e)),
        }
    }

    /// The answer to the request signed `signature`, when the server
    /// signed it and it is a success.
    fn check(&self, signature: &str, received: Received) -> Result<Answer, SyncError> {
        let Received {
            status,
            reply_sig,
            gzipped,
            raw,
        } = received;
        let Some(reply_sig) = reply_sig else {
            return Err(SyncError::BadReply(BadAnswer::Unsigned));
        };
        if !protocol::verify(
            &self.server_key,
            &protocol::reply_text(signature, status, &raw),
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

#[cfg(test)]
mod tests {
    use ed25519_dalek::SigningKey;

    use super::*;

    fn keys() -> (SigningKey, SigningKey) {
        (
            protocol::new_signing_key().unwrap(),
            protocol::new_signing_key().unwrap(),
        )
    }

    fn client(station: &SigningKey, server: &SigningKey, url: &str) -> Client {
        Client::new(Credentials {
            station: "330999012".into(),
            name: String::new(),
            server: url.into(),
            server_key: protocol::encode_public(&server.verifying_key()),
            key: protocol::encode_secret(station),
            ca: None,
        })
        .unwrap()
    }

    /// What the server sends for the request signed `signature`.
    fn answer(server: &SigningKey, signature: &str, status: u16, body: &[u8]) -> Received {
        let raw = protocol::gzip(body);
        Received {
            status,
            reply_sig: Some(protocol::sign(
                server,
                &protocol::reply_text(signature, status, &raw),
            )),
            gzipped: true,
            raw,
        }
    }

    #[test]
    fn a_request_carries_the_station_the_time_and_a_signature_the_county_verifies() {
        let (station, server) = keys();
        let client = client(&station, &server, "http://county.example:8443/");
        let body = protocol::gzip(b"{}");
        let (request, signature) = client.signed("POST", "/v1/upload", &body, 1_700_000_000);
        let request = request.body(()).unwrap();
        assert_eq!(request.method(), "POST");
        assert_eq!(request.uri(), "http://county.example:8443/v1/upload");
        let header = |name: &str| request.headers().get(name).unwrap().to_str().unwrap();
        assert_eq!(header(protocol::H_STATION), "330999012");
        assert_eq!(header(protocol::H_TIME), "1700000000");
        assert_eq!(header(protocol::H_SIGNATURE), signature);
        assert_eq!(header("content-encoding"), "gzip");
        assert_eq!(header("accept-encoding"), "gzip");
        let text = protocol::signing_text("POST", "/v1/upload", "330999012", 1_700_000_000, &body);
        assert!(protocol::verify(&station.verifying_key(), &text, &signature));
        // Over another body, path or time it is no signature.
        for other in [
            protocol::signing_text("POST", "/v1/upload", "330999012", 1_700_000_000, b"{}"),
            protocol::signing_text("POST", "/v1/feed", "330999012", 1_700_000_000, &body),
            protocol::signing_text("POST", "/v1/upload", "330999012", 1_700_000_001, &body),
        ] {
            assert!(!protocol::verify(&station.verifying_key(), &other, &signature));
        }
        // A request without a body says nothing of one.
        let (get, _) = client.signed("GET", "/v1/feed?after=3", &[], 1_700_000_000);
        let get = get.body(()).unwrap();
        assert_eq!(get.uri(), "http://county.example:8443/v1/feed?after=3");
        assert!(get.headers().get("content-encoding").is_none());
    }

    #[test]
    fn only_an_answer_the_server_signed_for_this_request_is_taken() {
        let (station, server) = keys();
        let client = client(&station, &server, "http://county.example:8443");
        let body = br#"{"acked":3}"#;
        let answer_body = client
            .check("sig", answer(&server, "sig", 200, body))
            .unwrap()
            .body;
        assert_eq!(answer_body, body);

        let mut unsigned = answer(&server, "sig", 200, body);
        unsigned.reply_sig = None;
        let e = client.check("sig", unsigned).unwrap_err();
        assert!(matches!(e, SyncError::BadReply(BadAnswer::Unsigned)), "{e:?}");
        // Signed by another key, or for another request.
        let (stranger, _) = keys();
        for (received, signature) in [
            (answer(&stranger, "sig", 200, body), "sig"),
            (answer(&server, "other", 200, body), "sig"),
        ] {
            let e = client.check(signature, received).unwrap_err();
            assert!(
                matches!(e, SyncError::BadReply(BadAnswer::NotTheServers)),
                "{e:?}"
            );
            assert!(e.transient());
        }
        let damaged = Received {
            gzipped: true,
            ..answer(&server, "sig", 200, b"")
        };
        let damaged = Received {
            raw: b"not gzip".to_vec(),
            reply_sig: Some(protocol::sign(
                &server,
                &protocol::reply_text("sig", 200, b"not gzip"),
            )),
            ..damaged
        };
        let e = client.check("sig", damaged).unwrap_err();
        assert!(matches!(e, SyncError::BadReply(BadAnswer::Unreadable)), "{e:?}");
    }

    #[test]
    fn a_signed_error_is_the_servers_and_only_some_are_retried() {
        let (station, server) = keys();
        let client = client(&station, &server, "http://county.example:8443");
        let problem = r#"{"code":"stale","message":"时间不对 / clock wrong"}"#.as_bytes();
        for (status, retried) in [
            (500, true),
            (503, true),
            (429, true),
            (408, true),
            (401, false),
            (400, false),
        ] {
            let e = client
                .check("sig", answer(&server, "sig", status, problem))
                .unwrap_err();
            match &e {
                SyncError::Server { status: s, problem } => {
                    assert_eq!(*s, status);
                    assert_eq!(problem.as_ref().map(|p| p.code.as_str()), Some("stale"));
                }
                other => panic!("{other:?}"),
            }
            assert_eq!(e.transient(), retried, "{status}");
        }
    }

    fn io(kind: std::io::ErrorKind) -> ureq::Error {
        ureq::Error::Io(std::io::Error::from(kind))
    }

    #[test]
    fn no_answer_is_told_apart_and_retried() {
        use std::io::ErrorKind as K;
        let (station, server) = keys();
        let client = client(&station, &server, "http://county.example:8443");
        for (error, cause) in [
            (ureq::Error::HostNotFound, NoAnswer::UnknownHost),
            (ureq::Error::Timeout(ureq::Timeout::Global), NoAnswer::TimedOut),
            (io(K::ConnectionRefused), NoAnswer::Refused),
            (io(K::TimedOut), NoAnswer::TimedOut),
            (io(K::ConnectionReset), NoAnswer::Cut),
            (io(K::UnexpectedEof), NoAnswer::Cut),
            (io(K::NetworkUnreachable), NoAnswer::Unreachable),
            (io(K::PermissionDenied), NoAnswer::Other),
            (ureq::Error::ConnectionFailed, NoAnswer::Other),
            // ureq's own error, as a body reader hands it on.
            (
                ureq::Error::Io(std::io::Error::other(ureq::Error::Timeout(
                    ureq::Timeout::RecvBody,
                ))),
                NoAnswer::TimedOut,
            ),
        ] {
            let e = client.transport(error);
            match &e {
                SyncError::Network { server, cause: c } => {
                    assert_eq!(server, "http://county.example:8443");
                    assert_eq!(*c, cause);
                }
                other => panic!("{other:?}"),
            }
            assert!(e.transient());
        }
        let cut = client.network(std::io::Error::from(K::BrokenPipe));
        assert!(
            matches!(
                cut,
                SyncError::Network {
                    cause: NoAnswer::Cut,
                    ..
                }
            ),
            "{cut:?}"
        );
    }

    #[test]
    fn a_certificate_refused_is_said_as_such_and_not_retried() {
        use rustls::CertificateError as C;
        let (station, server) = keys();
        let client = client(&station, &server, "https://county.example:8443");
        for (tls, why) in [
            (
                rustls::Error::InvalidCertificate(C::UnknownIssuer),
                Untrusted::UnknownIssuer,
            ),
            (
                rustls::Error::InvalidCertificate(C::NotValidForName),
                Untrusted::WrongName,
            ),
            (rustls::Error::InvalidCertificate(C::Expired), Untrusted::Expired),
            (rustls::Error::NoCertificatesPresented, Untrusted::None),
        ] {
            // As the handshake hands it on: an io::Error around rustls's.
            let wrapped = ureq::Error::Io(std::io::Error::new(std::io::ErrorKind::InvalidData, tls.clone()));
            for error in [wrapped, ureq::Error::Rustls(tls)] {
                let e = client.transport(error);
                assert!(
                    matches!(e, SyncError::Certificate { why: w, .. } if w == why),
                    "{e:?}"
                );
                assert!(!e.transient());
            }
        }
        // A TLS failure that is not the certificate is the network's.
        let e = client.transport(ureq::Error::Rustls(rustls::Error::DecryptError));
        assert!(matches!(e, SyncError::Network { .. }), "{e:?}");
    }

    #[test]
    fn nothing_listening_is_refused_and_retried() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let (station, server) = keys();
        let client = client(&station, &server, &format!("http://127.0.0.1:{port}"));
        let e = client
            .call("GET", "/v1/feed?after=0", &[], &AtomicBool::new(false))
            .err()
            .unwrap();
        assert!(
            matches!(
                e,
                SyncError::Network {
                    cause: NoAnswer::Refused,
                    ..
                }
            ),
            "{e:?}"
        );
        assert!(e.transient());
    }
}
