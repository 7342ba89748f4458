//! Writes DPoP proofs for benches/dpop.sh, one per line: `count` proofs of one new key for
//! `POST htu`, each with its own `jti`, dated now; ES256 (openid-client's default key type)
//! unless `ALG` names EdDSA or RS256 (an RSA-2048 key).
//!
//!   cargo run --release --example dpop_proofs -- HTU COUNT [ES256|EdDSA|RS256] > proofs.txt

use std::io::Write;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{KeyPair as RsaKeyPair, KeySize};
use jsonwebtoken::Algorithm;
use reqwest::Url;
use tokendealer::client::SigningKey;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(htu), Some(count)) = (args.next(), args.next()) else {
        anyhow::bail!("usage: dpop_proofs HTU COUNT [ES256|EdDSA|RS256]");
    };
    let count: usize = count.parse()?;
    let key = match args.next().as_deref().unwrap_or("ES256") {
        "ES256" => SigningKey::generate(Algorithm::ES256)?,
        "EdDSA" => SigningKey::generate(Algorithm::EdDSA)?,
        "RS256" => {
            let pair = RsaKeyPair::generate(KeySize::Rsa2048)
                .map_err(|_| anyhow::anyhow!("generating an RSA key failed"))?;
            let der = pair
                .as_der()
                .map_err(|_| anyhow::anyhow!("encoding the RSA key failed"))?;
            let pem = pem::encode(&pem::Pem::new("PRIVATE KEY", der.as_ref().to_vec()));
            SigningKey::from_pem(pem.as_bytes(), Algorithm::RS256)?
        }
        other => anyhow::bail!("no proofs with {other}: ES256, EdDSA or RS256"),
    };
    let url = Url::parse(&htu)?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for _ in 0..count {
        writeln!(out, "{}", key.dpop_proof("POST", &url, now, None, None)?)?;
    }
    out.flush()?;
    Ok(())
}
