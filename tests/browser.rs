//! The console in a real browser: Debian's chromium, headless, driven through chromedriver by
//! fantoccini. Log in, register a client, read its secret once, get a token with it, rotate the
//! secret, disable the client (its token is refused), register a `private_key_jwt` client by
//! pasting its JWK Set and read its method on its page, log out; a PNG of each page is saved under
//! `target/console-screenshots/`.
//!
//! `cargo test --test browser -- --ignored` (needs `chromium` and `chromium-driver`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};
use tokendealer::domain::keys::{SigningAlg, SigningKey};
use tokendealer::domain::users::UserSettings;
use tokendealer::{Application, Settings};

/// chromedriver, stopped when dropped.
struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn start_driver() -> (Driver, String) {
    let port = free_port();
    let child = Command::new(std::env::var("CHROMEDRIVER").unwrap_or("chromedriver".into()))
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver is installed (apt-get install chromium chromium-driver)");
    let driver = Driver(child);
    let deadline = Instant::now() + Duration::from_secs(20);
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(Instant::now() < deadline, "chromedriver did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    (driver, format!("http://127.0.0.1:{port}"))
}

async fn browser(webdriver: &str) -> Client {
    let chromium = std::env::var("CHROMIUM").unwrap_or("/usr/bin/chromium".into());
    let caps = json!({
        "goog:chromeOptions": {
            "binary": chromium,
            "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--disable-gpu", "--window-size=1280,900"],
        }
    });
    let Value::Object(caps) = caps else {
        unreachable!()
    };
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    ClientBuilder::new(connector)
        .capabilities(caps)
        .connect(webdriver)
        .await
        .expect("a chromium session")
}

fn screenshots() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target"),
        PathBuf::from,
    );
    let dir = target.join("console-screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

async fn snap(client: &Client, name: &str) {
    let png = client.screenshot().await.unwrap();
    std::fs::write(screenshots().join(format!("{name}.png")), png).unwrap();
}

async fn token(base: &str, id: &str, secret: &str) -> reqwest::StatusCode {
    reqwest::Client::new()
        .post(format!("{base}/oauth/token"))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", id),
            ("client_secret", secret),
            ("audience", "https://shop.example"),
        ])
        .send()
        .await
        .unwrap()
        .status()
}

async fn fill(client: &Client, id: &str, text: &str) {
    let field = client.find(Locator::Id(id)).await.unwrap();
    field.clear().await.unwrap();
    field.send_keys(text).await.unwrap();
}

async fn click(client: &Client, css: &str) {
    client
        .find(Locator::Css(css))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
}

/// The page's `h1` once it reads `expected`, or the last one seen after 10 s. A click that
/// navigates can leave the old page's heading in view for a moment (then stale): polled, not
/// read once.
async fn heading(client: &Client, expected: &str) -> String {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let mut last = String::new();
    while std::time::Instant::now() < deadline {
        if let Ok(h1) = client.find(Locator::Css("h1")).await
            && let Ok(text) = h1.text().await
        {
            if text == expected {
                return text;
            }
            last = text;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    last
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs chromium and chromedriver; run by .ci/run"]
async fn an_operator_registers_rotates_and_disables_a_client_in_chromium() {
    let data = tempfile::tempdir().unwrap();
    let keys = tempfile::tempdir().unwrap();
    let settings = Settings {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: data.path().into(),
        keys_dir: keys.path().into(),
        users: UserSettings::for_tests(),
        ..Settings::default()
    };
    let app = Application::build(settings).await.unwrap();
    let base = format!("http://{}", app.local_addr());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));
    let creds: Value =
        serde_json::from_slice(&std::fs::read(data.path().join("admin-credentials.json")).unwrap())
            .unwrap();

    let (_driver, webdriver) = start_driver().await;
    let c = browser(&webdriver).await;

    c.goto(&format!("{base}/console")).await.unwrap();
    assert_eq!(heading(&c, "Log in").await, "Log in");
    snap(&c, "01-login").await;
    fill(&c, "username", creds["console_user"].as_str().unwrap()).await;
    fill(&c, "password", creds["console_password"].as_str().unwrap()).await;
    click(&c, "main form button[type=submit]").await;
    assert_eq!(heading(&c, "Clients").await, "Clients");
    snap(&c, "02-clients").await;

    c.find(Locator::LinkText("Register a client"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert_eq!(heading(&c, "Register a client").await, "Register a client");
    fill(&c, "client_id", "web-shop").await;
    fill(&c, "audiences", "https://shop.example").await;
    fill(&c, "scopes", "orders:read orders:write").await;
    snap(&c, "03-register").await;
    click(&c, "main form button[type=submit]").await;
    assert_eq!(heading(&c, "Client registered").await, "Client registered");
    let secret = c
        .find(Locator::Id("secret"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
        .unwrap();
    let copy = c.find(Locator::Css("button[data-copy]")).await.unwrap();
    assert!(
        copy.is_displayed().await.unwrap(),
        "the script shows the copy button"
    );
    snap(&c, "04-secret-once").await;
    assert!(!c.current_url().await.unwrap().as_str().contains(&secret));
    assert_eq!(token(&base, "web-shop", &secret).await, 200);

    click(&c, "a.done").await;
    assert_eq!(heading(&c, "Client web-shop").await, "Client web-shop");
    assert!(!c.source().await.unwrap().contains(&secret), "shown once");
    snap(&c, "05-client").await;
    click(&c, "form[action$='/rotate'] button").await;
    assert_eq!(heading(&c, "Secret rotated").await, "Secret rotated");
    let rotated = c
        .find(Locator::Id("secret"))
        .await
        .unwrap()
        .prop("value")
        .await
        .unwrap()
        .unwrap();
    snap(&c, "06-rotated").await;
    assert_ne!(rotated, secret);
    assert_eq!(
        token(&base, "web-shop", &secret).await,
        401,
        "no grace period"
    );
    assert_eq!(token(&base, "web-shop", &rotated).await, 200);

    click(&c, "a.done").await;
    click(&c, "form[action$='/disable'] button").await;
    assert_eq!(heading(&c, "Client web-shop").await, "Client web-shop");
    snap(&c, "07-disabled").await;
    assert_eq!(token(&base, "web-shop", &rotated).await, 401);

    c.find(Locator::LinkText("Keys"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert_eq!(heading(&c, "Keys").await, "Keys");
    snap(&c, "08-keys").await;
    c.find(Locator::LinkText("Orgs"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    fill(&c, "name", "acme").await;
    click(&c, "main form.stack button[type=submit]").await;
    assert_eq!(heading(&c, "Organizations").await, "Organizations");
    let table = c
        .find(Locator::Css("main table"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(table.contains("acme"), "{table}");
    snap(&c, "09-orgs").await;

    // A private_key_jwt client: its public JWK Set pasted, its method and kid on its page.
    let (key, _) = SigningKey::generate_for(SigningAlg::EdDsa).unwrap();
    let mut jwk = key.jwk().clone();
    jwk.common.key_id = Some("batch-2026".into());
    let set = json!({ "keys": [jwk] }).to_string();
    c.find(Locator::LinkText("Clients"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert_eq!(heading(&c, "Clients").await, "Clients");
    c.find(Locator::LinkText("Register a client"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert_eq!(heading(&c, "Register a client").await, "Register a client");
    fill(&c, "client_id", "batch").await;
    fill(&c, "audiences", "https://shop.example").await;
    let jwks = c.find(Locator::Id("jwks")).await.unwrap();
    assert!(
        !jwks.is_displayed().await.unwrap(),
        "the stylesheet shows the chosen method's fields alone"
    );
    click(&c, "#auth-keys").await;
    fill(&c, "jwks", &set).await;
    snap(&c, "10-register-with-keys").await;
    click(&c, "main form button[type=submit]").await;
    assert_eq!(heading(&c, "Client batch").await, "Client batch");
    let method = c.find(Locator::Id("auth-method")).await.unwrap();
    assert!(method.text().await.unwrap().contains("private_key_jwt"));
    let keys = c.find(Locator::Id("auth-keys")).await.unwrap();
    assert!(keys.text().await.unwrap().contains("batch-2026"));
    snap(&c, "11-client-with-keys").await;

    click(&c, "form.logout button").await;
    assert_eq!(heading(&c, "Log in").await, "Log in");
    snap(&c, "12-logged-out").await;
    c.goto(&format!("{base}/console/clients")).await.unwrap();
    assert_eq!(heading(&c, "Log in").await, "Log in", "the session is gone");

    c.close().await.unwrap();
    let _ = stop.send(());
    server.await.unwrap().unwrap();
}
