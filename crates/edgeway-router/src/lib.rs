//! Method + path routing with [Spin]'s route syntax and priority.
//!
//! A pattern is a Spin route: exact segments (`/cart`), `:name` segments that match exactly
//! one non-empty segment (`/users/:id/edit`), and an optional trailing `/...` that matches the
//! prefix and everything below it. On top of Spin, each route carries a set of [`Methods`],
//! so a path that exists only under other methods is told apart from one that does not exist.
//!
//! Priority never depends on insertion order. Two routes that both match a path are compared
//! segment by segment; at the first segment where they differ, an exact segment beats a
//! `:param`, which beats the `/...` tail. So `/users/new` beats `/users/:id`, and among
//! wildcards the longest prefix wins. The most specific route whose methods accept the
//! request's method answers it.
//!
//! ```
//! use edgeway_router::{Methods, Router, MatchError};
//!
//! let mut router = Router::new();
//! router.insert(Methods::GET, "/users/:id", "show user").unwrap();
//! router.insert(Methods::GET, "/users/new", "new user form").unwrap();
//! router.insert(Methods::ANY, "/files/...", "files").unwrap();
//!
//! let found = router.at("GET", "/users/42").unwrap();
//! assert_eq!(*found.value, "show user");
//! assert_eq!(found.params, [("id", "42")]);
//! assert_eq!(*router.at("GET", "/users/new").unwrap().value, "new user form");
//! assert_eq!(router.at("PUT", "/files/a/b").unwrap().params, [("...", "a/b")]);
//! assert!(matches!(router.at("POST", "/users/42"), Err(MatchError::MethodNotAllowed { .. })));
//! assert_eq!(router.at("GET", "/nowhere").unwrap_err(), MatchError::NotFound);
//! ```
//!
//! [Spin]: https://spinframework.dev
#![deny(missing_docs)]

mod error;
mod lookup;
mod methods;
mod order;
mod pattern;
mod percent;
mod router;

pub use error::{InsertError, MatchError, PatternError};
pub use methods::Methods;
pub use pattern::{Pattern, Segment};
pub use percent::{PathError, check_path, percent_decode};
pub use router::{Match, Route, Router, Table};
