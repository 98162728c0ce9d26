//! JWT keys for the test app, made once per test process, and tokens minted with
//! `jwt-simple` (a library independent of the one the gateway verifies with).
use std::sync::OnceLock;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jwt_simple::prelude::*;

/// The issuer and audience tests/app/spin.toml requires.
pub const ISSUER: &str = "https://issuer.test";
pub const AUDIENCE: &str = "edgeway-tests";

/// The keys the test app trusts: an HS256 secret, and RS256, ES256 and EdDSA key pairs whose
/// public halves are in its JWKS.
pub struct Keys {
    pub secret: String,
    pub rsa: RS256KeyPair,
    pub ec: ES256KeyPair,
    pub ed: Ed25519KeyPair,
    pub jwks: String,
}

/// The process's keys.
pub fn keys() -> &'static Keys {
    static KEYS: OnceLock<Keys> = OnceLock::new();
    KEYS.get_or_init(|| {
        let b64 = |bytes: &[u8]| URL_SAFE_NO_PAD.encode(bytes);
        let rsa = RS256KeyPair::generate(2048).unwrap().with_key_id("rsa-1");
        let ec = ES256KeyPair::generate().with_key_id("ec-1");
        let ed = Ed25519KeyPair::generate().with_key_id("ed-1");
        let rsa_public = rsa.public_key().to_components();
        let point = ec.public_key().public_key().to_bytes_uncompressed();
        let jwks = serde_json::json!({ "keys": [
            { "kty": "RSA", "kid": "rsa-1", "alg": "RS256", "n": b64(&rsa_public.n), "e": b64(&rsa_public.e) },
            { "kty": "EC", "kid": "ec-1", "crv": "P-256", "x": b64(&point[1..33]), "y": b64(&point[33..]) },
            { "kty": "OKP", "kid": "ed-1", "crv": "Ed25519", "x": b64(&ed.public_key().to_bytes()) },
        ]})
        .to_string();
        let secret = b64(&rand_bytes());
        Keys { secret, rsa, ec, ed, jwks }
    })
}

fn rand_bytes() -> Vec<u8> {
    HS256Key::generate().to_bytes()
}

/// The environment that gives the test app its JWT variables, as Spin's environment
/// provider reads them.
pub fn variables() -> Vec<(&'static str, &'static str)> {
    let keys = keys();
    vec![
        ("SPIN_VARIABLE_JWT_SECRET", keys.secret.as_str()),
        ("SPIN_VARIABLE_JWT_JWKS", keys.jwks.as_str()),
    ]
}

/// Claims the test app accepts: its issuer and audience, subject `ada`, valid for 5 minutes.
pub fn claims() -> JWTClaims<NoCustomClaims> {
    claims_with(NoCustomClaims {})
}

/// [`claims`] with custom claims (`serde_json::json!({"scope": "admin"})`, say).
pub fn claims_with<T: Serialize>(custom: T) -> JWTClaims<T> {
    Claims::with_custom_claims(custom, Duration::from_mins(5))
        .with_issuer(ISSUER)
        .with_audience(AUDIENCE)
        .with_subject("ada")
}

/// An HS256 token with the app's secret.
pub fn hs256<T: Serialize>(claims: JWTClaims<T>) -> String {
    HS256Key::from_bytes(keys().secret.as_bytes())
        .authenticate(claims)
        .unwrap()
}
