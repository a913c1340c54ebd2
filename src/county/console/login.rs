//! Logging in and out, and the console's home (the role's first page).
//! Failed logins count against the account and the client's address
//! (`accounts::Throttle`); an unknown name and a wrong password are
//! answered alike, after the same work.

use std::sync::Arc;

use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{Form, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;

use super::auth::{ClientIp, CsrfForm, Secure, Staff, session_cookie};
use super::layout::{self, PageLang};
use super::words;
use crate::county::accounts::{self, COOKIE, Throttle};
use crate::county::audit::{self, action};
use crate::county::server::Shared;
use crate::i18n::Lang;

/// `?next=` on the login page: where to go after it.
#[derive(serde::Deserialize, Default)]
pub struct Next {
    #[serde(default)]
    next: String,
}

/// A page of the console to go back to: a path under `/office/` and
/// nothing else (no other site, no scheme).
fn back_to(next: &str) -> Option<&str> {
    let ok = next.starts_with("/office/")
        && !next.contains("//")
        && !next.contains('\\')
        && !next.starts_with("/office/login")
        && !next.chars().any(char::is_control);
    ok.then_some(next)
}

fn login_page(lang: Lang, status: StatusCode, next: &str, name: &str, problem: Option<&str>) -> Response {
    let body = html! {
        @if let Some(problem) = problem { p.error { (problem) } }
        form.card method="post" action="/office/login" {
            input type="hidden" name="next" value=(next);
            label for="name" { (words::USER_NAME.get(lang)) }
            input #name type="text" name="name" value=(name) autocomplete="username" required autofocus;
            label for="password" { (words::PASSWORD.get(lang)) }
            input #password type="password" name="password" autocomplete="current-password" required;
            p { button type="submit" { (words::LOGIN.get(lang)) } }
        }
    };
    layout::answer(status, layout::page(lang, None, words::LOGIN.get(lang), body))
}

/// `GET /office/login`.
pub async fn page(PageLang(lang): PageLang, next: Result<Query<Next>, QueryRejection>) -> Response {
    let next = next.map(|Query(n)| n.next).unwrap_or_default();
    login_page(lang, StatusCode::OK, back_to(&next).unwrap_or(""), "", None)
}

#[derive(serde::Deserialize)]
pub struct Login {
    #[serde(default)]
    name: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

/// `POST /office/login`: a session and its cookie, then the page asked
/// for (or the role's home).
pub async fn submit(
    State(shared): State<Shared>,
    axum::Extension(throttle): axum::Extension<Arc<Throttle>>,
    PageLang(lang): PageLang,
    ClientIp(ip): ClientIp,
    Secure(tls): Secure,
    form: Result<Form<Login>, FormRejection>,
) -> Response {
    let address = ip.to_string();
    let Ok(Form(login)) = form else {
        return login_page(
            lang,
            StatusCode::BAD_REQUEST,
            "",
            "",
            Some(words::BAD_FORM.get(lang)),
        );
    };
    let name = login.name.trim().to_string();
    let next = back_to(&login.next).unwrap_or("").to_string();
    if let Some(wait) = throttle.check(&name, ip) {
        audit::note(
            &shared.db,
            &name,
            action::LOGIN_THROTTLED,
            &audit::user_target(&name),
            &address,
            "",
        )
        .await;
        let mut response = login_page(
            lang,
            StatusCode::TOO_MANY_REQUESTS,
            &next,
            &name,
            Some(&words::login_throttled(lang, wait)),
        );
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(wait.as_secs().max(1)));
        return response;
    }
    let user = match accounts::verify(&shared.db, &name, &login.password).await {
        Ok(user) => user,
        Err(e) => return super::server_error("verifying a login", &e),
    };
    let Some(user) = user else {
        throttle.failed(&name, ip);
        audit::note(
            &shared.db,
            &name,
            action::LOGIN_FAILED,
            &audit::user_target(&name),
            &address,
            "",
        )
        .await;
        return login_page(
            lang,
            StatusCode::UNAUTHORIZED,
            &next,
            &name,
            Some(words::LOGIN_FAILED.get(lang)),
        );
    };
    throttle.succeeded(&name);
    let session = match accounts::open_session(&shared.db, &user, &address).await {
        Ok(s) => s,
        Err(e) => return super::server_error("opening a session", &e),
    };
    audit::note(
        &shared.db,
        &user.name,
        action::LOGIN,
        &audit::user_target(&user.name),
        &address,
        "",
    )
    .await;
    let to = if next.is_empty() {
        layout::home_of(user.role).to_string()
    } else {
        next
    };
    let mut response = Redirect::to(&to).into_response();
    if let Ok(v) = HeaderValue::from_str(&session_cookie(&session.token, tls)) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}

/// The logout form: its token alone.
#[derive(serde::Deserialize)]
pub struct Empty {}

/// `POST /office/logout`: the session ends, its cookie is removed.
pub async fn logout(
    State(shared): State<Shared>,
    headers: axum::http::HeaderMap,
    Secure(tls): Secure,
    CsrfForm { staff, .. }: CsrfForm<Empty>,
) -> Response {
    if let Some(token) = super::auth::cookie(&headers, COOKIE)
        && let Err(e) = accounts::close_session(&shared.db, token).await
    {
        return super::server_error("ending a session", &e);
    }
    audit::note(
        &shared.db,
        &staff.user.name,
        action::LOGOUT,
        &audit::user_target(&staff.user.name),
        &staff.address,
        "",
    )
    .await;
    let mut response = Redirect::to("/office/login").into_response();
    if let Ok(v) = HeaderValue::from_str(&session_cookie("", tls)) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}

/// `GET /office/`: the role's first page.
pub async fn home(staff: Staff) -> Response {
    Redirect::to(layout::home_of(staff.role())).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_console_pages_are_gone_back_to() {
        assert_eq!(back_to("/office/queue?page=2"), Some("/office/queue?page=2"));
        assert_eq!(back_to("https://evil.example/"), None);
        assert_eq!(back_to("//evil.example/office/"), None);
        assert_eq!(back_to("/office//evil.example"), None);
        assert_eq!(back_to("/office/\\evil"), None);
        assert_eq!(back_to("/office/login"), None);
        assert_eq!(back_to("/t/123"), None);
    }
}
