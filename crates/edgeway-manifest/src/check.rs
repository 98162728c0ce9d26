//! The diagnostics collector every check of the manifest writes to: the file, its text, and
//! what has been found so far.

use std::path::Path;

use crate::{Diagnostic, Location, ManifestError};

/// Collects diagnostics against one file.
pub(crate) struct Checker<'s> {
    pub(crate) file: &'s Path,
    source: &'s str,
    pub(crate) found: Vec<Diagnostic>,
}

impl<'s> Checker<'s> {
    /// A checker for `source`, the text of `file`, with nothing found yet.
    pub(crate) fn new(file: &'s Path, source: &'s str) -> Checker<'s> {
        Checker {
            file,
            source,
            found: Vec::new(),
        }
    }

    /// The text being checked.
    pub(crate) fn source(&self) -> &'s str {
        self.source
    }

    pub(crate) fn location(&self, offset: usize) -> Location {
        Location::at(self.file, self.source, offset)
    }

    /// Where `key = ` is written inside the value at `span` (a route's inline table), so a
    /// diagnostic can point at it; the value's start if it cannot be found.
    pub(crate) fn key_offset(&self, span: std::ops::Range<usize>, key: &str) -> usize {
        let text = self.source.get(span.clone()).unwrap_or_default();
        let mut from = 0;
        while let Some(found) = text[from..].find(key) {
            let at = from + found;
            let before = text[..at].chars().next_back();
            let after = text[at + key.len()..].trim_start();
            if before.is_none_or(|c| !(c.is_alphanumeric() || c == '_')) && after.starts_with('=') {
                return span.start + at;
            }
            from = at + key.len();
        }
        span.start
    }

    pub(crate) fn error(&mut self, offset: usize, message: String, hint: Option<String>) {
        let location = self.location(offset);
        self.error_at(location, message, hint);
    }

    pub(crate) fn error_at(&mut self, location: Location, message: String, hint: Option<String>) {
        self.found.push(Diagnostic {
            location,
            message,
            hint,
        });
    }

    /// The checked value if nothing was found, or every diagnostic in file order.
    pub(crate) fn finish<T>(mut self, checked: Option<T>) -> Result<T, ManifestError> {
        self.found
            .sort_by_key(|d| (d.location.line, d.location.column));
        match checked {
            Some(checked) if self.found.is_empty() => Ok(checked),
            _ => Err(ManifestError::Invalid(self.found)),
        }
    }
}
