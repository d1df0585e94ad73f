//! Nothing acts behind "terminal too small", every write goes through one confirmation, quitting settles the run.

use super::*;

#[test]
fn too_small_terminal_ignores_every_key_but_quit() {
    let mut app = at_plan();
    app.update(Msg::Resize(70, 20));
    assert!(frame(&app).contains("Terminal too small"));
    for m in [key(KeyCode::Enter), ch('y'), ch('a'), key(KeyCode::Esc), ch('n'), key(KeyCode::Down)] {
        assert!(app.update(m).is_empty());
    }
    assert!(app.overlay.is_none(), "no confirmation opened behind the message");
    assert_eq!(app.screen, Screen::Plan);
    app.update(Msg::Resize(120, 40));
    assert!(app.update(key(KeyCode::Enter)).is_empty());
    assert!(matches!(app.overlay, Some(Overlay::Confirm(_))), "once visible, Enter asks");

    let mut params = at_params();
    params.update(Msg::Resize(79, 24));
    typed(&mut params, "hidden");
    params.update(Msg::Paste("pasted".into()));
    params.update(Msg::Resize(80, 24));
    assert!(!frame(&params).contains("hidden") && !frame(&params).contains("pasted"), "no key landed in a field");
    params.update(Msg::Resize(60, 10));
    params.update(ch('q'));
    assert!(params.should_quit, "q quits even when too small");
}

// ---- 2. every write goes through one confirmation ----

#[test]
fn k_scrolls_nothing_and_writes_nothing_and_every_write_asks_first() {
    let mut app = to_plan(at_preview(), |p| {
        for s in &mut p.steps {
            if matches!(s.kind, plan::StepKind::AccessKey(_)) {
                s.action = Action::Unchanged;
            }
        }
    });
    assert!(app.update(ch('k')).is_empty(), "k is not a write");
    assert!(app.overlay.is_none());
    assert!(app.update(ch('n')).is_empty());
    let Some(Overlay::Confirm(c)) = &app.overlay else { panic!("n asks") };
    assert!(c.lines.join(" ").contains("Creates a new access key for PostmanUser"), "{:?}", c.lines);
    app.update(key(KeyCode::Esc));
    assert!(app.overlay.is_none());

    // Summary after a rotation: deactivate and delete each ask, and say what they do.
    let mut app = at_summary();
    let cmds = app.update(ch('n'));
    assert!(cmds.is_empty());
    assert!(app.overlay.is_none(), "no rotation offered: the plan made the key");

    let mut app = rotated();
    assert!(app.update(ch('d')).is_empty(), "d only asks");
    let Some(Overlay::Confirm(c)) = &app.overlay else { panic!("d asks") };
    assert!(c.lines[0].contains("Deactivates PostmanUser's old access key(s) AKIAOLD1"));
    let cmds = app.update(ch('y'));
    assert!(matches!(cmds.as_slice(), [Cmd::Retire(r)] if !r.delete));
    app.update(Msg::Retired(Ok(Retired { ids: vec!["AKIAOLD1".into()], deleted: false })));
    assert!(app.update(ch('x')).is_empty(), "x only asks");
    let Some(Overlay::Confirm(c)) = &app.overlay else { panic!("x asks") };
    assert!(c.lines.join(" ").contains("cannot be undone"));
    assert!(matches!(app.update(ch('y')).as_slice(), [Cmd::Retire(r)] if r.delete));
    app.update(Msg::Retired(Ok(Retired { ids: vec!["AKIAOLD1".into()], deleted: true })));
    let text = app.exit_report().lines.join("\n");
    assert!(
        text.contains("Deleted the old access key(s) AKIAOLD1.") && text.contains("new access key AKIAFAKE"),
        "{text}"
    );
}

/// After a rotation (two keys: one chosen for deletion, confirmed), on the summary with the old key active.
pub(crate) fn rotated() -> App {
    let mut app = to_plan(at_preview(), |p| {
        for s in &mut p.steps {
            s.action = Action::Unchanged;
        }
    });
    app.update(ch('n'));
    let cmds = app.update(ch('y'));
    assert!(matches!(cmds.as_slice(), [Cmd::ListKeys { user }] if user == "PostmanUser"), "{cmds:?}");
    let keys = vec![
        AccessKeyInfo { id: "AKIAOLD1".into(), active: true },
        AccessKeyInfo { id: "AKIAOLD2".into(), active: false },
    ];
    app.update(Msg::Keys(Ok(keys)));
    assert!(matches!(app.overlay, Some(Overlay::ChooseKey(_))));
    app.update(key(KeyCode::Down));
    assert!(app.update(key(KeyCode::Enter)).is_empty(), "choosing the key to delete asks again");
    let Some(Overlay::Confirm(c)) = &app.overlay else { panic!() };
    assert!(c.lines[0].contains("AKIAOLD2"));
    let cmds = app.update(ch('y'));
    assert!(matches!(cmds.as_slice(), [Cmd::Rotate(r)] if r.delete_first.as_deref() == Some("AKIAOLD2")));
    app.update(Msg::Rotated(Box::new(Ok(pinpoint_iam_wizard::engine::access_keys::Rotation {
        key: fake_key(),
        old: vec![AccessKeyInfo { id: "AKIAOLD1".into(), active: true }],
        deleted_first: Some("AKIAOLD2".into()),
        adopted: vec![],
    }))));
    assert_eq!(app.screen, Screen::Secret);
    app.update(ch('r'));
    app.update(key(KeyCode::Enter));
    app.update(ch('y'));
    assert_eq!(app.screen, Screen::Summary);
    app
}

#[test]
fn apply_asks_with_what_will_be_written() {
    let mut app = at_plan();
    app.update(key(KeyCode::Enter));
    let Some(Overlay::Confirm(c)) = &app.overlay else { panic!() };
    let text = c.lines.join("\n");
    assert!(text.contains(&format!("Writes to account {ACCOUNT} in eu-west-1")));
    assert!(text.contains("creates an access key for PostmanUser"));
    snap("plan_confirm_apply", &mut app);
    assert!(app.update(key(KeyCode::Esc)).is_empty(), "Esc writes nothing");
    assert_eq!(app.screen, Screen::Plan);
}

// ---- 3. quitting settles the run ----

#[test]
fn quitting_after_a_failed_run_asks_rolls_back_and_exits_non_zero() {
    let mut app = at_failed_run();
    assert!(app.update(ch('q')).is_empty());
    assert!(!app.should_quit, "q does not leave an unsettled run");
    let Some(Overlay::Confirm(c)) = &app.overlay else { panic!("asked") };
    assert!(c.lines[0].contains("policy PostmanAccessPolicy"), "{:?}", c.lines);
    snap("quit_after_failure", &mut app);
    let cmds = app.update(ch('b'));
    assert!(matches!(cmds.as_slice(), [Cmd::RollBack(_)]));
    assert!(!app.should_quit, "not before the rollback ends");
    app.update(Msg::RolledBack(vec![]));
    assert!(app.should_quit);
    let r = app.exit_report();
    assert_eq!(r.code, 1);
    assert!(r.lines[0].contains("rolled back"), "{:?}", r.lines);

    // Keeping is an explicit choice, and the exit says so.
    let mut app = at_failed_run();
    app.update(ch('q'));
    assert!(app.update(ch('k')).is_empty());
    assert!(app.should_quit);
    let r = app.exit_report();
    assert_eq!(r.code, 1);
    assert!(r.lines[0].contains("kept"));
    assert!(r.lines.iter().any(|l| l.contains("created") && l.contains("PostmanAccessPolicy")));
}

#[test]
fn a_rollback_that_leaves_something_says_so_on_exit() {
    let mut app = at_failed_run();
    app.update(ch('q'));
    assert!(matches!(app.update(ch('b')).as_slice(), [Cmd::RollBack(_)]));
    // The account read again after the rollback: one write remains.
    app.update(Msg::Engine(Event::RolledBack(1)));
    app.update(Msg::Engine(Event::Finished { step: 0, status: Status::Left }));
    app.update(Msg::RolledBack(vec![]));
    assert!(app.should_quit);
    let r = app.exit_report();
    assert_eq!(r.code, 1);
    assert!(r.lines[0].contains("1 of its writes remain"), "{:?}", r.lines);
    assert!(r.lines.iter().any(|l| l.contains("left") && l.contains("PostmanAccessPolicy")), "{:?}", r.lines);
}

#[test]
fn ctrl_c_during_a_rollback_waits_then_quits_non_zero_saying_what_may_remain() {
    let mut app = at_failed_run();
    app.update(ch('b'));
    assert!(matches!(app.update(ch('y')).as_slice(), [Cmd::RollBack(_)]));
    assert!(app.update(ctrl('c')).is_empty());
    assert!(!app.should_quit, "the first Ctrl-C asks");
    app.update(ctrl('c'));
    assert!(!app.should_quit, "the second waits for the rollback");
    app.update(ctrl('c'));
    assert!(app.should_quit, "the third leaves now");
    let r = app.exit_report();
    assert_eq!(r.code, 1);
    assert!(r.lines[0].contains("part of it may remain"), "{:?}", r.lines);
}

#[test]
fn quitting_mid_run_stops_and_rolls_back_before_leaving() {
    let mut app = at_run();
    let mut run = EngineRun::of(&app);
    run.begin(&mut app);
    // The user is made, so its key is being made when the operator quits.
    run.finish(&mut app, 7);
    assert!(run.running().contains(&(steps(&app) - 1)), "the access key step runs");
    app.update(ch('q'));
    let cmds = app.update(ch('b'));
    assert!(matches!(cmds.as_slice(), [Cmd::Cancel]));
    run.interrupt();
    assert!(!app.should_quit);
    // The steps already sent finish (the key with them); nothing new starts.
    run.finish_all(&mut app);
    assert!(matches!(run.end(&mut app, Some(fake_key()), None).as_slice(), [Cmd::RollBack(_)]));
    assert!(app.session.custody.held().is_none(), "an unseen key is dropped");
    app.update(Msg::RolledBack(vec![]));
    assert!(app.should_quit);
    assert_eq!(app.exit_report().code, 1);
}

#[test]
fn keeping_a_run_that_made_a_key_shows_the_secret_before_quitting() {
    let mut app = at_run();
    let mut run = EngineRun::of(&app);
    run.begin(&mut app);
    run.finish(&mut app, 7);
    app.update(ch('q'));
    assert!(matches!(app.update(ch('k')).as_slice(), [Cmd::Cancel]));
    run.interrupt();
    run.finish_all(&mut app);
    run.end(&mut app, Some(fake_key()), None);
    assert!(!app.should_quit, "a key nobody saw is not left behind silently");
    assert_eq!(app.screen, Screen::Secret);
    assert!(frame(&app).contains("store its secret now"));
    app.update(ch('r'));
    app.update(key(KeyCode::Enter));
    app.update(ch('y'));
    app.update(ch('q'));
    assert!(app.should_quit);
    let r = app.exit_report();
    assert_eq!(r.code, 1, "the run did not complete");
    assert!(r.lines[0].contains("kept"), "{:?}", r.lines);
}

#[test]
fn quitting_before_any_write_exits_0() {
    let mut app = at_plan();
    app.update(ch('q'));
    assert!(app.should_quit);
    let r = app.exit_report();
    assert_eq!(r.code, 0);
    assert_eq!(r.lines[0], "Nothing was written to the account.");
}

/// A run whose every step failed without an answer (the emulator gone): nothing is known written, yet a lost
/// request may have landed. The quit prompt says exactly that, not "it made or changed: nothing" beside an offer
/// to undo "all of it" (found trying it with the emulator killed).
#[test]
fn quitting_after_a_run_that_wrote_nothing_known_says_so() {
    let mut app = at_run();
    let mut run = EngineRun::of(&app);
    run.begin(&mut app);
    let gone = AwsError::Unreachable { endpoint: "http://127.0.0.1:1".into(), detail: "Connection refused".into() };
    for i in run.running() {
        run.fail(&mut app, i, gone.clone());
    }
    run.end(&mut app, None, Some((0, gone)));
    app.update(ch('q'));
    let Some(Overlay::Confirm(c)) = &app.overlay else { panic!("asked") };
    assert!(c.lines[0].contains("before any write was confirmed"), "{:?}", c.lines);
    assert!(!c.lines.iter().any(|l| l.contains("made or changed: nothing")), "{:?}", c.lines);
}

#[test]
fn old_keys_are_not_offered_for_retirement_when_the_new_key_was_deleted_unseen() {
    let mut app = to_plan(at_preview(), |p| {
        for s in &mut p.steps {
            s.action = Action::Unchanged;
        }
    });
    app.update(ch('n'));
    app.update(ch('y'));
    app.update(Msg::Keys(Ok(vec![AccessKeyInfo { id: "AKIAOLD1".into(), active: true }])));
    app.update(Msg::Rotated(Box::new(Ok(pinpoint_iam_wizard::engine::access_keys::Rotation {
        key: fake_key(),
        old: vec![AccessKeyInfo { id: "AKIAOLD1".into(), active: true }],
        deleted_first: None,
        adopted: vec![],
    }))));
    assert_eq!(app.screen, Screen::Secret);
    // Done without revealing: the prompt offers to delete the unseen key.
    app.update(key(KeyCode::Enter));
    let cmds = app.update(ch('d'));
    assert!(matches!(cmds.as_slice(), [Cmd::DeleteKey { id, .. }] if id == "AKIAFAKEFAKEFAKEFAKE"), "{cmds:?}");
    app.update(Msg::KeyDeleted { id: "AKIAFAKEFAKEFAKEFAKE".into(), verified: true });
    assert_eq!(app.screen, Screen::Summary);
    let f = frame(&app);
    assert!(!f.contains("deactivate old key"), "the old key is the only one anyone can use:\n{f}");
    assert!(app.update(ch('d')).is_empty() && app.overlay.is_none(), "d asks nothing");
    assert!(f.contains("n new access key"), "another rotation is offered:\n{f}");
    app.update(Msg::Resize(80, 24));
    app.update(key(KeyCode::End));
    let words = frame(&app).replace(['│', '"'], " ").split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(words.contains("so these stay as they are (n makes another)"), "said whole at 80×24:\n{}", frame(&app));
    // Once a new key's secret is delivered, the old one may go.
    let mut app = rotated();
    assert!(frame(&app).contains("d deactivate old key"));
    assert!(app.update(ch('d')).is_empty() && app.overlay.is_some());
}
