//! Runs Runnerly's Strava worker once: reads a user's runs from the Data Service.
//!
//! ```sh
//! DEALER_URL=http://127.0.0.1:5001 CLIENT_ID=strava CLIENT_SECRET=... \
//!   DATA_URL=http://127.0.0.1:5002 cargo run --example runnerly_strava_worker
//! ```

#[path = "runnerly/strava_worker.rs"]
mod strava_worker;

fn env(key: &str, default: &str) -> String {
    std::env::var(key).unwrap_or_else(|_| default.to_owned())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
    let dealer = env("DEALER_URL", "http://127.0.0.1:5001");
    let worker = strava_worker::StravaWorker::new(
        &format!("{dealer}/oauth/token"),
        &env("CLIENT_ID", "strava"),
        &env("CLIENT_SECRET", ""),
        &env("AUDIENCE", "https://data.runnerly.io"),
        &env("DATA_URL", "http://127.0.0.1:5002"),
    )?;
    let runs = worker.read_runs(&env("RUNNER", "tarek")).await?;
    println!("{}", serde_json::to_string_pretty(&runs)?);
    let token = worker.tokens().token().await?;
    eprintln!(
        "(cached token with scope {:?}, reused until shortly before it expires)",
        token.scope()
    );
    Ok(())
}
