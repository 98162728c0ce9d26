//! The `todos` handler: a CRUD JSON API on the key-value store, behind an API key.
use edgeway_tests::{Response, Server, cleanup, repo_root, request, test_app, tokens};
use serde_json::{Value, json};

const KEY: (&str, &str) = ("x-api-key", "bob-key-0123456789abcdef");

fn call(server: &Server, method: &str, target: &str, body: &str) -> Response {
    let json = ("content-type", "application/json");
    request(server.addr, method, target, &[KEY, json], body.as_bytes())
}

/// Creates a todo; returns its path (from `Location`) and its JSON.
fn create(server: &Server, title: &str) -> (String, Value) {
    let response = call(
        server,
        "POST",
        "/todos",
        &json!({ "title": title }).to_string(),
    );
    assert_eq!(response.status, 201, "{}", response.text());
    let todo = response.json();
    let location = response.header("location").expect("a Location").to_owned();
    assert_eq!(location, format!("/todos/{}", todo["id"]));
    (location, todo)
}

#[test]
fn create_read_update_delete() {
    let app = test_app();
    let (location, todo) = create(app, "  water the plants ");
    assert_eq!(todo["title"], "water the plants", "titles are trimmed");
    assert_eq!(todo["done"], false);
    assert!(todo["id"].as_u64().unwrap() >= 1);

    let response = call(app, "GET", &location, "");
    assert_eq!((response.status, response.json()), (200, todo.clone()));
    let list = call(app, "GET", "/todos", "").json();
    assert!(list.as_array().unwrap().contains(&todo), "{list}");

    let updated = json!({ "id": todo["id"], "title": "water the garden", "done": true });
    let response = call(
        app,
        "PUT",
        &location,
        r#"{"title": "water the garden", "done": true}"#,
    );
    assert_eq!((response.status, response.json()), (200, updated.clone()));
    assert_eq!(call(app, "GET", &location, "").json(), updated);

    let response = call(app, "DELETE", &location, "");
    assert_eq!(response.status, 204);
    assert!(response.body.is_empty());
    let problem = call(app, "GET", &location, "").problem(404, "handler");
    assert_eq!(problem["title"], "Todo not found");
    call(app, "DELETE", &location, "").problem(404, "handler");
    let list = call(app, "GET", "/todos", "").json();
    assert!(
        !list
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["id"] == todo["id"]),
        "{list}"
    );
}

#[test]
fn the_list_is_in_id_order() {
    let app = test_app();
    let ids: Vec<Value> = ["one", "two", "three"]
        .map(|title| create(app, title).1["id"].clone())
        .into();
    let list = call(app, "GET", "/todos", "").json();
    let listed: Vec<&Value> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|t| &t["id"])
        .filter(|id| ids.contains(id))
        .collect();
    assert_eq!(listed, ids.iter().collect::<Vec<_>>());
}

#[test]
fn invalid_input_is_a_problem_the_caller_can_act_on() {
    let app = test_app();
    let (location, _) = create(app, "keep me");
    for (method, target, body, status, title) in [
        ("POST", "/todos", "{not json", 400, "Invalid JSON body"),
        (
            "POST",
            "/todos",
            r#"{"title": 5}"#,
            400,
            "Invalid JSON body",
        ),
        (
            "POST",
            "/todos",
            r#"{"title": "x", "owner": "me"}"#,
            400,
            "Invalid JSON body",
        ),
        ("POST", "/todos", r#"{"title": "   "}"#, 422, "Invalid todo"),
        (
            "PUT",
            location.as_str(),
            r#"{"title": ""}"#,
            422,
            "Invalid todo",
        ),
        ("GET", "/todos/abc", "", 400, "Invalid id"),
        ("PUT", "/todos/-1", r#"{"title": "x"}"#, 400, "Invalid id"),
        (
            "PUT",
            "/todos/999999",
            r#"{"title": "x"}"#,
            404,
            "Todo not found",
        ),
    ] {
        let response = call(app, method, target, body);
        let problem = response.problem(status, "handler");
        assert_eq!(problem["title"], title, "{method} {target} {body}");
    }
    let long = "x".repeat(201);
    let problem =
        call(app, "POST", "/todos", &json!({ "title": long }).to_string()).problem(422, "handler");
    assert!(
        problem["detail"].as_str().unwrap().contains("1 to 200"),
        "{problem}"
    );
    // Nothing above changed the todo.
    assert_eq!(call(app, "GET", &location, "").json()["title"], "keep me");
}

#[test]
fn every_todo_route_needs_an_api_key() {
    let addr = test_app().addr;
    for (method, target) in [
        ("GET", "/todos"),
        ("POST", "/todos"),
        ("GET", "/todos/1"),
        ("DELETE", "/todos/1"),
    ] {
        let response = request(addr, method, target, &[], br#"{"title": "sneaky"}"#);
        response.problem(401, "unauthorized");
    }
    let list = call(test_app(), "GET", "/todos", "").json();
    assert!(
        !list
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["title"] == "sneaky"),
        "{list}"
    );
}

#[test]
fn todos_outlive_a_restart_of_the_host() {
    let manifest = repo_root().join("tests/app/spin.toml");
    let store = cleanup::temp_dir("todos", 0);
    let variables = tokens::variables();
    let (location, todo) = {
        let first = Server::start_with_store(&manifest, &[], &variables, &store);
        create(&first, "survive a restart")
    };
    let second = Server::start_with_store(&manifest, &[], &variables, &store);
    let response = call(&second, "GET", &location, "");
    assert_eq!((response.status, response.json()), (200, todo.clone()));
    // Ids keep counting from where they were.
    let (_, next) = create(&second, "after the restart");
    assert!(
        next["id"].as_u64() > todo["id"].as_u64(),
        "{next} after {todo}"
    );
    drop(second);
    cleanup::remove_now(&store);
}
