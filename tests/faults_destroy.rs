//! The fault matrix of `destroy` (issue 15): every IAM call a destroy of a full account sends (both setups as
//! apply makes them, our user with its key; or with foreign resources adopted, a policy holding the foreign
//! version beside ours), taken from the wire of a clean run, × every fault (once and persistent) through a
//! strict proxy (deletes refused as IAM would), and a first and a second SIGINT or SIGTERM while each write is
//! on the wire. Each run must end by
//! itself, say in its JSON only what moto holds afterwards (`deleted` only when gone), exit 0 exactly when
//! nothing of ours is left, complete despite a fault the SDK's retries or IAM's lag policy absorb, and a clean
//! rerun must finish the job. No tag of a deleted key may stay on a user that remains. Every failing cell is
//! collected, so one run shows them all.
//! In CI a deterministic sample runs (every action × every fault, the setup among those whose wire has the
//! action, and once or persistent, by a fixed rotation; the signal cells rotate their signal and setup);
//! `MATRIX=full` runs the cross-product.

mod support;

use serde_json::Value;
use std::process::Stdio;
use std::time::{Duration, Instant};
use support::account::Account;
use support::matrix::{self, Start, common, destroy_lies, last_lines};
use support::proxy::{Fault, FaultProxy, Rule, When};
use support::*;

const BUCKET: &str = "pinpoint-imports";
const PROJECT: &str = "0123456789abcdef0123456789abcdef";
const LIMIT: Duration = Duration::from_secs(60);
const WORKERS: usize = 4;
/// The deletes a destroy of both guides' setups must send; the wire must show at least these.
const EXPECTED: [&str; 8] = [
    "DeleteAccessKey",
    "DetachUserPolicy",
    "DetachRolePolicy",
    "DeleteUser",
    "DeleteRole",
    "DeletePolicy",
    "DeletePolicyVersion",
    "GetUser",
];

fn destroy_args() -> Vec<&'static str> {
    let mut args = vec!["destroy", "--setup", "all", "--yes", "--format", "json"];
    args.extend(["--operation-timeout", "3", "--connect-timeout", "2", "--iam-lag-wait", "2"]);
    args
}

fn is_write(action: &str) -> bool {
    !["Get", "List"].iter().any(|p| action.starts_with(p))
}

#[derive(Clone)]
enum Trigger {
    Fault {
        fault: Fault,
        persistent: bool,
    },
    /// Hold the action's first request, then send the signal once, or twice (the second after the first was
    /// acknowledged).
    Signal {
        signal: i32,
        twice: bool,
    },
}

/// What the account holds before destroy: both setups applied to an empty account ([`Start::Empty`]), or
/// with the foreign resources of [`Start::Adopted`] taken over by `apply --adopt`.
const SETUPS: [Start; 2] = [Start::Empty, Start::Adopted];

#[derive(Clone)]
struct Cell {
    setup: Start,
    action: String,
    trigger: Trigger,
}

impl std::fmt::Display for Cell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (what, when) = match &self.trigger {
            Trigger::Fault { fault, persistent } => {
                (fault.to_string(), if *persistent { "persistent" } else { "once" })
            }
            Trigger::Signal { signal, twice } => {
                let name = if *signal == libc::SIGINT { "SIGINT" } else { "SIGTERM" };
                (name.to_string(), if *twice { "twice" } else { "once" })
            }
        };
        write!(f, "{:<7} {:<20} {:<22} {:<10}", self.setup.to_string(), self.action, what, when)
    }
}

/// Why a cell's run must complete rather than only report truly, if it must.
fn must_complete(cell: &Cell) -> Option<&'static str> {
    let Trigger::Fault { fault, persistent: false } = &cell.trigger else { return None };
    match fault {
        Fault::Status500 | Fault::Throttle | Fault::Reset | Fault::Hang | Fault::DropAnswer => {
            Some("the SDK retries a one-time transient fault")
        }
        Fault::Delay(_) => Some("a slow answer within the operation timeout is not a failure"),
        Fault::WriteThenCode(_) => Some("the write happened; the SDK's retry finds it gone"),
        Fault::Code("DeleteConflict")
            if ["DeleteUser", "DeleteRole", "DeletePolicy"].contains(&cell.action.as_str()) =>
        {
            Some("a DeleteConflict right after a detach is IAM's lag, waited out")
        }
        _ => None,
    }
}

/// Cells that cannot say anything: a read that lies (NoSuchEntity for what exists) cannot be told from the truth.
fn meaningful(action: &str, trigger: &Trigger) -> bool {
    !matches!(trigger, Trigger::Fault { fault: Fault::Code("NoSuchEntity"), .. }) || is_write(action)
}

struct Verdict {
    outcome: String,
    failures: Vec<(&'static str, String)>,
    elapsed: Duration,
}

struct Worker {
    moto: Moto,
}

impl Worker {
    fn set_up(&self, setup: Start) {
        setup.prepare(&self.moto, BUCKET, PROJECT);
        let args =
            ["apply", "--setup", "all", "--bucket", BUCKET, "--project-id", PROJECT, "--yes", "--format", "json"];
        let applied = self.moto.run(&[&args[..], setup.apply_flags()].concat());
        assert!(applied.status.success(), "apply: {}", stderr(&applied));
    }

    fn run(&self, cell: &Cell) -> Verdict {
        let started = Instant::now();
        self.set_up(cell.setup);
        let proxy = FaultProxy::start(&self.moto);
        proxy.strict(true);
        let env = proxy.env(&self.moto);
        let mut failures = Vec::new();
        let first = match &cell.trigger {
            Trigger::Fault { fault, persistent } => {
                let when = if *persistent { When::Always } else { When::Nth(1) };
                proxy.add_rule(Rule::new(&cell.action, when, *fault));
                run_bounded(&destroy_args(), &env, LIMIT)
            }
            Trigger::Signal { signal, twice } => {
                proxy.add_rule(Rule::new(&cell.action, When::Nth(1), Fault::Delay(Duration::from_secs(2))));
                signalled(&proxy, &env, &cell.action, *signal, *twice)
            }
        };
        if let Err(e) = proxy.wait_idle(LIMIT) {
            failures.push(("hung", e));
        }
        let after = Account::read_blocking(&self.moto);
        let code = first.output.status.code();
        let mut outcome = format!("exit {}", code.map_or("-".into(), |c| c.to_string()));
        let j = common("faulted destroy", &first, LIMIT, &mut failures);
        if let (Some(j), false) = (&j, first.timed_out) {
            judge(cell, code, j, &after, &mut outcome, &mut failures);
        }
        proxy.clear_rules();
        let second = run_bounded(&destroy_args(), &env, LIMIT);
        let _ = proxy.wait_idle(LIMIT);
        if second.output.status.code() != Some(0) || !Account::read_blocking(&self.moto).is_empty() {
            let err = last_lines(&stderr(&second.output));
            failures.push(("no-converge", format!("clean rerun: exit {:?}: {err}", second.output.status.code())));
        }
        if !failures.is_empty() {
            failures.push(("", format!("proxy saw: {}", proxy.seen().join(", "))));
        }
        Verdict { outcome, failures, elapsed: started.elapsed() }
    }
}

/// Hold the action, signal once (or twice: the second after the tool said it was interrupted).
fn signalled(proxy: &FaultProxy, env: &[(String, String)], action: &str, signal: i32, twice: bool) -> Bounded {
    let mut run = spawn_with_env(&destroy_args(), env, Stdio::piped());
    let lines = run.stderr_lines();
    let deadline = Instant::now() + LIMIT;
    while proxy.wait_for(action, 1, Duration::from_millis(100)).is_err() {
        if run.exited() || Instant::now() >= deadline {
            return run.wait_bounded(Duration::from_secs(5));
        }
    }
    run.signal(signal);
    let mut said = Vec::new();
    if twice {
        let acknowledged = lines.iter().inspect(|l| said.push(l.clone())).any(|l| l.contains("Interrupted"));
        if acknowledged && !run.exited() {
            run.signal(signal);
        }
    }
    let mut done = run.wait_bounded(LIMIT);
    said.extend(lines.iter());
    done.output.stderr = said.join("\n").into_bytes();
    done
}

/// What the faulted run's exit, JSON and the account say together.
fn judge(
    cell: &Cell,
    code: Option<i32>,
    j: &Value,
    after: &Account,
    outcome: &mut String,
    failures: &mut Vec<(&'static str, String)>,
) {
    let twice = matches!(cell.trigger, Trigger::Signal { twice: true, .. });
    // A second signal stops at once, before the report: its JSON is the error alone.
    if !twice {
        for lie in destroy_lies(j, after) {
            failures.push(("report", lie));
        }
    }
    // `deleted` for a user's keys means their tags are gone too; a key step that says it failed may leave them.
    let keys_deleted = |user: &str| {
        let rows = j["resources"].as_array().into_iter().flatten();
        rows.filter(|r| r["kind"] == "access_key" && r["name"] == user).any(|r| r["status"] == "deleted")
    };
    for (user, tag) in after.stale_key_tags() {
        if keys_deleted(&user) || code == Some(0) {
            failures.push(("stale-tag", format!("user {user} keeps tag {tag} of a key that is gone")));
        }
    }
    if let Trigger::Signal { signal, .. } = cell.trigger
        && code != Some(128 + signal)
    {
        failures.push(("exit", format!("exit {code:?} after the signal, expected {}", 128 + signal)));
    }
    match code {
        Some(0) => {
            *outcome = "complete".into();
            if !after.is_empty() {
                failures.push(("incomplete", format!("exit 0 but moto holds {}", after.summary())));
            }
            if !j["error"].is_null() {
                failures.push(("report", format!("exit 0 with error {}", j["error"])));
            }
        }
        _ => {
            *outcome = if after.is_empty() { "gone, exit≠0" } else { "partial" }.into();
            if !j["error"].is_string() {
                failures.push(("report", format!("exit {code:?} but JSON error is {}", j["error"])));
            }
            if let Some(why) = must_complete(cell) {
                failures.push(("not-complete", format!("exit {code:?}, but {why}; error: {}", j["error"])));
            }
        }
    }
}

/// Every action × every fault, the setup among those whose wire has the action and once or persistent by a
/// fixed rotation (all of them with `MATRIX=full`); and a first and a second signal while each write is on the
/// wire, the signal and the setup by rotation.
fn cells(wires: &[(Start, Vec<String>)]) -> Vec<Cell> {
    let mut homes: std::collections::BTreeMap<String, Vec<Start>> = Default::default();
    for (setup, actions) in wires {
        for a in actions {
            homes.entry(a.clone()).or_default().push(*setup);
        }
    }
    let faults = support::matrix::faults(&[
        Fault::Code("NoSuchEntity"),
        Fault::Code("DeleteConflict"),
        Fault::WriteThenCode("ServiceFailure"),
    ]);
    let mut cells = Vec::new();
    for (a, (action, setups)) in homes.iter().enumerate() {
        for (f, fault) in faults.iter().enumerate() {
            let k = a + f;
            let picked: Vec<(Start, bool)> = if matrix::full() {
                setups.iter().flat_map(|s| [(*s, false), (*s, true)]).collect()
            } else {
                vec![(setups[k % setups.len()], k % 2 == 1)]
            };
            for (setup, persistent) in picked {
                let trigger = Trigger::Fault { fault: *fault, persistent };
                if meaningful(action, &trigger) {
                    cells.push(Cell { setup, action: action.clone(), trigger });
                }
            }
        }
        if !is_write(action) {
            continue;
        }
        let signals: Vec<(Start, i32, bool)> = if matrix::full() {
            let both = [libc::SIGINT, libc::SIGTERM];
            setups.iter().flat_map(|s| both.into_iter().flat_map(move |g| [(*s, g, false), (*s, g, true)])).collect()
        } else {
            let s = if a % 2 == 0 { libc::SIGINT } else { libc::SIGTERM };
            vec![(setups[a % setups.len()], s, false), (setups[(a + 1) % setups.len()], s, true)]
        };
        for (setup, signal, twice) in signals {
            cells.push(Cell { setup, action: action.clone(), trigger: Trigger::Signal { signal, twice } });
        }
    }
    cells
}

/// The actions a clean destroy of a setup sends, each once, sorted (the wire's order varies with
/// concurrency, and the sample must not).
fn wire(worker: &Worker, setup: Start) -> Vec<String> {
    worker.set_up(setup);
    let proxy = FaultProxy::start(&worker.moto);
    proxy.strict(true);
    let clean = run_bounded(&destroy_args(), &proxy.env(&worker.moto), LIMIT);
    assert_eq!(clean.output.status.code(), Some(0), "a clean destroy ({setup}): {}", stderr(&clean.output));
    proxy.wait_idle(LIMIT).unwrap();
    assert!(Account::read_blocking(&worker.moto).is_empty(), "a clean destroy ({setup}) left something");
    let mut actions: Vec<String> =
        proxy.seen().iter().map(|s| s.split('#').next().unwrap_or_default().into()).collect();
    actions.sort();
    actions.dedup();
    actions
}

#[test]
fn every_fault_and_signal_on_every_call_of_destroy_ends_truly_and_a_rerun_finishes() {
    let started = Instant::now();
    let probe = Worker { moto: Moto::start(&[]) };
    let wires: Vec<(Start, Vec<String>)> = SETUPS.iter().map(|s| (*s, wire(&probe, *s))).collect();
    for expected in EXPECTED {
        assert!(wires.iter().any(|(_, w)| w.iter().any(|a| a == expected)), "no clean destroy sent {expected}");
    }
    for (setup, actions) in &wires {
        println!("{setup}: {actions:?}");
    }
    let mut cells = cells(&wires);
    cells.retain(|c| matrix::selected(&c.to_string()));
    let workers: Vec<Worker> =
        std::iter::once(probe).chain((1..WORKERS).map(|_| Worker { moto: Moto::start(&[]) })).collect();
    let results = matrix::run_cells(&workers, &cells, |worker, cell| worker.run(cell));
    let lines: Vec<matrix::Line> = cells.iter().zip(results).map(|(cell, v)| line(cell, v)).collect();
    let header = format!("{:<7} {:<20} {:<22} {:<10}", "SETUP", "ACTION", "FAULT", "WHEN");
    let failing = matrix::print_table("destroy", &header, 14, &lines, started);
    assert!(failing.is_empty(), "{} of {} cells failed:\n{}", failing.len(), cells.len(), failing.join("\n"));
}

/// A cell's line in the table: the classes of what it broke, each detail under it.
fn line(cell: &Cell, v: Verdict) -> matrix::Line {
    let mut classes: Vec<&str> = v.failures.iter().map(|(c, _)| *c).filter(|c| !c.is_empty()).collect();
    classes.sort();
    classes.dedup();
    let verdict = if classes.is_empty() { "ok".to_string() } else { classes.join(",") };
    let details = v.failures.into_iter().map(|(_, d)| d).collect();
    matrix::Line { cell: cell.to_string(), outcome: v.outcome, elapsed: v.elapsed, verdict, details }
}
