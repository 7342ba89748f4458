//! Trusted issuers through the admin API, the command line and the console: added, listed,
//! shown and removed; bounded; a private key refused; kept across a restart.

use reqwest::Method;
use serde_json::{Value, json};

use super::{PUBLIC_JWKS, public_jwks, trust, trust_with};
use crate::cli::{cli, json_out};
use crate::console::logged_in;
use crate::helpers::{spawn_app, spawn_with};

#[tokio::test]
async fn an_issuer_is_trusted_listed_shown_removed_and_each_change_audited() {
    let app = spawn_app().await;
    let added = trust(&app, "k8s", "https://k8s.example").await;
    assert_eq!(added["issuer"], "https://k8s.example");
    assert_eq!(added["keys"]["source"], "inline");
    assert_eq!(
        added["audience"],
        app.base.as_str(),
        "the dealer's issuer by default"
    );
    let list: Value = app
        .admin(Method::GET, "/admin/trust", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    let shown = app.admin(Method::GET, "/admin/trust/k8s", None).await;
    assert_eq!(shown.status(), 200);
    assert_eq!(shown.json::<Value>().await.unwrap(), added);
    let removed = app.admin(Method::DELETE, "/admin/trust/k8s", None).await;
    assert_eq!(removed.status(), 200);
    let gone = app.admin(Method::GET, "/admin/trust/k8s", None).await;
    assert_eq!(gone.status(), 404);
    let again = app.admin(Method::DELETE, "/admin/trust/k8s", None).await;
    assert_eq!(again.status(), 404);
    let audit: Value = app
        .admin(Method::GET, "/admin/audit", None)
        .await
        .json()
        .await
        .unwrap();
    let text = audit.to_string();
    assert!(
        text.contains("trust.add") && text.contains("trust.remove"),
        "{text}"
    );
}

#[tokio::test]
async fn a_jwk_set_holding_a_private_key_is_refused_and_nothing_is_trusted() {
    let app = spawn_app().await;
    let mut jwks = public_jwks();
    jwks["keys"][0]["d"] = json!(
        "X4cTteJY_gn4FYPsXB8rdXix5vwsg1FLN5E3EaG6RJoVH-HLLKD9M7dx5oo7GURknchnrRweUkC7hT5fJLM0WbFAKNLWY2vv7B6NqXSzUvxT0_YSfqijwp3RTzlBaCxWp4doFk5N2o8Gy_nHNKroADIkJ46pRUohsXywbReAdYaMwFs9tv8d_cPVY3i07a3t8MN6TNwm0dSawm9v47UiCl3Sk5ZiG7xojPLu4sbg1U2jx4IBTNBznbJSzFHK66jT8bgkuqsk0GjskDJk19Z4qwjwbsnn4j2WBii3RL-Us2lGVkY8fkFzme1z0HbIkfz0Y6mqnOYtqc0X4jfcKoAC8Q"
    );
    let r = trust_with(
        &app,
        json!({ "name": "k8s", "issuer": "https://k8s.example", "jwks": jwks }),
    )
    .await;
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("private"),
        "{body}"
    );
    let symmetric = json!({ "keys": [{ "kty": "oct", "k": "c2VjcmV0" }] });
    let r = trust_with(
        &app,
        json!({ "name": "k8s", "issuer": "https://k8s.example", "jwks": symmetric }),
    )
    .await;
    assert_eq!(r.status(), 400);
    let list: Value = app
        .admin(Method::GET, "/admin/trust", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list, json!([]));
}

#[tokio::test]
async fn an_issuer_is_trusted_under_one_name_and_a_name_names_one_issuer() {
    let app = spawn_app().await;
    trust(&app, "k8s", "https://k8s.example").await;
    let same_name = trust_with(
        &app,
        json!({ "name": "k8s", "issuer": "https://other.example" }),
    )
    .await;
    assert_eq!(same_name.status(), 409);
    let same_issuer = trust_with(
        &app,
        json!({ "name": "k8s-2", "issuer": "https://k8s.example" }),
    )
    .await;
    assert_eq!(same_issuer.status(), 409);
    for bad in [
        json!({ "name": "x", "issuer": "http://k8s.example" }),
        json!({ "name": "x", "issuer": "https://k8s.example/?q=1" }),
        json!({ "name": "a b", "issuer": "https://x.example" }),
        json!({ "name": "x", "issuer": "https://x.example", "jwks_uri": "https://x.example/k", "jwks": public_jwks() }),
    ] {
        let r = trust_with(&app, bad.clone()).await;
        assert_eq!(r.status(), 400, "{bad}");
    }
}

#[tokio::test]
async fn the_number_of_trusted_issuers_is_bounded_by_the_setting() {
    let app = spawn_with(|s| s.federation.max_trusted_issuers = 2).await;
    trust(&app, "a", "https://a.example").await;
    trust(&app, "b", "https://b.example").await;
    let third = trust_with(&app, json!({ "name": "c", "issuer": "https://c.example" })).await;
    assert_eq!(third.status(), 409);
    let body: Value = third.json().await.unwrap();
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("max_trusted_issuers"),
        "{body}"
    );
}

#[tokio::test]
async fn without_keys_they_are_discovered_and_trusted_issuers_survive_a_restart() {
    let app = spawn_app().await;
    let r = trust_with(&app, json!({ "name": "ci", "issuer": "https://ci.example", "audience": "https://dealer.example" })).await;
    assert_eq!(r.status(), 201);
    let uri = trust_with(&app, json!({ "name": "spiffe", "issuer": "https://spiffe.example", "jwks_uri": "https://spiffe.example/keys" })).await;
    assert_eq!(uri.status(), 201);
    let app = app.restart().await;
    let list: Value = app
        .admin(Method::GET, "/admin/trust", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list[0]["name"], "ci");
    assert_eq!(list[0]["keys"], json!({ "source": "discovered" }));
    assert_eq!(list[0]["audience"], "https://dealer.example");
    assert_eq!(
        list[1]["keys"],
        json!({ "source": "jwks_uri", "jwks_uri": "https://spiffe.example/keys" })
    );
}

#[tokio::test]
async fn trust_add_list_show_and_remove_work_from_the_command_line() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("jwks.json");
    std::fs::write(&file, PUBLIC_JWKS).unwrap();
    let args = [
        "trust",
        "add",
        "k8s",
        "--issuer",
        "https://k8s.example",
        "--jwks",
    ];
    let added = json_out(&cli(&app, &[&args[..], &[file.to_str().unwrap()]].concat()).await);
    assert_eq!(added["name"], "k8s");
    let listed = json_out(&cli(&app, &["trust", "list"]).await);
    assert_eq!(listed[0]["issuer"], "https://k8s.example");
    let shown = json_out(&cli(&app, &["trust", "show", "k8s"]).await);
    assert_eq!(shown["keys"]["jwks"]["keys"][0]["kid"], "a");
    let bound = cli(
        &app,
        &[
            "client",
            "add",
            "worker",
            "--audience",
            "https://api.test",
            "--federated",
            "k8s=system:serviceaccount:billing:worker",
        ],
    )
    .await;
    let bound = json_out(&bound);
    assert!(bound.get("client_secret").is_none(), "{bound}");
    let refused = cli(&app, &["trust", "remove", "k8s"]).await;
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("worker"));
    json_out(&cli(&app, &["client", "remove", "worker"]).await);
    json_out(&cli(&app, &["trust", "remove", "k8s"]).await);
    assert_eq!(json_out(&cli(&app, &["trust", "list"]).await), json!([]));
}

#[tokio::test]
async fn the_console_lists_adds_and_removes_trusted_issuers() {
    let app = spawn_app().await;
    let mut browser = logged_in(&app).await;
    let csrf = browser.csrf("/console/trust").await;
    let form = [
        ("csrf", csrf.as_str()),
        ("name", "k8s"),
        ("issuer", "https://k8s.example"),
        ("jwks", PUBLIC_JWKS),
        ("jwks_uri", ""),
        ("audience", ""),
    ];
    let r = browser.post("/console/trust", &form).await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    let page = browser.get("/console/trust").await.text().await.unwrap();
    assert!(
        page.contains("https://k8s.example") && page.contains("1 key(s) given"),
        "{page}"
    );
    let csrf = browser.csrf("/console/trust/k8s/remove").await;
    let r = browser
        .post("/console/trust/k8s/remove", &[("csrf", csrf.as_str())])
        .await;
    assert_eq!(r.status(), 303);
    let page = browser.get("/console/trust").await.text().await.unwrap();
    assert!(page.contains("No issuer is trusted."), "{page}");
    let audit: Value = app
        .admin(Method::GET, "/admin/audit", None)
        .await
        .json()
        .await
        .unwrap();
    assert!(audit.to_string().contains("trust.remove"));
}
