//! Stateless DPoP nonces (RFC 9449 §8): an HMAC of the time window under a key every instance
//! shares, so any instance accepts any instance's nonce without asking the others.

use aws_lc_rs::hmac;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use subtle::ConstantTimeEq;

use crate::domain::UnixTime;

/// Bytes of the MAC kept in a nonce: 128 bits cannot be guessed.
const NONCE_MAC_BYTES: usize = 16;

/// What a presented nonce is worth now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonceAge {
    /// This window's nonce.
    Current,
    /// The previous window's: still accepted, and the client is sent the current one.
    Previous,
    /// Older, or never made here.
    Unknown,
}

/// Makes and checks nonces.
pub struct Nonces {
    key: hmac::Key,
    window: u64,
}

impl std::fmt::Debug for Nonces {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Nonces")
            .field("window", &self.window)
            .finish()
    }
}

impl Nonces {
    /// Nonces under `secret` (shared by every instance), each handed out for `window` seconds.
    pub fn new(secret: &[u8; 32], window: u64) -> Self {
        Self {
            key: hmac::Key::new(hmac::HMAC_SHA256, secret),
            window: window.max(1),
        }
    }

    /// The nonce to hand out at `now`.
    pub fn current(&self, now: UnixTime) -> String {
        URL_SAFE_NO_PAD.encode(self.mac(now.as_secs() / self.window))
    }

    /// Whether `nonce` is this window's, the previous one's, or neither.
    pub fn age(&self, nonce: &str, now: UnixTime) -> NonceAge {
        let mut presented = [0u8; NONCE_MAC_BYTES];
        let decoded = URL_SAFE_NO_PAD.decode(nonce).ok();
        match decoded.as_deref() {
            Some(bytes) if bytes.len() == NONCE_MAC_BYTES => presented.copy_from_slice(bytes),
            _ => return NonceAge::Unknown,
        }
        let index = now.as_secs() / self.window;
        if bool::from(self.mac(index).ct_eq(&presented)) {
            NonceAge::Current
        } else if index > 0 && bool::from(self.mac(index - 1).ct_eq(&presented)) {
            NonceAge::Previous
        } else {
            NonceAge::Unknown
        }
    }

    fn mac(&self, window_index: u64) -> [u8; NONCE_MAC_BYTES] {
        let mut message = *b"dpop-nonce:\0\0\0\0\0\0\0\0";
        if let Some(tail) = message.get_mut(11..) {
            tail.copy_from_slice(&window_index.to_be_bytes());
        }
        let tag = hmac::sign(&self.key, &message);
        let mut out = [0u8; NONCE_MAC_BYTES];
        if let Some(head) = tag.as_ref().get(..NONCE_MAC_BYTES) {
            out.copy_from_slice(head);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: [u8; 32] = [7; 32];

    #[test]
    fn a_nonce_is_accepted_in_its_window_and_the_next_only() {
        let nonces = Nonces::new(&SECRET, 100);
        let made = nonces.current(UnixTime::from_secs(1_000));
        assert_eq!(
            nonces.age(&made, UnixTime::from_secs(1_099)),
            NonceAge::Current
        );
        assert_eq!(
            nonces.age(&made, UnixTime::from_secs(1_100)),
            NonceAge::Previous
        );
        assert_eq!(
            nonces.age(&made, UnixTime::from_secs(1_199)),
            NonceAge::Previous
        );
        assert_eq!(
            nonces.age(&made, UnixTime::from_secs(1_200)),
            NonceAge::Unknown
        );
    }

    #[test]
    fn another_instance_with_the_same_secret_accepts_it_and_another_secret_does_not() {
        let now = UnixTime::from_secs(5_000);
        let made = Nonces::new(&SECRET, 60).current(now);
        assert_eq!(Nonces::new(&SECRET, 60).age(&made, now), NonceAge::Current);
        assert_eq!(Nonces::new(&[8; 32], 60).age(&made, now), NonceAge::Unknown);
    }

    #[test]
    fn garbage_is_no_nonce() {
        let nonces = Nonces::new(&SECRET, 60);
        for bad in ["", "x", "!!!!", &"A".repeat(22), &"A".repeat(500)] {
            assert_eq!(nonces.age(bad, UnixTime::from_secs(60)), NonceAge::Unknown);
        }
    }
}
