//! Least-privilege findings on rendered documents, shown beside the preview.

use serde_json::Value;

/// How much a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Info,
    Warning,
}

/// One thing a reviewer should know about a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub severity: Severity,
    pub message: String,
}

fn strings(v: Option<&Value>) -> Vec<&str> {
    match v {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(a)) => a.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    }
}

fn statements(doc: &Value) -> Vec<&Value> {
    match doc.get("Statement") {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(s @ Value::Object(_)) => vec![s],
        _ => vec![],
    }
}

/// Findings for a permissions policy.
pub fn policy(doc: &Value) -> Vec<Finding> {
    let mut out = Vec::new();
    let mut push = |severity, message: String| {
        if !out.iter().any(|f: &Finding| f.message == message) {
            out.push(Finding { severity, message });
        }
    };
    for st in statements(doc) {
        let sid = st.get("Sid").and_then(Value::as_str).unwrap_or("statement");
        let mut wildcards = Vec::new();
        for action in strings(st.get("Action")) {
            if action == "*" {
                push(Severity::Warning, format!("{sid}: allows every action (\"*\")"));
            } else if let Some(service) = action.strip_suffix(":*") {
                push(Severity::Warning, format!("{sid}: allows every {service} action ({action})"));
            } else if action.ends_with('*') {
                wildcards.push(action);
            }
        }
        match wildcards.as_slice() {
            [] => {}
            [one] => push(Severity::Info, format!("{sid}: wildcard action {one}")),
            many => push(Severity::Info, format!("{sid}: {} wildcard actions ({})", many.len(), many.join(", "))),
        }
        for resource in strings(st.get("Resource")) {
            if resource == "*" {
                push(Severity::Info, format!("{sid}: applies to every resource (\"*\")"));
                continue;
            }
            let parts: Vec<&str> = resource.splitn(6, ':').collect();
            if parts.len() == 6 {
                let service = parts[2];
                if parts[3] == "*" {
                    push(Severity::Info, format!("{sid}: {service} resources in every Region ({resource})"));
                }
                if parts[4] == "*" {
                    push(Severity::Warning, format!("{sid}: {service} resources in any account ({resource})"));
                }
            }
        }
    }
    out
}

/// Findings for a role's trust policy.
pub fn trust(doc: &Value) -> Vec<Finding> {
    let mut out = Vec::new();
    for st in statements(doc) {
        let services = strings(st.get("Principal").and_then(|p| p.get("Service")));
        let cond = st.get("Condition").map(Value::to_string).unwrap_or_default();
        let guarded = cond.contains("aws:SourceAccount") || cond.contains("aws:SourceArn");
        if services.contains(&"pinpoint.amazonaws.com") && !guarded {
            out.push(Finding {
                severity: Severity::Warning,
                message: "Pinpoint may assume this role on behalf of any account: no aws:SourceAccount / \
                          aws:SourceArn condition (confused deputy); turn on hardening"
                    .into(),
            });
        }
        if strings(st.get("Principal").and_then(|p| p.get("AWS"))).contains(&"*") {
            out.push(Finding { severity: Severity::Warning, message: "anyone may assume this role".into() });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn flags_service_wide_actions_and_region_wildcards() {
        let doc = json!({"Statement": [
            {"Sid": "A", "Action": "s3:*", "Resource": ["arn:aws:s3:::b"]},
            {"Sid": "B", "Action": ["mobiletargeting:Get*"], "Resource": "arn:aws:mobiletargeting:*:210987654321:apps/*"},
            {"Sid": "C", "Action": "logs:CreateLogGroup", "Resource": "arn:aws:logs:*:*:*"},
            {"Sid": "D", "Action": "ses:Send*", "Resource": "*"}
        ]});
        let f: Vec<String> = policy(&doc).into_iter().map(|f| f.message).collect();
        assert!(f.contains(&"A: allows every s3 action (s3:*)".to_string()), "{f:?}");
        assert!(f.contains(&"B: wildcard action mobiletargeting:Get*".to_string()));
        let grouped = policy(
            &json!({"Statement": {"Sid": "E", "Action": ["ses:Get*", "ses:List*"], "Resource": "arn:aws:ses:eu-west-1:210987654321:identity/x"}}),
        );
        assert_eq!(grouped[0].message, "E: 2 wildcard actions (ses:Get*, ses:List*)");
        assert!(f.iter().any(|m| m.starts_with("B: mobiletargeting resources in every Region")));
        assert!(f.iter().any(|m| m.starts_with("C: logs resources in any account")));
        assert!(f.contains(&"D: applies to every resource (\"*\")".to_string()));
    }

    #[test]
    fn tight_policy_has_no_findings() {
        let doc = json!({"Statement": {"Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/*"}});
        assert!(policy(&doc).is_empty());
    }

    #[test]
    fn pinpoint_trust_without_conditions_is_flagged() {
        let open =
            json!({"Statement": [{"Principal": {"Service": "pinpoint.amazonaws.com"}, "Action": "sts:AssumeRole"}]});
        assert_eq!(trust(&open).len(), 1);
        let guarded = json!({"Statement": [{"Principal": {"Service": "pinpoint.amazonaws.com"},
            "Condition": {"StringEquals": {"aws:SourceAccount": "210987654321"}}}]});
        assert!(trust(&guarded).is_empty());
        let lambda = json!({"Statement": [{"Principal": {"Service": "lambda.amazonaws.com"}}]});
        assert!(trust(&lambda).is_empty());
    }
}
