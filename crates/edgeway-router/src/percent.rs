use std::borrow::Cow;
use std::cmp::Ordering;

/// Why a request path is refused before routing (see [`check_path`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PathError {
    /// The path does not start with `/` (`*`, or a relative target).
    #[error("the path must start with `/`")]
    NotAbsolute,
    /// A `%` not followed by two hex digits.
    #[error("a `%` is not followed by two hex digits")]
    BadEscape,
    /// A segment that is not UTF-8 once percent-decoded.
    #[error("a segment is not valid UTF-8 once percent-decoded")]
    NotUtf8,
    /// A segment that decodes to a control character (`%00`, `%0A`, ...).
    #[error("a segment holds an encoded control character")]
    ControlCharacter,
    /// A `.` or `..` segment, written plainly or percent-encoded.
    #[error("dot segments (`.` and `..`, also percent-encoded) are not allowed")]
    DotSegment,
    /// Two slashes in a row.
    #[error("empty segments (`//`) are not allowed")]
    EmptySegment,
}

/// Checks a request path (without its query) before it is routed.
///
/// A gateway that routes one reading of a path while the handler, a proxy in front or a
/// file system reads another lets requests slip past the route's policies; so every path
/// with more than one plausible reading is refused rather than rewritten: dot segments
/// (also as `%2e`), empty segments (`//`), malformed escapes, segments that are not UTF-8
/// once decoded, and encoded control characters. One trailing slash is allowed (the router
/// ignores it), and `%2F` may appear inside a segment: it never splits one.
///
/// ```
/// # use edgeway_router::{check_path, PathError};
/// assert_eq!(check_path("/hello/J%C3%BCrgen/"), Ok(()));
/// assert_eq!(check_path("/echo/../keyed"), Err(PathError::DotSegment));
/// assert_eq!(check_path("/echo/%2E%2e/keyed"), Err(PathError::DotSegment));
/// assert_eq!(check_path("//keyed"), Err(PathError::EmptySegment));
/// assert_eq!(check_path("/hello%00"), Err(PathError::ControlCharacter));
/// ```
pub fn check_path(path: &str) -> Result<(), PathError> {
    let body = path.strip_prefix('/').ok_or(PathError::NotAbsolute)?;
    if body.is_empty() {
        return Ok(());
    }
    let body = body.strip_suffix('/').unwrap_or(body);
    body.split('/').try_for_each(check_segment)
}

fn check_segment(segment: &str) -> Result<(), PathError> {
    if segment.is_empty() {
        return Err(PathError::EmptySegment);
    }
    let mut decoded = Vec::with_capacity(segment.len());
    let mut rest = segment.as_bytes();
    while let Some((&byte, tail)) = rest.split_first() {
        if byte == b'%' {
            let (hex, after) = tail.split_at_checked(2).ok_or(PathError::BadEscape)?;
            decoded.push(hex_pair(hex).ok_or(PathError::BadEscape)?);
            rest = after;
        } else {
            decoded.push(byte);
            rest = tail;
        }
    }
    if decoded == b"." || decoded == b".." {
        return Err(PathError::DotSegment);
    }
    if decoded.iter().any(|b| b.is_ascii_control()) {
        return Err(PathError::ControlCharacter);
    }
    std::str::from_utf8(&decoded).map_err(|_| PathError::NotUtf8)?;
    Ok(())
}

/// Decodes `%XX` escapes in a path segment or parameter.
///
/// Returns `None` when an escape is malformed or the decoded bytes are not UTF-8, so that
/// the caller can answer 400 instead of guessing. `+` is left alone: it means a space only
/// in form bodies, never in paths.
///
/// ```
/// # use edgeway_router::percent_decode;
/// assert_eq!(percent_decode("J%C3%BCrgen").as_deref(), Some("Jürgen"));
/// assert_eq!(percent_decode("plain").as_deref(), Some("plain"));
/// assert_eq!(percent_decode("bad%2"), None);
/// assert_eq!(percent_decode("%FF"), None);
/// ```
pub fn percent_decode(input: &str) -> Option<Cow<'_, str>> {
    if !input.contains('%') {
        return Some(Cow::Borrowed(input));
    }
    let mut bytes = Vec::with_capacity(input.len());
    let mut rest = input.as_bytes();
    while let Some((&byte, tail)) = rest.split_first() {
        if byte == b'%' {
            let (hex, after) = tail.split_at_checked(2)?;
            bytes.push(hex_pair(hex)?);
            rest = after;
        } else {
            bytes.push(byte);
            rest = tail;
        }
    }
    String::from_utf8(bytes).ok().map(Cow::Owned)
}

/// Orders an exact segment's text against the raw segment once percent-decoded, byte by
/// byte, without allocating. Both may go on with `/` and more segments, which are left out
/// (an escaped `%2F` does not end a raw segment). A `%` without two hex digits after it
/// counts as itself, so the order is total; it never makes the two equal, since a route's
/// exact segment holds no `%`.
#[inline]
pub(crate) fn cmp_decoded(text: &[u8], raw: &str) -> Ordering {
    compare_decoded(text, raw).0
}

/// The lengths of the first segment of `text` and of `raw` when they are equal as
/// [`cmp_decoded`] compares them.
#[inline]
pub(crate) fn eq_decoded(text: &[u8], raw: &str) -> Option<(usize, usize)> {
    let (order, text_len, raw_len) = compare_decoded(text, raw);
    order.is_eq().then_some((text_len, raw_len))
}

/// [`cmp_decoded`], and how far it read into `text` and `raw`.
#[inline]
fn compare_decoded(text: &[u8], raw: &str) -> (Ordering, usize, usize) {
    let raw = raw.as_bytes();
    // Up to the first escape, the bytes compare as they are.
    let mut i = 0;
    while let (Some(&expected), Some(&byte)) = (text.get(i), raw.get(i)) {
        if byte == b'%' || byte == b'/' || expected == b'/' {
            break;
        }
        if expected != byte {
            return (expected.cmp(&byte), i, i);
        }
        i += 1;
    }
    let mut j = i;
    loop {
        let expected = text.get(i).copied().filter(|&byte| byte != b'/');
        let Some(&byte) = raw.get(j).filter(|&&byte| byte != b'/') else {
            let order = match expected {
                Some(_) => Ordering::Greater,
                None => Ordering::Equal,
            };
            return (order, i, j);
        };
        let escaped = match byte {
            b'%' => raw.get(j + 1..j + 3).and_then(hex_pair),
            _ => None,
        };
        let (decoded, width) = escaped.map_or((byte, 1), |decoded| (decoded, 3));
        match expected {
            Some(expected) if expected == decoded => {}
            Some(expected) => return (expected.cmp(&decoded), i, j),
            None => return (Ordering::Less, i, j),
        }
        (i, j) = (i + 1, j + width);
    }
}

fn hex_pair(hex: &[u8]) -> Option<u8> {
    let digit = |b: u8| (b as char).to_digit(16);
    Some((digit(hex[0])? * 16 + digit(hex[1])?) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cmp_decoded_orders_the_decoded_bytes() {
        use Ordering::*;
        for (literal, raw, expected) in [
            ("hello", "hello", Equal),
            ("hello", "h%65llo", Equal),
            ("hell", "hello", Less),
            ("hello", "hell", Greater),
            ("café", "caf%C3%A9", Equal),
            ("a", "b", Less),
            ("b", "%61", Greater),
            ("ab", "a", Greater),
            ("a", "ab", Less),
            ("a", "%zz", Greater),
            ("a", "%2", Greater),
            ("", "", Equal),
            ("a/b", "a", Equal),
            ("a", "a/b", Equal),
            ("a/b", "a%2Fb", Less),
            ("ab", "a/b", Greater),
        ] {
            assert_eq!(
                cmp_decoded(literal.as_bytes(), raw),
                expected,
                "{literal} vs {raw}"
            );
        }
        for (literal, raw, lengths) in [
            ("a/b", "a/c", Some((1, 1))),
            ("café/x", "caf%C3%A9", Some((5, 9))),
            ("a", "b", None),
        ] {
            assert_eq!(
                eq_decoded(literal.as_bytes(), raw),
                lengths,
                "{literal} vs {raw}"
            );
        }
    }

    #[test]
    fn check_path_table() {
        use PathError::*;
        for (path, expected) in [
            ("/", Ok(())),
            ("/hello", Ok(())),
            ("/hello/", Ok(())),
            ("/hello/a%2Fb", Ok(())),
            ("/hello/%252e%252e", Ok(())),
            ("/.well-known/x", Ok(())),
            ("/a/...", Ok(())),
            ("/a.b/..c/c..", Ok(())),
            ("*", Err(NotAbsolute)),
            ("", Err(NotAbsolute)),
            ("/a/./b", Err(DotSegment)),
            ("/a/..", Err(DotSegment)),
            ("/a/../", Err(DotSegment)),
            ("/%2e", Err(DotSegment)),
            ("/a/.%2E/b", Err(DotSegment)),
            ("/a/%2e./b", Err(DotSegment)),
            ("//a", Err(EmptySegment)),
            ("/a//b", Err(EmptySegment)),
            ("/a//", Err(EmptySegment)),
            ("/a/%", Err(BadEscape)),
            ("/a/%2", Err(BadEscape)),
            ("/a/%zz", Err(BadEscape)),
            ("/a/%C3", Err(NotUtf8)),
            ("/a/%FF", Err(NotUtf8)),
            ("/a%00", Err(ControlCharacter)),
            ("/a/%0d%0a", Err(ControlCharacter)),
            ("/a/%7F", Err(ControlCharacter)),
        ] {
            assert_eq!(check_path(path), expected, "{path}");
        }
    }
}
