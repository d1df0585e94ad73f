//! Fields, lists and scrolling.

use super::*;

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

#[test]
fn an_empty_list_says_what_is_missing_and_where() {
    let mut app = App::new();
    let id = detect_id(&app.init());
    app.update(key(KeyCode::Enter));
    let cmds = app.update(detected(id, "eu-west-1", true));
    for c in &cmds {
        match c {
            Cmd::ListBuckets { id } => drop(app.update(Msg::Buckets { id: *id, result: Ok(vec![]) })),
            Cmd::ListProjects { id } => drop(app.update(Msg::Projects { id: *id, result: Ok(vec![]) })),
            _ => {}
        }
    }
    app.update(key(KeyCode::Enter));
    assert_eq!(app.screen, Screen::Params);
    let f = frame(&app);
    assert!(f.contains("no S3 buckets in this account: type the value"), "{f}");
    app.update(key(KeyCode::Tab));
    let f = frame(&app);
    assert!(f.contains("no Pinpoint projects in eu-west-1: type the value"), "{f}");
    assert!(!f.contains("the list is empty"), "{f}");
}
