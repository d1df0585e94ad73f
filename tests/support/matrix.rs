//! What every fault-matrix cell checks, whichever command it runs: the run ended by itself, did not panic,
//! printed no Debug dump and printed JSON; and what its report says of each resource is what moto holds.

use super::account::{Account, Guardrails};
use super::proxy::Fault;
use super::{Bounded, debug_dump, stderr};
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// Run every cell on the first free worker (each with its own emulator, so no cell's outcome depends on
/// another's) and return the results in the cells' order.
pub fn run_cells<W: Sync, C: Sync, R: Send>(workers: &[W], cells: &[C], run: impl Fn(&W, &C) -> R + Sync) -> Vec<R> {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, R)>> = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for worker in workers {
            let (next, results, run) = (&next, &results, &run);
            s.spawn(move || {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(cell) = cells.get(i) else { break };
                    let r = run(worker, cell);
                    results.lock().unwrap().push((i, r));
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap();
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

/// Which cells of a matrix run: in CI a deterministic sample (every action with every fault once, each cell's
/// other parameters by a fixed rotation), by hand (`MATRIX=full`) the whole cross-product.
pub fn full() -> bool {
    std::env::var("MATRIX").is_ok_and(|m| m == "full")
}

/// Whether a cell runs, by its table line: `MATRIX_CELL=text` runs only the cells whose line holds every
/// `&`-separated part of it (to replay one cell alone), e.g. `MATRIX_CELL='drifted&DeleteRole&Hang'`.
pub fn selected(line: &str) -> bool {
    std::env::var("MATRIX_CELL").map_or(true, |want| want.split('&').all(|part| line.contains(part)))
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

/// One cell's line in a matrix's table: its columns, how it ended, how long it took, what it broke.
pub struct Line {
    pub cell: String,
    pub outcome: String,
    pub elapsed: Duration,
    /// The last column: `ok`, or what the cell broke in short.
    pub verdict: String,
    /// Printed under the cell among the failing ones; empty when it passed.
    pub details: Vec<String>,
}

/// Print a matrix's table (`header` names the cells' own columns) and the totals of `command`'s cells since
/// `started`; returns the failing cells, each with its details.
pub fn print_table(command: &str, header: &str, outcome_width: usize, lines: &[Line], started: Instant) -> Vec<String> {
    println!("{header}  {:<outcome_width$} {:>6}  FAILURES", "OUTCOME", "SECS");
    let mut failing = Vec::new();
    let mut outcomes: BTreeMap<&str, usize> = BTreeMap::new();
    for line in lines {
        *outcomes.entry(&line.outcome).or_default() += 1;
        println!(
            "{}  {:<outcome_width$} {:>6.1}  {}",
            line.cell,
            line.outcome,
            line.elapsed.as_secs_f64(),
            line.verdict
        );
        if !line.details.is_empty() {
            failing.push(format!("{}\n    {}", line.cell, line.details.join("\n    ")));
        }
    }
    println!(
        "{} {command} cells ({}) in {:.0}s: {} ok, {} failing; outcomes {outcomes:?}",
        lines.len(),
        if full() { "full" } else { "sampled" },
        started.elapsed().as_secs_f64(),
        lines.len() - failing.len(),
        failing.len()
    );
    failing
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
        // A tag of a deleted key is a leftover of the key step, like the key itself.
        "access_key" => user(name).is_some_and(|u| !u.keys.is_empty() || !u.stale_key_tags().is_empty()),
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

/// What the account holds before a matrix run starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// Nothing: every step creates.
    Empty,
    /// Both setups applied, then changed by hand: `ImporterS3Policy` has a new default document,
    /// `PinpointSegmentImport` another trust policy, and `ImporterS3Policy` is detached from
    /// `ImporterPinpointRole` (apply updates and attaches); `ImporterS3Role` and `PostmanUser` got a permissions
    /// boundary none is wanted (apply removes them, a rollback puts them back: issue 19's writes).
    Drifted,
    /// Someone else's (untagged, with their own tag) `PostmanAccessPolicy` with another document, `PostmanUser`
    /// and `ImporterS3Role`: apply takes them over with `--adopt`.
    Adopted,
    /// An organisation's guardrails (issue 19): apply runs with `--path` and `--permissions-boundary` behind an
    /// SCP that denies CreateRole/CreateUser without the boundary. `PostmanUser` (ours) is left from an apply
    /// of `--setup postman` without them, its policy and key deleted since (a policy's path cannot change: a
    /// conflict): apply moves the user (`UpdateUser`) and puts its boundary, creates every role under the path
    /// and boundary and every policy under the path, and makes a key; a rollback takes the user's back.
    Guarded,
}

pub const STARTS: [Start; 4] = [Start::Empty, Start::Drifted, Start::Adopted, Start::Guarded];

/// The guardrails of [`Start::Guarded`]: an AWS-managed policy as the boundary, as organisations use one.
pub const GUARDRAILS: Guardrails =
    Guardrails { path: "/teams/messaging/", boundary: "arn:aws:iam::aws:policy/PowerUserAccess" };

/// The foreign owner's own tag on what the adopted start holds.
pub const FOREIGN_TAG: (&str, &str) = ("team", "payments");

impl std::fmt::Display for Start {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Start::Empty => "empty",
            Start::Drifted => "drifted",
            Start::Adopted => "adopted",
            Start::Guarded => "guarded",
        })
    }
}

fn foreign_document() -> Value {
    serde_json::json!({"Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"}]})
}

impl Start {
    /// `apply`'s options this start needs: an adopted account needs `--adopt`, a guarded one the guardrails.
    pub fn apply_flags(self) -> &'static [&'static str] {
        match self {
            Start::Adopted => &["--adopt"],
            Start::Guarded => {
                const FLAGS: [&str; 4] = ["--path", GUARDRAILS.path, "--permissions-boundary", GUARDRAILS.boundary];
                &FLAGS
            }
            Start::Empty | Start::Drifted => &[],
        }
    }

    /// The guardrails apply is given from this start: what the complete state carries.
    pub fn guardrails(self) -> Option<Guardrails> {
        (self == Start::Guarded).then_some(GUARDRAILS)
    }

    /// The proxy's rules every run from this start meets besides a cell's faults (to add after them, so that
    /// a cell's fault comes first): the organisation's SCP of a guarded account.
    pub fn account_rules(self) -> Vec<super::proxy::Rule> {
        if self == Start::Guarded { super::proxy::boundary_scp(GUARDRAILS.boundary) } else { vec![] }
    }

    /// Reset moto and build this start (an apply straight to moto, then the SDK).
    pub fn prepare(self, moto: &super::Moto, bucket: &str, project: &str) {
        moto.reset();
        let all = ["apply", "--setup", "all", "--bucket", bucket, "--project-id", project, "--yes", "--format", "json"];
        let earlier: &[&str] = match self {
            Start::Drifted => &all,
            Start::Guarded => &["apply", "--setup", "postman", "--yes", "--format", "json"],
            Start::Empty | Start::Adopted => &[],
        };
        if !earlier.is_empty() {
            let applied = moto.run(earlier);
            assert!(applied.status.success(), "apply: {}", stderr(&applied));
        }
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async {
            let iam = moto.iam().await;
            match self {
                Start::Empty => {}
                Start::Drifted => drift(&iam, &moto.account).await,
                Start::Adopted => foreign(&iam).await,
                Start::Guarded => unguarded_user(&iam, &moto.account).await,
            }
        });
    }
}

/// Leave only the user of an unguarded postman apply: its policy (at path `/`, which a guarded apply could
/// not take over) detached and deleted, its key deleted with the key's tags (so that the guarded run's last
/// write, the new key's marker, comes after every other: its rollback-phase cells undo the same writes each
/// time).
async fn unguarded_user(iam: &aws_sdk_iam::Client, account: &str) {
    let user = "PostmanUser";
    let arn = format!("arn:aws:iam::{account}:policy/PostmanAccessPolicy");
    iam.detach_user_policy().user_name(user).policy_arn(&arn).send().await.unwrap();
    iam.delete_policy().policy_arn(&arn).send().await.unwrap();
    for key in iam.list_access_keys().user_name(user).send().await.unwrap().access_key_metadata() {
        let id = key.access_key_id().unwrap();
        iam.delete_access_key().user_name(user).access_key_id(id).send().await.unwrap();
        let tags = [format!("pinpoint-iam-wizard:key:{id}"), id.to_string()];
        iam.untag_user().user_name(user).set_tag_keys(Some(tags.to_vec())).send().await.unwrap();
    }
}

async fn drift(iam: &aws_sdk_iam::Client, account: &str) {
    let arn = format!("arn:aws:iam::{account}:policy/ImporterS3Policy");
    let doc = foreign_document().to_string();
    iam.create_policy_version().policy_arn(&arn).policy_document(doc).set_as_default(true).send().await.unwrap();
    iam.detach_role_policy().role_name("ImporterPinpointRole").policy_arn(&arn).send().await.unwrap();
    let lambda = include_str!("../../assets/trust/lambda.json");
    let role = iam.update_assume_role_policy().role_name("PinpointSegmentImport").policy_document(lambda);
    role.send().await.unwrap();
    let boundary = "arn:aws:iam::aws:policy/ReadOnlyAccess";
    iam.put_role_permissions_boundary()
        .role_name("ImporterS3Role")
        .permissions_boundary(boundary)
        .send()
        .await
        .unwrap();
    iam.put_user_permissions_boundary().user_name("PostmanUser").permissions_boundary(boundary).send().await.unwrap();
}

async fn foreign(iam: &aws_sdk_iam::Client) {
    let tag = aws_sdk_iam::types::Tag::builder().key(FOREIGN_TAG.0).value(FOREIGN_TAG.1).build().unwrap();
    let doc = foreign_document().to_string();
    let policy = iam.create_policy().policy_name("PostmanAccessPolicy").policy_document(doc).tags(tag.clone());
    policy.send().await.unwrap();
    iam.create_user().user_name("PostmanUser").tags(tag.clone()).send().await.unwrap();
    let lambda = include_str!("../../assets/trust/lambda.json");
    let role = iam.create_role().role_name("ImporterS3Role").assume_role_policy_document(lambda).tags(tag);
    role.send().await.unwrap();
}
