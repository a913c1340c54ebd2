//! Printing beside the kiosk: a thread that takes receipt requests, gives
//! an older appeal its access key through the store's writer, records a
//! print job and sends it to the terminal's printer, then hands the
//! outcome to a callback. A printer that is off or silent costs this
//! thread its time-outs, never the interface.

use std::path::PathBuf;
use std::sync::mpsc;

use super::{PrintError, Printed, PrinterSettings, print_job, resolve_target};
use crate::i18n::Lang;
use crate::storage::print_jobs::JobKind;
use crate::storage::{Reader, Request, WriteError, Writer};

type Reply = Box<dyn FnOnce(Result<Printed, PrintError>) + Send>;

/// A handle for asking the print thread for a receipt.
#[derive(Clone)]
pub struct PrintWorker {
    tx: mpsc::Sender<(String, String, Reply)>,
}

impl PrintWorker {
    /// Starts the print thread for the station in `dir`.
    pub fn spawn(reader: Reader, writer: Writer, dir: PathBuf, lang: Lang) -> std::io::Result<PrintWorker> {
        let (tx, rx) = mpsc::channel::<(String, String, Reply)>();
        std::thread::Builder::new()
            .name("printer".into())
            .spawn(move || {
                for (actor, code, reply) in rx {
                    reply(receipt(&reader, &writer, &dir, &actor, &code, lang));
                }
            })?;
        Ok(PrintWorker { tx })
    }

    /// Asks for `code`'s receipt; `reply` gets the outcome on the print
    /// thread.
    pub fn receipt(
        &self,
        actor: &str,
        code: &str,
        reply: impl FnOnce(Result<Printed, PrintError>) + Send + 'static,
    ) {
        let request = (actor.to_string(), code.to_string(), Box::new(reply) as Reply);
        if let Err(mpsc::SendError((_, _, reply))) = self.tx.send(request) {
            reply(Err(PrintError::Offline(String::new())));
        }
    }
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
    let jobs = reader.print_jobs()?;
    let now = reader.zone()?.now();
    let kind = JobKind::Receipt {
        code: code.to_string(),
    };
    let job = jobs.create(kind, actor, now)?;
    print_job(reader, &jobs, job.id, &target, &settings, lang, now)
}
