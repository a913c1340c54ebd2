//! The ledgers' rows, worked out from domain values alone: a visit, an
//! appeal, a check-in, a deputy's deeds. Days are `YYYY-MM-DD` text and
//! times `HH:MM`, in the station's zone; counts and points are numbers.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};

use super::period::Period;
use super::words;
use crate::domain::points::{Deed, PointLine, PointsRules};
use crate::domain::{Appeal, Deputy, Duty, Status, Step, Visit, Zone};
use crate::i18n::Lang;

/// One cell: text (empty is a blank cell) or a number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Text(String),
    Number(u32),
}

impl Cell {
    fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }

    fn day(d: Option<NaiveDate>) -> Cell {
        Cell::Text(d.map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default())
    }
}

/// One row of a ledger; a subtotal row is set apart (bold).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub cells: Vec<Cell>,
    pub subtotal: bool,
}

impl Row {
    fn of(cells: Vec<Cell>) -> Row {
        Row {
            cells,
            subtotal: false,
        }
    }
}

/// An appeal's matter in one line of text: `title：content`, or the one
/// of them it has.
pub fn matter(a: &Appeal) -> String {
    let (title, content) = (a.title.trim(), a.content.trim());
    match (title.is_empty(), content.is_empty()) {
        (false, false) => format!("{title}：{content}"),
        (false, true) => title.to_string(),
        _ => content.to_string(),
    }
}

/// 接待选民登记簿: a visit and what its appeals raised (one line an
/// appeal in the codes', matters' and routes' cells); `appeals` holds the
/// visit's appeals by code (an appeal not there shows its code alone).
pub fn visit_row(v: &Visit, appeals: &BTreeMap<String, Appeal>, zone: Zone, lang: Lang) -> Row {
    let at = zone.local(&v.at);
    let mine: Vec<Option<&Appeal>> = v.appeals.iter().map(|c| appeals.get(c.as_str())).collect();
    let lines = |f: &dyn Fn(&Appeal) -> String| {
        mine.iter()
            .map(|a| a.map(f).unwrap_or_default())
            .collect::<Vec<_>>()
            .join("\n")
    };
    Row::of(vec![
        Cell::text(v.code.as_str()),
        Cell::text(at.format("%Y-%m-%d").to_string()),
        Cell::text(at.format("%H:%M").to_string()),
        Cell::text(&v.visitor.name),
        Cell::text(&v.visitor.phone),
        Cell::text(&v.visitor.id_number),
        Cell::text(&v.visitor.address),
        Cell::Number(u32::from(v.group_size)),
        Cell::text(
            v.deputies
                .iter()
                .map(|d| d.name.as_str())
                .collect::<Vec<_>>()
                .join(words::list_separator(lang)),
        ),
        Cell::text(
            v.appeals
                .iter()
                .map(|c| c.as_str())
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        Cell::text(lines(&matter)),
        Cell::text(lines(&|a| a.route.label(lang).to_string())),
    ])
}

/// The day, in `zone`, of the last step that applied and `hit` picks.
fn last_day(a: &Appeal, zone: Zone, hit: impl Fn(&crate::domain::HistoryEntry) -> bool) -> Option<NaiveDate> {
    a.history
        .iter()
        .rev()
        .find(|h| h.not_applied.is_none() && hit(h))
        .map(|h| zone.date(&h.at))
}

/// The day the appeal went to its present unit (its last referral or
/// re-referral), while it has one.
pub fn referred_on(a: &Appeal, zone: Zone) -> Option<NaiveDate> {
    a.unit.as_ref()?;
    last_day(a, zone, |h| {
        matches!(h.step, Step::Refer { .. } | Step::Rerefer { .. })
    })
}

/// The day of the appeal's last reply (the county's or on the spot).
pub fn replied_on(a: &Appeal, zone: Zone) -> Option<NaiveDate> {
    a.reply.as_ref()?;
    last_day(a, zone, |h| h.to == Status::Replied)
}

/// The day the appeal was closed, while it is.
pub fn closed_on(a: &Appeal, zone: Zone) -> Option<NaiveDate> {
    if a.status != Status::Closed {
        return None;
    }
    last_day(a, zone, |h| h.to == Status::Closed)
}

/// 意见建议办理台账: one appeal, as it stands.
pub fn appeal_row(a: &Appeal, zone: Zone, lang: Lang) -> Row {
    Row::of(vec![
        Cell::text(a.code.as_str()),
        Cell::day(Some(zone.date(&a.registered_at))),
        Cell::text(&a.visitor.name),
        Cell::text(a.category.label(lang)),
        Cell::text(&a.title),
        Cell::text(&a.content),
        Cell::text(a.deputy_names().join(words::list_separator(lang))),
        Cell::text(a.route.label(lang)),
        Cell::text(a.unit.clone().unwrap_or_default()),
        Cell::day(referred_on(a, zone)),
        Cell::day(a.deadline),
        Cell::day(replied_on(a, zone)),
        Cell::text(a.reply_class.map(|c| c.label(lang)).unwrap_or_default()),
        Cell::text(a.reply.clone().unwrap_or_default()),
        Cell::text(a.satisfaction.map(|s| s.label(lang)).unwrap_or_default()),
        Cell::text(a.status.label(lang)),
        Cell::day(closed_on(a, zone)),
        Cell::Number(a.round),
    ])
}

/// 代表进站履职登记: every check-in of `duties`, by day and deputy: its
/// times, whether the day is one of the deputy's duty days, and how many
/// of `visits` the deputy received that day.
pub fn attendance_rows(
    duties: &[Duty],
    deputies: &[Deputy],
    visits: &[Visit],
    zone: Zone,
    lang: Lang,
) -> Vec<Row> {
    let mut checked: Vec<(NaiveDate, &Duty)> = duties
        .iter()
        .filter(|d| d.check_in.is_some())
        .filter_map(|d| Some((d.day.or_else(|| d.check_in.map(|t| zone.date(&t)))?, d)))
        .collect();
    checked.sort_by(|a, b| (a.0, &a.1.deputy).cmp(&(b.0, &b.1.deputy)));
    checked
        .into_iter()
        .map(|(day, duty)| {
            let deputy = deputies.iter().find(|p| p.id == duty.deputy);
            let received = visits
                .iter()
                .filter(|v| zone.date(&v.at) == day && v.deputies.iter().any(|d| d.id == duty.deputy))
                .count() as u32;
            let time = |t: Option<chrono::DateTime<chrono::FixedOffset>>| {
                Cell::text(
                    t.map(|t| zone.local(&t).format("%H:%M").to_string())
                        .unwrap_or_default(),
                )
            };
            Row::of(vec![
                Cell::day(Some(day)),
                Cell::text(&duty.deputy),
                Cell::text(deputy.map(|p| p.name.clone()).unwrap_or_default()),
                time(duty.check_in),
                time(duty.check_out),
                Cell::text(words::yes_no(deputy.is_some_and(|p| p.on_duty(day.day())), lang)),
                Cell::Number(received),
            ])
        })
        .collect()
}

/// A deed in words, and the appeal code or item it concerns.
pub fn deed_words(deed: &Deed, rules: &PointsRules, lang: Lang) -> (String, String) {
    match deed {
        Deed::ReceptionDay => (words::reception_day(lang).into(), String::new()),
        Deed::Received { code } => (words::received(lang).into(), code.clone()),
        Deed::AnsweredOnTime { code } => (words::answered_on_time(lang).into(), code.clone()),
        Deed::Satisfied { code } => (words::satisfied(lang).into(), code.clone()),
        Deed::Item { code, times, note } => {
            let name = rules
                .items
                .iter()
                .find(|i| &i.code == code)
                .map_or(code.as_str(), |i| i.name.as_str());
            let what = words::item_times(name, *times);
            let what = if note.is_empty() {
                what
            } else {
                format!("{what}{}{note}", lang.pick("：", ": "))
            };
            (words::duty_item(lang).into(), what)
        }
    }
}

/// 履职积分: every deputy of the roster with the period's points and the
/// year's and term's up to its end, highest first (the list for the
/// notice board).
pub fn points_rows(
    lines: &BTreeMap<String, Vec<PointLine>>,
    deputies: &[Deputy],
    rules: &PointsRules,
    period: Period,
) -> Vec<Row> {
    let mut standings: Vec<(&Deputy, crate::domain::points::Totals)> = deputies
        .iter()
        .map(|d| {
            let l = lines.get(&d.id).map(Vec::as_slice).unwrap_or(&[]);
            (
                d,
                crate::domain::points::standing(rules, l, period.from, period.to),
            )
        })
        .collect();
    standings.sort_by(|(a, x), (b, y)| y.quarter.cmp(&x.quarter).then_with(|| a.id.cmp(&b.id)));
    standings
        .into_iter()
        .map(|(d, s)| {
            Row::of(vec![
                Cell::text(&d.id),
                Cell::text(&d.name),
                Cell::Number(s.quarter),
                Cell::Number(s.year),
                Cell::Number(s.term),
            ])
        })
        .collect()
}

/// 履职档案: every deputy of the roster (and any other the deeds name),
/// by id, with the deeds of `lines` that fall in `period` and a subtotal
/// row of their points.
pub fn archive_rows(
    lines: &BTreeMap<String, Vec<PointLine>>,
    deputies: &[Deputy],
    rules: &PointsRules,
    period: Period,
    lang: Lang,
) -> Vec<Row> {
    let mut names: BTreeMap<&str, &str> = deputies
        .iter()
        .map(|d| (d.id.as_str(), d.name.as_str()))
        .collect();
    for id in lines.keys() {
        names.entry(id.as_str()).or_insert("");
    }
    let mut rows = Vec::new();
    for (id, name) in names {
        let mut sum = 0;
        for l in lines
            .get(id)
            .into_iter()
            .flatten()
            .filter(|l| period.contains(l.day))
        {
            let (deed, what) = deed_words(&l.deed, rules, lang);
            sum += l.points;
            rows.push(Row::of(vec![
                Cell::text(id),
                Cell::text(name),
                Cell::day(Some(l.day)),
                Cell::text(deed),
                Cell::text(what),
                Cell::Number(l.points),
            ]));
        }
        rows.push(Row {
            cells: vec![
                Cell::text(id),
                Cell::text(name),
                Cell::text(""),
                Cell::text(words::subtotal(lang)),
                Cell::text(""),
                Cell::Number(sum),
            ],
            subtotal: true,
        });
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::points::{AppealFacts, HandEntry, deeds};
    use crate::domain::testing::{appeal_through, d, refer};
    use crate::domain::{Category, DeputyRef, Level, ReplyClass, Satisfaction, Visitor};
    use chrono::{FixedOffset, TimeZone};

    fn zone() -> Zone {
        Zone::default()
    }

    fn text(s: &str) -> Cell {
        Cell::Text(s.to_string())
    }

    fn deputy(id: &str, name: &str, duty_days: &[u32]) -> Deputy {
        Deputy {
            id: id.into(),
            name: name.into(),
            level: Level::County,
            phone: String::new(),
            specialties: vec![],
            duty_days: duty_days.to_vec(),
        }
    }

    /// A visit on `on` at 09:05 Shanghai time (01:05 UTC, stored so).
    fn visit(on: NaiveDate, deputies: &[&str], appeals: &[&Appeal]) -> Visit {
        let at = FixedOffset::east_opt(0)
            .unwrap()
            .from_local_datetime(&on.and_hms_opt(1, 5, 0).unwrap())
            .unwrap();
        Visit {
            code: appeals[0].code.clone(),
            at,
            visitor: Visitor {
                name: "高林勇".into(),
                phone: "18900004600".into(),
                id_number: "330999196511290893".into(),
                address: "柳岸社区8幢".into(),
            },
            group_size: 3,
            deputies: deputies
                .iter()
                .map(|id| DeputyRef {
                    id: id.to_string(),
                    name: format!("代表{id}"),
                })
                .collect(),
            appeals: appeals.iter().map(|a| a.code.clone()).collect(),
        }
    }

    fn reply(class: Option<ReplyClass>) -> Step {
        crate::domain::testing::reply(class)
    }

    /// An appeal of 2026-01-10 received by D001, referred 01-12 to a unit
    /// due 01-31, replied 01-25 with class A, rated 不满意 01-26 and so
    /// reopened (round 1), replied again 02-03 and rated 满意 02-04, then
    /// closed; worked out by hand below.
    fn handled() -> Appeal {
        let mut a = appeal_through(
            1,
            d(1, 10),
            Category::Traffic,
            &["D001"],
            &[
                (Step::Accept, d(1, 11)),
                (refer(d(1, 31)), d(1, 12)),
                (reply(Some(ReplyClass::Solved)), d(1, 25)),
                (
                    Step::Rate {
                        satisfaction: Satisfaction::Unsatisfied,
                    },
                    d(1, 26),
                ),
                (reply(Some(ReplyClass::Solved)), d(2, 3)),
                (
                    Step::Rate {
                        satisfaction: Satisfaction::Satisfied,
                    },
                    d(2, 4),
                ),
            ],
        );
        a.title = "路口缺红绿灯".into();
        a.content = "柳岸路口车多，过马路危险。".into();
        a
    }

    #[test]
    fn an_appeal_row_has_its_referral_reply_and_closing() {
        let a = handled();
        // The steps as the test helper applied them.
        assert_eq!((a.status, a.round), (Status::Closed, 1), "{:?}", a.history);
        let row = appeal_row(&a, zone(), Lang::Zh);
        assert!(!row.subtotal);
        let unit = a.unit.clone().unwrap_or_default();
        let reply = a.reply.clone().unwrap_or_default();
        assert_eq!(
            row.cells,
            vec![
                text(a.code.as_str()),
                text("2026-01-10"),
                text(&a.visitor.name),
                text("交通停车"),
                text("路口缺红绿灯"),
                text("柳岸路口车多，过马路危险。"),
                text(&a.deputy_names().join("、")),
                text("交办"),
                text(&unit),
                text("2026-01-12"),
                text("2026-01-31"),
                text("2026-02-03"),
                text("A 已解决"),
                text(&reply),
                text("满意"),
                text("已办结"),
                text("2026-02-04"),
                Cell::Number(1),
            ]
        );
        assert_eq!(row.cells.len(), words::APPEALS.columns.len());
        // A fresh appeal: nothing handled, blank cells, in English words.
        let fresh = appeal_through(2, d(3, 1), Category::Other, &[], &[]);
        let row = appeal_row(&fresh, zone(), Lang::En);
        assert_eq!(row.cells[3], text("Other"));
        assert_eq!(row.cells[7], text("Refer to a unit"));
        for i in [8, 9, 10, 11, 12, 13, 14, 16] {
            assert_eq!(row.cells[i], text(""), "column {i}");
        }
        assert_eq!(row.cells[15], text("Registered"));
    }

    #[test]
    fn a_visit_row_lists_its_appeals_one_a_line() {
        let one = handled();
        let mut two = appeal_through(3, d(1, 10), Category::Urban, &["D001"], &[]);
        two.title = String::new();
        two.content = "垃圾桶满了没人清。".into();
        two.route = crate::domain::Route::OnSpot;
        let v = visit(d(1, 10), &["D001", "D002"], &[&one, &two]);
        let by_code: BTreeMap<String, Appeal> = [&one, &two]
            .iter()
            .map(|a| (a.code.to_string(), (*a).clone()))
            .collect();
        let row = visit_row(&v, &by_code, zone(), Lang::Zh);
        assert_eq!(
            row.cells,
            vec![
                text(v.code.as_str()),
                text("2026-01-10"),
                text("09:05"),
                text("高林勇"),
                text("18900004600"),
                text("330999196511290893"),
                text("柳岸社区8幢"),
                Cell::Number(3),
                text("代表D001、代表D002"),
                text(&format!("{}\n{}", one.code, two.code)),
                text("路口缺红绿灯：柳岸路口车多，过马路危险。\n垃圾桶满了没人清。"),
                text("交办\n当场答复"),
            ]
        );
        assert_eq!(row.cells.len(), words::VISITS.columns.len());
        // An appeal the store does not hold keeps its code and a blank line.
        let row = visit_row(&v, &BTreeMap::new(), zone(), Lang::Zh);
        assert_eq!(row.cells[10], text("\n"));
    }

    #[test]
    fn attendance_has_times_schedule_and_visits_received() {
        let utc = FixedOffset::east_opt(0).unwrap();
        let t = |day: NaiveDate, h: u32, m: u32| {
            utc.from_local_datetime(&day.and_hms_opt(h, m, 0).unwrap())
                .unwrap()
        };
        let duties = vec![
            // D002 on the 10th, not a duty day of theirs, still in.
            Duty {
                deputy: "D002".into(),
                day: Some(d(1, 10)),
                check_in: Some(t(d(1, 10), 1, 30)),
                check_out: None,
            },
            Duty {
                deputy: "D001".into(),
                day: Some(d(1, 10)),
                check_in: Some(t(d(1, 10), 0, 50)),
                check_out: Some(t(d(1, 10), 3, 40)),
            },
            // Checked in on no record: never shown.
            Duty {
                deputy: "D003".into(),
                day: Some(d(1, 10)),
                check_in: None,
                check_out: None,
            },
        ];
        let deputies = [deputy("D001", "陈立华", &[10]), deputy("D002", "周文清", &[20])];
        let a = handled();
        let visits = [
            visit(d(1, 10), &["D001"], &[&a]),
            visit(d(1, 10), &["D001", "D002"], &[&a]),
            visit(d(1, 11), &["D001"], &[&a]),
        ];
        let rows = attendance_rows(&duties, &deputies, &visits, zone(), Lang::Zh);
        let cells: Vec<Vec<Cell>> = rows.into_iter().map(|r| r.cells).collect();
        assert_eq!(
            cells,
            vec![
                vec![
                    text("2026-01-10"),
                    text("D001"),
                    text("陈立华"),
                    text("08:50"),
                    text("11:40"),
                    text("是"),
                    Cell::Number(2)
                ],
                vec![
                    text("2026-01-10"),
                    text("D002"),
                    text("周文清"),
                    text("09:30"),
                    text(""),
                    text("否"),
                    Cell::Number(1)
                ],
            ]
        );
    }

    /// D001: reception day 01-10 (2), appeal received 01-10 (1), answered
    /// on time 01-25 (2), rated 满意 02-04 (1), study twice 01-15 (2 × 1);
    /// in January: 2 + 1 + 2 + 2 = 7 (the rating falls in February).
    /// D002: a meeting 01-20 (1). D003 of the roster did nothing: 0.
    #[test]
    fn the_archive_groups_deeds_by_deputy_with_subtotals() {
        let rules = PointsRules::default();
        let a = handled();
        let facts = [AppealFacts::of(
            &a,
            &crate::domain::station::ReplyDue::new(&crate::domain::testing::sample_station()),
        )];
        let items = [
            HandEntry {
                deputy: "D001".into(),
                day: d(1, 15),
                item: "study".into(),
                times: 2,
                note: String::new(),
            },
            HandEntry {
                deputy: "D002".into(),
                day: d(1, 20),
                item: "meeting".into(),
                times: 1,
                note: String::new(),
            },
        ];
        let lines = deeds(&rules, &[("D001".into(), d(1, 10))], &facts, &items);
        let deputies = [
            deputy("D001", "陈立华", &[10]),
            deputy("D002", "周文清", &[20]),
            deputy("D003", "何建平", &[10]),
        ];
        let january = Period::month_of(d(1, 1));
        let rows = archive_rows(&lines, &deputies, &rules, january, Lang::Zh);
        let code = a.code.to_string();
        let r = |id: &str, name: &str, day: &str, deed: &str, what: &str, p: u32| {
            vec![
                text(id),
                text(name),
                text(day),
                text(deed),
                text(what),
                Cell::Number(p),
            ]
        };
        let got: Vec<(Vec<Cell>, bool)> = rows.into_iter().map(|r| (r.cells, r.subtotal)).collect();
        assert_eq!(
            got,
            vec![
                (r("D001", "陈立华", "2026-01-10", "进站接待", "", 2), false),
                (r("D001", "陈立华", "2026-01-10", "接待群众诉求", &code, 1), false),
                (
                    r("D001", "陈立华", "2026-01-15", "履职清单", "学习培训 ×2", 2),
                    false
                ),
                (r("D001", "陈立华", "2026-01-25", "诉求按期答复", &code, 2), false),
                (r("D001", "陈立华", "", "小计", "", 7), true),
                (
                    r("D002", "周文清", "2026-01-20", "履职清单", "参加会议", 1),
                    false
                ),
                (r("D002", "周文清", "", "小计", "", 1), true),
                (r("D003", "何建平", "", "小计", "", 0), true),
            ]
        );
    }
}
