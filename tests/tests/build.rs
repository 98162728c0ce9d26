//! `edgeway build` and `edgeway routes` as a user runs them: what they write, print and refuse.
use std::path::PathBuf;
use std::process::Output;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

use edgeway_tests::{GreetApp, Server, edgeway, get, repo_root};

/// Builds rewrite the gateway's `.wasm` for the manifest they build: one at a time.
static LOCK: Mutex<()> = Mutex::new(());

fn one_build_at_a_time() -> MutexGuard<'static, ()> {
    LOCK.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Runs `edgeway <args>` from the repository root.
fn run(args: &[&str]) -> (Output, String) {
    let output = edgeway().args(args).output().expect("edgeway runs");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    (output, stderr)
}

/// A manifest in a fresh temporary folder, removed on drop. Lines 1–9 are fixed:
///
/// ```text
/// 5  source = "<dir>/app.wasm"
/// 7  greet = { path = "<repo>/components/examples/greet" }
/// 8  <handler line>
/// 9  [component.gateway.tool.edgeway.routes]
/// ```
///
/// and the routes start on line 10.
struct TempApp {
    dir: PathBuf,
}

impl TempApp {
    fn new(name: &str, second_handler: &str, routes: &str) -> TempApp {
        let dir = std::env::temp_dir().join(format!("edgeway-build-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let app = TempApp { dir };
        let repo = repo_root();
        let text = format!(
            "spin_manifest_version = 2\n\
             [application]\n\
             name = \"{name}\"\n\
             [component.gateway]\n\
             source = \"{output}\"\n\
             [component.gateway.tool.edgeway.handlers]\n\
             greet = {{ path = \"{greet}\" }}\n\
             {second_handler}\n\
             [component.gateway.tool.edgeway.routes]\n\
             {routes}",
            output = app.output().display(),
            greet = repo.join("components/examples/greet").display(),
        );
        std::fs::write(app.manifest(), text).unwrap();
        app
    }

    fn manifest(&self) -> PathBuf {
        self.dir.join("spin.toml")
    }

    fn output(&self) -> PathBuf {
        self.dir.join("app.wasm")
    }

    /// `edgeway <command> --manifest <this manifest>`.
    fn run(&self, command: &str) -> (Output, String) {
        let manifest = self.manifest();
        run(&[command, "--manifest", manifest.to_str().unwrap()])
    }

    /// `<manifest>:<line>:<column>: error: <message>`, as diagnostics start.
    fn diagnostic(&self, (line, column): (usize, usize), message: &str) -> String {
        format!(
            "{}:{line}:{column}: error: {message}",
            self.manifest().display()
        )
    }
}

impl Drop for TempApp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `<name> = { path = "<repo>/<folder>" }`.
fn handler(name: &str, folder: &str) -> String {
    format!(
        "{name} = {{ path = \"{}\" }}",
        repo_root().join(folder).display()
    )
}

fn assert_failed_before_building(app: &TempApp, output: &Output, stderr: &str) {
    assert!(!output.status.success(), "succeeded; stderr:\n{stderr}");
    assert!(
        !stderr.contains("Building the handlers"),
        "built before failing:\n{stderr}"
    );
    assert!(!app.output().exists(), "wrote {}", app.output().display());
}

#[test]
fn example_app_builds_into_one_component_spin_can_load() {
    let _guard = one_build_at_a_time();
    let started = SystemTime::now();
    let (output, stderr) = run(&["build"]);
    assert!(output.status.success(), "edgeway build failed:\n{stderr}");

    let path = repo_root().join("target/edgeway/edgeway-example.wasm");
    let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
    assert!(modified >= started, "{} was not rewritten", path.display());
    let inspection = edgeway_compose::inspect(&std::fs::read(&path).unwrap()).unwrap();
    let http: Vec<&String> = inspection
        .exports
        .iter()
        .filter(|name| name.starts_with("wasi:http/incoming-handler@0.2"))
        .collect();
    assert_eq!(http.len(), 1, "exports: {:?}", inspection.exports);
    assert_eq!(
        inspection.exports.len(),
        1,
        "exports: {:?}",
        inspection.exports
    );
    assert_eq!(inspection.non_wasi_imports(), Vec::<&str>::new());
    assert!(
        inspection.memories <= edgeway_compose::SPIN_MAX_MEMORIES,
        "{} memories",
        inspection.memories
    );
}

/// The manifest's `wasi` picks the build, `--wasi` overrides it, and the local host serves
/// the 0.3 build.
#[test]
fn wasi_0_3_builds_export_the_0_3_handler_and_0_2_builds_the_0_2_one() {
    let _guard = one_build_at_a_time();
    let app = GreetApp::new(
        "wasi-versions",
        "",
        "",
        "[component.gateway.tool.edgeway.routes]\n\"GET /hello\" = \"greet\"\n",
    );
    let manifest = app.manifest().to_str().unwrap().to_owned();
    let text = std::fs::read_to_string(&manifest).unwrap();
    let wasi_table = "[component.gateway.tool.edgeway]\nwasi = \"0.3\"\n";
    std::fs::write(
        &manifest,
        text.replace(
            "[component.gateway.tool.edgeway.handlers]",
            &format!("{wasi_table}[component.gateway.tool.edgeway.handlers]"),
        ),
    )
    .unwrap();
    let output = app.manifest().with_file_name("app.wasm");
    // The 0.3 build last, so that it is the one served below.
    for (extra, export) in [
        (&["--wasi", "0.2"][..], "wasi:http/incoming-handler@0.2"),
        (&[][..], "wasi:http/handler@0.3"),
    ] {
        let args = [&["build", "--manifest", manifest.as_str()][..], extra].concat();
        let (built, stderr) = run(&args);
        assert!(built.status.success(), "{args:?}:\n{stderr}");
        let inspection = edgeway_compose::inspect(&std::fs::read(&output).unwrap()).unwrap();
        assert_eq!(inspection.exports.len(), 1, "{:?}", inspection.exports);
        assert!(
            inspection.exports[0].starts_with(export),
            "{:?}",
            inspection.exports
        );
        assert_eq!(inspection.non_wasi_imports(), Vec::<&str>::new());
    }
    let server = Server::start(&app.manifest(), &["--no-build", "--wasi", "0.3"], &[]);
    let hello = get(server.addr, "/hello");
    assert_eq!(hello.status, 200, "{}", hello.text());
}

#[test]
fn broken_manifest_fails_with_its_location_and_a_hint_before_building() {
    // (what, routes from line 10, (line, column), message, hint)
    let table = [
        (
            "same method and path twice",
            "\"GET /a\" = \"greet\"\n\"GET,POST /a\" = \"greet\"\n",
            (11, 1),
            "route `GET, POST /a` matches the same requests as `GET /a` on line 10",
            "remove one of them, or give them methods that do not overlap",
        ),
        (
            "unknown handler",
            "\"GET /a\" = \"gret\"\n",
            (10, 12),
            "route `GET /a` names unknown handler `gret`",
            "declared handlers: greet, echo;",
        ),
        (
            "bad pattern",
            "\"GET /a//b\" = \"greet\"\n",
            (10, 1),
            "route `/a//b` has an invalid segment ``",
            "routes use Spin's syntax",
        ),
    ];
    for (i, (what, routes, at, message, hint)) in table.into_iter().enumerate() {
        let app = TempApp::new(
            &format!("broken-{i}"),
            &handler("echo", "components/examples/echo"),
            routes,
        );
        for command in ["build", "routes"] {
            let (output, stderr) = app.run(command);
            assert_failed_before_building(&app, &output, &stderr);
            let expected = app.diagnostic(at, message);
            assert!(
                stderr.contains(&expected),
                "{what}: `edgeway {command}` should say\n{expected}\nbut said\n{stderr}"
            );
            assert!(
                stderr.contains(&format!("\n  hint: {hint}")),
                "{what}: `edgeway {command}` gave no hint `{hint}`:\n{stderr}"
            );
        }
    }
}

#[test]
fn handler_outside_the_components_workspace_fails_before_building() {
    let app = TempApp::new(
        "outside",
        &handler("contract", "wit"),
        "\"GET /a\" = \"contract\"\n",
    );
    let (output, stderr) = app.run("build");
    assert_failed_before_building(&app, &output, &stderr);
    let folder = repo_root().join("wit");
    let expected = app.diagnostic(
        (8, 1),
        &format!(
            "handler `contract`: `{}` is not a crate of the components workspace",
            folder.display()
        ),
    );
    assert!(
        stderr.contains(&expected),
        "expected\n{expected}\nin\n{stderr}"
    );
    assert!(stderr.contains("\n  hint: add it to `members`"), "{stderr}");
}

#[test]
fn handler_without_the_contract_fails_at_its_manifest_line() {
    let _guard = one_build_at_a_time();
    // The gateway builds to a component, but exports wasi:http, not the handler contract.
    let app = TempApp::new(
        "no-contract",
        &handler("broken", "components/gateway"),
        "\"GET /a\" = \"greet\"\n\"GET /b\" = \"broken\"\n",
    );
    let (output, stderr) = app.run("build");
    assert!(!output.status.success(), "succeeded; stderr:\n{stderr}");
    let expected = app.diagnostic(
        (8, 1),
        "handler `broken` does not export `edgeway:gateway/handler@0.1.0`",
    );
    assert!(
        stderr.contains(&expected),
        "expected\n{expected}\nin\n{stderr}"
    );
    assert!(!app.output().exists(), "wrote {}", app.output().display());
}

#[test]
fn handler_calling_out_without_a_grant_fails_at_its_manifest_line() {
    let _guard = one_build_at_a_time();
    // `relay` imports wasi:http/outgoing-handler (edgeway-sdk's fetch) and is granted no host.
    let app = TempApp::new(
        "no-grant",
        &handler("relay", "tests/handlers/relay"),
        "\"GET /a\" = \"greet\"\n\"GET /b\" = \"relay\"\n",
    );
    let (output, stderr) = app.run("build");
    assert!(!output.status.success(), "succeeded; stderr:\n{stderr}");
    let expected = app.diagnostic(
        (8, 1),
        "cannot isolate handler `relay`: it imports wasi:http/outgoing-handler@0.2.10, and is granted no outbound hosts; list the hosts it calls in its `allowed_outbound_hosts`",
    );
    assert!(
        stderr.contains(&expected),
        "expected\n{expected}\nin\n{stderr}"
    );
    assert!(!app.output().exists(), "wrote {}", app.output().display());
}

#[test]
fn routes_prints_the_example_table_in_priority_order() {
    let (output, stderr) = run(&["routes"]);
    assert!(output.status.success(), "edgeway routes failed:\n{stderr}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    let rows: Vec<Vec<&str>> = stdout
        .lines()
        .map(|line| line.split_whitespace().take(4).collect())
        .collect();
    assert_eq!(
        rows,
        [
            ["METHODS", "PATH", "HANDLER", "POLICIES"],
            ["POST", "/convert", "convert", "cors"],
            ["ANY", "/echo/...", "echo", "cors"],
            ["GET", "/hello", "greet", "cors"],
            ["GET", "/hello/:name", "greet", "cors"],
            ["GET", "/js/email/:address", "email-js", "cors"],
            ["GET", "/js/hello", "hello-js", "cors"],
            ["GET", "/js/hello/:name", "hello-js", "cors"],
            ["GET", "/py/date/:text", "dates-py", "cors"],
            ["GET", "/py/hello", "greet-py", "cors"],
            ["GET", "/py/hello/:name", "greet-py", "cors"],
            ["GET,POST", "/todos", "todos", "auth=api-key"],
            ["GET,PUT,DELETE", "/todos/:id", "todos", "auth=api-key"],
        ],
        "{stdout}"
    );
}
