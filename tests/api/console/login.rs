//! Logging in and out: the login form's token, a generic refusal, cookie flags, expiry.

use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{LOCATION, SET_COOKIE};

use super::{Browser, credentials, field, logged_in};
use crate::helpers::{spawn_app, spawn_with};

#[tokio::test]
async fn the_bootstrap_operator_from_the_credentials_file_logs_in() {
    use std::os::unix::fs::PermissionsExt;
    let app = spawn_app().await;
    let path = app.data_dir.path().join("admin-credentials.json");
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let (user, password) = credentials(&app);
    assert_eq!(user, "admin");
    assert!(password.len() >= 32);
    let mut browser = Browser::new(&app);
    let r = browser.login(&user, &password).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[LOCATION], "/console/clients");
    let page = browser.get("/console/clients").await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(page.text().await.unwrap().contains("Signed in as"));
}

#[tokio::test]
async fn a_login_without_the_form_token_or_its_cookie_is_refused() {
    let app = spawn_app().await;
    let (user, password) = credentials(&app);
    let mut browser = Browser::new(&app);
    let token = browser.csrf("/console/login").await;
    let no_token = browser
        .post(
            "/console/login",
            &[("username", &user), ("password", &password)],
        )
        .await;
    assert_eq!(no_token.status(), StatusCode::FORBIDDEN);
    let mut stranger = Browser::new(&app);
    let no_cookie = stranger
        .post(
            "/console/login",
            &[
                ("csrf", &token),
                ("username", &user),
                ("password", &password),
            ],
        )
        .await;
    assert_eq!(no_cookie.status(), StatusCode::FORBIDDEN);
    assert!(!no_cookie.headers().contains_key(SET_COOKIE));
    assert!(!browser.cookies.contains_key("td_session"));
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_operator_get_the_same_generic_page() {
    let app = spawn_app().await;
    let mut browser = Browser::new(&app);
    let wrong = browser.login("admin", "not the password").await;
    let wrong = (wrong.status(), wrong.text().await.unwrap());
    let unknown = browser.login("nobody", "not the password").await;
    let unknown = (unknown.status(), unknown.text().await.unwrap());
    assert_eq!(wrong.0, StatusCode::OK);
    assert!(wrong.1.contains("Wrong operator name or password."));
    assert_eq!(wrong.0, unknown.0);
    // The pages differ only in their token.
    let strip = |html: &str| html.replace(&field(html, r#"name="csrf""#), "");
    assert_eq!(strip(&wrong.1), strip(&unknown.1));
    assert!(!browser.cookies.contains_key("td_session"));
}

#[tokio::test]
async fn the_console_cookies_carry_exactly_its_flags() {
    let app = spawn_app().await;
    let (user, password) = credentials(&app);
    let mut browser = Browser::new(&app);
    let page = browser.get("/console/login").await;
    let login = page.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    let value = browser.cookies["td_login"].clone();
    assert_eq!(
        login,
        format!("td_login={value}; HttpOnly; SameSite=Strict; Path=/console")
    );
    let r = browser.login(&user, &password).await;
    let session = r.headers()[SET_COOKIE].to_str().unwrap().to_owned();
    let id = browser.cookies["td_session"].clone();
    assert_eq!(id.len(), 64, "256 random bits, in hex");
    assert_eq!(
        session,
        format!("td_session={id}; HttpOnly; SameSite=Strict; Path=/console")
    );

    let tls = spawn_with(|s| s.console.secure_cookies = true).await;
    let (user, password) = credentials(&tls);
    let mut browser = Browser::new(&tls);
    let r = browser.login(&user, &password).await;
    let id = browser.cookies["td_session"].clone();
    assert_eq!(
        r.headers()[SET_COOKIE].to_str().unwrap(),
        format!("td_session={id}; HttpOnly; SameSite=Strict; Path=/console; Secure")
    );
}

#[tokio::test]
async fn an_idle_session_ends() {
    let app = spawn_with(|s| s.console.session_idle = Duration::from_secs(1)).await;
    let mut browser = logged_in(&app).await;
    assert_eq!(browser.get("/console/keys").await.status(), StatusCode::OK);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let r = browser.get("/console/keys").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[LOCATION], "/console/login");
}

#[tokio::test]
async fn logging_out_ends_the_session_on_the_server() {
    let app = spawn_app().await;
    let mut browser = logged_in(&app).await;
    let stolen = browser.cookies["td_session"].clone();
    let token = browser.csrf("/console/clients").await;
    let r = browser.post("/console/logout", &[("csrf", &token)]).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(
        !browser.cookies.contains_key("td_session"),
        "cookie cleared"
    );
    browser.cookies.insert("td_session".into(), stolen);
    let r = browser.get("/console/clients").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()[LOCATION], "/console/login");
}

#[tokio::test]
async fn repeated_wrong_passwords_lock_the_operator_out_at_that_address() {
    let app = spawn_with(|s| s.users.max_failures_per_user = 3).await;
    let (user, password) = credentials(&app);
    let mut browser = Browser::new(&app);
    for _ in 0..3 {
        let r = browser.login(&user, "wrong").await;
        assert_eq!(r.status(), StatusCode::OK);
    }
    let locked = browser.login(&user, &password).await;
    assert_eq!(locked.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(
        locked
            .text()
            .await
            .unwrap()
            .contains("Too many failed logins")
    );
    assert!(!browser.cookies.contains_key("td_session"));
}

#[tokio::test]
async fn guesses_from_one_address_do_not_lock_the_operator_out_at_another() {
    let app = spawn_with(|s| s.users.max_failures_per_user = 3).await;
    let (user, password) = credentials(&app);
    let mut guesser = Browser::at(&app, [127, 0, 0, 2].into());
    for _ in 0..5 {
        guesser.login(&user, "wrong").await;
    }
    let r = guesser.login(&user, &password).await;
    assert_eq!(
        r.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "the guesser is locked out"
    );

    let mut operator = Browser::at(&app, [127, 0, 0, 1].into());
    let r = operator.login(&user, &password).await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "the operator elsewhere is not"
    );
    assert!(operator.cookies.contains_key("td_session"));
}

#[tokio::test]
async fn a_start_without_operators_adds_admin_beside_the_existing_client_credentials() {
    let app = spawn_app().await;
    let removed = app
        .admin(reqwest::Method::DELETE, "/admin/operators/admin", None)
        .await;
    assert_eq!(removed.status(), StatusCode::OK);
    let (_, old_password) = credentials(&app);
    let app = app.restart().await;
    let (user, password) = credentials(&app);
    assert_ne!(password, old_password, "a new random password");
    let file = app.data_dir.path().join("admin-credentials.json");
    let creds: serde_json::Value = serde_json::from_slice(&std::fs::read(file).unwrap()).unwrap();
    assert_eq!(creds["client_secret"], app.admin_secret.as_str(), "kept");
    let mut browser = Browser::new(&app);
    assert_eq!(
        browser.login(&user, &password).await.status(),
        StatusCode::SEE_OTHER
    );
}
