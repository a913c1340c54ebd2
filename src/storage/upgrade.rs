//! A database written before the event chain: its chain head computed once
//! from the journal.

use std::ops::ControlFlow;

use super::journal::Journal;
use super::{Store, StoreError, keys, read_u64, record};

impl Store {
    /// A database written before the event chain holds the terminal's
    /// numbering but not its chain head. The head is computed once from the
    /// journal records the database holds, and stored.
    pub(super) fn chain_from_journal(&mut self) -> Result<(), StoreError> {
        let db = self.paths.db();
        if self.heads.seq == 0
            || self
                .tree
                .contains_key(keys::CHAIN)
                .map_err(|e| StoreError::sled(&db, e))?
        {
            return Ok(());
        }
        let applied = read_u64(&self.tree, keys::APPLIED)?;
        let origin = self.origin();
        let jpath = self.journal.path().to_path_buf();
        let reader = Journal::open_read(&jpath).map_err(|e| StoreError::io(&jpath, e))?;
        let mut chain = crate::domain::event::CHAIN_GENESIS.to_string();
        reader
            .scan_while(0, |rec| {
                if rec.end > applied {
                    return Ok(ControlFlow::Break(()));
                }
                let raws = record::decode_raw(rec.payload).map_err(std::io::Error::other)?;
                for raw in raws {
                    let id = record::event_id(&raw).map_err(std::io::Error::other)?;
                    if id.origin == origin {
                        chain = crate::domain::event::chain_next(&chain, raw.get().as_bytes());
                    }
                }
                Ok(ControlFlow::Continue(()))
            })
            .map_err(|e| StoreError::io(&jpath, e))?;
        self.tree
            .insert(keys::CHAIN, chain.as_bytes())
            .map_err(|e| StoreError::sled(&db, e))?;
        log::info!(
            "computed this terminal's event chain from the journal (database written before the chain)"
        );
        self.heads.chain = chain;
        Ok(())
    }
}

#[cfg(test)]
mod chain_upgrade_tests {
    use super::*;
    use crate::domain::{Deputy, EventBody, Level};

    #[test]
    fn a_database_from_before_the_chain_gets_its_head_from_the_journal() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("s");
        let mut store = Store::create(&dir, "330999012", 1).unwrap();
        for i in 0..5 {
            let deputy = Deputy {
                id: format!("d{i}"),
                name: format!("代表{i}"),
                level: Level::ALL[0],
                phone: String::new(),
                specialties: Vec::new(),
                duty_days: Vec::new(),
            };
            store
                .commit("s1", vec![EventBody::DeputyUpserted { deputy }])
                .unwrap();
        }
        let head = store.heads.chain.clone();
        assert_ne!(head, crate::domain::event::CHAIN_GENESIS);
        // As an older version left it: numbering, no chain head.
        store.tree.remove(keys::CHAIN).unwrap();
        store.tree.flush().unwrap();
        drop(store);
        let store = Store::open(&dir).unwrap();
        assert_eq!(store.heads.chain, head);
        assert!(store.tree.contains_key(keys::CHAIN).unwrap());
    }
}
