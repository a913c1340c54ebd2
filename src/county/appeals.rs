//! The county's copy of the appeals as its staff see them: listed by
//! station and status (the database does the filtering), with the numbers
//! a title may quote masked, and exported as they may leave the staff
//! view (`domain::privacy::public_appeal`).

use super::CountyError;
use super::db::{Db, HeldAppeal};
use crate::domain::privacy::mask::mask_numbers;
use crate::domain::privacy::public_appeal;
use crate::domain::{Appeal, Status};

/// Which appeals a listing wants: those of `station` and in `status`,
/// each when given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppealFilter {
    pub station: Option<String>,
    pub status: Option<Status>,
}

/// The appeals `filter` wants, by code, each title's numbers masked (a
/// title may quote a number a visitor gave).
pub async fn listed(db: &Db, filter: &AppealFilter) -> Result<Vec<HeldAppeal>, CountyError> {
    let mut held = db.appeals(filter).await?;
    for h in &mut held {
        h.appeal.title = mask_numbers(&h.appeal.title);
    }
    Ok(held)
}

/// Every appeal the county holds, by code, as it may leave the staff view.
pub async fn exported(db: &Db) -> Result<Vec<Appeal>, CountyError> {
    let held = db.appeals(&AppealFilter::default()).await?;
    Ok(held.iter().map(|h| public_appeal(&h.appeal)).collect())
}
