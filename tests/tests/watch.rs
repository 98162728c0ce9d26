//! `edgeway up --watch`: an edit to a handler is rebuilt and served on the same address,
//! a request in flight during the swap finishes on the old build, answers are checked
//! against the new build's OpenAPI document, and a build that fails is reported while the
//! last good build serves on.
use std::io::Write;
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

use edgeway_tests::{Response, Server, TempRepo, get, read_response};

/// How long a rebuild may take on a busy machine.
const REBUILD: Duration = Duration::from_secs(300);

#[test]
fn an_edit_is_rebuilt_and_swapped_in_and_a_failed_build_keeps_the_last_good_one() {
    let app = TempRepo::new("watch");
    let manifest = app.manifest();
    let text = std::fs::read_to_string(&manifest).unwrap().replace(
        "\"GET /hello\" = \"greet\"",
        "\"GET /hello\" = { handler = \"greet\", responses = { 200 = { description = \"A greeting\", \
         schema = { type = \"object\", properties = { message = { type = \"string\" } } } } } }",
    );
    let build = "[component.gateway.build]\ncommand = \"edgeway build\"\n\
                 watch = [\"components/**/*.rs\", \"components/**/Cargo.toml\"]\n";
    std::fs::write(&manifest, format!("{text}\n{build}")).unwrap();
    let envs = app.envs();
    let envs: Vec<(&str, &str)> = envs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    // A long request timeout lets the request held open below outlast a rebuild.
    let args = ["--watch", "--check-responses", "--timeout", "900"];
    let server = Server::start(&manifest, &args, &envs);
    assert_eq!(message(&get(server.addr, "/hello")), "Hello, world!");
    let violation =
        "GET /hello answered 200 against the OpenAPI document: at \"/message\": \"Hello, world!\"";

    // A request the old build is serving: the gateway waits for the rest of its body.
    let mut in_flight = TcpStream::connect(server.addr).unwrap();
    in_flight
        .write_all(b"GET /hello HTTP/1.1\r\nhost: localhost\r\ncontent-length: 2\r\n\r\n{")
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));

    // The same rebuild takes a new handler and a new document, which no longer allows a
    // string `message`.
    let source = app.dir().join("components/examples/greet/src/lib.rs");
    edit(&source, "Hello, {name}!", "Howdy, {name}!");
    edit(
        &manifest,
        "message = { type = \"string\" }",
        "message = { type = \"integer\" }",
    );
    wait_for(&server, "Howdy, world!");
    let new_violation = violation.replace("Hello", "Howdy");
    assert!(
        server.wait_for_stderr(&new_violation, Duration::from_secs(10)),
        "the new build's answer is checked against its document:\n{}",
        server.stderr()
    );
    let stderr = server.stderr();
    assert!(
        !stderr.contains(violation),
        "answers of the old build were checked against the new document:\n{stderr}"
    );

    in_flight.write_all(b"}").unwrap();
    in_flight
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let finished = read_response(&mut in_flight, &mut Vec::new(), false)
        .unwrap()
        .expect("the request in flight during the swap is answered");
    assert_eq!(message(&finished), "Hello, world!");
    let stderr = server.stderr();
    assert!(stderr.contains("lib.rs changed: rebuilding"), "{stderr}");
    assert!(
        stderr.contains("new requests go to the new build"),
        "{stderr}"
    );

    edit(&source, "fn handle(", "fn handle( {");
    let deadline = Instant::now() + REBUILD;
    while !server.stderr().contains("Build failed") {
        assert!(Instant::now() < deadline, "{}", server.stderr());
        std::thread::sleep(Duration::from_millis(200));
    }
    let stderr = server.stderr();
    let failure = &stderr[stderr.rfind("rebuilding").unwrap()..];
    assert!(failure.contains("error"), "{failure}");
    assert!(
        failure.contains("Build failed: still serving the last good build"),
        "{failure}"
    );
    assert_eq!(message(&get(server.addr, "/hello")), "Howdy, world!");
}

/// The `message` of a `200` JSON answer.
fn message(response: &Response) -> String {
    assert_eq!(response.status, 200, "{}", response.text());
    let body = response.json();
    assert_eq!(body.as_object().unwrap().len(), 1, "{body}");
    body["message"].as_str().unwrap().to_owned()
}

/// Replaces `from` with `to` in the file at `path`.
fn edit(path: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(text.contains(from), "{text}");
    std::fs::write(path, text.replace(from, to)).unwrap();
}

/// Asks `/hello` until it says `expected`; every answer meanwhile is the old one or the new
/// one, from the same address.
fn wait_for(server: &Server, expected: &str) {
    let deadline = Instant::now() + REBUILD;
    loop {
        let said = message(&get(server.addr, "/hello"));
        if said == expected {
            return;
        }
        assert_eq!(said, "Hello, world!");
        assert!(
            Instant::now() < deadline,
            "still the old answer; stderr:\n{}",
            server.stderr()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}
