//! Input validation and normalisation for visitor data.
//!
//! Everything here is pure: no I/O, no clock. Callers pass `today` where a
//! date bound is needed.
//!
//! By job: `id` (resident ID numbers), `phone` (mobiles and landlines),
//! `text` (free text made safe and checked against its limits); here the
//! fields, the problems and their words, the length caps and the group
//! size. Masking what is shown of a phone or ID number is `privacy`'s
//! (`privacy::mask`).

pub(crate) mod id;
mod phone;
mod text;

pub use id::{id_check_char, validate_id_number};
pub(crate) use phone::area_code_len;
pub use phone::normalize_phone;
pub use text::{AppealTexts, TITLE_FROM_CONTENT, appeal_texts, clean_text, text_field};

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

/// A problem in a named field; its `Display` is the Chinese message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.message_zh())]
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

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn half_width() {
        assert_eq!(to_half_width("ＡＢＣ１２３ａｂｃ　＋－（）"), "ABC123abc +-()");
        assert_eq!(to_half_width("中文，句号。"), "中文,句号。");
        assert_eq!(to_half_width("plain"), "plain");
    }
}
