//! Who sent a sync request, as axum extractors: `Enrolled` (the enrolled
//! station its head names) and `SignedStation` (that, with its signature
//! over the head and the whole body verified, and its time within
//! `MAX_SKEW_SECS`). A request that fails either is answered with a
//! signed refusal before the handler runs.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use super::Shared;
use super::answer::{Refuse, header_text, internal, refuse, request_signature, too_large};
use super::edge::{log_refusal, shown};
use crate::county::db::EnrolledStation;
use crate::sync::protocol;

/// The enrolled station a request's head names; its signature is not
/// checked yet (`verify`).
pub(super) struct Enrolled {
    pub station: String,
    pub enrolled: EnrolledStation,
    /// The request's signature, which the answer is bound to.
    pub signature: String,
}

impl FromRequestParts<Shared> for Enrolled {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, server: &Shared) -> Result<Enrolled, Response> {
        let signature = request_signature(&parts.headers);
        match enrolled_station(server, &parts.headers).await {
            Ok((station, enrolled)) => Ok(Enrolled {
                station,
                enrolled,
                signature,
            }),
            Err(r) => Err(refuse(server, &signature, r)),
        }
    }
}

/// A sync request whose station is enrolled and whose signature over its
/// head and body verifies: the station, the head and the body.
pub(super) struct SignedStation {
    pub station: String,
    pub headers: HeaderMap,
    pub body: Bytes,
    /// The request's signature, which the answer is bound to.
    pub signature: String,
}

impl FromRequest<Shared> for SignedStation {
    type Rejection = Response;

    async fn from_request(request: Request, server: &Shared) -> Result<SignedStation, Response> {
        let (mut parts, body) = request.into_parts();
        let who = Enrolled::from_request_parts(&mut parts, server).await?;
        let checked = async {
            let bytes = axum::body::to_bytes(body, protocol::MAX_BODY_BYTES)
                .await
                .map_err(|_| too_large())?;
            verify(&parts, &who.station, &who.enrolled, &protocol::sha256_hex(&bytes))?;
            Ok(bytes)
        }
        .await;
        match checked {
            Ok(body) => Ok(SignedStation {
                station: who.station,
                headers: parts.headers,
                body,
                signature: who.signature,
            }),
            Err(r) => Err(refuse(server, &who.signature, r)),
        }
    }
}

/// The enrolled station the request names.
async fn enrolled_station(server: &Shared, headers: &HeaderMap) -> Result<(String, EnrolledStation), Refuse> {
    let station = header_text(headers, protocol::H_STATION)
        .unwrap_or("")
        .to_string();
    let enrolled = server.db.station(&station).await.map_err(|e| {
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
pub(super) fn verify(
    parts: &Parts,
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
