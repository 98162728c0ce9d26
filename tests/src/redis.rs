//! A real `redis-server` for a test: started on a free loopback port, in a temporary folder,
//! without persistence and with every keyspace notification on (`KEA`), and killed when
//! dropped or when the test process ends (see [`crate::cleanup`]).
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use crate::cleanup;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// A running `redis-server`, killed (and its folder removed) when dropped, or at the latest
/// when the test process exits.
pub struct RedisServer {
    /// Where it listens (`127.0.0.1:<port>`).
    pub addr: SocketAddr,
    child: Child,
    dir: PathBuf,
}

impl RedisServer {
    /// Starts `redis-server` (from `PATH`; `scripts/install.sh` installs Debian's) and waits
    /// until it answers `PING`. Panics with the server's output if it does not start.
    pub fn start() -> RedisServer {
        static STARTED: AtomicUsize = AtomicUsize::new(0);
        let dir = cleanup::temp_dir("redis", STARTED.fetch_add(1, Ordering::Relaxed));
        std::fs::create_dir_all(&dir).expect("a temporary folder");
        // Retry with another port if one taken between picking and binding.
        for _ in 0..5 {
            let port = free_port();
            let mut command = Command::new("redis-server");
            command
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
                .args(["--save", "", "--appendonly", "no"])
                .args(["--notify-keyspace-events", "KEA"])
                .arg("--dir")
                .arg(&dir)
                .current_dir(&dir)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
            let child = cleanup::spawn(command)
                .expect("redis-server runs (scripts/install.sh installs it)");
            let mut server = RedisServer {
                addr: SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
                child,
                dir: dir.clone(),
            };
            if server.wait_for_ping(Duration::from_secs(10)) {
                return server;
            }
            let _ = server.child.kill();
            let mut output = String::new();
            if let Some(mut stdout) = server.child.stdout.take() {
                let _ = stdout.read_to_string(&mut output);
            }
            eprintln!("redis-server did not start on port {port}:\n{output}");
            // Keep the folder for the next attempt.
            server.dir = PathBuf::new();
        }
        panic!("redis-server did not start");
    }

    /// The server's URL, e.g. `redis://127.0.0.1:6379`.
    pub fn url(&self) -> String {
        format!("redis://{}", self.addr)
    }

    /// Sends one command (arguments as given) and returns the reply in RESP's text form: a
    /// simple string or error line, an integer, a bulk string's bytes as text, or an array's
    /// items joined by newlines (`(nil)` for a missing value).
    pub fn command(&self, args: &[&[u8]]) -> String {
        let mut stream = TcpStream::connect(self.addr).expect("redis-server accepts");
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let mut request = format!("*{}\r\n", args.len()).into_bytes();
        for arg in args {
            request.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
            request.extend_from_slice(arg);
            request.extend_from_slice(b"\r\n");
        }
        stream.write_all(&request).expect("a command is sent");
        read_reply(&mut BufReader::new(stream))
    }

    fn wait_for_ping(&mut self, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return false;
            }
            let ping = TcpStream::connect(self.addr).and_then(|mut stream| {
                stream.set_read_timeout(Some(Duration::from_secs(1)))?;
                stream.write_all(b"PING\r\n")?;
                let mut line = String::new();
                BufReader::new(stream).read_line(&mut line)?;
                Ok(line)
            });
            if ping.is_ok_and(|line| line.starts_with("+PONG")) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        false
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        cleanup::forget_process(self.child.id());
        if !self.dir.as_os_str().is_empty() {
            cleanup::remove_now(&self.dir);
        }
    }
}

/// A loopback port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

/// Reads one RESP reply (see [`RedisServer::command`]).
fn read_reply(reader: &mut impl BufRead) -> String {
    let mut line = String::new();
    reader.read_line(&mut line).expect("a reply");
    let line = line.trim_end_matches("\r\n");
    let (kind, rest) = line.split_at(1);
    match kind {
        "+" | "-" | ":" => rest.to_owned(),
        "$" => {
            let Ok(len) = rest.parse::<usize>() else {
                return "(nil)".to_owned();
            };
            let mut bytes = vec![0; len + 2];
            reader.read_exact(&mut bytes).expect("a bulk string");
            bytes.truncate(len);
            String::from_utf8_lossy(&bytes).into_owned()
        }
        "*" => {
            let Ok(count) = rest.parse::<usize>() else {
                return "(nil)".to_owned();
            };
            (0..count)
                .map(|_| read_reply(reader))
                .collect::<Vec<_>>()
                .join("\n")
        }
        _ => panic!("unexpected reply {line:?}"),
    }
}
