//! The machine's raw RS512 ceiling: RSA-2048 PKCS#1 v1.5 SHA-512 signatures per second with a
//! cached aws-lc-rs key, on N threads (default: one per core), for D seconds.
//!
//! `cargo run --release --example rsa_ceiling -- [threads] [seconds] [alg]`; alg is RS512,
//! EdDSA or ES256. Prints one line: `<alg> signs/s: <rate> (<threads> threads) signs=<n>
//! wall_s=<s> cpu_s=<s>`; the CPU seconds (this process's user + system time) let a caller
//! compare signatures per CPU-second, which other load on the machine does not change.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokendealer::domain::keys::{SigningAlg, SigningKey};

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let threads = match args.get(1) {
        Some(n) => n.parse()?,
        None => std::thread::available_parallelism().map_or(2, usize::from),
    };
    let seconds: f64 = args.get(2).map_or(Ok(5.0), |s| s.parse())?;
    let alg = match args.get(3) {
        Some(a) => SigningAlg::parse(a).ok_or_else(|| anyhow::anyhow!("unknown alg {a}"))?,
        None => SigningAlg::Rs512,
    };
    let (_, der) = SigningKey::generate_for(alg)?;
    // The same library call the dealer makes, minus everything around it: the raw ceiling.
    let message = vec![b'a'; 420]; // about the size of `header.claims`
    let stop = Arc::new(AtomicBool::new(false));
    let count = Arc::new(AtomicU64::new(0));
    let mut handles = Vec::new();
    for _ in 0..threads {
        let (der, message, stop, count) =
            (der.clone(), message.clone(), stop.clone(), count.clone());
        handles.push(std::thread::spawn(move || -> anyhow::Result<()> {
            let signer = raw::Signer::new(alg, &der)?;
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                signer.sign(&message)?;
                n += 1;
            }
            count.fetch_add(n, Ordering::Relaxed);
            Ok(())
        }));
    }
    let start = Instant::now();
    let cpu0 = cpu_seconds()?;
    std::thread::sleep(Duration::from_secs_f64(seconds));
    stop.store(true, Ordering::Relaxed);
    for h in handles {
        h.join()
            .map_err(|_| anyhow::anyhow!("a signing thread panicked"))??;
    }
    let wall = start.elapsed().as_secs_f64();
    let cpu = cpu_seconds()? - cpu0;
    let n = count.load(Ordering::Relaxed);
    let rate = n as f64 / wall;
    println!(
        "{alg} signs/s: {rate:.0} ({threads} threads) signs={n} wall_s={wall:.3} cpu_s={cpu:.3}"
    );
    Ok(())
}

/// User + system CPU time of this process so far, from /proc/self/stat.
fn cpu_seconds() -> anyhow::Result<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat")?;
    let after_name = stat
        .rsplit_once(')')
        .ok_or_else(|| anyhow::anyhow!("odd /proc/self/stat"))?
        .1;
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of stat(5): 12 and 13 after the name.
    let field = |i: usize| -> anyhow::Result<f64> {
        let raw = fields
            .get(i)
            .ok_or_else(|| anyhow::anyhow!("short /proc/self/stat"))?;
        Ok(raw.parse::<f64>()?)
    };
    let ticks = field(11)? + field(12)?;
    Ok(ticks / 100.0) // USER_HZ is 100 on Linux
}

mod raw {
    use anyhow::anyhow;
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::rsa::KeyPair as RsaKeyPair;
    use aws_lc_rs::signature::{
        ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, RSA_PKCS1_SHA512,
    };
    use tokendealer::domain::keys::SigningAlg;

    pub enum Signer {
        Rsa(RsaKeyPair),
        Ed(Ed25519KeyPair),
        Ec(EcdsaKeyPair),
    }

    impl Signer {
        pub fn new(alg: SigningAlg, der: &[u8]) -> anyhow::Result<Self> {
            let bad = |e| anyhow!("{e}");
            Ok(match alg {
                SigningAlg::Rs512 => Self::Rsa(RsaKeyPair::from_pkcs8(der).map_err(bad)?),
                SigningAlg::EdDsa => {
                    Self::Ed(Ed25519KeyPair::from_pkcs8_maybe_unchecked(der).map_err(bad)?)
                }
                SigningAlg::Es256 => Self::Ec(
                    EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der).map_err(bad)?,
                ),
            })
        }

        pub fn sign(&self, msg: &[u8]) -> anyhow::Result<()> {
            let rng = SystemRandom::new();
            match self {
                Self::Rsa(k) => {
                    let mut sig = [0u8; 256];
                    k.sign(&RSA_PKCS1_SHA512, &rng, msg, &mut sig)
                        .map_err(|_| anyhow!("sign"))?;
                    std::hint::black_box(sig);
                }
                Self::Ed(k) => {
                    std::hint::black_box(k.sign(msg));
                }
                Self::Ec(k) => {
                    std::hint::black_box(k.sign(&rng, msg).map_err(|_| anyhow!("sign"))?);
                }
            }
            Ok(())
        }
    }
}
