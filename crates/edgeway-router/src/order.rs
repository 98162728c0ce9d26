//! The priority order of patterns, as a `const fn`: a [`Table`](crate::Table) built in a
//! `const` checks its order at compile time.

use std::cmp::Ordering;

/// One pattern segment as the order sees it; variants are in priority order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Key<'a> {
    /// An exact segment, by its text.
    Exact(&'a [u8]),
    /// A `:name` segment, whatever the name.
    Param,
    /// The trailing `...`.
    Rest,
}

impl<'a> Key<'a> {
    const fn of(segment: &'a [u8]) -> Self {
        match segment {
            b"..." => Key::Rest,
            [b':', ..] => Key::Param,
            _ => Key::Exact(segment),
        }
    }

    /// Exact (by text) before `:param` before `...`.
    const fn cmp(self, other: Key<'_>) -> Ordering {
        match (self, other) {
            (Key::Exact(a), Key::Exact(b)) => cmp_bytes(a, b),
            _ => cmp_u8(self.rank(), other.rank()),
        }
    }

    const fn rank(self) -> u8 {
        match self {
            Key::Exact(_) => 0,
            Key::Param => 1,
            Key::Rest => 2,
        }
    }
}

/// The segments of a pattern after its leading `/`, as `str::split('/')` gives them; `None`
/// for `/`, which has none.
const fn segments(pattern: &str) -> Option<&[u8]> {
    match pattern.as_bytes() {
        [] | [_] => None,
        [_, body @ ..] => Some(body),
    }
}

/// The first of `segments` and the ones after it.
const fn split_first(segments: &[u8]) -> (Key<'_>, Option<&[u8]>) {
    let mut end = 0;
    while end < segments.len() && segments[end] != b'/' {
        end += 1;
    }
    let (segment, tail) = segments.split_at(end);
    let tail = match tail {
        [] => None,
        [_, tail @ ..] => Some(tail),
    };
    (Key::of(segment), tail)
}

/// Orders two patterns from most to least specific: segment by segment, and a pattern before
/// the longer ones it is a prefix of. See [`Pattern::specificity`](crate::Pattern::specificity).
pub(crate) const fn specificity(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (segments(a), segments(b));
    loop {
        let (left, right) = match (a, b) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(left), Some(right)) => (split_first(left), split_first(right)),
        };
        match left.0.cmp(right.0) {
            Ordering::Equal => (a, b) = (left.1, right.1),
            order => return order,
        }
    }
}

const fn cmp_bytes(a: &[u8], b: &[u8]) -> Ordering {
    let mut i = 0;
    while i < a.len() && i < b.len() {
        if a[i] != b[i] {
            return cmp_u8(a[i], b[i]);
        }
        i += 1;
    }
    cmp_usize(a.len(), b.len())
}

const fn cmp_u8(a: u8, b: u8) -> Ordering {
    cmp_usize(a as usize, b as usize)
}

const fn cmp_usize(a: usize, b: usize) -> Ordering {
    if a < b {
        Ordering::Less
    } else if a > b {
        Ordering::Greater
    } else {
        Ordering::Equal
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_segment_by_segment() {
        for (a, b) in [("/a", "/b"), ("/a", "/ab"), ("/Z", "/a"), ("/é", "/z")] {
            assert_eq!(specificity(a, b), a.cmp(b), "{a} vs {b}");
        }
        // Not the order of the whole strings: `/` sorts after `-`, but `a` before `a-`.
        assert_eq!(specificity("/a/b", "/a-"), Ordering::Less);
        assert_eq!(specificity("/", "/a"), Ordering::Less);
        assert_eq!(specificity("/a", "/a/..."), Ordering::Less);
        assert_eq!(specificity("/a/:x", "/a/:y"), Ordering::Equal);
    }
}
