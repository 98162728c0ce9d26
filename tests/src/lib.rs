//! Test support: build and start the real `edgeway` binary, and talk HTTP/1.1 to it over a
//! real socket.
mod http;
mod server;
pub mod tokens;

pub use http::{Response, concurrently, exchange, get, request};
pub use server::{Server, edgeway, repo_root, test_app};
