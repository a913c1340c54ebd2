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

/// The next `n` reception days from `from` (inclusive).
pub fn next_reception_days(station: &Station, from: NaiveDate, n: usize) -> Vec<NaiveDate> {
    let mut days = Vec::new();
    let mut day = from;
    while days.len() < n {
        let Some(next) = station.next_reception_day(day) else {
            break;
        };
        days.push(next);
        let Some(after) = next.succ_opt() else {
            break;
        };
        day = after;
    }
    days
}

fn page(title: &str, content: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <meta name=\"referrer\" content=\"no-referrer\"><title>{t}</title>\
         <style>body{{font-family:sans-serif;max-width:40em;margin:1em auto;padding:0 1em;line-height:1.6}}\
         dt{{color:#555}}dd{{margin:0 0 .5em 0}}li{{margin:.2em 0}}.note{{color:#777;font-size:.9em}}</style>\
         </head><body><main><h1>{t}</h1>\n{content}</main></body></html>\n",
        t = escape(title)
    )
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
    page(
        words::NOT_FOUND,
        &format!("<p>{}</p>\n", escape(words::NOT_FOUND_TEXT)),
    )
}

/// The answer to a client past its limit on public pages.
pub fn too_many() -> String {
    page(
        words::TOO_MANY,
        &format!("<p>{}</p>\n", escape(words::TOO_MANY_TEXT)),
    )
}

/// The answer to a progress link the county cannot show: an unknown code
/// (perhaps one the station has not reported yet) and a wrong key alike,
/// so that it never tells whether a code exists.
pub fn appeal_not_found() -> String {
    page(
        words::PROGRESS,
        &format!("<p>{}</p>\n", escape(words::NOT_YET_TEXT)),
    )
}

/// An appeal's progress, its texts masked.
pub fn appeal(station_name: Option<&str>, held: &Appeal) -> String {
    let lang = Lang::Zh;
    let a = &public_appeal(held);
    let mut out = String::from("<dl>\n");
    field(&mut out, words::CODE, a.code.as_str());
    if let Some(name) = station_name {
        field(&mut out, words::STATION, name);
    }
    field(&mut out, words::CATEGORY, a.category.label(lang));
    field(&mut out, words::STATUS, a.status.label(lang));
    if let Some(unit) = &a.unit {
        field(&mut out, words::UNIT, unit);
    }
    if let Some(deadline) = a.deadline {
        field(
            &mut out,
            words::DEADLINE,
            &deadline.format("%Y-%m-%d").to_string(),
        );
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
    out.push_str(&format!("<p class=\"note\">{}</p>\n", escape(words::PRIVACY)));
    page(words::PROGRESS, &out)
}

fn station_fields(out: &mut String, info: &Station) {
    if !info.address.trim().is_empty() {
        field(out, words::ADDRESS, &info.address);
    }
    if !info.reception_days.is_empty() {
        field(out, words::SCHEDULE, &info.schedule_text(Lang::Zh));
    }
    if !info.reception_hours.trim().is_empty() {
        field(out, words::HOURS, &info.reception_hours);
    }
}

/// A deputy's page: name, level, station, and when to find them.
pub fn deputy(d: &Deputy, station: Option<&EnrolledStation>, today: NaiveDate) -> String {
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
    let days = info.map(|i| next_reception_days(i, today, 3)).unwrap_or_default();
    days_list(&mut out, &days, words::NEXT_DAYS);
    page(&format!("{}{}", d.name, words::DEPUTY_SUFFIX), &out)
}

/// A station's page: where and when, and its deputies.
pub fn station(s: &EnrolledStation, deputies: &[Deputy], today: NaiveDate) -> String {
    let lang = Lang::Zh;
    let info = s.info.as_ref();
    let name = info.map(|i| i.name.as_str()).unwrap_or(&s.name);
    let mut out = String::from("<dl>\n");
    if let Some(info) = info {
        station_fields(&mut out, info);
    }
    out.push_str("</dl>\n");
    let days = info.map(|i| next_reception_days(i, today, 3)).unwrap_or_default();
    days_list(&mut out, &days, words::NEXT_DAYS);
    if !deputies.is_empty() {
        out.push_str(&format!("<h2>{}</h2>\n<ul>\n", escape(words::DEPUTIES)));
        for d in deputies {
            out.push_str(&format!(
                "<li>{}（{}{}）</li>\n",
                escape(&d.name),
                escape(d.level.label(lang)),
                escape(words::LEVEL_SUFFIX)
            ));
        }
        out.push_str("</ul>\n");
    }
    page(name, &out)
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
