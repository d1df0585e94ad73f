//! The wizard's Identity screen about credentials (issue 18 item 5): where they came from, in the headless
//! banner's words, and a profile that does not exist shown there, the wizard going on offline in the Region of
//! `AWS_REGION`.

mod support;

use support::term::{CTRL_C, ENTER, Term};
use support::*;

#[test]
fn identity_words_the_credentials_source_as_the_headless_banner_does() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    // `apply` says where the credentials came from before it writes.
    let out = moto.run(&["apply", "--setup", "postman", "--yes"]);
    let text = format!("{}{}", stdout(&out), stderr(&out));
    let banner = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("credentials: "))
        .unwrap_or_else(|| panic!("no credentials line in the banner:\n{text}"))
        .to_string();
    assert_eq!(banner, "environment variables (AWS_ACCESS_KEY_ID)");

    let mut term = Term::spawn(&moto.env());
    term.wait_for("What to set up");
    term.send(ENTER);
    term.wait_for(&moto.account);
    let words = term.value_after("Credentials");
    term.send(CTRL_C);
    term.wait_exit();
    assert_eq!(words, banner);
}

#[test]
fn an_unknown_profile_is_shown_on_identity_and_the_wizard_goes_on_offline_in_the_region_of_aws_region() {
    let mut env = base_env();
    env.push(("AWS_REGION".into(), "eu-central-1".into()));
    let mut term = Term::spawn_args(&env, &["--profile", "nosuch"]);
    term.wait_for("What to set up");
    term.send("1");
    term.send(ENTER);
    term.wait_for("The account could not be read");
    let screen = term.screen();
    assert!(screen.contains("\"nosuch\""), "the profile is named:\n{screen}");
    assert!(
        screen.lines().any(|l| l.contains("Region") && l.contains("eu-central-1")),
        "the Region of AWS_REGION is kept:\n{screen}"
    );
    term.send(&format!("210987654321{ENTER}"));
    term.wait_for("Postman user");
    term.send(CTRL_C);
    term.wait_exit();
}
