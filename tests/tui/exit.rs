//! What is printed after exit.

use super::*;

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
