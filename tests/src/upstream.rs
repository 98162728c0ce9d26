//! A small HTTP/1.1 server on loopback for handlers to call: the upstream of the outbound
//! tests. It answers
//!
//! - `GET /hello`: `200` JSON `{"upstream": "hello", "request_id": <x-request-id>}`;
//! - `GET /slow/<ms>`: `200` `late` after `<ms>` milliseconds;
//! - anything else: `404` `no such path`;
//!
//! (whatever the query) and keeps the targets it received, so a test can tell a refused call
//! never arrived.
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A running upstream; it serves until the test process ends.
pub struct Upstream {
    /// Where it listens (`127.0.0.1:<port>`).
    pub addr: SocketAddr,
    received: Arc<Mutex<Vec<String>>>,
}

impl Upstream {
    /// Starts one on a free port.
    pub fn start() -> Upstream {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        let addr = listener.local_addr().unwrap();
        let received = Arc::new(Mutex::new(Vec::new()));
        let kept = received.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let kept = kept.clone();
                std::thread::spawn(move || answer(stream, &kept));
            }
        });
        Upstream { addr, received }
    }

    /// Whether a request for `target` (path and query) arrived.
    pub fn received(&self, target: &str) -> bool {
        self.received.lock().unwrap().iter().any(|t| t == target)
    }

    /// Its port.
    pub fn port(&self) -> u16 {
        self.addr.port()
    }
}

/// A loopback port nothing listens on: bound, then let go.
pub fn down_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn answer(stream: TcpStream, received: &Mutex<Vec<String>>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let mut reader = BufReader::new(&stream);
    let mut line = String::new();
    if reader.read_line(&mut line).is_err() {
        return;
    }
    let target = line.split_whitespace().nth(1).unwrap_or("/").to_owned();
    received.lock().unwrap().push(target.clone());
    let path = target.split('?').next().unwrap_or_default();
    let mut request_id = String::new();
    loop {
        let mut header = String::new();
        match reader.read_line(&mut header) {
            Ok(0) | Err(_) => return,
            Ok(_) if header.trim().is_empty() => break,
            Ok(_) => {
                if let Some((name, value)) = header.split_once(':')
                    && name.eq_ignore_ascii_case("x-request-id")
                {
                    request_id = value.trim().to_owned();
                }
            }
        }
    }
    let (status, kind, body) = if path == "/hello" {
        let body = serde_json::json!({ "upstream": "hello", "request_id": request_id });
        ("200 OK", "application/json", body.to_string())
    } else if let Some(ms) = path.strip_prefix("/slow/").and_then(|ms| ms.parse().ok()) {
        std::thread::sleep(Duration::from_millis(ms));
        ("200 OK", "text/plain", "late".to_owned())
    } else {
        ("404 Not Found", "text/plain", "no such path".to_owned())
    };
    let response = format!(
        "HTTP/1.1 {status}\r\ncontent-type: {kind}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = (&stream).write_all(response.as_bytes());
}
