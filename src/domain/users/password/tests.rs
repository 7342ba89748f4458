use super::*;

fn cheap() -> Params {
    Params::new(64, 1, 1, None).unwrap()
}

fn lane(concurrency: usize, queue: usize, wait: Duration, one_per_user: bool) -> Arc<Lane> {
    Lane::new(concurrency, queue, wait, GUESSED_HASH, one_per_user)
}

fn pool(concurrency: usize, queue: usize, wait: Duration) -> PasswordHasher {
    let costly = lane(1, 0, wait, true);
    PasswordHasher::build(
        cheap(),
        lane(concurrency, queue, wait, false),
        costly,
        KEEP_MEMORY,
    )
    .unwrap()
}

#[tokio::test]
async fn a_hash_verifies_its_password_and_nothing_else() {
    let hasher = PasswordHasher::new(&UserSettings::for_tests()).unwrap();
    let phc = hasher
        .hash(&NewPassword::parse("correct horse", 8).unwrap())
        .await
        .unwrap();
    assert!(phc.starts_with("$argon2id$v=19$m=64,t=1,p=1$"));
    let ok = PresentedPassword::new("correct horse");
    let bad = PresentedPassword::new("wrong horse");
    let mut turn = hasher.permit().await.unwrap();
    assert!(hasher.verify(&mut turn, Some(&phc), &ok).await.unwrap());
    assert!(!hasher.verify(&mut turn, Some(&phc), &bad).await.unwrap());
}

#[tokio::test]
async fn an_unknown_user_never_matches_even_the_dummy_password() {
    let hasher = PasswordHasher::new(&UserSettings::for_tests()).unwrap();
    let mut turn = hasher.permit().await.unwrap();
    let empty = PresentedPassword::new("");
    assert!(!hasher.verify(&mut turn, None, &empty).await.unwrap());
}

#[tokio::test]
async fn a_full_queue_is_refused_at_once_and_a_freed_turn_is_taken_by_the_waiting_one() {
    let hasher = pool(1, 1, Duration::from_secs(60));
    let running = hasher.permit().await.unwrap();
    let waiting = tokio::spawn({
        let hasher = hasher.clone();
        async move { hasher.permit().await.map(|_| ()) }
    });
    tokio::task::yield_now().await;
    let started = Instant::now();
    let refused = hasher.permit().await.err().unwrap();
    assert!(started.elapsed() < Duration::from_secs(1));
    assert!(refused.retry_after_secs >= 1);
    drop(running);
    assert_eq!(waiting.await.unwrap(), Ok(()));
    assert!(hasher.permit().await.is_ok(), "the queue is empty again");
}

#[tokio::test]
async fn a_turn_that_does_not_come_before_the_deadline_is_refused() {
    let hasher = pool(1, 8, Duration::from_millis(50));
    let _running = hasher.permit().await.unwrap();
    let started = Instant::now();
    assert!(hasher.permit().await.is_err());
    assert!(started.elapsed() >= Duration::from_millis(50));
}

#[tokio::test]
async fn a_full_queue_is_an_rfc_temporarily_unavailable_for_a_new_password() {
    let hasher = pool(1, 0, Duration::from_secs(60));
    let _running = hasher.permit().await.unwrap();
    let new = NewPassword::parse("correct horse", 8).unwrap();
    let error = hasher.hash(&new).await.err().unwrap();
    assert_eq!(error.code(), "temporarily_unavailable");
}

#[tokio::test]
async fn working_memory_is_reused_by_the_next_turns_and_released_once_idle() {
    let keep = Duration::from_millis(200);
    let wait = Duration::from_secs(60);
    let (ordinary, costly) = (lane(2, 4, wait, false), lane(1, 0, wait, true));
    let hasher = PasswordHasher::build(cheap(), ordinary, costly, keep).unwrap();
    let password = PresentedPassword::new("pw");
    let spare = || lock(&hasher.pool.spare).blocks.len();
    let (mut a, mut b) = (
        hasher.permit().await.unwrap(),
        hasher.permit().await.unwrap(),
    );
    hasher.verify(&mut a, None, &password).await.unwrap();
    hasher.verify(&mut b, None, &password).await.unwrap();
    drop((a, b));
    assert_eq!(spare(), 2, "one buffer per thread is kept");

    for _ in 0..3 {
        let mut turn = hasher.permit().await.unwrap();
        assert!(
            turn.memory.is_some(),
            "a later turn starts with kept memory"
        );
        hasher.verify(&mut turn, None, &password).await.unwrap();
    }
    assert_eq!(spare(), 2, "and never more than one per thread");

    tokio::time::sleep(keep * 3).await;
    assert_eq!(spare(), 0, "an idle pool gives its memory back");
    assert!(!lock(&hasher.pool.spare).reaper);
    let mut again = hasher.permit().await.unwrap();
    hasher.verify(&mut again, None, &password).await.unwrap();
    drop(again);
    assert_eq!(spare(), 1, "and keeps memory again once busy");
}

#[tokio::test]
async fn an_imported_werkzeug_hash_is_checked_once_as_presented_and_rehashed_as_argon2id() {
    // Werkzeug 0.16.1, "Pässwörd" hashed precomposed (NFC) and decomposed (NFD).
    let nfc_hash = "pbkdf2:sha256:1000$LVINoooh$bcf7c30927f32ab79923b5c95e610416d87b0bbda11f777b11bcfbcf3971f907";
    let nfd_hash = "pbkdf2:sha256:1000$HyurYpGv$0f46576029e8dee1ef8ff72ea4689d6d688f8a4ffdd289707068e8674b830a62";
    let nfc = PresentedPassword::new("P\u{e4}ssw\u{f6}rd");
    let nfd = PresentedPassword::new("Pa\u{308}sswo\u{308}rd");
    let hasher = PasswordHasher::new(&UserSettings::for_tests()).unwrap();
    let mut turn = hasher.permit().await.unwrap();
    let mut check = async |stored: &str, password: &PresentedPassword| {
        hasher
            .verify(&mut turn, Some(stored), password)
            .await
            .unwrap()
    };
    // Each spelling matches the hash tokenleader made of it, and only that one: the password
    // is hashed once, as presented, like Werkzeug did.
    assert!(check(nfc_hash, &nfc).await);
    assert!(!check(nfc_hash, &nfd).await);
    assert!(check(nfd_hash, &nfd).await);
    assert!(!check(nfd_hash, &nfc).await);
    assert!(!check(nfc_hash, &PresentedPassword::new("Passwort")).await);

    // The replacement is argon2id of the normalized form: both spellings match from then on.
    let phc = hasher.rehash(&mut turn, &nfd).await.unwrap();
    assert!(phc.starts_with("$argon2id$v=19$m=64,t=1,p=1$"));
    assert!(hasher.verify(&mut turn, Some(&phc), &nfc).await.unwrap());
    assert!(hasher.verify(&mut turn, Some(&phc), &nfd).await.unwrap());
}

#[tokio::test]
async fn a_user_has_one_costly_check_at_a_time_and_a_full_costly_lane_leaves_the_ordinary_free() {
    let hasher = pool(1, 0, Duration::from_millis(50));
    let alice = hasher.permit_for(Cost::Costly, "alice").await.unwrap();
    let again = hasher.permit_for(Cost::Costly, "alice").await.err();
    assert!(
        matches!(again, Some(Refused::InFlight { retry_after_secs }) if retry_after_secs >= 1),
        "{again:?}"
    );
    // The costly lane (one thread, no queue) is full: another user is refused at once...
    let bob = hasher.permit_for(Cost::Costly, "bob").await.err();
    assert!(matches!(bob, Some(Refused::Busy(_))), "{bob:?}");
    // ...while the ordinary lane is untouched.
    let ordinary = hasher.permit().await;
    assert!(ordinary.is_ok());
    drop(ordinary);
    drop(alice);
    assert!(hasher.permit_for(Cost::Costly, "alice").await.is_ok());
}

#[test]
fn a_werkzeug_hash_costlier_than_tokenleaders_own_is_costly() {
    let hex = |n: usize| "0".repeat(2 * n);
    let cost = |hash: String| Cost::of(Some(&hash));
    assert_eq!(
        cost(format!("pbkdf2:sha256:150000$s${}", hex(32))),
        Cost::Ordinary
    );
    assert_eq!(
        cost(format!("pbkdf2:sha1:1000$s${}", hex(20))),
        Cost::Ordinary
    );
    assert_eq!(cost(format!("sha512$s${}", hex(64))), Cost::Ordinary);
    assert_eq!(
        cost(format!("pbkdf2:sha256:260000$s${}", hex(32))),
        Cost::Costly
    );
    assert_eq!(
        cost(format!("pbkdf2:sha512:60000$s${}", hex(64))),
        Cost::Costly
    );
    assert_eq!(
        cost(format!("pbkdf2:sha512:1000000$s${}", hex(64))),
        Cost::Costly
    );
    assert_eq!(
        Cost::of(Some("$argon2id$v=19$m=64,t=1,p=1$x$y")),
        Cost::Ordinary
    );
    assert_eq!(Cost::of(None), Cost::Ordinary);
}
