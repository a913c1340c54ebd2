//! What the tests share: the real binary on sample data (`cli`), the county
//! server as a process (`county`), a PostgreSQL of the tests' own
//! (`postgres`), a fake receipt printer (`printer`), a faulty network
//! (`proxy`) and the kiosk in a pseudo-terminal (`pty`).

pub mod cli;
pub mod county;
pub mod postgres;
pub mod printer;
pub mod proxy;
pub mod pty;
