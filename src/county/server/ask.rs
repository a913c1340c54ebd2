//! A citizen's appeal or booking from the public pages (`domain::online`):
//! the form on a station's and a deputy's page, and `POST
//! /{station}/ask`. What keeps abuse out, none of it needing an outside
//! service:
//!
//! - a question on the form (a small sum), its answer bound to a token the
//!   server signs with a secret of its own, good for `TOKEN_SECS` and
//!   once;
//! - a per-client limit on submissions (`ASK_BURST`, then one every
//!   `ASK_PERIOD`), beside the pages' own;
//! - a body of at most `ASK_MAX_BODY` bytes, fields within the desk's
//!   limits (`domain::online::check`);
//! - the same matter sent again within a day folded into the first
//!   (`county::online`).
//!
//! Every text a citizen types is escaped wherever a page shows it.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use axum::extract::rejection::FormRejection;
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use sha2::{Digest, Sha256};

use super::Shared;
use super::public::html;
use crate::county::accounts::fill_random;
use crate::county::{CountyError, online, pages};
use crate::domain::online::{self as rules, Form as Typed};
use crate::domain::public as links;

/// The most a submission's body may hold.
pub const ASK_MAX_BODY: usize = 16 << 10;
/// Submissions a client may send at once, then one every `ASK_PERIOD`.
pub const ASK_BURST: u32 = 5;
pub const ASK_PERIOD: Duration = Duration::from_secs(120);
/// How long the question on a page may be answered.
const TOKEN_SECS: i64 = 3600;

/// The server's side of the question: the secret its tokens are signed
/// with (new at each start) and the tokens used, until they expire.
pub struct Gate {
    secret: [u8; 32],
    used: Mutex<HashMap<String, i64>>,
}

/// Why an answer is not taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unanswered {
    Malformed,
    Expired,
    Wrong,
    Used,
}

impl Gate {
    pub fn new() -> Result<Gate, CountyError> {
        let mut secret = [0u8; 32];
        fill_random(&mut secret)?;
        Ok(Gate {
            secret,
            used: Mutex::new(HashMap::new()),
        })
    }

    fn mac(&self, body: &str) -> String {
        let mut h = Sha256::new();
        h.update(self.secret);
        h.update(body.as_bytes());
        hex::encode(&h.finalize()[..16])
    }

    /// A new question at `now` (Unix seconds): the two numbers and the
    /// token the answer goes back with.
    pub fn question(&self, now: i64) -> Result<((u8, u8), String), CountyError> {
        let mut r = [0u8; 10];
        fill_random(&mut r)?;
        let (a, b) = (1 + r[0] % 9, 1 + r[1] % 9);
        let nonce = hex::encode(&r[2..]);
        let body = format!("{}.{a}.{b}.{nonce}", now + TOKEN_SECS);
        let mac = self.mac(&body);
        Ok(((a, b), format!("{body}.{mac}")))
    }

    /// Takes `answer` to the question of `token` at `now`, once.
    pub fn check(&self, token: &str, answer: &str, now: i64) -> Result<(), Unanswered> {
        let (body, mac) = token.rsplit_once('.').ok_or(Unanswered::Malformed)?;
        if !crate::county::pages::key_matches(&self.mac(body), mac) {
            return Err(Unanswered::Malformed);
        }
        let parts: Vec<&str> = body.split('.').collect();
        let [expires, a, b, _nonce] = parts[..] else {
            return Err(Unanswered::Malformed);
        };
        let (Ok(expires), Ok(a), Ok(b)) = (expires.parse::<i64>(), a.parse::<u32>(), b.parse::<u32>()) else {
            return Err(Unanswered::Malformed);
        };
        if now > expires {
            return Err(Unanswered::Expired);
        }
        // One try a question, right or wrong: a wrong answer gets a new one.
        {
            let mut used = self.used.lock().unwrap_or_else(|p| p.into_inner());
            used.retain(|_, until| *until >= now);
            if used.insert(body.to_string(), expires).is_some() {
                return Err(Unanswered::Used);
            }
        }
        let given: String = crate::domain::validate::to_half_width(answer)
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        if given.parse::<u32>() != Ok(a + b) {
            return Err(Unanswered::Wrong);
        }
        Ok(())
    }
}

/// The form's fields as posted.
#[derive(Debug, Default, serde::Deserialize)]
pub(super) struct Posted {
    #[serde(default)]
    category: String,
    #[serde(default)]
    content: String,
    #[serde(default)]
    location: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    deputy: String,
    #[serde(default)]
    meet_on: String,
    #[serde(default)]
    token: String,
    #[serde(default)]
    answer: String,
}

fn unix_now() -> i64 {
    crate::county::now().timestamp()
}

fn today() -> chrono::NaiveDate {
    crate::county::zone().date(&crate::county::now())
}

/// The page a form came from, drawn again: a station's or its deputy's,
/// with a new question, and after a refusal what was typed and why.
pub(super) async fn form_page(
    server: &Shared,
    station: &str,
    deputy: Option<&str>,
    typed: &Typed,
    problem: Option<String>,
) -> Option<String> {
    let held = server.db.station(station).await.ok().flatten()?;
    let deputy = match deputy {
        Some(id) => Some(server.db.deputy(station, id).await.ok().flatten()?),
        None => None,
    };
    let (question, token) = server
        .gate
        .question(unix_now())
        .map_err(|e| log::error!("public page: {e}"))
        .ok()?;
    let today = today();
    let days = match (&held.info, &deputy) {
        (Some(info), Some(_)) => rules::bookable_days(info, today),
        _ => Vec::new(),
    };
    let ask = pages::AskView {
        station,
        deputy: deputy.as_ref(),
        days: &days,
        question,
        token: &token,
        typed,
        problem,
    };
    Some(match &deputy {
        Some(d) => {
            let record = server.db.duty_record(station, &d.id).await.unwrap_or_default();
            pages::deputy(d, Some(&held), today, &record, &ask)
        }
        None => {
            let deputies = server.db.deputies(station).await.unwrap_or_default();
            pages::station(&held, &deputies, today, &ask)
        }
    })
}

/// `POST /{station}/ask`: a citizen's appeal (and booking).
pub(super) async fn submit(
    State(server): State<Shared>,
    Path(station): Path<String>,
    form: Result<Form<Posted>, FormRejection>,
) -> Response {
    if !crate::county::is_station_code(&station) {
        return html(StatusCode::NOT_FOUND, pages::not_found());
    }
    let posted = match form {
        Ok(Form(posted)) => posted,
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            return html(StatusCode::PAYLOAD_TOO_LARGE, pages::too_large_ask());
        }
        Err(_) => return html(StatusCode::BAD_REQUEST, pages::unreadable_ask()),
    };
    let typed = Typed {
        category: posted.category,
        content: posted.content,
        location: posted.location,
        name: posted.name,
        phone: posted.phone,
        deputy: Some(posted.deputy).filter(|d| !d.trim().is_empty()),
        meet_on: posted.meet_on,
    };
    let deputy = typed.deputy.clone();
    let again =
        async |problem: String| match form_page(&server, &station, deputy.as_deref(), &typed, Some(problem))
            .await
        {
            Some(page) => html(StatusCode::BAD_REQUEST, page),
            None => html(StatusCode::NOT_FOUND, pages::not_found()),
        };
    let Some(held) = server.db.station(&station).await.ok().flatten() else {
        return html(StatusCode::NOT_FOUND, pages::not_found());
    };
    if server
        .gate
        .check(&posted.token, &posted.answer, unix_now())
        .is_err()
    {
        return again(pages::wrong_answer()).await;
    }
    let Some(info) = held.info.as_ref() else {
        return html(StatusCode::NOT_FOUND, pages::not_found());
    };
    let deputies = server.db.deputies(&station).await.unwrap_or_default();
    let sub = match rules::check(&typed, info, &deputies, today()) {
        Ok(s) => s,
        Err(why) => return again(why.message(crate::i18n::Lang::Zh)).await,
    };
    let received = match online::receive(&server.db, &station, &sub).await {
        Ok(Some(r)) => r,
        Ok(None) => return html(StatusCode::NOT_FOUND, pages::not_found()),
        Err(e) => {
            log::error!("station {station}: an online appeal could not be recorded: {e}");
            return html(StatusCode::INTERNAL_SERVER_ERROR, pages::not_found());
        }
    };
    let link = links::appeal_url(info, &received.code, &received.key)
        .unwrap_or_else(|_| format!("/{station}/t/{}?k={}", received.code, received.key));
    html(
        StatusCode::OK,
        pages::received(
            &info.name,
            received.code.as_str(),
            &link,
            sub.meeting,
            received.folded,
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_question_is_answered_once_in_time_and_only_by_its_sum() {
        let gate = Gate::new().unwrap();
        let ((a, b), token) = gate.question(1_000).unwrap();
        let sum = (a + b).to_string();
        assert_eq!(
            gate.check(&token, &sum, 1_000 + TOKEN_SECS + 1),
            Err(Unanswered::Expired)
        );
        // Other numbers in a token break its signature (1 + 1, or 2 + 1
        // when the question was 1 + 1).
        let (x, y) = if (a, b) == (1, 1) { (2, 1) } else { (1, 1) };
        let forged = token.replacen(&format!(".{a}.{b}."), &format!(".{x}.{y}."), 1);
        assert_ne!(forged, token);
        assert_eq!(
            gate.check(&forged, &(x + y).to_string(), 1_001),
            Err(Unanswered::Malformed)
        );
        assert_eq!(gate.check(&token, &format!(" {sum} "), 1_001), Ok(()));
        assert_eq!(gate.check(&token, &sum, 1_002), Err(Unanswered::Used));
        // A wrong answer uses the question up: no trying every sum.
        let (_, token) = gate.question(1_000).unwrap();
        assert_eq!(gate.check(&token, "99", 1_001), Err(Unanswered::Wrong));
        for n in 2..=18 {
            assert_eq!(gate.check(&token, &n.to_string(), 1_001), Err(Unanswered::Used));
        }
        // Another server's token is not taken.
        let other = Gate::new().unwrap();
        assert_eq!(other.check(&token, &sum, 1_001), Err(Unanswered::Malformed));
    }
}
