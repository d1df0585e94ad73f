//! `y` copies the selected ARN or the destroy command (Summary, Plan); the Summary lists attachments and key ids,
//! and its destroy command sits under the box, outside its border.

use super::*;
use pinpoint_iam_wizard::secret::clipboard::Method;

/// The text `cmds` asks the runtime to copy, with its words.
fn copied(cmds: &[Cmd]) -> Option<(String, String)> {
    cmds.iter().find_map(|c| match c {
        Cmd::Copy { what: Copied::Text { what, text } } => Some((what.clone(), text.clone())),
        _ => None,
    })
}

#[test]
fn y_on_the_summary_copies_the_selected_arn_then_the_destroy_command() {
    let mut app = at_summary();
    let (what, text) = copied(&app.update(ch('y'))).expect("y copies");
    assert_eq!(what, "the ARN of policy PostmanAccessPolicy");
    assert_eq!(text, format!("arn:aws:iam::{ACCOUNT}:policy/PostmanAccessPolicy"));
    app.update(key(KeyCode::Down));
    let (_, text) = copied(&app.update(ch('y'))).expect("y copies");
    assert_eq!(text, format!("arn:aws:iam::{ACCOUNT}:policy/ImporterS3Policy"));
    for _ in 0..20 {
        app.update(key(KeyCode::Down));
    }
    let (what, text) = copied(&app.update(ch('y'))).expect("y copies");
    assert_eq!(what, "the destroy command");
    assert_eq!(text, "pinpoint-iam-wizard --profile ops --region eu-west-1 destroy --setup all");
    app.update(Msg::Copied { what: Copied::Text { what, text }, result: Ok(Method::System), why_not_system: None });
    assert_eq!(app.status_text(), Some("✓ the destroy command copied to the system clipboard"));
    let f = frame(&app);
    assert!(f.contains("› Remove it all"), "the selection is shown:\n{f}");
}

#[test]
fn the_selection_scrolls_into_view_at_80_columns() {
    let mut app = at_summary();
    app.update(Msg::Resize(80, 24));
    for _ in 0..7 {
        app.update(key(KeyCode::Down));
    }
    let f = frame(&app);
    let picked = format!("› arn:aws:iam::{ACCOUNT}:user/PostmanUser");
    assert!(f.contains(&picked), "the selected ARN is on screen:\n{f}");
    assert!(app.status_text().is_none());
}

#[test]
fn the_destroy_command_is_outside_the_box_and_pastes_back_whole() {
    let mut app = at_summary();
    app.update(Msg::Resize(80, 24));
    let f = frame(&app);
    let rows: Vec<&str> = f.lines().filter(|l| l.contains("pinpoint-iam-wizard --profile")).collect();
    assert_eq!(rows.len(), 1, "{f}");
    assert!(rows[0].starts_with("\"pinpoint-iam-wizard --profile ops"), "no border before it: {:?}", rows[0]);
    assert!(!rows[0].contains('│'), "no border after it: {:?}", rows[0]);
}

#[test]
fn the_summary_lists_attachments_and_the_key_id() {
    let app = at_summary();
    let f = frame(&app);
    assert!(f.contains("Attachments"), "{f}");
    assert!(f.contains("created     PostmanAccessPolicy -> PostmanUser"), "{f}");
    assert!(f.contains("AKIAFAKEFAKEFAKEFAKE of PostmanUser: new: active"), "{f}");
}

#[test]
fn y_on_the_plan_copies_the_selected_steps_arn() {
    let mut app = at_plan();
    app.update(key(KeyCode::Down));
    let (what, text) = copied(&app.update(ch('y'))).expect("y copies");
    assert_eq!(what, "the ARN of policy ImporterS3Policy");
    assert_eq!(text, format!("arn:aws:iam::{ACCOUNT}:policy/ImporterS3Policy"));
    let f = frame(&app);
    assert!(f.contains("│ create      policy") && f.contains("│›update      policy"), "{f}");
    assert!(app.shown_keys().iter().any(|k| k.label == "y" && k.does == "copy"), "the footer lists y");
}
