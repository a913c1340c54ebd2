//! The station's books at the real kiosk in a pseudo-terminal of 80x24:
//! the Reports screen for a month, a quarter and the one before it; a
//! deputy's points and the record behind them; a duty item entered by
//! hand; a blank registration form and the quarter's points list printed
//! to a fake printer and read back from its GB18030 bytes.

use crate::support::cli;
use crate::support::desk::Desk;
use crate::support::printer;
use crate::support::pty;

use std::time::Duration;

use pty::{Key, Pty, SIZE_80X24, ok};

const T: Duration = Duration::from_secs(10);

/// The kiosk's clock: a reception day, 2026-11-20.
const NOW: &str = "2026-11-20T10:00:00+08:00";

/// Five appeals of the station (fictional people), imported with their
/// handling as far as it went. Every step of an imported row is dated at
/// its registration.
///
/// - A1 2026-10-10, 张山, 交通停车, referred due 10-30, replied, 满意, closed.
/// - A2 2026-10-20, 张山, 养老服务, referred due 11-05, not replied:
///   overdue on 11-20.
/// - A3 2026-11-10, 李明辉, 交通停车, answered on the spot, 基本满意, closed
///   (due 11-25 by the station's 15 reply days).
/// - A4 2026-11-10, 李明辉, 医疗卫生, referred due 12-01, replied, not rated.
/// - A5 2026-09-10, 张山, 教育, registered only.
const APPEALS: &str = "\
日期,姓名,电话,身份证号,住址,类别,标题,诉求内容,地点,接待代表,紧急程度,办理方式,承办单位,办理期限,答复,满意度,办理状态
2026-10-10 09:00,甲一,13800000001,,,交通停车,路口绿灯太短,路口绿灯太短老人过不去,,张山,一般,交办,青禾县交通运输局,2026-10-30,已延长绿灯时间,满意,已办结
2026-10-20 09:00,乙二,13800000002,,,养老服务,助餐点太少,小区附近助餐点太少,,张山,一般,交办,青禾县住房和城乡建设局,2026-11-05,,,已交办
2026-11-10 09:00,丙三,13800000003,,,交通停车,小区停车难,小区停车难晚上没有车位,,李明辉,一般,当场答复,,,已当场解释停车政策,基本满意,已办结
2026-11-10 09:30,丁四,13800000004,,,医疗卫生,社区医院缺药,社区医院常用药缺货,,李明辉,一般,交办,青禾县卫生健康局,2026-12-01,已协调补货,,已答复
2026-09-10 09:00,戊五,13800000005,,,教育,校车路线,校车路线绕远,,张山,一般,,,,,,已登记
";

fn quit(mut p: Pty) {
    p.key(Key::Esc);
    p.send("q");
    assert!(p.wait_exit(T).is_some_and(|s| s.success()), "{}", p.screen());
}

/// The code of the one appeal `find` finds for `query`.
fn code_of(desk: &Desk, query: &str) -> String {
    let found = desk.find_json(query);
    let line = found
        .lines()
        .next()
        .unwrap_or_else(|| panic!("{query}: nothing found"));
    let v: serde_json::Value = serde_json::from_str(line).unwrap();
    v["code"].as_str().unwrap().to_string()
}

/// Lines of the screen that hold `needle`, squeezed of runs of spaces.
fn row(screen: &str, needle: &str) -> Vec<String> {
    screen
        .lines()
        .filter(|l| l.contains(needle))
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect()
}

#[test]
fn reports_points_and_the_quarters_list_at_80x24() {
    let desk = Desk::new(false);
    let csv = cli::write(&desk.data, "appeals.csv", APPEALS.as_bytes());
    cli::expect(&desk.data, &["import", "appeals", cli::path(&csv)], 0);
    let a1 = code_of(&desk, "路口绿灯太短");
    let a2 = code_of(&desk, "助餐点太少");
    let printer = printer::FakePrinter::start(printer::Behaviour::Ready);
    desk.use_printer(&printer.target(), None);
    let p = desk.kiosk_env(SIZE_80X24, &[("JIEDAI_NOW", NOW)]);
    // One visit at the desk today: the month's and the quarter's visit.
    p.register_traffic_appeal(("王小明", "13900000009"), "路灯不亮", "三号楼前路灯不亮", T);

    // November: A3, A4 and today's; A3 closed; A3 and A4 answered on time;
    // A3 rated; A2 overdue whenever registered.
    p.send("6");
    let screen = ok(p.wait_for("2026年11月（2026-11-01 ~ 2026-11-30）", T));
    for (figure, value) in [
        ("来访人次", "来访人次 1"),
        ("诉求件数", "诉求件数 3"),
        ("办结率", "办结率 33.3%（1/3）"),
        ("按期办结率", "按期办结率 100.0%（2/2）"),
        ("满意率", "满意率 100.0%（1/1）"),
        ("重新办理率", "重新办理率 0.0%（0/3）"),
        ("当前逾期", "当前逾期 1"),
    ] {
        let found = row(&screen, figure);
        assert!(
            found.iter().any(|l| l.starts_with(value)),
            "{value} in {found:?}\n{screen}"
        );
    }
    // Visits per reception day, as a table beside the sparkline.
    assert!(
        screen.contains("11-10 0") && screen.contains("11-20 1"),
        "{screen}"
    );

    // The quarter: A1 to A4 and today's; A1 and A3 closed.
    p.send("t");
    let screen = ok(p.wait_for("2026年第4季度", T));
    assert!(row(&screen, "诉求件数")[0].starts_with("诉求件数 5"), "{screen}");
    assert!(
        row(&screen, "办结率")[0].starts_with("办结率 40.0%（2/5）"),
        "{screen}"
    );
    assert!(
        row(&screen, "按期办结率")[0].starts_with("按期办结率 100.0%（3/3）"),
        "{screen}"
    );
    assert!(
        row(&screen, "满意率")[0].starts_with("满意率 100.0%（2/2）"),
        "{screen}"
    );
    // Its categories, as bars and as a table.
    p.key(Key::Tab);
    let screen = ok(p.wait_for("占比", T));
    assert!(
        row(&screen, "交通停车")
            .iter()
            .any(|l| l.ends_with("交通停车 3 60.0%")),
        "{screen}"
    );
    // The quarter before: A5 alone, not closed.
    p.send("[");
    let screen = ok(p.wait_for("2026年第3季度", T));
    assert!(
        row(&screen, "教育").iter().any(|l| l.ends_with("教育 1 100.0%")),
        "{screen}"
    );
    p.key(Key::BackTab);
    let screen = ok(p.wait_for("指标", T));
    assert!(
        row(&screen, "办结率")[0].starts_with("办结率 0.0%（0/1）"),
        "{screen}"
    );
    // Any two dates: October holds A1 and A2, A1 closed. Dates that run
    // backwards are refused in the dialog, which stays.
    p.send("r");
    ok(p.wait_for("报表日期范围", T));
    p.key(Key::Ctrl('u'));
    p.send("2026-10-31");
    p.key(Key::Tab);
    p.key(Key::Ctrl('u'));
    p.send("2026-10-01");
    p.key(Key::Ctrl('s'));
    ok(p.wait_for("时段的开始 2026-10-31 晚于结束 2026-10-01", T));
    p.key(Key::BackTab);
    p.key(Key::Ctrl('u'));
    p.send("2026-10-01");
    p.key(Key::Tab);
    p.key(Key::Ctrl('u'));
    p.send("2026-10-31");
    p.key(Key::Ctrl('s'));
    let screen = ok(p.wait_for("2026-10-01 至 2026-10-31", T));
    assert!(row(&screen, "诉求件数")[0].starts_with("诉求件数 2"), "{screen}");
    assert!(
        row(&screen, "办结率")[0].starts_with("办结率 50.0%（1/2）"),
        "{screen}"
    );

    // 张山 (D004): A5 received in September (1); A1 received, answered on
    // time and rated 满意 on 10-10 (1 + 2 + 1); A2 received (1). The
    // quarter 5, the year and the term 6.
    p.send("4");
    ok(p.wait_for("季度分", T));
    for _ in 0..3 {
        p.key(Key::Down);
    }
    p.key(Key::Enter);
    let screen = ok(p.wait_for("张山 代表履职积分", T));
    assert!(
        screen.contains("本季度 5 分 · 本年度 6 分 · 本届 6 分"),
        "{screen}"
    );
    for line in [
        format!("2026-10-20 +1 接待诉求 {a2}"),
        format!("2026-10-10 +2 按期答复 {a1}"),
        format!("2026-10-10 +1 群众满意 {a1}"),
    ] {
        assert!(
            screen
                .lines()
                .any(|l| l.split_whitespace().collect::<Vec<_>>().join(" ").contains(&line)),
            "{line}\n{screen}"
        );
    }
    p.key(Key::Esc);
    ok(p.wait_gone("代表履职积分", T));

    // A meeting entered by hand: one more point.
    p.send("a");
    ok(p.wait_for("录入履职事项 · 张山", T));
    p.key(Key::Down);
    p.key(Key::Enter);
    p.key(Key::Tab);
    p.key(Key::Tab);
    p.send("县人代会");
    p.key(Key::Ctrl('s'));
    ok(p.wait_for("已录入履职事项：张山 · 参加会议", T));
    p.key(Key::Enter);
    let screen = ok(p.wait_for("张山 代表履职积分", T));
    assert!(screen.contains("本季度 6 分 · 本年度 7 分"), "{screen}");
    assert!(screen.contains("参加会议 × 1 次 · 县人代会"), "{screen}");
    p.key(Key::Esc);
    ok(p.wait_gone("代表履职积分", T));

    // A blank registration form from Today.
    p.send("1");
    ok(p.wait_for("今日值班代表", T));
    p.send("F");
    ok(p.wait_for("已打印登记表 （空白）", T));

    // The quarter's list for the notice board: 李明辉 (A3 and A4: 1 + 2 +
    // 1, 1 + 2 = 7) before 张山 (6).
    p.send("4");
    ok(p.wait_for("季度分", T));
    p.send("P");
    ok(p.wait_for("已打印积分公示单 2026Q4", T));
    quit(p);
    let bytes = printer.bytes();
    let (text, _, bad) = encoding_rs::GB18030.decode(&bytes);
    assert!(!bad);
    let lines: Vec<String> = text
        .split('\n')
        .map(|l| l.chars().filter(|c| !c.is_control()).collect::<String>())
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    let at = |needle: &str| {
        lines
            .iter()
            .position(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("{needle} not printed: {lines:#?}"))
    };
    assert!(
        at("代表接待选民登记表") < at("代表履职积分公示"),
        "the form, then the list"
    );
    at("柳岸社区人大代表联络站");
    at("2026年第4季度");
    assert!(lines.iter().any(|l| l.ends_with("李明辉 7 7 7")), "{lines:#?}");
    assert!(lines.iter().any(|l| l.ends_with("张山 6 7 7")), "{lines:#?}");
    assert!(at("李明辉 7") < at("张山 6"));
    at("进站接待选民 每次 2 分");
    at("参加会议 1 分");

    // The item entered by hand is in the journal, and the database agrees
    // with it.
    cli::expect(&desk.data, &["check"], 0);
}
