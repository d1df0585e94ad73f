//! The wizard's state, the messages that change it, and the commands it asks the runtime to carry out.
//! `update` never awaits, never reads the clock and never touches AWS: time arrives as [`Msg::Tick`], work is
//! asked for as a [`Cmd`] and comes back as a [`Msg`]. `App` routes keys to the open overlay or the current
//! screen (each screen module owns its state, its binding table and its view) and holds the [`Session`].

use super::keys::{self, Binding, Key};
use super::screens::{self, identity, manual, params, plan, preview, run, secret, summary, welcome};
use crate::aws::analyzer::Analysis;
use crate::aws::iam::AccessKeyInfo;
use crate::aws::listings::Project;
use crate::aws::{AwsError, ConnectError, Identity};
use crate::engine::access_keys::{RotateError, Rotation};
use crate::engine::{ApplyReport, Event, RollbackLog};
use crate::plan::{Plan, PlanError};
use crate::secret::clipboard::Method;
use crate::secret::custody::{KeyEnd, KeyOutcome, Leave, SecretCustody};
use crate::secret::store::SaveError;
use crate::setup::{AccountId, Desired, Params, Region, Selection, SetupError};
use crossterm::event::{KeyCode, KeyEvent};
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use screens::Screen;

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
    #[error("not connected to AWS: the account could not be read with these credentials")]
    NotConnected,
    #[error("{0}")]
    Io(String),
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

/// What the runtime found when it loaded the configuration and asked STS.
pub struct Detected {
    pub region: Option<Region>,
    pub profile: Option<String>,
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

/// Where the run of the plan stands.
#[derive(Debug, Default)]
pub enum Phase {
    #[default]
    NotStarted,
    Applying,
    /// Stopping on request: the running steps finish, then this run is rolled back or kept.
    Stopping {
        roll_back: bool,
    },
    /// Failed or interrupted: this run's writes wait for the user's choice.
    Failed(RollbackLog),
    RollingBack,
    Completed,
    RolledBack {
        errors: usize,
    },
    /// Failed, and the user chose to keep what it made.
    Kept,
}

/// A step as the run screen shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepState {
    Pending,
    Running,
    Done(crate::engine::Status),
    Failed(String),
    Skipped,
    RolledBack,
}

#[derive(Debug, Clone)]
pub struct StepRun {
    pub state: StepState,
    pub started: Option<Instant>,
    pub elapsed: Option<Duration>,
}

/// One run of the plan.
#[derive(Debug, Default)]
pub struct Run {
    pub plan: Option<Arc<Plan>>,
    pub steps: Vec<StepRun>,
    pub phase: Phase,
    /// The failed step (if a step failed) and the failure.
    pub failure: Option<(Option<usize>, String, String)>,
    pub notes: Vec<String>,
    /// The engine's id of this run (its resources are tagged with it), to verify a rollback.
    pub run_id: String,
    /// The access key this run made (its secret is in the session's custody), so its rollback settles it.
    pub key: Option<String>,
}

impl Run {
    /// Whether the run is writing or undoing right now.
    pub fn active(&self) -> bool {
        matches!(self.phase, Phase::Applying | Phase::Stopping { .. } | Phase::RollingBack)
    }

    /// Whether a failed run waits for the user to roll back or keep.
    pub fn awaiting_choice(&self) -> bool {
        matches!(self.phase, Phase::Failed(_))
    }

    /// Steps that write, and how many of them have ended.
    pub fn progress(&self) -> (usize, usize) {
        let Some(plan) = &self.plan else { return (0, 0) };
        let writes: Vec<usize> = (0..plan.steps.len()).filter(|i| plan.steps[*i].action.writes()).collect();
        let ended = writes
            .iter()
            .filter(|i| !matches!(self.steps.get(**i).map(|s| &s.state), Some(StepState::Pending | StepState::Running)))
            .count();
        (ended, writes.len())
    }
}

/// What the wizard knows across screens.
#[derive(Debug)]
pub struct Session {
    pub setup: Selection,
    /// Tightened documents instead of the guides' (toggled on the preview).
    pub tighten: bool,
    pub identity: Remote<Identity>,
    pub region: Option<Region>,
    pub profile: Option<String>,
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
    fn new() -> Self {
        Session {
            setup: Selection::all(),
            tighten: false,
            identity: Remote::Idle,
            region: None,
            profile: None,
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

/// A write the user confirmed in the overlay; only [`App::perform`] turns these into commands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Intent {
    Apply,
    RollBack,
    Keep,
    /// Stop the running apply, then roll back (or keep) what it made.
    Stop {
        roll_back: bool,
    },
    ListKeysToRotate {
        user: String,
    },
    Rotate {
        user: String,
        delete_first: Option<String>,
    },
    Retire {
        user: String,
        ids: Vec<String>,
        delete: bool,
    },
    Quit,
    /// Write an export to files (nothing is sent to AWS).
    Export(crate::export::ExportFormat),
    /// Delete a new key whose secret reached no one (verified by reading the account afterwards).
    DeleteKey {
        user: String,
        id: String,
    },
    /// Keep a new key active although nobody has its secret: the operator's say-so, after a prompt that said it.
    KeepUnseenKey {
        id: String,
    },
}

/// One answer of a confirmation.
#[derive(Debug, Clone)]
pub struct Choice {
    pub key: char,
    pub does: String,
    pub intent: Intent,
    /// Leave the wizard once the intent has settled.
    pub then_quit: bool,
}

/// The overlay that every write and every unsettled quit goes through: it says what will happen.
#[derive(Debug, Clone)]
pub struct Confirm {
    pub title: String,
    pub lines: Vec<String>,
    pub choices: Vec<Choice>,
    /// What Esc does: stay where you were.
    pub cancel: &'static str,
    /// A quit prompt (a second Ctrl-C takes its first, safe, choice).
    pub quitting: bool,
}

/// Choosing which of two keys to delete before a rotation.
#[derive(Debug, Clone)]
pub struct ChooseKey {
    pub user: String,
    pub keys: Vec<AccessKeyInfo>,
    pub selected: usize,
}

/// What is drawn over the screen and takes the keys while open.
#[derive(Debug, Clone)]
pub enum Overlay {
    Help,
    Details { title: String, text: String },
    Confirm(Confirm),
    ChooseKey(ChooseKey),
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
    WriteDocuments,
    ListKeys {
        user: String,
    },
    Rotate {
        user: String,
        delete_first: Option<String>,
    },
    Retire {
        user: String,
        ids: Vec<String>,
        delete: bool,
    },
}

impl Cmd {
    /// Whether this command writes to the AWS account.
    pub fn writes(&self) -> bool {
        matches!(
            self,
            Cmd::Apply { .. } | Cmd::RollBack(_) | Cmd::DeleteKey { .. } | Cmd::Rotate { .. } | Cmd::Retire { .. }
        )
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
    /// The answer to manual mode's verify.
    Verified {
        id: RequestId,
        result: Box<Result<Plan, Problem>>,
    },
    /// An export was written (what and where) or not.
    Exported(Result<String, Problem>),
    Engine(Event),
    Applied(Box<Result<ApplyReport, Problem>>),
    /// The rollback ended (after the account was read again to verify it); the steps' errors.
    RolledBack(Vec<(usize, AwsError)>),
    /// Reading the account after the rollback failed: what exists is unknown.
    VerifyFailed(Problem),
    Copied {
        what: Copied,
        result: Result<Method, String>,
        why_not_system: Option<String>,
    },
    ClipboardCleared(bool),
    Saved(Result<String, Problem>),
    DocumentsWritten(Result<String, Problem>),
    Keys(Result<Vec<AccessKeyInfo>, Problem>),
    Rotated(Box<Result<Rotation, Problem>>),
    Retired(Result<String, Problem>),
    /// SIGTERM or SIGHUP (a CI timeout, `docker stop`, a closed SSH session): nobody may be there to answer,
    /// so the run is settled the safe way (stopped and rolled back), then the wizard quits.
    Signal(i32),
    /// The deletion of key `id` answered: gone, verified by reading the account (true), or not (false).
    KeyDeleted {
        id: String,
        verified: bool,
    },
}

/// The smallest terminal the wizard draws in; below it, no key but quit acts.
pub const MIN_WIDTH: u16 = 80;
pub const MIN_HEIGHT: u16 = 24;

/// A message on the status line, for the screen it was said on.
#[derive(Debug, Clone)]
pub struct Status {
    pub text: String,
    pub screen: Screen,
}

/// Everything the wizard shows; `view` is a pure function of it.
pub struct App {
    pub screen: Screen,
    pub session: Session,
    pub welcome: welcome::State,
    pub identity: identity::State,
    pub params: params::State,
    pub preview: preview::State,
    pub plan: plan::State,
    pub run: run::State,
    pub secret: secret::State,
    pub summary: summary::State,
    pub manual: manual::State,
    pub overlay: Option<Overlay>,
    pub status: Option<Status>,
    /// The terminal's size, as last reported.
    pub size: (u16, u16),
    pub now: Instant,
    pub tick: u64,
    /// Leave once the run has settled (a confirmed quit waits for the stop or the rollback).
    pub quit_when_settled: bool,
    pub should_quit: bool,
    /// The signal that asked the wizard to end, if one did: the exit code is 128+N.
    pub signal: Option<i32>,
}

impl Default for App {
    fn default() -> Self {
        Self::new()
    }
}

/// The keys every screen answers to, after its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Global {
    Help,
    Quit,
}

impl App {
    /// The wizard at launch, on the Welcome screen.
    pub fn new() -> Self {
        App {
            screen: Screen::Welcome,
            session: Session::new(),
            welcome: welcome::State::default(),
            identity: identity::State::default(),
            params: params::State::default(),
            preview: preview::State::default(),
            plan: plan::State::default(),
            run: run::State,
            secret: secret::State::default(),
            summary: summary::State::default(),
            manual: manual::State::default(),
            overlay: None,
            status: None,
            size: (120, 40),
            now: Instant::now(),
            tick: 0,
            quit_when_settled: false,
            should_quit: false,
            signal: None,
        }
    }

    /// An app whose copied secret is cleared from the clipboard after `timeout`.
    pub fn with_clipboard_timeout(timeout: Duration) -> Self {
        let mut app = App::new();
        app.session.clipboard_timeout = timeout;
        app
    }

    /// The commands to run at start: detection begins before the first frame is even drawn.
    pub fn init(&mut self) -> Vec<Cmd> {
        let id = self.session.request();
        self.session.identity = Remote::Pending(id);
        vec![Cmd::Detect { id, region: None }]
    }

    /// Whether the terminal is below the minimum size (only the message is drawn).
    pub fn too_small(&self) -> bool {
        self.size.0 < MIN_WIDTH || self.size.1 < MIN_HEIGHT
    }

    /// Whether a text field has the focus, so `q` is a letter there.
    pub fn typing(&self) -> bool {
        match self.screen {
            Screen::Identity => true,
            Screen::Params => self.params.typing(&self.session),
            Screen::Secret => self.secret.prompt.is_some(),
            _ => false,
        }
    }

    /// The keys that work now, as the footer and help list them: the overlay's when one is open.
    pub fn shown_keys(&self) -> Vec<keys::Shown> {
        match &self.overlay {
            Some(o) => keys::shown(&overlay_bindings(o)),
            None => {
                let mut v = self.screen_shown();
                v.extend(keys::shown(&self.global_bindings()));
                v
            }
        }
    }

    /// The current screen's own keys (for the footer and help).
    pub fn screen_shown(&self) -> Vec<keys::Shown> {
        self.screen_shown_at(self.body_size())
    }

    fn screen_shown_at(&self, size: (u16, u16)) -> Vec<keys::Shown> {
        let s = &self.session;
        match self.screen {
            Screen::Welcome => keys::shown(&welcome::bindings(&self.welcome, s)),
            Screen::Identity => keys::shown(&identity::bindings(&self.identity, s)),
            Screen::Params => keys::shown(&params::bindings(&self.params, s)),
            Screen::Preview => keys::shown(&preview::bindings(&self.preview, s, size)),
            Screen::Plan => keys::shown(&plan::bindings(&self.plan, s, size)),
            Screen::Run => keys::shown(&run::bindings(&self.run, s)),
            Screen::Secret => keys::shown(&secret::bindings(&self.secret, s)),
            Screen::Summary => keys::shown(&summary::bindings(&self.summary, s, size)),
            Screen::Manual => keys::shown(&manual::bindings(&self.manual, s, size)),
        }
    }

    /// Every key that acts now and the footer label it is listed under (for the test that walks every screen).
    pub fn active_bindings(&self) -> Vec<(Vec<Key>, &'static str)> {
        fn pairs<A>(t: Vec<Binding<A>>) -> Vec<(Vec<Key>, &'static str)> {
            let mut out: Vec<(Vec<Key>, &'static str)> = vec![];
            for b in t {
                // A binding without a label is listed under the one before it (`↑/↓`).
                let label = if b.label.is_empty() { out.last().map(|(_, l)| *l).unwrap_or("") } else { b.label };
                out.push((b.keys, label));
            }
            out
        }
        if let Some(o) = &self.overlay {
            return pairs(overlay_bindings(o));
        }
        let s = &self.session;
        let size = self.body_size();
        let mut v = match self.screen {
            Screen::Welcome => pairs(welcome::bindings(&self.welcome, s)),
            Screen::Identity => pairs(identity::bindings(&self.identity, s)),
            Screen::Params => pairs(params::bindings(&self.params, s)),
            Screen::Preview => pairs(preview::bindings(&self.preview, s, size)),
            Screen::Plan => pairs(plan::bindings(&self.plan, s, size)),
            Screen::Run => pairs(run::bindings(&self.run, s)),
            Screen::Secret => pairs(secret::bindings(&self.secret, s)),
            Screen::Summary => pairs(summary::bindings(&self.summary, s, size)),
            Screen::Manual => pairs(manual::bindings(&self.manual, s, size)),
        };
        v.extend(pairs(self.global_bindings()));
        v
    }

    /// The keys every screen has after its own (`q` only where it is not a letter).
    pub fn global_bindings(&self) -> Vec<Binding<Global>> {
        // In a text field `?` and `q` are letters: help is F1 there.
        let mut v = if self.typing() {
            vec![Binding::new(&[Key::Code(KeyCode::F(1))], "F1", "help", Global::Help)]
        } else {
            vec![Binding::new(&[Key::char('?'), Key::Code(KeyCode::F(1))], "?", "help", Global::Help)]
        };
        if !self.typing() {
            v.push(Binding::new(&[Key::char('q')], "q", "quit", Global::Quit));
        }
        v.push(Binding::new(&[Key::Ctrl('c')], "Ctrl-C", "quit", Global::Quit));
        v
    }

    /// The area a screen draws in (inside the frame's border), for scrolling: the footer is taken as two
    /// lines, so the last line is always reachable (the view clamps the rest).
    pub fn body_size(&self) -> (u16, u16) {
        let (w, h) = self.size;
        // Scroll keys are listed only when there is something to scroll: take a two-line footer to decide which
        // keys show, then measure the footer they really need.
        let estimate = (w.saturating_sub(2), h.saturating_sub(6));
        let mut shown = match &self.overlay {
            Some(o) => keys::shown(&overlay_bindings(o)),
            None => self.screen_shown_at(estimate),
        };
        if self.overlay.is_none() {
            shown.extend(keys::shown(&self.global_bindings()));
        }
        let footer = keys::footer_lines(&shown, w as usize).len() as u16;
        (w.saturating_sub(2), h.saturating_sub(4 + footer))
    }

    /// Apply one message; returns the work to start. Pure: no clock, no I/O.
    pub fn update(&mut self, msg: Msg) -> Vec<Cmd> {
        self.route(msg)
    }

    fn route(&mut self, msg: Msg) -> Vec<Cmd> {
        match msg {
            Msg::Tick(now) => self.on_tick(now),
            Msg::Resize(w, h) => {
                self.size = (w, h);
                vec![]
            }
            Msg::Key(k) => self.on_key(k),
            Msg::Paste(text) => {
                if self.overlay.is_some() || self.too_small() {
                    return vec![];
                }
                let dos = match self.screen {
                    Screen::Identity => self.identity.paste(&text),
                    Screen::Params => self.params.paste(&mut self.session, &text),
                    Screen::Secret => self.secret.paste(&text),
                    _ => vec![],
                };
                self.apply_dos(dos)
            }
            Msg::Detected { id, detected } => self.on_detected(id, *detected),
            Msg::Buckets { id, result } => {
                self.params.buckets.items.answer(id, result);
                vec![]
            }
            Msg::Projects { id, result } => {
                self.params.projects.items.answer(id, result);
                vec![]
            }
            Msg::Planned { id, result } => {
                if self.session.plan.answer(id, (*result).map(Arc::new)) {
                    self.session.serious = self.session.plan.ready().and_then(|p| serious(&p.desired));
                }
                vec![]
            }
            Msg::Validated { id, analysis } => {
                self.session.analysis.answer(id, Ok(*analysis));
                vec![]
            }
            Msg::Verified { id, result } => {
                self.manual.verified.answer(id, *result);
                vec![]
            }
            Msg::Exported(r) => {
                match r {
                    Ok(done) => self.say(done),
                    Err(e) => self.say(format!("✗ {}", e.line())),
                }
                vec![]
            }
            Msg::Engine(e) => {
                self.on_engine(e);
                vec![]
            }
            Msg::Applied(r) => {
                let mut cmds = self.on_applied(*r);
                // A quit prompt opened while steps ran is about a run that has now ended: ask again about what
                // is true now (pressing its old "stop, roll back" would otherwise quit with nothing undone).
                if let Some(Overlay::Confirm(c)) = &self.overlay
                    && c.quitting
                {
                    self.overlay = self.quit_prompt().map(Overlay::Confirm);
                    if self.overlay.is_none() {
                        cmds.extend(self.request_quit(false));
                    }
                }
                cmds
            }
            Msg::VerifyFailed(e) => {
                self.session.run.notes.push(format!("could not check what remains: {}", e.line()));
                vec![]
            }
            Msg::RolledBack(errors) => {
                self.rolled_back_key(&errors);
                let run = &mut self.session.run;
                run.phase = Phase::RolledBack { errors: errors.len() };
                if errors.is_empty() {
                    run.notes.push("Everything this run created or changed was undone.".into());
                } else {
                    let name = |i: usize| {
                        let l = run.plan.as_ref().map(|p| p.label(i));
                        l.map_or_else(|| format!("step {}", i + 1), |l| format!("{} {}", l.kind, l.name))
                    };
                    let notes: Vec<String> =
                        errors.iter().map(|(i, e)| format!("not undone: {}: {e}", name(*i))).collect();
                    run.notes.extend(notes);
                }
                self.settled()
            }
            Msg::Copied { what, result, why_not_system } => {
                let word = match &what {
                    Copied::Secret => "secret access key".to_string(),
                    Copied::KeyId => "access key id".to_string(),
                    Copied::Document { title, .. } => format!("document {title}"),
                };
                let text = crate::secret::clipboard::describe(&word, &result, why_not_system.as_deref());
                if what == Copied::Secret && result.is_ok() {
                    self.session.custody.copied();
                    self.session.clear_at = Some(self.now + self.session.clipboard_timeout);
                    self.session.clipboard_holds_secret = result == Ok(Method::System);
                    self.session.terminal_holds_secret = result == Ok(Method::Osc52);
                }
                match what {
                    Copied::Document { .. } => self.say(text),
                    _ => self.secret.copy_status = Some(text),
                }
                vec![]
            }
            Msg::ClipboardCleared(cleared) => {
                self.session.clipboard_holds_secret = false;
                self.session.terminal_holds_secret = false;
                self.secret.copy_status = Some(if cleared {
                    "The clipboard was cleared: it no longer holds the secret.".into()
                } else {
                    "The clipboard no longer held the secret: left as it is.".into()
                });
                vec![]
            }
            Msg::Saved(r) => {
                if r.is_ok() {
                    self.session.custody.saved();
                }
                let dos = self.secret.on_saved(r);
                self.apply_dos(dos)
            }
            Msg::DocumentsWritten(r) => {
                match r {
                    Ok(done) => self.say(done),
                    Err(e) => self.say(format!("✗ {}", e.line())),
                }
                vec![]
            }
            // A quit is waiting: the rotation asked for before it does not start now.
            Msg::Keys(_) if self.quit_when_settled => vec![],
            Msg::Keys(r) => match r.inspect(|_| self.status = None) {
                Ok(keys) if keys.len() >= 2 => {
                    let user = self.session.rotatable_user().unwrap_or_default();
                    self.overlay = Some(Overlay::ChooseKey(ChooseKey { user, keys, selected: 0 }));
                    vec![]
                }
                Ok(_) => {
                    let user = self.session.rotatable_user().unwrap_or_default();
                    self.perform(Intent::Rotate { user, delete_first: None }, false)
                }
                Err(e) => {
                    self.say(format!("✗ {}", e.line()));
                    vec![]
                }
            },
            Msg::Rotated(r) => {
                self.session.key_writes = self.session.key_writes.saturating_sub(1);
                match *r {
                    Ok(rotation) => {
                        if let Some(d) = &rotation.deleted_first {
                            self.say(format!("Deleted access key {d} first."));
                        } else {
                            self.status = None;
                        }
                        self.session.old_keys = Some((rotation.key.user_name.clone(), rotation.old));
                        self.session.custody.receive(rotation.key);
                        self.secret = secret::State::default();
                        self.go(Screen::Secret);
                    }
                    Err(e) => self.say(format!("✗ {}", e.line())),
                }
                self.settled()
            }
            Msg::Signal(n) => self.on_signal(n),
            Msg::KeyDeleted { id, verified } => self.on_key_deleted(&id, verified),
            Msg::Retired(r) => {
                self.session.key_writes = self.session.key_writes.saturating_sub(1);
                match r {
                    Ok(done) => {
                        self.say(done.clone());
                        self.session.retired.push(done.clone());
                        if let Some((_, keys)) = &mut self.session.old_keys {
                            if done.starts_with("Deleted") {
                                keys.clear();
                            } else {
                                keys.iter_mut().for_each(|k| k.active = false);
                            }
                        }
                    }
                    Err(e) => self.say(format!("✗ {}", e.line())),
                }
                self.settled()
            }
        }
    }

    /// SIGTERM, SIGHUP or a vanished terminal: nobody may be there to answer. The run is settled the way a
    /// second Ctrl-C settles it, every key whose secret reached no one is deleted (nobody could ever see it),
    /// and the wizard quits once those writes have answered.
    fn on_signal(&mut self, n: i32) -> Vec<Cmd> {
        self.signal.get_or_insert(n);
        let mut cmds = self.request_quit(false);
        if !self.should_quit {
            cmds.extend(self.request_quit(true));
        }
        cmds
    }

    /// Ask for the deletion of key `id` (the caller has the operator's confirmation, or a signal).
    fn delete_key(&mut self, user: String, id: String) -> Vec<Cmd> {
        if !self.session.custody.is_live(&id) {
            return vec![];
        }
        self.session.wrote = true;
        self.session.custody.deleting(&id);
        self.say(format!("Deleting access key {id}…"));
        vec![Cmd::DeleteKey { user, id }]
    }

    /// The key on the secret screen was left: show the next one still held, or the summary.
    fn after_leaving_secret(&mut self) {
        self.secret = secret::State::default();
        if self.session.custody.held().is_none() && self.screen == Screen::Secret {
            self.go(Screen::Summary);
        }
    }

    fn on_key_deleted(&mut self, id: &str, verified: bool) -> Vec<Cmd> {
        self.session.custody.deleted(id, verified);
        let said = if verified {
            format!("Access key {id} was deleted (checked: the account no longer lists it).")
        } else {
            format!("✗ Access key {id} could not be deleted or checked: it may still be active.")
        };
        if self.screen == Screen::Secret && self.session.custody.held().is_none() {
            self.go(Screen::Summary);
        }
        self.say(said);
        self.settled()
    }

    fn on_tick(&mut self, now: Instant) -> Vec<Cmd> {
        self.now = now;
        self.tick = self.tick.wrapping_add(1);
        for s in &mut self.session.run.steps {
            if let (StepState::Running, Some(t)) = (&s.state, s.started) {
                s.elapsed = Some(now.saturating_duration_since(t));
            }
        }
        match self.session.clear_at {
            Some(at) if now >= at => {
                self.session.clear_at = None;
                vec![Cmd::ClearClipboard]
            }
            _ => vec![],
        }
    }

    /// Seconds until the copied secret is cleared from the clipboard.
    pub fn clear_in(&self) -> Option<u64> {
        self.session.clear_at.map(|at| at.saturating_duration_since(self.now).as_secs_f64().ceil() as u64)
    }

    fn say(&mut self, text: impl Into<String>) {
        self.status = Some(Status { text: text.into(), screen: self.screen });
    }

    /// The status line's message, if it still belongs to this screen.
    pub fn status_text(&self) -> Option<&str> {
        self.status.as_ref().filter(|s| s.screen == self.screen).map(|s| s.text.as_str())
    }

    fn go(&mut self, screen: Screen) {
        if screen != self.screen {
            self.status = None;
        }
        self.screen = screen;
    }

    fn on_detected(&mut self, id: RequestId, d: Detected) -> Vec<Cmd> {
        if !matches!(self.session.identity, Remote::Pending(p) if p == id) {
            return vec![];
        }
        // "Still asking STS…" is no longer true.
        self.status = None;
        self.session.profile = d.profile;
        self.session.endpoint = d.endpoint;
        if let Some(r) = &d.region {
            self.identity.set_region(r);
        }
        self.session.region = d.region;
        let ok = d.identity.is_ok();
        self.session.identity.answer(id, d.identity);
        self.identity.after_detection(&self.session);
        if ok {
            let (b, p) = (self.session.request(), self.session.request());
            self.params.buckets.items = Remote::Pending(b);
            self.params.projects.items = Remote::Pending(p);
            vec![Cmd::ListBuckets { id: b }, Cmd::ListProjects { id: p }]
        } else {
            self.params.buckets.items = Remote::Failed(Problem::NotConnected);
            self.params.projects.items = Remote::Failed(Problem::NotConnected);
            vec![]
        }
    }

    fn on_engine(&mut self, e: Event) {
        let now = self.now;
        let run = &mut self.session.run;
        let set = |run: &mut Run, i: usize, state: StepState| {
            if let Some(s) = run.steps.get_mut(i) {
                if let Some(t) = s.started {
                    s.elapsed = Some(now.saturating_duration_since(t));
                }
                s.state = state;
            }
        };
        match e {
            Event::Started(i) => {
                if let Some(s) = run.steps.get_mut(i) {
                    s.state = StepState::Running;
                    s.started = Some(now);
                    s.elapsed = Some(Duration::ZERO);
                }
            }
            Event::Retrying { step, attempt, .. } => {
                run.notes.push(format!("step {} not visible in IAM yet: try {}", step + 1, attempt + 1));
            }
            Event::Finished { step, status } => set(run, step, StepState::Done(status)),
            Event::Failed { step, error } => {
                let line = one_line(&error.to_string());
                set(run, step, StepState::Failed(line.clone()));
                if run.failure.is_none() {
                    // In words: the step, the whole message and, where AWS gave one, its request id (in it).
                    let label = run.plan.as_ref().map(|p| p.label(step));
                    let what = label.map(|l| format!("{} {}", l.kind, l.name)).unwrap_or_default();
                    let causes = crate::aws::error::plain(&error);
                    let mut detail = format!("Step {}: {what}\n\n{error}", step + 1);
                    if !causes.is_empty() && causes != error.to_string() {
                        detail.push_str(&format!("\n\nCauses: {causes}"));
                    }
                    run.failure = Some((Some(step), line, detail));
                }
            }
            Event::Skipped(i) => set(run, i, StepState::Skipped),
            Event::RollingBack => run.phase = Phase::RollingBack,
            Event::RolledBack(i) => set(run, i, StepState::RolledBack),
            Event::RollbackFailed { step, error } => {
                let what = run.plan.as_ref().map(|p| p.label(step)).map(|l| format!("{} {}", l.kind, l.name));
                let what = what.unwrap_or_else(|| format!("step {}", step + 1));
                run.notes.push(format!("not undone: {what}: {}", one_line(&error.to_string())))
            }
            Event::Done => {}
        }
    }

    fn on_applied(&mut self, r: Result<ApplyReport, Problem>) -> Vec<Cmd> {
        let stopping = match self.session.run.phase {
            Phase::Stopping { roll_back } => Some(roll_back),
            _ => None,
        };
        let mut report = match r {
            Ok(report) => report,
            Err(e) => {
                let run = &mut self.session.run;
                run.failure = Some((None, e.line(), e.detail()));
                run.phase = Phase::Failed(RollbackLog::default());
                return self.settled();
            }
        };
        self.session.run.run_id = report.run_id.clone();
        // The report is the last word on each step, whatever events were missed.
        for (st, status) in self.session.run.steps.iter_mut().zip(&report.statuses) {
            if matches!(st.state, StepState::Pending | StepState::Running) {
                st.state = match status {
                    crate::engine::Status::Skipped => StepState::Skipped,
                    crate::engine::Status::RolledBack => StepState::RolledBack,
                    crate::engine::Status::Failed => StepState::Failed("failed".into()),
                    other => StepState::Done(*other),
                };
            }
        }
        // The key's secret goes into custody at once, whether or not the run completed: nobody saw it yet.
        if let Some(k) = report.access_key.take() {
            self.session.run.key = Some(k.access_key_id.clone());
            self.session.custody.receive(k);
        }
        if report.succeeded() {
            self.session.run.phase = Phase::Completed;
            if stopping.is_none() {
                let next = if self.session.custody.held().is_some() { Screen::Secret } else { Screen::Summary };
                self.secret = secret::State::default();
                self.go(next);
            }
            return self.settled();
        }
        if report.interrupted && self.session.run.failure.is_none() {
            self.session.run.failure =
                Some((None, "stopped on request".into(), "The run was stopped before it completed.".into()));
        }
        if report.rollback_log.is_empty() {
            self.session.run.phase = Phase::RolledBack { errors: 0 };
            return self.settled();
        }
        match stopping {
            Some(true) => {
                self.session.run.phase = Phase::RollingBack;
                self.rolling_back_key();
                vec![Cmd::RollBack(report.rollback_log)]
            }
            Some(false) => {
                self.session.run.phase = Phase::Kept;
                self.settled()
            }
            None => {
                self.session.run.phase = Phase::Failed(report.rollback_log);
                vec![]
            }
        }
    }

    /// The rollback of this run deletes its key too: the secret is of no use to anyone any more.
    fn rolling_back_key(&mut self) {
        if let Some(id) = &self.session.run.key {
            self.session.custody.deleting(id);
        }
    }

    /// The rollback answered: this run's key is gone only if the account, read again, no longer lists it.
    fn rolled_back_key(&mut self, errors: &[(usize, AwsError)]) {
        let run = &self.session.run;
        let (Some(id), Some(plan)) = (&run.key, &run.plan) else { return };
        let step = plan.steps.iter().position(|s| matches!(s.kind, crate::plan::StepKind::AccessKey(_)));
        let verified = step.is_some_and(|i| {
            !errors.iter().any(|(e, _)| *e == i)
                && matches!(run.steps.get(i).map(|s| &s.state), Some(StepState::RolledBack))
        });
        self.session.custody.deleted(&id.clone(), verified);
    }

    /// The run has settled: leave if a quit was waiting for it (and for every key's deletion to answer).
    fn settled(&mut self) -> Vec<Cmd> {
        let run = &self.session.run;
        if !self.quit_when_settled || run.active() || run.awaiting_choice() {
            return vec![];
        }
        if self.signal.is_some() {
            // Nobody is there to see a secret that reached no one: its key goes before the wizard does.
            let unseen = self.session.custody.undelivered();
            let cmds: Vec<Cmd> = unseen.into_iter().flat_map(|(user, id)| self.delete_key(user, id)).collect();
            if !cmds.is_empty() {
                return cmds;
            }
        }
        if self.session.custody.deleting_any() || self.session.key_writes > 0 {
            return vec![];
        }
        if self.session.custody.held().is_some() && self.signal.is_none() {
            // A key whose secret is still held: show it once, and leave through the secret screen's own prompt.
            self.quit_when_settled = false;
            if self.screen != Screen::Secret {
                self.secret = secret::State::default();
                self.go(Screen::Secret);
            }
            self.say("This session made an access key: store its secret now (shown only here), then quit.");
        } else {
            self.should_quit = true;
        }
        vec![]
    }

    fn on_key(&mut self, k: KeyEvent) -> Vec<Cmd> {
        if keys::Key::Ctrl('c').matches(&k) {
            return self.request_quit(true);
        }
        if self.too_small() {
            // Nothing behind the message can be seen, so nothing behind it may act: only quitting.
            if Key::char('q').matches(&k) {
                return self.request_quit(false);
            }
            return vec![];
        }
        if let Some(o) = self.overlay.take() {
            return self.on_overlay_key(o, k);
        }
        let s = &self.session;
        let dos = match self.screen {
            Screen::Welcome => keys::find(&welcome::bindings(&self.welcome, s), &k)
                .map(|b| b.action)
                .map(|a| self.welcome.act(&mut self.session, a)),
            Screen::Identity => keys::find(&identity::bindings(&self.identity, s), &k)
                .map(|b| b.action)
                .map(|a| self.identity.act(&mut self.session, a, &k)),
            Screen::Params => keys::find(&params::bindings(&self.params, s), &k)
                .map(|b| b.action)
                .map(|a| self.params.act(&mut self.session, a, &k)),
            Screen::Preview => {
                let size = self.body_size();
                keys::find(&preview::bindings(&self.preview, s, size), &k)
                    .map(|b| b.action)
                    .map(|a| self.preview.act(&mut self.session, a, size))
            }
            Screen::Plan => {
                let size = self.body_size();
                keys::find(&plan::bindings(&self.plan, s, size), &k)
                    .map(|b| b.action)
                    .map(|a| self.plan.act(&mut self.session, a, size))
            }
            Screen::Run => keys::find(&run::bindings(&self.run, s), &k)
                .map(|b| b.action)
                .map(|a| self.run.act(&mut self.session, a)),
            Screen::Secret => keys::find(&secret::bindings(&self.secret, s), &k)
                .map(|b| b.action)
                .map(|a| self.secret.act(&mut self.session, a, &k)),
            Screen::Summary => {
                let size = self.body_size();
                keys::find(&summary::bindings(&self.summary, s, size), &k)
                    .map(|b| b.action)
                    .map(|a| self.summary.act(&mut self.session, a, size))
            }
            Screen::Manual => {
                let size = self.body_size();
                keys::find(&manual::bindings(&self.manual, s, size), &k)
                    .map(|b| b.action)
                    .map(|a| self.manual.act(&mut self.session, a, size))
            }
        };
        if let Some(dos) = dos {
            return self.apply_dos(dos);
        }
        match keys::find(&self.global_bindings(), &k).map(|b| b.action) {
            Some(Global::Help) => {
                self.overlay = Some(Overlay::Help);
                vec![]
            }
            Some(Global::Quit) => self.request_quit(false),
            None => vec![],
        }
    }

    fn apply_dos(&mut self, dos: Vec<Do>) -> Vec<Cmd> {
        let mut cmds = vec![];
        for d in dos {
            match d {
                Do::Go(s) => {
                    if s == Screen::Preview {
                        self.preview = preview::State::default();
                        cmds.extend(self.session.analyse());
                    }
                    if s == Screen::Plan {
                        self.plan = plan::State::default();
                    }
                    // Entering manual mode (not leaving it): a fresh panel list, Esc back to where it came from.
                    if s == Screen::Manual && self.screen != Screen::Manual {
                        self.manual = manual::State::from(self.screen);
                    }
                    self.go(s)
                }
                Do::Run(c) => {
                    if let Cmd::Detect { .. } = c {
                        // Lists of the account or Region read before are no answer to the new detection.
                        self.params.buckets.items = Remote::Idle;
                        self.params.projects.items = Remote::Idle;
                    }
                    debug_assert!(!c.writes(), "writes go through the confirmation overlay");
                    if !c.writes() {
                        cmds.push(c);
                    }
                }
                Do::Ask(c) => self.overlay = Some(Overlay::Confirm(c)),
                Do::Show(o) => self.overlay = Some(o),
                Do::Say(t) => self.say(t),
            }
        }
        cmds
    }

    fn on_overlay_key(&mut self, o: Overlay, k: KeyEvent) -> Vec<Cmd> {
        let table = overlay_bindings(&o);
        let Some(action) = keys::find(&table, &k).map(|b| b.action) else {
            self.overlay = Some(o);
            return vec![];
        };
        match (action, o) {
            (OverlayAction::Close, _) => vec![],
            (OverlayAction::Choose(i), Overlay::Confirm(c)) => match c.choices.into_iter().nth(i) {
                Some(choice) => self.perform(choice.intent, choice.then_quit),
                None => vec![],
            },
            (OverlayAction::Move(down), Overlay::ChooseKey(mut ck)) => {
                ck.selected = if down {
                    (ck.selected + 1).min(ck.keys.len().saturating_sub(1))
                } else {
                    ck.selected.saturating_sub(1)
                };
                self.overlay = Some(Overlay::ChooseKey(ck));
                vec![]
            }
            (OverlayAction::PickKey, Overlay::ChooseKey(ck)) => {
                let Some(key) = ck.keys.get(ck.selected) else { return vec![] };
                let state = if key.active { "active" } else { "inactive" };
                self.overlay = Some(Overlay::Confirm(Confirm {
                    title: "Rotate the access key".into(),
                    lines: vec![
                        format!("Delete {}'s {state} access key {} now, then create a new one.", ck.user, key.id),
                        "Anything still using the deleted key stops working at once.".into(),
                        "The new secret is shown once, on the next screen.".into(),
                    ],
                    choices: vec![Choice {
                        key: 'y',
                        does: format!("delete {} and create a new key", key.id),
                        intent: Intent::Rotate { user: ck.user.clone(), delete_first: Some(key.id.clone()) },
                        then_quit: false,
                    }],
                    cancel: "cancel",
                    quitting: false,
                }));
                vec![]
            }
            (_, o) => {
                self.overlay = Some(o);
                vec![]
            }
        }
    }

    /// Carry out a confirmed intent: the only place that asks the runtime to write to the account.
    pub fn perform(&mut self, intent: Intent, then_quit: bool) -> Vec<Cmd> {
        if then_quit {
            self.quit_when_settled = true;
        }
        let cmds = match intent {
            Intent::Apply => {
                let Some(plan) = self.session.plan.ready().cloned() else { return vec![] };
                self.session.wrote = true;
                self.session.run = Run {
                    steps: plan
                        .steps
                        .iter()
                        .map(|_| StepRun { state: StepState::Pending, started: None, elapsed: None })
                        .collect(),
                    plan: Some(plan.clone()),
                    phase: Phase::Applying,
                    ..Run::default()
                };
                self.go(Screen::Run);
                vec![Cmd::Apply { plan, adopt: self.session.adopt }]
            }
            Intent::RollBack => match std::mem::take(&mut self.session.run.phase) {
                Phase::Failed(log) => {
                    self.session.run.phase = Phase::RollingBack;
                    self.rolling_back_key();
                    vec![Cmd::RollBack(log)]
                }
                other => {
                    self.session.run.phase = other;
                    vec![]
                }
            },
            Intent::Keep => {
                if self.session.run.awaiting_choice() {
                    self.session.run.phase = Phase::Kept;
                    self.session.run.notes.push("Kept what this run made; the summary lists it.".into());
                }
                vec![]
            }
            Intent::Stop { roll_back } => {
                if matches!(self.session.run.phase, Phase::Applying) {
                    self.session.run.phase = Phase::Stopping { roll_back };
                    self.say(if roll_back {
                        "Stopping: the running steps finish, then this run is rolled back…"
                    } else {
                        "Stopping: the running steps finish; what this run made is kept…"
                    });
                    vec![Cmd::Cancel]
                } else {
                    vec![]
                }
            }
            Intent::ListKeysToRotate { user } => {
                self.say(format!("Reading {user}'s access keys…"));
                vec![Cmd::ListKeys { user }]
            }
            Intent::Rotate { user, delete_first } => {
                self.session.wrote = true;
                self.session.key_writes += 1;
                self.say(format!("Creating a new access key for {user}…"));
                vec![Cmd::Rotate { user, delete_first }]
            }
            Intent::Retire { user, ids, delete } => {
                self.session.wrote = true;
                self.session.key_writes += 1;
                vec![Cmd::Retire { user, ids, delete }]
            }
            Intent::Quit => {
                self.should_quit = true;
                vec![]
            }
            Intent::Export(format) => match self.session.params.clone() {
                Some(params) => {
                    self.say(format!("Writing the {} export…", format.as_str()));
                    vec![Cmd::Export { params: Box::new(params), format }]
                }
                None => vec![],
            },
            // A quit waits for the deletion's answer (`settled`), so the exit can say whether the key is gone.
            Intent::DeleteKey { user, id } => self.delete_key(user, id),
            Intent::KeepUnseenKey { id } => {
                self.session.custody.keep(&id);
                self.after_leaving_secret();
                vec![]
            }
        };
        let mut cmds = cmds;
        cmds.extend(self.settled());
        cmds
    }

    /// Quit, after settling the run: a run in progress or awaiting a choice is never left silently.
    fn request_quit(&mut self, force: bool) -> Vec<Cmd> {
        // A second Ctrl-C: take the prompt's first (safe) choice, or leave now if the run is settling already.
        if force {
            if let Some(Overlay::Confirm(c)) = &self.overlay
                && c.quitting
            {
                let first = c.choices.first().cloned();
                self.overlay = None;
                if let Some(ch) = first {
                    return self.perform(ch.intent, ch.then_quit);
                }
            }
            if self.quit_when_settled {
                self.should_quit = true;
                return vec![];
            }
        }
        let Some(prompt) = self.quit_prompt() else {
            self.quit_when_settled = true;
            return self.settled();
        };
        self.overlay = Some(Overlay::Confirm(prompt));
        vec![]
    }

    fn quit_prompt(&self) -> Option<Confirm> {
        let s = &self.session;
        let made = summary::made_by_run(s);
        let quit = |key, does: &str, intent| Choice { key, does: does.into(), intent, then_quit: true };
        let prompt = |title: &str, lines: Vec<String>, choices| Confirm {
            title: title.into(),
            lines,
            choices,
            cancel: "stay",
            quitting: true,
        };
        match &s.run.phase {
            Phase::Applying => Some(prompt(
                "Quit while steps run?",
                vec![
                    "Steps are writing to the account now.".into(),
                    "b stops them and deletes or restores everything this run made (the default of a second Ctrl-C);"
                        .into(),
                    "k stops them and keeps what exists (a new key's secret is shown first); the summary printed on \
                     exit lists it."
                        .into(),
                ],
                vec![
                    quit('b', "stop, roll back, quit", Intent::Stop { roll_back: true }),
                    quit('k', "stop, keep, quit", Intent::Stop { roll_back: false }),
                ],
            )),
            Phase::Stopping { .. } | Phase::RollingBack => Some(prompt(
                "Quit before the run settles?",
                vec![
                    "The run is being stopped or rolled back.".into(),
                    "w quits as soon as that is done; y quits now and leaves part of this run in the account.".into(),
                ],
                vec![
                    Choice { key: 'w', does: "quit when settled".into(), intent: Intent::Keep, then_quit: true },
                    quit('y', "quit now", Intent::Quit),
                ],
            )),
            Phase::Failed(_) => {
                let mut lines = vec![format!("The run failed. It made or changed: {}.", list_or_none(&made))];
                let run_key = s.run.key.as_ref().is_some_and(|id| s.custody.is_live(id));
                if run_key {
                    lines.push("Its access key was never shown: rolling back deletes it.".into());
                }
                lines.push("b undoes all of it, then quits (the default of a second Ctrl-C);".into());
                lines.push(if run_key {
                    "k keeps it as it is, shows the key's secret once, then you quit; the summary printed on exit lists it."
                        .into()
                } else {
                    "k keeps it as it is and quits; the summary printed on exit lists it.".into()
                });
                Some(prompt(
                    "Quit after a failed run?",
                    lines,
                    vec![quit('b', "roll back, quit", Intent::RollBack), quit('k', "keep, quit", Intent::Keep)],
                ))
            }
            _ if self.screen == Screen::Secret => match s.custody.leave_all() {
                Leave::Unseen { user, id } => Some(secret::unseen_prompt(&user, &id, true)),
                Leave::Delivered { .. } => {
                    let mut lines =
                        vec!["The secret access key will be gone for good: AWS never shows it again.".into()];
                    if let (true, Some(n)) = (s.clipboard_holds_secret, self.clear_in()) {
                        lines.push(format!(
                            "The clipboard keeps it for {n} s more after the wizard exits, then it is cleared."
                        ));
                    }
                    if s.terminal_holds_secret {
                        lines.push("Your terminal's clipboard (OSC 52) is cleared of it as the wizard exits.".into());
                    }
                    Some(prompt("Quit?", lines, vec![quit('y', "quit", Intent::Quit)]))
                }
                Leave::Free => None,
            },
            _ if s.clipboard_holds_secret && self.clear_in().is_some_and(|n| n > 0) => {
                let n = self.clear_in().unwrap_or_default();
                Some(prompt(
                    "Quit?",
                    vec![format!(
                        "The clipboard still holds the secret access key: it keeps it for {n} s more after the \
                         wizard exits, then it is cleared."
                    )],
                    vec![quit('y', "quit", Intent::Quit)],
                ))
            }
            _ => None,
        }
    }

    /// What the shell is told on exit (nothing secret), and the exit code: 0 only when the setup is in place
    /// (or nothing was written) and every new key is active with its secret delivered, or kept at the
    /// operator's word. The keys' part comes from the custody.
    pub fn exit_report(&self) -> ExitReport {
        let s = &self.session;
        let keys = s.custody.outcomes();
        let (code, head) = match (self.run_verdict(), self.missing_key(&keys)) {
            ((0, _), Some(gap)) if s.wrote => {
                (1, format!("pinpoint-iam-wizard: every resource is in place but the access key: {gap}."))
            }
            ((code, head), _) if keys.iter().any(|k| k.end.orphaned()) || s.key_writes > 0 => (code.max(1), head),
            (verdict, _) => verdict,
        };
        let mut lines = vec![head];
        // Ended by a signal: say so, and let the code say it too, as a shell would for a killed process.
        let code = match self.signal {
            Some(n) => {
                lines.push(format!("pinpoint-iam-wizard: ended by signal {n}; the run was settled first."));
                u8::try_from(128 + n).unwrap_or(1)
            }
            None => code,
        };
        if s.wrote || s.plan.ready().is_some_and(|p| p.checked) {
            for r in &summary::rows(s) {
                // The ARN names the resource; one line each, so the terminal's soft wrap keeps it whole to copy.
                lines.push(format!("  {:<12} {:<7} {}", r.status, r.kind, r.arn));
            }
        }
        lines.extend(keys.iter().map(|k| format!("  new access key {} of {} ({})", k.id, k.user, self.key_end(k))));
        lines.extend(s.retired.iter().map(|r| format!("  {r}")));
        if s.key_writes > 0 {
            lines.push(
                "pinpoint-iam-wizard: quit before AWS answered a key rotation or retirement: list the user's keys \
                 (aws iam list-access-keys) to see what it did."
                    .into(),
            );
        }
        let undone = matches!(s.run.phase, Phase::RolledBack { errors: 0 });
        // Only when something of this run may remain: after a verified full rollback there is nothing to remove.
        if let Some(cmd) = summary::destroy_command(s).filter(|_| s.wrote && !undone) {
            lines.push(format!("Remove it later with: {cmd}"));
        }
        ExitReport { code, lines, keys }
    }

    /// The exit code and first line the run's phase alone calls for.
    fn run_verdict(&self) -> (u8, String) {
        let s = &self.session;
        let remaining = s
            .run
            .steps
            .iter()
            .filter(|st| {
                matches!(st.state, StepState::Done(crate::engine::Status::Left | crate::engine::Status::Unknown))
            })
            .count();
        match &s.run.phase {
            _ if !s.wrote => (0, "Nothing was written to the account.".to_string()),
            Phase::RolledBack { .. } if remaining > 0 => (
                1,
                format!(
                    "pinpoint-iam-wizard: the run did not complete; {remaining} of its writes remain or could not be checked."
                ),
            ),
            Phase::Completed | Phase::NotStarted => (0, "pinpoint-iam-wizard: the setup is in place.".to_string()),
            Phase::RolledBack { errors: 0 } => {
                (1, "pinpoint-iam-wizard: the run did not complete and was rolled back.".to_string())
            }
            Phase::RolledBack { errors } => {
                (1, format!("pinpoint-iam-wizard: the run did not complete; {errors} step(s) could not be undone."))
            }
            Phase::Kept | Phase::Failed(_) => {
                (1, "pinpoint-iam-wizard: the run did not complete; what it made was kept.".to_string())
            }
            Phase::Applying | Phase::Stopping { .. } | Phase::RollingBack => (
                1,
                "pinpoint-iam-wizard: quit before the run settled; part of it may remain in the account.".to_string(),
            ),
        }
    }

    /// A user who got a key in this session and is left without one anyone can use, in words with the command
    /// that makes a new one.
    fn missing_key(&self, keys: &[KeyOutcome]) -> Option<String> {
        let s = &self.session;
        let usable = |user: &str| {
            keys.iter().any(|k| k.user == user && matches!(k.end, KeyEnd::Delivered(_) | KeyEnd::KeptUnseen))
                || s.old_keys.as_ref().is_some_and(|(u, old)| u == user && old.iter().any(|k| k.active))
        };
        let lost = keys.iter().find(|k| !usable(&k.user))?;
        let what = match lost.end {
            KeyEnd::Deleted => format!("{}'s new key {} was deleted, its secret never shown", lost.user, lost.id),
            _ => format!("nobody has the secret of {}'s new key {}", lost.user, lost.id),
        };
        Some(match summary::command(s, &format!("rotate-key --user {}", lost.user)) {
            Some(cmd) => format!("{what}; make a new one with: {cmd}"),
            None => what,
        })
    }

    /// How one new key ends, in words, with the command that deals with it.
    fn key_end(&self, k: &KeyOutcome) -> String {
        let s = &self.session;
        let rotate = summary::command(s, &format!("rotate-key --user {}", k.user)).unwrap_or_default();
        match &k.end {
            KeyEnd::Delivered(d) => {
                let ways: Vec<&str> = [(d.revealed, "revealed"), (d.copied, "copied"), (d.saved, "saved")]
                    .into_iter()
                    .filter_map(|(on, w)| on.then_some(w))
                    .collect();
                format!("active; its secret was shown once, in the wizard: {}", ways.join(", "))
            }
            KeyEnd::KeptUnseen => {
                format!("active, kept without its secret as you chose: nobody can use it; a new one: {rotate}")
            }
            KeyEnd::Unseen => format!(
                "active; its secret was never revealed, copied or saved: delete it (retire-key) and make a new one: \
                 {rotate}"
            ),
            KeyEnd::Deleted => "deleted: its secret was never shown (checked: the account no longer lists it)".into(),
            KeyEnd::MaybeActive => format!(
                "may still be active, its secret seen by no one: it could not be deleted or checked; delete it with \
                 retire-key --user {} --key {} (deactivate, then --delete)",
                k.user, k.id
            ),
        }
    }
}

/// What `tui::run` returns: the exit code and the lines printed to the shell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExitReport {
    pub code: u8,
    pub lines: Vec<String>,
    /// How each key made in this session ends (from the custody), for tests and callers that decide on it.
    pub keys: Vec<KeyOutcome>,
}

/// The documents' errors and security warnings in one sentence, remembered for the last documents asked about:
/// every plan of a session (a retry, a return from the preview) is of the same documents, and the check reads
/// every statement of every document.
fn serious(desired: &Desired) -> Option<String> {
    static LAST: std::sync::Mutex<Option<(Desired, Option<String>)>> = std::sync::Mutex::new(None);
    let mut last = LAST.lock().unwrap_or_else(|e| e.into_inner());
    match &*last {
        Some((d, said)) if d == desired => said.clone(),
        _ => {
            let said = crate::setup::findings::serious(desired);
            *last = Some((desired.clone(), said.clone()));
            said
        }
    }
}

fn list_or_none(v: &[String]) -> String {
    if v.is_empty() { "nothing".into() } else { v.join(", ") }
}

/// What a key does in an overlay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverlayAction {
    Close,
    Choose(usize),
    Move(bool),
    PickKey,
}

/// The keys of an open overlay (the only keys that act while it is open, besides Ctrl-C).
pub fn overlay_bindings(o: &Overlay) -> Vec<Binding<OverlayAction>> {
    match o {
        Overlay::Help => {
            vec![Binding::new(
                &[Key::Code(KeyCode::Esc), Key::char('?'), Key::Code(KeyCode::F(1))],
                "Esc/?",
                "close help",
                OverlayAction::Close,
            )]
        }
        Overlay::Details { .. } => vec![Binding::new(
            &[Key::Code(KeyCode::Esc), Key::Code(KeyCode::F(2))],
            "Esc/F2",
            "close",
            OverlayAction::Close,
        )],
        Overlay::Confirm(c) => {
            let mut v: Vec<Binding<OverlayAction>> = c
                .choices
                .iter()
                .enumerate()
                .map(|(i, ch)| Binding {
                    keys: vec![Key::char(ch.key)],
                    label: choice_label(ch.key),
                    does: ch.does.clone(),
                    action: OverlayAction::Choose(i),
                })
                .collect();
            v.push(Binding::new(&[Key::Code(KeyCode::Esc)], "Esc", c.cancel, OverlayAction::Close));
            v
        }
        Overlay::ChooseKey(_) => vec![
            Binding::new(&[Key::Code(KeyCode::Down)], "↓", "next key", OverlayAction::Move(true)),
            Binding::new(&[Key::Code(KeyCode::Up)], "↑", "previous key", OverlayAction::Move(false)),
            Binding::new(&[Key::Code(KeyCode::Enter)], "Enter", "delete it and rotate…", OverlayAction::PickKey),
            Binding::new(&[Key::Code(KeyCode::Esc)], "Esc", "cancel", OverlayAction::Close),
        ],
    }
}

fn choice_label(c: char) -> &'static str {
    match c {
        'b' => "b",
        'k' => "k",
        'w' => "w",
        'y' => "y",
        'd' => "d",
        'x' => "x",
        '1' => "1",
        '2' => "2",
        '3' => "3",
        '4' => "4",
        _ => "?",
    }
}

/// The export overlay: which format to write, and where each goes (the working directory, never over a file).
pub fn export_prompt() -> Confirm {
    use crate::export::ExportFormat;
    let choice = |key, format: ExportFormat, does: &str| Choice {
        key,
        does: does.into(),
        intent: Intent::Export(format),
        then_quit: false,
    };
    Confirm {
        title: "Export".into(),
        lines: vec![
            "Write this setup for another tool, into the working directory (a new name, never over a file). \
             Nothing is sent to AWS."
                .into(),
            "1 CloudFormation template (pinpoint-iam.yaml): account and Region from the stack.".into(),
            "2 AWS CLI script (pinpoint-iam-cli/setup.sh) with the documents beside it.".into(),
            "3 Terraform (pinpoint-iam-terraform/main.tf).".into(),
            "4 Every document as JSON (pinpoint-iam-export-documents/).".into(),
            "None of them holds an access key or a secret.".into(),
        ],
        choices: vec![
            choice('1', ExportFormat::CloudFormation, "CloudFormation"),
            choice('2', ExportFormat::Cli, "CLI script"),
            choice('3', ExportFormat::Terraform, "Terraform"),
            choice('4', ExportFormat::Documents, "documents"),
        ],
        cancel: "cancel",
        quitting: false,
    }
}
