//! Stale answers are dropped.

use super::*;

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
    assert!(app.pages.params.projects.matches().is_empty(), "eu-west-1's projects are not shown for us-east-1");
    let lists = app.update(detected(new_id, "us-east-1", true));
    answer_lists(&mut app, &lists, vec![Project { id: PROJECT2.into(), name: "Virginia".into() }]);
    assert_eq!(app.pages.params.projects.matches().len(), 1);
    assert_eq!(app.pages.params.projects.matches()[0].name, "Virginia");
    // A late identity answer for the first request changes nothing.
    app.update(detected(id, "eu-west-1", false));
    assert!(app.session.online());
}
