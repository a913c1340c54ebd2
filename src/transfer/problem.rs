//! Why one row of an import file is not imported: `RowProblem`, and for a
//! problem of one field, `FieldProblem`. They are data; `message` words
//! them in the user's language (`Display` gives the English, for the log).
//! Texts they carry from the row are already masked (`shown`, `mask_name`).

use chrono::NaiveDate;

use crate::domain::code::CodeError;
use crate::domain::desk::DeskError;
use crate::domain::lifecycle::{HistoryError, TransitionError};
use crate::domain::validate::ValidationError;
use crate::domain::{Status, TrackingCode};
use crate::i18n::Lang;
use crate::storage::StoreError;

use super::table::{Column, known_columns};
use super::validation_message;

/// Why a row is refused.
#[derive(Debug, thiserror::Error)]
#[error("{}", self.message(Lang::En))]
pub enum RowProblem {
    /// The CSV reader cannot read the record (its own words).
    Csv(#[source] csv::Error),
    /// The row is over `limits::IMPORT_ROW` bytes.
    TooLong { size: usize },
    /// A CSV record whose fields do not line up with the header.
    FieldCount { got: usize, header: usize },
    /// A JSON Lines line that is not JSON; `at` is the byte of the error.
    NotJson { at: usize },
    /// A JSON Lines line that is JSON but not an object.
    NotAnObject,
    /// Fields (quoted, masked) that name no column of `columns`.
    UnknownFields {
        names: Vec<String>,
        columns: &'static [Column],
    },
    /// One field breaks its rule.
    Field {
        column: &'static Column,
        problem: FieldProblem,
    },
    /// A value the domain refuses (it names its field itself).
    Invalid(ValidationError),
    /// A step the desk refuses for another reason than its status.
    Desk(DeskError),
    /// The tracking code is already in the store or earlier in the file.
    CodeTaken(TrackingCode),
    /// The store could not be asked.
    Store(StoreError),
}

impl From<ValidationError> for RowProblem {
    fn from(e: ValidationError) -> Self {
        RowProblem::Invalid(e)
    }
}

impl RowProblem {
    pub fn field(column: &'static Column, problem: FieldProblem) -> RowProblem {
        RowProblem::Field { column, problem }
    }

    pub fn message(&self, lang: Lang) -> String {
        match self {
            RowProblem::Csv(e) => e.to_string(),
            RowProblem::TooLong { size } => {
                let (size, limit) = (
                    crate::limits::kb(*size as u64),
                    crate::limits::kb(crate::limits::IMPORT_ROW as u64),
                );
                lang.pick(
                    format!("这一行有 {size}，超过一行 {limit} 的上限"),
                    format!("the row holds {size}, over the limit of {limit} a row"),
                )
            }
            RowProblem::FieldCount { got, header } => lang.pick(
                format!("有 {got} 列，表头有 {header} 列"),
                format!("has {got} fields but the header has {header}"),
            ),
            RowProblem::NotJson { at } => lang.pick(
                format!("不是有效的 JSON（第 {at} 个字节处出错）"),
                format!("not valid JSON (the error is at byte {at})"),
            ),
            RowProblem::NotAnObject => lang
                .pick("每行应为一个 JSON 对象", "each line must be a JSON object")
                .to_string(),
            RowProblem::UnknownFields { names, columns } => lang.pick(
                format!(
                    "未知的字段 {}（可用：{}）",
                    names.join("、"),
                    known_columns(columns, lang)
                ),
                format!(
                    "unknown field(s) {} (known: {})",
                    names.join(", "),
                    known_columns(columns, lang)
                ),
            ),
            RowProblem::Field { column, problem } => {
                let detail = problem.message(lang, column);
                lang.pick(
                    format!("{}：{detail}", column.zh),
                    format!("{}: {detail}", column.en),
                )
            }
            RowProblem::Invalid(e) => validation_message(e, lang),
            RowProblem::Desk(e) => e.message(lang),
            RowProblem::CodeTaken(code) => lang.pick(
                format!("查询码 {code} 已存在"),
                format!("tracking code {code} already exists"),
            ),
            RowProblem::Store(e) => e.message(lang),
        }
    }
}

/// What a JSON value is, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JsonKind {
    Null,
    Bool,
    Number,
    String,
    Array,
    Object,
}

impl JsonKind {
    pub fn of(v: &serde_json::Value) -> JsonKind {
        use serde_json::Value;
        match v {
            Value::Null => JsonKind::Null,
            Value::Bool(_) => JsonKind::Bool,
            Value::Number(_) => JsonKind::Number,
            Value::String(_) => JsonKind::String,
            Value::Array(_) => JsonKind::Array,
            Value::Object(_) => JsonKind::Object,
        }
    }

    fn words(self, lang: Lang) -> &'static str {
        match self {
            JsonKind::Null => lang.pick("null", "null"),
            JsonKind::Bool => lang.pick("布尔值", "a boolean"),
            JsonKind::Number => lang.pick("数字", "a number"),
            JsonKind::String => lang.pick("字符串", "a string"),
            JsonKind::Array => lang.pick("数组", "an array"),
            JsonKind::Object => lang.pick("JSON 对象", "a JSON object"),
        }
    }
}

/// Why one field of a row is refused; `RowProblem::Field` names the field.
#[derive(Debug, Clone)]
pub enum FieldProblem {
    Required,
    /// A closed vocabulary cell with an unknown word; `known` lists the words.
    UnknownValue {
        text: String,
        known: fn(Lang) -> String,
    },
    /// Words that say something else than the code column beside them.
    Disagrees {
        words: String,
        coded: String,
        code_column: &'static Column,
    },
    /// A time that cannot be read (`with_time`: HH:MM may follow the date).
    BadDate {
        text: String,
        with_time: bool,
    },
    /// A row dated after today.
    Future {
        day: NaiveDate,
        today: NaiveDate,
    },
    /// A date no tracking code can carry.
    OutsideYears {
        day: NaiveDate,
    },
    /// A deputy name (masked) that is not on the roster.
    NotOnRoster {
        name: String,
    },
    /// A deputy name several deputies of the roster carry.
    Ambiguous {
        name: String,
    },
    /// A history on a row without a tracking code.
    HistoryWithoutCode,
    BadCode {
        code: String,
        problem: CodeError,
    },
    /// A value the row's status cannot carry.
    CannotCarry {
        status: Status,
    },
    /// A closed appeal rated not satisfied.
    ClosedUnsatisfied,
    /// A step the row's status needs is illegal.
    Transition(TransitionError),
    /// The status is not reached from Registered.
    Unreachable {
        target: Status,
    },
    /// A row with a tracking code but no history.
    NoHistory,
    /// History that is not the JSON export writes (`detail` is safe to print).
    HistoryUnreadable {
        detail: String,
    },
    /// History step `n` (from 1) dated after today.
    StepInFuture {
        n: usize,
        day: NaiveDate,
        today: NaiveDate,
    },
    /// A history that does not replay (worded the same in both languages).
    Replay(HistoryError),
    /// A value that contradicts the history.
    Contradicts,
    TooManySteps {
        got: usize,
        max: usize,
    },
    /// A text of history step `n` holds control characters or escapes.
    ControlCharacters {
        n: usize,
        text: StepText,
    },
    /// A text of history step `n` over its length cap.
    StepTextTooLong {
        n: usize,
        text: StepText,
        max: usize,
        got: usize,
    },
    /// A deputy ID with other characters than letters, digits, _ and -.
    BadId {
        id: String,
        max: usize,
    },
    UnknownLevel {
        text: String,
        known: fn(Lang) -> String,
    },
    LongSpecialty {
        text: String,
        max: usize,
    },
    BadDutyDay {
        text: String,
    },
    /// A JSON value that is not text; `list` for an array's item.
    NotText {
        what: JsonKind,
        list: bool,
    },
}

/// Which text of a history step: its label in both languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StepText {
    pub zh: &'static str,
    pub en: &'static str,
}

impl FieldProblem {
    /// The detail after the field's label.
    fn message(&self, lang: Lang, column: &Column) -> String {
        use FieldProblem::*;
        match self {
            Required => lang.pick("必填", "required").to_string(),
            UnknownValue { text, known } => lang.pick(
                format!("未知的值“{text}”（可用：{}）", known(lang)),
                format!("unknown value “{text}” (known: {})", known(lang)),
            ),
            Disagrees {
                words,
                coded,
                code_column: c,
            } => lang.pick(
                format!("“{words}”与{}“{coded}”不符", c.zh),
                format!(
                    "“{words}” does not agree with the {} “{coded}” ({})",
                    c.en, column.en
                ),
            ),
            BadDate {
                text,
                with_time: true,
            } => lang.pick(
                format!("无法识别“{text}”（应为 YYYY-MM-DD 或 YYYY-MM-DD HH:MM）"),
                format!("cannot read “{text}” (expected YYYY-MM-DD or YYYY-MM-DD HH:MM)"),
            ),
            BadDate {
                text,
                with_time: false,
            } => lang.pick(
                format!("无法识别“{text}”（应为 YYYY-MM-DD）"),
                format!("cannot read “{text}” (expected YYYY-MM-DD)"),
            ),
            Future { day, today } => lang.pick(
                format!("{day} 晚于今天（{today}），不能登记未来的诉求"),
                format!("{day} is after today ({today}): an appeal cannot come from the future"),
            ),
            OutsideYears { day } => lang.pick(
                format!("{day} 超出可登记的范围（2000-2099 年）"),
                format!("{day} is outside the years 2000-2099"),
            ),
            NotOnRoster { name } => lang.pick(
                format!("代表名册中没有“{name}”"),
                format!("“{name}” is not on the deputy roster"),
            ),
            Ambiguous { name } => lang.pick(
                format!("代表名册中有多位“{name}”，无法确定是哪一位"),
                format!("the roster has several deputies named “{name}”"),
            ),
            HistoryWithoutCode => lang
                .pick(
                    "只能与查询码一起导入",
                    "can only be imported together with a tracking code",
                )
                .to_string(),
            BadCode { code, problem } => lang.pick(
                format!("“{code}”无效：{}", problem.message(lang)),
                format!("“{code}” is not valid ({})", problem.message(lang)),
            ),
            CannotCarry { status } => {
                let status = status.label(lang);
                lang.pick(
                    format!("办理状态为“{status}”的诉求不应填写此项"),
                    format!("must be empty for an appeal whose status is “{status}”"),
                )
            }
            ClosedUnsatisfied => lang
                .pick(
                    "已办结的诉求不能是“不满意”（不满意的诉求会重新办理）",
                    "a closed appeal cannot be rated not satisfied (that sends it back for handling)",
                )
                .to_string(),
            Transition(e) => e.message(lang),
            Unreachable { target } => lang.pick(
                format!("无法从“已登记”走到“{}”", target.zh()),
                format!("cannot reach “{}” from “Registered”", target.en()),
            ),
            NoHistory => lang
                .pick(
                    "带查询码的诉求必须附有办理历史",
                    "an appeal with a tracking code needs its history",
                )
                .to_string(),
            HistoryUnreadable { detail } => lang.pick(
                format!("无法解析（{detail}）"),
                format!("cannot be read ({detail})"),
            ),
            StepInFuture { n, day, today } => lang.pick(
                format!("第 {n} 步的日期 {day} 晚于今天（{today}）"),
                format!("step {n} is dated {day}, after today ({today})"),
            ),
            Replay(e) => e.to_string(),
            Contradicts => lang
                .pick("与办理历史不符", "does not agree with the history")
                .to_string(),
            TooManySteps { got, max } => lang.pick(
                format!("{got} 步，超过上限 {max} 步"),
                format!("{got} steps, over the limit of {max}"),
            ),
            ControlCharacters { n, text } => lang.pick(
                format!("第 {n} 步的{}含有控制字符或终端转义序列", text.zh),
                format!(
                    "step {n}: the {} contains control characters or terminal escape sequences",
                    text.en
                ),
            ),
            StepTextTooLong { n, text, max, got } => lang.pick(
                format!("第 {n} 步的{}不能超过 {max} 字（现 {got} 字）", text.zh),
                format!(
                    "step {n}: the {} must be at most {max} characters (got {got})",
                    text.en
                ),
            ),
            BadId { id, max } => lang.pick(
                format!("“{id}”只能包含字母、数字、下划线和短横线（最多 {max} 个）"),
                format!("“{id}” may only contain letters, digits, _ and - (at most {max})"),
            ),
            UnknownLevel { text, known } => lang.pick(
                format!("未知的层级“{text}”（可用：{}）", known(lang)),
                format!("unknown level “{text}” (known: {})", known(lang)),
            ),
            LongSpecialty { text, max } => lang.pick(
                format!("“{text}”超过 {max} 字"),
                format!("“{text}” is longer than {max} characters"),
            ),
            BadDutyDay { text } => lang.pick(
                format!("“{text}”不是 1-31 之间的日期"),
                format!("“{text}” is not a day of the month (1-31)"),
            ),
            NotText { what, list: true } => {
                let what = what.words(lang);
                lang.pick(
                    format!("应为文本或文本数组，不是含有{what}的数组"),
                    format!("must be a string or an array of strings, not an array holding {what}"),
                )
            }
            NotText { what, list: false } => {
                let what = what.words(lang);
                lang.pick(
                    format!("应为文本（字符串），不是{what}"),
                    format!("must be text (a string), not {what}"),
                )
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::transfer::appeals;

    #[test]
    fn a_field_problem_names_its_field_and_display_is_english() {
        let column = &appeals::COLUMNS[1];
        let p = RowProblem::field(column, FieldProblem::Required);
        assert_eq!(p.message(Lang::Zh), "日期：必填");
        assert_eq!(p.message(Lang::En), "Date: required");
        assert_eq!(p.to_string(), "Date: required");
        let p = RowProblem::FieldCount { got: 3, header: 2 };
        assert_eq!(p.message(Lang::Zh), "有 3 列，表头有 2 列");
        assert_eq!(p.to_string(), "has 3 fields but the header has 2");
    }
}
