//! The only code that touches the AWS SDK: configuration, identity, listings, IAM reads and writes.

pub mod analyzer;
pub mod credentials;
pub mod error;
pub mod iam;
pub mod listings;
pub mod mfa;
pub mod regions;

pub use credentials::{CredentialKind, CredentialSource};
pub use error::AwsError;
pub use mfa::{MfaNeeded, MfaPrompt, MfaWhy};

use crate::setup::{AccountId, InvalidValue, Region};
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, SdkConfig};
use aws_credential_types::provider::SharedCredentialsProvider;
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
    /// Whether an MFA code may be asked for on the terminal.
    pub mfa: MfaPrompt,
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
    /// Where the credentials come from, as configured (before any request).
    configured: CredentialSource,
    /// Where the credentials came from, once resolved.
    source: Arc<std::sync::OnceLock<CredentialSource>>,
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
    #[error(
        "cannot use the CA bundle {path} ({given_by}): {error}; fix the path, or unset it to trust the system's \
         certificates"
    )]
    CaBundle { given_by: String, path: String, error: String },
    #[error(transparent)]
    MfaNeeded(#[from] mfa::MfaNeeded),
    #[error(
        "profile {profile} assumes its role with MFA from credential_source = {credential_source}, which this tool cannot \
         use with mfa_serial: use source_profile, or credential_source = Environment"
    )]
    MfaSourceUnsupported { profile: String, credential_source: String },
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

/// The profiles in the config and credentials files, as aws-config reads them.
async fn load_profiles() -> Result<aws_config::profile::ProfileSet, ConnectError> {
    use aws_types::os_shim_internal::{Env, Fs};
    let files = aws_runtime::env_config::file::EnvConfigFiles::default();
    aws_config::profile::load(&Fs::real(), &Env::real(), &files, None).await.map_err(|e| {
        let [(_, config), _] = profile_paths();
        ConnectError::UnreadableFile { what: "config", path: config.display().to_string(), error: error::plain(&e) }
    })
}

/// The AWS CLI refuses a profile it cannot find, named by `--profile` or `AWS_PROFILE`: so do we.
fn check_profile(
    set: &aws_config::profile::ProfileSet,
    name: &str,
    given_by: &'static str,
) -> Result<(), ConnectError> {
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
/// aws-smithy-runtime builds it; with a CA bundle, that bundle is the trust store instead of the system's.
fn shared_http_client(
    tls: Option<aws_smithy_http_client::tls::TlsContext>,
) -> aws_smithy_runtime_api::client::http::SharedHttpClient {
    use aws_smithy_http_client::{Builder, Connector, proxy::ProxyConfig, tls};
    Builder::new().build_with_connector_fn(move |settings, components| {
        let mut conn =
            Connector::builder().tls_provider(tls::Provider::Rustls(tls::rustls_provider::CryptoMode::AwsLc));
        if let Some(ctx) = &tls {
            conn.set_tls_context(ctx.clone());
        }
        conn.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            conn.set_sleep_impl(components.sleep_impl());
        }
        conn.set_proxy_config(Some(ProxyConfig::from_env()));
        conn.build()
    })
}

/// The CA bundle the AWS CLI would trust: `AWS_CA_BUNDLE`, else the profile's `ca_bundle`. Read and checked
/// before any request: the SDK would panic on a certificate it cannot parse.
fn ca_bundle(
    profiles: &aws_config::profile::ProfileSet,
    profile: &str,
) -> Result<Option<aws_smithy_http_client::tls::TlsContext>, ConnectError> {
    let from_env = std::env::var("AWS_CA_BUNDLE").ok().filter(|p| !p.is_empty()).map(|p| (p, "AWS_CA_BUNDLE".into()));
    let from_profile = || {
        let path = profiles.get_profile(profile)?.get("ca_bundle").filter(|p| !p.is_empty())?;
        Some((path.to_string(), format!("ca_bundle of profile {profile}")))
    };
    let Some((path, given_by)) = from_env.or_else(from_profile) else { return Ok(None) };
    let refuse = |error: String| ConnectError::CaBundle { given_by: given_by.clone(), path: path.clone(), error };
    let pem = std::fs::read(&path).map_err(|e| refuse(e.to_string()))?;
    check_certificates(&pem).map_err(refuse)?;
    let store = aws_smithy_http_client::tls::TrustStore::empty().with_native_roots(false).with_pem_certificate(pem);
    let ctx = aws_smithy_http_client::tls::TlsContext::builder().with_trust_store(store).build();
    ctx.map(Some).map_err(|e| refuse(error::plain(&e)))
}

/// Every certificate in a PEM bundle parses as a trust anchor, and there is at least one.
fn check_certificates(pem: &[u8]) -> Result<(), String> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("it is not a PEM certificate bundle ({e})"))?;
    if certs.is_empty() {
        return Err("it holds no PEM certificate".into());
    }
    let mut roots = rustls::RootCertStore::empty();
    for cert in certs {
        roots.add(cert).map_err(|e| format!("a certificate in it cannot be used ({e})"))?;
    }
    Ok(())
}

/// The loader's configuration (Region, endpoint, timeouts, HTTP client) with no credentials yet: the one
/// provider is built next, with the same Region and HTTP client.
async fn load_without_credentials(
    conn: &Connection,
    http: aws_smithy_runtime_api::client::http::SharedHttpClient,
) -> SdkConfig {
    let mut loader =
        aws_config::defaults(BehaviorVersion::latest()).timeout_config(conn.timeouts.config()).http_client(http);
    if let Some(p) = &conn.profile {
        loader = loader.profile_name(p);
    }
    if let Some(r) = &conn.region {
        loader = loader.region(aws_config::Region::new(r.to_string()));
    }
    if let Some(e) = &conn.endpoint_url {
        loader = loader.endpoint_url(e);
    }
    loader.no_credentials().load().await
}

/// The process's one credentials provider: the CLI's choice (an MFA role assumed by us), resolved once.
async fn credentials_provider(
    conn: &Connection,
    configured: &credentials::Configured,
    config: &SdkConfig,
    http: aws_smithy_runtime_api::client::http::SharedHttpClient,
) -> Result<SharedCredentialsProvider, ConnectError> {
    let provider_config = aws_config::provider_config::ProviderConfig::default()
        .with_region(config.region().cloned())
        .with_http_client(http);
    let inner = match &configured.mfa {
        Some(role) => {
            let mfa = mfa_provider(conn, role, config, provider_config)?;
            mfa.check()?;
            SharedCredentialsProvider::new(mfa)
        }
        None => credentials::chain(conn.profile.as_deref(), provider_config, config.region().cloned()).await,
    };
    Ok(SharedCredentialsProvider::new(credentials::ResolvedOnce::new(inner)))
}

/// The MFA role's provider: its source credentials (the source profile, or the environment) sign `AssumeRole`,
/// sent where the CLI sends it (`AWS_ENDPOINT_URL_STS`, `AWS_ENDPOINT_URL`, else STS; never `--endpoint-url`).
fn mfa_provider(
    conn: &Connection,
    role: &mfa::MfaRole,
    config: &SdkConfig,
    provider_config: aws_config::provider_config::ProviderConfig,
) -> Result<mfa::MfaProvider, ConnectError> {
    let source = match (&role.source_profile, role.credential_source.as_deref()) {
        (Some(p), _) => SharedCredentialsProvider::new(
            aws_config::profile::ProfileFileCredentialsProvider::builder()
                .configure(&provider_config)
                .profile_name(p)
                .build(),
        ),
        (None, Some(s)) if s.eq_ignore_ascii_case("Environment") => {
            SharedCredentialsProvider::new(aws_config::environment::EnvironmentVariableCredentialsProvider::new())
        }
        (None, other) => {
            return Err(ConnectError::MfaSourceUnsupported {
                profile: role.profile.clone(),
                credential_source: other.unwrap_or("(none)").to_string(),
            });
        }
    };
    let sts_endpoint = ["AWS_ENDPOINT_URL_STS", "AWS_ENDPOINT_URL"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|e| !e.is_empty()));
    let mut sts = aws_sdk_sts::config::Builder::from(config);
    sts.set_endpoint_url(sts_endpoint);
    Ok(mfa::MfaProvider { role: role.clone(), prompt: conn.mfa.clone(), source, sts, cache: mfa::cache_dir() })
}

/// The Region as configured (`--region`, `AWS_REGION`/`AWS_DEFAULT_REGION`, the profile's `region`), read
/// without loading credentials: what the wizard still shows when the configuration cannot be loaded (an unknown
/// profile, say). Never asks instance metadata; `None` when none is set or it is not a Region's form.
pub async fn configured_region(conn: &Connection) -> Option<Region> {
    use aws_config::environment::region::EnvironmentVariableRegionProvider;
    use aws_config::meta::region::RegionProviderChain;
    use aws_config::profile::ProfileFileRegionProvider;
    if let Some(r) = &conn.region {
        return Some(r.clone());
    }
    let mut profile = ProfileFileRegionProvider::builder();
    if let Some(p) = conn.profile.clone().or_else(|| std::env::var("AWS_PROFILE").ok().filter(|p| !p.is_empty())) {
        profile = profile.profile_name(p);
    }
    let chain = RegionProviderChain::first_try(EnvironmentVariableRegionProvider::new()).or_else(profile.build());
    let r = chain.region().await?;
    Region::parse("AWS_REGION", r.as_ref()).ok()
}

impl Aws {
    /// Load the configuration (no request is sent) and validate the resolved Region.
    ///
    /// Precedence is the AWS CLI's: `--profile` beats credentials in the environment, which beat `AWS_PROFILE`.
    pub async fn load(conn: &Connection) -> Result<Aws, ConnectError> {
        check_environment()?;
        let env_profile = std::env::var("AWS_PROFILE").ok().filter(|p| !p.is_empty());
        let profiles = load_profiles().await?;
        match (&conn.profile, &env_profile) {
            (Some(p), _) => check_profile(&profiles, p, "--profile")?,
            (None, Some(p)) if p != "default" => check_profile(&profiles, p, "AWS_PROFILE")?,
            _ => {}
        }
        let configured = credentials::configured_source(
            conn.profile.as_deref(),
            env_profile.as_deref(),
            &profiles,
            &profile_paths(),
        );
        credentials::set_configured(&configured.source);
        let endpoint_url = match &conn.endpoint_url {
            Some(e) => Some(e.clone()),
            None => std::env::var("AWS_ENDPOINT_URL").ok().filter(|e| !e.is_empty()),
        };
        if let Some(e) = &endpoint_url {
            let field = if conn.endpoint_url.is_some() { "--endpoint-url" } else { "AWS_ENDPOINT_URL" };
            check_endpoint(field, e)?;
        }
        let profile_name = conn.profile.as_deref().or(env_profile.as_deref()).unwrap_or("default");
        let http = shared_http_client(ca_bundle(&profiles, profile_name)?);
        let config = load_without_credentials(conn, http.clone()).await;
        let region = match (&conn.region, config.region()) {
            (Some(r), _) => r.clone(),
            (None, Some(r)) => Region::parse("AWS_REGION (or the profile's region)", r.as_ref())?,
            (None, None) => return Err(AwsError::NoRegion.into()),
        };
        let provider = credentials_provider(conn, &configured, &config, http).await?;
        let config = config.to_builder().credentials_provider(provider).build();
        Ok(Aws::from_config(conn, config, region, env_profile, configured.source))
    }

    fn from_config(
        conn: &Connection,
        config: SdkConfig,
        region: Region,
        env_profile: Option<String>,
        configured: CredentialSource,
    ) -> Aws {
        let endpoint =
            config.endpoint_url().map(endpoint_for_display).unwrap_or_else(|| format!("the AWS endpoints of {region}"));
        let calls = CallCounter::default();
        let iam = iam::Iam::new(aws_sdk_iam::Client::new(&config), calls.clone(), endpoint.clone())
            .with_unanswered_grace(conn.timeouts.attempt());
        Aws {
            region,
            profile: conn.profile.clone().or(env_profile),
            endpoint,
            calls,
            timeouts: conn.timeouts,
            iam,
            sts: aws_sdk_sts::Client::new(&config),
            s3: std::sync::OnceLock::new(),
            pinpoint: std::sync::OnceLock::new(),
            analyzer: std::sync::OnceLock::new(),
            config,
            configured,
            source: Arc::default(),
        }
    }

    fn site<'a>(&'a self, action: &'a str, resource: &'a str) -> CallSite<'a> {
        CallSite { action, resource, endpoint: &self.endpoint }
    }

    /// Resolve credentials (once per process), so a missing or expired login is reported before any call.
    pub async fn check_credentials(&self) -> Result<(), AwsError> {
        let Some(provider) = self.config.credentials_provider() else {
            return Err(AwsError::NoCredentials { detail: "no credentials provider is configured".into() });
        };
        let creds = provider.provide_credentials().await.map_err(|e| error::credentials(&e))?;
        let kind = credentials::resolved_kind(&creds, self.configured.kind);
        let _ = self.source.set(CredentialSource { kind, ..self.configured.clone() });
        Ok(())
    }

    /// Where the credentials came from, in the words of the AWS CLI's documentation (after [`Aws::identity`] or
    /// [`Aws::check_credentials`]; before, what the configuration names).
    pub fn credential_source(&self) -> String {
        self.source().to_string()
    }

    /// Where the credentials came from, as a type (the banner and the wizard's Identity screen word it alike).
    pub fn source(&self) -> &CredentialSource {
        self.source.get().unwrap_or(&self.configured)
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
