//! The county office's web console under `/office/`.

pub mod charts;
pub mod dashboard;
pub mod words;
