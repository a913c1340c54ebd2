//! `jiedai import deputies|appeals FILE`: CSV (UTF-8 or GB18030) or JSON
//! Lines. Valid rows are committed in chunks (one journal record and one
//! fsync each); every rejected row is reported as `line N: reason` and
//! records nothing. Exit status 0 when every row was imported, 3 when some
//! were rejected, 2 when the file cannot be read, 4 when the data directory
//! is busy. On a terminal a progress bar is drawn on stderr; otherwise
//! `committed N` (rows durable so far) is printed after each commit.

use std::collections::HashSet;
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use chrono::Local;

use super::{exit, report_store_error};
use crate::domain::{Change, EventBody, Station};
use crate::i18n::Lang;
use crate::storage::{Store, StoreError};
use crate::transfer::table::{self, Column, Row, Table};
use crate::transfer::{appeals, deputies};

/// Rows per commit.
const CHUNK: usize = 200;

/// The actor recorded on imported events.
const ACTOR: &str = "import";

pub fn deputies(dir: &Path, file: &Path, lang: Lang) -> ExitCode {
    let (table, mut store, _station) = match open(dir, file, deputies::COLUMNS, lang) {
        Ok(opened) => opened,
        Err(code) => return code,
    };
    run(
        &mut store,
        table,
        lang,
        |_, row| deputies::parse_row(row, lang),
        |store, chunk| {
            let changes: Vec<Change> = chunk
                .into_iter()
                .map(|deputy| EventBody::DeputyUpserted { deputy })
                .collect();
            store.commit(ACTOR, changes).map(|_| ())
        },
    )
}

pub fn appeals(dir: &Path, file: &Path, lang: Lang) -> ExitCode {
    let (table, mut store, station) = match open(dir, file, appeals::COLUMNS, lang) {
        Ok(opened) => opened,
        Err(code) => return code,
    };
    let roster = match store.deputies() {
        Ok(r) => r,
        Err(e) => return report_store_error(&e),
    };
    let terminal = store.terminal();
    let ctx = appeals::Context {
        lang,
        today: Local::now().date_naive(),
        roster: &roster,
        station: &station.code,
        terminal,
    };
    let reserved = appeals::reserved_codes(table.rows.iter().filter_map(|(_, r)| r.as_ref().ok()));
    let mut seen = HashSet::new();
    run(
        &mut store,
        table,
        lang,
        |store, row| {
            let planned = appeals::parse_row(row, &ctx)?;
            if let Some(code) = planned.code() {
                let exists = store.appeal(code.as_str()).map_err(|e| e.to_string())?.is_some();
                if exists || !seen.insert(code.clone()) {
                    return Err(lang.pick(
                        format!("查询码 {code} 已存在"),
                        format!("tracking code {code} already exists"),
                    ));
                }
            }
            Ok(planned)
        },
        |store, chunk| {
            let changes = appeals::changes(store, chunk, &reserved)?;
            store.commit_dated(ACTOR, changes).map(|_| ())
        },
    )
}

/// Reads the file, then opens the store and checks there is a station;
/// on failure, reports it and gives the exit status.
fn open(
    dir: &Path,
    file: &Path,
    columns: &'static [Column],
    lang: Lang,
) -> Result<(Table, Store, Station), ExitCode> {
    let table = table::read(file, columns, lang).map_err(|e| {
        eprintln!("jiedai: {}", e.message(lang));
        ExitCode::from(exit::UNREADABLE)
    })?;
    let store = super::open_store(dir, lang).map_err(|e| report_store_error(&e))?;
    match store.station() {
        Ok(Some(station)) => Ok((table, store, station)),
        Ok(None) => Err(report_store_error(&StoreError::NoStation(dir.to_path_buf()))),
        Err(e) => Err(report_store_error(&e)),
    }
}

/// Parses every row, commits valid ones in chunks and reports the rest.
fn run<P>(
    store: &mut Store,
    table: Table,
    lang: Lang,
    mut parse: impl FnMut(&Store, &Row) -> Result<P, String>,
    mut commit: impl FnMut(&mut Store, Vec<P>) -> Result<(), StoreError>,
) -> ExitCode {
    let mut progress = Progress::new(table.rows.len());
    let mut chunk = Vec::new();
    let mut rejected = 0usize;
    for (i, (line, row)) in table.rows.into_iter().enumerate() {
        match row.and_then(|r| parse(store, &r)) {
            Ok(p) => chunk.push(p),
            Err(reason) => {
                rejected += 1;
                progress.say(&format!("line {line}: {reason}"));
            }
        }
        if chunk.len() >= CHUNK {
            let n = chunk.len();
            if let Err(e) = commit(store, std::mem::take(&mut chunk)) {
                return progress.fail(&e, lang);
            }
            progress.committed(n);
        }
        progress.seen(i + 1);
    }
    if !chunk.is_empty() {
        let n = chunk.len();
        if let Err(e) = commit(store, chunk) {
            return progress.fail(&e, lang);
        }
        progress.committed(n);
    }
    progress.finish();
    eprintln!(
        "{}",
        lang.pick(
            format!("已导入 {} 行，拒绝 {rejected} 行。", progress.durable),
            format!("{} rows imported, {rejected} rejected.", progress.durable),
        )
    );
    if rejected > 0 {
        ExitCode::from(exit::PARTIAL)
    } else {
        ExitCode::SUCCESS
    }
}

/// A progress bar on a terminal, `committed N` lines otherwise.
struct Progress {
    total: usize,
    seen: usize,
    durable: usize,
    tty: bool,
}

impl Progress {
    const WIDTH: usize = 30;

    fn new(total: usize) -> Progress {
        let p = Progress {
            total,
            seen: 0,
            durable: 0,
            tty: std::io::stderr().is_terminal(),
        };
        p.draw();
        p
    }

    fn draw(&self) {
        if !self.tty {
            return;
        }
        let filled = (self.seen * Self::WIDTH)
            .checked_div(self.total)
            .unwrap_or(Self::WIDTH);
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r[{}{}] {}/{}",
            "#".repeat(filled),
            ".".repeat(Self::WIDTH - filled),
            self.seen,
            self.total
        );
        let _ = err.flush();
    }

    /// A message on its own line (the bar is redrawn under it).
    fn say(&self, text: &str) {
        if self.tty {
            eprint!("\r\x1b[K");
        }
        eprintln!("{text}");
        self.draw();
    }

    fn seen(&mut self, n: usize) {
        self.seen = n;
        // About a hundred redraws whatever the size of the file.
        if n == self.total || n.is_multiple_of((self.total / 100).max(1)) {
            self.draw();
        }
    }

    fn committed(&mut self, n: usize) {
        self.durable += n;
        if !self.tty {
            println!("committed {}", self.durable);
        }
    }

    fn finish(&self) {
        if self.tty {
            eprintln!();
        }
    }

    fn fail(&self, e: &StoreError, lang: Lang) -> ExitCode {
        self.finish();
        eprintln!(
            "{}",
            lang.pick(
                format!("导入中断：此前已导入 {} 行。", self.durable),
                format!("import stopped: {} rows were imported before this.", self.durable),
            )
        );
        report_store_error(e)
    }
}
