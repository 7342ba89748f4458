//! What the storage ports fail with: [`StoreError`], the store's own vocabulary, apart from
//! RFC 6749's and the admin API's (which convert from it).

/// What a store fails with: the two outcomes its callers answer differently. It shows as its
/// cause, context and all, and carries no `source` of its own: an `{:#}` of it, or of an
/// `anyhow` chain it is in, reads as the cause did, once.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The store cannot take or confirm the operation now (a full write queue, a stalled disk,
    /// a failed flush, the database out of reach): a [`StoreUnavailable`] in the cause's chain
    /// says whether a write may have been applied. Answered 503; the caller may retry.
    #[error("{0:#}")]
    Unavailable(anyhow::Error),
    /// Anything else: a corrupt record, an I/O or database error. Answered 500.
    #[error("{0:#}")]
    Failed(anyhow::Error),
}

impl From<anyhow::Error> for StoreError {
    /// Unavailable if a [`StoreUnavailable`] is in the chain; failed otherwise.
    fn from(e: anyhow::Error) -> Self {
        if StoreError::unavailable_in(&e).is_empty() {
            Self::Failed(e)
        } else {
            Self::Unavailable(e)
        }
    }
}

impl StoreError {
    /// What went wrong, with its context.
    pub fn cause(&self) -> &anyhow::Error {
        match self {
            Self::Unavailable(cause) | Self::Failed(cause) => cause,
        }
    }

    /// Every [`StoreUnavailable`] in `e`'s chain, those inside the [`StoreError`]s it carries
    /// included: what makes a failure temporary, and says whether a write may have happened.
    pub fn unavailable_in(e: &anyhow::Error) -> Vec<&StoreUnavailable> {
        let mut found = Vec::new();
        for cause in e.chain() {
            if let Some(unavailable) = cause.downcast_ref::<StoreUnavailable>() {
                found.push(unavailable);
            } else if let Some(store) = cause.downcast_ref::<StoreError>() {
                found.extend(Self::unavailable_in(store.cause()));
            }
        }
        found
    }
}

/// A federated subject is bound to another client already: a registration or update that lost
/// a race with another binding the same subject (the check before it saw it free). Storage
/// raises it in the failure's chain; the admin API answers 409, as for the check's own refusal.
#[derive(Debug, thiserror::Error)]
#[error("{0} is already bound to another client")]
pub struct SubjectTaken(pub String);

/// A binding names a trusted issuer that is gone: a registration or update that lost a race
/// with `trust remove` (the check before saw it trusted). Answered 409.
#[derive(Debug, thiserror::Error)]
#[error("no trusted issuer {0}: it was removed meanwhile (tokendealer trust add)")]
pub struct TrustGone(pub String);

/// A trusted issuer is still named by a client's binding: a `trust remove` that lost a race with
/// a registration binding one of its subjects. Answered 409, as the check's own refusal.
#[derive(Debug, thiserror::Error)]
#[error("a client is still bound to a subject of {0}: remove it first")]
pub struct TrustInUse(pub String);

/// A port's result.
pub type StoreResult<T> = Result<T, StoreError>;

/// The store cannot take or confirm a write right now: its write queue is full, the disk stalls,
/// or a flush failed. Storage raises it; the caller gets 503 and may retry.
#[derive(Debug, thiserror::Error)]
#[error("the store is unavailable: {why}")]
pub struct StoreUnavailable {
    why: String,
    unconfirmed: bool,
}

impl StoreUnavailable {
    /// Nothing was written: the write was refused before it started (a full queue, no
    /// connection) or the database rolled it back.
    pub fn new(why: impl Into<String>) -> Self {
        Self {
            why: why.into(),
            unconfirmed: false,
        }
    }

    /// The write may have been applied: it ran but its flush failed, or its answer did not come
    /// in time (a commit cut off, a disk that stalls). A caller must look before retrying a write
    /// that is not idempotent, such as registering a client.
    pub fn unconfirmed(why: impl Into<String>) -> Self {
        Self {
            why: why.into(),
            unconfirmed: true,
        }
    }

    pub fn is_unconfirmed(&self) -> bool {
        self.unconfirmed
    }
}
