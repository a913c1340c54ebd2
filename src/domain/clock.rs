//! One clock: the station's (or the county's) time zone, "now" in it, and
//! every stored time converted to it for display and export.
//!
//! Stored times keep the offset they were made with; a station and its
//! county read them in one configured zone (default Asia/Shanghai), never
//! in the zone of the machine they run on.

use std::sync::OnceLock;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};

use crate::i18n::Lang;

/// The zone of a station or county whose file does not name one.
pub const DEFAULT_TIME_ZONE: &str = "Asia/Shanghai";

/// An IANA time zone ("Asia/Shanghai", "Asia/Urumqi", "UTC").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Zone(chrono_tz::Tz);

impl Default for Zone {
    fn default() -> Zone {
        Zone(chrono_tz::Asia::Shanghai)
    }
}

/// A fixed instant the whole process reads instead of the system clock
/// (set once at start from `JIEDAI_NOW`, for tests and demonstrations).
static FIXED_NOW: OnceLock<DateTime<Utc>> = OnceLock::new();

/// Makes `now` return this instant for the rest of the process.
pub fn fix_now(at: DateTime<Utc>) {
    let _ = FIXED_NOW.set(at);
}

/// The present instant: the system clock unless fixed with `fix_now`.
pub fn instant() -> DateTime<Utc> {
    FIXED_NOW.get().copied().unwrap_or_else(Utc::now)
}

/// A name that is not an IANA time zone, and the setting that gave it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{setting}: \"{name}\" is not a time zone")]
pub struct ZoneError {
    pub setting: String,
    pub name: String,
}

impl ZoneError {
    pub fn message(&self, lang: Lang) -> String {
        let ZoneError { setting, name } = self;
        lang.pick(
            format!("{setting}：“{name}”不是时区名称，应写成 IANA 时区名，例如 \"{DEFAULT_TIME_ZONE}\""),
            format!("{setting}: \"{name}\" is not a time zone; use an IANA zone name such as \"{DEFAULT_TIME_ZONE}\""),
        )
    }
}

impl Zone {
    /// Reads an IANA zone name; the error names the setting and the value.
    pub fn parse(name: &str, setting: &str) -> Result<Zone, ZoneError> {
        name.trim()
            .parse::<chrono_tz::Tz>()
            .map(Zone)
            .map_err(|_| ZoneError {
                setting: setting.to_string(),
                name: name.to_string(),
            })
    }

    pub fn name(&self) -> &'static str {
        self.0.name()
    }

    /// Now, in this zone, with the offset it has here and now.
    pub fn now(&self) -> DateTime<FixedOffset> {
        self.at(instant())
    }

    /// Today's date in this zone.
    pub fn today(&self) -> NaiveDate {
        self.now().date_naive()
    }

    /// An instant as this zone's wall clock shows it.
    pub fn at<Z: TimeZone>(&self, t: DateTime<Z>) -> DateTime<FixedOffset> {
        t.with_timezone(&self.0).fixed_offset()
    }

    /// A stored time as it reads in this zone, whatever offset it was
    /// stored with.
    pub fn local(&self, t: &DateTime<FixedOffset>) -> DateTime<FixedOffset> {
        self.at(*t)
    }

    /// The date a stored time falls on in this zone.
    pub fn date(&self, t: &DateTime<FixedOffset>) -> NaiveDate {
        self.local(t).date_naive()
    }

    /// "2026-12-07 04:00": a stored time shown in this zone.
    pub fn show(&self, t: &DateTime<FixedOffset>) -> String {
        self.local(t).format("%Y-%m-%d %H:%M").to_string()
    }

    /// A wall-clock time read in this zone (a date and time typed or
    /// imported without an offset). A time skipped by a change of offset
    /// is none; an ambiguous one is the earlier.
    pub fn from_local(&self, naive: NaiveDateTime) -> Option<DateTime<FixedOffset>> {
        self.0
            .from_local_datetime(&naive)
            .earliest()
            .map(|t| t.fixed_offset())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_utc_evening_is_the_next_morning_in_shanghai() {
        let zone = Zone::default();
        let utc = Utc.with_ymd_and_hms(2026, 12, 6, 20, 0, 0).unwrap();
        let local = zone.at(utc);
        assert_eq!(local.to_rfc3339(), "2026-12-07T04:00:00+08:00");
        assert_eq!(
            zone.date(&utc.fixed_offset()),
            NaiveDate::from_ymd_opt(2026, 12, 7).unwrap()
        );
        assert_eq!(zone.show(&utc.fixed_offset()), "2026-12-07 04:00");
    }

    #[test]
    fn zones_are_read_by_name_and_a_wrong_name_is_named() {
        let urumqi = Zone::parse("Asia/Urumqi", "station.time_zone").unwrap();
        assert_eq!(urumqi.name(), "Asia/Urumqi");
        let e = Zone::parse("Asia/Beijing", "station.time_zone")
            .unwrap_err()
            .message(Lang::En);
        assert!(
            e.contains("station.time_zone") && e.contains("Asia/Beijing"),
            "{e}"
        );
        let e = Zone::parse("CST+8", "station.time_zone")
            .unwrap_err()
            .message(Lang::Zh);
        assert!(e.contains("不是时区"), "{e}");
    }

    #[test]
    fn a_zone_with_summer_time_keeps_each_date_its_offset() {
        let berlin = Zone::parse("Europe/Berlin", "x").unwrap();
        let winter = berlin.from_local(
            NaiveDate::from_ymd_opt(2026, 1, 10)
                .unwrap()
                .and_hms_opt(9, 0, 0)
                .unwrap(),
        );
        let summer = berlin.from_local(
            NaiveDate::from_ymd_opt(2026, 7, 10)
                .unwrap()
                .and_hms_opt(9, 0, 0)
                .unwrap(),
        );
        assert_eq!(winter.unwrap().offset().local_minus_utc(), 3600);
        assert_eq!(summer.unwrap().offset().local_minus_utc(), 7200);
    }
}
