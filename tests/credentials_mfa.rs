//! MFA as the AWS CLI does it (issue 18 item 3), and credential failures in plain words (item 6).
//!
//! The proxy answers `AssumeRole` with `AccessDenied` unless it carries `SerialNumber` and `TokenCode`, as a
//! role whose trust demands MFA. A headless command on a terminal asks once; without a terminal it uses a
//! session cached in `~/.aws/cli/cache` (by us or by the AWS CLI) or refuses before any request.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use support::proxy::{Fault, FaultProxy, Rule, When};
use support::term::{CTRL_C, ENTER, Term};
use support::*;

const MFA: Fault = Fault::DenyUnless(&["SerialNumber", "TokenCode"]);
const PLAN: [&str; 5] = ["--profile", "ops", "plan", "--setup", "postman"];

/// A home with AWS files: profile `base` holds a user's keys; `ops` assumes `admin-role` from it (with
/// `mfa_serial` when `mfa`).
struct Home {
    dir: tempfile::TempDir,
    serial: String,
}

impl Home {
    fn path(&self) -> &Path {
        self.dir.path()
    }

    fn cache(&self) -> PathBuf {
        self.path().join(".aws/cli/cache")
    }

    fn cached(&self) -> Vec<PathBuf> {
        std::fs::read_dir(self.cache()).map(|d| d.map(|e| e.unwrap().path()).collect()).unwrap_or_default()
    }
}

fn home(moto: &Moto, mfa: bool) -> Home {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let (key, secret, role) = rt.block_on(async {
        let iam = moto.iam().await;
        iam.create_user().user_name("base-user").send().await.unwrap();
        let k = iam.create_access_key().user_name("base-user").send().await.unwrap().access_key.unwrap();
        let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}"#;
        let r = iam.create_role().role_name("admin-role").assume_role_policy_document(trust).send().await.unwrap();
        (k.access_key_id, k.secret_access_key, r.role.unwrap().arn)
    });
    let dir = tempfile::tempdir().unwrap();
    let serial = format!("arn:aws:iam::{}:mfa/ops", moto.account);
    let mfa_line = if mfa { format!("mfa_serial = {serial}\n") } else { String::new() };
    std::fs::create_dir_all(dir.path().join(".aws")).unwrap();
    std::fs::write(
        dir.path().join(".aws/config"),
        format!("[default]\nregion = {REGION}\n[profile ops]\nrole_arn = {role}\nsource_profile = base\n{mfa_line}"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join(".aws/credentials"),
        format!("[base]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n"),
    )
    .unwrap();
    Home { dir, serial }
}

/// The environment of a process in `home`, reaching moto through `proxy`, with no keys of its own.
fn env_in(home: &Home, proxy: &FaultProxy, moto: &Moto) -> Vec<(String, String)> {
    let dropped =
        ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "HOME"];
    let mut env: Vec<(String, String)> =
        proxy.env(moto).into_iter().filter(|(k, _)| !dropped.contains(&k.as_str())).collect();
    env.push(("HOME".into(), home.path().display().to_string()));
    env.push(("AWS_DEFAULT_REGION".into(), REGION.into()));
    env
}

fn mfa_proxy(moto: &Moto) -> FaultProxy {
    let proxy = FaultProxy::start(moto);
    proxy.add_rule(Rule::new("AssumeRole", When::Always, MFA));
    proxy
}

/// `aws --profile ops sts get-caller-identity` with no controlling terminal, the code on standard input (as
/// Python's getpass falls back to).
fn aws_cli_with_code(env: &[(String, String)], code: &str) -> std::process::Output {
    use std::io::Write;
    use std::os::unix::process::CommandExt;
    let mut cmd = Command::new(root().join("target/moto-venv/bin/aws"));
    cmd.args(["--profile", "ops", "sts", "get-caller-identity"])
        .env_clear()
        .envs(env.iter().cloned())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    // SAFETY: setsid(2) in the child before exec: it only detaches the child from our terminal.
    unsafe {
        cmd.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    let mut child = cmd.spawn().expect("run the AWS CLI");
    child.stdin.take().unwrap().write_all(format!("{code}\n").as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn a_terminal_is_asked_once_and_the_session_is_cached_for_the_next_command_and_the_aws_cli() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    let home = home(moto, true);
    let proxy = mfa_proxy(moto);
    let env = env_in(&home, &proxy, moto);

    let mut term = Term::spawn_args(&env, &PLAN);
    term.wait_for(&format!("Enter MFA code for {}:", home.serial));
    term.send(&format!("123456{ENTER}"));
    assert_eq!(term.wait_exit(), 0, "{}", term.screen());
    assert_eq!(proxy.count("AssumeRole"), 1, "asked once, assumed once: {:?}", proxy.seen());
    assert!(proxy.seen().contains(&"AssumeRole#1 200".to_string()), "{:?}", proxy.seen());
    let cached = home.cached();
    assert_eq!(cached.len(), 1, "one session cached in {}: {cached:?}", home.cache().display());
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&cached[0]).unwrap().permissions().mode() & 0o777, 0o600);

    // The next command, not on a terminal: the cached session, no AssumeRole, no question.
    let out = run_with_env(&PLAN, &env);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(proxy.count("AssumeRole"), 1, "the cached session is reused: {:?}", proxy.seen());

    // The AWS CLI finds our session under its own key, in its own format: it neither asks nor assumes.
    let out = aws_cli_with_code(&env, "");
    assert!(out.status.success(), "the AWS CLI did not reuse our session: {}", stderr(&out));
    assert_eq!(proxy.count("AssumeRole"), 1, "the AWS CLI assumed the role again: {:?}", proxy.seen());
}

#[test]
fn a_session_the_aws_cli_cached_is_reused() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    let home = home(moto, true);
    let proxy = mfa_proxy(moto);
    let env = env_in(&home, &proxy, moto);
    let out = aws_cli_with_code(&env, "654321");
    assert!(out.status.success(), "the AWS CLI: {}", stderr(&out));
    assert_eq!(proxy.count("AssumeRole"), 1, "{:?}", proxy.seen());
    assert_eq!(home.cached().len(), 1, "the AWS CLI cached its session");

    let out = run_with_env(&PLAN, &env);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(proxy.count("AssumeRole"), 1, "ours reused the AWS CLI's session: {:?}", proxy.seen());
}

#[test]
fn without_a_terminal_or_a_cached_session_it_refuses_before_any_request() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    let home = home(moto, true);
    let proxy = mfa_proxy(moto);
    let out = run_with_env(&PLAN, &env_in(&home, &proxy, moto));
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    eprintln!("{err}");
    for needle in ["mfa_serial", "profile ops", home.serial.as_str(), "not a terminal"] {
        assert!(err.contains(needle), "stderr does not name {needle:?}:\n{err}");
    }
    assert!(proxy.seen().is_empty(), "refused, yet sent {:?}", proxy.seen());
}

/// The one line a command printed for a credentials failure: exit 1, no SDK dump, the SSO hint only for SSO.
fn failure(out: &std::process::Output) -> String {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(debug_dump(&err), None, "{err}");
    assert!(!err.contains("sso login"), "the SSO hint for a profile that is not SSO:\n{err}");
    err
}

#[test]
fn a_role_whose_trust_demands_mfa_is_refused_in_plain_words() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    let home = home(moto, false);
    let proxy = mfa_proxy(moto);
    let err = failure(&run_with_env(&PLAN, &env_in(&home, &proxy, moto)));
    eprintln!("{err}");
    for needle in ["AccessDenied on sts:AssumeRole", "trust policy", "mfa_serial", "profile ops"] {
        assert!(err.contains(needle), "stderr does not say {needle:?}:\n{err}");
    }
}

#[test]
fn rejected_signatures_skewed_clocks_and_expired_tokens_say_cause_and_fix() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    let home = home(moto, false);
    let cases: [(Fault, &[&str], &str); 4] = [
        (Fault::Code("SignatureDoesNotMatch"), &[], "the secret access key does not belong"),
        // Whole seconds: 30 minutes, and at most a second more.
        (Fault::Skewed(-1800), &[], "30min"),
        (Fault::Code("ExpiredToken"), &[], "export new temporary credentials"),
        (Fault::Code("ExpiredToken"), &["--profile", "ops"], "renew the credentials of the source profile of ops"),
    ];
    for (fault, global, want) in cases {
        let proxy = FaultProxy::start(moto);
        proxy.add_rule(Rule::new("GetCallerIdentity", When::Always, fault));
        let args: Vec<&str> = global.iter().copied().chain(["plan", "--setup", "postman"]).collect();
        let mut env = env_in(&home, &proxy, moto);
        if global.is_empty() {
            env.extend([("AWS_ACCESS_KEY_ID".into(), "ASIATEST".into()), ("AWS_SECRET_ACCESS_KEY".into(), "x".into())]);
        }
        let err = failure(&run_with_env(&args, &env));
        assert!(err.contains(want), "{fault}: stderr does not say {want:?}:\n{err}");
        assert!(!err.contains(".."), "{fault}: {err}");
        if let Fault::Skewed(_) = fault {
            assert!(err.contains("ahead of AWS's time"), "{err}");
        }
        eprintln!("{fault}: {err}");
    }
}

#[test]
fn no_credentials_at_all_says_how_to_give_some() {
    let moto = Moto::shared();
    let env: Vec<(String, String)> =
        moto.env().into_iter().filter(|(k, _)| !k.starts_with("AWS_ACCESS") && !k.starts_with("AWS_SECRET")).collect();
    let out = run_with_env(&["plan", "--setup", "postman"], &env);
    let err = failure(&out);
    for needle in ["no AWS credentials found", "aws configure", "--profile"] {
        assert!(err.contains(needle), "stderr does not say {needle:?}:\n{err}");
    }
    assert!(!err.contains("169.254") && !err.contains("metadata"), "{err}");
    eprintln!("{err}");
}

/// The wizard asks on its Identity screen (issue 18 item 5): nothing is sent before the code, a wrong code is
/// said so and asked again, the right one reads the account, and the session is cached for the next command.
#[test]
fn the_wizard_asks_for_the_code_on_identity_and_again_after_a_wrong_one() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    let home = home(moto, true);
    let proxy = FaultProxy::start(moto);
    // The first code is refused, as AWS refuses a wrong one; every AssumeRole must carry a code.
    proxy.add_rule(Rule::new("AssumeRole", When::Nth(1), Fault::AccessDenied));
    proxy.add_rule(Rule::new("AssumeRole", When::Always, MFA));
    let env = env_in(&home, &proxy, moto);

    let mut term = Term::spawn_args(&env, &["--profile", "ops"]);
    term.wait_for("What to set up");
    term.send(ENTER);
    term.wait_for("▸ MFA code");
    assert!(term.screen().contains(&home.serial), "the device is named:\n{}", term.screen());
    assert!(proxy.seen().is_empty(), "sent before the code was typed: {:?}", proxy.seen());
    term.send(&format!("111111{ENTER}"));
    term.wait_for("That MFA code was not accepted");
    term.send(&format!("123456{ENTER}"));
    term.wait_for(&moto.account);
    let screen = term.screen();
    term.send(CTRL_C);
    term.wait_exit();
    assert!(screen.contains("a role assumed with MFA through profile ops"), "{screen}");
    assert_eq!(proxy.count("AssumeRole"), 2, "one refused, one assumed: {:?}", proxy.seen());
    assert_eq!(home.cached().len(), 1, "the session is cached in {}", home.cache().display());

    // The next command, not on a terminal: the cached session, no AssumeRole, no question.
    let out = run_with_env(&PLAN, &env);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(proxy.count("AssumeRole"), 2, "the wizard's session is reused: {:?}", proxy.seen());
}
