//! Starting `edgeway up` as a child process and waiting until it serves.
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, mpsc};
use std::time::{Duration, Instant};

use crate::cleanup;

/// The repository's root folder.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// The `edgeway` binary, built once per test process.
pub fn edgeway() -> Command {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    let binary = BUILT.get_or_init(|| {
        let status = Command::new(env!("CARGO"))
            .args(["build", "--release", "--quiet", "-p", "edgeway"])
            .current_dir(repo_root())
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building edgeway failed");
        repo_root().join("target/release/edgeway")
    });
    let mut command = Command::new(binary);
    command.current_dir(repo_root());
    command
}

/// Whether the HTTP suites run against a split deployment (`EDGEWAY_TEST_SPLIT=1`): every
/// server is then started with `edgeway up --split`, one component per group of routes.
pub fn split_mode() -> bool {
    std::env::var("EDGEWAY_TEST_SPLIT").is_ok_and(|v| v == "1")
}

/// The WASI version the HTTP suites build the apps for (`EDGEWAY_TEST_WASI=0.3`), if not the
/// manifests' own: every server is then started with `edgeway up --wasi <version>`.
pub fn wasi_mode() -> Option<String> {
    std::env::var("EDGEWAY_TEST_WASI")
        .ok()
        .filter(|v| !v.is_empty())
}

/// What `edgeway build` and `edgeway up` are given besides `args` for the modes the
/// environment asks for: `--split`, `--wasi <version>`.
pub fn mode_args(args: &[&str]) -> Vec<String> {
    let mut extra = Vec::new();
    if split_mode() && !args.contains(&"--split") {
        extra.push("--split".to_owned());
    }
    if let Some(wasi) = wasi_mode().filter(|_| !args.contains(&"--wasi")) {
        extra.extend(["--wasi".to_owned(), wasi]);
    }
    extra
}

/// Servers started by this process, to give each its own store.
static SERVERS: AtomicUsize = AtomicUsize::new(0);

/// A running `edgeway up`, stopped when dropped, or at the latest when the test process exits.
pub struct Server {
    pub addr: SocketAddr,
    child: Arc<Mutex<Child>>,
    /// What the server wrote to stderr so far.
    stderr: Arc<Mutex<String>>,
    /// The key-value folder [`Server::start`] made for it, removed with the server.
    own_store: Option<PathBuf>,
}

impl Server {
    /// Starts `edgeway up --host local` on a free port with the manifest, extra arguments and
    /// environment, and a key-value store of its own; waits until it serves.
    pub fn start(manifest: &Path, args: &[&str], envs: &[(&str, &str)]) -> Server {
        Server::start_at(manifest, SocketAddr::from(([127, 0, 0, 1], 0)), args, envs)
    }

    /// Like [`Server::start`], keeping key-value data in `key_value_dir` (to test that data
    /// outlives a restart).
    pub fn start_with_store(
        manifest: &Path,
        args: &[&str],
        envs: &[(&str, &str)],
        key_value_dir: &Path,
    ) -> Server {
        Server::spawn(manifest, "127.0.0.1:0", args, envs, key_value_dir)
    }

    /// Like [`Server::start`], listening on `listen` (to start a replica again where a load
    /// balancer expects it).
    pub fn start_at(
        manifest: &Path,
        listen: SocketAddr,
        args: &[&str],
        envs: &[(&str, &str)],
    ) -> Server {
        let key_value_dir = cleanup::temp_dir("kv", SERVERS.fetch_add(1, Ordering::Relaxed));
        let listen = listen.to_string();
        let mut server = Server::spawn(manifest, &listen, args, envs, &key_value_dir);
        server.own_store = Some(key_value_dir);
        server
    }

    fn spawn(
        manifest: &Path,
        listen: &str,
        args: &[&str],
        envs: &[(&str, &str)],
        key_value_dir: &Path,
    ) -> Server {
        let mut command = edgeway();
        command
            .args(["up", "--host", "local", "--listen", listen, "--manifest"])
            .arg(manifest)
            .arg("--key-value-dir")
            .arg(key_value_dir)
            .args(mode_args(args))
            .args(args)
            .envs(envs.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        // Stop the server when the test process ends, however it ends.
        let mut child = cleanup::spawn(command).expect("edgeway starts");
        let stdout = child.stdout.take().unwrap();
        let stderr_pipe = child.stderr.take().unwrap();
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = stderr.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr_pipe).lines().map_while(Result::ok) {
                eprintln!("[edgeway] {line}");
                sink.lock().unwrap().push_str(&(line + "\n"));
            }
        });
        let (ready, serving) = mpsc::channel();
        std::thread::spawn(move || {
            let mut ready = Some(ready);
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let (Some(addr), Some(ready)) =
                    (line.strip_prefix("Serving http://"), ready.take())
                {
                    let _ = ready.send(addr.parse::<SocketAddr>().expect("a socket address"));
                }
            }
        });
        let addr = match serving.recv_timeout(Duration::from_secs(900)) {
            Ok(addr) => addr,
            Err(_) => panic!(
                "edgeway did not start serving; stderr:\n{}",
                stderr.lock().unwrap()
            ),
        };
        Server {
            addr,
            child: Arc::new(Mutex::new(child)),
            stderr,
            own_store: None,
        }
    }

    /// The server's process id (to read its memory from /proc).
    pub fn pid(&self) -> u32 {
        self.child.lock().unwrap().id()
    }

    /// Sends the server SIGTERM, as a service manager stopping it would.
    pub fn terminate(&self) {
        let pid = libc::pid_t::try_from(self.pid()).expect("a process id");
        assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0, "kill failed");
    }

    /// Kills the server at once (SIGKILL), as a crash or an out-of-memory kill would.
    pub fn kill(&self) {
        let _ = self.child.lock().unwrap().kill();
    }

    /// Waits up to `timeout` for the server to exit; `None` if it still runs.
    pub fn wait_for_exit(&self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let deadline = std::time::Instant::now() + timeout;
        let mut child = self.child.lock().unwrap();
        loop {
            if let Some(status) = child.try_wait().expect("try_wait") {
                return Some(status);
            }
            if std::time::Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Everything the server wrote to stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Waits up to `within` for `text` in the server's stderr, which is read on a thread of
    /// its own and so may lag behind what the server has done; whether it came.
    pub fn wait_for_stderr(&self, text: &str, within: Duration) -> bool {
        let deadline = Instant::now() + within;
        while !self.stderr().contains(text) {
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        true
    }

    /// Everything the server wrote to stderr before this call, all of it read: it sends a
    /// request of its own (a logged 404, so the app must have a gateway) and waits for its
    /// access-log line, which the server writes after every line of requests already answered.
    pub fn settled_stderr(&self) -> String {
        self.settled().0
    }

    /// The gateway's access-log records of every request answered so far: guest lines
    /// (`[req <host id>] {...}`) whose JSON has a `request_id`, read once settled (see
    /// `settled_stderr`), without the record of the settling request.
    pub fn access_log(&self) -> Vec<serde_json::Value> {
        let (stderr, marker) = self.settled();
        access_records(&stderr)
            .into_iter()
            .filter(|record| record["request_id"] != *marker)
            .collect()
    }

    /// Settled stderr and the request id of the request that settled it.
    fn settled(&self) -> (String, String) {
        static MARKERS: AtomicUsize = AtomicUsize::new(0);
        let marker = format!("log-marker-{}", MARKERS.fetch_add(1, Ordering::Relaxed));
        let headers = [("x-request-id", marker.as_str())];
        crate::request(self.addr, "GET", "/edgeway-tests/log-marker", &headers, b"");
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            let stderr = self.stderr();
            if access_records(&stderr)
                .iter()
                .any(|record| record["request_id"] == *marker)
            {
                return (stderr, marker);
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no access-log line for {marker}; stderr:\n{stderr}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// The access-log records in `stderr`: guest JSON lines with a `request_id`.
fn access_records(stderr: &str) -> Vec<serde_json::Value> {
    stderr
        .lines()
        .filter_map(|line| line.strip_prefix("[req ")?.split_once("] "))
        .filter_map(|(_, rest)| serde_json::from_str::<serde_json::Value>(rest).ok())
        .filter(|record| record["request_id"].is_string())
        .collect()
}

impl Drop for Server {
    fn drop(&mut self) {
        let mut child = self.child.lock().unwrap();
        let _ = child.kill();
        let _ = child.wait();
        cleanup::forget_process(child.id());
        if let Some(store) = &self.own_store {
            cleanup::remove_now(store);
        }
    }
}

/// The test app (tests/app/spin.toml) on the local host, shared by the tests of a process.
pub fn test_app() -> &'static Server {
    static APP: OnceLock<Server> = OnceLock::new();
    APP.get_or_init(|| start_test_app(&[]))
}

/// The test app (tests/app/spin.toml, with the variables its auth needs) on a server of its
/// own, started with `args`: for tests that need other settings, or whose requests must not
/// share an instance with other tests' requests.
pub fn start_test_app(args: &[&str]) -> Server {
    Server::start(
        &repo_root().join("tests/app/spin.toml"),
        args,
        &crate::tokens::variables(),
    )
}
