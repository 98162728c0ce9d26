//! Tokens are minted with `jwt-simple`, a library independent of the one that verifies them.
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jwt_simple::prelude::*;
use serde_json::json;

use super::*;

const SECRET: &str = "an-hs256-secret-of-at-least-32-bytes!";

fn claims() -> JWTClaims<NoCustomClaims> {
    Claims::create(Duration::from_mins(5))
        .with_issuer("https://issuer.test")
        .with_audience("edgeway")
        .with_subject("ada")
}

fn verifier(jwks: Option<&str>) -> Verifier {
    Verifier::new(
        Some(SECRET),
        jwks,
        Some("https://issuer.test"),
        Some("edgeway"),
        5,
    )
    .unwrap()
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

#[test]
fn hs256_good_and_bad() {
    let key = HS256Key::from_bytes(SECRET.as_bytes());
    let verifier = verifier(None);
    let identity = verifier
        .verify(Some(&bearer(&key.authenticate(claims()).unwrap())))
        .unwrap();
    assert_eq!(identity.subject.as_deref(), Some("ada"));
    assert_eq!(identity.claims["iss"], "https://issuer.test");

    let expired = claims().invalid_before(Clock::now_since_epoch() - Duration::from_mins(20));
    let mut expired = expired;
    expired.expires_at = Some(Clock::now_since_epoch() - Duration::from_mins(10));
    let cases: Vec<(String, &str)> = vec![
        (key.authenticate(expired).unwrap(), "expired"),
        (
            key.authenticate(
                claims().invalid_before(Clock::now_since_epoch() + Duration::from_mins(10)),
            )
            .unwrap(),
            "not valid yet",
        ),
        (
            key.authenticate(claims().with_issuer("https://other.test"))
                .unwrap(),
            "issuer",
        ),
        (
            key.authenticate(claims().with_audience("someone-else"))
                .unwrap(),
            "audience",
        ),
        (
            HS256Key::from_bytes(b"another-secret-that-is-32-bytes-long")
                .authenticate(claims())
                .unwrap(),
            "signature",
        ),
        ("not.a.token".into(), "malformed"),
    ];
    for (token, reason) in cases {
        match verifier.verify(Some(&bearer(&token))) {
            Err(AuthError::Unauthorized(detail)) => {
                assert!(detail.contains(reason), "{reason}: {detail}")
            }
            other => panic!("{reason}: {other:?}"),
        }
    }
    let missing = verifier.verify(None).unwrap_err();
    assert!(matches!(missing, AuthError::Missing(_)));
    assert_eq!(missing.www_authenticate(), "Bearer realm=\"edgeway\"");
    let lowercase = format!("bearer {}", key.authenticate(claims()).unwrap());
    assert!(verifier.verify(Some(&lowercase)).is_ok());
    assert!(matches!(
        verifier.verify(Some("Basic abc")),
        Err(AuthError::Unauthorized(_))
    ));
}

#[test]
fn alg_none_is_refused() {
    let header = b64(br#"{"alg":"none","typ":"JWT"}"#);
    let now = Clock::now_since_epoch().as_secs();
    let payload = b64(
        json!({ "sub": "ada", "exp": now + 300, "iss": "https://issuer.test", "aud": "edgeway" })
            .to_string()
            .as_bytes(),
    );
    let token = format!("{header}.{payload}.");
    assert!(matches!(
        verifier(None).verify(Some(&bearer(&token))),
        Err(AuthError::Unauthorized(_))
    ));
}

#[test]
fn public_key_algorithms_through_jwks() {
    let rsa = RS256KeyPair::generate(2048).unwrap().with_key_id("rsa-1");
    let components = rsa.public_key().to_components();
    let ec = ES256KeyPair::generate().with_key_id("ec-1");
    let point = ec.public_key().public_key().to_bytes_uncompressed();
    let ed = Ed25519KeyPair::generate().with_key_id("ed-1");
    let jwks = json!({ "keys": [
        { "kty": "RSA", "kid": "rsa-1", "alg": "RS256", "n": b64(&components.n), "e": b64(&components.e) },
        { "kty": "EC", "kid": "ec-1", "crv": "P-256", "x": b64(&point[1..33]), "y": b64(&point[33..]) },
        { "kty": "OKP", "kid": "ed-1", "crv": "Ed25519", "x": b64(&ed.public_key().to_bytes()) },
    ]})
    .to_string();
    let verifier = verifier(Some(&jwks));
    for token in [
        rsa.sign(claims()).unwrap(),
        ec.sign(claims()).unwrap(),
        ed.sign(claims()).unwrap(),
    ] {
        assert_eq!(
            verifier
                .verify(Some(&bearer(&token)))
                .unwrap()
                .subject
                .as_deref(),
            Some("ada")
        );
    }
    // An RS256 token whose kid names the EC key: the algorithm must fit the key.
    let confused = RS256KeyPair::generate(2048)
        .unwrap()
        .with_key_id("ec-1")
        .sign(claims())
        .unwrap();
    assert!(
        matches!(verifier.verify(Some(&bearer(&confused))), Err(AuthError::Unauthorized(d)) if d.contains("does not match"))
    );
}

#[test]
fn hs256_signed_with_a_public_key_is_refused_without_a_secret() {
    let rsa = RS256KeyPair::generate(2048).unwrap();
    let components = rsa.public_key().to_components();
    let jwks =
        json!({ "keys": [{ "kty": "RSA", "n": b64(&components.n), "e": b64(&components.e) }] })
            .to_string();
    let verifier = Verifier::new(None, Some(&jwks), None, None, 0).unwrap();
    // The classic confusion attack: sign HS256 with the public key's bytes as the secret.
    let forged = HS256Key::from_bytes(&rsa.public_key().to_der().unwrap())
        .authenticate(claims())
        .unwrap();
    assert!(
        matches!(verifier.verify(Some(&bearer(&forged))), Err(AuthError::Unauthorized(d)) if d.contains("HS256"))
    );
}

#[test]
fn scopes_from_scope_scp_or_roles() {
    assert!(has_scopes(&json!({ "scope": "read write" }), &["write"]));
    assert!(has_scopes(&json!({ "scp": ["admin"] }), &["admin"]));
    assert!(has_scopes(
        &json!({ "roles": ["ops", "admin"] }),
        &["admin", "ops"]
    ));
    assert!(!has_scopes(&json!({ "scope": "read" }), &["write"]));
    assert!(has_scopes(&json!({}), &[]));
}

#[test]
fn configuration_errors() {
    assert!(
        Verifier::new(None, None, None, None, 0)
            .unwrap_err()
            .contains("secret")
    );
    assert!(
        Verifier::new(Some("short"), None, None, None, 0)
            .unwrap_err()
            .contains("32 bytes")
    );
    assert!(
        Verifier::new(None, Some("{}"), None, None, 0)
            .unwrap_err()
            .contains("JWKS")
    );
}

#[test]
fn www_authenticate_values() {
    let unauthorized = AuthError::Unauthorized("the token has \"expired\"".into());
    assert_eq!(
        unauthorized.www_authenticate(),
        "Bearer realm=\"edgeway\", error=\"invalid_token\", error_description=\"the token has 'expired'\""
    );
    assert!(
        AuthError::Forbidden("x".into())
            .www_authenticate()
            .contains("insufficient_scope")
    );
}
