//! `jiedai export appeals --format jsonl|csv|xlsx [--out FILE]`. Without
//! `--out`, JSON Lines and CSV go to standard output; xlsx needs `--out`.
//! `jiedai export ledgers PERIOD --out FILE.xlsx`: the station's ledgers
//! (`books`) for a period.
//! A file is written beside its target and renamed into place, so a failed
//! export never leaves half a file.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use super::{exit, report_store_error, say};
use crate::books;
use crate::cli::{Format, LedgersArgs};
use crate::i18n::Lang;
use crate::transfer::export::{self, AppealWriter, ExportError};

pub fn appeals(dir: &Path, format: Format, out: Option<&Path>, lang: Lang) -> ExitCode {
    if let Err(code) = check_target(format, out, lang) {
        return code;
    }
    let store = match crate::commands::open_store_read(dir, lang) {
        Ok(s) => s,
        Err(e) => return report_store_error(&e, lang),
    };
    let zone = match store.zone() {
        Ok(z) => z,
        Err(e) => return report_store_error(&e, lang),
    };
    let reader = store.reader();
    // Each appeal is written as it is read: nothing holds the station.
    write_appeals(format, out, lang, |w| {
        let mut n = 0;
        reader.try_each_appeal(|a| {
            n += 1;
            w.row(&export::in_zone(&a, zone))
        })?;
        Ok(n)
    })
}

/// Refuses xlsx to standard output, before anything is read.
pub(crate) fn check_target(format: Format, out: Option<&Path>, lang: Lang) -> Result<(), ExitCode> {
    if format == Format::Xlsx && out.is_none() {
        say(format_args!(
            "jiedai: {}",
            lang.pick(
                "导出 xlsx 必须用 --out 指定输出文件",
                "xlsx export needs an output file: use --out FILE",
            )
        ));
        return Err(ExitCode::from(exit::UNREADABLE));
    }
    Ok(())
}

/// Writes the appeals `fill` gives its writer, in `format`, to `out` (a
/// file written beside its target and renamed into place) or to standard
/// output, and says how it went. `fill` returns how many it wrote.
fn write_appeals(
    format: Format,
    out: Option<&Path>,
    lang: Lang,
    mut fill: impl FnMut(&mut AppealWriter) -> Result<usize, ExportError>,
) -> ExitCode {
    let mut count = 0;
    let mut write = |mut w: AppealWriter| -> Result<(), ExportError> {
        count = fill(&mut w)?;
        w.finish()
    };
    let result = match out {
        None => {
            let mut stdout = std::io::stdout().lock();
            match format {
                Format::Csv => AppealWriter::csv(&mut stdout, false, lang).and_then(&mut write),
                _ => write(AppealWriter::jsonl(&mut stdout, lang)),
            }
        }
        Some(path) => write_file(path, |w| match format {
            Format::Jsonl => write(AppealWriter::jsonl(w, lang)),
            Format::Csv => AppealWriter::csv(w, true, lang).and_then(&mut write),
            Format::Xlsx => AppealWriter::xlsx(w, lang).and_then(&mut write),
        }),
    };
    match result {
        Ok(()) => {
            if let Some(path) = out {
                say(lang.pick(
                    format!("已导出 {count} 条诉求到 {}", path.display()),
                    format!("{count} appeals exported to {}", path.display()),
                ));
            }
            ExitCode::SUCCESS
        }
        Err(ExportError::Store(e)) => report_store_error(&e, lang),
        // A reader that stopped early (`| head`) is not a failure.
        Err(e) if out.is_none() && e.is_broken_pipe() => ExitCode::SUCCESS,
        Err(e) => failed(out, &e.message(lang), lang),
    }
}

/// Says that an export to `out` (None: standard output) failed, and why.
pub(crate) fn failed(out: Option<&Path>, why: &str, lang: Lang) -> ExitCode {
    let target = out
        .map(|p| p.display().to_string())
        .unwrap_or_else(|| "stdout".into());
    say(format_args!(
        "jiedai: {}",
        lang.pick(
            format!("导出到 {target} 失败：{why}"),
            format!("export to {target} failed: {why}"),
        )
    ));
    ExitCode::from(exit::FAILED)
}

/// Writes through a temporary file in the target's directory, then renames it.
pub(crate) fn write_file(
    path: &Path,
    fill: impl FnOnce(&mut (dyn Write + Send)) -> Result<(), ExportError>,
) -> Result<(), ExportError> {
    let mut tmp = beside(path)?;
    {
        let mut w = std::io::BufWriter::new(tmp.as_file_mut());
        fill(&mut w)?;
        w.flush()?;
    }
    Ok(put_in_place(tmp, path)?)
}

/// A temporary file in `path`'s directory, for `put_in_place`.
pub(crate) fn beside(path: &Path) -> std::io::Result<tempfile::NamedTempFile> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    tempfile::NamedTempFile::new_in(parent)
}

/// `tmp`, written whole, synced and renamed to `path`.
pub(crate) fn put_in_place(tmp: tempfile::NamedTempFile, path: &Path) -> std::io::Result<()> {
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// `export ledgers`: the period and the file are checked before the store
/// is opened; a bad one is refused (exit 2) and nothing is written.
pub fn ledgers(dir: &Path, args: &LedgersArgs, lang: Lang) -> ExitCode {
    let asked = books::Asked {
        from: args.from.as_deref(),
        to: args.to.as_deref(),
        quarter: args.quarter.as_deref(),
        month: args.month.as_deref(),
        year: args.year.as_deref(),
    };
    let period = match books::read_period(&asked) {
        Ok(p) => p,
        Err(e) => {
            say(format_args!("jiedai: {}", e.message(lang)));
            return ExitCode::from(exit::UNREADABLE);
        }
    };
    let Some(out) = args.out.as_deref() else {
        say(format_args!("jiedai: {}", books::words::needs_out(lang)));
        return ExitCode::from(exit::UNREADABLE);
    };
    let store = match crate::commands::open_store_read(dir, lang) {
        Ok(s) => s,
        Err(e) => return report_store_error(&e, lang),
    };
    let sheets = match books::gather(&store.reader(), period) {
        Ok(b) => b.sheets(lang),
        Err(e) => return report_store_error(&e, lang),
    };
    let written = write_file(out, |w| Ok(books::workbook::write(w, &sheets, lang)?));
    match written {
        Ok(()) => {
            say(books::words::exported(
                &out.display().to_string(),
                &period.from.to_string(),
                &period.to.to_string(),
                lang,
            ));
            ExitCode::SUCCESS
        }
        Err(e) => failed(Some(out), &e.message(lang), lang),
    }
}
