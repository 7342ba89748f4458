//! Prometheus metrics: one registry per [`Metrics`] (so every application in a process counts
//! only what it did), every labelled series created up front so the hot path is an atomic add.

use std::time::Duration;

use prometheus_client::encoding::prometheus_text;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use super::labels::{
    CLIENT_REASONS, ISSUED, LOGIN_REASONS, issued_index, issued_label, reason_index,
};
use crate::domain::auth_failure::FailureReason;
use crate::domain::events::{Issued, LockedBy};
use crate::domain::keys::SigningAlg;

pub use super::labels::Refusal;

/// The `Content-Type` of what [`Metrics::encode`] writes (Prometheus text format 0.0.4).
pub const CONTENT_TYPE: &str = prometheus_text::CONTENT_TYPE;

type Labels = Vec<(&'static str, String)>;

fn alg_index(alg: SigningAlg) -> usize {
    SigningAlg::ALL.iter().position(|a| *a == alg).unwrap_or(0)
}

/// Request durations from 0.5 ms to 10 s.
fn duration_buckets() -> Histogram {
    Histogram::new([
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
    ])
}

/// The dealer's metrics and the handles that move them. Cheap to share behind an `Arc`.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    tokens: [[Counter; 3]; 3],
    client_auth_failures: [Counter; CLIENT_REASONS.len()],
    login_failures: [Counter; 3],
    lockouts: [Counter; 2],
    refused: [Counter; 3],
    /// One per route of the table, then one for requests no route matched.
    requests: Vec<Histogram>,
    store_writes: Histogram,
    store_write_errors: Counter,
    audit_dropped: Counter,
    audit_write_errors: Counter,
    signing_queue: Gauge,
    signing_queue_bound: Gauge,
    key_age: [Gauge; 3],
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new(&[])
    }
}

impl Metrics {
    /// Every series, registered once; `routes` are the route table's path patterns (the request
    /// histogram's only label, so its cardinality is the table's length plus one).
    pub fn new(routes: &[String]) -> Self {
        let mut r = Registry::with_prefix("tokendealer");
        let tokens_family = Family::<Labels, Counter>::default();
        r.register(
            "tokens_issued",
            "Access tokens issued, by grant and signing algorithm",
            tokens_family.clone(),
        );
        let tokens = ISSUED.map(|grant| {
            SigningAlg::ALL.map(|alg| {
                tokens_family.get_or_create_owned(&vec![
                    ("grant", issued_label(grant).to_owned()),
                    ("alg", alg.as_str().to_owned()),
                ])
            })
        });
        fn reasons<const N: usize>(
            r: &mut Registry,
            name: &str,
            help: &str,
            which: [FailureReason; N],
        ) -> [Counter; N] {
            let family = Family::<Labels, Counter>::default();
            r.register(name, help, family.clone());
            which.map(|w| family.get_or_create_owned(&vec![("reason", w.as_str().to_owned())]))
        }
        let client_auth_failures = reasons(
            &mut r,
            "client_auth_failures",
            "Failed client authentications, by reason",
            CLIENT_REASONS,
        );
        let login_failures = reasons(
            &mut r,
            "login_failures",
            "Failed user logins, by reason",
            LOGIN_REASONS,
        );
        fn labelled<const N: usize>(
            r: &mut Registry,
            name: &str,
            help: &str,
            key: &'static str,
            values: [&str; N],
        ) -> [Counter; N] {
            let family = Family::<Labels, Counter>::default();
            r.register(name, help, family.clone());
            values.map(|v| family.get_or_create_owned(&vec![(key, v.to_owned())]))
        }
        let lockouts = labelled(
            &mut r,
            "lockouts",
            "Logins locked out: a username or an address reached its failure limit",
            "by",
            ["user", "address"],
        );
        let refused = labelled(
            &mut r,
            "refused",
            "Requests answered 503, by reason",
            "reason",
            ["store_busy", "overloaded", "revocations_full"],
        );
        let requests_family =
            Family::<Labels, Histogram>::new_with_constructor(duration_buckets as fn() -> _);
        r.register(
            "request_duration_seconds",
            "Time to answer a request on the main listener, by route pattern",
            requests_family.clone(),
        );
        let requests = routes
            .iter()
            .map(String::as_str)
            .chain(["unmatched"])
            .map(|route| requests_family.get_or_create_owned(&vec![("route", route.to_owned())]))
            .collect();
        let store_writes = Histogram::new([
            0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 5.0,
        ]);
        r.register(
            "store_write_duration_seconds",
            "Time from queueing a store write to its flushed acknowledgement",
            store_writes.clone(),
        );
        let mut counter = |name, help| {
            let c = Counter::default();
            r.register(name, help, c.clone());
            c
        };
        let store_write_errors = counter(
            "store_write_errors",
            "Store writes that failed: queue full, deadline missed, flush failed",
        );
        let audit_dropped = counter(
            "audit_events_dropped",
            "Audit events dropped because the audit writer's queue was full",
        );
        let audit_write_errors = counter(
            "audit_write_errors",
            "Audit events that could not be written to the audit log",
        );
        let signing_queue = Gauge::default();
        r.register(
            "signing_queue_depth",
            "RSA signatures admitted and not yet done, waiting or running (at scrape time)",
            signing_queue.clone(),
        );
        let signing_queue_bound = Gauge::default();
        r.register(
            "signing_queue_bound",
            "RSA signatures admitted at once (signing_queue); beyond, token requests get 503",
            signing_queue_bound.clone(),
        );
        let age_family = Family::<Labels, Gauge>::default();
        r.register(
            "signing_key_age_seconds",
            "Age of the active signing key, by algorithm (at scrape time)",
            age_family.clone(),
        );
        let key_age = SigningAlg::ALL
            .map(|alg| age_family.get_or_create_owned(&vec![("alg", alg.as_str().to_owned())]));
        Self {
            registry: r,
            tokens,
            client_auth_failures,
            login_failures,
            lockouts,
            refused,
            requests,
            store_writes,
            store_write_errors,
            audit_dropped,
            audit_write_errors,
            signing_queue,
            signing_queue_bound,
            key_age,
        }
    }

    pub fn token_issued(&self, kind: Issued, alg: SigningAlg) {
        if let Some(c) = self
            .tokens
            .get(issued_index(kind))
            .and_then(|row| row.get(alg_index(alg)))
        {
            c.inc();
        }
    }

    /// A failed client authentication or login, counted under its reason.
    pub fn auth_failed(&self, reason: FailureReason) {
        let family: &[Counter] = if reason.is_client() {
            &self.client_auth_failures
        } else {
            &self.login_failures
        };
        if let Some(c) = family.get(reason_index(reason)) {
            c.inc();
        }
    }

    pub fn locked_out(&self, by: LockedBy) {
        let [user, address] = &self.lockouts;
        match by {
            LockedBy::User => user.inc(),
            LockedBy::Address => address.inc(),
        };
    }

    pub fn refused(&self, why: Refusal) {
        let [store, overloaded, revocations] = &self.refused;
        match why {
            Refusal::StoreBusy => store.inc(),
            Refusal::Overloaded => overloaded.inc(),
            Refusal::RevocationsFull => revocations.inc(),
        };
    }

    /// A request answered; `route` is its index in the route table, `None` if none matched.
    pub fn request_done(&self, route: Option<usize>, took: Duration) {
        let last = self.requests.len().saturating_sub(1);
        if let Some(h) = self.requests.get(route.unwrap_or(last).min(last)) {
            h.observe(took.as_secs_f64());
        }
    }

    pub fn audit_dropped(&self) {
        self.audit_dropped.inc();
    }

    pub fn audit_write_failed(&self) {
        self.audit_write_errors.inc();
    }

    /// Sets the gauges that are read at scrape time.
    pub fn set_scraped(
        &self,
        (signing_queue, signing_bound): (usize, usize),
        key_ages: [(SigningAlg, Option<u64>); 3],
    ) {
        let gauge = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        self.signing_queue.set(gauge(signing_queue));
        self.signing_queue_bound.set(gauge(signing_bound));
        for (alg, age) in key_ages {
            if let (Some(g), Some(age)) = (self.key_age.get(alg_index(alg)), age) {
                g.set(i64::try_from(age).unwrap_or(i64::MAX));
            }
        }
    }

    /// The registry in Prometheus text format.
    pub fn encode(&self) -> Result<String, std::fmt::Error> {
        let mut out = String::with_capacity(8 * 1024);
        prometheus_text::encode(&mut out, &self.registry)?;
        Ok(out)
    }
}

/// What the store tells its observer about each write.
pub trait StoreObserver: Send + Sync + std::fmt::Debug {
    /// A write finished after `took`; `failed` when the store could not take or flush it.
    fn write_done(&self, took: Duration, failed: bool);
}

impl StoreObserver for Metrics {
    fn write_done(&self, took: Duration, failed: bool) {
        self.store_writes.observe(took.as_secs_f64());
        if failed {
            self.store_write_errors.inc();
        }
    }
}
