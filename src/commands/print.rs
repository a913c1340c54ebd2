//! `jiedai print receipt CODE | form [--visit CODE] | test | retry
//! [--printer T]`: slips on the
//! station's receipt printer. Each slip is a print job kept in the
//! data directory until the printer has taken it, recorded through the
//! store this command holds (the kiosk records its own through the
//! store's writer).

use std::path::Path;
use std::process::ExitCode;

use super::{exit, open_store, out, report_store_error, say};
use crate::domain::period::Period;
use crate::domain::{Station, TrackingCode};
use crate::i18n::Lang;
use crate::jobs::print::Printed;
use crate::print::{self, PrintError, PrinterSettings, Target};
use crate::storage::Store;
use crate::storage::print_jobs::{JobKind, PrintJob, PrintJobs};

/// Who the command line records as the actor.
const ACTOR: &str = "print";

fn fail(e: &PrintError, lang: Lang) -> ExitCode {
    match e {
        PrintError::Store(e) => report_store_error(e, lang),
        e => {
            // The whole story, with the system's words, for the log.
            log::warn!("print failed: {}", e.message(Lang::En));
            say(format_args!("jiedai: {}", e.message(lang)));
            ExitCode::from(exit::FAILED)
        }
    }
}

/// What a print command works with.
struct Opened {
    store: Store,
    jobs: PrintJobs,
    settings: PrinterSettings,
    target: Target,
}

/// The store, its print jobs, this terminal's printer settings and the
/// printer to use.
fn open(dir: &Path, printer: Option<&str>, lang: Lang) -> Result<Opened, ExitCode> {
    let store = open_store(dir, lang).map_err(|e| report_store_error(&e, lang))?;
    let jobs = store.print_jobs().map_err(|e| report_store_error(&e, lang))?;
    let settings = PrinterSettings::load(dir).map_err(|e| fail(&e, lang))?;
    let target = print::resolve_target(printer, &settings).map_err(|e| fail(&e, lang))?;
    Ok(Opened {
        store,
        jobs,
        settings,
        target,
    })
}

fn report(p: &Printed, lang: Lang) {
    let what = match &p.job.kind {
        JobKind::Receipt { code } => lang.pick(format!("回执 {code}"), format!("receipt {code}")),
        JobKind::Test => lang.pick("测试页", "test page").to_string(),
        JobKind::Form { visit: None } => lang.pick("空白登记表", "blank registration form").to_string(),
        JobKind::Form { visit: Some(code) } => {
            lang.pick(format!("登记表 {code}"), format!("registration form {code}"))
        }
        JobKind::Points { quarter } => {
            lang.pick(format!("积分公示单 {quarter}"), format!("points list {quarter}"))
        }
    };
    let reprint = if p.job.reprint {
        lang.pick("（补打）", " (reprint)")
    } else {
        ""
    };
    out(lang.pick(
        format!(
            "已打印{what}{reprint}：任务 {}，{} 字节，打印机 {}",
            p.job.id, p.bytes, p.job.target
        ),
        format!(
            "printed {what}{reprint}: job {}, {} bytes, printer {}",
            p.job.id, p.bytes, p.job.target
        ),
    ));
    if p.paper_low {
        say(lang.pick(
            "jiedai: 打印机纸将用完，请准备新纸卷",
            "jiedai: the printer's paper is running low: have a new roll ready",
        ));
    }
}

fn run_job(o: &Opened, job: PrintJob, lang: Lang) -> ExitCode {
    let now = o.store.zone().unwrap_or_default().now();
    match print::print_job(&o.store.reader(), &o.jobs, job, &o.target, &o.settings, lang, now) {
        Ok(p) => {
            report(&p, lang);
            ExitCode::from(exit::OK)
        }
        Err(e) => fail(&e, lang),
    }
}

/// A tracking code as typed; a mistyped one is said (exit 1).
fn parse_code(text: &str, lang: Lang) -> Result<TrackingCode, ExitCode> {
    text.parse().map_err(|e| {
        say(format_args!(
            "jiedai: {}",
            crate::domain::code::CodeError::message(&e, lang)
        ));
        ExitCode::from(exit::FAILED)
    })
}

pub fn receipt(dir: &Path, code: &str, printer: Option<&str>, lang: Lang) -> ExitCode {
    let code = match parse_code(code, lang) {
        Ok(c) => c,
        Err(exit) => return exit,
    };
    let (mut o, station) = match open_station(dir, printer, lang) {
        Ok(x) => x,
        Err(code) => return code,
    };
    // The link needs the station's public address before anything is recorded.
    if let Err(e) = crate::domain::public::base(&station) {
        return fail(&e.into(), lang);
    }
    match o.store.access_key(ACTOR, code.as_str()) {
        Ok(Some(_)) => {}
        Ok(None) => return fail(&PrintError::NoAppeal(code.to_string()), lang),
        Err(e) => return report_store_error(&e, lang),
    }
    let kind = JobKind::Receipt {
        code: code.to_string(),
    };
    new_job(&o, kind, lang)
}

/// Records a new job and prints it.
fn new_job(o: &Opened, kind: JobKind, lang: Lang) -> ExitCode {
    match o
        .jobs
        .new_job(kind, ACTOR, o.store.zone().unwrap_or_default().now())
    {
        Ok(job) => run_job(o, job, lang),
        Err(e) => report_store_error(&e, lang),
    }
}

/// `open`, with the station; refused when the directory holds none.
fn open_station(dir: &Path, printer: Option<&str>, lang: Lang) -> Result<(Opened, Station), ExitCode> {
    let o = open(dir, printer, lang)?;
    match o.store.station() {
        Ok(Some(s)) => Ok((o, s)),
        Ok(None) => Err(fail(&PrintError::NoStation, lang)),
        Err(e) => Err(report_store_error(&e, lang)),
    }
}

/// The visitor registration form: blank, or filled from the visit of
/// `visit` (an unknown code is refused before anything is recorded).
pub fn form(dir: &Path, visit: Option<&str>, printer: Option<&str>, lang: Lang) -> ExitCode {
    let code = match visit.map(|v| parse_code(v, lang)).transpose() {
        Ok(c) => c,
        Err(exit) => return exit,
    };
    let (o, _) = match open_station(dir, printer, lang) {
        Ok(x) => x,
        Err(code) => return code,
    };
    if let Some(code) = &code {
        match o.store.visit(code.as_str()) {
            Ok(Some(_)) => {}
            Ok(None) => return fail(&PrintError::NoVisit(code.to_string()), lang),
            Err(e) => return report_store_error(&e, lang),
        }
    }
    let kind = JobKind::Form {
        visit: code.map(|c| c.to_string()),
    };
    new_job(&o, kind, lang)
}

/// The deputies' duty points of `quarter` (`2026Q4`) for the notice board.
pub fn points(dir: &Path, quarter: &str, printer: Option<&str>, lang: Lang) -> ExitCode {
    let Some(quarter) = Period::quarter(quarter) else {
        return fail(&PrintError::BadQuarter(quarter.to_string()), lang);
    };
    let (o, _) = match open_station(dir, printer, lang) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let kind = JobKind::Points {
        quarter: quarter.slug(),
    };
    new_job(&o, kind, lang)
}

pub fn test(dir: &Path, printer: Option<&str>, lang: Lang) -> ExitCode {
    match open(dir, printer, lang) {
        Ok(o) => new_job(&o, JobKind::Test, lang),
        Err(code) => code,
    }
}

/// Sends every pending and failed job again, oldest first; stops at the
/// first that fails (the printer is most likely still unavailable). A job
/// whose bytes may have reached a printer is never sent again: it is
/// named, with how to reprint it on purpose (补打). A test page goes only
/// to the printer it was meant for.
pub fn retry(dir: &Path, printer: Option<&str>, lang: Lang) -> ExitCode {
    let o = match open(dir, printer, lang) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let (open_jobs, unsure) = match o.jobs.open_jobs().and_then(|j| Ok((j, o.jobs.unsure_jobs()?))) {
        Ok(j) => j,
        Err(e) => return report_store_error(&e, lang),
    };
    for job in &unsure {
        say(match &job.kind {
            JobKind::Receipt { code } => lang.pick(
                format!(
                    "jiedai: 回执 {code}（任务 {}，打印机 {}）可能已经打出，不再自动重发：请查看，没打全时用 `jiedai print receipt {code}` 补打",
                    job.id, job.target
                ),
                format!(
                    "jiedai: receipt {code} (job {}, printer {}) may have printed and is not sent again by itself: look, and if it is not complete reprint it with `jiedai print receipt {code}`",
                    job.id, job.target
                ),
            ),
            JobKind::Form { .. } | JobKind::Points { .. } => {
                let again = match &job.kind {
                    JobKind::Form { visit: Some(code) } => format!("jiedai print form --visit {code}"),
                    JobKind::Points { quarter } => format!("jiedai print points --quarter {quarter}"),
                    _ => "jiedai print form".to_string(),
                };
                lang.pick(
                    format!(
                        "jiedai: 登记表（任务 {}，打印机 {}）可能已经打出，不再自动重发：请查看，没打全时用 `{again}` 重打",
                        job.id, job.target
                    ),
                    format!(
                        "jiedai: the registration form (job {}, printer {}) may have printed and is not sent again by itself: look, and if it is not complete print it again with `{again}`",
                        job.id, job.target
                    ),
                )
            }
            JobKind::Test => lang.pick(
                format!(
                    "jiedai: 测试页（任务 {}，打印机 {}）可能已经打出，不再自动重发",
                    job.id, job.target
                ),
                format!(
                    "jiedai: the test page (job {}, printer {}) may have printed and is not sent again by itself",
                    job.id, job.target
                ),
            ),
        });
    }
    let here = o.target.to_string();
    let (sendable, elsewhere): (Vec<_>, Vec<_>) = open_jobs
        .into_iter()
        .partition(|j| j.kind != JobKind::Test || j.target.is_empty() || j.target == here);
    for job in &elsewhere {
        say(lang.pick(
            format!(
                "jiedai: 测试页（任务 {}）是给打印机 {} 的，不发到 {here}；要重发请用 `jiedai print retry --printer {}`",
                job.id, job.target, job.target
            ),
            format!(
                "jiedai: the test page (job {}) is meant for the printer {}, not {here}: `jiedai print retry --printer {}` sends it again",
                job.id, job.target, job.target
            ),
        ));
    }
    if sendable.is_empty() {
        out(lang.pick("没有待打印的任务", "no jobs are waiting"));
        return ExitCode::from(exit::OK);
    }
    for job in sendable {
        let status = run_job(&o, job, lang);
        if status != ExitCode::from(exit::OK) {
            return status;
        }
    }
    ExitCode::from(exit::OK)
}
