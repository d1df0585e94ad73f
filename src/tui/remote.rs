//! Data that arrives later (`Remote`) and why something asked for did not happen (`Problem`): a leaf that
//! every screen and the app use, importing no screen.

use crate::aws::{AwsError, ConnectError};
use crate::engine::access_keys::RotateError;
use crate::plan::PlanError;
use crate::secret::store::SaveError;
use crate::setup::SetupError;

/// Identifies one request to the runtime; an answer carries it back.
pub type RequestId = u64;

/// Data that arrives later. An answer is taken only for the request still awaited: a late answer to an
/// older request (a plan for names since changed, projects of the previous Region) is dropped.
#[derive(Debug, Default)]
pub enum Remote<T> {
    #[default]
    Idle,
    Pending(RequestId),
    Ready(T),
    Failed(Problem),
}

impl<T> Remote<T> {
    /// Take the answer to request `id` if it is the one awaited; returns whether it was taken.
    pub fn answer(&mut self, id: RequestId, result: Result<T, Problem>) -> bool {
        if !matches!(self, Remote::Pending(p) if *p == id) {
            return false;
        }
        *self = match result {
            Ok(v) => Remote::Ready(v),
            Err(e) => Remote::Failed(e),
        };
        true
    }

    /// The answer, once there is one.
    pub fn ready(&self) -> Option<&T> {
        match self {
            Remote::Ready(v) => Some(v),
            _ => None,
        }
    }

    /// Whether an answer is awaited.
    pub fn is_pending(&self) -> bool {
        matches!(self, Remote::Pending(_))
    }
}

/// Why something the wizard asked for did not happen, typed; the screen shows [`Problem::line`] and the
/// rest behind a key.
#[derive(Debug, thiserror::Error)]
pub enum Problem {
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error(transparent)]
    Connect(#[from] ConnectError),
    #[error(transparent)]
    Plan(#[from] PlanError),
    #[error(transparent)]
    Setup(#[from] SetupError),
    #[error(transparent)]
    Rotate(#[from] RotateError),
    #[error(transparent)]
    Save(#[from] SaveError),
    #[error(transparent)]
    Apply(#[from] crate::engine::ApplyError),
    #[error(transparent)]
    Engine(#[from] crate::engine::StepError),
    #[error("not connected to AWS: the account could not be read with these credentials")]
    NotConnected,
    #[error("no new access key's secret is held any more (it was stored, kept without it, or deleted)")]
    NothingHeld,
    #[error(transparent)]
    Files(#[from] FileProblem),
}

/// Why an export was not written to the working directory.
#[derive(Debug, thiserror::Error)]
pub enum FileProblem {
    #[error("could not render the export: {0}")]
    Render(#[from] crate::export::ExportError),
    #[error("could not write the export: {0}")]
    WriteExport(#[from] crate::export::WriteError),
    /// Every name from `NAME` to `NAME-999` is taken.
    #[error("could not find a free name for {0} in the working directory")]
    NoFreeName(&'static str),
}

impl Problem {
    /// One plain line: the first line of the message, without the SDK's internals.
    pub fn line(&self) -> String {
        one_line(&self.to_string())
    }

    /// Everything known, for the details overlay: the whole message and the chain of its causes, in words
    /// (never Rust's `Debug` form of the SDK's internals).
    pub fn detail(&self) -> String {
        let whole = self.to_string();
        let causes = crate::aws::error::plain(self);
        if causes == whole || causes.is_empty() { whole } else { format!("{whole}\n\nCauses: {causes}") }
    }
}

/// The first line of a message, with any SDK debug dump (`DispatchFailure(…)`, `SdkBody…`) cut off.
pub fn one_line(s: &str) -> String {
    let first = s.lines().next().unwrap_or_default();
    let cut = ["DispatchFailure", "SdkBody", "ConstructionFailure", "ResponseError", "ServiceError {"]
        .iter()
        .filter_map(|m| first.find(m))
        .min();
    match cut {
        Some(i) => first[..i].trim_end_matches(|c: char| c == '(' || c == ':' || c.is_whitespace()).to_string(),
        None => first.to_string(),
    }
}
