//! The account as moto holds it, read straight from moto (never through a proxy), and how it differs from
//! the complete state of `apply --setup all` built from the seeds.

use super::{REGION, decode, seed};
use serde_json::Value;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq)]
pub struct PolicyView {
    pub document: Value,
    pub ours: bool,
    pub versions: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RoleView {
    pub trust: Value,
    pub attached: Vec<String>,
    pub inline: Vec<String>,
    pub ours: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct UserView {
    pub attached: Vec<String>,
    pub inline: Vec<String>,
    pub keys: Vec<String>,
    pub tags: Vec<(String, String)>,
    pub ours: bool,
}

/// Every customer-managed policy, role and user of the account.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Account {
    pub policies: BTreeMap<String, PolicyView>,
    pub roles: BTreeMap<String, RoleView>,
    pub users: BTreeMap<String, UserView>,
}

fn ours(tags: &[aws_sdk_iam::types::Tag]) -> bool {
    tags.iter().any(|t| t.key() == "ManagedBy" && t.value() == "pinpoint-iam-wizard")
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

impl Account {
    pub async fn read(iam: &aws_sdk_iam::Client) -> Account {
        let mut account = Account::default();
        let local = aws_sdk_iam::types::PolicyScopeType::Local;
        for p in iam.list_policies().scope(local).send().await.unwrap().policies() {
            let arn = p.arn().unwrap();
            let got = iam.get_policy().policy_arn(arn).send().await.unwrap();
            let got = got.policy().unwrap();
            let version = got.default_version_id().unwrap();
            let doc = iam.get_policy_version().policy_arn(arn).version_id(version).send().await.unwrap();
            let versions = iam.list_policy_versions().policy_arn(arn).send().await.unwrap().versions().len();
            account.policies.insert(
                p.policy_name().unwrap().to_string(),
                PolicyView {
                    document: decode(doc.policy_version().unwrap().document().unwrap()),
                    ours: ours(got.tags()),
                    versions,
                },
            );
        }
        for r in iam.list_roles().send().await.unwrap().roles() {
            let name = r.role_name();
            let got = iam.get_role().role_name(name).send().await.unwrap();
            let got = got.role().unwrap();
            let attached = iam.list_attached_role_policies().role_name(name).send().await.unwrap();
            let inline = iam.list_role_policies().role_name(name).send().await.unwrap();
            account.roles.insert(
                name.to_string(),
                RoleView {
                    trust: decode(got.assume_role_policy_document().unwrap()),
                    attached: sorted(
                        attached.attached_policies().iter().map(|p| p.policy_name().unwrap().to_string()).collect(),
                    ),
                    inline: sorted(inline.policy_names().to_vec()),
                    ours: ours(got.tags()),
                },
            );
        }
        for u in iam.list_users().send().await.unwrap().users() {
            let name = u.user_name();
            let got = iam.get_user().user_name(name).send().await.unwrap();
            let tags = got.user().unwrap().tags();
            let attached = iam.list_attached_user_policies().user_name(name).send().await.unwrap();
            let inline = iam.list_user_policies().user_name(name).send().await.unwrap();
            let keys = iam.list_access_keys().user_name(name).send().await.unwrap();
            account.users.insert(
                name.to_string(),
                UserView {
                    attached: sorted(
                        attached.attached_policies().iter().map(|p| p.policy_name().unwrap().to_string()).collect(),
                    ),
                    inline: sorted(inline.policy_names().to_vec()),
                    keys: keys.access_key_metadata().iter().map(|k| k.access_key_id().unwrap().to_string()).collect(),
                    tags: tags.iter().map(|t| (t.key().to_string(), t.value().to_string())).collect(),
                    ours: ours(tags),
                },
            );
        }
        account
    }

    pub fn is_empty(&self) -> bool {
        self.policies.is_empty() && self.roles.is_empty() && self.users.is_empty()
    }

    /// Every access key, as (user, key id).
    pub fn keys(&self) -> Vec<(String, String)> {
        self.users.iter().flat_map(|(u, v)| v.keys.iter().map(move |k| (u.clone(), k.clone()))).collect()
    }

    /// What exists, in one line: `policy A, role B, user C (2 keys)`.
    pub fn summary(&self) -> String {
        let mut parts: Vec<String> = self.policies.keys().map(|p| format!("policy {p}")).collect();
        parts.extend(self.roles.keys().map(|r| format!("role {r}")));
        parts.extend(self.users.iter().map(|(u, v)| format!("user {u} ({} key(s))", v.keys.len())));
        if parts.is_empty() { "nothing".into() } else { parts.join(", ") }
    }

    /// How this account differs from what `apply --setup all` makes from the seeds (access keys aside).
    pub fn differences_from_seeds(&self, account: &str, bucket: &str, project: &str) -> Vec<String> {
        let expected = Account::seeds(account, bucket, project);
        let mut diffs = Vec::new();
        let names = |a: &Account| -> Vec<String> {
            let mut n: Vec<String> = a.policies.keys().map(|p| format!("policy {p}")).collect();
            n.extend(a.roles.keys().map(|r| format!("role {r}")));
            n.extend(a.users.keys().map(|u| format!("user {u}")));
            n
        };
        let (want, have) = (names(&expected), names(self));
        let missing: Vec<&String> = want.iter().filter(|n| !have.contains(n)).collect();
        let extra: Vec<&String> = have.iter().filter(|n| !want.contains(n)).collect();
        if !missing.is_empty() {
            diffs.push(format!("missing {missing:?}"));
        }
        if !extra.is_empty() {
            diffs.push(format!("unexpected {extra:?}"));
        }
        for (name, want) in &expected.policies {
            if let Some(have) = self.policies.get(name) {
                if have.document != want.document {
                    diffs.push(format!("policy {name} document differs from the seed"));
                }
                if !have.ours {
                    diffs.push(format!("policy {name} not tagged ManagedBy"));
                }
                if have.versions != 1 {
                    diffs.push(format!("policy {name} has {} versions", have.versions));
                }
            }
        }
        for (name, want) in &expected.roles {
            if let Some(have) = self.roles.get(name) {
                if have.trust != want.trust {
                    diffs.push(format!("role {name} trust differs"));
                }
                if have.attached != want.attached {
                    diffs.push(format!("role {name} attachments {:?}, expected {:?}", have.attached, want.attached));
                }
                if !have.ours {
                    diffs.push(format!("role {name} not tagged ManagedBy"));
                }
            }
        }
        if let Some(have) = self.users.get("PostmanUser") {
            if have.attached != ["PostmanAccessPolicy"] {
                diffs.push(format!("user PostmanUser attachments {:?}", have.attached));
            }
            if !have.ours {
                diffs.push("user PostmanUser not tagged ManagedBy".into());
            }
        }
        diffs
    }

    /// The complete state of `apply --setup all`, keys aside.
    fn seeds(account: &str, bucket: &str, project: &str) -> Account {
        let doc = |name: &str| seed(name, account, REGION, bucket, project);
        let policy = |name: &str| PolicyView { document: doc(name), ours: true, versions: 1 };
        let lambda: Value = serde_json::from_str(include_str!("../../assets/trust/lambda.json")).unwrap();
        let role = |trust: Value, attached: &[&str]| RoleView {
            trust,
            attached: attached.iter().map(|s| s.to_string()).collect(),
            inline: vec![],
            ours: true,
        };
        Account {
            policies: BTreeMap::from([
                ("PostmanAccessPolicy".into(), policy("postman-access-policy")),
                ("ImporterS3Policy".into(), policy("importer-s3-policy")),
                ("ImporterS3PassthroughPolicy".into(), policy("importer-s3-passthrough-policy")),
                ("ImporterPinpointPolicy".into(), policy("importer-pinpoint-policy")),
            ]),
            roles: BTreeMap::from([
                ("ImporterS3Role".into(), role(lambda.clone(), &["ImporterS3Policy"])),
                (
                    "PinpointSegmentImport".into(),
                    role(doc("pinpoint-segment-import-trust"), &["ImporterS3PassthroughPolicy"]),
                ),
                ("ImporterPinpointRole".into(), role(lambda, &["ImporterPinpointPolicy", "ImporterS3Policy"])),
            ]),
            users: BTreeMap::from([(
                "PostmanUser".into(),
                UserView {
                    attached: vec!["PostmanAccessPolicy".into()],
                    inline: vec![],
                    keys: vec![],
                    tags: vec![],
                    ours: true,
                },
            )]),
        }
    }
}
