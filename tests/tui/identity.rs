//! The Identity screen (issue 18 item 5): where the credentials came from in the banner's words, an unknown
//! Region and the guides' example account flagged, and the MFA code asked for on the screen.

use super::*;
use pinpoint_iam_wizard::aws::{ConnectError, CredentialKind, CredentialSource, MfaNeeded, MfaWhy};

const SERIAL: &str = "arn:aws:iam::210987654321:mfa/ops";

fn failed_with(problem: Problem) -> App {
    let mut app = App::new();
    let id = detect_id(&app.init());
    app.update(key(KeyCode::Enter));
    app.update(Msg::Detected {
        id,
        detected: Box::new(Detected {
            region: Some("eu-west-1".parse().unwrap()),
            profile: Some("ops".into()),
            source: None,
            endpoint: None,
            identity: Err(problem),
            aws: None,
        }),
    });
    assert_eq!(app.screen, Screen::Identity);
    app
}

fn mfa_needed() -> App {
    failed_with(Problem::Connect(ConnectError::MfaNeeded(MfaNeeded {
        profile: "ops".into(),
        serial: SERIAL.into(),
        why: MfaWhy::AskOnScreen,
    })))
}

fn mfa_code(cmds: &[Cmd]) -> Option<Option<String>> {
    cmds.iter().find_map(|c| match c {
        Cmd::Detect { mfa_code, .. } => Some(mfa_code.clone()),
        _ => None,
    })
}

#[test]
fn the_credentials_source_is_worded_as_the_banner_words_it() {
    let app = at_identity();
    let banner = CredentialSource {
        kind: CredentialKind::AssumeRole,
        profile: Some("ops".into()),
        file: Some("/home/op/.aws/config".into()),
    }
    .to_string();
    let f = frame(&app);
    assert!(f.contains(&format!("Credentials             {banner}")), "{banner:?} not on:\n{f}");
    assert!(!f.contains("default chain"), "{f}");
}

#[test]
fn an_unknown_region_is_flagged_as_typed_and_refused() {
    let mut app = at_identity();
    app.update(ctrl('u'));
    typed(&mut app, "zz-east-9");
    let f = frame(&app);
    assert!(f.contains("✗ zz-east-9: AWS has no Region of this name"), "{f}");
    snap("identity_unknown_region", &mut app);
    let cmds = app.update(key(KeyCode::Enter));
    assert_eq!(app.screen, Screen::Identity, "an unknown Region goes no further");
    assert!(mfa_code(&cmds).is_none(), "no detection in a Region AWS does not have");
    assert!(app.status_text().unwrap().contains("Region: zz-east-9"), "{:?}", app.status_text());
}

#[test]
fn the_guides_example_account_typed_offline_is_flagged() {
    let mut app = failed_with(Problem::NotConnected);
    typed(&mut app, "123456789012");
    let f = frame(&app);
    assert!(f.contains("123456789012 is the AWS guides' example account"), "{f}");
    snap("identity_example_account", &mut app);
    app.update(key(KeyCode::Enter));
    assert_eq!(app.screen, Screen::Identity, "the example account goes no further");
    app.update(ctrl('u'));
    typed(&mut app, ACCOUNT);
    app.update(key(KeyCode::Enter));
    assert_eq!(app.screen, Screen::Params, "an account of one's own goes on offline");
}

#[test]
fn an_mfa_profile_asks_for_the_code_on_identity_and_again_after_a_wrong_one() {
    let mut app = mfa_needed();
    let f = frame(&app);
    assert!(f.contains("needs a code from your MFA device") && f.contains("▸ MFA code"), "{f}");
    assert!(f.contains(SERIAL), "the device is named:\n{f}");
    snap("identity_mfa", &mut app);

    // Five digits are not a code: said, nothing sent.
    typed(&mut app, "12345");
    assert_eq!(mfa_code(&app.update(key(KeyCode::Enter))), None);
    assert!(app.status_text().unwrap().contains("MFA code: an MFA code is the 6 digits"), "{:?}", app.status_text());

    // Enter sends the code with a new detection, and the field is emptied (a code is good once).
    typed(&mut app, "6");
    let cmds = app.update(key(KeyCode::Enter));
    assert_eq!(mfa_code(&cmds), Some(Some("123456".into())));
    assert_eq!(app.screen, Screen::Identity, "the answer is awaited here");
    assert!(!frame(&app).contains("123456"), "{}", frame(&app));

    // AWS refuses it: said so, and asked again.
    app.update(Msg::Detected {
        id: detect_id(&cmds),
        detected: Box::new(Detected {
            region: Some("eu-west-1".parse().unwrap()),
            profile: Some("ops".into()),
            source: None,
            endpoint: None,
            identity: Err(Problem::Aws(AwsError::MfaCodeRejected {
                profile: "ops".into(),
                serial: SERIAL.into(),
                message: "MultiFactorAuthentication failed with invalid MFA one time pass code.".into(),
            })),
            aws: None,
        }),
    });
    let f = frame(&app);
    assert!(f.contains("That MFA code was not accepted") && f.contains("▸ MFA code"), "{f}");
    snap("identity_mfa_rejected", &mut app);
    typed(&mut app, "654321");
    let cmds = app.update(key(KeyCode::Enter));
    assert_eq!(mfa_code(&cmds), Some(Some("654321".into())));
    let cmds = app.update(detected(detect_id(&cmds), "eu-west-1", true));
    answer_lists(&mut app, &cmds, newsletter());
    assert!(frame(&app).contains(ACCOUNT), "{}", frame(&app));
    assert!(!frame(&app).contains("MFA code"), "{}", frame(&app));
}

#[test]
fn with_an_mfa_code_asked_the_account_can_still_be_typed_to_go_on_offline() {
    let mut app = mfa_needed();
    app.update(key(KeyCode::Tab));
    typed(&mut app, ACCOUNT);
    let cmds = app.update(key(KeyCode::Enter));
    assert_eq!(mfa_code(&cmds), None, "no code was sent");
    assert_eq!(app.screen, Screen::Params);
}
