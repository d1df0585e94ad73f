//! One step of an apply: the calls that create, update, adopt or attach, with IAM's lag retried.

use super::lag::{self, Lag, not_visible_yet};
use super::rollback::{Undo, keys_before};
use super::{ApplyOptions, Event, Status, StepError};
use crate::aws::AwsError;
use crate::aws::iam::{Iam, Placement, PolicyState, PolicyVersion, RoleState, UserState};
use crate::plan::{Action, Plan, Prior, StepKind, Target, oldest_to_prune};
use crate::secret::NewAccessKey;
use crate::setup::{BoundaryArn, IamPath, PolicySpec, RoleSpec, UserSpec};
use tokio::sync::mpsc::UnboundedSender;

/// What a step did: its status, how to undo it, and the key it made.
pub(super) struct Done {
    pub status: Status,
    pub undo: Vec<Undo>,
    pub key: Option<NewAccessKey>,
    /// The step failed, but left something this process holds and must hand over: a new key whose tagging
    /// failed and whose delete failed too (its secret is shown rather than lost).
    pub failed: Option<StepError>,
}

fn done(status: Status, undo: Undo) -> Done {
    Done { status, undo: vec![undo], key: None, failed: None }
}

/// What one step of an apply needs besides the plan: the client, the run's options, its id and where to report.
struct Ctx<'a> {
    iam: &'a Iam,
    opts: &'a ApplyOptions,
    run: &'a str,
    lag: Lag<'a>,
}

/// Run one step of an apply plan: create, update (or adopt), attach, or make the key.
pub(super) async fn run_step(
    iam: &Iam,
    plan: &Plan,
    i: usize,
    opts: &ApplyOptions,
    events: &UnboundedSender<Event>,
) -> Result<Done, StepError> {
    let step = &plan.steps[i];
    let d = &plan.desired;
    let run = opts.run_id.as_deref().unwrap_or_default();
    let cx = Ctx { iam, opts, run, lag: Lag::new(i, opts.consistency_wait, Some(events)) };
    let adopting = step.action == Action::Conflict;
    let finished = match (step.kind, &step.prior) {
        (StepKind::Policy(p), Prior::Absent) => create_policy(&cx, &d.policies[p]).await?,
        (StepKind::Policy(p), Prior::Policy { state, versions }) => {
            update_policy(&cx, &d.policies[p], state, versions, adopting).await?
        }
        (StepKind::Role(r), Prior::Absent) => create_role(&cx, &d.roles[r]).await?,
        (StepKind::Role(r), Prior::Role(current)) => update_role(&cx, &d.roles[r], current, adopting).await?,
        (StepKind::User(u), Prior::Absent) => create_user(&cx, &d.users[u]).await?,
        // An adopt (the user exists and is not ours yet), or its boundary or path differs.
        (StepKind::User(u), Prior::User(current)) => update_user(&cx, &d.users[u], current, adopting).await?,
        (StepKind::Attach { policy, target }, _) => attach(&cx, plan, policy, target).await?,
        (StepKind::AccessKey(u), _) => {
            let before = keys_before(plan, u);
            // A quota's answer keeps AWS's own words and request id: the quota may not be the default two keys.
            let (key, failed) =
                super::access_keys::create_reconciled(iam, d.users[u].name.as_str(), &before, run, cx.lag).await?;
            let undo = Undo::DeleteAccessKey { user: key.user_name.clone(), id: key.access_key_id.clone() };
            Done { status: Status::Created, undo: vec![undo], key: Some(key), failed }
        }
        _ => return Err(StepError::InvalidPlan { step: plan.label(i).to_string() }),
    };
    Ok(finished)
}

/// A create whose answer may have been lost: `EntityAlreadyExists` on a retry is this run's own create when
/// what exists carries this run's id (`read_run` reads it), and anyone else's otherwise.
async fn create_or_claim<R>(
    created: Result<String, AwsError>,
    run: &str,
    read_run: impl std::future::Future<Output = Result<Option<R>, AwsError>>,
    run_of: impl FnOnce(&R) -> Option<&String>,
) -> Result<(), AwsError> {
    match created {
        Ok(_) => Ok(()),
        Err(e) if e.is_already_exists() => match read_run.await? {
            Some(found) if run_of(&found).is_some_and(|r| r == run) => Ok(()),
            _ => Err(e),
        },
        Err(e) => Err(e),
    }
}

async fn create_policy(cx: &Ctx<'_>, spec: &PolicySpec) -> Result<Done, AwsError> {
    let (name, path) = (spec.name.as_str(), spec.path.as_str());
    let created = cx.iam.create_policy(name, &spec.document, path, &cx.opts.tags, cx.run).await;
    create_or_claim(created, cx.run, cx.iam.get_policy(&spec.arn), |s| s.run.as_ref()).await?;
    Ok(done(Status::Created, Undo::DeletePolicy { arn: spec.arn.clone(), sure: true }))
}

async fn create_role(cx: &Ctx<'_>, spec: &RoleSpec) -> Result<Done, AwsError> {
    let at = placement(&spec.path, spec.boundary.as_ref());
    let created = cx.iam.create_role(spec.name.as_str(), &spec.trust, at, &cx.opts.tags, cx.run).await;
    create_or_claim(created, cx.run, cx.iam.get_role(spec.name.as_str()), |s| s.run.as_ref()).await?;
    Ok(done(Status::Created, Undo::DeleteRole { name: spec.name.to_string(), sure: true }))
}

/// Where the guardrails put a new role or user.
fn placement<'a>(path: &'a IamPath, boundary: Option<&'a BoundaryArn>) -> Placement<'a> {
    Placement { path: path.as_str(), boundary: boundary.map(BoundaryArn::as_str) }
}

async fn create_user(cx: &Ctx<'_>, spec: &UserSpec) -> Result<Done, AwsError> {
    let name = spec.name.as_str();
    let at = placement(&spec.path, spec.boundary.as_ref());
    let created = cx.iam.create_user(name, at, &cx.opts.tags, cx.run).await;
    create_or_claim(created, cx.run, cx.iam.get_user(name), |s| s.run.as_ref()).await?;
    Ok(done(Status::Created, Undo::DeleteUser { name: name.to_string(), sure: true }))
}

/// A new default version (first pruning the version the plan named, at IAM's five), recorded as ours; and
/// the owner tags when adopting.
async fn update_policy(
    cx: &Ctx<'_>,
    spec: &PolicySpec,
    state: &PolicyState,
    versions: &[PolicyVersion],
    adopting: bool,
) -> Result<Done, AwsError> {
    let mut undo = Vec::new();
    if adopting {
        cx.iam.tag_policy(&spec.arn, &cx.opts.tags, cx.run).await?;
        undo.push(Undo::UntagPolicy { arn: spec.arn.clone() });
    }
    if crate::plan::same_document(&spec.document, &state.document) {
        return Ok(Done { status: Status::Updated, undo, key: None, failed: None });
    }
    // The plan named this version (and refused one this tool did not write, unless allowed).
    let pruned = oldest_to_prune(versions);
    if let Some(oldest) = &pruned {
        cx.iam.delete_policy_version(&spec.arn, oldest).await?;
    }
    let new = cx.iam.create_policy_version(&spec.arn, &spec.document).await?;
    undo.push(Undo::RestorePolicy {
        arn: spec.arn.clone(),
        previous: state.default_version.clone(),
        versions: versions.iter().map(|v| v.id.clone()).collect(),
    });
    let mut written: Vec<String> =
        state.versions_written.iter().filter(|v| Some(*v) != pruned.as_ref()).cloned().collect();
    written.push(new);
    cx.iam.record_versions(&spec.arn, &written).await?;
    Ok(Done { status: Status::Updated, undo, key: None, failed: None })
}

async fn update_role(cx: &Ctx<'_>, spec: &RoleSpec, current: &RoleState, adopting: bool) -> Result<Done, AwsError> {
    let name = spec.name.to_string();
    let mut undo = Vec::new();
    if adopting {
        cx.iam.tag_role(&name, &cx.opts.tags, cx.run).await?;
        undo.push(Undo::UntagRole { name: name.clone() });
    }
    if !crate::plan::same_document(&spec.trust, &current.trust) {
        cx.iam.update_trust(&name, &spec.trust).await?;
        undo.push(Undo::RestoreTrust { name: name.clone(), previous: current.trust.clone() });
    }
    let wanted = spec.boundary.as_ref().map(BoundaryArn::as_str);
    if wanted != current.permissions_boundary.as_deref() {
        cx.iam.set_role_boundary(&name, wanted).await?;
        undo.push(Undo::RestoreRoleBoundary { name, previous: current.permissions_boundary.clone() });
    }
    Ok(Done { status: Status::Updated, undo, key: None, failed: None })
}

/// Adopt the user (its owner tags), and bring its boundary and path to what the guardrails say.
async fn update_user(cx: &Ctx<'_>, spec: &UserSpec, current: &UserState, adopting: bool) -> Result<Done, AwsError> {
    let name = spec.name.to_string();
    let mut undo = Vec::new();
    if adopting {
        cx.iam.tag_user(&name, &cx.opts.tags, cx.run).await?;
        undo.push(Undo::UntagUser { name: name.clone() });
    }
    let wanted = spec.boundary.as_ref().map(BoundaryArn::as_str);
    if wanted != current.permissions_boundary.as_deref() {
        cx.iam.set_user_boundary(&name, wanted).await?;
        undo.push(Undo::RestoreUserBoundary { name: name.clone(), previous: current.permissions_boundary.clone() });
    }
    if spec.path.as_str() != current.path {
        cx.iam.set_user_path(&name, spec.path.as_str()).await?;
        undo.push(Undo::RestoreUserPath { name, previous: current.path.clone() });
    }
    Ok(Done { status: Status::Updated, undo, key: None, failed: None })
}

/// Attach, waiting out IAM's lag for a user or role this run created a moment ago.
async fn attach(cx: &Ctx<'_>, plan: &Plan, policy: usize, target: Target) -> Result<Done, AwsError> {
    let d = &plan.desired;
    let arn = d.policies[policy].arn.clone();
    let undo = match target {
        Target::Role(r) => {
            let role = d.roles[r].name.to_string();
            lag::retry(cx.lag, not_visible_yet, || cx.iam.attach_role_policy(&role, &arn)).await?;
            Undo::DetachRole { role, arn }
        }
        Target::User(u) => {
            let user = d.users[u].name.to_string();
            lag::retry(cx.lag, not_visible_yet, || cx.iam.attach_user_policy(&user, &arn)).await?;
            Undo::DetachUser { user, arn }
        }
    };
    Ok(done(Status::Created, undo))
}
