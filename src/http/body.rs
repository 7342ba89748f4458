//! Request bodies in memory: each one bounded by [`MAX_BODY`], and all of them together by the
//! [`BodyBudget`], a byte count shared by every connection.
//!
//! Why a budget: a peer may open `h2_max_concurrent_streams` streams on each of many connections
//! and send part of every body; each held up to 64 KiB until the body deadline, and 10
//! connections × 100 streams made the server hold 60 MB (`docs/operations.md`). With the budget,
//! a body that would take the total past it is refused at once (503, `Retry-After: 1`).
//!
//! Why copy: a chunk hyper hands over is a slice of the connection's read buffer, and keeping it
//! keeps that whole buffer (8 KiB or more for a 10-byte chunk). Each chunk is copied into the
//! request's own buffer, so what a stalled body holds is what it sent, and what it is charged.

use std::ops::Deref;

use http_body_util::BodyExt;
use hyper::body::Incoming;
use tokio::sync::{Semaphore, SemaphorePermit};

use super::error::Rejection;
use crate::domain::OAuthError;

/// The largest request body accepted, in bytes.
pub const MAX_BODY: usize = 64 * 1024;

/// Bytes of request bodies that may be held at once across every connection.
pub struct BodyBudget {
    bytes: Semaphore,
}

impl BodyBudget {
    pub fn new(bytes: usize) -> Self {
        Self {
            bytes: Semaphore::new(bytes.min(Semaphore::MAX_PERMITS)),
        }
    }

    /// Bytes not held by any body now.
    pub fn available(&self) -> usize {
        self.bytes.available_permits()
    }

    /// Reads `body` to its end into a buffer of its own, charged to this budget as it grows.
    pub(super) async fn collect(&self, mut body: Incoming) -> Result<Buffered<'_>, Rejection> {
        let mut held = Buffered {
            bytes: Vec::new(),
            share: None,
        };
        while let Some(frame) = body.frame().await {
            let frame = frame
                .map_err(|_| OAuthError::invalid_request("the request body could not be read"))?;
            if let Ok(data) = frame.into_data() {
                held.append(&data, self)?;
            }
        }
        Ok(held)
    }
}

/// A request body read whole; its share of the [`BodyBudget`] goes back when it is dropped.
pub struct Buffered<'a> {
    bytes: Vec<u8>,
    share: Option<SemaphorePermit<'a>>,
}

impl<'a> Buffered<'a> {
    fn append(&mut self, data: &[u8], budget: &'a BodyBudget) -> Result<(), Rejection> {
        let len = self.bytes.len() + data.len();
        if len > MAX_BODY {
            return Err(Rejection::PayloadTooLarge(MAX_BODY));
        }
        let capacity = self.bytes.capacity();
        if len > capacity {
            // A body in one chunk (a token request's) gets exactly its size; one in several
            // grows by doubling, within the limit. The budget pays for the capacity.
            let target = len.max(capacity * 2).min(MAX_BODY);
            let more = u32::try_from(target - capacity).unwrap_or(u32::MAX);
            let permit = budget.bytes.try_acquire_many(more).map_err(|_| {
                OAuthError::TemporarilyUnavailable {
                    retry_after_secs: 1,
                }
            })?;
            match &mut self.share {
                Some(share) => share.merge(permit),
                None => self.share = Some(permit),
            }
            self.bytes.reserve_exact(target - self.bytes.len());
        }
        self.bytes.extend_from_slice(data);
        Ok(())
    }
}

impl Deref for Buffered<'_> {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn empty<'a>() -> Buffered<'a> {
        Buffered {
            bytes: Vec::new(),
            share: None,
        }
    }

    #[test]
    fn a_body_is_charged_its_capacity_and_gives_it_back_when_dropped() {
        let budget = BodyBudget::new(1000);
        let mut body = empty();
        body.append(&[b'a'; 100], &budget).unwrap();
        assert_eq!(budget.available(), 900, "one chunk: its exact size");
        body.append(&[b'b'; 50], &budget).unwrap();
        assert_eq!(budget.available(), 800, "doubled to 200");
        assert_eq!(&body[..3], b"aaa");
        assert_eq!(body.len(), 150);
        drop(body);
        assert_eq!(budget.available(), 1000);
    }

    #[test]
    fn a_body_past_the_budget_is_refused_503_and_holds_nothing() {
        let budget = BodyBudget::new(1000);
        let mut first = empty();
        first.append(&[0; 900], &budget).unwrap();
        let mut second = empty();
        let refused = second.append(&[0; 200], &budget).unwrap_err();
        assert_eq!(refused.status(), http::StatusCode::SERVICE_UNAVAILABLE);
        assert!(second.is_empty());
        drop(first);
        second.append(&[0; 200], &budget).unwrap();
    }

    #[test]
    fn a_body_past_the_limit_is_413_whatever_the_budget() {
        let budget = BodyBudget::new(1 << 30);
        let mut body = empty();
        body.append(&[0; MAX_BODY], &budget).unwrap();
        let refused = body.append(&[0; 1], &budget).unwrap_err();
        assert_eq!(refused.status(), http::StatusCode::PAYLOAD_TOO_LARGE);
    }
}
