//! argon2id password hashing on a bounded pool of blocking threads, so logins cannot starve the
//! async workers that serve client-credentials tokens.

use std::sync::Arc;

use anyhow::{Context, anyhow};
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use argon2::{Algorithm, Argon2, Params, Version};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::UserSettings;
use super::names::{NewPassword, PresentedPassword};

/// Hashes and checks passwords. At most `permits` hashes run at once, each on a blocking thread;
/// further requests wait their turn without holding a worker.
#[derive(Clone)]
pub struct PasswordHasher {
    params: Params,
    permits: Arc<Semaphore>,
    /// A hash of a random password with the configured parameters: an unknown user's login is
    /// checked against it, so it costs what a known user's wrong password costs.
    dummy: Arc<str>,
}

impl PasswordHasher {
    /// Builds the pool and the dummy hash (one hash's worth of work, at start).
    pub fn new(settings: &UserSettings) -> anyhow::Result<Self> {
        let params = Params::new(
            settings.argon2_m_cost,
            settings.argon2_t_cost,
            settings.argon2_p_cost,
            None,
        )
        .map_err(|e| anyhow!("invalid argon2 parameters: {e}"))?;
        let permits = match settings.hash_concurrency {
            0 => std::thread::available_parallelism().map_or(1, usize::from),
            n => n,
        };
        let random = hex::encode(rand::random::<[u8; 32]>());
        let dummy = hash_blocking(&params, &random)?;
        Ok(Self {
            params,
            permits: Arc::new(Semaphore::new(permits)),
            dummy: dummy.into(),
        })
    }

    /// The PHC string (`$argon2id$v=19$m=...`) of a new password.
    pub async fn hash(&self, password: &NewPassword) -> anyhow::Result<String> {
        let params = self.params.clone();
        let password = password.expose().to_owned();
        let _turn = self.permit().await?;
        tokio::task::spawn_blocking(move || hash_blocking(&params, &password))
            .await
            .context("a password hash task failed")?
    }

    /// Waits for a turn on the pool. A login holds its permit from its lockout check until its
    /// failure is counted, so parallel guesses cannot all slip past one check.
    pub async fn permit(&self) -> anyhow::Result<HashPermit> {
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .context("the password pool is closed")?;
        Ok(HashPermit { _permit: permit })
    }

    /// Whether `password` matches `phc`; with `phc` absent (unknown user) the dummy hash is
    /// checked instead and the answer is `false`, after the same work.
    pub async fn verify(
        &self,
        _turn: &HashPermit,
        phc: Option<&str>,
        password: &PresentedPassword,
    ) -> anyhow::Result<bool> {
        let known = phc.is_some();
        let phc = phc.map_or_else(|| self.dummy.to_string(), str::to_owned);
        let password = password.expose().to_owned();
        let matched = tokio::task::spawn_blocking(move || {
            Argon2::default()
                .verify_password(password.as_bytes(), phc.as_str())
                .is_ok()
        })
        .await
        .context("a password check failed")?;
        Ok(known && matched)
    }
}

/// A turn on the hashing pool; the turn ends when it is dropped.
pub struct HashPermit {
    _permit: OwnedSemaphorePermit,
}

fn hash_blocking(params: &Params, password: &str) -> anyhow::Result<String> {
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let hash = argon
        .hash_password(password.as_bytes())
        .map_err(|e| anyhow!("hashing a password: {e}"))?;
    Ok(hash.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_and_nothing_else() {
        let hasher = PasswordHasher::new(&UserSettings::for_tests()).unwrap();
        let phc = hasher
            .hash(&NewPassword::parse("correct horse").unwrap())
            .await
            .unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=64,t=1,p=1$"));
        let ok = PresentedPassword::new("correct horse");
        let bad = PresentedPassword::new("wrong horse");
        let turn = hasher.permit().await.unwrap();
        assert!(hasher.verify(&turn, Some(&phc), &ok).await.unwrap());
        assert!(!hasher.verify(&turn, Some(&phc), &bad).await.unwrap());
    }

    #[tokio::test]
    async fn an_unknown_user_never_matches_even_the_dummy_password() {
        let hasher = PasswordHasher::new(&UserSettings::for_tests()).unwrap();
        let turn = hasher.permit().await.unwrap();
        let empty = PresentedPassword::new("");
        assert!(!hasher.verify(&turn, None, &empty).await.unwrap());
    }
}
