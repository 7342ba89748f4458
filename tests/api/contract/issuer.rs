//! The issuer as configured, trailing slash included, everywhere it appears.

use serde_json::Value;
use tokendealer::client::Verifier;

use super::API;
use crate::helpers::{claims_of, spawn_with};

#[tokio::test]
async fn an_issuer_with_a_trailing_slash_is_kept_exactly_as_configured() {
    for issuer in [
        "https://auth.example.com/",
        "https://auth.example.com/tenant/",
    ] {
        let app = spawn_with(|s| s.issuer = Some(issuer.to_owned())).await;
        let doc = app.metadata().await;
        assert_eq!(doc["issuer"], issuer);
        for endpoint in [
            "token_endpoint",
            "jwks_uri",
            "introspection_endpoint",
            "revocation_endpoint",
        ] {
            let url = doc[endpoint].as_str().unwrap();
            assert!(url.starts_with(issuer), "{endpoint}: {url}");
            assert!(!url["https://".len()..].contains("//"), "{endpoint}: {url}");
        }
        let bootstrap: Value = serde_json::from_slice(
            &std::fs::read(app.data_dir.path().join("admin-credentials.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(bootstrap["token_endpoint"], format!("{issuer}oauth/token"));

        let svc = app.register("svc", &[API], &[]).await;
        let token = app.access_token(&svc, &[]).await;
        assert_eq!(claims_of(&token)["iss"], issuer);
        assert_eq!(app.introspect(&svc, &token).await["iss"], issuer);
        // A verifier configured with the issuer as typed accepts the token.
        let verifier = Verifier::builder(app.url("/.well-known/jwks.json"), issuer, API)
            .build()
            .unwrap();
        assert_eq!(
            verifier.verify(&token).await.unwrap().iss.as_deref(),
            Some(issuer)
        );
    }
}
