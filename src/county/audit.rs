//! The audit log: every staff action, who took it, when and from which
//! address, in the `audit` table. Rows are only ever added.

use sqlx::Row;

use super::CountyError;
use super::db::Db;

/// Who acts from the shell (`jiedai county user …`), and from where.
pub const SHELL: &str = "shell";
pub const LOCAL: &str = "local";

/// The actions this module's callers record (others record their own:
/// steps by their kind's code, `reveal` for a visitor's details shown).
pub mod action {
    pub const LOGIN: &str = "login";
    pub const LOGIN_FAILED: &str = "login_failed";
    pub const LOGIN_THROTTLED: &str = "login_throttled";
    pub const LOGOUT: &str = "logout";
    pub const USER_ADD: &str = "user_add";
    pub const USER_PASSWORD: &str = "user_password";
    pub const USER_DISABLE: &str = "user_disable";
}

/// The target of an action on an account.
pub fn user_target(name: &str) -> String {
    format!("user:{name}")
}

/// One row of the log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub at: String,
    pub user_name: String,
    pub action: String,
    pub target: String,
    pub address: String,
    pub detail: String,
}

/// The longest a field is kept (a name typed at the login form is
/// anything the client sends).
const FIELD_CHARS: usize = 200;

fn bounded(text: &str) -> String {
    text.chars().take(FIELD_CHARS).collect()
}

/// Records that `who` did `action` on `target` from `address`.
pub async fn record(
    db: &Db,
    who: &str,
    action: &str,
    target: &str,
    address: &str,
    detail: &str,
) -> Result<(), CountyError> {
    sqlx::query(
        "INSERT INTO audit (at, user_name, action, target, address, detail) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(super::now().to_rfc3339())
    .bind(bounded(who))
    .bind(bounded(action))
    .bind(bounded(target))
    .bind(bounded(address))
    .bind(detail.chars().take(FIELD_CHARS * 5).collect::<String>())
    .execute(&db.pool)
    .await?;
    Ok(())
}

/// `record`, with a failure logged rather than returned: for actions
/// that are done already when they are recorded.
pub async fn note(db: &Db, who: &str, action: &str, target: &str, address: &str, detail: &str) {
    if let Err(e) = record(db, who, action, target, address, detail).await {
        log::error!("audit: recording {action} on {target} by {who}: {e}");
    }
}

/// What was done to `target`, oldest first.
pub async fn list(db: &Db, target: &str) -> Result<Vec<Entry>, CountyError> {
    let rows = sqlx::query(
        "SELECT at, user_name, action, target, address, detail FROM audit WHERE target = $1 ORDER BY id",
    )
    .bind(target)
    .fetch_all(&db.pool)
    .await?;
    rows.iter().map(entry).collect()
}

/// The latest `limit` rows, newest first.
pub async fn recent(db: &Db, limit: u32) -> Result<Vec<Entry>, CountyError> {
    let rows = sqlx::query(
        "SELECT at, user_name, action, target, address, detail FROM audit ORDER BY id DESC LIMIT $1",
    )
    .bind(i64::from(limit))
    .fetch_all(&db.pool)
    .await?;
    rows.iter().map(entry).collect()
}

fn entry(r: &sqlx::any::AnyRow) -> Result<Entry, CountyError> {
    Ok(Entry {
        at: r.try_get(0)?,
        user_name: r.try_get(1)?,
        action: r.try_get(2)?,
        target: r.try_get(3)?,
        address: r.try_get(4)?,
        detail: r.try_get(5)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::county::db::testing::runtime;

    #[test]
    fn rows_are_kept_per_target_in_order() {
        let dir = tempfile::tempdir().unwrap();
        runtime().block_on(async {
            let db = Db::open(dir.path(), None).await.unwrap();
            record(
                &db,
                "王科员",
                action::LOGIN,
                &user_target("王科员"),
                "10.0.0.1",
                "",
            )
            .await
            .unwrap();
            record(
                &db,
                "王科员",
                "refer",
                "20261110-330999012-1-0001",
                "10.0.0.1",
                "青禾县住建局",
            )
            .await
            .unwrap();
            let long = "x".repeat(10_000);
            record(
                &db,
                &long,
                action::LOGIN_FAILED,
                &user_target(&long),
                "10.0.0.2",
                "",
            )
            .await
            .unwrap();
            let rows = list(&db, &user_target("王科员")).await.unwrap();
            assert_eq!(rows.len(), 1);
            assert_eq!(
                (rows[0].action.as_str(), rows[0].address.as_str()),
                ("login", "10.0.0.1")
            );
            let latest = recent(&db, 2).await.unwrap();
            assert_eq!(latest[0].action, action::LOGIN_FAILED);
            assert_eq!(latest[0].user_name.chars().count(), 200, "bounded");
            assert_eq!(latest[1].action, "refer");
        });
    }
}
