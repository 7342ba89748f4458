//! Where a request came from: the peer's address and its `X-Request-Id` (an incoming valid one
//! is kept, otherwise a fresh random one is made), the [`Origin`] of everything a request causes:
//! lockout counts by address; log lines and audit events carry both.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

/// 1–128 characters of `[A-Za-z0-9._:-]`: safe in a header, a log line and a JSON string.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct RequestId(Arc<str>);

impl RequestId {
    /// `raw` if it is a valid id.
    pub fn parse(raw: &[u8]) -> Option<Self> {
        let ok = (1..=128).contains(&raw.len())
            && raw
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || b"._:-".contains(b));
        ok.then(|| Self(String::from_utf8_lossy(raw).into()))
    }

    /// A fresh id: 128 random bits, in hex (encoded on the stack: this runs for every request).
    pub fn random() -> Self {
        let mut text = [0u8; 32];
        let id = hex::encode_to_slice(rand::random::<[u8; 16]>(), &mut text)
            .ok()
            .and_then(|()| std::str::from_utf8(&text).ok())
            .unwrap_or("0");
        Self(id.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RequestId({})", self.0)
    }
}

impl serde::Serialize for RequestId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

/// Where a request came from: the TCP peer's address and the request's id.
#[derive(Debug, Clone)]
pub struct Origin {
    pub address: IpAddr,
    pub request_id: RequestId,
}

impl Origin {
    /// An origin for work no request caused (tests, background chores).
    pub fn internal() -> Self {
        Self {
            address: IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            request_id: RequestId::random(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_is_kept_only_when_short_and_plain() {
        assert!(RequestId::parse(b"abc-123_x.y:z").is_some());
        assert!(RequestId::parse(&[b'a'; 128]).is_some());
        assert!(RequestId::parse(&[b'a'; 129]).is_none());
        assert!(RequestId::parse(b"").is_none());
        assert!(RequestId::parse(b"a b").is_none());
        assert!(RequestId::parse(b"a\"b").is_none());
        assert_eq!(RequestId::random().as_str().len(), 32);
    }
}
