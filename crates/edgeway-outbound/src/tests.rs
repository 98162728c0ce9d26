use super::{AllowedHost, AllowedHosts, HostError};

#[test]
fn requests_are_matched_as_spin_matches_them() {
    // (entry, scheme, authority, allowed)
    let table = [
        ("http://127.0.0.1:*", "http", "127.0.0.1:8080", true),
        ("http://127.0.0.1:*", "https", "127.0.0.1:8080", false),
        ("http://127.0.0.1:*", "http", "127.0.0.2:8080", false),
        ("https://api.example.com", "https", "api.example.com", true),
        (
            "https://api.example.com",
            "https",
            "api.example.com:443",
            true,
        ),
        (
            "https://api.example.com",
            "https",
            "api.example.com:8443",
            false,
        ),
        ("https://api.example.com", "https", "API.Example.com", true),
        (
            "https://api.example.com",
            "https",
            "evil.example.com",
            false,
        ),
        ("http://localhost:3000", "http", "localhost:3000", true),
        ("http://localhost:3000", "http", "localhost", false),
        ("https://*.example.com", "https", "a.b.example.com", true),
        ("https://*.example.com", "https", "example.com", false),
        ("https://*.example.com", "https", "notexample.com", false),
        ("*://*:*", "ftp", "anything:21", true),
        ("http://10.0.0.0/8:*", "http", "10.1.2.3:80", true),
        ("http://10.0.0.0/8:*", "http", "11.1.2.3:80", false),
        ("http://[::1]:8000..8010", "http", "[::1]:8005", true),
        ("http://[::1]:8000..8010", "http", "[::1]:8010", false),
        ("http://example.com:*", "http", "example.com", true),
        ("redis://cache", "redis", "cache:6379", true),
    ];
    for (entry, scheme, authority, allowed) in table {
        let host = AllowedHost::parse(entry).unwrap();
        assert_eq!(
            host.allows(scheme, authority),
            allowed,
            "{entry} for {scheme}://{authority}"
        );
    }
}

#[test]
fn malformed_entries_are_refused_with_the_reason() {
    let table = [
        (
            "api.example.com",
            HostError::NoScheme("api.example.com".into()),
        ),
        ("ht-tp://a", HostError::Scheme("ht-tp://a".into())),
        ("http://", HostError::Host("http://".into())),
        ("http://a.*.com", HostError::Host("http://a.*.com".into())),
        (
            "http://a.com/path",
            HostError::Host("http://a.com/path".into()),
        ),
        (
            "http://a.com:port",
            HostError::Port("http://a.com:port".into()),
        ),
        (
            "http://a.com:90..80",
            HostError::Port("http://a.com:90..80".into()),
        ),
        ("ftp://a.com", HostError::Port("ftp://a.com".into())),
        ("*://a.com", HostError::Port("*://a.com".into())),
        ("{{ api }}", HostError::Template("{{ api }}".into())),
    ];
    for (entry, error) in table {
        assert_eq!(AllowedHost::parse(entry), Err(error), "{entry}");
    }
    let Err((index, _)) = AllowedHosts::parse(["http://a.com", "nope"]) else {
        panic!("accepted");
    };
    assert_eq!(index, 1);
}

#[test]
fn a_wider_entry_covers_a_narrower_one() {
    // (narrow, wide, covered)
    let table = [
        ("http://127.0.0.1:8080", "http://127.0.0.1:*", true),
        ("http://127.0.0.1:*", "http://127.0.0.1:8080", false),
        ("https://api.example.com", "https://*.example.com", true),
        ("https://*.api.example.com", "https://*.example.com", true),
        ("https://*.example.com", "https://api.example.com", false),
        ("https://api.example.com", "*://*:*", true),
        ("https://api.example.com", "http://api.example.com", false),
        ("http://10.1.0.0/16:80", "http://10.0.0.0/8:*", true),
        ("http://10.0.0.0/8:80", "http://10.1.0.0/16:*", false),
        ("http://a.com:8001..8003", "http://a.com:8000..8010", true),
    ];
    for (narrow, wide, covered) in table {
        let (narrow, wide) = (
            AllowedHost::parse(narrow).unwrap(),
            AllowedHost::parse(wide).unwrap(),
        );
        assert_eq!(narrow.covered_by(&wide), covered, "{narrow} within {wide}");
    }
}
