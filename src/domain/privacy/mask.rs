//! What is shown of a phone, an ID number or a name where it must not be
//! read whole: lists, errors that echo a cell, and every text leaving the
//! county's staff view.

use crate::domain::validate::{area_code_len, clean_text, to_half_width};

/// First `head` and last `tail` chars joined by `stars`.
fn mask_middle(chars: &[char], head: usize, tail: usize, stars: &str) -> String {
    let mut out: String = chars.iter().take(head).collect();
    out.push_str(stars);
    out.extend(chars.iter().skip(chars.len().saturating_sub(tail)));
    out
}

/// A phone for lists and `find --json`: a mobile "13812345678" ->
/// "138****5678"; a landline as `normalize_phone` writes it keeps its area
/// code and extension and the last 4 digits of its own number
/// ("0571-88001234-123" -> "0571-****1234-123", "88001234" -> "****1234");
/// anything else of more than 7 chars: first 3 + "****" + last 4,
/// otherwise "****". Empty stays empty (no phone given).
pub fn mask_phone(phone: &str) -> String {
    if phone.is_empty() {
        return String::new();
    }
    if let Some((area, local, ext)) = landline_parts(phone) {
        let mut out = String::new();
        if let Some(area) = area {
            out.push_str(area);
            out.push('-');
        }
        out.push_str("****");
        out.push_str(&local[local.len() - 4..]);
        if let Some(ext) = ext {
            out.push('-');
            out.push_str(ext);
        }
        return out;
    }
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() > 7 {
        mask_middle(&chars, 3, 4, "****")
    } else {
        "****".to_string()
    }
}

/// Area code, own number and extension of a landline in the form
/// `normalize_phone` gives; None for anything else.
pub(crate) fn landline_parts(phone: &str) -> Option<(Option<&str>, &str, Option<&str>)> {
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    let parts: Vec<&str> = phone.split('-').collect();
    if !parts.iter().all(|p| digits(p)) {
        return None;
    }
    let (area, rest) = match parts.split_first() {
        Some((first, rest)) if first.starts_with('0') => (Some(*first), rest),
        _ => (None, &parts[..]),
    };
    if area.is_some_and(|a| area_code_len(a) != Ok(a.len())) {
        return None;
    }
    let (local, ext) = match rest {
        [local] => (*local, None),
        [local, ext] if ext.len() <= 6 => (*local, Some(*ext)),
        _ => return None,
    };
    ((7..=8).contains(&local.len()) && !local.starts_with(['0', '1'])).then_some((area, local, ext))
}

/// 18-char ID (or longer) -> first 6 + "********" + last 4; shorter: "****".
pub fn mask_id(id: &str) -> String {
    let chars: Vec<char> = id.chars().collect();
    if chars.len() >= 18 {
        mask_middle(&chars, 6, 4, "********")
    } else {
        "****".to_string()
    }
}

/// A name as errors may show it: its first character and "*".
pub fn mask_name(name: &str) -> String {
    match name.trim().chars().next() {
        Some(c) => format!("{c}*"),
        None => String::new(),
    }
}

/// Whether a tracking code's shape (6-9-5-1 digits joined by dashes).
fn is_code_shape(groups: &[String], seps: &[char]) -> bool {
    groups.iter().map(String::len).eq([6, 9, 5, 1]) && seps.iter().all(|&c| c == '-')
}

/// Whether groups read as a landline's own number written in two parts
/// ("8800 1234", "880-1234").
fn is_local_landline_shape(groups: &[String]) -> bool {
    matches!(groups, [a, b] if (3..=4).contains(&a.len()) && b.len() == 4)
}

/// Characters that may stand between the groups of digits of one phone or
/// ID number (after `to_half_width`): `138 0013 8000`, `138-0013-8000`,
/// `138.0013.8000`, `138/0013/8000`, `138 — 0013`.
const NUMBER_SEPARATORS: [char; 7] = [' ', '-', '.', '/', '\u{2013}', '\u{2014}', '\u{00B7}'];

/// How many separator characters in a row may part two groups (`138 - 0013`).
const MAX_SEPARATOR_RUN: usize = 3;

/// How a run of digits is masked: 15 or more digits as an ID number, 11
/// to 14 as a phone, 7 to 10 unbroken (or a landline's own number in two
/// parts) as a local number; None for anything else.
fn masked_digits(groups: &[String], separated: bool) -> Option<String> {
    let all: Vec<char> = groups.concat().chars().collect();
    let n = all.len();
    if n >= 15 {
        Some(mask_middle(&all, 6, 4, "********"))
    } else if n >= 11 {
        Some(mask_middle(&all, 3, 4, "****"))
    } else if n >= 7 && (!separated || is_local_landline_shape(groups)) {
        Some(mask_middle(&all, 0, 4, "****"))
    } else {
        None
    }
}

/// Any text with what looks like a phone or ID number in it masked, so
/// that an error echoing a cell, or a text leaving the county's staff
/// view (`privacy`), never shows one whole: runs of digits (groups parted
/// by up to three spaces, dashes, dots or slashes, a final X for ID
/// numbers) of 15 or more digits as ID numbers (first 6 + "********" +
/// last 4), of 11 to 14 as phone numbers (first 3 + "****" + last 4,
/// `+86 138 0013 8000` included), and unbroken runs of 7 to 10 digits, or
/// a landline's own number in two parts ("8800 1234"), as "****" + last 4.
/// A run that is none of these (a date "2026.05.10") is taken group by
/// group. Dates and tracking codes stay readable.
pub fn mask_numbers(text: &str) -> String {
    // Full-width digits count as digits; what is not masked stays as it was.
    let original: Vec<char> = text.chars().collect();
    let chars: Vec<char> = to_half_width(text).chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if !chars[i].is_ascii_digit() {
            out.push(original[i]);
            i += 1;
            continue;
        }
        let start = i;
        let mut groups = vec![String::new()];
        let mut seps: Vec<char> = Vec::new();
        // Where the first group ends.
        let mut first_end = None;
        while i < chars.len() {
            let c = chars[i];
            let digits: usize = groups.iter().map(String::len).sum();
            if c.is_ascii_digit() {
                if let Some(g) = groups.last_mut() {
                    g.push(c);
                }
                i += 1;
            } else if (c == 'X' || c == 'x') && digits == 17 {
                if let Some(g) = groups.last_mut() {
                    g.push('X');
                }
                i += 1;
                break;
            } else if NUMBER_SEPARATORS.contains(&c) {
                let run = chars[i..]
                    .iter()
                    .take_while(|c| NUMBER_SEPARATORS.contains(c))
                    .count();
                if run > MAX_SEPARATOR_RUN || !chars.get(i + run).is_some_and(char::is_ascii_digit) {
                    break;
                }
                first_end.get_or_insert(i);
                // One separator stands for the run ('-' only when all are).
                let sep = if chars[i..i + run].iter().all(|&c| c == '-') {
                    '-'
                } else {
                    c
                };
                seps.push(sep);
                groups.push(String::new());
                i += run;
            } else {
                break;
            }
        }
        if is_code_shape(&groups, &seps) {
            out.extend(&original[start..i]);
            continue;
        }
        match masked_digits(&groups, !seps.is_empty()) {
            Some(m) => out.push_str(&m),
            None => match first_end {
                // Not one number: its first group alone, then on from there.
                Some(end) => {
                    match masked_digits(&groups[..1], false) {
                        Some(m) => out.push_str(&m),
                        None => out.extend(&original[start..end]),
                    }
                    i = end;
                }
                None => out.extend(&original[start..i]),
            },
        }
    }
    out
}

/// A cell's value as an error may echo it: phone and ID numbers masked,
/// cut to 30 characters, control characters dropped.
pub fn shown(value: &str) -> String {
    let masked = mask_numbers(&clean_text(value, false));
    if masked.chars().count() > 30 {
        let mut cut: String = masked.chars().take(29).collect();
        cut.push('…');
        cut
    } else {
        masked
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::validate::id::tests::{valid_first17, with_check};
    use proptest::prelude::*;

    #[test]
    fn masking() {
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("12345678"), "123****5678");
        assert_eq!(mask_phone("1234567"), "****");
        assert_eq!(mask_phone(""), "");
        assert_eq!(mask_phone("0571-88001234"), "0571-****1234");
        assert_eq!(mask_phone("010-6600123"), "010-****0123");
        assert_eq!(mask_phone("0571-88001234-123"), "0571-****1234-123");
        assert_eq!(mask_phone("88001234"), "****1234");
        assert_eq!(mask_phone("8800123-45"), "****0123-45");
        assert_eq!(mask_phone("0571-88001234-1234567"), "057****4567");
        assert_eq!(mask_phone("057-88001234"), "057****1234");
        assert_eq!(mask_phone("电话一二三四五六七八"), "电话一****五六七八");
        assert_eq!(mask_id("11010519491231002X"), "110105********002X");
        assert_eq!(mask_id("11010119900101123X"), "110101********123X");
        assert_eq!(mask_id("11010519491231002"), "****");
        assert_eq!(mask_id(""), "****");
    }

    proptest! {
        #[test]
        fn prop_masks_hide_middle(phone in "1[3-9][0-9]{9}", first17 in valid_first17()) {
            let m = mask_phone(&phone);
            prop_assert_eq!(m.chars().count(), 11);
            prop_assert_eq!(&m[3..7], "****");
            let id = with_check(&first17);
            let m = mask_id(&id);
            prop_assert_eq!(m.chars().count(), 18);
            prop_assert_eq!(&m[..6], &id[..6]);
            prop_assert_eq!(&m[6..14], "********");
            prop_assert_eq!(&m[14..], &id[14..]);
        }
    }

    #[test]
    fn numbers_in_text_are_masked() {
        assert_eq!(mask_numbers("电话13812345678"), "电话138****5678");
        assert_eq!(mask_numbers("138 1234 5678"), "138****5678");
        assert_eq!(mask_numbers("+86 138-1234-5678"), "+861****5678");
        assert_eq!(mask_numbers("33099919651129089x"), "330999********089X");
        assert_eq!(mask_numbers("2026-05-10"), "2026-05-10");
        assert_eq!(
            mask_numbers("260510-330999012-10001-3"),
            "260510-330999012-10001-3"
        );
        assert_eq!(mask_numbers("88886666"), "****6666");
        assert_eq!(mask_numbers("座机 8800 1234"), "座机 ****1234");
        assert_eq!(mask_numbers("880-1234"), "****1234");
        assert_eq!(mask_numbers("0571-88001234"), "057****1234");
        assert_eq!(mask_numbers("(0571) 8800-1234"), "(0571) ****1234");
        assert_eq!(mask_numbers("第 12 号"), "第 12 号");
        for phone in [
            "13800138000",
            "138 0013 8000",
            "138-0013-8000",
            "138.0013.8000",
            "138/0013/8000",
            "138 - 0013 - 8000",
            "１３８．００１３．８０００",
        ] {
            assert_eq!(
                mask_numbers(&format!("电话{phone}。")),
                "电话138****8000。",
                "{phone}"
            );
        }
        assert_eq!(mask_numbers("+86 138 0013 8000"), "+861****8000");
        assert_eq!(mask_numbers("(0571)88001234"), "(0571)****1234");
        assert_eq!(mask_numbers("0571.8800.1234"), "057****1234");
        assert_eq!(
            mask_numbers("2026.05.10 与 2026/05/10"),
            "2026.05.10 与 2026/05/10"
        );
        assert_eq!(mask_numbers("12345678.90"), "****5678.90");
        assert_eq!(mask_numbers("3.5 米"), "3.5 米");
        assert_eq!(mask_name("张小明"), "张*");
        assert_eq!(
            mask_numbers("备注（选填）１３８１２３４５６７８"),
            "备注（选填）138****5678"
        );
        assert_eq!(shown(&"长".repeat(40)).chars().count(), 30);
    }
}
