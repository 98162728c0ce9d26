//! Several replicas of one app agree: three local hosts serve tests/events-app with their
//! key-value stores in one real `redis-server` (Spin's runtime config), behind a real
//! round-robin load balancer (haproxy). Rate limits hold across replicas, a schedule tick and
//! a Redis CloudEvent are delivered once, webhooks, todos, audit records and dead letters land
//! in the one store, and a replica killed under load loses no acknowledged todo.
//!
//! The tests run one at a time: the load test kills a replica (and starts it again).
//! `EDGEWAY_REPLICA_LOAD_SECS` sets the load run's length (15 s by default;
//! `scripts/replicas-load.sh` runs the full 60 s).
use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use edgeway_tests::balancer::{self, Balancer};
use edgeway_tests::redis::{RedisServer, free_port};
use edgeway_tests::{Server, cleanup, concurrently, edgeway, get, repo_root, request, todo_load};
use serde_json::{Value, json};

const REPLICAS: usize = 3;
/// Clients of the load run.
const CONNECTIONS: usize = 64;
const KEY: (&str, &str) = ("x-api-key", "alice-key-0123456789abcdef");
const JSON: (&str, &str) = ("content-type", "application/json");

struct Fixture {
    redis: RedisServer,
    runtime_config: PathBuf,
    addrs: Vec<SocketAddr>,
    replicas: Mutex<Vec<Server>>,
    balancer: Balancer,
}

fn manifest() -> PathBuf {
    repo_root().join("tests/events-app/spin.toml")
}

fn start_replica(addr: SocketAddr, runtime_config: &Path, redis: &RedisServer) -> Server {
    Server::start_at(
        &manifest(),
        addr,
        &["--runtime-config-file", runtime_config.to_str().unwrap()],
        &[("SPIN_VARIABLE_REDIS_ADDRESS", &redis.url())],
    )
}

/// Redis, three replicas (started one after another: the first builds the app) and haproxy
/// in front of them; each test holds the returned guard, so they run one at a time.
fn fixture() -> (&'static Fixture, MutexGuard<'static, ()>) {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    let guard = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
    let fixture = FIXTURE.get_or_init(|| {
        let redis = RedisServer::start();
        let runtime_config = std::env::temp_dir().join(format!(
            "edgeway-replicas-runtime-config-{}.toml",
            std::process::id()
        ));
        cleanup::remove_at_exit(&runtime_config);
        let config = format!(
            "[key_value_store.default]\ntype = \"redis\"\nurl = \"{}\"\n",
            redis.url()
        );
        std::fs::write(&runtime_config, config).unwrap();
        let addrs: Vec<SocketAddr> = (0..REPLICAS)
            .map(|_| SocketAddr::from(([127, 0, 0, 1], free_port())))
            .collect();
        let replicas: Vec<Server> = addrs
            .iter()
            .map(|addr| start_replica(*addr, &runtime_config, &redis))
            .collect();
        let balancer = Balancer::start(&addrs);
        Fixture {
            redis,
            runtime_config,
            addrs,
            replicas: Mutex::new(replicas),
            balancer,
        }
    });
    (fixture, guard)
}

impl Fixture {
    fn lb(&self) -> SocketAddr {
        self.balancer.addr
    }

    /// The JSON lines every replica's components wrote on stderr (`[req …] {...}`).
    fn guest_lines(&self) -> Vec<Value> {
        let replicas = self.replicas.lock().unwrap();
        replicas
            .iter()
            .flat_map(|r| {
                r.settled_stderr()
                    .lines()
                    .filter_map(|l| serde_json::from_str::<Value>(l.split_once("] ")?.1).ok())
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// How many replicas' access logs show a request to `path`.
    fn replicas_that_served(&self, path: &str) -> usize {
        let replicas = self.replicas.lock().unwrap();
        replicas
            .iter()
            .filter(|r| r.access_log().iter().any(|record| record["path"] == path))
            .count()
    }

    /// Waits until every replica's Redis trigger listens on `channel`.
    fn wait_for_subscribers(&self, channel: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        let expected = format!("{channel}\n{REPLICAS}");
        while self
            .redis
            .command(&[b"PUBSUB", b"NUMSUB", channel.as_bytes()])
            != expected
        {
            assert!(
                Instant::now() < deadline,
                "not every replica subscribed to {channel}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// What `inbox` recorded, as every replica sees it.
fn inbox(addr: SocketAddr) -> Vec<Value> {
    let response = get(addr, "/inbox");
    assert_eq!(response.status, 200, "{}", response.text());
    response.json().as_array().unwrap().clone()
}

/// The inbox's deliveries that `wanted` picks, waiting up to 10 s for at least `count`.
fn deliveries(addr: SocketAddr, count: usize, wanted: impl Fn(&Value) -> bool) -> Vec<Value> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let found: Vec<Value> = inbox(addr).into_iter().filter(|d| wanted(d)).collect();
        if found.len() >= count || Instant::now() > deadline {
            return found;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn a_rate_limit_holds_across_replicas() {
    let (fixture, _one_at_a_time) = fixture();
    let lb = fixture.lb();
    // `GET /limited` takes 10 requests an hour, counted in the shared store.
    let statuses = concurrently(100, move |_| get(lb, "/limited").status);
    let passed = statuses.iter().filter(|&&s| s == 200).count();
    let refused = statuses.iter().filter(|&&s| s == 429).count();
    assert_eq!((passed, refused), (10, 90), "{statuses:?}");
    assert_eq!(fixture.replicas_that_served("/limited"), REPLICAS);
}

#[test]
fn a_schedule_fires_once_per_tick_across_replicas() {
    let (fixture, _one_at_a_time) = fixture();
    let skipped = || -> Vec<Value> {
        let lines = fixture.guest_lines().into_iter();
        lines
            .filter(|l| l["schedule"] == "every-second" && l["outcome"] == "skipped")
            .collect()
    };
    // Only the ticks of this test count: an earlier one may have been claimed by the
    // replica another test killed, and so never delivered (schedules are at most once).
    let tick_of = |line: &Value| line["tick"].as_str().unwrap().to_owned();
    let earlier = skipped().iter().map(tick_of).max().unwrap_or_default();
    // Every replica fires `every-second`; let a few ticks go by with all of them running.
    std::thread::sleep(Duration::from_secs(4));
    let mut losers: BTreeMap<String, usize> = BTreeMap::new();
    for line in skipped() {
        assert_eq!(line["reason"], "claimed by another replica");
        let tick = tick_of(&line);
        if tick > earlier {
            *losers.entry(tick).or_default() += 1;
        }
    }
    // Each tick every replica fired: two replicas skipped it, and the one that claimed it
    // delivers it (the skips are logged as soon as it claims, so its delivery may still
    // be under way: wait for it).
    let all_fired: Vec<&String> = losers
        .iter()
        .filter(|(_, n)| **n == REPLICAS - 1)
        .map(|(tick, _)| tick)
        .collect();
    assert!(all_fired.len() >= 3, "{losers:?}");
    let is_tick = |d: &Value| d["source"] == "schedule:every-second";
    let fired_ticks = deliveries(fixture.lb(), all_fired.len(), |d| {
        is_tick(d) && all_fired.iter().any(|tick| d["time"] == tick.as_str())
    });
    let delivered: Vec<String> = fired_ticks
        .iter()
        .map(|d| d["time"].as_str().unwrap().to_owned())
        .collect();
    for tick in all_fired {
        assert!(delivered.contains(tick), "tick {tick} was not delivered");
    }
    // No tick at all was delivered twice.
    let delivered: Vec<String> = inbox(fixture.lb())
        .iter()
        .filter(|d| is_tick(d))
        .map(|d| d["time"].as_str().unwrap().to_owned())
        .collect();
    let unique: BTreeSet<&String> = delivered.iter().collect();
    assert_eq!(
        unique.len(),
        delivered.len(),
        "a tick was delivered twice: {delivered:?}"
    );
    assert!(losers.values().all(|n| *n < REPLICAS), "{losers:?}");
}

#[test]
fn a_redis_cloud_event_is_delivered_once_and_a_plain_message_by_every_replica() {
    let (fixture, _one_at_a_time) = fixture();
    fixture.wait_for_subscribers("orders");
    let id = format!("replicated-{}", std::process::id());
    let event =
        json!({ "specversion": "1.0", "id": id, "source": "/billing", "type": "invoice.sent" });
    let receivers = fixture
        .redis
        .command(&[b"PUBLISH", b"orders", event.to_string().as_bytes()]);
    assert_eq!(receivers, REPLICAS.to_string());
    let plain = format!("plain-{}", std::process::id());
    fixture
        .redis
        .command(&[b"PUBLISH", b"orders", plain.as_bytes()]);

    let lb = fixture.lb();
    let every_replica = deliveries(lb, REPLICAS, |d| d["data"] == plain.as_str());
    assert_eq!(every_replica.len(), REPLICAS, "{every_replica:?}");
    // By now the CloudEvent's copies have been handled too (one channel, in order).
    let once = deliveries(lb, 1, |d| d["id"] == id.as_str());
    assert_eq!(once.len(), 1, "{once:?}");
    let skipped = fixture
        .guest_lines()
        .into_iter()
        .filter(|l| l["event_id"] == id.as_str() && l["outcome"] == "skipped")
        .count();
    assert_eq!(skipped, REPLICAS - 1);
}

#[test]
fn webhooks_todos_audit_records_and_dead_letters_share_one_store() {
    let (fixture, _one_at_a_time) = fixture();
    let lb = fixture.lb();
    let ids: Vec<String> = (0..6)
        .map(|n| format!("shared-{}-{n}", std::process::id()))
        .collect();
    for id in &ids {
        let headers = [
            KEY,
            ("ce-specversion", "1.0"),
            ("ce-id", id),
            ("ce-source", "/shop"),
            ("ce-type", "com.example.order.created"),
        ];
        let response = request(lb, "POST", "/events/orders", &headers, b"{}");
        assert_eq!(response.status, 202, "{}", response.text());
    }
    let mut todos = Vec::new();
    for n in 0..6 {
        let body = format!(r#"{{"title":"shared {n}"}}"#);
        let created = request(lb, "POST", "/todos", &[JSON], body.as_bytes());
        assert_eq!(created.status, 201, "{}", created.text());
        todos.push(created.json()["id"].as_u64().unwrap());
    }
    assert_eq!(fixture.replicas_that_served("/events/orders"), REPLICAS);
    assert_eq!(fixture.replicas_that_served("/todos"), REPLICAS);
    // Whichever replica took each request, every replica sees all of it.
    for addr in &fixture.addrs {
        let seen: Vec<Value> = deliveries(*addr, ids.len(), |d| {
            ids.iter().any(|id| d["id"] == id.as_str())
        });
        assert_eq!(seen.len(), ids.len(), "{addr}: {seen:?}");
        for id in &todos {
            assert_eq!(
                get(*addr, &format!("/todos/{id}")).status,
                200,
                "{addr}: todo {id}"
            );
        }
    }
    // The audit trail follows every write through key-space notifications, which every
    // replica receives (they carry no id to claim), into the one store.
    // (The todos handler's keys are `todos:item:<id>`, under its own namespace `todos/`.)
    let audited_key = |id: &u64| format!("todos/todos:item:{id}");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let audit = get(fixture.addrs[0], "/audit").json();
        let keys: BTreeSet<&str> = audit
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|e| e["key"].as_str())
            .collect();
        let missing: Vec<String> = todos
            .iter()
            .map(audited_key)
            .filter(|key| !keys.contains(key.as_str()))
            .collect();
        if missing.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "not audited: {missing:?} (of {} entries)",
            keys.len()
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    // A dead letter written by one replica is listed from the shared store.
    let dead = format!("dead-{}", std::process::id());
    let headers = [
        KEY,
        ("ce-specversion", "1.0"),
        ("ce-id", &dead),
        ("ce-source", "/shop"),
        ("ce-type", "com.example.order.created"),
        JSON,
    ];
    let failed = request(lb, "POST", "/events/orders", &headers, br#"{"fail":true}"#);
    assert_eq!(failed.status, 502, "{}", failed.text());
    let output = edgeway()
        .args(["events", "dead-letters", "--json", "--manifest"])
        .arg(manifest())
        .arg("--runtime-config-file")
        .arg(&fixture.runtime_config)
        .output()
        .unwrap();
    let listed = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(listed.contains(&dead), "{listed}");
}

#[test]
fn a_replica_killed_under_load_loses_no_acknowledged_todo() {
    let (fixture, _one_at_a_time) = fixture();
    let seconds: u64 = std::env::var("EDGEWAY_REPLICA_LOAD_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(15);
    let run = Duration::from_secs(seconds);
    let lb = fixture.lb();
    let started = Instant::now();
    let load = std::thread::spawn(move || todo_load::run(lb, CONNECTIONS, run, started));
    std::thread::sleep(run / 2);
    let killed_at = started.elapsed();
    fixture.replicas.lock().unwrap()[1].kill();
    let outcomes = load.join().unwrap();
    // Start the replica again where haproxy expects it, before any assertion can fail, so
    // that the other tests find all three; and give haproxy time for the checks that take
    // it back in (with room for late ones).
    let restarted = start_replica(fixture.addrs[1], &fixture.runtime_config, &fixture.redis);
    fixture.replicas.lock().unwrap()[1] = restarted;
    let back_in = balancer::CHECK_INTERVAL_MS * u64::from(balancer::RISE + 3);
    std::thread::sleep(Duration::from_millis(back_in));

    let errors: Vec<&todo_load::Outcome> = outcomes
        .iter()
        .filter(|o| o.status.is_none_or(|s| s >= 500))
        .collect();
    let acknowledged: Vec<&(u64, String)> =
        outcomes.iter().filter_map(|o| o.todo.as_ref()).collect();
    eprintln!(
        "load run: {} requests in {seconds} s at {CONNECTIONS} connections, {} acknowledged todos, {} errors, replica killed at {:.1} s",
        outcomes.len(),
        acknowledged.len(),
        errors.len(),
        killed_at.as_secs_f64()
    );
    // Only requests the killed replica had taken fail: those in flight, and those its
    // dying process still accepted. So none fail before the kill, and none once haproxy's
    // health check has taken the replica out.
    let out_within =
        Duration::from_millis(balancer::CHECK_INTERVAL_MS * u64::from(balancer::FALL) + 1_000);
    for error in &errors {
        assert!(
            error.at >= killed_at && error.at <= killed_at + out_within,
            "an error at {:?}, the replica was killed at {killed_at:?}",
            error.at
        );
    }
    // Every todo that was acknowledged is there.
    let listed = get(lb, "/todos");
    assert_eq!(listed.status, 200);
    let stored: BTreeMap<u64, String> = listed
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["id"].as_u64().unwrap(),
                t["title"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    for (id, title) in &acknowledged {
        assert_eq!(
            stored.get(id),
            Some(title),
            "acknowledged todo {id} is lost"
        );
    }
}
