//! Each rule of RFC 9449 §4.3 the verifier applies, one test or more each, with real keys.

mod claims;
mod header;
mod support;
