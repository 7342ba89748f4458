//! Tests of the client library against an in-process mock dealer.
