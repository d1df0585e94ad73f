//! The engine: every write of every command is a plan of steps run by one executor ([`execute`]), which
//! schedules each step as soon as what it needs is done, reports progress as events, rolls back on failure
//! and verifies what exists afterwards. `apply` and `destroy` are two kinds of plan for the same executor.

pub mod access_keys;
mod destroy;
mod lag;
mod recheck;
mod rollback;
mod scheduler;
mod step;
pub mod tags;

pub use destroy::plan_destroy;
pub use rollback::{RollbackLog, roll_back, verify};
pub use scheduler::execute;

use crate::aws::AwsError;
use crate::plan::PlanError;
use crate::secret::NewAccessKey;
use crate::setup::{SetupError, Tag};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// The final state of a step or resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Created,
    Unchanged,
    Updated,
    Deleted,
    Failed,
    /// Undone by the rollback, and verified gone (or restored) by reading the account afterwards.
    RolledBack,
    /// Not started because an earlier step failed.
    Skipped,
    /// Something this run wrote still exists after the run (verified by reading the account).
    Left,
    /// Whether something this run wrote still exists could not be read.
    Unknown,
    /// Destroy: nothing of that name existed.
    Absent,
    /// Destroy: not this tool's, left alone.
    Kept,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Created => "created",
            Status::Unchanged => "unchanged",
            Status::Updated => "updated",
            Status::Deleted => "deleted",
            Status::Failed => "failed",
            Status::RolledBack => "rolled_back",
            Status::Skipped => "skipped",
            Status::Left => "left",
            Status::Unknown => "unknown",
            Status::Absent => "absent",
            Status::Kept => "kept",
        }
    }
}

/// Progress, in the order it happens; the TUI and the headless printer both consume these.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    Started(usize),
    /// IAM has not yet seen a resource created moments ago; the step waits and tries again.
    Retrying {
        step: usize,
        attempt: u32,
        reason: String,
    },
    Finished {
        step: usize,
        status: Status,
    },
    Failed {
        step: usize,
        error: StepError,
    },
    Skipped(usize),
    RollingBack,
    RolledBack(usize),
    RollbackFailed {
        step: usize,
        error: AwsError,
    },
    Done,
}

/// How to apply.
#[derive(Debug, Clone, Default)]
pub struct ApplyOptions {
    /// Cancelled (e.g. by Ctrl-C) to stop: no new step starts, running ones finish, and everything is rolled
    /// back.
    pub cancel: Option<CancellationToken>,
    pub adopt: bool,
    pub no_rollback: bool,
    pub tags: Vec<Tag>,
    /// How long to keep retrying an attach that fails with NoSuchEntity right after a create.
    pub consistency_wait: Option<Duration>,
    /// The id tagged on everything this run creates (a fresh one when not given).
    pub run_id: Option<String>,
}

/// A fresh run id: 16 hex digits, unique enough to tell this run's writes from any other's.
pub fn new_run_id() -> String {
    format!("{:016x}", fastrand::u64(..))
}

/// What apply did.
#[derive(Debug)]
pub struct ApplyReport {
    pub statuses: Vec<Status>,
    pub access_key: Option<NewAccessKey>,
    pub failure: Option<(usize, StepError)>,
    /// The run was interrupted (see [`ApplyOptions::cancel`]): treated like a failure.
    pub interrupted: bool,
    pub rollback_errors: Vec<(usize, AwsError)>,
    /// This run's writes that were not rolled back: [`roll_back`] undoes them on request (e.g. when the key's
    /// secret could not be delivered, or after `no_rollback`).
    pub rollback_log: RollbackLog,
    /// The reading of the account after a rollback failed: what exists is unknown.
    pub verify_error: Option<Box<StepError>>,
    pub run_id: String,
}

impl ApplyReport {
    pub fn succeeded(&self) -> bool {
        self.failure.is_none() && !self.interrupted
    }
}

/// Why a step failed, or the account could not be read back: AWS's answer, or the engine's own reason. The
/// callers decide on the variant; the words are this one `Display`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StepError {
    #[error(transparent)]
    Aws(#[from] AwsError),
    /// The step's task ended without an answer (it never panics; this keeps a report true if it ever did):
    /// what it may have written is rolled back like a lost answer.
    #[error("{step}: the step stopped without an answer ({reason})")]
    Aborted { step: String, reason: String },
    /// The plan paired a step with the state of another kind of resource (a defect of the plan, not of AWS).
    #[error("{step}: the plan pairs this step with the state of another kind of resource")]
    InvalidPlan { step: String },
    /// A key deleted a moment ago is still in the user's listing: it may still work.
    #[error("access key {id} of {user} is still listed after it was deleted")]
    StillListed { user: String, id: String },
    /// A key is gone but the tags that described and marked it are still on its user (an untag refused, or
    /// answered `NoSuchEntity` falsely): they count against the user's fifty tags and claim a key that is gone.
    #[error(
        "access key {id} of {user} is deleted, but the tags that describe and mark it are still on the user \
         ({cause}); remove them with iam:UntagUser"
    )]
    TagsLeft { user: String, id: String, cause: String },
    /// The parameters could not describe the setup again when the account was read back.
    #[error("the account could not be read back: {0}")]
    Setup(#[from] SetupError),
}

impl From<PlanError> for StepError {
    fn from(e: PlanError) -> Self {
        match e {
            PlanError::Aws(e) => StepError::Aws(e),
            PlanError::Setup(e) => StepError::Setup(e),
        }
    }
}

impl StepError {
    /// AWS's answer, when that is what it was.
    pub fn aws(&self) -> Option<&AwsError> {
        match self {
            StepError::Aws(e) => Some(e),
            _ => None,
        }
    }
}

/// Why apply did not start.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    #[error(
        "nothing was written: {} {} and {} not created by pinpoint-iam-wizard: {}",
        .0.len(), if .0.len() == 1 { "exists" } else { "exist" }, if .0.len() == 1 { "was" } else { "were" },
        .0.join(", ")
    )]
    Conflicts(Vec<String>),
    #[error(
        "nothing was written: {} belong(s) to another tool and cannot be adopted: {}. Change them through their \
         owner, or give ours other names",
        .0.len(), .0.join(", ")
    )]
    OwnedElsewhere(Vec<String>),
    #[error("the account was not read (offline plan): apply needs credentials")]
    NotChecked,
    #[error(
        "nothing was deleted: {}. Remove what is not this tool's first, or pass the --name options named",
        .0.join("; ")
    )]
    Blocked(Vec<String>),
    #[error("nothing was written: {}", .0.join("; "))]
    ForeignVersions(Vec<String>),
    /// Roles or policies under another path than the one wanted: IAM cannot move them.
    #[error("nothing was written: {}", .0.join("; "))]
    Misplaced(Vec<String>),
    #[error("nothing was written: {}", .0.join("; "))]
    TooManyTags(Vec<String>),
}

/// The description the console stores for a key made for Postman ("Application running outside AWS").
pub const KEY_DESCRIPTION: &str = "Application running outside AWS";
