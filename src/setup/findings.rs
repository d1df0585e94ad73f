//! Findings on rendered documents, before anything is written: IAM's catalogue (actions that do not exist,
//! wildcards, resources an action cannot use, condition keys) and least-privilege patterns (service-wide
//! grants, resources in every account or Region, a service role's trust without confused-deputy conditions),
//! and what each `mobiletargeting` grant still does since Pinpoint's end of support (`end_of_support`).
//! Severities are IAM Access Analyzer's, so its own findings (see `aws::analyzer`) sit beside these.

use super::catalogue::{self, AccessLevel, ActionLookup, Catalogue};
use super::end_of_support::{self, Verdict};
use super::{Desired, DocKind, DocumentView};
use serde::Serialize;
use serde_json::Value;
use std::fmt;

/// How much a finding matters, in IAM Access Analyzer's levels, most serious first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// The document asks for something IAM does not have, or that can never take effect.
    Error,
    /// Grants more access than the job needs, in a way that matters for security.
    SecurityWarning,
    /// Not what IAM's best practices advise.
    Warning,
    /// Could be tighter or simpler.
    Suggestion,
}

impl Severity {
    /// The level in words, as the preview and the text plan show it.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::SecurityWarning => "security warning",
            Severity::Warning => "warning",
            Severity::Suggestion => "suggestion",
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One step into a JSON document.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Step {
    Key(String),
    Index(usize),
}

/// An exact place in a document, written as a JSON path without the leading `$`: object keys joined by `.`,
/// array positions in `[]`, from the document's root: `Statement[2].Action[3]` is the fourth action of the
/// third statement; `Statement[0].Condition.StringEquals.aws:SourceAccount` is a condition key (the key
/// itself). A key holding `.`, `[`, `]`, `"` or white space is written `["…"]`, JSON-quoted. The root is `""`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct JsonPath(pub Vec<Step>);

impl JsonPath {
    /// This path, one step further.
    pub fn key(&self, k: &str) -> JsonPath {
        let mut p = self.clone();
        p.0.push(Step::Key(k.to_string()));
        p
    }

    /// This path, at position `i` of an array.
    pub fn index(&self, i: usize) -> JsonPath {
        let mut p = self.clone();
        p.0.push(Step::Index(i));
        p
    }

    pub fn steps(&self) -> &[Step] {
        &self.0
    }
}

impl fmt::Display for JsonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, step) in self.0.iter().enumerate() {
            match step {
                Step::Index(n) => write!(f, "[{n}]")?,
                Step::Key(k) if k.is_empty() || k.contains(['.', '[', ']', '"']) || k.contains(char::is_whitespace) => {
                    write!(f, "[{}]", Value::String(k.clone()))?
                }
                Step::Key(k) if i == 0 => f.write_str(k)?,
                Step::Key(k) => write!(f, ".{k}")?,
            }
        }
        Ok(())
    }
}

impl Serialize for JsonPath {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Who found it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Source {
    /// This tool, from IAM's catalogue and its own checks.
    #[serde(rename = "pinpoint-iam-wizard")]
    Tool,
    /// IAM Access Analyzer's `ValidatePolicy`.
    #[serde(rename = "access-analyzer")]
    AccessAnalyzer,
}

/// One thing a reviewer should know about a document, and where in it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Finding {
    pub severity: Severity,
    pub message: String,
    pub path: JsonPath,
    pub source: Source,
}

impl Finding {
    fn new(severity: Severity, path: JsonPath, message: String) -> Self {
        Finding { severity, message, path, source: Source::Tool }
    }
}

/// How many findings of each level, most serious first, levels with none left out: `1 error, 2 warnings`.
pub fn tally(findings: &[Finding]) -> String {
    let levels = [Severity::Error, Severity::SecurityWarning, Severity::Warning, Severity::Suggestion];
    let parts: Vec<String> = levels
        .iter()
        .filter_map(|l| {
            let n = findings.iter().filter(|f| f.severity == *l).count();
            (n > 0).then(|| format!("{n} {}{}", l.as_str(), if n == 1 { "" } else { "s" }))
        })
        .collect();
    if parts.is_empty() { "no findings".into() } else { parts.join(", ") }
}

/// When the documents have errors or security warnings (this tool's own findings), a sentence saying how many,
/// to stand where the operator decides to write them.
pub fn serious(desired: &Desired) -> Option<String> {
    let all: Vec<Finding> = desired.documents().iter().flat_map(|v| of_document(desired, v)).collect();
    let count = |l: Severity| all.iter().filter(|f| f.severity == l).count();
    let (errors, security) = (count(Severity::Error), count(Severity::SecurityWarning));
    let plural = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
    match (errors, security) {
        (0, 0) => None,
        (e, 0) => Some(format!("the documents have {}", plural(e, "error"))),
        (0, w) => Some(format!("the documents have {}", plural(w, "security warning"))),
        (e, w) => Some(format!("the documents have {} and {}", plural(e, "error"), plural(w, "security warning"))),
    }
}

/// API operations whose permission is an action of another name. IAM's reference lists actions, not
/// operations, so writing the operation is a common slip, and the nearest spelling would not be the answer.
const OPERATIONS: &[(&str, &str)] = &[
    ("s3:HeadBucket", "s3:ListBucket"),
    ("s3:HeadObject", "s3:GetObject"),
    ("s3:ListObjects", "s3:ListBucket"),
    ("s3:ListObjectsV2", "s3:ListBucket"),
    ("s3:ListObjectVersions", "s3:ListBucketVersions"),
    ("s3:ListBuckets", "s3:ListAllMyBuckets"),
    ("s3:DeleteObjects", "s3:DeleteObject"),
    ("s3:CopyObject", "s3:GetObject and s3:PutObject"),
    ("s3:CreateMultipartUpload", "s3:PutObject"),
    ("s3:UploadPart", "s3:PutObject"),
    ("s3:CompleteMultipartUpload", "s3:PutObject"),
];

/// What a policy's principal is: the services that assume the roles it is attached to.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// `(role name, service principal)` for every role the policy is attached to whose trust names a service.
    pub assumed_by: Vec<(String, String)>,
    /// Every user the policy is attached to directly.
    pub users: Vec<AttachedUser>,
}

/// A user a policy is attached to, and whether the setup gives it an access key.
#[derive(Debug, Clone)]
pub struct AttachedUser {
    pub name: String,
    pub access_key: bool,
}

/// The findings for one document of `desired`, most serious first.
pub fn of_document(desired: &Desired, view: &DocumentView) -> Vec<Finding> {
    match view.template.kind {
        DocKind::Trust => trust(view.document),
        DocKind::Policy => {
            // The view borrows the document from `desired`: the same object is the policy it shows.
            let name = desired.policies.iter().find(|p| std::ptr::eq(&p.document, view.document)).map(|p| &p.name);
            let assumed_by = desired
                .roles
                .iter()
                .filter(|r| name.is_some_and(|n| r.policies.contains(n)))
                .flat_map(|r| services(&r.trust).into_iter().map(|s| (r.name.to_string(), s.to_string())))
                .collect();
            let users = desired
                .users
                .iter()
                .filter(|u| name.is_some_and(|n| u.policies.contains(n)))
                .map(|u| AttachedUser { name: u.name.to_string(), access_key: u.access_key })
                .collect();
            policy(view.document, &Context { assumed_by, users })
        }
    }
}

fn strings(v: Option<&Value>) -> Vec<(&str, Option<usize>)> {
    match v {
        Some(Value::String(s)) => vec![(s.as_str(), None)],
        Some(Value::Array(a)) => a.iter().enumerate().filter_map(|(i, v)| v.as_str().map(|s| (s, Some(i)))).collect(),
        _ => vec![],
    }
}

/// Each statement with its path (`Statement[i]`, or `Statement` when it is a single object).
fn statements(doc: &Value) -> Vec<(&Value, JsonPath)> {
    let root = JsonPath::default().key("Statement");
    match doc.get("Statement") {
        Some(Value::Array(a)) => a.iter().enumerate().map(|(i, s)| (s, root.index(i))).collect(),
        Some(s @ Value::Object(_)) => vec![(s, root)],
        _ => vec![],
    }
}

fn at(path: &JsonPath, key: &str, i: Option<usize>) -> JsonPath {
    let p = path.key(key);
    match i {
        Some(i) => p.index(i),
        None => p,
    }
}

/// The service principals a trust policy names.
fn services(doc: &Value) -> Vec<&str> {
    statements(doc)
        .into_iter()
        .flat_map(|(st, _)| strings(st.get("Principal").and_then(|p| p.get("Service"))))
        .map(|(s, _)| s)
        .collect()
}

/// How a statement is named in messages: its Sid, or its position.
fn label(st: &Value, path: &JsonPath) -> String {
    match st.get("Sid").and_then(Value::as_str) {
        Some(sid) if !sid.is_empty() => sid.to_string(),
        _ => match path.steps().last() {
            Some(Step::Index(i)) => format!("statement {}", i + 1),
            _ => "the statement".into(),
        },
    }
}

/// Up to three names, then how many more.
fn some_of(names: &[&str]) -> String {
    if names.len() <= 3 { names.join(", ") } else { format!("{} and {} more", names[..3].join(", "), names.len() - 3) }
}

/// The findings for a permissions policy, most serious first.
pub fn policy(doc: &Value, ctx: &Context) -> Vec<Finding> {
    let mut out = Findings::default();
    let cat = match catalogue::get() {
        Ok(c) => Some(c),
        Err(e) => {
            out.push(
                Severity::Warning,
                JsonPath::default(),
                format!("IAM's catalogue could not be read ({e}): only the pattern checks ran"),
            );
            None
        }
    };
    let denied = denied_everywhere(doc);
    for (st, path) in statements(doc) {
        statement(&mut out, cat, st, &path, ctx, DocKind::Policy, &denied);
    }
    if let (Some(cat), Ok(table)) = (cat, end_of_support::get()) {
        for grant in pinpoint_grants(cat, table, doc) {
            let (severity, message) = grant.finding(table);
            out.push(severity, grant.place, message);
        }
    }
    user_custody(&mut out, &ctx.users);
    out.sorted()
}

/// A user with the policy attached directly, and with a long-term key: the guides' design, which scanners
/// (checkov's CKV_AWS_40 and CKV_AWS_273) flag; suggestions, since the setup is that user.
fn user_custody(out: &mut Findings, users: &[AttachedUser]) {
    for u in users {
        out.push(
            Severity::Suggestion,
            JsonPath::default(),
            format!(
                "attached directly to the user {}: attach it to a group the user is in instead, so permissions are \
                 managed per group, not per user (checkov CKV_AWS_40)",
                u.name
            ),
        );
        if u.access_key {
            out.push(
                Severity::Suggestion,
                JsonPath::default(),
                format!(
                    "{} is an IAM user with a long-term access key: prefer short-lived credentials (a role assumed \
                     through IAM Identity Center or STS) where the client can use them (checkov CKV_AWS_273)",
                    u.name
                ),
            );
        }
    }
}

/// Actions the document denies on every resource without conditions: an Allow cannot grant them, so they are
/// not counted against its wildcards.
fn denied_everywhere(doc: &Value) -> Vec<&str> {
    statements(doc)
        .into_iter()
        .filter(|(st, _)| {
            st.get("Effect").and_then(Value::as_str) == Some("Deny")
                && st.get("Condition").is_none()
                && st.get("NotResource").is_none()
                && strings(st.get("Resource")).iter().any(|(r, _)| *r == "*")
        })
        .flat_map(|(st, _)| strings(st.get("Action")).into_iter().map(|(a, _)| a))
        .collect()
}

/// The findings for a role's trust policy, most serious first.
pub fn trust(doc: &Value) -> Vec<Finding> {
    let mut out = Findings::default();
    let cat = catalogue::get().ok();
    for (st, path) in statements(doc) {
        statement(&mut out, cat, st, &path, &Context::default(), DocKind::Trust, &[]);
        let l = label(st, &path);
        let principal = st.get("Principal");
        let services = strings(principal.and_then(|p| p.get("Service")));
        let keys: Vec<String> = st
            .get("Condition")
            .and_then(Value::as_object)
            .into_iter()
            .flat_map(|ops| {
                ops.values().filter_map(Value::as_object).flat_map(|m| m.keys().map(|k| k.to_ascii_lowercase()))
            })
            .collect();
        let guarded = keys.iter().any(|k| k == "aws:sourceaccount" || k == "aws:sourcearn");
        for (service, i) in &services {
            if *service == "pinpoint.amazonaws.com" && !guarded {
                out.push(
                    Severity::SecurityWarning,
                    at(&path.key("Principal"), "Service", *i),
                    format!(
                        "{l}: Pinpoint may assume this role on behalf of any account: no aws:SourceAccount or \
                         aws:SourceArn condition (the confused deputy problem); turn on hardening"
                    ),
                );
            }
        }
        let anyone = principal.is_some_and(|p| p.as_str() == Some("*"));
        for (aws, i) in strings(principal.and_then(|p| p.get("AWS"))) {
            if aws == "*" {
                out.push(
                    Severity::SecurityWarning,
                    at(&path.key("Principal"), "AWS", i),
                    format!("{l}: anyone may assume this role"),
                );
            }
        }
        if anyone {
            out.push(Severity::SecurityWarning, path.key("Principal"), format!("{l}: anyone may assume this role"));
        }
    }
    out.sorted()
}

#[derive(Default)]
struct Findings(Vec<Finding>);

impl Findings {
    fn push(&mut self, severity: Severity, path: JsonPath, message: String) {
        let f = Finding::new(severity, path, message);
        if !self.0.contains(&f) {
            self.0.push(f);
        }
    }

    /// Most serious first; within a level, in the document's order.
    fn sorted(mut self) -> Vec<Finding> {
        self.0.sort_by_key(|f| f.severity);
        self.0
    }
}

/// What the catalogue makes of one entry of `Action`.
enum Granted<'c> {
    /// The actions it names (one, or what a wildcard matches), from one service.
    Actions(&'c catalogue::Service, Vec<(&'c str, &'c catalogue::Action)>),
    /// Nothing can be said (`*`, a service not in the catalogue, an error already reported).
    Unknown,
}

fn statement(
    out: &mut Findings,
    cat: Option<&Catalogue>,
    st: &Value,
    path: &JsonPath,
    ctx: &Context,
    kind: DocKind,
    denied: &[&str],
) {
    let l = label(st, path);
    let allow = st.get("Effect").and_then(Value::as_str) != Some("Deny");
    let resources = strings(st.get("Resource"));
    let mut granted = vec![];
    for key in ["Action", "NotAction"] {
        for (action, i) in strings(st.get(key)) {
            let place = at(path, key, i);
            let g = match cat {
                Some(cat) => check_action(out, cat, action, &place, &l, allow && key == "Action", &resources, denied),
                None => Granted::Unknown,
            };
            if key == "Action" {
                granted.push((action, place, g));
            }
        }
    }
    if allow && st.get("NotAction").is_some() {
        out.push(
            Severity::Warning,
            path.key("NotAction"),
            format!("{l}: Allow with NotAction grants every other action of every service, including ones added later"),
        );
    }
    if allow && kind == DocKind::Policy {
        broad_actions(out, &granted, &l, ctx, &resources);
        fit(out, &granted, &resources, st, path, &l);
        broad_resources(out, &granted, &resources, path, &l);
    }
    if let Some(cat) = cat {
        conditions(out, cat, st, path, &l);
    }
}

/// Whether an action exists, what a wildcard matches, and what they may do.
#[allow(clippy::too_many_arguments)]
fn check_action<'c>(
    out: &mut Findings,
    cat: &'c Catalogue,
    action: &str,
    place: &JsonPath,
    l: &str,
    allows: bool,
    resources: &[(&str, Option<usize>)],
    denied: &[&str],
) -> Granted<'c> {
    let is_denied = |prefix: &str, name: &str| {
        let full = format!("{prefix}:{name}");
        denied.iter().any(|d| catalogue::glob_ignoring_case(d, &full))
    };
    if action == "*" {
        if allows {
            out.push(
                Severity::SecurityWarning,
                place.clone(),
                format!("{l}: \"*\" allows every action of every service"),
            );
        }
        return Granted::Unknown;
    }
    let on_everything = resources.iter().any(|(r, _)| *r == "*");
    if action.contains(['*', '?']) {
        let Some((prefix, name)) = action.split_once(':') else {
            out.push(Severity::Error, place.clone(), format!("{l}: {action} is not service:action"));
            return Granted::Unknown;
        };
        let Some((service, matched)) = cat.expand(action) else {
            if !prefix.contains(['*', '?']) && !cat.knows_service(prefix) {
                out.push(Severity::Error, place.clone(), unknown_service(l, action, prefix, cat));
            }
            return Granted::Unknown;
        };
        if matched.is_empty() {
            out.push(Severity::Error, place.clone(), format!("{l}: {action} matches no {} action", service.prefix));
            return Granted::Unknown;
        }
        let matched: Vec<_> = matched.into_iter().filter(|(n, _)| !is_denied(&service.prefix, n)).collect();
        if matched.is_empty() {
            return Granted::Unknown;
        }
        let whole_service = name.chars().all(|c| c == '*');
        if allows && !whole_service {
            let names = |level: fn(AccessLevel) -> bool| -> Vec<&str> {
                matched.iter().filter(|(_, a)| level(a.access)).map(|(n, _)| *n).collect()
            };
            let permissions = names(|a| a == AccessLevel::PermissionsManagement);
            let writes = names(AccessLevel::writes);
            if !permissions.is_empty() {
                out.push(
                    Severity::SecurityWarning,
                    place.clone(),
                    format!(
                        "{l}: {action} grants permissions-management actions, which change who may do what: {}",
                        some_of(&permissions)
                    ),
                );
            } else if !writes.is_empty() {
                out.push(
                    Severity::Warning,
                    place.clone(),
                    format!(
                        "{l}: {action} grants {} write action(s): {}; name the ones needed",
                        writes.len(),
                        some_of(&writes)
                    ),
                );
            }
        }
        if allows && on_everything && matched.iter().any(|(n, _)| service.prefix == "iam" && *n == "PassRole") {
            out.push(
                Severity::SecurityWarning,
                place.clone(),
                format!("{l}: {action} lets the caller pass any role to any service"),
            );
        }
        return Granted::Actions(service, matched);
    }
    match cat.action(action) {
        ActionLookup::Found { service, name, .. } if allows && is_denied(&service.prefix, name) => Granted::Unknown,
        ActionLookup::Found { service, name, action: a } => {
            if allows && on_everything && a.access == AccessLevel::PermissionsManagement {
                out.push(
                    Severity::SecurityWarning,
                    place.clone(),
                    format!(
                        "{l}: {}:{name} is a permissions-management action, granted on every resource (\"*\"){}",
                        service.prefix,
                        if name == "PutAccountPublicAccessBlock" {
                            ": it can turn off S3 Block Public Access for the whole account"
                        } else {
                            ""
                        }
                    ),
                );
            }
            if allows && on_everything && service.prefix == "iam" && name == "PassRole" {
                out.push(
                    Severity::SecurityWarning,
                    place.clone(),
                    format!("{l}: iam:PassRole on \"*\" lets the caller pass any role to any service"),
                );
            }
            Granted::Actions(service, vec![(name, a)])
        }
        ActionLookup::Unknown { service, nearest } => {
            let known = OPERATIONS.iter().find(|(op, _)| op.eq_ignore_ascii_case(action));
            let operation = action.split_once(':').map(|(_, n)| n).unwrap_or(action);
            let hint = match (known, nearest) {
                (Some((_, real)), _) => format!("the {operation} operation is authorized by {real}"),
                (None, Some(n)) => format!("did you mean {}:{n}?", service.prefix),
                (None, None) => format!("no {} action has a similar name", service.name),
            };
            out.push(Severity::Error, place.clone(), format!("{l}: {action} is not an IAM action; {hint}"));
            Granted::Unknown
        }
        ActionLookup::UnknownService { .. } => {
            let prefix = action.split_once(':').map(|(p, _)| p).unwrap_or(action);
            out.push(Severity::Error, place.clone(), unknown_service(l, action, prefix, cat));
            Granted::Unknown
        }
        ActionLookup::Malformed => {
            out.push(Severity::Error, place.clone(), format!("{l}: {action} is not service:action"));
            Granted::Unknown
        }
        ActionLookup::NotCovered => Granted::Unknown,
    }
}

/// An Allow's entry of `Action` that grants `mobiletargeting` actions which did not all simply continue after
/// Pinpoint's end of support.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PinpointGrant<'t> {
    pub place: JsonPath,
    /// The statement's name in messages (its Sid, or its position).
    pub label: String,
    /// The entry as written (`mobiletargeting:Get*`).
    pub action: String,
    pub verdict: Verdict<'t>,
}

impl PinpointGrant<'_> {
    /// Whether it grants an action that ended.
    pub fn grants_ended(&self) -> bool {
        matches!(self.verdict, Verdict::Ended { .. } | Verdict::Mixed { .. })
    }

    /// The finding it makes: ended actions are a warning with AWS's successor, a mix says which continue.
    pub fn finding(&self, table: &end_of_support::Table) -> (Severity, String) {
        let (l, action) = (&self.label, &self.action);
        let ended_on = format!("ended with Pinpoint's end of support on {}", table.end_of_support);
        match &self.verdict {
            Verdict::Continues => (Severity::Suggestion, format!("{l}: {action} continues")),
            Verdict::Ended { actions, successors } => {
                let successor = if successors.is_empty() {
                    "AWS names no successor".to_string()
                } else {
                    format!("AWS's successor: {}", successors.join("; "))
                };
                let what = if action.contains(['*', '?']) {
                    format!("{action} grants only actions that {ended_on} ({})", some_of(actions))
                } else {
                    format!("{action} {ended_on}")
                };
                (Severity::Warning, format!("{l}: {what}; {successor}"))
            }
            Verdict::Mixed { ended, continuing, unclear } => {
                let mut m =
                    format!("{l}: {action} grants {} action(s) that {ended_on} ({})", ended.len(), some_of(ended));
                if !continuing.is_empty() {
                    m.push_str(&format!("; these continue as AWS End User Messaging: {}", continuing.join(", ")));
                }
                if !unclear.is_empty() {
                    m.push_str(&format!("; no AWS page decides for {}", unclear.join(", ")));
                }
                (Severity::Warning, m)
            }
            Verdict::Unclear { actions } => (
                Severity::Suggestion,
                format!(
                    "{l}: {action}: no AWS page decides whether {} outlived Pinpoint's end of support on {}",
                    actions.join(", "),
                    table.end_of_support
                ),
            ),
        }
    }
}

/// Every Allow entry of a policy that grants `mobiletargeting` actions that ended or that no page decides, in
/// the document's order. What the document denies everywhere is not counted, as for the other findings.
pub fn pinpoint_grants<'t>(cat: &Catalogue, table: &'t end_of_support::Table, doc: &Value) -> Vec<PinpointGrant<'t>> {
    let denied = denied_everywhere(doc);
    let mut out = vec![];
    for (st, path) in statements(doc) {
        if st.get("Effect").and_then(Value::as_str) == Some("Deny") {
            continue;
        }
        for (action, i) in strings(st.get("Action")) {
            let names = mobiletargeting_names(cat, action, &denied);
            let verdict = end_of_support::judge(table, &names);
            if verdict != Verdict::Continues {
                let (place, label, action) = (at(&path, "Action", i), label(st, &path), action.to_string());
                out.push(PinpointGrant { place, label, action, verdict });
            }
        }
    }
    out
}

/// The `mobiletargeting` actions one entry of `Action` names (one, or what a wildcard matches), less those the
/// document denies everywhere; none for another service.
fn mobiletargeting_names<'c>(cat: &'c Catalogue, action: &str, denied: &[&str]) -> Vec<&'c str> {
    let granted: Vec<&str> = if action.contains(['*', '?']) {
        match cat.expand(action) {
            Some((service, matched)) if service.prefix == "mobiletargeting" => {
                matched.into_iter().map(|(n, _)| n).collect()
            }
            _ => vec![],
        }
    } else {
        match cat.action(action) {
            ActionLookup::Found { service, name, .. } if service.prefix == "mobiletargeting" => vec![name],
            _ => vec![],
        }
    };
    granted
        .into_iter()
        .filter(|n| !denied.iter().any(|d| catalogue::glob_ignoring_case(d, &format!("mobiletargeting:{n}"))))
        .collect()
}

fn unknown_service(l: &str, action: &str, prefix: &str, cat: &Catalogue) -> String {
    match cat.action(&format!("{prefix}:x")) {
        ActionLookup::UnknownService { nearest: Some(n) } => {
            format!("{l}: {action}: no AWS service has the prefix {prefix}; did you mean {n}?")
        }
        _ => format!("{l}: {action}: no AWS service has the prefix {prefix}"),
    }
}

/// Service-wide grants (`s3:*`): to a role a service assumes, always a security warning.
fn broad_actions(
    out: &mut Findings,
    granted: &[(&str, JsonPath, Granted)],
    l: &str,
    ctx: &Context,
    resources: &[(&str, Option<usize>)],
) {
    for (action, place, g) in granted {
        let Some((prefix, name)) = action.split_once(':') else { continue };
        if !name.chars().all(|c| c == '*') {
            continue;
        }
        let on: Vec<&str> = resources.iter().map(|(r, _)| *r).collect();
        let on = if on.is_empty() { String::new() } else { format!(" on {}", on.join(", ")) };
        if let Some((role, principal)) = ctx.assumed_by.first() {
            let need = if principal == "pinpoint.amazonaws.com" && prefix == "s3" {
                " (to import a segment, Pinpoint reads the files: s3:GetObject on the objects, s3:ListBucket on the bucket)"
            } else {
                ""
            };
            out.push(
                Severity::SecurityWarning,
                place.clone(),
                format!("{l}: {action} grants every {prefix} action{on} to {role}, which {principal} assumes; a service role needs only what the service does with it{need}"),
            );
            continue;
        }
        let (severity, what) = match g {
            Granted::Actions(_, m) if m.iter().any(|(_, a)| a.access == AccessLevel::PermissionsManagement) => {
                (Severity::SecurityWarning, format!("every {prefix} action, permissions management included"))
            }
            _ => (Severity::Warning, format!("every {prefix} action")),
        };
        out.push(severity, place.clone(), format!("{l}: {action} allows {what}{on}; name the actions needed"));
    }
}

/// Each action against the statement's resources, and each resource against the actions.
fn fit(
    out: &mut Findings,
    granted: &[(&str, JsonPath, Granted)],
    resources: &[(&str, Option<usize>)],
    st: &Value,
    path: &JsonPath,
    l: &str,
) {
    if granted.is_empty() || resources.is_empty() || st.get("NotResource").is_some() {
        return;
    }
    let mut any_fits = false;
    let mut all_known = true;
    let mut used = vec![false; resources.len()];
    for (action, place, g) in granted {
        let Granted::Actions(service, matched) = g else {
            all_known = false;
            continue;
        };
        let mut fits_here = false;
        for (_, a) in matched {
            for (k, (r, _)) in resources.iter().enumerate() {
                if service.resource_fits(a, r) {
                    used[k] = true;
                    fits_here = true;
                }
            }
        }
        any_fits |= fits_here;
        if !fits_here {
            let mut types: Vec<&str> = vec![];
            for t in matched.iter().flat_map(|(_, a)| a.resource_types()) {
                if !types.contains(&t) {
                    types.push(t);
                }
            }
            types.truncate(4);
            let on = if types.is_empty() {
                "it has no resource types: only \"Resource\": \"*\" grants it".to_string()
            } else {
                format!("it applies to {} resources", types.join(", "))
            };
            out.push(
                Severity::Warning,
                place.clone(),
                format!(
                    "{l}: {action} cannot apply to any of this statement's resources ({on}): it grants nothing here"
                ),
            );
        }
    }
    if !all_known {
        return;
    }
    if !any_fits {
        out.push(
            Severity::Error,
            path.clone(),
            format!("{l}: none of its actions applies to any of its resources: the statement grants nothing"),
        );
        return;
    }
    for (k, (r, i)) in resources.iter().enumerate() {
        if !used[k] {
            out.push(
                Severity::Suggestion,
                at(path, "Resource", *i),
                format!("{l}: no action of this statement applies to {r}: it can go"),
            );
        }
    }
}

/// Resources in every account or Region, and `*` where the actions could name resources.
fn broad_resources(
    out: &mut Findings,
    granted: &[(&str, JsonPath, Granted)],
    resources: &[(&str, Option<usize>)],
    path: &JsonPath,
    l: &str,
) {
    for (r, i) in resources {
        let place = at(path, "Resource", *i);
        if *r == "*" {
            // Only actions that support resource-level permissions could be given narrower resources.
            let narrowable: Vec<&str> = granted
                .iter()
                .filter(|(_, _, g)| matches!(g, Granted::Actions(_, m) if m.iter().any(|(_, a)| a.resource_types().next().is_some())))
                .map(|(a, _, _)| *a)
                .collect();
            if !narrowable.is_empty() {
                out.push(
                    Severity::Suggestion,
                    place,
                    format!(
                        "{l}: applies to every resource (\"*\"), though {} can name resources",
                        some_of(&narrowable)
                    ),
                );
            }
            continue;
        }
        let parts: Vec<&str> = r.splitn(6, ':').collect();
        if parts.len() < 6 {
            continue;
        }
        let (service, region, account) = (parts[2], parts[3], parts[4]);
        match (region == "*", account == "*") {
            (_, true) => out.push(
                Severity::Warning,
                place,
                format!(
                    "{l}: {service} resources in any account{} ({r})",
                    if region == "*" { " and every Region" } else { "" }
                ),
            ),
            (true, false) => {
                out.push(Severity::Suggestion, place, format!("{l}: {service} resources in every Region ({r})"))
            }
            _ => {}
        }
    }
}

/// Every condition key must be one IAM knows.
fn conditions(out: &mut Findings, cat: &Catalogue, st: &Value, path: &JsonPath, l: &str) {
    let Some(ops) = st.get("Condition").and_then(Value::as_object) else { return };
    for (op, keys) in ops {
        let Some(keys) = keys.as_object() else { continue };
        for key in keys.keys() {
            if cat.condition_known(key) == Some(false) {
                let hint = match cat.nearest_condition(key) {
                    Some(n) => format!("; did you mean {n}?"),
                    None => String::new(),
                };
                out.push(
                    Severity::Error,
                    path.key("Condition").key(op).key(key),
                    format!("{l}: {key} is not a condition key IAM knows{hint}"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::setup::{Params, Selection};
    use serde_json::json;

    fn guides(harden: bool) -> Vec<(String, Vec<Finding>)> {
        let mut p = Params::new(Selection::all(), "210987654321".parse().unwrap(), "eu-west-1".parse().unwrap());
        p.bucket = Some("my-bucket".parse().unwrap());
        p.project = Some("0123456789abcdef0123456789abcdef".parse().unwrap());
        p.harden = harden;
        let d = p.desired().unwrap();
        d.documents().iter().map(|v| (v.title.clone(), of_document(&d, v))).collect()
    }

    fn at_level(g: &[(String, Vec<Finding>)], level: Severity) -> Vec<(String, String)> {
        g.iter()
            .flat_map(|(t, fs)| fs.iter().filter(|f| f.severity == level).map(move |f| (t.clone(), f.path.to_string())))
            .collect()
    }

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    }

    #[test]
    fn the_guides_documents_ask_for_s3_head_bucket_and_over_broad_passthrough_grants() {
        let g = guides(false);
        assert_eq!(
            at_level(&g, Severity::Error),
            pairs(&[
                ("ImporterS3Policy", "Statement[2].Action[2]"),
                ("ImporterS3PassthroughPolicy", "Statement[0].Action[3]")
            ])
        );
        for (_, fs) in &g {
            for f in fs.iter().filter(|f| f.severity == Severity::Error) {
                assert!(f.message.contains("s3:HeadBucket is not an IAM action"), "{}", f.message);
                assert!(f.message.contains("s3:ListBucket"), "{}", f.message);
                assert!(f.message.starts_with("VisualEditor"), "the Sid is named: {}", f.message);
            }
        }
        let security = at_level(&g, Severity::SecurityWarning);
        for expected in [
            ("ImporterS3PassthroughPolicy", "Statement[0].Action[0]"),
            ("ImporterS3PassthroughPolicy", "Statement[1].Action"),
            ("PinpointSegmentImport trust", "Statement[0].Principal.Service"),
        ] {
            assert!(
                security.contains(&(expected.0.to_string(), expected.1.to_string())),
                "{expected:?} in {security:?}"
            );
        }
        let passthrough = &g.iter().find(|(t, _)| t == "ImporterS3PassthroughPolicy").unwrap().1;
        assert!(passthrough[1].message.contains("PutAccountPublicAccessBlock"), "{passthrough:?}");
        assert!(
            passthrough
                .iter()
                .any(|f| f.message.contains("to PinpointSegmentImport, which pinpoint.amazonaws.com assumes"))
        );
        // Hardening answers the trust's finding; the Lambda trusts have none.
        let hardened = guides(true);
        assert!(hardened.iter().filter(|(t, _)| t.ends_with("trust")).all(|(_, fs)| fs.is_empty()), "{hardened:?}");
    }

    fn one(statement: Value) -> Vec<Finding> {
        policy(&json!({"Version": "2012-10-17", "Statement": [statement]}), &Context::default())
    }

    fn found(fs: &[Finding]) -> Vec<(Severity, String)> {
        fs.iter().map(|f| (f.severity, f.path.to_string())).collect()
    }

    #[test]
    fn an_action_that_does_not_exist_is_an_error_with_the_nearest_name() {
        let f = one(json!({"Sid": "S", "Effect": "Allow", "Action": ["s3:GetObjekt"], "Resource": "arn:aws:s3:::b/*"}));
        assert_eq!(found(&f), [(Severity::Error, "Statement[0].Action[0]".into())]);
        assert_eq!(f[0].message, "S: s3:GetObjekt is not an IAM action; did you mean s3:GetObject?");
        let f = one(json!({"Effect": "Allow", "Action": "mobiletargetting:GetApps", "Resource": "*"}));
        assert_eq!(found(&f), [(Severity::Error, "Statement[0].Action".into())]);
        assert!(f[0].message.contains("did you mean mobiletargeting?"), "{}", f[0].message);
        assert!(
            one(json!({"Effect": "Allow", "Action": "ec2:DescribeInstances", "Resource": "*"})).is_empty(),
            "not judged"
        );
    }

    #[test]
    fn operations_named_instead_of_their_actions_are_told_apart() {
        let cat = catalogue::get().unwrap();
        for (op, real) in OPERATIONS {
            assert!(matches!(cat.action(op), ActionLookup::Unknown { .. }), "{op} is not an action");
            for r in real.split(" and ") {
                assert!(matches!(cat.action(r), ActionLookup::Found { .. }), "{r} is an action");
            }
        }
    }

    #[test]
    fn wildcards_matching_nothing_writes_or_permissions_management() {
        let f = one(json!({"Effect": "Allow", "Action": ["s3:Frobnicate*"], "Resource": "*"}));
        assert_eq!(found(&f), [(Severity::Error, "Statement[0].Action[0]".into())]);
        assert!(f[0].message.ends_with("s3:Frobnicate* matches no s3 action"), "{}", f[0].message);
        let app = "arn:aws:mobiletargeting:eu-west-1:210987654321:apps/a";
        let f = one(
            json!({"Effect": "Allow", "Action": ["mobiletargeting:Get*", "mobiletargeting:update*"], "Resource": app}),
        );
        let least_privilege: Vec<&Finding> = f.iter().filter(|f| !f.message.contains("end of support")).collect();
        assert_eq!(least_privilege.len(), 1, "reads are fine: {f:?}");
        assert_eq!(least_privilege[0].path.to_string(), "Statement[0].Action[1]");
        assert!(
            least_privilege[0].message.contains("write action(s): UpdateAdmChannel"),
            "{}",
            least_privilege[0].message
        );
        let f = one(
            json!({"Effect": "Allow", "Action": "ses:Create*", "Resource": "arn:aws:ses:eu-west-1:210987654321:identity/*"}),
        );
        assert_eq!(f[0].severity, Severity::SecurityWarning, "{f:?}");
        assert!(f[0].message.contains("CreateEmailIdentityPolicy"), "{}", f[0].message);
    }

    #[test]
    fn service_wide_wildcards_and_every_action() {
        let bucket = json!(["arn:aws:s3:::b", "arn:aws:s3:::b/*"]);
        let f = one(json!({"Effect": "Allow", "Action": "s3:*", "Resource": bucket}));
        assert_eq!(found(&f), [(Severity::SecurityWarning, "Statement[0].Action".into())]);
        assert!(f[0].message.contains("permissions management included"), "{}", f[0].message);
        let ctx = Context { assumed_by: vec![("Import".into(), "pinpoint.amazonaws.com".into())], users: vec![] };
        let f = policy(&json!({"Statement": {"Effect": "Allow", "Action": "s3:*", "Resource": bucket}}), &ctx);
        assert_eq!(found(&f), [(Severity::SecurityWarning, "Statement.Action".into())]);
        assert!(f[0].message.contains("to Import, which pinpoint.amazonaws.com assumes"), "{}", f[0].message);
        let f = one(json!({"Effect": "Allow", "Action": "*", "Resource": "*"}));
        assert_eq!(found(&f), [(Severity::SecurityWarning, "Statement[0].Action".into())]);
        assert!(one(json!({"Effect": "Deny", "Action": "s3:*", "Resource": "*"})).is_empty(), "a broad Deny is fine");
    }

    #[test]
    fn permissions_management_or_pass_role_on_every_resource() {
        let f = one(json!({"Effect": "Allow", "Action": "s3:PutAccountPublicAccessBlock", "Resource": "*"}));
        assert_eq!(found(&f), [(Severity::SecurityWarning, "Statement[0].Action".into())]);
        assert!(f[0].message.contains("Block Public Access"), "{}", f[0].message);
        let f = one(json!({"Effect": "Allow", "Action": "iam:PassRole", "Resource": "*"}));
        assert_eq!(
            found(&f),
            [
                (Severity::SecurityWarning, "Statement[0].Action".into()),
                (Severity::Suggestion, "Statement[0].Resource".into())
            ]
        );
        let role = "arn:aws:iam::210987654321:role/Import";
        assert!(one(json!({"Effect": "Allow", "Action": "iam:PassRole", "Resource": role})).is_empty());
    }

    #[test]
    fn actions_and_resources_that_do_not_fit_each_other() {
        let f = one(json!({"Sid": "S", "Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
            "Resource": ["arn:aws:s3:::b", "arn:aws:logs:eu-west-1:210987654321:log-group:g"]}));
        assert_eq!(
            found(&f),
            [
                (Severity::Warning, "Statement[0].Action[0]".into()),
                (Severity::Suggestion, "Statement[0].Resource[1]".into())
            ]
        );
        assert!(
            f[0].message.contains("s3:GetObject cannot apply to any of this statement's resources"),
            "{}",
            f[0].message
        );
        assert!(f[0].message.contains("object"), "names its resource types: {}", f[0].message);
        let f = one(json!({"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "arn:aws:s3:::b"}));
        assert_eq!(
            found(&f),
            [(Severity::Error, "Statement[0]".into()), (Severity::Warning, "Statement[0].Action".into())],
            "a statement that grants nothing: {f:?}"
        );
        assert!(f[1].message.contains("only \"Resource\": \"*\""), "{}", f[1].message);
    }

    #[test]
    fn resources_in_every_account_or_region_or_everything() {
        let f = one(json!({"Effect": "Allow", "Action": ["logs:PutLogEvents", "mobiletargeting:GetApp"],
            "Resource": ["arn:aws:logs:*:*:*", "arn:aws:mobiletargeting:*:210987654321:apps/a"]}));
        assert_eq!(
            found(&f),
            [
                (Severity::Warning, "Statement[0].Resource[0]".into()),
                (Severity::Suggestion, "Statement[0].Resource[1]".into())
            ]
        );
        assert!(f[0].message.contains("logs resources in any account and every Region"), "{}", f[0].message);
        let f = one(json!({"Effect": "Allow", "Action": "ses:SendEmail", "Resource": "*"}));
        assert_eq!(found(&f), [(Severity::Suggestion, "Statement[0].Resource".into())]);
        assert!(
            one(json!({"Effect": "Allow", "Action": "s3:ListAllMyBuckets", "Resource": "*"})).is_empty(),
            "* is needed"
        );
    }

    #[test]
    fn unknown_condition_keys_are_errors_at_the_key() {
        let f = trust(&json!({"Statement": [{"Effect": "Allow", "Principal": {"Service": "pinpoint.amazonaws.com"},
            "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"aws:SourceAcount": "210987654321",
            "aws:SourceArn": "arn:aws:mobiletargeting:eu-west-1:210987654321:apps/a"}}}]}));
        assert_eq!(found(&f), [(Severity::Error, "Statement[0].Condition.StringEquals.aws:SourceAcount".into())]);
        assert!(f[0].message.ends_with("did you mean aws:SourceAccount?"), "{}", f[0].message);
        let f = one(json!({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::b",
            "Condition": {"StringLike": {"s3:prefix": "imports/*", "s3:Prefixx": "x"}}}));
        assert_eq!(found(&f), [(Severity::Error, "Statement[0].Condition.StringLike.s3:Prefixx".into())]);
    }

    #[test]
    fn trust_policies_without_confused_deputy_conditions_or_open_to_anyone() {
        let open = json!({"Statement": [{"Effect": "Allow", "Principal": {"Service": "pinpoint.amazonaws.com"}, "Action": "sts:AssumeRole"}]});
        assert_eq!(found(&trust(&open)), [(Severity::SecurityWarning, "Statement[0].Principal.Service".into())]);
        let guarded = json!({"Statement": [{"Effect": "Allow", "Principal": {"Service": "pinpoint.amazonaws.com"}, "Action": "sts:AssumeRole",
            "Condition": {"StringEquals": {"aws:SourceAccount": "210987654321"}}}]});
        assert!(trust(&guarded).is_empty());
        let lambda = json!({"Statement": [{"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]});
        assert!(trust(&lambda).is_empty());
        let anyone =
            json!({"Statement": [{"Effect": "Allow", "Principal": {"AWS": ["*"]}, "Action": "sts:AssumeRol"}]});
        assert_eq!(
            found(&trust(&anyone)),
            [
                (Severity::Error, "Statement[0].Action".into()),
                (Severity::SecurityWarning, "Statement[0].Principal.AWS[0]".into())
            ]
        );
    }

    #[test]
    fn what_the_document_denies_everywhere_is_not_counted_against_its_wildcards() {
        let doc = json!({"Statement": [
            {"Effect": "Allow", "Action": ["ses:Create*", "ses:PutIdentityPolicy"], "Resource": "*"},
            {"Effect": "Deny", "Action": ["ses:CreateEmailIdentityPolicy", "ses:PutIdentityPolicy"], "Resource": "*"}
        ]});
        let f = policy(&doc, &Context::default());
        assert!(f.iter().all(|f| f.severity != Severity::SecurityWarning), "{f:?}");
        assert!(f.iter().any(|f| f.message.contains("ses:Create* grants")), "still a write wildcard: {f:?}");
        // A Deny with a condition may not apply: the wildcard is judged as written.
        let conditional = json!({"Statement": [
            {"Effect": "Allow", "Action": "ses:Create*", "Resource": "*"},
            {"Effect": "Deny", "Action": "ses:CreateEmailIdentityPolicy", "Resource": "*",
             "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "false"}}}
        ]});
        let f = policy(&conditional, &Context::default());
        assert!(f.iter().any(|f| f.severity == Severity::SecurityWarning), "{f:?}");
    }

    /// An action, the ARN it acts on, and the request's condition keys.
    type JobCall = (&'static str, String, Vec<(&'static str, &'static str)>);

    /// What each principal's job is, as the calls it makes: the Lambda functions of the segment import (S3
    /// files, their logs), Pinpoint reading the files through the import role, the function that starts the
    /// import, and the Postman user of the other guide.
    fn jobs() -> Vec<(&'static str, Vec<JobCall>)> {
        let (acct, region, project) = ("210987654321", "eu-west-1", "0123456789abcdef0123456789abcdef");
        let object = "arn:aws:s3:::my-bucket/imports/segment.csv".to_string();
        let bucket = "arn:aws:s3:::my-bucket".to_string();
        let group = format!("arn:aws:logs:{region}:{acct}:log-group:/aws/lambda/ImportSegments");
        let stream = format!("{group}:log-stream:2026/11/23/[$LATEST]0123456789abcdef");
        let app = format!("arn:aws:mobiletargeting:{region}:{acct}:apps/{project}");
        let import_role = format!("arn:aws:iam::{acct}:role/PinpointSegmentImport");
        let lambda_logs = vec![
            ("logs:CreateLogGroup", group.clone(), vec![]),
            ("logs:CreateLogStream", stream.clone(), vec![]),
            ("logs:PutLogEvents", stream.clone(), vec![]),
        ];
        let mut s3_role = vec![
            ("s3:GetObject", object.clone(), vec![]),
            ("s3:PutObject", object.clone(), vec![]),
            ("s3:DeleteObject", object.clone(), vec![]),
            ("s3:ListBucket", bucket.clone(), vec![]),
        ];
        s3_role.extend(lambda_logs.clone());
        let mut pinpoint_role = vec![
            ("mobiletargeting:CreateImportJob", app.clone(), vec![]),
            ("mobiletargeting:GetImportJobs", app.clone(), vec![]),
            (
                "mobiletargeting:PhoneNumberValidate",
                format!("arn:aws:mobiletargeting:{region}:{acct}:phone/number/validate"),
                vec![],
            ),
            ("iam:GetRole", import_role.clone(), vec![]),
            ("iam:PassRole", import_role, vec![("iam:PassedToService", "pinpoint.amazonaws.com")]),
            ("s3:GetObject", object.clone(), vec![]),
            ("s3:ListBucket", bucket.clone(), vec![]),
        ];
        pinpoint_role.extend(lambda_logs);
        let postman = vec![
            ("mobiletargeting:GetApp", app.clone(), vec![]),
            ("mobiletargeting:CreateSegment", app.clone(), vec![]),
            ("mobiletargeting:SendMessages", format!("{app}/messages"), vec![]),
            ("mobiletargeting:UpdateEndpoint", format!("{app}/endpoints/endpoint-1"), vec![]),
            (
                "mobiletargeting:PhoneNumberValidate",
                format!("arn:aws:mobiletargeting:{region}:{acct}:phone/number/validate"),
                vec![],
            ),
            ("ses:SendEmail", format!("arn:aws:ses:{region}:{acct}:identity/sender@example.com"), vec![]),
            ("ses:CreateEmailIdentity", format!("arn:aws:ses:{region}:{acct}:identity/example.com"), vec![]),
            ("ses:GetAccount", "*".to_string(), vec![("aws:RequestedRegion", region)]),
            ("sms-voice:SendVoiceMessage", "*".to_string(), vec![("aws:RequestedRegion", region)]),
        ];
        vec![
            ("ImporterS3Role", s3_role),
            ("PinpointSegmentImport", vec![("s3:GetObject", object, vec![]), ("s3:ListBucket", bucket, vec![])]),
            ("ImporterPinpointRole", pinpoint_role),
            ("PostmanUser", postman),
        ]
    }

    #[test]
    fn the_tightened_documents_have_no_error_or_security_warning_and_still_do_each_roles_job() {
        let mut p = Params::new(Selection::all(), "210987654321".parse().unwrap(), "eu-west-1".parse().unwrap());
        p.bucket = Some("my-bucket".parse().unwrap());
        p.project = Some("0123456789abcdef0123456789abcdef".parse().unwrap());
        p.tighten = true;
        let d = p.desired().unwrap();
        for view in d.documents() {
            let serious: Vec<Finding> =
                of_document(&d, &view).into_iter().filter(|f| f.severity <= Severity::SecurityWarning).collect();
            assert!(serious.is_empty(), "{}: {serious:#?}", view.title);
        }
        let cat = catalogue::get().unwrap();
        let attached = |principal: &str| -> Vec<&Value> {
            let names = d
                .roles
                .iter()
                .find(|r| r.name.as_str() == principal)
                .map(|r| &r.policies)
                .or_else(|| d.users.iter().find(|u| u.name.as_str() == principal).map(|u| &u.policies))
                .unwrap_or_else(|| panic!("{principal} is in the setup"));
            names.iter().map(|n| &d.policy(n).unwrap().document).collect()
        };
        let mut checked = 0;
        for (principal, calls) in jobs() {
            let docs = attached(principal);
            for (action, resource, context) in calls {
                let call = crate::setup::evaluate::Call { action, resource: &resource, context: &context };
                let verdict = crate::setup::evaluate::allows(cat, &docs, &call);
                assert_eq!(verdict, Ok(true), "{principal} must be allowed {action} on {resource}");
                checked += 1;
            }
        }
        assert_eq!(checked, 7 + 2 + 10 + 9);
        // And no more than the job: the passthrough role reads, it does not write or delete.
        let passthrough = attached("PinpointSegmentImport");
        for action in ["s3:PutObject", "s3:DeleteObject", "s3:PutBucketPolicy"] {
            let resource =
                if action == "s3:PutBucketPolicy" { "arn:aws:s3:::my-bucket" } else { "arn:aws:s3:::my-bucket/x" };
            let call = crate::setup::evaluate::Call { action, resource, context: &[] };
            assert_eq!(crate::setup::evaluate::allows(cat, &passthrough, &call), Ok(false), "{action}");
        }
        let postman = attached("PostmanUser");
        let policy = crate::setup::evaluate::Call { action: "ses:PutIdentityPolicy", resource: "*", context: &[] };
        assert_eq!(
            crate::setup::evaluate::allows(cat, &postman, &policy),
            Ok(false),
            "no sending authorization policies"
        );
    }

    #[test]
    fn ended_actions_are_warnings_at_their_place_and_continuing_ones_get_nothing() {
        let app = "arn:aws:mobiletargeting:eu-west-1:210987654321:apps/a";
        let ended = |f: &[Finding]| -> Vec<(Severity, String)> {
            f.iter()
                .filter(|f| f.message.contains("ended with Pinpoint"))
                .map(|f| (f.severity, f.path.to_string()))
                .collect()
        };
        let f = one(json!({"Sid": "S", "Effect": "Allow", "Resource": [app, format!("{app}/*")],
            "Action": ["mobiletargeting:CreateImportJob", "mobiletargeting:PhoneNumberValidate", "mobiletargeting:SendMessages"]}));
        assert_eq!(ended(&f), [(Severity::Warning, "Statement[0].Action[0]".into())], "{f:?}");
        let m = &f.iter().find(|f| f.message.contains("end of support")).unwrap().message;
        assert!(
            m.starts_with("S: mobiletargeting:CreateImportJob ended with Pinpoint's end of support on 2026-10-30; AWS's successor: Amazon Connect Customer Profiles"),
            "{m}"
        );
        // A wildcard of ended actions only: each successor once.
        let f = one(json!({"Effect": "Allow", "Action": "mobiletargeting:*Segment*", "Resource": app}));
        let m = &f.iter().find(|f| f.message.contains("end of support")).unwrap().message;
        assert!(m.contains("mobiletargeting:*Segment* grants only actions that ended"), "{m}");
        assert_eq!(m.matches("Amazon Connect Customer Profiles (export").count(), 1, "{m}");
        // A wildcard that mixes says which continue, and which no page decides.
        let f = one(json!({"Effect": "Allow", "Action": "mobiletargeting:Send*", "Resource": app}));
        let m = &f.iter().find(|f| f.message.contains("end of support")).unwrap().message;
        assert!(m.contains("grants 1 action(s) that ended") && m.contains("(SendUsersMessages)"), "{m}");
        assert!(m.ends_with("these continue as AWS End User Messaging: SendMessages, SendOTPMessage"), "{m}");
        let f = one(json!({"Effect": "Allow", "Action": "mobiletargeting:*ApplicationSettings", "Resource": app}));
        assert_eq!(ended(&f), [], "{f:?}");
        assert!(
            f.iter().any(|f| f.severity == Severity::Suggestion && f.message.contains("no AWS page decides")),
            "{f:?}"
        );
        // A Deny says nothing, nor does an action the document denies everywhere.
        assert!(
            ended(&one(json!({"Effect": "Deny", "Action": "mobiletargeting:CreateImportJob", "Resource": "*"})))
                .is_empty()
        );
    }

    #[test]
    fn allow_with_not_action_is_a_warning() {
        let f = one(json!({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}));
        assert_eq!(found(&f), [(Severity::Warning, "Statement[0].NotAction".into())]);
    }

    #[test]
    fn paths_quote_keys_that_would_read_as_steps() {
        let p = JsonPath::default().key("Statement").index(0).key("Condition").key("StringEquals").key("a.b");
        assert_eq!(p.to_string(), r#"Statement[0].Condition.StringEquals["a.b"]"#);
        assert_eq!(JsonPath::default().to_string(), "");
        assert_eq!(serde_json::to_value(p.key("x")).unwrap(), json!(r#"Statement[0].Condition.StringEquals["a.b"].x"#));
        assert_eq!(serde_json::to_value(Severity::SecurityWarning).unwrap(), json!("security_warning"));
    }

    #[test]
    fn a_user_with_the_policy_attached_and_a_key_gets_the_scanners_two_suggestions() {
        let p = Params::new("postman".parse().unwrap(), "210987654321".parse().unwrap(), "eu-west-1".parse().unwrap());
        let d = p.desired().unwrap();
        let f = of_document(&d, &d.documents()[0]);
        let custody: Vec<&Finding> = f.iter().filter(|f| f.message.contains("(checkov CKV_AWS_")).collect();
        assert_eq!(custody.len(), 2, "{custody:#?}");
        assert!(custody.iter().all(|f| f.severity == Severity::Suggestion && f.path.steps().is_empty()));
        assert!(custody[0].message.contains("PostmanUser") && custody[0].message.contains("group"));
        assert!(custody[1].message.contains("short-lived credentials"));
        // A policy on roles only gets neither.
        let mut p = Params::new(
            "segment-import".parse().unwrap(),
            "210987654321".parse().unwrap(),
            "eu-west-1".parse().unwrap(),
        );
        p.bucket = Some("my-bucket".parse().unwrap());
        p.project = Some("0123456789abcdef0123456789abcdef".parse().unwrap());
        let d = p.desired().unwrap();
        assert!(d.documents().iter().all(|v| !of_document(&d, v).iter().any(|f| f.message.contains("checkov"))));
    }
}
