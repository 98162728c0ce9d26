//! The benchmarks' native baseline: the same JSON greeting as `GET /hello`, answered by
//! hyper directly, with no Wasm at all.
//!
//! Run with: `cargo run --release -p edgeway-host --example native_hello -- 127.0.0.1:3000`.
//! Prints `Serving http://<addr>` once bound, like `edgeway up`.

use std::convert::Infallible;

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

const BODY: &[u8] = br#"{"message":"Hello, world!"}"#;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let listen = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:3000".to_owned());
    let listener = TcpListener::bind(&listen).await?;
    println!("Serving http://{}", listener.local_addr()?);
    loop {
        let (stream, _) = listener.accept().await?;
        tokio::spawn(async move {
            let service = service_fn(|_request| async {
                let response = hyper::Response::builder()
                    .header("content-type", "application/json")
                    .body(Full::new(Bytes::from_static(BODY)))
                    .expect("a valid response");
                Ok::<_, Infallible>(response)
            });
            // A client closing its connection is routine here.
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}
