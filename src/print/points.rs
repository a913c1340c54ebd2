//! The deputies' duty points of a quarter on the receipt printer, for the
//! station's notice board (晒分亮绩): each deputy's quarter, year and term
//! points, highest first, then the rules that gave them. `lines` lays the
//! slip out as text lines (tested as they are); `render` turns them into
//! ESC/POS bytes.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset};
use unicode_width::UnicodeWidthStr;

use super::form::Line;
use super::receipt::wrap;
use super::settings::PrinterSettings;
use crate::domain::Deputy;
use crate::domain::Station;
use crate::domain::period::Period;
use crate::domain::points::Totals;
use crate::i18n::Lang;

/// Text `s` padded (or cut) to `w` columns; numbers go on the right.
fn pad(s: &str, w: usize, right: bool) -> String {
    let s: String = {
        let mut out = String::new();
        for c in s.chars() {
            if UnicodeWidthStr::width(format!("{out}{c}").as_str()) > w {
                break;
            }
            out.push(c);
        }
        out
    };
    let room = " ".repeat(w.saturating_sub(UnicodeWidthStr::width(s.as_str())));
    if right {
        format!("{room}{s}")
    } else {
        format!("{s}{room}")
    }
}

/// The slip's lines for paper of `columns` columns.
pub fn lines(
    station: &Station,
    deputies: &[Deputy],
    standings: &BTreeMap<String, Totals>,
    quarter: &Period,
    columns: usize,
    lang: Lang,
) -> Vec<Line> {
    let centered = |text: String, bold: bool| Line {
        text,
        bold,
        center: true,
    };
    let mut out: Vec<Line> = wrap(&station.name, columns)
        .into_iter()
        .map(|l| centered(l, true))
        .collect();
    out.push(centered(words::title(lang).to_string(), true));
    out.push(centered(quarter.label(lang), false));
    let rule = "-".repeat(columns);
    out.push(Line::plain(rule.clone()));
    let num = 7;
    let name_w = columns.saturating_sub(3 * num).max(6);
    let [q, y, t] = words::columns(lang);
    out.push(Line {
        text: format!(
            "{}{}{}{}",
            pad(words::deputy(lang), name_w, false),
            pad(q, num, true),
            pad(y, num, true),
            pad(t, num, true)
        ),
        bold: true,
        center: false,
    });
    let mut rows: Vec<(&Deputy, (u32, u32, u32))> = deputies
        .iter()
        .map(|d| {
            let s = standings.get(&d.id).copied().unwrap_or_default();
            (d, (s.quarter, s.year, s.term))
        })
        .collect();
    rows.sort_by(|(a, x), (b, y)| y.cmp(x).then_with(|| a.id.cmp(&b.id)));
    for (d, (q, y, t)) in rows {
        out.push(Line::plain(format!(
            "{}{}{}{}",
            pad(&d.name, name_w, false),
            pad(&q.to_string(), num, true),
            pad(&y.to_string(), num, true),
            pad(&t.to_string(), num, true)
        )));
    }
    out.push(Line::plain(rule));
    out.push(Line::plain(words::rules(lang)));
    let r = &station.points;
    for (what, n) in [
        (words::reception_day(lang), r.reception_day),
        (words::received(lang), r.appeal_received),
        (words::on_time(lang), r.answered_on_time),
        (words::satisfied(lang), r.satisfied),
    ] {
        out.push(Line::plain(format!("{what} {}", words::points(lang, n))));
    }
    for item in &r.items {
        for l in wrap(
            &format!("{} {}", item.name, words::points(lang, item.points)),
            columns,
        ) {
            out.push(Line::plain(l));
        }
    }
    out
}

pub fn render(
    station: &Station,
    deputies: &[Deputy],
    standings: &BTreeMap<String, Totals>,
    quarter: &Period,
    settings: &PrinterSettings,
    lang: Lang,
    printed_at: DateTime<FixedOffset>,
) -> Vec<u8> {
    let lines = lines(station, deputies, standings, quarter, settings.columns(), lang);
    super::form::slip(lines, station, lang, printed_at)
}

/// Every word the slip prints.
pub mod words {
    use crate::i18n::Lang;

    pub fn title(lang: Lang) -> &'static str {
        lang.pick("代表履职积分公示", "Deputies' duty points")
    }

    pub fn deputy(lang: Lang) -> &'static str {
        lang.pick("代表", "Deputy")
    }

    pub fn columns(lang: Lang) -> [&'static str; 3] {
        match lang {
            Lang::Zh => ["本季度", "本年度", "本届"],
            Lang::En => ["Quarter", "Year", "Term"],
        }
    }

    pub fn rules(lang: Lang) -> &'static str {
        lang.pick("积分规则：", "Points rules:")
    }

    pub fn reception_day(lang: Lang) -> &'static str {
        lang.pick("进站接待选民 每次", "Reception day at the station, each")
    }

    pub fn received(lang: Lang) -> &'static str {
        lang.pick("接待诉求 每件", "Appeal received, each")
    }

    pub fn on_time(lang: Lang) -> &'static str {
        lang.pick("按期答复 每件", "Answered on time, each")
    }

    pub fn satisfied(lang: Lang) -> &'static str {
        lang.pick("群众满意 每件", "Citizen satisfied, each")
    }

    pub fn points(lang: Lang, n: u32) -> String {
        match lang {
            Lang::Zh => format!("{n} 分"),
            Lang::En => format!("{n} points"),
        }
    }

    pub fn bad_quarter(lang: Lang, text: &str) -> String {
        lang.pick(
            format!("“{text}”不是一个季度：请写成 2026Q4"),
            format!("\"{text}\" is not a quarter: write it as 2026Q4"),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::points::{Deed, PointLine};
    use crate::domain::testing::{d, sample_station};

    fn deputy(id: &str, name: &str) -> Deputy {
        Deputy {
            id: id.into(),
            name: name.into(),
            level: crate::domain::deputy::Level::ALL[0],
            phone: String::new(),
            specialties: Vec::new(),
            duty_days: vec![10],
        }
    }

    /// Two deputies: D001 with a reception day in February (2 points), an
    /// appeal received in April (1) and an answer on time in May (2); D002
    /// with a study item in May (1). In the second quarter D001 has 3, the
    /// year 5; D002 1 and 1: D001 is listed first.
    #[test]
    fn the_quarter_list_sorts_by_points_and_states_the_rules() {
        let station = sample_station();
        let line = |day, deed, points| PointLine { day, deed, points };
        let code = "260410-330999012-10001-3".to_string();
        let deeds: BTreeMap<String, Vec<PointLine>> = BTreeMap::from([
            (
                "D001".to_string(),
                vec![
                    line(d(2, 10), Deed::ReceptionDay, 2),
                    line(d(4, 10), Deed::Received { code: code.clone() }, 1),
                    line(d(5, 6), Deed::AnsweredOnTime { code }, 2),
                ],
            ),
            (
                "D002".to_string(),
                vec![line(
                    d(5, 20),
                    Deed::Item {
                        code: "study".into(),
                        times: 1,
                        note: String::new(),
                    },
                    1,
                )],
            ),
        ]);
        let deputies = [deputy("D002", "周文清"), deputy("D001", "陈立华")];
        let q2 = Period::quarter_of(d(5, 1));
        let standings: BTreeMap<String, Totals> = deeds
            .iter()
            .map(|(id, l)| {
                (
                    id.clone(),
                    crate::domain::points::standing(&station.points, l, q2.from, q2.to),
                )
            })
            .collect();
        let text: Vec<String> = lines(&station, &deputies, &standings, &q2, 32, Lang::Zh)
            .into_iter()
            .map(|l| l.text)
            .collect();
        let at = |needle: &str| {
            text.iter()
                .position(|l| l.contains(needle))
                .unwrap_or_else(|| panic!("{needle}: {text:?}"))
        };
        assert!(text.iter().any(|l| l == "2026年第2季度"), "{text:?}");
        assert_eq!(
            text[at("陈立华")],
            format!(
                "陈立华{}{}{}{}",
                " ".repeat(5),
                pad("3", 7, true),
                pad("5", 7, true),
                pad("5", 7, true)
            )
        );
        assert!(at("陈立华") < at("周文清"));
        assert!(text[at("周文清")].ends_with("      1      1      1"));
        assert!(text.iter().any(|l| l == "进站接待选民 每次 2 分"));
        assert!(text.iter().any(|l| l == "学习培训 1 分"));
        assert!(
            text.iter().all(|l| UnicodeWidthStr::width(l.as_str()) <= 32),
            "{text:?}"
        );
    }
}
