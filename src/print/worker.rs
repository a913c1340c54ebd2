//! Printing beside the kiosk: a thread that takes receipt and
//! registration form requests, gives
//! an older appeal its access key and records each print job through the
//! store's writer, sends the job to the terminal's printer, then hands the
//! outcome to a callback (the kiosk's `jobs::print::Printer`). A printer
//! that is off or silent costs this thread its time-outs, never the
//! interface.

use std::path::PathBuf;
use std::sync::mpsc;

use super::{PrintError, Printed, PrinterSettings, print_job, resolve_target};
use crate::i18n::Lang;
use crate::jobs::Failure;
use crate::jobs::print::{PrintAsk, PrintReply, Printer, Slip};
use crate::storage::print_jobs::JobKind;
use crate::storage::{Reader, Request, WriteError, Writer};

/// A handle for asking the print thread for a receipt or a form.
#[derive(Clone)]
pub struct PrintWorker {
    tx: mpsc::Sender<(PrintAsk, PrintReply)>,
}

impl PrintWorker {
    /// Starts the print thread for the station in `dir`.
    pub fn spawn(reader: Reader, writer: Writer, dir: PathBuf, lang: Lang) -> std::io::Result<PrintWorker> {
        let (tx, rx) = mpsc::channel::<(PrintAsk, PrintReply)>();
        std::thread::Builder::new()
            .name("printer".into())
            .spawn(move || {
                for (ask, reply) in rx {
                    let printed = match &ask.what {
                        Slip::Receipt { code } => receipt(&reader, &writer, &dir, &ask.actor, code, lang),
                        Slip::Form { visit } => {
                            let kind = JobKind::Form { visit: visit.clone() };
                            job(&reader, &writer, &dir, &ask.actor, kind, lang)
                        }
                        Slip::Points { quarter } => {
                            let kind = JobKind::Points {
                                quarter: quarter.clone(),
                            };
                            job(&reader, &writer, &dir, &ask.actor, kind, lang)
                        }
                    };
                    reply(printed.map_err(Failure::new));
                }
            })?;
        Ok(PrintWorker { tx })
    }
}

impl Printer for PrintWorker {
    /// `reply` gets the outcome on the print thread.
    fn print(&self, ask: PrintAsk, reply: PrintReply) {
        if let Err(mpsc::SendError((_, reply))) = self.tx.send((ask, reply)) {
            reply(Err(Failure::new(PrintError::Offline(String::new()))));
        }
    }
}

/// A registration form or a points list, as `jiedai print form` and
/// `jiedai print points` print them: rendered before the job is recorded,
/// so a visit that is not there records nothing.
fn job(
    reader: &Reader,
    writer: &Writer,
    dir: &std::path::Path,
    actor: &str,
    kind: JobKind,
    lang: Lang,
) -> Result<Printed, PrintError> {
    let settings = PrinterSettings::load(dir)?;
    let target = resolve_target(None, &settings)?;
    reader.station()?.ok_or(PrintError::NoStation)?;
    if let JobKind::Form { visit: Some(code) } = &kind {
        super::visit_and_appeals(reader, code)?;
    }
    let now = reader.zone()?.now();
    let job = reader.print_jobs()?.new_job(kind, actor, now)?;
    print_job(reader, writer, job, &target, &settings, lang, now)
}

/// One receipt, as `jiedai print receipt` prints it.
fn receipt(
    reader: &Reader,
    writer: &Writer,
    dir: &std::path::Path,
    actor: &str,
    code: &str,
    lang: Lang,
) -> Result<Printed, PrintError> {
    let settings = PrinterSettings::load(dir)?;
    let target = resolve_target(None, &settings)?;
    let station = reader.station()?.ok_or(PrintError::NoStation)?;
    crate::domain::public::base(&station)?;
    if reader.appeal(code)?.is_none() {
        return Err(PrintError::NoAppeal(code.to_string()));
    }
    let request = Request::IssueAccessKey {
        actor: actor.to_string(),
        code: code.to_string(),
    };
    match writer.save(request) {
        Ok(_) => {}
        Err(WriteError::Store(e)) => return Err(PrintError::Store(e)),
        Err(_) => return Err(PrintError::NoAppeal(code.to_string())),
    }
    let now = reader.zone()?.now();
    let kind = JobKind::Receipt {
        code: code.to_string(),
    };
    let job = reader.print_jobs()?.new_job(kind, actor, now)?;
    print_job(reader, writer, job, &target, &settings, lang, now)
}
