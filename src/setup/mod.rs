//! The setups of AWS's Pinpoint guides as pure data ([`registry`], one module each: [`postman`],
//! [`segment_import`]), and the documents they render for the values given.

pub mod catalogue;
pub mod end_of_support;
pub mod end_user_messaging;
pub mod evaluate;
pub mod findings;
pub mod guardrails;
pub mod postman;
pub mod registry;
pub mod segment_import;
pub mod template;
pub mod values;

use serde_json::Value;
use std::collections::BTreeMap;

pub use guardrails::{BoundaryArn, IamPath};
pub use registry::{NameField, Param, PolicyDef, RoleDef, SETUPS, Selection, SetupDef, UserDef};
pub use template::{DocKind, Template, TemplateError};
pub use values::{AccountId, BucketName, IamKind, IamName, InvalidValue, ProjectId, Region, Tag};

/// The tag every resource this tool creates carries; destroy only touches resources tagged so.
pub const MANAGED_BY_KEY: &str = "ManagedBy";
pub const MANAGED_BY_VALUE: &str = "pinpoint-iam-wizard";
/// The tag that names the run that created a resource: a create whose answer was lost is recognised by it.
pub const RUN_TAG_KEY: &str = "pinpoint-iam-wizard:run";
/// The policy tag listing the versions this tool wrote (space-separated ids): only those are ever pruned
/// without `--prune-foreign-versions`.
pub const VERSIONS_TAG_KEY: &str = "pinpoint-iam-wizard:versions";
/// User tags `pinpoint-iam-wizard:key:<ACCESS KEY ID>` mark the access keys this tool made.
pub const KEY_TAG_PREFIX: &str = "pinpoint-iam-wizard:key:";
/// IAM's limit of tags on one resource.
pub const MAX_TAGS: usize = 50;
/// Tags this tool adds to every resource it creates (owner and run).
pub const OWN_TAGS: usize = 2;

/// The name of every resource: the guides' names unless overridden.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Names {
    /// By flag; only names that differ from the guide's, so equal names compare equal.
    overrides: BTreeMap<&'static str, IamName>,
}

impl Names {
    /// The name `field` has.
    pub fn get<'a>(&'a self, field: &NameField) -> &'a str {
        self.overrides.get(field.flag).map(IamName::as_str).unwrap_or(field.default)
    }

    /// The name `field` has, as an [`IamName`].
    pub fn name(&self, field: &NameField) -> IamName {
        IamName::known(self.get(field))
    }

    pub fn set(&mut self, field: &'static NameField, name: IamName) {
        if name.as_str() == field.default {
            self.overrides.remove(field.flag);
        } else {
            self.overrides.insert(field.flag, name);
        }
    }
}

/// Everything a setup needs, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Params {
    pub setup: Selection,
    pub account: AccountId,
    pub region: Region,
    pub bucket: Option<BucketName>,
    pub project: Option<ProjectId>,
    /// The tightened trust policies (confused-deputy conditions), the guides' policies.
    pub harden: bool,
    /// The tightened documents, trust included, instead of the guides' (see `assets/tightened/`).
    pub tighten: bool,
    /// May apply delete, to make room at IAM's five versions, a policy version this tool did not write?
    pub prune_foreign_versions: bool,
    pub names: Names,
    /// The path of every policy, role and user (`--path`; IAM's `/` by default).
    pub path: IamPath,
    /// The permissions boundary of every role and user (`--permissions-boundary`).
    pub boundary: Option<BoundaryArn>,
}

/// A managed policy to exist with exactly this document.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicySpec {
    pub name: IamName,
    /// Which name it is (stable identifiers in exports).
    pub field: &'static NameField,
    pub arn: String,
    pub template: &'static Template,
    pub document: Value,
    /// The guide's document, when a tightened one is used instead.
    pub guide: Option<Value>,
    pub path: IamPath,
}

/// A role to exist with this trust policy and these managed policies attached.
#[derive(Debug, Clone, PartialEq)]
pub struct RoleSpec {
    pub name: IamName,
    pub field: &'static NameField,
    pub arn: String,
    pub trust_template: &'static Template,
    pub trust: Value,
    /// The guide's trust policy, when a tightened one is used instead.
    pub guide_trust: Option<Value>,
    pub policies: Vec<IamName>,
    pub path: IamPath,
    pub boundary: Option<BoundaryArn>,
}

/// A user to exist with these managed policies attached, and with one access key if `access_key`.
#[derive(Debug, Clone, PartialEq)]
pub struct UserSpec {
    pub name: IamName,
    pub field: &'static NameField,
    pub arn: String,
    pub policies: Vec<IamName>,
    pub access_key: bool,
    pub path: IamPath,
    pub boundary: Option<BoundaryArn>,
}

/// The state the chosen setups describe.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Desired {
    pub policies: Vec<PolicySpec>,
    pub roles: Vec<RoleSpec>,
    pub users: Vec<UserSpec>,
}

/// A resource by name, all that destroy needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resource {
    pub name: IamName,
    pub arn: String,
}

/// The resources of the chosen setups, without their documents.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Resources {
    pub policies: Vec<Resource>,
    pub roles: Vec<Resource>,
    pub users: Vec<Resource>,
}

/// A document as the preview shows it.
pub struct DocumentView<'a> {
    pub title: String,
    pub template: &'static Template,
    pub document: &'a Value,
    /// The guide's document, when a tightened one is used instead.
    pub guide: Option<&'a Value>,
}

impl Desired {
    pub fn policy(&self, name: &IamName) -> Option<&PolicySpec> {
        self.policies.iter().find(|p| &p.name == name)
    }

    /// Every document to be written, policies first, then trust policies.
    pub fn documents(&self) -> Vec<DocumentView<'_>> {
        let policies = self.policies.iter().map(|p| DocumentView {
            title: p.name.to_string(),
            template: p.template,
            document: &p.document,
            guide: p.guide.as_ref(),
        });
        let trusts = self.roles.iter().map(|r| DocumentView {
            title: format!("{} trust", r.name),
            template: r.trust_template,
            document: &r.trust,
            guide: r.guide_trust.as_ref(),
        });
        policies.chain(trusts).collect()
    }
}

/// Why the parameters cannot describe a setup.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SetupError {
    #[error("missing {field}: the {setup} setup needs {what}")]
    Missing { field: &'static str, setup: &'static str, what: &'static str },
    #[error("{first} and {second} are both named {name:?} (IAM names ignore case): every resource needs its own name")]
    DuplicateName { first: &'static str, second: &'static str, name: String },
    #[error(transparent)]
    Template(#[from] TemplateError),
    #[error(transparent)]
    Invalid(#[from] InvalidValue),
}

impl Params {
    /// The parameters with the guides' names and no optional values.
    pub fn new(setup: Selection, account: AccountId, region: Region) -> Self {
        Params {
            setup,
            account,
            region,
            bucket: None,
            project: None,
            harden: false,
            tighten: false,
            prune_foreign_versions: false,
            names: Names::default(),
            path: IamPath::default(),
            boundary: None,
        }
    }

    pub fn partition(&self) -> &'static str {
        self.region.partition()
    }

    /// The organisation's guardrails this run carries, in the words every plan (text, wizard) heads with; `None`
    /// when neither is set.
    pub fn guardrails(&self) -> Option<String> {
        if self.path.is_root() && self.boundary.is_none() {
            return None;
        }
        let boundary = self.boundary.as_ref().map_or("none".to_string(), |b| b.to_string());
        Some(format!("Guardrails: path {}, permissions boundary {boundary}", self.path))
    }

    pub fn policy_arn(&self, name: &IamName) -> String {
        format!("arn:{}:iam::{}:policy{}{}", self.partition(), self.account, self.path, name)
    }

    pub fn role_arn(&self, name: &IamName) -> String {
        format!("arn:{}:iam::{}:role{}{}", self.partition(), self.account, self.path, name)
    }

    pub fn user_arn(&self, name: &IamName) -> String {
        format!("arn:{}:iam::{}:user{}{}", self.partition(), self.account, self.path, name)
    }

    /// The values that came from the user (account, Region, names the documents mention, bucket, project), to
    /// highlight.
    pub fn user_values(&self) -> Vec<&str> {
        let mut user = vec![self.account.as_str(), self.region.as_str()];
        let named = self.name_fields().filter(|f| self.setup.uses(&f.var(), self.tighten, self.harden));
        user.extend(named.map(|f| self.names.get(f)));
        user.extend(self.bucket.as_ref().map(|b| b.as_str()));
        user.extend(self.project.as_ref().map(|p| p.as_str()));
        user
    }

    /// The name fields the chosen setups use.
    pub fn name_fields(&self) -> impl Iterator<Item = &'static NameField> + use<> {
        self.setup.name_fields()
    }

    /// The names as template values: `{{import_role_name}}` and the like.
    pub fn name_vars(&self) -> Vec<(String, &str)> {
        self.name_fields().map(|f| (f.var(), self.names.get(f))).collect()
    }

    /// Every required value present and every name distinct, before anything is rendered.
    pub fn check(&self) -> Result<(), SetupError> {
        for (param, given) in [(Param::Bucket, self.bucket.is_some()), (Param::Project, self.project.is_some())] {
            if let (false, Some(setup)) = (given, self.setup.needing(param)) {
                return Err(SetupError::Missing { field: param.flag(), setup: setup.id, what: param.what() });
            }
        }
        if let Some(b) = &self.boundary {
            // The account may not be known yet (read from STS later): [`Params::check_boundary_owner`] then.
            b.check_partition("--permissions-boundary", self.partition())?;
        }
        self.check_names()
    }

    /// The boundary is AWS-managed or this account's, once the account is known.
    pub fn check_boundary_owner(&self) -> Result<(), InvalidValue> {
        match &self.boundary {
            Some(b) => b.check_for("--permissions-boundary", self.partition(), self.account.as_str()),
            None => Ok(()),
        }
    }

    /// Every name distinct (IAM names ignore case; policies have a namespace of their own).
    pub fn check_names(&self) -> Result<(), SetupError> {
        let fields: Vec<&NameField> = self.name_fields().collect();
        for (i, a) in fields.iter().enumerate() {
            for b in &fields[i + 1..] {
                let same_namespace = (a.kind == IamKind::Policy) == (b.kind == IamKind::Policy);
                // IAM names are unique without regard to case: `PostmanUser` and `postmanuser` are the same user.
                if same_namespace && self.names.get(a).eq_ignore_ascii_case(self.names.get(b)) {
                    return Err(SetupError::DuplicateName {
                        first: a.flag,
                        second: b.flag,
                        name: self.names.get(a).to_string(),
                    });
                }
            }
        }
        Ok(())
    }

    /// Render every document the chosen setups need.
    pub fn desired(&self) -> Result<Desired, SetupError> {
        self.check()?;
        let names = self.name_vars();
        let mut vars: Vec<(&str, &str)> = vec![
            ("partition", self.partition()),
            ("account_id", self.account.as_str()),
            ("region", self.region.as_str()),
            ("path", self.path.as_str()),
        ];
        vars.extend(names.iter().map(|(k, v)| (k.as_str(), *v)));
        if let Some(b) = &self.bucket {
            vars.push(("bucket", b.as_str()));
        }
        if let Some(p) = &self.project {
            vars.push(("project_id", p.as_str()));
        }
        self.render(&vars)
    }

    /// The chosen setups' resources, their documents rendered with `vars` (the exports pass symbols for values).
    pub fn render(&self, vars: &[(&str, &str)]) -> Result<Desired, SetupError> {
        self.build(&|t: &'static Template| Ok(t.render(vars)?))
    }

    /// The chosen setups' names, ARNs and attachments with no document rendered (each is `null`): destroy
    /// sends no document, so it needs no bucket or project.
    pub fn names_only(&self) -> Result<Desired, SetupError> {
        self.check_names()?;
        self.build(&|_| Ok(Value::Null))
    }

    fn build(&self, render: &dyn Fn(&'static Template) -> Result<Value, SetupError>) -> Result<Desired, SetupError> {
        let mut d = Desired::default();
        let guide = |used: &'static Template, guide: &'static Template| -> Result<Option<Value>, SetupError> {
            Ok(if self.tighten && !std::ptr::eq(used, guide) { Some(render(guide)?) } else { None })
        };
        let setups: Vec<&SetupDef> = self.setup.setups().collect();
        for p in setups.iter().flat_map(|s| s.policies) {
            let template = if self.tighten { p.tightened } else { p.document };
            let name = self.names.name(p.name);
            d.policies.push(PolicySpec {
                arn: self.policy_arn(&name),
                name,
                field: p.name,
                template,
                document: render(template)?,
                guide: guide(template, p.document)?,
                path: self.path.clone(),
            });
        }
        for u in setups.iter().flat_map(|s| s.users) {
            let name = self.names.name(u.name);
            d.users.push(UserSpec {
                arn: self.user_arn(&name),
                name,
                field: u.name,
                policies: u.policies.iter().map(|p| self.names.name(p)).collect(),
                access_key: u.access_key,
                path: self.path.clone(),
                boundary: self.boundary.clone(),
            });
        }
        for r in setups.iter().flat_map(|s| s.roles) {
            let template = if self.tighten || self.harden { r.tightened_trust } else { r.trust };
            let name = self.names.name(r.name);
            d.roles.push(RoleSpec {
                arn: self.role_arn(&name),
                name,
                field: r.name,
                trust_template: template,
                trust: render(template)?,
                guide_trust: guide(template, r.trust)?,
                policies: r.policies.iter().map(|p| self.names.name(p)).collect(),
                path: self.path.clone(),
                boundary: self.boundary.clone(),
            });
        }
        Ok(d)
    }

    /// The chosen setups' resources by name and ARN: what destroy needs, which takes no bucket or project.
    pub fn resources(&self) -> Result<Resources, SetupError> {
        self.check_names()?;
        let setups: Vec<&SetupDef> = self.setup.setups().collect();
        let named = |f: &NameField, arn: &dyn Fn(&IamName) -> String| {
            let name = self.names.name(f);
            Resource { arn: arn(&name), name }
        };
        Ok(Resources {
            policies: setups.iter().flat_map(|s| s.policies).map(|p| named(p.name, &|n| self.policy_arn(n))).collect(),
            roles: setups.iter().flat_map(|s| s.roles).map(|r| named(r.name, &|n| self.role_arn(n))).collect(),
            users: setups.iter().flat_map(|s| s.users).map(|u| named(u.name, &|n| self.user_arn(n))).collect(),
        })
    }
}

/// Values for unit tests: an example account, Region, bucket and project.
#[cfg(test)]
impl Params {
    pub(crate) fn example(setup: Selection) -> Params {
        let mut p = Params::new(setup, "210987654321".parse().unwrap(), "eu-west-1".parse().unwrap());
        p.bucket = Some("my-bucket".parse().unwrap());
        p.project = Some("0123456789abcdef0123456789abcdef".parse().unwrap());
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use segment_import::{IMPORT_ROLE, PINPOINT_POLICY, PINPOINT_ROLE, S3_POLICY, S3_ROLE};
    use serde_json::json;

    fn params(setup: Selection) -> Params {
        Params::example(setup)
    }

    #[test]
    fn postman_creates_one_policy_and_one_user() {
        let d = params("postman".parse::<Selection>().unwrap()).desired().unwrap();
        assert_eq!(d.policies.len(), 1);
        assert_eq!(d.policies[0].arn, "arn:aws:iam::210987654321:policy/PostmanAccessPolicy");
        assert_eq!(d.users[0].name.as_str(), "PostmanUser");
        assert_eq!(d.users[0].policies, vec![d.policies[0].name.clone()]);
        assert!(d.roles.is_empty());
    }

    #[test]
    fn segment_import_wires_roles_as_the_guide_says() {
        let d = params("segment-import".parse::<Selection>().unwrap()).desired().unwrap();
        let names: Vec<_> = d
            .roles
            .iter()
            .map(|r| (r.name.as_str(), r.policies.iter().map(|p| p.as_str()).collect::<Vec<_>>()))
            .collect();
        assert_eq!(
            names,
            vec![
                ("ImporterS3Role", vec!["ImporterS3Policy"]),
                ("PinpointSegmentImport", vec!["ImporterS3PassthroughPolicy"]),
                ("ImporterPinpointRole", vec!["ImporterS3Policy", "ImporterPinpointPolicy"]),
            ]
        );
        assert_eq!(d.roles[0].trust["Statement"][0]["Principal"]["Service"], "lambda.amazonaws.com");
        assert_eq!(d.roles[1].trust["Statement"][0]["Principal"]["Service"], "pinpoint.amazonaws.com");
        assert!(d.roles[1].trust["Statement"][0].get("Condition").is_none());
        assert!(d.users.is_empty());
        assert_eq!(params(Selection::all()).desired().unwrap().policies.len(), 4);
    }

    #[test]
    fn harden_adds_confused_deputy_conditions_in_the_region_partition() {
        let mut p = params("segment-import".parse::<Selection>().unwrap());
        p.harden = true;
        p.region = "cn-north-1".parse().unwrap();
        let d = p.desired().unwrap();
        assert_eq!(
            d.roles[1].trust["Statement"][0]["Condition"],
            json!({
                "StringEquals": {"aws:SourceAccount": "210987654321"},
                "ArnLike": {"aws:SourceArn": "arn:aws-cn:mobiletargeting:cn-north-1:210987654321:apps/0123456789abcdef0123456789abcdef"}
            })
        );
        assert!(d.policies.iter().all(|pol| pol.arn.starts_with("arn:aws-cn:iam::")));
        assert!(d.policies[0].document.to_string().contains("arn:aws-cn:s3:::my-bucket"));
    }

    #[test]
    fn renamed_import_role_is_what_the_pinpoint_policy_may_pass() {
        let mut p = params("segment-import".parse::<Selection>().unwrap());
        p.names.set(&IMPORT_ROLE, IamName::parse("n", IamKind::Role, "MyImport").unwrap());
        let d = p.desired().unwrap();
        let doc = &d.policy(&p.names.name(&PINPOINT_POLICY)).unwrap().document;
        assert_eq!(doc["Statement"][0]["Resource"][2], "arn:aws:iam::210987654321:role/MyImport");
    }

    #[test]
    fn a_path_qualifies_every_arn_and_the_role_the_pinpoint_policy_may_pass() {
        for tighten in [false, true] {
            let mut p = params(Selection::all());
            p.tighten = tighten;
            p.path = "/teams/messaging/".parse().unwrap();
            p.boundary = Some("arn:aws:iam::aws:policy/PowerUserAccess".parse().unwrap());
            let d = p.desired().unwrap();
            assert_eq!(d.users[0].arn, "arn:aws:iam::210987654321:user/teams/messaging/PostmanUser");
            assert_eq!(d.roles[1].arn, "arn:aws:iam::210987654321:role/teams/messaging/PinpointSegmentImport");
            assert_eq!(d.policies[0].arn, "arn:aws:iam::210987654321:policy/teams/messaging/PostmanAccessPolicy");
            assert!(d.roles.iter().all(|r| r.boundary == p.boundary) && d.users[0].boundary == p.boundary);
            let doc = d.policy(&p.names.name(&PINPOINT_POLICY)).unwrap().document.to_string();
            assert!(doc.contains("\"arn:aws:iam::210987654321:role/teams/messaging/PinpointSegmentImport\""), "{doc}");
        }
    }

    #[test]
    fn a_boundary_of_another_partition_is_refused() {
        let mut p = params(Selection::all());
        p.region = "cn-north-1".parse().unwrap();
        p.boundary = Some("arn:aws:iam::aws:policy/PowerUserAccess".parse().unwrap());
        let e = p.desired().unwrap_err().to_string();
        assert!(e.starts_with("invalid --permissions-boundary") && e.contains("partition aws-cn"), "{e}");
        p.region = "eu-west-1".parse().unwrap();
        p.boundary = Some("arn:aws:iam::123456789012:policy/B".parse().unwrap());
        assert!(p.desired().is_ok(), "the account is checked once known");
        assert!(p.check_boundary_owner().unwrap_err().rule.contains("this account's (210987654321)"));
    }

    #[test]
    fn missing_values_name_the_flag() {
        let mut p = params("segment-import".parse::<Selection>().unwrap());
        p.bucket = None;
        assert!(p.desired().unwrap_err().to_string().starts_with("missing --bucket"));
        let mut p = params(Selection::all());
        p.project = None;
        assert!(p.desired().unwrap_err().to_string().starts_with("missing --project-id"));
        let mut p = params("postman".parse::<Selection>().unwrap());
        p.bucket = None;
        p.project = None;
        assert!(p.desired().is_ok());
    }

    #[test]
    fn duplicate_names_are_refused() {
        let mut p = params(Selection::all());
        p.names.set(&PINPOINT_POLICY, p.names.name(&S3_POLICY));
        let e = p.desired().unwrap_err();
        assert!(
            matches!(e, SetupError::DuplicateName { first: "--s3-policy-name", second: "--pinpoint-policy-name", .. }),
            "{e}"
        );
        // A policy and a role may share a name: IAM keeps them apart.
        let mut p = params(Selection::all());
        p.names.set(&S3_ROLE, IamName::parse("n", IamKind::Role, "ImporterS3Policy").unwrap());
        assert!(p.desired().is_ok());
    }

    #[test]
    fn setup_kind_parses() {
        let parsed = "segment-import".parse::<Selection>().unwrap();
        assert_eq!(parsed.setups().map(|s| s.id).collect::<Vec<_>>(), ["segment-import"]);
        assert_eq!("both".parse::<Selection>().unwrap_err().field, "--setup");
    }

    #[test]
    fn name_defaults_are_valid() {
        for f in SETUPS.iter().flat_map(|s| s.names.iter()) {
            IamName::parse(f.flag, f.kind, f.default).unwrap();
        }
    }

    #[test]
    fn a_setup_declared_elsewhere_renders_beside_the_shipped_ones() {
        use registry::throwaway;
        let p = params(throwaway::with_postman());
        let d = p.desired().unwrap();
        let policies: Vec<&str> = d.policies.iter().map(|x| x.name.as_str()).collect();
        assert_eq!(policies, ["PostmanAccessPolicy", "ReaderPolicy"]);
        assert_eq!(d.users[0].name.as_str(), "PostmanUser");
        assert_eq!(d.roles.len(), 1);
        assert_eq!(d.roles[0].arn, "arn:aws:iam::210987654321:role/ReaderRole");
        assert_eq!(d.roles[0].policies, vec![d.policies[1].name.clone()]);
        assert_eq!(
            d.policies[1].document["Statement"][0]["Resource"],
            "arn:aws:logs:eu-west-1:210987654321:log-group:my-bucket:*"
        );
        // Its parameter is required, named after it; its names are checked with the others.
        let mut missing = p.clone();
        missing.bucket = None;
        assert_eq!(
            missing.desired().unwrap_err().to_string(),
            "missing --bucket: the reader setup needs the S3 bucket that holds the segment files"
        );
        let mut same = p.clone();
        same.names.set(&throwaway::POLICY, IamName::parse("n", IamKind::Policy, "postmanaccesspolicy").unwrap());
        assert!(matches!(same.desired(), Err(SetupError::DuplicateName { .. })));
        let r = p.resources().unwrap();
        assert_eq!(r.roles[0].name.as_str(), "ReaderRole");
    }

    #[test]
    fn destroy_needs_only_the_names() {
        let mut p = Params::new(Selection::all(), "210987654321".parse().unwrap(), "eu-west-1".parse().unwrap());
        assert!(p.desired().is_err(), "no bucket, no project");
        let r = p.resources().unwrap();
        let names = |v: &[Resource]| v.iter().map(|x| x.name.to_string()).collect::<Vec<_>>();
        assert_eq!(
            names(&r.policies),
            ["PostmanAccessPolicy", "ImporterS3Policy", "ImporterS3PassthroughPolicy", "ImporterPinpointPolicy"]
        );
        assert_eq!(names(&r.roles), ["ImporterS3Role", "PinpointSegmentImport", "ImporterPinpointRole"]);
        assert_eq!(r.users[0].arn, "arn:aws:iam::210987654321:user/PostmanUser");
        p.names.set(&S3_ROLE, IamName::parse("n", IamKind::Role, "importers3role").unwrap());
        p.names.set(&PINPOINT_ROLE, IamName::parse("n", IamKind::Role, "ImporterS3Role").unwrap());
        assert!(matches!(p.resources(), Err(SetupError::DuplicateName { .. })));
    }

    fn tightened(setup: &str) -> Desired {
        let mut p = params(setup.parse().unwrap());
        p.tighten = true;
        p.desired().unwrap()
    }

    /// Every action a document allows, with the resources it allows it on.
    fn grants(doc: &Value) -> Vec<(String, Vec<String>)> {
        let list = |v: &Value| match v {
            Value::Array(a) => a.iter().filter_map(|x| x.as_str().map(String::from)).collect(),
            Value::String(s) => vec![s.clone()],
            _ => vec![],
        };
        let mut out = vec![];
        for st in doc["Statement"].as_array().unwrap().iter().filter(|st| st["Effect"] == "Allow") {
            for a in list(&st["Action"]) {
                out.push((a, list(&st["Resource"])));
            }
        }
        out
    }

    #[test]
    fn tightened_s3_policies_name_only_the_bucket_and_the_lambda_logs() {
        let d = tightened("segment-import");
        let s3 = grants(&d.policies[0].document);
        let bucket = "arn:aws:s3:::my-bucket".to_string();
        let objects = "arn:aws:s3:::my-bucket/*".to_string();
        let groups = "arn:aws:logs:eu-west-1:210987654321:log-group:/aws/lambda/*".to_string();
        let streams = format!("{groups}:log-stream:*");
        for a in ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"] {
            assert!(s3.contains(&(a.to_string(), vec![objects.clone()])), "{a}: {s3:?}");
        }
        assert!(s3.contains(&("s3:ListBucket".into(), vec![bucket.clone()])));
        assert!(s3.contains(&("logs:CreateLogGroup".into(), vec![groups])));
        assert!(s3.contains(&("logs:CreateLogStream".into(), vec![streams.clone()])));
        assert!(s3.contains(&("logs:PutLogEvents".into(), vec![streams])));
        assert_eq!(s3.len(), 7, "nothing else, no s3:HeadBucket (not an IAM action): {s3:?}");
        assert!(!d.policies[0].document.to_string().contains("\"*\""));
        let passthrough = grants(&d.policies[1].document);
        assert_eq!(passthrough, [("s3:GetObject".into(), vec![objects]), ("s3:ListBucket".into(), vec![bucket])]);
        for p in &d.policies {
            assert_eq!(p.document["Version"], "2012-10-17");
            assert!(
                p.document["Statement"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .all(|s| s["Sid"].as_str().is_some_and(|s| s.len() > 3 && !s.starts_with("VisualEditor")))
            );
        }
    }

    #[test]
    fn the_tightened_pinpoint_policy_passes_the_import_role_to_pinpoint_only() {
        let mut p = params("segment-import".parse().unwrap());
        p.tighten = true;
        p.names.set(&IMPORT_ROLE, IamName::parse("n", IamKind::Role, "MyImport").unwrap());
        let d = p.desired().unwrap();
        let doc = &d.policy(&p.names.name(&PINPOINT_POLICY)).unwrap().document;
        let role = "arn:aws:iam::210987654321:role/MyImport";
        let app = "arn:aws:mobiletargeting:eu-west-1:210987654321:apps/0123456789abcdef0123456789abcdef";
        let g = grants(doc);
        assert!(g.contains(&("mobiletargeting:CreateImportJob".into(), vec![app.into()])));
        assert!(g.contains(&("mobiletargeting:GetImportJobs".into(), vec![app.into()])));
        assert!(g.contains(&(
            "mobiletargeting:PhoneNumberValidate".into(),
            vec!["arn:aws:mobiletargeting:eu-west-1:210987654321:phone/number/validate".into()]
        )));
        assert!(g.contains(&("iam:GetRole".into(), vec![role.into()])));
        let pass = doc["Statement"].as_array().unwrap().iter().find(|s| s["Action"] == "iam:PassRole").unwrap();
        assert_eq!(pass["Resource"], role);
        assert_eq!(pass["Condition"], json!({"StringEquals": {"iam:PassedToService": "pinpoint.amazonaws.com"}}));
        assert_eq!(g.len(), 5, "{g:?}");
    }

    #[test]
    fn tightening_hardens_the_pinpoint_trust_and_keeps_the_guides_documents_to_compare() {
        let d = tightened("segment-import");
        assert_eq!(d.roles[1].trust["Statement"][0]["Condition"]["StringEquals"]["aws:SourceAccount"], "210987654321");
        assert_eq!(d.roles[1].guide_trust.as_ref().unwrap()["Statement"][0].get("Condition"), None);
        // Lambda's trust is the guide's: nothing to compare.
        assert_eq!(d.roles[0].trust["Statement"][0]["Principal"]["Service"], "lambda.amazonaws.com");
        assert!(d.roles[0].guide_trust.is_none() && d.roles[2].guide_trust.is_none());
        let guide = params("segment-import".parse().unwrap()).desired().unwrap();
        for (t, g) in d.policies.iter().zip(&guide.policies) {
            assert_eq!(t.guide.as_ref(), Some(&g.document), "{}", t.name);
            assert_ne!(t.document, g.document, "{}", t.name);
        }
        assert!(
            guide.policies.iter().all(|p| p.guide.is_none()) && guide.roles.iter().all(|r| r.guide_trust.is_none())
        );
        // --harden alone: the hardened trust, the guides' policies, nothing shown as a change.
        let mut h = params("segment-import".parse().unwrap());
        h.harden = true;
        let h = h.desired().unwrap();
        assert_eq!(h.roles[1].trust, d.roles[1].trust);
        assert_eq!(h.policies, guide.policies);
    }

    #[test]
    fn the_tightened_postman_policy_is_the_guides_in_the_region() {
        let d = tightened("postman");
        let guide = params("postman".parse().unwrap()).desired().unwrap();
        let actions = |doc: &Value| grants(doc).into_iter().map(|(a, _)| a).collect::<Vec<_>>();
        // The guide's actions, the SES and SMS ones on the account's resources in the Region; then, on "*" in the
        // Region only, those of them that have no resource types and a client reads (and voice): nothing the
        // guide's wildcards do not grant (checkov's CKV_AWS_109/111/289/290/355 pass on it, issue 20).
        let (tight, theirs) = (actions(&d.policies[0].document), actions(&guide.policies[0].document));
        assert!(theirs.iter().all(|a| tight.contains(a)), "{tight:?}");
        for a in &tight {
            assert!(theirs.iter().any(|w| crate::setup::catalogue::glob_ignoring_case(w, a)), "{a}");
        }
        let text = d.policies[0].document.to_string();
        assert!(text.contains("arn:aws:mobiletargeting:eu-west-1:210987654321:apps/*"), "{text}");
        assert!(!text.contains("mobiletargeting:*:"), "{text}");
        // Less the SES permissions-management actions its wildcards would grant (sending authorization).
        let deny = &d.policies[0].document["Statement"][4];
        assert_eq!(deny["Effect"], "Deny");
        assert_eq!(deny["Action"][1], "ses:PutIdentityPolicy");
        assert_eq!(d.documents()[0].guide, Some(&guide.policies[0].document));
    }

    #[test]
    fn the_values_to_highlight_include_the_names_the_documents_mention() {
        let mut p = params(Selection::all());
        p.names.set(&IMPORT_ROLE, IamName::parse("n", IamKind::Role, "MyImport").unwrap());
        assert_eq!(
            p.user_values(),
            ["210987654321", "eu-west-1", "MyImport", "my-bucket", "0123456789abcdef0123456789abcdef"]
        );
    }
}
