#![cfg(feature = "county")]

//! The county's steps through the real binary: referrals name a unit of
//! the catalogue, 改派, 退回, 办理进展, 延期 and 督办 with their notes,
//! `county show` with the whole timeline, and the station taking them.

use crate::county::{STATION, STATION_NAME, Station, VISITOR_ID, VISITOR_PHONE, staff};
use crate::support::county::County;
use crate::support::postgres;
use crate::support::pty::{Pty, SIZE_100X30, ok};

use jiedai::domain::{Status, Step, StepKind};
use jiedai::storage::Store;

use std::path::Path;
use std::time::Duration;

const HOUSING: &str = "青禾县住房和城乡建设局";
const TRANSPORT: &str = "青禾县交通运输局";
const OFFICE: &str = "王科员";

fn show(county: &County, code: &str) -> serde_json::Value {
    let text = staff(county, &["show", code, "--json"], 0);
    serde_json::from_str(text.trim()).unwrap_or_else(|e| panic!("{e}: {text}"))
}

#[test]
fn the_county_steps_an_appeal_through_its_catalogue_and_the_station_takes_them() {
    steps_through_the_catalogue(None);
}

#[test]
fn the_county_steps_an_appeal_on_postgresql() {
    steps_through_the_catalogue(Some(postgres::shared().url("steps_through_the_catalogue")));
}

/// The scenario on SQLite (`db` None) or PostgreSQL; the kiosk's screen
/// is looked at on SQLite only (the station is the same either way).
fn steps_through_the_catalogue(db: Option<String>) {
    let county = County::start(db.as_deref());
    let st = Station::new(&county, 2);
    st.sync();
    let code = st.codes[0].as_str();

    // The stations' units come into the catalogue.
    let imported = staff(&county, &["unit", "import"], 0);
    assert!(
        imported.contains(HOUSING) && imported.contains(TRANSPORT),
        "{imported}"
    );
    let listed = staff(&county, &["unit", "list"], 0);
    assert!(listed.contains(&format!("{HOUSING}\tqhxzfhcxjsj")), "{listed}");
    assert!(staff(&county, &["unit", "import"], 0).contains("加入承办单位 0 个"));

    staff(&county, &["accept", code, "--actor", OFFICE], 0);
    // A misspelt unit: refused, naming the closest, and nothing changes.
    let refused = staff(
        &county,
        &["refer", code, "--unit", "青禾县住建局", "--due", "2099-12-10"],
        2,
    );
    assert!(refused.contains(HOUSING), "{refused}");
    assert!(refused.contains("county unit add"), "{refused}");
    let held = show(&county, code);
    assert_eq!(held["status"], "accepted");
    assert_eq!(held["timeline"].as_array().unwrap().len(), 2, "{held}");

    // By the unit's initials, with the office's requirements.
    staff(
        &county,
        &[
            "refer",
            code,
            "--unit",
            "qhxzfhcxjsj",
            "--due",
            "2099-12-10",
            "--note",
            "请十日内核实",
            "--actor",
            OFFICE,
        ],
        0,
    );
    let held = show(&county, code);
    assert_eq!(
        (held["status"].as_str(), held["unit"].as_str()),
        (Some("referred"), Some(HOUSING))
    );

    // The unit reports progress; a report without text is refused.
    let li = format!("{HOUSING}·李工");
    let blank = staff(&county, &["progress", code, "--text", " ", "--actor", &li], 1);
    assert!(blank.contains("办理进展须填写进展内容"), "{blank}");
    staff(
        &county,
        &["progress", code, "--text", "已现场勘查", "--actor", &li],
        0,
    );
    staff(
        &county,
        &["chase", code, "--note", "请加快办理", "--actor", OFFICE],
        0,
    );
    // An extension goes later only.
    let earlier = staff(
        &county,
        &["extend", code, "--due", "2099-12-05", "--actor", OFFICE],
        1,
    );
    assert!(earlier.contains("应晚于原期限 2099-12-10"), "{earlier}");
    staff(
        &county,
        &[
            "extend",
            code,
            "--due",
            "2099-12-20",
            "--note",
            "需协调管线单位",
            "--actor",
            OFFICE,
        ],
        0,
    );
    let held = show(&county, code);
    assert_eq!(
        (
            held["status"].as_str(),
            held["deadline"].as_str(),
            held["chases"].as_u64()
        ),
        (Some("in_progress"), Some("2099-12-20"), Some(1))
    );
    staff(
        &county,
        &[
            "rerefer",
            code,
            "--unit",
            TRANSPORT,
            "--due",
            "2099-12-25",
            "--actor",
            OFFICE,
        ],
        0,
    );

    // The station takes them, applied as they were taken.
    st.sync();
    {
        let store = Store::open(st.path()).unwrap();
        let a = store.appeal(code).unwrap().unwrap();
        assert_eq!(a.status, Status::Referred);
        assert_eq!(a.unit.as_deref(), Some(TRANSPORT));
        assert_eq!(a.deadline.unwrap().to_string(), "2099-12-25");
        assert_eq!(a.chases, 1);
        let county_steps: Vec<(StepKind, &str, &str)> = a
            .history
            .iter()
            .filter(|h| h.event.is_county())
            .map(|h| {
                assert!(h.not_applied.is_none(), "{h:?}");
                (h.step.kind(), h.actor.as_str(), h.note.as_str())
            })
            .collect();
        assert_eq!(
            county_steps,
            vec![
                (StepKind::Accept, OFFICE, ""),
                (StepKind::Refer, OFFICE, "请十日内核实"),
                (StepKind::Progress, li.as_str(), "已现场勘查"),
                (StepKind::Chase, OFFICE, "请加快办理"),
                (StepKind::Extend, OFFICE, "需协调管线单位"),
                (StepKind::Rerefer, OFFICE, ""),
            ]
        );
        let last = a.history.last().unwrap();
        assert_eq!(
            last.step,
            Step::Rerefer {
                unit: TRANSPORT.into(),
                deadline: "2099-12-25".parse().unwrap()
            }
        );
    }

    // The kiosk's timeline shows who did it.
    if db.is_none() {
        let screen = kiosk_timeline(st.path(), code);
        assert!(
            screen.contains(&format!("[县] {OFFICE} · 改派：{TRANSPORT}")),
            "{screen}"
        );
        assert!(screen.contains(&format!("[县] {OFFICE} · 延期")), "{screen}");
    }

    // The new unit sends it back: accepted again, no unit, no deadline.
    let zhang = format!("{TRANSPORT}·张工");
    staff(
        &county,
        &["return", code, "--reason", "不属本单位职责", "--actor", &zhang],
        0,
    );
    let held = show(&county, code);
    assert_eq!(held["status"], "accepted");
    assert!(held["unit"].is_null() && held["deadline"].is_null(), "{held}");
    st.sync();
    {
        let store = Store::open(st.path()).unwrap();
        let a = store.appeal(code).unwrap().unwrap();
        assert_eq!(
            (a.status, a.unit.as_deref(), a.deadline),
            (Status::Accepted, None, None)
        );
    }

    // The whole appeal for the shell: who did what, when, with the notes;
    // the visitor masked.
    let text = staff(&county, &["show", code], 0);
    for line in [
        format!("站点：{STATION} {STATION_NAME}"),
        "[站] S01 · 登记 → 已登记".to_string(),
        format!("[县] {OFFICE} · 交办：{HOUSING}，期限 2099-12-10 → 已交办（请十日内核实）"),
        format!("[县] {li} · 办理进展 → 办理中（已现场勘查）"),
        format!("[县] {OFFICE} · 督办 → 办理中（请加快办理）"),
        format!("[县] {OFFICE} · 延期：期限改为 2099-12-20 → 办理中（需协调管线单位）"),
        format!("[县] {OFFICE} · 改派：{TRANSPORT}，期限 2099-12-25 → 已交办"),
        format!("[县] {zhang} · 退回 → 已受理（不属本单位职责）"),
    ] {
        assert!(text.contains(&line), "{line}\n{text}");
    }
    assert!(
        !text.contains(VISITOR_PHONE) && !text.contains(VISITOR_ID),
        "{text}"
    );
    assert!(text.contains("138****1234"), "{text}");
    let english = staff(&county, &["--lang", "en", "show", code], 0);
    assert!(english.contains("[county] 王科员 · Re-refer"), "{english}");

    // A reply with its document number.
    let other = st.codes[1].as_str();
    staff(&county, &["accept", other], 0);
    staff(
        &county,
        &["refer", other, "--unit", "qhxjtysj", "--due", "2099-12-31"],
        0,
    );
    staff(
        &county,
        &[
            "reply",
            other,
            "--text",
            "已增设停车位",
            "--document",
            "青交函〔2099〕12号",
            "--class",
            "a",
            "--actor",
            &zhang,
        ],
        0,
    );
    let held = show(&county, other);
    assert_eq!(held["document"], "青交函〔2099〕12号");
    assert_eq!(held["reply_class"], "A");
    let shown = staff(&county, &["show", other], 0);
    assert!(shown.contains("答复文号：青交函〔2099〕12号"), "{shown}");
    assert!(shown.contains("答复类别：A 已解决"), "{shown}");
    let csv = staff(&county, &["export", "--format", "csv"], 0);
    assert!(csv.contains("答复类别") && csv.contains("A 已解决"), "{csv}");
    // A class that is not one of A-D changes nothing and says which are.
    let third = st.codes.get(2).map(|c| c.as_str()).unwrap_or(other);
    let refused = staff(&county, &["reply", third, "--text", "已处理", "--class", "E"], 2);
    assert!(refused.contains("A（已解决）"), "{refused}");

    // A mistyped check digit is named as such.
    let last = code.chars().last().unwrap();
    let typo = format!(
        "{}{}",
        &code[..code.len() - 1],
        if last == '0' { '1' } else { '0' }
    );
    let said = staff(&county, &["show", &typo], 2);
    assert!(said.contains("校验位"), "{said}");
}

/// The kiosk on the appeal `code`'s details, scrolled to the end of its
/// timeline: the screen.
fn kiosk_timeline(data: &Path, code: &str) -> String {
    const T: Duration = Duration::from_secs(10);
    let home = tempfile::tempdir().unwrap();
    let mut p = Pty::spawn(&["--data", data.to_str().unwrap()], SIZE_100X30, home.path());
    p.sign_in(T);
    p.open_appeal_timeline(code, T);
    let screen = ok(p.wait_for("改派", T));
    p.send("q");
    let _ = p.wait_exit(T);
    screen
}

/// A unit's request for more time, asked, refused, asked again and
/// granted, and the catalogue, on both databases through the library.
#[test]
fn extensions_and_units_on_both_databases() {
    use chrono::{DateTime, NaiveDate};
    use jiedai::county::db::{self, Db};
    use jiedai::county::staff::{self, ExtensionRefusal, StepOutcome};
    use jiedai::county::units;
    use jiedai::domain::{Appeal, TrackingCode};

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let day = |d: u32| NaiveDate::from_ymd_opt(2099, 12, d).unwrap();
    for url in [None, Some(postgres::shared().url("extensions_and_units"))] {
        let dir = tempfile::tempdir().unwrap();
        runtime.block_on(async {
            let db = Db::open(dir.path(), url.as_deref()).await.unwrap();
            db.enroll(STATION, STATION_NAME, "key", false).await.unwrap();
            let housing = units::add(&db, HOUSING).await.unwrap();
            assert_eq!(units::resolve(&db, "qhxzfhcxjsj").await.unwrap(), housing);
            assert_eq!(units::list(&db, false).await.unwrap(), vec![housing.clone()]);

            let at = DateTime::parse_from_rfc3339("2026-11-10T09:00:00+08:00").unwrap();
            let code = TrackingCode::new(at.date_naive(), STATION, 1, 1).unwrap();
            let mut tx = db.pool.begin().await.unwrap();
            db::save_appeal(&mut tx, STATION, &Appeal::registered(code.clone(), at))
                .await
                .unwrap();
            tx.commit().await.unwrap();
            let code = code.to_string();
            let refer = Step::Refer {
                unit: HOUSING.into(),
                deadline: day(10),
            };
            for step in [Step::Accept, refer] {
                let done = staff::step(&db, &code, step, "", OFFICE).await.unwrap();
                assert!(matches!(done, StepOutcome::Done { .. }), "{done:?}");
            }
            // Nothing else referred to it: the catalogue brings in nothing.
            assert!(units::import_from_appeals(&db).await.unwrap().is_empty());

            let li = format!("{HOUSING}·李工");
            let asked = staff::ask_extension(&db, &code, HOUSING, &li, day(20), "需协调管线单位")
                .await
                .unwrap();
            let again = staff::ask_extension(&db, &code, HOUSING, &li, day(21), "再延").await;
            assert!(matches!(again, Err(ExtensionRefusal::Pending(_))), "{again:?}");
            staff::decide_extension(&db, asked.id, false, OFFICE)
                .await
                .unwrap();
            let second = staff::ask_extension(&db, &code, HOUSING, &li, day(20), "汛期施工受限")
                .await
                .unwrap();
            let decided = staff::decide_extension(&db, second.id, true, OFFICE)
                .await
                .unwrap();
            assert_eq!(decided.granted.unwrap().0.deadline, Some(day(20)));
            let all = staff::extensions_for(&db, &code).await.unwrap();
            assert_eq!(
                all.iter().map(|e| e.granted).collect::<Vec<_>>(),
                vec![Some(false), Some(true)]
            );
            assert!(staff::all_pending_extensions(&db).await.unwrap().is_empty());
            db.pool.close().await;
        });
    }
}
