//! Measures client authentication through oxide-auth 0.6.1 against tokendealer's own check, and
//! probes `ClientCredentialsFlow` for the behaviours our token endpoint's contract pins.
//!
//! Run with `cargo run --release` in this directory; it prints one table and the probe results.

use std::borrow::Cow;
use std::collections::HashMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use aws_lc_rs::digest::{SHA256, digest};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use oxide_auth::endpoint::{
    NormalizedParameter, OwnerConsent, QueryParameter, Solicitation, WebRequest,
};
use oxide_auth::frontends::simple::endpoint::{Error as FlowError, FnSolicitor, client_credentials_flow};
use oxide_auth::frontends::simple::request::{Body, NoError, Response};
use oxide_auth::primitives::grant::Grant;
use oxide_auth::primitives::issuer::{IssuedToken, Issuer, RefreshedToken, TokenType};
use oxide_auth::primitives::registrar::{
    BoundClient, Client, ClientMap, ClientUrl, ExactUrl, PreGrant, Registrar, RegistrarError,
    RegisteredUrl,
};
use oxide_auth::primitives::scope::Scope;
use subtle::{Choice, ConstantTimeEq};

const ARGON2_SAMPLES: usize = 40;
const FAST_SAMPLES: usize = 200_000;

fn main() -> Result<(), String> {
    let cpu = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpu.lines().find(|l| l.starts_with("model name")).unwrap_or("model name: ?");
    let cores = std::thread::available_parallelism().map_or(0, usize::from);
    println!("machine: {} ({cores} logical CPUs), load average before: {}", model.split(':').nth(1).unwrap_or("?").trim(), loadavg());

    let secret = random_secret();
    let wrong = random_secret();
    let scope: Scope = "read write".parse().map_err(|e| format!("{e}"))?;
    let url: ExactUrl = "https://unused.invalid/".parse().map_err(|e| format!("{e}"))?;

    let mut map = ClientMap::new();
    map.register_client(Client::confidential(
        "svc-a",
        RegisteredUrl::Exact(url.clone()),
        scope.clone(),
        secret.as_bytes(),
    ));
    let ours = DigestRegistrar::new([("svc-a", secret.as_str(), scope.clone(), url)]);

    for reg in [&map as &dyn Registrar, &ours] {
        let ok = reg.check("svc-a", Some(secret.as_bytes())).is_ok()
            && reg.check("svc-a", Some(wrong.as_bytes())).is_err()
            && reg.check("nobody", Some(secret.as_bytes())).is_err();
        if !ok {
            return Err("a registrar gave the wrong answer".into());
        }
    }

    let overhead = time_cases(FAST_SAMPLES, &mut [&mut || {}]);
    let argon = time_cases(ARGON2_SAMPLES, &mut [
        &mut || drop(black_box(map.check("svc-a", Some(black_box(secret.as_bytes()))))),
        &mut || drop(black_box(map.check("svc-a", Some(black_box(wrong.as_bytes()))))),
    ]);
    let unknown = time_cases(FAST_SAMPLES, &mut [
        &mut || drop(black_box(map.check(black_box("nobody"), Some(secret.as_bytes())))),
    ]);
    let digest_times = time_cases(FAST_SAMPLES, &mut [
        &mut || drop(black_box(ours.check("svc-a", Some(black_box(secret.as_bytes()))))),
        &mut || drop(black_box(ours.check("svc-a", Some(black_box(wrong.as_bytes()))))),
        &mut || drop(black_box(ours.check(black_box("nobody"), Some(secret.as_bytes())))),
    ]);

    println!();
    println!("{:<34} {:<14} {:>8} {:>11} {:>11}", "registrar check", "case", "n", "median", "p99");
    let rows = [
        ("ClientMap + Argon2 (default)", "right secret", &argon[0]),
        ("ClientMap + Argon2 (default)", "wrong secret", &argon[1]),
        ("ClientMap + Argon2 (default)", "unknown id", &unknown[0]),
        ("SHA-256 + ct_eq (ours)", "right secret", &digest_times[0]),
        ("SHA-256 + ct_eq (ours)", "wrong secret", &digest_times[1]),
        ("SHA-256 + ct_eq (ours)", "unknown id", &digest_times[2]),
        ("(Instant::now pair, empty body)", "timer cost", &overhead[0]),
    ];
    for (name, case, samples) in rows {
        let (median, p99) = median_p99(samples);
        println!("{name:<34} {case:<14} {:>8} {:>11} {:>11}", samples.len(), show(median), show(p99));
    }
    println!("load average after: {}", loadavg());
    let (argon_median, _) = median_p99(&argon[0]);
    println!(
        "\nArgon2id here is 64 MiB, t=3, 1 lane per check: at most {:.1} authenticated requests/s on {cores} cores.\n",
        cores as f64 / argon_median.as_secs_f64()
    );

    probes(&map, &ours, &secret)
}

/// The 1-, 5- and 15-minute load averages: the machine is shared, so say how busy it was.
fn loadavg() -> String {
    let raw = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    raw.split_whitespace().take(3).collect::<Vec<_>>().join(" ")
}

/// Times each case once per round, rounds interleaved so that drift hits every case alike.
fn time_cases(rounds: usize, cases: &mut [&mut dyn FnMut()]) -> Vec<Vec<Duration>> {
    let mut out = vec![Vec::with_capacity(rounds); cases.len()];
    for case in cases.iter_mut() {
        case(); // warm-up
    }
    for _ in 0..rounds {
        for (i, case) in cases.iter_mut().enumerate() {
            let start = Instant::now();
            case();
            out[i].push(start.elapsed());
        }
    }
    out
}

fn median_p99(samples: &[Duration]) -> (Duration, Duration) {
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    let at = |q: f64| sorted[((sorted.len() - 1) as f64 * q).round() as usize];
    (at(0.5), at(0.99))
}

fn show(d: Duration) -> String {
    let ns = d.as_nanos() as f64;
    match ns {
        n if n >= 1e6 => format!("{:.1} ms", n / 1e6),
        n if n >= 1e3 => format!("{:.2} µs", n / 1e3),
        n => format!("{n:.0} ns"),
    }
}

fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    // aws-lc-rs' system RNG only fails if the OS has no entropy source; nothing to run then.
    aws_lc_rs::rand::fill(&mut bytes).unwrap_or_else(|_| std::process::exit(2));
    hex::encode(bytes)
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(digest(&SHA256, bytes).as_ref());
    out
}

/// tokendealer's way: store SHA-256(secret) of a 256-bit random secret (no password stretching
/// needed at that entropy) and do the same work whether or not the client exists.
struct DigestRegistrar {
    clients: HashMap<String, (/* digest */ [u8; 32], Scope, RegisteredUrl)>,
    dummy: [u8; 32],
}

impl DigestRegistrar {
    fn new<const N: usize>(clients: [(&str, &str, Scope, ExactUrl); N]) -> Self {
        let clients = clients
            .into_iter()
            .map(|(id, secret, scope, url)| (id.to_owned(), (sha256(secret.as_bytes()), scope, RegisteredUrl::Exact(url))))
            .collect();
        Self { clients, dummy: sha256(random_secret().as_bytes()) }
    }
}

impl Registrar for DigestRegistrar {
    fn bound_redirect<'a>(&self, bound: ClientUrl<'a>) -> Result<BoundClient<'a>, RegistrarError> {
        // The flow insists on a redirect URI even for client credentials, so one is stored.
        let (_, _, url) = self.clients.get(bound.client_id.as_ref()).ok_or(RegistrarError::Unspecified)?;
        Ok(BoundClient { client_id: bound.client_id, redirect_uri: Cow::Owned(url.clone()) })
    }

    fn negotiate(&self, client: BoundClient, scope: Option<Scope>) -> Result<PreGrant, RegistrarError> {
        let (_, allowed, _) = self.clients.get(client.client_id.as_ref()).ok_or(RegistrarError::Unspecified)?;
        let scope = match scope {
            None => allowed.clone(),
            Some(asked) if asked.allow_access(allowed) => asked,
            Some(_) => return Err(RegistrarError::Unspecified), // the only "no" a registrar has
        };
        Ok(PreGrant { client_id: client.client_id.into_owned(), redirect_uri: client.redirect_uri.into_owned(), scope })
    }

    fn check(&self, client_id: &str, passphrase: Option<&[u8]>) -> Result<(), RegistrarError> {
        let (stored, known) = match self.clients.get(client_id) {
            Some((digest, _, _)) => (digest, Choice::from(1)),
            None => (&self.dummy, Choice::from(0)),
        };
        let matches = sha256(passphrase.unwrap_or_default()).ct_eq(stored) & known;
        if bool::from(matches) { Ok(()) } else { Err(RegistrarError::Unspecified) }
    }
}

/// A form body that keeps every pair, so duplicates reach oxide-auth as sent.
#[derive(Default)]
struct FormRequest {
    body: Vec<(String, String)>,
    auth: Option<String>,
}

impl WebRequest for FormRequest {
    type Error = NoError;
    type Response = Response;

    fn query(&mut self) -> Result<Cow<'_, dyn QueryParameter + 'static>, NoError> {
        Ok(Cow::Owned(NormalizedParameter::new()))
    }
    fn urlbody(&mut self) -> Result<Cow<'_, dyn QueryParameter + 'static>, NoError> {
        Ok(Cow::Borrowed(&self.body))
    }
    fn authheader(&mut self) -> Result<Option<Cow<'_, str>>, NoError> {
        Ok(self.auth.as_deref().map(Cow::Borrowed))
    }
}

/// Stands in for our RS512 JWT signer and records the grant the flow hands it.
#[derive(Default)]
struct RecordingIssuer {
    seen: Option<Grant>,
}

impl Issuer for RecordingIssuer {
    fn issue(&mut self, grant: Grant) -> Result<IssuedToken, ()> {
        self.seen = Some(grant);
        Ok(IssuedToken {
            token: "<jwt>".into(),
            refresh: None,
            until: chrono::Utc::now() + chrono::Duration::seconds(3600),
            token_type: TokenType::Bearer,
        })
    }
    fn refresh(&mut self, _: &str, _: Grant) -> Result<RefreshedToken, ()> {
        Err(())
    }
    fn recover_token<'a>(&'a self, _: &'a str) -> Result<Option<Grant>, ()> {
        Ok(None)
    }
    fn recover_refresh<'a>(&'a self, _: &'a str) -> Result<Option<Grant>, ()> {
        Ok(None)
    }
}

fn approve(_: &mut FormRequest, _: Solicitation<'_>) -> OwnerConsent<Response> {
    OwnerConsent::Authorized("svc-a".into())
}

fn run(reg: &dyn Registrar, body: &[(&str, &str)], basic: Option<(&str, &str)>, in_body: bool) -> String {
    let request = FormRequest {
        body: body.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect(),
        auth: basic.map(|(id, secret)| format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))),
    };
    let mut issuer = RecordingIssuer::default();
    let mut solicitor = FnSolicitor(approve);
    let mut flow = client_credentials_flow(reg, &mut issuer, &mut solicitor);
    flow.allow_credentials_in_body(in_body);
    let answer = match flow.execute(request) {
        Ok(r) => {
            let body = match r.body { Some(Body::Json(b) | Body::Text(b)) => b, None => String::new() };
            let auth = r.www_authenticate.map(|h| format!(" WWW-Authenticate: {h}")).unwrap_or_default();
            format!("{:?}{auth} {body}", r.status)
        }
        Err(FlowError::OAuth(e)) => format!("no response, OAuthError::{e:?}"),
        Err(FlowError::Web(e)) => match e {},
    };
    match issuer.seen {
        Some(g) => format!("{answer}\n      issuer got: scope={} redirect_uri={} extensions={:?}", g.scope, g.redirect_uri, g.extensions),
        None => answer,
    }
}

/// Name, registrar, form pairs, Basic credentials, `allow_credentials_in_body`.
type Probe<'a> = (&'a str, &'a dyn Registrar, Vec<(&'a str, &'a str)>, Option<(&'a str, &'a str)>, bool);

fn probes(map: &ClientMap, ours: &DigestRegistrar, secret: &str) -> Result<(), String> {
    let cc = ("grant_type", "client_credentials");
    let post = [cc, ("client_id", "svc-a"), ("client_secret", secret)];
    let basic = Some(("svc-a", secret));
    let cases: [Probe<'_>; 11] = [
        ("a  Basic", ours, vec![cc], basic, false),
        ("a  client_secret_post, default flow", ours, post.to_vec(), None, false),
        ("a  client_secret_post, allow_credentials_in_body", ours, post.to_vec(), None, true),
        ("a  Basic and post together", ours, post.to_vec(), basic, true),
        ("b  resource=https://api.example", ours, vec![cc, ("resource", "https://api.example")], basic, false),
        ("c  wrong secret (Basic)", ours, vec![cc], Some(("svc-a", "wrong")), false),
        ("c  unknown client (Basic)", ours, vec![cc], Some(("nobody", secret)), false),
        ("d  grant_type twice", ours, vec![cc, cc], basic, false),
        ("d  scope twice (read, admin)", ours, vec![cc, ("scope", "read"), ("scope", "admin")], basic, false),
        ("g  ClientMap, scope=read (subset)", map, vec![cc, ("scope", "read")], basic, false),
        ("g  ours, scope=admin (not allowed)", ours, vec![cc, ("scope", "admin")], basic, false),
    ];
    println!("ClientCredentialsFlow probes (simple frontend, our Issuer):");
    for (name, reg, body, auth, in_body) in cases {
        println!("  {name:<50} -> {}", run(reg, &body, auth, in_body));
    }
    Ok(())
}
