//! The county's work queue: the same answers on SQLite and PostgreSQL
//! (`county::queue` on both), `county appeals` as a list for people and
//! scripts, and a county database as the previous version made it
//! upgraded in place on both.

#![cfg(feature = "county")]

use chrono::NaiveDate;
use jiedai::county::db::{Db, save_appeal};
use jiedai::county::queue::{self, QueueFilter, QueueRow, Scope, Sort, SortKey};
use jiedai::domain::{Appeal, Category, EventId, HistoryEntry, Status, Step};
use sqlx::Row;

use crate::support::cli;
use crate::support::county::County;
use crate::support::postgres;
use crate::support::queue_fixture::{STATIONS, UNITS, codes_where, fixture};

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

async fn fill(db: &Db, held: &[(String, Appeal)]) {
    for (code, name) in STATIONS {
        db.enroll(code, name, "key", false).await.unwrap();
    }
    let mut conn = db.pool.acquire().await.unwrap();
    for (station, appeal) in held {
        save_appeal(&mut conn, station, appeal).await.unwrap();
    }
}

/// The queue with the test's scope, filter and sort, all of it.
async fn listed(db: &Db, scope: &Scope, filter: &QueueFilter, sort: Sort, today: NaiveDate) -> Vec<QueueRow> {
    let (rows, total) = queue::page(db, scope, filter, sort, 1, queue::MAX_SIZE, today)
        .await
        .unwrap();
    assert_eq!(total, rows.len() as u64, "{filter:?}");
    rows
}

#[test]
fn the_queue_answers_alike_on_sqlite_and_postgres() {
    let today = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
    let held = fixture(90, today);
    let dir = tempfile::tempdir().unwrap();
    let url = postgres::shared().url("queue_alike");
    runtime().block_on(async {
        let lite = Db::open(dir.path(), None).await.unwrap();
        let pg = Db::open(dir.path(), Some(&url)).await.unwrap();
        fill(&lite, &held).await;
        fill(&pg, &held).await;
        let all = QueueFilter::default();
        for &key in SortKey::ALL {
            for desc in [false, true] {
                let sort = Sort { key, desc };
                let on_lite = listed(&lite, &Scope::All, &all, sort, today).await;
                assert_eq!(on_lite.len(), held.len());
                assert_eq!(
                    on_lite,
                    listed(&pg, &Scope::All, &all, sort, today).await,
                    "{sort:?}"
                );
            }
        }
        let day = |m: u32, d: u32| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
        let filters = [
            QueueFilter {
                station: Some("330999013".into()),
                status: Some(Status::Referred),
                ..QueueFilter::default()
            },
            QueueFilter {
                category: Some(Category::Traffic),
                ..QueueFilter::default()
            },
            QueueFilter {
                unit: Some(UNITS[0].into()),
                overdue: true,
                ..QueueFilter::default()
            },
            QueueFilter {
                due_within: Some(5),
                ..QueueFilter::default()
            },
            QueueFilter {
                deputy: Some("D002".into()),
                reopened: true,
                ..QueueFilter::default()
            },
            QueueFilter {
                registered_from: Some(day(10, 15)),
                registered_to: Some(day(11, 10)),
                ..QueueFilter::default()
            },
        ];
        let sort = Sort {
            key: SortKey::DaysOverdue,
            desc: true,
        };
        for filter in &filters {
            let on_lite = listed(&lite, &Scope::All, filter, sort, today).await;
            assert!(!on_lite.is_empty(), "{filter:?} finds some");
            assert_eq!(
                on_lite,
                listed(&pg, &Scope::All, filter, sort, today).await,
                "{filter:?}"
            );
        }
        // Chinese substrings short and long, ASCII in any case, a code.
        let code = held[7].1.code.to_string();
        for text in [
            "停车",
            "小区停车难",
            "老旧小区加装电梯",
            "noise",
            "NO",
            "协调处理",
            code.as_str(),
            "没有这段话",
        ] {
            let filter = QueueFilter {
                text: Some(text.to_string()),
                ..QueueFilter::default()
            };
            let on_lite = listed(&lite, &Scope::All, &filter, sort, today).await;
            let want = held
                .iter()
                .filter(|(_, a)| {
                    let lower = text.to_lowercase();
                    [
                        a.code.as_str(),
                        &a.title,
                        &a.content,
                        a.reply.as_deref().unwrap_or(""),
                    ]
                    .iter()
                    .any(|f| f.to_lowercase().contains(&lower))
                })
                .count();
            assert_eq!(on_lite.len(), want, "{text}");
            assert_eq!(
                on_lite,
                listed(&pg, &Scope::All, &filter, sort, today).await,
                "{text}"
            );
        }
        // A unit's scope, on both.
        let scope = Scope::Unit(UNITS[1].into());
        let mine = listed(&pg, &scope, &all, sort, today).await;
        assert!(!mine.is_empty() && mine.iter().all(|r| r.unit.as_deref() == Some(UNITS[1])));
        assert_eq!(mine, listed(&lite, &scope, &all, sort, today).await);
        // A deep page at an odd size.
        let (deep, total) = queue::page(&pg, &Scope::All, &all, sort, 4, 13, today)
            .await
            .unwrap();
        let whole = listed(&pg, &Scope::All, &all, sort, today).await;
        assert_eq!((total, &deep[..]), (held.len() as u64, &whole[39..52]));
        pg.pool.close().await;
        lite.pool.close().await;
    });
}

/// Runs `county appeals ARGS`; its standard output's lines.
fn appeals(county: &County, args: &[&str]) -> Vec<String> {
    let mut all = vec!["appeals"];
    all.extend_from_slice(args);
    let out = county.run(&all);
    assert!(out.status.success(), "{args:?}: {}", cli::printed(&out));
    cli::text(&out.stdout).lines().map(str::to_string).collect()
}

fn json_codes(county: &County, args: &[&str]) -> Vec<String> {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    appeals(county, &all)
        .iter()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            v["code"].as_str().unwrap().to_string()
        })
        .collect()
}

/// A county set up by the previous version: only the old tables, an
/// enrolled station and appeals with only the old columns (the state
/// JSON holding the rest).
fn older_county(db: Option<String>, held: &[(String, Appeal)]) -> County {
    let mut county = County::start(db.as_deref());
    county.stop();
    let old_schema = match &db {
        None => {
            for file in ["county.db", "county.db-wal", "county.db-shm"] {
                let _ = std::fs::remove_file(county.path().join(file));
            }
            include_str!("../../src/county/migrations/sqlite/0001_base.sql")
        }
        Some(_) => include_str!("../../src/county/migrations/postgres/0001_base.sql"),
    };
    let (runtime, mut conn) = county.database("rwc");
    runtime.block_on(async {
        if db.is_some() {
            sqlx::raw_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
                .execute(&mut conn)
                .await
                .unwrap();
        }
        sqlx::raw_sql(old_schema).execute(&mut conn).await.unwrap();
        for (code, name) in STATIONS {
            sqlx::query(
                "INSERT INTO stations (code, name, public_key, enrolled_at) VALUES ($1, $2, 'key', $3)",
            )
            .bind(code)
            .bind(name)
            .bind("2026-01-05T09:00:00+08:00")
            .execute(&mut conn)
            .await
            .unwrap();
        }
        for (station, a) in held {
            sqlx::query(
                "INSERT INTO appeals (code, station, status, category, access_key, state, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(a.code.as_str())
            .bind(station.as_str())
            .bind(a.status.code())
            .bind(a.category.code())
            .bind(a.access_key.as_str())
            .bind(serde_json::to_string(a).unwrap())
            .bind("2026-11-30T10:00:00+08:00")
            .execute(&mut conn)
            .await
            .unwrap();
        }
        // Each station's events as its terminal 1 sent them (its
        // configuration first) and one step of the county's.
        for (code, _) in STATIONS {
            let mut rows = vec![("station_configured".to_string(), None, "{}".to_string())];
            for (_, a) in held.iter().filter(|(s, _)| s.as_str() == code) {
                rows.push((
                    "appeal_registered".to_string(),
                    Some(a.code.to_string()),
                    serde_json::json!({
                        "id": {"origin": format!("{code}-1"), "seq": rows.len() + 1},
                        "at": "2026-11-30T10:00:00+08:00",
                        "actor": "沈佳怡",
                        "body": {"type": "appeal_registered", "appeal": a},
                    })
                    .to_string(),
                ));
            }
            for (n, (kind, appeal, body)) in rows.into_iter().enumerate() {
                sqlx::query(
                    "INSERT INTO events (station, terminal, seq, hash, kind, appeal, body, received_at)
                     VALUES ($1, 1, $2, 'h', $3, $4, $5, $6)",
                )
                .bind(code)
                .bind(n as i64 + 1)
                .bind(kind)
                .bind(appeal)
                .bind(body)
                .bind("2026-11-30T10:00:00+08:00")
                .execute(&mut conn)
                .await
                .unwrap();
            }
            sqlx::query(
                "INSERT INTO feed (station, seq, appeal, body, created_at) VALUES ($1, 1, NULL, '{}', $2)",
            )
            .bind(code)
            .bind("2026-11-30T11:00:00+08:00")
            .execute(&mut conn)
            .await
            .unwrap();
        }
    });
    county
}

/// An older database opened by any county command: the migrations
/// applied once, the new columns filled from each appeal's state, and the
/// queue (`county appeals`) listing, filtering and searching them.
fn upgraded_in_place(db: Option<String>) {
    // Deadlines far from the day the test runs.
    let today = NaiveDate::from_ymd_opt(2040, 1, 1).unwrap();
    let mut held = fixture(40, today);
    // One appeal with a history in its state, as the older version kept it.
    let storied = &mut held[5].1;
    for (n, note) in ["", "请加快", "再次督办"].into_iter().enumerate() {
        storied.history.push(HistoryEntry {
            event: EventId {
                origin: format!("county/{}", storied.code.station()),
                seq: n as u64 + 1,
            },
            at: storied.registered_at,
            actor: "王科员".into(),
            step: if n == 0 { Step::Register } else { Step::Chase },
            from: None,
            to: storied.status,
            note: note.into(),
            not_applied: None,
        });
    }
    let storied = held[5].1.clone();
    let county = older_county(db, &held);

    let mut codes: Vec<(String, String)> = held
        .iter()
        .map(|(_, a)| (a.code.to_string(), a.code.digits()))
        .collect();
    codes.sort_by(|a, b| jiedai::domain::code::cmp_code_text(&a.0, &b.0));
    let by_code: Vec<String> = codes.into_iter().map(|(c, _)| c).collect();
    assert_eq!(json_codes(&county, &[]), by_code, "every appeal, by code");

    let (runtime, mut conn) = county.database("ro");
    runtime.block_on(async {
        let applied: i64 = sqlx::query("SELECT COUNT(*) FROM _sqlx_migrations")
            .fetch_one(&mut conn)
            .await
            .unwrap()
            .try_get(0)
            .unwrap();
        assert_eq!(applied, 6);
        // The history moved to rows of its own, in order.
        let entries: Vec<String> = sqlx::query("SELECT entry FROM appeal_history WHERE code = $1 ORDER BY n")
            .bind(storied.code.as_str())
            .fetch_all(&mut conn)
            .await
            .unwrap()
            .iter()
            .map(|r| r.try_get(0).unwrap())
            .collect();
        let notes: Vec<String> = entries
            .iter()
            .map(|e| serde_json::from_str::<HistoryEntry>(e).unwrap().note)
            .collect();
        assert_eq!(notes, ["", "请加快", "再次督办"]);
        let split: i64 = sqlx::query("SELECT COUNT(*) FROM appeal_history")
            .fetch_one(&mut conn)
            .await
            .unwrap()
            .try_get(0)
            .unwrap();
        assert_eq!(split, 3, "only the one appeal had a history");
        let unfilled: i64 = sqlx::query(
            "SELECT COUNT(*) FROM appeals WHERE registered_at IS NULL OR registered_on IS NULL
             OR title IS NULL OR search NOT LIKE code || '%'",
        )
        .fetch_one(&mut conn)
        .await
        .unwrap()
        .try_get(0)
        .unwrap();
        assert_eq!(unfilled, 0);
        // Every event held but a configuration is relayed once, after
        // the county's own steps, for the station's other terminals.
        let count = async |conn: &mut sqlx::AnyConnection, sql: &str| -> i64 {
            sqlx::query(sql)
                .fetch_one(conn)
                .await
                .unwrap()
                .try_get(0)
                .unwrap()
        };
        let events = count(
            &mut conn,
            "SELECT COUNT(*) FROM events WHERE kind <> 'station_configured'",
        )
        .await;
        let relayed = count(&mut conn, "SELECT COUNT(*) FROM feed WHERE terminal IS NOT NULL").await;
        assert!(events > 0);
        assert_eq!(relayed, events);
        let misplaced = count(
            &mut conn,
            "SELECT COUNT(*) FROM feed r WHERE r.terminal IS NOT NULL
             AND r.seq < (SELECT MAX(c.seq) FROM feed c WHERE c.station = r.station AND c.terminal IS NULL)",
        )
        .await;
        assert_eq!(misplaced, 0);
    });
    drop(conn);

    // The appeal reads whole as before: its history with it.
    let out = county.run(&["show", storied.code.as_str(), "--json"]);
    assert!(out.status.success(), "{}", cli::printed(&out));
    let shown: serde_json::Value = serde_json::from_str(&cli::text(&out.stdout)).unwrap();
    let timeline: Vec<&str> = shown["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["note"].as_str().unwrap())
        .collect();
    assert_eq!(timeline, ["", "请加快", "再次督办"]);

    // The JSON keeps the old fields and adds the new.
    let lines = appeals(
        &county,
        &[
            "--json",
            "--sort",
            "registered",
            "--desc",
            "--page",
            "1",
            "--size",
            "1",
        ],
    );
    let newest = held
        .iter()
        .map(|(_, a)| a)
        .max_by_key(|a| (a.registered_at, a.code.clone()))
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
    assert_eq!(lines.len(), 1);
    assert_eq!(v["code"], newest.code.as_str());
    for field in [
        "station",
        "status",
        "status_label",
        "category",
        "category_label",
        "title",
        "unit",
        "deadline",
        "round",
    ] {
        assert!(v.get(field).is_some(), "{field} kept: {v}");
    }
    let station = held
        .iter()
        .find(|(_, a)| a.code == newest.code)
        .unwrap()
        .0
        .clone();
    let name = STATIONS.iter().find(|(c, _)| *c == station).unwrap().1;
    assert_eq!(v["station_name"], name);
    assert_eq!(v["registered_at"], newest.registered_at.to_rfc3339());
    assert!(v["title"].as_str().unwrap().contains("138****"), "masked: {v}");

    // Filters, on the filled columns.
    let want = |f: &dyn Fn(&Appeal) -> bool| codes_where(&held, f);
    let overdue =
        want(&|a| a.status.awaits_unit() && a.deadline.is_some_and(|d| d < chrono::Utc::now().date_naive()));
    assert_eq!(json_codes(&county, &["--overdue"]), overdue);
    assert_eq!(
        json_codes(&county, &["--status", "办理中", "--unit", UNITS[2]]),
        want(&|a| a.status == Status::InProgress && a.unit.as_deref() == Some(UNITS[2]))
    );
    assert_eq!(json_codes(&county, &["--reopened"]), want(&|a| a.round > 0));
    assert_eq!(
        json_codes(&county, &["--from", "2026-10-20", "--to", "2026-11-05"]),
        want(&|a| {
            let d = a.registered_at.date_naive();
            d >= NaiveDate::from_ymd_opt(2026, 10, 20).unwrap()
                && d <= NaiveDate::from_ymd_opt(2026, 11, 5).unwrap()
        })
    );
    // Searched: the index built from the old rows finds Chinese
    // substrings long and short; any spelling of a code finds it.
    let has = |t: &'static str| move |a: &Appeal| a.title.contains(t) || a.content.contains(t);
    for text in ["小区停车难", "学校门口", "垃圾"] {
        let w = want(&has(text));
        assert!(!w.is_empty(), "{text}");
        assert_eq!(json_codes(&county, &["--search", text]), w, "{text}");
    }
    let one = &held[3].1.code;
    assert_eq!(
        json_codes(&county, &["--search", &one.digits()]),
        [one.to_string()]
    );
    // A code with a typo is said to be one.
    let mut typo = one.digits();
    let last = typo.pop().unwrap();
    typo.push(if last == '0' { '1' } else { '0' });
    let out = county.run(&["appeals", "--search", &typo]);
    assert_eq!(out.status.code(), Some(2), "{}", cli::printed(&out));
    assert!(cli::printed(&out).contains("校验位"), "{}", cli::printed(&out));

    // For people: a header, the rows, a count; a page of a given size.
    let lines = appeals(&county, &["--sort", "deadline", "--page", "2", "--size", "15"]);
    assert!(lines[0].starts_with("查询码\t站点\t登记时间"), "{}", lines[0]);
    assert_eq!(lines.len(), 1 + 15 + 1);
    assert_eq!(lines[16], "共 40 条，第 2/3 页，每页 15 条");
    let row: Vec<&str> = lines[1].split('\t').collect();
    assert_eq!(row.len(), 9, "{}", lines[1]);
    assert!(STATIONS.iter().any(|(_, n)| *n == row[1]), "{}", lines[1]);
    let all = appeals(&county, &["--lang", "en"]);
    assert_eq!(all.len(), 1 + 40 + 1);
    assert!(all[0].starts_with("code\tstation\tregistered"), "{}", all[0]);
    assert_eq!(all[41], "40 appeals");
    let out = county.run(&["appeals", "--sort", "colour"]);
    assert_eq!(out.status.code(), Some(2), "{}", cli::printed(&out));
    assert!(
        cli::printed(&out).contains("days_overdue"),
        "{}",
        cli::printed(&out)
    );
}

#[test]
fn an_older_sqlite_county_upgrades_in_place() {
    upgraded_in_place(None);
}

#[test]
fn an_older_postgres_county_upgrades_in_place() {
    upgraded_in_place(Some(postgres::shared().url("queue_upgrade")));
}
