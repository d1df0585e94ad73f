//! The fault-injecting proxy itself: each fault as the real SDK sees it, and what moto holds afterwards.
// Each #[tokio::test] runs its own runtime on its own thread; the shared server's lock serializes them,
// so holding it across awaits is the point.
#![allow(clippy::await_holding_lock)]

mod support;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};
use std::time::{Duration, Instant};
use support::proxy::{Fault, FaultProxy, Rule, When};
use support::*;

/// IAM through the proxy; one attempt unless told otherwise, so each test sees the fault itself.
async fn iam_via(proxy: &FaultProxy, attempts: u32, timeout: Option<Duration>) -> aws_sdk_iam::Client {
    let mut timeouts = TimeoutConfig::builder();
    if let Some(t) = timeout {
        timeouts = timeouts.operation_timeout(t);
    }
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .endpoint_url(proxy.url())
        .region(aws_config::Region::new(REGION))
        .credentials_provider(aws_sdk_iam::config::Credentials::new("testing", "testing", None, None, "tests"))
        .retry_config(RetryConfig::standard().with_max_attempts(attempts))
        .timeout_config(timeouts.build())
        .load()
        .await;
    aws_sdk_iam::Client::new(&config)
}

/// The error code and message IAM answered with.
fn conflict(e: impl ProvideErrorMetadata) -> (Option<String>, Option<String>) {
    (e.code().map(str::to_string), e.message().map(str::to_string))
}

async fn user_exists(moto: &Moto, name: &str) -> bool {
    moto.iam().await.get_user().user_name(name).send().await.is_ok()
}

#[tokio::test]
async fn error_faults_answer_like_iam_and_moto_never_sees_the_request() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    for (fault, status, code) in [
        (Fault::Status500, 500, "ServiceFailure"),
        (Fault::Throttle, 400, "Throttling"),
        (Fault::AccessDenied, 403, "AccessDenied"),
    ] {
        let proxy = FaultProxy::start(moto);
        proxy.add_rule(Rule::new("CreateUser", When::Nth(1), fault));
        let iam = iam_via(&proxy, 1, None).await;
        let err = iam.create_user().user_name("u1").send().await.unwrap_err();
        assert_eq!(err.code(), Some(code), "{fault}: {err:?}");
        assert_eq!(err.raw_response().map(|r| r.status().as_u16()), Some(status), "{fault}");
        assert!(err.message().is_some_and(|m| !m.is_empty()), "{fault}: IAM's errors carry a message");
        assert!(!user_exists(moto, "u1").await, "{fault}: moto never saw the request");
        // The second CreateUser is not the first: it goes through.
        iam.create_user().user_name("u1").send().await.unwrap();
        assert!(user_exists(moto, "u1").await);
        assert_eq!(proxy.seen(), vec![format!("CreateUser#1 {fault}"), "CreateUser#2 200".to_string()]);
        moto.reset();
    }
}

#[tokio::test]
async fn the_sdk_retries_a_transient_fault_once_and_succeeds() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    let proxy = FaultProxy::start(moto);
    proxy.add_rule(Rule::new("CreateUser", When::Nth(1), Fault::Status500));
    let iam = iam_via(&proxy, 3, None).await;
    iam.create_user().user_name("u1").send().await.unwrap();
    assert_eq!(proxy.seen(), vec!["CreateUser#1 Status500", "CreateUser#2 200"]);
    assert!(user_exists(moto, "u1").await);
}

#[tokio::test]
async fn reset_closes_the_connection_before_moto_sees_the_request() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    let proxy = FaultProxy::start(moto);
    proxy.add_rule(Rule::new("CreateUser", When::Always, Fault::Reset));
    let iam = iam_via(&proxy, 1, None).await;
    let err = iam.create_user().user_name("u1").send().await.unwrap_err();
    assert!(matches!(err, SdkError::DispatchFailure(_)), "{err:?}");
    assert!(!user_exists(moto, "u1").await);
    assert_eq!(proxy.seen(), vec!["CreateUser#1 Reset"]);
}

#[tokio::test]
async fn drop_answer_lets_moto_act_and_loses_its_answer() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    let proxy = FaultProxy::start(moto);
    proxy.add_rule(Rule::new("CreateUser", When::Nth(1), Fault::DropAnswer));
    let iam = iam_via(&proxy, 1, None).await;
    let err = iam.create_user().user_name("u1").send().await.unwrap_err();
    assert!(matches!(err, SdkError::DispatchFailure(_)), "{err:?}");
    assert!(user_exists(moto, "u1").await, "moto created the user; only the answer was lost");
    // A retry of the create is what a blind retrier would do: IAM says the user exists.
    let again = iam.create_user().user_name("u1").send().await.unwrap_err();
    assert_eq!(again.code(), Some("EntityAlreadyExists"));
}

// Multi-threaded: the test blocks in wait_for while the SDK call runs on another worker.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delay_and_latency_hold_a_request_then_forward_it_and_wait_for_sees_it_held() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    let proxy = FaultProxy::start(moto);
    proxy.add_rule(Rule::new("CreateUser", When::Nth(1), Fault::Delay(Duration::from_millis(1500))));
    let iam = iam_via(&proxy, 1, None).await;
    let started = Instant::now();
    let call = tokio::spawn({
        let iam = iam.clone();
        async move { iam.create_user().user_name("u1").send().await }
    });
    tokio::task::block_in_place(|| proxy.wait_for("CreateUser", 1, Duration::from_secs(10))).unwrap();
    assert_eq!(proxy.seen(), vec!["CreateUser#1 held"], "wait_for returns while the request is held");
    call.await.unwrap().unwrap();
    assert!(started.elapsed() >= Duration::from_millis(1500), "{:?}", started.elapsed());
    assert_eq!(proxy.seen(), vec!["CreateUser#1 200"]);
    let err = proxy.wait_for("CreateRole", 1, Duration::from_millis(50)).unwrap_err();
    assert!(err.contains("CreateRole #1") && err.contains("CreateUser#1 200"), "{err}");

    proxy.set_latency(Duration::from_millis(400));
    let started = Instant::now();
    iam.get_user().user_name("u1").send().await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(400), "{:?}", started.elapsed());
}

// Multi-threaded: the test blocks in wait_for while the SDK call runs on another worker.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hold_keeps_a_request_until_released_then_forwards_it() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    let proxy = FaultProxy::start(moto);
    proxy.add_rule(Rule::new("CreateUser", When::Nth(1), Fault::Hold));
    let iam = iam_via(&proxy, 1, None).await;
    let call = tokio::spawn({
        let iam = iam.clone();
        async move { iam.create_user().user_name("u1").send().await }
    });
    tokio::task::block_in_place(|| proxy.wait_for("CreateUser", 1, Duration::from_secs(10))).unwrap();
    // Held: moto has not seen it, and it stays so while the test looks (wait_idle gives up, the call waits).
    let still = tokio::task::block_in_place(|| proxy.wait_idle(Duration::from_millis(300)));
    assert!(still.is_err_and(|e| e.contains("CreateUser#1 held")), "held until released");
    assert!(!call.is_finished());
    assert!(!user_exists(moto, "u1").await, "moto has not seen the request");
    proxy.release();
    call.await.unwrap().unwrap();
    assert_eq!(proxy.seen(), vec!["CreateUser#1 200"]);
    assert!(user_exists(moto, "u1").await);
}

#[tokio::test]
async fn hang_never_answers_until_the_client_gives_up() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    let proxy = FaultProxy::start(moto);
    proxy.add_rule(Rule::new("CreateUser", When::Always, Fault::Hang));
    let iam = iam_via(&proxy, 1, Some(Duration::from_secs(1))).await;
    let started = Instant::now();
    let err = iam.create_user().user_name("u1").send().await.unwrap_err();
    assert!(matches!(err, SdkError::TimeoutError(_)), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(10), "{:?}", started.elapsed());
    assert!(!user_exists(moto, "u1").await);
}

#[tokio::test]
async fn keep_alive_connections_carry_many_requests_and_from_nth_counts_them() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    let proxy = FaultProxy::start(moto);
    proxy.add_rule(Rule::new("GetUser", When::FromNth(3), Fault::AccessDenied));
    let iam = iam_via(&proxy, 1, None).await;
    iam.create_user().user_name("u1").send().await.unwrap();
    for _ in 0..2 {
        iam.get_user().user_name("u1").send().await.unwrap();
    }
    for _ in 0..2 {
        assert_eq!(iam.get_user().user_name("u1").send().await.unwrap_err().code(), Some("AccessDenied"));
    }
    assert_eq!(proxy.count("GetUser"), 4);
    assert_eq!(
        proxy.seen(),
        vec!["CreateUser#1 200", "GetUser#1 200", "GetUser#2 200", "GetUser#3 AccessDenied", "GetUser#4 AccessDenied"]
    );
    proxy.clear_rules();
    iam.get_user().user_name("u1").send().await.unwrap();
}

#[tokio::test]
async fn strict_mode_refuses_deletes_iam_would_refuse_and_lets_clean_ones_through() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    let proxy = FaultProxy::start(moto);
    proxy.strict(true);
    let iam = iam_via(&proxy, 1, None).await;
    let direct = moto.iam().await;
    let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
    let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    let arn = direct.create_policy().policy_name("P").policy_document(doc).send().await.unwrap();
    let arn = arn.policy().unwrap().arn().unwrap().to_string();

    // A user with a key, then with an attached policy, then with an inline one, then a login profile.
    direct.create_user().user_name("u").send().await.unwrap();
    let key = direct.create_access_key().user_name("u").send().await.unwrap().access_key.unwrap();
    let (code, message) = conflict(iam.delete_user().user_name("u").send().await.unwrap_err());
    assert_eq!(code.as_deref(), Some("DeleteConflict"));
    assert!(message.unwrap().contains("access keys"));
    direct.delete_access_key().user_name("u").access_key_id(key.access_key_id).send().await.unwrap();
    direct.attach_user_policy().user_name("u").policy_arn(&arn).send().await.unwrap();
    let (code, message) = conflict(iam.delete_user().user_name("u").send().await.unwrap_err());
    assert_eq!(
        (code.as_deref(), message.as_deref()),
        (Some("DeleteConflict"), Some("Cannot delete entity, must detach all policies first."))
    );
    // The policy is attached to the user, so it cannot go either.
    let (code, message) = conflict(iam.delete_policy().policy_arn(&arn).send().await.unwrap_err());
    assert_eq!(
        (code.as_deref(), message.as_deref()),
        (Some("DeleteConflict"), Some("Cannot delete a policy attached to entities."))
    );
    direct.detach_user_policy().user_name("u").policy_arn(&arn).send().await.unwrap();
    direct.put_user_policy().user_name("u").policy_name("inline").policy_document(doc).send().await.unwrap();
    assert!(iam.delete_user().user_name("u").send().await.is_err());
    direct.delete_user_policy().user_name("u").policy_name("inline").send().await.unwrap();
    direct.create_login_profile().user_name("u").password("Secret-Passw0rd!").send().await.unwrap();
    let (_, message) = conflict(iam.delete_user().user_name("u").send().await.unwrap_err());
    assert!(message.unwrap().contains("login profile"));
    direct.delete_login_profile().user_name("u").send().await.unwrap();
    direct.create_group().group_name("g").send().await.unwrap();
    direct.add_user_to_group().group_name("g").user_name("u").send().await.unwrap();
    let (_, message) = conflict(iam.delete_user().user_name("u").send().await.unwrap_err());
    assert!(message.unwrap().contains("group"));
    direct.remove_user_from_group().group_name("g").user_name("u").send().await.unwrap();
    assert!(user_exists(moto, "u").await, "every refused delete left the user in moto");
    iam.delete_user().user_name("u").send().await.expect("a user with nothing left is deleted");
    assert!(!user_exists(moto, "u").await);

    // A role with an attached policy, then an inline one.
    direct.create_role().role_name("r").assume_role_policy_document(trust).send().await.unwrap();
    direct.attach_role_policy().role_name("r").policy_arn(&arn).send().await.unwrap();
    let (code, _) = conflict(iam.delete_role().role_name("r").send().await.unwrap_err());
    assert_eq!(code.as_deref(), Some("DeleteConflict"));
    direct.detach_role_policy().role_name("r").policy_arn(&arn).send().await.unwrap();
    direct.put_role_policy().role_name("r").policy_name("inline").policy_document(doc).send().await.unwrap();
    assert!(iam.delete_role().role_name("r").send().await.is_err());
    direct.delete_role_policy().role_name("r").policy_name("inline").send().await.unwrap();
    direct.create_instance_profile().instance_profile_name("ip").send().await.unwrap();
    direct.add_role_to_instance_profile().instance_profile_name("ip").role_name("r").send().await.unwrap();
    let (_, message) = conflict(iam.delete_role().role_name("r").send().await.unwrap_err());
    assert!(message.unwrap().contains("instance profile"));
    direct.remove_role_from_instance_profile().instance_profile_name("ip").role_name("r").send().await.unwrap();
    iam.delete_role().role_name("r").send().await.expect("a bare role is deleted");

    // A policy with a second version.
    direct.create_policy_version().policy_arn(&arn).policy_document(doc).set_as_default(true).send().await.unwrap();
    let (_, message) = conflict(iam.delete_policy().policy_arn(&arn).send().await.unwrap_err());
    assert!(message.unwrap().contains("more than one version"));
    direct.delete_policy_version().policy_arn(&arn).version_id("v1").send().await.unwrap();
    iam.delete_policy().policy_arn(&arn).send().await.expect("a policy with one version, unattached, is deleted");
    assert!(direct.get_policy().policy_arn(&arn).send().await.is_err());

    // Without strict mode the proxy forwards, and moto deletes a user that still has a key.
    proxy.strict(false);
    direct.create_user().user_name("v").send().await.unwrap();
    direct.create_access_key().user_name("v").send().await.unwrap();
    iam.delete_user().user_name("v").send().await.unwrap();
    assert!(!user_exists(moto, "v").await, "moto itself skips IAM's check");
}

// Multi-threaded: the held call runs on one worker while the test goes on on another.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_holds_a_request_until_the_same_numbered_partner_is_answered() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    let proxy = FaultProxy::start(moto);
    proxy.add_rule(Rule::new("CreateUser", When::Always, Fault::After("CreateGroup")));
    let iam = iam_via(&proxy, 1, None).await;
    let held = tokio::spawn({
        let iam = iam.clone();
        async move { iam.create_user().user_name("u1").send().await }
    });
    tokio::task::block_in_place(|| proxy.wait_for("CreateUser", 1, Duration::from_secs(10))).unwrap();
    assert!(!held.is_finished(), "no CreateGroup yet: the CreateUser is still held");
    assert!(!user_exists(moto, "u1").await, "moto has not seen the held request");
    iam.create_group().group_name("g1").send().await.unwrap();
    held.await.unwrap().unwrap();
    assert!(user_exists(moto, "u1").await);
    assert_eq!(proxy.seen(), vec!["CreateUser#1 200", "CreateGroup#1 200"]);
}
