//! Rollback and verification: how to undo each write of a run, and reading the account afterwards so the
//! report says what exists now.

use super::{Event, Status, StepError};
use crate::aws::AwsError;
use crate::aws::iam::Iam;
use crate::plan::{Action, Mode, Plan, Prior, StepKind, Target};
use serde_json::Value;
use tokio::sync::mpsc::UnboundedSender;

/// How to undo a write of this run. `sure: false` marks a write whose answer never came: it may not have
/// happened, so the resource is deleted only if it carries this run's id.
/// The writes of one run, in the order they happened (including the possible writes of steps whose
/// answer never came), and the run's id to recognise them.
#[derive(Debug, Default)]
pub struct RollbackLog {
    undos: Vec<(usize, Undo)>,
    run: String,
}

impl RollbackLog {
    pub(super) fn new(undos: Vec<(usize, Undo)>, run: String) -> RollbackLog {
        RollbackLog { undos, run }
    }

    /// The run's id, which marks what it created.
    pub fn run(&self) -> &str {
        &self.run
    }

    /// The undos that delete keys whose secret this process does not hold (to run even when the rest is kept
    /// by choice), and the rest.
    pub(super) fn split_unseen_keys(self) -> (RollbackLog, RollbackLog) {
        let (keys, kept) = self.undos.into_iter().partition(|(_, u)| matches!(u, Undo::ReconcileKeys { .. }));
        (RollbackLog { undos: keys, run: self.run.clone() }, RollbackLog { undos: kept, run: self.run })
    }

    pub fn is_empty(&self) -> bool {
        self.undos.is_empty()
    }

    /// A log that deletes one created policy, for the wizard's tests (real logs come from [`super::execute`]).
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
    /// Put back the boundary a role had (none: remove the one this run put).
    RestoreRoleBoundary {
        name: String,
        previous: Option<String>,
    },
    RestoreUserBoundary {
        name: String,
        previous: Option<String>,
    },
    /// Move a user back to the path it had.
    RestoreUserPath {
        name: String,
        previous: String,
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
    /// Make a key that a rotation or retire-key deactivated active again.
    ReactivateKey {
        user: String,
        id: String,
    },
    /// Remove the marker an adopt put on a key (its description stays).
    UnmarkKey {
        user: String,
        id: String,
    },
}

/// What a step may have written when its answer never came (or it failed half-way): undone only where the
/// account shows it happened.
pub(super) fn possible_writes(plan: &Plan, i: usize) -> Vec<Undo> {
    let step = &plan.steps[i];
    if step.action == Action::Delete {
        // A delete cannot be undone; the account is read afterwards to say what is gone.
        return vec![];
    }
    let d = &plan.desired;
    match (step.kind, &step.prior) {
        (StepKind::OldKey { .. }, _) => super::access_keys::possible_key_writes(plan, i),
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
            let name = d.roles[r].name.to_string();
            let mut u = vec![Undo::RestoreTrust { name: name.clone(), previous: current.trust.clone() }];
            if d.roles[r].boundary.as_ref().map(|b| b.as_str()) != current.permissions_boundary.as_deref() {
                u.push(Undo::RestoreRoleBoundary {
                    name: name.clone(),
                    previous: current.permissions_boundary.clone(),
                });
            }
            if !current.managed_by_us {
                u.push(Undo::UntagRole { name });
            }
            u
        }
        (StepKind::User(u), Prior::Absent) => vec![Undo::DeleteUser { name: d.users[u].name.to_string(), sure: false }],
        (StepKind::User(u), Prior::User(current)) => user_writes(&d.users[u], current),
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

/// What updating (or adopting) a user may have written: its owner tags, its boundary, its path.
fn user_writes(spec: &crate::setup::UserSpec, current: &crate::aws::iam::UserState) -> Vec<Undo> {
    let name = spec.name.to_string();
    let mut u = Vec::new();
    if spec.boundary.as_ref().map(|b| b.as_str()) != current.permissions_boundary.as_deref() {
        u.push(Undo::RestoreUserBoundary { name: name.clone(), previous: current.permissions_boundary.clone() });
    }
    if spec.path.as_str() != current.path {
        u.push(Undo::RestoreUserPath { name: name.clone(), previous: current.path.clone() });
    }
    if !current.managed_by_us {
        u.push(Undo::UntagUser { name });
    }
    u
}

/// The access key ids the user had when the plan read the account.
pub(super) fn keys_before(plan: &Plan, user: usize) -> Vec<String> {
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

/// The user's marker tags of keys it no longer has: what a key deletion left behind.
fn stale_markers(plan: &Plan, user: usize) -> Vec<String> {
    let keys = keys_before(plan, user);
    plan.steps
        .iter()
        .find_map(|s| match (&s.kind, &s.prior) {
            (StepKind::User(u), Prior::User(state)) if *u == user => Some(state.our_keys.clone()),
            _ => None,
        })
        .unwrap_or_default()
        .into_iter()
        .filter(|k| !keys.contains(k))
        .collect()
}

/// Treat IAM's "it is not there" as done: undoing is idempotent, so a retried or repeated undo succeeds.
pub(super) fn gone_is_fine(r: Result<(), AwsError>) -> Result<(), AwsError> {
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
            forget_versions(iam, arn, versions).await
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
        Undo::RestoreRoleBoundary { name, previous } => {
            gone_is_fine(iam.set_role_boundary(name, previous.as_deref()).await)
        }
        Undo::RestoreUserBoundary { name, previous } => {
            gone_is_fine(iam.set_user_boundary(name, previous.as_deref()).await)
        }
        Undo::RestoreUserPath { name, previous } => gone_is_fine(iam.set_user_path(name, previous).await),
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
        Undo::ReconcileKeys { user, before } => {
            match crate::engine::access_keys::delete_unseen(iam, user, before).await {
                Ok(_) => Ok(()),
                Err(StepError::Aws(e)) => Err(e),
                // A key still listed after its delete is not an answer of AWS's to report here: the read-back that
                // follows every rollback finds it and reports it `left`.
                Err(_) => Ok(()),
            }
        }
        Undo::UntagPolicy { arn } => gone_is_fine(iam.untag_policy(arn).await),
        Undo::UntagRole { name } => gone_is_fine(iam.untag_role(name).await),
        Undo::UntagUser { name } => gone_is_fine(iam.untag_user(name).await),
        Undo::ReactivateKey { user, id } => gone_is_fine(iam.set_access_key_active(user, id, true).await),
        Undo::UnmarkKey { user, id } => gone_is_fine(iam.unmark_access_key(user, id).await),
    }
}

/// Drop from the policy's record of the versions this tool wrote those the rollback deleted (all but
/// `versions`, the ones there before), so the record is again what it was. An empty record goes with the
/// adopt's tags ([`Undo::UntagPolicy`]).
async fn forget_versions(iam: &Iam, arn: &str, versions: &[String]) -> Result<(), AwsError> {
    let Some(policy) = iam.get_policy(arn).await? else { return Ok(()) };
    let kept: Vec<String> = policy.versions_written.iter().filter(|v| versions.contains(v)).cloned().collect();
    if kept == policy.versions_written || kept.is_empty() {
        return Ok(());
    }
    gone_is_fine(iam.record_versions(arn, &kept).await)
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
) -> Result<(), StepError> {
    match plan.mode {
        Mode::Destroy => return super::destroy::verify_destroy(iam, plan, statuses, events).await,
        Mode::Keys => return super::access_keys::verify_keys(iam, plan, statuses, events).await,
        Mode::Apply => {}
    }
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
            return Err(e.into());
        }
    };
    for (i, st) in statuses.iter_mut().enumerate() {
        if !touched(*st) {
            continue;
        }
        let remains = remains_from_run(plan, &now, i, run);
        // Created or updated only while it is as the run wrote it: a rollback that restored the old document but
        // could not delete the new version (or forget it in the tag) left a change, not the update.
        let as_written = now.steps[i].action == crate::plan::Action::Unchanged;
        let verified = match (*st, remains) {
            (Status::Failed, false) => Status::Failed,
            (Status::Created | Status::Updated, true) if as_written => *st,
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
        // A version the rollback could not delete remains too, even with the old default restored.
        (Prior::Policy { state: a, versions: va }, Prior::Policy { state: b, versions: vb }) => {
            let ids = |v: &[crate::aws::iam::PolicyVersion]| v.iter().map(|v| v.id.clone()).collect::<Vec<_>>();
            a.default_version != b.default_version
                || a.managed_by_us != b.managed_by_us
                || a.versions_written != b.versions_written
                || ids(va) != ids(vb)
        }
        (Prior::Role(a), Prior::Role(b)) => {
            a.trust != b.trust || a.managed_by_us != b.managed_by_us || a.permissions_boundary != b.permissions_boundary
        }
        (Prior::User(a), Prior::User(b)) if matches!(was.kind, StepKind::User(_)) => {
            a.managed_by_us != b.managed_by_us || a.permissions_boundary != b.permissions_boundary || a.path != b.path
        }
        _ => match was.kind {
            StepKind::Attach { .. } => was.action != Action::Unchanged && is.action == Action::Unchanged,
            StepKind::AccessKey(u) => {
                let (keys, stale) = (keys_before(before, u), stale_markers(before, u));
                keys_before(now, u).iter().any(|k| !keys.contains(k))
                    || stale_markers(now, u).iter().any(|k| !stale.contains(k))
            }
            _ => false,
        },
    }
}
