//! The receipt printer's side of the kiosk: a receipt or a registration
//! form asked for and how it went.

use super::{Failure, Worded};
use crate::i18n::Lang;
use crate::storage::print_jobs::PrintJob;

/// A receipt staff asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceiptRequest {
    /// Who asked (recorded with the access key an older appeal gets).
    pub actor: String,
    pub code: String,
}

/// A visitor registration form (代表接待选民登记表) staff asked for:
/// blank, or filled from the visit of `visit`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormRequest {
    /// Who asked (recorded with the print job).
    pub actor: String,
    /// The visit's code; None for the blank form.
    pub visit: Option<String>,
}

/// A job that printed.
#[derive(Debug, Clone)]
pub struct Printed {
    pub job: PrintJob,
    pub bytes: usize,
    /// The printer warned that paper is running low.
    pub paper_low: bool,
}

/// Gets the outcome of one receipt, on the printer's thread.
pub type PrintReply = Box<dyn FnOnce(Result<Printed, Failure>) + Send>;

/// The kiosk's printer: takes a request and answers later, never making
/// the caller wait on the printer.
pub trait Printer: Send {
    fn receipt(&self, request: ReceiptRequest, reply: PrintReply);
    /// The registration form, blank or filled; answered the same way.
    fn form(&self, request: FormRequest, reply: PrintReply);
}

/// Why a receipt cannot print on a kiosk that runs without a printer.
#[derive(Debug, Clone, Copy)]
pub struct NoPrinter;

impl Worded for NoPrinter {
    fn message(&self, lang: Lang) -> String {
        lang.pick("本终端运行时没有打印程序", "this kiosk runs without its printer")
            .to_string()
    }
}
