//! `jiedai init --station FILE`: set up (or update) the station.

use std::path::Path;
use std::process::ExitCode;

use serde::Deserialize;

use super::{exit, report_store_error};
use crate::domain::station::{hash_pin, validate_pin};
use crate::domain::{EventBody, HandlingUnit, Staff, Station, StationKind};
use crate::i18n::Lang;
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
    reception_days: Vec<u32>,
    #[serde(default)]
    reception_hours: String,
    #[serde(default)]
    public_url: Option<String>,
    #[serde(default)]
    reply_days: Option<u32>,
}

/// Reads and checks a station file; errors name the file and the line.
pub fn read_station(path: &Path, lang: Lang) -> Result<Station, String> {
    let at = path.display();
    let sep = lang.pick("：", ": ");
    let text = std::fs::read_to_string(path).map_err(|e| {
        lang.pick(
            format!("{at}：无法读取（{}）", crate::i18n::os_words(&e, lang)),
            format!("{at}: cannot be read ({e})"),
        )
    })?;
    let file: StationFile = toml::from_str(&text).map_err(|e| {
        let line = e.span().map(|s| text[..s.start].matches('\n').count() + 1);
        match line {
            Some(l) => lang.pick(
                format!("{at} 第 {l} 行：{}", e.message()),
                format!("{at} line {l}: {}", e.message()),
            ),
            None => format!("{at}{sep}{}", e.message()),
        }
    })?;
    let mut staff = Vec::with_capacity(file.staff.len());
    for entry in file.staff {
        let pin_hash = match entry.pin {
            None => None,
            Some(pin) => {
                let staff_err = |e: String| format!("{at}{sep}staff {}{sep}{e}", entry.id);
                validate_pin(&pin, lang).map_err(staff_err)?;
                let salt = random_salt().map_err(|e| format!("/dev/urandom{sep}{e}"))?;
                Some(hash_pin(&pin, &salt).map_err(staff_err)?)
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
        reception_days: file.station.reception_days,
        reception_hours: file.station.reception_hours,
        staff,
        units: file.units,
        public_url: file.station.public_url,
        reply_days: file.station.reply_days,
    };
    station.validate(lang).map_err(|e| format!("{at}{sep}{e}"))?;
    Ok(station)
}

/// Sixteen bytes from the system's random source, to salt a PIN's hash.
fn random_salt() -> std::io::Result<[u8; 16]> {
    use std::io::Read;
    let mut salt = [0u8; 16];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut salt)?;
    Ok(salt)
}

pub fn run(dir: &Path, file: &Path, terminal: u8, lang: Lang) -> ExitCode {
    let station = match read_station(file, lang) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("jiedai: {e}");
            return ExitCode::from(exit::UNREADABLE);
        }
    };
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
    store.commit("init", vec![EventBody::StationConfigured { station }])?;
    Ok(())
}
