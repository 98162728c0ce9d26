//! The edgeway gateway: every HTTP request enters here.
//!
//! ```text
//! host (Spin, or `edgeway up`)
//!   └─ gateway: wasi:http/incoming-handler
//!        1. request id      caller's x-request-id if sane, else a new one
//!        2. route           method + path → handler, or 404 / 405 + Allow
//!        3. parameters      percent-decoded, or 400
//!        4. body            read up to the limit, or 413
//!        5. handler         edgeway:gateway/handler.handle, through a plain-name import
//!        6. response        handler's response, or its problem as problem+json
//! ```
//!
//! The route table and the imports are generated from the manifest by `build.rs`, so nothing
//! is parsed when a request arrives.
mod problem;
mod request;

#[allow(missing_docs, clippy::all)]
mod app {
    include!(concat!(env!("OUT_DIR"), "/app.rs"));
}

use edgeway_router::{MatchError, Table};
use spin_sdk::http::{Fields, IncomingRequest, OutgoingResponse, ResponseOutparam};
use spin_sdk::http_component;

use problem::Reply;

/// The largest request body read into a handler's request: Fermyon Cloud's and AWS HTTP
/// API's limit.
const MAX_BODY_BYTES: usize = 10 * 1024 * 1024;

const ROUTES: Table<'static, usize> = Table::from_sorted(&app::ROUTES);

#[http_component]
async fn handle(incoming: IncomingRequest, out: ResponseOutparam) {
    let head = request::Head::read(&incoming);
    let is_head = head.method == "HEAD";
    let mut reply = match route(&head, incoming).await {
        Ok(reply) | Err(reply) => reply,
    };
    reply
        .headers
        .push(("x-request-id".into(), head.request_id.clone().into_bytes()));
    if is_head {
        reply.body.clear();
    } else {
        reply.headers.push((
            "content-length".into(),
            reply.body.len().to_string().into_bytes(),
        ));
    }
    send(out, reply).await;
}

/// Steps 2 to 6 of the pipeline.
async fn route(head: &request::Head, incoming: IncomingRequest) -> Result<Reply, Reply> {
    let found = ROUTES
        .at(&head.method, &head.path)
        .map_err(|error| match error {
            MatchError::NotFound => problem::not_found(head),
            MatchError::MethodNotAllowed { allowed } => problem::method_not_allowed(head, allowed),
        })?;
    let params = request::decode_params(&found.params).ok_or_else(|| problem::bad_path(head))?;
    let body = request::read_body(incoming, MAX_BODY_BYTES)
        .await
        .map_err(|error| problem::body_error(head, error, MAX_BODY_BYTES))?;
    let handler = *found.value;
    let request = head.to_handler_request(found.pattern, params, body);
    match app::dispatch(handler, &request) {
        Ok(response) => problem::from_handler_response(head, app::HANDLERS[handler], response),
        Err(problem) => Ok(problem::from_handler_problem(head, problem)),
    }
}

async fn send(out: ResponseOutparam, reply: Reply) {
    let headers = Fields::from_list(&reply.headers)
        .expect("replies carry only headers the gateway checked or wrote");
    let response = OutgoingResponse::new(headers);
    response
        .set_status_code(reply.status)
        .expect("replies carry only statuses the gateway checked or wrote");
    // The client may have gone away; there is nobody left to tell.
    let _ = out.set_with_body(response, reply.body).await;
}
