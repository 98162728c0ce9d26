//! Python and JavaScript handlers with packages from PyPI and npm, over HTTP: the example app's
//! packaged handlers answer, and a package with native code, or a pin with no pure-Python wheel,
//! is refused at build time.
use edgeway_tests::{GreetApp, Server, edgeway, get, repo_root};
use serde_json::json;

#[test]
fn the_packaged_python_and_javascript_examples_answer() {
    let server = Server::start(&repo_root().join("spin.toml"), &[], &[]);
    let addr = server.addr;

    // python-dateutil, from requirements.txt.
    let response = get(addr, "/py/date/3%20March%202027%205pm");
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(
        response.json(),
        json!({ "text": "3 March 2027 5pm", "iso": "2027-03-03T17:00:00", "weekday": "Wednesday" })
    );
    let offset = get(addr, "/py/date/2027-03-03T17:00:00%2B02:00").json();
    assert_eq!(offset["iso"], "2027-03-03T17:00:00+02:00");
    let unreadable = get(addr, "/py/date/not%20a%20date");
    assert_eq!(unreadable.status, 400, "{}", unreadable.text());
    assert_eq!(unreadable.json()["type"], "urn:edgeway:problem:handler");
    assert!(
        unreadable.json()["detail"]
            .as_str()
            .unwrap()
            .starts_with("no date in 'not a date'"),
        "{}",
        unreadable.text()
    );

    // validator, from package.json and its lockfile, bundled by esbuild.
    let response = get(addr, "/js/email/Ada.Lovelace@GoogleMail.com");
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(
        response.json(),
        json!({ "address": "Ada.Lovelace@GoogleMail.com", "valid": true, "normalized": "adalovelace@gmail.com" })
    );
    assert_eq!(
        get(addr, "/js/email/ada@").json(),
        json!({ "address": "ada@", "valid": false, "normalized": null })
    );
}

#[test]
fn a_package_with_native_code_is_refused_at_build_time_with_its_name_and_line() {
    let app = GreetApp::new(
        "native-package",
        "",
        "demo=k",
        "fast-json = { path = \"fast-json\" }\n\
         [component.gateway.tool.edgeway.routes]\n\"GET /hello\" = \"greet\"\n\
         \"GET /json\" = \"fast-json\"\n",
    );
    let folder = app.manifest().parent().unwrap().join("fast-json");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(
        folder.join("app.py"),
        "import ujson\n\ndef handler(request):\n    return ujson.dumps({})\n",
    )
    .unwrap();
    std::fs::write(
        folder.join("requirements.txt"),
        "# A fast JSON codec, written in C.\nujson==5.11.0\n",
    )
    .unwrap();

    let build = || {
        let output = edgeway()
            .arg("build")
            .arg("--manifest")
            .arg(app.manifest())
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert!(!output.status.success(), "built:\n{stderr}");
        stderr
    };
    let stderr = build();
    let expected = format!(
        "{}:2:1: error: package `ujson` has no pure-Python wheel: it contains native code: \
         PyPI has only wheels built for particular platforms (ujson-5.11.0-",
        folder.join("requirements.txt").display()
    );
    assert!(stderr.contains(&expected), "{stderr}");
    assert!(
        stderr.contains("and none for WASI, so it cannot run in a component"),
        "{stderr}"
    );
    assert!(
        stderr.contains("hint: choose a pure-Python package"),
        "{stderr}"
    );
    assert!(
        !app.manifest().parent().unwrap().join("app.wasm").exists(),
        "a component was written"
    );

    // A pure-Python package pinned to a version that does not exist: the latest are named.
    std::fs::write(folder.join("requirements.txt"), "python-dateutil==9.9.9\n").unwrap();
    let stderr = build();
    let expected = format!(
        "{}:1:1: error: no version of package `python-dateutil` with a pure-Python wheel \
         matches `python-dateutil==9.9.9`",
        folder.join("requirements.txt").display()
    );
    assert!(stderr.contains(&expected), "{stderr}");
    assert!(stderr.contains("such as the latest: "), "{stderr}");
    assert!(stderr.contains("4.0.0"), "{stderr}");
}
