//! Access tokens (RFC 9068): the claims, minting them with the active key, verifying our own.

use std::sync::Arc;

use jsonwebtoken::Validation;
use serde::Serialize;

use super::keys::{Algorithms, KeyManager, SignerPool, SigningAlg};
use super::token_budget::MAX_TOKEN_BYTES;
use super::{Audience, Client, OAuthError, UnixTime};

/// The claims of an RFC 9068 access token: the wire type shared with the service library.
pub use tokendealer_client::wire::{AccessTokenClaims as AccessClaims, Confirmation, WfcClaim};

/// Claims for `sub`, valid from `now` for `ttl` seconds, with a fresh 128-bit `jti`.
pub fn new_claims(
    iss: &str,
    sub: &str,
    client_id: &str,
    aud: &Audience,
    now: UnixTime,
    ttl: u64,
) -> AccessClaims {
    AccessClaims {
        iss: iss.to_owned(),
        sub: sub.to_owned(),
        aud: aud.as_str().to_owned(),
        exp: now.plus(ttl).as_secs(),
        iat: now.as_secs(),
        nbf: now.as_secs(),
        jti: hex::encode(rand::random::<[u8; 16]>()),
        client_id: client_id.to_owned(),
        scope: None,
        roles: None,
        wfc: None,
        email: None,
        reg: None,
        uid: None,
        cnf: None,
    }
}

/// `token`, unless it is longer than [`MAX_TOKEN_BYTES`]: such a token could not be presented,
/// introspected or revoked, so it is refused instead of issued.
fn presentable(token: String) -> Result<String, OAuthError> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(OAuthError::InvalidRequest(
            format!(
                "the token would be longer than {MAX_TOKEN_BYTES} bytes, too long to present \
                 back: its claims (scopes, roles) must be fewer"
            )
            .into(),
        ));
    }
    Ok(token)
}

/// The refusal of a token in `alg`, which this dealer does not sign with.
fn not_signed(alg: SigningAlg, algorithms: Algorithms) -> OAuthError {
    OAuthError::UnauthorizedClient(
        format!(
            "this client is registered for {alg} tokens, and this dealer no longer signs with \
             {alg} (it signs with {}): an administrator must register the client again with \
             one of those",
            algorithms.listed()
        )
        .into(),
    )
}

/// Mints and checks this dealer's own access tokens.
#[derive(Clone)]
pub struct TokenIssuer {
    issuer: Arc<str>,
    keys: Arc<KeyManager>,
    signer: Arc<SignerPool>,
}

impl TokenIssuer {
    pub fn new(issuer: &str, keys: Arc<KeyManager>) -> Self {
        Self {
            issuer: issuer.into(),
            keys,
            signer: Arc::new(SignerPool::inline()),
        }
    }

    /// Runs [`TokenIssuer::sign_with`]'s signatures on `signer` instead of inline.
    pub fn with_signer(mut self, signer: SignerPool) -> Self {
        self.signer = Arc::new(signer);
        self
    }

    /// Refuses a client registered for an algorithm outside `[keys] algorithms` (taken out
    /// since it registered): there is no key to sign its tokens with. The operator's doing, not
    /// the client's: the token endpoint reports it ([`super::events::Events::alg_withdrawn`]).
    pub fn ensure_signs_for(&self, client: &Client) -> Result<(), OAuthError> {
        let algorithms = self.keys.policy().algorithms;
        if algorithms.contains(client.alg) {
            return Ok(());
        }
        Err(not_signed(client.alg, algorithms))
    }

    /// The `iss` of every token: the dealer's public base URL.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    pub fn keys(&self) -> &Arc<KeyManager> {
        &self.keys
    }

    /// RSA signatures admitted and not yet done (waiting or running), and the most admitted at
    /// once before a token request is refused with 503.
    pub fn signing_queue(&self) -> (usize, usize) {
        (self.signer.depth(), self.signer.bound())
    }

    /// Signs `claims` with the key that signs `alg` at their `iat`: the hot path. A token
    /// longer than [`MAX_TOKEN_BYTES`] is refused rather than issued. RSA
    /// signatures run on the signing pool, the cheap ones inline (see [`SigningAlg::offload`]).
    pub async fn sign_with(
        &self,
        alg: SigningAlg,
        claims: AccessClaims,
    ) -> Result<String, OAuthError> {
        let now = UnixTime::from_secs(claims.iat);
        let key = self
            .keys
            .ring()
            .signer_for(alg, now)
            .cloned()
            .ok_or_else(|| not_signed(alg, self.keys.policy().algorithms))?;
        let token = if alg.offload() {
            // Boxed, the claims cross the pool's layers as a pointer instead of being copied
            // into each layer's future.
            let claims = Box::new(claims);
            self.signer
                .run(move || key.sign_access_token(&claims))
                .await??
        } else {
            key.sign_access_token(&claims)?
        };
        presentable(token)
    }

    /// Signs a token in tokenleader's layout with the RS512 key that signs at `now`, on the
    /// signing pool like every other RSA signature.
    pub async fn sign_tokenleader<C: Serialize + Send + 'static>(
        &self,
        claims: C,
        now: UnixTime,
    ) -> Result<String, OAuthError> {
        let key = self.keys.ring().rs512_signer(now).clone();
        presentable(
            self.signer
                .run(move || key.sign_tokenleader_token(&claims))
                .await??,
        )
    }

    /// Checks a token this dealer issued: signature by a live key, `typ`, `iss`, `aud`, and
    /// `nbf <= now < exp` (no leeway: the clock that issued it is the one checking it).
    pub fn verify(
        &self,
        token: &str,
        audience: Option<&str>,
        now: UnixTime,
    ) -> Result<AccessClaims, OAuthError> {
        self.check(token, audience, Some(&self.issuer), now)
    }

    /// [`TokenIssuer::verify`] without the `iss` check: a live token signed by a key of this
    /// key set, whichever instance sharing the keys minted it and whatever issuer it names.
    /// For revocation only: the denylist is shared, and an instance configured with another
    /// issuer must still be able to take back a token the others accept.
    pub fn verify_any_issuer(
        &self,
        token: &str,
        now: UnixTime,
    ) -> Result<AccessClaims, OAuthError> {
        self.check(token, None, None, now)
    }

    fn check(
        &self,
        token: &str,
        audience: Option<&str>,
        issuer: Option<&str>,
        now: UnixTime,
    ) -> Result<AccessClaims, OAuthError> {
        let invalid = OAuthError::InvalidToken;
        let header =
            jsonwebtoken::decode_header(token).map_err(|_| invalid("the token is malformed"))?;
        // RFC 7515 §4.1.11: this dealer understands no critical extension.
        if header.crit.is_some() {
            return Err(invalid(
                "the token lists critical extensions this dealer does not understand",
            ));
        }
        if SigningAlg::from_jwt(header.alg).is_none()
            || !header
                .typ
                .as_deref()
                .is_some_and(|t| t.eq_ignore_ascii_case("at+jwt"))
        {
            return Err(invalid("the token is not an access token of this dealer"));
        }
        let kid = header.kid.ok_or(invalid("the token names no key"))?;
        let ring = self.keys.ring();
        let key = ring
            .find(&kid)
            .ok_or(invalid("the token was not signed by a current key"))?;
        // The key decides the algorithm, never the header alone: an RSA key verifies only RS512.
        if key.alg() != header.alg {
            return Err(invalid("the token's algorithm does not match its key"));
        }
        let mut validation = Validation::new(key.alg());
        validation.validate_exp = false;
        validation.validate_nbf = false;
        if let Some(issuer) = issuer {
            validation.set_issuer(&[issuer]);
        }
        validation.set_required_spec_claims(&["exp", "iss", "sub", "aud"]);
        match audience {
            Some(aud) => validation.set_audience(&[aud]),
            None => validation.validate_aud = false,
        }
        let data = jsonwebtoken::decode::<AccessClaims>(token, key.decoding_key(), &validation)
            .map_err(|_| invalid("the token is invalid"))?;
        let claims = data.claims;
        if now.as_secs() >= claims.exp {
            return Err(invalid("the token has expired"));
        }
        if now.as_secs() < claims.nbf {
            return Err(invalid("the token is not valid yet"));
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_longer_than_the_bound_is_refused_not_issued() {
        assert!(presentable("a".repeat(MAX_TOKEN_BYTES)).is_ok());
        assert!(matches!(
            presentable("a".repeat(MAX_TOKEN_BYTES + 1)),
            Err(OAuthError::InvalidRequest(_))
        ));
    }
}
