//! The wizard without a terminal: every state is reached through keys and messages (never by setting fields),
//! `update` is checked for what it asks the runtime to do, and every screen is rendered with ratatui's
//! TestBackend and compared with its snapshot at 80×24 and 120×40.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use pinpoint_iam_wizard::aws::AwsError;
use pinpoint_iam_wizard::aws::iam::AccessKeyInfo;
use pinpoint_iam_wizard::aws::listings::Project;
use pinpoint_iam_wizard::engine::{Event, Status};
use pinpoint_iam_wizard::plan::{self, Action};
use pinpoint_iam_wizard::setup::segment_import::IMPORT_ROLE;
use pinpoint_iam_wizard::tui::app::{
    App, Cmd, Copied, Detected, Msg, Overlay, Phase, Problem, Remote, RequestId, Screen, StepState,
};
use pinpoint_iam_wizard::tui::screens;
use pinpoint_iam_wizard::tui::theme::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::time::{Duration, Instant};

mod wizard;

use wizard::*;

fn snap(name: &str, app: &mut App) {
    for (w, h) in [(80, 24), (120, 40)] {
        app.update(Msg::Resize(w, h));
        let frame = render(app, w, h);
        assert!(
            !frame.contains(FAKE_SECRET) || name.contains("revealed"),
            "{name}: the secret shows only when revealed"
        );
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), frame);
    }
    app.update(Msg::Resize(120, 40));
}

// ---- 1. nothing acts behind "terminal too small" ----

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
    assert!(matches!(cmds.as_slice(), [Cmd::Retire { delete: false, .. }]));
    app.update(Msg::Retired(Ok("Deactivated the old access key(s) AKIAOLD1.".into())));
    assert!(app.update(ch('x')).is_empty(), "x only asks");
    let Some(Overlay::Confirm(c)) = &app.overlay else { panic!("x asks") };
    assert!(c.lines.join(" ").contains("cannot be undone"));
    assert!(matches!(app.update(ch('y')).as_slice(), [Cmd::Retire { delete: true, .. }]));
    app.update(Msg::Retired(Ok("Deleted the old access key(s) AKIAOLD1.".into())));
    let text = app.exit_report().lines.join("\n");
    assert!(
        text.contains("Deleted the old access key(s) AKIAOLD1.") && text.contains("new access key AKIAFAKE"),
        "{text}"
    );
}

/// After a rotation (two keys: one chosen for deletion, confirmed), on the summary with the old key active.
fn rotated() -> App {
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
    assert!(matches!(cmds.as_slice(), [Cmd::Rotate { delete_first: Some(id), .. }] if id == "AKIAOLD2"));
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

// ---- 4. stale answers are dropped ----

#[test]
fn a_late_plan_for_an_older_request_is_dropped() {
    let mut app = at_preview();
    let (old_id, old_params) = plan_id(&app.update(key(KeyCode::Enter)));
    app.update(key(KeyCode::Esc));
    app.update(key(KeyCode::Esc));
    // Rename the import role (focus on the project: six fields further down).
    for _ in 0..6 {
        app.update(key(KeyCode::Tab));
    }
    app.update(ctrl('u'));
    typed(&mut app, "NewImportRole");
    app.update(key(KeyCode::Enter));
    let (new_id, new_params) = plan_id(&app.update(key(KeyCode::Enter)));
    assert_eq!(new_params.names.get(&IMPORT_ROLE), "NewImportRole");
    app.update(Msg::Planned { id: new_id, result: Box::new(Ok(checked_plan(&new_params))) });
    app.update(Msg::Planned { id: old_id, result: Box::new(Ok(checked_plan(&old_params))) });
    let plan = app.session.plan.ready().unwrap();
    assert_eq!(plan.params.names.get(&IMPORT_ROLE), "NewImportRole", "the answer to the latest request wins");
}

#[test]
fn a_region_change_drops_the_old_regions_projects() {
    let mut app = App::new();
    let id = detect_id(&app.init());
    app.update(key(KeyCode::Enter));
    let lists = app.update(detected(id, "eu-west-1", true));
    // Change the Region before the old lists arrive.
    app.update(ctrl('u'));
    typed(&mut app, "us-east-1");
    let cmds = app.update(key(KeyCode::Enter));
    let new_id = detect_id(&cmds);
    answer_lists(&mut app, &lists, newsletter());
    assert!(app.params.projects.matches().is_empty(), "eu-west-1's projects are not shown for us-east-1");
    let lists = app.update(detected(new_id, "us-east-1", true));
    answer_lists(&mut app, &lists, vec![Project { id: PROJECT2.into(), name: "Virginia".into() }]);
    assert_eq!(app.params.projects.matches().len(), 1);
    assert_eq!(app.params.projects.matches()[0].name, "Virginia");
    // A late identity answer for the first request changes nothing.
    app.update(detected(id, "eu-west-1", false));
    assert!(app.session.online());
}

// ---- 6. the preview shows every character ----

#[test]
fn preview_wraps_long_values_hides_findings_when_narrow_and_copies_or_writes_documents() {
    let mut app = at_params();
    typed(&mut app, "pinpoint");
    app.update(key(KeyCode::Tab));
    app.update(key(KeyCode::Down));
    for _ in 0..9 {
        app.update(key(KeyCode::Tab));
    }
    app.update(ch(' '));
    app.update(key(KeyCode::Enter));
    assert_eq!(app.screen, Screen::Preview);
    app.update(key(KeyCode::Left));
    app.update(key(KeyCode::Left));
    app.update(Msg::Resize(80, 24));
    let arn = format!("arn:aws:mobiletargeting:eu-west-1:{ACCOUNT}:apps/{PROJECT}");
    app.update(key(KeyCode::Down));
    app.update(key(KeyCode::Down));
    let text = frame(&app);
    let joined: String = text
        .lines()
        .map(|l| l.trim_matches(|c| c == '│' || c == ' ' || c == '"' || c == ','))
        .collect::<Vec<_>>()
        .concat();
    assert!(joined.contains(&arn), "the hardened trust's SourceArn is whole at 80×24:\n{text}");
    assert!(!text.contains("Least privilege"), "no findings panel cut to 30 columns at 80");
    snap("preview_pinpoint_trust_hardened", &mut app);
    let cmds = app.update(ch('c'));
    assert!(matches!(&cmds[..], [Cmd::Copy { what: Copied::Document { title, json } }]
        if title == "PinpointSegmentImport trust" && json.contains(&arn)));
    assert!(matches!(app.update(ch('w')).as_slice(), [Cmd::WriteDocuments]));
    app.update(Msg::DocumentsWritten(Ok("Wrote 7 documents to pinpoint-iam-documents/".into())));
    assert!(frame(&app).contains("Wrote 7 documents"));
    app.update(Msg::Resize(120, 40));
    assert!(frame(&app).contains("Least privilege"), "beside the document when wide");
}

/// The frame's buffer at the app's size.
fn buffer(app: &App) -> ratatui::buffer::Buffer {
    let mut t = Terminal::new(TestBackend::new(app.size.0, app.size.1)).unwrap();
    t.draw(|f| screens::draw(app, f, &Theme { color: true })).unwrap();
    t.backend().buffer().clone()
}

/// The frame's text with runs of white space and box edges collapsed, to find wrapped sentences.
fn flat(app: &App) -> String {
    frame(app).replace(['│', '"'], " ").split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn the_preview_marks_where_each_finding_is_and_access_analyzer_joins_in_the_background() {
    use pinpoint_iam_wizard::aws::analyzer::Analysis;
    use pinpoint_iam_wizard::setup::findings::{Finding, JsonPath, Severity, Source};
    let mut app = at_params();
    typed(&mut app, "pinpoint");
    app.update(key(KeyCode::Tab));
    app.update(key(KeyCode::Down));
    let cmds = app.update(key(KeyCode::Enter));
    assert_eq!(app.screen, Screen::Preview);
    let (id, desired) = cmds
        .iter()
        .find_map(|c| match c {
            Cmd::Validate { id, desired } => Some((*id, desired.clone())),
            _ => None,
        })
        .expect("IAM Access Analyzer is asked when the preview opens with working credentials");
    assert_eq!(desired.documents().len(), 7);
    app.update(Msg::Resize(80, 24));
    app.update(key(KeyCode::Right));
    assert!(frame(&app).contains("ImporterS3Policy"));
    // Scroll to the guide's `s3:HeadBucket`: its line carries the error's sign and colour.
    let mut found = None;
    for _ in 0..40 {
        let buf = buffer(&app);
        let row = (0..24)
            .find(|y| (0..80).map(|x| buf[(x, *y)].symbol().to_string()).collect::<String>().contains("s3:HeadBucket"));
        if let Some(y) = row {
            found = Some((buf, y));
            break;
        }
        app.update(key(KeyCode::Down));
    }
    let (buf, y) = found.expect("the HeadBucket line is in the document");
    let line: String = (0..80).map(|x| buf[(x, y)].symbol().to_string()).collect();
    assert!(line.starts_with("│✗ "), "the gutter marks the error: {line:?}");
    let at = line.chars().position(|c| c == 's').unwrap() as u16;
    assert_eq!(buf[(at, y)].fg, ratatui::style::Color::Red, "the line takes the error's colour: {line:?}");
    let other = (0..24)
        .map(|y| (0..80).map(|x| buf[(x, y)].symbol().to_string()).collect::<String>())
        .find(|l| l.contains("s3:ListAllMyBuckets"))
        .unwrap();
    assert!(other.starts_with("│  "), "unmarked lines keep an empty gutter: {other:?}");
    // Under the document: every finding with its place and words; Access Analyzer still being asked.
    app.update(key(KeyCode::End));
    let text = flat(&app);
    assert!(text.contains("✗ error · Statement[2].Action[2]"), "{text}");
    assert!(
        text.contains(
            "VisualEditor2: s3:HeadBucket is not an IAM action; the HeadBucket operation is authorized by s3:ListBucket"
        ),
        "{text}"
    );
    assert!(text.contains("IAM Access Analyzer: checking the documents…"), "{text}");
    // An answer to another request is dropped; the awaited one joins this tool's findings, marked as its own.
    let theirs = Finding {
        severity: Severity::Error,
        message: "INVALID_ACTION: The action s3:HeadBucket does not exist.".into(),
        path: JsonPath::default().key("Statement").index(2).key("Action").index(2),
        source: Source::AccessAnalyzer,
    };
    let mut lists = vec![vec![]; 7];
    lists[1] = vec![theirs];
    app.update(Msg::Validated { id: id + 1000, analysis: Box::new(Analysis::NotConsulted("stale".into())) });
    assert!(flat(&app).contains("checking the documents"));
    app.update(Msg::Validated { id, analysis: Box::new(Analysis::Consulted(lists)) });
    app.update(key(KeyCode::End));
    let text = flat(&app);
    assert!(text.contains("✗ error · Statement[2].Action[2] · IAM Access Analyzer"), "{text}");
    assert!(text.contains("INVALID_ACTION: The action s3:HeadBucket does not exist."), "{text}");
    // Back and forward with the same documents: not asked again.
    app.update(key(KeyCode::Esc));
    assert_eq!(app.screen, Screen::Params);
    let again = app.update(key(KeyCode::Enter));
    assert_eq!(app.screen, Screen::Preview);
    assert!(!again.iter().any(|c| matches!(c, Cmd::Validate { .. })), "{again:?}");

    // Denied (or an endpoint without it): one quiet line, this tool's findings stand.
    let mut app = at_preview();
    let id = match app.session.analysis {
        Remote::Pending(id) => id,
        ref other => panic!("{other:?}"),
    };
    app.update(Msg::Validated {
        id,
        analysis: Box::new(Analysis::NotConsulted("the caller may not call access-analyzer:ValidatePolicy".into())),
    });
    app.update(Msg::Resize(80, 24));
    app.update(key(KeyCode::End));
    let text = flat(&app);
    assert!(
        text.contains("IAM Access Analyzer was not consulted: the caller may not call access-analyzer:ValidatePolicy; the findings above are this tool's own"),
        "{text}"
    );
}

#[test]
fn t_on_the_preview_shows_tightened_documents_against_the_guides_and_the_plan_says_so() {
    let mut app = at_preview();
    app.update(Msg::Resize(120, 40));
    // Lines of the document panel, without the borders.
    let rows = |app: &App| -> Vec<String> {
        frame(app).lines().map(|l| l.trim_matches('"').trim_start_matches('│').to_string()).collect()
    };
    let wildcard = format!("\"arn:aws:mobiletargeting:*:{ACCOUNT}:apps/*\"");
    let regional = format!("\"arn:aws:mobiletargeting:eu-west-1:{ACCOUNT}:apps/*\"");
    let guide = rows(&app);
    // Past the findings' gutter (the guide's ARN is marked: every Region).
    let past_gutter = |r: &String| r.trim_start_matches([' ', '✗', '▲', '!', '·']).starts_with(&wildcard);
    assert!(guide.iter().any(past_gutter), "{guide:#?}");
    assert!(!guide.iter().any(|r| r.contains("the guide's")));
    assert!(frame(&app).contains("t tightened documents"), "the footer offers it");

    app.update(ch('t'));
    let tight = rows(&app);
    assert!(tight.iter().any(|r| r.starts_with("- the guide's  + tightened (written)")), "{tight:#?}");
    let signed = |sign: &str, text: &str| tight.iter().any(|r| r.starts_with(sign) && r.contains(text));
    assert!(signed("- ", &wildcard), "the guide's line is marked -: {tight:#?}");
    assert!(signed("+ ", &regional), "the tightened line is marked +: {tight:#?}");
    assert!(signed("  ", "\"Version\": \"2012-10-17\""), "the lines both share are kept: {tight:#?}");
    assert!(frame(&app).contains("t guides' documents"));
    snap("preview_tightened", &mut app);

    // The trust Lambda's roles keep is the guide's: shown as it is, no diff.
    for _ in 0..4 {
        app.update(key(KeyCode::Right));
    }
    assert!(frame(&app).contains("ImporterS3Role trust"));
    assert!(!frame(&app).contains("+ tightened (written)"), "{}", frame(&app));

    let (id, params) = plan_id(&app.update(key(KeyCode::Enter)));
    assert!(params.tighten);
    app.update(Msg::Planned { id, result: Box::new(Ok(checked_plan(&params))) });
    assert!(frame(&app).contains(&format!("Account {ACCOUNT}, Region eu-west-1, tightened documents.")));

    // Back, and t again: the guides' documents exactly, and a plan of them.
    app.update(key(KeyCode::Esc));
    assert_eq!(app.screen, Screen::Preview);
    app.update(ch('t'));
    assert!(!frame(&app).contains("+ tightened (written)"));
    let (_, params) = plan_id(&app.update(key(KeyCode::Enter)));
    assert!(!params.tighten);
}

// ---- 7. fields and lists ----

#[test]
fn fields_have_a_cursor_line_editing_keys_and_paste() {
    let mut app = at_params_postman();
    // The Postman policy field, prefilled: Home, a prefix, End, Ctrl-W deletes the last word.
    app.update(key(KeyCode::Home));
    typed(&mut app, "Ops");
    app.update(key(KeyCode::End));
    assert!(frame(&app).contains("OpsPostmanAccessPolicy"));
    app.update(ctrl('u'));
    app.update(Msg::Paste("Pasted\nPolicy".into()));
    assert!(frame(&app).contains("PastedPolicy"), "paste inserts, line breaks dropped");
    app.update(key(KeyCode::Left));
    app.update(key(KeyCode::Left));
    typed(&mut app, "X");
    assert!(frame(&app).contains("PastedPoliXcy"), "typing lands at the cursor");
    app.update(ctrl('a'));
    app.update(key(KeyCode::Delete));
    assert!(frame(&app).contains("astedPoliXcy"));
    app.update(ctrl('e'));
    app.update(key(KeyCode::Backspace));
    assert!(frame(&app).contains("astedPoliXc "), "Ctrl-E went to the end");
    typed(&mut app, "-Extra");
    app.update(ctrl('w'));
    let f = frame(&app);
    assert!(f.contains("astedPoliXc-") && !f.contains("Extra"), "Ctrl-W deletes the word before the cursor:\n{f}");
}

#[test]
fn the_picker_takes_the_highlighted_match_not_the_typed_text() {
    let mut app = at_params();
    typed(&mut app, "i");
    let f = frame(&app);
    assert!(f.contains("value: logs-archive"), "the first match is highlighted and is the value:\n{f}");
    app.update(key(KeyCode::Down));
    assert!(frame(&app).contains("value: pinpoint-imports"));
    app.update(key(KeyCode::Tab));
    app.update(key(KeyCode::Down));
    app.update(key(KeyCode::Enter));
    let (_, p) = plan_id(&app.update(key(KeyCode::Enter)));
    assert_eq!(p.bucket.unwrap().as_str(), "pinpoint-imports", "Enter takes the highlighted match");
}

#[test]
fn space_in_the_project_field_keeps_the_picked_project() {
    let mut app = App::new();
    let id = detect_id(&app.init());
    app.update(key(KeyCode::Enter));
    let cmds = app.update(detected(id, "eu-west-1", true));
    answer_lists(
        &mut app,
        &cmds,
        vec![
            Project { id: PROJECT.into(), name: "Newsletter".into() },
            Project { id: PROJECT2.into(), name: "Weekly news".into() },
        ],
    );
    app.update(key(KeyCode::Enter));
    app.update(key(KeyCode::Tab));
    app.update(key(KeyCode::Down));
    app.update(key(KeyCode::Down));
    assert!(frame(&app).contains(&format!("value: {PROJECT2}")));
    app.update(ch(' '));
    assert!(frame(&app).contains(&format!("value: {PROJECT2}")), "Space filters; the picked id stays");
}

#[test]
fn plan_scrolls_to_its_last_line_and_no_further_with_a_marker() {
    let mut app = at_plan();
    app.update(Msg::Resize(80, 24));
    let first = frame(&app);
    assert!(first.contains("more line(s)"), "a marker says there is more:\n{first}");
    for _ in 0..3 {
        app.update(key(KeyCode::PageDown));
    }
    let end = frame(&app);
    assert!(end.contains("Enter asks before applying"), "the last line is reachable at 80×24:\n{end}");
    assert!(end.contains("· end"));
    app.update(key(KeyCode::Up));
    assert!(!frame(&app).contains("· end"), "one step up leaves the end: no scrolling past it");
    snap("plan_scrolled", &mut app);
}

// ---- 8. words ----

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
    t.draw(|f| screens::draw(&app, f, &Theme { color: true })).unwrap();
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

fn states() -> Vec<(&'static str, Reach)> {
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

// ---- 9. layout ----

#[test]
fn arns_are_never_broken_and_reasons_never_wrap_to_column_0_at_80_columns() {
    let mut app = at_summary();
    app.update(Msg::Resize(80, 24));
    for _ in 0..3 {
        app.update(key(KeyCode::PageDown));
    }
    let mut seen = String::new();
    app.update(key(KeyCode::Home));
    for _ in 0..6 {
        seen.push_str(&frame(&app));
        app.update(key(KeyCode::PageDown));
    }
    for role in ["ImporterS3Role", "PinpointSegmentImport", "ImporterPinpointRole"] {
        assert!(seen.contains(&format!("arn:aws:iam::{ACCOUNT}:role/{role}")), "{role} whole:\n{seen}");
    }
    let mut plan = to_plan(at_preview(), |p| {
        p.steps[2].reason =
            "a long reason that does not fit on one line at eighty columns, so it wraps under the name".into();
    });
    plan.update(Msg::Resize(80, 24));
    for line in frame(&plan).lines() {
        let inner = line.trim_start_matches('│');
        assert!(!inner.starts_with("name") && !inner.starts_with("wraps"), "a reason at column 0: {line:?}");
    }
}

#[test]
fn validation_messages_start_at_one_column() {
    let mut app = at_params();
    typed(&mut app, "Bad_Bucket");
    app.update(key(KeyCode::Tab));
    typed(&mut app, "xyz");
    let f = frame(&app);
    let cols: Vec<usize> =
        f.lines().filter_map(|l| l.find('✗').map(|_| l.chars().position(|c| c == '✗').unwrap_or(0))).collect();
    assert!(cols.len() >= 2, "{f}");
    assert!(cols.windows(2).all(|w| w[0] == w[1]), "{cols:?}\n{f}");
    snap("params_invalid_fields", &mut app);
}

#[test]
fn the_footer_never_splits_a_key_from_its_label_at_80_columns() {
    for (name, make) in states() {
        let mut app = make();
        app.update(Msg::Resize(80, 24));
        let f = frame(&app);
        for s in app.shown_keys() {
            let unit = format!("{} {}", s.label, s.does);
            assert!(f.lines().any(|l| l.contains(&unit)), "{name}: {unit:?} split:\n{f}");
        }
    }
}

// ---- 10. after exit ----

#[test]
fn the_exit_report_lists_every_arn_and_status_and_nothing_secret() {
    let mut app = at_secret();
    app.update(ch('r'));
    app.update(key(KeyCode::Enter));
    app.update(ch('y'));
    app.update(ch('q'));
    assert!(app.should_quit);
    let r = app.exit_report();
    assert_eq!(r.code, 0);
    let text = r.lines.join("\n");
    for name in ["PostmanAccessPolicy", "PostmanUser", "ImporterPinpointRole"] {
        assert!(text.contains(name), "{text}");
    }
    assert!(text.contains(&format!("arn:aws:iam::{ACCOUNT}:role/PinpointSegmentImport")));
    assert!(text.contains("created"));
    assert!(text.contains("new access key AKIAFAKEFAKEFAKEFAKE of PostmanUser"), "{text}");
    assert!(!text.contains(FAKE_SECRET) && !text.contains("FAKEsecret"));
}

// ---- the rest of the walk ----

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
    assert!(matches!(cmds.as_slice(), [Cmd::SaveCsv { path }] if path == "PostmanUser_accessKeys.csv"));
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
    assert!(matches!(app.params.buckets.items, Remote::Failed(_)), "listings fall back to typed entry");
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
    insta::assert_snapshot!("too_small_70x20", s);
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

// ---- manual mode ----

/// `m` on the welcome screen, the same identity and parameters, then Enter on the preview: the console steps.
fn at_manual() -> App {
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
fn manual_verified() -> App {
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
    app.update(Msg::Verified { id, result: Box::new(Ok(p)) });
    app
}

/// Offline (the account id typed), the plan offers the console steps; verify is not offered.
fn manual_offline() -> App {
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
    app.update(Msg::Verified { id: old, result: Box::new(Ok(done)) });
    assert!(app.manual.verified.is_pending(), "the older answer is dropped");
    app.update(Msg::Verified { id: new, result: Box::new(Err(Problem::NotConnected)) });
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
