//! Fixed-window rate limits, counted in the key-value store so that they hold across the
//! fresh instance each request gets.
//!
//! Consistency: each request adds one to its window's counter with the store's atomic
//! increment and is let through if the new count is at most the limit. As long as the
//! increment is atomic (it is on Spin's stores and on the local host's SQLite store), exactly
//! `requests` calls pass per window, however many arrive at once; the rest get `429`. A
//! window is aligned to Unix time, so a caller can make up to twice the limit across a window
//! boundary, the usual price of fixed windows.

/// How often a caller may call a route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    /// Calls allowed per window.
    pub requests: u32,
    /// The window, in seconds.
    pub window_seconds: u32,
    /// What identifies a caller.
    pub key: RateKey,
}

/// What identifies a caller for rate limiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateKey {
    /// The client's IP address.
    ClientAddr,
    /// The API key's name (the client address where the route needs no key).
    ApiKey,
    /// The JWT subject (the client address where the route needs no token).
    Subject,
}

/// The counter a request increments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window {
    /// The store key of this caller's counter in the current window.
    pub counter: String,
    /// The store key of the previous window's counter, to delete when a window starts.
    pub previous: String,
    /// Seconds until the window ends.
    pub resets_in: u64,
}

impl RateLimit {
    /// The window `now` (Unix seconds) falls in, for `caller` on `route`.
    pub fn window(&self, route: &str, caller: &str, now: u64) -> Window {
        let length = u64::from(self.window_seconds.max(1));
        let index = now / length;
        let key = |index: u64| format!("edgeway:rate:{route}:{caller}:{index}");
        Window {
            counter: key(index),
            previous: key(index.saturating_sub(1)),
            resets_in: length - now % length,
        }
    }

    /// The decision once the counter reads `count` (after this request's increment).
    pub fn decide(&self, count: i64, window: &Window) -> Decision {
        let limit = i64::from(self.requests);
        Decision {
            allowed: count <= limit,
            limit: self.requests,
            remaining: (limit - count).max(0) as u32,
            resets_in: window.resets_in,
        }
    }
}

/// Whether a request passes, and what the caller is told either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    /// Whether the request may go on.
    pub allowed: bool,
    /// The limit per window.
    pub limit: u32,
    /// Calls left in this window.
    pub remaining: u32,
    /// Seconds until the window resets.
    pub resets_in: u64,
}

impl Decision {
    /// `RateLimit-Limit`, `-Remaining` and `-Reset` on every response of a limited route, and
    /// `Retry-After` when refused.
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        let mut headers = vec![
            ("ratelimit-limit", self.limit.to_string()),
            ("ratelimit-remaining", self.remaining.to_string()),
            ("ratelimit-reset", self.resets_in.to_string()),
        ];
        if !self.allowed {
            headers.push(("retry-after", self.resets_in.to_string()));
        }
        headers
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMIT: RateLimit = RateLimit {
        requests: 3,
        window_seconds: 60,
        key: RateKey::ClientAddr,
    };

    #[test]
    fn windows_align_to_unix_time() {
        let window = LIMIT.window("/todos", "127.0.0.1", 125);
        assert_eq!(window.counter, "edgeway:rate:/todos:127.0.0.1:2");
        assert_eq!(window.previous, "edgeway:rate:/todos:127.0.0.1:1");
        assert_eq!(window.resets_in, 55);
        assert_ne!(
            LIMIT.window("/todos", "127.0.0.1", 180).counter,
            window.counter
        );
    }

    #[test]
    fn the_limit_is_exact() {
        let window = LIMIT.window("/r", "c", 0);
        let decisions: Vec<Decision> = (1..=5).map(|count| LIMIT.decide(count, &window)).collect();
        let allowed: Vec<bool> = decisions.iter().map(|d| d.allowed).collect();
        assert_eq!(allowed, [true, true, true, false, false]);
        assert_eq!(decisions[0].remaining, 2);
        assert_eq!(decisions[4].remaining, 0);
        assert!(
            decisions[3]
                .headers()
                .contains(&("retry-after", "60".into()))
        );
        assert!(
            !decisions[2]
                .headers()
                .iter()
                .any(|(n, _)| *n == "retry-after")
        );
    }
}
