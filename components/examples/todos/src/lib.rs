//! `todos`: a small CRUD JSON API on Spin's key-value store. `GET/POST /todos`,
//! `GET/PUT/DELETE /todos/:id`; the gateway protects it with an API key and a rate limit.
use edgeway_sdk::key_value::{atomics, store};
use edgeway_sdk::{Handler, Problem, Request, Response};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Keys of this handler in the shared `default` store.
const PREFIX: &str = "todos:item:";
const NEXT_ID: &str = "todos:next-id";
const MAX_TITLE: usize = 200;

#[derive(Serialize, Deserialize)]
struct Todo {
    id: u64,
    title: String,
    done: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Input {
    title: String,
    #[serde(default)]
    done: bool,
}

struct Todos;

impl Handler for Todos {
    fn handle(request: Request) -> Result<Response, Problem> {
        let bucket = store::open("default").map_err(|e| unavailable(&e))?;
        match (request.method.as_str(), request.param("id")) {
            ("GET" | "HEAD", None) => list(&bucket),
            ("POST", None) => create(&bucket, &request),
            ("GET" | "HEAD", Some(id)) => Ok(Response::json(200, &load(&bucket, parse_id(id)?)?)),
            ("PUT", Some(id)) => replace(&bucket, parse_id(id)?, &request),
            ("DELETE", Some(id)) => delete(&bucket, parse_id(id)?),
            (method, _) => Err(Problem::new(
                405,
                "Method Not Allowed",
                format!("{method} is not supported here"),
            )),
        }
    }
}

fn list(bucket: &store::Bucket) -> Result<Response, Problem> {
    let keys = bucket.list_keys(None).map_err(|e| unavailable(&e))?.keys;
    let mut todos = Vec::new();
    for key in keys.iter().filter(|k| k.starts_with(PREFIX)) {
        if let Some(bytes) = bucket.get(key).map_err(|e| unavailable(&e))? {
            todos.push(decode(&bytes)?);
        }
    }
    todos.sort_by_key(|todo| todo.id);
    Ok(Response::json(200, &todos))
}

fn create(bucket: &store::Bucket, request: &Request) -> Result<Response, Problem> {
    let input = validate(request.json()?)?;
    let id = atomics::increment(bucket, NEXT_ID, 1).map_err(|e| unavailable(&e))? as u64;
    let todo = Todo {
        id,
        title: input.title,
        done: input.done,
    };
    save(bucket, &todo)?;
    let mut response = Response::json(201, &todo);
    response
        .headers
        .push(("location".into(), format!("/todos/{id}")));
    Ok(response)
}

fn replace(bucket: &store::Bucket, id: u64, request: &Request) -> Result<Response, Problem> {
    load(bucket, id)?;
    let input = validate(request.json()?)?;
    let todo = Todo {
        id,
        title: input.title,
        done: input.done,
    };
    save(bucket, &todo)?;
    Ok(Response::json(200, &todo))
}

fn delete(bucket: &store::Bucket, id: u64) -> Result<Response, Problem> {
    load(bucket, id)?;
    bucket.delete(&key(id)).map_err(|e| unavailable(&e))?;
    Ok(Response {
        status: 204,
        headers: Vec::new(),
        body: Vec::new(),
    })
}

fn validate(input: Input) -> Result<Input, Problem> {
    let title = input.title.trim();
    if title.is_empty() || title.chars().count() > MAX_TITLE {
        let detail = format!("`title` must be 1 to {MAX_TITLE} characters");
        return Err(Problem::new(422, "Invalid todo", detail));
    }
    Ok(Input {
        title: title.to_owned(),
        done: input.done,
    })
}

fn parse_id(id: &str) -> Result<u64, Problem> {
    id.parse().map_err(|_| {
        Problem::new(
            400,
            "Invalid id",
            format!("`{id}` is not a todo id; ids are positive integers"),
        )
    })
}

fn key(id: u64) -> String {
    format!("{PREFIX}{id}")
}

fn load(bucket: &store::Bucket, id: u64) -> Result<Todo, Problem> {
    match bucket.get(&key(id)).map_err(|e| unavailable(&e))? {
        Some(bytes) => decode(&bytes),
        None => Err(Problem::new(
            404,
            "Todo not found",
            format!("there is no todo {id}"),
        )),
    }
}

fn save(bucket: &store::Bucket, todo: &Todo) -> Result<(), Problem> {
    let bytes = serde_json::to_vec(todo).expect("a todo always serializes");
    bucket
        .set(&key(todo.id), &bytes)
        .map_err(|e| unavailable(&e))
}

fn decode(bytes: &[u8]) -> Result<Todo, Problem> {
    serde_json::from_slice(bytes).map_err(|e| Problem::new(500, "Corrupt todo", e.to_string()))
}

fn unavailable(error: &store::Error) -> Problem {
    Problem::new(
        503,
        "Store unavailable",
        json!({ "error": format!("{error:?}") }).to_string(),
    )
}

edgeway_sdk::export!(Todos);
