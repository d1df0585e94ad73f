//! What the wizard knows across screens (`Session`), with the custody of new keys' secrets and the facts the
//! summary, the quit prompts and the exit report share (what exists, what this run made, the commands to use).

use super::msg::Cmd;
use super::progress::{Run, StepState};
use super::remote::{Remote, RequestId};
use crate::aws::Identity;
use crate::aws::analyzer::Analysis;
use crate::aws::iam::AccessKeyInfo;
use crate::plan::{Action as Step, Plan};
use crate::secret::custody::{KeyEnd, KeyOutcome, SecretCustody};
use crate::setup::{AccountId, Desired, Params, Region, Selection};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What the wizard knows across screens.
#[derive(Debug)]
pub struct Session {
    pub setup: Selection,
    /// Tightened documents instead of the guides' (toggled on the preview).
    pub tighten: bool,
    pub identity: Remote<Identity>,
    pub region: Option<Region>,
    pub profile: Option<String>,
    /// Where the credentials came from, once the configuration loaded.
    pub credentials: Option<crate::aws::CredentialSource>,
    pub endpoint: Option<String>,
    /// Typed on the identity screen when the account could not be read.
    pub typed_account: Option<AccountId>,
    pub params: Option<Params>,
    pub desired: Option<Desired>,
    /// IAM Access Analyzer's findings on the documents, asked for when the preview opens with working
    /// credentials; never a `Failed` (not consulting it is an answer: `Analysis::NotConsulted`).
    pub analysis: Remote<Analysis>,
    /// The documents `analysis` is about, so returning to an unchanged preview does not ask again.
    pub analysed: Option<Desired>,
    pub plan: Remote<Arc<Plan>>,
    /// The plan's documents' errors and security warnings in one sentence, worked out once when the plan
    /// arrives (the plan screen draws it every frame, and the check reads every document).
    pub serious: Option<String>,
    pub adopt: bool,
    /// Manual mode was chosen on the welcome screen: the preview leads to the console steps, not the plan.
    pub manual: bool,
    pub run: Run,
    /// Every key made in this session and its secret until someone has it: what leaving needs and what the
    /// exit says come from here.
    pub custody: SecretCustody,
    /// Whether anything was written to the account in this session.
    pub wrote: bool,
    /// After a rotation: the user and the keys the new one replaces.
    pub old_keys: Option<(String, Vec<AccessKeyInfo>)>,
    /// What was done to old keys, for the exit summary.
    pub retired: Vec<String>,
    /// Rotations and retirements sent and not yet answered: quitting waits for them (a rotation's answer is a
    /// key whose secret must reach someone).
    pub key_writes: usize,
    pub clipboard_timeout: Duration,
    /// When a secret on the system clipboard is to be cleared.
    pub clear_at: Option<Instant>,
    /// The secret was copied to the system clipboard (not OSC 52) and may still be there.
    pub clipboard_holds_secret: bool,
    /// The secret was sent to the terminal's clipboard (OSC 52) and not cleared yet: cleared at the latest on
    /// exit, since nothing can serve it after the wizard.
    pub terminal_holds_secret: bool,
    next_request: RequestId,
}

impl Session {
    pub(crate) fn new() -> Self {
        Session {
            setup: Selection::all(),
            tighten: false,
            identity: Remote::Idle,
            region: None,
            profile: None,
            credentials: None,
            endpoint: None,
            typed_account: None,
            params: None,
            desired: None,
            analysis: Remote::Idle,
            analysed: None,
            plan: Remote::Idle,
            serious: None,
            adopt: false,
            manual: false,
            run: Run::default(),
            custody: SecretCustody::default(),
            wrote: false,
            old_keys: None,
            retired: vec![],
            key_writes: 0,
            clipboard_timeout: Duration::from_secs(60),
            clear_at: None,
            clipboard_holds_secret: false,
            terminal_holds_secret: false,
            next_request: 0,
        }
    }

    /// A fresh request id.
    pub fn request(&mut self) -> RequestId {
        self.next_request += 1;
        self.next_request
    }

    /// Ask IAM Access Analyzer about the documents the preview shows, once per set of documents, when the
    /// credentials work (offline the preview says it was not consulted).
    pub fn analyse(&mut self) -> Option<Cmd> {
        let desired = self.desired.clone().filter(|_| self.online())?;
        if self.analysed.as_ref() == Some(&desired) && !matches!(self.analysis, Remote::Idle) {
            return None;
        }
        let id = self.request();
        self.analysis = Remote::Pending(id);
        self.analysed = Some(desired.clone());
        Some(Cmd::Validate { id, desired: Box::new(desired) })
    }

    /// Seconds until the copied secret is cleared from the clipboard, at `now`.
    pub fn clear_in(&self, now: Instant) -> Option<u64> {
        self.clear_at.map(|at| at.saturating_duration_since(now).as_secs_f64().ceil() as u64)
    }

    /// Whether the account was read with working credentials.
    pub fn online(&self) -> bool {
        matches!(self.identity, Remote::Ready(_))
    }

    /// The account id in use: detected, or typed when detection failed.
    pub fn account(&self) -> Option<AccountId> {
        match &self.identity {
            Remote::Ready(id) => Some(id.account.clone()),
            _ => self.typed_account.clone(),
        }
    }

    /// The keys a rotation replaced, once the new key's secret reached someone: only then may they be retired.
    /// Deactivating them after the new key was deleted, or kept without its secret, would leave the user with no
    /// key anyone can use.
    pub fn replaced_keys(&self) -> Option<(&str, &[AccessKeyInfo])> {
        let (user, keys) = self.old_keys.as_ref()?;
        let delivered = |k: &KeyOutcome| k.user == *user && matches!(k.end, KeyEnd::Delivered(_));
        self.custody.outcomes().iter().any(delivered).then_some((user.as_str(), keys.as_slice()))
    }

    /// The user whose existing key the plan keeps, and who can get a new one by rotation.
    pub fn rotatable_user(&self) -> Option<String> {
        let plan = self.plan.ready()?;
        if !self.online() || !plan.checked {
            return None;
        }
        plan.steps.iter().find_map(|s| match s.kind {
            crate::plan::StepKind::AccessKey(u) if s.action == crate::plan::Action::Unchanged => {
                Some(plan.desired.users[u].name.to_string())
            }
            _ => None,
        })
    }
}

/// A resource as the summary lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub status: String,
    pub kind: String,
    pub name: String,
    pub arn: String,
}

pub fn current_plan(s: &Session) -> Option<Arc<Plan>> {
    s.run.plan.clone().or_else(|| s.plan.ready().cloned())
}

/// Every policy, role and user of the plan, with what happened to it.
pub fn rows(s: &Session) -> Vec<Row> {
    rows_of(s, &["policy", "role", "user"])
}

/// Every attachment of a policy to a role or user in the plan, with what happened to it (the ARN is the policy's).
pub fn attachments(s: &Session) -> Vec<Row> {
    rows_of(s, &["attachment"])
}

/// An access key as the summary lists it: its id, whose it is, and where it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRow {
    pub user: String,
    pub id: String,
    /// Made in this session (its end is the custody's), or found in the account by the plan.
    pub made: Option<crate::secret::custody::KeyOutcome>,
    pub active: bool,
}

/// The access keys of the plan's users: the ones this session made, then the ones the plan found (the old keys
/// of a rotation are listed apart, with what can be done to them).
pub fn access_keys(s: &Session) -> Vec<KeyRow> {
    let made = s.custody.outcomes();
    let mut v: Vec<KeyRow> = made
        .iter()
        .map(|k| KeyRow { user: k.user.clone(), id: k.id.clone(), made: Some(k.clone()), active: true })
        .collect();
    let old: Vec<&str> = s.old_keys.iter().flat_map(|(_, keys)| keys.iter().map(|k| k.id.as_str())).collect();
    let Some(plan) = current_plan(s) else { return v };
    for step in &plan.steps {
        let crate::plan::Prior::User(state) = &step.prior else { continue };
        let user = match step.kind {
            crate::plan::StepKind::User(u) => plan.desired.users[u].name.to_string(),
            _ => continue,
        };
        for k in &state.access_keys {
            if !v.iter().any(|r| r.id == k.id) && !old.contains(&k.id.as_str()) {
                v.push(KeyRow { user: user.clone(), id: k.id.clone(), made: None, active: k.active });
            }
        }
    }
    v
}

fn rows_of(s: &Session, kinds: &[&str]) -> Vec<Row> {
    let Some(plan) = current_plan(s) else { return vec![] };
    let ran = s.run.plan.is_some();
    (0..plan.steps.len())
        .filter(|i| kinds.contains(&plan.label(*i).kind))
        .map(|i| {
            let l = plan.label(i);
            let status = match s.run.steps.get(i).map(|st| &st.state).filter(|_| ran) {
                Some(StepState::Done(st)) => st.as_str().replace('_', " "),
                Some(StepState::Failed(_)) => "failed".into(),
                Some(StepState::RolledBack) => "rolled back".into(),
                Some(StepState::Skipped) => "not made".into(),
                Some(StepState::Running) => "unknown".into(),
                _ => match plan.steps[i].action {
                    Step::Unchanged => "unchanged".into(),
                    Step::NotChecked => "not checked".into(),
                    _ => "not applied".into(),
                },
            };
            Row { status, kind: l.kind.to_string(), name: l.name, arn: l.arn }
        })
        .collect()
}

/// What this run created or changed (and has not undone), by name.
pub fn made_by_run(s: &Session) -> Vec<String> {
    let Some(plan) = &s.run.plan else { return vec![] };
    s.run
        .steps
        .iter()
        .enumerate()
        .filter(|(_, st)| {
            matches!(
                st.state,
                StepState::Done(
                    crate::engine::Status::Created
                        | crate::engine::Status::Updated
                        | crate::engine::Status::Left
                        | crate::engine::Status::Unknown
                ) | StepState::Running
            )
        })
        .map(|(i, _)| {
            let l = plan.label(i);
            format!("{} {}", l.kind.replace('_', " "), l.name)
        })
        .collect()
}

/// The headless command that removes this setup, with the names and Region actually used.
pub fn destroy_command(s: &Session) -> Option<String> {
    let p = current_plan(s)?.params.clone();
    let mut cmd = command(s, &format!("destroy --setup {}", p.setup))?;
    for f in p.name_fields() {
        let value = p.names.get(f);
        if value != f.default {
            cmd.push_str(&format!(" --name {}={value}", f.option()));
        }
    }
    cmd.push_str(&guardrail_args(&p));
    Some(cmd)
}

/// The `rotate-key` command for `user`: with the run's guardrails, since `rotate-key` refuses a user whose path
/// or boundary is not the one given.
pub fn rotate_command(s: &Session, user: &str) -> Option<String> {
    let p = current_plan(s)?.params.clone();
    command(s, &format!("rotate-key --user {user}{}", guardrail_args(&p)))
}

/// ` --path P --permissions-boundary ARN` as far as the run set them (`destroy` finds our resources under the
/// path and takes the boundary as ours only when given the same one).
fn guardrail_args(p: &crate::setup::Params) -> String {
    let mut args = String::new();
    if !p.path.is_root() {
        args.push_str(&format!(" --path {}", shell_word(p.path.as_str())));
    }
    if let Some(b) = &p.boundary {
        args.push_str(&format!(" --permissions-boundary {b}"));
    }
    args
}

/// A word for the shell: as it is when it holds nothing the shell reads specially (IAM paths may hold any
/// printable character), else quoted as the CLI script export quotes.
fn shell_word(s: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "/-_.:=+@,%".contains(c);
    if s.chars().all(plain) { s.to_string() } else { crate::export::sh(s) }
}

/// A headless command (`args` after the global options) against the same account and Region as this session:
/// the profile and endpoint it used go with it.
pub fn command(s: &Session, args: &str) -> Option<String> {
    let p = current_plan(s)?.params.clone();
    let mut cmd = String::from("pinpoint-iam-wizard");
    if let Some(profile) = &s.profile {
        cmd.push_str(&format!(" --profile {profile}"));
    }
    if let Some(endpoint) = &s.endpoint {
        cmd.push_str(&format!(" --endpoint-url {endpoint}"));
    }
    cmd.push_str(&format!(" --region {} {args}", p.region));
    Some(cmd)
}
