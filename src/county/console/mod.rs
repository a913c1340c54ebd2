//! The county office's web console under `/office/`: server-rendered HTML
//! (maud), usable without JavaScript, its stylesheet served by the binary.
//!
//! Every route is a row of `ROUTES`: its method, path, guard and handler.
//! `router` builds the console from that table alone, and every request
//! passes `auth::admit` with its row's guard before its handler runs: a
//! route's guard is what the table says. Handlers take the signed-in
//! person as `auth::Staff` (or a guard extractor: `OfficeStaff`,
//! `StepStaff`, `ReadStaff`) and a form as `auth::CsrfForm`, which checks
//! the form's token against the session's.
//!
//! `auth` (sessions, guards, the form token), `layout` (the page frame and
//! its navigation), `login` (login, logout, the home page), `users` (the
//! office's account management), `words` (every text, zh and en).

pub mod appeal;
pub mod auth;
pub mod catalogue;
pub mod charts;
pub mod dashboard;
pub mod layout;
pub mod login;
pub mod queue;
pub mod stations;
pub mod unit_view;
pub mod users;
pub mod words;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::handler::Handler;
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Redirect, Response};
use axum::routing::{MethodRouter, any, get, post};
use axum::{Extension, Router};

use super::accounts::{Role, Throttle};
use super::server::Shared;

/// A route's method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

/// Who may use a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Guard {
    /// Anyone: the login page and the stylesheet.
    Open,
    /// Any signed-in staff (office, unit, viewer).
    Read,
    /// Staff who take steps: the office and units.
    Step,
    /// The county office only.
    Office,
    /// Those who see every appeal: the office and viewers.
    Desk,
}

impl Guard {
    /// Whether a signed-in person of `role` passes (Open: anyone).
    pub fn admits(self, role: Role) -> bool {
        match self {
            Guard::Open | Guard::Read => true,
            Guard::Step => role != Role::Viewer,
            Guard::Office => role == Role::Office,
            Guard::Desk => role != Role::Unit,
        }
    }
}

/// A handler as the table holds it (see `call`).
pub type Endpoint = fn(Request, Shared) -> Pin<Box<dyn Future<Output = Response> + Send>>;

/// One route of the console.
pub struct Route {
    pub method: Method,
    /// The whole path, `/office/…`, in axum's syntax (`{id}`).
    pub path: &'static str,
    pub guard: Guard,
    pub endpoint: Endpoint,
}

/// Runs an axum handler (any extractors) on a request: what a route's
/// `endpoint` does.
pub fn call<H, T>(
    handler: H,
    request: Request,
    shared: Shared,
) -> Pin<Box<dyn Future<Output = Response> + Send>>
where
    H: Handler<T, Shared>,
{
    Box::pin(handler.call(request, shared))
}

/// A row of `ROUTES`: `route!(Get "/office/…", Guard, handler)`.
macro_rules! route {
    ($method:ident $path:literal, $guard:ident, $handler:path) => {
        Route {
            method: Method::$method,
            path: $path,
            guard: Guard::$guard,
            endpoint: |request, shared| call($handler, request, shared),
        }
    };
}

/// Every route of the console: nothing is served under `/office/` that is
/// not here.
pub const ROUTES: &[Route] = &[
    route!(Get "/office/", Read, login::home),
    route!(Get "/office/console.css", Open, layout::stylesheet),
    route!(Get "/office/login", Open, login::page),
    route!(Post "/office/login", Open, login::submit),
    route!(Post "/office/logout", Read, login::logout),
    route!(Get "/office/users", Office, users::page),
    route!(Post "/office/users", Office, users::add),
    route!(Post "/office/users/{id}/password", Office, users::password),
    route!(Post "/office/users/{id}/disable", Office, users::disable),
    route!(Get "/office/queue", Desk, queue::page),
    route!(Get "/office/queue.csv", Desk, queue::csv_download),
    route!(Get "/office/queue.xlsx", Desk, queue::xlsx_download),
    route!(Get "/office/search", Desk, queue::page),
    route!(Get "/office/a/{code}", Read, appeal::page),
    route!(Post "/office/a/{code}/step", Step, appeal::step),
    route!(Post "/office/a/{code}/reveal", Office, appeal::reveal),
    route!(Post "/office/a/{code}/extension", Step, appeal::ask_extension),
    route!(Post "/office/a/{code}/extension/{id}", Office, appeal::decide_extension),
    route!(Get "/office/unit-filter.js", Office, appeal::unit_filter_script),
    route!(Get "/office/unit", Step, unit_view::page),
    route!(Get "/office/units", Desk, catalogue::page),
    route!(Post "/office/units", Office, catalogue::add),
    route!(Post "/office/units/import", Office, catalogue::import),
    route!(Post "/office/units/{id}/disable", Office, catalogue::disable),
    route!(Get "/office/stations", Desk, stations::page),
    route!(Get "/office/dashboard", Read, dashboard::page),
    route!(Get "/office/dashboard/{chart}", Read, dashboard::chart),
];

/// The console, built from `ROUTES`, each route behind its guard; every
/// answer carries `security_headers`. The login throttle lives as long as
/// the router.
pub fn router() -> Router<Shared> {
    let mut router = Router::new();
    for route in ROUTES {
        let (guard, endpoint) = (route.guard, route.endpoint);
        let guarded = move |State(shared): State<Shared>, request: Request| async move {
            let remembered = layout::language_asked(request.uri());
            let mut response = match auth::admit(guard, &shared, request).await {
                Ok(request) => endpoint(request, shared).await,
                Err(refused) => refused,
            };
            if let Some(lang) = remembered {
                layout::remember_language(&mut response, lang);
            }
            response
        };
        let method: MethodRouter<Shared> = match route.method {
            Method::Get => get(guarded),
            Method::Post => post(guarded),
        };
        router = router.route(route.path, method);
    }
    router
        .route("/office", get(|| async { Redirect::to("/office/") }))
        .route("/office/{*rest}", any(layout::not_found))
        .layer(Extension(Arc::new(Throttle::new())))
        .layer(axum::extract::DefaultBodyLimit::max(auth::MAX_FORM_BYTES))
        .layer(axum::middleware::from_fn(security_headers))
}

/// Staff pages are never cached, framed, sniffed or given away in a
/// referrer, and load nothing but the console's own files.
async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'self'; form-action 'self'; frame-ancestors 'none'"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // "no-referrer" would make browsers send `Origin: null` with the
    // console's own forms, which the origin check then refuses.
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    response
}

/// A server failure as a page (in both languages: it may come before the
/// page's language is known); the details go to the log.
pub fn server_error(what: &str, e: &dyn std::fmt::Display) -> Response {
    log::error!("console: {what}: {e}");
    let text = format!("{} / {}", words::SERVER_ERROR.zh, words::SERVER_ERROR.en);
    layout::message(
        crate::i18n::Lang::Zh,
        None,
        StatusCode::INTERNAL_SERVER_ERROR,
        words::SERVER_FAILED,
        &text,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table is the truth: every route's guard, as decided.
    #[test]
    fn every_route_has_its_guard() {
        let expected: &[(Method, &str, Guard)] = &[
            (Method::Get, "/office/", Guard::Read),
            (Method::Get, "/office/console.css", Guard::Open),
            (Method::Get, "/office/login", Guard::Open),
            (Method::Post, "/office/login", Guard::Open),
            (Method::Post, "/office/logout", Guard::Read),
            (Method::Get, "/office/users", Guard::Office),
            (Method::Post, "/office/users", Guard::Office),
            (Method::Post, "/office/users/{id}/password", Guard::Office),
            (Method::Post, "/office/users/{id}/disable", Guard::Office),
            (Method::Get, "/office/queue", Guard::Desk),
            (Method::Get, "/office/queue.csv", Guard::Desk),
            (Method::Get, "/office/queue.xlsx", Guard::Desk),
            (Method::Get, "/office/search", Guard::Desk),
            (Method::Get, "/office/a/{code}", Guard::Read),
            (Method::Post, "/office/a/{code}/step", Guard::Step),
            (Method::Post, "/office/a/{code}/reveal", Guard::Office),
            (Method::Post, "/office/a/{code}/extension", Guard::Step),
            (Method::Post, "/office/a/{code}/extension/{id}", Guard::Office),
            (Method::Get, "/office/unit-filter.js", Guard::Office),
            (Method::Get, "/office/unit", Guard::Step),
            (Method::Get, "/office/units", Guard::Desk),
            (Method::Post, "/office/units", Guard::Office),
            (Method::Post, "/office/units/import", Guard::Office),
            (Method::Post, "/office/units/{id}/disable", Guard::Office),
            (Method::Get, "/office/stations", Guard::Desk),
            (Method::Get, "/office/dashboard", Guard::Read),
            (Method::Get, "/office/dashboard/{chart}", Guard::Read),
        ];
        let table: Vec<_> = ROUTES.iter().map(|r| (r.method, r.path, r.guard)).collect();
        assert_eq!(table, expected);
        // Only the login and the stylesheet are open; nothing outside
        // `/office/`; no route twice.
        for r in ROUTES {
            assert!(r.path.starts_with("/office/"), "{}", r.path);
            assert_eq!(
                r.guard == Guard::Open,
                matches!(r.path, "/office/login" | "/office/console.css"),
                "{}",
                r.path
            );
            let same = ROUTES.iter().filter(|o| o.path == r.path && o.method == r.method);
            assert_eq!(same.count(), 1, "{:?} {}", r.method, r.path);
        }
    }

    #[test]
    fn guards_admit_by_role() {
        use Role::*;
        let admitted = |g: Guard| [Office, Unit, Viewer].map(|r| g.admits(r));
        assert_eq!(admitted(Guard::Read), [true, true, true]);
        assert_eq!(admitted(Guard::Step), [true, true, false]);
        assert_eq!(admitted(Guard::Office), [true, false, false]);
        assert_eq!(admitted(Guard::Desk), [true, false, true]);
    }
}
