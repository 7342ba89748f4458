//! Registering certificate clients: the admin API's rules, `client add --tls-*`, the console.

use reqwest::Method;
use serde_json::{Value, json};

use super::{ClientCa, ClientCert, cnf, register, spawn_mtls, token_by_certificate};
use crate::helpers::TestApp;
use crate::tls::{Pair, spawn_tls};

#[tokio::test]
async fn a_tls_client_has_no_secret_to_rotate() {
    let pair = Pair::new("mtls-rotate");
    let (app, _dir) = spawn_tls(&pair, |_| {}).await;
    let cert = ClientCert::self_signed("norotate");
    register(
        &app,
        json!({"client_id": "norotate", "audiences": ["https://api"],
               "tls_client_certificate": cert.pem}),
    )
    .await;
    let r = app
        .admin(
            Method::POST,
            "/admin/clients/norotate/rotate-secret",
            Some(json!({})),
        )
        .await;
    assert_eq!(r.status(), 409, "no secret to rotate");
    let r = app
        .admin(
            Method::POST,
            "/admin/clients",
            Some(json!({"client_id": "both", "audiences": ["https://api"],
                        "tls_client_certificate": cert.pem,
                        "tls_client_auth_subject_dn": "CN=both"})),
        )
        .await;
    assert_eq!(r.status(), 400, "one method at a time");
    let r = app
        .admin(
            Method::POST,
            "/admin/clients",
            Some(json!({"client_id": "bad-dn", "audiences": ["https://api"],
                        "tls_client_auth_subject_dn": "not a DN"})),
        )
        .await;
    assert_eq!(r.status(), 400, "a DN that is no RFC 4514 string");
}

/// `tokendealer ARGS` against the TLS app, trusting its CA in `dir`.
async fn cli_over_tls(app: &TestApp, pair: &Pair, dir: &std::path::Path, args: &[&str]) -> Value {
    let ca = dir.join("server-ca.pem");
    std::fs::write(&ca, &pair.ca_pem).unwrap();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_tokendealer"))
        .args(args)
        .args(["--url", &app.base, "--data-dir"])
        .arg(app.data_dir.path())
        .arg("--ca-cert")
        .arg(&ca)
        .env_remove("TOKENDEALER_ADMIN_CLIENT_ID")
        .env_remove("TOKENDEALER_ADMIN_CLIENT_SECRET")
        .output()
        .await
        .unwrap();
    crate::cli::json_out(&out)
}

#[tokio::test]
async fn client_add_registers_both_tls_methods_from_the_command_line() {
    let (pair, ca) = (Pair::new("mtls-cli"), ClientCa::new("cli"));
    let (app, dirs) = spawn_mtls(&pair, &ca).await;
    let dir = dirs.1.path();
    let added = cli_over_tls(
        &app,
        &pair,
        dir,
        &[
            "client",
            "add",
            "cli-dn",
            "--audience",
            "https://api",
            "--tls-subject",
            "CN=cli-dn,O=Example",
        ],
    )
    .await;
    assert_eq!(added["token_endpoint_auth_method"], "tls_client_auth");
    assert!(added.get("client_secret").is_none(), "{added}");
    let http = ca.issue("cli-dn").client(&pair.ca_pem);
    assert_eq!(token_by_certificate(&app, &http, "cli-dn").await.0, 200);

    let own = ClientCert::self_signed("cli-self");
    let file = dir.join("cli-self.pem");
    std::fs::write(&file, &own.pem).unwrap();
    let added = cli_over_tls(
        &app,
        &pair,
        dir,
        &[
            "client",
            "add",
            "cli-self",
            "--audience",
            "https://api",
            "--tls-cert-file",
            file.to_str().unwrap(),
        ],
    )
    .await;
    assert_eq!(added["tls_client_certificate_x5t#S256"], own.thumbprint());
    let (status, token) = token_by_certificate(&app, &own.client(&pair.ca_pem), "cli-self").await;
    assert_eq!(status, 200);
    assert_eq!(cnf(&token), json!({"x5t#S256": own.thumbprint()}));
}

#[tokio::test]
async fn the_console_registers_a_certificate_client_without_a_secret_and_shows_its_method() {
    // Registration needs no TLS; authentication does (the other tests).
    let app = crate::helpers::spawn_app().await;
    let mut browser = crate::console::logged_in(&app).await;
    let cert = ClientCert::self_signed("console-robot");
    let csrf = browser.csrf("/console/clients/new").await;
    let r = browser
        .post(
            "/console/clients",
            &[
                ("csrf", &csrf),
                ("client_id", "console-robot"),
                ("audiences", "https://api"),
                ("grants", "client_credentials"),
                ("tls_certificate", &cert.pem),
            ],
        )
        .await;
    assert_eq!(r.status(), 303, "no secret to show: to the client's page");
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(
        location.starts_with("/console/clients/console"),
        "{location}"
    );
    let page = browser.get(&location).await.text().await.unwrap();
    assert!(page.contains("self_signed_tls_client_auth"), "{page}");
    assert!(page.contains(&cert.thumbprint()));
    assert!(!page.contains("Rotate the secret"), "it has none");

    let csrf = browser.csrf("/console/clients/new").await;
    let r = browser
        .post(
            "/console/clients",
            &[
                ("csrf", &csrf),
                ("client_id", "console-dn"),
                ("audiences", "https://api"),
                ("grants", "client_credentials"),
                ("tls_subject_dn", "CN=console-dn,O=Example"),
            ],
        )
        .await;
    assert_eq!(r.status(), 303);
    let shown: Value = app
        .admin(Method::GET, "/admin/clients/console-dn", None)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(shown["token_endpoint_auth_method"], "tls_client_auth");
    assert_eq!(
        shown["tls_client_auth_subject_dn"],
        "CN=console-dn,O=Example"
    );
}
