//! Integration tests: each starts the real server on port 0 with temporary dirs and talks HTTP.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod admin;
mod algorithms;
mod audit;
mod audit_trail;
mod cli;
mod client_assertions;
mod client_binding;
mod client_credentials;
mod client_library;
mod client_pages;
mod connections;
mod console;
mod contract;
mod dpop;
mod federation;
mod helpers;
mod introspection;
mod key_schedule;
mod keys;
mod metrics;
mod overload;
mod persistence;
mod readiness;
mod revocation;
mod runnerly;
mod scale_out;
mod settings;
mod store;
mod tls;
mod users;
mod well_known;
