//! Spin's Redis trigger on the local host: a real `redis-server`, real components.
mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::{Running, TempDir, config, eventually, probe};
use edgeway_host::{AppComponent, Host, HostError, KeyValueStore, RedisSubscription};
use edgeway_tests::redis::RedisServer;

/// The probe subscribed to `channel`, writing keys under `prefix`.
fn subscriber(redis: &RedisServer, channel: &str, prefix: &str) -> AppComponent {
    AppComponent {
        trigger_routes: Vec::new(),
        redis_subscriptions: vec![RedisSubscription::new(redis.url(), channel)],
        key_value_stores: vec!["default".to_owned()],
        variables: BTreeMap::from([("key_prefix".to_owned(), prefix.to_owned())]),
        ..AppComponent::new(probe())
    }
}

/// Waits until the host's one connection has subscribed to `channel`.
async fn subscribed(redis: &RedisServer, channel: &str) {
    eventually(Duration::from_secs(30), "the subscription", || async {
        let reply = redis.command(&[b"PUBSUB", b"NUMSUB", channel.as_bytes()]);
        (reply == format!("{channel}\n1")).then_some(())
    })
    .await;
}

/// The value of `key` in the store `default`, once it has one.
async fn value(dir: &TempDir, key: &str) -> String {
    let store = KeyValueStore::open(&dir.0.join("kv"), &BTreeMap::new(), "default")
        .await
        .unwrap();
    eventually(Duration::from_secs(30), key, || async {
        let value = store.get(key).await.unwrap()?;
        Some(String::from_utf8(value).unwrap())
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_reach_every_subscribed_component_in_order() {
    let redis = RedisServer::start();
    let dir = TempDir::new("redis-trigger");
    let mut host = config(&dir);
    host.components = vec![
        subscriber(&redis, "orders", "a/"),
        subscriber(&redis, "orders", "b/"),
        subscriber(&redis, "other", "c/"),
    ];
    let running = Running::start(host).await;
    subscribed(&redis, "orders").await;
    subscribed(&redis, "other").await;

    // One connection for both channels: each message is published to one client.
    assert_eq!(redis.command(&[b"PUBLISH", b"orders", b"first=1"]), "1");
    assert_eq!(value(&dir, "a/first").await, "1");
    assert_eq!(value(&dir, "b/first").await, "1");

    // A handler's error or trap drops that message only; later ones still arrive.
    for payload in [&b"fail"[..], b"trap", b"not a pair"] {
        redis.command(&[b"PUBLISH", b"orders", payload]);
    }
    // Handled one after another: the last value written is the last published.
    for n in 1..=20 {
        redis.command(&[b"PUBLISH", b"orders", format!("seq={n}").as_bytes()]);
    }
    redis.command(&[b"PUBLISH", b"orders", b"done=yes"]);
    assert_eq!(value(&dir, "a/done").await, "yes");
    assert_eq!(value(&dir, "b/done").await, "yes");
    assert_eq!(value(&dir, "a/seq").await, "20");
    assert_eq!(value(&dir, "b/seq").await, "20");

    // Only the components subscribed to a channel get its messages.
    redis.command(&[b"PUBLISH", b"other", b"elsewhere=c"]);
    assert_eq!(value(&dir, "c/elsewhere").await, "c");
    let store = KeyValueStore::open(&dir.0.join("kv"), &BTreeMap::new(), "default")
        .await
        .unwrap();
    assert_eq!(store.keys_with_prefix("c/").await.unwrap(), ["c/elsewhere"]);
    assert_eq!(store.get("c/first").await.unwrap(), None);

    // When the server drops the connection, the host subscribes again.
    redis.command(&[b"CLIENT", b"KILL", b"TYPE", b"pubsub"]);
    tokio::time::sleep(Duration::from_millis(200)).await;
    subscribed(&redis, "orders").await;
    redis.command(&[b"PUBLISH", b"orders", b"again=2"]);
    assert_eq!(value(&dir, "a/again").await, "2");
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_must_export_inbound_redis() {
    let dir = TempDir::new("redis-no-export");
    let mut host = config(&dir);
    host.components = vec![AppComponent {
        trigger_routes: Vec::new(),
        redis_subscriptions: vec![RedisSubscription::new("redis://127.0.0.1:1", "orders")],
        ..AppComponent::new(common::component("hello_http"))
    }];
    match Host::bind(host).await {
        Err(error @ HostError::Link { .. }) => {
            let message = error.to_string();
            assert!(
                message.contains("does not export fermyon:spin/inbound-redis"),
                "{message}"
            );
        }
        Err(other) => panic!("expected a link error, got {other}"),
        Ok(_) => panic!("expected a link error"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscription_addresses_are_checked_before_serving() {
    let dir = TempDir::new("redis-bad-address");
    let mut host = config(&dir);
    host.components = vec![AppComponent {
        trigger_routes: Vec::new(),
        redis_subscriptions: vec![RedisSubscription::new("localhost:6379", "orders")],
        ..AppComponent::new(probe())
    }];
    match Host::bind(host).await {
        Err(HostError::InvalidConfig { field, problem }) => {
            assert_eq!(field, "redis_subscriptions");
            assert!(problem.contains("\"localhost:6379\""), "{problem}");
            assert!(problem.contains("not a Redis URL"), "{problem}");
        }
        Err(other) => panic!("expected InvalidConfig, got {other}"),
        Ok(_) => panic!("expected InvalidConfig"),
    }
}
