//! The wizard's states, reached through keys and messages as a person would (never by setting fields): shared by
//! the UI tests (tests/tui.rs) and the rendering benchmark (benches/render.rs).
#![allow(dead_code)]

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use pinpoint_iam_wizard::apply::{ApplyReport, Event, RollbackLog, Status};
use pinpoint_iam_wizard::aws::listings::Project;
use pinpoint_iam_wizard::aws::{AwsError, Identity};
use pinpoint_iam_wizard::plan::{self, Action};
use pinpoint_iam_wizard::secret::{NewAccessKey, Secret};
use pinpoint_iam_wizard::tui::app::{App, Cmd, Detected, Msg, Overlay, Problem, RequestId, Screen};
use pinpoint_iam_wizard::tui::screens;
use pinpoint_iam_wizard::tui::theme::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

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

pub fn report(n: usize, status: Status, key: Option<NewAccessKey>, failure: Option<usize>) -> Msg {
    // A real log comes from the engine; the wizard only needs one that is not empty after a failure.
    let log = match failure {
        Some(_) => RollbackLog::deleting_policy(0, &format!("arn:aws:iam::{ACCOUNT}:policy/PostmanAccessPolicy")),
        None => RollbackLog::default(),
    };
    Msg::Applied(Box::new(Ok(ApplyReport {
        statuses: vec![status; n],
        access_key: key,
        failure: failure.map(|i| (i, AwsError::Throttled { action: "iam:CreateRole".into() })),
        interrupted: false,
        rollback_errors: vec![],
        rollback_log: log,
        verify_error: None,
        run_id: "0123456789abcdef".into(),
    })))
}

pub fn fake_key() -> NewAccessKey {
    NewAccessKey {
        user_name: "PostmanUser".into(),
        access_key_id: "AKIAFAKEFAKEFAKEFAKE".into(),
        secret_access_key: Secret::new(FAKE_SECRET.into()),
    }
}

/// A run whose step 4 failed after steps 0-3 were created; the engine kept the log for the user's choice.
pub fn at_failed_run() -> App {
    let mut app = at_run();
    for i in 0..4 {
        app.update(Msg::Engine(Event::Started(i)));
        app.update(Msg::Engine(Event::Finished { step: i, status: Status::Created }));
    }
    app.update(Msg::Engine(Event::Started(4)));
    app.update(Msg::Engine(Event::Failed {
        step: 4,
        error: AwsError::AccessDenied {
            action: "iam:CreateRole".into(),
            resource: "ImporterS3Role".into(),
            message: "not allowed".into(),
            request_id: None,
        },
    }));
    for i in 5..steps(&app) {
        app.update(Msg::Engine(Event::Skipped(i)));
    }
    app.update(Msg::Engine(Event::Done));
    let n = steps(&app);
    app.update(report(n, Status::Skipped, None, Some(4)));
    assert!(app.session.run.awaiting_choice());
    app
}

pub fn at_secret() -> App {
    let mut app = at_run();
    let n = steps(&app);
    app.update(report(n, Status::Created, Some(fake_key()), None));
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
    t.draw(|f| screens::draw(app, f, &Theme { color: true })).unwrap();
    t.backend().to_string()
}

/// The frame at the app's own size.
pub fn frame(app: &App) -> String {
    render(app, app.size.0, app.size.1)
}

pub fn writes(cmds: &[Cmd]) -> bool {
    cmds.iter().any(Cmd::writes)
}
