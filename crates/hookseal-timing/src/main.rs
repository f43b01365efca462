//! A dudect-style timing-leak check (dudect-bencher: Welch's t-test between two classes of inputs, timed
//! interleaved in random order, over several percentile crops) of hookseal's comparisons, through the public API,
//! as an attacker sees them. |t| above 4.5 means the two classes are distinguishable by timing.
//!
//!     make timing            (cargo run --release -p hookseal-timing)
//!     make timing ARGS='--continuous sig'   (keeps sampling one bench; dudect-bencher's options)
//!
//! Not in CI: timing is noisy. Each bench takes SAMPLES measurements. The last bench is a control: a byte-by-byte
//! `==` that returns at the first difference, which must show a large |t|, proving the harness can see a leak.

use dudect_bencher::rand::{Rng, RngCore};
use dudect_bencher::{ctbench_main, BenchRng, Class, CtRunner};
use hookseal::{sign, Options, SignOptions, Verifier};

/// Measurements per bench: dudect-bencher reports the t of its most telling percentile crop, which can hold about
/// half of them, so twice the 1,000,000 the check asks for.
const SAMPLES: usize = 2_000_000;
/// Verifiers per class in the key-length bench.
const VERIFIERS: usize = 32_768;
const ELMED_SECRET: &str = "elmed_whsk_timing_4f9c2a7e1b6d3c8a";
const SHARED_KEY: &str = "nm_key_timing_2f8a61c0d94b37e5";
const BODY: &[u8] = br#"{"event":"order.status_changed","data":{}}"#;

/// Random classes, half each, in random order (dudect's protocol).
fn classes(rng: &mut BenchRng) -> Vec<Class> {
    (0..SAMPLES).map(|_| if rng.gen::<bool>() { Class::Left } else { Class::Right }).collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn elmed() -> (Verifier, Vec<u8>) {
    let options = Options::new().secret(ELMED_SECRET);
    let headers = sign("elmed", BODY, &SignOptions::new(options.clone())).expect("sign");
    let header = &headers.iter().find(|(name, _)| name == "X-ELMED-Signature").expect("signature").1;
    let correct = (0..32).map(|i| u8::from_str_radix(&header[7 + 2 * i..9 + 2 * i], 16).expect("hex")).collect();
    (Verifier::new("elmed", &options).expect("verifier"), correct)
}

/// HMAC signatures: Left matches the right one in its first 31 bytes (only the last differs), Right differs from
/// the first byte on. Both are refused (`signature_mismatch`); only the comparison can tell them apart.
fn signature_long_prefix_vs_none(runner: &mut CtRunner, rng: &mut BenchRng) {
    let (verifier, correct) = elmed();
    let mut inputs = Vec::with_capacity(SAMPLES);
    let classes = classes(rng);
    for class in &classes {
        let mut guess = correct.clone();
        match class {
            Class::Left => guess[31] ^= 1 + (rng.next_u32() as u8 % 255),
            Class::Right => {
                rng.fill_bytes(&mut guess);
                guess[0] = correct[0] ^ 0x80;
            }
        }
        inputs.push(format!("sha256={}", hex(&guess)));
    }
    for (class, header) in classes.into_iter().zip(inputs) {
        runner.run_one(class, || verifier.verify_at(BODY, [("X-ELMED-Signature", header.as_str())], 0).is_err());
    }
}

/// A NovaMed verifier for `key`, built from a string of the same capacity whatever the key's length, so that the
/// two kinds leave the allocator in the same state.
fn keyed(key: &str) -> Verifier {
    let mut secret = String::with_capacity(64);
    secret.push_str(key);
    Verifier::new("novamed", &Options::new().secret(secret)).expect("verifier")
}

fn novamed() -> Verifier {
    Verifier::new("novamed", &Options::new().secret(SHARED_KEY)).expect("verifier")
}

/// Shared keys of the configured key's length: Left is the key with only its last character changed, Right a
/// random key. Both are refused (`key_mismatch`).
fn shared_key_long_prefix_vs_none(runner: &mut CtRunner, rng: &mut BenchRng) {
    let verifier = novamed();
    let classes = classes(rng);
    let inputs: Vec<String> = classes
        .iter()
        .map(|class| match class {
            Class::Left => {
                format!("{}{}", &SHARED_KEY[..SHARED_KEY.len() - 1], char::from(b'A' + (rng.next_u32() % 26) as u8))
            }
            Class::Right => (0..SHARED_KEY.len()).map(|_| char::from(b'a' + (rng.next_u32() % 26) as u8)).collect(),
        })
        .collect();
    for (class, key) in classes.into_iter().zip(inputs) {
        runner.run_one(class, || verifier.verify_at(BODY, [("x-api-key", key.as_str())], 0).is_err());
    }
}

/// The configured key's length: the same kind of presented key (random, of the first key's length) against a
/// verifier whose key has that length (Left) or is 17 characters longer (Right). Both are refused (`key_mismatch`);
/// if the comparison depended on the configured key's length, the classes would differ. VERIFIERS of each kind,
/// allocated in random order and picked at random, so that where one happens to sit in memory is not what is
/// measured.
/// (The presented key's own length is the sender's choice and costs what hashing it costs: not a secret.)
fn shared_key_equal_vs_different_length(runner: &mut CtRunner, rng: &mut BenchRng) {
    key_populations(runner, rng, &format!("{SHARED_KEY}_0123456789abcdef"));
}

/// The same measurement with the same key in both populations: nothing secret differs, so what this shows is the
/// method's own noise (where the verifiers landed in memory), the yardstick for the bench above.
fn shared_key_population_control(runner: &mut CtRunner, rng: &mut BenchRng) {
    key_populations(runner, rng, SHARED_KEY);
}

fn key_populations(runner: &mut CtRunner, rng: &mut BenchRng, longer_key: &str) {
    let mut verifiers: [Vec<Verifier>; 2] = [Vec::new(), Vec::new()];
    let mut padding = Vec::new();
    for _ in 0..VERIFIERS * 2 {
        // Either kind next, at random, with a random-sized allocation between: no kind sits systematically first.
        let kind = usize::from(rng.gen::<bool>());
        if verifiers[kind].len() == VERIFIERS {
            continue;
        }
        verifiers[kind].push(keyed(if kind == 0 { SHARED_KEY } else { longer_key }));
        padding.push(vec![0u8; 16 + (rng.next_u32() % 512) as usize]);
    }
    while verifiers[0].len() < VERIFIERS {
        verifiers[0].push(keyed(SHARED_KEY));
    }
    while verifiers[1].len() < VERIFIERS {
        verifiers[1].push(keyed(longer_key));
    }
    let classes = classes(rng);
    let inputs: Vec<(usize, String)> = classes
        .iter()
        .map(|_| {
            let key = (0..SHARED_KEY.len()).map(|_| char::from(b'a' + (rng.next_u32() % 26) as u8)).collect();
            ((rng.next_u32() as usize) % VERIFIERS, key)
        })
        .collect();
    for (class, (pick, key)) in classes.into_iter().zip(inputs) {
        let verifier = &verifiers[usize::from(matches!(class, Class::Right))][pick];
        runner.run_one(class, || verifier.verify_at(BODY, [("x-api-key", key.as_str())], 0).is_err());
    }
}

/// The control: a comparison that stops at the first difference (what `!==` on a key does). Left differs only in
/// the last of 4096 bytes, Right in the first: this must show a large |t|.
fn control_early_exit_compare(runner: &mut CtRunner, rng: &mut BenchRng) {
    let mut secret = vec![0u8; 4096];
    rng.fill_bytes(&mut secret);
    let classes = classes(rng);
    let inputs: Vec<Vec<u8>> = classes
        .iter()
        .map(|class| {
            let mut guess = secret.clone();
            let at = if matches!(class, Class::Left) { 4095 } else { 0 };
            guess[at] ^= 1;
            guess
        })
        .collect();
    for (class, guess) in classes.into_iter().zip(inputs) {
        runner.run_one(class, || std::hint::black_box(&guess[..]) == std::hint::black_box(&secret[..]));
    }
}

ctbench_main!(
    signature_long_prefix_vs_none,
    shared_key_long_prefix_vs_none,
    shared_key_equal_vs_different_length,
    shared_key_population_control,
    control_early_exit_compare
);
