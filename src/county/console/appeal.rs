//! An appeal's page (`/office/a/{code}`): its full text, station and
//! deputies, the visitor masked (the office may look once, and the look
//! is audited), the whole timeline from station and county, the requests
//! for more time, and a form for each step the status machine and the
//! role allow now (`county_steps::actions`). A step goes through
//! `county::staff::step` with the person as its actor; a refused one
//! shows the status machine's words and changes nothing.
//!
//! A unit's staff reach only the appeals referred to their unit: any
//! other code answers the same 404 as a code the county does not hold.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::NaiveDate;
use maud::{Markup, html};
use serde::Deserialize;

use super::auth::{CsrfForm, Staff};
use super::layout::{self, PageLang};
use super::words::work::{Work, words};
use crate::county::db::HeldAppeal;
use crate::county::server::Shared;
use crate::county::staff::StepOutcome;
use crate::county::staff::{Extension, ExtensionRefusal};
use crate::county::units::{self, Unit};
use crate::county::{CountyError, audit, zone};
use crate::domain::calendar::{Holidays, NotCovered};
use crate::domain::county_steps::{self, CountyRole};
use crate::domain::privacy::public_appeal;
use crate::domain::{Appeal, Step, StepKind, TrackingCode};
use crate::i18n::Lang;

/// The steps the page offers a form for, each with its name in a form.
pub const STEP_NAMES: &[(StepKind, &str)] = &[
    (StepKind::Accept, "accept"),
    (StepKind::Refer, "refer"),
    (StepKind::Start, "start"),
    (StepKind::Progress, "progress"),
    (StepKind::Chase, "chase"),
    (StepKind::Rerefer, "rerefer"),
    (StepKind::Extend, "extend"),
    (StepKind::Reply, "reply"),
    (StepKind::Return, "return"),
    (StepKind::Close, "close"),
];

pub fn step_name(kind: StepKind) -> Option<&'static str> {
    STEP_NAMES.iter().find(|(k, _)| *k == kind).map(|(_, n)| *n)
}

pub fn step_kind(name: &str) -> Option<StepKind> {
    STEP_NAMES
        .iter()
        .find(|(_, n)| *n == name.trim())
        .map(|(k, _)| *k)
}

/// A step's form as posted: which step, and the fields it may carry.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct StepForm {
    pub step: String,
    /// A unit of the catalogue, by id.
    pub unit: String,
    pub deadline: String,
    /// The deadline as a number of working days (工作日), in place of
    /// `deadline`: from today for a referral, past the current deadline
    /// for an extension.
    pub working_days: String,
    /// The requirement, chase note, re-referral note, return reason or
    /// progress text.
    pub note: String,
    pub reply: String,
    pub document: String,
    /// The reply's class, A–D, or empty.
    pub class: String,
}

/// Why a form could not become a step (before the status machine sees it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FormProblem {
    UnknownStep,
    NotAUnit,
    BadDate,
    EmptyText,
    /// Working days that are not a number from 1 to `MAX_WORKING_DAYS`.
    BadWorkingDays,
    /// A date and a number of working days both.
    TwoDeadlines,
    /// Working days into a year the holiday table does not cover.
    NotCovered(NotCovered),
}

/// The most working days a deadline may be given in.
pub const MAX_WORKING_DAYS: u32 = 250;

impl FormProblem {
    pub fn message(self, w: &Work) -> String {
        match self {
            FormProblem::UnknownStep => w.no_actions.to_string(),
            FormProblem::NotAUnit => w.not_a_unit.to_string(),
            FormProblem::BadDate => w.bad_date.to_string(),
            FormProblem::EmptyText => w.empty_text.to_string(),
            FormProblem::BadWorkingDays => w.lang.pick(
                format!("工作日数应为 1 到 {MAX_WORKING_DAYS} 的整数"),
                format!("working days are a whole number from 1 to {MAX_WORKING_DAYS}"),
            ),
            FormProblem::TwoDeadlines => w
                .lang
                .pick(
                    "期限请填日期或工作日数，只填一个",
                    "give the deadline as a date or as working days, not both",
                )
                .to_string(),
            FormProblem::NotCovered(e) => e.message(w.lang),
        }
    }
}

/// What a deadline given in working days is counted from: today for a
/// referral, the appeal's current deadline for an extension, by the
/// county's holiday table.
#[derive(Debug, Clone, Copy)]
pub struct Reckoning<'a> {
    pub today: NaiveDate,
    pub current: Option<NaiveDate>,
    pub holidays: &'a Holidays,
}

pub fn parse_date(text: &str) -> Result<NaiveDate, FormProblem> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| FormProblem::BadDate)
}

impl StepForm {
    /// The deadline the form gives: its date, or its working days counted
    /// from `from` by `at`'s table.
    fn deadline(&self, from: NaiveDate, at: &Reckoning) -> Result<NaiveDate, FormProblem> {
        let days = self.working_days.trim();
        if days.is_empty() {
            return parse_date(&self.deadline);
        }
        if !self.deadline.trim().is_empty() {
            return Err(FormProblem::TwoDeadlines);
        }
        let n: u32 = days
            .parse()
            .ok()
            .filter(|n| (1..=MAX_WORKING_DAYS).contains(n))
            .ok_or(FormProblem::BadWorkingDays)?;
        at.holidays
            .add_working_days(from, n)
            .map_err(FormProblem::NotCovered)
    }

    /// The step this form asks for, and its note, with the unit looked up
    /// in `units` (the catalogue's units in use): no other unit is taken.
    /// A deadline in working days is counted as `at` says.
    pub fn step(&self, units: &[Unit], at: &Reckoning) -> Result<(Step, String), FormProblem> {
        let kind = step_kind(&self.step).ok_or(FormProblem::UnknownStep)?;
        let unit = || -> Result<String, FormProblem> {
            let id: i64 = self.unit.trim().parse().map_err(|_| FormProblem::NotAUnit)?;
            units
                .iter()
                .find(|u| u.id == id)
                .map(|u| u.name.clone())
                .ok_or(FormProblem::NotAUnit)
        };
        let note = self.note.trim().to_string();
        let step = match kind {
            StepKind::Accept => Step::Accept,
            StepKind::Start => Step::Start,
            StepKind::Chase => Step::Chase,
            StepKind::Close => Step::Close,
            StepKind::Progress => Step::Progress,
            StepKind::Return => Step::Return,
            StepKind::Refer => Step::Refer {
                unit: unit()?,
                deadline: self.deadline(at.today, at)?,
            },
            StepKind::Rerefer => Step::Rerefer {
                unit: unit()?,
                deadline: self.deadline(at.today, at)?,
            },
            StepKind::Extend => Step::Extend {
                deadline: self.deadline(at.current.unwrap_or(at.today), at)?,
            },
            StepKind::Reply => Step::Reply {
                reply: self.reply.trim().to_string(),
                document: Some(self.document.trim().to_string()).filter(|d| !d.is_empty()),
                class: crate::domain::ReplyClass::parse(&self.class),
            },
            _ => return Err(FormProblem::UnknownStep),
        };
        Ok((step, note))
    }
}

/// What the page says above the appeal after a step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    Done(String),
    Refused(String),
}

/// What an appeal's page shows.
pub struct AppealView<'a> {
    /// The appeal as this look may show it: masked unless `revealed`.
    pub appeal: &'a Appeal,
    pub revealed: bool,
    pub station_code: &'a str,
    pub station_name: &'a str,
    pub role: CountyRole,
    /// The steps the status machine and the role allow now.
    pub actions: &'a [StepKind],
    /// The catalogue's units the refer and re-refer forms offer (filtered).
    pub units: &'a [&'a Unit],
    pub unit_filter: &'a str,
    pub extensions: &'a [Extension],
    /// Whether the unit may ask for more time now.
    pub may_ask_extension: bool,
    pub notice: Option<Notice>,
    /// The form as posted, to fill the boxes again after a refusal.
    pub form: &'a StepForm,
    /// The session's CSRF field.
    pub csrf: Markup,
    pub today: NaiveDate,
}

/// The page's content (the frame is the layout's).
pub fn render(w: &Work, v: &AppealView) -> Markup {
    let lang = w.lang;
    let a = v.appeal;
    let path = format!("/office/a/{}", a.code);
    html! {
        @match &v.notice {
            Some(Notice::Done(text)) => p.done role="status" { (w.done) (text) },
            Some(Notice::Refused(text)) => p.error role="alert" { (w.not_done) (text) },
            None => {},
        }
        dl.appeal {
            dt { (w.col_title) } dd { (a.title) }
            dt { (w.content) } dd.content { (a.content) }
            dt { (w.location) } dd { (a.location) }
            dt { (w.station) } dd { (v.station_name) " (" (v.station_code) ")" }
            dt { (w.col_registered) } dd { (zone().show(&a.registered_at)) }
            dt { (w.category) } dd { (a.category.label(lang)) }
            dt { (w.urgency) } dd { (a.urgency.label(lang)) }
            dt { (w.route) } dd { (a.route.label(lang)) }
            dt { (w.channel) } dd { (a.channel.label(lang)) }
            @if let Some(day) = a.meeting {
                dt { (w.meeting) } dd { (day.format("%Y-%m-%d").to_string()) }
            }
            dt { (w.deputies) }
            dd {
                @if a.deputies.is_empty() { (w.none) }
                @for (n, d) in a.deputies.iter().enumerate() {
                    @if n > 0 { (lang.pick("、", ", ")) }
                    (d.name) " (" (d.id) ")"
                }
            }
            dt { (w.status) } dd { (a.status.label(lang)) " · " (w.round(a.round)) }
            dt { (w.unit) } dd { (a.unit.as_deref().unwrap_or(w.none)) }
            @if let Some(class) = a.reply_class {
                dt { (w.reply_class) } dd { (class.label(lang)) }
            }
            dt { (w.deadline) }
            dd {
                @if let Some(d) = a.deadline {
                    (d.to_string())
                    @if a.is_overdue(v.today) {
                        " " strong.overdue { (crate::county::holidays().lateness(d, v.today).text(lang)) }
                    }
                } @else { (w.none) }
            }
            dt { (w.col_chases) } dd { (a.chases) }
            @if let Some(reply) = &a.reply { dt { (w.reply) } dd.content { (reply) } }
            @if let Some(s) = a.satisfaction { dt { (w.col_satisfaction) } dd { (s.label(lang)) } }
        }
        (visitor(w, v, &path))
        h2 { (w.timeline) }
        (timeline(w, a))
        @if !v.extensions.is_empty() {
            h2 { (w.extensions) }
            (extensions(w, v, &path))
        }
        h2 { (w.actions) }
        (forms(w, v, &path))
        p { a href="/office/queue" { (w.back_to_queue) } }
    }
}

fn visitor(w: &Work, v: &AppealView, path: &str) -> Markup {
    let visitor = &v.appeal.visitor;
    html! {
        h2 { (w.visitor) }
        dl.visitor {
            dt { (w.visitor_name) } dd { (visitor.name) }
            dt { (w.visitor_phone) } dd { (visitor.phone) }
            dt { (w.visitor_id) } dd { (visitor.id_number) }
            @if v.revealed {
                dt { (w.visitor_address) } dd { (visitor.address) }
            }
            dt { (w.group_size) } dd { (v.appeal.group_size) }
        }
        @if v.revealed {
            p.muted { (w.revealed_note) }
        } @else {
            p.muted { (w.masked_note) }
            @if v.role == CountyRole::Office {
                form method="post" action={ (path) "/reveal" } {
                    (v.csrf)
                    button type="submit" { (w.reveal) }
                }
            }
        }
    }
}

fn timeline(w: &Work, a: &Appeal) -> Markup {
    let lang = w.lang;
    html! {
        table.timeline {
            thead { tr {
                th { (w.col_when) } th { (w.col_source) } th { (w.col_who) }
                th { (w.col_step) } th { (w.col_note) }
            } }
            tbody {
                @for h in &a.history {
                    tr class=[h.not_applied.is_some().then_some("not-applied")] {
                        td { (zone().show(&h.at)) }
                        td { (if h.event.is_county() { w.from_county } else { w.from_station }) }
                        td { (h.actor) }
                        td { (h.step.describe(lang)) }
                        td {
                            (h.note)
                            @if let Some(why) = &h.not_applied {
                                @if !h.note.is_empty() { br; }
                                em { (why.message(lang)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn extensions(w: &Work, v: &AppealView, path: &str) -> Markup {
    html! {
        table.extensions {
            thead { tr {
                th { (w.col_asked_by) } th { (w.col_asked_at) } th { (w.col_new_deadline) }
                th { (w.col_reason) } th { (w.col_decision) }
            } }
            tbody {
                @for e in v.extensions {
                    tr {
                        td { (e.asked_by) }
                        td { (zone().show(&e.asked_at)) }
                        td { (e.deadline.to_string()) }
                        td { (e.reason) }
                        td {
                            @match e.granted {
                                Some(true) => { (w.granted) " " (e.decided_by.as_deref().unwrap_or("")) }
                                Some(false) => { (w.refused) " " (e.decided_by.as_deref().unwrap_or("")) }
                                None => {
                                    (w.pending)
                                    @if v.role == CountyRole::Office {
                                        form.inline method="post" action={ (path) "/extension/" (e.id) } {
                                            (v.csrf)
                                            button type="submit" name="grant" value="1" { (w.grant) }
                                            " "
                                            button type="submit" name="grant" value="0" { (w.refuse) }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The units' `<select>`: the catalogue's units (as filtered), the one
/// posted chosen again.
fn unit_select(w: &Work, v: &AppealView, id: &str) -> Markup {
    html! {
        label { (w.unit) " "
            select name="unit" id=(id) required {
                option value="" { (w.choose_unit) }
                @for u in v.units {
                    option value=(u.id) data-initials=(u.initials) selected[v.form.unit.trim() == u.id.to_string()] {
                        (u.name) " (" (u.initials) ")"
                    }
                }
            }
        }
    }
}

fn deadline_box(w: &Work, v: &AppealView) -> Markup {
    html! {
        label { (w.deadline) " "
            input type="date" name="deadline" required value=(v.form.deadline) min=(v.today.to_string());
        }
    }
}

/// A deadline as a date or as a number of working days (counted by the
/// county's holiday table: from today, or for an extension past the
/// current deadline).
fn deadline_or_working_days(w: &Work, v: &AppealView, extending: bool) -> Markup {
    html! {
        label { (w.deadline) " "
            input type="date" name="deadline" value=(v.form.deadline) min=(v.today.to_string());
        }
        " " (w.lang.pick("或", "or")) " "
        label {
            input type="number" name="working_days" value=(v.form.working_days) min="1" max=(MAX_WORKING_DAYS) size="4";
            " "
            @if extending {
                (w.lang.pick("个工作日（原期限后顺延，按节假日安排）", "working days past the current deadline (by the holiday table)"))
            } @else {
                (w.lang.pick("个工作日（自今天起，按节假日安排）", "working days from today (by the holiday table)"))
            }
        }
    }
}

fn note_box(label: &str, v: &AppealView, required: bool) -> Markup {
    html! {
        label.block { (label)
            textarea name="note" rows="3" cols="60" required[required] { (v.form.note) }
        }
    }
}

/// One form a step.
fn forms(w: &Work, v: &AppealView, path: &str) -> Markup {
    let lang = w.lang;
    let step_path = format!("{path}/step");
    let referring = v
        .actions
        .iter()
        .any(|k| matches!(k, StepKind::Refer | StepKind::Rerefer));
    html! {
        @if v.actions.is_empty() && !v.may_ask_extension {
            p { (w.no_actions) }
        }
        @if referring {
            script src="/office/unit-filter.js" defer {}
            // Without JavaScript: the units' list filtered by a GET.
            form.unit-filter method="get" action=(path) {
                label { (w.unit_filter) " "
                    input type="search" name="unit_filter" value=(v.unit_filter) placeholder=(w.unit_filter_hint) size="12";
                }
                " " button type="submit" { (w.unit_filter_go) }
            }
        }
        @for kind in v.actions {
            @if let Some(name) = step_name(*kind) {
                form.step id=(name) method="post" action=(step_path) {
                    (v.csrf)
                    input type="hidden" name="step" value=(name);
                    fieldset {
                        legend { (kind.label(lang)) }
                        @match kind {
                            StepKind::Refer => {
                                (unit_select(w, v, "refer-unit"))
                                (deadline_or_working_days(w, v, false))
                                (note_box(w.requirement, v, false))
                            }
                            StepKind::Rerefer => {
                                (unit_select(w, v, "rerefer-unit"))
                                (deadline_or_working_days(w, v, false))
                                (note_box(w.rerefer_note, v, false))
                            }
                            StepKind::Chase => { (note_box(w.chase_note, v, false)) }
                            StepKind::Extend => {
                                (deadline_or_working_days(w, v, true))
                                (note_box(w.col_reason, v, false))
                            }
                            StepKind::Progress => { (note_box(w.progress_text, v, true)) }
                            StepKind::Return => { (note_box(w.return_reason, v, true)) }
                            StepKind::Reply => {
                                label.block { (w.reply_text)
                                    textarea name="reply" rows="4" cols="60" required { (v.form.reply) }
                                }
                                label { (w.document_number) " "
                                    input type="text" name="document" value=(v.form.document) size="24";
                                }
                                label { (w.reply_class) " "
                                    select name="class" {
                                        option value="" { (w.none) }
                                        @for c in crate::domain::ReplyClass::ALL {
                                            option value=(c.code()) selected[v.form.class == c.code()] { (c.label(lang)) }
                                        }
                                    }
                                }
                            }
                            _ => {}
                        }
                        button type="submit" { (kind.label(lang)) }
                    }
                }
            }
        }
        @if v.may_ask_extension {
            form.step id="ask-extension" method="post" action={ (path) "/extension" } {
                (v.csrf)
                fieldset {
                    legend { (w.ask_extension) }
                    (deadline_box(w, v))
                    label.block { (w.ask_reason)
                        textarea name="note" rows="3" cols="60" required { (v.form.note) }
                    }
                    button type="submit" { (w.ask) }
                }
            }
        }
    }
}

/// The 404 of an appeal the county does not hold, or a unit may not see.
pub fn not_found(w: &Work) -> Markup {
    html! {
        p { (w.not_found_text) }
        p { a href="/office/" { (w.back_to_queue) } }
    }
}

/// Whether `staff` may see the appeal: a unit's staff only the appeals
/// referred to their unit.
pub fn may_see(appeal: &Appeal, staff: &Staff) -> bool {
    match staff.role() {
        CountyRole::Office | CountyRole::Viewer => true,
        CountyRole::Unit => match (&staff.user.unit, &appeal.unit) {
            (Some((_, mine)), Some(held)) => mine == held,
            _ => false,
        },
    }
}

/// The appeal `code` names, if the county holds it and `staff` may see it.
async fn visible(shared: &Shared, staff: &Staff, code: &str) -> Result<Option<HeldAppeal>, CountyError> {
    let Ok(code) = code.parse::<TrackingCode>() else {
        return Ok(None);
    };
    Ok(shared
        .db
        .appeal(code.as_str())
        .await?
        .filter(|held| may_see(&held.appeal, staff)))
}

/// The same answer for a code the county does not hold and one a unit
/// may not see.
fn missing(lang: Lang, staff: &Staff) -> Response {
    let w = words(lang);
    layout::answer(
        StatusCode::NOT_FOUND,
        layout::page(lang, Some(staff), w.not_found, not_found(w)),
    )
}

/// The page's query: the units' filter, the step just done.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct AppealParams {
    pub unit_filter: String,
    pub done: String,
}

/// How the page is shown this time.
#[derive(Default)]
struct Look {
    revealed: bool,
    notice: Option<Notice>,
    form: StepForm,
    unit_filter: String,
}

/// An appeal asked for by a signed-in person who may see it.
struct Asked {
    shared: Shared,
    staff: Staff,
    lang: Lang,
    held: HeldAppeal,
}

impl Asked {
    /// The appeal `code`, or the answer when it is not to be had: the
    /// same 404 for a code the county does not hold and for one the
    /// person may not see.
    async fn find(shared: Shared, staff: Staff, lang: Lang, code: &str) -> Result<Asked, Response> {
        match visible(&shared, &staff, code).await {
            Ok(Some(held)) => Ok(Asked {
                shared,
                staff,
                lang,
                held,
            }),
            Ok(None) => Err(missing(lang, &staff)),
            Err(e) => Err(super::server_error("an appeal", &e)),
        }
    }

    fn code(&self) -> String {
        self.held.appeal.code.to_string()
    }

    /// The page again, the boxes filled as posted, saying why not.
    async fn refuse(&self, text: String, form: StepForm, status: StatusCode) -> Response {
        let look = Look {
            notice: Some(Notice::Refused(text)),
            form,
            ..Look::default()
        };
        self.show(look, status).await
    }

    /// An action done: recorded in the audit log, then back to the page.
    async fn done(&self, action: &str, detail: &str, back: &str) -> Response {
        let staff = &self.staff;
        let code = self.code();
        audit::note(
            &self.shared.db,
            &staff.user.name,
            action,
            &code,
            &staff.address,
            detail,
        )
        .await;
        Redirect::to(&format!("/office/a/{code}{back}")).into_response()
    }

    /// The page as the person may see it, with `status`.
    async fn show(&self, look: Look, status: StatusCode) -> Response {
        let (shared, staff, held) = (&self.shared, &self.staff, &self.held);
        let w = words(self.lang);
        let role = staff.role();
        let code = held.appeal.code.as_str();
        let loaded = async {
            let station = shared.db.station(&held.station).await?;
            let units = match role {
                CountyRole::Office => units::list(&shared.db, false).await?,
                _ => Vec::new(),
            };
            let extensions = crate::county::staff::extensions_for(&shared.db, code).await?;
            Ok::<_, CountyError>((station, units, extensions))
        }
        .await;
        let (station, units, extensions) = match loaded {
            Ok(loaded) => loaded,
            Err(e) => return super::server_error("an appeal's page", &e),
        };
        let shown = if look.revealed {
            held.appeal.clone()
        } else {
            public_appeal(&held.appeal)
        };
        let actions = county_steps::actions(&held.appeal, role);
        let asking = role == CountyRole::Unit
            && held.appeal.status.awaits_unit()
            && !extensions.iter().any(|e| e.granted.is_none());
        let view = AppealView {
            appeal: &shown,
            revealed: look.revealed,
            station_code: &held.station,
            station_name: station.as_ref().map(|s| s.name.as_str()).unwrap_or(""),
            role,
            actions: &actions,
            units: &units::filter(&units, &look.unit_filter),
            unit_filter: &look.unit_filter,
            extensions: &extensions,
            may_ask_extension: asking,
            notice: look.notice,
            form: &look.form,
            csrf: layout::csrf_field(staff),
            today: zone().today(),
        };
        layout::answer(
            status,
            layout::page(self.lang, Some(staff), &w.appeal_title(code), render(w, &view)),
        )
    }
}

/// `GET /office/a/{code}`.
pub async fn page(
    staff: Staff,
    PageLang(lang): PageLang,
    State(shared): State<Shared>,
    Path(code): Path<String>,
    query: Result<Query<AppealParams>, QueryRejection>,
) -> Response {
    let params = query.map(|Query(p)| p).unwrap_or_default();
    let asked = match Asked::find(shared, staff, lang, &code).await {
        Ok(asked) => asked,
        Err(answer) => return answer,
    };
    let w = words(lang);
    let notice = match params.done.as_str() {
        "ask_extension" => Some(Notice::Done(w.extension_asked.to_string())),
        "decide_extension" => Some(Notice::Done(w.extension_decided.to_string())),
        done => step_kind(done).map(|k| Notice::Done(k.label(lang).to_string())),
    };
    let look = Look {
        notice,
        unit_filter: params.unit_filter,
        ..Look::default()
    };
    asked.show(look, StatusCode::OK).await
}

/// The units' live filter, for browsers with JavaScript.
const UNIT_FILTER: &str = include_str!("unit_filter.js");

/// `GET /office/unit-filter.js`.
pub async fn unit_filter_script() -> Response {
    let kind = HeaderValue::from_static("text/javascript; charset=utf-8");
    ([(header::CONTENT_TYPE, kind)], UNIT_FILTER).into_response()
}

/// The form of a button alone (its token is `CsrfForm`'s).
#[derive(Debug, Default, Deserialize)]
pub struct Empty {}

/// `POST /office/a/{code}/reveal` (the office): the page with the
/// visitor's name, phone and ID shown, this once; the look is audited.
pub async fn reveal(
    PageLang(lang): PageLang,
    State(shared): State<Shared>,
    Path(code): Path<String>,
    CsrfForm { staff, .. }: CsrfForm<Empty>,
) -> Response {
    let asked = match Asked::find(shared, staff, lang, &code).await {
        Ok(asked) => asked,
        Err(answer) => return answer,
    };
    let (db, staff) = (&asked.shared.db, &asked.staff);
    if let Err(e) = audit::record(db, &staff.user.name, "reveal", &asked.code(), &staff.address, "").await {
        // Not recorded: not shown.
        return super::server_error("recording a look at a visitor", &e);
    }
    let look = Look {
        revealed: true,
        ..Look::default()
    };
    asked.show(look, StatusCode::OK).await
}

/// `POST /office/a/{code}/step`: one step, by the person signed in.
pub async fn step(
    PageLang(lang): PageLang,
    State(shared): State<Shared>,
    Path(code): Path<String>,
    CsrfForm { staff, form }: CsrfForm<StepForm>,
) -> Response {
    let w = words(lang);
    let asked = match Asked::find(shared, staff, lang, &code).await {
        Ok(asked) => asked,
        Err(answer) => return answer,
    };
    let role = asked.staff.role();
    let Some(kind) = step_kind(&form.step).filter(|k| county_steps::role_allows(role, *k)) else {
        return asked
            .refuse(w.no_actions.to_string(), form, StatusCode::FORBIDDEN)
            .await;
    };
    let units = match units::list(&asked.shared.db, false).await {
        Ok(units) => units,
        Err(e) => return super::server_error("a step", &e),
    };
    let at = Reckoning {
        today: zone().today(),
        current: asked.held.appeal.deadline,
        holidays: crate::county::holidays(),
    };
    let (step, note) = match form.step(&units, &at) {
        Ok(step) => step,
        Err(problem) => {
            let text = problem.message(w);
            return asked.refuse(text, form, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let detail = match note.as_str() {
        "" => step.describe(Lang::Zh),
        note => format!("{}\n{note}", step.describe(Lang::Zh)),
    };
    let actor = asked.staff.actor();
    match crate::county::staff::step(&asked.shared.db, &asked.code(), step, &note, &actor).await {
        Ok(StepOutcome::Done { .. }) => {
            let name = step_name(kind).unwrap_or_default();
            asked.done(name, &detail, &format!("?done={name}")).await
        }
        Ok(StepOutcome::Refused(refusal)) => {
            asked
                .refuse(refusal.message(lang), form, StatusCode::CONFLICT)
                .await
        }
        Ok(StepOutcome::NotHeld(_)) => missing(lang, &asked.staff),
        Err(e) => super::server_error("a step", &e),
    }
}

/// A unit's request for more time as posted.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct AskForm {
    pub deadline: String,
    pub note: String,
}

/// `POST /office/a/{code}/extension` (a unit): asks for a later deadline;
/// the office decides.
pub async fn ask_extension(
    PageLang(lang): PageLang,
    State(shared): State<Shared>,
    Path(code): Path<String>,
    CsrfForm { staff, form }: CsrfForm<AskForm>,
) -> Response {
    let w = words(lang);
    let asked = match Asked::find(shared, staff, lang, &code).await {
        Ok(asked) => asked,
        Err(answer) => return answer,
    };
    let staff = &asked.staff;
    let Some((_, unit)) = staff
        .user
        .unit
        .as_ref()
        .filter(|_| staff.role() == CountyRole::Unit)
    else {
        let forbidden = super::words::FORBIDDEN_ROLE.get(lang);
        return layout::message(
            lang,
            Some(staff),
            StatusCode::FORBIDDEN,
            super::words::FORBIDDEN,
            forbidden,
        );
    };
    let posted = StepForm {
        deadline: form.deadline.clone(),
        note: form.note.clone(),
        ..StepForm::default()
    };
    let deadline = match parse_date(&form.deadline) {
        Ok(d) => d,
        Err(problem) => {
            let text = problem.message(w);
            return asked.refuse(text, posted, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let reason = form.note.trim();
    let db = &asked.shared.db;
    match crate::county::staff::ask_extension(db, &asked.code(), unit, &staff.actor(), deadline, reason).await
    {
        Ok(_) => {
            asked
                .done(
                    "ask_extension",
                    &format!("{deadline}\n{reason}"),
                    "?done=ask_extension",
                )
                .await
        }
        Err(ExtensionRefusal::County(e)) => super::server_error("asking for more time", &e),
        Err(problem) => {
            asked
                .refuse(problem.message(lang), posted, StatusCode::CONFLICT)
                .await
        }
    }
}

/// The office's decision on a request for more time.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct DecideForm {
    pub grant: String,
}

/// `POST /office/a/{code}/extension/{id}` (the office): grants (the
/// deadline moves, by a county step) or refuses a request of this appeal.
pub async fn decide_extension(
    PageLang(lang): PageLang,
    State(shared): State<Shared>,
    Path((code, id)): Path<(String, i64)>,
    CsrfForm { staff, form }: CsrfForm<DecideForm>,
) -> Response {
    let asked = match Asked::find(shared, staff, lang, &code).await {
        Ok(asked) => asked,
        Err(answer) => return answer,
    };
    let db = &asked.shared.db;
    let ours = match crate::county::staff::extensions_for(db, &asked.code()).await {
        Ok(requests) => requests.iter().any(|e| e.id == id),
        Err(e) => return super::server_error("deciding on more time", &e),
    };
    if !ours {
        return missing(lang, &asked.staff);
    }
    let grant = form.grant.trim() == "1";
    match crate::county::staff::decide_extension(db, id, grant, &asked.staff.actor()).await {
        Ok(_) => {
            let action = if grant {
                "grant_extension"
            } else {
                "refuse_extension"
            };
            asked
                .done(action, &id.to_string(), "?done=decide_extension")
                .await
        }
        Err(ExtensionRefusal::County(e)) => super::server_error("deciding on more time", &e),
        Err(problem) => {
            let text = problem.message(lang);
            asked
                .refuse(text, StepForm::default(), StatusCode::CONFLICT)
                .await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Visitor;
    use chrono::DateTime;

    fn units() -> Vec<Unit> {
        vec![
            Unit {
                id: 3,
                name: "青禾县交通运输局".into(),
                initials: "qhxjtysj".into(),
                disabled: false,
            },
            Unit {
                id: 4,
                name: "青禾县住房和城乡建设局".into(),
                initials: "qhxzfhcxjsj".into(),
                disabled: false,
            },
        ]
    }

    /// Today Thu 2026-02-12, the current deadline Fri 2026-02-13, by the
    /// shipped table.
    fn at() -> Reckoning<'static> {
        Reckoning {
            today: NaiveDate::from_ymd_opt(2026, 2, 12).unwrap(),
            current: NaiveDate::from_ymd_opt(2026, 2, 13),
            holidays: crate::county::holidays(),
        }
    }

    #[test]
    fn a_deadline_in_working_days_is_counted_by_the_holiday_table() {
        let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
        let mut f = form("refer", "3", "");
        f.working_days = " 3 ".into();
        // Fri 02-13, Sat 02-14 (worked), then the Spring Festival: Tue 02-24.
        assert_eq!(
            f.step(&units(), &at()).unwrap().0,
            Step::Refer {
                unit: "青禾县交通运输局".into(),
                deadline: day(2, 24),
            }
        );
        // An extension counts past the current deadline (Fri 02-13): Sat
        // 02-14, Tue 02-24.
        let mut f = form("extend", "", "");
        f.working_days = "2".into();
        assert_eq!(
            f.step(&units(), &at()).unwrap().0,
            Step::Extend { deadline: day(2, 24) }
        );
        f.deadline = "2026-03-01".into();
        assert_eq!(f.step(&units(), &at()), Err(FormProblem::TwoDeadlines));
        for bad in ["0", "abc", "251"] {
            let mut f = form("refer", "3", "");
            f.working_days = bad.into();
            assert_eq!(f.step(&units(), &at()), Err(FormProblem::BadWorkingDays), "{bad}");
        }
        // Into 2027, which the shipped table does not cover.
        let mut f = form("refer", "3", "");
        f.working_days = "250".into();
        let problem = f.step(&units(), &at()).unwrap_err();
        assert_eq!(
            problem,
            FormProblem::NotCovered(crate::domain::calendar::NotCovered(2027))
        );
        assert!(problem.message(words(Lang::Zh)).contains("2027 年"));
    }

    fn form(step: &str, unit: &str, deadline: &str) -> StepForm {
        StepForm {
            step: step.into(),
            unit: unit.into(),
            deadline: deadline.into(),
            note: " 请一周内答复 ".into(),
            ..StepForm::default()
        }
    }

    #[test]
    fn a_referral_names_a_unit_of_the_catalogue_only() {
        let (step, note) = form("refer", "3", "2099-12-31").step(&units(), &at()).unwrap();
        assert_eq!(
            step,
            Step::Refer {
                unit: "青禾县交通运输局".into(),
                deadline: NaiveDate::from_ymd_opt(2099, 12, 31).unwrap(),
            }
        );
        assert_eq!(note, "请一周内答复");
        assert_eq!(
            form("refer", "青禾县交通局", "2099-12-31").step(&units(), &at()),
            Err(FormProblem::NotAUnit)
        );
        assert_eq!(
            form("rerefer", "9", "2099-12-31").step(&units(), &at()),
            Err(FormProblem::NotAUnit)
        );
        assert_eq!(
            form("refer", "3", "31/12/2099").step(&units(), &at()),
            Err(FormProblem::BadDate)
        );
        assert_eq!(
            form("register", "", "").step(&units(), &at()),
            Err(FormProblem::UnknownStep)
        );
        let reply = StepForm {
            step: "reply".into(),
            reply: "已修复".into(),
            document: " 青交〔2026〕12号 ".into(),
            ..StepForm::default()
        };
        assert_eq!(
            reply.step(&units(), &at()).unwrap().0,
            Step::Reply {
                reply: "已修复".into(),
                document: Some("青交〔2026〕12号".into()),
                class: None,
            }
        );
    }

    fn appeal() -> Appeal {
        let at = DateTime::parse_from_rfc3339("2026-11-10T09:00:00+08:00").unwrap();
        let code =
            TrackingCode::new(NaiveDate::from_ymd_opt(2026, 11, 10).unwrap(), "330999012", 1, 1).unwrap();
        Appeal {
            visitor: Visitor {
                name: "林晓梅".into(),
                phone: "13800001234".into(),
                ..Visitor::default()
            },
            title: "<script>停车难</script>".into(),
            content: "林晓梅反映，电话 13800001234".into(),
            ..Appeal::registered(code, at)
        }
    }

    fn view<'a>(
        appeal: &'a Appeal,
        role: CountyRole,
        actions: &'a [StepKind],
        form: &'a StepForm,
    ) -> AppealView<'a> {
        AppealView {
            appeal,
            revealed: false,
            station_code: "330999012",
            station_name: "柳岸站",
            role,
            actions,
            units: &[],
            unit_filter: "",
            extensions: &[],
            may_ask_extension: false,
            notice: None,
            form,
            csrf: html! { input type="hidden" name="csrf" value="t"; },
            today: NaiveDate::from_ymd_opt(2026, 11, 11).unwrap(),
        }
    }

    #[test]
    fn a_viewer_gets_no_form_and_no_personal_data() {
        let held = appeal();
        let shown = public_appeal(&held);
        let form = StepForm::default();
        let page = render(words(Lang::Zh), &view(&shown, CountyRole::Viewer, &[], &form)).into_string();
        assert!(!page.contains("<form"), "{page}");
        assert!(
            !page.contains("林晓梅") && !page.contains("13800001234"),
            "{page}"
        );
        assert!(page.contains("&lt;script&gt;"), "escaped: {page}");
        assert!(page.contains("当前没有可以办理的步骤"));
    }

    #[test]
    fn the_office_gets_a_form_a_step_and_the_reveal_button() {
        let held = appeal();
        let shown = public_appeal(&held);
        let form = StepForm::default();
        let actions = [StepKind::Accept];
        let page = render(
            words(Lang::Zh),
            &view(&shown, CountyRole::Office, &actions, &form),
        )
        .into_string();
        assert!(page.contains("value=\"accept\""));
        assert!(page.contains("/office/a/") && page.contains("/reveal"));
        assert_eq!(page.matches("<form").count(), 2, "{page}");
        assert!(!page.contains("13800001234"));
        let mut revealed = view(&held, CountyRole::Office, &actions, &form);
        revealed.revealed = true;
        let page = render(words(Lang::Zh), &revealed).into_string();
        assert!(page.contains("13800001234") && !page.contains("/reveal"));
    }
}
