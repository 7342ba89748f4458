//! The console's registration of a client: the form, where the operator chooses how the client
//! authenticates (a secret, its public keys, a TLS certificate or a trusted issuer's tokens),
//! and its handler, which builds the admin API's [`ClientRequest`] and leaves every rule to
//! [`NewClient::parse`].

use http::{Method, Response};
use maud::{Markup, html};

use super::super::forms::Form;
use super::super::{Ctx, views};
use super::{auth, secret_page};
use crate::domain::federation::parse_subjects;
use crate::domain::keys::SigningAlg;
use crate::domain::registration::TlsAuthRequest;
use crate::domain::{AdminError, ClientRequest, GrantType, NewClient};
use crate::http::client_cert::certificate_der;
use crate::http::error::Rejection;
use crate::http::response::Body;

/// The methods the form offers: the radio's value, its id, and its label. The stylesheet shows
/// the chosen one's fields alone; without it every field shows, and only the chosen method's
/// are read.
const METHODS: [(&str, &str, &str); 4] = [
    (
        "secret",
        "auth-secret",
        "A secret (client_secret_basic or client_secret_post), shown once",
    ),
    (
        "private_key_jwt",
        "auth-keys",
        "Its public keys (private_key_jwt): a JWK Set, pasted or at a URL",
    ),
    (
        "tls",
        "auth-tls",
        "A TLS client certificate (tls_client_auth, self_signed_tls_client_auth)",
    ),
    (
        "federated",
        "auth-federated",
        "Tokens of a trusted issuer (workload identity federation)",
    ),
];

pub fn form(ctx: &Ctx<'_>) -> Markup {
    let policy = ctx.state.registry.policy();
    html! {
        form.stack method="post" action="/console/clients" {
            (views::csrf(&ctx.session))
            label for="client_id" { "Client id" }
            input id="client_id" name="client_id" type="text" required maxlength="128";
            label for="audiences" { "Audiences (one per line)" }
            textarea id="audiences" name="audiences" rows="3" required {}
            label for="scopes" { "Scopes (separated by spaces)" }
            input id="scopes" name="scopes" type="text";
            fieldset {
                legend { "Grants" }
                @for grant in GrantType::ALL {
                    input id={ "grant-" (grant.as_str()) } name="grants" type="checkbox" value=(grant.as_str())
                        checked[grant == GrantType::ClientCredentials];
                    label for={ "grant-" (grant.as_str()) } { " " (grant.as_str()) " " }
                }
            }
            label for="token_ttl" { "Token lifetime (seconds)" }
            input id="token_ttl" name="token_ttl" type="number" min="1"
                max=(policy.max_token_ttl) value=(policy.default_token_ttl);
            label for="alg" { "Signing algorithm" }
            select id="alg" name="alg" {
                @for alg in ctx.state.issuer.keys().policy().algorithms.iter() {
                    option value=(alg.as_str()) selected[alg == SigningAlg::default()] { (alg.as_str()) }
                }
            }
            fieldset.auth {
                legend { "How it authenticates" }
                @for (value, id, label) in METHODS {
                    input id=(id) name="auth" type="radio" value=(value) checked[value == "secret"];
                    label for=(id) { " " (label) }
                    br;
                }
                div.method.method-keys {
                    label for="jwks" { "JWK Set of its public keys (JSON; no private member)" }
                    textarea id="jwks" name="jwks" rows="6" spellcheck="false" placeholder=r#"{"keys": [{"kty": "OKP", "crv": "Ed25519", "kid": "…", "x": "…"}]}"# {}
                    label for="jwks_uri" { "Or the URL of its JWK Set (https)" }
                    input id="jwks_uri" name="jwks_uri" type="url" maxlength="2048" placeholder="https://svc.example/jwks.json";
                }
                div.method.method-tls {
                    label for="tls_subject_dn" { "Certificate subject DN under the client CA (tls_client_auth), RFC 4514" }
                    input id="tls_subject_dn" name="tls_subject_dn" type="text" maxlength="1024" placeholder="CN=svc,O=Example";
                    label for="tls_san_dns" { "Or a DNS name in its subject alternative names" }
                    input id="tls_san_dns" name="tls_san_dns" type="text" maxlength="1024" placeholder="svc.example";
                    label for="tls_san_uri" { "Or a URI in its subject alternative names" }
                    input id="tls_san_uri" name="tls_san_uri" type="text" maxlength="1024" placeholder="spiffe://example/svc";
                    label for="tls_certificate" { "Or the client's own certificate, PEM (self_signed_tls_client_auth)" }
                    textarea id="tls_certificate" name="tls_certificate" rows="4" {}
                }
                div.method.method-federated {
                    label for="federated" { "Federated subjects (NAME=SUBJECT, one per line; NAME a trusted issuer)" }
                    textarea id="federated" name="federated" rows="2" {}
                }
            }
            div {
                input id="dpop_bound" name="dpop_bound" type="checkbox" value="on";
                label for="dpop_bound" { " Tokens only with a DPoP proof (DPoP-bound)" }
            }
            button type="submit" { "Register" }
        }
    }
}

/// Registers the form's client, recorded as the admin API's `POST /admin/clients` whatever
/// the outcome.
pub async fn create(ctx: &Ctx<'_>, form: &Form) -> Result<Response<Body>, Rejection> {
    let outcome = register(ctx, form).await;
    ctx.audit(
        &Method::POST,
        &["clients"],
        form.get("client_id"),
        outcome.is_ok(),
    );
    outcome
}

async fn register(ctx: &Ctx<'_>, form: &Form) -> Result<Response<Body>, Rejection> {
    let ttl =
        match form.get("token_ttl") {
            "" => None,
            raw => Some(raw.parse().map_err(|_| {
                AdminError::invalid("the token lifetime must be a number of seconds")
            })?),
        };
    let (audiences, scopes, grants) = (
        form.words("audiences"),
        form.words("scopes"),
        form.words("grants"),
    );
    // No choice (a scripted form) reads every method's fields, and the domain refuses two.
    let chosen = form.get("auth");
    if !chosen.is_empty() && !METHODS.iter().any(|(value, ..)| *value == chosen) {
        return Err(AdminError::invalid("choose how the client authenticates").into());
    }
    let by = |method: &str| chosen.is_empty() || chosen == method;
    let given = |name, method| Some(form.get(name)).filter(|v| !v.is_empty() && by(method));
    let (jwks, jwks_uri) = if by("private_key_jwt") {
        auth::key_fields(form)?
    } else {
        (None, None)
    };
    let certificate = given("tls_certificate", "tls")
        .map(certificate_der)
        .transpose()?;
    let federated = if by("federated") {
        let lines = form.get("federated").lines().map(str::trim);
        parse_subjects(lines.filter(|l| !l.is_empty()))?
    } else {
        Vec::new()
    };
    let request = ClientRequest {
        client_id: form.get("client_id"),
        audiences: &audiences,
        scopes: &scopes,
        grants: Some(&grants),
        token_ttl: ttl,
        alg: Some(form.get("alg")).filter(|a| !a.is_empty()),
        jwks: jwks.as_ref(),
        jwks_uri,
        federated: &federated,
        dpop_bound: form.has("dpop_bound"),
        tls: TlsAuthRequest {
            subject_dn: given("tls_subject_dn", "tls"),
            san_dns: given("tls_san_dns", "tls"),
            san_uri: given("tls_san_uri", "tls"),
            certificate: certificate.as_deref(),
        },
    };
    let registry = &ctx.state.registry;
    let algorithms = ctx.state.issuer.keys().policy().algorithms;
    let new = NewClient::parse(&request, registry.policy(), algorithms)?;
    ctx.state
        .federation
        .check_binding(new.auth_method.federated_subjects())?;
    match registry.register(new, ctx.now).await? {
        (client, Some(secret)) => Ok(secret_page(ctx, "Client registered", &client, &secret)),
        // A client with keys, a certificate or federated subjects has no secret to show.
        (client, None) => Ok(views::redirect_to(format!(
            "/console/clients/{}",
            views::escape(client.id.as_str())
        ))),
    }
}
