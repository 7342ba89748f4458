//! Enforcing sender-constrained tokens at a service: a token bound to a DPoP key (`cnf.jkt`,
//! RFC 9449 §7) needs the `DPoP` scheme and a valid, unreplayed proof of that key for this
//! request; a token bound to a certificate (`cnf.x5t#S256`, RFC 8705 §3) needs that
//! certificate on the request's connection. Unbound tokens pass as before.

mod certificate;
mod nonce;
mod replay;

use std::sync::Arc;

use http::request::Parts;
use jsonwebtoken::Algorithm;
use reqwest::Url;

pub(crate) use certificate::CertificateProxy;
use certificate::presented_thumbprint;
pub use certificate::{PeerAddr, PeerCertificate};
pub(crate) use nonce::Nonces;
use replay::{ReplayCache, Seen};

use crate::public_key::KeyCache;

use super::claims::Claims;
use super::dpop::{DEFAULT_ALGORITHMS, ProofCheck, verify_proof};

/// How the token came: `Authorization: Bearer` (or `X-Auth-Token`), or `Authorization: DPoP`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scheme {
    Bearer,
    Dpop,
}

/// Why a bound token was not accepted for this request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BindingRefusal {
    /// The token cannot be used this way: RFC 6750/9449 `invalid_token`. `dpop` says whether
    /// the challenge is a DPoP one (the token is DPoP-bound or came with the DPoP scheme).
    Token {
        description: &'static str,
        dpop: bool,
    },
    /// The proof is not valid for this request: RFC 9449 §7.1 `invalid_dpop_proof`.
    Proof(String),
    /// The service wants proofs to carry its nonce (RFC 9449 §9): this one, in `DPoP-Nonce`.
    NonceRequired(String),
    /// The replay cache is full: the proof cannot be checked now.
    Busy,
}

/// The binding rules and what they need: the service's public URL, proof limits, the
/// replay cache, and a trusted certificate-forwarding proxy.
#[derive(Clone)]
pub(crate) struct Binding {
    pub(crate) public_base: Option<Url>,
    pub(crate) max_age: u64,
    pub(crate) leeway: u64,
    pub(crate) algorithms: Vec<Algorithm>,
    pub(crate) proxy: Option<CertificateProxy>,
    /// When set, proofs must carry a nonce this service handed out.
    pub(crate) nonces: Option<Nonces>,
    /// Shared by every clone of the layer: a proof replayed to another clone is still seen.
    replay: Arc<ReplayCache>,
    /// Proof keys parsed before, shared by every clone (a client signs many proofs with one).
    keys: Arc<KeyCache>,
}

/// Proofs older than this are refused: RFC 9449 §11.1 asks for a short window; a minute
/// covers clock skew and a request's time in transit.
const DEFAULT_MAX_AGE: u64 = 60;
/// Proofs held for replay checks at once, ~100 bytes each.
const DEFAULT_REPLAY_BOUND: usize = 100_000;

impl Default for Binding {
    fn default() -> Self {
        Self {
            public_base: None,
            max_age: DEFAULT_MAX_AGE,
            leeway: 5,
            algorithms: DEFAULT_ALGORITHMS.to_vec(),
            proxy: None,
            nonces: None,
            replay: Arc::new(ReplayCache::new(DEFAULT_REPLAY_BOUND)),
            keys: Arc::default(),
        }
    }
}

impl Binding {
    pub(crate) fn set_replay_bound(&mut self, bound: usize) {
        self.replay = Arc::new(ReplayCache::new(bound));
    }

    /// `RS256 ES256 …`: the `algs` of a DPoP challenge (RFC 9449 §7.1).
    pub(crate) fn algs(&self) -> String {
        let names: Vec<String> = self.algorithms.iter().map(|a| format!("{a:?}")).collect();
        names.join(" ")
    }

    /// Checks the token's binding for this request at `now` (Unix seconds).
    pub(crate) fn check(
        &self,
        claims: &Claims,
        scheme: Scheme,
        token: &str,
        request: &Parts,
        now: u64,
    ) -> Result<(), BindingRefusal> {
        let cnf = claims.cnf.as_ref();
        let jkt = cnf.and_then(|c| c.jkt.as_deref());
        let x5t = cnf.and_then(|c| c.x5t_s256.as_deref());
        let dpop = jkt.is_some() || scheme == Scheme::Dpop;
        let refuse = |description| BindingRefusal::Token { description, dpop };
        if let Some(x5t) = x5t {
            let presented =
                presented_thumbprint(&request.extensions, &request.headers, self.proxy.as_ref());
            if presented.as_deref() != Some(x5t) {
                return Err(refuse(
                    "The access token is bound to a client certificate this request did not present",
                ));
            }
        }
        let Some(jkt) = jkt else {
            return match scheme {
                Scheme::Bearer => Ok(()),
                Scheme::Dpop => Err(refuse("The access token is not bound to a DPoP key")),
            };
        };
        if scheme == Scheme::Bearer {
            return Err(refuse(
                "A DPoP-bound access token must be sent with the DPoP scheme",
            ));
        }
        let mut proofs = request.headers.get_all("dpop").iter();
        let (Some(proof), None) = (proofs.next(), proofs.next()) else {
            return Err(refuse("Exactly one DPoP proof header is required"));
        };
        let proof = proof
            .to_str()
            .map_err(|_| BindingRefusal::Proof("The DPoP proof is not a well-formed JWT".into()))?;
        let htu = self.request_url(request);
        let check = ProofCheck {
            htm: request.method.as_str(),
            htu: &htu,
            now,
            max_age: self.max_age,
            leeway: self.leeway,
            access_token: Some(token),
            nonce: None,
            algorithms: &self.algorithms,
            keys: Some(&self.keys),
        };
        let verified =
            verify_proof(proof, &check).map_err(|e| BindingRefusal::Proof(e.to_string()))?;
        if verified.jkt != jkt {
            return Err(refuse(
                "The DPoP proof's key is not the key the access token is bound to",
            ));
        }
        if let Some(nonces) = &self.nonces {
            let carried = verified.nonce.as_deref();
            if !carried.is_some_and(|n| nonces.accepts(n, now)) {
                return Err(BindingRefusal::NonceRequired(nonces.current(now)));
            }
        }
        // After every other check, so proofs that fail them never take a place in the cache.
        let expires = verified.iat.saturating_add(self.max_age + self.leeway);
        match self
            .replay
            .first_use(format!("{jkt}.{}", verified.jti), expires, now)
        {
            Seen::First => Ok(()),
            Seen::Replayed => Err(BindingRefusal::Proof(
                "The DPoP proof has been used before".into(),
            )),
            Seen::Full => Err(BindingRefusal::Busy),
        }
    }

    /// The URL the client addressed: the configured public base with the request's path, or,
    /// without one, the request's own absolute URI (HTTP/2) or its `Host` over http.
    fn request_url(&self, request: &Parts) -> String {
        let path = request.uri.path();
        if let Some(base) = &self.public_base {
            return format!("{}{path}", base.as_str().trim_end_matches('/'));
        }
        if let (Some(scheme), Some(authority)) = (request.uri.scheme_str(), request.uri.authority())
        {
            return format!("{scheme}://{authority}{path}");
        }
        let host = request
            .headers
            .get(http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or_default();
        format!("http://{host}{path}")
    }
}
