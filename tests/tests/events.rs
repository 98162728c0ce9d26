//! Events end to end: a real Redis server, the local host serving tests/events-app, and
//! webhooks, Redis messages, key-space notifications and schedules reaching real handler
//! components, with retries, dead letters and one log line per delivery attempt.
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use edgeway_tests::cleanup;
use edgeway_tests::redis::RedisServer;
use edgeway_tests::{Response, Server, edgeway, repo_root, request};
use serde_json::{Value, json};

const KEY: (&str, &str) = ("x-api-key", "alice-key-0123456789abcdef");
const SCHEDULE_SECRET: &str = "schedule-secret-0123456789";

struct Fixture {
    redis: RedisServer,
    server: Server,
    runtime_config: std::path::PathBuf,
}

/// Redis, and the events app on the local host with its key-value store in that Redis (as
/// Spin's runtime config puts it), shared by the tests of this file.
fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let redis = RedisServer::start();
        let runtime_config = std::env::temp_dir().join(format!(
            "edgeway-events-runtime-config-{}.toml",
            std::process::id()
        ));
        cleanup::remove_at_exit(&runtime_config);
        std::fs::write(
            &runtime_config,
            format!(
                "[key_value_store.default]\ntype = \"redis\"\nurl = \"{}\"\n",
                redis.url()
            ),
        )
        .unwrap();
        let config = runtime_config.to_str().unwrap().to_owned();
        let server = Server::start(
            &repo_root().join("tests/events-app/spin.toml"),
            &["--runtime-config-file", &config],
            &[("SPIN_VARIABLE_REDIS_ADDRESS", &redis.url())],
        );
        Fixture {
            redis,
            server,
            runtime_config,
        }
    })
}

fn post_event(path: &str, headers: &[(&str, &str)], body: &str) -> Response {
    let mut all = vec![KEY];
    all.extend_from_slice(headers);
    request(fixture().server.addr, "POST", path, &all, body.as_bytes())
}

/// The deliveries `inbox` recorded of the event `id`, waiting up to 10 s for at least `count`.
fn deliveries(id: &str, count: usize) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let response = request(fixture().server.addr, "GET", "/inbox", &[], b"");
        assert_eq!(response.status, 200, "{}", response.text());
        let found: Vec<Value> = response
            .json()
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["id"] == id)
            .cloned()
            .collect();
        if found.len() >= count || Instant::now() > deadline {
            return found;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The delivery-attempt log lines of event `id`.
fn attempts(id: &str) -> Vec<Value> {
    fixture()
        .server
        .settled_stderr()
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line.split_once("] ")?.1).ok())
        .filter(|line| line["event_id"] == id && line.get("attempt").is_some())
        .collect()
}

#[test]
fn a_webhook_in_binary_mode_delivers_every_attribute() {
    let response = post_event(
        "/events/orders",
        &[
            ("ce-specversion", "1.0"),
            ("ce-id", "binary-1"),
            ("ce-source", "/shop/eu"),
            ("ce-type", "com.example.order.created"),
            ("ce-subject", "order/7"),
            ("ce-time", "2026-11-27T10:00:00Z"),
            ("ce-partitionkey", "eu-7"),
            ("content-type", "application/json"),
        ],
        r#"{"total":3}"#,
    );
    assert_eq!(response.status, 202, "{}", response.text());
    assert_eq!(
        response.json(),
        json!({ "id": "binary-1", "delivered": ["inbox"] })
    );
    let delivered = deliveries("binary-1", 1);
    assert_eq!(delivered.len(), 1, "{delivered:?}");
    let event = &delivered[0];
    assert_eq!(event["source"], "/shop/eu");
    assert_eq!(event["type"], "com.example.order.created");
    assert_eq!(event["subject"], "order/7");
    assert_eq!(event["time"], "2026-11-27T10:00:00Z");
    assert_eq!(event["datacontenttype"], "application/json");
    assert_eq!(event["data"], r#"{"total":3}"#);
    assert_eq!(event["extensions"], json!({ "partitionkey": "eu-7" }));
    let log = attempts("binary-1");
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0]["handler"], "inbox");
    assert_eq!(log[0]["outcome"], "ok");
    assert_eq!(log[0]["attempt"], 1);
    assert_eq!(log[0]["type"], "com.example.order.created");
    assert_eq!(log[0]["source"], "/shop/eu");
    assert_eq!(log[0]["subscription"], "webhook:orders");
    assert!(log[0]["duration_us"].is_u64());
}

#[test]
fn a_webhook_in_structured_mode_is_filtered_by_type() {
    let event = |id: &str, ty: &str| {
        json!({ "specversion": "1.0", "id": id, "source": "/shop", "type": ty, "data": { "n": 1 } })
            .to_string()
    };
    let structured = [("content-type", "application/cloudevents+json")];
    let response = post_event(
        "/events/orders",
        &structured,
        &event("structured-1", "com.example.order.paid"),
    );
    assert_eq!(response.status, 202, "{}", response.text());
    assert_eq!(response.json()["delivered"], json!(["inbox"]));
    let delivered = deliveries("structured-1", 1);
    assert_eq!(delivered[0]["data"], r#"{"n":1}"#);
    assert_eq!(delivered[0]["datacontenttype"], "application/json");

    // `types = ["com.example.order.*"]`: an invoice is accepted, and nobody receives it.
    let response = post_event(
        "/events/orders",
        &structured,
        &event("structured-2", "com.example.invoice.sent"),
    );
    assert_eq!(response.status, 202, "{}", response.text());
    assert_eq!(response.json()["delivered"], json!([]));
    assert!(deliveries("structured-2", 1).is_empty());
}

#[test]
fn webhooks_apply_the_policies_and_refuse_what_is_not_an_event() {
    let app = fixture().server.addr;
    let no_key = request(app, "POST", "/events/orders", &[], b"{}");
    no_key.problem(401, "unauthorized");
    let missing_source = post_event(
        "/events/orders",
        &[("ce-specversion", "1.0"), ("ce-id", "x"), ("ce-type", "t")],
        "",
    );
    let problem = missing_source.problem(400, "invalid-event");
    assert!(
        problem["detail"].as_str().unwrap().contains("`source`"),
        "{problem}"
    );
    post_event("/events/nobody-listens", &[], "{}").problem(404, "unknown-topic");
    let get = request(app, "GET", "/events/orders", &[KEY], b"");
    assert_eq!(get.problem(405, "method-not-allowed")["status"], 405);
    assert_eq!(get.header("allow"), Some("POST"));
    let big = "x".repeat(65 * 1024);
    post_event("/events/orders", &[], &big).problem(413, "body-too-large");
}

#[test]
fn a_failing_handler_is_retried_with_the_same_event_id() {
    let response = post_event(
        "/events/orders",
        &[("content-type", "application/cloudevents+json")],
        &json!({ "specversion": "1.0", "id": "retry-1", "source": "/shop", "type": "com.example.order.paid", "data": { "fail_times": 2 } }).to_string(),
    );
    assert_eq!(response.status, 202, "{}", response.text());
    let delivered = deliveries("retry-1", 3);
    let tries: Vec<(i64, bool)> = delivered
        .iter()
        .map(|d| {
            (
                d["attempt"].as_i64().unwrap(),
                d["failed"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(tries, [(1, true), (2, true), (3, false)]);
    let outcomes: Vec<String> = attempts("retry-1")
        .iter()
        .map(|a| a["outcome"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(outcomes, ["error", "error", "ok"]);
}

#[test]
fn after_the_last_attempt_the_event_is_a_dead_letter() {
    let response = post_event(
        "/events/orders",
        &[("content-type", "application/cloudevents+json")],
        &json!({ "specversion": "1.0", "id": "dead-1", "source": "/shop", "type": "com.example.order.paid", "data": { "fail": true } }).to_string(),
    );
    let problem = response.problem(502, "delivery-failed");
    assert_eq!(problem["id"], "dead-1");
    assert_eq!(problem["failed"][0]["handler"], "inbox");
    assert_eq!(deliveries("dead-1", 3).len(), 3);
    let outcomes: Vec<String> = attempts("dead-1")
        .iter()
        .map(|a| a["outcome"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(outcomes, ["error", "error", "dead-letter"]);

    // In the store, and listed by `edgeway events dead-letters`.
    let keys = fixture()
        .redis
        .command(&[b"KEYS", b"edgeway:dead-letter:*:inbox:dead-1"]);
    assert!(keys.contains("dead-1"), "{keys}");
    let output = edgeway()
        .args(["events", "dead-letters", "--json", "--manifest"])
        .arg(repo_root().join("tests/events-app/spin.toml"))
        .arg("--runtime-config-file")
        .arg(&fixture().runtime_config)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let letters: Vec<Value> = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    let letter = letters
        .iter()
        .find(|l| l["event"]["id"] == "dead-1")
        .expect("the dead letter is listed");
    assert_eq!(letter["handler"], "inbox");
    assert_eq!(letter["source"], "webhook:orders");
    assert_eq!(letter["attempts"], 3);
    assert_eq!(letter["error"], "asked to fail attempt 3");
    assert_eq!(letter["event"]["data"], json!({ "fail": true }));
}

#[test]
fn a_published_redis_message_reaches_its_subscriber() {
    let redis = &fixture().redis;
    // The host subscribes when it starts; publish until someone listens.
    let deadline = Instant::now() + Duration::from_secs(10);
    while redis.command(&[b"PUBLISH", b"orders", b"plain message"]) == "0" {
        assert!(Instant::now() < deadline, "nobody subscribed to `orders`");
        std::thread::sleep(Duration::from_millis(100));
    }
    let structured = json!({ "specversion": "1.0", "id": "redis-ce-1", "source": "/billing", "type": "invoice.sent", "subject": "inv-9" }).to_string();
    assert_eq!(
        redis.command(&[b"PUBLISH", b"orders", structured.as_bytes()]),
        "1"
    );
    let delivered = deliveries("redis-ce-1", 1);
    assert_eq!(delivered.len(), 1);
    assert_eq!(delivered[0]["source"], "/billing");
    assert_eq!(delivered[0]["subject"], "inv-9");

    let inbox = request(fixture().server.addr, "GET", "/inbox", &[], b"").json();
    let plain = inbox
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["source"] == "redis:orders" && d["data"] == "plain message")
        .unwrap_or_else(|| panic!("the plain message was not delivered: {inbox}"));
    assert_eq!(plain["type"], "edgeway.redis.message");
    assert!(!plain["id"].as_str().unwrap().is_empty());
    assert!(plain["time"].as_str().unwrap().ends_with('Z'));
}

#[test]
fn a_todos_write_reaches_the_audit_handler_through_keyspace_notifications() {
    let app = fixture().server.addr;
    let json = ("content-type", "application/json");
    let created = request(app, "POST", "/todos", &[json], br#"{"title":"audit me"}"#);
    assert_eq!(created.status, 201, "{}", created.text());
    let location = created.header("location").unwrap().to_owned();
    let deleted = request(app, "DELETE", &location, &[], b"");
    assert_eq!(deleted.status, 204, "{}", deleted.text());
    // The store is Redis: the key is the handler's own (`todos:item:<id>`) under the
    // handler's namespace.
    let key = format!(
        "todos/todos:item:{}",
        location.trim_start_matches("/todos/")
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let audit = request(app, "GET", "/audit", &[], b"").json();
        let kinds: Vec<&str> = audit
            .as_array()
            .unwrap()
            .iter()
            .filter(|entry| entry["key"] == key.as_str())
            .map(|entry| entry["type"].as_str().unwrap())
            .collect();
        if kinds.contains(&"edgeway.redis.keyevent.del") {
            assert!(kinds.contains(&"edgeway.redis.keyevent.set"), "{audit}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no audit entries for {key}: {audit}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn a_schedule_fires_on_time_without_overlap() {
    let app = fixture().server.addr;
    // The `every-second` schedule has fired at least three times within 5 s of starting.
    let deadline = Instant::now() + Duration::from_secs(10);
    let ticks = loop {
        let inbox = request(app, "GET", "/inbox", &[], b"").json();
        let ticks: Vec<Value> = inbox
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["source"] == "schedule:every-second")
            .cloned()
            .collect();
        if ticks.len() >= 3 || Instant::now() > deadline {
            break ticks;
        }
        std::thread::sleep(Duration::from_millis(250));
    };
    assert!(ticks.len() >= 3, "{ticks:?}");
    assert!(ticks.iter().all(|t| t["type"] == "edgeway.schedule"));
    let log = fixture().server.settled_stderr();
    assert!(log.contains(r#""schedule":"every-second""#), "{log}");

    // The schedule path is protected by the secret.
    request(app, "POST", "/_edgeway/schedules/every-second", &[], b"").problem(401, "unauthorized");
    let bearer = format!("Bearer {SCHEDULE_SECRET}");
    let fired = request(
        app,
        "POST",
        "/_edgeway/schedules/every-second",
        &[("authorization", &bearer)],
        b"",
    );
    assert_eq!(fired.status, 202, "{}", fired.text());
    let by_url = format!("/_edgeway/schedules/every-second?token={SCHEDULE_SECRET}");
    assert_eq!(request(app, "POST", &by_url, &[], b"").status, 202);
    request(
        app,
        "POST",
        "/_edgeway/schedules/every-second?token=wrong",
        &[],
        b"",
    )
    .problem(401, "unauthorized");
    request(
        app,
        "POST",
        "/_edgeway/schedules/nightly",
        &[("authorization", &bearer)],
        b"",
    )
    .problem(404, "unknown-schedule");

    // A tick fired again late, after later ticks (as by a replica that fell behind), was
    // claimed already: it is not delivered twice.
    let first_tick = ticks[0]["time"].as_str().unwrap();
    let late = request(
        app,
        "POST",
        "/_edgeway/schedules/every-second",
        &[
            ("authorization", &bearer),
            ("edgeway-schedule-tick", first_tick),
        ],
        b"",
    );
    assert_eq!(late.status, 202, "{}", late.text());
    assert_eq!(late.json()["skipped"], "claimed by another replica");
}

#[test]
fn python_and_javascript_handlers_receive_events() {
    let response = post_event(
        "/events/polyglot",
        &[("content-type", "application/json")],
        r#"{"n":1}"#,
    );
    assert_eq!(response.status, 202, "{}", response.text());
    let body = response.json();
    assert_eq!(body["delivered"], json!(["events-py", "events-js"]));
    let id = body["id"].as_str().unwrap();
    let log = fixture().server.settled_stderr();
    for handler in ["events-py", "events-js"] {
        let line = log
            .lines()
            .filter_map(|line| serde_json::from_str::<Value>(line.split_once("] ")?.1).ok())
            .find(|line| line["handler"] == handler && line["id"] == id)
            .unwrap_or_else(|| panic!("{handler} logged nothing for {id}:\n{log}"));
        assert_eq!(line["source"], "webhook:polyglot");
        assert_eq!(line["type"], "edgeway.webhook");
    }
    let failing = post_event(
        "/events/polyglot",
        &[("content-type", "application/json")],
        r#"{"fail":true}"#,
    );
    let problem = failing.problem(502, "delivery-failed");
    let failed: Vec<&str> = problem["failed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["handler"].as_str().unwrap())
        .collect();
    assert_eq!(failed, ["events-py", "events-js"]);
}
