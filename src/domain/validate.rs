//! Input validation and normalisation for visitor data.
//!
//! Everything here is pure: no I/O, no clock. Callers pass `today` where a
//! date bound is needed.

use chrono::{Datelike, NaiveDate};
use std::fmt;
use std::iter::Peekable;
use std::str::Chars;

/// Which field a problem is in (used to name the field in error messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    VisitorName,
    Phone,
    IdNumber,
    Address,
    GroupSize,
    Title,
    Content,
    Location,
    Reply,
    Note,
    Unit,
    Deadline,
    Date,
    Category,
    Deputy,
    Pin,
}

impl Field {
    /// Chinese field label.
    pub fn label_zh(self) -> &'static str {
        match self {
            Field::VisitorName => "姓名",
            Field::Phone => "电话",
            Field::IdNumber => "身份证号",
            Field::Address => "住址",
            Field::GroupSize => "人数",
            Field::Title => "标题",
            Field::Content => "诉求内容",
            Field::Location => "地点",
            Field::Reply => "答复",
            Field::Note => "备注",
            Field::Unit => "承办单位",
            Field::Deadline => "办理期限",
            Field::Date => "日期",
            Field::Category => "类别",
            Field::Deputy => "接待代表",
            Field::Pin => "PIN",
        }
    }

    /// English field label.
    pub fn label_en(self) -> &'static str {
        match self {
            Field::VisitorName => "Name",
            Field::Phone => "Phone",
            Field::IdNumber => "ID number",
            Field::Address => "Address",
            Field::GroupSize => "Group size",
            Field::Title => "Title",
            Field::Content => "Content",
            Field::Location => "Location",
            Field::Reply => "Reply",
            Field::Note => "Note",
            Field::Unit => "Handling unit",
            Field::Deadline => "Deadline",
            Field::Date => "Date",
            Field::Category => "Category",
            Field::Deputy => "Deputy",
            Field::Pin => "PIN",
        }
    }
}

/// What is wrong with a field value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// Empty after cleaning.
    Required,
    /// Longer than `max` characters.
    TooLong { max: usize, got: usize },
    /// ID number is not 18 characters.
    IdLength { got: usize },
    /// ID number has characters other than digits and a final X.
    IdCharacters,
    /// First digit of the ID number is not 1-8.
    IdRegion,
    /// Impossible birth date, in the future, or before 1900.
    IdBirthDate,
    /// Check character does not match.
    IdCheckDigit { expected: char, got: char },
    /// Not 11 digits after normalisation.
    PhoneDigits { got: usize },
    /// Does not start with 1[3-9].
    PhonePrefix,
    /// Letters or other symbols in a phone number.
    PhoneCharacters,
    /// Not a whole number from `min` to `max`.
    Range { min: u32, max: u32 },
}

/// A problem in a named field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    pub field: Field,
    pub problem: Problem,
}

impl ValidationError {
    fn new(field: Field, problem: Problem) -> Self {
        ValidationError { field, problem }
    }

    /// Chinese message, e.g. "姓名：必填".
    pub fn message_zh(&self) -> String {
        let detail = match &self.problem {
            Problem::Required => "必填".to_string(),
            Problem::TooLong { max, got } => format!("不能超过 {max} 字（现 {got} 字）"),
            Problem::IdLength { got } => format!("应为 18 位，实际 {got} 位"),
            Problem::IdCharacters => "只能包含数字，最后一位可为 X".to_string(),
            Problem::IdRegion => "地区码无效（首位应为 1-8）".to_string(),
            Problem::IdBirthDate => "出生日期无效".to_string(),
            Problem::IdCheckDigit { expected, got } => {
                format!("校验位应为 {expected}，实际为 {got}")
            }
            Problem::PhoneDigits { got } => format!("应为 11 位手机号，实际 {got} 位"),
            Problem::PhonePrefix => "不是有效的手机号（应以 13-19 开头）".to_string(),
            Problem::PhoneCharacters => "含有无效字符".to_string(),
            Problem::Range { min, max } => format!("应为 {min}-{max} 的整数"),
        };
        format!("{}：{}", self.field.label_zh(), detail)
    }

    /// English message, e.g. "ID number: check digit should be 7, got 3".
    pub fn message_en(&self) -> String {
        let detail = match &self.problem {
            Problem::Required => "required".to_string(),
            Problem::TooLong { max, got } => {
                format!("must be at most {max} characters (got {got})")
            }
            Problem::IdLength { got } => format!("must be 18 characters, got {got}"),
            Problem::IdCharacters => "only digits and a final X are allowed".to_string(),
            Problem::IdRegion => "invalid region code (first digit must be 1-8)".to_string(),
            Problem::IdBirthDate => "invalid birth date".to_string(),
            Problem::IdCheckDigit { expected, got } => {
                format!("check digit should be {expected}, got {got}")
            }
            Problem::PhoneDigits { got } => {
                format!("must be an 11-digit mobile number, got {got} digits")
            }
            Problem::PhonePrefix => "not a valid mobile number (must start with 13-19)".to_string(),
            Problem::PhoneCharacters => "contains invalid characters".to_string(),
            Problem::Range { min, max } => format!("must be a whole number from {min} to {max}"),
        };
        format!("{}: {}", self.field.label_en(), detail)
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message_zh())
    }
}

impl std::error::Error for ValidationError {}

/// Length caps used across the app.
pub const MAX_NAME: usize = 40;
pub const MAX_ADDRESS: usize = 120;
pub const MAX_TITLE: usize = 60;
pub const MAX_CONTENT: usize = 4000;
pub const MAX_LOCATION: usize = 120;
pub const MAX_REPLY: usize = 4000;
pub const MAX_NOTE: usize = 1000;
pub const MAX_UNIT: usize = 60;
/// The most people one visit (a group visit) may register.
pub const MAX_GROUP_SIZE: u16 = 999;

/// The group-size rule: 1 to `MAX_GROUP_SIZE` people. Every path that
/// records a visit or an appeal obeys it (the form, import, the store).
pub fn check_group_size(n: u16) -> Result<u16, ValidationError> {
    if (1..=MAX_GROUP_SIZE).contains(&n) {
        Ok(n)
    } else {
        Err(ValidationError::new(
            Field::GroupSize,
            Problem::Range {
                min: 1,
                max: u32::from(MAX_GROUP_SIZE),
            },
        ))
    }
}

/// A typed group size ("12", full-width digits and spaces allowed) under
/// the group-size rule. Empty is `Required`: callers that default it to 1
/// do so before calling.
pub fn group_size(input: &str) -> Result<u16, ValidationError> {
    let text = to_half_width(input);
    let text = text.trim();
    if text.is_empty() {
        return Err(ValidationError::new(Field::GroupSize, Problem::Required));
    }
    let n = text
        .parse::<u32>()
        .ok()
        .and_then(|n| u16::try_from(n).ok())
        .unwrap_or(0);
    check_group_size(n)
}

/// Full-width ASCII forms (U+FF01..U+FF5E) and the ideographic space (U+3000)
/// to ASCII. Leaves other chars alone.
pub fn to_half_width(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{3000}' => ' ',
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        })
        .collect()
}

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

/// Normalise a mainland mobile number to 11 ASCII digits starting 1[3-9].
/// Accepts full-width forms, spaces, '-', '(', ')', '.' and a leading "+86",
/// "0086" or "86" (dropped only when 11 digits remain). Errors name `Field::Phone`.
pub fn normalize_phone(input: &str) -> Result<String, ValidationError> {
    let err = |problem| Err(ValidationError::new(Field::Phone, problem));
    let s: String = to_half_width(input)
        .chars()
        .filter(|&c| !(c.is_whitespace() || matches!(c, '-' | '(' | ')' | '.' | '\u{2010}'..='\u{2015}')))
        .collect();
    if s.is_empty() {
        return err(Problem::Required);
    }
    let is_11_digits = |r: &str| r.len() == 11 && r.bytes().all(|b| b.is_ascii_digit());
    let digits = ["+86", "0086", "86"]
        .iter()
        .find_map(|prefix| s.strip_prefix(prefix).filter(|rest| is_11_digits(rest)))
        .unwrap_or(&s);
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return err(Problem::PhoneCharacters);
    }
    let b = digits.as_bytes();
    if b.len() != 11 {
        return err(Problem::PhoneDigits { got: b.len() });
    }
    if b[0] != b'1' || !(b'3'..=b'9').contains(&b[1]) {
        return err(Problem::PhonePrefix);
    }
    Ok(digits.to_string())
}

/// Skip the rest of a CSI sequence (parameters/intermediates, then final byte).
fn skip_csi(it: &mut Peekable<Chars<'_>>) {
    while let Some(&c) = it.peek() {
        match c {
            '\u{20}'..='\u{3f}' => {
                it.next();
            }
            '\u{40}'..='\u{7e}' => {
                it.next();
                return;
            }
            _ => return,
        }
    }
}

/// Skip the body of an OSC/DCS/SOS/PM/APC string. Ends at BEL or U+009C
/// (consumed), or before ESC (so ESC \ is dropped as a pair), a line break or
/// end of input.
fn skip_control_string(it: &mut Peekable<Chars<'_>>) {
    while let Some(&c) = it.peek() {
        match c {
            '\u{7}' | '\u{9c}' => {
                it.next();
                return;
            }
            '\u{1b}' | '\n' | '\r' => return,
            _ => {
                it.next();
            }
        }
    }
}

/// Strip control characters, terminal escape sequences and bidi overrides;
/// normalise line breaks (kept only when `multiline`) and tabs; trim.
pub fn clean_text(input: &str, multiline: bool) -> String {
    let newline = if multiline { '\n' } else { ' ' };
    let mut out = String::with_capacity(input.len());
    let mut it = input.chars().peekable();
    while let Some(c) = it.next() {
        match c {
            '\u{1b}' => match it.peek().copied() {
                Some('[') => {
                    it.next();
                    skip_csi(&mut it);
                }
                Some(']' | 'P' | 'X' | '^' | '_') => {
                    it.next();
                    skip_control_string(&mut it);
                }
                Some(' '..='~') => {
                    it.next();
                }
                _ => {}
            },
            '\u{9b}' => skip_csi(&mut it),
            '\u{90}' | '\u{98}' | '\u{9d}' | '\u{9e}' | '\u{9f}' => skip_control_string(&mut it),
            '\r' => {
                if it.peek() == Some(&'\n') {
                    it.next();
                }
                out.push(newline);
            }
            '\n' | '\u{2028}' | '\u{2029}' => out.push(newline),
            '\t' => out.push(' '),
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => {}
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out.trim().to_string()
}

/// Characters of the content that make an appeal's title when none is
/// given.
pub const TITLE_FROM_CONTENT: usize = 20;

/// An appeal's texts after the checks every path applies (the register
/// form, an import, later the county server).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppealTexts {
    pub title: String,
    pub content: String,
    pub location: String,
}

/// Checks an appeal's texts in the order a person reads them (content,
/// title, location); an empty title is made from the content's first
/// `TITLE_FROM_CONTENT` characters, line breaks read as spaces.
pub fn appeal_texts(title: &str, content: &str, location: &str) -> Result<AppealTexts, ValidationError> {
    let content = text_field(Field::Content, content, true, MAX_CONTENT, true)?;
    let mut title = text_field(Field::Title, title, false, MAX_TITLE, false)?;
    if title.is_empty() {
        title = clean_text(&content, false)
            .chars()
            .take(TITLE_FROM_CONTENT)
            .collect::<String>()
            .trim()
            .to_string();
    }
    let location = text_field(Field::Location, location, false, MAX_LOCATION, false)?;
    Ok(AppealTexts {
        title,
        content,
        location,
    })
}

/// `clean_text`, then enforce `required` and `max_chars` (counted in chars).
pub fn text_field(
    field: Field,
    input: &str,
    multiline: bool,
    max_chars: usize,
    required: bool,
) -> Result<String, ValidationError> {
    let cleaned = clean_text(input, multiline);
    if required && cleaned.is_empty() {
        return Err(ValidationError::new(field, Problem::Required));
    }
    let got = cleaned.chars().count();
    if got > max_chars {
        return Err(ValidationError::new(
            field,
            Problem::TooLong { max: max_chars, got },
        ));
    }
    Ok(cleaned)
}

/// First `head` and last `tail` chars joined by `stars`.
fn mask_middle(chars: &[char], head: usize, tail: usize, stars: &str) -> String {
    let mut out: String = chars.iter().take(head).collect();
    out.push_str(stars);
    out.extend(chars.iter().skip(chars.len().saturating_sub(tail)));
    out
}

/// "13812345678" -> "138****5678"; more than 7 chars: first 3 + "****" + last
/// 4; otherwise "****".
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() > 7 {
        mask_middle(&chars, 3, 4, "****")
    } else {
        "****".to_string()
    }
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

/// Any text with what looks like a phone or ID number in it masked, so
/// that an error echoing a cell never shows one whole: runs of digits
/// (single spaces or dashes between groups allowed, a final X for ID
/// numbers) of 15 or more digits as ID numbers (first 6 + "********" +
/// last 4), of 11 to 14 as phone numbers (first 3 + "****" + last 4), and
/// unbroken runs of 7 to 10 digits as "****" + last 4. Dates and tracking
/// codes stay readable.
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
        let mut seps = Vec::new();
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
            } else if (c == ' ' || c == '-') && chars.get(i + 1).is_some_and(char::is_ascii_digit) {
                seps.push(c);
                groups.push(String::new());
                i += 1;
            } else {
                break;
            }
        }
        let all: String = groups.concat();
        let n = all.chars().count();
        let masked = if is_code_shape(&groups, &seps) {
            None
        } else if n >= 15 {
            Some(mask_middle(&all.chars().collect::<Vec<_>>(), 6, 4, "********"))
        } else if n >= 11 {
            Some(mask_middle(&all.chars().collect::<Vec<_>>(), 3, 4, "****"))
        } else if n >= 7 && seps.is_empty() {
            Some(mask_middle(&all.chars().collect::<Vec<_>>(), 0, 4, "****"))
        } else {
            None
        };
        match masked {
            Some(m) => out.push_str(&m),
            None => out.extend(&original[start..i]),
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
    #[test]
    fn an_appeal_title_is_made_from_its_content_the_same_way_everywhere() {
        let t = super::appeal_texts("", "一二三四五六七八九十\n一二三四五六七八九十一二三", "").unwrap();
        assert_eq!(t.title, "一二三四五六七八九十 一二三四五六七八九");
        let t = super::appeal_texts("  路灯  ", "路灯坏了", " 三号楼 ").unwrap();
        assert_eq!((t.title.as_str(), t.location.as_str()), ("路灯", "三号楼"));
        let e = super::appeal_texts("", "  ", "").unwrap_err();
        assert_eq!(e.field, super::Field::Content);
    }

    use super::*;
    use proptest::prelude::*;

    #[test]
    fn group_size_is_one_to_999() {
        assert_eq!(check_group_size(1), Ok(1));
        assert_eq!(check_group_size(999), Ok(999));
        let range = Problem::Range { min: 1, max: 999 };
        for n in [0, 1000, u16::MAX] {
            let e = check_group_size(n).unwrap_err();
            assert_eq!((e.field, &e.problem), (Field::GroupSize, &range), "{n}");
        }
        assert_eq!(group_size(" １２ "), Ok(12));
        assert_eq!(group_size("999"), Ok(999));
        for bad in ["1000", "65535", "65536", "99999999999", "0", "-1", "3人", "2.5"] {
            assert_eq!(group_size(bad).unwrap_err().problem, range, "{bad}");
        }
        assert_eq!(group_size(" ").unwrap_err().problem, Problem::Required);
        let e = group_size("1000").unwrap_err();
        assert_eq!(e.message_zh(), "人数：应为 1-999 的整数");
        assert_eq!(e.message_en(), "Group size: must be a whole number from 1 to 999");
    }

    fn today() -> NaiveDate {
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

    fn phone_err(input: &str) -> Problem {
        match normalize_phone(input) {
            Ok(v) => panic!("{input:?} unexpectedly valid as {v:?}"),
            Err(e) => {
                assert_eq!(e.field, Field::Phone);
                e.problem
            }
        }
    }

    /// Append the correct check char to 17 digits.
    fn with_check(first17: &str) -> String {
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

    // ---- phones ----

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
        assert_eq!(phone_err("010-12345678"), Problem::PhonePrefix);
        assert_eq!(phone_err("1381234567a"), Problem::PhoneCharacters);
        assert_eq!(phone_err("+1 3812345678"), Problem::PhoneCharacters);
        assert_eq!(phone_err("138/1234/5678"), Problem::PhoneCharacters);
    }

    // ---- text ----

    #[test]
    fn clean_text_examples() {
        assert_eq!(clean_text("\u{1b}[31mred\u{1b}[0m", false), "red");
        assert_eq!(clean_text("a\u{1b}]0;title\u{7}b", false), "ab");
        assert_eq!(clean_text("a\u{1b}]0;title\u{1b}\\b", false), "ab");
        assert_eq!(clean_text("\u{9b}2Jx", false), "x");
        assert_eq!(clean_text("a\u{1b}cb\u{1b}", false), "ab");
        assert_eq!(clean_text("x\u{1b}[?25l\u{1b}[2;3Hy", false), "xy");
        assert_eq!(clean_text("a\u{7f}b\u{0}c\u{85}d", false), "abcd");
        assert_eq!(clean_text("abc\u{202e}def\u{2066}g\u{2069}", false), "abcdefg");
        assert_eq!(clean_text("a\r\nb\rc\nd", true), "a\nb\nc\nd");
        assert_eq!(clean_text("a\r\nb\rc\nd", false), "a b c d");
        assert_eq!(clean_text("a\tb", true), "a b");
        assert_eq!(clean_text("\u{3000} 你好 \n\t", true), "你好");
        assert_eq!(clean_text(" \n第一行\n\n第二行\n ", true), "第一行\n\n第二行");
        assert_eq!(clean_text("\u{1b}", true), "");
        assert_eq!(clean_text("\u{1b}]unterminated\nnext", true), "next");
    }

    #[test]
    fn text_field_limits() {
        assert_eq!(
            text_field(Field::VisitorName, " 张三 ", false, MAX_NAME, true),
            Ok("张三".to_string())
        );
        let e = text_field(Field::VisitorName, " \u{1b}[0m ", false, MAX_NAME, true);
        assert_eq!(
            e,
            Err(ValidationError {
                field: Field::VisitorName,
                problem: Problem::Required
            })
        );
        assert_eq!(
            text_field(Field::Note, "  ", true, MAX_NOTE, false),
            Ok(String::new())
        );
        // Counted in chars, not bytes: 4000 CJK chars are 12000 bytes.
        let ok = "诉".repeat(MAX_CONTENT);
        assert_eq!(
            text_field(Field::Content, &ok, true, MAX_CONTENT, true),
            Ok(ok.clone())
        );
        let long = "诉".repeat(4120);
        let e = text_field(Field::Content, &long, true, MAX_CONTENT, true);
        assert_eq!(
            e,
            Err(ValidationError {
                field: Field::Content,
                problem: Problem::TooLong { max: 4000, got: 4120 }
            })
        );
    }

    // ---- messages ----

    #[test]
    fn messages() {
        let e = ValidationError::new(
            Field::IdNumber,
            Problem::IdCheckDigit {
                expected: '7',
                got: '3',
            },
        );
        assert_eq!(e.message_zh(), "身份证号：校验位应为 7，实际为 3");
        assert_eq!(e.message_en(), "ID number: check digit should be 7, got 3");
        assert_eq!(e.to_string(), e.message_zh());
        let e = ValidationError::new(Field::Phone, Problem::PhoneDigits { got: 10 });
        assert_eq!(e.message_zh(), "电话：应为 11 位手机号，实际 10 位");
        let e = ValidationError::new(Field::Content, Problem::TooLong { max: 4000, got: 4120 });
        assert_eq!(e.message_zh(), "诉求内容：不能超过 4000 字（现 4120 字）");
        let e = ValidationError::new(Field::VisitorName, Problem::Required);
        assert_eq!(e.message_zh(), "姓名：必填");
        assert_eq!(e.message_en(), "Name: required");
        let boxed: Box<dyn std::error::Error> = Box::new(e);
        assert_eq!(boxed.to_string(), "姓名：必填");
        assert_eq!(Field::Unit.label_zh(), "承办单位");
        assert_eq!(Field::Unit.label_en(), "Handling unit");
        assert_eq!(Field::Pin.label_zh(), "PIN");
    }

    // ---- masking ----

    #[test]
    fn masking() {
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("12345678"), "123****5678");
        assert_eq!(mask_phone("1234567"), "****");
        assert_eq!(mask_phone(""), "****");
        assert_eq!(mask_phone("电话一二三四五六七八"), "电话一****五六七八");
        assert_eq!(mask_id("11010519491231002X"), "110105********002X");
        assert_eq!(mask_id("11010119900101123X"), "110101********123X");
        assert_eq!(mask_id("11010519491231002"), "****");
        assert_eq!(mask_id(""), "****");
    }

    #[test]
    fn half_width() {
        assert_eq!(to_half_width("ＡＢＣ１２３ａｂｃ　＋－（）"), "ABC123abc +-()");
        assert_eq!(to_half_width("中文，句号。"), "中文,句号。");
        assert_eq!(to_half_width("plain"), "plain");
    }

    // ---- properties ----

    /// Valid first 17 digits: region 1-8 + 5 digits, a birth date in
    /// 1900-01-01..=today, 3-digit sequence.
    fn valid_first17() -> impl Strategy<Value = String> {
        let start = NaiveDate::from_ymd_opt(1900, 1, 1).expect("valid constant date");
        let span = (today() - start).num_days();
        (1u8..=8, 0u32..100_000, 0..=span, 0u32..1000).prop_map(move |(region, area, offset, seq)| {
            let birth = start + chrono::Duration::days(offset);
            format!("{region}{area:05}{}{seq:03}", birth.format("%Y%m%d"))
        })
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

    fn nasty_text() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            any::<String>(),
            "[\\x00-\\x7f]{0,6}",
            "[\\u{80}-\\u{9f}]{0,3}",
            Just("\u{1b}[31m".to_string()),
            Just("\u{1b}]0;title\u{7}".to_string()),
            Just("\u{1b}]8;;http://x\u{1b}\\".to_string()),
            Just("\u{9b}2J".to_string()),
            Just("\u{1b}".to_string()),
            Just("\u{9b}".to_string()),
            Just("\u{9d}".to_string()),
            Just("\r\n".to_string()),
            Just("\r".to_string()),
            Just("\t".to_string()),
            Just("\u{3000}".to_string()),
            Just("\u{202e}".to_string()),
            Just("\u{2067}".to_string()),
            Just("诉求".to_string()),
        ];
        prop::collection::vec(piece, 0..12).prop_map(|v| v.concat())
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

        #[test]
        fn prop_decorated_phone_normalises((digits, decorated) in decorated_phone()) {
            prop_assert_eq!(normalize_phone(&decorated), Ok(digits.clone()));
            prop_assert_eq!(normalize_phone(&digits), Ok(digits.clone()));
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
                prop_assert_eq!(p.len(), 11);
                prop_assert_eq!(normalize_phone(&p), Ok(p.clone()));
            }
        }

        #[test]
        fn prop_clean_text_is_safe(s in nasty_text(), multiline in any::<bool>()) {
            let out = clean_text(&s, multiline);
            for c in out.chars() {
                prop_assert!(c != '\u{1b}' && c != '\u{9b}', "escape in {:?}", out);
                prop_assert!(
                    !c.is_control() || (multiline && c == '\n'),
                    "control {:?} in {:?}", c, out
                );
                prop_assert!(
                    !matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'),
                    "bidi control in {:?}", out
                );
            }
            prop_assert_eq!(out.trim(), out.as_str());
            prop_assert!(
                !out.starts_with('\u{3000}') && !out.ends_with('\u{3000}'),
                "untrimmed {:?}", out
            );
            prop_assert_eq!(clean_text(&out, multiline), out.clone());
        }

        #[test]
        fn prop_text_field_respects_limits(s in nasty_text(), max in 0usize..20, required in any::<bool>()) {
            match text_field(Field::Note, &s, true, max, required) {
                Ok(v) => {
                    prop_assert!(v.chars().count() <= max);
                    prop_assert!(!required || !v.is_empty());
                    prop_assert_eq!(v, clean_text(&s, true));
                }
                Err(e) => {
                    prop_assert_eq!(e.field, Field::Note);
                    let cleaned = clean_text(&s, true);
                    match e.problem {
                        Problem::Required => prop_assert!(required && cleaned.is_empty()),
                        Problem::TooLong { max: m, got } => {
                            prop_assert_eq!(m, max);
                            prop_assert_eq!(got, cleaned.chars().count());
                            prop_assert!(got > max);
                        }
                        other => prop_assert!(false, "unexpected {:?}", other),
                    }
                }
            }
        }

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
        assert_eq!(mask_numbers("第 12 号"), "第 12 号");
        assert_eq!(mask_name("张小明"), "张*");
        assert_eq!(
            mask_numbers("备注（选填）１３８１２３４５６７８"),
            "备注（选填）138****5678"
        );
        assert_eq!(shown(&"长".repeat(40)).chars().count(), 30);
    }
}
