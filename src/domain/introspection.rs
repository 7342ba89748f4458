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
//! A token is active when it is live by the one authorization step ([`Access::live`]): signed
//! by a key still in the key set, this issuer, within `nbf..exp`, not revoked, its client (the
//! same registration) and its user still there and enabled: the test every bearer route uses.

use serde::Serialize;

use super::{Access, AccessClaims, Client, OAuthError, UnixTime};

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
            token_type: Some(super::grant::token_type(claims.cnf.as_ref())),
            claims: Some(claims),
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
    access: &Access<'_>,
    caller: &Client,
    token: &str,
    now: UnixTime,
) -> Result<Introspection, OAuthError> {
    match access.live(token, None, now) {
        Ok(claims) if may_introspect(caller, &claims) => Ok(Introspection::active(claims)),
        Ok(_) | Err(OAuthError::InvalidToken(_)) => Ok(Introspection::INACTIVE),
        Err(other) => Err(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::revocation::tests::{Fixture, T0, client, fixture, token};
    use crate::domain::users::Directory;
    use crate::domain::{Audience, ClientId, ClientRegistry, GrantType, NewClient, ScopeSet};
    use crate::storage::UserStore;

    struct World {
        f: Fixture,
        registry: ClientRegistry,
        directory: Directory,
    }

    impl World {
        async fn with(ids: &[&str]) -> Self {
            let f = fixture().await;
            let registry = ClientRegistry::new(std::sync::Arc::new(f.store.clone()));
            for id in ids {
                let new = NewClient {
                    id: ClientId::parse(id).unwrap(),
                    audiences: vec![Audience::parse("https://api.test").unwrap()],
                    scopes: ScopeSet::default(),
                    grants: vec![GrantType::ClientCredentials],
                    token_ttl: 60,
                    alg: Default::default(),
                    auth_method: Default::default(),
                    dpop_bound: false,
                };
                registry.register(new, T0).await.unwrap();
            }
            let directory = Directory::new(std::sync::Arc::new(UserStore::open(&f.store).unwrap()));
            Self {
                f,
                registry,
                directory,
            }
        }

        fn access(&self) -> Access<'_> {
            Access {
                issuer: &self.f.issuer,
                revocations: &self.f.revocations,
                registry: &self.registry,
                directory: &self.directory,
            }
        }

        /// The client as registered (with its registration tag).
        fn registered(&self, id: &str) -> Client {
            self.registry
                .get(&ClientId::parse(id).unwrap())
                .unwrap()
                .unwrap()
        }

        fn ask(&self, caller: &Client, token: &str, now: UnixTime) -> Introspection {
            introspect(&self.access(), caller, token, now).unwrap()
        }
    }

    #[tokio::test]
    async fn a_live_token_is_active_until_its_exp_and_inactive_from_then_on() {
        let w = World::with(&["svc"]).await;
        let svc = w.registered("svc");
        let t = token(&w.f, &svc, T0, 60);
        let live = w.ask(&svc, &t, T0.plus(59));
        assert!(live.is_active());
        assert_eq!(live.claims().map(|c| c.exp), Some(T0.plus(60).as_secs()));
        assert_eq!(w.ask(&svc, &t, T0.plus(60)), Introspection::INACTIVE);
    }

    #[tokio::test]
    async fn only_the_owner_and_an_introspector_see_the_claims() {
        let w = World::with(&["owner"]).await;
        let owner = w.registered("owner");
        let t = token(&w.f, &owner, T0, 60);
        assert!(w.ask(&owner, &t, T0).is_active());
        assert!(w.ask(&client("rs", INTROSPECT_SCOPE), &t, T0).is_active());
        assert!(
            !w.ask(&client("bystander", "read write"), &t, T0)
                .is_active()
        );
    }

    #[tokio::test]
    async fn a_revoked_token_or_one_whose_client_is_disabled_gone_or_registered_again_is_inactive()
    {
        let w = World::with(&["a", "b", "again"]).await;
        let rs = client("rs", INTROSPECT_SCOPE);
        let (a, b, again) = (w.registered("a"), w.registered("b"), w.registered("again"));
        let ta = token(&w.f, &a, T0, 60);
        let tb = token(&w.f, &b, T0, 60);
        let tgone = token(&w.f, &client("gone", ""), T0, 60);
        let tagain = token(&w.f, &again, T0, 60);
        w.f.revocations
            .revoke(&w.f.issuer, &a, &ta, T0)
            .await
            .unwrap();
        w.registry.set_disabled(&b.id, true).await.unwrap();
        w.registry.remove(&again.id).await.unwrap();
        let new = NewClient {
            id: again.id.clone(),
            audiences: again.audiences.clone(),
            scopes: ScopeSet::default(),
            grants: vec![GrantType::ClientCredentials],
            token_ttl: 60,
            alg: Default::default(),
            auth_method: Default::default(),
            dpop_bound: false,
        };
        // Registered again in the same second: the old registration's token stays dead.
        w.registry.register(new, T0).await.unwrap();
        for t in [&ta, &tb, &tgone, &tagain] {
            assert_eq!(w.ask(&rs, t, T0), Introspection::INACTIVE);
        }
        let fresh = token(&w.f, &w.registered("again"), T0, 60);
        assert!(w.ask(&rs, &fresh, T0).is_active());
    }

    #[test]
    fn an_inactive_answer_says_nothing_but_active_false() {
        let json = serde_json::to_string(&Introspection::INACTIVE).unwrap();
        assert_eq!(json, r#"{"active":false}"#);
    }
}
