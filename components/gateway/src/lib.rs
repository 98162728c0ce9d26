//! The edgeway gateway: every HTTP request enters here.
//!
//! ```text
//! host (Spin, or `edgeway up`)
//!   └─ gateway: wasi:http/incoming-handler@0.2 or wasi:http/handler@0.3 (`edge`)
//!        1. request id      caller's x-request-id if sane, else a new UUID v7; traceparent
//!        2. CORS preflight  answered here, never reaching a handler
//!        3. route           method + path → handler, or 404 / 405 + Allow (with the
//!                           app-wide CORS headers, so browsers can read them)
//!        4. auth            API key or JWT, or 401 / 403
//!        5. rate limit      counted in the key-value store, or 429
//!        6. body            read up to the route's limit, or 413; checked against the
//!                           route's JSON Schemas (path, query and body), or 400
//!        7. handler         edgeway:gateway/handler.handle, through a plain-name import
//!        8. response        CORS and rate-limit headers added; one access-log line
//! ```
//!
//! Before routing, `GET /openapi.json` and `GET /docs` (if the manifest turns the page on)
//! answer with the app's OpenAPI document and docs page, and `POST /events/<topic>` and the
//! schedule path deliver events to their subscribers (`events.rs`).
//!
//! The route table, the policies, the imports and the OpenAPI document are generated from the
//! manifest by `build.rs`, so nothing is parsed when a request arrives.
// Spin's SDK for WASI 0.3 is a dependency of its own name; its macros refer to `spin_sdk`.
#[cfg(feature = "wasip3")]
extern crate spin_sdk_wasip3 as spin_sdk;

mod auth;
mod describe;
mod edge;
#[cfg(feature = "events")]
mod events;
mod platform;
mod problem;
mod request;
#[cfg(feature = "validation")]
mod validate;

#[allow(missing_docs, clippy::all)]
mod app {
    include!(concat!(env!("OUT_DIR"), "/app.rs"));
}

use edge::Incoming;
use edgeway_policy::access_log::{AccessLog, rfc3339};
use edgeway_policy::cors::{Cors, Preflight};
use edgeway_policy::rate_limit::{Decision, RateKey};
use edgeway_policy::{Auth, RoutePolicy};
use edgeway_router::{MatchError, Table};
use problem::Reply;
use request::Head;

/// Where a route leads: a handler (index into `app::HANDLERS`) and its policies.
pub struct Target {
    pub handler: usize,
    pub policy: RoutePolicy<'static>,
    /// The route's compiled JSON Schemas, if it has any.
    #[cfg(feature = "validation")]
    pub schemas: Option<&'static validate::RouteSchemas>,
}

const ROUTES: Table<'static, usize> = Table::from_sorted(&app::ROUTES);

/// What the access log needs to know about how a request went.
#[derive(Default)]
struct Trail {
    route: Option<&'static str>,
    handler: Option<&'static str>,
    request_bytes: u64,
    log: bool,
}

/// The whole pipeline for one request, from its head on: the reply the edge sends.
async fn respond(head: Head, incoming: Incoming) -> Reply {
    let started = platform::now();
    let clock = std::time::Instant::now();
    let mut trail = Trail {
        log: app::ACCESS_LOG,
        ..Trail::default()
    };
    let mut reply = match pipeline(&head, incoming, &mut trail).await {
        Ok(reply) | Err(reply) => reply,
    };
    reply
        .headers
        .push(("x-request-id".into(), head.request_id.clone().into_bytes()));
    reply
        .headers
        .push(("traceparent".into(), head.traceparent.clone().into_bytes()));
    if head.method == "HEAD" {
        reply.body.clear();
    } else {
        reply.headers.push((
            "content-length".into(),
            reply.body.len().to_string().into_bytes(),
        ));
    }
    if trail.log {
        let line = AccessLog {
            time: rfc3339(started.as_secs(), started.subsec_nanos()),
            request_id: &head.request_id,
            method: &head.method,
            path: &head.path,
            route: trail.route,
            handler: trail.handler,
            status: reply.status,
            duration_us: clock.elapsed().as_micros() as u64,
            request_bytes: trail.request_bytes,
            response_bytes: reply.body.len() as u64,
            client_addr: &head.client_addr,
        };
        // One write per line (`eprintln!` writes the newline apart), so that the lines of
        // concurrent requests cannot interleave.
        let line = format!("{}\n", line.to_line());
        let _ = std::io::Write::write_all(&mut std::io::stderr(), line.as_bytes());
    }
    reply
}

/// Steps 2 to 8 of the pipeline.
async fn pipeline(head: &Head, incoming: Incoming, trail: &mut Trail) -> Result<Reply, Reply> {
    let unrouted = |reply| with_headers(reply, &cors_headers(head, app::CORS.as_ref()));
    edgeway_router::check_path(&head.path)
        .map_err(|error| unrouted(problem::invalid_path(head, error)))?;
    if let Some(reply) = describe::serve(head, trail) {
        return reply.map(unrouted).map_err(unrouted);
    }
    #[cfg(feature = "events")]
    if let Some(call) = events::endpoint(head) {
        let mut route_headers = Vec::new();
        let reply = match events::answer(call, head, incoming, trail, &mut route_headers).await {
            Ok(reply) | Err(reply) => reply,
        };
        return Ok(with_headers(reply, &route_headers));
    }
    if let Some(reply) = preflight(head, trail) {
        return Ok(reply);
    }
    let found = ROUTES.at(&head.method, &head.path).map_err(|error| {
        unrouted(match error {
            MatchError::NotFound => problem::not_found(head),
            MatchError::MethodNotAllowed { allowed } => problem::method_not_allowed(head, allowed),
        })
    })?;
    let target = &app::TARGETS[*found.value];
    trail.route = Some(found.pattern);
    trail.handler = Some(app::HANDLERS[target.handler]);
    trail.log = target.policy.access_log;
    // CORS and rate-limit headers go on every answer of a matched route, errors included.
    let mut route_headers = cors_headers(head, target.policy.cors);
    let reply = match call(head, incoming, &found, target, &mut route_headers, trail).await {
        Ok(reply) | Err(reply) => reply,
    };
    Ok(with_headers(reply, &route_headers))
}

/// Steps 4 to 7, for a matched route: auth, rate limit, body, handler.
async fn call(
    head: &Head,
    incoming: Incoming,
    found: &edgeway_router::Match<'static, '_, usize>,
    target: &Target,
    route_headers: &mut Vec<(String, Vec<u8>)>,
    trail: &mut Trail,
) -> Result<Reply, Reply> {
    let policy = &target.policy;
    let caller = admit(head, found.pattern, policy, route_headers)?;
    let params = request::decode_params(&found.params).ok_or_else(|| problem::bad_path(head))?;
    let body = request::read_body(head, incoming, policy.body_limit)
        .await
        .map_err(|error| problem::body_error(head, error, policy.body_limit))?;
    trail.request_bytes = body.len() as u64;
    #[cfg(feature = "validation")]
    if let Some(schemas) = target.schemas {
        validate::check(head, schemas, &params, &body)?;
    }
    let request = head.to_handler_request(found.pattern, params, body, caller);
    match app::dispatch(target.handler, &request) {
        Ok(response) => {
            problem::from_handler_response(head, app::HANDLERS[target.handler], response)
        }
        Err(handler_problem) => Ok(problem::from_handler_problem(head, handler_problem)),
    }
}

/// Steps 4 and 5 for a route or an event endpoint: who is calling, and whether they are
/// within the rate limit (whose headers go into `route_headers`).
fn admit(
    head: &Head,
    route: &str,
    policy: &RoutePolicy<'static>,
    route_headers: &mut Vec<(String, Vec<u8>)>,
) -> Result<Option<app::edgeway::gateway::handler::Caller>, Reply> {
    let caller = auth::authenticate(head, policy)?;
    if let Some(decision) = rate_limit(head, route, policy, caller.as_ref()) {
        route_headers.extend(
            decision
                .headers()
                .into_iter()
                .map(|(n, v)| (n.to_owned(), v.into_bytes())),
        );
        if !decision.allowed {
            return Err(problem::too_many_requests(head, decision.resets_in));
        }
    }
    Ok(caller)
}

/// Answers a CORS preflight: with the policy of the route the request would reach, or, when
/// no route takes the method at that path, with the app-wide policy, so that the browser
/// goes on to read the gateway's 404 or 405 problem. `None` when the request is not a
/// preflight, or its route or the app has no CORS policy.
fn preflight(head: &Head, trail: &mut Trail) -> Option<Reply> {
    let origin = head.header("origin")?;
    let method = head
        .header("access-control-request-method")
        .filter(|_| head.method == "OPTIONS")?;
    let (cors, route_methods) = match ROUTES.at(method, &head.path) {
        Ok(found) => {
            let target = &app::TARGETS[*found.value];
            let cors = target.policy.cors?;
            trail.route = Some(found.pattern);
            trail.log = target.policy.access_log;
            let methods = app::ROUTES[*found.value].methods.allowed().allow_header();
            (cors, methods)
        }
        Err(_) => (app::CORS.as_ref()?, method.to_owned()),
    };
    Some(
        match cors.preflight(
            origin,
            method,
            head.header("access-control-request-headers"),
            &route_methods,
        ) {
            Preflight::Allowed(headers) => {
                let headers = headers
                    .into_iter()
                    .map(|(n, v)| (n.to_owned(), v.into_bytes()))
                    .collect();
                Reply {
                    status: 204,
                    headers,
                    body: Vec::new(),
                }
            }
            Preflight::Denied(reason) => problem::cors_denied(head, reason),
        },
    )
}

/// The CORS headers of an actual (non-preflight) answer under `cors`, if there is a policy.
fn cors_headers(head: &Head, cors: Option<&Cors<'static>>) -> Vec<(String, Vec<u8>)> {
    let Some(cors) = cors else {
        return Vec::new();
    };
    cors.response_headers(head.header("origin"))
        .into_iter()
        .map(|(n, v)| (n.to_owned(), v.into_bytes()))
        .collect()
}

/// Counts the request against the route's limit; `None` for unlimited routes, or when the
/// store cannot be reached (the request goes on: an outage of the store does not take the
/// API down with it, and the log says so).
fn rate_limit(
    head: &Head,
    route: &str,
    policy: &RoutePolicy<'static>,
    caller: Option<&app::edgeway::gateway::handler::Caller>,
) -> Option<Decision> {
    let limit = policy.rate_limit?;
    let client_ip = head
        .client_addr
        .rsplit_once(':')
        .map_or(head.client_addr.as_str(), |(ip, _)| ip);
    let who = match (limit.key, caller, policy.auth) {
        (RateKey::ApiKey, Some(caller), Auth::ApiKey)
        | (RateKey::Subject, Some(caller), Auth::Jwt { .. }) => {
            format!("{}:{}", caller.scheme, caller.name)
        }
        _ => format!("ip:{client_ip}"),
    };
    let window = limit.window(route, &who, platform::now().as_secs());
    count(head, &window).map(|count| limit.decide(count, &window))
}

#[cfg(feature = "rate-limit")]
fn count(head: &Head, window: &edgeway_policy::rate_limit::Window) -> Option<i64> {
    platform::count(&window.counter, &window.previous)
        .map_err(|error| eprintln!("[{}] rate limit not applied: {error}", head.request_id))
        .ok()
}

#[cfg(not(feature = "rate-limit"))]
fn count(_: &Head, _: &edgeway_policy::rate_limit::Window) -> Option<i64> {
    unreachable!("build.rs turns on `rate-limit` whenever a route has a rate limit")
}

fn with_headers(mut reply: Reply, headers: &[(String, Vec<u8>)]) -> Reply {
    reply.headers.extend(headers.iter().cloned());
    reply
}
