//! Helpers on events (feature `events`).
use crate::Event;

impl Event {
    /// The data parsed as JSON, or an error that says why it is not valid; returning it from
    /// `deliver` makes the gateway retry the event, then write it to the dead letters.
    pub fn data_json<T: serde::de::DeserializeOwned>(&self) -> Result<T, String> {
        serde_json::from_slice(&self.data)
            .map_err(|error| format!("event {}: data is not the JSON expected: {error}", self.id))
    }

    /// The data as text, if it is valid UTF-8.
    pub fn data_text(&self) -> Option<&str> {
        std::str::from_utf8(&self.data).ok()
    }

    /// The extension attribute `name` (`traceparent`, `partitionkey`; case-insensitive).
    pub fn extension(&self, name: &str) -> Option<&str> {
        self.extensions
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}
