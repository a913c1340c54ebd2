//! Sync (同步): whether this terminal is enrolled with the county, what
//! waits to be sent, how the last sync went, the nightly window, and a
//! progress bar while a sync runs.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Gauge, Paragraph, Wrap};

use super::widgets::{ACCENT, label_style, tone_style};
use crate::jobs::sync::SyncProgress;
use crate::tui::app::{App, Tone};
use crate::tui::keymap::Action;

fn field(app: &App, label: &str, value: Span<'static>) -> Line<'static> {
    Line::from(vec![
        Span::styled(format!("{label}{}", app.t.colon), label_style()),
        value,
    ])
}

pub fn draw(frame: &mut Frame, area: Rect, app: &App) {
    let t = app.t;
    let block = Block::default()
        .borders(Borders::ALL)
        .title(format!(" {} ", t.sync_title));
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [text_area, gauge_area, hint_area] =
        Layout::vertical([Constraint::Min(3), Constraint::Length(1), Constraint::Length(1)]).areas(inner);
    let mut lines = Vec::new();
    match &app.sync.overview {
        None => lines.push(Line::styled(t.sync_reading, label_style())),
        Some(Err(e)) => lines.push(Line::styled(
            format!("{}{}", t.sync_unreadable, e.message(app.lang)),
            tone_style(Tone::Error),
        )),
        Some(Ok(o)) => {
            if o.enrolled {
                lines.push(field(app, t.sync_enrolled, Span::raw(o.server.clone())));
            } else {
                lines.push(Line::styled(
                    t.sync_not_enrolled,
                    tone_style(Tone::Warn).add_modifier(Modifier::BOLD),
                ));
                lines.push(Line::from(t.sync_how_to_enroll));
            }
            lines.push(field(
                app,
                t.sync_unsent,
                Span::styled(
                    format!("{}{}", o.unsent, t.sync_items),
                    Style::new().add_modifier(Modifier::BOLD),
                ),
            ));
            let others = if o.others.is_empty() {
                t.sync_others_none.to_string()
            } else {
                let each: Vec<String> = o
                    .others
                    .iter()
                    .map(|(origin, count)| {
                        t.sync_others_each
                            .replace("{terminal}", terminal_of(origin))
                            .replace("{count}", &count.to_string())
                    })
                    .collect();
                each.join(app.lang.pick("，", ", "))
            };
            lines.push(field(app, t.sync_others, Span::raw(others)));
            let with_counts = |at: &chrono::DateTime<chrono::FixedOffset>, sent: u64, received: u64| {
                let counts = t
                    .sync_sent_received
                    .replace("{sent}", &sent.to_string())
                    .replace("{received}", &received.to_string());
                app.lang.pick(
                    format!("{}（{counts}）", app.zone.show(at)),
                    format!("{} ({counts})", app.zone.show(at)),
                )
            };
            let success = match &o.status.last_success {
                Some(at) => with_counts(at, o.status.sent, o.status.received),
                None => t.sync_never.to_string(),
            };
            lines.push(field(app, t.sync_last_success, Span::raw(success)));
            // The last success moved nothing: the one that did, too.
            if let Some(at) = &o.status.last_change
                && o.status.last_change != o.status.last_success
            {
                let change = with_counts(at, o.status.change_sent, o.status.change_received);
                lines.push(field(app, t.sync_last_change, Span::raw(change)));
            }
            if let Some(e) = &o.status.last_error {
                let when = o
                    .status
                    .last_attempt
                    .as_ref()
                    .map(|at| app.zone.show(at))
                    .unwrap_or_default();
                lines.push(field(app, t.sync_last_error, Span::styled(when, label_style())));
                lines.push(Line::styled(format!("  {e}"), tone_style(Tone::Error)));
            }
        }
    }
    let schedule = match (app.sync.window, app.sync.planned) {
        (Some(w), Some(next)) => t
            .sync_window_next
            .replace("{window}", &w.to_string())
            .replace("{next}", &next.format("%m-%d %H:%M").to_string()),
        (Some(w), None) => w.to_string(),
        (None, _) => t.sync_no_window.to_string(),
    };
    lines.push(field(app, t.sync_schedule, Span::raw(schedule)));
    if let Some((attempt, _, wait)) = &app.sync.retry {
        // The reason is the last error, above.
        let said = t
            .sync_retry_wait
            .replace("{attempt}", &attempt.to_string())
            .replace("{secs}", &wait.as_secs().max(1).to_string())
            .replace("{key}", &app.keymap.keys_label(Action::SyncNow));
        lines.push(Line::styled(said, tone_style(Tone::Warn)));
    }
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), text_area);
    if let Some((ratio, label)) = gauge(app) {
        frame.render_widget(
            Gauge::default()
                .gauge_style(Style::new().fg(ACCENT))
                .ratio(ratio.clamp(0.0, 1.0))
                .label(label),
            gauge_area,
        );
    }
    let hint = format!("{} {}", app.keymap.keys_label(Action::SyncNow), t.sync_now_hint);
    frame.render_widget(Paragraph::new(hint).style(label_style()), hint_area);
}

/// What the progress bar shows: the fraction done and its words.
pub fn gauge(app: &App) -> Option<(f64, String)> {
    let t = app.t;
    // Waiting to try again is not running.
    if app.sync.running.is_none() || app.sync.retry.is_some() {
        return None;
    }
    Some(match app.sync.progress {
        Some(SyncProgress::Uploading { sent, total }) => (
            if total == 0 {
                1.0
            } else {
                sent.min(total) as f64 / total as f64
            },
            t.sync_uploading
                .replace("{sent}", &sent.to_string())
                .replace("{total}", &total.to_string()),
        ),
        Some(SyncProgress::Downloading { received }) => (
            1.0,
            t.sync_downloading.replace("{received}", &received.to_string()),
        ),
        None => (0.0, t.sync_running.to_string()),
    })
}

/// The terminal part of an origin (`330999012-2` → `2`, `330999012-2.3` → `2.3`).
fn terminal_of(origin: &str) -> &str {
    origin.rsplit_once('-').map_or(origin, |(_, t)| t)
}
