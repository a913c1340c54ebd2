//! What `check` finds and what opening or repairing a station did, as
//! data: each note carries its fields, and its words are chosen when it is
//! shown, in the user's language (`message`). `Display` gives the English
//! words, for the log and for tests; nothing shown to a user relies on it.

use std::fmt;
use std::path::PathBuf;

use super::projection::ApplyError;
use crate::i18n::Lang;

/// One way the database disagrees with a replay of the journal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finding {
    /// A journal record whose content does not parse.
    BadRecord {
        number: u64,
        offset: u64,
        /// The parser's own words.
        detail: String,
    },
    /// A journal event that cannot be applied.
    BadEvent {
        origin: String,
        seq: u64,
        error: ApplyError,
    },
    /// A key whose value differs from the replay's.
    Differs { key: String },
    /// A key the database holds and the replay does not.
    OnlyInDatabase { key: String },
    /// A key the replay makes and the database lacks.
    MissingFromDatabase { key: String },
    /// Differences past those listed one by one.
    More { count: usize },
    /// A catalog cache row that differs from the database.
    CacheRow { path: PathBuf, code: String },
}

impl Finding {
    /// The finding in the user's language.
    pub fn message(&self, lang: Lang) -> String {
        match self {
            Finding::BadRecord {
                number,
                offset,
                detail,
            } => lang.pick(
                format!("日志记录 {number}（偏移 {offset}）无法解析：{detail}"),
                format!("journal record {number} (offset {offset}) cannot be read: {detail}"),
            ),
            Finding::BadEvent { origin, seq, error } => lang.pick(
                format!("日志事件 {origin}#{seq}：{}", error.message(lang)),
                format!("journal event {origin}#{seq}: {}", error.message(lang)),
            ),
            Finding::Differs { key } => lang.pick(
                format!("与日志不一致：{key}"),
                format!("differs from the journal: {key}"),
            ),
            Finding::OnlyInDatabase { key } => lang.pick(
                format!("数据库中有而日志中没有：{key}"),
                format!("in the database but not in the journal: {key}"),
            ),
            Finding::MissingFromDatabase { key } => lang.pick(
                format!("数据库中缺少：{key}"),
                format!("missing from the database: {key}"),
            ),
            Finding::More { count } => lang.pick(
                format!("……另有 {count} 处不一致"),
                format!("… and {count} more differences"),
            ),
            Finding::CacheRow { path, code } => lang.pick(
                format!("查询目录缓存 {}：{code} 一行与数据库不一致", path.display()),
                format!(
                    "catalog cache {}: row {code} differs from the database",
                    path.display()
                ),
            ),
        }
    }
}

/// English, for the log (see the module's note).
impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message(Lang::En))
    }
}

/// Something opening a station or a repair did (or found) on its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recovery {
    /// A version 1 journal was converted; the old file is kept.
    JournalConverted { kept: PathBuf },
    /// The database had another projection layout and is rebuilt.
    ProjectionsRebuilt { found: u64, wanted: u64 },
    /// Journal records the database lacked were applied.
    Replayed { records: usize },
    /// An unfinished write at the journal's end was moved aside.
    TornSetAside { at: u64, bytes: u64, aside: PathBuf },
    /// An unfinished write at the journal's end, left for the kiosk.
    TornFound { at: u64, bytes: u64 },
    /// A repair kept an unfinished write at the journal's end aside.
    TornKept { kept: PathBuf },
    /// The database was moved aside before a rebuild.
    DatabaseSetAside { aside: PathBuf },
    /// One damaged stretch was dropped from the journal.
    DamageDropped {
        at: u64,
        bytes: u64,
        seqs: Option<(u64, u64)>,
        kept: PathBuf,
    },
    /// The journal was rewritten without its damaged stretches.
    JournalRewritten { dropped: usize, old: PathBuf },
    /// The journal that was there before was kept aside.
    OldJournalKept { kept: PathBuf },
    /// A new journal was written from the database.
    JournalFromDatabase { events: u64 },
    /// The county's copy was written back into the journal byte for byte:
    /// this terminal's synced events and the county's feed.
    CountyCopyWritten { own: u64, feed: u64 },
    /// This terminal's numbering could not go on (events `lost_from` to
    /// `lost_to` cannot be written back as they were, for the reason
    /// `why`): it continues as `origin`.
    NewOrigin {
        origin: String,
        lost_from: u64,
        lost_to: u64,
        why: LostWhy,
    },
    /// Appeals whose history in the database went apart from the county's
    /// copy; the county's copy stands.
    CountyCopyStands { codes: Vec<String> },
    /// sled could not read the database: it was rebuilt from the journal.
    /// `message` is sled's (English) word for it, for the log only.
    DatabaseRebuilt { message: String },
}

/// Why a terminal's events could not be written back with their bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LostWhy {
    /// The county never received them (saved after the last sync).
    NotReported,
    /// The county could not be reached: what it holds is not known.
    CountyUnreachable,
    /// The county keeps the first of them, a station set-up event, without
    /// its staff PIN hashes, and the station's original bytes could not be
    /// put together again to match the hash the station attested.
    StationEventUnmatched,
}

impl Recovery {
    /// The note in the user's language.
    pub fn message(&self, lang: Lang) -> String {
        match self {
            Recovery::JournalConverted { kept } => lang.pick(
                format!(
                    "日志已转换为第 2 版格式，原文件保存为 {}，数据库将重建",
                    kept.display()
                ),
                format!(
                    "the journal was converted to format version 2; the old file is kept as {}, and the database is rebuilt",
                    kept.display()
                ),
            ),
            Recovery::ProjectionsRebuilt { found, wanted } => lang.pick(
                format!("数据库按第 {found} 版投影布局写成，本程序使用第 {wanted} 版：正从日志重建"),
                format!(
                    "the database was laid out by projection version {found}, this program uses {wanted}: rebuilding it from the journal"
                ),
            ),
            Recovery::Replayed { records } => lang.pick(
                format!("已将日志中的 {records} 条记录补入数据库"),
                format!("replayed {records} journal records into the database"),
            ),
            Recovery::TornSetAside { at, bytes, aside } => lang.pick(
                format!(
                    "日志末尾偏移 {at} 起有 {bytes} 字节未写完，已移到 {}",
                    aside.display()
                ),
                format!(
                    "journal ended in {bytes} bytes of an unfinished write at offset {at}; moved them to {}",
                    aside.display()
                ),
            ),
            Recovery::TornFound { at, bytes } => lang.pick(
                format!(
                    "日志末尾偏移 {at} 起有 {bytes} 字节未写完（从未显示为已保存；下次启动接待终端时会另存）"
                ),
                format!(
                    "journal ends in {bytes} bytes of an unfinished write at offset {at} (never acknowledged; the next start of the kiosk sets them aside)"
                ),
            ),
            Recovery::TornKept { kept } => lang.pick(
                format!("日志末尾未写完的内容已另存到 {}", kept.display()),
                format!("an unfinished write at the end was kept in {}", kept.display()),
            ),
            Recovery::DatabaseSetAside { aside } => lang.pick(
                format!("原数据库已移到 {}", aside.display()),
                format!("the old database was moved to {}", aside.display()),
            ),
            Recovery::DamageDropped { at, bytes, seqs, kept } => {
                let events = match seqs {
                    Some((a, b)) => lang.pick(format!("（事件 #{a}-#{b}）"), format!(", events #{a}-#{b}")),
                    None => String::new(),
                };
                lang.pick(
                    format!(
                        "已舍弃偏移 {at} 起 {bytes} 字节的损坏记录{events}；原字节保存在 {}",
                        kept.display()
                    ),
                    format!(
                        "dropped {bytes} damaged bytes at offset {at}{events}; the bytes are kept in {}",
                        kept.display()
                    ),
                )
            }
            Recovery::JournalRewritten { dropped, old } => lang.pick(
                format!(
                    "共从日志中舍弃 {dropped} 处损坏的记录；原日志保存为 {}",
                    old.display()
                ),
                format!(
                    "{dropped} damaged records dropped from the journal; the journal as it was is kept as {}",
                    old.display()
                ),
            ),
            Recovery::OldJournalKept { kept } => lang.pick(
                format!("原日志保存为 {}", kept.display()),
                format!("the old journal was kept as {}", kept.display()),
            ),
            Recovery::JournalFromDatabase { events } => lang.pick(
                format!("已由数据库写出新日志：{events} 个事件"),
                format!("a new journal was written from the database: {events} events"),
            ),
            Recovery::CountyCopyWritten { own, feed } => lang.pick(
                format!(
                    "已从县里取回本终端上报过的 {own} 个事件和县里发来的 {feed} 个事件，按原样写回日志，与县里的记录接得上"
                ),
                format!(
                    "took back from the county the {own} events this terminal had sent and the county's {feed} events, written into the journal exactly as they were, so they match the county's records"
                ),
            ),
            Recovery::NewOrigin {
                origin,
                lost_from,
                lost_to,
                why,
            } => {
                let lost = match why {
                    _ if lost_to < lost_from || *lost_to == 0 => String::new(),
                    LostWhy::NotReported => lang.pick(
                        format!("本终端第 {lost_from}–{lost_to} 号事件没有上报到县里，已无法按原样找回；"),
                        format!(
                            "events {lost_from}–{lost_to} of this terminal never reached the county and cannot be restored as they were; "
                        ),
                    ),
                    LostWhy::CountyUnreachable => lang.pick(
                        format!(
                            "未能连上县里，无法核对本终端第 {lost_from}–{lost_to} 号事件县里是否已收到，也无法按原样找回；为免编号重复，数据库中的记录已重新写入日志；"
                        ),
                        format!(
                            "the county could not be reached, so it is not known which of events {lost_from}–{lost_to} of this terminal it holds, and they cannot be restored as they were; so that no number is used twice, what the database holds was written into the journal again; "
                        ),
                    ),
                    LostWhy::StationEventUnmatched => lang.pick(
                        format!(
                            "县里保存的本终端第 {lost_from} 号事件（站点设置，县里不保存员工 PIN）无法与本站原来写下的内容逐字核对，第 {lost_from}–{lost_to} 号事件已无法按原样找回（县里仍保存着它们）；"
                        ),
                        format!(
                            "the county's copy of event {lost_from} of this terminal (the station's set-up, which the county keeps without staff PINs) cannot be matched byte for byte with what the station wrote, so events {lost_from}–{lost_to} cannot be restored as they were (the county still holds them); "
                        ),
                    ),
                };
                lang.pick(
                    format!(
                        "{lost}本终端从现在起作为新的来源 {origin}，事件从 1 号重新编号（与更换终端号时一样），此后照常同步；县里已有的记录不变，查询码照旧"
                    ),
                    format!(
                        "{lost}from now on this terminal continues as a new origin, {origin}, its events numbered from 1 again (as when a terminal is renumbered), and syncs as usual; what the county holds stays, and tracking codes are unchanged"
                    ),
                )
            }
            Recovery::DatabaseRebuilt { .. } => lang
                .pick(
                    "数据库无法读取，已按日志自动重建；已保存的记录都在，同步进度和打印任务不变",
                    "the database could not be read and was rebuilt from the journal by itself; every saved record is there, the sync position and print jobs are kept",
                )
                .to_string(),
            Recovery::CountyCopyStands { codes } => lang.pick(
                format!(
                    "{} 条诉求在数据库中的办理记录与县里的记录不一致，以县里的记录为准：{}",
                    codes.len(),
                    codes.join("、")
                ),
                format!(
                    "{} appeals have a history in the database that differs from the county's records; the county's records stand: {}",
                    codes.len(),
                    codes.join(", ")
                ),
            ),
        }
    }
}

/// English, for the log (see the module's note).
impl fmt::Display for Recovery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message(Lang::En))
    }
}
