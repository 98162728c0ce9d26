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
