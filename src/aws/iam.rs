//! IAM reads and writes used by plan, apply and destroy.

use super::AwsError;
use super::error::{CallSite, map_sdk};
use crate::secret::{NewAccessKey, Secret};
use crate::setup::{KEY_TAG_PREFIX, MANAGED_BY_KEY, MANAGED_BY_VALUE, RUN_TAG_KEY, Tag, VERSIONS_TAG_KEY};
use aws_sdk_iam::Client;
use aws_sdk_iam::types::{PolicyScopeType, StatusType, Tag as IamTag};
use serde_json::Value;
use std::collections::HashMap;

/// IAM for this tool: every call counted and its error mapped to plain words.
#[derive(Clone)]
pub struct Iam {
    client: Client,
    calls: super::CallCounter,
    endpoint: String,
    /// How long one attempt may wait for an answer: a request given up on may still land within as long again.
    unanswered_grace: std::time::Duration,
    /// Set once a call took longer than one attempt may: the SDK gave up on an attempt and tried again, and the
    /// request it gave up on may still be carried out later (a tag put back after the rollback removed it).
    gave_up: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

/// A managed policy as it is in the account.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyState {
    pub arn: String,
    pub default_version: String,
    pub document: Value,
    pub managed_by_us: bool,
    /// Another owner named by its `ManagedBy` tag (e.g. `cloudformation`), if any.
    pub owner: Option<String>,
    /// The run that created it (our run-id tag), if this tool did.
    pub run: Option<String>,
    /// The versions this tool wrote ([`VERSIONS_TAG_KEY`]); empty for a policy made before they were recorded.
    pub versions_written: Vec<String>,
    /// The keys of every tag it carries (IAM allows 50).
    pub tag_keys: Vec<String>,
}

/// One version of a managed policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyVersion {
    pub id: String,
    pub is_default: bool,
    /// Seconds since the epoch; orders versions oldest first.
    pub created: i64,
    /// The same instant as IAM reports it (RFC 3339), for the plan's words.
    pub created_at: String,
}

/// A role as it is in the account.
#[derive(Debug, Clone, PartialEq)]
pub struct RoleState {
    pub arn: String,
    pub trust: Value,
    pub managed_by_us: bool,
    /// Another owner named by its `ManagedBy` tag (e.g. `cloudformation`), if any.
    pub owner: Option<String>,
    pub run: Option<String>,
    pub attached: Vec<String>,
    pub permissions_boundary: Option<String>,
    /// The keys of every tag it carries (IAM allows 50).
    pub tag_keys: Vec<String>,
    /// Its IAM path (`/` unless created under one).
    pub path: String,
}

/// Where a new policy, role or user goes and the boundary a role or user carries (an organisation's
/// guardrails).
#[derive(Debug, Clone, Copy)]
pub struct Placement<'a> {
    pub path: &'a str,
    pub boundary: Option<&'a str>,
}

/// A role found by name, its attachments not listed yet.
#[derive(Debug)]
pub struct FoundRole {
    name: String,
    state: RoleState,
}

impl FoundRole {
    /// List the attachments: `None` if the role was deleted since it was found.
    pub async fn complete(self, iam: &Iam) -> Result<Option<RoleState>, AwsError> {
        let attached = iam.role_policies(&self.name).await;
        self.with(attached)
    }

    fn with(mut self, attached: Result<Vec<String>, AwsError>) -> Result<Option<RoleState>, AwsError> {
        // Listing a missing role's policies says NoSuchEntity: the role was deleted between the two reads.
        self.state.attached = match attached {
            Err(e) if e.is_no_such_entity() => return Ok(None),
            other => other?,
        };
        Ok(Some(self.state))
    }
}

/// A user found by name, its attachments and keys not listed yet.
#[derive(Debug)]
pub struct FoundUser {
    name: String,
    state: UserState,
}

impl FoundUser {
    /// List the attachments and keys: `None` if the user was deleted since it was found.
    pub async fn complete(self, iam: &Iam) -> Result<Option<UserState>, AwsError> {
        let (attached, keys) = tokio::join!(iam.user_policies(&self.name), iam.access_keys(&self.name));
        self.with(attached, keys)
    }

    fn with(
        mut self,
        attached: Result<Vec<String>, AwsError>,
        keys: Result<Vec<AccessKeyInfo>, AwsError>,
    ) -> Result<Option<UserState>, AwsError> {
        let (attached, keys) = match (attached, keys) {
            (Err(e), _) | (_, Err(e)) if e.is_no_such_entity() => return Ok(None),
            (a, k) => (a?, k?),
        };
        self.state.attached = attached;
        self.state.access_keys = keys;
        Ok(Some(self.state))
    }
}

/// A user as it is in the account.
#[derive(Debug, Clone, PartialEq)]
pub struct UserState {
    pub arn: String,
    pub managed_by_us: bool,
    /// Another owner named by its `ManagedBy` tag (e.g. `cloudformation`), if any.
    pub owner: Option<String>,
    pub run: Option<String>,
    pub attached: Vec<String>,
    pub access_keys: Vec<AccessKeyInfo>,
    pub permissions_boundary: Option<String>,
    /// Its IAM path (`/` unless created under one).
    pub path: String,
    /// Access key ids this tool made (their marker tags).
    pub our_keys: Vec<String>,
    /// The keys of every tag it carries (IAM allows 50): two per access key this tool made among them.
    pub tag_keys: Vec<String>,
}

/// An existing access key (never its secret: AWS does not return it again).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessKeyInfo {
    pub id: String,
    pub active: bool,
}

/// Who a policy is attached to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PolicyEntities {
    pub roles: Vec<String>,
    pub users: Vec<String>,
    pub groups: Vec<String>,
}

/// Parse a document as IAM returns it: URL-encoded JSON (moto and some SDK paths return it decoded).
pub fn decode_document(raw: &str) -> Result<Value, String> {
    serde_json::from_str(raw).or_else(|_| {
        let decoded = percent_encoding::percent_decode_str(raw).decode_utf8_lossy();
        serde_json::from_str(&decoded).map_err(|e| format!("IAM returned a document that is not JSON: {e}"))
    })
}

fn policy_state(arn: &str, default_version: String, document: Value, tags: &[IamTag]) -> PolicyState {
    PolicyState {
        arn: arn.to_string(),
        default_version,
        document,
        managed_by_us: is_ours(tags),
        owner: owner_of(tags),
        run: run_of(tags),
        versions_written: tags
            .iter()
            .find(|t| t.key() == VERSIONS_TAG_KEY)
            .map(|t| t.value().split_whitespace().map(str::to_string).collect())
            .unwrap_or_default(),
        tag_keys: tag_keys(tags),
    }
}

fn tag_keys(tags: &[IamTag]) -> Vec<String> {
    tags.iter().map(|t| t.key().to_string()).collect()
}

fn is_ours(tags: &[IamTag]) -> bool {
    tags.iter().any(|t| t.key() == MANAGED_BY_KEY && t.value() == MANAGED_BY_VALUE)
}

/// Who else owns it, by its `ManagedBy` tag (a CloudFormation stack, Terraform, …): never ours to adopt.
fn owner_of(tags: &[IamTag]) -> Option<String> {
    tags.iter().find(|t| t.key() == MANAGED_BY_KEY && t.value() != MANAGED_BY_VALUE).map(|t| t.value().to_string())
}

fn run_of(tags: &[IamTag]) -> Option<String> {
    tags.iter().find(|t| t.key() == RUN_TAG_KEY).map(|t| t.value().to_string())
}

/// The tag key that marks an access key as made by this tool (a user tag, like the console's description).
pub fn key_marker(id: &str) -> String {
    format!("{KEY_TAG_PREFIX}{id}")
}

fn tag(key: &str, value: &str) -> Result<IamTag, AwsError> {
    IamTag::builder().key(key).value(value).build().map_err(|e| AwsError::Service {
        action: "iam:Tag*".into(),
        resource: key.into(),
        code: "InvalidTag".into(),
        message: super::error::plain(&e),
        request_id: None,
    })
}

/// The tags every resource this tool creates carries: ours (owner, run) first, then the user's.
pub fn tags_for(extra: &[Tag], run: &str) -> Result<Vec<IamTag>, AwsError> {
    [(MANAGED_BY_KEY, MANAGED_BY_VALUE), (RUN_TAG_KEY, run)]
        .into_iter()
        .chain(extra.iter().map(|t| (t.key.as_str(), t.value.as_str())))
        .map(|(k, v)| tag(k, v))
        .collect()
}

macro_rules! call {
    ($self:ident, $action:literal, $resource:expr, $req:expr) => {{
        $self.calls.tick();
        let resource: &str = &$resource;
        let started = std::time::Instant::now();
        let sent = $req.send().await;
        $self.note_duration(started.elapsed());
        sent.map_err(|e| map_sdk(&CallSite { action: $action, resource, endpoint: &$self.endpoint }, e))
    }};
}

/// Runs a lookup, turning the typed NoSuchEntity into `None`.
macro_rules! lookup {
    ($self:ident, $action:literal, $resource:expr, $req:expr) => {{
        $self.calls.tick();
        let resource: &str = &$resource;
        match $req.send().await {
            Ok(out) => Ok(Some(out)),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_entity_exception()) => Ok(None),
            Err(e) => Err(map_sdk(&CallSite { action: $action, resource, endpoint: &$self.endpoint }, e)),
        }
    }};
}

fn bad_doc(action: &str, resource: &str, message: String) -> AwsError {
    AwsError::Service {
        action: action.into(),
        resource: resource.into(),
        code: "InvalidDocument".into(),
        message,
        request_id: None,
    }
}

/// Collects every page of a paginated IAM list, counting each page as a call.
macro_rules! all_pages {
    ($self:ident, $action:literal, $resource:expr, $req:expr, |$page:ident| $items:expr) => {{
        let resource: &str = &$resource;
        let mut pages = $req.into_paginator().send();
        let mut out = Vec::new();
        while let Some(page) = pages.next().await {
            $self.calls.tick();
            match page {
                Err(e) => return Err(map_sdk(&CallSite { action: $action, resource, endpoint: &$self.endpoint }, e)),
                Ok($page) => out.extend($items),
            }
        }
        out
    }};
}

/// What IAM would refuse to delete along with a user or role (DeleteConflict), or what is not ours to remove.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Entanglements {
    pub inline_policies: Vec<String>,
    pub login_profile: bool,
    pub groups: Vec<String>,
    pub mfa_devices: Vec<String>,
    pub instance_profiles: Vec<String>,
}

impl Iam {
    pub fn new(client: Client, calls: super::CallCounter, endpoint: String) -> Self {
        let unanswered_grace = super::Timeouts::default().attempt();
        Iam { client, calls, endpoint, unanswered_grace, gave_up: Default::default() }
    }

    /// Give a request that timed out this long to land before reading what it may have done.
    pub fn with_unanswered_grace(mut self, grace: std::time::Duration) -> Self {
        self.unanswered_grace = grace;
        self
    }

    pub fn unanswered_grace(&self) -> std::time::Duration {
        self.unanswered_grace
    }

    /// Remember a call that outlasted one attempt (see `gave_up`).
    fn note_duration(&self, took: std::time::Duration) {
        if took >= self.unanswered_grace {
            self.gave_up.store(true, std::sync::atomic::Ordering::SeqCst);
        }
    }

    /// Whether some call of this process outlasted one attempt, so a request given up on may still land.
    pub fn gave_up_on_an_attempt(&self) -> bool {
        self.gave_up.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// A policy by its ARN: GetPolicy, then its default version.
    pub async fn get_policy(&self, arn: &str) -> Result<Option<PolicyState>, AwsError> {
        let Some(out) = lookup!(self, "iam:GetPolicy", arn, self.client.get_policy().policy_arn(arn))? else {
            return Ok(None);
        };
        let policy = out.policy().ok_or_else(|| bad_doc("iam:GetPolicy", arn, "no policy in the answer".into()))?;
        let version = policy.default_version_id().unwrap_or("v1").to_string();
        let document = self.policy_document(arn, &version).await?;
        Ok(Some(policy_state(arn, version, document, policy.tags())))
    }

    /// A policy whose default version is already known (from [`Iam::local_policies`]): the policy (for its
    /// tags) and the version's document are read together, one round trip instead of two.
    pub async fn get_listed_policy(&self, arn: &str, version: &str) -> Result<Option<PolicyState>, AwsError> {
        let (policy, document) = tokio::join!(
            async { lookup!(self, "iam:GetPolicy", arn, self.client.get_policy().policy_arn(arn)) },
            self.policy_document(arn, version)
        );
        let Some(out) = policy? else { return Ok(None) };
        let policy = out.policy().ok_or_else(|| bad_doc("iam:GetPolicy", arn, "no policy in the answer".into()))?;
        match policy.default_version_id() {
            // Listed a moment ago; its default version has changed since: read it again.
            Some(current) if current != version => self.get_policy(arn).await,
            _ => Ok(Some(policy_state(arn, version.to_string(), document?, policy.tags()))),
        }
    }

    async fn policy_document(&self, arn: &str, version: &str) -> Result<Value, AwsError> {
        let v = call!(
            self,
            "iam:GetPolicyVersion",
            arn,
            self.client.get_policy_version().policy_arn(arn).version_id(version)
        )?;
        let raw = v.policy_version().and_then(|v| v.document()).unwrap_or("{}");
        decode_document(raw).map_err(|m| bad_doc("iam:GetPolicyVersion", arn, m))
    }

    /// The account's own managed policies (ARN → default version), read without knowing the account id, so
    /// this goes out together with STS. `None` when they do not fit in one page or the caller may not list
    /// them: then each policy is read by its ARN.
    pub async fn local_policies(&self) -> Result<Option<HashMap<String, String>>, AwsError> {
        let listed = call!(
            self,
            "iam:ListPolicies",
            "the account's managed policies",
            self.client.list_policies().scope(PolicyScopeType::Local).max_items(1000)
        );
        let out = match listed {
            Ok(out) => out,
            Err(AwsError::AccessDenied { .. }) => return Ok(None),
            Err(e) => return Err(e),
        };
        if out.is_truncated() {
            return Ok(None);
        }
        Ok(Some(
            out.policies()
                .iter()
                .filter_map(|p| Some((p.arn()?.to_string(), p.default_version_id()?.to_string())))
                .collect(),
        ))
    }

    pub async fn list_policy_versions(&self, arn: &str) -> Result<Vec<PolicyVersion>, AwsError> {
        let mut versions: Vec<PolicyVersion> = all_pages!(
            self,
            "iam:ListPolicyVersions",
            arn,
            self.client.list_policy_versions().policy_arn(arn),
            |page| page
                .versions()
                .iter()
                .map(|v| PolicyVersion {
                    id: v.version_id().unwrap_or_default().to_string(),
                    is_default: v.is_default_version(),
                    created: v.create_date().map(|d| d.secs()).unwrap_or_default(),
                    created_at: v
                        .create_date()
                        .and_then(|d| d.fmt(aws_sdk_iam::primitives::DateTimeFormat::DateTime).ok())
                        .unwrap_or_default(),
                })
                .collect::<Vec<_>>()
        );
        versions.sort_by_key(|v| (v.created, version_number(&v.id)));
        Ok(versions)
    }

    pub async fn create_policy(
        &self,
        name: &str,
        document: &Value,
        path: &str,
        tags: &[Tag],
        run: &str,
    ) -> Result<String, AwsError> {
        let out = call!(
            self,
            "iam:CreatePolicy",
            name,
            self.client
                .create_policy()
                .policy_name(name)
                .path(path)
                .policy_document(document.to_string())
                .description("Created by pinpoint-iam-wizard")
                .set_tags(Some(tags_for(tags, run)?))
                .tags(tag(VERSIONS_TAG_KEY, "v1")?)
        )?;
        Ok(out.policy().and_then(|p| p.arn()).unwrap_or_default().to_string())
    }

    /// A new default version; returns its id.
    pub async fn create_policy_version(&self, arn: &str, document: &Value) -> Result<String, AwsError> {
        let out = call!(
            self,
            "iam:CreatePolicyVersion",
            arn,
            self.client
                .create_policy_version()
                .policy_arn(arn)
                .policy_document(document.to_string())
                .set_as_default(true)
        )?;
        Ok(out.policy_version().and_then(|v| v.version_id()).unwrap_or_default().to_string())
    }

    /// Record the versions this tool wrote (a tag on the policy), so only those are pruned later.
    pub async fn record_versions(&self, arn: &str, ids: &[String]) -> Result<(), AwsError> {
        let tags = tag(VERSIONS_TAG_KEY, &ids.join(" "))?;
        call!(self, "iam:TagPolicy", arn, self.client.tag_policy().policy_arn(arn).tags(tags))?;
        Ok(())
    }

    pub async fn set_default_policy_version(&self, arn: &str, version: &str) -> Result<(), AwsError> {
        call!(
            self,
            "iam:SetDefaultPolicyVersion",
            arn,
            self.client.set_default_policy_version().policy_arn(arn).version_id(version)
        )?;
        Ok(())
    }

    pub async fn delete_policy_version(&self, arn: &str, version: &str) -> Result<(), AwsError> {
        call!(
            self,
            "iam:DeletePolicyVersion",
            arn,
            self.client.delete_policy_version().policy_arn(arn).version_id(version)
        )?;
        Ok(())
    }

    pub async fn delete_policy(&self, arn: &str) -> Result<(), AwsError> {
        call!(self, "iam:DeletePolicy", arn, self.client.delete_policy().policy_arn(arn))?;
        Ok(())
    }

    pub async fn tag_policy(&self, arn: &str, tags: &[Tag], run: &str) -> Result<(), AwsError> {
        call!(
            self,
            "iam:TagPolicy",
            arn,
            self.client.tag_policy().policy_arn(arn).set_tags(Some(tags_for(tags, run)?))
        )?;
        Ok(())
    }

    pub async fn policy_entities(&self, arn: &str) -> Result<PolicyEntities, AwsError> {
        let pages = all_pages!(
            self,
            "iam:ListEntitiesForPolicy",
            arn,
            self.client.list_entities_for_policy().policy_arn(arn),
            |page| std::iter::once(PolicyEntities {
                roles: page.policy_roles().iter().filter_map(|r| r.role_name().map(str::to_string)).collect(),
                users: page.policy_users().iter().filter_map(|u| u.user_name().map(str::to_string)).collect(),
                groups: page.policy_groups().iter().filter_map(|g| g.group_name().map(str::to_string)).collect(),
            })
        );
        Ok(pages.into_iter().fold(PolicyEntities::default(), |mut all, p| {
            all.roles.extend(p.roles);
            all.users.extend(p.users);
            all.groups.extend(p.groups);
            all
        }))
    }

    /// A role with its attachments, both read at once.
    pub async fn get_role(&self, name: &str) -> Result<Option<RoleState>, AwsError> {
        let (role, attached) = tokio::join!(self.find_role(name), self.role_policies(name));
        let Some(found) = role? else { return Ok(None) };
        found.with(attached)
    }

    /// The role's own record (GetRole) alone: its attachments are listed only if it exists
    /// ([`FoundRole::complete`]).
    pub async fn find_role(&self, name: &str) -> Result<Option<FoundRole>, AwsError> {
        let Some(out) = lookup!(self, "iam:GetRole", name, self.client.get_role().role_name(name))? else {
            return Ok(None);
        };
        let role = out.role().ok_or_else(|| bad_doc("iam:GetRole", name, "no role in the answer".into()))?;
        let trust = decode_document(role.assume_role_policy_document().unwrap_or("{}"))
            .map_err(|m| bad_doc("iam:GetRole", name, m))?;
        Ok(Some(FoundRole {
            name: name.to_string(),
            state: RoleState {
                arn: role.arn().to_string(),
                trust,
                managed_by_us: is_ours(role.tags()),
                owner: owner_of(role.tags()),
                run: run_of(role.tags()),
                attached: vec![],
                permissions_boundary: role
                    .permissions_boundary()
                    .and_then(|b| b.permissions_boundary_arn())
                    .map(str::to_string),
                tag_keys: tag_keys(role.tags()),
                path: role.path().to_string(),
            },
        }))
    }

    pub async fn role_policies(&self, name: &str) -> Result<Vec<String>, AwsError> {
        Ok(all_pages!(
            self,
            "iam:ListAttachedRolePolicies",
            name,
            self.client.list_attached_role_policies().role_name(name),
            |page| page
                .attached_policies()
                .iter()
                .filter_map(|p| p.policy_arn().map(str::to_string))
                .collect::<Vec<_>>()
        ))
    }

    /// What would keep IAM from deleting the role, beyond its managed-policy attachments.
    pub async fn role_entanglements(&self, name: &str) -> Result<Entanglements, AwsError> {
        let inline = async {
            Ok::<_, AwsError>(all_pages!(
                self,
                "iam:ListRolePolicies",
                name,
                self.client.list_role_policies().role_name(name),
                |page| page.policy_names().to_vec()
            ))
        };
        let profiles = async {
            Ok::<_, AwsError>(all_pages!(
                self,
                "iam:ListInstanceProfilesForRole",
                name,
                self.client.list_instance_profiles_for_role().role_name(name),
                |page| page
                    .instance_profiles()
                    .iter()
                    .map(|p| p.instance_profile_name().to_string())
                    .collect::<Vec<_>>()
            ))
        };
        let (inline_policies, instance_profiles) = tokio::try_join!(inline, profiles)?;
        Ok(Entanglements { inline_policies, instance_profiles, ..Entanglements::default() })
    }

    /// What would keep IAM from deleting the user, beyond its keys and managed-policy attachments.
    pub async fn user_entanglements(&self, name: &str) -> Result<Entanglements, AwsError> {
        let inline = async {
            Ok::<_, AwsError>(all_pages!(
                self,
                "iam:ListUserPolicies",
                name,
                self.client.list_user_policies().user_name(name),
                |page| page.policy_names().to_vec()
            ))
        };
        let groups = async {
            Ok::<_, AwsError>(all_pages!(
                self,
                "iam:ListGroupsForUser",
                name,
                self.client.list_groups_for_user().user_name(name),
                |page| page.groups().iter().map(|g| g.group_name().to_string()).collect::<Vec<_>>()
            ))
        };
        let mfa = async {
            Ok::<_, AwsError>(all_pages!(
                self,
                "iam:ListMFADevices",
                name,
                self.client.list_mfa_devices().user_name(name),
                |page| page.mfa_devices().iter().map(|d| d.serial_number().to_string()).collect::<Vec<_>>()
            ))
        };
        let login = async {
            match lookup!(self, "iam:GetLoginProfile", name, self.client.get_login_profile().user_name(name)) {
                Ok(found) => Ok(found.is_some()),
                Err(e) => Err(e),
            }
        };
        let (inline_policies, groups, mfa_devices, login_profile) = tokio::try_join!(inline, groups, mfa, login)?;
        Ok(Entanglements { inline_policies, login_profile, groups, mfa_devices, ..Entanglements::default() })
    }

    pub async fn create_role(
        &self,
        name: &str,
        trust: &Value,
        at: Placement<'_>,
        tags: &[Tag],
        run: &str,
    ) -> Result<String, AwsError> {
        let out = call!(
            self,
            "iam:CreateRole",
            name,
            self.client
                .create_role()
                .role_name(name)
                .path(at.path)
                .set_permissions_boundary(at.boundary.map(str::to_string))
                .assume_role_policy_document(trust.to_string())
                .description("Created by pinpoint-iam-wizard")
                .set_tags(Some(tags_for(tags, run)?))
                .tags(tag(VERSIONS_TAG_KEY, "v1")?)
        )?;
        Ok(out.role().map(|r| r.arn().to_string()).unwrap_or_default())
    }

    /// Set (or, with `None`, remove) the role's permissions boundary.
    pub async fn set_role_boundary(&self, name: &str, boundary: Option<&str>) -> Result<(), AwsError> {
        match boundary {
            Some(arn) => call!(
                self,
                "iam:PutRolePermissionsBoundary",
                name,
                self.client.put_role_permissions_boundary().role_name(name).permissions_boundary(arn)
            )
            .map(|_| ()),
            None => call!(
                self,
                "iam:DeleteRolePermissionsBoundary",
                name,
                self.client.delete_role_permissions_boundary().role_name(name)
            )
            .map(|_| ()),
        }
    }

    /// Set (or, with `None`, remove) the user's permissions boundary.
    pub async fn set_user_boundary(&self, name: &str, boundary: Option<&str>) -> Result<(), AwsError> {
        match boundary {
            Some(arn) => call!(
                self,
                "iam:PutUserPermissionsBoundary",
                name,
                self.client.put_user_permissions_boundary().user_name(name).permissions_boundary(arn)
            )
            .map(|_| ()),
            None => call!(
                self,
                "iam:DeleteUserPermissionsBoundary",
                name,
                self.client.delete_user_permissions_boundary().user_name(name)
            )
            .map(|_| ()),
        }
    }

    /// Move the user to another path (a user's path, unlike a role's or a policy's, can change).
    pub async fn set_user_path(&self, name: &str, path: &str) -> Result<(), AwsError> {
        call!(self, "iam:UpdateUser", name, self.client.update_user().user_name(name).new_path(path))?;
        Ok(())
    }

    pub async fn update_trust(&self, name: &str, trust: &Value) -> Result<(), AwsError> {
        call!(
            self,
            "iam:UpdateAssumeRolePolicy",
            name,
            self.client.update_assume_role_policy().role_name(name).policy_document(trust.to_string())
        )?;
        Ok(())
    }

    pub async fn tag_role(&self, name: &str, tags: &[Tag], run: &str) -> Result<(), AwsError> {
        call!(self, "iam:TagRole", name, self.client.tag_role().role_name(name).set_tags(Some(tags_for(tags, run)?)))?;
        Ok(())
    }

    pub async fn attach_role_policy(&self, role: &str, arn: &str) -> Result<(), AwsError> {
        call!(self, "iam:AttachRolePolicy", role, self.client.attach_role_policy().role_name(role).policy_arn(arn))?;
        Ok(())
    }

    pub async fn detach_role_policy(&self, role: &str, arn: &str) -> Result<(), AwsError> {
        call!(self, "iam:DetachRolePolicy", role, self.client.detach_role_policy().role_name(role).policy_arn(arn))?;
        Ok(())
    }

    pub async fn delete_role(&self, name: &str) -> Result<(), AwsError> {
        call!(self, "iam:DeleteRole", name, self.client.delete_role().role_name(name))?;
        Ok(())
    }

    /// A user with its attachments and access keys, all read at once.
    pub async fn get_user(&self, name: &str) -> Result<Option<UserState>, AwsError> {
        let (user, attached, keys) =
            tokio::join!(self.find_user(name), self.user_policies(name), self.access_keys(name));
        let Some(found) = user? else { return Ok(None) };
        found.with(attached, keys)
    }

    /// The user's own record (GetUser) alone: its attachments and keys are listed only if it exists
    /// ([`FoundUser::complete`]).
    pub async fn find_user(&self, name: &str) -> Result<Option<FoundUser>, AwsError> {
        let Some(out) = lookup!(self, "iam:GetUser", name, self.client.get_user().user_name(name))? else {
            return Ok(None);
        };
        let user = out.user().ok_or_else(|| bad_doc("iam:GetUser", name, "no user in the answer".into()))?;
        let our_keys =
            user.tags().iter().filter_map(|t| t.key().strip_prefix(KEY_TAG_PREFIX).map(str::to_string)).collect();
        Ok(Some(FoundUser {
            name: name.to_string(),
            state: UserState {
                arn: user.arn().to_string(),
                managed_by_us: is_ours(user.tags()),
                owner: owner_of(user.tags()),
                run: run_of(user.tags()),
                attached: vec![],
                access_keys: vec![],
                permissions_boundary: user
                    .permissions_boundary()
                    .and_then(|b| b.permissions_boundary_arn())
                    .map(str::to_string),
                path: user.path().to_string(),
                our_keys,
                tag_keys: tag_keys(user.tags()),
            },
        }))
    }

    pub async fn user_policies(&self, name: &str) -> Result<Vec<String>, AwsError> {
        Ok(all_pages!(
            self,
            "iam:ListAttachedUserPolicies",
            name,
            self.client.list_attached_user_policies().user_name(name),
            |page| page
                .attached_policies()
                .iter()
                .filter_map(|p| p.policy_arn().map(str::to_string))
                .collect::<Vec<_>>()
        ))
    }

    pub async fn access_keys(&self, user: &str) -> Result<Vec<AccessKeyInfo>, AwsError> {
        Ok(all_pages!(self, "iam:ListAccessKeys", user, self.client.list_access_keys().user_name(user), |page| page
            .access_key_metadata()
            .iter()
            .map(|k| AccessKeyInfo {
                id: k.access_key_id().unwrap_or_default().to_string(),
                active: k.status() == Some(&StatusType::Active),
            })
            .collect::<Vec<_>>()))
    }

    pub async fn create_user(
        &self,
        name: &str,
        at: Placement<'_>,
        tags: &[Tag],
        run: &str,
    ) -> Result<String, AwsError> {
        let out = call!(
            self,
            "iam:CreateUser",
            name,
            self.client
                .create_user()
                .user_name(name)
                .path(at.path)
                .set_permissions_boundary(at.boundary.map(str::to_string))
                .set_tags(Some(tags_for(tags, run)?))
        )?;
        Ok(out.user().map(|u| u.arn().to_string()).unwrap_or_default())
    }

    pub async fn tag_user(&self, name: &str, tags: &[Tag], run: &str) -> Result<(), AwsError> {
        call!(self, "iam:TagUser", name, self.client.tag_user().user_name(name).set_tags(Some(tags_for(tags, run)?)))?;
        Ok(())
    }

    pub async fn attach_user_policy(&self, user: &str, arn: &str) -> Result<(), AwsError> {
        call!(self, "iam:AttachUserPolicy", user, self.client.attach_user_policy().user_name(user).policy_arn(arn))?;
        Ok(())
    }

    pub async fn detach_user_policy(&self, user: &str, arn: &str) -> Result<(), AwsError> {
        call!(self, "iam:DetachUserPolicy", user, self.client.detach_user_policy().user_name(user).policy_arn(arn))?;
        Ok(())
    }

    pub async fn delete_user(&self, name: &str) -> Result<(), AwsError> {
        call!(self, "iam:DeleteUser", name, self.client.delete_user().user_name(name))?;
        Ok(())
    }

    /// A new access key; the secret moves into a [`Secret`] without being copied.
    ///
    /// Never retried by the SDK: a retry after a lost answer would make a second key nobody sees. The
    /// caller reconciles instead ([`crate::engine::access_keys::create_reconciled`]).
    pub async fn create_access_key(&self, user: &str) -> Result<NewAccessKey, AwsError> {
        let no_retry =
            aws_sdk_iam::config::Builder::default().retry_config(aws_sdk_iam::config::retry::RetryConfig::disabled());
        let out = call!(
            self,
            "iam:CreateAccessKey",
            user,
            self.client.create_access_key().user_name(user).customize().config_override(no_retry)
        )?;
        let key = out.access_key.ok_or_else(|| bad_doc("iam:CreateAccessKey", user, "no key in the answer".into()))?;
        Ok(NewAccessKey {
            user_name: key.user_name,
            access_key_id: key.access_key_id,
            secret_access_key: Secret::new(key.secret_access_key),
        })
    }

    /// Activate or deactivate an access key.
    pub async fn set_access_key_active(&self, user: &str, id: &str, active: bool) -> Result<(), AwsError> {
        let status = if active { StatusType::Active } else { StatusType::Inactive };
        call!(
            self,
            "iam:UpdateAccessKey",
            user,
            self.client.update_access_key().user_name(user).access_key_id(id).status(status)
        )?;
        Ok(())
    }

    /// The console's access key description (a user tag whose key is the access key id), and our marker that
    /// this tool made the key, in one call.
    pub async fn describe_access_key(
        &self,
        user: &str,
        id: &str,
        description: &str,
        run: &str,
    ) -> Result<(), AwsError> {
        let tags = vec![tag(id, description)?, tag(&key_marker(id), run)?];
        call!(self, "iam:TagUser", user, self.client.tag_user().user_name(user).set_tags(Some(tags)))?;
        Ok(())
    }

    /// Mark a key this tool did not make as ours (an adopt), leaving its description alone.
    pub async fn mark_access_key(&self, user: &str, id: &str, run: &str) -> Result<(), AwsError> {
        let tags = vec![tag(&key_marker(id), run)?];
        call!(self, "iam:TagUser", user, self.client.tag_user().user_name(user).set_tags(Some(tags)))?;
        Ok(())
    }

    /// Remove the marker an adopt put on a key, leaving its description alone (undoing the adopt).
    pub async fn unmark_access_key(&self, user: &str, id: &str) -> Result<(), AwsError> {
        call!(self, "iam:UntagUser", user, self.client.untag_user().user_name(user).tag_keys(key_marker(id)))?;
        Ok(())
    }

    /// Remove a key's description and marker tags (after the key is deleted).
    pub async fn untag_access_key(&self, user: &str, id: &str) -> Result<(), AwsError> {
        call!(
            self,
            "iam:UntagUser",
            user,
            self.client.untag_user().user_name(user).tag_keys(id).tag_keys(key_marker(id))
        )?;
        Ok(())
    }

    /// Remove the owner and run tags, and the record of the versions this tool wrote (undoing an adopt).
    pub async fn untag_policy(&self, arn: &str) -> Result<(), AwsError> {
        let tags = [MANAGED_BY_KEY, RUN_TAG_KEY, VERSIONS_TAG_KEY].map(String::from);
        call!(
            self,
            "iam:UntagPolicy",
            arn,
            self.client.untag_policy().policy_arn(arn).set_tag_keys(Some(tags.to_vec()))
        )?;
        Ok(())
    }

    /// Remove the owner and run tags (undoing an adopt).
    pub async fn untag_role(&self, name: &str) -> Result<(), AwsError> {
        call!(
            self,
            "iam:UntagRole",
            name,
            self.client.untag_role().role_name(name).tag_keys(MANAGED_BY_KEY).tag_keys(RUN_TAG_KEY)
        )?;
        Ok(())
    }

    /// Remove the owner and run tags (undoing an adopt).
    pub async fn untag_user(&self, name: &str) -> Result<(), AwsError> {
        call!(
            self,
            "iam:UntagUser",
            name,
            self.client.untag_user().user_name(name).tag_keys(MANAGED_BY_KEY).tag_keys(RUN_TAG_KEY)
        )?;
        Ok(())
    }

    pub async fn delete_access_key(&self, user: &str, id: &str) -> Result<(), AwsError> {
        call!(self, "iam:DeleteAccessKey", user, self.client.delete_access_key().user_name(user).access_key_id(id))?;
        Ok(())
    }
}

fn version_number(id: &str) -> u64 {
    id.trim_start_matches('v').parse().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_decode_whether_url_encoded_or_not() {
        let plain = r#"{"Version":"2012-10-17","Statement":[]}"#;
        let encoded = "%7B%22Version%22%3A%222012-10-17%22%2C%22Statement%22%3A%5B%5D%7D";
        assert_eq!(decode_document(plain).unwrap(), decode_document(encoded).unwrap());
        assert!(decode_document("%7Bnot json").is_err());
    }

    #[test]
    fn our_tag_comes_first() {
        let tags = tags_for(&[Tag { key: "team".into(), value: "ops".into() }], "r1").unwrap();
        assert_eq!((tags[0].key(), tags[0].value()), (MANAGED_BY_KEY, MANAGED_BY_VALUE));
        assert_eq!((tags[1].key(), tags[1].value()), (RUN_TAG_KEY, "r1"));
        assert_eq!(tags[2].key(), "team");
    }
}
