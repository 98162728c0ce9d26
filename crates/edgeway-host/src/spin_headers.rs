//! The `spin-*` headers Spin adds to every request before calling a component.
//!
//! Mirrors `compute_default_headers` and `prepare_request_headers` in Spin's
//! `crates/trigger-http/src/headers.rs`: same names, same values, same order.

use std::net::SocketAddr;

use http::{HeaderMap, HeaderName, HeaderValue};

use crate::route::RouteMatch;

/// Computes Spin's headers for a matched request.
///
/// `path_and_query` is the request target as received (`/a/b?x=1`), `host`
/// the `Host` header (Spin refuses requests without one before this point).
/// The scheme is always `http`: this host serves plain HTTP only.
pub(crate) fn compute(
    route_match: &RouteMatch<'_>,
    path_and_query: &str,
    host: &str,
    client_addr: SocketAddr,
) -> Vec<(String, String)> {
    let mut headers = vec![
        (
            "spin-path-info".to_owned(),
            route_match.path_info().to_owned(),
        ),
        (
            "spin-full-url".to_owned(),
            format!("http://{host}{path_and_query}"),
        ),
        (
            "spin-matched-route".to_owned(),
            route_match.route().based().to_owned(),
        ),
        ("spin-base-path".to_owned(), "/".to_owned()),
        (
            "spin-raw-component-route".to_owned(),
            route_match.route().raw().to_owned(),
        ),
        (
            "spin-component-route".to_owned(),
            route_match.component_route().to_owned(),
        ),
        ("spin-client-addr".to_owned(), client_addr.to_string()),
    ];
    for (name, value) in route_match.named() {
        // Spin builds `SPIN_PATH_MATCH_<NAME>` and then turns `_` into `-`
        // and lowercases it.
        let name = name.to_ascii_lowercase().replace('_', "-");
        headers.push((format!("spin-path-match-{name}"), value.clone()));
    }
    headers
}

/// Why Spin's headers could not be added.
#[derive(Debug, thiserror::Error)]
pub(crate) enum HeaderError {
    /// Spin refuses requests whose header values are not UTF-8.
    #[error("the value of request header `{0}` is not valid UTF-8")]
    NotUtf8(HeaderName),
}

/// Adds Spin's headers to `headers`.
///
/// Spin rebuilds the header map and `extend`s it, which appends: a `spin-*`
/// header sent by the client stays, before Spin's value. Spin also fails the
/// request when any header value is not UTF-8; so does this.
pub(crate) fn apply(
    headers: &mut HeaderMap,
    spin_headers: Vec<(String, String)>,
) -> Result<(), HeaderError> {
    if let Some((name, _)) = headers.iter().find(|(_, v)| v.to_str().is_err()) {
        return Err(HeaderError::NotUtf8(name.clone()));
    }
    for (name, value) in spin_headers {
        // Spin skips a header it cannot represent rather than failing the
        // request (e.g. a path-match name that is not a valid header name).
        let (Ok(name), Ok(value)) = (
            HeaderName::try_from(name),
            HeaderValue::from_bytes(value.as_bytes()),
        ) else {
            continue;
        };
        headers.append(name, value);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::route::TriggerRoute;

    fn headers_for(route: &str, target: &str) -> Vec<(String, String)> {
        let route = TriggerRoute::parse(route).unwrap();
        let path = target.split('?').next().unwrap();
        let m = route.matches(path).expect("route matches");
        let client: SocketAddr = "127.0.0.1:51234".parse().unwrap();
        compute(&m, target, "localhost:3000", client)
    }

    fn expect(route: &str, target: &str, expected: &[(&str, &str)]) {
        let got = headers_for(route, target);
        let got: Vec<(&str, &str)> = got.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert_eq!(got, expected, "route {route} target {target}");
    }

    #[test]
    fn catch_all_route() {
        expect(
            "/...",
            "/a/b?x=1",
            &[
                ("spin-path-info", "/a/b"),
                ("spin-full-url", "http://localhost:3000/a/b?x=1"),
                ("spin-matched-route", "/..."),
                ("spin-base-path", "/"),
                ("spin-raw-component-route", "/..."),
                ("spin-component-route", ""),
                ("spin-client-addr", "127.0.0.1:51234"),
            ],
        );
    }

    #[test]
    fn prefix_route() {
        expect(
            "/api/...",
            "/api/users/7",
            &[
                ("spin-path-info", "/users/7"),
                ("spin-full-url", "http://localhost:3000/api/users/7"),
                ("spin-matched-route", "/api/..."),
                ("spin-base-path", "/"),
                ("spin-raw-component-route", "/api/..."),
                ("spin-component-route", "/api"),
                ("spin-client-addr", "127.0.0.1:51234"),
            ],
        );
    }

    #[test]
    fn exact_route() {
        expect(
            "/health",
            "/health?deep=1",
            &[
                ("spin-path-info", ""),
                ("spin-full-url", "http://localhost:3000/health?deep=1"),
                ("spin-matched-route", "/health"),
                ("spin-base-path", "/"),
                ("spin-raw-component-route", "/health"),
                ("spin-component-route", "/health"),
                ("spin-client-addr", "127.0.0.1:51234"),
            ],
        );
    }

    #[test]
    fn named_segments_become_path_match_headers() {
        let got = headers_for("/users/:user_id/...", "/users/42/posts");
        assert!(got.contains(&("spin-path-match-user-id".into(), "42".into())));
        assert!(got.contains(&("spin-component-route".into(), "/users/:user_id".into())));
        assert!(got.contains(&("spin-path-info".into(), "/posts".into())));
    }

    #[test]
    fn ipv6_client_address() {
        let route = TriggerRoute::parse("/...").unwrap();
        let m = route.matches("/").unwrap();
        let got = compute(&m, "/", "[::1]:3000", "[::1]:9".parse().unwrap());
        assert!(got.contains(&("spin-full-url".into(), "http://[::1]:3000/".into())));
        assert!(got.contains(&("spin-client-addr".into(), "[::1]:9".into())));
    }

    #[test]
    fn apply_appends_and_refuses_non_utf8() {
        let mut map = HeaderMap::new();
        map.insert("spin-path-info", HeaderValue::from_static("/spoofed"));
        apply(&mut map, vec![("spin-path-info".into(), "/real".into())]).unwrap();
        let values: Vec<_> = map.get_all("spin-path-info").iter().collect();
        assert_eq!(values, ["/spoofed", "/real"]);

        let mut bad = HeaderMap::new();
        bad.insert("x-bin", HeaderValue::from_bytes(b"\xff").unwrap());
        assert!(matches!(
            apply(&mut bad, Vec::new()),
            Err(HeaderError::NotUtf8(_))
        ));
    }
}
