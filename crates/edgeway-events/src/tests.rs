use crate::*;

fn fallback() -> Fallback {
    Fallback {
        id: "generated".into(),
        source: "webhook:orders".into(),
        ty: "edgeway.webhook".into(),
        time: "2026-11-27T12:00:00Z".into(),
    }
}

fn headers(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

#[test]
fn binary_mode_reads_attributes_from_headers() {
    let event = from_http(
        &headers(&[
            ("ce-specversion", "1.0"),
            ("ce-id", "A-1"),
            ("ce-source", "/shop"),
            ("ce-type", "order.created"),
            ("ce-subject", "order%2F7"),
            ("ce-time", "2026-11-27T10:00:00.5+01:00"),
            ("ce-traceparent", "00-abc"),
            ("content-type", "application/json"),
            ("x-other", "ignored"),
        ]),
        b"{\"total\":3}".to_vec(),
        fallback(),
    )
    .unwrap();
    assert_eq!(event.id, "A-1");
    assert_eq!(event.source, "/shop");
    assert_eq!(event.ty, "order.created");
    assert_eq!(event.subject.as_deref(), Some("order/7"));
    assert_eq!(event.time.as_deref(), Some("2026-11-27T10:00:00.5+01:00"));
    assert_eq!(event.data_content_type.as_deref(), Some("application/json"));
    assert_eq!(event.data, b"{\"total\":3}");
    assert_eq!(
        event.extensions,
        vec![("traceparent".into(), "00-abc".into())]
    );
}

#[test]
fn binary_mode_names_the_missing_attribute() {
    let error = from_http(
        &headers(&[("ce-specversion", "1.0"), ("ce-id", "1"), ("ce-type", "t")]),
        Vec::new(),
        fallback(),
    )
    .unwrap_err();
    assert_eq!(error, EventError::Missing("source"));
    let error = from_http(
        &headers(&[
            ("ce-specversion", "0.3"),
            ("ce-id", "1"),
            ("ce-source", "s"),
            ("ce-type", "t"),
        ]),
        Vec::new(),
        fallback(),
    )
    .unwrap_err();
    assert!(error.to_string().contains("specversion"), "{error}");
    let error = from_http(
        &headers(&[
            ("ce-specversion", "1.0"),
            ("ce-id", "1"),
            ("ce-source", "s"),
            ("ce-type", "t"),
            ("ce-time", "yesterday"),
        ]),
        Vec::new(),
        fallback(),
    )
    .unwrap_err();
    assert!(error.to_string().contains("RFC 3339"), "{error}");
}

#[test]
fn structured_mode_reads_the_body() {
    let body = br#"{"specversion":"1.0","id":"B-2","source":"/shop","type":"order.paid","datacontenttype":"application/json","data":{"total":3},"partitionkey":"p1","sequence":7}"#;
    let event = from_http(
        &headers(&[(
            "content-type",
            "application/cloudevents+json; charset=utf-8",
        )]),
        body.to_vec(),
        fallback(),
    )
    .unwrap();
    assert_eq!(event.id, "B-2");
    assert_eq!(event.ty, "order.paid");
    assert_eq!(event.data, b"{\"total\":3}");
    assert_eq!(
        event.extensions,
        vec![
            ("partitionkey".into(), "p1".into()),
            ("sequence".into(), "7".into())
        ]
    );
    // Round trip through the JSON format.
    let again = Event::from_json(event.to_json().to_string().as_bytes()).unwrap();
    assert_eq!(again, event);
}

#[test]
fn structured_mode_carries_binary_data_as_base64() {
    let event = Event {
        id: "1".into(),
        source: "s".into(),
        ty: "t".into(),
        subject: None,
        time: None,
        data_content_type: Some("application/octet-stream".into()),
        data: vec![0, 159, 146, 150],
        extensions: Vec::new(),
    };
    let json = event.to_json();
    assert_eq!(json["data_base64"], "AJ+Slg==");
    assert_eq!(
        Event::from_json(json.to_string().as_bytes()).unwrap(),
        event
    );
}

#[test]
fn structured_mode_refuses_bad_bodies() {
    for (body, expected) in [
        (&b"[1]"[..], "JSON object"),
        (b"{\"specversion\":\"1.0\",\"id\":\"1\",\"type\":\"t\"}", "`source`"),
        (b"{\"specversion\":\"1.0\",\"id\":1,\"source\":\"s\",\"type\":\"t\"}", "`id` must be a string"),
        (b"{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"s\",\"type\":\"t\",\"Bad-Name\":\"x\"}", "extension name"),
        (b"{\"specversion\":\"1.0\",\"id\":\"1\",\"source\":\"s\",\"type\":\"t\",\"data\":1,\"data_base64\":\"AA==\"}", "together"),
        (b"not json", "not a CloudEvent"),
    ] {
        let error = from_http(
            &headers(&[("content-type", "application/cloudevents+json")]),
            body.to_vec(),
            fallback(),
        )
        .unwrap_err();
        assert!(error.to_string().contains(expected), "{error} should mention {expected}");
    }
}

#[test]
fn a_plain_request_becomes_an_event_from_the_fallback() {
    let event = from_http(
        &headers(&[("content-type", "application/json")]),
        b"{\"a\":1}".to_vec(),
        fallback(),
    )
    .unwrap();
    assert_eq!(event.id, "generated");
    assert_eq!(event.source, "webhook:orders");
    assert_eq!(event.ty, "edgeway.webhook");
    assert_eq!(event.time.as_deref(), Some("2026-11-27T12:00:00Z"));
    assert_eq!(event.data, b"{\"a\":1}");
}

#[test]
fn batches_and_other_formats_are_refused() {
    for media in [
        "application/cloudevents-batch+json",
        "application/cloudevents+avro",
    ] {
        let error = from_http(&headers(&[("content-type", media)]), Vec::new(), fallback());
        assert!(error.is_err(), "{media}");
    }
}

#[test]
fn redis_messages_become_events() {
    let plain = from_redis(
        "orders",
        b"hello".to_vec(),
        "id-1".into(),
        "2026-11-27T12:00:00Z".into(),
    );
    assert_eq!(plain.source, "redis:orders");
    assert_eq!(plain.ty, "edgeway.redis.message");
    assert_eq!(plain.data, b"hello");
    assert_eq!(plain.id, "id-1");

    let key = from_redis(
        "__keyevent@0__:set",
        b"todos/3".to_vec(),
        "id-2".into(),
        "2026-11-27T12:00:00Z".into(),
    );
    assert_eq!(key.source, "redis:__keyevent@0__:set");
    assert_eq!(key.ty, "edgeway.redis.keyevent.set");
    assert_eq!(key.subject.as_deref(), Some("todos/3"));

    let structured =
        br#"{"specversion":"1.0","id":"E-9","source":"/billing","type":"invoice.sent"}"#;
    let event = from_redis(
        "orders",
        structured.to_vec(),
        "unused".into(),
        "unused".into(),
    );
    assert_eq!(event.id, "E-9");
    assert_eq!(event.source, "/billing");

    // JSON that is not a CloudEvent is an ordinary message.
    let json = from_redis("orders", b"{\"a\":1}".to_vec(), "id-3".into(), "t".into());
    assert_eq!(json.ty, "edgeway.redis.message");
    assert_eq!(json.data, b"{\"a\":1}");
}

#[test]
fn retries_back_off_doubling_up_to_a_ceiling() {
    let retry = Retry {
        attempts: 5,
        backoff_ms: 100,
    };
    let waits: Vec<u128> = (1..=5).map(|a| retry.wait_before(a).as_millis()).collect();
    assert_eq!(waits, [0, 100, 200, 400, 800]);
    let long = Retry {
        attempts: 80,
        backoff_ms: 1000,
    };
    assert_eq!(long.wait_before(70).as_secs(), 30);
}

#[test]
fn type_filters() {
    assert!(type_matches(&[], "anything"));
    assert!(type_matches(&["order.created"], "order.created"));
    assert!(!type_matches(&["order.created"], "order.paid"));
    assert!(type_matches(&["order.*"], "order.paid"));
    assert!(!type_matches(&["order.*"], "invoice.sent"));
}

#[test]
fn attempts_log_one_json_line() {
    let event = from_redis("orders", b"x".to_vec(), "id-1".into(), "t".into());
    let line = Attempt {
        time: "2026-11-27T12:00:00Z",
        event: &event,
        subscription: "redis:orders",
        handler: "audit",
        attempt: 2,
        outcome: Outcome::DeadLetter,
        duration_us: 12,
        error: Some("boom"),
    }
    .to_line();
    let value: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(value["event_id"], "id-1");
    assert_eq!(value["source"], "redis:orders");
    assert_eq!(value["type"], "edgeway.redis.message");
    assert_eq!(value["subscription"], "redis:orders");
    assert_eq!(value["handler"], "audit");
    assert_eq!(value["attempt"], 2);
    assert_eq!(value["outcome"], "dead-letter");
    assert_eq!(value["error"], "boom");
    assert!(!line.contains('\n'));
}

#[test]
fn dead_letters_keep_the_whole_event() {
    let event = from_redis(
        "orders",
        b"x".to_vec(),
        "id-1".into(),
        "2026-11-27T12:00:00Z".into(),
    );
    let key = dead_letter_key(1_700_000_000_000, "audit", &event.id);
    assert_eq!(key, "edgeway:dead-letter:1700000000000:audit:id-1");
    let letter: serde_json::Value = serde_json::from_str(&dead_letter(
        &event,
        "redis:orders",
        "audit",
        3,
        "boom",
        "2026-11-27T12:00:01Z",
    ))
    .unwrap();
    assert_eq!(letter["attempts"], 3);
    assert_eq!(letter["source"], "redis:orders");
    let again = Event::from_json(letter["event"].to_string().as_bytes()).unwrap();
    assert_eq!(again, event);
}

#[test]
fn only_cloud_events_carry_an_id_replicas_can_share() {
    let structured = br#"{"specversion":"1.0","id":"E-9","source":"/b","type":"t"}"#;
    assert!(carries_id(structured));
    assert!(!carries_id(b"hello"));
    assert!(!carries_id(br#"{"id":"E-9"}"#));
    // A CloudEvent without its required attributes is read as a plain message.
    assert!(!carries_id(br#"{"specversion":"1.0","id":"E-9"}"#));
}

#[test]
fn claims_are_keyed_by_schedule_and_tick_or_by_event_id() {
    assert!(won(1));
    assert!(!won(2));
    assert!(!won(0));
    assert_eq!(
        schedule_claim_key("nightly", "2026-12-02T03:00:00.000Z"),
        "edgeway:claim:schedule:nightly:2026-12-02T03:00:00.000Z"
    );
    assert_eq!(
        schedule_claims_key("nightly"),
        "edgeway:claim:schedule:nightly"
    );
    assert_eq!(
        event_claim_key("redis:orders", "E-9"),
        "edgeway:claim:event:redis:orders:E-9"
    );
    assert!(schedule_claim_key("a", "t").starts_with(CLAIM_PREFIX));
}

#[test]
fn a_schedule_keeps_its_latest_claims_so_a_late_replica_cannot_win_a_tick_again() {
    let claim = |n: usize| schedule_claim_key("tick", &format!("t{n:03}"));
    let mut kept = String::new();
    let mut deleted = Vec::new();
    for n in 0..KEPT_SCHEDULE_CLAIMS {
        let expired;
        (kept, expired) = keep_schedule_claim(&kept, &claim(n));
        deleted.extend(expired);
    }
    assert!(deleted.is_empty(), "{deleted:?}");
    assert_eq!(kept.lines().count(), KEPT_SCHEDULE_CLAIMS);
    assert_eq!(kept.lines().next(), Some(claim(0).as_str()));

    // One more claim: the oldest falls out, to be deleted.
    let (kept, expired) = keep_schedule_claim(&kept, &claim(KEPT_SCHEDULE_CLAIMS));
    assert_eq!(expired, [claim(0)]);
    assert_eq!(kept.lines().next(), Some(claim(1).as_str()));
    assert_eq!(
        kept.lines().last(),
        Some(claim(KEPT_SCHEDULE_CLAIMS).as_str())
    );

    // A claim already listed is not listed twice; a list of one (as a single key) is read.
    let (again, expired) = keep_schedule_claim(&kept, &claim(5));
    assert!(expired.is_empty());
    assert_eq!(again.lines().filter(|k| *k == claim(5)).count(), 1);
    assert_eq!(
        keep_schedule_claim(&claim(7), &claim(8)),
        (format!("{}\n{}", claim(7), claim(8)), Vec::new())
    );
}

#[test]
fn a_tick_is_the_hosts_header_or_the_second_of_arrival() {
    let arrived = || "2026-12-02T03:00:01Z".to_owned();
    assert_eq!(tick(None, arrived()).unwrap(), "2026-12-02T03:00:01Z");
    assert_eq!(
        tick(Some("2026-12-02T03:00:00.000Z"), arrived()).unwrap(),
        "2026-12-02T03:00:00.000Z"
    );
    for bad in ["", "a b", "x/y", &"9".repeat(41)] {
        let error = tick(Some(bad), arrived()).unwrap_err();
        assert!(error.contains(TICK_HEADER), "{bad:?}: {error}");
    }
}

#[test]
fn skipped_deliveries_log_one_json_line() {
    let tick: serde_json::Value =
        serde_json::from_str(&skipped_tick_line("t", "nightly", "T1")).unwrap();
    assert_eq!(tick["outcome"], "skipped");
    assert_eq!(tick["schedule"], "nightly");
    assert_eq!(tick["tick"], "T1");
    assert_eq!(tick["reason"], "claimed by another replica");
    let event: serde_json::Value =
        serde_json::from_str(&skipped_event_line("t", "redis:orders", "E-9")).unwrap();
    assert_eq!(event["event_id"], "E-9");
    assert_eq!(event["subscription"], "redis:orders");
    assert_eq!(event["outcome"], "skipped");
}
