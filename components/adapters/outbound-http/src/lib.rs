//! A handler's view of outbound HTTP: the host's `wasi:http/outgoing-handler@0.2.10`,
//! limited to the hosts spin.toml grants the handler (`allowed_outbound_hosts = [...]` in its
//! entry). Spin enforces the serving component's list, the union of every handler's; this
//! adapter keeps each handler to its own part of it, so a handler never reaches a host
//! granted only to another. A refused request gets `HTTP-request-denied`, as Spin answers,
//! and a line on stderr naming the handler and the host. The composer puts one instance of
//! this component in front of each handler that imports `outgoing-handler`, with the
//! handler's name and hosts in its grant.
#![deny(missing_docs)]

#[allow(missing_docs)]
mod bindings {
    wit_bindgen::generate!({
        path: "../../../wit",
        inline: r#"
            package edgeway:isolation;
            world outbound-http-grant {
                import wasi:http/types@0.2.10;
                import wasi:http/outgoing-handler@0.2.10;
                export wasi:http/outgoing-handler@0.2.10;
            }
        "#,
        world: "edgeway:isolation/outbound-http-grant",
        generate_all,
    });
}

use std::io::Write;
use std::sync::OnceLock;

use bindings::exports::wasi::http::outgoing_handler::Guest;
use bindings::wasi::http::outgoing_handler as host;
use bindings::wasi::http::types::{
    ErrorCode, FutureIncomingResponse, OutgoingRequest, RequestOptions, Scheme,
};
use edgeway_outbound::AllowedHosts;

struct Granted;

/// The handler's name and its hosts; an entry the manifest check let through cannot fail to
/// parse, and a grant that did would allow nothing.
fn grant() -> &'static (String, AllowedHosts) {
    static GRANT: OnceLock<(String, AllowedHosts)> = OnceLock::new();
    GRANT.get_or_init(|| {
        let grant = isolation_grant::read();
        let hosts = AllowedHosts::parse(&grant.entries).unwrap_or_default();
        (grant.handler, hosts)
    })
}

impl Guest for Granted {
    /// The host's answer for a granted host; `HTTP-request-denied` for any other.
    fn handle(
        request: OutgoingRequest,
        options: Option<RequestOptions>,
    ) -> Result<FutureIncomingResponse, ErrorCode> {
        let (handler, hosts) = grant();
        // The host sends a request without a scheme over HTTPS.
        let scheme = match request.scheme() {
            Some(Scheme::Http) => "http".to_owned(),
            Some(Scheme::Https) | None => "https".to_owned(),
            Some(Scheme::Other(other)) => other,
        };
        let authority = request.authority().unwrap_or_default();
        if !hosts.allows(&scheme, &authority) {
            // One write, so the line is not interleaved with others on the host's stderr.
            let line = format!(
                "outbound HTTP request of handler `{handler}` to {scheme}://{authority} denied: \
                 it is not in the handler's allowed_outbound_hosts\n"
            );
            let _ = std::io::stderr().write_all(line.as_bytes());
            return Err(ErrorCode::HttpRequestDenied);
        }
        host::handle(request, options)
    }
}

bindings::export!(Granted with_types_in bindings);
