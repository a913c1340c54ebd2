//! `jiedai demo`: the kiosk on a fresh temporary station seeded from the
//! sample data built into the binary (so it works from any directory).
//! The directory is removed when the kiosk closes.

use std::path::Path;
use std::process::ExitCode;

use super::{exit, import, init, report_store_error};
use crate::i18n::Lang;

const STATION: &str = include_str!("../../sample-data/station.toml");
const DEPUTIES: &str = include_str!("../../sample-data/deputies.csv");
const APPEALS: &str = include_str!("../../sample-data/appeals.csv");

/// Writes the sample files into `dir/sample` and seeds a station from them.
pub fn seed(dir: &Path, lang: Lang) -> Result<(), ExitCode> {
    let sample = dir.join("sample");
    let write = |name: &str, text: &str| {
        std::fs::create_dir_all(&sample)
            .and_then(|_| std::fs::write(sample.join(name), text))
            .map_err(|e| {
                eprintln!("jiedai: {}: {e}", sample.join(name).display());
                ExitCode::from(exit::FAILED)
            })
    };
    write("station.toml", STATION)?;
    write("deputies.csv", DEPUTIES)?;
    write("appeals.csv", APPEALS)?;
    let station = init::read_station(&sample.join("station.toml"), lang).map_err(|e| {
        eprintln!("jiedai: {e}");
        ExitCode::from(exit::FAILED)
    })?;
    init::setup(dir, station, 1).map_err(|e| report_store_error(&e, lang))?;
    for (name, run) in [
        (
            "deputies.csv",
            import::deputies as fn(&Path, &Path, u64, Lang) -> ExitCode,
        ),
        ("appeals.csv", import::appeals),
    ] {
        let code = run(dir, &sample.join(name), 0, lang);
        if code != ExitCode::SUCCESS {
            eprintln!("jiedai: demo data {name} did not import completely");
            return Err(code);
        }
    }
    Ok(())
}

pub fn run(lang: Lang, keymap: Option<&str>) -> ExitCode {
    let dir = match tempfile::Builder::new().prefix("jiedai-demo-").tempdir() {
        Ok(d) => d,
        Err(e) => {
            eprintln!("jiedai: cannot create a temporary directory: {e}");
            return ExitCode::from(exit::FAILED);
        }
    };
    super::init_logging(dir.path());
    eprintln!(
        "{}",
        lang.pick(
            format!("正在准备演示站点（{}）…", dir.path().display()),
            format!("Preparing the demo station ({})…", dir.path().display()),
        )
    );
    if let Err(code) = seed(dir.path(), lang) {
        return code;
    }
    super::kiosk::run(dir.path(), lang, keymap)
}
