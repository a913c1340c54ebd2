//! The console's page frame: the head with its stylesheet, the
//! navigation the role may use, the person signed in and the logout form;
//! the language (`?lang=en`, then the `lang` cookie, else Chinese); pages
//! that only say something (refusals, not found, still to come).

use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};

use super::auth::{MaybeStaff, Staff};
use super::words::{self, W};
use crate::county::accounts::Role;
use crate::i18n::Lang;

/// Put among a request's extensions when the server speaks TLS.
#[derive(Debug, Clone, Copy)]
pub struct Tls;

/// The console's stylesheet, served by the binary.
const STYLESHEET: &str = include_str!("console.css");

/// The language a query asks for (`lang=en` or `lang=zh`).
pub fn language_asked(uri: &Uri) -> Option<Lang> {
    uri.query()?.split('&').find_map(|pair| match pair {
        "lang=en" => Some(Lang::En),
        "lang=zh" => Some(Lang::Zh),
        _ => None,
    })
}

/// The page's language: the query's, else the `lang` cookie's, else
/// Chinese.
pub fn lang(headers: &HeaderMap, uri: &Uri) -> Lang {
    language_asked(uri).unwrap_or_else(|| match super::auth::cookie(headers, "lang") {
        Some("en") => Lang::En,
        _ => Lang::Zh,
    })
}

/// Keeps the language a query asked for in a cookie.
pub fn remember_language(response: &mut Response, lang: Lang) {
    let code = lang.pick("zh", "en");
    if let Ok(v) = HeaderValue::from_str(&format!(
        "lang={code}; Path=/office/; SameSite=Strict; Max-Age=31536000"
    )) {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// The page's language, as an extractor.
pub struct PageLang(pub Lang);

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for PageLang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<PageLang, std::convert::Infallible> {
        Ok(PageLang(lang(&parts.headers, &parts.uri)))
    }
}

/// A navigation item: its words, its path, the roles that see it.
struct Item {
    words: W,
    path: &'static str,
    roles: &'static [Role],
}

const NAV: &[Item] = &[
    Item {
        words: words::NAV_QUEUE,
        path: "/office/queue",
        roles: &[Role::Office, Role::Viewer],
    },
    Item {
        words: words::NAV_QUEUE,
        path: "/office/unit",
        roles: &[Role::Unit],
    },
    Item {
        words: words::NAV_SEARCH,
        path: "/office/search",
        roles: &[Role::Office, Role::Unit, Role::Viewer],
    },
    Item {
        words: words::NAV_DASHBOARD,
        path: "/office/dashboard",
        roles: &[Role::Office, Role::Unit, Role::Viewer],
    },
    Item {
        words: words::NAV_UNITS,
        path: "/office/units",
        roles: &[Role::Office],
    },
    Item {
        words: words::NAV_STATIONS,
        path: "/office/stations",
        roles: &[Role::Office, Role::Viewer],
    },
    Item {
        words: words::NAV_USERS,
        path: "/office/users",
        roles: &[Role::Office],
    },
];

/// The home of a role: the work queue, or a unit's own list.
pub fn home_of(role: Role) -> &'static str {
    match role {
        Role::Unit => "/office/unit",
        Role::Office | Role::Viewer => "/office/queue",
    }
}

/// The hidden field that carries the session's form token.
pub fn csrf_field(staff: &Staff) -> Markup {
    html! { input type="hidden" name="csrf" value=(staff.csrf); }
}

/// A whole page: `body` in the frame, with the navigation `staff`'s role
/// may use (none before login).
pub fn page(lang: Lang, staff: Option<&Staff>, title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(lang.pick("zh-CN", "en")) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · " (words::CONSOLE.get(lang)) }
                link rel="stylesheet" href="/office/console.css";
            }
            body {
                header.top {
                    a.brand href="/office/" { (words::CONSOLE.get(lang)) }
                    @if let Some(staff) = staff {
                        nav {
                            @for item in NAV.iter().filter(|i| i.roles.contains(&staff.role())) {
                                a href=(item.path) { (item.words.get(lang)) }
                            }
                        }
                        span.who {
                            (staff.user.name) " · " (staff.role().label(lang))
                            @if let Some((_, unit)) = &staff.user.unit { " · " (unit) }
                        }
                        form.logout method="post" action="/office/logout" {
                            (csrf_field(staff))
                            button type="submit" { (words::LOGOUT.get(lang)) }
                        }
                    }
                    a.lang href=(lang.pick("?lang=en", "?lang=zh")) { (words::OTHER_LANGUAGE.get(lang)) }
                }
                main {
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
}

/// A page as an answer with `status`.
pub fn answer(status: StatusCode, page: Markup) -> Response {
    (status, page).into_response()
}

/// A page that says one thing.
pub fn message(lang: Lang, staff: Option<&Staff>, status: StatusCode, title: W, text: &str) -> Response {
    answer(
        status,
        page(lang, staff, title.get(lang), html! { p.message { (text) } }),
    )
}

/// `GET /office/console.css`.
pub async fn stylesheet() -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/css; charset=utf-8"),
        )],
        STYLESHEET,
    )
        .into_response()
}

/// A page still to come.
pub async fn coming(staff: Staff, PageLang(lang): PageLang) -> Response {
    message(
        lang,
        Some(&staff),
        StatusCode::OK,
        words::CONSOLE,
        words::COMING.get(lang),
    )
}

/// Any other path under `/office/`.
pub async fn not_found(staff: MaybeStaff, PageLang(lang): PageLang) -> Response {
    message(
        lang,
        staff.0.as_ref(),
        StatusCode::NOT_FOUND,
        words::NOT_FOUND,
        words::NOT_FOUND.get(lang),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_language_comes_from_the_query_then_the_cookie() {
        let uri = |s: &str| s.parse::<Uri>().unwrap();
        let mut h = HeaderMap::new();
        assert_eq!(lang(&h, &uri("/office/queue")), Lang::Zh);
        assert_eq!(lang(&h, &uri("/office/queue?page=2&lang=en")), Lang::En);
        h.insert(header::COOKIE, "lang=en".parse().unwrap());
        assert_eq!(lang(&h, &uri("/office/queue")), Lang::En);
        assert_eq!(lang(&h, &uri("/office/queue?lang=zh")), Lang::Zh);
    }
}
