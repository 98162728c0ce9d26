use std::cmp::Ordering;

use crate::PatternError;

/// One segment of a [`Pattern`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Segment<'a> {
    /// Matches this text exactly (after percent-decoding the path segment).
    Exact(&'a str),
    /// `:name`: matches any one non-empty segment.
    Param(&'a str),
    /// The trailing `...`: matches the rest of the path, possibly nothing.
    Rest,
}

/// A validated route pattern in Spin's syntax: `/`, `/cart`, `/users/:id`, `/files/...`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pattern<'a> {
    source: &'a str,
}

impl<'a> Pattern<'a> {
    /// Checks `source` and returns the pattern.
    ///
    /// ```
    /// # use edgeway_router::{Pattern, Segment};
    /// let pattern = Pattern::parse("/users/:id/...").unwrap();
    /// let segments: Vec<_> = pattern.segments().collect();
    /// assert_eq!(segments, [Segment::Exact("users"), Segment::Param("id"), Segment::Rest]);
    /// assert!(Pattern::parse("/a/.../b").is_err());
    /// ```
    pub fn parse(source: &'a str) -> Result<Self, PatternError> {
        let pattern = Pattern { source };
        let body = source
            .strip_prefix('/')
            .ok_or_else(|| PatternError::MissingLeadingSlash(source.to_owned()))?;
        if body.is_empty() {
            return Ok(pattern);
        }
        let mut names: Vec<&str> = Vec::new();
        let mut raw = body.split('/').peekable();
        while let Some(segment) = raw.next() {
            let invalid = || PatternError::InvalidSegment {
                pattern: source.to_owned(),
                segment: segment.to_owned(),
            };
            match classify(segment) {
                Segment::Rest if raw.peek().is_some() => {
                    return Err(PatternError::MisplacedWildcard(source.to_owned()));
                }
                Segment::Rest => {}
                Segment::Param("") => return Err(PatternError::EmptyParamName(source.to_owned())),
                Segment::Param(name) if !name.chars().all(is_name_char) => return Err(invalid()),
                Segment::Param(name) if names.contains(&name) => {
                    return Err(PatternError::DuplicateParam {
                        pattern: source.to_owned(),
                        name: name.to_owned(),
                    });
                }
                Segment::Param(name) => names.push(name),
                Segment::Exact(text) if text.contains('*') || text.contains("...") => {
                    return Err(PatternError::MisplacedWildcard(source.to_owned()));
                }
                Segment::Exact(text) if text.is_empty() || !text.chars().all(is_path_char) => {
                    return Err(invalid());
                }
                Segment::Exact(_) => {}
            }
        }
        Ok(pattern)
    }

    /// The pattern as written.
    pub fn as_str(&self) -> &'a str {
        self.source
    }

    /// The segments, in order; none for `/`.
    pub fn segments(&self) -> impl Iterator<Item = Segment<'a>> + use<'a> {
        let body = &self.source[1..];
        body.split('/')
            .filter(move |_| !body.is_empty())
            .map(classify)
    }

    /// Whether the pattern ends in `/...`.
    pub fn is_wildcard(&self) -> bool {
        self.source == "/..." || self.source.ends_with("/...")
    }

    /// Orders patterns from most to least specific; `Equal` exactly when both match the
    /// same set of paths (they differ at most in parameter names).
    pub fn specificity(&self, other: &Pattern<'_>) -> Ordering {
        crate::order::specificity(self.source, other.source)
    }
}

fn classify(segment: &str) -> Segment<'_> {
    if segment == "..." {
        Segment::Rest
    } else if let Some(name) = segment.strip_prefix(':') {
        Segment::Param(name)
    } else {
        Segment::Exact(segment)
    }
}

fn is_name_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_' || c == '-'
}

/// Characters a decoded path segment can hold in a route: anything printable but the
/// delimiters that end a path.
fn is_path_char(c: char) -> bool {
    !c.is_control() && !c.is_whitespace() && !matches!(c, '?' | '#' | '%')
}

#[cfg(test)]
mod tests {
    use super::*;
    use Segment::*;

    #[test]
    fn parses_valid_patterns() {
        let table: &[(&str, &[Segment])] = &[
            ("/", &[]),
            ("/...", &[Rest]),
            ("/cart", &[Exact("cart")]),
            (
                "/users/:id/edit",
                &[Exact("users"), Param("id"), Exact("edit")],
            ),
            ("/files/...", &[Exact("files"), Rest]),
            ("/:a/:b-c_d", &[Param("a"), Param("b-c_d")]),
            ("/café", &[Exact("café")]),
        ];
        for (source, expected) in table {
            let pattern = Pattern::parse(source).unwrap();
            assert_eq!(
                pattern.segments().collect::<Vec<_>>(),
                *expected,
                "{source}"
            );
        }
    }

    #[test]
    fn rejects_invalid_patterns_with_reason() {
        let table = [
            ("hello", "must start with `/`"),
            ("", "must start with `/`"),
            ("/a/:", "without a name"),
            ("/:id/:id", "parameter name `id` twice"),
            ("/a/.../b", "not a trailing `/...`"),
            ("/a/*", "not a trailing `/...`"),
            ("/a/b...", "not a trailing `/...`"),
            ("/a//b", "invalid segment ``"),
            ("/a/", "invalid segment ``"),
            ("/a?b", "invalid segment `a?b`"),
            ("/a b", "invalid segment `a b`"),
            ("/:x.y", "invalid segment `:x.y`"),
        ];
        for (source, reason) in table {
            let error = Pattern::parse(source).unwrap_err().to_string();
            assert!(error.contains(reason), "{source}: {error}");
        }
    }

    #[test]
    fn specificity_orders_exact_param_rest() {
        let order = [
            "/a/b", "/a/b/...", "/a/:x", "/a/...", "/:x", "/:x/b", "/...",
        ];
        for pair in order.windows(2) {
            let (more, less) = (
                Pattern::parse(pair[0]).unwrap(),
                Pattern::parse(pair[1]).unwrap(),
            );
            assert_eq!(
                more.specificity(&less),
                Ordering::Less,
                "{} before {}",
                pair[0],
                pair[1]
            );
        }
        let (a, b) = (
            Pattern::parse("/u/:id").unwrap(),
            Pattern::parse("/u/:name").unwrap(),
        );
        assert_eq!(a.specificity(&b), Ordering::Equal);
    }
}
