use std::borrow::Cow;

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

/// Whether the raw segment, once percent-decoded, equals `literal`; without allocating.
pub(crate) fn decoded_eq(raw: &str, literal: &str) -> bool {
    let mut raw = raw.as_bytes();
    let mut literal = literal.as_bytes().iter();
    while let Some((&byte, tail)) = raw.split_first() {
        let (decoded, after) = match (byte, tail.split_at_checked(2)) {
            (b'%', Some((hex, after))) => match hex_pair(hex) {
                Some(decoded) => (decoded, after),
                None => return false,
            },
            (b'%', None) => return false,
            _ => (byte, tail),
        };
        if literal.next() != Some(&decoded) {
            return false;
        }
        raw = after;
    }
    literal.next().is_none()
}

fn hex_pair(hex: &[u8]) -> Option<u8> {
    let digit = |b: u8| (b as char).to_digit(16);
    Some((digit(hex[0])? * 16 + digit(hex[1])?) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decoded_eq_table() {
        for (raw, literal, expected) in [
            ("hello", "hello", true),
            ("h%65llo", "hello", true),
            ("h%6", "h%6", false),
            ("hello", "hell", false),
            ("hell", "hello", false),
            ("caf%C3%A9", "café", true),
            ("%2F", "/", true),
            ("%zz", "%zz", false),
        ] {
            assert_eq!(decoded_eq(raw, literal), expected, "{raw} vs {literal}");
        }
    }
}
