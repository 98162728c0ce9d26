//! The subscriptions, the webhook and schedule endpoints, and the function that delivers an
//! event to a subscriber.
use proc_macro2::{Literal, TokenStream};
use quote::quote;

use super::{match_arms, option, policy::policy_expr, strs};
use crate::Manifest;

/// `SUBSCRIPTIONS`, `WEBHOOK`, the schedule and Redis settings, and `deliver`.
pub(super) fn source(manifest: &Manifest) -> TokenStream {
    let events = &manifest.events;
    let count = Literal::usize_unsuffixed(events.subscriptions.len());
    let subscriptions = events.subscriptions.iter().map(|subscription| {
        let source = subscription.source.to_string();
        let handler = manifest
            .handler_index(&subscription.handler)
            .map(Literal::usize_unsuffixed)
            .expect("validated on load");
        let types = strs(&subscription.types);
        let attempts = Literal::u32_unsuffixed(subscription.attempts);
        let backoff_ms = Literal::u64_unsuffixed(subscription.backoff_ms);
        quote! {
            crate::events::Subscription {
                source: #source,
                handler: #handler,
                types: #types,
                retry: edgeway_events::Retry { attempts: #attempts, backoff_ms: #backoff_ms }
            }
        }
    });
    let webhook = option(events.webhook.as_ref().map(|webhook| {
        let path = &webhook.path;
        let policy = policy_expr(&webhook.settings, quote!(None));
        quote!(crate::events::Endpoint { path: #path, policy: #policy })
    }));
    let schedule_path = &events.schedule_path;
    let schedule_secret = option(events.schedule_secret.as_deref());
    let schedules = events.schedules.iter().map(|schedule| &schedule.name);
    let channel_variable = crate::CHANNEL_VARIABLE;
    let dead_letters = &events.dead_letters;
    let arms = match_arms(manifest, "_deliver", quote!(event), |name| {
        events.is_subscriber(name)
    });
    quote! {
        /// Who receives which events, in manifest order.
        pub static SUBSCRIPTIONS: [crate::events::Subscription; #count] = [#(#subscriptions,)*];

        /// `POST <path>/<topic>`, and its policies.
        pub static WEBHOOK: Option<crate::events::Endpoint> = #webhook;
        /// `POST <path>/<name>` fires a schedule; the variable holding its secret.
        pub const SCHEDULE_PATH: &str = #schedule_path;
        pub const SCHEDULE_SECRET: Option<&str> = #schedule_secret;
        pub const SCHEDULES: &[&str] = &[#(#schedules),*];
        /// The variable naming the Redis channel a component serves.
        pub const CHANNEL_VARIABLE: &str = #channel_variable;
        /// The key-value store dead letters are written to.
        pub const DEAD_LETTERS: &str = #dead_letters;

        /// Delivers `event` to the handler at `index` in `HANDLERS`.
        pub fn deliver(index: usize, event: &Event) -> Result<(), String> {
            match index {
                #arms
                _ => unreachable!("subscriptions index HANDLERS"),
            }
        }
    }
}
