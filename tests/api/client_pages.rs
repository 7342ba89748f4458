//! `GET /admin/clients` a page at a time (RFC 8288 `Link` to the next), and `client list`
//! following the pages.

use std::collections::BTreeSet;

use futures_util::StreamExt;
use reqwest::Method;
use serde_json::{Value, json};

use crate::cli::{cli, json_out};
use crate::helpers::{TestApp, spawn_app};

/// The ids of one page, and the path of the next page if the answer links one.
async fn page(app: &TestApp, path: &str) -> (Vec<String>, Option<String>) {
    let r = app.admin(Method::GET, path, None).await;
    assert_eq!(r.status(), 200, "{path}");
    let next = r.headers().get("link").map(|link| {
        let link = link.to_str().unwrap();
        assert!(link.ends_with(">; rel=\"next\""), "{link}");
        link.trim_start_matches('<')
            .trim_end_matches(">; rel=\"next\"")
            .to_owned()
    });
    let ids = r.json::<Vec<Value>>().await.unwrap();
    let ids = ids
        .iter()
        .map(|c| c["client_id"].as_str().unwrap().to_owned());
    (ids.collect(), next)
}

#[tokio::test]
async fn the_client_list_comes_a_page_at_a_time_with_a_link_to_the_next() {
    let app = spawn_app().await;
    for id in ["svc-c", "svc-a", "other", "svc-b", "svc-d"] {
        app.register(id, &["https://api"], &[]).await;
    }
    let (everything, next) = page(&app, "/admin/clients").await;
    assert_eq!(next, None, "six clients fit in the default page");
    assert_eq!(everything.len(), 6, "{everything:?}");
    assert!(everything.is_sorted(), "in id order: {everything:?}");

    let mut walked = Vec::new();
    let mut path = Some("/admin/clients?limit=2".to_owned());
    while let Some(p) = path {
        let (ids, next) = page(&app, &p).await;
        assert!(ids.len() <= 2, "{p}: {ids:?}");
        walked.extend(ids);
        path = next;
    }
    assert_eq!(walked, everything);

    let (mut svc, mut path) = page(&app, "/admin/clients?limit=3&prefix=svc-").await;
    let (rest, end) = page(&app, &path.take().unwrap()).await;
    assert_eq!(end, None);
    svc.extend(rest);
    assert_eq!(svc, ["svc-a", "svc-b", "svc-c", "svc-d"]);
}

#[tokio::test]
async fn a_page_query_out_of_bounds_or_unknown_is_invalid_request() {
    let app = spawn_app().await;
    for query in [
        "limit=0",
        "limit=1001",
        "limit=ten",
        "limit=1&limit=2",
        "colour=blue",
        "after=with%20space",
    ] {
        let r = app
            .admin(Method::GET, &format!("/admin/clients?{query}"), None)
            .await;
        assert_eq!(r.status(), 400, "{query}");
        assert_eq!(
            r.json::<Value>().await.unwrap()["error"],
            "invalid_request",
            "{query}"
        );
    }
}

#[tokio::test]
async fn client_list_prints_every_client_across_pages() {
    let app = spawn_app().await;
    let token = app.admin_token().await;
    let registered: Vec<u16> = futures_util::stream::iter(0..1001)
        .map(|i| {
            let body = json!({ "client_id": format!("c{i:04}"), "audiences": ["https://api"] });
            let request = app.admin_as(&token, Method::POST, "/admin/clients", Some(body));
            async move { request.await.status().as_u16() }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    assert!(
        registered.iter().all(|s| *s == 201),
        "every registration: 201"
    );

    let listed = json_out(&cli(&app, &["client", "list"]).await);
    let ids: BTreeSet<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["client_id"].as_str().unwrap())
        .collect();
    // The 1,001 registered and the bootstrap admin client, each once.
    assert_eq!(listed.as_array().unwrap().len(), 1002);
    assert_eq!(ids.len(), 1002);
}
