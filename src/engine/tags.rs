//! IAM allows 50 tags on a user, a role and a policy. What each resource will carry is counted before any
//! write: the tags it already has, the operator's, this tool's own, and two per access key with room kept for
//! the second key a rotation makes. A run that IAM would stop half-way is refused up front instead.

use crate::plan::{Action, Mode, Plan, Prior, StepKind};
use crate::setup::{MANAGED_BY_KEY, RUN_TAG_KEY, Tag, VERSIONS_TAG_KEY};

/// IAM's limit of tags per user, role or policy.
pub const IAM_TAG_LIMIT: usize = 50;
/// Per access key: the console's description and this tool's marker.
pub const PER_KEY: usize = 2;

/// How many tags a resource will carry: the distinct keys of what it has and what is added.
fn union(existing: &[String], added: impl IntoIterator<Item = String>) -> usize {
    let mut keys: Vec<String> = existing.to_vec();
    for k in added {
        if !keys.contains(&k) {
            keys.push(k);
        }
    }
    keys.len()
}

/// The tag keys this tool puts on what it creates or adopts, then the operator's.
fn added(tags: &[Tag], policy: bool) -> Vec<String> {
    let ours = [MANAGED_BY_KEY, RUN_TAG_KEY].into_iter().chain(policy.then_some(VERSIONS_TAG_KEY));
    ours.map(str::to_string).chain(tags.iter().map(|t| t.key.clone())).collect()
}

/// Whether the plan makes an access key for user `u` (two tags, and two more kept for a rotation).
fn makes_key(plan: &Plan, u: usize) -> bool {
    plan.steps
        .iter()
        .any(|s| s.kind == StepKind::AccessKey(u) && matches!(s.action, Action::Create | Action::NotChecked))
}

/// Every resource the plan would take past IAM's limit, in words naming it, the count and the limit.
pub fn overflows(plan: &Plan, tags: &[Tag]) -> Vec<String> {
    if plan.mode == Mode::Keys {
        // A key command counts its own user's room as it plans (the rotation itself is the second key).
        return vec![];
    }
    let mut out = Vec::new();
    for (i, step) in plan.steps.iter().enumerate() {
        let existing: &[String] = match &step.prior {
            Prior::Absent => &[],
            Prior::Policy { state, .. } => &state.tag_keys,
            Prior::Role(r) => &r.tag_keys,
            Prior::User(u) => &u.tag_keys,
        };
        let tagged = matches!(step.action, Action::Create | Action::Conflict | Action::NotChecked);
        let (count, keys) = match step.kind {
            StepKind::Policy(_) if tagged => (union(existing, added(tags, true)), 0),
            StepKind::Role(_) if tagged => (union(existing, added(tags, false)), 0),
            StepKind::User(u) => {
                let keys = if makes_key(plan, u) { 2 * PER_KEY } else { 0 };
                let now = if tagged { union(existing, added(tags, false)) } else { existing.len() };
                (now + keys, keys)
            }
            _ => continue,
        };
        if count > IAM_TAG_LIMIT {
            let room =
                if keys > 0 { format!(", {keys} for its access key and a rotation's second") } else { String::new() };
            out.push(format!(
                "{} would carry {count} tags ({} it has or gets from --tag and this tool{room}); IAM allows \
                 {IAM_TAG_LIMIT}: pass fewer --tag options",
                plan.label(i),
                count - keys
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::setup::{Params, Selection};

    fn tags(n: usize) -> Vec<Tag> {
        (0..n).map(|i| Tag { key: format!("k{i}"), value: "v".into() }).collect()
    }

    #[test]
    fn a_new_user_with_a_key_keeps_room_for_a_rotation() {
        let mut plan = crate::plan::offline(&Params::example("postman".parse::<Selection>().unwrap())).unwrap();
        plan.checked = true;
        // A user: ours (2) + 4 for keys = 6, so 44 operator tags fit and 45 do not.
        assert!(overflows(&plan, &tags(44)).is_empty(), "{:?}", overflows(&plan, &tags(44)));
        let over = overflows(&plan, &tags(45));
        assert_eq!(over.len(), 1, "{over:?}");
        assert!(over[0].contains("user PostmanUser would carry 51 tags") && over[0].contains("IAM allows 50"));
        // The policy (ours 3) overflows only past 47.
        assert!(overflows(&plan, &tags(48)).iter().any(|o| o.starts_with("policy PostmanAccessPolicy")));
    }
}
