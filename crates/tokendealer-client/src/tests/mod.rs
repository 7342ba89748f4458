//! Tests of the client library against an in-process mock dealer.

mod assertion;
mod binding;
mod certificate_binding;
mod dpop_source;
mod key_set;
mod middleware;
mod resource_metadata;
mod support;
mod token_source;
mod verifier;
