//! A revocation the dealer acknowledged survives the dealer being killed (SIGKILL, no shutdown).

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::helpers::{Dirs, ISSUER, TestApp, inactive};

/// A dealer process, killed with SIGKILL when dropped: no graceful stop, nothing flushed on the
/// way out, and no process left behind when a test fails.
struct Process(Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts the `tokendealer` binary on `dirs` and waits until it answers its health check.
async fn start_process(dirs: &Dirs) -> (Process, TestApp) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let child = Process(
        Command::new(env!("CARGO_BIN_EXE_tokendealer"))
            .arg("--data-dir")
            .arg(dirs.data.path())
            .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
            .args(["--issuer", ISSUER, "--keys-dir"])
            .arg(dirs.keys.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    let base = format!("http://127.0.0.1:{port}");
    let health = format!("{base}/healthz");
    for _ in 0..100 {
        let up = reqwest::get(&health).await.is_ok_and(|r| r.status() == 200);
        if up {
            return (child, TestApp::attach(base, dirs));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the dealer did not come up on {base}");
}

#[tokio::test]
async fn a_revocation_survives_the_dealer_being_killed() {
    let dirs = Dirs::new();
    let (process, app) = start_process(&dirs).await;
    let token = app.admin_token().await;
    app.revoke(&app.admin, &token).await;
    drop(process);

    let (_process, app) = start_process(&dirs).await;
    assert_eq!(app.introspect(&app.admin, &token).await, inactive());
    let fresh = app.admin_token().await;
    assert_eq!(app.introspect(&app.admin, &fresh).await["active"], true);
}
