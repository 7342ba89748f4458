//! DPoP at the token endpoint and the dealer's own protected endpoints (RFC 9449): a proof
//! checked against the issuer's public URL of the endpoint, its nonce (§8) when nonces are on,
//! and its `jti` (§11.1), spent once the request is otherwise valid.

mod nonce;
mod settings;

use std::borrow::Cow;

use tokendealer_client::dpop::{DEFAULT_ALGORITHMS, ProofCheck, ProofError, verify_proof};
use tokendealer_client::public_key::KeyCache;

pub use nonce::{NonceAge, Nonces};
pub use settings::DpopSettings;

use super::ports::{FirstUse, SingleUse};
use super::{OAuthError, UnixTime};

/// The single-use namespace of DPoP proofs' `jti`s.
pub const JTI_NAMESPACE: &str = "dpop";

/// The algorithms proofs may be signed with (`dpop_signing_alg_values_supported`).
pub const ALGORITHMS: &[jsonwebtoken::Algorithm] = DEFAULT_ALGORITHMS;

/// The JOSE names of [`ALGORITHMS`], for the metadata (`Ed25519` beside `EdDSA`).
pub fn algorithm_names() -> Vec<&'static str> {
    tokendealer_client::dpop::algorithm_names(ALGORITHMS)
}

/// A proof that passed every check but its single use, which [`super::Dealer::issue`] spends
/// once the client has authenticated: an unauthenticated caller cannot fill the record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DpopProof {
    /// The RFC 7638 thumbprint of the proof's key: the token's `cnf.jkt`.
    pub jkt: String,
    /// The proof's `jti`.
    pub jti: String,
    /// Until when the `jti` must be remembered: past it the proof is too old anyway.
    pub expires: u64,
    /// Whether the client should be sent the current nonce with its token (its nonce was the
    /// previous window's).
    pub stale_nonce: bool,
}

/// DPoP as this dealer is configured: the token endpoint's URL, the windows, the nonces.
#[derive(Debug)]
pub struct Dpop {
    token_endpoint: String,
    settings: DpopSettings,
    nonces: Option<Nonces>,
    /// Proof keys parsed before: a client signs its proofs with one key.
    keys: KeyCache,
}

impl Dpop {
    /// DPoP for the token endpoint at `token_endpoint` (the issuer's public URL); `nonce_secret`
    /// is the key every instance shares, used when `settings.nonce` is on.
    pub fn new(token_endpoint: String, settings: DpopSettings, nonce_secret: &[u8; 32]) -> Self {
        let nonces = settings
            .nonce
            .then(|| Nonces::new(nonce_secret, settings.nonce_window_secs));
        Self {
            token_endpoint,
            settings,
            nonces,
            keys: KeyCache::default(),
        }
    }

    /// Whether proofs must carry a nonce.
    pub fn nonces_required(&self) -> bool {
        self.nonces.is_some()
    }

    /// Checks a proof sent with a token request (`POST` to the token endpoint) at `now`: every
    /// rule of RFC 9449 §4.3 but the `jti`'s single use, and the nonce when nonces are on.
    pub fn check(&self, proof: &str, now: UnixTime) -> Result<DpopProof, OAuthError> {
        self.verify(proof, "POST", &self.token_endpoint, None, now)
    }

    /// Checks a proof sent with `access_token` to one of the dealer's own protected endpoints
    /// (RFC 9449 §7.1): `htm` its method, `htu` its public URL (the issuer's), `ath` the
    /// token's hash; the same rules, nonces and window as at the token endpoint.
    pub fn check_with_token(
        &self,
        proof: &str,
        htm: &str,
        htu: &str,
        access_token: &str,
        now: UnixTime,
    ) -> Result<DpopProof, OAuthError> {
        self.verify(proof, htm, htu, Some(access_token), now)
    }

    fn verify(
        &self,
        proof: &str,
        htm: &str,
        htu: &str,
        access_token: Option<&str>,
        now: UnixTime,
    ) -> Result<DpopProof, OAuthError> {
        let check = ProofCheck {
            htm,
            htu,
            now: now.as_secs(),
            max_age: self.settings.max_age_secs,
            leeway: self.settings.leeway_secs,
            access_token,
            nonce: None,
            algorithms: ALGORITHMS,
            keys: Some(&self.keys),
        };
        let verified = verify_proof(proof, &check).map_err(invalid)?;
        let stale_nonce = match &self.nonces {
            None => false,
            Some(nonces) => match verified.nonce.as_deref().map(|n| nonces.age(n, now)) {
                Some(NonceAge::Current) => false,
                Some(NonceAge::Previous) => true,
                Some(NonceAge::Unknown) => {
                    return Err(self.use_nonce(ProofError::NonceMismatch, nonces, now));
                }
                None => return Err(self.use_nonce(ProofError::NonceMissing, nonces, now)),
            },
        };
        Ok(DpopProof {
            jkt: verified.jkt,
            jti: verified.jti,
            expires: self.held_until(verified.iat, now),
            stale_nonce,
        })
    }

    /// Until when a proof dated `iat` must be held in the single-use record: past its last
    /// accepted second. The verifier accepts it while `now <= iat + max_age + leeway`, and the
    /// record holds an entry while `expires > now`, so `expires` is one second past that.
    fn held_until(&self, iat: u64, now: UnixTime) -> u64 {
        iat.saturating_add(self.settings.max_age_secs)
            .saturating_add(self.settings.leeway_secs)
            .saturating_add(1)
            // A proof dated ahead (within the leeway) is live until its own window ends.
            .max(now.as_secs().saturating_add(1))
    }

    /// The nonce to send with a successful answer: the current one, when nonces are on and
    /// the client's was the previous window's (RFC 9449 §8.2).
    pub fn nonce_for(&self, proof: &DpopProof, now: UnixTime) -> Option<String> {
        let nonces = self.nonces.as_ref()?;
        proof.stale_nonce.then(|| nonces.current(now))
    }

    fn use_nonce(&self, why: ProofError, nonces: &Nonces, now: UnixTime) -> OAuthError {
        OAuthError::UseDpopNonce {
            nonce: nonces.current(now),
            description: Cow::Owned(why.to_string()),
        }
    }
}

/// Spends a proof's `jti` (RFC 9449 §11.1) in the record every instance shares, counted to
/// `client` (the client asking for a token, or the one a presented token was issued to): a
/// proof is good for one request. A full record, or a client holding its whole share of it,
/// refuses (503) rather than forgets.
pub async fn spend(
    single_use: &dyn SingleUse,
    client: &str,
    proof: &DpopProof,
    now: UnixTime,
) -> Result<(), OAuthError> {
    // Keyed by client too, as assertions are: one client cannot spend another's `jti` (client
    // ids have no spaces).
    let id = format!("{client} {}", proof.jti);
    let offered = single_use
        .first_use(JTI_NAMESPACE, client, &id, proof.expires, now.as_secs())
        .await?;
    match offered {
        FirstUse::Recorded => Ok(()),
        FirstUse::Replayed => Err(OAuthError::InvalidDpopProof(
            "the DPoP proof was used before: make a new proof (new jti) per request".into(),
        )),
        FirstUse::Full | FirstUse::ShareFull => Err(OAuthError::TemporarilyUnavailable {
            retry_after_secs: 1,
        }),
    }
}

/// A refused proof as the token endpoint answers it (`invalid_dpop_proof`, RFC 9449 §5).
pub fn invalid(e: ProofError) -> OAuthError {
    OAuthError::InvalidDpopProof(Cow::Owned(e.to_string()))
}
