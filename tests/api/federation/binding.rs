//! Clients bound to the subjects of trusted issuers: registered without a secret, each subject
//! bound to one client, bindings that outlive neither their client nor keep their trust alive.

use reqwest::Method;
use serde_json::{Value, json};

use super::{add_federated, trust};
use crate::console::logged_in;
use crate::helpers::{spawn_app, spawn_with};

const WORKER: &str = "system:serviceaccount:billing:worker";

#[tokio::test]
async fn a_federated_client_is_registered_without_a_secret_and_shows_its_subjects() {
    let app = spawn_app().await;
    trust(&app, "k8s", "https://k8s.example").await;
    trust(&app, "ci", "https://ci.example").await;
    let r = add_federated(
        &app,
        "worker",
        &[("k8s", WORKER), ("ci", "repo:org/app:ref:refs/heads/main")],
    )
    .await;
    assert_eq!(r.status(), 201);
    let body: Value = r.json().await.unwrap();
    assert!(body.get("client_secret").is_none(), "{body}");
    assert_eq!(body["token_endpoint_auth_method"], "private_key_jwt");
    assert_eq!(
        body["federated"][0],
        json!({ "trust": "k8s", "subject": WORKER })
    );
    let shown: Value = app
        .admin(Method::GET, "/admin/clients/worker", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(shown["federated"], body["federated"]);
    let secret = app.register("plain", &["https://api.test"], &[]).await;
    assert!(
        secret.body.get("federated").is_none(),
        "a secret client shows no method"
    );
}

#[tokio::test]
async fn a_federated_client_has_no_secret_to_authenticate_with_or_rotate() {
    let app = spawn_app().await;
    trust(&app, "k8s", "https://k8s.example").await;
    assert_eq!(
        add_federated(&app, "worker", &[("k8s", WORKER)])
            .await
            .status(),
        201
    );
    let r = app.token_post("worker", "0".repeat(64).as_str(), &[]).await;
    assert_eq!(r.status(), 401);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "invalid_client");
    let rotate = app
        .admin(
            Method::POST,
            "/admin/clients/worker/rotate-secret",
            Some(json!({})),
        )
        .await;
    assert_eq!(rotate.status(), 409);
}

#[tokio::test]
async fn a_subject_is_bound_to_one_client_and_freed_when_that_client_is_removed() {
    let app = spawn_app().await;
    trust(&app, "k8s", "https://k8s.example").await;
    assert_eq!(
        add_federated(&app, "worker", &[("k8s", WORKER)])
            .await
            .status(),
        201
    );
    let taken = add_federated(&app, "thief", &[("k8s", WORKER)]).await;
    assert_eq!(taken.status(), 409);
    let body: Value = taken.json().await.unwrap();
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("worker"),
        "{body}"
    );
    assert_eq!(
        app.admin(Method::GET, "/admin/clients/thief", None)
            .await
            .status(),
        404
    );
    let app = app.restart().await;
    assert_eq!(
        add_federated(&app, "thief", &[("k8s", WORKER)])
            .await
            .status(),
        409,
        "the index outlives a restart"
    );
    assert_eq!(
        app.admin(Method::DELETE, "/admin/clients/worker", None)
            .await
            .status(),
        200
    );
    assert_eq!(
        add_federated(&app, "heir", &[("k8s", WORKER)])
            .await
            .status(),
        201
    );
}

#[tokio::test]
async fn a_subject_of_an_issuer_not_trusted_or_malformed_is_refused() {
    let app = spawn_with(|s| s.federation.max_subjects_per_client = 2).await;
    trust(&app, "k8s", "https://k8s.example").await;
    let unknown = add_federated(&app, "worker", &[("nobody", WORKER)]).await;
    assert_eq!(unknown.status(), 400);
    for (trust, subject) in [
        ("k8s", ""),
        ("k8s", " padded"),
        ("k 8s", WORKER),
        ("k8s", "a\nb"),
    ] {
        let r = add_federated(&app, "worker", &[(trust, subject)]).await;
        assert_eq!(r.status(), 400, "{trust}={subject:?}");
    }
    let many = add_federated(&app, "worker", &[("k8s", "a"), ("k8s", "b"), ("k8s", "c")]).await;
    assert_eq!(many.status(), 400, "at most max_subjects_per_client");
    assert_eq!(
        app.admin(Method::GET, "/admin/clients/worker", None)
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn a_trusted_issuer_with_bound_clients_stays_until_they_are_removed() {
    let app = spawn_app().await;
    trust(&app, "k8s", "https://k8s.example").await;
    assert_eq!(
        add_federated(&app, "worker", &[("k8s", WORKER)])
            .await
            .status(),
        201
    );
    let refused = app.admin(Method::DELETE, "/admin/trust/k8s", None).await;
    assert_eq!(refused.status(), 409);
    assert_eq!(
        app.admin(Method::DELETE, "/admin/clients/worker", None)
            .await
            .status(),
        200
    );
    assert_eq!(
        app.admin(Method::DELETE, "/admin/trust/k8s", None)
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn the_console_registers_a_federated_client_without_showing_a_secret() {
    let app = spawn_app().await;
    trust(&app, "k8s", "https://k8s.example").await;
    let mut browser = logged_in(&app).await;
    let csrf = browser.csrf("/console/clients/new").await;
    let subject = format!("k8s={WORKER}");
    let form = [
        ("csrf", csrf.as_str()),
        ("client_id", "worker"),
        ("audiences", "https://api.test"),
        ("grants", "client_credentials"),
        ("token_ttl", "60"),
        ("alg", "RS512"),
        ("federated", subject.as_str()),
    ];
    let r = browser.post("/console/clients", &form).await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    let page = browser
        .get("/console/clients/worker")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains(WORKER), "{page}");
    assert!(
        !page.contains("Rotate secret"),
        "a client without a secret has none to rotate"
    );
    let shown: Value = app
        .admin(Method::GET, "/admin/clients/worker", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(shown["federated"][0]["subject"], WORKER);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_twenty_operators_binding_one_subject_at_once_one_wins_and_the_others_get_409() {
    let app = spawn_app().await;
    trust(&app, "k8s", "https://k8s.example").await;
    let app = std::sync::Arc::new(app);
    let start = std::sync::Arc::new(tokio::sync::Barrier::new(20));
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let (app, start) = (app.clone(), start.clone());
            tokio::spawn(async move {
                start.wait().await;
                add_federated(&app, &format!("racer-{i}"), &[("k8s", WORKER)])
                    .await
                    .status()
                    .as_u16()
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.unwrap());
    }
    statuses.sort_unstable();
    let mut expected = vec![201];
    expected.extend([409; 19]);
    assert_eq!(statuses, expected, "one binding, every other a conflict");
}
