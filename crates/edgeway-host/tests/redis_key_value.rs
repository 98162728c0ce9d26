//! Key-value stores kept in Redis, as Spin's runtime config file sets them up: keys as the
//! component writes them, values as its bytes, keyspace notifications as for any client.
mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::{Running, TempDir, config, eventually, get, probe};
use edgeway_host::{
    AppComponent, KeyValueBackend, KeyValueStore, RedisSubscription, parse_runtime_config,
};
use edgeway_tests::redis::RedisServer;
use futures_util::StreamExt;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_store_holds_the_components_keys_as_written() {
    let redis = RedisServer::start();
    let dir = TempDir::new("redis-kv");
    let runtime_config = dir.0.join("runtime-config.toml");
    std::fs::write(
        &runtime_config,
        format!(
            "[key_value_store.default]\ntype = \"redis\"\nurl = \"{}\"\n",
            redis.url()
        ),
    )
    .unwrap();
    let backends = parse_runtime_config(&runtime_config).unwrap();
    assert_eq!(
        backends["default"],
        KeyValueBackend::Redis { url: redis.url() }
    );

    // Watch what Redis tells every client about `SET`s.
    let client = redis::Client::open(redis.url()).unwrap();
    let mut notifications = client.get_async_pubsub().await.unwrap();
    notifications.subscribe("__keyevent@0__:set").await.unwrap();
    let mut notifications = notifications.into_on_message();

    let mut host = config(&dir);
    host.key_value_backends = backends.clone();
    host.components = vec![AppComponent {
        redis_subscriptions: vec![RedisSubscription::new(redis.url(), "todos")],
        key_value_stores: vec!["default".to_owned()],
        ..AppComponent::new(probe())
    }];
    let running = Running::start(host).await;

    // A handler run by the Redis trigger writes `todos/1`: the Redis key is `todos/1`.
    eventually(Duration::from_secs(30), "the subscription", || async {
        (redis.command(&[b"PUBSUB", b"NUMSUB", b"todos"]) == "todos\n1").then_some(())
    })
    .await;
    redis.command(&[b"PUBLISH", b"todos", b"todos/1={\"title\":\"milk\"}"]);
    let set = tokio::time::timeout(Duration::from_secs(30), notifications.next())
        .await
        .expect("a keyspace notification")
        .unwrap();
    assert_eq!(set.get_payload_bytes(), b"todos/1");
    assert_eq!(redis.command(&[b"GET", b"todos/1"]), "{\"title\":\"milk\"}");

    // An HTTP request's handler writes to the same server; its counter is Redis's INCRBY
    // text, as with Spin's Redis backend.
    let addr = running.addr;
    let (status, body) = tokio::task::spawn_blocking(move || get(addr, "/hello?sleep_ms=1"))
        .await
        .unwrap();
    assert_eq!(status, 200);
    assert!(body.contains("/hello"), "{body}");
    assert_eq!(redis.command(&[b"EXISTS", b"http:/hello"]), "1");
    assert_eq!(redis.command(&[b"GET", b"running"]), "0");
    assert_eq!(redis.command(&[b"TYPE", b"running"]), "string");
    assert_eq!(redis.command(&[b"KEYS", b"edgeway*"]), "");
    running.stop().await;

    // The reader API sees the same store.
    let store = KeyValueStore::open(&dir.0.join("kv"), &backends, "default")
        .await
        .unwrap();
    assert_eq!(store.keys_with_prefix("todos/").await.unwrap(), ["todos/1"]);
    assert_eq!(
        store.get("todos/1").await.unwrap().as_deref(),
        Some(&b"{\"title\":\"milk\"}"[..])
    );
    check_prefix_listing(&store).await;
}

#[tokio::test]
async fn prefix_listing_on_sqlite() {
    let dir = TempDir::new("sqlite-prefix");
    let store = KeyValueStore::open(&dir.0.join("kv"), &BTreeMap::new(), "default")
        .await
        .unwrap();
    check_prefix_listing(&store).await;
    assert!(dir.0.join("kv/default.db").is_file());
}

/// Dead-letter keys are listed by prefix, in order; glob or `LIKE` characters in keys are
/// only characters.
async fn check_prefix_listing(store: &KeyValueStore) {
    let keys = [
        "edgeway:dead-letter:1764280000001:audit:b",
        "edgeway:dead-letter:1764280000000:audit:a",
        "edgeway:dead-letter-not:1",
        "edgeway:dead_letter:1",
        "edgeway:dead-letter*:x",
        "other",
    ];
    for key in keys {
        store.set(key, key.as_bytes()).await.unwrap();
    }
    assert_eq!(
        store
            .keys_with_prefix("edgeway:dead-letter:")
            .await
            .unwrap(),
        [
            "edgeway:dead-letter:1764280000000:audit:a",
            "edgeway:dead-letter:1764280000001:audit:b"
        ]
    );
    assert_eq!(
        store
            .keys_with_prefix("edgeway:dead-letter*")
            .await
            .unwrap(),
        ["edgeway:dead-letter*:x"]
    );
    assert_eq!(
        store.get("other").await.unwrap().as_deref(),
        Some(&b"other"[..])
    );
    store.delete("other").await.unwrap();
    assert_eq!(store.get("other").await.unwrap(), None);
}
