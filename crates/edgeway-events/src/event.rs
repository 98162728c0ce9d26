use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value};

/// A CloudEvents 1.0 event, as handlers receive it (wit/events.wit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Unique per source.
    pub id: String,
    /// Who produced it.
    pub source: String,
    /// What happened.
    pub ty: String,
    /// What it is about, within the source.
    pub subject: Option<String>,
    /// When it happened, RFC 3339.
    pub time: Option<String>,
    /// The media type of `data`.
    pub data_content_type: Option<String>,
    /// The payload.
    pub data: Vec<u8>,
    /// Other attributes, by lowercase name.
    pub extensions: Vec<(String, String)>,
}

/// Why a request or message is not a valid CloudEvent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventError {
    /// A required attribute is missing or empty.
    Missing(&'static str),
    /// An attribute has a value the specification does not allow.
    Invalid {
        /// The attribute's name.
        attribute: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A structured-mode body is not a JSON object.
    Json(String),
}

impl std::fmt::Display for EventError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EventError::Missing(attribute) => {
                write!(f, "the required attribute `{attribute}` is missing")
            }
            EventError::Invalid { attribute, reason } => {
                write!(f, "the attribute `{attribute}` {reason}")
            }
            EventError::Json(reason) => write!(f, "the body is not a CloudEvent: {reason}"),
        }
    }
}

impl std::error::Error for EventError {}

/// The attributes the specification defines, which are not extensions.
const CONTEXT_ATTRIBUTES: [&str; 8] = [
    "specversion",
    "id",
    "source",
    "type",
    "subject",
    "time",
    "datacontenttype",
    "dataschema",
];

impl Event {
    /// The event in structured mode (`application/cloudevents+json`): JSON data stays JSON,
    /// other data is carried as `data_base64`.
    pub fn to_json(&self) -> Value {
        let mut object = Map::new();
        object.insert("specversion".into(), "1.0".into());
        object.insert("id".into(), self.id.clone().into());
        object.insert("source".into(), self.source.clone().into());
        object.insert("type".into(), self.ty.clone().into());
        let optional = [
            ("subject", &self.subject),
            ("time", &self.time),
            ("datacontenttype", &self.data_content_type),
        ];
        for (name, value) in optional {
            if let Some(value) = value {
                object.insert(name.into(), value.clone().into());
            }
        }
        for (name, value) in &self.extensions {
            object.insert(name.clone(), value.clone().into());
        }
        let json_data = self
            .data_content_type
            .as_deref()
            .filter(|media| is_json(media))
            .and_then(|_| serde_json::from_slice::<Value>(&self.data).ok());
        match json_data {
            Some(data) => {
                object.insert("data".into(), data);
            }
            None if !self.data.is_empty() => {
                object.insert("data_base64".into(), STANDARD.encode(&self.data).into());
            }
            None => {}
        }
        Value::Object(object)
    }

    /// Reads a structured-mode event (the JSON format of CloudEvents 1.0).
    pub fn from_json(body: &[u8]) -> Result<Event, EventError> {
        let value: Value =
            serde_json::from_slice(body).map_err(|e| EventError::Json(e.to_string()))?;
        let Value::Object(mut object) = value else {
            return Err(EventError::Json("expected a JSON object".into()));
        };
        let mut text = |name: &'static str| -> Result<Option<String>, EventError> {
            match object.remove(name) {
                None | Some(Value::Null) => Ok(None),
                Some(Value::String(s)) => Ok(Some(s)),
                Some(_) => Err(EventError::Invalid {
                    attribute: name.into(),
                    reason: "must be a string".into(),
                }),
            }
        };
        let spec_version = text("specversion")?;
        let id = text("id")?;
        let source = text("source")?;
        let ty = text("type")?;
        let subject = text("subject")?;
        let time = text("time")?;
        let data_content_type = text("datacontenttype")?;
        let data_schema = text("dataschema")?;
        let json_member = object.contains_key("data");
        let data =
            match (object.remove("data"), object.remove("data_base64")) {
                (Some(_), Some(_)) => {
                    return Err(EventError::Invalid {
                        attribute: "data_base64".into(),
                        reason: "cannot be given together with `data`".into(),
                    });
                }
                (Some(Value::String(text)), None)
                    if !data_content_type.as_deref().is_some_and(is_json) =>
                {
                    text.into_bytes()
                }
                (Some(value), None) => value.to_string().into_bytes(),
                (None, Some(Value::String(encoded))) => STANDARD
                    .decode(encoded.as_bytes())
                    .map_err(|e| EventError::Invalid {
                        attribute: "data_base64".into(),
                        reason: format!("is not base64: {e}"),
                    })?,
                (None, Some(_)) => {
                    return Err(EventError::Invalid {
                        attribute: "data_base64".into(),
                        reason: "must be a string".into(),
                    });
                }
                (None, None) => Vec::new(),
            };
        // JSON data without a media type is JSON (CloudEvents JSON format, 3.1).
        let data_content_type =
            data_content_type.or_else(|| json_member.then(|| "application/json".to_owned()));
        let mut extensions = Vec::new();
        if let Some(schema) = data_schema {
            extensions.push(("dataschema".to_owned(), schema));
        }
        for (name, value) in object {
            let value = match value {
                Value::String(s) => s,
                Value::Bool(_) | Value::Number(_) => value.to_string(),
                _ => {
                    return Err(EventError::Invalid {
                        attribute: name,
                        reason: "must be a string, number or boolean".into(),
                    });
                }
            };
            check_extension_name(&name)?;
            extensions.push((name, value));
        }
        build(
            spec_version,
            id,
            source,
            ty,
            subject,
            time,
            data_content_type,
            data,
            extensions,
        )
    }
}

/// Checks the required attributes and assembles the event.
#[allow(clippy::too_many_arguments)]
pub(crate) fn build(
    spec_version: Option<String>,
    id: Option<String>,
    source: Option<String>,
    ty: Option<String>,
    subject: Option<String>,
    time: Option<String>,
    data_content_type: Option<String>,
    data: Vec<u8>,
    mut extensions: Vec<(String, String)>,
) -> Result<Event, EventError> {
    let required = |value: Option<String>, name: &'static str| {
        value
            .filter(|v| !v.is_empty())
            .ok_or(EventError::Missing(name))
    };
    let spec_version = required(spec_version, "specversion")?;
    if spec_version != "1.0" {
        return Err(EventError::Invalid {
            attribute: "specversion".into(),
            reason: format!("is `{spec_version}`; only `1.0` is supported"),
        });
    }
    if let Some(time) = &time {
        check_time(time)?;
    }
    extensions.sort();
    Ok(Event {
        id: required(id, "id")?,
        source: required(source, "source")?,
        ty: required(ty, "type")?,
        subject,
        time,
        data_content_type,
        data,
        extensions,
    })
}

/// Extension names are lowercase letters and digits (CloudEvents 1.0, "Attribute Naming").
pub(crate) fn check_extension_name(name: &str) -> Result<(), EventError> {
    let valid = !name.is_empty()
        && name.len() <= 20
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        && !CONTEXT_ATTRIBUTES.contains(&name);
    if valid {
        Ok(())
    } else {
        Err(EventError::Invalid {
            attribute: name.to_owned(),
            reason: "is not a valid extension name (lowercase letters and digits, at most 20)"
                .into(),
        })
    }
}

/// A shallow RFC 3339 check: `YYYY-MM-DDTHH:MM:SS`, optional fraction, then `Z` or an offset.
fn check_time(time: &str) -> Result<(), EventError> {
    let bytes = time.as_bytes();
    let digits = |range: std::ops::Range<usize>| {
        bytes
            .get(range)
            .is_some_and(|part| part.iter().all(u8::is_ascii_digit))
    };
    let shape = bytes.len() >= 20
        && digits(0..4)
        && bytes[4] == b'-'
        && digits(5..7)
        && bytes[7] == b'-'
        && digits(8..10)
        && matches!(bytes[10], b'T' | b't')
        && digits(11..13)
        && bytes[13] == b':'
        && digits(14..16)
        && bytes[16] == b':'
        && digits(17..19);
    let zone = time
        .get(19..)
        .unwrap_or_default()
        .trim_start_matches(|c: char| c == '.' || c.is_ascii_digit());
    let zone_ok = zone.eq_ignore_ascii_case("z")
        || (zone.len() == 6
            && matches!(zone.as_bytes()[0], b'+' | b'-')
            && zone.as_bytes()[3] == b':');
    if shape && zone_ok {
        Ok(())
    } else {
        Err(EventError::Invalid {
            attribute: "time".into(),
            reason: format!("is `{time}`, not an RFC 3339 timestamp"),
        })
    }
}

/// `application/json`, `application/problem+json`, `text/json; charset=utf-8`...
pub(crate) fn is_json(media: &str) -> bool {
    let essence = media
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json" || essence == "text/json" || essence.ends_with("+json")
}
