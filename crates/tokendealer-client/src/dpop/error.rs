//! Why a DPoP proof was refused: each rule of RFC 9449 §4.3 its own variant, each with the
//! `error_description` a server sends and the `error` code (§5, §7.1, §8) it sends with it.

/// Why a DPoP proof was not accepted. `Display` is the `error_description` to send: it names
/// the rule, never the proof's content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProofError {
    /// Longer than [`super::MAX_PROOF_BYTES`]: refused before parsing.
    #[error("the DPoP proof is too large")]
    TooLarge,
    /// Not a compact JWS with a JSON header and claims.
    #[error("the DPoP proof is not a well-formed JWT")]
    Malformed,
    /// The header's `typ` is not `dpop+jwt` (RFC 9449 §4.2).
    #[error("the DPoP proof's typ is not dpop+jwt")]
    WrongType,
    /// The header has a `crit` member: it names extensions this verifier does not understand
    /// (RFC 7515 §4.1.11).
    #[error("the DPoP proof's header has crit extensions this server does not understand")]
    Critical,
    /// The header's `alg` is `none`, symmetric, or not among the allowed ones.
    #[error("the DPoP proof's alg is not an allowed asymmetric algorithm")]
    Algorithm,
    /// No `jwk` header.
    #[error("the DPoP proof has no jwk header")]
    MissingKey,
    /// The `jwk` header holds private key members (`d`, `p`, `k`, …).
    #[error("the DPoP proof's jwk contains a private key")]
    PrivateKey,
    /// The `jwk` is not a key of the kind `alg` names (an RSA key for ES256, P-384 for ES256…).
    #[error("the DPoP proof's jwk does not fit its alg")]
    KeyMismatch,
    /// The signature does not verify with the `jwk`.
    #[error("the DPoP proof's signature does not verify with its jwk")]
    Signature,
    /// `jti`, `htm`, `htu` or `iat` missing or of the wrong type (`iat` must be a NumericDate).
    #[error("the DPoP proof lacks jti, htm, htu or iat, or iat is not a number")]
    Claims,
    /// `jti` longer than [`super::MAX_JTI_BYTES`], or empty.
    #[error("the DPoP proof's jti is empty or too long")]
    Jti,
    /// `htm` is not the request's method.
    #[error("the DPoP proof's htm does not match the request method")]
    Method,
    /// `htu` is not the request's URL (compared without query and fragment, normalized).
    #[error("the DPoP proof's htu does not match the request URL")]
    Url,
    /// `iat` later than now plus the leeway.
    #[error("the DPoP proof's iat is in the future")]
    Future,
    /// `iat` earlier than now minus the maximum age and the leeway.
    #[error("the DPoP proof is too old")]
    Stale,
    /// An access token was presented and `ath` is missing or is not its hash.
    #[error("the DPoP proof's ath does not match the access token")]
    AccessTokenHash,
    /// A nonce is expected and the proof carries none.
    #[error("a DPoP nonce is required")]
    NonceMissing,
    /// A nonce is expected and the proof carries another (or an expired) one.
    #[error("the DPoP nonce is wrong or expired")]
    NonceMismatch,
}

impl ProofError {
    /// The `error` code to answer with: `use_dpop_nonce` when the client should retry with the
    /// nonce the server sends (RFC 9449 §8), `invalid_dpop_proof` otherwise (§5, §7.1).
    pub fn code(&self) -> &'static str {
        match self {
            Self::NonceMissing | Self::NonceMismatch => "use_dpop_nonce",
            _ => "invalid_dpop_proof",
        }
    }
}
