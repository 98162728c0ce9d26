//! A deliberately small HTTP/1.1 client over a plain TCP socket, so tests control every byte
//! they send (raw paths, methods, bodies) and see every byte they get back.
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// A response as received.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    /// Header names lowercased, in the order received.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// The first header called `name` (lowercase).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON; panics with the body if it is not.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    /// The body as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Asserts that this is an RFC 9457 problem with `status` and the type
    /// `urn:edgeway:problem:<kind>`, carrying the response's request id; returns its body.
    pub fn problem(&self, status: u16, kind: &str) -> serde_json::Value {
        assert_eq!(self.status, status, "{}", self.text());
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json")
        );
        let problem = self.json();
        assert_eq!(problem["status"], status);
        assert_eq!(problem["type"], format!("urn:edgeway:problem:{kind}"));
        assert!(!problem["title"].as_str().unwrap().is_empty());
        assert!(!problem["detail"].as_str().unwrap().is_empty());
        assert_eq!(problem["request_id"].as_str(), self.header("x-request-id"));
        problem
    }
}

/// Sends `method target` with the headers and body, and reads the whole response.
pub fn request(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Response {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(120)))
        .unwrap();
    let mut head = format!("{method} {target} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n");
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    if !body.is_empty() || matches!(method, "POST" | "PUT" | "PATCH") {
        head.push_str(&format!("content-length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    // Send the body while reading: a server may answer (413, say) before reading it all and
    // close, and the answer must still be seen.
    let mut writer = stream.try_clone().unwrap();
    let body = body.to_vec();
    std::thread::spawn(move || writer.write_all(&body));
    let raw = read_to_end(&mut stream);
    parse(&raw, method == "HEAD")
}

/// Writes `raw` (a request head and as much of a body as the test wants) as it is, closes
/// the writing half if `close_write`, and reads the answer: `None` if the server closed the
/// connection without one. Reading gives up after `timeout`.
pub fn exchange(
    addr: SocketAddr,
    raw: &[u8],
    close_write: bool,
    timeout: Duration,
) -> Option<Response> {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(timeout)).unwrap();
    stream.write_all(raw).unwrap();
    if close_write {
        stream.shutdown(std::net::Shutdown::Write).unwrap();
    }
    let raw = read_to_end(&mut stream);
    (!raw.is_empty()).then(|| parse(&raw, false))
}

/// What a raw exchange got back.
#[derive(Debug)]
pub enum Answer {
    /// A complete response (the first final one; interim `1xx` answers are skipped).
    Response(Response),
    /// The server closed the connection without answering.
    Closed,
    /// Nothing came back within the time allowed, and the connection stayed open.
    Silent,
    /// Part of a response came, then the connection broke or stalled.
    Broken(String),
}

/// Writes `raw` as it is (on a thread of its own, so a server that answers before reading
/// everything is still heard), closes the writing half afterwards if `half_close`, and
/// reads the first response (without a body if `head_only`: the answer to a `HEAD`). Write
/// errors are ignored: the server may close early.
pub fn send_raw(
    addr: SocketAddr,
    raw: Vec<u8>,
    half_close: bool,
    head_only: bool,
    timeout: Duration,
) -> Answer {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(timeout)).unwrap();
    let mut writer = stream.try_clone().unwrap();
    std::thread::spawn(move || {
        if writer.write_all(&raw).is_ok() && half_close {
            let _ = writer.shutdown(std::net::Shutdown::Write);
        }
    });
    let mut pending = Vec::new();
    match read_response(&mut stream, &mut pending, head_only) {
        Ok(Some(response)) => Answer::Response(response),
        Ok(None) => Answer::Closed,
        Err(error) if pending.is_empty() => match error.kind() {
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => Answer::Silent,
            _ => Answer::Closed,
        },
        Err(error) => Answer::Broken(format!(
            "{error} after {:?}",
            String::from_utf8_lossy(&pending[..pending.len().min(200)])
        )),
    }
}

/// Reads one response from a connection that may carry more (keep-alive). `pending` holds
/// bytes read past the previous response and keeps those past this one. `Ok(None)` if the
/// connection closed before a response began; interim `1xx` responses are skipped.
pub fn read_response(
    stream: &mut TcpStream,
    pending: &mut Vec<u8>,
    head_only: bool,
) -> std::io::Result<Option<Response>> {
    let mut buffer = [0u8; 64 * 1024];
    loop {
        if let Some((response, used)) = complete_response(pending, head_only) {
            pending.drain(..used);
            if (100..200).contains(&response.status) && response.status != 101 {
                continue;
            }
            return Ok(Some(response));
        }
        match stream.read(&mut buffer)? {
            0 if pending.is_empty() => return Ok(None),
            0 => {
                // A response framed by the end of the connection is complete now.
                let framed_by_close = pending.windows(4).any(|w| w == b"\r\n\r\n");
                if framed_by_close {
                    let response = parse(pending, head_only);
                    pending.clear();
                    return Ok(Some(response));
                }
                return Err(std::io::ErrorKind::UnexpectedEof.into());
            }
            n => pending.extend_from_slice(&buffer[..n]),
        }
    }
}

/// The response at the start of `raw` and the bytes it takes, if it is all there and its
/// length is known from its head (`content-length`, chunked, or no body).
fn complete_response(raw: &[u8], head_only: bool) -> Option<(Response, usize)> {
    let head_end = raw.windows(4).position(|w| w == b"\r\n\r\n")? + 4;
    let head = parse(&raw[..head_end], true);
    let no_body = head_only || matches!(head.status, 100..=199 | 204 | 304);
    let chunked = head
        .header("transfer-encoding")
        .is_some_and(|v| v.contains("chunked"));
    let length = if no_body {
        0
    } else if chunked {
        chunked_length(&raw[head_end..])?
    } else {
        head.header("content-length")?.parse::<usize>().ok()?
    };
    let end = head_end + length;
    (raw.len() >= end).then(|| (parse(&raw[..end], no_body), end))
}

/// The length of a complete chunked body at the start of `rest`, if it is all there.
fn chunked_length(rest: &[u8]) -> Option<usize> {
    let mut at = 0;
    loop {
        let line_end = rest[at..].windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&rest[at..at + line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        at += line_end + 2 + size + 2;
        if size == 0 {
            return (rest.len() >= at).then_some(at);
        }
    }
}

/// Everything the server sends until it closes the connection.
fn read_to_end(stream: &mut TcpStream) -> Vec<u8> {
    let mut raw = Vec::new();
    let mut buffer = [0u8; 64 * 1024];
    loop {
        match stream.read(&mut buffer) {
            Ok(0) => break,
            Ok(n) => raw.extend_from_slice(&buffer[..n]),
            // A reset after the answer arrived (the server closed with our body unread).
            Err(error)
                if error.kind() == std::io::ErrorKind::ConnectionReset && !raw.is_empty() =>
            {
                break;
            }
            Err(error) => panic!("reading the response failed: {error}"),
        }
    }
    raw
}

/// Runs `call(0..n)` on `n` threads at once and returns the results in order.
pub fn concurrently<T: Send + 'static>(
    n: usize,
    call: impl Fn(usize) -> T + Send + Sync + 'static,
) -> Vec<T> {
    let call = std::sync::Arc::new(call);
    let threads: Vec<_> = (0..n)
        .map(|i| {
            let call = call.clone();
            std::thread::spawn(move || call(i))
        })
        .collect();
    threads.into_iter().map(|t| t.join().unwrap()).collect()
}

/// `GET target`.
pub fn get(addr: SocketAddr, target: &str) -> Response {
    request(addr, "GET", target, &[], b"")
}

fn parse(raw: &[u8], head_only: bool) -> Response {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete response head");
    let head = std::str::from_utf8(&raw[..split]).expect("an ASCII head");
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .map(|line| {
            let (name, value) = line.split_once(':').expect("a header line");
            (name.to_ascii_lowercase(), value.trim().to_owned())
        })
        .collect();
    let rest = &raw[split + 4..];
    let chunked = headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.contains("chunked"));
    let body = if head_only {
        Vec::new()
    } else if chunked {
        dechunk(rest)
    } else {
        rest.to_vec()
    };
    Response {
        status,
        headers,
        body,
    }
}

fn dechunk(mut rest: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    loop {
        let line_end = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("a chunk size line");
        let size_text = std::str::from_utf8(&rest[..line_end]).unwrap();
        let size = usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16).unwrap();
        rest = &rest[line_end + 2..];
        if size == 0 {
            return body;
        }
        body.extend_from_slice(&rest[..size]);
        rest = &rest[size + 2..];
    }
}
