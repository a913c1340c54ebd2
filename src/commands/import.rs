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
use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

use super::{exit, out, report_store_error, say};
use crate::domain::{Change, EventBody, Station};
use crate::i18n::Lang;
use crate::storage::{Store, StoreError};
use crate::transfer::problem::RowProblem;
use crate::transfer::table::{self, Column, Reader, Row};
use crate::transfer::{ReadError, appeals, deputies};

/// Rows per commit. Larger commits save no time (the store's work grows
/// with the rows, not the records) and hold more in memory while they are
/// saved: 160 MB instead of 45 MB at 3,200 rows.
const CHUNK: usize = 200;

/// The checking pass says how far it got every so many rows when its
/// output is not a terminal.
const CHECKED_EVERY: usize = 100_000;

/// The actor recorded on imported events.
const ACTOR: &str = "import";

pub fn deputies(dir: &Path, file: &Path, from_line: u64, lang: Lang) -> ExitCode {
    let (rows, mut store, _station) = match open(dir, file, deputies::COLUMNS, from_line, lang, |_| {}) {
        Ok(opened) => opened,
        Err(code) => return code,
    };
    run(
        &mut store,
        rows,
        Resume {
            kind: "deputies",
            file,
            from_line,
        },
        lang,
        |_, row| deputies::parse_row(row).map(Some),
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
    let mut reserved = appeals::Reserved::default();
    let mut names_deputies = false;
    let mut new_rows = false;
    let look = |row: &Row| {
        reserved.note(row);
        names_deputies |= !row.get("deputy").trim().is_empty();
        new_rows |= row.get("code").trim().is_empty();
    };
    let (rows, mut store, station) = match open(dir, file, appeals::COLUMNS, from_line, lang, look) {
        Ok(opened) => opened,
        Err(code) => return code,
    };
    reserved.seal();
    let roster = match store.deputies() {
        Ok(r) => r,
        Err(e) => return report_store_error(&e, lang),
    };
    if roster.is_empty() && names_deputies {
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
    // Rows without a code that an import saved before are skipped.
    let mut held = appeals::Held::default();
    if new_rows
        && store.has_appeals()
        && let Err(e) = store.for_each_appeal(|a| {
            held.note(&a, ACTOR);
            Ok(())
        })
    {
        return report_store_error(&e, lang);
    }
    // The codes of the file's rows seen so far, hashed: eight bytes a row.
    let hasher = BuildHasherDefault::<DefaultHasher>::default();
    let mut seen = HashSet::new();
    let code = run(
        &mut store,
        rows,
        Resume {
            kind: "appeals",
            file,
            from_line,
        },
        lang,
        |store, row| {
            let planned = appeals::parse_row(row, &ctx)?;
            if held.take(&planned) {
                return Ok(None);
            }
            if let Some(code) = planned.code() {
                let exists = store.appeal(code.as_str()).map_err(RowProblem::Store)?.is_some();
                if exists || !seen.insert(hasher.hash_one(code.as_str())) {
                    return Err(RowProblem::CodeTaken(code.clone()));
                }
            }
            Ok(Some(planned))
        },
        |store, chunk| {
            let mut issued = BTreeMap::new();
            for (date, count) in appeals::codes_wanted(&chunk) {
                let taken = reserved.on(date, &station.code, terminal);
                issued.insert(date, store.next_codes_avoiding(date, count, &taken)?.into());
            }
            let changes = appeals::changes(chunk, issued, store.zone()?.now(), store.terminal())?;
            store.commit_dated(ACTOR, changes).map(|_| ())
        },
    );
    drop(store);
    compact_after(dir, lang);
    code
}

/// A large import leaves sled holding several times its live data: the
/// database is compacted now, while the import is waited for, rather than
/// at the kiosk's next start.
fn compact_after(dir: &Path, lang: Lang) {
    if crate::storage::compaction_wanted(dir) {
        say(lang.pick(
            "jiedai: 正在整理数据库（大批导入之后），请稍候……",
            "jiedai: compacting the database after a large import, please wait…",
        ));
        if let Err(e) = super::open_store(dir, lang) {
            report_store_error(&e, lang);
        }
    }
}

/// Checks the whole file (`look` sees every readable row), then opens the
/// store and checks there is a station; gives the file's rows to import
/// from its start again. On failure, reports it and gives the exit status.
fn open(
    dir: &Path,
    file: &Path,
    columns: &'static [Column],
    from_line: u64,
    lang: Lang,
    look: impl FnMut(&Row),
) -> Result<(Rows, Store, Station), ExitCode> {
    let rows = check(file, columns, from_line, lang, look).map_err(|e| {
        say(format_args!("jiedai: {}", e.message(lang)));
        ExitCode::from(exit::UNREADABLE)
    })?;
    let store = super::open_store(dir, lang).map_err(|e| report_store_error(&e, lang))?;
    match store.station() {
        Ok(Some(station)) => Ok((rows, store, station)),
        Ok(None) => Err(report_store_error(
            &StoreError::NoStation(dir.to_path_buf()),
            lang,
        )),
        Err(e) => Err(report_store_error(&e, lang)),
    }
}

/// The rows to import, read again from the file's start, and how many
/// there are from `--from-line` on.
struct Rows {
    reader: Reader,
    total: usize,
}

/// The first pass: reads every row without keeping it, so that a file
/// damaged as a whole (a quote that swallowed rows, a broken encoding) is
/// refused before anything is written, and counts the rows to import.
fn check(
    file: &Path,
    columns: &'static [Column],
    from_line: u64,
    lang: Lang,
    mut look: impl FnMut(&Row),
) -> Result<Rows, ReadError> {
    let mut reader = table::open(file, columns, lang)?;
    let mut bar = CheckBar::new(lang);
    let mut total = 0;
    let mut read = 0;
    while let Some((line, row)) = reader.next() {
        if let Ok(row) = &row {
            look(row);
        }
        read += 1;
        total += usize::from(line >= from_line);
        bar.read(read, reader.progress());
    }
    let again = reader.again()?;
    reader.finish()?;
    bar.finish();
    Ok(Rows { reader: again, total })
}

/// Where an import starts: `--from-line` skips the lines before it.
struct Resume<'a> {
    /// `deputies` or `appeals`, for the advice.
    kind: &'static str,
    file: &'a Path,
    from_line: u64,
}

/// The next row at or after `from_line`.
fn next_from(reader: &mut Reader, from_line: u64) -> Option<(u64, Result<Row, RowProblem>)> {
    reader.find(|(line, _)| *line >= from_line)
}

/// The second pass: parses every row, commits valid ones in chunks and
/// reports the rest.
fn run<P: Clone>(
    store: &mut Store,
    rows: Rows,
    resume: Resume,
    lang: Lang,
    mut parse: impl FnMut(&Store, &Row) -> Result<Option<P>, RowProblem>,
    mut commit: impl FnMut(&mut Store, Vec<P>) -> Result<(), StoreError>,
) -> ExitCode {
    let Rows { mut reader, total } = rows;
    let mut progress = ImportBar::new(total, lang);
    let mut chunk = Vec::new();
    let mut rejected = 0usize;
    let mut skipped = 0usize;
    let mut seen = 0;
    let mut ahead = next_from(&mut reader, resume.from_line);
    while let Some((line, row)) = ahead.take() {
        match row.and_then(|r| parse(store, &r)) {
            Ok(Some(p)) => chunk.push((line, p)),
            Ok(None) => skipped += 1,
            Err(problem) => {
                rejected += 1;
                let reason = problem.message(lang);
                progress.say(&lang.pick(
                    format!("第 {line} 行：{reason}"),
                    format!("line {line}: {reason}"),
                ));
            }
        }
        ahead = next_from(&mut reader, resume.from_line);
        let full = chunk.len() >= CHUNK || (ahead.is_none() && !chunk.is_empty());
        if full
            && let Err((e, line)) =
                commit_split(store, std::mem::take(&mut chunk), &mut commit, &mut progress)
        {
            return progress.fail(&Failure::Store(e), line, &resume, lang);
        }
        seen += 1;
        progress.seen(seen);
    }
    if let Err(e) = reader.finish() {
        return progress.fail(&Failure::Read(e), None, &resume, lang);
    }
    progress.finish();
    let n = progress.durable;
    out(if skipped == 0 {
        lang.pick(
            format!("已导入 {n} 行，拒绝 {rejected} 行。"),
            format!("{n} rows imported, {rejected} rejected."),
        )
    } else {
        lang.pick(
            format!("已导入 {n} 行，跳过此前已导入的 {skipped} 行，拒绝 {rejected} 行。"),
            format!("{n} rows imported, {skipped} skipped (imported before), {rejected} rejected."),
        )
    });
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
    fn fail(&self, e: &Failure, line: Option<u64>, resume: &Resume, lang: Lang) -> ExitCode {
        self.finish();
        let file = resume.file.display();
        let kind = resume.kind;
        let fix = if matches!(e, Failure::Store(e) if e.disk_full()) {
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
                        "{fix}从第 {next} 行接着导入：jiedai import {kind} {file} --from-line {next}（重新导入整个文件也不会重复：已保存的行会被跳过或拒绝）。"
                    ),
                    format!(
                        "{fix}go on from line {next}: jiedai import {kind} {file} --from-line {next} (importing the whole file again duplicates nothing either: the saved rows are skipped or refused)."
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
            Failure::Store(StoreError::Busy(_)) => ExitCode::from(exit::BUSY),
            Failure::Read(_) => ExitCode::from(exit::UNREADABLE),
            Failure::Store(_) => ExitCode::from(exit::FAILED),
        }
    }
}

/// What stopped an import after it began to save.
enum Failure {
    Store(StoreError),
    /// The file could not be read to its end the second time.
    Read(ReadError),
}

impl Failure {
    fn message(&self, lang: Lang) -> String {
        match self {
            Failure::Store(e) => e.message(lang),
            Failure::Read(e) => e.message(lang),
        }
    }
}

/// The checking pass's progress: a bar by the bytes of the file read on a
/// terminal, `已检查 N 行` (`checked N rows`) every `CHECKED_EVERY` rows
/// otherwise.
struct CheckBar {
    tty: bool,
    lang: Lang,
    /// The bar's last width drawn.
    drawn: Option<usize>,
}

impl CheckBar {
    fn new(lang: Lang) -> CheckBar {
        CheckBar {
            tty: std::io::stderr().is_terminal(),
            lang,
            drawn: None,
        }
    }

    fn read(&mut self, rows: usize, (read, size): (u64, u64)) {
        if !self.tty {
            if rows.is_multiple_of(CHECKED_EVERY) {
                out(self
                    .lang
                    .pick(format!("已检查 {rows} 行"), format!("checked {rows} rows")));
            }
            return;
        }
        let width = ImportBar::WIDTH as u64;
        let filled = (read.min(size) * width).checked_div(size).unwrap_or(width) as usize;
        if self.drawn == Some(filled) && !rows.is_multiple_of(10_000) {
            return;
        }
        self.drawn = Some(filled);
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\r{} [{}{}] {rows}",
            self.lang.pick("检查", "checking"),
            "#".repeat(filled),
            ".".repeat(ImportBar::WIDTH - filled),
        );
        let _ = err.flush();
    }

    fn finish(&self) {
        if self.tty && self.drawn.is_some() {
            let _ = write!(std::io::stderr().lock(), "\r\x1b[K");
        }
    }
}
