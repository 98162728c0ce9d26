//! What the host's integration tests share: the test components (built once per test
//! process, like the tests crate builds `edgeway`), a running host, a folder, a tiny HTTP
//! client and polling.
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use edgeway_host::{Host, HostConfig};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The repository's root folder.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Builds the test components once per process (release, `wasm32-wasip2`, in the components
/// workspace) and returns the path of `<name>.wasm`.
pub fn component(name: &str) -> PathBuf {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        let status = Command::new(env!("CARGO"))
            .args([
                "build",
                "--release",
                "--quiet",
                "-p",
                "redis-probe",
                "-p",
                "hello-http",
            ])
            .current_dir(repo_root().join("components"))
            .status()
            .expect("cargo runs");
        assert!(status.success(), "building the test components failed");
    });
    repo_root().join(format!("target/wasm32-wasip2/release/{name}.wasm"))
}

/// `tests/handlers/redis-probe`: Redis and HTTP handler writing to the store `default`.
pub fn probe() -> PathBuf {
    component("redis_probe")
}

/// A fresh folder under the system temp dir, removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("edgeway-host-test-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// `HostConfig` with a free port, and the compile cache and stores in `dir`.
pub fn config(dir: &TempDir) -> HostConfig {
    HostConfig {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        cache_dir: repo_root().join("target/edgeway-host-tests/cache"),
        key_value_dir: dir.0.join("kv"),
        ..HostConfig::default()
    }
}

/// A host serving in the background until dropped (or [`Running::stop`]).
pub struct Running {
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Running {
    pub async fn start(config: HostConfig) -> Running {
        let host = Host::bind(config).await.expect("the host binds");
        let addr = host.local_addr();
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(async move {
            host.serve(async {
                let _ = stopped.await;
            })
            .await
            .expect("the host serves");
        });
        Running {
            addr,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// Stops the host and waits until it has finished what was in progress.
    pub async fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        self.task.take().unwrap().await.unwrap();
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// `GET path` over a real socket; returns the status and body.
pub fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response[9..12].parse().unwrap();
    let body = response.split_once("\r\n\r\n").map(|(_, b)| b.to_owned());
    (status, body.unwrap_or_default())
}

/// Polls `check` every 50 ms until it returns `Some`, for at most `within`.
pub async fn eventually<T, F: Future<Output = Option<T>>>(
    within: Duration,
    what: &str,
    mut check: impl FnMut() -> F,
) -> T {
    let deadline = Instant::now() + within;
    loop {
        if let Some(found) = check().await {
            return found;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
