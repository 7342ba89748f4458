//! What the sled single-use record costs in memory per held entry: offers `COUNT` DPoP-like
//! identifiers (one client, 32-hex-digit `jti`s) to a fresh store and prints the process's
//! growth in resident memory per entry, right after the offers (the in-memory record and its
//! queue of changes) and once the changes are written behind (sled's cache included).
//!
//!   cargo run --release --example single_use_memory -- [COUNT]   (default 200000)

#![allow(clippy::unwrap_used, clippy::expect_used)] // a measurement fails by panicking

use tokendealer::domain::ports::{SingleUse, SingleUseBounds};
use tokendealer::startup::resident_kib;

#[tokio::main]
async fn main() {
    let count: u64 = std::env::args()
        .nth(1)
        .map_or(200_000, |n| n.parse().expect("COUNT is a number"));
    let dir = tempfile::tempdir().unwrap();
    let store = tokendealer::storage::Store::open(dir.path()).unwrap();
    let bounds = SingleUseBounds {
        total: count,
        per_owner: count,
    };
    let record = store.single_use(bounds).unwrap();
    let before = resident_kib();
    for i in 0..count {
        let jti = format!(
            "bench-client {:032x}",
            u128::from(i) * 0x9e37_79b9_7f4a_7c15
        );
        record
            .first_use("dpop", "bench-client", &jti, 10_000 + i % 70, 100)
            .await
            .unwrap();
        if i % 2000 == 0 {
            tokio::task::yield_now().await;
        }
    }
    let offered = resident_kib();
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let written = resident_kib();
    println!(
        "{count} entries: {} bytes each right after the offers, {} once written behind (sled's cache included)",
        (offered - before) * 1024 / count,
        (written - before) * 1024 / count
    );
}
