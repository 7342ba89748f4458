//! A dealer on port 0 with temporary dirs, and the calls the introspection tests make.

use std::path::Path;

use reqwest::Response;
use serde_json::Value;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A fixed issuer, so tokens stay ours across a restart on another port.
pub const ISSUER: &str = "http://tokendealer.test";

/// Where an app keeps its state; outlives the apps built on it.
pub struct Dirs {
    pub data: tempfile::TempDir,
    pub keys: tempfile::TempDir,
}

impl Dirs {
    pub fn new() -> Self {
        Self {
            data: tempfile::tempdir().unwrap(),
            keys: tempfile::tempdir().unwrap(),
        }
    }
}

pub struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    pub admin: Creds,
    /// Present when the app runs in this process; absent for one [attached](TestApp::attach) to.
    served: Option<(oneshot::Sender<()>, JoinHandle<anyhow::Result<()>>)>,
}

#[derive(Clone, Debug)]
pub struct Creds {
    pub id: String,
    pub secret: String,
}

pub async fn spawn_app(dirs: &Dirs) -> TestApp {
    let settings = tokendealer::Settings {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir: dirs.data.path().to_owned(),
        keys_dir: dirs.keys.path().to_owned(),
        issuer: Some(ISSUER.to_owned()),
        ..Default::default()
    };
    // sled holds a file lock until the previous app's last handle is gone: retry briefly.
    let mut attempts = 0;
    let app = loop {
        match tokendealer::Application::build(settings.clone()).await {
            Ok(app) => break app,
            Err(_) if attempts < 50 => {
                attempts += 1;
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            Err(e) => panic!("building the app: {e:#}"),
        }
    };
    let base = format!("http://{}", app.local_addr());
    let (stop, stop_rx) = oneshot::channel::<()>();
    let served = tokio::spawn(app.run_until(async {
        stop_rx.await.ok();
    }));
    TestApp {
        served: Some((stop, served)),
        ..TestApp::attach(base, dirs)
    }
}

fn admin_creds(data_dir: &Path) -> Creds {
    let text = std::fs::read(data_dir.join("admin-credentials.json")).unwrap();
    let doc: Value = serde_json::from_slice(&text).unwrap();
    Creds {
        id: doc["client_id"].as_str().unwrap().to_owned(),
        secret: doc["client_secret"].as_str().unwrap().to_owned(),
    }
}

impl TestApp {
    /// Talks to a dealer already serving at `base` on `dirs`.
    pub fn attach(base: String, dirs: &Dirs) -> Self {
        Self {
            base,
            http: reqwest::Client::new(),
            admin: admin_creds(dirs.data.path()),
            served: None,
        }
    }

    /// Stops serving and waits until the app has let go of its storage.
    pub async fn stop(self) {
        drop(self.http);
        if let Some((stop, served)) = self.served {
            let _ = stop.send(());
            served.await.unwrap().unwrap();
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A token for `who` from the token endpoint, with extra form fields.
    pub async fn token(&self, who: &Creds, extra: &[(&str, &str)]) -> String {
        let mut form = vec![("grant_type", "client_credentials")];
        form.extend_from_slice(extra);
        let r = self
            .http
            .post(self.url("/oauth/token"))
            .basic_auth(&who.id, Some(&who.secret))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "token for {}", who.id);
        let body: Value = r.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_owned()
    }

    pub async fn admin_token(&self) -> String {
        let extra = [
            ("audience", "urn:tokendealer:admin"),
            ("scope", "tokendealer:admin"),
        ];
        self.token(&self.admin.clone(), &extra).await
    }

    /// Registers a client for audience `https://api.test` with `scopes`.
    pub async fn register(&self, id: &str, scopes: &[&str]) -> Creds {
        let body = serde_json::json!({
            "client_id": id, "audiences": ["https://api.test"], "scopes": scopes,
        });
        let r = self
            .http
            .post(self.url("/admin/clients"))
            .bearer_auth(self.admin_token().await)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 201, "registering {id}");
        let created: Value = r.json().await.unwrap();
        Creds {
            id: id.to_owned(),
            secret: created["client_secret"].as_str().unwrap().to_owned(),
        }
    }

    /// POSTs `token=<token>` to `path` (`/oauth/introspect` or `/oauth/revoke`) as `who`.
    pub async fn post_token(&self, path: &str, who: &Creds, token: &str) -> Response {
        self.http
            .post(self.url(path))
            .basic_auth(&who.id, Some(&who.secret))
            .form(&[("token", token), ("token_type_hint", "access_token")])
            .send()
            .await
            .unwrap()
    }

    /// The introspection answer for `token`, asked by `who`; checks status and caching.
    pub async fn introspect(&self, who: &Creds, token: &str) -> Value {
        let r = self.post_token("/oauth/introspect", who, token).await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["cache-control"], "no-store");
        r.json().await.unwrap()
    }

    /// Revokes `token` as `who`; checks the RFC 7009 answer: 200, empty body.
    pub async fn revoke(&self, who: &Creds, token: &str) {
        let r = self.post_token("/oauth/revoke", who, token).await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.text().await.unwrap(), "");
    }
}

pub fn inactive() -> Value {
    serde_json::json!({ "active": false })
}
