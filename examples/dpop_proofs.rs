//! Writes DPoP proofs for benches/dpop.sh, one per line: `count` ES256 proofs (openid-client's
//! default key type) of one key for `POST htu`, each with its own `jti`, dated now.
//!
//!   cargo run --release --example dpop_proofs -- HTU COUNT > proofs.txt

use std::io::Write;

use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey};
use serde_json::json;

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let (Some(htu), Some(count)) = (args.next(), args.next()) else {
        anyhow::bail!("usage: dpop_proofs HTU COUNT");
    };
    let count: usize = count.parse()?;
    let pair = EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING)
        .map_err(|_| anyhow::anyhow!("generating a P-256 key failed"))?;
    let der = pair
        .to_pkcs8v1()
        .map_err(|_| anyhow::anyhow!("encoding the key failed"))?;
    let key = EncodingKey::from_ec_der(der.as_ref());
    let mut jwk = serde_json::to_value(Jwk::from_encoding_key(&key, Algorithm::ES256)?)?;
    if let Some(members) = jwk.as_object_mut() {
        members.retain(|name, _| ["kty", "crv", "x", "y"].contains(&name.as_str()));
    }
    let header = URL_SAFE_NO_PAD.encode(serde_json::to_vec(
        &json!({"typ": "dpop+jwt", "alg": "ES256", "jwk": jwk}),
    )?);
    let iat = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)?
        .as_secs();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for _ in 0..count {
        let claims = json!({
            "jti": hex::encode(rand::random::<[u8; 16]>()),
            "htm": "POST",
            "htu": htu,
            "iat": iat,
        });
        let message = format!(
            "{header}.{}",
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims)?)
        );
        let signature = jsonwebtoken::crypto::sign(message.as_bytes(), &key, Algorithm::ES256)?;
        writeln!(out, "{message}.{signature}")?;
    }
    out.flush()?;
    Ok(())
}
