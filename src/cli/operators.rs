//! `tokendealer operator add|list|remove|passwd`: console operators over the admin API.
//! Passwords come from stdin (`--password-stdin`) or a prompt, never a flag.

use clap::Subcommand;
use reqwest::Method;
use serde_json::json;

use super::admin::AdminClient;
use super::users::{escape, read_password};

#[derive(Debug, Subcommand)]
pub enum OperatorCommand {
    /// Create a console operator; the password is prompted for, or read from stdin.
    Add {
        name: String,
        /// Read the password from the first line of stdin instead of prompting.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List console operators.
    List,
    /// Delete a console operator (its sessions end).
    Remove { name: String },
    /// Set an operator's password (prompted for, or read from stdin); its sessions end.
    Passwd {
        name: String,
        #[arg(long)]
        password_stdin: bool,
    },
}

impl AdminClient {
    pub async fn operator(&self, cmd: &OperatorCommand) -> anyhow::Result<()> {
        let out = match cmd {
            OperatorCommand::Add {
                name,
                password_stdin,
            } => {
                let password = read_password(*password_stdin)?;
                let body = json!({ "name": name, "password": password });
                self.call(Method::POST, "/admin/operators", Some(body))
                    .await?
            }
            OperatorCommand::List => self.call(Method::GET, "/admin/operators", None).await?,
            OperatorCommand::Remove { name } => {
                let path = format!("/admin/operators/{}", escape(name));
                self.call(Method::DELETE, &path, None).await?
            }
            OperatorCommand::Passwd {
                name,
                password_stdin,
            } => {
                let password = read_password(*password_stdin)?;
                let path = format!("/admin/operators/{}/password", escape(name));
                self.call(Method::POST, &path, Some(json!({ "password": password })))
                    .await?
            }
        };
        self.print(&out)
    }
}
