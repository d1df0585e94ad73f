//! Manual mode end to end: the real binary in a pseudo-terminal, signed in with credentials that may only read
//! (moto enforcing IAM), while the test plays the person at the console: it creates each step's resources with
//! the AWS CLI (as an administrator) between verifies, and watches each step turn from "not yet" to "done". A
//! document changed by hand, and a role left with the Lambda trust the console gives it, show "differs" with the
//! diff. Every request the wizard sends goes through a recording proxy: all are reads.

mod support;

use std::process::{Command, Output};
use support::proxy::{Fault, FaultProxy, Rule, When};
use support::term::*;
use support::*;

/// Moto lets the first requests through unauthenticated (to create the two callers), then enforces IAM.
const SETUP_REQUESTS: &str = "8";
const BUCKET: &str = "pinpoint-imports";

type Key = (String, String);

/// A reader that may only read IAM (and see its identity, buckets and projects), and an administrator.
async fn callers(moto: &Moto) -> (Key, Key) {
    let iam = moto.iam().await;
    let read = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Resource":"*","Action":
        ["iam:Get*","iam:List*","sts:GetCallerIdentity","s3:ListAllMyBuckets","mobiletargeting:Get*"]}]}"#;
    let all = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
    let mut keys = vec![];
    for (user, doc) in [("reader", read), ("admin", all)] {
        let p = iam.create_policy().policy_name(format!("{user}-policy")).policy_document(doc).send().await.unwrap();
        iam.create_user().user_name(user).send().await.unwrap();
        iam.attach_user_policy().user_name(user).policy_arn(p.policy().unwrap().arn().unwrap()).send().await.unwrap();
        let k = iam.create_access_key().user_name(user).send().await.unwrap().access_key.unwrap();
        keys.push((k.access_key_id, k.secret_access_key));
    }
    let admin = keys.pop().unwrap();
    (keys.pop().unwrap(), admin)
}

/// A bucket and a Pinpoint project to pick, made by the administrator.
async fn seed(moto: &Moto, admin: &Key) -> String {
    seed_buckets_and_project(&moto.sdk_config_as(&admin.0, &admin.1).await, &[BUCKET]).await
}

/// `env` signed with `key` instead of the dummy one.
fn signed(mut env: Vec<(String, String)>, key: &Key) -> Vec<(String, String)> {
    env.retain(|(k, _)| !k.starts_with("AWS_ACCESS") && !k.starts_with("AWS_SECRET"));
    env.push(("AWS_ACCESS_KEY_ID".into(), key.0.clone()));
    env.push(("AWS_SECRET_ACCESS_KEY".into(), key.1.clone()));
    env
}

/// The person at the console: the AWS CLI, signed as the administrator.
struct Console {
    env: Vec<(String, String)>,
    docs: std::path::PathBuf,
}

impl Console {
    fn aws(&self, args: &[&str]) -> Output {
        let aws = root().join("target/moto-venv/bin/aws");
        assert!(aws.exists(), "the AWS CLI is missing: run scripts/test (it installs tests/support/requirements.txt)");
        let out = Command::new(aws).args(["iam"]).args(args).env_clear().envs(self.env.iter().cloned()).output();
        let out = out.expect("run the AWS CLI");
        assert!(out.status.success(), "aws iam {args:?}: {}", stderr(&out));
        out
    }

    /// `file://` of a document the wizard renders (the `documents` export writes them exactly as `apply` would).
    fn doc(&self, rel: &str) -> String {
        format!("file://{}", self.docs.join(rel).display())
    }

    fn policy_arn(&self, account: &str, name: &str) -> String {
        format!("arn:aws:iam::{account}:policy/{name}")
    }
}

/// A row of the step list as the wizard draws it.
fn row(n: usize, word: &str, label: &str) -> String {
    let mark = match word {
        "done" => "✓",
        "not yet" => "·",
        _ => "≠",
    };
    format!("{mark} {word:<8}{n:>2} {label}")
}

const STEPS: [&str; 9] = [
    "policy PostmanAccessPolicy",
    "user PostmanUser",
    "access key of PostmanUser",
    "policy ImporterS3Policy",
    "role ImporterS3Role",
    "policy ImporterS3PassthroughPolicy",
    "role PinpointSegmentImport",
    "policy ImporterPinpointPolicy",
    "role ImporterPinpointRole",
];

/// Press v and wait until step `n` shows `word`; then every step before it is done and every one after it not
/// yet, as the person has made them in order. The proxy holds the verification's reads until the screen shows
/// it reading the account, which clears every mark: the marks seen after that are this verification's, never
/// the previous one's (`v` twice in a row with nothing made between would otherwise match at once).
fn verify(t: &mut Term, proxy: &FaultProxy, n: usize, word: &str) {
    proxy.add_rule(Rule::new("*", When::Always, Fault::Hold));
    t.send("v");
    t.wait_for("reading the account");
    assert!(
        !["✓ done", "· not yet", "≠ differs"].iter().any(|m| t.screen().contains(m)),
        "the marks of the previous verification are gone while it reads:\n{}",
        t.screen()
    );
    proxy.clear_rules();
    proxy.release();
    t.wait_for(&row(n, word, STEPS[n - 1]));
    let screen = t.screen();
    for (i, label) in STEPS.iter().enumerate().map(|(i, l)| (i + 1, l)) {
        let want = match i.cmp(&n) {
            std::cmp::Ordering::Less => row(i, "done", label),
            std::cmp::Ordering::Equal => row(i, word, label),
            std::cmp::Ordering::Greater => row(i, "not yet", label),
        };
        assert!(screen.contains(&want), "after step {n}: {want:?} expected:\n{screen}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_person_without_write_permission_follows_the_console_steps_and_verify_tracks_them() {
    let started = std::time::Instant::now();
    let moto = Moto::start(&[("INITIAL_NO_AUTH_ACTION_COUNT", SETUP_REQUESTS), ("MOTO_SKIP_SIGNATURE_CHECK", "1")]);
    let (reader, admin) = callers(&moto).await;
    let project = seed(&moto, &admin).await;
    let account = moto.account.clone();

    let dir = tempfile::tempdir().unwrap();
    let docs = dir.path().join("docs");
    let out = run_with_env(
        &[
            "export",
            "--setup",
            "all",
            "--account-id",
            &account,
            "--region",
            REGION,
            "--bucket",
            BUCKET,
            "--project-id",
            &project,
            "--as",
            "documents",
            "--out",
            docs.to_str().unwrap(),
        ],
        &base_env(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let mut console_env = signed(moto.env(), &admin);
    console_env.push(("AWS_DEFAULT_REGION".into(), REGION.into()));
    console_env.push(("AWS_PAGER".into(), String::new()));
    let c = Console { env: console_env, docs: docs.clone() };

    let proxy = FaultProxy::start(&moto);
    let mut t = Term::spawn(&signed(proxy.env(&moto), &reader));
    t.wait_for("What to set up");
    t.send("m");
    t.wait_for(&account);
    t.send(ENTER);
    t.pick_bucket_and_project(&project);
    t.wait_for("Enter manual steps");
    t.send(ENTER);
    t.wait_for("Step 1 of 9 · Create policy PostmanAccessPolicy");
    assert!(t.screen().contains("Name to type: PostmanAccessPolicy"));
    verify(&mut t, &proxy, 1, "not yet");
    // Nothing exists yet: step 1 itself is "not yet" too (checked by the row above), and so is every other.

    let arn = |name: &str| c.policy_arn(&account, name);
    // 1. The Postman guide: policy, user with the policy attached, access key.
    c.aws(&[
        "create-policy",
        "--policy-name",
        "PostmanAccessPolicy",
        "--policy-document",
        &c.doc("policies/PostmanAccessPolicy.json"),
    ]);
    verify(&mut t, &proxy, 1, "done");
    c.aws(&["create-user", "--user-name", "PostmanUser"]);
    // The user without its policy is not done yet, and the panel says what is missing.
    t.send(RIGHT);
    verify(&mut t, &proxy, 2, "not yet");
    t.wait_for("PostmanAccessPolicy is not attached to PostmanUser");
    c.aws(&["attach-user-policy", "--user-name", "PostmanUser", "--policy-arn", &arn("PostmanAccessPolicy")]);
    verify(&mut t, &proxy, 2, "done");
    c.aws(&["create-access-key", "--user-name", "PostmanUser"]);
    verify(&mut t, &proxy, 3, "done");

    // 2. The segment import guide. A policy changed by hand differs, with the diff; put back, it is done.
    c.aws(&[
        "create-policy",
        "--policy-name",
        "ImporterS3Policy",
        "--policy-document",
        &c.doc("policies/ImporterS3Policy.json"),
    ]);
    verify(&mut t, &proxy, 4, "done");
    let original = std::fs::read_to_string(docs.join("policies/ImporterS3Policy.json")).unwrap();
    let changed = original.replace("\"s3:DeleteObject\"", "\"s3:DeleteObjectVersion\"");
    assert_ne!(changed, original);
    let changed_path = dir.path().join("changed.json");
    std::fs::write(&changed_path, &changed).unwrap();
    let changed_uri = format!("file://{}", changed_path.display());
    let s3 = arn("ImporterS3Policy");
    c.aws(&["create-policy-version", "--policy-arn", &s3, "--policy-document", &changed_uri, "--set-as-default"]);
    t.send(RIGHT);
    t.send(RIGHT);
    verify(&mut t, &proxy, 4, "differs");
    t.wait_for("Step 4 of 9 · Edit policy ImporterS3Policy");
    t.wait_for("IAM → Policies → ImporterS3Policy → Edit → JSON");
    t.wait_for("policy ImporterS3Policy, default version v2");
    t.wait_for("-         \"s3:DeleteObjectVersion\",");
    t.wait_for("+         \"s3:DeleteObject\",");
    c.aws(&[
        "create-policy-version",
        "--policy-arn",
        &s3,
        "--policy-document",
        &c.doc("policies/ImporterS3Policy.json"),
        "--set-as-default",
    ]);
    verify(&mut t, &proxy, 4, "done");

    // The Lambda roles: the console's "choose Lambda" writes the trust the guide wants.
    c.aws(&[
        "create-role",
        "--role-name",
        "ImporterS3Role",
        "--assume-role-policy-document",
        &c.doc("trust/ImporterS3Role.json"),
    ]);
    c.aws(&["attach-role-policy", "--role-name", "ImporterS3Role", "--policy-arn", &s3]);
    verify(&mut t, &proxy, 5, "done");
    c.aws(&[
        "create-policy",
        "--policy-name",
        "ImporterS3PassthroughPolicy",
        "--policy-document",
        &c.doc("policies/ImporterS3PassthroughPolicy.json"),
    ]);
    verify(&mut t, &proxy, 6, "done");
    // PinpointSegmentImport is made as Lambda first, as the guide says: its trust differs until it is replaced.
    c.aws(&[
        "create-role",
        "--role-name",
        "PinpointSegmentImport",
        "--assume-role-policy-document",
        &c.doc("trust/ImporterS3Role.json"),
    ]);
    c.aws(&[
        "attach-role-policy",
        "--role-name",
        "PinpointSegmentImport",
        "--policy-arn",
        &arn("ImporterS3PassthroughPolicy"),
    ]);
    t.send(RIGHT);
    t.send(RIGHT);
    t.send(RIGHT);
    verify(&mut t, &proxy, 7, "differs");
    t.wait_for("trust policy of role PinpointSegmentImport");
    t.wait_for("-         \"Service\": \"lambda.amazonaws.com\"");
    t.wait_for("+         \"Service\": \"pinpoint.amazonaws.com\"");
    c.aws(&[
        "update-assume-role-policy",
        "--role-name",
        "PinpointSegmentImport",
        "--policy-document",
        &c.doc("trust/PinpointSegmentImport.json"),
    ]);
    verify(&mut t, &proxy, 7, "done");
    c.aws(&[
        "create-policy",
        "--policy-name",
        "ImporterPinpointPolicy",
        "--policy-document",
        &c.doc("policies/ImporterPinpointPolicy.json"),
    ]);
    verify(&mut t, &proxy, 8, "done");
    c.aws(&[
        "create-role",
        "--role-name",
        "ImporterPinpointRole",
        "--assume-role-policy-document",
        &c.doc("trust/ImporterPinpointRole.json"),
    ]);
    c.aws(&["attach-role-policy", "--role-name", "ImporterPinpointRole", "--policy-arn", &s3]);
    // One of its two policies attached: not yet, and its panel names the one missing.
    t.send(RIGHT);
    t.send(RIGHT);
    t.wait_for("Step 9 of 9");
    verify(&mut t, &proxy, 9, "not yet");
    t.wait_for("ImporterPinpointPolicy is not attached to ImporterPinpointRole");
    c.aws(&[
        "attach-role-policy",
        "--role-name",
        "ImporterPinpointRole",
        "--policy-arn",
        &arn("ImporterPinpointPolicy"),
    ]);
    verify(&mut t, &proxy, 9, "done");

    // The wizard sent reads only: query actions named Get*/List*, REST calls GET, and IAM Access Analyzer's
    // ValidatePolicy on the documents (it reads nothing of the account and writes nothing).
    let seen = proxy.seen();
    assert!(seen.iter().any(|s| s.starts_with("GetPolicy#")), "{seen:?}");
    let read = |s: &str| {
        s.starts_with("Get")
            || s.starts_with("List")
            || s.starts_with("GET ")
            || s.starts_with("POST /policy/validation")
    };
    let writes: Vec<&String> = seen.iter().filter(|s| !read(s)).collect();
    assert!(writes.is_empty(), "manual mode sent more than reads: {writes:?}");
    assert!(seen.iter().all(|s| !s.contains(" 403")), "no request was refused: {seen:?}");

    t.send("q");
    assert_eq!(t.wait_exit(), 0, "nothing was written: exit 0");
    assert!(t.restored());
    eprintln!("manual mode: 9 steps, 15 verifies, in {:?}", started.elapsed());
}

#[test]
fn offline_the_preview_and_the_plan_export_to_files_and_offer_the_console_steps() {
    let dir = tempfile::tempdir().unwrap();
    let project = "0123456789abcdef0123456789abcdef";
    let account = "210987654321";
    // No credentials at all: detection fails, the account id is typed.
    let mut env = base_env();
    env.push(("AWS_REGION".into(), REGION.into()));
    let mut t = Term::spawn_in(&env, dir.path());
    t.wait_for("What to set up");
    t.send(ENTER);
    t.wait_for("Type the account id to preview and plan offline");
    t.send(account);
    t.send(ENTER);
    t.wait_for("S3 bucket");
    t.send(BUCKET);
    t.send(TAB);
    t.send(project);
    t.send(ENTER);
    t.wait_for("/ 6144 chars");
    t.send("e");
    t.wait_for("1 CloudFormation");
    t.send("1");
    t.wait_for("Exported as cloudformation: ./pinpoint-iam.yaml (1 file(s))");
    let yaml = std::fs::read_to_string(dir.path().join("pinpoint-iam.yaml")).unwrap();
    assert!(yaml.contains("AWS::IAM::ManagedPolicy") && yaml.contains(BUCKET), "{yaml}");
    t.send(ENTER);
    t.wait_for("Cannot apply: offline");
    t.wait_for("m shows the guides' console steps");
    t.send("e");
    t.wait_for("2 CLI script");
    t.send("2");
    t.wait_for("Exported as cli: ./pinpoint-iam-cli");
    let script = dir.path().join("pinpoint-iam-cli/setup.sh");
    let mode = std::os::unix::fs::PermissionsExt::mode(&std::fs::metadata(&script).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o755, "the script is runnable");
    assert!(std::fs::read_to_string(&script).unwrap().contains(account));
    // A second export of the same format goes to a new name, never over the first.
    t.send("e");
    t.wait_for("2 CLI script");
    t.send("2");
    t.wait_for("Exported as cli: ./pinpoint-iam-cli-2");
    t.send("m");
    t.wait_for("Step 1 of 9 · Create policy PostmanAccessPolicy");
    t.wait_for("Offline: follow the steps; verify needs");
    assert!(!t.screen().contains("v verify"), "nothing to verify against offline");
    t.send("q");
    assert_eq!(t.wait_exit(), 0);
}
