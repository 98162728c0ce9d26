//! Manifest text in, validated app or located diagnostics out: what `edgeway build` and
//! `edgeway routes` show a user.
use std::path::{Path, PathBuf};

use crate::{Manifest, ManifestError};

/// Lines 1–4 of most cases: an app whose `gateway` component writes `out.wasm`.
macro_rules! header {
    () => {
        "[application]\nname = \"app\"\n[component.gateway]\nsource = \"out.wasm\"\n"
    };
}

/// Lines 1–7: [`header!`], the handler `greet` on line 6 (this crate's `src` folder), and the
/// routes table; the routes given start on line 8.
macro_rules! with_routes {
    ($($route:literal),* $(,)?) => {
        concat!(
            header!(),
            "[component.gateway.tool.edgeway.handlers]\n",
            "greet = { path = \"src\" }\n",
            "[component.gateway.tool.edgeway.routes]\n",
            $($route, "\n"),*
        )
    };
}

/// Where every case claims to live: this crate's folder, so that a handler `path` of `src`
/// exists and `nope` does not.
fn manifest_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("spin.toml")
}

fn parse(source: &str) -> Result<Manifest, ManifestError> {
    Manifest::parse(manifest_path(), source)
}

fn valid(source: &str) -> Manifest {
    parse(source).unwrap_or_else(|error| panic!("{error}\nin:\n{source}"))
}

/// `(what, manifest text, (line, column), message fragment, hint fragment)`.
type Case = (
    &'static str,
    &'static str,
    (usize, usize),
    &'static str,
    Option<&'static str>,
);

const INVALID: &[Case] = &[
    (
        "TOML syntax error",
        concat!(header!(), "[component.gateway.tool.edgeway\n"),
        (5, 32),
        "unclosed table, expected `]`",
        None,
    ),
    (
        "no [application]",
        "[component.gateway]\nsource = \"out.wasm\"\n",
        (1, 1),
        "missing field `application`",
        None,
    ),
    (
        "no component with a tool.edgeway table",
        header!(),
        (1, 1),
        "expected one component with a `tool.edgeway` table, found 0",
        Some("[component.<id>.tool.edgeway]"),
    ),
    (
        "two components with a tool.edgeway table",
        concat!(
            header!(),
            "[component.gateway.tool.edgeway.handlers]\n",
            "greet = { path = \"src\" }\n",
            "[component.api]\n",
            "source = \"api.wasm\"\n",
            "[component.api.tool.edgeway.handlers]\n",
            "greet = { path = \"src\" }\n",
        ),
        (7, 1),
        "expected one component with a `tool.edgeway` table, found 2",
        Some("whose `source` is the composed app"),
    ),
    (
        "no source",
        concat!(
            "[application]\nname = \"app\"\n",
            "[component.gateway]\n",
            "[component.gateway.tool.edgeway.handlers]\n",
            "greet = { path = \"src\" }\n",
        ),
        (3, 1),
        "component `gateway` needs `source` set to the file the build writes",
        Some("source = \"target/edgeway/app.wasm\""),
    ),
    (
        "source that is not a file name",
        concat!(
            "[application]\nname = \"app\"\n",
            "[component.gateway]\n",
            "source = { url = \"https://example.com/app.wasm\" }\n",
            "[component.gateway.tool.edgeway.handlers]\n",
            "greet = { path = \"src\" }\n",
        ),
        (4, 10),
        "component `gateway` needs `source`",
        Some("source = \"target/edgeway/app.wasm\""),
    ),
    (
        "uppercase handler name",
        concat!(
            header!(),
            "[component.gateway.tool.edgeway.handlers]\n",
            "Greet = { path = \"src\" }\n"
        ),
        (6, 1),
        "handler name `Greet` cannot be used",
        Some("lowercase words joined by `-`"),
    ),
    (
        "handler named after a keyword",
        concat!(
            header!(),
            "[component.gateway.tool.edgeway.handlers]\n",
            "type = { path = \"src\" }\n"
        ),
        (6, 1),
        "handler name `type` cannot be used",
        Some("not a keyword"),
    ),
    (
        "handler named after a contract type",
        concat!(
            header!(),
            "[component.gateway.tool.edgeway.handlers]\n",
            "request = { path = \"src\" }\n"
        ),
        (6, 1),
        "handler name `request` cannot be used",
        Some("not a keyword"),
    ),
    (
        "handler name with an empty word",
        concat!(
            header!(),
            "[component.gateway.tool.edgeway.handlers]\n",
            "list--todos = { path = \"src\" }\n"
        ),
        (6, 1),
        "handler name `list--todos` cannot be used",
        Some("(`greet`, `list-todos`)"),
    ),
    (
        "handler folder that does not exist",
        concat!(
            header!(),
            "[component.gateway.tool.edgeway.handlers]\n",
            "greet = { path = \"nope\" }\n"
        ),
        (6, 9),
        "handler `greet`: folder `nope` does not exist",
        Some("relative to the manifest's folder"),
    ),
    (
        "no handlers",
        concat!(header!(), "[component.gateway.tool.edgeway.routes]\n"),
        (3, 1),
        "component `gateway` declares no handlers",
        Some("[component.gateway.tool.edgeway.handlers] greet = { path = \"components/greet\" }"),
    ),
    (
        "unknown method",
        with_routes!("\"GET,FETCH /a\" = \"greet\""),
        (8, 1),
        "route `GET,FETCH /a` has unknown method `FETCH`",
        Some("GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS or ANY"),
    ),
    (
        "route reserved by Spin",
        with_routes!("\"GET /.well-known/spin/info\" = \"greet\""),
        (8, 1),
        "route `/.well-known/spin/info` is reserved by Spin",
        Some("outside /.well-known/spin/"),
    ),
    (
        "route to an unknown handler",
        with_routes!("\"GET /a\" = \"gret\""),
        (8, 12),
        "route `GET /a` names unknown handler `gret`",
        Some("declared handlers: greet;"),
    ),
    (
        "empty segment",
        with_routes!("\"GET /a//b\" = \"greet\""),
        (8, 1),
        "route `/a//b` has an invalid segment ``",
        Some("`/exact`, `/users/:id`, `/files/...`"),
    ),
    (
        "pattern without a leading slash",
        with_routes!("\"GET hello\" = \"greet\""),
        (8, 1),
        "route `hello` must start with `/`",
        Some("routes use Spin's syntax"),
    ),
    (
        "wildcard in the middle",
        with_routes!("\"/a/.../b\" = \"greet\""),
        (8, 1),
        "route `/a/.../b` has a wildcard that is not a trailing `/...`",
        Some("routes use Spin's syntax"),
    ),
    (
        "conflicting routes",
        with_routes!(
            "\"GET /users/:id\" = \"greet\"",
            "\"GET,POST /users/:name\" = \"greet\"",
        ),
        (9, 1),
        "route `GET, POST /users/:name` matches the same requests as `GET /users/:id` on line 8 (methods in both: GET)",
        Some("give them methods that do not overlap"),
    ),
    (
        "conflict reported on the later line, whatever the keys' spelling",
        with_routes!(
            "\"POST,GET /users/:id\" = \"greet\"",
            "\"GET /users/:name\" = \"greet\""
        ),
        (9, 1),
        "route `GET /users/:name` matches the same requests as `GET, POST /users/:id` on line 8",
        Some("remove one of them"),
    ),
    (
        "unknown key in the tool.edgeway table",
        concat!(
            header!(),
            "[component.gateway.tool.edgeway]\n",
            "handlers = { greet = { path = \"src\" } }\n",
            "route = { \"/\" = \"greet\" }\n",
        ),
        (7, 1),
        "unknown field `route`, expected one of `handlers`, `routes`, `policies`, `api_key`, `jwt`",
        None,
    ),
    (
        "unknown key in a handler",
        concat!(
            header!(),
            "[component.gateway.tool.edgeway.handlers]\n",
            "greet = { path = \"src\", lang = \"rust\" }\n",
        ),
        (6, 25),
        "unknown field `lang`, expected one of `path`, `language`",
        None,
    ),
    (
        "a WASI version edgeway does not build for",
        concat!(
            header!(),
            "[component.gateway.tool.edgeway]\n",
            "wasi = \"0.4\"\n",
            "handlers = { greet = { path = \"src\" } }\n",
        ),
        (6, 8),
        "`wasi = \"0.4\"` is not a WASI version edgeway builds for; use \"0.2\" or \"0.3\"",
        None,
    ),
];

#[test]
fn the_wasi_version_is_0_2_unless_the_manifest_says_0_3() {
    use crate::Wasi;
    let handlers = "handlers = { greet = { path = \"src\" } }\n";
    for (setting, expected) in [
        ("", Wasi::P2),
        ("wasi = \"0.2\"\n", Wasi::P2),
        ("wasi = \"0.3\"\n", Wasi::P3),
    ] {
        let source = format!(
            "{}[component.gateway.tool.edgeway]\n{setting}{handlers}",
            header!()
        );
        assert_eq!(valid(&source).wasi, expected, "{setting}");
    }
}

#[test]
fn every_mistake_is_reported_where_it_is_with_a_hint() {
    for &(what, source, place, message, hint) in INVALID {
        assert_reported_once(what, source, place, message, hint);
    }
}

/// `source` is refused with exactly one diagnostic: at `(line, column)`, saying `message`,
/// with `hint` (or none).
fn assert_reported_once(
    what: &str,
    source: &str,
    (line, column): (usize, usize),
    message: &str,
    hint: Option<&str>,
) {
    let error = match parse(source) {
        Ok(_) => panic!("{what}: accepted:\n{source}"),
        Err(error) => error,
    };
    assert_eq!(error.diagnostics().len(), 1, "{what}: {error}");
    let shown = error.to_string();
    let (first, rest) = shown.split_once('\n').unwrap_or((&shown, ""));
    let prefix = format!("{}:{line}:{column}: error: ", manifest_path().display());
    assert!(
        first.starts_with(&prefix),
        "{what}: expected `{prefix}…`, got\n{shown}"
    );
    assert!(
        first.contains(message),
        "{what}: expected `{message}` in\n{shown}"
    );
    match hint {
        Some(hint) => assert!(
            rest.starts_with("  hint: ") && rest.contains(hint),
            "{what}: expected hint `{hint}` in\n{shown}"
        ),
        None => assert_eq!(rest, "", "{what}: unexpected hint in\n{shown}"),
    }
}

#[test]
fn all_mistakes_are_reported_in_file_order() {
    let source = concat!(
        header!(),
        "[component.gateway.tool.edgeway.handlers]\n",
        "greet = { path = \"src\" }\n",
        "[component.gateway.tool.edgeway.routes]\n",
        "\"GET /a//b\" = \"greet\"\n",
        "\"GET /b\" = \"nobody\"\n",
        "\"GET,POST /b\" = \"greet\"\n",
    );
    let error = parse(source).unwrap_err();
    let found: Vec<(usize, usize)> = error
        .diagnostics()
        .iter()
        .map(|d| (d.location.line, d.location.column))
        .collect();
    assert_eq!(found, [(8, 1), (9, 12), (10, 1)], "{error}");
}

#[test]
fn handler_names_are_wit_identifiers_that_are_not_keywords() {
    let table = [
        ("greet", true),
        ("list-todos", true),
        ("v2", true),
        ("dispatch", false),
        ("response", false),
        ("problem", false),
        ("2fa", false),
        ("greet_all", false),
        ("-greet", false),
    ];
    for (name, accepted) in table {
        let source = format!(
            "{}[component.gateway.tool.edgeway.handlers]\n\"{name}\" = {{ path = \"src\" }}\n",
            header!()
        );
        assert_eq!(parse(&source).is_ok(), accepted, "handler name `{name}`");
    }
}

#[test]
fn a_handler_may_name_its_language() {
    use crate::Language;
    let table = [
        ("", Ok(None)),
        (", language = \"rust\"", Ok(Some(Language::Rust))),
        (", language = \"python\"", Ok(Some(Language::Python))),
        (", language = \"js\"", Ok(Some(Language::JavaScript))),
        (
            ", language = \"javascript\"",
            Ok(Some(Language::JavaScript)),
        ),
        (
            ", language = \"go\"",
            Err("handler `greet`: unknown language `go`"),
        ),
    ];
    for (field, expected) in table {
        let source = format!(
            "{}[component.gateway.tool.edgeway.handlers]\ngreet = {{ path = \"src\"{field} }}\n",
            header!()
        );
        match (parse(&source), expected) {
            (Ok(manifest), Ok(language)) => {
                assert_eq!(manifest.handlers[0].language, language, "{field}")
            }
            (Err(error), Err(message)) => {
                let diagnostic = &error.diagnostics()[0];
                assert_eq!(diagnostic.message, message);
                assert_eq!(
                    (diagnostic.location.line, diagnostic.location.column),
                    (6, 36)
                );
                assert!(
                    diagnostic
                        .hint
                        .as_deref()
                        .unwrap()
                        .contains("rust, python, js")
                );
            }
            (result, expected) => panic!("{field}: got {result:?}, expected {expected:?}"),
        }
    }
}

mod describe;
mod events;
mod valid;
