//! The user directory over the admin API: users, roles, wfc and what refers to what.

use reqwest::Method;
use serde_json::{Value, json};

use super::{Directory, PASSWORD};
use crate::helpers::spawn_app;

#[tokio::test]
async fn many_users_can_share_one_wfc() {
    let app = spawn_app().await;
    app.seed().await;
    app.add_user("bob", &["ops", "admin"], "acme-eng").await;
    let r = app.admin(Method::GET, "/admin/users", None).await;
    assert_eq!(r.status(), 200);
    let users: Vec<Value> = r.json().await.unwrap();
    let wfcs: Vec<&str> = users.iter().map(|u| u["wfc"].as_str().unwrap()).collect();
    assert_eq!(wfcs, ["acme-eng", "acme-eng"]);
    assert_eq!(users[1]["roles"], json!(["admin", "ops"]));
}

#[tokio::test]
async fn removing_a_role_wfc_or_org_still_in_use_is_a_conflict_and_changes_nothing() {
    let app = spawn_app().await;
    app.seed().await;
    for path in [
        "/admin/roles/ops",
        "/admin/wfcs/acme-eng",
        "/admin/orgs/acme",
        "/admin/ous/eng",
        "/admin/depts/platform",
    ] {
        let r = app.admin(Method::DELETE, path, None).await;
        assert_eq!(r.status(), 409, "{path}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"], "conflict");
        assert!(
            body["error_description"]
                .as_str()
                .unwrap()
                .contains("still used by"),
            "{body}"
        );
        assert_eq!(app.admin(Method::GET, path, None).await.status(), 200);
    }
    assert_eq!(app.gettoken("alice", PASSWORD).await.status(), 201);

    // Once nothing refers to them, they go, in order.
    for path in [
        "/admin/users/alice",
        "/admin/roles/ops",
        "/admin/wfcs/acme-eng",
        "/admin/orgs/acme",
    ] {
        assert_eq!(
            app.admin(Method::DELETE, path, None).await.status(),
            200,
            "{path}"
        );
        assert_eq!(
            app.admin(Method::GET, path, None).await.status(),
            404,
            "{path}"
        );
    }
}

#[tokio::test]
async fn an_entry_referring_to_something_missing_or_a_taken_name_is_refused() {
    let app = spawn_app().await;
    app.seed().await;
    let user = |role: &str, wfc: &str| {
        json!({"username": "carol", "email": "carol@acme.example", "password": PASSWORD,
            "roles": [role], "wfc": wfc})
    };
    assert_eq!(
        app.create("users", user("nope", "acme-eng")).await.status(),
        409
    );
    assert_eq!(app.create("users", user("ops", "nope")).await.status(), 409);
    let wfc = json!({"name": "w2", "org": "nope", "orgunit": "eng", "department": "platform"});
    assert_eq!(app.create("wfcs", wfc).await.status(), 409);
    assert_eq!(
        app.create("roles", json!({"name": "ops"})).await.status(),
        409
    );
    let no_roles = json!({"username": "carol", "email": "carol@acme.example",
        "password": PASSWORD, "roles": [], "wfc": "acme-eng"});
    assert_eq!(app.create("users", no_roles).await.status(), 400);
    assert_eq!(
        app.admin(Method::GET, "/admin/users/carol", None)
            .await
            .status(),
        404
    );
}

#[tokio::test]
async fn concurrent_adds_and_removes_never_leave_a_dangling_reference() {
    let app = spawn_app().await;
    app.seed().await;
    let token = app.admin_token().await;
    for round in 0..10 {
        let role = format!("r{round}");
        app.create("roles", json!({ "name": role })).await;
        let add = app
            .http
            .post(app.url("/admin/users"))
            .bearer_auth(&token)
            .json(
                &json!({"username": format!("u{round}"), "email": "u@acme.example",
                "password": PASSWORD, "roles": [role], "wfc": "acme-eng"}),
            )
            .send();
        let remove = app
            .http
            .delete(app.url(&format!("/admin/roles/{role}")))
            .bearer_auth(&token)
            .send();
        let (added, removed) = tokio::join!(add, remove);
        let (added, removed) = (added.unwrap().status(), removed.unwrap().status());
        // Exactly one of them wins.
        assert!(
            (added == 201 && removed == 409) || (added == 409 && removed == 200),
            "round {round}: add {added}, remove {removed}"
        );
    }
    let users: Vec<Value> = app
        .admin(Method::GET, "/admin/users", None)
        .await
        .json()
        .await
        .unwrap();
    let roles: Vec<Value> = app
        .admin(Method::GET, "/admin/roles", None)
        .await
        .json()
        .await
        .unwrap();
    let role_names: Vec<&str> = roles.iter().map(|r| r["name"].as_str().unwrap()).collect();
    for user in &users {
        for role in user["roles"].as_array().unwrap() {
            assert!(role_names.contains(&role.as_str().unwrap()), "{user}");
        }
    }
}

#[tokio::test]
async fn the_directory_api_needs_an_admin_token_and_never_shows_a_password_hash() {
    let app = spawn_app().await;
    app.seed().await;
    let r = app.get("/admin/users/alice").await;
    assert_eq!(r.status(), 401);
    let r = app.admin(Method::GET, "/admin/users/alice", None).await;
    let text = r.text().await.unwrap();
    assert!(text.contains("alice@acme.example"));
    // The hash's kind is shown (`password_scheme`), never the hash itself.
    assert!(text.contains(r#""password_scheme":"argon2id""#), "{text}");
    assert!(!text.contains("$argon2"), "{text}");
    assert!(!text.contains(PASSWORD));
}

#[tokio::test]
async fn a_user_token_with_a_listing_role_may_list_users_and_others_may_not() {
    let app = spawn_app().await;
    app.seed().await;
    app.add_user("bob", &["admin"], "acme-eng").await;
    let secret = app.register_client("portal", &["password"]).await;
    let token_of = async |user: &str| {
        let r = app
            .password_grant(("portal", &secret), user, PASSWORD)
            .await;
        let body: Value = r.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_owned()
    };
    let bob = token_of("bob").await;
    let alice = token_of("alice").await;
    let list = |token: String| {
        app.http
            .get(app.url("/admin/users"))
            .bearer_auth(token)
            .send()
    };
    assert_eq!(list(bob.clone()).await.unwrap().status(), 200);
    assert_eq!(list(alice).await.unwrap().status(), 403);
    // Listing is all that role grants.
    let r = app
        .http
        .get(app.url("/admin/roles"))
        .bearer_auth(bob)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn a_changed_password_replaces_the_old_one() {
    let app = spawn_app().await;
    app.seed().await;
    let path = "/admin/users/alice/password";
    let r = app
        .admin(Method::POST, path, Some(json!({"password": "short"})))
        .await;
    assert_eq!(r.status(), 400);
    let r = app
        .admin(
            Method::POST,
            path,
            Some(json!({"password": "a brand new one"})),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(app.gettoken("alice", PASSWORD).await.status(), 401);
    assert_eq!(app.gettoken("alice", "a brand new one").await.status(), 201);
}
