//! Scheduled requests on the local host: the real probe component, fired through the host's
//! own routes. The host logs each tick on stderr, so the test runs the host in a child
//! process (this test binary again, running only `schedules_child`) and reads its stderr.
mod common;

use std::collections::BTreeMap;
use std::process::Command;
use std::time::Duration;

use common::{Running, TempDir, config, probe};
use edgeway_host::{AppComponent, KeyValueStore, Schedule};

/// Set in the child process.
const CHILD: &str = "EDGEWAY_HOST_TEST_SCHEDULES_CHILD";

/// How long the child serves.
const RUN_FOR: Duration = Duration::from_millis(6_500);

#[test]
fn schedules_fire_through_the_routes_and_never_overlap() {
    // Build first, so the child's time is spent serving.
    probe();
    let output = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "schedules_child", "--ignored", "--nocapture"])
        .env(CHILD, "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the child failed:\n{stdout}\n{stderr}"
    );

    let ticks: Vec<serde_json::Value> = stderr
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|line| line["schedule"].is_string())
        .collect();
    let of = |name: &str, outcome: &str| -> Vec<&serde_json::Value> {
        ticks
            .iter()
            .filter(|t| t["schedule"] == name && t["outcome"] == outcome)
            .collect()
    };
    for tick in &ticks {
        let time = tick["time"].as_str().unwrap();
        assert!(
            time.len() == 24 && time.ends_with('Z') && &time[10..11] == "T",
            "RFC 3339 UTC time: {tick}"
        );
        let keys: Vec<&str> = tick
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        match tick["outcome"].as_str().unwrap() {
            "fired" => {
                assert_eq!(
                    keys,
                    ["duration_us", "outcome", "schedule", "status", "time"]
                );
                assert!(tick["duration_us"].as_u64().unwrap() > 0, "{tick}");
            }
            "missed" => assert_eq!(keys, ["outcome", "schedule", "time"]),
            other => panic!("unexpected outcome {other}: {tick}"),
        }
    }
    // Every second for 6.5 s: about six runs, each well under a second.
    let fast = of("tick", "fired");
    assert!((4..=8).contains(&fast.len()), "{ticks:#?}");
    assert!(fast.iter().all(|t| t["status"] == 200), "{fast:#?}");
    assert!(of("tick", "missed").is_empty(), "{ticks:#?}");
    // Each run of `slow` takes 2.5 s, so the ticks in between are missed.
    let slow = of("slow", "fired");
    assert!((1..=3).contains(&slow.len()), "{ticks:#?}");
    assert!(
        slow.iter()
            .all(|t| t["duration_us"].as_u64().unwrap() >= 2_500_000)
    );
    assert!(of("slow", "missed").len() >= 2, "{ticks:#?}");
    // A path outside every route is answered by the host: 404, logged like any run.
    let lost = of("lost", "fired");
    assert!(
        !lost.is_empty() && lost.iter().all(|t| t["status"] == 404),
        "{ticks:#?}"
    );
    assert!(stdout.contains("child: checked the store"), "{stdout}");
}

/// The host with three schedules, run by the test above in a child process.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "run by schedules_fire_through_the_routes_and_never_overlap"]
async fn schedules_child() {
    if std::env::var_os(CHILD).is_none() {
        return;
    }
    let dir = TempDir::new("schedules");
    let mut host = config(&dir);
    host.components = vec![AppComponent {
        trigger_routes: vec!["/jobs/...".to_owned()],
        key_value_stores: vec!["default".to_owned()],
        ..AppComponent::new(probe())
    }];
    let mut tick = Schedule::post("tick", "* * * * * *", "/jobs/tick");
    tick.headers = vec![("authorization".to_owned(), "Bearer s3cret".to_owned())];
    host.schedules = vec![
        tick,
        Schedule::post("slow", "* * * * * *", "/jobs/slow?sleep_ms=2500"),
        Schedule::post("lost", "*/2 * * * * *", "/elsewhere"),
    ];
    let running = Running::start(host).await;
    tokio::time::sleep(RUN_FOR).await;
    // Stopping waits for the run in progress.
    running.stop().await;

    let store = KeyValueStore::open(&dir.0.join("kv"), &BTreeMap::new(), "default")
        .await
        .unwrap();
    let value = |key: &'static str| {
        let store = &store;
        async move {
            store
                .get(key)
                .await
                .unwrap()
                .map(|v| String::from_utf8(v).unwrap())
        }
    };
    // The request carried the schedule's header, and went through the trigger route.
    assert_eq!(
        value("http:/jobs/tick").await.as_deref(),
        Some("Bearer s3cret")
    );
    assert_eq!(value("http:/jobs/slow").await.as_deref(), Some(""));
    // No two runs of `slow` were ever in the component at once.
    assert_eq!(value("overlap").await, None);
    println!("child: checked the store");
}
