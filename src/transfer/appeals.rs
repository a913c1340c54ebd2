//! Appeal rows (诉求): from a station's old ledger or from an export.
//!
//! A row without a tracking code (查询码) is a historical appeal: it gets a
//! new code for its own date and is recorded as `AppealRegistered` followed
//! by the `AppealStepped` events ("导入") that walk the legal path to its
//! status, all dated at the row's date:
//!
//! - 已受理: Accept; 已交办: + Refer (承办单位 and 办理期限 required);
//!   办理中: + Start; 已答复: + Reply (答复 required); 已办结: + Rate.
//! - Route 当场答复 with status 已答复 or 已办结 takes the on-spot path
//!   instead: AnswerOnSpot (答复 required), then Rate when closed.
//! - A closed row must say how satisfied the citizen was (满意 or 基本满意);
//!   there is no default, and 满意度 on a row that is not closed is refused,
//!   as are 承办单位/办理期限/答复 on a row whose status cannot carry them,
//!   so nothing in a row is silently dropped.
//! - No visit (来访登记) is created for such rows; the appeal stands alone.
//!
//! A row with a tracking code and a history (历史, a JSON array of history
//! entries as `export` writes it) keeps its code, status and history: it
//! becomes one `AppealImported` event after the history has been replayed
//! and found legal. Its unit, deadline, reply, satisfaction and rounds come
//! from that replay; a row value that contradicts the history is refused.
//! Every text in the history (notes, replies, units, actors) must meet the
//! rules of the same text typed at the kiosk: no control characters or
//! escape sequences, the same length caps; a step dated after today is
//! refused, as is a row dated after today.

use std::collections::{BTreeMap, HashSet, VecDeque};

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime};

use crate::domain::desk;
use crate::domain::lifecycle::{self, Step, TransitionError, replay_history};
use crate::domain::privacy::mask::{mask_name, mask_numbers, shown};
use crate::domain::validate::{
    self, Field, MAX_ADDRESS, MAX_NAME, MAX_NOTE, MAX_REPLY, MAX_UNIT, clean_text, normalize_phone,
    text_field, validate_id_number,
};
use crate::domain::{
    Appeal, Category, Change, Deputy, DeputyRef, EventBody, HistoryEntry, Route, Satisfaction, Status,
    TrackingCode, Urgency, Visitor, Zone,
};
use crate::storage::StoreError;

use super::problem::{FieldProblem, RowProblem, StepText};
use super::table::{Column, Row};

/// Every appeal column, in export order.
pub static COLUMNS: &[Column] = &[
    Column::new("code", "查询码", "Tracking code", false),
    Column::new("date", "日期", "Date", true),
    Column::new("name", "姓名", "Name", false).text(),
    Column::new("phone", "电话", "Phone", false),
    Column::new("id_number", "身份证号", "ID number", false),
    Column::new("address", "住址", "Address", false).text(),
    Column::new("group_size", "人数", "Group size", false).number(),
    Column::new("category", "类别", "Category", false),
    Column::new("title", "标题", "Title", false).text(),
    Column::new("content", "诉求内容", "Content", true).text(),
    Column::new("location", "地点", "Location", false).text(),
    Column::new("deputy", "接待代表", "Deputy", false).list(),
    Column::new("urgency", "紧急程度", "Urgency", false),
    Column::new("route", "办理方式", "Route", false),
    Column::new("unit", "承办单位", "Handling unit", false).text(),
    Column::new("deadline", "办理期限", "Deadline", false),
    Column::new("reply", "答复", "Reply", false).text(),
    Column::new("satisfaction", "满意度", "Satisfaction", false),
    Column::new("status", "办理状态", "Status", false),
    Column::new("timestamp", "时间戳", "Timestamp", false),
    Column::new("category_code", "类别代码", "Category code", false),
    Column::new("urgency_code", "紧急程度代码", "Urgency code", false),
    Column::new("route_code", "办理方式代码", "Route code", false),
    Column::new("satisfaction_code", "满意度代码", "Satisfaction code", false),
    Column::new("status_code", "状态代码", "Status code", false),
    Column::new("history", "历史", "History", false).json(),
];

/// Columns that hold in words (and local time) what a machine column
/// beside them holds as a code (and an RFC 3339 time), as export writes
/// them: (human column, code column, the code a text names).
type Reading = fn(&str, Zone) -> Option<String>;
const CODED: &[(&str, &str, Reading)] = &[
    ("date", "timestamp", |t, zone| {
        parse_time(t, zone).map(|at| zone.show(&at))
    }),
    ("category", "category_code", |t, _| {
        Category::parse(t).map(|v| v.code().into())
    }),
    ("urgency", "urgency_code", |t, _| {
        Urgency::parse(t).map(|v| v.code().into())
    }),
    ("route", "route_code", |t, _| {
        Route::parse(t).map(|v| v.code().into())
    }),
    ("satisfaction", "satisfaction_code", |t, _| {
        Satisfaction::parse(t).map(|v| v.code().into())
    }),
    ("status", "status_code", |t, _| {
        Status::parse(t).map(|v| v.code().into())
    }),
];

/// A row whose code columns stand in for the words beside them; words
/// that say something else than their code are refused (a cell edited in
/// a spreadsheet and its code left as it was).
fn with_codes(row: &Row, zone: Zone) -> Result<Row, RowProblem> {
    let mut row = row.clone();
    for (human, code, read) in CODED {
        let coded = row.get(code).trim().to_string();
        if coded.is_empty() {
            continue;
        }
        let words = row.get(human).trim();
        let differs = match (read(words, zone), read(&coded, zone)) {
            (Some(a), Some(b)) if *human == "date" && words.len() <= 10 => !b.starts_with(&a[..10]),
            (Some(a), Some(b)) => a != b,
            (None, _) => !words.is_empty(),
            (Some(_), None) => false,
        };
        if differs {
            return Err(err(
                human,
                FieldProblem::Disagrees {
                    words: shown(words),
                    coded: shown(&coded),
                    code_column: col(code),
                },
            ));
        }
        row.set(human, coded);
    }
    Ok(row)
}

/// The note on the steps an import walks.
pub const IMPORT_NOTE: &str = "导入";

/// What one valid row will record.
#[derive(Debug, Clone)]
pub enum Planned {
    /// A historical appeal: registered under a new code, then stepped.
    New {
        at: DateTime<FixedOffset>,
        appeal: Appeal,
        steps: Vec<Step>,
    },
    /// An exported appeal, whole.
    Imported(Appeal),
}

impl Planned {
    pub fn code(&self) -> Option<&TrackingCode> {
        match self {
            Planned::New { .. } => None,
            Planned::Imported(a) => Some(&a.code),
        }
    }
}

/// What a row is checked against.
pub struct Context<'a> {
    /// Bounds birth dates in ID numbers.
    pub today: NaiveDate,
    /// The station's time zone: times without an offset are read in it.
    pub zone: Zone,
    /// The station's deputies: names on rows resolve to them.
    pub roster: &'a [Deputy],
    pub station: &'a str,
    pub terminal: u8,
}

fn col(key: &str) -> &'static Column {
    COLUMNS.iter().find(|c| c.key == key).unwrap_or(&COLUMNS[0])
}

fn err(key: &str, problem: FieldProblem) -> RowProblem {
    RowProblem::field(col(key), problem)
}

fn required(key: &str) -> RowProblem {
    err(key, FieldProblem::Required)
}

/// "YYYY-MM-DD", "YYYY-MM-DD HH:MM[:SS]" (also with / as Excel writes
/// dates, or T) in the station's zone, or RFC 3339.
pub fn parse_time(text: &str, zone: Zone) -> Option<DateTime<FixedOffset>> {
    let local = |naive: NaiveDateTime| zone.from_local(naive);
    let t = text.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Some(dt);
    }
    let t = t.replace('/', "-");
    for f in [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ] {
        if let Ok(n) = NaiveDateTime::parse_from_str(&t, f) {
            return local(n);
        }
    }
    NaiveDate::parse_from_str(&t, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .and_then(local)
}

/// "YYYY-MM-DD" (or with /).
pub fn parse_date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(&text.trim().replace('/', "-"), "%Y-%m-%d").ok()
}

/// A closed vocabulary cell: empty gives the default, unknown is an error
/// listing the known values.
macro_rules! word {
    ($ty:ty, $row:expr, $key:literal, $default:expr) => {{
        let text = $row.get($key).trim();
        if text.is_empty() {
            Ok($default)
        } else {
            <$ty>::parse(text).ok_or_else(|| {
                err(
                    $key,
                    FieldProblem::UnknownValue {
                        text: shown(text),
                        known: <$ty>::known,
                    },
                )
            })
        }
    }};
}

fn optional_text(v: String) -> Option<String> {
    if v.is_empty() { None } else { Some(v) }
}

/// Names on a row (split on 、 ; , and their full-width forms) to deputies
/// of the roster.
fn resolve_deputies(text: &str, ctx: &Context<'_>) -> Result<Vec<DeputyRef>, RowProblem> {
    let mut out: Vec<DeputyRef> = Vec::new();
    for name in super::deputies::split_list(text) {
        let found: Vec<&Deputy> = ctx.roster.iter().filter(|d| d.name == name).collect();
        match found.as_slice() {
            [] => {
                // Masked: a visitor's name may have slipped into this column.
                let name = mask_name(&name);
                return Err(err("deputy", FieldProblem::NotOnRoster { name }));
            }
            [d] => {
                if !out.iter().any(|r| r.id == d.id) {
                    out.push(DeputyRef {
                        id: d.id.clone(),
                        name: d.name.clone(),
                    });
                }
            }
            _ => {
                return Err(err("deputy", FieldProblem::Ambiguous { name }));
            }
        }
    }
    Ok(out)
}

/// One row to what it will record, or why not (naming the field). Pure:
/// duplicates against the store are the caller's to check.
pub fn parse_row(row: &Row, ctx: &Context<'_>) -> Result<Planned, RowProblem> {
    let row = &with_codes(row, ctx.zone)?;
    let date_text = row.get("date").trim();
    if date_text.is_empty() {
        return Err(required("date"));
    }
    let at = parse_time(date_text, ctx.zone).ok_or_else(|| {
        err(
            "date",
            FieldProblem::BadDate {
                text: shown(date_text),
                with_time: true,
            },
        )
    })?;
    // The station's wall clock: the code's date is the station's date.
    let at = ctx.zone.local(&at);
    let day = at.date_naive();
    if day > ctx.today {
        return Err(err(
            "date",
            FieldProblem::Future {
                day,
                today: ctx.today,
            },
        ));
    }
    let name = text_field(Field::VisitorName, row.get("name"), false, MAX_NAME, false)?;
    let phone = if clean_text(row.get("phone"), false).is_empty() {
        String::new()
    } else {
        normalize_phone(row.get("phone"))?
    };
    let id_number = if clean_text(row.get("id_number"), false).is_empty() {
        String::new()
    } else {
        validate_id_number(row.get("id_number"), ctx.today)?
    };
    let address = text_field(Field::Address, row.get("address"), false, MAX_ADDRESS, false)?;
    let group_size = match row.get("group_size").trim() {
        "" => 1,
        t => validate::group_size(t)?,
    };
    let category = word!(Category, row, "category", Category::Other)?;
    let validate::AppealTexts {
        title,
        content,
        location,
    } = validate::appeal_texts(row.get("title"), row.get("content"), row.get("location"))?;
    let deputies = resolve_deputies(row.get("deputy"), ctx)?;
    let urgency = word!(Urgency, row, "urgency", Urgency::Normal)?;
    let route = word!(Route, row, "route", Route::Referred)?;
    let status = word!(Status, row, "status", Status::Registered)?;
    let unit = optional_text(text_field(Field::Unit, row.get("unit"), false, MAX_UNIT, false)?);
    let deadline = match row.get("deadline").trim() {
        "" => None,
        t => Some(parse_date(t).ok_or_else(|| {
            err(
                "deadline",
                FieldProblem::BadDate {
                    text: shown(t),
                    with_time: false,
                },
            )
        })?),
    };
    let reply = optional_text(text_field(
        Field::Reply,
        row.get("reply"),
        true,
        MAX_REPLY,
        false,
    )?);
    let satisfaction = if row.get("satisfaction").trim().is_empty() {
        None
    } else {
        Some(word!(Satisfaction, row, "satisfaction", Satisfaction::Satisfied)?)
    };
    let appeal = Appeal {
        code: placeholder_code(at, ctx)?,
        visit: None,
        registered_at: at,
        visitor: Visitor {
            name,
            phone,
            id_number,
            address,
        },
        group_size,
        deputies,
        category,
        title,
        content,
        location,
        urgency,
        route,
        status,
        unit,
        deadline,
        reply,
        reply_class: None,
        satisfaction,
        round: 0,
        chases: 0,
        history: Vec::new(),
        access_key: String::new(),
        channel: crate::domain::appeal::Channel::Desk,
        meeting: None,
        placing: None,
    };
    let code = row.get("code").trim();
    let history = row.get("history").trim();
    if code.is_empty() {
        if !history.is_empty() {
            return Err(err("history", FieldProblem::HistoryWithoutCode));
        }
        plan_new(appeal)
    } else {
        let code = code.parse::<TrackingCode>().map_err(|problem| {
            err(
                "code",
                FieldProblem::BadCode {
                    code: shown(code),
                    problem,
                },
            )
        })?;
        plan_imported(Appeal { code, ..appeal }, history, ctx)
    }
}

/// Stands in for the code until codes are issued at commit; also checks
/// that the date can carry a code (years 2000-2099).
fn placeholder_code(at: DateTime<FixedOffset>, ctx: &Context<'_>) -> Result<TrackingCode, RowProblem> {
    TrackingCode::new(at.date_naive(), ctx.station, ctx.terminal, 1)
        .map_err(|_| err("date", FieldProblem::OutsideYears { day: at.date_naive() }))
}

/// The legal path from Registered to the row's status, checked by a dry run.
fn plan_new(appeal: Appeal) -> Result<Planned, RowProblem> {
    let target = appeal.status;
    let reached = |s: Status| target.index() >= s.index();
    let on_spot = appeal.route == Route::OnSpot && reached(Status::Replied);
    let mut steps = Vec::new();
    let reply_step = |appeal: &Appeal| appeal.reply.clone().ok_or_else(|| required("reply"));
    if on_spot {
        steps.push(Step::AnswerOnSpot {
            reply: reply_step(&appeal)?,
        });
    } else {
        if reached(Status::Accepted) {
            steps.push(Step::Accept);
        }
        if reached(Status::Referred) {
            let unit = appeal.unit.clone().ok_or_else(|| required("unit"))?;
            let deadline = appeal.deadline.ok_or_else(|| required("deadline"))?;
            steps.push(Step::Refer { unit, deadline });
        }
        if reached(Status::InProgress) {
            steps.push(Step::Start);
        }
        if reached(Status::Replied) {
            steps.push(Step::Reply {
                reply: reply_step(&appeal)?,
                document: None,
                class: None,
            });
        }
    }
    if target == Status::Closed {
        match appeal.satisfaction {
            None => return Err(required("satisfaction")),
            Some(Satisfaction::Unsatisfied) => {
                return Err(err("satisfaction", FieldProblem::ClosedUnsatisfied));
            }
            Some(satisfaction) => steps.push(Step::Rate { satisfaction }),
        }
    }
    // Fields the status cannot carry would be lost: refuse them.
    let cannot_carry = |key: &str| err(key, FieldProblem::CannotCarry { status: target });
    let refers = steps.iter().any(|s| matches!(s, Step::Refer { .. }));
    if appeal.unit.is_some() && !refers {
        return Err(cannot_carry("unit"));
    }
    if appeal.deadline.is_some() && !refers {
        return Err(cannot_carry("deadline"));
    }
    if appeal.reply.is_some() && !reached(Status::Replied) {
        return Err(cannot_carry("reply"));
    }
    if appeal.satisfaction.is_some() && target != Status::Closed {
        return Err(cannot_carry("satisfaction"));
    }
    // Each step passes the desk's rules, as at the kiosk, on the row's date.
    let registered = appeal.as_registered();
    let mut dry = registered.clone();
    let status_error = |e: TransitionError| err("status", FieldProblem::Transition(e));
    for step in &steps {
        desk::step(&dry, step.clone(), IMPORT_NOTE.into(), registered.registered_at).map_err(
            |e| match e {
                desk::DeskError::Step(e @ TransitionError::Illegal { .. }) => status_error(e),
                other => RowProblem::Desk(other),
            },
        )?;
        lifecycle::apply(&mut dry, step).map_err(status_error)?;
    }
    if dry.status != target {
        return Err(err("status", FieldProblem::Unreachable { target }));
    }
    Ok(Planned::New {
        at: registered.registered_at,
        appeal: registered,
        steps,
    })
}

/// An exported appeal: its history must be legal and agree with the row.
fn plan_imported(mut appeal: Appeal, history: &str, ctx: &Context<'_>) -> Result<Planned, RowProblem> {
    if history.is_empty() {
        return Err(err("history", FieldProblem::NoHistory));
    }
    appeal.history = serde_json::from_str::<Vec<HistoryEntry>>(history).map_err(|e| {
        // serde quotes the offending value: mask and clean it.
        let detail = safe(&e.to_string());
        err("history", FieldProblem::HistoryUnreadable { detail })
    })?;
    check_history_text(&appeal.history)?;
    if let Some((n, h)) = appeal
        .history
        .iter()
        .enumerate()
        .find(|(_, h)| ctx.zone.date(&h.at) > ctx.today)
    {
        return Err(err(
            "history",
            FieldProblem::StepInFuture {
                n: n + 1,
                day: ctx.zone.date(&h.at),
                today: ctx.today,
            },
        ));
    }
    let replay = replay_history(&appeal).map_err(|e| err("history", FieldProblem::Replay(e)))?;
    let contradicts = |key: &str| err(key, FieldProblem::Contradicts);
    if appeal.unit.is_some() && appeal.unit != replay.unit {
        return Err(contradicts("unit"));
    }
    if appeal.deadline.is_some() && appeal.deadline != replay.deadline {
        return Err(contradicts("deadline"));
    }
    if appeal.reply.is_some()
        && appeal.reply.as_deref() != replay.reply.as_deref().map(|r| clean_text(r, true)).as_deref()
    {
        return Err(contradicts("reply"));
    }
    if appeal.satisfaction.is_some() && appeal.satisfaction != replay.satisfaction {
        return Err(contradicts("satisfaction"));
    }
    appeal.unit = replay.unit;
    appeal.deadline = replay.deadline;
    appeal.reply = replay.reply;
    appeal.satisfaction = replay.satisfaction;
    appeal.round = replay.round;
    appeal.chases = replay.chases;
    Ok(Planned::Imported(appeal))
}

/// A message built from untrusted text, fit to print: control characters
/// dropped, phone and ID numbers masked, at most 200 characters.
fn safe(message: &str) -> String {
    let masked = mask_numbers(&clean_text(message, false));
    if masked.chars().count() > 200 {
        let mut cut: String = masked.chars().take(199).collect();
        cut.push('…');
        cut
    } else {
        masked
    }
}

/// Every text of every history entry meets the rules of the same text
/// typed at the kiosk or imported in its own column: no control
/// characters or terminal escape sequences (the text `clean_text` would
/// keep, surrounding whitespace aside) and the same length caps. A history
/// is a record: what breaks the rules is refused, not rewritten.
fn check_history_text(history: &[HistoryEntry]) -> Result<(), RowProblem> {
    let max = crate::limits::HISTORY_STEPS;
    if history.len() > max {
        let got = history.len();
        return Err(err("history", FieldProblem::TooManySteps { got, max }));
    }
    for (i, h) in history.iter().enumerate() {
        let n = i + 1;
        let label = |zh, en| StepText { zh, en };
        let mut texts: Vec<(&str, StepText, usize, bool)> = vec![
            (
                &h.event.origin,
                label("事件来源", "event origin"),
                MAX_NAME,
                false,
            ),
            (&h.actor, label("操作人", "actor"), MAX_NAME, false),
            (&h.note, label("备注", "note"), MAX_NOTE, true),
        ];
        match &h.step {
            Step::Refer { unit, .. } | Step::Rerefer { unit, .. } => {
                texts.push((unit, label("承办单位", "handling unit"), MAX_UNIT, false))
            }
            Step::AnswerOnSpot { reply } => texts.push((reply, label("答复", "reply"), MAX_REPLY, true)),
            Step::Reply { reply, document, .. } => {
                texts.push((reply, label("答复", "reply"), MAX_REPLY, true));
                if let Some(document) = document {
                    texts.push((document, label("文号", "document number"), MAX_NAME, false));
                }
            }
            _ => {}
        }
        for (text, label, max, multiline) in texts {
            if clean_text(text, multiline) != text.trim() {
                return Err(err("history", FieldProblem::ControlCharacters { n, text: label }));
            }
            let got = text.chars().count();
            if got > max {
                return Err(err(
                    "history",
                    FieldProblem::StepTextTooLong {
                        n,
                        text: label,
                        max,
                        got,
                    },
                ));
            }
        }
    }
    Ok(())
}

/// Codes that rows of a file already carry: new codes must avoid them even
/// before those rows are committed. Held as numbers (16 bytes a code), not
/// as rows or texts, so that a large file's codes fit.
#[derive(Debug, Default)]
pub struct Reserved {
    /// (station, terminal, date, serial), sorted once every row is noted.
    codes: Vec<(u32, u8, NaiveDate, u32)>,
}

impl Reserved {
    /// Notes the code a row carries, if any.
    pub fn note(&mut self, row: &Row) {
        if let Ok(code) = row.get("code").trim().parse::<TrackingCode>()
            && let Ok(station) = code.station().parse()
        {
            self.codes
                .push((station, code.terminal(), code.date(), code.seq()));
        }
    }

    /// Once every row is noted.
    pub fn seal(&mut self) {
        self.codes.sort_unstable();
        self.codes.dedup();
        self.codes.shrink_to_fit();
    }

    /// The codes of one date that one terminal of a station would issue.
    pub fn on(&self, date: NaiveDate, station: &str, terminal: u8) -> HashSet<TrackingCode> {
        let Ok(number) = station.parse::<u32>() else {
            return HashSet::new();
        };
        let key = (number, terminal, date);
        let from = self.codes.partition_point(|c| (c.0, c.1, c.2) < key);
        self.codes[from..]
            .iter()
            .take_while(|c| (c.0, c.1, c.2) == key)
            .filter_map(|c| TrackingCode::new(date, station, terminal, c.3).ok())
            .collect()
    }
}

/// What a row without a code registers, reduced to a number: the same
/// for the appeal it became once saved (whatever steps were taken on it
/// since), so that a file imported again does not register it twice.
pub fn fingerprint(appeal: &Appeal) -> u64 {
    use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
    let facts = serde_json::to_string(&(
        appeal.registered_at,
        &appeal.visitor,
        appeal.group_size,
        &appeal.deputies,
        appeal.category,
        &appeal.title,
        &appeal.content,
        &appeal.location,
        appeal.urgency,
        appeal.route,
    ))
    .unwrap_or_default();
    BuildHasherDefault::<DefaultHasher>::default().hash_one(facts)
}

/// The appeals an import registered before, by `fingerprint`, each with
/// how many of them there are: a row of a file imported again that matches
/// one is skipped (once per appeal held).
#[derive(Debug, Default)]
pub struct Held {
    counts: std::collections::HashMap<u64, u32>,
}

impl Held {
    /// Notes an appeal of the store if an import registered it (`actor`
    /// on its first step).
    pub fn note(&mut self, appeal: &Appeal, actor: &str) {
        if appeal.history.first().is_some_and(|h| h.actor == actor) {
            *self.counts.entry(fingerprint(appeal)).or_default() += 1;
        }
    }

    /// Whether a planned row is already held; takes it if so.
    pub fn take(&mut self, planned: &Planned) -> bool {
        let Planned::New { appeal, .. } = planned else {
            return false;
        };
        match self.counts.get_mut(&fingerprint(appeal)) {
            Some(n) if *n > 0 => {
                *n -= 1;
                true
            }
            _ => false,
        }
    }
}

/// How many new codes the rows of a chunk need, per row date (rows that
/// carry a code need none).
pub fn codes_wanted(chunk: &[Planned]) -> BTreeMap<NaiveDate, usize> {
    let mut wanted: BTreeMap<NaiveDate, usize> = BTreeMap::new();
    for p in chunk {
        if let Planned::New { at, .. } = p {
            *wanted.entry(at.date_naive()).or_default() += 1;
        }
    }
    wanted
}

/// The dated changes that record one chunk of planned rows: a new row
/// takes the next of `issued`'s codes for its date (`codes_wanted` says how
/// many; the store issues them), a row that carries its code is recorded
/// at `now`. `terminal` names the terminal whose codes ran out.
pub fn changes(
    chunk: Vec<Planned>,
    mut issued: BTreeMap<NaiveDate, VecDeque<TrackingCode>>,
    now: DateTime<FixedOffset>,
    terminal: u8,
) -> Result<Vec<(DateTime<FixedOffset>, Change)>, StoreError> {
    let mut out = Vec::new();
    for p in chunk {
        match p {
            Planned::New {
                at,
                mut appeal,
                steps,
            } => {
                let Some(code) = issued.get_mut(&at.date_naive()).and_then(VecDeque::pop_front) else {
                    return Err(StoreError::CodesExhausted {
                        date: at.date_naive(),
                        terminal,
                    });
                };
                appeal.code = code.clone();
                out.push((at, EventBody::AppealRegistered { appeal }));
                for step in steps {
                    out.push((
                        at,
                        EventBody::AppealStepped {
                            code: code.clone(),
                            step,
                            note: IMPORT_NOTE.into(),
                        },
                    ));
                }
            }
            Planned::Imported(appeal) => out.push((now, EventBody::AppealImported { appeal })),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::deputy::Level;
    use crate::i18n::Lang;

    fn roster() -> Vec<Deputy> {
        ["张山", "马丽"]
            .iter()
            .enumerate()
            .map(|(i, n)| Deputy {
                id: format!("D{i}"),
                name: n.to_string(),
                level: Level::City,
                phone: String::new(),
                specialties: Vec::new(),
                duty_days: Vec::new(),
            })
            .collect()
    }

    fn parse(pairs: &[(&'static str, &str)]) -> Result<Planned, RowProblem> {
        let mut row = Row::default();
        row.set("date", "2026-03-10 09:30");
        row.set("content", "路灯坏了");
        for (k, v) in pairs {
            row.set(k, *v);
        }
        let roster = roster();
        let ctx = Context {
            today: NaiveDate::from_ymd_opt(2026, 12, 1).expect("date"),
            zone: Zone::default(),
            roster: &roster,
            station: "330999012",
            terminal: 1,
        };
        parse_row(&row, &ctx)
    }

    /// Why a row is refused, in `lang`.
    fn refused(pairs: &[(&'static str, &str)], lang: Lang) -> String {
        parse(pairs).expect_err("refused").message(lang)
    }

    fn steps(p: Planned) -> (Appeal, Vec<Step>) {
        match p {
            Planned::New { appeal, steps, .. } => (appeal, steps),
            Planned::Imported(_) => panic!("expected a new appeal"),
        }
    }

    #[test]
    fn times_in_every_accepted_form() {
        for t in [
            "2026-03-10",
            "2026-03-10 09:30",
            "2026-3-10 9:30:15",
            "2026/3/10",
            "2026-03-10T09:30:00+08:00",
        ] {
            let at = parse_time(t, Zone::default()).unwrap_or_else(|| panic!("{t} should parse"));
            assert_eq!(
                at.date_naive(),
                NaiveDate::from_ymd_opt(2026, 3, 10).expect("date")
            );
        }
        assert!(parse_time("10.3.2026", Zone::default()).is_none());
        assert!(parse_time("2026-02-30", Zone::default()).is_none());
    }

    #[test]
    fn a_minimal_row_is_an_anonymous_registered_appeal() {
        let (a, s) = steps(parse(&[]).expect("valid"));
        assert!(s.is_empty());
        assert_eq!(a.status, Status::Registered);
        assert_eq!(a.category, Category::Other);
        assert_eq!(a.title, "路灯坏了");
        assert_eq!(a.visitor, Visitor::default());
    }

    #[test]
    fn title_defaults_to_twenty_chars_of_content() {
        let content = "一二三四五六七八九十\n一二三四五六七八九十一二三";
        let (a, _) = steps(parse(&[("content", content)]).expect("valid"));
        assert_eq!(a.title.chars().count(), 20);
        assert!(!a.title.contains('\n'));
    }

    #[test]
    fn closed_referred_row_walks_the_whole_loop() {
        let (a, s) = steps(
            parse(&[
                ("status", "已办结"),
                ("unit", "青禾县交通运输局"),
                ("deadline", "2026-04-01"),
                ("reply", "已修复"),
                ("satisfaction", "基本满意"),
                ("deputy", "张山、马丽"),
            ])
            .expect("valid"),
        );
        let kinds: Vec<_> = s.iter().map(Step::kind).collect();
        use crate::domain::StepKind::*;
        assert_eq!(kinds, vec![Accept, Refer, Start, Reply, Rate]);
        assert_eq!(a.status, Status::Registered);
        assert_eq!(a.deputy_names(), vec!["张山", "马丽"]);
    }

    #[test]
    fn on_spot_answer_skips_acceptance() {
        let (_, s) = steps(
            parse(&[
                ("route", "当场答复"),
                ("status", "closed"),
                ("reply", "已解释"),
                ("satisfaction", "满意"),
            ])
            .expect("valid"),
        );
        let kinds: Vec<_> = s.iter().map(Step::kind).collect();
        use crate::domain::StepKind::*;
        assert_eq!(kinds, vec![AnswerOnSpot, Rate]);
    }

    #[test]
    fn missing_or_extra_fields_for_the_status_are_refused() {
        let e = refused(&[("status", "已交办"), ("deadline", "2026-04-01")], Lang::Zh);
        assert!(e.starts_with("承办单位：必填"), "{e}");
        let e = refused(&[("status", "已交办"), ("unit", "某局")], Lang::En);
        assert!(e.starts_with("Deadline: required"), "{e}");
        let e = refused(
            &[("route", "on_spot"), ("status", "closed"), ("reply", "好")],
            Lang::Zh,
        );
        assert!(e.starts_with("满意度：必填"), "{e}");
        let e = refused(
            &[
                ("route", "on_spot"),
                ("status", "closed"),
                ("reply", "好"),
                ("satisfaction", "不满意"),
            ],
            Lang::Zh,
        );
        assert!(e.starts_with("满意度："), "{e}");
        let e = refused(&[("status", "已受理"), ("reply", "好")], Lang::Zh);
        assert!(e.starts_with("答复："), "{e}");
    }

    #[test]
    fn bad_values_name_their_field() {
        let cases: &[(&'static str, &str, &str)] = &[
            ("category", "天气", "类别：未知的值“天气”"),
            ("deputy", "李四", "接待代表：代表名册中没有“李*”"),
            ("phone", "1390000120", "电话："),
            ("id_number", "330999196511290894", "身份证号：校验位"),
            ("date", "昨天", "日期："),
            ("content", " \u{1b}[0m ", "诉求内容：必填"),
            ("status", "done", "办理状态：未知的值"),
            ("code", "123", "查询码："),
            ("history", "[]", "历史："),
            ("group_size", "0", "人数："),
        ];
        for (k, v, want) in cases {
            let e = refused(&[(k, v)], Lang::Zh);
            assert!(e.starts_with(want), "{k}={v}: {e}");
        }
        let e = refused(&[("category", "weather")], Lang::En);
        assert!(e.contains("Traffic and parking"), "{e}");
    }

    #[test]
    fn control_characters_are_cleaned_not_refused() {
        let (a, _) = steps(parse(&[("content", "灯\u{1b}[31m坏了\u{7}")]).expect("valid"));
        assert_eq!(a.content, "灯坏了");
    }
}
