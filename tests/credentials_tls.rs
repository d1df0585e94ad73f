//! Corporate TLS (issue 18 item 4): `AWS_CA_BUNDLE` and a profile's `ca_bundle` are the trust store, as in the
//! AWS CLI. A TLS-terminating front on loopback, with a certificate from a CA made for the test, stands before
//! the proxy and moto: refused without the bundle, works with it; a missing bundle is exit 2 with the OS error.

mod support;

use support::proxy::FaultProxy;
use support::tls::TlsFront;
use support::*;

const PLAN: [&str; 3] = ["plan", "--setup", "postman"];

/// The environment of a process that reaches moto through the front (and the proxy behind it), with `files`
/// as its AWS config file.
fn env(front: &TlsFront, proxy: &FaultProxy, moto: &Moto, config: Option<&std::path::Path>) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = proxy
        .env(moto)
        .into_iter()
        .map(|(k, v)| if k == "AWS_ENDPOINT_URL" { (k, front.url()) } else { (k, v) })
        .filter(|(k, _)| k != "AWS_CONFIG_FILE")
        .collect();
    if let Some(c) = config {
        env.push(("AWS_CONFIG_FILE".into(), c.display().to_string()));
    }
    // One attempt: the refusal is what is tested, not the SDK's retries.
    env.push(("AWS_MAX_ATTEMPTS".into(), "1".into()));
    env
}

#[test]
fn a_ca_bundle_from_the_environment_or_the_profile_is_the_trust_store() {
    let moto = Moto::shared();
    let _g = moto.exclusive();
    let proxy = FaultProxy::start(moto);
    let front = TlsFront::start(proxy.port);

    // The system's store does not know the inspecting CA: nothing gets through the handshake.
    let out = run_with_env(&PLAN, &env(&front, &proxy, moto, None));
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("cannot reach AWS") && err.contains("AWS_CA_BUNDLE"), "{err}");
    eprintln!("{err}");
    assert_eq!(debug_dump(&err), None, "{err}");
    assert!(proxy.seen().is_empty(), "untrusted, yet sent {:?}", proxy.seen());

    let mut with_env = env(&front, &proxy, moto, None);
    with_env.push(("AWS_CA_BUNDLE".into(), front.ca.display().to_string()));
    let out = run_with_env(&PLAN, &with_env);
    assert!(out.status.success(), "AWS_CA_BUNDLE: {}", stderr(&out));
    assert!(proxy.count("GetCallerIdentity") == 1, "{:?}", proxy.seen());

    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config");
    std::fs::write(&config, format!("[profile corp]\nregion = {REGION}\nca_bundle = {}\n", front.ca.display()))
        .unwrap();
    let mut with_profile = env(&front, &proxy, moto, Some(&config));
    with_profile.push(("AWS_PROFILE".into(), "corp".into()));
    let out = run_with_env(&PLAN, &with_profile);
    assert!(out.status.success(), "ca_bundle of the profile: {}", stderr(&out));
    assert!(proxy.count("GetCallerIdentity") == 2, "{:?}", proxy.seen());

    // The AWS CLI, the reference, trusts the same bundle the same way.
    let mut cli = with_env.clone();
    cli.push(("AWS_DEFAULT_REGION".into(), REGION.into()));
    let out = std::process::Command::new(root().join("target/moto-venv/bin/aws"))
        .args(["sts", "get-caller-identity"])
        .env_clear()
        .envs(cli)
        .output()
        .unwrap();
    assert!(out.status.success(), "the AWS CLI with AWS_CA_BUNDLE: {}", stderr(&out));
}

#[test]
fn a_missing_or_unusable_bundle_is_refused_before_any_request() {
    let moto = Moto::shared();
    let proxy = FaultProxy::start(moto);
    let front = TlsFront::start(proxy.port);
    let dir = tempfile::tempdir().unwrap();
    let not_pem = dir.path().join("not.pem");
    std::fs::write(&not_pem, "this is not a certificate\n").unwrap();
    let missing = dir.path().join("missing.pem");
    for (path, want) in [(&missing, "No such file or directory (os error 2)"), (&not_pem, "no PEM certificate")] {
        let mut e = env(&front, &proxy, moto, None);
        e.push(("AWS_CA_BUNDLE".into(), path.display().to_string()));
        let out = run_with_env(&PLAN, &e);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{err}");
        for needle in [want, "AWS_CA_BUNDLE", &path.display().to_string()] {
            assert!(err.contains(needle), "stderr does not say {needle:?}:\n{err}");
        }
    }
    assert!(proxy.seen().is_empty(), "refused, yet sent {:?}", proxy.seen());
}
