//! The data directory is private to the account that runs the kiosk: the
//! journal holds ID numbers and the catalog cache phone numbers. New
//! directories are made 0700 and files 0600 (the process runs with umask
//! 077, see `restrict_new_files`); an existing installation that is more
//! open than that is tightened when it is opened, with a log line for each
//! path changed.

use std::fs;
use std::io;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

pub const DIR_MODE: u32 = 0o700;
pub const FILE_MODE: u32 = 0o600;

/// Makes every file this process creates from now on readable by its own
/// account only (umask 077). Called once at start-up.
pub fn restrict_new_files() {
    // SAFETY: umask only sets the process's file-creation mask; it cannot
    // fail and touches no memory.
    unsafe {
        libc::umask(0o077);
    }
}

/// Creates `dir` (and missing parents) with mode 0700.
pub fn create_dir(dir: &Path) -> io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    fs::DirBuilder::new().recursive(true).mode(DIR_MODE).create(dir)
}

/// One path whose permissions were narrowed: (path, old mode, new mode).
pub type Tightened = (PathBuf, u32, u32);

/// Narrows `dir` to 0700 and everything under it to 0700 (directories) or
/// 0600 (files); symbolic links are left alone. Returns what was changed.
pub fn tighten(dir: &Path) -> io::Result<Vec<Tightened>> {
    let mut changed = Vec::new();
    tighten_into(dir, &mut changed)?;
    Ok(changed)
}

fn tighten_into(path: &Path, changed: &mut Vec<Tightened>) -> io::Result<()> {
    let meta = fs::symlink_metadata(path)?;
    if meta.file_type().is_symlink() {
        return Ok(());
    }
    let want = if meta.is_dir() { DIR_MODE } else { FILE_MODE };
    let mode = meta.permissions().mode() & 0o777;
    if mode & !want != 0 {
        let new = mode & want;
        fs::set_permissions(path, fs::Permissions::from_mode(new))?;
        changed.push((path.to_path_buf(), mode, new));
    }
    if meta.is_dir() {
        for entry in fs::read_dir(path)? {
            tighten_into(&entry?.path(), changed)?;
        }
    }
    Ok(())
}

/// Tightens `dir` and logs each change; a failure is logged, not fatal
/// (the data is still there to be used, and the log says what to fix).
pub fn tighten_logged(dir: &Path) {
    match tighten(dir) {
        Ok(changed) => {
            for (path, old, new) in changed {
                log::warn!(
                    "permissions of {} narrowed from {old:04o} to {new:04o}: station data is private to this account",
                    path.display()
                );
            }
        }
        Err(e) => log::error!("could not narrow the permissions of {}: {e}", dir.display()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tighten_narrows_only_what_is_too_open() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("d");
        fs::create_dir_all(dir.join("db")).unwrap();
        fs::write(dir.join("journal"), b"x").unwrap();
        fs::write(dir.join("db/conf"), b"x").unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
        fs::set_permissions(dir.join("journal"), fs::Permissions::from_mode(0o644)).unwrap();
        fs::set_permissions(dir.join("db/conf"), fs::Permissions::from_mode(0o400)).unwrap();
        let changed = tighten(&dir).unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&dir.join("journal")), 0o600);
        // Narrower than 0600 stays as it is.
        assert_eq!(mode(&dir.join("db/conf")), 0o400);
        assert!(
            changed
                .iter()
                .any(|(p, old, new)| p == &dir && *old == 0o755 && *new == 0o700)
        );
        assert!(tighten(&dir).unwrap().is_empty(), "a second pass changes nothing");
    }
}
