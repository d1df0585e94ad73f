//! A role whose profile names `mfa_serial`, assumed as the AWS CLI assumes it: the code asked for once on the
//! terminal ("Enter MFA code for ARN: "), `SerialNumber` and `TokenCode` sent with `AssumeRole`, and the session
//! cached in the CLI's `~/.aws/cli/cache`, in its JSON format and under its key, so either tool reuses a
//! session the other cached. The Rust SDK's profile provider ignores `mfa_serial`.

use aws_config::profile::Profile;
use aws_credential_types::Credentials;
use aws_credential_types::credential_feature::AwsCredentialFeature;
use aws_credential_types::provider::{self, ProvideCredentials, SharedCredentialsProvider, error::CredentialsError};
use aws_smithy_types::date_time::{DateTime, Format};
use serde::{Deserialize, Serialize};
use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// Where the MFA code comes from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum MfaPrompt {
    /// Ask on standard input when it is a terminal (headless commands).
    Terminal,
    /// Never ask (the wizard, whose screen owns the terminal): only a cached session will do, else the wizard
    /// learns that a code is needed ([`MfaNeeded`]) and asks on its Identity screen.
    #[default]
    Never,
    /// The code the operator typed on the wizard's Identity screen.
    Given(String),
}

/// The CLI treats a cached session that ends within 15 minutes as expired (botocore's
/// `CachedCredentialFetcher.DEFAULT_EXPIRY_WINDOW_SECONDS`).
const EXPIRY_WINDOW: Duration = Duration::from_secs(15 * 60);

/// The assume-role settings of a profile with `mfa_serial`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MfaRole {
    pub profile: String,
    pub role_arn: String,
    pub serial: String,
    pub source_profile: Option<String>,
    pub credential_source: Option<String>,
    session_name: Option<String>,
    external_id: Option<String>,
    duration_seconds: Option<i32>,
}

/// An `AssumeRole` answer as the AWS CLI caches it (botocore's `JSONFileCache`).
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CachedResponse {
    credentials: CachedCredentials,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    assumed_role_user: Option<serde_json::Value>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct CachedCredentials {
    access_key_id: String,
    secret_access_key: String,
    session_token: String,
    expiration: String,
}

impl MfaRole {
    /// The profile's settings, when it assumes a role with `mfa_serial`.
    pub fn from_profile(name: &str, p: &Profile) -> Option<MfaRole> {
        let get = |k: &str| p.get(k).filter(|v| !v.is_empty()).map(str::to_string);
        Some(MfaRole {
            profile: name.to_string(),
            role_arn: get("role_arn")?,
            serial: get("mfa_serial")?,
            source_profile: get("source_profile"),
            credential_source: get("credential_source"),
            session_name: get("role_session_name"),
            external_id: get("external_id"),
            // As botocore: a value that is not a number is left out.
            duration_seconds: get("duration_seconds").and_then(|d| d.parse().ok()),
        })
    }

    /// The CLI's cache key: SHA-1 of the assume-role arguments (without a generated session name) as Python's
    /// `json.dumps(args, sort_keys=True)` writes them.
    pub fn cache_key(&self) -> String {
        let mut fields: Vec<(&str, serde_json::Value)> =
            vec![("RoleArn", self.role_arn.clone().into()), ("SerialNumber", self.serial.clone().into())];
        if let Some(s) = &self.session_name {
            fields.push(("RoleSessionName", s.clone().into()));
        }
        if let Some(e) = &self.external_id {
            fields.push(("ExternalId", e.clone().into()));
        }
        if let Some(d) = self.duration_seconds {
            fields.push(("DurationSeconds", d.into()));
        }
        fields.sort_by(|a, b| a.0.cmp(b.0));
        let body: Vec<String> =
            fields.iter().map(|(k, v)| format!("{}: {}", python_json(k), python_value(v))).collect();
        let text = format!("{{{}}}", body.join(", "));
        use sha1::Digest;
        hex::encode(sha1::Sha1::digest(text.as_bytes()))
    }

    /// The session the CLI (or this tool) cached for this role, if it is valid beyond the CLI's window.
    pub fn cached(&self, dir: &Path) -> Option<Credentials> {
        let text = std::fs::read_to_string(dir.join(format!("{}.json", self.cache_key()))).ok()?;
        let cached: CachedResponse = serde_json::from_str(&text).ok()?;
        let expiry = parse_expiration(&cached.credentials.expiration)?;
        if expiry < SystemTime::now() + EXPIRY_WINDOW {
            return None;
        }
        let c = cached.credentials;
        Some(credentials(c.access_key_id, c.secret_access_key, c.session_token, expiry))
    }
}

/// Where the AWS CLI caches assumed-role sessions.
pub fn cache_dir() -> PathBuf {
    std::env::var_os("HOME").map(PathBuf::from).unwrap_or_default().join(".aws/cli/cache")
}

/// A string as Python's `json.dumps` writes it (ASCII only: other characters escaped as `\uXXXX`).
fn python_json(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || (c as u32) > 0x7e => {
                let mut buf = [0u16; 2];
                for unit in c.encode_utf16(&mut buf) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn python_value(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => python_json(s),
        other => other.to_string(),
    }
}

/// The CLI writes `2026-12-06T15:00:00UTC` (Python's `%Z`); ISO 8601 with `Z` or an offset is read too.
fn parse_expiration(s: &str) -> Option<SystemTime> {
    let normalized = match s.strip_suffix("UTC") {
        Some(rest) => format!("{rest}Z"),
        None => s.replace("+00:00", "Z"),
    };
    let t = DateTime::from_str(&normalized, Format::DateTime).ok()?;
    SystemTime::try_from(t).ok()
}

/// Expiration in the CLI's own cache format.
fn format_expiration(t: SystemTime) -> String {
    let iso = DateTime::from(t).fmt(Format::DateTime).unwrap_or_default();
    // `2026-12-06T15:00:00Z` or with fractional seconds: the CLI writes whole seconds and `UTC`.
    format!("{}UTC", iso.get(..19).unwrap_or(&iso))
}

fn credentials(key: String, secret: String, token: String, expiry: SystemTime) -> Credentials {
    let mut c = Credentials::new(key, secret, Some(token), Some(expiry), "AssumeRoleWithMfa");
    c.get_property_mut_or_default::<Vec<AwsCredentialFeature>>().push(AwsCredentialFeature::CredentialsStsAssumeRole);
    c
}

/// Assumes the role with a code from the terminal, or reuses the cached session.
#[derive(Debug)]
pub(crate) struct MfaProvider {
    pub role: MfaRole,
    pub prompt: MfaPrompt,
    /// The source profile's (or the environment's) credentials, which sign `AssumeRole`.
    pub source: SharedCredentialsProvider,
    /// STS, configured like the loader (Region, HTTP client, endpoint) without credentials.
    pub sts: aws_sdk_sts::config::Builder,
    pub cache: PathBuf,
}

/// Why the MFA code could not be had here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MfaWhy {
    /// A headless command whose standard input is not a terminal.
    NoTerminal,
    /// The wizard: its Identity screen asks for the code.
    AskOnScreen,
}

/// An MFA code is needed and could not be asked for: the wizard asks on its Identity screen, a headless command
/// refuses.
#[derive(Debug, thiserror::Error)]
#[error("profile {profile} assumes its role with MFA (mfa_serial = {serial}): {}", why_words(*.why, .profile))]
pub struct MfaNeeded {
    pub profile: String,
    pub serial: String,
    pub why: MfaWhy,
}

fn why_words(why: MfaWhy, profile: &str) -> String {
    match why {
        MfaWhy::NoTerminal => format!(
            "a code is needed, but standard input is not a terminal and no valid session is cached in \
             ~/.aws/cli/cache; run the command on a terminal to type it, or cache a session first with \
             `aws sts get-caller-identity --profile {profile}`"
        ),
        MfaWhy::AskOnScreen => "type the current code of your MFA device below, then Enter".into(),
    }
}

/// AWS refused `AssumeRole` with the code given: a wrong or used code (or a trust that refuses anyway).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("AWS did not accept the MFA code for profile {profile} ({serial}): {message}")]
pub struct CodeRejected {
    pub profile: String,
    pub serial: String,
    pub message: String,
}

impl MfaProvider {
    /// Whether a code can be had at all (before any request): a terminal to ask on, or a cached session.
    pub fn check(&self) -> Result<(), MfaNeeded> {
        if self.role.cached(&self.cache).is_some() {
            return Ok(());
        }
        let why = match self.prompt {
            MfaPrompt::Never => MfaWhy::AskOnScreen,
            MfaPrompt::Terminal if !std::io::stdin().is_terminal() => MfaWhy::NoTerminal,
            MfaPrompt::Terminal | MfaPrompt::Given(_) => return Ok(()),
        };
        Err(MfaNeeded { profile: self.role.profile.clone(), serial: self.role.serial.clone(), why })
    }

    async fn assume(&self) -> Result<Credentials, CredentialsError> {
        if let Some(c) = self.role.cached(&self.cache) {
            return Ok(c);
        }
        self.check().map_err(CredentialsError::not_loaded)?;
        let code = match &self.prompt {
            MfaPrompt::Given(code) => code.clone(),
            _ => ask_code(&self.role.serial).await.map_err(CredentialsError::provider_error)?,
        };
        let client = aws_sdk_sts::Client::from_conf(self.sts.clone().credentials_provider(self.source.clone()).build());
        let session = self.role.session_name.clone().unwrap_or_else(|| {
            let now = SystemTime::now().duration_since(SystemTime::UNIX_EPOCH).unwrap_or_default();
            format!("pinpoint-iam-wizard-{}", now.as_secs())
        });
        let out = client
            .assume_role()
            .role_arn(&self.role.role_arn)
            .role_session_name(session)
            .serial_number(&self.role.serial)
            .token_code(code)
            .set_external_id(self.role.external_id.clone())
            .set_duration_seconds(self.role.duration_seconds)
            .send()
            .await
            .map_err(|e| self.rejected(e))?;
        let c = out.credentials().ok_or_else(|| CredentialsError::unhandled("AssumeRole returned no credentials"))?;
        let expiry = SystemTime::try_from(*c.expiration()).unwrap_or_else(|_| SystemTime::now());
        let cached = CachedResponse {
            credentials: CachedCredentials {
                access_key_id: c.access_key_id().to_string(),
                secret_access_key: c.secret_access_key().to_string(),
                session_token: c.session_token().to_string(),
                expiration: format_expiration(expiry),
            },
            assumed_role_user: out
                .assumed_role_user()
                .map(|u| serde_json::json!({ "AssumedRoleId": u.assumed_role_id(), "Arn": u.arn() })),
        };
        // A session that cannot be cached still works for this run; the next one asks again.
        if let Err(e) = write_cache(&self.cache, &self.role.cache_key(), &cached) {
            tracing::warn!("could not cache the MFA session in {}: {e}", self.cache.display());
        }
        let c = cached.credentials;
        Ok(credentials(c.access_key_id, c.secret_access_key, c.session_token, expiry))
    }
}

impl MfaProvider {
    /// An `AccessDenied` answer to `AssumeRole` with a code is the code's refusal (said so, so the wizard asks
    /// again); any other failure is left for the caller to word.
    fn rejected(
        &self,
        e: aws_sdk_sts::error::SdkError<aws_sdk_sts::operation::assume_role::AssumeRoleError>,
    ) -> CredentialsError {
        use aws_sdk_sts::error::ProvideErrorMetadata;
        match e.as_service_error().filter(|s| s.code() == Some("AccessDenied")) {
            Some(s) => CredentialsError::provider_error(CodeRejected {
                profile: self.role.profile.clone(),
                serial: self.role.serial.clone(),
                message: super::error::clean(s.message().unwrap_or_default()),
            }),
            None => CredentialsError::provider_error(e),
        }
    }
}

impl ProvideCredentials for MfaProvider {
    fn provide_credentials<'a>(&'a self) -> provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        provider::future::ProvideCredentials::new(self.assume())
    }
}

/// Ask once on the terminal, as the CLI does (echo is fine: the code is good for one use).
async fn ask_code(serial: &str) -> std::io::Result<String> {
    let prompt = format!("Enter MFA code for {serial}: ");
    let line = tokio::task::spawn_blocking(move || {
        let mut err = std::io::stderr().lock();
        err.write_all(prompt.as_bytes())?;
        err.flush()?;
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        Ok::<_, std::io::Error>(line)
    })
    .await
    .map_err(std::io::Error::other)??;
    let code = line.trim().to_string();
    if code.is_empty() {
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidInput, "no MFA code was typed"));
    }
    Ok(code)
}

/// Write as the CLI does: a temporary file in the directory, then renamed over the entry; readable only by its
/// owner, since it holds a secret.
fn write_cache(dir: &Path, key: &str, value: &CachedResponse) -> std::io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    std::fs::DirBuilder::new().recursive(true).mode(0o700).create(dir)?;
    let tmp = dir.join(format!("{key}.{}.tmp", std::process::id()));
    let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&tmp)?;
    f.write_all(&serde_json::to_vec(value).map_err(std::io::Error::other)?)?;
    f.sync_all()?;
    std::fs::rename(&tmp, dir.join(format!("{key}.json")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn role(extra: &[(&str, &str)]) -> MfaRole {
        let mut props: HashMap<String, aws_config::profile::Property> = HashMap::new();
        for (k, v) in [("role_arn", "arn:aws:iam::123456789012:role/admin"), ("mfa_serial", "arn:aws:iam::1:mfa/me")]
            .iter()
            .chain(extra)
        {
            props.insert(k.to_string(), aws_config::profile::Property::new(k.to_string(), v.to_string()));
        }
        MfaRole::from_profile("admin", &Profile::new("admin", props)).unwrap()
    }

    #[test]
    fn cache_keys_are_the_clis() {
        // Computed with Python: sha1(json.dumps(args, sort_keys=True).encode()).hexdigest(), as botocore does.
        assert_eq!(role(&[]).cache_key(), "e008d4164f860c8875e580caa03a828e7d14b281");
        let all = role(&[("role_session_name", "ops"), ("external_id", "é x"), ("duration_seconds", "900")]);
        assert_eq!(all.cache_key(), "45423b04c83d1856ce1c69d015f66c6e346244d9");
    }

    #[test]
    fn expirations_read_in_every_form_the_cli_writes() {
        let want = SystemTime::UNIX_EPOCH + Duration::from_secs(1_796_569_200);
        for s in ["2026-12-06T15:00:00UTC", "2026-12-06T15:00:00Z", "2026-12-06T15:00:00+00:00"] {
            assert_eq!(parse_expiration(s), Some(want), "{s}");
        }
        assert_eq!(format_expiration(want), "2026-12-06T15:00:00UTC");
    }
}
