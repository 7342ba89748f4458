//! The real binary over HTTPS: SIGHUP reloads the certificate, and the admin commands reach a
//! dealer with a private CA through `--ca-cert`.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Output;
use std::time::Duration;

use tokio::process::{Child, Command};

use super::{Pair, peer_certificate, trusting};
use crate::cli::free_address;

/// `tokendealer serve` with TLS from `dir`'s files and no watch of them: only SIGHUP reloads.
async fn serve_tls(listen: &str, dir: &Path, pair: &Pair) -> Child {
    let files = pair.install(dir);
    let child = Command::new(env!("CARGO_BIN_EXE_tokendealer"))
        .args(["serve", "--listen", listen, "--tls-cert"])
        .arg(&files.cert)
        .arg("--tls-key")
        .arg(&files.key)
        .arg("--data-dir")
        .arg(dir.join("data"))
        .arg("--keys-dir")
        .arg(dir.join("keys"))
        .env("TOKENDEALER_TLS_WATCH_INTERVAL_SECS", "0")
        .env("RUST_LOG", "info")
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let http = trusting(&pair.ca_pem).build().unwrap();
    for _ in 0..300 {
        let healthz = http.get(format!("https://{listen}/healthz")).send().await;
        if healthz.is_ok_and(|r| r.status() == 200) {
            return child;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the server never answered /healthz over HTTPS on {listen}");
}

async fn cli(listen: &str, dir: &Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_tokendealer"))
        .args([
            "client",
            "list",
            "--url",
            &format!("https://{listen}"),
            "--data-dir",
        ])
        .arg(dir.join("data"))
        .args(extra)
        .env_remove("TOKENDEALER_CA_CERT")
        .env_remove("TOKENDEALER_ADMIN_CLIENT_ID")
        .env_remove("TOKENDEALER_ADMIN_CLIENT_SECRET")
        .output()
        .await
        .unwrap()
}

#[tokio::test]
async fn sighup_reloads_the_certificate_and_the_cli_trusts_a_private_ca_with_ca_cert() {
    let dir = tempfile::tempdir().unwrap();
    let listen = free_address();
    let old = Pair::new("process");
    let mut child = serve_tls(&listen, dir.path(), &old).await;

    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &old.ca_pem).unwrap();
    let out = cli(&listen, dir.path(), &["--ca-cert", ca.to_str().unwrap()]).await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("\"admin\""), "{stdout}");
    let out = cli(&listen, dir.path(), &[]).await;
    assert!(
        !out.status.success(),
        "the system's CAs do not know the test CA"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("--ca-cert"), "{stderr}");

    // A key that is not the certificate's: the old pair stays.
    let new = Pair::new("process-new");
    super::replace(&dir.path().join("cert.pem"), &new.cert_pem);
    sighup(&child).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let r = trusting(&old.ca_pem).build().unwrap();
    let r = r
        .get(format!("https://{listen}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(peer_certificate(&r), old.cert_der);

    // The whole new pair, its key readable by others: loaded, with a warning.
    let files = new.install(dir.path());
    std::fs::set_permissions(&files.key, std::fs::Permissions::from_mode(0o644)).unwrap();
    sighup(&child).await;
    let http = trusting(&new.ca_pem).build().unwrap();
    let mut served = None;
    for _ in 0..100 {
        if let Ok(r) = http.get(format!("https://{listen}/healthz")).send().await {
            served = Some(peer_certificate(&r));
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(served.as_deref(), Some(new.cert_der.as_slice()));
    assert!(
        child.try_wait().unwrap().is_none(),
        "SIGHUP did not stop the server"
    );
    child.start_kill().unwrap();
    let log = child.wait_with_output().await.unwrap().stderr;
    let log = String::from_utf8_lossy(&log);
    assert!(log.contains("do not make a pair"), "{log}");
    assert!(log.contains("readable by its group or others"), "{log}");
    assert!(log.contains("TLS certificate reloaded"), "{log}");
    for key in [&old.key_pem, &new.key_pem] {
        assert!(
            !log.contains(key.lines().nth(1).unwrap()),
            "a key in the log"
        );
    }
}

async fn sighup(child: &Child) {
    let pid = child.id().unwrap().to_string();
    let sent = Command::new("kill").args(["-HUP", &pid]).status().await;
    assert!(sent.unwrap().success());
}
