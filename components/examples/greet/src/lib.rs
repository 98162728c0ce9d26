//! `greet`: the serverless "hello world". `GET /hello` greets the world, `GET /hello/:name`
//! greets `name`.
use edgeway_sdk::{Handler, Problem, Request, Response};
use serde_json::json;

struct Greet;

impl Handler for Greet {
    fn handle(request: Request) -> Result<Response, Problem> {
        let name = request.param("name").unwrap_or("world");
        Ok(Response::json(
            200,
            &json!({ "message": format!("Hello, {name}!") }),
        ))
    }
}

edgeway_sdk::export!(Greet);
