//! Helpers on the request, response and problem types.
use crate::{Problem, Request, Response, find};

impl Request {
    /// The route parameter `name` (`:name` in the route; `...` for the wildcard tail).
    pub fn param(&self, name: &str) -> Option<&str> {
        find(&self.params, name)
    }

    /// The first header called `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body parsed as JSON, or a `400` problem that says why it is not valid.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, Problem> {
        serde_json::from_slice(&self.body)
            .map_err(|error| Problem::new(400, "Invalid JSON body", error.to_string()))
    }
}

impl Response {
    /// A response with `value` as its JSON body.
    pub fn json(status: u16, value: &impl serde::Serialize) -> Response {
        let body =
            serde_json::to_vec(value).expect("serializing to a Vec cannot fail for JSON values");
        Response {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body,
        }
    }
}

impl Problem {
    /// A problem with this status, summary and detail.
    pub fn new(status: u16, title: impl Into<String>, detail: impl Into<String>) -> Problem {
        Problem {
            status,
            title: title.into(),
            detail: detail.into(),
        }
    }
}
