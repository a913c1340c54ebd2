//! `jiedai import deputies|appeals FILE`: CSV (UTF-8 or GB18030) or JSON
//! Lines. Valid rows are committed in chunks (one journal record and one
//! fsync each); every rejected row is reported as `line N: reason` and
//! records nothing. Exit status 0 when every row was imported, 3 when some
//! were rejected, 2 when the file cannot be read, 4 when the data directory
//! is busy. On a terminal a progress bar is drawn on stderr; otherwise
//! `已保存 N 行` / `saved N rows` (rows durable so far) is printed on
//! stdout after each commit. The summary goes to stdout, rejected rows and
//! errors to stderr, all in the user's language.
//! A file that is damaged as a whole (broken UTF-8, a quoted field that
//! swallowed other rows) is refused before anything is written. Row
//! errors never echo a phone or ID number whole. A closed standard output
//! or error (`| head -1`) does not stop the import.

use std::collections::{BTreeMap, HashSet};
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use super::{exit, out, report_store_error, say};
use crate::domain::{Change, EventBody, Station};
use crate::i18n::Lang;
use crate::storage::{Store, StoreError};
use crate::transfer::problem::RowProblem;
use crate::transfer::table::{self, Column, Row, Table};
use crate::transfer::{appeals, deputies};

/// Rows per commit.
const CHUNK: usize = 200;

/// The actor recorded on imported events.
const ACTOR: &str = "import";

pub fn deputies(dir: &Path, file: &Path, from_line: u64, lang: Lang) -> ExitCode {
    let (table, mut store, _station) = match open(dir, file, deputies::COLUMNS, lang) {
        Ok(opened) => opened,
        Err(code) => return code,
    };
    run(
        &mut store,
        table,
        Resume {
            kind: "deputies",
            file,
            from_line,
        },
        lang,
        |_, row| deputies::parse_row(row),
        |store, chunk| {
            let changes: Vec<Change> = chunk
                .into_iter()
                .map(|deputy| EventBody::DeputyUpserted { deputy })
                .collect();
            store.commit(ACTOR, changes).map(|_| ())
        },
    )
}

pub fn appeals(dir: &Path, file: &Path, from_line: u64, lang: Lang) -> ExitCode {
    let (table, mut store, station) = match open(dir, file, appeals::COLUMNS, lang) {
        Ok(opened) => opened,
        Err(code) => return code,
    };
    let roster = match store.deputies() {
        Ok(r) => r,
        Err(e) => return report_store_error(&e, lang),
    };
    if roster.is_empty()
        && table
            .rows
            .iter()
            .any(|(_, r)| r.as_ref().is_ok_and(|r| !r.get("deputy").trim().is_empty()))
    {
        say(lang.pick(
            "jiedai: 先导入代表名册：jiedai import deputies 名册文件.csv（本站还没有代表，而此文件的诉求写有接待代表）；未导入任何行。",
            "jiedai: import the deputy roster first: jiedai import deputies ROSTER.csv (this station has no deputies yet, and this file's appeals name deputies); no row was imported.",
        ));
        return ExitCode::from(exit::FAILED);
    }
    let terminal = store.terminal();
    let ctx = appeals::Context {
        today: station.zone().today(),
        zone: station.zone(),
        roster: &roster,
        station: &station.code,
        terminal,
    };
    let reserved = appeals::reserved_codes(table.rows.iter().filter_map(|(_, r)| r.as_ref().ok()));
    let mut seen = HashSet::new();
    run(
        &mut store,
        table,
        Resume {
            kind: "appeals",
            file,
            from_line,
        },
        lang,
        |store, row| {
            let planned = appeals::parse_row(row, &ctx)?;
            if let Some(code) = planned.code() {
                let exists = store.appeal(code.as_str()).map_err(RowProblem::Store)?.is_some();
                if exists || !seen.insert(code.clone()) {
                    return Err(RowProblem::CodeTaken(code.clone()));
                }
            }
            Ok(planned)
        },
        |store, chunk| {
            let mut issued = BTreeMap::new();
            for (date, count) in appeals::codes_wanted(&chunk) {
                issued.insert(date, store.next_codes_avoiding(date, count, &reserved)?.into());
            }
            let changes = appeals::changes(chunk, issued, store.zone()?.now(), store.terminal())?;
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
        say(format_args!("jiedai: {}", e.message(lang)));
        ExitCode::from(exit::UNREADABLE)
    })?;
    let store = super::open_store(dir, lang).map_err(|e| report_store_error(&e, lang))?;
    match store.station() {
        Ok(Some(station)) => Ok((table, store, station)),
        Ok(None) => Err(report_store_error(
            &StoreError::NoStation(dir.to_path_buf()),
            lang,
        )),
        Err(e) => Err(report_store_error(&e, lang)),
    }
}

/// Where an import starts: `--from-line` skips the lines before it.
struct Resume<'a> {
    /// `deputies` or `appeals`, for the advice.
    kind: &'static str,
    file: &'a Path,
    from_line: u64,
}

/// Parses every row, commits valid ones in chunks and reports the rest.
fn run<P: Clone>(
    store: &mut Store,
    table: Table,
    resume: Resume,
    lang: Lang,
    mut parse: impl FnMut(&Store, &Row) -> Result<P, RowProblem>,
    mut commit: impl FnMut(&mut Store, Vec<P>) -> Result<(), StoreError>,
) -> ExitCode {
    let rows: Vec<_> = table
        .rows
        .into_iter()
        .filter(|(line, _)| *line >= resume.from_line)
        .collect();
    let mut progress = ImportBar::new(rows.len(), lang);
    let mut chunk = Vec::new();
    let mut rejected = 0usize;
    let total = rows.len();
    for (i, (line, row)) in rows.into_iter().enumerate() {
        match row.and_then(|r| parse(store, &r)) {
            Ok(p) => chunk.push((line, p)),
            Err(problem) => {
                rejected += 1;
                let reason = problem.message(lang);
                progress.say(&lang.pick(
                    format!("第 {line} 行：{reason}"),
                    format!("line {line}: {reason}"),
                ));
            }
        }
        let full = chunk.len() >= CHUNK || (i + 1 == total && !chunk.is_empty());
        if full
            && let Err((e, line)) =
                commit_split(store, std::mem::take(&mut chunk), &mut commit, &mut progress)
        {
            return progress.fail(&e, line, &resume, lang);
        }
        progress.seen(i + 1);
    }
    progress.finish();
    out(lang.pick(
        format!("已导入 {} 行，拒绝 {rejected} 行。", progress.durable),
        format!("{} rows imported, {rejected} rejected.", progress.durable),
    ));
    if rejected > 0 {
        ExitCode::from(exit::PARTIAL)
    } else {
        ExitCode::SUCCESS
    }
}

/// Commits a chunk (rows with their lines) as one journal record, or in
/// halves when it is more than one record may hold or when a date's
/// tracking codes run out within it (so that every row before the first
/// one without a code is saved). Counts what became durable. An error
/// that belongs to one row comes with that row's line.
fn commit_split<P: Clone>(
    store: &mut Store,
    chunk: Vec<(u64, P)>,
    commit: &mut impl FnMut(&mut Store, Vec<P>) -> Result<(), StoreError>,
    progress: &mut ImportBar,
) -> Result<(), (StoreError, Option<u64>)> {
    let n = chunk.len();
    let rows = chunk.iter().map(|(_, p)| p.clone()).collect();
    match commit(store, rows) {
        Err(StoreError::TooLarge { .. } | StoreError::CodesExhausted { .. }) if n > 1 => {
            let mut first = chunk;
            let second = first.split_off(n / 2);
            commit_split(store, first, commit, progress)?;
            commit_split(store, second, commit, progress)
        }
        Err(e @ StoreError::CodesExhausted { .. }) => Err((e, chunk.first().map(|(line, _)| *line))),
        Err(e) => Err((e, None)),
        Ok(()) => {
            progress.committed(n);
            if let Some((line, _)) = chunk.last() {
                progress.through = *line;
            }
            Ok(())
        }
    }
}

/// A progress bar on a terminal, `已保存 N 行` (`saved N rows`) lines
/// otherwise.
struct ImportBar {
    total: usize,
    seen: usize,
    durable: usize,
    /// The physical line of the last row made durable.
    through: u64,
    tty: bool,
    lang: Lang,
}

impl ImportBar {
    const WIDTH: usize = 30;

    fn new(total: usize, lang: Lang) -> ImportBar {
        let p = ImportBar {
            total,
            seen: 0,
            durable: 0,
            through: 0,
            tty: std::io::stderr().is_terminal(),
            lang,
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
            let _ = write!(std::io::stderr().lock(), "\r\x1b[K");
        }
        say(text);
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
        // A closed standard output (`| head -1`) does not stop the import.
        if !self.tty {
            let n = self.durable;
            out(self
                .lang
                .pick(format!("已保存 {n} 行"), format!("saved {n} rows")));
        }
    }

    fn finish(&self) {
        if self.tty {
            say("");
        }
    }

    /// Says exactly what was saved before the error, and how to go on.
    fn fail(&self, e: &StoreError, line: Option<u64>, resume: &Resume, lang: Lang) -> ExitCode {
        self.finish();
        let file = resume.file.display();
        let kind = resume.kind;
        let fix = if e.disk_full() {
            lang.pick("腾出磁盘空间后，", "Free some space on that disk, then ")
        } else {
            lang.pick("问题解决后，", "Once that is fixed, ")
        };
        let (saved, advice) = if self.durable == 0 {
            (
                lang.pick(
                    "导入中断：本次没有保存任何行。".to_string(),
                    "import stopped: 0 rows were saved by this run.".to_string(),
                ),
                lang.pick(
                    format!("{fix}重新运行同一条导入命令即可。"),
                    format!("{fix}run the same import again."),
                ),
            )
        } else {
            let next = self.through + 1;
            (
                lang.pick(
                    format!(
                        "导入中断：已保存 {} 行（文件第 {} 行及之前的有效行），其后的行都未保存。",
                        self.durable, self.through
                    ),
                    format!(
                        "import stopped: {} rows were saved (the valid rows up to line {} of the file); no row after it was saved.",
                        self.durable, self.through
                    ),
                ),
                lang.pick(
                    format!(
                        "{fix}从第 {next} 行接着导入：jiedai import {kind} {file} --from-line {next}（不要重新导入整个文件，已保存的行会重复）。"
                    ),
                    format!(
                        "{fix}go on from line {next}: jiedai import {kind} {file} --from-line {next} (do not import the whole file again: the saved rows would be duplicated)."
                    ),
                ),
            )
        };
        say(saved);
        match line {
            Some(line) => say(lang.pick(
                format!("第 {line} 行：{}", e.message(lang)),
                format!("line {line}: {}", e.message(lang)),
            )),
            None => say(format_args!("jiedai: {}", e.message(lang))),
        }
        say(advice);
        match e {
            StoreError::Busy(_) => ExitCode::from(exit::BUSY),
            _ => ExitCode::from(exit::FAILED),
        }
    }
}
