//! The subjects a client is bound to, as an operator writes them: `NAME=SUBJECT`, the trusted
//! issuer's name and the exact `sub` of the workload's tokens.

use super::issuer::TrustName;
use crate::domain::AdminError;
use crate::domain::client_auth::FederatedSubject;

/// Longest subject accepted (a SPIFFE ID is at most 2048 bytes; Kubernetes and CI subjects
/// are far shorter, and every byte is held in the index).
pub const MAX_SUBJECT_BYTES: usize = 512;

/// A binding `(trust, subject)`, checked: a valid trust name, a subject of 1–512 characters
/// without control characters or surrounding spaces.
pub fn subject(trust: &str, subject: &str) -> Result<FederatedSubject, AdminError> {
    let trust = TrustName::parse(trust)?;
    let ok = !subject.is_empty()
        && subject.len() <= MAX_SUBJECT_BYTES
        && subject.trim() == subject
        && !subject.chars().any(char::is_control);
    if !ok {
        return Err(AdminError::Invalid(
            format!("a federated subject is 1-{MAX_SUBJECT_BYTES} characters, no control characters or surrounding spaces").into(),
        ));
    }
    Ok(FederatedSubject {
        trust: trust.as_str().to_owned(),
        subject: subject.to_owned(),
    })
}

/// `NAME=SUBJECT` lines (the command line's and the console's form), split at the first `=`
/// (a name has none); repeated bindings are kept once.
pub fn parse_subjects<'a>(
    lines: impl IntoIterator<Item = &'a str>,
) -> Result<Vec<FederatedSubject>, AdminError> {
    let mut out: Vec<FederatedSubject> = Vec::new();
    for line in lines {
        let (trust, sub) = line.split_once('=').ok_or(AdminError::invalid(
            "a federated subject is written NAME=SUBJECT",
        ))?;
        let parsed = subject(trust, sub)?;
        if !out.contains(&parsed) {
            out.push(parsed);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_binding_splits_at_the_first_equals_sign() {
        let got = parse_subjects([
            "k8s=system:serviceaccount:billing:worker",
            "ci=repo:o/a:ref=x",
        ])
        .unwrap();
        assert_eq!(got[0].trust, "k8s");
        assert_eq!(got[1].subject, "repo:o/a:ref=x");
        for bad in ["nosign", "=sub", "k8s=", "k8s= padded", "bad name=x"] {
            assert!(parse_subjects([bad]).is_err(), "{bad}");
        }
    }
}
