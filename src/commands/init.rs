//! `jiedai init --station FILE`: set up (or update) the station.

use std::path::Path;
use std::process::ExitCode;

use serde::Deserialize;

use super::{exit, report_store_error};
use crate::domain::{EventBody, HandlingUnit, Staff, Station, StationKind};
use crate::i18n::Lang;
use crate::storage::{Store, write_terminal};

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

/// Writes the terminal number and records the station as an event.
pub fn setup(dir: &Path, station: Station, terminal: u8) -> Result<(), crate::storage::StoreError> {
    // Take the lock before touching anything in the directory.
    let mut store = Store::open(dir)?;
    if let Some(existing) = store.station()?
        && existing.code != station.code
        && !store_is_empty(&store)
    {
        return Err(crate::storage::StoreError::Journal {
            path: dir.to_path_buf(),
            message: format!(
                "此数据目录已属于站点 {}，不能改为 {}",
                existing.code, station.code
            ),
        });
    }
    write_terminal(dir, terminal)?;
    drop(store);
    store = Store::open(dir)?;
    store.commit("init", vec![EventBody::StationConfigured { station }])?;
    Ok(())
}

fn store_is_empty(store: &Store) -> bool {
    !store.has_appeals()
}
