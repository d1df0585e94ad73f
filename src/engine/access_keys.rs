//! Access key rotation (the secret was lost): a new key shown once, then the old one deactivated and later
//! deleted; keys are described the way the console does it.

use super::KEY_DESCRIPTION;
use super::lag::{self, Backoff, Lag};
use crate::aws::AwsError;
use crate::aws::iam::{AccessKeyInfo, Iam, UserState};
use crate::secret::NewAccessKey;

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

/// Tag as ours what an adopt takes over (the user, and a key that stays); returns what was adopted.
async fn take_over(
    iam: &Iam,
    user: &str,
    state: &UserState,
    key: Option<&str>,
    run: &str,
) -> Result<Vec<String>, AwsError> {
    let mut adopted = Vec::new();
    if !state.managed_by_us {
        iam.tag_user(user, &[], run).await?;
        adopted.push(format!("user {user}"));
    }
    if let Some(id) = key.filter(|id| !state.our_keys.iter().any(|k| k == id)) {
        iam.mark_access_key(user, id, run).await?;
        adopted.push(format!("access key {id}"));
    }
    Ok(adopted)
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
pub async fn delete_unseen(iam: &Iam, user: &str, before: &[String]) -> Result<Vec<String>, AwsError> {
    let now = match iam.access_keys(user).await {
        Err(e) if e.is_no_such_entity() => return Ok(vec![]),
        other => other?,
    };
    let mut deleted = Vec::new();
    for k in now.into_iter().filter(|k| !before.contains(&k.id)) {
        match iam.delete_access_key(user, &k.id).await {
            Err(e) if !e.is_no_such_entity() => return Err(e),
            _ => {}
        }
        let _ = iam.untag_access_key(user, &k.id).await;
        deleted.push(k.id);
    }
    Ok(deleted)
}

/// Delete a new key whose secret was not delivered, then list the user's keys to verify it is gone.
pub async fn delete_undelivered(iam: &Iam, user: &str, id: &str) -> Result<(), AwsError> {
    match iam.delete_access_key(user, id).await {
        Err(e) if !e.is_no_such_entity() => return Err(e),
        _ => {}
    }
    let _ = iam.untag_access_key(user, id).await;
    verify_gone(iam, user, |k| k == id).await
}

/// Delete every key of `user` but `keep` (this run's keys, whose secret was not delivered, including one a
/// request given up on made late), then list the keys to verify only `keep` remain.
pub async fn delete_all_but(iam: &Iam, user: &str, keep: &[String]) -> Result<(), AwsError> {
    delete_unseen(iam, user, keep).await?;
    verify_gone(iam, user, |k| !keep.iter().any(|kept| kept == k)).await
}

/// List the user's keys: none that `deleted` names may remain (a missing user has none).
async fn verify_gone(iam: &Iam, user: &str, deleted: impl Fn(&str) -> bool) -> Result<(), AwsError> {
    let keys = match iam.access_keys(user).await {
        Err(e) if e.is_no_such_entity() => return Ok(()),
        other => other?,
    };
    match keys.iter().find(|k| deleted(&k.id)) {
        Some(k) => Err(AwsError::Service {
            action: "iam:ListAccessKeys".into(),
            resource: user.into(),
            code: "StillThere".into(),
            message: format!("access key {} is still listed after it was deleted", k.id),
            request_id: None,
        }),
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
) -> Result<NewAccessKey, AwsError> {
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
                let Some(delay) = delay else { return Err(e) };
                tokio::time::sleep(delay).await;
            }
        }
    };
    let described = lag::retry(lag, lag::not_visible_yet, || {
        iam.describe_access_key(user, &key.access_key_id, KEY_DESCRIPTION, run)
    })
    .await;
    if let Err(e) = described {
        // A key nobody will see is no use: delete it rather than leave an orphan.
        let mut keep = before.to_vec();
        keep.retain(|k| *k != key.access_key_id);
        drop(key);
        delete_unseen(iam, user, &keep).await?;
        return Err(e);
    }
    Ok(key)
}

/// Create a new key for `user`; with two keys already, `delete_first` names the one to delete before. The user
/// (and the key to delete) must be ours unless adopted; everything is checked before the first write.
pub async fn rotate(iam: &Iam, user: &str, delete_first: Option<&str>, adopt: Adopt) -> Result<Rotation, RotateError> {
    let state = our_user(iam, user, adopt).await?;
    let mut old = state.access_keys.clone();
    if let Some(id) = delete_first {
        our_key(&state, user, id, adopt)?;
    } else if old.len() >= 2 {
        return Err(RotateError::Full { user: user.into(), keys: old });
    }
    let adopting = adopt == Adopt::Yes && !state.managed_by_us;
    // The deleted key's two tags go with it; the new key's two come; an adopt adds ours.
    let freed = match delete_first {
        Some(id) if state.our_keys.iter().any(|k| k == id) => super::tags::PER_KEY,
        _ => 0,
    };
    let count = state.tag_keys.len() - freed.min(state.tag_keys.len());
    if count + super::tags::PER_KEY + if adopting { 2 } else { 0 } > super::tags::IAM_TAG_LIMIT {
        return Err(RotateError::TooManyTags { user: user.into(), count: state.tag_keys.len(), adopting });
    }
    let run = crate::engine::new_run_id();
    let mut adopted = match adopt {
        Adopt::Yes => take_over(iam, user, &state, None, &run).await?,
        Adopt::No => vec![],
    };
    if let Some(id) = delete_first.filter(|id| !state.our_keys.iter().any(|k| k == id)) {
        adopted.push(format!("access key {id} (deleted)"));
    }
    if let Some(id) = delete_first {
        iam.delete_access_key(user, id).await?;
        let _ = iam.untag_access_key(user, id).await;
        old.retain(|k| k.id != id);
    }
    let before: Vec<String> = old.iter().map(|k| k.id.clone()).collect();
    let key = create_reconciled(iam, user, &before, &run, Lag::quiet()).await?;
    Ok(Rotation { key, old, deleted_first: delete_first.map(str::to_string), adopted })
}

/// Deactivate an old key, or delete one that is already inactive. The user and the key must be ours unless
/// adopted; returns what was adopted.
pub async fn retire(iam: &Iam, user: &str, id: &str, delete: bool, adopt: Adopt) -> Result<Vec<String>, RotateError> {
    let state = our_user(iam, user, adopt).await?;
    let k = our_key(&state, user, id, adopt)?;
    if delete && k.active {
        return Err(RotateError::StillActive { id: id.into() });
    }
    let adopted = match adopt {
        Adopt::Yes => take_over(iam, user, &state, (!delete).then_some(id), &crate::engine::new_run_id()).await?,
        Adopt::No => vec![],
    };
    if !delete {
        iam.set_access_key_active(user, id, false).await?;
    } else {
        iam.delete_access_key(user, id).await?;
        let _ = iam.untag_access_key(user, id).await;
    }
    Ok(adopted)
}
