//! The plan: what each step will do against the account as it is now.

use crate::aws::AwsError;
use crate::aws::iam::{AccessKeyInfo, FoundRole, FoundUser, Iam, PolicyState, PolicyVersion, RoleState, UserState};
use crate::setup::{BoundaryArn, Desired, Params, RoleSpec, SetupError, UserSpec};
use futures::future::try_join_all;
use serde_json::Value;
use std::fmt;

/// What a step will do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Create,
    Unchanged,
    /// A new default policy version, or a new trust policy.
    Update,
    /// Exists and was not created by this tool (identical or not): apply refuses it unless adopted.
    Conflict,
    /// Planned without reading the account (no credentials or no network).
    NotChecked,
    /// Destroy: this tool's resource (or its key or attachment) is deleted.
    Delete,
    /// Destroy: nothing of that name exists.
    Absent,
    /// Destroy: it exists but is not this tool's, so it is left alone.
    Keep,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Unchanged => "unchanged",
            Action::Update => "update",
            Action::Conflict => "conflict",
            Action::NotChecked => "not checked",
            Action::Delete => "delete",
            Action::Absent => "absent",
            Action::Keep => "keep",
        }
    }

    /// Whether applying the step sends a write.
    pub fn writes(self) -> bool {
        !matches!(self, Action::Unchanged | Action::Absent | Action::Keep)
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which end of an attachment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    Role(usize),
    User(usize),
}

/// A unit of work; indexes point into the plan's [`Desired`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepKind {
    Policy(usize),
    Role(usize),
    User(usize),
    Attach {
        policy: usize,
        target: Target,
    },
    AccessKey(usize),
    /// rotate-key and retire-key: an access key the user already has, `key` indexing the keys of the user as
    /// the step's prior read them. `Delete` deletes it, `Update` deactivates it, `Conflict` adopts it.
    OldKey {
        user: usize,
        key: usize,
    },
}

/// What was read before deciding, kept for apply (versions to prune) and rollback (what to restore).
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Prior {
    #[default]
    Absent,
    Policy {
        state: PolicyState,
        versions: Vec<PolicyVersion>,
    },
    Role(RoleState),
    User(UserState),
}

impl Prior {
    /// Whether what was read exists and carries this tool's tag.
    pub fn is_ours(&self) -> bool {
        match self {
            Prior::Absent => false,
            Prior::Policy { state, .. } => state.managed_by_us,
            Prior::Role(r) => r.managed_by_us,
            Prior::User(u) => u.managed_by_us,
        }
    }
}

/// One step of the plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub kind: StepKind,
    pub action: Action,
    pub reason: String,
    /// Steps that must finish first.
    pub deps: Vec<usize>,
    pub prior: Prior,
}

/// What a plan does: set the setups up, or delete what this tool made of them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    #[default]
    Apply,
    Destroy,
    /// rotate-key or retire-key: one user's access keys.
    Keys,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Apply => "apply",
            Mode::Destroy => "destroy",
            Mode::Keys => "keys",
        }
    }
}

/// The plan for the chosen setups.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub params: Params,
    pub desired: Desired,
    pub steps: Vec<Step>,
    /// False when the account was not read.
    pub checked: bool,
    pub mode: Mode,
    /// Destroy: what IAM would refuse to delete with ours, or what is not ours to remove. While any is
    /// listed, the executor deletes nothing.
    pub blockers: Vec<String>,
}

/// How a step is named in tables, JSON and the TUI.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepLabel {
    pub kind: &'static str,
    pub name: String,
    pub arn: String,
}

impl fmt::Display for StepLabel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.kind, self.name)
    }
}

impl Plan {
    pub fn label(&self, i: usize) -> StepLabel {
        let d = &self.desired;
        let target_name = |t: Target| match t {
            Target::Role(r) => d.roles[r].name.to_string(),
            Target::User(u) => d.users[u].name.to_string(),
        };
        match self.steps[i].kind {
            StepKind::Policy(p) => {
                StepLabel { kind: "policy", name: d.policies[p].name.to_string(), arn: d.policies[p].arn.clone() }
            }
            StepKind::Role(r) => {
                StepLabel { kind: "role", name: d.roles[r].name.to_string(), arn: d.roles[r].arn.clone() }
            }
            StepKind::User(u) => {
                StepLabel { kind: "user", name: d.users[u].name.to_string(), arn: d.users[u].arn.clone() }
            }
            StepKind::Attach { policy, target } => StepLabel {
                kind: "attachment",
                name: format!("{} -> {}", d.policies[policy].name, target_name(target)),
                arn: d.policies[policy].arn.clone(),
            },
            StepKind::AccessKey(u) => {
                StepLabel { kind: "access_key", name: d.users[u].name.to_string(), arn: d.users[u].arn.clone() }
            }
            StepKind::OldKey { user, .. } => StepLabel {
                kind: "access_key",
                name: self.old_key(i).map(|k| k.id.clone()).unwrap_or_default(),
                arn: d.users[user].arn.clone(),
            },
        }
    }

    /// The existing access key an [`StepKind::OldKey`] step acts on, as its prior read it.
    pub fn old_key(&self, i: usize) -> Option<&AccessKeyInfo> {
        match (self.steps[i].kind, &self.steps[i].prior) {
            (StepKind::OldKey { key, .. }, Prior::User(state)) => state.access_keys.get(key),
            _ => None,
        }
    }

    /// The IAM actions applying step `i` sends (what the caller needs permission for), reads not included.
    pub fn calls(&self, i: usize) -> Vec<&'static str> {
        let step = &self.steps[i];
        let adopt = step.action == Action::Conflict;
        let mut calls = match (step.kind, step.action) {
            (_, Action::Unchanged | Action::Absent | Action::Keep) => vec![],
            (StepKind::OldKey { .. }, Action::Delete) => vec!["iam:DeleteAccessKey", "iam:UntagUser"],
            (StepKind::OldKey { .. }, Action::Update) => vec!["iam:UpdateAccessKey"],
            (StepKind::OldKey { .. }, _) => vec![],
            (StepKind::Policy(_), Action::Delete) => vec!["iam:DeletePolicyVersion", "iam:DeletePolicy"],
            (StepKind::Role(_), Action::Delete) => vec!["iam:DeleteRole"],
            (StepKind::User(_), Action::Delete) => vec!["iam:DeleteUser"],
            (StepKind::Attach { target: Target::Role(_), .. }, Action::Delete) => vec!["iam:DetachRolePolicy"],
            (StepKind::Attach { target: Target::User(_), .. }, Action::Delete) => vec!["iam:DetachUserPolicy"],
            (StepKind::AccessKey(_), Action::Delete) => vec!["iam:DeleteAccessKey"],
            (StepKind::Policy(_), Action::Create | Action::NotChecked) => vec!["iam:CreatePolicy"],
            (StepKind::Policy(_), _) if self.pruned(i).is_some() => {
                vec!["iam:DeletePolicyVersion", "iam:CreatePolicyVersion", "iam:TagPolicy"]
            }
            (StepKind::Policy(_), _) => vec!["iam:CreatePolicyVersion", "iam:TagPolicy"],
            (StepKind::Role(_), Action::Create | Action::NotChecked) => vec!["iam:CreateRole"],
            (StepKind::Role(r), _) => self.role_update_calls(i, r),
            (StepKind::User(_), Action::Create | Action::NotChecked) => vec!["iam:CreateUser"],
            (StepKind::User(u), _) => self.user_update_calls(i, u),
            (StepKind::Attach { target: Target::Role(_), .. }, _) => vec!["iam:AttachRolePolicy"],
            (StepKind::Attach { target: Target::User(_), .. }, _) => vec!["iam:AttachUserPolicy"],
            (StepKind::AccessKey(_), _) => vec!["iam:CreateAccessKey", "iam:TagUser"],
        };
        let tag = match step.kind {
            StepKind::Policy(_) => "iam:TagPolicy",
            StepKind::Role(_) => "iam:TagRole",
            _ => "iam:TagUser",
        };
        if adopt && !calls.contains(&tag) {
            calls.push(tag);
        }
        calls
    }

    /// What updating role `r` (step `i`) sends: its trust, its boundary, each only where it differs.
    fn role_update_calls(&self, i: usize, r: usize) -> Vec<&'static str> {
        let spec = &self.desired.roles[r];
        let Prior::Role(current) = &self.steps[i].prior else { return vec!["iam:UpdateAssumeRolePolicy"] };
        let mut calls = vec![];
        if !same_document(&spec.trust, &current.trust) {
            calls.push("iam:UpdateAssumeRolePolicy");
        }
        match boundary_change(spec.boundary.as_ref(), current.permissions_boundary.as_deref()) {
            Some(Some(_)) => calls.push("iam:PutRolePermissionsBoundary"),
            Some(None) => calls.push("iam:DeleteRolePermissionsBoundary"),
            None => {}
        }
        calls
    }

    /// What updating user `u` (step `i`) sends: its boundary and its path, each only where it differs.
    fn user_update_calls(&self, i: usize, u: usize) -> Vec<&'static str> {
        let spec = &self.desired.users[u];
        let Prior::User(current) = &self.steps[i].prior else { return vec![] };
        let mut calls = vec![];
        match boundary_change(spec.boundary.as_ref(), current.permissions_boundary.as_deref()) {
            Some(Some(_)) => calls.push("iam:PutUserPermissionsBoundary"),
            Some(None) => calls.push("iam:DeleteUserPermissionsBoundary"),
            None => {}
        }
        if spec.path.as_str() != current.path {
            calls.push("iam:UpdateUser");
        }
        calls
    }

    /// Roles and policies that exist under another path than the one wanted: IAM cannot move them, so apply
    /// refuses them (no adopt helps): they would have to be deleted and created again.
    pub fn misplaced(&self) -> impl Iterator<Item = usize> + '_ {
        let d = &self.desired;
        self.steps.iter().enumerate().filter(|_| self.mode == Mode::Apply).filter_map(move |(i, s)| {
            let moved = match (s.kind, &s.prior) {
                (StepKind::Policy(p), Prior::Policy { state, .. }) => state.arn != d.policies[p].arn,
                (StepKind::Role(r), Prior::Role(state)) => state.path != d.roles[r].path.as_str(),
                _ => false,
            };
            moved.then_some(i)
        })
    }

    /// The steps longest chain first: each step's own calls plus the longest chain of steps that wait for it.
    /// Steps that become ready together are sent in this order, so the emulator or a busy IAM answers first the
    /// ones the run's end depends on (the user before the policies: its key and the key's description follow).
    pub fn critical_order(&self) -> Vec<usize> {
        let n = self.steps.len();
        let mut chain = vec![0usize; n];
        // Dependencies always come earlier in the plan, so one pass from the end sees every dependent first.
        for i in (0..n).rev() {
            let after = (i + 1..n).filter(|j| self.steps[*j].deps.contains(&i)).map(|j| chain[j]).max();
            chain[i] = self.calls(i).len() + after.unwrap_or(0);
        }
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by_key(|i| std::cmp::Reverse(chain[*i]));
        order
    }

    /// Conflicts with resources another tool owns (a `ManagedBy` tag not ours): never adopted.
    pub fn owned_elsewhere(&self) -> impl Iterator<Item = (usize, &str)> + '_ {
        self.steps.iter().enumerate().filter(|(_, s)| s.action == Action::Conflict).filter_map(|(i, s)| {
            let owner = match &s.prior {
                Prior::Policy { state, .. } => state.owner.as_deref(),
                Prior::Role(r) => r.owner.as_deref(),
                Prior::User(u) => u.owner.as_deref(),
                Prior::Absent => None,
            };
            owner.map(|o| (i, o))
        })
    }

    /// Conflicts an adopt resolves: resources that exist and were not created by this tool.
    pub fn conflicts(&self) -> impl Iterator<Item = usize> + '_ {
        self.steps
            .iter()
            .enumerate()
            // A key adopted on our user is not ours either, though its prior (the user) is.
            .filter(|(_, s)| {
                s.action == Action::Conflict && (matches!(s.kind, StepKind::OldKey { .. }) || !s.prior.is_ours())
            })
            .map(|(i, _)| i)
    }

    /// Updates of this tool's policies that would have to delete a version it did not write: no adopt
    /// resolves them, only `--prune-foreign-versions`.
    pub fn foreign_versions(&self) -> impl Iterator<Item = usize> + '_ {
        self.steps
            .iter()
            .enumerate()
            .filter(|(_, s)| matches!(s.kind, StepKind::Policy(_)) && s.action == Action::Conflict && s.prior.is_ours())
            .map(|(i, _)| i)
            .filter(|i| !self.misplaced().any(|m| m == *i))
    }

    /// The version step `i` deletes first to make room at IAM's five, if any.
    pub fn pruned(&self, i: usize) -> Option<&PolicyVersion> {
        match (&self.steps[i].prior, self.steps[i].action) {
            (Prior::Policy { state, versions }, Action::Update | Action::Conflict) => {
                prune(state, versions).map(|p| p.version)
            }
            _ => None,
        }
    }

    pub fn writes(&self) -> usize {
        self.steps.iter().filter(|s| s.action.writes()).count()
    }
}

/// The steps in order, with their dependencies, before anything is read.
fn skeleton(desired: &Desired) -> Vec<(StepKind, Vec<usize>)> {
    let mut steps: Vec<(StepKind, Vec<usize>)> = Vec::new();
    let np = desired.policies.len();
    let nr = desired.roles.len();
    steps.extend((0..np).map(|p| (StepKind::Policy(p), vec![])));
    steps.extend((0..nr).map(|r| (StepKind::Role(r), vec![])));
    steps.extend((0..desired.users.len()).map(|u| (StepKind::User(u), vec![])));
    // Every attached policy is one of the desired ones (setup/ builds them together); one that is not has no
    // step to attach.
    let policy_index = |name| desired.policies.iter().position(|p| &p.name == name);
    for (r, role) in desired.roles.iter().enumerate() {
        for p in role.policies.iter().filter_map(policy_index) {
            steps.push((StepKind::Attach { policy: p, target: Target::Role(r) }, vec![p, np + r]));
        }
    }
    for (u, user) in desired.users.iter().enumerate() {
        for p in user.policies.iter().filter_map(policy_index) {
            steps.push((StepKind::Attach { policy: p, target: Target::User(u) }, vec![p, np + nr + u]));
        }
    }
    for (u, _) in desired.users.iter().enumerate().filter(|(_, user)| user.access_key) {
        steps.push((StepKind::AccessKey(u), vec![np + nr + u]));
    }
    steps
}

/// A plan that reads nothing: every step not checked.
pub fn offline(params: &Params) -> Result<Plan, SetupError> {
    let desired = params.desired()?;
    let steps = skeleton(&desired)
        .into_iter()
        .map(|(kind, deps)| Step {
            kind,
            action: Action::NotChecked,
            reason: "the account was not read".into(),
            deps,
            prior: Prior::Absent,
        })
        .collect();
    Ok(Plan { params: params.clone(), desired, steps, checked: false, mode: Mode::Apply, blockers: vec![] })
}

/// Why no plan could be made.
#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error(transparent)]
    Setup(#[from] SetupError),
    #[error(transparent)]
    Aws(#[from] AwsError),
}

const NOT_OURS: &str = "exists and was not created by pinpoint-iam-wizard (no ManagedBy tag); adopt it to take it over";

/// Why an existing resource is not ours: untagged (adoptable), or owned by another tool (never adoptable).
fn not_ours(owner: Option<&String>) -> String {
    match owner {
        None => NOT_OURS.to_string(),
        Some(o) => format!(
            "exists and belongs to {o} (ManagedBy={o}): change it through {o}, or give ours other names; it cannot \
             be adopted"
        ),
    }
}

/// Two policy documents mean the same: keys in any order, string lists in any order, and a one-item list
/// equal to its item (IAM may return either form).
pub fn same_document(a: &Value, b: &Value) -> bool {
    canonical(a) == canonical(b)
}

fn canonical(v: &Value) -> Value {
    match v {
        Value::Array(items) if items.len() == 1 => canonical(&items[0]),
        Value::Array(items) => {
            let mut out: Vec<Value> = items.iter().map(canonical).collect();
            if out.iter().all(Value::is_string) {
                out.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
            }
            Value::Array(out)
        }
        Value::Object(map) => Value::Object(map.iter().map(|(k, v)| (k.clone(), canonical(v))).collect()),
        other => other.clone(),
    }
}

/// The decision for a policy, from what exists.
pub fn decide_policy(wanted: &Value, current: Option<&PolicyState>) -> (Action, String) {
    match current {
        None => (Action::Create, "does not exist".into()),
        Some(s) if !s.managed_by_us => {
            let same = if same_document(wanted, &s.document) { "same" } else { "a different" };
            (Action::Conflict, format!("{} ({same} document)", not_ours(s.owner.as_ref())))
        }
        Some(s) if same_document(wanted, &s.document) => {
            (Action::Unchanged, format!("default version {} matches", s.default_version))
        }
        Some(s) => (Action::Update, format!("default version {} differs: a new default version", s.default_version)),
    }
}

/// How a boundary must change: `None` when it is as wanted, `Some(None)` to remove it, `Some(Some(arn))` to put it.
pub fn boundary_change<'a>(wanted: Option<&'a BoundaryArn>, current: Option<&str>) -> Option<Option<&'a str>> {
    let wanted = wanted.map(BoundaryArn::as_str);
    (wanted != current).then_some(wanted)
}

/// What a differing boundary does, for the plan's reason.
fn boundary_reason(wanted: Option<&BoundaryArn>, current: Option<&str>) -> Option<String> {
    match (boundary_change(wanted, current)?, current) {
        (Some(new), None) => Some(format!("permissions boundary {new} will be put")),
        (Some(new), Some(old)) => Some(format!("permissions boundary {old} will be replaced by {new}")),
        (None, Some(old)) => Some(format!("permissions boundary {old} will be removed (none is wanted)")),
        (None, None) => None,
    }
}

/// Why a role or policy under another path cannot be updated in place: IAM cannot move it.
fn misplaced_reason(kind: &str, found: &str, wanted: &str) -> String {
    format!(
        "exists under path {found}, not {wanted}: IAM cannot change a {kind}'s path, so it would have to be \
         deleted and created again under {wanted} (destroy --path {found}, then apply --path {wanted}); nothing \
         is done silently"
    )
}

/// The path of a policy's ARN (`arn:aws:iam::1:policy/a/b/Name` is `/a/b/`).
fn arn_path(arn: &str) -> &str {
    let resource = arn.splitn(6, ':').nth(5).unwrap_or_default();
    let from = resource.find('/').unwrap_or(0);
    let to = resource.rfind('/').map_or(from, |t| t + 1);
    &resource[from..to]
}

/// IAM keeps at most 5 versions of a policy: the oldest non-default one makes room for a new one.
pub fn oldest_to_prune(versions: &[PolicyVersion]) -> Option<String> {
    if versions.len() < 5 {
        return None;
    }
    versions.iter().filter(|v| !v.is_default).min_by_key(|v| v.created).map(|v| v.id.clone())
}

/// The version an update of this policy must delete first (IAM keeps at most five), and whether it may.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prune<'a> {
    pub version: &'a PolicyVersion,
    /// Written by this tool (recorded in the policy's versions tag).
    pub ours: bool,
}

/// What updating a policy would prune, from what the plan read.
pub fn prune<'a>(state: &PolicyState, versions: &'a [PolicyVersion]) -> Option<Prune<'a>> {
    let id = oldest_to_prune(versions)?;
    let version = versions.iter().find(|v| v.id == id)?;
    Some(Prune { version, ours: state.versions_written.contains(&version.id) })
}

/// The reason and action of a policy update that must first make room at IAM's five versions: the version
/// it deletes, named with its date; a version this tool did not write is a conflict unless allowed.
fn decide_prune(action: Action, reason: String, prune: Option<Prune>, allowed: bool) -> (Action, String) {
    let Some(p) = prune.filter(|_| action == Action::Update) else { return (action, reason) };
    let v = p.version;
    match (p.ours, allowed) {
        (true, _) => (
            action,
            format!(
                "{reason}; IAM keeps five versions, so version {} of {} (written by \
            pinpoint-iam-wizard) is deleted first",
                v.id, v.created_at
            ),
        ),
        (false, true) => (
            action,
            format!(
                "{reason}; IAM keeps five versions, so version {} of {}, which \
            pinpoint-iam-wizard did not write, is deleted first (--prune-foreign-versions)",
                v.id, v.created_at
            ),
        ),
        (false, false) => (
            Action::Conflict,
            format!(
                "{reason}, but IAM keeps five versions and the oldest that \
            could make room, {} of {}, was not written by pinpoint-iam-wizard: pass --prune-foreign-versions to \
            delete it",
                v.id, v.created_at
            ),
        ),
    }
}

/// The decision for a role: its path, its trust policy and its permissions boundary.
pub fn decide_role(wanted: &RoleSpec, current: Option<&RoleState>) -> (Action, String) {
    let Some(r) = current else { return (Action::Create, "does not exist".into()) };
    if r.path != wanted.path.as_str() {
        return (Action::Conflict, misplaced_reason("role", &r.path, wanted.path.as_str()));
    }
    let same_trust = same_document(&wanted.trust, &r.trust);
    if !r.managed_by_us {
        let same = if same_trust { "same" } else { "a different" };
        return (Action::Conflict, format!("{} ({same} trust policy)", not_ours(r.owner.as_ref())));
    }
    let mut changes: Vec<String> = Vec::new();
    if !same_trust {
        changes.push("trust policy differs: it will be replaced".into());
    }
    changes.extend(boundary_reason(wanted.boundary.as_ref(), r.permissions_boundary.as_deref()));
    if changes.is_empty() {
        (Action::Unchanged, "trust policy matches".into())
    } else {
        (Action::Update, changes.join("; "))
    }
}

/// The decision for a user: ours or not, its permissions boundary and its path (a user's path can change).
pub fn decide_user(wanted: &UserSpec, current: Option<&UserState>) -> (Action, String) {
    let Some(u) = current else { return (Action::Create, "does not exist".into()) };
    if !u.managed_by_us {
        return (Action::Conflict, not_ours(u.owner.as_ref()));
    }
    let mut changes: Vec<String> = Vec::new();
    changes.extend(boundary_reason(wanted.boundary.as_ref(), u.permissions_boundary.as_deref()));
    if u.path != wanted.path.as_str() {
        changes.push(format!("path {} will be changed to {} (UpdateUser)", u.path, wanted.path));
    }
    if changes.is_empty() { (Action::Unchanged, "exists".into()) } else { (Action::Update, changes.join("; ")) }
}

/// What the account holds under the setup's names, read before the account id is known: roles and users by
/// name, policies from the account's listing. It goes out together with STS, so a run from an empty account
/// knows everything after one round trip.
#[derive(Debug)]
pub struct Found {
    /// ARN → default version of every managed policy of the account; `None` when it could not be listed.
    policies: Option<std::collections::HashMap<String, String>>,
    roles: Vec<Option<FoundRole>>,
    users: Vec<Option<FoundUser>>,
}

/// Read what does not need the account id (see [`Found`]).
pub async fn look_up(iam: &Iam, desired: &Desired) -> Result<Found, AwsError> {
    let (policies, roles, users) = tokio::try_join!(
        iam.local_policies(),
        try_join_all(desired.roles.iter().map(|r| iam.find_role(r.name.as_str()))),
        try_join_all(desired.users.iter().map(|u| iam.find_user(u.name.as_str()))),
    )?;
    Ok(Found { policies, roles, users })
}

/// The listed policy of this ARN, or else of this name under another path (IAM policy names are unique in an
/// account whatever their path): its ARN and default version.
fn listed_policy<'a>(
    listed: &'a std::collections::HashMap<String, String>,
    arn: &str,
    name: &str,
) -> Option<(&'a str, &'a str)> {
    if let Some((a, v)) = listed.get_key_value(arn) {
        return Some((a.as_str(), v.as_str()));
    }
    let named = |a: &String| a.rsplit('/').next().is_some_and(|n| n.eq_ignore_ascii_case(name));
    listed.iter().find(|(a, _)| named(a)).map(|(a, v)| (a.as_str(), v.as_str()))
}

/// Read the account and decide every step.
pub async fn plan(iam: &Iam, params: &Params) -> Result<Plan, PlanError> {
    let found = look_up(iam, &params.desired()?).await?;
    decide(iam, params, found).await
}

/// Finish reading (the policies, now that the account id and so their ARNs are known; the attachments and keys
/// of the roles and users that exist, which an empty account does not send for) and decide every step.
pub async fn decide(iam: &Iam, params: &Params, found: Found) -> Result<Plan, PlanError> {
    let desired = params.desired()?;
    let Found { policies: listed, roles, users } = found;
    let (policies, roles, users) = tokio::try_join!(
        try_join_all(desired.policies.iter().map(|p| async {
            let state = match listed.as_ref().map(|l| listed_policy(l, &p.arn, p.name.as_str())) {
                // Not among the account's policies: absent, nothing more to read.
                Some(None) => None,
                // Under the path wanted or, by its name, under another (which the plan refuses).
                Some(Some((arn, version))) => iam.get_listed_policy(arn, version).await?,
                None => iam.get_policy(&p.arn).await?,
            };
            let versions = match &state {
                Some(s) if !same_document(&p.document, &s.document) => iam.list_policy_versions(&s.arn).await?,
                _ => vec![],
            };
            Ok::<_, AwsError>(state.map(|state| Prior::Policy { state, versions }))
        })),
        try_join_all(roles.into_iter().map(|r| async move {
            match r {
                Some(found) => found.complete(iam).await,
                None => Ok(None),
            }
        })),
        try_join_all(users.into_iter().map(|u| async move {
            match u {
                Some(found) => found.complete(iam).await,
                None => Ok(None),
            }
        })),
    )?;
    let steps = skeleton(&desired)
        .into_iter()
        .map(|(kind, deps)| {
            let (action, reason, prior) = match kind {
                StepKind::Policy(p) => {
                    let prior = policies[p].clone().unwrap_or_default();
                    let state = match &prior {
                        Prior::Policy { state, .. } => Some(state),
                        _ => None,
                    };
                    let (a, r) = match state {
                        Some(s) if s.arn != desired.policies[p].arn => {
                            let wanted = desired.policies[p].path.as_str();
                            (Action::Conflict, misplaced_reason("policy", arn_path(&s.arn), wanted))
                        }
                        _ => decide_policy(&desired.policies[p].document, state),
                    };
                    let pruned = match &prior {
                        Prior::Policy { state, versions } => prune(state, versions),
                        _ => None,
                    };
                    let (a, r) = decide_prune(a, r, pruned, params.prune_foreign_versions);
                    (a, r, prior)
                }
                StepKind::Role(r) => {
                    let (a, why) = decide_role(&desired.roles[r], roles[r].as_ref());
                    (a, why, roles[r].clone().map(Prior::Role).unwrap_or_default())
                }
                StepKind::User(u) => {
                    let (a, why) = decide_user(&desired.users[u], users[u].as_ref());
                    (a, why, users[u].clone().map(Prior::User).unwrap_or_default())
                }
                StepKind::Attach { policy, target } => {
                    let arn = &desired.policies[policy].arn;
                    let attached = match target {
                        Target::Role(r) => roles[r].as_ref().map(|s| &s.attached),
                        Target::User(u) => users[u].as_ref().map(|s| &s.attached),
                    };
                    match attached {
                        Some(list) if list.contains(arn) => {
                            (Action::Unchanged, "already attached".into(), Prior::Absent)
                        }
                        _ => (Action::Create, "not attached".into(), Prior::Absent),
                    }
                }
                StepKind::AccessKey(u) => match users[u].as_ref().map(|s| s.access_keys.as_slice()) {
                    Some([first, ..]) => (
                        Action::Unchanged,
                        format!(
                            "{} already has access key {}; its secret cannot be shown again \
                             (a new key: rotate-key, or n in the wizard)",
                            desired.users[u].name, first.id
                        ),
                        Prior::Absent,
                    ),
                    _ => (Action::Create, "a new key; its secret is shown once".into(), Prior::Absent),
                },
                // The skeleton has no key-command steps (those are planned from the user alone).
                StepKind::OldKey { .. } => (Action::NotChecked, String::new(), Prior::Absent),
            };
            Step { kind, action, reason, deps, prior }
        })
        .collect();
    Ok(Plan { params: params.clone(), desired, steps, checked: true, mode: Mode::Apply, blockers: vec![] })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::setup::Selection;
    use serde_json::json;

    fn params() -> Params {
        Params::example(Selection::all())
    }

    fn state(doc: Value, ours: bool) -> PolicyState {
        PolicyState {
            arn: "arn".into(),
            default_version: "v1".into(),
            document: doc,
            managed_by_us: ours,
            owner: None,
            run: None,
            versions_written: vec![],
            tag_keys: vec![],
        }
    }

    #[test]
    fn documents_compare_as_json_not_text() {
        let a = json!({"Version": "2012-10-17", "Statement": [{"Action": ["b", "a"], "Resource": "*"}]});
        let b = json!({"Statement": [{"Resource": ["*"], "Action": ["a", "b"]}], "Version": "2012-10-17"});
        assert!(same_document(&a, &b));
        assert!(!same_document(&a, &json!({"Version": "2012-10-17", "Statement": [{"Action": "a", "Resource": "*"}]})));
    }

    #[test]
    fn policy_decisions() {
        let doc = json!({"Statement": [{"Action": "s3:GetObject"}]});
        let other = json!({"Statement": [{"Action": "s3:PutObject"}]});
        assert_eq!(decide_policy(&doc, None).0, Action::Create);
        assert_eq!(decide_policy(&doc, Some(&state(doc.clone(), true))).0, Action::Unchanged);
        // Someone else's policy is a conflict even when it is identical: never ours to change.
        assert_eq!(decide_policy(&doc, Some(&state(doc.clone(), false))).0, Action::Conflict);
        assert_eq!(decide_policy(&doc, Some(&state(other.clone(), true))).0, Action::Update);
        let (a, why) = decide_policy(&doc, Some(&state(other, false)));
        assert_eq!(a, Action::Conflict);
        assert!(why.contains("adopt"));
    }

    #[test]
    fn role_decisions() {
        let mut p = params();
        p.setup = "segment-import".parse().unwrap();
        let spec = p.desired().unwrap().roles[0].clone();
        let role = |t: &Value, ours| RoleState {
            arn: "a".into(),
            trust: t.clone(),
            managed_by_us: ours,
            owner: None,
            run: None,
            attached: vec![],
            permissions_boundary: None,
            tag_keys: vec![],
            path: "/".into(),
        };
        assert_eq!(decide_role(&spec, None).0, Action::Create);
        assert_eq!(decide_role(&spec, Some(&role(&spec.trust, true))).0, Action::Unchanged);
        assert_eq!(decide_role(&spec, Some(&role(&spec.trust, false))).0, Action::Conflict);
        let other = json!({"Statement": []});
        assert_eq!(decide_role(&spec, Some(&role(&other, true))).0, Action::Update);
        assert_eq!(decide_role(&spec, Some(&role(&other, false))).0, Action::Conflict);
    }

    #[test]
    fn a_differing_boundary_is_an_update_and_a_roles_differing_path_a_conflict_naming_the_recreate() {
        let mut p = params();
        p.setup = "segment-import".parse().unwrap();
        p.boundary = Some("arn:aws:iam::aws:policy/PowerUserAccess".parse().unwrap());
        p.path = "/teams/messaging/".parse().unwrap();
        let spec = p.desired().unwrap().roles[0].clone();
        let role = |boundary: Option<&str>, path: &str| RoleState {
            arn: "a".into(),
            trust: spec.trust.clone(),
            managed_by_us: true,
            owner: None,
            run: None,
            attached: vec![],
            permissions_boundary: boundary.map(String::from),
            tag_keys: vec![],
            path: path.into(),
        };
        let wanted = "arn:aws:iam::aws:policy/PowerUserAccess";
        assert_eq!(decide_role(&spec, Some(&role(Some(wanted), "/teams/messaging/"))).0, Action::Unchanged);
        let (a, why) = decide_role(&spec, Some(&role(None, "/teams/messaging/")));
        assert_eq!(a, Action::Update);
        assert!(why.contains("permissions boundary arn:aws:iam::aws:policy/PowerUserAccess will be put"), "{why}");
        let (a, why) = decide_role(&spec, Some(&role(Some("arn:aws:iam::aws:policy/Old"), "/teams/messaging/")));
        assert_eq!(a, Action::Update);
        assert!(why.contains("arn:aws:iam::aws:policy/Old will be replaced"), "{why}");
        let (a, why) = decide_role(&spec, Some(&role(Some(wanted), "/")));
        assert_eq!(a, Action::Conflict);
        assert!(
            why.contains("under path /, not /teams/messaging/") && why.contains("deleted and created again"),
            "{why}"
        );
        // No boundary wanted: one that is there is removed.
        let mut plain = spec.clone();
        plain.boundary = None;
        let (a, why) = decide_role(&plain, Some(&role(Some(wanted), "/teams/messaging/")));
        assert_eq!((a, why.contains("will be removed")), (Action::Update, true), "{why}");
    }

    #[test]
    fn a_users_differing_boundary_or_path_is_an_update() {
        let mut p = params();
        p.setup = "postman".parse().unwrap();
        p.path = "/teams/".parse().unwrap();
        let spec = p.desired().unwrap().users[0].clone();
        let user = |path: &str, ours| UserState {
            arn: "u".into(),
            managed_by_us: ours,
            owner: None,
            run: None,
            attached: vec![],
            access_keys: vec![],
            permissions_boundary: None,
            path: path.into(),
            our_keys: vec![],
            tag_keys: vec![],
        };
        assert_eq!(decide_user(&spec, Some(&user("/teams/", true))).0, Action::Unchanged);
        let (a, why) = decide_user(&spec, Some(&user("/", true)));
        assert_eq!(a, Action::Update);
        assert!(why.contains("path / will be changed to /teams/"), "{why}");
        assert_eq!(decide_user(&spec, Some(&user("/", false))).0, Action::Conflict);
        assert_eq!(arn_path("arn:aws:iam::210987654321:policy/a/b/Name"), "/a/b/");
        assert_eq!(arn_path("arn:aws:iam::210987654321:policy/Name"), "/");
    }

    #[test]
    fn the_longest_chain_goes_first_and_every_step_comes_after_its_dependencies() {
        let mut plan = offline(&params()).unwrap();
        let order = plan.critical_order();
        let label = |plan: &Plan, i: usize| format!("{} {}", plan.label(i).kind, plan.label(i).name);
        // The user, then its key (create and describe) is the longest chain: 3 calls against a policy's or role's 2.
        assert_eq!(label(&plan, order[0]), "user PostmanUser");
        let mut sorted = order.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..plan.steps.len()).collect::<Vec<_>>(), "every step once");
        for (at, &i) in order.iter().enumerate() {
            for d in &plan.steps[i].deps {
                assert!(order[..at].contains(d), "{} before {}, which waits for it", label(&plan, *d), label(&plan, i));
            }
        }
        // An unchanged user sends nothing: its key's chain alone decides.
        let user = order[0];
        plan.steps[user].action = Action::Unchanged;
        assert_ne!(label(&plan, plan.critical_order()[0]), "user PostmanUser");
    }

    #[test]
    fn offline_plan_orders_steps_and_dependencies() {
        let plan = offline(&params()).unwrap();
        assert!(!plan.checked);
        // 4 policies, 3 roles, 1 user, 4 role attachments, 1 user attachment, 1 key.
        assert_eq!(plan.steps.len(), 14);
        assert!(plan.steps.iter().all(|s| s.action == Action::NotChecked));
        for (i, s) in plan.steps.iter().enumerate() {
            assert!(s.deps.iter().all(|d| *d < i), "step {i} depends on a later step");
        }
        let key = plan.steps.iter().position(|s| matches!(s.kind, StepKind::AccessKey(_))).unwrap();
        assert_eq!(plan.label(plan.steps[key].deps[0]).kind, "user");
        let labels: Vec<String> = (0..plan.steps.len()).map(|i| plan.label(i).name).collect();
        assert!(labels.contains(&"ImporterPinpointPolicy -> ImporterPinpointRole".to_string()));
        assert!(labels.contains(&"ImporterS3Policy -> ImporterPinpointRole".to_string()));
        assert!(labels.contains(&"PostmanAccessPolicy -> PostmanUser".to_string()));
    }

    #[test]
    fn a_setup_declared_elsewhere_gets_its_steps_and_dependencies() {
        let mut p = params();
        p.setup = crate::setup::registry::throwaway::with_postman();
        let plan = offline(&p).unwrap();
        let labels: Vec<(&str, String)> =
            (0..plan.steps.len()).map(|i| (plan.label(i).kind, plan.label(i).name)).collect();
        let at = |kind: &str, name: &str| labels.iter().position(|(k, n)| *k == kind && n == name).unwrap();
        let attach = at("attachment", "ReaderPolicy -> ReaderRole");
        let mut deps = plan.steps[attach].deps.clone();
        deps.sort();
        assert_eq!(deps, [at("policy", "ReaderPolicy"), at("role", "ReaderRole")]);
        assert!(plan.steps[at("role", "ReaderRole")].deps.is_empty());
        // Postman's steps stay as they were: policy, user, attachment, key.
        assert_eq!(plan.steps.len(), 4 + 3);
        assert_eq!(plan.label(plan.steps[at("access_key", "PostmanUser")].deps[0]).name, "PostmanUser");
    }

    fn version(id: &str, created: i64, is_default: bool) -> PolicyVersion {
        PolicyVersion { id: id.into(), created, is_default, created_at: String::new() }
    }

    #[test]
    fn prunes_oldest_non_default_only_at_five() {
        let v = version;
        let four = vec![v("v1", 1, false), v("v2", 2, false), v("v3", 3, false), v("v4", 4, true)];
        assert_eq!(oldest_to_prune(&four), None);
        let five = vec![v("v1", 1, true), v("v2", 2, false), v("v3", 3, false), v("v4", 4, false), v("v5", 5, false)];
        assert_eq!(oldest_to_prune(&five).as_deref(), Some("v2"));
    }
}
