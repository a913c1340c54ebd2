//! Access keys: the secret a citizen's progress page asks for.

use std::path::Path;

use super::{Store, StoreError};
use crate::domain::EventBody;

/// A fresh access key for an appeal, from the system's random source.
pub fn new_access_key() -> Result<String, StoreError> {
    let mut bytes = [0u8; crate::domain::public::KEY_BYTES];
    getrandom::fill(&mut bytes)
        .map_err(|e| StoreError::io(Path::new("/dev/urandom"), std::io::Error::other(e.to_string())))?;
    Ok(crate::domain::public::access_key(&bytes))
}

impl Store {
    /// The appeal's access key, issued now (and recorded as an event) if
    /// it was saved before appeals had one.
    pub fn access_key(&mut self, actor: &str, code: &str) -> Result<Option<String>, StoreError> {
        let Some(appeal) = self.appeal(code)? else {
            return Ok(None);
        };
        if !appeal.access_key.is_empty() {
            return Ok(Some(appeal.access_key));
        }
        let key = new_access_key()?;
        self.commit(
            actor,
            vec![EventBody::AccessKeyIssued {
                code: appeal.code,
                key: key.clone(),
            }],
        )?;
        Ok(Some(key))
    }
}
