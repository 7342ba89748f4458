//! tokendealer
