//! Issue 19: an organisation's guardrails. A permissions boundary on every role and user, a path on every
//! policy, role and user; applied through a proxy that plays the SCP denying CreateRole/CreateUser without the
//! boundary, compared by the plan, rolled back, destroyed under the path. The real binary against moto.
#![allow(clippy::await_holding_lock)]

mod support;

use serde_json::Value;
use support::proxy::{Fault, FaultProxy, Rule, When, boundary_scp};
use support::*;

const BUCKET: &str = "pinpoint-imports";
const PROJECT: &str = "0123456789abcdef0123456789abcdef";
const BOUNDARY: &str = "arn:aws:iam::aws:policy/PowerUserAccess";
const OTHER_BOUNDARY: &str = "arn:aws:iam::aws:policy/ReadOnlyAccess";
const PATH: &str = "/teams/messaging/";

fn args<'a>(cmd: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec![cmd, "--setup", "all", "--bucket", BUCKET, "--project-id", PROJECT, "--format", "json"];
    if cmd == "apply" {
        a.push("--yes");
    }
    a.extend_from_slice(extra);
    a
}

fn guarded<'a>(cmd: &'a str, boundary: &'a str, path: &'a str) -> Vec<&'a str> {
    args(cmd, &["--permissions-boundary", boundary, "--path", path])
}

fn steps(plan: &Value) -> Vec<(String, String, String)> {
    plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            let named = format!("{} {}", s["kind"].as_str().unwrap(), s["name"].as_str().unwrap());
            (named, s["action"].as_str().unwrap().to_string(), s["reason"].as_str().unwrap().to_string())
        })
        .collect()
}

/// What the account holds: every role and user with its path and boundary, every local policy's ARN.
#[derive(Debug, PartialEq)]
struct Held {
    roles: Vec<(String, String, Option<String>)>,
    users: Vec<(String, String, Option<String>)>,
    policies: Vec<String>,
}

async fn held(iam: &aws_sdk_iam::Client) -> Held {
    let boundary = |b: Option<&aws_sdk_iam::types::AttachedPermissionsBoundary>| {
        b.and_then(|b| b.permissions_boundary_arn()).map(String::from)
    };
    let mut roles = vec![];
    for r in iam.list_roles().send().await.unwrap().roles() {
        let got = iam.get_role().role_name(r.role_name()).send().await.unwrap();
        let role = got.role().unwrap();
        roles.push((role.role_name().to_string(), role.path().to_string(), boundary(role.permissions_boundary())));
    }
    let mut users = vec![];
    for u in iam.list_users().send().await.unwrap().users() {
        let got = iam.get_user().user_name(u.user_name()).send().await.unwrap();
        let user = got.user().unwrap();
        users.push((user.user_name().to_string(), user.path().to_string(), boundary(user.permissions_boundary())));
    }
    let local = iam.list_policies().scope(aws_sdk_iam::types::PolicyScopeType::Local).send().await.unwrap();
    let mut policies: Vec<String> = local.policies().iter().map(|p| p.arn().unwrap().to_string()).collect();
    roles.sort();
    users.sort();
    policies.sort();
    Held { roles, users, policies }
}

fn all_roles(path: &str, boundary: Option<&str>) -> Vec<(String, String, Option<String>)> {
    let mut r: Vec<_> = ["ImporterPinpointRole", "ImporterS3Role", "PinpointSegmentImport"]
        .iter()
        .map(|n| (n.to_string(), path.to_string(), boundary.map(String::from)))
        .collect();
    r.sort();
    r
}

#[tokio::test(flavor = "multi_thread")]
async fn both_setups_apply_under_a_boundary_demanding_scp_only_with_the_option_and_leave_nothing_on_destroy() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    let proxy = FaultProxy::start(moto);
    for rule in boundary_scp(BOUNDARY) {
        proxy.add_rule(rule);
    }
    let env = proxy.env(moto);
    let iam = moto.iam().await;

    // Without the option, as in an organisation's account: the first create is denied, nothing is left.
    let denied = run_with_env(&args("apply", &["--path", PATH]), &env);
    assert_eq!(denied.status.code(), Some(1), "{}", stderr(&denied));
    let said = format!("{}{}", stdout(&denied), stderr(&denied));
    assert!(said.contains("AccessDenied") || said.contains("not authorized"), "{said}");
    assert!(debug_dump(&said).is_none());
    assert_eq!(held(&iam).await, Held { roles: vec![], users: vec![], policies: vec![] });

    // With it and a path: everything under the path, every role and the user under the boundary.
    let applied = run_with_env(&guarded("apply", BOUNDARY, PATH), &env);
    assert_eq!(applied.status.code(), Some(0), "{}", stderr(&applied));
    let now = held(&iam).await;
    assert_eq!(now.roles, all_roles(PATH, Some(BOUNDARY)));
    assert_eq!(now.users, vec![("PostmanUser".to_string(), PATH.to_string(), Some(BOUNDARY.to_string()))]);
    let acct = &moto.account;
    assert_eq!(now.policies.len(), 4);
    assert!(now.policies.iter().all(|a| a.starts_with(&format!("arn:aws:iam::{acct}:policy{PATH}"))), "{now:?}");
    // The Pinpoint policy may pass the import role at its path-qualified ARN.
    let pinpoint = format!("arn:aws:iam::{acct}:policy{PATH}ImporterPinpointPolicy");
    let p = iam.get_policy().policy_arn(&pinpoint).send().await.unwrap();
    let v = p.policy().unwrap().default_version_id().unwrap().to_string();
    let doc = iam.get_policy_version().policy_arn(&pinpoint).version_id(v).send().await.unwrap();
    let doc = decode(doc.policy_version().unwrap().document().unwrap()).to_string();
    assert!(doc.contains(&format!("\"arn:aws:iam::{acct}:role{PATH}PinpointSegmentImport\"")), "{doc}");

    // Re-applying changes nothing.
    let plan = json(&run_with_env(&guarded("plan", BOUNDARY, PATH), &env));
    let changed: Vec<_> = steps(&plan).into_iter().filter(|(_, a, _)| a != "unchanged").collect();
    assert!(changed.is_empty(), "{changed:?}");
    assert_eq!((plan["path"].as_str(), plan["permissions_boundary"].as_str()), (Some(PATH), Some(BOUNDARY)));
    let text_plan = ["plan", "--setup", "all", "--bucket", BUCKET, "--project-id", PROJECT, "--path", PATH];
    let text = stdout(&run_with_env(&[&text_plan[..], &["--permissions-boundary", BOUNDARY]].concat(), &env));
    assert!(text.contains(&format!("Guardrails: path {PATH}, permissions boundary {BOUNDARY}")), "{text}");
    let again = run_with_env(&guarded("apply", BOUNDARY, PATH), &env);
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    assert_eq!(held(&iam).await, now);

    // destroy finds them under their path and leaves nothing; the boundary it is told of is not a hold.
    let destroy = ["destroy", "--setup", "all", "--path", PATH, "--yes", "--format", "json"];
    let held_back = run_with_env(&destroy, &env);
    assert_eq!(held_back.status.code(), Some(2), "{}", stderr(&held_back));
    assert!(stderr(&held_back).contains(&format!("pass --permissions-boundary {BOUNDARY}")), "{}", stderr(&held_back));
    let gone = run_with_env(&[&destroy[..], &["--permissions-boundary", BOUNDARY]].concat(), &env);
    assert_eq!(gone.status.code(), Some(0), "{}", stderr(&gone));
    assert_eq!(held(&iam).await, Held { roles: vec![], users: vec![], policies: vec![] });
}

#[tokio::test(flavor = "multi_thread")]
async fn a_changed_boundary_is_an_update_that_a_rollback_puts_back() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    let iam = moto.iam().await;
    let first = moto.run(&guarded("apply", BOUNDARY, PATH));
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let before = held(&iam).await;

    let plan = json(&moto.run(&guarded("plan", OTHER_BOUNDARY, PATH)));
    let updates: Vec<_> = steps(&plan).into_iter().filter(|(_, a, _)| a == "update").collect();
    let named: Vec<&str> = updates.iter().map(|(n, _, _)| n.as_str()).collect();
    assert_eq!(
        named,
        ["role ImporterS3Role", "role PinpointSegmentImport", "role ImporterPinpointRole", "user PostmanUser"]
    );
    for (n, _, why) in &updates {
        assert!(
            why.contains(&format!("permissions boundary {BOUNDARY} will be replaced by {OTHER_BOUNDARY}")),
            "{n}: {why}"
        );
    }
    let calls: Vec<Value> = plan["steps"].as_array().unwrap().iter().map(|s| s["calls"].clone()).collect();
    assert!(calls.contains(&serde_json::json!(["iam:PutUserPermissionsBoundary"])), "{calls:?}");
    assert!(calls.contains(&serde_json::json!(["iam:PutRolePermissionsBoundary"])), "{calls:?}");

    // The third role's put is denied after two went through: those two get their old boundary back (and the
    // user too, if its put went out).
    let proxy = FaultProxy::start(moto);
    proxy.add_rule(Rule::new("PutRolePermissionsBoundary", When::Nth(3), Fault::AccessDenied));
    let failed = run_with_env(&guarded("apply", OTHER_BOUNDARY, PATH), &proxy.env(moto));
    assert_eq!(failed.status.code(), Some(1), "{}", stderr(&failed));
    proxy.wait_idle(std::time::Duration::from_secs(30)).unwrap();
    // The denied step's possible write is put back too (undoing is idempotent).
    assert_eq!(
        proxy.count("PutRolePermissionsBoundary"),
        3 + 3,
        "two put, one denied, three put back: {:?}",
        proxy.seen()
    );
    assert_eq!(proxy.count("PutUserPermissionsBoundary") % 2, 0, "{:?}", proxy.seen());
    assert_eq!(held(&iam).await, before);

    // Without the failure the new boundary holds; with none wanted, it is removed.
    let changed = moto.run(&guarded("apply", OTHER_BOUNDARY, PATH));
    assert_eq!(changed.status.code(), Some(0), "{}", stderr(&changed));
    let now = held(&iam).await;
    assert_eq!(now.roles, all_roles(PATH, Some(OTHER_BOUNDARY)));
    assert_eq!(now.users[0].2.as_deref(), Some(OTHER_BOUNDARY));
    let removed = moto.run(&args("apply", &["--path", PATH]));
    assert_eq!(removed.status.code(), Some(0), "{}", stderr(&removed));
    let now = held(&iam).await;
    assert_eq!(now.roles, all_roles(PATH, None));
    assert_eq!(now.users[0].2, None);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_users_path_moves_and_a_roles_or_policys_path_is_a_conflict_that_names_the_recreate() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    let iam = moto.iam().await;
    let first = moto.run(&args("apply", &["--path", "/a/"]));
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));

    // Postman alone: the user moves (UpdateUser), its policy cannot.
    let postman = ["--setup", "postman", "--path", "/b/", "--format", "json"];
    let plan = json(&moto.run(&[&["plan"][..], &postman].concat()));
    let s = steps(&plan);
    let user = s.iter().find(|(n, _, _)| n == "user PostmanUser").unwrap();
    assert_eq!((user.1.as_str(), user.2.contains("path /a/ will be changed to /b/")), ("update", true), "{user:?}");
    let policy = s.iter().find(|(n, _, _)| n == "policy PostmanAccessPolicy").unwrap();
    assert_eq!(policy.1, "conflict", "{policy:?}");
    assert!(
        policy.2.contains("under path /a/, not /b/") && policy.2.contains("deleted and created again"),
        "{policy:?}"
    );

    let all = json(&moto.run(&args("plan", &["--path", "/b/"])));
    let role = steps(&all).into_iter().find(|(n, _, _)| n == "role ImporterS3Role").unwrap();
    assert_eq!(role.1, "conflict", "{role:?}");
    assert!(role.2.contains("IAM cannot change a role's path"), "{role:?}");

    // apply refuses before any write, even with --adopt.
    let before = held(&iam).await;
    let refused = moto.run(&args("apply", &["--path", "/b/", "--adopt"]));
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(stderr(&refused).contains("deleted and created again"), "{}", stderr(&refused));
    assert_eq!(held(&iam).await, before);
}

#[test]
fn bad_guardrails_are_refused_naming_the_option_and_the_rule() {
    let moto = Moto::shared();
    let cases = [
        (vec!["--path", "teams"], "invalid --path \"teams\": an IAM path begins and ends with /"),
        (vec!["--permissions-boundary", "arn:aws:iam::123:role/x"], "invalid --permissions-boundary"),
        (vec!["--permissions-boundary", "arn:aws-cn:iam::aws:policy/X"], "partition aws"),
        (vec!["--permissions-boundary", "arn:aws:iam::999999999999:policy/X"], "this account's"),
    ];
    for (extra, said) in cases {
        let out = moto.run(&args("plan", &extra));
        assert_eq!(out.status.code(), Some(2), "{extra:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(said), "{extra:?}: {}", stderr(&out));
    }
}

#[test]
fn rotate_key_refuses_a_user_outside_the_guardrails_and_rotates_one_inside() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    let postman = ["apply", "--setup", "postman", "--yes", "--format", "json", "--path", PATH];
    let applied = moto.run(&[&postman[..], &["--permissions-boundary", BOUNDARY]].concat());
    assert_eq!(applied.status.code(), Some(0), "{}", stderr(&applied));
    let rotate = ["rotate-key", "--yes", "--format", "json"];
    let wrong = moto.run(&[&rotate[..], &["--path", "/other/", "--permissions-boundary", OTHER_BOUNDARY]].concat());
    assert_eq!(wrong.status.code(), Some(2), "{}", stderr(&wrong));
    let said = stderr(&wrong);
    assert!(said.contains(&format!("its path is {PATH}, not --path /other/")), "{said}");
    assert!(said.contains(&format!("its permissions boundary is {BOUNDARY}, not --permissions-boundary")), "{said}");
    let right = moto.run(&[&rotate[..], &["--path", PATH, "--permissions-boundary", BOUNDARY]].concat());
    assert_eq!(right.status.code(), Some(0), "{}", stderr(&right));
    assert!(json(&right)["access_key"]["access_key_id"].is_string(), "{}", stdout(&right));
}

/// A small matrix over the guardrails' new writes: each faulted once (a lost answer) or persistently (denied,
/// server errors). A run that fails leaves the account as it was (the old boundary back); one that completes
/// leaves the new boundary everywhere; either way a clean re-run converges.
#[test]
fn faults_on_the_boundary_writes_end_rolled_back_or_complete_and_converge() {
    let moto = Moto::shared();
    let fast = ["--operation-timeout", "3", "--connect-timeout", "2", "--iam-lag-wait", "5"];
    let mut wrong = Vec::new();
    for action in ["PutRolePermissionsBoundary", "PutUserPermissionsBoundary"] {
        for (fault, when) in
            [(Fault::AccessDenied, When::Always), (Fault::Status500, When::Always), (Fault::DropAnswer, When::Nth(1))]
        {
            let _g = moto.exclusive();
            let first = moto.run(&guarded("apply", BOUNDARY, PATH));
            assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
            let iam = block(moto.iam());
            let before = block(held(&iam));
            let proxy = FaultProxy::start(moto);
            proxy.strict(true);
            proxy.add_rule(Rule::new(action, when, fault));
            let run = run_with_env(&[&guarded("apply", OTHER_BOUNDARY, PATH)[..], &fast].concat(), &proxy.env(moto));
            proxy.wait_idle(std::time::Duration::from_secs(30)).unwrap();
            let after = block(held(&iam));
            let cell = format!("{action} {fault} {when:?}");
            let said = format!("{}{}", stdout(&run), stderr(&run));
            if debug_dump(&said).is_some() {
                wrong.push(format!("{cell}: a Debug dump: {said}"));
            }
            match run.status.code() {
                Some(0) if after.roles == all_roles(PATH, Some(OTHER_BOUNDARY)) => {}
                Some(1) if after == before => {}
                code => wrong.push(format!("{cell}: exit {code:?}, account {after:?}\n{said}")),
            }
            let again = moto.run(&guarded("apply", OTHER_BOUNDARY, PATH));
            let now = block(held(&iam));
            if again.status.code() != Some(0) || now.users[0].2.as_deref() != Some(OTHER_BOUNDARY) {
                wrong.push(format!("{cell}: no convergence: {now:?}\n{}", stderr(&again)));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

fn block<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
}
