//! The only code that touches the AWS SDK: configuration, identity, listings, IAM reads and writes.

pub mod analyzer;
pub mod error;
pub mod iam;
pub mod listings;

pub use error::AwsError;

use crate::setup::{AccountId, InvalidValue, Region};
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_iam::config::ProvideCredentials;
use error::{CallSite, map_sdk};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// How to reach AWS: the standard options, each falling back to aws-config's chain.
#[derive(Debug, Clone, Default)]
pub struct Connection {
    pub profile: Option<String>,
    pub region: Option<Region>,
    pub endpoint_url: Option<String>,
    pub timeouts: Timeouts,
}

/// How long one AWS call may take before it is given up as unanswered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    pub connect: Duration,
    /// A whole call, retries included.
    pub operation: Duration,
    /// How long to wait out IAM's eventual consistency (`NoSuchEntity` right after a create, `DeleteConflict`
    /// right after a detach), all tries of one step together.
    pub iam_lag: Duration,
}

impl Default for Timeouts {
    /// IAM answers in well under a second; a minute covers a slow network and the SDK's retries.
    fn default() -> Self {
        Timeouts {
            connect: Duration::from_secs(10),
            operation: Duration::from_secs(60),
            iam_lag: Duration::from_secs(30),
        }
    }
}

impl Timeouts {
    /// One attempt may use half the budget, so a hung first attempt still leaves room for a retry.
    pub fn attempt(&self) -> Duration {
        (self.operation / 2).max(Duration::from_secs(1)).min(self.operation)
    }

    fn config(&self) -> TimeoutConfig {
        TimeoutConfig::builder()
            .connect_timeout(self.connect)
            .operation_timeout(self.operation)
            .operation_attempt_timeout(self.attempt())
            .build()
    }
}

/// Counts the requests this process sends, for reports.
#[derive(Debug, Clone, Default)]
pub struct CallCounter(Arc<AtomicUsize>);

impl CallCounter {
    pub fn tick(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }

    pub fn get(&self) -> usize {
        self.0.load(Ordering::Relaxed)
    }
}

/// Loaded configuration and one client per service, built from one config.
#[derive(Clone)]
pub struct Aws {
    pub region: Region,
    pub profile: Option<String>,
    pub endpoint: String,
    pub calls: CallCounter,
    pub timeouts: Timeouts,
    config: SdkConfig,
    pub iam: iam::Iam,
    sts: aws_sdk_sts::Client,
    /// Built on first use: the headless commands never list buckets or projects.
    s3: std::sync::OnceLock<aws_sdk_s3::Client>,
    pinpoint: std::sync::OnceLock<aws_sdk_pinpoint::Client>,
    /// Built on first use: only `plan` and the preview ask IAM Access Analyzer.
    analyzer: std::sync::OnceLock<aws_sdk_accessanalyzer::Client>,
    /// Where the credentials came from, once resolved.
    source: Arc<std::sync::OnceLock<String>>,
}

/// Who the caller is, as STS reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub account: AccountId,
    pub arn: String,
}

/// Why configuration could not be loaded; each is found before any request.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error(transparent)]
    Invalid(#[from] InvalidValue),
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error(
        "the profile {name:?} ({given_by}) is not in {config} or {credentials}: run `aws configure --profile {name}`, \
         or choose one of: {known}"
    )]
    UnknownProfile { name: String, given_by: &'static str, config: String, credentials: String, known: String },
    #[error("cannot read the AWS {what} file {path}: {error}")]
    UnreadableFile { what: &'static str, path: String, error: String },
    #[error("the environment variable {0} is not valid UTF-8: fix or unset it (it is never ignored)")]
    NonUtf8Env(String),
}

/// The AWS config and credentials files, as the AWS CLI finds them.
fn profile_paths() -> [(&'static str, PathBuf); 2] {
    let home = || std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default().join(".aws");
    let pick = |var: &str, file: &str| std::env::var_os(var).map(PathBuf::from).unwrap_or_else(|| home().join(file));
    [("config", pick("AWS_CONFIG_FILE", "config")), ("credentials", pick("AWS_SHARED_CREDENTIALS_FILE", "credentials"))]
}

/// Every `AWS_*` variable must be readable: the SDK would silently skip a non-UTF-8 one (an endpoint, say) and
/// send requests to AWS's real endpoints instead.
pub fn check_environment() -> Result<(), ConnectError> {
    for (key, value) in std::env::vars_os() {
        let Some(k) = key.to_str() else { continue };
        if k.starts_with("AWS_") && value.to_str().is_none() {
            return Err(ConnectError::NonUtf8Env(k.to_string()));
        }
    }
    for (what, path) in profile_paths() {
        // Read, not just opened: the SDK would skip an unreadable file silently and use other credentials.
        if let Err(e) = std::fs::read(&path)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            return Err(ConnectError::UnreadableFile { what, path: path.display().to_string(), error: e.to_string() });
        }
    }
    Ok(())
}

/// The AWS CLI refuses a profile it cannot find, named by `--profile` or `AWS_PROFILE`: so do we.
async fn check_profile(name: &str, given_by: &'static str) -> Result<(), ConnectError> {
    use aws_types::os_shim_internal::{Env, Fs};
    let files = aws_runtime::env_config::file::EnvConfigFiles::default();
    let set = aws_config::profile::load(&Fs::real(), &Env::real(), &files, None).await.map_err(|e| {
        let [(_, config), _] = profile_paths();
        ConnectError::UnreadableFile { what: "config", path: config.display().to_string(), error: error::plain(&e) }
    })?;
    if set.get_profile(name).is_some() {
        return Ok(());
    }
    let [(_, config), (_, credentials)] = profile_paths();
    let mut known: Vec<&str> = set.profiles().collect();
    known.sort_unstable();
    Err(ConnectError::UnknownProfile {
        name: name.to_string(),
        given_by,
        config: config.display().to_string(),
        credentials: credentials.display().to_string(),
        known: if known.is_empty() { "(none: the files hold no profile)".into() } else { known.join(", ") },
    })
}

/// Characters a URI may hold as written (RFC 3986: unreserved, reserved and `%`). The `url` crate would quietly
/// trim or encode anything else (a space, a tab, `é`), while the SDK's parser refuses it at the first request.
fn uri_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~:/?#[]@!$&'()*+,;=%".contains(c)
}

/// An endpoint must be an absolute http(s) URL the SDK takes as written: anything else would be refused at the
/// first request, ignored, or sent somewhere unexpected. A password in it is never echoed.
pub fn check_endpoint(field: &str, url: &str) -> Result<(), InvalidValue> {
    let shown = endpoint_for_display(url);
    let example = "write e.g. http://127.0.0.1:5000";
    if let Some(c) = url.chars().find(|c| !uri_char(*c)) {
        let rule = format!("an endpoint URL has no spaces, control or non-ASCII characters (found {c:?}); {example}");
        return Err(InvalidValue::new(field, &shown, rule));
    }
    match url::Url::parse(url) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host_str().is_some_and(|h| !h.is_empty()) => Ok(()),
        Ok(_) => Err(InvalidValue::new(field, &shown, "an endpoint is an http:// or https:// URL with a host")),
        Err(e) => Err(InvalidValue::new(field, &shown, format!("not a URL ({e}); {example}"))),
    }
}

/// An endpoint as it may be shown (banner, errors): a password in its user information replaced, whatever else
/// is wrong with it (the whole value is one URL, so only `/`, `?` and `#` end its authority).
pub fn endpoint_for_display(url: &str) -> String {
    let start = url.find("://").map_or(0, |i| i + 3);
    let end = url[start..].find(['/', '?', '#']).map_or(url.len(), |e| start + e);
    let authority = &url[start..end];
    match authority.rfind('@').and_then(|at| authority[..at].find(':').map(|colon| (colon, at))) {
        Some((colon, at)) => format!("{}****{}", &url[..=start + colon], &url[start + at..]),
        None => url.to_string(),
    }
}

/// One HTTP client for every service client and credential provider: one connection pool, and the trusted
/// certificates read once instead of once per client. Left to themselves, the SDK's clients each build their own.
/// It is the SDK's default client (rustls with aws-lc, proxies from HTTPS_PROXY/NO_PROXY), built the way
/// aws-smithy-runtime builds it.
fn shared_http_client() -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    use aws_smithy_http_client::{Builder, Connector, proxy::ProxyConfig, tls};
    Builder::new().build_with_connector_fn(|settings, components| {
        let mut conn =
            Connector::builder().tls_provider(tls::Provider::Rustls(tls::rustls_provider::CryptoMode::AwsLc));
        conn.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            conn.set_sleep_impl(components.sleep_impl());
        }
        conn.set_proxy_config(Some(ProxyConfig::from_env()));
        conn.build()
    })
}

impl Aws {
    /// Load the configuration (no request is sent) and validate the resolved Region.
    ///
    /// Precedence is the AWS CLI's: `--profile` beats credentials in the environment, which beat `AWS_PROFILE`.
    pub async fn load(conn: &Connection) -> Result<Aws, ConnectError> {
        check_environment()?;
        let env_profile = std::env::var("AWS_PROFILE").ok().filter(|p| !p.is_empty());
        match (&conn.profile, &env_profile) {
            (Some(p), _) => check_profile(p, "--profile").await?,
            (None, Some(p)) if p != "default" => check_profile(p, "AWS_PROFILE").await?,
            _ => {}
        }
        let endpoint_url = match &conn.endpoint_url {
            Some(e) => Some(e.clone()),
            None => std::env::var("AWS_ENDPOINT_URL").ok().filter(|e| !e.is_empty()),
        };
        if let Some(e) = &endpoint_url {
            let field = if conn.endpoint_url.is_some() { "--endpoint-url" } else { "AWS_ENDPOINT_URL" };
            check_endpoint(field, e)?;
        }
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .timeout_config(conn.timeouts.config())
            .http_client(shared_http_client());
        if let Some(p) = &conn.profile {
            // The default chain would take AWS_ACCESS_KEY_ID first; an explicit profile must win, as in the CLI.
            let provider = aws_config::profile::ProfileFileCredentialsProvider::builder().profile_name(p).build();
            loader = loader.profile_name(p).credentials_provider(provider);
        }
        if let Some(r) = &conn.region {
            loader = loader.region(aws_config::Region::new(r.to_string()));
        }
        if let Some(e) = &conn.endpoint_url {
            loader = loader.endpoint_url(e);
        }
        let config = loader.load().await;
        let region = match (&conn.region, config.region()) {
            (Some(r), _) => r.clone(),
            (None, Some(r)) => Region::parse("AWS_REGION (or the profile's region)", r.as_ref())?,
            (None, None) => return Err(AwsError::NoRegion.into()),
        };
        let endpoint =
            config.endpoint_url().map(endpoint_for_display).unwrap_or_else(|| format!("the AWS endpoints of {region}"));
        let calls = CallCounter::default();
        let iam = iam::Iam::new(aws_sdk_iam::Client::new(&config), calls.clone(), endpoint.clone())
            .with_unanswered_grace(conn.timeouts.attempt());
        let profile = conn.profile.clone().or(env_profile);
        Ok(Aws {
            region,
            profile,
            endpoint,
            calls,
            timeouts: conn.timeouts,
            iam,
            sts: aws_sdk_sts::Client::new(&config),
            s3: std::sync::OnceLock::new(),
            pinpoint: std::sync::OnceLock::new(),
            analyzer: std::sync::OnceLock::new(),
            config,
            source: Arc::default(),
        })
    }

    fn site<'a>(&'a self, action: &'a str, resource: &'a str) -> CallSite<'a> {
        CallSite { action, resource, endpoint: &self.endpoint }
    }

    /// Resolve credentials through the chain, so a missing or expired login is reported before any call.
    pub async fn check_credentials(&self) -> Result<(), AwsError> {
        let Some(provider) = self.config.credentials_provider() else {
            return Err(AwsError::NoCredentials { detail: "no credentials provider is configured".into() });
        };
        let creds = provider.provide_credentials().await.map_err(|e| error::credentials(&e))?;
        use aws_credential_types::credential_feature::AwsCredentialFeature as F;
        let features = creds.get_property::<Vec<F>>().cloned().unwrap_or_default();
        let has = |f: F| features.contains(&f);
        let kind = if has(F::CredentialsEnvVars) {
            "env"
        } else if has(F::CredentialsSso) || has(F::CredentialsProfileSso) {
            "sso"
        } else if has(F::CredentialsStsAssumeRole) {
            "assume-role"
        } else if has(F::CredentialsProfileProcess) || has(F::CredentialsProcess) {
            "process"
        } else if has(F::CredentialsProfileStsWebIdToken) || has(F::CredentialsStsAssumeRoleWebId) {
            "web-identity"
        } else if has(F::CredentialsImds) {
            "imds"
        } else if has(F::CredentialsHttp) {
            "container"
        } else if has(F::CredentialsProfile) {
            "profile"
        } else {
            "other"
        };
        let _ = self.source.set(self.describe_source(kind));
        Ok(())
    }

    /// Where the credentials came from, in the words of the AWS CLI's documentation.
    fn describe_source(&self, provider: &str) -> String {
        let [(_, config), (_, credentials)] = profile_paths();
        let profile = self.profile.as_deref().unwrap_or("default");
        // The file whose section holds the profile's keys (the credentials file wins, as in the CLI).
        let section = format!("[{profile}]");
        let in_credentials = std::fs::read_to_string(&credentials)
            .is_ok_and(|t| t.lines().any(|l| l.trim().eq_ignore_ascii_case(&section)));
        let files = if in_credentials { credentials.display().to_string() } else { config.display().to_string() };
        match provider {
            "env" => "environment variables (AWS_ACCESS_KEY_ID)".into(),
            "profile" => format!("profile {profile} ({files})"),
            "sso" => format!("IAM Identity Center (SSO) login of profile {profile}"),
            "assume-role" => format!("a role assumed through profile {profile} ({files})"),
            "process" => format!("the credential_process of profile {profile}"),
            "web-identity" => "a web identity token (AWS_WEB_IDENTITY_TOKEN_FILE)".into(),
            "imds" => "the EC2 instance's role (instance metadata)".into(),
            "container" => "the container's role (ECS/EKS credentials endpoint)".into(),
            _ => format!("the SDK's default chain (profile {profile})"),
        }
    }

    /// Where the credentials came from (after [`Aws::identity`] or [`Aws::check_credentials`]).
    pub fn credential_source(&self) -> &str {
        self.source.get().map(String::as_str).unwrap_or("not resolved yet")
    }

    /// STS GetCallerIdentity.
    pub async fn identity(&self) -> Result<Identity, AwsError> {
        self.check_credentials().await?;
        self.calls.tick();
        let out = self
            .sts
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| map_sdk(&self.site("sts:GetCallerIdentity", "the caller"), e))?;
        let account = out.account().unwrap_or_default();
        let account = AccountId::parse("the account id STS reported", account).map_err(|e| AwsError::Service {
            action: "sts:GetCallerIdentity".into(),
            resource: "the caller".into(),
            code: "InvalidResponse".into(),
            message: e.to_string(),
            request_id: None,
        })?;
        Ok(Identity { account, arn: out.arn().unwrap_or_default().to_string() })
    }

    pub(crate) fn s3(&self) -> &aws_sdk_s3::Client {
        self.s3.get_or_init(|| {
            // An emulator's endpoint takes the bucket in the path, not as a host name.
            let path_style = self.config.endpoint_url().is_some();
            aws_sdk_s3::Client::from_conf(
                aws_sdk_s3::config::Builder::from(&self.config).force_path_style(path_style).build(),
            )
        })
    }

    pub(crate) fn pinpoint(&self) -> &aws_sdk_pinpoint::Client {
        self.pinpoint.get_or_init(|| aws_sdk_pinpoint::Client::new(&self.config))
    }

    pub(crate) fn analyzer(&self) -> &aws_sdk_accessanalyzer::Client {
        self.analyzer.get_or_init(|| {
            // Access Analyzer's findings are advice beside this tool's own: one attempt, so a plan never waits
            // on retries of a call it can do without (its failure is one line in the output).
            let conf = aws_sdk_accessanalyzer::config::Builder::from(&self.config)
                .retry_config(aws_sdk_accessanalyzer::config::retry::RetryConfig::disabled())
                .build();
            aws_sdk_accessanalyzer::Client::from_conf(conf)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_must_be_http_urls_with_a_host() {
        assert!(check_endpoint("--endpoint-url", "http://127.0.0.1:5000").is_ok());
        assert!(check_endpoint("--endpoint-url", "https://iam.amazonaws.com").is_ok());
        for bad in ["127.0.0.1:5000", "ftp://host", "http://", "not a url", ""] {
            let e = check_endpoint("--endpoint-url", bad).unwrap_err();
            assert_eq!(e.field, "--endpoint-url", "{bad}");
        }
        // What the url crate would trim or encode but the SDK refuses.
        for bad in ["http://127.0.0.1:5000 ", " http://127.0.0.1:5000", "http://127.0.0.1:5000/a b", "http://h/\té"] {
            let e = check_endpoint("--endpoint-url", bad).unwrap_err();
            assert!(e.rule.contains("no spaces"), "{bad:?}: {e}");
        }
    }

    #[test]
    fn a_password_in_an_endpoint_is_never_shown() {
        let e = check_endpoint("--endpoint-url", "http://ops:hunter2@127.0.0.1:5000/a b").unwrap_err();
        assert!(!e.to_string().contains("hunter2"), "{e}");
        assert!(e.to_string().contains("ops:"), "{e}");
        assert_eq!(endpoint_for_display("https://ops:hunter2@proxy.example/"), "https://ops:****@proxy.example/");
        assert_eq!(endpoint_for_display("https://ops@proxy.example/"), "https://ops@proxy.example/");
        assert_eq!(endpoint_for_display("ops:pass word@h:1"), "ops:****@h:1");
    }

    #[test]
    fn attempts_get_half_the_operation_budget() {
        let t = Timeouts { connect: Duration::from_secs(1), operation: Duration::from_secs(10), ..Timeouts::default() };
        let c = t.config();
        assert_eq!(c.operation_attempt_timeout(), Some(Duration::from_secs(5)));
        assert_eq!(c.connect_timeout(), Some(Duration::from_secs(1)));
    }
}
