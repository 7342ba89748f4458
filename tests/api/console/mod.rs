//! The web console over HTTP. `mod.rs`: a browser without JavaScript (a cookie jar, no
//! redirects followed) and the bootstrap operator's credentials.

mod audit;
mod client_keys;
mod login;
mod pages;
mod paging;

use std::collections::HashMap;
use std::net::IpAddr;

use reqwest::header::{HeaderMap, SET_COOKIE};
use reqwest::{Response, StatusCode};
use serde_json::Value;

use crate::helpers::TestApp;

/// A browser without JavaScript: a cookie jar, no redirects followed.
pub struct Browser {
    base: String,
    http: reqwest::Client,
    pub cookies: HashMap<String, String>,
}

impl Browser {
    pub fn new(app: &TestApp) -> Self {
        Self::from(app, None)
    }

    /// A browser whose connections come from `address` (127.0.0.0/8 is all loopback).
    pub fn at(app: &TestApp, address: IpAddr) -> Self {
        Self::from(app, Some(address))
    }

    fn from(app: &TestApp, address: Option<IpAddr>) -> Self {
        Self {
            base: app.base.clone(),
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .local_address(address)
                .build()
                .unwrap(),
            cookies: HashMap::new(),
        }
    }

    fn keep(&mut self, headers: &HeaderMap) {
        for value in headers.get_all(SET_COOKIE) {
            let value = value.to_str().unwrap();
            let (pair, attributes) = value.split_once(';').unwrap_or((value, ""));
            let (name, v) = pair.split_once('=').unwrap();
            if attributes.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), v.to_owned());
            }
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub async fn get(&mut self, path: &str) -> Response {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .send()
            .await
            .unwrap();
        self.keep(r.headers());
        r
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Response {
        let r = self
            .http
            .post(format!("{}{path}", self.base))
            .header("cookie", self.cookie_header())
            .form(form)
            .send()
            .await
            .unwrap();
        self.keep(r.headers());
        r
    }

    /// The CSRF token of the first form on the page at `path`.
    pub async fn csrf(&mut self, path: &str) -> String {
        let html = self.get(path).await.text().await.unwrap();
        field(&html, r#"name="csrf""#)
    }

    pub async fn login(&mut self, name: &str, password: &str) -> Response {
        let token = self.csrf("/console/login").await;
        self.post(
            "/console/login",
            &[("csrf", &token), ("username", name), ("password", password)],
        )
        .await
    }
}

/// The `value` of the first element that has `marker`.
pub fn field(html: &str, marker: &str) -> String {
    let at = html
        .find(marker)
        .unwrap_or_else(|| panic!("{marker} in {html}"));
    let rest = &html[at..];
    let start = rest.find(r#"value=""#).unwrap() + 7;
    let end = rest[start..].find('"').unwrap();
    rest[start..start + end].to_owned()
}

pub fn credentials(app: &TestApp) -> (String, String) {
    let path = app.data_dir.path().join("admin-credentials.json");
    let creds: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
    (
        creds["console_user"].as_str().unwrap().to_owned(),
        creds["console_password"].as_str().unwrap().to_owned(),
    )
}

pub async fn logged_in(app: &TestApp) -> Browser {
    let (user, password) = credentials(app);
    let mut browser = Browser::new(app);
    let r = browser.login(&user, &password).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    browser
}
