//! Finding a route in a table in priority order without trying every route.
//!
//! Priority order sorts patterns segment by segment (see [`order`](crate::order)), so the
//! routes that share their first segments sit together, and among them come first the ones
//! that end there, then those whose next segment is exact (sorted by its text), then
//! `:param`, then `...`. The lookup walks that order like a trie: at each segment of the
//! path it searches the routes still in the running for the exact segment, then the
//! `:param` ones, then the `...` ones, and once fewer than [`FEW`] routes are left it tries
//! them one by one. It visits the matching routes in table order, as a scan would, so the
//! first one that accepts the method is the scan's answer, and when none does it has seen
//! all of them for `Allow`. Nothing is allocated or prepared ahead.

use std::cmp::Ordering;
use std::ops::Range;

use crate::percent::{cmp_decoded, eq_decoded};
use crate::router::trim;
use crate::{Methods, Route};

/// Below this many routes, trying each one costs less than searching them.
const FEW: usize = 16;

/// The index of the most specific route that matches `path` and accepts `method`;
/// otherwise the methods of the routes that match it. `routes` must be valid and in
/// priority order.
pub(crate) fn find<T>(routes: &[Route<'_, T>], method: &str, path: &str) -> Result<usize, Methods> {
    let mut search = Search {
        routes,
        wanted: Methods::wanted(method),
        allowed: Methods::NONE,
    };
    search
        .visit(0..routes.len(), 0, trim(path))
        .ok_or(search.allowed)
}

struct Search<'s, 'r, T> {
    routes: &'s [Route<'r, T>],
    /// The methods that accept the request's method.
    wanted: Methods,
    allowed: Methods,
}

/// What a pattern has at some depth.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Head {
    End,
    Exact,
    Param,
    Rest,
}

/// What `segments` (a pattern's segments from some depth on) start with.
#[inline]
fn head(segments: Option<&str>) -> Head {
    match segments.map(str::as_bytes) {
        None => Head::End,
        Some([b':', ..]) => Head::Param,
        Some(b"..." | [b'.', b'.', b'.', b'/', ..]) => Head::Rest,
        Some(_) => Head::Exact,
    }
}

/// How `segments` (a pattern's segments from some depth on) order against an exact
/// segment equal to `raw` once percent-decoded.
#[inline]
fn cmp_exact(segments: Option<&str>, raw: &str) -> Ordering {
    match (head(segments), segments) {
        (Head::Exact, Some(text)) => cmp_decoded(text.as_bytes(), raw),
        (Head::End, _) => Ordering::Less,
        _ => Ordering::Greater,
    }
}

impl<T> Search<'_, '_, T> {
    /// Visits the routes in `range`, which all match the path up to `depth` segments, where
    /// `remaining` is left of it.
    fn visit(
        &mut self,
        range: Range<usize>,
        depth: usize,
        remaining: Option<&str>,
    ) -> Option<usize> {
        if range.len() < FEW {
            return self.try_each(range, depth, remaining);
        }
        let Some(remaining) = remaining else {
            // The path ends here: the routes that end here match, then the `...` ones.
            let ended = self.forward(range.clone(), depth, |segments| segments.is_none());
            let rest = self.backward(ended..range.end, depth, Head::Rest);
            return self
                .answer(range.start..ended)
                .or_else(|| self.answer(rest..range.end));
        };
        let (raw, tail) = split_segment(remaining);
        let exact = self.exact(range.clone(), depth, raw);
        if let Some(found) = self.visit_some(exact.clone(), depth, tail) {
            return Some(found);
        }
        let rest = self.backward(exact.end..range.end, depth, Head::Rest);
        if !raw.is_empty() {
            let params = self.backward(exact.end..rest, depth, Head::Param);
            if let Some(found) = self.visit_some(params..rest, depth, tail) {
                return Some(found);
            }
        }
        self.answer(rest..range.end)
    }

    fn visit_some(
        &mut self,
        range: Range<usize>,
        depth: usize,
        tail: Option<&str>,
    ) -> Option<usize> {
        if range.is_empty() {
            return None;
        }
        self.visit(range, depth + 1, tail)
    }

    /// The routes in `range` whose segment at `depth` is exact and equals `raw` once
    /// percent-decoded; an empty range where they would be if there are none.
    fn exact(&self, range: Range<usize>, depth: usize, raw: &str) -> Range<usize> {
        let order = |route: &Route<'_, T>| cmp_exact(segments_from(route.pattern, depth), raw);
        let start =
            range.start + self.routes[range.clone()].partition_point(|route| order(route).is_lt());
        let end = self.forward(start..range.end, depth, |segments| {
            cmp_exact(segments, raw).is_eq()
        });
        start..end
    }

    /// The end of the prefix of `range` whose segments from `depth` on satisfy `within`,
    /// searched from the front: a short prefix takes few steps.
    fn forward(
        &self,
        range: Range<usize>,
        depth: usize,
        within: impl Fn(Option<&str>) -> bool,
    ) -> usize {
        let routes = &self.routes[range.clone()];
        let within = |route: &Route<'_, T>| within(segments_from(route.pattern, depth));
        // Every route before `low` is within; probe at distances 1, 2, 4, ... from it.
        let (mut low, mut step) = (0, 1);
        let high = loop {
            let probe = low + step - 1;
            match routes.get(probe) {
                Some(route) if within(route) => (low, step) = (probe + 1, step * 2),
                Some(_) => break probe,
                None => break routes.len(),
            }
        };
        range.start + low + routes[low..high].partition_point(within)
    }

    /// The start of the suffix of `range` whose segment at `depth` is `kind`, searched from
    /// the back: a short suffix takes few steps.
    fn backward(&self, range: Range<usize>, depth: usize, kind: Head) -> usize {
        let routes = &self.routes[range.clone()];
        let within = |route: &Route<'_, T>| head(segments_from(route.pattern, depth)) == kind;
        // Every route from `high` on is within; probe at distances 1, 2, 4, ... from it.
        let (mut high, mut step) = (routes.len(), 1);
        let low = loop {
            let Some(probe) = high.checked_sub(step) else {
                break 0;
            };
            if !within(&routes[probe]) {
                break probe + 1;
            }
            (high, step) = (probe, step * 2);
        };
        range.start + low + routes[low..high].partition_point(|route| !within(route))
    }

    /// The first route in `range` that matches the path and accepts the method, trying
    /// each one.
    fn try_each(
        &mut self,
        mut range: Range<usize>,
        depth: usize,
        remaining: Option<&str>,
    ) -> Option<usize> {
        range.find(|&index| {
            matches(self.routes[index].pattern, depth, remaining, |_, _| {}) && self.accepts(index)
        })
    }

    /// The first route in `range` (all of which match) that accepts the method.
    fn answer(&mut self, mut range: Range<usize>) -> Option<usize> {
        range.find(|&index| self.accepts(index))
    }

    /// Whether the route at `index`, which matches, accepts the method; if it does not,
    /// its methods go to `allowed`.
    fn accepts(&mut self, index: usize) -> bool {
        let methods = self.routes[index].methods;
        let accepts = !methods.intersection(self.wanted).is_empty();
        if !accepts {
            self.allowed = self.allowed.union(methods);
        }
        accepts
    }
}

/// Whether the segments of `pattern` from `depth` on match `remaining`, what is left of the
/// path (trimmed, see `router::trim`) after as many segments; each `:name` segment and a
/// trailing `...` hand their name and raw value to `param`.
pub(crate) fn matches<'r, 'p>(
    pattern: &'r str,
    depth: usize,
    mut remaining: Option<&'p str>,
    mut param: impl FnMut(&'r str, &'p str),
) -> bool {
    let mut segments = segments_from(pattern, depth);
    loop {
        let kind = head(segments);
        let (Some(current), Some(path)) = (segments, remaining) else {
            return match kind {
                Head::Rest => {
                    param("...", "");
                    true
                }
                Head::End => remaining.is_none(),
                _ => false,
            };
        };
        match kind {
            Head::Rest => {
                param("...", path);
                return true;
            }
            // Compared in place: most routes differ from the path in a segment's first bytes.
            Head::Exact => {
                let Some((text_len, raw_len)) = eq_decoded(current.as_bytes(), path) else {
                    return false;
                };
                segments = current.get(text_len + 1..);
                remaining = path.get(raw_len + 1..);
            }
            _ => {
                let ((name, next), (raw, tail)) = (split_segment(current), split_segment(path));
                if raw.is_empty() {
                    return false;
                }
                param(&name[1..], raw);
                (segments, remaining) = (next, tail);
            }
        }
    }
}

/// The segments of `pattern` from `depth` on (0 is the first), or `None` if it has no more.
#[inline]
fn segments_from(pattern: &str, depth: usize) -> Option<&str> {
    let mut segments = pattern.get(1..).filter(|body| !body.is_empty())?;
    for _ in 0..depth {
        segments = split_segment(segments).1?;
    }
    Some(segments)
}

/// The first segment of a path or pattern, and what follows its `/` if there is one.
fn split_segment(path: &str) -> (&str, Option<&str>) {
    match path.bytes().position(|byte| byte == b'/') {
        Some(slash) => (&path[..slash], Some(&path[slash + 1..])),
        None => (path, None),
    }
}
