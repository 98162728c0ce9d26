//! `echo`: answers any request with what it received, as JSON (the body as text when it is
//! UTF-8, otherwise base64 with `"body_encoding": "base64"`).
use edgeway_sdk::{Handler, Problem, Request, Response};
use serde_json::{Map, Value, json};

struct Echo;

impl Handler for Echo {
    fn handle(request: Request) -> Result<Response, Problem> {
        let pairs = |pairs: &[(String, String)]| -> Value {
            pairs.iter().map(|(n, v)| json!([n, v])).collect()
        };
        let params: Map<String, Value> = request
            .params
            .iter()
            .map(|(n, v)| (n.clone(), json!(v)))
            .collect();
        let (body, encoding) = match std::str::from_utf8(&request.body) {
            Ok(text) => (text.to_owned(), "utf-8"),
            Err(_) => (base64(&request.body), "base64"),
        };
        Ok(Response::json(
            200,
            &json!({
                "method": request.method,
                "path": request.path,
                "query": request.query,
                "params": params,
                "headers": pairs(&request.headers),
                "body": body,
                "body_encoding": encoding,
                "body_length": request.body.len(),
                "request_id": request.context.request_id,
                "route": request.context.route,
                "caller": caller(&request),
            }),
        ))
    }
}

/// Who the route's auth recognised (`null` on routes without auth); JWT claims as JSON.
fn caller(request: &Request) -> Value {
    request
        .context
        .caller
        .as_ref()
        .map_or(Value::Null, |caller| {
            json!({
                "scheme": caller.scheme,
                "name": caller.name,
                "claims": serde_json::from_str::<Value>(&caller.claims).unwrap_or(Value::Null),
            })
        })
}

/// Standard base64 with padding (RFC 4648 §4).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (*b as u32) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

edgeway_sdk::export!(Echo);
