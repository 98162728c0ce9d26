//! The CloudEvents HTTP protocol binding 1.0: binary mode (`ce-*` headers, the body is the
//! data) and structured mode (`application/cloudevents+json`, the body is the event).
use std::borrow::Cow;

use crate::event::{Event, EventError, build, check_extension_name};

/// The attributes of an event made from a request that is not a CloudEvent (a plain
/// webhook call): edgeway names its source and type and gives it an id and time.
pub struct Fallback {
    /// The new event's id.
    pub id: String,
    /// Where it was received (`webhook:<topic>`).
    pub source: String,
    /// Its type (`edgeway.webhook`).
    pub ty: String,
    /// When it was received, RFC 3339.
    pub time: String,
}

/// Reads the event a request carries. `headers` have lowercase names. A request with
/// neither a `ce-specversion` header nor a CloudEvents media type becomes an event with the
/// `fallback` attributes, the body as its data.
pub fn from_http(
    headers: &[(String, String)],
    body: Vec<u8>,
    fallback: Fallback,
) -> Result<Event, EventError> {
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    };
    let content_type = header("content-type");
    let media = content_type
        .and_then(|c| c.split(';').next())
        .map(|m| m.trim().to_ascii_lowercase());
    match media.as_deref() {
        Some("application/cloudevents+json") => return Event::from_json(&body),
        Some(m) if m.starts_with("application/cloudevents") => {
            return Err(EventError::Invalid {
                attribute: "content-type".into(),
                reason: format!("is `{m}`; only the JSON event format is supported"),
            });
        }
        Some("application/cloudevents-batch+json") => {
            return Err(EventError::Invalid {
                attribute: "content-type".into(),
                reason: "names a batch; send one event per request".into(),
            });
        }
        _ => {}
    }
    if header("ce-specversion").is_none() {
        return Ok(Event {
            id: fallback.id,
            source: fallback.source,
            ty: fallback.ty,
            subject: None,
            time: Some(fallback.time),
            data_content_type: content_type.map(str::to_owned),
            data: body,
            extensions: Vec::new(),
        });
    }
    let mut extensions = Vec::new();
    for (name, value) in headers {
        let Some(attribute) = name.strip_prefix("ce-") else {
            continue;
        };
        if ["specversion", "id", "source", "type", "subject", "time"].contains(&attribute) {
            continue;
        }
        if attribute == "datacontenttype" {
            return Err(EventError::Invalid {
                attribute: "ce-datacontenttype".into(),
                reason: "is not used in binary mode; send `content-type`".into(),
            });
        }
        check_extension_name(attribute)?;
        extensions.push((attribute.to_owned(), percent_decode(value)));
    }
    let attribute = |name: &str| header(name).map(percent_decode);
    build(
        attribute("ce-specversion"),
        attribute("ce-id"),
        attribute("ce-source"),
        attribute("ce-type"),
        attribute("ce-subject"),
        attribute("ce-time"),
        content_type.map(str::to_owned),
        body,
        extensions,
    )
}

/// Header values of binary mode are percent-encoded where they are not printable ASCII
/// (binding, 3.1.3.2); a value with a bad escape is kept as it is.
fn percent_decode(value: &str) -> String {
    edgeway_router::percent_decode(value).map_or_else(|| value.to_owned(), Cow::into_owned)
}
