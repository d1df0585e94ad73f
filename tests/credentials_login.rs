//! `aws login` sessions (`login_session` profiles, AWS CLI v2) past their expiry (issue 18): aws-config renews
//! them with the refresh token at AWS Sign-In's token endpoint (played on loopback by
//! tests/support/aws_endpoints.py, with a DPoP proof signed by the session's key), and one it cannot renew is
//! one line naming the command that logs in again.

mod support;

use std::path::PathBuf;
use std::process::Command;
use support::endpoints::AwsEndpoints;
use support::proxy::FaultProxy;
use support::*;

const EXPIRED_KEY: &str = "ASIAEXPIREDLOGINKEY0";

/// Python (the tests' venv) for what the session file needs: a SHA-256 name and a SEC1 EC key.
fn python(code: &str, arg: &str) -> String {
    let out = Command::new(root().join("target/moto-venv/bin/python")).args(["-c", code, arg]).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

struct Login {
    _home: tempfile::TempDir,
    env: Vec<(String, String)>,
    cache: PathBuf,
}

/// A home whose `login` profile has a session `aws login` cached, expired an hour ago, with `refresh`.
fn expired_login(moto: &Moto, proxy: &FaultProxy, endpoints: &AwsEndpoints, refresh: &str) -> Login {
    let home = tempfile::tempdir().unwrap();
    let session = format!("arn:aws:iam::{}:user/base-user", moto.account);
    let digest = python("import hashlib, sys; print(hashlib.sha256(sys.argv[1].encode()).hexdigest())", &session);
    let key = python(
        "from cryptography.hazmat.primitives.asymmetric import ec\n\
         from cryptography.hazmat.primitives import serialization as s\n\
         k = ec.generate_private_key(ec.SECP256R1())\n\
         print(k.private_bytes(s.Encoding.PEM, s.PrivateFormat.TraditionalOpenSSL, s.NoEncryption()).decode())",
        "",
    );
    let expired = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    let expires_at = aws_smithy_types::DateTime::from(expired).fmt(aws_smithy_types::date_time::Format::DateTime);
    let token = serde_json::json!({
        "accessToken": {
            "accessKeyId": EXPIRED_KEY, "secretAccessKey": "expired-secret", "sessionToken": "expired-session",
            "accountId": moto.account, "expiresAt": expires_at.unwrap()
        },
        "tokenType": "aws_sigv4",
        "refreshToken": refresh,
        "idToken": "id-token",
        "clientId": "arn:aws:signin:::devtools/same-device",
        "dpopKey": format!("{key}\n"),
    });
    let cache = home.path().join(format!(".aws/login/cache/{digest}.json"));
    std::fs::create_dir_all(cache.parent().unwrap()).unwrap();
    std::fs::write(&cache, token.to_string()).unwrap();
    let config = home.path().join(".aws/config");
    std::fs::write(&config, format!("[default]\nregion = {REGION}\n[profile login]\nlogin_session = {session}\n"))
        .unwrap();
    let dropped =
        ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "HOME"];
    let mut env: Vec<(String, String)> =
        proxy.env(moto).into_iter().filter(|(k, _)| !dropped.contains(&k.as_str())).collect();
    env.push(("HOME".into(), home.path().display().to_string()));
    env.push(("AWS_CONFIG_FILE".into(), config.display().to_string()));
    // Sign-In's endpoint, as AWS_ENDPOINT_URL_<SERVICE> names a service's own (the rest go to the proxy).
    env.push(("AWS_ENDPOINT_URL_SIGNIN".into(), endpoints.url()));
    Login { _home: home, env, cache }
}

/// A key and secret moto knows, for the endpoints to hand out.
fn base_user_key(moto: &Moto) -> (String, String) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let iam = moto.iam().await;
        iam.create_user().user_name("base-user").send().await.unwrap();
        let k = iam.create_access_key().user_name("base-user").send().await.unwrap().access_key.unwrap();
        (k.access_key_id, k.secret_access_key)
    })
}

const PLAN: [&str; 5] = ["--profile", "login", "plan", "--setup", "postman"];

#[test]
fn an_expired_login_session_is_renewed_with_its_refresh_token() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    let (key, secret) = base_user_key(moto);
    let endpoints = AwsEndpoints::start(&key, &secret);
    let proxy = FaultProxy::start(moto);
    let login = expired_login(moto, &proxy, &endpoints, "good-refresh-token");

    let out = run_with_env(&PLAN, &login.env);
    assert!(out.status.success(), "{}", stderr(&out));
    let keys = proxy.access_keys_seen();
    assert_eq!(keys, [key], "every request signed with the renewed session's key");
    let cached = std::fs::read_to_string(&login.cache).unwrap();
    assert!(cached.contains("renewed-refresh-token"), "the renewed session is cached for the next run:\n{cached}");
}

#[test]
fn an_expired_login_session_that_cannot_be_renewed_names_aws_login() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    let (key, secret) = base_user_key(moto);
    let endpoints = AwsEndpoints::start(&key, &secret);
    let proxy = FaultProxy::start(moto);
    let login = expired_login(moto, &proxy, &endpoints, "expired-refresh-token");

    let out = run_with_env(&PLAN, &login.env);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert_eq!(debug_dump(&err), None, "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one line:\n{err}");
    assert!(err.contains("run `aws login --profile login`"), "the command to run is named:\n{err}");
    assert!(!err.contains("sso login"), "{err}");
    assert!(proxy.seen().is_empty(), "nothing was sent with the expired session: {:?}", proxy.seen());
}
