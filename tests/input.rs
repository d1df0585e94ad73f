//! Bad input is refused before any call (issue 7 item 8): exit 2, naming the field. "Before any call" is
//! checked, not assumed: each case runs through a proxy that must see no request at all.

mod support;

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::process::Stdio;
use support::proxy::FaultProxy;
use support::*;

const BUCKET: &str = "pinpoint-imports";
const PROJECT: &str = "0123456789abcdef0123456789abcdef";

/// Run the binary through a fresh proxy, with extra (possibly non-UTF-8) variables; `None` if it exited 2
/// naming `field` without sending a request, else what went wrong.
fn refused(moto: &Moto, args: &[&str], vars: &[(&str, &OsStr)], field: &str) -> Option<String> {
    let proxy = FaultProxy::start(moto);
    let out = command(BIN)
        .args(args)
        .env_clear()
        .envs(proxy.env(moto))
        .envs(vars.iter().copied())
        .stdin(Stdio::null())
        .output()
        .expect("run the binary");
    let err = stderr(&out);
    let mut wrong = Vec::new();
    if out.status.code() != Some(2) {
        wrong.push(format!("exit {:?}, expected 2", out.status.code()));
    }
    if !err.contains(field) {
        wrong.push(format!("stderr does not name {field}"));
    }
    if !proxy.seen().is_empty() {
        wrong.push(format!("sent {:?}", proxy.seen()));
    }
    if let Some(dump) = debug_dump(&err) {
        wrong.push(format!("Rust Debug output: {dump}"));
    }
    (!wrong.is_empty()).then(|| format!("{args:?} {vars:?}: {}\n    stderr: {}", wrong.join("; "), err.trim()))
}

fn apply_with(extra: &[&'static str]) -> Vec<&'static str> {
    let mut args = vec!["apply", "--setup", "all", "--bucket", BUCKET, "--project-id", PROJECT, "--yes"];
    args.extend_from_slice(extra);
    args
}

#[test]
fn bad_tags_and_names_are_refused_before_any_call() {
    let moto = Moto::shared();
    // IAM allows 50 tags per resource; ManagedBy is one of them.
    let many: Vec<String> = (0..50).map(|i| format!("k{i}=v")).collect();
    let mut too_many = apply_with(&[]);
    for t in &many {
        too_many.extend(["--tag", t.as_str()]);
    }
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (apply_with(&["--tag", "team=a", "--tag", "team=b"]), "--tag"),
        (apply_with(&["--tag", "managedby=someone"]), "--tag"),
        (apply_with(&["--tag", "MANAGEDBY=someone"]), "--tag"),
        (apply_with(&["--tag", "ManagedBy=someone"]), "--tag"),
        (too_many, "--tag"),
        // IAM names are unique regardless of case: these would collide with the Pinpoint role and policy.
        (apply_with(&["--name", "s3-role-name=importerpinpointrole"]), "s3-role-name"),
        (apply_with(&["--name", "s3-policy-name=IMPORTERPINPOINTPOLICY"]), "s3-policy-name"),
        (apply_with(&["--name", "postman-user-name=OpsA", "--name", "postman-user-name=OpsB"]), "postman-user-name"),
    ];
    let wrong: Vec<String> = cases.iter().filter_map(|(args, field)| refused(moto, args, &[], field)).collect();
    assert!(wrong.is_empty(), "not refused as they should be:\n{}", wrong.join("\n"));
}

#[test]
fn an_invalid_endpoint_url_is_refused_naming_where_it_came_from() {
    let moto = Moto::shared();
    let mut wrong = Vec::new();
    // The url crate trims the first two and encodes the third, but the SDK refuses all three at its first request.
    let odd = ["http://127.0.0.1:4566 ", "\thttp://127.0.0.1:4566", "http://127.0.0.1:4566/a b"];
    for url in ["not a url", "ftp://127.0.0.1:1", "http://", "127.0.0.1:4566"].into_iter().chain(odd) {
        let args = ["--endpoint-url", url, "plan", "--setup", "postman"];
        wrong.extend(refused(moto, &args, &[], "--endpoint-url"));
        let from_env = [("AWS_ENDPOINT_URL", OsStr::new(url))];
        wrong.extend(refused(moto, &["plan", "--setup", "postman"], &from_env, "AWS_ENDPOINT_URL"));
    }
    assert!(wrong.is_empty(), "not refused as they should be:\n{}", wrong.join("\n"));
}

#[test]
fn a_non_utf8_aws_variable_is_refused_naming_it() {
    let moto = Moto::shared();
    let bad = OsStr::from_bytes(b"eu-west-1\xff");
    let mut wrong = Vec::new();
    for var in ["AWS_REGION", "AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_CONFIG_FILE"] {
        wrong.extend(refused(moto, &["plan", "--setup", "postman"], &[(var, bad)], var));
    }
    assert!(wrong.is_empty(), "not refused as they should be:\n{}", wrong.join("\n"));
}

/// A run of the binary with the proxy's environment (its own `--endpoint-url` in `args` wins).
fn through(moto: &Moto, proxy: &FaultProxy, args: &[&str]) -> std::process::Output {
    command(BIN).args(args).env_clear().envs(proxy.env(moto)).stdin(Stdio::null()).output().expect("run")
}

#[test]
fn a_password_in_the_endpoint_url_is_never_printed() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    let proxy = FaultProxy::start(moto);
    let with_password = proxy.url().replace("http://", "http://ops:hunter2@");
    let cases: Vec<(Vec<&str>, Option<i32>)> = vec![
        // The banner, every --debug trace line, and the key's output.
        (vec!["--debug", "--endpoint-url", &with_password, "apply", "--setup", "postman", "--yes"], Some(0)),
        // Refused, with the rule, before any request.
        (vec!["--endpoint-url", "http://ops:hunter2@127.0.0.1:9/a b", "plan", "--setup", "postman"], Some(2)),
        (vec!["--endpoint-url", "ops:hunter2@127.0.0.1:9", "plan", "--setup", "postman", "--format", "json"], Some(2)),
        // A failure at the endpoint names it.
        (vec!["--endpoint-url", "http://ops:hunter2@127.0.0.1:9", "plan", "--setup", "postman"], Some(1)),
    ];
    let mut wrong = Vec::new();
    for (args, code) in &cases {
        let out = through(moto, &proxy, args);
        let said = format!("{}{}", stdout(&out), stderr(&out));
        if out.status.code() != *code {
            wrong.push(format!("{args:?}: exit {:?}, expected {code:?}: {}", out.status.code(), stderr(&out)));
        }
        if said.contains("hunter2") {
            let line = said.lines().find(|l| l.contains("hunter2")).unwrap_or_default();
            wrong.push(format!("{args:?} printed the password: {line}"));
        }
        if !said.contains("ops:****@") {
            wrong.push(format!("{args:?} did not name the endpoint (password masked): {}", stderr(&out)));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn json_usage_errors_name_the_missing_argument() {
    for (args, missing) in [
        (vec!["plan", "--format", "json"], "--setup <SETUP>"),
        (vec!["destroy", "--format", "json"], "--setup <SETUP>"),
        (vec!["apply", "--setup", "postman", "--format", "json", "--tag"], "--tag"),
    ] {
        let out = run_with_env(&args, &base_env());
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let j = json(&out);
        let error = j["error"].as_str().unwrap();
        assert!(error.contains(missing), "{args:?}: the JSON error does not name {missing}: {error:?}");
        assert_eq!(j["exit_code"], 2);
    }
}

#[test]
fn options_of_another_setup_are_refused_naming_the_setup_they_belong_to() {
    let moto = Moto::shared();
    let postman = |extra: &[&'static str]| {
        let mut args = vec!["plan", "--setup", "postman"];
        args.extend_from_slice(extra);
        args
    };
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (postman(&["--bucket", BUCKET]), "--bucket"),
        (postman(&["--project-id", PROJECT]), "--project-id"),
        (postman(&["--name", "s3-role-name=ImporterS3RoleX"]), "--name s3-role-name"),
        (postman(&["--harden"]), "--harden"),
        (vec!["destroy", "--setup", "postman", "--yes", "--name", "pinpoint-role-name=X"], "--name pinpoint-role-name"),
        (
            vec![
                "apply",
                "--setup",
                "segment-import",
                "--bucket",
                BUCKET,
                "--project-id",
                PROJECT,
                "--yes",
                "--name",
                "postman-user-name=Ops",
            ],
            "--name postman-user-name",
        ),
    ];
    let mut wrong = Vec::new();
    for (args, field) in &cases {
        wrong.extend(refused(moto, args, &[], field));
        let err = stderr(&run_with_env(args, &moto.env()));
        let owner = if field.contains("postman") { "belongs to postman" } else { "belongs to segment-import" };
        if !err.contains(owner) {
            wrong.push(format!("{args:?}: does not say it {owner}: {err}"));
        }
    }
    assert!(wrong.is_empty(), "not refused as they should be:\n{}", wrong.join("\n"));
}

#[test]
fn help_lists_every_name_option_and_the_wizard_options_apart() {
    let help = stdout(&run_with_env(&["plan", "--help"], &base_env()));
    for setup in pinpoint_iam_wizard::setup::SETUPS {
        for field in setup.names {
            let line = format!("{} ({})", field.option(), field.default);
            assert!(help.contains(&line), "plan --help does not list {line}:\n{help}");
        }
    }
    // --clipboard-timeout is the wizard's, not one of the AWS options every command takes.
    let help = stdout(&run_with_env(&["--help"], &base_env()));
    let aws = help.find("AWS options (any command):").expect("the AWS options heading");
    let wizard = help.find("Wizard options:").unwrap_or_else(|| panic!("no heading for the wizard's options:\n{help}"));
    let option = help.find("--clipboard-timeout").expect("--clipboard-timeout is listed");
    assert!(aws < wizard && wizard < option, "--clipboard-timeout is not under the wizard's heading:\n{help}");
    assert!(help[wizard..].contains("--clipboard-timeout"), "{help}");
}

#[test]
fn the_wizard_never_shows_a_password_in_the_endpoint_url() {
    let moto = Moto::shared();
    let mut env = moto.env();
    for (k, v) in env.iter_mut() {
        if k == "AWS_ENDPOINT_URL" {
            *v = v.replace("http://", "http://ops:hunter2@");
        }
    }
    let mut term = support::term::Term::spawn(&env);
    term.wait_for("What to set up");
    term.send("1");
    term.send(support::term::ENTER);
    term.wait_for(&moto.account);
    let screen = term.screen();
    term.send(support::term::CTRL_C);
    assert!(screen.contains("ops:****@127.0.0.1"), "the identity screen names the endpoint:\n{screen}");
    assert!(!screen.contains("hunter2") && !String::from_utf8_lossy(&term.raw()).contains("hunter2"), "{screen}");
}
