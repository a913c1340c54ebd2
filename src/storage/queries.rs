//! What the kiosk and the commands read: records, lists and indexes, and a
//! read-only handle for the thread that loads the catalog.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;

use super::codec::decode;
use super::{Paths, Store, StoreError, catalog_cache, keys};
use crate::domain::catalog::{Catalog, CatalogRow};
use crate::domain::points::HandEntry;
use crate::domain::{Appeal, Deputy, Duty, Station, Visit, Zone};

impl Store {
    /// A read-only handle for another thread (the kiosk reads through
    /// one while the store itself is with its writer).
    pub fn reader(&self) -> Reader {
        Reader {
            tree: self.tree.clone(),
            db_path: self.paths.db(),
            dir: self.paths.dir.clone(),
            cache: self.cache.clone(),
            terminal: self.terminal,
            generation: self.generation,
            read_only: self.mode() == super::Mode::Read,
        }
    }

    pub fn station(&self) -> Result<Option<Station>, StoreError> {
        self.reader().station()
    }

    /// The station's time zone (the default before a station is set up).
    pub fn zone(&self) -> Result<Zone, StoreError> {
        self.reader().zone()
    }

    /// The print job records.
    pub fn print_jobs(&self) -> Result<super::print_jobs::PrintJobs, StoreError> {
        self.reader().print_jobs()
    }

    pub fn deputies(&self) -> Result<Vec<Deputy>, StoreError> {
        self.reader().deputies()
    }

    pub fn appeal(&self, code: &str) -> Result<Option<Appeal>, StoreError> {
        self.reader().appeal(code)
    }

    pub fn visit(&self, code: &str) -> Result<Option<Visit>, StoreError> {
        self.reader().visit(code)
    }

    pub fn duty(&self, day: NaiveDate) -> Result<Vec<Duty>, StoreError> {
        self.reader().duty(day)
    }

    pub fn catalog_rows(&self) -> Result<Vec<CatalogRow>, StoreError> {
        self.reader().catalog_rows()
    }

    pub fn has_appeals(&self) -> bool {
        self.reader().has_appeals()
    }

    pub fn catalog_row(&self, code: &str) -> Result<Option<CatalogRow>, StoreError> {
        self.reader().catalog_row(code)
    }

    pub fn counts_on(&self, day: NaiveDate) -> (usize, usize) {
        self.reader().counts_on(day)
    }

    pub fn deadlines_until(&self, until: NaiveDate) -> Result<Vec<(NaiveDate, String)>, StoreError> {
        self.reader().deadlines_until(until)
    }

    pub fn codes_with_status(&self, status: crate::domain::Status) -> Result<Vec<String>, StoreError> {
        self.reader().codes_with_status(status)
    }

    /// Every appeal, oldest first, streamed to `each`.
    pub fn for_each_appeal(
        &self,
        each: impl FnMut(Appeal) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.reader().for_each_appeal(each)
    }
}

/// Read-only access from another thread.
#[derive(Clone)]
pub struct Reader {
    pub(super) tree: sled::Db,
    pub(super) db_path: PathBuf,
    pub(super) dir: PathBuf,
    cache: catalog_cache::SharedCache,
    terminal: u8,
    generation: u32,
    /// Opened to read only: nothing in the data directory is written
    /// (not even the catalog cache).
    read_only: bool,
}

impl Reader {
    /// This terminal's number at its station (1-9).
    pub fn terminal(&self) -> u8 {
        self.terminal
    }

    /// The origin generation of this terminal's events (see
    /// `domain::event::terminal_origin`).
    pub fn generation(&self) -> u32 {
        self.generation
    }

    /// The station's data directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn db_err(&self, e: impl super::DbFailure) -> StoreError {
        e.at(&self.db_path)
    }

    fn get_decoded<T: serde::de::DeserializeOwned>(&self, key: &[u8]) -> Result<Option<T>, StoreError> {
        match self.tree.get(key).map_err(|e| self.db_err(e))? {
            Some(v) => decode(&v).map(Some).map_err(|e| self.db_err(e)),
            None => Ok(None),
        }
    }

    fn scan_decoded<T: serde::de::DeserializeOwned>(&self, prefix: &[u8]) -> Result<Vec<T>, StoreError> {
        self.tree
            .scan_prefix(prefix)
            .map(|kv| {
                let (_, v) = kv.map_err(|e| self.db_err(e))?;
                decode(&v).map_err(|e| self.db_err(e))
            })
            .collect()
    }

    /// The station as its last `StationConfigured` event set it up.
    pub fn station(&self) -> Result<Option<Station>, StoreError> {
        self.get_decoded(keys::STATION)
    }

    /// The station with its staff's PIN hashes, for signing in: from this
    /// terminal's own file (`staff-pins.json`, see `write_staff_pins`),
    /// or, for a journal written before PINs were kept there, from its
    /// station event. A file that cannot be read is an error: staff are
    /// never let in without their PIN.
    pub fn station_with_pins(&self) -> Result<Option<Station>, StoreError> {
        let Some(mut station) = self.station()? else {
            return Ok(None);
        };
        let pins = super::read_staff_pins(&self.dir)?;
        for person in &mut station.staff {
            if let Some(hash) = pins.get(&person.id) {
                person.pin_hash = Some(hash.clone());
            }
        }
        Ok(Some(station))
    }

    /// The station's time zone (the default before a station is set up).
    pub fn zone(&self) -> Result<Zone, StoreError> {
        Ok(self.station()?.map(|s| s.zone()).unwrap_or_default())
    }

    /// The print job records (a worker thread updates them as it prints).
    pub fn print_jobs(&self) -> Result<super::print_jobs::PrintJobs, StoreError> {
        super::print_jobs::PrintJobs::open(&self.tree, &self.db_path, &self.dir)
    }

    pub fn deputies(&self) -> Result<Vec<Deputy>, StoreError> {
        self.scan_decoded(keys::DEPUTY.as_bytes())
    }

    pub fn appeal(&self, code: &str) -> Result<Option<Appeal>, StoreError> {
        self.get_decoded(&keys::appeal(code))
    }

    pub fn visit(&self, code: &str) -> Result<Option<Visit>, StoreError> {
        self.get_decoded(&keys::visit(code))
    }

    /// Every appeal, oldest first, streamed to `each`.
    pub fn for_each_appeal(
        &self,
        each: impl FnMut(Appeal) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        self.try_each_appeal(each)
    }

    /// `for_each_appeal` for a caller with errors of its own (an export
    /// that writes each appeal as it comes).
    pub fn try_each_appeal<E: From<StoreError>>(
        &self,
        mut each: impl FnMut(Appeal) -> Result<(), E>,
    ) -> Result<(), E> {
        for kv in self.tree.scan_prefix(keys::APPEAL.as_bytes()) {
            let (_, v) = kv.map_err(|e| self.db_err(e))?;
            each(decode(&v).map_err(|e| self.db_err(e))?)?;
        }
        Ok(())
    }

    pub fn duty(&self, day: NaiveDate) -> Result<Vec<Duty>, StoreError> {
        self.scan_decoded(&keys::duty_day(day))
    }

    /// Duty records (check-in and check-out) of the days `from` to `to`.
    pub fn duty_between(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<Duty>, StoreError> {
        self.tree
            .range(keys::days(keys::DUTY, from, to))
            .map(|kv| {
                let (_, v) = kv.map_err(|e| self.db_err(e))?;
                decode(&v).map_err(|e| self.db_err(e))
            })
            .collect()
    }

    /// The (deputy, day) of every check-in from `from` to `to`; None for
    /// `from`: since the first.
    pub fn check_ins(
        &self,
        from: Option<NaiveDate>,
        to: NaiveDate,
    ) -> Result<Vec<(String, NaiveDate)>, StoreError> {
        let from = from.unwrap_or(NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or(NaiveDate::MIN));
        Ok(self
            .duty_between(from, to)?
            .into_iter()
            .filter(|d| d.check_in.is_some())
            .filter_map(|d| Some((d.deputy, d.day?)))
            .collect())
    }

    /// Items of deputies' duty lists entered by hand, every one held, by
    /// day.
    pub fn duty_items(&self) -> Result<Vec<HandEntry>, StoreError> {
        self.scan_decoded(keys::DUTY_ITEM.as_bytes())
    }

    /// The day of each visit registered from `from` to `to` (read from
    /// the visits' keys: their codes begin with the day).
    pub fn visit_days(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<NaiveDate>, StoreError> {
        let mut out = Vec::new();
        for k in self.tree.range(keys::visit_days(from, to)).keys() {
            let k = k.map_err(|e| self.db_err(e))?;
            // Six digits, YYMMDD, read as numbers (a format string per
            // key costs more than the rest of the scan).
            let day = k.get(keys::VISIT.len()..keys::VISIT.len() + 6).and_then(|d| {
                let n = |i: usize| -> Option<u32> {
                    let (a, b) = (d[i].checked_sub(b'0')?, d[i + 1].checked_sub(b'0')?);
                    (a < 10 && b < 10).then(|| u32::from(a * 10 + b))
                };
                NaiveDate::from_ymd_opt(2000 + n(0)? as i32, n(2)?, n(4)?)
            });
            out.extend(day);
        }
        Ok(out)
    }

    /// The visits registered on the days from `from` to `to`, both
    /// included, in code order (a visit's code begins with its day).
    pub fn visits_between(&self, from: NaiveDate, to: NaiveDate) -> Result<Vec<Visit>, StoreError> {
        self.tree
            .range(keys::visit_days(from, to))
            .map(|kv| {
                let (_, v) = kv.map_err(|e| self.db_err(e))?;
                decode(&v).map_err(|e| self.db_err(e))
            })
            .collect()
    }

    /// Catalog rows of every appeal, in code order.
    /// Every catalog row, straight from the database (a full scan: for
    /// tests and tools; the kiosk loads through the catalog cache).
    pub fn catalog_rows(&self) -> Result<Vec<CatalogRow>, StoreError> {
        let mut rows = Vec::new();
        for_each_catalog_row(&self.tree, &self.db_path, |r| rows.push(r))?;
        Ok(rows)
    }

    pub fn has_appeals(&self) -> bool {
        self.tree.scan_prefix(keys::APPEAL.as_bytes()).next().is_some()
    }

    pub fn catalog_row(&self, code: &str) -> Result<Option<CatalogRow>, StoreError> {
        Ok(self
            .tree
            .get(keys::catalog(code))
            .map_err(|e| self.db_err(e))?
            .and_then(|v| std::str::from_utf8(&v).ok().and_then(CatalogRow::from_line)))
    }

    /// Appeals and visits registered on one day (any terminal of any station).
    pub fn counts_on(&self, day: NaiveDate) -> (usize, usize) {
        let yymmdd = day.format("%y%m%d").to_string();
        let count = |space: &str| {
            self.tree
                .scan_prefix(format!("{space}{yymmdd}").as_bytes())
                .count()
        };
        (count(keys::VISIT), count(keys::APPEAL))
    }

    /// The codes of the appeals registered on `day` (their codes carry
    /// the day), in code order.
    pub fn appeal_codes_on(&self, day: NaiveDate) -> Result<Vec<String>, StoreError> {
        let prefix = format!("{}{}", keys::APPEAL, day.format("%y%m%d"));
        self.tree
            .scan_prefix(prefix.as_bytes())
            .map(|kv| {
                let (k, _) = kv.map_err(|e| self.db_err(e))?;
                let k = String::from_utf8_lossy(&k);
                Ok(k.strip_prefix(keys::APPEAL).unwrap_or_default().to_string())
            })
            .collect()
    }

    /// Open referred appeals with a deadline on or before `until`, soonest first.
    pub fn deadlines_until(&self, until: NaiveDate) -> Result<Vec<(NaiveDate, String)>, StoreError> {
        let end = format!("{}{}/\u{7f}", keys::BY_DEADLINE, until);
        let mut out = Vec::new();
        for kv in self.tree.range(keys::BY_DEADLINE.as_bytes()..end.as_bytes()) {
            let (k, _) = kv.map_err(|e| self.db_err(e))?;
            if let (Some(d), Some(c)) = (keys::deadline_of_index(&k), keys::code_of_index(&k)) {
                out.push((d, c.to_string()));
            }
        }
        Ok(out)
    }

    /// Codes of appeals in one status, from the status index.
    pub fn codes_with_status(&self, status: crate::domain::Status) -> Result<Vec<String>, StoreError> {
        let prefix = format!("{}{}/", keys::BY_STATUS, status.code());
        self.tree
            .scan_prefix(prefix.as_bytes())
            .map(|kv| {
                let (k, _) = kv.map_err(|e| self.db_err(e))?;
                Ok(keys::code_of_index(&k).unwrap_or_default().to_string())
            })
            .collect()
    }

    /// The whole catalog, through the catalog cache (see `catalog_cache`).
    pub fn load_catalog(&self) -> Result<Catalog, StoreError> {
        let paths = Paths::new(&self.dir);
        let catalog = catalog_cache::Loader {
            tree: &self.tree,
            db: &self.db_path,
            journal: &paths.journal(),
            cache: &catalog_cache::cache_path(&self.dir),
            state: &self.cache,
            read_only: self.read_only,
        }
        .load();
        // A first load builds the catalog from the database, which frees
        // far more than it keeps.
        super::open::return_freed_memory();
        catalog
    }
}

/// Every catalog row in the database, in code order, to `each`.
pub(super) fn for_each_catalog_row(
    tree: &sled::Db,
    db_path: &Path,
    mut each: impl FnMut(CatalogRow),
) -> Result<(), StoreError> {
    let err = |m: String| StoreError::Database {
        path: db_path.to_path_buf(),
        message: m,
    };
    for kv in tree.scan_prefix(keys::CATALOG.as_bytes()) {
        let (k, v) = kv.map_err(|e| err(e.to_string()))?;
        let line = std::str::from_utf8(&v).map_err(|e| err(e.to_string()))?;
        let row = CatalogRow::from_line(line).ok_or_else(|| {
            err(format!(
                "catalog row {} does not parse",
                String::from_utf8_lossy(&k)
            ))
        })?;
        each(row);
    }
    Ok(())
}
