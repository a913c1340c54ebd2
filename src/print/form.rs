//! The visitor registration form (代表接待选民登记表) on the receipt
//! printer: blank, with lines to write on, or filled from a visit and its
//! appeals. `lines` lays the form out as text lines (tested as they are);
//! `render` turns them into ESC/POS bytes. The words are in `words`.

use chrono::{DateTime, FixedOffset};
use unicode_width::UnicodeWidthStr;

use super::escpos::{Align, Doc};
use super::receipt::wrap;
use super::settings::PrinterSettings;
use crate::domain::{Appeal, Station, Visit};
use crate::i18n::Lang;

/// One printed line and how it is set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub text: String,
    pub bold: bool,
    pub center: bool,
}

impl Line {
    pub(super) fn plain(text: impl Into<String>) -> Line {
        Line {
            text: text.into(),
            bold: false,
            center: false,
        }
    }
}

/// The form's lines for paper of `columns` columns: blank (`filled`
/// None) or filled from a visit and its appeals (in the visit's order).
pub fn lines(
    station: &Station,
    filled: Option<(&Visit, &[Appeal])>,
    columns: usize,
    lang: Lang,
) -> Vec<Line> {
    let mut out = Vec::new();
    let rule = "-".repeat(columns);
    for l in wrap(&station.name, columns) {
        out.push(Line {
            text: l,
            bold: true,
            center: true,
        });
    }
    out.push(Line {
        text: words::title(lang).to_string(),
        bold: true,
        center: true,
    });
    out.push(Line::plain(rule.clone()));
    let sep = lang.pick("、", ", ");
    match filled {
        None => {
            out.push(Line::plain(words::blank_date(lang)));
            for (label, extra) in [
                (words::name(lang), 0),
                (words::phone(lang), 0),
                (words::address(lang), 1),
                (words::people(lang), 0),
                (words::deputies(lang), 0),
            ] {
                blank(&mut out, label, extra, columns);
            }
            out.push(Line::plain(words::matters(lang)));
            out.extend((0..5).map(|_| Line::plain(underline(columns))));
            out.push(Line::plain(words::handling(lang)));
            out.extend((0..3).map(|_| Line::plain(underline(columns))));
        }
        Some((visit, appeals)) => {
            let zone = station.zone();
            let at = zone.local(&visit.at);
            field(
                &mut out,
                words::date(lang),
                &words::filled_date(&at, lang),
                columns,
            );
            field(&mut out, words::visit_code(lang), visit.code.as_str(), columns);
            field(&mut out, words::name(lang), &visit.visitor.name, columns);
            field(&mut out, words::phone(lang), &visit.visitor.phone, columns);
            field(&mut out, words::address(lang), &visit.visitor.address, columns);
            field(
                &mut out,
                words::people(lang),
                &visit.group_size.to_string(),
                columns,
            );
            let names: Vec<&str> = visit.deputies.iter().map(|d| d.name.as_str()).collect();
            field(&mut out, words::deputies(lang), &names.join(sep), columns);
            out.push(Line::plain(words::matters(lang)));
            for (i, a) in appeals.iter().enumerate() {
                let head = format!("{}. [{}] {}", i + 1, a.category.label(lang), a.title.trim());
                wrapped(&mut out, &head, columns);
                wrapped(&mut out, &format!("{}{}", words::code(lang), a.code), columns);
                if !a.content.trim().is_empty() {
                    wrapped(&mut out, a.content.trim(), columns);
                }
            }
            if appeals.is_empty() {
                out.extend((0..3).map(|_| Line::plain(underline(columns))));
            }
            out.push(Line::plain(words::handling(lang)));
            for (i, a) in appeals.iter().enumerate() {
                let how = words::handled(i + 1, a, lang);
                wrapped(&mut out, &how, columns);
                if let Some(reply) = a.reply.as_deref().filter(|r| !r.trim().is_empty()) {
                    wrapped(
                        &mut out,
                        &format!("{}{}", words::reply(lang), reply.trim()),
                        columns,
                    );
                }
            }
            out.push(Line::plain(underline(columns)));
        }
    }
    out.push(Line::plain(rule));
    blank(&mut out, words::visitor_signature(lang), 0, columns);
    blank(&mut out, words::deputy_signature(lang), 0, columns);
    out
}

/// A line of underscores to write on.
fn underline(columns: usize) -> String {
    "_".repeat(columns)
}

/// A label with the rest of its line to write on, and `extra` whole
/// lines after it.
fn blank(out: &mut Vec<Line>, label: &str, extra: usize, columns: usize) {
    let rest = columns.saturating_sub(label.width()).max(4);
    out.push(Line::plain(format!("{label}{}", "_".repeat(rest))));
    out.extend((0..extra).map(|_| Line::plain(underline(columns))));
}

/// A label and its value, wrapped; an empty value is a line to write on.
fn field(out: &mut Vec<Line>, label: &str, value: &str, columns: usize) {
    if value.trim().is_empty() {
        return blank(out, label, 0, columns);
    }
    wrapped(out, &format!("{label}{}", value.trim()), columns);
}

fn wrapped(out: &mut Vec<Line>, text: &str, columns: usize) {
    out.extend(wrap(text, columns).into_iter().map(Line::plain));
}

/// The form as ESC/POS bytes, with the time it was printed at its foot.
pub fn render(
    station: &Station,
    filled: Option<(&Visit, &[Appeal])>,
    settings: &PrinterSettings,
    lang: Lang,
    printed_at: DateTime<FixedOffset>,
) -> Vec<u8> {
    slip(
        lines(station, filled, settings.columns(), lang),
        station,
        lang,
        printed_at,
    )
}

/// The ESC/POS bytes of a slip laid out as `lines`, with the time it was
/// printed at the foot, then cut.
pub(super) fn slip(
    lines: Vec<Line>,
    station: &Station,
    lang: Lang,
    printed_at: DateTime<FixedOffset>,
) -> Vec<u8> {
    let mut doc = Doc::new();
    for l in lines {
        doc.align(if l.center { Align::Center } else { Align::Left });
        doc.bold(l.bold);
        doc.line(&l.text);
    }
    doc.align(Align::Left).bold(false);
    doc.line(&format!(
        "{}{}",
        words::printed(lang),
        station.zone().show(&printed_at)
    ));
    doc.feed(3).cut();
    doc.into_bytes()
}

/// Every word the form prints.
pub mod words {
    use chrono::{DateTime, FixedOffset};

    use crate::i18n::Lang;

    pub fn title(lang: Lang) -> &'static str {
        lang.pick("代表接待选民登记表", "Visitor registration form")
    }

    pub fn date(lang: Lang) -> &'static str {
        lang.pick("日期：", "Date: ")
    }

    pub fn blank_date(lang: Lang) -> &'static str {
        lang.pick("日期：______年____月____日", "Date: ______-____-____")
    }

    /// The visit's day and time: `2026年11月10日 09:30`.
    pub fn filled_date(at: &DateTime<FixedOffset>, lang: Lang) -> String {
        at.format(lang.pick("%Y年%m月%d日 %H:%M", "%Y-%m-%d %H:%M"))
            .to_string()
    }

    pub fn visit_code(lang: Lang) -> &'static str {
        lang.pick("登记号：", "Visit: ")
    }

    pub fn name(lang: Lang) -> &'static str {
        lang.pick("姓名：", "Name: ")
    }

    pub fn phone(lang: Lang) -> &'static str {
        lang.pick("联系电话：", "Phone: ")
    }

    pub fn address(lang: Lang) -> &'static str {
        lang.pick("住址/单位：", "Address/employer: ")
    }

    pub fn people(lang: Lang) -> &'static str {
        lang.pick("人数：", "People: ")
    }

    pub fn deputies(lang: Lang) -> &'static str {
        lang.pick("接待代表：", "Deputies: ")
    }

    pub fn matters(lang: Lang) -> &'static str {
        lang.pick("反映问题：", "Matters raised:")
    }

    pub fn code(lang: Lang) -> &'static str {
        lang.pick("查询码：", "Tracking code: ")
    }

    pub fn handling(lang: Lang) -> &'static str {
        lang.pick("处理意见：", "How handled:")
    }

    /// `1. 交办（青禾县交通运输局），已交办`: how appeal `n` is handled
    /// and where it stands.
    pub fn handled(n: usize, a: &crate::domain::Appeal, lang: Lang) -> String {
        let unit = match a.unit.as_deref() {
            Some(u) => lang.pick(format!("（{u}）"), format!(" ({u})")),
            None => String::new(),
        };
        let route = a.route.label(lang);
        let status = a.status.label(lang);
        lang.pick(
            format!("{n}. {route}{unit}，{status}"),
            format!("{n}. {route}{unit}, {status}"),
        )
    }

    pub fn reply(lang: Lang) -> &'static str {
        lang.pick("答复：", "Reply: ")
    }

    pub fn visitor_signature(lang: Lang) -> &'static str {
        lang.pick("来访人签名：", "Visitor's signature: ")
    }

    pub fn deputy_signature(lang: Lang) -> &'static str {
        lang.pick("接待代表签名：", "Deputy's signature: ")
    }

    pub fn printed(lang: Lang) -> &'static str {
        lang.pick("打印时间：", "Printed: ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::testing::{appeal_through, d, refer, sample_station};
    use crate::domain::{Category, DeputyRef, Step, Visitor};

    fn texts(lines: &[Line]) -> Vec<&str> {
        lines.iter().map(|l| l.text.as_str()).collect()
    }

    #[test]
    fn the_blank_form_has_every_field_with_lines_to_write_on() {
        let station = sample_station();
        let lines = lines(&station, None, 32, Lang::Zh);
        let t = texts(&lines);
        assert_eq!(
            t[..4],
            [
                "柳岸社区人大代表联络站",
                "代表接待选民登记表",
                &"-".repeat(32),
                "日期：______年____月____日"
            ]
        );
        assert!(lines[0].center && lines[1].bold);
        assert_eq!(t[4], format!("姓名：{}", "_".repeat(26)));
        assert_eq!(t[5], format!("联系电话：{}", "_".repeat(22)));
        assert_eq!(t[6], format!("住址/单位：{}", "_".repeat(21)));
        assert_eq!(t[7], "_".repeat(32));
        assert_eq!(t[8], format!("人数：{}", "_".repeat(26)));
        assert_eq!(t[9], format!("接待代表：{}", "_".repeat(22)));
        assert_eq!(t[10], "反映问题：");
        assert_eq!(t[16], "处理意见：");
        assert_eq!(t[t.len() - 2], format!("来访人签名：{}", "_".repeat(20)));
        assert_eq!(t[t.len() - 1], format!("接待代表签名：{}", "_".repeat(18)));
        for l in &t {
            assert!(l.width() <= 32, "{l}");
        }
    }

    #[test]
    fn the_filled_form_carries_the_visit_and_its_appeals() {
        let station = sample_station();
        let mut a = appeal_through(
            7,
            d(11, 10),
            Category::Traffic,
            &["D001"],
            &[(Step::Accept, d(11, 10)), (refer(d(11, 30)), d(11, 10))],
        );
        a.title = "路口缺红绿灯".into();
        a.content = "柳岸路口车多。".into();
        let visit = Visit {
            code: crate::domain::TrackingCode::new(d(11, 10), "330999012", 1, 6).unwrap(),
            at: crate::domain::testing::at(d(11, 10)),
            visitor: Visitor {
                name: "高林勇".into(),
                phone: "18900004600".into(),
                id_number: String::new(),
                address: String::new(),
            },
            group_size: 2,
            deputies: vec![
                DeputyRef {
                    id: "D001".into(),
                    name: "陈立华".into(),
                },
                DeputyRef {
                    id: "D004".into(),
                    name: "张山".into(),
                },
            ],
            appeals: vec![a.code.clone()],
        };
        let appeals = [a.clone()];
        let lines = lines(&station, Some((&visit, &appeals)), 48, Lang::Zh);
        let t = texts(&lines);
        let code = a.code.to_string();
        let want = [
            "日期：2026年11月10日 10:00".to_string(),
            format!("登记号：{}", visit.code),
            "姓名：高林勇".into(),
            "联系电话：18900004600".into(),
            format!("住址/单位：{}", "_".repeat(37)),
            "人数：2".into(),
            "接待代表：陈立华、张山".into(),
            "反映问题：".into(),
            "1. [交通停车] 路口缺红绿灯".into(),
            format!("查询码：{code}"),
            "柳岸路口车多。".into(),
            "处理意见：".into(),
            "1. 交办（青禾县交通运输局），已交办".into(),
        ];
        assert_eq!(
            t[3..3 + want.len()],
            want.iter().map(String::as_str).collect::<Vec<_>>()[..]
        );
    }
}
