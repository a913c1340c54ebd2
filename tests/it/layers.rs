//! The house's rules, checked on the source: what each layer may use.
//!
//! - `domain` uses no other layer and does no I/O;
//! - only `storage` uses sled;
//! - `storage` and `transfer` use `domain` (and `i18n`), never the kiosk or
//!   the command line;
//! - `print` uses `domain` and `storage`, never the kiosk or the command
//!   line;
//! - `tui` uses `domain` and `storage`, never `commands` or `transfer`, and
//!   never writes to the store itself: its saves are effects that the
//!   runtime sends to the store's writer thread;
//! - `sync` (the protocol and the station's client) uses `domain` and
//!   `storage`'s `Reader`/`Writer`, never sled, the kiosk or the county;
//! - `county` (the county server) uses `domain` and `sync`'s protocol, never
//!   sled or the station's storage, the kiosk or the command line;
//! - `commands` wires everything to the command line.

use std::fs;
use std::path::{Path, PathBuf};

fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out
}

/// Lines of code outside tests and comments that contain `needle`.
fn uses(layer: &str, needles: &[&str]) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src").join(layer);
    let mut found = Vec::new();
    for file in sources(&root) {
        let text = fs::read_to_string(&file).unwrap();
        // Unit tests may do what the layer itself may not.
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        for (i, line) in code.lines().enumerate() {
            let line = line.trim_start();
            if line.starts_with("//") {
                continue;
            }
            for needle in needles {
                if line.contains(needle) {
                    found.push(format!("{}:{}: {line}", file.display(), i + 1));
                }
            }
        }
    }
    found
}

#[test]
fn the_domain_uses_no_other_layer_and_does_no_io() {
    let found = uses(
        "domain",
        &[
            "crate::storage",
            "crate::transfer",
            "crate::tui",
            "crate::commands",
            "crate::sync",
            "crate::county",
            "sqlx",
            "axum",
            "ureq",
            "sled::",
            "std::fs",
            "std::net",
            "std::process",
            "File::",
            "println!",
            "eprintln!",
        ],
    );
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn only_storage_uses_sled() {
    for layer in ["domain", "transfer", "tui", "commands", "print", "sync", "county"] {
        let found = uses(layer, &["sled::", "use sled"]);
        assert!(found.is_empty(), "{layer}: {found:#?}");
    }
}

#[test]
fn lower_layers_never_reach_up() {
    for layer in ["storage", "transfer"] {
        let found = uses(layer, &["crate::tui", "crate::commands", "crate::cli"]);
        assert!(found.is_empty(), "{layer}: {found:#?}");
    }
    let found = uses("tui", &["crate::commands", "crate::transfer", "crate::cli"]);
    assert!(found.is_empty(), "tui: {found:#?}");
    // The printer worker uses the domain and the store, never a screen.
    let found = uses(
        "print",
        &[
            "crate::tui",
            "crate::commands",
            "crate::cli",
            "ratatui",
            "crossterm",
        ],
    );
    assert!(found.is_empty(), "print: {found:#?}");
}

#[test]
fn the_kiosk_saves_only_through_the_writer() {
    let found = uses(
        "tui",
        &[
            ".commit(",
            ".commit_at(",
            ".commit_dated(",
            ".next_codes(",
            "Store::open",
        ],
    );
    assert!(found.is_empty(), "tui: {found:#?}");
    // The update functions only describe saves; the runtime carries them out.
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/tui/update");
    for file in sources(&root) {
        let text = fs::read_to_string(&file).unwrap();
        assert!(
            !text.contains(".send(") && !text.contains("Writer"),
            "{}: update must return effects, not send them",
            file.display()
        );
    }
}

#[test]
fn the_county_server_and_the_sync_client_keep_to_their_side() {
    let found = uses(
        "county",
        &["crate::storage", "crate::tui", "crate::commands", "crate::print"],
    );
    assert!(found.is_empty(), "county: {found:#?}");
    let found = uses(
        "sync",
        &["crate::county", "crate::tui", "crate::commands", "sqlx", "axum"],
    );
    assert!(found.is_empty(), "sync: {found:#?}");
    // The network stays out of the layers below.
    for layer in ["domain", "storage", "transfer", "print"] {
        let found = uses(layer, &["ureq", "axum", "sqlx", "tokio"]);
        assert!(found.is_empty(), "{layer}: {found:#?}");
    }
}
