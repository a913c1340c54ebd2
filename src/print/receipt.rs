//! What a slip says, laid out for the paper: the receipt of an appeal and
//! the test page.

use chrono::{DateTime, FixedOffset, NaiveDate};
use unicode_width::UnicodeWidthChar;

use super::escpos::{Align, Doc, qr_dots, qr_modules};
use super::settings::{PrinterSettings, QrMode};
use crate::domain::{Appeal, Station, Status};
use crate::i18n::Lang;

/// What the receipt of one appeal shows.
#[derive(Debug, Clone)]
pub struct Receipt<'a> {
    pub station: &'a Station,
    pub appeal: &'a Appeal,
    /// The progress page with the appeal's key (the QR code's content).
    pub url: String,
    pub printed_at: DateTime<FixedOffset>,
    pub reprint: bool,
}

/// When the citizen can expect a reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpectedReply {
    /// By this day: the referral deadline, or the station's reply days
    /// from registration (`Station::reply_due`).
    By(NaiveDate),
    /// Within this many working days of registration: the station counts
    /// working days and its holiday table does not reach the day yet (the
    /// next year's arrangement is not in it), so no day is guessed.
    WithinWorkingDays(u32),
}

impl ExpectedReply {
    pub fn text(self, lang: Lang) -> String {
        match self {
            ExpectedReply::By(day) => day.format("%Y-%m-%d").to_string(),
            ExpectedReply::WithinWorkingDays(n) => lang.pick(
                format!("登记后 {n} 个工作日内"),
                format!("within {n} working days of registration"),
            ),
        }
    }
}

/// When the citizen can expect a reply: the referral deadline, or the
/// station's reply days (calendar or working days) from registration.
pub fn expected_reply(station: &Station, appeal: &Appeal) -> ExpectedReply {
    if let Some(deadline) = appeal.deadline {
        return ExpectedReply::By(deadline);
    }
    let registered_on = station.zone().date(&appeal.registered_at);
    match station.reply_due(registered_on, &station.holidays()) {
        Ok(day) => ExpectedReply::By(day),
        Err(_) => ExpectedReply::WithinWorkingDays(station.reply_working_days.unwrap_or_default()),
    }
}

/// The day of the appeal's last reply, in the station's zone.
pub fn replied_on(station: &Station, appeal: &Appeal) -> Option<NaiveDate> {
    appeal
        .history
        .iter()
        .rev()
        .find(|e| e.to == Status::Replied && e.not_applied.is_none())
        .map(|e| station.zone().date(&e.at))
}

/// The appeal's first line: its title, or the first line of its content.
pub fn first_line(appeal: &Appeal) -> &str {
    let title = appeal.title.trim();
    if !title.is_empty() {
        return title;
    }
    appeal
        .content
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("")
}

/// Splits text into lines of at most `columns` display columns (a Chinese
/// character takes two).
pub fn wrap(text: &str, columns: usize) -> Vec<String> {
    let mut lines = Vec::new();
    for para in text.lines() {
        let mut line = String::new();
        let mut w = 0;
        for c in para.chars() {
            let cw = c.width().unwrap_or(0);
            if w + cw > columns && !line.is_empty() {
                lines.push(std::mem::take(&mut line));
                w = 0;
            }
            line.push(c);
            w += cw;
        }
        lines.push(line);
    }
    if lines.is_empty() {
        lines.push(String::new());
    }
    lines
}

/// A label and its value, the value wrapped under the label's width.
fn field(doc: &mut Doc, label: &str, value: &str, columns: usize) {
    let text = format!("{label}{value}");
    for l in wrap(&text, columns) {
        doc.line(&l);
    }
}

/// The QR code, centred, as the settings say.
fn qr(doc: &mut Doc, data: &str, settings: &PrinterSettings) {
    let modules = qr_modules(data).unwrap_or(33) + 8;
    // About two thirds of the paper's width, 3 to 8 dots a module.
    let scale = (settings.dots() * 2 / 3 / modules).clamp(3, 8);
    doc.align(Align::Center);
    match settings.qr {
        QrMode::Native => {
            doc.qr_native(data, scale as u8);
        }
        QrMode::Raster => {
            if let Some((width, rows)) = qr_dots(data, scale) {
                doc.raster(width, &rows);
            }
        }
    }
    doc.align(Align::Left);
}

/// An access key in groups to type: `ABCD-EFGH-JKMNP` (the county reads
/// a key without its hyphens and in either case, `public::typed_key`).
pub fn grouped_key(key: &str) -> String {
    let mut out = String::new();
    for (i, c) in key.chars().enumerate() {
        if i > 0 && i % 4 == 0 && key.len() - i > 1 {
            out.push('-');
        }
        out.push(c);
    }
    out
}

/// The progress link as lines to type from paper, none wider than
/// `columns`: the station's address and `/t/{code}` on one line when they
/// fit (else on two), the key on its own line as `?k=ABCD-EFGH-JKMNP`.
/// None for a link without a key.
pub fn typed_link(url: &str, columns: usize) -> Option<Vec<String>> {
    let (page, key) = url.split_once("?k=")?;
    let (base, code) = match page.rfind("/t/") {
        Some(i) => page.split_at(i),
        None => (page, ""),
    };
    let mut pieces = Vec::new();
    if base.len() + code.len() <= columns {
        pieces.push(page.to_string());
    } else {
        pieces.push(base.to_string());
        pieces.push(code.to_string());
    }
    pieces.push(format!("?k={}", grouped_key(key)));
    Some(
        pieces
            .iter()
            .filter(|p| !p.is_empty())
            .flat_map(|p| wrap(p, columns))
            .collect(),
    )
}

fn rule(doc: &mut Doc, columns: usize) {
    doc.line(&"-".repeat(columns));
}

/// The receipt as ESC/POS bytes.
pub fn receipt(r: &Receipt, settings: &PrinterSettings, lang: Lang) -> Vec<u8> {
    let cols = settings.columns();
    let a = r.appeal;
    let mut doc = Doc::new();
    doc.align(Align::Center).double(true).bold(true);
    for l in wrap(&r.station.name, cols / 2) {
        doc.line(&l);
    }
    doc.double(false);
    doc.line(lang.pick("来访登记回执", "Receipt of your visit"));
    doc.bold(false);
    if r.reprint {
        doc.line(lang.pick("（补打）", "(reprint 补打)"));
    }
    doc.align(Align::Left);
    rule(&mut doc, cols);
    field(
        &mut doc,
        lang.pick("登记时间：", "Registered: "),
        &r.station.zone().show(&a.registered_at),
        cols,
    );
    doc.bold(true);
    field(
        &mut doc,
        lang.pick("查询码：", "Tracking code: "),
        a.code.as_str(),
        cols,
    );
    doc.bold(false);
    field(
        &mut doc,
        lang.pick("类别：", "Category: "),
        a.category.label(lang),
        cols,
    );
    field(&mut doc, lang.pick("诉求：", "Appeal: "), first_line(a), cols);
    if !a.deputies.is_empty() {
        let sep = lang.pick("、", ", ");
        field(
            &mut doc,
            lang.pick("接待代表：", "Deputies: "),
            &a.deputy_names().join(sep),
            cols,
        );
    }
    field(
        &mut doc,
        lang.pick("办理状态：", "Status: "),
        a.status.label(lang),
        cols,
    );
    if matches!(a.status, Status::Replied | Status::Closed) {
        if let Some(day) = replied_on(r.station, a) {
            field(
                &mut doc,
                lang.pick("答复日期：", "Replied on: "),
                &day.format("%Y-%m-%d").to_string(),
                cols,
            );
        }
    } else {
        field(
            &mut doc,
            lang.pick("预计答复：", "Reply expected by: "),
            &expected_reply(r.station, a).text(lang),
            cols,
        );
    }
    rule(&mut doc, cols);
    let phone = r.station.phone.as_deref().filter(|p| !p.trim().is_empty());
    let how = match phone {
        Some(_) => lang.pick(
            "扫描下方二维码查看办理进度；也可凭查询码来站或致电联络站查询。请妥善保管本回执。",
            "Scan the code below to follow your appeal, or quote the tracking code at the station or by phone. Keep this slip.",
        ),
        None => lang.pick(
            "扫描下方二维码查看办理进度；也可凭查询码来站查询。请妥善保管本回执。",
            "Scan the code below to follow your appeal, or quote the tracking code at the station. Keep this slip.",
        ),
    };
    for l in wrap(how, cols) {
        doc.line(&l);
    }
    if !r.station.address.trim().is_empty() {
        field(
            &mut doc,
            lang.pick("地址：", "Address: "),
            r.station.address.trim(),
            cols,
        );
    }
    if let Some(phone) = phone {
        field(&mut doc, lang.pick("电话：", "Phone: "), phone, cols);
    }
    qr(&mut doc, &r.url, settings);
    if let Some(lines) = typed_link(&r.url, cols) {
        doc.line(lang.pick(
            "不能扫码的，网上查询请输入：",
            "Cannot scan? To check online, type:",
        ));
        for l in lines {
            doc.line(&l);
        }
    }
    doc.align(Align::Center);
    doc.line(a.code.as_str());
    doc.line(&format!(
        "{}{}",
        lang.pick("打印时间：", "Printed: "),
        r.station.zone().show(&r.printed_at)
    ));
    doc.align(Align::Left);
    doc.feed(3).cut();
    doc.into_bytes()
}

/// The test page: Chinese text in both widths and a QR code.
pub fn test_page(
    station: Option<&Station>,
    url: &str,
    settings: &PrinterSettings,
    at: DateTime<FixedOffset>,
) -> Vec<u8> {
    let cols = settings.columns();
    let mut doc = Doc::new();
    doc.align(Align::Center).double(true);
    doc.line("打印测试");
    doc.double(false);
    if let Some(s) = station {
        for l in wrap(&s.name, cols) {
            doc.line(&l);
        }
    }
    doc.align(Align::Left);
    rule(&mut doc, cols);
    doc.line(&format!(
        "纸宽 paper: {} mm / {} 列 columns",
        settings.paper, cols
    ));
    for l in wrap(
        "中文测试：人大代表联络站接待选民日，登记、交办、答复、办结。",
        cols,
    ) {
        doc.line(&l);
    }
    doc.line(
        &"一二三四五六七八九十"
            .repeat(cols / 20 + 1)
            .chars()
            .take(cols / 2)
            .collect::<String>(),
    );
    doc.line(&"0123456789".repeat(cols / 10 + 1)[..cols]);
    doc.line(&format!("{}", at.format("%Y-%m-%d %H:%M:%S")));
    qr(&mut doc, url, settings);
    doc.feed(3).cut();
    doc.into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A station counting working days promises the day the table gives,
    /// and past the table's end the number of working days, no day.
    #[test]
    fn the_expected_reply_counts_the_stations_days() {
        use crate::domain::testing::{appeal_through, d, refer, sample_station};
        use crate::domain::{Category, Step};
        let mut station = sample_station();
        let feb = appeal_through(1, d(2, 12), Category::Traffic, &[], &[]);
        assert_eq!(expected_reply(&station, &feb), ExpectedReply::By(d(2, 27)));
        station.reply_days = None;
        station.reply_working_days = Some(5);
        // Fri 02-13, Sat 02-14 (worked), Tue 02-24, Wed 02-25, Thu 02-26.
        assert_eq!(expected_reply(&station, &feb), ExpectedReply::By(d(2, 26)));
        let dec = appeal_through(2, d(12, 28), Category::Traffic, &[], &[]);
        let within = expected_reply(&station, &dec);
        assert_eq!(within, ExpectedReply::WithinWorkingDays(5));
        assert_eq!(within.text(Lang::Zh), "登记后 5 个工作日内");
        assert_eq!(within.text(Lang::En), "within 5 working days of registration");
        // A referral's deadline is the day, whatever the station counts.
        let referred = appeal_through(
            3,
            d(12, 28),
            Category::Traffic,
            &[],
            &[(Step::Accept, d(12, 28)), (refer(d(12, 31)), d(12, 28))],
        );
        assert_eq!(expected_reply(&station, &referred), ExpectedReply::By(d(12, 31)));
    }

    #[test]
    fn a_link_is_typed_in_lines_that_fit() {
        assert_eq!(grouped_key("ABCDEFGHJKMNP"), "ABCD-EFGH-JKMNP");
        let url = "https://rd.example.cn/330999012/t/261110-330999012-10013-6?k=2KY9MBHFNR9BG";
        assert_eq!(
            typed_link(url, 32).unwrap(),
            [
                "https://rd.example.cn/330999012",
                "/t/261110-330999012-10013-6",
                "?k=2KY9-MBHF-NR9BG"
            ]
        );
        assert_eq!(
            typed_link(url, 64).unwrap(),
            [
                "https://rd.example.cn/330999012/t/261110-330999012-10013-6",
                "?k=2KY9-MBHF-NR9BG"
            ]
        );
        assert_eq!(typed_link("https://rd.example.cn/330999012/", 32), None);
    }

    #[test]
    fn wrapping_counts_chinese_as_two_columns() {
        assert_eq!(wrap("一二三四五", 4), ["一二", "三四", "五"]);
        assert_eq!(wrap("ab一二", 5), ["ab一", "二"]);
        assert_eq!(wrap("", 5), [""]);
        for l in wrap(&"联络站".repeat(40), 32) {
            assert!(unicode_width::UnicodeWidthStr::width(l.as_str()) <= 32);
        }
    }
}
