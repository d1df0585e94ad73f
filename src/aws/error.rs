//! SDK errors mapped to plain words: what failed, why, and what to do next.

use aws_sdk_iam::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;

/// A failure at AWS (or on the way to it), in words an operator can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AwsError {
    #[error(
        "no AWS credentials found ({detail}). Configure them with `aws configure`, choose a profile with \
         --profile or AWS_PROFILE, or for IAM Identity Center (SSO) run `aws sso login --profile NAME`"
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
        "access denied: {action} on {resource}. The caller lacks the permission {action} on that resource; \
         ask an administrator to allow it. AWS said: {message}"
    )]
    AccessDenied { action: String, resource: String, message: String },
    #[error("AWS kept throttling {action} after the SDK's retries; wait a minute and run again")]
    Throttled { action: String },
    #[error("{action} on {resource} hit an AWS quota: {message}")]
    Quota { action: String, resource: String, message: String },
    #[error("{action} on {resource} failed: {message}")]
    Service { action: String, resource: String, code: String, message: String },
}

impl AwsError {
    /// The quota hit when a user already has the maximum of two access keys, in plain words.
    pub fn is_quota(&self) -> bool {
        matches!(self, AwsError::Quota { .. })
    }

    /// True when the error is IAM's NoSuchEntity (used for eventual-consistency retries).
    pub fn is_no_such_entity(&self) -> bool {
        matches!(self, AwsError::Service { code, .. } if code == "NoSuchEntity")
    }

    /// True when the request never got an answer from AWS.
    pub fn is_unreachable(&self) -> bool {
        matches!(
            self,
            AwsError::Unreachable { .. } | AwsError::NoCredentials { .. } | AwsError::CredentialsFailed { .. }
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

/// Map any SDK error to [`AwsError`]; service codes that no operation models (AccessDenied,
/// Throttling, LimitExceeded) can only be told apart by their code.
pub fn map_sdk<E>(site: &CallSite<'_>, err: SdkError<E, HttpResponse>) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    let owned = |s: &str| s.to_string();
    match &err {
        SdkError::DispatchFailure(d) => {
            let detail = DisplayErrorContext(&err).to_string();
            if d.is_io() || d.is_timeout() {
                AwsError::Unreachable { endpoint: owned(site.endpoint), detail: short(&detail) }
            } else if detail.contains("credential") {
                AwsError::CredentialsFailed { detail: short(&detail) }
            } else {
                AwsError::Unreachable { endpoint: owned(site.endpoint), detail: short(&detail) }
            }
        }
        SdkError::TimeoutError(_) => {
            AwsError::Unreachable { endpoint: owned(site.endpoint), detail: "the request timed out".into() }
        }
        _ => {
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
                (None, None, _) => "Unknown".to_string(),
            };
            let message = err.message().map(str::to_string).or_else(|| xml_field(&body, "Message")).unwrap_or_else(
                || match status {
                    Some(s) => short(&format!("HTTP {s}: {}", body.split_whitespace().collect::<Vec<_>>().join(" "))),
                    None => short(&DisplayErrorContext(&err).to_string()),
                },
            );
            match code.as_str() {
                "AccessDenied" | "AccessDeniedException" | "UnauthorizedOperation" | "Forbidden" => {
                    AwsError::AccessDenied { action: owned(site.action), resource: owned(site.resource), message }
                }
                "Throttling" | "ThrottlingException" | "TooManyRequestsException" | "RequestLimitExceeded" => {
                    AwsError::Throttled { action: owned(site.action) }
                }
                "LimitExceeded" | "LimitExceededException" | "ServiceQuotaExceededException" => {
                    AwsError::Quota { action: owned(site.action), resource: owned(site.resource), message }
                }
                "ExpiredToken"
                | "ExpiredTokenException"
                | "InvalidClientTokenId"
                | "UnrecognizedClientException"
                | "SignatureDoesNotMatch"
                | "InvalidAccessKeyId" => AwsError::CredentialsFailed { detail: format!("{code}: {message}") },
                _ => AwsError::Service { action: owned(site.action), resource: owned(site.resource), code, message },
            }
        }
    }
}

/// The text of the first `<name>…</name>` element.
fn xml_field(body: &str, name: &str) -> Option<String> {
    let start = body.find(&format!("<{name}>"))? + name.len() + 2;
    let end = body[start..].find(&format!("</{name}>"))? + start;
    Some(body[start..end].trim().to_string()).filter(|s| !s.is_empty())
}

fn short(s: &str) -> String {
    const MAX: usize = 300;
    if s.len() <= MAX {
        s.to_string()
    } else {
        let cut = (0..=MAX).rev().find(|i| s.is_char_boundary(*i)).unwrap_or(0);
        format!("{}…", &s[..cut])
    }
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
    fn long_details_are_cut_on_a_char_boundary() {
        let s = "é".repeat(400);
        assert!(short(&s).ends_with('…'));
    }
}
