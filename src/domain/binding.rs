//! Sender-constrained tokens at the dealer's own protected endpoints (the admin API, the
//! catalog): a token bound to a DPoP key (`cnf.jkt`) comes with the `DPoP` scheme and one valid
//! proof of that key for this request, spent once (RFC 9449 §7.1); a token bound to a client
//! certificate (`cnf.x5t#S256`) comes over a connection presenting it (RFC 8705 §3); both when
//! both. An unbound token comes as a bearer token, as always.

use super::dpop::{self, Dpop};
use super::ports::SingleUse;
use super::{AccessClaims, OAuthError, UnixTime};

/// The authorization scheme a token came with (RFC 6750 §2.1, RFC 9449 §7.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// `Authorization: Bearer`, or tokenleader's `X-Auth-Token`.
    Bearer,
    /// `Authorization: DPoP`.
    Dpop,
}

/// What the edge read of a request for the binding checks.
#[derive(Debug, Clone, Copy)]
pub struct Presented<'a> {
    pub scheme: Scheme,
    /// The access token as sent: a proof's `ath` is its hash.
    pub token: &'a str,
    /// The request's one `DPoP` header, if it has one.
    pub proof: Option<&'a str>,
    /// The request's method.
    pub htm: &'a str,
    /// The request's public URL: the issuer's, as the token endpoint's proofs name it.
    pub htu: &'a str,
    /// The `x5t#S256` of the client certificate the request came with, if any.
    pub certificate: Option<&'a str>,
}

/// The checks' parts, borrowed for one request.
pub struct Binding<'a> {
    pub dpop: &'a Dpop,
    /// Where proofs' `jti`s are spent: the record the token endpoint spends them in.
    pub single_use: &'a dyn SingleUse,
}

impl Binding<'_> {
    /// Whether the request proves what `claims`' token is bound to, at `now`. Called once the
    /// token is otherwise accepted (live, and allowed what the route requires), so a proof's
    /// `jti` is spent, last, for a request that is otherwise valid only.
    pub async fn ensure(
        &self,
        claims: &AccessClaims,
        presented: &Presented<'_>,
        now: UnixTime,
    ) -> Result<(), OAuthError> {
        let cnf = claims.cnf.as_ref();
        let x5t = cnf.and_then(|c| c.x5t_s256.as_deref());
        if x5t.is_some() && presented.certificate != x5t {
            return Err(OAuthError::InvalidToken(
                "the access token is bound to a client certificate this request did not present",
            ));
        }
        let Some(jkt) = cnf.and_then(|c| c.jkt.as_deref()) else {
            return match presented.scheme {
                Scheme::Bearer => Ok(()),
                Scheme::Dpop => Err(OAuthError::InvalidToken(
                    "the access token is not bound to a DPoP key: send it as a bearer token",
                )),
            };
        };
        if presented.scheme == Scheme::Bearer {
            return Err(OAuthError::InvalidToken(
                "the access token is DPoP-bound: send it with the DPoP scheme and a proof",
            ));
        }
        let proof = presented.proof.ok_or(OAuthError::InvalidDpopProof(
            "a DPoP proof is required".into(),
        ))?;
        let checked = self.dpop.check_with_token(
            proof,
            presented.htm,
            presented.htu,
            presented.token,
            now,
        )?;
        if checked.jkt != jkt {
            return Err(OAuthError::InvalidToken(
                "the DPoP proof's key is not the key the access token is bound to",
            ));
        }
        dpop::spend(self.single_use, &claims.client_id, &checked, now).await
    }
}
