//! Receipts on a thermal printer: ESC/POS documents (`escpos`, `receipt`),
//! where they go (`target`), this terminal's printer (`settings`), the
//! job that ties them to the store (`print_job`, recording through a
//! `JobLog`) and the print thread beside the kiosk (`worker`). No screen
//! here: the command line calls it, and so does the print thread, which
//! answers the kiosk through `jobs::print`.

pub mod escpos;
pub mod form;
pub mod points;
pub mod receipt;
pub mod settings;
pub mod target;
pub mod worker;

use chrono::{DateTime, FixedOffset};

use crate::domain::period::Period;
use crate::domain::public::{self, PublicError};
use crate::domain::{Appeal, Visit};
use crate::i18n::Lang;
use crate::jobs::Worded;
use crate::jobs::print::Printed;
use crate::reports;
use crate::storage::print_jobs::{JobKind, JobState, PrintJob, PrintJobs};
use crate::storage::{Reader, Request, StoreError, WriteError, Writer};
pub use settings::{PrinterSettings, QrMode};
pub use target::Target;

/// Where a printer stopped answering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Connect,
    /// Asking the status before printing.
    Status,
    Write,
    /// Asking the status after every byte was sent.
    After,
}

/// Why a slip was not printed.
#[derive(Debug, thiserror::Error)]
#[error("{}", self.message(Lang::En))]
pub enum PrintError {
    /// No printer set in terminal.toml and none given with --printer.
    NoPrinter,
    /// The same in `jiedai demo`, whose terminal.toml is in a temporary
    /// directory: the printer is given with `demo --printer`.
    NoDemoPrinter,
    BadTarget(String),
    /// A file target that is not an absolute path (`lp0`): it would be a
    /// file in whatever directory the program runs in.
    RelativeTarget(String),
    Settings {
        path: String,
        message: String,
    },
    NoStation,
    NoAppeal(String),
    /// No visit has this code (the filled registration form).
    NoVisit(String),
    /// Not a quarter as `2026Q4` writes one (the points list).
    BadQuarter(String),
    Public(PublicError),
    Io {
        target: String,
        stage: Stage,
        kind: std::io::ErrorKind,
        message: String,
    },
    BadStatus {
        target: String,
        byte: u8,
    },
    Offline(String),
    PaperOut(String),
    /// Ready before the slip, out of paper once it was sent: the slip may
    /// be cut short.
    PaperOutAfter(String),
    Store(StoreError),
    /// The store's writer could not take the job's record.
    Write(WriteError),
}

impl From<StoreError> for PrintError {
    fn from(e: StoreError) -> Self {
        PrintError::Store(e)
    }
}

impl From<PublicError> for PrintError {
    fn from(e: PublicError) -> Self {
        PrintError::Public(e)
    }
}

impl PrintError {
    pub fn io(target: &str, stage: Stage, e: std::io::Error) -> PrintError {
        PrintError::Io {
            target: target.to_string(),
            stage,
            kind: e.kind(),
            message: e.to_string(),
        }
    }

    /// The same failure, met once every byte had been sent.
    pub fn after_write(self) -> PrintError {
        match self {
            PrintError::Io {
                target,
                kind,
                message,
                ..
            } => PrintError::Io {
                target,
                stage: Stage::After,
                kind,
                message,
            },
            other => other,
        }
    }

    /// Whether bytes may have reached the printer before it failed (the
    /// slip may be printed, in part or whole): such a job is never sent
    /// again by itself.
    pub fn may_have_printed(&self) -> bool {
        matches!(
            self,
            PrintError::Io {
                stage: Stage::Write | Stage::After,
                ..
            } | PrintError::PaperOutAfter(_)
        )
    }

    pub fn message(&self, lang: Lang) -> String {
        use std::io::ErrorKind as K;
        match self {
            PrintError::NoPrinter => lang
                .pick(
                    "未设置打印机：请在数据目录的 terminal.toml 中加上 [printer] target = \"tcp://打印机地址:9100\"，或用 --printer 指定",
                    "no printer is set: add [printer] target = \"tcp://PRINTER:9100\" to terminal.toml in the data directory, or give --printer",
                )
                .to_string(),
            PrintError::NoDemoPrinter => lang
                .pick(
                    "演示站点没有打印机：退出后用 jiedai demo --printer tcp://打印机地址:9100（或文件的完整路径）重新打开演示即可试打印",
                    "the demo has no printer: quit and open it again with jiedai demo --printer tcp://PRINTER:9100 (or the full path of a file) to try printing",
                )
                .to_string(),
            PrintError::BadTarget(t) => lang.pick(
                format!("打印机地址“{t}”无法识别：应为 tcp://主机:端口、file:///dev/usb/lp0 或文件的完整路径"),
                format!("printer \"{t}\" is not understood: use tcp://HOST:PORT, file:///dev/usb/lp0 or the full path of a file"),
            ),
            PrintError::RelativeTarget(t) => lang.pick(
                format!("打印机“{t}”不是完整路径，会在当前目录下写出一个同名文件：USB 打印机请写设备的完整路径，如 file:///dev/usb/lp0；要写入文件请写完整路径，如 /tmp/slip.bin"),
                format!("printer \"{t}\" is not a full path and would be a file of that name in the current directory: for a USB printer write the device's full path, e.g. file:///dev/usb/lp0; for a file, its full path, e.g. /tmp/slip.bin"),
            ),
            PrintError::Settings { path, message } => lang.pick(
                format!("{path}：打印机设置有误（{message}）"),
                format!("{path}: the printer settings are wrong ({message})"),
            ),
            PrintError::NoStation => lang
                .pick("尚未设置站点，请先运行 jiedai init", "no station is set up: run jiedai init first")
                .to_string(),
            PrintError::NoAppeal(code) => lang.pick(
                format!("找不到查询码为 {code} 的诉求"),
                format!("no appeal has the tracking code {code}"),
            ),
            PrintError::NoVisit(code) => lang.pick(
                format!("找不到登记号为 {code} 的来访登记"),
                format!("no visit has the code {code}"),
            ),
            PrintError::BadQuarter(text) => points::words::bad_quarter(lang, text),
            PrintError::Public(e) => e.message(lang),
            PrintError::Io {
                target,
                stage,
                kind,
                message,
            } => {
                let (zh, en) = match (stage, kind) {
                    (Stage::Connect, K::ConnectionRefused) => (
                        "打印机拒绝连接：请检查打印机是否开机、地址和端口是否正确",
                        "the printer refused the connection: is it switched on, and are the address and port right?",
                    ),
                    (Stage::Connect, K::TimedOut | K::WouldBlock) => (
                        "连接打印机超时：请检查打印机是否开机、网线是否连好",
                        "the printer did not answer the connection in time: is it on and plugged in?",
                    ),
                    (Stage::Connect, _) => ("无法连接打印机", "cannot reach the printer"),
                    (Stage::Status, K::TimedOut | K::WouldBlock | K::UnexpectedEof) => (
                        "打印机没有回应状态查询：请检查打印机是否开机、是否卡纸",
                        "the printer did not answer the status query: is it on, is the paper jammed?",
                    ),
                    (Stage::Status, _) => ("查询打印机状态失败", "asking the printer's status failed"),
                    (Stage::Write, K::TimedOut | K::WouldBlock) => (
                        "向打印机发送超时：打印机可能未开机或已满",
                        "sending to the printer timed out: it may be off or busy",
                    ),
                    (Stage::Write, _) => ("向打印机发送失败", "sending to the printer failed"),
                    (Stage::After, _) => (
                        "内容已发送，但打印机之后没有回应",
                        "everything was sent, but the printer did not answer afterwards",
                    ),
                };
                // The system's own words (English) are for the log: the
                // Chinese message names the printer only.
                if matches!(stage, Stage::Write | Stage::After) {
                    lang.pick(
                        format!("{zh}（{target}）；{UNSURE_ZH}"),
                        format!("{en} ({target}: {message}); {UNSURE_EN}"),
                    )
                } else {
                    lang.pick(
                        format!("{zh}（{target}）；任务已保留，可用 `jiedai print retry` 重试"),
                        format!("{en} ({target}: {message}); the job is kept: jiedai print retry sends it again"),
                    )
                }
            }
            PrintError::BadStatus { target, byte } => lang.pick(
                format!("打印机（{target}）返回的状态无法识别（0x{byte:02X}），可能不是 ESC/POS 打印机；任务已保留"),
                format!("the printer ({target}) answered with an unknown status (0x{byte:02X}); it may not speak ESC/POS; the job is kept"),
            ),
            PrintError::Offline(target) => lang.pick(
                format!("打印机（{target}）处于脱机状态：请检查纸仓盖是否合上、是否有错误指示；任务已保留，可用 `jiedai print retry` 重试"),
                format!("the printer ({target}) is off line: is its cover closed, does it show an error? The job is kept: jiedai print retry sends it again"),
            ),
            PrintError::PaperOut(target) => lang.pick(
                format!("打印机（{target}）缺纸：请装入打印纸；任务已保留，可用 `jiedai print retry` 重试"),
                format!("the printer ({target}) is out of paper: load a roll; the job is kept: jiedai print retry sends it again"),
            ),
            PrintError::PaperOutAfter(target) => lang.pick(
                format!("打印机（{target}）打完这张后报告缺纸：请装入打印纸；{UNSURE_ZH}"),
                format!("the printer ({target}) reported no paper once the slip was sent: load a roll; {UNSURE_EN}"),
            ),
            PrintError::Store(e) => e.message(lang),
            PrintError::Write(e) => e.message(lang),
        }
    }
}

/// The kiosk words a receipt's failure in its own language.
impl Worded for PrintError {
    fn message(&self, lang: Lang) -> String {
        PrintError::message(self, lang)
    }
}

/// What to do about a slip that may have printed.
const UNSURE_ZH: &str =
    "这张可能已经全部或部分打出，不会自动重发：请查看，没打全时用 `jiedai print receipt 查询码` 补打";
const UNSURE_EN: &str = "the slip may have come out, whole or in part, and is not sent again by itself: look, and if it is not complete reprint it with `jiedai print receipt CODE` (marked as a reprint)";

/// The printer a job goes to: `--printer` if given, else the settings'.
pub fn resolve_target(given: Option<&str>, settings: &PrinterSettings) -> Result<Target, PrintError> {
    match given.or(settings.target.as_deref()) {
        Some(t) => Target::parse(t),
        None if settings.demo => Err(PrintError::NoDemoPrinter),
        None => Err(PrintError::NoPrinter),
    }
}

/// The bytes of a job's slip. A receipt needs the appeal's access key to
/// have been issued already (`Store::access_key`).
pub fn render(
    reader: &Reader,
    job: &PrintJob,
    settings: &PrinterSettings,
    lang: Lang,
    now: DateTime<FixedOffset>,
) -> Result<Vec<u8>, PrintError> {
    let station = reader.station()?;
    match &job.kind {
        JobKind::Receipt { code } => {
            let station = station.ok_or(PrintError::NoStation)?;
            let appeal = reader
                .appeal(code)?
                .ok_or_else(|| PrintError::NoAppeal(code.clone()))?;
            let url = public::appeal_url(&station, &appeal.code, &appeal.access_key)?;
            Ok(receipt::receipt(
                &receipt::Receipt {
                    station: &station,
                    appeal: &appeal,
                    url,
                    printed_at: now,
                    reprint: job.reprint,
                },
                settings,
                lang,
            ))
        }
        JobKind::Points { quarter } => {
            let station = station.ok_or(PrintError::NoStation)?;
            let quarter = Period::quarter(quarter).ok_or_else(|| PrintError::BadQuarter(quarter.clone()))?;
            let today = station.zone().date(&now);
            let standings = reports::standings_read(reader, &station, (quarter.from, quarter.to.min(today)))?;
            let deputies = reader.deputies()?;
            Ok(points::render(
                &station, &deputies, &standings, &quarter, settings, lang, now,
            ))
        }
        JobKind::Form { visit } => {
            let station = station.ok_or(PrintError::NoStation)?;
            match visit {
                None => Ok(form::render(&station, None, settings, lang, now)),
                Some(code) => {
                    let (visit, appeals) = visit_and_appeals(reader, code)?;
                    Ok(form::render(
                        &station,
                        Some((&visit, &appeals)),
                        settings,
                        lang,
                        now,
                    ))
                }
            }
        }
        JobKind::Test => {
            let url = station
                .as_ref()
                .and_then(|s| public::station_url(s).ok())
                .unwrap_or_else(|| "jiedai 打印测试 print test".to_string());
            Ok(receipt::test_page(station.as_ref(), &url, settings, now))
        }
    }
}

/// The visit of `code` and those of its appeals the store holds, in the
/// visit's order.
pub fn visit_and_appeals(reader: &Reader, code: &str) -> Result<(Visit, Vec<Appeal>), PrintError> {
    let visit = reader
        .visit(code)?
        .ok_or_else(|| PrintError::NoVisit(code.to_string()))?;
    let mut appeals = Vec::new();
    for c in &visit.appeals {
        if let Some(a) = reader.appeal(c.as_str())? {
            appeals.push(a);
        }
    }
    Ok((visit, appeals))
}

/// Where a job's record is written: beside the kiosk through the store's
/// writer (one writer), on the command line through the store the
/// command holds.
pub trait JobLog {
    fn record(&self, job: &PrintJob) -> Result<(), PrintError>;
}

impl JobLog for Writer {
    fn record(&self, job: &PrintJob) -> Result<(), PrintError> {
        match self.save(Request::PrintJob(job.clone())) {
            Ok(_) => Ok(()),
            Err(WriteError::Store(e)) => Err(PrintError::Store(e)),
            Err(e) => Err(PrintError::Write(e)),
        }
    }
}

impl JobLog for PrintJobs {
    fn record(&self, job: &PrintJob) -> Result<(), PrintError> {
        Ok(self.put(job)?)
    }
}

/// Prints one job and records how it went in `log`: the job is kept
/// (failed, with the reason) when the printer is off, refuses, stays
/// silent or is out of paper, and marked done once the printer has taken
/// it and reports no trouble. Does no screen work: a worker thread may
/// call it.
pub fn print_job(
    reader: &Reader,
    log: &dyn JobLog,
    mut job: PrintJob,
    target: &Target,
    settings: &PrinterSettings,
    lang: Lang,
    now: DateTime<FixedOffset>,
) -> Result<Printed, PrintError> {
    job.attempts += 1;
    job.target = target.to_string();
    job.updated = Some(now);
    let bytes = match render(reader, &job, settings, lang, now) {
        Ok(b) => b,
        Err(e) => {
            job.state = JobState::Failed {
                reason: e.message(lang),
            };
            log.record(&job)?;
            return Err(e);
        }
    };
    // Recorded before any byte goes out: a job cut off here (the program
    // stopped) may have printed, and is never sent again by itself.
    job.state = JobState::Sending;
    log.record(&job)?;
    let outcome = target::send(target, &bytes, settings.timeout()).and_then(|sent| match sent.status {
        Some(s) if s.paper_out => Err(PrintError::PaperOutAfter(target.to_string())),
        status => Ok(status),
    });
    match outcome {
        Ok(status) => {
            job.state = JobState::Done;
            log.record(&job)?;
            Ok(Printed {
                job,
                bytes: bytes.len(),
                paper_low: status.is_some_and(|s| s.paper_low),
            })
        }
        Err(e) => {
            let reason = e.message(lang);
            job.state = if e.may_have_printed() {
                JobState::Unsure { reason }
            } else {
                JobState::Failed { reason }
            };
            log.record(&job)?;
            Err(e)
        }
    }
}
