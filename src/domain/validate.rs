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
    /// A landline's own number (without area code and extension) is not
    /// 7 or 8 digits.
    LandlineDigits { got: usize },
    /// A landline's own number starts with 0 or 1.
    LandlineStart,
    /// Not an area code: 010, 020-029 or 0 and three digits from 0300 up,
    /// or split in the middle.
    AreaCode,
    /// An extension that is not 1 to 6 digits.
    Extension,
    /// An extension after a mobile number.
    MobileExtension,
    /// A 400/800 service number, which is nobody's own phone.
    ServiceNumber,
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
            Problem::LandlineDigits { got } => {
                format!("座机号（不含区号和分机号）应为 7 或 8 位，实际 {got} 位")
            }
            Problem::LandlineStart => "座机号（不含区号）不能以 0 或 1 开头".to_string(),
            Problem::AreaCode => "区号无效（应为 010、020-029 或 03xx-09xx，如 0571）".to_string(),
            Problem::Extension => "分机号应为 1-6 位数字".to_string(),
            Problem::MobileExtension => "手机号不能带分机号".to_string(),
            Problem::ServiceNumber => "400/800 服务号码不能作为来访人电话，请填写手机或座机号".to_string(),
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
            Problem::LandlineDigits { got } => format!(
                "a landline number must have 7 or 8 digits besides area code and extension, got {got}"
            ),
            Problem::LandlineStart => {
                "a landline number cannot start with 0 or 1 after the area code".to_string()
            }
            Problem::AreaCode => {
                "invalid area code (must be 010, 020-029 or 03xx-09xx, e.g. 0571)".to_string()
            }
            Problem::Extension => "an extension must be 1 to 6 digits".to_string(),
            Problem::MobileExtension => "a mobile number has no extension".to_string(),
            Problem::ServiceNumber => {
                "a 400/800 service number is not a visitor's phone; enter a mobile or landline number"
                    .to_string()
            }
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
fn area_code_len(national: &str) -> Result<usize, Problem> {
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
fn landline_parts(phone: &str) -> Option<(Option<&str>, &str, Option<&str>)> {
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
