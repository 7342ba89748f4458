//! Stalled HTTP/2 streams against a running dealer: N prior-knowledge connections, each opening
//! M `POST /oauth/token` streams that send B body bytes (default 10) while announcing B + 90.
//! For measuring what the server holds (`grep VmRSS /proc/PID/status`) and whether the body
//! deadline answers them.
//!
//! `cargo run --example h2_stall -- 127.0.0.1:5001 10 200 30 [B]`
//! (address, connections, streams per connection, seconds to hold before reporting, bytes).

use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::Request;
use http_body_util::BodyExt;
use hyper::body::{Body, Frame, SizeHint};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tokio::net::TcpStream;
use tokio::task::JoinSet;

/// A body that sends `bytes` and then nothing, while promising 90 more.
struct Stalled {
    bytes: Option<Bytes>,
    announced: u64,
}

impl Body for Stalled {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        _cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        match self.bytes.take() {
            Some(bytes) => Poll::Ready(Some(Ok(Frame::data(bytes)))),
            None => Poll::Pending,
        }
    }

    fn size_hint(&self) -> SizeHint {
        SizeHint::with_exact(self.announced)
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: h2_stall <addr> <connections> <streams> <hold_secs>";
    let arg = |i: usize| args.get(i).ok_or_else(|| anyhow::anyhow!(usage));
    let addr = arg(1)?.clone();
    let connections: usize = arg(2)?.parse()?;
    let streams: usize = arg(3)?.parse()?;
    let hold = Duration::from_secs(arg(4)?.parse()?);
    let sent: usize = args.get(5).map_or(Ok(10), |b| b.parse())?;
    let body = Bytes::from(vec![b'a'; sent]);

    let mut requests = JoinSet::new();
    let mut drivers = Vec::new();
    for _ in 0..connections {
        let io = TokioIo::new(TcpStream::connect(&addr).await?);
        let (sender, conn) =
            hyper::client::conn::http2::handshake(TokioExecutor::new(), io).await?;
        drivers.push(tokio::spawn(conn));
        for _ in 0..streams {
            let mut sender = sender.clone();
            let uri = format!("http://{addr}/oauth/token");
            let body = Stalled {
                bytes: Some(body.clone()),
                announced: sent as u64 + 90,
            };
            requests.spawn(async move {
                let req = Request::post(uri)
                    .header("content-type", "application/x-www-form-urlencoded")
                    .body(body)?;
                sender.ready().await?;
                let response = sender.send_request(req).await?;
                let status = response.status();
                let _ = response.into_body().collect().await;
                anyhow::Ok(status.as_u16())
            });
        }
    }
    println!("opened {connections} connections x {streams} streams; holding {hold:?}");
    let mut answered = std::collections::BTreeMap::<String, usize>::new();
    let _ = tokio::time::timeout(hold, async {
        while let Some(done) = requests.join_next().await {
            let key = match done {
                Ok(Ok(status)) => status.to_string(),
                Ok(Err(e)) => format!("error: {e}"),
                Err(e) => format!("panic: {e}"),
            };
            *answered.entry(key).or_default() += 1;
        }
    })
    .await;
    println!("still waiting: {}; answered: {answered:?}", requests.len());
    Ok(())
}
