//! The kiosk's model: what is on screen and the data behind it. Only
//! `update` changes it; views only read it.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime};

use super::form::{RegisterForm, Widget};
use super::input::TextInput;
use super::keymap::Keymap;
use super::msg::Effect;
use super::text::{Texts, texts};
use crate::domain::catalog::{Catalog, Filter, RowRef};
use crate::domain::period::Period;
use crate::domain::points::{PointLine, Totals};
use crate::domain::report::Report;
use crate::domain::{Appeal, Deputy, Duty, Staff, Station, StepKind, Zone};
use crate::i18n::Lang;
use crate::jobs::Failure;
use crate::jobs::print::Slip;
use crate::jobs::sync::{CountyNote, Overview, SyncProgress, Trigger, Window};
use crate::reports;
use crate::storage::{Reader, Request, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Today,
    Register,
    Appeals,
    Deputies,
    Sync,
    Reports,
}

impl Screen {
    pub const ALL: [Screen; 6] = [
        Screen::Today,
        Screen::Register,
        Screen::Appeals,
        Screen::Deputies,
        Screen::Sync,
        Screen::Reports,
    ];
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Info,
    Good,
    Warn,
    Error,
}

/// What a yes/no prompt does on yes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnYes {
    CancelForm,
    Quit,
}

/// What a dialog's fields are for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Purpose {
    Step(StepKind, String),
    FilterCategory,
    FilterDeputy,
    FilterDates,
    /// An item of the duty list for the deputy with this id.
    DutyItem(String),
    ReportDates,
}

#[derive(Debug, Clone)]
pub struct Dialog {
    pub purpose: Purpose,
    pub title: String,
    pub fields: Vec<(&'static str, Widget)>,
    pub focus: usize,
    pub error: Option<String>,
    /// The ticket of the dialog's save while it is being written.
    pub saving: Option<Ticket>,
    /// Each field's text when the dialog opened (what counts as typed).
    pub initial: Vec<String>,
    /// Asking whether to throw away what was typed.
    pub confirm_discard: bool,
}

impl Dialog {
    pub fn new(purpose: Purpose, title: String, fields: Vec<(&'static str, Widget)>) -> Dialog {
        let initial = fields.iter().map(|(_, w)| w.text()).collect();
        Dialog {
            purpose,
            title,
            fields,
            focus: 0,
            error: None,
            saving: None,
            initial,
            confirm_discard: false,
        }
    }

    /// Whether anything was typed or chosen since the dialog opened.
    pub fn has_input(&self) -> bool {
        self.fields.iter().zip(&self.initial).any(|((_, w), before)| {
            w.text() != *before || matches!(w, Widget::Pick(p) if !p.query.is_empty())
        })
    }
}

/// Names one save sent to the writer; its outcome comes back with it.
pub type Ticket = u64;

/// What a save in flight is for: how its outcome is shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Saving {
    Registration,
    Step(StepKind),
    Duty {
        name: String,
        check_in: bool,
    },
    /// An older appeal's access key, for its receipt.
    AccessKey,
    /// An item of a deputy's duty list: the deputy's name and the item's.
    DutyItem {
        name: String,
        item: String,
    },
}

pub enum Overlay {
    None,
    Help {
        scroll: usize,
    },
    /// The message log, newest first.
    Messages {
        scroll: usize,
    },
    Confirm {
        question: &'static str,
        on_yes: OnYes,
    },
    Dialog(Dialog),
    /// The codes of a registration just saved, each with its appeal's
    /// title; stays until Enter or Esc.
    Saved {
        visit: String,
        codes: Vec<(String, String)>,
    },
    Receipt {
        appeal: Box<Appeal>,
    },
    /// A deputy's points and the record behind them (by deputy id), by
    /// day.
    Points {
        deputy: String,
        lines: Vec<PointLine>,
        scroll: usize,
    },
}

pub struct SignIn {
    pub highlight: usize,
    pub pin: TextInput,
    pub asking_pin: bool,
    pub error: Option<&'static str>,
}

/// Today screen data, refreshed when it is shown or something changes.
#[derive(Default)]
pub struct TodayData {
    pub visits: usize,
    pub appeals: usize,
    /// (deputy, scheduled today, duty record if any)
    pub duty: Vec<(Deputy, bool, Option<Duty>)>,
    pub anyone_scheduled: bool,
    /// (deadline, code, title)
    pub overdue: Vec<(NaiveDate, String, String)>,
    pub due_soon: Vec<(NaiveDate, String, String)>,
    /// The appeals of today's visits: (code, title).
    pub registered: Vec<(String, String)>,
    pub registered_selected: usize,
    /// The highlighted deputy.
    pub selected: usize,
    /// The panel that has focus (Tab / Shift-Tab move it).
    pub panel: TodayPanel,
    /// The highlighted row of the county, overdue and due-soon panels.
    pub county_selected: usize,
    pub overdue_selected: usize,
    pub soon_selected: usize,
}

/// A panel of the Today screen, in Tab order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TodayPanel {
    #[default]
    Duty,
    Registered,
    County,
    Overdue,
    DueSoon,
}

pub struct AppealsView {
    pub filter: Filter,
    pub hits: Vec<usize>,
    pub selected: usize,
    pub searching: bool,
    pub search: TextInput,
    pub detail: Option<Box<Appeal>>,
    /// The detail was opened from Today: Esc goes back there.
    pub detail_from_today: bool,
    pub detail_scroll: usize,
}

/// The Sync screen: what the store says about the sync, and what the sync
/// worker said last.
#[derive(Default)]
pub struct SyncView {
    /// Enrolment, events not yet sent and the last outcome, as recorded
    /// (or why they could not be read); None until the sync first says.
    pub overview: Option<Result<Overview, Failure>>,
    /// Asked the sync for its bookkeeping, not answered yet.
    pub overview_asked: bool,
    /// Who asked for the sync under way, while one runs.
    pub running: Option<Trigger>,
    pub progress: Option<SyncProgress>,
    /// The last attempt failed and another follows: (attempt, reason, wait).
    pub retry: Option<(u32, Failure, std::time::Duration)>,
    /// The nightly window and the next sync planned in it.
    pub window: Option<Window>,
    pub planned: Option<NaiveDateTime>,
}

/// A page of the Reports screen, in Tab order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ReportPart {
    #[default]
    Overview,
    Categories,
    Handling,
    Deputies,
}

impl ReportPart {
    pub const ALL: [ReportPart; 4] = [
        ReportPart::Overview,
        ReportPart::Categories,
        ReportPart::Handling,
        ReportPart::Deputies,
    ];
}

/// The Reports screen: the period on show and its figures, worked out
/// when the period changes or an appeal does.
pub struct ReportsView {
    pub period: Period,
    pub part: ReportPart,
    /// None until the catalog has loaded; the error's words if it failed.
    pub report: Option<Result<Report, String>>,
    /// The first row of a long table on show.
    pub scroll: usize,
}

/// The time source: the wall clock in the station's zone, or a fixed
/// instant (tests, snapshots).
#[derive(Debug, Clone, Copy)]
pub enum Clock {
    System(Zone),
    Fixed(DateTime<FixedOffset>),
}

impl Clock {
    pub fn now(&self) -> DateTime<FixedOffset> {
        match self {
            Clock::System(zone) => zone.now(),
            Clock::Fixed(t) => *t,
        }
    }
}

pub struct App {
    pub lang: Lang,
    pub t: &'static Texts,
    pub keymap: Keymap,
    /// Reads from the database; writes go out as effects to the writer.
    pub reader: Reader,
    pub station: Station,
    pub deputies: Vec<Deputy>,
    pub clock: Clock,
    /// The station's time zone: every time shown is in it.
    pub zone: Zone,
    pub staff: Option<Staff>,
    pub signin: SignIn,
    pub screen: Screen,
    pub today: TodayData,
    pub register: RegisterForm,
    pub appeals: AppealsView,
    pub catalog: Option<Catalog>,
    /// Set until the catalog arrives (or fails to).
    pub catalog_loading: bool,
    /// Appeals changed while the catalog was still loading.
    pending: Vec<String>,
    pub deputy_selected: usize,
    /// Appeals per deputy id this quarter (from the catalog).
    pub quarter_counts: Vec<(String, usize)>,
    /// Every deputy's points this quarter, year and term, by id (from the
    /// catalog and the day-keyed records), worked out when the Deputies
    /// screen is shown.
    pub standings: BTreeMap<String, Totals>,
    pub reports: ReportsView,
    pub overlay: Overlay,
    pub message: Option<(Tone, String)>,
    /// The last messages said, oldest first, each with its time: the
    /// status line may cut one short, the message log shows them whole.
    pub said: std::collections::VecDeque<(DateTime<FixedOffset>, Tone, String)>,
    pub quit: bool,
    /// The terminal's size, once known.
    pub size: Option<(u16, u16)>,
    /// Why the terminal could no longer be read, if it could not.
    pub terminal_lost: Option<std::io::Error>,
    /// Receipts sent to the printer whose outcome has not come back.
    pub printing: Vec<Slip>,
    /// Saves sent to the writer whose outcome has not come back.
    pub saving: Vec<(Ticket, Saving)>,
    pub sync: SyncView,
    /// Appeals the county stepped in the last few days, newest first.
    pub county_news: Vec<CountyNote>,
    next_ticket: Ticket,
    /// Effects produced by the message being handled.
    outbox: Vec<Effect>,
}

/// The smallest terminal (columns, rows) the kiosk works in.
pub const MIN_SIZE: (u16, u16) = (60, 16);

/// Messages the message log keeps.
pub const MESSAGES_KEPT: usize = 50;

/// How long a county step stays on the Today screen.
pub const COUNTY_NEWS_DAYS: i64 = 3;

/// Deadline rows the Today screen can show in one panel.
pub const SHOWN: usize = 30;

impl App {
    /// Builds the model over a station's database. The catalog arrives
    /// later as a message (`Msg::CatalogLoaded`), so the first frame does
    /// not wait for it.
    pub fn new(reader: Reader, lang: Lang, keymap: Keymap, clock: Clock) -> Result<App, StoreError> {
        let station = reader
            .station_with_pins()?
            .ok_or_else(|| StoreError::NoStation(reader.dir().to_path_buf()))?;
        let deputies = reader.deputies()?;
        let register = RegisterForm::new(&deputies, lang);
        let zone = station.zone();
        // The wall clock reads the station's zone, not the machine's.
        let clock = match clock {
            Clock::System(_) => Clock::System(zone),
            fixed => fixed,
        };
        let mut app = App {
            lang,
            t: texts(lang),
            keymap,
            reader,
            station,
            deputies,
            clock,
            zone,
            staff: None,
            signin: SignIn {
                highlight: 0,
                pin: secret_input(),
                asking_pin: false,
                error: None,
            },
            screen: Screen::Today,
            today: TodayData::default(),
            register,
            appeals: AppealsView {
                filter: Filter::default(),
                hits: Vec::new(),
                selected: 0,
                searching: false,
                search: TextInput::new(40),
                detail: None,
                detail_from_today: false,
                detail_scroll: 0,
            },
            catalog: None,
            catalog_loading: true,
            pending: Vec::new(),
            deputy_selected: 0,
            quarter_counts: Vec::new(),
            standings: BTreeMap::new(),
            reports: ReportsView {
                period: Period::month_of(zone.date(&clock.now())),
                part: ReportPart::Overview,
                report: None,
                scroll: 0,
            },
            overlay: Overlay::None,
            message: None,
            said: std::collections::VecDeque::new(),
            quit: false,
            terminal_lost: None,
            size: None,
            saving: Vec::new(),
            printing: Vec::new(),
            sync: SyncView::default(),
            county_news: Vec::new(),
            next_ticket: 1,
            outbox: Vec::new(),
        };
        app.sync.window = app.station.sync_window();
        app.refresh_today();
        Ok(app)
    }

    pub fn today_date(&self) -> NaiveDate {
        self.zone.date(&self.clock.now())
    }

    /// Takes the catalog the background load produced.
    pub fn catalog_loaded(&mut self, loaded: Result<Catalog, StoreError>) {
        self.catalog_loading = false;
        match loaded {
            Ok(catalog) => {
                log::info!(
                    "catalog loaded: {} appeals, {} bytes",
                    catalog.len(),
                    catalog.heap_bytes()
                );
                self.catalog = Some(catalog);
                let pending = std::mem::take(&mut self.pending);
                self.upsert_rows(&pending);
                self.refilter();
                self.recount_quarter();
                self.refresh_books();
            }
            Err(e) => {
                let said = e.message(self.lang);
                self.say(Tone::Error, said);
            }
        }
    }

    /// Sends a save to the writer (as an effect) and remembers what it is
    /// for; the status line says it is being saved until the outcome
    /// comes back.
    pub fn save(&mut self, what: Saving, request: Request) -> Ticket {
        let ticket = self.next_ticket;
        self.next_ticket += 1;
        self.saving.push((ticket, what));
        self.outbox.push(Effect::Save { ticket, request });
        self.say(Tone::Info, self.t.saving);
        ticket
    }

    /// Sends receipts to the printer (as effects); the status line says
    /// they are printing until each outcome comes back.
    pub fn print(&mut self, codes: &[String]) {
        for code in codes {
            self.print_slip(Slip::Receipt { code: code.clone() });
        }
    }

    /// Sends one slip to the printer (as an effect); the status line says
    /// it is printing until the outcome comes back.
    pub fn print_slip(&mut self, what: Slip) {
        self.printing.push(what.clone());
        self.outbox.push(Effect::Print {
            actor: self.actor(),
            what,
        });
        self.say(Tone::Info, self.t.printing);
    }

    /// Asks the sync worker for a sync now (as an effect), unless one is
    /// under way.
    pub fn sync_now(&mut self) {
        if self.sync.running.is_some() && self.sync.retry.is_none() {
            return self.say(Tone::Info, self.t.sync_busy);
        }
        self.outbox.push(Effect::Sync);
        self.say(Tone::Info, self.t.sync_running);
    }

    /// Asks the sync for its bookkeeping again (as an effect); the Sync
    /// screen shows the last it said until the answer comes.
    pub fn refresh_sync(&mut self) {
        self.sync.overview_asked = true;
        self.outbox.push(Effect::SyncOverview);
    }

    /// Takes county steps the sync worker found, newest first, one per
    /// appeal, only those of the last few days.
    pub fn county_noted(&mut self, notes: Vec<CountyNote>) {
        for n in notes {
            self.county_news.retain(|o| o.code != n.code);
            self.county_news.push(n);
        }
        let now = self.clock.now();
        let since = now - chrono::Duration::days(COUNTY_NEWS_DAYS);
        let today = self.zone.local(&now).date_naive();
        self.county_news.retain(|n| n.current(since, today));
        self.county_news
            .sort_by(|a, b| b.at.cmp(&a.at).then_with(|| a.code.cmp(&b.code)));
    }

    /// Whether a registration is being saved (the form waits for it).
    pub fn saving_registration(&self) -> bool {
        self.saving.iter().any(|(_, s)| *s == Saving::Registration)
    }

    /// The effects the last message produced.
    pub fn take_effects(&mut self) -> Vec<Effect> {
        std::mem::take(&mut self.outbox)
    }

    pub fn say(&mut self, tone: Tone, text: impl Into<String>) {
        let text = text.into();
        // The same words again (保存中…) are one entry.
        if self.said.back().is_none_or(|(_, _, last)| *last != text) {
            if self.said.len() == MESSAGES_KEPT {
                self.said.pop_front();
            }
            self.said.push_back((self.clock.now(), tone, text.clone()));
        }
        self.message = Some((tone, text));
    }

    pub fn refresh_today(&mut self) {
        let today = self.today_date();
        let (visits, appeals) = self.reader.counts_on(today);
        // What cannot be read is said, not shown as an empty panel.
        let mut failure: Option<StoreError> = None;
        let mut keep = |e: StoreError| {
            failure.get_or_insert(e);
        };
        let duty = self.reader.duty(today).unwrap_or_else(|e| {
            keep(e);
            Vec::new()
        });
        let day = today.day();
        let anyone_scheduled = self.deputies.iter().any(|d| d.on_duty(day));
        let mut rows: Vec<(Deputy, bool, Option<Duty>)> = self
            .deputies
            .iter()
            .filter(|d| !anyone_scheduled || d.on_duty(day) || duty.iter().any(|r| r.deputy == d.id))
            .map(|d| {
                (
                    d.clone(),
                    d.on_duty(day),
                    duty.iter().find(|r| r.deputy == d.id).cloned(),
                )
            })
            .collect();
        rows.sort_by_key(|(d, scheduled, _)| (!*scheduled, d.id.clone()));
        let mut overdue = Vec::new();
        let mut due_soon = Vec::new();
        for (deadline, code) in self
            .reader
            .deadlines_until(today + chrono::Days::new(3))
            .unwrap_or_else(|e| {
                keep(e);
                Vec::new()
            })
        {
            if deadline < today {
                overdue.push((deadline, code, String::new()));
            } else {
                due_soon.push((deadline, code, String::new()));
            }
        }
        let mut registered: Vec<(String, String)> = self
            .reader
            .appeal_codes_on(today)
            .unwrap_or_else(|e| {
                keep(e);
                Vec::new()
            })
            .into_iter()
            .take(SHOWN)
            .map(|c| (c, String::new()))
            .collect();
        for (code, title) in registered.iter_mut() {
            *title = match self.reader.catalog_row(code) {
                Ok(row) => row.map(|r| r.title).unwrap_or_default(),
                Err(e) => {
                    keep(e);
                    String::new()
                }
            };
        }
        // Titles only for what the screen can show; the counts stay whole.
        for (_, code, title) in overdue
            .iter_mut()
            .take(SHOWN)
            .chain(due_soon.iter_mut().take(SHOWN))
        {
            *title = match self.reader.catalog_row(code) {
                Ok(row) => row.map(|r| r.title).unwrap_or_default(),
                Err(e) => {
                    keep(e);
                    String::new()
                }
            };
        }
        let selected = self.today.selected.min(rows.len().saturating_sub(1));
        self.register.set_present(&self.present_deputies(&rows));
        if let Some(e) = failure {
            log::error!("today's information: {e}");
            let said = format!("{}{}", self.t.today_unreadable, e.message(self.lang));
            self.say(Tone::Error, said);
        }
        let last = |n: usize| n.saturating_sub(1);
        self.today = TodayData {
            visits,
            appeals,
            duty: rows,
            anyone_scheduled,
            county_selected: self.today.county_selected.min(last(self.county_news.len())),
            overdue_selected: self.today.overdue_selected.min(last(overdue.len().min(SHOWN))),
            soon_selected: self.today.soon_selected.min(last(due_soon.len().min(SHOWN))),
            registered_selected: self.today.registered_selected.min(last(registered.len())),
            registered,
            overdue,
            due_soon,
            selected,
            panel: self.today.panel,
        };
    }

    /// Ids of the deputies checked in and not out.
    fn present_deputies(&self, rows: &[(Deputy, bool, Option<Duty>)]) -> Vec<String> {
        rows.iter()
            .filter(|(_, _, d)| {
                d.as_ref()
                    .is_some_and(|d| d.check_in.is_some() && d.check_out.is_none())
            })
            .map(|(d, _, _)| d.id.clone())
            .collect()
    }

    /// A picker of the station's deputies, those at the station first.
    pub fn deputy_picker(&self, multi: bool) -> super::input::Picker {
        let present = self.present_deputies(&self.today.duty);
        let mut p = super::form::deputy_picker(&self.deputies, multi);
        p.set_first(|v| present.iter().any(|id| id == v));
        p
    }

    /// Re-runs the appeals filter over the catalog.
    pub fn refilter(&mut self) {
        let today = self.today_date();
        if let Some(c) = &self.catalog {
            self.appeals.hits = c.select(&self.appeals.filter, today);
            self.appeals.selected = self
                .appeals
                .selected
                .min(self.appeals.hits.len().saturating_sub(1));
        }
    }

    pub fn recount_quarter(&mut self) {
        let today = self.today_date();
        let start = Period::quarter_of(today).from;
        let counts = self
            .catalog
            .as_ref()
            .map(|c| c.count_by_deputy(start, today))
            .unwrap_or_default();
        self.quarter_counts = self
            .deputies
            .iter()
            .map(|d| (d.id.clone(), counts.get(&d.id).copied().unwrap_or(0)))
            .collect();
    }

    /// After a commit: re-reads the changed appeals into the catalog, the
    /// open detail view and the receipt on show.
    pub fn appeals_changed(&mut self, codes: &[String]) {
        if self.catalog.is_none() {
            self.pending.extend(codes.iter().cloned());
        }
        self.upsert_rows(codes);
        if let Some(open) = &self.appeals.detail
            && codes.iter().any(|c| c == open.code.as_str())
            && let Ok(Some(a)) = self.reader.appeal(open.code.as_str())
        {
            self.appeals.detail = Some(Box::new(a));
        }
        if let Overlay::Receipt { appeal } = &self.overlay
            && codes.iter().any(|c| c == appeal.code.as_str())
            && let Ok(Some(a)) = self.reader.appeal(appeal.code.as_str())
        {
            self.overlay = Overlay::Receipt { appeal: Box::new(a) };
        }
        self.refilter();
        self.recount_quarter();
        self.refresh_today();
        self.refresh_books();
    }

    /// Works out the figures of the screen on show that come from the
    /// station's books: the report of the period, or the deputies' points.
    pub fn refresh_books(&mut self) {
        match self.screen {
            Screen::Reports => self.refresh_report(),
            Screen::Deputies => self.refresh_points(),
            _ => {}
        }
    }

    /// The report of the period on show, from the catalog (none while it
    /// loads).
    pub fn refresh_report(&mut self) {
        let Some(catalog) = &self.catalog else {
            self.reports.report = None;
            return;
        };
        let today = self.today_date();
        let made = reports::report(
            &self.reader,
            catalog,
            &self.station,
            &self.deputies,
            &self.reports.period,
            today,
        );
        self.reports.report = Some(made.map_err(|e| {
            log::error!("report: {e}");
            e.message(self.lang)
        }));
    }

    /// Every deputy's points, from the catalog (none while it loads).
    pub fn refresh_points(&mut self) {
        let Some(catalog) = &self.catalog else {
            return;
        };
        let today = self.today_date();
        let quarter = (Period::quarter_of(today).from, today);
        match reports::standings(&self.reader, catalog, &self.station, quarter) {
            Ok(s) => self.standings = s,
            Err(e) => {
                log::error!("points: {e}");
                let said = e.message(self.lang);
                self.say(Tone::Error, said);
            }
        }
    }

    /// A deputy's quarter, year and term points on today.
    pub fn totals(&self, id: &str) -> Totals {
        self.standings.get(id).copied().unwrap_or_default()
    }

    /// One deputy's deeds behind their points, from the catalog (none
    /// while it loads).
    pub fn deeds_of(&mut self, id: &str) -> Vec<PointLine> {
        let Some(catalog) = &self.catalog else {
            return Vec::new();
        };
        let today = self.today_date();
        match reports::deeds_of(&self.reader, catalog, &self.station, id, today) {
            Ok(lines) => lines,
            Err(e) => {
                log::error!("points of {id}: {e}");
                let said = e.message(self.lang);
                self.say(Tone::Error, said);
                Vec::new()
            }
        }
    }

    fn upsert_rows(&mut self, codes: &[String]) {
        for code in codes {
            if let (Some(c), Ok(Some(row))) = (&mut self.catalog, self.reader.catalog_row(code)) {
                c.upsert(row);
            }
        }
    }

    pub fn selected_row(&self) -> Option<RowRef<'_>> {
        let c = self.catalog.as_ref()?;
        c.row(*self.appeals.hits.get(self.appeals.selected)?)
    }

    pub fn deputy_name(&self, id: &str) -> String {
        self.deputies
            .iter()
            .find(|d| d.id == id)
            .map(|d| d.name.clone())
            .unwrap_or_else(|| id.to_string())
    }

    pub fn open_appeal(&mut self, code: &str) {
        match self.reader.appeal(code) {
            Ok(Some(a)) => {
                self.screen = Screen::Appeals;
                self.appeals.detail = Some(Box::new(a));
                self.appeals.detail_scroll = 0;
            }
            Ok(None) => self.say(Tone::Error, format!("{code}?")),
            Err(e) => {
                let said = e.message(self.lang);
                self.say(Tone::Error, said)
            }
        }
    }

    pub fn actor(&self) -> String {
        self.staff
            .as_ref()
            .map(|s| s.name.clone())
            .unwrap_or_else(|| "system".into())
    }
}

impl App {
    /// Whether the terminal is too small to show what is being typed.
    pub fn too_small(&self) -> bool {
        self.size.is_some_and(|(w, h)| w < MIN_SIZE.0 || h < MIN_SIZE.1)
    }

    /// Whether printable keys type text right now (the register form, the
    /// search box): then `q`, `?` and the digits are text.
    pub fn takes_text(&self) -> bool {
        match self.overlay {
            Overlay::None => {
                self.screen == Screen::Register || (self.screen == Screen::Appeals && self.appeals.searching)
            }
            _ => false,
        }
    }

    pub fn overlay_is_none(&self) -> bool {
        matches!(self.overlay, Overlay::None)
    }

    /// "P 打印回执 · Enter / Esc 关闭": what a receipt or codes panel takes.
    pub fn receipt_hint(&self) -> String {
        let print = self.keymap.keys_label(super::keymap::Action::PrintReceipt);
        format!("{print} {} · {}", self.t.to_print, self.close_hint())
    }

    /// "Enter / Esc 关闭": the keys that close a panel (`open` and `back`).
    pub fn close_hint(&self) -> String {
        let keys: Vec<String> = [super::keymap::Action::Open, super::keymap::Action::Back]
            .iter()
            .flat_map(|a| self.keymap.keys_for(*a).first().map(|k| k.display()))
            .collect();
        format!("{} {}", keys.join(" / "), self.t.to_close)
    }
}

pub fn secret_input() -> TextInput {
    let mut t = TextInput::new(crate::domain::station::MAX_PIN_CHARS);
    t.secret = true;
    t
}
