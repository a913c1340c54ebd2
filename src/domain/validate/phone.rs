//! A visitor's phone: a mainland mobile or a landline, with its area code
//! and extension, in the one form the program keeps.

use super::{Field, Problem, ValidationError, to_half_width};

/// Dashes as typed in Chinese text: ASCII, the Unicode hyphens and dashes
/// (full-width `－` becomes ASCII first), the minus sign and the small forms.
fn is_dash(c: char) -> bool {
    matches!(
        c,
        '-' | '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{FE58}' | '\u{FE63}'
    )
}

fn is_phone_separator(c: char) -> bool {
    c.is_whitespace() || is_dash(c) || matches!(c, '(' | ')' | '.')
}

/// A run of digits in a phone number and whether a dash came before it.
#[derive(Debug)]
struct Group {
    digits: String,
    after_dash: bool,
}

/// Words that start an extension ("分机123", "转123", "ext 123", "x123").
const EXTENSION_MARKS: [&str; 4] = ["分机", "转", "ext", "x"];

/// The number before an extension mark and the extension's digits after
/// it (marks, "号", ':' and separators dropped; 1 to 6 digits or
/// `Problem::Extension`).
fn split_extension(s: &str) -> Result<(&str, Option<String>), Problem> {
    let lower = s.to_ascii_lowercase();
    let Some(at) = EXTENSION_MARKS.iter().filter_map(|m| lower.find(m)).min() else {
        return Ok((s, None));
    };
    let mut rest = &lower[at..];
    loop {
        let before = rest.len();
        for mark in EXTENSION_MARKS.iter().chain(&["号", ":"]) {
            rest = rest.strip_prefix(mark).unwrap_or(rest);
        }
        rest = rest.trim_start_matches(is_phone_separator);
        if rest.len() == before {
            break;
        }
    }
    let ext = rest.trim_end();
    if (1..=6).contains(&ext.len()) && ext.bytes().all(|b| b.is_ascii_digit()) {
        Ok((&s[..at], Some(ext.to_string())))
    } else {
        Err(Problem::Extension)
    }
}

/// Digit groups of a number; a '+' only before the first digit (reported
/// as the second value). Anything else is `Problem::PhoneCharacters`.
fn digit_groups(s: &str) -> Result<(Vec<Group>, bool), Problem> {
    let mut groups: Vec<Group> = Vec::new();
    let mut plus = false;
    let mut current = String::new();
    let mut dash = false;
    for c in s.chars() {
        if c.is_ascii_digit() {
            current.push(c);
        } else if is_phone_separator(c) || (c == '+' && !plus && groups.is_empty() && current.is_empty()) {
            plus |= c == '+';
            if !current.is_empty() {
                groups.push(Group {
                    digits: std::mem::take(&mut current),
                    after_dash: dash,
                });
                dash = false;
            }
            dash |= is_dash(c);
        } else {
            return Err(Problem::PhoneCharacters);
        }
    }
    if !current.is_empty() {
        groups.push(Group {
            digits: current,
            after_dash: dash,
        });
    }
    Ok((groups, plus))
}

/// Drops the first `n` digits of the groups (a country or area code).
fn drop_digits(groups: &mut Vec<Group>, mut n: usize) {
    while n > 0 {
        let Some(first) = groups.first_mut() else {
            return;
        };
        if first.digits.len() <= n {
            n -= first.digits.len();
            groups.remove(0);
        } else {
            first.digits.drain(..n);
            n = 0;
        }
    }
}

fn concat(groups: &[Group]) -> String {
    groups.iter().map(|g| g.digits.as_str()).collect()
}

/// A landline's own number and extension from the groups after the area
/// code. Without an extension mark, a last group of 1 to 6 digits after a
/// dash is the extension when what comes before it is a whole number of 7
/// or 8 digits (in one group only when `one_group`, for numbers without an
/// area code, so that a mistyped mobile "238-1234-5678" is not read as one).
fn local_and_extension(groups: &[Group], ext: Option<String>, one_group: bool) -> (String, Option<String>) {
    if ext.is_some() {
        return (concat(groups), ext);
    }
    if let [before @ .., last] = groups {
        let head = concat(before);
        if !before.is_empty()
            && last.after_dash
            && (1..=6).contains(&last.digits.len())
            && (7..=8).contains(&head.len())
            && (!one_group || before.len() == 1)
        {
            return (head, Some(last.digits.clone()));
        }
    }
    (concat(groups), None)
}

/// A landline's own number, 7 or 8 digits not starting with 0 or 1, joined
/// with the area code and extension by '-'.
fn landline(area: Option<&str>, local: &str, ext: Option<&str>) -> Result<String, Problem> {
    if !(7..=8).contains(&local.len()) {
        return Err(Problem::LandlineDigits { got: local.len() });
    }
    if local.starts_with(['0', '1']) {
        return Err(Problem::LandlineStart);
    }
    let mut out = String::new();
    if let Some(area) = area {
        out.push_str(area);
        out.push('-');
    }
    out.push_str(local);
    if let Some(ext) = ext {
        out.push('-');
        out.push_str(ext);
    }
    Ok(out)
}

/// Length of the area code a national number starts with: 010 and 020-029
/// have three digits, 03xx-09xx four.
pub(crate) fn area_code_len(national: &str) -> Result<usize, Problem> {
    match national.as_bytes() {
        [b'0', b'1', b'0', ..] | [b'0', b'2', _, ..] => Ok(3),
        [b'0', b'3'..=b'9', _, _, ..] => Ok(4),
        _ => Err(Problem::AreaCode),
    }
}

/// Normalise a visitor's phone: a mainland mobile or a landline.
///
/// Mobiles become 11 ASCII digits starting 1[3-9]. Landlines become
/// `0571-88001234` (area code, then 7 or 8 digits not starting with 0 or
/// 1), `88001234` without an area code, and `0571-88001234-123` with an
/// extension. Area codes are 010, 020-029 or 03xx-09xx, with '-', a space
/// or parentheses after them or run together with the number; extensions
/// (1-6 digits) follow a dash, "转", "分机", "ext" or "x". Accepts
/// full-width forms, spaces, dashes, '(', ')', '.' and a leading "+86" or
/// "0086" (a landline's area code then loses its 0: `+86 571 8800 1234`)
/// or "86" before a mobile. 400/800 service numbers are refused. Errors
/// name `Field::Phone`.
pub fn normalize_phone(input: &str) -> Result<String, ValidationError> {
    parse_phone(&to_half_width(input)).map_err(|problem| ValidationError::new(Field::Phone, problem))
}

fn parse_phone(s: &str) -> Result<String, Problem> {
    let s = s.trim();
    let (number, ext) = split_extension(s)?;
    let (mut groups, plus) = digit_groups(number)?;
    let all = concat(&groups);
    let international = if plus {
        if !all.starts_with("86") {
            return Err(Problem::PhoneCharacters);
        }
        drop_digits(&mut groups, 2);
        true
    } else if all.starts_with("0086") {
        drop_digits(&mut groups, 4);
        true
    } else {
        if all.starts_with("86") && all.len() == 13 {
            drop_digits(&mut groups, 2);
        }
        false
    };
    let mut national = concat(&groups);
    if national.is_empty() {
        return Err(Problem::Required);
    }
    if national.len() == 10 && (national.starts_with("400") || national.starts_with("800")) {
        return Err(Problem::ServiceNumber);
    }
    // After +86 a landline's area code is written without its 0.
    if international && (national.starts_with("10") || !national.starts_with(['0', '1'])) {
        national.insert(0, '0');
        if let Some(first) = groups.first_mut() {
            first.digits.insert(0, '0');
        }
    }
    let b = national.as_bytes();
    match b[0] {
        b'1' => {
            if ext.is_some() {
                return Err(Problem::MobileExtension);
            }
            if b.len() != 11 {
                return Err(Problem::PhoneDigits { got: b.len() });
            }
            if !(b'3'..=b'9').contains(&b[1]) {
                return Err(Problem::PhonePrefix);
            }
            Ok(national)
        }
        b'0' => {
            let n = area_code_len(&national)?;
            if groups[0].digits.len() < n {
                return Err(Problem::AreaCode);
            }
            drop_digits(&mut groups, n);
            let (local, ext) = local_and_extension(&groups, ext, false);
            landline(Some(&national[..n]), &local, ext.as_deref())
        }
        _ => {
            let (local, ext) = local_and_extension(&groups, ext, true);
            if local.len() == 11 && ext.is_none() {
                // 11 digits read as a mobile with a wrong first digit.
                return Err(Problem::PhonePrefix);
            }
            landline(None, &local, ext.as_deref())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::privacy::mask::{landline_parts, mask_phone};
    use crate::domain::validate::{Field, Problem};
    use proptest::prelude::*;

    fn phone_err(input: &str) -> Problem {
        match normalize_phone(input) {
            Ok(v) => panic!("{input:?} unexpectedly valid as {v:?}"),
            Err(e) => {
                assert_eq!(e.field, Field::Phone);
                e.problem
            }
        }
    }

    #[test]
    fn phone_examples() {
        let want = Ok("13812345678".to_string());
        for input in [
            "13812345678",
            "138 1234 5678",
            "138-1234-5678",
            "+86 138 1234 5678",
            "+86-13812345678",
            "0086 13812345678",
            "8613812345678",
            "(+86) 138.1234.5678",
            "１３８１２３４５６７８",
            "＋８６　１３８－１２３４－５６７８",
        ] {
            assert_eq!(normalize_phone(input), want, "{input:?}");
        }
    }

    #[test]
    fn phone_rejections() {
        assert_eq!(phone_err(""), Problem::Required);
        assert_eq!(phone_err(" - "), Problem::Required);
        assert_eq!(phone_err("1381234567"), Problem::PhoneDigits { got: 10 });
        assert_eq!(phone_err("138123456789"), Problem::PhoneDigits { got: 12 });
        assert_eq!(phone_err("86138123456"), Problem::PhonePrefix);
        assert_eq!(phone_err("12812345678"), Problem::PhonePrefix);
        assert_eq!(phone_err("23812345678"), Problem::PhonePrefix);
        assert_eq!(phone_err("010-12345678"), Problem::LandlineStart);
        assert_eq!(phone_err("1381234567a"), Problem::PhoneCharacters);
        assert_eq!(phone_err("+1 3812345678"), Problem::PhoneCharacters);
        assert_eq!(phone_err("138/1234/5678"), Problem::PhoneCharacters);
    }

    #[test]
    fn landline_examples() {
        for (input, want) in [
            ("0571-88001234", "0571-88001234"),
            ("0571 88001234", "0571-88001234"),
            ("0571 8800 1234", "0571-88001234"),
            ("0571-8800-1234", "0571-88001234"),
            ("(0571)88001234", "0571-88001234"),
            ("(0571) 8800-1234", "0571-88001234"),
            ("（0571）88001234", "0571-88001234"),
            ("057188001234", "0571-88001234"),
            ("05718800123", "0571-8800123"),
            ("0755-6600123", "0755-6600123"),
            ("010-66001234", "010-66001234"),
            ("(010)66001234", "010-66001234"),
            ("01066001234", "010-66001234"),
            ("021 6600 1234", "021-66001234"),
            ("02966001234", "029-66001234"),
            ("88001234", "88001234"),
            ("8800 1234", "88001234"),
            ("8800-1234", "88001234"),
            ("6600123", "6600123"),
            // Extensions.
            ("0571-88001234-123", "0571-88001234-123"),
            ("0571-8800-1234-123", "0571-88001234-123"),
            ("057188001234-5", "0571-88001234-5"),
            ("0571-8800123-4567", "0571-8800123-4567"),
            ("0571-88001234转123", "0571-88001234-123"),
            ("0571-88001234 转 123", "0571-88001234-123"),
            ("0571-88001234转分机123", "0571-88001234-123"),
            ("0571-88001234分机123", "0571-88001234-123"),
            ("0571-88001234 分机号：123", "0571-88001234-123"),
            ("0571-88001234 ext 123", "0571-88001234-123"),
            ("0571-88001234 Ext. 123", "0571-88001234-123"),
            ("0571-88001234x123", "0571-88001234-123"),
            ("0571-88001234 X 123456", "0571-88001234-123456"),
            ("88001234-123", "88001234-123"),
            ("8800 1234 转 8", "88001234-8"),
            // Country code: the area code loses its 0.
            ("+86 571 8800 1234", "0571-88001234"),
            ("+86-571-88001234", "0571-88001234"),
            ("+86 (571) 88001234", "0571-88001234"),
            ("+8657188001234", "0571-88001234"),
            ("0086 571 88001234", "0571-88001234"),
            ("+86 10 6600 1234", "010-66001234"),
            ("+86 21 66001234 ext 12", "021-66001234-12"),
            ("+86 0571 88001234", "0571-88001234"),
            // Full-width digits and Chinese dashes.
            ("０５７１－８８００１２３４", "0571-88001234"),
            ("０５７１—８８００１２３４转１２３", "0571-88001234-123"),
            ("0571\u{2013}88001234", "0571-88001234"),
            ("0571\u{2212}88001234", "0571-88001234"),
            ("\u{3000}010　6600　1234\u{3000}", "010-66001234"),
        ] {
            assert_eq!(normalize_phone(input), Ok(want.to_string()), "{input:?}");
            assert_eq!(normalize_phone(want), Ok(want.to_string()), "{want:?}");
        }
        // Mobiles are as before, also next to landline forms.
        assert_eq!(
            normalize_phone("+86 138 1234 5678"),
            Ok("13812345678".to_string())
        );
    }

    #[test]
    fn landline_rejections() {
        // The own number's length, with and without an area code.
        assert_eq!(phone_err("0571-880012"), Problem::LandlineDigits { got: 6 });
        assert_eq!(phone_err("0571-880012345"), Problem::LandlineDigits { got: 9 });
        assert_eq!(phone_err("0571"), Problem::LandlineDigits { got: 0 });
        assert_eq!(phone_err("010-8800123456"), Problem::LandlineDigits { got: 10 });
        assert_eq!(phone_err("880012"), Problem::LandlineDigits { got: 6 });
        assert_eq!(phone_err("880012345"), Problem::LandlineDigits { got: 9 });
        assert_eq!(phone_err("8800123456"), Problem::LandlineDigits { got: 10 });
        // Starting with 0 or 1 after the area code.
        assert_eq!(phone_err("0571-08001234"), Problem::LandlineStart);
        assert_eq!(phone_err("0571-18001234"), Problem::LandlineStart);
        assert_eq!(phone_err("021 1800 1234"), Problem::LandlineStart);
        // Area codes.
        assert_eq!(phone_err("011-88001234"), Problem::AreaCode);
        assert_eq!(phone_err("019 88001234"), Problem::AreaCode);
        assert_eq!(phone_err("0088001234"), Problem::AreaCode);
        assert_eq!(phone_err("057-88001234"), Problem::AreaCode);
        assert_eq!(phone_err("(057)188001234"), Problem::AreaCode);
        assert_eq!(phone_err("0-571-88001234"), Problem::AreaCode);
        assert_eq!(phone_err("05"), Problem::AreaCode);
        // Extensions.
        assert_eq!(phone_err("0571-88001234转"), Problem::Extension);
        assert_eq!(phone_err("0571-88001234 ext 1234567"), Problem::Extension);
        assert_eq!(phone_err("0571-88001234转一二三"), Problem::Extension);
        assert_eq!(phone_err("0571-88001234x12a"), Problem::Extension);
        assert_eq!(
            phone_err("0571-88001234-1234567"),
            Problem::LandlineDigits { got: 15 }
        );
        assert_eq!(
            phone_err("0571-88001234-1转2"),
            Problem::LandlineDigits { got: 9 }
        );
        assert_eq!(phone_err("13812345678转123"), Problem::MobileExtension);
        assert_eq!(phone_err("138-1234-5678 ext 1"), Problem::MobileExtension);
        // A mistyped mobile is not read as a number with an extension.
        assert_eq!(phone_err("238-1234-5678"), Problem::PhonePrefix);
        // Service numbers.
        for service in [
            "400-820-1234",
            "4008201234",
            "400 820 1234",
            "800-820-1234",
            "８００８２０１２３４",
            "+86 400 820 1234",
            "400-820-1234 转 5",
        ] {
            assert_eq!(phone_err(service), Problem::ServiceNumber, "{service:?}");
        }
        // Other characters.
        assert_eq!(phone_err("0571/88001234"), Problem::PhoneCharacters);
        assert_eq!(phone_err("tel 0571-88001234"), Problem::PhoneCharacters);
        assert_eq!(phone_err("0571-8800+1234"), Problem::PhoneCharacters);
        assert_eq!(phone_err("+44 20 7946 0000"), Problem::PhoneCharacters);
        assert_eq!(phone_err("+86"), Problem::Required);
    }

    #[test]
    fn landline_messages() {
        let msg = |input: &str| {
            let e = normalize_phone(input).unwrap_err();
            (e.message_zh(), e.message_en())
        };
        assert_eq!(
            msg("0571-880012"),
            (
                "电话：座机号（不含区号和分机号）应为 7 或 8 位，实际 6 位".to_string(),
                "Phone: a landline number must have 7 or 8 digits besides area code and extension, got 6"
                    .to_string()
            )
        );
        assert_eq!(
            msg("010-12345678"),
            (
                "电话：座机号（不含区号）不能以 0 或 1 开头".to_string(),
                "Phone: a landline number cannot start with 0 or 1 after the area code".to_string()
            )
        );
        assert_eq!(
            msg("011-88001234").0,
            "电话：区号无效（应为 010、020-029 或 03xx-09xx，如 0571）"
        );
        assert_eq!(msg("0571-88001234转").0, "电话：分机号应为 1-6 位数字");
        assert_eq!(
            msg("0571-88001234转").1,
            "Phone: an extension must be 1 to 6 digits"
        );
        assert_eq!(msg("13812345678 x1").0, "电话：手机号不能带分机号");
        assert_eq!(
            msg("400-820-1234"),
            (
                "电话：400/800 服务号码不能作为来访人电话，请填写手机或座机号".to_string(),
                "Phone: a 400/800 service number is not a visitor's phone; enter a mobile or landline number"
                    .to_string()
            )
        );
        // Mobile messages as before.
        assert_eq!(msg("1381234567").0, "电话：应为 11 位手机号，实际 10 位");
        assert_eq!(
            msg("12812345678").1,
            "Phone: not a valid mobile number (must start with 13-19)"
        );
    }

    fn to_full_width(c: char) -> char {
        match c {
            '!'..='~' => char::from_u32(c as u32 + 0xFEE0).unwrap_or(c),
            ' ' => '\u{3000}',
            _ => c,
        }
    }

    fn decorated_phone() -> impl Strategy<Value = (String, String)> {
        (
            "1[3-9][0-9]{9}",
            prop::sample::select(vec!["", "+86 ", "+86-", "+86", "0086 ", "86", "(+86) "]),
            prop::collection::vec(
                (
                    prop::sample::select(vec!["", "", " ", "-", " - ", "."]),
                    any::<bool>(),
                ),
                11,
            ),
            any::<bool>(),
        )
            .prop_map(|(digits, prefix, decorations, full_prefix)| {
                let mut s: String = if full_prefix {
                    prefix.chars().map(to_full_width).collect()
                } else {
                    prefix.to_string()
                };
                for (c, (sep, full)) in digits.chars().zip(decorations) {
                    s.push(if full { to_full_width(c) } else { c });
                    s.push_str(sep);
                }
                (digits, s)
            })
    }

    proptest! {
        #[test]
        fn prop_decorated_phone_normalises((digits, decorated) in decorated_phone()) {
            prop_assert_eq!(normalize_phone(&decorated), Ok(digits.clone()));
            prop_assert_eq!(normalize_phone(&digits), Ok(digits.clone()));
        }

        #[test]
        fn prop_decorated_landline_normalises(
            area in prop::sample::select(vec!["010", "021", "029", "0571", "0755", "0931"]),
            local in "[2-9][0-9]{6,7}",
            ext in prop::option::of("[0-9]{1,6}"),
            form in 0usize..5,
            full in any::<bool>(),
        ) {
            let mut want = format!("{area}-{local}");
            if let Some(e) = &ext {
                want = format!("{want}-{e}");
            }
            let (head, tail) = local.split_at(local.len() - 4);
            let number = match form {
                0 => format!("{area}{local}"),
                1 => format!("({area}) {head} {tail}"),
                2 => format!("+86 {} {local}", &area[1..]),
                3 => format!("{area} {head}-{tail}"),
                _ => format!("0086-{}-{local}", &area[1..]),
            };
            let written = match &ext {
                Some(e) if form % 2 == 0 => format!("{number}转{e}"),
                Some(e) => format!("{number} ext {e}"),
                None => number,
            };
            let written: String = if full { written.chars().map(to_full_width).collect() } else { written };
            prop_assert_eq!(normalize_phone(&written), Ok(want.clone()));
            prop_assert_eq!(normalize_phone(&want), Ok(want.clone()));
            let ext_shown = ext.map(|e| format!("-{e}")).unwrap_or_default();
            prop_assert_eq!(mask_phone(&want), format!("{area}-****{tail}{ext_shown}"));
        }

        #[test]
        fn prop_landline_local_length_is_checked(area in "0[3-9][0-9]{2}", local in "[2-9][0-9]{8,10}|[2-9][0-9]{0,5}") {
            prop_assert_eq!(
                phone_err(&format!("{area}-{local}")),
                Problem::LandlineDigits { got: local.len() }
            );
        }

        #[test]
        fn prop_wrong_length_phone_fails(short in "1[3-9][0-9]{8}", long in "1[3-9][0-9]{10}") {
            prop_assert_eq!(phone_err(&short), Problem::PhoneDigits { got: 10 });
            prop_assert_eq!(phone_err(&long), Problem::PhoneDigits { got: 12 });
            let spaced: String = short.chars().flat_map(|c| [c, ' ']).collect();
            prop_assert!(normalize_phone(&spaced).is_err());
        }

        #[test]
        fn prop_phone_idempotent(s in prop_oneof![
            "\\PC{0,20}",
            "[0-9 +()\\-.]{0,20}",
            decorated_phone().prop_map(|(_, d)| d),
        ]) {
            if let Ok(p) = normalize_phone(&s) {
                prop_assert!(
                    (p.len() == 11 && p.starts_with('1')) || landline_parts(&p).is_some(),
                    "{:?} -> {:?}", s, p
                );
                prop_assert_eq!(normalize_phone(&p), Ok(p.clone()));
            }
        }

    }
}
