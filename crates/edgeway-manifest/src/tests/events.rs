//! Subscriptions, schedules, the webhook and Redis triggers: read, and refused with a
//! location and a hint when they cannot work.
use super::*;
use crate::{Source, parse_source};

/// Lines 1–11: an app with a `default` store, the variable `schedule_secret`, the handler
/// `greet` and one route; what follows starts on line 12.
macro_rules! events_app {
    ($($line:literal),* $(,)?) => {
        concat!(
            "[application]\nname = \"app\"\n",
            "[variables]\nschedule_secret = { default = \"s\" }\n",
            "[component.gateway]\nsource = \"out.wasm\"\nkey_value_stores = [\"default\"]\n",
            "variables = { schedule_secret = \"{{ schedule_secret }}\" }\n",
            "[component.gateway.tool.edgeway]\n",
            "handlers = { greet = { path = \"src\" } }\n",
            "routes = { \"GET /hello\" = \"greet\" }\n",
            $($line, "\n"),*
        )
    };
}

#[test]
fn subscriptions_schedules_and_redis_triggers_are_read() {
    let manifest = valid(events_app!(
        "[component.gateway.tool.edgeway.events]",
        "schedule_secret = \"schedule_secret\"",
        "webhook = { path = \"/hooks\", body_limit = \"64 KiB\" }",
        "[component.gateway.tool.edgeway.schedules]",
        "tick = \"*/5 * * * *\"",
        "[[component.gateway.tool.edgeway.subscriptions]]",
        "source = \"webhook:orders\"",
        "handler = \"greet\"",
        "types = [\"order.*\"]",
        "retry = { attempts = 5, backoff = \"250ms\" }",
        "[[component.gateway.tool.edgeway.subscriptions]]",
        "source = \"schedule:tick\"",
        "handler = \"greet\"",
        "[[component.gateway.tool.edgeway.subscriptions]]",
        "source = \"redis:__keyevent@0__:set\"",
        "handler = \"greet\"",
        "[application.trigger.redis]",
        "address = \"redis://127.0.0.1:6379\"",
        "[[trigger.redis]]",
        "channel = \"__keyevent@0__:set\"",
        "component = \"events-set\"",
        "[component.events-set]",
        "source = \"out.wasm\"",
        "key_value_stores = [\"default\"]",
        "variables = { edgeway_channel = \"__keyevent@0__:set\" }",
    ));
    let events = &manifest.events;
    assert_eq!(events.subscriptions.len(), 3);
    let webhook = &events.subscriptions[0];
    assert_eq!(webhook.source, Source::Webhook("orders".into()));
    assert_eq!((webhook.attempts, webhook.backoff_ms), (5, 250));
    assert_eq!(webhook.types, ["order.*"]);
    assert_eq!(webhook.location.line, 17);
    assert_eq!(
        (
            events.subscriptions[1].attempts,
            events.subscriptions[1].backoff_ms
        ),
        (3, 100)
    );
    assert_eq!(events.schedules[0].cron, "0 */5 * * * *");
    let hook = events.webhook.as_ref().unwrap();
    assert_eq!(hook.path, "/hooks");
    assert_eq!(hook.settings.body_limit, 64 * 1024);
    assert_eq!(events.redis.len(), 1);
    assert_eq!(events.redis[0].component, "events-set");
    assert_eq!(
        events.redis_address.as_deref(),
        Some("redis://127.0.0.1:6379")
    );
    assert!(manifest.gateway_features().contains(&"events"));
}

#[test]
fn an_app_without_subscriptions_has_no_events_feature() {
    let manifest = valid(events_app!());
    assert!(!manifest.gateway_features().contains(&"events"));
    assert!(manifest.events.webhook.is_none());
}

#[test]
fn sources_are_parsed() {
    assert_eq!(parse_source("redis:a:b"), Ok(Source::Redis("a:b".into())));
    assert_eq!(
        parse_source("schedule:nightly"),
        Ok(Source::Schedule("nightly".into()))
    );
    for bad in [
        "orders",
        "kafka:orders",
        "webhook:",
        "webhook:a/b",
        "schedule:..",
    ] {
        assert!(parse_source(bad).is_err(), "{bad}");
    }
}

/// `(what, lines after line 11, (line, column), message fragment, hint fragment)`.
const INVALID_EVENTS: &[Case] = &[
    (
        "unknown handler",
        "[[component.gateway.tool.edgeway.subscriptions]]\nsource = \"webhook:a\"\nhandler = \"nobody\"\n",
        (14, 11),
        "names handler `nobody`",
        Some("handlers"),
    ),
    (
        "unknown source kind",
        "[[component.gateway.tool.edgeway.subscriptions]]\nsource = \"kafka:a\"\nhandler = \"greet\"\n",
        (13, 10),
        "unknown kind `kafka`",
        Some("redis:<channel>"),
    ),
    (
        "bad cron",
        "[component.gateway.tool.edgeway.events]\nschedule_secret = \"schedule_secret\"\n[component.gateway.tool.edgeway.schedules]\ntick = \"every minute\"\n[[component.gateway.tool.edgeway.subscriptions]]\nsource = \"schedule:tick\"\nhandler = \"greet\"\n",
        (15, 8),
        "has 2 fields",
        Some("5 fields"),
    ),
    (
        "schedule without a secret",
        "[component.gateway.tool.edgeway.schedules]\ntick = \"* * * * *\"\n[[component.gateway.tool.edgeway.subscriptions]]\nsource = \"schedule:tick\"\nhandler = \"greet\"\n",
        (5, 1),
        "`schedule_secret` is not set",
        Some("schedule_secret"),
    ),
    (
        "subscription to an undeclared schedule",
        "[[component.gateway.tool.edgeway.subscriptions]]\nsource = \"schedule:nightly\"\nhandler = \"greet\"\n",
        (13, 10),
        "no schedule is called `nightly`",
        Some("schedules"),
    ),
    (
        "redis subscription without a trigger",
        "[[component.gateway.tool.edgeway.subscriptions]]\nsource = \"redis:orders\"\nhandler = \"greet\"\n",
        (12, 1),
        "no `[[trigger.redis]]` delivers that channel",
        Some("edgeway_channel = \"orders\""),
    ),
    (
        "redis trigger whose component names another channel",
        "[[component.gateway.tool.edgeway.subscriptions]]\nsource = \"redis:orders\"\nhandler = \"greet\"\n[application.trigger.redis]\naddress = \"redis://x\"\n[[trigger.redis]]\nchannel = \"orders\"\ncomponent = \"ev\"\n[component.ev]\nsource = \"out.wasm\"\nkey_value_stores = [\"default\"]\nvariables = { edgeway_channel = \"other\" }\n",
        (17, 1),
        "its `edgeway_channel` variable is not that channel",
        Some("edgeway_channel = \"orders\""),
    ),
    (
        "too many attempts",
        "[[component.gateway.tool.edgeway.subscriptions]]\nsource = \"webhook:a\"\nhandler = \"greet\"\nretry = { attempts = 50 }\n",
        (15, 9),
        "must be 1 to 10",
        None,
    ),
];

#[test]
fn event_mistakes_are_reported_where_they_are() {
    for &(what, lines, place, message, hint) in INVALID_EVENTS {
        let source = format!("{}{lines}", events_app!());
        assert_reported_once(what, &source, place, message, hint);
    }
}

#[test]
fn a_route_under_the_webhook_path_is_refused() {
    let source = concat!(
        "[application]\nname = \"app\"\n",
        "[component.gateway]\nsource = \"out.wasm\"\nkey_value_stores = [\"default\"]\n",
        "[component.gateway.tool.edgeway.handlers]\ngreet = { path = \"src\" }\n",
        "[component.gateway.tool.edgeway.routes]\n\"POST /events/:x\" = \"greet\"\n",
        "[[component.gateway.tool.edgeway.subscriptions]]\nsource = \"webhook:a\"\nhandler = \"greet\"\n",
    );
    let shown = parse(source).unwrap_err().to_string();
    assert!(
        shown.contains(
            ":9:1: error: route `/events/:x` overlaps the webhook path (`POST /events/...`)"
        ),
        "{shown}"
    );
}

#[test]
fn a_subscriber_import_may_not_clash_with_a_handler_name() {
    let source = concat!(
        "[application]\nname = \"app\"\n",
        "[component.gateway]\nsource = \"out.wasm\"\nkey_value_stores = [\"default\"]\n",
        "[component.gateway.tool.edgeway.handlers]\ngreet = { path = \"src\" }\ngreet-deliver = { path = \"src\" }\n",
        "[[component.gateway.tool.edgeway.subscriptions]]\nsource = \"webhook:a\"\nhandler = \"greet\"\n",
    );
    let shown = parse(source).unwrap_err().to_string();
    assert!(
        shown.contains(
            ":11:11: error: `greet` receives events, and a handler is called `greet-deliver`"
        ),
        "{shown}"
    );
}

#[test]
fn days_of_the_week_count_as_in_unix_cron() {
    use std::str::FromStr;
    let cases = [
        ("0 9 * * 1-5", "0 0 9 * * 2-6"),
        ("0 9 * * 0", "0 0 9 * * 1"),
        ("0 9 * * 7", "0 0 9 * * 1"),
        ("0 9 * * 5-7", "0 0 9 * * 6-7,1"),
        ("0 9 * * 0-7", "0 0 9 * * 1-7"),
        ("0 9 * * */2", "0 0 9 * * */2"),
        ("0 9 * * 1,3", "0 0 9 * * 2,4"),
        ("0 9 * * MON-FRI", "0 0 9 * * MON-FRI"),
        ("*/10 * * * * *", "*/10 * * * * *"),
    ];
    for (written, normalised) in cases {
        assert_eq!(
            crate::normalise_cron(written).as_deref(),
            Ok(normalised),
            "{written}"
        );
    }
    // Monday 1 in Unix numbering is Monday: the next tick after a Sunday is the next day.
    let monday = cron::Schedule::from_str(&crate::normalise_cron("0 9 * * 1").unwrap()).unwrap();
    let sunday = chrono::DateTime::parse_from_rfc3339("2026-11-29T12:00:00Z")
        .unwrap()
        .to_utc();
    let next = monday.after(&sunday).next().unwrap();
    assert_eq!(next.to_rfc3339(), "2026-11-30T09:00:00+00:00");
    for bad in ["0 9 * * 8", "0 9 * * 3-7/2"] {
        assert!(crate::normalise_cron(bad).is_err(), "{bad}");
    }
}
