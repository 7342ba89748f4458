//! Several dealers on one PostgreSQL database: changes on one instance are in force on the
//! others within a second.
//!
//! Every test here needs a PostgreSQL cluster, so each is `#[ignore]`d: a plain `cargo test`
//! lists them as ignored instead of passing them unrun. `.ci/run` runs them on its throwaway
//! cluster; by hand: `TOKENDEALER_TEST_DATABASE_URL=postgres://… cargo test --test api --
//! --ignored scale_out::` (`.ci/pg-cluster.sh start DIR` prints such a URL).

mod assertions;
mod changes;
mod dpop;
mod federation;
mod keys;
mod migrate;
mod outage;
mod revocation;
mod single_use;
mod tls;

use std::future::Future;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tempfile::TempDir;
use tokio::process::{Child, Command};

use crate::cli::free_address;
use crate::helpers::{TestApp, fresh_database, use_postgres};

/// The one issuer every instance behind the load balancer shares.
const ISSUER: &str = "http://dealers.test";
const API: &str = "https://api.example";

/// A fresh database on the test cluster; a test asked to run without one fails, saying why.
async fn database() -> String {
    fresh_database().await.expect(
        "needs PostgreSQL: set TOKENDEALER_TEST_DATABASE_URL to a superuser URL \
         (.ci/pg-cluster.sh start DIR prints one; .ci/run does it all)",
    )
}

/// One `tokendealer serve` process, and a client for it.
struct Node {
    app: TestApp,
    child: Child,
}

/// What the nodes of one test share: the database and the master key file.
struct Cluster {
    url: String,
    master: PathBuf,
    _dir: TempDir,
}

/// Starts the real binary on the database `url`, sharing the master key file `master`; with
/// `issuer` `None`, the instance has its own default issuer, `http://<listen>`.
async fn node(url: &str, master: &Path, issuer: Option<&str>) -> (String, TempDir, TempDir, Child) {
    node_with_env(url, master, issuer, &[]).await
}

/// [`node`], with more environment variables (settings) for the process.
async fn node_with_env(
    url: &str,
    master: &Path,
    issuer: Option<&str>,
    env: &[(&str, &str)],
) -> (String, TempDir, TempDir, Child) {
    let (data, keys) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let listen = free_address();
    let log = std::fs::File::create(data.path().join("serve.log")).unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_tokendealer"));
    command.args(["serve", "--listen", &listen]);
    if let Some(issuer) = issuer {
        command.args(["--issuer", issuer]);
    }
    let child = command
        .arg("--keys-dir")
        .arg(keys.path())
        .arg("--data-dir")
        .arg(data.path())
        .args(["--database-url", url, "--master-key-file"])
        .arg(master)
        .env("TOKENDEALER_DATABASE_POOL_SIZE", "4")
        .env("TOKENDEALER_USERS_ARGON2_M_COST", "64")
        .env("TOKENDEALER_USERS_ARGON2_T_COST", "1")
        .env("TOKENDEALER_USERS_MAX_FAILURES_PER_USER", "3")
        .env("RUST_LOG", "info")
        .envs(env.iter().copied())
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let http = reqwest::Client::new();
    for _ in 0..300 {
        let up = http.get(format!("http://{listen}/healthz")).send().await;
        if up.is_ok_and(|r| r.status() == 200) {
            return (format!("http://{listen}"), data, keys, child);
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the server on {listen} never answered /healthz");
}

/// A client for a node, with the admin credentials of `creds` (the first instance's file).
fn attach(started: (String, TempDir, TempDir, Child), creds: &Path, issuer: Option<&str>) -> Node {
    let (base, data, keys, child) = started;
    let file = data.path().join("admin-credentials.json");
    if !file.exists() {
        std::fs::copy(creds, &file).unwrap();
    }
    let mut app = TestApp::attach(base.clone(), data, keys);
    app.issuer = issuer.map_or(base, str::to_owned);
    Node { app, child }
}

/// Two dealers sharing [`ISSUER`], A started first, on a fresh database.
async fn pair() -> (Node, Node, Cluster) {
    pair_with(Some(ISSUER)).await
}

/// Two dealers with `issuer` (`None`: each its own default), A started first, on a fresh
/// database.
async fn pair_with(issuer: Option<&str>) -> (Node, Node, Cluster) {
    pair_with_env(issuer, &[]).await
}

/// [`pair_with`], both processes given the environment variables `env`.
async fn pair_with_env(issuer: Option<&str>, env: &[(&str, &str)]) -> (Node, Node, Cluster) {
    let url = database().await;
    let dir = tempfile::tempdir().unwrap();
    let mut settings = tokendealer::Settings {
        data_dir: dir.path().into(),
        ..Default::default()
    };
    use_postgres(&mut settings, &url);
    let master = settings.master_key_file.unwrap();
    let started_a = node_with_env(&url, &master, issuer, env).await;
    let started_b = node_with_env(&url, &master, issuer, env).await;
    let creds = started_a.1.path().join("admin-credentials.json");
    assert!(
        !started_b.1.path().join("admin-credentials.json").exists(),
        "only the first instance bootstraps the admin"
    );
    let a = attach(started_a, &creds, issuer);
    let b = attach(started_b, &creds, issuer);
    let cluster = Cluster {
        url,
        master,
        _dir: dir,
    };
    (a, b, cluster)
}

impl Cluster {
    /// Stops `old` (killed, as a crash would) and starts a new instance in its place on the
    /// same database, with `old`'s issuer and admin credentials.
    async fn replace(&self, mut old: Node) -> Node {
        old.child.kill().await.unwrap();
        let issuer = old.app.issuer.clone();
        let started = node(&self.url, &self.master, Some(&issuer)).await;
        let creds = old.app.data_dir.path().join("admin-credentials.json");
        attach(started, &creds, Some(&issuer))
    }
}

/// Whether `check` comes true within one second (asked every 25 ms).
async fn within_a_second<F: Future<Output = bool>>(check: impl FnMut() -> F) -> bool {
    within(Duration::from_secs(1), check).await.is_some()
}

/// How long until `check` came true (asked every 25 ms), if it did within `limit`.
async fn within<F: Future<Output = bool>>(
    limit: Duration,
    mut check: impl FnMut() -> F,
) -> Option<Duration> {
    let started = Instant::now();
    loop {
        if check().await {
            return Some(started.elapsed());
        }
        if started.elapsed() >= limit {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}
