//! Someone else's resources (issue 7 item 3): anything not tagged ManagedBy=pinpoint-iam-wizard is a conflict,
//! identical or not, and nothing is written to it without --adopt; destroy deletes only what this tool made,
//! and when IAM would refuse (or something foreign hangs on our resources) it deletes nothing and says why.
//! Runs through a strict proxy; the account is read straight from moto.

mod support;

use support::account::Account;
use support::proxy::FaultProxy;
use support::*;

const BUCKET: &str = "pinpoint-imports";
const PROJECT: &str = "0123456789abcdef0123456789abcdef";

fn args<'a>(cmd: &'a str, setup: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec![cmd, "--setup", setup, "--format", "json"];
    // Only the segment import takes a bucket and a project: postman alone refuses them.
    if setup != "postman" {
        a.extend(["--bucket", BUCKET, "--project-id", PROJECT]);
    }
    a.extend_from_slice(extra);
    a
}

fn block<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
}

/// The requests that change the account, as the proxy saw them.
fn writes(proxy: &FaultProxy) -> Vec<String> {
    let reads = ["Get", "List", "GET ", "Simulate"];
    proxy.seen().into_iter().filter(|s| !reads.iter().any(|r| s.starts_with(r))).collect()
}

fn plan_action(moto: &Moto, setup: &str, kind: &str, name: &str) -> String {
    let out = moto.run(&args("plan", setup, &[]));
    assert!(out.status.success(), "plan failed: {}", stderr(&out));
    let j = json(&out);
    let step = j["steps"].as_array().unwrap().iter().find(|s| s["kind"] == kind && s["name"] == name);
    step.unwrap_or_else(|| panic!("no {kind} {name} step in {j}"))["action"].as_str().unwrap().to_string()
}

#[test]
fn an_untagged_postman_user_is_a_conflict_left_untouched_unless_adopted() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    block(async { moto.iam().await.create_user().user_name("PostmanUser").send().await.unwrap() });
    let before = Account::read_blocking(moto);
    assert_eq!(plan_action(moto, "postman", "user", "PostmanUser"), "conflict", "an untagged user is someone else's");

    let proxy = FaultProxy::start(moto);
    proxy.strict(true);
    let env = proxy.env(moto);
    let out = run_with_env(&args("apply", "postman", &["--yes"]), &env);
    let after = Account::read_blocking(moto);
    assert_eq!(out.status.code(), Some(2), "refused on the account as read: {}", stderr(&out));
    assert_eq!(after, before, "apply changed the account; the proxy saw {:?}", writes(&proxy));
    assert!(writes(&proxy).is_empty(), "apply refused, yet sent {:?}", writes(&proxy));
    assert!(stderr(&out).contains("PostmanUser") && stderr(&out).contains("--adopt"), "{}", stderr(&out));

    let out = run_with_env(&args("apply", "postman", &["--yes", "--adopt"]), &env);
    assert!(out.status.success(), "apply --adopt: {}", stderr(&out));
    let user = &Account::read_blocking(moto).users["PostmanUser"];
    assert!(user.ours, "an adopted user is tagged ManagedBy");
    assert_eq!(user.attached, ["PostmanAccessPolicy"]);
    assert_eq!(user.keys.len(), 1);
    assert_eq!(json(&out)["access_key"]["access_key_id"], user.keys[0].as_str(), "the new key is printed");
}

#[test]
fn an_untagged_role_identical_to_the_guides_is_still_a_conflict() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    let trust = include_str!("../assets/trust/lambda.json");
    block(async {
        moto.iam()
            .await
            .create_role()
            .role_name("ImporterS3Role")
            .assume_role_policy_document(trust)
            .send()
            .await
            .unwrap()
    });
    let before = Account::read_blocking(moto);
    assert_eq!(
        plan_action(moto, "segment-import", "role", "ImporterS3Role"),
        "conflict",
        "an untagged role with exactly the guide's trust is still someone else's"
    );
    let proxy = FaultProxy::start(moto);
    proxy.strict(true);
    let out = run_with_env(&args("apply", "segment-import", &["--yes"]), &proxy.env(moto));
    assert_eq!(out.status.code(), Some(2), "refused on the account as read: {}", stderr(&out));
    assert_eq!(Account::read_blocking(moto), before, "apply changed the account; writes seen: {:?}", writes(&proxy));
    assert!(writes(&proxy).is_empty(), "apply refused, yet sent {:?}", writes(&proxy));
}

/// Something foreign added to the user this tool made, and a word destroy's report must use for it.
struct Addition {
    what: &'static str,
    named: String,
}

async fn add_foreign(iam: &aws_sdk_iam::Client, kind: &str) -> Addition {
    let doc = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}"#;
    let user = "PostmanUser";
    match kind {
        "access key" => {
            let k = iam.create_access_key().user_name(user).send().await.unwrap().access_key.unwrap();
            Addition { what: "a second access key", named: k.access_key_id }
        }
        "attachment" => {
            let p = iam.create_policy().policy_name("SomeoneElsesPolicy").policy_document(doc).send().await.unwrap();
            let arn = p.policy().unwrap().arn().unwrap().to_string();
            iam.attach_user_policy().user_name(user).policy_arn(arn).send().await.unwrap();
            Addition { what: "a foreign managed policy attached", named: "SomeoneElsesPolicy".into() }
        }
        "inline policy" => {
            iam.put_user_policy()
                .user_name(user)
                .policy_name("SomeonesInline")
                .policy_document(doc)
                .send()
                .await
                .unwrap();
            Addition { what: "an inline policy", named: "SomeonesInline".into() }
        }
        "login profile" => {
            iam.create_login_profile().user_name(user).password("Secret-Passw0rd!").send().await.unwrap();
            Addition { what: "a console password (login profile)", named: "login profile".into() }
        }
        "group" => {
            iam.create_group().group_name("SomeonesGroup").send().await.unwrap();
            iam.add_user_to_group().group_name("SomeonesGroup").user_name(user).send().await.unwrap();
            Addition { what: "a group membership", named: "SomeonesGroup".into() }
        }
        "mfa device" => {
            let d = iam.create_virtual_mfa_device().virtual_mfa_device_name("SomeonesMfa").send().await.unwrap();
            let serial = d.virtual_mfa_device().unwrap().serial_number().to_string();
            iam.enable_mfa_device()
                .user_name(user)
                .serial_number(&serial)
                .authentication_code1("123456")
                .authentication_code2("654321")
                .send()
                .await
                .unwrap();
            Addition { what: "an MFA device", named: "SomeonesMfa".into() }
        }
        "permissions boundary" => {
            let boundary = "arn:aws:iam::aws:policy/ReadOnlyAccess";
            iam.put_user_permissions_boundary().user_name(user).permissions_boundary(boundary).send().await.unwrap();
            Addition { what: "a permissions boundary", named: boundary.into() }
        }
        other => unreachable!("{other}"),
    }
}

#[test]
fn destroy_deletes_nothing_and_lists_what_someone_else_added_to_our_user() {
    let moto = Moto::shared();
    let mut wrong = Vec::new();
    // moto 5.2.5 has no user permissions boundary: tests/support/moto_server.py adds it.
    let kinds =
        ["access key", "attachment", "inline policy", "login profile", "group", "mfa device", "permissions boundary"];
    for kind in kinds {
        let _g = moto.exclusive();
        let applied = moto.run(&args("apply", "postman", &["--yes"]));
        assert!(applied.status.success(), "apply: {}", stderr(&applied));
        let added = block(async { add_foreign(&moto.iam().await, kind).await });
        let before = Account::read_blocking(moto);
        let proxy = FaultProxy::start(moto);
        proxy.strict(true);
        let out = run_with_env(&["destroy", "--setup", "postman", "--yes", "--format", "json"], &proxy.env(moto));
        let after = Account::read_blocking(moto);
        let said = format!("{}\n{}", stdout(&out), stderr(&out));
        let mut problems = Vec::new();
        if out.status.code() != Some(2) {
            problems.push(format!("exit {:?}, expected 2 (refused before any write)", out.status.code()));
        }
        if after != before {
            problems.push(format!("the account changed: before {}, after {}", before.summary(), after.summary()));
        }
        let deletes: Vec<String> = writes(&proxy).into_iter().filter(|w| !w.contains(" 409")).collect();
        if !deletes.is_empty() {
            problems.push(format!("sent {deletes:?}"));
        }
        if !said.contains(&added.named) {
            problems.push(format!("its report does not name {:?}", added.named));
        }
        if let Some(dump) = debug_dump(&said) {
            problems.push(format!("Rust Debug output: {dump}"));
        }
        if !problems.is_empty() {
            wrong.push(format!(
                "{} on PostmanUser: {}\n    stderr: {}",
                added.what,
                problems.join("; "),
                stderr(&out).trim()
            ));
        }
    }
    assert!(wrong.is_empty(), "destroy must delete nothing and name what it did not create:\n{}", wrong.join("\n"));
}

#[test]
fn what_another_tool_owns_is_a_conflict_that_cannot_be_adopted() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let iam = moto.iam().await;
        let tag = aws_sdk_iam::types::Tag::builder().key("ManagedBy").value("cloudformation").build().unwrap();
        iam.create_user().user_name("PostmanUser").tags(tag).send().await.unwrap();
    });
    let plan = json(&moto.run(&["plan", "--setup", "postman", "--format", "json"]));
    let user = plan["steps"].as_array().unwrap().iter().find(|s| s["kind"] == "user").unwrap();
    assert_eq!(user["action"], "conflict");
    assert!(user["reason"].as_str().unwrap().contains("belongs to cloudformation"), "{user}");
    let out = moto.run(&["apply", "--setup", "postman", "--yes", "--adopt", "--format", "json"]);
    assert_eq!(out.status.code(), Some(2), "refused before any write: {}", stderr(&out));
    assert!(json(&out)["error"].as_str().unwrap().contains("cannot be adopted"), "{}", stderr(&out));
    let out = moto.run(&["destroy", "--setup", "postman", "--yes", "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let after = Account::read_blocking(moto);
    assert!(after.users.contains_key("PostmanUser"), "the stack's user stays");
    assert!(after.users["PostmanUser"].keys.is_empty() && after.policies.is_empty(), "nothing was written");
}

/// Issue 15 item 2: rotate-key and retire-key refuse, before any write and with exit 2, a user this tool did
/// not create and a key it did not make, naming the tag they looked for; `--adopt` takes them over (tagged as
/// ours, so a later destroy removes them) and the report says so. Before, both acted on any user and key.
#[test]
fn the_key_commands_refuse_what_this_tool_did_not_create_unless_adopted() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    let (theirs, their_key) = block(async {
        let iam = moto.iam().await;
        iam.create_user().user_name("SomeoneElse").send().await.unwrap();
        let k = iam.create_access_key().user_name("SomeoneElse").send().await.unwrap();
        ("SomeoneElse", k.access_key.unwrap().access_key_id)
    });
    let applied = moto.run(&args("apply", "postman", &["--yes"]));
    assert!(applied.status.success(), "apply: {}", stderr(&applied));
    let hand_made = block(async {
        let iam = moto.iam().await;
        iam.create_access_key().user_name("PostmanUser").send().await.unwrap().access_key.unwrap().access_key_id
    });
    let refusals: Vec<(Vec<&str>, &str)> = vec![
        (vec!["rotate-key", "--user", theirs, "--yes"], "ManagedBy=pinpoint-iam-wizard"),
        (vec!["retire-key", "--user", theirs, "--key", &their_key, "--yes"], "ManagedBy=pinpoint-iam-wizard"),
        (vec!["retire-key", "--user", "PostmanUser", "--key", &hand_made, "--yes"], "pinpoint-iam-wizard:key:"),
    ];
    let mut wrong = Vec::new();
    for (cmd, tag) in &refusals {
        let before = Account::read_blocking(moto);
        let proxy = FaultProxy::start(moto);
        let out = run_with_env(cmd, &proxy.env(moto));
        let said = stderr(&out);
        if out.status.code() != Some(2) {
            wrong.push(format!("{cmd:?}: exit {:?}, expected 2", out.status.code()));
        }
        if !said.contains(tag) || !said.contains("--adopt") {
            wrong.push(format!("{cmd:?}: the refusal does not name {tag} and --adopt: {said}"));
        }
        if !writes(&proxy).is_empty() || Account::read_blocking(moto) != before {
            wrong.push(format!("{cmd:?}: wrote {:?}", writes(&proxy)));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    // Adopted: the user is ours from then on, the new key too, and the report says what was taken over.
    let out = moto.run(&["rotate-key", "--user", theirs, "--delete-key", &their_key, "--adopt", "--yes"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains(&format!("Adopted user {theirs}")), "{}", stdout(&out));
    let after = Account::read_blocking(moto);
    assert!(after.users[theirs].ours, "the adopted user carries our tag");
    assert_eq!(after.users[theirs].keys.len(), 1);
}

/// Issue 15 item 9: a setup applied with `--name` and destroyed without it is blocked (the renamed role still
/// holds our policy), and the blocker says the role is this tool's own, made under another name, and which
/// `--name` option to pass, instead of "not this tool's to remove". With the option, destroy removes it all.
#[test]
fn destroy_without_the_name_options_of_apply_says_which_to_pass() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    let renamed = ["--name", "s3-role-name=ImporterS3RoleX"];
    let applied = moto.run(&args("apply", "segment-import", &[&["--yes"][..], &renamed[..]].concat()));
    assert!(applied.status.success(), "apply: {}", stderr(&applied));
    let out = moto.run(&["destroy", "--setup", "segment-import", "--yes", "--format", "json"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let j = json(&out);
    let blockers: Vec<&str> = j["blockers"].as_array().unwrap().iter().map(|b| b.as_str().unwrap()).collect();
    assert!(
        blockers
            .iter()
            .any(|b| b.contains("role ImporterS3RoleX") && b.contains("--name s3-role-name=ImporterS3RoleX")),
        "{blockers:?}"
    );
    let out = moto.run(&[&["destroy", "--setup", "segment-import", "--yes"][..], &renamed[..]].concat());
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(Account::read_blocking(moto).is_empty(), "everything of ours is gone");
}
