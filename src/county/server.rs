//! The county's HTTP server: the sync protocol (`sync::protocol`) for
//! stations and the public pages for browsers.
//!
//! A sync request is authenticated before anything it carries reaches the
//! database: the station must be enrolled, its signature over the exact
//! bytes received must verify, and its time must be within
//! `MAX_SKEW_SECS`. Every sync answer, errors included, is gzip and signed
//! by the server's key over the request's signature, the status and the
//! body as sent.
//!
//! The edge holds whatever comes in. Every connection must send a whole
//! request head within `HEADER_DEADLINE` of connecting or of its last
//! answer, in at most `MAX_HEAD_BYTES`; plain and TLS alike (HTTP/1.1).
//! The sync routes (`/v1/…`) go through `sync_guard`: a body is refused
//! from its `Content-Length` before it is read when larger than its route
//! takes, and is read only inside a budget shared by all sync requests
//! (`SYNC_BUDGET_BYTES`, waited for at most `SYNC_QUEUE_WAIT`) and within
//! `BODY_DEADLINE`. Every other path is a public page, limited per client
//! (`PAGE_BURST`, then one more every `PAGE_PERIOD`). Refusals are logged
//! with bounded fields, at most `LOGGED_REFUSALS` lines a minute.

use std::future::Future;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum_server::tls_rustls::{RustlsAcceptor, RustlsConfig};
use ed25519_dalek::SigningKey;
use http_body_util::BodyExt;
use serde_json::value::RawValue;
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

use super::db::{Db, EnrolledStation};
use super::{CountyError, TlsProblem, ingest, pages};
use crate::sync::protocol::{self, Feed, HeldEvents, Problem, Upload};

pub struct App {
    pub db: Db,
    pub key: SigningKey,
    /// Whether `POST /v1/probe` is served (`county serve --allow-probe`).
    pub allow_probe: bool,
}

pub type Shared = Arc<App>;

/// A connection must send a whole request head within this of connecting
/// (of the TLS handshake's start) and of its previous answer: slow and
/// idle connections are closed.
pub const HEADER_DEADLINE: Duration = Duration::from_secs(10);
/// A sync request's body must arrive whole within this of its head.
pub const BODY_DEADLINE: Duration = Duration::from_secs(60);
/// The most a request head may take (hyper's read buffer per connection).
pub const MAX_HEAD_BYTES: usize = 16 << 10;
/// What the sync requests being read and answered may hold at once: each
/// reserves its `Content-Length`, and at least `SYNC_MIN_RESERVE`.
pub const SYNC_BUDGET_BYTES: usize = 16 << 20;
pub const SYNC_MIN_RESERVE: usize = 64 << 10;
/// How long a sync request waits for room in the budget before 503.
pub const SYNC_QUEUE_WAIT: Duration = Duration::from_secs(10);
/// The body a sync route under `/v1/` takes when it names no other.
pub const SYNC_DEFAULT_BODY: usize = 64 << 10;
/// Public pages per client: this many at once, then one every period.
pub const PAGE_BURST: u32 = 60;
pub const PAGE_PERIOD: Duration = Duration::from_secs(1);
/// Open files kept for the database and the log, beyond connections.
const FILES_KEPT: u64 = 128;
/// The most connections served at once (fewer under a low file limit).
pub const MAX_CONNECTIONS: usize = 16_384;
/// Refusals logged a minute; the rest are counted in one line.
pub const LOGGED_REFUSALS: u32 = 10;

/// The routes, for `serve` and for tests: the sync routes (`/v1/…`)
/// behind `sync_guard`, every other path a public page behind the
/// per-client limit. A route added here falls in its group by its path.
pub fn router(app: App) -> Router {
    let shared = Arc::new(app);
    let routes = Router::new()
        .route(protocol::PATH_UPLOAD, post(upload))
        .route(protocol::PATH_FEED, get(feed))
        .route(protocol::PATH_PROBE, post(probe))
        .route(protocol::PATH_EVENTS, get(events))
        .merge(public_routes())
        .fallback(|| async { html(StatusCode::NOT_FOUND, pages::not_found()) })
        .with_state(shared.clone());
    let edge = Arc::new(Edge {
        budget: Arc::new(Semaphore::new(SYNC_BUDGET_BYTES >> 10)),
    });
    let sync = routes
        .clone()
        .layer(axum::middleware::from_fn_with_state((shared, edge), sync_guard));
    Router::new()
        .route_service("/v1/{*rest}", sync.into_service::<Body>())
        .fallback_service(limit_pages(routes))
}

/// What the sync routes share: the budget of bytes in flight, in KiB.
struct Edge {
    budget: Arc<Semaphore>,
}

/// How a sync route takes its body.
struct BodyRule {
    /// The most it takes (`Content-Length`).
    cap: usize,
    /// Read by the handler as it comes (hashed, never held) rather than
    /// collected first.
    streamed: bool,
}

/// The body rule of a sync path; None when the route is off.
fn body_rule(path: &str, allow_probe: bool) -> Option<BodyRule> {
    let rule = |cap, streamed| Some(BodyRule { cap, streamed });
    match path {
        protocol::PATH_UPLOAD => rule(protocol::MAX_BODY_BYTES, false),
        protocol::PATH_PROBE if allow_probe => rule(protocol::MAX_PROBE_BYTES, true),
        protocol::PATH_PROBE => None,
        // Signed GETs: no body.
        protocol::PATH_FEED | protocol::PATH_EVENTS => rule(0, false),
        _ => rule(SYNC_DEFAULT_BODY, false),
    }
}

/// Guards every sync route: refuses from the head what is too large or
/// unsized, waits for room in the budget, then reads the body within
/// `BODY_DEADLINE` and hands it on whole (a streamed route reads it
/// itself, within the same deadline).
async fn sync_guard(
    State((app, edge)): State<(Shared, Arc<Edge>)>,
    request: Request,
    next: Next,
) -> Response {
    let signature = header_text(request.headers(), protocol::H_SIGNATURE)
        .unwrap_or("")
        .to_string();
    // Refused before the body is read: the connection closes after the
    // answer rather than read what follows.
    let closing = |r: Refuse| {
        let mut response = refuse(&app, &signature, r);
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        response
    };
    let Some(rule) = body_rule(request.uri().path(), app.allow_probe) else {
        return closing(Refuse::new(
            StatusCode::NOT_FOUND,
            "not_served",
            "县里服务器未开放此接口",
            "this server does not serve this route",
        ));
    };
    if request.headers().contains_key(header::TRANSFER_ENCODING) {
        log_refusal(format_args!("refused a sync request without a length"));
        return closing(Refuse::new(
            StatusCode::LENGTH_REQUIRED,
            "length_required",
            "请求须注明长度（Content-Length）",
            "the request must state its length (Content-Length)",
        ));
    }
    let length = match request.headers().get(header::CONTENT_LENGTH) {
        None => 0,
        Some(v) => match v.to_str().ok().and_then(|v| v.trim().parse::<u64>().ok()) {
            Some(n) => n,
            None => return closing(bad_request("content-length".to_string())),
        },
    };
    if length > rule.cap as u64 {
        log_refusal(format_args!(
            "refused a sync request of {length} bytes (at most {})",
            rule.cap
        ));
        return closing(Refuse::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            "请求过大",
            "the request is too large",
        ));
    }
    let length = length as usize;
    let reserve = if rule.streamed {
        SYNC_MIN_RESERVE
    } else {
        length.max(SYNC_MIN_RESERVE)
    };
    let units = u32::try_from(reserve.div_ceil(1024)).unwrap_or(u32::MAX);
    let permit =
        match tokio::time::timeout(SYNC_QUEUE_WAIT, edge.budget.clone().acquire_many_owned(units)).await {
            Ok(Ok(permit)) => permit,
            _ => {
                log_refusal(format_args!("refused a sync request: the server is busy"));
                let mut response = refuse(&app, &signature, busy());
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("10"));
                return response;
            }
        };
    let response = if rule.streamed {
        match tokio::time::timeout(BODY_DEADLINE, next.run(request)).await {
            Ok(response) => response,
            Err(_) => closing(too_slow()),
        }
    } else {
        let (parts, body) = request.into_parts();
        match tokio::time::timeout(BODY_DEADLINE, collect(body, length)).await {
            Ok(Ok(bytes)) => next.run(Request::from_parts(parts, Body::from(bytes))).await,
            Ok(Err(what)) => closing(bad_request(what)),
            Err(_) => closing(too_slow()),
        }
    };
    drop(permit);
    response
}

/// A body of `length` bytes (as its head said), read into one buffer.
async fn collect(mut body: Body, length: usize) -> Result<Bytes, String> {
    let mut out = Vec::with_capacity(length);
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| format!("body: {e}"))?;
        if let Ok(data) = frame.into_data() {
            if out.len() + data.len() > length {
                return Err(format!("body past its content-length {length}"));
            }
            out.extend_from_slice(&data);
        }
    }
    Ok(Bytes::from(out))
}

fn busy() -> Refuse {
    Refuse::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "busy",
        "县里服务器繁忙，请稍后重试",
        "the server is busy; try again later",
    )
}

fn too_slow() -> Refuse {
    log_refusal(format_args!("refused a sync request: its body came too slowly"));
    Refuse::new(
        StatusCode::REQUEST_TIMEOUT,
        "too_slow",
        "请求内容传输过慢，已中断",
        "the request's body came too slowly",
    )
}

/// The client a public page's limit counts against: its IP address, an
/// IPv6 one by its /64 (what one subscriber is usually given).
#[derive(Debug, Clone, Copy)]
struct ClientKey;

impl tower_governor::key_extractor::KeyExtractor for ClientKey {
    type Key = IpAddr;

    fn extract<T>(&self, req: &axum::http::Request<T>) -> Result<IpAddr, tower_governor::GovernorError> {
        let ip = req
            .extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
            .unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED));
        Ok(client_of(ip))
    }
}

fn client_of(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(v4) => IpAddr::V4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(std::net::Ipv6Addr::from(u128::from(v6) & !((1u128 << 64) - 1))),
        },
    }
}

/// The public pages behind the per-client limit (`PAGE_BURST`, then one
/// every `PAGE_PERIOD`); beyond it, 429 with a page that says to wait.
/// Clients not seen for a while are forgotten every minute.
fn limit_pages(routes: Router) -> Router {
    let config = tower_governor::governor::GovernorConfigBuilder::default()
        .key_extractor(ClientKey)
        .period(PAGE_PERIOD)
        .burst_size(PAGE_BURST)
        .finish()
        .expect("a period and burst above zero");
    let limiter = Arc::downgrade(config.limiter());
    if let Ok(runtime) = tokio::runtime::Handle::try_current() {
        runtime.spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(60));
            loop {
                tick.tick().await;
                let Some(limiter) = limiter.upgrade() else {
                    return;
                };
                limiter.retain_recent();
            }
        });
    }
    routes.layer(tower_governor::GovernorLayer::new(config).error_handler(|e| {
        let wait = match e {
            tower_governor::GovernorError::TooManyRequests { wait_time, .. } => wait_time.max(1),
            _ => 1,
        };
        log_refusal(format_args!("limited a client's public page requests"));
        let mut response = html(StatusCode::TOO_MANY_REQUESTS, pages::too_many());
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(wait));
        response
    }))
}

/// The public pages a receipt's or poster's QR code opens, each under the
/// station's code: a station's `public_url` is the server's public
/// address followed by its code (`https://rd.example.cn/330999012`), and
/// its links are `{public_url}/t/{code}?k={key}`, `{public_url}/d/{id}`
/// and `{public_url}/` (`domain::public`). `/t/{code}` and `/s/{station}`
/// stay for links printed before; a tracking code names its station.
pub fn public_routes() -> Router<Shared> {
    Router::new()
        .route("/{station}", get(station_page))
        .route("/{station}/", get(station_page))
        .route("/{station}/t/{code}", get(station_appeal_page))
        .route("/{station}/d/{id}", get(deputy_page))
        .route("/t/{code}", get(appeal_page))
        .route("/s/{station}", get(station_page))
}

/// Serves on `listen` until `shutdown` completes, then finishes the
/// requests under way. `bound` gets the address actually bound. With
/// `tls` (see `tls_config`) it speaks HTTPS only; HTTP/1.1 either way,
/// with the deadlines and limits above.
pub async fn serve(
    app: App,
    listen: &str,
    tls: Option<RustlsConfig>,
    bound: impl FnOnce(std::net::SocketAddr),
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), CountyError> {
    let io = |e| CountyError::io(std::path::Path::new(listen), e);
    let files = open_files();
    let listener = tokio::net::TcpListener::bind(listen).await.map_err(io)?;
    let addr = listener.local_addr().map_err(io)?;
    let listener = listener.into_std().map_err(io)?;
    let handle = axum_server::Handle::<SocketAddr>::new();
    let stopping = handle.clone();
    tokio::spawn(async move {
        shutdown.await;
        // Requests under way may finish; then the connections close.
        stopping.graceful_shutdown(Some(Duration::from_secs(30)));
    });
    let capped = Capped {
        handle: handle.clone(),
        max: (files.saturating_sub(FILES_KEPT) as usize).clamp(64, MAX_CONNECTIONS),
    };
    let service = router(app).into_make_service_with_connect_info::<SocketAddr>();
    let served = match tls {
        None => {
            let mut server = axum_server::from_tcp(listener)
                .map_err(io)?
                .acceptor(capped)
                .handle(handle)
                .http1_only();
            // The head's deadline is also the idle limit between requests.
            server
                .http_builder()
                .http1()
                .header_read_timeout(HEADER_DEADLINE)
                .max_buf_size(MAX_HEAD_BYTES);
            bound(addr);
            log::info!("county server listening on {addr}");
            server.serve(service).await
        }
        Some(tls) => {
            let acceptor = RustlsAcceptor::new(tls)
                .handshake_timeout(HEADER_DEADLINE)
                .acceptor(capped);
            let mut server = axum_server::from_tcp(listener)
                .map_err(io)?
                .acceptor(acceptor)
                .handle(handle)
                .http1_only();
            server
                .http_builder()
                .http1()
                .header_read_timeout(HEADER_DEADLINE)
                .max_buf_size(MAX_HEAD_BYTES);
            bound(addr);
            log::info!("county server listening on {addr} (TLS)");
            server.serve(service).await
        }
    };
    served.map_err(io)?;
    log::info!("county server stopped");
    Ok(())
}

/// Raises the soft limit on open files to the hard one (a service
/// manager's usual soft limit, 1,024, is a few hundred idle sockets
/// away); the limit in force.
fn open_files() -> u64 {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: plain system calls on a local struct.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return 1024;
        }
        if limit.rlim_cur < limit.rlim_max {
            let raised = libc::rlimit {
                rlim_cur: limit.rlim_max,
                rlim_max: limit.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
                return raised.rlim_cur;
            }
        }
    }
    limit.rlim_cur
}

/// Closes a connection at once when `max` are open already, so that
/// sockets never take the files the database and the log need.
#[derive(Clone)]
struct Capped {
    handle: axum_server::Handle<SocketAddr>,
    max: usize,
}

impl<S> axum_server::accept::Accept<tokio::net::TcpStream, S> for Capped {
    type Stream = tokio::net::TcpStream;
    type Service = S;
    type Future = std::future::Ready<std::io::Result<(Self::Stream, Self::Service)>>;

    fn accept(&self, stream: tokio::net::TcpStream, service: S) -> Self::Future {
        // The count includes this connection.
        if self.handle.connection_count() > self.max {
            log_refusal(format_args!("closed a connection: {} open already", self.max));
            return std::future::ready(Err(std::io::Error::other("too many connections")));
        }
        std::future::ready(Ok((stream, service)))
    }
}

/// How refusals are logged: at most `LOGGED_REFUSALS` lines a minute, the
/// rest counted in one line after the minute.
struct RefusalLog {
    since: Instant,
    logged: u32,
    quiet: u64,
}

static REFUSALS: Mutex<Option<RefusalLog>> = Mutex::new(None);

fn log_refusal(what: std::fmt::Arguments<'_>) {
    let Ok(mut guard) = REFUSALS.lock() else {
        return;
    };
    let now = Instant::now();
    let state = guard.get_or_insert(RefusalLog {
        since: now,
        logged: 0,
        quiet: 0,
    });
    if now.duration_since(state.since) >= Duration::from_secs(60) {
        if state.quiet > 0 {
            log::warn!(
                "{} more refused requests not logged in the last {} s",
                state.quiet,
                now.duration_since(state.since).as_secs()
            );
        }
        *state = RefusalLog {
            since: now,
            logged: 0,
            quiet: 0,
        };
    }
    if state.logged < LOGGED_REFUSALS {
        state.logged += 1;
        log::warn!("{what}");
    } else {
        state.quiet += 1;
    }
}

/// A station header as a log line shows it: a station code as it is,
/// anything else cut to a few characters, with its length.
fn shown(station: &str) -> String {
    if super::is_station_code(station) {
        return station.to_string();
    }
    let head: String = station.chars().take(12).collect();
    if head.len() == station.len() {
        format!("{station:?}")
    } else {
        format!("{head:?}… ({} bytes)", station.len())
    }
}

/// The server's TLS setup from a PEM certificate chain and private key
/// (ring, TLS 1.2 and 1.3). Every failure names the file.
pub fn tls_config(cert: &std::path::Path, key: &std::path::Path) -> Result<RustlsConfig, CountyError> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let tls = |path: &std::path::Path, problem| CountyError::Tls {
        path: path.to_path_buf(),
        problem,
    };
    let cert_pem = std::fs::read(cert).map_err(|e| tls(cert, TlsProblem::ReadCert(e)))?;
    let key_pem = std::fs::read(key).map_err(|e| tls(key, TlsProblem::ReadKey(e)))?;
    let chain = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| tls(cert, TlsProblem::NoCert))?;
    if chain.is_empty() {
        return Err(tls(cert, TlsProblem::NoCert));
    }
    let private = PrivateKeyDer::from_pem_slice(&key_pem).map_err(|_| tls(key, TlsProblem::NoKey))?;
    let refused = |detail: String| {
        tls(
            key,
            TlsProblem::Refused {
                cert: cert.to_path_buf(),
                detail,
            },
        )
    };
    let mut config =
        rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_protocol_versions(&[&rustls::version::TLS12, &rustls::version::TLS13])
            .map_err(|e| refused(e.to_string()))?
            .with_no_client_auth()
            .with_single_cert(chain, private)
            .map_err(|e| refused(e.to_string()))?;
    // HTTP/1.1 only: its head deadline holds every connection.
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(RustlsConfig::from_config(Arc::new(config)))
}

/// Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term => {}
    }
}

/// A refused or failed sync request.
struct Refuse {
    status: StatusCode,
    code: &'static str,
    message: String,
}

impl Refuse {
    fn new(status: StatusCode, code: &'static str, zh: &str, en: &str) -> Refuse {
        Refuse {
            status,
            code,
            message: format!("{zh} / {en}"),
        }
    }
}

fn header_text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// A signed, gzip answer to a sync request.
fn answer(app: &App, request_signature: &str, status: StatusCode, json: &[u8]) -> Response {
    let body = protocol::gzip(json);
    let signature = protocol::sign(
        &app.key,
        &protocol::reply_text(request_signature, status.as_u16(), &body),
    );
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(v) = HeaderValue::from_str(&signature) {
        h.insert(protocol::H_SIGNATURE, v);
    }
    response
}

fn refuse(app: &App, request_signature: &str, r: Refuse) -> Response {
    let problem = Problem {
        code: r.code.to_string(),
        message: r.message,
    };
    let json = serde_json::to_vec(&problem).unwrap_or_default();
    answer(app, request_signature, r.status, &json)
}

/// Checks who sent the request; its station and body bytes.
async fn authenticate(app: &App, request: Request) -> Result<(String, HeaderMap, Bytes), Refuse> {
    let (parts, body) = request.into_parts();
    let (station, enrolled) = enrolled_station(app, &parts.headers).await?;
    let bytes = axum::body::to_bytes(body, protocol::MAX_BODY_BYTES)
        .await
        .map_err(|_| too_large())?;
    verify(&parts, &station, &enrolled, &protocol::sha256_hex(&bytes))?;
    Ok((station, parts.headers, bytes))
}

fn too_large() -> Refuse {
    Refuse::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_large",
        "请求过大",
        "the request is too large",
    )
}

/// The enrolled station the request names.
async fn enrolled_station(app: &App, headers: &HeaderMap) -> Result<(String, EnrolledStation), Refuse> {
    let station = header_text(headers, protocol::H_STATION)
        .unwrap_or("")
        .to_string();
    let enrolled = app.db.station(&station).await.map_err(|e| {
        log::error!("reading station {}: {e}", shown(&station));
        internal()
    })?;
    let Some(enrolled) = enrolled.filter(|_| !station.is_empty()) else {
        log_refusal(format_args!(
            "refused a request from unknown station {}",
            shown(&station)
        ));
        return Err(Refuse::new(
            StatusCode::UNAUTHORIZED,
            "unknown_station",
            "县里没有登记这个站点",
            "this station is not enrolled",
        ));
    };
    Ok((station, enrolled))
}

/// Checks the request's signature over its head and the body's SHA-256
/// (hex), and its time.
fn verify(
    parts: &axum::http::request::Parts,
    station: &str,
    enrolled: &EnrolledStation,
    body_sha256: &str,
) -> Result<(), Refuse> {
    let time = header_text(&parts.headers, protocol::H_TIME).and_then(|t| t.trim().parse::<i64>().ok());
    let signature = header_text(&parts.headers, protocol::H_SIGNATURE).unwrap_or("");
    let path_and_query = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let key = protocol::decode_public(&enrolled.public_key);
    let verified = match (key, time) {
        (Some(key), Some(time)) => protocol::verify(
            &key,
            &protocol::signing_text_hashed(parts.method.as_str(), path_and_query, station, time, body_sha256),
            signature,
        ),
        _ => false,
    };
    if !verified {
        log_refusal(format_args!(
            "refused a request from station {station}: bad signature"
        ));
        return Err(Refuse::new(
            StatusCode::UNAUTHORIZED,
            "bad_signature",
            "签名不对（凭据不对或内容被改动）",
            "the signature does not verify",
        ));
    }
    let now = chrono::Utc::now().timestamp();
    if time.is_none_or(|t| (now - t).abs() > protocol::MAX_SKEW_SECS) {
        log_refusal(format_args!(
            "refused a request from station {station}: time {time:?}, now {now}"
        ));
        return Err(Refuse::new(
            StatusCode::UNAUTHORIZED,
            "stale",
            "请求时间与县里服务器相差过大（本机时钟不准？）",
            "the request's time is too far from the server's clock",
        ));
    }
    Ok(())
}

fn internal() -> Refuse {
    Refuse::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "县里服务器出错，请稍后重试",
        "the server failed; try again later",
    )
}

fn bad_request(what: String) -> Refuse {
    Refuse {
        status: StatusCode::BAD_REQUEST,
        code: "bad_request",
        message: format!("请求无效 / bad request: {what}"),
    }
}

/// A sync route's answer: what `take` makes of the request, signed and
/// bound to the request's signature, or its refusal.
async fn signed(
    app: &App,
    request: Request,
    take: impl AsyncFnOnce(&App, Request) -> Result<Vec<u8>, Refuse>,
) -> Response {
    let signature = header_text(request.headers(), protocol::H_SIGNATURE)
        .unwrap_or("")
        .to_string();
    match take(app, request).await {
        Ok(json) => answer(app, &signature, StatusCode::OK, &json),
        Err(r) => refuse(app, &signature, r),
    }
}

async fn upload(State(app): State<Shared>, request: Request) -> Response {
    signed(&app, request, take_upload).await
}

async fn take_upload(app: &App, request: Request) -> Result<Vec<u8>, Refuse> {
    let (station, headers, bytes) = authenticate(app, request).await?;
    let json = if header_text(&headers, "content-encoding") == Some("gzip") {
        protocol::gunzip(&bytes, protocol::MAX_BODY_BYTES).map_err(|e| bad_request(e.to_string()))?
    } else {
        bytes.to_vec()
    };
    let upload: Upload = serde_json::from_slice(&json).map_err(|e| bad_request(e.to_string()))?;
    if !(1..=9).contains(&upload.terminal) {
        return Err(bad_request(format!("terminal {}", upload.terminal)));
    }
    if upload.events.len() > protocol::MAX_BATCH_EVENTS {
        return Err(bad_request(format!(
            "{} events in one batch (at most {})",
            upload.events.len(),
            protocol::MAX_BATCH_EVENTS
        )));
    }
    let reply = ingest::ingest(&app.db, &station, &upload).await.map_err(|e| {
        log::error!(
            "station {station} terminal {}: upload failed: {e}",
            upload.terminal
        );
        internal()
    })?;
    log::info!(
        "station {station} terminal {}: acked {}, stored {}",
        upload.terminal,
        reply.acked,
        reply.stored
    );
    serde_json::to_vec(&reply).map_err(|_| internal())
}

/// `POST /v1/probe` (with `--allow-probe`): a signed body hashed and
/// inflated as it comes and never held; the answer is its size (for
/// measuring a station's link).
async fn probe(State(app): State<Shared>, request: Request) -> Response {
    let signature = header_text(request.headers(), protocol::H_SIGNATURE)
        .unwrap_or("")
        .to_string();
    let result = async {
        let (parts, mut body) = request.into_parts();
        let (station, enrolled) = enrolled_station(&app, &parts.headers).await?;
        let gzipped = header_text(&parts.headers, "content-encoding") == Some("gzip");
        let mut hash = Sha256::new();
        let mut bytes = 0usize;
        let mut inflater = flate2::write::GzDecoder::new(Counted(0));
        let mut inflating = Ok(());
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| bad_request(format!("body: {e}")))?;
            let Ok(data) = frame.into_data() else {
                continue;
            };
            bytes += data.len();
            if bytes > protocol::MAX_PROBE_BYTES {
                return Err(too_large());
            }
            hash.update(&data);
            if gzipped && inflating.is_ok() {
                inflating = std::io::Write::write_all(&mut inflater, &data);
            }
        }
        verify(&parts, &station, &enrolled, &hex::encode(hash.finalize()))?;
        let inflated = if gzipped {
            inflating
                .and_then(|()| inflater.finish())
                .map_err(|e| bad_request(e.to_string()))?
                .0
        } else {
            bytes
        };
        serde_json::to_vec(&serde_json::json!({ "bytes": bytes, "inflated": inflated }))
            .map_err(|_| internal())
    }
    .await;
    match result {
        Ok(json) => answer(&app, &signature, StatusCode::OK, &json),
        Err(r) => refuse(&app, &signature, r),
    }
}

/// Counts what is written to it, up to `MAX_PROBE_BYTES`, and keeps none.
struct Counted(usize);

impl std::io::Write for Counted {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        if self.0 > protocol::MAX_PROBE_BYTES {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("body inflates past {} bytes", protocol::MAX_PROBE_BYTES),
            ));
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

async fn feed(State(app): State<Shared>, request: Request) -> Response {
    signed(&app, request, take_feed).await
}

async fn take_feed(app: &App, request: Request) -> Result<Vec<u8>, Refuse> {
    let query = request.uri().query().unwrap_or("").to_string();
    let (station, _, _) = authenticate(app, request).await?;
    let after = query
        .split('&')
        .find_map(|p| p.strip_prefix("after="))
        .unwrap_or("0")
        .parse::<u64>()
        .map_err(|_| bad_request(format!("after in {query}")))?;
    let page = feed_page(&app.db, &station, after).await.map_err(|e| {
        log::error!("station {station}: reading the feed failed: {e}");
        internal()
    })?;
    serde_json::to_vec(&page).map_err(|_| internal())
}

/// The station's feed after `after`: at most `MAX_BATCH_EVENTS` events.
pub async fn feed_page(db: &Db, station: &str, after: u64) -> Result<Feed, CountyError> {
    let rows = db.feed(station, after, protocol::MAX_BATCH_EVENTS + 1).await?;
    let more = rows.len() > protocol::MAX_BATCH_EVENTS;
    let mut events = Vec::new();
    let mut last = after;
    for (seq, body) in rows.into_iter().take(protocol::MAX_BATCH_EVENTS) {
        events.push(RawValue::from_string(body).map_err(|e| CountyError::Bad(format!("feed {seq}: {e}")))?);
        last = seq;
    }
    Ok(Feed { events, last, more })
}

/// `GET /v1/events?terminal=K&after=N`: the station's own events of one
/// terminal, as held, for a terminal rebuilding its journal.
async fn events(State(app): State<Shared>, request: Request) -> Response {
    signed(&app, request, take_events).await
}

async fn take_events(app: &App, request: Request) -> Result<Vec<u8>, Refuse> {
    let query = request.uri().query().unwrap_or("").to_string();
    let (station, _, _) = authenticate(app, request).await?;
    let param = |name: &str| {
        query
            .split('&')
            .find_map(|p| p.strip_prefix(name)?.strip_prefix('='))
            .unwrap_or("0")
            .parse::<u64>()
            .map_err(|_| bad_request(format!("{name} in {query}")))
    };
    let (terminal, after) = (param("terminal")?, param("after")?);
    if protocol::from_terminal_key(terminal as i64).is_none() {
        return Err(bad_request(format!("terminal {terminal}")));
    }
    let page = held_page(&app.db, &station, terminal as i64, after)
        .await
        .map_err(|e| {
            log::error!("station {station}: reading terminal {terminal}'s events failed: {e}");
            internal()
        })?;
    serde_json::to_vec(&page).map_err(|_| internal())
}

/// A terminal's held events after `after`: at most `MAX_BATCH_EVENTS`.
pub async fn held_page(db: &Db, station: &str, terminal: i64, after: u64) -> Result<HeldEvents, CountyError> {
    let rows = db
        .held_events(station, terminal, after, protocol::MAX_BATCH_EVENTS + 1)
        .await?;
    let more = rows.len() > protocol::MAX_BATCH_EVENTS;
    let mut page = HeldEvents {
        events: Vec::new(),
        hashes: Vec::new(),
        last: after,
        more,
    };
    for (seq, hash, body) in rows.into_iter().take(protocol::MAX_BATCH_EVENTS) {
        page.events
            .push(RawValue::from_string(body).map_err(|e| CountyError::Bad(format!("event {seq}: {e}")))?);
        page.hashes.push(hash);
        page.last = seq;
    }
    Ok(page)
}

fn html(status: StatusCode, body: String) -> Response {
    let mut response = (status, body).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    response
}

fn server_error() -> Response {
    html(StatusCode::INTERNAL_SERVER_ERROR, pages::not_found())
}

/// A station code as the pages take it: nine digits.
fn station_code(code: &str) -> Option<&str> {
    (code.len() == 9 && code.bytes().all(|b| b.is_ascii_digit())).then_some(code)
}

/// `/{station}/t/{code}?k=KEY`: the code must be that station's.
async fn station_appeal_page(
    State(app): State<Shared>,
    Path((station, code)): Path<(String, String)>,
    request: Request,
) -> Response {
    progress_page(&app, Some(&station), code, request.uri().query()).await
}

/// `/t/{code}?k=KEY`, as receipts printed before carry it.
async fn appeal_page(State(app): State<Shared>, Path(code): Path<String>, request: Request) -> Response {
    progress_page(&app, None, code, request.uri().query()).await
}

/// Compared with a key given for an unknown code, so that it takes the
/// time a wrong key takes. Not of the key alphabet (`U`): matches nothing.
const STAND_IN_KEY: &str = "UUUUUUUUUUUUU";

async fn progress_page(app: &App, station: Option<&str>, code: String, query: Option<&str>) -> Response {
    let given = crate::domain::public::typed_key(&pages::key_param(query));
    let canonical = code
        .parse::<crate::domain::TrackingCode>()
        .map(|c| c.as_str().to_string())
        .unwrap_or(code);
    // A wrong key and an unknown code answer alike, after the same work:
    // one look-up of the key alone, one comparison of whole keys.
    let held_key = match app.db.access_key(&canonical).await {
        Ok(k) => k,
        Err(e) => {
            log::error!("public page: {e}");
            return server_error();
        }
    };
    // A code under another station's path counts as unknown (a code names
    // its station, so this reveals nothing).
    let code_station = canonical.parse::<crate::domain::TrackingCode>().ok();
    let held_key =
        held_key.filter(|_| station.is_none_or(|s| code_station.as_ref().is_some_and(|c| c.station() == s)));
    // A wrong key, another station's code and an unknown code (perhaps
    // one the station has not reported yet) answer alike.
    let matches = pages::key_matches(held_key.as_deref().unwrap_or(STAND_IN_KEY), &given);
    if !(matches && held_key.is_some()) {
        return html(StatusCode::NOT_FOUND, pages::appeal_not_found());
    }
    let held = match app.db.appeal(&canonical).await {
        Ok(Some(h)) => h,
        Ok(None) => return html(StatusCode::NOT_FOUND, pages::appeal_not_found()),
        Err(e) => {
            log::error!("public page: {e}");
            return server_error();
        }
    };
    let station = app.db.station(&held.station).await.ok().flatten();
    let name = station.as_ref().map(|s| {
        s.info
            .as_ref()
            .map(|i| i.name.clone())
            .unwrap_or_else(|| s.name.clone())
    });
    html(StatusCode::OK, pages::appeal(name.as_deref(), &held.appeal))
}

/// `/{station}/d/{id}`: that station's deputy (two stations may both
/// number a deputy D001).
async fn deputy_page(State(app): State<Shared>, Path((station, id)): Path<(String, String)>) -> Response {
    let Some(station) = station_code(&station) else {
        return html(StatusCode::NOT_FOUND, pages::not_found());
    };
    match app.db.deputy(station, &id).await {
        Ok(Some(deputy)) => {
            let station = app.db.station(station).await.ok().flatten();
            html(
                StatusCode::OK,
                pages::deputy(&deputy, station.as_ref(), super::now().date_naive()),
            )
        }
        Ok(None) => html(StatusCode::NOT_FOUND, pages::not_found()),
        Err(e) => {
            log::error!("public page: {e}");
            server_error()
        }
    }
}

/// `/{station}/` (and `/s/{station}`): where and when, and its deputies.
async fn station_page(State(app): State<Shared>, Path(code): Path<String>) -> Response {
    let Some(code) = station_code(&code) else {
        return html(StatusCode::NOT_FOUND, pages::not_found());
    };
    let station = match app.db.station(code).await {
        Ok(Some(s)) => s,
        Ok(None) => return html(StatusCode::NOT_FOUND, pages::not_found()),
        Err(e) => {
            log::error!("public page: {e}");
            return server_error();
        }
    };
    let deputies = app.db.deputies(code).await.unwrap_or_default();
    html(
        StatusCode::OK,
        pages::station(&station, &deputies, super::now().date_naive()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logs_show_bounded_station_headers() {
        assert_eq!(shown("330999012"), "330999012");
        assert_eq!(shown("站"), "\"站\"");
        let long = "9".repeat(32 << 10);
        let line = shown(&long);
        assert!(line.len() < 40 && line.ends_with("(32768 bytes)"), "{line}");
        assert!(shown("a\nb").contains("\\n"), "control characters are escaped");
    }

    #[test]
    fn clients_are_addresses_and_ipv6_prefixes() {
        let v6 = |s: &str| IpAddr::V6(s.parse().unwrap());
        assert_eq!(client_of(v6("2001:db8:1:2:aaaa::1")), v6("2001:db8:1:2::"));
        assert_eq!(client_of(v6("2001:db8:1:2:bbbb::9")), v6("2001:db8:1:2::"));
        assert_eq!(
            client_of(v6("::ffff:10.0.0.7")),
            IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 7))
        );
    }

    #[test]
    fn each_sync_route_has_its_body_limit() {
        let cap = |path, probe| body_rule(path, probe).map(|r| (r.cap, r.streamed));
        assert_eq!(
            cap(protocol::PATH_UPLOAD, false),
            Some((protocol::MAX_BODY_BYTES, false))
        );
        assert_eq!(cap(protocol::PATH_FEED, false), Some((0, false)));
        assert_eq!(cap(protocol::PATH_EVENTS, false), Some((0, false)));
        assert_eq!(cap(protocol::PATH_PROBE, false), None);
        assert_eq!(
            cap(protocol::PATH_PROBE, true),
            Some((protocol::MAX_PROBE_BYTES, true))
        );
        assert_eq!(cap("/v1/other", false), Some((SYNC_DEFAULT_BODY, false)));
    }

    #[test]
    fn the_feed_comes_in_pages() {
        let dir = tempfile::tempdir().unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let db = Db::open(dir.path(), None).await.unwrap();
            db.enroll("330999012", "站", "key", false).await.unwrap();
            let total = protocol::MAX_BATCH_EVENTS as u64 + 1;
            let mut tx = db.pool.begin().await.unwrap();
            for seq in 1..=total {
                sqlx::query(
                    "INSERT INTO feed (station, seq, appeal, body, created_at) VALUES ($1, $2, $3, $4, $5)",
                )
                .bind("330999012")
                .bind(seq as i64)
                .bind(None::<String>)
                .bind(format!("{{\"n\":{seq}}}"))
                .bind("2026-11-30T10:00:00+08:00")
                .execute(&mut *tx)
                .await
                .unwrap();
            }
            tx.commit().await.unwrap();
            let first = feed_page(&db, "330999012", 0).await.unwrap();
            assert_eq!((first.events.len(), first.last, first.more), (500, 500, true));
            assert_eq!(first.events[0].get(), "{\"n\":1}");
            let second = feed_page(&db, "330999012", first.last).await.unwrap();
            assert_eq!((second.events.len(), second.last, second.more), (1, total, false));
            let none = feed_page(&db, "330999012", total).await.unwrap();
            assert_eq!((none.events.len(), none.last, none.more), (0, total, false));
            assert!(feed_page(&db, "330999013", 0).await.unwrap().events.is_empty());
        });
    }

    #[test]
    fn a_terminals_events_come_back_in_pages_as_held() {
        let dir = tempfile::tempdir().unwrap();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let db = Db::open(dir.path(), None).await.unwrap();
            db.enroll("330999012", "站", "key", false).await.unwrap();
            let total = protocol::MAX_BATCH_EVENTS as u64 + 1;
            let mut tx = db.pool.begin().await.unwrap();
            for (terminal, seqs) in [(1i64, total), (11, 2)] {
                for seq in 1..=seqs {
                    sqlx::query(
                        "INSERT INTO events (station, terminal, seq, hash, kind, appeal, body, received_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    )
                    .bind("330999012")
                    .bind(terminal)
                    .bind(seq as i64)
                    .bind(format!("h{terminal}-{seq}"))
                    .bind("x")
                    .bind(None::<String>)
                    .bind(format!("{{\"t\":{terminal},\"n\":{seq}}}"))
                    .bind("2026-11-30T10:00:00+08:00")
                    .execute(&mut *tx)
                    .await
                    .unwrap();
                }
            }
            tx.commit().await.unwrap();
            let first = held_page(&db, "330999012", 1, 0).await.unwrap();
            assert_eq!((first.events.len(), first.last, first.more), (500, 500, true));
            assert_eq!(first.events[0].get(), "{\"t\":1,\"n\":1}");
            assert_eq!(first.hashes[499], "h1-500");
            let second = held_page(&db, "330999012", 1, first.last).await.unwrap();
            assert_eq!((second.events.len(), second.last, second.more), (1, total, false));
            // A later origin of the terminal is kept apart.
            let later = held_page(&db, "330999012", protocol::terminal_key(1, 2), 0)
                .await
                .unwrap();
            assert_eq!((later.events.len(), later.last), (2, 2));
            assert!(held_page(&db, "330999013", 1, 0).await.unwrap().events.is_empty());
        });
    }
}
