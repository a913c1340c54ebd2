//! Who is asking: the session cookie read once per request (`admit`, with
//! the route's guard), the `Staff` it names, the guard extractors, and
//! `CsrfForm`, a form whose token must be the session's.

use std::net::{IpAddr, SocketAddr};

use axum::body::Body;
use axum::extract::{ConnectInfo, Form, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::de::DeserializeOwned;

use super::layout::{self, Tls};
use super::{Guard, words};
use crate::county::accounts::{self, COOKIE, Role, User};
use crate::county::server::Shared;

/// A signed-in member of the county's staff.
#[derive(Debug, Clone)]
pub struct Staff {
    pub user: User,
    /// The token every form of this session carries.
    pub csrf: String,
    /// The client's address, as the audit log records it.
    pub address: String,
}

impl Staff {
    pub fn role(&self) -> Role {
        self.user.role
    }

    /// The name the county's events carry (`accounts::User::actor`).
    pub fn actor(&self) -> String {
        self.user.actor()
    }
}

/// The most a console form may hold.
pub const MAX_FORM_BYTES: usize = 64 << 10;

/// A cookie's value from the request's `Cookie` headers.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.trim())
}

/// The client's address (its IP), unspecified when not known.
pub fn client_ip(extensions: &axum::http::Extensions) -> IpAddr {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
        .unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED))
}

/// The `Set-Cookie` value for a session: HttpOnly, SameSite=Strict, for
/// the console's paths only, Secure under TLS; an empty token removes it.
pub fn session_cookie(token: &str, tls: bool) -> String {
    let age = if token.is_empty() {
        0
    } else {
        accounts::SESSION_HOURS * 3600
    };
    let secure = if tls { "; Secure" } else { "" };
    format!("{COOKIE}={token}; Path=/office/; HttpOnly; SameSite=Strict; Max-Age={age}{secure}")
}

/// The staff member the request's session cookie names, if live.
async fn signed_in(shared: &Shared, parts: &Parts) -> Result<Option<Staff>, Response> {
    let Some(token) = cookie(&parts.headers, COOKIE).filter(|t| !t.is_empty() && t.len() <= 64) else {
        return Ok(None);
    };
    match accounts::session(&shared.db, token).await {
        Ok(found) => Ok(found.map(|(user, csrf)| Staff {
            user,
            csrf,
            address: client_ip(&parts.extensions).to_string(),
        })),
        Err(e) => Err(super::server_error("reading a session", &e)),
    }
}

/// No session: a page is sent to the login (and back after it), anything
/// else refused.
pub fn no_session(method: &Method, uri: &Uri, lang: crate::i18n::Lang) -> Response {
    if method == Method::GET || method == Method::HEAD {
        let back = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/office/");
        return Redirect::to(&format!(
            "/office/login?next={}",
            crate::domain::public::escape(back)
        ))
        .into_response();
    }
    layout::message(
        lang,
        None,
        StatusCode::FORBIDDEN,
        words::FORBIDDEN,
        words::NO_SESSION.get(lang),
    )
}

fn forbidden(lang: crate::i18n::Lang, staff: &Staff) -> Response {
    layout::message(
        lang,
        Some(staff),
        StatusCode::FORBIDDEN,
        words::FORBIDDEN,
        words::FORBIDDEN_ROLE.get(lang),
    )
}

/// A form sent from another site (its `Origin` is not this server).
fn foreign_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|o| o.to_str().ok()) else {
        return false;
    };
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let origin_host = origin.split_once("://").map(|(_, h)| h).unwrap_or(origin);
    origin == "null" || !origin_host.eq_ignore_ascii_case(host)
}

/// Lets a request through `guard`, with its `Staff` among its extensions
/// when signed in; else the refusal: no session (a page: 303 to the
/// login; anything else: 403), a role the guard does not admit (403), a
/// form from another site (403). A refused request's body is left
/// unread, so its connection closes after the answer.
pub async fn admit(guard: Guard, shared: &Shared, request: Request) -> Result<Request, Response> {
    let reads_body = !matches!(*request.method(), Method::GET | Method::HEAD);
    check(guard, shared, request).await.map_err(|mut refused| {
        if reads_body {
            refused
                .headers_mut()
                .insert(header::CONNECTION, axum::http::HeaderValue::from_static("close"));
        }
        refused
    })
}

async fn check(guard: Guard, shared: &Shared, request: Request) -> Result<Request, Response> {
    let (mut parts, body) = request.into_parts();
    let lang = layout::lang(&parts.headers, &parts.uri);
    if parts.method == Method::POST && foreign_origin(&parts.headers) {
        crate::county::server::log_refused(format_args!("refused a console form from another origin"));
        return Err(layout::message(
            lang,
            None,
            StatusCode::FORBIDDEN,
            words::FORBIDDEN,
            words::BAD_CSRF.get(lang),
        ));
    }
    let staff = if guard == Guard::Open {
        None
    } else {
        let Some(staff) = signed_in(shared, &parts).await? else {
            return Err(no_session(&parts.method, &parts.uri, lang));
        };
        if !guard.admits(staff.role()) {
            return Err(forbidden(lang, &staff));
        }
        Some(staff)
    };
    if let Some(staff) = staff {
        parts.extensions.insert(staff);
    }
    Ok(Request::from_parts(parts, body))
}

impl FromRequestParts<Shared> for Staff {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, shared: &Shared) -> Result<Staff, Response> {
        if let Some(staff) = parts.extensions.get::<Staff>() {
            return Ok(staff.clone());
        }
        // A route that is open: the session, if any.
        let lang = layout::lang(&parts.headers, &parts.uri);
        match signed_in(shared, parts).await? {
            Some(staff) => {
                parts.extensions.insert(staff.clone());
                Ok(staff)
            }
            None => Err(no_session(&parts.method, &parts.uri, lang)),
        }
    }
}

/// The signed-in person if any (for open pages).
pub struct MaybeStaff(pub Option<Staff>);

impl FromRequestParts<Shared> for MaybeStaff {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, shared: &Shared) -> Result<MaybeStaff, Response> {
        if let Some(staff) = parts.extensions.get::<Staff>() {
            return Ok(MaybeStaff(Some(staff.clone())));
        }
        Ok(MaybeStaff(signed_in(shared, parts).await?))
    }
}

macro_rules! guard_extractor {
    ($(#[$doc:meta])* $name:ident, $guard:ident) => {
        $(#[$doc])*
        pub struct $name(pub Staff);

        impl FromRequestParts<Shared> for $name {
            type Rejection = Response;

            async fn from_request_parts(parts: &mut Parts, shared: &Shared) -> Result<$name, Response> {
                let staff = Staff::from_request_parts(parts, shared).await?;
                if !Guard::$guard.admits(staff.role()) {
                    return Err(forbidden(layout::lang(&parts.headers, &parts.uri), &staff));
                }
                Ok($name(staff))
            }
        }
    };
}

guard_extractor!(
    /// The county office's staff only.
    OfficeStaff,
    Office
);
guard_extractor!(
    /// Staff who take steps: the office or a unit.
    StepStaff,
    Step
);
guard_extractor!(
    /// Any signed-in staff.
    ReadStaff,
    Read
);

/// A url-encoded form sent by a signed-in person, whose `csrf` field is
/// the session's token; else 403 and nothing done.
pub struct CsrfForm<T> {
    pub staff: Staff,
    pub form: T,
}

#[derive(serde::Deserialize)]
struct Token {
    #[serde(default)]
    csrf: String,
}

/// `bytes` read as the form `T`.
async fn form_of<T: DeserializeOwned>(bytes: &axum::body::Bytes) -> Option<T> {
    let request = Request::builder()
        .method(Method::POST)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(bytes.clone()))
        .ok()?;
    Form::<T>::from_request(request, &()).await.ok().map(|Form(t)| t)
}

impl<T: DeserializeOwned + Send> FromRequest<Shared> for CsrfForm<T> {
    type Rejection = Response;

    async fn from_request(request: Request, shared: &Shared) -> Result<CsrfForm<T>, Response> {
        let (mut parts, body) = request.into_parts();
        let staff = Staff::from_request_parts(&mut parts, shared).await?;
        let lang = layout::lang(&parts.headers, &parts.uri);
        let refuse = |status, text: words::W| {
            layout::message(lang, Some(&staff), status, words::FORBIDDEN, text.get(lang))
        };
        let Ok(bytes) = axum::body::to_bytes(body, MAX_FORM_BYTES).await else {
            return Err(refuse(StatusCode::PAYLOAD_TOO_LARGE, words::BAD_FORM));
        };
        let given = form_of::<Token>(&bytes).await.map(|t| t.csrf).unwrap_or_default();
        let matches: bool = subtle::ConstantTimeEq::ct_eq(given.as_bytes(), staff.csrf.as_bytes()).into();
        if !matches || given.is_empty() {
            crate::county::server::log_refused(format_args!(
                "refused a console form without its token ({} {})",
                parts.method,
                parts.uri.path()
            ));
            return Err(refuse(StatusCode::FORBIDDEN, words::BAD_CSRF));
        }
        match form_of::<T>(&bytes).await {
            Some(form) => Ok(CsrfForm { staff, form }),
            None => Err(refuse(StatusCode::BAD_REQUEST, words::BAD_FORM)),
        }
    }
}

/// Whether the server speaks TLS (the session cookie is Secure then).
pub struct Secure(pub bool);

impl<S: Send + Sync> FromRequestParts<S> for Secure {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Secure, std::convert::Infallible> {
        Ok(Secure(parts.extensions.get::<Tls>().is_some()))
    }
}

/// The client's address, as an extractor.
pub struct ClientIp(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<ClientIp, std::convert::Infallible> {
        Ok(ClientIp(client_ip(&parts.extensions)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_read_by_name() {
        let mut h = HeaderMap::new();
        h.append(header::COOKIE, "lang=en; jiedai_session=abc".parse().unwrap());
        h.append(header::COOKIE, "other=1".parse().unwrap());
        assert_eq!(cookie(&h, COOKIE), Some("abc"));
        assert_eq!(cookie(&h, "lang"), Some("en"));
        assert_eq!(cookie(&h, "other"), Some("1"));
        assert_eq!(cookie(&h, "jiedai"), None);
    }

    #[test]
    fn session_cookies_are_strict_and_secure_under_tls() {
        let c = session_cookie("tok", false);
        assert_eq!(
            c,
            "jiedai_session=tok; Path=/office/; HttpOnly; SameSite=Strict; Max-Age=28800"
        );
        assert!(session_cookie("tok", true).ends_with("; Secure"));
        assert!(session_cookie("", false).contains("Max-Age=0"));
    }

    #[test]
    fn forms_from_other_sites_are_told_apart() {
        let head = |origin: Option<&str>| {
            let mut h = HeaderMap::new();
            h.insert(header::HOST, "county.example:8440".parse().unwrap());
            if let Some(o) = origin {
                h.insert(header::ORIGIN, o.parse().unwrap());
            }
            h
        };
        assert!(!foreign_origin(&head(None)));
        assert!(!foreign_origin(&head(Some("https://county.example:8440"))));
        assert!(foreign_origin(&head(Some("https://evil.example"))));
        assert!(foreign_origin(&head(Some("null"))));
    }
}
