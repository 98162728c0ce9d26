//! Spin's `allowed_outbound_hosts` syntax, for the manifest (validation), the local host (what
//! a component may reach) and the outbound adapter (what one handler may reach).
//!
//! An entry is `<scheme>://<host>[:<port>]`:
//!
//! - scheme: a name (`http`, `https`) or `*`;
//! - host: a name (`api.example.com`), `*.example.com` (any subdomain), an IP address, a CIDR
//!   block (`10.0.0.0/8`) or `*`;
//! - port: a number, a range `8000..8010` (end excluded), `*`, or nothing for the scheme's
//!   well-known port (`http` 80, `https` 443).
//!
//! ```
//! use edgeway_outbound::AllowedHosts;
//!
//! let hosts = AllowedHosts::parse(["http://127.0.0.1:*", "https://*.example.com"]).unwrap();
//! assert!(hosts.allows("http", "127.0.0.1:8080"));
//! assert!(hosts.allows("https", "api.example.com"));
//! assert!(!hosts.allows("http", "api.example.com"));
//! ```
#![deny(missing_docs)]

use std::fmt;
use std::net::IpAddr;
use std::ops::Range;

/// Why an entry is not in Spin's syntax.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HostError {
    /// No `://`.
    #[error("`{0}` has no scheme; write it as `<scheme>://<host>[:<port>]`, e.g. `https://{0}`")]
    NoScheme(String),
    /// The scheme is not a word or `*`.
    #[error("`{0}` has a scheme that is not a word or `*`")]
    Scheme(String),
    /// The host is empty, has a path, or a `*` anywhere but as the first label.
    #[error(
        "`{0}` has no valid host: use a name, `*.<domain>`, an IP address, a CIDR block or `*`"
    )]
    Host(String),
    /// The port is not a number, a range `a..b` or `*`, or is missing for a scheme without a
    /// well-known port.
    #[error(
        "`{0}` has no valid port: use a number, a range `8000..8010`, `*`, or leave it out for http or https"
    )]
    Port(String),
    /// A `{{ variable }}` template, which only the component's own list may hold.
    #[error("`{0}` is a template; a handler's hosts are literal")]
    Template(String),
}

/// One entry of `allowed_outbound_hosts`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedHost {
    text: String,
    scheme: Option<String>,
    host: HostPattern,
    ports: Ports,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum HostPattern {
    Any,
    /// `*.example.com`, kept as `.example.com`.
    Subdomain(String),
    Name(String),
    Network(IpAddr, u8),
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Ports {
    Any,
    Range(Range<u16>),
}

impl AllowedHost {
    /// Parses one entry.
    pub fn parse(text: &str) -> Result<AllowedHost, HostError> {
        let entry = text.trim();
        if entry.contains("{{") {
            return Err(HostError::Template(entry.into()));
        }
        let (scheme, rest) = entry
            .split_once("://")
            .ok_or_else(|| HostError::NoScheme(entry.into()))?;
        let scheme = match scheme {
            "*" => None,
            word if !word.is_empty() && word.chars().all(|c| c.is_ascii_alphabetic()) => {
                Some(word.to_ascii_lowercase())
            }
            _ => return Err(HostError::Scheme(entry.into())),
        };
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        let (host, port) = split_port(rest);
        let host = HostPattern::parse(host).ok_or_else(|| HostError::Host(entry.into()))?;
        let ports = match port {
            None => scheme
                .as_deref()
                .and_then(well_known_port)
                .map(|p| Ports::Range(p..p + 1)),
            Some("*") => Some(Ports::Any),
            Some(port) => parse_ports(port),
        }
        .ok_or_else(|| HostError::Port(entry.into()))?;
        Ok(AllowedHost {
            text: entry.into(),
            scheme,
            host,
            ports,
        })
    }

    /// The entry as written.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Whether a request to `scheme://authority` may go out (`authority` is `host[:port]`,
    /// an IPv6 host in brackets).
    pub fn allows(&self, scheme: &str, authority: &str) -> bool {
        let scheme = scheme.to_ascii_lowercase();
        let (host, port) = split_port(authority);
        let port = match port {
            Some(port) => port.parse().ok(),
            None => well_known_port(&scheme),
        };
        self.scheme.as_ref().is_none_or(|s| *s == scheme)
            && self.host.allows(&host.to_ascii_lowercase())
            && port.is_some_and(|port| self.ports.contains(port))
    }

    /// Whether every request this entry allows, `other` allows too.
    pub fn covered_by(&self, other: &AllowedHost) -> bool {
        let scheme = match (&other.scheme, &self.scheme) {
            (None, _) => true,
            (Some(a), Some(b)) => a == b,
            (Some(_), None) => false,
        };
        let ports = match (&other.ports, &self.ports) {
            (Ports::Any, _) => true,
            (Ports::Range(a), Ports::Range(b)) => a.start <= b.start && b.end <= a.end,
            (Ports::Range(_), Ports::Any) => false,
        };
        scheme && ports && self.host.covered_by(&other.host)
    }
}

impl fmt::Display for AllowedHost {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl HostPattern {
    fn parse(host: &str) -> Option<HostPattern> {
        if host == "*" {
            return Some(HostPattern::Any);
        }
        if host.is_empty() || host.contains(['/', '@', '?', '#', ' ']) && !is_network(host) {
            return None;
        }
        if let Some((address, bits)) = host.split_once('/') {
            let address: IpAddr = unbracket(address).parse().ok()?;
            let bits: u8 = bits.parse().ok()?;
            let max = if address.is_ipv4() { 32 } else { 128 };
            return (bits <= max).then_some(HostPattern::Network(address, bits));
        }
        if let Ok(address) = unbracket(host).parse::<IpAddr>() {
            let bits = if address.is_ipv4() { 32 } else { 128 };
            return Some(HostPattern::Network(address, bits));
        }
        if let Some(domain) = host.strip_prefix("*.") {
            return (!domain.is_empty() && !domain.contains('*'))
                .then(|| HostPattern::Subdomain(format!(".{}", domain.to_ascii_lowercase())));
        }
        (!host.contains('*')).then(|| HostPattern::Name(host.to_ascii_lowercase()))
    }

    fn allows(&self, host: &str) -> bool {
        match self {
            HostPattern::Any => true,
            HostPattern::Subdomain(suffix) => host.ends_with(suffix.as_str()),
            HostPattern::Name(name) => name == host,
            HostPattern::Network(network, bits) => unbracket(host)
                .parse::<IpAddr>()
                .is_ok_and(|address| in_network(address, *network, *bits)),
        }
    }

    fn covered_by(&self, other: &HostPattern) -> bool {
        match (other, self) {
            (HostPattern::Any, _) => true,
            (_, HostPattern::Any) => false,
            (HostPattern::Subdomain(wide), HostPattern::Subdomain(narrow)) => {
                narrow.ends_with(wide.as_str())
            }
            (HostPattern::Subdomain(wide), HostPattern::Name(name)) => {
                name.ends_with(wide.as_str())
            }
            (HostPattern::Name(a), HostPattern::Name(b)) => a == b,
            (HostPattern::Network(wide, wide_bits), HostPattern::Network(narrow, narrow_bits)) => {
                wide_bits <= narrow_bits && in_network(*narrow, *wide, *wide_bits)
            }
            _ => false,
        }
    }
}

fn is_network(host: &str) -> bool {
    host.split_once('/').is_some_and(|(address, bits)| {
        unbracket(address).parse::<IpAddr>().is_ok() && !bits.is_empty()
    })
}

fn in_network(address: IpAddr, network: IpAddr, bits: u8) -> bool {
    let (address, network, width) = match (address, network) {
        (IpAddr::V4(a), IpAddr::V4(n)) => (u128::from(a.to_bits()), u128::from(n.to_bits()), 32),
        (IpAddr::V6(a), IpAddr::V6(n)) => (a.to_bits(), n.to_bits(), 128),
        _ => return false,
    };
    let shift = width - u32::from(bits);
    shift >= width || address >> shift == network >> shift
}

fn unbracket(host: &str) -> &str {
    host.strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host)
}

/// `host[:port]`, with an IPv6 host in brackets.
fn split_port(authority: &str) -> (&str, Option<&str>) {
    let colon = match authority.rfind(']') {
        Some(end) => authority[end..].find(':').map(|i| end + i),
        None => authority.rfind(':'),
    };
    match colon {
        // A bare IPv6 address (several colons, no brackets) has no port.
        Some(_) if !authority.starts_with('[') && authority.matches(':').count() > 1 => {
            (authority, None)
        }
        Some(at) => (&authority[..at], Some(&authority[at + 1..])),
        None => (authority, None),
    }
}

fn parse_ports(port: &str) -> Option<Ports> {
    if let Some((start, end)) = port.split_once("..") {
        let (start, end) = (start.parse().ok()?, end.parse().ok()?);
        return (start < end).then_some(Ports::Range(start..end));
    }
    let port: u16 = port.parse().ok()?;
    Some(Ports::Range(port..port.checked_add(1)?))
}

impl Ports {
    fn contains(&self, port: u16) -> bool {
        match self {
            Ports::Any => true,
            Ports::Range(range) => range.contains(&port),
        }
    }
}

fn well_known_port(scheme: &str) -> Option<u16> {
    match scheme {
        "http" => Some(80),
        "https" => Some(443),
        "postgres" => Some(5432),
        "mysql" => Some(3306),
        "redis" => Some(6379),
        "mqtt" => Some(1883),
        _ => None,
    }
}

/// A list of entries: a request may go out if any of them allows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowedHosts(Vec<AllowedHost>);

impl AllowedHosts {
    /// Parses every entry; the first that fails is returned with its position.
    pub fn parse<I, S>(entries: I) -> Result<AllowedHosts, (usize, HostError)>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        entries
            .into_iter()
            .enumerate()
            .map(|(i, entry)| AllowedHost::parse(entry.as_ref()).map_err(|e| (i, e)))
            .collect::<Result<_, _>>()
            .map(AllowedHosts)
    }

    /// Whether a request to `scheme://authority` may go out.
    pub fn allows(&self, scheme: &str, authority: &str) -> bool {
        self.0.iter().any(|host| host.allows(scheme, authority))
    }

    /// Whether every request `host` allows, some entry allows too.
    pub fn covers(&self, host: &AllowedHost) -> bool {
        self.0.iter().any(|entry| host.covered_by(entry))
    }

    /// Whether the list is empty (nothing may go out).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests;
