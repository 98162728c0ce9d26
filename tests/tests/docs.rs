//! The documentation stays true: README.md and every docs/*.md are read, and each fenced block
//! is checked by its language.
//!
//! - `console`: lines starting with `$ ` are commands, the lines after them their output. Each
//!   Markdown file gets a fresh example app (`spin.toml`); its commands run in order through
//!   `sh -c`, from the repository root, with `localhost:3000` pointing at that server and
//!   `cargo run --release -q -p edgeway --` at the built binary. Output is compared line by
//!   line: `…` in a line stands for any text, and a line that is only `…` for any number of
//!   lines.
//! - `sh`: commands shown without output. Each must be one the project runs (see [`check_sh`]).
//! - `toml`: manifest snippets, not whole manifests, so each is parsed as TOML and no more.
//! - `text`, `wit`, `rust`, `python`, `js`: shown, not checked (diagrams, transcripts of tools
//!   that do not run here, and code whose real copy is built and tested where it lives).
//!
//! A block of any other language, or without one, fails: a new kind needs a rule here first.
//! Relative links must lead to a file that exists, and `#anchors` to one of its headings.
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use edgeway_tests::{Server, edgeway, repo_root};

/// Languages shown without a check, and why (see the module docs).
const UNCHECKED: &[&str] = &["text", "wit", "rust", "python", "js"];

/// Spin CLI commands the docs may show. Spin is not installed where the tests run, and these
/// deploy or serve, so they are listed rather than run.
const SPIN_COMMANDS: &[&[&str]] = &[
    &["build"],
    &["up"],
    &["watch"],
    &["cloud", "deploy"],
    &["aka", "deploy"],
    &["registry", "push"],
    &["kube", "scaffold"],
];

/// kubectl commands the docs may show. There is no cluster where the tests run, so these are
/// listed rather than run.
const KUBECTL_COMMANDS: &[&[&str]] = &[&["apply", "-f"]];

/// How the docs spell running the CLI; the tests run the built binary instead.
const CARGO_RUN: &str = "cargo run --release -q -p edgeway --";

/// How long one console command may take.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(120);

/// One fenced block: its file (relative to the repository), the line of its first content
/// line, its language and its lines.
struct Block {
    file: String,
    line: usize,
    language: String,
    lines: Vec<String>,
}

impl Block {
    /// `file:line` of the block's `index`th line.
    fn at(&self, index: usize) -> String {
        format!("{}:{}", self.file, self.line + index)
    }
}

/// README.md and docs/*.md, in that order (docs/ sorted by name).
fn markdown_files() -> Vec<PathBuf> {
    let root = repo_root();
    let mut docs: Vec<PathBuf> = std::fs::read_dir(root.join("docs"))
        .expect("docs/ exists")
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "md"))
        .collect();
    docs.sort();
    assert!(!docs.is_empty(), "docs/ has no Markdown files");
    std::iter::once(root.join("README.md"))
        .chain(docs)
        .collect()
}

/// The fenced blocks of one Markdown file.
fn blocks(path: &Path) -> Vec<Block> {
    let file = path
        .strip_prefix(repo_root())
        .unwrap_or(path)
        .display()
        .to_string();
    let text = std::fs::read_to_string(path).expect("the Markdown file is readable");
    let mut blocks = Vec::new();
    let mut open: Option<Block> = None;
    for (index, line) in text.lines().enumerate() {
        match (line.strip_prefix("```"), open.take()) {
            (Some(_), Some(block)) => blocks.push(block),
            (Some(language), None) => {
                open = Some(Block {
                    file: file.clone(),
                    line: index + 2,
                    language: language.trim().to_owned(),
                    lines: Vec::new(),
                });
            }
            (None, Some(mut block)) => {
                block.lines.push(line.to_owned());
                open = Some(block);
            }
            (None, None) => {}
        }
    }
    assert!(open.is_none(), "{file}: a code block is never closed");
    blocks
}

/// Every block of every file, and the failures the closure finds in them, reported together.
fn check_all(check: impl Fn(&Block, &mut Vec<String>)) {
    let mut failures = Vec::new();
    for path in markdown_files() {
        for block in blocks(&path) {
            check(&block, &mut failures);
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n\n"));
}

#[test]
fn every_block_has_a_language_with_a_rule() {
    check_all(|block, failures| {
        let known = ["console", "sh", "toml"].contains(&block.language.as_str())
            || UNCHECKED.contains(&block.language.as_str());
        if !known {
            failures.push(format!(
                "{}: a ```{} block: give it a language tests/tests/docs.rs knows ({}), or add a rule",
                block.at(0),
                block.language,
                ["console", "sh", "toml"]
                    .iter()
                    .chain(UNCHECKED)
                    .copied()
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
    });
}

#[test]
fn toml_blocks_parse() {
    check_all(|block, failures| {
        if block.language == "toml"
            && let Err(error) = block.lines.join("\n").parse::<toml::Table>()
        {
            failures.push(format!("{}: not TOML: {error}", block.at(0)));
        }
    });
}

#[test]
fn sh_blocks_are_commands_the_project_runs() {
    let packages = workspace_packages();
    check_all(|block, failures| {
        if block.language != "sh" {
            return;
        }
        for (index, line) in block.lines.iter().enumerate() {
            if let Err(why) = check_sh(line, &packages) {
                failures.push(format!("{}: `{}`: {why}", block.at(index), line.trim()));
            }
        }
    });
}

#[test]
fn console_blocks_print_what_they_show() {
    let binary = edgeway().get_program().to_string_lossy().into_owned();
    let mut failures = Vec::new();
    for path in markdown_files() {
        // One fresh example app per file, started when a command first calls it.
        let mut server: Option<Server> = None;
        for block in blocks(&path).iter().filter(|b| b.language == "console") {
            for example in console_examples(block, &mut failures) {
                let mut command = example.command.replace(CARGO_RUN, &binary);
                if command.contains("localhost:3000") {
                    let server = server.get_or_insert_with(|| {
                        Server::start(&repo_root().join("spin.toml"), &[], &[])
                    });
                    command = command.replace("localhost:3000", &server.addr.to_string());
                }
                let output = run_shell(&command);
                if !lines_match(&example.expected, &output) {
                    failures.push(mismatch(block, &example, &output));
                }
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n\n"));
}

/// A console command, the index of its line in the block, and the output shown for it.
struct Example {
    index: usize,
    command: String,
    expected: Vec<String>,
}

/// The commands of a console block with their expected output.
fn console_examples(block: &Block, failures: &mut Vec<String>) -> Vec<Example> {
    let mut examples: Vec<Example> = Vec::new();
    for (index, line) in block.lines.iter().enumerate() {
        if let Some(command) = line.strip_prefix("$ ") {
            examples.push(Example {
                index,
                command: command.to_owned(),
                expected: Vec::new(),
            });
        } else if let Some(example) = examples.last_mut() {
            example.expected.push(line.clone());
        } else {
            failures.push(format!(
                "{}: a console block starts with a `$ ` command",
                block.at(index)
            ));
        }
    }
    examples
}

/// Runs `command` with `sh -c` from the repository root; what it wrote to stdout and stderr.
fn run_shell(command: &str) -> String {
    let child = Command::new("sh")
        .arg("-c")
        .arg(format!("exec 2>&1\n{command}"))
        .current_dir(repo_root())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .expect("sh runs");
    let pid = child.id();
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || sender.send(child.wait_with_output()));
    match receiver.recv_timeout(COMMAND_TIMEOUT) {
        Ok(output) => String::from_utf8_lossy(&output.expect("sh runs").stdout).into_owned(),
        Err(_) => {
            // Safety: a plain signal to the child this function started.
            unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
            format!("(no answer within {COMMAND_TIMEOUT:?})")
        }
    }
}

/// Whether `output` fits the `expected` lines (see the module docs for `…`).
fn lines_match(expected: &[String], output: &str) -> bool {
    let expected: Vec<&str> = trim_trailing_blank(expected.iter().map(String::as_str).collect());
    let actual: Vec<&str> = trim_trailing_blank(
        output
            .lines()
            .map(|line| line.strip_suffix('\r').unwrap_or(line))
            .collect(),
    );
    match_from(&expected, &actual)
}

fn trim_trailing_blank(mut lines: Vec<&str>) -> Vec<&str> {
    while lines.last().is_some_and(|line| line.trim().is_empty()) {
        lines.pop();
    }
    lines
}

fn match_from(expected: &[&str], actual: &[&str]) -> bool {
    match expected.split_first() {
        None => actual.is_empty(),
        Some((&"…", rest)) => (0..=actual.len()).any(|skip| match_from(rest, &actual[skip..])),
        Some((line, rest)) => actual
            .split_first()
            .is_some_and(|(first, after)| line_matches(line, first) && match_from(rest, after)),
    }
}

/// One line against its pattern: `…` stands for any text, the rest must appear in order.
fn line_matches(pattern: &str, line: &str) -> bool {
    let mut pieces = pattern.split('…');
    let first = pieces.next().unwrap_or_default();
    let Some(mut rest) = line.strip_prefix(first) else {
        return false;
    };
    let pieces: Vec<&str> = pieces.collect();
    let Some((last, middle)) = pieces.split_last() else {
        return rest.is_empty();
    };
    for piece in middle {
        match rest.find(piece) {
            Some(at) => rest = &rest[at + piece.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
}

/// A readable report of a console example whose output differs.
fn mismatch(block: &Block, example: &Example, output: &str) -> String {
    let mut report = format!(
        "{}: `{}` printed something else\n  expected:\n",
        block.at(example.index),
        example.command
    );
    for line in &example.expected {
        let _ = writeln!(report, "    {line}");
    }
    report.push_str("  got:\n");
    for line in output.lines() {
        let _ = writeln!(report, "    {line}");
    }
    report
}

/// Why `line` of an sh block is not a command the project runs, if it is not.
///
/// Allowed: comments and blank lines; `scripts/<x>.sh …` (the script exists and is
/// executable); `cargo run --release -q -p edgeway -- <args>` (the binary accepts `<args>
/// --help`, which clap checks flag by flag before it prints help); `cargo test|bench -p <pkg>
/// …` (a package of one of the workspaces); and the Spin commands in [`SPIN_COMMANDS`].
/// Commands may be joined with `&&`, carry a trailing `# comment`, and have environment
/// assignments in front.
fn check_sh(line: &str, packages: &[String]) -> Result<(), String> {
    let words = shell_words(line)?;
    for command in words.split(|word| word == "&&") {
        let command: Vec<&str> = command
            .iter()
            .map(String::as_str)
            .skip_while(|word| is_assignment(word))
            .collect();
        check_command(&command, packages)?;
    }
    Ok(())
}

fn check_command(command: &[&str], packages: &[String]) -> Result<(), String> {
    let cargo_run: Vec<&str> = CARGO_RUN.split(' ').collect();
    match command {
        [] => Err("an empty command".to_owned()),
        [script, ..] if script.starts_with("scripts/") => check_script(script),
        _ if command.starts_with(&cargo_run) => check_cli(&command[cargo_run.len()..]),
        ["cargo", "test" | "bench", "-p", package, ..] => {
            if packages.iter().any(|p| p == package) {
                Ok(())
            } else {
                Err(format!("no workspace has a package `{package}`"))
            }
        }
        ["spin", rest @ ..] if SPIN_COMMANDS.iter().any(|c| rest.starts_with(c)) => Ok(()),
        ["kubectl", rest @ ..] if KUBECTL_COMMANDS.iter().any(|c| rest.starts_with(c)) => Ok(()),
        _ => Err("not a command tests/tests/docs.rs knows: add a rule there first".to_owned()),
    }
}

fn check_script(script: &str) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt as _;
    let path = repo_root().join(script);
    match std::fs::metadata(&path) {
        Ok(metadata) if metadata.permissions().mode() & 0o111 != 0 => Ok(()),
        Ok(_) => Err(format!("{script} is not executable")),
        Err(error) => Err(format!("{script}: {error}")),
    }
}

fn check_cli(args: &[&str]) -> Result<(), String> {
    let output = edgeway()
        .args(args)
        .arg("--help")
        .output()
        .expect("edgeway runs");
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "`edgeway {} --help` refuses it:\n{}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim_end()
        ))
    }
}

/// `NAME=value` in front of a command.
fn is_assignment(word: &str) -> bool {
    word.split_once('=').is_some_and(|(name, _)| {
        !name.is_empty()
            && !name.starts_with(|c: char| c.is_ascii_digit())
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    })
}

/// A line split into words as sh would, quotes removed, up to a `#` that starts a word.
fn shell_words(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut word: Option<String> = None;
    let mut quote: Option<char> = None;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.get_or_insert_default().push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                word.get_or_insert_default();
            }
            (None, '#') if word.is_none() => break,
            (None, c) if c.is_whitespace() => words.extend(word.take()),
            (None, c) => word.get_or_insert_default().push(c),
        }
    }
    if quote.is_some() {
        return Err("an unclosed quote".to_owned());
    }
    words.extend(word);
    Ok(words)
}

/// The packages of the three cargo workspaces: the root, components/ and tests/fuzz/.
fn workspace_packages() -> Vec<String> {
    let mut names = Vec::new();
    for workspace in [".", "components", "tests/fuzz"] {
        let output = Command::new(env!("CARGO"))
            .args([
                "metadata",
                "--no-deps",
                "--offline",
                "--format-version",
                "1",
            ])
            .current_dir(repo_root().join(workspace))
            .output()
            .expect("cargo runs");
        assert!(
            output.status.success(),
            "cargo metadata in {workspace}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let metadata: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        for package in metadata["packages"].as_array().unwrap() {
            names.push(package["name"].as_str().unwrap().to_owned());
        }
    }
    names
}

#[test]
fn relative_links_lead_somewhere() {
    let mut failures = Vec::new();
    for path in markdown_files() {
        let text = std::fs::read_to_string(&path).unwrap();
        let name = path
            .strip_prefix(repo_root())
            .unwrap()
            .display()
            .to_string();
        for (index, line) in text.lines().enumerate() {
            for target in link_targets(line) {
                if let Err(why) = check_link(&path, target) {
                    failures.push(format!("{name}:{}: ({target}): {why}", index + 1));
                }
            }
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// The targets of the `[text](target)` links on a line.
fn link_targets(line: &str) -> Vec<&str> {
    line.match_indices("](")
        .filter_map(|(at, _)| {
            let rest = &line[at + 2..];
            rest.find(')').map(|end| &rest[..end])
        })
        .collect()
}

fn check_link(from: &Path, target: &str) -> Result<(), String> {
    if target.starts_with("https://") || target.starts_with("http://") {
        return Ok(());
    }
    let (file, anchor) = target.split_once('#').unwrap_or((target, ""));
    let file = if file.is_empty() {
        from.to_path_buf()
    } else {
        from.parent().unwrap().join(file)
    };
    if !file.exists() {
        return Err(format!("{} does not exist", file.display()));
    }
    if anchor.is_empty() {
        return Ok(());
    }
    let text = std::fs::read_to_string(&file).map_err(|e| e.to_string())?;
    let found = text
        .lines()
        .filter_map(|line| line.strip_prefix('#'))
        .map(|heading| slug(heading.trim_start_matches('#')))
        .any(|slug| slug == anchor);
    if found {
        Ok(())
    } else {
        Err(format!(
            "no heading of {} has the anchor #{anchor}",
            file.display()
        ))
    }
}

/// A heading's anchor, as GitHub writes it: lowercase, spaces to `-`, other punctuation gone.
fn slug(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

#[test]
fn the_matchers_do_what_the_docs_say() {
    assert_eq!(
        slug(" Where a request's time goes: gateway + 1 handler against A"),
        "where-a-requests-time-goes-gateway--1-handler-against-a"
    );
    assert!(line_matches("{\"a\":1,…}", "{\"a\":1,\"b\":2}"));
    assert!(line_matches("x…y…z", "x1y2z"));
    assert!(!line_matches("x…y…z", "x1z2y"));
    assert!(!line_matches("abc", "abcd"));
    let expected: Vec<String> = ["HTTP/1.1 405", "…"].map(String::from).to_vec();
    assert!(lines_match(&expected, "HTTP/1.1 405\r\na: b\r\nc: d\r\n"));
    assert!(!lines_match(&expected, "HTTP/1.1 404\r\n"));
    assert_eq!(
        shell_words(r#"A="x $(y z)" scripts/up.sh --route "GET /a" # comment"#).unwrap(),
        ["A=x $(y z)", "scripts/up.sh", "--route", "GET /a"]
    );
    let none: &[String] = &[];
    assert!(check_sh("rm -rf target", none).is_err());
    assert!(check_sh("scripts/missing.sh", none).is_err());
    assert!(check_sh("spin deploy", none).is_err());
    assert!(check_sh("spin build && spin up   # both", none).is_ok());
}
