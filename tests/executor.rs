//! Issue 15, the executor's remaining shape: the engine's own error type, cancellation through a token,
//! rotate-key and retire-key as plans run by the executor (rollback, signals, the JSON report), and an apply
//! that reads its `unchanged` steps again with its last writes.
// The shared server's lock serializes tests that each run their own runtime; holding it across awaits is the point.
#![allow(clippy::await_holding_lock)]

mod support;

use pinpoint_iam_wizard::aws::CallCounter;
use pinpoint_iam_wizard::aws::iam::{Iam, RoleState};
use pinpoint_iam_wizard::engine::{self, ApplyOptions, Event, Status, StepError};
use pinpoint_iam_wizard::plan::{Prior, StepKind};
use pinpoint_iam_wizard::setup::{Params, Selection};
use serde_json::Value;
use std::process::Stdio;
use std::sync::Arc;
use std::time::Duration;
use support::account::Account;
use support::proxy::{Fault, FaultProxy, Rule, When};
use support::*;

const LIMIT: Duration = Duration::from_secs(60);

fn block<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
}

/// The Postman setup applied; returns its key's id.
fn applied(moto: &Moto) -> String {
    let out = moto.run(&["apply", "--setup", "postman", "--yes", "--format", "json"]);
    assert!(out.status.success(), "apply: {}", stderr(&out));
    json(&out)["access_key"]["access_key_id"].as_str().unwrap().to_string()
}

/// The postman setup applied, then its key deleted by hand: the next apply has one write (a new key) and finds
/// the rest in place.
fn applied_then_key_deleted(moto: &Moto) {
    let first = applied(moto);
    block(async {
        let iam = moto.iam().await;
        iam.delete_access_key().user_name("PostmanUser").access_key_id(&first).send().await.unwrap();
    });
}

/// The status a JSON report gives the row of `kind` named `name`.
fn row<'a>(j: &'a Value, kind: &str, name: &str) -> &'a str {
    let rows = j["resources"].as_array().unwrap_or_else(|| panic!("no resources in {j}"));
    let found = rows.iter().find(|r| r["kind"] == kind && r["name"] == name);
    found.and_then(|r| r["status"].as_str()).unwrap_or_else(|| panic!("no {kind} {name} row in {j}"))
}

/// The user's keys as (id, active).
fn key_states(moto: &Moto, user: &str) -> Vec<(String, bool)> {
    block(async {
        let keys = moto.iam().await.list_access_keys().user_name(user).send().await.unwrap();
        keys.access_key_metadata()
            .iter()
            .map(|k| (k.access_key_id().unwrap().to_string(), k.status().unwrap().as_str() == "Active"))
            .collect()
    })
}

/// A rotation that fails after adopting the user is rolled back like an apply: the adopt's tags are removed
/// (verified by reading the user), no key stays, and `--format json` gives apply's rows with the error. Before,
/// the adopt's tags stayed on a user the operator never got a key for, and the JSON had only the error.
#[test]
fn a_rotation_that_fails_undoes_its_adopt_and_reports_every_step() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    moto.reset();
    block(async { moto.iam().await.create_user().user_name("SomeoneElse").send().await.unwrap() });
    let proxy = FaultProxy::start(moto);
    // Not worth another try: the key step fails at once.
    proxy.add_rule(Rule::new("CreateAccessKey", When::Always, Fault::Code("LimitExceeded")));
    let args = ["rotate-key", "--user", "SomeoneElse", "--adopt", "--yes", "--format", "json"];
    let out = run_with_env(&args, &proxy.env(moto));
    assert_eq!(out.status.code(), Some(1), "a failure at AWS: {}", stderr(&out));
    let j = json(&out);
    assert!(j["error"].as_str().unwrap().contains("LimitExceeded"), "AWS's own code: {j}");
    assert!(j["access_key"].is_null(), "no key was delivered: {j}");
    assert_eq!(row(&j, "user", "SomeoneElse"), "rolled_back", "the adopt was undone, verified: {j}");
    assert_eq!(row(&j, "access_key", "SomeoneElse"), "failed", "{j}");
    assert!(j["run_id"].as_str().is_some_and(|r| r.len() == 16), "{j}");
    let after = Account::read_blocking(moto);
    assert!(!after.users["SomeoneElse"].ours, "the adopt's tags are gone: {:?}", after.users["SomeoneElse"].tags);
    assert!(after.users["SomeoneElse"].keys.is_empty(), "no key stays");
}

/// retire-key `--format json`: the report of rotate-key and apply (account, user, run id, every step's status,
/// the error) with what was deactivated or deleted. Before, `--format` was not an option of retire-key.
#[test]
fn retire_key_reports_in_json_with_the_shape_of_rotate_key() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    moto.reset();
    let first = applied(moto);
    let out = moto.run(&["retire-key", "--user", "PostmanUser", "--key", &first, "--yes", "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let j = json(&out);
    assert_eq!(j["user_name"], "PostmanUser", "{j}");
    assert_eq!(j["deactivated"][0], first.as_str(), "{j}");
    assert!(j["deleted"].is_null() && j["error"].is_null() && j["access_key"].is_null(), "{j}");
    assert_eq!(row(&j, "access_key", &first), "updated", "{j}");
    assert_eq!(row(&j, "user", "PostmanUser"), "unchanged", "{j}");
    assert_eq!(key_states(moto, "PostmanUser"), [(first.clone(), false)]);

    let out =
        moto.run(&["retire-key", "--user", "PostmanUser", "--key", &first, "--delete", "--yes", "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let j = json(&out);
    assert_eq!(j["deleted"], first.as_str(), "{j}");
    assert_eq!(row(&j, "access_key", &first), "deleted", "{j}");
    assert!(key_states(moto, "PostmanUser").is_empty());

    // rotate-key's report has the same fields.
    let out = moto.run(&["rotate-key", "--user", "PostmanUser", "--yes", "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let rotated = json(&out);
    let fields = |v: &Value| {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(fields(&rotated), fields(&j), "one shape for both key commands");
    assert_eq!(row(&rotated, "access_key", "PostmanUser"), "created", "{rotated}");
}

/// A first signal while retire-key's write is on the wire: what is on the wire finishes, it is undone, the user
/// is read back, and the command exits 128+N with the report. Before, retire-key had no signal policy: the
/// signal killed it mid-write, with no report.
#[test]
fn a_signal_during_retire_key_is_settled_and_read_back() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    moto.reset();
    let first = applied(moto);
    let proxy = FaultProxy::start(moto);
    proxy.add_rule(Rule::new("UpdateAccessKey", When::Nth(1), Fault::Delay(Duration::from_secs(2))));
    let args = ["retire-key", "--user", "PostmanUser", "--key", &first, "--yes", "--format", "json"];
    let run = spawn_with_env(&args, &proxy.env(moto), Stdio::piped());
    proxy.wait_for("UpdateAccessKey", 1, LIMIT).unwrap();
    run.signal(libc::SIGINT);
    let run = run.wait_bounded(LIMIT);
    assert_eq!(run.output.status.code(), Some(130), "{}", stderr(&run.output));
    let j = json(&run.output);
    assert!(j["error"].as_str().unwrap().contains("interrupted by SIGINT"), "{j}");
    assert_eq!(row(&j, "access_key", &first), "rolled_back", "deactivated, then made active again: {j}");
    assert_eq!(key_states(moto, "PostmanUser"), [(first, true)], "the key is as it was");
}

/// Issue 15: an apply that finds an attachment in place reads it again with its last writes, so a destroy (or
/// a hand) that removes it meanwhile never leaves a report saying `unchanged`. Before, the attachment was
/// reported `unchanged` although it was gone.
#[test]
fn an_attachment_removed_before_the_last_read_is_not_reported_unchanged() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    moto.reset();
    applied_then_key_deleted(moto);
    let proxy = FaultProxy::start(moto);
    // The plan's reading lists the user's policies once; the read at the end is the second.
    proxy.add_rule(Rule::new("ListAttachedUserPolicies", When::Nth(2), Fault::Hold));
    let args = ["apply", "--setup", "postman", "--yes", "--format", "json"];
    let run = spawn_with_env(&args, &proxy.env(moto), Stdio::piped());
    let held = proxy.wait_for("ListAttachedUserPolicies", 2, Duration::from_secs(20));
    block(async {
        let iam = moto.iam().await;
        let arn = format!("arn:aws:iam::{}:policy/PostmanAccessPolicy", moto.account);
        iam.detach_user_policy().user_name("PostmanUser").policy_arn(arn).send().await.unwrap();
    });
    proxy.release();
    let run = run.wait_bounded(LIMIT);
    let j = json(&run.output);
    let status = row(&j, "attachment", "PostmanAccessPolicy -> PostmanUser");
    assert_ne!(status, "unchanged", "the attachment is gone (read at the end: {held:?}): {j}");
    assert_eq!(status, "absent", "{j}");
    assert_eq!(run.output.status.code(), Some(1), "the setup is not complete: {}", stderr(&run.output));
    assert!(j["error"].as_str().unwrap().contains("run apply again"), "{j}");
    assert!(j["access_key"]["secret_access_key"].is_string(), "the key made is still shown: {j}");
}

/// When the read at the end fails, the report says the step was not verified (`unknown`), not `unchanged`;
/// what the run wrote stands.
#[test]
fn an_unchanged_step_that_cannot_be_read_again_is_reported_unverified() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    moto.reset();
    applied_then_key_deleted(moto);
    let proxy = FaultProxy::start(moto);
    proxy.add_rule(Rule::new("ListAttachedUserPolicies", When::Nth(2), Fault::AccessDenied));
    let out = run_with_env(&["apply", "--setup", "postman", "--yes", "--format", "json"], &proxy.env(moto));
    assert!(out.status.success(), "{}", stderr(&out));
    let j = json(&out);
    assert_eq!(row(&j, "attachment", "PostmanAccessPolicy -> PostmanUser"), "unknown", "{j}");
    assert_eq!(row(&j, "user", "PostmanUser"), "unchanged", "read again, and there: {j}");
    assert_eq!(row(&j, "access_key", "PostmanUser"), "created", "{j}");
}

async fn iam_at(moto: &Moto) -> Iam {
    let conf = moto.sdk_config().await;
    Iam::new(aws_sdk_iam::Client::new(&conf), CallCounter::default(), moto.url())
}

fn postman(moto: &Moto) -> Params {
    Params::new("postman".parse::<Selection>().unwrap(), moto.account.parse().unwrap(), REGION.parse().unwrap())
}

/// The engine's own failures are its own type, decided on by variant: a plan that pairs a step with another
/// kind of resource fails as `InvalidPlan` (before, a fake AWS error code "InvalidPlan"), writes nothing, and
/// its words name the step.
#[tokio::test(flavor = "multi_thread")]
async fn a_step_paired_with_another_kind_of_resource_fails_as_invalid_plan() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    moto.reset();
    let iam = iam_at(moto).await;
    let mut plan = pinpoint_iam_wizard::plan::plan(&iam, &postman(moto)).await.unwrap();
    let policy = plan.steps.iter().position(|s| matches!(s.kind, StepKind::Policy(_))).unwrap();
    plan.steps[policy].prior = Prior::Role(RoleState {
        arn: "arn:aws:iam::123456789012:role/R".into(),
        trust: Value::Null,
        managed_by_us: true,
        owner: None,
        run: None,
        attached: vec![],
        permissions_boundary: None,
        tag_keys: vec![],
        path: "/".into(),
    });
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let report = engine::execute(&iam, Arc::new(plan), ApplyOptions::default(), tx).await.unwrap();
    let Some((step, StepError::InvalidPlan { step: named })) = &report.failure else {
        panic!("expected InvalidPlan, got {:?}", report.failure)
    };
    assert_eq!(*step, policy);
    assert_eq!(named, "policy PostmanAccessPolicy");
    let after = Account::read(&moto.iam().await).await;
    assert!(after.is_empty(), "everything rolled back: {}", after.summary());
}

/// Cancellation is a token: cancelled while the first steps are held on the wire, the scheduler starts
/// nothing more (the held steps finish), rolls back and reports `interrupted`.
#[tokio::test(flavor = "multi_thread")]
async fn a_cancelled_token_stops_new_steps_at_once_and_rolls_back() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    moto.reset();
    let proxy = FaultProxy::start(moto);
    proxy.add_rule(Rule::new("CreateUser", When::Nth(1), Fault::Hold));
    let conf = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(proxy.url())
        .region(aws_config::Region::new(REGION))
        .credentials_provider(aws_sdk_iam::config::Credentials::new("testing", "testing", None, None, "tests"))
        .load()
        .await;
    let iam = Iam::new(aws_sdk_iam::Client::new(&conf), CallCounter::default(), proxy.url());
    let plan = Arc::new(pinpoint_iam_wizard::plan::plan(&iam, &postman(moto)).await.unwrap());
    let token = tokio_util::sync::CancellationToken::new();
    let opts = ApplyOptions { cancel: Some(token.clone()), ..ApplyOptions::default() };
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let run = tokio::spawn({
        let (iam, plan) = (iam.clone(), plan.clone());
        async move { engine::execute(&iam, plan, opts, tx).await }
    });
    tokio::task::block_in_place(|| proxy.wait_for("CreateUser", 1, LIMIT)).unwrap();
    token.cancel();
    proxy.release();
    let report = tokio::time::timeout(LIMIT, run).await.unwrap().unwrap().unwrap();
    assert!(report.interrupted && report.failure.is_none(), "{:?}", report.failure);
    let mut started = vec![];
    while let Ok(e) = rx.try_recv() {
        if let Event::Started(i) = e {
            started.push(plan.label(i).kind);
        }
    }
    started.sort();
    assert_eq!(started, ["policy", "user"], "only the steps sent before the token was cancelled");
    let key = plan.steps.iter().position(|s| matches!(s.kind, StepKind::AccessKey(_))).unwrap();
    assert_eq!(report.statuses[key], Status::Skipped);
    let after = Account::read(&moto.iam().await).await;
    assert!(after.is_empty(), "rolled back: {}", after.summary());
}
