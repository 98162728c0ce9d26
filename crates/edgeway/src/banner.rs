//! The banner `edgeway up` prints on stderr once the app is loaded, before it serves: the
//! URL, the host, how the app was built, and its route table (as `edgeway routes` prints it).
use std::net::SocketAddr;

use edgeway_host::AppComponent;
use edgeway_manifest::{Manifest, Wasi};

use crate::routes::route_table;

/// Which host serves the app.
#[derive(Clone, Copy)]
pub enum HostKind {
    Spin,
    Local,
}

/// How the app was built.
#[derive(Clone, Copy)]
pub enum Build {
    /// One component: the gateway composed with every handler.
    Single,
    /// A split deployment of this many components.
    Split(usize),
}

/// What the banner says besides the address, which is known only once the host listens.
pub struct Banner {
    host: HostKind,
    build: Build,
    wasi: Wasi,
    routes: Vec<String>,
}

impl Banner {
    pub fn new(manifest: &Manifest, host: HostKind, build: Build) -> Banner {
        Banner {
            host,
            build,
            wasi: manifest.wasi,
            routes: route_table(manifest),
        }
    }

    /// Prints the banner for an app served on `addr`.
    pub fn print(&self, addr: SocketAddr) {
        eprintln!("{}", self.lines(addr).join("\n"));
    }

    fn lines(&self, addr: SocketAddr) -> Vec<String> {
        let host = match (self.host, self.wasi) {
            (HostKind::Spin, _) => "Spin (spin up)",
            (HostKind::Local, Wasi::P2) => "local (wasmtime, a fresh instance per request)",
            (HostKind::Local, Wasi::P3) => "local (wasmtime, instances reused across requests)",
        };
        let build = match self.build {
            Build::Single => "single component (the gateway composed with every handler)".into(),
            Build::Split(1) => "split, 1 component".into(),
            Build::Split(n) => format!("split, {n} components"),
        };
        let build = format!("{build}, WASI {}", self.wasi);
        let mut lines = vec![
            String::new(),
            format!("  edgeway up: http://{addr}"),
            format!("  host:   {host}"),
            format!("  build:  {build}"),
            "  routes:".into(),
        ];
        lines.extend(self.routes.iter().map(|line| format!("    {line}")));
        lines.push(String::new());
        lines
    }
}

/// The banner of the local host serving `components` (those with trigger routes are the
/// app's; with `split`, one per group of routes).
pub fn local_banner(manifest: &Manifest, components: &[AppComponent], split: bool) -> Banner {
    let build = if split {
        let http = components.iter().filter(|c| !c.trigger_routes.is_empty());
        Build::Split(http.count())
    } else {
        Build::Single
    };
    Banner::new(manifest, HostKind::Local, build)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn says_where_what_how_and_lists_the_routes() {
        let banner = Banner {
            host: HostKind::Local,
            build: Build::Split(3),
            wasi: Wasi::P2,
            routes: vec!["METHODS  PATH".into(), "GET      /hello".into()],
        };
        let addr: SocketAddr = "127.0.0.1:3000".parse().unwrap();
        assert_eq!(
            banner.lines(addr).join("\n"),
            "\n  edgeway up: http://127.0.0.1:3000\
             \n  host:   local (wasmtime, a fresh instance per request)\
             \n  build:  split, 3 components, WASI 0.2\
             \n  routes:\
             \n    METHODS  PATH\
             \n    GET      /hello\n"
        );
        let single = Banner {
            host: HostKind::Spin,
            build: Build::Single,
            wasi: Wasi::P3,
            routes: Vec::new(),
        };
        let lines = single.lines(addr);
        assert_eq!(lines[2], "  host:   Spin (spin up)");
        assert!(lines[3].starts_with("  build:  single component"));
        assert!(lines[3].ends_with(", WASI 0.3"));
        let reused = Banner {
            host: HostKind::Local,
            ..single
        };
        assert_eq!(
            reused.lines(addr)[2],
            "  host:   local (wasmtime, instances reused across requests)"
        );
    }
}
