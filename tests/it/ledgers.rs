//! The station's ledgers (台账) and the visitor registration form through
//! the real binary: a station with the sample appeals, a visit and
//! check-ins, the workbook read back with calamine and held cell by cell
//! against the station's own export and records; the period's forms and
//! its errors; the form printed blank and filled, decoded from GB18030.

use std::collections::BTreeMap;
use std::path::Path;

use calamine::{Data, Reader as _, Xlsx, open_workbook};
use chrono::{DateTime, FixedOffset, NaiveDate};
use serde_json::Value;

use crate::support::cli::*;
use crate::support::printer::{Behaviour, FakePrinter};
use jiedai::domain::desk::{self, NewAppeal, Registration};
use jiedai::domain::points::{HandEntry, PointsRules};
use jiedai::domain::{Category, Deputy, DeputyRef, Route, Step, Urgency, Visit, Visitor};
use jiedai::storage::Store;

fn t(text: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(text).unwrap()
}

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

/// A visit of two people received by D001 陈立华 and D004 张山, with two
/// appeals, saved as the desk saves one.
fn register_visit(store: &mut Store, at: DateTime<FixedOffset>, name: &str) -> Visit {
    let deputies = store.deputies().unwrap();
    let named = |id: &str| {
        let d = deputies.iter().find(|d| d.id == id).unwrap();
        DeputyRef {
            id: d.id.clone(),
            name: d.name.clone(),
        }
    };
    let registration = Registration {
        visitor: Visitor {
            name: name.into(),
            phone: "13812345678".into(),
            id_number: "330999198001011234".into(),
            address: "柳岸社区3幢1单元".into(),
        },
        group_size: 2,
        deputies: vec![named("D001"), named("D004")],
        appeals: vec![
            NewAppeal {
                category: Category::Traffic,
                title: "柳岸路口缺红绿灯".into(),
                content: "早晚车多，老人过马路很危险。".into(),
                location: "柳岸路口".into(),
                urgency: Urgency::Normal,
                route: Route::Referred,
            },
            NewAppeal {
                category: Category::Urban,
                title: String::new(),
                content: "小区垃圾桶满了没人清。".into(),
                location: String::new(),
                urgency: Urgency::Normal,
                route: Route::OnSpot,
            },
        ],
    };
    let codes = store
        .next_codes(at.date_naive(), registration.codes_needed())
        .unwrap();
    let keys: Vec<String> = (0..2u8)
        .map(|i| jiedai::domain::public::access_key(&[i + 1; 9]))
        .collect();
    let changes = desk::register(registration, &codes, &keys, at).unwrap();
    store.commit_at("S01", at, changes).unwrap();
    store.visit(codes[0].as_str()).unwrap().unwrap()
}

/// Check-in (or out) of a deputy at `at`.
fn duty(store: &mut Store, deputy: &str, at: &str, check_in: bool) {
    let at = t(at);
    let on = at.date_naive();
    let record = store.duty(on).unwrap().into_iter().find(|d| d.deputy == deputy);
    let change = desk::duty(record.as_ref(), deputy, on, check_in).unwrap();
    store.commit_at("S01", at, vec![change]).unwrap();
}

/// The sample station with its deputies and appeals, and through the
/// desk's own functions: a visit on 2026-11-10 (its second appeal
/// answered on the spot that day), one on 2026-12-01 (outside November),
/// D001 in and out and D002 in on 2026-11-10, D003 in on 2026-10-20,
/// and D002's study (学习培训) twice on 2026-11-15.
/// Gives the November visit.
fn station_with_books() -> (tempfile::TempDir, Visit) {
    let dir = station(true);
    expect(
        dir.path(),
        &["import", "appeals", path(&sample("appeals.csv"))],
        0,
    );
    let mut store = Store::open(dir.path()).unwrap();
    let visit = register_visit(&mut store, t("2026-11-10T09:35:00+08:00"), "林晓梅");
    register_visit(&mut store, t("2026-12-01T10:00:00+08:00"), "王建国");
    let on_spot = store.appeal(visit.appeals[1].as_str()).unwrap().unwrap();
    let at = t("2026-11-10T09:50:00+08:00");
    let step = Step::AnswerOnSpot {
        reply: "代表当场联系社区，当天清运。".into(),
    };
    let change = desk::step(&on_spot, step, String::new(), at).unwrap();
    store.commit_at("S01", at, vec![change]).unwrap();
    duty(&mut store, "D001", "2026-11-10T08:50:00+08:00", true);
    duty(&mut store, "D002", "2026-11-10T09:10:00+08:00", true);
    duty(&mut store, "D001", "2026-11-10T11:40:00+08:00", false);
    duty(&mut store, "D003", "2026-10-20T09:00:00+08:00", true);
    // D002 studied twice on 2026-11-15 (the duty list, entered by hand).
    let rules = store.station().unwrap().unwrap().points;
    let entry = HandEntry {
        deputy: "D002".into(),
        day: day("2026-11-15"),
        item: "study".into(),
        times: 2,
        note: "代表法专题学习".into(),
    };
    let deputies = store.deputies().unwrap();
    let change = desk::duty_item(&rules, &deputies, entry, day("2026-11-20")).unwrap();
    store
        .commit_at("S01", t("2026-11-20T10:00:00+08:00"), vec![change])
        .unwrap();
    drop(store);
    (dir, visit)
}

/// Every sheet of a workbook, by name, as rows of text (numbers as
/// integers, blank cells empty).
fn read_book(path: &Path) -> (Vec<String>, BTreeMap<String, Vec<Vec<String>>>) {
    let mut book: Xlsx<_> = open_workbook(path).expect("the workbook opens");
    let names = book.sheet_names().to_vec();
    let mut sheets = BTreeMap::new();
    for name in &names {
        let range = book.worksheet_range(name).unwrap();
        let rows = range
            .rows()
            .map(|r| {
                r.iter()
                    .map(|c| match c {
                        Data::Empty => String::new(),
                        Data::String(s) => s.clone(),
                        Data::Float(f) => format!("{f}"),
                        Data::Int(i) => i.to_string(),
                        other => panic!("unexpected cell {other:?}"),
                    })
                    .collect()
            })
            .collect();
        sheets.insert(name.clone(), rows);
    }
    (names, sheets)
}

/// The station's appeals as `export appeals --format jsonl` writes them.
fn exported(dir: &Path) -> Vec<Value> {
    export(dir, "jsonl")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn s(v: &Value, key: &str) -> String {
    v[key].as_str().unwrap_or_default().to_string()
}

/// The history's steps that applied.
fn applied(a: &Value) -> Vec<&Value> {
    a["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h.get("not_applied").is_none_or(Value::is_null))
        .collect()
}

fn day_of(h: &Value) -> String {
    h["at"].as_str().unwrap()[..10].to_string()
}

/// What the appeals ledger should say of an exported appeal.
fn appeal_cells(a: &Value) -> Vec<String> {
    let history = applied(a);
    let last = |hit: &dyn Fn(&Value) -> bool| history.iter().rev().find(|h| hit(h)).map(|h| day_of(h));
    let unit = s(a, "unit");
    let referred = if unit.is_empty() {
        None
    } else {
        last(&|h| matches!(h["step"]["step"].as_str(), Some("refer" | "rerefer")))
    };
    let replied = if s(a, "reply").is_empty() {
        None
    } else {
        last(&|h| h["to"] == "replied")
    };
    let closed = if s(a, "status_code") == "closed" {
        last(&|h| h["to"] == "closed")
    } else {
        None
    };
    let class = history
        .iter()
        .rev()
        .find(|h| h["step"]["step"] == "reply")
        .and_then(|h| h["step"]["class"].as_str())
        .and_then(jiedai::domain::ReplyClass::parse)
        .map(|c| c.zh().to_string())
        .unwrap_or_default();
    let reopened = history.iter().filter(|h| h["step"]["step"] == "reopen").count()
        + history
            .iter()
            .filter(|h| h["step"]["satisfaction"] == "unsatisfied")
            .count();
    vec![
        s(a, "code"),
        s(a, "date")[..10].to_string(),
        s(a, "name"),
        s(a, "category"),
        s(a, "title"),
        s(a, "content"),
        s(a, "deputy"),
        s(a, "route"),
        unit,
        referred.unwrap_or_default(),
        s(a, "deadline"),
        replied.unwrap_or_default(),
        class,
        s(a, "reply"),
        s(a, "satisfaction"),
        s(a, "status"),
        closed.unwrap_or_default(),
        reopened.to_string(),
    ]
}

/// A sheet's rows without the header, the header checked.
fn body<'a>(
    sheets: &'a BTreeMap<String, Vec<Vec<String>>>,
    name: &str,
    header: &[&str],
) -> &'a [Vec<String>] {
    let rows = sheets.get(name).unwrap_or_else(|| panic!("a sheet {name}"));
    assert_eq!(rows[0], header, "{name}'s header");
    &rows[1..]
}

/// The deeds of the period by the default rules (a reception day 2, an
/// appeal received 1, answered on time 2, rated satisfied 1, the duty
/// list's items their points a time), each deputy's with a subtotal.
fn archive_expected(
    all: &[Value],
    deputies: &[Deputy],
    checked_in: &[(&str, &str)],
    items: &[(&str, &str, &str, u32, &str)],
    from: &str,
    to: &str,
) -> Vec<Vec<String>> {
    let within = |d: &str| from <= d && d <= to;
    let rules = PointsRules::default();
    let mut rows = Vec::new();
    for dep in deputies {
        let mut mine: Vec<(String, u8, String, u32)> = Vec::new();
        for (id, d) in checked_in {
            if *id == dep.id && within(d) {
                mine.push((d.to_string(), 0, String::new(), 2));
            }
        }
        for a in all {
            let names: Vec<&str> = a["deputy"].as_str().unwrap().split('、').collect();
            if !names.contains(&dep.name.as_str()) {
                continue;
            }
            let code = s(a, "code");
            let registered = s(a, "date")[..10].to_string();
            if within(&registered) {
                mine.push((registered.clone(), 1, code.clone(), 1));
            }
            let history = applied(a);
            let due = match s(a, "deadline") {
                d if !d.is_empty() => d,
                _ => (day(&registered) + chrono::Days::new(15)).to_string(),
            };
            if let Some(h) = history.iter().find(|h| h["to"] == "replied") {
                let on = day_of(h);
                if on <= due && within(&on) {
                    mine.push((on, 2, code.clone(), 2));
                }
            }
            if let Some(h) = history.iter().rev().find(|h| h["step"]["step"] == "rate") {
                let good = matches!(h["step"]["satisfaction"].as_str(), Some("satisfied" | "basic"));
                if good && within(&day_of(h)) {
                    mine.push((day_of(h), 3, code.clone(), 1));
                }
            }
        }
        for (id, d, item, times, note) in items {
            if *id == dep.id && within(d) {
                let rule = rules.items.iter().find(|i| i.code == *item).unwrap();
                let what = match *note {
                    "" => format!("{} ×{times}", rule.name),
                    note => format!("{} ×{times}：{note}", rule.name),
                };
                mine.push((d.to_string(), 4, what, rule.points * times));
            }
        }
        mine.sort();
        let deeds = [
            "进站接待",
            "接待群众诉求",
            "诉求按期答复",
            "诉求获满意评价",
            "履职清单",
        ];
        let total: u32 = mine.iter().map(|m| m.3).sum();
        for (d, kind, code, points) in mine {
            rows.push(vec![
                dep.id.clone(),
                dep.name.clone(),
                d,
                deeds[kind as usize].to_string(),
                code,
                points.to_string(),
            ]);
        }
        rows.push(vec![
            dep.id.clone(),
            dep.name.clone(),
            String::new(),
            "小计".into(),
            String::new(),
            total.to_string(),
        ]);
    }
    rows
}

#[test]
fn the_ledgers_match_the_station_cell_by_cell() {
    let (dir, visit) = station_with_books();
    let out = dir.path().join("台账.xlsx");
    let run = expect(
        dir.path(),
        &["export", "ledgers", "--month", "2026-11", "--out", path(&out)],
        0,
    );
    assert!(
        printed(&run).contains("2026-11-01 至 2026-11-30"),
        "{}",
        printed(&run)
    );
    let (names, sheets) = read_book(&out);
    assert_eq!(
        names,
        [
            "接待选民登记簿",
            "意见建议办理台账",
            "代表进站履职登记",
            "履职档案",
            "履职积分"
        ]
    );
    let all = exported(dir.path());
    let by_code: BTreeMap<String, &Value> = all.iter().map(|a| (s(a, "code"), a)).collect();
    let store = Store::open(dir.path()).unwrap();
    let deputies = store.deputies().unwrap();

    // 接待选民登记簿: the November visit alone, its fields as saved.
    let visits = body(
        &sheets,
        "接待选民登记簿",
        &[
            "登记号",
            "日期",
            "时间",
            "来访人",
            "联系电话",
            "身份证号",
            "住址/单位",
            "人数",
            "接待代表",
            "诉求查询码",
            "反映问题",
            "办理方式",
        ],
    );
    let mine: Vec<&Value> = visit.appeals.iter().map(|c| by_code[c.as_str()]).collect();
    let matter = |a: &Value| match (s(a, "title"), s(a, "content")) {
        (t, c) if t.is_empty() => c,
        (t, c) => format!("{t}：{c}"),
    };
    assert_eq!(
        visits,
        [vec![
            visit.code.to_string(),
            "2026-11-10".into(),
            "09:35".into(),
            visit.visitor.name.clone(),
            visit.visitor.phone.clone(),
            visit.visitor.id_number.clone(),
            visit.visitor.address.clone(),
            visit.group_size.to_string(),
            visit
                .deputies
                .iter()
                .map(|d| d.name.as_str())
                .collect::<Vec<_>>()
                .join("、"),
            visit
                .appeals
                .iter()
                .map(|c| c.as_str())
                .collect::<Vec<_>>()
                .join("\n"),
            mine.iter().map(|a| matter(a)).collect::<Vec<_>>().join("\n"),
            mine.iter().map(|a| s(a, "route")).collect::<Vec<_>>().join("\n"),
        ]]
    );

    // 意见建议办理台账: every appeal registered in November, in code order.
    let appeals = body(
        &sheets,
        "意见建议办理台账",
        &[
            "查询码",
            "登记日期",
            "来访人",
            "类别",
            "标题",
            "诉求内容",
            "接待代表",
            "办理方式",
            "承办单位",
            "交办日期",
            "办理期限",
            "答复日期",
            "答复类别",
            "答复内容",
            "满意度",
            "办理状态",
            "办结日期",
            "重新办理次数",
        ],
    );
    let november: Vec<Vec<String>> = all
        .iter()
        .filter(|a| s(a, "date").starts_with("2026-11"))
        .map(appeal_cells)
        .collect();
    assert_eq!(
        november.len(),
        31 + 2,
        "the sample's November and the visit's two"
    );
    assert_eq!(appeals.len(), november.len());
    for (got, want) in appeals.iter().zip(&november) {
        assert_eq!(got, want);
    }
    // The appeal answered on the spot, as the desk recorded it.
    let answered = appeals
        .iter()
        .find(|r| r[0] == visit.appeals[1].as_str())
        .unwrap();
    assert_eq!(
        (answered[7].as_str(), answered[11].as_str(), answered[13].as_str()),
        ("当场答复", "2026-11-10", "代表当场联系社区，当天清运。")
    );

    // 代表进站履职登记: the check-ins of November with the roster's words.
    let attendance = body(
        &sheets,
        "代表进站履职登记",
        &[
            "日期",
            "代表编号",
            "代表",
            "签到时间",
            "签退时间",
            "是否值班日",
            "当日接待人次",
        ],
    );
    let name = |id: &str| deputies.iter().find(|d| d.id == id).unwrap();
    let scheduled = |id: &str| if name(id).on_duty(10) { "是" } else { "否" };
    let received = |id: &str| visit.deputies.iter().filter(|d| d.id == id).count().to_string();
    let mut want = Vec::new();
    for d in store.duty(day("2026-11-10")).unwrap() {
        let hm =
            |x: Option<DateTime<FixedOffset>>| x.map(|x| x.format("%H:%M").to_string()).unwrap_or_default();
        want.push(vec![
            "2026-11-10".to_string(),
            d.deputy.clone(),
            name(&d.deputy).name.clone(),
            hm(d.check_in),
            hm(d.check_out),
            scheduled(&d.deputy).into(),
            received(&d.deputy),
        ]);
    }
    assert_eq!(attendance, want);
    assert_eq!(
        attendance.iter().map(|r| &r[3..6]).collect::<Vec<_>>(),
        [&["08:50", "11:40", "是"][..], &["09:10", "", "否"][..]],
        "D001 on a duty day of theirs, D002 not"
    );

    // 履职档案: every deputy of the roster, the deeds of November and a
    // subtotal, worked out again from the export and the check-ins.
    let archive = body(
        &sheets,
        "履职档案",
        &["代表编号", "代表", "日期", "履职事项", "查询码或项目", "积分"],
    );
    let checked_in = [
        ("D001", "2026-11-10"),
        ("D002", "2026-11-10"),
        ("D003", "2026-10-20"),
    ];
    let items = [("D002", "2026-11-15", "study", 2, "代表法专题学习")];
    let want = archive_expected(&all, &deputies, &checked_in, &items, "2026-11-01", "2026-11-30");
    assert_eq!(archive.len(), want.len());
    for (got, want) in archive.iter().zip(&want) {
        assert_eq!(got, want);
    }
    let d001 = want.iter().find(|r| r[0] == "D001" && r[3] == "小计").unwrap();
    assert!(
        d001[5].parse::<u32>().unwrap() >= 2 + 2,
        "D001's day and the visit's appeals"
    );
    assert!(
        archive.contains(&vec![
            "D002".to_string(),
            "周文清".into(),
            "2026-11-15".into(),
            "履职清单".into(),
            "学习培训 ×2：代表法专题学习".into(),
            "2".into()
        ]),
        "D002's study in the archive"
    );

    // 履职积分: each deputy's points of November, of the year and of the
    // term up to its end (the October check-in counts for the year),
    // highest first: the subtotals of the archive worked out for each span.
    let standings = body(
        &sheets,
        "履职积分",
        &["代表编号", "代表", "本期积分", "本年度积分", "本届积分"],
    );
    let subtotal = |from: &str, id: &str| -> u32 {
        archive_expected(&all, &deputies, &checked_in, &items, from, "2026-11-30")
            .iter()
            .find(|r| r[0] == id && r[3] == "小计")
            .map_or(0, |r| r[5].parse().unwrap())
    };
    let mut want: Vec<(u32, String, Vec<String>)> = deputies
        .iter()
        .map(|d| {
            let (month, year, term) = (
                subtotal("2026-11-01", &d.id),
                subtotal("2026-01-01", &d.id),
                subtotal("0000-00-00", &d.id),
            );
            let row = vec![
                d.id.clone(),
                d.name.clone(),
                month.to_string(),
                year.to_string(),
                term.to_string(),
            ];
            (u32::MAX - month, d.id.clone(), row)
        })
        .collect();
    want.sort();
    let want: Vec<Vec<String>> = want.into_iter().map(|(_, _, r)| r).collect();
    assert_eq!(standings, want.as_slice());
    let d003 = standings.iter().find(|r| r[0] == "D003").unwrap();
    assert!(
        d003[3].parse::<u32>().unwrap() >= d003[2].parse::<u32>().unwrap() + 2,
        "D003's October day counts for the year: {d003:?}"
    );
    drop(store);

    // In English: the same rows under English names and headers.
    let en = dir.path().join("ledgers-en.xlsx");
    expect(
        dir.path(),
        &[
            "--lang",
            "en",
            "export",
            "ledgers",
            "--from",
            "2026-11-01",
            "--to",
            "2026-11-30",
            "--out",
            path(&en),
        ],
        0,
    );
    let (names, en_sheets) = read_book(&en);
    assert_eq!(
        names,
        ["Visitors", "Appeals", "Attendance", "Duty archive", "Duty points"]
    );
    assert_eq!(
        en_sheets["Appeals"][0][..3],
        ["Tracking code", "Registered", "Visitor"]
    );
    assert_eq!(en_sheets["Appeals"].len(), november.len() + 1);
    assert_eq!(en_sheets["Attendance"][1][5], "yes");
    assert!(en_sheets["Duty archive"].iter().any(|r| r[3] == "Subtotal"));
}

#[test]
fn period_shortcuts_cover_their_days_and_bad_periods_write_nothing() {
    let (dir, _) = station_with_books();
    let all = exported(dir.path());
    let count = |from: &str, to: &str| {
        all.iter()
            .filter(|a| {
                let d = &s(a, "date")[..10];
                from <= d && d <= to
            })
            .count()
    };
    for (args, from, to, visits, checkins) in [
        (&["--quarter", "2026Q4"][..], "2026-10-01", "2026-12-31", 2, 3),
        (&["--year", "2026"][..], "2026-01-01", "2026-12-31", 2, 3),
        (&["--month", "2026-10"][..], "2026-10-01", "2026-10-31", 0, 1),
        (
            &["--from", "2026-11-10", "--to", "2026-11-10"][..],
            "2026-11-10",
            "2026-11-10",
            1,
            2,
        ),
    ] {
        let out = dir.path().join("p.xlsx");
        let mut cmd = vec!["export", "ledgers"];
        cmd.extend(args);
        cmd.extend(["--out", path(&out)]);
        let run = expect(dir.path(), &cmd, 0);
        assert!(
            printed(&run).contains(&format!("{from} 至 {to}")),
            "{}",
            printed(&run)
        );
        let (_, sheets) = read_book(&out);
        assert_eq!(sheets["意见建议办理台账"].len() - 1, count(from, to), "{args:?}");
        assert_eq!(sheets["接待选民登记簿"].len() - 1, visits, "{args:?}");
        assert_eq!(sheets["代表进站履职登记"].len() - 1, checkins, "{args:?}");
        std::fs::remove_file(&out).unwrap();
    }

    let out = dir.path().join("bad.xlsx");
    let o = path(&out);
    for (args, words) in [
        (
            vec!["--quarter", "2026Q5", "--out", o],
            "--quarter“2026Q5”无法识别",
        ),
        (vec!["--month", "2026-13", "--out", o], "--month“2026-13”无法识别"),
        (vec!["--year", "26", "--out", o], "--year“26”无法识别"),
        (
            vec!["--from", "2026-02-30", "--to", "2026-03-01", "--out", o],
            "--from“2026-02-30”无法识别",
        ),
        (
            vec!["--from", "2026-12-01", "--to", "2026-11-01", "--out", o],
            "起始日期 2026-12-01 晚于截止日期 2026-11-01",
        ),
        (
            vec!["--from", "2026-11-01", "--out", o],
            "给了 --from 却没有 --to",
        ),
        (
            vec!["--month", "2026-11", "--year", "2026", "--out", o],
            "期间只能用一种方式指定",
        ),
        (vec!["--out", o], "未指定台账的期间"),
        (vec!["--month", "2026-11"], "须用 --out 指定输出文件"),
    ] {
        let mut cmd = vec!["export", "ledgers"];
        cmd.extend(&args);
        let run = expect(dir.path(), &cmd, 2);
        assert!(printed(&run).contains(words), "{args:?}: {}", printed(&run));
        assert!(!out.exists(), "{args:?} wrote nothing");
    }
    let run = expect(
        dir.path(),
        &["--lang", "en", "export", "ledgers", "--quarter", "Q4", "--out", o],
        2,
    );
    assert!(
        printed(&run).contains("--quarter \"Q4\" is not understood"),
        "{}",
        printed(&run)
    );
    assert!(!out.exists());
    // Nothing but the workbooks asked for was left in the directory.
    let stray: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.path().extension().is_some_and(|x| x == "xlsx"))
        .collect();
    assert!(stray.is_empty(), "{stray:?}");
}

/// The text lines of an ESC/POS stream this program writes for a form
/// (initialise, Chinese mode, alignment, emphasis, status queries, feed,
/// cut), decoded from GB18030.
fn form_text(bytes: &[u8]) -> Vec<String> {
    let mut text = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let rest = &bytes[i..];
        i += match rest[0] {
            0x1b if rest[1] == b'@' => 2,
            0x1b => 3,
            0x1c => 2,
            0x10 => 3,
            0x1d if rest[1] == b'V' => 4,
            0x1d => 3,
            b => {
                text.push(b);
                1
            }
        };
    }
    let (s, had_errors) = encoding_rs::GB18030.decode_without_bom_handling(&text);
    assert!(!had_errors, "the text is GB18030");
    s.lines().map(str::to_string).collect()
}

#[test]
fn the_registration_form_prints_blank_and_filled() {
    let (dir, visit) = station_with_books();
    let printer = FakePrinter::start(Behaviour::Ready);
    let run = expect(dir.path(), &["print", "form", "--printer", &printer.target()], 0);
    assert!(printed(&run).contains("已打印空白登记表"), "{}", printed(&run));
    let blank = form_text(&printer.bytes());
    for want in [
        "柳岸社区人大代表联络站",
        "代表接待选民登记表",
        "日期：______年____月____日",
        "反映问题：",
        "处理意见：",
    ] {
        assert!(blank.iter().any(|l| l == want), "{want} in {blank:#?}");
    }
    for label in [
        "姓名：",
        "联系电话：",
        "住址/单位：",
        "人数：",
        "接待代表：",
        "来访人签名：",
        "接待代表签名：",
    ] {
        let line = blank
            .iter()
            .find(|l| l.starts_with(label))
            .unwrap_or_else(|| panic!("{label}"));
        let rest = &line[label.len()..];
        assert!(rest.len() >= 4 && rest.chars().all(|c| c == '_'), "{line}");
    }
    for l in &blank {
        assert!(unicode_width::UnicodeWidthStr::width(l.as_str()) <= 32, "{l}");
    }

    // Filled, to a file printer: the visit and its appeals as saved.
    let file = dir.path().join("form.bin");
    let code = visit.code.to_string();
    expect(
        dir.path(),
        &["print", "form", "--visit", &code, "--printer", path(&file)],
        0,
    );
    let filled = form_text(&std::fs::read(&file).unwrap()).join("\n");
    let store = Store::open(dir.path()).unwrap();
    let names: Vec<&str> = visit.deputies.iter().map(|d| d.name.as_str()).collect();
    let mut want = vec![
        "代表接待选民登记表".to_string(),
        "日期：2026年11月10日 09:35".into(),
        format!("登记号：{code}"),
        format!("姓名：{}", visit.visitor.name),
        format!("联系电话：{}", visit.visitor.phone),
        format!("住址/单位：{}", visit.visitor.address),
        format!("人数：{}", visit.group_size),
        format!("接待代表：{}", names.join("、")),
    ];
    for (i, c) in visit.appeals.iter().enumerate() {
        let a = store.appeal(c.as_str()).unwrap().unwrap();
        want.push(
            format!("{}. [{}] {}", i + 1, a.category.zh(), a.title)
                .trim()
                .to_string(),
        );
        want.push(format!("查询码：{c}"));
        want.push(a.content.clone());
        want.push(format!("{}. {}", i + 1, a.route.zh()));
        want.push(a.status.zh().to_string());
        if let Some(reply) = &a.reply {
            want.push(format!("答复：{reply}"));
        }
    }
    // A line may wrap at 32 columns: compare without the breaks.
    let joined = filled.replace('\n', "");
    for w in &want {
        assert!(joined.contains(w.as_str()), "{w} in\n{filled}");
    }
    assert!(filled.contains("来访人签名："));
    drop(store);

    // An unknown visit is refused, and no job is kept for it.
    let unknown = jiedai::domain::TrackingCode::new(day("2026-11-10"), "330999012", 1, 19999)
        .unwrap()
        .to_string();
    let run = expect(
        dir.path(),
        &["print", "form", "--visit", &unknown, "--printer", path(&file)],
        1,
    );
    assert!(
        printed(&run).contains(&format!("找不到登记号为 {unknown} 的来访登记")),
        "{}",
        printed(&run)
    );
    let all_jobs = Store::open(dir.path())
        .unwrap()
        .print_jobs()
        .unwrap()
        .all()
        .unwrap();
    assert_eq!(all_jobs.len(), 2, "{all_jobs:?}");
}
