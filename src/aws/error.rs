//! SDK errors mapped to plain words: what failed, why, and what to do next.
//!
//! Classification goes through the SDK's typed errors (`SdkError` variants, `ProvideErrorMetadata`, the
//! `CredentialsError` and `std::io::Error` found in a failure's source chain), never through `Debug` text.

use aws_credential_types::provider::error::CredentialsError;
use aws_sdk_iam::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_types::request_id::RequestId;
use std::error::Error as StdError;

/// A failure at AWS (or on the way to it), in words an operator can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AwsError {
    #[error(
        "no AWS credentials found ({detail}): run `aws configure`, set AWS_PROFILE or pass --profile, \
         or `aws sso login`"
    )]
    NoCredentials { detail: String },
    #[error(
        "could not load AWS credentials: {detail}. If you use IAM Identity Center (SSO) your session may \
         have expired: run `aws sso login --profile NAME`"
    )]
    CredentialsFailed { detail: String },
    #[error("no AWS Region is configured: pass --region, set AWS_REGION, or set region in your profile")]
    NoRegion,
    #[error("cannot reach AWS at {endpoint} ({detail}); check the network, any proxy, and --endpoint-url")]
    Unreachable { endpoint: String, detail: String },
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
        matches!(
            self,
            AwsError::Unreachable { .. }
                | AwsError::TimedOut { .. }
                | AwsError::NoCredentials { .. }
                | AwsError::CredentialsFailed { .. }
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

/// A credentials provider's failure in plain words.
pub fn credentials(e: &CredentialsError) -> AwsError {
    match e {
        CredentialsError::CredentialsNotLoaded(_) => {
            AwsError::NoCredentials { detail: "no access key, profile, SSO login or instance role was found".into() }
        }
        CredentialsError::ProviderTimedOut(_) => {
            AwsError::CredentialsFailed { detail: "the credentials provider did not answer in time".into() }
        }
        other => AwsError::CredentialsFailed { detail: plain(other) },
    }
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
                "ExpiredToken"
                | "ExpiredTokenException"
                | "InvalidClientTokenId"
                | "UnrecognizedClientException"
                | "SignatureDoesNotMatch"
                | "InvalidAccessKeyId" => AwsError::CredentialsFailed { detail: format!("{code}: {message}") },
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
