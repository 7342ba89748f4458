//! Known vectors, made with Werkzeug 0.16.1's `generate_password_hash` (the version tokenleader
//! 1.8 runs with on Python 3.11) and checked there with `check_password_hash`.

use super::*;

/// (password, hash)
const VECTORS: &[(&str, &str)] = &[
    // tokenleader 1.8's default: `generate_password_hash(pw)`.
    (
        "user1",
        "pbkdf2:sha256:150000$PrG6xQZS$f8033bb50884a12a2edb534466288788d309617c71179d24cfecdccda7dbfa31",
    ),
    (
        "correct horse",
        "pbkdf2:sha1:1000$EvlPuwHy$36600b1c19c7b0fd9f9c7655fab27964221b2b73",
    ),
    (
        "correct horse",
        "pbkdf2:sha512:2000$XCeZ3lk3$91b40bfc78ae1d20b1b422c04808320291f471be78d53e961d1e1d215901f5ea878206ee89f0062b188a5cce52a90dde7c21d252cd0100ad68ee07e4fd800517",
    ),
    // `method="sha256"` / `"sha1"` / `"sha512"`: HMAC keyed with the salt.
    (
        "secret",
        "sha256$yWbdfJjV$026226eaa58e9efe0f51c09fcd0e7b500b4fe36a2a752c62111d4bca2800880b",
    ),
    (
        "secret",
        "sha1$q0Tc7Qlx$809fdf4639f1ddee8f46f68885f8aa29dd3e074b",
    ),
    (
        "secret",
        "sha512$wtgOybIX$005428e1ce83c12435b721c7935c059794a15b45cf37e3bb6764c2d4eb17f36067ddbbe1c1a48e8b5a88383644efa1d765646149fd1c66630f6fc3a6b4b1a1fb",
    ),
    // Non-ASCII: Werkzeug hashes the UTF-8 bytes as given, NFC and NFD alike.
    (
        "P\u{e4}ssw\u{f6}rd",
        "pbkdf2:sha256:1000$LVINoooh$bcf7c30927f32ab79923b5c95e610416d87b0bbda11f777b11bcfbcf3971f907",
    ),
    (
        "Pa\u{308}sswo\u{308}rd",
        "pbkdf2:sha256:1000$HyurYpGv$0f46576029e8dee1ef8ff72ea4689d6d688f8a4ffdd289707068e8674b830a62",
    ),
    (
        "correct\u{a0}horse",
        "pbkdf2:sha256:1000$KZ4nVUuZ$e35b1493b4246e304e032a44c287746d059d4700b6c77306f825c2d129f6800f",
    ),
];

#[test]
fn werkzeug_0_16_hashes_verify_their_password_and_nothing_else() {
    for (password, text) in VECTORS {
        let hash = WerkzeugHash::parse(text).unwrap();
        assert_eq!(hash.as_str(), *text);
        assert!(hash.verify(password.as_bytes()), "{text}");
        let mut wrong = password.to_string();
        wrong.push('!');
        assert!(!hash.verify(wrong.as_bytes()), "{text}");
        assert!(!hash.verify(b""), "{text}");
    }
}

#[test]
fn the_nfc_and_nfd_spellings_are_different_passwords_to_werkzeug() {
    let (nfc, nfc_hash) = VECTORS[6];
    let (nfd, nfd_hash) = VECTORS[7];
    assert!(
        !WerkzeugHash::parse(nfc_hash)
            .unwrap()
            .verify(nfd.as_bytes())
    );
    assert!(
        !WerkzeugHash::parse(nfd_hash)
            .unwrap()
            .verify(nfc.as_bytes())
    );
}

#[test]
fn a_changed_digest_salt_or_iteration_count_no_longer_verifies() {
    let good = VECTORS[0].1;
    for changed in [
        good.replace("$f8033bb5", "$f8033bb6"),
        good.replace("$PrG6xQZS$", "$PrG6xQZT$"),
        good.replace(":150000$", ":150001$"),
        good.replace("pbkdf2:sha256", "pbkdf2:sha512").replace(
            "$f8033",
            "$0000000000000000000000000000000000000000000000000000000000000000f8033",
        ),
    ] {
        let hash = WerkzeugHash::parse(&changed).unwrap();
        assert!(!hash.verify(b"user1"), "{changed}");
    }
}

#[test]
fn anything_but_a_well_formed_werkzeug_hash_is_refused() {
    let hex64 = "f8033bb50884a12a2edb534466288788d309617c71179d24cfecdccda7dbfa31";
    for bad in [
        String::new(),
        "plain$$x".to_owned(),
        "md5$bS9jKUGC$83753371f66ce71dae668bad68abdab3".to_owned(),
        "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA".to_owned(),
        format!("pbkdf2:sha256$salt${hex64}"),
        format!("pbkdf2:sha256:0$salt${hex64}"),
        format!("pbkdf2:sha256:1000001$salt${hex64}"),
        format!("pbkdf2:sha256:+1000$salt${hex64}"),
        format!("pbkdf2:sha256:1000$${hex64}"),
        format!("pbkdf2:sha256:1000$sa lt${hex64}"),
        format!("pbkdf2:sha256:1000$salt${}", &hex64[2..]),
        format!("pbkdf2:sha256:1000$salt${}", hex64.to_uppercase()),
        format!("pbkdf2:sha256:1000$salt${hex64}$"),
        format!("pbkdf2:md5:1000$salt${hex64}"),
        format!("sha256$salt${hex64}00"),
        "user1".to_owned(),
    ] {
        assert!(WerkzeugHash::parse(&bad).is_err(), "{bad:?}");
    }
    assert!(WerkzeugHash::parse(&format!("pbkdf2:sha256:1000000$s${hex64}")).is_ok());
}

#[test]
fn more_iterations_than_any_werkzeug_default_are_refused_with_the_reason() {
    let hex64 = "f8033bb50884a12a2edb534466288788d309617c71179d24cfecdccda7dbfa31";
    for count in ["1000001", "2000000", "99999999999999999999999"] {
        let refused = WerkzeugHash::parse(&format!("pbkdf2:sha256:{count}$salt${hex64}"));
        let text = refused.err().unwrap().description().into_owned();
        assert!(text.contains("more than 1,000,000"), "{count}: {text}");
    }
    let malformed = WerkzeugHash::parse("pbkdf2:sha256:+1$salt$00")
        .err()
        .unwrap();
    assert!(
        malformed
            .description()
            .contains("not a Werkzeug password hash")
    );
}

#[test]
fn the_work_of_a_check_is_counted_in_sha256_iterations() {
    let hex = |n: usize| "0".repeat(2 * n);
    let work = |hash: String| WerkzeugHash::parse(&hash).unwrap().work();
    assert_eq!(work(format!("pbkdf2:sha256:150000$s${}", hex(32))), 150_000);
    assert_eq!(work(format!("pbkdf2:sha1:1000$s${}", hex(20))), 1000);
    assert_eq!(
        work(format!("pbkdf2:sha512:1000000$s${}", hex(64))),
        3_000_000
    );
    assert_eq!(work(format!("sha256$s${}", hex(32))), 1);
}

#[test]
fn debug_shows_the_method_and_never_the_digest_or_salt() {
    let hash = WerkzeugHash::parse(VECTORS[0].1).unwrap();
    let shown = format!("{hash:?}");
    assert_eq!(shown, "WerkzeugHash(pbkdf2:sha256:150000, ..)");
}

/// What one check of each accepted PBKDF2 digest costs at Werkzeug's defaults, in this build:
/// `cargo test --release --lib -- --ignored --nocapture what_a_werkzeug_check_costs`.
#[test]
#[ignore = "a measurement: prints timings"]
fn what_a_werkzeug_check_costs() {
    for digest in ["sha1", "sha256", "sha512"] {
        for iterations in [150_000u32, 260_000, 600_000, 1_000_000] {
            let hex = "0".repeat(2 * Digest::parse(digest).unwrap().len());
            let hash =
                WerkzeugHash::parse(&format!("pbkdf2:{digest}:{iterations}$salt${hex}")).unwrap();
            let mut times: Vec<_> = (0..3)
                .map(|_| {
                    let started = std::time::Instant::now();
                    assert!(!hash.verify(b"a wrong password"));
                    started.elapsed()
                })
                .collect();
            times.sort();
            println!("pbkdf2:{digest}:{iterations}  median {:?}", times[1]);
        }
    }
}
