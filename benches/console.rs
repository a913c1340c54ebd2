//! `cargo bench --bench console`: the console's work queue on a county of
//! 100,000 appeals on SQLite and of 1,000,000 appeals from 2,000 stations
//! on PostgreSQL, timed on the server's side (`county::queue::page`
//! called directly): the first page, a filtered page (status, unit,
//! overdue), a deep page (page 2,000 at 50 a page) and a Chinese
//! substring search of two characters and of four, each with its count;
//! beside the floor of the same database in the same run (one appeal
//! read by its code). Median and p99 of 30 runs each. Not a timed test:
//! it prints figures and asserts nothing on time.
//!
//! The rows are made by the database itself (a recursive CTE on SQLite,
//! `generate_series` on PostgreSQL) from small word lists: titles and
//! contents in Chinese, registrations over two years, 40 units, statuses
//! mixed. PostgreSQL runs in a temporary directory (the tests' helper);
//! its database is made with LC_CTYPE C.utf8, so that pg_trgm reads
//! Chinese characters. `JIEDAI_BENCH_APPEALS=N` scales both counties to N
//! appeals (and the PostgreSQL one's stations with it) for a quick run.

#[path = "../tests/it/support/postgres.rs"]
mod postgres;

use std::time::Instant;

use chrono::NaiveDate;
use jiedai::county::db::{Db, Kind};
use jiedai::county::queue::{self, QueueFilter, Scope, Sort};
use jiedai::domain::Status;
use sqlx::Row;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

const RUNS: usize = 30;
const SIZE: u32 = 50;
const DEEP: u32 = 2_000;
/// Days of registrations, ending the day before `TODAY`.
const DAYS: u32 = 730;

const WORDS: [&str; 24] = [
    "路灯不亮",
    "小区停车难",
    "学校门口拥堵",
    "夜间施工噪音扰民",
    "老旧小区加装电梯",
    "河道垃圾清理",
    "农村道路破损",
    "雨后路面积水",
    "菜市场占道经营",
    "养老服务中心床位紧张",
    "医保报销流程繁琐",
    "公交班次太少",
    "自来水水压不足",
    "垃圾分类设施不足",
    "广场舞音量过大",
    "物业费收取不透明",
    "农田灌溉渠堵塞",
    "背街小巷照明不足",
    "校外培训收费过高",
    "餐馆油烟扰民",
    "违章搭建影响通行",
    "社区卫生站缺医生",
    "快递车辆乱停放",
    "燃气管道老化",
];

const UNITS: [&str; 40] = [
    "青禾县住房和城乡建设局",
    "青禾县交通运输局",
    "青禾县自然资源局",
    "青禾县生态环境分局",
    "青禾县水利局",
    "青禾县农业农村局",
    "青禾县教育局",
    "青禾县卫生健康局",
    "青禾县医疗保障局",
    "青禾县民政局",
    "青禾县人力资源和社会保障局",
    "青禾县市场监督管理局",
    "青禾县城市管理局",
    "青禾县公安局",
    "青禾县应急管理局",
    "青禾县文化和旅游局",
    "青禾县商务局",
    "青禾县财政局",
    "青禾县供电公司",
    "青禾县自来水公司",
    "青禾县燃气公司",
    "青禾县公交公司",
    "青禾县人民法院",
    "青禾县司法局",
    "城关街道办事处",
    "东城街道办事处",
    "西城街道办事处",
    "白沙镇人民政府",
    "青石镇人民政府",
    "柳岸镇人民政府",
    "河口镇人民政府",
    "南山镇人民政府",
    "北坪镇人民政府",
    "东溪乡人民政府",
    "西岭乡人民政府",
    "桃源乡人民政府",
    "青禾县退役军人事务局",
    "青禾县残疾人联合会",
    "青禾县妇女联合会",
    "青禾县总工会",
];

const ROADS: [&str; 8] = [
    "建设路",
    "人民路",
    "解放路",
    "幸福路",
    "青禾大道",
    "滨河路",
    "中山路",
    "新华街",
];

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 1).expect("a date")
}

fn main() {
    if let Err(e) = run() {
        eprintln!("console bench: {e}");
        std::process::exit(1);
    }
}

fn scale(default: u64) -> u64 {
    std::env::var("JIEDAI_BENCH_APPEALS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn run() -> Res<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let lite_n = scale(100_000);
    let pg_n = scale(1_000_000);
    let target = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target");
    std::fs::create_dir_all(&target)?;
    let dir = tempfile::tempdir_in(&target)?;
    let mut report = Vec::new();
    runtime.block_on(async {
        let lite = Db::open(dir.path(), None).await?;
        let stations = (lite_n / 500).clamp(1, 200);
        report.extend(county("SQLite", &lite, lite_n, stations).await?);
        lite.pool.close().await;
        Res::Ok(())
    })?;
    let pg = postgres::Postgres::start();
    let admin = pg.url("bench_admin");
    runtime.block_on(async {
        sqlx::any::install_default_drivers();
        let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&admin).await?;
        sqlx::query(
            "CREATE DATABASE bench TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C.utf8'",
        )
        .execute(&mut conn)
        .await?;
        let url = admin.replacen("/bench_admin?", "/bench?", 1);
        let db = Db::open(dir.path(), Some(&url)).await?;
        let stations = (pg_n / 500).clamp(1, 2_000);
        report.extend(county("PostgreSQL", &db, pg_n, stations).await?);
        db.pool.close().await;
        Res::Ok(())
    })?;
    pg.stop();
    let text = report.join("\n");
    println!("\n{text}");
    std::fs::write(target.join("bench-console.txt"), format!("{text}\n"))?;
    Ok(())
}

/// Fills `db` with `n` appeals from `stations` stations and times the
/// queue on it; the report's lines.
async fn county(name: &str, db: &Db, n: u64, stations: u64) -> Res<Vec<String>> {
    let started = Instant::now();
    generate(db, n, stations).await?;
    let made = started.elapsed().as_secs_f64();
    let mut lines = vec![format!(
        "{name}: {n} appeals from {stations} stations, made in {made:.1} s"
    )];
    println!("{}", lines[0]);
    let some_code: String = sqlx::query("SELECT code FROM appeals ORDER BY code LIMIT 1 OFFSET $1")
        .bind((n / 2) as i64)
        .fetch_one(&db.pool)
        .await?
        .try_get(0)?;
    let newest = Sort::default();
    let all = QueueFilter::default();
    let filtered = QueueFilter {
        status: Some(Status::Referred),
        unit: Some(UNITS[5].to_string()),
        overdue: true,
        ..QueueFilter::default()
    };
    let text = |t: &str| QueueFilter {
        text: Some(t.to_string()),
        ..QueueFilter::default()
    };
    let deep = DEEP.min(((n as u32) / SIZE).max(1));
    let cases: Vec<(String, QueueFilter, u32)> = vec![
        ("first page".into(), all.clone(), 1),
        ("filtered page (referred, one unit, overdue)".into(), filtered, 1),
        (format!("deep page ({deep} at {SIZE} a page)"), all.clone(), deep),
        ("search of 2 characters (积水)".into(), text("积水"), 1),
        ("search of 4 characters (加装电梯)".into(), text("加装电梯"), 1),
        (
            "search of 6 characters (中山路118号)".into(),
            text("中山路118号"),
            1,
        ),
        // Nothing matches: a short text reads the whole table.
        ("search of 2 characters, no match (火箭)".into(), text("火箭"), 1),
    ];
    for (what, filter, page) in &cases {
        let mut times = Vec::with_capacity(RUNS);
        let mut found = (0, queue::Total::Exact(0));
        for _ in 0..RUNS {
            let t = Instant::now();
            // As the console asks: a search's count stops at
            // `queue::SEARCH_COUNT_CAP`.
            let (rows, total) =
                queue::search_page(db, &Scope::All, filter, newest, *page, SIZE, today()).await?;
            times.push(t.elapsed().as_secs_f64() * 1000.0);
            found = (rows.len(), total);
        }
        let line = format!(
            "  {what}: median {:.1} ms, p99 {:.1} ms ({} rows of {:?})",
            percentile(&mut times, 50),
            percentile(&mut times, 99),
            found.0,
            found.1
        );
        println!("{line}");
        lines.push(line);
    }
    // The dashboard's figures, county-wide (as the office and viewers see them).
    let mut times = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let t = Instant::now();
        let figures = jiedai::county::figures::dashboard(db, None, today()).await?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(figures.total, n);
    }
    let line = format!(
        "  dashboard figures (the county's): median {:.1} ms, p99 {:.1} ms",
        percentile(&mut times, 50),
        percentile(&mut times, 99)
    );
    println!("{line}");
    lines.push(line);
    let mut times = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let t = Instant::now();
        let _: String = sqlx::query("SELECT code FROM appeals WHERE code = $1")
            .bind(some_code.as_str())
            .fetch_one(&db.pool)
            .await?
            .try_get(0)?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let line = format!(
        "  floor (one appeal by its code): median {:.2} ms, p99 {:.2} ms",
        percentile(&mut times, 50),
        percentile(&mut times, 99)
    );
    println!("{line}");
    lines.push(line);
    Ok(lines)
}

fn percentile(times: &mut [f64], p: usize) -> f64 {
    times.sort_by(|a, b| a.total_cmp(b));
    let at = ((times.len() * p).div_ceil(100)).clamp(1, times.len()) - 1;
    times[at]
}

/// A word list as a table `(n, w)` the generating query joins by number.
async fn word_table(db: &Db, table: &str, words: &[&str]) -> Res<()> {
    sqlx::query(&format!(
        "CREATE TABLE {table} (n BIGINT PRIMARY KEY, w TEXT NOT NULL)"
    ))
    .execute(&db.pool)
    .await?;
    for (i, w) in words.iter().enumerate() {
        sqlx::query(&format!("INSERT INTO {table} (n, w) VALUES ($1, $2)"))
            .bind(i as i64)
            .bind(*w)
            .execute(&db.pool)
            .await?;
    }
    Ok(())
}

/// A number padded with zeros to a width, in SQL.
type Pad = fn(&str, usize) -> String;
/// An SQL expression made from another.
type Expression = fn(&str) -> String;

/// The county's stations and appeals, made by the database.
async fn generate(db: &Db, n: u64, stations: u64) -> Res<()> {
    word_table(db, "bench_words", &WORDS).await?;
    word_table(db, "bench_units", &UNITS).await?;
    word_table(db, "bench_roads", &ROADS).await?;
    let statuses: Vec<&str> = Status::ALL.iter().map(|s| s.code()).collect();
    word_table(db, "bench_statuses", &statuses).await?;
    let categories: Vec<&str> = jiedai::domain::Category::ALL.iter().map(|c| c.code()).collect();
    word_table(db, "bench_categories", &categories).await?;
    let satisfactions: Vec<&str> = jiedai::domain::Satisfaction::ALL
        .iter()
        .map(|s| s.code())
        .collect();
    word_table(db, "bench_ratings", &satisfactions).await?;

    // Dialect: numbers padded with zeros, a day `d` days after the first.
    let (series, pad, day, yymmdd): (String, Pad, Expression, Expression) = match db.kind {
        Kind::Sqlite => (
            format!(
                "WITH RECURSIVE g(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM g WHERE i < {}) ",
                n - 1
            ),
            |e, w| format!("printf('%0{w}d', {e})"),
            |d| format!("date('2024-12-01', '+' || ({d}) || ' days')"),
            |d| format!("substr(strftime('%Y%m%d', {d}), 3)"),
        ),
        Kind::Postgres => (
            format!("WITH g(i) AS (SELECT generate_series(0, {})::BIGINT) ", n - 1),
            |e, w| format!("lpad(({e})::TEXT, {w}, '0')"),
            |d| format!("(DATE '2024-12-01' + ({d})::INT)::TEXT"),
            |d| format!("to_char(({d})::DATE, 'YYMMDD')"),
        ),
    };
    let mut tx = db.pool.begin().await?;
    sqlx::query(&format!(
        "{series} INSERT INTO stations (code, name, public_key, enrolled_at)
         SELECT '33' || {}, '青禾县第' || (i + 1) || '代表联络站', 'key', '2024-11-01T09:00:00+08:00'
         FROM g WHERE i < {stations}",
        pad("i", 7)
    ))
    .execute(&mut *tx)
    .await?;
    let nw = WORDS.len();
    let ns = Status::ALL.len();
    let nc = jiedai::domain::Category::ALL.len();
    // Per row: its station, its day (two years), its sequence that day;
    // its status (mostly replied or closed, a third awaiting a unit).
    let sql = format!(
        "{series}, r AS (
           SELECT i, i % {stations} AS st, (i / {stations}) % {DAYS} AS d, i / ({stations} * {DAYS}) + 1 AS seq,
             CASE WHEN (i * 37) % 100 < 5 THEN 0 WHEN (i * 37) % 100 < 10 THEN 1
                  WHEN (i * 37) % 100 < 25 THEN 2 WHEN (i * 37) % 100 < 40 THEN 3
                  WHEN (i * 37) % 100 < 60 THEN 4 ELSE 5 END AS s
           FROM g),
         x AS (
           SELECT r.*, {day} AS day, '33' || {station} AS station,
             {yymmdd} || '-33' || {station} || '-1' || {seq} || '-0' AS code,
             t.w AS title, c1.w || '，' || c2.w || '，请尽快解决。' AS content,
             '青禾县' || rd.w || ((i * 7) % 300) || '号' AS location,
             CASE WHEN s >= 2 THEN u.w END AS unit, st_.w AS status, cat.w AS category
           FROM r
           JOIN bench_words t ON t.n = (i * 7) % {nw}
           JOIN bench_words c1 ON c1.n = (i * 11) % {nw}
           JOIN bench_words c2 ON c2.n = (i * 17 + 5) % {nw}
           JOIN bench_roads rd ON rd.n = i % 8
           JOIN bench_units u ON u.n = (i * 3) % 40
           JOIN bench_statuses st_ ON st_.n = r.s % {ns}
           JOIN bench_categories cat ON cat.n = (i * 13) % {nc})
         INSERT INTO appeals (code, station, status, category, access_key, state, updated_at,
           registered_at, registered_on, title, unit, deadline, round, chases, satisfaction,
           deputies, reopened, replied_on, closed_on, search)
         SELECT code, station, status, category, 'k' || i, '{{}}', day || 'T10:00:00+08:00',
           day || 'T' || {hour} || ':' || {minute} || ':00+08:00', day, title, unit,
           CASE WHEN s >= 2 THEN {deadline} END, CASE WHEN i % 10 = 0 THEN 1 ELSE 0 END, i % 3,
           CASE WHEN s = 5 THEN (SELECT w FROM bench_ratings WHERE n = i % 4) END,
           ',D' || {deputy} || ',', CASE WHEN i % 10 = 0 THEN 1 ELSE 0 END,
           CASE WHEN s >= 4 THEN {replied} END, CASE WHEN s = 5 THEN {replied} END,
           code || {nl} || title || {nl} || content || {nl} || location || {nl}
             || COALESCE(unit, '') || {nl} || CASE WHEN s >= 4 THEN '已办理并答复。' ELSE '' END
         FROM x",
        day = day("d"),
        station = pad("st", 7),
        yymmdd = yymmdd(&day("d")),
        seq = pad("seq", 4),
        hour = pad("8 + i % 10", 2),
        minute = pad("i % 60", 2),
        deadline = day("d + 30"),
        replied = day("d + 20"),
        deputy = pad("i % 50", 3),
        nl = "'\n'",
    );
    sqlx::query(&sql).execute(&mut *tx).await?;
    tx.commit().await?;
    for table in [
        "bench_words",
        "bench_units",
        "bench_roads",
        "bench_statuses",
        "bench_categories",
        "bench_ratings",
    ] {
        sqlx::query(&format!("DROP TABLE {table}"))
            .execute(&db.pool)
            .await?;
    }
    let analyse = match db.kind {
        Kind::Sqlite => "ANALYZE",
        Kind::Postgres => "VACUUM ANALYZE appeals",
    };
    sqlx::query(analyse).execute(&db.pool).await?;
    Ok(())
}
