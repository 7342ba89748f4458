//! tokendealer: an OAuth2 token dealer for microservices.

#[cfg(feature = "client")]
pub mod client;
