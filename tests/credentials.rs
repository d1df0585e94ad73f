//! Credentials as the AWS CLI resolves them (issue 18), with the AWS CLI (v1, from the test venv) as the
//! reference: for each kind of profile that runs offline against moto and each precedence case, the proxy
//! records which key signs each request of `aws sts get-caller-identity` and of our `plan`; they must match.
//! Assume-role chains are compared by which key signs each `AssumeRole`; a session's key is named by the role
//! it belongs to (moto's `GetCallerIdentity` for that key), since each run gets a new one.

mod support;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use support::endpoints::{AwsEndpoints, SSO_TOKEN};
use support::proxy::FaultProxy;
use support::*;

/// The moto account's users (static keys) and roles for one case.
struct World {
    /// Access key id → the user's name.
    users: HashMap<String, String>,
    keys: HashMap<String, (String, String)>,
    roles: HashMap<String, String>,
}

fn world(moto: &Moto) -> World {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let iam = moto.iam().await;
        let mut w = World { users: HashMap::new(), keys: HashMap::new(), roles: HashMap::new() };
        for name in ["base-user", "env-user", "other-user"] {
            iam.create_user().user_name(name).send().await.unwrap();
            let k = iam.create_access_key().user_name(name).send().await.unwrap().access_key.unwrap();
            w.users.insert(k.access_key_id.clone(), name.to_string());
            w.keys.insert(name.to_string(), (k.access_key_id, k.secret_access_key));
        }
        let trust = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}]}"#;
        for name in ["admin-role", "deploy-role", "web-role"] {
            let r = iam.create_role().role_name(name).assume_role_policy_document(trust).send().await.unwrap();
            w.roles.insert(name.to_string(), r.role.unwrap().arn);
        }
        w
    })
}

impl World {
    fn key(&self, user: &str) -> &(String, String) {
        &self.keys[user]
    }

    /// Who a key belongs to: a user's name, or `role NAME` for a session of an assumed role.
    fn who(&self, moto: &Moto, key: &Option<String>) -> String {
        let Some(key) = key else { return "unsigned".into() };
        if let Some(user) = self.users.get(key) {
            return user.clone();
        }
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let arn = rt.block_on(async {
            let sts = aws_sdk_sts::Client::new(&moto.sdk_config_as(key, "unused").await);
            sts.get_caller_identity().send().await.map(|o| o.arn.unwrap_or_default()).unwrap_or_default()
        });
        match arn.split_once(":assumed-role/") {
            Some((_, rest)) => format!("role {}", rest.split('/').next().unwrap_or(rest)),
            None => format!("unknown key {key} ({arn})"),
        }
    }
}

/// One way of configuring credentials: the files, the environment, the global options.
struct Case {
    name: &'static str,
    config: String,
    credentials: String,
    /// Extra environment, after the defaults (no keys unless given here).
    env: Vec<(String, String)>,
    profile: Option<&'static str>,
    /// Variables of the default environment to leave out (`AWS_EC2_METADATA_DISABLED` for instance roles).
    unset: &'static [&'static str],
    /// Files to put in the home, by path under it (the SSO token cache `aws sso login` writes).
    home_files: Vec<(String, String)>,
}

fn aws_cli() -> PathBuf {
    root().join("target/moto-venv/bin/aws")
}

/// A home of its own (so the AWS CLI's cache starts cold), the files, and the environment for a proxy.
struct Setup {
    home: tempfile::TempDir,
    env: Vec<(String, String)>,
}

fn setup(case: &Case, proxy: &FaultProxy, moto: &Moto) -> Setup {
    let home = tempfile::tempdir().unwrap();
    let config = home.path().join("config");
    let credentials = home.path().join("credentials");
    std::fs::write(&config, &case.config).unwrap();
    std::fs::write(&credentials, &case.credentials).unwrap();
    let dropped =
        ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "HOME"];
    let mut env: Vec<(String, String)> =
        proxy.env(moto).into_iter().filter(|(k, _)| !dropped.contains(&k.as_str())).collect();
    env.push(("HOME".into(), home.path().display().to_string()));
    // The AWS CLI v1 reads only AWS_DEFAULT_REGION.
    env.push(("AWS_DEFAULT_REGION".into(), REGION.into()));
    env.push(("AWS_CONFIG_FILE".into(), config.display().to_string()));
    env.push(("AWS_SHARED_CREDENTIALS_FILE".into(), credentials.display().to_string()));
    env.retain(|(k, _)| !case.unset.contains(&k.as_str()));
    env.extend(case.env.iter().cloned());
    for (path, text) in &case.home_files {
        let file = home.path().join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, text).unwrap();
    }
    Setup { home, env }
}

fn run_cli(args: &[&str], env: &[(String, String)]) -> Output {
    Command::new(aws_cli())
        .args(args)
        .env_clear()
        .envs(env.iter().cloned())
        .stdin(Stdio::null())
        .output()
        .expect("run the AWS CLI")
}

/// The signers that matter: who signs each `AssumeRole*` and the identity check, in order.
fn signers(w: &World, moto: &Moto, proxy: &FaultProxy) -> Vec<String> {
    proxy
        .signers()
        .into_iter()
        .filter(|(a, _)| a.starts_with("AssumeRole") || a == "GetCallerIdentity")
        .map(|(a, k)| format!("{a} by {}", w.who(moto, &k)))
        .collect()
}

/// Every request of ours after the identity check is signed by the same key as the identity check.
fn one_signer_after_identity(proxy: &FaultProxy) -> Result<(), String> {
    let all = proxy.signers();
    let Some(at) = all.iter().position(|(a, _)| a == "GetCallerIdentity") else {
        return Err(format!("no GetCallerIdentity in {all:?}"));
    };
    let key = &all[at].1;
    match all[at..].iter().find(|(a, k)| k != key && !a.starts_with("AssumeRole")) {
        Some((a, k)) => Err(format!("{a} signed by {k:?}, the identity check by {key:?}")),
        None => Ok(()),
    }
}

/// The CLI's and our signers for one case.
fn compare(moto: &Moto, w: &World, case: &Case) -> (Vec<String>, Vec<String>) {
    let global: Vec<&str> = case.profile.map(|p| vec!["--profile", p]).unwrap_or_default();

    let proxy = FaultProxy::start(moto);
    let s = setup(case, &proxy, moto);
    let args: Vec<&str> = global.iter().copied().chain(["sts", "get-caller-identity"]).collect();
    let out = run_cli(&args, &s.env);
    assert!(out.status.success(), "{}: aws {args:?}: {}", case.name, stderr(&out));
    let cli = signers(w, moto, &proxy);
    drop(s);

    let proxy = FaultProxy::start(moto);
    let s = setup(case, &proxy, moto);
    let args: Vec<&str> = global.iter().copied().chain(["plan", "--setup", "postman"]).collect();
    let out = run_with_env(&args, &s.env);
    assert!(out.status.success(), "{}: {args:?}: {}", case.name, stderr(&out));
    let ours = signers(w, moto, &proxy);
    one_signer_after_identity(&proxy).unwrap_or_else(|e| panic!("{}: {e}", case.name));
    assert!(
        proxy.count("AssumeRole") <= case.config.matches("role_arn").count(),
        "{}: one AssumeRole per role per process, saw {:?}",
        case.name,
        proxy.seen()
    );
    drop(s.home);
    (cli, ours)
}

fn static_keys(section: &str, (id, secret): &(String, String)) -> String {
    format!("[{section}]\naws_access_key_id = {id}\naws_secret_access_key = {secret}\n")
}

fn env_keys((id, secret): &(String, String)) -> Vec<(String, String)> {
    vec![("AWS_ACCESS_KEY_ID".into(), id.clone()), ("AWS_SECRET_ACCESS_KEY".into(), secret.clone())]
}

/// A `credential_process` that prints the given keys in the documented JSON format (Version 1).
fn process_script(dir: &Path, (id, secret): &(String, String)) -> PathBuf {
    let path = dir.join("creds.sh");
    let json = format!(r#"{{"Version": 1, "AccessKeyId": "{id}", "SecretAccessKey": "{secret}"}}"#);
    std::fs::write(&path, format!("#!/bin/sh\necho '{json}'\n")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

fn cases(w: &World, scratch: &Path, endpoints: &AwsEndpoints) -> Vec<Case> {
    let base = static_keys("base", w.key("base-user"));
    let dev = static_keys("dev", w.key("other-user"));
    let admin = &w.roles["admin-role"];
    let deploy = &w.roles["deploy-role"];
    let web = &w.roles["web-role"];
    let token = scratch.join("token");
    std::fs::write(&token, "a-web-identity-token").unwrap();
    let script = process_script(scratch, w.key("other-user"));
    let region = format!("[default]\nregion = {REGION}\n");
    let envk = || env_keys(w.key("env-user"));
    let case = |name, config: String, credentials: String, env: Vec<(String, String)>, profile| Case {
        name,
        config: format!("{region}{config}"),
        credentials,
        env,
        profile,
        unset: &[],
        home_files: vec![],
    };
    let aws_profile = |p: &str| vec![("AWS_PROFILE".to_string(), p.to_string())];
    let role = |p: &str, arn: &str, src: &str| format!("[profile {p}]\nrole_arn = {arn}\nsource_profile = {src}\n");
    vec![
        case("static, --profile", String::new(), dev.clone(), vec![], Some("dev")),
        case("static, AWS_PROFILE", String::new(), dev.clone(), aws_profile("dev"), None),
        case("environment keys", String::new(), dev.clone(), envk(), None),
        case("env keys beat AWS_PROFILE", String::new(), dev.clone(), [envk(), aws_profile("dev")].concat(), None),
        case("--profile beats env keys", String::new(), dev.clone(), envk(), Some("dev")),
        case("role + source_profile, --profile", role("admin", admin, "base"), base.clone(), vec![], Some("admin")),
        case(
            "role + source_profile, AWS_PROFILE",
            role("admin", admin, "base"),
            base.clone(),
            aws_profile("admin"),
            None,
        ),
        case("role --profile beats env keys", role("admin", admin, "base"), base.clone(), envk(), Some("admin")),
        case(
            "chain of two roles",
            format!("{}{}", role("admin", admin, "base"), role("deploy", deploy, "admin")),
            base.clone(),
            vec![],
            Some("deploy"),
        ),
        case(
            "credential_source = Environment",
            format!("[profile envrole]\nrole_arn = {admin}\ncredential_source = Environment\n"),
            String::new(),
            envk(),
            Some("envrole"),
        ),
        case(
            "credential_process",
            format!("[profile proc]\ncredential_process = {}\n", script.display()),
            String::new(),
            vec![],
            Some("proc"),
        ),
        case(
            "web_identity_token_file",
            format!("[profile web]\nrole_arn = {web}\nweb_identity_token_file = {}\n", token.display()),
            String::new(),
            vec![],
            Some("web"),
        ),
        case(
            "AWS_WEB_IDENTITY_TOKEN_FILE",
            String::new(),
            String::new(),
            vec![
                ("AWS_WEB_IDENTITY_TOKEN_FILE".into(), token.display().to_string()),
                ("AWS_ROLE_ARN".into(), web.clone()),
                ("AWS_ROLE_SESSION_NAME".into(), "parity".into()),
            ],
            None,
        ),
    ]
    .into_iter()
    .chain(endpoint_cases(w, endpoints))
    .collect()
}

/// The kinds whose credentials come from AWS's endpoints that moto has not, played on loopback.
fn endpoint_cases(w: &World, endpoints: &AwsEndpoints) -> Vec<Case> {
    let admin = &w.roles["admin-role"];
    let imds = vec![("AWS_EC2_METADATA_SERVICE_ENDPOINT".to_string(), endpoints.url())];
    let ecs =
        vec![("AWS_CONTAINER_CREDENTIALS_FULL_URI".to_string(), format!("{}/container-credentials", endpoints.url()))];
    let sso = vec![("AWS_ENDPOINT_URL_SSO".to_string(), endpoints.url())];
    let region = format!("[default]\nregion = {REGION}\n");
    let role_from = |source: &str| format!("{region}[profile r]\nrole_arn = {admin}\ncredential_source = {source}\n");
    let start_url = "https://corp.awsapps.com/start";
    let expires = "2099-01-01T00:00:00Z";
    let token = |key: &str| {
        let file = format!(".aws/sso/cache/{}.json", hex_sha1(key));
        let json = format!(
            r#"{{"startUrl": "{start_url}", "region": "{REGION}", "accessToken": "{SSO_TOKEN}", "expiresAt": "{expires}"}}"#
        );
        vec![(file, json)]
    };
    let sso_profile = format!("sso_account_id = {}\nsso_role_name = Admin\nregion = {REGION}\n", "111122223333");
    let base = |name, config, env, profile, unset, home_files| Case {
        name,
        config,
        credentials: String::new(),
        env,
        profile,
        unset,
        home_files,
    };
    vec![
        base(
            "instance role (IMDSv2), no profile",
            region.clone(),
            imds.clone(),
            None,
            &["AWS_EC2_METADATA_DISABLED"],
            vec![],
        ),
        base(
            "credential_source = Ec2InstanceMetadata",
            role_from("Ec2InstanceMetadata"),
            imds,
            Some("r"),
            &["AWS_EC2_METADATA_DISABLED"],
            vec![],
        ),
        base("container role, no profile", region.clone(), ecs.clone(), None, &[], vec![]),
        base("credential_source = EcsContainer", role_from("EcsContainer"), ecs, Some("r"), &[], vec![]),
        base(
            "sso_session",
            format!(
                "{region}[profile sso]\nsso_session = corp\n{sso_profile}[sso-session corp]\nsso_start_url = {start_url}\n\
                 sso_region = {REGION}\n"
            ),
            sso.clone(),
            Some("sso"),
            &[],
            token("corp"),
        ),
        base(
            "legacy sso_start_url",
            format!("{region}[profile sso]\nsso_start_url = {start_url}\nsso_region = {REGION}\n{sso_profile}"),
            sso,
            Some("sso"),
            &[],
            token(start_url),
        ),
    ]
}

/// The SSO token cache's file name: SHA-1 of the session name (or the legacy start URL), in hex.
fn hex_sha1(s: &str) -> String {
    use sha1::Digest;
    hex::encode(sha1::Sha1::digest(s.as_bytes()))
}

#[test]
fn every_profile_kind_signs_as_the_aws_cli_signs() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    let w = world(moto);
    let scratch = tempfile::tempdir().unwrap();
    let (id, secret) = w.key("base-user");
    let endpoints = AwsEndpoints::start(id, secret);
    let mut table = vec![format!("{:<40} | {:<62} | {}", "profile kind", "ours", "AWS CLI")];
    let mut differ = Vec::new();
    for case in cases(&w, scratch.path(), &endpoints) {
        let (cli, ours) = compare(moto, &w, &case);
        let mark = if cli == ours { "" } else { "  <-- DIFFERS" };
        table.push(format!("{:<40} | {:<62} | {}{mark}", case.name, ours.join(", "), cli.join(", ")));
        if cli != ours {
            differ.push(case.name);
        }
    }
    println!("{}", table.join("\n"));
    assert!(differ.is_empty(), "our signers differ from the AWS CLI's for {differ:?}:\n{}", table.join("\n"));
}

/// One role, one `AssumeRole`: the identity check and every client share one resolution (issue 18 item 2).
#[test]
fn an_assume_role_profile_is_assumed_once_per_run() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    let w = world(moto);
    let case = Case {
        name: "role through AWS_PROFILE",
        config: format!(
            "[default]\nregion = {REGION}\n[profile admin]\nrole_arn = {}\nsource_profile = base\n",
            w.roles["admin-role"]
        ),
        credentials: static_keys("base", w.key("base-user")),
        env: vec![("AWS_PROFILE".into(), "admin".into())],
        profile: None,
        unset: &[],
        home_files: vec![],
    };
    let proxy = FaultProxy::start(moto);
    let s = setup(&case, &proxy, moto);
    let out = run_with_env(&["apply", "--setup", "postman", "--yes", "--format", "json"], &s.env);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(proxy.count("AssumeRole"), 1, "{}: {:?}", case.name, proxy.seen());
    assert!(proxy.count("CreateUser") > 0, "apply wrote with the role: {:?}", proxy.seen());
    one_signer_after_identity(&proxy).unwrap();
}

/// A `login_session` profile (`aws login`, AWS CLI v2 only: no parity row) signs with the session that `aws login`
/// cached in `~/.aws/login/cache`, under the SHA-256 of the session's name, while it is valid.
#[test]
fn a_login_session_profile_signs_with_the_session_aws_login_cached() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    let w = world(moto);
    let (id, secret) = w.key("base-user");
    let session = format!("arn:aws:iam::{}:user/base-user", moto.account);
    let digest = Command::new(root().join("target/moto-venv/bin/python"))
        .args(["-c", "import hashlib, sys; print(hashlib.sha256(sys.argv[1].encode()).hexdigest())", &session])
        .output()
        .unwrap();
    let file = format!(".aws/login/cache/{}.json", String::from_utf8_lossy(&digest.stdout).trim());
    let token = serde_json::json!({
        "accessToken": {
            "accessKeyId": id, "secretAccessKey": secret, "sessionToken": "login-session",
            "accountId": moto.account, "expiresAt": "2099-01-01T00:00:00Z"
        },
        "tokenType": "aws_sigv4",
        "refreshToken": "refresh-token",
        "idToken": "id-token",
        "clientId": "arn:aws:signin:::devtools/same-device",
        "dpopKey": "unused while the session is valid"
    });
    let case = Case {
        name: "login_session",
        config: format!("[default]\nregion = {REGION}\n[profile login]\nlogin_session = {session}\n"),
        credentials: String::new(),
        env: vec![],
        profile: Some("login"),
        unset: &[],
        home_files: vec![(file, token.to_string())],
    };
    let proxy = FaultProxy::start(moto);
    let s = setup(&case, &proxy, moto);
    let out = run_with_env(&["--profile", "login", "apply", "--setup", "postman", "--yes"], &s.env);
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert_eq!(signers(&w, moto, &proxy), ["GetCallerIdentity by base-user"]);
    one_signer_after_identity(&proxy).unwrap();
    assert!(err.contains("the `aws login` session of profile login"), "the banner names the source:\n{err}");
}
