//! Whether a principal's identity policies allow a call, by IAM's rules: allowed when an Allow statement
//! matches the call's action, resource and conditions and no Deny statement does. Enough of IAM to prove that a
//! document grants what a role's job needs; permissions boundaries, SCPs and session policies are not modelled.

use super::catalogue::{self, ActionLookup, Catalogue};
use serde_json::Value;

/// One request a principal makes: the action, the ARN it acts on (`*` for an action with no resource types),
/// and the request's condition keys.
#[derive(Debug, Clone, Copy)]
pub struct Call<'a> {
    pub action: &'a str,
    pub resource: &'a str,
    pub context: &'a [(&'a str, &'a str)],
}

/// Why a call cannot be judged: it is not a request IAM could see.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotACall {
    #[error("{0} is not an IAM action the catalogue knows")]
    UnknownAction(String),
    #[error("{resource} is not a resource {action} acts on")]
    WrongResource { action: String, resource: String },
}

/// Whether `docs` (the policies attached to one principal) allow `call`, after checking by the catalogue that the
/// call itself is real: its action exists and its resource is of one of the action's resource types.
pub fn allows(cat: &Catalogue, docs: &[&Value], call: &Call) -> Result<bool, NotACall> {
    let ActionLookup::Found { service, action, .. } = cat.action(call.action) else {
        return Err(NotACall::UnknownAction(call.action.into()));
    };
    let fits = match action.resource_types().next() {
        None => call.resource == "*",
        Some(_) => call.resource != "*" && service.resource_fits(action, call.resource),
    };
    if !fits {
        return Err(NotACall::WrongResource { action: call.action.into(), resource: call.resource.into() });
    }
    let statements = docs.iter().flat_map(|d| match d.get("Statement") {
        Some(Value::Array(a)) => a.iter().collect::<Vec<_>>(),
        Some(s @ Value::Object(_)) => vec![s],
        _ => vec![],
    });
    let mut allowed = false;
    for st in statements {
        let deny = st.get("Effect").and_then(Value::as_str) == Some("Deny");
        // A condition this evaluator cannot read is taken the safe way: a Deny applies, an Allow does not.
        let conditions = conditions_hold(st.get("Condition"), call.context).unwrap_or(deny);
        if matches(st, "Action", "NotAction", |p| catalogue::glob_ignoring_case(p, call.action))
            && matches(st, "Resource", "NotResource", |p| catalogue::glob(p, call.resource))
            && conditions
        {
            if deny {
                return Ok(false);
            }
            allowed = true;
        }
    }
    Ok(allowed)
}

fn list(v: Option<&Value>) -> Vec<&str> {
    match v {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    }
}

/// `key` lists a pattern that matches, or `not_key` lists none that does.
fn matches(st: &Value, key: &str, not_key: &str, hit: impl Fn(&str) -> bool) -> bool {
    match (st.get(key), st.get(not_key)) {
        (Some(v), _) => list(Some(v)).into_iter().any(&hit),
        (None, Some(v)) => !list(Some(v)).into_iter().any(&hit),
        (None, None) => false,
    }
}

/// Every condition of a statement against the request's keys; `None` for an operator not modelled.
fn conditions_hold(cond: Option<&Value>, context: &[(&str, &str)]) -> Option<bool> {
    let Some(ops) = cond.and_then(Value::as_object) else { return Some(true) };
    for (op, keys) in ops {
        let (base, if_exists) = match op.strip_suffix("IfExists") {
            Some(b) => (b, true),
            None => (op.as_str(), false),
        };
        for (key, wanted) in keys.as_object()? {
            let Some((_, got)) = context.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)) else {
                if if_exists {
                    continue;
                }
                return Some(false);
            };
            let hit = |w: &str| match base {
                "StringEquals" | "ArnEquals" => Some(w == *got),
                "StringEqualsIgnoreCase" => Some(w.eq_ignore_ascii_case(got)),
                "StringLike" | "ArnLike" => Some(catalogue::glob(w, got)),
                "Bool" => Some(w.eq_ignore_ascii_case(got)),
                _ => None,
            };
            let mut any = false;
            for w in list(Some(wanted)) {
                any |= hit(w)?;
            }
            if !any {
                return Some(false);
            }
        }
    }
    Some(true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cat() -> &'static Catalogue {
        catalogue::get().unwrap()
    }

    const OBJECT: &str = "arn:aws:s3:::b/imports/a.csv";

    fn call<'a>(action: &'a str, resource: &'a str) -> Call<'a> {
        Call { action, resource, context: &[] }
    }

    #[test]
    fn an_allow_matching_action_and_resource_grants_and_a_deny_wins() {
        let allow = json!({"Statement": [{"Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::b/*"}]});
        assert_eq!(allows(cat(), &[&allow], &call("s3:GetObject", OBJECT)), Ok(true));
        assert_eq!(allows(cat(), &[&allow], &call("S3:GETOBJECT", OBJECT)), Ok(true), "actions ignore case");
        assert_eq!(allows(cat(), &[&allow], &call("s3:GetObject", "arn:aws:s3:::B/imports/a.csv")), Ok(false));
        assert_eq!(allows(cat(), &[&allow], &call("s3:PutObject", OBJECT)), Ok(false));
        let deny = json!({"Statement": {"Effect": "Deny", "Action": "s3:GetObject", "Resource": "*"}});
        assert_eq!(allows(cat(), &[&allow, &deny], &call("s3:GetObject", OBJECT)), Ok(false));
    }

    #[test]
    fn a_call_must_be_real_by_the_catalogue() {
        let all = json!({"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]});
        assert_eq!(
            allows(cat(), &[&all], &call("s3:HeadBucket", "arn:aws:s3:::b")),
            Err(NotACall::UnknownAction("s3:HeadBucket".into()))
        );
        assert!(matches!(allows(cat(), &[&all], &call("s3:ListBucket", OBJECT)), Err(NotACall::WrongResource { .. })));
        assert_eq!(allows(cat(), &[&all], &call("s3:ListAllMyBuckets", "*")), Ok(true));
    }

    #[test]
    fn conditions_are_met_by_the_requests_keys() {
        let role = "arn:aws:iam::210987654321:role/Import";
        let doc = json!({"Statement": [{"Effect": "Allow", "Action": "iam:PassRole", "Resource": role,
            "Condition": {"StringEquals": {"iam:PassedToService": "pinpoint.amazonaws.com"}}}]});
        let to = |service: &str| {
            let context = [("iam:PassedToService", service)];
            allows(cat(), &[&doc], &Call { action: "iam:PassRole", resource: role, context: &context })
        };
        assert_eq!(to("pinpoint.amazonaws.com"), Ok(true));
        assert_eq!(to("lambda.amazonaws.com"), Ok(false));
        assert_eq!(allows(cat(), &[&doc], &call("iam:PassRole", role)), Ok(false), "the key is missing");
        let odd = json!({"Statement": [{"Effect": "Allow", "Action": "iam:PassRole", "Resource": role,
            "Condition": {"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}}]});
        assert_eq!(allows(cat(), &[&odd], &call("iam:PassRole", role)), Ok(false), "not modelled: not granted");
    }
}
