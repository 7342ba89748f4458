//! The web console over HTTP: login and its CSRF token, cookie flags, security headers, session
//! expiry and logout, secrets shown once, the paged client read, the console switched off, and
//! the bootstrap operator.

use std::collections::HashMap;
use std::time::Duration;

use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use tokendealer::domain::ClientId;
use tokendealer::domain::ports::ClientStore;
use tokendealer::storage::{ClientRecord, Store};

use crate::helpers::{TestApp, spawn_app, spawn_with};

/// A browser without JavaScript: a cookie jar, no redirects followed.
pub struct Browser {
    base: String,
    http: reqwest::Client,
    cookies: HashMap<String, String>,
}

impl Browser {
    pub fn new(app: &TestApp) -> Self {
        Self {
            base: app.base.clone(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: HashMap::new(),
        }
    }

    fn keep(&mut self, headers: &HeaderMap) {
        for value in headers.get_all(SET_COOKIE) {
            let value = value.to_str().unwrap();
            let (pair, attributes) = value.split_once(';').unwrap_or((value, ""));
            let (name, v) = pair.split_once('=').unwrap();
            if attributes.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), v.to_owned());
            }
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn get(&mut self, path: &str) -> Response {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        self.keep(r.headers());
        r
    }

    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Response {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .form(form)
            .send()
            .await
            .unwrap();
        self.keep(r.headers());
        r
    }

    /// The CSRF token of the first form on the page at `path`.
    async fn csrf(&mut self, path: &str) -> String {
        let html = self.get(path).await.text().await.unwrap();
        field(&html, r#"name="csrf""#)
    }

    pub async fn login(&mut self, name: &str, password: &str) -> Response {
        let token = self.csrf("/console/login").await;
        self.post(
            "/console/login",
            &[("csrf", &token), ("username", name), ("password", password)],
        )
        .await
    }
}

/// The `value` of the first element that has `marker`.
fn field(html: &str, marker: &str) -> String {
    let at = html
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} in {html}"));
    let rest = &html[at..];
    let start = rest.find(r#"value=""#).unwrap() + 7;
    let end = rest[start..].find('"').unwrap();
    rest[start..start + end].to_owned()
}

fn credentials(app: &TestApp) -> (String, String) {
    let path = app.data_dir.path().join("admin-credentials.json");
    let creds: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    (
        creds["console_user"].as_str().unwrap().to_owned(),
        creds["console_password"].as_str().unwrap().to_owned(),
    )
}

async fn logged_in(app: &TestApp) -> Browser {
    let (user, password) = credentials(app);
    let mut browser = Browser::new(app);
    let r = browser.login(&user, &password).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    browser
}

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
async fn every_console_page_carries_the_security_headers() {
    let app = spawn_app().await;
    let mut browser = logged_in(&app).await;
    let check = |path: &str, headers: &HeaderMap| {
        let h = |name: &str| headers.get(name).map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(
            h("content-security-policy").as_deref(),
            Some("default-src 'self'; frame-ancestors 'none'"),
            "{path}"
        );
        assert_eq!(h("x-frame-options").as_deref(), Some("DENY"), "{path}");
        assert_eq!(h("cache-control").as_deref(), Some("no-store"), "{path}");
        assert_eq!(
            h("referrer-policy").as_deref(),
            Some("no-referrer"),
            "{path}"
        );
    };
    for path in [
        "/console",
        "/console/login",
        "/console/clients",
        "/console/clients?prefix=adm",
        "/console/clients/new",
        "/console/clients/admin",
        "/console/clients/admin/remove",
        "/console/keys",
        "/console/directory/users",
        "/console/directory/roles",
        "/console/directory/wfcs",
        "/console/directory/orgs",
        "/console/directory/ous",
        "/console/directory/depts",
        "/console/directory/services",
        "/console/audit",
        "/console/static/console.css",
        "/console/static/copy.js",
        "/console/no-such-page",
    ] {
        let r = browser.get(path).await;
        assert!(r.status().as_u16() < 500, "{path}: {}", r.status());
        check(path, r.headers());
    }
    let refused = browser.post("/console/keys/rotate", &[]).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    check("refused POST", refused.headers());
    let html = browser.get("/console/clients").await.text().await.unwrap();
    assert!(!html.contains("<script>"), "no inline script");
}

#[tokio::test]
async fn a_post_without_the_session_token_changes_nothing() {
    let app = spawn_app().await;
    app.register("victim", &["https://api.example"], &[]).await;
    let mut browser = logged_in(&app).await;
    let r = browser
        .post("/console/clients/victim/disable", &[("csrf", "forged")])
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = browser.post("/console/clients/victim/disable", &[]).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let client = app
        .admin(reqwest::Method::GET, "/admin/clients/victim", None)
        .await;
    assert_eq!(client.json::<Value>().await.unwrap()["disabled"], false);
    let token = browser.csrf("/console/clients/victim").await;
    let r = browser
        .post("/console/clients/victim/disable", &[("csrf", &token)])
        .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let client = app
        .admin(reqwest::Method::GET, "/admin/clients/victim", None)
        .await;
    assert_eq!(client.json::<Value>().await.unwrap()["disabled"], true);
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
async fn a_new_clients_secret_is_shown_once_in_the_post_answer_and_gets_tokens() {
    let app = spawn_app().await;
    let mut browser = logged_in(&app).await;
    let token = browser.csrf("/console/clients/new").await;
    let r = browser
        .post(
            "/console/clients",
            &[
                ("csrf", &token),
                ("client_id", "billing"),
                (
                    "audiences",
                    "https://billing.example\nhttps://ledger.example",
                ),
                ("scopes", "read write"),
                ("grants", "client_credentials"),
                ("token_ttl", "600"),
                ("alg", "ES256"),
            ],
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK, "answered in place, no redirect");
    let html = r.text().await.unwrap();
    let secret = field(&html, r#"id="secret""#);
    let got = app
        .token_post(
            "billing",
            &secret,
            &[("audience", "https://ledger.example")],
        )
        .await;
    assert_eq!(got.status(), StatusCode::OK);
    let detail = browser
        .get("/console/clients/billing")
        .await
        .text()
        .await
        .unwrap();
    assert!(!detail.contains(&secret));
    assert!(detail.contains("ES256"));
}

#[tokio::test]
async fn the_console_switched_off_has_no_routes() {
    let app = spawn_with(|s| s.console.enabled = false).await;
    for path in ["/console", "/console/login", "/console/static/copy.js"] {
        let r = app.get(path).await;
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
    }
}

#[tokio::test]
async fn operators_are_managed_through_the_admin_api_and_removal_ends_their_sessions() {
    let app = spawn_app().await;
    let added = app
        .admin(
            reqwest::Method::POST,
            "/admin/operators",
            Some(json!({"name": "ops", "password": "a long enough password"})),
        )
        .await;
    assert_eq!(added.status(), StatusCode::CREATED);
    let added: Value = added.json().await.unwrap();
    assert!(added.get("password_phc").is_none());
    let mut browser = Browser::new(&app);
    let r = browser.login("ops", "a long enough password").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let list: Value = app
        .admin(reqwest::Method::GET, "/admin/operators", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list.as_array().unwrap().len(), 2);
    let gone = app
        .admin(reqwest::Method::DELETE, "/admin/operators/ops", None)
        .await;
    assert_eq!(gone.status(), StatusCode::OK);
    let r = browser.get("/console/clients").await;
    assert_eq!(r.headers()[LOCATION], "/console/login");
}

fn record(id: &str) -> ClientRecord {
    ClientRecord {
        client_id: id.to_owned(),
        secret_sha256: "00".repeat(32),
        previous_secret: None,
        audiences: vec!["https://api.example".into()],
        scopes: vec![],
        grants: vec!["client_credentials".into()],
        token_ttl: 3600,
        disabled: false,
        created_at: 1,
        alg: "RS512".into(),
        registration: 1,
    }
}

#[tokio::test]
async fn the_paged_read_walks_thousands_of_clients_by_prefix_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let records: Vec<ClientRecord> = (0..3000)
        .map(|i| record(&format!("{}-{i:05}", ["alpha", "beta", "gamma"][i % 3])))
        .collect();
    store.import_clients(&records).await.unwrap();
    let mut seen = Vec::new();
    let mut after: Option<ClientId> = None;
    loop {
        let page = store.page("beta-", after.as_ref(), 64).unwrap();
        assert!(page.len() <= 64);
        let Some(last) = page.last() else { break };
        after = Some(last.id.clone());
        seen.extend(page.iter().map(|c| c.id.as_str().to_owned()));
    }
    let expected: Vec<String> = (0..3000)
        .filter(|i| i % 3 == 1)
        .map(|i| format!("beta-{i:05}"))
        .collect();
    assert_eq!(seen, expected);
    let first = store.page("", None, 3).unwrap();
    let ids: Vec<&str> = first.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["alpha-00000", "alpha-00003", "alpha-00006"]);
    assert!(store.page("delta", None, 10).unwrap().is_empty());
    let after_all = ClientId::parse("zzz").unwrap();
    assert!(store.page("", Some(&after_all), 10).unwrap().is_empty());
}

#[tokio::test]
async fn the_client_list_searches_by_prefix_and_links_the_next_page() {
    let app = spawn_app().await;
    for i in 0..55 {
        app.register(&format!("svc-{i:03}"), &["https://api.example"], &[])
            .await;
    }
    let mut browser = logged_in(&app).await;
    let first = browser
        .get("/console/clients?prefix=svc-")
        .await
        .text()
        .await
        .unwrap();
    assert!(first.contains("svc-000") && first.contains("svc-049"));
    assert!(!first.contains("svc-050") && !first.contains("/console/clients/admin\""));
    let next = first.split("href=\"/console/clients?").nth(1).unwrap();
    let next = &next[..next.find('"').unwrap()].replace("&amp;", "&");
    let second = browser
        .get(&format!("/console/clients?{next}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(second.contains("svc-050") && second.contains("svc-054"));
    assert!(!second.contains("svc-049") && !second.contains("rel=\"next\""));
}
