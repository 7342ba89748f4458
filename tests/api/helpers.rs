//! `spawn_app`: a real dealer on 127.0.0.1:0 with temporary data and keys dirs, and a client for it.

use std::path::PathBuf;

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use reqwest::Response;
use serde_json::{Value, json};
use tempfile::TempDir;
use tokendealer::domain::users::UserSettings;
use tokendealer::{Application, Settings};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

pub const ADMIN_AUDIENCE: &str = "urn:tokendealer:admin";
pub const ADMIN_SCOPE: &str = "tokendealer:admin";

pub struct TestApp {
    pub base: String,
    pub issuer: String,
    pub data_dir: TempDir,
    pub keys_dir: TempDir,
    pub admin_id: String,
    pub admin_secret: String,
    pub http: reqwest::Client,
    /// `http://ADDR` of the metrics listener, when the settings ask for one.
    pub metrics_base: Option<String>,
    /// With TLS: what SIGHUP calls to reload the certificate.
    pub tls_reloader: Option<tokendealer::server::CertificateReloader>,
    /// What the app was built with, so that a restart keeps a test's tweaks.
    settings: Settings,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<anyhow::Result<()>>>,
}

/// A registered client as the admin API returned it (with its one-time secret); also any
/// id and secret pair a test authenticates with.
pub struct Registered {
    pub id: String,
    pub secret: String,
    pub body: Value,
}

pub async fn spawn_app() -> TestApp {
    spawn_with(|_| {}).await
}

/// Starts a dealer after `tweak` has adjusted its settings (cheap argon2 parameters by default).
pub async fn spawn_with(tweak: impl FnOnce(&mut Settings)) -> TestApp {
    let data_dir = tempfile::tempdir().unwrap();
    let keys_dir = tempfile::tempdir().unwrap();
    let mut settings = settings_for(data_dir.path().into(), keys_dir.path().into());
    if let Some(url) = fresh_database().await {
        use_postgres(&mut settings, &url);
    }
    tweak(&mut settings);
    start(settings, data_dir, keys_dir).await
}

/// The superuser URL of a throwaway PostgreSQL cluster: when set, every app gets a fresh
/// database there and runs on PostgreSQL instead of sled.
pub const TEST_DATABASE_ENV: &str = "TOKENDEALER_TEST_DATABASE_URL";

/// Whether this run tests the PostgreSQL engine.
pub fn on_postgres() -> bool {
    std::env::var_os(TEST_DATABASE_ENV).is_some()
}

/// A new, empty database on the test cluster (`td_<random>`), as a URL; `None` without one.
pub async fn fresh_database() -> Option<String> {
    let admin_url = std::env::var(TEST_DATABASE_ENV).ok()?;
    let (client, connection) = tokio_postgres::connect(&admin_url, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("connecting to {TEST_DATABASE_ENV}: {e}"));
    tokio::spawn(connection);
    let name = format!("td_{}", hex::encode(rand::random::<[u8; 8]>()));
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    let (base, query) = admin_url.split_once('?').unwrap_or((&admin_url, ""));
    let base = base.rsplit_once('/').map_or(base, |(b, _)| b);
    let query = if query.is_empty() {
        String::new()
    } else {
        format!("?{query}")
    };
    Some(format!("{base}/{name}{query}"))
}

/// Points `settings` at the database `url`, with a master key file in the data dir and a small
/// pool (the suite starts many apps at once).
pub fn use_postgres(settings: &mut Settings, url: &str) {
    use std::os::unix::fs::OpenOptionsExt;
    let key_file = settings.data_dir.join("master.key");
    if !key_file.exists() {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&key_file)
            .unwrap();
        std::io::Write::write_all(&mut f, hex::encode(rand::random::<[u8; 32]>()).as_bytes())
            .unwrap();
    }
    settings.database_url = Some(url.parse().unwrap());
    settings.master_key_file = Some(key_file);
    settings.database_pool_size = 4;
}

fn settings_for(data_dir: PathBuf, keys_dir: PathBuf) -> Settings {
    Settings {
        listen: "127.0.0.1:0".parse().unwrap(),
        data_dir,
        keys_dir,
        users: UserSettings::for_tests(),
        ..Settings::default()
    }
}

async fn start(settings: Settings, data_dir: TempDir, keys_dir: TempDir) -> TestApp {
    // No retry after a restart: a stopped server has awaited every connection task, so nothing
    // of it still holds sled's file lock.
    let app = Application::build(settings.clone())
        .await
        .unwrap_or_else(|e| panic!("the application builds: {e:#}"));
    let scheme = if settings.tls.files.is_some() {
        "https"
    } else {
        "http"
    };
    let base = format!("{scheme}://{}", app.local_addr());
    let tls_reloader = app.tls_reloader();
    let issuer = app.issuer().to_owned();
    let metrics_base = app.metrics_addr().map(|a| format!("http://{a}"));
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));
    let mut app = TestApp::attach(base, data_dir, keys_dir);
    app.issuer = issuer;
    app.metrics_base = metrics_base;
    app.tls_reloader = tls_reloader;
    app.settings = settings;
    app.stop = Some(stop);
    app.server = Some(server);
    app
}

impl TestApp {
    /// A client for a dealer serving at `base` on these dirs, run by someone else (such as
    /// [`crate::cli::serve_process`]); it takes the admin credentials from the bootstrap file.
    pub fn attach(base: String, data_dir: TempDir, keys_dir: TempDir) -> Self {
        let creds: Value = serde_json::from_slice(
            &std::fs::read(data_dir.path().join("admin-credentials.json")).unwrap(),
        )
        .unwrap();
        TestApp {
            issuer: base.clone(),
            base,
            admin_id: creds["client_id"].as_str().unwrap().to_owned(),
            admin_secret: creds["client_secret"].as_str().unwrap().to_owned(),
            settings: settings_for(data_dir.path().into(), keys_dir.path().into()),
            data_dir,
            keys_dir,
            http: reqwest::Client::new(),
            metrics_base: None,
            tls_reloader: None,
            stop: None,
            server: None,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Stops the server, waits for it to drain, and starts a new one on the same dirs.
    pub async fn restart(mut self) -> TestApp {
        self.stop().await;
        let mut settings = self.settings.clone();
        // The same issuer, so tokens from before stay valid; a fresh port, since the old one
        // may have been taken by a parallel test the moment it was released.
        settings.issuer = Some(self.issuer.clone());
        let mut app = start(settings, self.data_dir, self.keys_dir).await;
        // The bootstrap file is not rewritten on restart; keep the original admin secret.
        app.admin_secret = self.admin_secret;
        app
    }

    /// Stops the server and starts it again on the same dirs with `tweak` applied to its
    /// settings (another engine, say).
    pub async fn restart_with(mut self, tweak: impl FnOnce(&mut Settings)) -> TestApp {
        tweak(&mut self.settings);
        self.restart().await
    }

    /// Stores a client the way an older release could register it, with an id the admin API
    /// now refuses (outside RFC 3986 unreserved characters), then restarts on the same dirs.
    pub async fn restart_with_stored_client(
        mut self,
        id: &str,
        audience: &str,
    ) -> (TestApp, Registered) {
        use tokendealer::domain::keys::SigningAlg;
        use tokendealer::domain::{
            Audience, ClientId, ClientRegistry, GrantType, NewClient, ScopeSet, UnixTime,
        };
        self.stop().await;
        let secret = {
            let pg = self.postgres().await;
            let store: std::sync::Arc<dyn tokendealer::domain::ports::ClientStore> = match &pg {
                Some(pg) => std::sync::Arc::new(pg.clone()),
                None => std::sync::Arc::new(open_store(self.data_dir.path()).await),
            };
            let registry = ClientRegistry::new(store.clone());
            let new = NewClient {
                id: ClientId::parse(id).unwrap(),
                audiences: vec![Audience::parse(audience).unwrap()],
                scopes: ScopeSet::default(),
                grants: vec![GrantType::ClientCredentials],
                token_ttl: 300,
                alg: SigningAlg::default(),
                auth_method: Default::default(),
                dpop_bound: false,
            };
            let (_, secret) = registry.register(new, UnixTime::now()).await.unwrap();
            if let Some(pg) = pg {
                pg.close();
            }
            secret.expose().to_owned()
        };
        let client = Registered {
            id: id.to_owned(),
            secret,
            body: Value::Null,
        };
        (self.restart().await, client)
    }

    /// Changes a stored user with `change` while the server is stopped, past every check of the
    /// admin API (as an older release could have stored it), then restarts on the same dirs.
    pub async fn restart_with_user_changed(
        mut self,
        username: &str,
        change: tokendealer::domain::ports::UserChange,
    ) -> TestApp {
        use tokendealer::domain::ports::DirectoryStore;
        self.stop().await;
        let pg = self.postgres().await;
        let store: std::sync::Arc<dyn DirectoryStore> = match &pg {
            Some(pg) => std::sync::Arc::new(pg.clone()),
            None => std::sync::Arc::new(
                tokendealer::storage::UserStore::open(&open_store(self.data_dir.path()).await)
                    .unwrap(),
            ),
        };
        assert!(store.update_user(username, change).await.unwrap());
        drop(store);
        if let Some(pg) = pg {
            pg.close();
        }
        self.restart().await
    }

    /// A second handle on this app's database, when it runs on PostgreSQL (`close` it after).
    pub async fn postgres(&self) -> Option<tokendealer::storage::PgStore> {
        let url = self.settings.database_url.clone()?;
        let (pg, _lock) = tokendealer::startup::open_postgres(&self.settings, url.expose(), None)
            .await
            .unwrap();
        Some(pg)
    }

    /// The private keys as stored (PEM tag, DER): the files in the keys dir on sled, the sealed
    /// rows on PostgreSQL.
    pub async fn stored_keys(&self) -> Vec<(String, Vec<u8>)> {
        use tokendealer::domain::ports::KeyMaterial;
        let keys = match self.postgres().await {
            Some(pg) => {
                let keys = pg.load_all().await.unwrap();
                pg.close();
                keys
            }
            None => {
                let files = tokendealer::storage::KeyFiles::open(self.keys_dir.path()).unwrap();
                KeyMaterial::load_all(&files).await.unwrap()
            }
        };
        keys.into_iter().map(|k| (k.tag, k.der)).collect()
    }

    pub async fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.unwrap().unwrap();
        }
    }

    /// POST /oauth/token with client_secret_post and extra form fields.
    pub async fn token_post(&self, id: &str, secret: &str, extra: &[(&str, &str)]) -> Response {
        let mut form = vec![
            ("grant_type", "client_credentials"),
            ("client_id", id),
            ("client_secret", secret),
        ];
        form.extend_from_slice(extra);
        self.http
            .post(self.url("/oauth/token"))
            .form(&form)
            .send()
            .await
            .unwrap()
    }

    /// POST /oauth/token with client_secret_basic and extra form fields.
    pub async fn token_basic(&self, id: &str, secret: &str, extra: &[(&str, &str)]) -> Response {
        let mut form = vec![("grant_type", "client_credentials")];
        form.extend_from_slice(extra);
        self.http
            .post(self.url("/oauth/token"))
            .basic_auth(id, Some(secret))
            .form(&form)
            .send()
            .await
            .unwrap()
    }

    /// The bootstrap admin client's id and secret.
    pub fn admin_client(&self) -> Registered {
        Registered {
            id: self.admin_id.clone(),
            secret: self.admin_secret.clone(),
            body: Value::Null,
        }
    }

    pub async fn admin_token(&self) -> String {
        let r = self
            .token_basic(
                &self.admin_id,
                &self.admin_secret,
                &[("audience", ADMIN_AUDIENCE), ("scope", ADMIN_SCOPE)],
            )
            .await;
        assert_eq!(r.status(), 200, "the admin gets a token");
        r.json::<Value>().await.unwrap()["access_token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// An admin API call with a fresh admin token.
    pub async fn admin(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Response {
        let token = self.admin_token().await;
        self.admin_as(&token, method, path, body).await
    }

    /// An admin API call with the bearer token given: one of another admin client, of
    /// another algorithm, from before a rotation, or forged.
    pub async fn admin_as(
        &self,
        token: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Response {
        let mut req = self.http.request(method, self.url(path)).bearer_auth(token);
        if let Some(body) = body {
            req = req.json(&body);
        }
        req.send().await.unwrap()
    }

    pub async fn register(&self, id: &str, audiences: &[&str], scopes: &[&str]) -> Registered {
        self.register_with(json!({ "client_id": id, "audiences": audiences, "scopes": scopes }))
            .await
    }

    pub async fn register_with(&self, body: Value) -> Registered {
        let r = self
            .admin(reqwest::Method::POST, "/admin/clients", Some(body))
            .await;
        assert_eq!(r.status(), 201, "the client is registered");
        let body: Value = r.json().await.unwrap();
        Registered {
            id: body["client_id"].as_str().unwrap().to_owned(),
            secret: body["client_secret"].as_str().unwrap().to_owned(),
            body,
        }
    }

    /// A token for a registered client, from a successful request.
    pub async fn access_token(&self, client: &Registered, extra: &[(&str, &str)]) -> String {
        let r = self.token_post(&client.id, &client.secret, extra).await;
        assert_eq!(r.status(), 200);
        r.json::<Value>().await.unwrap()["access_token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// GET `path`, without credentials.
    pub async fn get(&self, path: &str) -> Response {
        self.http.get(self.url(path)).send().await.unwrap()
    }

    /// The authorization server metadata (RFC 8414).
    pub async fn metadata(&self) -> Value {
        let r = self.get("/.well-known/oauth-authorization-server").await;
        r.json().await.unwrap()
    }

    /// POSTs `token=<token>` to `path` (`/oauth/introspect` or `/oauth/revoke`) as `who`.
    pub async fn post_token(&self, path: &str, who: &Registered, token: &str) -> Response {
        self.http
            .post(self.url(path))
            .basic_auth(&who.id, Some(&who.secret))
            .form(&[("token", token), ("token_type_hint", "access_token")])
            .send()
            .await
            .unwrap()
    }

    /// The introspection answer for `token`, asked by `who`; checks status and caching.
    pub async fn introspect(&self, who: &Registered, token: &str) -> Value {
        let r = self.post_token("/oauth/introspect", who, token).await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()["cache-control"], "no-store");
        r.json().await.unwrap()
    }

    /// Revokes `token` as `who`; checks the RFC 7009 answer: 200, empty body.
    pub async fn revoke(&self, who: &Registered, token: &str) {
        let r = self.post_token("/oauth/revoke", who, token).await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.text().await.unwrap(), "");
    }

    /// The registered clients, as `GET /admin/clients` lists them.
    pub async fn clients(&self) -> Vec<Value> {
        let r = self
            .admin(reqwest::Method::GET, "/admin/clients", None)
            .await;
        assert_eq!(r.status(), 200);
        r.json::<Value>().await.unwrap().as_array().unwrap().clone()
    }

    /// The JWKS as raw JSON, members the typed [`JwkSet`] does not keep included.
    pub async fn jwks_json(&self) -> Value {
        self.get("/.well-known/jwks.json")
            .await
            .json()
            .await
            .unwrap()
    }

    pub async fn jwks(&self) -> JwkSet {
        serde_json::from_value(self.jwks_json().await).unwrap()
    }

    /// Verifies a token the way a service would: against the published JWKS, by `kid`.
    pub async fn verify_with_jwks(
        &self,
        token: &str,
        audience: &str,
    ) -> jsonwebtoken::errors::Result<Value> {
        let kid = jsonwebtoken::decode_header(token)?.kid.unwrap_or_default();
        let jwks = self.jwks().await;
        let jwk = jwks
            .find(&kid)
            .ok_or(jsonwebtoken::errors::ErrorKind::InvalidKeyFormat)?;
        let mut validation = Validation::new(Algorithm::RS512);
        validation.set_audience(&[audience]);
        validation.set_issuer(&[&self.issuer]);
        Ok(jsonwebtoken::decode::<Value>(token, &DecodingKey::from_jwk(jwk)?, &validation)?.claims)
    }
}

/// Opens the store of a stopped dealer, retrying while its last connections let go of the lock.
async fn open_store(dir: &std::path::Path) -> tokendealer::storage::Store {
    for _ in 0..50 {
        if let Ok(store) = tokendealer::storage::Store::open(dir) {
            return store;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    tokendealer::storage::Store::open(dir).unwrap()
}

/// The payload of a JWT, without checking anything: for asserting on claims.
pub fn claims_of(token: &str) -> Value {
    jws_segment(token, 1)
}

pub fn header_of(token: &str) -> Value {
    jws_segment(token, 0)
}

fn jws_segment(token: &str, n: usize) -> Value {
    use base64::Engine;
    let segment = token.split('.').nth(n).unwrap();
    let json = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(segment);
    serde_json::from_slice(&json.unwrap()).unwrap()
}
