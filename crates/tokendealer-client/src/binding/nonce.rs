//! Nonces a service hands out for DPoP proofs (RFC 9449 §9): stateless — the time window and
//! its HMAC — so every replica holding the same key accepts every replica's nonce, and nothing
//! is stored per client.

use aws_lc_rs::constant_time::verify_slices_are_equal;
use aws_lc_rs::hmac;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The part of the HMAC a nonce carries: 128 bits cannot be guessed within a window.
const TAG_BYTES: usize = 16;

#[derive(Clone)]
pub(crate) struct Nonces {
    key: hmac::Key,
    /// Seconds a nonce is handed out for; it is accepted for one window more.
    window: u64,
}

impl Nonces {
    pub(crate) fn new(secret: &[u8; 32], window: u64) -> Self {
        Self {
            key: hmac::Key::new(hmac::HMAC_SHA256, secret),
            window: window.max(1),
        }
    }

    /// The nonce to hand out at `now`.
    pub(crate) fn current(&self, now: u64) -> String {
        self.for_window(now / self.window)
    }

    /// Whether `nonce` was handed out in this window or the one before.
    pub(crate) fn accepts(&self, nonce: &str, now: u64) -> bool {
        let Ok(bytes) = URL_SAFE_NO_PAD.decode(nonce) else {
            return false;
        };
        let Some((index, tag)) = bytes.split_first_chunk::<8>() else {
            return false;
        };
        let index = u64::from_be_bytes(*index);
        let current = now / self.window;
        if index != current && index.saturating_add(1) != current {
            return false;
        }
        let expected = hmac::sign(&self.key, &index.to_be_bytes());
        let expected = expected.as_ref().get(..TAG_BYTES).unwrap_or_default();
        verify_slices_are_equal(tag, expected).is_ok()
    }

    fn for_window(&self, index: u64) -> String {
        let tag = hmac::sign(&self.key, &index.to_be_bytes());
        let mut bytes = index.to_be_bytes().to_vec();
        bytes.extend_from_slice(tag.as_ref().get(..TAG_BYTES).unwrap_or_default());
        URL_SAFE_NO_PAD.encode(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nonce_is_accepted_in_its_window_and_the_next_only_with_the_same_key() {
        let nonces = Nonces::new(&[7; 32], 60);
        let nonce = nonces.current(1_000);
        assert!(nonces.accepts(&nonce, 1_000));
        assert!(nonces.accepts(&nonce, 1_000 + 60), "the next window");
        assert!(!nonces.accepts(&nonce, 1_000 + 120), "expired");
        assert!(
            !Nonces::new(&[8; 32], 60).accepts(&nonce, 1_000),
            "another key"
        );
        assert!(!nonces.accepts("not-a-nonce", 1_000));
        let mut forged = URL_SAFE_NO_PAD.decode(&nonce).unwrap();
        forged[10] ^= 1;
        assert!(!nonces.accepts(&URL_SAFE_NO_PAD.encode(forged), 1_000));
    }
}
