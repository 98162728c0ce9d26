//! Writing a handler's grant into an isolation adapter.
//!
//! Each adapter (`components/adapters`) is built once and holds a fixed region that its
//! `isolation-grant` crate reads at run time: [`MARKER`], a little-endian `u32` length, then
//! that many bytes of UTF-8, the handler's name and each granted entry (a variable or an
//! outbound host) on a line of its own. Composing an adapter for a handler fills the region in. The bytes of a core module's
//! data segment appear unchanged in the component that embeds it, and the region keeps its
//! size, so filling it changes nothing else in the binary.
//!
//! The alternatives cost more: a build of the adapter per handler (a cargo run each, and a
//! cache to keep) or a generated component holding the name (one more linear memory per
//! handler, against Spin's limit of 32).

/// Marks the region; the same bytes as `isolation_grant::MARKER`.
pub const MARKER: &[u8; 32] = b"edgeway:isolation-grant:v1:start";
/// The region's size, marker included; the same as `isolation_grant::REGION_SIZE`.
pub const REGION_SIZE: usize = 4096;

/// Why a grant could not be written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GrantError {
    /// The component holds no grant region, or more than one.
    #[error("the adapter holds {0} grant regions, not one: it is not an edgeway isolation adapter")]
    Regions(usize),
    /// The grant does not fit.
    #[error("the grant takes {0} bytes; at most {max} fit", max = REGION_SIZE - MARKER.len() - 4)]
    TooLarge(usize),
    /// A name holds a line break, which would split it in two.
    #[error("`{0}` cannot be granted: it holds a line break")]
    LineBreak(String),
}

/// The adapter `wasm` with its region holding `handler`'s grant of `entries` (variables or
/// outbound hosts).
pub fn write_grant(wasm: &[u8], handler: &str, entries: &[String]) -> Result<Vec<u8>, GrantError> {
    let mut text = String::from(handler);
    for name in std::iter::once(handler).chain(entries.iter().map(String::as_str)) {
        if name.contains(['\n', '\r']) {
            return Err(GrantError::LineBreak(name.to_owned()));
        }
    }
    for entry in entries {
        text.push('\n');
        text.push_str(entry);
    }
    let room = REGION_SIZE - MARKER.len() - 4;
    if text.len() > room {
        return Err(GrantError::TooLarge(text.len()));
    }
    let found: Vec<usize> = wasm
        .windows(MARKER.len())
        .enumerate()
        .filter(|(_, window)| window == MARKER)
        .map(|(at, _)| at)
        .collect();
    let [at] = found[..] else {
        return Err(GrantError::Regions(found.len()));
    };
    if wasm.len() < at + REGION_SIZE {
        return Err(GrantError::Regions(0));
    }
    let mut patched = wasm.to_vec();
    let start = at + MARKER.len();
    patched[start..start + 4].copy_from_slice(&(text.len() as u32).to_le_bytes());
    patched[start + 4..start + 4 + text.len()].copy_from_slice(text.as_bytes());
    Ok(patched)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A region as the adapter's build leaves it, between other bytes.
    fn adapter() -> Vec<u8> {
        let mut wasm = b"\0asm before".to_vec();
        wasm.extend_from_slice(MARKER);
        wasm.extend_from_slice(&[0; 4]);
        wasm.extend(std::iter::repeat_n(b'.', REGION_SIZE - MARKER.len() - 4));
        wasm.extend_from_slice(b"after");
        wasm
    }

    #[test]
    fn writes_the_name_and_variables_in_place() {
        let wasm = adapter();
        let patched = write_grant(&wasm, "todos", &["greeting".into(), "api_url".into()]).unwrap();
        assert_eq!(patched.len(), wasm.len());
        let at = 11 + MARKER.len();
        let text = "todos\ngreeting\napi_url";
        assert_eq!(patched[at..at + 4], (text.len() as u32).to_le_bytes());
        assert_eq!(&patched[at + 4..at + 4 + text.len()], text.as_bytes());
        assert_eq!(patched[..at], wasm[..at]);
        assert_eq!(patched[at + 4 + text.len()..], wasm[at + 4 + text.len()..]);
    }

    #[test]
    fn refuses_components_without_exactly_one_region() {
        let error = write_grant(b"\0asm", "todos", &[]).unwrap_err();
        assert_eq!(error, GrantError::Regions(0));
        let mut twice = adapter();
        twice.extend(adapter());
        assert_eq!(
            write_grant(&twice, "todos", &[]).unwrap_err(),
            GrantError::Regions(2)
        );
    }

    #[test]
    fn refuses_grants_that_do_not_fit_or_would_split() {
        let many: Vec<String> = (0..1000).map(|i| format!("variable_{i}")).collect();
        assert!(matches!(
            write_grant(&adapter(), "h", &many),
            Err(GrantError::TooLarge(_))
        ));
        assert_eq!(
            write_grant(&adapter(), "h", &["a\nb".into()]).unwrap_err(),
            GrantError::LineBreak("a\nb".into())
        );
    }
}
