//! `--path` and `--permissions-boundary`: the organisation's guardrails on what the tool creates.

use crate::setup::{BoundaryArn, IamPath, Params};
use clap::{Args, ValueHint};

/// The guardrails' options, shared by plan, apply, destroy, rotate-key and export.
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "Guardrails")]
pub struct GuardArgs {
    /// The IAM path of every policy, role and user created, e.g. /teams/messaging/ (IAM's rules: begins and
    /// ends with /, printable ASCII, at most 512 characters). destroy and rotate-key find them under it.
    #[arg(long, value_hint = ValueHint::Other, value_name = "PATH", value_parser = |s: &str| IamPath::parse("--path", s))]
    pub path: Option<IamPath>,
    /// The permissions boundary of every role and user created: an IAM managed policy's ARN of the account's
    /// partition, AWS-managed or this account's.
    #[arg(long, value_hint = ValueHint::Other, value_name = "ARN", value_parser = |s: &str| BoundaryArn::parse("--permissions-boundary", s))]
    pub permissions_boundary: Option<BoundaryArn>,
}

impl GuardArgs {
    /// Put the guardrails on `params`.
    pub fn apply_to(&self, params: &mut Params) {
        params.path = self.path.clone().unwrap_or_default();
        params.boundary = self.permissions_boundary.clone();
    }
}

/// rotate-key: refuse, before any write, a user that is not where the guardrails say (its path or its boundary
/// differs): a key would be made for a user outside them. Nothing to check when neither is given.
pub async fn check_user(iam: &crate::aws::iam::Iam, user: &str, guard: &GuardArgs) -> Result<(), super::CliError> {
    if guard.path.is_none() && guard.permissions_boundary.is_none() {
        return Ok(());
    }
    // A user that does not exist is the key plan's to report.
    let Some(found) = iam.get_user(user).await? else { return Ok(()) };
    let mut wrong = Vec::new();
    if let Some(path) = &guard.path
        && found.path != path.as_str()
    {
        wrong.push(format!("its path is {}, not --path {path}", found.path));
    }
    if let Some(b) = &guard.permissions_boundary
        && found.permissions_boundary.as_deref() != Some(b.as_str())
    {
        let has = found.permissions_boundary.as_deref().unwrap_or("none");
        wrong.push(format!("its permissions boundary is {has}, not --permissions-boundary {b}"));
    }
    if wrong.is_empty() {
        return Ok(());
    }
    Err(super::CliError::Usage(format!(
        "user {user} is not where the guardrails say: {}; run apply with these options first (nothing was written)",
        wrong.join("; ")
    )))
}
