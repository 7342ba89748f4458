use rcgen::{CertificateParams, DnType, KeyPair, SanType};

use super::*;

fn cert(names: &[(DnType, &str)], sans: Vec<SanType>) -> Vec<u8> {
    let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
    // rcgen's default DN holds a CN already, which would fix the CN's place.
    params.distinguished_name = rcgen::DistinguishedName::new();
    for (ty, value) in names {
        params.distinguished_name.push(ty.clone(), *value);
    }
    params.subject_alt_names = sans;
    let key = KeyPair::generate().unwrap();
    params.self_signed(&key).unwrap().der().to_vec()
}

fn presented(der: Vec<u8>, chained_to_ca: bool) -> ClientCertificate {
    ClientCertificate { der, chained_to_ca }
}

fn by_dn(dn: &str) -> ClientAuthMethod {
    ClientAuthMethod::tls_client_auth(Some(dn), None, None).unwrap()
}

#[test]
fn a_subject_dn_matches_rdn_by_rdn_ignoring_case_and_spacing_but_not_order() {
    let der = cert(
        &[
            (DnType::CountryName, "DE"),
            (DnType::OrganizationName, "Example  GmbH"),
            (DnType::CommonName, "svc"),
        ],
        vec![],
    );
    let ok = presented(der, true);
    for same in [
        "CN=svc,O=Example GmbH,C=DE",
        "cn=SVC,o=example gmbh,c=de",
        "CN=svc,O=Example   GmbH,C=DE",
        "2.5.4.3=svc,O=Example GmbH,C=DE",
    ] {
        assert_eq!(by_dn(same).check_certificate(Some(&ok)), Ok(()), "{same}");
    }
    for other in [
        "O=Example GmbH,CN=svc,C=DE",
        "CN=svc,O=Example GmbH",
        "CN=svc2,O=Example GmbH,C=DE",
    ] {
        assert_eq!(
            by_dn(other).check_certificate(Some(&ok)),
            Err(FailureReason::WrongCertificate),
            "{other}"
        );
    }
}

#[test]
fn tls_client_auth_needs_a_chain_to_the_ca_and_a_certificate_at_all() {
    let der = cert(&[(DnType::CommonName, "svc")], vec![]);
    let method = by_dn("CN=svc");
    assert_eq!(
        method.check_certificate(Some(&presented(der.clone(), false))),
        Err(FailureReason::CertificateNotFromCa)
    );
    assert_eq!(
        method.check_certificate(None),
        Err(FailureReason::NoCertificate)
    );
    assert_eq!(
        method.check_certificate(Some(&presented(der, true))),
        Ok(())
    );
}

#[test]
fn a_san_matches_by_kind_dns_names_in_any_case() {
    let der = cert(
        &[(DnType::CommonName, "x")],
        vec![
            SanType::DnsName("svc.example".try_into().unwrap()),
            SanType::URI("spiffe://example/svc".try_into().unwrap()),
        ],
    );
    let ok = presented(der, true);
    let dns = |d| ClientAuthMethod::tls_client_auth(None, Some(d), None).unwrap();
    let uri = |u| ClientAuthMethod::tls_client_auth(None, None, Some(u)).unwrap();
    assert_eq!(dns("SVC.example").check_certificate(Some(&ok)), Ok(()));
    assert_eq!(
        uri("spiffe://example/svc").check_certificate(Some(&ok)),
        Ok(())
    );
    assert!(
        dns("spiffe://example/svc")
            .check_certificate(Some(&ok))
            .is_err()
    );
    assert!(uri("svc.example").check_certificate(Some(&ok)).is_err());
}

#[test]
fn a_self_signed_registration_is_that_certificate_and_no_other() {
    let mine = cert(&[(DnType::CommonName, "robot")], vec![]);
    let twin = cert(&[(DnType::CommonName, "robot")], vec![]);
    let method = ClientAuthMethod::self_signed(&mine).unwrap();
    assert_eq!(
        method.check_certificate(Some(&presented(mine, false))),
        Ok(())
    );
    assert_eq!(
        method.check_certificate(Some(&presented(twin, true))),
        Err(FailureReason::WrongCertificate)
    );
    assert!(ClientAuthMethod::self_signed(b"not DER").is_err());
}

#[test]
fn a_registration_names_exactly_one_thing_and_a_dn_must_parse() {
    assert!(ClientAuthMethod::tls_client_auth(None, None, None).is_err());
    assert!(ClientAuthMethod::tls_client_auth(Some("CN=a"), Some("a.example"), None).is_err());
    assert!(ClientAuthMethod::tls_client_auth(Some("no equals sign"), None, None).is_err());
    assert!(ClientAuthMethod::tls_client_auth(Some(" "), None, None).is_err());
}

#[test]
fn records_without_a_method_read_as_secret_clients_and_tls_methods_round_trip() {
    let old: ClientAuthMethod = serde_json::from_str(r#"{"method":"client_secret"}"#).unwrap();
    assert_eq!(old, ClientAuthMethod::ClientSecret);
    let method = by_dn("CN=svc");
    let json = serde_json::to_string(&method).unwrap();
    assert_eq!(
        json,
        r#"{"method":"tls_client_auth","tls_client_auth_subject_dn":"CN=svc"}"#
    );
    assert_eq!(
        serde_json::from_str::<ClientAuthMethod>(&json).unwrap(),
        method
    );
}
