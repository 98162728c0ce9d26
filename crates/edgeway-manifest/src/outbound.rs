//! The hosts a handler may call: `allowed_outbound_hosts = ["https://api.example.com"]` in its
//! entry, in Spin's syntax (see `edgeway-outbound`). Handlers call out through
//! `wasi:http/outgoing-handler`, composed behind an adapter that refuses every other host;
//! Spin enforces the serving component's own `allowed_outbound_hosts`, so each handler's
//! hosts must be among the component's.
use edgeway_outbound::{AllowedHost, AllowedHosts};
use toml::Spanned;

use crate::check::Checker;

/// Checks a handler's entries and returns them as written; a malformed one is reported
/// where it is written and left out.
pub(crate) fn check_handler_hosts(
    checker: &mut Checker<'_>,
    handler: &str,
    entries: &[Spanned<String>],
) -> Vec<String> {
    let mut hosts = Vec::new();
    for entry in entries {
        match AllowedHost::parse(entry.get_ref()) {
            Ok(host) => hosts.push(host.as_str().to_owned()),
            Err(error) => checker.error(
                entry.span().start,
                format!("handler `{handler}`: outbound host {error}"),
                Some("write hosts as Spin does: \"https://api.example.com\", \"http://127.0.0.1:*\", \"https://*.example.com:8443\"".into()),
            ),
        }
    }
    hosts
}

/// Checks that every host granted to a handler is one the component may reach
/// (`component_hosts`, the component's `allowed_outbound_hosts`; templates there are
/// resolved by Spin at run time and cover nothing here).
pub(crate) fn check_component_allows(
    checker: &mut Checker<'_>,
    handlers: &[crate::Handler],
    component_hosts: &[String],
    component_id: &str,
) {
    let literal = component_hosts.iter().filter(|h| !h.contains("{{"));
    let allowed = AllowedHosts::parse(literal).unwrap_or_default();
    let mut missing = Vec::new();
    for handler in handlers {
        for entry in &handler.allowed_outbound_hosts {
            let host = AllowedHost::parse(entry).expect("checked by check_handler_hosts");
            if !allowed.covers(&host) {
                missing.push((handler, entry));
            }
        }
    }
    let mut needed: Vec<&str> = component_hosts.iter().map(String::as_str).collect();
    for (_, entry) in &missing {
        if !needed.contains(&entry.as_str()) {
            needed.push(entry);
        }
    }
    let line = format!(
        "allowed_outbound_hosts = [{}]",
        needed
            .iter()
            .map(|h| format!("{h:?}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    for (handler, entry) in missing {
        checker.error_at(
            handler.location.clone(),
            format!(
                "handler `{}` is granted the outbound host `{entry}`, which component `{component_id}` does not allow",
                handler.name
            ),
            Some(format!(
                "Spin enforces the component's list, the union of its handlers' hosts: write `{line}` under [component.{component_id}]"
            )),
        );
    }
}

#[cfg(test)]
mod tests;
