//! HTTP/2 with prior knowledge: served, idle connections closed, stalled streams answered.

use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::body::{Body, Frame, SizeHint};
use hyper_util::rt::{TokioExecutor, TokioIo};
use serde_json::Value;
use tokio::io::AsyncWriteExt;
use tokio::time::Instant;

use super::{LONG, MARGIN, SHORT, all_long, assert_still_serving, connect, read_until_closed};
use crate::helpers::spawn_with;

/// The client preface and an empty SETTINGS frame: a valid HTTP/2 connection, no stream.
pub(super) const PREFACE_AND_SETTINGS: &[u8] =
    b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\0\0\0\x04\0\0\0\0\0";

#[tokio::test]
async fn http2_with_prior_knowledge_is_served_by_authority_without_a_host_header() {
    let app = spawn_with(|_| {}).await;
    let h2 = reqwest::Client::builder()
        .http2_prior_knowledge()
        .build()
        .unwrap();
    let r = h2.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(r.version(), reqwest::Version::HTTP_2);
    assert_eq!(r.status(), 200);
    let r = h2
        .post(app.url("/oauth/token"))
        .basic_auth(&app.admin_id, Some(&app.admin_secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.json::<Value>().await.unwrap()["access_token"].is_string());
}

#[tokio::test]
async fn an_http2_connection_that_opens_no_stream_is_closed_after_the_idle_deadline() {
    let app = spawn_with(|s| {
        all_long(s);
        s.idle_timeout = SHORT;
    })
    .await;
    let mut quiet = connect(&app).await;
    quiet.write_all(PREFACE_AND_SETTINGS).await.unwrap();
    let (_, received) = read_until_closed(&mut quiet, SHORT + MARGIN).await;
    assert!(
        !received.is_empty(),
        "the server spoke HTTP/2 before closing"
    );
    assert_still_serving(&app).await;
}

#[tokio::test]
async fn an_http2_connection_is_closed_once_idle_after_its_requests() {
    let app = spawn_with(|s| {
        all_long(s);
        s.idle_timeout = SHORT;
    })
    .await;
    let io = TokioIo::new(connect(&app).await);
    let (mut sender, conn) = hyper::client::conn::http2::handshake(TokioExecutor::new(), io)
        .await
        .unwrap();
    let driver = tokio::spawn(conn);
    let req = http::Request::get(app.url("/healthz"))
        .body(http_body_util::Empty::<Bytes>::new())
        .unwrap();
    assert_eq!(sender.send_request(req).await.unwrap().status(), 200);
    let ended = tokio::time::timeout(SHORT + MARGIN, driver).await;
    assert!(
        ended.is_ok(),
        "the server closed the idle HTTP/2 connection"
    );
}

/// A body that sends 10 bytes and then nothing, while announcing 100.
pub(super) struct Stalled {
    pub sent: bool,
}

impl Body for Stalled {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if self.sent {
            return Poll::Pending;
        }
        self.sent = true;
        Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(b"grant_type")))))
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(100)
    }
}

#[tokio::test]
async fn stalled_http2_streams_are_answered_408_by_the_body_deadline() {
    let app = spawn_with(|s| {
        all_long(s);
        s.body_read_timeout = SHORT;
        s.h2_max_concurrent_streams = 5;
    })
    .await;
    let io = TokioIo::new(connect(&app).await);
    let (sender, conn) = hyper::client::conn::http2::handshake(TokioExecutor::new(), io)
        .await
        .unwrap();
    tokio::spawn(conn);
    // One exchange first, so the client knows the server's stream limit and queues beyond it
    // (before that, streams past the limit are refused, as they should be).
    let mut first = sender.clone();
    let healthz = http::Request::get(app.url("/healthz")).body(Stalled { sent: true });
    assert_eq!(
        first.send_request(healthz.unwrap()).await.unwrap().status(),
        200
    );
    let start = Instant::now();
    let mut streams = tokio::task::JoinSet::new();
    // Twice the stream limit: the second half starts as the first is answered.
    for _ in 0..10 {
        let mut sender = sender.clone();
        let req = http::Request::post(app.url("/oauth/token"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Stalled { sent: false })
            .unwrap();
        streams.spawn(async move {
            sender.ready().await.unwrap();
            let response = sender.send_request(req).await.unwrap();
            let status = response.status();
            let body = response.into_body().collect().await.unwrap().to_bytes();
            (status, body)
        });
    }
    let answers = tokio::time::timeout(2 * SHORT + MARGIN, streams.join_all())
        .await
        .expect("every stalled stream is answered");
    for (status, body) in answers {
        assert_eq!(status, 408);
        let body: Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(body["error"], "invalid_request");
    }
    assert!(start.elapsed() < LONG);
    assert_still_serving(&app).await;
}

#[tokio::test]
async fn an_http2_peer_that_stops_answering_pings_is_closed() {
    let app = spawn_with(|s| {
        all_long(s);
        s.h2_keepalive_interval = SHORT;
        s.h2_keepalive_timeout = SHORT;
    })
    .await;
    // Preface and SETTINGS, then silence: no SETTINGS ack, no PING ack.
    let mut deaf = connect(&app).await;
    deaf.write_all(PREFACE_AND_SETTINGS).await.unwrap();
    read_until_closed(&mut deaf, 2 * SHORT + MARGIN).await;
}

#[tokio::test]
async fn at_the_cap_http2_connections_without_a_stream_make_room_like_idle_ones() {
    let app = spawn_with(|s| {
        all_long(s);
        s.max_connections = 2;
    })
    .await;
    // Two HTTP/2 connections that said their preface and SETTINGS and nothing more: no stream,
    // so idle; before, the preface counted as a request head that never ended.
    let mut held = Vec::new();
    for _ in 0..2 {
        let mut stream = connect(&app).await;
        stream.write_all(PREFACE_AND_SETTINGS).await.unwrap();
        held.push(stream);
    }
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let started = Instant::now();
    let healthz = tokio::time::timeout(MARGIN, app.get("/healthz")).await;
    assert_eq!(healthz.expect("a place was made").status(), 200);
    assert!(started.elapsed() < MARGIN);
    for mut s in held {
        read_until_closed(&mut s, MARGIN).await;
    }
}
