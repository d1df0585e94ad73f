//! One step of an apply: the calls that create, update, adopt or attach, with IAM's lag retried.

use super::lag::{self, Lag, not_visible_yet};
use super::rollback::{Undo, keys_before};
use super::{ApplyOptions, Event, Status};
use crate::aws::AwsError;
use crate::aws::iam::{Iam, PolicyVersion};
use crate::plan::{Action, Plan, Prior, StepKind, Target};
use crate::secret::NewAccessKey;
use tokio::sync::mpsc::UnboundedSender;

/// What a step did: its status, how to undo it, and the key it made.
pub(super) struct Done {
    pub status: Status,
    pub undo: Vec<Undo>,
    pub key: Option<NewAccessKey>,
}

fn done(status: Status, undo: Undo) -> Done {
    Done { status, undo: vec![undo], key: None }
}

pub(super) async fn run_step(
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
            // The plan named this version (and refused one this tool did not write, unless allowed).
            let pruned = oldest_to_prune(versions);
            if let Some(oldest) = &pruned {
                iam.delete_policy_version(&spec.arn, oldest).await?;
            }
            let new = iam.create_policy_version(&spec.arn, &spec.document).await?;
            undo.push(Undo::RestorePolicy {
                arn: spec.arn.clone(),
                previous: state.default_version.clone(),
                versions: versions.iter().map(|v| v.id.clone()).collect(),
            });
            let mut written: Vec<String> =
                state.versions_written.iter().filter(|v| Some(*v) != pruned.as_ref()).cloned().collect();
            written.push(new);
            iam.record_versions(&spec.arn, &written).await?;
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
            let lag = Lag::new(i, opts.consistency_wait, Some(events));
            let undo = match target {
                Target::Role(r) => {
                    let role = d.roles[r].name.to_string();
                    lag::retry(lag, not_visible_yet, || iam.attach_role_policy(&role, &arn)).await?;
                    Undo::DetachRole { role, arn }
                }
                Target::User(u) => {
                    let user = d.users[u].name.to_string();
                    lag::retry(lag, not_visible_yet, || iam.attach_user_policy(&user, &arn)).await?;
                    Undo::DetachUser { user, arn }
                }
            };
            Ok(done(Status::Created, undo))
        }
        (StepKind::AccessKey(u), _) => {
            let user = d.users[u].name.as_str();
            let before = keys_before(plan, u);
            // A quota's answer keeps AWS's own words and request id: the quota may not be the default two keys.
            let lag = Lag::new(i, opts.consistency_wait, Some(events));
            let key = super::access_keys::create_reconciled(iam, user, &before, run, lag).await?;
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

/// IAM keeps at most 5 versions of a policy: the oldest non-default one makes room for a new one.
pub fn oldest_to_prune(versions: &[PolicyVersion]) -> Option<String> {
    if versions.len() < 5 {
        return None;
    }
    versions.iter().filter(|v| !v.is_default).min_by_key(|v| v.created).map(|v| v.id.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(id: &str, created: i64, is_default: bool) -> PolicyVersion {
        PolicyVersion { id: id.into(), created, is_default, created_at: String::new() }
    }

    #[test]
    fn prunes_oldest_non_default_only_at_five() {
        let four = vec![v("v1", 1, false), v("v2", 2, false), v("v3", 3, false), v("v4", 4, true)];
        assert_eq!(oldest_to_prune(&four), None);
        let five = vec![v("v1", 1, true), v("v2", 2, false), v("v3", 3, false), v("v4", 4, false), v("v5", 5, false)];
        assert_eq!(oldest_to_prune(&five).as_deref(), Some("v2"));
    }
}
