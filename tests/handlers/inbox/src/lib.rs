//! `inbox`: a test handler that keeps every event delivered to it, so end-to-end tests can
//! check what arrived. `GET` on its route lists the deliveries, oldest first, each with the
//! event's attributes and the attempt it was.
//!
//! It fails on purpose when the event's JSON data asks: `{"fail": true}` fails every
//! attempt (for dead letters), `{"fail_times": n}` fails the first `n` (for retries).
use edgeway_sdk::key_value::{atomics, store};
use edgeway_sdk::{Event, EventHandler, Handler, Problem, Request, Response};
use serde_json::{Value, json};

/// Each delivery, under `delivery:<sequence, 10 digits>`.
const DELIVERY: &str = "delivery:";

struct Inbox;

impl EventHandler for Inbox {
    fn deliver(event: Event) -> Result<(), String> {
        let bucket = store::open("default").map_err(|e| format!("cannot open the store: {e:?}"))?;
        let attempt = atomics::increment(&bucket, &format!("attempts:{}", event.id), 1)
            .map_err(|e| format!("cannot count attempts: {e:?}"))?;
        let data: Value = event.data_json().unwrap_or(Value::Null);
        let fail_times = match (&data["fail"], &data["fail_times"]) {
            (Value::Bool(true), _) => i64::MAX,
            (_, Value::Number(n)) => n.as_i64().unwrap_or(0),
            _ => 0,
        };
        let failed = attempt <= fail_times;
        let sequence = atomics::increment(&bucket, "deliveries", 1)
            .map_err(|e| format!("cannot count deliveries: {e:?}"))?;
        let record = json!({
            "id": event.id,
            "source": event.source,
            "type": event.type_,
            "subject": event.subject,
            "time": event.time,
            "datacontenttype": event.data_content_type,
            "data": String::from_utf8_lossy(&event.data),
            "extensions": event
                .extensions
                .iter()
                .map(|(name, value)| (name.clone(), Value::String(value.clone())))
                .collect::<serde_json::Map<_, _>>(),
            "attempt": attempt,
            "failed": failed,
        });
        bucket
            .set(
                &format!("{DELIVERY}{sequence:010}"),
                record.to_string().as_bytes(),
            )
            .map_err(|e| format!("cannot record the delivery: {e:?}"))?;
        if failed {
            Err(format!("asked to fail attempt {attempt}"))
        } else {
            Ok(())
        }
    }
}

impl Handler for Inbox {
    fn handle(_: Request) -> Result<Response, Problem> {
        let unavailable =
            |e: store::Error| Problem::new(503, "Store unavailable", format!("{e:?}"));
        let bucket = store::open("default").map_err(unavailable)?;
        let mut keys: Vec<String> = bucket
            .list_keys(None)
            .map_err(unavailable)?
            .keys
            .into_iter()
            .filter(|k| k.starts_with(DELIVERY))
            .collect();
        keys.sort();
        let mut deliveries = Vec::new();
        for key in keys {
            if let Some(bytes) = bucket.get(&key).map_err(unavailable)? {
                deliveries.push(serde_json::from_slice::<Value>(&bytes).unwrap_or(Value::Null));
            }
        }
        Ok(Response::json(200, &deliveries))
    }
}

edgeway_sdk::export!(Inbox, events);
