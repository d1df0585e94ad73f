//! What every fault-matrix cell checks, whichever command it runs: the run ended by itself, did not panic,
//! printed no Debug dump and printed JSON; and what its report says of each resource is what moto holds.

use super::account::Account;
use super::proxy::Fault;
use super::{Bounded, debug_dump, stderr};
use serde_json::Value;
use std::time::Duration;

/// Which cells of a matrix run: in CI a deterministic sample (every action with every fault once, each cell's
/// other parameters by a fixed rotation), by hand (`MATRIX=full`) the whole cross-product.
pub fn full() -> bool {
    std::env::var("MATRIX").is_ok_and(|m| m == "full")
}

/// Shorter than the matrices' operation timeout (3 s): a slow answer is not a failure.
pub const SLOW: Duration = Duration::from_secs(1);

/// The faults every matrix injects, then its own (`extra`): IAM's errors, a lost connection or answer, a hang
/// and a slow answer.
pub fn faults(extra: &[Fault]) -> Vec<Fault> {
    let base = [
        Fault::Status500,
        Fault::Throttle,
        Fault::AccessDenied,
        Fault::Reset,
        Fault::DropAnswer,
        Fault::Hang,
        Fault::Delay(SLOW),
    ];
    base.into_iter().chain(extra.iter().copied()).collect()
}

/// Checks every run must pass; returns its JSON.
pub fn common(
    label: &str,
    run: &Bounded,
    limit: Duration,
    failures: &mut Vec<(&'static str, String)>,
) -> Option<Value> {
    let err = stderr(&run.output);
    if run.timed_out {
        failures.push(("hung", format!("{label}: still running after {limit:?}, killed")));
        return None;
    }
    match run.output.status.code() {
        Some(101) => failures.push(("panic", format!("{label}: panicked: {}", last_lines(&err)))),
        None => failures.push(("signal", format!("{label}: killed by a signal: {}", last_lines(&err)))),
        _ => {}
    }
    if let Some(dump) = debug_dump(&err) {
        failures.push(("debug-dump", format!("{label}: stderr shows Rust Debug output: …{dump}…")));
    }
    match serde_json::from_slice::<Value>(&run.output.stdout) {
        Ok(v) => {
            if let Some(dump) = v["error"].as_str().and_then(debug_dump) {
                failures.push(("debug-dump", format!("{label}: JSON error shows Rust Debug output: …{dump}…")));
            }
            Some(v)
        }
        Err(e) => {
            failures.push(("output", format!("{label}: stdout is not JSON ({e}); stderr: {}", last_lines(&err))));
            None
        }
    }
}

pub fn last_lines(text: &str) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    lines[lines.len().saturating_sub(3)..].join(" / ")
}

/// Whether the account holds the resource a report row names (`kind` and `name` as the JSON gives them);
/// `None` for a kind the account does not show.
pub fn holds(account: &Account, kind: &str, name: &str) -> Option<bool> {
    let user = |n: &str| account.users.get(n);
    Some(match kind {
        "policy" => account.policies.contains_key(name),
        "role" => account.roles.contains_key(name),
        "user" => user(name).is_some(),
        "access_key" => user(name).is_some_and(|u| !u.keys.is_empty()),
        "attachment" => {
            let (policy, holder) = name.split_once(" -> ")?;
            let attached = |list: &Vec<String>| list.iter().any(|p| p == policy);
            account.roles.get(holder).is_some_and(|r| attached(&r.attached))
                || user(holder).is_some_and(|u| attached(&u.attached))
        }
        _ => return None,
    })
}

/// The rows of a destroy report that moto contradicts: `deleted` or `absent` for what exists, `failed`,
/// `skipped` or `left` (still there) for what does not. `unknown` is true only when the report says the account
/// could not be read afterwards.
pub fn destroy_lies(j: &Value, account: &Account) -> Vec<String> {
    let mut found = Vec::new();
    for r in j["resources"].as_array().into_iter().flatten() {
        let (kind, name, status) =
            (r["kind"].as_str().unwrap_or(""), r["name"].as_str().unwrap_or(""), r["status"].as_str().unwrap_or(""));
        let Some(exists) = holds(account, kind, name) else { continue };
        let claims_gone = ["deleted", "absent"].contains(&status);
        let claims_there = ["failed", "skipped", "left", "kept"].contains(&status);
        let unread = status == "unknown" && !j["error"].as_str().is_some_and(|e| e.contains("could not be read"));
        if (claims_gone && exists) || (claims_there && !exists) || unread {
            found.push(format!("reports {kind} {name} {status}, but it {}", if exists { "exists" } else { "is gone" }));
        }
    }
    found
}
