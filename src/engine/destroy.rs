//! Destroy as a plan: what this tool made of the chosen setups, read and checked first, becomes delete steps
//! (keys and attachments before their users and roles, every attachment of a policy before the policy) that
//! the one executor runs, so signals, retries of IAM's lag, verification and the report work as in `apply`.

use super::lag::{self, Lag, still_held};
use super::rollback::gone_is_fine;
use super::step::Done;
use super::{ApplyOptions, Event, Status, StepError};
use crate::aws::AwsError;
use crate::aws::iam::{Entanglements, Iam, PolicyEntities, PolicyState, PolicyVersion, RoleState, UserState};
use crate::plan::{Action, Mode, Plan, PlanError, Prior, Step, StepKind, Target};
use crate::setup::{BoundaryArn, Desired, Params};
use futures::future::try_join_all;
use tokio::sync::mpsc::UnboundedSender;

const FOREIGN: &str = "not created by pinpoint-iam-wizard (no ManagedBy tag of ours): left alone";

/// What destroy found under one name.
enum Found<T> {
    Absent,
    Foreign,
    Ours(T),
}

impl<T> Found<T> {
    fn ours(&self) -> Option<&T> {
        match self {
            Found::Ours(t) => Some(t),
            _ => None,
        }
    }

    /// The step for the resource itself: deleted when ours, otherwise nothing to do.
    fn action(&self) -> (Action, String) {
        match self {
            Found::Absent => (Action::Absent, "does not exist".into()),
            Found::Foreign => (Action::Keep, FOREIGN.into()),
            Found::Ours(_) => (Action::Delete, "created by pinpoint-iam-wizard".into()),
        }
    }
}

/// Everything destroy reads before it decides: each resource, and what else holds on to it.
struct Reading {
    users: Vec<(Found<UserState>, Option<Entanglements>)>,
    roles: Vec<(Found<RoleState>, Option<Entanglements>)>,
    policies: Vec<PolicyReading>,
    /// Holders of our policies that destroy does not delete but that carry our tag: this tool made them under
    /// other names (`--name`), as (kind, name).
    renamed: Vec<(&'static str, String)>,
}

async fn read_user(iam: &Iam, name: &str) -> Result<(Found<UserState>, Option<Entanglements>), AwsError> {
    match iam.get_user(name).await? {
        None => Ok((Found::Absent, None)),
        Some(s) if !s.managed_by_us => Ok((Found::Foreign, None)),
        Some(s) => Ok((Found::Ours(s), Some(iam.user_entanglements(name).await?))),
    }
}

async fn read_role(iam: &Iam, name: &str) -> Result<(Found<RoleState>, Option<Entanglements>), AwsError> {
    match iam.get_role(name).await? {
        None => Ok((Found::Absent, None)),
        Some(s) if !s.managed_by_us => Ok((Found::Foreign, None)),
        Some(s) => Ok((Found::Ours(s), Some(iam.role_entanglements(name).await?))),
    }
}

/// Our policy with its versions, and who it is attached to.
type PolicyReading = (Found<(PolicyState, Vec<PolicyVersion>)>, Option<PolicyEntities>);

async fn read_policy(iam: &Iam, arn: &str) -> Result<PolicyReading, AwsError> {
    match iam.get_policy(arn).await? {
        None => Ok((Found::Absent, None)),
        Some(s) if !s.managed_by_us => Ok((Found::Foreign, None)),
        Some(s) => {
            let (entities, versions) = tokio::try_join!(iam.policy_entities(arn), iam.list_policy_versions(arn))?;
            Ok((Found::Ours((s, versions)), Some(entities)))
        }
    }
}

async fn read(iam: &Iam, desired: &Desired) -> Result<Reading, AwsError> {
    let (users, roles, policies) = tokio::try_join!(
        try_join_all(desired.users.iter().map(|u| read_user(iam, u.name.as_str()))),
        try_join_all(desired.roles.iter().map(|r| read_role(iam, r.name.as_str()))),
        try_join_all(desired.policies.iter().map(|p| read_policy(iam, &p.arn))),
    )?;
    Ok(Reading { users, roles, policies, renamed: vec![] })
}

/// Read the account and plan the deletion of what this tool made of the chosen setups (names only: no
/// document is rendered). What IAM would refuse, or what is not ours to remove, becomes a blocker: while any
/// is listed, the executor deletes nothing.
pub async fn plan_destroy(iam: &Iam, params: &Params) -> Result<Plan, PlanError> {
    let desired = params.names_only()?;
    let mut reading = read(iam, &desired).await?;
    reading.renamed = renamed(iam, &desired, &reading).await?;
    let blockers = blockers(&desired, &reading);
    let steps = steps(&desired, &reading);
    Ok(Plan { params: params.clone(), desired, steps, checked: true, mode: Mode::Destroy, blockers })
}

/// The delete steps, each after what must go first.
fn steps(desired: &Desired, reading: &Reading) -> Vec<Step> {
    let mut steps: Vec<Step> = Vec::new();
    let policy_index = |arn: &String| desired.policies.iter().position(|p| &p.arn == arn);
    let push = |steps: &mut Vec<Step>, kind, action, reason: String, deps, prior| {
        steps.push(Step { kind, action, reason, deps, prior });
        steps.len() - 1
    };
    // Keys and attachments first: a user or role with either cannot be deleted.
    let mut before_user = vec![Vec::new(); desired.users.len()];
    for (u, (found, _)) in reading.users.iter().enumerate() {
        let Some(state) = found.ours() else { continue };
        if !state.access_keys.is_empty() {
            let ids: Vec<&str> = state.access_keys.iter().map(|k| k.id.as_str()).collect();
            let reason = format!("deletes access key {}", ids.join(", "));
            let i =
                push(&mut steps, StepKind::AccessKey(u), Action::Delete, reason, vec![], Prior::User(state.clone()));
            before_user[u].push(i);
        }
        for p in state.attached.iter().filter_map(policy_index) {
            let kind = StepKind::Attach { policy: p, target: Target::User(u) };
            before_user[u].push(push(&mut steps, kind, Action::Delete, "detached".into(), vec![], Prior::Absent));
        }
    }
    let mut before_role = vec![Vec::new(); desired.roles.len()];
    for (r, (found, _)) in reading.roles.iter().enumerate() {
        let Some(state) = found.ours() else { continue };
        for p in state.attached.iter().filter_map(policy_index) {
            let kind = StepKind::Attach { policy: p, target: Target::Role(r) };
            before_role[r].push(push(&mut steps, kind, Action::Delete, "detached".into(), vec![], Prior::Absent));
        }
    }
    for (u, (found, _)) in reading.users.iter().enumerate() {
        let (action, reason) = found.action();
        let prior = found.ours().cloned().map(Prior::User).unwrap_or_default();
        push(&mut steps, StepKind::User(u), action, reason, before_user[u].clone(), prior);
    }
    for (r, (found, _)) in reading.roles.iter().enumerate() {
        let (action, reason) = found.action();
        let prior = found.ours().cloned().map(Prior::Role).unwrap_or_default();
        push(&mut steps, StepKind::Role(r), action, reason, before_role[r].clone(), prior);
    }
    for (p, (found, _)) in reading.policies.iter().enumerate() {
        let (action, reason) = found.action();
        let detaches: Vec<usize> = (0..steps.len())
            .filter(|i| matches!(steps[*i].kind, StepKind::Attach { policy, .. } if policy == p))
            .collect();
        let prior = match found.ours() {
            Some((state, versions)) => Prior::Policy { state: state.clone(), versions: versions.clone() },
            None => Prior::Absent,
        };
        push(&mut steps, StepKind::Policy(p), action, reason, detaches, prior);
    }
    steps
}

/// What would make IAM refuse a delete, or is not ours to remove.
fn blockers(desired: &Desired, reading: &Reading) -> Vec<String> {
    let ours_policies: Vec<&str> = desired.policies.iter().map(|p| p.arn.as_str()).collect();
    let mut out = Vec::new();
    for (u, (found, tangles)) in reading.users.iter().enumerate() {
        let Some(state) = found.ours() else { continue };
        let name = desired.users[u].name.as_str();
        for k in state.access_keys.iter().filter(|k| !state.our_keys.contains(&k.id)) {
            out.push(format!("user {name} has access key {}, which pinpoint-iam-wizard did not create", k.id));
        }
        let boundary =
            Boundaries { found: state.permissions_boundary.as_ref(), given: desired.users[u].boundary.as_ref() };
        out.extend(foreign_holds("user", name, &state.attached, boundary, &ours_policies));
        out.extend(tangles.iter().flat_map(|t| describe_entanglements("user", name, t)));
    }
    for (r, (found, tangles)) in reading.roles.iter().enumerate() {
        let Some(state) = found.ours() else { continue };
        let name = desired.roles[r].name.as_str();
        let boundary =
            Boundaries { found: state.permissions_boundary.as_ref(), given: desired.roles[r].boundary.as_ref() };
        out.extend(foreign_holds("role", name, &state.attached, boundary, &ours_policies));
        out.extend(tangles.iter().flat_map(|t| describe_entanglements("role", name, t)));
    }
    let deleted = |names: Vec<&str>, found: Vec<bool>| -> Vec<String> {
        names.into_iter().zip(found).filter(|(_, ours)| *ours).map(|(n, _)| n.to_string()).collect()
    };
    let users = deleted(
        desired.users.iter().map(|u| u.name.as_str()).collect(),
        reading.users.iter().map(|(f, _)| f.ours().is_some()).collect(),
    );
    let roles = deleted(
        desired.roles.iter().map(|r| r.name.as_str()).collect(),
        reading.roles.iter().map(|(f, _)| f.ours().is_some()).collect(),
    );
    for (p, (_, entities)) in reading.policies.iter().enumerate() {
        if let Some(e) = entities {
            let name = desired.policies[p].name.as_str();
            out.extend(policy_blockers(desired, name, e, (&users, &roles), &reading.renamed));
        }
    }
    out
}

/// A user's or role's permissions boundary: the one `--permissions-boundary` names (what apply put) is ours.
struct Boundaries<'a> {
    found: Option<&'a String>,
    given: Option<&'a BoundaryArn>,
}

/// Policies attached to our user or role that are not this setup's, and a permissions boundary not given.
fn foreign_holds(kind: &str, name: &str, attached: &[String], boundary: Boundaries, ours: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = attached
        .iter()
        .filter(|a| !ours.contains(&a.as_str()))
        .map(|arn| format!("{kind} {name} has policy {arn} attached, which is not one of this setup's"))
        .collect();
    if let Some(b) = boundary.found.filter(|b| boundary.given.map(BoundaryArn::as_str) != Some(b.as_str())) {
        out.push(format!(
            "{kind} {name} has permissions boundary {b} (pass --permissions-boundary {b} if pinpoint-iam-wizard put it)"
        ));
    }
    out
}

fn describe_entanglements(kind: &str, name: &str, t: &Entanglements) -> Vec<String> {
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

/// The users and roles holding our policies that destroy does not delete, read once more (only when there are
/// any) to tell this tool's own, made under other names, from anyone else's.
async fn renamed(iam: &Iam, desired: &Desired, reading: &Reading) -> Result<Vec<(&'static str, String)>, AwsError> {
    let named = |specs: Vec<&str>, found: Vec<bool>| -> Vec<String> {
        specs.into_iter().zip(found).filter(|(_, f)| *f).map(|(n, _)| n.to_string()).collect()
    };
    let users = named(
        desired.users.iter().map(|u| u.name.as_str()).collect(),
        reading.users.iter().map(|(f, _)| !matches!(f, Found::Absent)).collect(),
    );
    let roles = named(
        desired.roles.iter().map(|r| r.name.as_str()).collect(),
        reading.roles.iter().map(|(f, _)| !matches!(f, Found::Absent)).collect(),
    );
    let mut out = Vec::new();
    for (_, entities) in &reading.policies {
        let Some(e) = entities else { continue };
        for u in e.users.iter().filter(|u| !users.contains(u)) {
            if iam.get_user(u).await?.is_some_and(|s| s.managed_by_us) {
                out.push(("user", u.clone()));
            }
        }
        for r in e.roles.iter().filter(|r| !roles.contains(r)) {
            if iam.get_role(r).await?.is_some_and(|s| s.managed_by_us) {
                out.push(("role", r.clone()));
            }
        }
    }
    Ok(out)
}

/// What to say of a holder destroy does not delete: this tool's own under another name, or someone else's.
fn holder_hint(desired: &Desired, policy: &str, kind: &str, who: &str, renamed: &[(&'static str, String)]) -> String {
    if !renamed.iter().any(|(k, n)| *k == kind && n == who) {
        return String::new();
    }
    let field = match kind {
        "role" => desired.roles.iter().find(|r| r.policies.iter().any(|p| p.as_str() == policy)).map(|r| r.field),
        _ => desired.users.iter().find(|u| u.policies.iter().any(|p| p.as_str() == policy)).map(|u| u.field),
    };
    // A holder under the guide's own name was made by a run without that --name option.
    let option = field.filter(|f| f.default != who).map(|f| format!(" (--name {}={who})", f.option()));
    let option = option.unwrap_or_default();
    format!(
        ": {kind} {who} carries pinpoint-iam-wizard's tag, made under another name{option}; run destroy with the \
         same --name options as the apply that made it"
    )
}

/// A policy may be attached only to the users and roles destroy deletes with it.
fn policy_blockers(
    desired: &Desired,
    name: &str,
    e: &PolicyEntities,
    (ours_users, ours_roles): (&[String], &[String]),
    renamed: &[(&'static str, String)],
) -> Vec<String> {
    let not_deleted = |kind: &str, who: &String| {
        let hint = holder_hint(desired, name, kind, who, renamed);
        format!("policy {name} is attached to {kind} {who}, which destroy does not delete{hint}")
    };
    e.users
        .iter()
        .filter(|u| !ours_users.contains(u))
        .map(|u| not_deleted("user", u))
        .chain(e.roles.iter().filter(|r| !ours_roles.contains(r)).map(|r| not_deleted("role", r)))
        .chain(e.groups.iter().map(|g| format!("policy {name} is attached to group {g}")))
        .collect()
}

/// Run one delete step of a destroy plan.
pub(super) async fn run_delete(
    iam: &Iam,
    plan: &Plan,
    i: usize,
    opts: &ApplyOptions,
    events: &UnboundedSender<Event>,
) -> Result<Done, AwsError> {
    let step = &plan.steps[i];
    let d = &plan.desired;
    let lag = Lag::new(i, opts.consistency_wait, Some(events));
    match (step.kind, &step.prior) {
        (StepKind::AccessKey(u), Prior::User(state)) => {
            let user = d.users[u].name.as_str();
            for k in &state.access_keys {
                gone_is_fine(iam.delete_access_key(user, &k.id).await)?;
            }
            // Their description and marker tags go with them, once they are verified gone (NoSuchEntity may be
            // IAM's lag): a tag of a key that is gone is a leftover, and a key that stays keeps its marker.
            let listed = iam.access_keys(user).await?;
            for k in state.access_keys.iter().filter(|k| listed.iter().all(|l| l.id != k.id)) {
                gone_is_fine(iam.untag_access_key(user, &k.id).await)?;
            }
        }
        (StepKind::Attach { policy, target: Target::User(u) }, _) => {
            gone_is_fine(iam.detach_user_policy(d.users[u].name.as_str(), &d.policies[policy].arn).await)?;
        }
        (StepKind::Attach { policy, target: Target::Role(r) }, _) => {
            gone_is_fine(iam.detach_role_policy(d.roles[r].name.as_str(), &d.policies[policy].arn).await)?;
        }
        (StepKind::User(u), _) => {
            let name = d.users[u].name.as_str();
            lag::retry(lag, still_held, || async { gone_is_fine(iam.delete_user(name).await) }).await?;
        }
        (StepKind::Role(r), _) => {
            let name = d.roles[r].name.as_str();
            lag::retry(lag, still_held, || async { gone_is_fine(iam.delete_role(name).await) }).await?;
        }
        (StepKind::Policy(p), _) => {
            let arn = d.policies[p].arn.as_str();
            // Listed now, not from the plan: a version added since would make IAM refuse the delete.
            for v in iam.list_policy_versions(arn).await?.iter().filter(|v| !v.is_default) {
                gone_is_fine(iam.delete_policy_version(arn, &v.id).await)?;
            }
            lag::retry(lag, still_held, || async { gone_is_fine(iam.delete_policy(arn).await) }).await?;
        }
        // A user's keys without the user read (never planned), or a key command's step (run elsewhere).
        (StepKind::AccessKey(_) | StepKind::OldKey { .. }, _) => {}
    }
    Ok(Done { status: Status::Deleted, undo: vec![], key: None, failed: None })
}

/// Whether what step `was` deletes still exists, as `now` (a destroy plan read afterwards) shows.
fn still_there(now: &Plan, was: &Step) -> bool {
    match (was.kind, &was.prior) {
        (StepKind::AccessKey(u), Prior::User(before)) => {
            let deleted = |id: &String| before.access_keys.iter().any(|b| b.id == *id);
            // The user's own step reads it too, when it has no key left: a marker tag of a deleted key is what
            // the key step leaves as well.
            now.steps.iter().any(|s| match (&s.kind, &s.prior) {
                (StepKind::AccessKey(v) | StepKind::User(v), Prior::User(state)) if *v == u => {
                    state.access_keys.iter().any(|k| deleted(&k.id)) || state.our_keys.iter().any(deleted)
                }
                _ => false,
            })
        }
        (kind, _) => now.steps.iter().any(|s| s.kind == kind && s.action != Action::Absent),
    }
}

/// Read the account after a destroy that stopped early and set each delete step's status to what is true now:
/// `Deleted` only where it is verified gone; `Unknown` where the account could not be read.
pub(super) async fn verify_destroy(
    iam: &Iam,
    plan: &Plan,
    statuses: &mut [Status],
    events: &UnboundedSender<Event>,
) -> Result<(), StepError> {
    let deletes: Vec<usize> = (0..plan.steps.len()).filter(|i| plan.steps[*i].action == Action::Delete).collect();
    let now = match plan_destroy(iam, &plan.params).await {
        Ok(now) => now,
        Err(e) => {
            for &i in &deletes {
                if statuses[i] != Status::Skipped {
                    statuses[i] = Status::Unknown;
                }
            }
            return Err(e.into());
        }
    };
    for i in deletes {
        let verified = match (statuses[i], still_there(&now, &plan.steps[i])) {
            (_, false) => Status::Deleted,
            // Answered as done, yet there: say what is true.
            (Status::Deleted, true) => Status::Left,
            (other, true) => other,
        };
        if verified != statuses[i] {
            statuses[i] = verified;
            let _ = events.send(Event::Finished { step: i, status: verified });
        }
    }
    Ok(())
}
