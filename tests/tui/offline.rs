//! Every command answers without a connection (issue 16): the runtime answers with `Cmd::offline`.

use super::*;
use pinpoint_iam_wizard::tui::app::{KeyRetirement, KeyRotation};

use pinpoint_iam_wizard::tui::app::{Intent, Phase};

/// What the runtime does with `cmd` when there is no connection: the answer it sends back.
fn answer(cmds: Vec<Cmd>) -> Msg {
    let [cmd] = <[Cmd; 1]>::try_from(cmds).unwrap_or_else(|c| panic!("one command, got {c:?}"));
    cmd.offline().unwrap_or_else(|c| panic!("{c:?} has no answer without a connection"))
}

/// The setup in place with a key: `n` offers a rotation.
fn rotatable() -> App {
    to_plan(at_preview(), |p| p.steps.iter_mut().for_each(|s| s.action = Action::Unchanged))
}

#[test]
fn listing_the_keys_to_rotate_says_it_cannot_without_a_connection() {
    let mut app = rotatable();
    app.update(ch('n'));
    let cmds = app.update(ch('y'));
    assert!(matches!(cmds.as_slice(), [Cmd::ListKeys { .. }]), "{cmds:?}");
    assert!(app.update(answer(cmds)).is_empty());
    let said = app.status_text().unwrap_or_default();
    assert!(said.contains("not connected to AWS") && !said.contains("Reading"), "{said}");
    assert!(app.overlay.is_none(), "no key chooser");
}

#[test]
fn a_rotation_says_it_cannot_and_nothing_waits_for_it() {
    let mut app = rotatable();
    let cmds = app.perform(Intent::Rotate(KeyRotation { user: "PostmanUser".into(), delete_first: None }), false);
    assert_eq!(app.session.key_writes, 1);
    app.update(answer(cmds));
    assert_eq!(app.session.key_writes, 0, "no rotation is awaited any more");
    assert!(app.status_text().unwrap_or_default().contains("not connected to AWS"));
    assert_ne!(app.screen, Screen::Secret);
    app.update(ch('q'));
    assert!(app.should_quit, "quitting waits for nothing");
}

#[test]
fn a_retirement_says_it_cannot_and_nothing_waits_for_it() {
    let mut app = at_summary();
    let intent =
        Intent::Retire(KeyRetirement { user: "PostmanUser".into(), ids: vec!["AKIAOLD1".into()], delete: true });
    let cmds = app.perform(intent, false);
    assert_eq!(app.session.key_writes, 1);
    app.update(answer(cmds));
    assert_eq!(app.session.key_writes, 0);
    assert!(app.status_text().unwrap_or_default().contains("not connected to AWS"));
    assert!(app.session.retired.is_empty(), "nothing was retired");
}

#[test]
fn a_rollback_that_cannot_start_leaves_the_choice_open() {
    let mut app = at_failed_run();
    app.update(ch('b'));
    let cmds = app.update(ch('y'));
    assert!(matches!(cmds.as_slice(), [Cmd::RollBack(_)]), "{cmds:?}");
    assert!(matches!(app.session.run.phase, Phase::RollingBack));
    app.update(answer(cmds));
    assert!(app.session.run.awaiting_choice(), "not rolling back for ever: {:?}", app.session.run.phase);
    assert!(app.session.run.notes.iter().any(|n| n.contains("Nothing was rolled back")), "{:?}", app.session.run.notes);
    assert!(frame(&app).contains("roll back…"), "the choice is offered again");
}

#[test]
fn every_command_that_needs_aws_answers_and_the_others_run() {
    use pinpoint_iam_wizard::engine::RollbackLog;
    let needs = vec![
        Cmd::ListBuckets { id: 1 },
        Cmd::ListProjects { id: 2 },
        Cmd::RollBack(RollbackLog::default()),
        Cmd::DeleteKey { user: "u".into(), id: "AKIA1".into() },
        Cmd::ListKeys { user: "u".into() },
        Cmd::Rotate(KeyRotation { user: "u".into(), delete_first: None }),
        Cmd::Retire(KeyRetirement { user: "u".into(), ids: vec![], delete: false }),
    ];
    for c in needs {
        let name = format!("{c:?}");
        assert!(c.offline().is_ok(), "{name} answers");
    }
    for c in [Cmd::Cancel, Cmd::ClearClipboard, Cmd::Detect { id: 3, region: None, mfa_code: None }] {
        assert!(c.offline().is_err(), "runs without a connection");
    }
}

#[test]
fn a_save_or_copy_of_a_secret_no_longer_held_answers() {
    use pinpoint_iam_wizard::tui::app::Copied;
    let asks = [
        Cmd::Copy { what: Copied::Secret },
        Cmd::Copy { what: Copied::KeyId },
        Cmd::SaveProfile { name: "p".into(), overwrite: false },
        Cmd::SaveCsv { path: "k.csv".into() },
    ];
    for c in asks {
        let name = format!("{c:?}");
        match c.without_secret() {
            Ok(Msg::Copied { result: Err(e), .. }) => assert!(e.contains("no new access key's secret is held"), "{e}"),
            Ok(Msg::Saved(Err(e))) => assert!(e.line().contains("no new access key's secret is held"), "{e}"),
            other => panic!("{name} does not answer: {other:?}"),
        }
    }
    let document = Cmd::Copy { what: Copied::Document { title: "t".into(), json: "{}".into() } };
    assert!(document.without_secret().is_err(), "a document needs no secret");
    // On the secret screen, the answer is shown where the save's result goes.
    let mut app = at_secret();
    app.update(Msg::Saved(Err(Problem::NothingHeld)));
    assert!(frame(&app).contains("no new access key's secret is held"), "{}", frame(&app));
}
