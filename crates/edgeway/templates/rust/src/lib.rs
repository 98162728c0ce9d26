//! `{{name}}`: answers `{{route}}`, greeting the `name` route parameter if the route has one.
//! Test it with `cargo test --target x86_64-unknown-linux-gnu` in this folder.
use edgeway_sdk::{Handler, Problem, Request, Response};
use serde_json::json;

struct Component;

impl Handler for Component {
    fn handle(request: Request) -> Result<Response, Problem> {
        let name = request.param("name").unwrap_or("world");
        Ok(Response::json(200, &json!({ "message": greeting(name) })))
    }
}

edgeway_sdk::export!(Component);

/// What the handler says to `name`.
fn greeting(name: &str) -> String {
    format!("Hello, {name}!")
}

#[cfg(test)]
mod tests {
    #[test]
    fn greets_by_name() {
        assert_eq!(super::greeting("ada"), "Hello, ada!");
    }
}
