//! The executor: runs a plan's steps (independent ones at once), reports progress as events, rolls back
//! on failure; and destroy, which deletes only what this tool created.

use crate::aws::AwsError;
use crate::aws::iam::{Iam, PolicyVersion};
use crate::plan::{Action, Plan, Prior, StepKind, Target};
use crate::secret::NewAccessKey;
use crate::setup::{Desired, Tag};
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
    RolledBack,
    /// Not started because an earlier step failed.
    Skipped,
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
    /// Set (e.g. by Ctrl-C) to stop starting steps and roll back like a failure.
    pub cancel: Option<Arc<AtomicBool>>,
    pub adopt: bool,
    pub no_rollback: bool,
    pub tags: Vec<Tag>,
    /// How long to keep retrying an attach that fails with NoSuchEntity right after a create.
    pub consistency_wait: Option<Duration>,
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
    /// This run's writes, not rolled back (after a failure with `no_rollback`): [`roll_back`] undoes them on request.
    pub rollback_log: RollbackLog,
}

/// The writes of one run, in the order they happened.
#[derive(Debug, Default)]
pub struct RollbackLog(Vec<(usize, Undo)>);

impl RollbackLog {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// A log that deletes one created policy, for the wizard's tests (real logs come from [`apply`]).
    #[doc(hidden)]
    pub fn deleting_policy(step: usize, arn: &str) -> RollbackLog {
        RollbackLog(vec![(step, Undo::DeletePolicy { arn: arn.to_string() })])
    }

    /// Whether undoing this log deletes the access key this run created.
    pub fn deletes_access_key(&self) -> bool {
        self.0.iter().any(|(_, u)| matches!(u, Undo::DeleteAccessKey { .. }))
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
        "nothing was written: {} exist(s) with different content and were not created by pinpoint-iam-wizard: {}. \
         Rename them with the name options, or pass --adopt to take them over",
        .0.len(), .0.join(", ")
    )]
    Conflicts(Vec<String>),
    #[error("the account was not read (offline plan): apply needs credentials")]
    NotChecked,
}

/// How to undo a write of this run.
#[derive(Debug)]
pub(crate) enum Undo {
    DeletePolicy { arn: String },
    RestorePolicy { arn: String, previous: String, new: String },
    DeleteRole { name: String },
    RestoreTrust { name: String, previous: Value },
    DeleteUser { name: String },
    DetachRole { role: String, arn: String },
    DetachUser { user: String, arn: String },
    DeleteAccessKey { user: String, id: String },
}

struct Done {
    status: Status,
    undo: Option<Undo>,
    key: Option<NewAccessKey>,
}

fn done(status: Status, undo: Undo) -> Done {
    Done { status, undo: Some(undo), key: None }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Pending,
    Running,
    Ok,
    Failed,
}

/// Run the plan. Conflicts (without `adopt`) refuse before any write.
pub async fn apply(
    iam: &Iam,
    plan: Arc<Plan>,
    opts: ApplyOptions,
    events: UnboundedSender<Event>,
) -> Result<ApplyReport, ApplyError> {
    if !plan.checked {
        return Err(ApplyError::NotChecked);
    }
    let conflicts: Vec<String> =
        plan.conflicts().map(|i| format!("{} {}", plan.label(i).kind, plan.label(i).name)).collect();
    if !conflicts.is_empty() && !opts.adopt {
        return Err(ApplyError::Conflicts(conflicts));
    }
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
    let mut interrupted = false;
    loop {
        interrupted = interrupted || opts.cancel.as_ref().is_some_and(|c| c.load(Ordering::SeqCst));
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
                        running.spawn(async move { (i, run_step(&iam, &plan, i, &opts, &events).await) });
                    }
                }
            }
        }
        let Some(joined) = running.join_next().await else { break };
        let (i, result) = joined.expect("a step task never panics");
        match result {
            Ok(d) => {
                state[i] = State::Ok;
                statuses[i] = d.status;
                if let Some(u) = d.undo {
                    undos.push((i, u));
                }
                if d.key.is_some() {
                    access_key = d.key;
                }
                emit(Event::Finished { step: i, status: d.status });
            }
            Err(error) => {
                state[i] = State::Failed;
                statuses[i] = Status::Failed;
                emit(Event::Failed { step: i, error: error.clone() });
                failure.get_or_insert((i, error));
            }
        }
    }
    for (i, s) in state.iter().enumerate() {
        if *s == State::Pending {
            emit(Event::Skipped(i));
        }
    }
    let mut rollback_errors = Vec::new();
    let mut rollback_log = RollbackLog::default();
    let failed = failure.is_some() || interrupted;
    if failed && opts.no_rollback {
        rollback_log = RollbackLog(undos);
    } else if failed {
        emit(Event::RollingBack);
        rollback_errors = roll_back(iam, RollbackLog(undos), &mut statuses, &events).await;
        let key_deleted = plan
            .steps
            .iter()
            .zip(&statuses)
            .any(|(s, st)| matches!(s.kind, StepKind::AccessKey(_)) && *st == Status::RolledBack);
        if key_deleted {
            // The key was deleted with the rest: its secret is of no use to anyone, so drop (and zeroize) it.
            access_key = None;
        }
    }
    emit(Event::Done);
    Ok(ApplyReport { statuses, access_key, failure, interrupted, rollback_errors, rollback_log })
}

/// Undo a run's writes, newest first; marks each undone step `RolledBack`.
pub async fn roll_back(
    iam: &Iam,
    log: RollbackLog,
    statuses: &mut [Status],
    events: &UnboundedSender<Event>,
) -> Vec<(usize, AwsError)> {
    let mut errors = Vec::new();
    let mut undos = log.0;
    while let Some((i, undo)) = undos.pop() {
        let result = match &undo {
            Undo::DeletePolicy { arn } => iam.delete_policy(arn).await,
            Undo::RestorePolicy { arn, previous, new } => match iam.set_default_policy_version(arn, previous).await {
                Ok(()) => iam.delete_policy_version(arn, new).await,
                Err(e) => Err(e),
            },
            Undo::DeleteRole { name } => iam.delete_role(name).await,
            Undo::RestoreTrust { name, previous } => iam.update_trust(name, previous).await,
            Undo::DeleteUser { name } => iam.delete_user(name).await,
            Undo::DetachRole { role, arn } => iam.detach_role_policy(role, arn).await,
            Undo::DetachUser { user, arn } => iam.detach_user_policy(user, arn).await,
            Undo::DeleteAccessKey { user, id } => match iam.delete_access_key(user, id).await {
                // The description tag goes with the key (a user created by this run is deleted anyway).
                Ok(()) => iam.untag_user(user, id).await.or(Ok(())),
                Err(e) => Err(e),
            },
        };
        match result {
            Ok(()) => {
                statuses[i] = Status::RolledBack;
                let _ = events.send(Event::RolledBack(i));
            }
            Err(error) => {
                let _ = events.send(Event::RollbackFailed { step: i, error: error.clone() });
                errors.push((i, error));
            }
        }
    }
    errors
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
    let adopting = step.action == Action::Conflict;
    match (step.kind, &step.prior) {
        (StepKind::Policy(p), Prior::Absent) => {
            let spec = &d.policies[p];
            let arn = iam.create_policy(spec.name.as_str(), &spec.document, &opts.tags).await?;
            Ok(done(Status::Created, Undo::DeletePolicy { arn }))
        }
        (StepKind::Policy(p), Prior::Policy { state, versions }) => {
            let spec = &d.policies[p];
            if let Some(oldest) = oldest_to_prune(versions) {
                iam.delete_policy_version(&spec.arn, &oldest).await?;
            }
            let new = iam.create_policy_version(&spec.arn, &spec.document).await?;
            if adopting {
                iam.tag_policy(&spec.arn, &opts.tags).await?;
            }
            Ok(done(
                Status::Updated,
                Undo::RestorePolicy { arn: spec.arn.clone(), previous: state.default_version.clone(), new },
            ))
        }
        (StepKind::Role(r), Prior::Absent) => {
            let spec = &d.roles[r];
            iam.create_role(spec.name.as_str(), &spec.trust, &opts.tags).await?;
            Ok(done(Status::Created, Undo::DeleteRole { name: spec.name.to_string() }))
        }
        (StepKind::Role(r), Prior::Role(current)) => {
            let spec = &d.roles[r];
            iam.update_trust(spec.name.as_str(), &spec.trust).await?;
            if adopting {
                iam.tag_role(spec.name.as_str(), &opts.tags).await?;
            }
            Ok(done(
                Status::Updated,
                Undo::RestoreTrust { name: spec.name.to_string(), previous: current.trust.clone() },
            ))
        }
        (StepKind::User(u), _) => {
            let name = d.users[u].name.to_string();
            iam.create_user(&name, &opts.tags).await?;
            Ok(done(Status::Created, Undo::DeleteUser { name }))
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
            let key = iam.create_access_key(d.users[u].name.as_str()).await.map_err(|e| match e {
                AwsError::Quota { action, resource, .. } => AwsError::Quota {
                    action,
                    resource,
                    message: "a user can have at most 2 access keys; delete one it no longer uses".into(),
                },
                other => other,
            })?;
            if let Err(e) = iam.describe_access_key(&key.user_name, &key.access_key_id, KEY_DESCRIPTION).await {
                // No orphan key: one whose step failed is deleted at once, its secret never shown.
                let _ = iam.delete_access_key(&key.user_name, &key.access_key_id).await;
                return Err(e);
            }
            let undo = Undo::DeleteAccessKey { user: key.user_name.clone(), id: key.access_key_id.clone() };
            Ok(Done { status: Status::Created, undo: Some(undo), key: Some(key) })
        }
        (kind, prior) => unreachable!("plan never pairs {kind:?} with {prior:?}"),
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

const FOREIGN: &str = "not created by pinpoint-iam-wizard (no ManagedBy tag): left alone";

/// Delete this tool's resources of the chosen setups, newest dependency first; anything else is left alone.
pub async fn destroy(iam: &Iam, desired: &Desired) -> Vec<DestroyItem> {
    let users = futures::future::join_all(desired.users.iter().map(|u| async move {
        let name = u.name.as_str();
        let outcome = async {
            let Some(state) = iam.get_user(name).await? else { return Ok(DestroyOutcome::Absent) };
            if !state.managed_by_us {
                return Ok(DestroyOutcome::Kept(FOREIGN.into()));
            }
            for k in &state.access_keys {
                iam.delete_access_key(name, &k.id).await?;
            }
            for arn in &state.attached {
                iam.detach_user_policy(name, arn).await?;
            }
            iam.delete_user(name).await?;
            Ok::<_, AwsError>(DestroyOutcome::Deleted)
        }
        .await;
        DestroyItem {
            kind: "user",
            name: name.into(),
            arn: u.arn.clone(),
            outcome: outcome.unwrap_or_else(DestroyOutcome::Failed),
        }
    }));
    let roles = futures::future::join_all(desired.roles.iter().map(|r| async move {
        let name = r.name.as_str();
        let outcome = async {
            let Some(state) = iam.get_role(name).await? else { return Ok(DestroyOutcome::Absent) };
            if !state.managed_by_us {
                return Ok(DestroyOutcome::Kept(FOREIGN.into()));
            }
            for arn in &state.attached {
                iam.detach_role_policy(name, arn).await?;
            }
            iam.delete_role(name).await?;
            Ok::<_, AwsError>(DestroyOutcome::Deleted)
        }
        .await;
        DestroyItem {
            kind: "role",
            name: name.into(),
            arn: r.arn.clone(),
            outcome: outcome.unwrap_or_else(DestroyOutcome::Failed),
        }
    }));
    let (mut items, roles) = tokio::join!(users, roles);
    items.extend(roles);
    let policies = futures::future::join_all(desired.policies.iter().map(|p| async move {
        let outcome = async {
            let Some(state) = iam.get_policy(&p.arn).await? else { return Ok(DestroyOutcome::Absent) };
            if !state.managed_by_us {
                return Ok(DestroyOutcome::Kept(FOREIGN.into()));
            }
            let left = iam.policy_entities(&p.arn).await?;
            let holders: Vec<String> = left
                .roles
                .iter()
                .map(|r| format!("role {r}"))
                .chain(left.users.iter().map(|u| format!("user {u}")))
                .chain(left.groups.iter().map(|g| format!("group {g}")))
                .collect();
            if !holders.is_empty() {
                return Ok(DestroyOutcome::Kept(format!(
                    "still attached to {}, which pinpoint-iam-wizard did not create: detach it there first",
                    holders.join(", ")
                )));
            }
            for v in iam.list_policy_versions(&p.arn).await?.iter().filter(|v| !v.is_default) {
                iam.delete_policy_version(&p.arn, &v.id).await?;
            }
            iam.delete_policy(&p.arn).await?;
            Ok::<_, AwsError>(DestroyOutcome::Deleted)
        }
        .await;
        DestroyItem {
            kind: "policy",
            name: p.name.to_string(),
            arn: p.arn.clone(),
            outcome: outcome.unwrap_or_else(DestroyOutcome::Failed),
        }
    }))
    .await;
    items.extend(policies);
    items
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
