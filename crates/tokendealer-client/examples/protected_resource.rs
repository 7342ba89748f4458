//! A service that clients can find the dealer from (RFC 9728): its 401s name its metadata,
//! whose `authorization_servers` name the dealer.
//!
//! ```sh
//! DEALER_URL=http://127.0.0.1:5001 LISTEN=127.0.0.1:5003 \
//!   cargo run -p tokendealer-client --example protected_resource
//! curl -i http://127.0.0.1:5003/runs      # 401, WWW-Authenticate: Bearer resource_metadata="…"
//! curl http://127.0.0.1:5003/.well-known/oauth-protected-resource/runs
//! ```
//!
//! The resource identifier (and so the audience its tokens must carry) is
//! `http://{LISTEN}/runs` unless `RESOURCE` says otherwise: register the calling client for
//! that audience.

use axum::routing::get;
use axum::{Extension, Router};
use tokendealer_client::{Claims, RequireAccess, ResourceMetadata, ServerMetadata, Verifier};

fn env(key: &str, default: &str) -> String {
    std::env::var(key).unwrap_or_else(|_| default.to_owned())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dealer = env("DEALER_URL", "http://127.0.0.1:5001");
    let listener = tokio::net::TcpListener::bind(env("LISTEN", "127.0.0.1:5003")).await?;
    let resource = env(
        "RESOURCE",
        &format!("http://{}/runs", listener.local_addr()?),
    );

    let dealer = ServerMetadata::discover(&reqwest::Client::new(), &dealer).await?;
    let metadata = ResourceMetadata::builder(&resource)
        .authorization_server(&dealer.issuer)
        .scopes_supported(&["runs:read"])
        .resource_name("Runnerly runs")
        .build()?;
    let verifier = Verifier::from_metadata(&dealer, &resource).build()?;
    let access = RequireAccess::new(verifier)
        .scope("runs:read")
        .resource_metadata(metadata.clone());
    // `layer` (not `route_layer`): the layer then sees, and answers, the metadata's path too.
    let router = Router::new()
        .route(
            "/runs",
            get(|Extension(caller): Extension<Claims>| async move {
                format!("runs of {}\n", caller.sub)
            }),
        )
        .layer(access);

    println!("{resource} (metadata at {})", metadata.url());
    axum::serve(listener, router).await?;
    Ok(())
}
