//! The hostile request corpus (`tests/hostile/*.toml`): requests written byte for byte, each
//! with the answer it must get. The format is described in `tests/hostile/README.md`.
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;

use crate::http::{Answer, Response, send_raw};

/// One file of the corpus.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    case: Vec<Case>,
}

/// One hostile request and the answer it must get.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    /// Unique across the corpus.
    pub name: String,
    /// The request head (and, if `body` is absent, whatever follows it), with escapes.
    pub raw: String,
    /// The body, with escapes but without newline translation; `{len}` in `raw` becomes its
    /// length in bytes.
    #[serde(default)]
    pub body: Option<String>,
    /// A status, or `"refused"`: the connection is closed without an answer.
    pub expect: Expect,
    /// Who answers: `gateway` (the default) or `host` (the request never reaches the
    /// gateway: hyper's own answers and the host's problems).
    #[serde(default)]
    pub by: By,
    /// The problem type's last part (`invalid-path` for `urn:edgeway:problem:invalid-path`).
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// Text the response body must contain.
    #[serde(default)]
    pub contains: Option<String>,
    /// Text the response body must not contain.
    #[serde(default)]
    pub lacks: Option<String>,
    /// Response headers (lowercase names) and text each must contain.
    #[serde(default)]
    pub headers_contain: BTreeMap<String, String>,
    /// Response headers (lowercase names) and text each must not contain (absent is fine).
    #[serde(default)]
    pub headers_lack: BTreeMap<String, String>,
    /// The request aims at a route with auth and carries no valid credentials: whatever
    /// else happens, it must not get a 2xx.
    #[serde(default)]
    pub protected: bool,
    /// Close the writing half of the connection after sending (a truncated request).
    #[serde(default)]
    pub half_close: bool,
    /// Why the case is there, or what it shows.
    #[serde(default)]
    pub note: Option<String>,
}

/// The answer a case expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum Expect {
    /// This status.
    Status(u16),
    /// `"refused"`: no answer, the connection is closed.
    Word(Refused),
}

/// The one word `expect` may hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Refused {
    /// The connection is closed without an answer.
    Refused,
}

/// Who writes the answer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum By {
    /// The gateway: a problem+json with the gateway's fields, or the handler's answer.
    #[default]
    Gateway,
    /// The host, before the gateway: no `x-request-id`.
    Host,
}

/// Every case of every `*.toml` file under `dir`, in file and then file order; panics on a
/// file that does not parse or on a name used twice.
pub fn load(dir: &Path) -> Vec<Case> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    let mut cases: Vec<Case> = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        let file: File =
            toml::from_str(&text).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
        cases.extend(file.case);
    }
    let mut names: Vec<&str> = cases.iter().map(|c| c.name.as_str()).collect();
    names.sort_unstable();
    if let Some(twice) = names.windows(2).find(|w| w[0] == w[1]) {
        panic!("case name {:?} is used twice", twice[0]);
    }
    cases
}

impl Case {
    /// The bytes to send.
    pub fn bytes(&self) -> Vec<u8> {
        let body = self
            .body
            .as_deref()
            .map(|b| decode(b, false))
            .unwrap_or_default();
        let raw = self.raw.replace("{len}", &body.len().to_string());
        let mut bytes = decode(&raw, true);
        bytes.extend_from_slice(&body);
        bytes
    }

    /// Sends the case to `addr` and checks the answer; `Err` says what was wrong.
    pub fn run(&self, addr: SocketAddr) -> Result<(), String> {
        let head = self.raw.starts_with("HEAD ");
        let answer = send_raw(
            addr,
            self.bytes(),
            self.half_close,
            head,
            Duration::from_secs(20),
        );
        self.check(&answer)
    }

    fn check(&self, answer: &Answer) -> Result<(), String> {
        let response = match (answer, self.expect) {
            (Answer::Closed, Expect::Word(Refused::Refused)) => return Ok(()),
            (Answer::Response(response), Expect::Status(_)) => response,
            (other, _) => return Err(format!("expected {:?}, got {other:?}", self.expect)),
        };
        let status = response.status;
        if self.protected && (200..300).contains(&status) {
            return Err(format!("policy bypass: {status} {}", response.text()));
        }
        if self.expect != Expect::Status(status) {
            return Err(format!(
                "expected {:?}, got {status}: {}",
                self.expect,
                response.text()
            ));
        }
        let from_gateway = response.header("x-request-id").is_some();
        match self.by {
            By::Gateway if !from_gateway => return Err("not answered by the gateway".into()),
            By::Host if from_gateway => return Err("answered by the gateway, not the host".into()),
            // The answer to a HEAD has no body to check.
            By::Gateway if status >= 400 && !self.raw.starts_with("HEAD ") => {
                gateway_problem(response, self.kind.as_deref())?
            }
            _ => {}
        }
        if status >= 500 && self.by == By::Gateway {
            return Err(format!("the gateway answered {status}"));
        }
        let body = response.text();
        if let Some(text) = self
            .contains
            .as_ref()
            .filter(|t| !body.contains(t.as_str()))
        {
            return Err(format!("body lacks {text:?}: {body}"));
        }
        if let Some(text) = self.lacks.as_ref().filter(|t| body.contains(t.as_str())) {
            return Err(format!("body has {text:?}: {body}"));
        }
        for (name, text) in &self.headers_contain {
            let value = response.header(name).unwrap_or_default();
            if !value.contains(text.as_str()) {
                return Err(format!("header {name} is {value:?}, without {text:?}"));
            }
        }
        for (name, text) in &self.headers_lack {
            if let Some(value) = response.header(name).filter(|v| v.contains(text.as_str())) {
                return Err(format!("header {name} is {value:?}, with {text:?}"));
            }
        }
        Ok(())
    }
}

/// Checks that `response` is the gateway's problem+json, of `kind` if given.
fn gateway_problem(response: &Response, kind: Option<&str>) -> Result<(), String> {
    if response.header("content-type") != Some("application/problem+json") {
        return Err(format!(
            "not a problem: {:?}",
            response.header("content-type")
        ));
    }
    let problem: serde_json::Value = serde_json::from_slice(&response.body)
        .map_err(|e| format!("problem is not JSON ({e}): {}", response.text()))?;
    let kind_found = problem["type"]
        .as_str()
        .and_then(|t| t.strip_prefix("urn:edgeway:problem:"))
        .ok_or_else(|| format!("no edgeway problem type: {problem}"))?;
    let fields_ok = problem["status"] == response.status
        && problem["title"].as_str().is_some_and(|t| !t.is_empty())
        && problem["detail"].as_str().is_some_and(|t| !t.is_empty())
        && problem["instance"].is_string()
        && problem["request_id"].as_str() == response.header("x-request-id");
    if !fields_ok {
        return Err(format!("incomplete problem: {problem}"));
    }
    match kind {
        Some(kind) if kind != kind_found => Err(format!("expected type {kind}, got {problem}")),
        _ => Ok(()),
    }
}

/// Turns corpus text into bytes. Escapes: `\r`, `\n`, `\t`, `\0`, `\\`, `\xHH` (any byte),
/// `\{N*text}` (`text` N times; escapes and repetitions may nest, `\x7d` is a `}`). With
/// `crlf`, a real line break becomes `\r\n` (so a request head reads as it would on the
/// wire), while the escapes `\n` and `\r` stay bare.
pub fn decode(text: &str, crlf: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        rest = &rest[c.len_utf8()..];
        match c {
            '\n' if crlf => out.extend_from_slice(b"\r\n"),
            '\\' => rest = escape(rest, crlf, &mut out),
            c => out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
        }
    }
    out
}

/// Decodes the escape at the start of `rest` (after its `\`) into `out`; returns what follows.
fn escape<'t>(rest: &'t str, crlf: bool, out: &mut Vec<u8>) -> &'t str {
    let (byte, after) = match rest.as_bytes().first() {
        Some(b'r') => (b'\r', &rest[1..]),
        Some(b'n') => (b'\n', &rest[1..]),
        Some(b't') => (b'\t', &rest[1..]),
        Some(b'0') => (0, &rest[1..]),
        Some(b'\\') => (b'\\', &rest[1..]),
        Some(b'x') => {
            let byte = rest
                .get(1..3)
                .and_then(|hex| u8::from_str_radix(hex, 16).ok());
            (byte.unwrap_or_else(|| bad_escape(rest)), &rest[3..])
        }
        Some(b'{') => {
            let end = closing_brace(rest).unwrap_or_else(|| bad_escape(rest));
            let (count, text) = rest[1..end]
                .split_once('*')
                .unwrap_or_else(|| bad_escape(rest));
            let count: usize = count.parse().unwrap_or_else(|_| bad_escape(rest));
            let unit = decode(text, crlf);
            for _ in 0..count {
                out.extend_from_slice(&unit);
            }
            return &rest[end + 1..];
        }
        _ => bad_escape(rest),
    };
    out.push(byte);
    after
}

/// Where the `}` that closes the `{` at the start of `rest` is: a `\{` inside opens a
/// nested repetition, a bare `{` is text.
fn closing_brace(rest: &str) -> Option<usize> {
    let bytes = rest.as_bytes();
    let mut depth = 1;
    let mut at = 1;
    while at < bytes.len() {
        match bytes[at] {
            b'\\' if bytes.get(at + 1) == Some(&b'{') => {
                depth += 1;
                at += 1;
            }
            b'\\' => at += 1,
            b'}' if depth == 1 => return Some(at),
            b'}' => depth -= 1,
            _ => {}
        }
        at += 1;
    }
    None
}

fn bad_escape<T>(rest: &str) -> T {
    let shown: String = rest.chars().take(20).collect();
    panic!("bad escape at \\{shown}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_escapes_and_line_breaks() {
        assert_eq!(
            decode("GET / HTTP/1.1\nHost: x\n\n", true),
            b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
        );
        assert_eq!(decode("a\\nb\\r\\x00\\xff\\\\", true), b"a\nb\r\x00\xff\\");
        assert_eq!(decode("<\\{3*ab}>", false), b"<ababab>");
        assert_eq!(decode("\\{2*(\\{2*x})}", false), b"(xx)(xx)");
        assert_eq!(decode("\\{2*\\x7d}", false), b"}}");
        assert_eq!(decode("line\n", false), b"line\n");
        assert_eq!(decode("J\u{fc}", false), "J\u{fc}".as_bytes());
    }
}
