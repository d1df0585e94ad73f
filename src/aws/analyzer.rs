//! IAM Access Analyzer's `ValidatePolicy` on every document, its findings shown beside this tool's own. It is
//! advice, never a gate: when the call is denied or the endpoint does not offer it, one line says so.

use super::error::{CallSite, clean, map_sdk};
use super::{Aws, AwsError};
use crate::setup::findings::{Finding, JsonPath, Severity, Source, Step};
use crate::setup::{Desired, DocKind};
use aws_sdk_accessanalyzer::types::{
    PathElement, PolicyType, ValidatePolicyFinding, ValidatePolicyFindingType, ValidatePolicyResourceType,
};
use serde_json::Value;
use std::time::Duration;

/// The longest a plan or the preview waits for Access Analyzer (it answers in about a second): an endpoint that
/// never answers must not hold up a plan whose reads are done.
const BUDGET: Duration = Duration::from_secs(10);

const ACTION: &str = "access-analyzer:ValidatePolicy";

/// What Access Analyzer said about the documents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Analysis {
    /// Its findings: one list per document, in the order of `Desired::documents` (policies, then trust
    /// policies).
    Consulted(Vec<Vec<Finding>>),
    /// Why it was not consulted, in plain words.
    NotConsulted(String),
}

impl Analysis {
    /// Its findings on the `i`th document.
    pub fn findings(&self, i: usize) -> &[Finding] {
        match self {
            Analysis::Consulted(all) => all.get(i).map(Vec::as_slice).unwrap_or_default(),
            Analysis::NotConsulted(_) => &[],
        }
    }

    /// The one quiet line said when it was not consulted.
    pub fn note(&self) -> Option<String> {
        match self {
            Analysis::Consulted(_) => None,
            Analysis::NotConsulted(why) => Some(not_consulted(why)),
        }
    }
}

/// The line for every way of not consulting Access Analyzer (offline too).
pub fn not_consulted(why: &str) -> String {
    format!("IAM Access Analyzer was not consulted: {why}; the findings above are this tool's own")
}

/// Ask Access Analyzer about every document of `desired`, all at once.
pub async fn validate(aws: &Aws, desired: &Desired) -> Analysis {
    let docs = desired.documents();
    let all = futures::future::try_join_all(docs.iter().map(|d| validate_one(aws, d.template.kind, d.document)));
    match tokio::time::timeout(BUDGET.min(aws.timeouts.operation), all).await {
        Ok(Ok(lists)) => Analysis::Consulted(lists),
        Ok(Err(e)) => Analysis::NotConsulted(reason(&e)),
        Err(_) => Analysis::NotConsulted(format!("no answer from {} in time", aws.endpoint)),
    }
}

async fn validate_one(aws: &Aws, kind: DocKind, doc: &Value) -> Result<Vec<Finding>, AwsError> {
    let site = CallSite { action: ACTION, resource: "the documents", endpoint: &aws.endpoint };
    let request = aws.analyzer().validate_policy().policy_document(doc.to_string());
    let request = match kind {
        DocKind::Policy => request.policy_type(PolicyType::IdentityPolicy),
        // A trust policy is a resource policy of the role, checked as IAM checks a role's trust.
        DocKind::Trust => request
            .policy_type(PolicyType::ResourcePolicy)
            .validate_policy_resource_type(ValidatePolicyResourceType::RoleTrust),
    };
    let mut pages = request.into_paginator().send();
    let mut out: Vec<Finding> = vec![];
    loop {
        aws.calls.tick();
        let Some(page) = pages.next().await else { break };
        for f in page.map_err(|e| map_sdk(&site, e))?.findings() {
            for one in finding(f) {
                if !out.contains(&one) {
                    out.push(one);
                }
            }
        }
    }
    out.sort_by_key(|f| f.severity);
    Ok(out)
}

/// Why the call did not give findings, in a few words.
fn reason(e: &AwsError) -> String {
    match e {
        AwsError::AccessDenied { .. } => format!("the caller may not call {ACTION}"),
        e if e.is_credentials() => "no working credentials".into(),
        AwsError::Unreachable { endpoint, .. } => format!("{endpoint} could not be reached"),
        AwsError::TimedOut { endpoint, .. } => format!("no answer from {endpoint} in time"),
        AwsError::Throttled { .. } => "AWS throttled the calls".into(),
        AwsError::Service { code, message, .. } => {
            format!("the endpoint did not answer ValidatePolicy ({code}: {message})")
        }
        other => other.to_string().lines().next().unwrap_or_default().to_string(),
    }
}

/// One Access Analyzer finding as ours: one per place it names (the document itself when it names none).
pub fn finding(f: &ValidatePolicyFinding) -> Vec<Finding> {
    let severity = match f.finding_type() {
        ValidatePolicyFindingType::Error => Severity::Error,
        ValidatePolicyFindingType::SecurityWarning => Severity::SecurityWarning,
        ValidatePolicyFindingType::Suggestion => Severity::Suggestion,
        _ => Severity::Warning,
    };
    let message = format!("{}: {}", clean(f.issue_code()), clean(f.finding_details()));
    let mut paths: Vec<JsonPath> = f.locations().iter().map(|l| path(l.path())).collect();
    if paths.is_empty() {
        paths.push(JsonPath::default());
    }
    paths.dedup();
    paths
        .into_iter()
        .map(|path| Finding { severity, message: message.clone(), path, source: Source::AccessAnalyzer })
        .collect()
}

/// Access Analyzer's path (`Value` steps into a key's value, `Key` names the key itself, `Index` an array
/// position, `Substring` a span inside the string reached) as ours: the span's string is the place.
fn path(elements: &[PathElement]) -> JsonPath {
    let mut steps = vec![];
    for e in elements {
        match e {
            PathElement::Value(k) | PathElement::Key(k) => steps.push(Step::Key(k.clone())),
            PathElement::Index(i) => match usize::try_from(*i) {
                Ok(i) => steps.push(Step::Index(i)),
                Err(_) => break,
            },
            _ => break,
        }
    }
    JsonPath(steps)
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_accessanalyzer::types::{Location, Position, Span, Substring};

    fn position(line: i32, column: i32, offset: i32) -> Position {
        Position::builder().line(line).column(column).offset(offset).build().unwrap()
    }

    /// A finding shaped as Access Analyzer sends it for `s3:HeadBucket` in the fourth action of the first
    /// statement.
    fn invalid_action() -> ValidatePolicyFinding {
        let location = Location::builder()
            .path(PathElement::Value("Statement".into()))
            .path(PathElement::Index(0))
            .path(PathElement::Value("Action".into()))
            .path(PathElement::Index(3))
            .span(Span::builder().start(position(1, 180, 180)).end(position(1, 195, 195)).build())
            .build()
            .unwrap();
        ValidatePolicyFinding::builder()
            .finding_type(ValidatePolicyFindingType::Error)
            .issue_code("INVALID_ACTION")
            .finding_details("The action s3:HeadBucket does not exist.")
            .learn_more_link(
                "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html",
            )
            .locations(location)
            .build()
            .unwrap()
    }

    #[test]
    fn findings_keep_severity_message_and_place() {
        let got = finding(&invalid_action());
        assert_eq!(
            got,
            [Finding {
                severity: Severity::Error,
                message: "INVALID_ACTION: The action s3:HeadBucket does not exist.".into(),
                path: JsonPath(vec![
                    Step::Key("Statement".into()),
                    Step::Index(0),
                    Step::Key("Action".into()),
                    Step::Index(3)
                ]),
                source: Source::AccessAnalyzer,
            }]
        );
        assert_eq!(got[0].path.to_string(), "Statement[0].Action[3]");
    }

    #[test]
    fn condition_keys_substrings_many_places_and_none() {
        let key = Location::builder()
            .path(PathElement::Value("Statement".into()))
            .path(PathElement::Index(1))
            .path(PathElement::Value("Condition".into()))
            .path(PathElement::Value("StringEquals".into()))
            .path(PathElement::Key("aws:SourceAcount".into()))
            .build()
            .unwrap();
        let inside = Location::builder()
            .path(PathElement::Value("Statement".into()))
            .path(PathElement::Index(0))
            .path(PathElement::Value("Resource".into()))
            .path(PathElement::Substring(Substring::builder().start(4).length(3).build().unwrap()))
            .build()
            .unwrap();
        let f = ValidatePolicyFinding::builder()
            .finding_type(ValidatePolicyFindingType::SecurityWarning)
            .issue_code("X")
            .finding_details("y\u{1b}[2J")
            .learn_more_link("l")
            .locations(key)
            .locations(inside)
            .build()
            .unwrap();
        let got = finding(&f);
        let places: Vec<String> = got.iter().map(|f| f.path.to_string()).collect();
        assert_eq!(places, ["Statement[1].Condition.StringEquals.aws:SourceAcount", "Statement[0].Resource"]);
        assert!(got.iter().all(|f| f.severity == Severity::SecurityWarning && f.message == "X: y [2J"));
        let nowhere = ValidatePolicyFinding::builder()
            .finding_type(ValidatePolicyFindingType::Suggestion)
            .issue_code("EMPTY_OBJECT_PRINCIPAL")
            .finding_details("d")
            .learn_more_link("l")
            .set_locations(Some(vec![]))
            .build()
            .unwrap();
        assert_eq!(finding(&nowhere)[0].path.to_string(), "");
    }

    #[test]
    fn reasons_are_plain() {
        let denied = AwsError::AccessDenied {
            action: ACTION.into(),
            resource: "the documents".into(),
            message: "User: arn:aws:iam::1:user/x is not authorized".into(),
            request_id: None,
        };
        assert_eq!(reason(&denied), "the caller may not call access-analyzer:ValidatePolicy");
        let emulator = AwsError::Service {
            action: ACTION.into(),
            resource: "the documents".into(),
            code: "InternalFailure".into(),
            message: "HTTP 500 with no error message".into(),
            request_id: None,
        };
        let line = Analysis::NotConsulted(reason(&emulator)).note().unwrap();
        assert_eq!(
            line,
            "IAM Access Analyzer was not consulted: the endpoint did not answer ValidatePolicy (InternalFailure: HTTP \
             500 with no error message); the findings above are this tool's own"
        );
    }
}
