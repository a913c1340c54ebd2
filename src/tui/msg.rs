//! What reaches the kiosk's loop (`Msg`) and what the loop is asked to do
//! beyond changing its model (`Effect`). Keys, pastes, the catalog's load
//! and the writer's outcomes are all messages; what the background jobs
//! (`crate::jobs`: the printer, the sync) report joins them as variants.

use crossterm::event::KeyEvent;

use super::app::Ticket;
use crate::domain::catalog::Catalog;
use crate::jobs::Failure;
use crate::jobs::print::{Printed, Slip};
use crate::jobs::sync::News;
use crate::storage::{Outcome, Request, StoreError};

#[derive(Debug)]
pub enum Msg {
    Key(KeyEvent),
    Paste(String),
    /// The terminal's size, at start and whenever it changes.
    Resize {
        width: u16,
        height: u16,
    },
    /// The background catalog load finished.
    CatalogLoaded(Result<Catalog, StoreError>),
    /// The process was told to stop (SIGTERM, or SIGHUP when its terminal
    /// window closed): the kiosk ends as if quit, saves in flight included.
    Stop,
    /// The terminal could not be read: the kiosk stops.
    TerminalLost(std::io::Error),
    /// The printer finished a slip asked for with `Effect::Print`.
    Printed {
        what: Slip,
        outcome: Result<Printed, Failure>,
    },
    /// The sync's bookkeeping, progress and outcomes (asked for with
    /// `Effect::Sync` or `Effect::SyncOverview`, by the nightly schedule
    /// or by `jiedai sync`).
    Sync(News),
    /// The writer finished a save sent with `Effect::Save`.
    Saved {
        ticket: Ticket,
        outcome: Outcome,
    },
}

/// Work that `update` asks for and the runtime carries out.
#[derive(Debug)]
pub enum Effect {
    /// Send `request` to the store's writer; its outcome comes back as
    /// `Msg::Saved` with the same ticket.
    Save { ticket: Ticket, request: Request },
    /// Print a slip on the terminal's printer; the outcome comes back as
    /// `Msg::Printed`.
    Print { actor: String, what: Slip },
    /// Sync with the county now; progress comes back as `Msg::Sync`.
    Sync,
    /// Read the sync's bookkeeping again; it comes back as
    /// `Msg::Sync(News::Overview(…))`.
    SyncOverview,
}
