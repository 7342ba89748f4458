//! An RSA public key written out for tools that do not read JWKs: OpenSSH's `ssh-rsa` line
//! (tokenleaderclient's `tl_public_key`) and SubjectPublicKeyInfo PEM.

use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

/// An RSA public key as big-endian modulus and exponent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RsaPublicKey {
    pub n: Vec<u8>,
    pub e: Vec<u8>,
}

impl RsaPublicKey {
    /// From a JWK's base64url `n` and `e`.
    pub fn from_jwk_components(n: &str, e: &str) -> anyhow::Result<Self> {
        Ok(Self {
            n: URL_SAFE_NO_PAD.decode(n).context("decoding the modulus")?,
            e: URL_SAFE_NO_PAD.decode(e).context("decoding the exponent")?,
        })
    }

    /// `ssh-rsa <base64> <comment>`: RFC 4253 §6.6, string "ssh-rsa", mpint e, mpint n.
    pub fn to_ssh(&self, comment: &str) -> String {
        let mut blob = Vec::with_capacity(self.n.len() + 32);
        put_string(&mut blob, b"ssh-rsa");
        put_string(&mut blob, &positive(&self.e));
        put_string(&mut blob, &positive(&self.n));
        format!("ssh-rsa {} {comment}", STANDARD.encode(blob))
    }

    /// Reads an `ssh-rsa` line back (the comment is ignored).
    pub fn from_ssh(line: &str) -> anyhow::Result<Self> {
        let mut parts = line.split_whitespace();
        anyhow::ensure!(parts.next() == Some("ssh-rsa"), "not an ssh-rsa key");
        let blob = STANDARD
            .decode(parts.next().context("no key data")?)
            .context("the key data is not base64")?;
        let mut rest = blob.as_slice();
        anyhow::ensure!(
            take_string(&mut rest)? == b"ssh-rsa",
            "wrong key type inside"
        );
        let e = strip_zeros(take_string(&mut rest)?);
        let n = strip_zeros(take_string(&mut rest)?);
        anyhow::ensure!(rest.is_empty(), "trailing bytes after the key");
        Ok(Self { n, e })
    }

    /// `-----BEGIN PUBLIC KEY-----`: DER SubjectPublicKeyInfo with rsaEncryption (RFC 8017 A.1).
    pub fn to_pem(&self) -> String {
        // AlgorithmIdentifier { rsaEncryption (1.2.840.113549.1.1.1), NULL }
        const RSA_ALGORITHM: &[u8] = &[
            0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05,
            0x00,
        ];
        let mut ints = der(0x02, &positive(&self.n));
        ints.extend(der(0x02, &positive(&self.e)));
        let rsa_public_key = der(0x30, &ints);
        let mut bits = vec![0u8];
        bits.extend(rsa_public_key);
        let mut spki = RSA_ALGORITHM.to_vec();
        spki.extend(der(0x03, &bits));
        pem::encode(&pem::Pem::new("PUBLIC KEY", der(0x30, &spki)))
    }
}

/// A big-endian unsigned integer as a two's-complement positive one: no leading zeros, plus one
/// 0x00 when the high bit is set (both the SSH mpint and the DER INTEGER rule).
fn positive(bytes: &[u8]) -> Vec<u8> {
    let trimmed = strip_zeros(bytes);
    match trimmed.first() {
        Some(b) if b & 0x80 != 0 => [&[0u8][..], &trimmed].concat(),
        Some(_) => trimmed,
        None => vec![0],
    }
}

fn strip_zeros(bytes: &[u8]) -> Vec<u8> {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    bytes.get(start..).unwrap_or_default().to_vec()
}

fn put_string(out: &mut Vec<u8>, bytes: &[u8]) {
    let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
    out.extend(len.to_be_bytes());
    out.extend(bytes);
}

fn take_string<'a>(rest: &mut &'a [u8]) -> anyhow::Result<&'a [u8]> {
    anyhow::ensure!(rest.len() >= 4, "truncated key data");
    let (len, tail) = rest.split_at(4);
    let len = u32::from_be_bytes(len.try_into()?) as usize;
    anyhow::ensure!(tail.len() >= len, "truncated key data");
    let (value, tail) = tail.split_at(len);
    *rest = tail;
    Ok(value)
}

/// One DER TLV with a definite length.
fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend(content);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ssh_line_round_trips_and_pads_a_high_bit_modulus() {
        let key = RsaPublicKey {
            n: vec![0xc1; 256],
            e: vec![1, 0, 1],
        };
        let line = key.to_ssh("tokendealer");
        assert!(line.starts_with("ssh-rsa AAAAB3NzaC1yc2E"));
        assert!(line.ends_with(" tokendealer"));
        assert_eq!(RsaPublicKey::from_ssh(&line).unwrap(), key);
    }

    #[test]
    fn the_pem_parses_as_the_same_key_with_jsonwebtoken() {
        let (key, _) = crate::domain::keys::SigningKey::generate().unwrap();
        let (n, e) = key.public_components().unwrap();
        let public = RsaPublicKey::from_jwk_components(n, e).unwrap();
        let pem = public.to_pem();
        assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----"));
        let token = key
            .sign_tokenleader_token(&serde_json::json!({"exp": 4_000_000_000u64}))
            .unwrap();
        let decoding = jsonwebtoken::DecodingKey::from_rsa_pem(pem.as_bytes()).unwrap();
        let validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::RS512);
        jsonwebtoken::decode::<serde_json::Value>(&token, &decoding, &validation).unwrap();
    }
}
