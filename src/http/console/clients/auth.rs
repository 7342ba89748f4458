//! How a client authenticates, on its console page: the method with what it checks (the `kid`s
//! or the `jwks_uri` of its keys, the certificate's name, the federated subjects), and the form
//! that replaces its keys — the admin API's `PUT /admin/clients/{id}/jwks`, audited as it is.

use http::{Method, Response};
use maud::{Markup, html};

use super::super::forms::Form;
use super::super::{Ctx, views};
use crate::domain::client_auth::{ClientAuthMethod, ClientKeys};
use crate::domain::{AdminError, Client, ClientId};
use crate::http::error::Rejection;
use crate::http::response::Body;

/// The rows of the client's page that say how it authenticates.
pub fn describe(client: &Client) -> Markup {
    let method = &client.auth_method;
    html! {
        dt { "Authentication" }
        dd id="auth-method" {
            @match method {
                ClientAuthMethod::ClientSecret => {
                    code { "client_secret_basic" } " or " code { "client_secret_post" } " (its secret)"
                }
                ClientAuthMethod::PrivateKeyJwt { .. } => {
                    code { "private_key_jwt" } " (an assertion signed with one of its keys)"
                }
                ClientAuthMethod::Federated { .. } => {
                    code { "private_key_jwt" } " (a trusted issuer's token: workload identity federation)"
                }
                _ => code { (method) },
            }
        }
        @match method.keys() {
            Some(ClientKeys::Inline(set)) => {
                dt { "Its keys" }
                dd id="auth-keys" {
                    (set.keys().len()) " in its JWK Set"
                    @for kid in method.kids() { ", kid " code { (kid) } }
                }
            }
            Some(ClientKeys::Remote(uri)) => {
                dt { "Its keys" }
                dd id="auth-keys" { "fetched from " code { (uri) } }
            }
            None => {}
        }
        @for s in method.federated_subjects() {
            dt { "Federated subject" } dd { code { (s.trust) "=" (s.subject) } }
        }
    }
}

/// The form that replaces the client's keys, or gives a client of another method keys instead.
pub fn replace_form(ctx: &Ctx<'_>, client: &Client, base: &str) -> Markup {
    let has_keys = client.auth_method.keys().is_some();
    html! {
        @if has_keys {
            h2 { "Replace its keys" }
            p { "Its current keys stop verifying its assertions as soon as these are saved." }
        } @else {
            h2 { "Authenticate with keys instead" }
            p { "It then authenticates with " code { "private_key_jwt" } " and these keys alone: "
                "its " code { (client.auth_method.as_str()) } " stops working at once." }
        }
        form.stack method="post" action={ (base) "/jwks" } {
            (views::csrf(&ctx.session))
            label for="jwks" { "JWK Set of its public keys (JSON; no private member)" }
            textarea id="jwks" name="jwks" rows="6" spellcheck="false" {}
            label for="jwks_uri" { "Or the URL of its JWK Set (https)" }
            input id="jwks_uri" name="jwks_uri" type="url" maxlength="2048";
            button type="submit" { "Replace keys" }
        }
    }
}

/// Replaces the client's keys, recorded as the admin API's `PUT /admin/clients/{id}/jwks`
/// whatever the outcome.
pub async fn set_jwks(
    ctx: &Ctx<'_>,
    id: &ClientId,
    form: &Form,
) -> Result<Response<Body>, Rejection> {
    let outcome = async {
        let (jwks, jwks_uri) = key_fields(form)?;
        let method = ClientAuthMethod::private_key_jwt(jwks.as_ref(), jwks_uri)?;
        ctx.state.registry.set_auth_method(id, method).await
    }
    .await;
    let target = id.as_str();
    ctx.audit(
        &Method::PUT,
        &["clients", target, "jwks"],
        target,
        outcome.is_ok(),
    );
    outcome?;
    Ok(views::redirect_to(format!(
        "/console/clients/{}",
        views::escape(target)
    )))
}

/// The form's `jwks` (a pasted JWK Set, parsed as JSON) and `jwks_uri`, each `None` when empty:
/// what the admin API's JSON body holds, for the domain to judge.
pub fn key_fields(form: &Form) -> Result<(Option<serde_json::Value>, Option<&str>), AdminError> {
    let jwks = match form.get("jwks") {
        "" => None,
        raw => Some(
            serde_json::from_str(raw)
                .map_err(|_| AdminError::invalid("the JWK Set is not JSON"))?,
        ),
    };
    let uri = Some(form.get("jwks_uri")).filter(|u| !u.is_empty());
    Ok((jwks, uri))
}
