//! Bad input is refused before any call (issue 7 item 8): exit 2, naming the field. "Before any call" is
//! checked, not assumed: each case runs through a proxy that must see no request at all.

mod support;

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::process::{Command, Stdio};
use support::proxy::FaultProxy;
use support::*;

const BUCKET: &str = "pinpoint-imports";
const PROJECT: &str = "0123456789abcdef0123456789abcdef";

/// Run the binary through a fresh proxy, with extra (possibly non-UTF-8) variables; `None` if it exited 2
/// naming `field` without sending a request, else what went wrong.
fn refused(moto: &Moto, args: &[&str], vars: &[(&str, &OsStr)], field: &str) -> Option<String> {
    let proxy = FaultProxy::start(moto);
    let out = Command::new(BIN)
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
    for url in ["not a url", "ftp://127.0.0.1:1", "http://", "127.0.0.1:4566"] {
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
