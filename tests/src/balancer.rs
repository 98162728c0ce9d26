//! A real load balancer for tests: Debian's `haproxy`, round-robin over the given servers,
//! health-checking each on Spin's `/.well-known/spin/health` and retrying a request whose
//! connection failed on another server. Killed when dropped or when the test process ends.
use std::io::Read;
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::cleanup;
use crate::redis::free_port;

/// How often haproxy checks each server, and after how many failed checks it stops sending it
/// requests: a dead replica is out within `CHECK_INTERVAL_MS * FALL`.
pub const CHECK_INTERVAL_MS: u64 = 300;
/// Failed checks before a server is taken out.
pub const FALL: u32 = 2;
/// Passed checks before a server is taken (back) in.
pub const RISE: u32 = 2;

/// A running `haproxy`.
pub struct Balancer {
    /// Where it listens (`127.0.0.1:<port>`).
    pub addr: SocketAddr,
    child: Child,
    dir: PathBuf,
}

impl Balancer {
    /// Starts haproxy in front of `servers` and waits until it accepts connections and sees
    /// every server up.
    pub fn start(servers: &[SocketAddr]) -> Balancer {
        static STARTED: AtomicUsize = AtomicUsize::new(0);
        let dir = cleanup::temp_dir("haproxy", STARTED.fetch_add(1, Ordering::Relaxed));
        std::fs::create_dir_all(&dir).expect("a temporary folder");
        let port = free_port();
        let config = dir.join("haproxy.cfg");
        std::fs::write(&config, config_text(port, servers)).expect("haproxy.cfg written");
        let mut command = Command::new("haproxy");
        // -db: stay in the foreground, so that killing the child stops haproxy.
        command
            .arg("-db")
            .arg("-f")
            .arg(&config)
            .current_dir(&dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let child = cleanup::spawn(command).expect("haproxy runs (scripts/install.sh installs it)");
        let mut balancer = Balancer {
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
            child,
            dir,
        };
        balancer.wait_until_serving(servers.len());
        balancer
    }

    /// Waits until haproxy answers and every server has passed its health check (a request
    /// to each of them in turn succeeds).
    fn wait_until_serving(&mut self, servers: usize) {
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut healthy_in_a_row = 0;
        while healthy_in_a_row < servers * 2 {
            if let Ok(Some(status)) = self.child.try_wait() {
                let mut output = String::new();
                if let Some(mut stderr) = self.child.stderr.take() {
                    let _ = stderr.read_to_string(&mut output);
                }
                panic!("haproxy exited ({status}):\n{output}");
            }
            assert!(Instant::now() < deadline, "haproxy did not start serving");
            let healthy = TcpStream::connect(self.addr).is_ok()
                && crate::get(self.addr, "/.well-known/spin/health").status == 200;
            healthy_in_a_row = if healthy { healthy_in_a_row + 1 } else { 0 };
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Balancer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        cleanup::forget_process(self.child.id());
        cleanup::remove_now(&self.dir);
    }
}

/// Round-robin over `servers`; a request whose connection fails (the server is gone) is sent
/// to another server (`retries`, `redispatch`), and only a failed connection is retried, so a
/// POST is never sent twice.
fn config_text(port: u16, servers: &[SocketAddr]) -> String {
    let mut text = format!(
        "global
    maxconn 1024

defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    # A live replica slow to answer under load is not down; a dead one refuses at once.
    timeout check 2s
    retries 3
    option redispatch 1

frontend web
    bind 127.0.0.1:{port}
    default_backend replicas

backend replicas
    balance roundrobin
    option httpchk GET /.well-known/spin/health
    default-server check inter {CHECK_INTERVAL_MS}ms fall {FALL} rise {RISE}
"
    );
    for (index, server) in servers.iter().enumerate() {
        text.push_str(&format!("    server replica{index} {server}\n"));
    }
    text
}
