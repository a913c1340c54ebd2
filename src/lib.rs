//! jiedai (接待): the reception kiosk of a people's-congress deputy liaison
//! station. `domain` is the model, `storage` the only module that knows
//! sled, `transfer` reads and writes files, `tui` is the kiosk, `commands`
//! wires them to the command line.

pub mod books;
pub mod cli;
pub mod commands;
#[cfg(feature = "county")]
pub mod county;
pub mod domain;
pub mod i18n;
pub mod jobs;
pub mod limits;
pub mod print;
pub mod reports;
pub mod storage;
pub mod sync;
pub mod transfer;
pub mod tui;
