//! The fault matrix of `retire-key` (issue 15): every IAM call of its three uses, taken from the wire of clean
//! runs (deactivating our key, deleting our inactive key, and deactivating a foreign user's key with `--adopt`),
//! × every fault (once and persistent) through a strict proxy, and a first SIGINT or SIGTERM while each write is
//! on the wire. Whatever happens: no other key or user is touched, no tag of a deleted key stays, and the exit
//! says what moto holds (0: the key is inactive, or gone with its tags, and what was adopted is tagged as ours;
//! 1: the key is as it was; 128+N after a signal). A one-time fault the SDK's retries absorb must end in 0.
//! In CI each action meets each fault once (the use, and once or persistent, by a fixed rotation); the signal
//! cells alternate their signal; `MATRIX=full` runs the cross-product.

mod support;

use std::process::Stdio;
use std::time::{Duration, Instant};
use support::account::{Account, UserView};
use support::matrix::{self, FOREIGN_TAG, last_lines};
use support::proxy::{Fault, FaultProxy, Rule, When};
use support::*;

const LIMIT: Duration = Duration::from_secs(60);
const WORKERS: usize = 3;
const USER: &str = "PostmanUser";

/// What a cell retires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Use {
    /// Our key, active: deactivate it.
    Deactivate,
    /// Our key, already inactive: delete it (and its two tags).
    Delete,
    /// A key of a user this tool did not make: deactivate it with `--adopt` (the user and key tagged as ours).
    Adopt,
}

const USES: [Use; 3] = [Use::Deactivate, Use::Delete, Use::Adopt];

/// A fault (persistent or once), or a first signal while the action's first request is on the wire.
#[derive(Debug, Clone, Copy)]
enum Trigger {
    Fault { fault: Fault, persistent: bool },
    Signal(i32),
}

#[derive(Clone)]
struct Cell {
    use_: Use,
    action: String,
    trigger: Trigger,
}

impl std::fmt::Display for Cell {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (what, when) = match self.trigger {
            Trigger::Fault { fault, persistent } => (fault.to_string(), if persistent { "persistent" } else { "once" }),
            Trigger::Signal(s) => ((if s == libc::SIGINT { "SIGINT" } else { "SIGTERM" }).to_string(), "once"),
        };
        write!(f, "{:<10} {:<18} {:<22} {:<10}", format!("{:?}", self.use_), self.action, what, when)
    }
}

fn retire_args(use_: Use, key: &str) -> Vec<String> {
    let mut args: Vec<String> = ["retire-key", "--user", USER, "--key", key, "--yes"].map(String::from).to_vec();
    args.extend(["--operation-timeout", "3", "--connect-timeout", "2", "--iam-lag-wait", "2"].map(String::from));
    match use_ {
        Use::Deactivate => {}
        Use::Delete => args.push("--delete".into()),
        Use::Adopt => args.push("--adopt".into()),
    }
    args
}

/// The account a use starts from, and the key it retires. Our user gets a second key first, so a cell also
/// shows that the other key is left alone.
fn set_up(moto: &Moto, use_: Use) -> String {
    moto.reset();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    if use_ == Use::Adopt {
        return rt.block_on(async {
            let iam = moto.iam().await;
            let tag = aws_sdk_iam::types::Tag::builder().key(FOREIGN_TAG.0).value(FOREIGN_TAG.1).build().unwrap();
            iam.create_user().user_name(USER).tags(tag).send().await.unwrap();
            iam.create_access_key().user_name(USER).send().await.unwrap();
            let key = iam.create_access_key().user_name(USER).send().await.unwrap();
            key.access_key().unwrap().access_key_id().to_string()
        });
    }
    let applied = moto.run(&["apply", "--setup", "postman", "--yes", "--format", "json"]);
    assert!(applied.status.success(), "apply: {}", stderr(&applied));
    let rotated = moto.run(&["rotate-key", "--user", USER, "--yes", "--format", "json"]);
    assert!(rotated.status.success(), "rotate-key: {}", stderr(&rotated));
    let key = json(&applied)["access_key"]["access_key_id"].as_str().unwrap().to_string();
    if use_ == Use::Delete {
        let deactivated = moto.run(&retire_args(Use::Deactivate, &key).iter().map(String::as_str).collect::<Vec<_>>());
        assert!(deactivated.status.success(), "retire-key: {}", stderr(&deactivated));
    }
    key
}

/// Whether `key` of the user is active, or `None` when it is gone; read straight from moto.
fn key_state(moto: &Moto, key: &str) -> Option<bool> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let iam = moto.iam().await;
        let keys = iam.list_access_keys().user_name(USER).send().await.ok()?;
        let k = keys.access_key_metadata().iter().find(|k| k.access_key_id() == Some(key))?;
        Some(k.status() == Some(&aws_sdk_iam::types::StatusType::Active))
    })
}

/// The account and the key's state (active or not, `None` when gone) at one moment.
type Seen<'a> = (&'a Account, Option<bool>);

/// What the exit, the account before and the account after say together. After a signal the write on the wire
/// may have finished, so only a completed exit promises the key was retired.
fn judge(cell: &Cell, code: Option<i32>, err: &str, key: &str, was: Seen, now: Seen) -> Vec<String> {
    let ((before, active_before), (after, active_now)) = (was, now);
    let ub = &before.users[USER];
    let Some(ua) = after.users.get(USER) else { return vec![format!("user {USER} was deleted")] };
    let mut wrong = untouched(ub, ua, key);
    // A tag of a key that is gone is a leftover: allowed only in a failed run whose report says it stays.
    let stale = ua.stale_key_tags();
    if !stale.is_empty() && (code == Some(0) || !err.contains("are still on the user")) {
        wrong.extend(stale.iter().map(|tag| format!("tag {tag} of a key that is gone stays on {USER}, unreported")));
    }
    let done = match cell.use_ {
        Use::Delete => active_now.is_none() && stale.is_empty(),
        Use::Deactivate | Use::Adopt => active_now == Some(false),
    };
    let has = |k: &str, v: Option<&str>| ua.tags.iter().any(|(tk, tv)| tk == k && v.is_none_or(|v| v == tv));
    let adopted = has("ManagedBy", Some("pinpoint-iam-wizard")) && has(&format!("pinpoint-iam-wizard:key:{key}"), None);
    let signalled = matches!(cell.trigger, Trigger::Signal(_));
    match code {
        Some(0) if !done => wrong.push(format!("exit 0, but key {key} is {active_now:?} (active?)")),
        Some(0) if cell.use_ == Use::Adopt && !adopted => {
            wrong.push("exit 0, but the user or the key is not tagged as ours".into())
        }
        Some(0) => {}
        _ if done && active_before != active_now && !signalled => wrong.push(format!(
            "exit {code:?} (failed), but key {key} was retired: it is now {}",
            if active_now.is_none() { "gone" } else { "inactive" }
        )),
        _ => {}
    }
    if cell.use_ == Use::Adopt && code != Some(0) && !done && ua.own_tags() != ub.own_tags() {
        wrong.push(format!(
            "exit {code:?} and nothing retired, but the user is tagged as ours all the same: {:?} → {:?}",
            ub.own_tags(),
            ua.own_tags()
        ));
    }
    wrong
}

/// What retiring one key must never change: the other keys, the user's policies, a foreign owner's tag.
fn untouched(ub: &UserView, ua: &UserView, key: &str) -> Vec<String> {
    let mut wrong = Vec::new();
    let others = |u: &UserView| u.keys.iter().filter(|k| *k != key).cloned().collect::<Vec<_>>();
    if others(ub) != others(ua) {
        wrong.push(format!("the other keys changed: {:?} → {:?}", others(ub), others(ua)));
    }
    if (&ub.attached, &ub.inline) != (&ua.attached, &ua.inline) {
        wrong.push("the user's policies changed".into());
    }
    let foreign = |u: &UserView| u.tags.iter().any(|(k, v)| (k.as_str(), v.as_str()) == FOREIGN_TAG);
    if foreign(ub) && !foreign(ua) {
        wrong.push("the foreign owner's tag is gone".into());
    }
    wrong
}

struct Worker {
    moto: Moto,
}

impl Worker {
    /// Run one cell: its failures (empty when it holds) and how it ended.
    fn run(&self, cell: &Cell) -> (Vec<String>, String) {
        let key = set_up(&self.moto, cell.use_);
        let before = (Account::read_blocking(&self.moto), key_state(&self.moto, &key));
        let proxy = FaultProxy::start(&self.moto);
        proxy.strict(true);
        let env = proxy.env(&self.moto);
        let args = retire_args(cell.use_, &key);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let run = match cell.trigger {
            Trigger::Fault { fault, persistent } => {
                let when = if persistent { When::Always } else { When::Nth(1) };
                proxy.add_rule(Rule::new(&cell.action, when, fault));
                run_bounded(&args, &env, LIMIT)
            }
            Trigger::Signal(signal) => signalled(&proxy, &env, &args, &cell.action, signal),
        };
        let _ = proxy.wait_idle(LIMIT);
        let code = run.output.status.code();
        let mut wrong = ended(cell, &run);
        if !run.timed_out {
            let after = (Account::read_blocking(&self.moto), key_state(&self.moto, &key));
            let err = stderr(&run.output);
            wrong.extend(judge(cell, code, &err, &key, (&before.0, before.1), (&after.0, after.1)));
        }
        if !wrong.is_empty() {
            wrong.push(format!("stderr: {}", last_lines(&stderr(&run.output))));
            wrong.push(format!("proxy saw: {}", proxy.seen().join(", ")));
        }
        (wrong, format!("exit {}", code.map_or("-".into(), |c| c.to_string())))
    }
}

/// How the run ended: by itself, with no panic or Debug dump, exit 0 when a one-time fault is absorbed, and
/// 128+N after a signal.
fn ended(cell: &Cell, run: &Bounded) -> Vec<String> {
    let mut wrong = Vec::new();
    let err = stderr(&run.output);
    let code = run.output.status.code();
    if run.timed_out {
        wrong.push(format!("still running after {LIMIT:?}, killed"));
    }
    if let Some(dump) = debug_dump(&err) {
        wrong.push(format!("stderr shows Rust Debug output: …{dump}…"));
    }
    match cell.trigger {
        Trigger::Signal(signal) if code != Some(128 + signal) => wrong.push(format!(
            "exit {code:?} (signal {:?}) after signal {signal}, expected {}",
            signal_of(&run.output),
            128 + signal
        )),
        Trigger::Fault { fault, persistent: false } if code != Some(0) && absorbed(fault) => {
            wrong.push(format!("exit {code:?}, but the SDK retries a one-time {fault}"))
        }
        Trigger::Fault { .. } if code == Some(101) || code.is_none() => {
            wrong.push(format!("exit {code:?}: a panic or a signal"))
        }
        _ => {}
    }
    if code.is_some_and(|c| c != 0) && !err.contains("error") {
        wrong.push(format!("exit {code:?} without an error message"));
    }
    wrong
}

fn signal_of(output: &std::process::Output) -> Option<i32> {
    use std::os::unix::process::ExitStatusExt;
    output.status.signal()
}

/// A one-time fault the SDK retries (or a slow answer), and a lost answer to a write that is harmless twice.
fn absorbed(fault: Fault) -> bool {
    matches!(
        fault,
        Fault::Status500 | Fault::Throttle | Fault::Reset | Fault::Hang | Fault::Delay(_) | Fault::DropAnswer
    )
}

/// Hold the action's first request, send the signal once it is on the wire, and wait for the end.
fn signalled(proxy: &FaultProxy, env: &[(String, String)], args: &[&str], action: &str, signal: i32) -> Bounded {
    proxy.add_rule(Rule::new(action, When::Nth(1), Fault::Delay(Duration::from_secs(2))));
    let mut run = spawn_with_env(args, env, Stdio::piped());
    let deadline = Instant::now() + LIMIT;
    while proxy.wait_for(action, 1, Duration::from_millis(100)).is_err() {
        if run.exited() || Instant::now() >= deadline {
            return run.wait_bounded(Duration::from_secs(5));
        }
    }
    run.signal(signal);
    run.wait_bounded(LIMIT)
}

fn is_write(action: &str) -> bool {
    !["Get", "List"].iter().any(|p| action.starts_with(p))
}

/// Each use's actions from the wire of a clean run, each once.
fn wires(moto: &Moto) -> Vec<(Use, Vec<String>)> {
    USES.iter()
        .map(|&use_| {
            let key = set_up(moto, use_);
            let proxy = FaultProxy::start(moto);
            proxy.strict(true);
            let args = retire_args(use_, &key);
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            let clean = run_bounded(&args, &proxy.env(moto), LIMIT);
            assert_eq!(clean.output.status.code(), Some(0), "a clean retire-key ({use_:?}): {}", stderr(&clean.output));
            proxy.wait_idle(LIMIT).unwrap();
            let mut actions: Vec<String> = Vec::new();
            for s in proxy.seen() {
                let a = s.split('#').next().unwrap_or_default().to_string();
                if !actions.contains(&a) {
                    actions.push(a);
                }
            }
            (use_, actions)
        })
        .collect()
}

/// Every action × every fault (the use that sends it, and once or persistent, by a fixed rotation; all of them
/// with `MATRIX=full`), and a signal while each write of each use is on the wire.
fn cells(wires: &[(Use, Vec<String>)]) -> Vec<Cell> {
    let mut homes: std::collections::BTreeMap<String, Vec<Use>> = Default::default();
    for (use_, actions) in wires {
        for a in actions {
            homes.entry(a.clone()).or_default().push(*use_);
        }
    }
    let mut cells = Vec::new();
    let faults = matrix::faults(&[Fault::Code("NoSuchEntity"), Fault::WriteThenCode("ServiceFailure")]);
    for (a, (action, uses)) in homes.iter().enumerate() {
        for (f, fault) in faults.iter().enumerate() {
            let k = a + f;
            let picked: Vec<(Use, bool)> = if matrix::full() {
                uses.iter().flat_map(|u| [(*u, false), (*u, true)]).collect()
            } else {
                vec![(uses[k % uses.len()], k % 2 == 1)]
            };
            for (use_, persistent) in picked {
                cells.push(Cell {
                    use_,
                    action: action.clone(),
                    trigger: Trigger::Fault { fault: *fault, persistent },
                });
            }
        }
    }
    for (use_, actions) in wires {
        for (a, action) in actions.iter().filter(|a| is_write(a)).enumerate() {
            let both = [libc::SIGINT, libc::SIGTERM];
            let signals = if matrix::full() { both.to_vec() } else { vec![both[a % 2]] };
            for s in signals {
                cells.push(Cell { use_: *use_, action: action.clone(), trigger: Trigger::Signal(s) });
            }
        }
    }
    cells
}

#[test]
fn every_fault_and_signal_on_every_call_of_retire_key_leaves_the_account_as_the_exit_says() {
    let started = Instant::now();
    let probe = Worker { moto: Moto::start(&[]) };
    let wires = wires(&probe.moto);
    for (use_, actions) in &wires {
        println!("{use_:?}: {actions:?}");
    }
    for expected in ["UpdateAccessKey", "DeleteAccessKey", "UntagUser", "TagUser", "ListAccessKeys"] {
        assert!(wires.iter().any(|(_, w)| w.iter().any(|a| a == expected)), "no clean retire-key sent {expected}");
    }
    let mut cells = cells(&wires);
    cells.retain(|c| matrix::selected(&c.to_string()));
    let workers: Vec<Worker> =
        std::iter::once(probe).chain((1..WORKERS).map(|_| Worker { moto: Moto::start(&[]) })).collect();
    let lines = matrix::run_cells(&workers, &cells, |worker, cell| {
        let t = Instant::now();
        let (wrong, outcome) = worker.run(cell);
        let verdict = wrong.first().cloned().unwrap_or_else(|| "ok".into());
        matrix::Line { cell: cell.to_string(), outcome, elapsed: t.elapsed(), verdict, details: wrong }
    });
    let header = format!("{:<10} {:<18} {:<22} {:<10}", "USE", "ACTION", "FAULT", "WHEN");
    let failing = matrix::print_table("retire-key", &header, 8, &lines, started);
    assert!(failing.is_empty(), "{} of {} cells failed:\n{}", failing.len(), cells.len(), failing.join("\n"));
}
