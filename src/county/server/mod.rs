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
//!
//! One job per file: `edge` (body rules, the sync budget, per-client
//! limits, connections and open files, the refusal log), `listen` (TLS
//! and serving until shutdown), `answer` (signed answers and refusals),
//! `auth` (the `SignedStation` extractor), `sync` (upload, probe, feed,
//! events) and `public` (the public pages' handlers; `county::pages`
//! renders them). The staff's console (`county::console`) is served under
//! `/office/`, outside the public pages' limit (its logins have their
//! own throttle).
//!
//! Every request runs in a `tracing` span with a request id (sent back
//! as `X-Request-Id`), its method and path (never its query, which may
//! carry an access key); its status and time are logged when it ends.

mod answer;
mod ask;
pub use ask::Gate;
mod auth;
mod edge;
mod listen;
mod public;
mod sync;

use std::sync::Arc;
use std::time::Duration;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::{get, post};
use ed25519_dalek::SigningKey;
use tokio::sync::Semaphore;
use tracing::Instrument;

use super::db::Db;
use super::{console, pages};
use crate::sync::protocol;

pub use listen::{serve, shutdown_signal, tls_config};
pub use sync::{feed_page, held_page};

/// What every handler of the county server shares.
pub struct Server {
    pub db: Db,
    pub key: SigningKey,
    /// Whether `POST /v1/probe` is served (`county serve --allow-probe`).
    pub allow_probe: bool,
    /// The question on the public pages' forms (`ask`).
    pub gate: ask::Gate,
}

pub type Shared = Arc<Server>;

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
/// The most connections served at once (fewer under a low file limit).
pub const MAX_CONNECTIONS: usize = 16_384;
/// Refusals logged a minute; the rest are counted in one line.
pub const LOGGED_REFUSALS: u32 = 10;

/// The routes, for `serve` and for tests: the sync routes (`/v1/…`)
/// behind `sync_guard`, the console under `/office/`, every other path a
/// public page behind the per-client limit. A route added here falls in
/// its group by its path.
pub fn router(server: Server) -> Router {
    let shared = Arc::new(server);
    let routes = Router::new()
        .route(protocol::PATH_UPLOAD, post(sync::upload))
        .route(protocol::PATH_FEED, get(sync::feed))
        .route(protocol::PATH_PROBE, post(sync::probe))
        .route(protocol::PATH_EVENTS, get(sync::events))
        .merge(public_routes())
        .fallback(|| async { public::html(StatusCode::NOT_FOUND, pages::not_found()) })
        .with_state(shared.clone());
    let edge = Arc::new(edge::Edge {
        budget: Arc::new(Semaphore::new(SYNC_BUDGET_BYTES >> 10)),
    });
    let sync = routes.clone().layer(axum::middleware::from_fn_with_state(
        (shared.clone(), edge),
        edge::sync_guard,
    ));
    let console = console::router().with_state(shared);
    Router::new()
        .route_service("/v1/{*rest}", sync.into_service::<Body>())
        .merge(console)
        .fallback_service(edge::limit_pages(routes))
        .layer(axum::middleware::from_fn(traced))
}

/// Logs a refusal within the refusal log's limit (see `edge`).
pub fn log_refused(what: std::fmt::Arguments<'_>) {
    edge::log_refusal(what);
}

/// The most characters of a path a log line shows.
const LOGGED_PATH_CHARS: usize = 80;

/// Runs a request in its span (request id, method, path), answers with
/// its id in `X-Request-Id`, and logs its status and time: console
/// requests and server errors at info, the rest (stations' syncs and
/// public pages, many and alike) at debug.
async fn traced(request: Request, next: Next) -> Response {
    static NEXT_ID: AtomicU64 = AtomicU64::new(1);
    let id = format!(
        "{:x}-{}",
        std::process::id(),
        NEXT_ID.fetch_add(1, Ordering::Relaxed)
    );
    let full = request.uri().path();
    let mut path: String = full.chars().take(LOGGED_PATH_CHARS).collect();
    if path.len() < full.len() {
        path.push('…');
    }
    let console = full.starts_with("/office");
    let method = request.method().clone();
    let span = tracing::info_span!("request", id = %id, method = %method, path = %path);
    let started = Instant::now();
    let mut response = next.run(request).instrument(span.clone()).await;
    let status = response.status().as_u16();
    let ms = started.elapsed().as_secs_f64() * 1000.0;
    span.in_scope(|| {
        if console || status >= 500 {
            tracing::info!(status, ms = format_args!("{ms:.1}"), "answered");
        } else {
            tracing::debug!(status, ms = format_args!("{ms:.1}"), "answered");
        }
    });
    if let Ok(v) = HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", v);
    }
    response
}

/// The public pages a receipt's or poster's QR code opens, each under the
/// station's code: a station's `public_url` is the server's public
/// address followed by its code (`https://rd.example.cn/330999012`), and
/// its links are `{public_url}/t/{code}?k={key}`, `{public_url}/d/{id}`
/// and `{public_url}/` (`domain::public`). `/t/{code}` and `/s/{station}`
/// stay for links printed before; a tracking code names its station.
pub fn public_routes() -> Router<Shared> {
    Router::new()
        .route("/{station}", get(public::station_page))
        .route("/{station}/", get(public::station_page))
        .route("/{station}/t/{code}", get(public::station_appeal_page))
        .route("/{station}/d/{id}", get(public::deputy_page))
        .merge(edge::limited(
            Router::new().route(
                "/{station}/ask",
                post(ask::submit).layer(axum::extract::DefaultBodyLimit::max(ask::ASK_MAX_BODY)),
            ),
            ask::ASK_PERIOD,
            ask::ASK_BURST,
            "submissions",
            pages::too_many_asks,
        ))
        .route("/t/{code}", get(public::appeal_page))
        .route("/s/{station}", get(public::station_page))
}
