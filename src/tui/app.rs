//! The wizard's state, the messages that change it, and the commands it asks the runtime to carry out.
//! `update` never awaits and never touches AWS: work is asked for as a [`Cmd`] and comes back as a [`Msg`].

use crate::access_keys::Rotation;
use crate::apply::{ApplyReport, Event, RollbackLog, Status};
use crate::aws::Identity;
use crate::aws::iam::AccessKeyInfo;
use crate::aws::listings::Project;
use crate::plan::{Action, Plan};
use crate::secret::NewAccessKey;
use crate::setup::{AccountId, BucketName, Desired, IamName, NAME_FIELDS, Params, ProjectId, Region, SetupKind};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::sync::Arc;
use std::time::{Duration, Instant};

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
        }
    }
}

/// Something that arrives later.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Load<T> {
    #[default]
    Idle,
    Loading,
    Ready(T),
    Failed(String),
}

/// What the identity screen knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IdentityState {
    Loading,
    Found { account: AccountId, arn: String },
    Failed(String),
}

impl IdentityState {
    pub fn is_failed(&self) -> bool {
        matches!(self, IdentityState::Failed(_))
    }
}

/// What the runtime found when it loaded the configuration and asked STS.
pub struct Detected {
    pub region: Option<Region>,
    pub profile: Option<String>,
    pub endpoint: Option<String>,
    pub identity: Result<Identity, String>,
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

/// A list to pick from, filtered by what the user typed; typed text is always a valid choice too.
#[derive(Debug, Clone)]
pub struct Picker<T> {
    pub items: Load<Vec<T>>,
    pub filter: String,
    /// Index into the filtered items; `None` means the typed text is the value.
    pub selected: Option<usize>,
}

impl<T> Default for Picker<T> {
    fn default() -> Self {
        Picker { items: Load::Idle, filter: String::new(), selected: None }
    }
}

/// An item a picker can show and match.
pub trait PickItem {
    fn label(&self) -> String;
    fn value(&self) -> String;
}

impl PickItem for String {
    fn label(&self) -> String {
        self.clone()
    }
    fn value(&self) -> String {
        self.clone()
    }
}

impl PickItem for Project {
    fn label(&self) -> String {
        format!("{}  ({})", self.name, self.id)
    }
    fn value(&self) -> String {
        self.id.clone()
    }
}

impl<T: PickItem> Picker<T> {
    pub fn filtered(&self) -> Vec<&T> {
        let needle = self.filter.to_lowercase();
        match &self.items {
            Load::Ready(items) => items.iter().filter(|i| i.label().to_lowercase().contains(&needle)).collect(),
            _ => vec![],
        }
    }

    pub fn value(&self) -> String {
        self.selected.and_then(|i| self.filtered().get(i).map(|t| t.value())).unwrap_or_else(|| self.filter.clone())
    }

    fn type_char(&mut self, c: char) {
        self.filter.push(c);
        self.selected = None;
    }

    fn backspace(&mut self) {
        if self.selected.take().is_none() {
            self.filter.pop();
        }
    }

    fn move_selection(&mut self, down: bool) {
        let n = self.filtered().len();
        if n == 0 {
            return;
        }
        self.selected = match (self.selected, down) {
            (None, true) => Some(0),
            (None, false) => Some(n - 1),
            (Some(i), true) if i + 1 < n => Some(i + 1),
            (Some(0), false) => None,
            (Some(i), false) => Some(i - 1),
            (keep, _) => keep,
        };
    }
}

/// The fields of the parameters screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamField {
    Bucket,
    Project,
    Name(usize),
    Harden,
}

/// A step as the run screen shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StepState {
    Pending,
    Running,
    Done(Status),
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

/// The run screen.
#[derive(Debug, Default)]
pub struct RunState {
    pub steps: Vec<StepRun>,
    pub active: bool,
    pub failure: Option<(usize, String)>,
    pub rolling_back: bool,
    pub rollback_log: Option<RollbackLog>,
    pub notes: Vec<String>,
    pub done: bool,
}

impl RunState {
    pub fn finished(&self) -> bool {
        self.done && !self.active && !self.rolling_back
    }

    pub fn failed_and_done(&self) -> bool {
        self.finished() && self.failure.is_some() && self.rollback_log.is_some()
    }

    pub fn finished_count(&self) -> usize {
        self.steps.iter().filter(|s| !matches!(s.state, StepState::Pending | StepState::Running)).count()
    }
}

/// What the secret screen is asking for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SavePrompt {
    Profile { name: String, confirm_overwrite: bool },
    Csv { path: String },
}

/// The secret screen.
#[derive(Debug, Default)]
pub struct SecretState {
    pub key: Option<NewAccessKey>,
    pub revealed: bool,
    pub copy_status: Option<String>,
    pub confirm_leave: bool,
    /// When the copied secret is cleared from the clipboard.
    pub clear_at: Option<Instant>,
    /// Seconds left before that, for the countdown.
    pub clear_in: Option<u64>,
    pub prompt: Option<SavePrompt>,
    pub saved: Vec<String>,
}

/// Choosing which of two keys to delete before a rotation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RotateChoice {
    pub user: String,
    pub keys: Vec<AccessKeyInfo>,
    pub selected: usize,
}

/// A saving that did not happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SaveFailure {
    ProfileExists(String),
    Other(String),
}

/// What the user is asked before quitting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QuitPrompt {
    Running,
    SecretUnsaved,
}

/// Everything the wizard shows; `view` is a pure function of it.
pub struct App {
    pub screen: Screen,
    pub tick: u64,
    pub setup_choice: usize,
    pub identity: IdentityState,
    pub region: String,
    pub region_loaded: Option<Region>,
    pub profile: Option<String>,
    pub endpoint: Option<String>,
    pub account_input: String,
    pub identity_focus: usize,
    pub buckets: Picker<String>,
    pub projects: Picker<Project>,
    pub names: Vec<String>,
    pub harden: bool,
    pub params_focus: usize,
    pub params_error: Option<String>,
    pub desired: Option<Desired>,
    pub preview_tab: usize,
    pub preview_scroll: u16,
    pub plan: Load<Arc<Plan>>,
    pub plan_scroll: u16,
    pub adopt: bool,
    pub run: RunState,
    pub secret: SecretState,
    pub summary_scroll: u16,
    pub help: bool,
    pub quit_prompt: Option<QuitPrompt>,
    /// Quitting was confirmed while steps ran: the run is being stopped and rolled back first.
    pub quitting: bool,
    pub should_quit: bool,
    pub status: Option<String>,
    pub clipboard_timeout: Duration,
    pub rotate: Option<RotateChoice>,
    /// After a rotation: the user and the keys the new one replaces, to deactivate and later delete.
    pub old_keys: Option<(String, Vec<AccessKeyInfo>)>,
}

/// Work for the runtime; results come back as messages.
#[derive(Debug)]
pub enum Cmd {
    Detect {
        region: Option<Region>,
    },
    ListBuckets,
    ListProjects,
    Plan(Box<Params>),
    Apply {
        plan: Arc<Plan>,
        adopt: bool,
    },
    RollBack(RollbackLog),
    /// Stop the running apply (it then reports a failure, and its writes can be rolled back).
    Cancel,
    CopySecret,
    CopyKeyId,
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

/// Everything that can happen.
#[derive(Debug)]
pub enum Msg {
    Key(KeyEvent),
    Tick,
    Resize,
    Detected(Box<Detected>),
    Buckets(Result<Vec<String>, String>),
    Projects(Result<Vec<Project>, String>),
    Planned(Box<Result<Plan, String>>),
    Engine(Event),
    Applied(Result<ApplyReport, String>),
    RolledBack(Vec<String>),
    /// A copy's result in words, and whether the secret (not the key id) went to a clipboard.
    Copied {
        status: String,
        secret: bool,
    },
    ClipboardCleared(bool),
    Saved(Result<String, SaveFailure>),
    Keys(Result<Vec<AccessKeyInfo>, String>),
    Rotated(Box<Result<Rotation, String>>),
    Retired(Result<String, String>),
}

pub const SETUP_CHOICES: [SetupKind; 3] = [SetupKind::Postman, SetupKind::SegmentImport, SetupKind::All];

impl Default for App {
    fn default() -> Self {
        Self::new()
    }
}

impl App {
    pub fn new() -> Self {
        App {
            screen: Screen::Welcome,
            tick: 0,
            setup_choice: 2,
            identity: IdentityState::Loading,
            region: String::new(),
            region_loaded: None,
            profile: None,
            endpoint: None,
            account_input: String::new(),
            identity_focus: 0,
            buckets: Picker::default(),
            projects: Picker::default(),
            names: NAME_FIELDS.iter().map(|f| f.default.to_string()).collect(),
            harden: false,
            params_focus: 0,
            params_error: None,
            desired: None,
            preview_tab: 0,
            preview_scroll: 0,
            plan: Load::Idle,
            plan_scroll: 0,
            adopt: false,
            run: RunState::default(),
            secret: SecretState::default(),
            summary_scroll: 0,
            help: false,
            quit_prompt: None,
            quitting: false,
            should_quit: false,
            status: None,
            clipboard_timeout: Duration::from_secs(60),
            rotate: None,
            old_keys: None,
        }
    }

    /// The user whose existing key the plan keeps, and who can get a new one by rotation.
    pub fn rotatable_user(&self) -> Option<String> {
        let Load::Ready(plan) = &self.plan else { return None };
        plan.steps.iter().find_map(|s| match s.kind {
            crate::plan::StepKind::AccessKey(u) if s.action == Action::Unchanged && plan.checked => {
                Some(plan.desired.users[u].name.to_string())
            }
            _ => None,
        })
    }

    /// The commands to run at start: detection begins before the first frame is even drawn.
    pub fn init(&mut self) -> Vec<Cmd> {
        vec![Cmd::Detect { region: None }]
    }

    pub fn setup(&self) -> SetupKind {
        SETUP_CHOICES[self.setup_choice]
    }

    pub fn online(&self) -> bool {
        matches!(self.identity, IdentityState::Found { .. })
    }

    pub fn busy(&self) -> bool {
        self.run.active || self.run.rolling_back
    }

    pub fn plan_has_conflicts(&self) -> bool {
        matches!(&self.plan, Load::Ready(p) if p.conflicts().next().is_some())
    }

    /// The account id in use: detected, or typed when detection failed.
    pub fn account(&self) -> Result<AccountId, String> {
        match &self.identity {
            IdentityState::Found { account, .. } => Ok(account.clone()),
            _ => AccountId::parse("Account id", &self.account_input).map_err(|e| e.rule),
        }
    }

    pub fn region_value(&self) -> Result<Region, String> {
        Region::parse("Region", self.region.trim()).map_err(|e| e.rule)
    }

    /// The fields the chosen setup needs, in focus order.
    pub fn param_fields(&self) -> Vec<ParamField> {
        let setup = self.setup();
        let mut out = vec![];
        if setup.includes_import() {
            out.push(ParamField::Bucket);
            out.push(ParamField::Project);
        }
        for (i, f) in NAME_FIELDS.iter().enumerate() {
            if (f.postman && setup.includes_postman()) || (!f.postman && setup.includes_import()) {
                out.push(ParamField::Name(i));
            }
        }
        if setup.includes_import() {
            out.push(ParamField::Harden);
        }
        out
    }

    /// The rule a field's current value breaks, if any.
    pub fn field_error(&self, f: ParamField) -> Option<String> {
        match f {
            ParamField::Bucket => BucketName::parse("Bucket", &self.buckets.value()).err().map(|e| e.rule),
            ParamField::Project => ProjectId::parse("Project", &self.projects.value()).err().map(|e| e.rule),
            ParamField::Name(i) => {
                let nf = &NAME_FIELDS[i];
                IamName::parse(nf.label, nf.kind, &self.names[i]).err().map(|e| e.rule)
            }
            ParamField::Harden => None,
        }
    }

    /// The validated parameters, or the first problem in plain words.
    pub fn params(&self) -> Result<Params, String> {
        let account = self.account().map_err(|e| format!("Account id: {e}"))?;
        let region = self.region_value().map_err(|e| format!("Region: {e}"))?;
        let mut p = Params::new(self.setup(), account, region);
        for f in self.param_fields() {
            if let Some(e) = self.field_error(f) {
                return Err(format!("{}: {e}", self.field_label(f)));
            }
            match f {
                ParamField::Bucket => p.bucket = BucketName::parse("Bucket", &self.buckets.value()).ok(),
                ParamField::Project => p.project = ProjectId::parse("Project", &self.projects.value()).ok(),
                ParamField::Name(i) => {
                    let nf = &NAME_FIELDS[i];
                    *(nf.get_mut)(&mut p.names) =
                        IamName::parse(nf.label, nf.kind, &self.names[i]).map_err(|e| e.rule)?;
                }
                ParamField::Harden => p.harden = self.harden,
            }
        }
        p.check().map_err(|e| match e {
            crate::setup::SetupError::DuplicateName { first, second, name } => {
                let label = |flag: &str| NAME_FIELDS.iter().find(|f| f.flag == flag).map(|f| f.label).unwrap_or("");
                format!("{} and {} are both named {name:?}: each needs its own name", label(first), label(second))
            }
            other => other.to_string(),
        })?;
        Ok(p)
    }

    pub fn field_label(&self, f: ParamField) -> &'static str {
        match f {
            ParamField::Bucket => "S3 bucket",
            ParamField::Project => "Pinpoint project",
            ParamField::Name(i) => NAME_FIELDS[i].label,
            ParamField::Harden => "Harden Pinpoint trust",
        }
    }

    /// Whether the identity screen may go on, and why not.
    pub fn identity_blocker(&self) -> Option<String> {
        if let Err(e) = self.region_value() {
            return Some(format!("Region: {e}"));
        }
        match &self.identity {
            IdentityState::Loading => Some("waiting for STS…".into()),
            IdentityState::Found { .. } => None,
            IdentityState::Failed(_) => self.account().err().map(|e| format!("Account id: {e}")),
        }
    }

    /// Why apply is not possible, if it is not.
    pub fn apply_blocker(&self) -> Option<String> {
        if !self.online() {
            return Some(
                "apply is disabled offline: the account could not be read with these credentials (previews still work)"
                    .into(),
            );
        }
        match &self.plan {
            Load::Ready(p) if p.conflicts().next().is_some() && !self.adopt => {
                Some("conflicts: press a to adopt them, or go back and rename".into())
            }
            Load::Ready(_) => None,
            Load::Loading | Load::Idle => Some("the plan is still being made…".into()),
            Load::Failed(e) => Some(format!("no plan: {e}")),
        }
    }

    pub fn update(&mut self, msg: Msg) -> Vec<Cmd> {
        match msg {
            Msg::Tick => {
                self.tick = self.tick.wrapping_add(1);
                let now = Instant::now();
                for s in &mut self.run.steps {
                    if let (StepState::Running, Some(t)) = (&s.state, s.started) {
                        s.elapsed = Some(now - t);
                    }
                }
                match self.secret.clear_at {
                    Some(at) if now >= at => {
                        self.secret.clear_at = None;
                        self.secret.clear_in = None;
                        return vec![Cmd::ClearClipboard];
                    }
                    Some(at) => self.secret.clear_in = Some((at - now).as_secs() + 1),
                    None => {}
                }
                vec![]
            }
            Msg::Resize => vec![],
            Msg::Key(k) => self.on_key(k),
            Msg::Detected(d) => self.on_detected(*d),
            Msg::Buckets(r) => {
                self.buckets.items = match r {
                    Ok(v) => Load::Ready(v),
                    Err(e) => Load::Failed(e),
                };
                vec![]
            }
            Msg::Projects(r) => {
                self.projects.items = match r {
                    Ok(v) => Load::Ready(v),
                    Err(e) => Load::Failed(e),
                };
                vec![]
            }
            Msg::Planned(r) => {
                self.plan = match *r {
                    Ok(p) => Load::Ready(Arc::new(p)),
                    Err(e) => Load::Failed(e),
                };
                vec![]
            }
            Msg::Engine(e) => {
                self.on_engine(e);
                vec![]
            }
            Msg::Applied(r) => self.on_applied(r),
            Msg::RolledBack(errors) => {
                if self.quitting {
                    self.should_quit = true;
                }
                self.run.rolling_back = false;
                self.run.rollback_log = None;
                if errors.is_empty() {
                    self.run.notes.push("Everything this run created was rolled back.".into());
                } else {
                    self.run.notes.extend(errors.into_iter().map(|e| format!("Rollback failed: {e}")));
                }
                vec![]
            }
            Msg::Copied { status, secret } => {
                self.secret.copy_status = Some(status);
                if secret {
                    self.secret.clear_at = Some(Instant::now() + self.clipboard_timeout);
                    self.secret.clear_in = Some(self.clipboard_timeout.as_secs());
                }
                vec![]
            }
            Msg::ClipboardCleared(cleared) => {
                self.secret.copy_status = Some(if cleared {
                    "The clipboard was cleared: it no longer holds the secret.".into()
                } else {
                    "The clipboard no longer held the secret: left as it is.".into()
                });
                vec![]
            }
            Msg::Saved(r) => {
                match r {
                    Ok(done) => {
                        self.secret.prompt = None;
                        self.secret.saved.push(done);
                    }
                    Err(SaveFailure::ProfileExists(name)) => {
                        self.secret.prompt = Some(SavePrompt::Profile { name, confirm_overwrite: true });
                    }
                    Err(SaveFailure::Other(e)) => self.status = Some(e),
                }
                vec![]
            }
            Msg::Keys(r) => match r {
                Ok(keys) if keys.len() >= 2 => {
                    let user = self.rotatable_user().unwrap_or_default();
                    self.rotate = Some(RotateChoice { user, keys, selected: 0 });
                    vec![]
                }
                Ok(_) => {
                    let user = self.rotatable_user().unwrap_or_default();
                    self.status = Some(format!("creating a new access key for {user}…"));
                    vec![Cmd::Rotate { user, delete_first: None }]
                }
                Err(e) => {
                    self.status = Some(e);
                    vec![]
                }
            },
            Msg::Rotated(r) => {
                match *r {
                    Ok(rotation) => {
                        self.status = rotation.deleted_first.map(|d| format!("deleted access key {d} first"));
                        self.old_keys = Some((rotation.key.user_name.clone(), rotation.old));
                        self.secret = SecretState { key: Some(rotation.key), ..SecretState::default() };
                        self.screen = Screen::Secret;
                    }
                    Err(e) => self.status = Some(e),
                }
                vec![]
            }
            Msg::Retired(r) => {
                match r {
                    Ok(done) => {
                        self.status = Some(done);
                        if let Some((_, keys)) = &mut self.old_keys {
                            keys.iter_mut().for_each(|k| k.active = false);
                        }
                    }
                    Err(e) => self.status = Some(e),
                }
                vec![]
            }
        }
    }

    fn on_detected(&mut self, d: Detected) -> Vec<Cmd> {
        self.profile = d.profile;
        self.endpoint = d.endpoint;
        if let Some(r) = &d.region {
            self.region = r.to_string();
        }
        self.region_loaded = d.region;
        match d.identity {
            Ok(id) => {
                self.identity = IdentityState::Found { account: id.account, arn: id.arn };
                self.buckets.items = Load::Loading;
                self.projects.items = Load::Loading;
                vec![Cmd::ListBuckets, Cmd::ListProjects]
            }
            Err(e) => {
                self.identity = IdentityState::Failed(e);
                self.identity_focus = if self.region_value().is_err() { 0 } else { 1 };
                let offline = "offline: the account could not be read; type the value".to_string();
                self.buckets.items = Load::Failed(offline.clone());
                self.projects.items = Load::Failed(offline);
                vec![]
            }
        }
    }

    fn on_engine(&mut self, e: Event) {
        let now = Instant::now();
        let set = |run: &mut RunState, i: usize, state: StepState| {
            if let Some(s) = run.steps.get_mut(i) {
                if let Some(t) = s.started {
                    s.elapsed = Some(now - t);
                }
                s.state = state;
            }
        };
        match e {
            Event::Started(i) => {
                if let Some(s) = self.run.steps.get_mut(i) {
                    s.state = StepState::Running;
                    s.started = Some(now);
                    s.elapsed = Some(Duration::ZERO);
                }
            }
            Event::Retrying { step, attempt, .. } => {
                self.run.notes.push(format!("step {} not visible in IAM yet: try {}", step + 1, attempt + 1));
            }
            Event::Finished { step, status } => set(&mut self.run, step, StepState::Done(status)),
            Event::Failed { step, error } => {
                set(&mut self.run, step, StepState::Failed(error.to_string()));
                self.run.failure.get_or_insert((step, error.to_string()));
            }
            Event::Skipped(i) => set(&mut self.run, i, StepState::Skipped),
            Event::RollingBack => self.run.rolling_back = true,
            Event::RolledBack(i) => set(&mut self.run, i, StepState::RolledBack),
            Event::RollbackFailed { step, error } => {
                self.run.notes.push(format!("rollback of step {} failed: {error}", step + 1))
            }
            Event::Done => self.run.done = true,
        }
    }

    fn on_applied(&mut self, r: Result<ApplyReport, String>) -> Vec<Cmd> {
        self.run.active = false;
        self.run.done = true;
        match r {
            Ok(report) => {
                if self.quitting {
                    // Quit was confirmed mid-run: undo this run's writes (an unseen key included), then leave.
                    self.secret.key = None;
                    if report.rollback_log.is_empty() {
                        self.should_quit = true;
                        return vec![];
                    }
                    self.run.rolling_back = true;
                    return vec![Cmd::RollBack(report.rollback_log)];
                }
                // After a failure the key (if any) stays until the user chooses: a rollback deletes it.
                let succeeded = report.succeeded();
                self.secret.key = report.access_key;
                if succeeded {
                    self.screen = if self.secret.key.is_some() { Screen::Secret } else { Screen::Run };
                } else {
                    self.run.rollback_log = Some(report.rollback_log);
                }
            }
            Err(e) => {
                self.run.failure = Some((usize::MAX, e.clone()));
                self.run.notes.push(e);
            }
        }
        vec![]
    }

    fn start_run(&mut self, plan: Arc<Plan>) -> Vec<Cmd> {
        self.run = RunState {
            steps: plan
                .steps
                .iter()
                .map(|_| StepRun { state: StepState::Pending, started: None, elapsed: None })
                .collect(),
            active: true,
            ..RunState::default()
        };
        self.screen = Screen::Run;
        vec![Cmd::Apply { plan, adopt: self.adopt }]
    }

    fn go_plan(&mut self) -> Vec<Cmd> {
        match self.params() {
            Ok(p) => {
                self.plan = Load::Loading;
                self.plan_scroll = 0;
                self.screen = Screen::Plan;
                vec![Cmd::Plan(Box::new(p))]
            }
            Err(e) => {
                self.status = Some(e);
                vec![]
            }
        }
    }

    fn after_run(&mut self) {
        self.screen = if self.secret.key.is_some() { Screen::Secret } else { Screen::Summary };
    }

    fn on_key(&mut self, k: KeyEvent) -> Vec<Cmd> {
        let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl && k.code == KeyCode::Char('c') {
            if self.quitting {
                self.should_quit = true;
                return vec![];
            }
            return self.request_quit(true);
        }
        if let Some(prompt) = self.quit_prompt {
            match k.code {
                KeyCode::Char('y') | KeyCode::Char('Y') if prompt == QuitPrompt::Running && self.run.active => {
                    self.quit_prompt = None;
                    self.quitting = true;
                    self.status = Some("stopping: the running steps finish, then this run is rolled back…".into());
                    return vec![Cmd::Cancel];
                }
                KeyCode::Char('y') | KeyCode::Char('Y') => self.should_quit = true,
                KeyCode::Char('n') | KeyCode::Char('N') | KeyCode::Esc => self.quit_prompt = None,
                _ => {}
            }
            return vec![];
        }
        if let Some(choice) = &mut self.rotate {
            match k.code {
                KeyCode::Up => choice.selected = choice.selected.saturating_sub(1),
                KeyCode::Down => choice.selected = (choice.selected + 1).min(choice.keys.len() - 1),
                KeyCode::Enter => {
                    let (user, id) = (choice.user.clone(), choice.keys[choice.selected].id.clone());
                    self.rotate = None;
                    return vec![Cmd::Rotate { user, delete_first: Some(id) }];
                }
                KeyCode::Esc => self.rotate = None,
                _ => {}
            }
            return vec![];
        }
        if self.secret.prompt.is_some() && self.screen == Screen::Secret {
            return self.key_save_prompt(k);
        }
        if self.help {
            if matches!(k.code, KeyCode::Esc | KeyCode::Char('?') | KeyCode::Char('q') | KeyCode::Enter) {
                self.help = false;
            }
            return vec![];
        }
        if k.code == KeyCode::Char('?') {
            self.help = true;
            return vec![];
        }
        let typing = matches!(self.screen, Screen::Identity | Screen::Params);
        if k.code == KeyCode::Char('q') && !typing && !self.secret.confirm_leave {
            return self.request_quit(false);
        }
        self.status = None;
        match self.screen {
            Screen::Welcome => self.key_welcome(k),
            Screen::Identity => self.key_identity(k),
            Screen::Params => self.key_params(k),
            Screen::Preview => self.key_preview(k),
            Screen::Plan => self.key_plan(k),
            Screen::Run => self.key_run(k),
            Screen::Secret => self.key_secret(k),
            Screen::Summary => self.key_summary(k),
        }
    }

    fn request_quit(&mut self, force: bool) -> Vec<Cmd> {
        let prompt = if self.busy() {
            Some(QuitPrompt::Running)
        } else if self.screen == Screen::Secret && self.secret.key.is_some() {
            Some(QuitPrompt::SecretUnsaved)
        } else {
            None
        };
        match prompt {
            // A second Ctrl-C while asked quits anyway.
            Some(_) if force && self.quit_prompt.is_some() => self.should_quit = true,
            Some(p) => self.quit_prompt = Some(p),
            None => self.should_quit = true,
        }
        vec![]
    }

    fn key_welcome(&mut self, k: KeyEvent) -> Vec<Cmd> {
        match k.code {
            KeyCode::Up => self.setup_choice = self.setup_choice.saturating_sub(1),
            KeyCode::Down => self.setup_choice = (self.setup_choice + 1).min(SETUP_CHOICES.len() - 1),
            KeyCode::Char(c @ '1'..='3') => self.setup_choice = c as usize - '1' as usize,
            KeyCode::Enter => {
                self.params_focus = 0;
                self.screen = Screen::Identity;
            }
            _ => {}
        }
        vec![]
    }

    fn key_identity(&mut self, k: KeyEvent) -> Vec<Cmd> {
        let fields = if self.identity.is_failed() { 2 } else { 1 };
        match k.code {
            KeyCode::Esc => self.screen = Screen::Welcome,
            KeyCode::Tab | KeyCode::BackTab => self.identity_focus = (self.identity_focus + 1) % fields,
            KeyCode::F(5) => {
                self.identity = IdentityState::Loading;
                return vec![Cmd::Detect { region: self.region_value().ok() }];
            }
            KeyCode::Backspace => {
                self.identity_field().pop();
            }
            KeyCode::Char(c) if !c.is_control() => self.identity_field().push(c),
            KeyCode::Enter => {
                if let Some(why) = self.identity_blocker() {
                    self.status = Some(why);
                    return vec![];
                }
                let region = self.region_value().ok();
                if region != self.region_loaded {
                    // A new Region: detect again there (and list its buckets and projects).
                    self.identity = IdentityState::Loading;
                    self.screen = Screen::Params;
                    return vec![Cmd::Detect { region }];
                }
                self.screen = Screen::Params;
            }
            _ => {}
        }
        vec![]
    }

    fn identity_field(&mut self) -> &mut String {
        if self.identity_focus == 1 && self.identity.is_failed() { &mut self.account_input } else { &mut self.region }
    }

    fn key_params(&mut self, k: KeyEvent) -> Vec<Cmd> {
        let fields = self.param_fields();
        let n = fields.len();
        self.params_focus = self.params_focus.min(n - 1);
        let focus = fields[self.params_focus];
        self.params_error = None;
        match (k.code, focus) {
            (KeyCode::Esc, _) => self.screen = Screen::Identity,
            (KeyCode::Tab, _) => self.params_focus = (self.params_focus + 1) % n,
            (KeyCode::BackTab, _) => self.params_focus = (self.params_focus + n - 1) % n,
            (KeyCode::Enter, _) => match self.params() {
                Ok(p) => match p.desired() {
                    Ok(d) => {
                        self.desired = Some(d);
                        self.preview_tab = 0;
                        self.preview_scroll = 0;
                        self.screen = Screen::Preview;
                    }
                    Err(e) => self.params_error = Some(e.to_string()),
                },
                Err(e) => {
                    if let Some(i) = fields.iter().position(|f| self.field_error(*f).is_some()) {
                        self.params_focus = i;
                    }
                    self.params_error = Some(e);
                }
            },
            (KeyCode::Char(' '), ParamField::Harden) => self.harden = !self.harden,
            (KeyCode::Up | KeyCode::Down, ParamField::Bucket) => self.buckets.move_selection(k.code == KeyCode::Down),
            (KeyCode::Up | KeyCode::Down, ParamField::Project) => self.projects.move_selection(k.code == KeyCode::Down),
            (KeyCode::Up, _) => self.params_focus = (self.params_focus + n - 1) % n,
            (KeyCode::Down, _) => self.params_focus = (self.params_focus + 1) % n,
            (KeyCode::Backspace, ParamField::Bucket) => self.buckets.backspace(),
            (KeyCode::Backspace, ParamField::Project) => self.projects.backspace(),
            (KeyCode::Backspace, ParamField::Name(i)) => {
                self.names[i].pop();
            }
            (KeyCode::Char(c), ParamField::Bucket) if !c.is_control() => self.buckets.type_char(c),
            (KeyCode::Char(c), ParamField::Project) if !c.is_control() => self.projects.type_char(c),
            (KeyCode::Char(c), ParamField::Name(i)) if !c.is_control() => self.names[i].push(c),
            _ => {}
        }
        vec![]
    }

    fn key_preview(&mut self, k: KeyEvent) -> Vec<Cmd> {
        let tabs = self.desired.as_ref().map(|d| d.documents().len()).unwrap_or(0).max(1);
        match k.code {
            KeyCode::Esc => self.screen = Screen::Params,
            KeyCode::Right | KeyCode::Tab => {
                self.preview_tab = (self.preview_tab + 1) % tabs;
                self.preview_scroll = 0;
            }
            KeyCode::Left | KeyCode::BackTab => {
                self.preview_tab = (self.preview_tab + tabs - 1) % tabs;
                self.preview_scroll = 0;
            }
            KeyCode::Enter => return self.go_plan(),
            code => scroll(&mut self.preview_scroll, code),
        }
        vec![]
    }

    fn key_plan(&mut self, k: KeyEvent) -> Vec<Cmd> {
        match k.code {
            KeyCode::Esc => self.screen = Screen::Preview,
            KeyCode::Char('a') if self.plan_has_conflicts() => self.adopt = !self.adopt,
            KeyCode::Char('k') if self.rotatable_user().is_some() && self.online() => {
                return vec![Cmd::ListKeys { user: self.rotatable_user().unwrap_or_default() }];
            }
            KeyCode::Enter => {
                if let Some(why) = self.apply_blocker() {
                    self.status = Some(why);
                    return vec![];
                }
                if let Load::Ready(plan) = &self.plan {
                    return self.start_run(plan.clone());
                }
            }
            code => scroll(&mut self.plan_scroll, code),
        }
        vec![]
    }

    fn key_run(&mut self, k: KeyEvent) -> Vec<Cmd> {
        if self.run.failed_and_done() {
            match k.code {
                // Retry: plan again against the account as it now is, and run; what exists is unchanged.
                KeyCode::Char('r') => return self.go_plan_and_run(),
                KeyCode::Char('b') => {
                    if let Some(log) = self.run.rollback_log.take() {
                        if log.deletes_access_key() {
                            self.secret.key = None;
                        }
                        self.run.rolling_back = true;
                        self.run.failure.get_or_insert((usize::MAX, String::new()));
                        return vec![Cmd::RollBack(log)];
                    }
                }
                KeyCode::Char('l') => {
                    self.run.rollback_log = None;
                    self.after_run();
                }
                _ => {}
            }
        } else if self.run.finished() && k.code == KeyCode::Enter {
            self.after_run();
        }
        vec![]
    }

    fn go_plan_and_run(&mut self) -> Vec<Cmd> {
        self.run.rollback_log = None;
        self.run.failure = None;
        let cmds = self.go_plan();
        self.status = Some("retrying: planning against the account as it is now; press Enter to run".into());
        cmds
    }

    fn key_secret(&mut self, k: KeyEvent) -> Vec<Cmd> {
        if self.secret.confirm_leave {
            match k.code {
                KeyCode::Char('y') | KeyCode::Char('Y') => {
                    // Leaving drops the secret: it is zeroized and no longer in this process.
                    self.secret = SecretState::default();
                    self.screen = Screen::Summary;
                }
                KeyCode::Char('n') | KeyCode::Char('N') | KeyCode::Esc => self.secret.confirm_leave = false,
                _ => {}
            }
            return vec![];
        }
        match k.code {
            KeyCode::Char('r') => self.secret.revealed = !self.secret.revealed,
            KeyCode::Char('c') if self.secret.key.is_some() => return vec![Cmd::CopySecret],
            KeyCode::Char('i') if self.secret.key.is_some() => return vec![Cmd::CopyKeyId],
            KeyCode::Char('p') if self.secret.key.is_some() => {
                self.secret.prompt =
                    Some(SavePrompt::Profile { name: "pinpoint-postman".into(), confirm_overwrite: false });
            }
            KeyCode::Char('s') if self.secret.key.is_some() => {
                let user = self.secret.key.as_ref().map(|k| k.user_name.clone()).unwrap_or_default();
                self.secret.prompt = Some(SavePrompt::Csv { path: crate::secret::store::default_csv_name(&user) });
            }
            KeyCode::Enter | KeyCode::Esc => {
                if self.secret.key.is_some() {
                    self.secret.confirm_leave = true;
                } else {
                    self.screen = Screen::Summary;
                }
            }
            _ => {}
        }
        vec![]
    }

    fn key_save_prompt(&mut self, k: KeyEvent) -> Vec<Cmd> {
        let Some(prompt) = &mut self.secret.prompt else { return vec![] };
        match (prompt, k.code) {
            (_, KeyCode::Esc) => self.secret.prompt = None,
            (SavePrompt::Profile { name, confirm_overwrite: true }, KeyCode::Char('y')) => {
                return vec![Cmd::SaveProfile { name: name.clone(), overwrite: true }];
            }
            (SavePrompt::Profile { confirm_overwrite: true, .. }, KeyCode::Char('n')) => self.secret.prompt = None,
            (SavePrompt::Profile { confirm_overwrite: true, .. }, _) => {}
            (SavePrompt::Profile { name, .. }, KeyCode::Enter) => {
                return vec![Cmd::SaveProfile { name: name.clone(), overwrite: false }];
            }
            (SavePrompt::Csv { path }, KeyCode::Enter) => return vec![Cmd::SaveCsv { path: path.clone() }],
            (SavePrompt::Profile { name: t, .. } | SavePrompt::Csv { path: t }, KeyCode::Backspace) => {
                t.pop();
            }
            (SavePrompt::Profile { name: t, .. } | SavePrompt::Csv { path: t }, KeyCode::Char(c))
                if !c.is_control() =>
            {
                t.push(c);
            }
            _ => {}
        }
        vec![]
    }

    fn key_summary(&mut self, k: KeyEvent) -> Vec<Cmd> {
        let old = self.old_keys.clone();
        match (k.code, old) {
            (KeyCode::Char('k'), _) if self.rotatable_user().is_some() && self.old_keys.is_none() && self.online() => {
                vec![Cmd::ListKeys { user: self.rotatable_user().unwrap_or_default() }]
            }
            (KeyCode::Char('d'), Some((user, keys))) if keys.iter().any(|k| k.active) => {
                let ids = keys.iter().filter(|k| k.active).map(|k| k.id.clone()).collect();
                vec![Cmd::Retire { user, ids, delete: false }]
            }
            (KeyCode::Char('x'), Some((user, keys))) if !keys.is_empty() && keys.iter().all(|k| !k.active) => {
                self.old_keys = Some((user.clone(), vec![]));
                vec![Cmd::Retire { user, ids: keys.iter().map(|k| k.id.clone()).collect(), delete: true }]
            }
            (code, _) => {
                scroll(&mut self.summary_scroll, code);
                vec![]
            }
        }
    }

    /// The rows of the summary: kind, name, ARN, status.
    pub fn summary_rows(&self) -> Vec<[String; 4]> {
        let Load::Ready(plan) = &self.plan else { return vec![] };
        (0..plan.steps.len())
            .filter(|i| matches!(plan.label(*i).kind, "policy" | "role" | "user"))
            .map(|i| {
                let l = plan.label(i);
                let status = match self.run.steps.get(i).map(|s| &s.state) {
                    Some(StepState::Done(s)) => s.as_str().to_string(),
                    Some(StepState::Failed(_)) => "failed".into(),
                    Some(StepState::RolledBack) => "rolled back".into(),
                    Some(StepState::Skipped) => "skipped".into(),
                    Some(StepState::Running) => "running".into(),
                    _ => match plan.steps[i].action {
                        Action::Unchanged => "unchanged".into(),
                        _ => "not applied".into(),
                    },
                };
                [l.kind.to_string(), l.name, l.arn, status]
            })
            .collect()
    }
}

fn scroll(offset: &mut u16, code: KeyCode) {
    *offset = match code {
        KeyCode::Up => offset.saturating_sub(1),
        KeyCode::Down => offset.saturating_add(1),
        KeyCode::PageUp => offset.saturating_sub(10),
        KeyCode::PageDown => offset.saturating_add(10),
        KeyCode::Home => 0,
        KeyCode::End => u16::MAX,
        _ => *offset,
    };
}
