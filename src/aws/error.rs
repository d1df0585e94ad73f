//! SDK errors mapped to plain words: what failed, why, and what to do next.
//!
//! Classification goes through the SDK's typed errors (`SdkError` variants, `ProvideErrorMetadata`, the
//! `CredentialsError` and `std::io::Error` found in a failure's source chain), never through `Debug` text.

use super::credentials::{CredentialKind, CredentialSource};
use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_sts::operation::assume_role::AssumeRoleError;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_types::request_id::RequestId;
use std::error::Error as StdError;
use std::time::SystemTime;

/// A failure at AWS (or on the way to it), in words an operator can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AwsError {
    #[error(
        "no AWS credentials found ({detail}): set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, run `aws configure`, \
         or choose a profile with --profile or AWS_PROFILE"
    )]
    NoCredentials { detail: String },
    #[error("could not load AWS credentials from {from}: {detail}; {fix}")]
    CredentialsFailed { from: String, detail: String, fix: String },
    #[error(
        "AWS refused to let profile {profile} assume its role (AccessDenied on sts:AssumeRole): the role's trust \
         policy does not allow the source credentials, or it demands MFA (add mfa_serial to the profile); AWS said: \
         {message}"
    )]
    AssumeRoleDenied { profile: String, message: String },
    #[error(
        "AWS did not accept the MFA code for profile {profile} ({serial}; AccessDenied on sts:AssumeRole): type the \
         current code (each is good once, for about 30 seconds); if a fresh code is refused too, the role's trust \
         does not allow this MFA device. AWS said: {message}"
    )]
    MfaCodeRejected { profile: String, serial: String, message: String },
    #[error(
        "AWS rejected the request's signature (SignatureDoesNotMatch): the secret access key does not belong to the \
         access key id, or this machine's clock is wrong; enter the right secret (`aws configure`) or set the clock"
    )]
    SignatureMismatch,
    #[error(
        "AWS refused the request because this machine's clock is {offset} (RequestTimeTooSkewed): set the clock \
         right (e.g. `timedatectl set-ntp true`) and run again"
    )]
    ClockSkew { offset: String },
    #[error("the credentials from {from} have expired (ExpiredToken): {fix}")]
    ExpiredToken { from: String, fix: String },
    #[error(
        "AWS does not know the access key id the request was signed with ({code}): it was deleted, deactivated or \
         mistyped; {fix}"
    )]
    UnknownKey { code: String, fix: String },
    #[error("no AWS Region is configured: pass --region, set AWS_REGION, or set region in your profile")]
    NoRegion,
    #[error("cannot reach AWS at {endpoint} ({detail}); check the network, any proxy, and --endpoint-url")]
    Unreachable { endpoint: String, detail: String },
    #[error(
        "cannot reach AWS at {endpoint}: its TLS certificate is not trusted ({detail}); behind a TLS-inspecting \
         proxy, set AWS_CA_BUNDLE (or ca_bundle in the profile) to the file of its CA certificates"
    )]
    UntrustedCertificate { endpoint: String, detail: String },
    #[error(
        "{action} on {resource} timed out: no answer from {endpoint} within {detail}; the request may or may \
         not have been carried out (raise --operation-timeout for a slow network)"
    )]
    TimedOut { action: String, resource: String, endpoint: String, detail: String },
    #[error(
        "access denied: {action} on {resource}. The caller lacks the permission {action} on that resource; \
         ask an administrator to allow it. AWS said: {message}{}", rid(.request_id)
    )]
    AccessDenied { action: String, resource: String, message: String, request_id: Option<String> },
    #[error("AWS kept throttling {action} after the SDK's retries; wait a minute and run again")]
    Throttled { action: String },
    #[error("{action} on {resource} hit an AWS quota: {message}{}", rid(.request_id))]
    Quota { action: String, resource: String, message: String, request_id: Option<String> },
    #[error("{action} on {resource} failed: {message}{}", rid(.request_id))]
    Service { action: String, resource: String, code: String, message: String, request_id: Option<String> },
}

fn rid(id: &Option<String>) -> String {
    id.as_ref().map(|id| format!(" (request id {id})")).unwrap_or_default()
}

impl AwsError {
    /// True when the error is IAM's NoSuchEntity (used for eventual-consistency retries).
    pub fn is_no_such_entity(&self) -> bool {
        self.code() == Some("NoSuchEntity")
    }

    /// True when the entity to create exists already (perhaps made by a request whose answer was lost).
    pub fn is_already_exists(&self) -> bool {
        self.code() == Some("EntityAlreadyExists")
    }

    /// The service's error code, when AWS answered with one.
    pub fn code(&self) -> Option<&str> {
        match self {
            AwsError::Service { code, .. } => Some(code),
            _ => None,
        }
    }

    /// True when the request never got an answer from AWS.
    pub fn is_unreachable(&self) -> bool {
        matches!(self, AwsError::Unreachable { .. } | AwsError::UntrustedCertificate { .. } | AwsError::TimedOut { .. })
            || self.is_credentials()
    }

    /// True when the credentials could not be had or AWS refused them (not the caller's permissions).
    pub fn is_credentials(&self) -> bool {
        matches!(
            self,
            AwsError::NoCredentials { .. }
                | AwsError::CredentialsFailed { .. }
                | AwsError::AssumeRoleDenied { .. }
                | AwsError::MfaCodeRejected { .. }
                | AwsError::SignatureMismatch
                | AwsError::ClockSkew { .. }
                | AwsError::ExpiredToken { .. }
                | AwsError::UnknownKey { .. }
        )
    }
}

/// Where a call went, for error messages.
#[derive(Debug, Clone)]
pub struct CallSite<'a> {
    pub action: &'a str,
    pub resource: &'a str,
    pub endpoint: &'a str,
}

/// Text from a server or the OS, made safe to print: control characters (escape sequences) removed and
/// whitespace collapsed; never cut.
pub fn clean(s: &str) -> String {
    s.split(|c: char| c.is_whitespace() || c.is_control()).filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ")
}

/// The messages of an error and its sources, outermost first, with repeats dropped: `Display` only, never
/// `Debug`.
pub fn plain(err: &(dyn StdError + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut next = Some(err);
    while let Some(e) = next {
        let text = clean(&e.to_string());
        if !text.is_empty() && !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        next = e.source();
    }
    parts.join(": ")
}

/// The innermost error of a given type in a chain.
fn find<'a, T: StdError + 'static>(err: &'a (dyn StdError + 'static)) -> Option<&'a T> {
    let mut found = None;
    let mut next = Some(err);
    while let Some(e) = next {
        if let Some(t) = e.downcast_ref::<T>() {
            found = Some(t);
        }
        next = e.source();
    }
    found
}

/// The configured source of credentials, for wording (the environment's keys when nothing was loaded yet).
fn configured() -> CredentialSource {
    super::credentials::configured().unwrap_or(CredentialSource {
        kind: CredentialKind::Environment,
        profile: None,
        file: None,
    })
}

/// What to do about credentials that failed to load: `aws sso login` only for SSO profiles.
fn load_fix(source: &CredentialSource) -> String {
    let p = source.profile.as_deref().unwrap_or("default");
    match source.kind {
        CredentialKind::Sso => {
            format!("your IAM Identity Center session may have expired: run `aws sso login --profile {p}`")
        }
        CredentialKind::Login => format!("your sign-in session may have expired: run `aws login --profile {p}`"),
        CredentialKind::Environment => "check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN".into(),
        _ => format!("check profile {p} (`aws configure list --profile {p}`)"),
    }
}

/// A TLS certificate that the trust store does not vouch for, anywhere in the chain (rustls' error travels inside
/// `io::Error`s, nested, whose `source` skips it).
fn untrusted_certificate(err: &(dyn StdError + 'static)) -> Option<String> {
    fn inside<'a>(e: &'a (dyn StdError + 'static)) -> Option<&'a rustls::Error> {
        match e.downcast_ref::<rustls::Error>() {
            Some(t) => Some(t),
            None => e.downcast_ref::<std::io::Error>().and_then(|io| io.get_ref()).and_then(|i| inside(i)),
        }
    }
    let mut next = Some(err);
    while let Some(e) = next {
        if let Some(t @ rustls::Error::InvalidCertificate(_)) = inside(e) {
            return Some(clean(&t.to_string()));
        }
        next = e.source();
    }
    None
}

/// A credentials provider's failure in plain words.
pub fn credentials(e: &CredentialsError) -> AwsError {
    let source = configured();
    match e {
        CredentialsError::CredentialsNotLoaded(_) if source.kind == CredentialKind::AssumeRoleMfa => {
            AwsError::CredentialsFailed { from: source.to_string(), detail: plain(e), fix: source.refresh_hint() }
        }
        CredentialsError::CredentialsNotLoaded(_) => {
            AwsError::NoCredentials { detail: "no access key, profile, SSO login or instance role was found".into() }
        }
        CredentialsError::ProviderTimedOut(_) => AwsError::CredentialsFailed {
            detail: "the credentials provider did not answer in time".into(),
            fix: load_fix(&source),
            from: source.to_string(),
        },
        other if let Some(r) = find::<super::mfa::CodeRejected>(other) => AwsError::MfaCodeRejected {
            profile: r.profile.clone(),
            serial: r.serial.clone(),
            message: r.message.clone(),
        },
        other => match find::<AssumeRoleError>(other).map(|a| (a.code().unwrap_or_default(), a.message())) {
            Some(("AccessDenied", message)) => AwsError::AssumeRoleDenied {
                profile: source.profile.clone().unwrap_or_else(|| "default".into()),
                message: clean(message.unwrap_or_default()),
            },
            Some((code, message)) if let Some(e) = credential_code(code, &clean(message.unwrap_or_default()), None) => {
                e
            }
            _ => AwsError::CredentialsFailed { detail: plain(other), fix: load_fix(&source), from: source.to_string() },
        },
    }
}

/// The errors that are about the credentials themselves, worded with their cause and fix; `None` for others.
fn credential_code(code: &str, message: &str, server_time: Option<SystemTime>) -> Option<AwsError> {
    let source = configured();
    Some(match code {
        "SignatureDoesNotMatch" if message.starts_with("Signature expired") => {
            AwsError::ClockSkew { offset: skew_words(server_time) }
        }
        "RequestTimeTooSkewed" => AwsError::ClockSkew { offset: skew_words(server_time) },
        "SignatureDoesNotMatch" => AwsError::SignatureMismatch,
        "ExpiredToken" | "ExpiredTokenException" | "RequestExpired" => {
            AwsError::ExpiredToken { from: source.to_string(), fix: source.refresh_hint() }
        }
        "InvalidClientTokenId" | "UnrecognizedClientException" | "InvalidAccessKeyId" => {
            AwsError::UnknownKey { code: code.to_string(), fix: load_fix(&source) }
        }
        _ => return None,
    })
}

/// How far this machine's clock is from AWS's (the answer's `Date`), in words.
fn skew_words(server_time: Option<SystemTime>) -> String {
    let Some(server) = server_time else { return "off AWS's time".into() };
    let now = SystemTime::now();
    let (secs, dir) = match now.duration_since(server) {
        Ok(ahead) => (ahead.as_secs(), "ahead of"),
        Err(behind) => (behind.duration().as_secs(), "behind"),
    };
    let amount = match secs {
        s if s >= 3600 => format!("{}h {}min", s / 3600, (s % 3600) / 60),
        s if s >= 60 => format!("{}min {}s", s / 60, s % 60),
        s => format!("{s}s"),
    };
    format!("{amount} {dir} AWS's time")
}

/// The `Date` header of an answer.
fn server_date(resp: Option<&HttpResponse>) -> Option<SystemTime> {
    let date = resp?.headers().get("date")?;
    let t = aws_smithy_types::DateTime::from_str(date, aws_smithy_types::date_time::Format::HttpDate).ok()?;
    SystemTime::try_from(t).ok()
}

/// Map any SDK error to [`AwsError`]; service codes that no operation models (AccessDenied,
/// Throttling, LimitExceeded) can only be told apart by their code.
pub fn map_sdk<E>(site: &CallSite<'_>, err: SdkError<E, HttpResponse>) -> AwsError
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
{
    let owned = |s: &str| s.to_string();
    let unreachable = |detail: String| AwsError::Unreachable { endpoint: owned(site.endpoint), detail };
    match &err {
        SdkError::TimeoutError(_) => AwsError::TimedOut {
            action: owned(site.action),
            resource: owned(site.resource),
            endpoint: owned(site.endpoint),
            detail: "the operation timeout".into(),
        },
        SdkError::DispatchFailure(d) => {
            let root: &(dyn StdError + 'static) = &err;
            if let Some(c) = find::<CredentialsError>(root) {
                credentials(c)
            } else if d.is_timeout() {
                AwsError::TimedOut {
                    action: owned(site.action),
                    resource: owned(site.resource),
                    endpoint: owned(site.endpoint),
                    detail: "the connect or attempt timeout".into(),
                }
            } else if let Some(detail) = untrusted_certificate(root) {
                AwsError::UntrustedCertificate { endpoint: owned(site.endpoint), detail }
            } else if let Some(io) = find::<std::io::Error>(root) {
                unreachable(clean(&io.to_string()))
            } else {
                unreachable(plain(root))
            }
        }
        SdkError::ConstructionFailure(_) => {
            let root: &(dyn StdError + 'static) = &err;
            match find::<CredentialsError>(root) {
                Some(c) => credentials(c),
                None => AwsError::Service {
                    action: owned(site.action),
                    resource: owned(site.resource),
                    code: "RequestNotBuilt".into(),
                    message: plain(root),
                    request_id: None,
                },
            }
        }
        SdkError::ResponseError(_) | SdkError::ServiceError(_) | _ => {
            let status = err.raw_response().map(|r| r.status().as_u16());
            let body =
                err.raw_response().and_then(|r| r.body().bytes()).map(String::from_utf8_lossy).unwrap_or_default();
            // An answer the SDK could not parse (some endpoints nest <Errors>): read its code from the XML,
            // else judge by the HTTP status.
            let code = match (err.code(), xml_field(&body, "Code"), status) {
                (Some(c), _, _) => c.to_string(),
                (None, Some(c), _) => c,
                (None, None, Some(403)) => "AccessDenied".to_string(),
                (None, None, Some(429)) => "Throttling".to_string(),
                (None, None, Some(s)) if s >= 500 => "InternalFailure".to_string(),
                (None, None, _) => "Unknown".to_string(),
            };
            let message =
                err.message().map(clean).or_else(|| xml_field(&body, "Message")).unwrap_or_else(|| match status {
                    Some(s) => format!("HTTP {s} with no error message"),
                    None => plain(&err),
                });
            let request_id = err.request_id().map(clean).or_else(|| xml_field(&body, "RequestId"));
            let code = clean(&code);
            match code.as_str() {
                "AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation" | "Forbidden" => {
                    AwsError::AccessDenied {
                        action: owned(site.action),
                        resource: owned(site.resource),
                        message,
                        request_id,
                    }
                }
                "Throttling" | "ThrottlingException" | "TooManyRequestsException" | "RequestLimitExceeded" => {
                    AwsError::Throttled { action: owned(site.action) }
                }
                "LimitExceeded" | "LimitExceededException" | "ServiceQuotaExceededException" => {
                    AwsError::Quota { action: owned(site.action), resource: owned(site.resource), message, request_id }
                }
                _ if let Some(e) = credential_code(&code, &message, server_date(err.raw_response())) => e,
                _ => AwsError::Service {
                    action: owned(site.action),
                    resource: owned(site.resource),
                    code,
                    message,
                    request_id,
                },
            }
        }
    }
}

/// The text of the first `<name>…</name>` element.
fn xml_field(body: &str, name: &str) -> Option<String> {
    let start = body.find(&format!("<{name}>"))? + name.len() + 2;
    let end = body[start..].find(&format!("</{name}>"))? + start;
    Some(clean(&body[start..end])).filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_code_and_message_from_nested_error_xml() {
        let body = "<ErrorResponse><Errors><Error><Code>AccessDenied</Code><Message>not allowed</Message></Error></Errors></ErrorResponse>";
        assert_eq!(xml_field(body, "Code").as_deref(), Some("AccessDenied"));
        assert_eq!(xml_field(body, "Message").as_deref(), Some("not allowed"));
        assert_eq!(xml_field("<Code></Code>", "Code"), None);
        assert_eq!(xml_field("nothing", "Code"), None);
    }

    #[test]
    fn server_text_loses_control_characters_and_is_never_cut() {
        let hostile = format!("bad\u{1b}[2Jthing\r\n{}", "word ".repeat(200));
        let c = clean(&hostile);
        assert!(!c.chars().any(char::is_control), "{c:?}");
        assert!(c.starts_with("bad [2Jthing word"));
        assert!(c.ends_with("word"), "whole words, nothing cut");
    }

    #[test]
    fn chains_print_each_message_once_without_debug() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "Connection refused (os error 111)");
        let outer = CredentialsError::provider_error(io);
        let text = plain(&outer);
        assert!(text.contains("Connection refused (os error 111)"), "{text}");
        assert!(!text.contains("Custom {") && !text.contains("kind:"), "{text}");
        assert!(matches!(credentials(&outer), AwsError::CredentialsFailed { .. }));
        let missing = CredentialsError::not_loaded("no providers in chain provided credentials");
        assert!(credentials(&missing).to_string().contains("`aws configure`"));
    }
}
