//! Answers to sync requests: gzip, signed by the server's key over the
//! request's signature, the status and the body; refusals as a
//! `Problem` in both languages.

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;

use super::Server;
use super::edge::log_refusal;
use crate::sync::protocol::{self, Problem};

/// A refused or failed sync request.
pub(super) struct Refuse {
    pub(super) status: StatusCode,
    code: &'static str,
    message: String,
}

impl Refuse {
    pub(super) fn new(status: StatusCode, code: &'static str, zh: &str, en: &str) -> Refuse {
        Refuse {
            status,
            code,
            message: format!("{zh} / {en}"),
        }
    }
}

pub(super) fn header_text<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// A signed, gzip answer to a sync request.
pub(super) fn answer(server: &Server, request_signature: &str, status: StatusCode, json: &[u8]) -> Response {
    let body = protocol::gzip(json);
    let signature = protocol::sign(
        &server.key,
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

pub(super) fn refuse(server: &Server, request_signature: &str, r: Refuse) -> Response {
    let problem = Problem {
        code: r.code.to_string(),
        message: r.message,
    };
    let json = serde_json::to_vec(&problem).unwrap_or_default();
    answer(server, request_signature, r.status, &json)
}

pub(super) fn too_large() -> Refuse {
    Refuse::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "too_large",
        "请求过大",
        "the request is too large",
    )
}

pub(super) fn internal() -> Refuse {
    Refuse::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        "县里服务器出错，请稍后重试",
        "the server failed; try again later",
    )
}

pub(super) fn bad_request(what: String) -> Refuse {
    Refuse {
        status: StatusCode::BAD_REQUEST,
        code: "bad_request",
        message: format!("请求无效 / bad request: {what}"),
    }
}

pub(super) fn busy() -> Refuse {
    Refuse::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "busy",
        "县里服务器繁忙，请稍后重试",
        "the server is busy; try again later",
    )
}

pub(super) fn too_slow() -> Refuse {
    log_refusal(format_args!("refused a sync request: its body came too slowly"));
    Refuse::new(
        StatusCode::REQUEST_TIMEOUT,
        "too_slow",
        "请求内容传输过慢，已中断",
        "the request's body came too slowly",
    )
}

/// A sync route's answer: what it took, signed and bound to the request's
/// signature, or its refusal.
pub(super) fn reply(server: &Server, request_signature: &str, taken: Result<Vec<u8>, Refuse>) -> Response {
    match taken {
        Ok(json) => answer(server, request_signature, StatusCode::OK, &json),
        Err(r) => refuse(server, request_signature, r),
    }
}

/// The request's signature (empty when it has none): every answer to a
/// sync request is bound to it.
pub(super) fn request_signature(headers: &HeaderMap) -> String {
    header_text(headers, protocol::H_SIGNATURE)
        .unwrap_or("")
        .to_string()
}
