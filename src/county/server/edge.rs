//! The edge: what a request may make the server hold before it is
//! authenticated. The sync routes' body rules and shared budget
//! (`sync_guard`), the public pages' per-client limit, the cap on open
//! connections (from the open-file limit) and the refusal log.

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use http_body_util::BodyExt;
use tokio::sync::Semaphore;

use super::answer::{Refuse, bad_request, busy, refuse, request_signature, too_slow};
use super::public::html;
use super::{
    BODY_DEADLINE, LOGGED_REFUSALS, PAGE_BURST, PAGE_PERIOD, SYNC_DEFAULT_BODY, SYNC_MIN_RESERVE,
    SYNC_QUEUE_WAIT, Shared,
};
use crate::county::pages;
use crate::sync::protocol;

/// What the sync routes share: the budget of bytes in flight, in KiB.
pub(super) struct Edge {
    pub(super) budget: Arc<Semaphore>,
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
pub(super) async fn sync_guard(
    State((server, edge)): State<(Shared, Arc<Edge>)>,
    request: Request,
    next: Next,
) -> Response {
    let signature = request_signature(request.headers());
    // Refused before the body is read: the connection closes after the
    // answer rather than read what follows.
    let closing = |r: Refuse| {
        let mut response = refuse(&server, &signature, r);
        response
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        response
    };
    let Some(rule) = body_rule(request.uri().path(), server.allow_probe) else {
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
                let mut response = refuse(&server, &signature, busy());
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
            Ok(Err(what)) => closing(bad_request(what.to_string())),
            Err(_) => closing(too_slow()),
        }
    };
    drop(permit);
    response
}

/// Why a sync request's body could not be collected.
#[derive(Debug, thiserror::Error)]
enum BodyError {
    #[error("body: {0}")]
    Read(axum::Error),
    #[error("body past its content-length {0}")]
    PastLength(usize),
}

/// A body of `length` bytes (as its head said), read into one buffer.
async fn collect(mut body: Body, length: usize) -> Result<Bytes, BodyError> {
    let mut out = Vec::with_capacity(length);
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(BodyError::Read)?;
        if let Ok(data) = frame.into_data() {
            if out.len() + data.len() > length {
                return Err(BodyError::PastLength(length));
            }
            out.extend_from_slice(&data);
        }
    }
    Ok(Bytes::from(out))
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
pub(super) fn limit_pages(routes: Router) -> Router {
    limited(
        routes,
        PAGE_PERIOD,
        PAGE_BURST,
        "public page requests",
        pages::too_many,
    )
}

/// `routes` behind a per-client limit: `burst` requests, then one every
/// `period`; beyond it, 429 with the page `refused` and `Retry-After`.
pub(super) fn limited<S: Clone + Send + Sync + 'static>(
    routes: Router<S>,
    period: Duration,
    burst: u32,
    what: &'static str,
    refused: fn() -> String,
) -> Router<S> {
    let config = tower_governor::governor::GovernorConfigBuilder::default()
        .key_extractor(ClientKey)
        .period(period)
        .burst_size(burst)
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
    routes.layer(
        tower_governor::GovernorLayer::new(config).error_handler(move |e| {
            let wait = match e {
                tower_governor::GovernorError::TooManyRequests { wait_time, .. } => wait_time.max(1),
                _ => 1,
            };
            log_refusal(format_args!("limited a client's {what}"));
            let mut response = html(StatusCode::TOO_MANY_REQUESTS, refused());
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(wait));
            response
        }),
    )
}

/// Raises the soft limit on open files to the hard one (a service
/// manager's usual soft limit, 1,024, is a few hundred idle sockets
/// away); the limit in force.
pub(super) fn open_files() -> u64 {
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
pub(super) struct Capped {
    pub(super) handle: axum_server::Handle<SocketAddr>,
    pub(super) max: usize,
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

pub(super) fn log_refusal(what: std::fmt::Arguments<'_>) {
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
pub(super) fn shown(station: &str) -> String {
    if crate::county::is_station_code(station) {
        return station.to_string();
    }
    let head: String = station.chars().take(12).collect();
    if head.len() == station.len() {
        format!("{station:?}")
    } else {
        format!("{head:?}… ({} bytes)", station.len())
    }
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
}
