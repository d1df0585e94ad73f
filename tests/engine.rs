//! The engine and headless CLI against a real moto server, through the real AWS SDK.
// Each #[tokio::test] runs its own runtime on its own thread; the shared server's lock serializes them,
// so holding it across awaits is the point.
#![allow(clippy::await_holding_lock)]

mod support;

use serde_json::Value;
use support::*;

const BUCKET: &str = "pinpoint-imports";
const PROJECT: &str = "0123456789abcdef0123456789abcdef";

fn all_args<'a>(cmd: &'a str, setup: &'a str) -> Vec<&'a str> {
    vec![cmd, "--setup", setup, "--bucket", BUCKET, "--project-id", PROJECT, "--format", "json"]
}

fn apply(moto: &Moto, setup: &str, extra: &[&str]) -> std::process::Output {
    // Postman takes no bucket or project: they are refused as options of another setup.
    let mut args = match setup {
        "postman" => vec!["apply", "--setup", setup, "--format", "json"],
        _ => all_args("apply", setup),
    };
    args.push("--yes");
    args.extend_from_slice(extra);
    moto.run(&args)
}

fn statuses(out: &Value) -> Vec<(String, String)> {
    out["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                format!("{} {}", r["kind"].as_str().unwrap(), r["name"].as_str().unwrap()),
                r["status"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

async fn default_doc(iam: &aws_sdk_iam::Client, arn: &str) -> Value {
    let p = iam.get_policy().policy_arn(arn).send().await.unwrap();
    let v = p.policy().unwrap().default_version_id().unwrap().to_string();
    let doc = iam.get_policy_version().policy_arn(arn).version_id(v).send().await.unwrap();
    decode(doc.policy_version().unwrap().document().unwrap())
}

fn has_our_tag(tags: &[aws_sdk_iam::types::Tag]) -> bool {
    tags.iter().any(|t| t.key() == "ManagedBy" && t.value() == "pinpoint-iam-wizard")
}

async fn role_policies(iam: &aws_sdk_iam::Client, role: &str) -> Vec<String> {
    let out = iam.list_attached_role_policies().role_name(role).send().await.unwrap();
    let mut names: Vec<String> = out.attached_policies().iter().map(|p| p.policy_name().unwrap().to_string()).collect();
    names.sort();
    names
}

async fn counts(iam: &aws_sdk_iam::Client) -> (usize, usize, usize) {
    let p =
        iam.list_policies().scope(aws_sdk_iam::types::PolicyScopeType::Local).send().await.unwrap().policies().len();
    let r = iam.list_roles().send().await.unwrap().roles().len();
    let u = iam.list_users().send().await.unwrap().users().len();
    (p, r, u)
}

#[tokio::test]
async fn apply_all_reproduces_the_seeds_then_a_second_apply_changes_nothing() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    let acct = moto.account.as_str();
    let started = std::time::Instant::now();
    let out = apply(moto, "all", &["--tag", "team=messaging"]);
    let wall = started.elapsed();
    assert!(out.status.success(), "{}", stderr(&out));
    let first = json(&out);
    eprintln!("apply --setup all: {wall:?}, {} calls", first["calls"]);
    assert_eq!(first["account_id"], acct, "the account is what the emulator reports");
    assert_ne!(first["account_id"], SEED_ACCOUNT);
    assert_eq!(first["region"], REGION);
    assert!(statuses(&first).iter().all(|(_, s)| s == "created"), "{:?}", statuses(&first));
    assert_eq!(statuses(&first).len(), 14);

    let iam = moto.iam().await;
    let arn = |name: &str| format!("arn:aws:iam::{acct}:policy/{name}");
    for (name, seed_name) in [
        ("PostmanAccessPolicy", "postman-access-policy"),
        ("ImporterS3Policy", "importer-s3-policy"),
        ("ImporterS3PassthroughPolicy", "importer-s3-passthrough-policy"),
        ("ImporterPinpointPolicy", "importer-pinpoint-policy"),
    ] {
        let doc = default_doc(&iam, &arn(name)).await;
        assert_eq!(doc, seed(seed_name, acct, REGION, BUCKET, PROJECT), "{name} equals the seed");
        let p = iam.get_policy().policy_arn(arn(name)).send().await.unwrap();
        let tags = p.policy().unwrap().tags();
        assert!(has_our_tag(tags), "{name} tagged");
        assert!(tags.iter().any(|t| t.key() == "team" && t.value() == "messaging"));
    }
    let lambda: Value = serde_json::from_str(include_str!("../assets/trust/lambda.json")).unwrap();
    for (role, trust, policies) in [
        ("ImporterS3Role", lambda.clone(), vec!["ImporterS3Policy"]),
        (
            "PinpointSegmentImport",
            seed("pinpoint-segment-import-trust", acct, REGION, BUCKET, PROJECT),
            vec!["ImporterS3PassthroughPolicy"],
        ),
        ("ImporterPinpointRole", lambda, vec!["ImporterPinpointPolicy", "ImporterS3Policy"]),
    ] {
        let r = iam.get_role().role_name(role).send().await.unwrap();
        let r = r.role().unwrap();
        assert_eq!(decode(r.assume_role_policy_document().unwrap()), trust, "{role} trust");
        assert!(has_our_tag(r.tags()), "{role} tagged");
        assert_eq!(role_policies(&iam, role).await, policies, "{role} attachments");
    }
    let user = iam.get_user().user_name("PostmanUser").send().await.unwrap();
    assert!(has_our_tag(user.user().unwrap().tags()));
    let attached = iam.list_attached_user_policies().user_name("PostmanUser").send().await.unwrap();
    assert_eq!(attached.attached_policies()[0].policy_name(), Some("PostmanAccessPolicy"));
    let keys = iam.list_access_keys().user_name("PostmanUser").send().await.unwrap();
    assert_eq!(keys.access_key_metadata().len(), 1);
    assert_eq!(first["access_key"]["access_key_id"], keys.access_key_metadata()[0].access_key_id().unwrap());
    assert_eq!(first["access_key"]["user_name"], "PostmanUser");
    assert!(first["access_key"]["secret_access_key"].as_str().unwrap().len() >= 20);

    // Second run: nothing to write, every step unchanged, no second key, no new policy version.
    let out = apply(moto, "all", &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let second = json(&out);
    assert!(statuses(&second).iter().all(|(_, s)| s == "unchanged"), "{:?}", statuses(&second));
    assert!(second["access_key"].is_null());
    assert!(second["note"].as_str().unwrap().contains("cannot be shown again"));
    assert_eq!(iam.list_access_keys().user_name("PostmanUser").send().await.unwrap().access_key_metadata().len(), 1);
    let versions = iam.list_policy_versions().policy_arn(arn("ImporterS3Policy")).send().await.unwrap();
    assert_eq!(versions.versions().len(), 1);
    // Reads only: STS, the account's policy list, 4 policies × 2, 3 roles × 2, 1 user × 3.
    assert_eq!(second["calls"], 1 + 1 + 4 * 2 + 3 * 2 + 3);
}

/// The account's policy list saves a round trip, but a caller may read policies without being allowed to list
/// them: then each policy is read by its ARN, and the plan is the same.
#[test]
fn a_caller_who_may_not_list_policies_gets_the_same_plan_from_reading_each_one() {
    use support::proxy::{Fault, FaultProxy, Rule, When};
    let moto = Moto::shared();
    let _g = moto.exclusive();
    let out = apply(moto, "all", &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let proxy = FaultProxy::start(moto);
    proxy.add_rule(Rule::new("ListPolicies", When::Always, Fault::AccessDenied));
    let out = run_with_env(&all_args("plan", "all"), &proxy.env(moto));
    assert!(out.status.success(), "{}", stderr(&out));
    let plan = json(&out);
    let actions: Vec<&str> = plan["steps"].as_array().unwrap().iter().map(|s| s["action"].as_str().unwrap()).collect();
    assert!(!actions.is_empty() && actions.iter().all(|a| *a == "unchanged"), "{actions:?}");
    let seen = proxy.seen();
    assert!(seen.iter().any(|s| s.starts_with("ListPolicies#1 AccessDenied")), "{seen:?}");
    assert_eq!(seen.iter().filter(|s| s.starts_with("GetPolicy#")).count(), 4, "each policy by its ARN: {seen:?}");
}

/// What an operator far from IAM waits for is the number of dependent round trips. With 150 ms added to every
/// call, requests sent together all arrive before any is answered, so the proxy counts the rounds exactly.
#[test]
fn an_empty_account_is_set_up_in_four_round_trips_and_a_rerun_or_a_plan_reads_in_two() {
    use support::proxy::FaultProxy;
    let moto = Moto::shared();
    let _g = moto.exclusive();
    let mut apply_args = all_args("apply", "all");
    apply_args.push("--yes");
    for (what, args, rounds) in [
        ("apply from an empty account", apply_args.clone(), 4),
        ("apply again, nothing to change", apply_args, 2),
        ("plan of the set-up account", all_args("plan", "all"), 2),
    ] {
        let proxy = FaultProxy::start(moto);
        proxy.set_latency(std::time::Duration::from_millis(150));
        let out = run_with_env(&args, &proxy.env(moto));
        assert!(out.status.success(), "{what}: {}", stderr(&out));
        assert_eq!(proxy.rounds(), rounds, "{what}: the proxy saw {:?}", proxy.seen());
    }
}

#[tokio::test]
async fn each_setup_alone_creates_only_its_resources() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    let iam = moto.iam().await;
    let out = moto.run(&["apply", "--setup", "postman", "--yes", "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(statuses(&json(&out)).len(), 4);
    assert_eq!(counts(&iam).await, (1, 0, 1));
    moto.reset();
    let out = apply(moto, "segment-import", &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let j = json(&out);
    assert!(j["access_key"].is_null());
    assert_eq!(statuses(&j).len(), 3 + 3 + 4);
    assert_eq!(counts(&iam).await, (3, 3, 0));
}

#[tokio::test]
async fn drifted_policy_gets_a_new_default_version_even_at_the_five_version_limit() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    let acct = moto.account.as_str();
    assert!(apply(moto, "segment-import", &[]).status.success());
    let iam = moto.iam().await;
    let arn = format!("arn:aws:iam::{acct}:policy/ImporterS3Policy");
    let drift = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
    iam.create_policy_version().policy_arn(&arn).policy_document(drift).set_as_default(true).send().await.unwrap();

    let plan = json(&moto.run(&all_args("plan", "segment-import")));
    let step = plan["steps"].as_array().unwrap().iter().find(|s| s["name"] == "ImporterS3Policy").unwrap();
    assert_eq!(step["action"], "update");

    let out = apply(moto, "segment-import", &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let s = statuses(&json(&out));
    assert!(s.contains(&("policy ImporterS3Policy".into(), "updated".into())), "{s:?}");
    assert_eq!(s.iter().filter(|(_, st)| st != "unchanged").count(), 1, "{s:?}");
    assert_eq!(default_doc(&iam, &arn).await, seed("importer-s3-policy", acct, REGION, BUCKET, PROJECT));
    assert_eq!(iam.list_policy_versions().policy_arn(&arn).send().await.unwrap().versions().len(), 3);

    // Fill up to IAM's 5 versions, drift again: the oldest non-default version makes room.
    for _ in 0..2 {
        iam.create_policy_version().policy_arn(&arn).policy_document(drift).set_as_default(true).send().await.unwrap();
    }
    let before = iam.list_policy_versions().policy_arn(&arn).send().await.unwrap();
    assert_eq!(before.versions().len(), 5);
    let out = apply(moto, "segment-import", &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let after = iam.list_policy_versions().policy_arn(&arn).send().await.unwrap();
    let ids: Vec<&str> = after.versions().iter().map(|v| v.version_id().unwrap()).collect();
    assert_eq!(ids.len(), 5);
    assert!(!ids.contains(&"v1"), "the oldest non-default version (v1) was pruned: {ids:?}");
    assert_eq!(default_doc(&iam, &arn).await, seed("importer-s3-policy", acct, REGION, BUCKET, PROJECT));
}

#[tokio::test]
async fn a_conflicting_untagged_role_is_refused_unless_adopted() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    let iam = moto.iam().await;
    let foreign = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;
    iam.create_role().role_name("ImporterS3Role").assume_role_policy_document(foreign).send().await.unwrap();

    let plan = json(&moto.run(&all_args("plan", "segment-import")));
    let step = plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["kind"] == "role" && s["name"] == "ImporterS3Role")
        .unwrap();
    assert_eq!(step["action"], "conflict");

    let out = apply(moto, "segment-import", &[]);
    assert_eq!(out.status.code(), Some(2), "refused before any write: {}", stderr(&out));
    assert!(stderr(&out).contains("role ImporterS3Role") && stderr(&out).contains("--adopt"), "{}", stderr(&out));
    assert_eq!(counts(&iam).await, (0, 1, 0), "nothing was written");

    let out = apply(moto, "segment-import", &["--adopt"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(statuses(&json(&out)).contains(&("role ImporterS3Role".into(), "updated".into())));
    let r = iam.get_role().role_name("ImporterS3Role").send().await.unwrap();
    assert!(has_our_tag(r.role().unwrap().tags()));
    assert_eq!(
        decode(r.role().unwrap().assume_role_policy_document().unwrap())["Statement"][0]["Principal"]["Service"],
        "lambda.amazonaws.com"
    );
}

#[tokio::test]
async fn foreign_resources_are_conflicts_and_destroy_never_touches_what_is_not_ours() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    let iam = moto.iam().await;
    // A foreign user with the Postman name (exactly what the guide makes) and a policy of someone else's.
    iam.create_user().user_name("PostmanUser").send().await.unwrap();
    let other = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
    let theirs = iam.create_policy().policy_name("SomeoneElsesPolicy").policy_document(other).send().await.unwrap();
    let theirs = theirs.policy().unwrap().arn().unwrap().to_string();

    // The untagged user is a conflict even though it is what the guide would create: nothing is written.
    let plan = json(&moto.run(&all_args("plan", "all")));
    let user = plan["steps"].as_array().unwrap().iter().find(|s| s["kind"] == "user").unwrap();
    assert_eq!(user["action"], "conflict", "{user}");
    let out = apply(moto, "all", &[]);
    assert_eq!(out.status.code(), Some(2), "refused before any write: {}", stderr(&out));
    assert!(stderr(&out).contains("user PostmanUser"), "{}", stderr(&out));
    assert!(json(&out)["error"].as_str().unwrap().contains("PostmanUser"));
    assert_eq!(counts(&iam).await, (1, 0, 1), "nothing was written");
    assert!(iam.list_access_keys().user_name("PostmanUser").send().await.unwrap().access_key_metadata().is_empty());
    assert!(
        iam.list_attached_user_policies().user_name("PostmanUser").send().await.unwrap().attached_policies().is_empty()
    );

    assert!(apply(moto, "segment-import", &[]).status.success());
    // Someone attaches their policy to our role and our policy to their user: destroy deletes nothing, says why.
    iam.attach_role_policy().role_name("ImporterS3Role").policy_arn(&theirs).send().await.unwrap();
    let ours = format!("arn:aws:iam::{}:policy/ImporterPinpointPolicy", moto.account);
    iam.attach_user_policy().user_name("PostmanUser").policy_arn(&ours).send().await.unwrap();
    let out = moto.run(&["destroy", "--setup", "all", "--yes", "--format", "json"]);
    assert_eq!(out.status.code(), Some(2), "refused before any delete: {}", stderr(&out));
    let j = json(&out);
    let blockers: Vec<&str> = j["blockers"].as_array().unwrap().iter().map(|b| b.as_str().unwrap()).collect();
    assert!(
        blockers.iter().any(|b| b.contains("role ImporterS3Role") && b.contains("SomeoneElsesPolicy")),
        "{blockers:?}"
    );
    assert!(
        blockers.iter().any(|b| b.contains("ImporterPinpointPolicy") && b.contains("user PostmanUser")),
        "{blockers:?}"
    );
    assert!(j["error"].as_str().unwrap().contains("nothing was deleted"));
    assert_eq!(counts(&iam).await, (4, 3, 1), "nothing was deleted");

    // Once they let go, destroy removes exactly ours: their user and policy stay.
    iam.detach_role_policy().role_name("ImporterS3Role").policy_arn(&theirs).send().await.unwrap();
    iam.detach_user_policy().user_name("PostmanUser").policy_arn(&ours).send().await.unwrap();
    let out = moto.run(&["destroy", "--setup", "all", "--yes", "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let j = json(&out);
    let s = statuses(&j);
    assert!(s.contains(&("user PostmanUser".into(), "kept".into())), "{s:?}");
    let kept = j["resources"].as_array().unwrap().iter().find(|r| r["name"] == "PostmanUser").unwrap();
    assert!(kept["note"].as_str().unwrap().contains("not created by pinpoint-iam-wizard"));
    for name in [
        "ImporterS3Role",
        "PinpointSegmentImport",
        "ImporterPinpointRole",
        "ImporterS3Policy",
        "ImporterS3PassthroughPolicy",
        "ImporterPinpointPolicy",
    ] {
        assert!(s.iter().any(|(k, st)| k.ends_with(name) && st == "deleted"), "{name}: {s:?}");
    }
    assert_eq!(counts(&iam).await, (1, 0, 1), "their policy and user stay");
    assert!(iam.get_policy().policy_arn(&theirs).send().await.is_ok());
    let j = json(&moto.run(&["destroy", "--setup", "all", "--yes", "--format", "json"]));
    assert!(statuses(&j).iter().all(|(_, s)| s == "absent" || s == "kept"), "{j}");
}

#[tokio::test]
async fn every_invalid_value_is_refused_with_exit_2_naming_the_field_and_nothing_is_written() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    let iam = moto.iam().await;
    let p = PROJECT;
    let long_role = format!("s3-role-name={}", "r".repeat(65));
    let long_policy = format!("s3-policy-name={}", "p".repeat(129));
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--setup", "both"], "--setup"),
        (vec!["--setup", "all", "--bucket", "ab", "--project-id", p], "--bucket"),
        (vec!["--setup", "all", "--bucket", "Upper-Case", "--project-id", p], "--bucket"),
        (vec!["--setup", "all", "--bucket", "my..bucket", "--project-id", p], "--bucket"),
        (vec!["--setup", "all", "--bucket", "192.168.1.1", "--project-id", p], "--bucket"),
        (vec!["--setup", "all", "--bucket", "xn--bucket", "--project-id", p], "--bucket"),
        (vec!["--setup", "all", "--bucket", "bucket-s3alias", "--project-id", p], "--bucket"),
        (vec!["--setup", "all", "--bucket", "bucket--ol-s3", "--project-id", p], "--bucket"),
        (vec!["--setup", "all", "--bucket", "sthree-bucket", "--project-id", p], "--bucket"),
        (vec!["--setup", "all", "--bucket=-bucket", "--project-id", p], "--bucket"),
        (vec!["--setup", "all", "--bucket", BUCKET, "--project-id", "0123"], "--project-id"),
        (
            vec!["--setup", "all", "--bucket", BUCKET, "--project-id", "0123456789ABCDEF0123456789ABCDEF"],
            "--project-id",
        ),
        (vec!["--setup", "all", "--bucket", BUCKET, "--project-id", p, "--account-id", "12345"], "--account-id"),
        (vec!["--setup", "all", "--bucket", BUCKET, "--project-id", p, "--region", "europe-1"], "--region"),
        (vec!["--setup", "all", "--bucket", BUCKET, "--project-id", p, "--tag", "aws:x=y"], "--tag"),
        (
            vec!["--setup", "all", "--bucket", BUCKET, "--project-id", p, "--name", "postman-user-name=bad name"],
            "--name postman-user-name",
        ),
        (vec!["--setup", "all", "--bucket", BUCKET, "--project-id", p, "--name", &long_role], "--name s3-role-name"),
        (
            vec!["--setup", "all", "--bucket", BUCKET, "--project-id", p, "--name", &long_policy],
            "--name s3-policy-name",
        ),
        (vec!["--setup", "segment-import", "--project-id", p], "--bucket"),
        (vec!["--setup", "all", "--bucket", BUCKET], "--project-id"),
        (
            vec![
                "--setup",
                "all",
                "--bucket",
                BUCKET,
                "--project-id",
                p,
                "--name",
                "s3-policy-name=ImporterPinpointPolicy",
            ],
            // Named the way the operator wrote it.
            "--name pinpoint-policy-name",
        ),
    ];
    let cases: Vec<(Vec<String>, &str)> =
        cases.into_iter().map(|(a, f)| (a.into_iter().map(String::from).collect(), f)).collect();
    for (args, field) in &cases {
        let mut full = vec!["apply".to_string(), "--yes".to_string()];
        full.extend(args.iter().cloned());
        let full: Vec<&str> = full.iter().map(String::as_str).collect();
        let out = moto.run(&full);
        assert_eq!(out.status.code(), Some(2), "{full:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(field), "{full:?} should name {field}: {}", stderr(&out));
    }
    assert_eq!(counts(&iam).await, (0, 0, 0), "nothing was written");

    // Without --yes and without a terminal, apply refuses before any call.
    let out = moto.run(&["apply", "--setup", "postman"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--yes"), "{}", stderr(&out));
    assert_eq!(counts(&iam).await, (0, 0, 0));
}

#[test]
fn plan_with_an_account_id_works_without_credentials_or_network() {
    let acct = "210987654321";
    let out = run_with_env(
        &[
            "plan",
            "--setup",
            "all",
            "--account-id",
            acct,
            "--bucket",
            BUCKET,
            "--project-id",
            PROJECT,
            "--region",
            "us-gov-west-1",
            "--format",
            "json",
        ],
        &base_env(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let j = json(&out);
    assert_eq!(j["checked"], false);
    assert_eq!(j["account_id"], acct);
    assert!(j["steps"].as_array().unwrap().iter().all(|s| s["action"] == "not checked"));
    let docs = j["documents"].as_array().unwrap();
    assert_eq!(docs.len(), 7);
    let pinpoint = docs.iter().find(|d| d["name"] == "ImporterPinpointPolicy").unwrap();
    assert_eq!(
        pinpoint["document"]["Statement"][0]["Resource"][0],
        format!("arn:aws-us-gov:mobiletargeting:us-gov-west-1:{acct}:apps/{PROJECT}")
    );
    assert!(pinpoint["document"].is_object(), "documents are JSON objects, not strings");
    // Offline the findings are all there: they need nothing but the documents.
    let s3 = docs.iter().find(|d| d["name"] == "ImporterS3Policy").unwrap();
    assert!(
        s3["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["severity"] == "error" && f["path"] == "Statement[2].Action[2]"),
        "{}",
        s3["findings"]
    );
    assert_eq!(j["access_analyzer"]["consulted"], false);
    assert!(j["access_analyzer"]["note"].as_str().unwrap().contains("offline"), "{}", j["access_analyzer"]);

    let out = run_with_env(&["plan", "--setup", "postman", "--account-id", acct], &base_env());
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("not checked"), "{}", stdout(&out));
}

/// Each document's findings in `plan`, with their places: the guides' `s3:HeadBucket` (an error in both S3
/// policies) and the passthrough role's grants. moto does not implement IAM Access Analyzer (it answers
/// ValidatePolicy with HTTP 500 and an HTML page): one quiet line says it was not consulted, and the plan is
/// made as usual.
#[test]
fn plan_gives_each_document_its_findings_and_says_when_access_analyzer_was_not_consulted() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    let out = moto.run(&all_args("plan", "all"));
    assert!(out.status.success(), "{}", stderr(&out));
    let j = json(&out);
    let findings = |name: &str| -> Vec<(String, String, String)> {
        let doc = j["documents"].as_array().unwrap().iter().find(|d| d["name"] == name).unwrap();
        doc["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| {
                let s = |k: &str| f[k].as_str().unwrap().to_string();
                assert_eq!(s("source"), "pinpoint-iam-wizard", "{f}");
                (s("severity"), s("path"), s("message"))
            })
            .collect()
    };
    let errors = |name: &str| -> Vec<String> {
        findings(name).into_iter().filter(|(s, _, _)| s == "error").map(|(_, p, m)| format!("{p} {m}")).collect()
    };
    let head_bucket =
        "VisualEditor2: s3:HeadBucket is not an IAM action; the HeadBucket operation is authorized by s3:ListBucket";
    assert_eq!(errors("ImporterS3Policy"), [format!("Statement[2].Action[2] {head_bucket}")]);
    assert_eq!(
        errors("ImporterS3PassthroughPolicy"),
        [format!("Statement[0].Action[3] {}", head_bucket.replace("VisualEditor2", "VisualEditor0"))]
    );
    let passthrough: Vec<(String, String)> = findings("ImporterS3PassthroughPolicy")
        .into_iter()
        .filter(|(s, _, _)| s == "security_warning")
        .map(|(_, p, m)| (p, m))
        .collect();
    assert_eq!(passthrough.len(), 2, "{passthrough:?}");
    assert_eq!(passthrough[0].0, "Statement[0].Action[0]");
    assert!(passthrough[0].1.contains("s3:PutAccountPublicAccessBlock"), "{passthrough:?}");
    assert_eq!(passthrough[1].0, "Statement[1].Action");
    assert!(passthrough[1].1.contains("s3:* grants every s3 action"), "{passthrough:?}");
    assert!(
        findings("PinpointSegmentImport")
            .iter()
            .any(|(s, p, _)| s == "security_warning" && p == "Statement[0].Principal.Service")
    );
    assert_eq!(j["access_analyzer"]["consulted"], false);
    let note = j["access_analyzer"]["note"].as_str().unwrap();
    assert!(
        note.starts_with(
            "IAM Access Analyzer was not consulted: the endpoint did not answer ValidatePolicy (InternalFailure"
        ),
        "{note}"
    );

    // The text plan counts them per document and says the same one line.
    let out = moto.run(&["plan", "--setup", "segment-import", "--bucket", BUCKET, "--project-id", PROJECT]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("  ImporterS3PassthroughPolicy: 1 error, 2 security warnings\n"), "{text}");
    assert!(text.contains("IAM Access Analyzer was not consulted: "), "{text}");
    assert!(!text.contains("DispatchFailure") && !text.contains("<html"), "plain words: {text}");
}

#[test]
fn without_credentials_apply_says_how_to_configure_them() {
    let mut env = base_env();
    env.push(("AWS_REGION".into(), REGION.into()));
    env.push(("AWS_ENDPOINT_URL".into(), "http://127.0.0.1:9".into()));
    let out = run_with_env(&["apply", "--setup", "postman", "--yes"], &env);
    assert_eq!(out.status.code(), Some(1));
    let e = stderr(&out);
    assert!(
        e.contains("no AWS credentials")
            && e.contains("aws configure")
            && e.contains("AWS_PROFILE")
            // The SSO hint only for SSO profiles (issue 18 item 6): here there is no profile at all.
            && !e.contains("aws sso login"),
        "{e}"
    );
}

#[test]
fn an_unreachable_endpoint_is_reported_in_plain_words() {
    let mut env = base_env();
    env.extend([
        ("AWS_REGION".into(), REGION.into()),
        ("AWS_ACCESS_KEY_ID".into(), "testing".into()),
        ("AWS_SECRET_ACCESS_KEY".into(), "testing".into()),
        ("AWS_MAX_ATTEMPTS".into(), "1".into()),
    ]);
    // Port 9 (discard) on loopback: nothing listens there.
    let out = run_with_env(&["--endpoint-url", "http://127.0.0.1:9", "plan", "--setup", "postman"], &env);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("cannot reach AWS at http://127.0.0.1:9"), "{}", stderr(&out));
}

#[test]
fn messages_are_plain_words_without_sdk_debug_dumps() {
    let mut env = base_env();
    env.extend([("AWS_REGION".into(), REGION.into()), ("AWS_ENDPOINT_URL".into(), "http://127.0.0.1:9".into())]);
    let no_creds = stderr(&run_with_env(&["apply", "--setup", "postman", "--yes"], &env));
    env.extend([("AWS_ACCESS_KEY_ID".into(), "testing".into()), ("AWS_SECRET_ACCESS_KEY".into(), "testing".into())]);
    let refused = stderr(&run_with_env(&["plan", "--setup", "postman"], &env));
    for text in [&no_creds, &refused] {
        for dump in ["DispatchFailure", "CredentialsNotLoaded", "SdkBody", "ConnectorError", "Some(", " { kind", "…"]
        {
            assert!(!text.contains(dump), "{dump:?} in {text}");
        }
        assert_eq!(text.trim_end().lines().count(), 1, "one line: {text}");
    }
    assert!(refused.contains("Connection refused"), "{refused}");
}

#[test]
fn an_unreadable_credentials_file_is_named_with_the_os_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut env: Vec<(String, String)> =
        base_env().into_iter().filter(|(k, _)| k != "AWS_SHARED_CREDENTIALS_FILE").collect();
    // A directory where the file should be: unreadable even for root, which the tests may run as.
    env.push(("AWS_SHARED_CREDENTIALS_FILE".into(), dir.path().display().to_string()));
    env.push(("AWS_REGION".into(), REGION.into()));
    let out = run_with_env(&["plan", "--setup", "postman", "--format", "json"], &env);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let e = stderr(&out);
    assert!(e.contains(&dir.path().display().to_string()) && e.contains("os error"), "{e}");
    let j = json(&out);
    assert_eq!(j["exit_code"], 2);
    assert!(j["error"].as_str().unwrap().contains("credentials"), "{j}");
}

#[test]
fn json_is_printed_even_when_the_arguments_are_wrong() {
    for args in [
        vec!["plan", "--setup", "all", "--format", "json", "--bucket", "BAD_bucket"],
        vec!["plan", "--setup", "all", "--format=json", "--bogus"],
    ] {
        let out = run_with_env(&args, &base_env());
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let j = json(&out);
        assert_eq!(j["exit_code"], 2);
        assert!(!j["error"].as_str().unwrap().is_empty(), "{j}");
        assert!(stderr(&out).contains("error:"), "clap's message stays on stderr");
    }
}

#[test]
fn completions_and_the_man_page_come_from_the_same_definitions_as_help() {
    let bash = run_with_env(&["completions", "bash"], &base_env());
    assert!(bash.status.success(), "{}", stderr(&bash));
    let script = stdout(&bash);
    for word in ["rotate-key", "--operation-timeout", "--setup", "export"] {
        assert!(script.contains(word), "the bash completion offers {word}");
    }
    let man = run_with_env(&["man"], &base_env());
    assert!(man.status.success(), "{}", stderr(&man));
    let page = stdout(&man);
    assert!(page.starts_with(".ie") || page.contains(".TH"), "roff: {}", &page[..page.len().min(200)]);
    assert!(page.contains("no command starts the wizard"), "the man page says what --help says");
}

/// A tightened document from `assets/tightened/`, its placeholders filled the way the guides fill theirs.
fn tightened(file: &str, account: &str) -> Value {
    let text = std::fs::read_to_string(root().join("assets").join(file)).unwrap();
    let text = text
        .replace("{{partition}}", "aws")
        .replace("{{account_id}}", account)
        .replace("{{region}}", REGION)
        .replace("{{bucket}}", BUCKET)
        .replace("{{project_id}}", PROJECT)
        .replace("{{import_role_name}}", "PinpointSegmentImport")
        .replace("{{path}}", "/");
    serde_json::from_str(&text).unwrap()
}

#[tokio::test]
async fn apply_tighten_writes_the_tightened_documents_and_the_guides_are_an_update_away() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    let acct = moto.account.as_str();
    let plan = json(&moto.run(&[all_args("plan", "all"), vec!["--tighten"]].concat()));
    assert_eq!(plan["tightened"], true);
    assert_eq!(json(&moto.run(&all_args("plan", "all")))["tightened"], false);

    let out = apply(moto, "all", &["--tighten"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(statuses(&json(&out)).iter().all(|(_, s)| s == "created"));
    let iam = moto.iam().await;
    for (name, file) in [
        ("PostmanAccessPolicy", "tightened/postman-access.json"),
        ("ImporterS3Policy", "tightened/importer-s3.json"),
        ("ImporterS3PassthroughPolicy", "tightened/importer-s3-passthrough.json"),
        ("ImporterPinpointPolicy", "tightened/importer-pinpoint.json"),
    ] {
        let doc = default_doc(&iam, &format!("arn:aws:iam::{acct}:policy/{name}")).await;
        assert_eq!(doc, tightened(file, acct), "{name}");
    }
    let trust = |role: &'static str| {
        let iam = iam.clone();
        async move {
            let r = iam.get_role().role_name(role).send().await.unwrap();
            decode(r.role().unwrap().assume_role_policy_document().unwrap())
        }
    };
    assert_eq!(trust("PinpointSegmentImport").await, tightened("trust/pinpoint-hardened.json", acct));
    let lambda: Value = serde_json::from_str(include_str!("../assets/trust/lambda.json")).unwrap();
    assert_eq!(trust("ImporterS3Role").await, lambda);

    // Tightened again: nothing to do. The guides' documents: each changed document is an update.
    let again = apply(moto, "all", &["--tighten"]);
    assert!(statuses(&json(&again)).iter().all(|(_, s)| s == "unchanged"), "{:?}", statuses(&json(&again)));
    let plan = json(&moto.run(&all_args("plan", "all")));
    let updates: Vec<&str> = plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["action"] == "update")
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        updates,
        [
            "PostmanAccessPolicy",
            "ImporterS3Policy",
            "ImporterS3PassthroughPolicy",
            "ImporterPinpointPolicy",
            "PinpointSegmentImport"
        ]
    );
}

/// Issue 15 item 3: right after CreateUser, real IAM may answer NoSuchEntity to CreateAccessKey and to the
/// key's TagUser for a few seconds. The run waits it out and completes with one key, the one printed; a
/// CreateAccessKey that made a key but answered NoSuchEntity is reconciled (that key, whose secret nobody
/// holds, deleted) before a second one is minted. Before, either answer aborted and rolled back the run.
#[test]
fn iams_lag_after_a_create_is_waited_out_and_never_leaves_two_live_keys() {
    use support::account::Account;
    use support::proxy::{Fault, FaultProxy, Rule, When};
    let moto = Moto::shared();
    let nth = |action: &str, fault| Rule::new(action, When::Nth(1), fault);
    let cases = [
        (
            "CreateAccessKey and TagUser answer NoSuchEntity once",
            vec![nth("CreateAccessKey", Fault::Code("NoSuchEntity")), nth("TagUser", Fault::Code("NoSuchEntity"))],
        ),
        (
            "CreateAccessKey makes a key but answers NoSuchEntity",
            vec![nth("CreateAccessKey", Fault::WriteThenCode("NoSuchEntity"))],
        ),
    ];
    for (case, rules) in cases {
        let _g = moto.exclusive();
        let proxy = FaultProxy::start(moto);
        proxy.strict(true);
        for r in rules {
            proxy.add_rule(r);
        }
        let out = run_with_env(&["apply", "--setup", "postman", "--yes", "--format", "json"], &proxy.env(moto));
        proxy.wait_idle(std::time::Duration::from_secs(30)).unwrap();
        assert_eq!(out.status.code(), Some(0), "{case}: {}", stderr(&out));
        let printed = json(&out)["access_key"]["access_key_id"].as_str().unwrap_or_default().to_string();
        let keys: Vec<String> = Account::read_blocking(moto).keys().into_iter().map(|(_, k)| k).collect();
        assert_eq!(keys, vec![printed], "{case}: the one key left must be the one printed");
        let seen = proxy.seen();
        let at = |action: &str, n: usize| seen.iter().position(|s| s.starts_with(&format!("{action}#{n} ")));
        let (first, second) = (at("CreateAccessKey", 1).unwrap(), at("CreateAccessKey", 2));
        assert!(second.is_some(), "{case}: CreateAccessKey was not tried again: {seen:?}");
        let listed = seen[first..second.unwrap()].iter().any(|s| s.starts_with("ListAccessKeys#"));
        assert!(listed, "{case}: the second CreateAccessKey came before the keys were listed: {seen:?}");
        assert_eq!(proxy.count("CreateAccessKey"), 2, "{case}: {seen:?}");
    }
}

/// Issue 15 item 4: at IAM's five versions, an update deletes the oldest non-default version first. The plan
/// names it with its date; one this tool did not write (a policy made before versions were recorded, or a
/// version made by hand) is deleted only with --prune-foreign-versions: without it the plan shows a conflict
/// naming the option and apply writes nothing (exit 2). Before, apply deleted it without a word.
#[tokio::test]
async fn a_version_this_tool_did_not_write_is_pruned_only_when_the_operator_says_so() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    let acct = moto.account.as_str();
    assert!(apply(moto, "postman", &[]).status.success());
    let iam = moto.iam().await;
    let arn = format!("arn:aws:iam::{acct}:policy/PostmanAccessPolicy");
    // As a policy made before the versions were recorded: no record, so no version counts as ours.
    iam.untag_policy().policy_arn(&arn).tag_keys("pinpoint-iam-wizard:versions").send().await.unwrap();
    let drift = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
    for _ in 0..4 {
        iam.create_policy_version().policy_arn(&arn).policy_document(drift).set_as_default(true).send().await.unwrap();
    }
    let versions = || async {
        let listed = iam.list_policy_versions().policy_arn(&arn).send().await.unwrap();
        let mut ids: Vec<String> = listed.versions().iter().map(|v| v.version_id().unwrap().to_string()).collect();
        ids.sort();
        ids
    };
    assert_eq!(versions().await, ["v1", "v2", "v3", "v4", "v5"]);
    let step_of = |out: &std::process::Output| {
        let j = json(out);
        j["steps"].as_array().unwrap().iter().find(|s| s["name"] == "PostmanAccessPolicy").unwrap().clone()
    };

    let step = step_of(&moto.run(&["plan", "--setup", "postman", "--format", "json"]));
    assert_eq!(step["action"], "conflict", "{step}");
    let reason = step["reason"].as_str().unwrap();
    assert!(reason.contains("v1") && reason.contains("--prune-foreign-versions"), "{reason}");
    assert_eq!(step["deletes_version"]["version_id"], "v1", "{step}");
    assert!(step["deletes_version"]["created"].as_str().unwrap().starts_with("20"), "{step}");
    let out = apply(moto, "postman", &["--adopt"]);
    assert_eq!(out.status.code(), Some(2), "refused, even with --adopt: {}", stderr(&out));
    assert!(stderr(&out).contains("--prune-foreign-versions"), "{}", stderr(&out));
    assert_eq!(versions().await, ["v1", "v2", "v3", "v4", "v5"], "nothing was written");

    let plan = moto.run(&["plan", "--setup", "postman", "--prune-foreign-versions", "--format", "json"]);
    assert_eq!(step_of(&plan)["action"], "update");
    let out = apply(moto, "postman", &["--prune-foreign-versions"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(versions().await, ["v2", "v3", "v4", "v5", "v6"], "v1 made room for the guide's document");
    // The version it wrote is recorded: at five again, it is the one pruned without the option.
    let listed = iam.list_policy_versions().policy_arn(&arn).send().await.unwrap();
    for v in listed.versions().iter().filter(|v| !v.is_default_version() && v.version_id() != Some("v6")) {
        iam.delete_policy_version().policy_arn(&arn).version_id(v.version_id().unwrap()).send().await.unwrap();
    }
    for _ in 0..4 {
        iam.create_policy_version().policy_arn(&arn).policy_document(drift).set_as_default(true).send().await.unwrap();
    }
    let step = step_of(&moto.run(&["plan", "--setup", "postman", "--format", "json"]));
    assert_eq!(step["action"], "update", "{step}");
    assert_eq!(step["deletes_version"]["version_id"], "v6", "{step}");
    assert!(step["reason"].as_str().unwrap().contains("written by pinpoint-iam-wizard"), "{step}");
}

/// Issue 15 item 5: IAM allows 50 tags on a user. A run is refused up front (exit 2, nothing written) when a
/// resource would carry more than that: its tags, the operator's, ours, and two per access key with room kept
/// for a rotation's second key; rotate-key counts the same before it writes. Before, 45 to 48 `--tag` options
/// made a run IAM stops half-way.
#[tokio::test]
async fn tags_past_iams_fifty_are_refused_before_any_write() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    let iam = moto.iam().await;
    let tags: Vec<String> = (0..45).map(|i| format!("--tag=k{i}=v")).collect();
    let with = |n: usize| {
        let mut args = vec!["apply", "--setup", "postman", "--yes", "--format", "json"];
        args.extend(tags[..n].iter().map(String::as_str));
        moto.run(&args)
    };
    let out = with(45);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let said = stderr(&out);
    assert!(said.contains("user PostmanUser would carry 51 tags") && said.contains("IAM allows 50"), "{said}");
    assert_eq!(counts(&iam).await, (0, 0, 0), "nothing was written");

    // 44 fit, with room for one rotation; a tag added by hand then leaves no room for a new key.
    let out = with(44);
    assert!(out.status.success(), "{}", stderr(&out));
    let carried = |tags: &[aws_sdk_iam::types::Tag]| tags.len();
    let user = iam.get_user().user_name("PostmanUser").send().await.unwrap();
    assert_eq!(carried(user.user().unwrap().tags()), 48);
    let tag = aws_sdk_iam::types::Tag::builder().key("by-hand").value("v").build().unwrap();
    iam.tag_user().user_name("PostmanUser").tags(tag).send().await.unwrap();
    let out = moto.run(&["rotate-key", "--user", "PostmanUser", "--yes"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("carries 49 tags") && stderr(&out).contains("IAM allows 50"), "{}", stderr(&out));
    let keys = iam.list_access_keys().user_name("PostmanUser").send().await.unwrap();
    assert_eq!(keys.access_key_metadata().len(), 1, "no key was made");
}
