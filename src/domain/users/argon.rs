//! argon2id hashes and checks of PHC strings in working memory the caller owns, so the pool can
//! decide where argon2's `m_cost` KiB live and when they are given back.

use anyhow::anyhow;
use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
use argon2::{Algorithm, Argon2, Block, Params, Version};

/// glibc serves an allocation larger than `DEFAULT_MMAP_THRESHOLD_MAX` (32 MiB on 64-bit,
/// mallopt(3)) with its own `mmap` whatever its dynamic threshold has grown to, and unmaps it on
/// free. Reserving at least this much keeps argon2's buffer out of the per-thread arenas, which
/// keep freed memory; only the blocks a hash uses are ever touched, so only they are resident.
const ALWAYS_MAPPED_BLOCKS: usize = 32 * 1024 + 1;

/// argon2's working memory: `m_cost` blocks of 1 KiB.
pub struct Blocks(Vec<Block>);

impl Blocks {
    pub fn new() -> Self {
        Self(Vec::new())
    }

    /// The first `count` blocks, reserving them (and the always-mapped minimum) on first use.
    /// argon2 overwrites every block before reading it, so reused blocks need no clearing.
    fn take(&mut self, count: usize) -> &mut [Block] {
        if self.0.capacity() < count {
            self.0 = Vec::with_capacity(count.max(ALWAYS_MAPPED_BLOCKS));
        }
        if self.0.len() < count {
            self.0.resize(count, Block::new());
        }
        self.0.get_mut(..count).unwrap_or_default()
    }

    /// The blocks' resident size in bytes.
    #[cfg(test)]
    pub fn bytes(&self) -> usize {
        self.0.len() * Block::SIZE
    }
}

/// The PHC string (`$argon2id$v=19$m=...`) of `password` under `params`, with a random salt.
pub fn hash(params: &Params, password: &[u8], memory: &mut Blocks) -> anyhow::Result<String> {
    let salt = Salt::new(&rand::random::<[u8; 16]>()).map_err(|e| anyhow!("a salt: {e}"))?;
    let out = compute(
        Algorithm::Argon2id,
        Version::V0x13,
        params.clone(),
        password,
        &salt,
        memory,
    )?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(params).map_err(|e| anyhow!("argon2 parameters: {e}"))?,
        salt: Some(salt),
        hash: Some(out),
    };
    Ok(phc.to_string())
}

/// A PHC string under `params` that no password matches: a random salt and a random output.
/// Checking a password against it costs a full hash under `params` (the output is only compared
/// after it is computed), so an unknown user's login costs what a wrong password costs, without
/// hashing anything (and holding argon2's memory) at start-up.
pub fn unmatchable(params: &Params) -> anyhow::Result<String> {
    let salt = Salt::new(&rand::random::<[u8; 16]>()).map_err(|e| anyhow!("a salt: {e}"))?;
    let random = rand::random::<[u8; 64]>();
    let length = params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN);
    let bytes = random
        .get(..length)
        .ok_or_else(|| anyhow!("an argon2 output of {length} bytes"))?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(params).map_err(|e| anyhow!("argon2 parameters: {e}"))?,
        salt: Some(salt),
        hash: Some(Output::new(bytes).map_err(|e| anyhow!("an argon2 output: {e}"))?),
    };
    Ok(phc.to_string())
}

/// Whether `password` hashes to `phc`, under the algorithm, version and parameters `phc` names
/// (users hashed under older settings keep theirs). The outputs are compared in constant time.
pub fn verify(phc: &str, password: &[u8], memory: &mut Blocks) -> anyhow::Result<bool> {
    let parsed = PasswordHash::new(phc).map_err(|e| anyhow!("a stored password hash: {e}"))?;
    let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
        anyhow::bail!("a stored password hash has no salt or no output");
    };
    let algorithm = Algorithm::try_from(parsed.algorithm.as_str())
        .map_err(|e| anyhow!("a stored password hash: {e}"))?;
    let version = parsed
        .version
        .map_or(Ok(Version::default()), Version::try_from)
        .map_err(|e| anyhow!("a stored password hash: {e}"))?;
    let params = Params::try_from(&parsed).map_err(|e| anyhow!("a stored password hash: {e}"))?;
    let computed = compute(algorithm, version, params, password, salt, memory)?;
    // `Output`'s equality is constant-time.
    Ok(&computed == expected)
}

fn compute(
    algorithm: Algorithm,
    version: Version,
    params: Params,
    password: &[u8],
    salt: &[u8],
    memory: &mut Blocks,
) -> anyhow::Result<Output> {
    let mut out = vec![0u8; params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN)];
    let blocks = memory.take(params.block_count());
    Argon2::new(algorithm, version, params)
        .hash_password_into_with_memory(password, salt, &mut out, blocks)
        .map_err(|e| anyhow!("hashing a password: {e}"))?;
    Output::new(&out).map_err(|e| anyhow!("a password hash output: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::PasswordVerifier as _;

    fn cheap() -> Params {
        Params::new(64, 1, 1, None).unwrap()
    }

    #[test]
    fn a_hash_made_here_verifies_with_the_argon2_crate_and_back() {
        let mut memory = Blocks::new();
        let phc = hash(&cheap(), b"correct horse", &mut memory).unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=64,t=1,p=1$"));
        let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, cheap());
        assert!(
            argon
                .verify_password(b"correct horse", phc.as_str())
                .is_ok()
        );
        assert!(argon.verify_password(b"wrong horse", phc.as_str()).is_err());

        let theirs = argon2::PasswordHasher::hash_password(&argon, b"battery staple")
            .unwrap()
            .to_string();
        assert!(verify(&theirs, b"battery staple", &mut memory).unwrap());
        assert!(!verify(&theirs, b"battery stapler", &mut memory).unwrap());
    }

    #[test]
    fn the_unmatchable_hash_is_refused_only_after_a_full_hash_under_its_parameters() {
        let params = Params::new(256, 1, 1, None).unwrap();
        let phc = unmatchable(&params).unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=256,t=1,p=1$"));
        assert_ne!(phc, unmatchable(&params).unwrap(), "random salt and output");
        let mut memory = Blocks::new();
        assert!(!verify(&phc, b"", &mut memory).unwrap());
        assert!(!verify(&phc, b"anything at all", &mut memory).unwrap());
        assert_eq!(
            memory.bytes(),
            256 * Block::SIZE,
            "argon2 ran over m_cost blocks"
        );
    }

    #[test]
    fn one_buffer_serves_hashes_of_different_sizes() {
        let mut memory = Blocks::new();
        let small = hash(&cheap(), b"pw", &mut memory).unwrap();
        let big = hash(&Params::new(256, 2, 2, None).unwrap(), b"pw", &mut memory).unwrap();
        assert_eq!(memory.bytes(), 256 * Block::SIZE);
        assert!(verify(&small, b"pw", &mut memory).unwrap());
        assert!(verify(&big, b"pw", &mut memory).unwrap());
    }

    #[test]
    fn a_stored_hash_that_does_not_parse_is_an_error_not_a_mismatch() {
        let mut memory = Blocks::new();
        assert!(verify("not a phc string", b"pw", &mut memory).is_err());
        assert!(verify("$argon2id$v=19$m=64,t=1,p=1", b"pw", &mut memory).is_err());
    }
}
