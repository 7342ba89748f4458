//! An assertion as presented, parsed once into a typed value: bounded in size, three segments,
//! a header naming an allowed algorithm and nothing that would make the dealer fetch or trust
//! key material from the token itself, and claims of the right types.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::Algorithm;
use serde::Deserialize;
use tokendealer_client::dpop::algorithm_from_name;

/// The largest assertion read at all (an RS512 JWT with ordinary claims is under 1 KiB).
pub const MAX_ASSERTION_BYTES: usize = 8 * 1024;
/// The longest `jti`, `iss` or `sub` kept.
const MAX_CLAIM_BYTES: usize = 256;

/// The algorithms an assertion may be signed with: asymmetric only (never `none`, never HS*:
/// a public key used as an HMAC secret is the classic confusion).
pub const ALGORITHMS: [Algorithm; 9] = [
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
    Algorithm::EdDSA,
];

/// Why an assertion was not even read: all answered `invalid_client`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Malformed {
    TooLong,
    Segments,
    Encoding,
    Header,
    Algorithm,
    /// `crit`, `jwk`, `jku`, `x5u`, `x5c` or a nested JWT (`cty: JWT`).
    RefusedHeader,
    Claims,
}

/// A client assertion's header and claims, its signing input and signature, as presented.
#[derive(Debug, Clone)]
pub struct ClientAssertion {
    pub alg: Algorithm,
    pub kid: Option<String>,
    pub claims: AssertionClaims,
    /// `header.payload`: what the signature covers.
    pub(super) signing_input: String,
    /// The third segment, base64url.
    pub(super) signature: String,
}

/// The claims RFC 7523 §3 requires or reads, with their JSON types checked.
#[derive(Debug, Clone, Deserialize)]
pub struct AssertionClaims {
    pub iss: String,
    pub sub: String,
    pub aud: OneOrMany,
    pub exp: u64,
    #[serde(default)]
    pub iat: Option<u64>,
    #[serde(default)]
    pub nbf: Option<u64>,
    /// Required of a client's own assertion (single use); a trusted issuer's token may lack it.
    #[serde(default)]
    pub jti: Option<String>,
}

/// `aud`: one string or an array of strings (RFC 7519 §4.1.3).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    pub fn contains(&self, wanted: &str) -> bool {
        match self {
            Self::One(one) => one == wanted,
            Self::Many(many) => many.iter().any(|a| a == wanted),
        }
    }
}

/// The header members read; any other is ignored unless refused below.
#[derive(Deserialize)]
struct Header {
    alg: String,
    #[serde(default)]
    kid: Option<String>,
    #[serde(default)]
    cty: Option<String>,
}

/// Header members that would have the dealer trust or fetch keys named by the token itself,
/// or process extensions it does not know (RFC 7515 §4.1.11).
const REFUSED_MEMBERS: [&str; 5] = ["crit", "jwk", "jku", "x5u", "x5c"];

impl ClientAssertion {
    /// Reads `raw` without verifying it: that needs the client's keys (see `verify`).
    pub fn parse(raw: &str) -> Result<Self, Malformed> {
        if raw.len() > MAX_ASSERTION_BYTES {
            return Err(Malformed::TooLong);
        }
        let mut parts = raw.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(Malformed::Segments);
        };
        let decode = |s: &str| URL_SAFE_NO_PAD.decode(s).map_err(|_| Malformed::Encoding);
        let header_json: serde_json::Value =
            serde_json::from_slice(&decode(header)?).map_err(|_| Malformed::Header)?;
        let members = header_json.as_object().ok_or(Malformed::Header)?;
        if REFUSED_MEMBERS.iter().any(|m| members.contains_key(*m)) {
            return Err(Malformed::RefusedHeader);
        }
        let parsed: Header = serde_json::from_value(header_json).map_err(|_| Malformed::Header)?;
        if parsed
            .cty
            .as_deref()
            .is_some_and(|c| c.eq_ignore_ascii_case("JWT"))
        {
            return Err(Malformed::RefusedHeader);
        }
        // The JOSE names, and RFC 9864's "Ed25519" (openid-client signs with it), as DPoP
        // proofs are read.
        let alg = algorithm_from_name(&parsed.alg)
            .filter(|a| ALGORITHMS.contains(a))
            .ok_or(Malformed::Algorithm)?;
        let claims: AssertionClaims =
            serde_json::from_slice(&decode(payload)?).map_err(|_| Malformed::Claims)?;
        // No control characters: they have no place in an identifier, and a database text
        // column refuses NUL.
        let sane = |s: &str| {
            !s.is_empty() && s.len() <= MAX_CLAIM_BYTES && !s.chars().any(char::is_control)
        };
        if !(sane(&claims.iss) && sane(&claims.sub) && claims.jti.as_deref().is_none_or(sane)) {
            return Err(Malformed::Claims);
        }
        if signature.is_empty() || decode(signature).is_err() {
            return Err(Malformed::Encoding);
        }
        Ok(Self {
            alg,
            kid: parsed.kid,
            claims,
            signing_input: format!("{header}.{payload}"),
            signature: signature.to_owned(),
        })
    }
}
