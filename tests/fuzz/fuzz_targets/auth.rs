//! API keys and JWT bearer tokens (edgeway-policy), as a caller or a configuration presents
//! them:
//!
//! - `ApiKeys::parse` accepts `name=key` lists, and `check` of each configured key gives its
//!   name (the last one listed, for a key listed twice); `KeySource::find` takes the header
//!   first, trimmed;
//! - `Verifier::verify` of any `Authorization` value, against a fixed secret or against an
//!   arbitrary JWKS, never panics and never accepts a token it did not sign;
//! - a token signed with the secret and carrying arbitrary claims is accepted with its
//!   subject, and the same token with its signature altered is refused.
#![no_main]

use edgeway_policy::api_key::{ApiKeys, KeySource};
use edgeway_policy::jwt::Verifier;
use jsonwebtoken::{EncodingKey, Header, encode};
use libfuzzer_sys::fuzz_target;

const SECRET: &str = "fuzzing-secret-0123456789abcdef-0123456789";
/// An `exp` far in the future.
const LATER: u64 = 4_000_000_000;

/// `api-keys`, then lines: the configuration, the presented key, the query, then headers
/// (`name: value`).
fn api_keys(lines: &[&str]) {
    let config = lines.first().copied().unwrap_or_default();
    let presented = lines.get(1).copied().unwrap_or_default();
    let query = lines.get(2).copied().unwrap_or_default();
    let headers: Vec<(String, String)> = lines
        .iter()
        .skip(3)
        .filter_map(|line| line.split_once(':'))
        .map(|(name, value)| (name.to_owned(), value.to_owned()))
        .collect();
    let entries: Vec<(&str, &str)> = config
        .split(',')
        .filter_map(|entry| entry.split_once('='))
        .map(|(name, key)| (name.trim(), key.trim()))
        .collect();
    match ApiKeys::parse(config) {
        Ok(keys) => {
            for (_, key) in &entries {
                let expected = entries
                    .iter()
                    .rev()
                    .find(|(_, k)| k == key)
                    .map(|(n, _)| *n);
                assert_eq!(keys.check(key), expected, "{config:?}");
            }
            if let Some(name) = keys.check(presented) {
                assert!(entries.contains(&(name, presented)), "{config:?}");
            }
        }
        Err(reason) => assert!(!reason.is_empty()),
    }
    let source = KeySource {
        header: "x-api-key",
        query: Some("api_key"),
    };
    let found = source.find(&headers, query);
    if let Some((_, value)) = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("x-api-key"))
    {
        assert_eq!(found.as_deref(), Some(value.trim()));
    } else if found.is_some() {
        assert!(
            query
                .split('&')
                .any(|pair| pair.split('=').next() == Some("api_key"))
        );
    }
}

fn bearer(authorization: &str, jwks: Option<&str>) {
    let verifier = Verifier::new(Some(SECRET), None, None, None, 0).unwrap();
    // Nothing the fuzzer writes is signed with the secret.
    assert!(
        verifier.verify(Some(authorization)).is_err(),
        "{authorization:?}"
    );
    if let Some(jwks) = jwks
        && let Ok(verifier) = Verifier::new(None, Some(jwks), None, None, 0)
    {
        let _ = verifier.verify(Some(authorization));
    }
}

/// `signed`, then lines: the subject, a JSON object of more claims, and which signature
/// character to alter.
fn signed(lines: &[&str]) {
    let subject = lines.first().copied().unwrap_or_default();
    let mut claims: serde_json::Map<String, serde_json::Value> = lines
        .get(1)
        .and_then(|json| serde_json::from_str(json).ok())
        .unwrap_or_default();
    let flip: usize = lines
        .get(2)
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0);
    claims.insert("sub".into(), subject.into());
    claims.insert("exp".into(), LATER.into());
    claims.remove("nbf");
    claims.remove("iss");
    claims.remove("aud");
    let token = encode(
        &Header::default(),
        &claims,
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .expect("HS256 signing works");
    let verifier = Verifier::new(Some(SECRET), None, None, None, 0).unwrap();
    let identity = verifier
        .verify(Some(&format!("Bearer {token}")))
        .unwrap_or_else(|e| panic!("own token refused: {e:?}: {token}"));
    assert_eq!(identity.subject.as_deref(), Some(subject));
    assert_eq!(identity.claims["sub"], subject);
    // Alter one character of the signature: the token must be refused.
    let signature_start = token.rfind('.').unwrap() + 1;
    let signature = &token[signature_start..];
    let at = flip % signature.len();
    let original = signature.as_bytes()[at];
    let replacement = if original == b'A' { b'B' } else { b'A' };
    let mut altered = token.clone().into_bytes();
    altered[signature_start + at] = replacement;
    let altered = String::from_utf8(altered).unwrap();
    // The last base64url character of a 32-byte MAC carries 2 padding bits, which a
    // lenient decoder may ignore: change the character only where it changes the MAC.
    if at + 1 < signature.len() {
        assert!(
            verifier.verify(Some(&format!("Bearer {altered}"))).is_err(),
            "{altered}"
        );
    }
}

// The input, as text: a first line naming the case (`api-keys`, `bearer`, `jwks`, `signed`),
// then its lines.
fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let lines: Vec<&str> = text.split('\n').collect();
    let rest = &lines[1..];
    let line = |i: usize| rest.get(i).copied().unwrap_or_default();
    match lines[0] {
        "api-keys" => api_keys(rest),
        "bearer" => bearer(line(0), None),
        "jwks" => bearer(line(1), Some(line(0))),
        "signed" => signed(rest),
        _ => {}
    }
});
