//! The fault matrix of `rotate-key` (issue 15): every IAM call a rotation sends, taken from the wire of a clean
//! run, × every fault, through a strict proxy. Whatever happens, no key whose secret was not printed stays:
//! exit 0 means the printed key exists beside the old one; any other exit leaves only the old key. A first
//! signal while each write is on the wire ends the same way. In CI each action meets each fault once (once or
//! persistent by a fixed rotation); `MATRIX=full` runs both.

mod support;

use serde_json::Value;
use std::process::Stdio;
use std::time::{Duration, Instant};
use support::account::Account;
use support::matrix::{self, common};
use support::proxy::{Fault, FaultProxy, Rule, When};
use support::*;

const LIMIT: Duration = Duration::from_secs(60);
/// Cells run on this many moto servers at once.
const WORKERS: usize = 3;
/// Past the attempt timeout (half of --operation-timeout 3): given up on, yet carried out late.
const LATE: Duration = Duration::from_secs(2);

fn rotate_args() -> Vec<&'static str> {
    let mut args = vec!["rotate-key", "--user", "PostmanUser", "--yes", "--format", "json"];
    args.extend(["--operation-timeout", "3", "--connect-timeout", "2", "--iam-lag-wait", "2"]);
    args
}

/// The Postman setup with its one key (the old one a rotation keeps), and that key's id.
fn set_up(moto: &Moto) -> String {
    moto.reset();
    let applied = moto.run(&["apply", "--setup", "postman", "--yes", "--format", "json"]);
    assert!(applied.status.success(), "apply: {}", stderr(&applied));
    json(&applied)["access_key"]["access_key_id"].as_str().unwrap().to_string()
}

fn printed(j: &Value) -> Option<String> {
    let k = j["access_key"].as_object()?;
    k["secret_access_key"].as_str().filter(|s| !s.is_empty())?;
    Some(k["access_key_id"].as_str()?.to_string())
}

/// What the cell broke: an unseen key, a printed key that does not exist, an exit that disagrees.
fn judge(code: Option<i32>, j: Option<&Value>, old: &str, after: &Account) -> Vec<String> {
    let keys: Vec<String> = after.keys().into_iter().map(|(_, k)| k).collect();
    let new = j.and_then(printed);
    let mut wrong = Vec::new();
    for k in keys.iter().filter(|k| *k != old && Some(*k) != new.as_ref()) {
        wrong.push(format!("key {k} exists but its secret was not printed"));
    }
    match (code, &new) {
        (Some(0), Some(id)) if !keys.contains(id) => wrong.push(format!("printed key {id} does not exist")),
        (Some(0), None) => wrong.push("exit 0 without a printed key".into()),
        (Some(0), Some(_)) => {}
        (_, Some(id)) if keys.contains(id) => wrong.push(format!("exit {code:?} but printed key {id} exists")),
        _ => {}
    }
    if !keys.iter().any(|k| k == old) {
        wrong.push(format!("the old key {old} is gone"));
    }
    for (user, tag) in after.stale_key_tags() {
        wrong.push(format!("user {user} keeps tag {tag} of a key that is gone"));
    }
    wrong
}

/// A fault (persistent or once), or a first signal while the action is on the wire.
type Trigger = Result<(Fault, bool), i32>;

fn run_cell(moto: &Moto, action: &str, trigger: Trigger) -> Vec<String> {
    let old = set_up(moto);
    let proxy = FaultProxy::start(moto);
    proxy.strict(true);
    let env = proxy.env(moto);
    let run = match trigger {
        Ok((fault, persistent)) => {
            let when = if persistent { When::Always } else { When::Nth(1) };
            proxy.add_rule(Rule::new(action, when, fault));
            run_bounded(&rotate_args(), &env, LIMIT)
        }
        Err(signal) => {
            proxy.add_rule(Rule::new(action, When::Nth(1), Fault::Delay(Duration::from_secs(2))));
            let mut run = spawn_with_env(&rotate_args(), &env, Stdio::piped());
            let deadline = Instant::now() + LIMIT;
            while proxy.wait_for(action, 1, Duration::from_millis(100)).is_err() && Instant::now() < deadline {
                if run.exited() {
                    break;
                }
            }
            if !run.exited() {
                run.signal(signal);
            }
            run.wait_bounded(LIMIT)
        }
    };
    let _ = proxy.wait_idle(LIMIT);
    let mut failures = Vec::new();
    let j = common("rotate-key", &run, LIMIT, &mut failures);
    let mut wrong: Vec<String> = failures.into_iter().map(|(c, d)| format!("{c}: {d}")).collect();
    if !run.timed_out {
        let after = Account::read_blocking(moto);
        wrong.extend(judge(run.output.status.code(), j.as_ref(), &old, &after));
        if let Err(signal) = trigger
            && run.output.status.code() != Some(128 + signal)
        {
            wrong.push(format!("exit {:?} after signal {signal}", run.output.status.code()));
        }
    }
    if !wrong.is_empty() {
        wrong.push(format!("proxy saw: {}", proxy.seen().join(", ")));
    }
    wrong
}

#[test]
fn no_fault_or_signal_during_a_rotation_leaves_a_key_whose_secret_was_not_printed() {
    let started = Instant::now();
    let moto = Moto::start(&[]);
    set_up(&moto);
    let proxy = FaultProxy::start(&moto);
    let clean = run_bounded(&rotate_args(), &proxy.env(&moto), LIMIT);
    assert_eq!(clean.output.status.code(), Some(0), "a clean rotation: {}", stderr(&clean.output));
    let mut actions: Vec<String> = proxy.seen().iter().map(|s| s.split('#').next().unwrap().to_string()).collect();
    actions.sort();
    actions.dedup();
    for expected in ["CreateAccessKey", "TagUser", "ListAccessKeys"] {
        assert!(actions.iter().any(|a| a == expected), "the wire {actions:?} lacks {expected}");
    }
    let mut cells: Vec<(String, Trigger)> = Vec::new();
    for (a, action) in actions.iter().enumerate() {
        for (f, fault) in support::matrix::faults(&[
            Fault::Delay(LATE),
            Fault::Code("NoSuchEntity"),
            Fault::WriteThenCode("ServiceFailure"),
        ])
        .into_iter()
        .enumerate()
        {
            let whens = if matrix::full() { vec![false, true] } else { vec![(a + f) % 2 == 1] };
            cells.extend(whens.into_iter().map(|p| (action.clone(), Ok((fault, p)))));
        }
        if ["CreateAccessKey", "TagUser"].contains(&action.as_str()) {
            cells.push((action.clone(), Err(libc::SIGINT)));
            cells.push((action.clone(), Err(libc::SIGTERM)));
        }
    }
    let label = |(action, trigger): &(String, Trigger)| match trigger {
        Ok((fault, p)) => format!("{action:<16} {:<22} {}", fault.to_string(), if *p { "persistent" } else { "once" }),
        Err(s) => format!("{action:<16} signal {s}"),
    };
    cells.retain(|c| matrix::selected(&label(c)));
    // Each worker has its own moto, so no cell's outcome depends on another's.
    let motos: Vec<Moto> = std::iter::once(moto).chain((1..WORKERS).map(|_| Moto::start(&[]))).collect();
    let results = matrix::run_cells(&motos, &cells, |moto, (action, trigger)| run_cell(moto, action, *trigger));
    let mut failing = Vec::new();
    for (cell, wrong) in cells.iter().zip(&results) {
        let label = label(cell);
        println!("{label:<52} {}", if wrong.is_empty() { "ok".to_string() } else { wrong.join("; ") });
        if !wrong.is_empty() {
            failing.push(format!("{label}\n    {}", wrong.join("\n    ")));
        }
    }
    println!("{} rotate-key cells in {:.0}s: {} failing", cells.len(), started.elapsed().as_secs_f64(), failing.len());
    assert!(failing.is_empty(), "{} of {} cells failed:\n{}", failing.len(), cells.len(), failing.join("\n"));
}
