//! Runs Runnerly's Data Service against a dealer.
//!
//! ```sh
//! DEALER_URL=http://127.0.0.1:5001 AUDIENCE=https://data.runnerly.io LISTEN=127.0.0.1:5002 \
//!   cargo run --example runnerly_data_service            # local verification (JWKS)
//! MODE=remote CLIENT_ID=data-service CLIENT_SECRET=... cargo run --example runnerly_data_service
//! ```

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
    let router = if env("MODE", "local") == "remote" {
        let verifier = IntrospectionVerifier::from_metadata(
            &metadata,
            env("CLIENT_ID", ""),
            env("CLIENT_SECRET", ""),
            audience,
        )?;
        data_service::router(verifier)
    } else {
        data_service::router(Verifier::from_metadata(&metadata, audience).build()?)
    };
    println!("data service on http://{}", listener.local_addr()?);
    axum::serve(listener, router).await?;
    Ok(())
}
