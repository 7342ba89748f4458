//! tokendealer: an OAuth2 token dealer for microservices.
//!
//! It issues audience-scoped JWT access tokens (RFC 9068; RS512 by default, EdDSA or ES256 per
//! client) to registered services through the client-credentials grant, publishes its public keys
//! as a JWKS so services verify tokens locally, and keeps clients and key metadata in an embedded
//! sled database.
//!
//! # Layout
//! Layers point one way: `http` → `domain` → `storage`.
//! - [`http`]: hyper routing, request parsing at the edge, errors → responses. The only module
//!   that knows hyper.
//! - [`domain`]: clients and secrets, audiences and scopes, grants, claims, signing keys. Knows
//!   neither HTTP nor sled; time is a `now` argument.
//! - [`storage`]: sled trees, versioned records, key files. The only module that knows sled.
//! - [`config`]: settings, from defaults < TOML file < environment < flags.
//! - [`startup`]: [`Application::build`] binds and loads; `run_until_stopped` serves and drains.
//! - [`cli`]: the `tokendealer` command line (server and admin commands).
//! - [`telemetry`]: logging setup.

pub mod cli;
pub mod config;
pub mod domain;
pub mod http;
pub mod startup;
pub mod storage;
pub mod telemetry;

pub use config::Settings;
pub use startup::Application;
