//! A client's keys from the console: registered by pasting a JWK Set (or a `jwks_uri`), shown
//! on its page with its method, replaced there as by `PUT /admin/clients/{id}/jwks` and audited
//! under the same action; a bad set is refused in the admin API's words and nothing is stored.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::{Browser, logged_in};
use crate::client_assertions::{
    API, Signer, assert_invalid_client, claims, jwks, register_with_keys, token_with,
};
use crate::helpers::{ADMIN_AUDIENCE, ADMIN_SCOPE, TestApp, spawn_app};

/// Posts the registration form with `fields` besides the id, audience and CSRF token.
async fn register(browser: &mut Browser, id: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    let csrf = browser.csrf("/console/clients/new").await;
    let mut form = vec![
        ("csrf", csrf.as_str()),
        ("client_id", id),
        ("audiences", API),
        ("grants", "client_credentials"),
    ];
    form.extend_from_slice(fields);
    browser.post("/console/clients", &form).await
}

async fn replace_keys(
    browser: &mut Browser,
    id: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let page = format!("/console/clients/{id}");
    let csrf = browser.csrf(&page).await;
    let mut form = vec![("csrf", csrf.as_str())];
    form.extend_from_slice(fields);
    browser.post(&format!("{page}/jwks"), &form).await
}

async fn shown(app: &TestApp, id: &str) -> reqwest::Response {
    app.admin(Method::GET, &format!("/admin/clients/{id}"), None)
        .await
}

async fn admin_actions(app: &TestApp) -> Vec<Value> {
    let r = app
        .admin(Method::GET, "/admin/audit?kind=admin", None)
        .await;
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

#[tokio::test]
async fn a_client_registered_with_a_pasted_key_set_gets_a_token_with_an_assertion() {
    let app = spawn_app().await;
    let mut browser = logged_in(&app).await;
    let signer = Signer::ed25519("svc-2026");
    let set = jwks(&[&signer]).to_string();
    let r = register(
        &mut browser,
        "svc",
        &[("auth", "private_key_jwt"), ("jwks", &set)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "no secret to show");
    assert_eq!(r.headers()["location"], "/console/clients/svc");

    let page = browser
        .get("/console/clients/svc")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("private_key_jwt"), "{page}");
    assert!(page.contains("svc-2026"), "its kid: {page}");
    assert!(!page.contains("Rotate secret"), "no secret to rotate");
    let view: Value = shown(&app, "svc").await.json().await.unwrap();
    assert_eq!(view["token_endpoint_auth_method"], "private_key_jwt");
    assert_eq!(view["kids"], json!(["svc-2026"]));

    let assertion = signer.sign(&claims(&app, "svc"));
    let r = token_with(&app, &assertion, &[("audience", API)]).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
}

#[tokio::test]
async fn a_jwks_uri_is_registered_and_shown_escaped_on_the_clients_page() {
    let app = spawn_app().await;
    let mut browser = logged_in(&app).await;
    let uri = "https://keys.example/jwks.json?a=1&b=<2>";
    let r = register(
        &mut browser,
        "remote",
        &[("auth", "private_key_jwt"), ("jwks_uri", uri)],
    )
    .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    let page = browser
        .get("/console/clients/remote")
        .await
        .text()
        .await
        .unwrap();
    // As the domain stores it (the angle brackets percent-encoded), its `&` escaped.
    assert!(
        page.contains("https://keys.example/jwks.json?a=1&amp;b=%3C2%3E"),
        "{page}"
    );
    assert!(!page.contains("<2>") && !page.contains("a=1&b"));
}

#[tokio::test]
async fn a_kid_is_shown_as_text_never_as_markup() {
    let app = spawn_app().await;
    let mut signer = Signer::ed25519("k");
    signer.jwk.common.key_id = Some("<img src=x onerror=alert(1)>".into());
    register_with_keys(&app, "svc", jwks(&[&signer])).await;
    let mut browser = logged_in(&app).await;
    let page = browser
        .get("/console/clients/svc")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "{page}"
    );
    assert!(!page.contains("<img"), "{page}");
}

#[tokio::test]
async fn only_the_chosen_methods_fields_are_read() {
    let app = spawn_app().await;
    let mut browser = logged_in(&app).await;
    let set = jwks(&[&Signer::ed25519("left-over")]).to_string();
    let r = register(&mut browser, "plain", &[("auth", "secret"), ("jwks", &set)]).await;
    assert_eq!(r.status(), StatusCode::OK, "the secret's page");
    let view: Value = shown(&app, "plain").await.json().await.unwrap();
    assert!(view.get("token_endpoint_auth_method").is_none(), "{view}");
    let r = register(&mut browser, "odd", &[("auth", "telepathy")]).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn replacing_a_clients_keys_from_its_page_refuses_the_old_key() {
    let app = spawn_app().await;
    let (old, new) = (Signer::ed25519("old"), Signer::rsa("new"));
    register_with_keys(&app, "svc", jwks(&[&old])).await;
    let mut browser = logged_in(&app).await;
    let page = browser
        .get("/console/clients/svc")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Replace its keys"), "{page}");

    let set = jwks(&[&new]).to_string();
    let r = replace_keys(&mut browser, "svc", &[("jwks", &set)]).await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    assert_eq!(r.headers()["location"], "/console/clients/svc");

    let refused = token_with(&app, &old.sign(&claims(&app, "svc")), &[]).await;
    assert_invalid_client(refused, "the replaced key").await;
    let r = token_with(&app, &new.sign(&claims(&app, "svc")), &[]).await;
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());

    let events = admin_actions(&app).await;
    let event = events
        .iter()
        .find(|e| e["action"] == "client.set_jwks")
        .unwrap_or_else(|| panic!("the API's action name: {events:?}"));
    assert_eq!(event["target"], "svc");
    assert_eq!(event["actor"]["kind"], "operator");
    assert_eq!(event["outcome"]["success"], true);
}

#[tokio::test]
async fn a_secret_client_given_keys_from_its_page_loses_its_secret() {
    let app = spawn_app().await;
    let client = app.register("legacy", &[API], &[]).await;
    let signer = Signer::ed25519("k1");
    let mut browser = logged_in(&app).await;
    let page = browser
        .get("/console/clients/legacy")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("client_secret_basic"), "{page}");
    assert!(page.contains("Authenticate with keys instead"), "{page}");
    let set = jwks(&[&signer]).to_string();
    let r = replace_keys(&mut browser, "legacy", &[("jwks", &set)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = app.token_post("legacy", &client.secret, &[]).await;
    assert_eq!(r.status(), 401, "the secret stops working");
    let r = token_with(&app, &signer.sign(&claims(&app, "legacy")), &[]).await;
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn a_key_set_with_a_private_member_is_refused_in_the_apis_words_and_nothing_is_stored() {
    let app = spawn_app().await;
    let mut private = jwks(&[&Signer::ed25519("k")]);
    private["keys"][0]["d"] = json!("c2VjcmV0");
    let api = app
        .admin(
            Method::POST,
            "/admin/clients",
            Some(json!({"client_id": "api", "audiences": [API], "jwks": private})),
        )
        .await;
    assert_eq!(api.status(), 400);
    let words: Value = api.json().await.unwrap();
    let words = words["error_description"].as_str().unwrap().to_owned();
    assert!(words.contains("\"d\""), "{words}");
    let escaped = words.replace('"', "&quot;");

    let mut browser = logged_in(&app).await;
    let set = private.to_string();
    let r = register(
        &mut browser,
        "svc",
        &[("auth", "private_key_jwt"), ("jwks", &set)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let page = r.text().await.unwrap();
    assert!(page.contains(&escaped), "{escaped} in {page}");
    assert_eq!(shown(&app, "svc").await.status(), 404, "nothing stored");

    let good = Signer::ed25519("good");
    register_with_keys(&app, "kept", jwks(&[&good])).await;
    let r = replace_keys(&mut browser, "kept", &[("jwks", &set)]).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(r.text().await.unwrap().contains(&escaped));
    let r = replace_keys(&mut browser, "kept", &[("jwks", "{not json")]).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let view: Value = shown(&app, "kept").await.json().await.unwrap();
    assert_eq!(view["kids"], json!(["good"]), "the keys are unchanged");
    let r = token_with(&app, &good.sign(&claims(&app, "kept")), &[]).await;
    assert_eq!(r.status(), 200);

    let events = admin_actions(&app).await;
    let refused = events
        .iter()
        .filter(|e| e["action"] == "client.set_jwks" && e["outcome"]["success"] == false)
        .count();
    assert_eq!(
        refused, 2,
        "each refusal is recorded as the API's are: {events:?}"
    );
}

#[tokio::test]
async fn a_replacement_without_the_session_token_changes_nothing() {
    let app = spawn_app().await;
    let old = Signer::ed25519("old");
    register_with_keys(&app, "svc", jwks(&[&old])).await;
    let mut browser = logged_in(&app).await;
    let set = jwks(&[&Signer::ed25519("evil")]).to_string();
    let r = browser
        .post(
            "/console/clients/svc/jwks",
            &[("csrf", "forged"), ("jwks", &set)],
        )
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let view: Value = shown(&app, "svc").await.json().await.unwrap();
    assert_eq!(view["kids"], json!(["old"]));
}

#[tokio::test]
async fn the_command_lines_admin_client_is_neither_rekeyed_nor_bound_to_dpop_by_the_console_or_another_admin()
 {
    let app = spawn_app().await;
    let signer = Signer::ed25519("k1");
    let mut browser = logged_in(&app).await;
    let set = jwks(&[&signer]).to_string();
    let r = replace_keys(&mut browser, "admin", &[("jwks", &set)]).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let ops = app
        .register_with(json!({ "client_id": "ops", "audiences": [ADMIN_AUDIENCE],
                               "scopes": [ADMIN_SCOPE] }))
        .await;
    let scope = [("audience", ADMIN_AUDIENCE), ("scope", ADMIN_SCOPE)];
    let token = app.access_token(&ops, &scope).await;
    let body = json!({ "jwks": jwks(&[&signer]) });
    let r = app
        .admin_as(&token, Method::PUT, "/admin/clients/admin/jwks", Some(body))
        .await;
    assert_eq!(r.status(), 409);
    let body = json!({ "dpop_bound_access_tokens": true });
    let r = app
        .admin_as(&token, Method::PUT, "/admin/clients/admin/dpop", Some(body))
        .await;
    assert_eq!(r.status(), 409);
    let r = app.admin(Method::GET, "/admin/clients", None).await;
    assert_eq!(r.status(), 200, "the command line's client still works");
}
