//! Tests of the client library against an in-process mock dealer.

mod key_set;
mod middleware;
mod resource_metadata;
mod support;
mod token_source;
mod verifier;
