//! The `tokendealer` command line: `serve`, and admin commands that call a running server.

mod admin;
mod clients;
#[cfg(feature = "import")]
mod import;
mod keys;
mod operators;
mod serve;
mod trust;
mod users;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use clients::ClientCommand;
use keys::KeysCommand;
use serve::{ServeArgs, serve};

use crate::config::Settings;

/// OAuth2 token dealer for microservices.
#[derive(Debug, Parser)]
#[command(name = "tokendealer", version, about)]
pub struct Cli {
    /// The running server, for admin commands.
    #[arg(
        long,
        global = true,
        env = "TOKENDEALER_URL",
        default_value = "http://127.0.0.1:5001"
    )]
    url: String,
    /// Data directory: the server's database, and where admin commands find the admin credentials.
    #[arg(long, global = true, env = "TOKENDEALER_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Admin commands: a PEM file of CA certificates to trust, besides the system's, for an
    /// HTTPS dealer whose certificate a private CA (or itself) signed.
    #[arg(long, global = true, env = "TOKENDEALER_CA_CERT")]
    ca_cert: Option<PathBuf>,
    /// Admin commands: print this top-level field of the answer alone (a string as bare text),
    /// e.g. `--field client_secret`; a missing field is an error.
    #[arg(long, global = true, value_name = "NAME")]
    field: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server.
    Serve(ServeArgs),
    /// Print the settings `serve` would run with (defaults < file < environment < flags), as
    /// TOML.
    Config(ServeArgs),
    /// Print the bootstrap credentials the first start wrote into the data dir (for images
    /// without a shell: `docker exec … tokendealer show-credentials`).
    ShowCredentials,
    /// Manage registered clients.
    #[command(subcommand)]
    Client(ClientCommand),
    /// Manage signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Manage organizations.
    #[command(subcommand)]
    Org(users::NamedCommand),
    /// Manage org units.
    #[command(subcommand)]
    Ou(users::NamedCommand),
    /// Manage departments.
    #[command(subcommand)]
    Dept(users::NamedCommand),
    /// Manage work-function contexts (organization + org unit + department).
    #[command(subcommand)]
    Wfc(users::WfcCommand),
    /// Manage roles.
    #[command(subcommand)]
    Role(users::NamedCommand),
    /// Manage users.
    #[command(subcommand)]
    User(users::UserCommand),
    /// Manage the service catalog.
    #[command(subcommand)]
    Service(users::ServiceCommand),
    /// Manage the web console's operators.
    #[command(subcommand)]
    Operator(operators::OperatorCommand),
    /// Manage the external issuers whose tokens authenticate clients (workload identity
    /// federation).
    #[command(subcommand)]
    Trust(trust::TrustCommand),
    /// Make a new master key for `--master-key-file` (32 random bytes as hex).
    #[command(subcommand)]
    MasterKey(MasterKeyCommand),
    /// Copy a stopped single node's sled data (clients, directory, keys, live revocations)
    /// into PostgreSQL. Idempotent; prints the counts copied as JSON.
    Migrate(ServeArgs),
    /// Import another system's directory (tokenleader 1.8).
    #[cfg(feature = "import")]
    #[command(subcommand)]
    Import(import::ImportCommand),
}

#[derive(Debug, Subcommand)]
enum MasterKeyCommand {
    /// Print a new random master key: save it in a file readable by its owner only.
    Generate,
}

impl Cli {
    /// Runs the command; errors are printed as one line on stderr.
    pub async fn run(self) -> ExitCode {
        match self.dispatch().await {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("error: {e:#}");
                ExitCode::FAILURE
            }
        }
    }

    async fn dispatch(self) -> anyhow::Result<()> {
        let http = || admin::http_client(self.ca_cert.as_deref());
        let admin = || {
            admin::AdminClient::new(
                &self.url,
                self.data_dir.as_deref(),
                http()?,
                self.field.clone(),
            )
        };
        match &self.command {
            Command::Serve(args) => serve(args, self.data_dir.clone()).await,
            Command::Config(args) => {
                let settings = Settings::load(args.overrides(self.data_dir.clone())?)?;
                admin::say(settings.to_toml()?.trim_end())
            }
            Command::ShowCredentials => {
                let dir = self.data_dir.as_deref().unwrap_or(Path::new("./data"));
                admin::say(admin::read_credentials_file(dir)?.trim_end())
            }
            Command::MasterKey(MasterKeyCommand::Generate) => {
                admin::say(crate::storage::MasterKey::generate_hex()?)
            }
            Command::Migrate(args) => {
                let settings = Settings::load(args.overrides(self.data_dir.clone())?)?;
                let counts = crate::startup::migrate_to_postgres(&settings).await?;
                admin::say(serde_json::to_string_pretty(&counts)?)
            }
            Command::Client(cmd) => admin()?.client(cmd).await,
            Command::Keys(KeysCommand::Show { format }) => {
                keys::show_key(&http()?, &self.url, *format).await
            }
            Command::Keys(cmd) => admin()?.keys(cmd).await,
            Command::Org(cmd) => admin()?.named("orgs", cmd).await,
            Command::Ou(cmd) => admin()?.named("ous", cmd).await,
            Command::Dept(cmd) => admin()?.named("depts", cmd).await,
            Command::Role(cmd) => admin()?.named("roles", cmd).await,
            Command::Wfc(cmd) => admin()?.wfc(cmd).await,
            Command::User(cmd) => admin()?.user(cmd).await,
            Command::Service(cmd) => admin()?.service(cmd).await,
            Command::Operator(cmd) => admin()?.operator(cmd).await,
            Command::Trust(cmd) => admin()?.trust(cmd).await,
            #[cfg(feature = "import")]
            Command::Import(cmd) => admin()?.import(cmd).await,
        }
    }
}
