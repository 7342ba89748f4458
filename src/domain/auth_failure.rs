//! Why an authentication failed: what the caller is never told (one answer for every reason)
//! and the metrics and the audit log are.

/// Why a client authentication or a login failed: kept from the caller, told to the metrics
/// and the audit log (under [`FailureReason::as_str`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureReason {
    UnknownClient,
    WrongSecret,
    DisabledClient,
    UnknownUser,
    WrongPassword,
    /// Refused without a check: the username or the address is locked out.
    LockedOut,
    /// A client assertion that could not be read (size, segments, header, claim types).
    MalformedAssertion,
    /// A client registered for another method than the one presented.
    WrongMethod,
    /// An assertion's `kid` is not among the client's keys (after a refetch when remote).
    UnknownKey,
    /// An assertion's signature does not verify with the client's keys.
    BadSignature,
    /// An assertion's `aud` names neither the issuer nor the token endpoint.
    WrongAudience,
    /// An assertion's `iss` is not its `sub`, or it is not valid yet (`nbf`, `iat`).
    BadClaims,
    /// An assertion past its `exp`.
    ExpiredAssertion,
    /// An assertion living longer than `[client_assertions] max_lifetime_secs`.
    LongLivedAssertion,
    /// An assertion's `jti` was used before.
    ReplayedAssertion,
    /// The single-use record is full: no new `jti` is taken until expired ones are swept.
    SingleUseFull,
    /// The client holds its whole share of the single-use record (`max_single_use_per_client`).
    SingleUseShareFull,
    /// The client's `jwks_uri` could not be fetched, and no last good set is left.
    KeysUnavailable,
    /// The key set's (or discovery document's) URL leads to an address fetches may not reach
    /// (link-local, loopback, private: the guard against request forgery).
    AddressRefused,
    /// A client registered with a TLS method (RFC 8705) came without a client certificate.
    NoCertificate,
    /// The certificate is not the registered one, or does not carry the registered name.
    WrongCertificate,
    /// A `tls_client_auth` client's certificate does not chain to the client CA.
    CertificateNotFromCa,
    /// A trusted issuer's token whose `sub` is bound to no client.
    UnknownSubject,
}

/// Every reason a client authentication fails, in the order of the metrics' series.
pub const CLIENT_REASONS: [FailureReason; 20] = [
    FailureReason::UnknownClient,
    FailureReason::WrongSecret,
    FailureReason::DisabledClient,
    FailureReason::MalformedAssertion,
    FailureReason::WrongMethod,
    FailureReason::UnknownKey,
    FailureReason::BadSignature,
    FailureReason::WrongAudience,
    FailureReason::BadClaims,
    FailureReason::ExpiredAssertion,
    FailureReason::LongLivedAssertion,
    FailureReason::ReplayedAssertion,
    FailureReason::SingleUseFull,
    FailureReason::SingleUseShareFull,
    FailureReason::KeysUnavailable,
    FailureReason::AddressRefused,
    FailureReason::NoCertificate,
    FailureReason::WrongCertificate,
    FailureReason::CertificateNotFromCa,
    FailureReason::UnknownSubject,
];

impl FailureReason {
    /// The reason a key set (or discovery document) could not be had.
    pub fn of_unavailable(e: &crate::domain::ports::KeysUnavailable) -> Self {
        if e.address_refused() {
            Self::AddressRefused
        } else {
            Self::KeysUnavailable
        }
    }

    pub const fn as_str(self) -> &'static str {
        match self {
            Self::UnknownClient => "unknown_client",
            Self::WrongSecret => "wrong_secret",
            Self::DisabledClient => "disabled_client",
            Self::UnknownUser => "unknown_user",
            Self::WrongPassword => "wrong_password",
            Self::LockedOut => "locked_out",
            Self::MalformedAssertion => "malformed_assertion",
            Self::WrongMethod => "wrong_method",
            Self::UnknownKey => "unknown_key",
            Self::BadSignature => "bad_signature",
            Self::WrongAudience => "wrong_audience",
            Self::BadClaims => "bad_claims",
            Self::ExpiredAssertion => "expired_assertion",
            Self::LongLivedAssertion => "long_lived_assertion",
            Self::ReplayedAssertion => "replayed_assertion",
            Self::SingleUseFull => "single_use_full",
            Self::SingleUseShareFull => "single_use_share_full",
            Self::KeysUnavailable => "keys_unavailable",
            Self::AddressRefused => "address_refused",
            Self::NoCertificate => "no_certificate",
            Self::WrongCertificate => "wrong_certificate",
            Self::CertificateNotFromCa => "certificate_not_from_ca",
            Self::UnknownSubject => "unknown_subject",
        }
    }

    /// Whether this is a client's failure (else a user's login).
    pub fn is_client(self) -> bool {
        !matches!(
            self,
            Self::UnknownUser | Self::WrongPassword | Self::LockedOut
        )
    }
}
