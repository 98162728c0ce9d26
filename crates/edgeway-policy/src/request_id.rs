//! Request ids (`x-request-id`) and W3C trace context (`traceparent`).

/// The caller's `x-request-id` if it is safe to echo and log: 1 to 128 of
/// `A-Z a-z 0-9 - _ . :`.
pub fn accept(incoming: Option<&str>) -> Option<&str> {
    incoming.filter(|id| {
        (1..=128).contains(&id.len())
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
    })
}

/// A new request id: a UUID version 7 (time-ordered), from the Unix time in milliseconds (its
/// low 48 bits) and 10 random bytes. Ids from later milliseconds sort after earlier ones; two
/// ids in the same millisecond are ordered by their random bytes.
pub fn generate(unix_millis: u64, random: [u8; 10]) -> String {
    let id = uuid::Builder::from_unix_timestamp_millis(unix_millis, &random).into_uuid();
    let mut text = [0u8; uuid::fmt::Hyphenated::LENGTH];
    id.hyphenated().encode_lower(&mut text).to_owned()
}

/// A W3C `traceparent`: version 00, trace id, parent span id, flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Traceparent {
    /// 16 bytes, not all zero.
    pub trace_id: [u8; 16],
    /// 8 bytes, not all zero.
    pub span_id: [u8; 8],
    /// Trace flags (bit 0: sampled).
    pub flags: u8,
}

impl Traceparent {
    /// Parses a header value; `None` if it is not a valid version-00 `traceparent` (the
    /// gateway then starts a new trace).
    pub fn parse(value: &str) -> Option<Traceparent> {
        let mut parts = value.trim().split('-');
        let (version, trace, span, flags) =
            (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || version != "00" {
            return None;
        }
        let trace_id: [u8; 16] = hex(trace)?;
        let span_id: [u8; 8] = hex(span)?;
        let [flags] = hex::<1>(flags)?;
        if trace_id == [0; 16] || span_id == [0; 8] {
            return None;
        }
        Some(Traceparent {
            trace_id,
            span_id,
            flags,
        })
    }

    /// A new trace, sampled.
    pub fn start(trace_id: [u8; 16], span_id: [u8; 8]) -> Traceparent {
        Traceparent {
            trace_id,
            span_id,
            flags: 1,
        }
    }

    /// The gateway's own span in the same trace.
    pub fn child(&self, span_id: [u8; 8]) -> Traceparent {
        Traceparent { span_id, ..*self }
    }
}

impl std::fmt::Display for Traceparent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut text = String::with_capacity(55);
        text.push_str("00-");
        push_hex(&mut text, &self.trace_id);
        text.push('-');
        push_hex(&mut text, &self.span_id);
        text.push('-');
        push_hex(&mut text, &[self.flags]);
        f.write_str(&text)
    }
}

/// Appends the lowercase hex of `bytes` to `out`. Trace ids are written on every request, and a
/// `format!` per byte showed in the gateway's profile.
fn push_hex(out: &mut String, bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0x0f)]));
    }
}

/// Lowercase hex of exactly `N` bytes.
fn hex<const N: usize>(text: &str) -> Option<[u8; N]> {
    if text.len() != 2 * N
        || !text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return None;
    }
    let mut bytes = [0u8; N];
    for (i, byte) in bytes.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_only_sane_ids() {
        let long = "a".repeat(129);
        for (id, kept) in [
            ("abc-123_x.y:z", true),
            ("", false),
            (long.as_str(), false),
            ("has space", false),
            ("new\nline", false),
            ("ünï", false),
        ] {
            assert_eq!(accept(Some(id)).is_some(), kept, "{id:?}");
        }
    }

    #[test]
    fn generated_ids_are_uuid_v7() {
        let id = generate(0x0189_abcd_ef01, [0xff; 10]);
        assert_eq!(id, "0189abcd-ef01-7fff-bfff-ffffffffffff");
        assert!(
            generate(2, [0; 10]) > generate(1, [0xff; 10]),
            "ids sort by time"
        );
        assert_eq!(
            generate(1 << 48 | 5, [7; 10]),
            generate(5, [7; 10]),
            "only the low 48 bits of the time are kept"
        );
    }

    #[test]
    fn traceparent_round_trip_and_rejections() {
        let value = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let parsed = Traceparent::parse(value).unwrap();
        assert_eq!(parsed.to_string(), value);
        let child = parsed.child([1; 8]);
        assert_eq!(child.trace_id, parsed.trace_id);
        assert_eq!(
            child.to_string(),
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0101010101010101-01"
        );
        for bad in [
            "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            "garbage",
        ] {
            assert_eq!(Traceparent::parse(bad), None, "{bad}");
        }
    }
}
