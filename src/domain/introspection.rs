//! Token introspection (RFC 7662): who may learn what about a token, and the answer.
//!
//! Policy: an authenticated client sees the claims of a token if the token was issued to it
//! (`client_id` is the caller: it holds the token already), or if the client is registered with
//! the scope [`INTROSPECT_SCOPE`] (the resource servers that introspect tokens issued to others).
//! Every other caller gets `{"active":false}`, exactly as for a dead token, so introspection
//! cannot be used to scan for live tokens (RFC 7662 §4). Not "the token's audience is among the
//! caller's audiences": a client's audiences are the services it may call, not the one it is, so
//! that rule would let every caller of a service read every other caller's tokens for it.
//!
//! A token is active when it is signed by a current key of this dealer, names this issuer, is
//! within `nbf..exp`, is not revoked, and its client still exists and is enabled (the same test
//! the admin API applies to its callers).

use serde::Serialize;

use super::{AccessClaims, Client, ClientRegistry, OAuthError, Revocations, TokenIssuer, UnixTime};

/// The registered scope that lets a client introspect tokens issued to other clients.
pub const INTROSPECT_SCOPE: &str = "tokendealer:introspect";

/// An introspection response: `{"active":false}`, or `active:true` with the token's claims.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Introspection {
    active: bool,
    #[serde(flatten)]
    claims: Option<AccessClaims>,
    #[serde(skip_serializing_if = "Option::is_none")]
    token_type: Option<&'static str>,
}

impl Introspection {
    pub const INACTIVE: Self = Self {
        active: false,
        claims: None,
        token_type: None,
    };

    fn active(claims: AccessClaims) -> Self {
        Self {
            active: true,
            claims: Some(claims),
            token_type: Some("Bearer"),
        }
    }

    pub fn is_active(&self) -> bool {
        self.active
    }

    pub fn claims(&self) -> Option<&AccessClaims> {
        self.claims.as_ref()
    }
}

/// Whether `caller` may see what `claims` say.
pub fn may_introspect(caller: &Client, claims: &AccessClaims) -> bool {
    claims.client_id == caller.id.as_str() || caller.scopes.contains(INTROSPECT_SCOPE)
}

/// Answers `caller`'s question about `token` at `now`. Only storage failures are errors; every
/// reason a token is not active collapses into [`Introspection::INACTIVE`].
pub fn introspect(
    issuer: &TokenIssuer,
    revocations: &Revocations,
    registry: &ClientRegistry,
    caller: &Client,
    token: &str,
    now: UnixTime,
) -> Result<Introspection, OAuthError> {
    let claims = match revocations.verify(issuer, token, None, now) {
        Ok(claims) => claims,
        Err(OAuthError::InvalidToken(_)) => return Ok(Introspection::INACTIVE),
        Err(other) => return Err(other),
    };
    if !may_introspect(caller, &claims) {
        return Ok(Introspection::INACTIVE);
    }
    match registry.find(&claims.client_id)? {
        Some(owner) if !owner.disabled => Ok(Introspection::active(claims)),
        _ => Ok(Introspection::INACTIVE),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::revocation::tests::{T0, client, fixture, token};
    use crate::domain::{Audience, ClientId, GrantType, NewClient, ScopeSet};

    async fn registry_with(
        f: &crate::domain::revocation::tests::Fixture,
        ids: &[&str],
    ) -> ClientRegistry {
        let registry = ClientRegistry::new(f.store.clone());
        for id in ids {
            let new = NewClient {
                id: ClientId::parse(id).unwrap(),
                audiences: vec![Audience::parse("https://api.test").unwrap()],
                scopes: ScopeSet::default(),
                grants: vec![GrantType::ClientCredentials],
                token_ttl: 60,
                alg: Default::default(),
            };
            registry.register(new, T0).await.unwrap();
        }
        registry
    }

    #[tokio::test]
    async fn a_live_token_is_active_until_its_exp_and_inactive_from_then_on() {
        let f = fixture().await;
        let registry = registry_with(&f, &["svc"]).await;
        let svc = client("svc", "");
        let t = token(&f, &svc, T0, 60);
        let at = |now| introspect(&f.issuer, &f.revocations, &registry, &svc, &t, now).unwrap();
        let live = at(T0.plus(59));
        assert!(live.is_active());
        assert_eq!(live.claims().map(|c| c.exp), Some(T0.plus(60).as_secs()));
        assert_eq!(at(T0.plus(60)), Introspection::INACTIVE);
    }

    #[tokio::test]
    async fn only_the_owner_and_an_introspector_see_the_claims() {
        let f = fixture().await;
        let registry = registry_with(&f, &["owner"]).await;
        let owner = client("owner", "");
        let t = token(&f, &owner, T0, 60);
        let ask = |caller: &Client| {
            introspect(&f.issuer, &f.revocations, &registry, caller, &t, T0)
                .unwrap()
                .is_active()
        };
        assert!(ask(&owner));
        assert!(ask(&client("rs", INTROSPECT_SCOPE)));
        assert!(!ask(&client("bystander", "read write")));
    }

    #[tokio::test]
    async fn a_revoked_token_or_one_whose_client_is_disabled_or_gone_is_inactive() {
        let f = fixture().await;
        let registry = registry_with(&f, &["a", "b"]).await;
        let rs = client("rs", INTROSPECT_SCOPE);
        let (a, b, gone) = (client("a", ""), client("b", ""), client("gone", ""));
        let ta = token(&f, &a, T0, 60);
        let tb = token(&f, &b, T0, 60);
        let tgone = token(&f, &gone, T0, 60);
        f.revocations.revoke(&f.issuer, &a, &ta, T0).await.unwrap();
        registry
            .set_disabled(&ClientId::parse("b").unwrap(), true)
            .await
            .unwrap();
        for t in [&ta, &tb, &tgone] {
            let answer = introspect(&f.issuer, &f.revocations, &registry, &rs, t, T0).unwrap();
            assert_eq!(answer, Introspection::INACTIVE);
        }
    }

    #[test]
    fn an_inactive_answer_says_nothing_but_active_false() {
        let json = serde_json::to_string(&Introspection::INACTIVE).unwrap();
        assert_eq!(json, r#"{"active":false}"#);
    }
}
