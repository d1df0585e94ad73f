//! The one-time secret, headless, against moto: saved only where asked (0600, nothing overwritten), the key
//! described as the console does, and rotation when the secret was lost.
#![allow(clippy::await_holding_lock)]

mod support;

use support::account::Account;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use support::proxy::FaultProxy;
use support::*;

fn run_in(moto: &Moto, args: &[&str], extra: &[(&str, String)]) -> std::process::Output {
    let mut env = moto.env();
    env.retain(|(k, _)| !extra.iter().any(|(e, _)| e == k));
    env.extend(extra.iter().map(|(k, v)| (k.to_string(), v.clone())));
    run_with_env(args, &env)
}

#[tokio::test]
async fn apply_saves_the_key_only_where_asked_and_describes_it() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    let dir = tempfile::tempdir().unwrap();
    let creds = dir.path().join("credentials");
    let other = "[default]\naws_access_key_id = AKIAKEEP\naws_secret_access_key = keep-this\n";
    std::fs::write(&creds, other).unwrap();
    let csv = dir.path().join("PostmanUser_accessKeys.csv");
    let env = [("AWS_SHARED_CREDENTIALS_FILE", creds.display().to_string())];

    let out = run_in(
        moto,
        &[
            "apply",
            "--setup",
            "postman",
            "--yes",
            "--format",
            "json",
            "--save-profile",
            "postman",
            "--save-csv",
            csv.to_str().unwrap(),
        ],
        &env,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let j = json(&out);
    let id = j["access_key"]["access_key_id"].as_str().unwrap().to_string();
    // Issue 17 item 2: saved, the secret is not printed (CI logs and scrollback keep standard output).
    assert!(j["access_key"]["secret_access_key"].is_null(), "{j}");
    let text = std::fs::read_to_string(&creds).unwrap();
    let postman = text.split("[postman]").nth(1).unwrap();
    let secret = postman.lines().find_map(|l| l.strip_prefix("aws_secret_access_key = ")).unwrap().to_string();
    assert!(!stdout(&out).contains(&secret) && !stderr(&out).contains(&secret), "the saved secret is not printed");

    assert!(text.starts_with(other), "the other profile is kept byte for byte");
    assert!(text.contains(&format!("[postman]\naws_access_key_id = {id}\naws_secret_access_key = {secret}\n")));
    assert_eq!(std::fs::metadata(&creds).unwrap().permissions().mode() & 0o777, 0o600);
    assert_eq!(std::fs::read_to_string(&csv).unwrap(), format!("Access key ID,Secret access key\n{id},{secret}\n"));
    assert_eq!(std::fs::metadata(&csv).unwrap().permissions().mode() & 0o777, 0o600);

    // The key is described the way the console does: a user tag whose key is the access key id.
    let iam = moto.iam().await;
    let tags = iam.list_user_tags().user_name("PostmanUser").send().await.unwrap();
    assert!(
        tags.tags().iter().any(|t| t.key() == id && t.value() == "Application running outside AWS"),
        "{:?}",
        tags.tags()
    );

    // The same targets again: refused before any AWS call, nothing written, nothing overwritten.
    moto.reset();
    let out = run_in(moto, &["apply", "--setup", "postman", "--yes", "--save-csv", csv.to_str().unwrap()], &env);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("never overwritten"), "{}", stderr(&out));
    let out = run_in(moto, &["apply", "--setup", "postman", "--yes", "--save-profile", "postman"], &env);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--overwrite-profile"), "{}", stderr(&out));
    assert!(iam.list_users().send().await.unwrap().users().is_empty(), "nothing was written to AWS");
    assert!(std::fs::read_to_string(&creds).unwrap().contains(&secret), "the saved profile is untouched");

    // --show-secret prints it anyway, in text and JSON.
    moto.reset();
    let csv2 = dir.path().join("again.csv");
    for format in ["text", "json"] {
        moto.reset();
        let _ = std::fs::remove_file(&csv2);
        let args = ["apply", "--setup", "postman", "--yes", "--format", format, "--save-csv", csv2.to_str().unwrap()];
        let out = run_in(moto, &[&args[..], &["--show-secret"]].concat(), &env);
        assert!(out.status.success(), "{}", stderr(&out));
        let saved = std::fs::read_to_string(&csv2).unwrap();
        let secret = saved.lines().nth(1).unwrap().split(',').nth(1).unwrap().to_string();
        assert!(stdout(&out).contains(&secret), "{format}: --show-secret prints the saved secret");
    }
}

#[tokio::test]
async fn rotation_with_two_keys_ends_with_the_new_key_working_and_the_old_one_inactive() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    let out = moto.run(&["apply", "--setup", "postman", "--yes", "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let first = json(&out)["access_key"]["access_key_id"].as_str().unwrap().to_string();
    let iam = moto.iam().await;
    let second =
        iam.create_access_key().user_name("PostmanUser").send().await.unwrap().access_key.unwrap().access_key_id;

    // Two keys: rotation must be told which one goes first.
    let out = moto.run(&["rotate-key", "--user", "PostmanUser", "--yes"]);
    assert_eq!(out.status.code(), Some(2));
    let e = stderr(&out);
    assert!(e.contains("maximum of two") && e.contains(&first) && e.contains(&second), "{e}");
    assert!(e.contains("--delete-key"), "the refusal names the option that resolves it: {e}");

    // The second key was made by hand, not by this tool: deleting it takes an explicit adopt.
    let rotate = |adopt: &'static [&'static str]| {
        let mut args = vec!["rotate-key", "--user", "PostmanUser", "--delete-key", &second, "--deactivate-old"];
        args.extend_from_slice(&["--yes", "--format", "json"]);
        args.extend_from_slice(adopt);
        moto.run(&args)
    };
    let out = rotate(&[]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--adopt"), "{}", stderr(&out));
    let out = rotate(&["--adopt"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let j = json(&out);
    assert_eq!(j["adopted"][0], format!("access key {second} (deleted)"), "{j}");
    let new_id = j["access_key"]["access_key_id"].as_str().unwrap().to_string();
    let new_secret = j["access_key"]["secret_access_key"].as_str().unwrap().to_string();
    assert_eq!(j["deleted"], second.as_str());
    assert_eq!(j["deactivated"][0], first.as_str());

    let keys = iam.list_access_keys().user_name("PostmanUser").send().await.unwrap();
    let states: Vec<(String, String)> = keys
        .access_key_metadata()
        .iter()
        .map(|k| (k.access_key_id().unwrap().to_string(), k.status().unwrap().as_str().to_string()))
        .collect();
    assert!(states.contains(&(first.clone(), "Inactive".into())), "{states:?}");
    assert!(states.contains(&(new_id.clone(), "Active".into())), "{states:?}");
    assert_eq!(states.len(), 2);

    // The new key works: STS answers for PostmanUser with it.
    let conf = moto.sdk_config_as(&new_id, &new_secret).await;
    let who = aws_sdk_sts::Client::new(&conf).get_caller_identity().send().await.unwrap();
    assert!(who.arn().unwrap().ends_with(":user/PostmanUser"), "{:?}", who.arn());

    // Later, the old key is deleted: refused while active, done once inactive (it is).
    let out = moto.run(&["retire-key", "--user", "PostmanUser", "--key", &new_id, "--delete", "--yes"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("still active"), "{}", stderr(&out));
    assert!(stderr(&out).contains("without --delete"), "the refusal says what resolves it: {}", stderr(&out));
    let out = moto.run(&["retire-key", "--user", "PostmanUser", "--key", &first, "--delete", "--yes"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let keys = iam.list_access_keys().user_name("PostmanUser").send().await.unwrap();
    assert_eq!(keys.access_key_metadata().len(), 1);
    let tags = iam.list_user_tags().user_name("PostmanUser").send().await.unwrap();
    assert!(!tags.tags().iter().any(|t| t.key() == first), "the old key's description went with it");
    assert!(tags.tags().iter().any(|t| t.key() == new_id));
}

#[tokio::test]
async fn debug_traces_every_request_but_never_the_secret_or_a_signature() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    let out = moto.run(&["--debug", "apply", "--setup", "postman", "--yes", "--format", "json"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let j = json(&out);
    let secret = j["access_key"]["secret_access_key"].as_str().unwrap();
    let trace = stderr(&out);
    for call in ["STS.GetCallerIdentity", "IAM.CreatePolicy", "IAM.CreateUser", "IAM.CreateAccessKey"] {
        assert!(trace.contains(call), "the trace names {call}");
    }
    assert!(!trace.contains(secret), "the secret is never traced");
    assert!(!trace.contains("testing/"), "the signing key's credential scope is redacted with the header");
    for (i, _) in trace.match_indices("Signature=") {
        let value: String = trace[i + 10..].chars().take(12).collect();
        assert!(!value.chars().all(|c| c.is_ascii_hexdigit()), "a signature leaked: {value}");
    }

    // Without --debug nothing is traced.
    moto.reset();
    let quiet = moto.run(&["apply", "--setup", "postman", "--yes", "--format", "json"]);
    assert!(quiet.status.success());
    assert!(!stderr(&quiet).contains("TRACE") && !stderr(&quiet).contains("DEBUG"), "{}", stderr(&quiet));
}

/// `apply --setup postman --yes` with `save` options, through a proxy, in the working directory `cwd`, with the
/// environment changed by `vars` (`None` unsets one): its output and the requests the proxy saw.
fn apply_saving(
    moto: &Moto,
    save: &[&str],
    cwd: &Path,
    vars: &[(&str, Option<String>)],
) -> (std::process::Output, Vec<String>) {
    let proxy = FaultProxy::start(moto);
    let mut env = proxy.env(moto);
    env.retain(|(k, _)| !vars.iter().any(|(v, _)| v == k));
    env.extend(vars.iter().filter_map(|(k, v)| v.clone().map(|v| (k.to_string(), v))));
    let mut args = vec!["apply", "--setup", "postman", "--yes", "--format", "json"];
    args.extend_from_slice(save);
    let out = command(BIN)
        .args(&args)
        .env_clear()
        .envs(env)
        .current_dir(cwd)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run the binary");
    (out, proxy.seen())
}

/// A save destination that cannot be written, and how the run is told of it.
struct Unwritable {
    what: &'static str,
    option: &'static str,
    value: String,
    vars: Vec<(&'static str, Option<String>)>,
}

#[test]
fn every_save_destination_is_checked_before_any_aws_call() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    let dir = tempfile::tempdir().unwrap();
    let d = |p: &str| dir.path().join(p).display().to_string();
    std::fs::write(dir.path().join("a-file"), "").unwrap();
    std::os::unix::fs::symlink(dir.path().join("nowhere.csv"), dir.path().join("dangling.csv")).unwrap();
    let csv = |what, value: String| Unwritable { what, option: "--save-csv", value, vars: vec![] };
    let profile = |what, vars| Unwritable { what, option: "--save-profile", value: "p".into(), vars };
    let cases = [
        profile(
            "no home and no AWS_SHARED_CREDENTIALS_FILE",
            vec![("HOME", None), ("AWS_SHARED_CREDENTIALS_FILE", None)],
        ),
        // sysfs takes no new file, not even from root: a directory nobody may write to.
        csv("a read-only directory", "/sys/PostmanUser_accessKeys.csv".into()),
        profile(
            "a read-only directory",
            vec![("AWS_SHARED_CREDENTIALS_FILE", Some("/sys/pinpoint-iam-wizard-test/credentials".into()))],
        ),
        csv("a missing directory", d("missing/keys.csv")),
        csv("a file for a directory", d("a-file/keys.csv")),
        csv("a dangling link", d("dangling.csv")),
    ];
    let mut wrong = Vec::new();
    for case in &cases {
        let (out, seen) = apply_saving(moto, &[case.option, &case.value], dir.path(), &case.vars);
        let (what, err) = (format!("{} ({})", case.what, case.option), stderr(&out));
        if out.status.code() != Some(2) {
            wrong.push(format!("{what}: exit {:?}, expected 2: {}", out.status.code(), err.trim()));
        }
        if !seen.is_empty() {
            wrong.push(format!("{what}: sent {seen:?} before refusing"));
        }
        if !err.contains(case.option) {
            wrong.push(format!("{what}: the error does not name {}: {}", case.option, err.trim()));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert!(!dir.path().join(".aws").exists(), "a profile was written under the working directory");
    assert!(Account::read_blocking(moto).is_empty(), "nothing was written to AWS");
}

#[test]
fn a_credentials_file_that_is_a_symlink_is_written_through_the_link() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    let dotfiles = tempfile::tempdir().unwrap();
    let home = tempfile::tempdir().unwrap();
    let target = dotfiles.path().join("aws-credentials");
    let other = "[default]\naws_access_key_id = AKIAKEEP\naws_secret_access_key = keep-this\n";
    std::fs::write(&target, other).unwrap();
    let link = home.path().join("credentials");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let env = [("AWS_SHARED_CREDENTIALS_FILE", Some(link.display().to_string()))];
    let (out, _) = apply_saving(moto, &["--save-profile", "postman"], home.path(), &env);
    assert!(out.status.success(), "{}", stderr(&out));
    let id = json(&out)["access_key"]["access_key_id"].as_str().unwrap().to_string();
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink(), "the link was replaced by a file");
    assert_eq!(std::fs::read_link(&link).unwrap(), target);
    let text = std::fs::read_to_string(&target).unwrap();
    assert!(text.starts_with(other) && text.contains(&format!("aws_access_key_id = {id}")), "{text}");
    let names = |d: &Path| -> Vec<String> {
        std::fs::read_dir(d).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect()
    };
    assert_eq!(names(dotfiles.path()), ["aws-credentials"], "a temporary file was left beside the target");
    assert_eq!(names(home.path()), ["credentials"], "something was written beside the link");
}

#[test]
fn the_key_commands_refuse_a_user_that_does_not_exist_with_exit_2_naming_user() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    for args in [
        vec!["rotate-key", "--user", "Nobody", "--yes"],
        vec!["retire-key", "--user", "Nobody", "--key", "AKIAIOSFODNN7EXAMPLE", "--yes"],
    ] {
        let out = moto.run(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: refused on the account as read: {}", stderr(&out));
        assert!(stderr(&out).contains("--user"), "{args:?}: {}", stderr(&out));
    }
    assert!(Account::read_blocking(moto).is_empty(), "nothing was written");
}

/// A disk that fills while the CSV is written (the file size limit stands in for it): no partial file that
/// looks like a saved key is left (issue 17 item 6), and the secret goes to standard output instead, so the
/// key has been delivered and stays.
#[test]
fn a_csv_that_cannot_be_written_whole_is_removed_and_its_key_deleted() {
    use std::os::unix::process::CommandExt;
    let moto = Moto::shared();
    let _g = moto.exclusive();
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("PostmanUser_accessKeys.csv");
    let mut cmd = command(BIN);
    cmd.args(["apply", "--setup", "postman", "--yes", "--save-csv", csv.to_str().unwrap()])
        .env_clear()
        .envs(moto.env())
        .stdin(std::process::Stdio::null());
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            // Past the limit a write fails with EFBIG, as on a full disk, instead of killing the process.
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let limit = libc::rlimit { rlim_cur: 40, rlim_max: 40 };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(!csv.exists(), "the partial CSV is removed: {:?}", std::fs::read_to_string(&csv));
    let account = Account::read_blocking(moto);
    let [(_, id)] = &account.keys()[..] else { panic!("one key: {}", account.summary()) };
    assert!(stdout(&out).contains(id) && stdout(&out).contains("Secret access key: "), "{}", stdout(&out));
    assert!(stderr(&out).contains(csv.to_str().unwrap()), "the error names the file: {}", stderr(&out));
}
