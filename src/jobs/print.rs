//! The receipt printer's side of the kiosk: a receipt or a registration
//! form asked for and how it went.

use super::{Failure, Worded};
use crate::i18n::Lang;
use crate::storage::print_jobs::PrintJob;

/// A slip staff asked for, and who asked (recorded with the print job,
/// and with the access key an older appeal gets for its receipt).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrintAsk {
    pub actor: String,
    pub what: Slip,
}

/// What is to print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Slip {
    /// An appeal's receipt.
    Receipt { code: String },
    /// The visitor registration form (代表接待选民登记表): blank, or
    /// filled from the visit of this code.
    Form { visit: Option<String> },
    /// The deputies' duty points of a quarter (`2026Q4`), for the notice
    /// board (公示).
    Points { quarter: String },
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
    fn print(&self, ask: PrintAsk, reply: PrintReply);
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
