//! What `edgeway up` shows a person: the banner with the route table, and the access log
//! as short lines with `--log-format human` (the JSON lines stay the default when piped).
use std::time::{Duration, Instant};

use edgeway_tests::{GreetApp, Server, get};

/// A small app with two routes, served with `args`.
fn serve(name: &str, args: &[&str]) -> (GreetApp, Server) {
    let app = GreetApp::new(
        name,
        "",
        "reader=reader-key-0123456789",
        "[component.gateway.tool.edgeway.routes]\n\"GET /hello\" = \"greet\"\n\
         \"GET /hello/:name\" = { handler = \"greet\", auth = \"api-key\" }\n",
    );
    let server = Server::start(&app.manifest(), args, &[]);
    (app, server)
}

/// Waits until the server's stderr has a line for which `found` holds; all of stderr.
fn wait_for_line(server: &Server, found: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let stderr = server.stderr();
        if stderr.lines().any(&found) {
            return stderr;
        }
        assert!(Instant::now() < deadline, "no such line in:\n{stderr}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn human_log_format_writes_a_short_line_per_request_instead_of_json() {
    let (_app, server) = serve("human-log", &["--log-format", "human"]);
    assert_eq!(get(server.addr, "/hello").status, 200);
    assert_eq!(get(server.addr, "/nowhere").status, 404);
    // Piped, a human log has no colour: `GET /hello 200 <duration> greet`.
    let stderr = wait_for_line(&server, |line| line.starts_with("GET /nowhere 404 "));
    let hello: Vec<&str> = stderr
        .lines()
        .filter(|line| line.starts_with("GET /hello 200 "))
        .collect();
    assert_eq!(hello.len(), 1, "one line for the request:\n{stderr}");
    let words: Vec<&str> = hello[0].split(' ').collect();
    assert_eq!(words.len(), 5, "{}", hello[0]);
    assert!(
        ["µs", "ms", "s"]
            .iter()
            .any(|unit| words[3].ends_with(unit)),
        "a duration: {}",
        hello[0]
    );
    assert_eq!(words[4], "greet");
    assert!(!stderr.contains('\x1b'), "no colour in a pipe:\n{stderr}");
    assert!(
        !stderr.contains("\"request_id\""),
        "no JSON access-log line:\n{stderr}"
    );
}

#[test]
fn the_json_log_stays_the_default_when_piped() {
    let (_app, server) = serve("json-log", &[]);
    assert_eq!(get(server.addr, "/hello").status, 200);
    let records = server.access_log();
    assert!(
        records
            .iter()
            .any(|r| r["path"] == "/hello" && r["status"] == 200),
        "{records:?}"
    );
    assert!(!server.settled_stderr().contains("GET /hello 200 "));
}

#[test]
fn the_banner_lists_the_host_the_build_and_the_routes() {
    let (_app, server) = serve("banner", &[]);
    // The banner's last line: the lines before it are in by then.
    let stderr = wait_for_line(&server, |line| line.contains(" /hello/:name "));
    let banner: Vec<&str> = stderr
        .lines()
        .skip_while(|line| !line.contains("edgeway up: http://"))
        .take_while(|line| !line.trim().is_empty())
        .collect();
    assert_eq!(
        banner[0].trim(),
        format!("edgeway up: http://{}", server.addr),
        "{stderr}"
    );
    assert!(banner[1].contains("host:   local"), "{stderr}");
    let build = if edgeway_tests::split_mode() {
        "build:  split"
    } else {
        "build:  single component"
    };
    assert!(banner[2].contains(build), "{stderr}");
    let wasi = edgeway_tests::wasi_mode().unwrap_or_else(|| "0.2".into());
    assert!(banner[2].ends_with(&format!(", WASI {wasi}")), "{stderr}");
    assert!(banner[3].contains("routes:"), "{stderr}");
    let routes: Vec<Vec<&str>> = banner[4..]
        .iter()
        .map(|line| line.split_whitespace().collect())
        .collect();
    assert_eq!(routes[0], ["METHODS", "PATH", "HANDLER", "POLICIES"]);
    let route = |path: &str| {
        routes[1..]
            .iter()
            .find(|row| row[1] == path)
            .unwrap_or_else(|| panic!("no route {path} in:\n{stderr}"))
    };
    assert_eq!(route("/hello")[..3], ["GET", "/hello", "greet"]);
    assert_eq!(route("/hello/:name")[..3], ["GET", "/hello/:name", "greet"]);
    assert!(route("/hello/:name").contains(&"auth=api-key"), "{stderr}");
    assert_eq!(routes.len(), 3, "{stderr}");
}
