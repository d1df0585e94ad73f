//! Access key rotation (the secret was lost): a new key shown once, then the old one deactivated and later
//! deleted; keys are described the way the console does it.

use super::KEY_DESCRIPTION;
use super::lag::{self, Backoff, Lag};
use crate::aws::AwsError;
use crate::aws::iam::{AccessKeyInfo, Iam};
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

/// Create a new key for `user`; with two keys already, `delete_first` names the one to delete before.
pub async fn rotate(iam: &Iam, user: &str, delete_first: Option<&str>) -> Result<Rotation, RotateError> {
    let mut old = keys(iam, user).await?;
    if let Some(id) = delete_first {
        if !old.iter().any(|k| k.id == id) {
            return Err(RotateError::UnknownKey { user: user.into(), id: id.into() });
        }
    } else if old.len() >= 2 {
        return Err(RotateError::Full { user: user.into(), keys: old });
    }
    if let Some(id) = delete_first {
        iam.delete_access_key(user, id).await?;
        let _ = iam.untag_access_key(user, id).await;
        old.retain(|k| k.id != id);
    }
    let before: Vec<String> = old.iter().map(|k| k.id.clone()).collect();
    let key = create_reconciled(iam, user, &before, &crate::engine::new_run_id(), Lag::quiet()).await?;
    Ok(Rotation { key, old, deleted_first: delete_first.map(str::to_string) })
}

/// Deactivate an old key, or delete one that is already inactive.
pub async fn retire(iam: &Iam, user: &str, id: &str, delete: bool) -> Result<(), RotateError> {
    let current = keys(iam, user).await?;
    let Some(k) = current.iter().find(|k| k.id == id) else {
        return Err(RotateError::UnknownKey { user: user.into(), id: id.into() });
    };
    if !delete {
        iam.set_access_key_active(user, id, false).await?;
    } else if k.active {
        return Err(RotateError::StillActive { id: id.into() });
    } else {
        iam.delete_access_key(user, id).await?;
        let _ = iam.untag_access_key(user, id).await;
    }
    Ok(())
}
