//! JWT bearer tokens: HS256 with a shared secret; RS256, ES256 and EdDSA with a static JWKS.
use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, Validation, decode, decode_header};

/// Checks tokens against the configured keys and claims.
pub struct Verifier {
    secret: Option<Vec<u8>>,
    jwks: Option<JwkSet>,
    issuer: Option<String>,
    audience: Option<String>,
    leeway: u64,
}

/// Shows which keys are configured, never the secret.
impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("secret", &self.secret.as_ref().map(|_| "<redacted>"))
            .field("jwks_keys", &self.jwks.as_ref().map(|set| set.keys.len()))
            .field("issuer", &self.issuer)
            .field("audience", &self.audience)
            .field("leeway", &self.leeway)
            .finish()
    }
}

/// The caller a valid token names.
#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    /// The `sub` claim, if present.
    pub subject: Option<String>,
    /// Every claim of the token.
    pub claims: serde_json::Value,
}

/// Why a request is not let through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthError {
    /// No credentials at all: answer `401` with a bare challenge (RFC 6750 §3.1).
    Missing(String),
    /// No credentials, or unusable ones: answer `401` with `WWW-Authenticate`.
    Unauthorized(String),
    /// Valid credentials without the right: answer `403`.
    Forbidden(String),
}

impl AuthError {
    /// The `WWW-Authenticate` value for a `401` (RFC 6750 §3).
    pub fn www_authenticate(&self) -> String {
        match self {
            AuthError::Missing(_) => "Bearer realm=\"edgeway\"".into(),
            AuthError::Unauthorized(detail) => {
                format!(
                    "Bearer realm=\"edgeway\", error=\"invalid_token\", error_description=\"{}\"",
                    detail.replace('"', "'")
                )
            }
            AuthError::Forbidden(_) => {
                "Bearer realm=\"edgeway\", error=\"insufficient_scope\"".into()
            }
        }
    }
}

impl Verifier {
    /// A verifier from an HS256 `secret` and/or a `jwks` document (JSON), the expected issuer
    /// and audience, and the clock leeway in seconds for `exp` and `nbf`.
    pub fn new(
        secret: Option<&str>,
        jwks: Option<&str>,
        issuer: Option<&str>,
        audience: Option<&str>,
        leeway: u64,
    ) -> Result<Verifier, String> {
        let jwks = jwks
            .map(|json| {
                serde_json::from_str::<JwkSet>(json)
                    .map_err(|e| format!("the JWKS is not valid: {e}"))
            })
            .transpose()?;
        if secret.is_none() && jwks.is_none() {
            return Err("JWT auth needs a secret (HS256) or a JWKS (RS256, ES256, EdDSA)".into());
        }
        if secret.is_some_and(|s| s.len() < 32) {
            return Err("the HS256 secret must be at least 32 bytes".into());
        }
        Ok(Verifier {
            secret: secret.map(|s| s.as_bytes().to_vec()),
            jwks,
            issuer: issuer.map(str::to_owned),
            audience: audience.map(str::to_owned),
            leeway,
        })
    }

    /// Verifies the bearer token in an `Authorization` header value.
    pub fn verify(&self, authorization: Option<&str>) -> Result<Identity, AuthError> {
        let unauthorized = |detail: &str| AuthError::Unauthorized(detail.to_owned());
        let authorization =
            authorization.ok_or_else(|| AuthError::Missing("a bearer token is required".into()))?;
        // The scheme name is case-insensitive (RFC 9110 §11.1).
        let token = match authorization.split_once(' ') {
            Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => token.trim(),
            _ => {
                return Err(unauthorized(
                    "the Authorization header must be `Bearer <token>`",
                ));
            }
        };
        let header = decode_header(token)
            .map_err(|_| unauthorized("the token is malformed or its algorithm is not accepted"))?;
        let key = self.key_for(header.alg, header.kid.as_deref())?;
        let mut validation = Validation::new(header.alg);
        validation.leeway = self.leeway;
        validation.validate_nbf = true;
        validation.set_required_spec_claims(&["exp"]);
        if let Some(issuer) = &self.issuer {
            validation.set_issuer(&[issuer]);
        }
        match &self.audience {
            Some(audience) => validation.set_audience(&[audience]),
            None => validation.validate_aud = false,
        }
        let data = decode::<serde_json::Value>(token, &key, &validation).map_err(|error| {
            unauthorized(match error.kind() {
                ErrorKind::ExpiredSignature => "the token has expired",
                ErrorKind::ImmatureSignature => "the token is not valid yet",
                ErrorKind::InvalidIssuer => "the token's issuer is not accepted",
                ErrorKind::InvalidAudience => "the token's audience is not accepted",
                ErrorKind::InvalidSignature => "the token's signature is not valid",
                ErrorKind::MissingRequiredClaim(_) => "the token lacks a required claim",
                _ => "the token is not valid",
            })
        })?;
        let subject = data
            .claims
            .get("sub")
            .and_then(|s| s.as_str())
            .map(str::to_owned);
        Ok(Identity {
            subject,
            claims: data.claims,
        })
    }

    /// The key that may verify a token with this algorithm and key id. The algorithm must fit
    /// the key's type, so an HS256 token can never be checked against a public key.
    fn key_for(&self, alg: Algorithm, kid: Option<&str>) -> Result<DecodingKey, AuthError> {
        let refuse = |detail: &str| Err(AuthError::Unauthorized(detail.to_owned()));
        match alg {
            Algorithm::HS256 => match &self.secret {
                Some(secret) => Ok(DecodingKey::from_secret(secret)),
                None => refuse("HS256 tokens are not accepted"),
            },
            Algorithm::RS256 | Algorithm::ES256 | Algorithm::EdDSA => {
                let Some(jwks) = &self.jwks else {
                    return refuse("tokens signed with a public key are not accepted");
                };
                let jwk = match kid {
                    Some(kid) => jwks.find(kid),
                    None if jwks.keys.len() == 1 => jwks.keys.first(),
                    None => None,
                };
                let Some(jwk) = jwk else {
                    return refuse("no configured key matches the token's `kid`");
                };
                let fits = matches!(
                    (alg, &jwk.algorithm),
                    (Algorithm::RS256, AlgorithmParameters::RSA(_))
                        | (Algorithm::ES256, AlgorithmParameters::EllipticCurve(_))
                        | (Algorithm::EdDSA, AlgorithmParameters::OctetKeyPair(_))
                );
                if !fits {
                    return refuse("the token's algorithm does not match its key");
                }
                DecodingKey::from_jwk(jwk)
                    .map_err(|_| AuthError::Unauthorized("the configured key is not usable".into()))
            }
            _ => refuse("the token's algorithm is not accepted"),
        }
    }
}

/// Whether the claims grant every scope in `required`: from `scope` (space-separated, OAuth
/// 2.0), `scp` or `roles` (arrays).
pub fn has_scopes(claims: &serde_json::Value, required: &[&str]) -> bool {
    let mut granted: Vec<&str> = claims
        .get("scope")
        .and_then(|s| s.as_str())
        .map(|s| s.split(' ').collect())
        .unwrap_or_default();
    for name in ["scp", "roles"] {
        let values = claims
            .get(name)
            .and_then(|v| v.as_array())
            .into_iter()
            .flatten();
        granted.extend(values.filter_map(|v| v.as_str()));
    }
    required.iter().all(|scope| granted.contains(scope))
}

#[cfg(test)]
mod tests;
