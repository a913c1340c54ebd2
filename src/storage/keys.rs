//! Key layout of the single sled tree. One tree so that every projection
//! change of one journal record lands in one atomic batch.
//!
//! - `m/station`, `m/applied` (journal offset, u64 BE), `m/seq` (this terminal's
//!   last event seq), `m/chain` (its chain head), `m/origin/<origin>` (last seq
//!   held of another origin, e.g. the county's),
//!   `m/projections` (the projection layout version), `m/applied_from`
//!   (where the last applied journal record starts), `m/issued/<YYMMDD-station-T>`
//!   (the highest code sequence that terminal registered that day, u32 BE)
//! - `p/<deputy id>` deputies, `v/<code>` visits, `a/<code>` appeals
//! - `u/<YYYY-MM-DD>/<deputy id>` duty check-in and check-out
//! - `k/<YYYY-MM-DD>/<deputy id>/<origin>#<seq>` an item of a deputy's duty
//!   list entered by hand (the event that recorded it names it)
//! - `s/<code>` the catalog row (search text and list fields)
//! - `i/s/<status>/<code>`, `i/c/<category>/<code>`, `i/p/<deputy>/<code>`,
//!   `i/d/<deadline>/<code>` (open referred appeals only): indexes

use chrono::NaiveDate;

use crate::domain::Appeal;
use crate::domain::catalog::CatalogRow;

pub const STATION: &[u8] = b"m/station";
pub const APPLIED: &[u8] = b"m/applied";
pub const SEQ: &[u8] = b"m/seq";
/// This terminal's event chain head (hex), beside `m/seq` (see `record`).
pub const CHAIN: &[u8] = b"m/chain";
/// The origin `m/seq` and `m/chain` belong to (a renumbered terminal is a
/// new origin).
pub const SEQ_ORIGIN: &[u8] = b"m/seq_origin";
/// `m/origin/<origin>`: the last sequence held of another origin.
pub const ORIGIN: &str = "m/origin/";
pub const PROJECTIONS: &[u8] = b"m/projections";
pub const APPLIED_FROM: &[u8] = b"m/applied_from";
pub const ISSUED: &str = "m/issued/";
pub const DEPUTY: &str = "p/";
pub const VISIT: &str = "v/";
pub const APPEAL: &str = "a/";
pub const DUTY: &str = "u/";
pub const DUTY_ITEM: &str = "k/";
pub const CATALOG: &str = "s/";
pub const INDEX: &str = "i/";
pub const BY_STATUS: &str = "i/s/";
pub const BY_DEADLINE: &str = "i/d/";

/// Every key family whose keys name a tracking code, in key order.
pub const CODE_FAMILIES: &[&str] = &[APPEAL, INDEX, CATALOG, VISIT];

/// The tracking code a key belongs to, if any: the code of an appeal,
/// index entry, catalog row or visit.
pub fn code_of_key(key: &[u8]) -> Option<&str> {
    if key.starts_with(INDEX.as_bytes()) {
        return code_of_index(key);
    }
    [APPEAL, CATALOG, VISIT]
        .iter()
        .find_map(|family| key.strip_prefix(family.as_bytes()))
        .and_then(|rest| std::str::from_utf8(rest).ok())
}

/// The highest code sequence a terminal issued on a day (`m/issued/<day prefix>`).
pub fn issued(prefix: &str) -> Vec<u8> {
    format!("{ISSUED}{prefix}").into_bytes()
}

pub fn origin(origin: &str) -> Vec<u8> {
    format!("{ORIGIN}{origin}").into_bytes()
}

pub fn read_u32(v: &[u8]) -> u32 {
    v.try_into().map(u32::from_be_bytes).unwrap_or(0)
}

pub fn deputy(id: &str) -> Vec<u8> {
    format!("{DEPUTY}{id}").into_bytes()
}

pub fn visit(code: &str) -> Vec<u8> {
    format!("{VISIT}{code}").into_bytes()
}

pub fn appeal(code: &str) -> Vec<u8> {
    format!("{APPEAL}{code}").into_bytes()
}

pub fn catalog(code: &str) -> Vec<u8> {
    format!("{CATALOG}{code}").into_bytes()
}

pub fn duty(day: NaiveDate, deputy: &str) -> Vec<u8> {
    format!("{DUTY}{day}/{deputy}").into_bytes()
}

pub fn duty_day(day: NaiveDate) -> Vec<u8> {
    format!("{DUTY}{day}/").into_bytes()
}

/// The key of a duty-list item recorded by event `id`.
pub fn duty_item(day: NaiveDate, deputy: &str, id: &crate::domain::EventId) -> Vec<u8> {
    format!("{DUTY_ITEM}{day}/{deputy}/{}#{}", id.origin, id.seq).into_bytes()
}

/// The keys of a family keyed by day (`u/`, `k/`) from `from` to `to`,
/// both included, as a range.
pub fn days(family: &str, from: NaiveDate, to: NaiveDate) -> std::ops::Range<Vec<u8>> {
    let after = to.succ_opt().unwrap_or(to);
    format!("{family}{from}/").into_bytes()..format!("{family}{after}/").into_bytes()
}

/// Visit keys of the days `from` to `to` (codes begin with the day as
/// `YYMMDD`), as a range.
pub fn visit_days(from: NaiveDate, to: NaiveDate) -> std::ops::Range<Vec<u8>> {
    let after = to.succ_opt().unwrap_or(to);
    format!("{VISIT}{}", from.format("%y%m%d")).into_bytes()
        ..format!("{VISIT}{}", after.format("%y%m%d")).into_bytes()
}

/// Every index entry an appeal should have (values are empty).
pub fn index_keys(a: &Appeal) -> Vec<Vec<u8>> {
    let code = a.code.as_str();
    let mut keys = vec![
        format!("{BY_STATUS}{}/{code}", a.status.code()).into_bytes(),
        format!("i/c/{}/{code}", a.category.code()).into_bytes(),
    ];
    for d in &a.deputies {
        keys.push(format!("i/p/{}/{code}", d.id).into_bytes());
    }
    if let (true, Some(deadline)) = (a.status.awaits_unit(), a.deadline) {
        keys.push(format!("{BY_DEADLINE}{deadline}/{code}").into_bytes());
    }
    keys
}

/// The catalog entry for an appeal: key and stored line.
pub fn catalog_entry(a: &Appeal) -> (Vec<u8>, Vec<u8>) {
    (
        catalog(a.code.as_str()),
        CatalogRow::from_appeal(a).to_line().into_bytes(),
    )
}

/// The code at the end of an index key.
pub fn code_of_index(key: &[u8]) -> Option<&str> {
    let s = std::str::from_utf8(key).ok()?;
    s.rsplit('/').next()
}

/// The deadline in an `i/d/` key.
pub fn deadline_of_index(key: &[u8]) -> Option<NaiveDate> {
    let s = std::str::from_utf8(key).ok()?;
    s.strip_prefix(BY_DEADLINE)?.split('/').next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_code_family_names_its_code() {
        let code = "261122-330999012-2-00015-7";
        for key in [appeal(code), catalog(code), visit(code)] {
            assert_eq!(code_of_key(&key), Some(code));
        }
        assert_eq!(
            code_of_key(format!("i/s/registered/{code}").as_bytes()),
            Some(code)
        );
        assert_eq!(code_of_key(b"p/D1"), None);
        assert_eq!(code_of_key(b"m/station"), None);
        let mut sorted = CODE_FAMILIES.to_vec();
        sorted.sort();
        assert_eq!(sorted, CODE_FAMILIES);
    }
}
