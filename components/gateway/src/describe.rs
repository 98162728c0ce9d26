//! The API's description, served by the gateway itself: the OpenAPI document at
//! `/openapi.json` and the docs page at `/docs` (paths from the manifest's `openapi` table).
//! Both texts are compiled in at build time, so serving them parses nothing.
use crate::problem::Reply;
use crate::request::Head;
use crate::{Trail, app, auth};

/// The answer for the document's or the docs page's path; `None` for every other path, which
/// goes on to routing.
pub fn serve(head: &Head, trail: &mut Trail) -> Option<Result<Reply, Reply>> {
    let path = match head.path.trim_end_matches('/') {
        "" => "/",
        path => path,
    };
    let (body, content_type, protected) = if Some(path) == app::OPENAPI_PATH {
        (app::OPENAPI, "application/json", true)
    } else if Some(path) == app::DOCS_PATH {
        // The page holds no part of the API: it loads the document as the reader's browser
        // may, with the key or token the reader gives it.
        (app::DOCS_HTML, "text/html; charset=utf-8", false)
    } else {
        return None;
    };
    trail.route = Some(
        if protected {
            app::OPENAPI_PATH
        } else {
            app::DOCS_PATH
        }
        .unwrap_or(""),
    );
    trail.log = app::DESCRIBE_POLICY.access_log;
    if !matches!(head.method.as_str(), "GET" | "HEAD") {
        let allowed = edgeway_router::Methods::GET.allowed();
        return Some(Err(crate::problem::method_not_allowed(head, allowed)));
    }
    if protected && let Err(refused) = auth::authenticate(head, &app::DESCRIBE_POLICY) {
        return Some(Err(refused));
    }
    let mut headers = vec![("content-type".to_owned(), content_type.as_bytes().to_vec())];
    if !protected {
        // The page runs only its own inline script and style, and fetches only this origin.
        let policy = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'";
        headers.push((
            "content-security-policy".to_owned(),
            policy.as_bytes().to_vec(),
        ));
    }
    Some(Ok(Reply {
        status: 200,
        headers,
        body: body.as_bytes().to_vec(),
    }))
}
