//! Directory commands (`org`, `ou`, `dept`, `wfc`, `role`, `user`, `service`) over the admin API.
//! Passwords come from stdin (`--password-stdin`) or a prompt, never a flag.

use std::io::BufRead;

use anyhow::{Context, bail};
use clap::Subcommand;
use reqwest::Method;
use serde_json::{Value, json};

use super::admin::AdminClient;

/// `add`, `list`, `show`, `remove` for entries that are just a name.
#[derive(Debug, Subcommand)]
pub enum NamedCommand {
    /// Create one.
    Add { name: String },
    /// List all.
    List,
    /// Show one.
    Show { name: String },
    /// Delete one; refused while something refers to it.
    Remove { name: String },
}

#[derive(Debug, Subcommand)]
pub enum WfcCommand {
    /// Create a work-function context from an existing organization, org unit and department.
    Add {
        name: String,
        #[arg(long)]
        org: String,
        #[arg(long)]
        ou: String,
        #[arg(long)]
        dept: String,
    },
    /// List all.
    List,
    /// Show one.
    Show { name: String },
    /// Delete one; refused while a user has it.
    Remove { name: String },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user; the password is prompted for, or read from stdin.
    Add {
        username: String,
        #[arg(long)]
        email: String,
        /// A role of the user. Repeatable; at least one.
        #[arg(long = "role", required = true)]
        roles: Vec<String>,
        #[arg(long)]
        wfc: String,
        /// Read the password from the first line of stdin instead of prompting.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set a user's password (prompted for, or read from stdin).
    Passwd {
        username: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// List users.
    List,
    /// Show one user.
    Show { username: String },
    /// Delete a user.
    Remove { username: String },
}

#[derive(Debug, Subcommand)]
pub enum ServiceCommand {
    /// Add a service to the catalog.
    Add {
        name: String,
        #[arg(long)]
        internal_url: String,
        #[arg(long)]
        external_url: Option<String>,
        #[arg(long)]
        admin_url: Option<String>,
    },
    /// List the catalog.
    List,
    /// Show one service.
    Show { name: String },
    /// Delete a service.
    Remove { name: String },
}

impl AdminClient {
    /// `org|ou|dept|role ...`; `resource` is the admin API's collection (`orgs`, ...).
    pub async fn named(&self, resource: &str, cmd: &NamedCommand) -> anyhow::Result<()> {
        let out = match cmd {
            NamedCommand::Add { name } => self.create(resource, json!({ "name": name })).await?,
            NamedCommand::List => self.list(resource).await?,
            NamedCommand::Show { name } => self.show(resource, name).await?,
            NamedCommand::Remove { name } => self.remove(resource, name).await?,
        };
        self.print(&out)
    }

    pub async fn wfc(&self, cmd: &WfcCommand) -> anyhow::Result<()> {
        let out = match cmd {
            WfcCommand::Add {
                name,
                org,
                ou,
                dept,
            } => {
                let body = json!({"name": name, "org": org, "orgunit": ou, "department": dept});
                self.create("wfcs", body).await?
            }
            WfcCommand::List => self.list("wfcs").await?,
            WfcCommand::Show { name } => self.show("wfcs", name).await?,
            WfcCommand::Remove { name } => self.remove("wfcs", name).await?,
        };
        self.print(&out)
    }

    pub async fn user(&self, cmd: &UserCommand) -> anyhow::Result<()> {
        let out = match cmd {
            UserCommand::Add {
                username,
                email,
                roles,
                wfc,
                password_stdin,
            } => {
                let password = read_password(*password_stdin)?;
                let body = json!({"username": username, "email": email, "password": password,
                    "roles": roles, "wfc": wfc});
                self.create("users", body).await?
            }
            UserCommand::Passwd {
                username,
                password_stdin,
            } => {
                let password = read_password(*password_stdin)?;
                let path = format!("/admin/users/{}/password", escape(username));
                self.call(Method::POST, &path, Some(json!({ "password": password })))
                    .await?
            }
            UserCommand::List => self.list("users").await?,
            UserCommand::Show { username } => self.show("users", username).await?,
            UserCommand::Remove { username } => self.remove("users", username).await?,
        };
        self.print(&out)
    }

    pub async fn service(&self, cmd: &ServiceCommand) -> anyhow::Result<()> {
        let out = match cmd {
            ServiceCommand::Add {
                name,
                internal_url,
                external_url,
                admin_url,
            } => {
                let body = json!({"name": name, "endpoint_url_internal": internal_url,
                    "endpoint_url_external": external_url, "endpoint_url_admin": admin_url});
                self.create("services", body).await?
            }
            ServiceCommand::List => self.list("services").await?,
            ServiceCommand::Show { name } => self.show("services", name).await?,
            ServiceCommand::Remove { name } => self.remove("services", name).await?,
        };
        self.print(&out)
    }

    async fn create(&self, resource: &str, body: Value) -> anyhow::Result<Value> {
        self.call(Method::POST, &format!("/admin/{resource}"), Some(body))
            .await
    }

    async fn list(&self, resource: &str) -> anyhow::Result<Value> {
        self.call(Method::GET, &format!("/admin/{resource}"), None)
            .await
    }

    async fn show(&self, resource: &str, name: &str) -> anyhow::Result<Value> {
        let path = format!("/admin/{resource}/{}", escape(name));
        self.call(Method::GET, &path, None).await
    }

    async fn remove(&self, resource: &str, name: &str) -> anyhow::Result<Value> {
        let path = format!("/admin/{resource}/{}", escape(name));
        self.call(Method::DELETE, &path, None).await
    }
}

pub(super) fn escape(segment: &str) -> String {
    percent_encoding::utf8_percent_encode(segment, percent_encoding::NON_ALPHANUMERIC).to_string()
}

/// The first line of stdin, or a prompt typed twice with the echo off.
pub(super) fn read_password(from_stdin: bool) -> anyhow::Result<String> {
    let password = if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("reading the password from stdin")?;
        line.trim_end_matches(['\r', '\n']).to_owned()
    } else {
        let first = rpassword::prompt_password("Password: ").context("reading the password")?;
        let again = rpassword::prompt_password("Repeat it: ").context("reading the password")?;
        if first != again {
            bail!("the two passwords differ");
        }
        first
    };
    if password.is_empty() {
        bail!("the password is empty");
    }
    Ok(password)
}
