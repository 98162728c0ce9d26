//! Scripts under tests/browser, run in Debian's Chromium through playwright-core.
use std::path::PathBuf;
use std::process::Command;

use crate::repo_root;

/// Runs `node tests/browser/<script> <args>` and returns the JSON line it printed last.
pub fn run(script: &str, args: &[&str]) -> serde_json::Value {
    let chromium = PathBuf::from("/usr/bin/chromium");
    assert!(
        chromium.exists(),
        "/usr/bin/chromium is missing: scripts/install.sh installs it"
    );
    let root = repo_root();
    let playwright = root.join(".edgeway/tools/browser/node_modules/playwright-core");
    assert!(
        playwright.exists(),
        "{} is missing: run scripts/install.sh",
        playwright.display()
    );
    let output = Command::new("node")
        .arg(root.join("tests/browser").join(script))
        .args(args)
        .env("PLAYWRIGHT_CORE", &playwright)
        .env("CHROMIUM", &chromium)
        .output()
        .expect("node runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{script} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(stdout.lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}: {stdout}"))
}
