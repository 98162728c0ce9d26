//! Who may call a route: API keys (`/keyed/...`) and JWT bearer tokens (`/me`, `/admin`), as
//! tests/app/spin.toml configures them. Tokens are minted with `jwt-simple`, a library
//! independent of the one the gateway verifies with.
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use edgeway_tests::tokens::{self, claims, claims_with, hs256, keys};
use edgeway_tests::{Response, request, test_app};
use jwt_simple::prelude::*;
use serde_json::json;

const ALICE: &str = "alice-key-0123456789abcdef";
const BOB: &str = "bob-key-0123456789abcdef";

fn get_with(target: &str, headers: &[(&str, &str)]) -> Response {
    request(test_app().addr, "GET", target, headers, b"")
}

fn get_bearer(target: &str, token: &str) -> Response {
    get_with(target, &[("authorization", &format!("Bearer {token}"))])
}

/// Asserts a 401 problem whose `WWW-Authenticate` starts with `challenge`; returns the
/// header's value.
fn assert_unauthorized(response: &Response, challenge: &str) -> String {
    response.problem(401, "unauthorized");
    let value = response
        .header("www-authenticate")
        .expect("a 401 carries WWW-Authenticate");
    assert!(value.starts_with(challenge), "{value}");
    value.to_owned()
}

#[test]
fn api_key_in_the_header_or_the_query_names_the_caller() {
    let response = get_with("/keyed/a", &[("x-api-key", ALICE)]);
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(
        response.json()["caller"],
        json!({ "scheme": "api-key", "name": "alice", "claims": null })
    );

    let response = get_with(&format!("/keyed/b?x=1&api_key={BOB}"), &[]);
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.json()["caller"]["name"], "bob");
}

#[test]
fn a_wrong_or_missing_api_key_is_401() {
    let challenge = r#"ApiKey header="x-api-key""#;
    for (headers, target, detail) in [
        (vec![], "/keyed/a", "an API key is required"),
        (
            vec![("x-api-key", "not-a-key-0123456789abcdef")],
            "/keyed/a",
            "not valid",
        ),
        // One character short of Alice's key, and her key with one more.
        (vec![("x-api-key", &ALICE[1..])], "/keyed/a", "not valid"),
        (
            vec![],
            "/keyed/a?api_key=alice-key-0123456789abcdeff",
            "not valid",
        ),
    ] {
        let response = get_with(target, &headers);
        assert_unauthorized(&response, challenge);
        let problem = response.json();
        assert!(
            problem["detail"].as_str().unwrap().contains(detail),
            "{target} {headers:?}: {problem}"
        );
    }
}

#[test]
fn jwt_with_every_accepted_algorithm_reaches_the_handler_with_its_claims() {
    let keys = keys();
    for (alg, token) in [
        ("HS256", hs256(claims())),
        ("RS256", keys.rsa.sign(claims()).unwrap()),
        ("ES256", keys.ec.sign(claims()).unwrap()),
        ("EdDSA", keys.ed.sign(claims()).unwrap()),
    ] {
        let response = get_bearer("/me", &token);
        assert_eq!(response.status, 200, "{alg}: {}", response.text());
        let caller = &response.json()["caller"];
        assert_eq!(caller["scheme"], "jwt", "{alg}");
        assert_eq!(caller["name"], "ada", "{alg}");
        assert_eq!(caller["claims"]["iss"], tokens::ISSUER, "{alg}");
        assert_eq!(caller["claims"]["sub"], "ada", "{alg}");
    }
}

#[test]
fn tokens_a_few_seconds_outside_their_validity_pass_within_the_leeway() {
    // The server first: starting it could outlast the leeway left to the expired token.
    test_app();
    let now = Clock::now_since_epoch();
    let mut just_expired = claims();
    just_expired.expires_at = Some(now - Duration::from_secs(2));
    let almost_valid = claims().invalid_before(now + Duration::from_secs(2));
    for token in [hs256(just_expired), hs256(almost_valid)] {
        let response = get_bearer("/me", &token);
        assert_eq!(response.status, 200, "{}", response.text());
    }
}

/// `header.payload.` with a hand-written header and no signature.
fn unsigned(header: serde_json::Value) -> String {
    let payload = serde_json::to_vec(&claims()).unwrap();
    format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(payload)
    )
}

/// `token`'s header and payload with `other`'s signature.
fn with_signature_of(token: &str, other: &str) -> String {
    let (signed, _) = token.rsplit_once('.').unwrap();
    let (_, signature) = other.rsplit_once('.').unwrap();
    format!("{signed}.{signature}")
}

/// Every way a token can be unacceptable: (case, Authorization value, what the caller is
/// told in `error_description`).
fn refused_tokens() -> Vec<(&'static str, String, &'static str)> {
    let keys = keys();
    let now = Clock::now_since_epoch();
    let bearer = |token: String| format!("Bearer {token}");
    let mut expired = claims();
    expired.expires_at = Some(now - Duration::from_secs(60));
    let mut no_expiry = claims();
    no_expiry.expires_at = None;
    let rsa_public_der = keys.rsa.public_key().to_der().unwrap();
    let rsa_as_ec = keys.rsa.clone().with_key_id("ec-1");
    vec![
        ("expired", bearer(hs256(expired)), "expired"),
        (
            "not yet valid",
            bearer(hs256(
                claims().invalid_before(now + Duration::from_secs(60)),
            )),
            "not valid yet",
        ),
        (
            "wrong issuer",
            bearer(
                keys.rsa
                    .sign(claims().with_issuer("https://evil.test"))
                    .unwrap(),
            ),
            "issuer",
        ),
        (
            "wrong audience",
            bearer(
                keys.ec
                    .sign(claims().with_audience("someone-else"))
                    .unwrap(),
            ),
            "audience",
        ),
        ("no exp", bearer(hs256(no_expiry)), "required claim"),
        (
            "alg none",
            bearer(unsigned(json!({ "alg": "none", "typ": "JWT" }))),
            "algorithm is not accepted",
        ),
        (
            "HS256 signed with the RSA public key",
            bearer(
                HS256Key::from_bytes(&rsa_public_der)
                    .authenticate(claims())
                    .unwrap(),
            ),
            "signature",
        ),
        (
            "RS256 naming the EC key",
            bearer(rsa_as_ec.sign(claims()).unwrap()),
            "algorithm does not match its key",
        ),
        (
            "unknown kid",
            bearer(
                keys.rsa
                    .clone()
                    .with_key_id("rsa-2")
                    .sign(claims())
                    .unwrap(),
            ),
            "kid",
        ),
        (
            "HS256 with another secret",
            bearer(HS256Key::generate().authenticate(claims()).unwrap()),
            "signature",
        ),
        (
            "EdDSA signature of other claims",
            bearer(with_signature_of(
                &keys.ed.sign(claims()).unwrap(),
                &keys.ed.sign(claims().with_subject("eve")).unwrap(),
            )),
            "signature",
        ),
        ("malformed", bearer("not.a.jwt".into()), "malformed"),
        (
            "not a bearer token",
            "Basic YWRhOnB3".into(),
            "Bearer <token>",
        ),
    ]
}

#[test]
fn unacceptable_tokens_are_401_invalid_token() {
    for (case, authorization, reason) in refused_tokens() {
        let response = get_with("/me", &[("authorization", &authorization)]);
        let challenge = assert_unauthorized(&response, r#"Bearer realm="edgeway""#);
        assert!(
            challenge.contains(r#"error="invalid_token""#),
            "{case}: {challenge}"
        );
        assert!(challenge.contains(reason), "{case}: {challenge}");
        assert!(
            response.json()["detail"].as_str().unwrap().contains(reason),
            "{case}: {}",
            response.text()
        );
    }
}

#[test]
fn a_missing_token_is_401_with_a_bearer_challenge() {
    let response = get_with("/me", &[]);
    assert_unauthorized(&response, r#"Bearer realm="edgeway""#);
    assert!(
        response.json()["detail"]
            .as_str()
            .unwrap()
            .contains("bearer token is required")
    );
    // Scopes are checked only once the token is.
    assert_unauthorized(&get_with("/admin", &[]), "Bearer ");
}

#[test]
fn admin_needs_the_admin_scope_or_role() {
    for custom in [
        json!({ "scope": "read admin" }),
        json!({ "roles": ["viewer", "admin"] }),
    ] {
        let response = get_bearer("/admin", &hs256(claims_with(custom.clone())));
        assert_eq!(response.status, 200, "{custom}: {}", response.text());
        assert_eq!(response.json()["caller"]["name"], "ada");
    }
    for custom in [
        json!({}),
        json!({ "scope": "read" }),
        json!({ "scope": "administrator" }),
    ] {
        let response = get_bearer("/admin", &hs256(claims_with(custom.clone())));
        let problem = response.problem(403, "forbidden");
        assert!(
            problem["detail"].as_str().unwrap().contains("admin"),
            "{custom}"
        );
        assert_eq!(
            response.header("www-authenticate"),
            Some(r#"Bearer realm="edgeway", error="insufficient_scope""#),
            "{custom}"
        );
    }
}
