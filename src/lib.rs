//! tokendealer: an OAuth2 token dealer for microservices.
//!
//! It issues audience-scoped JWT access tokens (RFC 9068; RS512 by default, EdDSA or ES256 per
//! client) to registered services through the client-credentials grant, publishes its public keys
//! as a JWKS so services verify tokens locally, and keeps clients and key metadata in an embedded
//! sled database.
//!
//! # Layout
//! Layers point one way: `http` → `domain` → `storage`; `startup` hands `http`'s handlers to
//! `server`, the transport, which imports nothing else of the crate.
//! - [`server`]: the transport — listeners, the accept loop under a connection cap, each
//!   phase's deadline, HTTP/1 and HTTP/2, native TLS with a reloadable certificate, per-thread
//!   runtimes, the drain. Given a handler and its limits; knows no route and no setting.
//! - [`http`]: routing, request parsing at the edge, errors → responses, and the web console
//!   (`http::console`: server-rendered pages, operator sessions, CSRF); the handlers `server`
//!   calls.
//! - [`domain`]: clients and secrets, audiences and scopes, grants, claims, signing keys, and
//!   the user directory (`domain::users`: wfc, roles, argon2id passwords, login lockout,
//!   tokenleader-layout tokens), and the console's operators (`domain::operators`). Knows
//!   neither HTTP nor sled; time is a `now` argument. Owns its ports: storage's
//!   (`domain::ports`) and the events port telemetry implements (`domain::events`).
//! - [`storage`]: sled trees, versioned records, key files. The only module that knows sled;
//!   `storage::postgres` is the second engine (PostgreSQL, a LISTEN/NOTIFY-kept cache, sealed keys).
//! - [`jwks_fetch`]: the JWK Sets `private_key_jwt` clients publish at a `jwks_uri`, fetched
//!   within bounds and cached (the domain's remote keys port).
//! - [`config`]: settings, from defaults < TOML file < environment < flags.
//! - [`startup`]: [`Application::build`] binds and loads; `run_until_stopped` serves and drains.
//! - [`client`]: the crate `tokendealer-client` (`crates/tokendealer-client`), the library
//!   services use — a caching token source with refresh-on-401, a JWKS-caching verifier, a
//!   tower layer that enforces scopes and role→rule access maps, and the wire types the dealer
//!   shares with it. It depends on none of the dealer's crates.
//! - [`cli`]: the `tokendealer` command line (server and admin commands, and with the `import`
//!   feature, on by default, `import tokenleader`), built on `client`.
//! - [`telemetry`]: logging setup, Prometheus metrics (one registry per application) and the audit
//!   trail (JSON lines and recent events in memory), which `storage` and `http` take; it hears
//!   the domain through `domain::events::Events`, and imports nothing the domain imports back.

#![cfg_attr(
    test,
    allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]

pub mod cli;
/// The service library, a crate of its own: re-exported so the dealer's types and the
/// library's read as one vocabulary.
pub use tokendealer_client as client;
pub mod config;
pub mod domain;
pub mod http;
pub mod jwks_fetch;
pub mod server;
pub mod startup;
pub mod storage;
pub mod telemetry;

pub use config::Settings;
pub use startup::Application;
