//! Request ids and W3C `traceparent` (edgeway-policy `request_id`):
//!
//! - a `traceparent` that parses re-serialises to itself (as trimmed), and a child span keeps
//!   its trace id and flags;
//! - an accepted `x-request-id` is 1–128 characters of `A-Z a-z 0-9 - _ . :`, and every
//!   generated id is one the gateway would accept from a caller, in UUID v7 layout, and ids
//!   sort by time.
#![no_main]

use edgeway_policy::request_id::{Traceparent, accept, generate};
use libfuzzer_sys::fuzz_target;

/// The input: a header value as text. The numbers for generated ids and spans are drawn from
/// it with a 64-bit FNV-1a hash, so every input also tries a different time and randomness.
struct Input {
    header: String,
    millis: u64,
    later: u32,
    random: [u8; 10],
    other_random: [u8; 10],
    span: [u8; 8],
}

fn fnv(data: &[u8], seed: u64) -> u64 {
    data.iter()
        .fold(0xcbf2_9ce4_8422_2325 ^ seed, |hash, &byte| {
            (hash ^ u64::from(byte)).wrapping_mul(0x100_0000_01b3)
        })
}

impl Input {
    fn new(data: &[u8]) -> Input {
        let word = |seed: u64| fnv(data, seed).to_le_bytes();
        let mut random = [0; 10];
        random[..8].copy_from_slice(&word(1));
        random[8..].copy_from_slice(&word(2)[..2]);
        let mut other_random = [0; 10];
        other_random[..8].copy_from_slice(&word(3));
        other_random[8..].copy_from_slice(&word(4)[..2]);
        Input {
            header: String::from_utf8_lossy(data).into_owned(),
            millis: fnv(data, 5),
            later: fnv(data, 6) as u32,
            random,
            other_random,
            span: word(7),
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let input = Input::new(data);
    if let Some(parsed) = Traceparent::parse(&input.header) {
        let text = parsed.to_string();
        assert_eq!(text, input.header.trim());
        assert_eq!(Traceparent::parse(&text), Some(parsed));
        let child = parsed.child(input.span);
        assert_eq!(
            (child.trace_id, child.flags),
            (parsed.trace_id, parsed.flags)
        );
        if input.span != [0; 8] {
            assert_eq!(Traceparent::parse(&child.to_string()), Some(child));
        }
    }

    if let Some(id) = accept(Some(&input.header)) {
        assert_eq!(id, input.header);
        assert!((1..=128).contains(&id.len()));
        assert!(
            id.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
        );
    }

    // Unix milliseconds fit in 48 bits until the year 10889.
    let millis = input.millis & ((1 << 48) - 1);
    let id = generate(millis, input.random);
    assert_eq!(accept(Some(&id)), Some(id.as_str()));
    let groups: Vec<usize> = id.split('-').map(str::len).collect();
    assert_eq!(groups, [8, 4, 4, 4, 12], "{id}");
    assert_eq!(&id[14..15], "7", "version 7: {id}");
    assert!(
        matches!(&id[19..20], "8" | "9" | "a" | "b"),
        "RFC 9562 variant: {id}"
    );
    let later = millis + u64::from(input.later) + 1;
    if later < 1 << 48 {
        assert!(generate(later, input.other_random) > id, "ids sort by time");
    }
});
