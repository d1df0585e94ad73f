//! The paths on which the model-based test (tests/tui/custody_model.rs) found the one-time secret's promise broken,
//! replayed by the real binary in a terminal against moto, a proxy making the run fail where the model did.
//! Each ends by reading the account straight from moto: no access key stays active whose secret nobody saw,
//! and the exit code and text say what exists.
#![allow(clippy::await_holding_lock)]

mod support;

use std::time::Duration;
use support::proxy::{Fault, FaultProxy, Rule, When};
use support::term::*;
use support::*;

/// The user's access keys as moto holds them.
async fn keys(moto: &Moto) -> Vec<String> {
    let iam = moto.iam().await;
    let listed = iam.list_access_keys().user_name("PostmanUser").send().await.unwrap();
    listed.access_key_metadata().iter().filter_map(|k| k.access_key_id().map(str::to_string)).collect()
}

/// Apply the Postman plan through a proxy that refuses the user's policy attachment (the key, which needs only
/// the user, is made meanwhile) `times` times; wait for the failed run's choice.
fn failed_run_with_a_key(moto: &Moto, times: When) -> (FaultProxy, Term) {
    let proxy = FaultProxy::start(moto);
    proxy.add_rule(Rule::new("AttachUserPolicy", times, Fault::AccessDenied));
    let mut t = Term::spawn(&proxy.env(moto));
    t.postman_apply(&moto.account, "steps succeeded; waiting for your choice");
    proxy.wait_for("CreateAccessKey", 1, Duration::from_secs(10)).unwrap();
    (proxy, t)
}

/// Keep the failed run (k, confirmed): its key's secret is shown next.
fn keep_to_secret(t: &mut Term) {
    t.send("k");
    t.wait_for("Keep what this run made?");
    t.send("y");
    t.wait_for("failed, kept as it is");
    t.send(ENTER);
    t.wait_for("New access key for PostmanUser");
}

// Seen (issue 16, item 1), and found by the model: keep, then `q`, `d` quit and left the key active.
#[tokio::test(flavor = "multi_thread")]
async fn keeping_a_failed_run_then_deleting_its_unseen_key_deletes_it() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    let (_proxy, mut t) = failed_run_with_a_key(moto, When::Always);
    keep_to_secret(&mut t);
    let made = keys(moto).await;
    assert_eq!(made.len(), 1, "the run made its key");
    t.send("q");
    t.wait_for("Quit without the secret?");
    t.send("d");
    assert_eq!(t.wait_exit(), 1, "the run did not complete:\n{}", t.screen());
    let after = t.screen();
    assert!(keys(moto).await.is_empty(), "the key whose secret nobody saw is gone:\n{after}");
    assert!(after.contains(&format!("new access key {} of PostmanUser (deleted", made[0])), "{after}");
}

// The same, ended by SIGTERM on the secret screen (exit 143 with the key still active before).
#[tokio::test(flavor = "multi_thread")]
async fn sigterm_on_the_secret_screen_of_a_kept_run_deletes_the_unseen_key() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    let (_proxy, mut t) = failed_run_with_a_key(moto, When::Always);
    keep_to_secret(&mut t);
    // SAFETY: kill(2) with a child's pid and a valid signal number has no memory effects.
    assert_eq!(unsafe { libc::kill(t.pid(), libc::SIGTERM) }, 0);
    assert_eq!(t.wait_exit(), 143, "{}", t.screen());
    assert!(keys(moto).await.is_empty(), "no key whose secret nobody saw:\n{}", t.screen());
    assert!(t.screen().contains("deleted: its secret was never shown"), "{}", t.screen());
}

// Seen (item 2), and found by the model: `r` retried, the new plan found the key, and its secret was dropped.
#[tokio::test(flavor = "multi_thread")]
async fn retrying_a_failed_run_shows_the_secret_of_the_key_it_made() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    let (_proxy, mut t) = failed_run_with_a_key(moto, When::Nth(1));
    t.send("r");
    t.wait_for("Enter asks before applying");
    t.send(ENTER);
    t.wait_for("Apply the plan?");
    t.send("y");
    // The retried run completes; the secret of the first run's key is still held and is shown now.
    t.wait_for("New access key for PostmanUser");
    let made = keys(moto).await;
    assert_eq!(made.len(), 1, "one key, made by the first run");
    assert!(t.screen().contains(&made[0]), "the key on screen is the one in the account:\n{}", t.screen());
    t.reveal_and_leave();
    t.send("q");
    assert_eq!(t.wait_exit(), 0, "{}", t.screen());
    assert!(t.screen().contains("its secret was shown once"), "{}", t.screen());
}

// Seen (items 3 and 4), and found by the model: Enter then `y` ("stored it?") went on with a secret nobody had
// seen; deleting the key then exited 0 saying the setup is in place.
#[tokio::test(flavor = "multi_thread")]
async fn leaving_an_unseen_secret_asks_to_delete_or_keep_and_the_exit_says_the_key_is_missing() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    let mut t = Term::spawn(&moto.env());
    t.postman_to_secret(&moto.account);
    t.send(ENTER);
    t.wait_for("Leave without the secret?");
    assert!(!t.screen().contains("Have you stored the secret?"), "{}", t.screen());
    t.send("d");
    t.wait_for("Resources");
    assert!(keys(moto).await.is_empty(), "deleted before the summary:\n{}", t.screen());
    t.send("q");
    assert_eq!(t.wait_exit(), 1, "the setup lacks its key:\n{}", t.screen());
    let after = t.screen();
    assert!(!after.contains("the setup is in place"), "{after}");
    assert!(after.contains("every resource is in place but the access key"), "{after}");
    assert!(after.contains("rotate-key --user PostmanUser"), "the command that makes a new one:\n{after}");
}
