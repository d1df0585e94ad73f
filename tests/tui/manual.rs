//! Manual mode.

use super::*;

/// `m` on the welcome screen, the same identity and parameters, then Enter on the preview: the console steps.
pub(crate) fn at_manual() -> App {
    let mut app = App::new();
    let id = detect_id(&app.init());
    app.update(ch('m'));
    assert_eq!(app.screen, Screen::Identity);
    let cmds = app.update(detected(id, "eu-west-1", true));
    answer_lists(&mut app, &cmds, newsletter());
    app.update(key(KeyCode::Enter));
    typed(&mut app, "pinpoint");
    app.update(key(KeyCode::Tab));
    app.update(key(KeyCode::Down));
    app.update(key(KeyCode::Enter));
    assert_eq!(app.screen, Screen::Preview);
    assert!(frame(&app).contains("Enter manual steps"), "{}", frame(&app));
    let cmds = app.update(key(KeyCode::Enter));
    assert!(cmds.is_empty(), "entering manual mode reads nothing: {cmds:?}");
    assert_eq!(app.screen, Screen::Manual);
    app
}

fn verify_id(cmds: &[Cmd]) -> (RequestId, pinpoint_iam_wizard::setup::Params) {
    cmds.iter()
        .find_map(|c| match c {
            Cmd::Verify { id, params } => Some((*id, (**params).clone())),
            _ => None,
        })
        .expect("a verify was asked for")
}

/// Verified against an account where PostmanAccessPolicy was made by hand (untagged, the guide's document),
/// ImporterS3Policy by hand with one action changed, and nothing else exists.
pub(crate) fn manual_verified() -> App {
    use pinpoint_iam_wizard::aws::iam::PolicyState;
    let mut app = at_manual();
    let (id, params) = verify_id(&app.update(ch('v')));
    assert!(frame(&app).contains("reading the account (Get and List calls only)"));
    let mut p = plan::offline(&params).unwrap();
    p.checked = true;
    for s in p.steps.iter_mut() {
        s.action = Action::Create;
        if let plan::StepKind::Policy(i) = s.kind {
            let spec = &p.desired.policies[i];
            let mut document = spec.document.clone();
            if spec.name.as_str() == "ImporterS3Policy" {
                document["Statement"][0]["Action"][0] = serde_json::json!("s3:*");
            } else if spec.name.as_str() != "PostmanAccessPolicy" {
                continue;
            }
            s.action = Action::Conflict;
            s.prior = plan::Prior::Policy {
                state: PolicyState {
                    arn: spec.arn.clone(),
                    default_version: "v1".into(),
                    document,
                    managed_by_us: false,
                    owner: None,
                    run: None,
                    versions_written: vec![],
                    tag_keys: vec![],
                },
                versions: vec![],
            };
        }
    }
    app.update(Msg::Verified { id, result: Box::new(Ok(p)), inline: vec![] });
    app
}

/// Offline (the account id typed), the plan offers the console steps; verify is not offered.
pub(crate) fn manual_offline() -> App {
    let mut app = App::new();
    let id = detect_id(&app.init());
    app.update(key(KeyCode::Enter));
    app.update(detected(id, "eu-west-1", false));
    typed(&mut app, ACCOUNT);
    app.update(key(KeyCode::Enter));
    typed(&mut app, "pinpoint-imports");
    app.update(key(KeyCode::Tab));
    typed(&mut app, PROJECT);
    app.update(key(KeyCode::Enter));
    let (pid, params) = plan_id(&app.update(key(KeyCode::Enter)));
    app.update(Msg::Planned { id: pid, result: Box::new(Ok(plan::offline(&params).unwrap())) });
    assert!(frame(&app).contains("m do it by hand"), "{}", frame(&app));
    app.update(ch('m'));
    assert_eq!(app.screen, Screen::Manual);
    app
}

#[test]
fn manual_mode_walks_the_guides_steps_and_verify_marks_each_done_not_yet_or_differs() {
    let mut app = at_manual();
    app.update(Msg::Resize(120, 40));
    let f = frame(&app);
    for (n, title) in [
        (1, "policy PostmanAccessPolicy"),
        (2, "user PostmanUser"),
        (3, "access key of PostmanUser"),
        (4, "policy ImporterS3Policy"),
        (5, "role ImporterS3Role"),
        (6, "policy ImporterS3PassthroughPolicy"),
        (7, "role PinpointSegmentImport"),
        (8, "policy ImporterPinpointPolicy"),
        (9, "role ImporterPinpointRole"),
    ] {
        assert!(f.contains(&format!("{n:>2} {title}")), "step {n} {title} listed in the guides' order:\n{f}");
    }
    assert!(f.contains("Step 1 of 9 · Create policy PostmanAccessPolicy"));
    assert!(f.contains("IAM → Policies → Create policy → JSON"));
    assert!(f.contains("Name to type: PostmanAccessPolicy"));
    assert!(f.contains("Status: not verified (v reads the account)"));
    // c copies the rendered document, through the same command as the secret screen's copy.
    let cmds = app.update(ch('c'));
    let expected = pinpoint_iam_wizard::tui::widgets::json_view::pretty(
        &app.session.desired.as_ref().unwrap().policies[0].document,
    );
    assert!(matches!(&cmds[..], [Cmd::Copy { what: Copied::Document { json, .. } }] if *json == expected), "{cmds:?}");
    // The Pinpoint import role: made as Lambda, then its trust replaced.
    for _ in 0..6 {
        app.update(key(KeyCode::Right));
    }
    let f = frame(&app);
    assert!(f.contains("Step 7 of 9 · Create role PinpointSegmentImport"), "{f}");
    assert!(f.contains("choose Lambda") && f.contains("Edit trust policy"), "{f}");
    assert!(f.contains("pinpoint.amazonaws.com"), "{f}");
    app.update(key(KeyCode::Left));
    app.update(key(KeyCode::Left));
    app.update(key(KeyCode::Left));
    app.update(key(KeyCode::Left));
    let f = frame(&app);
    assert!(f.contains("Step 3 of 9 · Create an access key for PostmanUser"), "{f}");
    assert!(f.contains("select Application") && f.contains("running outside AWS"), "{f}");
    assert!(f.contains("this is the only time the secret is shown"), "{f}");
    assert!(!app.active_bindings().iter().any(|(_, l)| *l == "c"), "no document, no copy key");
    // Esc goes back to the preview.
    app.update(key(KeyCode::Esc));
    assert_eq!(app.screen, Screen::Preview);

    let mut app = manual_verified();
    app.update(Msg::Resize(120, 40));
    let f = frame(&app);
    let status_of = |title: &str| {
        f.lines().find(|l| l.contains(title)).unwrap_or_else(|| panic!("{title} listed:\n{f}")).to_string()
    };
    assert!(status_of(" 1 policy PostmanAccessPolicy").contains("✓ done"), "made by hand, untagged: done\n{f}");
    assert!(status_of(" 4 policy ImporterS3Policy").contains("≠ differs"), "{f}");
    assert!(status_of(" 2 user PostmanUser").contains("· not yet"), "{f}");
    for _ in 0..3 {
        app.update(key(KeyCode::Right));
    }
    let f = frame(&app);
    assert!(f.contains("Status: differs"), "{f}");
    assert!(f.contains("policy ImporterS3Policy, default version v1"), "{f}");
    assert!(f.contains("- in the account  + the guide's"), "{f}");
    assert!(f.contains("-         \"s3:*\","), "the account's line:\n{f}");
    assert!(f.contains("+         \"s3:PutObject\","), "the guide's line:\n{f}");
    app.update(key(KeyCode::Left));
    app.update(key(KeyCode::Left));
    let f = frame(&app);
    assert!(f.contains("user PostmanUser does not exist"), "{f}");
    assert!(f.contains("PostmanAccessPolicy is not attached to PostmanUser"), "{f}");
    // A later verify replaces the answer; an answer to an older one is dropped.
    let (old, params) = verify_id(&app.update(ch('v')));
    let (new, _) = verify_id(&app.update(ch('v')));
    let mut done = plan::offline(&params).unwrap();
    done.checked = true;
    app.update(Msg::Verified { id: old, result: Box::new(Ok(done)), inline: vec![] });
    assert!(app.pages.manual.verified.is_pending(), "the older answer is dropped");
    app.update(Msg::Verified { id: new, result: Box::new(Err(Problem::NotConnected)), inline: vec![] });
    assert!(frame(&app).contains("✗ verify failed: not connected to AWS"), "{}", frame(&app));
    app.update(key(KeyCode::F(2)));
    assert!(matches!(app.overlay, Some(Overlay::Details { .. })));
}

#[test]
fn manual_mode_is_offered_offline_and_after_access_denied_and_esc_returns() {
    let mut app = manual_offline();
    assert!(frame(&app).contains("Offline: follow the steps; verify needs"), "{}", frame(&app));
    assert!(app.update(ch('v')).is_empty(), "offline, nothing to verify against");
    app.update(key(KeyCode::Esc));
    assert_eq!(app.screen, Screen::Plan);

    let mut app = at_failed_run();
    assert!(frame(&app).contains("m do it by hand"), "AccessDenied offers the console steps");
    app.update(ch('m'));
    assert_eq!(app.screen, Screen::Manual);
    assert!(frame(&app).contains("v verify (read only)"));
    app.update(key(KeyCode::Esc));
    assert_eq!(app.screen, Screen::Run);
    assert!(app.session.run.awaiting_choice(), "the failed run still waits for its choice");
    // A plan that could be applied does not offer it.
    assert!(!frame(&at_plan()).contains("do it by hand"));
}

#[test]
fn export_asks_which_format_and_writes_nothing_to_the_account() {
    for mut app in [at_preview(), at_plan(), manual_offline_plan()] {
        assert!(app.update(ch('e')).is_empty());
        assert!(matches!(&app.overlay, Some(Overlay::Confirm(c)) if c.title == "Export"));
        let cmds = app.update(ch('3'));
        assert!(
            matches!(&cmds[..], [Cmd::Export { format: pinpoint_iam_wizard::export::ExportFormat::Terraform, .. }]),
            "{cmds:?}"
        );
        assert!(!cmds.iter().any(Cmd::writes));
        app.update(Msg::Exported(Ok("Exported as terraform: ./pinpoint-iam-terraform (2 file(s))".into())));
        assert!(frame(&app).contains("Exported as terraform"), "{}", frame(&app));
    }
}

/// Offline, on the plan screen.
fn manual_offline_plan() -> App {
    let mut app = manual_offline();
    app.update(key(KeyCode::Esc));
    app
}

#[test]
fn snapshots_of_manual_mode() {
    let mut app = manual_verified();
    for _ in 0..3 {
        app.update(key(KeyCode::Right));
    }
    snap("manual_differs", &mut app);
    let mut app = at_manual();
    snap("manual_first_step", &mut app);
    let mut app = at_preview();
    app.update(ch('e'));
    snap("export_overlay", &mut app);
}

#[test]
fn error_details_are_words_not_rust_debug_output() {
    use pinpoint_iam_wizard::tui::app::Problem;
    let problems = [
        Problem::Aws(AwsError::TimedOut {
            action: "iam:AttachRolePolicy".into(),
            resource: "ImporterS3Role".into(),
            endpoint: "http://127.0.0.1:9".into(),
            detail: "the operation timeout".into(),
        }),
        Problem::Aws(AwsError::Service {
            action: "iam:CreateRole".into(),
            resource: "ImporterS3Role".into(),
            code: "MalformedPolicyDocument".into(),
            message: "bad principal".into(),
            request_id: Some("req-1".into()),
        }),
        Problem::Aws(AwsError::NoCredentials { detail: "nothing found".into() }),
    ];
    for p in &problems {
        let detail = p.detail();
        for debug in ["TimedOut {", "Service {", "NoCredentials {", "request_id: ", "Aws(", "None"] {
            assert!(!detail.contains(debug), "{debug:?} in the details: {detail}");
        }
        assert!(detail.contains(&p.line()), "the details start with the line: {detail}");
    }
    assert!(problems[1].detail().contains("request id req-1"));
}

#[test]
fn quitting_the_secret_screen_before_the_secret_was_shown_offers_to_delete_the_key() {
    let mut app = at_secret();
    app.update(ch('q'));
    assert!(frame(&app).contains("Quit without the secret?"), "{}", frame(&app));
    let cmds = app.update(ch('d'));
    assert!(matches!(cmds.as_slice(), [Cmd::DeleteKey { id, .. }] if id == "AKIAFAKEFAKEFAKEFAKE"), "{cmds:?}");
    assert!(!app.should_quit, "the wizard waits for the deletion");
    app.update(Msg::KeyDeleted { id: "AKIAFAKEFAKEFAKEFAKE".into(), verified: true });
    assert!(app.should_quit);
    let r = app.exit_report();
    assert!(r.lines.iter().any(|l| l.contains("deleted: its secret was never shown")), "{:?}", r.lines);
    assert!(!r.lines.iter().any(|l| l.contains("was shown once")), "{:?}", r.lines);

    // Revealed, it was delivered: quitting only warns, and the shell is told it was shown.
    let mut app = at_secret();
    app.update(ch('r'));
    app.update(ch('q'));
    assert!(!frame(&app).contains("Quit without the secret?"));
    let cmds = app.update(ch('y'));
    assert!(!writes(&cmds));
    assert!(app.should_quit);
    assert!(app.exit_report().lines.iter().any(|l| l.contains("its secret was shown once")));
}

#[test]
fn a_quit_prompt_opened_while_steps_ran_is_asked_again_when_the_run_ends() {
    let mut app = at_run();
    app.update(ctrl('c'));
    assert!(frame(&app).contains("Quit while steps run?"));
    // The run completes before the person answers: "stop, roll back" no longer describes anything.
    let mut run = EngineRun::of(&app);
    run.begin(&mut app);
    run.finish_all(&mut app);
    run.end(&mut app, Some(fake_key()), None);
    assert!(frame(&app).contains("Quit without the secret?"), "asked again about what is true now:\n{}", frame(&app));
    let cmds = app.update(ch('b'));
    assert!(cmds.is_empty() && !app.should_quit, "the old choice is gone: {cmds:?}");
    assert!(matches!(app.update(ch('d')).as_slice(), [Cmd::DeleteKey { .. }]));
}

#[test]
fn what_a_rollback_left_or_could_not_check_is_not_shown_as_done() {
    let mut app = at_failed_run();
    app.update(ch('b'));
    let cmds = app.update(ch('y'));
    assert!(matches!(cmds.as_slice(), [Cmd::RollBack(_)]), "{cmds:?}");
    // The account, read again after the rollback: step 0 is still there, step 1 could not be read.
    app.update(Msg::Engine(Event::Finished { step: 0, status: Status::Left }));
    app.update(Msg::Engine(Event::Finished { step: 1, status: Status::Unknown }));
    app.update(Msg::RolledBack(vec![]));
    let screen = frame(&app);
    let row = |word: &str| screen.lines().find(|l| l.contains(word)).map(str::to_string);
    let left = row(" left ").unwrap_or_else(|| panic!("no row says left:\n{screen}"));
    assert!(left.contains(" ! ") && !left.contains('✓'), "{left}");
    let unknown = row(" unknown ").unwrap_or_else(|| panic!("no row says unknown:\n{screen}"));
    assert!(unknown.contains(" ? ") && !unknown.contains('✓'), "{unknown}");
    assert_ne!(app.exit_report().code, 0);
}

/// The account as manual mode's verify reads it after every step was done by hand (untagged), with `user` the
/// user's state on top (its attachments and keys).
fn done_by_hand(params: &pinpoint_iam_wizard::setup::Params, user: impl Fn(&mut UserState)) -> plan::Plan {
    let mut p = plan::offline(params).unwrap();
    p.checked = true;
    let d = p.desired.clone();
    for s in p.steps.iter_mut() {
        s.action = Action::Unchanged;
        s.prior = match s.kind {
            plan::StepKind::Policy(i) => plan::Prior::Policy {
                state: PolicyState {
                    arn: d.policies[i].arn.clone(),
                    default_version: "v1".into(),
                    document: d.policies[i].document.clone(),
                    managed_by_us: false,
                    owner: None,
                    run: None,
                    versions_written: vec![],
                    tag_keys: vec![],
                },
                versions: vec![],
            },
            plan::StepKind::Role(i) => plan::Prior::Role(RoleState {
                arn: d.roles[i].arn.clone(),
                trust: d.roles[i].trust.clone(),
                managed_by_us: false,
                owner: None,
                run: None,
                attached: vec![],
                permissions_boundary: None,
                path: "/".into(),
                tag_keys: vec![],
            }),
            plan::StepKind::User(i) => {
                let ours = d.policies.iter().filter(|p| d.users[i].policies.contains(&p.name));
                let mut state = UserState {
                    arn: d.users[i].arn.clone(),
                    managed_by_us: false,
                    owner: None,
                    run: None,
                    attached: ours.map(|p| p.arn.clone()).collect(),
                    access_keys: vec![AccessKeyInfo { id: "AKIAHANDMADE0000001".into(), active: true }],
                    permissions_boundary: None,
                    path: "/".into(),
                    our_keys: vec![],
                    tag_keys: vec![],
                };
                user(&mut state);
                plan::Prior::User(state)
            }
            _ => std::mem::take(&mut s.prior),
        };
    }
    p
}

use pinpoint_iam_wizard::aws::iam::{PolicyState, RoleState, UserState};

#[test]
fn every_step_done_says_all_done_and_a_user_with_extras_is_not_done() {
    let mut app = at_manual();
    let (id, params) = verify_id(&app.update(ch('v')));
    app.update(Msg::Verified { id, result: Box::new(Ok(done_by_hand(&params, |_| {}))), inline: vec![] });
    let f = frame(&app);
    assert!(f.contains("✓ All 9 steps are done: the account matches the guides."), "{f}");

    let (id, params) = verify_id(&app.update(ch('v')));
    let extras = done_by_hand(&params, |u| {
        u.attached.push("arn:aws:iam::aws:policy/AdministratorAccess".into());
        u.access_keys.push(AccessKeyInfo { id: "AKIAHANDMADE0000002".into(), active: false });
    });
    let inline = vec![("PostmanUser".to_string(), vec!["HandWritten".to_string()])];
    app.update(Msg::Verified { id, result: Box::new(Ok(extras)), inline });
    let f = frame(&app);
    assert!(!f.contains("All 9 steps are done"), "{f}");
    app.update(key(KeyCode::Right));
    let f = frame(&app);
    assert!(f.contains("Status: not yet"), "{f}");
    assert!(f.contains("AdministratorAccess attached"), "{f}");
    assert!(f.contains("PostmanUser has inline policy HandWritten"), "{f}");
    app.update(key(KeyCode::Right));
    let f = frame(&app);
    assert!(f.contains("PostmanUser has 2 access keys"), "{f}");
    assert!(f.contains("AKIAHANDMADE0000002 is inactive"), "{f}");
}

#[test]
fn a_step_that_differs_shows_the_consoles_edit_path_not_creation() {
    let mut app = manual_verified();
    app.update(Msg::Resize(120, 40));
    for _ in 0..3 {
        app.update(key(KeyCode::Right));
    }
    let f = frame(&app);
    assert!(f.contains("Step 4 of 9 · Edit policy ImporterS3Policy"), "{f}");
    assert!(f.contains("IAM → Policies → ImporterS3Policy → Edit → JSON"), "{f}");
    assert!(f.contains("choose Edit, then JSON") || f.contains("Choose Edit, then JSON"), "{f}");
    assert!(!f.contains("then Create policy"), "no creation steps for what exists:\n{f}");
}
