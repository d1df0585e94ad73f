//! Access key rotation (the secret was lost): a new key shown once, then the old one deactivated and later
//! deleted; keys are described the way the console does it. `rotate-key` and `retire-key` are plans of key
//! steps (adopt, delete the old key first, create, deactivate) run by the one executor, as `apply` is.

use super::lag::{self, Backoff, Lag};
use super::rollback::{Undo, gone_is_fine};
use super::step::Done;
use super::{ApplyError, ApplyOptions, ApplyReport, Event, KEY_DESCRIPTION, Status, StepError};
use crate::aws::AwsError;
use crate::aws::iam::{AccessKeyInfo, Iam, UserState};
use crate::plan::{Action, Mode, Plan, Prior, Step, StepKind};
use crate::secret::NewAccessKey;
use crate::setup::{AccountId, Desired, IamKind, IamName, Params, Region, Selection, SetupDef, UserSpec, postman};
use std::sync::Arc;
use tokio::sync::mpsc::UnboundedSender;
use tokio_util::sync::CancellationToken;

/// Why a rotation did not start, or failed.
#[derive(Debug, thiserror::Error)]
pub enum RotateError {
    #[error("user {0} does not exist")]
    NoUser(String),
    #[error(
        "{user} already has AWS's maximum of two access keys ({}): choose the one to delete first",
        keys.iter().map(|k| format!("{} {}", k.id, if k.active { "active" } else { "inactive" })).collect::<Vec<_>>().join(", ")
    )]
    Full { user: String, keys: Vec<AccessKeyInfo> },
    #[error("{user} has no access key {id}")]
    UnknownKey { user: String, id: String },
    #[error(
        "user {user} was not created by pinpoint-iam-wizard (it has no ManagedBy={} tag): nothing was written. \
         Pass --adopt to take it over (it is tagged as ours from then on, so a later destroy removes it)",
        crate::setup::MANAGED_BY_VALUE
    )]
    NotOurs { user: String },
    #[error("user {user} belongs to {owner} (ManagedBy={owner}): nothing was written; change its keys through {owner}")]
    OwnedElsewhere { user: String, owner: String },
    #[error(
        "access key {id} of {user} was not created by pinpoint-iam-wizard (the user has no {} tag): nothing was \
         written. Pass --adopt to take it over",
        crate::aws::iam::key_marker(.id)
    )]
    ForeignKey { user: String, id: String },
    #[error(
        "user {user} carries {count} tags and a new access key adds {}{}; IAM allows {}: remove some of its tags first",
        super::tags::PER_KEY,
        if *.adopting { " (and adopting it two more)" } else { "" },
        super::tags::IAM_TAG_LIMIT
    )]
    TooManyTags { user: String, count: usize, adopting: bool },
    #[error("{id} is still active: deactivate it first and check nothing breaks, then delete it")]
    StillActive { id: String },
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error(transparent)]
    Refused(#[from] ApplyError),
    #[error(transparent)]
    Invalid(#[from] crate::setup::InvalidValue),
    #[error("IAM answered the user with an ARN this tool cannot read: {0}")]
    OddArn(String),
    /// The executor ran the plan and it did not complete: rolled back, and the account read back.
    #[error("{}", not_done(.error, .remains, .unverified.as_deref()))]
    NotDone { error: Box<StepError>, remains: Vec<String>, unverified: Option<Box<StepError>> },
}

/// A key command that did not complete, in words that say what exists now.
fn not_done(error: &StepError, remains: &[String], unverified: Option<&StepError>) -> String {
    match (unverified, remains) {
        (Some(e), _) => format!("{error}; the account could not be read afterwards ({e}): check the user's keys"),
        (None, []) => format!("{error}; nothing it wrote remains (verified)"),
        (None, left) => format!("{error}; still there (verified): {}", left.join(", ")),
    }
}

/// A rotation's result: the new key (its secret shown once) and the keys it replaces.
#[derive(Debug)]
pub struct Rotation {
    pub key: NewAccessKey,
    pub old: Vec<AccessKeyInfo>,
    pub deleted_first: Option<String>,
    /// What `adopt` took over (tagged as ours): the user, a key.
    pub adopted: Vec<String>,
}

/// Whether the key commands may act on what this tool did not create.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Adopt {
    /// Refuse (before any write) a user or key not tagged as ours.
    #[default]
    No,
    /// Take it over: tag it as ours, as `apply --adopt` does.
    Yes,
}

/// The user, checked to be ours (or adopted): `NoUser`, `OwnedElsewhere` or `NotOurs` before any write.
async fn our_user(iam: &Iam, user: &str, adopt: Adopt) -> Result<UserState, RotateError> {
    let Some(state) = iam.get_user(user).await? else { return Err(RotateError::NoUser(user.into())) };
    if let Some(owner) = &state.owner {
        return Err(RotateError::OwnedElsewhere { user: user.into(), owner: owner.clone() });
    }
    if !state.managed_by_us && adopt == Adopt::No {
        return Err(RotateError::NotOurs { user: user.into() });
    }
    Ok(state)
}

/// The key, checked to be the user's and ours (or adopted).
fn our_key<'a>(state: &'a UserState, user: &str, id: &str, adopt: Adopt) -> Result<&'a AccessKeyInfo, RotateError> {
    let Some(k) = state.access_keys.iter().find(|k| k.id == id) else {
        return Err(RotateError::UnknownKey { user: user.into(), id: id.into() });
    };
    if !state.our_keys.contains(&k.id) && adopt == Adopt::No {
        return Err(RotateError::ForeignKey { user: user.into(), id: id.into() });
    }
    Ok(k)
}

/// The user's keys, or `NoUser` (one ListAccessKeys: it answers NoSuchEntity for a missing user).
pub async fn keys(iam: &Iam, user: &str) -> Result<Vec<AccessKeyInfo>, RotateError> {
    match iam.access_keys(user).await {
        Err(e) if e.is_no_such_entity() => Err(RotateError::NoUser(user.into())),
        other => Ok(other?),
    }
}

/// Delete every key of `user` that is not in `before` (keys made by calls whose answer never came: their
/// secret is held by no one). Returns the ids deleted; a missing user has no keys.
pub async fn delete_unseen(iam: &Iam, user: &str, before: &[String]) -> Result<Vec<String>, StepError> {
    let now = match iam.access_keys(user).await {
        Err(e) if e.is_no_such_entity() => return Ok(vec![]),
        other => other?,
    };
    let mut deleted = Vec::new();
    for k in now.into_iter().filter(|k| !before.contains(&k.id)) {
        delete_key(iam, user, &k.id).await?;
        deleted.push(k.id);
    }
    Ok(deleted)
}

/// Delete a key, list the user's keys to verify it is gone, and only then remove its two tags (description and
/// marker): a tag of a key that is gone is a leftover, and a key that stays keeps its marker. A lost answer
/// counts as done once the key is no longer listed; a `NoSuchEntity` (IAM's lag) only then too.
async fn delete_key(iam: &Iam, user: &str, id: &str) -> Result<(), StepError> {
    let deleted = iam.delete_access_key(user, id).await;
    verify_gone(iam, user, |k| k == id).await.map_err(|still| match deleted {
        Err(e) if !e.is_no_such_entity() => StepError::Aws(e),
        _ => still,
    })?;
    let untagged = gone_is_fine(iam.untag_access_key(user, id).await);
    // Whatever the untag answered (it may have happened, its answer lost), the user's tags as read decide.
    tags_gone(iam, user, id).await.map_err(|left| match untagged {
        Err(e) => StepError::TagsLeft { user: user.into(), id: id.into(), cause: e.to_string() },
        Ok(()) => left,
    })
}

/// Read the user: no tag of key `id` may remain (an untag answered `NoSuchEntity` is not believed).
async fn tags_gone(iam: &Iam, user: &str, id: &str) -> Result<(), StepError> {
    let Some(now) = iam.get_user(user).await? else { return Ok(()) };
    let left: Vec<&str> = now.tag_keys.iter().filter(|t| names_key(t, id)).map(String::as_str).collect();
    match left.is_empty() {
        true => Ok(()),
        false => Err(StepError::TagsLeft {
            user: user.into(),
            id: id.into(),
            cause: format!("{} answered as removed, yet still there", left.join(", ")),
        }),
    }
}

/// Whether a user's tag key belongs to access key `id` (its description, keyed by the id, or our marker).
fn names_key(tag: &str, id: &str) -> bool {
    tag == id || tag.strip_suffix(id).is_some_and(|p| p.ends_with(':'))
}

/// Delete a new key whose secret was not delivered, verified gone by listing the user's keys.
pub async fn delete_undelivered(iam: &Iam, user: &str, id: &str) -> Result<(), StepError> {
    delete_key(iam, user, id).await
}

/// List the user's keys: none that `deleted` names may remain (a missing user has none).
async fn verify_gone(iam: &Iam, user: &str, deleted: impl Fn(&str) -> bool) -> Result<(), StepError> {
    let keys = match iam.access_keys(user).await {
        Err(e) if e.is_no_such_entity() => return Ok(()),
        other => other?,
    };
    match keys.iter().find(|k| deleted(&k.id)) {
        Some(k) => Err(StepError::StillListed { user: user.into(), id: k.id.clone() }),
        None => Ok(()),
    }
}

/// How often CreateAccessKey is tried; each retry comes only after the keys made by a failed try are deleted.
const KEY_ATTEMPTS: u32 = 3;

/// Whether a failed CreateAccessKey may pass when tried again: throttling, no answer, a server error, or IAM
/// not yet seeing a user this run created a moment ago.
fn worth_another_try(e: &AwsError) -> bool {
    matches!(e, AwsError::Throttled { .. })
        || e.is_unreachable()
        || lag::not_visible_yet(e)
        || matches!(e.code(), Some("InternalFailure" | "ServiceFailure" | "ServiceUnavailable"))
}

/// CreateAccessKey, never retried blindly: after any failure the user's keys are listed and every key that
/// was not there before (`before`) is deleted, since its secret never reached us; only then is the call tried
/// again (for failures that may pass, [`worth_another_try`]), at most [`KEY_ATTEMPTS`] times within `lag`'s
/// bound. So one run never holds two live keys, and a second CreateAccessKey comes only after the first key
/// is proven absent or deleted. The new key is described and marked as ours (waiting out IAM's lag); if that
/// fails, it is deleted too.
pub async fn create_reconciled(
    iam: &Iam,
    user: &str,
    before: &[String],
    run: &str,
    lag: Lag<'_>,
) -> Result<(NewAccessKey, Option<StepError>), StepError> {
    let mut backoff = Backoff::new(lag.limit);
    let key = loop {
        match iam.create_access_key(user).await {
            Ok(key) => break key,
            Err(e) => {
                if matches!(e, AwsError::TimedOut { .. }) {
                    // Given up on, not refused: the request may still be carried out. Give it as long again to
                    // land, so the listing below sees (and deletes) a key it makes late.
                    tokio::time::sleep(iam.unanswered_grace()).await;
                }
                delete_unseen(iam, user, before).await?;
                let delay = if worth_another_try(&e) && backoff.attempt < KEY_ATTEMPTS { backoff.next() } else { None };
                let Some(delay) = delay else { return Err(e.into()) };
                tokio::time::sleep(delay).await;
            }
        }
    };
    let described = lag::retry(lag, lag::not_visible_yet, || {
        iam.describe_access_key(user, &key.access_key_id, KEY_DESCRIPTION, run)
    })
    .await;
    if let Err(e) = described {
        if matches!(e, AwsError::TimedOut { .. }) {
            // A tagging given up on may still be carried out: let it land before the key's tags are removed,
            // or it would put them back on a user whose key is gone.
            tokio::time::sleep(iam.unanswered_grace()).await;
        }
        // A key nobody will see is no use: delete it rather than leave an orphan. When it cannot be deleted
        // either, it is handed back with the failure, so its secret is shown rather than lost.
        let mut keep = before.to_vec();
        keep.retain(|k| *k != key.access_key_id);
        if delete_unseen(iam, user, &keep).await.is_err() {
            return Ok((key, Some(e.into())));
        }
        drop(key);
        return Err(e.into());
    }
    Ok((key, None))
}

/// What a key command asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyOp {
    /// A new key; at AWS's two keys `delete_first` names the one to delete before, and `deactivate_old`
    /// deactivates the other keys once the new one exists.
    Rotate { delete_first: Option<String>, deactivate_old: bool },
    /// Deactivate an old key, or delete one that is already inactive.
    Retire { id: String, delete: bool },
}

/// A key command: whose keys, what to do, and whether to take over what this tool did not create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRequest {
    pub user: String,
    pub op: KeyOp,
    pub adopt: Adopt,
}

/// The setup whose user has the access key.
static POSTMAN: [&SetupDef; 1] = [&postman::SETUP];

/// The parameters a key plan carries: the Postman setup with `user` as its user, in the user's account (read
/// from its ARN: a key command knows no setup, only a user).
fn key_params(user: &IamName, state: &UserState, region: &Region) -> Result<Params, RotateError> {
    let account = state.arn.split(':').nth(4).unwrap_or_default();
    let account = AccountId::parse("the user's ARN", account).map_err(|e| RotateError::OddArn(e.to_string()))?;
    let mut params = Params::new(Selection::of(postman::SETUP.id, &POSTMAN), account, region.clone());
    params.names.set(&postman::USER, user.clone());
    Ok(params)
}

/// The tag count a rotation leaves on the user: the deleted key's two tags go, the new key's two come, an
/// adopt adds ours. Refused before any write past IAM's limit.
fn check_tag_room(
    user: &str,
    state: &UserState,
    delete_first: Option<&str>,
    adopting: bool,
) -> Result<(), RotateError> {
    let freed = match delete_first {
        Some(id) if state.our_keys.iter().any(|k| k == id) => super::tags::PER_KEY,
        _ => 0,
    };
    let count = state.tag_keys.len() - freed.min(state.tag_keys.len());
    if count + super::tags::PER_KEY + if adopting { 2 } else { 0 } > super::tags::IAM_TAG_LIMIT {
        return Err(RotateError::TooManyTags { user: user.into(), count: state.tag_keys.len(), adopting });
    }
    Ok(())
}

/// Builds a key plan's steps, each after the ones it needs.
struct KeySteps {
    state: UserState,
    steps: Vec<Step>,
}

impl KeySteps {
    fn push(&mut self, kind: StepKind, action: Action, reason: String, deps: Vec<usize>) -> usize {
        let prior = match kind {
            StepKind::AccessKey(_) => Prior::Absent,
            _ => Prior::User(self.state.clone()),
        };
        self.steps.push(Step { kind, action, reason, deps, prior });
        self.steps.len() - 1
    }

    /// The user's step: an adopt (tagged as ours) or nothing. It always carries the user as read, so the key
    /// step knows which keys were there before it.
    /// (A user not ours reaches here only when adopted: [`our_user`] refused it otherwise.)
    fn user(&mut self) -> usize {
        let (action, reason) = match self.state.managed_by_us {
            true => (Action::Unchanged, "created by pinpoint-iam-wizard".to_string()),
            false => (Action::Conflict, "adopted (--adopt): tagged as pinpoint-iam-wizard's".to_string()),
        };
        self.push(StepKind::User(0), action, reason, vec![])
    }

    /// A step on key `id` of the user as read (checked to be there before any step is built).
    fn old_key(&mut self, id: &str, action: Action, reason: &str, deps: Vec<usize>) -> Option<usize> {
        let key = self.state.access_keys.iter().position(|k| k.id == id)?;
        Some(self.push(StepKind::OldKey { user: 0, key }, action, reason.to_string(), deps))
    }

    fn rotate(&mut self, delete_first: Option<&str>, deactivate_old: bool) {
        let user = self.user();
        let mut deps = vec![user];
        if let Some(id) = delete_first {
            deps.extend(self.old_key(id, Action::Delete, "deleted first: AWS allows two keys", vec![user]));
        }
        let key = self.push(StepKind::AccessKey(0), Action::Create, "a new key; its secret is shown once".into(), deps);
        if deactivate_old {
            let others: Vec<String> = self
                .state
                .access_keys
                .iter()
                .filter(|k| k.active && Some(k.id.as_str()) != delete_first)
                .map(|k| k.id.clone())
                .collect();
            for id in others {
                self.old_key(&id, Action::Update, "deactivated once the new key exists (--deactivate-old)", vec![key]);
            }
        }
    }

    fn retire(&mut self, id: &str, delete: bool, active: bool) {
        let user = self.user();
        let mut deps = vec![user];
        if !delete && !self.state.our_keys.iter().any(|k| k == id) {
            deps.extend(self.old_key(
                id,
                Action::Conflict,
                "adopted (--adopt): marked as pinpoint-iam-wizard's",
                vec![user],
            ));
        }
        let (action, reason) = match (delete, active) {
            (true, _) => (Action::Delete, "deleted"),
            (false, true) => (Action::Update, "deactivated"),
            (false, false) => (Action::Unchanged, "already inactive"),
        };
        self.old_key(id, action, reason, deps);
    }
}

/// Read the user and plan a key command: every refusal (not ours, unknown key, two keys, tags, an active
/// key to delete) comes here, before any write.
pub async fn plan_keys(iam: &Iam, region: &Region, req: &KeyRequest) -> Result<Plan, RotateError> {
    let user = req.user.as_str();
    let name = IamName::parse("--user", IamKind::User, user)?;
    let state = our_user(iam, user, req.adopt).await?;
    let adopting = !state.managed_by_us;
    let mut build = KeySteps { state: state.clone(), steps: vec![] };
    match &req.op {
        KeyOp::Rotate { delete_first, deactivate_old } => {
            match delete_first {
                Some(id) => {
                    our_key(&state, user, id, req.adopt)?;
                }
                None if state.access_keys.len() >= 2 => {
                    return Err(RotateError::Full { user: user.into(), keys: state.access_keys.clone() });
                }
                None => {}
            }
            check_tag_room(user, &state, delete_first.as_deref(), adopting)?;
            build.rotate(delete_first.as_deref(), *deactivate_old);
        }
        KeyOp::Retire { id, delete } => {
            let k = our_key(&state, user, id, req.adopt)?;
            if *delete && k.active {
                return Err(RotateError::StillActive { id: id.clone() });
            }
            let active = k.active;
            build.retire(id, *delete, active);
        }
    }
    let params = key_params(&name, &state, region)?;
    let spec = UserSpec {
        arn: state.arn.clone(),
        name,
        field: &postman::USER,
        policies: vec![],
        access_key: true,
        path: Default::default(),
        boundary: None,
    };
    let desired = Desired { users: vec![spec], ..Desired::default() };
    Ok(Plan { params, desired, steps: build.steps, checked: true, mode: Mode::Keys, blockers: vec![] })
}

/// Run one step on a key the user already has: delete it, deactivate it, or adopt it (mark it as ours).
pub(super) async fn run_old_key(iam: &Iam, plan: &Plan, i: usize, opts: &ApplyOptions) -> Result<Done, StepError> {
    let invalid = || StepError::InvalidPlan { step: plan.label(i).to_string() };
    let (StepKind::OldKey { user, .. }, Some(key)) = (plan.steps[i].kind, plan.old_key(i)) else {
        return Err(invalid());
    };
    let (user, id) = (plan.desired.users[user].name.to_string(), key.id.clone());
    match plan.steps[i].action {
        Action::Delete => {
            // Verified gone by listing, then its description and marker go (they count against the user's
            // fifty tags; a key that stays keeps its marker).
            delete_key(iam, &user, &id).await?;
            Ok(Done { status: Status::Deleted, undo: vec![], key: None, failed: None })
        }
        Action::Update => {
            iam.set_access_key_active(&user, &id, false).await?;
            Ok(Done { status: Status::Updated, undo: vec![Undo::ReactivateKey { user, id }], key: None, failed: None })
        }
        Action::Conflict => {
            iam.mark_access_key(&user, &id, opts.run_id.as_deref().unwrap_or_default()).await?;
            Ok(Done { status: Status::Updated, undo: vec![Undo::UnmarkKey { user, id }], key: None, failed: None })
        }
        _ => Err(invalid()),
    }
}

/// What a write of a key step may have done when its answer never came.
pub(super) fn possible_key_writes(plan: &Plan, i: usize) -> Vec<Undo> {
    let (Some(key), StepKind::OldKey { user, .. }) = (plan.old_key(i), plan.steps[i].kind) else { return vec![] };
    let (user, id) = (plan.desired.users[user].name.to_string(), key.id.clone());
    match plan.steps[i].action {
        Action::Update => vec![Undo::ReactivateKey { user, id }],
        Action::Conflict => vec![Undo::UnmarkKey { user, id }],
        _ => vec![],
    }
}

/// Whether what key step `i` wrote is there in the user as read now (`None`: the user is gone).
fn key_write_remains(plan: &Plan, i: usize, now: Option<&UserState>) -> bool {
    let Some(now) = now else { return false };
    let listed = |id: &str| now.access_keys.iter().find(|k| k.id == id);
    match (plan.steps[i].kind, plan.old_key(i)) {
        (StepKind::User(_), _) => now.managed_by_us,
        (StepKind::AccessKey(u), _) => {
            let before = super::rollback::keys_before(plan, u);
            now.access_keys.iter().any(|k| !before.contains(&k.id))
        }
        (StepKind::OldKey { .. }, Some(k)) => match plan.steps[i].action {
            // A delete "remains" when the key is gone: it cannot be undone.
            Action::Delete => listed(&k.id).is_none(),
            Action::Update => listed(&k.id).is_some_and(|k| !k.active),
            _ => now.our_keys.contains(&k.id),
        },
        _ => false,
    }
}

/// Whether a tag of the key step `i` acts on is still on the user as read now.
fn key_tags_stay(plan: &Plan, i: usize, now: Option<&UserState>) -> bool {
    let (Some(now), Some(k)) = (now, plan.old_key(i)) else { return false };
    now.tag_keys.iter().any(|t| names_key(t, &k.id))
}

/// Read the user again after a key plan stopped early, and set each written step's status to what is true
/// now, as [`super::verify`] does for apply: `RolledBack` only where verified undone, `Left` where it remains,
/// `Deleted` only where the key is verified gone.
pub(super) async fn verify_keys(
    iam: &Iam,
    plan: &Plan,
    statuses: &mut [Status],
    events: &UnboundedSender<Event>,
) -> Result<(), StepError> {
    let touched = |st: Status| {
        matches!(st, Status::Created | Status::Updated | Status::RolledBack | Status::Failed | Status::Deleted)
    };
    let now = match iam.get_user(plan.desired.users[0].name.as_str()).await {
        Ok(now) => now,
        Err(e) => {
            for st in statuses.iter_mut().filter(|s| touched(**s)) {
                *st = Status::Unknown;
            }
            return Err(e.into());
        }
    };
    for (i, status) in statuses.iter_mut().enumerate() {
        let st = *status;
        if !touched(st) {
            continue;
        }
        let remains = key_write_remains(plan, i, now.as_ref());
        let deletes = plan.steps[i].action == Action::Delete;
        let verified = match (st, remains) {
            // Gone, but its tags stay: a leftover of the key, reported as such.
            (_, true) if deletes && key_tags_stay(plan, i, now.as_ref()) => Status::Left,
            (_, true) if deletes => Status::Deleted,
            (Status::Deleted, false) => Status::Left,
            (other, false) if deletes => other,
            (Status::Failed, false) => Status::Failed,
            (Status::Created | Status::Updated, true) => st,
            (_, true) => Status::Left,
            (_, false) => Status::RolledBack,
        };
        if verified != st {
            *status = verified;
            let _ = events.send(Event::Finished { step: i, status: verified });
        }
    }
    Ok(())
}

/// What a key plan adopts, in the report's words: the user, a key it marks, a key it deletes.
pub fn adopted(plan: &Plan) -> Vec<String> {
    let mut out = Vec::new();
    for (i, step) in plan.steps.iter().enumerate() {
        let ours = |id: &str| matches!(&step.prior, Prior::User(s) if s.our_keys.iter().any(|k| k == id));
        match (step.kind, step.action, plan.old_key(i)) {
            (StepKind::User(_), Action::Conflict, _) => out.push(format!("user {}", plan.label(i).name)),
            (StepKind::OldKey { .. }, Action::Conflict, Some(k)) => out.push(format!("access key {}", k.id)),
            (StepKind::OldKey { .. }, Action::Delete, Some(k)) if !ours(&k.id) => {
                out.push(format!("access key {} (deleted)", k.id))
            }
            _ => {}
        }
    }
    out
}

/// The ids of the old keys the plan's steps of `action` acted on with `status`.
pub fn old_keys_with(plan: &Plan, statuses: &[Status], action: Action, status: Status) -> Vec<String> {
    (0..plan.steps.len())
        .filter(|i| plan.steps[*i].action == action && statuses[*i] == status)
        .filter_map(|i| plan.old_key(i).map(|k| k.id.clone()))
        .collect()
}

/// A key plan that did not complete, as the error the wizard shows: what failed, and what exists now.
fn not_completed(plan: &Plan, report: &ApplyReport) -> RotateError {
    let error = match &report.failure {
        Some((_, e)) => e.clone(),
        None => StepError::Aborted { step: "the key command".into(), reason: "interrupted".into() },
    };
    let remains = (0..plan.steps.len())
        .filter(|i| matches!(report.statuses[*i], Status::Left | Status::Created | Status::Updated))
        .map(|i| plan.label(i).to_string())
        .collect();
    RotateError::NotDone { error: Box::new(error), remains, unverified: report.verify_error.clone() }
}

/// Plan and run a key command through the executor, with no one watching its progress (the wizard): the
/// same plan and executor as the headless commands, so the same refusals, rollback and verification. Once
/// `cancel` fires (a signal, or a forced quit), no new step starts, and what this run made is rolled back.
async fn run_quietly(
    iam: &Iam,
    region: &Region,
    req: &KeyRequest,
    cancel: CancellationToken,
) -> Result<(Arc<Plan>, ApplyReport), RotateError> {
    let plan = Arc::new(plan_keys(iam, region, req).await?);
    let opts = ApplyOptions { adopt: req.adopt == Adopt::Yes, cancel: Some(cancel), ..ApplyOptions::default() };
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let report = super::execute(iam, plan.clone(), opts, tx).await?;
    if !report.succeeded() {
        return Err(not_completed(&plan, &report));
    }
    Ok((plan, report))
}

/// Create a new key for `user`; with two keys already, `delete_first` names the one to delete before. The user
/// (and the key to delete) must be ours unless adopted; everything is checked before the first write.
pub async fn rotate(
    iam: &Iam,
    region: &Region,
    user: &str,
    delete_first: Option<&str>,
    adopt: Adopt,
    cancel: CancellationToken,
) -> Result<Rotation, RotateError> {
    let op = KeyOp::Rotate { delete_first: delete_first.map(str::to_string), deactivate_old: false };
    let (plan, mut report) = run_quietly(iam, region, &KeyRequest { user: user.into(), op, adopt }, cancel).await?;
    rotation(&plan, &mut report)
}

/// What a completed rotation made and replaced.
pub fn rotation(plan: &Plan, report: &mut ApplyReport) -> Result<Rotation, RotateError> {
    let Some(key) = report.access_key.take() else {
        return Err(RotateError::NotDone {
            error: Box::new(StepError::InvalidPlan { step: "the rotation".into() }),
            remains: vec![],
            unverified: None,
        });
    };
    let deleted = old_keys_with(plan, &report.statuses, Action::Delete, Status::Deleted);
    let old = match plan.steps.first().map(|s| &s.prior) {
        Some(Prior::User(state)) => state.access_keys.iter().filter(|k| !deleted.contains(&k.id)).cloned().collect(),
        _ => vec![],
    };
    Ok(Rotation { key, old, deleted_first: deleted.into_iter().next(), adopted: adopted(plan) })
}

/// Deactivate an old key, or delete one that is already inactive. The user and the key must be ours unless
/// adopted; returns what was adopted.
pub async fn retire(
    iam: &Iam,
    region: &Region,
    user: &str,
    id: &str,
    delete: bool,
    adopt: Adopt,
    cancel: CancellationToken,
) -> Result<Vec<String>, RotateError> {
    let op = KeyOp::Retire { id: id.into(), delete };
    let (plan, _) = run_quietly(iam, region, &KeyRequest { user: user.into(), op, adopt }, cancel).await?;
    Ok(adopted(&plan))
}
