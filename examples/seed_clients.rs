//! Seeds a stopped dealer's database with N clients, straight through the storage API: one sled
//! batch per 50,000 records, one flush each. Benchmark setup, far faster than the admin API.
//!
//! `cargo run --release --example seed_clients -- <data_dir> <count> [alg]`
//! Client `seed-<i>` gets secret `seed-secret-<i>`, audience `https://api.example`, and alg
//! (default RS512).

use std::path::PathBuf;
use std::time::Instant;

use tokendealer::domain::SecretDigest;
use tokendealer::storage::{ClientRecord, Store};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: seed_clients <data_dir> <count> [alg]";
    let dir = PathBuf::from(args.get(1).ok_or_else(|| anyhow::anyhow!(usage))?);
    let count: usize = args.get(2).ok_or_else(|| anyhow::anyhow!(usage))?.parse()?;
    let alg = args.get(3).cloned().unwrap_or_else(|| "RS512".into());
    let store = Store::open(&dir)?;
    let start = Instant::now();
    let mut batch = Vec::with_capacity(50_000);
    for i in 0..count {
        batch.push(ClientRecord {
            client_id: format!("seed-{i}"),
            secret_sha256: SecretDigest::of(&format!("seed-secret-{i}")).to_hex(),
            previous_secret: None,
            audiences: vec!["https://api.example".into()],
            scopes: vec!["read".into(), "write".into()],
            grants: vec!["client_credentials".into()],
            token_ttl: 3600,
            disabled: false,
            created_at: 1_700_000_000,
            alg: alg.clone(),
            registration: u64::try_from(i)? + 1,
            auth_method: Default::default(),
            dpop_bound_access_tokens: false,
        });
        if batch.len() == batch.capacity() || i + 1 == count {
            store.import_clients(&batch).await?;
            batch.clear();
        }
    }
    println!(
        "seeded {count} clients in {:.1} s",
        start.elapsed().as_secs_f64()
    );
    Ok(())
}
