use crate::Methods;

/// Why a route pattern is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PatternError {
    /// The pattern does not start with `/`.
    #[error("route `{0}` must start with `/`")]
    MissingLeadingSlash(String),
    /// A `:` segment has no name.
    #[error("route `{0}` has a `:` segment without a name; write `:name`")]
    EmptyParamName(String),
    /// Two `:` segments share a name.
    #[error("route `{pattern}` uses the parameter name `{name}` twice")]
    DuplicateParam {
        /// The pattern.
        pattern: String,
        /// The repeated name.
        name: String,
    },
    /// `...` appears somewhere other than the last segment, or a segment contains `*`.
    #[error(
        "route `{0}` has a wildcard that is not a trailing `/...`; only a final `/...` is allowed"
    )]
    MisplacedWildcard(String),
    /// A segment is empty (`//`), or contains characters that never appear in a path.
    #[error("route `{pattern}` has an invalid segment `{segment}`")]
    InvalidSegment {
        /// The pattern.
        pattern: String,
        /// The offending segment.
        segment: String,
    },
}

/// Why a route could not be added to a [`Router`](crate::Router).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InsertError {
    /// The pattern is invalid.
    #[error(transparent)]
    Pattern(#[from] PatternError),
    /// The route has an empty method set.
    #[error("route `{0}` accepts no method")]
    NoMethods(String),
    /// An existing route matches the same paths under at least one of the same methods, so
    /// neither could be preferred.
    #[error(
        "route `{methods} {pattern}` conflicts with `{existing_methods} {existing}`: both match the same paths with {overlap}"
    )]
    Conflict {
        /// The pattern being inserted.
        pattern: String,
        /// Its methods.
        methods: Methods,
        /// The pattern already in the router.
        existing: String,
        /// The existing route's methods.
        existing_methods: Methods,
        /// The methods both accept.
        overlap: Methods,
    },
}

/// Why no route answers a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MatchError {
    /// No route matches the path.
    #[error("no route matches the path")]
    NotFound,
    /// Routes match the path, but none accepts the method.
    #[error("the path exists, but not for this method; allowed: {allowed}")]
    MethodNotAllowed {
        /// The methods the matching routes accept (with `HEAD` wherever `GET` is).
        allowed: Methods,
    },
}
