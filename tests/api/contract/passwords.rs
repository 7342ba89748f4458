//! Passwords compare after normalization, however they were typed.

use serde_json::json;

use crate::helpers::{TestApp, spawn_app};
use crate::users::Directory;

#[tokio::test]
async fn a_password_set_precomposed_works_typed_decomposed_and_spaces_are_normalized() {
    let app = spawn_app().await;
    app.seed().await;
    let nfc = "P\u{e4}ssw\u{f6}rd-1";
    let nfd = "Pa\u{308}sswo\u{308}rd-1";
    add_user(&app, "bob", nfc).await;
    add_user(&app, "carol", "no\u{a0}break\u{3000}space").await;
    let secret = app.register_client("portal", &["password"]).await;
    for (user, typed) in [("bob", nfd), ("bob", nfc), ("carol", "no break space")] {
        let r = app.password_grant(("portal", &secret), user, typed).await;
        assert_eq!(r.status(), 200, "password grant {user} {typed:?}");
        let r = app.gettoken(user, typed).await;
        assert_eq!(r.status(), 201, "gettoken {user} {typed:?}");
    }
    let r = app
        .password_grant(("portal", &secret), "bob", "Passwords-1")
        .await;
    assert_eq!(r.status(), 400, "a different password still fails");
}

async fn add_user(app: &TestApp, username: &str, password: &str) {
    let body = json!({"username": username, "email": format!("{username}@acme.example"),
        "password": password, "roles": ["ops"], "wfc": "acme-eng"});
    assert_eq!(app.create("users", body).await.status(), 201, "{username}");
}
