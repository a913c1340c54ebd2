//! Resident ID numbers (GB 11643-1999): the check character and the
//! birth date.

use chrono::{Datelike, NaiveDate};

use super::{Field, Problem, ValidationError, to_half_width};

const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK_CHARS: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// GB 11643-1999 check character for the first 17 digits. None if the input
/// is not exactly 17 ASCII digits.
pub fn id_check_char(first17: &str) -> Option<char> {
    let bytes = first17.as_bytes();
    if bytes.len() != 17 || !bytes.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let sum: u32 = bytes
        .iter()
        .zip(ID_WEIGHTS)
        .map(|(b, w)| u32::from(b - b'0') * w)
        .sum();
    ID_CHECK_CHARS.get((sum % 11) as usize).copied()
}

fn ascii_number(digits: &[u8]) -> u32 {
    digits
        .iter()
        .fold(0, |acc, b| acc * 10 + u32::from(b.wrapping_sub(b'0')))
}

/// Normalise and validate an 18-character resident ID number. Returns it with
/// an upper-case X. `today` bounds the birth date. Errors name `Field::IdNumber`.
pub fn validate_id_number(input: &str, today: NaiveDate) -> Result<String, ValidationError> {
    let err = |problem| Err(ValidationError::new(Field::IdNumber, problem));
    let id: String = to_half_width(input)
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if id.is_empty() {
        return err(Problem::Required);
    }
    if !id.chars().all(|c| c.is_ascii_digit() || c == 'X') {
        return err(Problem::IdCharacters);
    }
    // Only ASCII remains, so bytes == chars.
    let bytes = id.as_bytes();
    if bytes.len() != 18 {
        return err(Problem::IdLength { got: bytes.len() });
    }
    let (body, check) = bytes.split_at(17);
    if body.contains(&b'X') {
        return err(Problem::IdCharacters);
    }
    if !(b'1'..=b'8').contains(&body[0]) {
        return err(Problem::IdRegion);
    }
    let year = ascii_number(&body[6..10]);
    let month = ascii_number(&body[10..12]);
    let day = ascii_number(&body[12..14]);
    let birth = i32::try_from(year)
        .ok()
        .and_then(|y| NaiveDate::from_ymd_opt(y, month, day));
    match birth {
        Some(date) if date.year() >= 1900 && date <= today => {}
        _ => return err(Problem::IdBirthDate),
    }
    let Some(expected) = std::str::from_utf8(body).ok().and_then(id_check_char) else {
        return err(Problem::IdCharacters);
    };
    let got = char::from(check[0]);
    if got != expected {
        return err(Problem::IdCheckDigit { expected, got });
    }
    Ok(id)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::domain::validate::{Field, Problem};
    use chrono::NaiveDate;
    use proptest::prelude::*;

    pub(crate) fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2025, 6, 1).expect("valid constant date")
    }

    fn id_err(input: &str) -> Problem {
        match validate_id_number(input, today()) {
            Ok(v) => panic!("{input:?} unexpectedly valid as {v:?}"),
            Err(e) => {
                assert_eq!(e.field, Field::IdNumber);
                e.problem
            }
        }
    }

    /// Append the correct check char to 17 digits.
    pub(crate) fn with_check(first17: &str) -> String {
        let c = id_check_char(first17).expect("17 digits");
        format!("{first17}{c}")
    }

    // ---- ID numbers ----

    #[test]
    fn check_char_matches_known_values() {
        assert_eq!(id_check_char("11010519491231002"), Some('X'));
        assert_eq!(id_check_char("65010120000229007"), Some('2'));
        assert_eq!(id_check_char("81000019900101001"), Some('9'));
        assert_eq!(id_check_char("11010519990230001"), Some('5'));
        assert_eq!(id_check_char("1101051949123100"), None);
        assert_eq!(id_check_char("110105194912310021"), None);
        assert_eq!(id_check_char("1101051949123100A"), None);
        assert_eq!(id_check_char("１1010519491231002"), None);
    }

    #[test]
    fn known_valid_ids() {
        for id in [
            "11010519491231002X",
            "650101200002290072",
            "810000199001010019",
            "44030419900307123X",
            "32010619850615001X",
        ] {
            assert_eq!(validate_id_number(id, today()), Ok(id.to_string()), "{id}");
        }
    }

    #[test]
    fn id_normalisation() {
        let want = Ok("11010519491231002X".to_string());
        assert_eq!(validate_id_number("11010519491231002x", today()), want);
        assert_eq!(validate_id_number("  110105 19491231 002x\t", today()), want);
        assert_eq!(
            validate_id_number("１１０１０５１９４９１２３１００２Ｘ", today()),
            want
        );
        assert_eq!(
            validate_id_number("\u{3000}１１０１０５１９４９１２３１００２ｘ\u{3000}", today()),
            want
        );
    }

    #[test]
    fn id_rejections() {
        assert_eq!(
            id_err("110105194912310021"),
            Problem::IdCheckDigit {
                expected: 'X',
                got: '1'
            }
        );
        assert_eq!(
            id_err("650101200002290073"),
            Problem::IdCheckDigit {
                expected: '2',
                got: '3'
            }
        );
        // Correct check char but impossible date.
        assert_eq!(id_err(&with_check("11010519990230001")), Problem::IdBirthDate);
        assert_eq!(id_err(&with_check("11010519990229001")), Problem::IdBirthDate);
        assert_eq!(id_err(&with_check("11010519991301001")), Problem::IdBirthDate);
        assert_eq!(id_err(&with_check("11010519990100001")), Problem::IdBirthDate);
        // Future and too old.
        assert_eq!(id_err(&with_check("11010520300101001")), Problem::IdBirthDate);
        assert_eq!(id_err(&with_check("11010520250602001")), Problem::IdBirthDate);
        assert_eq!(id_err(&with_check("11010518991231001")), Problem::IdBirthDate);
        // Today itself and 1900-01-01 are fine.
        let born_today = with_check("11010520250601001");
        assert_eq!(validate_id_number(&born_today, today()), Ok(born_today.clone()));
        let old = with_check("11010519000101001");
        assert_eq!(validate_id_number(&old, today()), Ok(old.clone()));
        // Region.
        assert_eq!(id_err(&with_check("01010519491231002")), Problem::IdRegion);
        assert_eq!(id_err(&with_check("91010519491231002")), Problem::IdRegion);
        // Length and characters.
        assert_eq!(id_err("11010519491231002"), Problem::IdLength { got: 17 });
        assert_eq!(id_err("11010519491231002X1"), Problem::IdLength { got: 19 });
        assert_eq!(id_err("11010519491231A02X"), Problem::IdCharacters);
        assert_eq!(id_err("11010519491231X02X"), Problem::IdCharacters);
        assert_eq!(id_err("X1010519491231002X"), Problem::IdCharacters);
        assert_eq!(id_err("1101051949X231002X"), Problem::IdCharacters);
        assert_eq!(id_err("110105-19491231002X"), Problem::IdCharacters);
        assert_eq!(id_err("一10105194912310021"), Problem::IdCharacters);
        assert_eq!(id_err(""), Problem::Required);
        assert_eq!(id_err(" \u{3000} "), Problem::Required);
    }

    /// Valid first 17 digits: region 1-8 + 5 digits, a birth date in
    /// 1900-01-01..=today, 3-digit sequence.
    pub(crate) fn valid_first17() -> impl Strategy<Value = String> {
        let start = NaiveDate::from_ymd_opt(1900, 1, 1).expect("valid constant date");
        let span = (today() - start).num_days();
        (1u8..=8, 0u32..100_000, 0..=span, 0u32..1000).prop_map(move |(region, area, offset, seq)| {
            let birth = start + chrono::Duration::days(offset);
            format!("{region}{area:05}{}{seq:03}", birth.format("%Y%m%d"))
        })
    }

    proptest! {
        #[test]
        fn prop_valid_ids_validate(first17 in valid_first17(), lower in any::<bool>()) {
            let id = with_check(&first17);
            prop_assert_eq!(validate_id_number(&id, today()), Ok(id.clone()));
            if lower {
                let lowered = id.to_lowercase();
                prop_assert_eq!(validate_id_number(&lowered, today()), Ok(id.clone()));
            }
        }

        #[test]
        fn prop_any_single_substitution_detected(
            first17 in valid_first17(),
            pos in 0usize..18,
            replacement in prop::sample::select("0123456789X".chars().collect::<Vec<_>>()),
        ) {
            let id = with_check(&first17);
            let mut chars: Vec<char> = id.chars().collect();
            prop_assume!(chars[pos] != replacement);
            chars[pos] = replacement;
            let changed: String = chars.into_iter().collect();
            prop_assert!(validate_id_number(&changed, today()).is_err(), "{} accepted", changed);
        }

        #[test]
        fn prop_any_adjacent_swap_detected(first17 in valid_first17(), pos in 0usize..17) {
            let id = with_check(&first17);
            let mut chars: Vec<char> = id.chars().collect();
            prop_assume!(chars[pos] != chars[pos + 1]);
            chars.swap(pos, pos + 1);
            let changed: String = chars.into_iter().collect();
            prop_assert!(validate_id_number(&changed, today()).is_err(), "{} accepted", changed);
        }

        #[test]
        fn prop_id_never_panics_and_output_is_valid(s in "\\PC{0,30}") {
            if let Ok(id) = validate_id_number(&s, today()) {
                prop_assert_eq!(id.len(), 18);
                prop_assert_eq!(validate_id_number(&id, today()), Ok(id.clone()));
            }
        }

    }
}
