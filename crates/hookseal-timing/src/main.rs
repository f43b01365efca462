//! A dudect-style timing-leak check (dudect-bencher: Welch's t-test between two classes of inputs, timed
//! interleaved in random order, over several percentile crops) of hookseal's comparisons, through the public API,
//! as an attacker sees them. |t| above 4.5 means the two classes are distinguishable by timing.
//!
//!     make timing            (cargo run --release -p hookseal-timing)
//!     make timing ARGS='--continuous sig'   (keeps sampling one bench; dudect-bencher's options)
//!
//! Not in CI: timing is noisy. Each bench takes SAMPLES measurements. Four are controls: two without any difference
//! between their classes (each method's own noise, which must stay small), and two leaky comparisons (a key
//! compared with a check that answers at once on different lengths, and an `==` on bytes that returns at the first
//! difference), which must show a large |t|, proving the harness can see a leak. scripts/timing-verdict.py, which
//! `make timing` pipes the output through, says which is which and exits non-zero when a check or a control fails.
//!
//! One rule runs through every bench: whatever is done before the clock starts is the same whichever class is
//! measured (the same random draws, the same instructions, no branch on the class, the input copied into one
//! buffer), so that the only difference the clock can see is the one under test. Each breach of it, found on the
//! way, showed up as a |t| far above 4.5 with nothing secret differing; the comments below say which.

use dudect_bencher::rand::{Rng, RngCore};
use dudect_bencher::{ctbench_main, BenchRng, Class, CtRunner};
use hookseal::{sign, Options, SignOptions, Verifier};
use subtle::ConstantTimeEq;

/// Measurements per bench. dudect-bencher tests them all and 100 crops of them (below its percentiles, 6.7% to 99.9%
/// of the samples) and reports the largest |t|: with 2,000,000 the uncropped test and every crop from the 50th
/// percentile up hold at least the 1,000,000 measurements the check asks for.
const SAMPLES: usize = 2_000_000;
/// The length of the random ELMED secrets.
const ELMED_SECRET_LEN: usize = 34;
/// The length of the random NovaMed keys, and of the longer ones in the key-length check.
const KEY_LEN: usize = 30;
const LONGER_KEY_LEN: usize = KEY_LEN + 17;
const BODY: &[u8] = br#"{"event":"order.status_changed","data":{}}"#;

/// Random classes, half each, in random order (dudect's protocol).
fn classes(rng: &mut BenchRng) -> Vec<Class> {
    (0..SAMPLES).map(|_| if rng.gen::<bool>() { Class::Left } else { Class::Right }).collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `len` random characters of `alphabet`, in a string of one capacity whatever `len`.
fn random_text(rng: &mut BenchRng, alphabet: &[u8], len: usize) -> String {
    let mut text = String::with_capacity(64);
    text.extend((0..len).map(|_| char::from(alphabet[rng.next_u32() as usize % alphabet.len()])));
    text
}

const LOWER: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789_";
const UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// An ELMED verifier for a fresh random secret, and the signature a delivery of BODY would carry.
fn elmed(rng: &mut BenchRng) -> (Verifier, [u8; 32]) {
    let options = Options::new().secret(random_text(rng, LOWER, ELMED_SECRET_LEN));
    let headers = sign("elmed", BODY, &SignOptions::new(options.clone())).expect("sign");
    let header = &headers.iter().find(|(name, _)| name == "X-ELMED-Signature").expect("signature").1;
    let mut correct = [0u8; 32];
    for (i, byte) in correct.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&header[7 + 2 * i..9 + 2 * i], 16).expect("hex");
    }
    (Verifier::new("elmed", &options).expect("verifier"), correct)
}

/// HMAC signatures: Left matches the right one in its first 31 bytes (only the last differs), Right differs from
/// the first byte on. Both are refused (`signature_mismatch`); only the comparison can tell them apart.
///
/// Before every measurement, untimed, the verifier is rebuilt with a fresh random secret, so that both classes'
/// signatures are random bytes: they differ only in how much of the right signature they hold, never in what the
/// sender's bytes look like. (With one secret, Left's signatures were all but one string and Right's random, and
/// parsing the sender's own bytes showed: two fixed *wrong* signatures, neither near the right one, reached |t| 12.8
/// in one run of six on this VM.)
fn signature_long_prefix_vs_none(runner: &mut CtRunner, rng: &mut BenchRng) {
    signatures(runner, rng, true);
}

/// The same measurement with random signatures in both classes (drawn alike, independently): nothing differs
/// between the classes, so this is the per-measurement-rebuild method's own noise, the yardstick for the two content
/// checks.
fn signature_control(runner: &mut CtRunner, rng: &mut BenchRng) {
    signatures(runner, rng, false);
}

fn signatures(runner: &mut CtRunner, rng: &mut BenchRng, left_close: bool) {
    let mut header = OneBuffer::default();
    for class in classes(rng) {
        let (verifier, correct) = elmed(rng);
        let verifier = std::hint::black_box(verifier);
        let (mut random, mut other) = ([0u8; 32], [0u8; 32]);
        rng.fill_bytes(&mut random);
        rng.fill_bytes(&mut other);
        let flip = 1 + (rng.next_u32() % 255) as u8;
        random[0] = correct[0] ^ flip;
        other[0] = correct[0] ^ flip;
        let mut close = correct;
        close[31] ^= flip;
        let guess = pick(class, if left_close { &close } else { &other }, &random);
        let header = header.holding(&format!("sha256={}", hex(&guess)));
        runner.run_one(class, || verifier.verify_at(BODY, [("X-ELMED-Signature", header)], 0).is_err());
    }
}

/// `left` for the Left class, else `right`, chosen under a mask rather than by a branch: a branch on the class just
/// before the clock starts is itself a difference between the classes (two classes of identically made inputs
/// reached |t| 23 when the choice was a `match`). The same draws are made for both classes, for the same reason.
fn pick<const N: usize>(class: Class, left: &[u8; N], right: &[u8; N]) -> [u8; N] {
    let mask = std::hint::black_box(u8::from(matches!(class, Class::Left))).wrapping_neg();
    std::array::from_fn(|i| (left[i] & mask) | (right[i] & !mask))
}

/// Where the timed call reads its input: each measurement's input is copied into it first, untimed, so that every
/// call reads the same, cached address. Reading the inputs where they were made, two million strings across the
/// heap, showed differences between the classes in some runs (|t| up to 47 for signatures, on input strings of one
/// length): not the comparison's doing, which an attacker's request never shares with two million others.
#[derive(Default)]
struct OneBuffer(String);

impl OneBuffer {
    fn holding(&mut self, input: &str) -> &str {
        self.0.clear();
        self.0.push_str(input);
        &self.0
    }
}

/// A NovaMed verifier for `key`, built from a string of the same capacity whatever the key's length, so that the
/// two kinds leave the allocator in the same state.
fn keyed(key: &str) -> Verifier {
    let mut secret = String::with_capacity(64);
    secret.push_str(key);
    Verifier::new("novamed", &Options::new().secret(secret)).expect("verifier")
}

/// Shared keys of the configured key's length: Left is the key with only its last character changed, Right a
/// random key. Both are refused (`key_mismatch`). As for signatures, the verifier is rebuilt, untimed, with a fresh
/// random key before every measurement, so that both classes' keys are random text (lowercase, then one uppercase
/// character: never the key's own last one); they differ only in how much of the key they hold. Keys are compared
/// through their SHA-256, so a shared prefix does not survive to the comparison: this checks what a sender can
/// time, end to end; the digest comparison itself is the lane comparison the signature check times.
fn shared_key_long_prefix_vs_none(runner: &mut CtRunner, rng: &mut BenchRng) {
    let mut presented = OneBuffer::default();
    for class in classes(rng) {
        let key = random_text(rng, LOWER, KEY_LEN);
        let verifier = std::hint::black_box(keyed(&key));
        let mut random: [u8; KEY_LEN] = random_text(rng, LOWER, KEY_LEN).as_bytes().try_into().expect("length");
        let mut close: [u8; KEY_LEN] = key.as_bytes().try_into().expect("length");
        let last = UPPER[rng.next_u32() as usize % UPPER.len()];
        (random[KEY_LEN - 1], close[KEY_LEN - 1]) = (last, last);
        let guess = pick(class, &close, &random);
        let guess = std::str::from_utf8(&guess).expect("ASCII");
        let presented = presented.holding(guess);
        runner.run_one(class, || verifier.verify_at(BODY, [("x-api-key", presented)], 0).is_err());
    }
}

/// The configured key's length: the same kind of presented key (random, of the first key's length) against a
/// verifier whose key has that length (Left) or is 17 characters longer (Right). Both are refused (`key_mismatch`);
/// if the comparison depended on the configured key's length, the classes would differ.
/// (The presented key's own length is the sender's choice and costs what hashing it costs: not a secret.)
fn shared_key_equal_vs_different_length(runner: &mut CtRunner, rng: &mut BenchRng) {
    both_rebuilt_per_measurement(runner, rng, LONGER_KEY_LEN, keyed, verify_key);
}

/// The same measurement with keys of one length in both verifiers (each measurement draws two keys, as above):
/// nothing differs between the classes, so this is the method's own noise, the yardstick for the bench above.
fn shared_key_length_control(runner: &mut CtRunner, rng: &mut BenchRng) {
    both_rebuilt_per_measurement(runner, rng, KEY_LEN, keyed, verify_key);
}

/// The same measurement of a comparison that leaks the length: subtle's `ct_eq` on the keys themselves, constant
/// time over equal lengths but answering at once when the lengths differ (the usual hand-written check). This must
/// show a large |t|: the method can see a length leak.
fn control_length_leaking_compare(runner: &mut CtRunner, rng: &mut BenchRng) {
    let stored = |key: &str| {
        let mut stored = String::with_capacity(64);
        stored.push_str(key);
        stored
    };
    let compare = |stored: &String, presented: &str| bool::from(stored.as_bytes().ct_eq(presented.as_bytes()));
    both_rebuilt_per_measurement(runner, rng, LONGER_KEY_LEN, stored, compare);
}

fn verify_key(verifier: &Verifier, presented: &str) -> bool {
    verifier.verify_at(BODY, [("x-api-key", presented)], 0).is_err()
}

/// How to time the configured key's length without timing something else. Verifiers built once, one per class,
/// sit at two places in memory, and where an object sits is measurable: two populations of 32,768 verifiers each,
/// picked at random, still reached |t| 47 with the same key in both. A verifier rebuilt before every measurement
/// with its class's key is no better: building it hashes a key of that length, and what that leaves behind in the
/// processor (|t| up to 200, while keys of one length and different content gave |t| < 3) is the build's doing,
/// which an attacker never times. So before every measurement, untimed, two fresh random keys are drawn (KEY_LEN
/// characters for Left, `right_len` for Right) and both are built (`build`), in random order; the one not timed
/// then checks the presented key (the same check, on the other one), and the one timed is moved to one place.
/// Everything done before the clock starts is then the same whichever class is measured; only which of the two is
/// timed (`check`) depends on the class. Fresh keys each time, so that the classes are not two fixed keys either.
fn both_rebuilt_per_measurement<T>(
    runner: &mut CtRunner,
    rng: &mut BenchRng,
    right_len: usize,
    build: impl Fn(&str) -> T,
    check: impl Fn(&T, &str) -> bool,
) {
    let mut presented = OneBuffer::default();
    for class in classes(rng) {
        let input = random_text(rng, LOWER, KEY_LEN);
        let presented = presented.holding(&input);
        let keys = [random_text(rng, LOWER, KEY_LEN), random_text(rng, LOWER, right_len)];
        let mut built: [Option<T>; 2] = [None, None];
        for which in if rng.gen::<bool>() { [1, 0] } else { [0, 1] } {
            built[which] = Some(build(&keys[which]));
        }
        let index = std::hint::black_box(usize::from(matches!(class, Class::Right)));
        let timed = std::hint::black_box(built[index].take()).expect("built");
        std::hint::black_box(check(built[1 - index].as_ref().expect("built"), presented));
        runner.run_one(class, || check(&timed, presented));
    }
}

/// The control: a comparison that stops at the first difference (what `!==` on a key does). Left differs only in
/// the last of 4096 bytes, Right in the first: this must show a large |t|. The guess is made in one buffer, as the
/// inputs of the checks are.
fn control_early_exit_compare(runner: &mut CtRunner, rng: &mut BenchRng) {
    let mut secret = vec![0u8; 4096];
    rng.fill_bytes(&mut secret);
    let mut guess = secret.clone();
    for class in classes(rng) {
        guess.copy_from_slice(&secret);
        let at = usize::from(pick(class, &[1], &[0])[0]) * 4095;
        guess[at] ^= 1;
        runner.run_one(class, || std::hint::black_box(&guess[..]) == std::hint::black_box(&secret[..]));
    }
}

ctbench_main!(
    signature_long_prefix_vs_none,
    signature_control,
    shared_key_long_prefix_vs_none,
    shared_key_equal_vs_different_length,
    shared_key_length_control,
    control_length_leaking_compare,
    control_early_exit_compare
);
