//! `jiedai county …`: the county office's server and staff commands. They
//! share one database (the server and a staff command may run at once:
//! every write is a transaction that takes the station's lock first).

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use axum_server::tls_rustls::RustlsConfig;
use chrono::NaiveDate;

use super::{exit, out, say};
use crate::cli::{AppealsArgs, CountyWhat, Format};
use crate::county::appeals;
use crate::county::db::Db;
use crate::county::enroll::{self as enrollment, EnrollRefusal, Enrollment};
use crate::county::queue::{self, Query, QueueFilter, Scope, Sort, SortKey};
use crate::county::server::{self, Server};
use crate::county::staff::{self, StepOutcome};
use crate::county::{self as county_mod, CountyError};
use crate::domain::{Category, Status, Step, Zone};
use crate::i18n::Lang;

pub fn run(dir: &Path, db: Option<&str>, asked: Option<Zone>, what: &CountyWhat, lang: Lang) -> ExitCode {
    if let Err(code) = county_here(dir, db, what, lang) {
        return code;
    }
    super::init_logging(dir, false);
    // A certificate or key that cannot be used stops the server before
    // anything is opened or served.
    let tls = match what {
        CountyWhat::Serve {
            tls_cert: Some(cert),
            tls_key: Some(key),
            ..
        } => match server::tls_config(cert, key) {
            Ok(c) => Some(c),
            Err(e) => return fail(&e, lang),
        },
        _ => None,
    };
    let runtime = match what {
        CountyWhat::Serve { .. } => tokio::runtime::Builder::new_multi_thread().enable_all().build(),
        _ => tokio::runtime::Builder::new_current_thread().enable_all().build(),
    };
    let runtime = match runtime {
        Ok(r) => r,
        Err(e) => return fail(&CountyError::io(dir, e), lang),
    };
    runtime.block_on(async move {
        let db = match Db::open(dir, db).await {
            Ok(d) => d,
            Err(e) => return fail(&e, lang),
        };
        let serving = matches!(what, CountyWhat::Serve { .. });
        match county_zone(&db, asked, serving, lang).await {
            Ok(zone) => county_mod::set_zone(zone),
            Err(code) => {
                db.pool.close().await;
                return code;
            }
        }
        let code = match what {
            CountyWhat::Serve {
                listen, allow_probe, ..
            } => serve(dir, db.clone(), listen, *allow_probe, tls, lang).await,
            CountyWhat::Enroll {
                station,
                name,
                out,
                url,
                ca,
                replace,
            } => {
                let asked = Enrollment {
                    station,
                    name,
                    file: out,
                    url,
                    ca: ca.as_deref(),
                    replace: *replace,
                };
                enroll(dir, &db, asked, lang).await
            }
            CountyWhat::Appeals(asked) => appeals(&db, asked, lang).await,
            CountyWhat::Accept { code, actor } => step(&db, code, Step::Accept, actor, lang).await,
            CountyWhat::Refer {
                code,
                unit,
                due,
                actor,
            } => {
                let Ok(deadline) = NaiveDate::parse_from_str(due.trim(), "%Y-%m-%d") else {
                    say(format_args!(
                        "jiedai: {}",
                        lang.pick(
                            format!("--due {due}：期限应为 YYYY-MM-DD 格式的日期"),
                            format!("--due {due}: the deadline is a date, YYYY-MM-DD"),
                        )
                    ));
                    db.pool.close().await;
                    return ExitCode::from(exit::UNREADABLE);
                };
                let refer = Step::Refer {
                    unit: unit.trim().to_string(),
                    deadline,
                };
                step(&db, code, refer, actor, lang).await
            }
            CountyWhat::Reply { code, text, actor } => {
                let reply = Step::Reply {
                    reply: text.trim().to_string(),
                };
                step(&db, code, reply, actor, lang).await
            }
            CountyWhat::Close { code, actor } => step(&db, code, Step::Close, actor, lang).await,
            CountyWhat::Export { format, out } => export_appeals(&db, *format, out.as_deref(), lang).await,
        };
        db.pool.close().await;
        code
    })
}

/// `serve` sets a county up in a directory that exists (empty for a new
/// county: it is made on purpose, never from a mistyped `--data`); every
/// other county command needs the county `serve` set up there.
fn county_here(dir: &Path, db: Option<&str>, what: &CountyWhat, lang: Lang) -> Result<(), ExitCode> {
    let shown = dir.display();
    if !dir.is_dir() {
        say(format_args!(
            "jiedai: {}",
            lang.pick(
                format!(
                    "县里的数据目录 {shown} 不存在。请检查 --data 是否写对；新建县里的服务器时先建好这个目录（`mkdir -p {shown}`），再运行 `jiedai --data {shown} county serve`。"
                ),
                format!(
                    "the county's data directory {shown} does not exist. Check that --data is spelled right; for a new county server create it first (`mkdir -p {shown}`), then run `jiedai --data {shown} county serve`."
                ),
            )
        ));
        return Err(ExitCode::from(exit::FAILED));
    }
    let paths = county_mod::CountyPaths::new(dir);
    let set_up = paths.server_key().exists() || (db.is_none() && paths.db().exists());
    if !set_up && !matches!(what, CountyWhat::Serve { .. }) {
        say(format_args!(
            "jiedai: {}",
            lang.pick(
                format!(
                    "数据目录 {shown} 中没有县里的服务器。请检查 --data 是否写对；新建县里的服务器请先运行 `jiedai --data {shown} county serve`。"
                ),
                format!(
                    "the data directory {shown} holds no county server. Check that --data is spelled right; to set up a new county run `jiedai --data {shown} county serve` first."
                ),
            )
        ));
        return Err(ExitCode::from(exit::FAILED));
    }
    Ok(())
}

/// The county's zone, kept in its database: `serve` records the one it is
/// given (Asia/Shanghai for a county that has none), changing the one
/// kept; every other command uses the one kept, and refuses another
/// `--time-zone`. A county set up by an older version, with no zone kept,
/// uses `--time-zone` (or the default) until `serve` records one.
async fn county_zone(db: &Db, asked: Option<Zone>, serving: bool, lang: Lang) -> Result<Zone, ExitCode> {
    let kept = match db.time_zone().await {
        Ok(kept) => kept,
        Err(e) => return Err(fail(&e, lang)),
    };
    let kept = match kept
        .map(|name| {
            Zone::parse(
                &name,
                lang.pick("县里记录的时区", "the county's recorded time zone"),
            )
        })
        .transpose()
    {
        Ok(kept) => kept,
        Err(e) => {
            say(format_args!("jiedai: {}", e.message(lang)));
            return Err(ExitCode::from(exit::FAILED));
        }
    };
    if serving {
        let zone = asked.or(kept).unwrap_or_default();
        if kept != Some(zone) {
            if let Err(e) = db.set_time_zone(zone.name()).await {
                return Err(fail(&e, lang));
            }
            match kept {
                Some(old) => log::warn!(
                    "the county's time zone changed from {} to {}",
                    old.name(),
                    zone.name()
                ),
                None => log::info!("the county's time zone is {}", zone.name()),
            }
        }
        return Ok(zone);
    }
    match (kept, asked) {
        (Some(kept), Some(asked)) if kept != asked => {
            let (kept, asked) = (kept.name(), asked.name());
            say(format_args!(
                "jiedai: {}",
                lang.pick(
                    format!(
                        "--time-zone {asked}：县里的时区是 {kept}（由 `county serve` 记入县里的数据库），本命令未执行。不写 --time-zone 即用 {kept}；要把县里的时区改为 {asked}，请以 `jiedai county serve --time-zone {asked}` 重新启动服务器。"
                    ),
                    format!(
                        "--time-zone {asked}: the county's time zone is {kept} (recorded in its database by `county serve`); nothing was done. Leave --time-zone out to use {kept}; to change the county's zone to {asked}, restart the server with `jiedai county serve --time-zone {asked}`."
                    ),
                )
            ));
            Err(ExitCode::from(exit::UNREADABLE))
        }
        (Some(kept), _) => Ok(kept),
        (None, asked) => Ok(asked.unwrap_or_default()),
    }
}

fn fail(e: &CountyError, lang: Lang) -> ExitCode {
    // The whole story, with the system's words, for the log.
    log::error!("county: {}", e.message(Lang::En));
    say(format_args!("jiedai: {}", e.message(lang)));
    ExitCode::from(exit::FAILED)
}

async fn serve(
    dir: &Path,
    db: Db,
    listen: &str,
    allow_probe: bool,
    tls: Option<RustlsConfig>,
    lang: Lang,
) -> ExitCode {
    let key = match county_mod::server_key(dir) {
        Ok(k) => k,
        Err(e) => return fail(&e, lang),
    };
    let server = Server { db, key, allow_probe };
    let scheme = if tls.is_some() { "https" } else { "http" };
    let bound = |addr: std::net::SocketAddr| {
        out(lang.pick(
            format!("县里的服务器已启动，地址 {scheme}://{addr}"),
            format!("county server listening on {scheme}://{addr}"),
        ));
        let _ = std::io::stdout().flush();
    };
    match server::serve(server, listen, tls, bound, server::shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => fail(&e, lang),
    }
}

async fn enroll(dir: &Path, db: &Db, asked: Enrollment<'_>, lang: Lang) -> ExitCode {
    let refused = |refusal: EnrollRefusal| {
        if let EnrollRefusal::County(e) = &refusal {
            return fail(e, lang);
        }
        say(format_args!("jiedai: {}", refusal.message(lang)));
        ExitCode::from(if refusal.is_bad_argument() {
            exit::UNREADABLE
        } else {
            exit::FAILED
        })
    };
    if let Err(refusal) = enrollment::check(&asked) {
        return refused(refusal);
    }
    let ca = match asked.ca.map(|path| read_ca(path, lang)).transpose() {
        Ok(ca) => ca,
        Err(code) => return code,
    };
    let creds = match enrollment::enroll(dir, db, &asked, ca).await {
        Ok(creds) => creds,
        Err(refusal) => return refused(refusal),
    };
    let (station, name, file) = (creds.station.as_str(), creds.name.as_str(), asked.file);
    out(lang.pick(
        format!(
            "已登记站点 {station}（{name}），凭据已写入 {}。请把该文件安全地交给站点，在站点终端上运行 jiedai enroll 文件；文件含密钥，切勿外传。",
            file.display()
        ),
        format!(
            "station {station} ({name}) enrolled; credentials written to {}. Hand the file to the station securely and run `jiedai enroll FILE` on its terminal; it holds a secret key.",
            file.display()
        ),
    ));
    // The station's QR codes open this server's pages under its code.
    let public = format!("{}/{station}", creds.server);
    out(lang.pick(
        format!(
            "站点文件中的 public_url 应为本服务器的公开网址加上站点代码，例如 \"{public}\"（市民的手机经另一个地址访问本服务器时，用那个地址）。"
        ),
        format!(
            "The station file's public_url is this server's public address followed by the station's code, e.g. \"{public}\" (the address citizens' phones reach this server by, if it differs)."
        ),
    ));
    ExitCode::SUCCESS
}

/// The PEM text of `--ca`, checked: certificates.
fn read_ca(path: &Path, lang: Lang) -> Result<String, ExitCode> {
    let text = std::fs::read_to_string(path).map_err(|e| fail(&CountyError::io(path, e), lang))?;
    if let Err(detail) = crate::sync::tls::trusted_roots(&text) {
        say(format_args!(
            "jiedai: {}",
            lang.pick(
                format!("--ca {}：不是可用的 PEM 证书文件（{detail}）", path.display()),
                format!(
                    "--ca {}: not a usable PEM certificate file ({detail})",
                    path.display()
                ),
            )
        ));
        return Err(ExitCode::from(exit::UNREADABLE));
    }
    Ok(text)
}

/// An option's value that does not read as what it names: said, with
/// what it may be, and the exit status for it.
fn unreadable(option: &str, value: &str, zh: &str, en: &str, lang: Lang) -> ExitCode {
    say(format_args!(
        "jiedai: {option} {value}{}{}",
        lang.pick("：", ": "),
        lang.pick(zh, en)
    ));
    ExitCode::from(exit::UNREADABLE)
}

/// `county appeals`: the work queue for the shell (`county::queue`), a
/// header, one line an appeal and a count; or one JSON object a line.
async fn appeals(db: &Db, asked: &AppealsArgs, lang: Lang) -> ExitCode {
    let AppealsArgs {
        station,
        status,
        category,
        unit,
        deputy,
        overdue,
        due_within,
        reopened,
        from,
        to,
        search,
        sort,
        desc,
        page,
        size,
        json,
    } = asked;
    let mut filter = QueueFilter {
        station: station.clone(),
        unit: unit.clone(),
        deputy: deputy.clone(),
        overdue: *overdue,
        due_within: *due_within,
        reopened: *reopened,
        ..QueueFilter::default()
    };
    if let Some(s) = status {
        let Some(s) = Status::parse(s) else {
            let known = Status::known(lang);
            return unreadable(
                "--status",
                s,
                &format!("没有这个状态，可用：{known}"),
                &format!("no such status; one of: {known}"),
                lang,
            );
        };
        filter.status = Some(s);
    }
    if let Some(c) = category {
        let Some(c) = Category::parse(c) else {
            let known = Category::known(lang);
            return unreadable(
                "--category",
                c,
                &format!("没有这个类别，可用：{known}"),
                &format!("no such category; one of: {known}"),
                lang,
            );
        };
        filter.category = Some(c);
    }
    for (option, given, day) in [
        ("--from", from, &mut filter.registered_from),
        ("--to", to, &mut filter.registered_to),
    ] {
        if let Some(text) = given {
            let Ok(d) = NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d") else {
                return unreadable(
                    option,
                    text,
                    "应为 YYYY-MM-DD 格式的日期",
                    "a date, YYYY-MM-DD",
                    lang,
                );
            };
            *day = Some(d);
        }
    }
    if let Some(text) = search {
        filter.text = match queue::parse_query(text) {
            // Any spelling of a code finds it as the appeals hold it.
            Query::Code(code) => Some(code.to_string()),
            Query::Typo { given, error } => {
                say(format_args!(
                    "jiedai: {given}{}{}",
                    lang.pick("：", ": "),
                    error.message(lang)
                ));
                return ExitCode::from(exit::UNREADABLE);
            }
            Query::Text(t) => Some(t).filter(|t| !t.is_empty()),
        };
    }
    let Some(key) = SortKey::parse(sort) else {
        let known = SortKey::ALL
            .iter()
            .map(|k| k.code())
            .collect::<Vec<_>>()
            .join(", ");
        return unreadable(
            "--sort",
            sort,
            &format!("不能按此排序，可用：{known}"),
            &format!("no such sort key; one of: {known}"),
            lang,
        );
    };
    let sort = Sort { key, desc: *desc };
    if *size == Some(0) || *page == Some(0) || size.is_some_and(|s| s > queue::MAX_SIZE) {
        let max = queue::MAX_SIZE;
        return unreadable(
            "--page/--size",
            "0",
            &format!("页码从 1 起，每页 1 到 {max} 条"),
            &format!("pages count from 1, a page holds 1 to {max} rows"),
            lang,
        );
    }
    let zone = county_mod::zone();
    let today = zone.today();
    // One page when asked for, else every page.
    let (size, pages) = match (page, size) {
        (None, None) => (queue::MAX_SIZE, None),
        (page, size) => (size.unwrap_or(50), Some(page.unwrap_or(1))),
    };
    let header = lang.pick(
        "查询码\t站点\t登记时间\t类别\t标题\t状态\t承办单位\t期限\t超期天数",
        "code\tstation\tregistered\tcategory\ttitle\tstatus\tunit\tdeadline\tdays overdue",
    );
    if !*json && !out(header) {
        return ExitCode::SUCCESS;
    }
    let mut number = pages.unwrap_or(1);
    let mut shown = 0u64;
    let total = loop {
        let (rows, total) = match queue::page(db, &Scope::All, &filter, sort, number, size, today).await {
            Ok(found) => found,
            Err(e) => return fail(&e, lang),
        };
        for r in &rows {
            let line = if *json {
                serde_json::json!({
                    "code": r.code,
                    "station": r.station,
                    "station_name": r.station_name,
                    "registered_at": zone.local(&r.registered_at).to_rfc3339(),
                    "status": r.status.code(),
                    "status_label": r.status.label(lang),
                    "category": r.category.code(),
                    "category_label": r.category.label(lang),
                    "title": r.title,
                    "unit": r.unit,
                    "deadline": r.deadline,
                    "days_overdue": r.days_overdue,
                    "round": r.round,
                    "chases": r.chases,
                    "satisfaction": r.satisfaction.map(|s| s.code()),
                })
                .to_string()
            } else {
                let cell = |t: &str| t.replace(['\t', '\n', '\r'], " ");
                format!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    r.code,
                    cell(&r.station_name),
                    zone.show(&r.registered_at),
                    r.category.label(lang),
                    cell(&r.title),
                    r.status.label(lang),
                    cell(r.unit.as_deref().unwrap_or("")),
                    r.deadline.map(|d| d.to_string()).unwrap_or_default(),
                    r.days_overdue
                        .filter(|d| *d > 0)
                        .map(|d| d.to_string())
                        .unwrap_or_default(),
                )
            };
            if !out(line) {
                return ExitCode::SUCCESS;
            }
        }
        shown += rows.len() as u64;
        if pages.is_some() || rows.is_empty() || shown >= total {
            break total;
        }
        number += 1;
    };
    let count = match pages {
        None => lang.pick(format!("共 {total} 条"), format!("{total} appeals")),
        Some(n) => {
            let last = total.div_ceil(u64::from(size)).max(1);
            lang.pick(
                format!("共 {total} 条，第 {n}/{last} 页，每页 {size} 条"),
                format!("{total} appeals, page {n} of {last}, {size} a page"),
            )
        }
    };
    if *json {
        say(count);
    } else {
        out(count);
    }
    ExitCode::SUCCESS
}

async fn step(db: &Db, code: &str, step: Step, actor: &str, lang: Lang) -> ExitCode {
    // A mistyped digit is said as such, with the check digit it implies.
    if let Err(e @ crate::domain::code::CodeError::Check { .. }) = code.parse::<crate::domain::TrackingCode>()
    {
        say(format_args!(
            "jiedai: {code}{}{}",
            lang.pick("：", ": "),
            e.message(lang)
        ));
        return ExitCode::from(exit::UNREADABLE);
    }
    let kind = step.kind();
    match staff::step(db, code, step, actor.trim()).await {
        Ok(StepOutcome::Done { appeal, seq }) => {
            out(lang.pick(
                format!(
                    "{}：{}，现为“{}”。站点下次同步时取回（县里第 {seq} 号事件）。",
                    kind.label(lang),
                    appeal.code,
                    appeal.status.label(lang)
                ),
                format!(
                    "{}: {}, now {}. The station takes it at its next sync (county event {seq}).",
                    kind.label(lang),
                    appeal.code,
                    appeal.status.label(lang)
                ),
            ));
            ExitCode::SUCCESS
        }
        Ok(StepOutcome::Refused(refusal)) => {
            say(format_args!("jiedai: {}", refusal.message(lang)));
            ExitCode::from(exit::FAILED)
        }
        Ok(StepOutcome::NotHeld(code)) => {
            say(format_args!(
                "jiedai: {}",
                lang.pick(
                    format!("县里没有查询码为 {code} 的诉求（站点还没有同步上来？）"),
                    format!("the county holds no appeal {code} (has the station synced it?)"),
                )
            ));
            ExitCode::from(exit::FAILED)
        }
        Err(e) => fail(&e, lang),
    }
}

async fn export_appeals(db: &Db, format: Format, target: Option<&Path>, lang: Lang) -> ExitCode {
    if let Err(code) = super::export::check_target(format, target, lang) {
        return code;
    }
    let appeals: Vec<_> = match appeals::exported(db).await {
        // Every text masked as on the public page, every time in the
        // county's zone.
        Ok(a) => a
            .iter()
            .map(|a| crate::transfer::export::in_zone(a, county_mod::zone()))
            .collect(),
        Err(e) => return fail(&e, lang),
    };
    super::export::write_appeals(&appeals, format, target, lang)
}
