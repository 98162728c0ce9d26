use super::*;
use crate::{Segment, percent_decode};

/// The example app's shape plus the corner cases of Spin's priority rules.
fn router() -> Router<'static, &'static str> {
    let mut router = Router::new();
    for (methods, pattern) in [
        (Methods::ANY, "/..."),
        (Methods::GET, "/"),
        (Methods::GET, "/hello"),
        (Methods::GET, "/hello/:name"),
        (Methods::ANY, "/echo/..."),
        (Methods::POST, "/convert"),
        (Methods::GET, "/users/:id"),
        (Methods::DELETE, "/users/:id"),
        (Methods::GET, "/users/new"),
        (Methods::GET, "/users/:id/posts/:post"),
        (Methods::GET, "/one/..."),
        (Methods::GET, "/one/two/..."),
        (Methods::GET, "/one/two/three/..."),
        (Methods::GET.union(Methods::PUT), "/api/:version/items"),
        (Methods::POST, "/api/v1/items"),
    ] {
        router.insert(methods, pattern, pattern).unwrap();
    }
    router
}

#[test]
fn matches_by_priority_not_insertion_order() {
    let router = router();
    let table: &[(&str, &str, &str, &[(&str, &str)])] = &[
        ("GET", "/", "/", &[]),
        ("GET", "/hello", "/hello", &[]),
        ("GET", "/hello/", "/hello", &[]),
        ("GET", "/hello/ada", "/hello/:name", &[("name", "ada")]),
        (
            "GET",
            "/hello/J%C3%BCrgen",
            "/hello/:name",
            &[("name", "J%C3%BCrgen")],
        ),
        ("GET", "/h%65llo", "/hello", &[]),
        ("PATCH", "/echo", "/echo/...", &[("...", "")]),
        ("PATCH", "/echo/", "/echo/...", &[("...", "")]),
        ("PATCH", "/echo/a/b", "/echo/...", &[("...", "a/b")]),
        ("GET", "/users/new", "/users/new", &[]),
        ("GET", "/users/7", "/users/:id", &[("id", "7")]),
        ("DELETE", "/users/new", "/users/:id", &[("id", "new")]),
        (
            "GET",
            "/users/7/posts/9",
            "/users/:id/posts/:post",
            &[("id", "7"), ("post", "9")],
        ),
        ("GET", "/one/x", "/one/...", &[("...", "x")]),
        ("GET", "/one/two/x", "/one/two/...", &[("...", "x")]),
        (
            "GET",
            "/one/two/three/four",
            "/one/two/three/...",
            &[("...", "four")],
        ),
        (
            "GET",
            "/api/v1/items",
            "/api/:version/items",
            &[("version", "v1")],
        ),
        ("POST", "/api/v1/items", "/api/v1/items", &[]),
        (
            "GET",
            "/users//posts/9",
            "/...",
            &[("...", "users//posts/9")],
        ),
        ("HEAD", "/hello", "/hello", &[]),
        ("GET", "/nothing/here", "/...", &[("...", "nothing/here")]),
    ];
    for (method, path, pattern, params) in table {
        let found = router
            .at(method, path)
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        assert_eq!(found.pattern, *pattern, "{method} {path}");
        assert_eq!(found.params, *params, "{method} {path}");
    }
}

#[test]
fn method_not_allowed_lists_every_method_of_the_path() {
    let mut router = Router::new();
    router.insert(Methods::GET, "/users/:id", ()).unwrap();
    router.insert(Methods::DELETE, "/users/:id", ()).unwrap();
    router.insert(Methods::POST, "/users/new", ()).unwrap();
    let error = router.at("PUT", "/users/new").unwrap_err();
    let MatchError::MethodNotAllowed { allowed } = error else {
        panic!("expected 405, got {error:?}");
    };
    assert_eq!(allowed.to_string(), "GET, HEAD, POST, DELETE");
    assert_eq!(
        router.at("GET", "/users").unwrap_err(),
        MatchError::NotFound
    );
    assert_eq!(
        router.at("GET", "/users/7/x").unwrap_err(),
        MatchError::NotFound
    );
}

#[test]
fn any_takes_the_methods_a_document_lists_and_no_others() {
    let router = router();
    for method in [
        "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE",
    ] {
        assert_eq!(*router.at(method, "/echo/a").unwrap().value, "/echo/...");
    }
    for method in ["QUERY", "PROPFIND", "CONNECT"] {
        let error = router.at(method, "/echo/a").unwrap_err();
        let MatchError::MethodNotAllowed { allowed } = error else {
            panic!("{method}: expected 405, got {error:?}");
        };
        assert_eq!(
            allowed.allow_header(),
            "GET, HEAD, POST, PUT, DELETE, PATCH, OPTIONS, TRACE"
        );
    }
}

#[test]
fn empty_and_root_paths() {
    let mut router = Router::new();
    router.insert(Methods::GET, "/a/:x", ()).unwrap();
    assert_eq!(router.at("GET", "/a/").unwrap_err(), MatchError::NotFound);
    assert_eq!(router.at("GET", "/").unwrap_err(), MatchError::NotFound);
    router.insert(Methods::GET, "/", ()).unwrap();
    assert_eq!(router.at("GET", "/").unwrap().pattern, "/");
}

#[test]
fn conflicts_name_both_routes() {
    let table = [
        (
            (Methods::GET, "/a"),
            (Methods::GET, "/a"),
            Some("GET, HEAD"),
        ),
        (
            (Methods::ANY, "/a/:x"),
            (Methods::POST, "/a/:y"),
            Some("POST"),
        ),
        (
            (Methods::GET, "/a/..."),
            (Methods::GET, "/a/..."),
            Some("GET, HEAD"),
        ),
        ((Methods::GET, "/a/:x"), (Methods::POST, "/a/:x"), None),
        ((Methods::GET, "/a/:x"), (Methods::GET, "/a/b"), None),
        ((Methods::GET, "/a/..."), (Methods::GET, "/a/:x"), None),
        ((Methods::GET, "/a"), (Methods::GET, "/b"), None),
    ];
    for ((m1, p1), (m2, p2), overlap) in table {
        let mut router = Router::new();
        router.insert(m1, p1, ()).unwrap();
        let result = router.insert(m2, p2, ());
        match (result, overlap) {
            (Ok(()), None) => {}
            (
                Err(InsertError::Conflict {
                    existing,
                    overlap: found,
                    ..
                }),
                Some(expected),
            ) => {
                assert_eq!(existing, p1);
                assert_eq!(found.allowed().to_string(), expected, "{p1} vs {p2}");
            }
            (other, _) => panic!("{m1} {p1} then {m2} {p2}: {other:?}"),
        }
    }
}

#[test]
fn rejects_empty_method_set_and_bad_patterns() {
    let mut router = Router::new();
    assert_eq!(
        router.insert(Methods::NONE, "/a", ()),
        Err(InsertError::NoMethods("/a".into()))
    );
    assert!(matches!(
        router.insert(Methods::GET, "a", ()),
        Err(InsertError::Pattern(_))
    ));
}

#[test]
fn static_table_matches_like_the_router() {
    static ROUTES: [Route<'static, u8>; 2] = [
        Route {
            methods: Methods::GET,
            pattern: "/hello",
            value: 1,
        },
        Route {
            methods: Methods::GET,
            pattern: "/hello/:name",
            value: 2,
        },
    ];
    const TABLE: Table<'static, u8> = Table::from_sorted(&ROUTES);
    assert_eq!(*TABLE.at("GET", "/hello/x").unwrap().value, 2);
    assert_eq!(*TABLE.at("HEAD", "/hello").unwrap().value, 1);
}

/// Found by fuzzing: `GET /` and `HEAD /` do not conflict (GET only serves HEAD), and which
/// one answered `HEAD /` depended on the insertion order.
#[test]
fn an_explicit_head_route_answers_head_whatever_the_order() {
    for order in [[Methods::GET, Methods::HEAD], [Methods::HEAD, Methods::GET]] {
        let mut router = Router::new();
        for methods in order {
            router.insert(methods, "/:page", methods).unwrap();
        }
        assert_eq!(
            *router.at("HEAD", "/a").unwrap().value,
            Methods::HEAD,
            "{order:?}"
        );
        assert_eq!(
            *router.at("GET", "/a").unwrap().value,
            Methods::GET,
            "{order:?}"
        );
    }
}

#[test]
fn a_table_out_of_order_matches_in_the_given_order() {
    static ROUTES: [Route<'static, u8>; 2] = [
        Route {
            methods: Methods::GET,
            pattern: "/:page",
            value: 1,
        },
        Route {
            methods: Methods::GET,
            pattern: "/about",
            value: 2,
        },
    ];
    const TABLE: Table<'static, u8> = Table::from_sorted(&ROUTES);
    const { assert!(!TABLE.ordered) };
    assert_eq!(*TABLE.at("GET", "/about").unwrap().value, 1);
    let sorted = router();
    assert!(Table::from_sorted(sorted.routes()).ordered);
}

/// A small deterministic generator (xorshift64*), enough to vary route sets and paths.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 33) as usize % n
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// Segments that collide often, sort in surprising byte orders, and come percent-encoded.
const TEXTS: &[&str] = &["a", "b", "ab", "a-b", "A", "é", "z"];
const RAW: &[&str] = &[
    "a", "b", "ab", "a-b", "A", "é", "z", "%61", "%41", "%C3%A9", "a%2Db", "%7a", "x", "", "%zz",
    "%", "%2F", "...", ":a",
];
const METHODS: &[&str] = &["GET", "HEAD", "POST", "PUT", "DELETE", "PROPFIND", "get"];
const METHOD_SETS: &[Methods] = &[
    Methods::GET,
    Methods::HEAD,
    Methods::POST,
    Methods::PUT,
    Methods::ANY,
    Methods::GET.union(Methods::POST),
    Methods::HEAD.union(Methods::DELETE),
];

fn random_pattern(rng: &mut Rng) -> String {
    let mut pattern = String::new();
    for depth in 0..rng.below(5) {
        match rng.below(4) {
            0 => pattern += &format!("/:{}{depth}", rng.pick(&["p", "q"])),
            _ => pattern += &format!("/{}", rng.pick(TEXTS)),
        }
    }
    match rng.below(4) {
        0 => pattern + "/...",
        _ if pattern.is_empty() => "/".into(),
        _ => pattern,
    }
}

fn random_path(rng: &mut Rng) -> String {
    let mut path: String = (0..rng.below(6))
        .map(|_| format!("/{}", rng.pick(RAW)))
        .collect();
    match rng.below(6) {
        0 => path.push('/'),
        1 => path = path.trim_start_matches('/').to_owned(),
        _ if path.is_empty() => path.push('/'),
        _ => {}
    }
    path
}

/// The scan as it was before the lookup, with its own matcher: the reference both are held to.
fn reference<'r, 'p>(
    routes: &'r [Route<'r, usize>],
    method: &str,
    path: &'p str,
) -> Result<Match<'r, 'p, usize>, MatchError> {
    let mut allowed = Methods::NONE;
    for route in routes {
        let mut params = Vec::new();
        if !reference_matches(route.pattern, path, &mut params) {
            continue;
        }
        if route.methods.accepts(method) {
            return Ok(Match {
                value: &route.value,
                pattern: route.pattern,
                params,
            });
        }
        allowed = allowed.union(route.methods);
    }
    match allowed {
        Methods::NONE => Err(MatchError::NotFound),
        _ => Err(MatchError::MethodNotAllowed {
            allowed: allowed.allowed(),
        }),
    }
}

fn reference_matches<'r, 'p>(
    pattern: &'r str,
    path: &'p str,
    params: &mut Vec<(&'r str, &'p str)>,
) -> bool {
    let path = path.strip_prefix('/').unwrap_or(path);
    let path = path.strip_suffix('/').unwrap_or(path);
    let mut remaining = (!path.is_empty()).then_some(path);
    for segment in Pattern::parse(pattern).unwrap().segments() {
        if segment == Segment::Rest {
            params.push(("...", remaining.unwrap_or("")));
            return true;
        }
        let Some(rest) = remaining else {
            return false;
        };
        let (raw, tail) = match rest.split_once('/') {
            Some((raw, tail)) => (raw, Some(tail)),
            None => (rest, None),
        };
        match segment {
            Segment::Exact(text) if percent_decode(raw).is_some_and(|raw| raw == text) => {}
            Segment::Param(name) if !raw.is_empty() => params.push((name, raw)),
            _ => return false,
        }
        remaining = tail;
    }
    remaining.is_none()
}

/// The lookup must give the reference's answer (route, parameters, `Allow`), and so must
/// a scan of the same routes, on any route set.
#[test]
fn lookup_and_scan_answer_like_the_reference() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut answered = 0;
    for _ in 0..2_000 {
        let patterns: Vec<String> = (0..1 + rng.below(120))
            .map(|_| random_pattern(&mut rng))
            .collect();
        let mut router = Router::new();
        for (index, pattern) in patterns.iter().enumerate() {
            let methods = METHOD_SETS[rng.below(METHOD_SETS.len())];
            let _ = router.insert(methods, pattern, index);
        }
        let routes = router.routes();
        let indexed = Table::from_sorted(routes);
        assert!(indexed.ordered, "{routes:?}");
        let scanned = Table {
            routes,
            ordered: false,
        };
        for _ in 0..40 {
            let (method, path) = (rng.pick(METHODS), random_path(&mut rng));
            let expected = reference(routes, method, &path);
            assert_eq!(
                indexed.at(method, &path),
                expected,
                "{method} {path} in {routes:#?}"
            );
            assert_eq!(
                scanned.at(method, &path),
                expected,
                "{method} {path} (scan)"
            );
            answered += usize::from(expected.is_ok());
        }
    }
    // The generator must reach answers, not only 404s.
    assert!(answered > 20_000, "{answered}");
}
