//! Outbound HTTP as Spin allows it: a request goes out only to a host the component's
//! `allowed_outbound_hosts` allows ([`AppComponent::allowed_outbound_hosts`]); any other gets
//! `error-code.HTTP-request-denied`, with a line in the log naming the host.
//!
//! [`AppComponent::allowed_outbound_hosts`]: crate::AppComponent::allowed_outbound_hosts
use std::sync::Arc;

use edgeway_outbound::AllowedHosts;
use http_body_util::BodyExt;
use wasmtime_wasi_http::{Error, RequestOptions, WasiBody, WasiHttpHooks};

use crate::guest_output::CurrentRequest;

/// What one instance may reach, and the request to name in the log.
pub(crate) struct OutboundPolicy {
    pub(crate) allowed: Arc<AllowedHosts>,
    pub(crate) current: CurrentRequest,
}

type Sent = Box<dyn Future<Output = Result<(), Error>> + Send>;

impl WasiHttpHooks for OutboundPolicy {
    fn send_request(
        &mut self,
        request: http::Request<WasiBody>,
        options: Option<RequestOptions>,
        _fut: Sent,
    ) -> Box<dyn Future<Output = Result<(http::Response<WasiBody>, Sent), Error>> + Send> {
        let uri = request.uri();
        let scheme = uri.scheme_str().unwrap_or("https");
        let authority = uri.authority().map_or("", |a| a.as_str());
        if !self.allowed.allows(scheme, authority) {
            eprintln!(
                "{}outbound HTTP request to {uri} denied: {scheme}://{authority} is not in the component's allowed_outbound_hosts",
                self.current.prefix(),
            );
            return Box::new(async { Err(Error::HttpRequestDenied) });
        }
        Box::new(async move {
            let (response, io) = wasmtime_wasi_http::default_send_request(request, options).await?;
            Ok((response.map(BodyExt::boxed_unsync), Box::new(io) as Sent))
        })
    }
}

#[cfg(test)]
mod tests {
    use std::pin::Pin;

    use http_body_util::{BodyExt, Empty};

    use super::*;

    /// What the policy does with a request to `url` when the component allows `allowed`.
    async fn send(allowed: &[&str], url: &str) -> Result<u16, Error> {
        let mut policy = OutboundPolicy {
            allowed: Arc::new(AllowedHosts::parse(allowed).unwrap()),
            current: CurrentRequest::default(),
        };
        let body = Empty::new().map_err(|never| match never {}).boxed_unsync();
        let request = http::Request::get(url).body(body).unwrap();
        let sent = policy.send_request(request, None, Box::new(async { Ok(()) }));
        Pin::from(sent)
            .await
            .map(|(response, _)| response.status().as_u16())
    }

    #[tokio::test]
    async fn only_allowed_hosts_are_called() {
        // Denied before any connection: nothing listens on port 1.
        let denied = send(&["http://127.0.0.1:*"], "http://localhost:1/").await;
        assert!(
            matches!(denied, Err(Error::HttpRequestDenied)),
            "{denied:?}"
        );
        let none = send(&[], "http://127.0.0.1:1/").await;
        assert!(matches!(none, Err(Error::HttpRequestDenied)), "{none:?}");
        // Allowed: the request goes out, and finds nothing listening.
        let refused = send(&["http://127.0.0.1:*"], "http://127.0.0.1:1/").await;
        assert!(matches!(refused, Err(Error::Connect(_))), "{refused:?}");
    }
}
