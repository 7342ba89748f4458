//! Runs Runnerly's Strava worker once: reads a user's runs from the Data Service.
//!
//! ```sh
//! DEALER_URL=http://127.0.0.1:5001 CLIENT_ID=strava CLIENT_SECRET=... \
//!   DATA_URL=http://127.0.0.1:5002 cargo run --example runnerly_strava_worker
//! ```
//!
//! With `ASSERTION_FILE` set (a Kubernetes projected service-account token, see
//! deploy/kubernetes/workload-identity) it has no secret: the token in that file, read again for
//! each token request, authenticates it (`CLIENT_ID` optional). Either way its tokens are
//! DPoP-bound when the dealer supports DPoP.

#[path = "runnerly/strava_worker.rs"]
mod strava_worker;

use tokendealer::client::TokenSource;

fn env(key: &str, default: &str) -> String {
    std::env::var(key).unwrap_or_else(|_| default.to_owned())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let dealer = env("DEALER_URL", "http://127.0.0.1:5001");
    let token_endpoint = format!("{dealer}/oauth/token");
    let (audience, data_url) = (
        env("AUDIENCE", "https://data.runnerly.io"),
        env("DATA_URL", "http://127.0.0.1:5002"),
    );
    let worker = match std::env::var("ASSERTION_FILE") {
        Ok(path) => {
            let tokens = TokenSource::assertion_file(&token_endpoint, path)
                .client_id(env("CLIENT_ID", ""))
                .audience(&audience)
                .scope(&["runs:read"])
                .dpop()
                .build()?;
            strava_worker::StravaWorker::with_source(tokens, &data_url)
        }
        Err(_) => strava_worker::StravaWorker::new(
            &token_endpoint,
            &env("CLIENT_ID", "strava"),
            &env("CLIENT_SECRET", ""),
            &audience,
            &data_url,
        )?,
    };
    let runs = worker.read_runs(&env("RUNNER", "tarek")).await?;
    println!("{}", serde_json::to_string_pretty(&runs)?);
    let token = worker.tokens().token().await?;
    eprintln!(
        "(cached token with scope {:?}, reused until shortly before it expires)",
        token.scope()
    );
    Ok(())
}
