//! What one handler can reach of another's state and of the app's configuration: not its
//! memory, not its keys, and no variable it was not given. `snoop` (tests/handlers/snoop) is one
//! component the test app declares twice, as `snoop-a` (given `snoop_greeting`) and
//! `snoop-b` (given nothing).
use std::path::{Path, PathBuf};

use edgeway_tests::{Response, Server, repo_root, request, test_app, tokens};
use serde_json::{Value, json};

fn manifest() -> PathBuf {
    repo_root().join("tests/app/spin.toml")
}

fn call(server: &Server, method: &str, target: &str, body: &str) -> Response {
    request(server.addr, method, target, &[], body.as_bytes())
}

fn ok(server: &Server, method: &str, target: &str, body: &str) -> Value {
    let response = call(server, method, target, body);
    assert_eq!(
        response.status,
        200,
        "{method} {target}: {}",
        response.text()
    );
    response.json()
}

/// A fresh folder for a server's key-value store, removed on drop.
struct Store(PathBuf);

impl Store {
    fn new(name: &str) -> Store {
        let dir =
            std::env::temp_dir().join(format!("edgeway-isolation-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        Store(dir)
    }

    /// Every key in the `default` store's SQLite file, as the host wrote it.
    fn keys(&self) -> Vec<String> {
        let db = rusqlite::Connection::open(self.0.join("default.db")).unwrap();
        let mut statement = db
            .prepare("SELECT key FROM key_value ORDER BY key")
            .unwrap();
        let keys = statement.query_map([], |row| row.get(0)).unwrap();
        keys.map(Result::unwrap).collect()
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn start(store: &Path, args: &[&str]) -> Server {
    Server::start_with_store(&manifest(), args, &tokens::variables(), store)
}

#[test]
fn handlers_do_not_share_memory_even_when_instances_live_on() {
    // With --reuse, one instance of the composed app serves request after request, so what
    // a handler keeps in a global stays there: in its own linear memory only.
    let store = Store::new("memory");
    let server = start(&store.0, &["--reuse", "100"]);
    let kept = ok(&server, "POST", "/snoop-a/memory", "only for snoop-a");
    assert_eq!(kept["value"], "only for snoop-a");
    let again = ok(&server, "GET", "/snoop-a/memory", "");
    assert_eq!(
        again["value"], "only for snoop-a",
        "the instance lived on: {again}"
    );
    assert!(
        again["served"].as_u64() > kept["served"].as_u64(),
        "{again}"
    );

    let other = ok(&server, "GET", "/snoop-b/memory", "");
    assert_eq!(
        other["value"],
        Value::Null,
        "the same code as snoop-b: {other}"
    );
    // Its own request count, not snoop-a's.
    assert_eq!(other["served"], 1, "{other}");
}

#[test]
fn each_handler_sees_only_its_own_keys() {
    let store = Store::new("keys");
    let server = start(&store.0, &[]);
    ok(&server, "PUT", "/snoop-a/kv?key=colour", "blue");
    ok(&server, "PUT", "/snoop-b/kv?key=colour", "green");
    assert_eq!(
        ok(&server, "GET", "/snoop-a/kv?key=colour", "")["value"],
        "blue"
    );
    assert_eq!(
        ok(&server, "GET", "/snoop-b/kv?key=colour", "")["value"],
        "green"
    );
    ok(&server, "PUT", "/snoop-a/kv?key=only-a", "1");
    call(&server, "GET", "/snoop-b/kv?key=only-a", "").problem(404, "handler");

    // Counters too: each handler's `counter` starts from nothing.
    assert_eq!(ok(&server, "POST", "/snoop-a/count", "")["count"], 1);
    assert_eq!(ok(&server, "POST", "/snoop-a/count", "")["count"], 2);
    assert_eq!(ok(&server, "POST", "/snoop-b/count", "")["count"], 1);

    // Neither sees the todos handler's keys nor the gateway's rate-limit counters.
    let api_key = ("x-api-key", "alice-key-0123456789abcdef");
    let todo = request(
        server.addr,
        "POST",
        "/todos",
        &[api_key],
        br#"{"title": "t"}"#,
    );
    assert_eq!(todo.status, 201, "{}", todo.text());
    assert_eq!(call(&server, "GET", "/limited", "").status, 200);
    let listed =
        |name: &str| ok(&server, "GET", &format!("/snoop-{name}/keys"), "")["keys"].clone();
    assert_eq!(listed("a"), json!(["colour", "counter", "only-a"]));
    assert_eq!(listed("b"), json!(["colour", "counter"]));

    // In the store, every handler key carries its handler's name; the gateway's do not.
    let keys = store.keys();
    for expected in [
        "snoop-a/colour",
        "snoop-b/colour",
        "snoop-a/counter",
        "todos/todos:item:1",
    ] {
        assert!(
            keys.contains(&expected.to_owned()),
            "{expected} not in {keys:?}"
        );
    }
    let rate: Vec<&String> = keys
        .iter()
        .filter(|k| k.starts_with("edgeway:rate:/limited:"))
        .collect();
    assert_eq!(rate.len(), 1, "{keys:?}");
    for key in &keys {
        let owner = key.split(['/', ':']).next().unwrap();
        assert!(
            ["snoop-a", "snoop-b", "todos", "edgeway"].contains(&owner),
            "{key} has no owner"
        );
    }
}

#[test]
fn a_handler_reads_only_the_variables_it_is_given() {
    let app = test_app();
    let greeting = ok(app, "GET", "/snoop-a/config?name=snoop_greeting", "");
    assert_eq!(greeting["value"], "hello from the manifest");

    // The gateway's secrets are the composed app's variables too, but not snoop-a's.
    for secret in ["api_keys", "jwt_secret", "jwt_jwks", "undeclared"] {
        let refused = call(app, "GET", &format!("/snoop-a/config?name={secret}"), "");
        let problem = refused.problem(403, "handler");
        let detail = problem["detail"].as_str().unwrap();
        assert!(
            detail.contains(&format!("`{secret}` is not given to handler `snoop-a`")),
            "{detail}"
        );
        assert!(!detail.contains("key-0123456789abcdef"), "{detail}");
    }
    // The same component under another name is given nothing.
    let refused = call(app, "GET", "/snoop-b/config?name=snoop_greeting", "");
    refused.problem(403, "handler");
}
