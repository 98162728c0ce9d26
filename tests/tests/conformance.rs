//! The API document, tried by an independent tester: schemathesis (from PyPI, pinned in
//! scripts/install.sh) generates requests from each app's `/openapi.json`, sends them over
//! real HTTP to the app on the local host, and checks every answer against the document with
//! all its checks: responses and headers as declared, valid requests accepted, invalid ones
//! refused, undeclared methods refused, and the stateful checks across operations. The seed
//! and the number of examples are fixed, so a run is repeatable and short; the longer run with
//! a random seed is `scripts/conformance.sh`.
use std::path::PathBuf;
use std::process::Command;

use edgeway_tests::{Server, repo_root, request, test_app, tokens};

/// The seed of every run here.
const SEED: &str = "20261202";

/// Examples per operation: enough to meet every check, few enough to stay well under a minute.
const EXAMPLES: &str = "12";

/// Runs schemathesis against the app served at `server` with the configuration `config`
/// (TOML: credentials, and the checks switched off per operation); fails with its report.
fn conformance(server: &Server, name: &str, config: &str) {
    let tester = repo_root().join(".edgeway/tools/python/bin/schemathesis");
    assert!(
        tester.exists(),
        "{} is missing: run scripts/install.sh",
        tester.display()
    );
    let dir = work_dir(name);
    let config_file = dir.join("schemathesis.toml");
    std::fs::write(&config_file, config).unwrap();
    let output = Command::new(&tester)
        .arg("--config-file")
        .arg(&config_file)
        .args(["run", "--seed", SEED, "--max-examples", EXAMPLES])
        .args([
            "--generation-database",
            "none",
            "--no-color",
            "--workers",
            "2",
        ])
        .arg(format!("http://{}/openapi.json", server.addr))
        .current_dir(&dir)
        .output()
        .expect("schemathesis runs");
    let report = String::from_utf8_lossy(&output.stdout).into_owned()
        + &String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{name}: the app does not do what its document says:\n{report}"
    );
    assert!(report.contains("passed"), "{name}: nothing ran:\n{report}");
    std::fs::remove_dir_all(dir).unwrap();
}

fn work_dir(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("edgeway-conformance-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Every check (`--checks all` on the command line would override the per-operation switches).
const ALL_CHECKS: &str = "[checks]\nenabled = true\n";

/// `/echo/...` answers every method with what it received: it stores nothing, so the
/// stateful checks that expect a resource to be created and deleted do not apply to it.
const ECHO_IS_NO_RESOURCE: &str = r#"
[[operations]]
include-path-regex = "^/echo/"
checks.use_after_free.enabled = false
checks.ensure_resource_availability.enabled = false
"#;

/// `/py/date/:text` takes any text and answers 400 when it reads no date in it: no schema can
/// say which texts are dates, so a schema-valid text may be refused.
const DATES_ARE_READ_BY_THE_HANDLER: &str = r#"
[[operations]]
include-path-regex = "^/py/date/"
checks.positive_data_acceptance.enabled = false
"#;

#[test]
fn the_example_app_does_what_its_document_says() {
    let server = Server::start(&repo_root().join("spin.toml"), &[], &[]);
    let config = format!(
        "{ALL_CHECKS}[auth.openapi.apiKeyHeader]\napi_key = \"edgeway-demo-key-0001\"\n{ECHO_IS_NO_RESOURCE}{DATES_ARE_READ_BY_THE_HANDLER}"
    );
    // Its typed path parameter, as the document says: refused before the handler runs
    // (first, while the todo routes' rate limit has room).
    let key = [("x-api-key", "edgeway-demo-key-0001")];
    let refused = request(server.addr, "GET", "/todos/abc", &key, b"");
    let problem = refused.problem(400, "invalid-request");
    assert_eq!(
        problem["errors"][0],
        serde_json::json!({ "in": "path", "pointer": "/id", "message": "\"abc\" is not of type \"integer\"" })
    );
    request(server.addr, "GET", "/todos/0", &key, b"").problem(400, "invalid-request");
    conformance(&server, "example", &config);
}

#[test]
fn the_test_app_does_what_its_document_says() {
    let admin = tokens::hs256(tokens::claims_with(serde_json::json!({ "scope": "admin" })));
    let config = format!(
        r#"{ALL_CHECKS}
[auth.openapi.apiKeyHeader]
api_key = "alice-key-0123456789abcdef"

[auth.openapi.bearerJwt]
bearer = "{admin}"
{ECHO_IS_NO_RESOURCE}
# The same echo handler under the routes the isolation and auth tests use, and the Python and
# JavaScript probes: they store nothing either.
[[operations]]
include-path-regex = "^/(keyed|me|admin|snoop-a|snoop-b|items|py/probe|js/probe)(/|$)"
checks.use_after_free.enabled = false
checks.ensure_resource_availability.enabled = false

# /fault/:kind makes the handler fail on purpose (panic, trap, loop): its 5xx answers are
# the point, and only the declared statuses and schemas are checked.
[[operations]]
include-path = "/fault/{{kind}}"
checks.not_a_server_error.enabled = false

# The test app leaves the bodies and ids of these handlers undescribed on purpose, so that
# the handlers' own refusals (a 400 for bad JSON, a 400 for an id that is not a number) are
# tested (tests/tests/todos.rs, errors.rs): by its document any request is valid, and that a
# valid one is accepted cannot be asked of it. The example app describes them and is
# checked with this on.
[[operations]]
include-path-regex = "^/(todos|convert)"
checks.positive_data_acceptance.enabled = false

# The outbound relays call the URL their query names, which the document leaves undescribed:
# without one they answer 400 (tests/tests/outbound.rs calls them).
[[operations]]
include-path-regex = "^/relay/"
checks.positive_data_acceptance.enabled = false
"#
    );
    conformance(test_app(), "test-app", &config);
}
