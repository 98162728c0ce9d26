//! Cross-origin resource sharing, following the Fetch standard.

/// A route's CORS settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cors<'a> {
    /// Allowed origins: exact (`https://app.example.com`), one wildcard label prefix
    /// (`https://*.example.com`, which does not match `https://example.com`), or `*`.
    pub origins: &'a [&'a str],
    /// Methods allowed cross-origin; empty for every method the route accepts.
    pub methods: &'a [&'a str],
    /// Request headers allowed cross-origin (lowercase), or `*` (without credentials).
    pub headers: &'a [&'a str],
    /// Response headers scripts may read.
    pub expose: &'a [&'a str],
    /// Whether cookies and `Authorization` may be sent.
    pub credentials: bool,
    /// How long browsers may cache a preflight answer, in seconds.
    pub max_age: Option<u32>,
}

/// The answer to a preflight (`OPTIONS` with `Access-Control-Request-Method`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Preflight {
    /// Allowed: answer `204` with these headers.
    Allowed(Vec<(&'static str, String)>),
    /// Not allowed: answer without any CORS header, and never call the handler.
    Denied(&'static str),
}

impl Cors<'_> {
    /// Checks the settings: what the Fetch standard forbids is an error here.
    pub fn validate(&self) -> Result<(), String> {
        if self.credentials && (self.origins.contains(&"*") || self.headers.contains(&"*")) {
            return Err("`*` cannot be used with `credentials = true`: browsers reject it; list the origins and headers".into());
        }
        for origin in self.origins {
            if *origin != "*" && !valid_origin_pattern(origin) {
                return Err(format!(
                    "origin `{origin}` must be `scheme://host[:port]`, with at most a leading `*.` in the host"
                ));
            }
        }
        Ok(())
    }

    /// Whether `origin` (the request's `Origin` header) is allowed.
    pub fn allows_origin(&self, origin: &str) -> bool {
        self.origins
            .iter()
            .any(|allowed| origin_matches(allowed, origin))
    }

    /// Answers a preflight for `origin` asking for `method` and `request_headers` (the
    /// comma-separated `Access-Control-Request-Headers`). `route_methods` are the methods of
    /// the route the real request would reach.
    pub fn preflight(
        &self,
        origin: &str,
        method: &str,
        request_headers: Option<&str>,
        route_methods: &str,
    ) -> Preflight {
        if !self.allows_origin(origin) {
            return Preflight::Denied("the origin is not allowed");
        }
        if !self.methods.is_empty() && !self.methods.iter().any(|m| m.eq_ignore_ascii_case(method))
        {
            return Preflight::Denied("the method is not allowed cross-origin");
        }
        let any_header = self.headers.contains(&"*");
        let requested: Vec<String> = request_headers
            .unwrap_or("")
            .split(',')
            .map(|h| h.trim().to_ascii_lowercase())
            .filter(|h| !h.is_empty())
            .collect();
        if !any_header
            && !requested
                .iter()
                .all(|h| self.headers.iter().any(|a| a.eq_ignore_ascii_case(h)))
        {
            return Preflight::Denied("a requested header is not allowed cross-origin");
        }
        let mut headers = self.origin_headers(origin);
        let methods = if self.methods.is_empty() {
            route_methods.to_owned()
        } else {
            self.methods.join(", ")
        };
        headers.push(("access-control-allow-methods", methods));
        if !requested.is_empty() {
            headers.push(("access-control-allow-headers", requested.join(", ")));
        }
        if let Some(max_age) = self.max_age {
            headers.push(("access-control-max-age", max_age.to_string()));
        }
        Preflight::Allowed(headers)
    }

    /// Headers for an actual (non-preflight) response to `origin`; only `Vary: Origin` if the
    /// origin is not allowed.
    pub fn response_headers(&self, origin: Option<&str>) -> Vec<(&'static str, String)> {
        match origin {
            Some(origin) if self.allows_origin(origin) => {
                let mut headers = self.origin_headers(origin);
                if !self.expose.is_empty() {
                    headers.push(("access-control-expose-headers", self.expose.join(", ")));
                }
                headers
            }
            _ => vec![("vary", "Origin".into())],
        }
    }

    fn origin_headers(&self, origin: &str) -> Vec<(&'static str, String)> {
        // `*` only where the Fetch standard allows it: no credentials, and any origin.
        let value = if self.origins.contains(&"*") && !self.credentials {
            "*".to_owned()
        } else {
            origin.to_owned()
        };
        let mut headers = vec![
            ("access-control-allow-origin", value),
            ("vary", "Origin".into()),
        ];
        if self.credentials {
            headers.push(("access-control-allow-credentials", "true".into()));
        }
        headers
    }
}

fn origin_matches(allowed: &str, origin: &str) -> bool {
    // An opaque origin (sandboxed frames, file: pages) is never trusted.
    if origin == "null" {
        return false;
    }
    if allowed == "*" || allowed == origin {
        return true;
    }
    let (Some((scheme, host_pattern)), Some((origin_scheme, origin_host))) =
        (allowed.split_once("://"), origin.split_once("://"))
    else {
        return false;
    };
    let Some(suffix) = host_pattern.strip_prefix("*.") else {
        return false;
    };
    scheme == origin_scheme
        && origin_host.len() > suffix.len() + 1
        && origin_host.ends_with(suffix)
        && origin_host.as_bytes()[origin_host.len() - suffix.len() - 1] == b'.'
        && !origin_host[..origin_host.len() - suffix.len() - 1].is_empty()
}

fn valid_origin_pattern(pattern: &str) -> bool {
    let Some((scheme, host)) = pattern.split_once("://") else {
        return false;
    };
    let host = host.strip_prefix("*.").unwrap_or(host);
    !scheme.is_empty()
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
        && !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CORS: Cors<'static> = Cors {
        origins: &["https://app.example.com", "https://*.example.org"],
        methods: &["GET", "POST"],
        headers: &["content-type", "authorization"],
        expose: &["x-request-id"],
        credentials: true,
        max_age: Some(600),
    };

    #[test]
    fn origins_exact_and_wildcard() {
        for (origin, allowed) in [
            ("https://app.example.com", true),
            ("https://a.example.org", true),
            ("https://a.b.example.org", true),
            ("https://example.org", false),
            ("https://evilexample.org", false),
            ("http://a.example.org", false),
            ("https://app.example.com.evil.com", false),
            ("null", false),
        ] {
            assert_eq!(CORS.allows_origin(origin), allowed, "{origin}");
        }
    }

    #[test]
    fn preflight_allowed_lists_what_the_browser_needs() {
        let Preflight::Allowed(headers) = CORS.preflight(
            "https://a.example.org",
            "POST",
            Some("Content-Type, Authorization"),
            "GET, POST",
        ) else {
            panic!("expected allowed");
        };
        let get = |name| {
            headers
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(
            get("access-control-allow-origin"),
            Some("https://a.example.org")
        );
        assert_eq!(get("access-control-allow-credentials"), Some("true"));
        assert_eq!(get("access-control-allow-methods"), Some("GET, POST"));
        assert_eq!(
            get("access-control-allow-headers"),
            Some("content-type, authorization")
        );
        assert_eq!(get("access-control-max-age"), Some("600"));
        assert_eq!(get("vary"), Some("Origin"));
    }

    #[test]
    fn preflight_denials() {
        assert!(matches!(
            CORS.preflight("https://evil.com", "GET", None, "GET"),
            Preflight::Denied(_)
        ));
        assert!(matches!(
            CORS.preflight("https://app.example.com", "DELETE", None, "GET"),
            Preflight::Denied(_)
        ));
        assert!(matches!(
            CORS.preflight("https://app.example.com", "GET", Some("x-secret"), "GET"),
            Preflight::Denied(_)
        ));
    }

    #[test]
    fn simple_responses() {
        let headers = CORS.response_headers(Some("https://app.example.com"));
        assert!(headers.contains(&("access-control-expose-headers", "x-request-id".into())));
        assert_eq!(
            CORS.response_headers(Some("https://evil.com")),
            vec![("vary", "Origin".into())]
        );
        assert_eq!(CORS.response_headers(None), vec![("vary", "Origin".into())]);
        let open = Cors {
            origins: &["*"],
            credentials: false,
            ..CORS
        };
        assert!(
            open.response_headers(Some("https://x.dev"))
                .contains(&("access-control-allow-origin", "*".into()))
        );
    }

    #[test]
    fn validation_follows_fetch() {
        assert!(CORS.validate().is_ok());
        assert!(
            Cors {
                origins: &["*"],
                ..CORS
            }
            .validate()
            .unwrap_err()
            .contains("credentials")
        );
        assert!(
            Cors {
                origins: &["example.com"],
                ..CORS
            }
            .validate()
            .is_err()
        );
        assert!(
            Cors {
                origins: &["https://*.example.com"],
                credentials: false,
                ..CORS
            }
            .validate()
            .is_ok()
        );
    }
}
