//! `export`, checked with the tools operators use, run for real: cfn-lint and the AWS CLI's CloudFormation
//! deploy (against moto) for the template, the AWS CLI for the script (twice, against moto), python-hcl2 for
//! the Terraform files. All of them are installed into target/moto-venv from tests/support/requirements.txt.

mod support;

use pinpoint_iam_wizard::setup::{Params, Selection};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Output;
use support::account::Account;
use support::*;

const BUCKET: &str = "pinpoint-imports";
const PROJECT: &str = "0123456789abcdef0123456789abcdef";

fn venv_bin(tool: &str) -> PathBuf {
    let p = root().join("target/moto-venv/bin").join(tool);
    assert!(p.exists(), "{} is missing: run scripts/test (it installs tests/support/requirements.txt)", p.display());
    p
}

/// The real binary with no AWS credentials, no profile and no Region: an export needs none of them.
fn export(args: &[&str]) -> Output {
    run_with_env(&[&["export"][..], args].concat(), &base_env())
}

fn ok(o: &Output) {
    assert!(o.status.success(), "exit {:?}\nstdout: {}\nstderr: {}", o.status.code(), stdout(o), stderr(o));
}

/// The environment of the AWS CLI against moto: moto's endpoint, dummy keys, no config files, no pager.
/// The postman setup exported as an AWS CLI script for this server's account: its directory and `setup.sh`.
fn postman_script(moto: &Moto) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cli");
    let o = out.to_str().unwrap();
    ok(&export(&["--setup", "postman", "--account-id", &moto.account, "--region", REGION, "--as", "cli", "--out", o]));
    let script = out.join("setup.sh");
    (dir, script)
}

fn cli_env(moto: &Moto) -> Vec<(String, String)> {
    let mut env = moto.env();
    env.push(("AWS_DEFAULT_REGION".into(), REGION.into()));
    env.push(("AWS_PAGER".into(), String::new()));
    let path = env.iter().find(|(k, _)| k == "PATH").map(|(_, v)| v.clone()).unwrap_or_default();
    let bin = root().join("target/moto-venv/bin");
    env.retain(|(k, _)| k != "PATH");
    env.push(("PATH".into(), format!("{}:{path}", bin.display())));
    env
}

/// An access key id or anything named like a secret, anywhere in an export.
fn secrets_in(dir: &Path) -> Vec<String> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(p) = stack.pop() {
        if p.is_dir() {
            stack.extend(std::fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        let text = std::fs::read_to_string(&p).unwrap();
        for word in text.split(|c: char| !c.is_ascii_alphanumeric()) {
            let key_id = word.len() == 20
                && (word.starts_with("AKIA") || word.starts_with("ASIA"))
                && word.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
            if key_id || word == "SecretAccessKey" || word == "aws_iam_access_key_secret" {
                found.push(format!("{}: {word}", p.display()));
            }
        }
        if text.contains("Type: AWS::IAM::AccessKey") || text.contains("resource \"aws_iam_access_key\"") {
            found.push(format!("{}: an access key resource", p.display()));
        }
    }
    found
}

#[test]
fn cloudformation_template_passes_cfn_lint_and_deploys_to_what_apply_makes() {
    let dir = tempfile::tempdir().unwrap();
    let template = dir.path().join("pinpoint.yaml");
    let t = template.to_str().unwrap();
    let started = std::time::Instant::now();
    ok(&export(&["--setup", "all", "--bucket", BUCKET, "--project-id", PROJECT, "--as", "cloudformation", "--out", t]));
    assert!(secrets_in(dir.path()).is_empty(), "{:?}", secrets_in(dir.path()));

    // cfn-lint: exit bits 2 = an error (4 = a warning, 8 = informational). The guides' documents name
    // s3:HeadBucket, which is no IAM action: cfn-lint warns (W3037) and the template keeps the guide's document.
    let lint = run_tool(&venv_bin("cfn-lint"), &[t], &base_env());
    let code = lint.status.code().expect("cfn-lint exited");
    let errors: Vec<&str> = std::str::from_utf8(&lint.stdout).unwrap().lines().filter(|l| l.starts_with('E')).collect();
    assert!(code & 2 == 0 && errors.is_empty(), "cfn-lint exit {code}: {errors:?}\n{}", stdout(&lint));
    assert!(code == 0 || code == 4, "cfn-lint exit {code}:\n{}{}", stdout(&lint), stderr(&lint));
    let lint_time = started.elapsed();
    // The other shapes of the template lint clean too: postman alone (no parameters), the hardened trust.
    for (name, args) in [
        ("postman.yaml", vec!["--setup", "postman"]),
        ("hardened.yaml", vec!["--setup", "segment-import", "--bucket", BUCKET, "--project-id", PROJECT, "--harden"]),
    ] {
        let path = dir.path().join(name);
        let p = path.to_str().unwrap();
        ok(&export(&[&args[..], &["--as", "cloudformation", "--out", p]].concat()));
        let lint = run_tool(&venv_bin("cfn-lint"), &[p], &base_env());
        let code = lint.status.code().expect("cfn-lint exited");
        assert!(code == 0 || code == 4, "{name}: cfn-lint exit {code}:\n{}{}", stdout(&lint), stderr(&lint));
    }

    // Deployed with the AWS CLI to moto's CloudFormation, in moto's random account.
    let moto = Moto::shared();
    let _guard = moto.exclusive();
    let env = cli_env(moto);
    let aws = venv_bin("aws");
    let body = format!("file://{t}");
    let create = run_tool(
        &aws,
        &[
            "cloudformation",
            "create-stack",
            "--stack-name",
            "pinpoint-iam",
            "--template-body",
            &body,
            "--capabilities",
            "CAPABILITY_NAMED_IAM",
        ],
        &env,
    );
    ok(&create);
    ok(&run_tool(&aws, &["cloudformation", "wait", "stack-create-complete", "--stack-name", "pinpoint-iam"], &env));
    let outputs = run_tool(
        &aws,
        &["cloudformation", "describe-stacks", "--stack-name", "pinpoint-iam", "--output", "json"],
        &env,
    );
    ok(&outputs);
    let stack: Value = serde_json::from_slice(&outputs.stdout).unwrap();
    assert_eq!(stack["Stacks"][0]["StackStatus"], "CREATE_COMPLETE");
    let arns: Vec<&str> =
        stack["Stacks"][0]["Outputs"].as_array().unwrap().iter().map(|o| o["OutputValue"].as_str().unwrap()).collect();
    assert!(arns.contains(&format!("arn:aws:iam::{}:role/PinpointSegmentImport", moto.account).as_str()), "{arns:?}");

    // The documents (the project id and bucket from the parameters' defaults, the account and Region from the
    // stack), trusts and attachments are what apply makes. Only the owner differs: the stack owns its resources
    // (ManagedBy=cloudformation), so pinpoint-iam-wizard's apply and destroy leave them alone.
    let account = Account::read_blocking(moto);
    let mut diffs = account.differences_from_seeds(&moto.account, BUCKET, PROJECT);
    diffs.sort();
    let mut expected: Vec<String> =
        ["ImporterPinpointPolicy", "ImporterS3PassthroughPolicy", "ImporterS3Policy", "PostmanAccessPolicy"]
            .iter()
            .map(|p| format!("policy {p} not tagged ManagedBy"))
            .chain(
                ["ImporterPinpointRole", "ImporterS3Role", "PinpointSegmentImport"]
                    .iter()
                    .map(|r| format!("role {r} not tagged ManagedBy")),
            )
            .collect();
    expected.push("user PostmanUser not tagged ManagedBy".into());
    expected.sort();
    assert_eq!(diffs, expected, "{}", account.summary());
    assert!(account.roles.values().all(|r| !r.ours), "the stack's roles are not pinpoint-iam-wizard's");
    let text = std::fs::read_to_string(&template).unwrap();
    assert!(text.contains("  PostmanUser:\n    Type: AWS::IAM::User\n    Properties:\n      UserName: PostmanUser\n      Tags:\n        - Key: ManagedBy\n          Value: cloudformation\n"), "{text}");
    // pinpoint-iam-wizard's destroy deletes none of the stack's resources.
    let out = moto.run(&["destroy", "--setup", "all", "--yes", "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(Account::read_blocking(moto).roles.len(), 3, "the stack's roles stay");
    eprintln!("cfn-lint {lint_time:?}, whole test {:?}", started.elapsed());
}

fn account_of(moto: &Moto) -> Account {
    Account::read_blocking(moto)
}

#[test]
fn cli_script_run_twice_makes_what_apply_makes_and_the_second_run_changes_nothing() {
    let moto = Moto::shared();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("cli");
    let o = out.to_str().unwrap();
    ok(&export(&[
        "--setup",
        "all",
        "--account-id",
        &moto.account,
        "--region",
        REGION,
        "--bucket",
        BUCKET,
        "--project-id",
        PROJECT,
        "--as",
        "cli",
        "--out",
        o,
    ]));
    assert!(secrets_in(&out).is_empty(), "{:?}", secrets_in(&out));
    let script = out.join("setup.sh");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&script).unwrap().permissions().mode() & 0o777, 0o755);

    let _guard = moto.exclusive();
    let env = cli_env(moto);
    let started = std::time::Instant::now();
    let first = run_tool(&script, &[], &env);
    ok(&first);
    let first_time = started.elapsed();
    let after_first = account_of(moto);
    assert_eq!(after_first.differences_from_seeds(&moto.account, BUCKET, PROJECT), Vec::<String>::new());
    assert!(after_first.keys().is_empty(), "no key without --with-access-key: {:?}", after_first.keys());
    assert!(stdout(&first).is_empty(), "progress goes to stderr: {}", stdout(&first));
    let user = &after_first.users["PostmanUser"];
    assert!(user.tags.iter().any(|(k, v)| k == "pinpoint-iam-wizard:run" && v.len() == 16), "{:?}", user.tags);

    let started = std::time::Instant::now();
    let second = run_tool(&script, &[], &env);
    ok(&second);
    let second_time = started.elapsed();
    assert_eq!(account_of(moto), after_first, "the second run changed the account");
    let said = stderr(&second);
    for line in said.lines().filter(|l| !l.starts_with("done")) {
        assert!(line.ends_with(": unchanged") || line.ends_with("already attached"), "second run: {line}\n{said}");
    }
    eprintln!("script: first run {first_time:?}, second run {second_time:?}");
}

#[test]
fn cli_script_makes_a_key_only_when_asked_and_prints_it_once() {
    let moto = Moto::shared();
    let (_dir, script) = postman_script(moto);
    let _guard = moto.exclusive();
    let env = cli_env(moto);

    let first = run_tool(&script, &["--with-access-key"], &env);
    ok(&first);
    let key: Value = serde_json::from_slice(&first.stdout).unwrap();
    let id = key["AccessKey"]["AccessKeyId"].as_str().unwrap();
    assert!(key["AccessKey"]["SecretAccessKey"].as_str().is_some_and(|s| !s.is_empty()));
    let account = account_of(moto);
    assert_eq!(account.keys(), vec![("PostmanUser".to_string(), id.to_string())]);
    let tags = &account.users["PostmanUser"].tags;
    assert!(tags.contains(&(id.to_string(), "Application running outside AWS".to_string())), "{tags:?}");
    assert!(tags.iter().any(|(k, _)| *k == format!("pinpoint-iam-wizard:key:{id}")), "{tags:?}");

    let second = run_tool(&script, &["--with-access-key"], &env);
    ok(&second);
    assert!(second.stdout.is_empty(), "a second key was printed: {}", stdout(&second));
    assert_eq!(account_of(moto), account, "the second run changed the account");
    assert!(stderr(&second).contains("has 1 access key(s) already"), "{}", stderr(&second));

    let bad = run_tool(&script, &["--with-acces-key"], &env);
    assert_eq!(bad.status.code(), Some(2), "{}", stderr(&bad));
}

#[test]
fn cli_script_puts_back_a_changed_document_and_attachment_pruning_the_oldest_version() {
    let moto = Moto::shared();
    let (_dir, script) = postman_script(moto);
    let _guard = moto.exclusive();
    let env = cli_env(moto);
    ok(&run_tool(&script, &[], &env));
    let made = account_of(moto);

    // Someone edits the policy four times (IAM's limit of five versions reached) and detaches it.
    let aws = venv_bin("aws");
    let arn = format!("arn:aws:iam::{}:policy/PostmanAccessPolicy", moto.account);
    let other = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"ses:Get*","Resource":"*"}]}"#;
    for _ in 0..4 {
        let args =
            ["iam", "create-policy-version", "--policy-arn", &arn, "--policy-document", other, "--set-as-default"];
        ok(&run_tool(&aws, &args, &env));
    }
    ok(&run_tool(&aws, &["iam", "detach-user-policy", "--user-name", "PostmanUser", "--policy-arn", &arn], &env));

    let again = run_tool(&script, &[], &env);
    ok(&again);
    let said = stderr(&again);
    assert!(said.contains("policy PostmanAccessPolicy: updated"), "{said}");
    assert!(said.contains("user PostmanUser: PostmanAccessPolicy attached"), "{said}");
    let fixed = account_of(moto);
    let (policy, before) = (&fixed.policies["PostmanAccessPolicy"], &made.policies["PostmanAccessPolicy"]);
    assert_eq!(policy.document, before.document);
    assert_eq!(policy.versions, 5, "the oldest version makes room for the new one");
    let versions = run_tool(
        &aws,
        &["iam", "list-policy-versions", "--policy-arn", &arn, "--query", "Versions[].VersionId", "--output", "text"],
        &env,
    );
    ok(&versions);
    assert!(!stdout(&versions).split_whitespace().any(|v| v == "v1"), "v1 was not pruned: {}", stdout(&versions));
    assert_eq!(fixed.users, made.users);
}

#[test]
fn cli_script_touches_nothing_when_a_name_is_someone_elses() {
    let moto = Moto::shared();
    let (_dir, script) = postman_script(moto);
    let _guard = moto.exclusive();
    let env = cli_env(moto);
    ok(&run_tool(&venv_bin("aws"), &["iam", "create-user", "--user-name", "PostmanUser"], &env));
    let run = run_tool(&script, &[], &env);
    assert_eq!(run.status.code(), Some(1), "{}", stderr(&run));
    assert!(stderr(&run).contains("user PostmanUser"), "{}", stderr(&run));
    let account = account_of(moto);
    assert!(account.policies.is_empty(), "a policy was written: {}", account.summary());
    assert!(account.users["PostmanUser"].attached.is_empty());
}

/// The Terraform file as python-hcl2 reads it (quotes stripped, blocks as plain objects).
fn parse_hcl(file: &Path) -> Value {
    let program = "import hcl2, json, sys\n\
                   from hcl2.utils import SerializationOptions\n\
                   o = SerializationOptions(strip_string_quotes=True, explicit_blocks=False, with_comments=False)\n\
                   print(json.dumps(hcl2.load(open(sys.argv[1]), serialization_options=o)))";
    let o = run_tool(&venv_bin("python"), &["-c", program, file.to_str().unwrap()], &base_env());
    ok(&o);
    serde_json::from_slice(&o.stdout).unwrap()
}

/// Blocks of one kind (`resource`, `variable`, …) as (type, name, body), flattened from python-hcl2's lists.
fn blocks<'a>(hcl: &'a Value, kind: &str) -> Vec<(&'a str, &'a str, &'a Value)> {
    let mut out = Vec::new();
    for entry in hcl[kind].as_array().into_iter().flatten() {
        for (ty, named) in entry.as_object().unwrap() {
            for (name, body) in named.as_object().unwrap() {
                out.push((ty.as_str(), name.as_str(), body));
            }
        }
    }
    out
}

/// A heredoc JSON template with its interpolations evaluated as Terraform would, for known expressions only.
fn evaluate(heredoc: &str, values: &[(&str, String)]) -> Value {
    let body = heredoc.strip_prefix("<<EOT\n").and_then(|b| b.trim_end().strip_suffix("EOT")).expect("a <<EOT heredoc");
    let mut text = String::new();
    let mut rest = body;
    while let Some(i) = rest.find("${") {
        let escaped = i > 0 && rest.as_bytes()[i - 1] == b'$';
        text.push_str(&rest[..i]);
        let end = rest[i..].find('}').expect("a closed interpolation") + i;
        if escaped {
            // `$${` is a literal `${`.
            text.pop();
            text.push_str(&rest[i..=end]);
        } else {
            let expr = &rest[i + 2..end];
            let value = values.iter().find(|(k, _)| *k == expr).unwrap_or_else(|| panic!("unknown ${{{expr}}}"));
            text.push_str(&value.1);
        }
        rest = &rest[end + 1..];
    }
    text.push_str(rest);
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

#[test]
fn terraform_files_parse_and_hold_the_rendered_documents() {
    for (setup, harden) in [(Selection::all(), false), ("segment-import".parse::<Selection>().unwrap(), true)] {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("tf");
        let o = out.to_str().unwrap();
        let mut args =
            vec!["--region", "cn-north-1", "--setup", setup.as_str(), "--bucket", BUCKET, "--project-id", PROJECT];
        if harden {
            args.push("--harden");
        }
        args.extend(["--as", "terraform", "--out", o]);
        let started = std::time::Instant::now();
        ok(&export(&args));
        assert!(secrets_in(&out).is_empty(), "{:?}", secrets_in(&out));
        let hcl = parse_hcl(&out.join("main.tf"));
        eprintln!("python-hcl2 parse {:?}", started.elapsed());

        let account = "210987654321";
        let mut values: Vec<(&str, String)> = vec![
            ("data.aws_partition.current.partition", "aws-cn".into()),
            ("data.aws_caller_identity.current.account_id", account.into()),
        ];
        // A variable block has one label: python-hcl2 gives `[{name: body}, …]`.
        let variables = hcl["variable"].as_array().unwrap().iter().flat_map(|v| v.as_object().unwrap());
        for (name, body) in variables {
            values.push((
                match name.as_str() {
                    "region" => "var.region",
                    "bucket" => "var.bucket",
                    "project_id" => "var.project_id",
                    other => panic!("unexpected variable {other}"),
                },
                body["default"].as_str().unwrap().to_string(),
            ));
        }
        let data: Vec<&str> = blocks(&hcl, "data").iter().map(|(t, _, _)| *t).collect();
        assert_eq!(data, ["aws_partition", "aws_caller_identity"]);

        let mut params = Params::new(setup, account.parse().unwrap(), "cn-north-1".parse().unwrap());
        params.bucket = Some(BUCKET.parse().unwrap());
        params.project = Some(PROJECT.parse().unwrap());
        params.harden = harden;
        let desired = params.desired().unwrap();

        let resources = blocks(&hcl, "resource");
        let of = |ty: &str| -> Vec<(&str, &Value)> {
            resources.iter().filter(|(t, _, _)| *t == ty).map(|(_, n, b)| (*n, *b)).collect()
        };
        assert!(of("aws_iam_access_key").is_empty());
        let policies = of("aws_iam_policy");
        assert_eq!(policies.len(), desired.policies.len());
        let mut policy_ids = std::collections::BTreeMap::new();
        for (id, body) in &policies {
            let name = body["name"].as_str().unwrap();
            let want = desired.policies.iter().find(|p| p.name.as_str() == name).unwrap();
            assert_eq!(evaluate(body["policy"].as_str().unwrap(), &values), want.document, "policy {name}");
            assert_eq!(body["tags"]["ManagedBy"], "terraform");
            policy_ids.insert(format!("${{aws_iam_policy.{id}.arn}}"), name.to_string());
        }
        let roles = of("aws_iam_role");
        assert_eq!(roles.len(), desired.roles.len());
        for (id, body) in &roles {
            let name = body["name"].as_str().unwrap();
            let want = desired.roles.iter().find(|r| r.name.as_str() == name).unwrap();
            assert_eq!(evaluate(body["assume_role_policy"].as_str().unwrap(), &values), want.trust, "role {name}");
            let mut attached: Vec<String> = of("aws_iam_role_policy_attachment")
                .iter()
                .filter(|(_, a)| a["role"] == format!("${{aws_iam_role.{id}.name}}"))
                .map(|(_, a)| policy_ids[a["policy_arn"].as_str().unwrap()].clone())
                .collect();
            attached.sort();
            let mut expected: Vec<String> = want.policies.iter().map(|p| p.to_string()).collect();
            expected.sort();
            assert_eq!(attached, expected, "role {name}");
        }
        let users = of("aws_iam_user");
        assert_eq!(users.len(), desired.users.len());
        for (id, body) in &users {
            let attached: Vec<&String> = of("aws_iam_user_policy_attachment")
                .iter()
                .filter(|(_, a)| a["user"] == format!("${{aws_iam_user.{id}.name}}"))
                .map(|(_, a)| &policy_ids[a["policy_arn"].as_str().unwrap()])
                .collect();
            assert_eq!(attached, [&desired.users[0].policies[0].to_string()], "user {}", body["name"]);
        }
    }
}

#[test]
fn documents_are_a_file_per_resource_equal_to_what_apply_writes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("docs");
    ok(&export(&[
        "--setup",
        "all",
        "--account-id",
        "210987654321",
        "--region",
        REGION,
        "--bucket",
        BUCKET,
        "--project-id",
        PROJECT,
        "--as",
        "documents",
        "--out",
        out.to_str().unwrap(),
    ]));
    for (file, seed_name) in [
        ("policies/PostmanAccessPolicy.json", "postman-access-policy"),
        ("policies/ImporterS3Policy.json", "importer-s3-policy"),
        ("policies/ImporterS3PassthroughPolicy.json", "importer-s3-passthrough-policy"),
        ("policies/ImporterPinpointPolicy.json", "importer-pinpoint-policy"),
        ("trust/PinpointSegmentImport.json", "pinpoint-segment-import-trust"),
    ] {
        let doc: Value = serde_json::from_str(&std::fs::read_to_string(out.join(file)).unwrap()).unwrap();
        assert_eq!(doc, seed(seed_name, "210987654321", REGION, BUCKET, PROJECT), "{file}");
    }
    let readme = std::fs::read_to_string(out.join("README.md")).unwrap();
    assert!(readme.contains(&format!("pinpoint-iam-wizard {}", env!("CARGO_PKG_VERSION"))), "{readme}");
    assert!(secrets_in(&out).is_empty());
}

#[test]
fn bad_input_is_refused_with_exit_2_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();
    let existing = dir.path().join("t.yaml");
    std::fs::write(&existing, "keep me").unwrap();
    let e = existing.to_str().unwrap();
    let full = dir.path().join("full");
    std::fs::create_dir(&full).unwrap();
    std::fs::write(full.join("x"), "").unwrap();
    let f = full.to_str().unwrap();
    let new = dir.path().join("new");
    let n = new.to_str().unwrap();
    let missing_parent = dir.path().join("no-such-dir/t.yaml").display().to_string();
    for (args, needle) in [
        (vec!["--setup", "postman", "--as", "cloudformation", "--out", e], "--force"),
        (vec!["--setup", "postman", "--as", "cloudformation", "--out", d], "is a directory"),
        (vec!["--setup", "postman", "--as", "terraform", "--out", e, "--force"], "not a directory"),
        (vec!["--setup", "postman", "--as", "documents", "--account-id", "210987654321", "--out", f], "--force"),
        (vec!["--setup", "segment-import", "--project-id", PROJECT, "--as", "cloudformation", "--out", n], "--bucket"),
        (vec!["--setup", "postman", "--as", "cli", "--out", n], "--account-id"),
        (
            vec![
                "--setup",
                "all",
                "--bucket",
                BUCKET,
                "--project-id",
                PROJECT,
                "--account-id",
                "210987654321",
                "--as",
                "documents",
                "--out",
                n,
            ],
            "--region",
        ),
        (vec!["--setup", "postman", "--as", "yaml", "--out", n], "--as"),
        // A mistyped --out is never created as a whole new tree.
        (vec!["--setup", "postman", "--as", "cloudformation", "--out", &missing_parent], "does not exist"),
    ] {
        let o = export(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(needle), "{args:?}: {}", stderr(&o));
        assert!(!new.exists(), "{args:?} wrote {n}");
    }
    assert_eq!(std::fs::read_to_string(&existing).unwrap(), "keep me");
    // With --force the template replaces the file; CloudFormation needs no account id and no credentials.
    ok(&export(&["--setup", "postman", "--as", "cloudformation", "--out", e, "--force"]));
    assert!(std::fs::read_to_string(&existing).unwrap().contains("AWS::IAM::User"));
}

#[test]
fn without_account_id_the_account_comes_from_sts_when_credentials_work() {
    let moto = Moto::shared();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("docs");
    let o = moto.run(&["export", "--setup", "postman", "--as", "documents", "--out", out.to_str().unwrap()]);
    ok(&o);
    assert!(stderr(&o).contains(&format!("Account {} from STS", moto.account)), "{}", stderr(&o));
    let doc = std::fs::read_to_string(out.join("policies/PostmanAccessPolicy.json")).unwrap();
    assert!(doc.contains(&format!(":{}:apps/*", moto.account)), "{doc}");
}

/// The real binary in the working directory `cwd`, with no AWS configuration.
fn export_in(cwd: &Path, args: &[&str]) -> Output {
    command(BIN)
        .arg("export")
        .args(args)
        .env_clear()
        .envs(base_env())
        .current_dir(cwd)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run the binary")
}

#[test]
fn out_dash_is_standard_output_for_one_file_and_refused_for_a_directory() {
    let dir = tempfile::tempdir().unwrap();
    let setup = ["--setup", "segment-import", "--bucket", BUCKET, "--project-id", PROJECT];
    let piped = export_in(dir.path(), &[&setup[..], &["--as", "cloudformation", "--out", "-"]].concat());
    ok(&piped);
    let file = dir.path().join("t.yaml");
    ok(&export_in(dir.path(), &[&setup[..], &["--as", "cloudformation", "--out", file.to_str().unwrap()]].concat()));
    // The same template, apart from the command line it names as its origin.
    let lines = |t: &str| t.lines().filter(|l| !l.contains("pinpoint-iam-wizard export")).map(String::from).collect();
    let (on_stdout, in_file): (Vec<String>, Vec<String>) =
        (lines(&stdout(&piped)), lines(&std::fs::read_to_string(&file).unwrap()));
    assert_eq!(on_stdout, in_file, "standard output holds the template, and only it");
    assert!(!dir.path().join("-").exists(), "a file named - was written");

    for format in ["cli", "terraform", "documents"] {
        let args = [&setup[..], &["--account-id", "210987654321", "--region", REGION, "--as", format, "--out", "-"]];
        let o = export_in(dir.path(), &args.concat());
        assert_eq!(o.status.code(), Some(2), "{format}: {}", stderr(&o));
        assert!(stderr(&o).contains("--out \"-\"") && stderr(&o).contains("standard output"), "{}", stderr(&o));
        assert!(stdout(&o).is_empty(), "{format}: {}", stdout(&o));
        assert!(!dir.path().join("-").exists(), "{format}: a directory named - was written");
    }
}
