//! The sync's secret files (a station's credentials, the county server's
//! key), written where only their owner can read them. Both sides of the
//! sync use it; it uses nothing but the standard library.

/// Writes a secret file of the sync (a station's credentials, the county
/// server's key) readable by its owner only (mode 0600): written and
/// fsynced beside its place, then renamed over an existing one when
/// `replace`, or linked, refusing an existing one, otherwise.
pub fn write_secret(path: &std::path::Path, bytes: &[u8], replace: bool) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let tmp = path.with_extension("new");
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    drop(f);
    if replace {
        std::fs::rename(&tmp, path)?;
    } else {
        // A link fails when the target exists: two first starts cannot
        // both create a key.
        let linked = std::fs::hard_link(&tmp, path);
        let _ = std::fs::remove_file(&tmp);
        linked?;
    }
    if let Some(parent) = path.parent()
        && let Ok(d) = std::fs::File::open(parent)
    {
        let _ = d.sync_all();
    }
    Ok(())
}
