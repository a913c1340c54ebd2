//! The county's HTTP server: the sync protocol (`sync::protocol`) for
//! stations and the public pages for browsers.
//!
//! A sync request is authenticated before anything it carries reaches the
//! database: the station must be enrolled, its signature over the exact
//! bytes received must verify, and its time must be within
//! `MAX_SKEW_SECS`. Every sync answer, errors included, is gzip and signed
//! by the server's key over the request's signature, the status and the
//! body as sent.

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum_server::tls_rustls::RustlsConfig;
use ed25519_dalek::SigningKey;
use serde_json::value::RawValue;

use super::db::Db;
use super::{CountyError, TlsProblem, ingest, pages};
use crate::sync::protocol::{self, Feed, HeldEvents, Problem, Upload};

pub struct App {
    pub db: Db,
    pub key: SigningKey,
}

pub type Shared = Arc<App>;

/// The routes, for `serve` and for tests.
pub fn router(app: App) -> Router {
    Router::new()
        .route(protocol::PATH_UPLOAD, post(upload))
        .route(protocol::PATH_FEED, get(feed))
        .route(protocol::PATH_PROBE, post(probe))
        .route(protocol::PATH_EVENTS, get(events))
        .merge(public_routes())
        .fallback(|| async { html(StatusCode::NOT_FOUND, pages::not_found()) })
        .with_state(Arc::new(app))
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
/// `tls` (see `tls_config`) it speaks HTTPS only.
pub async fn serve(
    app: App,
    listen: &str,
    tls: Option<RustlsConfig>,
    bound: impl FnOnce(std::net::SocketAddr),
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), CountyError> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .map_err(|e| CountyError::io(std::path::Path::new(listen), e))?;
    let addr = listener
        .local_addr()
        .map_err(|e| CountyError::io(std::path::Path::new(listen), e))?;
    let Some(tls) = tls else {
        bound(addr);
        log::info!("county server listening on {addr}");
        axum::serve(listener, router(app))
            .with_graceful_shutdown(shutdown)
            .await
            .map_err(|e| CountyError::io(std::path::Path::new(listen), e))?;
        log::info!("county server stopped");
        return Ok(());
    };
    let listener = listener
        .into_std()
        .map_err(|e| CountyError::io(std::path::Path::new(listen), e))?;
    let handle = axum_server::Handle::<std::net::SocketAddr>::new();
    let server = axum_server::from_tcp_rustls(listener, tls)
        .map_err(|e| CountyError::io(std::path::Path::new(listen), e))?
        .handle(handle.clone());
    let stopping = handle.clone();
    tokio::spawn(async move {
        shutdown.await;
        // Requests under way may finish; then the connections close.
        stopping.graceful_shutdown(Some(std::time::Duration::from_secs(30)));
    });
    bound(addr);
    log::info!("county server listening on {addr} (TLS)");
    server
        .serve(router(app).into_make_service())
        .await
        .map_err(|e| CountyError::io(std::path::Path::new(listen), e))?;
    log::info!("county server stopped");
    Ok(())
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
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
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
    authenticate_within(app, request, protocol::MAX_BODY_BYTES).await
}

/// `authenticate`, taking a body of at most `limit` bytes.
async fn authenticate_within(
    app: &App,
    request: Request,
    limit: usize,
) -> Result<(String, HeaderMap, Bytes), Refuse> {
    let (parts, body) = request.into_parts();
    let station = header_text(&parts.headers, protocol::H_STATION)
        .unwrap_or("")
        .to_string();
    let enrolled = app.db.station(&station).await.map_err(|e| {
        log::error!("reading station {station}: {e}");
        internal()
    })?;
    let Some(enrolled) = enrolled.filter(|_| !station.is_empty()) else {
        log::warn!("refused a request from unknown station {station:?}");
        return Err(Refuse::new(
            StatusCode::UNAUTHORIZED,
            "unknown_station",
            "县里没有登记这个站点",
            "this station is not enrolled",
        ));
    };
    let bytes = axum::body::to_bytes(body, limit).await.map_err(|_| {
        Refuse::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            "请求过大",
            "the request is too large",
        )
    })?;
    let time = header_text(&parts.headers, protocol::H_TIME).and_then(|t| t.trim().parse::<i64>().ok());
    let signature = header_text(&parts.headers, protocol::H_SIGNATURE).unwrap_or("");
    let path_and_query = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("/");
    let key = protocol::decode_public(&enrolled.public_key);
    let verified = match (key, time) {
        (Some(key), Some(time)) => protocol::verify(
            &key,
            &protocol::signing_text(parts.method.as_str(), path_and_query, &station, time, &bytes),
            signature,
        ),
        _ => false,
    };
    if !verified {
        log::warn!("refused a request from station {station}: bad signature");
        return Err(Refuse::new(
            StatusCode::UNAUTHORIZED,
            "bad_signature",
            "签名不对（凭据不对或内容被改动）",
            "the signature does not verify",
        ));
    }
    let now = chrono::Utc::now().timestamp();
    if time.is_none_or(|t| (now - t).abs() > protocol::MAX_SKEW_SECS) {
        log::warn!("refused a request from station {station}: time {time:?}, now {now}");
        return Err(Refuse::new(
            StatusCode::UNAUTHORIZED,
            "stale",
            "请求时间与县里服务器相差过大（本机时钟不准？）",
            "the request's time is too far from the server's clock",
        ));
    }
    Ok((station, parts.headers, bytes))
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

async fn upload(State(app): State<Shared>, request: Request) -> Response {
    let signature = header_text(request.headers(), protocol::H_SIGNATURE)
        .unwrap_or("")
        .to_string();
    match take_upload(&app, request).await {
        Ok(json) => answer(&app, &signature, StatusCode::OK, &json),
        Err(r) => refuse(&app, &signature, r),
    }
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

/// `POST /v1/probe`: a signed body read, inflated and dropped; the answer
/// is its size (for measuring a station's link).
async fn probe(State(app): State<Shared>, request: Request) -> Response {
    let signature = header_text(request.headers(), protocol::H_SIGNATURE)
        .unwrap_or("")
        .to_string();
    let result = async {
        let (_, headers, bytes) = authenticate_within(&app, request, protocol::MAX_PROBE_BYTES).await?;
        let inflated = if header_text(&headers, "content-encoding") == Some("gzip") {
            protocol::gunzip(&bytes, protocol::MAX_PROBE_BYTES)
                .map_err(|e| bad_request(e.to_string()))?
                .len()
        } else {
            bytes.len()
        };
        serde_json::to_vec(&serde_json::json!({ "bytes": bytes.len(), "inflated": inflated }))
            .map_err(|_| internal())
    }
    .await;
    match result {
        Ok(json) => answer(&app, &signature, StatusCode::OK, &json),
        Err(r) => refuse(&app, &signature, r),
    }
}

async fn feed(State(app): State<Shared>, request: Request) -> Response {
    let signature = header_text(request.headers(), protocol::H_SIGNATURE)
        .unwrap_or("")
        .to_string();
    match take_feed(&app, request).await {
        Ok(json) => answer(&app, &signature, StatusCode::OK, &json),
        Err(r) => refuse(&app, &signature, r),
    }
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
    let signature = header_text(request.headers(), protocol::H_SIGNATURE)
        .unwrap_or("")
        .to_string();
    match take_events(&app, request).await {
        Ok(json) => answer(&app, &signature, StatusCode::OK, &json),
        Err(r) => refuse(&app, &signature, r),
    }
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

async fn progress_page(app: &App, station: Option<&str>, code: String, query: Option<&str>) -> Response {
    let given = pages::key_param(query);
    let canonical = code
        .parse::<crate::domain::TrackingCode>()
        .map(|c| c.as_str().to_string())
        .unwrap_or(code);
    let held = match app.db.appeal(&canonical).await {
        Ok(h) => h,
        Err(e) => {
            log::error!("public page: {e}");
            return server_error();
        }
    };
    // A wrong key, another station's code and an unknown code (perhaps
    // one the station has not reported yet) answer alike.
    let Some(held) = held
        .filter(|h| station.is_none_or(|s| h.station == s))
        .filter(|h| pages::key_matches(&h.appeal.access_key, &given))
    else {
        return html(StatusCode::NOT_FOUND, pages::appeal_not_found());
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
