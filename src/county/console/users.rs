//! `/office/users`: the office's account management. Accounts listed,
//! added (a unit's from the catalogue), their passwords reset and
//! disabled; every change recorded in the audit log.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};

use super::auth::{CsrfForm, OfficeStaff, Staff};
use super::layout::{self, PageLang, csrf_field};
use super::words;
use crate::county::accounts::{self, AccountError, Role};
use crate::county::audit::{self, action};
use crate::county::server::Shared;
use crate::i18n::Lang;

/// `?done=` after a change: what to say.
#[derive(serde::Deserialize, Default)]
pub struct Done {
    #[serde(default)]
    done: String,
}

/// The page, with what was just done or what went wrong.
async fn render(
    shared: &Shared,
    staff: &Staff,
    lang: Lang,
    status: StatusCode,
    done: Option<words::W>,
    problem: Option<String>,
) -> Response {
    let users = match accounts::list(&shared.db).await {
        Ok(u) => u,
        Err(e) => return super::server_error("listing users", &e),
    };
    let units = match crate::county::units::list(&shared.db, false).await {
        Ok(u) => u,
        Err(e) => return super::server_error("listing units", &e),
    };
    let body = html! {
        @if let Some(done) = done { p.done { (done.get(lang)) } }
        @if let Some(problem) = &problem { p.error { (problem) } }
        table {
            thead { tr {
                th { (words::USER_NAME.get(lang)) }
                th { (words::ROLE.get(lang)) }
                th { (words::UNIT.get(lang)) }
                th { (words::STATE.get(lang)) }
                th { (words::CREATED.get(lang)) }
                th {}
            } }
            tbody {
                @for listed in &users {
                    tr class=[listed.disabled.then_some("disabled")] {
                        td { (listed.user.name) }
                        td { (listed.user.role.label(lang)) }
                        td { @if let Some((_, unit)) = &listed.user.unit { (unit) } }
                        td { (if listed.disabled { words::DISABLED.get(lang) } else { words::ENABLED.get(lang) }) }
                        td.muted { (listed.created_at.get(..10).unwrap_or(&listed.created_at)) }
                        td {
                            @if !listed.disabled {
                                (actions(staff, lang, listed.user.id))
                            }
                        }
                    }
                }
            }
        }
        h2 { (words::ADD_USER.get(lang)) }
        form.card method="post" action="/office/users" {
            (csrf_field(staff))
            label for="name" { (words::USER_NAME.get(lang)) }
            input #name type="text" name="name" required maxlength=(accounts::MAX_NAME);
            label for="role" { (words::ROLE.get(lang)) }
            select #role name="role" {
                @for role in Role::ALL { option value=(role.code()) { (role.label(lang)) } }
            }
            label for="unit" { (words::UNIT.get(lang)) }
            select #unit name="unit" {
                option value="" { (words::NO_UNIT.get(lang)) }
                @for unit in &units { option value=(unit.name) { (unit.name) } }
            }
            label for="password" { (words::INITIAL_PASSWORD.get(lang)) }
            input #password type="password" name="password" required minlength=(accounts::MIN_PASSWORD) autocomplete="new-password";
            p { button type="submit" { (words::ADD.get(lang)) } }
        }
    };
    layout::answer(
        status,
        layout::page(lang, Some(staff), words::USERS.get(lang), body),
    )
}

/// An account's forms: a new password, disable.
fn actions(staff: &Staff, lang: Lang, id: i64) -> Markup {
    html! {
        form.inline method="post" action=(format!("/office/users/{id}/password")) {
            (csrf_field(staff))
            input type="password" name="password" required minlength=(accounts::MIN_PASSWORD)
                autocomplete="new-password" placeholder=(words::NEW_PASSWORD.get(lang)) aria-label=(words::NEW_PASSWORD.get(lang));
            button.quiet type="submit" { (words::RESET_PASSWORD.get(lang)) }
        }
        @if id != staff.user.id {
            form.inline method="post" action=(format!("/office/users/{id}/disable")) {
                (csrf_field(staff))
                button.quiet type="submit" { (words::DISABLE.get(lang)) }
            }
        }
    }
}

/// `GET /office/users`.
pub async fn page(
    State(shared): State<Shared>,
    OfficeStaff(staff): OfficeStaff,
    PageLang(lang): PageLang,
    done: Result<Query<Done>, QueryRejection>,
) -> Response {
    let done = match done.map(|Query(d)| d.done).as_deref().ok() {
        Some("added") => Some(words::USER_ADDED),
        Some("password") => Some(words::PASSWORD_SET),
        Some("disabled") => Some(words::USER_DISABLED),
        _ => None,
    };
    render(&shared, &staff, lang, StatusCode::OK, done, None).await
}

fn done(what: &str) -> Response {
    Redirect::to(&format!("/office/users?done={what}")).into_response()
}

/// An account change refused: the page again, saying why.
async fn refused(shared: &Shared, staff: &Staff, lang: Lang, e: AccountError) -> Response {
    let status = match &e {
        AccountError::County(e) => return super::server_error("changing an account", e),
        AccountError::NameTaken(_) => StatusCode::CONFLICT,
        AccountError::NoSuchUser(_) => StatusCode::NOT_FOUND,
        _ => StatusCode::BAD_REQUEST,
    };
    render(shared, staff, lang, status, None, Some(e.message(lang))).await
}

#[derive(serde::Deserialize)]
pub struct NewUser {
    name: String,
    role: String,
    #[serde(default)]
    unit: String,
    password: String,
}

/// `POST /office/users`.
pub async fn add(
    State(shared): State<Shared>,
    PageLang(lang): PageLang,
    CsrfForm { staff, form }: CsrfForm<NewUser>,
) -> Response {
    let Some(role) = Role::parse(&form.role) else {
        return refused(&shared, &staff, lang, AccountError::UnknownRole(form.role)).await;
    };
    let unit = Some(form.unit.as_str()).filter(|u| !u.trim().is_empty());
    match accounts::add_user(&shared.db, &form.name, role, unit, &form.password).await {
        Ok(user) => {
            let detail = match &user.unit {
                Some((_, unit)) => format!("role={} unit={unit}", role.code()),
                None => format!("role={}", role.code()),
            };
            audit::note(
                &shared.db,
                &staff.user.name,
                action::USER_ADD,
                &audit::user_target(&user.name),
                &staff.address,
                &detail,
            )
            .await;
            done("added")
        }
        Err(e) => refused(&shared, &staff, lang, e).await,
    }
}

/// The name of the account a path names, by id; else the page that says
/// there is none.
async fn named(shared: &Shared, staff: &Staff, lang: Lang, id: i64) -> Result<String, Response> {
    match accounts::user_by_id(&shared.db, id).await {
        Ok(Some(found)) => Ok(found.user.name),
        Ok(None) => Err(layout::message(
            lang,
            Some(staff),
            StatusCode::NOT_FOUND,
            words::USERS,
            words::NO_SUCH_USER.get(lang),
        )),
        Err(e) => Err(super::server_error("reading a user", &e)),
    }
}

#[derive(serde::Deserialize)]
pub struct NewPassword {
    password: String,
}

/// `POST /office/users/{id}/password`: the user's sessions end.
pub async fn password(
    State(shared): State<Shared>,
    PageLang(lang): PageLang,
    Path(id): Path<i64>,
    CsrfForm { staff, form }: CsrfForm<NewPassword>,
) -> Response {
    let name = match named(&shared, &staff, lang, id).await {
        Ok(name) => name,
        Err(r) => return r,
    };
    match accounts::set_password(&shared.db, &name, &form.password).await {
        Ok(_) => {
            audit::note(
                &shared.db,
                &staff.user.name,
                action::USER_PASSWORD,
                &audit::user_target(&name),
                &staff.address,
                "",
            )
            .await;
            done("password")
        }
        Err(e) => refused(&shared, &staff, lang, e).await,
    }
}

#[derive(serde::Deserialize)]
pub struct Nothing {}

/// `POST /office/users/{id}/disable`: never one's own account.
pub async fn disable(
    State(shared): State<Shared>,
    PageLang(lang): PageLang,
    Path(id): Path<i64>,
    CsrfForm { staff, .. }: CsrfForm<Nothing>,
) -> Response {
    let name = match named(&shared, &staff, lang, id).await {
        Ok(name) => name,
        Err(r) => return r,
    };
    if id == staff.user.id {
        return render(
            &shared,
            &staff,
            lang,
            StatusCode::BAD_REQUEST,
            None,
            Some(words::NOT_YOURSELF.get(lang).to_string()),
        )
        .await;
    }
    match accounts::disable(&shared.db, &name).await {
        Ok(_) => {
            audit::note(
                &shared.db,
                &staff.user.name,
                action::USER_DISABLE,
                &audit::user_target(&name),
                &staff.address,
                "",
            )
            .await;
            done("disabled")
        }
        Err(e) => refused(&shared, &staff, lang, e).await,
    }
}
