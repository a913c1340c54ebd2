//! The public pages' handlers: a station, its deputy, an appeal's
//! progress (`county::pages` renders them), each an HTML answer that is
//! never cached.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::Shared;
use crate::county::{is_station_code, pages};

pub(super) fn html(status: StatusCode, body: String) -> Response {
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

pub(super) fn server_error() -> Response {
    html(StatusCode::INTERNAL_SERVER_ERROR, pages::not_found())
}

/// A station code as the pages take it: nine digits.
fn station_code(code: &str) -> Option<&str> {
    is_station_code(code).then_some(code)
}

/// A progress page's query: `k`, the appeal's access key.
#[derive(serde::Deserialize)]
pub(super) struct KeyQuery {
    #[serde(default)]
    k: String,
}

/// The key a progress page was given; none from a query that does not
/// read.
fn given_key(query: Result<Query<KeyQuery>, QueryRejection>) -> String {
    query.map(|Query(q)| q.k).unwrap_or_default()
}

/// `/{station}/t/{code}?k=KEY`: the code must be that station's.
pub(super) async fn station_appeal_page(
    State(server): State<Shared>,
    Path((station, code)): Path<(String, String)>,
    query: Result<Query<KeyQuery>, QueryRejection>,
) -> Response {
    progress_page(&server, Some(&station), code, given_key(query)).await
}

/// `/t/{code}?k=KEY`, as receipts printed before carry it.
pub(super) async fn appeal_page(
    State(server): State<Shared>,
    Path(code): Path<String>,
    query: Result<Query<KeyQuery>, QueryRejection>,
) -> Response {
    progress_page(&server, None, code, given_key(query)).await
}

/// Compared with a key given for an unknown code, so that it takes the
/// time a wrong key takes. Not of the key alphabet (`U`): matches nothing.
const STAND_IN_KEY: &str = "UUUUUUUUUUUUU";

async fn progress_page(server: &Shared, station: Option<&str>, code: String, key: String) -> Response {
    let given = crate::domain::public::typed_key(&key);
    let canonical = code
        .parse::<crate::domain::TrackingCode>()
        .map(|c| c.as_str().to_string())
        .unwrap_or(code);
    // A wrong key and an unknown code answer alike, after the same work:
    // one look-up of the key alone, one comparison of whole keys.
    let held_key = match server.db.access_key(&canonical).await {
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
    let held = match server.db.appeal(&canonical).await {
        Ok(Some(h)) => h,
        Ok(None) => return html(StatusCode::NOT_FOUND, pages::appeal_not_found()),
        Err(e) => {
            log::error!("public page: {e}");
            return server_error();
        }
    };
    let station = server.db.station(&held.station).await.ok().flatten();
    let today = crate::county::zone().date(&crate::county::now());
    html(
        StatusCode::OK,
        pages::appeal(station.as_ref(), &held.appeal, today),
    )
}

/// `/{station}/d/{id}`: that station's deputy (two stations may both
/// number a deputy D001), their duty record and the form to reach them.
pub(super) async fn deputy_page(
    State(server): State<Shared>,
    Path((station, id)): Path<(String, String)>,
) -> Response {
    let Some(station) = station_code(&station) else {
        return html(StatusCode::NOT_FOUND, pages::not_found());
    };
    let typed = crate::domain::online::Form::default();
    match super::ask::form_page(&server, station, Some(&id), &typed, None).await {
        Some(page) => html(StatusCode::OK, page),
        None => html(StatusCode::NOT_FOUND, pages::not_found()),
    }
}

/// `/{station}/` (and `/s/{station}`): where and when, its deputies, and
/// the form.
pub(super) async fn station_page(State(server): State<Shared>, Path(code): Path<String>) -> Response {
    let Some(code) = station_code(&code) else {
        return html(StatusCode::NOT_FOUND, pages::not_found());
    };
    let typed = crate::domain::online::Form::default();
    match super::ask::form_page(&server, code, None, &typed, None).await {
        Some(page) => html(StatusCode::OK, page),
        None => html(StatusCode::NOT_FOUND, pages::not_found()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_is_the_k_parameter() {
        let key = |uri: &str| given_key(Query::try_from_uri(&uri.parse().unwrap()));
        assert_eq!(key("/t/X?x=1&k=ABC"), "ABC");
        assert_eq!(key("/t/X"), "");
    }
}
