//! What can go wrong in storage, as data: each error carries its fields and
//! its words are chosen when it is shown, in the user's language
//! (`message`). `Display` gives the English words, for the log and for
//! tests; nothing shown to a user relies on it.

use std::io;
use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use super::projection::ApplyError;
use crate::domain::code::MAX_SEQ;
use crate::i18n::{Lang, os_words};

/// A stretch of the journal that is not a valid record, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DamageReport {
    pub at: u64,
    pub bytes: u64,
    /// Event sequence numbers it held (from its header or its neighbours).
    pub seqs: Option<(u64, u64)>,
    /// Valid records after it.
    pub valid_after: u64,
    /// What is wrong with it.
    pub kind: DamageKind,
}

/// What a damaged stretch of the journal is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DamageKind {
    /// Bytes that are not a valid record (a bad checksum, a broken header).
    Unreadable,
    /// A valid record whose events the journal already holds (a record
    /// appended twice); `of` is where the earlier copy starts, when it is
    /// the same bytes.
    Repeat { of: Option<u64> },
}

/// What the database says sled refuses to read (sled's own words carry a
/// debugging backtrace, which no user should read).
pub const CORRUPTED: &str = "corrupted";

/// What went wrong in storage; `Display` is the English message (see the
/// module's note).
#[derive(Debug, thiserror::Error)]
#[error("{}", self.message(Lang::En))]
pub enum StoreError {
    /// Another process holds the data directory.
    Busy(PathBuf),
    /// The directory holds no station (or does not exist).
    NoStation(PathBuf),
    Io {
        path: PathBuf,
        source: io::Error,
    },
    Database {
        path: PathBuf,
        message: String,
    },
    Journal {
        path: PathBuf,
        message: String,
    },
    /// The journal has damaged records followed by valid ones (or a damaged
    /// last record): nothing is opened until the operator decides.
    JournalDamaged {
        path: PathBuf,
        damage: Vec<DamageReport>,
    },
    /// A rebuild was asked for, but the database holds events the journal
    /// lacks (an older journal was put back): rebuilding would drop them.
    JournalBehind {
        journal: PathBuf,
        /// Appeals in the database that no journal event registers.
        appeals: usize,
        /// This terminal's last event in the database and in the journal.
        db_seq: u64,
        journal_seq: u64,
    },
    /// The database holds changes the journal does not: the journal was
    /// removed, cut short or replaced.
    DatabaseAhead {
        journal: PathBuf,
        applied: u64,
        journal_len: Option<u64>,
    },
    /// The terminal's identity file is missing, unreadable or invalid.
    Identity {
        path: PathBuf,
        #[source]
        problem: IdentityProblem,
    },
    /// `check --journal-from-database` found no database to read.
    NoDatabase(PathBuf),
    /// Every tracking code of a day on this terminal is used.
    CodesExhausted {
        date: NaiveDate,
        terminal: u8,
    },
    /// A record larger than the journal takes.
    TooLarge {
        bytes: usize,
        limit: usize,
    },
    /// Nothing was saved: writing failed (the journal is as it was).
    NotSaved {
        path: PathBuf,
        source: io::Error,
    },
    /// Writing failed in a way that leaves it unknown whether the last
    /// change reached the disk.
    MaybeSaved {
        path: PathBuf,
        source: io::Error,
    },
    /// An earlier write error stopped saving until the program restarts.
    Stopped {
        #[source]
        cause: Box<StoreError>,
    },
    /// Saving is not possible on a store opened for reading.
    ReadOnly,
    Rejected(#[from] ApplyError),
    /// Events from the county that cannot be taken (not the county's
    /// events for this station, out of order, or not valid).
    BadFeed {
        reason: String,
    },
}

/// What is wrong with a terminal's identity; `Display` is the English
/// message.
#[derive(Debug, thiserror::Error)]
#[error("{}", self.message(Lang::En))]
pub enum IdentityProblem {
    /// The file cannot be read (or is missing).
    Unreadable(#[source] io::Error),
    /// The file is not valid TOML of the expected shape (its words are the
    /// parser's).
    Invalid(#[source] Box<toml::de::Error>),
    /// A terminal number outside 1-9.
    TerminalOutOfRange(u8),
    /// The file names another station than the journal's.
    OtherStation { named: String, journal: String },
    /// The data directory already belongs to another station.
    DirectoryTaken { existing: String, wanted: String },
}

impl IdentityProblem {
    pub fn message(&self, lang: Lang) -> String {
        match self {
            IdentityProblem::Unreadable(e) if e.kind() == io::ErrorKind::NotFound => {
                lang.pick("文件不存在", "the file is missing").to_string()
            }
            IdentityProblem::Unreadable(e) => {
                let os = os_words(e, lang);
                lang.pick(format!("无法读取：{os}"), format!("cannot be read: {os}"))
            }
            IdentityProblem::Invalid(e) => {
                let detail = e.message();
                lang.pick(format!("格式不对：{detail}"), format!("not valid: {detail}"))
            }
            IdentityProblem::TerminalOutOfRange(n) => lang.pick(
                format!("终端号 {n} 不在 1-9 之内"),
                format!("terminal {n} is not 1-9"),
            ),
            IdentityProblem::OtherStation { named, journal } => lang.pick(
                format!("它写的是站点 {named}，日志中的站点却是 {journal}"),
                format!("it names station {named}, the journal's station is {journal}"),
            ),
            IdentityProblem::DirectoryTaken { existing, wanted } => lang.pick(
                format!("此数据目录属于站点 {existing}，不是 {wanted}"),
                format!("this data directory belongs to station {existing}, not {wanted}"),
            ),
        }
    }
}

/// Whether an I/O error means the disk (or the file size limit) is full.
pub fn is_full(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::StorageFull | io::ErrorKind::QuotaExceeded | io::ErrorKind::FileTooLarge
    )
}

/// The mount point holding `path` (the disk a user must free).
pub fn mount_point(path: &Path) -> PathBuf {
    use std::os::unix::fs::MetadataExt;
    let mut found = path.to_path_buf();
    let Some(dev) = path
        .ancestors()
        .find_map(|p| std::fs::metadata(p).ok().map(|m| m.dev()))
    else {
        return found;
    };
    for p in path.ancestors() {
        match std::fs::metadata(p) {
            Ok(m) if m.dev() == dev => found = p.to_path_buf(),
            Ok(_) => break,
            Err(_) => {}
        }
    }
    found
}

fn io_words(path: &Path, e: &io::Error, lang: Lang) -> String {
    let os = os_words(e, lang);
    if e.kind() == io::ErrorKind::FileTooLarge {
        lang.pick(
            format!(
                "文件大小已达上限：{} 无法再写入（本进程的文件大小限制，见 ulimit -f；{os}）",
                path.display()
            ),
            format!(
                "file size limit reached: {} cannot grow (this process's file-size limit, see ulimit -f; {e})",
                path.display()
            ),
        )
    } else if is_full(e) {
        let disk = mount_point(path);
        lang.pick(
            format!(
                "磁盘已满：{} 所在的磁盘（{}）没有空间了（{os}）",
                path.display(),
                disk.display()
            ),
            format!(
                "disk full: the disk holding {} ({}) has no space left ({e})",
                path.display(),
                disk.display()
            ),
        )
    } else {
        lang.pick(
            format!("{} 无法读写（{os}）", path.display()),
            format!("cannot read or write {} ({e})", path.display()),
        )
    }
}

impl StoreError {
    pub fn io(path: &Path, source: io::Error) -> StoreError {
        StoreError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    /// A database failure at `path`: sled's I/O errors stay I/O errors, so
    /// a full disk is named as one.
    pub fn sled(path: &Path, e: sled::Error) -> StoreError {
        match e {
            sled::Error::Io(source) => StoreError::Io {
                path: path.to_path_buf(),
                source,
            },
            // Files sled cannot make sense of (its words name a backtrace
            // or an old sled version, neither of which helps anyone).
            sled::Error::Corruption { .. } | sled::Error::Unsupported(_) | sled::Error::ReportableBug(_) => {
                StoreError::Database {
                    path: path.to_path_buf(),
                    message: CORRUPTED.to_string(),
                }
            }
            other => StoreError::Database {
                path: path.to_path_buf(),
                message: other.to_string(),
            },
        }
    }

    /// Whether this is sled saying it cannot make sense of the database at
    /// `db` (its files damaged), as opposed to an I/O failure, a side file
    /// that cannot be read or a value that does not decode: only then is
    /// setting the database aside and rebuilding it the remedy.
    pub fn sled_unreadable(&self, db: &Path) -> bool {
        matches!(self, StoreError::Database { path, message } if path == db && message == CORRUPTED)
    }

    /// The disk-full cause of this error, if that is what it is.
    pub fn disk_full(&self) -> bool {
        match self {
            StoreError::Io { source, .. }
            | StoreError::NotSaved { source, .. }
            | StoreError::MaybeSaved { source, .. } => is_full(source),
            StoreError::Stopped { cause } => cause.disk_full(),
            _ => false,
        }
    }

    /// The error in the user's language.
    pub fn message(&self, lang: Lang) -> String {
        match self {
            StoreError::Busy(dir) => lang.pick(
                format!(
                    "数据目录 {} 正被另一个 jiedai 进程使用（可能是正在运行的接待终端）。请先在那里退出，再运行此命令。",
                    dir.display()
                ),
                format!(
                    "the data directory {} is in use by another jiedai process (probably a running kiosk). Quit it there first, then run this command again.",
                    dir.display()
                ),
            ),
            StoreError::NoStation(dir) => lang.pick(
                format!(
                    "数据目录 {} 中没有站点。请检查 --data 是否写对；新终端请先运行 `jiedai --data {} init --station 站点文件.toml`（示例见 sample-data/station.toml）。",
                    dir.display(),
                    dir.display()
                ),
                format!(
                    "the data directory {} holds no station. Check that --data is spelled right; to set up a new terminal run `jiedai --data {} init --station STATION.toml` (see sample-data/station.toml).",
                    dir.display(),
                    dir.display()
                ),
            ),
            StoreError::Io { path, source } => io_words(path, source, lang),
            StoreError::Database { path, message } if message == CORRUPTED => lang.pick(
                format!(
                    "数据库 {} 的文件已损坏，无法读取。日志中的记录完好；可运行 `jiedai check --rebuild` 从日志重建数据库。",
                    path.display()
                ),
                format!(
                    "the database {} is corrupted and cannot be read. The journal is intact; run `jiedai check --rebuild` to rebuild the database from it.",
                    path.display()
                ),
            ),
            StoreError::Database { path, message } => lang.pick(
                format!(
                    "数据库 {} 无法使用：{message}。日志中的记录完好；可运行 `jiedai check --rebuild` 从日志重建数据库。",
                    path.display()
                ),
                format!(
                    "the database {} cannot be used: {message}. The journal is intact; run `jiedai check --rebuild` to rebuild the database from it.",
                    path.display()
                ),
            ),
            StoreError::Journal { path, message } => lang.pick(
                format!("日志 {} 无法读取：{message}", path.display()),
                format!("the journal {} cannot be read: {message}", path.display()),
            ),
            StoreError::JournalDamaged { path, damage } => {
                let mut out = lang.pick(
                    format!("日志 {} 有损坏或重复的记录，为免丢失数据，已停止：", path.display()),
                    format!(
                        "the journal {} has damaged or repeated records; stopped so that nothing is lost:",
                        path.display()
                    ),
                );
                for d in damage {
                    out.push('\n');
                    out.push_str(&damage_line(d, lang));
                }
                out.push('\n');
                out.push_str(lang.pick(
                    "请按 README「日志损坏时怎么办」处理：先备份整个数据目录；若无备份可恢复，运行 `jiedai check --drop-damaged-records` 舍弃这些记录（原字节另存，不会删除；重复的记录原本就在日志里，舍弃不丢任何内容）。",
                    "See README, \"When check reports damage\": back up the whole data directory; if no backup can be restored, run `jiedai check --drop-damaged-records` to drop these records (their bytes are kept in files beside the journal; a repeated record is in the journal already, so dropping it loses nothing).",
                ));
                out
            }
            StoreError::DatabaseAhead {
                journal,
                applied,
                journal_len,
            } => {
                let state = match journal_len {
                    None => lang.pick("日志文件不存在".to_string(), "the journal file is missing".to_string()),
                    Some(len) if len < applied => lang.pick(
                        format!("日志只有 {len} 字节，数据库却记录到第 {applied} 字节"),
                        format!("the journal has {len} bytes but the database holds changes up to byte {applied}"),
                    ),
                    Some(_) => lang.pick(
                        format!("数据库记下的最后一条记录（止于日志第 {applied} 字节）在日志里找不到"),
                        format!("the last record the database took (ending at byte {applied} of the journal) is not in the journal"),
                    ),
                };
                lang.pick(
                    format!(
                        "{}：{state}，日志被删除、截短或替换过。为免丢失数据，数据库和日志都保持原样，未打开。请从备份恢复 {}；若没有备份，可运行 `jiedai check --journal-from-database` 由数据库重建日志（旧日志另存）。",
                        journal.display(),
                        journal.display()
                    ),
                    format!(
                        "{}: {state}; the journal was removed, cut short or replaced. To lose nothing, the database and the journal are left as they are and nothing was opened. Restore {} from a backup; without one, run `jiedai check --journal-from-database` to rebuild the journal from the database (the old journal is kept).",
                        journal.display(),
                        journal.display()
                    ),
                )
            }
            StoreError::JournalBehind {
                journal,
                appeals,
                db_seq,
                journal_seq,
            } => lang.pick(
                format!(
                    "{}：数据库中有 {appeals} 条诉求是日志里没有的（本终端的事件数据库到 #{db_seq}，日志只到 #{journal_seq}）：日志比数据库旧（多半是从较早的备份放回的）。从这份日志重建会丢掉它们，所以没有重建，什么也没改。请放回较新的日志；若没有，运行 `jiedai check --journal-from-database` 由数据库写出新日志（旧日志另存）。",
                    journal.display()
                ),
                format!(
                    "{}: the database holds {appeals} appeals and this terminal's events up to #{db_seq} that the journal lacks (it ends at #{journal_seq}): the journal is older than the database (probably put back from an earlier backup). Rebuilding from it would drop them, so nothing was rebuilt or changed. Put the newer journal back; without one, run `jiedai check --journal-from-database` to write a new journal from the database (the old one is kept).",
                    journal.display()
                ),
            ),
            StoreError::Identity { path, problem } => {
                let problem = problem.message(lang);
                lang.pick(
                format!(
                    "本机终端身份文件 {} 无法使用（{problem}）。终端号决定查询码和事件编号，猜错会与其他终端重号，因此不启动。请从备份恢复此文件，或确认本机终端号后运行 `jiedai init --station 站点文件.toml --terminal N`。",
                    path.display()
                ),
                format!(
                    "this terminal's identity file {} cannot be used ({problem}). The terminal number is part of every tracking code and event id, and a wrong guess would collide with another terminal, so nothing was started. Restore the file from a backup, or confirm this terminal's number and run `jiedai init --station STATION.toml --terminal N`.",
                    path.display()
                ),
            )
            }
            StoreError::NoDatabase(db) => lang.pick(
                format!("没有数据库 {}，无法由它重建日志。", db.display()),
                format!("there is no database {} to rebuild the journal from.", db.display()),
            ),
            StoreError::CodesExhausted { date, terminal } => lang.pick(
                format!(
                    "{date} 的查询码在终端 {terminal} 上已用完：每台终端每日最多 {MAX_SEQ} 个。该日期的其余诉求请在本站的另一台终端上登记或导入。"
                ),
                format!(
                    "terminal {terminal} has used every tracking code for {date}: at most {MAX_SEQ} per terminal per day. Register or import that date's other appeals on another terminal of the station."
                ),
            ),
            StoreError::BadFeed { reason } => lang.pick(
                format!("县里发来的记录无法接收：{reason}。本站记录未受影响。"),
                format!("the county's events cannot be taken: {reason}. Nothing at the station changed."),
            ),
            StoreError::TooLarge { bytes, limit } => lang.pick(
                format!("一次保存的内容过大（{bytes} 字节，上限 {limit} 字节），未保存。"),
                format!("one save is too large ({bytes} bytes, the limit is {limit}); nothing was saved."),
            ),
            StoreError::NotSaved { path, source } => lang.pick(
                format!("未保存：{}。已保存的内容不受影响。", io_words(path, source, lang)),
                format!(
                    "not saved: {}. What was saved before is unaffected.",
                    io_words(path, source, lang)
                ),
            ),
            StoreError::MaybeSaved { path, source } => lang.pick(
                format!(
                    "无法确认是否已保存：{}。请退出并重新启动，再查看最后一条是否在。",
                    io_words(path, source, lang)
                ),
                format!(
                    "cannot tell whether this was saved: {}. Quit and restart, then look for the last entry.",
                    io_words(path, source, lang)
                ),
            ),
            StoreError::Stopped { cause } => lang.pick(
                format!(
                    "保存已停止，因为此前一次写入出错：{}。请处理后重新启动（已保存的内容不会丢失）。",
                    cause.message(lang)
                ),
                format!(
                    "saving has stopped after an earlier write error: {}. Fix it and restart (what was saved is kept).",
                    cause.message(lang)
                ),
            ),
            StoreError::ReadOnly => lang
                .pick("此命令只读，不能保存。", "this command only reads and cannot save.")
                .to_string(),
            StoreError::Rejected(e) => e.message(lang),
        }
    }
}

/// One damaged stretch, in words.
pub fn damage_line(d: &DamageReport, lang: Lang) -> String {
    if let DamageKind::Repeat { of } = d.kind {
        let events = match d.seqs {
            Some((a, b)) if a == b => lang.pick(format!("事件 #{a}"), format!("event #{a}")),
            Some((a, b)) => lang.pick(format!("事件 #{a}–#{b}"), format!("events #{a}–#{b}")),
            None => lang.pick("其中的事件".to_string(), "its events".to_string()),
        };
        let of = match of {
            Some(at) => lang.pick(
                format!("与偏移 {at} 起的记录逐字节相同"),
                format!("the same bytes as the record at offset {at}"),
            ),
            None => lang.pick(
                "日志前面已有".to_string(),
                "already earlier in the journal".to_string(),
            ),
        };
        return lang.pick(
            format!(
                "  - 偏移 {} 起 {} 字节是重复的记录：{events}{of}（记录被写入了两次）",
                d.at, d.bytes
            ),
            format!(
                "  - {} bytes at offset {} are a repeated record ({events}, {of}): it was written twice",
                d.bytes, d.at
            ),
        );
    }
    let seqs = match d.seqs {
        Some((a, b)) if a == b => lang.pick(format!("，事件 #{a}"), format!(", event #{a}")),
        Some((a, b)) => lang.pick(format!("，事件 #{a}–#{b}"), format!(", events #{a}–#{b}")),
        None => String::new(),
    };
    lang.pick(
        format!(
            "  - 偏移 {} 起 {} 字节不是有效记录{seqs}；其后还有 {} 条有效记录",
            d.at, d.bytes, d.valid_after
        ),
        format!(
            "  - {} bytes at offset {} are not a valid record{seqs}; {} valid records follow",
            d.bytes, d.at, d.valid_after
        ),
    )
}

/// What went wrong in the database: sled's own errors keep their I/O
/// cause (a full disk stays a full disk); a stored value that does not
/// decode is a damaged database.
pub(crate) trait DbFailure {
    fn at(self, db: &Path) -> StoreError;
}

impl DbFailure for sled::Error {
    fn at(self, db: &Path) -> StoreError {
        StoreError::sled(db, self)
    }
}

impl DbFailure for super::codec::DecodeError {
    fn at(self, db: &Path) -> StoreError {
        self.to_string().at(db)
    }
}

impl DbFailure for String {
    fn at(self, db: &Path) -> StoreError {
        StoreError::Database {
            path: db.to_path_buf(),
            message: self,
        }
    }
}

/// A copy of an error kept to explain why saving stopped.
pub(crate) fn clone_cause(e: &StoreError) -> StoreError {
    let io = |s: &std::io::Error| std::io::Error::new(s.kind(), s.to_string());
    match e {
        StoreError::NotSaved { path, source } => StoreError::NotSaved {
            path: path.clone(),
            source: io(source),
        },
        StoreError::MaybeSaved { path, source } => StoreError::MaybeSaved {
            path: path.clone(),
            source: io(source),
        },
        StoreError::Io { path, source } => StoreError::Io {
            path: path.clone(),
            source: io(source),
        },
        StoreError::Database { path, message } => StoreError::Database {
            path: path.clone(),
            message: message.clone(),
        },
        StoreError::Stopped { cause } => clone_cause(cause),
        other => StoreError::Journal {
            path: PathBuf::new(),
            message: other.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use std::error::Error;

    use super::*;

    #[test]
    fn display_is_the_english_message() {
        let e = StoreError::NoDatabase(PathBuf::from("/d/db"));
        assert_eq!(e.to_string(), e.message(Lang::En));
        assert_eq!(
            e.to_string(),
            "there is no database /d/db to rebuild the journal from."
        );
    }

    #[test]
    fn a_stopped_save_names_its_cause_as_source() {
        let full = io::Error::new(io::ErrorKind::StorageFull, "no space");
        let e = StoreError::Stopped {
            cause: Box::new(StoreError::NotSaved {
                path: PathBuf::from("/d/journal"),
                source: full,
            }),
        };
        let cause = e.source().expect("the cause");
        assert!(cause.to_string().starts_with("not saved: disk full:"), "{cause}");
        let io = cause.source().and_then(|s| s.downcast_ref::<io::Error>());
        assert_eq!(io.map(io::Error::kind), Some(io::ErrorKind::StorageFull));
    }

    #[test]
    fn an_invalid_identity_file_keeps_the_parsers_error_and_words() {
        let parsed = toml::from_str::<toml::Table>("terminal = ").unwrap_err();
        let words = parsed.message().to_string();
        let full = parsed.to_string();
        let e = StoreError::Identity {
            path: PathBuf::from("/d/terminal.toml"),
            problem: IdentityProblem::Invalid(Box::new(parsed)),
        };
        let problem = e.source().expect("the problem");
        assert_eq!(problem.to_string(), format!("not valid: {words}"));
        assert_eq!(problem.source().map(|s| s.to_string()), Some(full));
        assert!(e.message(Lang::Zh).contains(&format!("格式不对：{words}")));
    }
}
