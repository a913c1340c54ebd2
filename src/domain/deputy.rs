//! People's congress deputies (人大代表).

use serde::{Deserialize, Serialize};

vocabulary! {
    /// The five levels of people's congresses (五级人大).
    Level {
        National = "national", "全国", "National";
        Provincial = "provincial", "省", "Provincial";
        City = "city", "市", "City";
        County = "county", "县", "County";
        Township = "township", "乡镇", "Township";
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deputy {
    pub id: String,
    pub name: String,
    pub level: Level,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub specialties: Vec<String>,
    /// Days of the month this deputy is on duty at the station.
    #[serde(default)]
    pub duty_days: Vec<u32>,
}

impl Deputy {
    pub fn on_duty(&self, day_of_month: u32) -> bool {
        self.duty_days.contains(&day_of_month)
    }
}
