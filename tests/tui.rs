//! The wizard without a terminal: key sequences drive `update` (state tests), and every screen in its main
//! states is rendered with ratatui's TestBackend and compared with its snapshot at 80×24 and 120×40.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use pinpoint_iam_wizard::apply::{Event, Status};
use pinpoint_iam_wizard::aws::Identity;
use pinpoint_iam_wizard::aws::iam::AccessKeyInfo;
use pinpoint_iam_wizard::aws::listings::Project;
use pinpoint_iam_wizard::plan::{self, Action};
use pinpoint_iam_wizard::secret::{NewAccessKey, Secret};
use pinpoint_iam_wizard::tui::app::{
    App, Cmd, Detected, IdentityState, Load, Msg, ParamField, QuitPrompt, Screen, StepState,
};
use pinpoint_iam_wizard::tui::app::{SaveFailure, SavePrompt};
use pinpoint_iam_wizard::tui::screens;
use pinpoint_iam_wizard::tui::theme::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::time::Duration;

const ACCOUNT: &str = "210987654321";
const PROJECT: &str = "0123456789abcdef0123456789abcdef";
/// A fixed fake secret: snapshots never hold a real one.
const FAKE_SECRET: &str = "FAKEsecretFAKEsecretFAKEsecretFAKEsecret";

fn key(code: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn typed(app: &mut App, s: &str) -> Vec<Cmd> {
    s.chars().flat_map(|c| app.update(key(KeyCode::Char(c)))).collect()
}

fn detected_ok() -> Msg {
    Msg::Detected(Box::new(Detected {
        region: Some("eu-west-1".parse().unwrap()),
        profile: Some("ops".into()),
        endpoint: None,
        identity: Ok(Identity { account: ACCOUNT.parse().unwrap(), arn: format!("arn:aws:iam::{ACCOUNT}:user/alice") }),
        aws: None,
    }))
}

fn detected_failed() -> Msg {
    Msg::Detected(Box::new(Detected {
        region: Some("eu-west-1".parse().unwrap()),
        profile: None,
        endpoint: None,
        identity: Err("no AWS credentials found (…). Configure them with `aws configure`".into()),
        aws: None,
    }))
}

/// An app on the parameters screen with both lists loaded.
fn at_params() -> App {
    let mut app = App::new();
    app.update(detected_ok());
    app.update(Msg::Buckets(Ok(vec!["logs-archive".into(), "pinpoint-imports".into(), "team-data".into()])));
    app.update(Msg::Projects(Ok(vec![Project { id: PROJECT.into(), name: "Newsletter".into() }])));
    app.update(key(KeyCode::Enter));
    app.update(key(KeyCode::Enter));
    assert_eq!(app.screen, Screen::Params);
    app
}

/// An app with valid parameters, on the preview screen.
fn at_preview() -> App {
    let mut app = at_params();
    typed(&mut app, "pinpoint");
    app.update(key(KeyCode::Down));
    app.update(key(KeyCode::Tab));
    app.update(key(KeyCode::Down));
    app.update(key(KeyCode::Enter));
    assert_eq!(app.screen, Screen::Preview, "{:?}", app.params_error);
    app
}

fn at_plan() -> App {
    let mut app = at_preview();
    let cmds = app.update(key(KeyCode::Enter));
    let Some(Cmd::Plan(params)) = cmds.into_iter().next() else { panic!("plan asked for") };
    let mut p = plan::offline(&params).unwrap();
    p.checked = true;
    for (i, s) in p.steps.iter_mut().enumerate() {
        (s.action, s.reason) = if i == 1 {
            (Action::Update, "default version v1 differs: a new default version".into())
        } else {
            (Action::Create, "does not exist".into())
        };
    }
    app.update(Msg::Planned(Box::new(Ok(p))));
    app
}

fn at_run() -> App {
    let mut app = at_plan();
    let cmds = app.update(key(KeyCode::Enter));
    assert!(matches!(cmds.as_slice(), [Cmd::Apply { adopt: false, .. }]));
    assert_eq!(app.screen, Screen::Run);
    app
}

/// The engine's report of a run, as the wizard receives it.
fn report(
    status: Status,
    n: usize,
    access_key: Option<NewAccessKey>,
    failure: Option<(usize, pinpoint_iam_wizard::aws::AwsError)>,
    interrupted: bool,
) -> pinpoint_iam_wizard::apply::ApplyReport {
    pinpoint_iam_wizard::apply::ApplyReport {
        statuses: vec![status; n],
        access_key,
        failure,
        interrupted,
        rollback_errors: vec![],
        rollback_log: Default::default(),
        verify_error: None,
        run_id: "0123456789abcdef".into(),
    }
}

fn fake_key() -> NewAccessKey {
    NewAccessKey {
        user_name: "PostmanUser".into(),
        access_key_id: "AKIAFAKEFAKEFAKEFAKE".into(),
        secret_access_key: Secret::new(FAKE_SECRET.into()),
    }
}

fn render(app: &App, w: u16, h: u16) -> String {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| screens::draw(app, f, &Theme { color: true })).unwrap();
    t.backend().to_string()
}

fn snap(name: &str, app: &App) {
    for (w, h) in [(80, 24), (120, 40)] {
        let frame = render(app, w, h);
        assert!(
            !frame.contains(FAKE_SECRET) || name.contains("revealed"),
            "{name}: the secret shows only when revealed"
        );
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), frame);
    }
}

// ---- state tests ----

#[test]
fn detection_starts_at_launch_and_lists_follow_the_identity() {
    let mut app = App::new();
    assert!(matches!(app.init().as_slice(), [Cmd::Detect { region: None }]));
    let cmds = app.update(detected_ok());
    assert!(matches!(cmds.as_slice(), [Cmd::ListBuckets, Cmd::ListProjects]));
    assert_eq!(app.account().unwrap().as_str(), ACCOUNT);
    assert_eq!(app.region, "eu-west-1");
}

#[test]
fn welcome_choice_decides_which_fields_are_shown() {
    let mut app = App::new();
    app.update(key(KeyCode::Char('1')));
    assert_eq!(app.param_fields(), vec![ParamField::Name(0), ParamField::Name(1)]);
    app.update(key(KeyCode::Down));
    let f = app.param_fields();
    assert_eq!(f.first(), Some(&ParamField::Bucket));
    assert!(!f.contains(&ParamField::Name(0)), "segment-import shows no Postman names");
    assert_eq!(f.last(), Some(&ParamField::Harden));
}

#[test]
fn typing_filters_the_bucket_list_and_arrows_pick() {
    let mut app = at_params();
    typed(&mut app, "te");
    assert_eq!(app.buckets.filtered(), vec![&"team-data".to_string()]);
    assert_eq!(app.buckets.value(), "te");
    assert!(app.field_error(ParamField::Bucket).is_some(), "2 characters are too short");
    app.update(key(KeyCode::Down));
    assert_eq!(app.buckets.value(), "team-data");
    assert_eq!(app.field_error(ParamField::Bucket), None);
    app.update(key(KeyCode::Backspace));
    assert_eq!(app.buckets.value(), "te", "backspace first un-picks");
}

#[test]
fn next_is_refused_until_every_field_is_valid_and_focus_goes_to_the_first_bad_one() {
    let mut app = at_params();
    app.update(key(KeyCode::Tab));
    app.update(key(KeyCode::Tab));
    app.update(key(KeyCode::Enter));
    assert_eq!(app.screen, Screen::Params);
    assert_eq!(app.params_focus, 0, "back to the bucket");
    assert!(app.params_error.as_deref().unwrap().starts_with("S3 bucket:"));
    typed(&mut app, "Bad_Bucket");
    assert!(app.field_error(ParamField::Bucket).unwrap().contains("lowercase"));
}

#[test]
fn renaming_to_a_duplicate_is_explained() {
    let mut app = at_preview();
    app.update(key(KeyCode::Esc));
    app.names[6] = app.names[2].clone();
    app.update(key(KeyCode::Enter));
    assert_eq!(app.screen, Screen::Params);
    assert!(app.params_error.as_deref().unwrap().contains("both named"), "{:?}", app.params_error);
}

#[test]
fn preview_tabs_and_scrolling() {
    let mut app = at_preview();
    assert_eq!(app.desired.as_ref().unwrap().documents().len(), 7);
    app.update(key(KeyCode::Left));
    assert_eq!(app.preview_tab, 6, "wraps to the last document");
    app.update(key(KeyCode::PageDown));
    assert_eq!(app.preview_scroll, 10);
    app.update(key(KeyCode::Home));
    assert_eq!(app.preview_scroll, 0);
    app.update(key(KeyCode::Right));
    assert_eq!(app.preview_tab, 0);
}

#[test]
fn offline_path_types_the_account_and_previews_but_cannot_apply() {
    let mut app = App::new();
    app.update(detected_failed());
    app.update(key(KeyCode::Enter));
    assert!(app.identity.is_failed());
    app.update(key(KeyCode::Enter));
    assert_eq!(app.screen, Screen::Identity, "no account id yet");
    assert!(app.status.as_deref().unwrap().contains("Account id"));
    typed(&mut app, ACCOUNT);
    app.update(key(KeyCode::Enter));
    assert_eq!(app.screen, Screen::Params);
    assert!(matches!(app.buckets.items, Load::Failed(_)), "listings fall back to typed entry");
    typed(&mut app, "pinpoint-imports");
    app.update(key(KeyCode::Tab));
    typed(&mut app, PROJECT);
    app.update(key(KeyCode::Enter));
    assert_eq!(app.screen, Screen::Preview);
    let cmds = app.update(key(KeyCode::Enter));
    let Some(Cmd::Plan(params)) = cmds.into_iter().next() else { panic!() };
    assert_eq!(params.account.as_str(), ACCOUNT);
    app.update(Msg::Planned(Box::new(Ok(plan::offline(&params).unwrap()))));
    assert!(app.apply_blocker().unwrap().contains("offline"));
    assert!(app.update(key(KeyCode::Enter)).is_empty(), "no apply offline");
    assert_eq!(app.screen, Screen::Plan);
}

#[test]
fn engine_events_drive_the_run_and_a_key_leads_to_the_secret() {
    let mut app = at_run();
    app.update(Msg::Engine(Event::Started(0)));
    app.update(Msg::Engine(Event::Started(1)));
    assert_eq!(app.run.steps[0].state, StepState::Running);
    assert_eq!(app.run.steps[1].state, StepState::Running, "steps that run at once show at once");
    app.update(Msg::Engine(Event::Finished { step: 0, status: Status::Created }));
    assert_eq!(app.run.steps[0].state, StepState::Done(Status::Created));
    assert!(app.busy());
    app.update(key(KeyCode::Char('q')));
    assert_eq!(app.quit_prompt, Some(QuitPrompt::Running), "quitting while running asks");
    app.update(key(KeyCode::Char('n')));
    assert!(!app.should_quit);
}

#[test]
fn a_failed_run_offers_retry_rollback_or_leave() {
    let mut app = at_run();
    let mut report_plan = match &app.plan {
        Load::Ready(p) => (**p).clone(),
        _ => unreachable!(),
    };
    report_plan.steps.truncate(1);
    app.update(Msg::Engine(Event::Failed {
        step: 0,
        error: pinpoint_iam_wizard::aws::AwsError::Throttled { action: "iam:CreatePolicy".into() },
    }));
    app.update(Msg::Engine(Event::Done));
    // The engine's report: a failure, its writes kept for the user's choice.
    let Load::Ready(plan) = &app.plan else { unreachable!() };
    let n = plan.steps.len();
    let report = report(
        Status::Skipped,
        n,
        None,
        Some((0, pinpoint_iam_wizard::aws::AwsError::Throttled { action: "iam:CreatePolicy".into() })),
        false,
    );
    app.update(Msg::Applied(Ok(report)));
    assert!(app.run.failed_and_done());
    let cmds = app.update(key(KeyCode::Char('b')));
    assert!(matches!(cmds.as_slice(), [Cmd::RollBack(_)]));
    app.update(Msg::RolledBack(vec![]));
    assert!(app.run.finished());
    app.update(key(KeyCode::Enter));
    assert_eq!(app.screen, Screen::Summary);
}

#[test]
fn the_secret_is_masked_until_revealed_and_leaving_needs_a_confirmation() {
    let mut app = at_run();
    let Load::Ready(plan) = &app.plan else { unreachable!() };
    let n = plan.steps.len();
    app.update(Msg::Applied(Ok(report(Status::Created, n, Some(fake_key()), None, false))));
    assert_eq!(app.screen, Screen::Secret);
    assert!(!render(&app, 120, 40).contains(FAKE_SECRET));
    app.update(key(KeyCode::Char('r')));
    assert!(render(&app, 120, 40).contains(FAKE_SECRET));
    assert!(matches!(app.update(key(KeyCode::Char('c'))).as_slice(), [Cmd::CopySecret]));
    app.update(key(KeyCode::Char('q')));
    assert_eq!(app.quit_prompt, Some(QuitPrompt::SecretUnsaved));
    app.update(key(KeyCode::Esc));
    app.update(key(KeyCode::Enter));
    assert!(app.secret.confirm_leave);
    app.update(key(KeyCode::Char('n')));
    assert_eq!(app.screen, Screen::Secret);
    app.update(key(KeyCode::Enter));
    app.update(key(KeyCode::Char('y')));
    assert_eq!(app.screen, Screen::Summary);
    assert!(app.secret.key.is_none(), "the secret is dropped (and zeroized) on leaving");
    assert!(!render(&app, 120, 40).contains("FAKEsecret"));
}

#[test]
fn ctrl_c_quits_anywhere_and_help_lists_the_footer_keys() {
    let mut app = at_params();
    app.update(key(KeyCode::Char('?')));
    assert!(app.help);
    let frame = render(&app, 120, 40);
    for (k, what) in pinpoint_iam_wizard::tui::keys::screen_keys(&app) {
        assert!(frame.contains(k) && frame.contains(what), "help shows {k} {what}");
    }
    app.update(key(KeyCode::Esc));
    assert!(!app.help);
    app.update(Msg::Key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL)));
    assert!(app.should_quit);
}

fn at_secret() -> App {
    let mut app = at_run();
    let Load::Ready(plan) = &app.plan else { unreachable!() };
    let n = plan.steps.len();
    app.update(Msg::Applied(Ok(report(Status::Created, n, Some(fake_key()), None, false))));
    app
}

/// A plan whose user already has a key (so rotation is offered), on the summary screen.
fn with_existing_key() -> App {
    let mut app = at_plan();
    let Load::Ready(plan) = &app.plan else { unreachable!() };
    let mut plan = (**plan).clone();
    for s in &mut plan.steps {
        if matches!(s.kind, pinpoint_iam_wizard::plan::StepKind::AccessKey(_)) {
            s.action = Action::Unchanged;
        }
    }
    app.update(Msg::Planned(Box::new(Ok(plan))));
    app
}

#[test]
fn a_copied_secret_is_cleared_after_the_timeout_with_a_countdown() {
    let mut app = at_secret();
    app.clipboard_timeout = Duration::from_millis(50);
    assert!(matches!(app.update(key(KeyCode::Char('c'))).as_slice(), [Cmd::CopySecret]));
    app.update(Msg::Copied { status: "✓ secret access key copied to the system clipboard".into(), secret: true });
    assert!(app.secret.clear_at.is_some());
    assert!(render(&app, 120, 40).contains("cleared of the secret in"));
    std::thread::sleep(Duration::from_millis(60));
    assert!(matches!(app.update(Msg::Tick).as_slice(), [Cmd::ClearClipboard]));
    assert!(app.update(Msg::Tick).is_empty(), "cleared once");
    app.update(Msg::ClipboardCleared(true));
    assert!(render(&app, 120, 40).contains("no longer holds the secret"));
    // Copying the key id starts no countdown: it is not secret.
    let mut app = at_secret();
    app.update(Msg::Copied { status: "✓ access key id copied".into(), secret: false });
    assert!(app.secret.clear_at.is_none());
}

#[test]
fn saving_asks_before_overwriting_a_profile() {
    let mut app = at_secret();
    app.update(key(KeyCode::Char('p')));
    assert!(matches!(&app.secret.prompt, Some(SavePrompt::Profile { name, .. }) if name == "pinpoint-postman"));
    for _ in 0.."postman".len() {
        app.update(key(KeyCode::Backspace));
    }
    typed(&mut app, "ops");
    let cmds = app.update(key(KeyCode::Enter));
    assert!(matches!(cmds.as_slice(), [Cmd::SaveProfile { name, overwrite: false }] if name == "pinpoint-ops"));
    app.update(Msg::Saved(Err(SaveFailure::ProfileExists("pinpoint-ops".into()))));
    assert!(render(&app, 120, 40).contains("Profile [pinpoint-ops] exists. Overwrite it?"));
    assert!(app.update(key(KeyCode::Char('q'))).is_empty() && app.quit_prompt.is_none(), "q is not quit while asked");
    let cmds = app.update(key(KeyCode::Char('y')));
    assert!(matches!(cmds.as_slice(), [Cmd::SaveProfile { overwrite: true, .. }]));
    app.update(Msg::Saved(Ok("saved as profile [pinpoint-ops] in /tmp/c".into())));
    assert!(app.secret.prompt.is_none());
    app.update(key(KeyCode::Char('s')));
    let cmds = app.update(key(KeyCode::Enter));
    assert!(matches!(cmds.as_slice(), [Cmd::SaveCsv { path }] if path == "PostmanUser_accessKeys.csv"));
}

#[test]
fn rotation_with_two_keys_asks_which_to_delete_then_shows_the_new_secret_and_retires_the_old() {
    let mut app = with_existing_key();
    app.identity = IdentityState::Found { account: ACCOUNT.parse().unwrap(), arn: "arn".into() };
    assert_eq!(app.rotatable_user().as_deref(), Some("PostmanUser"));
    let cmds = app.update(key(KeyCode::Char('k')));
    assert!(matches!(cmds.as_slice(), [Cmd::ListKeys { user }] if user == "PostmanUser"));
    let keys = vec![
        AccessKeyInfo { id: "AKIAOLD1".into(), active: true },
        AccessKeyInfo { id: "AKIAOLD2".into(), active: false },
    ];
    app.update(Msg::Keys(Ok(keys)));
    assert!(app.rotate.is_some());
    snap("rotate_choose_key", &app);
    app.update(key(KeyCode::Down));
    let cmds = app.update(key(KeyCode::Enter));
    assert!(matches!(cmds.as_slice(), [Cmd::Rotate { delete_first: Some(id), .. }] if id == "AKIAOLD2"));
    app.update(Msg::Rotated(Box::new(Ok(pinpoint_iam_wizard::access_keys::Rotation {
        key: fake_key(),
        old: vec![AccessKeyInfo { id: "AKIAOLD1".into(), active: true }],
        deleted_first: Some("AKIAOLD2".into()),
    }))));
    assert_eq!(app.screen, Screen::Secret);
    app.update(key(KeyCode::Enter));
    app.update(key(KeyCode::Char('y')));
    assert_eq!(app.screen, Screen::Summary);
    snap("summary_old_key_active", &app);
    let cmds = app.update(key(KeyCode::Char('d')));
    assert!(
        matches!(cmds.as_slice(), [Cmd::Retire { delete: false, ids, .. }] if ids == &vec!["AKIAOLD1".to_string()])
    );
    app.update(Msg::Retired(Ok("deactivated the old access key(s) AKIAOLD1".into())));
    let cmds = app.update(key(KeyCode::Char('x')));
    assert!(matches!(cmds.as_slice(), [Cmd::Retire { delete: true, .. }]));
}

#[test]
fn quitting_mid_run_stops_and_rolls_back_before_leaving() {
    let mut app = at_run();
    app.update(Msg::Engine(Event::Started(0)));
    app.update(key(KeyCode::Char('q')));
    let cmds = app.update(key(KeyCode::Char('y')));
    assert!(matches!(cmds.as_slice(), [Cmd::Cancel]));
    assert!(!app.should_quit, "not before the rollback");
    let Load::Ready(plan) = &app.plan else { unreachable!() };
    let n = plan.steps.len();
    let report = report(Status::Skipped, n, Some(fake_key()), None, true);
    app.update(Msg::Applied(Ok(report)));
    assert!(app.secret.key.is_none(), "an unseen key is dropped");
    assert!(app.should_quit, "nothing to roll back: leave at once");
}

// ---- snapshots ----

#[test]
fn snapshots_of_every_screen() {
    let mut app = App::new();
    snap("welcome", &app);
    app.update(key(KeyCode::Enter));
    snap("identity_loading", &app);
    app.update(detected_ok());
    snap("identity_loaded", &app);
    let mut failed = App::new();
    failed.update(detected_failed());
    failed.update(key(KeyCode::Enter));
    typed(&mut failed, "2109");
    snap("identity_error", &failed);

    let mut params = App::new();
    params.update(detected_ok());
    params.update(key(KeyCode::Enter));
    params.update(key(KeyCode::Enter));
    snap("params_loading", &params);
    let mut params = at_params();
    snap("params_loaded", &params);
    typed(&mut params, "Bad_Bucket");
    snap("params_invalid_field", &params);
    let mut pinpoint_down = at_params();
    pinpoint_down.update(Msg::Projects(Err("Pinpoint unavailable: access denied: mobiletargeting:GetApps".into())));
    pinpoint_down.update(key(KeyCode::Tab));
    snap("params_pinpoint_unavailable", &pinpoint_down);

    let mut preview = at_preview();
    snap("preview_policy", &preview);
    preview.update(key(KeyCode::Left));
    preview.update(key(KeyCode::Left));
    snap("preview_pinpoint_trust", &preview);

    let mut planning = at_preview();
    planning.update(key(KeyCode::Enter));
    snap("plan_loading", &planning);
    snap("plan_ready", &at_plan());

    let mut run = at_run();
    for (i, s) in run.run.steps.iter_mut().enumerate() {
        (s.state, s.elapsed) = match i {
            0..=3 => (StepState::Done(Status::Created), Some(Duration::from_millis(120 + i as u64 * 10))),
            4..=6 => (StepState::Running, Some(Duration::from_millis(300))),
            _ => (StepState::Pending, None),
        };
    }
    snap("run_running", &run);
    run.run.active = false;
    run.run.done = true;
    run.run.steps[4].state = StepState::Failed("access denied".into());
    for s in &mut run.run.steps[7..] {
        s.state = StepState::Skipped;
    }
    run.run.failure = Some((4, "access denied: iam:CreateRole on ImporterS3Role. The caller lacks the permission iam:CreateRole on that resource".into()));
    run.run.rollback_log = Some(Default::default());
    snap("run_failed", &run);

    let mut secret = at_run();
    secret.screen = Screen::Secret;
    secret.run.active = false;
    secret.secret.key = Some(fake_key());
    snap("secret_masked", &secret);
    secret.secret.revealed = true;
    secret.secret.copy_status = Some("✓ secret access key copied to the system clipboard".into());
    snap("secret_revealed", &secret);

    let mut counting = at_secret();
    counting.secret.copy_status = Some("→ secret access key sent to your terminal's clipboard (OSC 52, because of no display); if nothing pastes, your terminal ignores OSC 52: reveal with r and copy by hand".into());
    counting.secret.clear_at = Some(std::time::Instant::now() + Duration::from_secs(3600));
    counting.secret.clear_in = Some(42);
    counting.secret.saved.push("saved to PostmanUser_accessKeys.csv (mode 0600)".into());
    snap("secret_copied_countdown", &counting);
    let mut summary = at_run();
    for s in &mut summary.run.steps {
        s.state = StepState::Done(Status::Created);
    }
    summary.run.active = false;
    summary.screen = Screen::Summary;
    snap("summary", &summary);

    let mut help = at_preview();
    help.update(key(KeyCode::Char('?')));
    snap("help_overlay", &help);
    let small = render(&App::new(), 70, 20);
    assert!(small.contains("Terminal too small"));
    insta::assert_snapshot!("too_small_70x20", small);
    assert!(matches!(failed.identity, IdentityState::Failed(_)));
}

#[test]
fn no_color_keeps_emphasis_but_drops_colours() {
    let app = at_preview();
    let mut t = Terminal::new(TestBackend::new(120, 40)).unwrap();
    t.draw(|f| screens::draw(&app, f, &Theme { color: false })).unwrap();
    let buf = t.backend().buffer();
    assert!(buf.content().iter().all(|c| c.fg == ratatui::style::Color::Reset && c.bg == ratatui::style::Color::Reset));
    let mut t = Terminal::new(TestBackend::new(120, 40)).unwrap();
    t.draw(|f| screens::draw(&app, f, &Theme { color: true })).unwrap();
    assert!(
        t.backend().buffer().content().iter().any(|c| c.fg == ratatui::style::Color::Magenta),
        "user values are highlighted"
    );
}
