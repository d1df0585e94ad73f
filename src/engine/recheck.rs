//! The last round of an apply also reads again what the plan found already in place (`unchanged`): a
//! concurrent `destroy` may have removed it since the plan read it, and the report must not vouch for what is
//! gone. The reads go out with the last writes (no extra round): one call per step, the policies in one list.

use super::rollback::keys_before;
use crate::aws::AwsError;
use crate::aws::iam::Iam;
use crate::plan::{Action, Plan, StepKind, Target};
use futures::future::join_all;

/// What the read at the end found of an `unchanged` step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Seen {
    There,
    Gone,
    /// The read failed: the report says the step was not verified.
    Unread,
}

fn seen(found: Result<bool, AwsError>) -> Seen {
    match found {
        Ok(true) => Seen::There,
        Ok(false) => Seen::Gone,
        // The user or role itself is gone, and with it what hung on it.
        Err(e) if e.is_no_such_entity() => Seen::Gone,
        Err(_) => Seen::Unread,
    }
}

/// Read again one unchanged step that is not a policy (the policies come from one listing).
async fn read_one(iam: &Iam, plan: &Plan, i: usize) -> Seen {
    let d = &plan.desired;
    let found = match plan.steps[i].kind {
        StepKind::Role(r) => iam.find_role(d.roles[r].name.as_str()).await.map(|f| f.is_some()),
        StepKind::User(u) => iam.find_user(d.users[u].name.as_str()).await.map(|f| f.is_some()),
        StepKind::Attach { policy, target: Target::Role(r) } => {
            iam.role_policies(d.roles[r].name.as_str()).await.map(|a| a.contains(&d.policies[policy].arn))
        }
        StepKind::Attach { policy, target: Target::User(u) } => {
            iam.user_policies(d.users[u].name.as_str()).await.map(|a| a.contains(&d.policies[policy].arn))
        }
        StepKind::AccessKey(u) => {
            let before = keys_before(plan, u);
            iam.access_keys(d.users[u].name.as_str()).await.map(|keys| keys.iter().any(|k| before.contains(&k.id)))
        }
        StepKind::Policy(_) | StepKind::OldKey { .. } => return Seen::Unread,
    };
    seen(found)
}

/// Read every `unchanged` step of the plan again, at once.
pub(super) async fn unchanged(iam: &Iam, plan: &Plan) -> Vec<(usize, Seen)> {
    let steps: Vec<usize> = (0..plan.steps.len()).filter(|i| plan.steps[*i].action == Action::Unchanged).collect();
    let is_policy = |i: &usize| matches!(plan.steps[*i].kind, StepKind::Policy(_));
    let listing = async {
        match steps.iter().any(is_policy) {
            true => Some(iam.local_policies().await),
            false => None,
        }
    };
    let others =
        join_all(steps.iter().filter(|i| !is_policy(i)).map(|&i| async move { (i, read_one(iam, plan, i).await) }));
    let (listing, mut out) = tokio::join!(listing, others);
    let policies: Vec<usize> = steps.iter().copied().filter(is_policy).collect();
    let arn = |i: usize| match plan.steps[i].kind {
        StepKind::Policy(p) => plan.desired.policies[p].arn.as_str(),
        _ => "",
    };
    match listing {
        Some(Ok(Some(listed))) => out.extend(policies.iter().map(|&i| (i, Seen::from(listed.contains_key(arn(i)))))),
        // Not listable (no permission, or more than a page): each policy by its ARN, as the plan reads them.
        Some(Ok(None)) => {
            let read = |i: usize| async move { (i, seen(iam.get_policy(arn(i)).await.map(|p| p.is_some()))) };
            out.extend(join_all(policies.iter().map(|&i| read(i))).await);
        }
        _ => out.extend(policies.iter().map(|&i| (i, Seen::Unread))),
    }
    out
}

impl From<bool> for Seen {
    fn from(there: bool) -> Seen {
        if there { Seen::There } else { Seen::Gone }
    }
}
