//! Issue 19: every export carries the path and the permissions boundary. The CloudFormation template passes
//! cfn-lint and deploys to moto's CloudFormation; the AWS CLI script runs (twice) through the proxy that plays
//! the boundary-demanding SCP; the Terraform file parses (python-hcl2); the documents' README says both.

mod support;

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Output;
use support::proxy::{FaultProxy, boundary_scp};
use support::*;

const BUCKET: &str = "pinpoint-imports";
const PROJECT: &str = "0123456789abcdef0123456789abcdef";
const BOUNDARY: &str = "arn:aws:iam::aws:policy/PowerUserAccess";
const PATH: &str = "/teams/messaging/";

fn venv_bin(tool: &str) -> PathBuf {
    root().join("target/moto-venv/bin").join(tool)
}

fn ok(o: &Output) {
    assert!(o.status.success(), "exit {:?}\nstdout: {}\nstderr: {}", o.status.code(), stdout(o), stderr(o));
}

/// The AWS CLI's environment towards `endpoint` (moto, or the proxy before it).
fn cli_env(base: Vec<(String, String)>) -> Vec<(String, String)> {
    let mut env = base;
    env.push(("AWS_DEFAULT_REGION".into(), REGION.into()));
    env.push(("AWS_PAGER".into(), String::new()));
    let path = env.iter().find(|(k, _)| k == "PATH").map(|(_, v)| v.clone()).unwrap_or_default();
    env.retain(|(k, _)| k != "PATH");
    env.push(("PATH".into(), format!("{}:{path}", root().join("target/moto-venv/bin").display())));
    env
}

/// Export every setup with both guardrails into `dir/<as>`.
fn export(dir: &Path, format: &str, account: &str) -> PathBuf {
    let out = dir.join(format);
    let o = out.to_str().unwrap();
    let args = [
        "export",
        "--setup",
        "all",
        "--account-id",
        account,
        "--region",
        REGION,
        "--bucket",
        BUCKET,
        "--project-id",
        PROJECT,
        "--path",
        PATH,
        "--permissions-boundary",
        BOUNDARY,
        "--as",
        format,
        "--out",
        o,
    ];
    ok(&run_with_env(&args, &base_env()));
    out
}

/// A role or user by kind and name, with its path and boundary.
type Placed = (String, String, Option<String>);

/// Every role and user of the account with its path and boundary, and every local policy's ARN.
fn held(moto: &Moto) -> (Vec<Placed>, Vec<String>) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let iam = moto.iam().await;
        let boundary = |b: Option<&aws_sdk_iam::types::AttachedPermissionsBoundary>| {
            b.and_then(|b| b.permissions_boundary_arn()).map(String::from)
        };
        let mut out = vec![];
        for r in iam.list_roles().send().await.unwrap().roles() {
            let got = iam.get_role().role_name(r.role_name()).send().await.unwrap();
            let role = got.role().unwrap();
            out.push((
                format!("role {}", role.role_name()),
                role.path().to_string(),
                boundary(role.permissions_boundary()),
            ));
        }
        for u in iam.list_users().send().await.unwrap().users() {
            let got = iam.get_user().user_name(u.user_name()).send().await.unwrap();
            let user = got.user().unwrap();
            out.push((
                format!("user {}", user.user_name()),
                user.path().to_string(),
                boundary(user.permissions_boundary()),
            ));
        }
        let local = iam.list_policies().scope(aws_sdk_iam::types::PolicyScopeType::Local).send().await.unwrap();
        let mut policies: Vec<String> = local.policies().iter().map(|p| p.arn().unwrap().to_string()).collect();
        out.sort();
        policies.sort();
        (out, policies)
    })
}

fn assert_guarded(moto: &Moto) {
    let (entities, policies) = held(moto);
    let names: Vec<&str> = entities.iter().map(|(n, _, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["role ImporterPinpointRole", "role ImporterS3Role", "role PinpointSegmentImport", "user PostmanUser"]
    );
    for (n, path, boundary) in &entities {
        assert_eq!((path.as_str(), boundary.as_deref()), (PATH, Some(BOUNDARY)), "{n}");
    }
    assert_eq!(policies.len(), 4, "{policies:?}");
    let prefix = format!("arn:aws:iam::{}:policy{PATH}", moto.account);
    assert!(policies.iter().all(|a| a.starts_with(&prefix)), "{policies:?}");
}

#[test]
fn cloudformation_carries_both_passes_cfn_lint_and_deploys_with_them() {
    let dir = tempfile::tempdir().unwrap();
    // A single file: --out names it.
    let template = export(dir.path(), "cloudformation", "210987654321");
    let text = std::fs::read_to_string(&template).unwrap();
    assert!(text.contains(&format!("Path: {PATH}")) || text.contains(&format!("Path: \"{PATH}\"")), "{text}");
    assert!(
        text.contains("PermissionsBoundary: !Sub \"arn:${AWS::Partition}:iam::aws:policy/PowerUserAccess\""),
        "{text}"
    );
    let t = template.to_str().unwrap();
    let lint = run_tool(&venv_bin("cfn-lint"), &[t], &base_env());
    let code = lint.status.code().expect("cfn-lint exited");
    assert!(code == 0 || code == 4, "cfn-lint exit {code}:\n{}{}", stdout(&lint), stderr(&lint));

    let moto = Moto::shared();
    let _guard = moto.exclusive();
    let env = cli_env(moto.env());
    let aws = venv_bin("aws");
    let body = format!("file://{t}");
    let stack = ["--stack-name", "pinpoint-iam"];
    let create = [&["cloudformation", "create-stack"][..], &stack, &["--template-body", &body]].concat();
    ok(&run_tool(&aws, &[&create[..], &["--capabilities", "CAPABILITY_NAMED_IAM"]].concat(), &env));
    ok(&run_tool(&aws, &[&["cloudformation", "wait", "stack-create-complete"][..], &stack].concat(), &env));
    assert_guarded(moto);
}

#[test]
fn the_cli_script_passes_the_boundary_demanding_scp_and_a_second_run_changes_nothing() {
    let moto = Moto::shared();
    let dir = tempfile::tempdir().unwrap();
    let script = export(dir.path(), "cli", &moto.account).join("setup.sh");
    let text = std::fs::read_to_string(&script).unwrap();
    assert!(text.contains(&format!("\npath='{PATH}'\n")) && text.contains(&format!("\nboundary='{BOUNDARY}'\n")));

    let _guard = moto.exclusive();
    let proxy = FaultProxy::start(moto);
    for rule in boundary_scp(BOUNDARY) {
        proxy.add_rule(rule);
    }
    let env = cli_env(proxy.env(moto));
    ok(&run_tool(&script, &[], &env));
    assert_guarded(moto);
    let before = held(moto);
    let second = run_tool(&script, &[], &env);
    ok(&second);
    assert_eq!(held(moto), before);
    for line in stderr(&second).lines().filter(|l| !l.starts_with("done")) {
        assert!(line.ends_with(": unchanged") || line.ends_with("already attached"), "second run: {line}");
    }
}

#[test]
fn terraform_and_the_documents_carry_both() {
    let dir = tempfile::tempdir().unwrap();
    let tf = export(dir.path(), "terraform", "210987654321").join("main.tf");
    let program = "import hcl2, json, sys\n\
                   from hcl2.utils import SerializationOptions\n\
                   o = SerializationOptions(strip_string_quotes=True, explicit_blocks=False, with_comments=False)\n\
                   print(json.dumps(hcl2.load(open(sys.argv[1]), serialization_options=o)))";
    let parsed = run_tool(&venv_bin("python"), &["-c", program, tf.to_str().unwrap()], &base_env());
    ok(&parsed);
    let hcl: Value = serde_json::from_slice(&parsed.stdout).unwrap();
    let mut seen = vec![];
    for entry in hcl["resource"].as_array().unwrap() {
        for (ty, named) in entry.as_object().unwrap() {
            for (name, body) in named.as_object().unwrap() {
                if ["aws_iam_role", "aws_iam_user", "aws_iam_policy"].contains(&ty.as_str()) {
                    assert_eq!(body["path"], PATH, "{ty}.{name}");
                    let boundary = body.get("permissions_boundary").and_then(Value::as_str);
                    let wanted = (ty != "aws_iam_policy")
                        .then_some("arn:${data.aws_partition.current.partition}:iam::aws:policy/PowerUserAccess");
                    assert_eq!(boundary, wanted, "{ty}.{name}");
                    seen.push(ty.clone());
                }
            }
        }
    }
    assert_eq!(seen.len(), 4 + 3 + 1, "{seen:?}");

    let docs = export(dir.path(), "documents", "210987654321");
    let readme = std::fs::read_to_string(docs.join("README.md")).unwrap();
    assert!(readme.contains(&format!("under the path `{PATH}`")), "{readme}");
    assert!(readme.contains(&format!("permissions boundary `{BOUNDARY}`")), "{readme}");
    assert!(readme.contains(&format!("`arn:aws:iam::210987654321:role{PATH}PinpointSegmentImport`")), "{readme}");
    let pinpoint = std::fs::read_to_string(docs.join("policies/ImporterPinpointPolicy.json")).unwrap();
    assert!(pinpoint.contains(&format!("arn:aws:iam::210987654321:role{PATH}PinpointSegmentImport")), "{pinpoint}");
}
