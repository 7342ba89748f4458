//! What `trust add` refuses before anything is stored, whichever way it is called (admin API,
//! command line, console): keys the fetcher could never get under the current settings, and a
//! key set a client could not register.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::{public_jwks, trust_with};
use crate::cli::{cli, json_out};
use crate::client_assertions::key_checks::bad_keys;
use crate::console::logged_in;
use crate::helpers::{TestApp, spawn_app, spawn_with};

/// Trusts whose keys would be fetched from a literal loopback or private address, beside the
/// setting that would allow it.
fn unreachable_trusts() -> Vec<(Value, &'static str)> {
    let loopback = "jwks_allow_http_loopback";
    let private = "jwks_allow_private_addresses";
    vec![
        (json!({ "issuer": "http://127.0.0.1:8443" }), loopback),
        (json!({ "issuer": "https://[::1]" }), loopback),
        (json!({ "issuer": "https://192.168.1.10" }), private),
        (
            json!({ "issuer": "https://k8s.example", "jwks_uri": "https://10.0.0.5/openid/v1/jwks" }),
            private,
        ),
        (
            json!({ "issuer": "https://spiffe.example", "jwks_uri": "http://127.0.0.1:8443/jwks" }),
            loopback,
        ),
    ]
}

async fn listed(app: &TestApp) -> Value {
    let r = app.admin(Method::GET, "/admin/trust", None).await;
    r.json().await.unwrap()
}

#[tokio::test]
async fn a_trust_whose_keys_would_come_from_a_refused_literal_address_is_refused_naming_the_setting()
 {
    let app = spawn_app().await;
    for (n, (mut body, setting)) in unreachable_trusts().into_iter().enumerate() {
        body["name"] = json!(format!("t{n}"));
        let r = trust_with(&app, body.clone()).await;
        assert_eq!(r.status(), 400, "{body}");
        let answer: Value = r.json().await.unwrap();
        assert_eq!(answer["error"], "invalid_request", "{answer}");
        let said = answer["error_description"].as_str().unwrap();
        assert!(said.contains(setting), "{body}: {said}");
    }
    let out = cli(
        &app,
        &["trust", "add", "cli", "--issuer", "https://172.16.0.1"],
    )
    .await;
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("jwks_allow_private_addresses"), "{stderr}");

    let mut browser = logged_in(&app).await;
    let csrf = browser.csrf("/console/trust").await;
    let form = [
        ("csrf", csrf.as_str()),
        ("name", "console"),
        ("issuer", "http://127.0.0.1:8443"),
        ("jwks", ""),
        ("jwks_uri", ""),
        ("audience", ""),
    ];
    let r = browser.post("/console/trust", &form).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let page = r.text().await.unwrap();
    assert!(page.contains("jwks_allow_http_loopback"), "{page}");
    assert_eq!(listed(&app).await, json!([]), "nothing was trusted");
}

#[tokio::test]
async fn with_the_settings_on_those_trusts_are_added_and_inline_keys_are_never_judged() {
    let app = spawn_with(|s| {
        s.client_assertions.jwks_allow_http_loopback = true;
        s.client_assertions.jwks_allow_private_addresses = true;
    })
    .await;
    for (n, (mut body, _)) in unreachable_trusts().into_iter().enumerate() {
        body["name"] = json!(format!("t{n}"));
        let r = trust_with(&app, body.clone()).await;
        assert_eq!(r.status(), 201, "{body}: {}", r.text().await.unwrap());
    }
    // Nothing is fetched for keys given inline, so their issuer's address does not matter.
    let app = spawn_app().await;
    let inline = json!({ "name": "dev", "issuer": "http://127.0.0.1:8443", "jwks": public_jwks() });
    assert_eq!(trust_with(&app, inline).await.status(), 201);
    // A name is not resolved when trusted: it is judged at each fetch.
    let named = json!({ "name": "named", "issuer": "https://localhost:8443" });
    assert_eq!(trust_with(&app, named).await.status(), 201);
}

#[tokio::test]
async fn a_trusts_key_set_is_refused_for_any_key_a_client_could_not_register_in_the_same_words() {
    let app = spawn_app().await;
    let cli_file = tempfile::NamedTempFile::new().unwrap();
    for (key, word) in bad_keys() {
        let kid = key["kid"].as_str().unwrap().to_owned();
        let set = json!({ "keys": [key] });
        let client = app
            .admin(
                Method::POST,
                "/admin/clients",
                Some(json!({"client_id": "svc", "audiences": ["https://api.test"], "jwks": set})),
            )
            .await;
        assert_eq!(client.status(), 400, "{kid}");
        let client: Value = client.json().await.unwrap();
        let body = json!({ "name": "k8s", "issuer": "https://k8s.example", "jwks": set });
        let r = trust_with(&app, body).await;
        assert_eq!(r.status(), 400, "{kid}");
        let trust: Value = r.json().await.unwrap();
        assert_eq!(trust, client, "{kid}: the same answer as for a client");
        let said = trust["error_description"].as_str().unwrap();
        assert!(
            said.contains(&format!("key {kid:?}")) && said.contains(word),
            "{said}"
        );

        std::fs::write(cli_file.path(), set.to_string()).unwrap();
        let path = cli_file.path().to_str().unwrap();
        let out = cli(
            &app,
            &[
                "trust",
                "add",
                "k8s",
                "--issuer",
                "https://k8s.example",
                "--jwks",
                path,
            ],
        )
        .await;
        assert!(!out.status.success(), "{kid}");
        assert!(String::from_utf8_lossy(&out.stderr).contains(&kid));
    }
    assert_eq!(listed(&app).await, json!([]), "nothing was trusted");
    let good = json!({ "name": "k8s", "issuer": "https://k8s.example", "jwks": public_jwks() });
    assert_eq!(trust_with(&app, good).await.status(), 201);
    assert_eq!(
        json_out(&cli(&app, &["trust", "list"]).await)[0]["name"],
        "k8s"
    );
}
