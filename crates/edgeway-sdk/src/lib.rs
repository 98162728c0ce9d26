//! Write edgeway handlers in Rust.
//!
//! A handler is a plain function from a [`Request`] to a [`Response`] (or a [`Problem`] that
//! the gateway answers as `application/problem+json`), exported with [`export!`]:
//!
//! ```no_run
//! use edgeway_sdk::{Handler, Problem, Request, Response};
//!
//! struct Greet;
//!
//! impl Handler for Greet {
//!     fn handle(request: Request) -> Result<Response, Problem> {
//!         let name = request.param("name").unwrap_or("world");
//!         Ok(Response::json(200, &serde_json::json!({ "message": format!("Hello, {name}!") })))
//!     }
//! }
//!
//! edgeway_sdk::export!(Greet);
//! ```
#![deny(missing_docs)]

#[doc(hidden)]
#[allow(missing_docs)]
#[cfg(not(feature = "key-value"))]
pub mod bindings {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "http-handler",
        pub_export_macro: true,
        default_bindings_module: "edgeway_sdk::bindings",
    });
}

#[doc(hidden)]
#[allow(missing_docs)]
#[cfg(feature = "key-value")]
pub mod bindings {
    wit_bindgen::generate!({
        path: "../../wit",
        world: "stateful-handler",
        pub_export_macro: true,
        default_bindings_module: "edgeway_sdk::bindings",
        generate_all,
    });
}

/// Spin's key-value store (`wasi:keyvalue@0.2.0-draft2`), with the `key-value` feature.
#[cfg(feature = "key-value")]
pub mod key_value {
    pub use crate::bindings::wasi::keyvalue::{atomics, store};
}

pub use bindings::export;
pub use bindings::exports::edgeway::gateway::handler::{
    Context, Guest as Handler, Problem, Request, Response,
};

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

fn find<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}
