//! Which credentials sign (issue 7 item 1), with the AWS CLI's precedence: an explicit `--profile` first, then
//! the environment's keys, then `AWS_PROFILE` (docs.aws.amazon.com/cli/latest/userguide/cli-chap-configure.html,
//! "Configuration and credentials precedence"; botocore#486 "Explicit profile overrides environment
//! variables"). An unknown profile is refused. The proxy reports the access key each request was signed
//! with; before any write, apply prints the account, the caller ARN and where the credentials came from.

mod support;

use std::path::PathBuf;
use support::proxy::FaultProxy;
use support::*;

/// A user of the moto account and its access key.
struct Caller {
    name: String,
    arn: String,
    key: String,
    secret: String,
}

fn caller(moto: &Moto, name: &str) -> Caller {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let iam = moto.iam().await;
        let user = iam.create_user().user_name(name).send().await.unwrap();
        let k = iam.create_access_key().user_name(name).send().await.unwrap().access_key.unwrap();
        Caller {
            name: name.to_string(),
            arn: user.user().unwrap().arn().to_string(),
            key: k.access_key_id,
            secret: k.secret_access_key,
        }
    })
}

/// AWS config and credentials files holding one profile, `dev`.
struct Profiles {
    _dir: tempfile::TempDir,
    config: PathBuf,
    credentials: PathBuf,
}

fn profiles(dev: &Caller) -> Profiles {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    let credentials = dir.path().join("credentials");
    std::fs::write(&config, format!("[profile dev]\nregion = {REGION}\n")).unwrap();
    std::fs::write(
        &credentials,
        format!("[dev]\naws_access_key_id = {}\naws_secret_access_key = {}\n", dev.key, dev.secret),
    )
    .unwrap();
    Profiles { _dir: dir, config, credentials }
}

/// The proxy's environment with the given files, and the environment's keys if any.
fn env(
    proxy: &FaultProxy,
    moto: &Moto,
    files: &Profiles,
    keys: Option<&Caller>,
    aws_profile: Option<&str>,
) -> Vec<(String, String)> {
    let replaced = ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"];
    let mut env: Vec<(String, String)> =
        proxy.env(moto).into_iter().filter(|(k, _)| !replaced.contains(&k.as_str())).collect();
    env.push(("AWS_CONFIG_FILE".into(), files.config.display().to_string()));
    env.push(("AWS_SHARED_CREDENTIALS_FILE".into(), files.credentials.display().to_string()));
    if let Some(k) = keys {
        env.push(("AWS_ACCESS_KEY_ID".into(), k.key.clone()));
        env.push(("AWS_SECRET_ACCESS_KEY".into(), k.secret.clone()));
    }
    if let Some(p) = aws_profile {
        env.push(("AWS_PROFILE".into(), p.into()));
    }
    env
}

const PLAN: [&str; 3] = ["plan", "--setup", "postman"];
const APPLY: [&str; 6] = ["apply", "--setup", "postman", "--yes", "--format", "json"];

/// Which key signed, and what apply's banner said, for one way of choosing credentials.
fn check(moto: &Moto, global: &[&str], env: &[(String, String)], proxy: &FaultProxy, want: &Caller, source: &str) {
    let plan: Vec<&str> = global.iter().chain(PLAN.iter()).copied().collect();
    let out = run_with_env(&plan, env);
    assert!(out.status.success(), "{plan:?}: {}", stderr(&out));
    assert_eq!(
        proxy.access_keys_seen(),
        std::slice::from_ref(&want.key),
        "{plan:?} must sign with {}'s key only",
        want.name
    );
    let apply: Vec<&str> = global.iter().chain(APPLY.iter()).copied().collect();
    let out = run_with_env(&apply, env);
    let err = stderr(&out);
    assert!(out.status.success(), "{apply:?}: {err}");
    assert_eq!(
        proxy.access_keys_seen(),
        std::slice::from_ref(&want.key),
        "{apply:?} must sign with {}'s key only",
        want.name
    );
    for needle in [moto.account.as_str(), want.arn.as_str(), source] {
        assert!(
            err.contains(needle),
            "{apply:?}: stderr does not name {needle:?} (account, caller ARN, source):\n{err}"
        );
    }
}

#[test]
fn an_explicit_profile_beats_environment_keys() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    let (dev, envkeys) = (caller(moto, "dev-user"), caller(moto, "env-user"));
    let files = profiles(&dev);
    let proxy = FaultProxy::start(moto);
    let env = env(&proxy, moto, &files, Some(&envkeys), None);
    let source = format!("profile dev ({}", files.credentials.display());
    check(moto, &["--profile", "dev"], &env, &proxy, &dev, &source);
}

#[test]
fn environment_keys_beat_aws_profile() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    let (dev, envkeys) = (caller(moto, "dev-user"), caller(moto, "env-user"));
    let files = profiles(&dev);
    let proxy = FaultProxy::start(moto);
    let env = env(&proxy, moto, &files, Some(&envkeys), Some("dev"));
    check(moto, &[], &env, &proxy, &envkeys, "environment variables");
}

#[test]
fn aws_profile_alone_chooses_the_profile() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    let dev = caller(moto, "dev-user");
    let files = profiles(&dev);
    let proxy = FaultProxy::start(moto);
    let env = env(&proxy, moto, &files, None, Some("dev"));
    let source = format!("profile dev ({}", files.credentials.display());
    check(moto, &[], &env, &proxy, &dev, &source);
}

#[test]
fn an_unknown_profile_is_refused_with_exit_2_naming_it_and_the_files_looked_in() {
    let moto = Moto::shared();
    let dev =
        Caller { name: "dev".into(), arn: String::new(), key: "AKIAIOSFODNN7EXAMPLE".into(), secret: "unused".into() };
    let files = profiles(&dev);
    let proxy = FaultProxy::start(moto);
    let keys = Caller { name: "env".into(), arn: String::new(), key: "testing".into(), secret: "testing".into() };
    for (global, env) in [
        (vec!["--profile", "no-such-profile"], env(&proxy, moto, &files, Some(&keys), None)),
        (vec![], env(&proxy, moto, &files, None, Some("no-such-profile"))),
    ] {
        let args: Vec<&str> = global.iter().chain(PLAN.iter()).copied().collect();
        let out = run_with_env(&args, &env);
        let err = stderr(&out);
        let how = if global.is_empty() {
            "AWS_PROFILE=no-such-profile"
        } else {
            "--profile no-such-profile with keys in the environment"
        };
        assert_eq!(out.status.code(), Some(2), "{how}: stderr:\n{err}");
        for needle in
            ["no-such-profile".to_string(), files.config.display().to_string(), files.credentials.display().to_string()]
        {
            assert!(err.contains(&needle), "{how}: stderr does not name {needle}:\n{err}");
        }
        assert!(proxy.seen().is_empty(), "{how}: refused, yet sent {:?}", proxy.seen());
    }
}
