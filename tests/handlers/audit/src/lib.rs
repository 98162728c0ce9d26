//! `audit`: an audit trail of the todos, kept from Redis key-space notifications. Every
//! `edgeway.redis.keyevent.*` event about a key under `todos/` becomes one entry in the
//! key-value store; `GET /audit` lists them, oldest first.
//!
//! Delivery is at least once, so an event id already recorded is not recorded again. The
//! entries' own keys (`audit:…`) are outside `todos/`: the notifications that writing them
//! produces (when the store is Redis) are ignored like any other key.
use edgeway_sdk::key_value::{atomics, store};
use edgeway_sdk::{Event, EventHandler, Handler, Problem, Request, Response};
use serde::{Deserialize, Serialize};

/// The keys whose changes are audited.
const AUDITED: &str = "todos/";
/// The event types of Redis key-space notifications (`edgeway.redis.keyevent.set`, `…del`).
const KEY_EVENT: &str = "edgeway.redis.keyevent.";
/// One entry per event, under its event id: recording an event is a single write.
const ENTRY: &str = "audit:event:";
/// The counter that orders the entries.
const NEXT: &str = "audit:next";

/// One change to an audited key.
#[derive(Serialize, Deserialize)]
struct Entry {
    /// The order in which entries were recorded.
    seq: u64,
    event_id: String,
    #[serde(rename = "type")]
    ty: String,
    key: String,
    time: Option<String>,
}

struct Audit;

impl EventHandler for Audit {
    fn deliver(event: Event) -> Result<(), String> {
        let Some(key) = audited_key(&event).map(str::to_owned) else {
            return Ok(());
        };
        let bucket = store::open("default").map_err(|e| format!("cannot open the store: {e:?}"))?;
        let entry_key = format!("{ENTRY}{}", event.id);
        let exists = bucket.exists(&entry_key);
        if exists.map_err(|e| format!("cannot read {entry_key}: {e:?}"))? {
            return Ok(());
        }
        let seq = atomics::increment(&bucket, NEXT, 1)
            .map_err(|e| format!("cannot count entries: {e:?}"))? as u64;
        let entry = Entry {
            seq,
            event_id: event.id,
            ty: event.type_,
            key,
            time: event.time,
        };
        let bytes = serde_json::to_vec(&entry).expect("an entry always serializes");
        bucket
            .set(&entry_key, &bytes)
            .map_err(|e| format!("cannot write {entry_key}: {e:?}"))
    }
}

/// The key a key-space notification is about, if it is one of the audited keys.
fn audited_key(event: &Event) -> Option<&str> {
    if !event.type_.starts_with(KEY_EVENT) {
        return None;
    }
    event
        .subject
        .as_deref()
        .filter(|key| key.starts_with(AUDITED))
}

impl Handler for Audit {
    fn handle(request: Request) -> Result<Response, Problem> {
        if !matches!(request.method.as_str(), "GET" | "HEAD") {
            let detail = format!("{} is not supported here", request.method);
            return Err(Problem::new(405, "Method Not Allowed", detail));
        }
        let bucket = store::open("default").map_err(|e| unavailable(&e))?;
        let keys = bucket.list_keys(None).map_err(|e| unavailable(&e))?.keys;
        let mut entries = Vec::new();
        for key in keys.iter().filter(|k| k.starts_with(ENTRY)) {
            if let Some(bytes) = bucket.get(key).map_err(|e| unavailable(&e))? {
                let entry: Entry = serde_json::from_slice(&bytes)
                    .map_err(|e| Problem::new(500, "Corrupt audit entry", format!("{key}: {e}")))?;
                entries.push(entry);
            }
        }
        entries.sort_by_key(|entry| entry.seq);
        Ok(Response::json(200, &entries))
    }
}

fn unavailable(error: &store::Error) -> Problem {
    Problem::new(503, "Store unavailable", format!("{error:?}"))
}

edgeway_sdk::export!(Audit, events);
