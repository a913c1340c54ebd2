//! `jiedai check [--rebuild]`.

use std::path::Path;
use std::process::ExitCode;

use super::{exit, report_store_error};
use crate::i18n::Lang;
use crate::storage;

pub fn run(dir: &Path, rebuild: bool, lang: Lang) -> ExitCode {
    let result = if rebuild {
        storage::rebuild_with(dir, &super::progress_printer(lang))
    } else {
        storage::check_with(dir, &super::progress_printer(lang))
    };
    let report = match result {
        Ok(r) => r,
        Err(e) => return report_store_error(&e),
    };
    for line in &report.recovery {
        println!("{}{line}", lang.pick("启动恢复：", "recovery: "));
    }
    if rebuild {
        println!(
            "{}",
            lang.pick(
                "已从日志重建数据库。",
                "The database was rebuilt from the journal."
            )
        );
    }
    println!(
        "{}",
        lang.pick(
            format!(
                "日志 {} 条记录、{} 个事件；数据库 {} 个键、{} 条诉求。",
                report.records, report.events, report.keys, report.appeals
            ),
            format!(
                "journal: {} records, {} events; database: {} keys, {} appeals.",
                report.records, report.events, report.keys, report.appeals
            ),
        )
    );
    if report.ok() {
        println!(
            "{}",
            lang.pick(
                "检查通过：数据库与日志一致。",
                "check passed: the database agrees with the journal."
            )
        );
        ExitCode::SUCCESS
    } else {
        for p in &report.problems {
            println!("  - {p}");
        }
        println!(
            "{}",
            lang.pick(
                "检查未通过：数据库与日志不一致。可运行 `jiedai check --rebuild` 从日志重建。",
                "check FAILED: the database disagrees with the journal. Run `jiedai check --rebuild` to rebuild it from the journal.",
            )
        );
        ExitCode::from(exit::FAILED)
    }
}
