//! The revocation list's tests, and the fixture other domain tests share: a dealer's domain on
//! temporary storage.

use std::sync::Arc;

use super::*;
use crate::domain::keys::KeyManager;
use crate::domain::{Audience, ClientId, GrantType, ScopeSet, SecretDigest, new_claims};
use crate::storage::{KeyFiles, Store};

/// A dealer's domain on temporary storage, with its clock at `T0`.
pub(crate) struct Fixture {
    pub _dir: tempfile::TempDir,
    pub store: Store,
    pub issuer: TokenIssuer,
    pub revocations: Revocations,
}

pub(crate) const T0: UnixTime = UnixTime::from_secs(1_800_000_000);

pub(crate) async fn fixture() -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let files = KeyFiles::open(&dir.path().join("keys")).unwrap();
    let keys = KeyManager::load(Arc::new(store.clone()), Arc::new(files), 86_400, T0)
        .await
        .unwrap();
    Fixture {
        issuer: TokenIssuer::new("https://dealer.test", Arc::new(keys)),
        revocations: Revocations::new(Arc::new(store.denylist().unwrap()), 3),
        store,
        _dir: dir,
    }
}

pub(crate) fn client(id: &str, scopes: &str) -> Client {
    Client {
        registration: 0,
        dpop_bound: false,
        id: ClientId::parse(id).unwrap(),
        secret: SecretDigest::of("secret"),
        previous_secret: None,
        audiences: vec![Audience::parse("https://api.test").unwrap()],
        scopes: ScopeSet::parse(scopes).unwrap(),
        grants: vec![GrantType::ClientCredentials],
        token_ttl: 60,
        disabled: false,
        created_at: T0,
        alg: Default::default(),
        auth_method: Default::default(),
    }
}

/// A token for `client`, issued at `at`, living `ttl` seconds.
pub(crate) fn token(f: &Fixture, client: &Client, at: UnixTime, ttl: u64) -> String {
    let aud = Audience::parse("https://api.test").unwrap();
    let claims = new_claims(
        f.issuer.issuer(),
        client.id.as_str(),
        client.id.as_str(),
        &aud,
        at,
        ttl,
    );
    let claims = AccessClaims {
        reg: client.registration_tag(),
        ..claims
    };
    let ring = f.issuer.keys().ring();
    ring.active().sign_access_token(&claims).unwrap()
}

#[tokio::test]
async fn a_client_revokes_its_own_token_and_verification_then_refuses_it() {
    let f = fixture().await;
    let svc = client("svc", "");
    let t = token(&f, &svc, T0, 60);
    assert!(f.revocations.verify(&f.issuer, &t, None, T0).is_ok());
    let outcome = f.revocations.revoke(&f.issuer, &svc, &t, T0).await.unwrap();
    assert_eq!(outcome, Revocation::Revoked);
    let err = f.revocations.verify(&f.issuer, &t, None, T0).unwrap_err();
    assert_eq!(err.code(), "invalid_token");
    // Revoking again is harmless and writes nothing new.
    let again = f.revocations.revoke(&f.issuer, &svc, &t, T0).await.unwrap();
    assert_eq!((again, f.revocations.len()), (Revocation::Revoked, 1));
}

#[tokio::test]
async fn a_sibling_with_another_issuer_on_the_same_keys_revokes_the_token_for_both() {
    let f = fixture().await;
    let svc = client("svc", "");
    let t = token(&f, &svc, T0, 60);
    let sibling = TokenIssuer::new("http://127.0.0.1:5002", f.issuer.keys().clone());
    assert!(
        sibling.verify(&t, None, T0).is_err(),
        "not the sibling's issuer"
    );
    let outcome = f.revocations.revoke(&sibling, &svc, &t, T0).await.unwrap();
    assert_eq!(outcome, Revocation::Revoked);
    let err = f.revocations.verify(&f.issuer, &t, None, T0).unwrap_err();
    assert_eq!(err.code(), "invalid_token");
}

#[tokio::test]
async fn a_token_of_another_client_is_left_alone() {
    let f = fixture().await;
    let (owner, other) = (client("owner", ""), client("other", ""));
    let t = token(&f, &owner, T0, 60);
    let outcome = f
        .revocations
        .revoke(&f.issuer, &other, &t, T0)
        .await
        .unwrap();
    assert_eq!(outcome, Revocation::NotTheCallers);
    assert!(f.revocations.verify(&f.issuer, &t, None, T0).is_ok());
    assert!(f.revocations.is_empty());
}

#[tokio::test]
async fn malformed_and_expired_tokens_revoke_nothing() {
    let f = fixture().await;
    let svc = client("svc", "");
    let expired = token(&f, &svc, T0, 60);
    for t in ["", "not-a-jwt", "a.b.c", expired.as_str()] {
        let outcome = f
            .revocations
            .revoke(&f.issuer, &svc, t, T0.plus(60))
            .await
            .unwrap();
        assert_eq!(outcome, Revocation::NotALiveToken, "token {t:?}");
    }
    assert!(f.revocations.is_empty());
}

#[tokio::test]
async fn the_sweep_collects_entries_whose_token_has_expired_and_keeps_the_rest() {
    let f = fixture().await;
    let svc = client("svc", "");
    let short = token(&f, &svc, T0, 60);
    let long = token(&f, &svc, T0, 600);
    for t in [&short, &long] {
        f.revocations.revoke(&f.issuer, &svc, t, T0).await.unwrap();
    }
    assert_eq!(f.revocations.sweep(T0.plus(59)).await.unwrap(), 0);
    assert_eq!(f.revocations.sweep(T0.plus(60)).await.unwrap(), 1);
    assert_eq!(f.revocations.len(), 1);
    let err = f.revocations.verify(&f.issuer, &long, None, T0.plus(60));
    assert!(err.is_err(), "the long-lived token must stay revoked");
    assert_eq!(f.revocations.sweep(T0.plus(600)).await.unwrap(), 1);
    assert!(f.revocations.is_empty());
}

#[tokio::test]
async fn a_client_with_its_full_share_listed_is_refused_until_its_entries_expire() {
    // The fixture allows 3 entries per client.
    let f = fixture().await;
    let (svc, other) = (client("svc", ""), client("other", ""));
    let listed: Vec<_> = (0..3).map(|_| token(&f, &svc, T0, 60)).collect();
    for t in &listed {
        let outcome = f.revocations.revoke(&f.issuer, &svc, t, T0).await.unwrap();
        assert_eq!(outcome, Revocation::Revoked);
    }
    let fourth = token(&f, &svc, T0, 600);
    let err = f.revocations.revoke(&f.issuer, &svc, &fourth, T0).await;
    assert!(matches!(
        err,
        Err(OAuthError::RevocationsFull {
            limit: 3,
            retry_after_secs: 60
        })
    ));
    assert!(f.revocations.verify(&f.issuer, &fourth, None, T0).is_ok());
    // A token already listed is still answered as revoked; another client has its own share.
    let again = f.revocations.revoke(&f.issuer, &svc, &listed[0], T0).await;
    assert_eq!(again.unwrap(), Revocation::Revoked);
    let theirs = token(&f, &other, T0, 60);
    let outcome = f.revocations.revoke(&f.issuer, &other, &theirs, T0).await;
    assert_eq!(outcome.unwrap(), Revocation::Revoked);
    // Once the listed tokens expire and are swept, the share is free again.
    assert_eq!(f.revocations.sweep(T0.plus(60)).await.unwrap(), 4);
    let outcome = f
        .revocations
        .revoke(&f.issuer, &svc, &fourth, T0.plus(60))
        .await;
    assert_eq!(outcome.unwrap(), Revocation::Revoked);
}

#[tokio::test]
async fn the_share_is_counted_again_from_the_store_when_it_is_reopened() {
    let f = fixture().await;
    let svc = client("svc", "");
    for _ in 0..3 {
        let t = token(&f, &svc, T0, 60);
        f.revocations.revoke(&f.issuer, &svc, &t, T0).await.unwrap();
    }
    let reopened = Revocations::new(Arc::new(f.store.denylist().unwrap()), 3);
    let fourth = token(&f, &svc, T0, 60);
    let err = reopened.revoke(&f.issuer, &svc, &fourth, T0).await;
    assert!(matches!(err, Err(OAuthError::RevocationsFull { .. })));
}

/// `cargo test --release --lib -- --ignored --nocapture what_the_denylist_check_costs`
#[tokio::test]
#[ignore = "a measurement; run it in release"]
async fn what_the_denylist_check_costs_next_to_verifying_the_signature() {
    let f = fixture().await;
    let denylist = f.store.denylist().unwrap();
    let entries = 100_000u64;
    for i in 0..entries {
        let record = RevokedToken {
            jti: format!("{i:032x}"),
            client_id: "svc".into(),
            reg: None,
            exp: T0.plus(3600).as_secs(),
            revoked_at: T0.as_secs(),
        };
        denylist.insert_unflushed(&record).unwrap();
    }
    let t = token(&f, &client("svc", ""), T0, 60);
    let hit = format!("{:032x}", entries / 2);
    let n = 20_000u32;
    let time = |label: &str, run: &dyn Fn()| {
        let start = std::time::Instant::now();
        for _ in 0..n {
            run();
        }
        println!("{label}: {:?} per call", start.elapsed() / n);
    };
    println!("{entries} entries on the denylist, {n} calls each");
    time("TokenIssuer::verify (signature and claims)", &|| {
        f.issuer.verify(&t, None, T0).unwrap();
    });
    time("Revocations::verify (the same + denylist)", &|| {
        f.revocations.verify(&f.issuer, &t, None, T0).unwrap();
    });
    time("Denylist::contains, a miss", &|| {
        assert!(
            !denylist
                .contains("ffffffffffffffffffffffffffffffff")
                .unwrap()
        );
    });
    time("Denylist::contains, a hit", &|| {
        assert!(denylist.contains(&hit).unwrap());
    });
    let start = std::time::Instant::now();
    let swept = f.revocations.sweep(T0.plus(3600)).await.unwrap();
    println!("sweep of {swept} expired entries: {:?}", start.elapsed());
}
