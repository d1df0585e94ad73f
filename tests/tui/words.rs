//! Words: errors, flags, messages, help, and every listed key acts (no unlisted one does).

use super::*;

#[test]
fn errors_show_one_plain_line_and_the_detail_behind_f2() {
    let mut app = App::new();
    let id = detect_id(&app.init());
    app.update(key(KeyCode::Enter));
    app.update(Msg::Detected {
        id,
        detected: Box::new(Detected {
            region: Some("eu-west-1".parse().unwrap()),
            profile: None,
            source: None,
            endpoint: None,
            identity: Err(Problem::Aws(AwsError::Unreachable {
                endpoint: "https://sts.eu-west-1.amazonaws.com".into(),
                detail: "DispatchFailure(DispatchFailure { source: ConnectorError { kind: Io, source: SdkBody })"
                    .into(),
            })),
            aws: None,
        }),
    });
    app.update(Msg::Resize(80, 24));
    let f = frame(&app);
    assert!(!f.contains("SdkBody") && !f.contains("DispatchFailure"), "{f}");
    assert!(f.contains("▸ Account id"), "the focused field stays on screen at 80×24:\n{f}");
    snap("identity_error", &mut app);
    app.update(key(KeyCode::F(2)));
    assert!(frame(&app).contains("DispatchFailure"), "the detail is one key away");
}

#[test]
fn a_duplicate_name_is_flagged_on_its_field() {
    let mut app = at_params_postman();
    app.update(key(KeyCode::Tab));
    app.update(ctrl('u'));
    typed(&mut app, "PostmanAccessPolicy");
    let f = frame(&app);
    assert!(!f.contains("the Postman policy has this name too"), "a user and a policy may share a name");
    let mut app = at_preview();
    app.update(key(KeyCode::Esc));
    for _ in 0..6 {
        app.update(key(KeyCode::Tab));
    }
    app.update(ctrl('u'));
    typed(&mut app, "ImporterS3Role");
    let f = frame(&app);
    assert!(f.contains("✗ the S3 role has this name too"), "{f}");
    snap("params_duplicate_name", &mut app);
}

#[test]
fn the_plan_after_a_partial_run_does_not_say_nothing_was_written() {
    let mut app = at_failed_run();
    let (id, params) = plan_id(&app.update(ch('r')));
    assert_eq!(app.screen, Screen::Plan);
    // The account read again: what the failed run made is there now.
    let mut again = checked_plan(&params);
    for s in &mut again.steps[..4] {
        (s.action, s.reason) = (Action::Unchanged, "exists as wanted".into());
    }
    app.update(Msg::Planned { id, result: Box::new(Ok(again)) });
    let f = frame(&app);
    assert!(f.contains(&format!("Account {ACCOUNT}, Region eu-west-1")), "the plan itself is drawn:\n{f}");
    assert!(!f.contains("Nothing has been written yet") && f.contains("wrote to it"), "{f}");
}

// Seen (issue 16): the run could not reach AWS (no step was sent); the plan after `r` said "Earlier runs of this
// session wrote to it" and the exit "the run did not complete" when nothing was written.
#[test]
fn the_plan_after_a_run_that_wrote_nothing_says_nothing_was_written() {
    let mut app = at_run();
    let lost = AwsError::Unreachable { endpoint: "https://iam.amazonaws.com".into(), detail: "dns error".into() };
    app.update(Msg::Applied(Box::new(Err(Problem::Aws(lost)))));
    let (id, params) = plan_id(&app.update(ch('r')));
    app.update(Msg::Planned { id, result: Box::new(Ok(checked_plan(&params))) });
    let f = frame(&app);
    assert!(f.contains("Nothing has been written yet") && !f.contains("wrote to it"), "{f}");
    app.update(ch('q'));
    assert!(app.should_quit, "nothing to settle");
    let r = app.exit_report();
    assert_eq!((r.code, r.lines[0].as_str()), (0, "Nothing was written to the account."));
}

#[test]
fn conflicts_offer_a_key_not_a_flag() {
    let mut app = to_plan(at_preview(), |p| {
        p.steps[0].action = Action::Conflict;
        p.steps[0].reason =
            "exists with a different document and was not created by pinpoint-iam-wizard; --adopt to take it over"
                .into();
    });
    let f = frame(&app);
    assert!(!f.contains("--adopt"), "{f}");
    assert!(f.contains("a adopts"));
    assert!(app.update(key(KeyCode::Enter)).is_empty() && app.overlay.is_none(), "no apply with conflicts");
    app.update(ch('a'));
    app.update(key(KeyCode::Enter));
    let Some(Overlay::Confirm(c)) = &app.overlay else { panic!() };
    assert!(c.lines.join(" ").contains("takes over"));
}

#[test]
fn a_plan_with_nothing_to_write_offers_the_summary_not_apply() {
    let mut app = to_plan(at_preview(), |p| {
        for s in &mut p.steps {
            s.action = Action::Unchanged;
        }
    });
    let f = frame(&app);
    assert!(f.contains("Nothing to change") && !f.contains("apply…"), "{f}");
    assert!(app.update(key(KeyCode::Enter)).is_empty());
    assert_eq!(app.screen, Screen::Summary);
    assert!(!app.session.wrote);
}

#[test]
fn a_failed_run_is_not_shown_under_a_full_green_gauge() {
    let mut app = at_failed_run();
    let mut t = Terminal::new(TestBackend::new(120, 40)).unwrap();
    t.draw(|f| pinpoint_iam_wizard::tui::view::draw(&app, f, &Theme { color: true })).unwrap();
    let buf = t.backend().buffer().clone();
    let gauge_row: String = (0..120).map(|x| buf[(x, 2)].symbol().to_string()).collect();
    assert!(gauge_row.contains("failed"), "{gauge_row}");
    assert!(
        (0..120)
            .all(|x| buf[(x, 2)].bg != ratatui::style::Color::Green && buf[(x, 2)].fg != ratatui::style::Color::Green),
        "no green in a failed run's gauge"
    );
    snap("run_failed", &mut app);
}

#[test]
fn the_summary_names_what_is_in_use_and_the_destroy_command_is_complete() {
    let mut app = at_params();
    typed(&mut app, "pinpoint");
    app.update(key(KeyCode::Tab));
    app.update(key(KeyCode::Down));
    for _ in 0..8 {
        app.update(key(KeyCode::Tab));
    }
    app.update(ctrl('u'));
    typed(&mut app, "LambdaImport");
    app.update(key(KeyCode::Enter));
    let mut app = to_plan(app, |_| {});
    app.update(key(KeyCode::Enter));
    app.update(ch('y'));
    let mut run = EngineRun::of(&app);
    run.begin(&mut app);
    run.finish_all(&mut app);
    run.end(&mut app, Some(fake_key()), None);
    // Revealed first: leaving an unseen secret asks to delete or keep the key instead.
    app.update(ch('r'));
    app.update(key(KeyCode::Enter));
    app.update(ch('y'));
    assert_eq!(app.screen, Screen::Summary);
    let text = frame(&app);
    assert!(text.contains("give the Lambda function the role LambdaImport"), "{text}");
    assert!(text.contains("destroy --setup all --name pinpoint-role-name=LambdaImport"), "{text}");
    assert!(!text.contains("--setup …"));
}

#[test]
fn status_messages_belong_to_their_screen() {
    let mut app = at_params();
    app.update(key(KeyCode::Enter));
    assert!(app.status_text().unwrap().contains("S3 bucket"));
    app.update(key(KeyCode::Esc));
    assert_eq!(app.status_text(), None, "the message does not follow to another screen");
}

#[test]
fn a_waiting_message_goes_when_the_answer_comes() {
    let mut app = App::new();
    let id = detect_id(&app.init());
    app.update(key(KeyCode::Enter));
    app.update(key(KeyCode::Enter));
    assert!(app.status_text().unwrap().contains("Still asking STS"));
    app.update(detected(id, "eu-west-1", true));
    assert_eq!(app.status_text(), None, "the answer came: the message is no longer true");
}

#[test]
fn help_says_what_the_screen_is_for_then_its_keys() {
    let mut app = at_preview();
    app.update(ch('?'));
    let f = frame(&app);
    assert!(f.contains("Read every policy and trust document"), "{f}");
    assert!(f.contains("copy document"));
    snap("help_overlay", &mut app);
}

#[test]
fn the_postman_footer_lists_only_keys_that_act() {
    let mut app = at_params_postman();
    let f = frame(&app);
    assert!(!f.contains("toggle harden") && !f.contains("pick"), "{f}");
    let before = frame(&app);
    app.update(ch(' '));
    assert_ne!(before, frame(&app), "Space types in the name field");
}

/// Every screen in its main states, each reached by keys and messages.
/// A way to reach a state from launch.
type Reach = fn() -> App;

pub(crate) fn states() -> Vec<(&'static str, Reach)> {
    vec![
        ("welcome", App::new),
        ("identity", at_identity),
        ("params", at_params),
        ("params_postman", at_params_postman),
        ("preview", at_preview),
        ("plan", at_plan),
        ("run", at_run),
        ("run_failed", at_failed_run),
        ("secret", at_secret),
        ("summary", at_summary),
        ("summary_rotated", rotated),
        ("help_open", || {
            let mut app = at_preview();
            app.update(ch('?'));
            app
        }),
        ("confirm_open", || {
            let mut app = at_plan();
            app.update(key(KeyCode::Enter));
            app
        }),
        ("details_open", || {
            let mut app = at_failed_run();
            app.update(key(KeyCode::F(2)));
            app
        }),
        ("quit_prompt_open", || {
            let mut app = at_failed_run();
            app.update(ch('q'));
            app
        }),
        ("manual", at_manual),
        ("manual_verified", manual_verified),
        ("manual_offline", manual_offline),
        ("export_open", || {
            let mut app = at_preview();
            app.update(ch('e'));
            app
        }),
    ]
}

fn probe_keys() -> Vec<KeyEvent> {
    let mut v: Vec<KeyEvent> = "abcdefghijklmnopqrstuvwxyz0123456789 ?"
        .chars()
        .map(|c| KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
        .collect();
    for code in [
        KeyCode::Enter,
        KeyCode::Esc,
        KeyCode::Tab,
        KeyCode::BackTab,
        KeyCode::Up,
        KeyCode::Down,
        KeyCode::Left,
        KeyCode::Right,
        KeyCode::PageUp,
        KeyCode::PageDown,
        KeyCode::Home,
        KeyCode::End,
        KeyCode::Backspace,
        KeyCode::Delete,
        KeyCode::F(2),
        KeyCode::F(5),
    ] {
        v.push(KeyEvent::new(code, KeyModifiers::NONE));
    }
    v
}

/// What a key did: the frame after it, the commands, and whether it quit or opened something.
fn effect(make: Reach, k: KeyEvent) -> (bool, String) {
    let mut app = make();
    app.update(Msg::Resize(80, 24));
    let before = frame(&app);
    let cmds = app.update(Msg::Key(k));
    let acted = !cmds.is_empty() || app.should_quit || frame(&app) != before;
    (acted, format!("{cmds:?}"))
}

#[test]
fn every_listed_key_acts_and_no_unlisted_key_does() {
    use pinpoint_iam_wizard::tui::keys::Key;
    for (name, make) in states() {
        let mut app = make();
        app.update(Msg::Resize(80, 24));
        let f = frame(&app);
        let table = app.active_bindings();
        let shown = app.shown_keys();
        for s in &shown {
            assert!(f.contains(s.label) && f.contains(&s.does), "{name}: footer lists {} {}:\n{f}", s.label, s.does);
        }
        for k in probe_keys() {
            let bound = table.iter().find(|(keys, _)| keys.iter().any(|key| key.matches(&k)));
            let (acted, cmds) = effect(make, k);
            match bound {
                Some((_, label)) => {
                    // Scrolling up at the top, choosing what is chosen: a listed entry acts through one of its keys.
                    let group: Vec<KeyEvent> = table
                        .iter()
                        .filter(|(_, l)| l == label)
                        .flat_map(|(keys, _)| keys.iter())
                        .filter_map(|key| match key {
                            Key::Code(c) => Some(KeyEvent::new(*c, KeyModifiers::NONE)),
                            Key::Text => Some(KeyEvent::new(KeyCode::Char('x'), KeyModifiers::NONE)),
                            Key::Ctrl(_) => None,
                        })
                        .collect();
                    let any = acted || group.into_iter().any(|g| effect(make, g).0);
                    assert!(any, "{name}: {k:?} is listed ({label}) but does nothing");
                }
                None => assert!(!acted, "{name}: {k:?} is not listed but acts: {cmds}"),
            }
        }
    }
}

#[test]
fn no_key_on_any_screen_writes_without_a_confirmation() {
    for (name, make) in states() {
        for k in probe_keys() {
            let mut app = make();
            let was_open = matches!(app.overlay, Some(Overlay::Confirm(_)));
            let cmds = app.update(Msg::Key(k));
            assert!(!writes(&cmds) || was_open, "{name}: {k:?} wrote without asking: {cmds:?}");
        }
    }
}

#[test]
fn the_gauge_of_a_run_whose_every_step_failed_or_was_skipped_is_empty() {
    let mut app = at_run();
    let mut run = EngineRun::of(&app);
    run.begin(&mut app);
    let denied = AwsError::AccessDenied {
        action: "iam:CreatePolicy".into(),
        resource: "PostmanAccessPolicy".into(),
        message: "not allowed".into(),
        request_id: None,
    };
    let first = run.running()[0];
    for i in run.running() {
        run.fail(&mut app, i, denied.clone());
    }
    run.end(&mut app, None, Some((first, denied)));
    let mut t = Terminal::new(TestBackend::new(120, 40)).unwrap();
    t.draw(|f| pinpoint_iam_wizard::tui::view::draw(&app, f, &Theme { color: true })).unwrap();
    let buf = t.backend().buffer().clone();
    let gauge_row: String = (0..120).map(|x| buf[(x, 2)].symbol().to_string()).collect();
    assert!(gauge_row.contains("0/14 write steps succeeded"), "{gauge_row}");
    let filled = (1..119).filter(|x| buf[(*x, 2)].bg == ratatui::style::Color::Red).count();
    assert_eq!(filled, 0, "nothing succeeded, nothing is filled: {gauge_row}");
}
