//! Clients registered for DPoP (`dpop_bound_access_tokens`): no token without a valid proof;
//! other clients are not affected.

use serde_json::{Value, json};

use super::proofs::ProofKey;
use super::{API, refused, token_endpoint, token_with_proofs};
use crate::helpers::spawn_app;

#[tokio::test]
async fn a_dpop_bound_client_gets_no_token_without_a_valid_proof() {
    let app = spawn_app().await;
    let client = app
        .register_with(json!({
            "client_id": "bound", "audiences": [API], "dpop_bound_access_tokens": true,
        }))
        .await;
    assert_eq!(client.body["dpop_bound_access_tokens"], true);

    let (error, description) = refused(token_with_proofs(&app, &client, &[]).await).await;
    assert_eq!(error, "invalid_request");
    assert!(description.contains("DPoP"), "{description}");

    let key = ProofKey::es256();
    let mut stale = super::proofs::claims(&token_endpoint(&app));
    stale["iat"] = json!(super::proofs::now() - 3600);
    let bad = key.sign(&key.header(), &stale);
    let (error, _) = refused(token_with_proofs(&app, &client, &[&bad]).await).await;
    assert_eq!(error, "invalid_dpop_proof");

    let good = key.proof(&token_endpoint(&app));
    let r = token_with_proofs(&app, &client, &[&good]).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.json::<Value>().await.unwrap()["token_type"], "DPoP");
}

#[tokio::test]
async fn a_client_registered_without_dpop_shows_it_and_may_send_a_proof_or_not() {
    let app = spawn_app().await;
    let client = app.register("plain", &[API], &[]).await;
    assert_eq!(client.body["dpop_bound_access_tokens"], false);
    assert_eq!(token_with_proofs(&app, &client, &[]).await.status(), 200);
    let proof = ProofKey::es256().proof(&token_endpoint(&app));
    assert_eq!(
        token_with_proofs(&app, &client, &[&proof]).await.status(),
        200
    );
}

#[tokio::test]
async fn the_unauthenticated_learn_nothing_of_a_clients_dpop_registration() {
    let app = spawn_app().await;
    let bound = app
        .register_with(json!({
            "client_id": "bound", "audiences": [API], "dpop_bound_access_tokens": true,
        }))
        .await;
    let mut wrong = app.admin_client();
    wrong.id = bound.id.clone();
    let r = token_with_proofs(&app, &wrong, &[]).await;
    assert_eq!(r.status(), 401, "invalid_client before the missing proof");
}

#[tokio::test]
async fn client_add_with_dpop_registers_a_dpop_bound_client() {
    let app = spawn_app().await;
    let out = crate::cli::cli(
        &app,
        &["client", "add", "bound", "--audience", API, "--dpop"],
    )
    .await;
    let added = crate::cli::json_out(&out);
    assert_eq!(added["dpop_bound_access_tokens"], true);
    let bound = crate::helpers::Registered {
        id: "bound".into(),
        secret: added["client_secret"].as_str().unwrap().to_owned(),
        body: added.clone(),
    };
    let (error, _) = refused(token_with_proofs(&app, &bound, &[]).await).await;
    assert_eq!(error, "invalid_request");
    let shown = crate::cli::json_out(&crate::cli::cli(&app, &["client", "show", "bound"]).await);
    assert_eq!(shown["dpop_bound_access_tokens"], true);
}

#[tokio::test]
async fn the_console_registers_a_dpop_bound_client_and_shows_it_in_the_details() {
    let app = spawn_app().await;
    let mut browser = crate::console::logged_in(&app).await;
    let token = browser.csrf("/console/clients/new").await;
    let r = browser
        .post(
            "/console/clients",
            &[
                ("csrf", &token),
                ("client_id", "bound"),
                ("audiences", API),
                ("grants", "client_credentials"),
                ("dpop_bound", "on"),
            ],
        )
        .await;
    assert_eq!(r.status(), 200);
    let secret = crate::console::field(&r.text().await.unwrap(), r#"id="secret""#);
    let bound = crate::helpers::Registered {
        id: "bound".into(),
        secret,
        body: Value::Null,
    };
    let (error, _) = refused(token_with_proofs(&app, &bound, &[]).await).await;
    assert_eq!(error, "invalid_request");
    let detail = browser
        .get("/console/clients/bound")
        .await
        .text()
        .await
        .unwrap();
    assert!(detail.contains("DPoP-bound tokens only"), "{detail}");
    let form = browser
        .get("/console/clients/new")
        .await
        .text()
        .await
        .unwrap();
    assert!(form.contains(r#"name="dpop_bound""#));
}

#[tokio::test]
async fn the_admin_api_turns_a_clients_dpop_requirement_on_and_off() {
    let app = spawn_app().await;
    let client = app.register("svc", &[API], &[]).await;
    let path = "/admin/clients/svc/dpop";
    let on = app
        .admin(
            reqwest::Method::PUT,
            path,
            Some(json!({"dpop_bound_access_tokens": true})),
        )
        .await;
    assert_eq!(on.status(), 200);
    assert_eq!(
        on.json::<Value>().await.unwrap()["dpop_bound_access_tokens"],
        true
    );
    let (error, _) = refused(token_with_proofs(&app, &client, &[]).await).await;
    assert_eq!(error, "invalid_request");

    let off = app
        .admin(
            reqwest::Method::PUT,
            path,
            Some(json!({"dpop_bound_access_tokens": false})),
        )
        .await;
    assert_eq!(off.status(), 200);
    assert_eq!(token_with_proofs(&app, &client, &[]).await.status(), 200);

    let bad = app
        .admin(reqwest::Method::PUT, path, Some(json!({"dpop": 1})))
        .await;
    assert_eq!(bad.status(), 400);
    let missing = app
        .admin(
            reqwest::Method::PUT,
            "/admin/clients/nobody/dpop",
            Some(json!({"dpop_bound_access_tokens": true})),
        )
        .await;
    assert_eq!(missing.status(), 404);
}
