//! The in-memory audit trail under a flood: failed authentications (which anyone can cause)
//! are kept apart from administrative events, `GET /admin/audit?kind=admin|auth` reads either,
//! and the failure metrics still count every attempt.

use futures_util::future::join_all;
use reqwest::Method;
use serde_json::Value;

use crate::helpers::{TestApp, spawn_app, spawn_with};

async fn audit(app: &TestApp, query: &str) -> Vec<Value> {
    let r = app
        .admin(Method::GET, &format!("/admin/audit{query}"), None)
        .await;
    assert_eq!(r.status(), 200, "{query}");
    r.json().await.unwrap()
}

fn actions(events: &[Value]) -> Vec<&str> {
    events
        .iter()
        .map(|e| e["action"].as_str().unwrap_or("(not an action)"))
        .collect()
}

#[tokio::test]
async fn eleven_hundred_failed_authentications_do_not_push_an_operators_change_out_of_the_trail() {
    let app = spawn_with(|s| s.metrics_listen = Some("127.0.0.1:0".parse().unwrap())).await;
    app.register("billing", &["https://api"], &[]).await;
    for batch in 0..22 {
        let failures = (0..50).map(|i| {
            let app = &app;
            async move {
                let id = format!("ghost-{batch}-{i}");
                app.token_post(&id, "not a secret", &[]).await.status()
            }
        });
        assert!(join_all(failures).await.iter().all(|s| s.as_u16() == 401));
    }

    let admin = audit(&app, "?kind=admin").await;
    assert_eq!(actions(&admin), ["client.add"]);
    assert_eq!(admin[0]["target"], "billing");

    let auth = audit(&app, "?kind=auth&limit=1000").await;
    assert_eq!(auth.len(), 1000, "the newest 1,000 failures are kept");
    assert!(auth.iter().all(|e| e["event"] == "client_auth_failed"));

    // Without a kind, both merged newest first: the failures came last.
    let both = audit(&app, "").await;
    assert_eq!(both.len(), 100);
    assert!(both.iter().all(|e| e["event"] == "client_auth_failed"));
    let times: Vec<u64> = both.iter().map(|e| e["time"].as_u64().unwrap()).collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]));
    let all = audit(&app, "?limit=1000").await;
    assert_eq!(all.len(), 1000);

    // Every attempt is still counted.
    let base = app.metrics_base.clone().unwrap();
    let text = app
        .http
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let series = r#"tokendealer_client_auth_failures_total{reason="unknown_client"} "#;
    let counted = text.lines().find_map(|l| l.strip_prefix(series));
    assert_eq!(counted.map(str::trim), Some("1100"), "{text}");
}

#[tokio::test]
async fn the_audit_kind_is_admin_or_auth_at_most_once() {
    let app = spawn_app().await;
    assert_eq!(app.token_post("ghost", "x", &[]).await.status(), 401);
    app.register("svc", &["https://api"], &[]).await;
    let auth = audit(&app, "?kind=auth").await;
    assert_eq!(auth.len(), 1);
    assert_eq!(auth[0]["presented_id"], "ghost");
    assert_eq!(
        actions(&audit(&app, "?kind=admin&limit=5").await),
        ["client.add"]
    );
    assert_eq!(audit(&app, "").await.len(), 2);

    for query in ["kind=all", "kind=", "kind=Admin", "kind=admin&kind=auth"] {
        let r = app
            .admin(Method::GET, &format!("/admin/audit?{query}"), None)
            .await;
        assert_eq!(r.status(), 400, "{query}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"], "invalid_request", "{query}");
    }
}
