//! Tracking codes (查询码): issued offline at save time and final.
//!
//! Layout `YYMMDD-SSSSSSSSS-TNNNN-C` (24 characters, digits only so that it
//! can be read over the phone), or `YYMMDD-SSSSSSSSS-TNNNNN-C` (25) once a
//! terminal has issued more than 9,999 codes in a day:
//! - `YYMMDD` the day of registration, so codes sort by date;
//! - `SSSSSSSSS` the station code (6-digit county code + 3-digit station
//!   number), so codes are unique across stations;
//! - `T` the terminal number (1-9) and `NNNN` that terminal's sequence for
//!   the day, so several terminals of one station never collide: 1-9999 in
//!   four digits (21 digits in all, as every code before the long form),
//!   10000-99999 in five (22 digits), so a big import for one date fits;
//! - `C` a Damm check digit over all other digits, which catches every
//!   single mistyped digit and every swap of two adjacent digits.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::validate::to_half_width;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TrackingCode {
    /// The canonical dashed form; validated on construction.
    text: String,
}

/// Why a text is not a tracking code. `Display` gives the English words,
/// for the log; a user reads `message`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("a tracking code has 21 or 22 digits (dashes allowed), this one has {0}")]
    Length(usize),
    #[error("a tracking code holds only digits and dashes")]
    Characters,
    #[error("the tracking code's date is not a valid date")]
    Date,
    /// The last digit is not the check digit of the others: a typo.
    #[error(
        "the tracking code has a typo: by the digits before it, its last digit (the check digit) would be {expected}, not {typed}; compare it digit by digit"
    )]
    Check { typed: char, expected: char },
    #[error(
        "the station number must be 9 digits, the terminal 1-9 and the day's sequence 1-99999 (five digits from 10000)"
    )]
    Parts,
}

impl CodeError {
    /// The error in the user's language.
    pub fn message(&self, lang: crate::i18n::Lang) -> String {
        match lang {
            crate::i18n::Lang::En => self.to_string(),
            crate::i18n::Lang::Zh => match self {
                CodeError::Length(n) => format!("查询码应为 21 或 22 位数字（可含短横线），实际 {n} 位"),
                CodeError::Characters => "查询码只能包含数字和短横线".into(),
                CodeError::Date => "查询码日期无效".into(),
                CodeError::Check { typed, expected } => format!(
                    "查询码有一位输错了：按前面的数字，最后一位（校验位）应为 {expected}，而不是 {typed}；请逐位核对"
                ),
                CodeError::Parts => {
                    "站点编号应为 9 位数字，终端号应为 1-9，当日序号应为 1-99999（10000 起为 5 位）".into()
                }
            },
        }
    }
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

/// Digits of a code whose daily sequence is 1-9999.
pub const CODE_DIGITS: usize = 21;
/// Digits of a code whose daily sequence is 10000-99999.
pub const LONG_CODE_DIGITS: usize = 22;
/// The highest daily sequence of one terminal.
pub const MAX_SEQ: u32 = 99_999;
/// Sequences from here on take five digits.
const LONG_SEQ: u32 = 10_000;
/// Length of `YYMMDD-SSSSSSSSS-T`, the part before the sequence.
const PREFIX_LEN: usize = 18;

/// The order of codes as text (`TrackingCode`'s order, for rows that keep
/// a code as a string): by day, station and terminal, then by sequence,
/// where a five-digit sequence comes after every four-digit one. Strings
/// too short to be codes compare as text.
pub fn cmp_code_text(a: &str, b: &str) -> std::cmp::Ordering {
    match (a.get(..PREFIX_LEN), b.get(..PREFIX_LEN)) {
        (Some(pa), Some(pb)) => pa.cmp(pb).then(a.len().cmp(&b.len())).then(a.cmp(b)),
        _ => a.cmp(b),
    }
}

impl Ord for TrackingCode {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        cmp_code_text(&self.text, &other.text)
    }
}

impl PartialOrd for TrackingCode {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// The terminal digit of the codes the county issues for a station's
/// appeals that citizens send online (`domain::online`): the terminals are
/// 1-9, so these never collide with theirs and need no coordination.
pub const ONLINE_TERMINAL: u8 = 0;

impl TrackingCode {
    pub fn new(date: NaiveDate, station: &str, terminal: u8, seq: u32) -> Result<TrackingCode, CodeError> {
        if station.len() != 9
            || !station.bytes().all(|b| b.is_ascii_digit())
            || terminal > 9
            || !(1..=MAX_SEQ).contains(&seq)
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
        // `{seq:04}` gives four digits below 10000 and five from there on.
        let check = damm_digit(&body);
        Ok(TrackingCode {
            text: format!("{body}-{check}"),
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The 21 (or 22) digits without dashes (what search matches when staff type a
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

    pub fn seq(&self) -> u32 {
        self.text[PREFIX_LEN..self.text.len() - 2].parse().unwrap_or(0)
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
        let mut digits = String::with_capacity(LONG_CODE_DIGITS);
        for c in half.chars() {
            match c {
                '0'..='9' => digits.push(c),
                '-' | ' ' => {}
                _ => return Err(CodeError::Characters),
            }
        }
        let n = digits.len();
        if n != CODE_DIGITS && n != LONG_CODE_DIGITS {
            return Err(CodeError::Length(n));
        }
        if damm_digit(&digits) != 0 {
            let (body, typed) = digits.split_at(n - 1);
            return Err(CodeError::Check {
                typed: typed.chars().next().unwrap_or('0'),
                expected: char::from(b'0' + damm_digit(body)),
            });
        }
        let text = format!(
            "{}-{}-{}-{}",
            &digits[0..6],
            &digits[6..15],
            &digits[15..n - 1],
            &digits[n - 1..n]
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
        // One spelling per code: five digits only from 10000 on.
        let long = n == LONG_CODE_DIGITS;
        if code.seq() == 0 || long != (code.seq() >= LONG_SEQ) {
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
        assert!(TrackingCode::new(d, "330999012", 10, 1).is_err());
        assert!(TrackingCode::new(d, "330999012", 1, 0).is_err());
        // Terminal digit 0 is the county's online origin: a code like any
        // other, with the same check.
        let online = TrackingCode::new(d, "330999012", ONLINE_TERMINAL, 1).unwrap();
        assert_eq!(online.as_str().parse::<TrackingCode>(), Ok(online.clone()));
        assert_eq!(online.terminal(), 0);
        assert_eq!("12345".parse::<TrackingCode>(), Err(CodeError::Length(5)));
        assert_eq!("26112a".parse::<TrackingCode>(), Err(CodeError::Characters));
    }

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
    }

    #[test]
    fn codes_issued_before_the_long_form_stay_valid() {
        for text in ["261120-330999012-10001-5", "261120-330999012-10002-8"] {
            let c: TrackingCode = text.parse().unwrap();
            assert_eq!(c.as_str(), text);
            assert_eq!(c.digits().len(), CODE_DIGITS);
        }
        let c = TrackingCode::new(day(22), "330999012", 2, 9999).unwrap();
        assert_eq!(c.as_str().len(), 24);
        assert_eq!(c.seq(), 9999);
    }

    #[test]
    fn sequences_from_10000_take_five_digits() {
        for (seq, text_len) in [(10_000, 25), (12_345, 25), (MAX_SEQ, 25)] {
            let c = TrackingCode::new(day(22), "330999012", 3, seq).unwrap();
            assert_eq!(c.as_str().len(), text_len, "{c}");
            assert!(
                c.as_str().starts_with(&format!("261122-330999012-3{seq}-")),
                "{c}"
            );
            assert_eq!(c.digits().len(), LONG_CODE_DIGITS);
            assert_eq!(
                (c.station(), c.terminal(), c.seq(), c.date()),
                ("330999012", 3, seq, day(22))
            );
            assert_eq!(c.as_str().parse::<TrackingCode>().unwrap(), c);
            assert_eq!(c.digits().parse::<TrackingCode>().unwrap(), c);
            assert_eq!(damm_digit(&c.digits()), 0);
        }
        assert_eq!(
            TrackingCode::new(day(22), "330999012", 3, MAX_SEQ + 1),
            Err(CodeError::Parts)
        );
        assert_eq!("1".repeat(23).parse::<TrackingCode>(), Err(CodeError::Length(23)));
        assert_eq!("1".repeat(20).parse::<TrackingCode>(), Err(CodeError::Length(20)));
    }

    #[test]
    fn a_short_sequence_has_one_spelling() {
        // 0042 written as 00042 (with a correct check digit) is refused,
        // so one code cannot be written two ways.
        let body = "261122330999012300042";
        let padded = format!("{body}{}", damm_digit(body));
        assert_eq!(padded.parse::<TrackingCode>(), Err(CodeError::Parts));
    }

    #[test]
    fn five_digit_sequences_sort_after_four_digit_ones() {
        let code = |d, t, seq| TrackingCode::new(day(d), "330999012", t, seq).unwrap();
        let mut codes = vec![
            code(23, 1, 1),
            code(22, 1, 10_001),
            code(22, 1, 9_999),
            code(22, 2, 1),
            code(22, 1, 10_000),
            code(22, 1, 1_000),
            code(22, 1, 2),
        ];
        codes.sort();
        let seqs: Vec<(u8, u32)> = codes.iter().map(|c| (c.terminal(), c.seq())).collect();
        assert_eq!(
            seqs,
            [
                (1, 2),
                (1, 1_000),
                (1, 9_999),
                (1, 10_000),
                (1, 10_001),
                (2, 1),
                (1, 1)
            ]
        );
        for a in &codes {
            for b in &codes {
                assert_eq!(cmp_code_text(a.as_str(), b.as_str()), a.cmp(b), "{a} {b}");
            }
        }
    }

    proptest! {
        #[test]
        fn any_single_digit_error_is_caught(day in 0u32..3000, station in 0u32..1_000_000_000, t in 1u8..10, seq in 1u32..=MAX_SEQ, pos in 0usize..22, delta in 1u8..10) {
            let date = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap() + chrono::Days::new(day as u64);
            let code = TrackingCode::new(date, &format!("{station:09}"), t, seq).unwrap();
            let mut digits: Vec<u8> = code.digits().into_bytes();
            let pos = pos % digits.len();
            digits[pos] = b'0' + (digits[pos] - b'0' + delta) % 10;
            let typo = String::from_utf8(digits).unwrap();
            prop_assert!(typo.parse::<TrackingCode>().is_err());
        }

        #[test]
        fn any_adjacent_swap_is_caught(day in 0u32..3000, station in 0u32..1_000_000_000, t in 1u8..10, seq in 1u32..=MAX_SEQ, pos in 0usize..21) {
            let date = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap() + chrono::Days::new(day as u64);
            let code = TrackingCode::new(date, &format!("{station:09}"), t, seq).unwrap();
            let mut digits: Vec<u8> = code.digits().into_bytes();
            let pos = pos % (digits.len() - 1);
            prop_assume!(digits[pos] != digits[pos + 1]);
            digits.swap(pos, pos + 1);
            let typo = String::from_utf8(digits).unwrap();
            prop_assert!(typo.parse::<TrackingCode>().is_err());
        }

        #[test]
        fn codes_order_by_day_then_terminal_then_sequence(a in 1u32..=MAX_SEQ, b in 1u32..=MAX_SEQ, ta in 1u8..10, tb in 1u8..10) {
            let d = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
            let ca = TrackingCode::new(d, "330999012", ta, a).unwrap();
            let cb = TrackingCode::new(d, "330999012", tb, b).unwrap();
            prop_assert_eq!(ca.cmp(&cb), (ta, a).cmp(&(tb, b)));
        }
    }
}
