//! The public pages a QR code opens, under the station's code: an
//! appeal's progress (`/{station}/t/{code}?k=`), a deputy
//! (`/{station}/d/{id}`) and the station (`/{station}/`). Small Chinese HTML,
//! every value escaped. The progress page shows the category, the steps
//! with their dates and statuses, the handling unit and the reply: never
//! the visitor, nor the appeal's title or content (either may name them).
//! What it shows is the appeal as `domain::privacy::public_appeal` masks
//! it: a reply naming the visitor or quoting a phone shows neither.

use chrono::NaiveDate;

use super::db::EnrolledStation;
use crate::domain::privacy::public_appeal;
use crate::domain::{Appeal, Deputy, Station};
use crate::i18n::Lang;

/// The words the pages show.
mod words {
    pub const PROGRESS: &str = "诉求办理进度";
    pub const NOT_FOUND: &str = "未找到";
    pub const NOT_FOUND_TEXT: &str = "没有找到对应的记录。请核对回执上的二维码是否完整，或向联络站咨询。";
    pub const NOT_YET_TEXT: &str = "暂时查不到这条诉求的办理进度。新登记的诉求，要等联络站把记录上报县里后才能在这里查到，通常在登记后一两分钟内，联络站网络不通时会晚一些。过了一天仍查不到时，请核对回执上的二维码是否完整，或向联络站咨询。";
    pub const CODE: &str = "查询码";
    pub const STATION: &str = "联络站";
    pub const CATEGORY: &str = "类别";
    pub const STATUS: &str = "当前状态";
    pub const UNIT: &str = "承办单位";
    pub const DEADLINE: &str = "办理期限";
    pub const STEPS: &str = "办理过程";
    pub const REPLY: &str = "答复";
    pub const PRIVACY: &str = "本页只显示办理进度，不显示个人信息。";
    pub const LEVEL: &str = "代表层级";
    pub const SPECIALTIES: &str = "专长";
    pub const ADDRESS: &str = "地址";
    pub const HOURS: &str = "接待时间";
    pub const SCHEDULE: &str = "接待选民日";
    pub const NEXT_DAYS: &str = "近期接待选民日";
    pub const NO_DAYS: &str = "暂无安排";
    pub const DEPUTIES: &str = "联系代表";
    pub const DEPUTY_SUFFIX: &str = "代表";
    pub const LEVEL_SUFFIX: &str = "人大代表";
    pub const PHONE: &str = "联系电话";
    pub const ASK: &str = "反映问题、提出意见建议";
    pub const ASK_DEPUTY: &str = "联系这位代表：反映问题、预约见面";
    pub const ASK_CATEGORY: &str = "类别";
    pub const ASK_CONTENT: &str = "想反映的事（必填）";
    pub const ASK_LOCATION: &str = "地点（可不填）";
    pub const ASK_NAME: &str = "姓名（可不填）";
    pub const ASK_PHONE: &str = "电话（可不填；留下才能给您回复）";
    pub const ASK_MEET: &str = "预约见面（接待选民日，需留电话）";
    pub const ASK_NO_MEET: &str = "不预约";
    pub const ASK_CHECK: &str = "验证：{a} 加 {b} 等于几？";
    pub const ASK_SEND: &str = "提交";
    pub const ASK_KEPT: &str = "我们保存什么、谁能看到：您填写的内容、地点、姓名和电话交给本联络站和县人大常委会代表工委，用于办理和回复您，不作他用。公开的进度页只显示办理进度，不显示姓名、电话和所反映的内容。提交后您会得到一个查询码和进度链接，请截图或保存。";
    pub const ASK_WRONG: &str = "验证答案不对或已过期，请按新的题目重新计算后提交。";
    pub const ASK_TOO_LARGE: &str = "提交的内容太长了，请回到上一页删减后再提交（想反映的事最多 1000 字）。";
    pub const ASK_UNREADABLE: &str = "提交的内容无法读取，请回到上一页重新填写。";
    pub const RECEIVED: &str = "已收到";
    pub const RECEIVED_TEXT: &str = "您反映的事已交给联络站，联络站受理后会按“登记受理、分类交办、跟踪督办、答复反馈、办结销号”办理。请保存下面的查询码和进度链接（截图即可），随时可以查看办理到哪一步。";
    pub const RECEIVED_AGAIN: &str = "这件事您已经提交过了，不会重复登记。查询码和进度链接如下。";
    pub const MEETING: &str = "预约见面";
    pub const PROGRESS_LINK: &str = "查看办理进度";
    pub const DUTY: &str = "履职档案";
    pub const DUTY_DAYS: &str = "进站接待选民日";
    pub const DUTY_APPEALS: &str = "接待反映的诉求";
    pub const DUTY_CLOSED: &str = "已办结";
    pub const DUTY_SATISFIED: &str = "群众满意（含基本满意）";
    pub const DUTY_OPEN: &str = "办理中";
    pub const DUTY_ITEMS: &str = "学习、会议、调研等履职事项（次）";
    pub const DAYS_LEFT: &str = "距办理期限还有 {n} 天";
    pub const DUE_TODAY: &str = "今天是办理期限";
    pub const DAYS_OVER: &str = "已超过办理期限 {n}";
    pub const CONTACT: &str = "联系联络站";
    pub const TOO_MANY_ASKS: &str = "提交过于频繁";
    pub const TOO_MANY_ASKS_TEXT: &str =
        "这台设备提交得太频繁了，请过几分钟再提交。急事请在接待时间直接到联络站，或打联络站电话。";
    pub const TOO_MANY: &str = "查询过于频繁";
    pub const TOO_MANY_TEXT: &str = "查询过于频繁，请稍后再试。";
}

/// Escapes text for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// Whether `given` is the appeal's key, in time independent of where they
/// differ. An appeal without a key is never shown.
pub fn key_matches(held: &str, given: &str) -> bool {
    use subtle::ConstantTimeEq;
    !held.is_empty() && bool::from(held.as_bytes().ct_eq(given.as_bytes()))
}

/// The pages' stylesheet: one column, large type, read on a phone (360
/// px wide and up) as well as a desk.
const STYLE: &str = "html{font-size:18px;-webkit-text-size-adjust:100%}\
body{font-family:sans-serif;max-width:40em;margin:0 auto;padding:.5em 1em 2em;line-height:1.6;color:#222;overflow-wrap:anywhere}\
h1{font-size:1.5em;line-height:1.3}h2{font-size:1.2em;margin-top:1.4em}\
dt{color:#555}dd{margin:0 0 .5em 0}li{margin:.2em 0}.note{color:#555;font-size:.9em}\
.code{font-size:1.4em;font-weight:bold;letter-spacing:.02em}.due{font-weight:bold}.late{color:#b00020;font-weight:bold}\
ol.loop{list-style:none;padding:0;margin:1em 0;display:flex;flex-wrap:wrap;gap:.3em}\
ol.loop li{flex:1 1 5.5em;margin:0;padding:.4em .3em;border:2px solid #bbb;border-radius:.4em;text-align:center;color:#777;font-size:.95em}\
ol.loop li.done{border-color:#2e7d32;color:#2e7d32}ol.loop li.now{border-color:#1565c0;background:#1565c0;color:#fff;font-weight:bold}\
form label{display:block;margin:.8em 0 .2em}input,select,textarea,button{font:inherit;width:100%;box-sizing:border-box;padding:.4em}\
textarea{min-height:7em}button{margin-top:1em;padding:.6em;background:#1565c0;color:#fff;border:0;border-radius:.4em}\
.problem{color:#b00020;font-weight:bold}.qr svg{width:12em;height:12em}a{color:#1565c0}";

fn page(title: &str, content: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"referrer\" content=\"no-referrer\"><title>{t}</title>\
         <style>{STYLE}</style>\
         </head><body><main><h1>{t}</h1>\n{content}</main></body></html>\n",
        t = escape(title)
    )
}

/// A page of one paragraph, `class` its style ("" for plain).
fn notice(title: &str, text: &str, class: &str) -> String {
    let class = if class.is_empty() {
        String::new()
    } else {
        format!(" class=\"{class}\"")
    };
    page(title, &format!("<p{class}>{}</p>\n", escape(text)))
}

fn field(out: &mut String, label: &str, value: &str) {
    out.push_str(&format!("<dt>{}</dt><dd>{}</dd>\n", escape(label), escape(value)));
}

fn days_list(out: &mut String, days: &[NaiveDate], label: &str) {
    out.push_str(&format!("<h2>{}</h2>\n", escape(label)));
    if days.is_empty() {
        out.push_str(&format!("<p>{}</p>\n", escape(words::NO_DAYS)));
        return;
    }
    out.push_str("<ul>\n");
    for d in days {
        out.push_str(&format!("<li>{}</li>\n", d.format("%Y-%m-%d")));
    }
    out.push_str("</ul>\n");
}

/// The answer to an unknown code and to a wrong key alike.
pub fn not_found() -> String {
    notice(words::NOT_FOUND, words::NOT_FOUND_TEXT, "")
}

/// The answer to a client past its limit on public pages.
pub fn too_many() -> String {
    notice(words::TOO_MANY, words::TOO_MANY_TEXT, "")
}

/// The answer to a progress link the county cannot show: an unknown code
/// (perhaps one the station has not reported yet) and a wrong key alike,
/// so that it never tells whether a code exists.
pub fn appeal_not_found() -> String {
    notice(words::PROGRESS, words::NOT_YET_TEXT, "")
}

/// The five steps of the closed loop (登记受理 → 分类交办 → 跟踪督办 →
/// 答复反馈 → 办结销号), and which one an appeal in `status` is at.
const LOOP: [&str; 5] = ["登记受理", "分类交办", "跟踪督办", "答复反馈", "办结销号"];

fn loop_step(status: crate::domain::Status) -> usize {
    use crate::domain::Status::*;
    match status {
        Registered | Accepted => 0,
        Referred => 1,
        InProgress => 2,
        Replied => 3,
        Closed => 4,
    }
}

/// The five steps at a glance, the current one marked.
fn loop_bar(out: &mut String, status: crate::domain::Status) {
    let now = loop_step(status);
    out.push_str("<ol class=\"loop\">");
    for (i, label) in LOOP.iter().enumerate() {
        let class = match i.cmp(&now) {
            std::cmp::Ordering::Less => "done",
            std::cmp::Ordering::Equal => "now",
            std::cmp::Ordering::Greater => "todo",
        };
        let mark = if i == now { " aria-current=\"step\"" } else { "" };
        out.push_str(&format!("<li class=\"{class}\"{mark}>{}</li>", escape(label)));
    }
    out.push_str("</ol>\n");
}

/// The deadline as days left (or over), on `today`.
fn days_left(deadline: NaiveDate, today: NaiveDate) -> (String, &'static str) {
    let n = (deadline - today).num_days();
    match n {
        0 => (words::DUE_TODAY.to_string(), "due"),
        n if n > 0 => (words::DAYS_LEFT.replace("{n}", &n.to_string()), "due"),
        // Past the deadline: working days, by the county's holiday table.
        _ => {
            let late = super::holidays().lateness(deadline, today);
            (words::DAYS_OVER.replace("{n}", &late.count(Lang::Zh)), "late")
        }
    }
}

/// An appeal's progress, its texts masked: where it stands in the loop,
/// the deadline as days left, the steps, the reply, and how to reach the
/// station.
pub fn appeal(station: Option<&EnrolledStation>, held: &Appeal, today: NaiveDate) -> String {
    let lang = Lang::Zh;
    let a = &public_appeal(held);
    let info = station.and_then(|s| s.info.as_ref());
    let mut out = String::new();
    out.push_str(&format!(
        "<p>{}<br><span class=\"code\">{}</span></p>\n",
        escape(words::CODE),
        escape(a.code.as_str())
    ));
    loop_bar(&mut out, a.status);
    out.push_str("<dl>\n");
    if let Some(s) = station {
        field(
            &mut out,
            words::STATION,
            info.map(|i| i.name.as_str()).unwrap_or(&s.name),
        );
    }
    field(&mut out, words::CATEGORY, a.category.label(lang));
    field(&mut out, words::STATUS, a.status.label(lang));
    if let Some(unit) = &a.unit {
        field(&mut out, words::UNIT, unit);
    }
    if let Some(deadline) = a.deadline {
        out.push_str(&format!(
            "<dt>{}</dt><dd>{}",
            escape(words::DEADLINE),
            deadline.format("%Y-%m-%d")
        ));
        if a.status.awaits_unit() || a.status == crate::domain::Status::Accepted {
            let (text, class) = days_left(deadline, today);
            out.push_str(&format!("<br><span class=\"{class}\">{}</span>", escape(&text)));
        }
        out.push_str("</dd>\n");
    }
    if let Some(day) = a.meeting {
        field(&mut out, words::MEETING, &day.format("%Y-%m-%d").to_string());
    }
    out.push_str("</dl>\n");
    out.push_str(&format!("<h2>{}</h2>\n<ol>\n", escape(words::STEPS)));
    for entry in a.history.iter().filter(|e| e.not_applied.is_none()) {
        let label = entry.step.kind().label(lang);
        // The county's steps name who took them (the office's clerk, the
        // unit and its person): public servants at work, never a visitor.
        let by = if entry.event.is_county() && !entry.actor.trim().is_empty() {
            format!(" · {}", escape(&entry.actor))
        } else {
            String::new()
        };
        out.push_str(&format!(
            "<li>{} {}{by} → {}</li>\n",
            crate::county::zone().date(&entry.at),
            escape(label),
            escape(entry.to.label(lang))
        ));
    }
    out.push_str("</ol>\n");
    if let Some(reply) = a.reply.as_deref().filter(|r| !r.trim().is_empty()) {
        out.push_str(&format!(
            "<h2>{}</h2>\n<p>{}</p>\n",
            escape(words::REPLY),
            escape(reply)
        ));
    }
    if let Some(info) = info {
        out.push_str(&format!("<h2>{}</h2>\n<dl>\n", escape(words::CONTACT)));
        station_fields(&mut out, info);
        out.push_str("</dl>\n");
    }
    out.push_str(&format!("<p class=\"note\">{}</p>\n", escape(words::PRIVACY)));
    page(words::PROGRESS, &out)
}

fn station_fields(out: &mut String, info: &Station) {
    if !info.address.trim().is_empty() {
        field(out, words::ADDRESS, &info.address);
    }
    if let Some(phone) = info.phone.as_deref().filter(|p| !p.trim().is_empty()) {
        out.push_str(&format!(
            "<dt>{}</dt><dd><a href=\"tel:{}\">{}</a></dd>\n",
            escape(words::PHONE),
            escape(
                &phone
                    .chars()
                    .filter(|c| c.is_ascii_digit() || *c == '-')
                    .collect::<String>()
            ),
            escape(phone)
        ));
    }
    if !info.reception_days.is_empty() {
        field(out, words::SCHEDULE, &info.schedule_text(Lang::Zh));
    }
    if !info.reception_hours.trim().is_empty() {
        field(out, words::HOURS, &info.reception_hours);
    }
}

/// What a page's form to a station holds (`domain::online`): the
/// question that keeps machines out, and after a refusal what was typed
/// and why.
pub struct AskView<'a> {
    /// The station's code (the form goes to `/{station}/ask`).
    pub station: &'a str,
    /// The deputy whose page it is.
    pub deputy: Option<&'a Deputy>,
    /// The reception days a meeting may be booked on (a deputy's page).
    pub days: &'a [NaiveDate],
    pub question: (u8, u8),
    pub token: &'a str,
    pub typed: &'a crate::domain::online::Form,
    pub problem: Option<String>,
}

fn ask_form(out: &mut String, v: &AskView) {
    let heading = if v.deputy.is_some() {
        words::ASK_DEPUTY
    } else {
        words::ASK
    };
    out.push_str(&format!("<h2 id=\"ask\">{}</h2>\n", escape(heading)));
    if let Some(problem) = &v.problem {
        out.push_str(&format!(
            "<p class=\"problem\" role=\"alert\">{}</p>\n",
            escape(problem)
        ));
    }
    out.push_str(&format!(
        "<form method=\"post\" action=\"/{}/ask#ask\" accept-charset=\"utf-8\">\n",
        escape(v.station)
    ));
    out.push_str(&format!(
        "<label for=\"category\">{}</label><select id=\"category\" name=\"category\">",
        escape(words::ASK_CATEGORY)
    ));
    for c in crate::domain::Category::ALL {
        let selected = if v.typed.category == c.code() {
            " selected"
        } else {
            ""
        };
        out.push_str(&format!(
            "<option value=\"{}\"{selected}>{}</option>",
            c.code(),
            escape(c.zh())
        ));
    }
    out.push_str("</select>\n");
    out.push_str(&format!(
        "<label for=\"content\">{}</label><textarea id=\"content\" name=\"content\" maxlength=\"{}\" required>{}</textarea>\n",
        escape(words::ASK_CONTENT),
        crate::domain::online::MAX_ONLINE_CONTENT,
        escape(&v.typed.content)
    ));
    for (id, label, value, extra) in [
        (
            "location",
            words::ASK_LOCATION,
            &v.typed.location,
            "maxlength=\"120\"",
        ),
        (
            "name",
            words::ASK_NAME,
            &v.typed.name,
            "maxlength=\"40\" autocomplete=\"name\"",
        ),
        (
            "phone",
            words::ASK_PHONE,
            &v.typed.phone,
            "inputmode=\"tel\" autocomplete=\"tel\" maxlength=\"30\"",
        ),
    ] {
        out.push_str(&format!(
            "<label for=\"{id}\">{}</label><input id=\"{id}\" name=\"{id}\" {extra} value=\"{}\">\n",
            escape(label),
            escape(value)
        ));
    }
    if let Some(d) = v.deputy {
        out.push_str(&format!(
            "<input type=\"hidden\" name=\"deputy\" value=\"{}\">\n",
            escape(&d.id)
        ));
        out.push_str(&format!(
            "<label for=\"meet_on\">{}</label><select id=\"meet_on\" name=\"meet_on\"><option value=\"\">{}</option>",
            escape(words::ASK_MEET),
            escape(words::ASK_NO_MEET)
        ));
        for day in v.days {
            let value = day.format("%Y-%m-%d").to_string();
            let selected = if v.typed.meet_on == value { " selected" } else { "" };
            out.push_str(&format!("<option value=\"{value}\"{selected}>{value}</option>"));
        }
        out.push_str("</select>\n");
    }
    let (a, b) = v.question;
    out.push_str(&format!(
        "<label for=\"answer\">{}</label><input id=\"answer\" name=\"answer\" inputmode=\"numeric\" maxlength=\"3\" required autocomplete=\"off\">\n\
         <input type=\"hidden\" name=\"token\" value=\"{}\">\n",
        escape(&words::ASK_CHECK.replace("{a}", &a.to_string()).replace("{b}", &b.to_string())),
        escape(v.token)
    ));
    out.push_str(&format!(
        "<button type=\"submit\">{}</button>\n</form>\n<p class=\"note\">{}</p>\n",
        escape(words::ASK_SEND),
        escape(words::ASK_KEPT)
    ));
}

/// A deputy's duty record as voters may look it up (履职档案): no
/// visitor's data, only counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DutyRecord {
    /// Reception days the deputy checked in at the station.
    pub days: u64,
    /// Appeals registered with the deputy receiving them.
    pub appeals: u64,
    pub closed: u64,
    /// Closed and rated 满意 or 基本满意.
    pub satisfied: u64,
    /// Not closed yet.
    pub open: u64,
    /// Times of the duty list's items (study, meetings, activities) the
    /// station entered.
    pub items: u64,
}

fn duty_record(out: &mut String, r: &DutyRecord) {
    out.push_str(&format!("<h2>{}</h2>\n<dl>\n", escape(words::DUTY)));
    for (label, n) in [
        (words::DUTY_DAYS, r.days),
        (words::DUTY_APPEALS, r.appeals),
        (words::DUTY_CLOSED, r.closed),
        (words::DUTY_SATISFIED, r.satisfied),
        (words::DUTY_OPEN, r.open),
        (words::DUTY_ITEMS, r.items),
    ] {
        field(out, label, &n.to_string());
    }
    out.push_str("</dl>\n");
}

/// A deputy's page: name, level, station, when to find them, their duty
/// record and the form to reach them.
pub fn deputy(
    d: &Deputy,
    station: Option<&EnrolledStation>,
    today: NaiveDate,
    record: &DutyRecord,
    ask: &AskView,
) -> String {
    let lang = Lang::Zh;
    let mut out = String::from("<dl>\n");
    field(
        &mut out,
        words::LEVEL,
        &format!("{}{}", d.level.label(lang), words::LEVEL_SUFFIX),
    );
    if !d.specialties.is_empty() {
        field(&mut out, words::SPECIALTIES, &d.specialties.join("、"));
    }
    let info = station.and_then(|s| s.info.as_ref());
    if let Some(s) = station {
        let name = info.map(|i| i.name.as_str()).unwrap_or(&s.name);
        field(&mut out, words::STATION, name);
    }
    if let Some(info) = info {
        station_fields(&mut out, info);
    }
    out.push_str("</dl>\n");
    let days = info.map(|i| i.next_reception_days(today, 3)).unwrap_or_default();
    days_list(&mut out, &days, words::NEXT_DAYS);
    duty_record(&mut out, record);
    ask_form(&mut out, ask);
    page(&format!("{}{}", d.name, words::DEPUTY_SUFFIX), &out)
}

/// A station's page: where and when, its deputies, and the form.
pub fn station(s: &EnrolledStation, deputies: &[Deputy], today: NaiveDate, ask: &AskView) -> String {
    let lang = Lang::Zh;
    let info = s.info.as_ref();
    let name = info.map(|i| i.name.as_str()).unwrap_or(&s.name);
    let mut out = String::from("<dl>\n");
    if let Some(info) = info {
        station_fields(&mut out, info);
    }
    out.push_str("</dl>\n");
    let days = info.map(|i| i.next_reception_days(today, 3)).unwrap_or_default();
    days_list(&mut out, &days, words::NEXT_DAYS);
    if !deputies.is_empty() {
        out.push_str(&format!("<h2>{}</h2>\n<ul>\n", escape(words::DEPUTIES)));
        for d in deputies {
            out.push_str(&format!(
                "<li><a href=\"/{}/d/{}\">{}</a>（{}{}）</li>\n",
                escape(&s.code),
                escape(&d.id),
                escape(&d.name),
                escape(d.level.label(lang)),
                escape(words::LEVEL_SUFFIX)
            ));
        }
        out.push_str("</ul>\n");
    }
    ask_form(&mut out, ask);
    page(name, &out)
}

/// What a citizen sees once the county holds what they sent: the code,
/// the progress link (and its QR code, to save or scan later), and for a
/// booking the day.
pub fn received(
    station_name: &str,
    code: &str,
    link: &str,
    meeting: Option<NaiveDate>,
    folded: bool,
) -> String {
    let mut out = String::new();
    let text = if folded {
        words::RECEIVED_AGAIN
    } else {
        words::RECEIVED_TEXT
    };
    out.push_str(&format!("<p>{}</p>\n", escape(text)));
    out.push_str("<dl>\n");
    field(&mut out, words::STATION, station_name);
    out.push_str(&format!(
        "<dt>{}</dt><dd><span class=\"code\">{}</span></dd>\n",
        escape(words::CODE),
        escape(code)
    ));
    if let Some(day) = meeting {
        field(&mut out, words::MEETING, &day.format("%Y-%m-%d").to_string());
    }
    out.push_str("</dl>\n");
    out.push_str(&format!(
        "<p><a id=\"progress\" href=\"{}\">{}</a></p>\n",
        escape(link),
        escape(words::PROGRESS_LINK)
    ));
    if let Ok(qr) = qrcode::QrCode::new(link.as_bytes()) {
        let svg = qr
            .render::<qrcode::render::svg::Color>()
            .min_dimensions(180, 180)
            .build();
        out.push_str(&format!("<div class=\"qr\">{svg}</div>\n"));
    }
    page(words::RECEIVED, &out)
}

/// The answer to a client sending too many submissions.
pub fn too_many_asks() -> String {
    notice(words::TOO_MANY_ASKS, words::TOO_MANY_ASKS_TEXT, "")
}

/// The answer to a submission that does not read as a form.
pub fn unreadable_ask() -> String {
    notice(words::RECEIVED, words::ASK_UNREADABLE, "problem")
}

/// The answer to a submission past the body's limit.
pub fn too_large_ask() -> String {
    notice(words::RECEIVED, words::ASK_TOO_LARGE, "problem")
}

/// The words for a wrong or stale answer to the question.
pub fn wrong_answer() -> String {
    words::ASK_WRONG.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_compare_whole() {
        assert!(key_matches("ABCDEFGHJKMNP", "ABCDEFGHJKMNP"));
        assert!(!key_matches("ABCDEFGHJKMNP", "ABCDEFGHJKMNQ"));
        assert!(!key_matches("ABCDEFGHJKMNP", "ABCDEFGHJKMN"));
        assert!(!key_matches("", ""));
    }

    #[test]
    fn text_is_escaped() {
        assert_eq!(
            escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }
}
