//! The sync's news: its bookkeeping and progress on the Sync screen, the
//! outcome on the status line, and the appeals the county changed into
//! the catalog, the open detail and the Today screen.

use crate::jobs::sync::{News, Trigger};
use crate::tui::app::{App, Screen, Tone};
use crate::tui::keymap::Action;

pub fn on_news(app: &mut App, news: News) {
    let t = app.t;
    match news {
        News::Overview(overview) => {
            app.sync.overview_asked = false;
            app.sync.overview = Some(overview);
        }
        News::Planned(at) => app.sync.planned = at,
        News::Started(trigger) => {
            app.sync.running = Some(trigger);
            app.sync.retry = None;
            app.sync.progress = None;
            if trigger != Trigger::Staff && app.screen == Screen::Sync {
                let why = match trigger {
                    Trigger::Command => t.sync_by_command,
                    Trigger::AfterSave => t.sync_after_save,
                    _ => t.sync_by_schedule,
                };
                app.say(Tone::Info, format!("{}{why}", t.sync_running));
            }
        }
        News::Progress(p) => {
            app.sync.retry = None;
            app.sync.progress = Some(p);
        }
        News::Retrying { attempt, error, wait } => {
            app.sync.progress = None;
            let words = error.message(app.lang);
            app.sync.retry = Some((attempt, error, wait));
            let key = app.keymap.keys_label(Action::SyncNow);
            let said = t
                .sync_retrying
                .replace("{attempt}", &attempt.to_string())
                .replace("{error}", &words)
                .replace("{secs}", &wait.as_secs().max(1).to_string())
                .replace("{key}", &key);
            app.say(Tone::Warn, said);
        }
        News::Finished(result) => {
            let trigger = app.sync.running.take();
            let quiet = matches!(trigger, Some(Trigger::Schedule | Trigger::AfterSave));
            app.sync.progress = None;
            app.sync.retry = None;
            match result {
                Ok(report) => {
                    if !report.touched.is_empty() {
                        app.appeals_changed(&report.touched);
                    }
                    let said = format!(
                        "{}{}",
                        t.sync_done,
                        t.sync_sent_received
                            .replace("{sent}", &report.sent.to_string())
                            .replace("{received}", &report.received.to_string())
                    );
                    // A nightly sync or one after saves that went well
                    // says nothing over whatever screen is on show.
                    if !quiet || app.screen == Screen::Sync {
                        app.say(Tone::Good, said);
                    }
                }
                // A sync after saves that failed (offline) leaves the desk
                // alone: the Sync screen shows the error, and the next
                // nightly or asked-for sync reports its own.
                Err(_) if trigger == Some(Trigger::AfterSave) && app.screen != Screen::Sync => {}
                Err(error) => {
                    let said = error.message(app.lang);
                    app.say(Tone::Error, said);
                }
            }
        }
        News::County(notes) => app.county_noted(notes),
    }
}
