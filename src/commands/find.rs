//! `jiedai find WORDS… [--status S] [--json]`: the kiosk's search (every word must match).

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use super::{exit, report_store_error, say};
use crate::domain::Status;
use crate::domain::catalog::Filter;
use crate::domain::privacy::mask::mask_phone;
use crate::i18n::Lang;

pub fn run(dir: &Path, query: &str, status: Option<&str>, json: bool, lang: Lang) -> ExitCode {
    let status = match status.map(|s| Status::parse(s).ok_or(s)) {
        None => None,
        Some(Ok(s)) => Some(s),
        Some(Err(s)) => {
            say(format_args!(
                "jiedai: {}",
                lang.pick(
                    format!("未知状态“{s}”。可用：{}", Status::known(lang)),
                    format!("unknown status “{s}”. Known: {}", Status::known(lang)),
                )
            ));
            return ExitCode::from(exit::FAILED);
        }
    };
    // A whole tracking code with a mistyped digit finds nothing: say why.
    if let Err(e @ crate::domain::code::CodeError::Check { .. }) =
        query.parse::<crate::domain::TrackingCode>()
    {
        say(format_args!(
            "jiedai: {}{}{}",
            query.trim(),
            lang.pick("：", ": "),
            e.message(lang)
        ));
        return ExitCode::from(exit::UNREADABLE);
    }
    // A clean directory's catalog cache is all a search needs.
    let current = match crate::storage::catalog_cache::current_catalog(dir) {
        Ok(c) => c,
        Err(e) => return report_store_error(&e, lang),
    };
    let catalog = match current {
        Some(c) => c,
        None => {
            let store = match crate::commands::open_store_read(dir, lang) {
                Ok(s) => s,
                Err(e) => return report_store_error(&e, lang),
            };
            match store.reader().load_catalog() {
                Ok(c) => c,
                Err(e) => return report_store_error(&e, lang),
            }
        }
    };
    let filter = Filter {
        status,
        query: query.to_string(),
        ..Filter::default()
    };
    // `today` only decides what is overdue, a filter `find` does not set.
    let today = crate::domain::clock::Zone::default().today();
    let hits = catalog.select(&filter, today);
    // One write per buffer, not per line: a search can print thousands.
    let mut stdout = std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let mut out = |line: &dyn std::fmt::Display| writeln!(stdout, "{line}").is_ok();
    for row in hits.iter().filter_map(|i| catalog.row(*i)) {
        if json {
            let value = serde_json::json!({
                "code": row.code,
                "date": row.date.to_string(),
                "status": row.status.code(),
                "category": row.category.code(),
                "title": row.title,
                "name": row.visitor,
                "phone": mask_phone(&row.phone),
                "deadline": row.deadline.map(|d| d.to_string()),
            });
            // A reader that stopped early (`| head -1`) is not a failure.
            if !out(&value) {
                return ExitCode::SUCCESS;
            }
        } else {
            let name = if row.visitor.is_empty() {
                lang.pick("（匿名）", "(anonymous)")
            } else {
                &row.visitor
            };
            let line = format!(
                "{}  {}  {}  {}  {}  {}",
                row.code,
                row.date,
                row.status.label(lang),
                row.category.label(lang),
                name,
                row.title
            );
            if !out(&line) {
                return ExitCode::SUCCESS;
            }
        }
    }
    if stdout.flush().is_err() {
        return ExitCode::SUCCESS;
    }
    drop(stdout);
    if !json {
        say(lang.pick(format!("共 {} 条", hits.len()), format!("{} found", hits.len())));
    }
    ExitCode::SUCCESS
}
