//! `jiedai check [--rebuild | --drop-damaged-records | --journal-from-database]`.

use std::path::Path;
use std::process::ExitCode;

use super::{exit, report_store_error};
use crate::i18n::Lang;
use crate::storage::{self, error::damage_line};

/// What the operator asked for besides the check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Repair {
    None,
    Rebuild,
    DropDamaged,
    JournalFromDatabase,
}

impl Repair {
    pub fn from_flags(rebuild: bool, drop_damaged: bool, from_database: bool) -> Repair {
        match (rebuild, drop_damaged, from_database) {
            (_, true, _) => Repair::DropDamaged,
            (_, _, true) => Repair::JournalFromDatabase,
            (true, _, _) => Repair::Rebuild,
            _ => Repair::None,
        }
    }
}

pub fn run(dir: &Path, repair: Repair, lang: Lang) -> ExitCode {
    let progress = super::progress_printer(lang);
    let result = match repair {
        Repair::None => storage::check_with(dir, &progress),
        Repair::Rebuild => super::sync::complete_from_county(dir, lang).and_then(|mut notes| {
            let mut report = storage::rebuild_with(dir, false, &progress)?;
            notes.append(&mut report.recovery);
            report.recovery = notes;
            Ok(report)
        }),
        Repair::DropDamaged => storage::rebuild_with(dir, true, &progress),
        Repair::JournalFromDatabase => super::sync::journal_from_database(dir, lang, &progress),
    };
    let report = match result {
        Ok(r) => r,
        Err(e) => return report_store_error(&e, lang),
    };
    for line in &report.recovery {
        println!("{}{}", lang.pick("恢复：", "recovery: "), line.message(lang));
    }
    if repair != Repair::None {
        println!(
            "{}",
            lang.pick(
                "已从日志重建数据库。",
                "The database was rebuilt from the journal."
            )
        );
    }
    if !report.damage.is_empty() {
        let records: u64 = report.damage.len() as u64;
        println!(
            "{}",
            lang.pick(
                format!("检查未通过：日志有 {records} 处损坏或重复的记录：",),
                format!("check FAILED: the journal has damaged or repeated records in {records} places:"),
            )
        );
        for d in &report.damage {
            println!("{}", damage_line(d, lang));
        }
        println!(
            "{}",
            lang.pick(
                "其余记录仍然完好，未做任何修改。处理步骤见 README「日志损坏时怎么办」：先备份整个数据目录；能从备份恢复日志就恢复；否则运行 `jiedai check --drop-damaged-records`，它会舍弃以上记录（原字节另存）并说明舍弃了多少。",
                "The other records are intact and nothing was changed. What to do is in README, \"When check reports damage\": back up the whole data directory; restore the journal from a backup if you can; otherwise run `jiedai check --drop-damaged-records`, which drops the records above (keeping their bytes aside) and says how many.",
            )
        );
        return ExitCode::from(exit::FAILED);
    }
    if let Some((at, bytes)) = report.torn {
        println!(
            "{}",
            lang.pick(
                format!("注意：日志末尾偏移 {at} 起有 {bytes} 字节未写完（断电或强制退出时正在保存的内容，未曾显示为已保存）；下次启动接待终端时会另存。"),
                format!("note: the journal ends in {bytes} bytes of an unfinished write at offset {at} (a save interrupted by a power cut or a kill, never shown as saved); the kiosk sets them aside at its next start."),
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
            println!("  - {}", p.message(lang));
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
