//! Issue 19: the Parameters screen's path and permissions boundary, validated as typed.

use super::*;

#[test]
fn the_path_and_the_boundary_are_validated_as_typed_and_reach_the_plan() {
    let mut app = at_params_postman();
    // Postman policy, Postman user, then the path and the boundary.
    app.update(key(KeyCode::Tab));
    app.update(key(KeyCode::Tab));
    app.update(ctrl('u'));
    typed(&mut app, "teams");
    let f = frame(&app);
    assert!(f.contains("an IAM path begins and ends with /"), "{f}");
    app.update(ctrl('u'));
    typed(&mut app, "/teams/");
    assert!(!frame(&app).contains("begins and ends"));

    app.update(key(KeyCode::Tab));
    typed(&mut app, "arn:aws:iam::999999999999:policy/X");
    let f = frame(&app);
    assert!(f.contains("AWS-managed (account aws) or this account's"), "{f}");
    app.update(key(KeyCode::Enter));
    assert_eq!(app.screen, Screen::Params, "refused: {:?}", app.status_text());
    app.update(ctrl('u'));
    typed(&mut app, "arn:aws-cn:iam::aws:policy/PowerUserAccess");
    assert!(frame(&app).contains("partition aws"), "{}", frame(&app));
    app.update(ctrl('u'));
    typed(&mut app, "arn:aws:iam::aws:policy/PowerUserAccess");
    app.update(key(KeyCode::Enter));
    assert_eq!(app.screen, Screen::Preview, "{:?}", app.status_text());
    let (id, p) = plan_id(&app.update(key(KeyCode::Enter)));
    assert_eq!(p.path.as_str(), "/teams/");
    assert_eq!(p.boundary.as_ref().unwrap().as_str(), "arn:aws:iam::aws:policy/PowerUserAccess");
    // The plan and the apply confirmation say them, as the headless plan's header does.
    app.update(Msg::Planned { id, result: Box::new(Ok(checked_plan(&p))) });
    let said = "Guardrails: path /teams/, permissions boundary arn:aws:iam::aws:policy/PowerUserAccess";
    assert!(frame(&app).contains(said), "{}", frame(&app));
    app.update(key(KeyCode::Enter));
    let Some(Overlay::Confirm(c)) = &app.overlay else { panic!("Enter asks before applying") };
    assert!(c.lines.iter().any(|l| l.contains(said)), "{:?}", c.lines);
    // The commands the Summary and the exit give carry them: `destroy` finds ours under the path and takes the
    // boundary as ours only when given it; `rotate-key` refuses a user whose path or boundary differs.
    let guard = " --path /teams/ --permissions-boundary arn:aws:iam::aws:policy/PowerUserAccess";
    let destroy = pinpoint_iam_wizard::tui::session::destroy_command(&app.session).unwrap();
    assert!(destroy.ends_with(&format!("destroy --setup postman{guard}")), "{destroy}");
    let rotate = pinpoint_iam_wizard::tui::session::rotate_command(&app.session, "PostmanUser").unwrap();
    assert!(rotate.ends_with(&format!("rotate-key --user PostmanUser{guard}")), "{rotate}");
}

#[test]
fn help_on_parameters_says_what_the_path_and_the_boundary_are_for() {
    let mut app = at_params_postman();
    app.update(key(KeyCode::F(1)));
    let f = flat_frame(&app);
    assert!(f.contains("the IAM path goes on every policy, role and user"), "{f}");
    assert!(f.contains("permissions boundary (a policy ARN) on every role and the user"), "{f}");
}

/// The frame's words with the box edges and line ends collapsed, to find a wrapped sentence.
fn flat_frame(app: &App) -> String {
    frame(app).replace('│', " ").split_whitespace().collect::<Vec<_>>().join(" ")
}
