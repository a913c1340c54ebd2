//! The county's copy of the appeals exported as they may leave the staff
//! view (`domain::privacy::public_appeal`); the staff's listing is the
//! work queue's (`county::queue`).

use super::CountyError;
use super::db::Db;
use crate::domain::privacy::public_appeal;
use crate::domain::{Appeal, Status};

/// Which appeals a listing wants: those of `station` and in `status`,
/// each when given.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AppealFilter {
    pub station: Option<String>,
    pub status: Option<Status>,
}

/// Every appeal the county holds, by code, as it may leave the staff view.
pub async fn exported(db: &Db) -> Result<Vec<Appeal>, CountyError> {
    let held = db.appeals(&AppealFilter::default()).await?;
    Ok(held.iter().map(|h| public_appeal(&h.appeal)).collect())
}
