//! The wizard's states, reached through keys and messages as a person would (never by setting fields): shared by
//! the UI tests (tests/tui/) and the rendering benchmark (benches/render.rs).
#![allow(dead_code)]

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use pinpoint_iam_wizard::aws::listings::Project;
use pinpoint_iam_wizard::aws::{AwsError, CredentialKind, CredentialSource, Identity};
use pinpoint_iam_wizard::engine::{ApplyReport, Event, RollbackLog, Status};
use pinpoint_iam_wizard::plan::{self, Action};
use pinpoint_iam_wizard::secret::{NewAccessKey, Secret};
use pinpoint_iam_wizard::tui::app::{App, Cmd, Detected, Msg, Overlay, Problem, RequestId, Screen};
use pinpoint_iam_wizard::tui::theme::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::sync::Arc;

pub const ACCOUNT: &str = "210987654321";
pub const PROJECT: &str = "0123456789abcdef0123456789abcdef";
pub const PROJECT2: &str = "fedcba9876543210fedcba9876543210";
/// A fixed fake secret: snapshots never hold a real one.
pub const FAKE_SECRET: &str = "FAKEsecretFAKEsecretFAKEsecretFAKEsecret";

pub fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

pub fn ctrl(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

pub fn ch(c: char) -> Msg {
    key(KeyCode::Char(c))
}

pub fn typed(app: &mut App, s: &str) -> Vec<Cmd> {
    s.chars().flat_map(|c| app.update(ch(c))).collect()
}

pub fn detected(id: RequestId, region: &str, ok: bool) -> Msg {
    let identity = if ok {
        Ok(Identity { account: ACCOUNT.parse().unwrap(), arn: format!("arn:aws:iam::{ACCOUNT}:user/alice") })
    } else {
        Err(Problem::Aws(AwsError::Unreachable {
            endpoint: "https://sts.eu-west-1.amazonaws.com".into(),
            detail: "dispatch failure".into(),
        }))
    };
    Msg::Detected {
        id,
        detected: Box::new(Detected {
            region: Some(region.parse().unwrap()),
            profile: ok.then(|| "ops".into()),
            source: ok.then(|| CredentialSource {
                kind: CredentialKind::AssumeRole,
                profile: Some("ops".into()),
                file: Some("/home/op/.aws/config".into()),
            }),
            endpoint: None,
            identity,
            aws: None,
        }),
    }
}

pub fn detect_id(cmds: &[Cmd]) -> RequestId {
    cmds.iter()
        .find_map(|c| match c {
            Cmd::Detect { id, .. } => Some(*id),
            _ => None,
        })
        .expect("a detection was asked for")
}

/// Answer the listings the identity asked for.
pub fn answer_lists(app: &mut App, cmds: &[Cmd], projects: Vec<Project>) {
    for c in cmds {
        match c {
            Cmd::ListBuckets { id } => {
                let names = vec!["logs-archive".into(), "pinpoint-imports".into(), "team-data".into()];
                app.update(Msg::Buckets { id: *id, result: Ok(names) });
            }
            Cmd::ListProjects { id } => {
                app.update(Msg::Projects { id: *id, result: Ok(projects.clone()) });
            }
            _ => {}
        }
    }
}

pub fn newsletter() -> Vec<Project> {
    vec![Project { id: PROJECT.into(), name: "Newsletter".into() }]
}

/// Launched, the identity detected, on the identity screen.
pub fn at_identity() -> App {
    let mut app = App::new();
    let id = detect_id(&app.init());
    app.update(key(KeyCode::Enter));
    let cmds = app.update(detected(id, "eu-west-1", true));
    answer_lists(&mut app, &cmds, newsletter());
    assert_eq!(app.screen, Screen::Identity);
    app
}

pub fn at_params() -> App {
    let mut app = at_identity();
    app.update(key(KeyCode::Enter));
    assert_eq!(app.screen, Screen::Params);
    app
}

pub fn at_params_postman() -> App {
    let mut app = App::new();
    let id = detect_id(&app.init());
    app.update(ch('1'));
    app.update(key(KeyCode::Enter));
    let cmds = app.update(detected(id, "eu-west-1", true));
    answer_lists(&mut app, &cmds, newsletter());
    app.update(key(KeyCode::Enter));
    app
}

/// Valid parameters, on the preview screen.
pub fn at_preview() -> App {
    let mut app = at_params();
    typed(&mut app, "pinpoint");
    app.update(key(KeyCode::Tab));
    app.update(key(KeyCode::Down));
    app.update(key(KeyCode::Enter));
    assert_eq!(app.screen, Screen::Preview, "{:?}", app.status_text());
    app
}

pub fn plan_id(cmds: &[Cmd]) -> (RequestId, pinpoint_iam_wizard::setup::Params) {
    cmds.iter()
        .find_map(|c| match c {
            Cmd::Plan { id, params } => Some((*id, (**params).clone())),
            _ => None,
        })
        .expect("a plan was asked for")
}

/// A checked plan: every step creates, the second updates.
pub fn checked_plan(params: &pinpoint_iam_wizard::setup::Params) -> plan::Plan {
    let mut p = plan::offline(params).unwrap();
    p.checked = true;
    for (i, s) in p.steps.iter_mut().enumerate() {
        (s.action, s.reason) = if i == 1 {
            (Action::Update, "default version v1 differs: a new default version".into())
        } else {
            (Action::Create, "does not exist".into())
        };
    }
    p
}

pub fn to_plan(mut app: App, edit: impl Fn(&mut plan::Plan)) -> App {
    let cmds = app.update(key(KeyCode::Enter));
    let (id, params) = plan_id(&cmds);
    let mut p = checked_plan(&params);
    edit(&mut p);
    app.update(Msg::Planned { id, result: Box::new(Ok(p)) });
    assert_eq!(app.screen, Screen::Plan);
    app
}

pub fn at_plan() -> App {
    to_plan(at_preview(), |_| {})
}

/// Enter, then `y` in the confirmation: the run starts.
pub fn at_run() -> App {
    let mut app = at_plan();
    assert!(app.update(key(KeyCode::Enter)).is_empty(), "Enter only asks");
    assert!(matches!(app.overlay, Some(Overlay::Confirm(_))));
    let cmds = app.update(ch('y'));
    assert!(matches!(cmds.as_slice(), [Cmd::Apply { adopt: false, .. }]));
    assert_eq!(app.screen, Screen::Run);
    app
}

pub fn steps(app: &App) -> usize {
    app.session.run.steps.len()
}

pub fn fake_key() -> NewAccessKey {
    NewAccessKey {
        user_name: "PostmanUser".into(),
        access_key_id: "AKIAFAKEFAKEFAKEFAKE".into(),
        secret_access_key: Secret::new(FAKE_SECRET.into()),
    }
}

/// A run whose step 4 (role ImporterS3Role) was refused: the first wave (the policies, the roles and the user, none
/// waiting for another) started at once, the policies and the other roles and user finished, and the engine kept
/// the log for the user's choice.
pub fn at_failed_run() -> App {
    let mut app = at_run();
    let mut run = EngineRun::of(&app);
    run.begin(&mut app);
    for i in 0..4 {
        run.finish(&mut app, i);
    }
    let denied = AwsError::AccessDenied {
        action: "iam:CreateRole".into(),
        resource: "ImporterS3Role".into(),
        message: "not allowed".into(),
        request_id: None,
    };
    run.fail(&mut app, 4, denied.clone());
    // Nothing new starts; the steps already sent finish.
    for i in run.running() {
        run.finish(&mut app, i);
    }
    run.end(&mut app, None, Some((4, denied)));
    assert!(app.session.run.awaiting_choice());
    app
}

/// The run succeeded, every step as the engine orders them, and made the key: on the secret screen.
pub fn at_secret() -> App {
    let mut app = at_run();
    let mut run = EngineRun::of(&app);
    run.begin(&mut app);
    run.finish_all(&mut app);
    run.end(&mut app, Some(fake_key()), None);
    assert_eq!(app.screen, Screen::Secret);
    app
}

pub fn at_summary() -> App {
    let mut app = at_secret();
    // Revealed first: only then does leaving ask "stored it?" (unseen, it asks to delete or keep the key).
    app.update(ch('r'));
    app.update(key(KeyCode::Enter));
    app.update(ch('y'));
    assert_eq!(app.screen, Screen::Summary);
    app
}

pub fn render(app: &App, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| pinpoint_iam_wizard::tui::view::draw(app, f, &Theme { color: true })).unwrap();
    t.backend().to_string()
}

/// The frame at the app's own size.
pub fn frame(app: &App) -> String {
    render(app, app.size.0, app.size.1)
}

pub fn writes(cmds: &[Cmd]) -> bool {
    cmds.iter().any(Cmd::writes)
}

/// Where a step stands in [`EngineRun`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    Pending,
    Running,
    Ok,
    Failed,
}

/// A run as the engine (`apply::apply` in src/apply.rs) reports it, so the wizard's tests reach only states the
/// engine can produce: every step whose dependencies are done starts at once, in the plan's critical order (an
/// unchanged one finishes at once and may unlock others); after a failure nothing new starts, the steps already
/// running finish, and only then are the steps never started reported skipped, before `Done`; the report's
/// statuses are what the events said last. The wizard applies with `no_rollback` (it offers rollback as a
/// choice), so no rollback events follow a failure. `tests/engine_events.rs` replays real runs of the engine
/// against moto through this same script, so the script cannot drift from the engine.
pub struct EngineRun {
    plan: Arc<plan::Plan>,
    stage: Vec<Stage>,
    statuses: Vec<Status>,
    /// A step failed or the run was interrupted: nothing new starts.
    failed: bool,
    interrupted: bool,
    /// Steps that became ready and must be started before the engine takes the next answer of a running step.
    owed: Vec<usize>,
}

impl EngineRun {
    pub fn new(plan: Arc<plan::Plan>) -> EngineRun {
        let n = plan.steps.len();
        let mut run = EngineRun {
            plan,
            stage: vec![Stage::Pending; n],
            statuses: vec![Status::Skipped; n],
            failed: false,
            interrupted: false,
            owed: vec![],
        };
        run.owe_ready();
        run
    }

    /// The run the wizard has just started (after `y` on the apply confirmation).
    pub fn of(app: &App) -> EngineRun {
        EngineRun::new(app.session.run.plan.clone().expect("the run has a plan"))
    }

    /// Steps not started whose dependencies are all done, none after a failure.
    fn ready(&self) -> Vec<usize> {
        if self.failed {
            return vec![];
        }
        let deps_done = |i: usize| self.plan.steps[i].deps.iter().all(|d| self.stage[*d] == Stage::Ok);
        self.plan.critical_order().into_iter().filter(|&i| self.stage[i] == Stage::Pending && deps_done(i)).collect()
    }

    fn owe_ready(&mut self) {
        for i in self.ready() {
            if !self.owed.contains(&i) {
                self.owed.push(i);
            }
        }
    }

    /// The events the engine sends before it waits for an answer: every step that is ready starts.
    fn start_ready(&mut self) -> Vec<Event> {
        let mut events = vec![];
        while let Some(i) = self.ready().first().copied() {
            let started = Event::Started(i);
            let follow = self.on(&started);
            events.push(started);
            events.extend(follow);
        }
        events
    }

    /// Check one event against the engine's order and take it in; the events that follow at once (an unchanged
    /// step's `Finished`).
    fn on(&mut self, e: &Event) -> Vec<Event> {
        match e {
            Event::Started(i) => {
                assert!(self.owed.contains(i), "step {i} started before its dependencies were done: {e:?}");
                self.owed.retain(|o| o != i);
                if self.plan.steps[*i].action == Action::Unchanged {
                    self.stage[*i] = Stage::Ok;
                    self.statuses[*i] = Status::Unchanged;
                    self.owe_ready();
                    return vec![Event::Finished { step: *i, status: Status::Unchanged }];
                }
                self.stage[*i] = Stage::Running;
            }
            Event::Finished { step, status } if self.stage[*step] == Stage::Running => {
                self.answer_taken();
                self.stage[*step] = Stage::Ok;
                self.statuses[*step] = *status;
                self.owe_ready();
            }
            // After the run: the account read again (verification) says what is true now.
            Event::Finished { step, status } => self.statuses[*step] = *status,
            Event::Failed { step, .. } => {
                assert_eq!(self.stage[*step], Stage::Running, "only a running step fails: {e:?}");
                self.answer_taken();
                self.stage[*step] = Stage::Failed;
                self.statuses[*step] = Status::Failed;
                self.failed = true;
                self.owed.clear();
            }
            Event::Skipped(i) => {
                assert!(self.running().is_empty(), "steps are skipped only once none runs: {e:?}");
                assert_eq!(self.stage[*i], Stage::Pending, "only a step never started is skipped: {e:?}");
            }
            Event::Done => assert!(self.running().is_empty(), "the run ends once no step runs"),
            Event::Retrying { .. } | Event::RollingBack | Event::RolledBack(_) | Event::RollbackFailed { .. } => {}
        }
        vec![]
    }

    /// The engine takes a running step's answer only once every ready step was started.
    fn answer_taken(&self) {
        assert!(self.owed.is_empty(), "steps {:?} were ready but not started before the next answer", self.owed);
    }

    pub fn running(&self) -> Vec<usize> {
        (0..self.stage.len()).filter(|i| self.stage[*i] == Stage::Running).collect()
    }

    /// Check a real run's events, in order, against the script.
    pub fn replay(&mut self, events: &[Event]) {
        for e in events {
            for follow in self.on(e) {
                assert!(events.contains(&follow), "the engine did not send {follow:?} after {e:?}");
            }
        }
    }

    /// What the report's statuses must be after these events.
    pub fn statuses(&self) -> &[Status] {
        &self.statuses
    }

    fn send(app: &mut App, events: Vec<Event>) {
        for e in events {
            app.update(Msg::Engine(e));
        }
    }

    /// The run starts: every step without dependencies starts at once.
    pub fn begin(&mut self, app: &mut App) {
        let events = self.start_ready();
        Self::send(app, events);
    }

    /// Running step `i` succeeds (created or updated, as its plan says); the steps it unlocks start.
    pub fn finish(&mut self, app: &mut App, i: usize) {
        let status = if self.plan.steps[i].action == Action::Update { Status::Updated } else { Status::Created };
        let mut events = vec![Event::Finished { step: i, status }];
        self.on(&events[0]);
        events.extend(self.start_ready());
        Self::send(app, events);
    }

    /// Running step `i` fails: nothing new starts.
    pub fn fail(&mut self, app: &mut App, i: usize, error: AwsError) {
        let e = Event::Failed { step: i, error: error.into() };
        self.on(&e);
        Self::send(app, vec![e]);
    }

    /// The run is interrupted (stop, or a signal): nothing new starts, the running steps finish. The engine sends
    /// no event for it; the report says so.
    pub fn interrupt(&mut self) {
        self.failed = true;
        self.interrupted = true;
        self.owed.clear();
    }

    /// Every running step succeeds, and the ones they unlock, until none runs.
    pub fn finish_all(&mut self, app: &mut App) {
        while let Some(i) = self.running().first().copied() {
            self.finish(app, i);
        }
    }

    /// No step runs any more: the ones never started are skipped, the run is done, and the report comes.
    pub fn end(mut self, app: &mut App, key: Option<NewAccessKey>, failure: Option<(usize, AwsError)>) -> Vec<Cmd> {
        assert!(self.running().is_empty(), "the engine waits for running steps {:?}", self.running());
        let mut events: Vec<Event> =
            (0..self.stage.len()).filter(|i| self.stage[*i] == Stage::Pending).map(Event::Skipped).collect();
        events.push(Event::Done);
        for e in &events {
            self.on(e);
        }
        Self::send(app, events);
        // The wizard's tests need a rollback log that is not empty after a failure; real ones come from the engine.
        let rollback_log = match (&failure, self.interrupted) {
            (Some(_), _) | (None, true) => {
                RollbackLog::deleting_policy(0, &format!("arn:aws:iam::{ACCOUNT}:policy/PostmanAccessPolicy"))
            }
            (None, false) => RollbackLog::default(),
        };
        app.update(Msg::Applied(Box::new(Ok(ApplyReport {
            statuses: self.statuses,
            access_key: key,
            failure: failure.map(|(i, e)| (i, e.into())),
            interrupted: self.interrupted,
            rollback_errors: vec![],
            rollback_log,
            verify_error: None,
            run_id: "0123456789abcdef".into(),
        }))))
    }
}
