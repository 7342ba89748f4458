//! The `tokendealer` binary: parses the command line and hands it to the library.

use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;

/// After the command returns, how long tasks still running on the runtime's blocking threads
/// may delay the exit: a stuck one must not keep a stopped server alive.
const RUNTIME_SHUTDOWN: Duration = Duration::from_secs(1);

fn main() -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: starting the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let code = runtime.block_on(tokendealer::cli::Cli::parse().run());
    runtime.shutdown_timeout(RUNTIME_SHUTDOWN);
    code
}
