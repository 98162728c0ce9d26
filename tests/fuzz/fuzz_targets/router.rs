//! Route patterns and matching (edgeway-router), with the properties the router promises:
//!
//! - a pattern that `insert` accepts matches its own text as a path;
//! - a match's parameters, substituted back into its pattern, give back the path;
//! - the answering route is the most specific one that matches and accepts the method;
//! - which route answers does not depend on the order the routes were inserted in.
#![no_main]

use edgeway_router::{MatchError, Methods, Pattern, Router, Segment};
use libfuzzer_sys::fuzz_target;

/// The input, as text: one route per line, `METHODS PATTERN` (`GET,POST /users/:id`, `ANY
/// /files/...`), then a last line `METHOD PATH` to match.
struct Input<'a> {
    routes: Vec<(Methods, &'a str)>,
    method: &'a str,
    path: String,
}

impl<'a> Input<'a> {
    fn parse(text: &'a str) -> Option<Input<'a>> {
        let mut lines: Vec<&str> = text.lines().collect();
        let (method, path) = lines.pop()?.split_once(' ')?;
        let routes = lines
            .iter()
            .take(16)
            .filter_map(|line| line.split_once(' '))
            .map(|(methods, pattern)| (parse_methods(methods), pattern))
            .collect();
        // The matcher's contract: the path starts with `/` and has no query.
        let path = format!("/{}", path.trim_start_matches('/'));
        Some(Input {
            routes,
            method,
            path,
        })
    }
}

/// `ANY`, or comma-separated names; an unknown name adds nothing (so `FOO` is no method).
fn parse_methods(text: &str) -> Methods {
    if text == "ANY" {
        return Methods::ANY;
    }
    text.split(',')
        .filter_map(Methods::from_name)
        .fold(Methods::NONE, Methods::union)
}

/// The path as the matcher sees it: without the leading slash and one trailing slash.
fn trimmed(path: &str) -> &str {
    let path = path.strip_prefix('/').unwrap_or(path);
    path.strip_suffix('/').unwrap_or(path)
}

/// The pattern with every `:name` and the trailing `...` replaced by the matched text.
fn substitute(pattern: &str, params: &[(&str, &str)]) -> String {
    let value = |name: &str| {
        params
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| *v)
            .expect("every parameter of the pattern is in the match")
    };
    let mut path = String::new();
    for segment in Pattern::parse(pattern).unwrap().segments() {
        let text = match segment {
            Segment::Exact(text) => text,
            Segment::Param(name) => value(name),
            Segment::Rest if value("...").is_empty() => continue,
            Segment::Rest => value("..."),
        };
        path.push('/');
        path.push_str(text);
    }
    if path.is_empty() {
        path.push('/');
    }
    path
}

fuzz_target!(|data: &[u8]| {
    let Some(input) = std::str::from_utf8(data).ok().and_then(Input::parse) else {
        return;
    };
    let (routes, method, path) = (input.routes, input.method, input.path);

    let mut router = Router::new();
    let mut accepted = Vec::new();
    for (index, &(methods, pattern)) in routes.iter().enumerate() {
        if router.insert(methods, pattern, index).is_ok() {
            accepted.push(index);
            // Alone in a router, an accepted pattern matches its own text.
            let mut alone = Router::new();
            alone.insert(methods, pattern, ()).unwrap();
            let found = alone.at("GET", pattern);
            assert!(
                !matches!(found, Err(MatchError::NotFound)),
                "`{pattern}` does not match itself"
            );
        }
    }

    let found = router.at(method, &path);
    // The most specific matching route that accepts the method, checked one route at a time.
    let mut best: Option<(usize, bool)> = None;
    for &index in &accepted {
        let (methods, pattern) = routes[index];
        let mut alone = Router::new();
        alone.insert(Methods::ANY, pattern, ()).unwrap();
        if alone.at(method, &path).is_err() {
            continue;
        }
        let accepts = methods.accepts(method);
        let parsed = Pattern::parse(pattern).unwrap();
        let better = match best {
            None => true,
            Some((current, current_accepts)) => {
                let current = Pattern::parse(routes[current].1).unwrap();
                (accepts && !current_accepts)
                    || (accepts == current_accepts && parsed.specificity(&current).is_lt())
            }
        };
        if better {
            best = Some((index, accepts));
        }
    }
    match (&found, best) {
        (Ok(found), Some((index, true))) => {
            let expected = Pattern::parse(routes[index].1).unwrap();
            let got = Pattern::parse(found.pattern).unwrap();
            assert!(
                got.specificity(&expected).is_eq(),
                "{method} {path}: `{}` answered, `{}` is the most specific",
                found.pattern,
                routes[index].1
            );
            assert!(routes[*found.value].0.accepts(method));
            // Parameters substituted back give the path (exact segments may be
            // percent-encoded in the path, so compare only paths without escapes).
            let rebuilt = substitute(found.pattern, &found.params);
            // An empty wildcard rest also stands for one more trailing slash (`/a//`).
            let empty_rest = found
                .params
                .iter()
                .any(|(n, v)| *n == "..." && v.is_empty());
            if !path.contains('%') {
                // The rebuilt path has no trailing slash to ignore: a wildcard's rest may
                // end in one.
                let rebuilt = rebuilt.strip_prefix('/').unwrap_or(&rebuilt);
                let path = trimmed(&path);
                let same =
                    rebuilt == path || (empty_rest && path.strip_suffix('/') == Some(rebuilt));
                assert!(
                    same,
                    "`{rebuilt}` rebuilt from `{path}` by `{}`",
                    found.pattern
                );
            }
            // Matched again by the same route (with the one trailing slash the matcher
            // ignores, since a rest may end in a slash of its own), it gives the same
            // parameters. (The whole router may pick a more specific route: `/a/b/` from an
            // empty rest of `/a/b/...` is also `/a/b`.)
            let slashed = format!("{rebuilt}/");
            let mut alone = Router::new();
            alone.insert(Methods::ANY, found.pattern, ()).unwrap();
            let again = alone.at(method, &slashed).unwrap();
            assert_eq!(again.params, found.params, "{rebuilt} from {path}");
        }
        (Err(MatchError::MethodNotAllowed { allowed }), Some((_, false))) => {
            assert!(!allowed.is_empty());
            assert!(!allowed.accepts(method));
        }
        (Err(MatchError::NotFound), None) => {}
        (found, best) => panic!("{method} {path}: router says {found:?}, one by one {best:?}"),
    }

    // Insertion order does not matter when no route conflicts.
    if accepted.len() == routes.len() {
        let mut reversed = Router::new();
        for (index, &(methods, pattern)) in routes.iter().enumerate().rev() {
            reversed.insert(methods, pattern, index).unwrap();
        }
        let other = reversed.at(method, &path);
        match (&found, &other) {
            (Ok(a), Ok(b)) => assert_eq!((a.value, &a.params), (b.value, &b.params)),
            (a, b) => assert_eq!(a.is_err(), b.is_err(), "{a:?} vs {b:?}"),
        }
    }
});
