//! The gateway's policies in the manifest: app-wide defaults under `tool.edgeway.policies`,
//! overridden per route, and the API-key and JWT settings they rely on.
use serde::Deserialize;

/// What the gateway enforces on a route (the defaults with the route's settings applied).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteSettings {
    /// The largest request body, in bytes.
    pub body_limit: u64,
    /// Whether requests are written to the access log.
    pub access_log: bool,
    /// Who may call the route.
    pub auth: AuthDecl,
    /// Cross-origin access, if allowed.
    pub cors: Option<CorsDecl>,
    /// How often a caller may call the route, if limited.
    pub rate_limit: Option<RateLimitDecl>,
}

impl Default for RouteSettings {
    fn default() -> Self {
        RouteSettings {
            body_limit: 10 * 1024 * 1024,
            access_log: true,
            auth: AuthDecl::None,
            cors: None,
            rate_limit: None,
        }
    }
}

/// Who may call a route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthDecl {
    /// Anyone.
    None,
    /// Callers with an API key.
    ApiKey,
    /// Callers with a valid JWT carrying these scopes.
    Jwt {
        /// Required scopes.
        scopes: Vec<String>,
    },
}

/// CORS settings, as in `edgeway_policy::cors::Cors`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorsDecl {
    /// Allowed origins.
    pub origins: Vec<String>,
    /// Allowed methods (empty: the route's).
    #[serde(default)]
    pub methods: Vec<String>,
    /// Allowed request headers.
    #[serde(default)]
    pub headers: Vec<String>,
    /// Response headers scripts may read.
    #[serde(default)]
    pub expose: Vec<String>,
    /// Whether credentials may be sent.
    #[serde(default)]
    pub credentials: bool,
    /// Preflight cache time in seconds.
    pub max_age: Option<u32>,
}

/// A rate limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitDecl {
    /// Calls per window.
    pub requests: u32,
    /// Window length in seconds.
    pub window_seconds: u32,
    /// `client`, `api-key` or `subject`.
    pub key: RateKeyDecl,
}

/// What identifies a caller for a rate limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateKeyDecl {
    /// The client address.
    Client,
    /// The API key's name.
    ApiKey,
    /// The JWT subject.
    Subject,
}

/// Where API keys come from (`tool.edgeway.api_key`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiKeySettings {
    /// The header carrying the key.
    #[serde(default = "default_key_header")]
    pub header: String,
    /// A query parameter that may carry the key instead.
    pub query: Option<String>,
    /// The gateway component's variable holding `name=key` pairs.
    #[serde(default = "default_keys_variable")]
    pub keys: String,
}

/// JWT settings (`tool.edgeway.jwt`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JwtSettings {
    /// The variable holding the HS256 secret.
    pub secret: Option<String>,
    /// The variable holding the JWKS (JSON) for RS256, ES256 and EdDSA.
    pub jwks: Option<String>,
    /// The required `iss`.
    pub issuer: Option<String>,
    /// The required `aud`.
    pub audience: Option<String>,
    /// Clock leeway for `exp` and `nbf`, in seconds.
    #[serde(default = "default_leeway")]
    pub leeway: u64,
}

fn default_key_header() -> String {
    "x-api-key".into()
}

fn default_keys_variable() -> String {
    "api_keys".into()
}

fn default_leeway() -> u64 {
    30
}

/// Policy settings as written, app-wide or on a route; unset fields inherit.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSettings {
    body_limit: Option<toml::Value>,
    access_log: Option<bool>,
    auth: Option<String>,
    scopes: Option<Vec<String>>,
    cors: Option<toml::Value>,
    rate_limit: Option<toml::Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRateLimit {
    requests: u32,
    per: String,
    #[serde(default = "default_rate_key")]
    key: String,
}

fn default_rate_key() -> String {
    "client".into()
}

impl RawSettings {
    /// `base` with these settings applied over it.
    pub(crate) fn apply(&self, base: &RouteSettings) -> Result<RouteSettings, String> {
        let mut settings = base.clone();
        if let Some(limit) = &self.body_limit {
            settings.body_limit = parse_size(limit)?;
        }
        if let Some(access_log) = self.access_log {
            settings.access_log = access_log;
        }
        if let Some(auth) = &self.auth {
            settings.auth = match auth.as_str() {
                "none" => AuthDecl::None,
                "api-key" => AuthDecl::ApiKey,
                "jwt" => AuthDecl::Jwt { scopes: Vec::new() },
                other => {
                    return Err(format!(
                        "unknown auth `{other}`; use \"none\", \"api-key\" or \"jwt\""
                    ));
                }
            };
        }
        if let Some(scopes) = &self.scopes {
            match &mut settings.auth {
                AuthDecl::Jwt { scopes: required } => required.clone_from(scopes),
                _ => return Err("`scopes` needs `auth = \"jwt\"`".into()),
            }
        }
        match &self.cors {
            Some(toml::Value::Boolean(false)) => settings.cors = None,
            Some(value) => settings.cors = Some(parse_cors(value)?),
            None => {}
        }
        match &self.rate_limit {
            Some(toml::Value::Boolean(false)) => settings.rate_limit = None,
            Some(value) => settings.rate_limit = Some(parse_rate_limit(value)?),
            None => {}
        }
        Ok(settings)
    }
}

fn parse_cors(value: &toml::Value) -> Result<CorsDecl, String> {
    let cors: CorsDecl = value
        .clone()
        .try_into()
        .map_err(|e: toml::de::Error| format!("invalid `cors`: {}", e.message()))?;
    let origins: Vec<&str> = cors.origins.iter().map(String::as_str).collect();
    let methods: Vec<&str> = cors.methods.iter().map(String::as_str).collect();
    let headers: Vec<&str> = cors.headers.iter().map(String::as_str).collect();
    let checked = edgeway_policy::cors::Cors {
        origins: &origins,
        methods: &methods,
        headers: &headers,
        expose: &[],
        credentials: cors.credentials,
        max_age: cors.max_age,
    };
    checked
        .validate()
        .map_err(|e| format!("invalid `cors`: {e}"))?;
    Ok(cors)
}

fn parse_rate_limit(value: &toml::Value) -> Result<RateLimitDecl, String> {
    let raw: RawRateLimit = value.clone().try_into().map_err(|e: toml::de::Error| {
        format!(
            "invalid `rate_limit` (write {{ requests = 60, per = \"1m\" }}): {}",
            e.message()
        )
    })?;
    if raw.requests == 0 {
        return Err("`rate_limit.requests` must be at least 1".into());
    }
    let window_seconds = parse_duration(&raw.per)?;
    let key = match raw.key.as_str() {
        "client" => RateKeyDecl::Client,
        "api-key" => RateKeyDecl::ApiKey,
        "subject" => RateKeyDecl::Subject,
        other => {
            return Err(format!(
                "unknown rate limit key `{other}`; use \"client\", \"api-key\" or \"subject\""
            ));
        }
    };
    Ok(RateLimitDecl {
        requests: raw.requests,
        window_seconds,
        key,
    })
}

/// `"30s"`, `"1m"`, `"1h"`, `"1d"` (a bare `"m"` means one minute) to seconds.
fn parse_duration(text: &str) -> Result<u32, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u32 = if number.is_empty() {
        1
    } else {
        number
            .parse()
            .map_err(|_| format!("`{text}` is not a duration"))?
    };
    let unit = match unit.trim() {
        "s" | "second" | "seconds" => 1,
        "m" | "minute" | "minutes" => 60,
        "h" | "hour" | "hours" => 3600,
        "d" | "day" | "days" => 86_400,
        _ => {
            return Err(format!(
                "`{text}` is not a duration; write e.g. \"30s\", \"1m\", \"1h\""
            ));
        }
    };
    match number.checked_mul(unit) {
        Some(seconds) if seconds > 0 => Ok(seconds),
        _ => Err(format!("`{text}` is not a usable duration")),
    }
}

/// A byte count: an integer, or a string such as `"64 KiB"`, `"10 MiB"`, `"1 MB"`.
fn parse_size(value: &toml::Value) -> Result<u64, String> {
    let invalid =
        || format!("`body_limit` must be a size such as \"64 KiB\" or \"10 MiB\", not {value}");
    let text = match value {
        toml::Value::Integer(bytes) if *bytes > 0 => return Ok(*bytes as u64),
        toml::Value::String(text) => text.trim(),
        _ => return Err(invalid()),
    };
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let number: u64 = text[..split].parse().map_err(|_| invalid())?;
    let unit = match text[split..].trim() {
        "" | "B" => 1,
        "KB" => 1000,
        "KiB" => 1024,
        "MB" => 1000 * 1000,
        "MiB" => 1024 * 1024,
        "GB" => 1000 * 1000 * 1000,
        "GiB" => 1024 * 1024 * 1024,
        _ => return Err(invalid()),
    };
    number
        .checked_mul(unit)
        .filter(|b| *b > 0)
        .ok_or_else(invalid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_durations() {
        for (text, bytes) in [
            ("64 KiB", 65_536),
            ("10 MiB", 10_485_760),
            ("1 MB", 1_000_000),
            ("512", 512),
        ] {
            assert_eq!(
                parse_size(&toml::Value::String(text.into())),
                Ok(bytes),
                "{text}"
            );
        }
        assert!(parse_size(&toml::Value::String("ten".into())).is_err());
        assert!(parse_size(&toml::Value::Integer(0)).is_err());
        for (text, seconds) in [
            ("30s", 30),
            ("1m", 60),
            ("m", 60),
            ("2h", 7200),
            ("1d", 86_400),
        ] {
            assert_eq!(parse_duration(text), Ok(seconds), "{text}");
        }
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("5 fortnights").is_err());
    }

    #[test]
    fn route_settings_override_defaults() {
        let defaults: RawSettings =
            toml::from_str("body_limit = \"1 MiB\"\ncors = { origins = [\"https://a.example\"] }")
                .unwrap();
        let defaults = defaults.apply(&RouteSettings::default()).unwrap();
        let route: RawSettings =
            toml::from_str("auth = \"jwt\"\nscopes = [\"admin\"]\ncors = false\nrate_limit = { requests = 5, per = \"1m\", key = \"subject\" }")
                .unwrap();
        let settings = route.apply(&defaults).unwrap();
        assert_eq!(settings.body_limit, 1024 * 1024);
        assert_eq!(
            settings.auth,
            AuthDecl::Jwt {
                scopes: vec!["admin".into()]
            }
        );
        assert_eq!(settings.cors, None);
        assert_eq!(
            settings.rate_limit,
            Some(RateLimitDecl {
                requests: 5,
                window_seconds: 60,
                key: RateKeyDecl::Subject
            })
        );
    }

    #[test]
    fn explains_invalid_settings() {
        for (text, fragment) in [
            ("auth = \"basic\"", "unknown auth `basic`"),
            ("scopes = [\"x\"]", "needs `auth = \"jwt\"`"),
            (
                "cors = { origins = [\"*\"], credentials = true }",
                "credentials",
            ),
            ("rate_limit = { requests = 0, per = \"1m\" }", "at least 1"),
            (
                "rate_limit = { requests = 1, per = \"1 week\" }",
                "not a duration",
            ),
            (
                "rate_limit = { requests = 1, per = \"1m\", key = \"ip\" }",
                "unknown rate limit key",
            ),
        ] {
            let raw: RawSettings = toml::from_str(text).unwrap();
            let error = raw.apply(&RouteSettings::default()).unwrap_err();
            assert!(error.contains(fragment), "{text}: {error}");
        }
    }
}
