//! The wizard's UI tests drive the run screen with `wizard::EngineRun`, a script of the order in which the engine
//! reports a run. Here the real engine runs against moto (through the fault proxy, as the wizard runs it: with
//! `no_rollback`, the rollback being the operator's choice), and every event it sends is checked against that
//! script: a step starts only once its dependencies are done and as soon as they are, nothing new starts after a
//! failure, skipped steps come only when no step runs, and the report says what the events said.
// The shared server's lock serializes tests that each run their own runtime; holding it across awaits is the point.
#![allow(clippy::await_holding_lock)]

mod support;
mod wizard;

use pinpoint_iam_wizard::aws::CallCounter;
use pinpoint_iam_wizard::aws::iam::Iam;
use pinpoint_iam_wizard::engine::{self, ApplyOptions, ApplyReport, Event, Status};
use pinpoint_iam_wizard::setup::{Params, Selection};
use std::sync::Arc;
use support::proxy::{Fault, FaultProxy, Rule, When};
use support::*;
use wizard::EngineRun;

/// Plan `setup all` for the account behind `proxy`, apply it as the wizard does, and collect the events.
async fn run_as_the_wizard(
    moto: &Moto,
    proxy: &FaultProxy,
) -> (Arc<pinpoint_iam_wizard::plan::Plan>, Vec<Event>, ApplyReport) {
    let conf = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(proxy.url())
        .region(aws_config::Region::new(REGION))
        .credentials_provider(aws_sdk_iam::config::Credentials::new("testing", "testing", None, None, "tests"))
        .load()
        .await;
    let iam = Iam::new(aws_sdk_iam::Client::new(&conf), CallCounter::default(), proxy.url());
    let mut params = Params::new(Selection::all(), moto.account.parse().unwrap(), REGION.parse().unwrap());
    params.bucket = Some("pinpoint-imports".parse().unwrap());
    params.project = Some("0123456789abcdef0123456789abcdef".parse().unwrap());
    let plan = Arc::new(pinpoint_iam_wizard::plan::plan(&iam, &params).await.unwrap());
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let opts = ApplyOptions { no_rollback: true, ..ApplyOptions::default() };
    let report = engine::execute(&iam, plan.clone(), opts, tx).await.unwrap();
    let mut events = vec![];
    while let Ok(e) = rx.try_recv() {
        events.push(e);
    }
    (plan, events, report)
}

fn check(plan: Arc<pinpoint_iam_wizard::plan::Plan>, events: &[Event], report: &ApplyReport) {
    let mut script = EngineRun::new(plan);
    script.replay(events);
    assert_eq!(events.last(), Some(&Event::Done), "{events:?}");
    assert_eq!(script.statuses(), report.statuses.as_slice(), "the report says what the events said: {events:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_clean_run_follows_the_wizard_tests_script() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    let proxy = FaultProxy::start(moto);
    // Answers slow enough that a step started late would be seen late: each wave is sent before any answer.
    proxy.set_latency(std::time::Duration::from_millis(100));
    let (plan, events, report) = run_as_the_wizard(moto, &proxy).await;
    assert!(report.succeeded(), "{:?}", report.failure);
    check(plan, &events, &report);
    let first_answer = events.iter().position(|e| matches!(e, Event::Finished { .. })).unwrap();
    assert_eq!(first_answer, 8, "the policies, the roles and the user start together: {events:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failed_run_follows_the_wizard_tests_script() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    let proxy = FaultProxy::start(moto);
    // As in the wizard's `at_failed_run`: the first role is refused while the rest of the first wave runs.
    proxy.add_rule(Rule::new("CreateRole", When::Nth(1), Fault::AccessDenied));
    let (plan, events, report) = run_as_the_wizard(moto, &proxy).await;
    assert!(report.failure.is_some());
    check(plan, &events, &report);
    assert!(report.statuses.contains(&Status::Skipped), "steps waiting for the refused role never start");
}
