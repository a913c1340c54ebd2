//! The integration tests, one module per subject, built as one binary.
//! Shared helpers are `crate::support` (processes, servers, terminals) and
//! `crate::common` (stations, appeals and steps built through the API).
//! `tests/disk_full.rs` stays a binary of its own: without a tmpfs it
//! limits the file size of its whole process.

mod common;
mod support;

mod catalog_cache;
mod check_pass;
mod console_auth;
mod console_browser;
mod console_dashboard;
mod console_pages;
mod county;
mod county_edge;
mod county_queue;
mod county_steps;
mod crash;
mod desk;
mod durability;
mod e2e;
mod error_words;
mod form;
mod layers;
mod ledgers;
mod lifecycle;
mod online;
mod print;
mod privacy;
mod reports;
mod rules;
mod screens;
mod setup;
mod storage;
mod sync;
mod sync_kiosk;
mod sync_store;
mod terminals;
mod tls;
mod transfer;
mod transfer_input;
mod working_days;
