//! The event endpoints in the document: `POST <webhook path>/{topic}` with the webhook's
//! policies, and `POST <schedule path>/{name}` behind the schedule secret. Each is written as
//! an operation of a route with the endpoint's settings, then given what routes do not have:
//! the topics or schedules it knows, and its own answers.
use edgeway_manifest::{Manifest, ResponseDecl, RouteDecl, RouteMeta, RouteSettings, Source};
use edgeway_router::Methods;
use serde_json::{Map, Value, json};

/// Names of the schedule path's security schemes.
pub(crate) const SCHEDULE_BEARER: &str = "scheduleSecret";
pub(crate) const SCHEDULE_QUERY: &str = "scheduleToken";

/// Adds the webhook and schedule paths the app serves to `paths`.
pub(crate) fn add_paths(manifest: &Manifest, paths: &mut Map<String, Value>) {
    let sources = |wanted: fn(&Source) -> Option<&String>| -> Vec<String> {
        let mut names: Vec<String> = manifest
            .events
            .subscriptions
            .iter()
            .filter_map(|s| wanted(&s.source).cloned())
            .collect();
        names.sort();
        names.dedup();
        names
    };
    if let Some(webhook) = &manifest.events.webhook {
        let topics = sources(|s| match s {
            Source::Webhook(topic) => Some(topic),
            _ => None,
        });
        let description = "An event for the topic's subscribers: the CloudEvents HTTP binding in binary mode (`ce-*` headers, the body is the data) or structured mode (`application/cloudevents+json`); any other request becomes an event of type `edgeway.webhook`.";
        let endpoint = Endpoint {
            path: &webhook.path,
            param: "topic",
            names: topics,
            summary: "Deliver an event to the topic's subscribers",
            description,
            settings: webhook.settings.clone(),
        };
        let mut op = endpoint.operation(manifest);
        op["requestBody"] = json!({
            "required": false,
            "content": { "*/*": { "schema": {} } },
        });
        insert(paths, &endpoint, op);
    }
    if manifest.events.schedule_secret.is_some() {
        let names = manifest.events.schedules.iter().map(|s| s.name.clone());
        let endpoint = Endpoint {
            path: &manifest.events.schedule_path,
            param: "name",
            names: names.collect(),
            summary: "Fire a schedule now (the local host and cron services call this at each tick)",
            description: "Delivers an `edgeway.schedule` event to the schedule's subscribers, once per tick across replicas.",
            settings: RouteSettings::default(),
        };
        let mut op = endpoint.operation(manifest);
        op["security"] = json!([{ SCHEDULE_BEARER: [] }, { SCHEDULE_QUERY: [] }]);
        op["responses"]["401"] = json!({
            "description": "No or a wrong schedule secret.",
            "content": { "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } } },
        });
        insert(paths, &endpoint, op);
    }
}

/// The schedule path's security schemes, when it is served.
pub(crate) fn security_schemes(manifest: &Manifest, schemes: &mut Map<String, Value>) {
    if manifest.events.schedule_secret.is_none() {
        return;
    }
    schemes.insert(
        SCHEDULE_BEARER.into(),
        json!({ "type": "http", "scheme": "bearer", "description": "The schedule secret (the variable `schedule_secret` names)." }),
    );
    schemes.insert(
        SCHEDULE_QUERY.into(),
        json!({ "type": "apiKey", "in": "query", "name": "token", "description": "The schedule secret, for cron services that can only be given a URL." }),
    );
}

/// One event endpoint: `POST <path>/{<param>}`, for one of `names`.
struct Endpoint<'a> {
    path: &'a str,
    param: &'static str,
    names: Vec<String>,
    summary: &'static str,
    description: &'static str,
    settings: RouteSettings,
}

impl Endpoint<'_> {
    fn pattern(&self) -> String {
        format!("{}/:{}", self.path.trim_end_matches('/'), self.param)
    }

    /// The operation, written as that of a route with the endpoint's settings and answers.
    fn operation(&self, manifest: &Manifest) -> Value {
        let accepted = ResponseDecl {
            status: "202".into(),
            description: "Every subscriber handled the event (or another replica claimed this schedule tick: `skipped` says so).".into(),
            content_type: "application/json".into(),
            schema: Some(json!({
                "type": "object",
                "required": ["id", "delivered"],
                "properties": {
                    "id": { "type": "string", "description": "The event's id." },
                    "delivered": { "type": "array", "items": { "type": "string" }, "description": "The handlers that took it." },
                    "skipped": { "type": "string" }
                }
            })),
        };
        let failed = ResponseDecl {
            status: "502".into(),
            description: "A subscriber failed the event after its last attempt; it is in the dead letters (`urn:edgeway:problem:delivery-failed`).".into(),
            content_type: "application/problem+json".into(),
            schema: Some(json!({ "allOf": [
                { "$ref": "#/components/schemas/Problem" },
                {
                    "type": "object",
                    "required": ["id", "delivered", "failed"],
                    "properties": {
                        "id": { "type": "string" },
                        "delivered": { "type": "array", "items": { "type": "string" } },
                        "failed": { "type": "array", "items": { "type": "object", "required": ["handler", "error"], "properties": { "handler": { "type": "string" }, "error": { "type": "string" } } } }
                    }
                }
            ] })),
        };
        let decl = RouteDecl {
            methods: Methods::POST,
            pattern: self.pattern(),
            handler: String::new(),
            settings: self.settings.clone(),
            meta: RouteMeta {
                summary: Some(self.summary.into()),
                description: Some(self.description.into()),
                tags: vec!["events".into()],
                responses: vec![accepted, failed],
                ..RouteMeta::default()
            },
            // Not read: the document names no manifest line.
            location: edgeway_manifest::Location::at(&manifest.path, "", 0),
        };
        let (_, params) = crate::openapi_path(&decl.pattern);
        let mut op = crate::operation::operation(manifest, &decl, "POST", &params);
        op["parameters"][0]["schema"] = json!({ "type": "string", "enum": self.names });
        op["parameters"][0]["description"] = json!(format!("The {} to deliver to.", self.param));
        op["responses"]["404"]["description"] =
            json!(format!("No subscription has this {}.", self.param));
        let object = op.as_object_mut().expect("operations are objects");
        object.remove("x-edgeway-handler");
        object.insert(
            "x-edgeway-route".into(),
            json!(format!("POST {}", decl.pattern)),
        );
        op
    }
}

fn insert(paths: &mut Map<String, Value>, endpoint: &Endpoint<'_>, op: Value) {
    let (path, _) = crate::openapi_path(&endpoint.pattern());
    paths.insert(path, json!({ "post": op }));
}
