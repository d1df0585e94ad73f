//! Issue 20 point 4: the end-user-messaging setup does everything the registry gives a setup, against moto
//! (plan, apply, rotate-key, destroy), offline (manual mode's panels, every export; cfn-lint on the template), and
//! its findings have no error, security warning or ended action.

mod support;

use pinpoint_iam_wizard::export::{self, ExportFormat, Origin};
use pinpoint_iam_wizard::setup::{Params, Selection};
use serde_json::Value;
use support::account::Account;
use support::*;

const PROJECT: &str = "0123456789abcdef0123456789abcdef";
const POLICY: &str = "EndUserMessagingPolicy";
const USER: &str = "EndUserMessagingUser";

fn setup_args<'a>(command: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec![command, "--setup", "end-user-messaging", "--project-id", PROJECT];
    args.extend(extra);
    args
}

fn params(account: &str) -> Params {
    let mut p = Params::new(
        "end-user-messaging".parse::<Selection>().unwrap(),
        account.parse().unwrap(),
        REGION.parse().unwrap(),
    );
    p.project = Some(PROJECT.parse().unwrap());
    p
}

/// Every finding of every document of a JSON plan, as (document, severity, message).
fn findings(plan: &Value) -> Vec<(String, String, String)> {
    let mut out = vec![];
    for doc in plan["documents"].as_array().unwrap() {
        for f in doc["findings"].as_array().unwrap() {
            let s = |k: &str| f[k].as_str().unwrap_or_default().to_string();
            out.push((doc["name"].as_str().unwrap().to_string(), s("severity"), s("message")));
        }
    }
    out
}

fn actions(plan: &Value) -> Vec<(String, String)> {
    plan["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["kind"].as_str().unwrap().to_string(), s["action"].as_str().unwrap().to_string()))
        .collect()
}

#[test]
fn it_plans_applies_rotates_and_destroys_against_the_emulator() {
    let moto = Moto::shared();
    let _g = moto.exclusive();

    let plan = moto.run(&setup_args("plan", &["--format", "json"]));
    assert!(plan.status.success(), "{}", stderr(&plan));
    let plan = json(&plan);
    let kinds = ["policy", "user", "attachment", "access_key"];
    let expected: Vec<(String, String)> = kinds.iter().map(|k| (k.to_string(), "create".to_string())).collect();
    assert_eq!(actions(&plan), expected);
    let serious: Vec<_> = findings(&plan)
        .into_iter()
        .filter(|(_, severity, message)| {
            severity == "error" || severity == "security_warning" || message.contains("ended")
        })
        .collect();
    assert!(serious.is_empty(), "{serious:#?}");

    let out = moto.run(&setup_args("apply", &["--yes", "--format", "json"]));
    assert!(out.status.success(), "{}\n{}", stdout(&out), stderr(&out));
    let account = Account::read_blocking(moto);
    let policy = account.policies.get(POLICY).unwrap_or_else(|| panic!("{}", account.summary()));
    let desired = params(&moto.account).desired().unwrap();
    assert_eq!(policy.document, desired.policies[0].document, "the document written is the one previewed");
    assert!(policy.ours);
    let user = &account.users[USER];
    assert!(user.ours && user.attached == [POLICY.to_string()], "{}", account.summary());
    assert_eq!(user.keys.len(), 1, "one access key");

    let again = json(&moto.run(&setup_args("plan", &["--format", "json"])));
    assert!(actions(&again).iter().all(|(_, a)| a == "unchanged"), "{:?}", actions(&again));

    let rotated = moto.run(&["rotate-key", "--user", USER, "--yes", "--format", "json"]);
    assert!(rotated.status.success(), "{}\n{}", stdout(&rotated), stderr(&rotated));
    let keys = &Account::read_blocking(moto).users[USER].keys;
    assert_eq!(keys.len(), 2, "the new key beside the old one");
    assert!(!keys.contains(&String::new()));

    let destroyed = moto.run(&["destroy", "--setup", "end-user-messaging", "--yes", "--format", "json"]);
    assert!(destroyed.status.success(), "{}\n{}", stdout(&destroyed), stderr(&destroyed));
    let after = Account::read_blocking(moto);
    assert!(after.is_empty(), "destroy leaves nothing: {}", after.summary());
}

#[test]
fn manual_mode_and_every_export_carry_its_policy_user_and_no_end_of_support_note() {
    let p = params("210987654321");
    let d = p.desired().unwrap();
    let steps = pinpoint_iam_wizard::manual::steps(&d);
    let names: Vec<&str> = steps.iter().map(|s| s.name.as_str()).collect();
    assert!(names.contains(&POLICY) && names.contains(&USER), "{names:?}");
    let panel = steps.iter().find(|s| s.name == POLICY).unwrap();
    assert_eq!(panel.document.as_ref().map(|(_, doc)| doc), Some(&d.policies[0].document));
    assert!(!steps.iter().flat_map(|s| &s.instructions).any(|l| l.contains("end of support")));

    let origin = Origin { version: "test".into(), date: "2026-12-06".into() };
    for format in [ExportFormat::CloudFormation, ExportFormat::Terraform, ExportFormat::Cli, ExportFormat::Documents] {
        let files = export::render(&p, format, &origin).unwrap();
        let all: String = files.iter().map(|f| f.contents.as_str()).collect();
        assert!(all.contains(POLICY) && all.contains(USER), "{}: {all}", format.as_str());
        assert!(all.contains("sms-voice:SendTextMessage"), "{}", format.as_str());
        assert!(!all.contains("end of support"), "{}: nothing of it ended: {all}", format.as_str());
    }
    let docs = export::render(&p, ExportFormat::Documents, &origin).unwrap();
    let file = docs.iter().find(|f| f.path.contains(POLICY)).expect("a file for the policy");
    assert_eq!(serde_json::from_str::<Value>(&file.contents).unwrap(), d.policies[0].document);
}

#[test]
fn its_cloudformation_template_passes_cfn_lint() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("messaging.yaml");
    let t = path.to_str().unwrap();
    let o = run_with_env(&setup_args("export", &["--as", "cloudformation", "--out", t]), &base_env());
    assert!(o.status.success(), "{}", stderr(&o));
    let lint = std::process::Command::new(root().join("target/moto-venv/bin/cfn-lint")).arg(t).output().unwrap();
    assert_eq!(lint.status.code(), Some(0), "{}{}", stdout(&lint), stderr(&lint));
}
