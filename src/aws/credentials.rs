//! Credentials as the AWS CLI resolves them: which profile kind is configured, the one provider of the process
//! (resolved once, shared by every client), and where the credentials came from in words.
//!
//! Precedence is the CLI's: `--profile` beats keys in the environment, which beat `AWS_PROFILE`; within a
//! profile, aws-config's profile provider resolves every kind the CLI does (static keys, `role_arn` with
//! `source_profile` or `credential_source`, chains of them, `credential_process`, `web_identity_token_file`,
//! `sso_session` and legacy SSO). A role with `mfa_serial` is assumed by [`super::mfa`], which the SDK cannot do.

use super::mfa::MfaRole;
use aws_config::provider_config::ProviderConfig;
use aws_credential_types::Credentials;
use aws_credential_types::credential_feature::AwsCredentialFeature as F;
use aws_credential_types::provider::{self, ProvideCredentials, SharedCredentialsProvider};
use aws_runtime::env_config::section::EnvConfigSections;
use std::fmt;
use std::path::PathBuf;
use std::sync::RwLock;
use std::time::{Duration, SystemTime};

/// Which kind of credentials a profile (or the environment) holds, as the AWS CLI's documentation lists them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialKind {
    /// `AWS_ACCESS_KEY_ID` and `AWS_SECRET_ACCESS_KEY` (and perhaps `AWS_SESSION_TOKEN`).
    Environment,
    /// `aws_access_key_id` in a profile.
    StaticProfile,
    /// `role_arn` with `source_profile` or `credential_source`.
    AssumeRole,
    /// `role_arn` with `mfa_serial`: assumed with a code typed on the terminal.
    AssumeRoleMfa,
    /// IAM Identity Center: `sso_session` or legacy `sso_start_url`.
    Sso,
    /// `login_session`, written by `aws login`.
    Login,
    /// `credential_process`.
    Process,
    /// `web_identity_token_file` in the profile, or `AWS_WEB_IDENTITY_TOKEN_FILE`.
    WebIdentity,
    /// The EC2 instance's role (instance metadata).
    InstanceMetadata,
    /// The ECS/EKS container's role (its credentials endpoint).
    Container,
    /// A profile that names none of the above: the SDK's default chain goes on past it.
    Other,
}

/// Where the process's credentials come from: the kind, and the profile and file that hold it.
///
/// Its `Display` is the banner's wording; the wizard's Identity screen shows the same.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CredentialSource {
    pub kind: CredentialKind,
    /// The profile in use (`default` when none is named); `None` for the environment's keys.
    pub profile: Option<String>,
    /// The file whose section holds the profile (the credentials file wins, as in the CLI).
    pub file: Option<PathBuf>,
}

impl fmt::Display for CredentialSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let profile = self.profile.as_deref().unwrap_or("default");
        let file = self.file.as_ref().map(|p| format!(" ({})", p.display())).unwrap_or_default();
        match self.kind {
            CredentialKind::Environment => write!(f, "environment variables (AWS_ACCESS_KEY_ID)"),
            CredentialKind::StaticProfile => write!(f, "profile {profile}{file}"),
            CredentialKind::AssumeRole => write!(f, "a role assumed through profile {profile}{file}"),
            CredentialKind::AssumeRoleMfa => write!(f, "a role assumed with MFA through profile {profile}{file}"),
            CredentialKind::Sso => write!(f, "IAM Identity Center (SSO) login of profile {profile}"),
            CredentialKind::Login => write!(f, "the `aws login` session of profile {profile}"),
            CredentialKind::Process => write!(f, "the credential_process of profile {profile}"),
            CredentialKind::WebIdentity => write!(f, "a web identity token (profile {profile})"),
            CredentialKind::InstanceMetadata => write!(f, "the EC2 instance's role (instance metadata)"),
            CredentialKind::Container => write!(f, "the container's role (ECS/EKS credentials endpoint)"),
            CredentialKind::Other => write!(f, "the SDK's default chain (profile {profile})"),
        }
    }
}

impl CredentialSource {
    /// The command (or step) that renews expired credentials of this kind.
    pub fn refresh_hint(&self) -> String {
        let p = self.profile.as_deref().unwrap_or("default");
        match self.kind {
            CredentialKind::Sso => format!("run `aws sso login --profile {p}`"),
            CredentialKind::Login => format!("run `aws login --profile {p}`"),
            CredentialKind::Environment => {
                "export new temporary credentials (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN)".into()
            }
            CredentialKind::StaticProfile => {
                format!("put new temporary credentials in profile {p} (`aws configure --profile {p}`)")
            }
            CredentialKind::AssumeRole => format!("renew the credentials of the source profile of {p}, then run again"),
            CredentialKind::AssumeRoleMfa => format!(
                "run again on a terminal to type a new MFA code for profile {p} (its cached session in ~/.aws/cli/cache \
                 has expired)"
            ),
            CredentialKind::Process => format!("make the credential_process of profile {p} return fresh credentials"),
            CredentialKind::WebIdentity => "renew the web identity token file, then run again".into(),
            CredentialKind::InstanceMetadata | CredentialKind::Container => {
                "run again: the role's credentials are renewed by AWS".into()
            }
            CredentialKind::Other => format!("renew the credentials of profile {p} (`aws configure --profile {p}`)"),
        }
    }
}

/// The source configured for this process, for wording errors found anywhere later (one resolution per
/// process: the last [`super::Aws::load`] sets it).
static CONFIGURED: RwLock<Option<CredentialSource>> = RwLock::new(None);

/// The credentials' source as configured, if a configuration was loaded.
pub fn configured() -> Option<CredentialSource> {
    CONFIGURED.read().ok().and_then(|g| g.clone())
}

pub(crate) fn set_configured(source: &CredentialSource) {
    if let Ok(mut g) = CONFIGURED.write() {
        *g = Some(source.clone());
    }
}

fn env_set(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| !v.is_empty())
}

/// What the configuration says, read before any request: which profile, its kind, and its MFA role if any.
#[derive(Debug, Clone)]
pub(crate) struct Configured {
    pub source: CredentialSource,
    pub mfa: Option<MfaRole>,
}

/// The kind the CLI would use: `--profile` (explicit) beats the environment's keys, which beat `AWS_PROFILE`.
pub(crate) fn configured_source(
    explicit: Option<&str>,
    env_profile: Option<&str>,
    profiles: &EnvConfigSections,
    files: &[(&'static str, PathBuf); 2],
) -> Configured {
    if explicit.is_none() && env_set("AWS_ACCESS_KEY_ID") {
        let source = CredentialSource { kind: CredentialKind::Environment, profile: None, file: None };
        return Configured { source, mfa: None };
    }
    let name = explicit.or(env_profile).unwrap_or("default");
    let section = profiles.get_profile(name);
    let get = |key: &str| section.and_then(|s| s.get(key)).filter(|v| !v.is_empty());
    // The order of aws-config's profile resolution: a web identity token wins over `role_arn`'s other sources.
    let kind = if get("web_identity_token_file").is_some() {
        CredentialKind::WebIdentity
    } else if get("role_arn").is_some() && get("mfa_serial").is_some() {
        CredentialKind::AssumeRoleMfa
    } else if get("role_arn").is_some() {
        CredentialKind::AssumeRole
    } else if get("sso_session").is_some() || get("sso_start_url").is_some() {
        CredentialKind::Sso
    } else if get("login_session").is_some() {
        CredentialKind::Login
    } else if get("credential_process").is_some() {
        CredentialKind::Process
    } else if get("aws_access_key_id").is_some() {
        CredentialKind::StaticProfile
    } else if explicit.is_some() {
        CredentialKind::Other
    } else {
        fallback_kind()
    };
    let mfa = section.filter(|_| kind == CredentialKind::AssumeRoleMfa).and_then(|s| MfaRole::from_profile(name, s));
    let source = CredentialSource { kind, profile: Some(name.to_string()), file: file_holding(name, files) };
    Configured { source, mfa }
}

/// With no profile that holds credentials, the default chain goes on to these, in this order.
fn fallback_kind() -> CredentialKind {
    if env_set("AWS_WEB_IDENTITY_TOKEN_FILE") {
        CredentialKind::WebIdentity
    } else if env_set("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") || env_set("AWS_CONTAINER_CREDENTIALS_FULL_URI") {
        CredentialKind::Container
    } else {
        CredentialKind::InstanceMetadata
    }
}

/// The file whose section holds the profile: the credentials file wins, as in the CLI.
fn file_holding(profile: &str, files: &[(&'static str, PathBuf); 2]) -> Option<PathBuf> {
    let [(_, config), (_, credentials)] = files;
    let holds = |path: &PathBuf, header: &str| {
        std::fs::read_to_string(path).is_ok_and(|t| t.lines().any(|l| l.trim().eq_ignore_ascii_case(header)))
    };
    let config_header = if profile == "default" { "[default]".to_string() } else { format!("[profile {profile}]") };
    if holds(credentials, &format!("[{profile}]")) {
        Some(credentials.clone())
    } else if holds(config, &config_header) {
        Some(config.clone())
    } else {
        None
    }
}

/// The kind the resolved credentials report (their SDK features), refined by what was configured.
pub(crate) fn resolved_kind(creds: &Credentials, configured: CredentialKind) -> CredentialKind {
    let features = creds.get_property::<Vec<F>>().cloned().unwrap_or_default();
    let has = |f: F| features.contains(&f);
    if has(F::CredentialsEnvVars) {
        CredentialKind::Environment
    } else if has(F::CredentialsSso) || has(F::CredentialsProfileSso) {
        CredentialKind::Sso
    } else if has(F::CredentialsLogin) || has(F::CredentialsProfileLogin) {
        CredentialKind::Login
    } else if has(F::CredentialsStsAssumeRole) {
        if configured == CredentialKind::AssumeRoleMfa { configured } else { CredentialKind::AssumeRole }
    } else if has(F::CredentialsProfileProcess) || has(F::CredentialsProcess) {
        CredentialKind::Process
    } else if has(F::CredentialsProfileStsWebIdToken)
        || has(F::CredentialsStsAssumeRoleWebId)
        || has(F::CredentialsEnvVarsStsWebIdToken)
    {
        CredentialKind::WebIdentity
    } else if has(F::CredentialsImds) {
        CredentialKind::InstanceMetadata
    } else if has(F::CredentialsHttp) {
        CredentialKind::Container
    } else if has(F::CredentialsProfile) {
        CredentialKind::StaticProfile
    } else {
        configured
    }
}

/// The one credentials provider of the process: the CLI's choice of provider, configured with the loader's
/// Region and HTTP client (a provider built without them cannot sign its own STS calls).
pub(crate) async fn chain(
    explicit: Option<&str>,
    provider_config: ProviderConfig,
    region: Option<aws_config::Region>,
) -> SharedCredentialsProvider {
    match explicit {
        // An explicit profile must win over the environment's keys, which the default chain takes first.
        Some(p) => SharedCredentialsProvider::new(
            aws_config::profile::ProfileFileCredentialsProvider::builder()
                .configure(&provider_config)
                .profile_name(p)
                .build(),
        ),
        None => {
            let mut builder = aws_config::default_provider::credentials::DefaultCredentialsChain::builder()
                .configure(provider_config);
            builder.set_region(region);
            SharedCredentialsProvider::new(builder.build().await)
        }
    }
}

/// Credentials resolved once and shared by the identity check and every client: an assume-role profile sends
/// one `AssumeRole` per process (with MFA, a second would need a second code). Renewed only near expiry.
#[derive(Debug)]
pub(crate) struct ResolvedOnce {
    inner: SharedCredentialsProvider,
    cell: tokio::sync::Mutex<Option<Credentials>>,
}

/// Credentials this close to expiry are renewed before use.
const RENEW_BEFORE: Duration = Duration::from_secs(60);

impl ResolvedOnce {
    pub(crate) fn new(inner: SharedCredentialsProvider) -> ResolvedOnce {
        ResolvedOnce { inner, cell: tokio::sync::Mutex::new(None) }
    }
}

impl ProvideCredentials for ResolvedOnce {
    fn provide_credentials<'a>(&'a self) -> provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        provider::future::ProvideCredentials::new(async move {
            // Held across the resolution, so concurrent first calls wait for the one resolution.
            let mut cell = self.cell.lock().await;
            let fresh = |c: &Credentials| c.expiry().is_none_or(|t| t > SystemTime::now() + RENEW_BEFORE);
            if let Some(c) = cell.as_ref().filter(|c| fresh(c)) {
                return Ok(c.clone());
            }
            let creds = self.inner.provide_credentials().await?;
            *cell = Some(creds.clone());
            Ok(creds)
        })
    }
}
