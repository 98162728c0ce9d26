//! A probe for the local host's Redis trigger, schedules and key-value backends: it writes
//! what it receives to the key-value store `default`, where a test can read it.
//!
//! - Redis (`fermyon:spin/inbound-redis`): a payload `key=value` sets `<prefix>key` to
//!   `value`, where `<prefix>` is the variable `key_prefix` (empty if not given); `fail`
//!   returns an error, `trap` panics.
//! - HTTP: every request sets `<prefix>http:<path>` to its `authorization` header (empty if
//!   none); `?sleep_ms=N` first sleeps N milliseconds, and while it runs the counter
//!   `<prefix>running` is one higher (a second concurrent run sets `<prefix>overlap`).
use futures::SinkExt;
use spin_sdk::http::{Fields, IncomingRequest, OutgoingResponse, ResponseOutparam};
use spin_sdk::wit::wasi::config::store as config;
use spin_sdk::wit::wasi::keyvalue::{atomics, store};
use spin_sdk::{http_component, redis_component};

/// The store the probe writes to.
fn bucket() -> store::Bucket {
    store::open("default").expect("the store `default` opens")
}

/// The variable `key_prefix`, or nothing.
fn prefix() -> String {
    config::get("key_prefix").ok().flatten().unwrap_or_default()
}

/// Handles one Redis message.
#[redis_component]
fn on_message(payload: Vec<u8>) -> Result<(), String> {
    let text = String::from_utf8(payload).map_err(|e| e.to_string())?;
    match text.as_str() {
        "fail" => return Err("the probe was asked to fail".to_owned()),
        "trap" => panic!("the probe was asked to trap"),
        _ => {}
    }
    let (key, value) = text
        .split_once('=')
        .ok_or_else(|| format!("expected key=value, got {text:?}"))?;
    bucket()
        .set(&format!("{}{key}", prefix()), value.as_bytes())
        .map_err(|e| format!("{e:?}"))
}

/// Handles one HTTP request.
#[http_component]
async fn on_request(request: IncomingRequest, out: ResponseOutparam) {
    let prefix = prefix();
    let bucket = bucket();
    let authorization = request
        .headers()
        .get("authorization")
        .into_iter()
        .next()
        .unwrap_or_default();
    let path_with_query = request.path_with_query().unwrap_or_default();
    let (path, query) = path_with_query
        .split_once('?')
        .unwrap_or((&path_with_query, ""));
    let sleep_ms = query
        .strip_prefix("sleep_ms=")
        .and_then(|ms| ms.parse::<u64>().ok());
    if let Some(ms) = sleep_ms {
        let running = format!("{prefix}running");
        if atomics::increment(&bucket, &running, 1).expect("increment") > 1 {
            bucket.set(&format!("{prefix}overlap"), b"1").expect("set");
        }
        std::thread::sleep(std::time::Duration::from_millis(ms));
        atomics::increment(&bucket, &running, -1).expect("increment");
    }
    bucket
        .set(&format!("{prefix}http:{path}"), &authorization)
        .expect("set");
    let headers = Fields::from_list(&[("content-type".to_owned(), b"text/plain".to_vec())])
        .expect("a valid header");
    let response = OutgoingResponse::new(headers);
    let mut body = response.take_body();
    out.set(response);
    let _ = body.send(path.as_bytes().to_vec()).await;
}
