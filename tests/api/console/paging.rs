//! The client list at scale: the store's paged read by prefix, and the page's next link.

use tokendealer::domain::ClientId;
use tokendealer::domain::ports::ClientStore;
use tokendealer::storage::{ClientRecord, Store};

use super::logged_in;
use crate::helpers::spawn_app;

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
        auth_method: Default::default(),
        dpop_bound_access_tokens: false,
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

/// Page reads (51 records) among `N` clients (default 1,000,000), medians of 200 reads each.
/// `N=1000000 cargo test --test api -- --ignored --nocapture what_a_client_page_costs`
#[tokio::test]
#[ignore = "a measurement, not a check"]
async fn what_a_client_page_costs() {
    use std::time::Instant;
    let n: usize = std::env::var("N").map_or(1_000_000, |v| v.parse().unwrap());
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let started = Instant::now();
    for first in (0..n).step_by(20_000) {
        let batch: Vec<ClientRecord> = (first..n.min(first + 20_000))
            .map(|i| record(&format!("client-{i:07}")))
            .collect();
        store.import_clients(&batch).await.unwrap();
    }
    println!("seeded {n} clients in {:?}", started.elapsed());
    let median = |mut v: Vec<u128>| {
        v.sort_unstable();
        v[v.len() / 2]
    };
    let time = |prefix: &str, after: Option<&ClientId>| {
        let t = Instant::now();
        let page = store.page(prefix, after, 51).unwrap();
        (t.elapsed().as_micros(), page.len())
    };
    let mut first = Vec::new();
    let mut middle = Vec::new();
    let mut search = Vec::new();
    for round in 0..200usize {
        first.push(time("", None).0);
        let after = ClientId::parse(&format!("client-{:07}", round * 4999 % n)).unwrap();
        middle.push(time("", Some(&after)).0);
        let (micros, found) = time(&format!("client-{:05}", round * 37 % (n / 100)), None);
        assert!(found > 0);
        search.push(micros);
    }
    println!(
        "{n} clients: first page {} µs, a page after a random id {} µs, a prefix search {} µs (medians)",
        median(first),
        median(middle),
        median(search)
    );
}
