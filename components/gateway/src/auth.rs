//! Step 4: who is calling. API keys and JWTs are checked against Spin variables read through
//! `wasi:config`, so no secret is ever part of the component; each instance reads and parses
//! them once (`platform::once`).
use edgeway_policy::Auth;
use edgeway_policy::RoutePolicy;

use crate::app::edgeway::gateway::handler::Caller;
use crate::problem::Reply;
use crate::request::Head;

/// Settings for JWT auth, compiled in from the manifest.
#[cfg_attr(not(feature = "jwt"), allow(dead_code))]
pub struct JwtSettings {
    pub secret_variable: Option<&'static str>,
    pub jwks_variable: Option<&'static str>,
    pub issuer: Option<&'static str>,
    pub audience: Option<&'static str>,
    pub leeway: u64,
}

/// The caller the route's auth policy recognises (`None` on routes without auth), or the
/// reply that refuses the request.
pub fn authenticate(head: &Head, policy: &RoutePolicy<'static>) -> Result<Option<Caller>, Reply> {
    match policy.auth {
        Auth::None => Ok(None),
        Auth::ApiKey => api_key(head).map(Some),
        Auth::Jwt { scopes } => jwt(head, scopes).map(Some),
    }
}

#[cfg(feature = "api-key")]
fn api_key(head: &Head) -> Result<Caller, Reply> {
    use edgeway_policy::api_key::ApiKeys;
    static KEYS: std::sync::OnceLock<ApiKeys> = std::sync::OnceLock::new();
    let (source, variable) = crate::app::API_KEY;
    let keys = crate::platform::once(&KEYS, || {
        crate::platform::variable(variable).and_then(|config| ApiKeys::parse(&config))
    })
    .map_err(|error| crate::problem::misconfigured(head, &error))?;
    let challenge = format!("ApiKey header=\"{}\"", source.header);
    let presented = source
        .find(&head.headers, &head.query)
        .ok_or_else(|| crate::problem::unauthorized(head, "an API key is required", &challenge))?;
    let name = keys.check(&presented).ok_or_else(|| {
        crate::problem::unauthorized(head, "the API key is not valid", &challenge)
    })?;
    Ok(Caller {
        scheme: "api-key".into(),
        name: name.to_owned(),
        claims: String::new(),
    })
}

#[cfg(not(feature = "api-key"))]
fn api_key(_: &Head) -> Result<Caller, Reply> {
    unreachable!("build.rs turns on `api-key` whenever a route uses it")
}

#[cfg(feature = "jwt")]
fn jwt(head: &Head, scopes: &[&str]) -> Result<Caller, Reply> {
    use edgeway_policy::jwt::{AuthError, Verifier, has_scopes};
    static VERIFIER: std::sync::OnceLock<Verifier> = std::sync::OnceLock::new();
    let settings = &crate::app::JWT;
    let read = |variable: Option<&str>| variable.map(crate::platform::variable).transpose();
    let verifier = crate::platform::once(&VERIFIER, || {
        let secret = read(settings.secret_variable)?;
        let jwks = read(settings.jwks_variable)?;
        Verifier::new(
            secret.as_deref(),
            jwks.as_deref(),
            settings.issuer,
            settings.audience,
            settings.leeway,
        )
    })
    .map_err(|error| crate::problem::misconfigured(head, &error))?;
    let refuse = |error: AuthError| match &error {
        AuthError::Missing(detail) | AuthError::Unauthorized(detail) => {
            crate::problem::unauthorized(head, detail, &error.www_authenticate())
        }
        AuthError::Forbidden(detail) => {
            crate::problem::forbidden(head, detail, &error.www_authenticate())
        }
    };
    let identity = verifier
        .verify(head.header("authorization"))
        .map_err(refuse)?;
    if !has_scopes(&identity.claims, scopes) {
        let detail = format!("the token lacks a required scope ({})", scopes.join(", "));
        return Err(refuse(AuthError::Forbidden(detail)));
    }
    Ok(Caller {
        scheme: "jwt".into(),
        name: identity.subject.unwrap_or_default(),
        claims: identity.claims.to_string(),
    })
}

#[cfg(not(feature = "jwt"))]
fn jwt(_: &Head, _: &[&str]) -> Result<Caller, Reply> {
    unreachable!("build.rs turns on `jwt` whenever a route uses it")
}
