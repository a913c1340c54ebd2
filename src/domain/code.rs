//! Tracking codes (查询码): issued offline at save time and final.
//!
//! Layout `YYMMDD-SSSSSSSSS-TNNNN-C` (24 characters, digits only so that it
//! can be read over the phone):
//! - `YYMMDD` the day of registration, so codes sort by date;
//! - `SSSSSSSSS` the station code (6-digit county code + 3-digit station
//!   number), so codes are unique across stations;
//! - `T` the terminal number (1-9) and `NNNN` that terminal's sequence for
//!   the day, so several terminals of one station never collide;
//! - `C` a Damm check digit over all other digits, which catches every
//!   single mistyped digit and every swap of two adjacent digits.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::validate::to_half_width;

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TrackingCode {
    /// The canonical dashed form; validated on construction.
    text: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("查询码应为 21 位数字（可含短横线），实际 {0} 位")]
    Length(usize),
    #[error("查询码只能包含数字和短横线")]
    Characters,
    #[error("查询码日期无效")]
    Date,
    #[error("查询码校验位不符，请逐位核对")]
    Check,
    #[error("站点编号应为 9 位数字，终端号应为 1-9，当日序号应为 1-9999")]
    Parts,
}

const DAMM: [[u8; 10]; 10] = [
    [0, 3, 1, 7, 5, 9, 8, 6, 4, 2],
    [7, 0, 9, 2, 1, 5, 4, 8, 6, 3],
    [4, 2, 0, 6, 8, 7, 1, 3, 5, 9],
    [1, 7, 5, 0, 9, 8, 3, 4, 2, 6],
    [6, 1, 2, 3, 0, 4, 5, 9, 7, 8],
    [3, 6, 7, 4, 2, 0, 9, 5, 8, 1],
    [5, 8, 6, 9, 7, 2, 0, 1, 3, 4],
    [8, 9, 4, 5, 3, 6, 2, 0, 1, 7],
    [9, 4, 3, 8, 6, 1, 7, 2, 0, 5],
    [2, 5, 8, 1, 4, 3, 6, 7, 9, 0],
];

/// Damm check digit of a string of ASCII digits (non-digits are skipped).
pub fn damm_digit(digits: &str) -> u8 {
    digits
        .bytes()
        .filter(u8::is_ascii_digit)
        .fold(0u8, |interim, b| DAMM[interim as usize][(b - b'0') as usize])
}

pub const CODE_DIGITS: usize = 21;

impl TrackingCode {
    pub fn new(date: NaiveDate, station: &str, terminal: u8, seq: u16) -> Result<TrackingCode, CodeError> {
        if station.len() != 9
            || !station.bytes().all(|b| b.is_ascii_digit())
            || !(1..=9).contains(&terminal)
            || !(1..=9999).contains(&seq)
            || !(2000..=2099).contains(&date.year())
        {
            return Err(CodeError::Parts);
        }
        let body = format!(
            "{:02}{:02}{:02}-{station}-{terminal}{seq:04}",
            date.year() - 2000,
            date.month(),
            date.day()
        );
        let check = damm_digit(&body);
        Ok(TrackingCode {
            text: format!("{body}-{check}"),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The 21 digits without dashes (what search matches when staff type a
    /// code without separators).
    pub fn digits(&self) -> String {
        self.text.chars().filter(char::is_ascii_digit).collect()
    }

    pub fn date(&self) -> NaiveDate {
        let d = self.text.as_bytes();
        let num = |i: usize| ((d[i] - b'0') * 10 + (d[i + 1] - b'0')) as u32;
        NaiveDate::from_ymd_opt(2000 + num(0) as i32, num(2), num(4)).unwrap_or_default()
    }

    pub fn station(&self) -> &str {
        &self.text[7..16]
    }

    pub fn terminal(&self) -> u8 {
        self.text.as_bytes()[17] - b'0'
    }

    pub fn seq(&self) -> u16 {
        self.text[18..22].parse().unwrap_or(0)
    }

    /// Key prefix shared by every code one terminal issues on one day.
    pub fn day_prefix(date: NaiveDate, station: &str, terminal: u8) -> String {
        format!(
            "{:02}{:02}{:02}-{station}-{terminal}",
            date.year() - 2000,
            date.month(),
            date.day()
        )
    }
}

impl FromStr for TrackingCode {
    type Err = CodeError;

    /// Accepts the code with or without dashes or spaces, full-width digits
    /// included, and checks the check digit.
    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let half = to_half_width(input);
        let mut digits = String::with_capacity(CODE_DIGITS);
        for c in half.chars() {
            match c {
                '0'..='9' => digits.push(c),
                '-' | ' ' => {}
                _ => return Err(CodeError::Characters),
            }
        }
        if digits.len() != CODE_DIGITS {
            return Err(CodeError::Length(digits.len()));
        }
        if damm_digit(&digits) != 0 {
            return Err(CodeError::Check);
        }
        let text = format!(
            "{}-{}-{}-{}",
            &digits[0..6],
            &digits[6..15],
            &digits[15..20],
            &digits[20..21]
        );
        let code = TrackingCode { text };
        if NaiveDate::from_ymd_opt(
            2000 + digits[0..2].parse::<i32>().unwrap_or(0),
            digits[2..4].parse().unwrap_or(0),
            digits[4..6].parse().unwrap_or(0),
        )
        .is_none()
        {
            return Err(CodeError::Date);
        }
        if code.terminal() == 0 || code.seq() == 0 {
            return Err(CodeError::Parts);
        }
        Ok(code)
    }
}

impl fmt::Display for TrackingCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl Serialize for TrackingCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for TrackingCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample() -> TrackingCode {
        TrackingCode::new(NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(), "330999012", 2, 15).unwrap()
    }

    #[test]
    fn layout_is_24_chars_and_round_trips() {
        let c = sample();
        assert_eq!(c.as_str().len(), 24);
        assert!(c.as_str().starts_with("261122-330999012-20015-"));
        assert_eq!(c.as_str().parse::<TrackingCode>().unwrap(), c);
        assert_eq!(c.digits().parse::<TrackingCode>().unwrap(), c);
        assert_eq!(c.date(), NaiveDate::from_ymd_opt(2026, 11, 22).unwrap());
        assert_eq!((c.station(), c.terminal(), c.seq()), ("330999012", 2, 15));
    }

    #[test]
    fn full_width_and_spaces_are_accepted() {
        let c = sample();
        let fw: String = c
            .digits()
            .chars()
            .map(|d| char::from_u32(d as u32 - '0' as u32 + 0xFF10).unwrap())
            .collect();
        assert_eq!(fw.parse::<TrackingCode>().unwrap(), c);
    }

    #[test]
    fn codes_sort_by_date() {
        let a = TrackingCode::new(
            NaiveDate::from_ymd_opt(2026, 1, 31).unwrap(),
            "330999999",
            9,
            9999,
        )
        .unwrap();
        let b = TrackingCode::new(NaiveDate::from_ymd_opt(2026, 2, 1).unwrap(), "330999001", 1, 1).unwrap();
        assert!(a < b);
    }

    #[test]
    fn bad_parts_are_refused() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        assert!(TrackingCode::new(d, "33099901", 1, 1).is_err());
        assert!(TrackingCode::new(d, "330999012", 0, 1).is_err());
        assert!(TrackingCode::new(d, "330999012", 1, 0).is_err());
        assert_eq!("12345".parse::<TrackingCode>(), Err(CodeError::Length(5)));
        assert_eq!("26112a".parse::<TrackingCode>(), Err(CodeError::Characters));
    }

    proptest! {
        #[test]
        fn any_single_digit_error_is_caught(day in 0u32..3000, station in 0u32..1_000_000_000, t in 1u8..10, seq in 1u16..10000, pos in 0usize..21, delta in 1u8..10) {
            let date = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap() + chrono::Days::new(day as u64);
            let code = TrackingCode::new(date, &format!("{station:09}"), t, seq).unwrap();
            let mut digits: Vec<u8> = code.digits().into_bytes();
            digits[pos] = b'0' + (digits[pos] - b'0' + delta) % 10;
            let typo = String::from_utf8(digits).unwrap();
            prop_assert!(typo.parse::<TrackingCode>().is_err());
        }

        #[test]
        fn any_adjacent_swap_is_caught(day in 0u32..3000, station in 0u32..1_000_000_000, t in 1u8..10, seq in 1u16..10000, pos in 0usize..20) {
            let date = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap() + chrono::Days::new(day as u64);
            let code = TrackingCode::new(date, &format!("{station:09}"), t, seq).unwrap();
            let mut digits: Vec<u8> = code.digits().into_bytes();
            prop_assume!(digits[pos] != digits[pos + 1]);
            digits.swap(pos, pos + 1);
            let typo = String::from_utf8(digits).unwrap();
            prop_assert!(typo.parse::<TrackingCode>().is_err());
        }
    }
}
