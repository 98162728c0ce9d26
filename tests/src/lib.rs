//! Test support: build and start the real `edgeway` binary, and talk HTTP/1.1 to it over a
//! real socket.
pub mod balancer;
pub mod browser;
pub mod cleanup;
mod greet_app;
pub mod hostile;
mod http;
pub mod redis;
mod server;
pub mod soak;
mod temp_repo;
pub mod todo_load;
pub mod tokens;
pub mod upstream;

pub use greet_app::GreetApp;
pub use http::{Answer, Response, concurrently, exchange, get, read_response, request, send_raw};
pub use server::{
    Server, edgeway, mode_args, repo_root, split_mode, start_test_app, test_app, wasi_mode,
};
pub use temp_repo::{TempRepo, run};
