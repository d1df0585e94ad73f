//! The end-user-messaging setup in the wizard: chosen on Welcome alone or beside the guides, it asks only for
//! the project, previews its one policy and plans its policy, user and key.

use super::*;

/// Welcome's choice `digit`, the identity detected and the projects listed, on the parameters screen.
fn at_params_of(digit: char) -> App {
    let mut app = App::new();
    let id = detect_id(&app.init());
    app.update(ch(digit));
    app.update(key(KeyCode::Enter));
    let cmds = app.update(detected(id, "eu-west-1", true));
    answer_lists(&mut app, &cmds, newsletter());
    app.update(key(KeyCode::Enter));
    assert_eq!(app.screen, Screen::Params);
    app
}

#[test]
fn chosen_alone_it_asks_for_the_project_only_and_plans_its_policy_user_and_key() {
    let mut app = at_params_of('4');
    assert_eq!(app.session.setup.as_str(), "end-user-messaging");
    let params = frame(&app);
    assert!(params.contains("Pinpoint project") && !params.contains("S3 bucket"), "{params}");
    // The one project listed is the value already: Enter goes on to the preview.
    app.update(key(KeyCode::Enter));
    assert_eq!(app.screen, Screen::Preview, "{:?}", app.status_text());
    assert!(frame(&app).contains("EndUserMessagingPolicy"), "{}", frame(&app));
    let cmds = app.update(key(KeyCode::Enter));
    let (_, params) = plan_id(&cmds);
    let d = params.desired().unwrap();
    let policies: Vec<&str> = d.policies.iter().map(|p| p.name.as_str()).collect();
    let users: Vec<&str> = d.users.iter().map(|u| u.name.as_str()).collect();
    assert_eq!((policies, users), (vec!["EndUserMessagingPolicy"], vec!["EndUserMessagingUser"]));
    assert!(d.roles.is_empty());
    // Policy, user, attachment and access key.
    assert_eq!(plan::offline(&params).unwrap().steps.len(), 4);
}

#[test]
fn beside_the_guides_it_adds_its_user_to_theirs() {
    let app = at_params_of('5');
    assert_eq!(app.session.setup.as_str(), "all+end-user-messaging");
    let ids: Vec<&str> = app.session.setup.setups().map(|s| s.id).collect();
    assert_eq!(ids, ["postman", "segment-import", "end-user-messaging"]);
    let f = frame(&app);
    assert!(f.contains("S3 bucket") && f.contains("Pinpoint project"), "{f}");
}

// Seen with two more choices on Welcome: at 80x24 the end-of-support note was cut off. Shorter forms of the
// chosen setup's list keep both notes whole in every choice.
#[test]
fn at_80x24_every_choice_keeps_the_notes_below_whole() {
    for digit in ['1', '2', '3', '4', '5'] {
        let mut app = App::new();
        app.init();
        app.update(ch(digit));
        let f = render(&app, 80, 24);
        let whole = f.contains("remove them when no longer needed") && f.contains("Customer Profiles");
        assert!(whole, "choice {digit}:\n{f}");
    }
}
