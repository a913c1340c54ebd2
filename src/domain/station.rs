//! Stations, their staff, handling units and reception schedule.

use super::points::{PointsRules, RulesProblem};
use std::cell::Cell;

use chrono::{Datelike, NaiveDate, NaiveTime};
use serde::{Deserialize, Serialize};

use super::calendar::{Holidays, NotCovered, TableError};
use super::clock::{Zone, ZoneError};
use super::validate::ValidationError;
use crate::i18n::Lang;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StationKind {
    /// 代表之家, township or street level.
    Home,
    /// 代表联络站, village or community level.
    Station,
    /// 联络点, below a station.
    Point,
}

impl StationKind {
    pub fn label(self, lang: Lang) -> &'static str {
        match self {
            StationKind::Home => lang.pick("代表之家", "Deputy home"),
            StationKind::Station => lang.pick("代表联络站", "Liaison station"),
            StationKind::Point => lang.pick("代表联络点", "Contact point"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Staff {
    pub id: String,
    pub name: String,
    /// The sign-in PIN as a salted argon2id hash (a PHC string), when the
    /// station sets one for this person. The PIN itself is never kept.
    /// Journals written before PINs were hashed hold the PIN under `pin`;
    /// it is still read (see `pin_matches`) until the station is set up
    /// again.
    #[serde(default, alias = "pin", skip_serializing_if = "Option::is_none")]
    pub pin_hash: Option<String>,
}

/// The hash kept for a PIN: argon2id with the crate's default cost
/// (19 MiB, two passes), salted with `salt`, which must be random.
pub fn hash_pin(pin: &str, salt: &[u8; 16]) -> Result<String, PinHashError> {
    use argon2::PasswordHasher;
    let salt = argon2::password_hash::SaltString::encode_b64(salt).map_err(PinHashError)?;
    argon2::Argon2::default()
        .hash_password(pin.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(PinHashError)
}

/// Why a PIN could not be hashed, in argon2's words.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct PinHashError(argon2::password_hash::Error);

/// The fewest characters of a PIN.
pub const MIN_PIN_CHARS: usize = 4;

/// The most characters of a PIN: room for a passphrase.
pub const MAX_PIN_CHARS: usize = 64;

/// A PIN is 4 to 64 characters (digits, letters, any other signs, spaces
/// inside), no control characters and no space at either end. Four digits
/// keep out only someone guessing at the kiosk: whoever holds the hash
/// tries all 10,000 in minutes, so a PIN that must resist that is a
/// passphrase (see the README, "Privacy at rest").
pub fn validate_pin(pin: &str) -> Result<(), PinRule> {
    let n = pin.chars().count();
    if (MIN_PIN_CHARS..=MAX_PIN_CHARS).contains(&n) && !pin.chars().any(char::is_control) && pin.trim() == pin
    {
        Ok(())
    } else {
        Err(PinRule)
    }
}

/// A PIN that breaks the rule `validate_pin` checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("a PIN is {MIN_PIN_CHARS} to {MAX_PIN_CHARS} characters")]
pub struct PinRule;

impl PinRule {
    pub fn message(&self, lang: Lang) -> String {
        lang.pick(
            format!(
                "PIN 应为 {MIN_PIN_CHARS} 到 {MAX_PIN_CHARS} 个字符（数字、字母或其他符号，中间可有空格，首尾不能是空格）"
            ),
            format!(
                "a PIN is {MIN_PIN_CHARS} to {MAX_PIN_CHARS} characters (digits, letters or other signs, spaces inside but not at either end)"
            ),
        )
    }
}

impl Staff {
    pub fn has_pin(&self) -> bool {
        self.pin_hash.is_some()
    }

    /// Whether `typed` is this person's PIN.
    pub fn pin_matches(&self, typed: &str) -> bool {
        use argon2::PasswordVerifier;
        match self.pin_hash.as_deref() {
            None => false,
            Some(hash) if hash.starts_with("$argon2") => argon2::password_hash::PasswordHash::new(hash)
                .map(|parsed| {
                    argon2::Argon2::default()
                        .verify_password(typed.as_bytes(), &parsed)
                        .is_ok()
                })
                .unwrap_or(false),
            // A PIN kept in the clear by an older version.
            Some(plain) => bool::from(subtle::ConstantTimeEq::ct_eq(plain.as_bytes(), typed.as_bytes())),
        }
    }

    /// Whether this person's PIN is still kept in the clear (written by an
    /// older version); setting the station up again hashes it.
    pub fn pin_in_clear(&self) -> bool {
        self.pin_hash
            .as_deref()
            .is_some_and(|h| !h.starts_with("$argon2"))
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandlingUnit {
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Station {
    /// 6-digit county code + 3-digit station number; part of every tracking code.
    pub code: String,
    pub name: String,
    pub kind: StationKind,
    pub county: String,
    #[serde(default)]
    pub address: String,
    /// The station's phone, as `validate::normalize_phone` writes it: the
    /// receipt offers it for questions by phone. None: the receipt
    /// promises no call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// Days of the month that are reception days (接待选民日), e.g. [10, 20].
    pub reception_days: Vec<u32>,
    #[serde(default)]
    pub reception_hours: String,
    #[serde(default)]
    pub staff: Vec<Staff>,
    #[serde(default)]
    pub units: Vec<HandlingUnit>,
    /// Where the station's public pages live: the county server's public
    /// address followed by the station's code (e.g.
    /// "https://rd.example.cn/330999012"), the base of every QR code.
    /// Stations set up before QR codes have none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_url: Option<String>,
    /// Days within which a citizen can expect a reply when the appeal has
    /// no referral deadline yet (`DEFAULT_REPLY_DAYS` when unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_days: Option<u32>,
    /// Working days (工作日, by the holiday table) within which a reply is
    /// expected, in place of `reply_days`' calendar days
    /// (`reply_working_days` in `[station]`; the two exclude each other).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_working_days: Option<u32>,
    /// The station's own holiday table, the text of the file `holidays`
    /// in `[station]` names (read by `init`): each year it lists replaces
    /// that year of the shipped table (`calendar::Holidays::shipped_with`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holidays: Option<String>,
    /// The nightly sync with the county (`[sync]` in the station file).
    #[serde(default, skip_serializing_if = "SyncSettings::is_unset")]
    pub sync: SyncSettings,
    /// The station's IANA time zone (`time_zone` in `[station]`): every
    /// time it records, shows or exports is in it. None: Asia/Shanghai.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    /// Duty points' rule table (`[points]` in the station file).
    #[serde(default, skip_serializing_if = "is_default_points")]
    pub points: PointsRules,
}

fn is_default_points(p: &PointsRules) -> bool {
    *p == PointsRules::default()
}

/// The `[sync]` table of the station file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyncSettings {
    /// The nightly window in which a terminal syncs by itself, as
    /// "HH:MM-HH:MM" in local time ("23:00-05:00" crosses midnight).
    /// None: only when staff or a timer ask.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<String>,
    /// Seconds after the last save at which an enrolled kiosk sends what
    /// was saved (`DEFAULT_AFTER_SAVE_SECS` when unset; 0: only at night
    /// or when asked).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_save_secs: Option<u32>,
}

/// Seconds from the last save to the sync after it, when the station
/// file does not say.
pub const DEFAULT_AFTER_SAVE_SECS: u32 = 20;

/// The longest `after_save_secs` (longer waits defeat its purpose: the
/// citizen scanning a receipt at the desk).
pub const MAX_AFTER_SAVE_SECS: u32 = 600;

impl SyncSettings {
    pub fn is_unset(&self) -> bool {
        self.window.is_none() && self.after_save_secs.is_none()
    }

    /// How long after the last save a kiosk syncs by itself; None: never.
    pub fn after_save(&self) -> Option<std::time::Duration> {
        match self.after_save_secs.unwrap_or(DEFAULT_AFTER_SAVE_SECS) {
            0 => None,
            n => Some(std::time::Duration::from_secs(u64::from(n))),
        }
    }
}

/// A text that is not a time window (what was given).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("\"{0}\"")]
pub struct BadSyncWindow(pub String);

/// A daily time window, "HH:MM-HH:MM"; an end before the start means the
/// window runs past midnight into the next day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SyncWindow {
    pub start: NaiveTime,
    pub end: NaiveTime,
}

impl SyncWindow {
    /// Reads "23:00-05:00" (also with a full-width dash or spaces around it).
    pub fn parse(text: &str) -> Result<SyncWindow, BadSyncWindow> {
        let bad = || BadSyncWindow(text.to_string());
        let normal = text.trim().replace(['–', '—', '－', '~', '～'], "-");
        let (a, b) = normal.split_once('-').ok_or_else(bad)?;
        let time = |s: &str| NaiveTime::parse_from_str(s.trim(), "%H:%M").map_err(|_| bad());
        let (start, end) = (time(a)?, time(b)?);
        if start == end {
            return Err(bad());
        }
        Ok(SyncWindow { start, end })
    }

    /// Whether the window runs past midnight.
    pub fn crosses_midnight(&self) -> bool {
        self.end < self.start
    }
}

impl std::fmt::Display for SyncWindow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}", self.start.format("%H:%M"), self.end.format("%H:%M"))
    }
}

/// The longest texts a station file may give, in characters: (field,
/// limit). A station's name is printed on every receipt.
pub const STATION_TEXT_LIMITS: [(&str, usize); 4] = [
    ("station.name", 60),
    ("station.county", 40),
    ("station.address", 120),
    ("station.reception_hours", 60),
];
/// The longest staff id and name, unit name and public URL, in characters.
pub const MAX_STAFF_ID: usize = 32;
pub const MAX_STAFF_NAME: usize = 40;
pub const MAX_UNIT_NAME: usize = 60;
pub const MAX_PUBLIC_URL: usize = 200;
/// At most this many staff and handling units in one station file.
pub const MAX_STAFF: usize = 500;
pub const MAX_UNITS: usize = 2000;

/// Days to a reply when the station file does not say.
pub const DEFAULT_REPLY_DAYS: u32 = 15;

/// The most working days a station may give a reply (a year's worth).
pub const MAX_REPLY_WORKING_DAYS: u32 = 250;

impl Station {
    /// Days within which a reply is expected (calendar days; a station
    /// that counts working days says so in `reply_working_days`, and
    /// `reply_due` counts either).
    pub fn reply_days(&self) -> u32 {
        self.reply_days.unwrap_or(DEFAULT_REPLY_DAYS)
    }

    /// The day by which a reply is expected for an appeal registered on
    /// `registered_on` (in the station's zone) that has no referral
    /// deadline: `reply_working_days` working days later by `holidays`
    /// (`Station::holidays`), or else `reply_days` calendar days later. A
    /// working day in a year the table does not cover is named, never
    /// guessed.
    pub fn reply_due(&self, registered_on: NaiveDate, holidays: &Holidays) -> Result<NaiveDate, NotCovered> {
        match self.reply_working_days {
            Some(n) => holidays.add_working_days(registered_on, n),
            None => Ok(registered_on + chrono::Days::new(u64::from(self.reply_days()))),
        }
    }

    /// The holiday table the station counts working days by: the shipped
    /// one with the station's own over it. `validate` refuses an own
    /// table that does not read, so a station set up by `init` always has
    /// its own years (one that does not read counts by the shipped table).
    pub fn holidays(&self) -> Holidays {
        Holidays::shipped_with(self.holidays.as_deref()).unwrap_or_else(|_| Holidays::shipped())
    }

    /// The station's time zone (Asia/Shanghai unless the file names
    /// another; a name `validate` would refuse reads as the default).
    pub fn zone(&self) -> Zone {
        self.time_zone
            .as_deref()
            .and_then(|z| Zone::parse(z, "").ok())
            .unwrap_or_default()
    }

    /// The nightly sync window, when the station sets a valid one.
    pub fn sync_window(&self) -> Option<SyncWindow> {
        self.sync
            .window
            .as_deref()
            .and_then(|w| SyncWindow::parse(w).ok())
    }

    pub fn is_reception_day(&self, date: NaiveDate) -> bool {
        self.reception_days.contains(&date.day())
    }

    /// The first reception day on or after `from` (within a year).
    pub fn next_reception_day(&self, from: NaiveDate) -> Option<NaiveDate> {
        from.iter_days().take(366).find(|d| self.is_reception_day(*d))
    }

    /// The next `n` reception days from `from` (inclusive).
    pub fn next_reception_days(&self, from: NaiveDate, n: usize) -> Vec<NaiveDate> {
        let mut days = Vec::new();
        let mut day = Some(from);
        while let Some(d) = day
            && days.len() < n
        {
            let Some(next) = self.next_reception_day(d) else {
                break;
            };
            days.push(next);
            day = next.succ_opt();
        }
        days
    }

    /// "每月10日、20日" / "the 10th, 20th of each month".
    pub fn schedule_text(&self, lang: Lang) -> String {
        let days: Vec<String> = self
            .reception_days
            .iter()
            .map(|d| match lang {
                Lang::Zh => format!("{d}日"),
                Lang::En => ordinal(*d),
            })
            .collect();
        match lang {
            Lang::Zh => format!("每月{}", days.join("、")),
            Lang::En => format!("the {} of each month", days.join(", ")),
        }
    }

    /// Checks what `init` needs: a 9-digit code, a name, valid days, staff.
    pub fn validate(&self) -> Result<(), StationProblem> {
        if self.code.len() != 9 || !self.code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(StationProblem::Code(self.code.clone()));
        }
        if self.name.trim().is_empty() {
            return Err(StationProblem::NoName);
        }
        let too_long = |field: &'static str, n: usize, max: usize| StationProblem::TooLong { field, n, max };
        let texts = [&self.name, &self.county, &self.address, &self.reception_hours];
        for ((field, max), text) in STATION_TEXT_LIMITS.iter().zip(texts) {
            let n = text.chars().count();
            if n > *max {
                return Err(too_long(field, n, *max));
            }
        }
        if let Some(phone) = &self.phone
            && let Err(e) = super::validate::normalize_phone(phone)
        {
            return Err(StationProblem::Phone(e));
        }
        if let Some(url) = &self.public_url
            && url.chars().count() > MAX_PUBLIC_URL
        {
            return Err(too_long(
                "station.public_url",
                url.chars().count(),
                MAX_PUBLIC_URL,
            ));
        }
        for (list, n, max) in [
            ("staff", self.staff.len(), MAX_STAFF),
            ("units", self.units.len(), MAX_UNITS),
        ] {
            if n > max {
                return Err(StationProblem::TooMany { list, n, max });
            }
        }
        for s in &self.staff {
            for (field, text, max) in [
                ("staff.id", &s.id, MAX_STAFF_ID),
                ("staff.name", &s.name, MAX_STAFF_NAME),
            ] {
                let n = text.chars().count();
                if n > max {
                    return Err(too_long(field, n, max));
                }
            }
        }
        if let Some(u) = self.units.iter().find(|u| u.name.chars().count() > MAX_UNIT_NAME) {
            return Err(too_long("units.name", u.name.chars().count(), MAX_UNIT_NAME));
        }
        if let Some(d) = self.reception_days.iter().find(|d| !(1..=31).contains(*d)) {
            return Err(StationProblem::ReceptionDay(*d));
        }
        if self.staff.is_empty() {
            return Err(StationProblem::NoStaff);
        }
        if let Some(url) = self.public_url.as_deref().filter(|u| !u.trim().is_empty()) {
            super::public::check_public_url(url, &self.code).map_err(|_| StationProblem::PublicUrl {
                url: url.to_string(),
                station: self.code.clone(),
            })?;
        }
        if let Some(w) = &self.sync.window {
            SyncWindow::parse(w).map_err(StationProblem::SyncWindow)?;
        }
        if let Some(n) = self.sync.after_save_secs
            && n > MAX_AFTER_SAVE_SECS
        {
            return Err(StationProblem::AfterSave(n));
        }
        if let Some(z) = &self.time_zone {
            Zone::parse(z, "station.time_zone").map_err(StationProblem::Zone)?;
        }
        let mut ids: Vec<&str> = self.staff.iter().map(|s| s.id.as_str()).collect();
        ids.sort_unstable();
        if let Some(w) = ids.windows(2).find(|w| w[0] == w[1]) {
            return Err(StationProblem::StaffTwice(w[0].to_string()));
        }
        self.points.check().map_err(StationProblem::Points)?;
        if self.reply_days.is_some() && self.reply_working_days.is_some() {
            return Err(StationProblem::ReplyDaysTwice);
        }
        if let Some(n) = self.reply_working_days
            && !(1..=MAX_REPLY_WORKING_DAYS).contains(&n)
        {
            return Err(StationProblem::ReplyWorkingDays(n));
        }
        if let Some(text) = &self.holidays {
            Holidays::parse(text).map_err(StationProblem::Holidays)?;
        }
        Ok(())
    }
}

fn ordinal(n: u32) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// What `Station::validate` refuses in a station file; `message` words
/// it (`Display` gives the English, for the log).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StationProblem {
    #[error("station.code: must be 9 digits, not \"{0}\"")]
    Code(String),
    #[error("station.name: must not be empty")]
    NoName,
    #[error("{field}: {n} characters, over the limit of {max}")]
    TooLong {
        field: &'static str,
        n: usize,
        max: usize,
    },
    #[error("station.phone: {}", .0.message_en())]
    Phone(ValidationError),
    #[error("{list}: {n} entries, over the limit of {max}")]
    TooMany {
        list: &'static str,
        n: usize,
        max: usize,
    },
    #[error("station.reception_days: {0} is not a day of the month (1-31)")]
    ReceptionDay(u32),
    #[error("staff: at least one member of staff is needed")]
    NoStaff,
    #[error("station.public_url: \"{url}\" cannot be the address in QR codes")]
    PublicUrl { url: String, station: String },
    #[error("sync.window: {0} is not a time window")]
    SyncWindow(BadSyncWindow),
    #[error("sync.after_save_secs: {0} seconds is too long")]
    AfterSave(u32),
    #[error("{0}")]
    Zone(ZoneError),
    #[error("staff: the staff id \"{0}\" is used twice")]
    StaffTwice(String),
    #[error("points: {0}")]
    Points(RulesProblem),
    #[error("station: reply_days and reply_working_days exclude each other")]
    ReplyDaysTwice,
    #[error("station.reply_working_days: {0} is not 1 to {MAX_REPLY_WORKING_DAYS}")]
    ReplyWorkingDays(u32),
    #[error("station.holidays: {0}")]
    Holidays(TableError),
}

impl StationProblem {
    pub fn message(&self, lang: Lang) -> String {
        match self {
            StationProblem::Code(code) => lang.pick(
                format!("station.code：应为 9 位数字（6 位县区代码 + 3 位站点编号），实际为“{code}”"),
                format!(
                    "station.code: must be 9 digits (6-digit county code + 3-digit station number), not \"{code}\""
                ),
            ),
            StationProblem::NoName => lang
                .pick("station.name：不能为空", "station.name: must not be empty")
                .into(),
            StationProblem::TooLong { field, n, max } => lang.pick(
                format!("{field}：{n} 个字符，超过上限 {max} 个字符"),
                format!("{field}: {n} characters, over the limit of {max}"),
            ),
            StationProblem::Phone(e) => {
                let message = lang.pick(e.message_zh(), e.message_en());
                lang.pick(
                    format!("station.phone：{message}"),
                    format!("station.phone: {message}"),
                )
            }
            StationProblem::TooMany { list, n, max } => lang.pick(
                format!("{list}：{n} 项，超过上限 {max} 项"),
                format!("{list}: {n} entries, over the limit of {max}"),
            ),
            StationProblem::ReceptionDay(d) => lang.pick(
                format!("station.reception_days：{d} 不是有效的日期（1-31）"),
                format!("station.reception_days: {d} is not a day of the month (1-31)"),
            ),
            StationProblem::NoStaff => lang
                .pick(
                    "staff：至少需要一名工作人员",
                    "staff: at least one member of staff is needed",
                )
                .into(),
            StationProblem::PublicUrl { url, station } => super::public::url_problem(url, station, lang),
            StationProblem::SyncWindow(BadSyncWindow(w)) => lang.pick(
                format!("sync.window：“{w}”不是有效的时间段，应写成“时:分-时:分”，例如 \"23:00-05:00\"（可跨午夜，起止不能相同）"),
                format!("sync.window: \"{w}\" is not a time window; write it as \"HH:MM-HH:MM\", e.g. \"23:00-05:00\" (it may cross midnight; start and end must differ)"),
            ),
            StationProblem::AfterSave(n) => lang.pick(
                format!("sync.after_save_secs：{n} 秒太长，最多 {MAX_AFTER_SAVE_SECS} 秒（0 表示保存后不自动上报）"),
                format!("sync.after_save_secs: {n} seconds is too long; at most {MAX_AFTER_SAVE_SECS} (0: no sync after saves)"),
            ),
            StationProblem::Zone(e) => e.message(lang),
            StationProblem::StaffTwice(id) => lang.pick(
                format!("staff：工作人员编号“{id}”重复"),
                format!("staff: the staff id \"{id}\" is used twice"),
            ),
            StationProblem::ReplyDaysTwice => lang
                .pick(
                    "station：reply_days（自然日）与 reply_working_days（工作日）只能写一个",
                    "station: give reply_days (calendar days) or reply_working_days (working days), not both",
                )
                .into(),
            StationProblem::ReplyWorkingDays(n) => lang.pick(
                format!("station.reply_working_days：{n} 不在 1 到 {MAX_REPLY_WORKING_DAYS} 之间"),
                format!("station.reply_working_days: {n} is not 1 to {MAX_REPLY_WORKING_DAYS}"),
            ),
            StationProblem::Holidays(e) => lang.pick(
                format!("station.holidays：{}", e.message(lang)),
                format!("station.holidays: {}", e.message(lang)),
            ),
            StationProblem::Points(p) => match p {
                RulesProblem::TooMany(what) => lang.pick(
                    format!("points：“{what}”的分值超过上限 {}", super::points::MAX_POINTS),
                    format!("points: {what} gives more than {} points", super::points::MAX_POINTS),
                ),
                RulesProblem::Repeated(code) => lang.pick(
                    format!("points：履职清单项目“{code}”重复"),
                    format!("points: the item \"{code}\" is listed twice"),
                ),
                RulesProblem::Unnamed => lang.pick(
                    "points：履职清单项目缺少 code 或 name".to_string(),
                    "points: an item has no code or no name".to_string(),
                ),
            },
        }
    }
}

/// When an appeal was due: its deadline, or else the station's reply days
/// after its registration (`Station::reply_due`: in working days by the
/// station's holiday table when it counts them so). Where the table does
/// not cover a year, calendar days stand in (an earlier day than any
/// count of working days) and the first such year is kept, for the report
/// to say so.
pub struct ReplyDue<'a> {
    station: &'a Station,
    holidays: Holidays,
    uncovered: Cell<Option<i32>>,
}

impl<'a> ReplyDue<'a> {
    pub fn new(station: &'a Station) -> ReplyDue<'a> {
        ReplyDue {
            station,
            holidays: station.holidays(),
            uncovered: Cell::new(None),
        }
    }

    pub fn on(&self, registered_on: NaiveDate, deadline: Option<NaiveDate>) -> NaiveDate {
        if let Some(d) = deadline {
            return d;
        }
        self.station
            .reply_due(registered_on, &self.holidays)
            .unwrap_or_else(|NotCovered(year)| {
                if self.uncovered.get().is_none_or(|y| year < y) {
                    self.uncovered.set(Some(year));
                }
                registered_on + chrono::Days::new(u64::from(self.station.reply_days()))
            })
    }

    /// The first year the holiday table did not cover, if one was met.
    pub fn uncovered(&self) -> Option<i32> {
        self.uncovered.get()
    }
}

#[cfg(test)]
mod pin_tests {
    use super::*;

    fn staff(pin_hash: Option<String>) -> Staff {
        Staff {
            id: "S1".into(),
            name: "甲".into(),
            pin_hash,
        }
    }

    #[test]
    fn a_hashed_pin_matches_only_itself_and_salts_differ() {
        let a = hash_pin("2468", &[1; 16]).unwrap();
        let b = hash_pin("2468", &[2; 16]).unwrap();
        assert!(a.starts_with("$argon2id$") && !a.contains("2468"));
        assert_ne!(a, b);
        let s = staff(Some(a));
        assert!(s.pin_matches("2468"));
        assert!(!s.pin_matches("2469"));
        assert!(!s.pin_matches(""));
        assert!(!s.pin_in_clear());
    }

    #[test]
    fn an_old_journal_pin_is_read_and_flagged() {
        let s: Staff = serde_json::from_str(r#"{"id":"S1","name":"甲","pin":"1357"}"#).unwrap();
        assert!(s.pin_in_clear());
        assert!(s.pin_matches("1357"));
        assert!(!s.pin_matches("1358"));
        assert!(!staff(None).pin_matches("1357"));
    }

    #[test]
    fn pins_are_four_to_sixty_four_characters() {
        assert!(validate_pin("2468").is_ok());
        assert!(validate_pin("123456789012").is_ok());
        assert!(validate_pin("liu-an 2468 qinghe").is_ok());
        assert!(validate_pin("柳岸二四六八").is_ok());
        assert!(validate_pin(&"7".repeat(64)).is_ok());
        for bad in ["123", "", " 2468", "2468 ", "24\t68", &"7".repeat(65)] {
            assert!(validate_pin(bad).is_err(), "{bad}");
        }
        assert!(
            validate_pin("1")
                .unwrap_err()
                .message(Lang::En)
                .starts_with("a PIN is 4 to 64 characters")
        );
    }
}

#[cfg(test)]
mod reply_tests {
    use super::*;
    use crate::domain::testing::d;

    /// The sample station with a member of staff, as `validate` wants.
    fn sample_station() -> Station {
        let mut s = crate::domain::testing::sample_station();
        s.staff.push(Staff {
            id: "S01".into(),
            name: "沈佳怡".into(),
            pin_hash: None,
        });
        s
    }

    /// A station counts its reply days in calendar days unless it says
    /// working days; working days follow the holiday table, its own years
    /// over the shipped ones.
    #[test]
    fn the_reply_is_due_in_calendar_or_working_days() {
        let mut s = sample_station();
        let shipped = Holidays::shipped();
        // Registered Thu 2026-02-12; 15 calendar days: 02-27.
        assert_eq!(s.reply_days, Some(15));
        assert_eq!(s.reply_due(d(2, 12), &shipped), Ok(d(2, 27)));
        s.reply_days = None;
        s.reply_working_days = Some(5);
        s.validate().unwrap();
        // 5 working days: Fri 02-13, Sat 02-14 (worked), then the Spring
        // Festival, Tue 02-24, Wed 02-25, Thu 02-26.
        assert_eq!(s.reply_due(d(2, 12), &s.holidays()), Ok(d(2, 26)));
        // Registered Thu 2026-12-24: the 5th working day is Thu 12-31, the
        // 6th is in 2027, which the shipped table does not cover.
        assert_eq!(s.reply_due(d(12, 24), &s.holidays()), Ok(d(12, 31)));
        s.reply_working_days = Some(6);
        assert_eq!(s.reply_due(d(12, 24), &s.holidays()), Err(NotCovered(2027)));
        // The station's own table covers 2027 (made up for the test: only
        // 2027-01-01 off): Fri 12-25 … Thu 12-31, then Mon 2027-01-04.
        s.holidays = Some("[[year]]\nyear = 2027\noff = [\"2027-01-01\"]\n".into());
        s.validate().unwrap();
        assert_eq!(
            s.reply_due(d(12, 24), &s.holidays()),
            Ok(NaiveDate::from_ymd_opt(2027, 1, 4).unwrap())
        );
    }

    #[test]
    fn a_station_with_a_table_that_does_not_hold_is_refused() {
        let mut s = sample_station();
        s.reply_working_days = Some(10);
        assert_eq!(s.validate(), Err(StationProblem::ReplyDaysTwice));
        s.reply_days = None;
        s.reply_working_days = Some(0);
        assert_eq!(s.validate(), Err(StationProblem::ReplyWorkingDays(0)));
        s.reply_working_days = Some(10);
        s.holidays = Some("[[year]]\nyear = 2027\noff = [\"2027-02-30\"]\n".into());
        let Err(StationProblem::Holidays(e)) = s.validate() else {
            panic!("a broken table is refused");
        };
        assert_eq!(e.line, Some(3));
        assert!(
            StationProblem::Holidays(e.clone())
                .message(Lang::Zh)
                .starts_with("station.holidays：第 3 行：")
        );
    }
}
