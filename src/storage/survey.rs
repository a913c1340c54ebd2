//! The damage survey: every damaged or repeated record of a journal.

use std::collections::HashMap;
use std::fs::File;

use super::journal::{Item, Journal, Tail, Version};
use super::{Batch, DamageKind, DamageReport, StoreError, frame};

/// The event range of a journal payload (for records written before
/// headers carried it).
pub(super) fn payload_seqs(payload: &[u8]) -> (u64, u64) {
    serde_json::from_slice::<Batch>(payload)
        .ok()
        .and_then(|b| Some((b.events.first()?.id.seq, b.events.last()?.id.seq)))
        .unwrap_or((0, 0))
}

/// Every damaged stretch of the journal from `from` on, with how many valid
/// records follow each and the event numbers it held (from its header, or
/// between its neighbours' when the header is unreadable). A record that
/// repeats an earlier one byte for byte (appended twice) is reported too:
/// replaying it would apply its events twice.
pub fn survey_damage(journal: &Journal, from: u64) -> Result<Vec<DamageReport>, StoreError> {
    survey_damage_and_tail(journal, from).map(|(damage, _)| damage)
}

/// `survey_damage`, with how the journal ends (one read of it).
pub fn survey_damage_and_tail(journal: &Journal, from: u64) -> Result<(Vec<DamageReport>, Tail), StoreError> {
    let mut damage: Vec<DamageReport> = Vec::new();
    let mut last_seq: Option<u64> = None;
    // Damage whose event range waits for the next record's first event.
    let mut open: Option<usize> = None;
    // Where the first record of each (payload CRC, length) starts.
    let mut seen: HashMap<u64, u64> = HashMap::new();
    let file = File::open(journal.path()).map_err(|e| StoreError::io(journal.path(), e))?;
    let tail = journal
        .survey(from, |item| {
            match item {
                Item::Record(r) => {
                    let (first, last) = if journal.version() == Version::V2 {
                        (r.first, r.last)
                    } else {
                        payload_seqs(r.payload)
                    };
                    let key = (u64::from(crc32fast::hash(r.payload)) << 32) | r.payload.len() as u64;
                    match seen.get(&key) {
                        Some(&earlier) if same_payload(&file, journal.version(), earlier, r.payload)? => {
                            damage.push(DamageReport {
                                at: r.start,
                                bytes: r.end - r.start,
                                seqs: Some((first, last)),
                                valid_after: 0,
                                kind: DamageKind::Repeat { of: Some(earlier) },
                            });
                            return Ok(());
                        }
                        Some(_) => {}
                        None => {
                            seen.insert(key, r.start);
                        }
                    }
                    if let Some(i) = open.take()
                        && let Some(prev) = last_seq
                        && first > prev + 1
                    {
                        damage[i].seqs = Some((prev + 1, first - 1));
                    }
                    for d in &mut damage {
                        d.valid_after += 1;
                    }
                    last_seq = Some(last);
                }
                Item::Damaged(d) => {
                    if d.fields.is_none() {
                        open = Some(damage.len());
                    }
                    damage.push(DamageReport {
                        at: d.at,
                        bytes: d.bytes,
                        seqs: d.fields,
                        valid_after: 0,
                        kind: DamageKind::Unreadable,
                    });
                }
            }
            Ok(())
        })
        .map_err(|e| StoreError::io(journal.path(), e))?;
    Ok((damage, tail))
}

/// Whether the record at `at` holds exactly `payload`.
fn same_payload(file: &File, version: Version, at: u64, payload: &[u8]) -> std::io::Result<bool> {
    match version {
        Version::V2 => Ok(frame::read_at(file, at)?.is_some_and(|(_, p)| p == payload)),
        Version::V1 => {
            use std::os::unix::fs::FileExt;
            let mut buf = vec![0u8; payload.len()];
            file.read_exact_at(&mut buf, at + 8)?;
            Ok(buf == payload)
        }
    }
}
