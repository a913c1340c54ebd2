//! `jiedai init --station FILE`: set up a station, or with `--reconfigure`
//! update it. A directory that holds a station is never changed without
//! `--reconfigure`, and the number of a terminal that has issued codes is
//! changed only with `--change-terminal`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde::Deserialize;

use super::{exit, report_store_error};
use crate::domain::calendar::{Holidays, TableError};
use crate::domain::station::{PinHashError, PinRule, StationProblem, SyncSettings, hash_pin, validate_pin};
use crate::domain::{EventBody, HandlingUnit, Staff, Station, StationKind};
use crate::i18n::Lang;
use crate::limits::ReadCapped;
use crate::storage::Store;

/// The station file as written by hand (see sample-data/station.toml).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StationFile {
    station: StationSection,
    #[serde(default)]
    staff: Vec<StaffEntry>,
    #[serde(default)]
    units: Vec<HandlingUnit>,
    #[serde(default)]
    sync: SyncSettings,
    #[serde(default)]
    points: crate::domain::points::PointsRules,
}

/// A member of staff as the station file gives them: the PIN, if any, in
/// the clear. Only its salted hash is kept.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StaffEntry {
    id: String,
    name: String,
    #[serde(default)]
    pin: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StationSection {
    code: String,
    name: String,
    kind: StationKind,
    county: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    phone: Option<String>,
    reception_days: Vec<u32>,
    #[serde(default)]
    reception_hours: String,
    #[serde(default)]
    public_url: Option<String>,
    #[serde(default)]
    reply_days: Option<u32>,
    #[serde(default)]
    reply_working_days: Option<u32>,
    /// The station's own holiday table: a file, relative to the station
    /// file's folder.
    #[serde(default)]
    holidays: Option<PathBuf>,
    #[serde(default)]
    time_zone: Option<String>,
}

/// Why a station file cannot be used; `message` words it, naming the file
/// (and the line, for a file that does not parse).
/// `Display` gives the English words.
#[derive(Debug, thiserror::Error)]
#[error("{}", self.message(Lang::En))]
pub enum StationFileError {
    Read {
        path: PathBuf,
        problem: ReadCapped,
    },
    /// Not valid TOML of the expected shape (its words are the parser's).
    Toml {
        path: PathBuf,
        line: Option<usize>,
        #[source]
        error: Box<toml::de::Error>,
    },
    Pin {
        path: PathBuf,
        staff: String,
        problem: PinRule,
    },
    Hash {
        path: PathBuf,
        staff: String,
        source: PinHashError,
    },
    Salt(#[source] std::io::Error),
    Station {
        path: PathBuf,
        #[source]
        problem: StationProblem,
    },
    /// The holiday table `holidays` names cannot be read or used.
    Holidays {
        path: PathBuf,
        problem: HolidaysFileProblem,
    },
}

/// Why a holiday table's file cannot be used.
#[derive(Debug)]
pub enum HolidaysFileProblem {
    Read(ReadCapped),
    Table(TableError),
}

/// Reads a holiday table's file (a station's `holidays`, the county's
/// `--holidays`): its text, once it is known to read as a table.
pub fn read_holidays(path: &Path) -> Result<String, StationFileError> {
    let fail = |problem| StationFileError::Holidays {
        path: path.to_path_buf(),
        problem,
    };
    let text = crate::limits::read_text_capped(path, crate::limits::HOLIDAYS_FILE)
        .map_err(|e| fail(HolidaysFileProblem::Read(e)))?;
    Holidays::parse(&text).map_err(|e| fail(HolidaysFileProblem::Table(e)))?;
    Ok(text)
}

impl StationFileError {
    pub fn message(&self, lang: Lang) -> String {
        let sep = lang.pick("：", ": ");
        match self {
            StationFileError::Read { path, problem } => {
                format!(
                    "{}{sep}{}",
                    path.display(),
                    problem.words(("站点文件", "station file"), lang)
                )
            }
            StationFileError::Toml { path, line, error } => {
                let at = path.display();
                let message = error.message();
                match line {
                    Some(l) => lang.pick(
                        format!("{at} 第 {l} 行：{message}"),
                        format!("{at} line {l}: {message}"),
                    ),
                    None => format!("{at}{sep}{message}"),
                }
            }
            StationFileError::Pin { path, staff, problem } => {
                format!(
                    "{}{sep}staff {staff}{sep}{}",
                    path.display(),
                    problem.message(lang)
                )
            }
            StationFileError::Hash { path, staff, source } => {
                format!("{}{sep}staff {staff}{sep}{source}", path.display())
            }
            StationFileError::Salt(e) => format!("/dev/urandom{sep}{e}"),
            StationFileError::Station { path, problem } => {
                format!("{}{sep}{}", path.display(), problem.message(lang))
            }
            StationFileError::Holidays { path, problem } => match problem {
                HolidaysFileProblem::Read(p) => {
                    format!(
                        "{}{sep}{}",
                        path.display(),
                        p.words(("节假日表", "holiday table"), lang)
                    )
                }
                HolidaysFileProblem::Table(e) => match e.line {
                    Some(_) => format!("{} {}", path.display(), e.message(lang)),
                    None => format!("{}{sep}{}", path.display(), e.message(lang)),
                },
            },
        }
    }
}

/// Reads and checks a station file.
pub fn read_station(path: &Path) -> Result<Station, StationFileError> {
    let text = crate::limits::read_text_capped(path, crate::limits::STATION_FILE).map_err(|problem| {
        StationFileError::Read {
            path: path.to_path_buf(),
            problem,
        }
    })?;
    let file: StationFile = toml::from_str(&text).map_err(|e| StationFileError::Toml {
        path: path.to_path_buf(),
        line: e.span().map(|s| text[..s.start].matches('\n').count() + 1),
        error: Box::new(e),
    })?;
    let mut staff = Vec::with_capacity(file.staff.len());
    for entry in file.staff {
        let pin_hash = match entry.pin {
            None => None,
            Some(pin) => {
                validate_pin(&pin).map_err(|problem| StationFileError::Pin {
                    path: path.to_path_buf(),
                    staff: entry.id.clone(),
                    problem,
                })?;
                let salt = random_salt().map_err(StationFileError::Salt)?;
                Some(hash_pin(&pin, &salt).map_err(|source| StationFileError::Hash {
                    path: path.to_path_buf(),
                    staff: entry.id.clone(),
                    source,
                })?)
            }
        };
        staff.push(Staff {
            id: entry.id,
            name: entry.name,
            pin_hash,
        });
    }
    let station = Station {
        code: file.station.code,
        name: file.station.name,
        kind: file.station.kind,
        county: file.station.county,
        address: file.station.address,
        // Kept as `normalize_phone` writes it; one it refuses stays as
        // given, for `validate` to name.
        phone: file
            .station
            .phone
            .filter(|p| !p.trim().is_empty())
            .map(|p| crate::domain::validate::normalize_phone(&p).unwrap_or(p)),
        reception_days: file.station.reception_days,
        reception_hours: file.station.reception_hours,
        staff,
        units: file.units,
        public_url: file.station.public_url,
        reply_days: file.station.reply_days,
        reply_working_days: file.station.reply_working_days,
        holidays: match &file.station.holidays {
            None => None,
            Some(own) => Some(read_holidays(&path.parent().unwrap_or(Path::new(".")).join(own))?),
        },
        sync: file.sync,
        time_zone: file.station.time_zone,
        points: file.points,
    };
    station.validate().map_err(|problem| StationFileError::Station {
        path: path.to_path_buf(),
        problem,
    })?;
    Ok(station)
}

/// Sixteen bytes from the system's random source, to salt a PIN's hash.
fn random_salt() -> std::io::Result<[u8; 16]> {
    use std::io::Read;
    let mut salt = [0u8; 16];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut salt)?;
    Ok(salt)
}

/// What the command line asks of `init`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Wanted {
    /// `--terminal N`: None keeps the current number (1 on a new station).
    pub terminal: Option<u8>,
    /// `--reconfigure`: the directory may already hold the station.
    pub reconfigure: bool,
    /// `--change-terminal`: the number may change although codes carry it.
    pub change_terminal: bool,
}

/// Why `init` leaves a directory as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The directory already holds a station and `--reconfigure` was not given.
    AlreadySetUp {
        dir: String,
        station: String,
        terminal: u8,
    },
    /// This terminal has issued codes with its number; changing it needs
    /// `--change-terminal`.
    TerminalInUse { current: u8, wanted: u8 },
}

impl Refusal {
    pub fn message(&self, lang: Lang) -> String {
        match self {
            Refusal::AlreadySetUp { dir, station, terminal } => lang.pick(
                format!(
                    "数据目录 {dir} 已设置站点 {station}（本机终端号 {terminal}），未做任何改动。\n\
                     要更新站点设置（人员、PIN、承办单位等），请加 --reconfigure（终端号不变）。\n\
                     同一站点的另一台终端，请在那台机器上运行 init --terminal N（每台终端号 1-9 各不相同）。"
                ),
                format!(
                    "the data directory {dir} is already set up for station {station} (terminal {terminal}); nothing was changed.\n\
                     To update the station (staff, PINs, handling units...), add --reconfigure (the terminal number stays).\n\
                     For another terminal of the station, run init --terminal N on that machine (each terminal its own number, 1-9)."
                ),
            ),
            Refusal::TerminalInUse { current, wanted } => lang.pick(
                format!(
                    "本机以终端号 {current} 发出过查询码，这些查询码都带着终端号 {current}，未做任何改动。\n\
                     改为 {wanted} 之前，请确认本站没有其他终端在用终端号 {wanted}（否则两台会发出相同的查询码），\
                     然后加 --change-terminal 再运行。"
                ),
                format!(
                    "this terminal has issued tracking codes as terminal {current}, and they carry that number; nothing was changed.\n\
                     Before changing to {wanted}, make sure no other terminal of the station uses number {wanted} \
                     (else both would issue the same codes), then run again with --change-terminal."
                ),
            ),
        }
    }
}

/// The station and terminal number a directory already holds, and
/// whether this terminal has issued codes.
struct Current {
    station: String,
    terminal: u8,
    has_appeals: bool,
}

fn current(dir: &Path) -> Result<Option<Current>, crate::storage::StoreError> {
    if !crate::storage::Paths::new(dir).journal().exists() {
        return Ok(None);
    }
    let store = Store::open(dir)?;
    Ok(store.station()?.map(|station| Current {
        station: station.code,
        terminal: store.terminal(),
        has_appeals: store.has_appeals(),
    }))
}

/// The terminal number to write, or why nothing is written.
fn decide(dir: &Path, current: Option<&Current>, wanted: Wanted) -> Result<u8, Refusal> {
    let Some(current) = current else {
        return Ok(wanted.terminal.unwrap_or(1));
    };
    if !wanted.reconfigure {
        return Err(Refusal::AlreadySetUp {
            dir: dir.display().to_string(),
            station: current.station.clone(),
            terminal: current.terminal,
        });
    }
    let terminal = wanted.terminal.unwrap_or(current.terminal);
    if terminal != current.terminal && current.has_appeals && !wanted.change_terminal {
        return Err(Refusal::TerminalInUse {
            current: current.terminal,
            wanted: terminal,
        });
    }
    Ok(terminal)
}

pub fn run(dir: &Path, file: &Path, wanted: Wanted, lang: Lang) -> ExitCode {
    let station = match read_station(file) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("jiedai: {}", e.message(lang));
            return ExitCode::from(exit::UNREADABLE);
        }
    };
    let (current, wanted) = match current(dir) {
        Ok(c) => (c, wanted),
        // A lost or broken identity file is written again only with the
        // number given explicitly, as its error message advises.
        Err(crate::storage::StoreError::Identity {
            problem:
                crate::storage::IdentityProblem::Unreadable(_)
                | crate::storage::IdentityProblem::Invalid(_)
                | crate::storage::IdentityProblem::TerminalOutOfRange(_),
            ..
        }) if wanted.terminal.is_some() => {
            let restored = wanted.terminal.unwrap_or(1);
            let again =
                crate::storage::write_terminal(dir, &station.code, restored).and_then(|()| current(dir));
            match again {
                Ok(c) => (
                    c,
                    Wanted {
                        reconfigure: true,
                        ..wanted
                    },
                ),
                Err(e) => return report_store_error(&e, lang),
            }
        }
        Err(e) => return report_store_error(&e, lang),
    };
    let terminal = match decide(dir, current.as_ref(), wanted) {
        Ok(t) => t,
        Err(refusal) => {
            super::say(format_args!("jiedai: {}", refusal.message(lang)));
            return ExitCode::from(exit::FAILED);
        }
    };
    if let Some(c) = current
        .as_ref()
        .filter(|c| c.terminal != terminal && c.has_appeals)
    {
        let old = c.terminal;
        super::say(lang.pick(
            format!(
                "注意：终端号由 {old} 改为 {terminal}。已发出的查询码仍带终端号 {old}；本站其他终端不得使用终端号 {terminal}。"
            ),
            format!(
                "Warning: the terminal number changes from {old} to {terminal}. Codes already issued keep terminal {old}; no other terminal of the station may use number {terminal}."
            ),
        ));
    }
    match setup(dir, station.clone(), terminal) {
        Ok(()) => {
            println!(
                "{}",
                lang.pick(
                    format!(
                        "已设置站点：{}（{}），终端号 {terminal}，数据目录 {}",
                        station.name,
                        station.code,
                        dir.display()
                    ),
                    format!(
                        "Station set up: {} ({}), terminal {terminal}, data directory {}",
                        station.name,
                        station.code,
                        dir.display()
                    ),
                )
            );
            if current.is_none() && terminal == 1 {
                println!(
                    "{}",
                    lang.pick(
                        "本站的第二台终端：在那台机器上运行 jiedai init --station 同一文件 --terminal 2（第三台用 3，依此类推，最多 9），每台终端号各不相同。",
                        "A second terminal of this station: on that machine run jiedai init --station <the same file> --terminal 2 (a third one 3, and so on up to 9); each terminal its own number.",
                    )
                );
            }
            ExitCode::SUCCESS
        }
        Err(e) => report_store_error(&e, lang),
    }
}

/// Writes this terminal's identity and records the station as an event.
pub fn setup(dir: &Path, station: Station, terminal: u8) -> Result<(), crate::storage::StoreError> {
    if !(1..=9).contains(&terminal) {
        return Err(crate::storage::StoreError::Identity {
            path: crate::storage::Paths::new(dir).terminal(),
            problem: crate::storage::IdentityProblem::TerminalOutOfRange(terminal),
        });
    }
    if crate::storage::Paths::new(dir).journal().exists() {
        // Take the lock and read what is there before changing anything.
        let store = Store::open(dir)?;
        if let Some(existing) = store.station()?
            && existing.code != station.code
            && store.has_appeals()
        {
            return Err(crate::storage::StoreError::Identity {
                path: dir.to_path_buf(),
                problem: crate::storage::IdentityProblem::DirectoryTaken {
                    existing: existing.code,
                    wanted: station.code.clone(),
                },
            });
        }
    }
    let mut store = Store::create(dir, &station.code, terminal)?;
    // The PIN hashes stay on this terminal, outside the journal whose
    // events go to the county; written first, so that the station is
    // never recorded without them.
    let pins = station
        .staff
        .iter()
        .filter_map(|s| Some((s.id.clone(), s.pin_hash.clone()?)))
        .collect();
    crate::storage::write_staff_pins(dir, &pins)?;
    let station = crate::domain::privacy::station_without_secrets(&station);
    store.commit("init", vec![EventBody::StationConfigured { station }])?;
    Ok(())
}
