//! Redis messages as events. A message that is a CloudEvent in structured mode keeps its
//! attributes; a key-space notification (`__keyevent@<db>__:<event>`, whose payload is the
//! key) becomes `edgeway.redis.keyevent.<event>` about that key; any other message becomes an
//! `edgeway.redis.message` with the payload as its data.
use crate::event::Event;

/// The event for a `payload` published on `channel`. `id` and `time` are used when the
/// message does not carry its own.
pub fn from_redis(channel: &str, payload: Vec<u8>, id: String, time: String) -> Event {
    if let Some(event) = structured(&payload) {
        return event;
    }
    let source = format!("redis:{channel}");
    if let Some(event_name) = key_event(channel) {
        return Event {
            id,
            source,
            ty: format!("edgeway.redis.keyevent.{event_name}"),
            subject: Some(String::from_utf8_lossy(&payload).into_owned()),
            time: Some(time),
            data_content_type: None,
            data: Vec::new(),
            extensions: Vec::new(),
        };
    }
    Event {
        id,
        source,
        ty: "edgeway.redis.message".into(),
        subject: None,
        time: Some(time),
        data_content_type: None,
        data: payload,
        extensions: Vec::new(),
    }
}

/// Whether `payload` is a CloudEvent in structured mode, whose own id the event keeps: only
/// such a message can be recognised when several replicas receive it.
pub fn carries_id(payload: &[u8]) -> bool {
    structured(payload).is_some()
}

/// The CloudEvent `payload` holds in structured mode, if it is one.
fn structured(payload: &[u8]) -> Option<Event> {
    let looks_structured = payload.first() == Some(&b'{')
        && serde_json::from_slice::<serde_json::Value>(payload)
            .is_ok_and(|v| v.get("specversion").is_some());
    looks_structured
        .then(|| Event::from_json(payload).ok())
        .flatten()
}

/// `set` for `__keyevent@0__:set`.
fn key_event(channel: &str) -> Option<&str> {
    let rest = channel.strip_prefix("__keyevent@")?;
    let (db, event) = rest.split_once("__:")?;
    (!db.is_empty() && db.bytes().all(|b| b.is_ascii_digit()) && !event.is_empty()).then_some(event)
}
