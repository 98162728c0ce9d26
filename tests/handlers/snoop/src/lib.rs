//! `snoop` (test-only): one component the test app declares twice, as `snoop-a` and
//! `snoop-b`, to show what isolates handlers. Each answers JSON:
//!
//! - `GET /memory` the value kept in a global and how many requests this instance served;
//!   `POST /memory` keeps the body there (instances live across requests with `--reuse`);
//! - `GET /kv?key=k`, `PUT /kv?key=k` (the body), `GET /keys` (`list-keys`),
//!   `POST /count` (`increment` of `counter`): the `default` store, as the handler sees it;
//! - `GET /config?name=v`: the variable `v` through `wasi:config`, or the error it got.
use std::sync::Mutex;

use edgeway_sdk::key_value::{atomics, store};
use edgeway_sdk::{Handler, Problem, Request, Response};
use serde_json::json;

mod config {
    wit_bindgen::generate!({
        path: "../../../wit",
        inline: r#"
            package edgeway:snoop;
            world config { import wasi:config/store@0.2.0-draft-2024-09-27; }
        "#,
        world: "edgeway:snoop/config",
        generate_all,
    });
    pub use wasi::config::store::{Error, get};
}

/// What this instance was told to keep, and how many requests it served.
static MEMORY: Mutex<(Option<String>, u64)> = Mutex::new((None, 0));

struct Snoop;

impl Handler for Snoop {
    fn handle(request: Request) -> Result<Response, Problem> {
        let served = {
            let mut memory = MEMORY.lock().unwrap();
            memory.1 += 1;
            memory.1
        };
        let what = request.param("what").unwrap_or_default();
        match (request.method.as_str(), what) {
            ("GET", "memory") => {
                let kept = MEMORY.lock().unwrap().0.clone();
                Ok(Response::json(
                    200,
                    &json!({ "value": kept, "served": served }),
                ))
            }
            ("POST", "memory") => {
                let value = String::from_utf8_lossy(&request.body).into_owned();
                MEMORY.lock().unwrap().0 = Some(value.clone());
                Ok(Response::json(
                    200,
                    &json!({ "value": value, "served": served }),
                ))
            }
            (method, "kv" | "keys" | "count") => key_value(method, what, &request),
            ("GET", "config") => variable(query(&request, "name")),
            (method, _) => Err(Problem::new(
                404,
                "Nothing here",
                format!("{method} /{what}"),
            )),
        }
    }
}

fn key_value(method: &str, what: &str, request: &Request) -> Result<Response, Problem> {
    let failed = |e: store::Error| Problem::new(503, "Store error", format!("{e:?}"));
    let bucket = store::open("default").map_err(failed)?;
    let key = query(request, "key");
    match (method, what) {
        ("GET", "kv") => match bucket.get(&key).map_err(failed)? {
            Some(value) => Ok(Response::json(
                200,
                &json!({ "key": key, "value": String::from_utf8_lossy(&value) }),
            )),
            None => Err(Problem::new(404, "No such key", key)),
        },
        ("PUT", "kv") => {
            bucket.set(&key, &request.body).map_err(failed)?;
            Ok(Response::json(200, &json!({ "key": key })))
        }
        ("GET", "keys") => {
            let mut keys = Vec::new();
            let mut cursor = None;
            loop {
                let page = bucket.list_keys(cursor.as_deref()).map_err(failed)?;
                keys.extend(page.keys);
                match page.cursor {
                    Some(next) => cursor = Some(next),
                    None => break,
                }
            }
            keys.sort();
            Ok(Response::json(200, &json!({ "keys": keys })))
        }
        ("POST", "count") => {
            let count = atomics::increment(&bucket, "counter", 1).map_err(failed)?;
            Ok(Response::json(200, &json!({ "count": count })))
        }
        _ => Err(Problem::new(405, "Method Not Allowed", method.to_owned())),
    }
}

fn variable(name: String) -> Result<Response, Problem> {
    match config::get(&name) {
        Ok(value) => Ok(Response::json(
            200,
            &json!({ "name": name, "value": value }),
        )),
        Err(error) => {
            let detail = match error {
                config::Error::Upstream(message) | config::Error::Io(message) => message,
            };
            Err(Problem::new(403, "Variable refused", detail))
        }
    }
}

/// The first value of query parameter `name`, as written (tests send plain text).
fn query(request: &Request, name: &str) -> String {
    request
        .query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.to_owned())
        .unwrap_or_default()
}

edgeway_sdk::export!(Snoop);
