//! Claims, so that replicas sharing one key-value store deliver a schedule tick or a Redis
//! CloudEvent once between them. Every replica fires the same tick and receives the same
//! pub/sub message; each adds one to the tick's (or the event id's) counter in the shared
//! store, and only the one that gets 1 delivers. The others skip it and log why.
use serde_json::json;

/// What every claim's key starts with.
pub const CLAIM_PREFIX: &str = "edgeway:claim:";

/// The header a host fires a schedule with, holding the tick's time (RFC 3339). Without
/// it, the tick is the second the request arrived in.
pub const TICK_HEADER: &str = "edgeway-schedule-tick";

/// Whether the atomic increment that returned `count` won the claim.
pub fn won(count: i64) -> bool {
    count == 1
}

/// The counter that claims tick `tick` of schedule `schedule`.
pub fn schedule_claim_key(schedule: &str, tick: &str) -> String {
    format!("{CLAIM_PREFIX}schedule:{schedule}:{tick}")
}

/// How many of a schedule's latest claims stay in the store. A replica that fires a tick
/// after its claim is gone would win that tick again, so a claim stays for this many ticks
/// (a minute of an every-second schedule), not just until the next one.
pub const KEPT_SCHEDULE_CLAIMS: usize = 60;

/// Where the winners of a schedule's ticks list their claim keys, one per line, oldest
/// first (see [`keep_schedule_claim`]).
pub fn schedule_claims_key(schedule: &str) -> String {
    format!("{CLAIM_PREFIX}schedule:{schedule}")
}

/// The list of a schedule's claims (as kept under [`schedule_claims_key`]) once the claim
/// `claimed` joins `kept`, and the claims that fall out of it, to delete from the store.
pub fn keep_schedule_claim(kept: &str, claimed: &str) -> (String, Vec<String>) {
    let mut claims: Vec<&str> = kept
        .lines()
        .filter(|key| !key.is_empty() && *key != claimed)
        .collect();
    claims.push(claimed);
    let expired = claims.len().saturating_sub(KEPT_SCHEDULE_CLAIMS);
    let expired = claims.drain(..expired).map(str::to_owned).collect();
    (claims.join("\n"), expired)
}

/// The counter that claims the event `id` received from `subscription` (`redis:<channel>`).
pub fn event_claim_key(subscription: &str, id: &str) -> String {
    format!("{CLAIM_PREFIX}event:{subscription}:{id}")
}

/// The tick a schedule request is for: the host's `edgeway-schedule-tick` header, or
/// `arrived` (the second it arrived in, RFC 3339) when the caller sent none. A header that
/// is not a plain timestamp is refused, since it becomes part of a key.
pub fn tick(header: Option<&str>, arrived: String) -> Result<String, String> {
    let Some(tick) = header else {
        return Ok(arrived);
    };
    let plain = |c: char| c.is_ascii_alphanumeric() || matches!(c, ':' | '.' | '-' | '+');
    if !tick.is_empty() && tick.len() <= 40 && tick.chars().all(plain) {
        Ok(tick.to_owned())
    } else {
        Err(format!(
            "the `{TICK_HEADER}` header must be the tick's time (RFC 3339), at most 40 characters"
        ))
    }
}

/// The log line of a tick another replica claimed (without the newline).
pub fn skipped_tick_line(time: &str, schedule: &str, tick: &str) -> String {
    json!({
        "time": time,
        "schedule": schedule,
        "tick": tick,
        "outcome": "skipped",
        "reason": "claimed by another replica",
    })
    .to_string()
}

/// The log line of an event another replica claimed (without the newline).
pub fn skipped_event_line(time: &str, subscription: &str, id: &str) -> String {
    json!({
        "time": time,
        "event_id": id,
        "subscription": subscription,
        "outcome": "skipped",
        "reason": "claimed by another replica",
    })
    .to_string()
}
