use std::cmp::Ordering;

use crate::{InsertError, MatchError, Methods, Pattern, lookup, order};

/// One route: the methods and path pattern it answers, and what it leads to.
///
/// Fields are public so that a route table can be written as a `static` (see [`Table`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route<'a, T> {
    /// The methods this route accepts.
    pub methods: Methods,
    /// The path pattern, already validated by [`Pattern::parse`].
    pub pattern: &'a str,
    /// The value returned on a match (a handler, an index, ...).
    pub value: T,
}

/// A route that answered a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match<'r, 'p, T> {
    /// The route's value.
    pub value: &'r T,
    /// The route's pattern, as written.
    pub pattern: &'r str,
    /// `(name, raw value)` for each `:name` segment, then `("...", rest)` for a trailing
    /// wildcard. Values are as in the path, still percent-encoded.
    pub params: Vec<(&'r str, &'p str)>,
}

/// Builds a route table: validates patterns, rejects conflicting routes, and keeps the
/// routes in priority order.
#[derive(Debug, Clone)]
pub struct Router<'a, T> {
    routes: Vec<Route<'a, T>>,
}

impl<T> Default for Router<'_, T> {
    fn default() -> Self {
        Router { routes: Vec::new() }
    }
}

impl<'a, T> Router<'a, T> {
    /// An empty router.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a route.
    ///
    /// Fails if the pattern is invalid, if `methods` is empty, or if a route already in the
    /// router matches the same paths under one of the same methods.
    ///
    /// ```
    /// # use edgeway_router::{Methods, Router, InsertError};
    /// let mut router = Router::new();
    /// router.insert(Methods::GET, "/users/:id", 1).unwrap();
    /// router.insert(Methods::DELETE, "/users/:id", 2).unwrap();
    /// let error = router.insert(Methods::ANY, "/users/:name", 3).unwrap_err();
    /// assert!(error.to_string().starts_with("route `ANY /users/:name` conflicts with `DELETE /users/:id`"));
    /// ```
    pub fn insert(
        &mut self,
        methods: Methods,
        pattern: &'a str,
        value: T,
    ) -> Result<(), InsertError> {
        let parsed = Pattern::parse(pattern)?;
        if methods.is_empty() {
            return Err(InsertError::NoMethods(pattern.to_owned()));
        }
        let position = self.routes.partition_point(|route| {
            Pattern::parse(route.pattern)
                .expect("patterns in the router were validated on insert")
                .specificity(&parsed)
                != Ordering::Greater
        });
        // Routes matching the same paths sit together; `first` is where they start.
        let mut first = position;
        for route in self.routes[..position].iter().rev() {
            let existing = Pattern::parse(route.pattern).expect("validated on insert");
            if existing.specificity(&parsed) != Ordering::Equal {
                break;
            }
            first -= 1;
            let overlap = route.methods.intersection(methods);
            if !overlap.is_empty() {
                return Err(InsertError::Conflict {
                    pattern: pattern.to_owned(),
                    methods,
                    existing: route.pattern.to_owned(),
                    existing_methods: route.methods,
                    overlap,
                });
            }
        }
        // `GET` routes also serve `HEAD`: a route that names `HEAD` goes first among the
        // routes matching the same paths, so it answers `HEAD` whatever the insertion order.
        let position = if methods.intersection(Methods::HEAD).is_empty() {
            position
        } else {
            first
        };
        self.routes.insert(
            position,
            Route {
                methods,
                pattern,
                value,
            },
        );
        Ok(())
    }

    /// The routes, most specific first: the order in which [`Table`] expects them.
    pub fn routes(&self) -> &[Route<'a, T>] {
        &self.routes
    }

    /// Finds the route for a request. See [`Table::at`].
    pub fn at<'p>(&self, method: &str, path: &'p str) -> Result<Match<'_, 'p, T>, MatchError> {
        let table = Table {
            routes: &self.routes,
            ordered: true,
        };
        table.at(method, path)
    }
}

/// A route table in priority order, ready to match; it can live in a `static`.
///
/// The gateway's build writes its table as Rust source from [`Router::routes`], so nothing
/// is parsed or sorted when a request arrives, and nothing is allocated before matching.
#[derive(Debug, Clone, Copy)]
pub struct Table<'r, T> {
    routes: &'r [Route<'r, T>],
    /// Whether `routes` are in priority order, which the lookup by segment needs.
    ordered: bool,
}

impl<'r, T> Table<'r, T> {
    /// Wraps routes that are valid and in the order [`Router::routes`] returns them.
    ///
    /// In that order, [`Table::at`] searches the routes segment by segment (binary searches
    /// among the routes that share the path's first segments) instead of trying them one
    /// by one. The order is checked here, in one pass over the routes, so build the table
    /// in a `const`, where the check runs at compile time, or once. Routes in another order
    /// are not rejected: they match in the given order, one after another.
    pub const fn from_sorted(routes: &'r [Route<'r, T>]) -> Self {
        let mut i = 1;
        while i < routes.len() {
            if order::specificity(routes[i - 1].pattern, routes[i].pattern).is_gt() {
                return Table {
                    routes,
                    ordered: false,
                };
            }
            i += 1;
        }
        Table {
            routes,
            ordered: true,
        }
    }

    /// Finds the most specific route that matches `path` and accepts `method`.
    ///
    /// `path` starts with `/` and has no query. One trailing slash is ignored (`/hello/`
    /// matches `/hello`). Exact segments are compared after percent-decoding the path.
    pub fn at<'p>(&self, method: &str, path: &'p str) -> Result<Match<'r, 'p, T>, MatchError> {
        let found = if self.ordered {
            lookup::find(self.routes, method, path)
        } else {
            scan(self.routes, method, path)
        };
        match found {
            Ok(index) => {
                let route = &self.routes[index];
                let mut params = Vec::new();
                lookup::matches(route.pattern, 0, trim(path), |name, value| {
                    params.push((name, value))
                });
                Ok(Match {
                    value: &route.value,
                    pattern: route.pattern,
                    params,
                })
            }
            Err(Methods::NONE) => Err(MatchError::NotFound),
            Err(allowed) => Err(MatchError::MethodNotAllowed {
                allowed: allowed.allowed(),
            }),
        }
    }
}

/// Tries the routes in the given order: the index of the first that matches `path` and
/// accepts `method`, or the methods of all those that match it.
fn scan<T>(routes: &[Route<'_, T>], method: &str, path: &str) -> Result<usize, Methods> {
    let (wanted, path) = (Methods::wanted(method), trim(path));
    let mut allowed = Methods::NONE;
    for (index, route) in routes.iter().enumerate() {
        if !lookup::matches(route.pattern, 0, path, |_, _| {}) {
            continue;
        }
        if !route.methods.intersection(wanted).is_empty() {
            return Ok(index);
        }
        allowed = allowed.union(route.methods);
    }
    Err(allowed)
}

/// The path without its leading `/` and one trailing `/`; `None` if nothing is left.
pub(crate) fn trim(path: &str) -> Option<&str> {
    let path = path.strip_prefix('/').unwrap_or(path);
    let path = path.strip_suffix('/').unwrap_or(path);
    (!path.is_empty()).then_some(path)
}

#[cfg(test)]
mod tests;
