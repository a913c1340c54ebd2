//! `jiedai init --station FILE`: set up (or update) the station.

use std::path::Path;
use std::process::ExitCode;

use serde::Deserialize;

use super::{exit, report_store_error};
use crate::domain::{EventBody, HandlingUnit, Staff, Station, StationKind};
use crate::i18n::Lang;
use crate::storage::Store;

/// The station file as written by hand (see sample-data/station.toml).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StationFile {
    station: StationSection,
    #[serde(default)]
    staff: Vec<Staff>,
    #[serde(default)]
    units: Vec<HandlingUnit>,
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
}

/// Reads and checks a station file; errors name the file and the line.
pub fn read_station(path: &Path) -> Result<Station, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}：无法读取（{e}）", path.display()))?;
    let file: StationFile = toml::from_str(&text).map_err(|e| {
        let line = e.span().map(|s| text[..s.start].matches('\n').count() + 1);
        match line {
            Some(l) => format!("{} 第 {l} 行：{}", path.display(), e.message()),
            None => format!("{}：{}", path.display(), e.message()),
        }
    })?;
    let station = Station {
        code: file.station.code,
        name: file.station.name,
        kind: file.station.kind,
        county: file.station.county,
        address: file.station.address,
        reception_days: file.station.reception_days,
        reception_hours: file.station.reception_hours,
        staff: file.staff,
        units: file.units,
    };
    station
        .validate()
        .map_err(|e| format!("{}：{e}", path.display()))?;
    Ok(station)
}

pub fn run(dir: &Path, file: &Path, terminal: u8, lang: Lang) -> ExitCode {
    let station = match read_station(file) {
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
        Err(e) => report_store_error(&e),
    }
}

/// Writes this terminal's identity and records the station as an event.
pub fn setup(dir: &Path, station: Station, terminal: u8) -> Result<(), crate::storage::StoreError> {
    if !(1..=9).contains(&terminal) {
        return Err(crate::storage::StoreError::Identity {
            path: crate::storage::Paths::new(dir).terminal(),
            problem: format!("terminal {terminal} is not 1-9"),
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
                problem: format!(
                    "this data directory belongs to station {}, not {}",
                    existing.code, station.code
                ),
            });
        }
    }
    let mut store = Store::create(dir, &station.code, terminal)?;
    store.commit("init", vec![EventBody::StationConfigured { station }])?;
    Ok(())
}
