//! Messages and commands: everything that can happen to the wizard (`Msg`), the work it asks the runtime for
//! (`Cmd`), what a screen asks the app to do after a key (`Do`, the effect) and which screen is shown.

use super::overlay::{Confirm, Overlay};
pub use super::overlay::{KeyRetirement, KeyRotation};
use super::remote::{Problem, RequestId};
use crate::aws::analyzer::Analysis;
use crate::aws::iam::AccessKeyInfo;
use crate::aws::listings::Project;
use crate::aws::{AwsError, Identity};
use crate::engine::access_keys::Rotation;
use crate::engine::{ApplyReport, Event, RollbackLog};
use crate::plan::Plan;
use crate::secret::clipboard::Method;
use crate::setup::{Desired, Params, Region};
use crossterm::event::KeyEvent;
use std::sync::Arc;
use std::time::Instant;

/// The screens, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Welcome,
    Identity,
    Params,
    Preview,
    Plan,
    Run,
    Secret,
    Summary,
    /// Manual mode: not one of the steps in order, reached from Welcome (or offered when writing is not
    /// possible).
    Manual,
}

impl Screen {
    pub const ALL: [Screen; 8] = [
        Screen::Welcome,
        Screen::Identity,
        Screen::Params,
        Screen::Preview,
        Screen::Plan,
        Screen::Run,
        Screen::Secret,
        Screen::Summary,
    ];

    /// The screen's name in the header.
    pub fn title(self) -> &'static str {
        match self {
            Screen::Welcome => "Welcome",
            Screen::Identity => "Identity",
            Screen::Params => "Parameters",
            Screen::Preview => "Preview",
            Screen::Plan => "Plan",
            Screen::Run => "Run",
            Screen::Secret => "Secret",
            Screen::Summary => "Summary",
            Screen::Manual => "Manual mode",
        }
    }
}

/// What the runtime found when it loaded the configuration and asked STS.
pub struct Detected {
    pub region: Option<Region>,
    pub profile: Option<String>,
    /// Where the credentials came from (as the headless banner says it), when the configuration loaded.
    pub source: Option<crate::aws::CredentialSource>,
    pub endpoint: Option<String>,
    pub identity: Result<Identity, Problem>,
    /// The loaded configuration: taken by the runtime before `update` sees the message.
    pub aws: Option<crate::aws::Aws>,
}

impl std::fmt::Debug for Detected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Detected")
            .field("region", &self.region)
            .field("identity", &self.identity)
            .finish_non_exhaustive()
    }
}

/// What a screen asks the app to do after a key.
#[derive(Debug)]
pub enum Do {
    Go(Screen),
    /// A read or local command (never a write to the account: those go through [`Do::Ask`]).
    Run(Cmd),
    Ask(Confirm),
    Show(Overlay),
    Say(String),
}

/// Work for the runtime; results come back as messages.
#[derive(Debug)]
pub enum Cmd {
    Detect {
        id: RequestId,
        region: Option<Region>,
        /// The MFA code typed on the Identity screen, for a profile with `mfa_serial`.
        mfa_code: Option<String>,
    },
    ListBuckets {
        id: RequestId,
    },
    ListProjects {
        id: RequestId,
    },
    Plan {
        id: RequestId,
        params: Box<Params>,
    },
    /// IAM Access Analyzer's ValidatePolicy on every document (reads nothing of the account).
    Validate {
        id: RequestId,
        desired: Box<Desired>,
    },
    /// Manual mode's verify: the engine's plan, made by reading the account (Get* and List* calls only).
    Verify {
        id: RequestId,
        params: Box<Params>,
    },
    /// Write an export (CloudFormation, AWS CLI script, Terraform, documents) to a new path in the working
    /// directory.
    Export {
        params: Box<Params>,
        format: crate::export::ExportFormat,
    },
    Apply {
        plan: Arc<Plan>,
        adopt: bool,
    },
    RollBack(RollbackLog),
    /// Delete a new key whose secret reached no one, then read the account to check it is gone.
    DeleteKey {
        user: String,
        id: String,
    },
    /// Stop the running apply (it then reports an interruption, and its writes can be rolled back).
    Cancel,
    Copy {
        what: Copied,
    },
    ClearClipboard,
    SaveProfile {
        name: String,
        overwrite: bool,
    },
    SaveCsv {
        path: String,
    },
    ListKeys {
        user: String,
    },
    Rotate(KeyRotation),
    Retire(KeyRetirement),
}

impl Cmd {
    /// The answer to this command when there is no connection to AWS, or the command back when it needs none
    /// (or has an offline way of its own: the plan and the analyzer). Every command that needs AWS answers, so no
    /// screen is left waiting.
    pub fn offline(self) -> Result<Msg, Cmd> {
        let not = || Problem::NotConnected;
        Ok(match self {
            Cmd::ListBuckets { id } => Msg::Buckets { id, result: Err(not()) },
            Cmd::ListProjects { id } => Msg::Projects { id, result: Err(not()) },
            Cmd::Verify { id, .. } => Msg::Verified { id, result: Box::new(Err(not())), inline: vec![] },
            Cmd::Apply { .. } => Msg::Applied(Box::new(Err(not()))),
            Cmd::RollBack(log) => Msg::NotRolledBack { log, problem: not() },
            Cmd::DeleteKey { id, .. } => Msg::KeyDeleted { id, verified: false },
            Cmd::ListKeys { .. } => Msg::Keys(Err(not())),
            Cmd::Rotate(_) => Msg::Rotated(Box::new(Err(not()))),
            Cmd::Retire(_) => Msg::Retired(Err(not())),
            other => return Err(other),
        })
    }

    /// The answer to this command when it needs the held secret and none is held any more (delivered, kept or
    /// deleted since it was asked for), or the command back: a save or a copy never leaves the screen waiting.
    pub fn without_secret(self) -> Result<Msg, Cmd> {
        let gone = Problem::NothingHeld;
        Ok(match self {
            Cmd::Copy { what: what @ (Copied::Secret | Copied::KeyId) } => {
                Msg::Copied { what, result: Err(gone.to_string()), why_not_system: None }
            }
            Cmd::SaveProfile { .. } | Cmd::SaveCsv { .. } => Msg::Saved(Err(gone)),
            other => return Err(other),
        })
    }

    /// Whether this command writes to the AWS account.
    pub fn writes(&self) -> bool {
        matches!(self, Cmd::Apply { .. } | Cmd::RollBack(_) | Cmd::DeleteKey { .. } | Cmd::Rotate(_) | Cmd::Retire(_))
    }
}

/// What is copied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Copied {
    Secret,
    KeyId,
    /// A policy or trust document, pretty JSON.
    Document {
        title: String,
        json: String,
    },
    /// Something on the screen (an ARN, a command): what it is, in words, and the text.
    Text {
        what: String,
        text: String,
    },
}

/// Everything that can happen.
#[derive(Debug)]
pub enum Msg {
    Key(KeyEvent),
    Paste(String),
    /// The clock, from the runtime: `update` never reads it itself.
    Tick(Instant),
    /// The terminal's size in columns and rows.
    Resize(u16, u16),
    Detected {
        id: RequestId,
        detected: Box<Detected>,
    },
    Buckets {
        id: RequestId,
        result: Result<Vec<String>, Problem>,
    },
    Projects {
        id: RequestId,
        result: Result<Vec<Project>, Problem>,
    },
    Planned {
        id: RequestId,
        result: Box<Result<Plan, Problem>>,
    },
    /// IAM Access Analyzer's answer on the documents.
    Validated {
        id: RequestId,
        analysis: Box<Analysis>,
    },
    /// The answer to manual mode's verify: the read-only plan, and each user's inline policies (by name).
    Verified {
        id: RequestId,
        result: Box<Result<Plan, Problem>>,
        inline: Vec<(String, Vec<String>)>,
    },
    /// An export was written (what and where) or not.
    Exported(Result<String, Problem>),
    Engine(Event),
    Applied(Box<Result<ApplyReport, Problem>>),
    /// The rollback ended (after the account was read again to verify it); the steps' errors.
    RolledBack(Vec<(usize, AwsError)>),
    /// The rollback could not start (no connection): nothing was undone, and its log is handed back.
    NotRolledBack {
        log: RollbackLog,
        problem: Problem,
    },
    /// Reading the account after the rollback failed: what exists is unknown.
    VerifyFailed(Problem),
    Copied {
        what: Copied,
        result: Result<Method, String>,
        why_not_system: Option<String>,
    },
    ClipboardCleared(bool),
    Saved(Result<String, Problem>),
    Keys(Result<Vec<AccessKeyInfo>, Problem>),
    Rotated(Box<Result<Rotation, Problem>>),
    Retired(Result<Retired, Problem>),
    /// SIGTERM or SIGHUP (a CI timeout, `docker stop`, a closed SSH session): nobody may be there to answer,
    /// so the run is settled the safe way (stopped and rolled back), then the wizard quits.
    Signal(i32),
    /// The deletion of key `id` answered: gone, verified by reading the account (true), or not (false).
    KeyDeleted {
        id: String,
        verified: bool,
    },
}

/// Old access keys a retirement dealt with: deactivated, or deleted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retired {
    pub ids: Vec<String>,
    pub deleted: bool,
}

impl std::fmt::Display for Retired {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let verb = if self.deleted { "Deleted" } else { "Deactivated" };
        write!(f, "{verb} the old access key(s) {}.", self.ids.join(", "))
    }
}
