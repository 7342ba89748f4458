//! The floor of any HTTP token server on this machine: per request one RS512 signature (the same
//! aws-lc-rs call as `rsa_ceiling` and the dealer) and a fixed answer — no HTTP library, no
//! routing, no form parse, no client lookup, no JSON. One single-threaded tokio runtime per core,
//! fed connections round-robin by one acceptor, so the signature never leaves the thread that
//! read the request (the dealer's per-thread model without the dealer).
//!
//! `benches/load.sh --bare` runs it beside the dealer in every round: wrk's and the kernel's
//! share of the same cores is what keeps even this server below the raw signing rate, and the
//! dealer's ratio divided by this one is what the dealer's own code costs.
//!
//! `cargo run --release --example bare_server -- [body_bytes] [threads]`; prints the port it
//! bound on 127.0.0.1, then serves HTTP/1.1 keep-alive requests with a Content-Length body until
//! killed. A request is taken as complete when its head and `Content-Length` bytes have arrived.

use std::sync::Arc;

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeyPair;
use aws_lc_rs::signature::RSA_PKCS1_SHA512;
use base64::Engine as _;
use tokendealer::domain::keys::{SigningAlg, SigningKey};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let body_bytes: usize = args.get(1).map_or(Ok(750), |s| s.parse())?;
    let threads = match args.get(2) {
        Some(n) => n.parse()?,
        None => std::thread::available_parallelism().map_or(2, usize::from),
    };
    let (_, der) = SigningKey::generate_for(SigningAlg::Rs512)?;
    let key = Arc::new(KeyPair::from_pkcs8(&der).map_err(|e| anyhow::anyhow!("{e}"))?);
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    println!("{}", listener.local_addr()?.port());
    // Connections go round-robin to the threads (as the dealer's acceptor spreads them by load):
    // threads accepting from one listener can leave every connection on one of them.
    let mut queues = Vec::new();
    for _ in 0..threads {
        let (queue, mut incoming) = tokio::sync::mpsc::unbounded_channel::<std::net::TcpStream>();
        queues.push(queue);
        let key = key.clone();
        std::thread::spawn(move || -> anyhow::Result<()> {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            rt.block_on(async move {
                while let Some(stream) = incoming.recv().await {
                    stream.set_nonblocking(true)?;
                    let stream = tokio::net::TcpStream::from_std(stream)?;
                    stream.set_nodelay(true)?;
                    tokio::spawn(serve(stream, key.clone(), body_bytes));
                }
                Ok(())
            })
        });
    }
    for (stream, queue) in listener.incoming().zip(queues.iter().cycle()) {
        queue.send(stream?)?;
    }
    Ok(())
}

async fn serve(mut stream: tokio::net::TcpStream, key: Arc<KeyPair>, body_bytes: usize) {
    let rng = SystemRandom::new();
    let message = vec![b'a'; 420]; // about the size of the dealer's `header.claims`
    let mut buf = Vec::with_capacity(8192);
    // The head is the same for every answer: written once, the body replaced per request.
    let mut answer = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncache-control: no-store\r\n\
         content-length: {body_bytes}\r\n\r\n"
    )
    .into_bytes();
    let head = answer.len();
    answer.reserve(body_bytes);
    loop {
        let Some(end) = complete_request(&buf) else {
            if buf.len() >= 8192 {
                return;
            }
            match stream.read_buf(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            continue;
        };
        let mut sig = [0u8; 256];
        if key
            .sign(&RSA_PKCS1_SHA512, &rng, &message, &mut sig)
            .is_err()
        {
            return;
        }
        answer.truncate(head);
        answer.extend_from_slice(
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .encode(sig)
                .as_bytes(),
        );
        answer.resize(head + body_bytes, b' ');
        if stream.write_all(&answer).await.is_err() {
            return;
        }
        buf.drain(..end);
    }
}

/// The length of the first complete request in `buf` (head and Content-Length body), if any.
fn complete_request(buf: &[u8]) -> Option<usize> {
    let head_end = buf.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = std::str::from_utf8(buf.get(..head_end)?).ok()?;
    let body = head
        .lines()
        .filter_map(|l| l.split_once(':'))
        .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
        .map_or(Some(0), |(_, v)| v.trim().parse::<usize>().ok())?;
    (buf.len() >= head_end + body).then_some(head_end + body)
}
