//! A token-request load generator that can present a client certificate (wrk cannot): N tasks
//! over HTTP/1.1 keep-alive connections to a TLS dealer, for S seconds; prints tokens/s.
//! benches/tls.sh runs it with and without a certificate, in the same run.
//!
//! `cargo run --release --example token_load -- URL SERVER_CA CONCURRENCY SECS CLIENT_ID [SECRET] [CERT_AND_KEY_PEM]`
//! An empty SECRET sends `client_id` alone (a client authenticating by its certificate).

use std::time::{Duration, Instant};

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let usage =
        "usage: token_load URL SERVER_CA CONCURRENCY SECS CLIENT_ID [SECRET] [CERT_AND_KEY_PEM]";
    let arg = |i: usize| args.get(i).ok_or_else(|| anyhow::anyhow!(usage));
    let url = format!("{}/oauth/token", arg(1)?);
    let ca = reqwest::Certificate::from_pem(&std::fs::read(arg(2)?)?)?;
    let concurrency: usize = arg(3)?.parse()?;
    let secs: u64 = arg(4)?.parse()?;
    let client_id = arg(5)?.clone();
    let secret = args.get(6).cloned().unwrap_or_default();
    let mut builder = reqwest::Client::builder()
        .tls_certs_only([ca])
        .http1_only()
        .pool_max_idle_per_host(concurrency);
    if let Some(pem) = args.get(7) {
        builder = builder.identity(reqwest::Identity::from_pem(&std::fs::read(pem)?)?);
    }
    let http = builder.build()?;
    let mut form = vec![
        ("grant_type", "client_credentials".to_owned()),
        ("client_id", client_id),
    ];
    if !secret.is_empty() {
        form.push(("client_secret", secret));
    }
    let end = Instant::now() + Duration::from_secs(secs);
    let start = Instant::now();
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let (http, url, form) = (http.clone(), url.clone(), form.clone());
            tokio::spawn(async move {
                let (mut ok, mut failed) = (0u64, 0u64);
                while Instant::now() < end {
                    match http.post(&url).form(&form).send().await {
                        Ok(r) if r.status().is_success() => {
                            let _ = r.bytes().await;
                            ok += 1;
                        }
                        _ => failed += 1,
                    }
                }
                (ok, failed)
            })
        })
        .collect();
    let (mut ok, mut failed) = (0, 0);
    for task in tasks {
        let (o, f) = task.await?;
        ok += o;
        failed += f;
    }
    let took = start.elapsed().as_secs_f64();
    println!(
        "{:.0} tokens/s ({ok} in {took:.1} s, {failed} failed)",
        ok as f64 / took
    );
    Ok(())
}
