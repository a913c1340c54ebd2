//! Stations, their staff, handling units and reception schedule.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

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
    /// A sign-in PIN, when the station sets one for this person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pin: Option<String>,
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
    /// Days of the month that are reception days (接待选民日), e.g. [10, 20].
    pub reception_days: Vec<u32>,
    #[serde(default)]
    pub reception_hours: String,
    #[serde(default)]
    pub staff: Vec<Staff>,
    #[serde(default)]
    pub units: Vec<HandlingUnit>,
}

/// One calendar day seen through the station's schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReceptionDay {
    pub date: NaiveDate,
    pub scheduled: bool,
}

impl Station {
    pub fn is_reception_day(&self, date: NaiveDate) -> bool {
        self.reception_days.contains(&date.day())
    }

    pub fn reception_day(&self, date: NaiveDate) -> ReceptionDay {
        ReceptionDay {
            date,
            scheduled: self.is_reception_day(date),
        }
    }

    /// The first reception day on or after `from` (within a year).
    pub fn next_reception_day(&self, from: NaiveDate) -> Option<NaiveDate> {
        from.iter_days().take(366).find(|d| self.is_reception_day(*d))
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
    pub fn validate(&self) -> Result<(), String> {
        if self.code.len() != 9 || !self.code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "station.code：应为 9 位数字（6 位县区代码 + 3 位站点编号），实际为“{}”",
                self.code
            ));
        }
        if self.name.trim().is_empty() {
            return Err("station.name：不能为空".into());
        }
        if let Some(d) = self.reception_days.iter().find(|d| !(1..=31).contains(*d)) {
            return Err(format!("station.reception_days：{d} 不是有效的日期（1-31）"));
        }
        if self.staff.is_empty() {
            return Err("staff：至少需要一名工作人员".into());
        }
        let mut ids: Vec<&str> = self.staff.iter().map(|s| s.id.as_str()).collect();
        ids.sort_unstable();
        if let Some(w) = ids.windows(2).find(|w| w[0] == w[1]) {
            return Err(format!("staff：工作人员编号“{}”重复", w[0]));
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
