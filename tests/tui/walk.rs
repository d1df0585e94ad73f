//! The rest of the walk: the secret screen, saving, offline, engine events, snapshots of every screen.

use super::*;

#[test]
fn the_secret_is_masked_until_revealed_copied_with_a_countdown_and_leaving_asks() {
    let mut app = at_secret();
    assert!(!frame(&app).contains(FAKE_SECRET));
    snap("secret_masked", &mut app);
    app.update(ch('r'));
    assert!(frame(&app).contains(FAKE_SECRET));
    assert!(matches!(app.update(ch('c')).as_slice(), [Cmd::Copy { what: Copied::Secret }]));
    let t0 = Instant::now();
    app.update(Msg::Tick(t0));
    app.update(Msg::Copied {
        what: Copied::Secret,
        result: Ok(pinpoint_iam_wizard::secret::clipboard::Method::System),
        why_not_system: None,
    });
    app.update(Msg::Tick(t0 + Duration::from_secs(18)));
    assert!(frame(&app).contains("cleared of the secret in 42 s"));
    snap("secret_revealed_copied", &mut app);
    assert!(app.update(Msg::Tick(t0 + Duration::from_secs(59))).is_empty());
    assert!(matches!(app.update(Msg::Tick(t0 + Duration::from_secs(60))).as_slice(), [Cmd::ClearClipboard]));
    assert!(app.update(Msg::Tick(t0 + Duration::from_secs(61))).is_empty(), "cleared once");
    app.update(Msg::ClipboardCleared(true));
    assert!(frame(&app).contains("no longer holds the secret"));
    app.update(ch('q'));
    let Some(Overlay::Confirm(c)) = &app.overlay else { panic!("quitting with the secret on screen asks") };
    assert!(c.lines[0].contains("gone for good"));
    app.update(key(KeyCode::Esc));
    app.update(key(KeyCode::Enter));
    assert!(frame(&app).contains("Have you stored the secret?"));
    app.update(ch('n'));
    assert_eq!(app.screen, Screen::Secret);
    app.update(key(KeyCode::Enter));
    app.update(ch('y'));
    assert_eq!(app.screen, Screen::Summary);
    assert!(app.session.custody.held().is_none(), "the secret is dropped (and zeroized) on leaving");
    assert!(!frame(&app).contains("FAKEsecret"));
}

#[test]
fn the_quit_prompt_says_the_clipboard_keeps_the_secret_after_exit() {
    let mut app = at_secret();
    app.update(Msg::Tick(Instant::now()));
    app.update(ch('c'));
    app.update(Msg::Copied {
        what: Copied::Secret,
        result: Ok(pinpoint_iam_wizard::secret::clipboard::Method::System),
        why_not_system: None,
    });
    app.update(ch('q'));
    let Some(Overlay::Confirm(c)) = &app.overlay else { panic!() };
    assert!(c.lines.join(" ").contains("clipboard keeps it for 60 s more after the wizard exits"), "{:?}", c.lines);
    // Leaving the secret screen first: quitting still says the clipboard holds it until the countdown ends.
    app.update(key(KeyCode::Esc));
    app.update(key(KeyCode::Enter));
    app.update(ch('y'));
    assert_eq!(app.screen, Screen::Summary);
    app.update(ch('q'));
    assert!(!app.should_quit);
    let Some(Overlay::Confirm(c)) = &app.overlay else { panic!("asked") };
    assert!(c.lines[0].contains("keeps it for 60 s more after the wizard exits"), "{:?}", c.lines);
    app.update(ch('y'));
    assert!(app.should_quit);
}

#[test]
fn saving_asks_before_overwriting_a_profile() {
    let mut app = at_secret();
    app.update(ch('p'));
    for _ in 0.."postman".len() {
        app.update(key(KeyCode::Backspace));
    }
    typed(&mut app, "ops");
    assert!(frame(&app).contains("Enter writes it to"), "the prompt says what Enter will do");
    let cmds = app.update(key(KeyCode::Enter));
    assert!(matches!(cmds.as_slice(), [Cmd::SaveProfile { name, overwrite: false }] if name == "pinpoint-ops"));
    app.update(Msg::Saved(Err(Problem::Save(pinpoint_iam_wizard::secret::store::SaveError::ProfileExists {
        profile: "pinpoint-ops".into(),
        path: "/tmp/c".into(),
    }))));
    assert!(frame(&app).contains("Profile [pinpoint-ops] exists. Overwrite it?"));
    assert!(app.update(ch('q')).is_empty() && app.overlay.is_none(), "q is not quit while asked");
    let cmds = app.update(ch('y'));
    assert!(matches!(cmds.as_slice(), [Cmd::SaveProfile { overwrite: true, .. }]));
    app.update(Msg::Saved(Ok("saved as profile [pinpoint-ops] in /tmp/c".into())));
    app.update(ch('s'));
    let cmds = app.update(key(KeyCode::Enter));
    let named = "PostmanUser_AKIAFAKEFAKEFAKEFAKE_accessKeys.csv";
    assert!(matches!(cmds.as_slice(), [Cmd::SaveCsv { path }] if path == named), "the key id in the name: {cmds:?}");
}

#[test]
fn offline_the_account_is_typed_previews_work_and_apply_is_not_offered() {
    let mut app = App::new();
    let id = detect_id(&app.init());
    app.update(key(KeyCode::Enter));
    app.update(detected(id, "eu-west-1", false));
    app.update(key(KeyCode::Enter));
    assert_eq!(app.screen, Screen::Identity, "no account id yet");
    typed(&mut app, ACCOUNT);
    app.update(key(KeyCode::Enter));
    assert_eq!(app.screen, Screen::Params);
    assert!(matches!(app.pages.params.buckets.items, Remote::Failed(_)), "listings fall back to typed entry");
    typed(&mut app, "pinpoint-imports");
    app.update(key(KeyCode::Tab));
    typed(&mut app, PROJECT);
    app.update(key(KeyCode::Enter));
    assert_eq!(app.screen, Screen::Preview);
    let (pid, params) = plan_id(&app.update(key(KeyCode::Enter)));
    assert_eq!(params.account.as_str(), ACCOUNT);
    app.update(Msg::Planned { id: pid, result: Box::new(Ok(plan::offline(&params).unwrap())) });
    assert!(frame(&app).contains("Cannot apply: offline"));
    assert!(app.update(key(KeyCode::Enter)).is_empty() && app.overlay.is_none(), "no apply offline");
    snap("plan_offline", &mut app);
}

#[test]
fn engine_events_drive_the_run() {
    let mut app = at_run();
    app.update(Msg::Tick(Instant::now()));
    // As the engine starts them: every step that waits for no other (the policies, the roles, the user) at once.
    let mut run = EngineRun::of(&app);
    run.begin(&mut app);
    assert_eq!(run.running(), (0..8).collect::<Vec<_>>(), "the first wave");
    assert_eq!(app.session.run.steps[7].state, StepState::Running, "steps that run at once show at once");
    assert_eq!(app.session.run.steps[8].state, StepState::Pending, "an attachment waits for its policy and role");
    run.finish(&mut app, 0);
    assert_eq!(app.session.run.steps[0].state, StepState::Done(Status::Created));
    snap("run_running", &mut app);
    app.update(ch('q'));
    assert!(matches!(&app.overlay, Some(Overlay::Confirm(c)) if c.quitting), "quitting while running asks");
    app.update(key(KeyCode::Esc));
    assert!(!app.should_quit);
    assert!(matches!(app.session.run.phase, Phase::Applying));
}

#[test]
fn a_second_ctrl_c_takes_the_safe_choice() {
    let mut app = at_failed_run();
    app.update(ctrl('c'));
    let cmds = app.update(ctrl('c'));
    assert!(matches!(cmds.as_slice(), [Cmd::RollBack(_)]), "the second Ctrl-C rolls back");
}

#[test]
fn snapshots_of_every_screen() {
    snap("welcome", &mut App::new());
    let mut app = App::new();
    app.init();
    app.update(key(KeyCode::Enter));
    snap("identity_loading", &mut app);
    snap("identity_loaded", &mut at_identity());
    snap("params_loaded", &mut at_params());
    let mut pinpoint_down = App::new();
    let id = detect_id(&pinpoint_down.init());
    pinpoint_down.update(key(KeyCode::Enter));
    let cmds = pinpoint_down.update(detected(id, "eu-west-1", true));
    for c in &cmds {
        if let Cmd::ListProjects { id } = c {
            pinpoint_down.update(Msg::Projects {
                id: *id,
                result: Err(Problem::Aws(AwsError::AccessDenied {
                    action: "mobiletargeting:GetApps".into(),
                    resource: "*".into(),
                    message: "denied".into(),
                    request_id: None,
                })),
            });
        }
    }
    pinpoint_down.update(key(KeyCode::Enter));
    pinpoint_down.update(key(KeyCode::Tab));
    snap("params_pinpoint_unavailable", &mut pinpoint_down);
    snap("params_postman", &mut at_params_postman());
    snap("preview_policy", &mut at_preview());
    let mut planning = at_preview();
    planning.update(key(KeyCode::Enter));
    snap("plan_loading", &mut planning);
    snap("plan_ready", &mut at_plan());
    snap("summary", &mut at_summary());
    snap("summary_old_key_active", &mut rotated());
    let mut quit = at_run();
    quit.update(ch('q'));
    snap("quit_while_running", &mut quit);
    let mut small = App::new();
    small.update(Msg::Resize(70, 20));
    let s = render(&small, 70, 20);
    assert!(s.contains("Terminal too small"));
    snapshot("too_small_70x20", &s);
}

#[test]
fn no_color_keeps_emphasis_but_drops_colours() {
    let app = at_preview();
    let mut t = Terminal::new(TestBackend::new(120, 40)).unwrap();
    t.draw(|f| pinpoint_iam_wizard::tui::view::draw(&app, f, &Theme { color: false })).unwrap();
    let buf = t.backend().buffer();
    assert!(buf.content().iter().all(|c| c.fg == ratatui::style::Color::Reset && c.bg == ratatui::style::Color::Reset));
    let mut t = Terminal::new(TestBackend::new(120, 40)).unwrap();
    t.draw(|f| pinpoint_iam_wizard::tui::view::draw(&app, f, &Theme { color: true })).unwrap();
    assert!(
        t.backend().buffer().content().iter().any(|c| c.fg == ratatui::style::Color::Magenta),
        "user values are highlighted"
    );
}

/// At 80 columns the OSC 52 countdown (the longest of the secret screen's status lines) wraps instead of being
/// cut at the border: the operator reads that the copy is cleared as the wizard exits (issue 16, also seen).
#[test]
fn the_osc52_countdown_wraps_at_80_columns() {
    let mut app = at_secret();
    app.update(Msg::Resize(80, 24));
    app.update(ch('c'));
    let t0 = Instant::now();
    app.update(Msg::Tick(t0));
    app.update(Msg::Copied {
        what: Copied::Secret,
        result: Ok(pinpoint_iam_wizard::secret::clipboard::Method::Osc52),
        why_not_system: Some("no display".into()),
    });
    let shown: String =
        frame(&app).lines().map(|l| l.trim_matches(|c| matches!(c, '│' | ' ' | '"'))).collect::<Vec<_>>().join(" ");
    assert!(shown.contains("or as the wizard exits."), "{}", frame(&app));
}
