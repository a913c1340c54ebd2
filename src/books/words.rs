//! Every word the ledgers print: sheet names, column headers and their
//! widths, the deeds of the duty archive, and why a period is refused.

use super::period::PeriodError;
use crate::i18n::Lang;

/// A column of a ledger: its header in both languages, its width in
/// Excel's character units (a Chinese character takes about two) and
/// whether its long text wraps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    pub zh: &'static str,
    pub en: &'static str,
    pub width: u16,
    pub wrap: bool,
}

impl Column {
    pub fn header(&self, lang: Lang) -> &'static str {
        lang.pick(self.zh, self.en)
    }
}

const fn col(zh: &'static str, en: &'static str, width: u16) -> Column {
    Column {
        zh,
        en,
        width,
        wrap: false,
    }
}

const fn long(zh: &'static str, en: &'static str, width: u16) -> Column {
    Column {
        zh,
        en,
        width,
        wrap: true,
    }
}

/// A ledger: its sheet's name and its columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ledger {
    pub zh: &'static str,
    pub en: &'static str,
    pub columns: &'static [Column],
}

impl Ledger {
    pub fn name(&self, lang: Lang) -> &'static str {
        lang.pick(self.zh, self.en)
    }
}

/// 接待选民登记簿: one row per visit.
pub const VISITS: Ledger = Ledger {
    zh: "接待选民登记簿",
    en: "Visitors",
    columns: &[
        col("登记号", "Visit code", 26),
        col("日期", "Date", 12),
        col("时间", "Time", 7),
        col("来访人", "Visitor", 10),
        col("联系电话", "Phone", 16),
        col("身份证号", "ID number", 21),
        long("住址/单位", "Address", 26),
        col("人数", "People", 6),
        long("接待代表", "Deputies", 14),
        long("诉求查询码", "Appeal codes", 26),
        long("反映问题", "Matters raised", 50),
        long("办理方式", "How handled", 12),
    ],
};

/// 意见建议办理台账: one row per appeal registered in the period.
pub const APPEALS: Ledger = Ledger {
    zh: "意见建议办理台账",
    en: "Appeals",
    columns: &[
        col("查询码", "Tracking code", 26),
        col("登记日期", "Registered", 12),
        col("来访人", "Visitor", 10),
        col("类别", "Category", 10),
        long("标题", "Title", 24),
        long("诉求内容", "Content", 50),
        long("接待代表", "Deputies", 14),
        col("办理方式", "Route", 10),
        long("承办单位", "Handling unit", 24),
        col("交办日期", "Referred on", 12),
        col("办理期限", "Deadline", 12),
        col("答复日期", "Replied on", 12),
        col("答复类别", "Reply class", 14),
        long("答复内容", "Reply", 40),
        col("满意度", "Satisfaction", 10),
        col("办理状态", "Status", 10),
        col("办结日期", "Closed on", 12),
        col("重新办理次数", "Reopened", 8),
    ],
};

/// 代表进站履职登记: one row per deputy's check-in.
pub const ATTENDANCE: Ledger = Ledger {
    zh: "代表进站履职登记",
    en: "Attendance",
    columns: &[
        col("日期", "Date", 12),
        col("代表编号", "Deputy id", 10),
        col("代表", "Deputy", 10),
        col("签到时间", "Checked in", 10),
        col("签退时间", "Checked out", 10),
        col("是否值班日", "Scheduled", 10),
        col("当日接待人次", "Visits received", 12),
    ],
};

/// 履职档案: each deputy's deeds and points, with a subtotal.
pub const ARCHIVE: Ledger = Ledger {
    zh: "履职档案",
    en: "Duty archive",
    columns: &[
        col("代表编号", "Deputy id", 10),
        col("代表", "Deputy", 10),
        col("日期", "Date", 12),
        col("履职事项", "Deed", 18),
        long("查询码或项目", "Appeal code or item", 26),
        col("积分", "Points", 8),
    ],
};

/// 履职积分: each deputy's points, highest first.
pub const POINTS: Ledger = Ledger {
    zh: "履职积分",
    en: "Duty points",
    columns: &[
        col("代表编号", "Deputy id", 10),
        col("代表", "Deputy", 10),
        col("本期积分", "Period", 10),
        col("本年度积分", "Year to date", 12),
        col("本届积分", "Term to date", 12),
    ],
};

/// The ledgers, in the workbook's order.
pub const LEDGERS: [Ledger; 5] = [VISITS, APPEALS, ATTENDANCE, ARCHIVE, POINTS];

/// Names joined in one cell (deputies).
pub fn list_separator(lang: Lang) -> &'static str {
    lang.pick("、", ", ")
}

pub fn yes_no(yes: bool, lang: Lang) -> &'static str {
    match yes {
        true => lang.pick("是", "yes"),
        false => lang.pick("否", "no"),
    }
}

/// The label of a deputy's subtotal row.
pub fn subtotal(lang: Lang) -> &'static str {
    lang.pick("小计", "Subtotal")
}

pub fn reception_day(lang: Lang) -> &'static str {
    lang.pick("进站接待", "Reception day")
}

pub fn received(lang: Lang) -> &'static str {
    lang.pick("接待群众诉求", "Appeal received")
}

pub fn answered_on_time(lang: Lang) -> &'static str {
    lang.pick("诉求按期答复", "Answered on time")
}

pub fn satisfied(lang: Lang) -> &'static str {
    lang.pick("诉求获满意评价", "Rated satisfied")
}

pub fn duty_item(lang: Lang) -> &'static str {
    lang.pick("履职清单", "Duty list item")
}

/// An item of the duty list done `times` times: `学习培训 ×2`.
pub fn item_times(name: &str, times: u32) -> String {
    if times == 1 {
        name.to_string()
    } else {
        format!("{name} ×{times}")
    }
}

/// What the command says when the ledgers are written.
pub fn exported(path: &str, from: &str, to: &str, lang: Lang) -> String {
    let names: Vec<&str> = LEDGERS.iter().map(|l| l.name(lang)).collect();
    lang.pick(
        format!("已导出 {from} 至 {to} 的台账到 {path}（{}）", names.join("、")),
        format!(
            "the ledgers of {from} to {to} exported to {path} ({})",
            names.join(", ")
        ),
    )
}

/// Ledgers must be written to a file.
pub fn needs_out(lang: Lang) -> &'static str {
    lang.pick(
        "导出台账须用 --out 指定输出文件（.xlsx），例如 --out 台账.xlsx",
        "the ledgers need an output file: use --out FILE.xlsx",
    )
}

const FORMS_ZH: &str =
    "请用 --from 日期 --to 日期（YYYY-MM-DD）、--quarter 2026Q4、--month 2026-11 或 --year 2026 中的一种";
const FORMS_EN: &str =
    "use one of --from DATE --to DATE (YYYY-MM-DD), --quarter 2026Q4, --month 2026-11 or --year 2026";

pub fn period_error(e: &PeriodError, lang: Lang) -> String {
    match e {
        PeriodError::Missing => lang.pick(
            format!("未指定台账的期间：{FORMS_ZH}"),
            format!("no period given for the ledgers: {FORMS_EN}"),
        ),
        PeriodError::Several(flags) => lang.pick(
            format!("期间只能用一种方式指定，却给了 {}：{FORMS_ZH}", flags.join("、")),
            format!(
                "give the period one way only, not {}: {FORMS_EN}",
                flags.join(" and ")
            ),
        ),
        PeriodError::Half(flag) => {
            let other = if *flag == "--from" { "--to" } else { "--from" };
            lang.pick(
                format!("给了 {flag} 却没有 {other}：起止日期须同时给出（YYYY-MM-DD）"),
                format!("{flag} without {other}: give both days (YYYY-MM-DD)"),
            )
        }
        PeriodError::Bad { flag, text } => {
            let (zh, en) = match *flag {
                "--quarter" => (
                    "季度应写作 2026Q4（年份加 Q1–Q4）",
                    "a quarter is written 2026Q4 (a year and Q1–Q4)",
                ),
                "--month" => ("月份应写作 2026-11", "a month is written 2026-11"),
                "--year" => (
                    "年份应写作 2026（2000–2099）",
                    "a year is written 2026 (2000–2099)",
                ),
                _ => (
                    "日期应写作 2026-11-05，且须是存在的日期",
                    "a day is written 2026-11-05 and must exist",
                ),
            };
            lang.pick(
                format!("{flag}“{text}”无法识别：{zh}"),
                format!("{flag} \"{text}\" is not understood: {en}"),
            )
        }
        PeriodError::Reversed { from, to } => lang.pick(
            format!("起始日期 {from} 晚于截止日期 {to}：--from 应不晚于 --to"),
            format!("the first day {from} is after the last day {to}: --from must not be after --to"),
        ),
    }
}
