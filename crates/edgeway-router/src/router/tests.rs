use super::*;

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
