//! The two setups of AWS's Pinpoint guides as pure data: parameters, names and rendered documents.

pub mod catalogue;
pub mod findings;
pub mod template;
pub mod values;

use serde_json::Value;
use std::fmt;
use std::str::FromStr;

pub use template::{DocKind, Template, TemplateError};
pub use values::{AccountId, BucketName, IamKind, IamName, InvalidValue, ProjectId, Region, Tag};

/// The tag every resource this tool creates carries; destroy only touches resources tagged so.
pub const MANAGED_BY_KEY: &str = "ManagedBy";
pub const MANAGED_BY_VALUE: &str = "pinpoint-iam-wizard";
/// The tag that names the run that created a resource: a create whose answer was lost is recognised by it.
pub const RUN_TAG_KEY: &str = "pinpoint-iam-wizard:run";
/// User tags `pinpoint-iam-wizard:key:<ACCESS KEY ID>` mark the access keys this tool made.
pub const KEY_TAG_PREFIX: &str = "pinpoint-iam-wizard:key:";
/// IAM's limit of tags on one resource.
pub const MAX_TAGS: usize = 50;
/// Tags this tool adds to every resource it creates (owner and run).
pub const OWN_TAGS: usize = 2;

/// Which of the guides to carry out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SetupKind {
    Postman,
    SegmentImport,
    All,
}

impl SetupKind {
    pub const VALUES: [SetupKind; 3] = [SetupKind::Postman, SetupKind::SegmentImport, SetupKind::All];

    pub fn includes_postman(self) -> bool {
        matches!(self, SetupKind::Postman | SetupKind::All)
    }

    pub fn includes_import(self) -> bool {
        matches!(self, SetupKind::SegmentImport | SetupKind::All)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            SetupKind::Postman => "postman",
            SetupKind::SegmentImport => "segment-import",
            SetupKind::All => "all",
        }
    }
}

impl fmt::Display for SetupKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SetupKind {
    type Err = InvalidValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::VALUES
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| InvalidValue::new("--setup", s, "choose one of postman, segment-import, all"))
    }
}

/// The name of every resource; defaults are the guides' names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Names {
    pub postman_policy: IamName,
    pub postman_user: IamName,
    pub s3_policy: IamName,
    pub s3_role: IamName,
    pub passthrough_policy: IamName,
    pub import_role: IamName,
    pub pinpoint_policy: IamName,
    pub pinpoint_role: IamName,
}

/// One overridable name: its field, what it names, and where it lives in [`Names`].
pub struct NameField {
    pub flag: &'static str,
    pub label: &'static str,
    pub kind: IamKind,
    pub default: &'static str,
    pub postman: bool,
    pub get: fn(&Names) -> &IamName,
    pub get_mut: fn(&mut Names) -> &mut IamName,
}

macro_rules! name_field {
    ($field:ident, $flag:literal, $label:literal, $kind:ident, $default:literal, $postman:literal) => {
        NameField {
            flag: $flag,
            label: $label,
            kind: IamKind::$kind,
            default: $default,
            postman: $postman,
            get: |n| &n.$field,
            get_mut: |n| &mut n.$field,
        }
    };
}

/// Every overridable name, in the order the guides create them.
pub static NAME_FIELDS: [NameField; 8] = [
    name_field!(postman_policy, "--postman-policy-name", "Postman policy", Policy, "PostmanAccessPolicy", true),
    name_field!(postman_user, "--postman-user-name", "Postman user", User, "PostmanUser", true),
    name_field!(s3_policy, "--s3-policy-name", "S3 policy", Policy, "ImporterS3Policy", false),
    name_field!(s3_role, "--s3-role-name", "S3 role", Role, "ImporterS3Role", false),
    name_field!(
        passthrough_policy,
        "--passthrough-policy-name",
        "S3 passthrough policy",
        Policy,
        "ImporterS3PassthroughPolicy",
        false
    ),
    name_field!(import_role, "--import-role-name", "Segment import role", Role, "PinpointSegmentImport", false),
    name_field!(pinpoint_policy, "--pinpoint-policy-name", "Pinpoint policy", Policy, "ImporterPinpointPolicy", false),
    name_field!(pinpoint_role, "--pinpoint-role-name", "Pinpoint role", Role, "ImporterPinpointRole", false),
];

impl Default for Names {
    fn default() -> Self {
        let n = |i: usize| IamName::known(NAME_FIELDS[i].default);
        Names {
            postman_policy: n(0),
            postman_user: n(1),
            s3_policy: n(2),
            s3_role: n(3),
            passthrough_policy: n(4),
            import_role: n(5),
            pinpoint_policy: n(6),
            pinpoint_role: n(7),
        }
    }
}

/// Everything a setup needs, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Params {
    pub setup: SetupKind,
    pub account: AccountId,
    pub region: Region,
    pub bucket: Option<BucketName>,
    pub project: Option<ProjectId>,
    pub harden: bool,
    pub names: Names,
}

/// A managed policy to exist with exactly this document.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicySpec {
    pub name: IamName,
    pub arn: String,
    pub template: &'static Template,
    pub document: Value,
}

/// A role to exist with this trust policy and these managed policies attached.
#[derive(Debug, Clone, PartialEq)]
pub struct RoleSpec {
    pub name: IamName,
    pub arn: String,
    pub trust_template: &'static Template,
    pub trust: Value,
    pub policies: Vec<IamName>,
}

/// A user to exist with these managed policies attached and one access key.
#[derive(Debug, Clone, PartialEq)]
pub struct UserSpec {
    pub name: IamName,
    pub arn: String,
    pub policies: Vec<IamName>,
}

/// The state the chosen setups describe.
#[derive(Debug, Clone, PartialEq)]
pub struct Desired {
    pub policies: Vec<PolicySpec>,
    pub roles: Vec<RoleSpec>,
    pub users: Vec<UserSpec>,
}

/// A document as the preview shows it.
pub struct DocumentView<'a> {
    pub title: String,
    pub template: &'static Template,
    pub document: &'a Value,
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
        });
        let trusts = self.roles.iter().map(|r| DocumentView {
            title: format!("{} trust", r.name),
            template: r.trust_template,
            document: &r.trust,
        });
        policies.chain(trusts).collect()
    }
}

/// Why the parameters cannot describe a setup.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SetupError {
    #[error("missing {field}: the {setup} setup needs {what}")]
    Missing { field: &'static str, setup: SetupKind, what: &'static str },
    #[error("{first} and {second} are both named {name:?} (IAM names ignore case): every resource needs its own name")]
    DuplicateName { first: &'static str, second: &'static str, name: String },
    #[error(transparent)]
    Template(#[from] TemplateError),
}

impl Params {
    /// The parameters with the guides' names and no optional values.
    pub fn new(setup: SetupKind, account: AccountId, region: Region) -> Self {
        Params { setup, account, region, bucket: None, project: None, harden: false, names: Names::default() }
    }

    pub fn partition(&self) -> &'static str {
        self.region.partition()
    }

    pub fn policy_arn(&self, name: &IamName) -> String {
        format!("arn:{}:iam::{}:policy/{}", self.partition(), self.account, name)
    }

    pub fn role_arn(&self, name: &IamName) -> String {
        format!("arn:{}:iam::{}:role/{}", self.partition(), self.account, name)
    }

    pub fn user_arn(&self, name: &IamName) -> String {
        format!("arn:{}:iam::{}:user/{}", self.partition(), self.account, name)
    }

    /// The values that came from the user (account, Region, import role, bucket, project), to highlight.
    pub fn user_values(&self) -> Vec<&str> {
        let mut user = vec![self.account.as_str(), self.region.as_str(), self.names.import_role.as_str()];
        user.extend(self.bucket.as_ref().map(|b| b.as_str()));
        user.extend(self.project.as_ref().map(|p| p.as_str()));
        user
    }

    /// The name fields the chosen setup uses.
    pub fn name_fields(&self) -> impl Iterator<Item = &'static NameField> + '_ {
        NAME_FIELDS
            .iter()
            .filter(|f| if f.postman { self.setup.includes_postman() } else { self.setup.includes_import() })
    }

    /// Every required value present and every name distinct, before anything is rendered.
    pub fn check(&self) -> Result<(), SetupError> {
        if self.setup.includes_import() {
            if self.bucket.is_none() {
                return Err(SetupError::Missing {
                    field: "--bucket",
                    setup: SetupKind::SegmentImport,
                    what: "the S3 bucket that holds the segment files",
                });
            }
            if self.project.is_none() {
                return Err(SetupError::Missing {
                    field: "--project-id",
                    setup: SetupKind::SegmentImport,
                    what: "the Pinpoint project id to import segments into",
                });
            }
        }
        let fields: Vec<&NameField> = self.name_fields().collect();
        for (i, a) in fields.iter().enumerate() {
            for b in &fields[i + 1..] {
                let same_namespace = (a.kind == IamKind::Policy) == (b.kind == IamKind::Policy);
                // IAM names are unique without regard to case: `PostmanUser` and `postmanuser` are the same user.
                if same_namespace && (a.get)(&self.names).as_str().eq_ignore_ascii_case((b.get)(&self.names).as_str()) {
                    return Err(SetupError::DuplicateName {
                        first: a.flag,
                        second: b.flag,
                        name: (a.get)(&self.names).to_string(),
                    });
                }
            }
        }
        Ok(())
    }

    /// Render every document the chosen setups need.
    pub fn desired(&self) -> Result<Desired, SetupError> {
        self.check()?;
        let n = &self.names;
        let mut d = Desired { policies: vec![], roles: vec![], users: vec![] };
        let mut vars: Vec<(&str, &str)> = vec![
            ("partition", self.partition()),
            ("account_id", self.account.as_str()),
            ("region", self.region.as_str()),
            ("import_role_name", n.import_role.as_str()),
        ];
        if let Some(b) = &self.bucket {
            vars.push(("bucket", b.as_str()));
        }
        if let Some(p) = &self.project {
            vars.push(("project_id", p.as_str()));
        }
        let mut policy = |name: &IamName, t: &'static Template| -> Result<(), SetupError> {
            let document = t.render(&vars)?;
            d.policies.push(PolicySpec { name: name.clone(), arn: self.policy_arn(name), template: t, document });
            Ok(())
        };
        if self.setup.includes_postman() {
            policy(&n.postman_policy, &template::POSTMAN_ACCESS)?;
        }
        if self.setup.includes_import() {
            policy(&n.s3_policy, &template::IMPORTER_S3)?;
            policy(&n.passthrough_policy, &template::IMPORTER_S3_PASSTHROUGH)?;
            policy(&n.pinpoint_policy, &template::IMPORTER_PINPOINT)?;
        }
        if self.setup.includes_postman() {
            d.users.push(UserSpec {
                name: n.postman_user.clone(),
                arn: self.user_arn(&n.postman_user),
                policies: vec![n.postman_policy.clone()],
            });
        }
        if self.setup.includes_import() {
            let pinpoint_trust =
                if self.harden { &template::PINPOINT_TRUST_HARDENED } else { &template::PINPOINT_TRUST };
            let roles: [(&IamName, &'static Template, Vec<IamName>); 3] = [
                (&n.s3_role, &template::LAMBDA_TRUST, vec![n.s3_policy.clone()]),
                (&n.import_role, pinpoint_trust, vec![n.passthrough_policy.clone()]),
                (&n.pinpoint_role, &template::LAMBDA_TRUST, vec![n.s3_policy.clone(), n.pinpoint_policy.clone()]),
            ];
            for (name, t, policies) in roles {
                d.roles.push(RoleSpec {
                    name: name.clone(),
                    arn: self.role_arn(name),
                    trust_template: t,
                    trust: t.render(&vars)?,
                    policies,
                });
            }
        }
        Ok(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn params(setup: SetupKind) -> Params {
        let mut p = Params::new(setup, "210987654321".parse().unwrap(), "eu-west-1".parse().unwrap());
        p.bucket = Some("my-bucket".parse().unwrap());
        p.project = Some("0123456789abcdef0123456789abcdef".parse().unwrap());
        p
    }

    #[test]
    fn postman_creates_one_policy_and_one_user() {
        let d = params(SetupKind::Postman).desired().unwrap();
        assert_eq!(d.policies.len(), 1);
        assert_eq!(d.policies[0].arn, "arn:aws:iam::210987654321:policy/PostmanAccessPolicy");
        assert_eq!(d.users[0].name.as_str(), "PostmanUser");
        assert_eq!(d.users[0].policies, vec![d.policies[0].name.clone()]);
        assert!(d.roles.is_empty());
    }

    #[test]
    fn segment_import_wires_roles_as_the_guide_says() {
        let d = params(SetupKind::SegmentImport).desired().unwrap();
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
        assert_eq!(params(SetupKind::All).desired().unwrap().policies.len(), 4);
    }

    #[test]
    fn harden_adds_confused_deputy_conditions_in_the_region_partition() {
        let mut p = params(SetupKind::SegmentImport);
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
        let mut p = params(SetupKind::SegmentImport);
        p.names.import_role = IamName::parse("n", IamKind::Role, "MyImport").unwrap();
        let d = p.desired().unwrap();
        let doc = &d.policy(&p.names.pinpoint_policy).unwrap().document;
        assert_eq!(doc["Statement"][0]["Resource"][2], "arn:aws:iam::210987654321:role/MyImport");
    }

    #[test]
    fn missing_values_name_the_flag() {
        let mut p = params(SetupKind::SegmentImport);
        p.bucket = None;
        assert!(p.desired().unwrap_err().to_string().starts_with("missing --bucket"));
        let mut p = params(SetupKind::All);
        p.project = None;
        assert!(p.desired().unwrap_err().to_string().starts_with("missing --project-id"));
        let mut p = params(SetupKind::Postman);
        p.bucket = None;
        p.project = None;
        assert!(p.desired().is_ok());
    }

    #[test]
    fn duplicate_names_are_refused() {
        let mut p = params(SetupKind::All);
        p.names.pinpoint_policy = p.names.s3_policy.clone();
        let e = p.desired().unwrap_err();
        assert!(
            matches!(e, SetupError::DuplicateName { first: "--s3-policy-name", second: "--pinpoint-policy-name", .. }),
            "{e}"
        );
        // A policy and a role may share a name: IAM keeps them apart.
        let mut p = params(SetupKind::All);
        p.names.s3_role = IamName::parse("n", IamKind::Role, "ImporterS3Policy").unwrap();
        assert!(p.desired().is_ok());
    }

    #[test]
    fn setup_kind_parses() {
        assert_eq!("segment-import".parse::<SetupKind>().unwrap(), SetupKind::SegmentImport);
        assert_eq!("both".parse::<SetupKind>().unwrap_err().field, "--setup");
    }

    #[test]
    fn name_defaults_are_valid() {
        for f in &NAME_FIELDS {
            IamName::parse(f.flag, f.kind, f.default).unwrap();
        }
    }
}
