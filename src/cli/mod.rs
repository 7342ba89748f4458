//! The `tokendealer` command line: `serve`, and admin commands that call a running server.

mod admin;
mod clients;
#[cfg(feature = "import")]
mod import;
mod keys;
mod operators;
mod users;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::config::{Overrides, Settings};
use crate::startup::Application;

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

#[derive(Debug, Args)]
struct ServeArgs {
    /// Address to listen on [default: 127.0.0.1:5001].
    #[arg(long, env = "TOKENDEALER_LISTEN")]
    listen: Option<std::net::SocketAddr>,
    /// Directory of the PEM signing keys [default: ./keys].
    #[arg(long, env = "TOKENDEALER_KEYS_DIR")]
    keys_dir: Option<PathBuf>,
    /// The `iss` of issued tokens [default: http://<listen>].
    #[arg(long, env = "TOKENDEALER_ISSUER")]
    issuer: Option<String>,
    /// A TOML configuration file.
    #[arg(long, env = "TOKENDEALER_CONFIG")]
    config: Option<PathBuf>,
    /// Where signatures run: pool (dedicated threads), blocking (tokio) or inline [default:
    /// inline with the per-thread I/O model, pool with the shared one].
    #[arg(long, env = "TOKENDEALER_SIGNER")]
    signer: Option<crate::domain::keys::SignerMode>,
    /// Connections served at once; more wait to be accepted [default: the descriptor limit
    /// less a reserve].
    #[arg(long, env = "TOKENDEALER_MAX_CONNECTIONS")]
    max_connections: Option<usize>,
    /// Serve Prometheus metrics at /metrics on this address (a second listener) [default: off].
    #[arg(long, env = "TOKENDEALER_METRICS_LISTEN")]
    metrics_listen: Option<std::net::SocketAddr>,
    /// Append the audit log (JSON lines) to this file, `-` for stdout [default: off].
    #[arg(long, env = "TOKENDEALER_AUDIT_LOG")]
    audit_log: Option<PathBuf>,
    /// Serve HTTPS with this PEM certificate chain (with --tls-key).
    #[arg(long, env = "TOKENDEALER_TLS_CERT")]
    tls_cert: Option<PathBuf>,
    /// The PEM private key of --tls-cert.
    #[arg(long, env = "TOKENDEALER_TLS_KEY")]
    tls_key: Option<PathBuf>,
    /// PostgreSQL instead of sled in the data dir: `postgres://user:password@host/db`.
    /// Read as text and checked by the settings: clap would echo an invalid value, password and
    /// all, in its error.
    #[arg(long, env = "TOKENDEALER_DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    /// The master key file (64 hex digits, mode 0600) sealing private keys in the database.
    #[arg(long, env = "TOKENDEALER_MASTER_KEY_FILE")]
    master_key_file: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
enum MasterKeyCommand {
    /// Print a new random master key: save it in a file readable by its owner only.
    Generate,
}

impl ServeArgs {
    fn overrides(&self, data_dir: Option<PathBuf>) -> anyhow::Result<Overrides> {
        Ok(Overrides {
            listen: self.listen,
            data_dir,
            keys_dir: self.keys_dir.clone(),
            issuer: self.issuer.clone(),
            config: self.config.clone(),
            signer: self.signer,
            max_connections: self.max_connections,
            metrics_listen: self.metrics_listen,
            audit_log: self.audit_log.clone(),
            tls_cert: self.tls_cert.clone(),
            tls_key: self.tls_key.clone(),
            database_url: self
                .database_url
                .as_deref()
                .map(crate::config::DatabaseUrl::parse)
                .transpose()
                .map_err(|e| {
                    anyhow::anyhow!(
                        "database_url (--database-url, TOKENDEALER_DATABASE_URL): {e:#}"
                    )
                })?,
            master_key_file: self.master_key_file.clone(),
        })
    }
}

#[derive(Debug, Subcommand)]
enum ClientCommand {
    /// Register a client and print its secret (shown this once only).
    Add {
        client_id: String,
        /// An audience the client may get tokens for; the first is its default. Repeatable.
        #[arg(long = "audience", required = true)]
        audiences: Vec<String>,
        /// A scope the client may request. Repeatable.
        #[arg(long = "scope")]
        scopes: Vec<String>,
        /// A grant the client may use (client_credentials, password). Repeatable.
        #[arg(long = "grant")]
        grants: Vec<String>,
        /// Lifetime of its tokens in seconds [default: the server's, 3600].
        #[arg(long)]
        token_ttl: Option<u64>,
        /// Algorithm of its tokens: RS512 (default), EdDSA or ES256, if in the server's
        /// [keys] algorithms.
        #[arg(long)]
        alg: Option<String>,
    },
    /// List clients.
    List,
    /// Show one client.
    Show { client_id: String },
    /// Replace a client's secret and print the new one.
    RotateSecret {
        client_id: String,
        /// Keep the old secret valid this many seconds.
        #[arg(long)]
        grace: Option<u64>,
    },
    /// Refuse tokens to a client until it is enabled again.
    Disable { client_id: String },
    /// Let a disabled client get tokens again.
    Enable { client_id: String },
    /// Delete a client.
    Remove { client_id: String },
}

#[derive(Debug, Subcommand)]
enum KeysCommand {
    /// List signing keys with their state (next, active, retiring, retired) and its times.
    List,
    /// Publish new keys (every algorithm of [keys] algorithms unless --alg) as next: they sign once they have been
    /// in the JWKS for prepublish_secs; the old ones then verify until their tokens expired.
    Rotate {
        /// Rotate only this algorithm's key (RS512, EdDSA or ES256) [default: all the server
        /// signs with].
        #[arg(long)]
        alg: Option<String>,
        /// An emergency: the new keys sign at once, before verifiers' cached JWKS know them.
        #[arg(long)]
        now: bool,
        /// Drop the replaced keys from the JWKS at once (a compromised key): tokens they
        /// signed stop verifying. Implies --now.
        #[arg(long)]
        retire_previous: bool,
    },
    /// Retire one key now (a compromised key): it leaves the JWKS and every token it signed
    /// stops verifying. An active key is replaced by a new one first.
    Retire { kid: String },
    /// Print the active public key (no credentials needed: it is public).
    Show {
        #[arg(long, value_enum, default_value = "jwk")]
        format: keys::KeyFormat,
    },
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
            #[cfg(feature = "import")]
            Command::Import(cmd) => admin()?.import(cmd).await,
        }
    }
}

async fn serve(args: &ServeArgs, data_dir: Option<PathBuf>) -> anyhow::Result<()> {
    crate::telemetry::init();
    let settings = Settings::load(args.overrides(data_dir)?)?;
    Application::build(settings)
        .await?
        .run_until_stopped()
        .await
}
