//! The wizard's access-key flows end to end: the real binary in a pseudo-terminal against moto. Rotation (`n` on
//! the plan when the user already has a key, with one key and with two), retiring the old key from the summary
//! (`d` deactivates, `x` deletes), and saving the new secret (`p` a profile in the shared credentials file, `s` a
//! CSV): each checked in the account, on disk, and by signing with what was saved.
// The shared server's lock serializes tests that each run their own runtime; holding it across awaits is the point.
#![allow(clippy::await_holding_lock)]

mod support;

use std::os::unix::fs::PermissionsExt;
use support::proxy::FaultProxy;
use support::term::*;
use support::*;

/// The access keys of PostmanUser: (id, active), oldest first as moto lists them.
async fn keys(moto: &Moto) -> Vec<(String, bool)> {
    let iam = moto.iam().await;
    let out = iam.list_access_keys().user_name("PostmanUser").send().await.unwrap();
    out.access_key_metadata()
        .iter()
        .map(|k| {
            let active = k.status() == Some(&aws_sdk_iam::types::StatusType::Active);
            (k.access_key_id().unwrap().to_string(), active)
        })
        .collect()
}

/// The postman setup applied headless, as an operator did earlier: its key's secret went to that terminal.
fn applied_before(moto: &Moto) {
    let out = moto.run(&["apply", "--setup", "postman", "--yes", "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
}

/// The secret access key shown revealed on the secret screen, once `r` was pressed.
fn reveal(t: &mut Term) -> String {
    const LABEL: &str = "Secret access key";
    t.send("r");
    t.wait_until("the secret revealed", |s| s.lines().any(|l| l.contains(LABEL) && !l.contains('•')));
    let secret = t.value_after(LABEL);
    assert!(secret.len() >= 20 && !secret.contains(' '), "{secret:?}");
    secret
}

/// Leave the secret screen having stored the secret: the summary.
fn stored(t: &mut Term) {
    t.send(ENTER);
    t.wait_for("Have you stored the secret?");
    t.send("y");
    t.wait_for("Resources");
}

#[tokio::test(flavor = "multi_thread")]
async fn n_rotates_the_key_and_the_summary_deactivates_then_deletes_the_old_one() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    applied_before(moto);
    let before = keys(moto).await;
    assert_eq!(before.len(), 1);
    let old = before[0].0.clone();

    let mut t = Term::spawn(&moto.env());
    // The postman plan, which has nothing to write: the user already has its key.
    t.postman_to_plan_showing(&moto.account, "n new access key…");
    t.send("n");
    t.wait_for("Creates a new access key for PostmanUser");
    assert_eq!(keys(moto).await.len(), 1, "n only asks");
    t.send("y");
    t.wait_for("New access key for PostmanUser");
    let now = keys(moto).await;
    assert_eq!(now.len(), 2, "a second key beside the old one: {now:?}");
    let new = now.iter().find(|(id, _)| *id != old).unwrap().0.clone();
    assert!(t.screen().contains(&new), "the new key's id is shown:\n{}", t.screen());
    reveal(&mut t);
    stored(&mut t);
    t.wait_for(&format!("{old}  active: d deactivates it"));

    t.send("d");
    t.wait_for("Deactivate the old key?");
    assert!(keys(moto).await.iter().all(|(_, active)| *active), "d only asks");
    t.send("y");
    t.wait_for(&format!("Deactivated the old access key(s) {old}."));
    assert_eq!(keys(moto).await, vec![(old.clone(), false), (new.clone(), true)], "the old key is inactive");

    t.send("x");
    t.wait_for("Delete the old key?");
    t.send("y");
    t.wait_for(&format!("Deleted the old access key(s) {old}."));
    assert_eq!(keys(moto).await, vec![(new.clone(), true)], "only the new key is left, active");

    t.send("q");
    assert_eq!(t.wait_exit(), 0);
    let after = t.screen();
    assert!(after.contains(&format!("Deleted the old access key(s) {old}.")) && after.contains(&new), "{after}");
}

#[tokio::test(flavor = "multi_thread")]
async fn with_two_keys_rotation_asks_which_to_delete_first() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    applied_before(moto);
    let out = moto.run(&["rotate-key", "--user", "PostmanUser", "--yes"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let before = keys(moto).await;
    assert_eq!(before.len(), 2, "AWS's maximum");

    let mut t = Term::spawn(&moto.env());
    // The postman plan, which has nothing to write: the user already has its key.
    t.postman_to_plan_showing(&moto.account, "n new access key…");
    t.send("n");
    t.wait_for("Creates a new access key for PostmanUser");
    t.send("y");
    // Both keys listed; ↓ picks the second, and deleting it asks again, naming it.
    t.wait_for(&before[1].0);
    t.send(DOWN);
    t.wait_selected(&before[1].0);
    t.send(ENTER);
    t.wait_for(&format!("Delete PostmanUser's active access key {} now", before[1].0));
    assert_eq!(keys(moto).await, before, "choosing only asks");
    t.send("y");
    t.wait_for("New access key for PostmanUser");
    let now = keys(moto).await;
    assert_eq!(now.len(), 2, "{now:?}");
    assert!(now.iter().any(|(id, _)| *id == before[0].0), "the other old key stays");
    assert!(!now.iter().any(|(id, _)| *id == before[1].0), "the chosen key was deleted first");
    reveal(&mut t);
    stored(&mut t);
    t.send("q");
    assert_eq!(t.wait_exit(), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_new_secret_is_saved_as_a_profile_and_a_csv_that_sign_as_the_user() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    let home = tempfile::tempdir().unwrap();
    let cwd = tempfile::tempdir().unwrap();
    let credentials = home.path().join("credentials");
    // Someone's profile already there: kept byte for byte.
    let theirs = "[theirs]\naws_access_key_id = AKIATHEIRS\naws_secret_access_key = theirs # keep me\n";
    std::fs::write(&credentials, theirs).unwrap();
    let mut env = moto.env();
    env.retain(|(k, _)| k != "AWS_SHARED_CREDENTIALS_FILE");
    env.push(("AWS_SHARED_CREDENTIALS_FILE".into(), credentials.display().to_string()));

    let mut t = Term::spawn_in(&env, cwd.path());
    t.postman_apply(&moto.account, "New access key for PostmanUser");
    let key = keys(moto).await[0].0.clone();
    let secret = reveal(&mut t);

    t.send("p");
    t.wait_for("Enter writes it to");
    t.send(ENTER);
    t.wait_for("saved as profile [pinpoint-postman]");
    let written = std::fs::read_to_string(&credentials).unwrap();
    assert!(written.starts_with(theirs), "the other profile is kept as it was:\n{written}");
    let profile = &written[written.find("[pinpoint-postman]").expect("the profile")..];
    assert!(profile.contains(&key) && profile.contains(&secret), "{written}");
    assert_eq!(std::fs::metadata(&credentials).unwrap().permissions().mode() & 0o777, 0o600);

    t.send("s");
    t.wait_for("CSV file");
    t.send(ENTER);
    // The key id is in the default name: a second key of the same user never collides with the first's file.
    let name = format!("PostmanUser_{key}_accessKeys.csv");
    t.wait_for(&format!("{name} (mode 0600)."));
    let csv_path = cwd.path().join(&name);
    let csv = std::fs::read_to_string(&csv_path).unwrap();
    assert_eq!(csv.lines().next(), Some("Access key ID,Secret access key"), "the console's format");
    assert_eq!(csv.lines().nth(1), Some(format!("{key},{secret}").as_str()), "{csv}");
    assert_eq!(std::fs::metadata(&csv_path).unwrap().permissions().mode() & 0o777, 0o600);

    stored(&mut t);
    t.send("q");
    assert_eq!(t.wait_exit(), 0);

    // The saved profile is usable as it is: a plan signed with it reaches the account as the new key.
    let proxy = FaultProxy::start(moto);
    let mut env = proxy.env(moto);
    env.retain(|(k, _)| {
        !k.starts_with("AWS_ACCESS_KEY") && !k.starts_with("AWS_SECRET") && k != "AWS_SHARED_CREDENTIALS_FILE"
    });
    env.push(("AWS_SHARED_CREDENTIALS_FILE".into(), credentials.display().to_string()));
    let out = run_with_env(&["--profile", "pinpoint-postman", "plan", "--setup", "postman", "--format", "json"], &env);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(proxy.access_keys_seen(), vec![key], "every request was signed with the saved key");
}

// Issue 15: the wizard's rotation is a key plan run by the executor; a signal while its CreateAccessKey is on the
// wire stops it (the key it made is rolled back) and the wizard quits once AWS has answered, not before, so no
// key is left that nobody saw. The request is held until the wizard shows it took the signal.
#[tokio::test(flavor = "multi_thread")]
async fn sigterm_while_a_rotation_is_on_the_wire_waits_for_it_and_undoes_its_key() {
    use std::time::Duration;
    use support::proxy::{Fault, Rule, When};
    let moto = Moto::shared();
    let _g = moto.exclusive();
    applied_before(moto);
    let before = keys(moto).await;
    let proxy = FaultProxy::start(moto);
    let mut t = Term::spawn(&proxy.env(moto));
    t.postman_to_plan_showing(&moto.account, "n new access key…");
    proxy.add_rule(Rule::new("CreateAccessKey", When::Always, Fault::Hold));
    t.send("n");
    t.wait_for("Creates a new access key for PostmanUser");
    t.send("y");
    proxy.wait_for("CreateAccessKey", 1, Duration::from_secs(10)).unwrap();
    // SAFETY: kill(2) with a child's pid and a valid signal number has no memory effects.
    assert_eq!(unsafe { libc::kill(t.pid(), libc::SIGTERM) }, 0);
    t.wait_for("quitting once AWS has answered");
    proxy.release();
    assert_eq!(t.wait_exit(), 143, "{}", t.screen());
    proxy.wait_idle(Duration::from_secs(10)).unwrap();
    let after = keys(moto).await;
    assert_eq!(after, before, "the key the stopped rotation made is deleted again:\n{}", t.screen());
    assert!(t.screen().contains("ended by signal 15"), "{}", t.screen());
}
