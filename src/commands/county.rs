//! `jiedai county …`: the county office's server and staff commands. They
//! share one database (the server and a staff command may run at once:
//! every write is a transaction that takes the station's lock first).

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use axum_server::tls_rustls::RustlsConfig;
use chrono::NaiveDate;

use super::{exit, out, say};
use crate::cli::{AppealsArgs, CountyWhat, Format, UnitWhat};
use crate::county::appeals;
use crate::county::db::{Db, HeldAppeal};
use crate::county::enroll::{self as enrollment, EnrollRefusal, Enrollment};
use crate::county::queue::{self, Query, QueueFilter, Scope, Sort, SortKey};
use crate::county::readable::{self, ReadableError, SheetWriter, StreamError};
use crate::county::server::{self, Server};
use crate::county::staff::{self, StepOutcome};
use crate::county::units::{self, UnitProblem};
use crate::county::{self as county_mod, CountyError};
use crate::domain::calendar::Holidays;
use crate::domain::code::CodeError;
use crate::domain::privacy::public_appeal;
use crate::domain::{Category, Status, Step, TrackingCode, Zone};
use crate::i18n::Lang;

pub fn run(dir: &Path, db: Option<&str>, asked: Option<Zone>, what: &CountyWhat, lang: Lang) -> ExitCode {
    if let Err(code) = county_here(dir, db, what, lang) {
        return code;
    }
    // A holiday table that cannot be used stops `serve` before anything
    // is opened or recorded.
    let own_holidays = match what {
        CountyWhat::Serve {
            holidays: Some(path), ..
        } => match super::init::read_holidays(path) {
            Ok(text) => Some(text),
            Err(e) => {
                say(format_args!(
                    "jiedai: --holidays {}{}",
                    e.message(lang),
                    lang.pick("。未做任何改动。", "; nothing was changed.")
                ));
                return ExitCode::from(exit::UNREADABLE);
            }
        },
        _ => None,
    };
    super::init_county_logging(dir, matches!(what, CountyWhat::Serve { .. }));
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
        match county_holidays(&db, own_holidays.as_deref(), lang).await {
            Ok(table) => county_mod::set_holidays(table),
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
            CountyWhat::Accept { code, actor } => step(&db, code, Step::Accept, "", actor, lang).await,
            CountyWhat::Refer(r) | CountyWhat::Rerefer(r) => {
                let due = match (&r.due, r.working_days) {
                    (_, Some(n)) => Due::WorkingDays(n),
                    (Some(day), None) => Due::Day(day),
                    (None, None) => Due::Day(""),
                };
                match referral(&db, &r.code, &r.unit, due, lang).await {
                    Ok((unit, deadline)) => {
                        let step_taken = match what {
                            CountyWhat::Rerefer(_) => Step::Rerefer { unit, deadline },
                            _ => Step::Refer { unit, deadline },
                        };
                        step(&db, &r.code, step_taken, &r.note, &r.actor, lang).await
                    }
                    Err(exit) => exit,
                }
            }
            CountyWhat::Return { code, reason, actor } => {
                step(&db, code, Step::Return, reason, actor, lang).await
            }
            CountyWhat::Progress { code, text, actor } => {
                step(&db, code, Step::Progress, text, actor, lang).await
            }
            CountyWhat::Chase { code, note, actor } => step(&db, code, Step::Chase, note, actor, lang).await,
            CountyWhat::Extend {
                code,
                due,
                working_days,
                note,
                actor,
            } => {
                let deadline = match (due, working_days) {
                    (_, Some(n)) => extended_by(&db, code, *n, lang).await,
                    (Some(due), None) => day(due, lang),
                    (None, None) => day("", lang),
                };
                match deadline {
                    Ok(deadline) => step(&db, code, Step::Extend { deadline }, note, actor, lang).await,
                    Err(exit) => exit,
                }
            }
            CountyWhat::Reply {
                code,
                text,
                document,
                class,
                actor,
            } => {
                let class = match class.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
                    None => None,
                    Some(c) => match crate::domain::ReplyClass::parse(c) {
                        Some(class) => Some(class),
                        None => {
                            eprintln!(
                                "{}",
                                lang.pick(
                                    format!(
                                        "答复类别“{c}”不对：请用 A（已解决）、B（正在解决）、C（列入计划）或 D（因条件限制暂不能解决）"
                                    ),
                                    format!(
                                        "reply class \"{c}\" is not one of A (solved), B (being solved), C (planned), D (not possible for now)"
                                    ),
                                )
                            );
                            return ExitCode::from(2);
                        }
                    },
                };
                let reply = Step::Reply {
                    reply: text.trim().to_string(),
                    document: document
                        .as_deref()
                        .map(str::trim)
                        .filter(|d| !d.is_empty())
                        .map(str::to_string),
                    class,
                };
                step(&db, code, reply, "", actor, lang).await
            }
            CountyWhat::Close { code, actor } => step(&db, code, Step::Close, "", actor, lang).await,
            CountyWhat::Show { code, json } => show(&db, code, *json, lang).await,
            CountyWhat::Unit { what } => unit(&db, what, lang).await,
            CountyWhat::Export { format, out } => export_appeals(&db, *format, out.as_deref(), lang).await,
            CountyWhat::User { what } => super::county_users::run(&db, what, lang).await,
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
    let gate = match crate::county::server::Gate::new() {
        Ok(g) => g,
        Err(e) => return fail(&e, lang),
    };
    let server = Server {
        db,
        key,
        allow_probe,
        gate,
    };
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
    let line = |r: &queue::QueueRow| {
        if *json {
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
                "working_days_overdue": match r.late() {
                    Some(crate::domain::calendar::Lateness::WorkingDays(n)) => Some(n),
                    _ => None,
                },
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
                r.late().map(|late| late.count(lang)).unwrap_or_default(),
            )
        }
    };
    let total = match pages {
        // Every page: one query, each row written as it is read.
        None => {
            let mut open = true;
            let mut w = std::io::BufWriter::new(std::io::stdout().lock());
            let given = queue::each_row(db, &Scope::All, &filter, sort, today, |r| {
                open = writeln!(w, "{}", line(&r)).is_ok();
                Ok::<_, CountyError>(open)
            })
            .await;
            open = open && w.flush().is_ok();
            drop(w);
            match given {
                Ok(_) if !open => return ExitCode::SUCCESS,
                Ok(n) => n,
                Err(e) => return fail(&e, lang),
            }
        }
        Some(number) => {
            let (rows, total) = match queue::page(db, &Scope::All, &filter, sort, number, size, today).await {
                Ok(found) => found,
                Err(e) => return fail(&e, lang),
            };
            for r in &rows {
                if !out(line(r)) {
                    return ExitCode::SUCCESS;
                }
            }
            total
        }
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

/// A mistyped digit is said as such, with the check digit it implies.
fn typo(code: &str, lang: Lang) -> Result<(), ExitCode> {
    if let Err(e @ CodeError::Check { .. }) = code.parse::<TrackingCode>() {
        say(format_args!(
            "jiedai: {code}{}{}",
            lang.pick("：", ": "),
            e.message(lang)
        ));
        return Err(ExitCode::from(exit::UNREADABLE));
    }
    Ok(())
}

/// `--due`, a date.
fn day(due: &str, lang: Lang) -> Result<NaiveDate, ExitCode> {
    NaiveDate::parse_from_str(due.trim(), "%Y-%m-%d").map_err(|_| {
        say(format_args!(
            "jiedai: {}",
            lang.pick(
                format!("--due {due}：期限应为 YYYY-MM-DD 格式的日期"),
                format!("--due {due}: the deadline is a date, YYYY-MM-DD"),
            )
        ));
        ExitCode::from(exit::UNREADABLE)
    })
}

/// The county's holiday table: the shipped one with the county's own over
/// it. `serve --holidays` records its table (`own`, read already) in
/// place of the one kept; every command counts by the one kept.
async fn county_holidays(db: &Db, own: Option<&str>, lang: Lang) -> Result<Holidays, ExitCode> {
    if let Some(text) = own {
        if let Err(e) = db.set_holidays(text).await {
            return Err(fail(&e, lang));
        }
        log::info!("the county's own holiday table is recorded");
    }
    let kept = match own {
        Some(text) => Some(text.to_string()),
        None => db.holidays().await.map_err(|e| fail(&e, lang))?,
    };
    Holidays::shipped_with(kept.as_deref()).map_err(|e| {
        say(format_args!(
            "jiedai: {}",
            lang.pick(
                format!(
                    "县里记录的节假日表 {}。请用 `jiedai county serve --holidays 文件` 换上正确的表。",
                    e.message(lang)
                ),
                format!(
                    "the county's recorded holiday table, {}. Give a correct one with `jiedai county serve --holidays FILE`.",
                    e.message(lang)
                ),
            )
        ));
        ExitCode::from(exit::FAILED)
    })
}

/// A deadline as the command line gives it.
#[derive(Debug, Clone, Copy)]
enum Due<'a> {
    /// `--due DATE`.
    Day(&'a str),
    /// `--working-days N`: the Nth working day from today.
    WorkingDays(u32),
}

/// The Nth working day after `from` by the county's table; a year the
/// table does not cover is named and nothing is done.
fn working_days_from(from: NaiveDate, n: u32, lang: Lang) -> Result<NaiveDate, ExitCode> {
    county_mod::holidays().add_working_days(from, n).map_err(|e| {
        say(format_args!(
            "jiedai: --working-days {n}{}{}{}",
            lang.pick("：", ": "),
            e.message(lang),
            lang.pick("未做任何改动。", " Nothing was done.")
        ));
        ExitCode::from(exit::UNREADABLE)
    })
}

/// The appeal `code` names (a code mistyped, or one the county does not
/// hold, is said and refused).
async fn held_appeal(db: &Db, code: &str, lang: Lang) -> Result<HeldAppeal, ExitCode> {
    typo(code, lang)?;
    let canonical = code
        .parse::<TrackingCode>()
        .map(|c| c.to_string())
        .unwrap_or_else(|_| code.trim().to_string());
    match db.appeal(&canonical).await {
        Ok(Some(h)) => Ok(h),
        Ok(None) => Err(not_held(&canonical, lang)),
        Err(e) => Err(fail(&e, lang)),
    }
}

/// `extend --working-days N`: N working days past the appeal's current
/// deadline (from today when it has none: the status machine then says
/// why it cannot be extended).
async fn extended_by(db: &Db, code: &str, n: u32, lang: Lang) -> Result<NaiveDate, ExitCode> {
    let held = held_appeal(db, code, lang).await?;
    let from = held.appeal.deadline.unwrap_or_else(|| county_mod::zone().today());
    working_days_from(from, n, lang)
}

/// The unit of the catalogue `--unit` names and the deadline `--due` or
/// `--working-days` gives, for a referral: nothing is referred to a unit
/// the catalogue does not hold, nor with a deadline the holiday table
/// cannot count.
async fn referral(
    db: &Db,
    code: &str,
    unit: &str,
    due: Due<'_>,
    lang: Lang,
) -> Result<(String, NaiveDate), ExitCode> {
    typo(code, lang)?;
    let deadline = match due {
        Due::Day(due) => day(due, lang)?,
        Due::WorkingDays(n) => working_days_from(county_mod::zone().today(), n, lang)?,
    };
    match units::resolve(db, unit).await {
        Ok(u) => Ok((u.name, deadline)),
        Err(UnitProblem::County(e)) => Err(fail(&e, lang)),
        Err(problem) => {
            say(format_args!("jiedai: --unit {}", problem.message(lang)));
            Err(ExitCode::from(exit::UNREADABLE))
        }
    }
}

async fn step(db: &Db, code: &str, step: Step, note: &str, actor: &str, lang: Lang) -> ExitCode {
    if let Err(exit) = typo(code, lang) {
        return exit;
    }
    let kind = step.kind();
    match staff::step(db, code, step, note, actor.trim()).await {
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
        Ok(StepOutcome::NotHeld(code)) => not_held(&code, lang),
        Err(e) => fail(&e, lang),
    }
}

/// `county export`: CSV and xlsx as people read them
/// (`county::readable`: station names, one zone, words, the history in
/// words); JSON Lines as machines read them (the station's export's
/// fields). Every text masked as on the public page. Each appeal is
/// written as its row is read: the county is never held whole.
async fn export_appeals(db: &Db, format: Format, target: Option<&Path>, lang: Lang) -> ExitCode {
    if let Err(code) = super::export::check_target(format, target, lang) {
        return code;
    }
    let written = match target {
        Some(path) => {
            let mut tmp = match super::export::beside(path) {
                Ok(t) => t,
                Err(e) => return super::export::failed(target, &crate::i18n::os_words(&e, lang), lang),
            };
            let written = {
                let mut w = std::io::BufWriter::new(tmp.as_file_mut());
                match stream_appeals(db, format, &mut w, true, lang).await {
                    Ok(n) => w.flush().map(|()| n).map_err(|e| ReadableError::Io(e).into()),
                    Err(e) => Err(e),
                }
            };
            written.and_then(|n| {
                super::export::put_in_place(tmp, path)
                    .map(|()| n)
                    .map_err(|e| ReadableError::Io(e).into())
            })
        }
        None => {
            let mut w = std::io::BufWriter::new(std::io::stdout());
            match stream_appeals(db, format, &mut w, false, lang).await {
                Ok(n) => w.flush().map(|()| n).map_err(|e| ReadableError::Io(e).into()),
                Err(e) => Err(e),
            }
        }
    };
    match (written, target) {
        (Ok(n), Some(path)) => {
            say(lang.pick(
                format!("已导出 {n} 条诉求到 {}", path.display()),
                format!("{n} appeals exported to {}", path.display()),
            ));
            ExitCode::SUCCESS
        }
        (Ok(_), None) => ExitCode::SUCCESS,
        (Err(StreamError::County(e)), _) => fail(&e, lang),
        // A reader that stopped early (`| head`) is not a failure.
        (Err(StreamError::Write(e)), None) if e.is_broken_pipe() => ExitCode::SUCCESS,
        (Err(StreamError::Write(e)), _) => super::export::failed(target, &e.message(lang), lang),
    }
}

/// Writes every appeal the county holds to `w` in `format` as its row
/// comes (`bom`: a CSV file starts with the mark Excel needs); how many.
async fn stream_appeals(
    db: &Db,
    format: Format,
    w: &mut (dyn Write + Send),
    bom: bool,
    lang: Lang,
) -> Result<u64, StreamError> {
    let zone = county_mod::zone();
    if format == Format::Jsonl {
        let mut n = 0u64;
        db.each_appeal(&appeals::AppealFilter::default(), |h| {
            // Every time in the county's zone.
            let a = crate::transfer::export::in_zone(&public_appeal(&h.appeal), zone);
            serde_json::to_writer(&mut *w, &crate::transfer::export::json(&a, lang))
                .map_err(|e| ReadableError::Io(e.into()))?;
            w.write_all(b"\n").map_err(ReadableError::Io)?;
            n += 1;
            Ok::<_, StreamError>(true)
        })
        .await?;
        return Ok(n);
    }
    let (name, headers, counts) = readable::appeals_headers(zone, lang);
    let mut sheet = match format {
        Format::Xlsx => SheetWriter::xlsx(w, &name, &headers, &counts)?,
        _ => SheetWriter::csv(w, bom, &headers)?,
    };
    let n = readable::write_appeals(db, &mut sheet, lang).await?;
    sheet.finish()?;
    Ok(n)
}

fn not_held(code: &str, lang: Lang) -> ExitCode {
    say(format_args!(
        "jiedai: {}",
        lang.pick(
            format!("县里没有查询码为 {code} 的诉求（站点还没有同步上来？）"),
            format!("the county holds no appeal {code} (has the station synced it?)"),
        )
    ));
    ExitCode::from(exit::FAILED)
}

/// `county unit …`: the catalogue of handling units.
async fn unit(db: &Db, what: &UnitWhat, lang: Lang) -> ExitCode {
    let show = |u: &units::Unit| {
        let disabled = if u.disabled {
            lang.pick("\t已停用", "\tdisabled")
        } else {
            ""
        };
        format!("{}\t{}{disabled}", u.name, u.initials)
    };
    match what {
        UnitWhat::Add { name } => match units::add(db, name).await {
            Ok(u) => {
                out(lang.pick(
                    format!("已加入承办单位目录：{}（拼音首字母 {}）", u.name, u.initials),
                    format!("added to the catalogue: {} (initials {})", u.name, u.initials),
                ));
                ExitCode::SUCCESS
            }
            Err(UnitProblem::County(e)) => fail(&e, lang),
            Err(problem) => {
                say(format_args!("jiedai: {}", problem.message(lang)));
                ExitCode::from(exit::FAILED)
            }
        },
        UnitWhat::List { all } => match units::list(db, *all).await {
            Ok(list) => {
                for u in &list {
                    if !out(show(u)) {
                        break;
                    }
                }
                ExitCode::SUCCESS
            }
            Err(e) => fail(&e, lang),
        },
        UnitWhat::Import => match units::import_from_appeals(db).await {
            Ok(added) => {
                for u in &added {
                    out(show(u));
                }
                out(lang.pick(
                    format!("加入承办单位 {} 个", added.len()),
                    format!("{} units added", added.len()),
                ));
                ExitCode::SUCCESS
            }
            Err(e) => fail(&e, lang),
        },
        UnitWhat::Disable { name } => {
            let list = match units::list(db, true).await {
                Ok(list) => list,
                Err(e) => return fail(&e, lang),
            };
            let Some(u) = list.iter().find(|u| u.name == name.trim()) else {
                let problem = UnitProblem::Unknown {
                    given: name.trim().to_string(),
                    closest: Vec::new(),
                };
                say(format_args!("jiedai: {}", problem.message(lang)));
                return ExitCode::from(exit::FAILED);
            };
            match units::disable(db, u.id).await {
                Ok(_) => {
                    out(lang.pick(
                        format!("已停用承办单位：{}", u.name),
                        format!("disabled: {}", u.name),
                    ));
                    ExitCode::SUCCESS
                }
                Err(e) => fail(&e, lang),
            }
        }
    }
}

/// `county show CODE`: the whole appeal for the shell, the visitor and
/// every number in its texts masked as when it leaves the staff view,
/// each time in the county's zone.
async fn show(db: &Db, code: &str, json: bool, lang: Lang) -> ExitCode {
    let held = match held_appeal(db, code, lang).await {
        Ok(h) => h,
        Err(exit) => return exit,
    };
    let station_name = match db.station(&held.station).await {
        Ok(s) => s.map(|s| s.name).unwrap_or_default(),
        Err(e) => return fail(&e, lang),
    };
    let zone = county_mod::zone();
    let a = crate::domain::privacy::public_appeal(&held.appeal);
    let document = a
        .history
        .iter()
        .rev()
        .filter(|h| h.not_applied.is_none())
        .find_map(|h| match &h.step {
            Step::Reply { document, .. } => Some(document.clone()),
            _ => None,
        })
        .flatten();
    let visitor: Vec<&str> = [&a.visitor.name, &a.visitor.phone, &a.visitor.id_number]
        .into_iter()
        .map(|s| s.as_str())
        .filter(|s| !s.is_empty())
        .collect();
    if json {
        let timeline: Vec<serde_json::Value> = a
            .history
            .iter()
            .map(|h| {
                serde_json::json!({
                    "at": zone.show(&h.at),
                    "county": h.event.is_county(),
                    "actor": h.actor,
                    "step": serde_json::to_value(&h.step).ok().and_then(|v| v.get("step").cloned()),
                    "words": h.step.describe(lang),
                    "note": h.note,
                    "to": h.to.code(),
                    "not_applied": h.not_applied.as_ref().map(|w| w.message(lang)),
                })
            })
            .collect();
        let value = serde_json::json!({
            "code": a.code.as_str(),
            "station": held.station,
            "station_name": station_name,
            "registered_at": zone.show(&a.registered_at),
            "category": a.category.code(),
            "category_label": a.category.label(lang),
            "title": a.title,
            "content": a.content,
            "location": a.location,
            "deputies": a.deputy_names(),
            "visitor": visitor,
            "status": a.status.code(),
            "status_label": a.status.label(lang),
            "unit": a.unit,
            "reply_class": a.reply_class.map(|c| c.code()),
            "deadline": a.deadline,
            "round": a.round,
            "chases": a.chases,
            "satisfaction": a.satisfaction.map(|s| s.code()),
            "reply": a.reply,
            "document": document,
            "timeline": timeline,
        });
        out(value);
        return ExitCode::SUCCESS;
    }
    let colon = lang.pick("：", ": ");
    let sep = lang.pick("、", ", ");
    let none = lang.pick("（无）", "(none)");
    let or_none = |s: Option<String>| s.filter(|s| !s.is_empty()).unwrap_or_else(|| none.to_string());
    let mut lines: Vec<String> = Vec::new();
    let mut field =
        |zh: &str, en: &str, value: String| lines.push(format!("{}{colon}{value}", lang.pick(zh, en)));
    field("查询码", "Code", a.code.to_string());
    field("站点", "Station", format!("{} {station_name}", held.station));
    field("登记时间", "Registered", zone.show(&a.registered_at));
    field("类别", "Category", a.category.label(lang).to_string());
    field("标题", "Title", a.title.clone());
    field("诉求内容", "Content", a.content.clone());
    field("地点", "Location", or_none(Some(a.location.clone())));
    field("接待代表", "Deputies", or_none(Some(a.deputy_names().join(sep))));
    field("来访人", "Visitor", or_none(Some(visitor.join(" · "))));
    field("状态", "Status", a.status.label(lang).to_string());
    field("承办单位", "Handling unit", or_none(a.unit.clone()));
    field("办理期限", "Deadline", or_none(a.deadline.map(|d| d.to_string())));
    field(
        "办理轮次",
        "Round",
        lang.pick(
            format!("第 {} 轮，督办 {} 次", a.round + 1, a.chases),
            format!("{}, chased {} times", a.round + 1, a.chases),
        ),
    );
    field(
        "满意度",
        "Satisfaction",
        or_none(a.satisfaction.map(|s| s.label(lang).to_string())),
    );
    field("答复", "Reply", or_none(a.reply.clone()));
    if let Some(class) = a.reply_class {
        field("答复类别", "Reply class", class.label(lang).to_string());
    }
    if let Some(document) = &document {
        field("答复文号", "Document number", document.clone());
    }
    lines.push(format!("── {} ──", lang.pick("办理经过", "Timeline")));
    for h in &a.history {
        let side = if h.event.is_county() {
            lang.pick("[县]", "[county]")
        } else {
            lang.pick("[站]", "[station]")
        };
        let outcome = match &h.not_applied {
            Some(_) => String::new(),
            None => format!(" → {}", h.to.label(lang)),
        };
        let note = if h.note.is_empty() {
            String::new()
        } else {
            lang.pick(format!("（{}）", h.note), format!(" ({})", h.note))
        };
        lines.push(format!(
            "{} {side} {} · {}{outcome}{note}",
            zone.show(&h.at),
            h.actor,
            h.step.describe(lang)
        ));
        if let Some(why) = &h.not_applied {
            lines.push(format!("    {}", why.message(lang)));
        }
    }
    for line in lines {
        if !out(line) {
            break;
        }
    }
    ExitCode::SUCCESS
}
