use crate::{Manifest, ManifestError};

fn manifest(component: &str, grant: &str) -> Result<Manifest, ManifestError> {
    let text = format!(
        "spin_manifest_version = 2\n\
         [application]\n\
         name = \"app\"\n\
         [component.gateway]\n\
         source = \"app.wasm\"\n\
         {component}\n\
         [component.gateway.tool.edgeway.handlers]\n\
         fetcher = {{ path = \".\"{grant} }}\n\
         [component.gateway.tool.edgeway.routes]\n\
         \"GET /\" = \"fetcher\"\n"
    );
    Manifest::parse("spin.toml", &text)
}

fn diagnostics(result: Result<Manifest, ManifestError>) -> Vec<crate::Diagnostic> {
    match result {
        Err(ManifestError::Invalid(found)) => found,
        other => panic!("expected diagnostics, got {:?}", other.map(|m| m.handlers)),
    }
}

#[test]
fn a_handler_is_granted_the_hosts_it_lists_within_the_components() {
    let component = "allowed_outbound_hosts = [\"http://127.0.0.1:*\", \"https://*.example.com\"]";
    let granted = manifest(
        component,
        ", allowed_outbound_hosts = [\"http://127.0.0.1:8080\", \"https://api.example.com\"]",
    )
    .unwrap();
    assert_eq!(
        granted.handlers[0].allowed_outbound_hosts,
        ["http://127.0.0.1:8080", "https://api.example.com"]
    );
    assert_eq!(granted.allowed_outbound_hosts.len(), 2);
    let none = manifest(component, "").unwrap();
    assert!(none.handlers[0].allowed_outbound_hosts.is_empty());
}

#[test]
fn a_malformed_host_is_reported_where_it_is_written() {
    let found = diagnostics(manifest(
        "allowed_outbound_hosts = [\"*://*:*\"]",
        ", allowed_outbound_hosts = [\"http://ok.example\", \"api.example.com\"]",
    ));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].location.line, 8);
    assert_eq!(found[0].location.column, 72);
    assert!(
        found[0]
            .message
            .contains("handler `fetcher`: outbound host `api.example.com` has no scheme"),
        "{}",
        found[0].message
    );
    assert!(
        found[0]
            .hint
            .as_deref()
            .unwrap()
            .contains("http://127.0.0.1:*")
    );
}

#[test]
fn a_host_the_component_does_not_allow_cannot_be_granted() {
    let found = diagnostics(manifest(
        "allowed_outbound_hosts = [\"https://api.example.com\"]",
        ", allowed_outbound_hosts = [\"https://api.example.com\", \"http://127.0.0.1:*\"]",
    ));
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!((found[0].location.line, found[0].location.column), (8, 1));
    assert!(
        found[0].message.contains(
            "handler `fetcher` is granted the outbound host `http://127.0.0.1:*`, which component `gateway` does not allow"
        ),
        "{}",
        found[0].message
    );
    let hint = found[0].hint.as_deref().unwrap();
    assert!(
        hint.contains(
            "allowed_outbound_hosts = [\"https://api.example.com\", \"http://127.0.0.1:*\"]` under [component.gateway]"
        ),
        "{hint}"
    );
}
