//! End to end: the real binary in a real pseudo-terminal (portable-pty, screen parsed by vt100), against moto.
// The shared server's lock serializes tests that each run their own runtime; holding it across awaits is the point.
#![allow(clippy::await_holding_lock)]

mod support;

use support::term::*;
use support::*;

async fn seed_account(moto: &Moto) -> String {
    seed_buckets_and_project(&moto.sdk_config().await, &["pinpoint-imports", "team-data"]).await
}

#[tokio::test(flavor = "multi_thread")]
async fn a_person_sets_up_both_guides_in_the_terminal() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    let project = seed_account(moto).await;
    let mut t = Term::spawn(&moto.env());

    let first_frame = t.wait_for("What to set up");
    t.send(ENTER);
    let account = t.wait_for(&moto.account);
    eprintln!("first frame after {first_frame:?}; detected account after {account:?}");
    assert_eq!(t.value_after("Caller"), format!("arn:aws:sts::{}:user/moto", moto.account), "the caller's ARN");
    t.send(ENTER);

    t.pick_bucket_and_project(&project);

    t.wait_for("/ 6144 chars");
    t.wait_selected("PostmanAccessPolicy");
    // Every title is in the tab bar from the start: what moves is the selection, drawn in reverse video.
    for title in [
        "ImporterS3Policy",
        "ImporterS3PassthroughPolicy",
        "ImporterPinpointPolicy",
        "ImporterS3Role trust",
        "PinpointSegmentImport trust",
        "ImporterPinpointRole trust",
    ] {
        assert!(!t.selected(title), "{title} is not selected before → reaches it:\n{}", t.screen());
        t.send(RIGHT);
        t.wait_selected(title);
    }
    t.wait_for("/ 2048 chars");
    t.send(ENTER);
    t.wait_for("Enter asks before applying");
    assert!(t.screen().contains("14 step(s) will write"));
    t.send(ENTER);
    t.wait_for("Apply the plan?");
    assert!(t.screen().contains("creates an access key for PostmanUser"), "the confirmation says what it writes");
    t.send("y");

    t.wait_for("New access key for PostmanUser");
    assert!(t.screen().contains("AWS will never show this secret again"));
    let iam = moto.iam().await;
    let keys = iam.list_access_keys().user_name("PostmanUser").send().await.unwrap();
    let key_id = keys.access_key_metadata()[0].access_key_id().unwrap().to_string();
    assert!(t.screen().contains(&key_id), "the key id is shown");
    t.reveal_and_leave();
    let role_arn = format!("arn:aws:iam::{}:role/ImporterPinpointRole", moto.account);
    assert!(t.screen().contains(&role_arn));
    t.send("q");
    assert_eq!(t.wait_exit(), 0);
    assert!(t.restored(), "the alternate screen was left and the shell is back");
    let after = t.screen();
    assert!(
        after.contains("the setup is in place") && after.contains(&role_arn),
        "the summary stays in the shell:\n{after}"
    );
    assert!(after.contains("destroy --setup all"), "{after}");

    // The account now holds what the guides describe.
    let acct = &moto.account;
    for (name, seed_name) in [
        ("PostmanAccessPolicy", "postman-access-policy"),
        ("ImporterS3Policy", "importer-s3-policy"),
        ("ImporterS3PassthroughPolicy", "importer-s3-passthrough-policy"),
        ("ImporterPinpointPolicy", "importer-pinpoint-policy"),
    ] {
        let arn = format!("arn:aws:iam::{acct}:policy/{name}");
        let v = iam.get_policy_version().policy_arn(&arn).version_id("v1").send().await.unwrap();
        assert_eq!(
            decode(v.policy_version().unwrap().document().unwrap()),
            seed(seed_name, acct, REGION, "pinpoint-imports", &project)
        );
    }
    let trust = iam.get_role().role_name("PinpointSegmentImport").send().await.unwrap();
    assert_eq!(
        decode(trust.role().unwrap().assume_role_policy_document().unwrap()),
        seed("pinpoint-segment-import-trust", acct, REGION, "pinpoint-imports", &project)
    );
    let attached = iam.list_attached_role_policies().role_name("ImporterPinpointRole").send().await.unwrap();
    assert_eq!(attached.attached_policies().len(), 2);
    let attached = iam.list_attached_user_policies().user_name("PostmanUser").send().await.unwrap();
    assert_eq!(attached.attached_policies()[0].policy_name(), Some("PostmanAccessPolicy"));
}

#[tokio::test(flavor = "multi_thread")]
async fn without_credentials_the_account_is_typed_and_previews_write_nothing() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    let mut env = base_env();
    env.push(("AWS_REGION".into(), REGION.into()));
    env.push(("AWS_ENDPOINT_URL".into(), moto.url()));
    let mut t = Term::spawn(&env);
    t.wait_for("What to set up");
    t.send(ENTER);
    t.wait_for("The account could not be read");
    assert!(t.screen().contains("aws configure"), "{}", t.screen());
    // Pasted, as from a password manager: the terminal's bracketed paste, line break dropped.
    t.send("\x1b[200~210987654321\n\x1b[201~");
    t.wait_for("210987654321");
    t.send(ENTER);
    t.wait_for("no list (");
    t.send("pinpoint-imports");
    t.send(TAB);
    t.send("0123456789abcdef0123456789abcdef");
    t.send(ENTER);
    t.wait_for("/ 6144 chars");
    // Waited for, not read at once: the preview's first rows can be on screen before the frame is whole.
    t.wait_for("210987654321");
    t.send(ENTER);
    t.wait_for("Cannot apply: offline");
    t.send(ENTER);
    t.handled();
    assert!(!t.screen().contains("Apply the plan?"), "Enter offers no apply offline");
    t.send(CTRL_C);
    assert_eq!(t.wait_exit(), 0, "nothing was written: exit 0");
    assert!(t.restored());
    assert!(t.screen().contains("Nothing was written to the account."));

    let iam = moto.iam().await;
    assert!(iam.list_roles().send().await.unwrap().roles().is_empty(), "nothing was written");
    assert!(iam.list_users().send().await.unwrap().users().is_empty());
    let local = iam.list_policies().scope(aws_sdk_iam::types::PolicyScopeType::Local).send().await.unwrap();
    assert!(local.policies().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn shrinking_the_window_on_the_plan_screen_blocks_apply() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    let mut t = Term::spawn(&moto.env());
    t.postman_to_plan(&moto.account);
    t.resize(70, 20);
    t.wait_for("Terminal too small");
    for keys in [ENTER, "y", ENTER, "y"] {
        t.send(keys);
    }
    t.resize(120, 40);
    t.wait_for("Enter asks before applying");
    t.handled();
    assert!(!t.screen().contains("Apply the plan?"), "no confirmation was opened while hidden");
    let iam = moto.iam().await;
    assert!(iam.list_users().send().await.unwrap().users().is_empty(), "nothing was applied from a hidden screen");
    t.send("q");
    assert_eq!(t.wait_exit(), 0);
}

#[test]
fn without_a_terminal_the_wizard_does_not_start() {
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("out");
    let out = std::fs::File::create(&out_path).unwrap();
    let status = command(BIN)
        .env_clear()
        .env("TERM", "xterm")
        .stdin(std::process::Stdio::null())
        .stdout(out)
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(status.status.code(), Some(2), "a usage error, not success");
    let written = std::fs::read(&out_path).unwrap();
    assert!(!written.contains(&0x1b), "no escape codes in the redirected file: {written:?}");
    let err = String::from_utf8_lossy(&status.stderr);
    assert!(err.contains("needs a terminal") && err.contains("plan") && err.contains("apply"), "{err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn quitting_after_a_failed_run_asks_rolls_back_the_unseen_key_and_exits_non_zero() {
    use support::proxy::{Fault, FaultProxy, Rule, When};
    let moto = Moto::shared();
    let _g = moto.exclusive();
    let proxy = FaultProxy::start(moto);
    // The user's policy cannot be attached; the access key (it needs only the user) is made meanwhile.
    proxy.add_rule(Rule::new("AttachUserPolicy", When::Always, Fault::AccessDenied));
    let mut t = Term::spawn(&proxy.env(moto));
    t.postman_apply(&moto.account, "steps succeeded; waiting for your choice");
    t.send("q");
    t.wait_for("Quit after a failed run?");
    assert!(t.screen().contains("was never shown: rolling back deletes it"), "{}", t.screen());
    t.send("b");
    assert_eq!(t.wait_exit(), 1, "a rolled-back run is not a success");
    let after = t.screen();
    assert!(after.contains("did not complete and was rolled back"), "the shell is told:\n{after}");
    let iam = moto.iam().await;
    assert!(iam.list_users().send().await.unwrap().users().is_empty(), "the user is gone, its unseen key with it");
    let local = iam.list_policies().scope(aws_sdk_iam::types::PolicyScopeType::Local).send().await.unwrap();
    assert!(local.policies().is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn ctrl_c_during_a_rollback_waits_then_leaves_non_zero_saying_what_may_remain() {
    use std::time::Duration;
    use support::proxy::{Fault, FaultProxy, Rule, When};
    let moto = Moto::shared();
    let _g = moto.exclusive();
    let proxy = FaultProxy::start(moto);
    proxy.add_rule(Rule::new("AttachUserPolicy", When::Always, Fault::AccessDenied));
    // The rollback's DeleteUser is held until the test lets it go: the rollback lasts as long as the test needs.
    proxy.add_rule(Rule::new("DeleteUser", When::Always, Fault::Hold));
    let mut t = Term::spawn(&proxy.env(moto));
    t.postman_apply(&moto.account, "steps succeeded; waiting for your choice");
    t.send("b");
    t.wait_for("Roll back this run?");
    t.send("y");
    t.wait_for("rolling back");
    proxy.wait_for("DeleteUser", 1, Duration::from_secs(10)).unwrap();
    t.send(CTRL_C);
    t.wait_for("Quit before the run settles?");
    t.send(CTRL_C);
    // The second Ctrl-C takes "quit when settled": the prompt closes and the wizard stays (it still draws help,
    // asked after that Ctrl-C).
    t.wait_gone("Quit before the run settles?");
    t.handled();
    assert!(!t.exited(), "the second Ctrl-C waits for the rollback");
    assert!(t.screen().contains("rolling back"), "the rollback is still held:\n{}", t.screen());
    t.send(CTRL_C);
    assert_eq!(t.wait_exit(), 1, "leaving mid-rollback is not a success");
    let after = t.screen();
    assert!(after.contains("quit before the run settled; part of it may remain"), "{after}");
    assert!(after.contains("user/PostmanUser"), "what may remain is listed:\n{after}");
    proxy.release();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_postman_setup_at_80x24_shows_every_value_whole() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    let mut t = Term::spawn(&moto.env());
    t.resize(80, 24);
    t.wait_for("What to set up");
    t.send("1");
    t.send(ENTER);
    t.wait_for(&moto.account);
    t.send(ENTER);
    t.wait_for("Postman user");
    t.send(ENTER);
    // At 80 columns the size and findings are under the document, not beside it.
    t.wait_for("VisualEditor0");
    t.send(ENTER);
    t.apply_to_summary();
    let s = t.screen();
    for arn in [
        format!("arn:aws:iam::{}:policy/PostmanAccessPolicy", moto.account),
        format!("arn:aws:iam::{}:user/PostmanUser", moto.account),
    ] {
        assert!(s.contains(&arn), "{arn} whole at 80×24:\n{s}");
    }
    t.send("q");
    assert_eq!(t.wait_exit(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_mid_run_settles_the_wizard_like_ctrl_c_twice_and_exits_143() {
    use std::time::Duration;
    use support::proxy::{Fault, FaultProxy, Rule, When};
    let moto = Moto::shared();
    let _g = moto.exclusive();
    let proxy = FaultProxy::start(moto);
    proxy.strict(true);
    // The key is held back until the wizard shows it took the signal: the signal arrives while it is being made.
    proxy.add_rule(Rule::new("CreateAccessKey", When::Always, Fault::Hold));
    let mut t = Term::spawn(&proxy.env(moto));
    t.postman_to_plan(&moto.account);
    t.send(ENTER);
    t.wait_for("Apply the plan?");
    t.send("y");
    proxy.wait_for("CreateAccessKey", 1, Duration::from_secs(10)).unwrap();
    // SAFETY: kill(2) with a child's pid and a valid signal number has no memory effects.
    assert_eq!(unsafe { libc::kill(t.pid(), libc::SIGTERM) }, 0);
    t.wait_for("stopping…");
    proxy.release();
    assert_eq!(t.wait_exit(), 143, "ended by SIGTERM, after settling:\n{}", t.screen());
    let after = t.screen();
    assert!(after.contains("ended by signal 15"), "the shell is told:\n{after}");
    proxy.wait_idle(Duration::from_secs(10)).unwrap();
    let iam = moto.iam().await;
    assert!(iam.list_users().send().await.unwrap().users().is_empty(), "the user and its key are gone");
    let local = iam.list_policies().scope(aws_sdk_iam::types::PolicyScopeType::Local).send().await.unwrap();
    assert!(local.policies().is_empty(), "the policy is gone");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hangup_on_the_secret_screen_before_the_secret_was_shown_deletes_the_key() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    let mut t = Term::spawn(&moto.env());
    t.postman_to_secret(&moto.account);
    let iam = moto.iam().await;
    let keys = iam.list_access_keys().user_name("PostmanUser").send().await.unwrap();
    assert_eq!(keys.access_key_metadata().len(), 1, "the run made its key");
    // The session closes while the secret is still masked: nobody has seen it, nobody ever will.
    // SAFETY: kill(2) with a child's pid and a valid signal number has no memory effects.
    assert_eq!(unsafe { libc::kill(t.pid(), libc::SIGHUP) }, 0);
    assert_eq!(t.wait_exit(), 129, "{}", t.screen());
    let after = t.screen();
    assert!(after.contains("deleted: its secret was never shown"), "the shell is told:\n{after}");
    let keys = iam.list_access_keys().user_name("PostmanUser").send().await.unwrap();
    assert!(keys.access_key_metadata().is_empty(), "no key whose secret nobody saw");
    assert!(iam.get_user().user_name("PostmanUser").send().await.is_ok(), "the rest of the setup stays");
}

#[test]
fn leaving_asks_the_terminal_nothing_whose_answer_would_land_in_the_shell() {
    let mut t = Term::spawn(&base_env());
    t.wait_for("What to set up");
    let before = t.raw();
    t.send("q");
    assert_eq!(t.wait_exit(), 0);
    let after = t.raw();
    let tail = &after[before.len()..];
    // A cursor-position query (ESC [ 6 n) sent while leaving is answered after raw mode is off: the answer
    // (`^[[24;81R`) is then typed into the shell.
    assert!(!tail.windows(4).any(|w| w == b"\x1b[6n"), "a query was sent on the way out");
    assert!(tail.windows(8).any(|w| w == b"\x1b[?1049l"), "the alternate screen was left");
}
