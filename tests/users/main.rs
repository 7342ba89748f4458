//! Users, roles, wfc, the password grant and the tokenleader-compatible API, over HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a panic is a failure report

mod catalog_keys;
mod cli;
mod compat;
mod directory;
mod helpers;
mod password_grant;
