//! What the kiosk and its background jobs (the receipt printer, the sync
//! with the county) say to each other: requests, progress, outcomes, and
//! the small traits the kiosk calls its jobs through. Data and traits
//! only, no I/O and no threads: `sync` and `print` implement the traits,
//! `commands` builds them and hands them to the kiosk, and neither side
//! knows the other.

pub mod print;
pub mod sync;

use std::sync::Arc;

use crate::i18n::Lang;

use print::Printer;
use sync::SyncJob;

/// Where a job reports what happens; any thread may call it.
pub type Sink<T> = Arc<dyn Fn(T) + Send + Sync>;

/// A job's error in words, in the language of whoever shows it.
pub trait Worded: Send + Sync {
    fn message(&self, lang: Lang) -> String;
}

/// Why a job did not finish: the job's own error, kept as it was and
/// worded where it is shown.
#[derive(Clone)]
pub struct Failure(Arc<dyn Worded>);

impl Failure {
    pub fn new(error: impl Worded + 'static) -> Failure {
        Failure(Arc::new(error))
    }

    pub fn message(&self, lang: Lang) -> String {
        self.0.message(lang)
    }
}

/// English, for the log.
impl std::fmt::Debug for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Failure({:?})", self.0.message(Lang::En))
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0.message(Lang::En))
    }
}

/// The jobs a kiosk runs beside its screen (None: the kiosk runs without
/// it, as when drawn for its screens alone). Dropping them stops them
/// (the sync between requests, waited for).
#[derive(Default)]
pub struct Jobs {
    pub printer: Option<Box<dyn Printer>>,
    pub sync: Option<Box<dyn SyncJob>>,
}
