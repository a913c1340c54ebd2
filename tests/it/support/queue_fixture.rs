//! The appeals the work queue's tests list (`county::queue`'s unit tests
//! include this file too): stations, units, Chinese titles and every
//! listed field varied, the same every run.

use chrono::{Duration, FixedOffset, NaiveDate, TimeZone};

use super::domain::{Appeal, Category, DeputyRef, Satisfaction, Status, TrackingCode};

pub const STATIONS: [(&str, &str); 3] = [
    ("330999012", "青禾县城关街道代表联络站"),
    ("330999013", "青禾县白沙镇代表联络站"),
    ("330999014", "青禾县东溪乡代表联络站"),
];
pub const UNITS: [&str; 3] = ["青禾县住房和城乡建设局", "青禾县交通运输局", "白沙镇人民政府"];
pub const WORDS: [&str; 6] = [
    "路灯不亮",
    "小区停车难",
    "学校门口拥堵",
    "Noise 噪音扰民",
    "老旧小区加装电梯",
    "河道垃圾",
];

/// A small deterministic random number generator.
struct Lcg(u64);

impl Lcg {
    /// A number in `0..n`.
    fn below(&mut self, n: u32) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % u64::from(n)) as u32
    }
}

/// `n` appeals over the stations with every listed field varied;
/// deadlines around `today`.
pub fn fixture(n: u32, today: NaiveDate) -> Vec<(String, Appeal)> {
    let zone = FixedOffset::east_opt(8 * 3600).unwrap();
    let mut rng = Lcg(17);
    (0..n)
        .map(|i| {
            let (station, _) = STATIONS[rng.below(3) as usize];
            let day = NaiveDate::from_ymd_opt(2026, 10, 1).unwrap() + Duration::days(rng.below(60) as i64);
            let seq = if i % 9 == 0 { 10_000 + i } else { i + 1 };
            let code = TrackingCode::new(day, station, 1 + rng.below(2) as u8, seq).unwrap();
            let at = zone
                .from_local_datetime(&day.and_hms_opt(8 + rng.below(10), rng.below(60), 0).unwrap())
                .unwrap();
            let mut a = Appeal::registered(code, at);
            a.status = Status::ALL[rng.below(Status::ALL.len() as u32) as usize];
            a.category = Category::ALL[rng.below(5) as usize];
            a.title = format!("{}（电话 1380013{:04}）", WORDS[rng.below(6) as usize], i);
            a.content = format!("第{i}号：{}", WORDS[rng.below(6) as usize]);
            a.location = "青禾县".into();
            if a.status.awaits_unit() || matches!(a.status, Status::Replied | Status::Closed) {
                a.unit = Some(UNITS[rng.below(3) as usize].to_string());
                a.deadline = Some(today + Duration::days(rng.below(30) as i64 - 15));
            }
            if a.status == Status::Replied || a.status == Status::Closed {
                a.reply = Some(format!("已协调处理，编号 {i}"));
            }
            if a.status == Status::Closed && rng.below(3) > 0 {
                a.satisfaction = Some(Satisfaction::ALL[rng.below(3) as usize]);
            }
            a.round = rng.below(3);
            a.chases = rng.below(4);
            a.deputies = (0..rng.below(3))
                .map(|d| DeputyRef {
                    id: format!("D00{}", d + 1 + rng.below(2)),
                    name: "代表".into(),
                })
                .collect();
            (station.to_string(), a)
        })
        .collect()
}

/// The codes of the appeals `keep` keeps, in the codes' order.
pub fn codes_where(held: &[(String, Appeal)], keep: &dyn Fn(&Appeal) -> bool) -> Vec<String> {
    let mut codes: Vec<String> = held
        .iter()
        .filter(|(_, a)| keep(a))
        .map(|(_, a)| a.code.to_string())
        .collect();
    codes.sort_by(|a, b| super::domain::code::cmp_code_text(a, b));
    codes
}
