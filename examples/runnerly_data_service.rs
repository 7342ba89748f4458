//! Runs Runnerly's Data Service against a dealer.
//!
//! ```sh
//! DEALER_URL=http://127.0.0.1:5001 AUDIENCE=https://data.runnerly.io LISTEN=127.0.0.1:5002 \
//!   cargo run --example runnerly_data_service            # local verification (JWKS)
//! MODE=remote CLIENT_ID=data-service CLIENT_SECRET=... cargo run --example runnerly_data_service
//! ```
//!
//! Behind a proxy, `PUBLIC_URL=https://data.runnerly.io` names the URL DPoP proofs are for.

// `router` is the tests' entry; this binary always says where it is reached.
#[allow(dead_code)]
#[path = "runnerly/data_service.rs"]
mod data_service;

use tokendealer::client::{IntrospectionVerifier, ServerMetadata, Verifier};

fn env(key: &str, default: &str) -> String {
    std::env::var(key).unwrap_or_else(|_| default.to_owned())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dealer = env("DEALER_URL", "http://127.0.0.1:5001");
    let audience = env("AUDIENCE", "https://data.runnerly.io");
    let listener = tokio::net::TcpListener::bind(env("LISTEN", "127.0.0.1:5002")).await?;
    let metadata = ServerMetadata::discover(&reqwest::Client::new(), &dealer).await?;
    let public_url = std::env::var("PUBLIC_URL")
        .ok()
        .map(|u| reqwest::Url::parse(&u))
        .transpose()?;
    let router = if env("MODE", "local") == "remote" {
        let verifier = IntrospectionVerifier::from_metadata(
            &metadata,
            env("CLIENT_ID", ""),
            env("CLIENT_SECRET", ""),
            audience,
        )?;
        data_service::router_at(verifier, public_url)
    } else {
        let verifier = Verifier::from_metadata(&metadata, audience).build()?;
        data_service::router_at(verifier, public_url)
    };
    println!("data service on http://{}", listener.local_addr()?);
    axum::serve(listener, router).await?;
    Ok(())
}
