//! A bounded in-process record of single-use identifiers: what this process has seen, for a
//! dealer until the shared engines (sled, PostgreSQL) take the port over.

use std::collections::HashMap;
use std::sync::Mutex;

use async_trait::async_trait;

use crate::domain::ports::{FirstUse, SingleUse, StoreError};

/// Identifiers held at once by default: beyond it an offer is refused, none forgotten.
pub const DEFAULT_BOUND: usize = 100_000;

/// `(namespace, id)` → expiry, at most `bound` of them.
pub struct MemorySingleUse {
    seen: Mutex<HashMap<(String, String), u64>>,
    bound: usize,
}

impl MemorySingleUse {
    pub fn new(bound: usize) -> Self {
        Self {
            seen: Mutex::new(HashMap::new()),
            bound,
        }
    }
}

#[async_trait]
impl SingleUse for MemorySingleUse {
    async fn first_use(
        &self,
        namespace: &str,
        id: &str,
        expires: u64,
        now: u64,
    ) -> Result<FirstUse, StoreError> {
        let mut seen = self.seen.lock().map_err(|_| {
            StoreError::Failed(anyhow::anyhow!("the single-use record is poisoned"))
        })?;
        let key = (namespace.to_owned(), id.to_owned());
        if seen.get(&key).is_some_and(|&until| until > now) {
            return Ok(FirstUse::Replayed);
        }
        if seen.len() >= self.bound {
            // Expired entries make room before anything is refused.
            seen.retain(|_, until| *until > now);
            if seen.len() >= self.bound {
                return Ok(FirstUse::Full);
            }
        }
        seen.insert(key, expires);
        Ok(FirstUse::Recorded)
    }

    async fn sweep(&self, now: u64) -> Result<u64, StoreError> {
        let mut seen = self.seen.lock().map_err(|_| {
            StoreError::Failed(anyhow::anyhow!("the single-use record is poisoned"))
        })?;
        let before = seen.len();
        seen.retain(|_, until| *until > now);
        Ok((before - seen.len()) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_identifier_is_taken_once_until_it_expires_and_a_full_record_refuses() {
        let record = MemorySingleUse::new(2);
        assert_eq!(
            record.first_use("dpop", "a", 100, 10).await.unwrap(),
            FirstUse::Recorded
        );
        assert_eq!(
            record.first_use("dpop", "a", 100, 50).await.unwrap(),
            FirstUse::Replayed
        );
        assert_eq!(
            record.first_use("assertion", "a", 100, 50).await.unwrap(),
            FirstUse::Recorded
        );
        assert_eq!(
            record.first_use("dpop", "b", 100, 50).await.unwrap(),
            FirstUse::Full
        );
        assert_eq!(
            record.first_use("dpop", "a", 200, 100).await.unwrap(),
            FirstUse::Recorded
        );
        // The full record made room by dropping both expired entries; one is left.
        assert_eq!(record.sweep(300).await.unwrap(), 1);
    }
}
