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
    /// A client registered with a TLS method came without a client certificate.
    NoCertificate,
    /// The certificate is not the registered one, or does not carry the registered name.
    WrongCertificate,
    /// A `tls_client_auth` client's certificate does not chain to the client CA.
    CertificateNotFromCa,
    /// Credentials of another method than the client's (a secret from a TLS client).
    WrongAuthMethod,
}

impl FailureReason {
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::UnknownClient => "unknown_client",
            Self::WrongSecret => "wrong_secret",
            Self::DisabledClient => "disabled_client",
            Self::UnknownUser => "unknown_user",
            Self::WrongPassword => "wrong_password",
            Self::LockedOut => "locked_out",
            Self::NoCertificate => "no_certificate",
            Self::WrongCertificate => "wrong_certificate",
            Self::CertificateNotFromCa => "certificate_not_from_ca",
            Self::WrongAuthMethod => "wrong_auth_method",
        }
    }
}
