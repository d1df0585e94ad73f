//! The executor: runs a plan's steps (independent ones at once), reports progress as events, rolls back
//! on failure; and destroy, which deletes only what this tool created.

use crate::aws::AwsError;
use crate::aws::iam::{Iam, PolicyVersion};
use crate::plan::{Action, Plan, Prior, StepKind, Target};
use crate::secret::NewAccessKey;
use crate::setup::{Resources, Tag};
use serde_json::Value;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedSender;
use tokio::task::JoinSet;

/// The final state of a step or resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Created,
    Unchanged,
    Updated,
    Deleted,
    Failed,
    /// Undone by the rollback, and verified gone (or restored) by reading the account afterwards.
    RolledBack,
    /// Not started because an earlier step failed.
    Skipped,
    /// Something this run wrote still exists after the run (verified by reading the account).
    Left,
    /// Whether something this run wrote still exists could not be read.
    Unknown,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Created => "created",
            Status::Unchanged => "unchanged",
            Status::Updated => "updated",
            Status::Deleted => "deleted",
            Status::Failed => "failed",
            Status::RolledBack => "rolled_back",
            Status::Skipped => "skipped",
            Status::Left => "left",
            Status::Unknown => "unknown",
        }
    }
}

/// Progress, in the order it happens; the TUI and the headless printer both consume these.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Started(usize),
    /// IAM has not yet seen a resource created moments ago; the step waits and tries again.
    Retrying {
        step: usize,
        attempt: u32,
        reason: String,
    },
    Finished {
        step: usize,
        status: Status,
    },
    Failed {
        step: usize,
        error: AwsError,
    },
    Skipped(usize),
    RollingBack,
    RolledBack(usize),
    RollbackFailed {
        step: usize,
        error: AwsError,
    },
    Done,
}

/// How to apply.
#[derive(Debug, Clone, Default)]
pub struct ApplyOptions {
    /// Set (e.g. by Ctrl-C) to stop: no new step starts, running ones finish, and everything is rolled back.
    pub cancel: Option<Arc<AtomicBool>>,
    pub adopt: bool,
    pub no_rollback: bool,
    pub tags: Vec<Tag>,
    /// How long to keep retrying an attach that fails with NoSuchEntity right after a create.
    pub consistency_wait: Option<Duration>,
    /// The id tagged on everything this run creates (a fresh one when not given).
    pub run_id: Option<String>,
}

/// A fresh run id: 16 hex digits, unique enough to tell this run's writes from any other's.
pub fn new_run_id() -> String {
    format!("{:016x}", fastrand::u64(..))
}

/// What apply did.
#[derive(Debug)]
pub struct ApplyReport {
    pub statuses: Vec<Status>,
    pub access_key: Option<NewAccessKey>,
    pub failure: Option<(usize, AwsError)>,
    /// The run was interrupted (see [`ApplyOptions::cancel`]): treated like a failure.
    pub interrupted: bool,
    pub rollback_errors: Vec<(usize, AwsError)>,
    /// This run's writes that were not rolled back: [`roll_back`] undoes them on request (e.g. when the key's
    /// secret could not be delivered, or after `no_rollback`).
    pub rollback_log: RollbackLog,
    /// The reading of the account after a rollback failed: what exists is unknown.
    pub verify_error: Option<Box<AwsError>>,
    pub run_id: String,
}

/// The writes of one run, in the order they happened (including the possible writes of steps whose
/// answer never came), and the run's id to recognise them.
#[derive(Debug, Default)]
pub struct RollbackLog {
    undos: Vec<(usize, Undo)>,
    run: String,
}

impl RollbackLog {
    pub fn is_empty(&self) -> bool {
        self.undos.is_empty()
    }

    /// A log that deletes one created policy, for the wizard's tests (real logs come from [`apply`]).
    #[doc(hidden)]
    pub fn deleting_policy(step: usize, arn: &str) -> RollbackLog {
        RollbackLog { undos: vec![(step, Undo::DeletePolicy { arn: arn.to_string(), sure: true })], run: String::new() }
    }

    /// Only the undos that delete access keys (a key whose secret was not delivered goes even when the rest is
    /// kept).
    pub fn only_access_keys(self) -> RollbackLog {
        let undos = self
            .undos
            .into_iter()
            .filter(|(_, u)| matches!(u, Undo::DeleteAccessKey { .. } | Undo::ReconcileKeys { .. }))
            .collect();
        RollbackLog { undos, run: self.run }
    }
}

impl ApplyReport {
    pub fn succeeded(&self) -> bool {
        self.failure.is_none() && !self.interrupted
    }
}

/// Why apply did not start.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error(
        "nothing was written: {} exist(s) and were not created by pinpoint-iam-wizard: {}. \
         Rename ours with the name options, or take them over explicitly (adopt)",
        .0.len(), .0.join(", ")
    )]
    Conflicts(Vec<String>),
    #[error(
        "nothing was written: {} belong(s) to another tool and cannot be adopted: {}. Change them through their \
         owner, or give ours other names",
        .0.len(), .0.join(", ")
    )]
    OwnedElsewhere(Vec<String>),
    #[error("the account was not read (offline plan): apply needs credentials")]
    NotChecked,
}

/// How to undo a write of this run. `sure: false` marks a write whose answer never came: it may not have
/// happened, so the resource is deleted only if it carries this run's id.
#[derive(Debug, Clone)]
pub(crate) enum Undo {
    DeletePolicy {
        arn: String,
        sure: bool,
    },
    RestorePolicy {
        arn: String,
        previous: String,
        versions: Vec<String>,
    },
    DeleteRole {
        name: String,
        sure: bool,
    },
    RestoreTrust {
        name: String,
        previous: Value,
    },
    DeleteUser {
        name: String,
        sure: bool,
    },
    DetachRole {
        role: String,
        arn: String,
    },
    DetachUser {
        user: String,
        arn: String,
    },
    DeleteAccessKey {
        user: String,
        id: String,
    },
    /// Delete every key of the user that was not there before (a key made by a call whose answer was lost).
    ReconcileKeys {
        user: String,
        before: Vec<String>,
    },
    /// Remove the owner and run tags that an adopt added.
    UntagPolicy {
        arn: String,
    },
    UntagRole {
        name: String,
    },
    UntagUser {
        name: String,
    },
}

struct Done {
    status: Status,
    undo: Vec<Undo>,
    key: Option<NewAccessKey>,
}

fn done(status: Status, undo: Undo) -> Done {
    Done { status, undo: vec![undo], key: None }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Pending,
    Running,
    Ok,
    Failed,
}

fn cancelled(opts: &ApplyOptions) -> bool {
    opts.cancel.as_ref().is_some_and(|c| c.load(Ordering::SeqCst))
}

/// Run the plan. Conflicts (without `adopt`) refuse before any write.
pub async fn apply(
    iam: &Iam,
    plan: Arc<Plan>,
    mut opts: ApplyOptions,
    events: UnboundedSender<Event>,
) -> Result<ApplyReport, ApplyError> {
    if !plan.checked {
        return Err(ApplyError::NotChecked);
    }
    let conflicts: Vec<String> =
        plan.conflicts().map(|i| format!("{} {}", plan.label(i).kind, plan.label(i).name)).collect();
    let owned: Vec<String> = plan
        .owned_elsewhere()
        .map(|(i, owner)| format!("{} {} (ManagedBy={owner})", plan.label(i).kind, plan.label(i).name))
        .collect();
    if !owned.is_empty() {
        return Err(ApplyError::OwnedElsewhere(owned));
    }
    if !conflicts.is_empty() && !opts.adopt {
        return Err(ApplyError::Conflicts(conflicts));
    }
    let run = opts.run_id.get_or_insert_with(new_run_id).clone();
    let emit = |e: Event| {
        let _ = events.send(e);
    };
    let opts = Arc::new(opts);
    let n = plan.steps.len();
    let mut state = vec![State::Pending; n];
    let mut statuses = vec![Status::Skipped; n];
    let mut undos: Vec<(usize, Undo)> = Vec::new();
    let mut access_key = None;
    let mut failure: Option<(usize, AwsError)> = None;
    let mut running: JoinSet<(usize, Result<Done, AwsError>)> = JoinSet::new();
    let mut task_steps = std::collections::HashMap::new();
    let mut interrupted = false;
    loop {
        // Interrupted: no new step starts. Steps already sent are waited for (each is bounded by the operation
        // timeout) rather than abandoned: a request already on the wire may still be carried out, and a key or
        // resource made after the rollback had looked would be left behind unseen.
        interrupted = interrupted || cancelled(&opts);
        if failure.is_none() && !interrupted {
            // Start every step whose dependencies are done; unchanged steps finish at once and may unlock others.
            let mut progressed = true;
            while progressed {
                progressed = false;
                for i in 0..n {
                    let ready = state[i] == State::Pending && plan.steps[i].deps.iter().all(|d| state[*d] == State::Ok);
                    if !ready {
                        continue;
                    }
                    emit(Event::Started(i));
                    if plan.steps[i].action == Action::Unchanged {
                        state[i] = State::Ok;
                        statuses[i] = Status::Unchanged;
                        emit(Event::Finished { step: i, status: Status::Unchanged });
                        progressed = true;
                    } else {
                        state[i] = State::Running;
                        let (iam, plan, opts, events) = (iam.clone(), plan.clone(), opts.clone(), events.clone());
                        let task = running.spawn(async move { (i, run_step(&iam, &plan, i, &opts, &events).await) });
                        task_steps.insert(task.id(), i);
                    }
                }
            }
        }
        let joined = tokio::select! {
            joined = running.join_next() => joined,
            // Polled so that an interruption is seen while a step waits on a hung endpoint.
            () = tokio::time::sleep(Duration::from_millis(50)), if !interrupted && opts.cancel.is_some() => continue,
        };
        let Some(joined) = joined else { break };
        // A step task that panicked (it never does: no path in it can) is counted as failed with its possible writes.
        let (i, result) = match joined {
            Ok(r) => r,
            Err(e) => {
                let Some(i) = task_steps.get(&e.id()).copied() else { continue };
                (
                    i,
                    Err(AwsError::Service {
                        action: "apply".into(),
                        resource: plan.label(i).name,
                        code: "StepAborted".into(),
                        message: e.to_string(),
                        request_id: None,
                    }),
                )
            }
        };
        match result {
            Ok(d) => {
                state[i] = State::Ok;
                statuses[i] = d.status;
                undos.extend(d.undo.into_iter().map(|u| (i, u)));
                if d.key.is_some() {
                    access_key = d.key;
                }
                emit(Event::Finished { step: i, status: d.status });
            }
            Err(error) => {
                state[i] = State::Failed;
                statuses[i] = Status::Failed;
                undos.extend(possible_writes(&plan, i).into_iter().map(|u| (i, u)));
                emit(Event::Failed { step: i, error: error.clone() });
                failure.get_or_insert((i, error));
            }
        }
    }
    for (i, _) in state.iter().enumerate().filter(|(_, s)| **s == State::Pending) {
        emit(Event::Skipped(i));
    }
    let mut rollback_errors = Vec::new();
    let mut log = RollbackLog { undos, run };
    let mut verify_error = None;
    let failed = failure.is_some() || interrupted;
    if failed {
        if opts.no_rollback {
            // Kept by choice, but a key whose secret this process does not hold is never kept.
            let (keys, kept): (Vec<_>, Vec<_>) =
                log.undos.into_iter().partition(|(_, u)| matches!(u, Undo::ReconcileKeys { .. }));
            log.undos = kept;
            let unseen = RollbackLog { undos: keys, run: log.run.clone() };
            rollback_errors = roll_back(iam, unseen, &mut statuses, &events).await;
        } else {
            emit(Event::RollingBack);
            rollback_errors = roll_back(iam, std::mem::take(&mut log), &mut statuses, &events).await;
            log.run = opts.run_id.clone().unwrap_or_default();
        }
        verify_error = verify(iam, &plan, &log.run, &mut statuses, &events).await.err().map(Box::new);
        let key_left =
            plan.steps.iter().zip(&statuses).any(|(s, st)| {
                matches!(s.kind, StepKind::AccessKey(_)) && matches!(st, Status::Created | Status::Left)
            });
        if !key_left {
            // The key was deleted with the rest: its secret is of no use to anyone, so drop (and zeroize) it.
            access_key = None;
        }
    }
    emit(Event::Done);
    Ok(ApplyReport {
        statuses,
        access_key,
        failure,
        interrupted,
        rollback_errors,
        run_id: log.run.clone(),
        rollback_log: log,
        verify_error,
    })
}

/// What a step may have written when its answer never came (or it failed half-way): undone only where the
/// account shows it happened.
fn possible_writes(plan: &Plan, i: usize) -> Vec<Undo> {
    let step = &plan.steps[i];
    let d = &plan.desired;
    match (step.kind, &step.prior) {
        (StepKind::Policy(p), Prior::Absent) => {
            vec![Undo::DeletePolicy { arn: d.policies[p].arn.clone(), sure: false }]
        }
        (StepKind::Policy(p), Prior::Policy { state, versions }) => {
            let mut u = vec![Undo::RestorePolicy {
                arn: d.policies[p].arn.clone(),
                previous: state.default_version.clone(),
                versions: versions.iter().map(|v| v.id.clone()).collect(),
            }];
            if !state.managed_by_us {
                u.push(Undo::UntagPolicy { arn: d.policies[p].arn.clone() });
            }
            u
        }
        (StepKind::Role(r), Prior::Absent) => vec![Undo::DeleteRole { name: d.roles[r].name.to_string(), sure: false }],
        (StepKind::Role(r), Prior::Role(current)) => {
            let mut u = vec![Undo::RestoreTrust { name: d.roles[r].name.to_string(), previous: current.trust.clone() }];
            if !current.managed_by_us {
                u.push(Undo::UntagRole { name: d.roles[r].name.to_string() });
            }
            u
        }
        (StepKind::User(u), Prior::Absent) => vec![Undo::DeleteUser { name: d.users[u].name.to_string(), sure: false }],
        (StepKind::User(u), _) => vec![Undo::UntagUser { name: d.users[u].name.to_string() }],
        (StepKind::Attach { policy, target: Target::Role(r) }, _) => {
            vec![Undo::DetachRole { role: d.roles[r].name.to_string(), arn: d.policies[policy].arn.clone() }]
        }
        (StepKind::Attach { policy, target: Target::User(u) }, _) => {
            vec![Undo::DetachUser { user: d.users[u].name.to_string(), arn: d.policies[policy].arn.clone() }]
        }
        (StepKind::AccessKey(u), _) => {
            vec![Undo::ReconcileKeys { user: d.users[u].name.to_string(), before: keys_before(plan, u) }]
        }
        // The plan never pairs these (a role's prior is a role, a policy's a policy).
        _ => vec![],
    }
}

/// The access key ids the user had when the plan read the account.
fn keys_before(plan: &Plan, user: usize) -> Vec<String> {
    plan.steps
        .iter()
        .find_map(|s| match (&s.kind, &s.prior) {
            (StepKind::User(u), Prior::User(state)) if *u == user => {
                Some(state.access_keys.iter().map(|k| k.id.clone()).collect())
            }
            _ => None,
        })
        .unwrap_or_default()
}

/// Treat IAM's "it is not there" as done: undoing is idempotent, so a retried or repeated undo succeeds.
fn gone_is_fine(r: Result<(), AwsError>) -> Result<(), AwsError> {
    match r {
        Err(e) if e.is_no_such_entity() => Ok(()),
        other => other,
    }
}

/// Undo one write; `run` tells our run's resources from anyone else's.
async fn undo_one(iam: &Iam, undo: &Undo, run: &str) -> Result<(), AwsError> {
    let ours = |tagged: Option<&String>| tagged.is_some_and(|r| r == run);
    match undo {
        Undo::DeletePolicy { arn, sure } => {
            if !sure {
                match iam.get_policy(arn).await? {
                    Some(p) if ours(p.run.as_ref()) => {}
                    _ => return Ok(()),
                }
            }
            gone_is_fine(iam.delete_policy(arn).await)
        }
        Undo::RestorePolicy { arn, previous, versions } => {
            gone_is_fine(iam.set_default_policy_version(arn, previous).await)?;
            for v in iam.list_policy_versions(arn).await? {
                if !versions.contains(&v.id) && !v.is_default {
                    gone_is_fine(iam.delete_policy_version(arn, &v.id).await)?;
                }
            }
            Ok(())
        }
        Undo::DeleteRole { name, sure } => {
            let Some(role) = iam.get_role(name).await? else { return Ok(()) };
            if !sure && !ours(role.run.as_ref()) {
                return Ok(());
            }
            // Made by this run moments ago: whatever is attached to it, this run attached.
            for arn in &role.attached {
                gone_is_fine(iam.detach_role_policy(name, arn).await)?;
            }
            gone_is_fine(iam.delete_role(name).await)
        }
        Undo::RestoreTrust { name, previous } => gone_is_fine(iam.update_trust(name, previous).await),
        Undo::DeleteUser { name, sure } => {
            let Some(user) = iam.get_user(name).await? else { return Ok(()) };
            if !sure && !ours(user.run.as_ref()) {
                return Ok(());
            }
            for k in &user.access_keys {
                gone_is_fine(iam.delete_access_key(name, &k.id).await)?;
            }
            for arn in &user.attached {
                gone_is_fine(iam.detach_user_policy(name, arn).await)?;
            }
            gone_is_fine(iam.delete_user(name).await)
        }
        Undo::DetachRole { role, arn } => gone_is_fine(iam.detach_role_policy(role, arn).await),
        Undo::DetachUser { user, arn } => gone_is_fine(iam.detach_user_policy(user, arn).await),
        Undo::DeleteAccessKey { user, id } => {
            gone_is_fine(iam.delete_access_key(user, id).await)?;
            gone_is_fine(iam.untag_access_key(user, id).await)
        }
        Undo::ReconcileKeys { user, before } => crate::access_keys::delete_unseen(iam, user, before).await.map(|_| ()),
        Undo::UntagPolicy { arn } => gone_is_fine(iam.untag_policy(arn).await),
        Undo::UntagRole { name } => gone_is_fine(iam.untag_role(name).await),
        Undo::UntagUser { name } => gone_is_fine(iam.untag_user(name).await),
    }
}

/// Undo a run's writes, newest first; marks each undone step `RolledBack` (until [`verify`] reads the account).
pub async fn roll_back(
    iam: &Iam,
    log: RollbackLog,
    statuses: &mut [Status],
    events: &UnboundedSender<Event>,
) -> Vec<(usize, AwsError)> {
    let mut errors = Vec::new();
    let RollbackLog { mut undos, run } = log;
    while let Some((i, undo)) = undos.pop() {
        match undo_one(iam, &undo, &run).await {
            Ok(()) => {
                if statuses[i] != Status::Failed {
                    statuses[i] = Status::RolledBack;
                    let _ = events.send(Event::RolledBack(i));
                }
            }
            Err(error) => {
                let _ = events.send(Event::RollbackFailed { step: i, error: error.clone() });
                errors.push((i, error));
            }
        }
    }
    errors
}

/// Read the account again and set each written step's status to what is true now: `RolledBack` only where the
/// write is verified gone, `Left` where it remains, `Unknown` (with the error) where it could not be read.
pub async fn verify(
    iam: &Iam,
    plan: &Plan,
    run: &str,
    statuses: &mut [Status],
    events: &UnboundedSender<Event>,
) -> Result<(), AwsError> {
    let touched = |st: Status| matches!(st, Status::Created | Status::Updated | Status::RolledBack | Status::Failed);
    if !statuses.iter().any(|s| touched(*s)) {
        return Ok(());
    }
    let now = match crate::plan::plan(iam, &plan.params).await {
        Ok(p) => p,
        Err(e) => {
            // Nothing this run wrote can be vouched for: a rollback that failed may have left it, one that
            // succeeded is not verified.
            for st in statuses.iter_mut().filter(|s| touched(**s)) {
                *st = Status::Unknown;
            }
            return Err(match e {
                crate::plan::PlanError::Aws(e) => e,
                crate::plan::PlanError::Setup(e) => AwsError::Service {
                    action: "verify".into(),
                    resource: "the plan".into(),
                    code: "Invalid".into(),
                    message: e.to_string(),
                    request_id: None,
                },
            });
        }
    };
    for (i, st) in statuses.iter_mut().enumerate() {
        if !touched(*st) {
            continue;
        }
        let remains = remains_from_run(plan, &now, i, run);
        let verified = match (*st, remains) {
            (Status::Failed, false) => Status::Failed,
            (Status::Created | Status::Updated, true) => *st,
            (_, true) => Status::Left,
            (_, false) => Status::RolledBack,
        };
        if verified != *st {
            *st = verified;
            let _ = events.send(Event::Finished { step: i, status: verified });
        }
    }
    Ok(())
}

/// Whether what step `i` of `before` would write is there in the account as `now` reads it.
fn remains_from_run(before: &Plan, now: &Plan, i: usize, run: &str) -> bool {
    let (was, is) = (&before.steps[i], &now.steps[i]);
    let from_run = |r: Option<&String>| r.is_some_and(|r| r == run);
    match (&was.prior, &is.prior) {
        // Absent before: anything there now with our run id is this run's.
        (Prior::Absent, Prior::Policy { state, .. }) if matches!(was.kind, StepKind::Policy(_)) => {
            from_run(state.run.as_ref())
        }
        (Prior::Absent, Prior::Role(r)) => from_run(r.run.as_ref()),
        (Prior::Absent, Prior::User(u)) if matches!(was.kind, StepKind::User(_)) => from_run(u.run.as_ref()),
        // Existed before: what this run changed is still changed.
        (Prior::Policy { state: a, .. }, Prior::Policy { state: b, .. }) => {
            a.default_version != b.default_version || a.managed_by_us != b.managed_by_us
        }
        (Prior::Role(a), Prior::Role(b)) => a.trust != b.trust || a.managed_by_us != b.managed_by_us,
        (Prior::User(a), Prior::User(b)) if matches!(was.kind, StepKind::User(_)) => a.managed_by_us != b.managed_by_us,
        _ => match was.kind {
            StepKind::Attach { .. } => was.action != Action::Unchanged && is.action == Action::Unchanged,
            StepKind::AccessKey(u) => {
                let before = keys_before(before, u);
                keys_before(now, u).iter().any(|k| !before.contains(k))
            }
            _ => false,
        },
    }
}

async fn run_step(
    iam: &Iam,
    plan: &Plan,
    i: usize,
    opts: &ApplyOptions,
    events: &UnboundedSender<Event>,
) -> Result<Done, AwsError> {
    let step = &plan.steps[i];
    let d = &plan.desired;
    let run = opts.run_id.as_deref().unwrap_or_default();
    let adopting = step.action == Action::Conflict;
    match (step.kind, &step.prior) {
        (StepKind::Policy(p), Prior::Absent) => {
            let spec = &d.policies[p];
            let created = iam.create_policy(spec.name.as_str(), &spec.document, &opts.tags, run).await;
            match created {
                Ok(_) => {}
                // A retry after a lost answer finds our own policy: it was created by this run.
                Err(e) if e.is_already_exists() => match iam.get_policy(&spec.arn).await? {
                    Some(s) if s.run.as_deref() == Some(run) => {}
                    _ => return Err(e),
                },
                Err(e) => return Err(e),
            }
            Ok(done(Status::Created, Undo::DeletePolicy { arn: spec.arn.clone(), sure: true }))
        }
        (StepKind::Policy(p), Prior::Policy { state, versions }) => {
            let spec = &d.policies[p];
            let mut undo = Vec::new();
            if adopting {
                iam.tag_policy(&spec.arn, &opts.tags, run).await?;
                undo.push(Undo::UntagPolicy { arn: spec.arn.clone() });
            }
            if crate::plan::same_document(&spec.document, &state.document) {
                return Ok(Done { status: Status::Updated, undo, key: None });
            }
            if let Some(oldest) = oldest_to_prune(versions) {
                iam.delete_policy_version(&spec.arn, &oldest).await?;
            }
            iam.create_policy_version(&spec.arn, &spec.document).await?;
            undo.push(Undo::RestorePolicy {
                arn: spec.arn.clone(),
                previous: state.default_version.clone(),
                versions: versions.iter().map(|v| v.id.clone()).collect(),
            });
            Ok(Done { status: Status::Updated, undo, key: None })
        }
        (StepKind::Role(r), Prior::Absent) => {
            let spec = &d.roles[r];
            match iam.create_role(spec.name.as_str(), &spec.trust, &opts.tags, run).await {
                Ok(_) => {}
                Err(e) if e.is_already_exists() => match iam.get_role(spec.name.as_str()).await? {
                    Some(s) if s.run.as_deref() == Some(run) => {}
                    _ => return Err(e),
                },
                Err(e) => return Err(e),
            }
            Ok(done(Status::Created, Undo::DeleteRole { name: spec.name.to_string(), sure: true }))
        }
        (StepKind::Role(r), Prior::Role(current)) => {
            let spec = &d.roles[r];
            let mut undo = Vec::new();
            if adopting {
                iam.tag_role(spec.name.as_str(), &opts.tags, run).await?;
                undo.push(Undo::UntagRole { name: spec.name.to_string() });
            }
            if !crate::plan::same_document(&spec.trust, &current.trust) {
                iam.update_trust(spec.name.as_str(), &spec.trust).await?;
                undo.push(Undo::RestoreTrust { name: spec.name.to_string(), previous: current.trust.clone() });
            }
            Ok(Done { status: Status::Updated, undo, key: None })
        }
        (StepKind::User(u), Prior::Absent) => {
            let name = d.users[u].name.to_string();
            match iam.create_user(&name, &opts.tags, run).await {
                Ok(_) => {}
                Err(e) if e.is_already_exists() => match iam.get_user(&name).await? {
                    Some(s) if s.run.as_deref() == Some(run) => {}
                    _ => return Err(e),
                },
                Err(e) => return Err(e),
            }
            Ok(done(Status::Created, Undo::DeleteUser { name, sure: true }))
        }
        (StepKind::User(u), _) => {
            // Only an adopt reaches here: the user exists and is not ours yet.
            let name = d.users[u].name.to_string();
            iam.tag_user(&name, &opts.tags, run).await?;
            Ok(done(Status::Updated, Undo::UntagUser { name }))
        }
        (StepKind::Attach { policy, target }, _) => {
            let arn = d.policies[policy].arn.clone();
            let wait = opts.consistency_wait.unwrap_or(Duration::from_secs(30));
            let undo = match target {
                Target::Role(r) => {
                    let role = d.roles[r].name.to_string();
                    retry_new_entity(i, wait, events, || iam.attach_role_policy(&role, &arn)).await?;
                    Undo::DetachRole { role, arn }
                }
                Target::User(u) => {
                    let user = d.users[u].name.to_string();
                    retry_new_entity(i, wait, events, || iam.attach_user_policy(&user, &arn)).await?;
                    Undo::DetachUser { user, arn }
                }
            };
            Ok(done(Status::Created, undo))
        }
        (StepKind::AccessKey(u), _) => {
            let user = d.users[u].name.as_str();
            let before = keys_before(plan, u);
            let key = crate::access_keys::create_reconciled(iam, user, &before, run).await.map_err(|e| match e {
                AwsError::Quota { action, resource, .. } => AwsError::Quota {
                    action,
                    resource,
                    message: "a user can have at most 2 access keys; delete one it no longer uses".into(),
                },
                other => other,
            })?;
            let undo = Undo::DeleteAccessKey { user: key.user_name.clone(), id: key.access_key_id.clone() };
            Ok(Done { status: Status::Created, undo: vec![undo], key: Some(key) })
        }
        (kind, _) => Err(AwsError::Service {
            action: "apply".into(),
            resource: format!("{kind:?}"),
            code: "InvalidPlan".into(),
            message: "the plan pairs this step with the state of another kind of resource".into(),
            request_id: None,
        }),
    }
}

/// The description the console stores for a key made for Postman ("Application running outside AWS").
pub const KEY_DESCRIPTION: &str = "Application running outside AWS";

/// IAM is eventually consistent: an entity created a moment ago may not be visible to the next call yet.
async fn retry_new_entity<F, Fut>(
    step: usize,
    limit: Duration,
    events: &UnboundedSender<Event>,
    mut call: F,
) -> Result<(), AwsError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), AwsError>>,
{
    let start = Instant::now();
    let mut delay = Duration::from_millis(200);
    let mut attempt = 1;
    loop {
        match call().await {
            Err(e) if e.is_no_such_entity() && start.elapsed() + delay <= limit => {
                let _ = events.send(Event::Retrying { step, attempt, reason: e.to_string() });
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(5));
                attempt += 1;
            }
            other => return other,
        }
    }
}

/// IAM keeps at most 5 versions of a policy: the oldest non-default one makes room for a new one.
pub fn oldest_to_prune(versions: &[PolicyVersion]) -> Option<String> {
    if versions.len() < 5 {
        return None;
    }
    versions.iter().filter(|v| !v.is_default).min_by_key(|v| v.created).map(|v| v.id.clone())
}

/// What destroy did with one resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DestroyOutcome {
    Deleted,
    Absent,
    /// Left alone, with the reason.
    Kept(String),
    Failed(AwsError),
}

/// One resource destroy looked at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DestroyItem {
    pub kind: &'static str,
    pub name: String,
    pub arn: String,
    pub outcome: DestroyOutcome,
}

/// What destroy did: each resource, and what kept it from deleting anything at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DestroyReport {
    pub items: Vec<DestroyItem>,
    /// Things IAM would refuse to delete with our resources, or that are not ours to remove: when any is
    /// found, nothing is deleted.
    pub blockers: Vec<String>,
}

const FOREIGN: &str = "not created by pinpoint-iam-wizard (no ManagedBy tag of ours): left alone";
const BLOCKED: &str = "not deleted: see what keeps destroy from deleting anything";

/// What destroy found for one resource before deleting anything.
enum Found {
    Absent,
    Foreign,
    User(crate::aws::iam::UserState),
    Role(crate::aws::iam::RoleState),
    Policy,
}

/// Delete this tool's resources of the chosen setups, newest dependency first; anything else is left alone.
/// Everything is read and checked first: if something would make IAM refuse, or is not ours, nothing is
/// deleted and the report lists it.
pub async fn destroy(iam: &Iam, desired: &Resources) -> DestroyReport {
    let ours_policies: Vec<&str> = desired.policies.iter().map(|p| p.arn.as_str()).collect();
    let ours_policies = &ours_policies;
    let users = futures::future::join_all(desired.users.iter().map(|u| async move {
        let name = u.name.as_str();
        let found = match iam.get_user(name).await {
            Ok(None) => return (Ok(Found::Absent), vec![]),
            Ok(Some(s)) if !s.managed_by_us => return (Ok(Found::Foreign), vec![]),
            Ok(Some(s)) => s,
            Err(e) => return (Err(e), vec![]),
        };
        let mut blockers = Vec::new();
        for k in found.access_keys.iter().filter(|k| !found.our_keys.contains(&k.id)) {
            blockers.push(format!("user {name} has access key {}, which pinpoint-iam-wizard did not create", k.id));
        }
        for arn in found.attached.iter().filter(|a| !ours_policies.contains(&a.as_str())) {
            blockers.push(format!("user {name} has policy {arn} attached, which is not one of this setup's"));
        }
        if let Some(b) = &found.permissions_boundary {
            blockers.push(format!("user {name} has permissions boundary {b}"));
        }
        match iam.user_entanglements(name).await {
            Ok(t) => blockers.extend(describe_entanglements("user", name, &t)),
            Err(e) => return (Err(e), vec![]),
        }
        (Ok(Found::User(found)), blockers)
    }));
    let roles = futures::future::join_all(desired.roles.iter().map(|r| async move {
        let name = r.name.as_str();
        let found = match iam.get_role(name).await {
            Ok(None) => return (Ok(Found::Absent), vec![]),
            Ok(Some(s)) if !s.managed_by_us => return (Ok(Found::Foreign), vec![]),
            Ok(Some(s)) => s,
            Err(e) => return (Err(e), vec![]),
        };
        let mut blockers = Vec::new();
        for arn in found.attached.iter().filter(|a| !ours_policies.contains(&a.as_str())) {
            blockers.push(format!("role {name} has policy {arn} attached, which is not one of this setup's"));
        }
        if let Some(b) = &found.permissions_boundary {
            blockers.push(format!("role {name} has permissions boundary {b}"));
        }
        match iam.role_entanglements(name).await {
            Ok(t) => blockers.extend(describe_entanglements("role", name, &t)),
            Err(e) => return (Err(e), vec![]),
        }
        (Ok(Found::Role(found)), blockers)
    }));
    let policies = futures::future::join_all(desired.policies.iter().map(|p| async move {
        match iam.get_policy(&p.arn).await {
            Ok(None) => (Ok(Found::Absent), None),
            Ok(Some(s)) if !s.managed_by_us => (Ok(Found::Foreign), None),
            Ok(Some(_)) => match iam.policy_entities(&p.arn).await {
                Ok(e) => (Ok(Found::Policy), Some(e)),
                Err(e) => (Err(e), None),
            },
            Err(e) => (Err(e), None),
        }
    }));
    let (users, roles, policies) = tokio::join!(users, roles, policies);
    // A policy may stay attached only to the users and roles destroy deletes with it.
    let deleted_users: Vec<&str> = desired
        .users
        .iter()
        .zip(&users)
        .filter(|(_, (f, _))| matches!(f, Ok(Found::User(_))))
        .map(|(u, _)| u.name.as_str())
        .collect();
    let deleted_roles: Vec<&str> = desired
        .roles
        .iter()
        .zip(&roles)
        .filter(|(_, (f, _))| matches!(f, Ok(Found::Role(_))))
        .map(|(r, _)| r.name.as_str())
        .collect();
    let mut blockers: Vec<String> = Vec::new();
    let mut read_failed = false;
    for (found, b) in users.iter().chain(&roles) {
        blockers.extend(b.iter().cloned());
        read_failed |= found.is_err();
    }
    for (p, (found, entities)) in desired.policies.iter().zip(&policies) {
        read_failed |= found.is_err();
        if let Some(e) = entities {
            blockers.extend(policy_blockers(p.name.as_str(), e, &deleted_users, &deleted_roles));
        }
    }
    let stop = !blockers.is_empty() || read_failed;
    let item = |kind: &'static str, name: &str, arn: &str, outcome: DestroyOutcome| DestroyItem {
        kind,
        name: name.to_string(),
        arn: arn.to_string(),
        outcome,
    };
    let settled = |found: &Result<Found, AwsError>| match found {
        Ok(Found::Absent) => Some(DestroyOutcome::Absent),
        Ok(Found::Foreign) => Some(DestroyOutcome::Kept(FOREIGN.into())),
        Err(e) => Some(DestroyOutcome::Failed(e.clone())),
        Ok(_) if stop => Some(DestroyOutcome::Kept(BLOCKED.into())),
        Ok(_) => None,
    };
    // Users and roles first (their keys and attachments go with them), then the policies.
    let user_items = futures::future::join_all(desired.users.iter().zip(&users).map(|(u, (found, _))| async move {
        let outcome = match (settled(found), found) {
            (Some(o), _) => o,
            (None, Ok(Found::User(state))) => delete_user(iam, u.name.as_str(), state).await,
            (None, _) => DestroyOutcome::Absent,
        };
        item("user", u.name.as_str(), &u.arn, outcome)
    }));
    let role_items = futures::future::join_all(desired.roles.iter().zip(&roles).map(|(r, (found, _))| async move {
        let outcome = match (settled(found), found) {
            (Some(o), _) => o,
            (None, Ok(Found::Role(state))) => delete_role(iam, r.name.as_str(), state).await,
            (None, _) => DestroyOutcome::Absent,
        };
        item("role", r.name.as_str(), &r.arn, outcome)
    }));
    let (mut items, role_items) = tokio::join!(user_items, role_items);
    items.extend(role_items);
    let holders_failed = items.iter().any(|i| matches!(i.outcome, DestroyOutcome::Failed(_)));
    let policy_items =
        futures::future::join_all(desired.policies.iter().zip(&policies).map(|(p, (found, _))| async move {
            let outcome = match settled(found) {
                Some(o) => o,
                // A user or role that could not be deleted may still hold the policy.
                None if holders_failed => {
                    DestroyOutcome::Kept("not deleted: a user or role holding it was not deleted".into())
                }
                None => delete_policy(iam, &p.arn).await,
            };
            item("policy", p.name.as_str(), &p.arn, outcome)
        }));
    items.extend(policy_items.await);
    DestroyReport { items, blockers }
}

fn describe_entanglements(kind: &str, name: &str, t: &crate::aws::iam::Entanglements) -> Vec<String> {
    let mut out = Vec::new();
    for p in &t.inline_policies {
        out.push(format!("{kind} {name} has inline policy {p}"));
    }
    if t.login_profile {
        out.push(format!("{kind} {name} has a console password (login profile)"));
    }
    for g in &t.groups {
        out.push(format!("{kind} {name} is in group {g}"));
    }
    for d in &t.mfa_devices {
        out.push(format!("{kind} {name} has MFA device {d}"));
    }
    for p in &t.instance_profiles {
        out.push(format!("{kind} {name} is in instance profile {p}"));
    }
    out
}

/// A policy may be attached only to the users and roles destroy deletes with it.
fn policy_blockers(
    name: &str,
    e: &crate::aws::iam::PolicyEntities,
    ours_users: &[&str],
    ours_roles: &[&str],
) -> Vec<String> {
    e.users
        .iter()
        .filter(|u| !ours_users.contains(&u.as_str()))
        .map(|u| format!("policy {name} is attached to user {u}, which destroy does not delete"))
        .chain(
            e.roles
                .iter()
                .filter(|r| !ours_roles.contains(&r.as_str()))
                .map(|r| format!("policy {name} is attached to role {r}, which destroy does not delete")),
        )
        .chain(e.groups.iter().map(|g| format!("policy {name} is attached to group {g}")))
        .collect()
}

async fn delete_user(iam: &Iam, name: &str, state: &crate::aws::iam::UserState) -> DestroyOutcome {
    let result = async {
        for k in &state.access_keys {
            gone_is_fine(iam.delete_access_key(name, &k.id).await)?;
        }
        for arn in &state.attached {
            gone_is_fine(iam.detach_user_policy(name, arn).await)?;
        }
        gone_is_fine(iam.delete_user(name).await)
    }
    .await;
    result.map_or_else(DestroyOutcome::Failed, |()| DestroyOutcome::Deleted)
}

async fn delete_role(iam: &Iam, name: &str, state: &crate::aws::iam::RoleState) -> DestroyOutcome {
    let result = async {
        for arn in &state.attached {
            gone_is_fine(iam.detach_role_policy(name, arn).await)?;
        }
        gone_is_fine(iam.delete_role(name).await)
    }
    .await;
    result.map_or_else(DestroyOutcome::Failed, |()| DestroyOutcome::Deleted)
}

async fn delete_policy(iam: &Iam, arn: &str) -> DestroyOutcome {
    let result = async {
        for v in iam.list_policy_versions(arn).await?.iter().filter(|v| !v.is_default) {
            gone_is_fine(iam.delete_policy_version(arn, &v.id).await)?;
        }
        gone_is_fine(iam.delete_policy(arn).await)
    }
    .await;
    result.map_or_else(DestroyOutcome::Failed, |()| DestroyOutcome::Deleted)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(id: &str, created: i64, is_default: bool) -> PolicyVersion {
        PolicyVersion { id: id.into(), created, is_default }
    }

    #[test]
    fn prunes_oldest_non_default_only_at_five() {
        let four = vec![v("v1", 1, false), v("v2", 2, false), v("v3", 3, false), v("v4", 4, true)];
        assert_eq!(oldest_to_prune(&four), None);
        let five = vec![v("v1", 1, true), v("v2", 2, false), v("v3", 3, false), v("v4", 4, false), v("v5", 5, false)];
        assert_eq!(oldest_to_prune(&five).as_deref(), Some("v2"));
    }

    #[tokio::test(start_paused = true)]
    async fn retries_no_such_entity_with_backoff_then_gives_up() {
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let no_such = || AwsError::Service {
            action: "a".into(),
            resource: "r".into(),
            code: "NoSuchEntity".into(),
            message: "m".into(),
            request_id: None,
        };
        let mut calls = 0;
        let r = retry_new_entity(3, Duration::from_secs(2), &tx, || {
            calls += 1;
            let result = if calls < 3 { Err(no_such()) } else { Ok(()) };
            async move { result }
        })
        .await;
        assert!(r.is_ok());
        assert_eq!(calls, 3);
        assert!(matches!(rx.try_recv(), Ok(Event::Retrying { step: 3, attempt: 1, .. })));
        let r = retry_new_entity(0, Duration::from_secs(2), &tx, || async { Err(no_such()) }).await;
        assert!(r.unwrap_err().is_no_such_entity());
        let other = retry_new_entity(0, Duration::from_secs(2), &tx, || async {
            Err(AwsError::Throttled { action: "a".into() })
        })
        .await;
        assert!(matches!(other, Err(AwsError::Throttled { .. })));
    }
}
