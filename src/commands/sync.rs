//! `jiedai enroll FILE` and `jiedai sync`: a terminal's side of the sync
//! with the county office. While the kiosk holds the data directory,
//! `jiedai sync` asks the kiosk to sync through its control socket.

use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use super::{exit, out, report_store_error, say};
use crate::i18n::Lang;
use crate::jobs::sync::SyncProgress;
use crate::storage::sync_state::SyncRecord;
use crate::storage::{Paths, StoreError, WriteError, Writer, read_terminal};
use crate::sync::client;
use crate::sync::credentials::{self, CredentialsProblem};
use crate::sync::error::SyncError;
use crate::sync::http::Client;
use crate::sync::{control, worker};

fn fail(e: &SyncError, lang: Lang) -> ExitCode {
    say(format_args!("jiedai: {}", e.message(lang)));
    ExitCode::from(exit::FAILED)
}

/// Loads the county's credentials file into the data directory, after
/// checking it is whole and for this station.
pub fn enroll(dir: &Path, file: &Path, lang: Lang) -> ExitCode {
    let paths = Paths::new(dir);
    if !paths.terminal().exists() {
        return report_store_error(&StoreError::NoStation(dir.to_path_buf()), lang);
    }
    let text = match credentials::read_credentials(file) {
        Ok(t) => t,
        Err(e) => return fail(&e, lang),
    };
    let creds = match credentials::parse_credentials(file, &text) {
        Ok(c) => c,
        Err(e) => return fail(&e, lang),
    };
    let identity = match read_terminal(&paths) {
        Ok(i) => i,
        Err(e) => return report_store_error(&e, lang),
    };
    if let Some(station) = identity.station
        && station != creds.station
    {
        return fail(
            &SyncError::OtherStation {
                enrolled: creds.station,
                station,
            },
            lang,
        );
    }
    let path = credentials::credentials_path(dir);
    if let Err(e) = crate::sync::secret::write_secret(&path, text.as_bytes(), true) {
        return fail(
            &SyncError::Credentials {
                path,
                problem: CredentialsProblem::Read(e),
            },
            lang,
        );
    }
    out(lang.pick(
        format!("已导入同步凭据：站点 {}，服务器 {}", creds.station, creds.server),
        format!(
            "sync credentials loaded: station {}, server {}",
            creds.station, creds.server
        ),
    ));
    ExitCode::SUCCESS
}

/// One full sync from the command line; exits non-zero with the reason
/// when it could not finish.
pub fn run(dir: &Path, attempts: u32, lang: Lang) -> ExitCode {
    // A mistyped --data is no station, not a terminal not yet enrolled.
    if !Paths::new(dir).terminal().exists() {
        return report_store_error(&StoreError::NoStation(dir.to_path_buf()), lang);
    }
    let creds = match credentials::load_credentials(dir) {
        Ok(Some(c)) => c,
        Ok(None) => return fail(&SyncError::NotEnrolled, lang),
        Err(e) => return fail(&e, lang),
    };
    let client = match Client::new(creds) {
        Ok(c) => c,
        Err(e) => return fail(&e, lang),
    };
    // Read only until the county sends something to save: a sync with
    // nothing to take changes nothing in the database (see `LazyWriter`).
    let store = match super::open_store_read(dir, lang) {
        Ok(s) => s,
        // The kiosk holds the directory: ask it to sync instead.
        Err(e @ StoreError::Busy(_)) => {
            return through_kiosk(dir, attempts, lang).unwrap_or_else(|| report_store_error(&e, lang));
        }
        Err(e) => return report_store_error(&e, lang),
    };
    let reader = store.reader();
    let writer = LazyWriter {
        dir,
        lang,
        reading: std::cell::RefCell::new(Some(store)),
        kept: std::cell::RefCell::new(None),
        writing: std::cell::RefCell::new(None),
    };
    let tty = std::io::stderr().is_terminal();
    let progress = |p: SyncProgress| {
        if !tty {
            return;
        }
        let line = match p {
            SyncProgress::Uploading { sent, total } => lang.pick(
                format!("上报中 {sent}/{total}"),
                format!("sending {sent}/{total}"),
            ),
            SyncProgress::Downloading { received } => lang.pick(
                format!("接收县里的记录 {received}"),
                format!("receiving the county's events {received}"),
            ),
        };
        use std::io::Write;
        let _ = write!(std::io::stderr().lock(), "\r{line}    ");
    };
    let on_retry = |attempt: u32, e: &SyncError, wait: Duration| {
        say(lang.pick(
            format!(
                "第 {attempt} 次未成功：{}；{} 秒后重试",
                e.message(lang),
                wait.as_secs()
            ),
            format!(
                "attempt {attempt} failed: {}; trying again in {} s",
                e.message(lang),
                wait.as_secs()
            ),
        ));
    };
    let stop = AtomicBool::new(false);
    let result = client::sync_with_retries(
        &reader,
        &writer,
        &client,
        lang,
        &progress,
        &stop,
        attempts.max(1),
        Duration::from_secs(2),
        &on_retry,
    );
    if tty {
        say("");
    }
    writer.finish();
    match result {
        Ok(report) => {
            // For the kiosk's Today screen when it next opens.
            worker::remember_touched(
                dir,
                &report.touched,
                crate::domain::clock::instant().fixed_offset(),
            );
            done(report.sent, report.stored, report.received, lang)
        }
        Err(e) => fail(&e, lang),
    }
}

/// The command's writer: the store is opened for writing (and the
/// read-only one closed) only when the county's events are to be saved.
struct LazyWriter<'a> {
    dir: &'a Path,
    lang: Lang,
    reading: std::cell::RefCell<Option<crate::storage::Store>>,
    /// The read-only store's copy of the database, which the sync's reader
    /// still reads after the store is closed.
    kept: std::cell::RefCell<Option<tempfile::TempDir>>,
    writing: std::cell::RefCell<Option<(Writer, crate::storage::WriterThread)>>,
}

impl client::SyncWriter for LazyWriter<'_> {
    fn save_feed(
        &self,
        origin: String,
        events: Vec<Box<serde_json::value::RawValue>>,
    ) -> crate::storage::Outcome {
        self.writer()?.save_feed(origin, events)
    }

    fn record(&self, record: SyncRecord) -> Result<(), WriteError> {
        // Until the store is open for writing, the read-only one holds the
        // directory's lock: nothing else writes the sync's file meanwhile.
        if self.writing.borrow().is_none()
            && let Some(store) = self.reading.borrow().as_ref()
        {
            let state = store.reader().sync_state().map_err(WriteError::Store)?;
            return state.record(&record).map_err(WriteError::Store);
        }
        self.writer()?.record(record)
    }
}

impl LazyWriter<'_> {
    /// The writer, the store opened for writing first when it is not yet.
    fn writer(&self) -> Result<std::cell::Ref<'_, Writer>, WriteError> {
        if self.writing.borrow().is_none() {
            // The read-only store holds the directory's lock: closed first.
            if let Some(mut store) = self.reading.borrow_mut().take() {
                *self.kept.borrow_mut() = store.take_snapshot();
            }
            let store = super::open_store(self.dir, self.lang).map_err(WriteError::Store)?;
            let spawned = Writer::spawn(store).map_err(|e| WriteError::Store(StoreError::io(self.dir, e)))?;
            *self.writing.borrow_mut() = Some(spawned);
        }
        std::cell::Ref::filter_map(self.writing.borrow(), |w| w.as_ref().map(|(writer, _)| writer))
            .map_err(|_| WriteError::Gone)
    }

    /// Waits for what was sent to be saved and closes the store.
    fn finish(self) {
        if let Some((writer, thread)) = self.writing.into_inner() {
            drop(writer);
            thread.finish();
        }
    }
}

fn done(sent: u64, stored: u64, received: u64, lang: Lang) -> ExitCode {
    out(lang.pick(
        format!("同步完成：上报 {sent} 条（县里新收 {stored} 条），收到县里的记录 {received} 条"),
        format!(
            "sync done: sent {sent} events ({stored} new to the county), received {received} from the county"
        ),
    ));
    ExitCode::SUCCESS
}

/// Asks the kiosk that holds `dir` to sync, and reports its answer; None
/// when no kiosk answers on its socket.
fn through_kiosk(dir: &Path, attempts: u32, lang: Lang) -> Option<ExitCode> {
    let ask = control::Ask {
        op: "sync".into(),
        lang,
        attempts: attempts.max(1),
    };
    if std::io::stderr().is_terminal() {
        say(lang.pick(
            "接待终端正在运行，已请它同步…",
            "the kiosk is running; asked it to sync…",
        ));
    }
    match control::ask(dir, &ask) {
        Ok(control::Answer::Done {
            sent,
            stored,
            received,
        }) => Some(done(sent, stored, received, lang)),
        Ok(control::Answer::Failed { message }) => {
            say(format_args!("jiedai: {message}"));
            Some(ExitCode::from(exit::FAILED))
        }
        Err(control::AskError::NoKiosk) => None,
        Err(control::AskError::Lost(e)) => {
            say(lang.pick(
                format!("jiedai: 接待终端在同步结束前关闭了（{e}），请再运行一次"),
                format!("jiedai: the kiosk closed before the sync finished ({e}); run the command again"),
            ));
            Some(ExitCode::from(exit::FAILED))
        }
    }
}

/// What the county could give back for a recovery.
pub enum CountyCopy {
    /// The terminal was never enrolled: the county holds nothing of it.
    NotEnrolled,
    /// Enrolled, but the county could not be reached (or refused): the
    /// recovery goes on without it, as a new origin where numbers were used.
    Unreachable,
    Copy(crate::storage::restore::CountyCopy),
}

/// Fetches the county's copy of this terminal's events after `own_after`
/// and of the station's feed after `feed_after`, for `check`'s recoveries.
/// A failure is said in words; the recovery goes on without the copy.
pub fn county_copy(dir: &Path, own_after: u64, feed_after: u64, lang: Lang) -> CountyCopy {
    let creds = match credentials::load_credentials(dir) {
        Ok(Some(c)) => c,
        Ok(None) => return CountyCopy::NotEnrolled,
        Err(e) => {
            say(format_args!("jiedai: {}", e.message(lang)));
            return CountyCopy::Unreachable;
        }
    };
    let identity = match read_terminal(&Paths::new(dir)) {
        Ok(i) => i,
        Err(e) => {
            say(format_args!("jiedai: {}", e.message(lang)));
            return CountyCopy::Unreachable;
        }
    };
    let fetched = Client::new(creds).and_then(|client| {
        client::county_copy(
            &client,
            identity.terminal,
            identity.generation,
            own_after,
            feed_after,
        )
    });
    match fetched {
        Ok(copy) => CountyCopy::Copy(copy),
        Err(e) => {
            say(format_args!(
                "jiedai: {}",
                lang.pick(
                    format!("未能从县里取回本终端的记录：{}", e.message(lang)),
                    format!(
                        "could not take this terminal's records back from the county: {}",
                        e.message(lang)
                    ),
                )
            ));
            CountyCopy::Unreachable
        }
    }
}

/// `check --rebuild` of an enrolled terminal: first the journal (perhaps
/// a backup put back) gets what the county holds after it, byte for byte;
/// a terminal that had used numbers past what can be found again
/// continues as a new origin.
pub fn complete_from_county(dir: &Path, lang: Lang) -> Result<Vec<crate::storage::Recovery>, StoreError> {
    use crate::storage::restore;
    // A journal that cannot be read is the rebuild's to report.
    let Ok(heads) = restore::journal_heads(dir) else {
        return Ok(Vec::new());
    };
    match county_copy(dir, heads.own, heads.feed, lang) {
        CountyCopy::NotEnrolled => Ok(Vec::new()),
        // Nothing of the county's: the journal is completed only as far as
        // numbering goes (a new origin when the rebuild will go on and
        // numbers were used past the journal).
        CountyCopy::Unreachable => restore::complete_journal(dir, None),
        // The database still holds events saved after the last sync (and
        // after the backup): the journal is written from the county's copy
        // and the database, as for a lost journal, so nothing is dropped.
        CountyCopy::Copy(copy) if restore::database_holds_more(dir, &heads, &copy) => {
            match county_copy(dir, 0, 0, lang) {
                CountyCopy::Copy(full) => {
                    restore::journal_from_database(dir, Some(&full), false, &|_, _| {}).map(|r| r.recovery)
                }
                _ => restore::complete_journal(dir, Some(&copy)),
            }
        }
        CountyCopy::Copy(copy) => restore::complete_journal(dir, Some(&copy)),
    }
}

/// `check --journal-from-database`, with the county's copy when the
/// terminal is enrolled.
pub fn journal_from_database(
    dir: &Path,
    lang: Lang,
    progress: crate::storage::OnProgress,
) -> Result<crate::storage::CheckReport, StoreError> {
    use crate::storage::restore;
    match county_copy(dir, 0, 0, lang) {
        CountyCopy::NotEnrolled => restore::journal_from_database(dir, None, false, progress),
        CountyCopy::Unreachable => restore::journal_from_database(dir, None, true, progress),
        CountyCopy::Copy(copy) => restore::journal_from_database(dir, Some(&copy), false, progress),
    }
}
