//! Exports of a setup for other tools: a CloudFormation template, an AWS CLI script, Terraform files, or the
//! bare documents. Rendering is pure ([`render`]: files as relative path and contents, so the wizard can call it
//! offline); [`write`] puts them on disk without ever overwriting anything unasked.
//!
//! No export contains a secret or an access key id: CloudFormation and Terraform would keep a key's secret in
//! the stack's outputs or the state, so they make none; the script makes one only when run with
//! `--with-access-key`, and then the AWS CLI prints it once.

mod cli_script;
pub(crate) use cli_script::sh;
mod cloudformation;
mod documents;
mod terraform;
mod write;

pub use write::{WriteError, check_out, write};

use crate::setup::{IamName, NameField, Params, SetupError};
use serde_json::Value;

/// Which tool the export is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportFormat {
    /// One CloudFormation template (YAML); `--out` is a file.
    CloudFormation,
    /// A bash script of `aws iam` calls with the documents beside it; `--out` is a directory.
    Cli,
    /// Terraform configuration; `--out` is a directory.
    Terraform,
    /// Every policy and trust document as pretty JSON; `--out` is a directory.
    Documents,
}

impl ExportFormat {
    pub const VALUES: [ExportFormat; 4] =
        [ExportFormat::CloudFormation, ExportFormat::Cli, ExportFormat::Terraform, ExportFormat::Documents];

    pub fn as_str(self) -> &'static str {
        match self {
            ExportFormat::CloudFormation => "cloudformation",
            ExportFormat::Cli => "cli",
            ExportFormat::Terraform => "terraform",
            ExportFormat::Documents => "documents",
        }
    }

    /// Whether `--out` names one file (CloudFormation) rather than a directory.
    pub fn is_single_file(self) -> bool {
        self == ExportFormat::CloudFormation
    }

    /// Whether the files carry the account id (the others take it from the account they are deployed in).
    pub fn needs_account(self) -> bool {
        matches!(self, ExportFormat::Cli | ExportFormat::Documents)
    }

    /// Whether the files carry the Region (CloudFormation takes the stack's Region).
    pub fn needs_region(self) -> bool {
        self != ExportFormat::CloudFormation
    }
}

/// Where an export came from, written at the top of every export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// The tool's version.
    pub version: String,
    /// The day it was made, `YYYY-MM-DD` (UTC).
    pub date: String,
}

impl Origin {
    /// This build's version and today's date.
    pub fn now() -> Origin {
        Origin { version: env!("CARGO_PKG_VERSION").to_string(), date: today_utc() }
    }
}

/// One file of an export.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExportFile {
    /// Relative to `--out` (for CloudFormation, the file name the template is suggested under).
    pub path: String,
    pub contents: String,
    /// Written with mode 0755 (the script) rather than 0644.
    pub executable: bool,
}

/// Why an export cannot be rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Setup(#[from] SetupError),
}

/// Render the chosen setups for `format`.
///
/// CloudFormation and Terraform do not use `params.account` (they take the account they are deployed in), and
/// CloudFormation does not use `params.region` either (it takes the stack's Region).
pub fn render(params: &Params, format: ExportFormat, origin: &Origin) -> Result<Vec<ExportFile>, ExportError> {
    let model = Model::new(params)?;
    Ok(match format {
        ExportFormat::CloudFormation => vec![cloudformation::render(&model, origin)],
        ExportFormat::Cli => cli_script::render(&model, origin),
        ExportFormat::Terraform => terraform::render(&model, origin),
        ExportFormat::Documents => documents::render(&model, origin),
    })
}

/// The command line that describes the setup, for the "where it came from" line of every export.
pub fn describe(params: &Params, format: ExportFormat) -> String {
    let mut s = format!("--setup {}", params.setup);
    if format.needs_account() {
        s.push_str(&format!(" --account-id {}", params.account));
    }
    if format.needs_region() {
        s.push_str(&format!(" --region {}", params.region));
    }
    if let Some(b) = &params.bucket {
        s.push_str(&format!(" --bucket {b}"));
    }
    if let Some(p) = &params.project {
        s.push_str(&format!(" --project-id {p}"));
    }
    if params.harden {
        s.push_str(" --harden");
    }
    if params.tighten {
        s.push_str(" --tighten");
    }
    for f in params.name_fields() {
        let name = params.names.get(f);
        if name != f.default {
            s.push_str(&format!(" --name {}={name}", f.option()));
        }
    }
    if !params.path.is_root() {
        s.push_str(&format!(" --path {}", params.path));
    }
    if let Some(b) = &params.boundary {
        s.push_str(&format!(" --permissions-boundary {b}"));
    }
    s
}

/// The values a document depends on, kept symbolic so each format can say them its own way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Symbol {
    Partition,
    Account,
    Region,
    Bucket,
    Project,
}

impl Symbol {
    const ALL: [Symbol; 5] = [Symbol::Partition, Symbol::Account, Symbol::Region, Symbol::Bucket, Symbol::Project];

    /// A marker no rendered value can contain (private-use characters), substituted for the value.
    fn marker(self) -> &'static str {
        match self {
            Symbol::Partition => "\u{E000}partition\u{E001}",
            Symbol::Account => "\u{E000}account\u{E001}",
            Symbol::Region => "\u{E000}region\u{E001}",
            Symbol::Bucket => "\u{E000}bucket\u{E001}",
            Symbol::Project => "\u{E000}project\u{E001}",
        }
    }
}

/// A document with [`Symbol`] markers where the partition, account, Region, bucket and project go.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct SymbolicDoc(Value);

impl SymbolicDoc {
    /// The document with every string holding a marker replaced by `f(string)`, which gets the string split into
    /// literal text and symbols.
    pub(crate) fn map(&self, f: &dyn Fn(&[Part<'_>]) -> Value) -> Value {
        fn walk(v: &Value, f: &dyn Fn(&[Part<'_>]) -> Value) -> Value {
            match v {
                Value::String(s) if s.contains('\u{E000}') => f(&split(s)),
                Value::Array(a) => Value::Array(a.iter().map(|x| walk(x, f)).collect()),
                Value::Object(o) => Value::Object(o.iter().map(|(k, x)| (k.clone(), walk(x, f))).collect()),
                other => other.clone(),
            }
        }
        walk(&self.0, f)
    }

    /// The document with the symbols given as plain text by `f` (one string per string).
    pub(crate) fn substitute(&self, f: &dyn Fn(Symbol) -> String, escape: &dyn Fn(&str) -> String) -> Value {
        self.map(&|parts| {
            let mut out = String::new();
            for p in parts {
                match p {
                    Part::Text(t) => out.push_str(&escape(t)),
                    Part::Symbol(s) => out.push_str(&f(*s)),
                }
            }
            Value::String(out)
        })
    }
}

/// A piece of a string in a symbolic document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Part<'a> {
    Text(&'a str),
    Symbol(Symbol),
}

fn split(s: &str) -> Vec<Part<'_>> {
    let mut parts = Vec::new();
    let mut rest = s;
    'outer: while !rest.is_empty() {
        let next = Symbol::ALL.iter().filter_map(|sym| rest.find(sym.marker()).map(|i| (i, *sym))).min_by_key(|x| x.0);
        match next {
            Some((i, sym)) => {
                if i > 0 {
                    parts.push(Part::Text(&rest[..i]));
                }
                parts.push(Part::Symbol(sym));
                rest = &rest[i + sym.marker().len()..];
            }
            None => {
                parts.push(Part::Text(rest));
                break 'outer;
            }
        }
    }
    parts
}

/// A resource another one refers to (an attachment): its name field, for identifiers, and its name.
#[derive(Clone)]
pub(crate) struct Named {
    pub field: &'static NameField,
    pub name: IamName,
}

/// A managed policy as the exports see it.
#[derive(Clone)]
pub(crate) struct PolicyModel {
    pub name: IamName,
    pub field: &'static NameField,
    /// The document with this account's values, as `apply` writes it.
    pub document: Value,
    pub symbolic: SymbolicDoc,
    /// Roles, then users, that it is attached to.
    pub roles: Vec<Named>,
    pub users: Vec<Named>,
}

#[derive(Clone)]
pub(crate) struct RoleModel {
    pub name: IamName,
    pub field: &'static NameField,
    pub trust: Value,
    pub symbolic_trust: SymbolicDoc,
    pub policies: Vec<Named>,
}

#[derive(Clone)]
pub(crate) struct UserModel {
    pub name: IamName,
    pub field: &'static NameField,
    pub policies: Vec<Named>,
    /// Whether the setup gives it an access key (the script makes it with `--with-access-key`).
    pub access_key: bool,
}

/// Everything the formats need: the rendered setup, each resource with its name field (for stable identifiers)
/// and its documents both rendered and symbolic.
#[derive(Clone)]
pub(crate) struct Model<'a> {
    pub params: &'a Params,
    pub policies: Vec<PolicyModel>,
    pub roles: Vec<RoleModel>,
    pub users: Vec<UserModel>,
    /// The permissions boundary of every role and user, its partition (and account, unless AWS-managed) as
    /// symbols: the boundary is the deploying account's, as IAM requires.
    pub boundary: Option<SymbolicDoc>,
}

/// A boundary's ARN with its partition, and its account unless `aws`, as symbols.
fn symbolic_boundary(b: &crate::setup::BoundaryArn) -> SymbolicDoc {
    let resource = b.as_str().splitn(6, ':').nth(5).unwrap_or_default();
    let account = match b.owner() {
        crate::setup::guardrails::BoundaryOwner::Aws => "aws",
        crate::setup::guardrails::BoundaryOwner::Account(_) => Symbol::Account.marker(),
    };
    SymbolicDoc(Value::String(format!("arn:{}:iam::{account}:{resource}", Symbol::Partition.marker())))
}

/// Pinpoint's end of support, for the exports to carry as comments: each chosen setup's line, then each grant
/// of `mobiletargeting` actions that ended (or that no page decides), with its policy and place. Empty when
/// nothing ended.
pub(crate) fn end_of_support_lines(m: &Model<'_>) -> Vec<String> {
    let mut lines: Vec<String> = m.params.setup.setups().filter_map(|s| s.end_of_support).map(String::from).collect();
    let (Ok(cat), Ok(table)) = (crate::setup::catalogue::get(), crate::setup::end_of_support::get()) else {
        return lines;
    };
    for pol in &m.policies {
        for grant in crate::setup::findings::pinpoint_grants(cat, table, &pol.document) {
            let (severity, message) = grant.finding(table);
            lines.push(format!("{} at {} ({severity}): {message}", pol.name, grant.place));
        }
    }
    lines
}

/// [`end_of_support_lines`] as a block of `#` comments (CloudFormation, Terraform and the script share the
/// syntax), with a heading; empty when there is nothing to say.
pub(crate) fn end_of_support_comment(m: &Model<'_>) -> String {
    let lines = end_of_support_lines(m);
    if lines.is_empty() {
        return String::new();
    }
    let mut out =
        "#\n# Amazon Pinpoint's end of support (2026-10-30), per action (pinpoint-iam-wizard plan lists the same):\n"
            .to_string();
    for l in lines {
        out.push_str(&format!("#   {l}\n"));
    }
    out
}

/// The description `apply` gives the policies and roles it creates.
pub(crate) const POLICY_DESCRIPTION: &str = "Created by pinpoint-iam-wizard";

impl<'a> Model<'a> {
    fn new(params: &'a Params) -> Result<Model<'a>, SetupError> {
        let desired = params.desired()?;
        let names = params.name_vars();
        let mut vars: Vec<(&str, &str)> = vec![
            ("partition", Symbol::Partition.marker()),
            ("account_id", Symbol::Account.marker()),
            ("region", Symbol::Region.marker()),
            // The path is written as given, like the names.
            ("path", params.path.as_str()),
        ];
        vars.extend(names.iter().map(|(k, v)| (k.as_str(), *v)));
        if params.bucket.is_some() {
            vars.push(("bucket", Symbol::Bucket.marker()));
        }
        if params.project.is_some() {
            vars.push(("project_id", Symbol::Project.marker()));
        }
        // The same resources in the same order, with symbols where the values go.
        let symbolic = params.render(&vars)?;
        let policy_named = |name: &IamName| {
            desired.policies.iter().find(|p| &p.name == name).map(|p| Named { field: p.field, name: name.clone() })
        };
        let roles: Vec<RoleModel> = desired
            .roles
            .iter()
            .zip(symbolic.roles)
            .map(|(r, s)| RoleModel {
                name: r.name.clone(),
                field: r.field,
                trust: r.trust.clone(),
                symbolic_trust: SymbolicDoc(s.trust),
                policies: r.policies.iter().filter_map(policy_named).collect(),
            })
            .collect();
        let users: Vec<UserModel> = desired
            .users
            .iter()
            .map(|u| UserModel {
                name: u.name.clone(),
                field: u.field,
                policies: u.policies.iter().filter_map(policy_named).collect(),
                access_key: u.access_key,
            })
            .collect();
        let attached = |to: &[Named], name: &IamName| to.iter().any(|n| &n.name == name);
        let policies = desired
            .policies
            .iter()
            .zip(symbolic.policies)
            .map(|(p, s)| PolicyModel {
                name: p.name.clone(),
                field: p.field,
                document: p.document.clone(),
                symbolic: SymbolicDoc(s.document),
                roles: roles
                    .iter()
                    .filter(|r| attached(&r.policies, &p.name))
                    .map(|r| Named { field: r.field, name: r.name.clone() })
                    .collect(),
                users: users
                    .iter()
                    .filter(|u| attached(&u.policies, &p.name))
                    .map(|u| Named { field: u.field, name: u.name.clone() })
                    .collect(),
            })
            .collect();
        let boundary = params.boundary.as_ref().map(symbolic_boundary);
        Ok(Model { params, policies, roles, users, boundary })
    }

    /// The value of a symbol for this account.
    pub fn value(&self, s: Symbol) -> String {
        let p = self.params;
        match s {
            Symbol::Partition => p.partition().to_string(),
            Symbol::Account => p.account.to_string(),
            Symbol::Region => p.region.to_string(),
            Symbol::Bucket => p.bucket.as_ref().map(|b| b.to_string()).unwrap_or_default(),
            Symbol::Project => p.project.as_ref().map(|b| b.to_string()).unwrap_or_default(),
        }
    }

    /// Whether any document uses the symbol.
    pub fn uses(&self, s: Symbol) -> bool {
        let docs = self.policies.iter().map(|p| &p.symbolic).chain(self.roles.iter().map(|r| &r.symbolic_trust));
        docs.into_iter().any(|d| d.0.to_string().contains(s.marker()))
    }
}

/// An identifier from a name field: `--postman-policy-name` gives `PostmanPolicy` (CamelCase) or
/// `postman_policy` (snake case).
pub(crate) fn ident(f: &NameField, camel: bool) -> String {
    let words = f.flag.trim_start_matches("--").trim_end_matches("-name").split('-');
    if camel {
        words
            .map(|w| {
                let mut c = w.chars();
                c.next().map(|first| first.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
            })
            .collect()
    } else {
        words.collect::<Vec<_>>().join("_")
    }
}

/// Pretty JSON with four-space indents: the way the AWS CLI prints a document, so the script can compare text.
pub(crate) fn pretty(v: &Value) -> String {
    use serde::Serialize;
    let mut buf = Vec::new();
    let mut ser =
        serde_json::Serializer::with_formatter(&mut buf, serde_json::ser::PrettyFormatter::with_indent(b"    "));
    // Serializing a Value to memory cannot fail.
    let _ = v.serialize(&mut ser);
    String::from_utf8_lossy(&buf).into_owned()
}

/// Today's date in UTC, `YYYY-MM-DD`.
pub fn today_utc() -> String {
    let secs = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    civil_date(secs / 86_400)
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's `civil_from_days`).
fn civil_date(days: u64) -> String {
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::setup::segment_import::S3_POLICY;
    use crate::setup::{IamKind, Selection};

    pub fn params(setup: Selection) -> Params {
        Params::example(setup)
    }

    pub fn origin() -> Origin {
        Origin { version: "9.9.9".into(), date: "2026-11-23".into() }
    }

    #[test]
    fn symbolic_documents_render_back_to_the_account_documents() {
        for setup in Selection::choices() {
            for (harden, tighten) in [(false, false), (true, false), (false, true)] {
                let mut p = params(setup);
                p.harden = harden;
                p.tighten = tighten;
                p.region = "cn-north-1".parse().unwrap();
                let m = Model::new(&p).unwrap();
                let back = |d: &SymbolicDoc| d.substitute(&|s| m.value(s), &|t| t.to_string());
                for pol in &m.policies {
                    assert_eq!(back(&pol.symbolic), pol.document, "{}", pol.name);
                }
                for r in &m.roles {
                    assert_eq!(back(&r.symbolic_trust), r.trust, "{}", r.name);
                }
            }
        }
    }

    #[test]
    fn every_resource_knows_its_field_and_attachments() {
        let p = params(Selection::all());
        let m = Model::new(&p).unwrap();
        let s3 = m.policies.iter().find(|x| x.name.as_str() == "ImporterS3Policy").unwrap();
        let roles: Vec<String> = s3.roles.iter().map(|r| r.name.to_string()).collect();
        assert_eq!(roles, ["ImporterS3Role", "ImporterPinpointRole"]);
        let postman = m.policies.iter().find(|x| x.name.as_str() == "PostmanAccessPolicy").unwrap();
        assert_eq!(postman.users.len(), 1);
        assert_eq!(ident(postman.field, true), "PostmanPolicy");
        assert_eq!(ident(postman.field, false), "postman_policy");
        assert!(m.uses(Symbol::Project) && m.uses(Symbol::Bucket));
        let p = params("postman".parse().unwrap());
        assert!(!Model::new(&p).unwrap().uses(Symbol::Region));
    }

    #[test]
    fn renamed_resources_keep_their_identifiers() {
        let mut p = params(Selection::all());
        p.names.set(&S3_POLICY, IamName::parse("n", IamKind::Policy, "Other.S3@Policy").unwrap());
        let m = Model::new(&p).unwrap();
        let f = m.policies.iter().find(|x| x.name.as_str() == "Other.S3@Policy").unwrap().field;
        assert_eq!(ident(f, true), "S3Policy");
        assert!(describe(&p, ExportFormat::Cli).contains("--name s3-policy-name=Other.S3@Policy"));
    }

    #[test]
    fn describe_says_only_what_the_format_uses() {
        let p = params(Selection::all());
        let cfn = describe(&p, ExportFormat::CloudFormation);
        assert!(!cfn.contains("--account-id") && !cfn.contains("--region"), "{cfn}");
        let cli = describe(&p, ExportFormat::Cli);
        assert!(
            cli.starts_with("--setup all --account-id 210987654321 --region eu-west-1 --bucket my-bucket"),
            "{cli}"
        );
    }

    #[test]
    fn dates_are_civil() {
        assert_eq!(civil_date(0), "1970-01-01");
        assert_eq!(civil_date(20_415), "2025-11-23");
        assert_eq!(civil_date(11_016), "2000-02-29");
        assert_eq!(today_utc().len(), 10);
    }

    #[test]
    fn pretty_matches_the_aws_cli() {
        let v: Value = serde_json::json!({"a": [1, "x"], "b": {}});
        assert_eq!(pretty(&v), "{\n    \"a\": [\n        1,\n        \"x\"\n    ],\n    \"b\": {}\n}");
    }

    #[test]
    fn a_setup_declared_elsewhere_is_exported_like_the_others() {
        let mut p = params(Selection::all());
        p.setup = crate::setup::registry::throwaway::with_postman();
        let files = render(&p, ExportFormat::CloudFormation, &origin()).unwrap();
        let cfn = &files[0].contents;
        assert!(cfn.contains("ReaderRole:\n    Type: AWS::IAM::Role"), "{cfn}");
        assert!(cfn.contains("- !Ref ReaderRole"), "attached on the policy: {cfn}");
        assert!(cfn.contains("${AWS::Region}:${AWS::AccountId}:log-group:${BucketName}:*"), "{cfn}");
    }

    #[test]
    fn tightened_exports_carry_the_tightened_documents_and_say_so() {
        let mut p = params(Selection::all());
        p.tighten = true;
        let files = render(&p, ExportFormat::Documents, &origin()).unwrap();
        let desired = p.desired().unwrap();
        let s3 = files.iter().find(|f| f.path == "policies/ImporterS3Policy.json").unwrap();
        let doc: Value = serde_json::from_str(&s3.contents).unwrap();
        assert_eq!(doc, desired.policies[1].document);
        assert!(!s3.contents.contains("s3:*"), "{}", s3.contents);
        assert!(describe(&p, ExportFormat::Cli).contains(" --tighten"));
        assert!(!describe(&params(Selection::all()), ExportFormat::Cli).contains("--tighten"));
    }
}
