//! The fault matrix of `apply --setup all` (issues 7 and 15). Its actions come from the wire: a clean run
//! through the proxy from each start (an empty account, a drifted one, one whose foreign resources are adopted,
//! one under an organisation's guardrails: a path and a permissions boundary behind an SCP, issue 19) records what apply sends (creates, updates, adopt tags, attachments, the key, and every read, the last round
//! of verification included), and a run whose last write fails persistently records what its rollback sends
//! (deletes, detaches, untags, restores, the key clean-up's listing). Every such action × every fault, once or
//! persistent, with rollback or `--no-rollback`, through a strict proxy (deletes refused as IAM would); a fault
//! on a rollback call comes on top of the persistent late failure (armed by it).
//!
//! Each run must end by itself and say the truth: every report row is what moto holds (`rolled_back`,
//! `failed`, `skipped` and `unchanged`: as before the run; `created`, `updated`: as the seeds want; `left`:
//! changed and still there; `unknown` only when the account could not be read), and nothing changed goes
//! unreported. Exit 0 means the seeds' state with one key whose secret was printed; a rolled-back run that
//! reports nothing left leaves the account exactly as it was (tags included: an adopt is undone, a foreign
//! resource is never deleted); no key whose secret was not printed, and no tag of a key that is gone, ever
//! stays. A one-time transient fault (which the SDK's retries or the 3 tries absorb) must end complete, or on
//! a rollback call, rolled back entirely. Then, with the faults gone, apply must converge.
//! In CI every action meets every fault once; the start, the phase, persistence and rollback come by a fixed
//! rotation. `MATRIX=full` runs the whole cross-product.

mod support;

use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, Instant};
use support::account::Account;
use support::matrix::{STARTS, Start, last_lines};
use support::proxy::{Fault, FaultProxy, Rule, When};
use support::*;

const BUCKET: &str = "pinpoint-imports";
const PROJECT: &str = "0123456789abcdef0123456789abcdef";
/// A liveness bound per run, far above what any cell needs with the timeouts passed below.
const LIMIT: Duration = Duration::from_secs(90);
/// Cells run on this many moto servers at once; each cell has its own server, proxy and account, so the
/// outcome of one cannot depend on another.
const WORKERS: usize = 4;
/// Writes the wire must show, so the matrix cannot shrink unnoticed: the creates, the updates and adopt tags
/// of the drifted and adopted starts, and the undos of a rollback.
const EXPECTED_WRITES: [&str; 16] = [
    "DeleteRolePermissionsBoundary",
    "UpdateUser",
    "PutUserPermissionsBoundary",
    "DeleteUserPermissionsBoundary",
    "CreatePolicy",
    "CreateRole",
    "CreateUser",
    "AttachRolePolicy",
    "AttachUserPolicy",
    "CreateAccessKey",
    "TagUser",
    "CreatePolicyVersion",
    "UpdateAssumeRolePolicy",
    "TagPolicy",
    "TagRole",
    "GetPolicy",
];
const EXPECTED_UNDOS: [&str; 16] = [
    "PutRolePermissionsBoundary",
    "UpdateUser",
    "DeleteUserPermissionsBoundary",
    "PutUserPermissionsBoundary",
    "DeleteAccessKey",
    "ListAccessKeys",
    "UntagUser",
    "DetachRolePolicy",
    "DetachUserPolicy",
    "DeleteRole",
    "DeleteUser",
    "DeletePolicy",
    "SetDefaultPolicyVersion",
    "DeletePolicyVersion",
    "UntagPolicy",
    "UntagRole",
];

fn apply_args(start: Start, no_rollback: bool) -> Vec<&'static str> {
    let mut args = vec!["apply", "--setup", "all", "--bucket", BUCKET, "--project-id", PROJECT, "--yes"];
    args.extend(["--format", "json", "--operation-timeout", "3", "--connect-timeout", "2", "--iam-lag-wait", "5"]);
    args.extend(start.apply_flags());
    if no_rollback {
        args.push("--no-rollback");
    }
    args
}

/// Which part of a run a cell faults.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// The run itself (and, after a persistent fault, its rollback).
    Run,
    /// The rollback: the run's last write fails persistently, and the fault hits a call made after that.
    Rollback,
}

/// What a start's clean runs send: each action once, in order of first arrival; the late write a
/// rollback-phase cell refuses (from this arrival on); and what every recorded run sent after that failure.
struct Wire {
    run: Vec<String>,
    failure: (String, usize),
    rollback: Vec<String>,
}

#[derive(Clone)]
struct Cell {
    start: Start,
    phase: Phase,
    action: String,
    fault: Fault,
    persistent: bool,
    rollback: bool,
}

impl fmt::Display for Cell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:<7} {:<8} {:<23} {:<22} {:<10} {:<11}",
            self.start.to_string(),
            if self.phase == Phase::Run { "run" } else { "rollback" },
            self.action,
            self.fault.to_string(),
            if self.persistent { "persistent" } else { "once" },
            if self.rollback { "rollback" } else { "no-rollback" }
        )
    }
}

/// A one-time fault the SDK's retries absorb (or a slow answer): no failure at all.
fn absorbed(fault: Fault) -> bool {
    matches!(fault, Fault::Status500 | Fault::Throttle | Fault::Reset | Fault::Hang | Fault::Delay(_))
}

/// Why a cell's run must complete (or, for a rollback-phase cell, roll back entirely), if it must.
fn must_complete(cell: &Cell) -> Option<&'static str> {
    if cell.persistent {
        return None;
    }
    match (cell.fault, cell.action.as_str()) {
        (f, _) if absorbed(f) => Some("the SDK retries a one-time server error, throttle, reset or hang"),
        // A read, a create recognised by its run tag, an idempotent write or undo: asking again is harmless.
        (Fault::DropAnswer, "CreatePolicyVersion") => None,
        (Fault::DropAnswer, "CreateAccessKey") => {
            Some("a lost key is found by listing the keys, deleted, and made again (3 tries)")
        }
        (Fault::DropAnswer, _) => Some(
            "a lost answer is retried: a read, a create claimed by its run tag, or a write \
             that is harmless twice",
        ),
        _ => None,
    }
}

/// What one cell showed: how the faulted run ended, and every broken promise (class, detail).
struct Verdict {
    outcome: String,
    failures: Vec<(&'static str, String)>,
    elapsed: Duration,
}

type Failures = Vec<(&'static str, String)>;

/// CreateAccessKey sent again after an answer that may have hidden a new key, with no ListAccessKeys in
/// between: a blind retry (issue 7 item 2). `seen` is the proxy's log, e.g. `CreateAccessKey#1 DropAnswer`.
fn blind_retries(seen: &[String]) -> Vec<String> {
    let mut ambiguous: Option<&str> = None;
    let mut found = Vec::new();
    for entry in seen {
        let (call, outcome) = entry.split_once(' ').unwrap_or((entry, ""));
        let action = call.split('#').next().unwrap_or(call);
        match action {
            "ListAccessKeys" => ambiguous = None,
            "CreateAccessKey" => {
                if let Some(before) = ambiguous {
                    found.push(format!("{call} sent after {before} without listing the keys first"));
                }
                // Only a definite refusal proves no key was made.
                let definite = ["200", "Throttle", "AccessDenied"].contains(&outcome) || outcome.starts_with("4");
                ambiguous = (!definite).then_some(entry.as_str());
            }
            _ => {}
        }
    }
    found
}

/// Whether a resource is as `apply` wants it (the seeds' document, trust, attachment; our tag; the start's
/// path and boundary; a key marked as ours).
fn as_desired(after: &Account, seeds: &Account, kind: &str, name: &str) -> bool {
    match kind {
        "policy" => after.policies.get(name).is_some_and(|p| {
            p.ours && seeds.policies.get(name).is_some_and(|s| (&p.document, &p.path) == (&s.document, &s.path))
        }),
        "role" => after.roles.get(name).is_some_and(|r| {
            r.ours
                && seeds
                    .roles
                    .get(name)
                    .is_some_and(|s| (&r.trust, &r.boundary, &r.path) == (&s.trust, &s.boundary, &s.path))
        }),
        "user" => after.users.get(name).is_some_and(|u| {
            u.ours && seeds.users.get(name).is_some_and(|s| (&u.boundary, &u.path) == (&s.boundary, &s.path))
        }),
        "attachment" => after.facet(kind, name).is_some(),
        "access_key" => after.users.get(name).is_some_and(|u| !u.keys.is_empty() && u.stale_key_tags().is_empty()),
        _ => false,
    }
}

/// The report rows moto contradicts, and the changes no row owns.
fn report_lies(j: &Value, before: &Account, after: &Account, seeds: &Account) -> Vec<String> {
    let mut found = Vec::new();
    let unread = j["error"].as_str().is_some_and(|e| e.contains("could not be read afterwards"));
    let mut rows: BTreeMap<(String, String), String> = BTreeMap::new();
    for r in j["resources"].as_array().into_iter().flatten() {
        let field = |f: &str| r[f].as_str().unwrap_or("").to_string();
        let (kind, name, status) = (field("kind"), field("name"), field("status"));
        let (was, now) = (before.facet(&kind, &name), after.facet(&kind, &name));
        let lie = match status.as_str() {
            "rolled_back" | "failed" | "skipped" | "unchanged" => was != now,
            "created" | "updated" => !as_desired(after, seeds, &kind, &name),
            "left" => was == now,
            "unknown" => !unread,
            _ => true,
        };
        if lie {
            found.push(format!("reports {kind} {name} {status}, but it was {was:?} and is {now:?}"));
        }
        rows.insert((kind, name), status);
    }
    let mut resources = before.resources();
    resources.extend(after.resources());
    resources.sort();
    resources.dedup();
    for (kind, name) in resources {
        if before.facet(kind, &name) == after.facet(kind, &name) {
            continue;
        }
        let status = rows.get(&(kind.to_string(), name.clone())).map(String::as_str);
        if !matches!(status, Some("created" | "updated" | "left" | "unknown")) {
            found.push(format!("{kind} {name} changed, but the report says {status:?}"));
        }
    }
    found
}

fn printed_key(j: &Value) -> Option<(String, String)> {
    let k = j["access_key"].as_object()?;
    Some((k["access_key_id"].as_str()?.to_string(), k["secret_access_key"].as_str().unwrap_or("").to_string()))
}

fn key_status(j: &Value) -> Option<&str> {
    j["resources"].as_array()?.iter().find(|r| r["kind"] == "access_key")?["status"].as_str()
}

/// Keys: none new whose secret was not printed, no printed key that does not exist, never two on a user that
/// had fewer, no tag of a key that is gone.
fn judge_keys(before: &Account, after: &Account, printed: Option<&(String, String)>, failures: &mut Failures) {
    let had: Vec<(String, String)> = before.keys();
    for (user, view) in &after.users {
        let before_count = before.users.get(user).map_or(0, |u| u.keys.len());
        if view.keys.len() > 1 && view.keys.len() > before_count {
            failures.push(("duplicate-key", format!("faulted run left {} keys on {user}", view.keys.len())));
        }
    }
    for (user, id) in after.keys().into_iter().filter(|k| !had.contains(k)) {
        if printed.is_none_or(|(p, secret)| *p != id || secret.is_empty()) {
            failures.push(("unseen-key", format!("faulted run left key {id} on {user}; its secret was not printed")));
        }
    }
    if let Some((id, _)) = printed
        && !after.keys().iter().any(|(_, k)| k == id)
    {
        failures.push(("report", format!("faulted run printed key {id}, which does not exist")));
    }
    for (user, tag) in after.stale_key_tags() {
        failures.push(("stale-tag", format!("faulted run left tag {tag} on {user}, of a key that is gone")));
    }
}

/// Nothing someone else made is ever deleted.
fn judge_foreign(before: &Account, after: &Account, failures: &mut Failures) {
    let gone = |kind: &str, there: bool, name: &String| (!there).then(|| format!("foreign {kind} {name} was deleted"));
    let mut lost: Vec<String> = Vec::new();
    lost.extend(
        before
            .policies
            .iter()
            .filter(|(_, p)| !p.ours)
            .filter_map(|(n, _)| gone("policy", after.policies.contains_key(n), n)),
    );
    lost.extend(
        before.roles.iter().filter(|(_, r)| !r.ours).filter_map(|(n, _)| gone("role", after.roles.contains_key(n), n)),
    );
    lost.extend(
        before.users.iter().filter(|(_, u)| !u.ours).filter_map(|(n, _)| gone("user", after.users.contains_key(n), n)),
    );
    failures.extend(lost.into_iter().map(|l| ("foreign-deleted", l)));
}

struct Worker {
    moto: Moto,
}

/// What a faulted run left, to judge.
struct Ran<'a> {
    cell: &'a Cell,
    code: Option<i32>,
    j: &'a Value,
    before: &'a Account,
    after: &'a Account,
    printed: Option<&'a (String, String)>,
    /// Moto's account id, which the seeds' documents name.
    account: &'a str,
}

/// The account and report after the faulted run: returns the outcome's name.
fn judge(ran: &Ran, seeds: &Account, failures: &mut Failures) -> String {
    let Ran { cell, code, j, before, after, printed, account } = *ran;
    judge_keys(before, after, printed, failures);
    judge_foreign(before, after, failures);
    for lie in report_lies(j, before, after, seeds) {
        failures.push(("report", format!("faulted run {lie}")));
    }
    if code == Some(0) {
        if cell.phase == Phase::Rollback {
            failures.push(("report", "exit 0 although a write failed persistently".into()));
        }
        if !j["error"].is_null() {
            failures.push(("report", format!("faulted run: exit 0 with error {}", j["error"])));
        }
        let diffs = after.differences_from_seeds_under(before, account, BUCKET, PROJECT, cell.start.guardrails());
        if !diffs.is_empty() {
            failures.push(("incomplete", format!("faulted run: exit 0 but {}", diffs.join("; "))));
        }
        if after.keys().len() != 1 {
            failures.push(("key", format!("faulted run: exit 0 with {} access keys", after.keys().len())));
        }
        return "complete".into();
    }
    if !j["error"].is_string() {
        failures.push(("report", format!("faulted run: exit {code:?} but JSON error is {}", j["error"])));
    }
    let restored = after == before;
    if let Some(why) = must_complete(cell) {
        match cell.phase {
            Phase::Run => failures.push(("not-complete", format!("exit {code:?}, but {why}; error: {}", j["error"]))),
            Phase::Rollback if !restored => failures.push((
                "not-restored",
                format!("the rollback did not restore the account, but {why}; error: {}", j["error"]),
            )),
            Phase::Rollback => {}
        }
    }
    if !cell.rollback {
        return if restored { "nothing kept" } else { "kept" }.into();
    }
    if restored {
        return "rolled back".into();
    }
    // What the rollback could not undo stays `created` or `updated` (verified there), or is `left`; a key it
    // could not delete is printed (checked above: it exists), never left unseen.
    let remains = ["left", "unknown", "created", "updated"];
    let says_left =
        j["resources"].as_array().into_iter().flatten().any(|r| remains.contains(&r["status"].as_str().unwrap_or("")));
    if !says_left {
        failures.push((
            "leftover",
            format!("rolled back, reports nothing left, but the account changed: {}", changes(before, after)),
        ));
    }
    "left (reported)".into()
}

/// What differs between two reads of the account, resource by resource.
fn changes(before: &Account, after: &Account) -> String {
    let mut all = before.resources();
    all.extend(after.resources());
    all.sort();
    all.dedup();
    let diffs: Vec<String> = all
        .into_iter()
        .filter_map(|(kind, name)| {
            let (was, now) = (before.facet(kind, &name), after.facet(kind, &name));
            (was != now).then(|| format!("{kind} {name}: {was:?} → {now:?}"))
        })
        .collect();
    if diffs.is_empty() { "only attachments' or keys' order".into() } else { diffs.join("; ") }
}

impl Worker {
    fn account(&self) -> Account {
        Account::read_blocking(&self.moto)
    }

    /// The proxy's rules for a cell: its fault, armed by the late failure in a rollback-phase cell.
    fn rules(cell: &Cell, wire: &Wire) -> Vec<Rule> {
        let when = if cell.persistent { When::Always } else { When::Nth(1) };
        let fault = Rule::new(&cell.action, when, cell.fault);
        match cell.phase {
            Phase::Run => vec![fault],
            Phase::Rollback => {
                let (failing, nth) = &wire.failure;
                vec![fault.after_fault_on(failing), Rule::new(failing, When::FromNth(*nth), Fault::AccessDenied)]
            }
        }
    }

    fn run(&self, cell: &Cell, wire: &Wire) -> Verdict {
        let started = Instant::now();
        let mut failures = Vec::new();
        cell.start.prepare(&self.moto, BUCKET, PROJECT);
        let before = self.account();
        let proxy = proxy_for(self, cell.start, Worker::rules(cell, wire));
        let env = proxy.env(&self.moto);
        let first = run_bounded(&apply_args(cell.start, !cell.rollback), &env, LIMIT);
        let idle = proxy.wait_idle(LIMIT);
        for blind in blind_retries(&proxy.seen()) {
            failures.push(("blind-retry", format!("faulted run: {blind}")));
        }
        if !hit(&proxy.seen(), cell) {
            failures.push(("missed", format!("the fault never hit {}: the wire changed", cell.action)));
        }
        let after = self.account();
        let code = first.output.status.code();
        let mut outcome = format!("exit {}", code.map_or("-".into(), |c| c.to_string()));
        if code == Some(2) {
            failures.push(("usage", format!("exit 2 (usage): {}", last_lines(&stderr(&first.output)))));
        }
        let j = support::matrix::common("faulted run", &first, LIMIT, &mut failures);
        let printed = j.as_ref().and_then(printed_key);
        // After a kill at the liveness bound nothing can be promised about the account: the hang is the failure.
        if let (Some(j), false) = (&j, first.timed_out) {
            let seeds = Account::seeds_under(&self.moto.account, BUCKET, PROJECT, cell.start.guardrails());
            let printed = printed.as_ref();
            let ran = Ran { cell, code, j, before: &before, after: &after, printed, account: &self.moto.account };
            outcome = judge(&ran, &seeds, &mut failures);
        }
        proxy.clear_rules();
        for rule in cell.start.account_rules() {
            proxy.add_rule(rule);
        }
        if let Err(e) = idle {
            failures.push(("hung", e));
        }
        // A key whose tagging and delete both failed is handed over unmarked, and the report says so: no rerun
        // can know it as this tool's, so its marker is not expected afterwards.
        let unmarked =
            j.as_ref().is_some_and(|j| j["error"].as_str().is_some_and(|e| e.contains("not marked as this tool's")));
        self.converge(cell, &proxy, &after, (printed.as_ref(), unmarked), &mut failures);
        if !failures.is_empty() {
            if let Some(j) = &j {
                failures.push(("", format!("faulted run said: {}; error: {}", rows(j), j["error"])));
            }
            failures.push(("", format!("proxy saw (faulted run, then rerun): {}", proxy.seen().join(", "))));
        }
        Verdict { outcome, failures, elapsed: started.elapsed() }
    }

    /// With the faults gone, apply (from the same start's options) must reach the seeds' state with one key:
    /// the first run's printed key if it stayed, else a new one printed now.
    fn converge(
        &self,
        cell: &Cell,
        proxy: &FaultProxy,
        after: &Account,
        (printed, unmarked): (Option<&(String, String)>, bool),
        failures: &mut Failures,
    ) {
        let second = run_bounded(&apply_args(cell.start, false), &proxy.env(&self.moto), LIMIT);
        if let Err(e) = proxy.wait_idle(LIMIT) {
            failures.push(("hung", e));
        }
        let converged = self.account();
        let Some(j2) = support::matrix::common("clean rerun", &second, LIMIT, failures) else { return };
        let code2 = second.output.status.code();
        if code2 != Some(0) || !j2["error"].is_null() {
            let err = last_lines(&stderr(&second.output));
            failures.push(("no-converge", format!("clean rerun: exit {code2:?}, error {}: {err}", j2["error"])));
        }
        let guardrails = cell.start.guardrails();
        let mut diffs = converged.differences_from_seeds_under(after, &self.moto.account, BUCKET, PROJECT, guardrails);
        diffs.retain(|d| !(unmarked && d.starts_with("user PostmanUser lacks the marker tag of its key")));
        if !diffs.is_empty() {
            failures.push(("no-converge", format!("clean rerun: {}", diffs.join("; "))));
        }
        let keys = converged.keys();
        if keys.len() != 1 {
            failures.push(("no-converge", format!("clean rerun: {} access keys, expected 1", keys.len())));
        }
        let kept_from_first = printed.filter(|(id, _)| after.keys().iter().any(|(_, k)| k == id));
        let wrong = match (kept_from_first, printed_key(&j2)) {
            (Some((id, _)), None) => (key_status(&j2) != Some("unchanged") || keys.iter().all(|(_, k)| k != id))
                .then(|| format!("clean rerun: the first run's key {id} should be kept and reported unchanged")),
            (Some((id, _)), Some((again, _))) => {
                Some(format!("clean rerun made key {again} although {id} (printed) existed"))
            }
            (None, Some((id, secret))) => (secret.is_empty() || keys.iter().all(|(_, k)| *k != id))
                .then(|| format!("clean rerun printed key {id}, not the one that exists")),
            (None, None) => after.keys().is_empty().then(|| "clean rerun printed no access key".into()),
        };
        if let Some(wrong) = wrong {
            failures.push(("no-converge", wrong));
        }
    }
}

/// The report's rows in one line: `policy P created, …`.
fn rows(j: &Value) -> String {
    let rows = j["resources"].as_array().into_iter().flatten();
    rows.map(|r| format!("{} {} {}", r["kind"], r["name"], r["status"]).replace('"', "")).collect::<Vec<_>>().join(", ")
}

/// Whether the cell's fault reached the wire (a slow answer leaves no trace but its delay).
fn hit(seen: &[String], cell: &Cell) -> bool {
    let fault = cell.fault.to_string();
    matches!(cell.fault, Fault::Delay(_))
        || seen.iter().any(|s| s.split('#').next() == Some(&cell.action) && s.ends_with(&format!(" {fault}")))
}

/// Each action once, in order of first arrival, from the proxy's log.
fn actions(seen: &[String]) -> Vec<String> {
    let mut actions: Vec<String> = Vec::new();
    for s in seen {
        let action = s.split('#').next().unwrap_or_default().to_string();
        if !actions.contains(&action) {
            actions.push(action);
        }
    }
    actions
}

/// The late write a rollback-phase cell refuses from its arrival on: the key's marker `TagUser` (after the
/// key exists) where the run makes a key, else the one missing attachment.
fn late_failure(start: Start) -> (&'static str, usize) {
    match start {
        // After the user's update in the guarded start: its rollback restores the user's path and boundary.
        Start::Empty | Start::Guarded => ("TagUser", 1),
        // The first TagUser adopts the user.
        Start::Adopted => ("TagUser", 2),
        Start::Drifted => ("AttachRolePolicy", 1),
    }
}

/// A proxy for a run from `start`, strict as IAM, with `rules` before the start's own (an SCP): the first rule
/// that applies decides, so a cell's fault on CreateRole is not hidden by the SCP's.
fn proxy_for(worker: &Worker, start: Start, rules: Vec<Rule>) -> FaultProxy {
    let proxy = FaultProxy::start(&worker.moto);
    proxy.strict(true);
    for rule in rules.into_iter().chain(start.account_rules()) {
        proxy.add_rule(rule);
    }
    proxy
}

/// How often a start's failing run is recorded: only what every recording sent after the failure is faulted
/// there, since the steps still on their way when it fails race with it.
const RECORDINGS: usize = 3;

/// Record a start's wire: a clean run, then runs whose late write is refused from its arrival on.
fn record(worker: &Worker, start: Start) -> Wire {
    start.prepare(&worker.moto, BUCKET, PROJECT);
    let proxy = proxy_for(worker, start, vec![]);
    let clean = run_bounded(&apply_args(start, false), &proxy.env(&worker.moto), LIMIT);
    assert_eq!(clean.output.status.code(), Some(0), "a clean apply from {start}: {}", stderr(&clean.output));
    proxy.wait_idle(LIMIT).unwrap();
    let (action, nth) = late_failure(start);
    let failing = format!("{action}#{nth} ");
    assert!(proxy.seen().iter().any(|s| s.starts_with(&failing)), "a clean apply from {start} sent no {failing}");
    // A create, attach or tag after the failure is a step that was already on its way, not an undo.
    let undo = |a: &String| !["Create", "Attach", "Tag"].iter().any(|p| a.starts_with(p));
    let mut rollback: Option<Vec<String>> = None;
    for _ in 0..RECORDINGS {
        start.prepare(&worker.moto, BUCKET, PROJECT);
        let failed_proxy = proxy_for(worker, start, vec![Rule::new(action, When::FromNth(nth), Fault::AccessDenied)]);
        let failed = run_bounded(&apply_args(start, false), &failed_proxy.env(&worker.moto), LIMIT);
        assert_eq!(
            failed.output.status.code(),
            Some(1),
            "apply from {start}, {failing}refused: {}",
            stderr(&failed.output)
        );
        failed_proxy.wait_idle(LIMIT).unwrap();
        let seen = failed_proxy.seen();
        let at = seen.iter().position(|s| s.starts_with(&failing)).unwrap();
        let sent: Vec<String> = actions(&seen[at + 1..]).into_iter().filter(undo).collect();
        rollback = Some(match rollback {
            None => sent,
            Some(before) => before.into_iter().filter(|a| sent.contains(a)).collect(),
        });
    }
    Wire { run: actions(&proxy.seen()), failure: (action.to_string(), nth), rollback: rollback.unwrap_or_default() }
}

/// Every action × every fault; in CI once each (the start among those whose wire has the action, the phase,
/// persistence and rollback by a fixed rotation), by hand (`MATRIX=full`) the cross-product.
fn cells(wires: &[(Start, Wire)]) -> Vec<Cell> {
    let full = support::matrix::full();
    // Every (start, phase) that sends each action, in a fixed order.
    let mut homes: BTreeMap<String, Vec<(Start, Phase)>> = BTreeMap::new();
    for (start, wire) in wires {
        for (phase, list) in [(Phase::Run, &wire.run), (Phase::Rollback, &wire.rollback)] {
            for action in list {
                homes.entry(action.clone()).or_default().push((*start, phase));
            }
        }
    }
    let mut cells = Vec::new();
    for (a, (action, homes)) in homes.iter().enumerate() {
        for (f, fault) in support::matrix::faults(&[]).into_iter().enumerate() {
            let k = a + f;
            let picked: Vec<(Start, Phase)> = if full { homes.clone() } else { vec![homes[k % homes.len()]] };
            for (start, phase) in picked {
                let combos: Vec<(bool, bool)> = match (full, phase) {
                    (true, Phase::Run) => [false, true].into_iter().flat_map(|p| [(p, true), (p, false)]).collect(),
                    (true, Phase::Rollback) => vec![(false, true), (true, true)],
                    (false, Phase::Run) => vec![(k % 2 == 1, (k / 2) % 2 == 0)],
                    (false, Phase::Rollback) => vec![(k % 2 == 1, true)],
                };
                for (persistent, rollback) in combos {
                    cells.push(Cell { start, phase, action: action.clone(), fault, persistent, rollback });
                }
            }
        }
    }
    cells
}

#[test]
fn every_fault_on_every_call_ends_complete_or_truly_reported_and_a_clean_rerun_converges() {
    let started = Instant::now();
    let probe = Worker { moto: Moto::start(&[]) };
    let wires: Vec<(Start, Wire)> = STARTS.iter().map(|s| (*s, record(&probe, *s))).collect();
    let sent = |list: fn(&Wire) -> &Vec<String>, a: &str| wires.iter().any(|(_, w)| list(w).iter().any(|x| x == a));
    for expected in EXPECTED_WRITES {
        assert!(sent(|w| &w.run, expected), "no clean run sent {expected}");
    }
    for expected in EXPECTED_UNDOS {
        assert!(sent(|w| &w.rollback, expected), "no rollback sent {expected}");
    }
    for (start, w) in &wires {
        println!("{start}: run {:?}; fails at {:?}; then {:?}", w.run, w.failure, w.rollback);
    }
    let mut cells = cells(&wires);
    cells.retain(|c| support::matrix::selected(&c.to_string()));
    let wire = |s: Start| &wires.iter().find(|(w, _)| *w == s).unwrap().1;
    let workers: Vec<Worker> =
        std::iter::once(probe).chain((1..WORKERS).map(|_| Worker { moto: Moto::start(&[]) })).collect();
    let results = support::matrix::run_cells(&workers, &cells, |worker, cell| worker.run(cell, wire(cell.start)));
    let failing = print_table(&cells, &results, started);
    assert!(failing.is_empty(), "{} of {} cells failed:\n{}", failing.len(), cells.len(), failing.join("\n"));
}

/// Print one line per cell and the totals; returns the failing cells with their details.
fn print_table(cells: &[Cell], results: &[Verdict], started: Instant) -> Vec<String> {
    println!(
        "{:<7} {:<8} {:<23} {:<22} {:<10} {:<11}  {:<16} {:>5}  FAILURES",
        "START", "PHASE", "ACTION", "FAULT", "WHEN", "ROLLBACK", "OUTCOME", "SECS"
    );
    let mut failing = Vec::new();
    let mut classes: BTreeMap<&str, usize> = Default::default();
    let mut outcomes: BTreeMap<String, usize> = Default::default();
    for (cell, v) in cells.iter().zip(results) {
        let mut cell_classes: Vec<&str> = v.failures.iter().map(|(c, _)| *c).filter(|c| !c.is_empty()).collect();
        cell_classes.sort();
        cell_classes.dedup();
        for c in &cell_classes {
            *classes.entry(c).or_default() += 1;
        }
        *outcomes.entry(v.outcome.clone()).or_default() += 1;
        let verdict = if cell_classes.is_empty() { "ok".to_string() } else { cell_classes.join(",") };
        println!("{cell}  {:<16} {:>5.1}  {verdict}", v.outcome, v.elapsed.as_secs_f64());
        if !v.failures.is_empty() {
            let details: Vec<String> = v.failures.iter().map(|(_, d)| format!("    {d}")).collect();
            failing.push(format!("{cell}\n{}", details.join("\n")));
        }
    }
    println!(
        "{} apply cells ({}) in {:.0}s: {} ok, {} failing; outcomes {outcomes:?}; failing cells by class {classes:?}",
        cells.len(),
        if support::matrix::full() { "full" } else { "sampled" },
        started.elapsed().as_secs_f64(),
        cells.len() - failing.len(),
        failing.len()
    );
    failing
}
