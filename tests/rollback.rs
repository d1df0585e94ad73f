//! A step denied by IAM mid-run: what this run created is rolled back (or kept with --no-rollback), against a
//! moto server that enforces IAM policies like AWS does.

mod support;

use serde_json::Value;
use support::proxy::{Fault, FaultProxy, Rule, When};
use support::*;

/// Moto lets the first requests through unauthenticated (to create the caller), then enforces IAM.
const SETUP_REQUESTS: &str = "4";

async fn deployer(moto: &Moto) -> (String, String) {
    let iam = moto.iam().await;
    iam.create_user().user_name("deployer").send().await.unwrap();
    let doc = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Action":"*","Resource":"*"},
        {"Effect":"Deny","Action":"iam:CreateAccessKey","Resource":"*"}]}"#;
    let p = iam.create_policy().policy_name("DeployerPolicy").policy_document(doc).send().await.unwrap();
    iam.attach_user_policy().user_name("deployer").policy_arn(p.policy().unwrap().arn().unwrap()).send().await.unwrap();
    let key = iam.create_access_key().user_name("deployer").send().await.unwrap().access_key.unwrap();
    (key.access_key_id, key.secret_access_key)
}

fn run_as(proxy: &FaultProxy, moto: &Moto, key: &(String, String), args: &[&str]) -> std::process::Output {
    let mut env: Vec<(String, String)> = proxy
        .env(moto)
        .into_iter()
        .filter(|(k, _)| !k.starts_with("AWS_ACCESS") && !k.starts_with("AWS_SECRET"))
        .collect();
    env.push(("AWS_ACCESS_KEY_ID".into(), key.0.clone()));
    env.push(("AWS_SECRET_ACCESS_KEY".into(), key.1.clone()));
    run_with_env(args, &env)
}

fn status_of(out: &Value, kind: &str) -> String {
    out["resources"].as_array().unwrap().iter().find(|r| r["kind"] == kind).unwrap()["status"]
        .as_str()
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn a_denied_step_rolls_back_this_run_and_names_the_missing_permission() {
    let moto = Moto::start(&[("INITIAL_NO_AUTH_ACTION_COUNT", SETUP_REQUESTS), ("MOTO_SKIP_SIGNATURE_CHECK", "1")]);
    let key = deployer(&moto).await;
    // The key step starts once the user exists, the attachment only once the policy exists too: left to
    // the scheduler, a denied key could fail before the attachment starts (then `skipped`, not rolled
    // back or kept). Each run's CreateAccessKey is held until its AttachUserPolicy is answered.
    let proxy = FaultProxy::start(&moto);
    proxy.add_rule(Rule::new("CreateAccessKey", When::Always, Fault::After("AttachUserPolicy")));

    let out = run_as(&proxy, &moto, &key, &["apply", "--setup", "postman", "--yes", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("access denied: iam:CreateAccessKey on PostmanUser"), "{err}");
    assert!(err.contains("rolled back"), "{err}");
    let j = json(&out);
    assert_eq!(status_of(&j, "access_key"), "failed");
    for kind in ["policy", "user", "attachment"] {
        assert_eq!(status_of(&j, kind), "rolled_back", "{kind}");
    }
    assert!(j["access_key"].is_null());
    assert!(j["error"].as_str().unwrap().contains("iam:CreateAccessKey"));

    // Nothing of this run is left behind (read with the deployer's own, authorized credentials).
    let listing = run_as(&proxy, &moto, &key, &["plan", "--setup", "postman", "--format", "json"]);
    let plan = json(&listing);
    assert!(plan["steps"].as_array().unwrap().iter().all(|s| s["action"] == "create"), "{plan}");

    // --no-rollback keeps what was created, and says so.
    let out =
        run_as(&proxy, &moto, &key, &["apply", "--setup", "postman", "--yes", "--no-rollback", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("Kept by --no-rollback"), "{}", stderr(&out));
    let j = json(&out);
    assert_eq!(status_of(&j, "policy"), "created");
    assert_eq!(status_of(&j, "user"), "created");
    let plan = json(&run_as(&proxy, &moto, &key, &["plan", "--setup", "postman", "--format", "json"]));
    let actions: Vec<&str> = plan["steps"].as_array().unwrap().iter().map(|s| s["action"].as_str().unwrap()).collect();
    assert_eq!(actions, vec!["unchanged", "unchanged", "unchanged", "create"]);

    // A key created while another step fails is deleted in the rollback: no key whose secret nobody saw.
    let out = run_as(&proxy, &moto, &key, &["destroy", "--setup", "postman", "--yes"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let iam = moto.iam_as(&key.0, &key.1).await;
    let arn = format!("arn:aws:iam::{}:policy/DeployerPolicy", moto.account);
    let deny_attach = r#"{"Version":"2012-10-17","Statement":[
        {"Effect":"Allow","Action":"*","Resource":"*"},
        {"Effect":"Deny","Action":"iam:AttachUserPolicy","Resource":"*"}]}"#;
    iam.create_policy_version()
        .policy_arn(&arn)
        .policy_document(deny_attach)
        .set_as_default(true)
        .send()
        .await
        .unwrap();
    let out = run_as(&proxy, &moto, &key, &["apply", "--setup", "postman", "--yes", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let j = json(&out);
    assert_eq!(status_of(&j, "attachment"), "failed");
    assert_eq!(status_of(&j, "access_key"), "rolled_back", "the key was made, then deleted: {j}");
    assert!(j["access_key"].is_null(), "its secret is not printed");
    assert!(iam.get_user().user_name("PostmanUser").send().await.is_err(), "the user (and its key) are gone");
}
