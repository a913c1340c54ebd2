//! Syncing beside the kiosk: a thread that takes sync requests (staff
//! pressed the sync key, `jiedai sync` asked through the control socket),
//! the station's nightly schedule and, on an enrolled terminal, a quiet
//! sync soon after saves (`SyncHandle::saved`, debounced), runs
//! `client::sync_and_record`, tries again after a transient failure with
//! exponential backoff and jitter, and hands what happens to a callback
//! as `jobs::sync::News`, the Sync screen's overview included. It is the
//! kiosk's `jobs::sync::SyncJob`. The network's time-outs cost this
//! thread, never the interface.
//!
//! It stops between requests once `stop` is set (a request under way ends
//! within the client's time-outs); dropping the `SyncWorker` sets it and
//! waits for the thread.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset, NaiveDateTime};
use serde::{Deserialize, Serialize};

use super::client;
use super::credentials::load_credentials;
use super::error::SyncError;
use super::http::Client;
use super::schedule::{self, Due, Plan, Window};
use crate::i18n::Lang;
use crate::jobs::sync::{CountyNote, News, Report, SyncJob, SyncProgress, Trigger};
use crate::jobs::{Failure, Sink, Worded};
use crate::storage::{Reader, Writer};

/// Tries of a sync staff asked for (the first and two more after a
/// network failure, with growing waits).
const STAFF_ATTEMPTS: u32 = 3;

/// The kiosk's clock.
pub type Now = Box<dyn Fn() -> DateTime<FixedOffset> + Send>;

/// Gets the outcome of one request, on the worker's thread.
pub type Reply = Box<dyn FnOnce(&Result<Report, SyncError>) + Send>;

/// One request for a sync.
pub struct Job {
    pub trigger: Trigger,
    /// Tries at most, counting the first.
    pub attempts: u32,
    pub reply: Option<Reply>,
}

/// How the worker runs.
pub struct Settings {
    pub lang: Lang,
    /// The station's nightly window, if it sets one.
    pub window: Option<Window>,
    /// The kiosk's clock.
    pub now: Now,
    /// First wait after a transient failure (doubling, with jitter).
    pub base: Duration,
    /// The longest wait.
    pub max: Duration,
    /// Tries of a scheduled sync.
    pub scheduled_attempts: u32,
    /// How far back county steps count as news.
    pub news_days: i64,
    /// How long after the last save an enrolled terminal syncs by itself
    /// (None: never). Saves that keep coming do not put it off for ever:
    /// it starts at the latest `AFTER_SAVE_CAP` times this after the
    /// first save not yet sent.
    pub after_save: Option<Duration>,
}

/// The longest a sync after saves waits, in `after_save`s from the first
/// save not yet sent (20 s after the last save, 50 s after the first).
const AFTER_SAVE_CAP: f64 = 2.5;

impl Settings {
    pub fn new(lang: Lang, window: Option<Window>, now: Now) -> Settings {
        Settings {
            lang,
            window,
            now,
            base: Duration::from_secs(10),
            max: Duration::from_secs(15 * 60),
            scheduled_attempts: 6,
            news_days: 3,
            after_save: None,
        }
    }
}

/// Saves not yet sent by a sync after saves: (first, last).
type Saves = Arc<Mutex<Option<(Instant, Instant)>>>;

/// A handle for asking the worker for a sync; any thread may hold one.
#[derive(Clone)]
pub struct SyncHandle {
    tx: mpsc::Sender<Job>,
    saves: Saves,
}

impl SyncHandle {
    /// Something was saved: the worker syncs soon after, quietly, when the
    /// terminal is enrolled and `Settings::after_save` is set. Costs the
    /// caller a lock, never a wait on the network.
    pub fn saved(&self) {
        let now = Instant::now();
        if let Ok(mut s) = self.saves.lock() {
            let first = s.map_or(now, |(first, _)| first);
            *s = Some((first, now));
        }
    }

    /// Asks for a sync; a request while one waits to try again starts the
    /// next try at once. When the worker is gone the reply gets `Stopped`.
    pub fn request(&self, job: Job) {
        if let Err(mpsc::SendError(job)) = self.tx.send(job)
            && let Some(reply) = job.reply
        {
            reply(&Err(SyncError::Stopped));
        }
    }
}

/// The sync thread, stopped and waited for when dropped.
pub struct SyncWorker {
    handle: SyncHandle,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    reader: Reader,
    news: Sink<News>,
}

impl SyncWorker {
    /// Starts the sync thread for the station in `dir`.
    pub fn spawn(
        reader: Reader,
        writer: Writer,
        dir: PathBuf,
        settings: Settings,
        news: impl Fn(News) + Send + Sync + 'static,
    ) -> std::io::Result<SyncWorker> {
        let (tx, rx) = mpsc::channel::<Job>();
        let stop = Arc::new(AtomicBool::new(false));
        let saves = Saves::default();
        let news: Sink<News> = Arc::new(news);
        let thread = {
            let stop = stop.clone();
            let saves = saves.clone();
            let reader = reader.clone();
            let news = news.clone();
            std::thread::Builder::new().name("sync".into()).spawn(move || {
                let mut w = Worker {
                    reader,
                    writer,
                    dir,
                    settings,
                    news,
                    rx,
                    stop,
                    saves,
                };
                w.run();
            })?
        };
        Ok(SyncWorker {
            handle: SyncHandle { tx, saves },
            stop,
            thread: Some(thread),
            reader,
            news,
        })
    }

    pub fn handle(&self) -> SyncHandle {
        self.handle.clone()
    }

    pub fn request(&self, job: Job) {
        self.handle.request(job);
    }
}

impl SyncJob for SyncWorker {
    fn trigger(&self, trigger: Trigger) {
        let attempts = match trigger {
            Trigger::Staff => STAFF_ATTEMPTS,
            _ => 1,
        };
        self.request(Job {
            trigger,
            attempts,
            reply: None,
        });
    }

    fn saved(&self) {
        self.handle.saved();
    }

    /// Reads on a thread of its own: the sync's thread may be waiting on
    /// the network.
    fn refresh(&self) {
        let reader = self.reader.clone();
        let news = self.news.clone();
        let spawned = std::thread::Builder::new()
            .name("sync-overview".into())
            .spawn(move || news(News::Overview(overview(&reader))));
        if let Err(e) = spawned {
            log::warn!("cannot read the sync's overview: {e}");
        }
    }
}

/// The sync's bookkeeping, or why it could not be read.
fn overview(reader: &Reader) -> Result<crate::jobs::sync::Overview, Failure> {
    client::overview(reader).map_err(Failure::new)
}

/// The kiosk words a sync's failure in its own language.
impl Worded for SyncError {
    fn message(&self, lang: Lang) -> String {
        SyncError::message(self, lang)
    }
}

impl Drop for SyncWorker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take()
            && t.join().is_err()
        {
            log::error!("the sync thread panicked");
        }
    }
}

/// How often the thread looks at the clock and the stop flag.
const TICK: Duration = Duration::from_millis(200);

struct Worker {
    reader: Reader,
    writer: Writer,
    dir: PathBuf,
    settings: Settings,
    news: Sink<News>,
    rx: mpsc::Receiver<Job>,
    stop: Arc<AtomicBool>,
    saves: Saves,
}

impl Worker {
    /// Whether the sync after saves is due: `after_save` since the last
    /// save, or the cap since the first. Taken when due.
    fn take_after_save_due(&self) -> bool {
        let Some(delay) = self.settings.after_save else {
            return false;
        };
        let Ok(mut saves) = self.saves.lock() else {
            return false;
        };
        let due = saves.is_some_and(|saves| after_save_due(saves, Instant::now(), delay));
        if due {
            *saves = None;
        }
        due
    }

    fn stopped(&self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    fn now(&self) -> NaiveDateTime {
        (self.settings.now)().naive_local()
    }

    fn run(&mut self) {
        self.serve();
        // Requests still queued get their answer.
        while let Ok(job) = self.rx.try_recv() {
            if let Some(reply) = job.reply {
                reply(&Err(SyncError::Stopped));
            }
        }
    }

    fn serve(&mut self) {
        self.send_county_news(None);
        let window = self.settings.window;
        let mut plan: Option<Plan> =
            window.map(|w| schedule::plan(&w, self.now(), schedule::random_fraction()));
        (self.news)(News::Planned(plan.map(|p| p.at)));
        while !self.stopped() {
            match self.rx.recv_timeout(TICK) {
                Ok(job) => self.sync(job),
                Err(RecvTimeoutError::Disconnected) => return,
                Err(RecvTimeoutError::Timeout) => {
                    if self.take_after_save_due() {
                        self.sync(Job {
                            trigger: Trigger::AfterSave,
                            attempts: 1,
                            reply: None,
                        });
                        continue;
                    }
                    let (Some(w), Some(p)) = (window, plan) else {
                        continue;
                    };
                    match schedule::due(&p, self.now()) {
                        Due::Wait => continue,
                        Due::Now => {
                            log::info!("nightly sync, planned for {}", p.at);
                            let attempts = self.settings.scheduled_attempts;
                            self.sync(Job {
                                trigger: Trigger::Schedule,
                                attempts,
                                reply: None,
                            });
                        }
                        Due::Missed => log::info!("the nightly sync planned for {} was missed", p.at),
                    }
                    let next = schedule::next(&w, &p, schedule::random_fraction());
                    plan = Some(next);
                    (self.news)(News::Planned(Some(next.at)));
                }
            }
        }
    }

    /// One request, with its retries; requests that arrive meanwhile join it.
    fn sync(&self, job: Job) {
        let lang = self.settings.lang;
        let quiet = matches!(job.trigger, Trigger::Schedule | Trigger::AfterSave);
        if quiet && matches!(load_credentials(&self.dir), Ok(None)) {
            // Not enrolled: the Sync screen says how; nothing to try by itself.
            return;
        }
        // This sync sends every save made before it starts.
        if let Ok(mut saves) = self.saves.lock() {
            *saves = None;
        }
        (self.news)(News::Started(job.trigger));
        let mut attempts = job.attempts.max(1);
        let mut replies: Vec<Reply> = job.reply.into_iter().collect();
        let result = match load_credentials(&self.dir) {
            Ok(None) => Err(SyncError::NotEnrolled),
            Err(e) => Err(e),
            Ok(Some(creds)) => match Client::new(creds) {
                Err(e) => Err(e),
                Ok(client) => {
                    let news = &self.news;
                    let progress = |p: SyncProgress| news(News::Progress(p));
                    let mut attempt = 1;
                    loop {
                        let r = client::sync_and_record(
                            &self.reader,
                            &self.writer,
                            &client,
                            lang,
                            &progress,
                            &self.stop,
                        );
                        match r {
                            Err(e) if e.transient() && attempt < attempts && !self.stopped() => {
                                let wait =
                                    super::backoff::backoff(attempt, self.settings.base, self.settings.max);
                                log::info!(
                                    "sync attempt {attempt} failed: {}; again in {wait:?}",
                                    e.message(Lang::En)
                                );
                                news(News::Retrying {
                                    attempt,
                                    error: Failure::new(e),
                                    wait,
                                });
                                news(News::Overview(overview(&self.reader)));
                                match self.wait(wait) {
                                    Waited::Stop => break Err(SyncError::Stopped),
                                    Waited::Done => {}
                                    Waited::Asked(more) => {
                                        attempts = attempts.max(attempt + more.attempts.max(1));
                                        replies.extend(more.reply);
                                        news(News::Started(more.trigger));
                                    }
                                }
                                attempt += 1;
                            }
                            other => break other,
                        }
                    }
                }
            },
        };
        match &result {
            Ok(r) => log::info!("sync done: sent {}, received {}", r.sent, r.received),
            Err(e) => log::warn!("sync failed: {}", e.message(Lang::En)),
        }
        for reply in replies {
            reply(&result);
        }
        let touched = result.as_ref().ok().map(|r| r.touched.clone());
        if let Some(t) = &touched {
            remember_touched(&self.dir, t, (self.settings.now)());
        }
        (self.news)(News::Finished(result.map_err(Failure::new)));
        (self.news)(News::Overview(overview(&self.reader)));
        if let Some(touched) = touched
            && !touched.is_empty()
        {
            self.send_county_news(Some(&touched));
        }
    }

    /// Waits `wait` before trying again, unless stopped or asked again.
    fn wait(&self, wait: Duration) -> Waited {
        let until = Instant::now() + wait;
        loop {
            if self.stopped() {
                return Waited::Stop;
            }
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Waited::Done;
            }
            match self.rx.recv_timeout(left.min(TICK)) {
                Ok(job) => return Waited::Asked(job),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return Waited::Stop,
            }
        }
    }

    /// Tells the kiosk which appeals the county stepped lately: those
    /// `touched` by a sync, or at start the open ones.
    fn send_county_news(&self, touched: Option<&[String]>) {
        let now = (self.settings.now)();
        let since = now - chrono::Duration::days(self.settings.news_days);
        let today = now.date_naive();
        // Bookings stay until their day: look further back for them.
        // A terminal catching up a station's history touches every appeal:
        // past the list kept for the start, the news are of the newest
        // appeals (codes sort by date).
        let codes: Vec<String> = match touched {
            Some(t) => t[t.len().saturating_sub(TOUCHED_KEPT)..].to_vec(),
            None => recent_touched(&self.dir, now - chrono::Duration::days(BOOKINGS_LOOK_BACK_DAYS)),
        };
        let mut notes = Vec::new();
        for code in codes {
            if self.stopped() {
                return;
            }
            if let Ok(Some(a)) = self.reader.appeal(&code)
                && let Some(n) = CountyNote::of(&a)
                && n.current(since, today)
            {
                notes.push(n);
            }
        }
        if touched.is_some() || !notes.is_empty() {
            (self.news)(News::County(notes));
        }
    }
}

/// Whether a sync after saves made from `first` to `last` is due at
/// `now`: `delay` after the last, and at the latest `AFTER_SAVE_CAP`
/// delays after the first, however many saves followed.
fn after_save_due((first, last): (Instant, Instant), now: Instant, delay: Duration) -> bool {
    now >= last + delay || now >= first + delay.mul_f64(AFTER_SAVE_CAP)
}

enum Waited {
    Done,
    Stop,
    Asked(Job),
}

/// Where the appeals recent syncs changed are listed (`remember_touched`).
pub fn touched_path(dir: &Path) -> PathBuf {
    dir.join("sync-touched.json")
}

/// How many changed appeals the list keeps.
const TOUCHED_KEPT: usize = 500;

/// How far back the kiosk looks at start for bookings still to come.
const BOOKINGS_LOOK_BACK_DAYS: i64 = 62;

#[derive(Serialize, Deserialize)]
struct Touched {
    code: String,
    at: DateTime<FixedOffset>,
}

/// Adds the appeals a sync changed, at `now`, to the short list the
/// kiosk reads at start for its Today screen (so that it need not read
/// every appeal to find the county's steps). Best effort: a list that
/// cannot be written only costs the Today screen its county news.
pub fn remember_touched(dir: &Path, codes: &[String], now: DateTime<FixedOffset>) {
    if codes.is_empty() {
        return;
    }
    let path = touched_path(dir);
    let mut list: Vec<Touched> = std::fs::read(&path)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    list.retain(|t| !codes.contains(&t.code));
    list.extend(codes.iter().map(|c| Touched {
        code: c.clone(),
        at: now,
    }));
    let drop = list.len().saturating_sub(TOUCHED_KEPT);
    list.drain(..drop);
    let write = || -> std::io::Result<()> {
        let tmp = path.with_extension("json.new");
        std::fs::write(&tmp, serde_json::to_vec(&list).map_err(std::io::Error::other)?)?;
        std::fs::rename(&tmp, &path)
    };
    if let Err(e) = write() {
        log::warn!("{}: {e}", path.display());
    }
}

/// The appeals syncs changed since `since`, newest last.
pub fn recent_touched(dir: &Path, since: DateTime<FixedOffset>) -> Vec<String> {
    let list: Vec<Touched> = std::fs::read(touched_path(dir))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    list.into_iter()
        .filter(|t| t.at >= since)
        .map(|t| t.code)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sync_after_saves_waits_for_a_pause_but_not_for_ever() {
        let delay = Duration::from_secs(20);
        let t0 = Instant::now();
        let s = |secs: u64| t0 + Duration::from_secs(secs);
        // One save: 20 s after it.
        assert!(!after_save_due((t0, t0), s(19), delay));
        assert!(after_save_due((t0, t0), s(20), delay));
        // Saves every 10 s: never 20 s after the last, but 50 s after the first.
        assert!(!after_save_due((t0, s(40)), s(49), delay));
        assert!(after_save_due((t0, s(40)), s(50), delay));
    }
}
