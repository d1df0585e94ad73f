//! `--path` and `--permissions-boundary`: the organisation's guardrails on what the tool creates.

use crate::setup::{BoundaryArn, IamPath, Params};
use clap::Args;

/// The guardrails' options, shared by plan, apply, destroy, rotate-key and export.
#[derive(Debug, Args, Clone, Default)]
#[command(next_help_heading = "Guardrails")]
pub struct GuardArgs {
    /// The IAM path of every policy, role and user created, e.g. /teams/messaging/ (IAM's rules: begins and
    /// ends with /, printable ASCII, at most 512 characters). destroy and rotate-key find them under it.
    #[arg(long, value_name = "PATH", value_parser = |s: &str| IamPath::parse("--path", s))]
    pub path: Option<IamPath>,
    /// The permissions boundary of every role and user created: an IAM managed policy's ARN of the account's
    /// partition, AWS-managed or this account's.
    #[arg(long, value_name = "ARN", value_parser = |s: &str| BoundaryArn::parse("--permissions-boundary", s))]
    pub permissions_boundary: Option<BoundaryArn>,
}

impl GuardArgs {
    /// Put the guardrails on `params`.
    pub fn apply_to(&self, params: &mut Params) {
        params.path = self.path.clone().unwrap_or_default();
        params.boundary = self.permissions_boundary.clone();
    }
}
