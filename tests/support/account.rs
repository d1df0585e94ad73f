//! The account as moto holds it, read straight from moto (never through a proxy), and how it differs from
//! the complete state of `apply --setup all` built from the seeds.

use super::{REGION, decode, seed};
use serde_json::Value;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq)]
pub struct PolicyView {
    pub document: Value,
    /// Its IAM path (issue 19's `--path`; `/` without).
    pub path: String,
    pub ours: bool,
    pub versions: usize,
    pub tags: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RoleView {
    pub trust: Value,
    pub attached: Vec<String>,
    pub inline: Vec<String>,
    pub ours: bool,
    pub tags: Vec<(String, String)>,
    /// Its permissions boundary's ARN (issue 19).
    pub boundary: Option<String>,
    pub path: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct UserView {
    pub attached: Vec<String>,
    pub inline: Vec<String>,
    pub keys: Vec<String>,
    pub tags: Vec<(String, String)>,
    pub ours: bool,
    pub boundary: Option<String>,
    pub path: String,
}

/// Issue 19's guardrails an apply was given: the path of everything it makes, the permissions boundary of
/// every role and user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Guardrails {
    pub path: &'static str,
    pub boundary: &'static str,
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

fn boundary_of(b: Option<&aws_sdk_iam::types::AttachedPermissionsBoundary>) -> Option<String> {
    b.and_then(|b| b.permissions_boundary_arn()).map(String::from)
}

fn sorted<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort();
    v
}

fn pairs(tags: &[aws_sdk_iam::types::Tag]) -> Vec<(String, String)> {
    sorted(tags.iter().map(|t| (t.key().to_string(), t.value().to_string())).collect())
}

/// The user tags that belong to one access key: our marker (`pinpoint-iam-wizard:key:<id>`) and the console's
/// description (the id itself). IAM's key ids start with `AKIA`.
fn key_of_tag(tag: &str) -> Option<&str> {
    tag.strip_prefix("pinpoint-iam-wizard:key:").or(tag.starts_with("AKIA").then_some(tag))
}

impl UserView {
    /// The user's own tags, without those of its access keys.
    pub fn own_tags(&self) -> Vec<(String, String)> {
        self.tags.iter().filter(|(k, _)| key_of_tag(k).is_none()).cloned().collect()
    }

    /// Tags of access keys the user no longer has: leftovers of a key that was deleted.
    pub fn stale_key_tags(&self) -> Vec<String> {
        let stale = |k: &&(String, String)| key_of_tag(&k.0).is_some_and(|id| !self.keys.iter().any(|key| key == id));
        self.tags.iter().filter(stale).map(|(k, _)| k.clone()).collect()
    }
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
                    path: got.path().unwrap_or("/").to_string(),
                    ours: ours(got.tags()),
                    versions,
                    tags: pairs(got.tags()),
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
                    tags: pairs(got.tags()),
                    boundary: boundary_of(got.permissions_boundary()),
                    path: got.path().to_string(),
                },
            );
        }
        for u in iam.list_users().send().await.unwrap().users() {
            let name = u.user_name();
            let got = iam.get_user().user_name(name).send().await.unwrap();
            let tags = got.user().unwrap().tags();
            let boundary = boundary_of(got.user().unwrap().permissions_boundary());
            let path = got.user().unwrap().path().to_string();
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
                    keys: sorted(
                        keys.access_key_metadata().iter().map(|k| k.access_key_id().unwrap().to_string()).collect(),
                    ),
                    tags: pairs(tags),
                    ours: ours(tags),
                    boundary,
                    path,
                },
            );
        }
        account
    }

    /// Read `moto`'s account from a sync test (its own short-lived runtime).
    pub fn read_blocking(moto: &super::Moto) -> Account {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(async { Account::read(&moto.iam().await).await })
    }

    pub fn is_empty(&self) -> bool {
        self.policies.is_empty() && self.roles.is_empty() && self.users.is_empty()
    }

    /// Every access key, as (user, key id).
    pub fn keys(&self) -> Vec<(String, String)> {
        self.users.iter().flat_map(|(u, v)| v.keys.iter().map(move |k| (u.clone(), k.clone()))).collect()
    }

    /// Every tag of a key that is gone, as (user, tag key): a leftover like the key itself.
    pub fn stale_key_tags(&self) -> Vec<(String, String)> {
        self.users.iter().flat_map(|(u, v)| v.stale_key_tags().into_iter().map(move |t| (u.clone(), t))).collect()
    }

    /// One resource's own state as a report row names it (`kind`, `name`), `None` when absent: a policy's
    /// document, versions and tags; a role's trust, inline policies and tags; a user's inline policies and own
    /// tags (each with its boundary and path); whether an attachment exists; a user's access keys with their tags.
    pub fn facet(&self, kind: &str, name: &str) -> Option<String> {
        match kind {
            "policy" => self.policies.get(name).map(|p| format!("{p:?}")),
            "role" => {
                let role =
                    |r: &RoleView| format!("{:?} {:?} {:?} {:?} {}", r.trust, r.inline, r.tags, r.boundary, r.path);
                self.roles.get(name).map(role)
            }
            "user" => {
                let user = |u: &UserView| format!("{:?} {:?} {:?} {}", u.inline, u.own_tags(), u.boundary, u.path);
                self.users.get(name).map(user)
            }
            "attachment" => {
                let (policy, holder) = name.split_once(" -> ")?;
                let attached = |list: &Vec<String>| list.iter().any(|p| p == policy);
                let on_role = self.roles.get(holder).is_some_and(|r| attached(&r.attached));
                (on_role || self.users.get(holder).is_some_and(|u| attached(&u.attached))).then(|| "attached".into())
            }
            "access_key" => {
                let u = self.users.get(name)?;
                let key_tags: Vec<&(String, String)> = u.tags.iter().filter(|(k, _)| key_of_tag(k).is_some()).collect();
                (!u.keys.is_empty() || !key_tags.is_empty()).then(|| format!("{:?} {key_tags:?}", u.keys))
            }
            _ => None,
        }
    }

    /// Every resource of the account by the (kind, name) a report row gives it, attachments included.
    pub fn resources(&self) -> Vec<(&'static str, String)> {
        let mut all: Vec<(&'static str, String)> = self.policies.keys().map(|p| ("policy", p.clone())).collect();
        all.extend(self.roles.keys().map(|r| ("role", r.clone())));
        all.extend(self.users.keys().map(|u| ("user", u.clone())));
        for (holder, attached) in
            self.roles.iter().map(|(n, r)| (n, &r.attached)).chain(self.users.iter().map(|(n, u)| (n, &u.attached)))
        {
            all.extend(attached.iter().map(|p| ("attachment", format!("{p} -> {holder}"))));
        }
        all.extend(self.users.iter().filter(|(_, u)| !u.keys.is_empty()).map(|(n, _)| ("access_key", n.clone())));
        all
    }

    /// What exists, in one line: `policy A, role B, user C (2 keys)`.
    pub fn summary(&self) -> String {
        let mut parts: Vec<String> = self.policies.keys().map(|p| format!("policy {p}")).collect();
        parts.extend(self.roles.keys().map(|r| format!("role {r}")));
        parts.extend(self.users.iter().map(|(u, v)| format!("user {u} ({} key(s))", v.keys.len())));
        parts.extend(self.stale_key_tags().into_iter().map(|(u, t)| format!("tag {t} on {u}")));
        if parts.is_empty() { "nothing".into() } else { parts.join(", ") }
    }

    /// How this account differs from what `apply --setup all` makes from the seeds (access keys aside).
    pub fn differences_from_seeds(&self, account: &str, bucket: &str, project: &str) -> Vec<String> {
        self.differences_from_seeds_after(&Account::default(), account, bucket, project)
    }

    /// The same for an apply that started from `before`: a policy that existed keeps its older versions.
    pub fn differences_from_seeds_after(
        &self,
        before: &Account,
        account: &str,
        bucket: &str,
        project: &str,
    ) -> Vec<String> {
        self.differences_from_seeds_under(before, account, bucket, project, None)
    }

    /// The same for an apply given `guardrails` (issue 19): every policy, role and user under its path, every
    /// role and the user under its boundary.
    pub fn differences_from_seeds_under(
        &self,
        before: &Account,
        account: &str,
        bucket: &str,
        project: &str,
        guardrails: Option<Guardrails>,
    ) -> Vec<String> {
        let expected = Account::seeds_under(account, bucket, project, guardrails);
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
                if have.path != want.path {
                    diffs.push(format!("policy {name} path {}, expected {}", have.path, want.path));
                }
                if have.versions != 1 && !before.policies.contains_key(name) {
                    diffs.push(format!("policy {name} has {} versions", have.versions));
                }
            }
        }
        for (name, want) in &expected.roles {
            if let Some(have) = self.roles.get(name) {
                if have.trust != want.trust {
                    diffs.push(format!("role {name} trust differs"));
                }
                if have.boundary != want.boundary {
                    diffs.push(format!(
                        "role {name} permissions boundary {:?}, expected {:?}",
                        have.boundary, want.boundary
                    ));
                }
                if have.path != want.path {
                    diffs.push(format!("role {name} path {}, expected {}", have.path, want.path));
                }
                if have.attached != want.attached {
                    diffs.push(format!("role {name} attachments {:?}, expected {:?}", have.attached, want.attached));
                }
                if !have.ours {
                    diffs.push(format!("role {name} not tagged ManagedBy"));
                }
                if !have.inline.is_empty() {
                    diffs.push(format!("role {name} has inline policies {:?}", have.inline));
                }
            }
        }
        if let (Some(have), Some(want)) = (self.users.get("PostmanUser"), expected.users.get("PostmanUser")) {
            if have.attached != ["PostmanAccessPolicy"] {
                diffs.push(format!("user PostmanUser attachments {:?}", have.attached));
            }
            if !have.ours {
                diffs.push("user PostmanUser not tagged ManagedBy".into());
            }
            if have.boundary != want.boundary {
                let (b, w) = (&have.boundary, &want.boundary);
                diffs.push(format!("user PostmanUser permissions boundary {b:?}, expected {w:?}"));
            }
            if have.path != want.path {
                diffs.push(format!("user PostmanUser path {}, expected {}", have.path, want.path));
            }
            if !have.inline.is_empty() {
                diffs.push(format!("user PostmanUser has inline policies {:?}", have.inline));
            }
            for id in &have.keys {
                let marker = format!("pinpoint-iam-wizard:key:{id}");
                if !have.tags.iter().any(|(k, _)| *k == marker) {
                    diffs.push(format!("user PostmanUser lacks the marker tag of its key {id}"));
                }
            }
        }
        for (user, tag) in self.stale_key_tags() {
            diffs.push(format!("user {user} keeps tag {tag} of a key that is gone"));
        }
        diffs
    }

    /// The complete state of `apply --setup all`, keys aside.
    pub fn seeds(account: &str, bucket: &str, project: &str) -> Account {
        Account::seeds_under(account, bucket, project, None)
    }

    /// The complete state of `apply --setup all` given `guardrails`, keys aside: the seeds' documents (the
    /// Pinpoint policy passes the import role at its path-qualified ARN), each resource under the path, each
    /// role and the user under the boundary.
    pub fn seeds_under(account: &str, bucket: &str, project: &str, guardrails: Option<Guardrails>) -> Account {
        let path = guardrails.map_or("/", |g| g.path);
        let boundary = guardrails.map(|g| g.boundary.to_string());
        let doc = |name: &str| {
            let doc = seed(name, account, REGION, bucket, project).to_string();
            serde_json::from_str(&doc.replace(":role/", &format!(":role{path}"))).unwrap()
        };
        let policy =
            |name: &str| PolicyView { document: doc(name), path: path.into(), ours: true, versions: 1, tags: vec![] };
        let lambda: Value = serde_json::from_str(include_str!("../../assets/trust/lambda.json")).unwrap();
        let role = |trust: Value, attached: &[&str]| RoleView {
            trust,
            attached: attached.iter().map(|s| s.to_string()).collect(),
            inline: vec![],
            ours: true,
            tags: vec![],
            boundary: boundary.clone(),
            path: path.into(),
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
                    boundary: boundary.clone(),
                    path: path.into(),
                },
            )]),
        }
    }
}
